//! A lab: what one run (or REPL session) created, so that a failed run can
//! be rolled back, a lab that is up can be taken down, and nothing it did
//! not create is ever touched.

mod contents;
mod journal;
pub mod ledger;
mod made;
mod profile;
mod progress;
mod teardown;

pub use contents::contents;
pub use journal::{Journal, Prior};
pub use ledger::Ledger;
pub use made::{MadeLink, made_links};
pub use profile::Profile;
pub use progress::Progress;
pub use teardown::{Teardown, down, undo_all};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::kernel::Network;
use crate::ops::{Netns, Op};
use crate::output::errln;
use ledger::{Entry, Identity};

/// The network (the kernel, or the dry run's world), the journal of what this lab changed in it, and the ledger
/// that keeps that journal on disk.
pub struct Lab {
    net: Box<dyn Network>,
    journal: Journal,
    /// Where the ledger goes, made at the first change: a run that changes
    /// nothing leaves no trace and needs no privileges.
    ledger_for: Option<LedgerName>,
    ledger: Option<Ledger>,
    /// Print each operation, as the `ip` command it stands for, before it runs.
    trace: bool,
    /// Set by SIGINT/SIGTERM: the next operation fails instead of running.
    interrupted: Arc<AtomicBool>,
    /// `--profile`: where the time goes.
    profile: Option<Profile>,
    /// Background processes started so far, to name their logs.
    spawned: u32,
    /// Links made whose identity is not in the ledger yet: noted in batches,
    /// one dump per namespace, instead of one query per link.
    unnoted: Vec<(u64, Netns, String)>,
    /// The progress line of a long run in a terminal.
    progress: Option<Progress>,
}

/// The lab a ledger belongs to and the script that writes it.
#[derive(Debug, Clone)]
pub struct LedgerName {
    pub lab: String,
    pub script: Option<String>,
}

impl Lab {
    /// A lab whose changes are written to the ledger `ledger_for` names.
    pub fn new(net: Box<dyn Network>, ledger_for: Option<LedgerName>, trace: bool) -> Self {
        Lab {
            net,
            journal: Journal::default(),
            ledger_for,
            ledger: None,
            trace,
            interrupted: Arc::new(AtomicBool::new(false)),
            profile: None,
            unnoted: Vec::new(),
            spawned: 0,
            progress: None,
        }
    }

    /// Shows a progress line on stderr once the run takes over a second.
    pub fn enable_progress(&mut self) {
        self.progress = Some(Progress::new());
    }

    /// Runs `work` (a print) with the progress line out of its way.
    pub fn without_progress_line<R>(&self, work: impl FnOnce() -> R) -> R {
        match &self.progress {
            Some(progress) => progress.suspend(work),
            None => work(),
        }
    }

    /// The run is over: the progress line goes.
    pub fn end_progress(&mut self) {
        if let Some(progress) = &mut self.progress {
            progress.finish();
        }
    }

    /// The lab's name, when it keeps a ledger.
    pub fn name(&self) -> Option<&str> {
        self.ledger_for.as_ref().map(|name| name.lab.as_str())
    }

    /// The script that builds the lab, when there is one.
    pub fn script(&self) -> Option<&str> {
        self.ledger_for.as_ref().and_then(|name| name.script.as_deref())
    }

    /// The operations applied so far and not undone, in order.
    pub fn applied(&self) -> &[Op] {
        self.journal.applied()
    }

    /// Opens the ledger at the first change.
    fn open_ledger(&mut self) -> std::io::Result<()> {
        if self.ledger.is_none()
            && let Some(name) = &self.ledger_for
        {
            self.ledger = Some(Ledger::create(&name.lab, name.script.as_deref())?);
        }
        Ok(())
    }

    pub fn net(&self) -> &dyn Network {
        self.net.as_ref()
    }

    /// Starts measuring where the time goes.
    pub fn enable_profile(&mut self) {
        self.profile = Some(Profile::default());
    }

    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    fn measure(&mut self, what: &str, since: Instant) {
        if let Some(profile) = &mut self.profile {
            profile.add(what, since);
        }
    }

    /// The flag that interrupts this lab's run; signal handlers set it.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupted.clone()
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Checks, records and executes one operation. The error says what was
    /// asked and why it could not be done.
    pub fn apply(&mut self, op: Op) -> Result<(), String> {
        self.execute(op).map(drop)
    }

