//! Shaping with netem on the VM's kernel (this machine's has none): delay
//! and loss as iputils' ping sees them, netem's own rate as iperf3 (or, if
//! the image lacks it, netscript's probe) measures it, all at once, a
//! user's netem put back after `down`, the dry run's tc commands, and
//! scripts/wan.rhai proving its delay and loss.

use crate::shaping::{QDISCS, iperf3, qdiscs, received, root};
use crate::support::script_path as script;
use crate::support::vm::needs_vm_kernel;
use crate::support::{Sandbox, privileged};

/// Two namespaces, a and b, on a veth pair x (10.0.0.1) and y (10.0.0.2);
/// then `shape`, netscript calls on them.
fn pair(shape: &str) -> String {
    format!(
        "let a = netns_add(\"a\");\nlet b = netns_add(\"b\");\nveth_add(a, \"x\", b, \"y\");\n\
         a.addr_add(\"x\", \"10.0.0.1/24\");\nb.addr_add(\"y\", \"10.0.0.2/24\");\n\
         a.link_up(\"x\");\nb.link_up(\"y\");\n{shape}\n"
    )
}

/// (low, median) round trip of iputils' pings, in ms, leaving out the
/// first (it waits for the neighbour's address too). The median, not the
/// mean: under software emulation a few round trips take far longer. Low
/// is the 2nd percentile (the minimum under 50 answers): netem's `corrupt`
/// flips a bit in some packets, and one in the send time that ping carries
/// in the packet makes that round trip any value (iputils shows one that
/// comes out negative as 0; seen once in 400 with corrupt 0.1 %).
fn rtt(ping: &str) -> (f64, f64) {
    let mut times: Vec<f64> = ping
        .lines()
        .filter_map(|l| l.split("time=").nth(1))
        .filter_map(|t| t.trim_end_matches(" ms").parse().ok())
        .skip(1)
        .collect();
    assert!(times.len() >= 5, "too few answers:\n{ping}");
    times.sort_by(f64::total_cmp);
    (times[times.len() / 50], times[times.len() / 2])
}

/// How many of the pings were answered, from iputils' summary.
fn answered(ping: &str) -> u32 {
    let line =
        ping.lines().find(|l| l.contains(" received")).unwrap_or_else(|| panic!("no summary:\n{ping}"));
    line.split(", ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap()
}

/// Under software emulation a ping takes longer than on a real CPU: the
/// fastest round trip by this much at most.
const SLACK_MS: f64 = 8.0;

/// The median round trip, by this much at most: a busy host delays the
/// guest's timers and so many round trips, never the fastest.
const BUSY_MS: f64 = 30.0;

#[test]
fn netem_delay_is_what_ping_measures() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let one_way = pair("a.link_shape(\"x\", #{delay: \"30ms\"});");
    let both = pair("a.link_shape(\"x\", #{delay: \"20ms\"});\nb.link_shape(\"y\", #{delay: \"20ms\"});");
    let out = Sandbox::new()
        .file("one.rhai", &one_way)
        .file("both.rhai", &both)
        .step("netscript one.rhai && ip netns exec a ping -c 20 -i 0.1 -W 2 10.0.0.2")
        .step("netscript down one && netscript both.rhai && ip netns exec a ping -c 20 -i 0.1 -W 2 10.0.0.2")
        .step("tc -n a -j qdisc show dev x")
        .run();
    let (min, median) = rtt(&out[0].success().stdout);
    eprintln!("measured: delay 30ms one way: round trip min {min} ms, median {median} ms");
    assert!(
        (30.0..=30.0 + SLACK_MS).contains(&min) && median <= 30.0 + BUSY_MS,
        "30 ms one way: ping measured min {min}, median {median}"
    );
    let (min, median) = rtt(&out[1].success().stdout);
    eprintln!("measured: delay 20ms each way: round trip min {min} ms, median {median} ms");
    assert!(
        (40.0..=40.0 + SLACK_MS).contains(&min) && median <= 40.0 + BUSY_MS,
        "20 ms each way: ping measured min {min}, median {median}"
    );
    let qdisc = &out[2].json()[0];
    assert_eq!(qdisc["kind"], "netem", "{qdisc}");
    assert_eq!(qdisc["options"]["delay"]["delay"].as_f64(), Some(0.02), "{qdisc}");
}

