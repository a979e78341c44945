//! The ledger: one append-only file per lab under /run/netscript/labs. Each
//! operation is written there, with the state it changes, before it is
//! applied, and what it made (a namespace's cookie, a link's index) right
//! after; so `netscript down` can take a lab apart after the run that built
//! it crashed or was killed. /run is a tmpfs: the ledger dies at reboot
//! together with the namespaces and links it describes.
//!
//! The ledger is untrusted input when read back. It holds operations, never
//! their inverses: `down` validates each operation as a script's would be
//! and derives the inverses itself, through the same journal a run uses, so
//! no line of it can ask for a command, a path or a setting netscript would
//! not undo on its own. One run at a time holds the ledger's lock.

use std::collections::HashMap;
use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::journal::{Journal, Prior, Undo};
use super::store;
use crate::ops::{Netns, Op, check_ifname, check_netns_name};

pub use super::store::labs_dir;

/// One line of the ledger, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A run (a script, or a REPL session) started writing to the lab, in
    /// the namespace whose cookie is `host`.
    Begin {
        script: Option<String>,
        pid: u32,
        started: u64,
        #[serde(default)]
        host: Option<u64>,
    },
    /// About to apply `op`; `prior` is what it changes, as it was.
    Apply {
        seq: u64,
        op: Op,
        #[serde(default)]
        prior: Option<Prior>,
    },
    /// The kernel refused operation `seq`: nothing to undo for it.
    Failed { seq: u64 },
    /// What operation `seq` created, to recognise it at teardown.
    Created { seq: u64, what: Identity },
    /// Operation `seq` started a process: its pid and start time.
    Started { seq: u64, pid: u32, start: u64 },
    // ---- Partial rollback (REPL) ----
    /// Operations from `seq` on were undone: a failed REPL input rolled
    /// back, the lab as it was before it.
    Undone { seq: u64 },
}

/// How teardown tells the lab's own namespaces and links from others that
/// took the same names since: by what the kernel does not hand out twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// A namespace's cookie (SO_NETNS_COOKIE): unique while the machine runs.
    Netns { name: String, cookie: u64 },
    /// A link by its namespace's cookie and its index there (handed out in
    /// increasing order, not reused), and its kind.
    Link { ns: Netns, name: String, index: u32, kind: String, ns_cookie: u64 },
}

impl Identity {
    fn validate(&self) -> Result<(), String> {
        match self {
            Identity::Netns { name, .. } => check_netns_name(name),
            Identity::Link { ns, name, kind, .. } => {
                if let Netns::Named(ns) = ns {
                    check_netns_name(ns)?;
                }
                check_ifname(name)?;
                if kind.is_empty()
                    || kind.len() > 32
                    || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(format!("'{}' is not a kind of link", kind.escape_debug()));
                }
                Ok(())
            }
        }
    }
}

/// What each operation made, by its sequence number.
pub type Identities = HashMap<u64, Vec<Identity>>;

pub fn path(lab: &str) -> PathBuf {
    labs_dir().join(format!("{lab}.ledger"))
}

/// Where the output of a lab's background processes goes.
pub fn logs_dir(lab: &str) -> PathBuf {
    labs_dir().join(format!("{lab}.logs"))
}

/// Where a damaged ledger is kept once its lab came down as far as it could.
pub fn damaged_dir() -> PathBuf {
    Path::new(crate::kernel::sandbox::STATE_DIR).join("damaged")
}

/// The labs that have a ledger, sorted. Names that are not lab names (a
/// file someone else put there) are not labs.
pub fn list() -> io::Result<Vec<String>> {
    if !store::dir_exists(&labs_dir())? {
        return Ok(Vec::new());
    }
    let mut labs: Vec<String> = fs::read_dir(labs_dir())?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".ledger").map(String::from))
        .filter(|name| store::check_lab_name(name).is_ok())
        .collect();
    labs.sort();
    Ok(labs)
}

/// Whether a lab has a ledger (it is up, or being built).
pub fn exists(lab: &str) -> bool {
    fs::symlink_metadata(path(lab)).is_ok()
}

/// Whether another run holds the lab's ledger now: Some(its pid, if the
/// ledger names it). Asked with a shared lock, which a writer's excludes.
pub fn in_use(lab: &str) -> Option<Option<u32>> {
    let mut file = store::open_read(&path(lab)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(_) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            Some(parse(&text).pid)
        }
    }
}

/// Why a ledger cannot be taken for writing.
#[derive(Debug)]
pub enum Busy {
    /// The lab is up already (when creating a new one).
    Up,
    /// Another run holds the ledger: the pid its last `begin` line names.
    InUse(Option<u32>),
    Io(io::Error),
}

