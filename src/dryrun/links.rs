//! The dry run's model of link kinds, link settings, bridge options and
//! VLANs, fdb and neighbour entries and policy rules: what the kernel would
//! refuse is refused, and what it would list is listed. And the steps that
//! come after an `exec`, whose effects the model cannot know.

use std::net::IpAddr;

use super::world::{Link, State};
use crate::kernel::{
    FdbInfo, IpRuleInfo, KernelError, LinkInfo, NeighInfo, NexthopInfo, RouteInfo, VlanInfo, no_link,
};
use crate::ops::kinds::{BridgeOptions, LinkKind, LinkSettings, PortOptions};
use crate::ops::neighbours::{BridgeVlan, FdbEntry, NeighEntry};
use crate::ops::routing::{RuleAction, RuleSpec};
use crate::ops::{Netns, Op, RouteSpec};

fn failed(text: String) -> KernelError {
    KernelError::Failed(text)
}

/// What the model knows of a link beyond name, state, addresses and peer.
#[derive(Debug, Clone, Default)]
pub struct More {
    /// The link a VLAN, macvlan or VXLAN is made on (its id).
    pub parent: Option<u64>,
    /// Deleted when its parent is (VLANs, macvlans, VXLANs on their device).
    pub goes_with_parent: bool,
    pub details: Vec<(String, String)>,
    pub alias: String,
    pub txqueuelen: u32,
    pub promisc: bool,
    pub arp: bool,
    pub group: u32,
    pub bridge: Option<BridgeOptions>,
    pub port: PortOptions,
    pub vlans: Vec<BridgeVlan>,
}

impl More {
    fn new(kind: &str) -> More {
        let bridge = (kind == "bridge").then_some(BridgeOptions {
            stp: Some(false),
            forward_delay: Some(1500),
            ageing_time: Some(30000),
            vlan_filtering: Some(false),
            mcast_snooping: Some(true),
        });
        More { txqueuelen: 1000, arp: true, bridge, port: default_port(), ..More::default() }
    }

    pub fn from_info(info: &LinkInfo) -> More {
        let s = &info.settings;
        More {
            details: info.details.clone(),
            alias: s.alias.clone().unwrap_or_default(),
            txqueuelen: s.txqueuelen.unwrap_or(1000),
            promisc: s.promisc.unwrap_or(false),
            arp: s.arp.unwrap_or(true),
            group: s.group.unwrap_or(0),
            bridge: info.bridge.clone(),
            port: info.port.clone().unwrap_or_else(default_port),
            ..More::default()
        }
    }

    pub fn settings(&self, link: &Link) -> LinkSettings {
        LinkSettings {
            mac: Some(link.mac.clone()),
            alias: Some(self.alias.clone()),
            txqueuelen: Some(self.txqueuelen),
            promisc: Some(self.promisc),
            arp: Some(self.arp),
            group: Some(self.group),
        }
    }
}

fn default_port() -> PortOptions {
    PortOptions { learning: Some(true), flood: Some(true), hairpin: Some(false), isolated: Some(false) }
}

/// A namespace's policy rules, fdb and neighbour entries.
#[derive(Debug, Clone)]
pub struct Tables {
    rules: Vec<IpRuleInfo>,
    fdb: Vec<(u64, FdbEntry)>,
    neighbours: Vec<(u64, NeighEntry)>,
}

fn default_rules() -> Vec<IpRuleInfo> {
    let rule = |v6, priority, table| IpRuleInfo {
        priority,
        rule: RuleSpec {
            v6,
            priority: Some(priority),
            from: None,
            to: None,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            action: RuleAction::Lookup(table),
        },
    };
    vec![
        rule(false, 0, 255),
        rule(false, 32766, 254),
        rule(false, 32767, 253),
        rule(true, 0, 255),
        rule(true, 32766, 254),
    ]
}

impl Default for Tables {
    fn default() -> Self {
        Tables { rules: default_rules(), fdb: Vec::new(), neighbours: Vec::new() }
    }
}

impl Tables {
    pub fn forget_link(&mut self, id: u64) {
        self.fdb.retain(|(l, _)| *l != id);
        self.neighbours.retain(|(l, _)| *l != id);
    }

    pub fn rules(&self) -> Vec<IpRuleInfo> {
        let mut rules = self.rules.clone();
        rules.sort_by_key(|r| (r.rule.v6, r.priority));
        rules
    }
}

