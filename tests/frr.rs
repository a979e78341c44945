//! FRR as a lab's second routing backend: each node's zebra and ospfd or
//! bgpd run with the node's own /etc/frr and /run/frr, converge, and the
//! kernel's tables and vtysh agree; `down` leaves no daemon.

use crate::support::{Sandbox, privileged};

/// A ring of four routers with OSPF on every link, each with a loopback.
const RING: &str = r#"
import "topo" as topo;
import "frr" as frr;
let n = 4;
let r = [];
for k in 1..=n {
    let x = netns_add(`r${k}`);
    x.addr_add("lo", `10.255.255.${k}/32`);
    x.ipv4_forwarding(true);
    r.push(x);
}
let links = cidr("10.0.0.0/24").split(30);
for k in 0..n { topo::p2p(r[k], r[(k + 1) % n], links[k]); }
for x in r { frr::start(x, frr::ospf(x)); }
let loopbacks = [];
for k in 1..=n { loopbacks.push(`10.255.255.${k}/32`); }
for x in r { frr::wait(x, loopbacks); }
"#;

#[test]
fn an_frr_ospf_ring_converges_and_down_stops_every_daemon() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("ring.rhai", RING)
        .step("netscript ring.rhai")
        .step("ip -j -n r1 route show proto ospf")
        .step("ip netns exec r1 ping -c 1 -W 2 -I 10.255.255.1 10.255.255.3")
        .step("for d in zebra ospfd; do pgrep -x $d | wc -l; done")
        .step("netscript down ring")
        .step("pgrep -f 'usr/lib/fr[r]/'; find /etc/netns /run/netscript/nodes -mindepth 1; echo end")
        .run();
    out[0].success();
    let routes = out[1].json();
    let dsts: Vec<&str> = routes.as_array().unwrap().iter().filter_map(|r| r["dst"].as_str()).collect();
    for lo in ["10.255.255.2", "10.255.255.3", "10.255.255.4"] {
        assert!(dsts.contains(&lo), "r1's kernel has no OSPF route to {lo}: {dsts:?}");
    }
    out[2].success().stdout_has("1 received");
    // Every node runs its own zebra and ospfd.
    assert!(out[3].stdout.lines().all(|l| l.trim().parse::<u32>().unwrap() >= 4), "{}", out[3].stdout);
    out[4].success().stdout_has("removed 4 namespaces").stdout_has("stopped 8 processes");
    assert_eq!(out[5].stdout, "end\n", "left behind:\n{}", out[5].stdout);
}
