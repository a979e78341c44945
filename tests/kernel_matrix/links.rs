//! netscript's own link kinds where this machine's kernel lacks them:
//! VLANs (the vlan-trunk lab), dummy, VRF, bond, GRE/GRE tap/IPIP/sit,
//! WireGuard with real traffic, and VLAN-filtering bridges with `bridge
//! vlan`; each seen with `ip -d -j link` or `bridge -j vlan`, and taken down
//! exactly.

use serde_json::Value;

use crate::support::vm::needs_vm_kernel;
use crate::support::{
    DUMP, Sandbox, assert_same_state, link_named as link, normalize, privileged, script_text as script,
};

#[test]
fn the_vlan_trunk_lab_proves_itself_and_goes_down_exactly() {
    if !needs_vm_kernel("8021q (VLAN)") || !privileged() {
        return;
    }
    let before = "ls /run/netns; ip -br link";
    let out = Sandbox::new()
        .file("lab.rhai", &script("vlan-trunk"))
        .step(before)
        .step("netscript --lab vlan-trunk lab.rhai")
        .step("ip -n sw-a -d -j link show trunk.20")
        .step("netscript show vlan-trunk")
        .step("netscript down vlan-trunk")
        .step(before)
        .run();
    out[1].success().stdout_has("VLAN 10 and VLAN 20 cross the trunk, each on its own");
    let vlan = &out[2].json()[0];
    assert_eq!(
        (&vlan["linkinfo"]["info_kind"], &vlan["linkinfo"]["info_data"]["id"], &vlan["link"]),
        (&"vlan".into(), &20.into(), &"trunk".into())
    );
    out[3].success().stdout_has("vlan_id 20");
    out[4].success().stdout_has("removed 6 namespaces");
    assert_eq!(out[0].stdout, out[5].stdout);
}

