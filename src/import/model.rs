//! A model of the lab the steps build, step by step: which links exist
//! where, under which name, up or down, their bridge, their addresses; the
//! routes and forwarding of each namespace. The mistake checks ask it
//! what the kernel would have after a given step, and where a ping goes.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::step::{Ns, Step, net_of};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Veth {
        peer: usize,
    },
    Bridge,
    Loopback,
    /// Any other kind (dummy, vlan, vxlan, ...).
    Other,
}

#[derive(Clone, Debug)]
pub struct Link {
    /// "" for the host.
    pub ns: String,
    pub name: String,
    pub kind: Kind,
    pub up: bool,
    pub master: Option<usize>,
    pub addrs: Vec<IpNetwork>,
    pub alive: bool,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub dst: Option<IpNetwork>,
    pub via: Option<IpAddr>,
    pub dev: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    pub links: Vec<Link>,
    pub namespaces: HashSet<String>,
    pub routes: HashMap<String, Vec<Route>>,
    pub forwarding: HashSet<String>,
}

pub fn key(ns: &Ns) -> String {
    ns.name().unwrap_or("").to_string()
}

/// Why a packet does not get there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// No route in `ns` to the address.
    NoRoute { ns: String, to: IpAddr },
    /// The next hop is not on the link: no one there has that address.
    NoNeighbour { ns: String, via: IpAddr },
    /// `ns` would have to forward, and does not.
    NoForward { ns: String },
    /// A link on the way is down.
    Down { link: usize },
    /// Going round in circles.
    Loop,
}

impl Model {
    pub fn new() -> Model {
        let mut m = Model::default();
        m.namespaces.insert(String::new());
        m
    }

