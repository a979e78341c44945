//! A lab: what one run (or REPL session) created, so that a failed run can
//! be rolled back, a lab that is up can be taken down, and nothing it did
//! not create is ever touched.

mod contents;
mod journal;
pub mod ledger;
mod teardown;

pub use contents::contents;
pub use journal::{Journal, Prior};
pub use ledger::Ledger;
pub use teardown::{Teardown, down, undo_all};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::kernel::{Kernel, netns};
use crate::ops::Op;
use ledger::{Entry, Identity};

/// The kernel, the journal of what this lab changed in it, and the ledger
/// that keeps that journal on disk.
pub struct Lab {
    kernel: Kernel,
    journal: Journal,
    /// Where the ledger goes, made at the first change: a run that changes
    /// nothing leaves no trace and needs no privileges.
    ledger_for: Option<LedgerName>,
    ledger: Option<Ledger>,
    /// Print each operation, as the `ip` command it stands for, before it runs.
    trace: bool,
    /// Set by SIGINT/SIGTERM: the next operation fails instead of running.
    interrupted: Arc<AtomicBool>,
}

/// The lab a ledger belongs to and the script that writes it.
#[derive(Debug, Clone)]
pub struct LedgerName {
    pub lab: String,
    pub script: Option<String>,
}

impl Lab {
    /// A lab whose changes are written to the ledger `ledger_for` names.
    pub fn new(kernel: Kernel, ledger_for: Option<LedgerName>, trace: bool) -> Self {
        Lab {
            kernel,
            journal: Journal::default(),
            ledger_for,
            ledger: None,
            trace,
            interrupted: Arc::new(AtomicBool::new(false)),
        }
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

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
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
        if self.is_interrupted() {
            return Err(format!("interrupted before it could {}", op.describe()));
        }
        op.validate().map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        self.open_ledger().map_err(|err| {
            let place = ledger::labs_dir();
            format!("cannot {}: cannot write the lab's ledger in {}: {err}", op.describe(), place.display())
        })?;
        let prior = if self.journal.needs_prior_state(&op) { self.prior_state(&op) } else { None };
        let mark = self.journal.record(&op, prior.as_ref());
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
        if self.trace {
            for line in op.render() {
                eprintln!("+ {line}");
            }
        }
        if let Err(err) = self.kernel.apply(&op) {
            self.journal.forget(mark, &op);
            if let (Some(ledger), Some(seq)) = (&mut self.ledger, seq) {
                let _ = ledger.append(&Entry::Failed { seq });
            }
            return Err(format!("cannot {}: {err}", op.describe()));
        }
        if let (Some(seq), false) = (seq, self.journal.undo_since(mark).is_empty()) {
            self.record_identity(seq, &op);
        }
        Ok(())
    }

    /// Notes what makes a new namespace or host-side link this lab's own,
    /// so teardown leaves alone anything that takes its name later.
    fn record_identity(&mut self, seq: u64, op: &Op) {
        let what = match op {
            Op::NetnsAdd { name, .. } => {
                netns::inode(name).map(|inode| Identity::Netns { name: name.clone(), inode })
            }
            Op::VethAdd { ns, name, .. } | Op::BridgeAdd { ns, name } => self
                .kernel
                .link_index(ns, name)
                .ok()
                .map(|index| Identity::Link { ns: ns.clone(), name: name.clone(), index }),
            _ => None,
        };
        if let (Some(what), Some(ledger)) = (what, &mut self.ledger) {
            let _ = ledger.append(&Entry::Created { seq, what });
        }
    }

    /// What `op` is about to change, as it is now. None when it cannot be
    /// read: then the operation itself fails, with the better message.
    fn prior_state(&self, op: &Op) -> Option<Prior> {
        match op {
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. } => self.kernel.link(ns, dev).ok().map(Prior::Link),
            Op::SysctlSet { ns, key, .. } => self.kernel.sysctl_get(ns, key).ok().map(Prior::Sysctl),
            Op::FirewallAdd { ns, rule } => self.kernel.firewall_has(ns, rule).ok().map(Prior::RulePresent),
            _ => None,
        }
    }

    /// Undoes everything this run did and removes the lab's ledger.
    pub fn rollback(&mut self) -> Teardown {
        let undo = self.journal.take_undo();
        let report = undo_all(&self.kernel, &undo, None);
        if report.errors.is_empty()
            && let Some(ledger) = self.ledger.take()
        {
            let _ = ledger.remove();
        }
        report
    }

    /// The run succeeded: the lab stays up, with its ledger, if it made
    /// anything; a lab that changed nothing leaves no ledger behind.
    pub fn finish(&mut self) -> bool {
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
    pub fn resume(kernel: Kernel, ledger_for: LedgerName, trace: bool) -> std::io::Result<Self> {
        let ledger = Ledger::resume(&ledger_for.lab, ledger_for.script.as_deref())?;
        let mut lab = Lab::new(kernel, Some(ledger_for), trace);
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
        let undo = self.journal.take_undo_since(mark.journal);
        let report = undo_all(&self.kernel, &undo, None);
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
        let result = down(&self.kernel, &name.lab);
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
