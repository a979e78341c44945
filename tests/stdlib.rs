//! The standard library's functions beyond what the labs in scripts/ use:
//! a bridge in a router namespace, IPv6, options, and mistakes.

use crate::support::{Sandbox, privileged};

/// A router namespace `r` holding the LAN bridge and NAT to `inet`.
const ROUTED: &str = r#"
import "topo" as topo;
import "nat" as nat;
import "check" as check;
let inet = netns_add("inet");
let r = topo::router("r");
let up = topo::p2p(r, "up0", "203.0.113.2/24", inet, "isp0", "203.0.113.1/24");
r.route_add("default", "203.0.113.1");
topo::bridge(r, "lan0", "10.0.0.1/24");
r.addr_add("lan0", "fd00:1::1/64");
let h1 = topo::host_on_bridge("h1", "lan0", "10.0.0.11/24", #{bridge_ns: r});
let h6 = topo::host_on_bridge("h6", "lan0", "fd00:1::6/64", #{bridge_ns: "r", port: "h6-port"});
topo::host_on_bridge("quiet", "lan0", "10.0.0.12/24", #{bridge_ns: r, gateway: false, dev: "q0"});
let g = nat::gateway(r, "10.0.0.0/24", "lan0", "up0");
print(`${up.b.name} ${up.b_addr} ${g.address} ${nat::uplink_address(r, "lan0")}`);
print(check::seen_as(h1, inet, "203.0.113.1", g.address));
check::reaches(h6, "fd00:1::1", #{timeout: 3});
"#;

#[test]
fn a_lan_behind_a_router_namespace() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("routed.rhai", ROUTED)
        .step("netscript routed.rhai")
        .step("ip -n h6 -6 route show default; ip -n quiet route; ip -n r -br link show master lan0")
        .step("ip netns exec r cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding")
        .step("ip netns exec r nft list table inet netscript | grep masquerade")
        .step("ip -br link")
        .run();
    assert_eq!(out[0].success().stdout, "inet 203.0.113.1/24 203.0.113.2 10.0.0.1\n203.0.113.2\n");
    let routes = &out[1].success().stdout;
    assert!(routes.starts_with("default via fd00:1::1 dev eth0"), "{routes}");
    // No default route where none was asked for.
    assert!(
        routes.contains("10.0.0.0/24 dev q0 proto kernel") && !routes.contains("default via 10.0.0.1"),
        "{routes}"
    );
    let ports: Vec<&str> = routes.lines().skip(2).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(ports, ["h1-br@if2", "h6-port@if2", "quiet-br@if2"]);
    // topo::router turns on both families in its own namespace; the
    // gateway asked for IPv4 only, which was on already.
    assert_eq!(out[2].stdout, "1\n1\n");
    out[3].success().stdout_has("ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname \"up0\" masquerade");
    // Nothing on the host.
    assert_eq!(out[4].stdout.lines().count(), 1, "{}", out[4].stdout);
}

#[test]
fn mistakes_in_stdlib_calls_are_explained_at_the_call() {
    if !privileged() {
        return;
    }
    let import = "import \"topo\" as topo;\n";
    let out = Sandbox::new()
        .file("star.rhai", &format!("{import}topo::star(254, \"b\", \"10.0.0.0/24\");\n"))
        .file("bare.rhai", &format!("{import}topo::bridge(\"br0\");\ntopo::host_on_bridge(\"x\", \"br0\", \"10.0.0.2/24\");\n"))
        .file("leg.rhai", &format!("{import}topo::router(\"r\", [#{{bridge: \"b\"}}]);\n"))
        .file("opt.rhai", &format!("{import}let x = netns_add(\"x\");\ntopo::attach(x, \"b\", \"10.0.0.1/24\", #{{device: \"e\"}});\n"))
        .file("args.rhai", &format!("{import}topo::p2p(\"a\", \"b\");\n"))
        .step("netscript star.rhai")
        .step("netscript bare.rhai")
        .step("netscript leg.rhai")
        .step("netscript opt.rhai")
        .step("netscript args.rhai")
        .step("ls /run/netns; ip -br link")
        .run();
    out[0]
        .failure(1)
        .stderr_has("a star on 10.0.0.0/24 has room for 1 to 253 hosts besides the bridge, not 254")
        .stderr_has("star.rhai:2:7");
    out[1]
        .failure(1)
        .stderr_has("bridge 'br0' has no address to route through; give #{gateway: \"ADDRESS\"}")
        .stderr_has("bare.rhai:3:7")
        .stderr_has("delete link 'br0'");
    out[2]
        .failure(1)
        .stderr_has("topo::router: leg 0 of 'r' needs a bridge and an addr")
        .stderr_has("leg.rhai:2:7");
    out[3]
        .failure(1)
        .stderr_has("topo::attach: unknown option 'device'; the options are: dev, port, bridge_ns")
        .stderr_has("opt.rhai:3:7");
    out[4]
        .failure(1)
        .stderr_has(
            "error: topo::p2p is missing its subnet: after two strings, it takes topo::p2p(a, b, subnet)",
        )
        .stderr_has("args.rhai:2:19");
    assert_eq!(out[5].stdout.lines().count(), 1, "{}", out[5].stdout);
}

#[test]
fn a_module_of_the_users_own_is_found_next_to_the_script() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", "import \"mylib\" as m;\nimport \"topo\" as topo;\nprint(m::greet(topo::bridge(\"br0\")));\n")
        .file("mylib.rhai", "fn greet(name) { `made ${name}` }\n")
        .step("mkdir labs && mv lab.rhai mylib.rhai labs/ && mkdir elsewhere && cd elsewhere && netscript ../labs/lab.rhai")
        .run();
    out[0].success().stdout_has("made br0");
}
