//! Nodes as places where services run: what a process started in a node
//! sees (its /etc files, its own /run, /sys, hostname), node files as lab
//! objects, and exec's declared undo. Observed from outside netscript with
//! nsenter into the process's namespaces, and on disk.

use crate::support::{Sandbox, privileged};

/// Two nodes, each with a daemon of the same kind that keeps a pid file in /run.
const NODES: &str = r#"
import "topo" as topo;
let r1 = netns_add("r1");
let r2 = netns_add("r2");
topo::p2p(r1, r2, "10.9.0.0/30");
topo::hosts([r1, r2]);
r1.hostname("router-one");
r1.write_file("/run/svc/svc.conf", "name r1\n");
r2.write_file("/run/svc/svc.conf", "name r2\n");
for r in [r1, r2] {
    r.start_process("echo $$ > /run/svc/svc.pid; exec sleep 1001");
}
sleep(0.3);
// A later command in the node finds its daemon's files.
let seen = r1.exec("cat /run/svc/svc.conf; getent hosts r2").stdout;
if !seen.contains("name r1") || !seen.contains("10.9.0.2") { throw `r1 sees: ${seen}`; }
// What the node's daemon wrote, read back beneath the node's own /run.
let pid = r2.read_file("/run/svc/svc.pid");
if pid.len() < 2 || r1.read_file("/run/svc/svc.conf") != "name r1\n" { throw `read back: ${pid}`; }
"#;

/// What a process of node `$1` sees, read through its own namespaces.
const VIEW: &str = "view() { pid=$(for p in $(pgrep -x sleep); do \
     [ \"$(ip netns identify $p)\" = $1 ] && echo $p; done | head -1); \
     nsenter -t $pid -m -u sh -c 'echo host=$(hostname); cat /run/svc/svc.pid /run/svc/svc.conf; \
     ls /sys/class/net | tr \"\\n\" \" \"; echo; cat /etc/hosts; ls /run/netscript 2>&1 | head -1'; echo pid=$pid; }";

#[test]
fn a_node_has_its_own_etc_run_sys_and_hostname_and_down_takes_them_away() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("nodes.rhai", NODES)
        .step("netscript nodes.rhai")
        .step(&format!("{VIEW}; view r1"))
        .step(&format!("{VIEW}; view r2"))
        .step("find /etc/netns /run/netscript/nodes -type f | sort")
        .step("netscript down nodes")
        .step("find /etc/netns /run/netscript/nodes -mindepth 1; pgrep -f 'slee[p] 1001'; ip netns list; echo end")
        .run();
    out[0].success();
    let (r1, r2) = (&out[1].stdout, &out[2].stdout);
    out[1].success();
    // Each daemon wrote its pid file in its own /run: each node sees its own.
    let pid_of = |view: &str| view.lines().find_map(|l| l.strip_prefix("pid=")).unwrap().to_string();
    assert!(r1.contains(&format!("\n{}\nname r1", pid_of(r1))), "{r1}");
    assert!(r2.contains(&format!("\n{}\nname r2", pid_of(r2))), "{r2}");
    assert!(r1.contains("host=router-one"), "{r1}");
    assert!(!r2.contains("host=router-one"), "{r2}");
    // /sys shows the node's own links; /etc/hosts is the lab's.
    assert!(r1.contains("lo to-r2"), "{r1}");
    assert!(r1.contains("10.9.0.1\tr1") && r1.contains("10.9.0.2\tr2"), "{r1}");
    // The machine's /run (and netscript's state in it) is out of sight.
    assert!(r1.contains("No such file or directory"), "{r1}");
    let files = &out[3].stdout;
    for f in [
        "/etc/netns/r1/hostname",
        "/etc/netns/r1/hosts",
        "/etc/netns/r2/hosts",
        "/run/netscript/nodes/r1/run/svc/svc.pid",
    ] {
        assert!(files.contains(f), "{f} missing from:\n{files}");
    }
    out[4].success().stdout_has("removed 2 namespaces");
    assert_eq!(out[5].stdout, "end\n", "left behind:\n{}", out[5].stdout);
}

