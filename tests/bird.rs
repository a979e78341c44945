//! The bird module's labs (scripts/ospf.rhai, scripts/bgp.rhai) in sandboxes:
//! each proves itself, and observers of their own agree: birdc asked
//! inside each router's daemon's own view, `ip -j route` with proto bird,
//! iputils' ping between loopbacks; after `down` (and after a rollback) no
//! process of the lab is alive and no file of it is left.
//!
//! birdc from outside: `ip netns exec rK birdc` would look for the socket in
//! the sandbox's /run, not the node's private one. The tests find the
//! node's daemon (`ip netns pids`, comm "bird") and run birdc with
//! `nsenter` in its mount and network namespaces: the node as its daemon
//! sees it, without netscript's help.

use serde_json::Value;

use crate::support::{Sandbox, privileged, script_path as script};

/// Whether BIRD 2 is installed (bird and birdc on PATH). Without it the
/// tests that run it skip with a reason, except in CI, which installs it.
fn bird_installed() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = ["bird", "birdc"].iter().all(|p| std::env::split_paths(&path).any(|d| d.join(p).is_file()));
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but bird and birdc are not on PATH: install bird2");
        }
        eprintln!("skipped: needs BIRD 2 (bird, birdc on PATH): apt install bird2");
    }
    found
}

/// Shell: the pid of the BIRD daemon in namespace `node`.
fn bird_pid(node: &str) -> String {
    format!("$(for p in $(ip netns pids {node}); do [ \"$(cat /proc/$p/comm)\" = bird ] && echo $p; done)")
}

/// Shell: birdc `command` against `node`'s daemon, as the daemon sees /run.
fn birdc(node: &str, command: &str) -> String {
    format!("nsenter -t {} -m -n birdc {command}", bird_pid(node))
}

/// Shell: the pids of the lab's BIRD daemons, one a line, then the inode of
/// each lab namespace as `net:[N]`, for `gone` to look for after `down`.
fn remember(nodes: &[&str]) -> String {
    let pids: Vec<String> = nodes.iter().map(|n| format!("echo {}", bird_pid(n))).collect();
    let inodes: Vec<String> =
        nodes.iter().map(|n| format!("echo \"net:[$(stat -L -c %i /run/netns/{n})]\"")).collect();
    format!("{{ {}; {}; }} >remembered", pids.join("; "), inodes.join("; "))
}

/// Shell: prints each remembered daemon still alive (not a zombie) and each
/// process still in a remembered namespace; then what is left of the
/// nodes' files (/etc/netns, their /run under /run/netscript/nodes) and of
/// the lab (its ledger and logs).
const GONE: &str = r#"
while read -r what; do
  case "$what" in
  net:*) for p in /proc/[0-9]*; do [ "$(readlink $p/ns/net 2>/dev/null)" = "$what" ] && echo "in $what: $p $(cat $p/comm)"; done ;;
  *) s=$(cut -d' ' -f3 /proc/$what/stat 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && echo "alive: $what $(cat /proc/$what/comm)" ;;
  esac
done <remembered
find /etc/netns /run/netscript/nodes /run/netscript/labs -mindepth 1 2>/dev/null
true
"#;

/// Routes of `ip -j route` with proto bird, as "dst via gateway" or "dst dev d".
fn bird_routes(json: &Value) -> Vec<String> {
    let mut found: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["protocol"] == "bird")
        .map(|r| match r["gateway"].as_str() {
            Some(gw) => format!("{} via {gw}", r["dst"].as_str().unwrap()),
            None => format!("{} dev {}", r["dst"].as_str().unwrap(), r["dev"].as_str().unwrap_or("-")),
        })
        .collect();
    found.sort();
    found
}

