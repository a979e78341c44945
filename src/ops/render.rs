//! Renders operations as the iproute2 commands a person would type. The
//! output is a runnable shell script: the host namespace, which has no name
//! under /run/netns, is named by the shell's own PID (`netns $$`).

use super::firewall::{TABLE, chains_of, declaration};
use super::{Netns, Op, RouteSpec};

impl Op {
    /// The iproute2 commands equivalent to this operation, one per line.
    pub fn render(&self) -> Vec<String> {
        match self {
            Op::NetnsAdd { name, lo_up, ipv6 } => {
                let mut lines = vec![format!("ip netns add {}", quote(name))];
                if !ipv6 {
                    let off = "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; \
                               echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6";
                    lines.push(format!("ip netns exec {} sh -c {}", quote(name), quote(off)));
                }
                if *lo_up {
                    lines.push(format!("ip -n {} link set dev lo up", quote(name)));
                }
                lines
            }
            Op::NetnsDel { name } => vec![format!("ip netns del {}", quote(name))],
            Op::VethAdd { ns, name, peer_ns, peer } => {
                let mut line =
                    format!("{}link add {} type veth peer name {}", ip(ns), quote(name), quote(peer));
                if peer_ns != ns {
                    line.push_str(&format!(" netns {}", ns_arg(peer_ns)));
                }
                vec![line]
            }
            Op::BridgeAdd { ns, name } => {
                vec![format!("{}link add {} type bridge", ip(ns), quote(name))]
            }
            Op::LinkSetUp { ns, dev, up } => {
                vec![format!("{}link set dev {} {}", ip(ns), quote(dev), if *up { "up" } else { "down" })]
            }
            Op::LinkSetMaster { ns, dev, master } => vec![match master {
                Some(m) => format!("{}link set dev {} master {}", ip(ns), quote(dev), quote(m)),
                None => format!("{}link set dev {} nomaster", ip(ns), quote(dev)),
            }],
            Op::LinkSetNetns { ns, dev, target } => {
                vec![format!("{}link set dev {} netns {}", ip(ns), quote(dev), ns_arg(target))]
            }
            Op::LinkRename { ns, dev, new_name } => {
                vec![format!("{}link set dev {} name {}", ip(ns), quote(dev), quote(new_name))]
            }
            Op::LinkSetMtu { ns, dev, mtu } => {
                vec![format!("{}link set dev {} mtu {mtu}", ip(ns), quote(dev))]
            }
            Op::LinkDel { ns, dev } => vec![format!("{}link del dev {}", ip(ns), quote(dev))],
            Op::AddrAdd { ns, dev, addr } => {
                let nodad = if addr.is_ipv6() { " nodad" } else { "" };
                vec![format!("{}addr add {addr} dev {}{nodad}", ip(ns), quote(dev))]
            }
            Op::AddrDel { ns, dev, addr } => {
                vec![format!("{}addr del {addr} dev {}", ip(ns), quote(dev))]
            }
            Op::RouteAdd { ns, route } => vec![route_cmd(ns, "add", route)],
            Op::RouteDel { ns, route } => vec![route_cmd(ns, "del", route)],
            // Straight to /proc/sys: no sysctl program needed.
            Op::SysctlSet { ns, key, value } => {
                let write = format!("echo {} > /proc/sys/{}", quote(value), key.replace('.', "/"));
                vec![match ns {
                    Netns::Host => write,
                    Netns::Named(_) => format!("{}sh -c {}", exec(ns), quote(&write)),
                }]
            }
            Op::FirewallAdd { ns, lab, rule } => {
                let nft = rule.nft_rules(lab);
                let mut script = declaration(&chains_of(&nft), None);
                for nft in nft {
                    script.push_str(&nft.add_command());
                    script.push('\n');
                }
                vec![format!("{}nft -f - <<'NFT'\n{script}NFT", exec(ns))]
            }
            Op::ProcessStart { ns, argv, log } => {
                let words: Vec<String> = argv.iter().map(|w| quote(w)).collect();
                vec![format!("{}setsid {} >{} 2>&1 </dev/null &", in_node(ns), words.join(" "), quote(log))]
            }
            Op::ProcessStop { pid, .. } => vec![format!("kill -TERM -- -{pid}")],
            Op::LinkAdd { ns, name, kind } => kind.render(&ip(ns), name),
            Op::LinkSet { ns, dev, settings } => vec![settings.render(&ip(ns), dev)],
            Op::BridgeSet { ns, dev, options } => vec![options.render(&ip(ns), dev)],
            Op::BridgePortSet { ns, dev, options } => vec![options.render(&exec(ns), dev)],
            Op::BridgeVlanAdd { ns, dev, vlan } => vec![vlan.render(&exec(ns), "add", dev)],
            Op::BridgeVlanDel { ns, dev, vlan } => vec![vlan.render(&exec(ns), "del", dev)],
            Op::FdbAdd { ns, dev, entry, append } => {
                vec![entry.render(&exec(ns), if *append { "append" } else { "add" }, dev)]
            }
            Op::FdbDel { ns, dev, entry } => vec![entry.render(&exec(ns), "del", dev)],
            Op::RuleAdd { ns, rule } => vec![rule.render(&ip(ns), "add")],
            Op::RuleDel { ns, rule } => vec![rule.render(&ip(ns), "del")],
            Op::NeighAdd { ns, dev, entry } => vec![entry.render(&ip(ns), "add", dev)],
            Op::NeighDel { ns, dev, entry } => vec![entry.render(&ip(ns), "del", dev)],
            Op::LinkShape { ns, dev, shape } => {
                vec![format!("{}qdisc replace dev {} root {}", tc(ns), quote(dev), shape.tc_args())]
            }
            Op::LinkUnshape { ns, dev } => vec![format!("{}qdisc del dev {} root", tc(ns), quote(dev))],
            Op::QdiscRestore { ns, dev, prior, .. } => vec![match prior.tc_args() {
                Some(args) => format!("{}qdisc replace dev {} root {args}", tc(ns), quote(dev)),
                None => format!("{}qdisc del dev {} root", tc(ns), quote(dev)),
            }],
            Op::FileWrite { ns, path, content, mode } => file_lines(ns, path, Some((content, *mode))),
            Op::FileRestore { ns, path, before } => {
                file_lines(ns, path, before.content.as_deref().map(|c| (c, before.mode)))
            }
            Op::Exec { ns, argv, undo, .. } => vec![
                format!("{}{}", in_node(ns), words(argv)),
                format!("# undone by: {}{}", in_node(ns), words(undo)),
            ],
            Op::ExecUndo { ns, argv, .. } => vec![format!("{}{}", in_node(ns), words(argv))],
            // nft deletes a rule by handle; find it by the comment netscript gave it.
            Op::ChainPolicy { ns, chain, policy } => {
                vec![format!("{}nft -f - <<'NFT'\n{}NFT", exec(ns), declaration(&[*chain], Some(*policy)))]
            }
            Op::FirewallDel { ns, lab, rule } => rule
                .nft_rules(lab)
                .into_iter()
                .map(|nft| {
                    let chain = nft.chain.name();
                    format!(
                        "{x}nft delete rule inet {TABLE} {chain} handle \"$({x}nft -a list chain inet {TABLE} {chain} \
                         | grep -F {} | sed 's/.*# handle //')\"",
                        quote(&format!("comment \"{}\"", nft.comment)),
                        x = exec(ns)
                    )
                })
                .collect(),
        }
    }
}

