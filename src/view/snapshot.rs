//! What the kernel holds of a lab, read once: the host, the lab's
//! namespaces and any other namespace it made links in, each with every
//! link, and for each veth the place and link of its other end.

use crate::kernel::{LinkInfo, Network, QdiscInfo, qdisc};
use crate::lab::ledger::Replay;
use crate::lab::{MadeLink, contents, made_links};
use crate::ops::{Netns, Op};

/// One namespace as read.
#[derive(Debug, Clone)]
pub struct Place {
    pub ns: Netns,
    /// Made by the lab: everything in it is the lab's.
    pub owned: bool,
    pub links: Vec<LinkInfo>,
    /// Whether each link is part of the lab: every link but lo in a
    /// namespace the lab made; elsewhere the links it made, the ports of
    /// its bridges and the other ends of its veths.
    pub shown: Vec<bool>,
    /// The other end of each veth: (place, link) indexes.
    pub peers: Vec<Option<(usize, usize)>>,
    /// The root qdisc of each link, when the kernel reported one.
    pub qdiscs: Vec<Option<QdiscInfo>>,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub lab: String,
    pub places: Vec<Place>,
    /// Namespaces of the lab that could not be read (deleted by hand, say).
    pub missing: Vec<String>,
}

impl Snapshot {
    /// Reads what the lab that applied `applied` holds now.
    pub fn read(lab: &str, applied: &[Op], net: &dyn Network) -> Result<Snapshot, String> {
        let replay = Replay { applied: applied.to_vec(), ..Replay::default() };
        let contents = contents(&replay);
        let made = made_links(applied);
        let mut spaces: Vec<(Netns, bool)> = vec![(Netns::Host, false)];
        spaces.extend(contents.namespaces.iter().map(|n| (Netns::Named(n.clone()), true)));
        // Also where it made links, set rules or settings outside its own.
        let touched = applied.iter().filter_map(|op| match op {
            Op::FirewallAdd { ns, .. }
            | Op::ChainPolicy { ns, .. }
            | Op::SysctlSet { ns, .. }
            | Op::LinkShape { ns, .. } => Some(ns),
            _ => None,
        });
        for ns in made.iter().map(|link| &link.ns).chain(touched) {
            if !spaces.iter().any(|(known, _)| known == ns) {
                spaces.push((ns.clone(), false));
            }
        }
        let mut places = Vec::new();
        let mut missing = Vec::new();
        for (ns, owned) in spaces {
            match net.links(&ns) {
                Ok(links) => {
                    let all = net.qdiscs(&ns).unwrap_or_default();
                    let qdiscs = links.iter().map(|link| qdisc::root_of(&all, link.index).cloned()).collect();
                    places.push(Place {
                        shown: vec![false; links.len()],
                        peers: vec![None; links.len()],
                        qdiscs,
                        ns,
                        owned,
                        links,
                    })
                }
                Err(_) if ns != Netns::Host => missing.push(ns.name().unwrap_or_default().to_string()),
                Err(err) => return Err(format!("cannot read the links of the host: {err}")),
            }
        }
        let mut snapshot = Snapshot { lab: lab.to_string(), places, missing };
        snapshot.resolve_peers(&made);
        snapshot.mark_shown(&made);
        snapshot.mark_shaped(applied);
        Ok(snapshot)
    }

    pub fn place(&self, ns: &Netns) -> Option<usize> {
        self.places.iter().position(|p| p.ns == *ns)
    }

    fn link_at(&self, ns: &Netns, name: &str) -> Option<(usize, usize)> {
        let p = self.place(ns)?;
        let l = self.places[p].links.iter().position(|l| l.name == name)?;
        Some((p, l))
    }

