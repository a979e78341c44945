use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ops::files::{FileBefore, NodePath};
use crate::ops::kinds::{BridgeOptions, LinkSettings, PortOptions};
use crate::ops::neighbours::BridgeVlan;
use crate::ops::{Netns, Op, Policy, RootQdisc, check_ifname};

/// The undo log of a lab. Each applied operation leaves the operations that
/// reverse it. Inside a namespace the lab made, nothing needs undoing one by
/// one: deleting the namespace takes all of it along, except links the lab
/// did not make, which are set back and moved out first.
#[derive(Debug, Default)]
pub struct Journal {
    undo: Vec<Undo>,
    /// The operations recorded, so a partial rollback can forget them.
    applied: Vec<Op>,
    owned_netns: HashSet<String>,
    owned_links: HashSet<(Netns, String)>,
    /// Links the lab did not make that it moved into a namespace of its own:
    /// deleting that namespace would destroy them.
    foreign_links: HashSet<(Netns, String)>,
}

/// An operation that reverses part of what operation `seq` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub op: Op,
    pub seq: u64,
}

/// The state an operation changes, read before it runs (and written to the
/// ledger with it, so `down` derives the same inverse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prior {
    Link {
        up: bool,
        master: Option<String>,
        mtu: u32,
    },
    Sysctl(String),
    /// Whether the firewall rule was already there (then it is not ours).
    RulePresent(bool),
    /// A chain's policy (accept when there was no such chain).
    Policy(Policy),
    /// A link's settings (those the operation changes) as they were.
    Settings(LinkSettings),
    Bridge(BridgeOptions),
    Port(PortOptions),
    /// The VLAN entry of a port with the operation's id, if it had one.
    Vlan(Option<BridgeVlan>),
    /// The root qdisc of a link the lab did not make, before it shaped it.
    Qdisc(RootQdisc),
    /// A node's file as it was before the lab wrote it.
    File(FileBefore),
}

impl Prior {
    /// A prior state read back from a ledger is untrusted: it must be one
    /// the kernel could have reported for `op`.
    pub fn validate(&self, op: &Op) -> Result<(), String> {
        match (self, op) {
            (
                Prior::Link { master, mtu, .. },
                Op::LinkSetUp { .. } | Op::LinkSetMaster { .. } | Op::LinkSetMtu { .. },
            ) => {
                if let Some(master) = master {
                    check_ifname(master)?;
                }
                if *mtu == 0 {
                    return Err("a link's earlier mtu cannot be 0".into());
                }
                Ok(())
            }
            (Prior::Sysctl(value), Op::SysctlSet { key, .. }) => crate::ops::check_sysctl_restore(key, value),
            (Prior::RulePresent(_), Op::FirewallAdd { .. }) | (Prior::Policy(_), Op::ChainPolicy { .. }) => {
                Ok(())
            }
            (Prior::Settings(was), Op::LinkSet { .. }) => {
                if let Some(mac) = &was.mac {
                    crate::ops::kinds::parse_mac(mac)?;
                }
                match &was.alias {
                    Some(alias) if alias.len() > 255 || alias.contains('\0') => {
                        Err("an earlier alias cannot be longer than 255 bytes".into())
                    }
                    _ => Ok(()),
                }
            }
            (Prior::Bridge(_), Op::BridgeSet { .. }) | (Prior::Port(_), Op::BridgePortSet { .. }) => Ok(()),
            (Prior::Vlan(was), Op::BridgeVlanAdd { vlan, .. }) => match was {
                Some(was) if was.vid != vlan.vid => Err("an earlier VLAN entry of another id".into()),
                Some(was) => was.validate(),
                None => Ok(()),
            },
            (Prior::Qdisc(root), Op::LinkShape { .. } | Op::LinkUnshape { .. }) => root.validate(),
            (Prior::File(before), Op::FileWrite { path, .. }) => before.validate(&NodePath::parse(path)?),
            _ => Err(format!("a prior state of the wrong kind for '{}'", op.describe())),
        }
    }
}

/// A position in the journal, to forget an operation the kernel refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    undo: usize,
    applied: usize,
}

impl Journal {
    fn owns_ns(&self, ns: &Netns) -> bool {
        matches!(ns, Netns::Named(name) if self.owned_netns.contains(name))
    }