#[test]
fn a_run_that_fails_after_starting_daemons_leaves_no_file_process_or_dir() {
    if !privileged() {
        return;
    }
    let script = r#"
let r1 = netns_add("r1");
r1.write_file("/etc/hosts", "127.0.0.1 localhost\n");
r1.write_file("/run/d/d.conf", "x\n");
r1.start_process("exec sleep 1003");
r1.exec("echo on >> $PWD/side-effect", #{undo: "rm $PWD/side-effect"});
throw "stop here";
"#;
    let out = Sandbox::new()
        .file("fails.rhai", script)
        .step("netscript fails.rhai")
        .step("find /etc/netns /run/netscript/nodes -mindepth 1; pgrep -f 'slee[p] 1003'; ls side-effect; echo end")
        .run();
    out[0].failure(1).stderr_has("stop here").stderr_has("run the undo `sh -c rm $PWD/side-effect`");
    assert_eq!(out[1].stdout, "end\n", "left behind:\n{}{}", out[1].stdout, out[1].stderr);
}

#[test]
fn a_file_the_node_had_is_put_back_and_an_exec_undo_runs_at_down() {
    if !privileged() {
        return;
    }
    let script = r#"
let flag = `${param("dir", "")}/flag`;
let r1 = netns_add("r1");
r1.write_file("/etc/hosts", "10.0.0.1 lab\n");
r1.exec(["sh", "-c", `echo on > ${flag}`], #{undo: ["rm", flag]});
"#;
    let out = Sandbox::new()
        .file("keep.rhai", script)
        .step("mkdir -p /etc/netns/r1 && echo mine > /etc/netns/r1/hosts && chmod 640 /etc/netns/r1/hosts")
        .step("netscript keep.rhai dir=$PWD && cat /etc/netns/r1/hosts && cat flag")
        .step("netscript down keep && stat -c %a /etc/netns/r1/hosts && cat /etc/netns/r1/hosts; ls flag")
        .run();
    out[1].success().stdout_has("10.0.0.1 lab").stdout_has("on");
    out[2].stdout_has("640\nmine\n").stdout_has("ran 1 undo command").stderr_has("cannot access 'flag'");
}

#[test]
fn node_files_are_shown_by_the_dry_run_and_bad_paths_are_refused_where_written() {
    let script = "let r1 = netns_add(\"r1\");\nr1.write_file(\"/etc/hosts\", \"10.0.0.1 a\\n\");\n\
                  r1.exec(\"touch /run/x\", #{undo: \"rm /run/x\"});\n";
    let out = Sandbox::new()
        .file("dry.rhai", script)
        .file("bad.rhai", "let r1 = netns_add(\"r1\");\nr1.write_file(\"/tmp/x\", \"\");\n")
        .file("up.rhai", "let r1 = netns_add(\"r1\");\nr1.write_file(\"/etc/../x\", \"\");\n")
        .step("netscript --dry-run dry.rhai")
        .step("netscript --dry-run bad.rhai")
        .step("netscript --dry-run up.rhai")
        .run();
    out[0]
        .success()
        .stdout_has("cat > '/etc/netns/r1/hosts' <<'NETSCRIPT_FILE'\n10.0.0.1 a\nNETSCRIPT_FILE")
        .stdout_has("' - sh -c 'touch /run/x'\n# undone by: ip netns exec r1 unshare -m -u sh -c ")
        .stdout_has("' - sh -c 'rm /run/x'\n");
    out[1]
        .failure(1)
        .stderr_has("cannot write /tmp/x in namespace 'r1': '/tmp/x' is the machine's, not the node's")
        .stderr_has("bad.rhai:2:");
    out[2].failure(1).stderr_has("'/etc/../x' holds '..'");
}
