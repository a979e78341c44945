//! Firewall labs: filter rules, chain policies, every NAT form, counters
//! and probes. Each test checks with observers of its own: real TCP and
//! UDP from programs that are not netscript (bash's /dev/tcp, python3),
//! `nft -j list ruleset`, and the kernel's own counters.

use serde_json::Value;

use crate::support::{Sandbox, privileged, script_path as script};

/// Runs a command in a namespace ("" for the host).
fn inside(ns: &str) -> String {
    if ns.is_empty() { String::new() } else { format!("ip netns exec {ns} ") }
}

/// A TCP connection from a namespace, by bash alone: "open" or "closed".
fn tcp(ns: &str, addr: &str, port: u16) -> String {
    format!(
        "{}timeout 2 bash -c 'echo > /dev/tcp/{addr}/{port}' 2>/dev/null && echo open || echo closed",
        inside(ns)
    )
}

/// A UDP datagram from a namespace, by python3: "answered", "refused" or "timeout".
fn udp(ns: &str, addr: &str, port: u16) -> String {
    format!(
        "{}python3 -c \"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect(('{addr}', {port}))
s.send(b'hello')
try:
    s.recv(100); print('answered')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
\"",
        inside(ns)
    )
}

fn objects(ruleset: &Value) -> Vec<Value> {
    ruleset["nftables"].as_array().cloned().unwrap_or_default()
}

/// The comments of the rules of one chain, in nft's order.
fn comments_in(ruleset: &Value, chain: &str) -> Vec<String> {
    objects(ruleset)
        .iter()
        .filter_map(|o| o.get("rule").filter(|r| r["chain"] == chain))
        .map(|r| r["comment"].as_str().unwrap_or("").to_string())
        .collect()
}

fn policy_of(ruleset: &Value, chain: &str) -> Option<String> {
    objects(ruleset)
        .iter()
        .find_map(|o| o.get("chain").filter(|c| c["name"] == chain))
        .map(|c| c["policy"].as_str().unwrap_or("").to_string())
}

