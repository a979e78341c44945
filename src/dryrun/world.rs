//! The dry run's world: a model of namespaces, links, addresses, routes,
//! sysctls and rules that executes operations by printing the commands that
//! would make them, and answers a script's questions from what it has
//! "made". It starts from the host as it is (readable without root).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use ipnetwork::IpNetwork;

use crate::kernel::ping::{PingOptions, PingStats};
use crate::kernel::{
    AddrInfo, ExecOutput, FdbInfo, IpRuleInfo, KernelError, LinkInfo, NeighInfo, Network, RouteInfo,
    TableInfo, VlanInfo, no_link, no_netns,
};
use crate::ops::firewall::Table;
use crate::ops::{Netns, Op, RouteSpec, Rule, Shape, limits};
use crate::output::outln;

mod shaping;

#[derive(Debug, Clone, Default)]
pub(super) struct Link {
    /// Unique across namespaces, so a veth knows its peer wherever it moves.
    pub(super) id: u64,
    pub(super) index: u32,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) up: bool,
    pub(super) mtu: u32,
    pub(super) mac: String,
    pub(super) master: Option<u64>,
    pub(super) peer: Option<u64>,
    pub(super) addrs: Vec<IpNetwork>,
    /// The rest of what the model knows of a link: see links.rs.
    pub(super) more: super::links::More,
}

#[derive(Debug, Default)]
pub(super) struct Space {
    pub(super) links: Vec<Link>,
    /// Routes added by operations (connected routes follow the addresses).
    pub(super) routes: Vec<RouteSpec>,
    /// Routes that were there when the dry run started.
    initial_routes: Vec<RouteInfo>,
    sysctls: BTreeMap<String, String>,
    /// The rules added, for the NAT probe's answers.
    rules: Vec<Rule>,
    /// netscript's nftables table, as nft would hold it.
    firewall: Table,
    /// Stands for the kernel's namespace cookie.
    cookie: u64,
    /// Policy rules, fdb and neighbour entries: see links.rs.
    pub(super) tables: super::links::Tables,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) spaces: BTreeMap<Netns, Space>,
    next_id: u64,
    /// A command ran whose effects the model cannot know (`exec`).
    pub(super) unknown_effects: bool,
    /// The root qdiscs the dry run set, by link id; others have the kernel's.
    shapes: BTreeMap<u64, Shape>,
}

pub struct World {
    state: RefCell<State>,
}

fn failed(text: String) -> KernelError {
    KernelError::Failed(text)
}

/// Says, in the printed script, what the dry run could not check.
fn note(what: &str) {
    outln!("# not checked in a dry run: {what}");
}

/// A sysctl as the host has it: what the dry run checks a value against.
enum Lookup {
    Value(String),
    /// There, but not readable (write-only, or root's).
    Unreadable,
    Missing,
}

/// Reads a sysctl in the host. A per-device key of a device that exists
/// only in the model (net.ipv4.conf.veth0.rp_filter) is read as the
/// device default (net.ipv4.conf.default.rp_filter).
fn host_sysctl(key: &str) -> Lookup {
    let path = |key: &str| std::path::PathBuf::from(format!("/proc/sys/{}", key.replace('.', "/")));
    let mut file = path(key);
    if !file.exists() {
        let parts: Vec<&str> = key.split('.').collect();
        if let ["net", family @ ("ipv4" | "ipv6"), table @ ("conf" | "neigh"), _dev, rest @ ..] =
            parts.as_slice()
        {
            file = path(&format!("net.{family}.{table}.default.{}", rest.join(".")));
        }
    }
    if !file.exists() {
        return Lookup::Missing;
    }
    match std::fs::read_to_string(&file) {
        Ok(value) => Lookup::Value(value.trim().to_string()),
        Err(_) => Lookup::Unreadable,
    }
}

impl State {
    pub(super) fn space(&self, ns: &Netns) -> Result<&Space, KernelError> {
        self.spaces.get(ns).ok_or_else(|| no_netns(ns.name().unwrap_or("host")))
    }

    pub(super) fn space_mut(&mut self, ns: &Netns) -> Result<&mut Space, KernelError> {
        self.spaces.get_mut(ns).ok_or_else(|| no_netns(ns.name().unwrap_or("host")))
    }

    pub(super) fn find(&self, id: u64) -> Option<(&Netns, &Link)> {
        self.spaces.iter().find_map(|(ns, space)| space.links.iter().find(|l| l.id == id).map(|l| (ns, l)))
    }