#[test]
fn netem_loss_of_20_percent_loses_150_to_250_of_1000_pings() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let lab = pair("a.link_shape(\"x\", #{loss: 20});");
    let out = Sandbox::new()
        .file("lab.rhai", &lab)
        // The neighbours resolved first: one answer, however long the
        // emulated machine takes to start the links' queues.
        .step("netscript lab.rhai && ip netns exec b ping -c 1 -i 0.1 -w 20 10.0.0.1 >/dev/null")
        .step("ip netns exec a ping -q -c 1000 -i 0.002 -W 2 10.0.0.2")
        .step("tc -n a -j qdisc show dev x")
        .run();
    out[0].success();
    let lost = 1000 - answered(&out[1].stdout);
    eprintln!("measured: loss 20%: {lost} of 1000 pings lost");
    assert!((150..=250).contains(&lost), "20% loss: {lost} of 1000 pings lost\n{}", out[1].stdout);
    assert_eq!(out[2].json()[0]["options"]["loss-random"]["loss"].as_f64(), Some(0.2), "{}", out[2].stdout);
}

#[test]
fn netem_rate_limits_what_leaves() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let lab = pair(
        "a.link_shape(\"x\", #{rate: \"5mbit\", qdisc: \"netem\"});\n\
         b.link_shape(\"y\", #{rate: \"5mbit\", qdisc: \"netem\"});\n\
         let t = a.throughput(b, \"10.0.0.2\", #{seconds: 3});\nprint(`probe ${t.bits_per_second}`);",
    );
    let out = Sandbox::new()
        .file("lab.rhai", &lab)
        .step("netscript lab.rhai")
        .step("tc -n a -j qdisc show dev x")
        .step(&format!(
            "if command -v iperf3 >/dev/null; then {}; else echo no iperf3; fi",
            iperf3("a", "b", "10.0.0.2")
        ))
        .run();
    let probe: f64 = out[0].success().stdout.trim().strip_prefix("probe ").unwrap().parse().unwrap();
    let qdisc = &out[1].json()[0];
    assert_eq!(qdisc["kind"], "netem");
    assert_eq!(qdisc["options"]["rate"]["rate"], 625_000, "{qdisc}");
    assert!((4.0e6..=5.5e6).contains(&probe), "netem's 5mbit: the probe measured {probe} bit/s");
    eprintln!("measured: netem rate 5mbit: the probe {probe} bit/s");
    if !out[2].stdout.contains("no iperf3") {
        let measured = received(&out[2]);
        eprintln!("measured: netem rate 5mbit: iperf3 {measured} bit/s");
        assert!((4.0e6..=5.5e6).contains(&measured), "netem's 5mbit: iperf3 measured {measured} bit/s");
    }
}

#[test]
fn rate_delay_jitter_and_loss_at_once() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let shape = "#{rate: \"10mbit\", delay: \"25ms\", jitter: \"2ms\", loss: 5, duplicate: 0.1, corrupt: 0.1, limit: 2000}";
    let lab = pair(&format!("a.link_shape(\"x\", {shape});\nb.link_shape(\"y\", {shape});"));
    let out = Sandbox::new()
        .file("lab.rhai", &lab)
        .step("netscript lab.rhai")
        .step(QDISCS)
        .step("ip netns exec a ping -c 400 -i 0.01 -W 2 10.0.0.2")
        .step("netscript show lab --json; netscript graph lab")
        .run();
    out[0].success();
    let all = qdiscs(&out[1], false);
    let x = &root(&all, "a", "x")["options"];
    assert_eq!(
        (x["delay"]["delay"].as_f64(), x["delay"]["jitter"].as_f64()),
        (Some(0.025), Some(0.002)),
        "{x}"
    );
    assert_eq!(x["loss-random"]["loss"].as_f64(), Some(0.05), "{x}");
    assert_eq!((x["rate"]["rate"].as_u64(), x["limit"].as_u64()), (Some(1_250_000), Some(2000)), "{x}");
    // Each way loses 5 %: 9.75 % of round trips, give or take four deviations.
    let lost = 400 - answered(&out[2].stdout);
    eprintln!("measured: combination: {lost} of 400 pings lost");
    assert!((15..=65).contains(&lost), "{lost} of 400 pings lost\n{}", out[2].stdout);
    let (low, median) = rtt(&out[2].stdout);
    eprintln!("measured: combination: round trip 2nd percentile {low} ms, median {median} ms");
    assert!(
        (46.0..=54.0 + SLACK_MS).contains(&low) && median <= 54.0 + BUSY_MS,
        "25 ms ± 2 each way: 2nd percentile {low}, median {median}"
    );
    out[3].success().stdout_has(r#"label="25ms±2ms 10mbit 5% loss 0.1% duplicate 0.1% corrupt""#);
}