impl From<io::Error> for Busy {
    fn from(err: io::Error) -> Self {
        Busy::Io(err)
    }
}

impl Busy {
    /// What to tell the user, for lab `lab`.
    pub fn explain(&self, lab: &str) -> String {
        match self {
            Busy::Up => format!("lab '{lab}' is already up"),
            Busy::InUse(Some(pid)) => {
                format!("lab '{lab}' is being built or used by netscript process {pid} right now")
            }
            Busy::InUse(None) => format!("lab '{lab}' is being built or used by another netscript right now"),
            Busy::Io(err) => format!("cannot open the ledger of lab '{lab}': {err}"),
        }
    }
}

/// The writing end of a lab's ledger, holding its lock for the run.
pub struct Ledger {
    lab: String,
    file: File,
    next_seq: u64,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Ledger {
    /// Starts the ledger of a lab that is not up. The file is made under a
    /// name of its own, locked, and only then put in place (never over a
    /// ledger that is there), so nobody sees it unlocked.
    pub fn create(lab: &str, script: Option<&str>, host: Option<u64>) -> Result<Ledger, Busy> {
        store::ensure_dir(&labs_dir())?;
        let temp = labs_dir().join(format!(".{lab}.{}.new", std::process::id()));
        let _ = fs::remove_file(&temp);
        let file = store::create_new(&temp, true)?;
        file.try_lock().map_err(|_| Busy::Io(io::Error::other("cannot lock a new file")))?;
        let mut ledger = Ledger { lab: lab.to_string(), file, next_seq: 0 };
        let placed = ledger.begin(script, host).and_then(|()| {
            nix::fcntl::renameat2(
                nix::fcntl::AT_FDCWD,
                &temp,
                nix::fcntl::AT_FDCWD,
                &path(lab),
                nix::fcntl::RenameFlags::RENAME_NOREPLACE,
            )
            .map_err(io::Error::from)
        });
        if let Err(err) = placed {
            let _ = fs::remove_file(&temp);
            if err.kind() != io::ErrorKind::AlreadyExists {
                return Err(Busy::Io(err));
            }
            return Err(match Ledger::lock(lab) {
                Err(busy @ Busy::InUse(_)) => busy,
                _ => Busy::Up,
            });
        }
        Ok(ledger)
    }

    /// Opens and locks the ledger of a lab that is up, to append this
    /// process's changes after those already there.
    pub fn resume(lab: &str, script: Option<&str>, host: Option<u64>) -> Result<(Ledger, Replay), Busy> {
        let (file, text) = Ledger::lock(lab)?;
        let replay = parse_for(lab, &text);
        let next_seq = replay.next_seq;
        // A torn last line (a crashed writer) would sit in the middle once
        // more lines follow: cut it off.
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        if whole < text.len() {
            file.set_len(whole as u64)?;
        }
        let mut ledger = Ledger { lab: lab.to_string(), file, next_seq };
        ledger.begin(script, host)?;
        Ok((ledger, replay))
    }

    /// Opens the ledger of a lab for writing and takes its lock, without
    /// waiting: a lock held means another run is at work on the lab. A
    /// dead run's lock is free, whatever its process is called now.
    pub fn lock(lab: &str) -> Result<(File, String), Busy> {
        let at = path(lab);
        let mut file = store::open_append(&at)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(Busy::InUse(parse(&text).pid));
            }
            Err(TryLockError::Error(err)) => return Err(Busy::Io(err)),
        }
        // Removed or replaced while we waited for the lock: not this lab's any more.
        if !store::still_named(&at, &file) {
            return Err(Busy::Io(io::Error::new(io::ErrorKind::NotFound, "the ledger went away")));
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok((file, text))
    }

    /// Wraps a locked ledger file (from `lock`) to take the lab down.
    pub fn from_locked(lab: &str, file: File) -> Ledger {
        Ledger { lab: lab.to_string(), file, next_seq: 0 }
    }

    /// The locked file and what it holds, to take the lab down without
    /// letting go of the lock.
    pub fn into_locked(mut self) -> io::Result<(File, String)> {
        use std::io::Seek;
        let mut text = String::new();
        self.file.seek(io::SeekFrom::Start(0))?;
        self.file.read_to_string(&mut text)?;
        Ok((self.file, text))
    }

    fn begin(&mut self, script: Option<&str>, host: Option<u64>) -> io::Result<()> {
        self.append(&Entry::Begin {
            script: script.map(String::from),
            pid: std::process::id(),
            started: now(),
            host,
        })
    }