    pub(super) fn new_link(&mut self, ns: &Netns, name: &str, kind: &str) -> Result<u64, KernelError> {
        self.next_id += 1;
        let id = self.next_id;
        let space = self.space_mut(ns)?;
        if space.links.iter().any(|l| l.name == name) {
            return Err(failed(format!("a link named '{name}' already exists in {ns}")));
        }
        let index = space.links.iter().map(|l| l.index).max().unwrap_or(0) + 1;
        space.links.push(Link {
            id,
            index,
            name: name.to_string(),
            kind: kind.to_string(),
            up: false,
            mtu: 1500,
            mac: format!("02:00:00:{:02x}:{:02x}:{:02x}", (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff),
            master: None,
            peer: None,
            addrs: Vec::new(),
            more: super::links::More::default(),
        });
        Ok(id)
    }

    pub(super) fn link_mut(&mut self, ns: &Netns, dev: &str) -> Result<&mut Link, KernelError> {
        self.space_mut(ns)?.links.iter_mut().find(|l| l.name == dev).ok_or_else(|| no_link(ns, dev))
    }

    pub(super) fn link(&self, ns: &Netns, dev: &str) -> Result<&Link, KernelError> {
        self.space(ns)?.links.iter().find(|l| l.name == dev).ok_or_else(|| no_link(ns, dev))
    }

    /// Removes a link; a veth takes its peer along, wherever it is, and a
    /// link takes the VLANs and macvlans made on it.
    pub(super) fn remove(&mut self, id: u64) {
        let peer = self.find(id).and_then(|(_, l)| l.peer);
        let children: Vec<u64> = self
            .spaces
            .values()
            .flat_map(|s| s.links.iter())
            .filter(|l| l.more.parent == Some(id) && l.more.goes_with_parent)
            .map(|l| l.id)
            .collect();
        for space in self.spaces.values_mut() {
            for link in &mut space.links {
                if link.master == Some(id) {
                    link.master = None;
                }
            }
            space.links.retain(|l| l.id != id && Some(l.id) != peer);
            space.tables.forget_link(id);
        }
        for child in children {
            self.remove(child);
        }
    }

    /// The device a packet to `ip` leaves `ns` through: longest prefix
    /// first, a gateway's device found from the connected networks.
    fn route_dev(&self, ns: &Netns, ip: IpAddr) -> Option<String> {
        let connected = self.connected(ns);
        let via_dev =
            |via: IpAddr| connected.iter().find(|(net, _)| net.contains(via)).map(|(_, dev)| dev.clone());
        let space = self.space(ns).ok()?;
        let mut candidates: Vec<(u8, Option<String>)> = connected
            .iter()
            .filter(|(net, _)| net.contains(ip))
            .map(|(net, dev)| (net.prefix(), Some(dev.clone())))
            .collect();
        for route in space.routes.iter().filter(|r| r.table_id() == crate::ops::routing::TABLE_MAIN) {
            let (prefix, matches) = match route.dst {
                Some(dst) => (dst.prefix(), dst.contains(ip)),
                None => (0, route.v6 == ip.is_ipv6()),
            };
            if matches {
                candidates.push((prefix, route.dev.clone().or_else(|| route.via.and_then(via_dev))));
            }
        }
        for route in &space.initial_routes {
            let dst = if route.dst == "default" { None } else { route.dst.parse::<IpNetwork>().ok() };
            let (prefix, matches) = match dst {
                Some(dst) => (dst.prefix(), dst.contains(ip)),
                None => (0, route.v6 == ip.is_ipv6()),
            };
            if matches {
                candidates.push((prefix, route.dev.clone()));
            }
        }
        candidates.into_iter().max_by_key(|(prefix, _)| *prefix).and_then(|(_, dev)| dev)
    }

    /// Networks reachable directly: addresses on links that are up.
    pub(super) fn connected(&self, ns: &Netns) -> Vec<(IpNetwork, String)> {
        let Ok(space) = self.space(ns) else { return Vec::new() };
        let mut nets: Vec<(IpNetwork, String)> = space
            .links
            .iter()
            .filter(|l| l.up)
            .flat_map(|l| {
                l.addrs
                    .iter()
                    .filter_map(|a| IpNetwork::new(a.network(), a.prefix()).ok())
                    .map(|n| (n, l.name.clone()))
            })
            .collect();
        nets.extend(
            space
                .initial_routes
                .iter()
                .filter(|r| r.via.is_none())
                .filter_map(|r| Some((r.dst.parse::<IpNetwork>().ok()?, r.dev.clone()?))),
        );
        nets.extend(
            space.routes.iter().filter(|r| r.via.is_none()).filter_map(|r| Some((r.dst?, r.dev.clone()?))),
        );
        nets
    }
}

impl World {
    /// A world with nothing but an empty host, for tests.
    #[cfg(test)]
    pub fn empty() -> World {
        let mut state = State::default();
        state.spaces.insert(Netns::Host, Space::default());
        World { state: RefCell::new(state) }
    }

    /// A world that starts as the host is now: its links, addresses and
    /// routes (read with `real`, which needs no privileges), and its named
    /// namespaces, whose insides are not readable without root.
    pub fn from_host(real: &dyn Network) -> World {
        let mut state = State::default();
        let host = World::read_space(real, &Netns::Host, &mut state.next_id).unwrap_or_default();
        state.spaces.insert(Netns::Host, host);
        for name in real.netns_list().unwrap_or_default() {
            // Inside a namespace needs root; without, it shows just its lo.
            let ns = Netns::Named(name);
            let space = World::read_space(real, &ns, &mut state.next_id).unwrap_or_default();
            state.spaces.insert(ns.clone(), space);
            if state.space(&ns).is_ok_and(|s| s.links.is_empty()) {
                let _ = state.new_link(&ns, "lo", "loopback");
            }
        }
        World { state: RefCell::new(state) }
    }

