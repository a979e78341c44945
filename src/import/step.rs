//! What the tutorial's commands do, in import's own vocabulary: close to the
//! script API, one step per call, each with the line it came from. Names
//! and addresses stay `Arg`s, so that a value made of shell variables is
//! written back as the parameters they became.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::shell::Arg;

/// Where a step acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ns {
    Host,
    Named(Arg),
}

impl Ns {
    pub fn named(name: &str) -> Ns {
        Ns::Named(Arg::lit(name))
    }

    /// The namespace's name; `None` for the host.
    pub fn name(&self) -> Option<&str> {
        match self {
            Ns::Host => None,
            Ns::Named(arg) => Some(&arg.value),
        }
    }

    /// "the host" or "namespace 'x'", for messages.
    pub fn describe(&self) -> String {
        match self {
            Ns::Host => "the host".into(),
            Ns::Named(arg) => format!("namespace '{}'", arg.value),
        }
    }

    /// "x" or "host", for short messages.
    pub fn label(&self) -> &str {
        self.name().unwrap_or("host")
    }

    pub fn same(&self, other: &Ns) -> bool {
        self.name() == other.name()
    }
}

/// A route as `ip route` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `None` for the default route.
    pub dst: Option<Arg>,
    pub via: Option<Arg>,
    pub dev: Option<Arg>,
    pub metric: Option<u32>,
    /// IPv6 (`ip -6 route add default dev x`).
    pub v6: bool,
    /// Other options (table, type, onlink, src, mtu), in route_add's map.
    pub extra: Vec<(String, Value)>,
}

impl Route {
    pub fn dst_net(&self) -> Option<IpNetwork> {
        self.dst.as_ref().and_then(|d| net_of(&d.value))
    }

    pub fn via_ip(&self) -> Option<IpAddr> {
        self.via.as_ref().and_then(|v| v.value.parse().ok())
    }

    pub fn describe(&self) -> String {
        let mut text = self.dst.as_ref().map_or("default".to_string(), |d| d.value.clone());
        if let Some(via) = &self.via {
            text.push_str(&format!(" via {}", via.value));
        }
        if let Some(dev) = &self.dev {
            text.push_str(&format!(" dev {}", dev.value));
        }
        text
    }
}

/// "10.0.0.1/24", "10.0.0.0/24" or "10.0.0.1" (a /32) as a network.
pub fn net_of(text: &str) -> Option<IpNetwork> {
    if text.contains('/') { text.parse().ok() } else { text.parse::<IpAddr>().ok().map(IpNetwork::from) }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `ipv6: false`: IPv6 off inside, as `netns_add(name, #{ipv6: false})`.
    NetnsAdd {
        name: Arg,
        ipv6: bool,
    },
    NetnsDel {
        name: Arg,
    },
    /// A veth pair: `name` in `ns`, `peer` in `peer_ns`.
    VethAdd {
        ns: Ns,
        name: Arg,
        peer_ns: Ns,
        peer: Arg,
    },
    BridgeAdd {
        ns: Ns,
        name: Arg,
    },
    LinkUp {
        ns: Ns,
        dev: Arg,
        up: bool,
    },
    LinkMaster {
        ns: Ns,
        dev: Arg,
        master: Option<Arg>,
    },
    LinkNetns {
        ns: Ns,
        dev: Arg,
        target: Ns,
    },
    LinkRename {
        ns: Ns,
        dev: Arg,
        new: Arg,
    },
    LinkMtu {
        ns: Ns,
        dev: Arg,
        mtu: u32,
    },
    LinkDel {
        ns: Ns,
        dev: Arg,
    },
    AddrAdd {
        ns: Ns,
        dev: Arg,
        addr: Arg,
    },
    AddrDel {
        ns: Ns,
        dev: Arg,
        addr: Arg,
    },
    RouteAdd {
        ns: Ns,
        route: Route,
    },
    RouteDel {
        ns: Ns,
        route: Route,
    },
    Sysctl {
        ns: Ns,
        key: String,
        value: Arg,
    },
    /// Source NAT of `subnet` (None: every source) out of `out` (None:
    /// every interface).
    Masquerade {
        ns: Ns,
        subnet: Option<Arg>,
        out: Option<Arg>,
    },
    /// One accept rule of the forward chain; `replies`: only established
    /// and related traffic.
    Forward {
        ns: Ns,
        from: Arg,
        to: Arg,
        replies: bool,
    },
    /// Both: forwarded out, and replies back.
    ForwardAccept {
        ns: Ns,
        from: Arg,
        to: Arg,
    },
    PortForward {
        ns: Ns,
        proto: String,
        port: u16,
        to: String,
        iif: Option<Arg>,
    },
    /// Source NAT of `subnet` out of `out` to the address `to`.
    Snat {
        ns: Ns,
        subnet: Arg,
        out: Arg,
        to: String,
    },
    /// A port arriving here sent to another port of this namespace.
    Redirect {
        ns: Ns,
        proto: String,
        port: u16,
        to_port: u16,
        iif: Option<Arg>,
    },
    /// The policy of a filter chain (`input`, `forward`, `output`).
    Policy {
        ns: Ns,
        chain: String,
        verdict: String,
    },
    /// A filter rule, as rule_add's map: keys and values in order.
    Filter {
        ns: Ns,
        chain: String,
        keys: Vec<(String, Value)>,
    },
    /// A rule as nft's own text, in one of the five chains.
    RawRule {
        ns: Ns,
        chain: String,
        text: String,
        counter: Option<String>,
    },
    /// A reachability check.
    Ping {
        ns: Ns,
        target: Arg,
    },
    /// Another program, run inside the namespace (in the background: a
    /// process of the lab).
    Exec {
        ns: Ns,
        command: Arg,
        background: bool,
    },
    /// A background process given as words (netscript's own dry run prints
    /// start_process so).
    Process {
        ns: Ns,
        argv: Vec<Arg>,
    },
    /// A file of a node, written whole (`path` as the node sees it).
    NodeFile {
        ns: Ns,
        path: String,
        content: String,
    },
    /// A listener of the lab's, for probes (`netscript listen tcp 80`).
    Listen {
        ns: Ns,
        proto: String,
        port: u16,
    },
    /// A call of the script API that takes values as they are: link kinds
    /// (dummy, vlan, macvlan, vxlan, vrf), link settings, policy routing,
    /// neighbours, fdb entries and bridge VLANs. `args` come first, then the
    /// options map when it has any keys.
    Call {
        ns: Ns,
        func: String,
        args: Vec<Value>,
        opts: Vec<(String, Value)>,
    },
    /// A program run as words, as netscript's own dry run prints exec().
    ExecWords {
        ns: Ns,
        argv: Vec<Arg>,
    },
    /// A command that only looks at the lab.
    Look {
        ns: Ns,
        command: String,
    },
    /// A command netscript does not model, run as written.
    NotModelled {
        ns: Ns,
        command: Arg,
        why: String,
    },
}

