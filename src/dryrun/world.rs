//! The dry run's world: a model of namespaces, links, addresses, routes,
//! sysctls and rules that executes operations by printing the commands that
//! would make them, and answers a script's questions from what it has
//! "made". It starts from the host as it is (readable without root).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnetwork::IpNetwork;

use crate::kernel::ping::{PingOptions, PingStats};
use crate::kernel::{
    AddrInfo, ExecOutput, KernelError, LinkInfo, Network, RouteInfo, RuleInfo, no_link, no_netns,
};
use crate::ops::{Netns, Op, RouteSpec, Rule, Shape};

mod shaping;

#[derive(Debug, Clone)]
struct Link {
    /// Unique across namespaces, so a veth knows its peer wherever it moves.
    id: u64,
    index: u32,
    name: String,
    kind: String,
    up: bool,
    mtu: u32,
    mac: String,
    master: Option<u64>,
    peer: Option<u64>,
    addrs: Vec<IpNetwork>,
}

#[derive(Debug, Default)]
struct Space {
    links: Vec<Link>,
    /// Routes added by operations (connected routes follow the addresses).
    routes: Vec<RouteSpec>,
    /// Routes that were there when the dry run started.
    initial_routes: Vec<RouteInfo>,
    sysctls: BTreeMap<String, String>,
    rules: Vec<Rule>,
    /// Stands for the kernel's namespace cookie.
    cookie: u64,
}

#[derive(Debug, Default)]
struct State {
    spaces: BTreeMap<Netns, Space>,
    next_id: u64,
    /// The root qdiscs the dry run set, by link id; others have the kernel's.
    shapes: BTreeMap<u64, Shape>,
}

pub struct World {
    state: RefCell<State>,
}

fn failed(text: String) -> KernelError {
    KernelError::Failed(text)
}

impl State {
    fn space(&self, ns: &Netns) -> Result<&Space, KernelError> {
        self.spaces.get(ns).ok_or_else(|| no_netns(ns.name().unwrap_or("host")))
    }

    fn space_mut(&mut self, ns: &Netns) -> Result<&mut Space, KernelError> {
        self.spaces.get_mut(ns).ok_or_else(|| no_netns(ns.name().unwrap_or("host")))
    }

    fn find(&self, id: u64) -> Option<(&Netns, &Link)> {
        self.spaces.iter().find_map(|(ns, space)| space.links.iter().find(|l| l.id == id).map(|l| (ns, l)))
    }

