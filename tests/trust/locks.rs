//! One run at a time per lab, by a lock on its ledger: a build under any
//! process name holds it, a dead or zombie builder does not.

use crate::support::{Sandbox, privileged};

const SLOW: &str = "for i in 1..=3 { netns_add(`n${i}`); }\nexec(\"sleep 2\");\nbridge_add(\"br0\");\n";

#[test]
fn down_during_a_build_refuses_whatever_the_builder_is_called() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", SLOW)
        .step("cp $(command -v netscript) ./builder; ./builder lab.rhai 2>build.err & echo $! > pid; \
               for i in $(seq 300); do [ -e /run/netns/n3 ] && break; sleep 0.01; done; \
               netscript down lab; echo \"down $?\"; netscript lab.rhai; echo \"run $?\"; wait; cat build.err")
        .step("cat pid; netscript ls; netscript down lab")
        .step("ls /run/netns; ip -br link show type bridge")
        .run();
    let pid = out[1].stdout.lines().next().unwrap().to_string();
    out[0].stderr_has(&format!(
        "lab 'lab' is being built or used by netscript process {pid} right now; wait until it ends"
    ));
    out[0].stdout_has("down 1").stdout_has("run 1").stdout_has("lab 'lab' is up");
    out[0]
        .stderr_has(&format!("error: lab 'lab' is being built or used by netscript process {pid} right now"));
    out[1].success().stdout_has("lab  up     n1 n2 n3").stdout_has("lab: removed 3 namespaces, 1 link");
    assert_eq!(out[2].stdout, "");
}

#[test]
fn a_zombie_builder_does_not_hold_the_lab() {
    if !privileged() {
        return;
    }
    // The builder has exited but its parent has not reaped it yet.
    let zombie = "python3 -c \"import subprocess, time, os; p = subprocess.Popen(['netscript', 'lab.rhai']); \
                  state = lambda: open('/proc/%d/stat' % p.pid).read().split()[2]; \
                  [time.sleep(0.05) for _ in range(600) if state() != 'Z']; print(state()); \
                  os.system('netscript down lab')\"";
    let out = Sandbox::new().file("lab.rhai", "netns_add(\"z\");\n").step(zombie).step("ls /run/netns").run();
    out[0].success().stdout_has("Z\n").stdout_has("lab: removed 1 namespace");
    assert_eq!(out[1].stdout, "");
}
