//! The ledger: one append-only file per lab under /run/netscript/labs. Each
//! operation is written there, with the operations that undo it, before it
//! is applied; so `netscript down` can take a lab apart after the run that
//! built it crashed or was killed. /run is a tmpfs: the ledger dies at
//! reboot together with the namespaces and links it describes.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::kernel::sandbox::STATE_DIR;
use crate::ops::{Netns, Op};

/// One line of the ledger, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A run (a script, or a REPL session) started writing to the lab.
    Begin { script: Option<String>, pid: u32, started: u64 },
    /// About to apply `op`; `undo` reverses it.
    Apply { seq: u64, op: Op, undo: Vec<Op> },
    /// The kernel refused operation `seq`: nothing to undo for it.
    Failed { seq: u64 },
    /// What operation `seq` created, to recognise it at teardown.
    Created { seq: u64, what: Identity },
    /// More undo operations for `seq`, known once it ran (a process's pid).
    Undo { seq: u64, undo: Vec<Op> },
    // ---- Partial rollback (REPL) ----
    /// Operations from `seq` on were undone: a failed REPL input rolled
    /// back, the lab as it was before it.
    Undone { seq: u64 },
}

/// How teardown tells the lab's own namespaces and links from others that
/// took the same names since.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Netns { name: String, inode: u64 },
    Link { ns: Netns, name: String, index: u32 },
}

pub fn labs_dir() -> PathBuf {
    Path::new(STATE_DIR).join("labs")
}

pub fn path(lab: &str) -> PathBuf {
    labs_dir().join(format!("{lab}.ledger"))
}

/// Where the output of a lab's background processes goes.
pub fn logs_dir(lab: &str) -> PathBuf {
    labs_dir().join(format!("{lab}.logs"))
}

/// The labs that have a ledger, sorted.
pub fn list() -> io::Result<Vec<String>> {
    let mut labs: Vec<String> = match fs::read_dir(labs_dir()) {
        Ok(dir) => dir
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".ledger").map(String::from))
            .collect(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err),
    };
    labs.sort();
    Ok(labs)
}

/// Whether a netscript process with this pid is alive (and not this one):
/// the run that writes a ledger may still be going.
pub fn still_running(pid: u32) -> bool {
    pid != std::process::id()
        && fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "netscript")
}

/// The writing end of a lab's ledger.
pub struct Ledger {
    lab: String,
    file: File,
    next_seq: u64,
}

impl Ledger {
    /// Starts the ledger of a lab that is not up. Fails with AlreadyExists
    /// when it is.
    pub fn create(lab: &str, script: Option<&str>) -> io::Result<Ledger> {
        fs::create_dir_all(labs_dir())?;
        let file = OpenOptions::new().append(true).create_new(true).open(path(lab))?;
        let mut ledger = Ledger { lab: lab.to_string(), file, next_seq: 0 };
        ledger.begin(script)?;
        Ok(ledger)
    }

    fn begin(&mut self, script: Option<&str>) -> io::Result<()> {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.append(&Entry::Begin { script: script.map(String::from), pid: std::process::id(), started })
    }

    /// Takes the sequence number for the next operation.
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// One write(2) per entry, in append mode: a crash leaves at worst a
    /// torn last line, which `read` skips. No fsync: /run does not survive
    /// a power loss anyway, and the page cache survives a killed process.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)
    }

    /// The lab is gone: so is its ledger.
    pub fn remove(self) -> io::Result<()> {
        fs::remove_file(path(&self.lab))
    }
}

// ---- Resuming (REPL): a session continues a lab that is up ----

impl Ledger {
    /// Opens the ledger of a lab that is up, to append this process's
    /// changes after those already there.
    pub fn resume(lab: &str, script: Option<&str>) -> io::Result<Ledger> {
        let text = fs::read_to_string(path(lab))?;
        let next_seq = parse(&text)?.next_seq;
        let file = OpenOptions::new().append(true).open(path(lab))?;
        // A torn last line (a crashed writer) would sit in the middle once
        // more lines follow, where `parse` refuses it: cut it off.
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        if whole < text.len() {
            file.set_len(whole as u64)?;
        }
        let mut ledger = Ledger { lab: lab.to_string(), file, next_seq };
        ledger.begin(script)?;
        Ok(ledger)
    }

    /// The sequence number the next operation will get.
    pub fn peek_seq(&self) -> u64 {
        self.next_seq
    }
}

/// What a ledger says about its lab.
#[derive(Debug, Default)]
pub struct Replay {
    /// Undo operations of every applied operation, in the order applied
    /// (teardown runs them newest first).
    pub undo: Vec<Op>,
    /// The operations that were applied and not undone, in order.
    pub applied: Vec<Op>,
    pub identities: Vec<Identity>,
    /// The process of the newest run, with the script it ran.
    pub pid: Option<u32>,
    pub script: Option<String>,
    pub started: Option<u64>,
    pub next_seq: u64,
}

impl Replay {
    /// The inode a namespace of this lab had when it was made.
    pub fn netns_inode(&self, name: &str) -> Option<u64> {
        self.identities.iter().rev().find_map(|identity| match identity {
            Identity::Netns { name: n, inode } if n == name => Some(*inode),
            _ => None,
        })
    }

