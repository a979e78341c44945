//! The state directory and the ledger are untrusted input: made private
//! whatever the umask, refused when someone else could have written them,
//! never reached through a symlink or a path in a lab name, and never able
//! to make `down` run a command, unlink a file or delete a link it cannot
//! prove the lab made.

use crate::support::{Sandbox, privileged};

const LAB: &str = "netns_add(\"a\");\nbridge_add(\"br0\");\n";

#[test]
fn state_is_private_whatever_the_umask() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "bridge_add(\"br0\");\nstart_process(\"sleep 30\");\n")
        .step("rmdir /run/netscript; umask 000; netscript lab.rhai")
        .step("stat -c '%a %U %n' /run/netscript /run/netscript/labs /run/netscript/labs/lab.ledger /run/netscript/labs/lab.logs /run/netscript/labs/lab.logs/*")
        .step("netscript down lab")
        .run();
    out[0].success();
    let modes: Vec<&str> = out[1].stdout.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(modes, ["700", "700", "600", "700", "600"], "{}", out[1].stdout);
    out[2].success();
}

#[test]
fn a_state_directory_others_can_write_is_refused() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .step("chmod 777 /run/netscript; netscript lab.rhai")
        .step("ls /run/netns; ip -br link show br0")
        .step("netscript ls")
        .step("netscript down x")
        .run();
    out[0]
        .failure(1)
        .stderr_has("/run/netscript is writable by others (mode 0777): someone else could have written it");
    // Refused before anything was made: nothing to roll back.
    assert_eq!(out[1].stdout, "", "{}", out[1].stderr);
    out[2].failure(1).stderr_has("writable by others");
    out[3].failure(1).stderr_has("writable by others");
}

#[test]
fn a_ledger_that_is_a_symlink_or_someone_elses_is_refused() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .step("netscript lab.rhai")
        // A symlink in place of the ledger, to a file the attacker wrote.
        .step("mv /run/netscript/labs/lab.ledger ./saved && ln -s $PWD/saved /run/netscript/labs/lab.ledger && netscript down lab")
        .step("rm /run/netscript/labs/lab.ledger && cp saved /run/netscript/labs/lab.ledger && chown 65534 /run/netscript/labs/lab.ledger && netscript down lab")
        .step("chown 0 /run/netscript/labs/lab.ledger && chmod 666 /run/netscript/labs/lab.ledger && netscript show lab")
        .step("chmod 600 /run/netscript/labs/lab.ledger && netscript down lab && ls /run/netns && ip -br link show type bridge")
        .run();
    out[0].success();
    out[1].failure(1).stderr_has("is a symlink; refused");
    out[2].failure(1).stderr_has("belongs to user 65534, not to this user (0)");
    out[3].failure(1).stderr_has("is writable by others (mode 0666)");
    out[4].success().stdout_has("lab: removed 1 namespace, 1 link");
    assert_eq!(out[4].stderr, "", "{}", out[4].stderr);
}

#[test]
fn lab_names_are_not_paths() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .file("decoy.ledger", "{\"begin\":{\"script\":null,\"pid\":1,\"started\":0}}\n")
        .step("netscript down ../../../$PWD/decoy")
        .step("netscript show ../x; netscript graph a/b")
        .step("netscript --lab ../x lab.rhai")
        .step(&format!("netscript down {}", "x".repeat(300)))
        .step("cat decoy.ledger; ls /run/netns")
        .run();
    out[0].failure(1).stderr_has("lab name '../../../");
    out[0].stderr_has("starts with '.'; lab names are file names");
    out[1].stderr_has("lab name '../x' starts with '.'").stderr_has("lab name 'a/b' contains '/'");
    out[2].failure(2).stderr_has("lab name '../x'");
    out[3].failure(1).stderr_has("is 300 bytes; at most 64");
    out[4].stdout_has("\"begin\"");
}

#[test]
fn process_logs_never_follow_a_symlink() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "start_process(\"echo written\");\n")
        .file("target", "precious\n")
        .step("mkdir -m 700 -p /run/netscript/labs/lab.logs && ln -s $PWD/target /run/netscript/labs/lab.logs/1-sh.log && netscript lab.rhai")
        .step("cat target; ls /run/netscript/labs")
        .run();
    out[0].failure(1).stderr_has("cannot write /run/netscript/labs/lab.logs/1-sh.log: File exists");
    assert_eq!(out[1].stdout.lines().next(), Some("precious"), "{}", out[1].stdout);
}

/// A lab with a namespace, a bridge, a veth to the stand-in uplink's side,
/// a process and a sysctl, whose ledger the tests then tamper with.
const BIG: &str = r#"
let a = netns_add("a");
bridge_add("br0");
veth_add("v0", "v1");
start_process("sleep 60");
sysctl_set("net.ipv4.conf.all.log_martians", "1");
"#;

