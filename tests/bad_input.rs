//! Bad input: a clear message with file, line and column, exit code 1, and
//! the sandbox left exactly as it was before the run.

use crate::support::{Sandbox, privileged};

/// Everything a run could leave behind, as iproute2 prints it.
const SNAPSHOT: &str = "ls /run/netns; ip -br link; ip -br addr; ip route; ip -6 route; \
     for ns in $(ls /run/netns); do echo \"== $ns\"; ip -n $ns -br link; ip -n $ns -br addr; ip -n $ns route; done";

/// Runs `body` after some work that must be rolled back, checks the
/// message, and that the sandbox is as before.
#[track_caller]
fn fails_cleanly(body: &str, line: usize, expected: &[&str]) {
    if !privileged() {
        return;
    }
    let script = format!(
        "let keep = netns_add(\"built-first\");\nbridge_add(\"br-first\");\nveth_add(host(), \"v-first\", keep, \"v-in\");\n{body}\n"
    );
    let out = Sandbox::new()
        .file("bad.rhai", &script)
        // Something the user made by hand, which must survive the rollback.
        .step("ip netns add mine && ip link add mine0 type bridge && ip addr add 10.77.0.1/24 dev mine0")
        .step(SNAPSHOT)
        .step("netscript bad.rhai")
        .step(SNAPSHOT)
        .run();
    out[0].success();
    let run = &out[2];
    run.failure(1).stderr_has(&format!("bad.rhai:{}:", line + 3));
    for text in expected {
        run.stderr_has(text);
    }
    run.stderr_has("rolled back");
    assert_eq!(out[1].stdout, out[3].stdout, "the sandbox changed:\n{}", run.stderr);
}

#[test]
fn interface_name_too_long() {
    fails_cleanly(
        r#"veth_add("veth_internal", "veth_internal_ns");"#,
        1,
        &["interface name 'veth_internal_ns' is 16 bytes; Linux allows 15", "add veth pair"],
    );
}

#[test]
fn interface_name_empty_or_with_forbidden_characters() {
    fails_cleanly(r#"bridge_add("");"#, 1, &["an interface name cannot be empty"]);
    fails_cleanly(r#"bridge_add("br/0");"#, 1, &["contains '/'"]);
    fails_cleanly(r#"bridge_add("br:0");"#, 1, &["contains ':'"]);
    fails_cleanly(r#"bridge_add("br 0");"#, 1, &["contains a space"]);
}

#[test]
fn missing_namespace_and_link() {
    fails_cleanly(r#"netns("nowhere").link_up("lo");"#, 1, &["namespace 'nowhere' does not exist"]);
    fails_cleanly(
        "let x = 1;\nkeep.link_set_master(\"v-in\", \"br-none\");",
        2,
        &["attach link 'v-in' in namespace 'built-first' to bridge 'br-none'", "no link named 'br-none'"],
    );
    fails_cleanly(
        r#"link_up("eth9");"#,
        1,
        &["set link 'eth9' up", "no link named 'eth9' in the host namespace"],
    );
    fails_cleanly(r#"veth_add("nowhere", "a", "b", "c");"#, 1, &["namespace 'nowhere' does not exist"]);
}

#[test]
fn names_that_already_exist() {
    fails_cleanly(r#"netns_add("mine");"#, 1, &["namespace 'mine' already exists"]);
    fails_cleanly(
        r#"bridge_add("mine0");"#,
        1,
        &["a link named 'mine0' already exists in the host namespace"],
    );
    fails_cleanly(
        r#"veth_add(host(), "x0", keep, "v-in");"#,
        1,
        &["a link named 'v-in' already exists in namespace 'built-first'"],
    );
}

#[test]
fn malformed_addresses_and_prefixes() {
    fails_cleanly(
        r#"addr_add("br-first", "10.0.0.300/24");"#,
        1,
        &["cannot add address to 'br-first'", "'10.0.0.300' is not a valid IPv4 address"],
    );
    fails_cleanly(r#"addr_add("br-first", "10.0.0.1/40");"#, 1, &["prefix length 40 is too long for IPv4"]);
    fails_cleanly(r#"route_add("10.0.0.1/24", "10.0.0.9");"#, 1, &["did you mean 10.0.0.0/24?"]);
    fails_cleanly(r#"let c = cidr("fd00::zz/64");"#, 1, &["'fd00::zz' is not a valid IPv6 address"]);
}

#[test]
fn unreachable_gateway() {
    fails_cleanly(
        r#"keep.route_add("default", "10.99.0.1");"#,
        1,
        &["gateway 10.99.0.1 is not reachable from any route in namespace 'built-first'"],
    );
}

#[test]
fn error_inside_a_function_points_at_the_failing_line() {
    fails_cleanly(
        "fn add_host(name) {\n  bridge_add(name);\n}\nadd_host(\"much-too-long-name\");",
        2,
        &["is 18 bytes; Linux allows 15", "in function 'add_host', called at line 7"],
    );
}

#[test]
fn syntax_error_runs_nothing() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("syntax.rhai", "netns_add(\"a\");\nlet x = ;\n")
        .step("netscript syntax.rhai")
        .step("ls /run/netns")
        .run();
    out[0].failure(1).stderr_has("syntax error").stderr_has("syntax.rhai:2:9");
    assert_eq!(out[1].stdout, "");
}
