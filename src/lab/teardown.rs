//! Taking a lab apart: its undo operations, strictly newest first, each
//! deletion checked against what the lab itself made (a namespace by its
//! cookie, a link by its namespace's cookie, index and kind), so a namespace
//! or link that took one of its names since is left alone.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;

use super::journal::Undo;
use super::ledger::{self, Busy, Identities, Identity, Ledger};
use super::shared::{self, Release};
use crate::kernel::Network;
use crate::ops::firewall::policy_key;
use crate::ops::{Hook, Netns, Op, Policy};

/// What a teardown or a rollback did.
#[derive(Debug, Default)]
pub struct Teardown {
    pub undone: Vec<Op>,
    /// Already gone when teardown came to them: not counted as removed.
    pub gone: Vec<Op>,
    /// Left alone: not the lab's own (any more), with why.
    pub skipped: Vec<String>,
    /// Settings left as they are because other labs that are up need them.
    pub held: Vec<String>,
    pub errors: Vec<String>,
    /// Ledger lines that could not be read or were refused.
    pub unread: Vec<String>,
    /// Where a damaged ledger was kept.
    pub kept: Option<PathBuf>,
    /// nft rules removed, those that went with their namespace too: what
    /// `ls` counted.
    pub rules: usize,
}

impl Teardown {
    /// "removed 3 namespaces, 2 links, 1 firewall rule; set back 1 setting"
    pub fn summary(&self) -> String {
        let count = |pred: fn(&Op) -> bool| self.undone.iter().filter(|op| pred(op)).count();
        let parts = [
            (count(|op| matches!(op, Op::NetnsDel { .. })), "namespace"),
            (count(|op| matches!(op, Op::LinkDel { .. })), "link"),
            (count(|op| matches!(op, Op::AddrDel { .. })), "address"),
            (count(|op| matches!(op, Op::RouteDel { .. })), "route"),
            (self.rules, "firewall rule"),
            (count(|op| matches!(op, Op::RuleDel { .. })), "routing rule"),
            (count(|op| matches!(op, Op::FdbDel { .. })), "fdb entry"),
            (count(|op| matches!(op, Op::NeighDel { .. })), "neighbour entry"),
            (count(|op| matches!(op, Op::BridgeVlanDel { .. })), "bridge VLAN"),
            (count(|op| matches!(op, Op::FileRestore { before, .. } if before.content.is_none())), "file"),
        ];
        let removed: Vec<String> =
            parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| plural(*n, what)).collect();
        let stopped = count(|op| matches!(op, Op::ProcessStop { .. }));
        let undo_commands = count(|op| matches!(op, Op::ExecUndo { .. }));
        let removals = count(|op| {
            matches!(
                op,
                Op::NetnsDel { .. }
                    | Op::LinkDel { .. }
                    | Op::AddrDel { .. }
                    | Op::RouteDel { .. }
                    | Op::FirewallDel { .. }
            ) || matches!(op, Op::FileRestore { before, .. } if before.content.is_none())
        });
        let restored = self.undone.len() - removals - stopped - undo_commands;
        let mut text = if removed.is_empty() {
            "removed nothing".to_string()
        } else {
            format!("removed {}", removed.join(", "))
        };
        if stopped > 0 {
            text.push_str(&format!("; stopped {}", plural(stopped, "process")));
        }
        if restored > 0 {
            text.push_str(&format!("; set back {}", plural(restored, "setting")));
        }
        if undo_commands > 0 {
            text.push_str(&format!("; ran {}", plural(undo_commands, "undo command")));
        }
        if !self.gone.is_empty() {
            text.push_str(&format!("; {} gone already", plural(self.gone.len(), "thing")));
        }
        text
    }
}

fn plural(n: usize, what: &str) -> String {
    let many = if what.ends_with('s') {
        format!("{what}es")
    } else if let Some(stem) = what.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{what}s")
    };
    if n == 1 { format!("1 {what}") } else { format!("{n} {many}") }
}

/// What teardown knows about whose things it removes.
pub struct Owner<'a> {
    /// The lab, for settings shared with other labs (None in a dry run).
    pub lab: Option<&'a str>,
    /// What each operation made, by its sequence number.
    pub identities: &'a Identities,
    /// True when reading a ledger back (`down`): a namespace or link whose
    /// identity was never noted (the run was killed right after making it)
    /// is reported, not deleted.
    pub strict: bool,
}