#[test]
fn ospf_ring_converges_and_reroutes_round_the_ring() {
    if !privileged() || !bird_installed() {
        return;
    }
    let nodes = ["r1", "r2", "r3", "r4"];
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("ospf")))
        .step(&birdc("r1", "show protocols"))
        .step(&format!("{}; {}", birdc("r1", "show status"), birdc("r3", "show status")))
        .step(&birdc("r3", "show ospf neighbors"))
        .step("ip -j -n r1 route")
        .step("ip netns exec r3 ping -c 1 -W 2 -I 10.255.255.3 10.255.255.1")
        .step("ip netns exec r1 ping -c 1 -W 2 -I 10.255.255.1 10.255.255.2")
        // The sandbox's own /run has no daemon's socket: each is in its node's.
        .step("ip netns exec r1 birdc show status; ls /run/bird")
        .step(&remember(&nodes))
        .step("netscript down ospf")
        .step(GONE)
        .run();
    out[0]
        .success()
        .stdout_has("OSPF converged: each of 4 routers reaches every loopback")
        .stdout_has("r1-r2 down: r1 reaches r2 via r4 (10.0.0.13), not 10.0.0.2");
    let protocols = &out[1].success().stdout;
    assert!(protocols.lines().any(|l| l.starts_with("ospf1") && l.contains("Running")), "{protocols}");
    // Two daemons, each answering on its own node's socket.
    out[2].success().stdout_has("Router ID is 10.255.255.1").stdout_has("Router ID is 10.255.255.3");
    assert!(!out[2].stdout.contains("10.255.255.2"), "{}", out[2].stdout);
    let neighbours = &out[3].success().stdout;
    assert_eq!(neighbours.matches("Full/PtP").count(), 2, "{neighbours}");
    // With r1-r2 down, all of r1's routes to the ring go through r4.
    let routes = bird_routes(&out[4].json());
    for k in 2..=4 {
        assert!(routes.contains(&format!("10.255.255.{k} via 10.0.0.13")), "{routes:?}");
    }
    out[5].success().stdout_has("1 received");
    out[6].success().stdout_has("1 received");
    out[7].failure(2).stderr_has("Unable to connect to server control socket (/run/bird/bird.ctl)");
    out[8].success();
    out[9].success().stdout_has("ospf: removed 4 namespaces, 4 files; stopped 4 processes");
    assert_eq!(out[10].stdout, "", "left after down");
}

#[test]
fn bgp_line_passes_prefixes_on_with_their_as_path() {
    if !privileged() || !bird_installed() {
        return;
    }
    let nodes = ["as1", "as2", "as3"];
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("bgp")))
        .step(&birdc("as2", "show protocols"))
        .step(&birdc("as1", "show route all 10.3.0.0/24"))
        .step("ip -j -n as1 route; ip -j -n as3 route")
        .step("ip netns exec as1 ping -c 1 -W 2 -I 10.1.0.1 10.3.0.1")
        .step(&remember(&nodes))
        .step("netscript down bgp")
        .step(GONE)
        .run();
    out[0].success().stdout_has(
        "as1 and as3 reach each other through as2; as1 sees 10.3.0.0/24 with the AS path [65002, 65003]",
    );
    let protocols = &out[1].success().stdout;
    for peer in ["peer_as1", "peer_as3"] {
        assert!(
            protocols.lines().any(|l| l.starts_with(peer) && l.contains("BGP") && l.contains("Established")),
            "{protocols}"
        );
    }
    out[2].success().stdout_has("BGP.as_path: 65002 65003");
    let mut tables = out[3].success().stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let as1 = tables.next().unwrap();
    assert_eq!(bird_routes(&as1), ["10.2.0.0/24 via 10.0.12.2", "10.3.0.0/24 via 10.0.12.2"]);
    // Routes carry the loopback as their source, so replies find a way back.
    assert!(as1.as_array().unwrap().iter().any(|r| r["dst"] == "10.3.0.0/24" && r["prefsrc"] == "10.1.0.1"));
    assert_eq!(
        bird_routes(&tables.next().unwrap()),
        ["10.1.0.0/24 via 10.0.23.1", "10.2.0.0/24 via 10.0.23.1"]
    );
    out[4].success().stdout_has("1 received");
    out[5].success();
    out[6].success().stdout_has("bgp: removed 3 namespaces, 3 files; stopped 3 processes");
    assert_eq!(out[7].stdout, "", "left after down");
}

