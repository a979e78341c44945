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

#[test]
fn a_mistyped_command_suggests_the_command() {
    let out = netscript(&["sho", "bridge-nat"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: there is no script 'sho' and no command 'sho'; did you mean `netscript show bridge-nat`?\n"
    );
    let out = netscript(&["lss"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: there is no script 'lss' and no command 'lss'; did you mean `netscript ls`?\n"
    );
    let out = netscript(&["man", "grpah"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no command 'grpah'; did you mean graph? the commands are: down, ls, graph, show, import, completions, man, help\n"
    );
}

#[test]
fn help_about_help_and_sandbox_only_for_runs() {
    let out = netscript(&["help", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("Print this help, or a command's\n\nUsage: netscript help [COMMAND]")
    );
    let out = netscript(&["help", "graph"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: netscript graph [OPTIONS] <LAB>"));
    assert_eq!(netscript(&["help", "nope"]).status.code(), Some(2));
    // A fresh sandbox never has a lab to list, show, draw or take down.
    for command in ["ls", "down", "show", "graph"] {
        let out = netscript(&[command, "--sandbox"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--sandbox'"));
    }
}

/// The page `netscript ARGS` prints, as `man -l` renders it at 100
/// columns; None, with the reason, where man cannot run (never in CI).
pub fn rendered_man(args: &[&str]) -> Option<String> {
    let out = netscript(args);
    assert_eq!(out.status.code(), Some(0), "netscript {args:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netscript.1");
    std::fs::write(&path, &out.stdout).unwrap();
    let man = Command::new("man").arg("-l").arg(&path).env("MANWIDTH", "100").env("MANPAGER", "cat").output();
    match man {
        Ok(man) => {
            assert!(man.status.success(), "{}", String::from_utf8_lossy(&man.stderr));
            Some(String::from_utf8_lossy(&man.stdout).into_owned())
        }
        Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("man: {err}"),
        Err(err) => {
            eprintln!("skipped: cannot run man ({err}); install man-db");
            None
        }
    }
}

#[test]
fn the_man_page_keeps_its_examples_as_typed() {
    let Some(text) = rendered_man(&["man"]) else { return };
    assert!(text.contains("EXAMPLES\n"), "{text}");
    // Columns as in --help, not filled into a paragraph; plain hyphens.
    assert!(
        text.contains("         netscript --sandbox scripts/veth-pair.rhai            run a lab in a private namespace\n"),
        "{text}"
    );
    assert!(
        text.contains("EXIT STATUS\n       0 success, 1 the script or an operation failed, 2 usage error."),
        "{text}"
    );
}

#[test]
fn completions_offer_the_labs_that_are_up() {
    if !privileged() {
        return;
    }
    // Bash's completion, run as bash runs it on Tab.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        format!(
            "bash -c 'source <(netscript completions bash); COMP_WORDS=({}); COMP_CWORD={}; \
             _netscript_labs netscript \"{}\" \"{}\"; echo \"${{COMPREPLY[*]}}\"'",
            words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2]
        )
    };
    let out = Sandbox::new()
        .file("alpha.rhai", "netns_add(\"a1\");\n")
        .file("beta.rhai", "netns_add(\"b1\");\n")
        .step("netscript alpha.rhai && netscript beta.rhai")
        .step("netscript completions --lab-names")
        .step(&complete("netscript down "))
        .step(&complete("netscript show al"))
        .step(&complete("netscript --lab b"))
        .step(&complete("netscript show alpha "))
        .run();
    out[0].success();
    assert_eq!(out[1].success().stdout, "alpha\nbeta\n");
    assert_eq!(out[2].success().stdout, "alpha beta\n");
    assert_eq!(out[3].success().stdout, "alpha\n");
    assert_eq!(out[4].success().stdout, "beta\n");
    // show takes one lab: after it, its options.
    assert_eq!(out[5].success().stdout, "-h --json --help\n");
}
