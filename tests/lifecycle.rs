//! Lab lifecycle: down, ls, rollback, interrupts, crashes, and labs side by
//! side. "Exactly as before" is checked with iproute2's own listing.

use crate::support::{Sandbox, privileged};

/// Everything a lab could leave behind, as iproute2 prints it.
const SNAPSHOT: &str = "ls /run/netns; ip -br link; ip -br addr; ip route; nft list ruleset; \
     cat /proc/sys/net/ipv4/ip_forward; for ns in $(ls /run/netns); do echo \"== $ns\"; ip -n $ns -br link; done";

/// `hosts` namespaces, each with a veth to a host bridge.
pub const STAR: &str = r#"
let hosts = param("hosts", 3);
let fail_at = param("fail_at", 0);
bridge_add("br0");
addr_add("br0", "10.0.255.254/16");
link_up("br0");
forwarding(true);
masquerade("10.0.0.0/16", "br0");
for i in 1..=hosts {
    if i == fail_at { throw `stop at host ${i}`; }
    let h = netns_add(`h${i}`);
    veth_add(host(), `v${i}`, h, "eth0");
    link_set_master(`v${i}`, "br0");
    link_up(`v${i}`);
    h.addr_add("eth0", cidr("10.0.0.0/16").host(i));
    h.link_up("eth0");
}
"#;

#[test]
fn down_removes_everything_and_ls_shows_what_is_up() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step("netscript star.rhai hosts=3")
        .step("netscript ls")
        .step("netscript ls --json")
        .step("netscript down star")
        .step(SNAPSHOT)
        .step("netscript down star")
        .step("netscript ls")
        .run();
    out[1].success().stderr_has("lab 'star' is up; take it down with `netscript down star`");
    out[2].success().stdout_has("star").stdout_has("h1 h2 h3").stdout_has("br0 v1 v2 v3");
    let labs = out[3].json();
    assert_eq!(labs[0]["lab"], "star");
    assert_eq!(labs[0]["namespaces"], serde_json::json!(["h1", "h2", "h3"]));
    assert_eq!(labs[0]["rules"].as_array().unwrap().len(), 1);
    out[4].success().stdout_has("star: removed 3 namespaces, 4 links, 1 firewall rule; set back 2 settings");
    assert_eq!(out[0].stdout, out[5].stdout);
    out[6].success().stdout_has("not up, nothing to do");
    out[7].success().stdout_has("no lab is up");
}

#[test]
fn a_run_that_fails_at_its_25th_namespace_leaves_nothing() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step("netscript star.rhai hosts=40 fail_at=25")
        .step(SNAPSHOT)
        .step("netscript ls")
        .run();
    out[1].failure(1).stderr_has("stop at host 25").stderr_has("rolled back");
    assert_eq!(out[0].stdout, out[2].stdout);
    out[3].success().stdout_has("no lab is up");
}

#[test]
fn keep_leaves_a_failed_run_for_inspection_and_recreate_rebuilds() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step("netscript --keep star.rhai hosts=5 fail_at=3")
        .step("ls /run/netns")
        .step("netscript --recreate star.rhai hosts=4")
        .step("ls /run/netns")
        .step("netscript down star")
        .step(SNAPSHOT)
        .run();
    out[1].failure(1).stderr_has("kept what this run built (--keep)");
    assert_eq!(out[2].stdout, "h1\nh2\n");
    out[3].success().stderr_has("took the lab down first");
    assert_eq!(out[4].stdout, "h1\nh2\nh3\nh4\n");
    out[5].success();
    assert_eq!(out[0].stdout, out[6].stdout);
}

/// Starts a 200-namespace build in the background, waits until it is well
/// under way, then sends it `signal`.
fn interrupt_build(signal: &str) -> String {
    format!(
        "netscript star.rhai hosts=200 >run.out 2>run.err & pid=$!; \
         for i in $(seq 1000); do [ $(ls /run/netns | wc -l) -ge 20 ] && break; sleep 0.005; done; \
         kill -{signal} $pid; wait $pid; echo \"exit $?\"; ls /run/netns | wc -l >count; cat run.err"
    )
}

#[test]
fn sigint_during_a_200_namespace_build_rolls_it_back() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step(&interrupt_build("INT"))
        .step(SNAPSHOT)
        .run();
    out[1].success().stdout_has("exit 1").stdout_has("interrupted").stdout_has("rolled back");
    assert_eq!(out[0].stdout, out[2].stdout);
}

