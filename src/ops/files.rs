//! A node's own files, as its processes see them: under /etc (kept in
//! /etc/netns/NODE, as `ip netns exec` has it) or /run (the node's own
//! directory). Paths here are checked before anything is written, and
//! again when read back from a ledger.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where `ip netns exec` finds a namespace's own files for /etc.
pub const ETC_NETNS: &str = "/etc/netns";

/// Where each node's own /run lives, under netscript's state directory.
pub fn nodes_dir() -> PathBuf {
    Path::new(crate::kernel::sandbox::STATE_DIR).join("nodes")
}

/// The most a node file may hold: its earlier content goes in the ledger.
pub const MAX_FILE: usize = 1 << 20;

/// Which of a node's own places a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Area {
    /// /etc, from /etc/netns/NODE.
    Etc,
    /// /run (and /var/run), the node's own directory.
    Run,
}

/// A path as a node's processes see it, checked: beneath /etc or /run,
/// with no `.` or `..` and no empty part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePath {
    pub area: Area,
    pub parts: Vec<String>,
}

impl NodePath {
    pub fn parse(path: &str) -> Result<Self, String> {
        if path.len() > 4096 || path.contains('\0') {
            return Err("a node's file path is at most 4096 bytes, without NUL".into());
        }
        if !path.starts_with('/') {
            return Err(format!(
                "'{path}' is not absolute: give the path as the node sees it, like /etc/hosts"
            ));
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if let Some(bad) = parts.iter().find(|p| **p == "." || **p == "..") {
            return Err(format!("'{path}' holds '{bad}': name the file straight"));
        }
        if let Some(long) = parts.iter().find(|p| p.len() > 255) {
            return Err(format!(
                "'{}...' in '{path}' is longer than the 255 bytes a file name may have",
                &long[..16]
            ));
        }
        let (area, rest) = match parts.as_slice() {
            ["etc", rest @ ..] => (Area::Etc, rest),
            ["run", rest @ ..] | ["var", "run", rest @ ..] => (Area::Run, rest),
            _ => {
                return Err(format!(
                    "'{path}' is the machine's, not the node's: a node's own files are under /etc \
                     (kept in /etc/netns/NODE) or /run (the node's own)"
                ));
            }
        };
        if rest.is_empty() {
            return Err(format!("'{path}' is a directory of the node, not a file in it"));
        }
        if area == Area::Etc && rest[0] == "netns" {
            return Err("/etc/netns is where nodes' files are kept, not a file of a node".into());
        }
        Ok(NodePath { area, parts: rest.iter().map(|p| p.to_string()).collect() })
    }

    /// The path as the node sees it.
    pub fn shown(&self) -> String {
        let top = match self.area {
            Area::Etc => "/etc",
            Area::Run => "/run",
        };
        format!("{top}/{}", self.parts.join("/"))
    }

    /// Where the file lies on the machine, for node `node`.
    pub fn on_machine(&self, node: &str) -> PathBuf {
        let mut path = base(self.area, node);
        path.extend(&self.parts);
        path
    }

    /// The directories that hold the file, from the node's own (its /etc or
    /// /run) down, by name, each in the one before.
    pub fn dirs(&self, node: &str) -> Vec<String> {
        let mut dirs = vec![node.to_string()];
        if self.area == Area::Run {
            dirs.push("run".into());
        }
        dirs.extend(self.parts[..self.parts.len() - 1].iter().cloned());
        dirs
    }
}

/// The node's own directory for an area.
pub fn base(area: Area, node: &str) -> PathBuf {
    match area {
        Area::Etc => Path::new(ETC_NETNS).join(node),
        Area::Run => nodes_dir().join(node).join("run"),
    }
}

/// What a node file was before the lab wrote it, for its undo.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileBefore {
    /// Its content and mode, when there was such a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default)]
    pub mode: u32,
    /// How many of the directories that hold it (the deepest ones) the
    /// write made, counting the node's own directory as the first.
    #[serde(default)]
    pub made_dirs: usize,
}

impl FileBefore {
    pub fn validate(&self, path: &NodePath) -> Result<(), String> {
        let depth = path.parts.len() + usize::from(path.area == Area::Run);
        if self.made_dirs > depth {
            return Err(format!("{} is not held by {} directories", path.shown(), self.made_dirs));
        }
        if self.content.as_ref().is_some_and(|c| c.len() > MAX_FILE) || self.mode > 0o7777 {
            return Err(format!("not what {} could have held", path.shown()));
        }
        Ok(())
    }
}

/// A hostname as RFC 1123 has it: labels of letters, digits and hyphens.
pub fn check_hostname(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!("hostname '{name}' is {} bytes; Linux allows 1 to 64", name.len()));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !name.split('.').all(label_ok) {
        return Err(format!(
            "hostname '{name}': letters, digits and hyphens, in dot-separated labels that neither start nor end with a hyphen"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_paths_are_under_etc_or_run() {
        let p = NodePath::parse("/etc/bird/bird.conf").unwrap();
        assert_eq!((p.area, p.parts.clone()), (Area::Etc, vec!["bird".to_string(), "bird.conf".to_string()]));
        assert_eq!(p.on_machine("r1"), Path::new("/etc/netns/r1/bird/bird.conf"));
        let run = NodePath::parse("/var/run/dnsmasq//lab.conf").unwrap();
        assert_eq!(run.shown(), "/run/dnsmasq/lab.conf");
        assert_eq!(run.on_machine("h1"), Path::new("/run/netscript/nodes/h1/run/dnsmasq/lab.conf"));
        for bad in
            ["etc/hosts", "/tmp/x", "/etc", "/run/", "/etc/../root/x", "/etc/./hosts", "/etc/netns/x", "/"]
        {
            assert!(NodePath::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_prior_state_cannot_claim_more_directories_than_hold_the_file() {
        let p = NodePath::parse("/etc/bird/bird.conf").unwrap();
        assert!(FileBefore { made_dirs: 2, ..Default::default() }.validate(&p).is_ok());
        assert!(FileBefore { made_dirs: 3, ..Default::default() }.validate(&p).is_err());
        let run = NodePath::parse("/run/x").unwrap();
        assert!(FileBefore { made_dirs: 2, ..Default::default() }.validate(&run).is_ok());
    }

    #[test]
    fn hostnames_follow_rfc_1123() {
        assert!(check_hostname("r1").is_ok());
        assert!(check_hostname("r1.lab").is_ok());
        for bad in ["", "-r1", "r_1", "a..b", &"x".repeat(65)] {
            assert!(check_hostname(bad).is_err(), "{bad}");
        }
    }
}
