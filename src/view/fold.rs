//! Runs of alike hosts folded into one node, so that a star of 30 or 200
//! namespaces is a picture a person can read: h1, h2, then `h3 … h29`
//! (27 namespaces, 10.10.0.4 … 10.10.0.30/16), then h30.
//!
//! Alike: namespaces whose only link is a veth to the same bridge, named
//! with one prefix and consecutive numbers, with the same interface inside,
//! ports named after them in one way, and as many addresses each.

use std::collections::BTreeMap;

use super::topology::{Edge, EdgeKind, End, Node, NodeKind, Topology};

/// A run shorter than this is drawn host by host.
const FOLD_FROM: usize = 8;
/// Hosts drawn before and after the folded middle of a run.
const KEEP_FIRST: usize = 2;
const KEEP_LAST: usize = 1;

/// A name's prefix and trailing number: ("h", 12) for h12.
fn numbered(name: &str) -> Option<(&str, u64)> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == name.len() || name[name.len() - digits..].starts_with('0') && digits > 1 {
        return None;
    }
    let (prefix, number) = name.split_at(name.len() - digits);
    Some((prefix, number.parse().ok()?))
}

/// How a port is named after its host: `{}-br` for h7-br, `p{n}` for p7.
fn port_pattern(port: &str, host: &str, number: u64) -> Option<String> {
    if port.contains(host) {
        return Some(port.replacen(host, "{}", 1));
    }
    match numbered(port) {
        Some((prefix, n)) if n == number => Some(format!("{prefix}{{n}}")),
        _ => None,
    }
}

/// What hosts of one run share: their bridge, name prefix, interface
/// inside, the pattern of their ports' names, and the shape of their addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Likeness {
    bridge: String,
    prefix: String,
    inside: String,
    port: String,
    addresses: Vec<String>,
}

/// One host of a possible run.
struct Member {
    node: usize,
    edge: usize,
    number: u64,
}

impl Topology {
    /// Folds the middle of every long run of alike hosts into one node.
    pub fn fold_runs(&mut self) {
        let mut touching = vec![Vec::new(); self.nodes.len()];
        for (e, edge) in self.edges.iter().enumerate() {
            for end in [&edge.a, &edge.b] {
                if let Some(n) = self.node_index(&end.node) {
                    touching[n].push(e);
                }
            }
        }
        let mut groups: BTreeMap<Likeness, Vec<Member>> = BTreeMap::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let [e] = touching[n][..] else { continue };
            let edge = &self.edges[e];
            if node.kind != NodeKind::Namespace || edge.kind != EdgeKind::Veth || node.note.is_some() {
                continue;
            }
            let (host_end, bridge_end) =
                if edge.b.node == node.id { (&edge.b, &edge.a) } else { (&edge.a, &edge.b) };
            let bridge = self.node_index(&bridge_end.node).map(|b| &self.nodes[b]);
            let Some((prefix, number)) = numbered(&node.id) else { continue };
            let (Some(bridge), Some(inside), Some(port)) = (bridge, &host_end.ifname, &bridge_end.ifname)
            else {
                continue;
            };
            let Some(pattern) = port_pattern(port, &node.id, number) else { continue };
            if bridge.kind != NodeKind::Bridge || host_end.node == bridge_end.node {
                continue;
            }
            let likeness = Likeness {
                bridge: bridge.id.clone(),
                prefix: prefix.to_string(),
                inside: inside.clone(),
                port: pattern,
                addresses: host_end.addrs.iter().map(|a| address_shape(a)).collect(),
            };
            groups.entry(likeness).or_default().push(Member { node: n, edge: e, number });
        }
        let mut folds: Vec<Vec<Member>> = Vec::new();
        for (_, mut members) in groups {
            members.sort_by_key(|m| m.number);
            let mut run: Vec<Member> = Vec::new();
            for member in members {
                if run.last().is_some_and(|last| last.number + 1 != member.number) {
                    folds.push(std::mem::take(&mut run));
                }
                run.push(member);
            }
            folds.push(run);
        }
        let mut gone_nodes = Vec::new();
        let mut gone_edges = Vec::new();
        for run in folds.into_iter().filter(|run| run.len() >= FOLD_FROM) {
            let middle = &run[KEEP_FIRST..run.len() - KEEP_LAST];
            let (first, last) = (&middle[0], &middle[middle.len() - 1]);
            let (first_node, last_node) = (&self.nodes[first.node], &self.nodes[last.node]);
            let id = format!("/folded/{}-{}", first_node.id, last_node.id);
            let folded = Node {
                id: id.clone(),
                kind: NodeKind::Namespace,
                label: format!("{} … {}", first_node.id, last_node.id),
                note: Some(format!("{} namespaces", middle.len())),
            };
            let (first_edge, last_edge) = (&self.edges[first.edge], &self.edges[last.edge]);
            let side = |edge: &Edge, host: &str| -> (End, End) {
                if edge.b.node == host {
                    (edge.a.clone(), edge.b.clone())
                } else {
                    (edge.b.clone(), edge.a.clone())
                }
            };
            let (bridge_a, host_a) = side(first_edge, &first_node.id);
            let (bridge_z, host_z) = side(last_edge, &last_node.id);
            let bridge_end = End {
                node: bridge_a.node.clone(),
                ifname: Some(format!(
                    "{} … {}",
                    bridge_a.ifname.unwrap_or_default(),
                    bridge_z.ifname.unwrap_or_default()
                )),
                addrs: Vec::new(),
                shape: bridge_a.shape.clone(),
            };
            let host_end = End {
                node: id,
                ifname: host_a.ifname.clone(),
                addrs: host_a.addrs.iter().zip(&host_z.addrs).map(|(a, z)| range(a, z)).collect(),
                shape: host_a.shape.clone(),
            };
            let edge = Edge { kind: EdgeKind::Veth, a: bridge_end, b: host_end };
            // In the place of the first folded host, so the order stays.
            self.nodes[first.node] = folded;
            self.edges[first.edge] = edge;
            gone_nodes.extend(middle[1..].iter().map(|m| m.node));
            gone_edges.extend(middle[1..].iter().map(|m| m.edge));
        }
        let keep = |gone: &[usize], i: usize| !gone.contains(&i);
        let mut i = 0;
        self.nodes.retain(|_| (keep(&gone_nodes, i), i += 1).0);
        let mut i = 0;
        self.edges.retain(|_| (keep(&gone_edges, i), i += 1).0);
    }
}

