use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::files::{FileBefore, MAX_FILE, NodePath};
use super::filter::{Hook, Policy};
use super::kinds::{BridgeOptions, LinkKind, LinkSettings, PortOptions};
use super::neighbours::{BridgeVlan, FdbEntry, NeighEntry};
use super::routing::{Nexthop, RouteKind, RuleSpec, TABLE_MAIN};
use super::shape::{RootQdisc, Shape};
use super::{Rule, firewall};

/// Where an operation happens: the namespace netscript runs in, or a named
/// namespace (a bind mount under /run/netns, as `ip netns add` makes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Netns {
    Host,
    Named(String),
}

impl Netns {
    /// " in namespace 'x'" (nothing for the host), to end a sentence with.
    pub fn location(&self) -> String {
        match self {
            Netns::Host => String::new(),
            Netns::Named(name) => format!(" in namespace '{name}'"),
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Netns::Host => None,
            Netns::Named(name) => Some(name),
        }
    }
}

impl fmt::Display for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Netns::Host => write!(f, "the host namespace"),
            Netns::Named(name) => write!(f, "namespace '{name}'"),
        }
    }
}

/// A route as `ip route add` takes it: a destination (None for default),
/// an optional gateway and an optional device; and for policy routing a
/// table, a type, next hops with weights and the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub dst: Option<IpNetwork>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
    /// Address family, for a default route without gateway ("default dev x").
    pub v6: bool,
    /// None: the main table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    #[serde(default, skip_serializing_if = "RouteKind::is_unicast")]
    pub kind: RouteKind,
    /// A multipath route's paths (then `via` and `dev` are None).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nexthops: Vec<Nexthop>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub onlink: bool,
    /// The source address for what the route carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
}

impl RouteSpec {
    pub fn describe_dst(&self) -> String {
        match self.dst {
            None => "default".to_string(),
            Some(net) => net.to_string(),
        }
    }

    /// The table, the main one when none is given.
    pub fn table_id(&self) -> u32 {
        self.table.unwrap_or(TABLE_MAIN)
    }

    /// Checks what a route's fields say together.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(dev) = &self.dev {
            super::check_ifname(dev)?;
        }
        if let (Some(dst), Some(via)) = (self.dst, self.via)
            && dst.is_ipv4() != via.is_ipv4()
        {
            return Err(format!("gateway {via} and destination {dst} are of different address families"));
        }
        if self.table == Some(0) {
            return Err("table 0 is not a routing table".into());
        }
        if !self.kind.is_unicast() && (self.via.is_some() || self.dev.is_some() || !self.nexthops.is_empty())
        {
            return Err(format!("a {} route has no gateway or device", self.kind.word()));
        }
        if !self.nexthops.is_empty() && (self.via.is_some() || self.dev.is_some()) {
            return Err("a multipath route gives its gateways in its next hops, not beside them".into());
        }
        let v6 = self.dst.map(|d| d.is_ipv6()).unwrap_or(self.v6);
        for hop in &self.nexthops {
            hop.validate()?;
            if let Some(via) = hop.via
                && via.is_ipv6() != v6
            {
                return Err(format!("next hop {via} is of another address family than the route"));
            }
        }
        if self.onlink && self.via.is_none() {
            return Err("onlink needs a gateway (via)".into());
        }
        if let Some(src) = self.src
            && src.is_ipv6() != v6
        {
            return Err(format!("source {src} is of another address family than the route"));
        }
        if let Some(mtu) = self.mtu
            && mtu < 68
        {
            return Err(format!("mtu {mtu} is below 68, the least IPv4 allows"));
        }
        Ok(())
    }
}

