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
const FILTER: &str = "Firewall";
const CHECKS: &str = "Checking a lab";
const SHAPING: &str = "Shaping";
const CIDR: &str = "Address arithmetic";
const PARAMS: &str = "Parameters";
const KINDS: &str = "Link kinds";
const SETTINGS: &str = "Link settings and bridges";
const TABLES: &str = "FDB and neighbours";
const POLICY: &str = "Policy routing";
const NODES: &str = "Nodes";

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
    entry(
        ROUTES,
        "route_list",
        "[ns.]route_list([table | \"all\"]) -> [maps]",
        "the main table (or another): dst, via, dev, family, table, ...",
    ),
    entry(
        KINDS,
        "vxlan_add",
        "[ns.]vxlan_add(name, #{vni, remote|group, local, dev, dstport, learning, ttl})",
        "a VXLAN VTEP",
    ),
    entry(
        KINDS,
        "vlan_add",
        "[ns.]vlan_add(name, parent, id[, #{protocol}])",
        "an 802.1Q (or 802.1ad) VLAN on parent",
    ),
    entry(KINDS, "macvlan_add", "[ns.]macvlan_add(name, parent[, #{mode}])", "a macvlan on parent"),
    entry(KINDS, "macvtap_add", "[ns.]macvtap_add(name, parent[, #{mode}])", "a macvtap on parent"),
    entry(KINDS, "dummy_add", "[ns.]dummy_add(name)", "a dummy interface"),
    entry(KINDS, "tun_add", "[ns.]tun_add(name[, #{owner, group}])", "a persistent tun device"),
    entry(KINDS, "tap_add", "[ns.]tap_add(name[, #{owner, group}])", "a persistent tap device"),
    entry(KINDS, "vrf_add", "[ns.]vrf_add(name, table)", "a VRF bound to a routing table"),
    entry(
        KINDS,
        "wireguard_add",
        "[ns.]wireguard_add(name, #{private_key|private_key_file, listen_port, peers})",
        "a WireGuard interface",
    ),
    entry(KINDS, "wg_genkey", "wg_genkey() -> key", "a new WireGuard private key (base64)"),
    entry(KINDS, "wg_pubkey", "wg_pubkey(private) -> key", "the public key of a private one"),
    entry(KINDS, "bond_add", "[ns.]bond_add(name[, #{mode, miimon, members}])", "a bond"),
    entry(KINDS, "gre_add", "[ns.]gre_add(name, #{local, remote, ttl, key})", "a GRE tunnel"),
    entry(KINDS, "gretap_add", "[ns.]gretap_add(name, #{local, remote, ttl, key})", "a GRE tap (layer 2)"),
    entry(KINDS, "ipip_add", "[ns.]ipip_add(name, #{local, remote, ttl})", "an IP-in-IP tunnel"),
    entry(KINDS, "sit_add", "[ns.]sit_add(name, #{local, remote, ttl})", "an IPv6-in-IPv4 tunnel"),
    entry(
        SETTINGS,
        "link_set",
        "[ns.]link_set(dev, #{mac, alias, txqueuelen, promisc, arp, group})",
        "change a link's settings",
    ),
    entry(
        SETTINGS,
        "bridge_set",
        "[ns.]bridge_set(dev, #{stp, forward_delay, ageing_time, vlan_filtering, mcast_snooping})",
        "change a bridge's options",
    ),
    entry(
        SETTINGS,
        "bridge_port_set",
        "[ns.]bridge_port_set(dev, #{learning, flood, hairpin, isolated})",
        "change a bridge port's options",
    ),
    entry(
        SETTINGS,
        "bridge_vlan_add",
        "[ns.]bridge_vlan_add(dev, vid[, #{pvid, untagged}])",
        "a VLAN on a bridge port",
    ),
    entry(SETTINGS, "bridge_vlan_del", "[ns.]bridge_vlan_del(dev, vid)", "remove a VLAN from a bridge port"),
    entry(
        SETTINGS,
        "bridge_vlan_list",
        "[ns.]bridge_vlan_list() -> [maps]",
        "the VLANs of bridges and ports",
    ),
    entry(TABLES, "fdb_add", "[ns.]fdb_add(dev, mac[, #{dst, vni, vlan, master, state}])", "an fdb entry"),
    entry(TABLES, "fdb_append", "[ns.]fdb_append(dev, mac, #{dst, ...})", "another destination for a MAC"),
    entry(TABLES, "fdb_del", "[ns.]fdb_del(dev, mac[, #{dst, ...}])", "delete an fdb entry"),
    entry(TABLES, "fdb_list", "[ns.]fdb_list([dev]) -> [maps]", "fdb entries: dev, mac, dst, vni, state"),
    entry(
        TABLES,
        "neigh_add",
        "[ns.]neigh_add(dev, ip, mac | #{lladdr, proxy, permanent})",
        "a neighbour entry",
    ),
    entry(TABLES, "neigh_del", "[ns.]neigh_del(dev, ip[, #{proxy}])", "delete a neighbour entry"),
    entry(TABLES, "neigh_list", "[ns.]neigh_list() -> [maps]", "neighbour entries: dev, dst, lladdr, state"),
    entry(
        POLICY,
        "ip_rule_add",
        "[ns.]ip_rule_add(#{from, to, iif, oif, fwmark, priority, table | goto | action})",
        "a policy routing rule",
    ),
    entry(
        POLICY,
        "ip_rule_del",
        "[ns.]ip_rule_del(#{...})",
        "delete a policy routing rule (the same options)",
    ),
    entry(
        POLICY,
        "ip_rule_list",
        "[ns.]ip_rule_list() -> [maps]",
        "policy routing rules: priority, from, to, table, ...",
    ),
    entry(NAT, "forwarding", "[ns.]forwarding(on)", "IPv4 and IPv6 forwarding"),
    entry(NAT, "ipv4_forwarding", "[ns.]ipv4_forwarding(on)", "IPv4 forwarding"),
    entry(NAT, "ipv6_forwarding", "[ns.]ipv6_forwarding(on)", "IPv6 forwarding"),
    entry(NAT, "sysctl_set", "[ns.]sysctl_set(key, value)", "set a sysctl"),
    entry(NAT, "sysctl_get", "[ns.]sysctl_get(key) -> text", "read a sysctl"),
    entry(
        NAT,
        "masquerade",
        "[ns.]masquerade([subnet,] out)",
        "source NAT for what leaves (subnet) through out",
    ),
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
    entry(
        NAT,
        "snat",
        "[ns.]snat(subnet, out, address)",
        "rewrite what leaves subnet through out to address",
    ),
    entry(
        NAT,
        "redirect",
        "[ns.]redirect(port, to_port[, #{proto, iif}])",
        "send a port arriving here to another local port",
    ),
    entry(NAT, "uplink", "[ns.]uplink() -> interface", "the interface of the default route"),
    entry(
        FILTER,
        "rule_add",
        "[ns.]rule_add(chain, #{proto, dport, saddr, ..., verdict} | \"nft rule\")",
        "a filter rule in chain input, forward or output",
    ),
    entry(
        FILTER,
        "policy",
        "[ns.]policy(chain, \"accept\" | \"drop\"[, #{whole_namespace}])",
        "a chain's policy; drop only in the lab's namespaces unless meant",
    ),
    entry(FILTER, "counter", "[ns.]counter(name) -> #{packets, bytes}", "what the rules named name counted"),
    entry(FILTER, "rules", "[ns.]rules() -> [maps]", "the lab's rules here, as nft prints them"),
    entry(
        FILTER,
        "listen",
        "[ns.]listen(port[, #{proto}]) -> map",
        "a TCP or UDP listener of the lab's, for probes",
    ),
    entry(
        CHECKS,
        "ping",
        "[ns.]ping(addr[, #{count, interval, timeout}]) -> map",
        "ICMP echo from inside the namespace",
    ),
    entry(
        CHECKS,
        "source_seen",
        "a.source_seen(b, addr[, #{listen_port, timeout, from}]) -> address",
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
    entry(
        CHECKS,
        "tcp_probe",
        "[ns.]tcp_probe(\"addr:port\"[, #{timeout}]) -> text",
        "open, refused, unreachable or timeout",
    ),
    entry(CHECKS, "udp_probe", "[ns.]udp_probe(\"addr:port\"[, #{timeout}]) -> text", "the same over UDP"),
    entry(
        CHECKS,
        "assert_open",
        "[ns.]assert_open(\"addr:port\"[, #{proto, timeout}])",
        "fail unless the port answers",
    ),
    entry(
        CHECKS,
        "assert_closed",
        "[ns.]assert_closed(\"addr:port\"[, #{proto, timeout}])",
        "fail if the port answers",
    ),
    entry(CHECKS, "assert_unreachable", "[ns.]assert_unreachable(addr)", "fail if addr answers"),
    entry(
        CHECKS,
        "exec",
        "[ns.]exec(command[, #{timeout, undo}]) -> map",
        "run a command inside, wait for it",
    ),
    entry(
        CHECKS,
        "start_process",
        "[ns.]start_process(command) -> map",
        "a background process; teardown stops it",
    ),
    entry(CHECKS, "dry_run", "dry_run() -> bool", "whether this is a --dry-run"),
    entry(
        NODES,
        "write_file",
        "ns.write_file(path, text[, #{mode}])",
        "a file of the node (/etc or /run), undone",
    ),
    entry(NODES, "read_file", "ns.read_file(path) -> text", "a file of the node, as its processes see it"),
    entry(NODES, "hostname", "ns.hostname(name)", "the hostname of what runs in the node"),
    entry(NODES, "sleep", "sleep(seconds)", "wait; no time in a dry run"),
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

/// A line that uses a function, for `:help NAME`.
pub fn example(name: &str) -> Option<&'static str> {
    Some(match name {
        "netns_add" => "let red = netns_add(\"red\");",
        "netns_del" => "netns_del(\"red\");",
        "netns_list" => "netns_list()",
        "netns_exists" => "if !netns_exists(\"red\") { netns_add(\"red\"); }",
        "netns" => "let red = netns(\"red\");",
        "host" => "veth_add(host(), \"veth-red\", red, \"eth0\");   or   lan.host(5)",
        "name" => "print(red.name);",
        "veth_add" => "veth_add(host(), \"veth-red\", red, \"eth0\");",
        "bridge_add" => "bridge_add(\"br0\");",
        "link_up" => "red.link_up(\"eth0\");",
        "link_down" => "link_down(\"veth-red\");",
        "link_set_master" => "link_set_master(\"veth-red\", \"br0\");",
        "link_nomaster" => "link_nomaster(\"veth-red\");",
        "link_set_netns" => "link_set_netns(\"veth-red\", red);",
        "link_rename" => "red.link_rename(\"eth0\", \"lan\");",
        "link_set_mtu" => "link_set_mtu(\"br0\", 9000);",
        "link_del" => "link_del(\"veth-red\");",
        "link_exists" => "red.link_exists(\"eth0\")",
        "link_show" => "red.link_show(\"eth0\").addresses",
        "link_list" => "red.link_list()",
        "addr_add" => "red.addr_add(\"eth0\", \"10.0.0.5/24\");",
        "addr_del" => "red.addr_del(\"eth0\", \"10.0.0.5/24\");",
        "addr_list" => "red.addr_list(\"eth0\")",
        "route_add" => "red.route_add(\"default\", \"10.0.0.1\");",
        "route_del" => "red.route_del(\"default\", \"10.0.0.1\");",
        "route_list" => "red.route_list()",
        "forwarding" => "forwarding(true);",
        "ipv4_forwarding" => "router.ipv4_forwarding(true);",
        "ipv6_forwarding" => "router.ipv6_forwarding(true);",
        "sysctl_set" => "red.sysctl_set(\"net.ipv4.conf.all.rp_filter\", 0);",
        "sysctl_get" => "sysctl_get(\"net.ipv4.ip_forward\")",
        "masquerade" => "masquerade(\"10.0.0.0/24\", \"eth0\");",
        "forward_accept" => "forward_accept(\"br0\", \"eth0\");",
        "port_forward" => "port_forward(8080, \"10.0.0.5:80\");",
        "uplink" => "let uplink = param(\"uplink\", || host().uplink());",
        "ping" => "red.ping(\"10.0.0.1\", #{count: 2}).received",
        "source_seen" => "red.source_seen(\"internet\", \"198.51.100.1\")",
        "pingall" => "pingall([red, blue], #{timeout: 2})",
        "assert_reachable" => "red.assert_reachable(\"10.0.0.1\");",
        "assert_unreachable" => "red.assert_unreachable(\"198.51.100.1\");",
        "exec" => "red.exec(\"ip -br addr\").stdout",
        "start_process" => "red.start_process(\"python3 -m http.server 80\");",
        "dry_run" => "if !dry_run() { pingall(hosts); }",
        "write_file" => "r1.write_file(\"/etc/bird/bird.conf\", conf);",
        "read_file" => "r1.read_file(\"/etc/hosts\")",
        "hostname" => "r1.hostname(\"r1\");",
        "sleep" => "sleep(0.5);",
        "graph" => "print(graph(\"svg\"));",
        "show" => "print(show());",
        "cidr" => "let lan = cidr(\"10.0.0.0/24\");",
        "contains" => "lan.contains(\"10.0.0.77\")",
        "split" => "lan.split(26)",
        "ip" => "red.route_add(\"default\", lan.host(1).ip);",
        "prefix" | "network" | "netmask" | "broadcast" | "size" => "lan.network",
        "param" => "let hosts = param(\"hosts\", 4);",
        "vxlan_add" => "site.vxlan_add(\"vx0\", #{vni: 100, remote: \"192.0.2.2\", dev: \"under0\"});",
        "vlan_add" => "a.vlan_add(\"trunk.10\", \"trunk\", 10);",
        "macvlan_add" => "red.macvlan_add(\"mv0\", \"eth0\", #{mode: \"bridge\"});",
        "macvtap_add" => "red.macvtap_add(\"mvt0\", \"eth0\");",
        "dummy_add" => "r1.dummy_add(\"lo1\");",
        "tun_add" => "tun_add(\"tun0\");",
        "tap_add" => "tap_add(\"tap0\", #{owner: 1000});",
        "vrf_add" => "r.vrf_add(\"blue\", 10);",
        "wireguard_add" => "a.wireguard_add(\"wg0\", #{private_key: wg_genkey(), listen_port: 51820});",
        "wg_genkey" => "let key = wg_genkey();",
        "wg_pubkey" => "let public = wg_pubkey(key);",
        "bond_add" => "r.bond_add(\"bond0\", #{mode: \"active-backup\", members: [\"eth1\", \"eth2\"]});",
        "gre_add" => "a.gre_add(\"gre1\", #{local: \"192.0.2.1\", remote: \"192.0.2.2\"});",
        "gretap_add" => "a.gretap_add(\"gt1\", #{local: \"192.0.2.1\", remote: \"192.0.2.2\"});",
        "ipip_add" => "a.ipip_add(\"ipip1\", #{local: \"192.0.2.1\", remote: \"192.0.2.2\"});",
        "sit_add" => "a.sit_add(\"sit1\", #{local: \"192.0.2.1\", remote: \"192.0.2.2\"});",
        "link_set" => "red.link_set(\"eth0\", #{mac: \"02:00:00:00:00:01\", txqueuelen: 500});",
        "bridge_set" => "bridge_set(\"br0\", #{stp: true, vlan_filtering: true});",
        "bridge_port_set" => "bridge_port_set(\"veth-red\", #{isolated: true});",
        "bridge_vlan_add" => "bridge_vlan_add(\"veth-red\", 10, #{pvid: true, untagged: true});",
        "bridge_vlan_del" => "bridge_vlan_del(\"veth-red\", 10);",
        "bridge_vlan_list" => "bridge_vlan_list()",
        "fdb_add" => "site.fdb_add(\"vx0\", \"00:00:00:00:00:00\", #{dst: \"192.0.2.2\"});",
        "fdb_append" => "site.fdb_append(\"vx0\", \"00:00:00:00:00:00\", #{dst: \"192.0.2.3\"});",
        "fdb_del" => "site.fdb_del(\"vx0\", \"00:00:00:00:00:00\", #{dst: \"192.0.2.3\"});",
        "fdb_list" => "site.fdb_list(\"vx0\")",
        "neigh_add" => "red.neigh_add(\"eth0\", \"10.0.0.9\", \"02:00:00:00:00:09\");",
        "neigh_del" => "red.neigh_del(\"eth0\", \"10.0.0.9\");",
        "neigh_list" => "red.neigh_list()",
        "ip_rule_add" => "client.ip_rule_add(#{from: \"10.1.0.2\", table: 101, priority: 100});",
        "ip_rule_del" => "client.ip_rule_del(#{from: \"10.1.0.2\", table: 101, priority: 100});",
        "ip_rule_list" => "client.ip_rule_list()",
        "link_shape" => "site_a.link_shape(\"wan\", #{rate: \"10mbit\", delay: \"40ms\", loss: 1.5});",
        "link_unshape" => "site_a.link_unshape(\"wan\");",
        "link_qdisc" => "site_a.link_qdisc(\"wan\")",
        "throughput" => "site_a.throughput(site_b, \"10.60.0.2\", #{seconds: 3})",
        "snat" => "router.snat(\"10.0.0.0/24\", \"wan0\", \"203.0.113.2\");",
        "redirect" => "redirect(8080, 80);",
        "rule_add" => "server.rule_add(\"input\", #{proto: \"tcp\", dport: 80, verdict: \"accept\"});",
        "policy" => "server.policy(\"input\", \"drop\");",
        "counter" => "server.counter(\"http\").packets",
        "rules" => "server.rules()",
        "listen" => "server.listen(80);",
        "tcp_probe" => "client.tcp_probe(\"10.0.0.5:80\")",
        "udp_probe" => "client.udp_probe(\"10.0.0.5:53\", #{timeout: 1.0})",
        "assert_open" => "client.assert_open(\"10.0.0.5:80\");",
        "assert_closed" => "client.assert_closed(\"10.0.0.5:22\");",
        _ => return None,
    })
}

