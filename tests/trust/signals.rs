//! Every wait ends, every failure rolls back: timeouts are checked and
//! bounded, signals and a closed stdout stop a run at once and undo it, a
//! command's leftovers die with it, runaway scripts become errors, and a bug
//! in netscript still leaves nothing behind. Each test starts from a case a
//! hostile tester saw, and checks the outcome with `ip`, `ls /run/netns` and
//! `ps`, not with netscript's word.

use crate::support::sandbox::Output;
use crate::support::{Sandbox, privileged};

/// What a lab leaves behind, as iproute2 and the file system see it.
const TRACES: &str = "ls /run/netns; ip -br link; ls /run/netscript/labs 2>/dev/null";

/// Runs `command` in the background, waits until its stdout shows `ready`,
/// sends it `signal`, and prints how it exited and how long that took, in
/// milliseconds: `exit 1 after 12 ms`. Its stderr is in run.err.
fn signal_when_ready(command: &str, ready: &str, signal: &str) -> String {
    format!(
        "{command} >run.out 2>run.err & pid=$!; \
         for i in $(seq 400); do grep -q '{ready}' run.out && break; sleep 0.025; done; \
         sleep 0.2; start=$(date +%s%N); kill -{signal} $pid; wait $pid; rc=$?; \
         echo \"exit $rc after $(( ($(date +%s%N) - start) / 1000000 )) ms\"; cat run.err"
    )
}

/// Fails unless TRACES shows no namespace, link or ledger of the tests' labs.
#[track_caller]
fn assert_nothing_left(traces: &Output, what: &str) {
    let left: Vec<&str> = traces
        .stdout
        .lines()
        .filter(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            ["a", "b", "x0", "x1", "y0", "y1"]
                .iter()
                .any(|ours| name.starts_with(&format!("{ours}@")) || name == *ours)
                || name.ends_with(".ledger")
        })
        .collect();
    assert!(left.is_empty(), "{what}: left behind {left:?}:\n{}", traces.stdout);
}

/// The milliseconds in `exit N after M ms`.
#[track_caller]
fn took_ms(out: &Output) -> u64 {
    let line = out.stdout.lines().next().unwrap_or_default();
    let ms = line.split(" after ").nth(1).and_then(|rest| rest.strip_suffix(" ms"));
    ms.and_then(|ms| ms.parse().ok()).unwrap_or_else(|| panic!("no time in {line:?}:\n{}", out.stdout))
}

/// A namespace `a` whose x0 reaches 10.9.0.0/24, where nothing answers:
/// a ping or a connection there waits until its timeout.
const SILENT_NET: &str = r#"
let a = netns_add("a");
veth_add(a, "x0", a, "x1");
a.addr_add("x0", "10.9.0.1/24");
a.link_up("x0");
a.link_up("x1");
"#;

// ---- 1. durations: nonsense is an error at its line, huge is clamped ----

#[test]
fn nonsense_durations_are_errors_at_their_line_and_roll_back() {
    if !privileged() {
        return;
    }
    let cases = [
        (
            "a.exec(\"true\", #{timeout: 0.0 / 0.0});",
            "cannot run `true` in namespace 'a': timeout must be a number of seconds from 0 up, not NaN",
        ),
        ("a.exec(\"true\", #{timeout: -1});", "timeout must be a number of seconds from 0 up, not -1"),
        (
            "a.exec(\"true\", #{timeout: 1.0 / 0.0});",
            "timeout must be a number of seconds from 0 up, not inf",
        ),
        (
            "a.ping(\"10.9.0.1\", #{timeout: 0.0 / 0.0});",
            "cannot ping 10.9.0.1 in namespace 'a': timeout must be a number of seconds from 0 up, not NaN",
        ),
        (
            "a.ping(\"10.9.0.1\", #{interval: -1.0 / 0.0});",
            "interval must be a number of seconds from 0 up, not -inf",
        ),
        ("a.ping(\"10.9.0.1\", #{count: 1 << 40});", "count must be a whole number from 1 to 100000"),
        ("pingall([a, a], #{timeout: -0.5});", "timeout must be a number of seconds from 0 up, not -0.5"),
        (
            "a.source_seen(a, \"10.9.0.1\", #{timeout: 0.0 / 0.0});",
            "cannot probe 10.9.0.1 from namespace 'a': timeout must be a number of seconds from 0 up, not NaN",
        ),
    ];
    let mut sandbox = Sandbox::new();
    for (i, (call, _)) in cases.iter().enumerate() {
        // The call is on line 7, after the six lines of SILENT_NET.
        sandbox = sandbox.file(&format!("lab{i}.rhai"), &format!("{SILENT_NET}{call}\n"));
        sandbox = sandbox.step(&format!("netscript lab{i}.rhai")).step(TRACES);
    }
    let out = sandbox.run();
    for (i, (_, message)) in cases.iter().enumerate() {
        let (run, traces) = (&out[2 * i], &out[2 * i + 1]);
        run.failure(1)
            .stderr_has(message)
            .stderr_has(&format!("--> lab{i}.rhai:7:"))
            .stderr_has("rolled back");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_nothing_left(traces, message);
    }
}

