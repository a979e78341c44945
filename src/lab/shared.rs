//! Settings that several labs change together: a sysctl of a namespace none
//! of them made (forwarding on the host, above all). The first lab to set it
//! records the value it found; every lab that sets it is a holder; the value
//! found is written back only when the last holder goes. Kept in one file,
//! /run/netscript/shared/claims.json, changed under a lock, and read as
//! untrusted input like the ledgers.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ledger, store};
use crate::kernel::sandbox::STATE_DIR;
use crate::ops::{Netns, check_netns_name, check_sysctl_restore};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claim {
    ns: Netns,
    /// The namespace's cookie: a namespace made again under the name is another.
    cookie: Option<u64>,
    key: String,
    /// The value before the first holder set it.
    original: String,
    labs: Vec<String>,
}

impl Claim {
    fn is(&self, ns: &Netns, cookie: Option<u64>, key: &str) -> bool {
        &self.ns == ns && self.cookie == cookie && self.key == key
    }

    fn valid(&self) -> bool {
        let ns_ok = match &self.ns {
            Netns::Host => true,
            Netns::Named(name) => check_netns_name(name).is_ok(),
        };
        ns_ok
            && check_sysctl_restore(&self.key, &self.original).is_ok()
            && self.labs.iter().all(|lab| store::check_lab_name(lab).is_ok())
    }
}

/// What releasing a claim says to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The last holder went: write this back.
    Restore(String),
    /// Other labs that are up still hold it: leave it as it is.
    Held(Vec<String>),
    /// No claim is known (made by an older netscript, or lost): the caller
    /// falls back on what its own ledger says.
    Unknown,
}

fn dir() -> PathBuf {
    PathBuf::from(STATE_DIR).join("shared")
}

fn file() -> PathBuf {
    dir().join("claims.json")
}

/// Runs `change` on the claims under the lock, and writes them back.
fn with_claims<T>(change: impl FnOnce(&mut Vec<Claim>) -> T) -> io::Result<T> {
    store::ensure_dir(&dir())?;
    let lock_path = dir().join("lock");
    let lock = match store::open_append(&lock_path) {
        Ok(lock) => lock,
        Err(err) if err.kind() == io::ErrorKind::NotFound => match store::create_new(&lock_path, true) {
            Ok(lock) => lock,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => store::open_append(&lock_path)?,
            Err(err) => return Err(err),
        },
        Err(err) => return Err(err),
    };
    lock.lock()?;
    let mut claims = read_claims()?;
    let result = change(&mut claims);
    // Holders whose lab is gone (taken down by hand, or its ledger lost)
    // hold nothing.
    for claim in &mut claims {
        claim.labs.retain(|lab| ledger::exists(lab));
    }
    write_claims(&claims)?;
    drop(lock);
    Ok(result)
}

fn read_claims() -> io::Result<Vec<Claim>> {
    let mut text = String::new();
    match store::open_read(&file()) {
        Ok(mut f) => f.read_to_string(&mut text)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let claims: Vec<Claim> = serde_json::from_str(&text).unwrap_or_default();
    Ok(claims.into_iter().filter(Claim::valid).collect())
}

fn write_claims(claims: &[Claim]) -> io::Result<()> {
    let held: Vec<&Claim> = claims.iter().filter(|c| !c.labs.is_empty()).collect();
    if held.is_empty() {
        return match fs::remove_file(file()) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        };
    }
    let temp = dir().join(format!(".claims.{}.new", std::process::id()));
    let _ = fs::remove_file(&temp);
    let mut out: File = store::create_new(&temp, false)?;
    out.write_all(&serde_json::to_vec(&held).map_err(io::Error::other)?)?;
    fs::rename(&temp, file())
}

/// Lab `lab` is about to set `key` in `ns` (cookie `cookie`); `current`
/// reads its value now. Returns the value to restore when the last holder
/// goes: the one the first holder found.
pub fn claim(
    lab: &str,
    ns: &Netns,
    cookie: Option<u64>,
    key: &str,
    current: impl FnOnce() -> Option<String>,
) -> io::Result<Option<String>> {
    with_claims(|claims| {
        if let Some(claim) = claims.iter_mut().find(|c| c.is(ns, cookie, key) && !c.labs.is_empty()) {
            if !claim.labs.iter().any(|l| l == lab) {
                claim.labs.push(lab.to_string());
            }
            return Some(claim.original.clone());
        }
        claims.retain(|c| !c.is(ns, cookie, key));
        let original = current()?;
        if check_sysctl_restore(key, &original).is_ok() {
            claims.push(Claim {
                ns: ns.clone(),
                cookie,
                key: key.to_string(),
                original: original.clone(),
                labs: vec![lab.to_string()],
            });
        }
        Some(original)
    })
}

/// Lab `lab` no longer needs `key` in `ns`.
pub fn release(lab: &str, ns: &Netns, cookie: Option<u64>, key: &str) -> io::Result<Release> {
    with_claims(|claims| {
        let Some(at) = claims.iter().position(|c| c.is(ns, cookie, key)) else {
            return Release::Unknown;
        };
        let claim = &mut claims[at];
        if !claim.labs.iter().any(|l| l == lab) {
            return Release::Unknown;
        }
        claim.labs.retain(|l| l != lab && ledger::exists(l));
        if claim.labs.is_empty() {
            let original = claim.original.clone();
            claims.remove(at);
            Release::Restore(original)
        } else {
            Release::Held(claim.labs.clone())
        }
    })
}
