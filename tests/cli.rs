//! The command line: help, exit codes, parameters.

use std::process::Command;

use crate::support::{Sandbox, privileged};

fn netscript(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netscript")).args(args).output().unwrap()
}

#[test]
fn help_shows_usage_and_examples() {
    let out = netscript(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Usage: netscript [OPTIONS] [SCRIPT] [KEY=VALUE]..."), "{text}");
    assert!(text.contains("--sandbox"), "{text}");
    assert!(text.contains("Examples:"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(netscript(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(netscript(&["/nonexistent/lab.rhai"]).status.code(), Some(2));
    let out = netscript(&["/nonexistent/lab.rhai", "hosts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("parameters are written key=value"));
}

#[test]
fn parameters_convert_to_the_type_of_their_default() {
    if !privileged() {
        return;
    }
    let script = r#"
        let hosts = param("hosts", 2);
        let ratio = param("ratio", 1.5);
        let check = param("check", false);
        let subnet = param("subnet", "10.0.0.0/24");
        print(`${hosts + 1} ${ratio * 2.0} ${!check} ${subnet}`);
        for i in 1..=hosts { netns_add(`h${i}`); }
    "#;
    let out = Sandbox::new()
        .file("p.rhai", script)
        .step("netscript p.rhai hots=5")
        .step("netscript p.rhai hosts=three")
        .step("ls /run/netns")
        .step("netscript p.rhai hosts=3 ratio=0.25 check=true subnet=10.1.0.0/16")
        .step("netscript p.rhai")
        .step("netscript --lab second p.rhai")
        .step("ls /run/netns")
        .run();
    // A misspelt parameter is a usage error before the run: nothing is built.
    out[0].failure(2).stderr_has(
        "unknown parameter 'hots' (did you mean hosts?); the script reads: hosts, ratio, check, subnet",
    );
    out[1]
        .failure(1)
        .stderr_has("parameter hosts=three: expected a whole number (like the default, 2), not 'three'")
        .stderr_has("p.rhai:2:21");
    assert_eq!(out[2].stdout, "");
    out[3].success().stdout_has("4 0.5 false 10.1.0.0/16");
    // The lab is up: running it again is refused. A second lab of the same
    // script fails on h1 and rolls back only what it made itself.
    out[4].failure(1).stderr_has("lab 'p' is already up; take it down with `netscript down p`");
    out[5].failure(1).stderr_has("namespace 'h1' already exists");
    assert_eq!(out[6].stdout, "h1\nh2\nh3\n");
}
