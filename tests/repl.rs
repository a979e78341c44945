//! The interactive session: through a pseudo-terminal as a person types,
//! and with statements piped to stdin.

use std::process::Command;
use std::time::Duration;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use crate::support::{Sandbox, privileged};

fn repl(args: &[&str], state: &std::path::Path) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netscript"));
    command.args(args).env("XDG_STATE_HOME", state).env("NO_COLOR", "1").env("TERM", "xterm");
    let options = Options::new().timeout_ms(Some(15_000)).strip_ansi_escape_codes(true);
    spawn_with_options(command, options).expect("spawn netscript in a pty")
}

/// Types into the terminal (the writer buffers until flushed).
fn typed(p: &mut PtySession, text: &str) {
    p.send(text).unwrap();
    p.flush().unwrap();
}

/// Waits for a fresh prompt: the input before it has run.
fn prompt(p: &mut PtySession) {
    // The prompt alone, cursor after it; a redrawn line has text after it.
    p.exp_string("repl> \r").unwrap();
}

#[test]
fn a_session_in_a_terminal() {
    if !privileged() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut p = repl(&["--sandbox"], state.path());
    prompt(&mut p);

    // A loop typed over three lines: Enter on an open brace goes on.
    typed(&mut p, "for i in 1..=3 {\r");
    typed(&mut p, "netns_add(`lab-${i}`);\r");
    typed(&mut p, "}\r");
    prompt(&mut p);
    typed(&mut p, "netns_add(\"other\");\r");
    prompt(&mut p);

    // Tab completes the namespace name inside the string.
    typed(&mut p, "netns_exists(\"ot");
    typed(&mut p, "\t");
    typed(&mut p, "\")\r");
    p.exp_string("true").unwrap();
    prompt(&mut p);

    typed(&mut p, ":ls\r");
    p.exp_regex(r"NAMESPACE +LINK +KIND +STATE").unwrap();
    for ns in ["lab-1", "lab-2", "lab-3", "other"] {
        p.exp_regex(&format!(r"{ns} +lo +loopback +UNKNOWN")).unwrap();
    }
    prompt(&mut p);

    // An error names the place in the input, with a caret under it.
    typed(&mut p, "let x = 1; link_up(\"nope\");\r");
    p.exp_string("error: cannot set link 'nope' up: no link named 'nope'").unwrap();
    p.exp_string("--> <input>:1:12").unwrap();
    p.exp_regex(r"\| +\^").unwrap();
    prompt(&mut p);

    // Ctrl-D leaves; the sandbox takes the lab with it.
    p.send_control('d').unwrap();
    p.exp_string("everything built in it vanishes").unwrap();
    p.exp_eof().unwrap();
    assert!(std::fs::read_dir(state.path()).unwrap().next().is_none(), "--sandbox wrote history");
}

#[test]
fn ctrl_c_cancels_the_line_and_stops_a_running_input() {
    if !privileged() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut p = repl(&["--sandbox", "--history"], state.path());
    prompt(&mut p);
    typed(&mut p, "netns_add(\"never\")");
    p.send_control('c').unwrap();
    prompt(&mut p);
    typed(&mut p, "netns_add(\"kept\");\r");
    prompt(&mut p);
    // An endless loop after making a namespace: Ctrl-C stops it and rolls it back.
    typed(&mut p, "netns_add(\"looping\"); loop { }\r");
    std::thread::sleep(Duration::from_millis(500));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    p.exp_string("delete namespace 'looping'").unwrap();
    prompt(&mut p);
    typed(&mut p, "netns_list()\r");
    p.exp_string("[\"kept\"]").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    // Asked for with --history: written, one input per entry.
    let history = std::fs::read_to_string(state.path().join("netscript/history")).unwrap();
    assert!(history.contains("netns_add(\"kept\");"), "{history}");
    assert!(!history.contains("never"), "{history}");
}

/// Statements piped in: whole ones, over several lines too; the one that
/// fails is rolled back alone, and the exit code says one failed.
const PIPED: &str = r#"let a = netns_add("a");
a.link_up("lo");
for i in 1..=2 {
    netns_add(`b${i}`);
}
netns_add("c"); bridge_add("br0"); link_up("no-such-link");
bridge_add("br1");
netns_list()
"#;

#[test]
fn statements_from_stdin() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("input.rhai", PIPED)
        .step("cat input.rhai | netscript")
        .step("ls /run/netns")
        .step("ip -br link show type bridge")
        .step("echo 'netns_add(\"d\")' | netscript")
        .step("netscript down repl")
        .step("ls /run/netns; ip -br link show type bridge")
        .run();
    out[0]
        .failure(1)
        .stderr_has("error: cannot set link 'no-such-link' up")
        .stderr_has("--> <stdin>:6:36")
        .stderr_has("rolled back 2 changes of this input:\n  delete link 'br0'\n  delete namespace 'c'\n")
        .stderr_has("lab 'repl' is up; take it down with `netscript down repl`")
        .stdout_has("[\"a\", \"b1\", \"b2\"]");
    assert_eq!(out[1].stdout, "a\nb1\nb2\n");
    assert!(out[2].stdout.starts_with("br1 "), "{}", out[2].stdout);
    assert!(!out[2].stdout.contains("br0"), "{}", out[2].stdout);
    // A second session continues the lab; `down` takes both sessions' work.
    out[3].success().stderr_has("continuing lab 'repl', which is up (3 namespaces, 1 host links)");
    out[4].success().stdout_has("repl: removed 4 namespaces, 1 link");
    assert_eq!(out[5].stdout, "");
}