/// Packets counted by the rule whose comment ends with `what`.
fn packets(ruleset: &Value, what: &str) -> u64 {
    objects(ruleset)
        .iter()
        .filter_map(|o| o.get("rule"))
        .filter(|r| r["comment"].as_str().is_some_and(|c| c.ends_with(what)))
        .flat_map(|r| r["expr"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["counter"]["packets"].as_u64())
        .sum()
}

/// Everything a run could leave behind, as iproute2 and nft print it.
const SNAPSHOT: &str = "ls /run/netns; ip -br link; ip -br addr; ip route; nft list ruleset; \
     cat /proc/sys/net/ipv4/ip_forward; for ns in $(ls /run/netns); do echo \"== $ns\"; ip -n $ns -br link; \
     ip netns exec $ns nft list ruleset; done";

/// Notes the pids of the labs' processes (listeners), from their ledgers,
/// and prints how many there are.
const NOTE_PIDS: &str = r#"grep -ho '"started":{[^}]*' /run/netscript/labs/*.ledger | grep -o '"pid":[0-9]*' | cut -d: -f2 > pids; wc -l < pids"#;

/// Prints the noted processes that still run (a zombie waiting for its
/// parent to reap it has ended).
const CHECK_PIDS: &str = r#"for p in $(cat pids); do s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); if [ -n "$s" ] && [ "$s" != Z ]; then echo "$p still runs"; fi; done"#;

/// Every test ends with this, so no lab's listener outlives its sandbox.
const CLEAN_UP: &str = "netscript down --all >/dev/null";

#[test]
fn the_firewall_lab_proves_itself_and_real_traffic_agrees() {
    if !privileged() {
        return;
    }
    let server = "10.10.1.2";
    let out = Sandbox::new()
        .step(SNAPSHOT)
        .step(&format!("netscript {}", script("firewall")))
        .step(&tcp("client", server, 80))
        .step(&tcp("client", server, 22))
        .step(&tcp("mgmt", server, 22))
        .step(&udp("client", server, 53))
        .step(&udp("server", "127.0.0.1", 53))
        .step("ip netns exec client ping -c 1 -W 2 10.10.1.2")
        .step("ip netns exec server nft -j list ruleset")
        .step(NOTE_PIDS)
        .step("netscript down firewall")
        .step(SNAPSHOT)
        .step(CHECK_PIDS)
        .step(CLEAN_UP)
        .run();
    let before = out[0].stdout.clone();
    let out = &out[1..];
    out[0].success().stdout_has("server 10.10.1.2: http open to all, ssh to 10.99.0.0/24 only");
    assert_eq!(out[1].stdout, "open\n");
    assert_eq!(out[2].stdout, "closed\n");
    assert_eq!(out[3].stdout, "open\n");
    assert_eq!(out[4].stdout, "timeout\n");
    assert_eq!(out[5].stdout, "answered\n");
    out[6].success().stdout_has("1 received");
    let ruleset = out[7].json();
    assert_eq!(policy_of(&ruleset, "input").as_deref(), Some("drop"));
    assert_eq!(
        comments_in(&ruleset, "input"),
        [
            "netscript/firewall: input iifname 'lo' accept",
            "netscript/firewall: input ct state established,related accept",
            "netscript/firewall: input icmp type echo-request counter accept (counter ping)",
            "netscript/firewall: input tcp dport 80 counter accept (counter http)",
            "netscript/firewall: input ip saddr 10.99.0.0/24 tcp dport 22 counter accept (counter ssh)",
            "netscript/firewall: input udp dport 53 counter drop (counter dns)",
        ]
    );
    // The lab's probes and the observers' packets, counted by the kernel.
    assert!(packets(&ruleset, "(counter http)") >= 2, "{ruleset}");
    assert!(packets(&ruleset, "(counter dns)") >= 2, "{ruleset}");
    assert_eq!(out[8].stdout, "3\n", "three listeners");
    out[9]
        .success()
        .stdout_has("firewall: removed 3 namespaces, 3 links, 6 firewall rules; stopped 3 processes");
    assert_eq!(out[10].stdout, before, "down left something behind");
    assert_eq!(out[11].stdout, "", "down left a listener running");
}

#[test]
fn the_firewall_lab_with_other_names_and_subnets() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!(
            "netscript {} server=web client=guest mgmt=admin prefix=f2 server_net=10.20.0.0/24 \
             client_net=10.21.0.0/24 mgmt_net=10.98.0.0/24 http=8080 ssh=2222",
            script("firewall")
        ))
        .step(&tcp("guest", "10.20.0.2", 8080))
        .step(&tcp("guest", "10.20.0.2", 2222))
        .step(&tcp("admin", "10.20.0.2", 2222))
        .step("ls /run/netns; ip -br link show type veth")
        .step(CLEAN_UP)
        .run();
    out[0].success().stdout_has("ssh to 10.98.0.0/24 only");
    assert_eq!(out[1].stdout, "open\n");
    assert_eq!(out[2].stdout, "closed\n");
    assert_eq!(out[3].stdout, "open\n");
    out[4].success().stdout_has("admin\nguest\nweb\n").stdout_has("f2-srv@").stdout_has("f2-mgmt@");
}

#[test]
fn the_router_firewall_lab_proves_itself() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("router-firewall")))
        .step(&tcp("internet", "203.0.113.2", 8080))
        .step(&tcp("internet", "10.1.0.20", 80))
        .step(&tcp("lan-client", "10.1.0.20", 80))
        .step("ip netns exec lan-client ping -c 1 -W 2 198.51.100.1")
        .step("ip netns exec internet ping -c 1 -W 1 10.1.0.10")
        .step("ip netns exec router nft -j list ruleset")
        .step("ip -br link | wc -l; nft list ruleset | wc -l")
        .step(CLEAN_UP)
        .run();
    out[0]
        .success()
        .stdout_has("router: the LAN goes out as 203.0.113.2; only port 8080 comes in, to 10.1.0.20:80");
    assert_eq!(out[1].stdout, "open\n");
    assert_eq!(out[2].stdout, "closed\n");
    assert_eq!(out[3].stdout, "open\n", "the LAN among itself");
    out[4].success().stdout_has("1 received");
    out[5].failure(1);
    let ruleset = out[6].json();
    assert_eq!(policy_of(&ruleset, "forward").as_deref(), Some("drop"));
    assert_eq!(comments_in(&ruleset, "postrouting"), ["netscript/router-firewall: masquerade out up0"]);
    // The host is untouched: the sandbox's lo, and no rules.
    assert_eq!(out[7].stdout, "1\n0\n");
}

