//! `--dry-run` prints commands that really build the lab: run by bash in one
//! sandbox they give the same state, links, addresses, routes, nft rules and
//! forwarding, as netscript itself in another. And it needs no root.

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged, script_text as script};

/// Runs each (script, params) with netscript in one sandbox and its dry run
/// (run by bash as root) in another, and compares the states. The first dry
/// run is made by an unprivileged user; later scripts build on namespaces
/// the earlier ones made, whose insides only root can read, so their dry
/// runs are made as root.
#[track_caller]
fn same_state_both_ways(name: &str, steps: &[(&str, &str)]) {
    same_state_after(name, &[], steps);
}

/// The same, after `setup` (shell steps, run in both sandboxes with netscript
/// itself, such as a stand-in internet); then every dry run is made as root,
/// since it must look inside the namespaces the setup made.
#[track_caller]
fn same_state_after(name: &str, setup: &[&str], steps: &[(&str, &str)]) {
    if !privileged() {
        return;
    }
    let mut real = Sandbox::new();
    let mut dry = Sandbox::new();
    for step in setup {
        real = real.step(step);
        dry = dry.step(step);
    }
    let offset = setup.len();
    for (i, (script, params)) in steps.iter().enumerate() {
        let file = format!("s{i}.rhai");
        real = real.file(&file, script).step(&format!("netscript --lab l{i} {file} {params}"));
        let user = if i == 0 && setup.is_empty() {
            "setpriv --reuid 65534 --regid 65534 --clear-groups"
        } else {
            ""
        };
        dry = dry.file(&file, script).step(&format!(
            "{user} netscript --dry-run --lab l{i} /dev/stdin {params} <{file} >s{i}.sh && bash -e s{i}.sh"
        ));
    }
    // The labs' listeners end with their sandboxes.
    let stop = "for ns in $(ls /run/netns); do kill $(ip netns pids $ns) 2>/dev/null; done; true";
    let real = real.step(DUMP).step(stop).run();
    let dry = dry.step(DUMP).step("cat s*.sh").step(stop).run();
    let end = offset + steps.len();
    for (i, out) in real.iter().take(end).enumerate() {
        out.success();
        dry[i].success();
        assert!(dry[i].stderr.is_empty() || !dry[i].stderr.contains("rror"), "step {i}: {}", dry[i].stderr);
    }
    let (real_state, dry_state) = (normalize(&real[end].json()), normalize(&dry[end].json()));
    assert_same_state(
        &real_state,
        &dry_state,
        &format!("{name}: netscript, then its dry run\n{}", dry[end + 1].stdout),
    );
}

#[test]
fn bridge_lab() {
    same_state_both_ways("bridge lab", &[(crate::equivalence::SCRIPT, "")]);
}

#[test]
fn star_with_nat() {
    same_state_both_ways("star", &[(crate::lifecycle::STAR, "hosts=5")]);
}

#[test]
fn router_with_nat_and_port_forward() {
    same_state_both_ways("nat", &[(crate::nat::TOPOLOGY, ""), (crate::nat::NAT, "")]);
}

#[test]
fn veth_pair_tutorial() {
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/veth-pair.rhai")).unwrap();
    same_state_both_ways("veth-pair", &[(&script, "subnet=10.5.0.0/24")]);
}