#[test]
fn save_writes_a_script_that_builds_the_same_lab() {
    if !privileged() {
        return;
    }
    let session = r#"fn host_on(lan, i) {
    let h = netns_add(`h${i}`);
    veth_add(h, "eth0", netns("r"), `p${i}`);
    h.addr_add("eth0", lan.host(i + 1));
    h.link_up("eth0");
    netns("r").link_set_master(`p${i}`, "lan");
    netns("r").link_up(`p${i}`);
    h
}
let lan = cidr("10.7.0.0/24");
let r = netns_add("r");
r.bridge_add("lan"); r.addr_add("lan", lan.host(1)); r.link_up("lan")
netns_add("broken"); r.link_up("missing");
for i in 1..=2 { host_on(lan, i); }
:load extra.rhai n=2
:save lab.rhai
"#;
    let snapshot = "ls /run/netns; ip -br link show | sed 's/ .*//'; \
        for ns in $(ls /run/netns); do echo \"== $ns\"; ip -n $ns -br addr | sed 's/ fe80::[^ ]*//g'; done";
    let extra = "for i in 1..=param(\"n\", 1) { netns_add(`x${i}`); }";
    let first = Sandbox::new()
        .file("session.rhai", session)
        .file("extra.rhai", extra)
        .step("netscript < session.rhai")
        .step(snapshot)
        .step("cat lab.rhai")
        .run();
    first[0].failure(1).stdout_has("saved to lab.rhai; build the same lab with `netscript lab.rhai n=2`");
    assert!(first[1].stdout.contains("== h2"), "{}", first[1].stdout);
    assert!(first[1].stdout.contains("== x2"), "{}", first[1].stdout);
    assert!(!first[1].stdout.contains("broken"), "{}", first[1].stdout);
    let script = &first[2].stdout;
    assert!(!script.contains("missing"), "the failed input was saved:\n{script}");

    let fresh = Sandbox::new().file("lab.rhai", script).step("netscript lab.rhai n=2").step(snapshot).run();
    fresh[0].success();
    assert_eq!(fresh[1].stdout, first[1].stdout, "saved script:\n{script}");
}

#[test]
fn commands_imports_and_down() {
    if !privileged() {
        return;
    }
    let hosts = r#"let n = param("count", 1);
for i in 1..=n { netns_add(`h${i}`); }
"#;
    let input = r#":help link_up
:help
import "tools" as tools;
tools::double(21)
:load hosts.rhai counts=2
:load hosts.rhai count=2
:ls
bridge_add("br0")
:down
netns_list()
netns_add("after")
:nonsense
"#;
    let out = Sandbox::new()
        .file("tools.rhai", "fn double(x) { x * 2 }")
        .file("hosts.rhai", hosts)
        .file("input", input)
        .step("cat input | netscript")
        .step("ls /run/netns")
        .run();
    out[0]
        .failure(1)
        .stdout_has("[ns.]link_up(dev)\n  set a link up (Links)\n")
        .stdout_has("Namespaces\n  netns_add(name[, #{lo: false}]) -> Netns")
        .stdout_has("  :save FILE")
        .stdout_has("\n42\n")
        .stderr_has("error: unknown parameter 'counts' (did you mean count?); the script reads: count\n")
        .stdout_has("h1         lo    loopback")
        .stdout_has("repl: removed 2 namespaces, 1 link\n[]\n")
        .stderr_has("error: unknown command ':nonsense'");
    assert_eq!(out[1].stdout, "after\n");
}

/// A session in a terminal of `cols` columns and `rows` rows.
fn repl_sized(cols: u16, rows: u16, env: &[(&str, &str)], state: &std::path::Path) -> PtySession {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("stty cols {cols} rows {rows}; exec {} --sandbox", env!("CARGO_BIN_EXE_netscript")))
        .env("XDG_STATE_HOME", state)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    for (key, value) in env {
        command.env(key, value);
    }
    let options = Options::new().timeout_ms(Some(15_000)).strip_ansi_escape_codes(true);
    spawn_with_options(command, options).expect("spawn netscript in a pty")
}

