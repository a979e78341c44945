//! `netscript import`: each tutorial's commands, as it prints them
//! (tests/fixtures/import/), become a script that builds, in a sandbox with
//! a stand-in uplink, a lab that works: the tutorial's pings succeed (the
//! script's own checks, and iputils' ping as an observer of its own), and
//! NAT is seen from the stand-in internet. The mistakes each tutorial has
//! are named with their lines. And netscript's own dry runs import back
//! into scripts whose dry runs print the same commands.

use std::process::Command;

use crate::support::sandbox::Output;
use crate::support::{Sandbox, privileged};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `netscript import FILE`, needing no root.
fn import(name: &str) -> Output {
    let out =
        Command::new(env!("CARGO_BIN_EXE_netscript")).args(["import", &fixture(name)]).output().unwrap();
    Output {
        command: format!("netscript import {name}"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Bridge netfilter on where the kernel has it, so a masquerade that also
/// rewrites bridged traffic would show.
const BRIDGE_NETFILTER: &str =
    "f=/proc/sys/net/bridge/bridge-nf-call-iptables; if [ -e $f ]; then echo 1 >$f; fi";

fn ping(ns: &str, addr: &str) -> String {
    match ns {
        "" => format!("ping -c 1 -W 2 {addr}"),
        ns => format!("ip netns exec {ns} ping -c 1 -W 2 {addr}"),
    }
}

/// The NAT probe, run after the lab is up: a connection from `ns` to the
/// stand-in internet must arrive from the uplink's address.
fn nat_probe(namespaces: &[&str]) -> String {
    let mut script = String::from("import \"check\" as check;\n");
    for ns in namespaces {
        script.push_str(&format!(
            "print(check::nat(netns(\"{ns}\"), \"internet\", \"198.51.100.1\", \"eth0\"));\n"
        ));
    }
    script
}

/// Imports the fixture, builds the lab in a sandbox (with a stand-in
/// internet when it is a NAT lab), then pings with iputils and, for NAT,
/// probes from the stand-in. Returns the import's output.
#[track_caller]
fn builds_a_working_lab(name: &str, pings: &[(&str, &str)], nat_from: &[&str]) -> Output {
    let imported = import(name);
    imported.success();
    if !privileged() {
        return imported;
    }
    let params = if nat_from.is_empty() { "" } else { "internet=internet" };
    let mut sandbox = Sandbox::new()
        .file("lab.rhai", &imported.stdout)
        .file("probe.rhai", &nat_probe(nat_from))
        .step(BRIDGE_NETFILTER)
        .step(&format!("netscript --lab lab lab.rhai {params}"));
    for (ns, addr) in pings {
        sandbox = sandbox.step(&ping(ns, addr));
    }
    if !nat_from.is_empty() {
        sandbox = sandbox.step("netscript --lab probe probe.rhai");
    }
    let out = sandbox.run();
    out[1].success();
    for step in &out[2..] {
        step.success();
    }
    if !nat_from.is_empty() {
        let seen: Vec<&str> = out.last().unwrap().stdout.lines().collect();
        assert_eq!(seen, vec!["203.0.113.2"; nat_from.len()], "{name}: NAT as the internet sees it");
    }
    imported
}

#[test]
fn internal_external() {
    let out = builds_a_working_lab(
        "000-internal-external.md",
        &[
            ("ns_internal", "192.168.2.1"),
            ("ns_external", "192.168.1.1"),
            // The internet has no route back to the lab: an answer is NAT's.
            ("ns_internal", "198.51.100.1"),
        ],
        &["ns_internal"],
    );
    out.stderr_has("000-internal-external.md:14: the interface name 'veth_internal_ns' is 16 bytes")
        .stderr_has("  veth_internal_ns -> veth_int_ns\n")
        .stderr_has("  veth_external_ns -> veth_ext_ns\n")
        .stderr_has(":14: 'veth_int_ns' (in ns_internal) is never brought up")
        .stderr_has(":29: forwarding is never turned on")
        .stderr_has(":33: the route 192.168.1.0/24 via 192.168.2.1 dev veth_ext_ns in namespace 'ns_external' goes via 192.168.2.1, the namespace's own address")
        .stderr_has(":37: namespace 'ns_internal' has no route to 192.168.2.1");
    out.stdout_has("let uplink = nat::uplink(param(\"uplink\", \"\"), internet);\n")
        .stdout_has("let internal_subnet = cidr(param(\"internal_subnet\", \"192.168.1.0/24\"));\n")
        .stdout_has("veth_add(host(), \"veth_internal\", ns_internal, \"veth_int_ns\");\n")
        .stdout_has("masquerade(internal_subnet, uplink);\n");
}

#[test]
fn bridge_nat() {
    let out = builds_a_working_lab(
        "001-bridge-nat.txt",
        &[("web-ns", "192.168.15.6"), ("db-ns", "192.168.15.5"), ("web-ns", "198.51.100.1")],
        &["web-ns", "db-ns"],
    );
    out.stderr_has("001-bridge-nat.txt:10: 'vnet-0' is never brought up")
        .stderr_has("001-bridge-nat.txt:50: the masquerade has no -o")
        .stderr_has("001-bridge-nat.txt:50: forwarding is never turned on");
    out.stdout_has("let subnet = cidr(param(\"subnet\", \"192.168.15.0/24\"));\n")
        .stdout_has("web_ns.addr_add(\"eth0-web\", subnet.host(5));\n")
        .stdout_has("masquerade(subnet, uplink);\n");
}

#[test]
fn host_gateway() {
    let out = builds_a_working_lab(
        "002-host-gateway.md",
        &[("ns1", "10.0.0.1"), ("", "10.0.0.2"), ("ns1", "198.51.100.1")],
        &["ns1"],
    );
    // The summary repeats the NAT rule: once is enough.
    out.stderr_has("002-host-gateway.md:126: this adds the same rule as line 93")
        .stderr_has("output pasted with the commands")
        .stderr_has("the ping to google.com leaves the lab");
    out.stdout_has("forward_accept(\"veth-host\", uplink);\n")
        .stdout_has("check::nat(ns1, internet, \"198.51.100.1\", uplink);");
    assert!(
        !out.stderr.contains("warning: ") || out.stderr.matches("warning: ").count() == 1,
        "{}",
        out.stderr
    );
}

#[test]
fn veth_pair() {
    let out = builds_a_working_lab(
        "003-veth-pair.md",
        &[("client", "10.0.0.2"), ("server", "10.0.0.1"), ("test", "10.0.0.2"), ("", "10.0.0.1")],
        &[],
    );
    // The notes work as written; their general forms are templates.
    assert!(!out.stderr.contains("warning: "), "{}", out.stderr);
    out.stderr_has("commands with placeholders");
    out.stdout_has("veth_add(server, \"pair-server\", client, \"pair-client\");\n")
        .stdout_has("let client = netns_add(\"client\");\n");
    assert!(!out.stdout.contains("<namespace-name>"), "{}", out.stdout);
}

#[test]
fn bridge_lab() {
    let out = builds_a_working_lab(
        "004-bridge-lab.md",
        &[("", "192.168.15.1"), ("one", "192.168.15.2"), ("one", "198.51.100.1")],
        &["one"],
    );
    out.stderr_has("004-bridge-lab.md:54: the masquerade has no -o")
        .stderr_has("004-bridge-lab.md:54: forwarding is never turned on")
        .stderr_has("the first is taken");
    out.stdout_has("one.link_del(\"veth-one\");\n")
        .stdout_has("check::nat(one, internet, \"198.51.100.1\", uplink);");
}

/// Every script in scripts/, as its dry run prints it, imported again:
/// the new script's dry run prints the same commands.
#[test]
fn dry_runs_import_back_to_the_same_commands() {
    if !privileged() {
        return;
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    let scripts = [
        ("bridge-lab", "internet=internet"),
        ("bridge-nat", "internet=internet"),
        ("firewall", ""),
        ("grid", ""),
        ("host-gateway", "internet=internet"),
        ("internal-external", "internet=internet"),
        ("policy-routing", ""),
        // Its own internet namespace, away from the stand-in's name.
        ("router-firewall", "internet=wan"),
        ("routers", ""),
        ("star", ""),
        ("veth-pair", ""),
        ("vlan-trunk", ""),
        ("vxlan", ""),
    ];
    let mut sandbox = Sandbox::new()
        .step(&format!("netscript --lab internet {dir}/tests/support/internet.rhai uplink=eth0"));
    for (name, params) in scripts {
        // The imported script reads the uplink and the stand-in only where the lab has NAT out of the host.
        let again = if params.contains("internet=internet") { params } else { "" };
        sandbox = sandbox.step(&format!(
            "netscript --dry-run {dir}/scripts/{name}.rhai {params} >{name}.sh && netscript import {name}.sh -o {name}.rhai \
             && netscript --dry-run {name}.rhai {again} >{name}.again.sh \
             && diff <(grep -v '^#' {name}.sh) <(grep -v '^#' {name}.again.sh) && cat {name}.rhai"
        ));
    }
    let out = sandbox.run();
    out[0].success();
    for (i, (name, _)) in scripts.iter().enumerate() {
        let step = &out[i + 1];
        step.success();
        assert!(
            !step.stderr.contains("warning:"),
            "{name}: netscript's own dry run has no mistakes:\n{}",
            step.stderr
        );
        assert!(!step.stderr.contains("not modelled"), "{name}: all of it is modelled:\n{}", step.stderr);
    }
}

/// --check builds the tutorial's commands and the script side by side and
/// says what differs, and why.
#[test]
fn check_builds_both_and_explains_the_differences() {
    if !privileged() {
        return;
    }
    let run = |name: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_netscript"))
            .args(["import", &fixture(name), "--check", "-o", "/dev/null"])
            .output()
            .unwrap();
        Output {
            command: format!("netscript import {name} --check"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    };
    let out = run("000-internal-external.md");
    out.success()
        .stderr_has("line 14: `ip link add veth_internal type veth peer name veth_internal_ns` exited 255")
        .stderr_has("the script: built, and its checks passed")
        .stderr_has("ns_internal: link veth_int_ns (veth) up   (import's fix, line 14)")
        .stderr_has("every difference comes from a fix import made");
    // With iptables there to run the tutorial's rules, the rule it adds twice
    // is the one difference.
    if Command::new("iptables").arg("--version").output().is_ok_and(|o| o.status.success()) {
        run("002-host-gateway.md")
            .success()
            .stderr_has("the tutorial's commands: 15 run, 0 failed")
            .stderr_has("host: masquerade 10.0.0.0/24 out enp1s0 (2 times)   (import's fix, line 126)")
            .stderr_has("every difference comes from a fix import made");
    }
    let out = run("003-veth-pair.md");
    out.success()
        .stderr_has("the tutorial's commands: 17 run, 0 failed")
        .stderr_has("client: link lo (loopback) up   (netns_add brings loopback up)");
}

/// `tc qdisc add ... root tbf` becomes link_shape: the imported lab's links
/// carry the token bucket tc shows, at the tutorial's rate, and `down`
/// takes it away with the links.
#[test]
fn shaping_with_tc_becomes_link_shape() {
    let imported = import("005-shaped-wan.sh");
    imported.success();
    imported.stdout_has(
        "site_a.link_shape(\"wan-a\", #{rate: \"1mbit\", burst: \"32kbit\", latency: \"400ms\"});\n",
    );
    assert!(!imported.stdout.contains("exec(\"tc qdisc add"), "{}", imported.stdout);
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", &imported.stdout)
        .step("netscript --lab wan lab.rhai")
        .step("ip netns exec site-a tc -j qdisc show dev wan-a")
        .step("ip netns exec site-b tc -j qdisc show dev wan-b")
        .step("netscript down wan")
        .step("ip netns list")
        .run();
    for step in &out {
        step.success();
    }
    for shown in [&out[1].stdout, &out[2].stdout] {
        let qdiscs: serde_json::Value = serde_json::from_str(shown).unwrap();
        let root = &qdiscs[0];
        assert_eq!(root["kind"], "tbf", "{shown}");
        // tc -j gives the rate in bytes a second: 1 mbit/s.
        assert_eq!(root["options"]["rate"], 125_000, "{shown}");
    }
    assert_eq!(out[4].stdout.trim(), "", "down leaves no namespace");
}

#[test]
fn files_written_under_etc_netns_become_the_nodes_write_file() {
    let imported = import("006-netns-resolv.sh");
    imported.success();
    imported
        .stdout_has("dns_client.write_file(\"/etc/resolv.conf\", \"nameserver 10.53.0.1\\n\");\n")
        .stdout_has(
            "dns_client.write_file(\"/etc/hosts\", \"127.0.0.1 localhost\\n10.53.0.1 gateway\\n\");\n",
        );
    assert!(!imported.stdout.contains("mkdir"), "{}", imported.stdout);
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", &imported.stdout)
        .step("netscript --lab dns lab.rhai")
        .step("ip netns exec dns-client sh -c 'cat /etc/resolv.conf; getent hosts gateway'")
        .step("netscript down dns")
        .step("find /etc/netns -mindepth 1; ip netns list; echo end")
        .run();
    out[0].success();
    out[1].success().stdout_has("nameserver 10.53.0.1\n").stdout_has("10.53.0.1       gateway");
    out[2].success().stdout_has("removed 1 namespace, 1 link, 2 files");
    assert_eq!(out[3].stdout, "end\n");
}
