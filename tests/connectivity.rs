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