#[test]
fn what_is_typed_is_what_runs() {
    if !privileged() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut p = repl(&["--sandbox"], state.path());
    prompt(&mut p);
    // A backtick string over two lines is what was typed, no margin in it.
    typed(&mut p, "let s = `a\r");
    typed(&mut p, "b`;\r");
    prompt(&mut p);
    typed(&mut p, "s == \"a\\nb\"\r");
    p.exp_string("true").unwrap();
    prompt(&mut p);
    // Columns in errors are those typed, whatever the margin on the screen.
    typed(&mut p, "for i in 0..1 {\r");
    typed(&mut p, "link_up(\"nope\");\r");
    typed(&mut p, "}\r");
    p.exp_string("--> <input>:2:1").unwrap();
    prompt(&mut p);
    // An open " string cannot go on: wrong at once, no continuation.
    typed(&mut p, "netns_add(\"red\r");
    p.exp_string("error: syntax error:").unwrap();
    prompt(&mut p);
    // The functions of a module, and a type's methods first.
    typed(&mut p, "import \"topo\" as topo;\r");
    prompt(&mut p);
    typed(&mut p, "topo::host_o\t");
    p.exp_string("topo::host_on_bridge").unwrap();
    p.send_control('u').unwrap();
    typed(&mut p, "let lan = cidr(\"10.0.0.0/24\");\r");
    prompt(&mut p);
    typed(&mut p, "lan.\t\t");
    // Listed column by column: the first column starts with the Cidr's own.
    let (listed, _) = p.exp_regex(r"repl> lan\.").unwrap();
    let first: Vec<&str> = listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .skip_while(|word| *word != "broadcast")
        .collect();
    assert_eq!(
        first[..10],
        ["broadcast", "contains", "host", "ip", "netmask", "network", "prefix", "size", "split", "addr_add"]
    );
    p.send_control('c').unwrap();
    prompt(&mut p);
    // :help of the standard library: forms, doc, example.
    typed(&mut p, ":help topo::star\r");
    p.exp_string("topo::star(n, bridge, subnet[, opts])   (module topo: import \"topo\" as topo;)").unwrap();
    p.exp_string("example: let hosts = topo::star(10, \"br0\", \"10.0.0.0/24\");").unwrap();
    prompt(&mut p);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn a_narrow_terminal_wraps_at_columns_and_long_help_is_paged() {
    if !privileged() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut p = repl_sized(44, 20, &[("PAGER", "sed -e s/^/P:/")], state.path());
    prompt(&mut p);
    // A long :help goes through the pager.
    typed(&mut p, ":help\r");
    p.exp_string("P:Namespaces").unwrap();
    prompt(&mut p);
    // A map's long value wraps under its own column.
    typed(&mut p, "#{addresses: \"10.0.0.11/24 fe80::f0b8:b5ff:fe5b:5e/64 fd00::11/64\"}\r");
    p.exp_string(
        "addresses  10.0.0.11/24\r\n           fe80::f0b8:b5ff:fe5b:5e/64\r\n           fd00::11/64\r\n",
    )
    .unwrap();
    prompt(&mut p);
    // The caret under its token on a line too long for the terminal.
    typed(&mut p, "let a = 1; let b = 2; let c = 3; let d = 4; link_up(\"nope\");\r");
    // Cut at the left (…), the caret under link_up.
    p.exp_regex(r"1 \| \S+let c = 3; let d = 4; link_up\(.nope.\);\r\n  \| {24}\^").unwrap();
    prompt(&mut p);
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn save_after_down_and_over_a_file() {
    if !privileged() {
        return;
    }
    let input = r#"let lan = cidr("10.9.0.0/24");
bridge_add("br0");
let h = netns_add("h1");
h.link_up("lo");
:down
netns_add("h2");
:save ~/lab.rhai
:save ~/lab.rhai
:save! ~/lab.rhai
let n = h.name;
:save! ~/other.rhai
"#;
    let out = Sandbox::new()
        .file("input", input)
        .step("mkdir home && HOME=$PWD/home netscript < input")
        .step("cat home/lab.rhai")
        .step("netscript down repl > /dev/null; netscript home/lab.rhai && ls /run/netns")
        .run();
    out[0]
        .failure(1)
        .stdout_has("saved to ~/lab.rhai; build the same lab with `netscript ~/lab.rhai`\n")
        .stderr_has("error: ~/lab.rhai exists already; write over it with :save! ~/lab.rhai\n")
        .stderr_has(
            "error: cannot save a script that builds this lab: line 6 of the script uses 'h', which an input \
             before `:down` made; after `:down` the session's inputs start again: make it again and :save\n",
        );
    assert_eq!(out[0].stdout.matches("saved to ~/lab.rhai").count(), 2, "{}", out[0].stdout);
    let script = &out[1].stdout;
    // What asked the lab before :down is gone with it; what did not stays.
    assert!(script.contains("let lan = cidr(\"10.9.0.0/24\");\nnetns_add(\"h2\");\n"), "{script}");
    assert!(!script.contains("h1") && !script.contains("br0"), "{script}");
    assert_eq!(out[2].success().stdout, "h2\n");
}