    /// The index a link of this lab had when it was made.
    pub fn link_index(&self, ns: &Netns, name: &str) -> Option<u32> {
        self.identities.iter().rev().find_map(|identity| match identity {
            Identity::Link { ns: n, name: l, index } if n == ns && l == name => Some(*index),
            _ => None,
        })
    }
}

pub fn read(lab: &str) -> io::Result<Replay> {
    parse(&fs::read_to_string(path(lab))?)
}

/// Rebuilds what a ledger records. A line that does not parse is the torn
/// end of a crashed write, and only the last line may be one.
pub fn parse(text: &str) -> io::Result<Replay> {
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    let mut entries = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) => entries.push(entry),
            Err(_) if i + 1 == lines.len() => {}
            Err(err) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("ledger line {}: {err}", i + 1),
                ));
            }
        }
    }
    let mut replay = Replay::default();
    // seq -> (op, undo), dropping what failed or was undone.
    let mut applied: Vec<(u64, Op, Vec<Op>)> = Vec::new();
    let mut identities: HashMap<u64, Vec<Identity>> = HashMap::new();
    for entry in entries {
        match entry {
            Entry::Begin { script, pid, started } => {
                replay.pid = Some(pid);
                replay.script = script;
                replay.started = Some(started);
            }
            Entry::Apply { seq, op, undo } => {
                replay.next_seq = replay.next_seq.max(seq + 1);
                applied.push((seq, op, undo));
            }
            Entry::Failed { seq } => applied.retain(|(s, ..)| *s != seq),
            Entry::Created { seq, what } => identities.entry(seq).or_default().push(what),
            Entry::Undo { seq, undo } => {
                if let Some((_, _, ops)) = applied.iter_mut().find(|(s, ..)| *s == seq) {
                    ops.extend(undo);
                }
            }
            // Partial rollback (REPL): what came from `seq` on is gone.
            Entry::Undone { seq } => applied.retain(|(s, ..)| *s < seq),
        }
    }
    for (seq, op, undo) in applied {
        replay.undo.extend(undo);
        replay.applied.push(op);
        replay.identities.extend(identities.remove(&seq).unwrap_or_default());
    }
    Ok(replay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(entry: &Entry) -> String {
        serde_json::to_string(entry).unwrap()
    }

    #[test]
    fn replay_keeps_applied_undo_and_drops_failed() {
        let add = Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true };
        let del = Op::NetnsDel { name: "a".into() };
        let bridge = Op::BridgeAdd { ns: Netns::Host, name: "br0".into() };
        let text = [
            line(&Entry::Begin { script: Some("lab.rhai".into()), pid: 42, started: 1 }),
            line(&Entry::Apply { seq: 0, op: add.clone(), undo: vec![del.clone()] }),
            line(&Entry::Created { seq: 0, what: Identity::Netns { name: "a".into(), inode: 7 } }),
            line(&Entry::Apply { seq: 1, op: bridge.clone(), undo: vec![] }),
            line(&Entry::Failed { seq: 1 }),
        ]
        .join("\n");
        let replay = parse(&text).unwrap();
        assert_eq!(replay.undo, [del]);
        assert_eq!(replay.applied, [add]);
        assert_eq!(replay.netns_inode("a"), Some(7));
        assert_eq!(replay.pid, Some(42));
        assert_eq!(replay.next_seq, 2);
    }

    #[test]
    fn undone_drops_what_came_from_its_seq_on() {
        let apply = |seq: u64, name: &str| {
            line(&Entry::Apply {
                seq,
                op: Op::NetnsAdd { name: name.into(), lo_up: true, ipv6: true },
                undo: vec![Op::NetnsDel { name: name.into() }],
            })
        };
        let text = [
            apply(0, "a"),
            apply(1, "b"),
            line(&Entry::Created { seq: 1, what: Identity::Netns { name: "b".into(), inode: 9 } }),
            apply(2, "c"),
            line(&Entry::Undone { seq: 1 }),
            apply(3, "d"),
        ]
        .join("\n");
        let replay = parse(&text).unwrap();
        let names: Vec<String> = replay
            .applied
            .iter()
            .map(|op| match op {
                Op::NetnsAdd { name, .. } => name.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(names, ["a", "d"]);
        assert_eq!(replay.undo.len(), 2);
        assert_eq!(replay.netns_inode("b"), None);
        assert_eq!(replay.next_seq, 4);
        assert_eq!(line(&Entry::Undone { seq: 1 }), r#"{"undone":{"seq":1}}"#);
    }

    #[test]
    fn a_torn_last_line_is_skipped_but_not_one_in_the_middle() {
        let add = line(&Entry::Apply {
            seq: 0,
            op: Op::NetnsAdd { name: "a".into(), lo_up: true, ipv6: true },
            undo: vec![Op::NetnsDel { name: "a".into() }],
        });
        let torn = format!("{add}\n{{\"apply\":{{\"seq\":1,\"op");
        assert_eq!(parse(&torn).unwrap().undo.len(), 1);
        assert!(parse(&format!("{{\"apply\n{add}\n")).is_err());
    }
}