/// One change to the kernel's network state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    NetnsAdd {
        name: String,
        lo_up: bool,
        /// False: IPv6 off inside (no link-local addresses, no duplicate
        /// address detection or MLD chatter: big flat labs build much faster).
        #[serde(default = "yes")]
        ipv6: bool,
    },
    NetnsDel {
        name: String,
    },
    VethAdd {
        ns: Netns,
        name: String,
        peer_ns: Netns,
        peer: String,
    },
    BridgeAdd {
        ns: Netns,
        name: String,
    },
    LinkSetUp {
        ns: Netns,
        dev: String,
        up: bool,
    },
    LinkSetMaster {
        ns: Netns,
        dev: String,
        master: Option<String>,
    },
    LinkSetNetns {
        ns: Netns,
        dev: String,
        target: Netns,
    },
    LinkRename {
        ns: Netns,
        dev: String,
        new_name: String,
    },
    LinkSetMtu {
        ns: Netns,
        dev: String,
        mtu: u32,
    },
    LinkDel {
        ns: Netns,
        dev: String,
    },
    AddrAdd {
        ns: Netns,
        dev: String,
        addr: IpNetwork,
    },
    AddrDel {
        ns: Netns,
        dev: String,
        addr: IpNetwork,
    },
    RouteAdd {
        ns: Netns,
        route: RouteSpec,
    },
    RouteDel {
        ns: Netns,
        route: RouteSpec,
    },
    /// Write a sysctl as seen from inside the namespace.
    SysctlSet {
        ns: Netns,
        key: String,
        value: String,
    },
    /// Adds a rule to netscript's table, as lab `lab`'s (its comment says so).
    FirewallAdd {
        ns: Netns,
        lab: String,
        rule: Rule,
    },
    /// Removes lab `lab`'s copy of a rule; what it leaves empty of netscript's goes too.
    FirewallDel {
        ns: Netns,
        lab: String,
        rule: Rule,
    },
    /// Sets the policy of a filter chain of netscript's table.
    ChainPolicy {
        ns: Netns,
        chain: Hook,
        policy: Policy,
    },
    /// A background process of the lab, output to `log`.
    ProcessStart {
        ns: Netns,
        argv: Vec<String>,
        log: String,
    },
    /// Stops a process group started by the lab, known by pid and start time.
    ProcessStop {
        pid: u32,
        start: u64,
    },
    /// A link of any other kind: vxlan, vlan, macvlan, dummy, tun, vrf, ...
    LinkAdd {
        ns: Netns,
        name: String,
        kind: LinkKind,
    },
    /// MAC address, alias, txqueuelen, promisc, arp, group.
    LinkSet {
        ns: Netns,
        dev: String,
        settings: LinkSettings,
    },
    BridgeSet {
        ns: Netns,
        dev: String,
        options: BridgeOptions,
    },
    BridgePortSet {
        ns: Netns,
        dev: String,
        options: PortOptions,
    },
    BridgeVlanAdd {
        ns: Netns,
        dev: String,
        vlan: BridgeVlan,
    },
    BridgeVlanDel {
        ns: Netns,
        dev: String,
        vlan: BridgeVlan,
    },
    /// `bridge fdb add`, or with `append` another destination for the MAC.
    FdbAdd {
        ns: Netns,
        dev: String,
        entry: FdbEntry,
        #[serde(default)]
        append: bool,
    },
    FdbDel {
        ns: Netns,
        dev: String,
        entry: FdbEntry,
    },
    RuleAdd {
        ns: Netns,
        rule: RuleSpec,
    },
    RuleDel {
        ns: Netns,
        rule: RuleSpec,
    },
    NeighAdd {
        ns: Netns,
        dev: String,
        entry: NeighEntry,
    },
    NeighDel {
        ns: Netns,
        dev: String,
        entry: NeighEntry,
    },
    /// Shapes what leaves the link: its root qdisc becomes `shape`.
    LinkShape {
        ns: Netns,
        dev: String,
        shape: Shape,
    },
    /// Removes the link's own root qdisc: the kernel's default comes back.
    LinkUnshape {
        ns: Netns,
        dev: String,
    },
    /// Undoes shaping a link the lab did not make: puts back the root
    /// qdisc it had, if the one there is still the lab's (`ours`; None for
    /// the kernel's default). Only ever an undo, derived by the journal.
    QdiscRestore {
        ns: Netns,
        dev: String,
        ours: Option<Shape>,
        prior: RootQdisc,
    },
    /// Writes a file of a node, at `path` as the node's processes see it
    /// (beneath /etc or /run), making the directories it needs.
    FileWrite {
        ns: Netns,
        path: String,
        content: String,
        mode: u32,
    },
    /// Puts a node's file back as it was before the lab wrote it. Only ever
    /// an undo, derived by the journal.
    FileRestore {
        ns: Netns,
        path: String,
        before: FileBefore,
    },
    /// Runs a command for an effect netscript does not model, and records
    /// the command that undoes it, sealed with this machine's key so that
    /// no ledger written by anyone else can name a command for `down`.
    Exec {
        ns: Netns,
        argv: Vec<String>,
        undo: Vec<String>,
        seal: String,
        #[serde(default = "exec_timeout")]
        timeout_ms: u64,
    },
    /// The undo of an `Exec`. Only ever an undo, derived by the journal.
    ExecUndo {
        ns: Netns,
        argv: Vec<String>,
        seal: String,
    },
}