    /// A namespace as it is now: links, addresses, routes, forwarding.
    fn read_space(real: &dyn Network, ns: &Netns, next_id: &mut u64) -> Result<Space, KernelError> {
        let mut space = Space::default();
        let links = real.links(ns)?;
        for link in &links {
            *next_id += 1;
            space.links.push(Link {
                id: *next_id,
                index: link.index,
                name: link.name.clone(),
                kind: link.kind.clone(),
                up: link.up,
                mtu: link.mtu,
                mac: link.mac.clone(),
                master: None,
                peer: None,
                addrs: link.addresses.iter().filter_map(|a| a.parse().ok()).collect(),
                more: super::links::More::from_info(link),
            });
        }
        for link in &links {
            let master =
                link.master.as_ref().and_then(|m| space.links.iter().find(|l| &l.name == m)).map(|l| l.id);
            if let Some(entry) = space.links.iter_mut().find(|l| l.name == link.name) {
                entry.master = master;
            }
        }
        // Connected routes are recomputed from the addresses.
        space.initial_routes = real.routes(ns)?.into_iter().filter(|r| r.protocol != "kernel").collect();
        for key in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] {
            if let Ok(value) = real.sysctl_get(ns, key) {
                space.sysctls.insert(key.to_string(), value);
            }
        }
        // Readable as root; without, the table is taken to be absent.
        space.firewall = real.firewall_table(ns).unwrap_or_default();
        Ok(space)
    }

