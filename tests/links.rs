//! Link operations, checked against `ip -j link`.

use crate::support::{Sandbox, link_names, privileged};

#[test]
fn rename_mtu_master_move_delete() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "links.rhai",
            r#"
            let lab = netns_add("lab");
            bridge_add("br0");
            bridge_add("br1");
            veth_add("a0", "a1");
            veth_add("b0", "b1");
            link_set_master("a0", "br0");
            link_set_master("b0", "br0");
            link_nomaster("b0");
            link_set_mtu("a0", 1400);
            link_rename("a1", "renamed");
            link_set_netns("renamed", lab);
            lab.link_up("renamed");
            link_up("br0");
            link_down("br0");
            link_del("br1");
            link_del("b1");
            let show = link_show("a0");
            print(`${show.kind} ${show.mtu} ${show.master} ${show.peer}`);
            print(lab.link_show("renamed").peer);
            "#,
        )
        .step("netscript links.rhai")
        .step("ip -j -d link")
        .step("ip -n lab -j link show renamed")
        .run();
    out[0].success();
    // The peer now lives in another namespace, so only its index is known.
    assert!(out[0].stdout.starts_with("veth 1400 br0 if"), "{}", out[0].stdout);
    let links = out[1].json();
    assert_eq!(link_names(&links), ["a0", "br0", "lo"]);
    let a0 = links.as_array().unwrap().iter().find(|l| l["ifname"] == "a0").unwrap();
    assert_eq!(a0["mtu"], 1400);
    assert_eq!(a0["master"], "br0");
    let br0 = links.as_array().unwrap().iter().find(|l| l["ifname"] == "br0").unwrap();
    assert!(!br0["flags"].as_array().unwrap().contains(&"UP".into()));
    let renamed = out[2].json();
    assert!(renamed[0]["flags"].as_array().unwrap().contains(&"UP".into()));
}

#[test]
fn link_list_matches_ip() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "list.rhai",
            r#"
            let ns = netns_add("x");
            ns.bridge_add("br0");
            ns.veth_add("v0", "v1");
            ns.link_set_master("v0", "br0");
            ns.addr_add("br0", "10.1.0.1/24");
            ns.link_up("br0");
            for link in ns.link_list() {
                print(`${link.name} ${link.kind} ${link.mtu} ${link.mac} ${link.master} ${link.addresses}`);
            }
            "#,
        )
        .step("netscript list.rhai")
        .step("ip -n x -j -d addr")
        .run();
    out[0].success();
    let ip = out[1].json();
    let from_ip: Vec<String> = ip
        .as_array()
        .unwrap()
        .iter()
        .map(|link| {
            let kind = link["linkinfo"]["info_kind"].as_str().unwrap_or("loopback");
            // Rhai prints () as nothing.
            let master = link["master"].as_str().unwrap_or("");
            let addrs: Vec<String> = link["addr_info"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| format!("\"{}/{}\"", a["local"].as_str().unwrap(), a["prefixlen"]))
                .collect();
            format!(
                "{} {kind} {} {} {master} [{}]",
                link["ifname"].as_str().unwrap(),
                link["mtu"],
                link["address"].as_str().unwrap(),
                addrs.join(", ")
            )
        })
        .collect();
    let from_netscript: Vec<&str> = out[0].stdout.lines().collect();
    assert_eq!(from_netscript, from_ip);
}

#[test]
fn a_new_bridge_is_down_as_with_ip() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("br.rhai", "bridge_add(\"br0\");\nprint(link_show(\"br0\").up);\n")
        .step("netscript br.rhai")
        .step("ip -j link show br0")
        .run();
    assert_eq!(out[0].success().stdout, "false\n");
    assert!(!out[1].json()[0]["flags"].as_array().unwrap().contains(&"UP".into()), "{}", out[1].stdout);
}