    /// Whether the lab made namespace `ns`.
    pub fn owns_netns(&self, ns: &Netns) -> bool {
        self.owns_ns(ns)
    }

    fn owns_link(&self, ns: &Netns, dev: &str) -> bool {
        let key = (ns.clone(), dev.to_string());
        self.owned_links.contains(&key) || (self.owns_ns(ns) && !self.foreign_links.contains(&key))
    }

    fn is_foreign(&self, ns: &Netns, dev: &str) -> bool {
        self.foreign_links.contains(&(ns.clone(), dev.to_string()))
    }

    /// Whether `op` changes a link the lab did not make inside a namespace it made.
    fn touches_foreign_link(&self, op: &Op) -> bool {
        match op {
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. }
            | Op::LinkRename { ns, dev, .. }
            | Op::LinkSetNetns { ns, dev, .. }
            | Op::AddrAdd { ns, dev, .. }
            | Op::LinkSet { ns, dev, .. }
            | Op::BridgeSet { ns, dev, .. }
            | Op::BridgePortSet { ns, dev, .. }
            | Op::BridgeVlanAdd { ns, dev, .. }
            | Op::FdbAdd { ns, dev, .. }
            | Op::NeighAdd { ns, dev, .. }
            | Op::LinkShape { ns, dev, .. }
            | Op::LinkUnshape { ns, dev } => self.is_foreign(ns, dev),
            _ => false,
        }
    }

    /// Whether undoing `op` needs the state from before it: changes to what
    /// the lab did not create are set back to what they were.
    pub fn needs_prior_state(&self, op: &Op) -> bool {
        match op {
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. }
            | Op::LinkSet { ns, dev, .. }
            | Op::BridgeSet { ns, dev, .. }
            | Op::BridgePortSet { ns, dev, .. }
            | Op::BridgeVlanAdd { ns, dev, .. }
            | Op::LinkShape { ns, dev, .. }
            | Op::LinkUnshape { ns, dev } => !self.owns_link(ns, dev),
            Op::SysctlSet { ns, .. } | Op::FirewallAdd { ns, .. } | Op::ChainPolicy { ns, .. } => {
                !self.owns_ns(ns)
            }
            // A node's files outlive its namespace: each is always set back.
            Op::FileWrite { .. } => true,
            _ => false,
        }
    }

    /// Records `op`, operation `seq` of the lab, before it is applied;
    /// `prior` is the state before it when `needs_prior_state` said so.
    pub fn record(&mut self, op: &Op, prior: Option<&Prior>, seq: u64) -> Mark {
        let mark = self.mark();
        if let Some(inverse) = self.inverse(op, prior) {
            self.undo.push(Undo { op: inverse, seq });
        }
        self.track(op);
        self.applied.push(op.clone());
        mark
    }

    /// The journal as it is now, to roll back to later.
    pub fn mark(&self) -> Mark {
        Mark { undo: self.undo.len(), applied: self.applied.len() }
    }

    /// Adds an undo operation known only after operation `seq` ran (the
    /// pid of a process it started).
    pub fn add_undo(&mut self, op: Op, seq: u64) {
        self.undo.push(Undo { op, seq });
    }

    /// The undo operations, in the order recorded (teardown runs them newest first).
    pub fn undo(&self) -> &[Undo] {
        &self.undo
    }

    /// The undo operations of operation `seq`.
    pub fn undo_of(&self, seq: u64) -> impl Iterator<Item = &Op> {
        self.undo.iter().rev().take_while(move |u| u.seq >= seq).filter(move |u| u.seq == seq).map(|u| &u.op)
    }

    /// The operations recorded, in order.
    pub fn applied(&self) -> &[Op] {
        &self.applied
    }

    /// Whether anything recorded needs undoing: the lab holds something.
    pub fn has_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Drops what `record` added for an operation that then failed.
    pub fn forget(&mut self, mark: Mark, op: &Op) {
        self.undo.truncate(mark.undo);
        self.applied.truncate(mark.applied);
        self.untrack(op);
    }

    fn inverse(&self, op: &Op, prior: Option<&Prior>) -> Option<Op> {
        // Files and an exec's declared undo do not go with a namespace.
        match (op, prior) {
            (Op::FileWrite { ns, path, .. }, Some(Prior::File(before))) => {
                return Some(Op::FileRestore { ns: ns.clone(), path: path.clone(), before: before.clone() });
            }
            (Op::FileWrite { .. }, _) => return None,
            (Op::Exec { ns, undo, seal, .. }, _) => {
                return Some(Op::ExecUndo { ns: ns.clone(), argv: undo.clone(), seal: seal.clone() });
            }
            _ => {}
        }
        let all_owned = !op.namespaces().is_empty() && op.namespaces().iter().all(|ns| self.owns_ns(ns));
        if all_owned && !self.touches_foreign_link(op) {
            return None;
        }
        let link = match prior {
            Some(Prior::Link { up, master, mtu }) => Some((*up, master, *mtu)),
            _ => None,
        };
        match op {
            Op::NetnsAdd { name, .. } => Some(Op::NetnsDel { name: name.clone() }),
            Op::VethAdd { ns, name, .. } => Some(Op::LinkDel { ns: ns.clone(), dev: name.clone() }),
            Op::BridgeAdd { ns, name } => Some(Op::LinkDel { ns: ns.clone(), dev: name.clone() }),
            Op::LinkSetUp { ns, dev, up } => {
                let was = link?.0;
                (was != *up && !self.owns_link(ns, dev)).then(|| Op::LinkSetUp {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    up: was,
                })
            }
            Op::LinkSetMaster { ns, dev, master } => {
                let was = link?.1.clone();
                (was != *master && !self.owns_link(ns, dev)).then(|| Op::LinkSetMaster {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    master: was,
                })
            }
            Op::LinkSetMtu { ns, dev, mtu } => {
                let was = link?.2;
                (was != *mtu && !self.owns_link(ns, dev)).then(|| Op::LinkSetMtu {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    mtu: was,
                })
            }
            Op::LinkSetNetns { ns, dev, target } => {
                Some(Op::LinkSetNetns { ns: target.clone(), dev: dev.clone(), target: ns.clone() })
            }
            Op::LinkRename { ns, dev, new_name } => {
                Some(Op::LinkRename { ns: ns.clone(), dev: new_name.clone(), new_name: dev.clone() })
            }
            Op::AddrAdd { ns, dev, addr } => (!self.owns_link(ns, dev)).then(|| Op::AddrDel {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: *addr,
            }),
            Op::RouteAdd { ns, route } => Some(Op::RouteDel { ns: ns.clone(), route: route.clone() }),
            Op::SysctlSet { ns, key, value } => match prior {
                Some(Prior::Sysctl(was)) if was != value => {
                    Some(Op::SysctlSet { ns: ns.clone(), key: key.clone(), value: was.clone() })
                }
                _ => None,
            },
            Op::FirewallAdd { ns, lab, rule } => match prior {
                Some(Prior::RulePresent(true)) => None,
                _ => Some(Op::FirewallDel { ns: ns.clone(), lab: lab.clone(), rule: rule.clone() }),
            },
            // Not knowing what it was, accept: a drop policy is never left behind.
            Op::ChainPolicy { ns, chain, policy } => {
                let was = match prior {
                    Some(Prior::Policy(was)) => *was,
                    _ => Policy::Accept,
                };
                (was != *policy).then(|| Op::ChainPolicy { ns: ns.clone(), chain: *chain, policy: was })
            }
            Op::LinkAdd { ns, name, .. } => Some(Op::LinkDel { ns: ns.clone(), dev: name.clone() }),
            Op::LinkSet { ns, dev, settings } => match prior {
                Some(Prior::Settings(was)) if !self.owns_link(ns, dev) => {
                    let back = settings.restore_from(was);
                    (!back.is_empty()).then(|| Op::LinkSet { ns: ns.clone(), dev: dev.clone(), settings: back })
                }
                _ => None,
            },
            Op::BridgeSet { ns, dev, options } => match prior {
                Some(Prior::Bridge(was)) if !self.owns_link(ns, dev) => {
                    let back = options.restore_from(was);
                    (back != BridgeOptions::default())
                        .then(|| Op::BridgeSet { ns: ns.clone(), dev: dev.clone(), options: back })
                }
                _ => None,
            },
            Op::BridgePortSet { ns, dev, options } => match prior {
                Some(Prior::Port(was)) if !self.owns_link(ns, dev) => {
                    let back = options.restore_from(was);
                    (back != PortOptions::default())
                        .then(|| Op::BridgePortSet { ns: ns.clone(), dev: dev.clone(), options: back })
                }
                _ => None,
            },
            Op::BridgeVlanAdd { ns, dev, vlan } if !self.owns_link(ns, dev) => match prior {
                Some(Prior::Vlan(Some(was))) if was == vlan => None,
                Some(Prior::Vlan(Some(was))) => {
                    Some(Op::BridgeVlanAdd { ns: ns.clone(), dev: dev.clone(), vlan: was.clone() })
                }
                _ => Some(Op::BridgeVlanDel { ns: ns.clone(), dev: dev.clone(), vlan: vlan.clone() }),
            },
            Op::FdbAdd { ns, dev, entry, .. } => (!self.owns_link(ns, dev)).then(|| Op::FdbDel {
                ns: ns.clone(),
                dev: dev.clone(),
                entry: entry.clone(),
            }),
            Op::NeighAdd { ns, dev, entry } => (!self.owns_link(ns, dev)).then(|| Op::NeighDel {
                ns: ns.clone(),
                dev: dev.clone(),
                entry: entry.clone(),
            }),
            Op::RuleAdd { ns, rule } => Some(Op::RuleDel { ns: ns.clone(), rule: rule.clone() }),
            // On a link of the lab's own: it goes with the link.
            Op::BridgeVlanAdd { .. } => None,
            // A link the lab made takes its qdisc along when it goes.
            Op::LinkShape { ns, dev, shape } => match prior {
                Some(Prior::Qdisc(was)) if !self.owns_link(ns, dev) => Some(Op::QdiscRestore {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    ours: Some(shape.clone()),
                    prior: was.clone(),
                }),
                _ => None,
            },
            Op::LinkUnshape { ns, dev } => match prior {
                Some(Prior::Qdisc(was)) if !self.owns_link(ns, dev) => Some(Op::QdiscRestore {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    ours: None,
                    prior: was.clone(),
                }),
                _ => None,
            },
            // What the script deleted, the lab cannot bring back.
            Op::BridgeVlanDel { .. } | Op::FdbDel { .. } | Op::RuleDel { .. } | Op::NeighDel { .. } => None,
            Op::NetnsDel { .. }
            | Op::LinkDel { .. }
            | Op::AddrDel { .. }
            | Op::RouteDel { .. }
            | Op::FirewallDel { .. }
            // A process's undo is known once it runs: see `add_undo`.
            | Op::ProcessStart { .. }
            | Op::ProcessStop { .. }
            // Only ever an undo itself.
            | Op::QdiscRestore { .. }
            | Op::FileRestore { .. }
            | Op::ExecUndo { .. }
            // Seen above.
            | Op::FileWrite { .. }
            | Op::Exec { .. } => None,
        }
    }

    /// Keeps track of which namespaces and links belong to the lab.
    fn track(&mut self, op: &Op) {
        match op {
            Op::NetnsAdd { name, .. } => {
                self.owned_netns.insert(name.clone());
            }
            Op::NetnsDel { name } => {
                self.owned_netns.remove(name);
            }
            Op::VethAdd { ns, name, peer_ns, peer } => {
                self.owned_links.insert((ns.clone(), name.clone()));
                self.owned_links.insert((peer_ns.clone(), peer.clone()));
            }
            Op::BridgeAdd { ns, name } | Op::LinkAdd { ns, name, .. } => {
                self.owned_links.insert((ns.clone(), name.clone()));
            }
            Op::LinkSetNetns { ns, dev, target } => {
                let foreign = !self.owns_link(ns, dev) || self.is_foreign(ns, dev);
                self.follow((ns, dev), (target, dev));
                // Moved into a namespace of the lab's, it is still not the lab's.
                if foreign && self.owns_ns(target) {
                    self.foreign_links.insert((target.clone(), dev.clone()));
                }
            }
            Op::LinkRename { ns, dev, new_name } => self.follow((ns, dev), (ns, new_name)),
            Op::LinkDel { ns, dev } => {
                self.owned_links.remove(&(ns.clone(), dev.clone()));
                self.foreign_links.remove(&(ns.clone(), dev.clone()));
            }
            _ => {}
        }
    }

    /// Reverses `track` for an operation the kernel refused.
    fn untrack(&mut self, op: &Op) {
        match op {
            Op::NetnsAdd { name, .. } => {
                self.owned_netns.remove(name);
            }
            Op::VethAdd { ns, name, peer_ns, peer } => {
                self.owned_links.remove(&(ns.clone(), name.clone()));
                self.owned_links.remove(&(peer_ns.clone(), peer.clone()));
            }
            Op::BridgeAdd { ns, name } | Op::LinkAdd { ns, name, .. } => {
                self.owned_links.remove(&(ns.clone(), name.clone()));
            }
            Op::LinkSetNetns { ns, dev, target } => {
                let was_foreign = self.foreign_links.remove(&(target.clone(), dev.clone()));
                self.follow((target, dev), (ns, dev));
                if was_foreign && self.owns_ns(ns) {
                    self.foreign_links.insert((ns.clone(), dev.clone()));
                }
            }
            Op::LinkRename { ns, dev, new_name } => self.follow((ns, new_name), (ns, dev)),
            _ => {}
        }
    }

    /// A link moved or was renamed: it stays owned (or foreign) under its new key.
    fn follow(&mut self, from: (&Netns, &String), to: (&Netns, &String)) {
        let (from, to) = ((from.0.clone(), from.1.clone()), (to.0.clone(), to.1.clone()));
        if self.owned_links.remove(&from) {
            self.owned_links.insert(to.clone());
        }
        if self.foreign_links.remove(&from) {
            self.foreign_links.insert(to);
        }
    }

    /// The undo operations, newest first, leaving the journal empty.
    #[cfg(test)]
    pub fn take_undo(&mut self) -> Vec<Op> {
        self.take_all().0.into_iter().map(|undo| undo.op).collect()
    }

    /// The undo operations, newest first, and the operations they undo, in
    /// the order applied, leaving the journal empty.
    pub fn take_all(&mut self) -> (Vec<Undo>, Vec<Op>) {
        self.take_since(Mark { undo: 0, applied: 0 })
    }

    /// The undo operations since `mark`, newest first, and the operations
    /// they undo, in the order applied; the journal forgets both.
    pub fn take_since(&mut self, mark: Mark) -> (Vec<Undo>, Vec<Op>) {
        let applied = self.applied[mark.applied..].to_vec();
        (self.take_undo_since(mark), applied)
    }

    /// The undo operations recorded since `mark`, newest first, forgetting
    /// them and what they undo.
    pub fn take_undo_since(&mut self, mark: Mark) -> Vec<Undo> {
        for op in self.applied.split_off(mark.applied).iter().rev() {
            self.untrack(op);
        }
        let mut undo = self.undo.split_off(mark.undo);
        undo.reverse();
        undo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    fn link(up: bool, mtu: u32) -> Prior {
        Prior::Link { up, master: None, mtu }
    }

    #[test]
    fn work_inside_an_owned_namespace_needs_no_undo() {
        let mut journal = Journal::default();
        journal.record(&Op::NetnsAdd { name: "red".into(), lo_up: true, ipv6: true }, None, 0);
        let op = Op::AddrAdd { ns: named("red"), dev: "v0".into(), addr: "10.0.0.1/24".parse().unwrap() };
        assert!(!journal.needs_prior_state(&Op::LinkSetUp { ns: named("red"), dev: "v0".into(), up: true }));
        journal.record(&op, None, 0);
        assert_eq!(journal.take_undo(), [Op::NetnsDel { name: "red".into() }]);
    }

    #[test]
    fn host_side_links_are_undone_newest_first() {
        let mut journal = Journal::default();
        journal.record(&Op::NetnsAdd { name: "red".into(), lo_up: true, ipv6: true }, None, 0);
        journal.record(
            &Op::VethAdd { ns: Netns::Host, name: "v0".into(), peer_ns: named("red"), peer: "eth0".into() },
            None,
            1,
        );
        journal.record(&Op::LinkSetUp { ns: Netns::Host, dev: "v0".into(), up: true }, None, 0);
        assert_eq!(
            journal.take_undo(),
            [Op::LinkDel { ns: Netns::Host, dev: "v0".into() }, Op::NetnsDel { name: "red".into() },]
        );
        assert!(journal.take_undo().is_empty());
    }

    #[test]
    fn changes_to_foreign_links_are_restored() {
        let mut journal = Journal::default();
        let up = Op::LinkSetUp { ns: Netns::Host, dev: "eth1".into(), up: true };
        assert!(journal.needs_prior_state(&up));
        journal.record(&up, Some(&link(false, 1500)), 0);
        let mtu = Op::LinkSetMtu { ns: Netns::Host, dev: "eth1".into(), mtu: 9000 };
        journal.record(&mtu, Some(&link(true, 1500)), 0);
        // Already up: nothing to restore.
        journal.record(&up, Some(&link(true, 9000)), 0);
        assert_eq!(
            journal.take_undo(),
            [
                Op::LinkSetMtu { ns: Netns::Host, dev: "eth1".into(), mtu: 1500 },
                Op::LinkSetUp { ns: Netns::Host, dev: "eth1".into(), up: false },
            ]
        );
    }

    #[test]
    fn a_refused_operation_is_forgotten() {
        let mut journal = Journal::default();
        let op = Op::BridgeAdd { ns: Netns::Host, name: "br0".into() };
        let mark = journal.record(&op, None, 0);
        journal.forget(mark, &op);
        assert!(journal.take_undo().is_empty());
        // A bridge that is not ours gets its state restored.
        assert!(journal.needs_prior_state(&Op::LinkSetUp { ns: Netns::Host, dev: "br0".into(), up: true }));
    }

    #[test]
    fn renames_and_moves_follow_the_link() {
        let mut journal = Journal::default();
        journal.record(&Op::BridgeAdd { ns: Netns::Host, name: "br0".into() }, None, 0);
        journal.record(
            &Op::LinkRename { ns: Netns::Host, dev: "br0".into(), new_name: "lan".into() },
            None,
            0,
        );
        assert!(!journal.needs_prior_state(&Op::LinkSetUp { ns: Netns::Host, dev: "lan".into(), up: true }));
        assert_eq!(
            journal.take_undo(),
            [
                Op::LinkRename { ns: Netns::Host, dev: "lan".into(), new_name: "br0".into() },
                Op::LinkDel { ns: Netns::Host, dev: "br0".into() },
            ]
        );
    }

    #[test]
    fn sysctls_are_restored_and_foreign_rules_kept() {
        let mut journal = Journal::default();
        let fwd = Op::SysctlSet { ns: Netns::Host, key: "net.ipv4.ip_forward".into(), value: "1".into() };
        assert!(journal.needs_prior_state(&fwd));
        journal.record(&fwd, Some(&Prior::Sysctl("0".into())), 0);
        let masq = Op::FirewallAdd {
            ns: Netns::Host,
            lab: "l".into(),
            rule: crate::ops::Rule::Masquerade { subnet: "10.0.0.0/24".parse().unwrap(), out: "eth0".into() },
        };
        // Already there before the lab: not the lab's to remove.
        journal.record(&masq, Some(&Prior::RulePresent(true)), 0);
        let accept = Op::FirewallAdd {
            ns: Netns::Host,
            lab: "l".into(),
            rule: crate::ops::Rule::ForwardAccept { from: "br0".into(), to: "eth0".into() },
        };
        journal.record(&accept, Some(&Prior::RulePresent(false)), 0);
        let Op::FirewallAdd { rule, .. } = accept else { unreachable!() };
        assert_eq!(
            journal.take_undo(),
            [
                Op::FirewallDel { ns: Netns::Host, lab: "l".into(), rule },
                Op::SysctlSet { ns: Netns::Host, key: "net.ipv4.ip_forward".into(), value: "0".into() },
            ]
        );
        // Inside a namespace of the lab's own, nothing needs restoring.
        journal.record(&Op::NetnsAdd { name: "r".into(), lo_up: true, ipv6: true }, None, 0);
        let inside = Op::SysctlSet { ns: named("r"), key: "net.ipv4.ip_forward".into(), value: "1".into() };
        assert!(!journal.needs_prior_state(&inside));
    }

    #[test]
    fn a_policy_is_set_back_to_what_it_was() {
        use crate::ops::Hook;
        let mut journal = Journal::default();
        let drop = Op::ChainPolicy { ns: Netns::Host, chain: Hook::Input, policy: Policy::Drop };
        assert!(journal.needs_prior_state(&drop));
        journal.record(&drop, Some(&Prior::Policy(Policy::Accept)), 0);
        // Drop already: nothing to set back.
        journal.record(&drop, Some(&Prior::Policy(Policy::Drop)), 1);
        assert_eq!(
            journal.take_undo(),
            [Op::ChainPolicy { ns: Netns::Host, chain: Hook::Input, policy: Policy::Accept }]
        );
        assert!(Prior::Policy(Policy::Drop).validate(&drop).is_ok());
        assert!(Prior::Sysctl("1".into()).validate(&drop).is_err());
        // In a namespace of the lab's own, the namespace takes it along.
        journal.record(&Op::NetnsAdd { name: "r".into(), lo_up: true, ipv6: true }, None, 2);
        let inside = Op::ChainPolicy { ns: named("r"), chain: Hook::Forward, policy: Policy::Drop };
        assert!(!journal.needs_prior_state(&inside));
    }

    #[test]
    fn shaping_a_foreign_link_puts_its_qdisc_back_and_an_own_link_needs_nothing() {
        use crate::ops::{RootQdisc, Shape};
        let mut journal = Journal::default();
        let shape = Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 };
        let foreign = Op::LinkShape { ns: Netns::Host, dev: "eth1".into(), shape: shape.clone() };
        assert!(journal.needs_prior_state(&foreign));
        let was = RootQdisc::Set { kind: "pfifo".into(), handle: 0x0001_0000, options: vec![100, 0, 0, 0] };
        journal.record(&foreign, Some(&Prior::Qdisc(was.clone())), 0);
        let unshape = Op::LinkUnshape { ns: Netns::Host, dev: "eth1".into() };
        let ours = RootQdisc::Set { kind: "tbf".into(), handle: 0x4e53_0000, options: vec![] };
        journal.record(&unshape, Some(&Prior::Qdisc(ours.clone())), 1);
        journal.record(
            &Op::VethAdd { ns: Netns::Host, name: "v0".into(), peer_ns: Netns::Host, peer: "v1".into() },
            None,
            2,
        );
        let own = Op::LinkShape { ns: Netns::Host, dev: "v0".into(), shape: shape.clone() };
        assert!(!journal.needs_prior_state(&own));
        journal.record(&own, None, 3);
        assert_eq!(
            journal.take_undo(),
            [
                Op::LinkDel { ns: Netns::Host, dev: "v0".into() },
                Op::QdiscRestore { ns: Netns::Host, dev: "eth1".into(), ours: None, prior: ours },
                Op::QdiscRestore { ns: Netns::Host, dev: "eth1".into(), ours: Some(shape), prior: was },
            ]
        );
    }

    #[test]
    fn a_foreign_link_moved_into_an_owned_namespace_is_set_back_and_moved_out() {
        let mut journal = Journal::default();
        journal.record(&Op::NetnsAdd { name: "r".into(), lo_up: true, ipv6: true }, None, 0);
        let moved = Op::LinkSetNetns { ns: Netns::Host, dev: "uv".into(), target: named("r") };
        journal.record(&moved, None, 1);
        let rename = Op::LinkRename { ns: named("r"), dev: "uv".into(), new_name: "eth9".into() };
        journal.record(&rename, None, 2);
        let mtu = Op::LinkSetMtu { ns: named("r"), dev: "eth9".into(), mtu: 9000 };
        assert!(journal.needs_prior_state(&mtu));
        journal.record(&mtu, Some(&link(false, 1500)), 3);
        // A link the lab made there needs nothing.
        let own = Op::LinkSetMtu { ns: named("r"), dev: "lo".into(), mtu: 9000 };
        assert!(!journal.needs_prior_state(&own));
        assert_eq!(
            journal.take_undo(),
            [
                Op::LinkSetMtu { ns: named("r"), dev: "eth9".into(), mtu: 1500 },
                Op::LinkRename { ns: named("r"), dev: "eth9".into(), new_name: "uv".into() },
                Op::LinkSetNetns { ns: named("r"), dev: "uv".into(), target: Netns::Host },
                Op::NetnsDel { name: "r".into() },
            ]
        );
    }
}