    fn new_link(&mut self, ns: &Netns, name: &str, kind: &str) -> Result<u64, KernelError> {
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
        });
        Ok(id)
    }

    fn link_mut(&mut self, ns: &Netns, dev: &str) -> Result<&mut Link, KernelError> {
        self.space_mut(ns)?.links.iter_mut().find(|l| l.name == dev).ok_or_else(|| no_link(ns, dev))
    }

    fn link(&self, ns: &Netns, dev: &str) -> Result<&Link, KernelError> {
        self.space(ns)?.links.iter().find(|l| l.name == dev).ok_or_else(|| no_link(ns, dev))
    }

    /// Removes a link; a veth takes its peer along, wherever it is.
    fn remove(&mut self, id: u64) {
        let peer = self.find(id).and_then(|(_, l)| l.peer);
        for space in self.spaces.values_mut() {
            for link in &mut space.links {
                if link.master == Some(id) {
                    link.master = None;
                }
            }
            space.links.retain(|l| l.id != id && Some(l.id) != peer);
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
        for route in &space.routes {
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
    fn connected(&self, ns: &Netns) -> Vec<(IpNetwork, String)> {
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
        Ok(space)
    }

    fn simulate(&self, op: &Op) -> Result<(), KernelError> {
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
                let master_id = match master {
                    Some(m) => {
                        let bridge = state.link(ns, m)?;
                        if bridge.kind != "bridge" {
                            return Err(failed(format!("'{m}' cannot take ports (is it a bridge?)")));
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
            Op::LinkSetMtu { ns, dev, mtu } => state.link_mut(ns, dev)?.mtu = *mtu,
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
                    && !state.connected(ns).iter().any(|(net, _)| net.contains(via))
                {
                    return Err(failed(format!(
                        "gateway {via} is not reachable from any route in {ns}: \
                         give a link there an address in the gateway's subnet first"
                    )));
                }
                let space = state.space_mut(ns)?;
                if space
                    .routes
                    .iter()
                    .any(|r| r.dst == route.dst && r.v6 == route.v6 && r.metric == route.metric)
                {
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
                space.routes.retain(|r| !(r.dst == route.dst && r.v6 == route.v6));
                if space.routes.len() == before {
                    return Err(KernelError::NotFound(format!(
                        "no route to {} in {ns} matches",
                        route.describe_dst()
                    )));
                }
            }
            Op::SysctlSet { ns, key, value } => {
                state.space_mut(ns)?.sysctls.insert(key.clone(), value.clone());
            }
            Op::FirewallAdd { ns, rule } => {
                for dev in rule.interfaces() {
                    state.link(ns, dev)?;
                }
                let space = state.space_mut(ns)?;
                if !space.rules.contains(rule) {
                    space.rules.push(rule.clone());
                }
            }
            Op::ProcessStart { ns, .. } => {
                state.space(ns)?;
            }
            Op::ProcessStop { .. } => {}
            Op::LinkShape { .. } | Op::LinkUnshape { .. } | Op::QdiscRestore { .. } => {
                shaping::simulate(&mut state, op)?
            }
            Op::FirewallDel { ns, rule } => {
                let space = state.space_mut(ns)?;
                let before = space.rules.len();
                space.rules.retain(|r| r != rule);
                if space.rules.len() == before {
                    return Err(KernelError::NotFound(format!("{ns} has no rule to {}", rule.describe())));
                }
            }
        }
        Ok(())
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
        }
    }
}

impl Network for World {
    fn apply(&self, op: &Op) -> Result<(), KernelError> {
        // Like the kernel backend, a rule that is there already is not added again.
        if let Op::FirewallAdd { ns, rule } = op
            && self.firewall_has(ns, rule)?
        {
            return Ok(());
        }
        let before = shaping::preamble(&self.state.borrow(), op);
        self.simulate(op)?;
        for line in before.iter().chain(&op.render()) {
            println!("{line}");
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
                });
            }
        }
        routes.extend(space.routes.iter().map(|r| RouteInfo {
            dst: r.describe_dst(),
            via: r.via,
            dev: r.dev.clone().or_else(|| {
                let via = r.via?;
                state.connected(ns).into_iter().find(|(net, _)| net.contains(via)).map(|(_, dev)| dev)
            }),
            v6: r.v6 || r.dst.is_some_and(|d| d.is_ipv6()),
            protocol: "boot".into(),
            scope: if r.via.is_none() { "link".into() } else { "global".into() },
            metric: r.metric,
        }));
        Ok(routes)
    }

    fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError> {
        let state = self.state.borrow();
        let space = state.space(ns)?;
        Ok(space.sysctls.get(key).cloned().unwrap_or_else(|| "0".into()))
    }

    fn firewall_has(&self, ns: &Netns, rule: &Rule) -> Result<bool, KernelError> {
        Ok(self.state.borrow().space(ns)?.rules.contains(rule))
    }

    fn firewall_rules(&self, ns: &Netns) -> Result<Vec<RuleInfo>, KernelError> {
        let state = self.state.borrow();
        let mut listed: Vec<RuleInfo> = state
            .space(ns)?
            .rules
            .iter()
            .flat_map(|rule| rule.nft_rules())
            .map(|nft| RuleInfo { chain: nft.chain.to_string(), rule: nft.body, comment: Some(nft.comment) })
            .collect();
        // nft lists a table chain by chain.
        let chain_order =
            |info: &RuleInfo| crate::ops::firewall::CHAINS.iter().position(|(c, _)| *c == info.chain);
        listed.sort_by_key(chain_order);
        Ok(listed)
    }

    /// Checks cannot run without the lab: the dry run notes them and
    /// answers as if they passed.
    fn ping_many(
        &self,
        probes: &[(Netns, IpAddr)],
        options: &PingOptions,
    ) -> Result<Vec<PingStats>, KernelError> {
        let state = self.state.borrow();
        for (ns, target) in probes {
            state.space(ns)?;
            println!("# check: ping {target}{} (assumed to pass in a dry run)", ns.location());
        }
        let passed = PingStats { sent: options.count, received: options.count, ..PingStats::default() };
        Ok(vec![passed; probes.len()])
    }

    /// The source the listener would see: the address of the interface a
    /// masquerade rule sends the prober's subnet out of, or the prober's own.
    fn source_seen(
        &self,
        from: &Netns,
        listen_ns: &Netns,
        target: SocketAddr,
        _listen_port: u16,
        _timeout: Duration,
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
        println!(
            "# check: connect from {from} to {target}, listen in {listen_ns} (assumed to pass in a dry run)"
        );
        for (ns, space) in &state.spaces {
            for rule in &space.rules {
                if let Rule::Masquerade { subnet, out } = rule
                    && subnet.contains(own.ip())
                    && !subnet.contains(target.ip())
                    && state.route_dev(ns, target.ip()).as_deref() == Some(out.as_str())
                    && let Ok(link) = state.link(ns, out)
                    && let Some(addr) = link.addrs.iter().find(family)
                {
                    return Ok(addr.ip());
                }
            }
        }
        Ok(own.ip())
    }

    /// A command is part of building the lab: it goes into the script.
    fn exec(&self, ns: &Netns, argv: &[String], _timeout: Duration) -> Result<ExecOutput, KernelError> {
        self.state.borrow().space(ns)?;
        let words: Vec<String> = argv.iter().map(|w| crate::ops::quote(w)).collect();
        let prefix =
            ns.name().map(|n| format!("ip netns exec {} ", crate::ops::quote(n))).unwrap_or_default();
        println!("{prefix}{}", words.join(" "));
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
        let seen =
            |w: &World| w.source_seen(&named("h"), &named("inet"), target, 7777, Duration::ZERO).unwrap();
        assert_eq!(seen(&world).to_string(), "10.0.0.5");
        let rule = Rule::Masquerade { subnet: "10.0.0.0/24".parse().unwrap(), out: "up0".into() };
        world.apply(&Op::FirewallAdd { ns: Netns::Host, rule }).unwrap();
        // Only what leaves through the uplink is masqueraded.
        assert_eq!(seen(&world).to_string(), "10.0.0.5");
        world.simulate(&Op::LinkSetUp { ns: Netns::Host, dev: "up0".into(), up: true }).unwrap();
        let default = RouteSpec {
            dst: None,
            via: Some("203.0.113.1".parse().unwrap()),
            dev: None,
            metric: None,
            v6: false,
        };
        world.simulate(&Op::RouteAdd { ns: Netns::Host, route: default }).unwrap();
        assert_eq!(seen(&world).to_string(), "203.0.113.2");
    }
}