#[test]
fn huge_durations_are_clamped_never_a_panic() {
    if !privileged() {
        return;
    }
    let lab = format!(
        "{SILENT_NET}\
         let huge = #{{timeout: 1e19}};\n\
         print(a.exec(\"echo done\", huge).stdout);\n\
         print(a.ping(\"10.9.0.1\", #{{count: 1, interval: 1e300, timeout: 1e19}}).received);\n\
         print(pingall([a, a], #{{timeout: 9223372036854775807, quiet: true}}).received);\n\
         print(a.source_seen(a, \"10.9.0.1\", huge));\n"
    );
    let out =
        Sandbox::new().file("lab.rhai", &lab).step("netscript lab.rhai").step("netscript down lab").run();
    assert!(!out[0].stderr.contains("panicked"), "{}", out[0].stderr);
    out[0].success();
    assert_eq!(out[0].stdout, "done\n\n1\n2\n10.9.0.1\n");
    out[1].success();
}

// ---- 2. runaway scripts are errors at their line, with rollback ----

/// Caps what a runaway netscript may take, should a limit ever fail.
const MEMORY_CAP: &str = "ulimit -v 4000000;";

#[test]
fn an_import_cycle_is_an_error_at_the_import_and_rolls_back() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("a.rhai", "import \"b\" as b;\nfn fa() { 1 }\n")
        .file("b.rhai", "fn fb() { 2 }\nimport \"a\" as a;\n")
        .file("lab.rhai", "let a = netns_add(\"a\");\nimport \"a\" as m;\n")
        .step(&format!("{MEMORY_CAP} netscript lab.rhai"))
        .step(TRACES)
        .run();
    out[0]
        .failure(1)
        .stderr_has("error: import cycle: a.rhai imports b.rhai imports a.rhai again")
        .stderr_has("--> lab.rhai:2:8")
        .stderr_has("in module 'b', imported at a.rhai:1 (failed at b.rhai:2)")
        .stderr_has("rolled back 1 change of this run");
    assert_nothing_left(&out[1], "an import cycle");
}

#[test]
fn runaway_values_and_recursion_are_errors_that_roll_back() {
    if !privileged() {
        return;
    }
    let cases = [
        ("let s = \"x\"; loop { s += s; }", "this string would be longer than 16 MiB"),
        ("let s = \"x\"; while true { s = s + s + s; }", "this string would be longer than 16 MiB"),
        ("let l = [1]; loop { l += l; }", "this array would hold more than 1048576 items"),
        ("let l = [1]; loop { l = [l, l]; }", "this array would hold more than 1048576 items"),
        ("fn f(n) { f(n + 1) } f(0);", "functions call functions more than 64 deep"),
    ];
    let mut sandbox = Sandbox::new();
    for (i, (runaway, _)) in cases.iter().enumerate() {
        sandbox = sandbox
            .file(&format!("lab{i}.rhai"), &format!("let a = netns_add(\"a\");\n{runaway}\n"))
            .step(&format!("{MEMORY_CAP} netscript lab{i}.rhai"))
            .step(TRACES);
    }
    let nested = format!("let a = netns_add(\"a\");\nlet x = {}1{};\n", "(".repeat(100), ")".repeat(100));
    let out = sandbox.file("nested.rhai", &nested).step("netscript nested.rhai").run();
    for (i, (_, message)) in cases.iter().enumerate() {
        let (run, traces) = (&out[2 * i], &out[2 * i + 1]);
        run.failure(1)
            .stderr_has(message)
            .stderr_has(&format!("--> lab{i}.rhai:2:"))
            .stderr_has("rolled back");
        assert_nothing_left(traces, message);
    }
    out.last()
        .unwrap()
        .failure(1)
        .stderr_has(
            "syntax error: this is nested deeper than a script may nest expressions and blocks (64 levels)",
        )
        .stderr_has("--> nested.rhai:2:");
}

