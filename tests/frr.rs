//! FRR as the labs' second routing backend: scripts/ospf.rhai and
//! scripts/bgp.rhai with daemon=frr. Each node runs its own zebra and
//! ospfd or bgpd with its own /etc/frr and /run/frr; they converge, and
//! observers of their own agree: vtysh asked inside a node's zebra's view
//! (nsenter into its mount and network namespaces: `ip netns exec` would
//! look in the sandbox's /run), the kernel's routes with proto ospf or bgp,
//! iputils' ping between loopbacks. `down` leaves no daemon and no file.

use crate::support::{Sandbox, privileged, script_path as script};

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

#[test]
fn the_ospf_ring_converges_and_reroutes_with_frr_and_down_stops_every_daemon() {
    if !privileged() || !frr_installed() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript --lab ring {} daemon=frr", script("ospf")))
        .step(&vtysh("r3", "show ip ospf neighbor"))
        .step("ip -j -n r1 route show proto ospf")
        .step("ip netns exec r1 ping -c 1 -W 2 -I 10.255.255.1 10.255.255.2")
        .step(&remember(&["r1", "r2", "r3", "r4"]))
        .step("netscript down ring")
        .step(LEFT)
        .run();
    out[0].success().stdout_has("r1-r2 down: r1 reaches r2 via r4");
    // r3 has its two ring neighbours, both Full.
    assert_eq!(out[1].success().stdout.matches("Full/").count(), 2, "{}", out[1].stdout);
    let routes = out[2].json();
    let to_r2 = routes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dst"] == "10.255.255.2")
        .expect("r1 has an ospf route to r2");
    assert_eq!(to_r2["gateway"], "10.0.0.13", "after the cut r1 reaches r2 round the ring: {to_r2}");
    out[3].success().stdout_has("1 received");
    let running: usize = out[4].success().stdout.trim().parse().unwrap();
    assert!(running >= 8, "every node runs zebra and ospfd: {running} processes");
    out[5].success().stdout_has("removed 4 namespaces").stdout_has("stopped 8 processes");
    assert_eq!(out[6].stdout, "end\n", "left behind:\n{}", out[6].stdout);
}

#[test]
fn the_bgp_line_with_frr_carries_the_as_path_and_traffic_end_to_end() {
    if !privileged() || !frr_installed() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript --lab line {} daemon=frr", script("bgp")))
        .step(&vtysh("as1", "show ip bgp 10.3.0.0/24"))
        .step("ip -j -n as1 route show proto bgp")
        .step("ip netns exec as1 ping -c 1 -W 2 -I 10.1.0.1 10.3.0.1")
        .step(&remember(&["as1", "as2", "as3"]))
        .step("netscript down line")
        .step(LEFT)
        .run();
    out[0].success().stdout_has("the AS path [65002, 65003]");
    out[1].success().stdout_has("  65002 65003\n");
    let routes = out[2].json();
    let to_as3 = routes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dst"] == "10.3.0.0/24")
        .expect("as1 has a bgp route to as3");
    assert_eq!(to_as3["prefsrc"], "10.1.0.1", "{to_as3}");
    out[3].success().stdout_has("1 received");
    let running: usize = out[4].success().stdout.trim().parse().unwrap();
    assert!(running >= 6, "every node runs zebra and bgpd: {running} processes");
    out[5].success().stdout_has("removed 3 namespaces");
    assert_eq!(out[6].stdout, "end\n", "left behind:\n{}", out[6].stdout);
}
