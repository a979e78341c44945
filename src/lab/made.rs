//! The veths and bridges a lab made, followed through renames, moves and
//! deletions to where they are now: which namespace each end of a veth
//! pair is in, and under what name. `show` and `graph` use this to connect
//! a veth whose peer the kernel names only by index (`if7`).

use crate::ops::{Netns, Op};

/// A link the lab made, as it should be now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeLink {
    pub ns: Netns,
    pub name: String,
    /// The other end of a veth.
    pub peer: Option<(Netns, String)>,
}

#[derive(Debug, Clone)]
struct Slot {
    ns: Netns,
    name: String,
    peer: Option<usize>,
}

/// Replays the operations a lab applied, in order.
pub fn made_links(applied: &[Op]) -> Vec<MadeLink> {
    let mut slots: Vec<Option<Slot>> = Vec::new();
    let find = |slots: &[Option<Slot>], ns: &Netns, name: &str| {
        slots.iter().position(|s| s.as_ref().is_some_and(|s| &s.ns == ns && s.name == name))
    };
    // A deleted veth takes its peer along.
    let remove = |slots: &mut Vec<Option<Slot>>, at: usize| {
        if let Some(slot) = slots[at].take()
            && let Some(peer) = slot.peer
        {
            slots[peer] = None;
        }
    };
    for op in applied {
        match op {
            Op::VethAdd { ns, name, peer_ns, peer } => {
                let at = slots.len();
                slots.push(Some(Slot { ns: ns.clone(), name: name.clone(), peer: Some(at + 1) }));
                slots.push(Some(Slot { ns: peer_ns.clone(), name: peer.clone(), peer: Some(at) }));
            }
            Op::BridgeAdd { ns, name } | Op::LinkAdd { ns, name, .. } => {
                slots.push(Some(Slot { ns: ns.clone(), name: name.clone(), peer: None }))
            }
            Op::LinkRename { ns, dev, new_name } => {
                if let Some(at) = find(&slots, ns, dev) {
                    slots[at].as_mut().expect("found").name = new_name.clone();
                }
            }
            Op::LinkSetNetns { ns, dev, target } => {
                if let Some(at) = find(&slots, ns, dev) {
                    slots[at].as_mut().expect("found").ns = target.clone();
                }
            }
            Op::LinkDel { ns, dev } => {
                if let Some(at) = find(&slots, ns, dev) {
                    remove(&mut slots, at);
                }
            }
            Op::NetnsDel { name } => {
                let gone = Netns::Named(name.clone());
                for at in 0..slots.len() {
                    if slots[at].as_ref().is_some_and(|s| s.ns == gone) {
                        remove(&mut slots, at);
                    }
                }
            }
            _ => {}
        }
    }
    slots
        .iter()
        .flatten()
        .map(|slot| MadeLink {
            ns: slot.ns.clone(),
            name: slot.name.clone(),
            peer: slot.peer.and_then(|p| slots[p].as_ref()).map(|p| (p.ns.clone(), p.name.clone())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    fn veth(ns: Netns, name: &str, peer_ns: Netns, peer: &str) -> Op {
        Op::VethAdd { ns, name: name.into(), peer_ns, peer: peer.into() }
    }

    #[test]
    fn follows_renames_moves_and_deletions() {
        let ops = [
            Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true },
            veth(Netns::Host, "x", named("a"), "eth0"),
            veth(Netns::Host, "y0", Netns::Host, "y1"),
            Op::BridgeAdd { ns: Netns::Host, name: "br0".into() },
            Op::LinkRename { ns: named("a"), dev: "eth0".into(), new_name: "lan".into() },
            Op::LinkSetNetns { ns: Netns::Host, dev: "y1".into(), target: named("a") },
            Op::LinkDel { ns: Netns::Host, dev: "br0".into() },
        ];
        let made = made_links(&ops);
        let link = |ns: Netns, name: &str, peer_ns: Netns, peer: &str| MadeLink {
            ns,
            name: name.into(),
            peer: Some((peer_ns, peer.into())),
        };
        assert_eq!(
            made,
            [
                link(Netns::Host, "x", named("a"), "lan"),
                link(named("a"), "lan", Netns::Host, "x"),
                link(Netns::Host, "y0", named("a"), "y1"),
                link(named("a"), "y1", Netns::Host, "y0"),
            ]
        );
        // Deleting the namespace takes both ends of each veth in it.
        let mut more = ops.to_vec();
        more.push(Op::NetnsDel { name: "a".into() });
        assert_eq!(made_links(&more), []);
    }
}