fn exec_timeout() -> u64 {
    10_000
}

/// A seal as `lab::key` makes it: 64 hex digits (empty in a dry run).
fn check_seal(seal: &str) -> Result<(), String> {
    if seal.is_empty() || (seal.len() == 64 && seal.bytes().all(|b| b.is_ascii_hexdigit())) {
        Ok(())
    } else {
        Err("its seal is not one netscript makes".into())
    }
}

/// A command's words, as a ledger may hold them.
fn check_argv(argv: &[String]) -> Result<(), String> {
    if argv.is_empty() || argv[0].is_empty() {
        return Err("no command given".into());
    }
    if argv.iter().any(|w| w.contains('\0')) || argv.iter().map(String::len).sum::<usize>() > 64 * 1024 {
        return Err("a command's words are at most 64 KiB, without NUL".into());
    }
    Ok(())
}

fn yes() -> bool {
    true
}

impl Op {
    /// Checks what can be checked before the kernel sees the request.
    pub fn validate(&self) -> Result<(), String> {
        use super::{check_ifname, check_netns_name};
        let ns_ok = |ns: &Netns| match ns {
            Netns::Host => Ok(()),
            Netns::Named(name) => check_netns_name(name),
        };
        match self {
            Op::NetnsAdd { name, .. } | Op::NetnsDel { name } => check_netns_name(name),
            Op::VethAdd { ns, name, peer_ns, peer } => {
                ns_ok(ns)?;
                ns_ok(peer_ns)?;
                check_ifname(name)?;
                check_ifname(peer)?;
                if name == peer && ns == peer_ns {
                    return Err(format!("both ends of the veth pair are named '{name}'"));
                }
                Ok(())
            }
            Op::BridgeAdd { ns, name } => ns_ok(ns).and(check_ifname(name)),
            Op::AddrAdd { ns, dev, addr } => {
                ns_ok(ns)?;
                check_ifname(dev)?;
                if addr.ip().is_unspecified() {
                    return Err(format!(
                        "{addr} is no address for a link: {} stands for any address; give one like {}",
                        addr.ip(),
                        if addr.is_ipv4() { "10.0.0.1/24" } else { "fd00::1/64" }
                    ));
                }
                Ok(())
            }
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. }
            | Op::LinkDel { ns, dev }
            | Op::AddrDel { ns, dev, .. } => ns_ok(ns).and(check_ifname(dev)),
            Op::LinkSetMaster { ns, dev, master } => {
                ns_ok(ns)?;
                check_ifname(dev)?;
                master.as_deref().map_or(Ok(()), check_ifname)
            }
            Op::LinkSetNetns { ns, dev, target } => {
                ns_ok(ns)?;
                ns_ok(target)?;
                check_ifname(dev)
            }
            Op::LinkRename { ns, dev, new_name } => {
                ns_ok(ns)?;
                check_ifname(dev)?;
                check_ifname(new_name)
            }
            Op::RouteAdd { ns, route } | Op::RouteDel { ns, route } => {
                ns_ok(ns)?;
                route.validate()
            }
            Op::LinkAdd { ns, name, kind } => {
                ns_ok(ns)?;
                check_ifname(name)?;
                kind.validate()
            }
            Op::LinkSet { ns, dev, settings } => ns_ok(ns).and(check_ifname(dev)).and(settings.validate()),
            Op::BridgeSet { ns, dev, options } => ns_ok(ns).and(check_ifname(dev)).and(options.validate()),
            Op::BridgePortSet { ns, dev, options } => {
                ns_ok(ns).and(check_ifname(dev)).and(options.validate())
            }
            Op::BridgeVlanAdd { ns, dev, vlan } | Op::BridgeVlanDel { ns, dev, vlan } => {
                ns_ok(ns).and(check_ifname(dev)).and(vlan.validate())
            }
            Op::FdbAdd { ns, dev, entry, .. } | Op::FdbDel { ns, dev, entry } => {
                ns_ok(ns).and(check_ifname(dev)).and(entry.validate())
            }
            Op::RuleAdd { ns, rule } | Op::RuleDel { ns, rule } => ns_ok(ns).and(rule.validate()),
            Op::NeighAdd { ns, dev, entry } => ns_ok(ns).and(check_ifname(dev)).and(entry.validate(true)),
            Op::NeighDel { ns, dev, entry } => ns_ok(ns).and(check_ifname(dev)).and(entry.validate(false)),
            Op::SysctlSet { ns, key, value } => {
                ns_ok(ns)?;
                super::check_sysctl_scope(key, ns.name().is_some())?;
                if value.len() > 4096 || value.contains('\0') {
                    return Err(format!("'{}' is not a value for {key}", value.escape_debug()));
                }
                Ok(())
            }
            Op::ProcessStart { ns, argv, .. } => {
                ns_ok(ns)?;
                if argv.is_empty() || argv[0].is_empty() {
                    return Err("no command given".into());
                }
                Ok(())
            }
            Op::FileWrite { ns, path, content, mode } => {
                let Netns::Named(_) = ns else {
                    return Err("files are a node's: write them in a namespace (ns.write_file(...))".into());
                };
                ns_ok(ns)?;
                NodePath::parse(path)?;
                if content.len() > MAX_FILE {
                    return Err(format!(
                        "{} bytes; a node's file holds at most {} MiB",
                        content.len(),
                        MAX_FILE >> 20
                    ));
                }
                if *mode > 0o7777 {
                    return Err(format!("mode {mode:o} is not a file mode"));
                }
                Ok(())
            }
            Op::FileRestore { ns, path, before } => {
                let Netns::Named(_) = ns else { return Err("files are a node's".into()) };
                ns_ok(ns)?;
                before.validate(&NodePath::parse(path)?)
            }
            Op::Exec { ns, argv, undo, seal, .. } => {
                ns_ok(ns)?;
                check_argv(argv)?;
                check_argv(undo).map_err(|why| format!("its undo: {why}"))?;
                check_seal(seal)
            }
            Op::ExecUndo { ns, argv, seal } => {
                ns_ok(ns)?;
                check_argv(argv)?;
                check_seal(seal)
            }
            Op::ProcessStop { pid, start } => {
                if *pid <= 1 || *pid > i32::MAX as u32 || *start == 0 {
                    return Err(format!("process {pid} (started at {start}) cannot be a lab's"));
                }
                Ok(())
            }
            Op::LinkShape { ns, dev, shape } => {
                ns_ok(ns)?;
                check_ifname(dev)?;
                shape.validate()
            }
            Op::LinkUnshape { ns, dev } => ns_ok(ns).and(check_ifname(dev)),
            Op::QdiscRestore { ns, dev, ours, prior } => {
                ns_ok(ns)?;
                check_ifname(dev)?;
                ours.as_ref().map_or(Ok(()), Shape::validate)?;
                prior.validate()
            }
            Op::FirewallAdd { ns, lab, rule } | Op::FirewallDel { ns, lab, rule } => {
                ns_ok(ns)?;
                firewall::check_owner(lab)?;
                rule.validate()
            }
            Op::ChainPolicy { ns, chain, .. } => {
                ns_ok(ns)?;
                if chain.is_nat() {
                    return Err(format!(
                        "'{chain}' is netscript's NAT chain; policies are for input, forward and output"
                    ));
                }
                Ok(())
            }
        }
    }

    /// The lab a firewall operation acts for: its rules are that lab's.
    pub fn rule_owner(&self) -> Option<&str> {
        match self {
            Op::FirewallAdd { lab, .. } | Op::FirewallDel { lab, .. } => Some(lab),
            _ => None,
        }
    }

    /// A short name of the kind of operation, for profiles.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::NetnsAdd { .. } => "netns add",
            Op::NetnsDel { .. } => "netns del",
            Op::VethAdd { .. } => "veth add",
            Op::BridgeAdd { .. } => "bridge add",
            Op::LinkSetUp { .. } => "link up/down",
            Op::LinkSetMaster { .. } => "link master",
            Op::LinkSetNetns { .. } => "link netns",
            Op::LinkRename { .. } => "link rename",
            Op::LinkSetMtu { .. } => "link mtu",
            Op::LinkDel { .. } => "link del",
            Op::AddrAdd { .. } => "addr add",
            Op::AddrDel { .. } => "addr del",
            Op::RouteAdd { .. } => "route add",
            Op::RouteDel { .. } => "route del",
            Op::SysctlSet { .. } => "sysctl",
            Op::FirewallAdd { .. } => "firewall add",
            Op::FirewallDel { .. } => "firewall del",
            Op::ChainPolicy { .. } => "firewall policy",
            Op::ProcessStart { .. } => "process start",
            Op::ProcessStop { .. } => "process stop",
            Op::LinkAdd { .. } => "link add",
            Op::LinkSet { .. } => "link set",
            Op::BridgeSet { .. } => "bridge options",
            Op::BridgePortSet { .. } => "bridge port options",
            Op::BridgeVlanAdd { .. } => "bridge vlan add",
            Op::BridgeVlanDel { .. } => "bridge vlan del",
            Op::FdbAdd { .. } => "fdb add",
            Op::FdbDel { .. } => "fdb del",
            Op::RuleAdd { .. } => "rule add",
            Op::RuleDel { .. } => "rule del",
            Op::NeighAdd { .. } => "neigh add",
            Op::NeighDel { .. } => "neigh del",
            Op::LinkShape { .. } => "link shape",
            Op::LinkUnshape { .. } => "link unshape",
            Op::QdiscRestore { .. } => "qdisc restore",
            Op::FileWrite { .. } => "file write",
            Op::FileRestore { .. } => "file restore",
            Op::Exec { .. } => "exec",
            Op::ExecUndo { .. } => "exec undo",
        }
    }

    /// The namespaces an operation touches.
    pub fn namespaces(&self) -> Vec<&Netns> {
        match self {
            Op::NetnsAdd { .. } | Op::NetnsDel { .. } | Op::ProcessStop { .. } => vec![],
            Op::VethAdd { ns, peer_ns, .. } => vec![ns, peer_ns],
            Op::LinkSetNetns { ns, target, .. } => vec![ns, target],
            Op::BridgeAdd { ns, .. }
            | Op::LinkSetUp { ns, .. }
            | Op::LinkSetMaster { ns, .. }
            | Op::LinkRename { ns, .. }
            | Op::LinkSetMtu { ns, .. }
            | Op::LinkDel { ns, .. }
            | Op::AddrAdd { ns, .. }
            | Op::AddrDel { ns, .. }
            | Op::RouteAdd { ns, .. }
            | Op::RouteDel { ns, .. }
            | Op::SysctlSet { ns, .. }
            | Op::FirewallAdd { ns, .. }
            | Op::FirewallDel { ns, .. }
            | Op::ChainPolicy { ns, .. }
            | Op::ProcessStart { ns, .. }
            | Op::LinkAdd { ns, .. }
            | Op::LinkSet { ns, .. }
            | Op::BridgeSet { ns, .. }
            | Op::BridgePortSet { ns, .. }
            | Op::BridgeVlanAdd { ns, .. }
            | Op::BridgeVlanDel { ns, .. }
            | Op::FdbAdd { ns, .. }
            | Op::FdbDel { ns, .. }
            | Op::RuleAdd { ns, .. }
            | Op::RuleDel { ns, .. }
            | Op::NeighAdd { ns, .. }
            | Op::NeighDel { ns, .. }
            | Op::LinkShape { ns, .. }
            | Op::LinkUnshape { ns, .. }
            | Op::QdiscRestore { ns, .. }
            | Op::FileWrite { ns, .. }
            | Op::FileRestore { ns, .. }
            | Op::Exec { ns, .. }
            | Op::ExecUndo { ns, .. } => vec![ns],
        }
    }

    /// What the operation does, in words, for error messages and reports;
    /// a name with a NUL or a newline in it shows it as an escape.
    pub fn describe(&self) -> String {
        super::names::shown(&self.words())
    }

    fn words(&self) -> String {
        let at = Netns::location;
        match self {
            Op::NetnsAdd { name, .. } => format!("add namespace '{name}'"),
            Op::NetnsDel { name } => format!("delete namespace '{name}'"),
            Op::VethAdd { ns, name, peer_ns, peer } => {
                format!("add veth pair '{name}'{} <-> '{peer}'{}", at(ns), at(peer_ns))
            }
            Op::BridgeAdd { ns, name } => format!("add bridge '{name}'{}", at(ns)),
            Op::LinkSetUp { ns, dev, up } => {
                format!("set link '{dev}'{} {}", at(ns), if *up { "up" } else { "down" })
            }
            Op::LinkSetMaster { ns, dev, master: Some(m) } => {
                format!("attach link '{dev}'{} to bridge '{m}'", at(ns))
            }
            Op::LinkSetMaster { ns, dev, master: None } => {
                format!("detach link '{dev}'{} from its bridge", at(ns))
            }
            Op::LinkSetNetns { ns, dev, target } => {
                format!("move link '{dev}'{} into {target}", at(ns))
            }
            Op::LinkRename { ns, dev, new_name } => {
                format!("rename link '{dev}'{} to '{new_name}'", at(ns))
            }
            Op::LinkSetMtu { ns, dev, mtu } => format!("set mtu {mtu} on link '{dev}'{}", at(ns)),
            Op::LinkDel { ns, dev } => format!("delete link '{dev}'{}", at(ns)),
            Op::AddrAdd { ns, dev, addr } => format!("add address {addr} to '{dev}'{}", at(ns)),
            Op::AddrDel { ns, dev, addr } => {
                format!("delete address {addr} from '{dev}'{}", at(ns))
            }
            Op::RouteAdd { ns, route } => format!("add route {}{}", route_words(route), at(ns)),
            Op::RouteDel { ns, route } => format!("delete route {}{}", route_words(route), at(ns)),
            Op::SysctlSet { ns, key, value } => format!("set {key} = {value}{}", at(ns)),
            Op::FirewallAdd { ns, rule, .. } => format!("{}{}", rule.describe(), at(ns)),
            Op::FirewallDel { ns, rule, .. } => format!("{}{}", rule.removal(), at(ns)),
            Op::ChainPolicy { ns, chain, policy } => {
                format!("set the policy of chain {chain} to {policy}{}", at(ns))
            }
            Op::ProcessStart { ns, argv, .. } => format!("start `{}`{}", argv.join(" "), at(ns)),
            Op::ProcessStop { pid, .. } => format!("stop process {pid}"),
            Op::LinkAdd { ns, name, kind } => {
                format!("add {} '{name}'{}{}", kind.word(), kind.describe(), at(ns))
            }
            Op::LinkSet { ns, dev, settings } => {
                format!("set {} on link '{dev}'{}", settings.describe(), at(ns))
            }
            Op::BridgeSet { ns, dev, .. } => format!("set the options of bridge '{dev}'{}", at(ns)),
            Op::BridgePortSet { ns, dev, .. } => format!("set the bridge port options of '{dev}'{}", at(ns)),
            Op::BridgeVlanAdd { ns, dev, vlan } => format!("add VLAN {} to '{dev}'{}", vlan.vid, at(ns)),
            Op::BridgeVlanDel { ns, dev, vlan } => {
                format!("delete VLAN {} from '{dev}'{}", vlan.vid, at(ns))
            }
            Op::FdbAdd { ns, dev, entry, .. } => {
                format!("add fdb entry {} on '{dev}'{}", entry.describe(), at(ns))
            }
            Op::FdbDel { ns, dev, entry } => {
                format!("delete fdb entry {} from '{dev}'{}", entry.describe(), at(ns))
            }
            Op::RuleAdd { ns, rule } => format!("add rule '{}'{}", rule.describe(), at(ns)),
            Op::RuleDel { ns, rule } => format!("delete rule '{}'{}", rule.describe(), at(ns)),
            Op::NeighAdd { ns, dev, entry } => {
                format!("add neighbour {} on '{dev}'{}", entry.ip, at(ns))
            }
            Op::NeighDel { ns, dev, entry } => {
                format!("delete neighbour {} from '{dev}'{}", entry.ip, at(ns))
            }
            Op::LinkShape { ns, dev, shape } => {
                format!("shape link '{dev}'{} to {}", at(ns), shape.summary())
            }
            Op::LinkUnshape { ns, dev } => format!("remove the shaping of link '{dev}'{}", at(ns)),
            Op::QdiscRestore { ns, dev, prior, .. } => {
                format!("put back qdisc {} on link '{dev}'{}", prior.describe(), at(ns))
            }
            Op::FileWrite { ns, path, .. } => format!("write {path}{}", at(ns)),
            Op::FileRestore { ns, path, before } => match before.content {
                Some(_) => format!("put back {path}{}", at(ns)),
                None => format!("remove {path}{}", at(ns)),
            },
            Op::Exec { ns, argv, undo, .. } => {
                format!("run `{}`{} (undone by `{}`)", argv.join(" "), at(ns), undo.join(" "))
            }
            Op::ExecUndo { ns, argv, .. } => format!("run the undo `{}`{}", argv.join(" "), at(ns)),
        }
    }
}

fn route_words(route: &RouteSpec) -> String {
    let mut words = route.describe_dst();
    if let Some(via) = route.via {
        words.push_str(&format!(" via {via}"));
    }
    if let Some(dev) = &route.dev {
        words.push_str(&format!(" dev {dev}"));
    }
    if let Some(table) = route.table {
        words.push_str(&format!(" table {table}"));
    }
    words
}