// ---- 3. a signal ends every wait, and the run rolls back ----

#[test]
fn a_signal_during_a_wait_ends_it_at_once_and_rolls_back() {
    if !privileged() {
        return;
    }
    // Each wait is the script's last step and would last 30 s.
    let waits = [
        (
            "ping",
            "a.ping(\"10.9.0.99\", #{count: 1, timeout: 30});",
            "cannot ping 10.9.0.99 in namespace 'a'",
        ),
        ("pingall", "pingall([a, b], #{timeout: 30});", "pingall"),
        ("exec", "a.exec(\"sleep 30\", #{timeout: 60});", "cannot run `sleep 30` in namespace 'a'"),
        (
            "probe",
            "a.source_seen(a, \"10.9.0.99\", #{timeout: 30});",
            "cannot probe 10.9.0.99 from namespace 'a'",
        ),
    ];
    let signals = [
        ("TERM", "interrupted by SIGTERM"),
        ("INT", "interrupted by Ctrl-C (SIGINT)"),
        ("HUP", "interrupted by SIGHUP"),
    ];
    let mut sandbox = Sandbox::new();
    let mut expected = Vec::new();
    for (name, call, what) in waits {
        let prelude = if name == "pingall" {
            // b is on a silent net of its own: a and b wait for each other.
            "let b = netns_add(\"b\");\nveth_add(b, \"y0\", b, \"y1\");\nb.addr_add(\"y0\", \"10.9.0.5/24\");\n\
             b.link_up(\"y0\");\nb.link_up(\"y1\");\n"
        } else {
            ""
        };
        let lab = format!("{SILENT_NET}{prelude}print(\"waiting\");\n{call}\n");
        sandbox = sandbox.file(&format!("{name}.rhai"), &lab);
        for (signal, message) in signals {
            sandbox = sandbox
                .step(&signal_when_ready(&format!("netscript {name}.rhai"), "waiting", signal))
                .step(TRACES);
            expected.push((name, signal, what, message));
        }
    }
    let out = sandbox.run();
    for (i, (name, signal, what, message)) in expected.into_iter().enumerate() {
        let (run, traces) = (&out[2 * i], &out[2 * i + 1]);
        run.success()
            .stdout_has("exit 1 after")
            .stdout_has(&format!("{what}: {message}"))
            .stdout_has(&format!("--> {name}.rhai:"))
            .stdout_has("rolled back");
        assert!(took_ms(run) < 2000, "{name} took {} ms to end after SIG{signal}", took_ms(run));
        assert_nothing_left(traces, &format!("{name}, SIG{signal}"));
    }
}

#[test]
fn a_signal_during_the_last_step_fails_the_run() {
    if !privileged() {
        return;
    }
    // The last step signals netscript itself (sh's parent) and returns at once.
    let lab = format!("{SILENT_NET}a.exec(\"kill -TERM $PPID\");\n");
    let out = Sandbox::new().file("lab.rhai", &lab).step("netscript lab.rhai").step(TRACES).run();
    out[0].failure(1).stderr_has("interrupted by SIGTERM").stderr_has("rolled back");
    assert!(!out[0].stderr.contains("is up"), "{}", out[0].stderr);
    assert_nothing_left(&out[1], "a signal during the last step");
}

// ---- 4. exec's command goes, with everything it started ----

