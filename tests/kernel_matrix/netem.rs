//! Traffic control this machine's kernel lacks: netem (delay, loss), and the
//! shapers tbf and htb, set with tc until netscript has them.

use crate::support::vm::needs_vm_kernel;
use crate::support::{Sandbox, privileged};

/// Two namespaces on a veth pair, 10.0.0.1 in a and 10.0.0.2 in b.
const PAIR: &str = "ip netns add a && ip netns add b && \
     ip -n a link add e0 type veth peer name e0 netns b && \
     ip -n a addr add 10.0.0.1/24 dev e0 && ip -n b addr add 10.0.0.2/24 dev e0 && \
     ip -n a link set e0 up && ip -n b link set e0 up";

/// The minimum round trip of ping's summary line, in ms.
fn rtt_min(ping: &str) -> f64 {
    let line =
        ping.lines().find(|l| l.starts_with("rtt ")).unwrap_or_else(|| panic!("no rtt line in:\n{ping}"));
    let values = line.split('=').nth(1).unwrap().trim();
    values.split('/').next().unwrap().parse().unwrap()
}

#[test]
fn netem_delays_what_leaves() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(PAIR)
        .step("ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.0.2")
        .step("tc -n a qdisc add dev e0 root netem delay 50ms")
        .step("tc -n a -j qdisc show dev e0")
        .step("ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.0.2")
        .run();
    out[0].success();
    let before = rtt_min(&out[1].success().stdout);
    out[2].success();
    let qdisc = &out[3].json()[0];
    assert_eq!(qdisc["kind"], "netem", "{qdisc}");
    let after = rtt_min(&out[4].success().stdout);
    assert!(after >= 50.0, "netem's 50 ms delay, yet the fastest round trip took {after} ms");
    assert!(after < before + 150.0, "50 ms more than {before} ms, not {after} ms");
}

#[test]
fn netem_drops_all_it_is_told_to() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(PAIR)
        .step("tc -n b qdisc add dev e0 root netem loss 100%")
        .step("ip netns exec a ping -c 3 -i 0.2 -W 1 10.0.0.2")
        // The neighbour entry failed while b's answers were dropped: ping
        // until one comes back (a request a second), for at most 10 s.
        .step("tc -n b qdisc del dev e0 root && ip netns exec a ping -c 1 -w 10 10.0.0.2")
        .run();
    out[0].success();
    out[1].success();
    out[2].stdout_has("0 received");
    out[3].success();
}

#[test]
fn tbf_and_htb_shape() {
    if !needs_vm_kernel("sch_tbf and sch_htb") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(PAIR)
        .step("tc -n a qdisc add dev e0 root tbf rate 1mbit burst 32kbit latency 400ms")
        .step(
            "tc -n b qdisc add dev e0 root handle 1: htb default 10 && \
             tc -n b class add dev e0 parent 1: classid 1:10 htb rate 5mbit",
        )
        .step("tc -n a -j qdisc show dev e0; tc -n b class show dev e0")
        .step("ip netns exec a ping -c 1 -w 10 10.0.0.2")
        .run();
    out[0].success();
    out[1].success();
    out[2].success();
    out[3].success().stdout_has("\"kind\":\"tbf\"").stdout_has("class htb 1:10 root");
    out[4].success();
}