/// Whether a listed rule is the one a rule operation names.
fn same_rule(listed: &RuleSpec, asked: &RuleSpec) -> bool {
    let mut asked = asked.clone();
    if asked.priority.is_none() {
        asked.priority = listed.priority;
    }
    *listed == asked
}

fn kind_details(kind: &LinkKind) -> Vec<(String, String)> {
    let pair = |k: &str, v: String| (k.to_string(), v);
    match kind {
        LinkKind::Vxlan(v) => {
            let mut d = vec![pair("vni", v.vni.to_string())];
            if let Some(remote) = v.remote {
                d.push(pair("remote", remote.to_string()));
            }
            if let Some(group) = v.group {
                d.push(pair("group", group.to_string()));
            }
            if let Some(local) = v.local {
                d.push(pair("local", local.to_string()));
            }
            d.push(pair("dstport", v.dstport.to_string()));
            d.push(pair("learning", v.learning.to_string()));
            d
        }
        LinkKind::Vlan(v) => {
            vec![
                pair("vlan_id", v.id.to_string()),
                pair("protocol", if v.ad { "802.1ad" } else { "802.1Q" }.into()),
            ]
        }
        LinkKind::Macvlan(m) => vec![pair("mode", m.mode.word().to_string())],
        LinkKind::Vrf { table } => vec![pair("table", table.to_string())],
        _ => Vec::new(),
    }
}