/// What an address's place in a run depends on: its family and prefix.
fn address_shape(addr: &str) -> String {
    let family = if addr.contains(':') { "6" } else { "4" };
    format!("{family}/{}", addr.split('/').nth(1).unwrap_or(""))
}

/// "10.10.0.4 … 10.10.0.30/16" for the first and last of a run.
fn range(first: &str, last: &str) -> String {
    let ip = first.split('/').next().unwrap_or(first);
    format!("{ip} … {last}")
}

#[cfg(test)]
mod tests {
    use super::super::layout::tests::star;
    use super::*;

    #[test]
    fn names_and_ports_follow_a_pattern() {
        assert_eq!(numbered("h12"), Some(("h", 12)));
        assert_eq!(numbered("web"), None);
        assert_eq!(numbered("42"), None);
        assert_eq!(numbered("h07"), None);
        assert_eq!(port_pattern("h12-port", "h12", 12).as_deref(), Some("{}-port"));
        assert_eq!(port_pattern("p12", "h12", 12).as_deref(), Some("p{n}"));
        assert_eq!(port_pattern("p13", "h12", 12), None);
    }

    #[test]
    fn a_star_of_thirty_folds_its_middle() {
        let mut t = star(30);
        t.fold_runs();
        let labels: Vec<&str> = t.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(labels, ["host", "br0", "h1", "h2", "h3 … h29", "h30"]);
        let folded = &t.nodes[4];
        assert_eq!((folded.id.as_str(), folded.note.as_deref()), ("/folded/h3-h29", Some("27 namespaces")));
        let edge = t.edges.iter().find(|e| e.b.node == folded.id).unwrap();
        assert_eq!(edge.a.lines(), ["h3-port … h29-port"]);
        assert_eq!(edge.b.lines(), ["eth0", "10.0.0.13 … 10.0.0.39/24", "fd00::1:2:3:4 … fd00::1:2:3:4/64"]);
        assert_eq!(t.edges.len(), 5);
    }

    #[test]
    fn short_runs_and_other_shapes_stay() {
        let mut t = star(7);
        t.fold_runs();
        assert_eq!(t.nodes.len(), 9);
        // A host with a second link is not alike.
        let mut t = star(14);
        t.edges.push(Edge {
            kind: EdgeKind::Veth,
            a: End { node: "h5".into(), ifname: Some("x".into()), addrs: vec![], shape: None },
            b: End { node: "host".into(), ifname: Some("y".into()), addrs: vec![], shape: None },
        });
        t.fold_runs();
        let labels: Vec<&str> = t.nodes.iter().map(|n| n.label.as_str()).collect();
        // h1..h4 is too short a run; h6..h14 folds.
        assert!(
            labels.contains(&"h5") && labels.contains(&"h3") && labels.contains(&"h8 … h13"),
            "{labels:?}"
        );
    }
}
