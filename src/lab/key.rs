//! This machine's key for sealing the undo commands a ledger holds. `down`
//! runs an exec's declared undo only when its seal is right, so a ledger
//! written (or changed) by anyone who cannot read the key names no command
//! root will run. The key lives beside the ledgers, root's and 0600, made
//! once per boot (the state directory is on /run).

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use crate::ops::Netns;

const LEN: usize = 32;

fn path() -> PathBuf {
    std::path::Path::new(crate::kernel::sandbox::STATE_DIR).join("undo.key")
}

/// The key, made on first use: written whole under another name, then
/// linked into place, so no one ever reads half a key.
fn key() -> io::Result<[u8; LEN]> {
    let path = path();
    match read(&path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        found => return found,
    }
    super::store::ensure_dir(&super::store::labs_dir())?;
    let mut key = [0u8; LEN];
    getrandom::fill(&mut key).map_err(|err| io::Error::other(err.to_string()))?;
    let draft = path.with_extension(format!("new.{}", std::process::id()));
    let _ = fs::remove_file(&draft);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&draft)?;
    file.write_all(&key)?;
    file.sync_all()?;
    let linked = fs::hard_link(&draft, &path);
    let _ = fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(key),
        // Another run made it first: use that one.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => read(&path),
        Err(err) => Err(err),
    }
}

/// Reads the key, refusing one that is not root's alone.
fn read(path: &std::path::Path) -> io::Result<[u8; LEN]> {
    let mut file = OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file()
        || meta.uid() != nix::unistd::geteuid().as_raw()
        || meta.mode() & 0o077 != 0
        || meta.len() != LEN as u64
    {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not netscript's key (a file of {LEN} bytes, root's, mode 0600)", path.display()),
        ));
    }
    let mut key = [0u8; LEN];
    file.read_exact(&mut key)?;
    Ok(key)
}

fn digest(key: &[u8; LEN], ns: &Netns, argv: &[String]) -> String {
    let text = serde_json::to_vec(&(ns, argv)).unwrap_or_default();
    blake3::keyed_hash(key, &text).to_hex().to_string()
}

/// The seal of undo command `argv` in `ns`.
pub fn seal(ns: &Netns, argv: &[String]) -> Result<String, String> {
    let key = key().map_err(|err| format!("cannot seal its undo: {err}"))?;
    Ok(digest(&key, ns, argv))
}

/// Whether `seal` is this machine's for `argv` in `ns`; the reason when not.
pub fn check(ns: &Netns, argv: &[String], seal: &str) -> Result<(), String> {
    let refused = |why: String| format!("the undo `{}`{} was not run: {why}", argv.join(" "), ns.location());
    let key = read(&path()).map_err(|err| refused(err.to_string()))?;
    // Compared in constant time, as blake3's Hash does.
    let expected = blake3::Hash::from_hex(digest(&key, ns, argv)).map_err(|e| refused(e.to_string()))?;
    match blake3::Hash::from_hex(seal) {
        Ok(given) if given == expected => Ok(()),
        _ => Err(refused(
            "its seal is not this machine's netscript's (the ledger was written elsewhere, or changed)"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_covers_the_command_and_its_namespace() {
        let key = [7u8; LEN];
        let argv = vec!["iptables".to_string(), "-D".to_string()];
        let red = Netns::Named("red".into());
        let sealed = digest(&key, &red, &argv);
        assert_eq!(sealed.len(), 64);
        assert_eq!(sealed, digest(&key, &red, &argv));
        assert_ne!(sealed, digest(&key, &Netns::Host, &argv));
        assert_ne!(sealed, digest(&key, &red, &["rm".to_string(), "-rf".to_string()]));
        assert_ne!(sealed, digest(&[8u8; LEN], &red, &argv));
    }
}