/// Starts BIRD in two routers, then fails: a wait for a prefix no one
/// announces.
const FAILS_AFTER_START: &str = r#"
import "topo" as topo;
import "bird" as bird;
let a = topo::router("a");
let b = topo::router("b");
a.addr_add("lo", "10.255.0.1/32");
b.addr_add("lo", "10.255.0.2/32");
topo::p2p(a, b, "10.9.0.0/30");
for r in [a, b] {
    let p = bird::start(r, bird::ospf(r));
    print(p.pid);
}
bird::wait(a, ["10.99.0.0/24"], #{timeout: 1});
"#;

#[test]
fn rollback_after_the_daemons_started_leaves_nothing() {
    if !privileged() || !bird_installed() {
        return;
    }
    let out = Sandbox::new()
        .file("fails.rhai", FAILS_AFTER_START)
        .step("netscript fails.rhai >pids; rc=$?; cat pids; exit $rc")
        .step("cp pids remembered")
        .step(GONE)
        .step("ls /run/netns")
        .run();
    // The wait names the node, what it lacks and the daemon's protocols.
    out[0]
        .failure(1)
        .stderr_has("a: BIRD did not converge within 1 s: no route to 10.99.0.0/24. Its protocols: ")
        .stderr_has("ospf1 up Running")
        .stderr_has("stop process");
    assert_eq!(out[0].stdout.lines().count(), 2, "{}", out[0].stdout);
    assert_eq!(out[2].stdout, "", "left after the rollback");
    assert_eq!(out[3].stdout, "");
}

/// `netscript --dry-run` on a lab of scripts/: no root, no sandbox, as it
/// touches nothing.
fn dry_run(name: &str, params: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_netscript"))
        .arg("--dry-run")
        .arg(script(name))
        .args(params)
        .output()
        .unwrap()
}

#[test]
fn the_dry_run_shows_each_config_and_daemon() {
    let out = dry_run("ospf", &["routers=3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for (k, ifaces) in [(1, "\"to-r2\", \"to-r3\""), (2, "\"to-r1\", \"to-r3\""), (3, "\"to-r1\", \"to-r2\"")]
    {
        assert!(text.contains(&format!("router id 10.255.255.{k};")), "{text}");
        assert!(text.contains(&format!("stubnet 10.255.255.{k}/32;")), "{text}");
        assert!(text.contains(&format!("interface {ifaces} {{")), "{text}");
    }
    assert_eq!(text.matches("bird -f -c").count(), 3, "{text}");
}

#[test]
fn the_dry_run_shows_each_bgp_session() {
    let out = dry_run("bgp", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    // as2 peers with both ends, at their addresses on the links it shares.
    let as2 = &text[text.find("> '/etc/netns/as2/bird/bird.conf'").unwrap()..];
    let as2 = &as2[..as2.find("\nNETSCRIPT_FILE\n").unwrap()];
    for line in [
        "router id 10.2.0.1;",
        "route 10.2.0.0/24 blackhole;",
        "krt_prefsrc = 10.2.0.1;",
        "protocol bgp peer_as1 {",
        "neighbor 10.0.12.1 as 65001;",
        "protocol bgp peer_as3 {",
        "neighbor 10.0.23.2 as 65003;",
        "local as 65002;",
    ] {
        assert!(as2.contains(line), "{line}: {as2}");
    }
}

#[test]
fn a_ring_needs_three_routers() {
    let out = dry_run("ospf", &["routers=2"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("routers=2: a ring has 3 to 64 routers"), "{err}");
}

/// A script run with `--dry-run` from stdin: its exit code and stderr.
fn dry_run_text(text: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netscript"))
        .args(["--dry-run", "--lab", "mistakes", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mistakes_in_bird_calls_say_what_to_give() {
    let lab = r#"
import "bird" as bird;
let a = netns_add("a");
let b = netns_add("b");
veth_add(a, "to-b", b, "to-a");
"#;
    for (call, message) in [
        (
            "bird::ospf(a)",
            "a has no IPv4 address to be BIRD's router id; give #{router_id: \"10.255.255.1\"}",
        ),
        (
            "a.addr_add(\"lo\", \"10.255.0.1/32\"); bird::ospf(a)",
            "bird::ospf: a has no link with an IPv4 address to run OSPF on",
        ),
        (
            "a.addr_add(\"to-b\", \"10.0.0.1/30\"); bird::ospf(a, #{helo: 1})",
            "bird::ospf: unknown option 'helo'; the options are: router_id, area, interfaces, type, hello, dead, cost",
        ),
        (
            "a.addr_add(\"to-b\", \"10.0.0.1/30\"); bird::ospf(a, #{interfaces: [\"eth9\"]})",
            "bird::ospf: a has no link 'eth9' with an IPv4 address",
        ),
        (
            "a.addr_add(\"to-b\", \"10.0.0.1/30\"); b.addr_add(\"to-a\", \"10.0.9.2/30\"); \
             bird::bgp(a, 65001, [#{node: b, asn: 65002}], [])",
            "bird::bgp: a and b share no subnet to peer on; give the peer's addr",
        ),
        (
            "a.addr_add(\"to-b\", \"10.0.0.1/30\"); bird::bgp(a, 65001, [#{addr: \"10.0.0.2\"}], [])",
            "bird::bgp: peer 1 needs its asn: #{node: \"as2\", asn: 65002}",
        ),
    ] {
        let (code, err) = dry_run_text(&format!("{lab}{call};\n"));
        assert_eq!(code, Some(1), "{call}: {err}");
        assert!(err.contains(message), "{call}: {err}");
    }
}

#[test]
fn a_config_bird_refuses_is_the_error_and_rolled_back() {
    if !privileged() || !bird_installed() {
        return;
    }
    let lab = "import \"bird\" as bird;\nlet r = netns_add(\"r\");\nbird::start(r, \"router id 10.0.0.1;\\nprotocol bogus {}\\n\");\n";
    let out = Sandbox::new()
        .file("refused.rhai", lab)
        .step("netscript refused.rhai")
        .step("find /etc/netns /run/netscript/nodes -mindepth 1; ls /run/netns")
        .run();
    out[0]
        .failure(1)
        .stderr_has("bird::start: BIRD refuses r's config: bird: /etc/bird/bird.conf:2:10 syntax error")
        .stderr_has("delete namespace 'r'");
    assert_eq!(out[1].stdout, "");
}