/// Links that go with a deleted namespace: the other end of a veth pair
/// whose one end is inside, when neither end was renamed or moved.
fn followers(undo: &[Undo], applied: &[Op]) -> HashMap<String, Vec<(Netns, String)>> {
    let doomed: HashSet<Netns> = undo
        .iter()
        .filter_map(|u| match &u.op {
            Op::NetnsDel { name } => Some(Netns::Named(name.clone())),
            _ => None,
        })
        .collect();
    let touched: HashSet<(Netns, String)> = applied
        .iter()
        .flat_map(|op| match op {
            Op::LinkRename { ns, dev, new_name } => {
                vec![(ns.clone(), dev.clone()), (ns.clone(), new_name.clone())]
            }
            Op::LinkSetNetns { ns, dev, target } => {
                vec![(ns.clone(), dev.clone()), (target.clone(), dev.clone())]
            }
            _ => vec![],
        })
        .collect();
    let mut follow: HashMap<String, Vec<(Netns, String)>> = HashMap::new();
    for op in applied {
        if let Op::VethAdd { ns, name, peer_ns, peer } = op {
            let ends = [(ns, name), (peer_ns, peer)];
            let untouched = ends.iter().all(|(ns, dev)| !touched.contains(&((*ns).clone(), (*dev).clone())));
            let inside: Vec<_> = ends.iter().filter(|(ns, _)| doomed.contains(*ns)).collect();
            let outside: Vec<_> = ends.iter().filter(|(ns, _)| !doomed.contains(*ns)).collect();
            if let ([(Netns::Named(home), _)], [(ns, dev)]) = (inside.as_slice(), outside.as_slice())
                && untouched
            {
                follow.entry(home.clone()).or_default().push(((*ns).clone(), (*dev).clone()));
            }
        }
    }
    follow
}