    /// The kernel names a peer in another namespace by index alone, and
    /// indexes repeat across namespaces; the ledger says where the lab put
    /// each end, and the indexes on both sides must agree. A veth the
    /// ledger does not know is matched by indexes, when only one fits.
    fn resolve_peers(&mut self, made: &[MadeLink]) {
        let mut found = Vec::new();
        for (p, place) in self.places.iter().enumerate() {
            for (l, link) in place.links.iter().enumerate() {
                let Some(peer) = &link.peer else { continue };
                let same = place.links.iter().position(|other| {
                    other.name == *peer && other.kind == "veth" && other.peer.as_deref() == Some(&link.name)
                });
                if let Some(other) = same {
                    found.push(((p, l), (p, other)));
                    continue;
                }
                let Some(index) = peer.strip_prefix("if").and_then(|n| n.parse::<u32>().ok()) else {
                    continue;
                };
                let mine = format!("if{}", link.index);
                let fits = |q: usize, other: &LinkInfo| {
                    q != p
                        && other.index == index
                        && other.kind == "veth"
                        && other.peer.as_deref() == Some(&mine)
                };
                let hinted = made
                    .iter()
                    .find(|m| m.ns == place.ns && m.name == link.name)
                    .and_then(|m| m.peer.as_ref())
                    .and_then(|(ns, name)| self.link_at(ns, name))
                    .filter(|&(q, o)| fits(q, &self.places[q].links[o]));
                let end = hinted.or_else(|| {
                    let mut candidates = self.places.iter().enumerate().flat_map(|(q, other)| {
                        other
                            .links
                            .iter()
                            .enumerate()
                            .filter(move |(_, o)| fits(q, o))
                            .map(move |(o, _)| (q, o))
                    });
                    let first = candidates.next();
                    if candidates.next().is_some() { None } else { first }
                });
                if let Some(end) = end {
                    found.push(((p, l), end));
                }
            }
        }
        for ((p, l), end) in found {
            self.places[p].peers[l] = Some(end);
        }
    }

    fn mark_shown(&mut self, made: &[MadeLink]) {
        for place in &mut self.places {
            if place.owned {
                for (l, link) in place.links.iter().enumerate() {
                    place.shown[l] = link.kind != "loopback";
                }
            }
        }
        for link in made {
            if let Some((p, l)) = self.link_at(&link.ns, &link.name) {
                self.places[p].shown[l] = true;
            }
        }
        // Ports of the lab's bridges, then the other ends of its veths.
        for place in &mut self.places {
            let bridges: Vec<String> = place
                .links
                .iter()
                .zip(&place.shown)
                .filter(|(link, shown)| **shown && link.kind == "bridge")
                .map(|(link, _)| link.name.clone())
                .collect();
            for (l, link) in place.links.iter().enumerate() {
                if link.master.as_ref().is_some_and(|m| bridges.contains(m)) {
                    place.shown[l] = true;
                }
            }
        }
        let mut ends = Vec::new();
        for place in &self.places {
            for (l, peer) in place.peers.iter().enumerate() {
                if let (true, Some(end)) = (place.shown[l], peer) {
                    ends.push(*end);
                }
            }
        }
        for (p, l) in ends {
            self.places[p].shown[l] = true;
        }
    }

    /// Links the lab shaped outside what it made are part of it too.
    fn mark_shaped(&mut self, applied: &[Op]) {
        for op in applied {
            if let Op::LinkShape { ns, dev, .. } = op
                && let Some((p, l)) = self.link_at(ns, dev)
                && self.places[p].qdiscs[l].as_ref().is_some_and(|q| !q.is_default())
            {
                self.places[p].shown[l] = true;
            }
        }
    }

    /// What the root qdisc of a link does, in a few words, when it shapes
    /// it: "40ms 10mbit 1.5% loss".
    pub fn shape_summary(&self, p: usize, l: usize) -> Option<String> {
        self.places[p].qdiscs[l].as_ref().and_then(QdiscInfo::shape).map(|shape| shape.summary())
    }

    /// (place, link) of every link of the lab, place by place.
    pub fn shown(&self) -> impl Iterator<Item = (usize, usize, &LinkInfo)> {
        self.places.iter().enumerate().flat_map(|(p, place)| {
            place
                .links
                .iter()
                .enumerate()
                .filter(move |(l, _)| place.shown[*l])
                .map(move |(l, link)| (p, l, link))
        })
    }
}