    /// Changes the model as `op` would change the kernel; returns the
    /// commands the kernel's side effects stand for (netscript's chains
    /// and table removed once empty), to print after the operation's own.
    fn simulate(&self, op: &Op) -> Result<Vec<String>, KernelError> {
        let mut state = self.state.borrow_mut();
        match op {
            Op::NetnsAdd { name, lo_up, ipv6 } => {
                let ns = Netns::Named(name.clone());
                if state.spaces.contains_key(&ns) {
                    return Err(failed(format!("namespace '{name}' already exists")));
                }
                state.next_id += 1;
                let cookie = state.next_id;
                state.spaces.insert(ns.clone(), Space { cookie, ..Space::default() });
                let id = state.new_link(&ns, "lo", "loopback")?;
                let lo = state.space_mut(&ns)?.links.iter_mut().find(|l| l.id == id).expect("just made");
                lo.up = *lo_up;
                lo.mtu = 65536;
                lo.mac = "00:00:00:00:00:00".into();
                lo.addrs = vec!["127.0.0.1/8".parse().expect("valid")];
                if *ipv6 {
                    lo.addrs.push("::1/128".parse().expect("valid"));
                }
            }
            Op::NetnsDel { name } => {
                let ns = Netns::Named(name.clone());
                let ids: Vec<u64> = state.space(&ns)?.links.iter().map(|l| l.id).collect();
                for id in ids {
                    state.remove(id);
                }
                state.spaces.remove(&ns);
            }
            Op::VethAdd { ns, name, peer_ns, peer } => {
                state.space(peer_ns)?;
                if state.space(peer_ns)?.links.iter().any(|l| &l.name == peer) {
                    return Err(failed(format!("a link named '{peer}' already exists in {peer_ns}")));
                }
                let a = state.new_link(ns, name, "veth")?;
                let b = state.new_link(peer_ns, peer, "veth")?;
                state.link_mut(ns, name)?.peer = Some(b);
                state.link_mut(peer_ns, peer)?.peer = Some(a);
            }
            Op::BridgeAdd { ns, name } => {
                state.new_link(ns, name, "bridge")?;
            }
            Op::LinkSetUp { ns, dev, up } => state.link_mut(ns, dev)?.up = *up,
            Op::LinkSetMaster { ns, dev, master } => {
                let port = state.link(ns, dev)?;
                let master_id = match master {
                    Some(m) => {
                        let bridge = state.link(ns, m)?;
                        if !["bridge", "bond", "vrf"].contains(&bridge.kind.as_str()) {
                            return Err(failed(format!(
                                "'{m}' cannot take ports (is it a bridge, a bond or a VRF?)"
                            )));
                        }
                        if dev == m {
                            return Err(failed(limits::port_of_itself(dev)));
                        }
                        if port.kind == "bridge" && bridge.kind == "bridge" {
                            return Err(failed(limits::bridge_in_bridge(dev)));
                        }
                        let ports =
                            state.space(ns)?.links.iter().filter(|l| l.master == Some(bridge.id)).count();
                        if bridge.kind == "bridge"
                            && port.master != Some(bridge.id)
                            && ports >= limits::BRIDGE_MAX_PORTS
                        {
                            return Err(failed(limits::bridge_full(m)));
                        }
                        Some(bridge.id)
                    }
                    None => None,
                };
                state.link_mut(ns, dev)?.master = master_id;
            }
            Op::LinkSetNetns { ns, dev, target } => {
                state.space(target)?;
                if state.space(target)?.links.iter().any(|l| &l.name == dev) {
                    return Err(failed(format!("{target} already has a link named '{dev}'")));
                }
                if let Some(why) = limits::stays_in_its_namespace(dev, &state.link(ns, dev)?.kind, target) {
                    return Err(failed(why));
                }
                let space = state.space_mut(ns)?;
                let at = space.links.iter().position(|l| &l.name == dev).ok_or_else(|| no_link(ns, dev))?;
                let mut link = space.links.remove(at);
                // A moved link loses its addresses, its place on a bridge and its qdisc.
                state.shapes.remove(&link.id);
                link.addrs.clear();
                link.master = None;
                link.up = false;
                let space = state.space_mut(target)?;
                if space.links.iter().any(|l| l.index == link.index) {
                    link.index = space.links.iter().map(|l| l.index).max().unwrap_or(0) + 1;
                }
                space.links.push(link);
            }
            Op::LinkRename { ns, dev, new_name } => {
                if state.link(ns, new_name).is_ok() {
                    return Err(failed(format!("a link named '{new_name}' already exists in {ns}")));
                }
                state.link_mut(ns, dev)?.name = new_name.clone();
            }
            Op::LinkSetMtu { ns, dev, mtu } => {
                let link = state.link_mut(ns, dev)?;
                match limits::mtu_range(&link.kind) {
                    Some(range) if *mtu < range.0 || *mtu > range.1 => {
                        return Err(failed(limits::mtu_out_of_range(dev, *mtu, range)));
                    }
                    Some(_) => {}
                    None => note(&format!("the range of mtu that '{dev}' takes (a {})", link.kind)),
                }
                link.mtu = *mtu;
            }
            Op::LinkDel { ns, dev } => {
                let id = state.link(ns, dev)?.id;
                state.remove(id);
            }
            Op::AddrAdd { ns, dev, addr } => {
                let link = state.link_mut(ns, dev)?;
                if link.addrs.contains(addr) {
                    return Err(failed(format!("'{dev}' already has address {addr}")));
                }
                link.addrs.push(*addr);
            }
            Op::AddrDel { ns, dev, addr } => {
                let link = state.link_mut(ns, dev)?;
                let before = link.addrs.len();
                link.addrs.retain(|a| a != addr);
                if link.addrs.len() == before {
                    return Err(KernelError::NotFound(format!("'{dev}' has no address {addr} in {ns}")));
                }
            }
            Op::RouteAdd { ns, route } => {
                if let Some(dev) = &route.dev {
                    state.link(ns, dev)?;
                }
                if let Some(via) = route.via
                    && !route.onlink
                    && !state.connected(ns).iter().any(|(net, _)| net.contains(via))
                {
                    return Err(failed(format!(
                        "gateway {via} is not reachable from any route in {ns}: \
                         give a link there an address in the gateway's subnet first"
                    )));
                }
                super::links::check_nexthops(&state, ns, route)?;
                let space = state.space_mut(ns)?;
                if space.routes.iter().any(|r| {
                    r.dst == route.dst
                        && r.v6 == route.v6
                        && r.metric == route.metric
                        && r.table == route.table
                }) {
                    return Err(failed(format!(
                        "a route to {} already exists in {ns}",
                        route.describe_dst()
                    )));
                }
                space.routes.push(route.clone());
            }
            Op::RouteDel { ns, route } => {
                let space = state.space_mut(ns)?;
                let before = space.routes.len();
                space.routes.retain(|r| !(r.dst == route.dst && r.v6 == route.v6 && r.table == route.table));
                if space.routes.len() == before {
                    return Err(KernelError::NotFound(format!(
                        "no route to {} in {ns} matches",
                        route.describe_dst()
                    )));
                }
            }
            Op::SysctlSet { ns, key, value } => {
                state.space(ns)?;
                match host_sysctl(key) {
                    Lookup::Missing => {
                        return Err(KernelError::NotFound(format!("there is no sysctl {key}")));
                    }
                    Lookup::Value(current) => {
                        if let Some(why) = limits::sysctl_value_problem(key, &current, value) {
                            return Err(failed(why));
                        }
                    }
                    Lookup::Unreadable => note(&format!("what {key} takes")),
                }
                state.space_mut(ns)?.sysctls.insert(key.clone(), value.clone());
            }
            Op::FirewallAdd { ns, lab, rule } => {
                for dev in rule.interfaces() {
                    state.link(ns, dev)?;
                }
                nat_address(&state, ns, rule)?;
                if let Rule::Raw { chain, text, .. } = rule
                    && let Some(Err(why)) = crate::kernel::nft_check(*chain, text)
                {
                    return Err(failed(format!("nft rejects it: {why}")));
                }
                let space = state.space_mut(ns)?;
                let nft = rule.nft_rules(lab);
                space.firewall.plan_add(&nft, &ns.location()).map_err(failed)?;
                space.firewall.add(&nft);
                if !space.rules.contains(rule) {
                    space.rules.push(rule.clone());
                }
            }
            Op::LinkShape { .. } | Op::LinkUnshape { .. } | Op::QdiscRestore { .. } => {
                shaping::simulate(&mut state, op)?
            }
            Op::ChainPolicy { ns, chain, policy } => {
                let space = state.space_mut(ns)?;
                space.firewall.plan_policy(*chain, *policy, &ns.location()).map_err(failed)?;
                space.firewall.set_policy(*chain, *policy);
                return Ok(tidy(ns, &mut space.firewall));
            }
            Op::ProcessStart { ns, argv, .. } => {
                state.space(ns)?;
                if let Some(missing) = limits::missing_program(argv) {
                    return Err(failed(limits::no_program(&missing)));
                }
            }
            Op::ProcessStop { .. } => {}
            Op::FileWrite { ns, .. } | Op::FileRestore { ns, .. } | Op::ExecUndo { ns, .. } => {
                state.space(ns)?;
            }
            Op::Exec { ns, argv, .. } => {
                state.space(ns)?;
                if let Some(missing) = limits::missing_program(argv) {
                    return Err(failed(limits::no_program(&missing)));
                }
                // What it makes or changes, the model cannot know.
                state.unknown_effects = true;
            }
            Op::LinkAdd { .. }
            | Op::LinkSet { .. }
            | Op::BridgeSet { .. }
            | Op::BridgePortSet { .. }
            | Op::BridgeVlanAdd { .. }
            | Op::BridgeVlanDel { .. }
            | Op::FdbAdd { .. }
            | Op::FdbDel { .. }
            | Op::RuleAdd { .. }
            | Op::RuleDel { .. }
            | Op::NeighAdd { .. }
            | Op::NeighDel { .. } => super::links::simulate(&mut state, op)?,
            Op::FirewallDel { ns, lab, rule } => {
                let space = state.space_mut(ns)?;
                let comments: Vec<String> = rule.nft_rules(lab).into_iter().map(|nft| nft.comment).collect();
                if space.firewall.remove(&comments) == 0 {
                    return Err(KernelError::NotFound(format!("{ns} has no rule to {}", rule.describe())));
                }
                space.rules.retain(|r| r != rule);
                return Ok(tidy(ns, &mut space.firewall));
            }
        }
        Ok(Vec::new())
    }

