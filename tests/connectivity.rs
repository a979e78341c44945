//! netscript's own ping (raw ICMP sockets, no ping binary) from scripts,
//! between the namespaces they build.

use std::time::{Duration, Instant};

use crate::support::{Sandbox, privileged};

/// A script fragment that pings, fails the script unless every request was
/// answered, and prints the counts for the test to check too.
fn ping_all(label: &str, call: &str) -> String {
    format!(
        r#"
        let r = {call};
        if r.received != r.sent {{ throw "{label}: " + r.received + " of " + r.sent + " answered"; }}
        if !(r.rtt_min > 0.0 && r.rtt_min <= r.rtt_avg && r.rtt_avg <= r.rtt_max) {{ throw "{label}: odd rtts " + r; }}
        print("{label} sent=" + r.sent + " received=" + r.received + " loss=" + r.loss + " target=" + r.target);
        "#
    )
}

#[test]
fn ping_between_two_namespaces_on_a_veth_pair() {
    if !privileged() {
        return;
    }
    let script = format!(
        r#"
        let net = cidr("10.0.0.0/24");
        let client = netns_add("client");
        let server = netns_add("server");
        veth_add(server, "pair-server", client, "pair-client");
        client.addr_add("pair-client", net.host(1));
        server.addr_add("pair-server", net.host(2));
        client.link_up("pair-client");
        server.link_up("pair-server");
        {}
        {}
        {}
        "#,
        ping_all("client->server", r#"client.ping("10.0.0.2")"#),
        ping_all("server->client", r#"ping(server, net.host(1), #{count: 5, interval: 0.05, timeout: 2})"#),
        ping_all("client->itself", r#"client.ping("10.0.0.1", #{count: 1})"#),
    );
    let out = Sandbox::new().file("pair.rhai", &script).step("netscript pair.rhai").run();
    out[0]
        .success()
        .stdout_has("client->server sent=3 received=3 loss=0.0 target=10.0.0.2")
        .stdout_has("server->client sent=5 received=5 loss=0.0 target=10.0.0.1")
        .stdout_has("client->itself sent=1 received=1 loss=0.0");
}

#[test]
fn ipv6_ping_between_namespaces() {
    if !privileged() {
        return;
    }
    // Neighbour discovery on a link that just came up can take a second or
    // two; the generous timeout costs nothing once the replies are in.
    let script = format!(
        r#"
        let a = netns_add("a");
        let b = netns_add("b");
        veth_add(a, "a0", b, "b0");
        a.addr_add("a0", "fd00:1::1/64");
        b.addr_add("b0", "fd00:1::2/64");
        a.link_up("a0");
        b.link_up("b0");
        {}
        {}
        "#,
        ping_all("a->b", r#"a.ping("fd00:1::2", #{timeout: 3})"#),
        ping_all("b->a", r#"b.ping(cidr("fd00:1::1/64"), #{count: 2, timeout: 3})"#),
    );
    let out = Sandbox::new().file("v6.rhai", &script).step("netscript v6.rhai").run();
    out[0]
        .success()
        .stdout_has("a->b sent=3 received=3 loss=0.0 target=fd00:1::2")
        .stdout_has("b->a sent=2 received=2 loss=0.0 target=fd00:1::1");
}

#[test]
fn unanswered_ping_loses_everything_and_returns_promptly() {
    if !privileged() {
        return;
    }
    // 203.0.113.7 has no route (the send fails at once); 10.0.0.77 is on the
    // link but nobody answers (the reply never comes, so the timeout ends it).
    let script = r#"
        let red = netns_add("red");
        veth_add(red, "red0", host(), "red-peer");
        red.addr_add("red0", "10.0.0.1/24");
        red.link_up("red0");
        for probe in [["203.0.113.7", #{}], ["10.0.0.77", #{count: 2, timeout: 0.5}]] {
            let r = red.ping(probe[0], probe[1]);
            print(r.target + " sent=" + r.sent + " received=" + r.received + " loss=" + r.loss
                + " rtt=" + r.rtt_min + "/" + r.rtt_avg + "/" + r.rtt_max);
        }
        "#;
    let sandbox = Sandbox::new().file("lost.rhai", script).step("netscript lost.rhai");
    let started = Instant::now();
    let out = sandbox.run();
    let took = started.elapsed();
    out[0]
        .success()
        .stdout_has("203.0.113.7 sent=3 received=0 loss=100.0 rtt=0.0/0.0/0.0")
        .stdout_has("10.0.0.77 sent=2 received=0 loss=100.0 rtt=0.0/0.0/0.0");
    // 0.4 s of sending for the first, 0.2 s of sending and 0.5 s of waiting
    // for the second, and the sandbox around them.
    assert!(took < Duration::from_millis(2500), "the unanswered pings took {took:?}");
}

#[test]
fn ping_from_the_host_namespace_into_a_namespace() {
    if !privileged() {
        return;
    }
    let script = format!(
        r#"
        let ns = netns_add("inside");
        veth_add(host(), "to-inside", ns, "eth0");
        addr_add("to-inside", "10.9.0.1/24");
        link_up("to-inside");
        ns.addr_add("eth0", "10.9.0.2/24");
        ns.link_up("eth0");
        {}
        {}
        "#,
        ping_all("host->inside", r#"ping("10.9.0.2")"#),
        ping_all("host()->inside", r#"host().ping("10.9.0.2", #{count: 2, interval: 0})"#),
    );
    let out = Sandbox::new().file("host.rhai", &script).step("netscript host.rhai").run();
    out[0]
        .success()
        .stdout_has("host->inside sent=3 received=3 loss=0.0 target=10.9.0.2")
        .stdout_has("host()->inside sent=2 received=2 loss=0.0");
}

#[test]
fn bad_ping_arguments_are_positioned_errors() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("addr.rhai", "let red = netns_add(\"red\");\nred.ping(\"10.0.0.300\");\n")
        .file("option.rhai", "let red = netns_add(\"red\");\nred.ping(\"10.0.0.1\", #{cuont: 2});\n")
        .file("gone.rhai", "let red = netns_add(\"red\");\nnetns_del(red);\nred.ping(\"10.0.0.1\");\n")
        .step("netscript addr.rhai")
        .step("netscript option.rhai")
        .step("netscript gone.rhai")
        .step("ls /run/netns")
        .run();
    out[0]
        .failure(1)
        .stderr_has(
            "cannot ping 10.0.0.300 in namespace 'red': '10.0.0.300' is not a valid IPv4 address \
             ('300' is not a number from 0 to 255)",
        )
        .stderr_has("addr.rhai:2:5")
        .stderr_has("delete namespace 'red'");
    out[1]
        .failure(1)
        .stderr_has("cannot ping 10.0.0.1 in namespace 'red': unknown ping option 'cuont'")
        .stderr_has("option.rhai:2:5");
    out[2]
        .failure(1)
        .stderr_has("cannot ping 10.0.0.1 in namespace 'red': namespace 'red' does not exist")
        .stderr_has("gone.rhai:3:5");
    // Every run was rolled back.
    assert_eq!(out[3].success().stdout, "");
}

/// h1..hN on one bridge, 10.30.0.0/16.
const STAR: &str = r#"
let n = param("hosts", 20);
bridge_add("br0");
link_up("br0");
let hosts = [];
for i in 1..=n {
    let h = netns_add(`h${i}`);
    veth_add(host(), `p${i}`, h, "eth0");
    link_set_master(`p${i}`, "br0");
    link_up(`p${i}`);
    h.addr_add("eth0", cidr("10.30.0.0/16").host(i));
    h.link_up("eth0");
    hosts.push(h);
}
"#;

#[test]
fn pingall_over_twenty_namespaces_in_under_two_seconds() {
    if !privileged() {
        return;
    }
    let matrix = r#"
        let hosts = [];
        for i in 1..=20 { hosts.push(netns(`h${i}`)); }
        let r = pingall(hosts);
        if r.received != r.sent || r.sent != 380 { throw `pingall: ${r}`; }
    "#;
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .file("matrix.rhai", matrix)
        .step("netscript star.rhai")
        .step("s=$(date +%s%N); netscript matrix.rhai; e=$(date +%s%N); echo \"took $(( (e - s) / 1000000 )) ms\" >&2")
        .run();
    out[0].success();
    out[1]
        .success()
        .stdout_has("*** Ping: testing ping reachability\nh1 -> h2 h3 h4")
        .stdout_has("*** Results: 0% dropped (380/380 received)");
    let ms: u64 = out[1].stderr.trim().trim_start_matches("took ").trim_end_matches(" ms").parse().unwrap();
    assert!(ms < 2000, "pingall of 20 namespaces took {ms} ms");
}

#[test]
fn pingall_marks_what_does_not_answer() {
    if !privileged() {
        return;
    }
    let script = r#"
        netns("h3").link_down("eth0");
        let r = pingall([netns("h1"), netns("h2"), "h3"], #{timeout: 0.5});
        print(r.failed);
    "#;
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .file("down.rhai", script)
        .step("netscript star.rhai hosts=3")
        .step("netscript down.rhai")
        .run();
    out[0].success();
    out[1]
        .success()
        .stdout_has("h1 -> h2 X\n")
        .stdout_has("h3 -> X X\n")
        .stdout_has("67% dropped (2/6 received)");
}

#[test]
fn assertions_fail_the_script_with_position() {
    if !privileged() {
        return;
    }
    let ok =
        "netns(\"h1\").assert_reachable(\"10.30.0.2\");\nnetns(\"h1\").assert_unreachable(\"10.99.0.1\");\n";
    let bad = "let h1 = netns(\"h1\");\nh1.assert_reachable(\"10.99.0.1\");\n";
    let wrong = "netns(\"h1\").assert_unreachable(\"10.30.0.2\");\n";
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .file("ok.rhai", ok)
        .file("bad.rhai", bad)
        .file("wrong.rhai", wrong)
        .step("netscript star.rhai hosts=2")
        .step("netscript ok.rhai")
        .step("netscript bad.rhai")
        .step("netscript wrong.rhai")
        .run();
    out[0].success();
    out[1].success();
    out[2]
        .failure(1)
        .stderr_has("namespace 'h1' cannot reach 10.99.0.1: 3 pings sent, none answered")
        .stderr_has("bad.rhai:2:4");
    out[3]
        .failure(1)
        .stderr_has("namespace 'h1' reaches 10.30.0.2, which it should not: 3 of 3 pings answered");
}

#[test]
fn exec_runs_inside_the_namespace() {
    if !privileged() {
        return;
    }
    let script = r#"
        let h1 = netns("h1");
        let r = h1.exec("ip -br link; echo to-stderr >&2; exit 3");
        print(r.stdout);
        print(`code=${r.code} stderr=${r.stderr}`);
        let r = h1.exec(["ip", "-j", "addr", "show", "eth0"]);
        print(r.stdout);
        let r = exec("ip -br link show p1");
        print(r.stdout);
        h1.exec("sleep 5", #{timeout: 0.3});
    "#;
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .file("exec.rhai", script)
        .step("netscript star.rhai hosts=2")
        .step("netscript exec.rhai")
        .run();
    out[0].success();
    let run = out[1].failure(1);
    // Inside h1: its own lo and eth0, none of the host's ports.
    let listing: Vec<&str> =
        run.stdout.lines().take(2).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(listing, ["lo", "eth0@if3"], "{}", run.stdout);
    run.stdout_has("code=3 stderr=to-stderr").stdout_has("\"local\":\"10.30.0.1\"").stdout_has("p1@if2");
    run.stderr_has("cannot run `sleep 5` in namespace 'h1': it was still running after 0.3 s and was killed")
        .stderr_has("exec.rhai:10:");
}

#[test]
fn background_processes_are_stopped_at_teardown() {
    if !privileged() {
        return;
    }
    let script = r#"
        let h = netns_add("srv");
        let server = h.start_process("echo serving; exec sleep 300");
        print(server.pid);
        let fails = param("fail", false);
        if fails { throw "stop"; }
    "#;
    let out = Sandbox::new()
        .file("srv.rhai", script)
        // A stopped process whose parent has gone may stay a zombie for a while.
        .step("alive() { [ -e /proc/$1 ] && [ \"$(awk '{print $3}' /proc/$1/stat)\" != Z ]; }; declare -f alive >alive.sh")
        .step("netscript srv.rhai > pid && sleep 0.2 && . ./alive.sh && alive $(cat pid) && echo alive")
        .step("cat /run/netscript/labs/srv.logs/*.log; ip netns identify $(cat pid)")
        .step("netscript down srv && . ./alive.sh && (alive $(cat pid) && echo still-there || echo stopped)")
        .step("netscript --lab again srv.rhai fail=true > pid2; . ./alive.sh; alive $(cat pid2) && echo still-there || echo stopped")
        .step("ls /run/netscript/labs")
        .run();
    out[0].success();
    out[1].success().stdout_has("alive");
    out[2].success().stdout_has("serving\nsrv\n");
    out[3].success().stdout_has("removed 1 namespace; stopped 1 process").stdout_has("stopped");
    out[4].stdout_has("stopped");
    assert_eq!(out[5].stdout, "");
}
