//! scripts/dhcp.rhai and the dhcp module: dnsmasq serving leases and names
//! on a bridge, busybox udhcpc getting them. Observed from outside
//! netscript: iproute2's view of the hosts' addresses and routes, dnsmasq's
//! own lease file, glibc's resolver in a node as `ip netns exec` sets it up
//! (its /etc/netns/NODE/resolv.conf), iputils' ping, and /proc after `down`.

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::support::{Sandbox, addresses_of, privileged, script_path as script};

/// The lab's range with its defaults: the subnet's hosts 100 to 199.
/// The start of the labs below: a bridge `lan` and the server node `srv`
/// on it at 10.9.0.1/24.
const SERVER: &str = r#"import "topo" as topo;
import "dhcp" as dhcp;
topo::bridge("lan");
let srv = netns_add("srv");
topo::attach(srv, "lan", "10.9.0.1/24");
"#;

fn in_range(addr: &str) -> bool {
    let Some(host) = addr.strip_prefix("10.0.0.").and_then(|rest| rest.strip_suffix("/24")) else {
        return false;
    };
    host.parse::<u32>().is_ok_and(|n| (100..=199).contains(&n))
}

/// The pids of every process in the lab's namespaces, saved to a file for
/// a later step to look for.
const SAVE_PIDS: &str = "for ns in $(ls /run/netns); do ip netns pids $ns; done >pids; cat pids";

/// The command lines of the saved processes still alive, when they are still
/// the lab's programs (not another test's process that got the pid since).
const ALIVE: &str = "for p in $(cat pids); do tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null && echo; done \
                     | grep -E 'dnsmasq|udhcpc'; true";

/// What a lab leaves of its nodes: their /etc files, their /run, or any file
/// under netscript's state directory.
const LEFT: &str =
    "find /etc/netns /run/netscript/nodes -mindepth 1; find /run/netscript -mindepth 1 -not -type d";

#[test]
fn dhcp_lab_leases_and_names() {
    if !privileged() {
        return;
    }
    let started = Instant::now();
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("dhcp")))
        .step("for h in h1 h2 h3; do ip -j -n $h addr show dev eth0; done")
        .step("for h in h1 h2 h3; do ip -j -n $h route show default; done")
        // dnsmasq's own record, read through its own view of the files.
        .step("cat /proc/$(ip netns pids srv | head -n 1)/root/run/dnsmasq/eth0.leases")
        .step("ip netns exec h1 getent hosts h2 h3 srv; ip netns exec h3 getent hosts h1.lab")
        .step("ip netns exec h1 cat /etc/resolv.conf")
        .step("ip netns exec h2 ping -c 1 -W 2 h3")
        .step(SAVE_PIDS)
        .step(ALIVE)
        .step("netscript down dhcp")
        .step(ALIVE)
        .step(LEFT)
        .step("ls /run/netns")
        .run();
    eprintln!("the dhcp lab, checked and taken down, in {:.1} s", started.elapsed().as_secs_f64());
    out[0].success().stdout_has("3 hosts got leases in 10.0.0.100..10.0.0.199");
    let mut leased = Vec::new();
    for line in out[1].success().stdout.lines() {
        let addrs = addresses_of(&serde_json::from_str::<Value>(line).unwrap(), "eth0");
        assert_eq!(addrs.len(), 1, "{addrs:?}");
        assert!(in_range(&addrs[0]), "{} is not in the lab's range", addrs[0]);
        leased.push(addrs[0].trim_end_matches("/24").to_string());
    }
    assert_eq!(leased.len(), 3);
    let mut distinct = leased.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{leased:?}");
    for line in out[2].success().stdout.lines() {
        let routes: Value = serde_json::from_str(line).unwrap();
        assert_eq!(routes[0]["gateway"], "10.0.0.1", "{routes}");
    }
    // expiry mac ip name client-id: an infinite lease expires at 0.
    let leases: Vec<Vec<&str>> =
        out[3].success().stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    for (i, ip) in leased.iter().enumerate() {
        let name = format!("h{}", i + 1);
        assert!(
            leases.iter().any(|l| l[0] == "0" && l[2] == ip && l[3] == name),
            "no lease of {ip} to {name} in {leases:?}"
        );
    }
    let resolved: Vec<Vec<&str>> =
        out[4].success().stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(resolved.len(), 4, "{resolved:?}");
    assert_eq!(resolved[0][0], leased[1]);
    assert_eq!(resolved[1][0], leased[2]);
    assert_eq!(resolved[2][0], "10.0.0.1");
    assert_eq!(resolved[3][0], leased[0]);
    let resolv = out[5].success().stdout.clone();
    assert!(resolv.lines().any(|l| l == "nameserver 10.0.0.1"), "{resolv}");
    assert!(resolv.lines().any(|l| l == "search lab"), "{resolv}");
    out[6].success().stdout_has(&format!("({})", leased[2])).stdout_has("1 received");
    assert!(!out[7].success().stdout.trim().is_empty(), "no process in the lab's namespaces");
    // The observer sees the server while the lab is up...
    out[8].success().stdout_has("dnsmasq --keep-in-foreground");
    out[9].success();
    // ...and nothing of it after down.
    assert_eq!(out[10].success().stdout.trim(), "", "processes of the lab alive after down");
    assert_eq!(out[11].success().stdout, "", "files left after down");
    assert_eq!(out[12].success().stdout, "");
}