    /// Starts a background process of the lab inside `ns`; teardown stops
    /// it. Returns its pid and the file its output goes to.
    pub fn spawn(&mut self, ns: Netns, argv: Vec<String>) -> Result<(u32, String), String> {
        self.spawned += 1;
        let log = match &self.ledger_for {
            Some(name) if !self.net.is_dry_run() => {
                let dir = ledger::logs_dir(&name.lab);
                let _ = std::fs::create_dir_all(&dir);
                let program = argv.first().and_then(|p| p.rsplit('/').next()).unwrap_or("process");
                dir.join(format!("{}-{program}.log", self.spawned)).display().to_string()
            }
            _ => "/dev/null".to_string(),
        };
        let started = self.execute(Op::ProcessStart { ns, argv, log: log.clone() })?;
        Ok((started.map_or(0, |(pid, _)| pid), log))
    }

    /// Checks, records and executes one operation; for a process, returns
    /// its pid and start time.
    fn execute(&mut self, op: Op) -> Result<Option<(u32, u64)>, String> {
        if self.is_interrupted() {
            return Err(format!("interrupted before it could {}", op.describe()));
        }
        op.validate().map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        self.open_ledger().map_err(|err| {
            let place = ledger::labs_dir();
            format!("cannot {}: cannot write the lab's ledger in {}: {err}", op.describe(), place.display())
        })?;
        let started = Instant::now();
        let prior = if self.journal.needs_prior_state(&op) { self.prior_state(&op) } else { None };
        self.measure("(state before)", started);
        let mark = self.journal.record(&op, prior.as_ref());
        let started = Instant::now();
        // Written before it is applied: a crash right after still leaves a
        // ledger from which `down` removes it.
        let seq = match &mut self.ledger {
            Some(ledger) => {
                let seq = ledger.next_seq();
                let undo = self.journal.undo_since(mark).to_vec();
                if let Err(err) = ledger.append(&Entry::Apply { seq, op: op.clone(), undo }) {
                    self.journal.forget(mark, &op);
                    return Err(format!("cannot {}: cannot write the lab's ledger: {err}", op.describe()));
                }
                Some(seq)
            }
            None => None,
        };
        self.measure("(ledger)", started);
        if self.trace {
            for line in op.render() {
                errln!("+ {line}");
            }
        }
        if matches!(op, Op::LinkRename { .. } | Op::LinkSetNetns { .. } | Op::LinkDel { .. }) {
            // Note identities while the names still stand for what was made.
            self.note_identities();
        }
        let started = Instant::now();
        let applied = match &op {
            Op::ProcessStart { ns, argv, log } => self.net.spawn(ns, argv, log).map(Some),
            _ => self.net.apply(&op).map(|()| None),
        };
        self.measure(op.kind(), started);
        if let Ok(Some((pid, start))) = applied {
            let stop = Op::ProcessStop { pid, start };
            self.journal.add_undo(stop.clone());
            if let (Some(ledger), Some(seq)) = (&mut self.ledger, seq) {
                let _ = ledger.append(&Entry::Undo { seq, undo: vec![stop] });
            }
        }
        if let Err(err) = &applied {
            self.journal.forget(mark, &op);
            if let (Some(ledger), Some(seq)) = (&mut self.ledger, seq) {
                let _ = ledger.append(&Entry::Failed { seq });
            }
            return Err(format!("cannot {}: {err}", op.describe()));
        }
        if let (Some(seq), false) = (seq, self.journal.undo_since(mark).is_empty()) {
            let started = Instant::now();
            self.record_identity(seq, &op);
            self.measure("(identity)", started);
        }
        if let Some(progress) = &mut self.progress {
            progress.note(&op);
        }
        Ok(applied.ok().flatten())
    }

    /// Notes what makes a new namespace or host-side link this lab's own,
    /// so teardown leaves alone anything that takes its name later.
    fn record_identity(&mut self, seq: u64, op: &Op) {
        const BATCH: usize = 256;
        match op {
            Op::NetnsAdd { name, .. } => {
                if let (Some(inode), Some(ledger)) = (self.net.netns_identity(name), &mut self.ledger) {
                    let what = Identity::Netns { name: name.clone(), inode };
                    let _ = ledger.append(&Entry::Created { seq, what });
                }
            }
            Op::VethAdd { ns, name, .. } | Op::BridgeAdd { ns, name } => {
                self.unnoted.push((seq, ns.clone(), name.clone()));
                if self.unnoted.len() >= BATCH {
                    self.note_identities();
                }
            }
            _ => {}
        }
    }

