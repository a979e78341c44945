//! A node's files and an exec's declared undo are the ledger's most
//! dangerous lines: a path root writes beneath and a command root runs.
//! `down` runs only undo commands sealed by this machine's key, and puts
//! files back only beneath the node's own directories, never through a
//! symlink someone left there.

use crate::support::{Sandbox, privileged};

const LAB: &str = r#"
let dir = param("dir", "");
let r1 = netns_add("r1");
r1.write_file("/etc/bird/bird.conf", "router id 10.0.0.1;\n");
r1.exec(["touch", `${dir}/made`], #{undo: ["rm", `${dir}/made`]});
"#;

#[test]
fn a_forged_undo_command_in_the_ledger_is_never_run() {
    if !privileged() {
        return;
    }
    // The forger rewrites the sealed undo (`rm .../made`) into another command.
    let forge =
        "sed -i 's|\"rm\",\"[^\"]*/made\"|\"touch\",\"'$PWD'/pwned\"|' /run/netscript/labs/lab.ledger";
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .step("netscript lab.rhai dir=$PWD")
        .step(forge)
        .step("grep -c pwned /run/netscript/labs/lab.ledger")
        .step("netscript down lab")
        .step("ls pwned made; ls /run/netns")
        .run();
    out[0].success();
    out[2].success().stdout_has("1");
    out[3].stdout_has("was not run: its seal is not this machine's netscript's");
    // The forged command did not run; nothing else of the lab is left.
    out[4].stderr_has("cannot access 'pwned'");
    assert!(out[4].stdout.trim() == "made", "{}", out[4].stdout);
}

#[test]
fn a_symlink_left_in_a_nodes_directory_is_not_followed_when_files_are_put_back() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .step("mkdir -p victim/bird && echo precious > victim/bird/bird.conf")
        .step("netscript lab.rhai dir=$PWD")
        // Someone swaps the node's bird directory for a symlink to the victim's.
        .step("rm -r /etc/netns/r1/bird && ln -s $PWD/victim/bird /etc/netns/r1/bird")
        .step("netscript down lab")
        .step("cat victim/bird/bird.conf; ls /run/netns; echo end")
        .run();
    out[1].success();
    out[3].stderr_has("is not a directory (a symlink, say); left it alone");
    out[4].stdout_has("precious\nend");
}

#[test]
fn a_ledger_that_names_a_file_outside_a_node_is_refused_line_by_line() {
    if !privileged() {
        return;
    }
    let escape = "sed -i 's|\"/etc/bird/bird.conf\"|\"/etc/../root/x\"|' /run/netscript/labs/lab.ledger";
    let out = Sandbox::new()
        .file("lab.rhai", LAB)
        .step("netscript lab.rhai dir=$PWD")
        .step(escape)
        .step("netscript down lab")
        .run();
    out[0].success();
    out[2].stdout_has("holds '..'");
}