#[test]
fn dhcp_lab_with_more_hosts_and_another_subnet() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} hosts=6 subnet=172.20.0.0/16 range=1000 domain=corp", script("dhcp")))
        .step("ip -j -n h6 addr show dev eth0")
        .step("ip netns exec h6 getent hosts h1.corp h5")
        .step("netscript down dhcp")
        .run();
    out[0].success().stdout_has("6 hosts got leases in 172.20.3.232..172.20.4.75");
    let addrs = addresses_of(&out[1].json(), "eth0");
    assert_eq!(addrs.len(), 1);
    assert!(addrs[0].starts_with("172.20.") && addrs[0].ends_with("/16"), "{addrs:?}");
    assert_eq!(out[2].success().stdout.lines().count(), 2, "{}", out[2].stdout);
}

#[test]
fn a_run_that_fails_after_the_server_started_leaves_nothing() {
    if !privileged() {
        return;
    }
    let lab = [
        SERVER,
        r#"
let server = dhcp::server(srv, "eth0", #{range: ["10.9.0.10", "10.9.0.20"]});
let h = netns_add("h1");
topo::attach(h, "lan", ());
dhcp::client(h, "eth0");
print(server.pid);
throw "fails on purpose";
"#,
    ]
    .concat();
    let out = Sandbox::new()
        .file("fails.rhai", &lab)
        .step("netscript fails.rhai >pids")
        .step(ALIVE)
        .step(&format!("{LEFT}; ls /run/netns"))
        .run();
    out[0].failure(1).stderr_has("rolled back");
    assert_eq!(out[1].success().stdout.trim(), "");
    assert_eq!(out[2].success().stdout, "", "left after the rollback");
}

#[test]
fn a_client_without_a_server_says_so() {
    if !privileged() {
        return;
    }
    let lab = r#"
import "topo" as topo;
import "dhcp" as dhcp;
topo::bridge("lan");
let h = netns_add("h1");
topo::attach(h, "lan", ());
dhcp::client(h, "eth0", #{tries: 2});
"#;
    let started = Instant::now();
    let out = Sandbox::new().file("alone.rhai", lab).step("netscript alone.rhai").run();
    out[0]
        .failure(1)
        .stderr_has("dhcp::client: h1 got no lease on eth0 after 2 tries, one a second (udhcpc exited 1: udhcpc: no lease, failing)");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

/// The dry run needs no root and no server: it shows the request and says,
/// in comments, what the lease would become.
#[test]
fn the_dry_run_shows_the_requests() {
    let out = Command::new(env!("CARGO_BIN_EXE_netscript"))
        .args(["--dry-run", &script("dhcp"), "hosts=2"])
        .output()
        .expect("run netscript");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dnsmasq --keep-in-foreground"), "{stdout}");
    assert!(stdout.contains("dhcp-range=10.0.0.100,10.0.0.199,infinite"), "{stdout}");
    assert!(stdout.contains("ip netns exec h2 unshare -m -u sh -c "), "{stdout}");
    assert!(stdout.contains("' - busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -s"), "{stdout}");
    assert!(
        stdout.contains("# dhcp::client: the lease h2 gets on eth0 is known only when it runs"),
        "{stdout}"
    );
    // Nothing is applied for a lease the dry run cannot know.
    assert!(
        !stdout.lines().any(|l| l.starts_with("ip -n h2 route") || l.starts_with("ip -n h2 addr")),
        "{stdout}"
    );
}

/// Two servers of the same kind, in two nodes, on the same device name: each
/// has its own config, leases and pid file at the same path of its own /run,
/// and serves only its LAN, with its own options.
#[test]
fn two_servers_in_two_nodes_keep_to_their_own() {
    if !privileged() {
        return;
    }
    let lab = r#"
import "topo" as topo;
import "dhcp" as dhcp;
topo::bridge("lan-a");
topo::bridge("lan-b");
let a = netns_add("dns-a");
topo::attach(a, "lan-a", "10.1.0.1/24");
let b = netns_add("dns-b");
topo::attach(b, "lan-b", "10.2.0.1/24");
dhcp::server(a, "eth0", #{range: ["10.1.0.10", "10.1.0.20"], hosts: #{printer: "10.1.0.50"}});
dhcp::server(b, "eth0", #{range: ["10.2.0.10", "10.2.0.20"], router: false});
let ha = netns_add("ha");
topo::attach(ha, "lan-a", ());
let la = dhcp::client(ha, "eth0");
let hb = netns_add("hb");
topo::attach(hb, "lan-b", ());
let lb = dhcp::client(hb, "eth0", #{hostname: "bee"});
print(`${la.addr} ${la.router} ${lb.addr} ${lb.router ?? "none"}`);
"#;
    let leases =
        |ns: &str| format!("cat /proc/$(ip netns pids {ns} | head -n 1)/root/run/dnsmasq/eth0.leases");
    let out = Sandbox::new()
        .file("two.rhai", lab)
        .step("netscript two.rhai")
        .step(&leases("dns-a"))
        .step(&leases("dns-b"))
        .step("ip -n hb -j route show default")
        .step("ip netns exec ha getent hosts printer dns-a; ip netns exec hb getent hosts bee")
        .step("netscript down two")
        .step(LEFT)
        .run();
    let printed = out[0].success().stdout.clone();
    let words: Vec<&str> = printed.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{printed}");
    assert!(words[0].starts_with("10.1.0.") && words[1] == "10.1.0.1", "{printed}");
    assert!(words[2].starts_with("10.2.0.") && words[3] == "none", "{printed}");
    let a_ip = words[0].trim_end_matches("/24");
    let b_ip = words[2].trim_end_matches("/24");
    let a = out[1].success().stdout.clone();
    let b = out[2].success().stdout.clone();
    assert!(a.contains(&format!(" {a_ip} ha ")) && !a.contains("10.2.0."), "{a}");
    assert!(b.contains(&format!(" {b_ip} bee ")) && !b.contains("10.1.0."), "{b}");
    assert_eq!(out[3].json(), serde_json::json!([]), "router: false hands out no default route");
    let resolved: Vec<Vec<&str>> =
        out[4].success().stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(resolved, [vec!["10.1.0.50", "printer"], vec!["10.1.0.1", "dns-a"], vec![b_ip, "bee"]]);
    out[5].success();
    assert_eq!(out[6].success().stdout, "", "files left after down");
}

/// Addresses may be given as Cidrs too; mistakes in a server's options are
/// said before anything starts: an option it does not know (named with the
/// known ones), a range outside the subnet, or one that ends before it starts.
#[test]
fn server_options_as_a_script_gives_them() {
    let run = |call: &str| {
        let lab = format!(
            "import \"topo\" as topo;\nimport \"dhcp\" as dhcp;\ntopo::bridge(\"lan\");\n\
             let srv = netns_add(\"srv\");\ntopo::attach(srv, \"lan\", \"10.9.0.1/24\");\n{call}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.rhai");
        std::fs::write(&file, lab).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_netscript"))
            .args(["--dry-run", file.to_str().unwrap()])
            .output()
            .expect("run netscript");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run("let net = cidr(\"10.9.0.0/24\");\n\
         dhcp::server(srv, \"eth0\", #{range: [net.host(10), net.host(20)], router: net.host(254), hosts: #{nas: net.host(5)}, lease: \"2h\"});");
    assert_eq!(code, Some(0), "{stderr}");
    for line in [
        "dhcp-range=10.9.0.10,10.9.0.20,2h",
        "dhcp-option=option:router,10.9.0.254",
        "host-record=nas,10.9.0.5",
    ] {
        assert!(stdout.lines().any(|l| l == line), "no {line} in\n{stdout}");
    }
    let (code, _, stderr) =
        run("dhcp::server(srv, \"eth0\", #{range: [\"10.9.0.10\", \"10.9.0.20\"], leases: 5});");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(
            "dhcp::server: unknown option 'leases'; the options are: range, lease, router, domain, hosts"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run("dhcp::server(srv, \"eth0\", #{range: [\"10.9.0.20\", \"10.9.0.10\"]});");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("dhcp::server: the range 10.9.0.20..10.9.0.10 ends before it starts"),
        "{stderr}"
    );
    let (code, _, stderr) = run("dhcp::server(srv, \"eth0\", #{range: [\"10.9.0.10\", \"10.9.1.20\"]});");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("dhcp::server: 10.9.1.20 is not in eth0's subnet 10.9.0.0/24"), "{stderr}");
    let (code, _, stderr) = run("dhcp::server(srv, \"eth0\", #{range: [\"10.9.0.1\", \"10.9.0.10\"]});");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("holds the server's own address 10.9.0.1"), "{stderr}");
}

/// A config dnsmasq refuses: the error says so with the end of its log, at
/// the script's line, and the rollback leaves nothing.
#[test]
fn a_server_that_does_not_start_says_why() {
    if !privileged() {
        return;
    }
    let lab = [
        SERVER,
        r#"
dhcp::server(srv, "eth0", #{range: ["10.9.0.10", "10.9.0.20"], lease: "forever"});
"#,
    ]
    .concat();
    let started = Instant::now();
    let out = Sandbox::new().file("bad.rhai", &lab).step("netscript bad.rhai").step(LEFT).run();
    out[0]
        .failure(1)
        .stderr_has("dhcp::server: dnsmasq in srv: it exited; its log (/run/netscript/labs/bad.logs/1-dnsmasq.log) ends:\ndnsmasq: bad dhcp-range at line 4 of /run/dnsmasq/eth0.conf\n")
        .stderr_has("bad.rhai:7:");
    assert_eq!(out[1].success().stdout, "", "left after the rollback");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

/// A node whose name is no DNS name is told so before it asks.
#[test]
fn a_hostname_dnsmasq_would_drop_is_refused() {
    let lab = "import \"topo\" as topo;\nimport \"dhcp\" as dhcp;\ntopo::bridge(\"lan\");\n\
               let h = netns_add(\"web_1\");\ntopo::attach(h, \"lan\", ());\ndhcp::client(h, \"eth0\");\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.rhai");
    std::fs::write(&file, lab).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_netscript"))
        .args(["--dry-run", file.to_str().unwrap()])
        .output()
        .expect("run netscript");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("dhcp::client: 'web_1' is not a DNS name"), "{stderr}");
    assert!(stderr.contains("#{hostname: false}"), "{stderr}");
}