    /// Writes the indexes of the links made since the last time, reading
    /// each namespace's links once.
    fn note_identities(&mut self) {
        let unnoted = std::mem::take(&mut self.unnoted);
        let mut by_ns: std::collections::HashMap<Netns, Vec<(String, u32)>> = Default::default();
        for (seq, ns, name) in unnoted {
            if !by_ns.contains_key(&ns) {
                by_ns.insert(ns.clone(), self.net.link_indexes(&ns).unwrap_or_default());
            }
            let index = by_ns[&ns].iter().find(|(n, _)| *n == name).map(|(_, index)| *index);
            if let (Some(index), Some(ledger)) = (index, &mut self.ledger) {
                let _ = ledger.append(&Entry::Created { seq, what: Identity::Link { ns, name, index } });
            }
        }
    }

    /// What `op` is about to change, as it is now. None when it cannot be
    /// read: then the operation itself fails, with the better message.
    fn prior_state(&self, op: &Op) -> Option<Prior> {
        match op {
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. } => self.net.link(ns, dev).ok().map(Prior::Link),
            Op::SysctlSet { ns, key, .. } => self.net.sysctl_get(ns, key).ok().map(Prior::Sysctl),
            Op::FirewallAdd { ns, rule } => self.net.firewall_has(ns, rule).ok().map(Prior::RulePresent),
            _ => None,
        }
    }

    /// Undoes everything this run did and removes the lab's ledger.
    pub fn rollback(&mut self) -> Teardown {
        let (undo, applied) = self.journal.take_all();
        let report = undo_all(self.net.as_ref(), &undo, &applied, None);
        if report.errors.is_empty()
            && let Some(ledger) = self.ledger.take()
        {
            if let Some(name) = &self.ledger_for {
                let _ = std::fs::remove_dir_all(ledger::logs_dir(&name.lab));
            }
            let _ = ledger.remove();
        }
        report
    }

    /// The run succeeded: the lab stays up, with its ledger, if it made
    /// anything; a lab that changed nothing leaves no ledger behind.
    pub fn finish(&mut self) -> bool {
        self.note_identities();
        let up = self.journal.has_undo();
        if !up && let Some(ledger) = self.ledger.take() {
            let _ = ledger.remove();
        }
        up
    }
}

// ---- REPL support: continuing a lab, undoing one input, taking it down ----

/// Where a lab stood before an input, so that a failed input can undo what
/// it changed and nothing older.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    journal: journal::Mark,
    /// The ledger's next sequence number then (0: no ledger yet, so its
    /// first operation will be the first after the mark).
    seq: u64,
}

impl Lab {
    /// Continues a lab that is up: this process's changes go to the end of
    /// its ledger. What the lab held before stays, and is not this
    /// process's to roll back.
    pub fn resume(net: Box<dyn Network>, ledger_for: LedgerName, trace: bool) -> std::io::Result<Self> {
        let ledger = Ledger::resume(&ledger_for.lab, ledger_for.script.as_deref())?;
        let mut lab = Lab::new(net, Some(ledger_for), trace);
        lab.ledger = Some(ledger);
        Ok(lab)
    }

    pub fn mark(&self) -> Mark {
        Mark { journal: self.journal.mark(), seq: self.ledger.as_ref().map_or(0, Ledger::peek_seq) }
    }

    /// Undoes what was applied since `mark`, newest first, and tells the
    /// ledger so. When an undo fails, the ledger keeps those operations for
    /// `netscript down` to try again.
    pub fn rollback_to(&mut self, mark: Mark) -> Teardown {
        let (undo, applied) = self.journal.take_since(mark.journal);
        let report = undo_all(self.net.as_ref(), &undo, &applied, None);
        if report.errors.is_empty()
            && let Some(ledger) = &mut self.ledger
            && ledger.peek_seq() > mark.seq
        {
            let _ = ledger.append(&Entry::Undone { seq: mark.seq });
        }
        report
    }

    /// Takes the whole lab down from its ledger, what earlier runs made
    /// included, and starts again empty.
    pub fn take_down(&mut self) -> Result<Teardown, String> {
        let name = self.ledger_for.clone().ok_or("this lab keeps no ledger")?;
        // Closed first: `down` removes the file.
        self.ledger = None;
        self.journal = Journal::default();
        let result = down(self.net.as_ref(), &name.lab);
        if ledger::path(&name.lab).exists() {
            // Some undo failed and the ledger stays: keep writing to it.
            self.ledger = Ledger::resume(&name.lab, name.script.as_deref()).ok();
        }
        result
    }

    /// The session ends: true when the lab holds something (its ledger has
    /// something to undo); a ledger with nothing to undo is removed.
    pub fn close(&mut self) -> bool {
        let (Some(ledger), Some(name)) = (self.ledger.take(), &self.ledger_for) else {
            return false;
        };
        let holds = ledger::read(&name.lab).map_or(true, |replay| !replay.undo.is_empty());
        if !holds {
            let _ = ledger.remove();
        }
        holds
    }
}
