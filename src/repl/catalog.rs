//! The functions a session can call, grouped as the README groups them, with
//! a short signature and what each does: for `:help`, and for the hint shown
//! while typing a call. A test checks it against the engine, so a function
//! added to the API without a line here fails the build's tests.

/// One function (or property) of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub group: &'static str,
    pub name: &'static str,
    /// `[ns.]` marks the functions that also act inside a namespace.
    pub signature: &'static str,
    pub summary: &'static str,
}

const fn entry(
    group: &'static str,
    name: &'static str,
    signature: &'static str,
    summary: &'static str,
) -> Entry {
    Entry { group, name, signature, summary }
}

const NS: &str = "Namespaces";
const LINKS: &str = "Links";
const ADDRS: &str = "Addresses";
const ROUTES: &str = "Routes";
const NAT: &str = "Forwarding and NAT";
const CHECKS: &str = "Checking a lab";
const SHAPING: &str = "Shaping";
const CIDR: &str = "Address arithmetic";
const PARAMS: &str = "Parameters";

pub const ENTRIES: &[Entry] = &[
    entry(NS, "netns_add", "netns_add(name[, #{lo: false}]) -> Netns", "make a namespace, loopback up"),
    entry(NS, "netns_del", "netns_del(ns)", "delete a namespace"),
    entry(NS, "netns_list", "netns_list() -> [names]", "the namespaces under /run/netns"),
    entry(NS, "netns_exists", "netns_exists(name) -> bool", "whether the namespace exists"),
    entry(NS, "netns", "netns(name) -> Netns", "a handle on an existing namespace"),
    entry(NS, "host", "host() -> Netns", "the namespace netscript runs in"),
    entry(NS, "name", "ns.name", "the namespace's name (\"host\" for the host)"),
    entry(
        LINKS,
        "veth_add",
        "[ns.]veth_add(name, [peer_ns,] peer)",
        "a veth pair, each end in its namespace",
    ),
    entry(LINKS, "bridge_add", "[ns.]bridge_add(name)", "a bridge"),
    entry(LINKS, "link_up", "[ns.]link_up(dev)", "set a link up"),
    entry(LINKS, "link_down", "[ns.]link_down(dev)", "set a link down"),
    entry(LINKS, "link_set_master", "[ns.]link_set_master(dev, bridge)", "make dev a port of bridge"),
    entry(LINKS, "link_nomaster", "[ns.]link_nomaster(dev)", "take dev off its bridge"),
    entry(LINKS, "link_set_netns", "[ns.]link_set_netns(dev, ns)", "move a link into another namespace"),
    entry(LINKS, "link_rename", "[ns.]link_rename(dev, new_name)", "rename a link"),
    entry(LINKS, "link_set_mtu", "[ns.]link_set_mtu(dev, mtu)", "set a link's MTU"),
    entry(LINKS, "link_del", "[ns.]link_del(dev)", "delete a link (a veth takes its peer along)"),
    entry(LINKS, "link_exists", "[ns.]link_exists(dev) -> bool", "whether the link exists"),
    entry(
        LINKS,
        "link_show",
        "[ns.]link_show(dev) -> map",
        "one link: name, kind, state, mtu, addresses, ...",
    ),
    entry(LINKS, "link_list", "[ns.]link_list() -> [maps]", "every link, as link_show shows one"),
    entry(ADDRS, "addr_add", "[ns.]addr_add(dev, \"10.0.0.1/24\")", "add an address"),
    entry(ADDRS, "addr_del", "[ns.]addr_del(dev, address)", "delete an address"),
    entry(ADDRS, "addr_list", "[ns.]addr_list([dev]) -> [maps]", "addresses: dev, address, family, scope"),
    entry(
        ROUTES,
        "route_add",
        "[ns.]route_add(dst, gateway | #{via, dev, metric})",
        "add a route; dst is a prefix or \"default\"",
    ),
    entry(ROUTES, "route_del", "[ns.]route_del(dst, gateway | #{via, dev, metric})", "delete a route"),
    entry(ROUTES, "route_list", "[ns.]route_list() -> [maps]", "the main table: dst, via, dev, family, ..."),
    entry(NAT, "forwarding", "[ns.]forwarding(on)", "IPv4 and IPv6 forwarding"),
    entry(NAT, "ipv4_forwarding", "[ns.]ipv4_forwarding(on)", "IPv4 forwarding"),
    entry(NAT, "ipv6_forwarding", "[ns.]ipv6_forwarding(on)", "IPv6 forwarding"),
    entry(NAT, "sysctl_set", "[ns.]sysctl_set(key, value)", "set a sysctl"),
    entry(NAT, "sysctl_get", "[ns.]sysctl_get(key) -> text", "read a sysctl"),
    entry(NAT, "masquerade", "[ns.]masquerade(subnet, out)", "source NAT for what leaves subnet through out"),
    entry(
        NAT,
        "forward_accept",
        "[ns.]forward_accept(from, to)",
        "accept forwarding from -> to, and replies",
    ),
    entry(
        NAT,
        "port_forward",
        "[ns.]port_forward(port, \"10.0.0.5:80\"[, #{proto, iif}])",
        "DNAT a port to a host inside",
    ),
    entry(NAT, "uplink", "[ns.]uplink() -> interface", "the interface of the default route"),
    entry(
        CHECKS,
        "ping",
        "[ns.]ping(addr[, #{count, interval, timeout}]) -> map",
        "ICMP echo from inside the namespace",
    ),
    entry(
        CHECKS,
        "source_seen",
        "a.source_seen(b, addr[, #{listen_port, timeout}]) -> address",
        "the source address b sees from a",
    ),
    entry(
        CHECKS,
        "pingall",
        "pingall([ns...][, #{count, timeout, quiet}]) -> map",
        "every host pings every other",
    ),
    entry(
        CHECKS,
        "throughput",
        "a.throughput(b, addr[, #{seconds, warmup, timeout}]) -> map",
        "TCP from a to a sink in b: bits_per_second",
    ),
    entry(CHECKS, "assert_reachable", "[ns.]assert_reachable(addr)", "fail unless addr answers"),
    entry(CHECKS, "assert_unreachable", "[ns.]assert_unreachable(addr)", "fail if addr answers"),
    entry(CHECKS, "exec", "[ns.]exec(command[, #{timeout}]) -> map", "run a command inside, wait for it"),
    entry(
        CHECKS,
        "start_process",
        "[ns.]start_process(command) -> map",
        "a background process; teardown stops it",
    ),
    entry(CHECKS, "dry_run", "dry_run() -> bool", "whether this is a --dry-run"),
    entry(CHECKS, "graph", "graph([\"dot\"|\"mermaid\"|\"svg\"]) -> text", "the lab so far, as a picture"),
    entry(CHECKS, "show", "show() -> text", "the lab so far: links, addresses, routes, rules"),
    entry(
        SHAPING,
        "link_shape",
        "[ns.]link_shape(dev, #{rate, delay, jitter, loss, ...})",
        "shape what leaves dev (tbf, or netem)",
    ),
    entry(SHAPING, "link_unshape", "[ns.]link_unshape(dev)", "remove dev's shaping"),
    entry(SHAPING, "link_qdisc", "[ns.]link_qdisc(dev) -> map", "dev's root qdisc: kind and parameters"),
    entry(CIDR, "cidr", "cidr(\"10.0.0.0/24\") -> Cidr", "an address with its prefix"),
    entry(CIDR, "host", "c.host(n) -> Cidr", "the n-th host (-1: the last)"),
    entry(CIDR, "contains", "c.contains(address) -> bool", "whether the subnet holds it"),
    entry(CIDR, "split", "c.split(prefix) -> [Cidr]", "the subnets of that prefix"),
    entry(CIDR, "ip", "c.ip", "the address alone, as text"),
    entry(CIDR, "prefix", "c.prefix", "the prefix length"),
    entry(CIDR, "network", "c.network", "the network address with its prefix"),
    entry(CIDR, "netmask", "c.netmask", "the netmask, as text"),
    entry(CIDR, "broadcast", "c.broadcast", "the broadcast address, as text"),
    entry(CIDR, "size", "c.size", "how many addresses the subnet has"),
    entry(PARAMS, "param", "param(name[, default])", "a key=value given to :load or on the command line"),
];

