//! Taking a lab apart: its undo operations, newest first, each checked
//! against what the lab itself made, so a namespace or link that took one of
//! its names since is left alone.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::time::{Duration, Instant};

use super::ledger::{self, Replay};
use crate::kernel::Network;
use crate::ops::{Netns, Op};

/// What a teardown or a rollback did.
#[derive(Debug, Default)]
pub struct Teardown {
    pub undone: Vec<Op>,
    /// Left alone: not the lab's own any more.
    pub skipped: Vec<String>,
    pub errors: Vec<String>,
}

impl Teardown {
    /// "removed 3 namespaces, 2 links, 1 firewall rule; restored 1 setting"
    pub fn summary(&self) -> String {
        let count = |pred: fn(&Op) -> bool| self.undone.iter().filter(|op| pred(op)).count();
        let parts = [
            (count(|op| matches!(op, Op::NetnsDel { .. })), "namespace"),
            (count(|op| matches!(op, Op::LinkDel { .. })), "link"),
            (count(|op| matches!(op, Op::AddrDel { .. })), "address"),
            (count(|op| matches!(op, Op::RouteDel { .. })), "route"),
            (count(|op| matches!(op, Op::FirewallDel { .. })), "firewall rule"),
        ];
        let removed: Vec<String> =
            parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| plural(*n, what)).collect();
        let stopped = count(|op| matches!(op, Op::ProcessStop { .. }));
        let restored = self.undone.len() - parts.iter().map(|(n, _)| n).sum::<usize>() - stopped;
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
        text
    }
}

fn plural(n: usize, what: &str) -> String {
    let many = if what.ends_with('s') { format!("{what}es") } else { format!("{what}s") };
    if n == 1 { format!("1 {what}") } else { format!("{n} {many}") }
}

/// The order a teardown runs in. Deleting the namespaces first lets the
/// kernel take their veths, and the host-side ends with them, in one batch
/// (one RCU grace period for all) instead of one link at a time; and a
/// bridge whose ports are gone is deleted without detaching each port.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Settings, rules, addresses, routes, renames and moves, newest first.
    first: Vec<Op>,
    namespaces: Vec<Op>,
    /// Links that go with a deleted namespace (the other end of a veth).
    follow: Vec<(Netns, String)>,
    /// The other links, newest first.
    last: Vec<Op>,
}

/// Plans undo operations (newest first), knowing the operations they undo.
fn plan(undo: &[Op], applied: &[Op]) -> Plan {
    let doomed: HashSet<Netns> = undo
        .iter()
        .filter_map(|op| match op {
            Op::NetnsDel { name } => Some(Netns::Named(name.clone())),
            _ => None,
        })
        .collect();
    // A link renamed or moved is followed by name no more: delete it as it is.
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
    let mut follow: Vec<(Netns, String)> = Vec::new();
    for op in applied {
        if let Op::VethAdd { ns, name, peer_ns, peer } = op {
            let ends = [(ns, name), (peer_ns, peer)];
            let in_doomed = ends.iter().filter(|(ns, _)| doomed.contains(*ns)).count();
            let untouched = ends.iter().all(|(ns, dev)| !touched.contains(&((*ns).clone(), (*dev).clone())));
            if in_doomed == 1 && untouched {
                let (ns, dev) =
                    ends.into_iter().find(|(ns, _)| !doomed.contains(*ns)).expect("one end outside");
                follow.push((ns.clone(), dev.clone()));
            }
        }
    }
    let mut plan = Plan { follow, ..Plan::default() };
    for op in undo {
        match op {
            Op::NetnsDel { .. } => plan.namespaces.push(op.clone()),
            Op::LinkDel { ns, .. } if doomed.contains(ns) => {}
            Op::LinkDel { ns, dev } if plan.follow.contains(&(ns.clone(), dev.clone())) => {}
            Op::LinkDel { .. } => plan.last.push(op.clone()),
            _ => plan.first.push(op.clone()),
        }
    }
    plan
}

/// Runs undo operations (newest first, undoing `applied`): what is already
/// gone counts as done, failures are collected and the rest goes on. With
/// the lab's replay, each deletion first checks that what it deletes is
/// what the lab made. Returns when the kernel has really removed it all.
pub fn undo_all(net: &dyn Network, undo: &[Op], applied: &[Op], replay: Option<&Replay>) -> Teardown {
    let plan = plan(undo, applied);
    let mut report = Teardown::default();
    let run = |op: &Op, report: &mut Teardown| {
        if let Some(why) = replay.and_then(|replay| not_ours(net, replay, op)) {
            report.skipped.push(why);
            return;
        }
        match net.apply(op) {
            Ok(()) => report.undone.push(op.clone()),
            Err(err) if err.is_not_found() => {}
            Err(err) => report.errors.push(format!("cannot {}: {err}", op.describe())),
        }
    };
    for op in plan.first.iter().chain(&plan.namespaces) {
        run(op, &mut report);
    }
    wait_until_gone(net, &plan.follow, replay, &mut report);
    for op in &plan.last {
        run(op, &mut report);
    }
    report
}

