//! Changes to what the lab did not make are undone exactly, newest first,
//! wherever they happened: a user's link moved into a lab namespace and
//! renamed there comes back as it was instead of dying with the namespace.

use crate::support::{Sandbox, privileged};

const BORROW: &str = r#"
let r = netns_add("r");
link_set_netns("uv", r);
r.link_rename("uv", "eth9");
r.link_set_mtu("eth9", 1400);
r.link_up("eth9");
r.addr_add("eth9", "10.9.0.1/24");
if param("fail", false) { throw "stop"; }
"#;

const SEEN: &str = "ip -j link show uv | python3 -c 'import json,sys; l=json.load(sys.stdin)[0]; print(l[\"ifname\"], l[\"mtu\"], \"UP\" in l[\"flags\"])'; ip -br addr show uv";

#[test]
fn a_borrowed_link_comes_back_as_it_was_after_rollback_and_down() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", BORROW)
        .step("ip link add uv type veth peer name uvp")
        .step(&format!("netscript lab.rhai fail=true; echo \"exit $?\"; {SEEN}"))
        .step(&format!("netscript lab.rhai && netscript down lab && {SEEN}; ls /run/netns"))
        .run();
    out[0].success();
    out[1].success().stdout_has("exit 1").stderr_has("rolled back 6 changes");
    assert!(out[1].stdout.contains("exit 1\nuv 1500 False\nuv@uvp "), "{}", out[1].stdout);
    assert!(!out[1].stdout.contains("10.9.0.1"), "{}", out[1].stdout);
    out[2].success().stdout_has("lab: removed 1 namespace");
    assert!(out[2].stdout.contains("uv 1500 False\nuv@uvp "), "{}", out[2].stdout);
}

#[test]
fn rollback_of_a_rename_then_reuse_leaves_nothing() {
    if !privileged() {
        return;
    }
    let lab = "bridge_add(\"br0\");\nlink_rename(\"br0\", \"lan\");\nbridge_add(\"br0\");\nthrow \"stop\";\n";
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript lab.rhai")
        .step("ip -br link show type bridge")
        .run();
    out[0].failure(1).stderr_has(
        "rolled back 3 changes of this run:\n  delete link 'br0'\n  rename link 'lan' to 'br0'\n  delete link 'br0'\n",
    );
    assert_eq!(out[1].stdout, "", "{}", out[1].stdout);
}
