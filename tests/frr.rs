//! FRR as the labs' second routing backend: scripts/ospf.rhai and
//! scripts/bgp.rhai with daemon=frr. Each node runs its own zebra and
//! ospfd or bgpd with its own /etc/frr and /run/frr; they converge, and
//! observers of their own agree: vtysh asked inside a node's zebra's view
//! (nsenter into its mount and network namespaces: `ip netns exec` would
//! look in the sandbox's /run), the kernel's routes with proto ospf or bgp,
//! iputils' ping between loopbacks. `down` leaves no daemon and no file.

use serde_json::Value;

use crate::support::{Output, Sandbox, privileged, script_path as script};

/// Whether FRR is installed; without it the tests skip with a reason,
/// except in CI, which installs it.
fn frr_installed() -> bool {
    let found = ["/usr/lib/frr/zebra", "/usr/bin/vtysh"].iter().all(|p| std::path::Path::new(p).is_file());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but FRR is not installed: install frr");
        }
        eprintln!("skipped: needs FRR (zebra, vtysh): apt install frr");
    }
    found
}

/// Shell: vtysh `command` against `node`'s FRR, as its zebra sees /run.
fn vtysh(node: &str, command: &str) -> String {
    format!(
        "nsenter -t $(for p in $(ip netns pids {node}); do [ \"$(cat /proc/$p/comm)\" = zebra ] && echo $p; done) \
         -m -n vtysh -c '{command}'"
    )
}

/// Shell: the pids of every process in the nodes, kept for `LEFT`.
fn remember(nodes: &[&str]) -> String {
    format!("for n in {}; do ip netns pids $n; done >remembered; wc -l <remembered", nodes.join(" "))
}

/// Shell: each remembered process still alive (not a zombie), and what is
/// left of the lab's files.
const LEFT: &str = "for p in $(cat remembered); do s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); \
     [ -n \"$s\" ] && [ \"$s\" != Z ] && echo \"alive: $p $(cat /proc/$p/comm)\"; done; \
     find /etc/netns /run/netscript/nodes /run/netscript/labs -mindepth 1; echo end";

/// A lab of scripts/ on FRR, observed from outside: the lab's own output,
/// vtysh asked in `node`, the kernel's `proto` routes of `node` and a ping
/// from its loopback `from` to `to`; then `down`, and what is left.
struct Seen {
    lab: Output,
    vtysh: String,
    route: Value,
    processes: usize,
    down: Output,
}

fn run_on_frr(
    lab: &str,
    nodes: &[&str],
    vtysh_in: (&str, &str),
    proto: &str,
    dst: &str,
    ping: (&str, &str),
) -> Seen {
    let node = nodes[0];
    let out = Sandbox::new()
        .step(&format!("netscript --lab {lab} {} daemon=frr", script(lab)))
        .step(&vtysh(vtysh_in.0, vtysh_in.1))
        .step(&format!("ip -j -n {node} route show proto {proto}"))
        .step(&format!("ip netns exec {node} ping -c 1 -W 2 -I {} {}", ping.0, ping.1))
        .step(&remember(nodes))
        .step(&format!("netscript down {lab}"))
        .step(LEFT)
        .run();
    let routes = out[2].json();
    let route = routes.as_array().unwrap().iter().find(|r| r["dst"] == dst).cloned();
    out[3].success().stdout_has("1 received");
    assert_eq!(out[6].stdout, "end\n", "left behind:\n{}", out[6].stdout);
    Seen {
        lab: out[0].clone(),
        vtysh: out[1].success().stdout.clone(),
        route: route.unwrap_or_else(|| panic!("{node} has no {proto} route to {dst}: {routes}")),
        processes: out[4].success().stdout.trim().parse().unwrap(),
        down: out[5].clone(),
    }
}

#[test]
fn the_ospf_ring_converges_and_reroutes_with_frr_and_down_stops_every_daemon() {
    if !privileged() || !frr_installed() {
        return;
    }
    let nodes = ["r1", "r2", "r3", "r4"];
    let seen = run_on_frr(
        "ospf",
        &nodes,
        ("r3", "show ip ospf neighbor"),
        "ospf",
        "10.255.255.2",
        ("10.255.255.1", "10.255.255.2"),
    );
    seen.lab.success().stdout_has("r1-r2 down: r1 reaches r2 via r4");
    // r3 has its two ring neighbours, both Full.
    assert_eq!(seen.vtysh.matches("Full/").count(), 2, "{}", seen.vtysh);
    assert_eq!(
        seen.route["gateway"], "10.0.0.13",
        "after the cut r1 reaches r2 round the ring: {}",
        seen.route
    );
    assert!(seen.processes >= 8, "every node runs zebra and ospfd: {} processes", seen.processes);
    seen.down.success().stdout_has("removed 4 namespaces").stdout_has("stopped 8 processes");
}

#[test]
fn the_bgp_line_with_frr_carries_the_as_path_and_traffic_end_to_end() {
    if !privileged() || !frr_installed() {
        return;
    }
    let nodes = ["as1", "as2", "as3"];
    let seen = run_on_frr(
        "bgp",
        &nodes,
        ("as1", "show ip bgp 10.3.0.0/24"),
        "bgp",
        "10.3.0.0/24",
        ("10.1.0.1", "10.3.0.1"),
    );
    seen.lab.success().stdout_has("the AS path [65002, 65003]");
    assert!(seen.vtysh.contains("  65002 65003\n"), "{}", seen.vtysh);
    assert_eq!(seen.route["prefsrc"], "10.1.0.1", "{}", seen.route);
    assert!(seen.processes >= 6, "every node runs zebra and bgpd: {} processes", seen.processes);
    seen.down.success().stdout_has("removed 3 namespaces");
}