    fn link_info(state: &State, link: &Link, same_ns: &Space) -> LinkInfo {
        let peer = link.peer.and_then(|id| state.find(id));
        let in_same = |id: u64| same_ns.links.iter().find(|l| l.id == id);
        let state_word = match (link.kind.as_str(), link.up) {
            ("loopback", true) => "UNKNOWN",
            (_, false) => "DOWN",
            ("veth", true) if !peer.is_some_and(|(_, p)| p.up) => "LOWERLAYERDOWN",
            _ => "UP",
        };
        LinkInfo {
            index: link.index,
            name: link.name.clone(),
            kind: link.kind.clone(),
            state: state_word.into(),
            up: link.up,
            mtu: link.mtu,
            mac: link.mac.clone(),
            master: link.master.and_then(in_same).map(|m| m.name.clone()),
            peer: peer.map(|(_, p)| match in_same(p.id) {
                Some(p) => p.name.clone(),
                None => format!("if{}", p.index),
            }),
            addresses: link.addrs.iter().map(|a| a.to_string()).collect(),
            parent: link.more.parent.and_then(|id| state.find(id)).map(|(_, p)| match in_same(p.id) {
                Some(p) => p.name.clone(),
                None => format!("if{}", p.index),
            }),
            details: link.more.details.clone(),
            settings: link.more.settings(link),
            bridge: link.more.bridge.clone(),
            port: link
                .master
                .and_then(in_same)
                .filter(|m| m.kind == "bridge")
                .map(|_| link.more.port.clone()),
        }
    }
}

/// The model's side of `Kernel::check_nat_address`.
fn nat_address(state: &State, ns: &Netns, rule: &Rule) -> Result<(), KernelError> {
    let (out, v6) = match rule {
        Rule::Masquerade { subnet, out } => (out, Some(subnet.is_ipv6())),
        Rule::MasqueradeOut { out } => (out, None),
        _ => return Ok(()),
    };
    let link = state.link(ns, out)?;
    if link.addrs.iter().any(|a| v6.is_none_or(|v6| a.is_ipv6() == v6)) {
        return Ok(());
    }
    let family = match v6 {
        Some(true) => "IPv6 ",
        Some(false) => "IPv4 ",
        None => "",
    };
    Err(failed(format!(
        "'{out}' has no {family}address to give the traffic, so the masquerade would change nothing; \
         give '{out}' an address first"
    )))
}

/// Removes from the model what netscript made and left empty, and returns
/// the commands that do it.
fn tidy(ns: &Netns, table: &mut Table) -> Vec<String> {
    let commands = table.tidy();
    table.apply_tidy();
    let x = ns.name().map(|n| format!("ip netns exec {} ", crate::ops::quote(n))).unwrap_or_default();
    commands.into_iter().map(|c| format!("{x}nft {c}")).collect()
}

impl Network for World {
    fn apply(&self, op: &Op) -> Result<(), KernelError> {
        // Like the kernel backend, a rule that is there already is not added again.
        if let Op::FirewallAdd { ns, lab, rule } = op
            && self.firewall_has(ns, lab, rule)?
        {
            return Ok(());
        }
        let before = shaping::preamble(&self.state.borrow(), op);
        if self.state.borrow().unknown_effects {
            let assumed = super::links::assume_unknown(&mut self.state.borrow_mut(), op);
            if !assumed.is_empty() {
                outln!("# assumed made by an earlier command: {}", assumed.join(", "));
            }
        }
        let after = self.simulate(op)?;
        for line in before.into_iter().chain(op.render()).chain(after) {
            outln!("{line}");
        }
        Ok(())
    }

    fn netns_list(&self) -> Result<Vec<String>, KernelError> {
        Ok(self.state.borrow().spaces.keys().filter_map(|ns| ns.name().map(String::from)).collect())
    }

    fn netns_exists(&self, name: &str) -> bool {
        self.state.borrow().spaces.contains_key(&Netns::Named(name.to_string()))
    }

