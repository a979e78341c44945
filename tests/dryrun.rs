//! `--dry-run` prints commands that really build the lab: run by bash in one
//! sandbox they give the same state, links, addresses, routes, nft rules and
//! forwarding, as netscript itself in another. And it needs no root.

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged};

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
    let real = real.step(DUMP).run();
    let dry = dry.step(DUMP).step("cat s*.sh").run();
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
        &format!("{name}: netscript, then its dry run\n{}", dry.last().unwrap().stdout),
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
fn script(name: &str) -> String {
    std::fs::read_to_string(format!("{}/scripts/{name}.rhai", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

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
