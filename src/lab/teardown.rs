//! Taking a lab apart: its undo operations, newest first, each checked
//! against what the lab itself made, so a namespace or link that took one of
//! its names since is left alone.

use std::fs;

use super::ledger::{self, Replay};
use crate::kernel::Network;
use crate::ops::Op;

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
        let restored = self.undone.len() - parts.iter().map(|(n, _)| n).sum::<usize>();
        let mut text = if removed.is_empty() {
            "removed nothing".to_string()
        } else {
            format!("removed {}", removed.join(", "))
        };
        if restored > 0 {
            text.push_str(&format!("; set back {}", plural(restored, "setting")));
        }
        text
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// Runs undo operations in the order given. With the lab's replay, each
/// deletion first checks that what it deletes is what the lab made.
pub fn undo_all(net: &dyn Network, undo: &[Op], replay: Option<&Replay>) -> Teardown {
    let mut report = Teardown::default();
    for op in undo {
        if let Some(why) = replay.and_then(|replay| not_ours(net, replay, op)) {
            report.skipped.push(why);
            continue;
        }
        match net.apply(op) {
            Ok(()) => report.undone.push(op.clone()),
            Err(err) if err.is_not_found() => {}
            Err(err) => report.errors.push(format!("cannot {}: {err}", op.describe())),
        }
    }
    report
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
    let report = undo_all(net, &undo, Some(&replay));
    if report.errors.is_empty() {
        fs::remove_file(ledger::path(lab))
            .map_err(|err| format!("cannot remove the ledger of lab '{lab}': {err}"))?;
    }
    Ok(report)
}