#[test]
fn down_runs_no_command_a_ledger_line_asks_for() {
    if !privileged() {
        return;
    }
    // What a hostile tester appended: an old-style undo list that starts a
    // shell, a namespace that is a plain file, a link the lab never made
    // (the uplink), and a "process of the lab" that is not one.
    let forged = [
        r#"{"apply":{"seq":50,"op":{"bridge_add":{"ns":"host","name":"zz0"}},"undo":[{"process_start":{"ns":"host","argv":["/bin/sh","-c","touch /tmp/pwned-$PPID; id > pwned"],"log":"/dev/null"}}]}}"#,
        r#"{"apply":{"seq":51,"op":{"netns_add":{"name":"plain","lo_up":true}}}}"#,
        r#"{"apply":{"seq":52,"op":{"veth_add":{"ns":"host","name":"uplink","peer_ns":"host","peer":"x"}}}}"#,
        r#"{"apply":{"seq":53,"op":{"netns_add":{"name":"../../tmp/victim","lo_up":true}}}}"#,
        r#"{"apply":{"seq":54,"op":{"sysctl_set":{"ns":"host","key":"kernel.core_pattern","value":"x"}},"prior":{"sysctl":"|/bin/sh"}}}"#,
    ]
    .join("\n");
    let out = Sandbox::new()
        .file("lab.rhai", BIG)
        .file("forged", &format!("{forged}\n"))
        .step("ip link add uplink type veth peer name isp0 && touch /run/netns/plain victim")
        .step("netscript lab.rhai")
        .step("sleep 100 & echo $! > other.pid")
        .step(r#"cat forged >> /run/netscript/labs/lab.ledger; pid=$(cat other.pid); start=$(awk '{print $22}' /proc/$pid/stat); echo "{\"started\":{\"seq\":51,\"pid\":$pid,\"start\":$start}}" >> /run/netscript/labs/lab.ledger; netscript down lab"#)
        .step("ls pwned /tmp/pwned-* 2>&1; ls /run/netns; ip -br link; cat /proc/sys/kernel/core_pattern; kill $(cat other.pid) && echo other alive")
        .run();
    out[0].success();
    out[1].success();
    out[2].success();
    let down = &out[3];
    down.success().stdout_has("lab: removed 1 namespace, 2 links; stopped 1 process; set back 1 setting");
    down.stdout_has("link 'uplink' was being made when the run stopped")
        .stdout_has("left it alone (if it is this lab's: ip link del uplink)");
    down.stdout_has("refused: namespace name '../../tmp/victim' contains '/'");
    down.stdout_has("refused: netscript does not set kernel.core_pattern");
    down.stdout_has("was not started by this lab (it lacks the lab's mark); left it alone");
    down.stdout_has("the ledger is kept at /run/netscript/damaged/lab.");
    let after = &out[4].stdout;
    assert!(after.contains("No such file") && !after.contains("uid="), "a forged command ran:\n{after}");
    // The plain file, the uplink and the other process are still there;
    // the lab's own namespace and links are gone.
    assert!(after.contains("plain\n") && !after.contains("\na\n"), "{after}");
    assert!(after.contains("uplink@isp0") && !after.contains("br0") && !after.contains("zz0"), "{after}");
    assert!(after.contains("other alive"), "{after}");
}

#[test]
fn a_damaged_ledger_still_comes_down_and_ls_says_so() {
    if !privileged() {
        return;
    }
    let lab = "for i in 1..=3 { netns_add(`n${i}`); }\nbridge_add(\"br0\");\n";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript lab.rhai")
        // A line in the middle torn in two, as a full disk would leave it.
        .step("sed -i '4s/.*/{\"apply\":{\"seq\":/' /run/netscript/labs/lab.ledger; netscript ls")
        .step("netscript lab.rhai --recreate")
        .step("netscript ls; netscript down lab")
        .step("sed -i '5s/.*/garbage/' /run/netscript/labs/lab.ledger 2>/dev/null; netscript lab.rhai; sed -i '3s/.*/garbage/' /run/netscript/labs/lab.ledger; netscript down lab")
        .step("ls /run/netns; ip -br link show type bridge; ls /run/netscript/labs /run/netscript/damaged | sort")
        .run();
    out[0].success();
    out[1].success().stdout_has("damaged");
    out[2].success().stderr_has("took the lab down first");
    out[3].success().stdout_has("lab  ").stdout_has("lab: removed 3 namespaces, 1 link");
    let down = &out[4];
    down.success().stdout_has("lab: 1 line of the ledger could not be used:");
    down.stdout_has("line 3: not a ledger entry");
    down.stdout_has("the ledger is kept at /run/netscript/damaged/lab.");
    let after = &out[5].stdout;
    // The namespace whose line was lost cannot be known as the lab's: it stays, the rest went.
    assert_eq!(after.lines().filter(|l| l.starts_with('n')).count(), 1, "{after}");
    assert!(!after.contains("br0") && after.contains(".ledger"), "{after}");
}