/// A server namespace on a veth pair to the host (host end 10.5.0.1, the
/// server 10.5.0.2), with listeners on 80, 81 and UDP 53.
const SERVER: &str = r#"
let s = netns_add("s", #{ipv6: false});
veth_add(host(), "to-s", s, "eth0");
addr_add("to-s", "10.5.0.1/24");
link_up("to-s");
s.addr_add("eth0", "10.5.0.2/24");
s.link_up("eth0");
s.listen(80);
s.listen(81);
s.listen(53, #{proto: "udp"});
"#;

#[test]
fn rules_keep_the_order_they_were_added_in_and_the_first_match_wins() {
    if !privileged() {
        return;
    }
    let rules = r#"
let s = netns("s");
s.rule_add("input", #{proto: "tcp", dport: 80, verdict: "drop"});
s.rule_add("input", #{proto: "tcp", dport: [80, 81], verdict: "accept"});
s.rule_add("input", "tcp dport 82 counter accept");
s.rule_add("input", #{proto: "tcp", dport: 80, verdict: "drop"});      // again: still one rule
s.rule_add("input", #{iif: "eth0", proto: "udp", verdict: "reject"});
print(s.rules().len());
"#;
    let out = Sandbox::new()
        .file("server.rhai", SERVER)
        .file("rules.rhai", rules)
        .step("netscript server.rhai && netscript rules.rhai")
        .step("ip netns exec s nft -j list ruleset")
        .step(&tcp("", "10.5.0.2", 80))
        .step(&tcp("", "10.5.0.2", 81))
        .step(&udp("", "10.5.0.2", 53))
        .step(CLEAN_UP)
        .run();
    out[0].success();
    assert_eq!(out[0].stdout, "4\n");
    assert_eq!(
        comments_in(&out[1].json(), "input"),
        [
            "netscript/rules: input tcp dport 80 drop",
            "netscript/rules: input tcp dport { 80, 81 } accept",
            "netscript/rules: input tcp dport 82 counter accept",
            "netscript/rules: input iifname 'eth0' meta l4proto udp reject",
        ]
    );
    // The drop came first: 80 is closed though the accept also matches it.
    assert_eq!(out[2].stdout, "closed\n");
    assert_eq!(out[3].stdout, "open\n");
    assert_eq!(out[4].stdout, "refused\n");
}

/// The user's own firewall on the host, which netscript must leave alone.
const USER_FIREWALL: &str = "nft add table inet filter && \
     nft add chain inet filter input '{ type filter hook input priority 10; policy accept; }' && \
     nft add rule inet filter input tcp dport 9999 counter drop";

const HOST_POLICIES: &str = r#"
let u = netns("u");
policy("input", "drop", #{whole_namespace: true});
policy("forward", "drop", #{whole_namespace: true});
rule_add("input", #{iif: "lo", verdict: "accept"});
masquerade("lo");
u.policy("output", "drop", #{whole_namespace: true});
u.rule_add("output", #{oif: "lo", verdict: "accept"});
if param("fail", false) { throw "stop after the policies"; }
"#;

#[test]
fn rollback_and_down_set_policies_back_and_leave_the_users_tables_alone() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", HOST_POLICIES)
        .step(&format!("{USER_FIREWALL} && ip netns add u && ip netns exec u nft add table ip mine"))
        .step(SNAPSHOT)
        .step("netscript lab.rhai fail=true")
        .step(SNAPSHOT)
        .step("netscript lab.rhai && nft -j list ruleset && ip netns exec u nft -j list ruleset")
        .step("netscript down lab")
        .step(SNAPSHOT)
        .step(CLEAN_UP)
        .run();
    out[0].success();
    out[2].failure(1).stderr_has("stop after the policies").stderr_has("rolled back 6 changes");
    assert_eq!(out[1].stdout, out[3].stdout, "rollback left something behind");
    let mut up = out[4].success().stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let host = up.next().unwrap();
    assert_eq!(policy_of(&host, "forward").as_deref(), Some("drop"));
    let u = up.next().unwrap();
    assert_eq!(policy_of(&u, "output").as_deref(), Some("drop"));
    out[5].success().stdout_has("lab: removed 3 firewall rules; set back 3 settings");
    assert_eq!(out[1].stdout, out[6].stdout, "down left something behind");
}

#[test]
fn a_drop_policy_where_the_lab_did_not_make_the_namespace_is_refused() {
    if !privileged() {
        return;
    }
    let refused = "veth_add(\"lab0\", \"lab1\");\npolicy(\"input\", \"drop\");\n";
    // The scoped form the message offers: the lab's interfaces only.
    let scoped = format!(
        "{SERVER}\nlisten(80);\nrule_add(\"input\", #{{iif: \"to-s\", proto: \"icmp\", verdict: \"accept\"}});\n\
         rule_add(\"input\", #{{iif: [\"to-s\"], verdict: \"drop\"}});\n"
    );
    let out = Sandbox::new()
        .file("refused.rhai", refused)
        .file("scoped.rhai", &scoped)
        .step(SNAPSHOT)
        .step("netscript refused.rhai")
        .step(SNAPSHOT)
        .step("netscript scoped.rhai")
        .step("ip netns exec s ping -c 1 -W 1 10.5.0.1")
        .step(&tcp("s", "10.5.0.1", 80))
        .step(&tcp("", "127.0.0.1", 80))
        .step("nft -j list ruleset")
        .step(CLEAN_UP)
        .run();
    out[1]
        .failure(1)
        .stderr_has("refused.rhai:2:1")
        .stderr_has("cannot set the policy of chain input to drop: netscript did not make this machine")
        .stderr_has("rule_add(\"input\", #{iif: [\"lab0\", \"lab1\"], verdict: \"drop\"})")
        .stderr_has("policy(\"input\", \"drop\", #{whole_namespace: true})");
    assert_eq!(out[0].stdout, out[2].stdout);
    out[3].success();
    out[4].success().stdout_has("1 received");
    assert_eq!(out[5].stdout, "closed\n");
    // Only the lab's interface: the rest of the host's traffic still comes in.
    assert_eq!(out[6].stdout, "open\n");
    assert_eq!(policy_of(&out[7].json(), "input").as_deref(), Some("accept"));
}

/// Runs `body` (line 5 of the script) after work that must be rolled back,
/// and checks the message and that nothing is left behind.
#[track_caller]
fn fails_cleanly(body: &str, expected: &[&str]) {
    let script = format!(
        "let keep = netns_add(\"built-first\");\nveth_add(host(), \"v-first\", keep, \"v-in\");\n\
         keep.policy(\"input\", \"drop\");\nrule_add(\"forward\", #{{iif: \"v-first\", verdict: \"accept\"}});\n{body}\n"
    );
    let out = Sandbox::new()
        .file("bad.rhai", &script)
        .step(USER_FIREWALL)
        .step(SNAPSHOT)
        .step("netscript bad.rhai")
        .step(SNAPSHOT)
        .step(CLEAN_UP)
        .run();
    out[0].success();
    let run = &out[2];
    run.failure(1).stderr_has("bad.rhai:5:").stderr_has("rolled back");
    for text in expected {
        run.stderr_has(text);
    }
    assert_eq!(out[1].stdout, out[3].stdout, "the sandbox changed:\n{}", run.stderr);
}

#[test]
fn bad_rules_fail_at_their_line_and_leave_nothing() {
    if !privileged() {
        return;
    }
    fails_cleanly(
        "keep.rule_add(\"input\", #{proto: \"tcp\", dprot: 22, verdict: \"accept\"});",
        &[
            "cannot add the rule to chain input in namespace 'built-first': unknown key 'dprot' in the rule; the keys are",
        ],
    );
    fails_cleanly(
        "rule_add(\"forward\", #{proto: \"tcp\", dport: 70000, verdict: \"accept\"});",
        &["dport: '70000' is not a port: ports go from 1 to 65535"],
    );
    fails_cleanly(
        "rule_add(\"forward\", #{proto: \"icmp\", dport: 80, verdict: \"accept\"});",
        &["dport: icmp has no ports; ports go with tcp or udp"],
    );
    fails_cleanly(
        "rule_add(\"forward\", #{saddr: \"10.0.0.5/24\", verdict: \"drop\"});",
        &["saddr: 10.0.0.5/24 has host bits set; the network is 10.0.0.0/24"],
    );
    fails_cleanly(
        "rule_add(\"forward\", #{iif: \"nope0\", verdict: \"accept\"});",
        &["no link named 'nope0' in the host namespace"],
    );
    fails_cleanly(
        "rule_add(\"INPUT\", #{verdict: \"accept\"});",
        &["'INPUT' is not a chain of netscript's table (did you mean 'input'?)"],
    );
    fails_cleanly("policy(\"postrouting\", \"drop\");", &["'postrouting' is netscript's NAT chain"]);
    fails_cleanly(
        "keep.rule_add(\"input\", \"tcp dport 22 ip saddr 10.99.0.0/24 acept\");",
        &["nft rejects it: syntax error", "'tcp dport 22 ip saddr 10.99.0.0/24 acept'"],
    );
    fails_cleanly(
        "rule_add(\"input\", \"tcp dport 22 accept; flush ruleset\");",
        &["contains ';', which ends an nft command; give one rule"],
    );
    fails_cleanly(
        "masquerade(\"fd00::/64\", \"v-first\");",
        &["'v-first' has no IPv6 address to give the traffic, so the masquerade would change nothing"],
    );
}

#[test]
fn counters_count_what_real_traffic_did() {
    if !privileged() {
        return;
    }
    let counted = r#"
let s = netns("s");
s.rule_add("input", #{proto: "tcp", dport: 80, verdict: "accept", counter: "web"});
s.rule_add("input", "tcp dport 81 counter accept", #{counter: "web"});
s.rule_add("input", #{proto: "udp", dport: 53, verdict: "drop", counter: "dns"});
print(s.counter("web"));
"#;
    let probe = "for i in 1 2 3; do timeout 2 bash -c 'echo > /dev/tcp/10.5.0.2/80'; done; \
                 timeout 2 bash -c 'echo > /dev/tcp/10.5.0.2/81'";
    let out = Sandbox::new()
        .file("server.rhai", SERVER)
        .file("counted.rhai", counted)
        .step("netscript server.rhai && netscript --lab c counted.rhai")
        .step(probe)
        .step(&udp("", "10.5.0.2", 53))
        .step("echo 'let s = netns(\"s\"); print(s.counter(\"web\").packets); print(s.counter(\"dns\").packets);' | netscript --lab c")
        .step("ip netns exec s nft -j list ruleset")
        .step("echo 'netns(\"s\").counter(\"nothing\")' | netscript --lab c")
        .step(CLEAN_UP)
        .run();
    out[0].success().stdout_has("#{\"bytes\": 0, \"packets\": 0}");
    out[1].success();
    assert_eq!(out[2].stdout, "timeout\n");
    let said: Vec<u64> = out[3].success().stdout.lines().map(|l| l.parse().unwrap()).collect();
    let ruleset = out[4].json();
    // netscript's numbers are the kernel's: the web rules saw the four connections.
    assert_eq!(said[0], packets(&ruleset, "(counter web)"));
    assert!(said[0] >= 4 * 2, "{said:?}");
    assert_eq!(said[1], packets(&ruleset, "(counter dns)"));
    assert_eq!(said[1], 1);
    out[5].failure(1).stderr_has("no rule of this lab in namespace 's' counts as 'nothing'");
}

#[test]
fn ls_show_and_down_count_rules_alike_and_show_other_tables() {
    if !privileged() {
        return;
    }
    let lab = r#"
let r = netns_add("r");
r.bridge_add("lan0");
r.bridge_add("up0");
r.addr_add("up0", "203.0.113.2/24");
r.masquerade("10.0.0.0/24", "up0");
r.forward_accept("lan0", "up0");
r.port_forward(8080, "10.0.0.5:80", #{iif: "up0"});
r.rule_add("input", #{proto: "tcp", dport: 22, verdict: "accept"});
r.policy("input", "drop");
r.exec("nft add table inet other; nft add chain inet other c; nft add rule inet other c accept; nft add rule inet other c drop");
"#;
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript lab.rhai")
        .step("netscript ls")
        .step("netscript ls --json")
        .step("netscript show lab --json")
        .step("netscript show lab")
        .step("ip netns exec r nft -j list table inet netscript")
        .step("netscript down lab")
        .step(CLEAN_UP)
        .run();
    out[0].success();
    let ls = &out[1].success().stdout;
    assert!(ls.lines().nth(1).unwrap().trim_end().ends_with(" 6"), "{ls}");
    let json = out[2].json();
    assert_eq!(json[0]["rules"].as_array().unwrap().len(), 6);
    assert_eq!(json[0]["policies"], serde_json::json!(["r/input"]));
    let show = out[3].json();
    let r = &show["namespaces"][0];
    assert_eq!(r["rules"].as_array().unwrap().len(), 6);
    assert_eq!(r["other_tables"], serde_json::json!([{"table": "inet other", "rules": 2}]));
    assert!(
        r["chains"].as_array().unwrap().contains(&serde_json::json!({"name": "input", "policy": "drop"}))
    );
    out[4]
        .success()
        .stdout_has("  policy drop: input\n")
        .stdout_has("  other tables here, which may drop traffic too: inet other (2 rules)\n");
    let nft = out[5].json();
    assert_eq!(objects(&nft).iter().filter(|o| o.get("rule").is_some()).count(), 6);
    out[6].success().stdout_has("lab: removed 1 namespace, 6 firewall rules");
}

#[test]
fn probes_tell_open_refused_unreachable_and_timeout() {
    if !privileged() {
        return;
    }
    let probes = r#"
let s = netns("s");
s.rule_add("input", #{proto: "tcp", dport: 81, verdict: "drop"});
s.rule_add("input", "tcp dport 82 reject with icmpx type host-unreachable");
for port in [80, 81, 82, 83] { print(`tcp ${port} ${tcp_probe(`10.5.0.2:${port}`, #{timeout: 0.5})}`); }
print(`udp 53 ${udp_probe("10.5.0.2:53")}`);
print(`udp 54 ${udp_probe("10.5.0.2:54")}`);
print(`inside ${s.tcp_probe("127.0.0.1:80")}`);
assert_open("10.5.0.2:80");
assert_closed("10.5.0.2:81", #{timeout: 0.3});
assert_open("10.5.0.2:53", #{proto: "udp"});
assert_open("10.5.0.2:83");
"#;
    let closed = "assert_closed(\"10.5.0.2:80\");\n";
    let out = Sandbox::new()
        .file("server.rhai", SERVER)
        .file("probes.rhai", probes)
        .file("closed.rhai", closed)
        .step("netscript server.rhai")
        .step("netscript probes.rhai")
        .step("netscript closed.rhai")
        .step(CLEAN_UP)
        .run();
    out[0].success();
    out[1]
        .failure(1)
        .stderr_has("host namespace cannot reach TCP 10.5.0.2:83, which should be open: refused")
        .stderr_has("probes.rhai:12:1");
    assert_eq!(
        out[1].stdout,
        "tcp 80 open\ntcp 81 timeout\ntcp 82 unreachable\ntcp 83 refused\nudp 53 open\nudp 54 refused\ninside open\n"
    );
    out[2]
        .failure(1)
        .stderr_has("the host namespace reaches TCP 10.5.0.2:80, which should be closed: it answered")
        .stderr_has("closed.rhai:1:1");
}

#[test]
fn a_probe_ends_at_a_signal_and_the_run_rolls_back() {
    if !privileged() {
        return;
    }
    let lab = r#"
let s = netns_add("s");
veth_add(host(), "to-s", s, "eth0");
addr_add("to-s", "10.5.0.1/24");
link_up("to-s");
s.addr_add("eth0", "10.5.0.2/24");
s.link_up("eth0");
s.rule_add("input", #{proto: "tcp", dport: 80, verdict: "drop"});
print("probing");
print(tcp_probe("10.5.0.2:80", #{timeout: 60}));
"#;
    // The signal comes once the probe runs, however slow the machine.
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript lab.rhai >said & for i in $(seq 300); do grep -q probing said 2>/dev/null && break; sleep 0.1; done; \
               sleep 0.3; start=$(date +%s); kill -TERM $!; wait $!; echo \"exit $? after $(( $(date +%s) - start ))s\"")
        .step("ls /run/netns; ip -br link")
        .step(CLEAN_UP)
        .run();
    let said = &out[0].stdout;
    assert!(said.starts_with("exit 1 after "), "{said}\n{}", out[0].stderr);
    let secs: u64 = said.trim().trim_start_matches("exit 1 after ").trim_end_matches('s').parse().unwrap();
    assert!(secs <= 4, "the probe kept waiting: {said}");
    out[0].stderr_has("interrupted").stderr_has("rolled back");
    assert_eq!(out[1].stdout.lines().count(), 1, "{}", out[1].stdout);
}

/// A router namespace with a LAN host and an uplink into a stand-in
/// internet (203.0.113.1, 198.51.100.1 behind it); the uplink has a second
/// address for source NAT.
const NAT_ROUTER: &str = r#"
let inet = netns_add("inet");
let r = netns_add("r");
let h = netns_add("h");
veth_add(r, "up0", inet, "isp0");
r.addr_add("up0", "203.0.113.2/24");
r.addr_add("up0", "203.0.113.9/24");
r.link_up("up0");
inet.addr_add("isp0", "203.0.113.1/24");
inet.link_up("isp0");
inet.addr_add("lo", "198.51.100.1/32");
r.route_add("default", "203.0.113.1");
veth_add(r, "lan0", h, "eth0");
r.addr_add("lan0", "10.0.0.1/24");
r.link_up("lan0");
h.addr_add("eth0", "10.0.0.11/24");
h.link_up("eth0");
h.route_add("default", "10.0.0.1");
r.forwarding(true);
"#;

#[test]
fn every_nat_form_rewrites_what_it_should() {
    if !privileged() {
        return;
    }
    let masq = "let r = netns(\"r\");\nr.masquerade(\"up0\");\nprint(netns(\"h\").source_seen(\"inet\", \"198.51.100.1\"));\n";
    let snat = "let r = netns(\"r\");\nr.snat(\"10.0.0.0/24\", \"up0\", \"203.0.113.9\");\nprint(netns(\"h\").source_seen(\"inet\", \"198.51.100.1\"));\n";
    let redirect = "let r = netns(\"r\");\nr.listen(80);\nr.redirect(8080, 80, #{iif: \"lan0\"});\n\
                    print(netns(\"h\").tcp_probe(\"10.0.0.1:8080\"));\nprint(netns(\"h\").tcp_probe(\"10.0.0.1:8081\"));\n";
    let out = Sandbox::new()
        .file("router.rhai", NAT_ROUTER)
        .file("masq.rhai", masq)
        .file("snat.rhai", snat)
        .file("redirect.rhai", redirect)
        .step("netscript router.rhai")
        .step("netscript masq.rhai && netscript down masq")
        .step("netscript snat.rhai && netscript down snat")
        .step("netscript redirect.rhai")
        .step(&tcp("h", "10.0.0.1", 8080))
        .step("ip netns exec r nft -j list ruleset")
        .step(CLEAN_UP)
        .run();
    out[0].success();
    assert!(out[1].success().stdout.starts_with("203.0.113.2\n"), "{}", out[1].stdout);
    assert!(out[2].success().stdout.starts_with("203.0.113.9\n"), "{}", out[2].stdout);
    assert_eq!(out[3].success().stdout, "open\nrefused\n");
    assert_eq!(out[4].stdout, "open\n");
    assert_eq!(
        comments_in(&out[5].json(), "prerouting"),
        ["netscript/redirect: redirect tcp 8080 on lan0 to 80"]
    );
}