/// The entries for a name: `host` is both the host namespace and a Cidr method.
pub fn lookup(name: &str) -> Vec<&'static Entry> {
    ENTRIES.iter().filter(|entry| entry.name == name).collect()
}

/// Group names in the order `:help` shows them.
pub fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&str> = Vec::new();
    for entry in ENTRIES {
        if !groups.contains(&entry.group) {
            groups.push(entry.group);
        }
    }
    groups
}

/// The names the engine knows, functions and properties alike (a getter
/// `get$ip` is the property `ip`), sorted; operators and the conversions
/// Rhai calls by itself are left out.
pub fn registered(engine: &rhai::Engine) -> Vec<String> {
    let mut names: Vec<String> = engine
        .gen_fn_signatures(false)
        .iter()
        .filter_map(|signature| {
            let name = signature.split('(').next()?;
            let name = name.strip_prefix("get$").unwrap_or(name);
            let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            (plain && !matches!(name, "to_string" | "to_debug")).then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::testing::engine;

    #[test]
    fn every_registered_name_has_an_entry_and_every_entry_is_registered() {
        let names = registered(&engine());
        let missing: Vec<&String> = names.iter().filter(|name| lookup(name).is_empty()).collect();
        assert!(missing.is_empty(), "API names without a :help entry: {missing:?}");
        let unknown: Vec<&str> =
            ENTRIES.iter().map(|e| e.name).filter(|name| !names.iter().any(|n| n == name)).collect();
        assert!(unknown.is_empty(), ":help entries the engine does not know: {unknown:?}");
    }

    #[test]
    fn groups_keep_their_order() {
        assert_eq!(groups()[0], "Namespaces");
        assert_eq!(lookup("host").len(), 2);
    }
}
