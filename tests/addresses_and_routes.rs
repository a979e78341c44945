//! Addresses and routes, IPv4 and IPv6, against `ip -j addr` / `ip -j route`.

use serde_json::Value;

use crate::support::{Sandbox, addresses_of, privileged};

#[test]
fn addresses_add_delete_list() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "addr.rhai",
            r#"
            let ns = netns_add("a");
            ns.bridge_add("br0");
            let net = cidr("10.9.0.0/16");
            ns.addr_add("br0", net.host(300));
            ns.addr_add("br0", "10.9.0.7/16");
            ns.addr_add("br0", "fd00::7/64");
            ns.addr_add("br0", "fd00::8/64");
            ns.addr_del("br0", "10.9.0.7/16");
            ns.addr_del("br0", "fd00::8/64");
            for a in ns.addr_list("br0") { if a.scope != "link" { print(`${a.address} ${a.family}`); } }
            "#,
        )
        .step("netscript addr.rhai")
        .step("ip -n a -j addr show br0")
        .run();
    out[0].success();
    assert_eq!(out[0].stdout, "10.9.1.44/16 inet\nfd00::7/64 inet6\n");
    let mut from_ip = addresses_of(&out[1].json(), "br0");
    from_ip.sort();
    assert_eq!(from_ip, ["10.9.1.44/16", "fd00::7/64"]);
}

fn find<'a>(routes: &'a Value, dst: &str) -> &'a Value {
    routes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dst"] == dst)
        .unwrap_or_else(|| panic!("no route to {dst} in {routes}"))
}

#[test]
fn routes_via_gateway_device_and_default() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file(
            "routes.rhai",
            r#"
            let r = netns_add("r");
            r.veth_add("up0", "up1");
            r.addr_add("up0", "192.0.2.2/24");
            r.addr_add("up0", "2001:db8::2/64");
            r.link_up("up1");
            r.link_up("up0");
            r.route_add("default", "192.0.2.1");
            r.route_add("198.51.100.0/24", #{via: "192.0.2.9", dev: "up0", metric: 50});
            r.route_add("203.0.113.0/24", #{dev: "up0"});
            r.route_add("10.0.0.0/8", "192.0.2.3");
            r.route_del("10.0.0.0/8", "192.0.2.3");
            r.route_add("default", "2001:db8::1");
            r.route_add("2001:db8:5::/48", #{dev: "up0"});
            for route in r.route_list() {
                if route.protocol != "kernel" { print(`${route.dst} ${route.via} ${route.dev} ${route.family}`); }
            }
            "#,
        )
        .step("netscript routes.rhai")
        .step("ip -n r -j route")
        .step("ip -n r -j -6 route")
        .run();
    out[0].success();
    let v4 = out[1].json();
    assert_eq!(find(&v4, "default")["gateway"], "192.0.2.1");
    let via = find(&v4, "198.51.100.0/24");
    assert_eq!(
        (&via["gateway"], &via["dev"], &via["metric"]),
        (&"192.0.2.9".into(), &"up0".into(), &50.into())
    );
    let onlink = find(&v4, "203.0.113.0/24");
    assert_eq!((&onlink["dev"], &onlink["scope"]), (&"up0".into(), &"link".into()));
    assert!(!v4.as_array().unwrap().iter().any(|r| r["dst"] == "10.0.0.0/8"));
    let v6 = out[2].json();
    assert_eq!(find(&v6, "default")["gateway"], "2001:db8::1");
    assert_eq!(find(&v6, "2001:db8:5::/48")["dev"], "up0");
    assert!(out[0].stdout.contains("default 192.0.2.1 up0 inet\n"), "{}", out[0].stdout);
    assert!(out[0].stdout.contains("default 2001:db8::1 up0 inet6\n"), "{}", out[0].stdout);
}

#[test]
fn cidr_helpers() {
    // Pure helpers: no namespaces, so no sandbox or root needed... but the
    // binary needs a netlink socket, which any user can open.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cidr.rhai");
    std::fs::write(
        &script,
        r#"
        let net = cidr("10.0.0.0/24");
        print(net.host(5));
        print(net.host(-1).ip);
        print(cidr("192.168.15.5/24").network);
        print(net.broadcast);
        print(net.netmask);
        print(net.prefix);
        print(net.contains("10.0.0.77"));
        print(net.contains(cidr("10.0.1.0/24")));
        print(net.split(26));
        "#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netscript")).arg(&script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "10.0.0.5/24\n10.0.0.254\n192.168.15.0/24\n10.0.0.255\n255.255.255.0\n24\ntrue\nfalse\n\
         [cidr(\"10.0.0.0/26\"), cidr(\"10.0.0.64/26\"), cidr(\"10.0.0.128/26\"), cidr(\"10.0.0.192/26\")]\n"
    );
}