    /// Takes the sequence number for the next operation.
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The sequence number the next operation will get.
    pub fn peek_seq(&self) -> u64 {
        self.next_seq
    }

    /// One write(2) per entry, in append mode: a crash leaves at worst a
    /// torn last line, which `read` skips. No fsync: /run does not survive
    /// a power loss anyway, and the page cache survives a killed process.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)
    }

    /// The lab is gone: so is its ledger (the lock goes with the file).
    pub fn remove(self) -> io::Result<()> {
        fs::remove_file(path(&self.lab))
    }

    /// The lab came down, but parts of its ledger could not be read: the
    /// file is kept for a person to look at, out of the way of a new run.
    pub fn set_aside(self) -> io::Result<PathBuf> {
        store::ensure_dir(&damaged_dir())?;
        let kept = damaged_dir().join(format!("{}.{}.ledger", self.lab, now()));
        fs::rename(path(&self.lab), &kept)?;
        Ok(kept)
    }
}

/// What a ledger says about its lab.
#[derive(Debug, Default)]
pub struct Replay {
    /// The journal the ledger's operations make, as the run had it.
    pub journal: Journal,
    /// Undo operations of every applied operation, in the order applied
    /// (teardown runs them newest first), derived by netscript's journal.
    pub undo: Vec<Undo>,
    /// The operations that were applied and not undone, in order.
    pub applied: Vec<Op>,
    pub identities: Identities,
    /// The process of the newest run, with the script it ran.
    pub pid: Option<u32>,
    pub script: Option<String>,
    pub started: Option<u64>,
    /// The cookie of the namespace the lab was built from.
    pub host: Option<u64>,
    pub next_seq: u64,
    /// Lines that could not be read or were refused, with why.
    pub skipped: Vec<String>,
}

impl Replay {
    /// Whether part of the ledger could not be read.
    pub fn damaged(&self) -> bool {
        !self.skipped.is_empty()
    }
}

/// Reads a lab's ledger (checked: no symlink, nobody else could write it).
pub fn read(lab: &str) -> io::Result<Replay> {
    store::check_lab_name(lab).map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
    let mut text = String::new();
    store::open_read(&path(lab))?.read_to_string(&mut text)?;
    Ok(parse_for(lab, &text))
}

/// What an Apply line says, once checked.
struct Applied {
    seq: u64,
    op: Op,
    prior: Option<Prior>,
    started: Option<(u32, u64)>,
}

/// Rebuilds what a ledger records. Every line is checked as a script's
/// request would be; what does not read or does not pass is skipped, and
/// said so, and the rest still counts.
pub fn parse(text: &str) -> Replay {
    parse_checked(text, None)
}

/// The same, for the ledger of lab `lab`: its firewall rules must be that
/// lab's, so no ledger can take another lab's rules down.
pub fn parse_for(lab: &str, text: &str) -> Replay {
    parse_checked(text, Some(lab))
}