/// Waits for the kernel to free the deleted namespaces, which takes their
/// veths' other ends along a moment later.
fn wait_until_gone(
    net: &dyn Network,
    links: &[(Netns, String)],
    replay: Option<&Replay>,
    report: &mut Teardown,
) {
    const PATIENCE: Duration = Duration::from_secs(30);
    let started = Instant::now();
    // What is still there, by namespace, with the index it had when made.
    let mut waiting: Vec<(Netns, String)> = links.to_vec();
    while !waiting.is_empty() {
        let mut present: HashMap<Netns, Vec<(String, u32)>> = HashMap::new();
        for ns in waiting.iter().map(|(ns, _)| ns.clone()).collect::<HashSet<_>>() {
            present.insert(ns.clone(), net.link_indexes(&ns).unwrap_or_default());
        }
        waiting.retain(|(ns, dev)| {
            let made = replay.and_then(|replay| replay.link_index(ns, dev));
            present[ns].iter().any(|(name, index)| name == dev && made.is_none_or(|made| made == *index))
        });
        if waiting.is_empty() {
            break;
        }
        if started.elapsed() > PATIENCE {
            for (ns, dev) in &waiting {
                report.errors.push(format!(
                    "link '{dev}'{} was still there {}s after its namespace went",
                    ns.location(),
                    PATIENCE.as_secs()
                ));
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // They went with their namespaces: count them as removed.
    for (ns, dev) in links {
        if !report.errors.iter().any(|e| e.contains(&format!("'{dev}'"))) {
            report.undone.push(Op::LinkDel { ns: ns.clone(), dev: dev.clone() });
        }
    }
}

/// Why `op` must not run, if what it would remove is not the lab's.
fn not_ours(net: &dyn Network, replay: &Replay, op: &Op) -> Option<String> {
    match op {
        Op::NetnsDel { name } => {
            let made = replay.netns_inode(name)?;
            let now = net.netns_identity(name)?;
            (now != made).then(|| format!("namespace '{name}' is not the one this lab made; left it alone"))
        }
        Op::LinkDel { ns, dev } => {
            let made = replay.link_index(ns, dev)?;
            let now = net.link_index(ns, dev).ok()?;
            (now != made)
                .then(|| format!("link '{dev}'{} is not the one this lab made; left it alone", ns.location()))
        }
        _ => None,
    }
}

/// Takes down a lab that is up, from its ledger.
pub fn down(net: &dyn Network, lab: &str) -> Result<Teardown, String> {
    let replay = match ledger::read(lab) {
        Ok(replay) => replay,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let up = ledger::list().unwrap_or_default();
            let others = if up.is_empty() {
                "no lab is up".to_string()
            } else {
                format!("labs up: {}", up.join(", "))
            };
            return Err(format!("no lab named '{lab}' is up ({others})"));
        }
        Err(err) => return Err(format!("cannot read the ledger of lab '{lab}': {err}")),
    };
    if let Some(pid) = replay.pid.filter(|pid| ledger::still_running(*pid)) {
        return Err(format!(
            "lab '{lab}' is still in use by netscript process {pid}; stop that first (Ctrl-C, or :quit in a REPL)"
        ));
    }
    let undo: Vec<Op> = replay.undo.iter().rev().cloned().collect();
    let report = undo_all(net, &undo, &replay.applied, Some(&replay));
    if report.errors.is_empty() {
        let _ = fs::remove_dir_all(ledger::logs_dir(lab));
        fs::remove_file(ledger::path(lab))
            .map_err(|err| format!("cannot remove the ledger of lab '{lab}': {err}"))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Netns {
        Netns::Named(n.into())
    }

    #[test]
    fn namespaces_go_first_and_take_their_veths_along() {
        let applied = vec![
            Op::BridgeAdd { ns: Netns::Host, name: "br0".into() },
            Op::NetnsAdd { name: "h1".into(), lo_up: true, ipv6: true },
            Op::VethAdd { ns: Netns::Host, name: "v1".into(), peer_ns: named("h1"), peer: "eth0".into() },
            Op::VethAdd { ns: Netns::Host, name: "a".into(), peer_ns: Netns::Host, peer: "b".into() },
            Op::SysctlSet { ns: Netns::Host, key: "net.ipv4.ip_forward".into(), value: "1".into() },
        ];
        let undo = vec![
            Op::SysctlSet { ns: Netns::Host, key: "net.ipv4.ip_forward".into(), value: "0".into() },
            Op::LinkDel { ns: Netns::Host, dev: "a".into() },
            Op::LinkDel { ns: Netns::Host, dev: "v1".into() },
            Op::NetnsDel { name: "h1".into() },
            Op::LinkDel { ns: Netns::Host, dev: "br0".into() },
        ];
        let plan = plan(&undo, &applied);
        assert_eq!(plan.first, [undo[0].clone()]);
        assert_eq!(plan.namespaces, [undo[3].clone()]);
        assert_eq!(plan.follow, [(Netns::Host, "v1".to_string())]);
        assert_eq!(plan.last, [undo[1].clone(), undo[4].clone()]);
    }

    #[test]
    fn a_renamed_veth_is_deleted_by_its_new_name() {
        let applied = vec![
            Op::NetnsAdd { name: "h1".into(), lo_up: true, ipv6: true },
            Op::VethAdd { ns: Netns::Host, name: "v1".into(), peer_ns: named("h1"), peer: "eth0".into() },
            Op::LinkRename { ns: Netns::Host, dev: "v1".into(), new_name: "up".into() },
        ];
        let undo = vec![
            Op::LinkRename { ns: Netns::Host, dev: "up".into(), new_name: "v1".into() },
            Op::LinkDel { ns: Netns::Host, dev: "v1".into() },
            Op::NetnsDel { name: "h1".into() },
        ];
        let plan = plan(&undo, &applied);
        assert!(plan.follow.is_empty());
        assert_eq!(plan.last, [undo[1].clone()]);
    }
}