    pub fn find(&self, ns: &str, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.alive && l.ns == ns && l.name == name)
    }

    fn add_link(&mut self, ns: &str, name: &str, kind: Kind) -> usize {
        self.links.push(Link {
            ns: ns.to_string(),
            name: name.to_string(),
            kind,
            up: false,
            master: None,
            addrs: Vec::new(),
            alive: true,
        });
        self.links.len() - 1
    }

    fn kill(&mut self, id: usize) {
        self.links[id].alive = false;
        let ns = self.links[id].ns.clone();
        if let Some(routes) = self.routes.get_mut(&ns) {
            routes.retain(|r| r.dev != Some(id));
        }
        for l in &mut self.links {
            if l.master == Some(id) {
                l.master = None;
            }
        }
    }

    /// What the step does to the lab (what the kernel would refuse, it
    /// leaves as it was).
    pub fn apply(&mut self, step: &Step) {
        let link = |m: &Model, ns: &Ns, dev: &str| m.find(&key(ns), dev);
        match step {
            Step::NetnsAdd { name, .. } if self.namespaces.insert(name.value.clone()) => {
                let lo = self.add_link(&name.value, "lo", Kind::Loopback);
                self.links[lo].up = true;
                self.links[lo].addrs.push("127.0.0.1/8".parse().unwrap());
            }
            Step::NetnsDel { name } => {
                self.namespaces.remove(&name.value);
                for id in 0..self.links.len() {
                    if self.links[id].alive && self.links[id].ns == name.value {
                        self.kill(id);
                        if let Kind::Veth { peer } = self.links[id].kind {
                            self.kill(peer);
                        }
                    }
                }
                self.routes.remove(&name.value);
                self.forwarding.remove(&name.value);
            }
            Step::VethAdd { ns, name, peer_ns, peer } => {
                let (a, b) = (key(ns), key(peer_ns));
                if self.find(&a, &name.value).is_some() || self.find(&b, &peer.value).is_some() {
                    return;
                }
                let x = self.add_link(&a, &name.value, Kind::Veth { peer: 0 });
                let y = self.add_link(&b, &peer.value, Kind::Veth { peer: x });
                self.links[x].kind = Kind::Veth { peer: y };
            }
            Step::BridgeAdd { ns, name } if self.find(&key(ns), &name.value).is_none() => {
                self.add_link(&key(ns), &name.value, Kind::Bridge);
            }
            Step::LinkUp { ns, dev, up } => {
                if let Some(id) = link(self, ns, &dev.value) {
                    self.links[id].up = *up;
                }
            }
            Step::LinkMaster { ns, dev, master } => {
                if let Some(id) = link(self, ns, &dev.value) {
                    self.links[id].master = master.as_ref().and_then(|m| link(self, ns, &m.value));
                }
            }
            Step::LinkNetns { ns, dev, target } => {
                if let Some(id) = link(self, ns, &dev.value) {
                    let from = key(ns);
                    if let Some(routes) = self.routes.get_mut(&from) {
                        routes.retain(|r| r.dev != Some(id));
                    }
                    // A move takes the link down and its addresses away.
                    let l = &mut self.links[id];
                    l.ns = key(target);
                    l.up = false;
                    l.addrs.clear();
                    l.master = None;
                }
            }
            Step::LinkRename { ns, dev, new } => {
                if let Some(id) = link(self, ns, &dev.value) {
                    self.links[id].name = new.value.clone();
                }
            }
            Step::LinkDel { ns, dev } => {
                if let Some(id) = link(self, ns, &dev.value) {
                    self.kill(id);
                    if let Kind::Veth { peer } = self.links[id].kind {
                        self.kill(peer);
                    }
                }
            }
            Step::AddrAdd { ns, dev, addr } => {
                if let (Some(id), Some(net)) = (link(self, ns, &dev.value), net_of(&addr.value))
                    && !self.links[id].addrs.contains(&net)
                {
                    self.links[id].addrs.push(net);
                }
            }
            Step::AddrDel { ns, dev, addr } => {
                if let (Some(id), Some(net)) = (link(self, ns, &dev.value), net_of(&addr.value)) {
                    self.links[id].addrs.retain(|a| *a != net);
                }
            }
            Step::Call { ns, func, args, .. }
                if func.ends_with("_add")
                    && !["ip_rule_add", "neigh_add", "fdb_add", "bridge_vlan_add"]
                        .contains(&func.as_str()) =>
            {
                if let Some(super::step::Value::Dev(name)) = args.first()
                    && self.find(&key(ns), &name.value).is_none()
                {
                    self.add_link(&key(ns), &name.value, Kind::Other);
                }
            }
            Step::RouteAdd { route, .. } if route.extra.iter().any(|(k, _)| k == "table" || k == "type") => {}
            Step::RouteAdd { ns, route } => {
                let dev = route.dev.as_ref().and_then(|d| link(self, ns, &d.value));
                let entry = Route { dst: route.dst_net(), via: route.via_ip(), dev };
                self.routes.entry(key(ns)).or_default().push(entry);
            }
            Step::RouteDel { ns, route } => {
                let (dst, via) = (route.dst_net(), route.via_ip());
                if let Some(routes) = self.routes.get_mut(&key(ns))
                    && let Some(at) =
                        routes.iter().position(|r| r.dst == dst && (via.is_none() || r.via == via))
                {
                    routes.remove(at);
                }
            }
            Step::Sysctl { ns, key: k, value } if k == "net.ipv4.ip_forward" || k == "forwarding" => {
                if value.value == "1" {
                    self.forwarding.insert(key(ns));
                } else {
                    self.forwarding.remove(&key(ns));
                }
            }
            _ => {}
        }
    }

    /// The addresses of a namespace.
    pub fn owns(&self, ns: &str, ip: IpAddr) -> bool {
        self.links.iter().any(|l| l.alive && l.ns == ns && l.addrs.iter().any(|a| a.ip() == ip))
            || (ip.is_loopback() && self.namespaces.contains(ns))
    }

    /// The route `ns` takes to `to`: the link and the next hop.
    pub fn lookup(&self, ns: &str, to: IpAddr) -> Option<(Option<usize>, IpAddr)> {
        let mut best: Option<(u8, Option<usize>, IpAddr)> = None;
        for (id, l) in self.links.iter().enumerate() {
            if l.alive && l.ns == ns && l.up {
                for a in &l.addrs {
                    let net = IpNetwork::new(a.network(), a.prefix()).ok()?;
                    if net.contains(to) && best.as_ref().is_none_or(|b| a.prefix() > b.0) {
                        best = Some((a.prefix(), Some(id), to));
                    }
                }
            }
        }
        for r in self.routes.get(ns).into_iter().flatten() {
            let (prefix, contains) = match r.dst {
                None => (0, to.is_ipv4() == r.via.is_none_or(|v| v.is_ipv4())),
                Some(d) => (d.prefix(), d.contains(to)),
            };
            if contains && best.as_ref().is_none_or(|b| prefix > b.0) {
                let via = r.via.unwrap_or(to);
                let dev = r.dev.or_else(|| self.lookup(ns, via).and_then(|(d, _)| d));
                best = Some((prefix, dev, via));
            }
        }
        best.map(|(_, dev, via)| (dev, via))
    }

    /// The links at the other end of a link: its veth peer (or, when that
    /// is a bridge port, the bridge and the far ends of its other ports),
    /// or a bridge's ports' far ends.
    pub fn neighbours(&self, id: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let ports_of = |bridge: usize, except: Option<usize>| -> Vec<usize> {
            let mut v = Vec::new();
            for (p, l) in self.links.iter().enumerate() {
                if l.alive && l.master == Some(bridge) && Some(p) != except {
                    match l.kind {
                        Kind::Veth { peer } => v.push(peer),
                        _ => v.push(p),
                    }
                }
            }
            v
        };
        match self.links[id].kind {
            Kind::Veth { peer } => {
                if let Some(bridge) = self.links[peer].master {
                    out.push(bridge);
                    out.extend(ports_of(bridge, Some(peer)));
                } else {
                    out.push(peer);
                }
            }
            Kind::Bridge => out.extend(ports_of(id, None)),
            Kind::Loopback | Kind::Other => {}
        }
        out.into_iter().filter(|&n| self.links[n].alive).collect()
    }

    /// Whether the link's whole way to a neighbour is up: both veth ends,
    /// the bridge and the port.
    fn path_up(&self, from: usize, to: usize) -> Result<(), usize> {
        let mut needed = vec![from, to];
        if let Kind::Veth { peer } = self.links[from].kind {
            needed.push(peer);
            if let Some(b) = self.links[peer].master {
                needed.push(b);
            }
        }
        if let Kind::Veth { peer } = self.links[to].kind {
            needed.push(peer);
        }
        for id in needed {
            if !self.links[id].up {
                return Err(id);
            }
        }
        Ok(())
    }

    /// Follows a packet from `ns` to `to`; Ok with the namespace that has
    /// the address.
    pub fn trace(&self, ns: &str, to: IpAddr) -> Result<String, Blocked> {
        let mut at = ns.to_string();
        for _ in 0..16 {
            if self.owns(&at, to) {
                return Ok(at);
            }
            if at != ns && !self.forwarding.contains(&at) {
                return Err(Blocked::NoForward { ns: at });
            }
            let (dev, via) = self.lookup(&at, to).ok_or_else(|| Blocked::NoRoute { ns: at.clone(), to })?;
            let Some(dev) = dev else { return Err(Blocked::NoRoute { ns: at.clone(), to }) };
            let hop = self
                .neighbours(dev)
                .into_iter()
                .find(|&n| self.links[n].addrs.iter().any(|a| a.ip() == via))
                .ok_or_else(|| Blocked::NoNeighbour { ns: at.clone(), via })?;
            self.path_up(dev, hop).map_err(|link| Blocked::Down { link })?;
            at = self.links[hop].ns.clone();
        }
        Err(Blocked::Loop)
    }

    /// The source address `ns` sends from towards `to`.
    pub fn source(&self, ns: &str, to: IpAddr) -> Option<IpAddr> {
        let (dev, _) = self.lookup(ns, to)?;
        let dev = dev?;
        self.links[dev].addrs.iter().find(|a| a.is_ipv4() == to.is_ipv4()).map(|a| a.ip())
    }
}