pub(super) fn ip(ns: &Netns) -> String {
    match ns {
        Netns::Host => "ip ".to_string(),
        Netns::Named(name) => format!("ip -n {} ", quote(name)),
    }
}

/// tc, in the namespace (`tc -n` as `ip -n`).
fn tc(ns: &Netns) -> String {
    match ns {
        Netns::Host => "tc ".to_string(),
        Netns::Named(name) => format!("tc -n {} ", quote(name)),
    }
}

/// Runs a command inside a namespace, for what `ip -n` does not cover.
fn words(argv: &[String]) -> String {
    argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// A node's file written with its content (a here-document when it is
/// lines of text), or removed when there is none.
fn file_lines(ns: &Netns, path: &str, content: Option<(&str, u32)>) -> Vec<String> {
    let (Some(node), Ok(path)) = (ns.name(), super::files::NodePath::parse(path)) else {
        return vec![format!("# {path}: not a node's file")];
    };
    let on_machine = path.on_machine(node).display().to_string();
    let Some((content, mode)) = content else {
        return vec![format!("rm -f {}", quote(&on_machine))];
    };
    let dir = path.on_machine(node).parent().map(|d| d.display().to_string()).unwrap_or_default();
    let mark = "NETSCRIPT_FILE";
    let write = if content.ends_with('\n') && !content.lines().any(|line| line == mark) {
        format!("cat > {} <<'{mark}'\n{content}{mark}", quote(&on_machine))
    } else {
        format!("printf '%s' {} > {}", quote(content), quote(&on_machine))
    };
    vec![format!("mkdir -p {}", quote(&dir)), write, format!("chmod {mode:o} {}", quote(&on_machine))]
}

/// What `ip netns exec` does not do of a node's environment, as a shell
/// script: the node's own /run (where netscript keeps one) and hostname.
pub fn node_script(node: &str) -> String {
    let run = super::files::base(super::files::Area::Run, node).display().to_string();
    let hostname = super::files::base(super::files::Area::Etc, node).join("hostname").display().to_string();
    format!(
        "r={}; [ ! -d \"$r\" ] || mount --bind \"$r\" /run; h={}; [ ! -f \"$h\" ] || hostname \"$(head -n 1 \"$h\")\"; exec \"$@\"",
        quote(&run),
        quote(&hostname)
    )
}

/// The words that run a program in a node as netscript runs it there:
/// `ip netns exec` (its /etc files, its /sys) in a mount and UTS namespace
/// of its own with the node's /run and hostname. Nothing for the host.
pub fn in_node(ns: &Netns) -> String {
    match ns {
        Netns::Host => String::new(),
        Netns::Named(name) => {
            format!("ip netns exec {} unshare -m -u sh -c {} - ", quote(name), quote(&node_script(name)))
        }
    }
}

pub(super) fn exec(ns: &Netns) -> String {
    match ns {
        Netns::Host => String::new(),
        Netns::Named(name) => format!("ip netns exec {} ", quote(name)),
    }
}

fn ns_arg(ns: &Netns) -> String {
    match ns {
        Netns::Host => "$$".to_string(),
        Netns::Named(name) => quote(name),
    }
}

fn route_cmd(ns: &Netns, verb: &str, route: &RouteSpec) -> String {
    let family = if route.dst.is_none() && route.via.is_none() && route.v6 { "-6 " } else { "" };
    let kind = if route.kind.is_unicast() { String::new() } else { format!("{} ", route.kind.word()) };
    let mut line = format!("{}{family}route {verb} {kind}{}", ip(ns), route.describe_dst());
    if let Some(via) = route.via {
        line.push_str(&format!(" via {via}"));
    }
    if let Some(dev) = &route.dev {
        line.push_str(&format!(" dev {}", quote(dev)));
    }
    if let Some(table) = route.table {
        line.push_str(&format!(" table {table}"));
    }
    if let Some(src) = route.src {
        line.push_str(&format!(" src {src}"));
    }
    if let Some(metric) = route.metric {
        line.push_str(&format!(" metric {metric}"));
    }
    if let Some(mtu) = route.mtu {
        line.push_str(&format!(" mtu {mtu}"));
    }
    if route.onlink {
        line.push_str(" onlink");
    }
    for hop in &route.nexthops {
        line.push(' ');
        line.push_str(&hop.render());
    }
    line
}

/// Quotes a word for the shell when it holds anything but plain characters.
pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    #[test]
    fn namespaces_and_links() {
        let op = Op::NetnsAdd { name: "red".into(), lo_up: true, ipv6: true };
        assert_eq!(op.render(), ["ip netns add red", "ip -n red link set dev lo up"]);
        let op =
            Op::VethAdd { ns: Netns::Host, name: "veth0".into(), peer_ns: named("red"), peer: "eth0".into() };
        assert_eq!(op.render(), ["ip link add veth0 type veth peer name eth0 netns red"]);
        let op = Op::VethAdd { ns: named("red"), name: "a".into(), peer_ns: Netns::Host, peer: "b".into() };
        assert_eq!(op.render(), ["ip -n red link add a type veth peer name b netns $$"]);
        let op = Op::LinkSetMaster { ns: Netns::Host, dev: "v0".into(), master: Some("br0".into()) };
        assert_eq!(op.render(), ["ip link set dev v0 master br0"]);
    }

    #[test]
    fn addresses_and_routes() {
        let op = Op::AddrAdd {
            ns: named("web-ns"),
            dev: "eth0-web".into(),
            addr: "192.168.15.5/24".parse().unwrap(),
        };
        assert_eq!(op.render(), ["ip -n web-ns addr add 192.168.15.5/24 dev eth0-web"]);
        let route = RouteSpec {
            dst: None,
            via: Some("192.168.15.1".parse().unwrap()),
            dev: None,
            metric: None,
            v6: false,
            ..RouteSpec::default()
        };
        let op = Op::RouteAdd { ns: named("db-ns"), route };
        assert_eq!(op.render(), ["ip -n db-ns route add default via 192.168.15.1"]);
        let route = RouteSpec {
            dst: None,
            via: None,
            dev: Some("v0".into()),
            metric: Some(5),
            v6: true,
            ..RouteSpec::default()
        };
        let op = Op::RouteDel { ns: Netns::Host, route };
        assert_eq!(op.render(), ["ip -6 route del default dev v0 metric 5"]);
    }

    #[test]
    fn odd_names_are_quoted() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a;b"), "'a;b'");
        assert_eq!(quote("veth-1.2"), "veth-1.2");
    }

    #[test]
    fn firewall_steps_are_nft_scripts() {
        use crate::ops::{Hook, Policy, Rule};
        let op = Op::ChainPolicy { ns: named("r"), chain: Hook::Forward, policy: Policy::Drop };
        assert_eq!(
            op.render(),
            ["ip netns exec r nft -f - <<'NFT'\ntable inet netscript {\n  comment \"made by netscript\"\n  \
              chain forward { type filter hook forward priority filter; policy drop; comment \"made by netscript\"; }\n}\nNFT"]
        );
        let rule = Rule::MasqueradeOut { out: "up0".into() };
        let add = Op::FirewallAdd { ns: Netns::Host, lab: "l".into(), rule: rule.clone() };
        let text = &add.render()[0];
        assert!(text.starts_with("nft -f - <<'NFT'\ntable inet netscript {"), "{text}");
        assert!(text.ends_with(
            "add rule inet netscript postrouting oifname \"up0\" masquerade comment \"netscript/l: masquerade out up0\"\nNFT"
        ));
        let del = Op::FirewallDel { ns: Netns::Host, lab: "l".into(), rule };
        assert!(
            del.render()[0].contains("grep -F 'comment \"netscript/l: masquerade out up0\"'"),
            "{:?}",
            del.render()
        );
    }

    #[test]
    fn shaping_is_tc() {
        use crate::ops::shape::Percent;
        use crate::ops::{RootQdisc, Shape};
        let shape = Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 };
        let op = Op::LinkShape { ns: named("site-a"), dev: "wan".into(), shape: shape.clone() };
        assert_eq!(
            op.render(),
            ["tc -n site-a qdisc replace dev wan root tbf rate 10mbit burst 15140b limit 77640b"]
        );
        let op = Op::LinkUnshape { ns: Netns::Host, dev: "eth1".into() };
        assert_eq!(op.render(), ["tc qdisc del dev eth1 root"]);
        let back =
            |prior| Op::QdiscRestore { ns: Netns::Host, dev: "eth1".into(), ours: None, prior }.render();
        assert_eq!(back(RootQdisc::Default { kind: "noqueue".into() }), ["tc qdisc del dev eth1 root"]);
        let fifo = RootQdisc::Set {
            kind: "pfifo".into(),
            handle: 0x0001_0000,
            options: 100u32.to_ne_bytes().to_vec(),
        };
        assert_eq!(back(fifo), ["tc qdisc replace dev eth1 root handle 1: pfifo limit 100"]);
        let netem = Shape::Netem {
            delay: 40_000_000,
            jitter: 0,
            loss: Percent(1_500_000),
            duplicate: Percent(0),
            corrupt: Percent(0),
            reorder: Percent(0),
            limit: 1000,
            rate: None,
        };
        let options = crate::ops::tc_options::encode(&netem);
        let set = RootQdisc::Set { kind: "netem".into(), handle: 0x8001_0000, options };
        assert_eq!(back(set), ["tc qdisc replace dev eth1 root handle 8001: netem delay 40ms loss 1.5%"]);
    }

    #[test]
    fn sysctls_go_to_proc() {
        let op = Op::SysctlSet { ns: named("r"), key: "net.ipv4.ip_forward".into(), value: "1".into() };
        assert_eq!(op.render(), ["ip netns exec r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'"]);
        let op = Op::SysctlSet { ns: Netns::Host, key: "net.ipv4.ip_forward".into(), value: "0".into() };
        assert_eq!(op.render(), ["echo 0 > /proc/sys/net/ipv4/ip_forward"]);
    }
}