    fn netns_cookies(&self, names: &[&str]) -> Vec<Option<u64>> {
        // A namespace the model makes again gets a new cookie, as in the kernel.
        let state = self.state.borrow();
        names
            .iter()
            .map(|name| state.spaces.get(&Netns::Named(name.to_string())).map(|space| space.cookie))
            .collect()
    }

    fn host_cookie(&self) -> Option<u64> {
        Some(0)
    }

    fn links(&self, ns: &Netns) -> Result<Vec<LinkInfo>, KernelError> {
        let state = self.state.borrow();
        let space = state.space(ns)?;
        Ok(space.links.iter().map(|link| World::link_info(&state, link, space)).collect())
    }

    fn link_index(&self, ns: &Netns, dev: &str) -> Result<u32, KernelError> {
        Ok(self.state.borrow().link(ns, dev)?.index)
    }

    fn addrs(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<AddrInfo>, KernelError> {
        let state = self.state.borrow();
        if let Some(dev) = dev {
            state.link(ns, dev)?;
        }
        Ok(state
            .space(ns)?
            .links
            .iter()
            .filter(|l| dev.is_none_or(|d| l.name == d))
            .flat_map(|l| {
                l.addrs.iter().map(|a| AddrInfo {
                    dev: l.name.clone(),
                    address: *a,
                    scope: if a.ip().is_loopback() { "host".into() } else { "global".into() },
                })
            })
            .collect())
    }

    fn routes(&self, ns: &Netns) -> Result<Vec<RouteInfo>, KernelError> {
        let state = self.state.borrow();
        let space = state.space(ns)?;
        let mut routes = space.initial_routes.clone();
        for link in space.links.iter().filter(|l| l.up && l.kind != "loopback") {
            for addr in &link.addrs {
                routes.push(RouteInfo {
                    dst: format!("{}/{}", addr.network(), addr.prefix()),
                    via: None,
                    dev: Some(link.name.clone()),
                    v6: addr.is_ipv6(),
                    protocol: "kernel".into(),
                    scope: "link".into(),
                    metric: None,
                    table: crate::ops::routing::TABLE_MAIN,
                    kind: "unicast".into(),
                    src: Some(addr.ip()),
                    nexthops: Vec::new(),
                });
            }
        }
        routes.extend(
            space
                .routes
                .iter()
                .filter(|r| r.table_id() == crate::ops::routing::TABLE_MAIN)
                .map(|r| super::links::route_info(&state, ns, r)),
        );
        Ok(routes)
    }

    fn routes_in(&self, ns: &Netns, table: Option<u32>) -> Result<Vec<RouteInfo>, KernelError> {
        let mut routes: Vec<RouteInfo> = match table {
            Some(t) if t != crate::ops::routing::TABLE_MAIN => Vec::new(),
            _ => self.routes(ns)?,
        };
        let state = self.state.borrow();
        let space = state.space(ns)?;
        routes.extend(
            space
                .routes
                .iter()
                .filter(|r| r.table_id() != crate::ops::routing::TABLE_MAIN)
                .filter(|r| table.is_none_or(|t| t == r.table_id()))
                .map(|r| super::links::route_info(&state, ns, r)),
        );
        Ok(routes)
    }

    fn ip_rules(&self, ns: &Netns) -> Result<Vec<IpRuleInfo>, KernelError> {
        Ok(self.state.borrow().space(ns)?.tables.rules())
    }

    fn neighbours(&self, ns: &Netns) -> Result<Vec<NeighInfo>, KernelError> {
        let state = self.state.borrow();
        super::links::neighbours(&state, ns)
    }

    fn fdb(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<FdbInfo>, KernelError> {
        let state = self.state.borrow();
        super::links::fdb(&state, ns, dev)
    }

    fn bridge_vlans(&self, ns: &Netns) -> Result<Vec<VlanInfo>, KernelError> {
        let state = self.state.borrow();
        super::links::bridge_vlans(&state, ns)
    }

    fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError> {
        let state = self.state.borrow();
        let space = state.space(ns)?;
        Ok(space.sysctls.get(key).cloned().unwrap_or_else(|| "0".into()))
    }

    fn firewall_table(&self, ns: &Netns) -> Result<Table, KernelError> {
        Ok(self.state.borrow().space(ns)?.firewall.clone())
    }

    fn firewall_tables(&self, ns: &Netns) -> Result<Vec<TableInfo>, KernelError> {
        self.state.borrow().space(ns)?;
        Ok(Vec::new())
    }

    /// Checks cannot run without the lab: the dry run notes them and
    /// answers as if they passed.
    fn ping_many(
        &self,
        probes: &[(Netns, IpAddr)],
        options: &PingOptions,
        _interrupt: &AtomicBool,
    ) -> Result<Vec<PingStats>, KernelError> {
        let state = self.state.borrow();
        for (ns, target) in probes {
            state.space(ns)?;
            outln!("# check: ping {target}{} (assumed to pass in a dry run)", ns.location());
        }
        let passed = PingStats { sent: options.count, received: options.count, ..PingStats::default() };
        Ok(vec![passed; probes.len()])
    }

    /// The source the listener would see: the address of the interface a
    /// masquerade rule sends the prober's subnet out of, or the prober's own.
    fn source_seen(
        &self,
        from: &Netns,
        bound: Option<IpAddr>,
        listen_ns: &Netns,
        target: SocketAddr,
        _listen_port: u16,
        _timeout: Duration,
        _interrupt: &AtomicBool,
    ) -> Result<IpAddr, KernelError> {
        let state = self.state.borrow();
        state.space(listen_ns)?;
        let family = |a: &&IpNetwork| a.is_ipv4() == target.is_ipv4();
        let own = state
            .space(from)?
            .links
            .iter()
            .filter(|l| l.kind != "loopback")
            .flat_map(|l| l.addrs.iter())
            .find(family)
            .copied()
            .ok_or_else(|| failed(format!("{from} has no address to probe {target} from")))?;
        outln!(
            "# check: connect from {from} to {target}, listen in {listen_ns} (assumed to pass in a dry run)"
        );
        for (ns, space) in &state.spaces {
            for rule in &space.rules {
                let (subnet, out, to) = match rule {
                    Rule::Masquerade { subnet, out } => (Some(subnet), out, None),
                    Rule::MasqueradeOut { out } => (None, out, None),
                    Rule::Snat { subnet, out, to } => (Some(subnet), out, Some(*to)),
                    _ => continue,
                };
                // Masquerade rewrites what leaves through `out`, not what
                // arrives for the namespace itself.
                let local = space.links.iter().any(|l| l.addrs.iter().any(|a| a.ip() == target.ip()));
                if !local
                    && subnet
                        .is_none_or(|s| s.contains(bound.unwrap_or(own.ip())) && !s.contains(target.ip()))
                    && state.route_dev(ns, target.ip()).as_deref() == Some(out.as_str())
                    && let Ok(link) = state.link(ns, out)
                    && let Some(addr) = to.or_else(|| link.addrs.iter().find(family).map(|a| a.ip()))
                {
                    return Ok(addr);
                }
            }
        }
        Ok(bound.unwrap_or(own.ip()))
    }

    fn port_probe(
        &self,
        from: &Netns,
        proto: crate::ops::Proto,
        target: SocketAddr,
        _timeout: Duration,
        _stop: &std::sync::atomic::AtomicBool,
    ) -> Result<crate::kernel::port::PortState, KernelError> {
        self.state.borrow().space(from)?;
        outln!("# check: {proto} to {target}{} (cannot be tried in a dry run)", from.location());
        Ok(crate::kernel::port::PortState::Unknown)
    }

    /// A command is part of building the lab: it goes into the script.
    fn exec(
        &self,
        ns: &Netns,
        argv: &[String],
        _timeout: Duration,
        _interrupt: &AtomicBool,
    ) -> Result<ExecOutput, KernelError> {
        self.state.borrow().space(ns)?;
        if let Some(missing) = limits::missing_program(argv) {
            return Err(failed(limits::no_program(&missing)));
        }
        // What it makes or changes, the model cannot know: later steps on
        // things it does not know are assumed to be about those.
        self.state.borrow_mut().unknown_effects = true;
        outln!("# what this command makes is unknown to the dry run");
        let words: Vec<String> = argv.iter().map(|w| crate::ops::quote(w)).collect();
        outln!("{}{}", crate::ops::in_node(ns), words.join(" "));
        Ok(ExecOutput { code: Some(0), stdout: String::new(), stderr: String::new(), timed_out: false })
    }

    fn spawn(&self, ns: &Netns, argv: &[String], log: &str) -> Result<(u32, u64), KernelError> {
        self.apply(&Op::ProcessStart { ns: ns.clone(), argv: argv.to_vec(), log: log.to_string() })?;
        Ok((0, 0))
    }

    fn qdiscs(&self, ns: &Netns) -> Result<Vec<crate::kernel::QdiscInfo>, KernelError> {
        shaping::qdiscs(&self.state.borrow(), ns)
    }

    fn throughput(
        &self,
        from: &Netns,
        sink_ns: &Netns,
        target: SocketAddr,
        options: &crate::kernel::ThroughputOptions,
        _interrupt: &std::sync::atomic::AtomicBool,
    ) -> Result<crate::kernel::ThroughputStats, KernelError> {
        shaping::throughput(&self.state.borrow(), from, sink_ns, target, options)
    }

    fn is_dry_run(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let mut state = State::default();
        state.spaces.insert(Netns::Host, Space::default());
        World { state: RefCell::new(state) }
    }

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    #[test]
    fn answers_from_what_it_made() {
        let world = world();
        world.simulate(&Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true }).unwrap();
        world
            .simulate(&Op::VethAdd {
                ns: Netns::Host,
                name: "v0".into(),
                peer_ns: named("a"),
                peer: "eth0".into(),
            })
            .unwrap();
        assert!(world.netns_exists("a"));
        assert_eq!(world.netns_list().unwrap(), ["a"]);
        let links = world.links(&named("a")).unwrap();
        assert_eq!(links.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["lo", "eth0"]);
        assert_eq!(world.link(&Netns::Host, "v0").unwrap().peer.as_deref(), Some("if2"));
        // Deleting one end takes the other along.
        world.simulate(&Op::LinkDel { ns: Netns::Host, dev: "v0".into() }).unwrap();
        assert!(!world.link_exists(&named("a"), "eth0"));
    }

    #[test]
    fn refuses_what_the_kernel_would() {
        let world = world();
        world.simulate(&Op::BridgeAdd { ns: Netns::Host, name: "br0".into() }).unwrap();
        let again = world.simulate(&Op::BridgeAdd { ns: Netns::Host, name: "br0".into() });
        assert!(again.unwrap_err().to_string().contains("already exists"));
        let route = RouteSpec {
            dst: None,
            via: Some("10.0.0.1".parse().unwrap()),
            dev: None,
            metric: None,
            v6: false,
            ..RouteSpec::default()
        };
        let unreachable = world.simulate(&Op::RouteAdd { ns: Netns::Host, route: route.clone() });
        assert!(unreachable.unwrap_err().to_string().contains("not reachable"));
        world
            .simulate(&Op::AddrAdd {
                ns: Netns::Host,
                dev: "br0".into(),
                addr: "10.0.0.2/24".parse().unwrap(),
            })
            .unwrap();
        world.simulate(&Op::LinkSetUp { ns: Netns::Host, dev: "br0".into(), up: true }).unwrap();
        world.simulate(&Op::RouteAdd { ns: Netns::Host, route }).unwrap();
        assert!(world.routes(&Netns::Host).unwrap().iter().any(|r| r.dst == "default"));
    }

    #[test]
    fn the_firewall_model_tidies_what_netscript_made() {
        use crate::ops::{Hook, Policy};
        let world = world();
        world.simulate(&Op::BridgeAdd { ns: Netns::Host, name: "up0".into() }).unwrap();
        let addr = "203.0.113.2/24".parse().unwrap();
        world.simulate(&Op::AddrAdd { ns: Netns::Host, dev: "up0".into(), addr }).unwrap();
        let rule = Rule::MasqueradeOut { out: "up0".into() };
        let add = Op::FirewallAdd { ns: Netns::Host, lab: "l".into(), rule: rule.clone() };
        assert!(world.simulate(&add).unwrap().is_empty());
        let policy = |policy| Op::ChainPolicy { ns: Netns::Host, chain: Hook::Input, policy };
        assert!(world.simulate(&policy(Policy::Drop)).unwrap().is_empty());
        assert_eq!(world.firewall_policy(&Netns::Host, Hook::Input).unwrap(), Policy::Drop);
        // Back to accept and empty: the chain goes, the table stays for the masquerade.
        assert_eq!(
            world.simulate(&policy(Policy::Accept)).unwrap(),
            ["nft delete chain inet netscript input"]
        );
        let del = Op::FirewallDel { ns: Netns::Host, lab: "l".into(), rule };
        assert_eq!(world.simulate(&del).unwrap(), ["nft delete table inet netscript"]);
        assert!(!world.firewall_table(&Netns::Host).unwrap().exists);
        // Nothing to masquerade to.
        let v6 = Rule::Masquerade { subnet: "fd00::/64".parse().unwrap(), out: "up0".into() };
        let err =
            world.simulate(&Op::FirewallAdd { ns: Netns::Host, lab: "l".into(), rule: v6 }).unwrap_err();
        assert!(err.to_string().contains("'up0' has no IPv6 address"), "{err}");
    }

    #[test]
    fn the_nat_probe_follows_masquerade_rules() {
        let world = world();
        world.simulate(&Op::NetnsAdd { name: "h".into(), lo_up: true, ipv6: true }).unwrap();
        world.simulate(&Op::NetnsAdd { name: "inet".into(), lo_up: true, ipv6: true }).unwrap();
        world.simulate(&Op::BridgeAdd { ns: Netns::Host, name: "up0".into() }).unwrap();
        world
            .simulate(&Op::AddrAdd {
                ns: Netns::Host,
                dev: "up0".into(),
                addr: "203.0.113.2/24".parse().unwrap(),
            })
            .unwrap();
        world.simulate(&Op::BridgeAdd { ns: named("h"), name: "eth0".into() }).unwrap();
        world
            .simulate(&Op::AddrAdd {
                ns: named("h"),
                dev: "eth0".into(),
                addr: "10.0.0.5/24".parse().unwrap(),
            })
            .unwrap();
        let target: SocketAddr = "198.51.100.1:7777".parse().unwrap();
        let seen = |w: &World| {
            w.source_seen(
                &named("h"),
                None,
                &named("inet"),
                target,
                7777,
                Duration::ZERO,
                &AtomicBool::new(false),
            )
            .unwrap()
        };
        assert_eq!(seen(&world).to_string(), "10.0.0.5");
        let rule = Rule::Masquerade { subnet: "10.0.0.0/24".parse().unwrap(), out: "up0".into() };
        world.apply(&Op::FirewallAdd { ns: Netns::Host, lab: "l".into(), rule }).unwrap();
        // Only what leaves through the uplink is masqueraded.
        assert_eq!(seen(&world).to_string(), "10.0.0.5");
        world.simulate(&Op::LinkSetUp { ns: Netns::Host, dev: "up0".into(), up: true }).unwrap();
        let default = RouteSpec {
            dst: None,
            via: Some("203.0.113.1".parse().unwrap()),
            dev: None,
            metric: None,
            v6: false,
            ..RouteSpec::default()
        };
        world.simulate(&Op::RouteAdd { ns: Netns::Host, route: default }).unwrap();
        assert_eq!(seen(&world).to_string(), "203.0.113.2");
    }
}
