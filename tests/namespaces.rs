//! Named namespaces are the ones `ip netns` knows, both ways.

use crate::support::{Sandbox, privileged};

#[test]
fn iproute2_and_netscript_see_each_others_namespaces() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "ns.rhai",
            r#"
            if !netns_exists("made-by-ip") { throw "netscript does not see ip's namespace"; }
            let mine = netns_add("made-by-netscript");
            print(netns_list());
            print(mine.link_show("lo").state);
            netns("made-by-ip").bridge_add("br-in-ip-ns");
            "#,
        )
        .step("ip netns add made-by-ip")
        .step("netscript ns.rhai")
        .step("ip netns list")
        .step("ip netns exec made-by-netscript ip -j link show lo")
        .step("ip -n made-by-ip -j -d link show br-in-ip-ns")
        .run();
    out[0].success();
    out[1].success().stdout_has(r#"["made-by-ip", "made-by-netscript"]"#);
    out[2].success().stdout_has("made-by-netscript").stdout_has("made-by-ip");
    // Loopback comes up with the namespace.
    let lo = out[3].json();
    assert!(lo[0]["flags"].as_array().unwrap().contains(&"UP".into()), "{lo}");
    assert_eq!(out[4].json()[0]["linkinfo"]["info_kind"], "bridge");
}

#[test]
fn delete_and_options() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "del.rhai",
            r#"
            netns_add("gone");
            netns_add("quiet", #{lo: false});
            netns_del("gone");
            if netns_exists("gone") { throw "still there"; }
            "#,
        )
        .step("netscript del.rhai")
        .step("ip netns list")
        .step("ip -n quiet -j link show lo")
        .run();
    out[0].success();
    assert_eq!(out[1].stdout.trim(), "quiet");
    let lo = out[2].json();
    assert!(!lo[0]["flags"].as_array().unwrap().contains(&"UP".into()), "{lo}");
}

#[test]
fn sandbox_flag_keeps_everything_inside_the_process() {
    if !privileged() {
        return;
    }
    // The outer sandbox plays the host: it has a namespace and a link of its
    // own, which the --sandbox run neither sees nor changes.
    let out = Sandbox::new()
        .file(
            "inner.rhai",
            r#"
            if netns_list().len() != 0 { throw "the sandbox sees the host's namespaces"; }
            if link_exists("outer0") { throw "the sandbox sees the host's links"; }
            if link_show("lo").up != true { throw "lo is not up in the sandbox"; }
            let a = netns_add("outer");
            bridge_add("outer0");
            veth_add(host(), "v0", a, "v1");
            "#,
        )
        .step("ip netns add outer && ip link add outer0 type bridge")
        .step("ip -br link; ls /run/netns")
        .step("netscript --sandbox inner.rhai")
        .step("ip -br link; ls /run/netns")
        .run();
    out[0].success();
    out[2].success();
    assert_eq!(out[1].stdout, out[3].stdout);
}

#[test]
fn a_namespace_without_ipv6() {
    if !privileged() {
        return;
    }
    let script = r#"
        let a = netns_add("a", #{ipv6: false});
        let b = netns_add("b");
        veth_add(a, "e0", b, "e0");
        a.link_up("e0");
        b.link_up("e0");
    "#;
    let out = Sandbox::new()
        .file("v6.rhai", script)
        .step("netscript v6.rhai")
        .step("ip -n a -j addr")
        .step("ip -n b -j -6 addr show lo")
        .step("ip netns exec a cat /proc/sys/net/ipv6/conf/e0/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6")
        .run();
    out[0].success();
    // No ::1 and no link-local address in a; b keeps its IPv6.
    assert!(
        out[1].success().stdout.contains("\"inet\"") && !out[1].stdout.contains("inet6"),
        "{}",
        out[1].stdout
    );
    out[2].success().stdout_has("\"local\":\"::1\"");
    assert_eq!(out[3].stdout, "1\n1\n");
}

/// netscript keeps 256 namespace sockets open; a lab of 600 goes back to
/// namespaces whose sockets were closed, and rollback and `down` still find
/// every namespace it made.
#[test]
fn a_lab_of_more_namespaces_than_open_sockets_works_in_all_and_goes_down_exactly() {
    if !privileged() {
        return;
    }
    let lab = r#"
        let names = [];
        for i in 1..=600 { names.push(`n${i}`); }
        let all = netns_add(names);
        for i in 0..600 { all[i].addr_add("lo", `10.1.${i / 250}.${i % 250 + 1}/32`); }
        // Back to the first ones, whose sockets were closed since.
        for i in 0..10 { all[i].addr_add("lo", `10.3.0.${i + 1}/32`); }
        if param("fail", false) { throw "stop after all 600"; }
    "#;
    let listing = "ls /run/netns | wc -l; ip -n n1 -br addr show lo; ip -n n600 -br addr show lo";
    let out = Sandbox::new()
        .file("many.rhai", lab)
        .step("ls /run/netns | wc -l")
        .step("netscript many.rhai fail=true")
        .step("ls /run/netns | wc -l")
        .step("netscript many.rhai")
        .step(listing)
        .step("netscript down many")
        .step("ls /run/netns | wc -l")
        .run();
    assert_eq!(out[0].stdout.trim(), "0");
    out[1].failure(1).stderr_has("stop after all 600").stderr_has("rolled back");
    assert_eq!(out[2].stdout.trim(), "0", "rollback left namespaces: {}", out[1].stderr);
    out[3].success();
    let seen = &out[4].stdout;
    assert!(seen.starts_with("600\n"), "{seen}");
    assert!(seen.contains("10.1.0.1/32") && seen.contains("10.3.0.1/32"), "n1: {seen}");
    assert!(seen.contains("10.1.2.100/32"), "n600: {seen}");
    out[5].success().stdout_has("removed 600 namespaces");
    assert_eq!(out[6].stdout.trim(), "0");
}
