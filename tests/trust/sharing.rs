//! What several labs share is set back only when the last of them goes:
//! forwarding turned on by two labs stays on while either is up. A setting
//! that is not the namespace's own (it is the host's) is refused there.

use crate::support::{Sandbox, privileged};

#[test]
fn forwarding_stays_on_while_another_lab_needs_it() {
    if !privileged() {
        return;
    }
    let lab = "forwarding(true);\n";
    let out = Sandbox::new()
        .file("a.rhai", lab)
        .file("b.rhai", lab)
        .step("netscript a.rhai && netscript b.rhai && netscript down a; cat /proc/sys/net/ipv4/ip_forward")
        .step("netscript down b; cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding")
        // The other way round: the first lab outlives the second.
        .step("netscript a.rhai && netscript b.rhai && netscript down b; cat /proc/sys/net/ipv4/ip_forward")
        .step("netscript down a; cat /proc/sys/net/ipv4/ip_forward")
        .run();
    out[0]
        .success()
        .stdout_has("a: removed nothing")
        .stdout_has("left net.ipv4.ip_forward at 1: lab b still needs it");
    assert!(out[0].stdout.ends_with("\n1\n"), "{}", out[0].stdout);
    out[1].success().stdout_has("b: removed nothing; set back 2 settings");
    assert!(out[1].stdout.ends_with("\n0\n0\n"), "{}", out[1].stdout);
    assert!(out[2].stdout.ends_with("\n1\n"), "{}", out[2].stdout);
    assert!(out[3].stdout.ends_with("\n0\n"), "{}", out[3].stdout);
}

#[test]
fn a_host_wide_setting_is_refused_in_a_namespace_unless_meant() {
    if !privileged() {
        return;
    }
    // kernel.domainname belongs to the UTS namespace, which the sandbox
    // shares with the machine: this test makes a UTS namespace of its own.
    let refused = "let r = netns_add(\"r\");\nr.sysctl_set(\"kernel.domainname\", \"lab.example\");\n";
    let meant = "let r = netns_add(\"r\");\nr.sysctl_set(\"kernel.domainname\", \"lab.example\", #{host_wide: true});\n";
    let out = Sandbox::new()
        .file("refused.rhai", refused)
        .file("meant.rhai", meant)
        .step("netscript refused.rhai")
        .step("ls /run/netns")
        .step(
            "unshare --uts sh -c 'd=/proc/sys/kernel/domainname; echo before > $d; netscript meant.rhai && cat $d && netscript down meant && cat $d'",
        )
        .run();
    out[0].failure(1).stderr_has(
        "kernel.domainname is not a network setting: every namespace shares the host's, so setting it here would change the host",
    );
    out[0].stderr_has("refused.rhai:2:3");
    assert_eq!(out[1].stdout, "", "the run was not rolled back");
    out[2]
        .success()
        .stdout_has("lab.example\n")
        .stdout_has("meant: removed 1 namespace; set back 1 setting\nbefore\n");
}