#[test]
fn links_addresses_and_routes_of_every_kind() {
    let script = r#"
        let lab = netns_add("lab");
        let quiet = netns_add("quiet", #{lo: false});
        bridge_add("br0");
        bridge_add("br1");
        veth_add("a0", "a1");
        veth_add(lab, "b0", host(), "b1");
        link_set_master("a0", "br0");
        link_set_master("b1", "br0");
        link_nomaster("b1");
        link_set_mtu("a0", 1400);
        link_rename("a1", "renamed");
        link_set_netns("renamed", lab);
        lab.link_up("renamed");
        lab.link_up("b0");
        link_up("b1");
        link_up("br0");
        link_del("br1");
        lab.addr_add("b0", "192.0.2.2/24");
        lab.addr_add("b0", "2001:db8::2/64");
        addr_add("b1", "192.0.2.1/24");
        addr_add("b1", "192.0.2.9/24");
        addr_del("b1", "192.0.2.9/24");
        lab.route_add("default", "192.0.2.1");
        lab.route_add("198.51.100.0/24", #{via: "192.0.2.7", dev: "b0", metric: 50});
        lab.route_add("203.0.113.0/24", #{dev: "b0"});
        lab.route_add("10.0.0.0/8", "192.0.2.3");
        lab.route_del("10.0.0.0/8", "192.0.2.3");
        lab.route_add("default", "2001:db8::1");
        lab.forwarding(true);
        lab.masquerade("10.0.0.0/24", "b0");
        lab.port_forward(53, "10.0.0.5", #{proto: "udp"});
    "#;
    same_state_both_ways("links", &[(script, "")]);
}

/// Every firewall form: filter rules with each key, raw rules in filter and
/// NAT chains, policies, every NAT form, in a namespace of the lab's and
/// on the host (where a drop policy must be meant).
const FIREWALL_FORMS: &str = r#"
let fw = netns_add("fw");
veth_add(fw, "a0", host(), "a1");
fw.addr_add("a0", "192.0.2.2/24");
fw.addr_add("a0", "2001:db8::2/64");
fw.link_up("a0");
addr_add("a1", "192.0.2.1/24");
link_up("a1");
fw.bridge_add("lan0");
fw.addr_add("lan0", "10.0.0.1/24");
fw.policy("input", "drop");
fw.policy("forward", "drop");
fw.policy("output", "accept");
fw.rule_add("input", #{iif: "lo", verdict: "accept"});
fw.rule_add("input", #{ct: ["established", "related"], verdict: "accept"});
fw.rule_add("input", #{proto: "icmp", icmp_type: ["echo-request", 3], verdict: "accept", counter: "ping"});
fw.rule_add("input", #{proto: "icmpv6", verdict: "accept"});
fw.rule_add("input", #{proto: "tcp", dport: [22, "8000-8080"], saddr: ["192.0.2.0/24", "198.51.100.7"], verdict: "accept", log: "ssh: "});
fw.rule_add("input", #{proto: "udp", sport: 53, daddr: "2001:db8::/64", verdict: "reject"});
fw.rule_add("input", #{proto: 47, verdict: "drop"});
fw.rule_add("input", #{proto: "tcp", verdict: "reject"});
fw.rule_add("input", #{proto: "tcp", verdict: "reject"});
fw.rule_add("forward", #{iif: ["lan0"], oif: "a0", ct: "new", verdict: "accept"});
fw.rule_add("output", #{oif: "a0", proto: "udp", dport: 53, verdict: "accept", counter: "dns"});
fw.rule_add("input", "tcp dport 9000 counter accept", #{counter: "raw"});
fw.rule_add("postrouting", "oifname \"a0\" ip saddr 10.9.0.0/24 masquerade");
fw.masquerade("a0");
fw.masquerade("10.0.0.0/24", "a0");
fw.snat("10.1.0.0/24", "a0", "192.0.2.9");
fw.port_forward(8080, "10.0.0.5:80", #{iif: "a0"});
fw.port_forward(5353, "[2001:db8::5]:53", #{proto: "udp"});
fw.redirect(53, 5353, #{proto: "udp"});
fw.redirect(8443, 443, #{iif: "a0"});
fw.forward_accept("lan0", "a0");
policy("forward", "drop", #{whole_namespace: true});
rule_add("forward", #{iif: "a1", verdict: "accept"});
masquerade("a1");
"#;

#[test]
fn every_firewall_form() {
    same_state_both_ways("firewall forms", &[(FIREWALL_FORMS, "")]);
}

#[test]
fn dry_run_needs_no_root_and_changes_nothing() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", crate::equivalence::SCRIPT)
        .step("ls /run/netns; ip -br link")
        .step("setpriv --reuid 65534 --regid 65534 --clear-groups netscript --dry-run --lab x /dev/stdin <lab.rhai")
        .step("ls /run/netns; ip -br link; ls /run/netscript")
        .run();
    out[1]
        .success()
        .stdout_has("ip netns add web-ns\n")
        .stdout_has("ip -n web-ns route add default via 192.168.15.1\n");
    assert_eq!(out[0].stdout, out[2].stdout);
}

/// The labs of scripts/, as their tests run them.
fn stand_in(uplink: &str) -> String {
    format!(
        "netscript --lab internet {}/tests/support/internet.rhai uplink={uplink}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn every_script_in_scripts() {
    for (name, params) in [
        ("star", "hosts=20 check=true"),
        ("star", "hosts=5 ipv6=false"),
        ("routers", "routers=3"),
        ("veth-pair", ""),
        ("firewall", ""),
        ("router-firewall", ""),
    ] {
        same_state_both_ways(name, &[(&script(name), params)]);
    }
    for (name, uplink) in [
        ("bridge-nat", "eth0"),
        ("bridge-lab", "eth0"),
        ("internal-external", "eth0"),
        ("host-gateway", "enp1s0"),
    ] {
        same_state_after(name, &[&stand_in(uplink)], &[(&script(name), "internet=internet")]);
    }
}
