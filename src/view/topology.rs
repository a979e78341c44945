//! The lab as a graph: the host, namespaces and bridges as nodes; veth
//! pairs and bridge ports as edges, each end labelled with its interface
//! and addresses. Every picture format renders this model.

use std::collections::{HashMap, HashSet, VecDeque};

use super::snapshot::Snapshot;
use crate::kernel::LinkInfo;
use crate::ops::Netns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Host,
    Namespace,
    Bridge,
    /// Where a veth leads that the lab cannot place.
    Outside,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique: `host`, a namespace's name, `PLACE/BRIDGE` for a bridge, or
    /// `/folded/FIRST-LAST` for a run of alike hosts.
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    /// Said under the label instead of the kind ("27 namespaces").
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Veth,
    /// A bridge and a port of it that is not a veth; the bridge's own
    /// interface is such a port of the namespace it is in.
    Port,
    /// A tunnel (a VXLAN) between its VTEPs, over the underlay.
    Tunnel,
}

/// One end of an edge: a node and, when it has one, the interface there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub node: String,
    pub ifname: Option<String>,
    pub addrs: Vec<String>,
    /// What the interface's root qdisc does to what it sends, when it
    /// shapes it: "40ms 10mbit 1.5% loss".
    pub shape: Option<String>,
}

