//! Real packets between the namespaces a script builds.

use crate::support::{Sandbox, privileged};

fn ping(ns: &str, addr: &str) -> String {
    format!("ip netns exec {ns} ping -c 2 -i 0.2 -W 2 {addr}")
}

#[test]
fn veth_pair_between_two_namespaces_passes_traffic() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "pair.rhai",
            r#"
            let client = netns_add("client");
            let server = netns_add("server");
            veth_add(server, "pair-server", client, "pair-client");
            client.addr_add("pair-client", "10.0.0.1/24");
            server.addr_add("pair-server", "10.0.0.2/24");
            client.link_up("pair-client");
            server.link_up("pair-server");
            "#,
        )
        .step("netscript pair.rhai")
        .step(&ping("client", "10.0.0.2"))
        .step(&ping("server", "10.0.0.1"))
        .step("ip -j link")
        .run();
    out[0].success();
    out[1].success().stdout_has("2 received");
    out[2].success().stdout_has("2 received");
    // The pair went straight into the namespaces: nothing new on the host.
    assert_eq!(crate::support::link_names(&out[3].json()), ["lo"]);
}

#[test]
fn two_namespaces_on_a_bridge_reach_each_other_and_the_bridge() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "bridge.rhai",
            r#"
            let net = cidr(param("subnet", "192.168.15.0/24"));
            bridge_add("vnet-0");
            addr_add("vnet-0", net.host(1));
            link_up("vnet-0");
            let n = 5;
            for name in ["web", "db"] {
                let ns = netns_add(name + "-ns");
                veth_add(host(), "veth-" + name + "-br", ns, "eth0-" + name);
                link_set_master("veth-" + name + "-br", "vnet-0");
                link_up("veth-" + name + "-br");
                ns.addr_add("eth0-" + name, net.host(n));
                ns.link_up("eth0-" + name);
                ns.route_add("default", net.host(1).ip);
                n += 1;
            }
            "#,
        )
        .step("netscript bridge.rhai subnet=10.20.0.0/24")
        .step(&ping("web-ns", "10.20.0.6"))
        .step(&ping("db-ns", "10.20.0.5"))
        .step(&ping("web-ns", "10.20.0.1"))
        .step("ip -j link show master vnet-0")
        .run();
    out[0].success();
    out[1].success().stdout_has("2 received");
    out[2].success().stdout_has("2 received");
    out[3].success().stdout_has("2 received");
    assert_eq!(crate::support::link_names(&out[4].json()), ["veth-db-br", "veth-web-br"]);
}

#[test]
fn default_route_through_the_host() {
    if !privileged() {
        return;
    }
    // The namespace reaches a host address that is not on its own link only
    // through its default route.
    let out = Sandbox::new()
        .file(
            "gw.rhai",
            r#"
            let ns = netns_add("test");
            veth_add(host(), "pair-host", ns, "pair-test");
            addr_add("pair-host", "10.0.0.2/24");
            link_up("pair-host");
            ns.addr_add("pair-test", "10.0.0.1/24");
            ns.link_up("pair-test");
            bridge_add("elsewhere");
            addr_add("elsewhere", "172.16.5.1/24");
            link_up("elsewhere");
            "#,
        )
        .file("route.rhai", r#"netns("test").route_add("default", "10.0.0.2");"#)
        .step("netscript gw.rhai")
        .step(&ping("test", "172.16.5.1"))
        .step("netscript route.rhai")
        .step(&ping("test", "172.16.5.1"))
        .step("ip -n test -j route show default")
        .run();
    out[0].success();
    assert_ne!(out[1].code, 0, "reachable before the default route exists:\n{}", out[1].stdout);
    out[2].success();
    out[3].success().stdout_has("2 received");
    let routes = out[4].json();
    assert_eq!(routes[0]["gateway"], "10.0.0.2");
    assert_eq!(routes[0]["dev"], "pair-test");
}

#[test]
fn ipv6_between_namespaces() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "v6.rhai",
            r#"
            let a = netns_add("a");
            let b = netns_add("b");
            veth_add(a, "a0", b, "b0");
            // No duplicate address detection wait in a lab: addresses work at once.
            a.addr_add("a0", "fd00:1::1/64");
            b.addr_add("b0", "fd00:1::2/64");
            a.link_up("a0");
            b.link_up("b0");
            a.route_add("fd00:2::/64", "fd00:1::2");
            "#,
        )
        .step("netscript v6.rhai")
        .step("ip netns exec a ping -6 -c 2 -i 0.2 -W 2 fd00:1::2")
        .step("ip -n a -j -6 route show fd00:2::/64")
        .run();
    out[0].success();
    out[1].success().stdout_has("2 received");
    assert_eq!(out[2].json()[0]["gateway"], "fd00:1::2");
}
