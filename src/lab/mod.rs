//! A lab: what one run (or REPL session) created, so that a failed run can
//! be rolled back, a lab that is up can be taken down, and nothing it did
//! not create is ever touched.

mod contents;
mod journal;
pub mod key;
pub mod ledger;
mod made;
mod profile;
mod progress;
mod shaping;
mod shared;
pub mod store;
mod teardown;

pub use contents::contents;
pub use journal::{Journal, Prior};
pub use ledger::{Busy, Ledger};
pub use made::{MadeLink, made_links};
pub use profile::Profile;
pub use progress::Progress;
pub use teardown::{Owner, Teardown, down, undo_all};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::kernel::Network;
use crate::ops::firewall::policy_key;
use crate::ops::{Netns, Op, Policy};
use crate::output::errln;
use ledger::{Entry, Identities, Identity};

/// The network (the kernel, or the dry run's world), the journal of what this lab changed in it, and the ledger
/// that keeps that journal on disk.
pub struct Lab {
    net: Box<dyn Network>,
    journal: Journal,
    /// Where the ledger goes, made at the first change: a run that changes
    /// nothing leaves no trace and needs no privileges.
    ledger_for: Option<LedgerName>,
    ledger: Option<Ledger>,
    /// Sequence numbers of a lab that keeps no ledger (a dry run).
    seq: u64,
    /// What each operation made (also in the ledger), for rollback's checks.
    identities: Identities,
    /// The cookie of the namespace netscript runs in.
    host_cookie: Option<u64>,
    /// Print each operation, as the `ip` command it stands for, before it runs.
    trace: bool,
    /// Set by SIGINT/SIGTERM: the next operation fails instead of running.
    interrupted: Arc<AtomicBool>,
    /// `--profile`: where the time goes.
    profile: Option<Profile>,
    /// Background processes started so far, to name their logs.
    spawned: u32,
    /// The progress line of a long run in a terminal.
    progress: Option<Progress>,
    /// The name a lab without a ledger (a dry run) gives its rules.
    label: Option<String>,
    /// How often the network was asked or changed: an input that did
    /// either depends on the lab.
    touches: std::cell::Cell<u64>,
    /// What the last `Op::Exec` printed, for the script.
    exec_output: Option<crate::kernel::ExecOutput>,
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
        let host_cookie = net.host_cookie();
        Lab {
            net,
            journal: Journal::default(),
            ledger_for,
            ledger: None,
            seq: 0,
            identities: Identities::new(),
            host_cookie,
            trace,
            interrupted: Arc::new(AtomicBool::new(false)),
            profile: None,
            spawned: 0,
            progress: None,
            label: None,
            touches: std::cell::Cell::new(0),
            exec_output: None,
        }
    }

    /// Names a lab that keeps no ledger (a dry run), so its rules carry the
    /// name a real run would give them.
    pub fn set_label(&mut self, name: &str) {
        self.label = Some(name.to_string());
    }

    /// The name the lab's firewall rules carry: whose rules they are.
    pub fn label(&self) -> &str {
        self.name().or(self.label.as_deref()).unwrap_or("lab")
    }

    /// Whether the lab made namespace `ns` (the host it never made).
    pub fn owns_netns(&self, ns: &Netns) -> bool {
        self.journal.owns_netns(ns)
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

    /// Opens (creates and locks) the ledger at the first change.
    fn open_ledger(&mut self) -> Result<(), String> {
        if self.ledger.is_none()
            && let Some(name) = &self.ledger_for
        {
            let ledger = Ledger::create(&name.lab, name.script.as_deref(), self.host_cookie).map_err(
                |busy| match busy {
                    Busy::Up => format!(
                        "{}; take it down with `netscript down {}`, or run again with --recreate",
                        busy.explain(&name.lab),
                        name.lab
                    ),
                    other => other.explain(&name.lab),
                },
            )?;
            self.ledger = Some(ledger);
        }
        Ok(())
    }

    pub fn net(&self) -> &dyn Network {
        self.touches.set(self.touches.get() + 1);
        self.net.as_ref()
    }

    /// How often the network was asked or changed so far.
    pub fn touches(&self) -> u64 {
        self.touches.get()
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

    /// Makes many namespaces (`NetnsAdd` ops) at once, on two threads: each
    /// is checked, recorded and written to the ledger before any is made,
    /// and its cookie is in the ledger before it has its name, as `apply`
    /// does one. Those made stay made (and recorded) when another fails;
    /// the error names the first that failed.
    pub fn apply_netns_many(&mut self, ops: Vec<Op>) -> Result<(), String> {
        let Some(first) = ops.first() else { return Ok(()) };
        if ops.iter().any(|op| !matches!(op, Op::NetnsAdd { .. })) {
            return Err(format!("cannot {}: only namespaces are made in bulk", first.describe()));
        }
        if self.is_interrupted() {
            return Err(format!("interrupted before it could {}", first.describe()));
        }
        for op in &ops {
            op.validate().map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        }
        self.open_ledger().map_err(|why| format!("cannot {}: {why}", first.describe()))?;
        let started = Instant::now();
        let mut seqs = Vec::with_capacity(ops.len());
        for op in &ops {
            let seq = self.next_seq();
            // Written before it is applied, as `execute` does.
            if let Err(err) = self.append(&Entry::Apply { seq, op: op.clone(), prior: None }) {
                for &seq in &seqs {
                    let _ = self.append(&Entry::Failed { seq });
                }
                return Err(format!("cannot {}: cannot write the lab's ledger: {err}", op.describe()));
            }
            seqs.push(seq);
        }
        self.measure("(ledger)", started);
        if self.trace {
            for line in ops.iter().flat_map(Op::render) {
                errln!("+ {line}");
            }
        }
        let started = Instant::now();
        let made = {
            // Both workers note cookies: the ledger and the identities are theirs in turn.
            let noting = std::sync::Mutex::new((&mut self.ledger, &mut self.identities));
            let noted = |i: usize, cookie: u64| {
                let Op::NetnsAdd { name, .. } = &ops[i] else { return };
                let what = Identity::Netns { name: name.clone(), cookie };
                let mut noting = noting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let (ledger, identities) = &mut *noting;
                if let Some(ledger) = ledger.as_mut() {
                    let _ = ledger.append(&Entry::Created { seq: seqs[i], what: what.clone() });
                }
                identities.entry(seqs[i]).or_default().push(what);
            };
            let refs: Vec<&Op> = ops.iter().collect();
            self.net.netns_add_many(&refs, &noted, &self.interrupted)
        };
        if let Some(profile) = &mut self.profile {
            profile.add_many("netns add (two threads)", ops.len() as u64, started.elapsed());
        }
        let mut failed = None;
        for ((op, seq), made) in ops.iter().zip(seqs).zip(made) {
            match made {
                Ok(()) => {
                    self.journal.record(op, None, seq);
                    if let Some(progress) = &mut self.progress {
                        progress.note(op);
                    }
                }
                Err(err) => {
                    let _ = self.append(&Entry::Failed { seq });
                    failed.get_or_insert_with(|| match err.is_not_made() {
                        true => format!("interrupted before it could {}", op.describe()),
                        false => format!("cannot {}: {err}", op.describe()),
                    });
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Starts a background process of the lab inside `ns`; teardown stops
    /// it. Returns its pid and the file its output goes to.
    pub fn spawn(&mut self, ns: Netns, argv: Vec<String>) -> Result<(u32, String), String> {
        self.node_ready(&ns)?;
        self.spawned += 1;
        let log = match &self.ledger_for {
            Some(name) if !self.net.is_dry_run() => {
                let dir = ledger::logs_dir(&name.lab);
                store::ensure_dir(&ledger::labs_dir())
                    .and_then(|()| store::ensure_dir(&dir))
                    .map_err(|err| format!("cannot make {}: {err}", dir.display()))?;
                let program = argv.first().and_then(|p| p.rsplit('/').next()).unwrap_or("process");
                dir.join(format!("{}-{program}.log", self.spawned)).display().to_string()
            }
            _ => "/dev/null".to_string(),
        };
        let started = self.execute(Op::ProcessStart { ns, argv, log: log.clone() })?;
        Ok((started.map_or(0, |(pid, _)| pid), log))
    }

    /// Makes the own /run of a node the lab made, before a process starts
    /// there; a namespace the lab did not make keeps the machine's /run.
    pub fn node_ready(&self, ns: &Netns) -> Result<(), String> {
        match ns.name() {
            Some(node) if self.journal.owns_netns(ns) => {
                self.net.node_ready(node).map_err(|err| err.to_string())
            }
            _ => Ok(()),
        }
    }

    /// Runs `argv` in `ns` for an effect netscript does not model; `undo`
    /// undoes it on rollback and `down`. Fails unless it exits with 0.
    pub fn exec_with_undo(
        &mut self,
        ns: Netns,
        argv: Vec<String>,
        undo: Vec<String>,
        timeout: std::time::Duration,
    ) -> Result<crate::kernel::ExecOutput, String> {
        let seal = if self.net.is_dry_run() { String::new() } else { key::seal(&ns, &undo)? };
        self.node_ready(&ns)?;
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.execute(Op::Exec { ns, argv, undo, seal, timeout_ms })?;
        Ok(self.exec_output.take().unwrap_or_default())
    }

    fn next_seq(&mut self) -> u64 {
        match &mut self.ledger {
            Some(ledger) => ledger.next_seq(),
            None => {
                self.seq += 1;
                self.seq - 1
            }
        }
    }

    fn append(&mut self, entry: &Entry) -> std::io::Result<()> {
        match &mut self.ledger {
            Some(ledger) => ledger.append(entry),
            None => Ok(()),
        }
    }

    /// Checks, records and executes one operation; for a process, returns
    /// its pid and start time.
    fn execute(&mut self, op: Op) -> Result<Option<(u32, u64)>, String> {
        if self.is_interrupted() {
            return Err(format!("interrupted before it could {}", op.describe()));
        }
        op.validate().map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        self.open_ledger().map_err(|why| format!("cannot {}: {why}", op.describe()))?;
        let started = Instant::now();
        let prior = if self.journal.needs_prior_state(&op) {
            self.prior_state(&op).map_err(|why| format!("cannot {}: {why}", op.describe()))?
        } else {
            None
        };
        self.measure("(state before)", started);
        let seq = self.next_seq();
        let mark = self.journal.record(&op, prior.as_ref(), seq);
        let started = Instant::now();
        // Written before it is applied: a crash right after still leaves a
        // ledger from which `down` removes it.
        if let Err(err) = self.append(&Entry::Apply { seq, op: op.clone(), prior }) {
            self.journal.forget(mark, &op);
            self.release_claim(&op);
            return Err(format!("cannot {}: cannot write the lab's ledger: {err}", op.describe()));
        }
        self.measure("(ledger)", started);
        if self.trace {
            for line in op.render() {
                errln!("+ {line}");
            }
        }
        let started = Instant::now();
        let applied = match &op {
            Op::ProcessStart { ns, argv, log } => self.net.spawn(ns, argv, log).map(Some),
            // The dry run shows the command and its undo.
            Op::Exec { .. } if self.net.is_dry_run() => self.net.apply(&op).map(|()| None),
            Op::Exec { ns, argv, timeout_ms, .. } => {
                let timeout = std::time::Duration::from_millis(*timeout_ms);
                let ran = self.net.exec(ns, argv, timeout, &self.interrupted).and_then(|output| {
                    crate::kernel::exec_succeeded(&output)?;
                    Ok(output)
                });
                ran.map(|output| {
                    self.exec_output = Some(output);
                    None
                })
            }
            Op::NetnsAdd { name, .. } => {
                // The cookie is in the ledger before the namespace has its name.
                let (net, ledger, identities) = (&self.net, &mut self.ledger, &mut self.identities);
                let mut noted = |cookie| {
                    let what = Identity::Netns { name: name.clone(), cookie };
                    if let Some(ledger) = ledger.as_mut() {
                        let _ = ledger.append(&Entry::Created { seq, what: what.clone() });
                    }
                    identities.entry(seq).or_default().push(what);
                };
                net.apply_noted(&op, &mut noted).map(|()| None)
            }
            _ => self.net.apply(&op).map(|()| None),
        };
        self.measure(op.kind(), started);
        if let Err(err) = &applied {
            self.journal.forget(mark, &op);
            self.release_claim(&op);
            let _ = self.append(&Entry::Failed { seq });
            return Err(format!("cannot {}: {err}", op.describe()));
        }
        if let Ok(Some((pid, start))) = applied {
            self.journal.add_undo(Op::ProcessStop { pid, start }, seq);
            let _ = self.append(&Entry::Started { seq, pid, start });
        }
        let started = Instant::now();
        self.record_identity(seq);
        self.measure("(identity)", started);
        if let Some(progress) = &mut self.progress {
            progress.note(&op);
        }
        Ok(applied.ok().flatten())
    }

    /// Notes, before the run goes on, what makes a namespace or link that
    /// operation `seq` made the lab's own, so teardown leaves alone
    /// anything that takes its name later: whatever its undo deletes.
    fn record_identity(&mut self, seq: u64) {
        let deletes: Vec<Op> = self
            .journal
            .undo_of(seq)
            .filter(|op| matches!(op, Op::NetnsDel { .. } | Op::LinkDel { .. }))
            .cloned()
            .collect();
        let noted = |identities: &Identities, name: &str| {
            identities
                .get(&seq)
                .into_iter()
                .flatten()
                .any(|i| matches!(i, Identity::Netns { name: n, .. } if n == name))
        };
        for op in deletes {
            let what = match op {
                Op::NetnsDel { name } if noted(&self.identities, &name) => continue,
                Op::NetnsDel { name } => match self.net.netns_cookies(&[name.as_str()]).pop().flatten() {
                    Some(cookie) => Identity::Netns { name, cookie },
                    None => continue,
                },
                Op::LinkDel { ns, dev } => {
                    let cookie = teardown::ns_cookie(self.net.as_ref(), &ns);
                    match (self.net.link_identity(&ns, &dev), cookie) {
                        (Ok((index, kind)), Some(ns_cookie)) => {
                            Identity::Link { ns, name: dev, index, kind, ns_cookie }
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            let _ = self.append(&Entry::Created { seq, what: what.clone() });
            self.identities.entry(seq).or_default().push(what);
        }
    }

    /// A setting shared with other labs: joins its holders, and returns the
    /// value to restore, the one found before the first of them changed it.
    fn claim(&self, ns: &Netns, key: &str, current: impl FnOnce() -> Option<String>) -> Option<String> {
        match (self.name(), self.net.is_dry_run()) {
            (Some(lab), false) => {
                let cookie = teardown::ns_cookie(self.net.as_ref(), ns);
                shared::claim(lab, ns, cookie, key, current).ok().flatten()
            }
            _ => current(),
        }
    }

    /// An operation that claimed a setting failed: it holds nothing.
    fn release_claim(&self, op: &Op) {
        let key = match op {
            Op::SysctlSet { key, .. } => key.clone(),
            Op::ChainPolicy { chain, policy: Policy::Drop, .. } => policy_key(*chain),
            _ => return,
        };
        if let (Some(ns), Some(lab), false) = (op.namespaces().first(), self.name(), self.net.is_dry_run())
            && self.journal.needs_prior_state(op)
        {
            let cookie = teardown::ns_cookie(self.net.as_ref(), ns);
            let _ = shared::release(lab, ns, cookie, &key);
        }
    }

    /// What `op` is about to change, as it is now. None when it cannot be
    /// read: then the operation itself fails, with the better message. An
    /// error when it is something netscript could not set back.
    fn prior_state(&self, op: &Op) -> Result<Option<Prior>, String> {
        Ok(match op {
            Op::LinkShape { ns, dev, .. } | Op::LinkUnshape { ns, dev } => return self.qdisc_prior(ns, dev),
            Op::FileWrite { ns, path, .. } => {
                let (Some(node), Ok(path)) = (ns.name(), crate::ops::files::NodePath::parse(path)) else {
                    return Ok(None);
                };
                let before = self.net.node_file_before(node, &path).map_err(|err| err.to_string())?;
                Some(Prior::File(before))
            }
            Op::LinkSetUp { ns, dev, .. }
            | Op::LinkSetMaster { ns, dev, .. }
            | Op::LinkSetMtu { ns, dev, .. } => self.net.link(ns, dev).ok().map(|link| Prior::Link {
                up: link.up,
                master: link.master,
                mtu: link.mtu,
            }),
            Op::LinkSet { ns, dev, .. } => {
                self.net.link(ns, dev).ok().map(|link| Prior::Settings(link.settings))
            }
            Op::BridgeSet { ns, dev, .. } => {
                self.net.link(ns, dev).ok().and_then(|link| link.bridge).map(Prior::Bridge)
            }
            Op::BridgePortSet { ns, dev, .. } => {
                self.net.link(ns, dev).ok().map(|link| Prior::Port(link.port.unwrap_or_default()))
            }
            Op::BridgeVlanAdd { ns, dev, vlan } => self.net.bridge_vlans(ns).ok().map(|vlans| {
                Prior::Vlan(
                    vlans.into_iter().find(|v| &v.dev == dev && v.vlan.vid == vlan.vid).map(|v| v.vlan),
                )
            }),
            Op::SysctlSet { ns, key, .. } => {
                self.claim(ns, key, || self.net.sysctl_get(ns, key).ok()).map(Prior::Sysctl)
            }
            Op::FirewallAdd { ns, lab, rule } => {
                self.net.firewall_has(ns, lab, rule).ok().map(Prior::RulePresent)
            }
            // A drop policy outside the lab's namespaces is held with the
            // other labs that set it: the last of them sets back what was.
            Op::ChainPolicy { ns, chain, policy } => {
                let current = || self.net.firewall_policy(ns, *chain).ok();
                if *policy == Policy::Drop {
                    let Some(was) = self.claim(ns, &policy_key(*chain), || current().map(|p| p.to_string()))
                    else {
                        return Ok(None);
                    };
                    Policy::parse(&was).ok().map(Prior::Policy)
                } else {
                    current().map(Prior::Policy)
                }
            }
            _ => None,
        })
    }

    fn owner(&self) -> Owner<'_> {
        let lab = if self.net.is_dry_run() { None } else { self.name() };
        Owner { lab, identities: &self.identities, strict: false }
    }

    /// Undoes everything this run did and removes the lab's ledger.
    pub fn rollback(&mut self) -> Teardown {
        let (undo, applied) = self.journal.take_all();
        let report = undo_all(self.net.as_ref(), &undo, &applied, &self.owner());
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
    /// its ledger, whose lock it holds until it ends. What the lab held
    /// before stays, and is not this process's to roll back.
    pub fn resume(net: Box<dyn Network>, ledger_for: LedgerName, trace: bool) -> Result<Self, Busy> {
        let mut lab = Lab::new(net, Some(ledger_for.clone()), trace);
        let (ledger, replay) =
            Ledger::resume(&ledger_for.lab, ledger_for.script.as_deref(), lab.host_cookie)?;
        lab.ledger = Some(ledger);
        lab.journal = replay.journal;
        lab.identities = replay.identities;
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
        let report = undo_all(self.net.as_ref(), &undo, &applied, &self.owner());
        if report.errors.is_empty()
            && let Some(ledger) = &mut self.ledger
            && ledger.peek_seq() > mark.seq
        {
            let _ = ledger.append(&Entry::Undone { seq: mark.seq });
        }
        report
    }

    /// Takes the whole lab down from its ledger, what earlier runs made
    /// included, and starts again empty. The lock is held throughout.
    pub fn take_down(&mut self) -> Result<Teardown, String> {
        let name = self.ledger_for.clone().ok_or("this lab keeps no ledger")?;
        self.journal = Journal::default();
        self.identities.clear();
        let result = match self.ledger.take() {
            Some(ledger) => {
                let locked =
                    ledger.into_locked().map_err(|err| format!("cannot read the lab's ledger: {err}"))?;
                teardown::down_locked(self.net.as_ref(), &name.lab, locked)
            }
            None => down(self.net.as_ref(), &name.lab),
        };
        if ledger::exists(&name.lab) {
            // Some undo failed and the ledger stays: keep writing to it.
            if let Ok((ledger, replay)) = Ledger::resume(&name.lab, name.script.as_deref(), self.host_cookie)
            {
                self.ledger = Some(ledger);
                self.journal = replay.journal;
                self.identities = replay.identities;
            }
        }
        result
    }

    /// The session ends: true when the lab holds something (its ledger has
    /// something to undo); a ledger with nothing to undo is removed.
    pub fn close(&mut self) -> bool {
        let Some(ledger) = self.ledger.take() else {
            return false;
        };
        let holds = self.journal.has_undo();
        if !holds {
            let _ = ledger.remove();
        }
        holds
    }
}