fn parse_checked(text: &str, lab: Option<&str>) -> Replay {
    let mut replay = Replay::default();
    let mut applied: Vec<Applied> = Vec::new();
    let mut identities = Identities::new();
    // Operations that failed or were undone: what they made is not there.
    let mut dropped = std::collections::HashSet::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = match serde_json::from_str::<Entry>(line) {
            Ok(entry) => entry,
            Err(err) => {
                let torn = i + 1 == lines.len();
                let why = if torn {
                    "cut short (a run was killed while writing it)".into()
                } else {
                    err.to_string()
                };
                replay.skipped.push(format!("line {}: not a ledger entry: {why}", i + 1));
                continue;
            }
        };
        if let Err(why) = check(&entry, lab) {
            replay.skipped.push(format!("line {}: refused: {why}", i + 1));
            continue;
        }
        match entry {
            Entry::Begin { script, pid, started, host } => {
                replay.pid = Some(pid);
                replay.script = script;
                replay.started = Some(started);
                replay.host = replay.host.or(host);
            }
            Entry::Apply { seq, op, prior } => {
                replay.next_seq = replay.next_seq.max(seq + 1);
                applied.push(Applied { seq, op, prior, started: None });
            }
            Entry::Failed { seq } => {
                applied.retain(|a| a.seq != seq);
                dropped.insert(seq);
            }
            Entry::Created { seq, what } => identities.entry(seq).or_default().push(what),
            Entry::Started { seq, pid, start } => {
                if let Some(a) = applied.iter_mut().find(|a| a.seq == seq) {
                    a.started = Some((pid, start));
                }
            }
            // Partial rollback (REPL): what came from `seq` on is gone.
            Entry::Undone { seq } => {
                applied.retain(|a| a.seq < seq);
                dropped.extend(identities.keys().filter(|s| **s >= seq));
            }
        }
    }
    // What was made while the line that asked for it is lost: its identity
    // alone proves it the lab's, and says how to remove it.
    let asked: std::collections::HashSet<u64> = applied.iter().map(|a| a.seq).collect();
    let mut orphans: Vec<(u64, Identity)> = identities
        .iter()
        .filter(|(seq, _)| !asked.contains(seq) && !dropped.contains(*seq) && !replay.skipped.is_empty())
        .flat_map(|(seq, made)| made.iter().map(|what| (*seq, what.clone())))
        .collect();
    orphans.sort_by_key(|(seq, _)| *seq);
    for (seq, what) in orphans {
        let op = match &what {
            Identity::Netns { name, .. } => Op::NetnsAdd { name: name.clone(), lo_up: false, ipv6: true },
            Identity::Link { ns, name, .. } => Op::BridgeAdd { ns: ns.clone(), name: name.clone() },
        };
        let at = applied.iter().position(|a| a.seq > seq).unwrap_or(applied.len());
        applied.insert(at, Applied { seq, op, prior: None, started: None });
    }
    // The inverses come from netscript's own journal, as in the run itself.
    let mut journal = Journal::default();
    for a in applied {
        journal.record(&a.op, a.prior.as_ref(), a.seq);
        if let Some((pid, start)) = a.started {
            journal.add_undo(Op::ProcessStop { pid, start }, a.seq);
        }
        if let Some(made) = identities.remove(&a.seq) {
            replay.identities.insert(a.seq, made);
        }
    }
    replay.undo = journal.undo().to_vec();
    replay.applied = journal.applied().to_vec();
    replay.journal = journal;
    replay
}