#[test]
fn a_users_netem_comes_back_after_down_and_rollback() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let lab = "netns(\"l\").link_shape(\"x\", #{rate: \"2mbit\"});\n\
               netns(\"l\").link_shape(\"x\", #{delay: \"1ms\", duplicate: 1});\n\
               if param(\"fail\", false) { throw \"stop\"; }\n";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step(
            "ip netns add l && ip link add x netns l type veth peer name y \
             && tc -n l qdisc add dev x root handle 5: netem delay 12ms 3ms loss 2% corrupt 0.5% reorder 10% limit 300",
        )
        .step(QDISCS)
        .step("netscript lab.rhai fail=true")
        .step(QDISCS)
        .step("netscript lab.rhai && tc -n l -j qdisc show dev x && netscript down lab")
        .step(QDISCS)
        .run();
    out[0].success();
    let before = qdiscs(&out[1], true);
    assert_eq!(root(&before, "l", "x")["kind"], "netem");
    out[2].failure(1).stderr_has("put back qdisc netem 5:").stderr_has("put back qdisc tbf 4e53:");
    assert_eq!(qdiscs(&out[3], true), before, "rollback did not put the user's netem back");
    out[4].success().stdout_has(r#""kind":"netem""#).stdout_has("lab: removed nothing; set back 2 settings");
    assert_eq!(qdiscs(&out[5], true), before, "down did not put the user's netem back");
}

#[test]
fn the_dry_run_builds_the_same_netem_qdiscs() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let lab = pair(
        "a.link_shape(\"x\", #{delay: \"40ms\", jitter: \"5ms\", loss: 1.5, duplicate: 0.1, corrupt: 0.1, reorder: 2.0, limit: 1000, rate: \"10mbit\"});\n\
         a.link_shape(\"x\", #{delay: \"10ms\"});\n\
         b.link_shape(\"y\", #{rate: \"3gbit\", qdisc: \"netem\"});\n\
         a.link_shape(\"lo\", #{loss: 100});",
    );
    let real = Sandbox::new().file("lab.rhai", &lab).step("netscript lab.rhai").step(QDISCS).run();
    let dry = Sandbox::new()
        .file("lab.rhai", &lab)
        .step("netscript --dry-run lab.rhai > lab.sh && bash -e lab.sh")
        .step(QDISCS)
        .step("cat lab.sh")
        .run();
    real[0].success();
    dry[0].success();
    let (ours, theirs) = (qdiscs(&real[1], false), qdiscs(&dry[1], false));
    assert_eq!(ours, theirs, "the qdiscs differ; the dry run was:\n{}", dry[2].stdout);
    // The second shape of x replaced the first whole: no corrupt or rate is left.
    let x = &root(&ours, "a", "x")["options"];
    assert!(x.get("corrupt").is_none() && x.get("rate").is_none(), "{x}");
}

#[test]
fn wan_proves_its_delay_and_loss() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} rate=10mbit delay=20ms jitter=1ms loss=5 seconds=3", script("wan")))
        .step(&format!("netscript down wan && netscript {} rate=4mbit delay=15ms", script("wan")))
        .run();
    eprintln!("measured: wan:\n{}{}", out[0].stdout, out[1].stdout);
    out[0].success().stdout_has("round trip: asked 40.0 ms").stdout_has("loss: asked 5.0% each way");
    out[1].success().stdout_has("round trip: asked 30.0 ms").stdout_has("rate: asked 4mbit, measured");
}

#[test]
fn the_readme_example_runs() {
    if !needs_vm_kernel("sch_netem") || !privileged() {
        return;
    }
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("### Shaping links").expect("the README's shaping section")..];
    let start = section.find("```rhai\n").unwrap() + "```rhai\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let out = Sandbox::new().file("example.rhai", example).step("netscript example.rhai").run();
    out[0].success();
}