/// One bulk `netns_add` of 3000 names: a signal cuts it short between two
/// namespaces, and rollback removes the ones already made.
#[test]
fn sigint_during_a_bulk_namespace_add_stops_it_and_rolls_it_back() {
    if !privileged() {
        return;
    }
    let bulk = "let names = []; for i in 1..=3000 { names.push(`n${i}`); } netns_add(names);";
    let out = Sandbox::new()
        .file("bulk.rhai", bulk)
        .step(SNAPSHOT)
        .step(
            "netscript bulk.rhai >run.out 2>run.err & pid=$!; \
             for i in $(seq 2000); do [ $(ls /run/netns | wc -l) -ge 20 ] && break; sleep 0.002; done; \
             kill -INT $pid; wait $pid; echo \"exit $?\"; cat run.err",
        )
        .step(SNAPSHOT)
        .run();
    out[1]
        .success()
        .stdout_has("exit 1")
        .stdout_has("interrupted before it could add namespace")
        .stdout_has("rolled back");
    assert_eq!(out[0].stdout, out[2].stdout);
}

#[test]
fn after_kill_9_down_removes_every_trace() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step(&interrupt_build("KILL"))
        .step("cat count; netscript ls")
        .step("netscript down star")
        .step(SNAPSHOT)
        .run();
    out[1].success().stdout_has("exit 137");
    let left: usize = out[2].stdout.lines().next().unwrap().trim().parse().unwrap();
    assert!(left >= 20, "the build was killed before it got going: {}", out[2].stdout);
    out[3].success().stdout_has("star: removed");
    assert_eq!(out[0].stdout, out[4].stdout);
}

/// Down deletes the host ends of a star's veths first, all at once: each is
/// still checked as the lab's own, so a user's link that took the name of
/// one stays.
#[test]
fn down_deletes_the_veths_it_made_and_leaves_a_users_link_of_the_same_name() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("star.rhai", STAR)
        .step(SNAPSHOT)
        .step("netscript star.rhai hosts=4")
        // The user takes h2 (and its veth) away and makes their own v2.
        .step("ip netns del h2 && sleep 0.2 && ip link add v2 type veth peer name v2p")
        .step("netscript down star")
        .step("ls /run/netns; ip -br link | cut -d' ' -f1 | sort | tr '\\n' ' '")
        .step("ip link del v2")
        .step(SNAPSHOT)
        .run();
    out[1].success();
    out[2].success();
    out[3]
        .success()
        .stdout_has("removed 3 namespaces, 4 links")
        .stdout_has("link 'v2' is not the one this lab made; left it alone");
    assert_eq!(out[4].stdout, "lo v2@v2p v2p@v2 ", "{}", out[4].stdout);
    assert_eq!(out[0].stdout, out[6].stdout);
}

#[test]
fn down_leaves_alone_what_the_user_made_with_the_lab_names() {
    if !privileged() {
        return;
    }
    let lab = "netns_add(\"a\");\nbridge_add(\"br0\");\n";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        // Made by hand first: the lab cannot take these names, fails and
        // rolls back without touching them.
        .step("ip netns add a && ip link add br0 type bridge")
        .step("netscript lab.rhai")
        .step("ls /run/netns; ip -br link show br0")
        .step("ip netns del a && ip link del br0")
        // Now the lab is up; the user replaces its namespace and bridge by
        // their own, of the same names. Down removes neither.
        .step("netscript lab.rhai")
        .step("ip netns del a && ip netns add a && ip link del br0 && ip link add br0 type bridge")
        .step("netscript down lab")
        .step("ls /run/netns; ip -br link show br0")
        .run();
    out[0].success();
    out[1].failure(1).stderr_has("namespace 'a' already exists");
    assert!(out[2].stdout.starts_with("a\nbr0"), "{}", out[2].stdout);
    out[4].success();
    out[5].success();
    out[6]
        .success()
        .stdout_has("namespace 'a' is not the one this lab made; left it alone")
        .stdout_has("link 'br0' is not the one this lab made; left it alone");
    assert!(out[7].stdout.starts_with("a\nbr0"), "{}", out[7].stdout);
}

#[test]
fn two_labs_side_by_side() {
    if !privileged() {
        return;
    }
    let pair = r#"
        let p = param("prefix", "x");
        let a = netns_add(p + "a");
        let b = netns_add(p + "b");
        veth_add(a, "e0", b, "e0");
        a.addr_add("e0", "10.1.0.1/24");
        b.addr_add("e0", "10.1.0.2/24");
        a.link_up("e0");
        b.link_up("e0");
    "#;
    let out = Sandbox::new()
        .file("pair.rhai", pair)
        .step("netscript --lab one pair.rhai prefix=one")
        .step("netscript --lab two pair.rhai prefix=two")
        .step("netscript down one")
        .step("ls /run/netns")
        .step("ip netns exec twoa ping -c 1 -W 2 10.1.0.2")
        .run();
    out[0].success();
    out[1].success();
    out[2].success().stdout_has("one: removed 2 namespaces");
    assert_eq!(out[3].stdout, "twoa\ntwob\n");
    out[4].success().stdout_has("1 received");
}