/// Checks one entry read back from a ledger as a script's request is checked.
fn check(entry: &Entry, lab: Option<&str>) -> Result<(), String> {
    match entry {
        Entry::Apply { op, prior, .. } => {
            op.validate()?;
            if let (Some(lab), Some(owner)) = (lab, op.rule_owner())
                && owner != lab
            {
                return Err(format!("a rule of lab '{owner}' in the ledger of lab '{lab}'"));
            }
            if let Some(prior) = prior {
                prior.validate(op)?;
            }
            Ok(())
        }
        Entry::Created { what, .. } => what.validate(),
        Entry::Started { pid, start, .. } => Op::ProcessStop { pid: *pid, start: *start }.validate(),
        Entry::Begin { script, .. } => match script {
            Some(script) if script.len() > 4096 || script.chars().any(char::is_control) => {
                Err("the script's name is not a file name".into())
            }
            _ => Ok(()),
        },
        Entry::Failed { .. } | Entry::Undone { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(entry: &Entry) -> String {
        serde_json::to_string(entry).unwrap()
    }

    fn add(seq: u64, name: &str) -> String {
        line(&Entry::Apply {
            seq,
            op: Op::NetnsAdd { name: name.into(), lo_up: true, ipv6: true },
            prior: None,
        })
    }

    fn ops(undo: &[Undo]) -> Vec<Op> {
        undo.iter().map(|u| u.op.clone()).collect()
    }

    #[test]
    fn replay_derives_undo_and_drops_failed() {
        let bridge = Op::BridgeAdd { ns: Netns::Host, name: "br0".into() };
        let text = [
            line(&Entry::Begin { script: Some("lab.rhai".into()), pid: 42, started: 1, host: Some(5) }),
            add(0, "a"),
            line(&Entry::Created { seq: 0, what: Identity::Netns { name: "a".into(), cookie: 7 } }),
            line(&Entry::Apply { seq: 1, op: bridge, prior: None }),
            line(&Entry::Failed { seq: 1 }),
        ]
        .join("\n");
        let replay = parse(&text);
        assert_eq!(ops(&replay.undo), [Op::NetnsDel { name: "a".into() }]);
        assert_eq!(replay.undo[0].seq, 0);
        assert_eq!(replay.identities[&0], [Identity::Netns { name: "a".into(), cookie: 7 }]);
        assert_eq!((replay.pid, replay.host, replay.next_seq), (Some(42), Some(5), 2));
        assert!(!replay.damaged());
    }

    #[test]
    fn undone_drops_what_came_from_its_seq_on() {
        let text = [
            add(0, "a"),
            add(1, "b"),
            line(&Entry::Created { seq: 1, what: Identity::Netns { name: "b".into(), cookie: 9 } }),
            add(2, "c"),
            line(&Entry::Undone { seq: 1 }),
            add(3, "d"),
        ]
        .join("\n");
        let replay = parse(&text);
        assert_eq!(ops(&replay.undo), [Op::NetnsDel { name: "a".into() }, Op::NetnsDel { name: "d".into() }]);
        assert!(!replay.identities.contains_key(&1));
        assert_eq!(replay.next_seq, 4);
        assert_eq!(line(&Entry::Undone { seq: 1 }), r#"{"undone":{"seq":1}}"#);
    }

    #[test]
    fn a_damaged_line_is_skipped_and_the_rest_still_counts() {
        let torn = format!("{}\n{{\"apply\n{}\n{{\"apply\":{{\"seq\":2,\"op", add(0, "a"), add(1, "b"));
        let replay = parse(&torn);
        assert_eq!(ops(&replay.undo).len(), 2);
        assert_eq!(replay.skipped.len(), 2);
        assert!(replay.skipped[0].starts_with("line 2: not a ledger entry"));
        assert!(replay.skipped[1].contains("line 4") && replay.skipped[1].contains("cut short"));
    }

    #[test]
    fn a_ledger_holds_only_its_own_labs_rules() {
        let rule = crate::ops::Rule::MasqueradeOut { out: "eth0".into() };
        let add = |seq, lab: &str| {
            line(&Entry::Apply {
                seq,
                op: Op::FirewallAdd { ns: Netns::Host, lab: lab.into(), rule: rule.clone() },
                prior: Some(Prior::RulePresent(false)),
            })
        };
        let text = [add(0, "c"), add(1, "b")].join("\n");
        let replay = parse_for("c", &text);
        assert_eq!(
            ops(&replay.undo),
            [Op::FirewallDel { ns: Netns::Host, lab: "c".into(), rule: rule.clone() }]
        );
        assert_eq!(replay.skipped, ["line 2: refused: a rule of lab 'b' in the ledger of lab 'c'"]);
    }

    #[test]
    fn a_ledger_cannot_ask_for_a_command_a_path_or_a_setting() {
        // Old ledgers carried their own undo: it is never read.
        let old = r#"{"apply":{"seq":0,"op":{"bridge_add":{"ns":"host","name":"br0"}},"undo":[{"process_start":{"ns":"host","argv":["/bin/sh","-c","id"],"log":"/tmp/x"}}]}}"#;
        let replay = parse(old);
        assert_eq!(ops(&replay.undo), [Op::LinkDel { ns: Netns::Host, dev: "br0".into() }]);
        // A namespace name that is a path, a sysctl that runs a program, a
        // sysctl of the host written from a namespace: refused.
        let evil = [
            line(&Entry::Apply {
                seq: 0,
                op: Op::NetnsAdd { name: "../../etc".into(), lo_up: true, ipv6: true },
                prior: None,
            }),
            line(&Entry::Apply {
                seq: 1,
                op: Op::SysctlSet {
                    ns: Netns::Host,
                    key: "kernel.core_pattern".into(),
                    value: "core".into(),
                },
                prior: Some(Prior::Sysctl("|/bin/sh".into())),
            }),
            line(&Entry::Apply {
                seq: 2,
                op: Op::SysctlSet { ns: Netns::Host, key: "kernel.domainname".into(), value: "x".into() },
                prior: Some(Prior::Sysctl("/tmp/evil".into())),
            }),
            line(&Entry::Apply {
                seq: 3,
                op: Op::SysctlSet {
                    ns: Netns::Named("r".into()),
                    key: "kernel.domainname".into(),
                    value: "x".into(),
                },
                prior: None,
            }),
            line(&Entry::Started { seq: 9, pid: 1, start: 5 }),
            // A qdisc netscript would not put back, or options that are not a qdisc's.
            line(&Entry::Apply {
                seq: 4,
                op: Op::LinkUnshape { ns: Netns::Host, dev: "eth0".into() },
                prior: Some(Prior::Qdisc(crate::ops::RootQdisc::Set {
                    kind: "htb".into(),
                    handle: 0x0001_0000,
                    options: vec![],
                })),
            }),
            line(&Entry::Apply {
                seq: 5,
                op: Op::LinkUnshape { ns: Netns::Host, dev: "eth0".into() },
                prior: Some(Prior::Qdisc(crate::ops::RootQdisc::Set {
                    kind: "netem".into(),
                    handle: 0x0001_0000,
                    options: vec![1, 2, 3],
                })),
            }),
        ]
        .join("\n");
        let replay = parse(&evil);
        assert!(replay.undo.is_empty(), "{:?}", replay.undo);
        assert_eq!(replay.skipped.len(), 7, "{:?}", replay.skipped);
    }
}