/// The links `op` names, with the kind a stand-in for each would need.
fn named_links(op: &Op) -> Vec<(Netns, String, &'static str)> {
    let dev = |ns: &Netns, dev: &str| vec![(ns.clone(), dev.to_string(), "device")];
    match op {
        Op::LinkSetUp { ns, dev: d, .. }
        | Op::LinkSetMtu { ns, dev: d, .. }
        | Op::LinkRename { ns, dev: d, .. }
        | Op::LinkSetNetns { ns, dev: d, .. }
        | Op::LinkDel { ns, dev: d }
        | Op::AddrAdd { ns, dev: d, .. }
        | Op::AddrDel { ns, dev: d, .. }
        | Op::LinkSet { ns, dev: d, .. }
        | Op::BridgePortSet { ns, dev: d, .. }
        | Op::BridgeVlanAdd { ns, dev: d, .. }
        | Op::BridgeVlanDel { ns, dev: d, .. }
        | Op::FdbAdd { ns, dev: d, .. }
        | Op::FdbDel { ns, dev: d, .. }
        | Op::NeighAdd { ns, dev: d, .. }
        | Op::NeighDel { ns, dev: d, .. } => dev(ns, d),
        Op::BridgeSet { ns, dev: d, .. } => vec![(ns.clone(), d.clone(), "bridge")],
        Op::LinkSetMaster { ns, dev: d, master } => {
            let mut names = dev(ns, d);
            if let Some(m) = master {
                names.push((ns.clone(), m.clone(), "bridge"));
            }
            names
        }
        Op::RouteAdd { ns, route } | Op::RouteDel { ns, route } => route
            .dev
            .iter()
            .chain(route.nexthops.iter().filter_map(|h| h.dev.as_ref()))
            .flat_map(|d| dev(ns, d))
            .collect(),
        Op::LinkAdd { ns, kind, .. } => kind.parent().map(|p| dev(ns, p)).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// After an `exec`, what `op` names and the model does not know is taken
/// to be what that command made: stand-ins are put in its place. Returns
/// what was assumed, in words.
pub fn assume_unknown(state: &mut State, op: &Op) -> Vec<String> {
    let mut assumed = Vec::new();
    let creates = match op {
        Op::LinkAdd { name, ns, .. } | Op::BridgeAdd { name, ns } => Some((ns.clone(), name.clone())),
        _ => None,
    };
    for ns in op.namespaces() {
        if let Netns::Named(name) = ns
            && !state.spaces.contains_key(ns)
            && !matches!(op, Op::NetnsAdd { .. })
        {
            state.spaces.insert(ns.clone(), super::world::Space::default());
            let _ = state.new_link(ns, "lo", "loopback");
            assumed.push(format!("namespace '{name}'"));
        }
    }
    for (ns, dev, kind) in named_links(op) {
        if creates.as_ref() == Some(&(ns.clone(), dev.clone())) || state.link(&ns, &dev).is_ok() {
            continue;
        }
        if state.new_link(&ns, &dev, kind).is_ok() {
            if let Ok(link) = state.link_mut(&ns, &dev) {
                link.up = true;
                link.more = More::new(kind);
            }
            assumed.push(format!("link '{dev}'{}", ns.location()));
        }
    }
    assumed
}

fn vlan_filtering(state: &State, ns: &Netns, link: &Link) -> bool {
    let bridge = if link.kind == "bridge" {
        Some(link)
    } else {
        link.master.and_then(|m| state.space(ns).ok()?.links.iter().find(|l| l.id == m))
    };
    bridge.and_then(|b| b.more.bridge.as_ref()).and_then(|o| o.vlan_filtering).unwrap_or(false)
}

pub fn simulate(state: &mut State, op: &Op) -> Result<(), KernelError> {
    match op {
        Op::LinkAdd { ns, name, kind } => {
            let parent = match kind.parent() {
                Some(p) => Some(
                    state
                        .link(ns, p)
                        .map_err(|_| {
                            failed(format!(
                                "the parent link '{p}' of the {} does not exist in {ns}",
                                kind.word()
                            ))
                        })?
                        .id,
                ),
                None => None,
            };
            state.new_link(ns, name, kind.kernel_kind())?;
            let link = state.link_mut(ns, name)?;
            link.more = More::new(kind.kernel_kind());
            link.more.parent = parent;
            link.more.goes_with_parent = parent.is_some();
            link.more.details = kind_details(kind);
            if matches!(kind, LinkKind::Tunnel(_) | LinkKind::Wireguard(_) | LinkKind::Tun(_))
                && !matches!(kind, LinkKind::Tun(t) if t.tap)
            {
                link.mac = String::new();
            }
            if let LinkKind::Vrf { .. } = kind {
                link.mtu = 65575;
            }
        }
        Op::LinkSet { ns, dev, settings } => {
            let link = state.link_mut(ns, dev)?;
            if let Some(mac) = &settings.mac {
                link.mac = mac.clone();
            }
            let more = &mut link.more;
            if let Some(alias) = &settings.alias {
                more.alias = alias.clone();
            }
            if let Some(len) = settings.txqueuelen {
                more.txqueuelen = len;
            }
            if let Some(on) = settings.promisc {
                more.promisc = on;
            }
            if let Some(on) = settings.arp {
                more.arp = on;
            }
            if let Some(group) = settings.group {
                more.group = group;
            }
        }
        Op::BridgeSet { ns, dev, options } => {
            let link = state.link_mut(ns, dev)?;
            let Some(now) = link.more.bridge.as_mut() else {
                return Err(failed(format!("'{dev}' is not a bridge, or does not take these options")));
            };
            let merge = |new: Option<u32>, old: &mut Option<u32>| {
                if new.is_some() {
                    *old = new;
                }
            };
            let merge_bool = |new: Option<bool>, old: &mut Option<bool>| {
                if new.is_some() {
                    *old = new;
                }
            };
            merge_bool(options.stp, &mut now.stp);
            merge(options.forward_delay, &mut now.forward_delay);
            merge(options.ageing_time, &mut now.ageing_time);
            merge_bool(options.vlan_filtering, &mut now.vlan_filtering);
            merge_bool(options.mcast_snooping, &mut now.mcast_snooping);
            if options.vlan_filtering == Some(true) && link.more.vlans.is_empty() {
                link.more.vlans.push(BridgeVlan { vid: 1, pvid: true, untagged: true, bridge_self: false });
            }
        }
        Op::BridgePortSet { ns, dev, options } => {
            let space = state.space(ns)?;
            let link = space.links.iter().find(|l| &l.name == dev).ok_or_else(|| no_link(ns, dev))?;
            let on_bridge = link
                .master
                .and_then(|m| space.links.iter().find(|l| l.id == m))
                .is_some_and(|m| m.kind == "bridge");
            if !on_bridge {
                return Err(failed(format!("'{dev}' is not a port of a bridge")));
            }
            let port = &mut state.link_mut(ns, dev)?.more.port;
            for (new, old) in [
                (options.learning, &mut port.learning),
                (options.flood, &mut port.flood),
                (options.hairpin, &mut port.hairpin),
                (options.isolated, &mut port.isolated),
            ] {
                if new.is_some() {
                    *old = new;
                }
            }
        }
        Op::BridgeVlanAdd { ns, dev, vlan } | Op::BridgeVlanDel { ns, dev, vlan } => {
            let link = state.link(ns, dev)?;
            if !vlan_filtering(state, ns, link) && link.kind != "bridge" && link.master.is_none() {
                return Err(failed(format!("'{dev}' is not a bridge or a port of one")));
            }
            let add = matches!(op, Op::BridgeVlanAdd { .. });
            let link = state.link_mut(ns, dev)?;
            let vlans = &mut link.more.vlans;
            let had = vlans.iter().position(|v| v.vid == vlan.vid);
            if add {
                if vlan.pvid {
                    for v in vlans.iter_mut() {
                        v.pvid = false;
                    }
                }
                let entry = BridgeVlan { bridge_self: false, ..vlan.clone() };
                match had {
                    Some(at) => vlans[at] = entry,
                    None => vlans.push(entry),
                }
            } else {
                match had {
                    Some(at) => {
                        vlans.remove(at);
                    }
                    None => {
                        return Err(KernelError::NotFound(format!(
                            "'{dev}'{} has no VLAN {}",
                            ns.location(),
                            vlan.vid
                        )));
                    }
                }
            }
        }
        Op::FdbAdd { ns, dev, entry, append } => {
            let link = state.link(ns, dev)?;
            let id = link.id;
            if (entry.dst.is_some() || entry.vni.is_some()) && link.kind != "vxlan" {
                return Err(failed(format!(
                    "'{dev}' does not take this fdb entry: a destination (dst) or VNI needs a VXLAN; a bridge port needs master"
                )));
            }
            let tables = &mut state.space_mut(ns)?.tables;
            let same_mac =
                tables.fdb.iter().any(|(l, e)| *l == id && e.mac == entry.mac && e.master == entry.master);
            let same = tables.fdb.iter().any(|(l, e)| *l == id && e == entry);
            if (same_mac && !append) || same {
                return Err(failed(format!(
                    "'{dev}' has an fdb entry for {} already (fdb_append adds another destination)",
                    entry.mac
                )));
            }
            tables.fdb.push((id, entry.clone()));
        }
        Op::FdbDel { ns, dev, entry } => {
            let id = state.link(ns, dev)?.id;
            let tables = &mut state.space_mut(ns)?.tables;
            let before = tables.fdb.len();
            tables.fdb.retain(|(l, e)| {
                !(*l == id
                    && e.mac == entry.mac
                    && e.master == entry.master
                    && (entry.dst.is_none() || e.dst == entry.dst))
            });
            if tables.fdb.len() == before {
                return Err(KernelError::NotFound(format!(
                    "'{dev}'{} has no fdb entry {}",
                    ns.location(),
                    entry.describe()
                )));
            }
        }
        Op::NeighAdd { ns, dev, entry } => {
            let id = state.link(ns, dev)?.id;
            let tables = &mut state.space_mut(ns)?.tables;
            if tables.neighbours.iter().any(|(l, e)| *l == id && e.ip == entry.ip && e.proxy == entry.proxy) {
                return Err(failed(format!("'{dev}' has a neighbour entry for {} already", entry.ip)));
            }
            tables.neighbours.push((id, entry.clone()));
        }
        Op::NeighDel { ns, dev, entry } => {
            let id = state.link(ns, dev)?.id;
            let tables = &mut state.space_mut(ns)?.tables;
            let before = tables.neighbours.len();
            tables.neighbours.retain(|(l, e)| !(*l == id && e.ip == entry.ip && e.proxy == entry.proxy));
            if tables.neighbours.len() == before {
                return Err(KernelError::NotFound(format!(
                    "'{dev}'{} has no neighbour entry for {}",
                    ns.location(),
                    entry.ip
                )));
            }
        }
        Op::RuleAdd { ns, rule } => {
            let tables = &mut state.space_mut(ns)?.tables;
            let family: Vec<&IpRuleInfo> = tables.rules.iter().filter(|r| r.rule.v6 == rule.v6).collect();
            if family.iter().any(|r| same_rule(&r.rule, rule)) {
                return Err(failed(format!("the same rule is in {ns} already")));
            }
            // As the kernel does: just before the first rule after priority 0.
            let priority = rule.priority.unwrap_or_else(|| {
                family.iter().map(|r| r.priority).filter(|p| *p > 0).min().map_or(0, |p| p - 1)
            });
            tables
                .rules
                .push(IpRuleInfo { priority, rule: RuleSpec { priority: Some(priority), ..rule.clone() } });
        }
        Op::RuleDel { ns, rule } => {
            let tables = &mut state.space_mut(ns)?.tables;
            let Some(at) = tables.rules.iter().position(|r| same_rule(&r.rule, rule)) else {
                return Err(KernelError::NotFound(format!("no rule '{}' in {ns}", rule.describe())));
            };
            tables.rules.remove(at);
        }
        _ => unreachable!("not an operation of this model"),
    }
    Ok(())
}

/// Each next hop's gateway must be reachable, as for a plain route.
pub fn check_nexthops(state: &State, ns: &Netns, route: &RouteSpec) -> Result<(), KernelError> {
    let connected = state.connected(ns);
    let unreachable: Vec<String> = route
        .nexthops
        .iter()
        .filter(|h| !h.onlink)
        .filter_map(|h| h.via)
        .filter(|via| !connected.iter().any(|(net, _)| net.contains(*via)))
        .map(|via| via.to_string())
        .collect();
    for dev in route.nexthops.iter().filter_map(|h| h.dev.as_ref()) {
        state.link(ns, dev)?;
    }
    if unreachable.is_empty() {
        return Ok(());
    }
    let gateways: Vec<String> = route.nexthops.iter().filter_map(|h| h.via).map(|v| v.to_string()).collect();
    Err(failed(format!(
        "a gateway of the multipath route ({}) is not reachable from any route in {ns}: \
         give a link there an address in each gateway's subnet first (or mark the hop onlink)",
        gateways.join(", ")
    )))
}

fn dev_of(state: &State, ns: &Netns, via: IpAddr) -> Option<String> {
    state.connected(ns).into_iter().find(|(net, _)| net.contains(via)).map(|(_, dev)| dev)
}

pub fn route_info(state: &State, ns: &Netns, r: &RouteSpec) -> RouteInfo {
    RouteInfo {
        dst: r.describe_dst(),
        via: r.via,
        dev: r.dev.clone().or_else(|| r.via.and_then(|via| dev_of(state, ns, via))),
        v6: r.v6 || r.dst.is_some_and(|d| d.is_ipv6()),
        protocol: "boot".into(),
        scope: if r.via.is_none() && r.nexthops.is_empty() && r.kind.is_unicast() {
            "link"
        } else {
            "global"
        }
        .into(),
        metric: r.metric,
        table: r.table_id(),
        kind: r.kind.word().into(),
        src: r.src,
        nexthops: r
            .nexthops
            .iter()
            .map(|h| NexthopInfo {
                via: h.via,
                dev: h.dev.clone().or_else(|| h.via.and_then(|via| dev_of(state, ns, via))),
                weight: h.weight,
            })
            .collect(),
    }
}

fn name_of(state: &State, ns: &Netns, id: u64) -> Option<String> {
    state.space(ns).ok()?.links.iter().find(|l| l.id == id).map(|l| l.name.clone())
}

pub fn neighbours(state: &State, ns: &Netns) -> Result<Vec<NeighInfo>, KernelError> {
    let space = state.space(ns)?;
    Ok(space
        .tables
        .neighbours
        .iter()
        .filter_map(|(id, e)| {
            Some(NeighInfo {
                dev: name_of(state, ns, *id)?,
                ip: e.ip,
                lladdr: e.lladdr.clone(),
                proxy: e.proxy,
                state: if e.proxy {
                    "PROXY"
                } else if e.permanent {
                    "PERMANENT"
                } else {
                    "REACHABLE"
                }
                .into(),
            })
        })
        .collect())
}

pub fn fdb(state: &State, ns: &Netns, dev: Option<&str>) -> Result<Vec<FdbInfo>, KernelError> {
    if let Some(dev) = dev {
        state.link(ns, dev)?;
    }
    let space = state.space(ns)?;
    Ok(space
        .tables
        .fdb
        .iter()
        .filter_map(|(id, e)| {
            let name = name_of(state, ns, *id)?;
            (dev.is_none_or(|d| d == name)).then(|| FdbInfo {
                dev: name,
                entry: e.clone(),
                state: if e.permanent { "permanent" } else { "static" }.into(),
            })
        })
        .collect())
}

pub fn bridge_vlans(state: &State, ns: &Netns) -> Result<Vec<VlanInfo>, KernelError> {
    let space = state.space(ns)?;
    Ok(space
        .links
        .iter()
        .filter(|l| vlan_filtering(state, ns, l))
        .flat_map(|l| l.more.vlans.iter().map(|v| VlanInfo { dev: l.name.clone(), vlan: v.clone() }))
        .collect())
}