/// Runs undo operations (newest first, undoing `applied`) strictly in that
/// order: what is already gone counts as gone, failures are collected and
/// the rest goes on. One reordering: in a stretch of namespace deletions
/// and deletions of the outer ends of veths into those namespaces, the
/// veths go first, all at once (one request per namespace they are in),
/// then the namespaces. A veth end deleted takes its peer with it at once,
/// while a namespace's veths go only when the kernel's cleanup of it comes
/// round, which is slower and would have to be waited for. Returns when
/// the kernel has removed all that the lab could still see.
pub fn undo_all(net: &dyn Network, undo: &[Undo], applied: &[Op], owner: &Owner) -> Teardown {
    let follow = followers(undo, applied);
    let going_with: HashSet<(Netns, String)> = follow.values().flatten().cloned().collect();
    let doomed: HashSet<Netns> = follow.keys().map(|name| Netns::Named(name.clone())).collect();
    let names: Vec<&str> = undo
        .iter()
        .filter_map(|u| match &u.op {
            Op::NetnsDel { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let cookies: HashMap<&str, Option<u64>> = names.iter().copied().zip(net.netns_cookies(&names)).collect();
    let mut report = Teardown::default();
    // A signal from here on stops the teardown between steps: what is left
    // stays in the ledger for `down` to finish.
    let signals = crate::interrupt::count();
    let stopped = || crate::interrupt::count() > signals;
    // Consecutive deletions of links in one namespace, checked, go at once.
    let mut batch: Vec<(Netns, String, u32)> = Vec::new();
    let in_stretch = |u: &Undo| match &u.op {
        Op::NetnsDel { .. } => true,
        Op::LinkDel { ns, dev } => going_with.contains(&(ns.clone(), dev.clone())),
        _ => false,
    };
    let mut stretch_end = 0;
    for (at, u) in undo.iter().enumerate() {
        if stopped() {
            report.errors.push(format!("{}: stopped before it was done", crate::interrupt::message()));
            break;
        }
        if at >= stretch_end && in_stretch(u) {
            flush(net, &mut batch, &mut report);
            stretch_end = at + undo[at..].iter().take_while(|u| in_stretch(u)).count();
            delete_outer_ends(net, &undo[at..stretch_end], &going_with, owner, &mut report);
        }
        let batches = matches!(&u.op, Op::LinkDel { ns, .. } if batch.first().is_none_or(|(n, ..)| n == ns));
        if !batches {
            flush(net, &mut batch, &mut report);
        }
        match &u.op {
            Op::NetnsDel { name } => {
                let now = cookies.get(name.as_str()).copied().flatten();
                if now.is_none() {
                    // Nothing mounted there: gone (a plain file of that name is not ours to unlink).
                    if net.netns_exists(name) {
                        report.errors.push(format!("cannot tell whether namespace '{name}' is this lab's"));
                    } else if net.netns_placeholder_remove(name) {
                        // Killed while it was being made: only its empty file was there.
                        report.undone.push(u.op.clone());
                    } else {
                        report.gone.push(u.op.clone());
                    }
                    continue;
                }
                if let Some(why) = netns_not_ours(name, now, owner.identities.get(&u.seq), owner.strict) {
                    report.skipped.push(why);
                    continue;
                }
                run(net, &u.op, &mut report);
            }
            // Gone with its namespace, or deleted first (delete_outer_ends).
            Op::LinkDel { ns, dev }
                if doomed.contains(ns) || going_with.contains(&(ns.clone(), dev.clone())) => {}
            op => {
                if let Op::LinkDel { ns, dev } = op {
                    match check_link(net, ns, dev, owner.identities.get(&u.seq), owner.strict) {
                        Err(why) => report.skipped.push(why),
                        Ok(Some(index)) => batch.push((ns.clone(), dev.clone(), index)),
                        Ok(None) => report.gone.push(op.clone()),
                    }
                    continue;
                }
                if let Op::ExecUndo { ns, argv, seal } = op
                    && !net.is_dry_run()
                    && let Err(why) = super::key::check(ns, argv, seal)
                {
                    report.skipped.push(why);
                    continue;
                }
                if let Some(why) = super::shaping::qdisc_not_ours(net, op) {
                    report.skipped.push(why);
                    continue;
                }
                if let (Op::ProcessStop { pid, .. }, Some(lab), true) = (op, owner.lab, owner.strict)
                    && crate::kernel::process::start_time(*pid).is_some()
                    && !crate::kernel::process::carries_mark(*pid, &ledger::logs_dir(lab))
                {
                    report.skipped.push(format!(
                        "process {pid} was not started by this lab (it lacks the lab's mark); left it alone"
                    ));
                    continue;
                }
                if let (Op::SysctlSet { ns, key, value }, Some(lab)) = (op, owner.lab) {
                    restore_shared(net, lab, ns, key, value, &mut report);
                    continue;
                }
                if let (Op::ChainPolicy { ns, chain, .. }, Some(lab)) = (op, owner.lab) {
                    restore_policy(net, lab, ns, *chain, op, &mut report);
                    continue;
                }
                run(net, op, &mut report);
            }
        }
    }
    flush(net, &mut batch, &mut report);
    report.rules = rules_removed(&report.undone, applied);
    report
}

/// Deletes the links gathered in `batch`, all at once; one by one if that fails.
fn flush(net: &dyn Network, batch: &mut Vec<(Netns, String, u32)>, report: &mut Teardown) {
    let Some((ns, ..)) = batch.first().cloned() else {
        return;
    };
    let links: Vec<(String, u32)> = batch.iter().map(|(_, dev, index)| (dev.clone(), *index)).collect();
    let ops = batch.drain(..).map(|(ns, dev, _)| Op::LinkDel { ns, dev });
    if links.len() > 1 && net.links_del(&ns, &links).is_ok() {
        report.undone.extend(ops);
        return;
    }
    for op in ops {
        run(net, &op, report);
    }
}

/// The nft rules that `undone` removed: one by one, or with their namespace.
fn rules_removed(undone: &[Op], applied: &[Op]) -> usize {
    let mut live: Vec<(&Netns, &crate::ops::Rule)> = Vec::new();
    for op in applied {
        match op {
            Op::FirewallAdd { ns, rule, .. } if !live.contains(&(ns, rule)) => live.push((ns, rule)),
            Op::FirewallDel { ns, rule, .. } => live.retain(|held| *held != (ns, rule)),
            Op::NetnsDel { name } => live.retain(|(ns, _)| ns.name() != Some(name)),
            _ => {}
        }
    }
    let count = |rule: &crate::ops::Rule| rule.nft_rules("").len();
    undone
        .iter()
        .map(|op| match op {
            Op::NetnsDel { name } => {
                live.iter().filter(|(ns, _)| ns.name() == Some(name)).map(|(_, rule)| count(rule)).sum()
            }
            Op::FirewallDel { rule, .. } => count(rule),
            _ => 0,
        })
        .sum()
}

/// Runs one undo operation; true when it was done.
fn run(net: &dyn Network, op: &Op, report: &mut Teardown) -> bool {
    match net.apply(op) {
        Ok(()) => {
            report.undone.push(op.clone());
            true
        }
        Err(err) if err.is_not_found() => {
            report.gone.push(op.clone());
            false
        }
        Err(err) => {
            report.errors.push(format!("cannot {}: {err}", op.describe()));
            false
        }
    }
}

/// A setting several labs may hold: written back only by the last of them.
fn restore_shared(net: &dyn Network, lab: &str, ns: &Netns, key: &str, value: &str, report: &mut Teardown) {
    let cookie = ns_cookie(net, ns);
    match shared::release(lab, ns, cookie, key) {
        Ok(Release::Held(labs)) => {
            let now = net.sysctl_get(ns, key).unwrap_or_default();
            report.held.push(format!(
                "left {key}{} at {now}: lab{} {} still need{} it",
                ns.location(),
                if labs.len() == 1 { "" } else { "s" },
                labs.join(", "),
                if labs.len() == 1 { "s" } else { "" }
            ));
        }
        Ok(Release::Restore(original)) => {
            let op = Op::SysctlSet { ns: ns.clone(), key: key.to_string(), value: original };
            run(net, &op, report);
        }
        Ok(Release::Unknown) | Err(_) => {
            let op = Op::SysctlSet { ns: ns.clone(), key: key.to_string(), value: value.to_string() };
            run(net, &op, report);
        }
    }
}

/// A drop policy several labs may hold: set back only by the last of them.
fn restore_policy(net: &dyn Network, lab: &str, ns: &Netns, chain: Hook, undo: &Op, report: &mut Teardown) {
    let cookie = ns_cookie(net, ns);
    match shared::release(lab, ns, cookie, &policy_key(chain)) {
        Ok(Release::Held(labs)) => report.held.push(format!(
            "left the policy of chain {chain}{} at drop: lab{} {} still need{} it",
            ns.location(),
            if labs.len() == 1 { "" } else { "s" },
            labs.join(", "),
            if labs.len() == 1 { "s" } else { "" }
        )),
        Ok(Release::Restore(original)) => {
            let policy = Policy::parse(&original).unwrap_or(Policy::Accept);
            run(net, &Op::ChainPolicy { ns: ns.clone(), chain, policy }, report);
        }
        Ok(Release::Unknown) | Err(_) => {
            run(net, undo, report);
        }
    }
}

/// The cookie of the namespace an operation is in.
pub fn ns_cookie(net: &dyn Network, ns: &Netns) -> Option<u64> {
    match ns {
        Netns::Host => net.host_cookie(),
        Netns::Named(name) => net.netns_cookies(&[name.as_str()]).pop().flatten(),
    }
}

/// Why namespace `name` must not be deleted, if it is not the lab's.
fn netns_not_ours(
    name: &str,
    now: Option<u64>,
    made: Option<&Vec<Identity>>,
    strict: bool,
) -> Option<String> {
    let recorded = made.into_iter().flatten().find_map(|identity| match identity {
        Identity::Netns { name: n, cookie } if n == name => Some(*cookie),
        _ => None,
    });
    match (recorded, now) {
        // Gone already, or not a namespace: the deletion says which.
        (_, None) => None,
        (Some(made), Some(now)) if made == now => None,
        (Some(_), Some(_)) => Some(format!("namespace '{name}' is not the one this lab made; left it alone")),
        (None, Some(_)) if !strict => None,
        (None, Some(_)) => Some(format!(
            "namespace '{name}' was being made when the run stopped, before netscript noted which namespace \
             it was; left it alone (if it is this lab's: ip netns del {name})"
        )),
    }
}

/// Whether link `dev` may be deleted: Ok(its index) when it is the lab's,
/// Ok(None) when it is gone, Err(why) when it is not the lab's to delete.
fn check_link(
    net: &dyn Network,
    ns: &Netns,
    dev: &str,
    made: Option<&Vec<Identity>>,
    strict: bool,
) -> Result<Option<u32>, String> {
    check_link_as(net, ns, dev, net.link_identity(ns, dev).ok(), made, strict)
}

/// check_link, given what the kernel says link `dev` is now (None: no such link).
fn check_link_as(
    net: &dyn Network,
    ns: &Netns,
    dev: &str,
    now: Option<(u32, String)>,
    made: Option<&Vec<Identity>>,
    strict: bool,
) -> Result<Option<u32>, String> {
    let recorded = made.into_iter().flatten().find_map(|identity| match identity {
        Identity::Link { ns: n, index, kind, ns_cookie, .. } if n == ns => {
            Some((*index, kind.clone(), *ns_cookie))
        }
        _ => None,
    });
    let Some((index, kind)) = now else {
        return Ok(None);
    };
    let by_hand = match ns {
        Netns::Host => format!("ip link del {dev}"),
        Netns::Named(name) => format!("ip -n {name} link del {dev}"),
    };
    match recorded {
        Some((made_index, made_kind, made_cookie)) => {
            if made_index == index && made_kind == kind && ns_cookie(net, ns) == Some(made_cookie) {
                Ok(Some(index))
            } else {
                Err(format!("link '{dev}'{} is not the one this lab made; left it alone", ns.location()))
            }
        }
        None if !strict => Ok(Some(index)),
        None => Err(format!(
            "link '{dev}'{} was being made when the run stopped, before netscript noted which link it was; \
             left it alone (if it is this lab's: {by_hand})",
            ns.location()
        )),
    }
}

/// Deletes the outer ends of veths into namespaces that `stretch` deletes
/// (each checked as the lab's own), all of one namespace at once.
fn delete_outer_ends(
    net: &dyn Network,
    stretch: &[Undo],
    going_with: &HashSet<(Netns, String)>,
    owner: &Owner,
    report: &mut Teardown,
) {
    let mut by_ns: Vec<Vec<(Netns, String, u32)>> = Vec::new();
    // One dump per namespace instead of one request per link: every check
    // comes before any deletion, so the dump is what each request would say.
    let mut now: HashMap<Netns, HashMap<String, (u32, String)>> = HashMap::new();
    for u in stretch {
        let Op::LinkDel { ns, dev } = &u.op else { continue };
        if !going_with.contains(&(ns.clone(), dev.clone())) {
            continue;
        }
        let links = now.entry(ns.clone()).or_insert_with(|| net.link_identities(ns).unwrap_or_default());
        let identity = links.get(dev).cloned();
        match check_link_as(net, ns, dev, identity, owner.identities.get(&u.seq), owner.strict) {
            Err(why) => report.skipped.push(why),
            Ok(None) => report.gone.push(u.op.clone()),
            Ok(Some(index)) => match by_ns.iter_mut().find(|links| links[0].0 == *ns) {
                Some(links) => links.push((ns.clone(), dev.clone(), index)),
                None => by_ns.push(vec![(ns.clone(), dev.clone(), index)]),
            },
        }
    }
    for mut links in by_ns {
        flush(net, &mut links, report);
    }
}

/// Takes down a lab that is up, from its ledger, holding its lock.
pub fn down(net: &dyn Network, lab: &str) -> Result<Teardown, String> {
    super::store::check_lab_name(lab)?;
    super::store::dir_exists(&ledger::labs_dir()).map_err(|err| err.to_string())?;
    if !ledger::exists(lab) {
        let up = ledger::list().unwrap_or_default();
        let others =
            if up.is_empty() { "no lab is up".to_string() } else { format!("labs up: {}", up.join(", ")) };
        return Err(format!("no lab named '{lab}' is up ({others})"));
    }
    let locked = match Ledger::lock(lab) {
        Ok(locked) => locked,
        Err(busy @ Busy::InUse(_)) => {
            let pid = match busy {
                Busy::InUse(Some(pid)) => format!(" (`kill {pid}` stops it, and rolls it back)"),
                _ => String::new(),
            };
            return Err(format!("{}; wait until it ends, or stop it first{pid}", busy.explain(lab)));
        }
        Err(busy) => return Err(busy.explain(lab)),
    };
    down_locked(net, lab, locked)
}

/// Takes down a lab whose ledger this process holds locked.
pub fn down_locked(
    net: &dyn Network,
    lab: &str,
    (file, text): (std::fs::File, String),
) -> Result<Teardown, String> {
    let replay = ledger::parse_for(lab, &text);
    if let (Some(made_in), Some(here)) = (replay.host, net.host_cookie())
        && made_in != here
    {
        return Err(format!(
            "lab '{lab}' was built from another network namespace than this one; run `netscript down {lab}` there"
        ));
    }
    let undo: Vec<Undo> = replay.undo.iter().rev().cloned().collect();
    let owner = Owner { lab: Some(lab), identities: &replay.identities, strict: true };
    let mut report = undo_all(net, &undo, &replay.applied, &owner);
    report.unread = replay.skipped.clone();
    if report.errors.is_empty() {
        let _ = fs::remove_dir_all(ledger::logs_dir(lab));
        let ledger = Ledger::from_locked(lab, file);
        if replay.damaged() || !report.skipped.is_empty() {
            report.kept = Some(
                ledger
                    .set_aside()
                    .map_err(|err| format!("cannot set the ledger of lab '{lab}' aside: {err}"))?,
            );
        } else {
            ledger.remove().map_err(|err| format!("cannot remove the ledger of lab '{lab}': {err}"))?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    fn undo(ops: &[Op]) -> Vec<Undo> {
        ops.iter().enumerate().map(|(seq, op)| Undo { op: op.clone(), seq: seq as u64 }).collect()
    }

    #[test]
    fn the_host_end_of_a_veth_goes_with_its_namespace() {
        let applied = vec![
            Op::BridgeAdd { ns: Netns::Host, name: "br0".into() },
            Op::NetnsAdd { name: "h1".into(), lo_up: true, ipv6: true },
            Op::VethAdd { ns: Netns::Host, name: "v1".into(), peer_ns: named("h1"), peer: "eth0".into() },
            Op::VethAdd { ns: Netns::Host, name: "a".into(), peer_ns: Netns::Host, peer: "b".into() },
        ];
        let undo = undo(&[
            Op::LinkDel { ns: Netns::Host, dev: "a".into() },
            Op::LinkDel { ns: Netns::Host, dev: "v1".into() },
            Op::NetnsDel { name: "h1".into() },
            Op::LinkDel { ns: Netns::Host, dev: "br0".into() },
        ]);
        let follow = followers(&undo, &applied);
        assert_eq!(follow["h1"], [(Netns::Host, "v1".to_string())]);
        assert_eq!(follow.len(), 1);
    }

    #[test]
    fn a_renamed_veth_is_deleted_by_itself() {
        let applied = vec![
            Op::NetnsAdd { name: "h1".into(), lo_up: true, ipv6: true },
            Op::VethAdd { ns: Netns::Host, name: "v1".into(), peer_ns: named("h1"), peer: "eth0".into() },
            Op::LinkRename { ns: Netns::Host, dev: "v1".into(), new_name: "up".into() },
        ];
        let undo = undo(&[
            Op::LinkRename { ns: Netns::Host, dev: "up".into(), new_name: "v1".into() },
            Op::LinkDel { ns: Netns::Host, dev: "v1".into() },
            Op::NetnsDel { name: "h1".into() },
        ]);
        assert!(followers(&undo, &applied).is_empty());
    }

    #[test]
    fn identities_decide_what_is_deleted() {
        let made = vec![Identity::Netns { name: "a".into(), cookie: 7 }];
        assert_eq!(netns_not_ours("a", Some(7), Some(&made), true), None);
        assert!(
            netns_not_ours("a", Some(8), Some(&made), true).unwrap().contains("not the one this lab made")
        );
        assert!(netns_not_ours("a", Some(8), None, true).unwrap().contains("ip netns del a"));
        assert_eq!(netns_not_ours("a", Some(8), None, false), None);
        assert_eq!(netns_not_ours("a", None, Some(&made), true), None);
    }

    #[test]
    fn summary_counts_what_was_removed_not_what_was_gone() {
        let report = Teardown {
            undone: vec![Op::NetnsDel { name: "a".into() }],
            gone: vec![Op::NetnsDel { name: "b".into() }],
            ..Teardown::default()
        };
        assert_eq!(report.summary(), "removed 1 namespace; 1 thing gone already");
    }
}
