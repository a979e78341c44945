//! Shaping links, checked by observers that are not netscript: iperf3
//! (from Debian) measures the rate between two namespaces, `tc -j qdisc
//! show` says which qdiscs are there. This kernel has tbf but not netem:
//! rate shaping is tested here; delay and loss in the kernel-matrix VM.

use serde_json::Value;

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged, script_path as script};

/// Every qdisc of the host and each namespace, as `tc -j` reports them, as one JSON object.
pub const QDISCS: &str = r#"echo '{'; for ns in "" $(ls /run/netns); do
  echo "\"${ns:-host}\": $(tc ${ns:+-n $ns} -j qdisc show),"
done; echo '"end": 0}'"#;

/// What a QDISCS step reports, by namespace, leaving out what a qdisc's
/// users do not decide (reference counts; handles too, unless `handles`).
pub fn qdiscs(out: &crate::support::sandbox::Output, handles: bool) -> Value {
    let mut all = out.json();
    let map = all.as_object_mut().unwrap();
    map.remove("end");
    for list in map.values_mut() {
        for qdisc in list.as_array_mut().unwrap() {
            let qdisc = qdisc.as_object_mut().unwrap();
            qdisc.remove("refcnt");
            if !handles {
                qdisc.remove("handle");
            }
        }
    }
    all
}

/// The root qdisc of `dev` in a QDISCS report.
pub fn root<'a>(all: &'a Value, ns: &str, dev: &str) -> &'a Value {
    all[ns]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["dev"] == dev && q["root"] == true)
        .unwrap_or_else(|| panic!("no root qdisc on {ns}/{dev}: {all}"))
}

/// iperf3 from `from` to `addr` (a server started in `to` for one test):
/// 5 s, the first not counted (TCP's slow start), with the server's report.
pub fn iperf3(from: &str, to: &str, addr: &str) -> String {
    format!(
        "ip netns exec {to} iperf3 -s -1 -J -p 5299 >/dev/null 2>&1 & sleep 0.5; \
         ip netns exec {from} iperf3 -c {addr} -p 5299 -t 5 -O 1 -J --get-server-output; wait"
    )
}

/// The rate the iperf3 server received, in bits per second: the mean of
/// its whole seconds after the first (the end of a test waits for the
/// last report, which a slow link delays).
pub fn received(out: &crate::support::sandbox::Output) -> f64 {
    let report = out.json();
    let intervals = report["server_output_json"]["intervals"]
        .as_array()
        .unwrap_or_else(|| panic!("iperf3 reported no intervals:\n{}", out.stdout));
    let rates: Vec<f64> = intervals
        .iter()
        .map(|i| &i["sum"])
        .filter(|sum| sum["omitted"] == false && sum["seconds"].as_f64().unwrap_or(0.0) > 0.9)
        .filter_map(|sum| sum["bits_per_second"].as_f64())
        .collect();
    assert!(rates.len() >= 3, "iperf3 measured too few seconds:\n{}", out.stdout);
    rates.iter().sum::<f64>() / rates.len() as f64
}

#[track_caller]
fn within_ten_percent(measured: f64, asked: f64, what: &str) {
    assert!(
        (measured - asked).abs() <= 0.1 * asked,
        "{what}: iperf3 measured {:.2} Mbit/s, asked {:.2} Mbit/s",
        measured / 1e6,
        asked / 1e6
    );
}