#[test]
fn exec_does_not_wait_for_what_its_command_left_in_the_background() {
    if !privileged() {
        return;
    }
    let lab = r#"
        let a = netns_add("a");
        let t = timestamp();
        let r = a.exec("sleep 6.0173 & echo started", #{timeout: 1});
        print(`${r.stdout == "started\n"} ${r.code} ${(t.elapsed * 1000.0).to_int()}`);
        let t = timestamp();
        try {
            a.exec("sleep 30.0173; echo never", #{timeout: 1});
        } catch (e) {
            print(`${e} ${(t.elapsed * 1000.0).to_int()}`);
        }
    "#;
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript lab.rhai")
        .step("ps -eo args | grep -c '^sleep [36]0*\\.0173'")
        .run();
    out[0].success();
    let lines: Vec<&str> = out[0].stdout.lines().collect();
    let ms = |line: &str| -> u64 { line.rsplit(' ').next().unwrap().parse().unwrap() };
    assert!(lines[0].starts_with("true 0 "), "{}", out[0].stdout);
    assert!(ms(lines[0]) < 900, "exec waited {} ms for a background job", ms(lines[0]));
    assert!(lines[1].contains("it was still running after 1.0 s and was killed"), "{}", out[0].stdout);
    assert!(ms(lines[1]) < 1900, "exec took {} ms to end at a 1 s timeout", ms(lines[1]));
    assert_eq!(out[1].stdout.trim(), "0", "processes left behind:\n{}", out[1].stdout);
}

// ---- 5. a closed stdout (SIGPIPE) stops a run, it does not kill it ----

#[test]
fn a_closed_stdout_stops_the_run_and_rolls_back() {
    if !privileged() {
        return;
    }
    let lab = "for i in 1..=100 { netns_add(`n${i}`); print(`made n${i}`); }\n";
    let piped: String = (1..=50).map(|i| format!("netns_add(\"r{i}\"); print(\"made r{i}\");\n")).collect();
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .file("inputs", &piped)
        .step("netscript lab.rhai | head -1; echo \"exit ${PIPESTATUS[0]}\"")
        .step("ls /run/netns | wc -l; ls /run/netscript/labs")
        .step("netscript --sandbox lab.rhai | head -1; echo \"exit ${PIPESTATUS[0]}\"")
        // The REPL from stdin: the input that met the closed pipe is
        // rolled back, and the session ends.
        .step("netscript --sandbox <inputs | head -1; echo \"exit ${PIPESTATUS[0]}\"")
        .run();
    for run in [&out[0], &out[2]] {
        assert_eq!(run.stdout, "made n1\nexit 1\n", "{}", run.stderr);
        run.stderr_has("interrupted: stdout was closed (its reader, such as `head`, ended)")
            .stderr_has("--> lab.rhai:1:")
            .stderr_has("rolled back");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert_eq!(out[1].stdout, "0\n", "left behind");
    assert_eq!(out[3].stdout, "made r1\nexit 1\n", "{}", out[3].stderr);
    out[3].stderr_has("stdout was closed").stderr_has("rolled back 1 change of this input");
    assert!(!out[3].stderr.contains("panicked"), "{}", out[3].stderr);
}

// ---- 6. nothing a sandboxed run started outlives it ----

#[test]
fn processes_started_in_a_sandbox_end_with_it() {
    if !privileged() {
        return;
    }
    // Each run leaves servers behind, in a namespace of the lab and in the
    // sandbox itself, one of them a daemon of its own group.
    let lab = r#"
        let a = netns_add("a");
        a.start_process("sleep 3600.0291");
        start_process(["sleep", "3600.0292"]);
        a.start_process("setsid sleep 3600.0293");
        print("started");
        if param("how", "ok") == "fail" { throw "failing on purpose"; }
        if param("how", "ok") == "wait" { a.exec("sleep 30", #{timeout: 60}); }
    "#;
    let count = "{ ps -eo args | grep -c '^sleep 3600\\.029' || true; }";
    let gone = format!("for i in $(seq 100); do [ $({count}) = 0 ] && break; sleep 0.02; done; {count}");
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step(&format!("netscript --sandbox lab.rhai; echo \"exit $?\"; {count}"))
        .step(&format!("netscript --sandbox lab.rhai how=fail; echo \"exit $?\"; {count}"))
        .step(&format!(
            "{}; {count}",
            signal_when_ready("netscript --sandbox lab.rhai how=wait", "started", "TERM")
        ))
        .step(&format!(
            "{}; {gone}",
            signal_when_ready("netscript --sandbox lab.rhai how=wait", "started", "KILL")
        ))
        .step(&format!(
            "echo 'start_process(\"sleep 3600.0294\");' | netscript --sandbox; echo \"exit $?\"; {count}"
        ))
        .run();
    out[0].success();
    assert_eq!(out[0].stdout, "started\nexit 0\n0\n", "{}", out[0].stderr);
    assert_eq!(out[1].stdout, "started\nexit 1\n0\n", "{}", out[1].stderr);
    out[2].success().stdout_has("exit 1 after").stdout_has("interrupted by SIGTERM");
    assert!(out[2].stdout.ends_with("\n0\n"), "left running:\n{}", out[2].stdout);
    out[3].success().stdout_has("exit 137 after");
    assert!(out[3].stdout.ends_with("\n0\n"), "left running after kill -9:\n{}", out[3].stdout);
    assert!(out[4].stdout.ends_with("exit 0\n0\n"), "{}\n{}", out[4].stdout, out[4].stderr);
}

#[test]
fn a_second_sigterm_ends_a_sandbox_that_waits_for_input() {
    if !privileged() {
        return;
    }
    // The session waits for a line that never comes; the first SIGTERM
    // cannot reach it there, the second ends the sandbox and all in it.
    // A watchdog ends it after 5 s, so that a failure does not hang the test.
    let step = "mkfifo input; netscript --sandbox <input & pid=$!; exec 3>input; sleep 0.5; \
                (sleep 5; kill -KILL $pid) 2>/dev/null & dog=$!; \
                start=$(date +%s%N); kill -TERM $pid; sleep 0.2; kill -TERM $pid; wait $pid; rc=$?; kill $dog; \
                echo \"exit $rc after $(( ($(date +%s%N) - start) / 1000000 )) ms\"";
    let out = Sandbox::new().step(step).run();
    out[0].success().stdout_has("exit 137 after");
    assert!(took_ms(&out[0]) < 2000, "{}", out[0].stdout);
}

// ---- 7. --dry-run is honoured wherever the script comes from ----

#[test]
fn dry_run_from_stdin_prints_the_commands_and_builds_nothing() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step("ls /run/netns; ip -j link")
        .step("echo 'netns_add(\"zz\"); print(\"hi\");' | netscript --dry-run")
        .step("printf 'netns_add(\"zz\");\\nnetns_add(\"zz\");\\n:down\\n' | netscript --dry-run")
        .step("ls /run/netns; ip -j link")
        .step("netscript ls")
        .run();
    out[1]
        .success()
        .stdout_has("#!/bin/bash\n")
        .stdout_has("\nip netns add zz\nip -n zz link set dev lo up\n")
        .stdout_has("\n# hi\n");
    out[2]
        .failure(1)
        .stderr_has("error: cannot add namespace 'zz': namespace 'zz' already exists")
        .stderr_has("--> <stdin>:2:1")
        .stderr_has("error: :down takes a lab down, and a dry run builds none");
    assert_eq!(out[0].stdout, out[3].stdout, "the dry run changed the host");
    out[4].success().stdout_has("no lab is up");
}

// ---- 8. a bug in netscript still rolls back ----

#[test]
fn a_panic_is_reported_as_a_bug_and_rolls_back() {
    // The trigger exists in debug builds only.
    if !privileged() || !cfg!(debug_assertions) {
        return;
    }
    let lab = format!("{SILENT_NET}a.test_panic(\"boom\");\n");
    let out = Sandbox::new()
        .file("lab.rhai", &lab)
        .file("ok.rhai", SILENT_NET)
        .step("NETSCRIPT_TEST_PANIC=1 netscript lab.rhai")
        .step(TRACES)
        // After the script, outside any function it calls.
        .step("NETSCRIPT_TEST_PANIC=after-run netscript ok.rhai")
        .step(TRACES)
        .step("echo 'let b = netns_add(\"b\"); b.test_panic(\"in a session\");' | NETSCRIPT_TEST_PANIC=1 netscript --sandbox")
        .run();
    out[0]
        .failure(1)
        .stderr_has("error: netscript bug: test panic: boom (at src/")
        .stderr_has("please report it")
        .stderr_has("--> lab.rhai:7:3")
        .stderr_has("rolled back");
    assert_nothing_left(&out[1], "a panic in a function");
    out[2].failure(1).stderr_has("error: netscript bug: test panic at 'after-run'").stderr_has("rolled back");
    assert_nothing_left(&out[3], "a panic after the script");
    out[4]
        .failure(1)
        .stderr_has("netscript bug: test panic: in a session")
        .stderr_has("--> <stdin>:1:")
        .stderr_has("rolled back 1 change of this input");
    for run in [&out[0], &out[2], &out[4]] {
        assert!(!run.stderr.contains("panicked at"), "Rust's own panic message:\n{}", run.stderr);
    }
}
