//! Link kinds this machine's kernel has (vxlan, macvlan, macvtap, tun/tap),
//! link settings, bridge and port options, fdb and neighbour entries: made
//! by netscript in a sandbox, checked with `ip -d -j link`, `bridge -j fdb`
//! and `ip -j neigh`, and taken down exactly. A kind the kernel lacks is a
//! clear error naming the module, with nothing made.

use serde_json::Value;

use crate::support::{Sandbox, link_named as link, privileged};

const KINDS: &str = r#"
let a = netns_add("a");
a.veth_add("under0", "under1");
a.addr_add("under0", "192.0.2.1/24");
a.link_up("under0");
a.vxlan_add("vx0", #{vni: 4242, remote: "192.0.2.2", local: "192.0.2.1", dev: "under0", dstport: 4789, learning: false, ttl: 16});
a.vxlan_add("vx1", #{vni: 7, group: "239.1.1.1", dev: "under0"});
a.macvlan_add("mv0", "under1", #{mode: "bridge"});
a.macvtap_add("mvt0", "under1", #{mode: "vepa"});
a.tap_add("tap0", #{owner: 0, group: 0});
a.tun_add("tun0");
a.bridge_add("br0", #{stp: true, forward_delay: 400, ageing_time: 1000, mcast_snooping: false});
a.veth_add("p0", "p1");
a.link_set_master("p0", "br0");
a.bridge_port_set("p0", #{learning: false, flood: false, hairpin: true, isolated: true});
a.link_set("mv0", #{mac: "02:00:00:00:01:01", alias: "uplink of a", txqueuelen: 500, promisc: true, arp: false, group: 7});
// Made here and in the host: the host's are undone one by one.
vxlan_add("vxh", #{vni: 99, remote: "192.0.2.9", dstport: 4789});
tap_add("taph");
"#;

#[test]
fn kinds_and_settings_as_iproute2_sees_them() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("kinds.rhai", KINDS)
        .step("netscript kinds.rhai")
        .step("ip -n a -d -j link")
        .step("ip -d -j link")
        .step("netscript down kinds")
        .step("ip -br link; ls /run/netns")
        .run();
    out[0].success();
    let links = out[1].json();
    let vx = &link(&links, "vx0")["linkinfo"];
    assert_eq!(vx["info_kind"], "vxlan");
    let d = &vx["info_data"];
    assert_eq!((d["id"].as_u64(), d["port"].as_u64(), d["ttl"].as_u64()), (Some(4242), Some(4789), Some(16)));
    assert_eq!(
        (&d["remote"], &d["local"], &d["link"], &d["learning"]),
        (&"192.0.2.2".into(), &"192.0.2.1".into(), &"under0".into(), &false.into())
    );
    assert_eq!(link(&links, "vx1")["linkinfo"]["info_data"]["group"], "239.1.1.1");
    let mv = link(&links, "mv0");
    assert_eq!(
        (&mv["linkinfo"]["info_kind"], &mv["linkinfo"]["info_data"]["mode"], &mv["link"]),
        (&"macvlan".into(), &"bridge".into(), &"under1".into())
    );
    assert_eq!(
        (&mv["address"], &mv["ifalias"], &mv["txqlen"], &mv["group"]),
        (&"02:00:00:00:01:01".into(), &"uplink of a".into(), &500.into(), &"7".into())
    );
    let flags: Vec<&str> = mv["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(flags.contains(&"NOARP") && flags.contains(&"PROMISC"), "{flags:?}");
    assert_eq!(link(&links, "mvt0")["linkinfo"]["info_data"]["mode"], "vepa");
    let tap = &link(&links, "tap0")["linkinfo"]["info_data"];
    assert_eq!(
        (&tap["type"], &tap["user"], &tap["group"], &tap["persist"]),
        (&"tap".into(), &"root".into(), &"root".into(), &true.into())
    );
    assert_eq!(link(&links, "tun0")["linkinfo"]["info_data"]["type"], "tun");
    let br = &link(&links, "br0")["linkinfo"]["info_data"];
    assert_eq!(
        (&br["stp_state"], &br["forward_delay"], &br["ageing_time"], &br["mcast_snooping"]),
        (&1.into(), &400.into(), &1000.into(), &0.into())
    );
    let port = &link(&links, "p0")["linkinfo"]["info_slave_data"];
    assert_eq!(
        (&port["learning"], &port["flood"], &port["hairpin"], &port["isolated"]),
        (&false.into(), &false.into(), &true.into(), &true.into())
    );
    let host = out[2].json();
    assert_eq!(link(&host, "vxh")["linkinfo"]["info_data"]["id"], 99);
    assert_eq!(link(&host, "taph")["linkinfo"]["info_kind"], "tun");
    out[3].success().stdout_has("removed 1 namespace, 2 links");
    assert_eq!(
        out[4].stdout.trim(),
        out[4].stdout.lines().next().unwrap().trim(),
        "left behind:\n{}",
        out[4].stdout
    );
    assert!(out[4].stdout.starts_with("lo "), "{}", out[4].stdout);
}

#[test]
fn settings_of_links_the_lab_did_not_make_are_set_back() {
    if !privileged() {
        return;
    }
    let script = r#"
        link_set("mine0", #{alias: "borrowed", txqueuelen: 42, promisc: true, mac: "02:00:00:00:02:02"});
        bridge_set("mybr", #{stp: true, ageing_time: 1234});
        bridge_port_set("mine0", #{hairpin: true, learning: false});
    "#;
    let state = "ip -d -j link show mine0; ip -d -j link show mybr";
    let out = Sandbox::new()
        .file("s.rhai", script)
        .step("ip link add mybr type bridge && ip link add mine0 type veth peer name mine1 && ip link set mine0 master mybr && ip link set mine0 address 02:00:00:00:09:09")
        .step(state)
        .step("netscript s.rhai")
        .step(state)
        .step("netscript down s")
        .step(state)
        .run();
    out[0].success();
    out[2].success();
    let pick = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let l = &v[0];
                serde_json::json!([
                    l["ifalias"],
                    l["txqlen"],
                    l["address"],
                    l["promiscuity"],
                    l["linkinfo"]["info_data"]["stp_state"],
                    l["linkinfo"]["info_data"]["ageing_time"],
                    l["linkinfo"]["info_slave_data"]["hairpin"],
                    l["linkinfo"]["info_slave_data"]["learning"]
                ])
            })
            .collect()
    };
    let (before, during, after) = (pick(&out[1].stdout), pick(&out[3].stdout), pick(&out[5].stdout));
    assert_ne!(before, during);
    assert_eq!(during[0][0], "borrowed");
    assert_eq!(during[1][4], 1);
    out[4].success().stdout_has("set back");
    assert_eq!(before, after, "not set back:\n{}", out[4].stdout);
}

const TABLES: &str = r#"
let s = netns_add("s");
s.bridge_add("br0");
s.veth_add("p0", "p1");
s.link_set_master("p0", "br0");
s.link_up("br0");
s.link_up("p0");
s.veth_add("under0", "under1");
s.addr_add("under0", "192.0.2.1/24");
s.vxlan_add("vx0", #{vni: 100, dev: "under0", dstport: 4789});
s.fdb_append("vx0", "00:00:00:00:00:00", #{dst: "192.0.2.2"});
s.fdb_append("vx0", "00:00:00:00:00:00", #{dst: "192.0.2.3"});
s.fdb_add("vx0", "02:00:00:00:00:aa", #{dst: "192.0.2.2", vni: 100, state: "static"});
s.fdb_add("p0", "02:00:00:00:00:bb", #{master: true, state: "static"});
s.fdb_append("vx0", "00:00:00:00:00:00", #{dst: "192.0.2.4"});
s.fdb_del("vx0", "00:00:00:00:00:00", #{dst: "192.0.2.4"});
s.addr_add("p1", "10.0.0.1/24");
s.neigh_add("p1", "10.0.0.2", "02:00:00:00:00:02");
s.neigh_add("p1", "10.0.0.3", #{lladdr: "02:00:00:00:00:03"});
s.neigh_add("p1", "10.0.0.99", #{proxy: true});
s.neigh_add("p1", "fd00::2", "02:00:00:00:00:22");
s.neigh_del("p1", "10.0.0.3");
print(s.fdb_list("vx0").len());
print(s.neigh_list().filter(|n| n.state == "PERMANENT" || n.proxy).len());
// And on a link of the user's, where it is undone by itself.
neigh_add("hv0", "10.9.0.2", "02:00:00:00:00:09");
"#;

#[test]
fn fdb_and_neighbour_entries() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("t.rhai", TABLES)
        .step("ip link add hv0 type veth peer name hv1 && netscript t.rhai")
        .step("bridge -n s -j fdb show dev vx0")
        .step("bridge -n s -j fdb show dev p0")
        .step("ip -n s -j neigh show dev p1; ip -n s -j neigh show proxy")
        .step("ip neigh add 10.9.0.3 lladdr 02:00:00:00:00:0a dev hv0 nud permanent && netscript down t && ip -j neigh show dev hv0")
        .run();
    out[0].success().stdout_has("3\n3\n");
    let fdb = out[1].json();
    let entries: Vec<(String, String, String)> = fdb
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dst"].is_string())
        .map(|e| {
            (
                e["mac"].as_str().unwrap().into(),
                e["dst"].as_str().unwrap().into(),
                e["state"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    let expected = [
        ("00:00:00:00:00:00", "192.0.2.2", "permanent"),
        ("00:00:00:00:00:00", "192.0.2.3", "permanent"),
        ("02:00:00:00:00:aa", "192.0.2.2", "static"),
    ];
    for (mac, dst, state) in expected {
        assert!(
            entries.contains(&(mac.into(), dst.into(), state.into())),
            "{entries:?} lacks {mac} {dst} {state}"
        );
    }
    assert_eq!(entries.len(), 3, "{entries:?}");
    let port = out[2].json();
    assert!(
        port.as_array().unwrap().iter().any(|e| e["mac"] == "02:00:00:00:00:bb" && e["state"] == "static"),
        "{port}"
    );
    let mut lines = out[3].stdout.lines();
    let neigh: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let found: Vec<(String, String)> = neigh
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["dst"].as_str().unwrap().into(), n["state"][0].as_str().unwrap().into()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(&("10.0.0.2".into(), "PERMANENT".into()))
            && found.contains(&("fd00::2".into(), "PERMANENT".into()))
    );
    let proxies: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(proxies[0]["dst"], "10.0.0.99");
    // down removed the lab's entry on the host and left the user's.
    out[4].success().stdout_has("removed 1 namespace, 1 neighbour entry");
    let left: Value = serde_json::from_str(out[4].stdout.lines().last().unwrap()).unwrap();
    let dsts: Vec<&str> = left.as_array().unwrap().iter().map(|n| n["dst"].as_str().unwrap()).collect();
    assert_eq!(dsts, ["10.9.0.3"]);
}

/// Whether this kernel can make a VLAN (asked in a sandbox of its own).
fn kernel_has_vlans() -> bool {
    let out = Sandbox::new()
        .step("ip link add d0 type veth peer name d1 && ip link add link d0 name d0.5 type vlan id 5")
        .run();
    out[0].code == 0
}

#[test]
fn a_kind_this_kernel_lacks_is_a_clear_error_and_nothing_is_made() {
    if !privileged() || kernel_has_vlans() {
        return;
    }
    let script =
        "let a = netns_add(\"a\");\na.veth_add(\"e0\", \"e1\");\na.vlan_add(\"e0.10\", \"e0\", 10);\n";
    let out = Sandbox::new()
        .file("v.rhai", script)
        .step("netscript v.rhai")
        .step("ls /run/netns; ip -br link; ls /run/netscript/labs")
        .run();
    out[0]
        .failure(1)
        .stderr_has("v.rhai:3:")
        .stderr_has("cannot add vlan 'e0.10' (id 10 on 'e0') in namespace 'a'")
        .stderr_has("this kernel has no VLAN support (module 8021q, CONFIG_VLAN_8021Q)");
    assert!(out[1].stdout.starts_with("lo "), "left behind:\n{}", out[1].stdout);
    assert_eq!(out[1].stdout.lines().count(), 1, "left behind:\n{}", out[1].stdout);
}