#[test]
fn wan_rate_is_what_iperf3_measures_and_unshaping_lifts_it() {
    if !privileged() {
        return;
    }
    // A second lab unshapes both ends of the first's link (not its own),
    // and its `down` shapes them again as they were.
    let unshape = r#"
        netns("site-a").link_unshape("wan");
        netns("site-b").link_unshape("wan");
    "#;
    let out = Sandbox::new()
        .alone()
        .file("unshape.rhai", unshape)
        .step(&format!("netscript {} rate=10mbit delay=0ms", script("wan")))
        .step(&iperf3("site-a", "site-b", "10.60.0.2"))
        .step(&iperf3("site-b", "site-a", "10.60.0.1"))
        .step("netscript unshape.rhai && tc -n site-a -j qdisc show dev wan")
        .step(&iperf3("site-a", "site-b", "10.60.0.2"))
        .step("netscript down unshape && tc -n site-a -j qdisc show dev wan && tc -n site-b -j qdisc show dev wan")
        .step(&iperf3("site-a", "site-b", "10.60.0.2"))
        .step("netscript down wan && ls /run/netns")
        .run();
    out[0].success().stdout_has("rate: asked 10mbit, measured");
    within_ten_percent(received(&out[1]), 10e6, "site-a to site-b");
    within_ten_percent(received(&out[2]), 10e6, "site-b to site-a");
    out[3].success().stdout_has(r#""kind":"noqueue""#);
    let unshaped = received(&out[4]);
    assert!(unshaped > 100e6, "unshaped, the link carried only {:.2} Mbit/s", unshaped / 1e6);
    out[5].success().stdout_has("unshape: removed nothing; set back 2 settings");
    assert_eq!(out[5].stdout.matches(r#""kind":"tbf""#).count(), 2, "{}", out[5].stdout);
    assert!(out[5].stdout.contains(r#""rate":1250000"#), "{}", out[5].stdout);
    within_ten_percent(received(&out[6]), 10e6, "shaped again after down");
    out[7].success().stdout_has("wan: removed 2 namespaces");
}

#[test]
fn rates_from_mbit_to_hundreds_hold() {
    if !privileged() {
        return;
    }
    let mut sandbox = Sandbox::new().alone();
    let rates = [("2mbit", 2e6), ("50mbit", 50e6), ("200mbit", 200e6)];
    for (i, (rate, _)) in rates.iter().enumerate() {
        sandbox = sandbox
            .step(&format!(
                "netscript --lab w{i} {} rate={rate} delay=0ms seconds=2 subnet=10.6{i}.0.0/30",
                script("wan")
            ))
            .step(&iperf3("site-a", "site-b", &format!("10.6{i}.0.2")))
            .step(&format!("netscript down w{i}"));
    }
    let out = sandbox.run();
    for (i, (rate, bits)) in rates.iter().enumerate() {
        out[3 * i].success();
        within_ten_percent(received(&out[3 * i + 1]), *bits, rate);
        out[3 * i + 2].success();
    }
}

/// Two namespaces and a veth made by hand, with a qdisc of the user's own
/// on each end: not the lab's to keep.
const BY_HAND: &str = "ip netns add left && ip netns add right \
     && ip link add x netns left type veth peer name y netns right \
     && ip -n left addr add 10.70.0.1/24 dev x && ip -n right addr add 10.70.0.2/24 dev y \
     && ip -n left link set x up && ip -n right link set y up \
     && tc -n left qdisc add dev x root handle 7: pfifo limit 77 \
     && tc -n right qdisc add dev y root handle 9: tbf rate 100mbit burst 64kb latency 30ms";

const SHAPE_BY_HAND: &str = r#"
netns("left").link_shape("x", #{rate: "20mbit"});
netns("right").link_shape("y", #{rate: "20mbit", burst: "32kb", latency: "20ms"});
if param("fail", false) { throw "stop"; }
"#;

#[test]
fn a_link_the_lab_did_not_make_gets_its_own_qdisc_back() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .alone()
        .file("lab.rhai", SHAPE_BY_HAND)
        .step(BY_HAND)
        .step(QDISCS)
        .step("netscript lab.rhai fail=true")
        .step(QDISCS)
        .step("netscript lab.rhai")
        .step(QDISCS)
        .step(&iperf3("left", "right", "10.70.0.2"))
        .step("netscript down lab")
        .step(QDISCS)
        .step(&iperf3("left", "right", "10.70.0.2"))
        .run();
    out[0].success();
    let before = qdiscs(&out[1], true);
    assert_eq!(root(&before, "left", "x")["kind"], "pfifo", "{before}");
    // Rolled back: as it was, to the handle.
    out[2].failure(1).stderr_has("rolled back 2 changes of this run").stderr_has("put back qdisc pfifo 7:");
    assert_eq!(qdiscs(&out[3], true), before);
    out[4].success();
    let shaped = qdiscs(&out[5], true);
    assert_eq!(root(&shaped, "left", "x")["kind"], "tbf");
    assert_eq!(root(&shaped, "left", "x")["options"]["rate"], 2_500_000);
    let burst = root(&shaped, "right", "y")["options"]["burst"].as_u64().unwrap();
    assert!((32_767..=32_768).contains(&burst), "burst {burst}, asked 32kb");
    within_ten_percent(received(&out[6]), 20e6, "the user's link, shaped");
    out[7].success().stdout_has("lab: removed nothing; set back 2 settings");
    assert_eq!(qdiscs(&out[8], true), before, "down did not put back the user's qdiscs");
    assert!(received(&out[9]) > 60e6, "after down, the user's 100mbit came back: {}", received(&out[9]));
}

#[test]
fn a_qdisc_netscript_could_not_put_back_is_not_replaced() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "bridge_add(\"br0\");\nlink_shape(\"mine\", #{rate: \"1mbit\"});\n")
        .step(
            "ip link add mine type veth peer name theirs \
             && { tc qdisc add dev mine root handle 1: htb default 10 || tc qdisc add dev mine root handle 1: prio; }",
        )
        .step(QDISCS)
        .step("netscript lab.rhai")
        .step(QDISCS)
        .step("ip -br link show br0")
        .run();
    out[0].success();
    out[2]
        .failure(1)
        .stderr_has("lab.rhai:2:")
        .stderr_has("link 'mine' is not the lab's, and its root qdisc ")
        .stderr_has(" 1: may hold classes and filters")
        .stderr_has("tc qdisc del dev mine root")
        .stderr_has("delete link 'br0'");
    assert_eq!(qdiscs(&out[1], true), qdiscs(&out[3], true));
    assert!(out[4].stdout.is_empty() && !out[4].stderr.is_empty(), "br0 was not rolled back");
}

#[test]
fn a_change_made_since_by_someone_else_is_left_alone() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "link_shape(\"x\", #{rate: \"5mbit\"});\n")
        .step("ip link add x type veth peer name y")
        .step("netscript lab.rhai")
        .step("tc qdisc replace dev x root pfifo limit 5")
        .step("netscript down lab; tc -j qdisc show dev x")
        .run();
    out[1].success();
    out[3]
        .success()
        .stdout_has("the root qdisc of link 'x' is no longer the one this lab left there; left it alone")
        .stdout_has(r#""kind":"pfifo""#);
}

#[test]
fn the_dry_run_builds_the_same_qdiscs() {
    if !privileged() {
        return;
    }
    let lab = r#"
        import "topo" as topo;
        let a = netns_add("a");
        let b = netns_add("b");
        topo::p2p(a, b, "10.80.0.0/30", #{rate: "10mbit"});
        topo::bridge("br0", "10.81.0.1/24");
        topo::host_on_bridge("h1", "br0", "10.81.0.11/24", #{rate: "1500kbit", burst: "10kb", latency: "80ms"});
        a.link_shape("lo", #{rate: "3gbit"});
        a.link_shape("lo", #{rate: "2mbit"});
        b.link_shape("lo", #{rate: "1mibit"});
        b.link_unshape("lo");
        link_shape("br0", #{rate: "64kbit"});
    "#;
    let real = Sandbox::new().file("lab.rhai", lab).step("netscript lab.rhai").step(QDISCS).step(DUMP).run();
    let dry = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript --dry-run lab.rhai > lab.sh && bash -e lab.sh")
        .step(QDISCS)
        .step(DUMP)
        .step("cat lab.sh")
        .run();
    real[0].success();
    dry[0].success();
    let script = &dry[3].stdout;
    assert!(script.contains("tc qdisc replace dev br0 root tbf rate 64kbit"), "{script}");
    assert!(script.contains("tc -n b qdisc del dev lo root"), "{script}");
    let (ours, theirs) = (qdiscs(&real[1], false), qdiscs(&dry[1], false));
    assert_eq!(ours, theirs, "the qdiscs differ; the dry run was:\n{script}");
    assert_eq!(root(&ours, "h1", "eth0")["options"]["rate"], 187_500);
    assert_eq!(root(&ours, "a", "lo")["options"]["rate"], 250_000);
    assert_eq!(root(&ours, "b", "lo")["kind"], "noqueue");
    assert_same_state(&normalize(&real[2].json()), &normalize(&dry[2].json()), "netscript, then its dry run");
}

#[test]
fn a_kernel_without_netem_says_which_module_and_option() {
    if !privileged() {
        return;
    }
    let lab = "let a = netns_add(\"a\");\nveth_add(a, \"x\", a, \"y\");\na.link_shape(\"x\", #{delay: \"40ms\", loss: 1.5});\n";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("ip link add probe type veth peer name probe2 && tc qdisc add dev probe root netem delay 1ms; echo $?")
        .step("netscript lab.rhai")
        .step("ls /run/netns")
        .run();
    let has_netem = out[0].stdout.trim() == "0";
    if has_netem {
        // A kernel with netem (the VM's) shapes: the test of the message is for this one.
        out[1].success();
        return;
    }
    out[0].stderr_has("Specified qdisc kind is unknown");
    out[1]
        .failure(1)
        .stderr_has("lab.rhai:3:")
        .stderr_has(
            "cannot shape link 'x' in namespace 'a' to 40ms 1.5% loss: this kernel has no netem qdisc",
        )
        .stderr_has("sch_netem")
        .stderr_has("CONFIG_NET_SCH_NETEM")
        .stderr_has("rolled back 1 change of this run");
    assert_eq!(out[2].stdout, "");
    // A rate alone works all the same.
    let rate = "let a = netns_add(\"a\");\nveth_add(a, \"x\", a, \"y\");\na.link_shape(\"x\", #{rate: \"1mbit\"});\n";
    let out =
        Sandbox::new().file("lab.rhai", rate).step("netscript lab.rhai && tc -n a qdisc show dev x").run();
    out[0].success().stdout_has("qdisc tbf 4e53: root");
}

#[test]
fn show_lists_qdiscs_and_graph_labels_shaped_edges() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} rate=10mbit delay=0ms seconds=1", script("wan")))
        .step("netscript show wan --json")
        .step("tc -n site-a -j qdisc show dev wan")
        .step("netscript show wan")
        .step("netscript graph wan")
        .step("netscript graph wan --format svg")
        .run();
    out[0].success();
    let show = out[1].json();
    let tc = out[2].json();
    let site_a = show["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == "site-a").unwrap();
    let wan = site_a["links"].as_array().unwrap().iter().find(|l| l["name"] == "wan").unwrap();
    assert_eq!(wan["qdisc"]["kind"], tc[0]["kind"]);
    assert_eq!(wan["qdisc"]["handle"], tc[0]["handle"]);
    assert_eq!(wan["qdisc"]["default"], false);
    assert_eq!(wan["qdisc"]["parameters"]["rate"], "10mbit");
    assert_eq!(tc[0]["options"]["rate"], 1_250_000);
    let lo = site_a["links"].as_array().unwrap().iter().find(|l| l["name"] == "lo").unwrap();
    assert_eq!(lo["qdisc"]["kind"], "noqueue");
    assert_eq!(lo["qdisc"]["default"], true);
    out[3].success().stdout_has("  qdiscs (the other links have the kernel's own):\n    wan  tbf rate 10mbit burst 15140b limit 77640b\n");
    out[4].success().stdout_has(r#"label="10mbit""#);
    out[5].success().stdout_has(r#"<text class="shape""#).stdout_has(">10mbit</text>");
}

#[test]
fn topology_helpers_take_link_options() {
    if !privileged() {
        return;
    }
    let lab = r#"
        import "topo" as topo;
        topo::bridge("br0", "10.90.0.1/24");
        topo::host_on_bridge("h1", "br0", "10.90.0.11/24", #{rate: "4mbit"});
        topo::star(2, "br1", "10.91.0.0/24", #{rate: "6mbit", prefix: "s"});
        let a = netns_add("a");
        topo::p2p(a, "h1", "10.92.0.0/30", #{rate: "8mbit"});
        topo::attach(a, "br0", "10.90.0.20/24", #{dev: "up0", rate: "2mbit"});
    "#;
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .file(
            "bad.rhai",
            "import \"topo\" as topo;\ntopo::p2p(\"a\", \"b\", \"10.0.0.0/30\", #{rat: \"1mbit\"});\n",
        )
        .step("netscript lab.rhai")
        .step(QDISCS)
        .step("netscript bad.rhai")
        .run();
    out[0].success();
    let all = qdiscs(&out[1], false);
    let rate = |ns: &str, dev: &str| root(&all, ns, dev)["options"]["rate"].as_u64().unwrap_or(0) * 8;
    assert_eq!((rate("h1", "eth0"), rate("host", "h1-br")), (4_000_000, 4_000_000));
    assert_eq!((rate("s2", "eth0"), rate("host", "s2-br")), (6_000_000, 6_000_000));
    assert_eq!((rate("a", "to-h1"), rate("h1", "to-a")), (8_000_000, 8_000_000));
    assert_eq!((rate("a", "up0"), rate("host", "a-br")), (2_000_000, 2_000_000));
    assert_eq!(root(&all, "host", "br0")["kind"], "noqueue");
    out[2].failure(1).stderr_has(
        "topo::p2p: unknown option 'rat'; the options are: link options (rate, delay, jitter, loss, ...)",
    );
}

/// Bad input: a message at the script's line, exit 1, nothing changed.
#[track_caller]
fn refused(call: &str, expected: &str) {
    let lab = format!(
        "let a = netns_add(\"a\");\nveth_add(a, \"x\", a, \"y\");\na.link_shape(\"x\", #{{rate: \"1mbit\"}});\n{call}\n"
    );
    let out = Sandbox::new()
        .file("bad.rhai", &lab)
        .step("ip link add mine type veth peer name theirs")
        .step(QDISCS)
        .step("netscript bad.rhai")
        .step(QDISCS)
        .step("ls /run/netns")
        .run();
    out[0].success();
    out[2]
        .failure(1)
        .stderr_has("bad.rhai:4:")
        .stderr_has(expected)
        .stderr_has("rolled back 1 change of this run");
    assert_eq!(qdiscs(&out[1], true), qdiscs(&out[3], true), "{call}: the qdiscs changed");
    assert_eq!(out[4].stdout, "", "{call}: a namespace was left");
}

#[test]
fn bad_shapes_are_refused_at_their_line() {
    if !privileged() {
        return;
    }
    refused(r#"link_shape("mine", #{rate: "-10mbit"});"#, "a rate cannot be negative ('-10mbit')");
    refused(r#"link_shape("mine", #{rate: "ten"});"#, "'ten' is not a rate");
    refused(r#"link_shape("mine", #{rate: 10});"#, "the rate 10 has no unit");
    refused(r#"link_shape("mine", #{delay: "-40ms"});"#, "a delay cannot be negative ('-40ms')");
    refused(r#"link_shape("mine", #{delay: "forty"});"#, "'forty' is not a delay");
    refused(r#"link_shape("mine", #{loss: 101});"#, "loss 101% is more than 100%");
    refused(r#"link_shape("mine", #{jitter: "5ms"});"#, "jitter varies the delay: give a delay too");
    refused(r#"link_shape("nowhere", #{rate: "1mbit"});"#, "no link named 'nowhere' in the host namespace");
    refused(r#"a.link_unshape("nowhere");"#, "no link named 'nowhere' in namespace 'a'");
    refused(r#"link_unshape("mine");"#, "link 'mine' has no qdisc of its own to remove");
}

#[test]
fn the_throughput_probe_ends_on_a_signal_and_when_nothing_answers() {
    if !privileged() {
        return;
    }
    let long = r#"
        let a = netns_add("a");
        let b = netns_add("b");
        veth_add(a, "x", b, "y");
        a.addr_add("x", "10.99.0.1/24"); b.addr_add("y", "10.99.0.2/24");
        a.link_up("x"); b.link_up("y");
        print("measuring");
        a.throughput(b, "10.99.0.2", #{seconds: 60});
    "#;
    let silent = r#"
        let a = netns_add("a");
        let b = netns_add("b");
        a.throughput(b, "10.99.0.2", #{timeout: 1});
    "#;
    let out = Sandbox::new()
        .file("long.rhai", long)
        .file("silent.rhai", silent)
        .step("s=$(date +%s); timeout --preserve-status -s TERM 3 netscript long.rhai; echo \"exit $? after $(( $(date +%s) - s ))s\"")
        .step("s=$(date +%s); netscript silent.rhai; echo \"exit $? after $(( $(date +%s) - s ))s\"")
        .step("ls /run/netns")
        .run();
    let seconds = |text: &str| -> u64 {
        text.rsplit("after ").next().and_then(|t| t.trim().trim_end_matches('s').parse().ok()).unwrap()
    };
    out[0].success().stdout_has("measuring").stdout_has("exit 1").stderr_has("rolled back");
    assert!(seconds(&out[0].stdout) <= 6, "{}", out[0].stdout);
    out[1]
        .success()
        .stdout_has("exit 1")
        .stderr_has("cannot reach 10.99.0.2:7778 from namespace 'a': network is unreachable");
    assert!(seconds(&out[1].stdout) <= 4, "{}", out[1].stdout);
    assert_eq!(out[2].stdout, "");
}
