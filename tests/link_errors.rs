//! Bad input to the link kinds, fdb, rules and routes of issue 16: an error
//! at the script's line that says what is wrong, exit code 1, and nothing
//! made (the sandbox as it was before the run).

use crate::support::{Sandbox, privileged};

const SNAPSHOT: &str = "ls /run/netns; ip -br link; ip rule; ip route show table all; \
     for ns in $(ls /run/netns); do echo \"== $ns\"; ip -n $ns -br link; ip -n $ns rule; ip -n $ns route show table all; done";

/// Runs `body` after some work that must be rolled back, and checks the
/// message, its line, and that the sandbox is as before.
#[track_caller]
fn fails_cleanly(body: &str, expected: &[&str]) {
    if !privileged() {
        return;
    }
    let script = format!(
        "let a = netns_add(\"a\");\na.veth_add(\"e0\", \"e1\");\na.addr_add(\"e0\", \"10.1.0.2/24\");\na.link_up(\"e0\");\nveth_add(\"h0\", \"h1\");\n{body}\n"
    );
    let out = Sandbox::new()
        .file("bad.rhai", &script)
        .step("ip netns add other && ip -n other link add far0 type veth peer name far1")
        .step(SNAPSHOT)
        .step("netscript bad.rhai")
        .step(SNAPSHOT)
        .run();
    out[0].success();
    let run = &out[2];
    run.failure(1).stderr_has("bad.rhai:6:");
    for text in expected {
        run.stderr_has(text);
    }
    run.stderr_has("rolled back");
    assert_eq!(out[1].stdout, out[3].stdout, "the sandbox changed:\n{}", run.stderr);
}

#[test]
fn a_vni_over_24_bits() {
    fails_cleanly(
        r#"a.vxlan_add("vx0", #{vni: 16777216, dstport: 4789});"#,
        &["cannot add vxlan 'vx0' (vni 16777216) in namespace 'a'", "VNI 16777216 is over 16777215"],
    );
}

#[test]
fn a_vlan_id_over_4094() {
    fails_cleanly(
        r#"a.vlan_add("e0.5000", "e0", 5000);"#,
        &["cannot add vlan 'e0.5000'", "VLAN id 5000 is not from 0 to 4094"],
    );
}

#[test]
fn a_macvlan_whose_parent_is_missing_or_elsewhere() {
    fails_cleanly(
        r#"a.macvlan_add("mv0", "nothere");"#,
        &[
            "cannot add macvlan 'mv0' (on 'nothere')",
            "the parent link 'nothere' of the macvlan does not exist in namespace 'a'",
        ],
    );
    fails_cleanly(
        r#"a.macvlan_add("mv0", "far0");"#,
        &[
            "the parent link 'far0' of the macvlan is not in namespace 'a' but in namespace 'other'",
            "link_set_netns",
        ],
    );
}

#[test]
fn a_rule_without_a_selector() {
    fails_cleanly(
        r#"a.ip_rule_add(#{table: 100, priority: 10});"#,
        &["cannot add rule", "a rule needs a selector: from, to, iif, oif or fwmark"],
    );
}

#[test]
fn a_table_name_not_in_rt_tables() {
    fails_cleanly(
        r#"a.route_add("default", #{via: "10.1.0.1", table: "no-such-table"});"#,
        &["table 'no-such-table' is not in /etc/iproute2/rt_tables"],
    );
}

#[test]
fn a_multipath_route_with_an_unreachable_gateway() {
    fails_cleanly(
        r#"a.route_add("198.51.100.0/24", #{nexthops: [#{via: "10.1.0.1"}, #{via: "10.99.0.1", weight: 2}]});"#,
        &[
            "a gateway of the multipath route (10.1.0.1, 10.99.0.1) is not reachable from any route in namespace 'a'",
        ],
    );
}

#[test]
fn a_key_that_is_not_32_bytes_of_base64() {
    fails_cleanly(
        r#"a.wireguard_add("wg0", #{private_key: "c2hvcnQ="});"#,
        &["cannot add wireguard interface 'wg0'", "'c2hvcnQ=' is 5 bytes of base64; a WireGuard key is 32"],
    );
    fails_cleanly(
        r#"a.wireguard_add("wg0", #{peers: [#{public_key: "not a key", allowed_ips: ["10.9.0.2/32"]}]});"#,
        &["peer public key: 'not a key' is not a WireGuard key (32 bytes in base64)"],
    );
}

#[test]
fn unknown_options_are_named() {
    fails_cleanly(
        r#"a.vxlan_add("vx0", #{vni: 5, remot: "192.0.2.2"});"#,
        &[
            "unknown vxlan option 'remot'; the options are: vni, id, remote, group, local, dstport, dev, learning, ttl",
        ],
    );
    fails_cleanly(
        r#"a.fdb_append("e0", "zz:00:00:00:00:00", #{dst: "192.0.2.2"});"#,
        &["'zz:00:00:00:00:00' is not a MAC address"],
    );
}