impl End {
    /// "eth0 10.0.0.1/24 fd00::1/64" lines: the interface, then its addresses.
    pub fn lines(&self) -> Vec<String> {
        self.ifname.iter().cloned().chain(self.addrs.iter().cloned()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The end nearer the host (or the first node), so pictures read top down.
    pub a: End,
    pub b: End,
}

impl Edge {
    /// The label of a shaped edge: its shape, when both ends send alike
    /// (or one end alone is shaped); else each end's, by interface.
    pub fn shape_label(&self) -> Option<String> {
        match (&self.a.shape, &self.b.shape) {
            (None, None) => None,
            (Some(a), Some(b)) if a != b => {
                let name = |end: &End| end.ifname.clone().unwrap_or_default();
                Some(format!("{}: {a} | {}: {b}", name(&self.a), name(&self.b)))
            }
            (Some(one), _) | (_, Some(one)) => Some(one.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    pub lab: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn place_id(ns: &Netns) -> String {
    match ns {
        Netns::Host => "host".into(),
        // Apart from the host; no namespace or bridge id ends in '/'.
        Netns::Named(name) if name == "host" => "host/".into(),
        Netns::Named(name) => name.clone(),
    }
}

/// Addresses worth a label: not the fe80:: ones every IPv6 link gets.
fn labelled_addrs(link: &LinkInfo) -> Vec<String> {
    link.addresses.iter().filter(|a| !a.to_lowercase().starts_with("fe80:")).cloned().collect()
}

impl Topology {
    pub fn from_snapshot(snapshot: &Snapshot) -> Topology {
        let mut topology = Topology { lab: snapshot.lab.clone(), ..Topology::default() };
        let bridge_id = |p: usize, name: &str| format!("{}/{name}", place_id(&snapshot.places[p].ns));
        for (p, place) in snapshot.places.iter().enumerate() {
            let bridges: Vec<&LinkInfo> = snapshot
                .shown()
                .filter(|(q, _, link)| *q == p && link.kind == "bridge")
                .map(|(_, _, link)| link)
                .collect();
            let has_links = snapshot.shown().any(|(q, ..)| q == p);
            if place.owned || has_links {
                let (kind, label) = match &place.ns {
                    Netns::Host => (NodeKind::Host, "host".to_string()),
                    Netns::Named(name) => (NodeKind::Namespace, name.clone()),
                };
                topology.nodes.push(Node { id: place_id(&place.ns), kind, label, note: None });
            }
            for bridge in bridges {
                topology.nodes.push(Node {
                    id: bridge_id(p, &bridge.name),
                    kind: NodeKind::Bridge,
                    label: bridge.name.clone(),
                    note: None,
                });
            }
        }
        // Where an interface attaches: its bridge, when it is a port of one
        // the picture has, else its namespace.
        let attach = |p: usize, l: usize| -> End {
            let place = &snapshot.places[p];
            let link = &place.links[l];
            let bridge = link.master.as_ref().filter(|m| {
                place
                    .links
                    .iter()
                    .zip(&place.shown)
                    .any(|(l, shown)| *shown && l.kind == "bridge" && &l.name == *m)
            });
            End {
                node: match bridge {
                    Some(m) => bridge_id(p, m),
                    None => place_id(&place.ns),
                },
                ifname: Some(link.name.clone()),
                addrs: labelled_addrs(link),
                shape: snapshot.shape_summary(p, l),
            }
        };
        // Links made on another (a VLAN, a macvlan) are named under it, as `ip` does.
        let attach = |p: usize, l: usize| -> End {
            let link = &snapshot.places[p].links[l];
            let mut end = attach(p, l);
            if let Some(parent) = &link.parent
                && ["vlan", "macvlan", "macvtap"].contains(&link.kind.as_str())
            {
                end.ifname = Some(format!("{}@{parent}", link.name));
            }
            end
        };
        let mut done: HashSet<(usize, usize)> = HashSet::new();
        topology.tunnels(snapshot, &attach, &mut done);
        for (p, l, link) in snapshot.shown() {
            let place = &snapshot.places[p];
            match link.kind.as_str() {
                "veth" if !done.contains(&(p, l)) => {
                    done.insert((p, l));
                    let b = match place.peers[l] {
                        Some((q, o)) => {
                            done.insert((q, o));
                            attach(q, o)
                        }
                        None => {
                            topology.add_outside();
                            End {
                                node: OUTSIDE.into(),
                                ifname: link.peer.clone(),
                                addrs: Vec::new(),
                                shape: None,
                            }
                        }
                    };
                    topology.edges.push(Edge { kind: EdgeKind::Veth, a: attach(p, l), b });
                }
                "bridge" => topology.edges.push(Edge {
                    kind: EdgeKind::Port,
                    a: End { node: bridge_id(p, &link.name), ifname: None, addrs: Vec::new(), shape: None },
                    // The bridge's own interface, in its namespace.
                    b: End {
                        node: place_id(&place.ns),
                        ifname: Some(link.name.clone()),
                        addrs: labelled_addrs(link),
                        shape: snapshot.shape_summary(p, l),
                    },
                }),
                "veth" | "loopback" => {}
                "vxlan" if done.contains(&(p, l)) => {}
                _ => {
                    let port = attach(p, l);
                    if port.node != place_id(&place.ns) {
                        topology.edges.push(Edge {
                            kind: EdgeKind::Port,
                            a: End { node: port.node, ifname: None, addrs: Vec::new(), shape: None },
                            b: End { node: place_id(&place.ns), ..port },
                        });
                    }
                }
            }
        }
        topology.orient();
        topology
    }

    /// Each VXLAN is an edge to the VTEP at its far end: the lab's VXLAN
    /// with the same VNI elsewhere, or the place that holds its remote
    /// address, or outside the lab.
    fn tunnels(
        &mut self,
        snapshot: &Snapshot,
        attach: &dyn Fn(usize, usize) -> End,
        done: &mut HashSet<(usize, usize)>,
    ) {
        let detail =
            |link: &LinkInfo, key: &str| link.details.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let vteps: Vec<(usize, usize, &LinkInfo)> =
            snapshot.shown().filter(|(_, _, link)| link.kind == "vxlan").collect();
        for (i, &(p, l, link)) in vteps.iter().enumerate() {
            if done.contains(&(p, l)) {
                continue;
            }
            done.insert((p, l));
            let vni = detail(link, "vni");
            let twin = vteps[i + 1..]
                .iter()
                .find(|(q, o, other)| *q != p && !done.contains(&(*q, *o)) && detail(other, "vni") == vni);
            let b = match (twin, detail(link, "remote")) {
                (Some(&(q, o, _)), _) => {
                    done.insert((q, o));
                    attach(q, o)
                }
                (None, Some(remote)) => {
                    let holder = snapshot.places.iter().position(|place| {
                        place
                            .links
                            .iter()
                            .any(|l| l.addresses.iter().any(|a| a.split('/').next() == Some(remote.as_str())))
                    });
                    match holder {
                        Some(q) if q != p => End {
                            node: place_id(&snapshot.places[q].ns),
                            ifname: Some(remote),
                            addrs: Vec::new(),
                            shape: None,
                        },
                        _ => {
                            self.add_outside();
                            End { node: OUTSIDE.into(), ifname: Some(remote), addrs: Vec::new(), shape: None }
                        }
                    }
                }
                (None, None) => {
                    done.remove(&(p, l));
                    continue;
                }
            };
            let mut a = attach(p, l);
            if let Some(vni) = vni {
                a.addrs.insert(0, format!("vni {vni}"));
            }
            self.edges.push(Edge { kind: EdgeKind::Tunnel, a, b });
        }
    }

    fn add_outside(&mut self) {
        if !self.nodes.iter().any(|n| n.id == OUTSIDE) {
            self.nodes.push(Node {
                id: OUTSIDE.into(),
                kind: NodeKind::Outside,
                label: "outside the lab".into(),
                note: None,
            });
        }
    }

    /// The order a breadth-first walk meets the nodes in, starting from the
    /// host, then from the first node not met yet, and so on.
    pub fn walk_order(&self) -> Vec<usize> {
        let index: HashMap<&str, usize> =
            self.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for edge in &self.edges {
            if let (Some(&a), Some(&b)) = (index.get(edge.a.node.as_str()), index.get(edge.b.node.as_str())) {
                next[a].push(b);
                next[b].push(a);
            }
        }
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut seen = vec![false; self.nodes.len()];
        let host_first = self.nodes.iter().position(|n| n.kind == NodeKind::Host).into_iter();
        for start in host_first.chain(0..self.nodes.len()) {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut queue = VecDeque::from([start]);
            while let Some(at) = queue.pop_front() {
                order.push(at);
                for &n in &next[at] {
                    if !seen[n] {
                        seen[n] = true;
                        queue.push_back(n);
                    }
                }
            }
        }
        order
    }

    /// Turns every edge to start at the end the walk meets first.
    fn orient(&mut self) {
        let order = self.walk_order();
        let mut rank = vec![0; self.nodes.len()];
        for (r, &node) in order.iter().enumerate() {
            rank[node] = r;
        }
        let rank_of: HashMap<String, usize> =
            self.nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), rank[i])).collect();
        for edge in &mut self.edges {
            if rank_of.get(&edge.b.node) < rank_of.get(&edge.a.node) {
                std::mem::swap(&mut edge.a, &mut edge.b);
            }
        }
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

/// No namespace name holds a '/', and bridge ids have one in the middle.
pub const OUTSIDE: &str = "/outside";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dryrun::World;
    use crate::kernel::Network;
    use crate::ops::Op;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    /// The topology of a lab made by `ops` in the dry run's model.
    fn built(ops: &[Op]) -> Topology {
        let world = World::empty();
        for op in ops {
            world.apply(op).unwrap();
        }
        Topology::from_snapshot(&Snapshot::read("t", ops, &world).unwrap())
    }

    fn veth(ns: Netns, name: &str, peer_ns: Netns, peer: &str) -> Op {
        Op::VethAdd { ns, name: name.into(), peer_ns, peer: peer.into() }
    }

    fn edges(t: &Topology) -> Vec<String> {
        t.edges
            .iter()
            .map(|e| {
                let side = |end: &End| format!("{}:{}", end.node, end.lines().join(","));
                format!("{} {:?} {}", side(&e.a), e.kind, side(&e.b))
            })
            .collect()
    }

    #[test]
    fn pairs_with_the_same_indexes_are_told_apart_by_the_ledger() {
        // a/x <-> b/y and c/x <-> d/y: every end has index 2, peer if2.
        let mut ops = Vec::new();
        for name in ["a", "b", "c", "d"] {
            ops.push(Op::NetnsAdd { name: name.into(), lo_up: true, ipv6: true });
        }
        ops.push(veth(named("a"), "x", named("b"), "y"));
        ops.push(veth(named("c"), "x", named("d"), "y"));
        let t = built(&ops);
        let ids: Vec<&str> = t.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(edges(&t), ["a:x Veth b:y", "c:x Veth d:y"]);
    }

    #[test]
    fn bridges_hold_their_ports_and_hang_off_their_namespace() {
        let r = named("router");
        let ops = [
            Op::NetnsAdd { name: "router".into(), lo_up: true, ipv6: true },
            Op::NetnsAdd { name: "h1".into(), lo_up: true, ipv6: true },
            Op::BridgeAdd { ns: r.clone(), name: "lan0".into() },
            Op::AddrAdd { ns: r.clone(), dev: "lan0".into(), addr: "10.0.0.1/24".parse().unwrap() },
            veth(r.clone(), "h1-port", named("h1"), "eth0"),
            Op::LinkSetMaster { ns: r.clone(), dev: "h1-port".into(), master: Some("lan0".into()) },
            Op::AddrAdd { ns: named("h1"), dev: "eth0".into(), addr: "10.0.0.11/24".parse().unwrap() },
            // Renamed after it was made: followed by the ledger all the same.
            Op::LinkRename { ns: named("h1"), dev: "eth0".into(), new_name: "lan".into() },
        ];
        let t = built(&ops);
        let ids: Vec<(&str, NodeKind)> = t.nodes.iter().map(|n| (n.id.as_str(), n.kind)).collect();
        assert_eq!(
            ids,
            [("router", NodeKind::Namespace), ("router/lan0", NodeKind::Bridge), ("h1", NodeKind::Namespace)]
        );
        assert_eq!(
            edges(&t),
            ["router:lan0,10.0.0.1/24 Port router/lan0:", "router/lan0:h1-port Veth h1:lan,10.0.0.11/24"]
        );
    }

    #[test]
    fn a_shaped_veth_carries_its_shape_on_each_end() {
        let shape = |rate| crate::ops::Shape::Tbf { rate, burst: 15_140, limit: 77_640 };
        let t = built(&[
            Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true },
            Op::NetnsAdd { name: "b".into(), lo_up: true, ipv6: true },
            veth(named("a"), "wan", named("b"), "wan"),
            Op::LinkShape { ns: named("a"), dev: "wan".into(), shape: shape(10_000_000) },
            Op::LinkShape { ns: named("b"), dev: "wan".into(), shape: shape(10_000_000) },
        ]);
        assert_eq!(t.edges[0].a.shape.as_deref(), Some("10mbit"));
        assert_eq!(t.edges[0].shape_label().as_deref(), Some("10mbit"));
    }

    #[test]
    fn the_host_shows_only_with_links_of_the_lab() {
        let alone = built(&[Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true }]);
        assert_eq!(alone.nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(alone.edges.is_empty());
        let joined = built(&[
            Op::NetnsAdd { name: "host".into(), lo_up: true, ipv6: true },
            veth(Netns::Host, "h0", named("host"), "eth0"),
        ]);
        // A namespace called "host" is not the host.
        assert_eq!(edges(&joined), ["host:h0 Veth host/:eth0"]);
    }
}
