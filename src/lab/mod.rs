//! A lab: what one run (or REPL session) created, so that a failed run can
//! be rolled back and nothing it did not create is ever touched.

mod journal;

pub use journal::Journal;

use crate::kernel::Kernel;
use crate::ops::Op;

/// The kernel plus the journal of what this lab changed in it.
pub struct Lab {
    kernel: Kernel,
    journal: Journal,
    /// Print each operation, as the `ip` command it stands for, before it runs.
    trace: bool,
}

/// What a rollback did: the operations it ran and those that failed.
#[derive(Debug, Default)]
pub struct Rollback {
    pub undone: Vec<Op>,
    pub errors: Vec<String>,
}

impl Lab {
    pub fn new(kernel: Kernel, trace: bool) -> Self {
        Lab {
            kernel,
            journal: Journal::default(),
            trace,
        }
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// Checks, records and executes one operation. The error says what was
    /// asked and why it could not be done.
    pub fn apply(&mut self, op: Op) -> Result<(), String> {
        op.validate()
            .map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        let prior = match &op {
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. }
                if self.journal.needs_prior_state(&op) =>
            {
                self.kernel.link(ns, dev).ok()
            }
            _ => None,
        };
        let mark = self.journal.record(&op, prior.as_ref());
        if self.trace {
            for line in op.render() {
                eprintln!("+ {line}");
            }
        }
        self.kernel.apply(&op).map_err(|err| {
            self.journal.forget(mark, &op);
            format!("cannot {}: {err}", op.describe())
        })
    }

    /// Undoes everything this lab did, newest first. What is already gone
    /// counts as undone; other failures are collected and the rest goes on.
    pub fn rollback(&mut self) -> Rollback {
        let mut report = Rollback::default();
        for op in self.journal.take_undo() {
            match self.kernel.apply(&op) {
                Ok(()) => report.undone.push(op),
                Err(err) if err.is_not_found() => {}
                Err(err) => report.errors.push(format!("cannot {}: {err}", op.describe())),
            }
        }
        report
    }
}
