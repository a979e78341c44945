//! `down` deletes a namespace or link only when it is the very one the lab
//! made: a namespace by its cookie (its inode number comes back when the
//! user makes one of the same name), a link by its namespace's cookie, its
//! index and kind, noted in the ledger before the run goes on.

use crate::support::{Sandbox, privileged};

#[test]
fn a_namespace_made_again_under_the_lab_name_is_left_alone() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "netns_add(\"a\");\nnetns_add(\"b\");\n")
        .step("netscript lab.rhai && stat -L -c %i /run/netns/a")
        // The kernel frees a namespace's inode number a moment after the
        // last reference goes, and hands it to the next namespace made.
        .step("old=$(stat -L -c %i /run/netns/a); for i in $(seq 100); do ip netns del a; sleep 0.05; ip netns add a; \
               [ $(stat -L -c %i /run/netns/a) = $old ] && break; done; ip -n a link add mine type bridge && stat -L -c %i /run/netns/a")
        .step("netscript down lab")
        .step("ls /run/netns; ip -n a -br link show mine")
        .run();
    out[0].success();
    out[1].success();
    // The kernel hands the freed inode number to the new namespace: only
    // the cookie tells them apart. (Tests running alongside take numbers
    // too, so now and then the loop does not get it back.)
    if out[0].stdout != out[1].stdout {
        eprintln!("note: the inode number was not reused this time; the cookie was checked all the same");
    }
    out[2]
        .success()
        .stdout_has("lab: removed 1 namespace")
        .stdout_has("namespace 'a' is not the one this lab made; left it alone");
    assert!(out[3].stdout.starts_with("a\nmine"), "{}", out[3].stdout);
}

#[test]
fn links_made_in_a_repl_session_are_known_by_identity() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step("printf 'bridge_add(\"br0\");\\nveth_add(\"v0\", \"v1\");\\n' | netscript")
        .step("ip link del br0 && ip link add br0 type bridge && netscript down repl")
        .step("ip -br link show type bridge; ip -br link show type veth")
        .run();
    out[0].success();
    out[1]
        .success()
        .stdout_has("repl: removed 1 link")
        .stdout_has("link 'br0' is not the one this lab made; left it alone");
    assert!(out[2].stdout.contains("br0") && !out[2].stdout.contains("v0"), "{}", out[2].stdout);
}

#[test]
fn after_kill_9_the_newest_link_is_known_and_a_replacement_left_alone() {
    if !privileged() {
        return;
    }
    let lab = "bridge_add(\"br0\");\nbridge_add(\"br1\");\nexec(\"sleep 30\", #{timeout: 60});\n";
    let kill = "netscript lab.rhai & pid=$!; \
                for i in $(seq 500); do ip link show br1 >/dev/null 2>&1 && break; sleep 0.01; done; sleep 0.2; \
                kill -9 $pid; wait $pid; echo exit $?";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step(kill)
        .step("ip link del br1 && ip link add br1 type bridge && netscript down lab")
        .step("ip -br link show type bridge")
        .run();
    out[0].success().stdout_has("exit 137");
    out[1]
        .success()
        .stdout_has("lab: removed 1 link")
        .stdout_has("link 'br1' is not the one this lab made; left it alone");
    assert!(out[2].stdout.starts_with("br1 ") && !out[2].stdout.contains("br0"), "{}", out[2].stdout);
}

#[test]
fn down_from_another_network_namespace_is_refused() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "bridge_add(\"br0\");\n")
        .step("netscript lab.rhai && ip netns add elsewhere")
        .step("ip netns exec elsewhere netscript down lab")
        .step("ip -br link show type bridge; netscript down lab")
        .run();
    out[0].success();
    out[1].failure(1).stderr_has("lab 'lab' was built from another network namespace than this one");
    out[2].success().stdout_has("br0").stdout_has("lab: removed 1 link");
}