impl Step {
    /// The namespace a step acts in.
    pub fn ns(&self) -> Option<&Ns> {
        match self {
            Step::NetnsAdd { .. } | Step::NetnsDel { .. } => None,
            Step::VethAdd { ns, .. }
            | Step::BridgeAdd { ns, .. }
            | Step::LinkUp { ns, .. }
            | Step::LinkMaster { ns, .. }
            | Step::LinkNetns { ns, .. }
            | Step::LinkRename { ns, .. }
            | Step::LinkMtu { ns, .. }
            | Step::LinkDel { ns, .. }
            | Step::AddrAdd { ns, .. }
            | Step::AddrDel { ns, .. }
            | Step::RouteAdd { ns, .. }
            | Step::RouteDel { ns, .. }
            | Step::Sysctl { ns, .. }
            | Step::Masquerade { ns, .. }
            | Step::Forward { ns, .. }
            | Step::ForwardAccept { ns, .. }
            | Step::PortForward { ns, .. }
            | Step::Snat { ns, .. }
            | Step::Redirect { ns, .. }
            | Step::Policy { ns, .. }
            | Step::Filter { ns, .. }
            | Step::RawRule { ns, .. }
            | Step::Ping { ns, .. }
            | Step::Exec { ns, .. }
            | Step::Process { ns, .. }
            | Step::Call { ns, .. }
            | Step::ExecWords { ns, .. }
            | Step::Listen { ns, .. }
            | Step::NodeFile { ns, .. }
            | Step::Look { ns, .. }
            | Step::NotModelled { ns, .. } => Some(ns),
        }
    }

    /// The link a step acts on, if it acts on one.
    pub fn dev(&self) -> Option<&Arg> {
        match self {
            Step::LinkUp { dev, .. }
            | Step::LinkMaster { dev, .. }
            | Step::LinkNetns { dev, .. }
            | Step::LinkRename { dev, .. }
            | Step::LinkMtu { dev, .. }
            | Step::LinkDel { dev, .. }
            | Step::AddrAdd { dev, .. }
            | Step::AddrDel { dev, .. } => Some(dev),
            _ => None,
        }
    }
}

/// A value of a filter rule's map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(u32),
    Bool(bool),
    /// An interface name, which may be the uplink parameter.
    Dev(Arg),
    List(Vec<Value>),
}

/// A step and where it came from.
#[derive(Clone, Debug)]
pub struct Item {
    /// The tutorial's line.
    pub line: usize,
    /// The command as the tutorial wrote it.
    pub text: String,
    pub step: Step,
    /// Comments the script carries above the step: what import changed, and why.
    pub notes: Vec<String>,
}

impl Item {
    pub fn new(line: usize, text: &str, step: Step) -> Item {
        Item { line, text: text.to_string(), step, notes: Vec::new() }
    }
}
