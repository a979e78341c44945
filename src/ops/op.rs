use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::Rule;
use super::shape::{RootQdisc, Shape};

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
/// an optional gateway and an optional device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub dst: Option<IpNetwork>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
    /// Address family, for a default route without gateway ("default dev x").
    pub v6: bool,
}

impl RouteSpec {
    pub fn describe_dst(&self) -> String {
        match self.dst {
            None => "default".to_string(),
            Some(net) => net.to_string(),
        }
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
    FirewallAdd {
        ns: Netns,
        rule: Rule,
    },
    FirewallDel {
        ns: Netns,
        rule: Rule,
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
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. }
            | Op::LinkDel { ns, dev }
            | Op::AddrAdd { ns, dev, .. }
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
                if let Some(dev) = &route.dev {
                    check_ifname(dev)?;
                }
                if let (Some(dst), Some(via)) = (route.dst, route.via)
                    && dst.is_ipv4() != via.is_ipv4()
                {
                    return Err(format!(
                        "gateway {via} and destination {dst} are of different address families"
                    ));
                }
                Ok(())
            }
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
            Op::FirewallAdd { ns, rule } | Op::FirewallDel { ns, rule } => {
                ns_ok(ns)?;
                for dev in rule.interfaces() {
                    check_ifname(dev)?;
                    if dev.contains('"') {
                        return Err(format!(
                            "interface name '{dev}' contains '\"', which nft rules cannot hold"
                        ));
                    }
                }
                Ok(())
            }
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
            Op::ProcessStart { .. } => "process start",
            Op::ProcessStop { .. } => "process stop",
            Op::LinkShape { .. } => "link shape",
            Op::LinkUnshape { .. } => "link unshape",
            Op::QdiscRestore { .. } => "qdisc restore",
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
            | Op::ProcessStart { ns, .. }
            | Op::LinkShape { ns, .. }
            | Op::LinkUnshape { ns, .. }
            | Op::QdiscRestore { ns, .. } => vec![ns],
        }
    }

    /// What the operation does, in words, for error messages and reports.
    pub fn describe(&self) -> String {
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
            Op::FirewallAdd { ns, rule } => format!("{}{}", rule.describe(), at(ns)),
            Op::FirewallDel { ns, rule } => format!("remove the rule to {}{}", rule.describe(), at(ns)),
            Op::ProcessStart { ns, argv, .. } => format!("start `{}`{}", argv.join(" "), at(ns)),
            Op::ProcessStop { pid, .. } => format!("stop process {pid}"),
            Op::LinkShape { ns, dev, shape } => {
                format!("shape link '{dev}'{} to {}", at(ns), shape.summary())
            }
            Op::LinkUnshape { ns, dev } => format!("remove the shaping of link '{dev}'{}", at(ns)),
            Op::QdiscRestore { ns, dev, prior, .. } => {
                format!("put back qdisc {} on link '{dev}'{}", prior.describe(), at(ns))
            }
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
    words
}