#[test]
fn the_vlan_trunk_labs_dry_run_builds_the_same() {
    if !needs_vm_kernel("8021q (VLAN)") || !privileged() {
        return;
    }
    let text = script("vlan-trunk");
    let more = "for ns in $(ls /run/netns); do ip -n $ns -d -j link | tr -d '\\n'; echo; done";
    let real = Sandbox::new()
        .file("lab.rhai", &text)
        .step("netscript lab.rhai protocol=802.1ad")
        .step(DUMP)
        .step(more)
        .run();
    let dry = Sandbox::new()
        .file("lab.rhai", &text)
        .step("netscript --dry-run lab.rhai protocol=802.1ad >lab.sh && bash -e lab.sh")
        .step(DUMP)
        .step(more)
        .step("cat lab.sh")
        .run();
    real[0].success();
    dry[0].success();
    assert_same_state(&normalize(&real[1].json()), &normalize(&dry[1].json()), &dry[3].stdout);
    let vlans = |text: &str| -> Vec<(String, String, String)> {
        let mut found: Vec<(String, String, String)> = text
            .lines()
            .flat_map(|l| serde_json::from_str::<Value>(l).unwrap().as_array().unwrap().clone())
            .filter(|l| l["linkinfo"]["info_kind"] == "vlan")
            .map(|l| {
                (
                    l["ifname"].to_string(),
                    l["linkinfo"]["info_data"]["id"].to_string(),
                    l["linkinfo"]["info_data"]["protocol"].to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(vlans(&real[2].stdout), vlans(&dry[2].stdout));
    assert!(
        vlans(&real[2].stdout).iter().all(|(_, _, p)| p == "\"802.1ad\""),
        "{:?}",
        vlans(&real[2].stdout)
    );
}

const KINDS: &str = r#"
let a = netns_add("a");
a.dummy_add("dum0");
a.addr_add("dum0", "192.0.2.1/24");
a.link_up("dum0");
a.vrf_add("blue", 10);
a.veth_add("e0", "e1");
a.veth_add("e2", "e3");
a.veth_add("e4", "e5");
a.link_set_master("e4", "blue");
a.addr_add("e4", "10.4.0.1/24");
a.link_up("blue");
a.link_up("e4");
a.route_add("198.51.100.0/24", #{via: "10.4.0.2", table: 10});
a.bond_add("bond0", #{mode: "active-backup", miimon: 100, members: ["e0", "e2"]});
a.gre_add("gre1", #{local: "192.0.2.1", remote: "192.0.2.2", ttl: 64, key: 42});
a.gretap_add("gt1", #{local: "192.0.2.1", remote: "192.0.2.3"});
a.ipip_add("ipip1", #{local: "192.0.2.1", remote: "192.0.2.4"});
a.sit_add("sit1", #{local: "192.0.2.1", remote: "192.0.2.5"});
// In the host: each goes by itself.
dummy_add("dumh");
bond_add("bondh");
"#;

#[test]
fn dummy_vrf_bond_and_tunnels_as_iproute2_sees_them() {
    if !needs_vm_kernel("dummy, vrf, bonding, gre, ipip, sit") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("k.rhai", KINDS)
        .step("ip -br link")
        .step("netscript k.rhai")
        .step("ip -n a -d -j link")
        .step("ip -n a -j route show table 10")
        .step("netscript down k")
        .step("ip -br link; ls /run/netns")
        .run();
    out[1].success();
    let links = out[2].json();
    assert_eq!(link(&links, "dum0")["linkinfo"]["info_kind"], "dummy");
    assert_eq!(link(&links, "blue")["linkinfo"]["info_data"]["table"], 10);
    assert_eq!(link(&links, "e4")["master"], "blue");
    let bond = &link(&links, "bond0")["linkinfo"]["info_data"];
    assert_eq!((&bond["mode"], &bond["miimon"]), (&"active-backup".into(), &100.into()));
    assert_eq!(
        (&link(&links, "e0")["master"], &link(&links, "e2")["master"]),
        (&"bond0".into(), &"bond0".into())
    );
    let gre = &link(&links, "gre1")["linkinfo"];
    assert_eq!(
        (&gre["info_kind"], &gre["info_data"]["remote"], &gre["info_data"]["ikey"]),
        (&"gre".into(), &"192.0.2.2".into(), &"0.0.0.42".into())
    );
    assert_eq!(link(&links, "gt1")["linkinfo"]["info_kind"], "gretap");
    assert_eq!(link(&links, "ipip1")["linkinfo"]["info_kind"], "ipip");
    assert_eq!(link(&links, "sit1")["linkinfo"]["info_kind"], "sit");
    let table = out[3].json();
    assert!(
        table.as_array().unwrap().iter().any(|r| r["dst"] == "198.51.100.0/24" && r["gateway"] == "10.4.0.2"),
        "{table}"
    );
    out[4].success().stdout_has("removed 1 namespace, 2 links");
    assert_eq!(out[0].stdout, out[5].stdout);
}

const WIREGUARD: &str = r#"
let a = netns_add("wa");
let b = netns_add("wb");
veth_add(a, "under0", b, "under0");
a.addr_add("under0", "192.0.2.1/24");
b.addr_add("under0", "192.0.2.2/24");
a.link_up("under0");
b.link_up("under0");
let ka = wg_genkey();
let kb = wg_genkey();
a.wireguard_add("wg0", #{private_key: ka, listen_port: 51820,
    peers: [#{public_key: wg_pubkey(kb), endpoint: "192.0.2.2:51821", allowed_ips: ["10.9.0.2/32"], keepalive: 25}]});
b.wireguard_add("wg0", #{private_key: kb, listen_port: 51821,
    peers: [#{public_key: wg_pubkey(ka), endpoint: "192.0.2.1:51820", allowed_ips: ["10.9.0.1/32"]}]});
a.addr_add("wg0", "10.9.0.1/24");
b.addr_add("wg0", "10.9.0.2/24");
a.link_up("wg0");
b.link_up("wg0");
// The first packets wait for the handshake.
let r = a.ping("10.9.0.2", #{count: 10, interval: 0.3, timeout: 5.0});
if r.received == 0 { throw `no answer over WireGuard: ${r}`; }
print(wg_pubkey(kb));
"#;

#[test]
fn wireguard_peers_with_keys_made_here_carry_traffic() {
    if !needs_vm_kernel("wireguard") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("w.rhai", WIREGUARD)
        .step("netscript w.rhai")
        .step("ip -n wa -d -j link show wg0")
        .step("ip netns exec wa ping -c 1 -W 2 10.9.0.2")
        .step("netscript down w; ls /run/netns")
        .run();
    out[0].success();
    assert_eq!(out[1].json()[0]["linkinfo"]["info_kind"], "wireguard");
    out[2].success().stdout_has("1 received");
    assert_eq!(out[3].stdout.trim(), "w: removed 2 namespaces");
}

#[test]
fn a_vlan_filtering_bridge_made_by_netscript_keeps_vlans_apart() {
    if !needs_vm_kernel("bridge VLAN filtering") || !privileged() {
        return;
    }
    let mut lab = String::from("bridge_add(\"br0\", #{vlan_filtering: true});\nlink_up(\"br0\");\n");
    for (i, vid) in [(1, 10), (2, 10), (3, 20)] {
        lab.push_str(&format!(
            "let h = netns_add(\"h{i}\");\nveth_add(host(), \"h{i}-port\", h, \"eth0\");\n\
             link_set_master(\"h{i}-port\", \"br0\");\nlink_up(\"h{i}-port\");\n\
             bridge_vlan_del(\"h{i}-port\", 1);\nbridge_vlan_add(\"h{i}-port\", {vid}, #{{pvid: true, untagged: true}});\n\
             h.addr_add(\"eth0\", \"10.0.0.{i}/24\");\nh.link_up(\"eth0\");\n"
        ));
    }
    lab.push_str(
        "netns(\"h1\").assert_reachable(\"10.0.0.2\");\nnetns(\"h1\").assert_unreachable(\"10.0.0.3\");\n",
    );
    let out = Sandbox::new()
        .file("v.rhai", &lab)
        .step("netscript v.rhai")
        .step("bridge -j vlan show dev h3-port")
        .step("ip -d -j link show br0")
        .step("netscript down v; ip -br link")
        .run();
    out[0].success();
    let vlans = out[1].json();
    let entry = &vlans[0]["vlans"][0];
    assert_eq!(
        (&entry["vlan"], &entry["flags"]),
        (&20.into(), &serde_json::json!(["PVID", "Egress Untagged"])),
        "{vlans}"
    );
    assert_eq!(out[2].json()[0]["linkinfo"]["info_data"]["vlan_filtering"], 1);
    assert!(out[3].stdout.starts_with("v: removed 3 namespaces"), "{}", out[3].stdout);
}