/// The entries for a name: `host` is both the host namespace and a Cidr method.
pub fn lookup(name: &str) -> Vec<&'static Entry> {
    ENTRIES.iter().filter(|entry| entry.name == name).collect()
}

/// The methods and properties of a value of a type (as Rhai names it):
/// for `red.<Tab>`, those of a namespace first.
pub fn methods_of(type_name: &str) -> Vec<&'static str> {
    let receiver: &[&str] = match type_name {
        "Netns" => &["[ns.]", "ns.", "a."],
        "Cidr" => &["c."],
        _ => return Vec::new(),
    };
    ENTRIES.iter().filter(|e| receiver.iter().any(|r| e.signature.starts_with(r))).map(|e| e.name).collect()
}

/// `topo::star` and the others: the functions of the standard library's
/// modules, by the names a script calls them.
pub fn module_topics() -> Vec<String> {
    crate::script::stdlib::MODULES
        .iter()
        .flat_map(|(module, _)| {
            crate::script::stdlib::functions(module).into_iter().map(move |f| format!("{module}::{}", f.name))
        })
        .collect()
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
    fn every_entry_has_an_example() {
        let without: Vec<&str> = ENTRIES.iter().map(|e| e.name).filter(|n| example(n).is_none()).collect();
        assert!(without.is_empty(), "no example for {without:?}");
    }

    #[test]
    fn methods_by_type() {
        let netns = methods_of("Netns");
        assert!(netns.contains(&"link_up") && netns.contains(&"name") && netns.contains(&"source_seen"));
        assert!(!netns.contains(&"netns_add") && !netns.contains(&"split"));
        assert_eq!(
            methods_of("Cidr"),
            ["host", "contains", "split", "ip", "prefix", "network", "netmask", "broadcast", "size"]
        );
        assert!(methods_of("map").is_empty());
        assert!(module_topics().contains(&"topo::star".to_string()));
    }

    #[test]
    fn groups_keep_their_order() {
        assert_eq!(groups()[0], "Namespaces");
        assert_eq!(lookup("host").len(), 2);
    }
}
