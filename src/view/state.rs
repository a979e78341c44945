//! `netscript show`: the state of each namespace of a lab as the kernel
//! has it. These structs are the JSON shape `show --json` prints (README,
//! "Seeing a lab"); fields are only ever added to them, not renamed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::snapshot::Snapshot;
use crate::kernel::{AddrInfo, Network, QdiscInfo, RouteInfo};
use crate::ops::firewall::{TABLE, owner};
use crate::ops::{Netns, Op};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabState {
    pub lab: String,
    /// The script that built the lab, when known.
    pub script: Option<String>,
    /// The host first (when the lab has links, rules or settings there),
    /// then the lab's namespaces in the order they were made.
    pub namespaces: Vec<NamespaceState>,
    /// Namespaces of the lab that no longer exist.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceState {
    /// The namespace's name; "host" for the namespace netscript runs in.
    pub name: String,
    pub host: bool,
    /// Made by the lab: then everything in it is listed, lo too. Elsewhere
    /// (the host) only the lab's links, and the routes through them.
    pub owned: bool,
    pub links: Vec<LinkState>,
    pub routes: Vec<RouteState>,
    pub forwarding: Forwarding,
    /// This lab's rules in netscript's nftables table (`inet netscript`) here.
    pub rules: Vec<RuleState>,
    /// The chains of netscript's table that hold this lab's rules or whose
    /// policy it set (all of them in a namespace the lab made).
    #[serde(default)]
    pub chains: Vec<ChainState>,
    /// In a namespace the lab made: the other nftables tables there, which
    /// may drop traffic too, and the rules netscript's table holds that are
    /// not this lab's.
    #[serde(default)]
    pub other_tables: Vec<OtherTable>,
    /// Policy routing rules (`ip rule`) besides the kernel's three, as
    /// `ip rule` prints them; on the host, those this lab added.
    #[serde(default)]
    pub ip_rules: Vec<String>,
    /// Routes of tables other than main and local.
    #[serde(default)]
    pub other_routes: Vec<RouteState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    pub name: String,
    /// accept or drop
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherTable {
    /// "inet filter"; "inet netscript" for rules of netscript's table that are not this lab's.
    pub table: String,
    pub rules: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    pub name: String,
    pub index: u32,
    /// veth, bridge, loopback, device, ...
    pub kind: String,
    /// Operational state, as `ip` prints it: UP, DOWN, LOWERLAYERDOWN, UNKNOWN.
    pub state: String,
    /// Set up by an administrator.
    pub up: bool,
    pub mtu: u32,
    pub mac: String,
    pub master: Option<String>,
    /// A veth's other end.
    pub peer: Option<PeerState>,
    pub addresses: Vec<AddressState>,
    /// The link a VLAN, macvlan or VXLAN is made on.
    #[serde(default)]
    pub parent: Option<String>,
    /// The key options of its kind: vni, remote, vlan_id, mode, table, ...
    #[serde(default)]
    pub details: std::collections::BTreeMap<String, String>,
    /// Its root qdisc: what shapes what it sends.
    #[serde(default)]
    pub qdisc: Option<QdiscState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QdiscState {
    /// tbf, netem, noqueue, fq_codel, ...
    pub kind: String,
    /// "4e53:"; "0:" for the kernel's own.
    pub handle: String,
    /// The kernel's own qdisc, which a link gets by itself.
    pub default: bool,
    /// For tbf and netem, the parameters by name, as tc writes them.
    pub parameters: BTreeMap<String, String>,
    /// As tc takes it: "netem delay 40ms loss 1.5% rate 10mbit", or its kind.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerState {
    /// Where the other end is: a namespace name, "host", or null when
    /// netscript cannot tell (it is outside the lab).
    pub namespace: Option<String>,
    /// Its name; `ifN` (its index) when the namespace is unknown.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressState {
    /// "10.0.0.1/24", "fd00::1/64"
    pub address: String,
    /// "inet" or "inet6"
    pub family: String,
    /// global, link, host, ...
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteState {
    /// "default" or a prefix.
    pub dst: String,
    pub via: Option<String>,
    pub dev: Option<String>,
    /// "inet" or "inet6"
    pub family: String,
    pub protocol: String,
    pub scope: String,
    pub metric: Option<u32>,
    /// The routing table (254 is main).
    #[serde(default = "main_table")]
    pub table: u32,
    /// unicast, blackhole, unreachable, prohibit, ...
    #[serde(default = "unicast")]
    #[serde(rename = "type")]
    pub kind: String,
}

fn main_table() -> u32 {
    crate::ops::routing::TABLE_MAIN
}

fn unicast() -> String {
    "unicast".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarding {
    pub ipv4: bool,
    pub ipv6: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleState {
    /// prerouting, postrouting or forward.
    pub chain: String,
    /// Match and action, as `nft list` prints them.
    pub rule: String,
    pub comment: Option<String>,
}

fn place_name(ns: &Netns) -> String {
    ns.name().unwrap_or("host").to_string()
}

fn family(v6: bool) -> String {
    if v6 { "inet6" } else { "inet" }.into()
}

impl LabState {
    /// Reads the state of a lab from the kernel (or any Network).
    pub fn read(
        lab: &str,
        script: Option<String>,
        applied: &[Op],
        net: &dyn Network,
    ) -> Result<LabState, String> {
        let snapshot = Snapshot::read(lab, applied, net)?;
        let mut namespaces = Vec::new();
        for place in &snapshot.places {
            let ns = &place.ns;
            // The lab's own rules and policies, by their comments and chains.
            let has_rules = applied.iter().any(|op| matches!(op, Op::FirewallAdd { ns: at, .. } if at == ns));
            let policies: Vec<&str> = applied
                .iter()
                .filter_map(|op| match op {
                    Op::ChainPolicy { ns: at, chain, .. } if at == ns => Some(chain.name()),
                    _ => None,
                })
                .collect();
            let has_settings =
                applied.iter().any(|op| matches!(op, Op::SysctlSet { ns: at, .. } if at == ns));
            let links: Vec<usize> =
                (0..place.links.len()).filter(|&l| place.shown[l] || place.owned).collect();
            if !place.owned && links.is_empty() && !has_rules && policies.is_empty() && !has_settings {
                continue;
            }
            let names: Vec<&str> = links.iter().map(|&l| place.links[l].name.as_str()).collect();
            let addrs = net.addrs(ns, None).map_err(|err| format!("cannot read addresses in {ns}: {err}"))?;
            let routes = net.routes(ns).map_err(|err| format!("cannot read routes in {ns}: {err}"))?;
            let table = net.firewall_table(ns).map_err(|err| format!("cannot read rules in {ns}: {err}"))?;
            let ours = |comment: &Option<String>| comment.as_deref().and_then(owner) == Some(lab);
            let mut other_tables = Vec::new();
            if place.owned {
                let others =
                    net.firewall_tables(ns).map_err(|err| format!("cannot read tables in {ns}: {err}"))?;
                other_tables.extend(
                    others
                        .into_iter()
                        .map(|t| OtherTable { table: format!("{} {}", t.family, t.name), rules: t.rules }),
                );
                let foreign = table.rules().filter(|(_, r)| !ours(&r.comment)).count();
                if foreign > 0 {
                    other_tables.push(OtherTable { table: format!("inet {TABLE}"), rules: foreign });
                }
            }
            let on = |key: &str| net.sysctl_get(ns, key).is_ok_and(|v| v.trim() == "1");
            let own_rules: Vec<&crate::ops::routing::RuleSpec> = applied
                .iter()
                .filter_map(|op| match op {
                    Op::RuleAdd { ns: at, rule } if at == ns => Some(rule),
                    _ => None,
                })
                .collect();
            let ip_rules: Vec<String> = net
                .ip_rules(ns)
                .unwrap_or_default()
                .into_iter()
                .filter(|r| {
                    !(r.rule.from.is_none()
                        && r.rule.to.is_none()
                        && r.rule.iif.is_none()
                        && r.rule.oif.is_none()
                        && r.rule.fwmark.is_none())
                })
                .filter(|r| {
                    place.owned
                        || own_rules.iter().any(|mine| {
                            let mut mine = (*mine).clone();
                            mine.priority = mine.priority.or(r.rule.priority);
                            mine == r.rule
                        })
                })
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.priority,
                        r.rule
                            .render("", "x")
                            .trim_start_matches("-6 ")
                            .trim_start_matches("rule x ")
                            .trim_start_matches(&format!("priority {} ", r.priority))
                    )
                })
                .collect();
            let other_routes: Vec<RouteState> = net
                .routes_in(ns, None)
                .unwrap_or_default()
                .iter()
                .filter(|r| {
                    r.table != crate::ops::routing::TABLE_MAIN && r.table != crate::ops::routing::TABLE_LOCAL
                })
                .filter(|r| place.owned || r.dev.as_deref().is_some_and(|d| names.contains(&d)))
                .map(route_state)
                .collect();
            namespaces.push(NamespaceState {
                name: place_name(ns),
                host: *ns == Netns::Host,
                owned: place.owned,
                links: links
                    .iter()
                    .map(|&l| {
                        let link = &place.links[l];
                        let peer = link.peer.as_ref().map(|raw| match place.peers[l] {
                            Some((q, o)) => PeerState {
                                namespace: Some(place_name(&snapshot.places[q].ns)),
                                name: snapshot.places[q].links[o].name.clone(),
                            },
                            None => PeerState { namespace: None, name: raw.clone() },
                        });
                        LinkState {
                            name: link.name.clone(),
                            index: link.index,
                            kind: link.kind.clone(),
                            state: link.state.clone(),
                            up: link.up,
                            mtu: link.mtu,
                            mac: link.mac.clone(),
                            master: link.master.clone(),
                            peer,
                            parent: link.parent.clone(),
                            details: link.details.iter().cloned().collect(),
                            addresses: addrs
                                .iter()
                                .filter(|a| a.dev == link.name)
                                .map(address_state)
                                .collect(),
                            qdisc: place.qdiscs[l].as_ref().map(qdisc_state),
                        }
                    })
                    .collect(),
                routes: routes
                    .iter()
                    .filter(|r| place.owned || r.dev.as_deref().is_some_and(|d| names.contains(&d)))
                    .map(route_state)
                    .collect(),
                forwarding: Forwarding {
                    ipv4: on("net.ipv4.ip_forward"),
                    ipv6: on("net.ipv6.conf.all.forwarding"),
                },
                ip_rules,
                other_routes,
                rules: table
                    .rules()
                    .filter(|(_, r)| ours(&r.comment))
                    .map(|(c, r)| RuleState {
                        chain: c.name.clone(),
                        rule: r.text.clone(),
                        comment: r.comment.clone(),
                    })
                    .collect(),
                chains: table
                    .chains
                    .iter()
                    .filter(|c| {
                        place.owned
                            || policies.contains(&c.name.as_str())
                            || c.rules.iter().any(|r| ours(&r.comment))
                    })
                    .filter_map(|c| Some(ChainState { name: c.name.clone(), policy: c.policy?.to_string() }))
                    .collect(),
                other_tables,
            });
        }
        Ok(LabState { lab: lab.to_string(), script, namespaces, missing: snapshot.missing })
    }
}

fn qdisc_state(qdisc: &QdiscInfo) -> QdiscState {
    let parameters = qdisc
        .shape()
        .map(|shape| shape.parameters().into_iter().map(|(name, value)| (name.to_string(), value)).collect())
        .unwrap_or_default();
    QdiscState {
        kind: qdisc.kind.clone(),
        handle: crate::ops::shape::handle_text(qdisc.handle),
        default: qdisc.is_default(),
        parameters,
        text: qdisc.text(),
    }
}

fn address_state(addr: &AddrInfo) -> AddressState {
    AddressState {
        address: addr.address.to_string(),
        family: family(addr.address.is_ipv6()),
        scope: addr.scope.clone(),
    }
}

fn route_state(route: &RouteInfo) -> RouteState {
    RouteState {
        dst: route.dst.clone(),
        via: route.via.map(|v| v.to_string()),
        dev: route.dev.clone(),
        family: family(route.v6),
        protocol: route.protocol.clone(),
        scope: route.scope.clone(),
        metric: route.metric,
        table: route.table,
        kind: route.kind.clone(),
    }
}

impl RouteState {
    /// As `ip route` prints it.
    pub fn text(&self) -> String {
        let mut text =
            if self.kind == "unicast" { self.dst.clone() } else { format!("{} {}", self.kind, self.dst) };
        if let Some(via) = &self.via {
            text.push_str(&format!(" via {via}"));
        }
        if let Some(dev) = &self.dev {
            text.push_str(&format!(" dev {dev}"));
        }
        text.push_str(&format!(" proto {}", self.protocol));
        if self.scope != "global" {
            text.push_str(&format!(" scope {}", self.scope));
        }
        if let Some(metric) = self.metric {
            text.push_str(&format!(" metric {metric}"));
        }
        if self.table != crate::ops::routing::TABLE_MAIN {
            text.push_str(&format!(" table {}", self.table));
        }
        text
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// A table with a header; `paint` styles the header line (colour).
fn table(header: &[&str], rows: &[Vec<String>], indent: &str, paint: &dyn Fn(&str) -> String) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{indent}{}", padded.join("  ").trim_end())
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = format!("{indent}{}\n", paint(line(&header).trim_start()));
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// `show` as text: per namespace a table of links, then routes and rules.
pub fn render_text(state: &LabState, paint: &dyn Fn(&str) -> String) -> String {
    let mut out = format!("lab {}", state.lab);
    if let Some(script) = &state.script {
        out.push_str(&format!(" (from {script})"));
    }
    out.push('\n');
    for ns in &state.namespaces {
        let what = if ns.host { "host".to_string() } else { format!("namespace {}", ns.name) };
        out.push_str(&format!(
            "\n{}  forwarding: ipv4 {}, ipv6 {}\n",
            paint(&what),
            on_off(ns.forwarding.ipv4),
            on_off(ns.forwarding.ipv6)
        ));
        let rows: Vec<Vec<String>> = ns
            .links
            .iter()
            .map(|link| {
                let peer = link.peer.as_ref().map(|p| match &p.namespace {
                    Some(at) => format!("{at}/{}", p.name),
                    None => p.name.clone(),
                });
                let addresses: Vec<&str> =
                    link.addresses.iter().filter(|a| a.scope != "link").map(|a| a.address.as_str()).collect();
                let mut row = vec![
                    link.name.clone(),
                    link.kind.clone(),
                    link.state.clone(),
                    link.master.clone().unwrap_or_else(|| "-".into()),
                    peer.unwrap_or_else(|| "-".into()),
                    if addresses.is_empty() { "-".into() } else { addresses.join(" ") },
                ];
                let mut details: Vec<String> = link.parent.iter().map(|p| format!("on {p}")).collect();
                details.extend(link.details.iter().map(|(k, v)| format!("{k} {v}")));
                row.push(details.join(", "));
                row
            })
            .collect();
        let with_details = rows.iter().any(|row| !row[6].is_empty());
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|mut row| {
                if !with_details {
                    row.pop();
                }
                row
            })
            .collect();
        let mut header = vec!["LINK", "KIND", "STATE", "MASTER", "PEER", "ADDRESSES"];
        if with_details {
            header.push("DETAILS");
        }
        if rows.is_empty() {
            out.push_str(if ns.owned { "  no links\n" } else { "  no links of this lab\n" });
        } else {
            out.push_str(&table(&header, &rows, "  ", paint));
        }
        let routes: Vec<&RouteState> = ns.routes.iter().filter(|r| !r.dst.starts_with("fe80:")).collect();
        if !routes.is_empty() {
            out.push_str("  routes:\n");
            for route in routes {
                out.push_str(&format!("    {}\n", route.text()));
            }
        }
        if !ns.ip_rules.is_empty() {
            out.push_str("  ip rules:\n");
            for rule in &ns.ip_rules {
                out.push_str(&format!("    {rule}\n"));
            }
        }
        let others: Vec<&RouteState> =
            ns.other_routes.iter().filter(|r| !r.dst.starts_with("fe80:")).collect();
        if !others.is_empty() {
            out.push_str("  routes in other tables:\n");
            for route in others {
                out.push_str(&format!("    {}\n", route.text()));
            }
        }
        let drops: Vec<&str> =
            ns.chains.iter().filter(|c| c.policy == "drop").map(|c| c.name.as_str()).collect();
        if !drops.is_empty() {
            out.push_str(&format!("  policy drop: {}\n", drops.join(", ")));
        }
        let shaped: Vec<(&str, &str)> = ns
            .links
            .iter()
            .filter_map(|link| {
                link.qdisc.as_ref().filter(|q| !q.default).map(|q| (link.name.as_str(), q.text.as_str()))
            })
            .collect();
        if !shaped.is_empty() {
            out.push_str("  qdiscs (the other links have the kernel's own):\n");
            let width = shaped.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
            for (name, text) in shaped {
                out.push_str(&format!("    {name:<width$}  {text}\n"));
            }
        }
        if !ns.rules.is_empty() {
            out.push_str("  rules (table inet netscript):\n");
            for rule in &ns.rules {
                out.push_str(&format!("    {:<12} {}\n", rule.chain, rule.rule));
            }
        }
        if !ns.other_tables.is_empty() {
            let others: Vec<String> = ns
                .other_tables
                .iter()
                .map(|t| {
                    let of = if t.table == format!("inet {TABLE}") { " not of this lab's" } else { "" };
                    format!("{} ({}{of})", t.table, plural(t.rules, "rule"))
                })
                .collect();
            out.push_str(&format!(
                "  other tables here, which may drop traffic too: {}\n",
                others.join(", ")
            ));
        }
    }
    for name in &state.missing {
        out.push_str(&format!("\nnamespace {name}: gone (deleted outside netscript)\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dryrun::World;
    use crate::ops::Rule;

    #[test]
    fn host_shows_the_lab_links_rules_and_routes_only() {
        let web = Netns::Named("web".into());
        let ops = [
            Op::NetnsAdd { name: "web".into(), lo_up: true, ipv6: true },
            Op::BridgeAdd { ns: Netns::Host, name: "br0".into() },
            Op::AddrAdd { ns: Netns::Host, dev: "br0".into(), addr: "10.0.0.1/24".parse().unwrap() },
            Op::LinkSetUp { ns: Netns::Host, dev: "br0".into(), up: true },
            Op::VethAdd { ns: Netns::Host, name: "web-br".into(), peer_ns: web.clone(), peer: "eth0".into() },
            Op::LinkSetMaster { ns: Netns::Host, dev: "web-br".into(), master: Some("br0".into()) },
            Op::AddrAdd { ns: web.clone(), dev: "eth0".into(), addr: "10.0.0.5/24".parse().unwrap() },
            Op::LinkSetUp { ns: web.clone(), dev: "eth0".into(), up: true },
            Op::FirewallAdd {
                ns: Netns::Host,
                lab: "t".into(),
                rule: Rule::Masquerade { subnet: "10.0.0.0/24".parse().unwrap(), out: "br0".into() },
            },
        ];
        let world = World::empty();
        // Not the lab's: left out of the host's links.
        world.apply(&Op::BridgeAdd { ns: Netns::Host, name: "other".into() }).unwrap();
        for op in &ops {
            world.apply(op).unwrap();
        }
        let state = LabState::read("t", None, &ops, &world).unwrap();
        let names: Vec<(&str, bool)> = state.namespaces.iter().map(|n| (n.name.as_str(), n.owned)).collect();
        assert_eq!(names, [("host", false), ("web", true)]);
        let host = &state.namespaces[0];
        let links: Vec<&str> = host.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(links, ["br0", "web-br"]);
        assert_eq!(
            host.links[1].peer,
            Some(PeerState { namespace: Some("web".into()), name: "eth0".into() })
        );
        assert_eq!(
            host.routes.iter().map(RouteState::text).collect::<Vec<_>>(),
            ["10.0.0.0/24 dev br0 proto kernel scope link"]
        );
        assert_eq!(host.rules.len(), 1);
        assert_eq!(host.rules[0].chain, "postrouting");
        let web_links: Vec<&str> = state.namespaces[1].links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(web_links, ["lo", "eth0"]);

        let text = render_text(&state, &|h| format!("<{h}>"));
        assert!(
            text.starts_with("lab t\n\n<host>  forwarding: ipv4 off, ipv6 off\n  <LINK    KIND    STATE"),
            "{text}"
        );
        assert!(text.contains("\n  web-br  veth    DOWN   br0     web/eth0  -\n"), "{text}");
        assert!(text.contains("    postrouting  ip saddr 10.0.0.0/24"), "{text}");
        assert!(!text.contains("qdiscs"), "{text}");
    }

    #[test]
    fn shaped_links_show_their_qdisc() {
        let a = Netns::Named("a".into());
        let shape = crate::ops::Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 };
        let ops = [
            Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true },
            Op::VethAdd { ns: a.clone(), name: "wan".into(), peer_ns: Netns::Host, peer: "wan-a".into() },
            Op::LinkShape { ns: a.clone(), dev: "wan".into(), shape },
        ];
        let world = World::empty();
        for op in &ops {
            world.apply(op).unwrap();
        }
        let state = LabState::read("t", None, &ops, &world).unwrap();
        let wan = state.namespaces[1].links.iter().find(|l| l.name == "wan").unwrap();
        let qdisc = wan.qdisc.as_ref().unwrap();
        assert_eq!((qdisc.kind.as_str(), qdisc.default, qdisc.handle.as_str()), ("tbf", false, "4e53:"));
        assert_eq!(qdisc.parameters["rate"], "10mbit");
        let host_end = &state.namespaces[0].links[0];
        assert_eq!(host_end.qdisc.as_ref().map(|q| (q.kind.as_str(), q.default)), Some(("noqueue", true)));
        let text = render_text(&state, &|h| h.to_string());
        assert!(
            text.contains("  qdiscs (the other links have the kernel's own):\n    wan  tbf rate 10mbit burst 15140b limit 77640b\n"),
            "{text}"
        );
    }
}
