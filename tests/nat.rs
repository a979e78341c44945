//! Forwarding and NAT, with a stand-in internet: a namespace behind the
//! router's uplink veth, with documentation addresses.

use serde_json::Value;

use crate::support::{Sandbox, privileged};

/// The internet (`inet`: 203.0.113.1 on the uplink, 198.51.100.1 behind
/// it), a router namespace with its uplink `up0` = 203.0.113.2 and a LAN
/// bridge 10.0.0.1/24, and two LAN hosts h1, h2. The internet has no route
/// back to the LAN: only masquerade gets replies home.
pub const TOPOLOGY: &str = r#"
let inet = netns_add("inet");
let router = netns_add("router");
veth_add(router, "up0", inet, "isp0");
router.addr_add("up0", "203.0.113.2/24");
inet.addr_add("isp0", "203.0.113.1/24");
router.link_up("up0");
inet.link_up("isp0");
inet.bridge_add("wan");
inet.addr_add("wan", "198.51.100.1/24");
inet.link_up("wan");
router.route_add("default", "203.0.113.1");
router.bridge_add("lan0");
router.addr_add("lan0", "10.0.0.1/24");
router.link_up("lan0");
// Bridged traffic goes through the nat hooks too, as on many hosts.
router.sysctl_set("net.bridge.bridge-nf-call-iptables", 1);
let n = 11;
for name in ["h1", "h2"] {
    let h = netns_add(name);
    veth_add(router, name + "-port", h, "eth0");
    router.link_set_master(name + "-port", "lan0");
    router.link_up(name + "-port");
    h.addr_add("eth0", `10.0.0.${n}/24`);
    h.link_up("eth0");
    h.route_add("default", "10.0.0.1");
    n += 1;
}
"#;

const BEFORE: &str = r#"
try {
    netns("h1").source_seen("inet", "198.51.100.1", #{timeout: 1});
    print("reachable");
} catch (err) {
    print("unreachable");
}
"#;

pub const NAT: &str = r#"
let router = netns("router");
router.forwarding(true);
router.masquerade("10.0.0.0/24", router.uplink());
router.masquerade("10.0.0.0/24", "up0");            // twice: still one rule
router.forward_accept("lan0", "up0");
router.port_forward(8080, "10.0.0.12:80", #{iif: "up0"});
print(netns("h1").source_seen("inet", "198.51.100.1"));
print(netns("h1").source_seen("h2", "10.0.0.12"));
print(netns("inet").source_seen("h2", "203.0.113.2:8080", #{listen_port: 80}));
"#;

fn comments(table: &Value) -> Vec<String> {
    let mut found: Vec<String> = table["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["rule"]["comment"].as_str().map(String::from))
        .collect();
    found.sort();
    found
}

#[test]
fn masquerade_forward_and_port_forward_through_a_router() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("topology.rhai", TOPOLOGY)
        .file("before.rhai", BEFORE)
        .file("nat.rhai", NAT)
        .step("netscript topology.rhai")
        .step("netscript before.rhai")
        .step("netscript nat.rhai")
        .step("ip netns exec router nft -j list table inet netscript")
        .step("ip netns exec router cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding")
        .step("ip netns exec router nft -j list ruleset")
        .run();
    out[0].success();
    out[1].success().stdout_has("unreachable");
    let seen: Vec<&str> = out[2].success().stdout.lines().collect();
    // The internet sees the router's uplink; the LAN host sees its neighbour
    // as it is; behind the port forward, the server sees the real client.
    assert_eq!(seen, ["203.0.113.2", "10.0.0.11", "203.0.113.1"]);
    assert_eq!(
        comments(&out[3].json()),
        [
            "netscript/nat: accept dnat tcp 8080 on up0 to 10.0.0.12:80",
            "netscript/nat: dnat tcp 8080 on up0 to 10.0.0.12:80",
            "netscript/nat: forward lan0 to up0",
            "netscript/nat: masquerade 10.0.0.0/24 out up0",
            "netscript/nat: replies up0 to lan0",
        ]
    );
    assert_eq!(out[4].stdout, "1\n1\n");
    // Ours is the only table, with hooked chains, each made when a rule first needed it.
    let ruleset = out[5].json();
    let chains: Vec<(String, String)> = ruleset["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.get("chain"))
        .map(|c| (c["table"].as_str().unwrap().to_string(), c["hook"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        chains,
        [
            ("netscript".to_string(), "postrouting".to_string()),
            ("netscript".to_string(), "forward".to_string()),
            ("netscript".to_string(), "prerouting".to_string())
        ]
    );
}

#[test]
fn a_failed_run_removes_its_rules_and_restores_forwarding() {
    if !privileged() {
        return;
    }
    let script = r#"
        forwarding(true);
        bridge_add("lan0");
        masquerade("10.0.0.0/24", "lo");
        forward_accept("lan0", "lo");
        print(sysctl_get("net.ipv4.ip_forward"));
        throw "stop here";
    "#;
    let out = Sandbox::new()
        .file("fail.rhai", script)
        // A table of the user's own, which must stay as it is.
        .step("nft add table ip mine && nft add chain ip mine post '{ type nat hook postrouting priority 100; }'")
        .step("nft list ruleset")
        .step("netscript fail.rhai")
        .step("nft list ruleset; cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding")
        .run();
    out[0].success();
    out[2].failure(1).stdout_has("1\n").stderr_has("stop here").stderr_has("rolled back");
    assert_eq!(out[3].stdout, format!("{}0\n0\n", out[1].stdout));
}

#[test]
fn bad_nat_input_is_refused_with_position() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("a.rhai", "bridge_add(\"br0\");\nmasquerade(\"10.0.0.300/24\", \"br0\");\n")
        .file("b.rhai", "bridge_add(\"br0\");\nmasquerade(\"10.0.0.0/24\", \"nope0\");\n")
        .file("d.rhai", "let r = netns_add(\"gone\");\nnetns_del(\"gone\");\nr.forwarding(true);\n")
        .file("e.rhai", "uplink();\n")
        .step("netscript a.rhai")
        .step("netscript b.rhai")
        .step("netscript d.rhai")
        .step("netscript e.rhai")
        .step("nft list ruleset; ip -br link; cat /proc/sys/net/ipv4/ip_forward")
        .run();
    out[0].failure(1).stderr_has("a.rhai:2:1").stderr_has("'10.0.0.300' is not a valid IPv4 address");
    out[1].failure(1).stderr_has("b.rhai:2:1").stderr_has("no link named 'nope0' in the host namespace");
    out[2].failure(1).stderr_has("d.rhai:3:3").stderr_has("namespace 'gone' does not exist");
    out[3].failure(1).stderr_has("no default route in the host namespace; pass uplink=IFNAME");
    assert_eq!(
        out[4].stdout,
        "lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n0\n"
    );
}
