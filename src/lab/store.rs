//! netscript's state directory, /run/netscript, kept as a trust boundary:
//! what is read back from it decides what root deletes, so it is made 0700
//! whatever the umask, and every directory and file in it is checked before
//! use (a directory or file of our user's, no symlink, nobody else may
//! write it). Lab names become file names here, so they are checked too.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::kernel::sandbox::STATE_DIR;

/// Longer names would not be typed, and the ledger's file name must fit.
const LAB_NAME_MAX: usize = 64;

pub fn labs_dir() -> PathBuf {
    Path::new(STATE_DIR).join("labs")
}

/// A lab's name: it names files in the state directory, so no path tricks.
pub fn check_lab_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a lab name cannot be empty".into());
    }
    if name.len() > LAB_NAME_MAX {
        let start: String = name.chars().take(20).collect();
        return Err(format!("lab name '{start}…' is {} bytes; at most {LAB_NAME_MAX}", name.len()));
    }
    if name.starts_with('.') {
        return Err(format!("lab name '{name}' starts with '.'; lab names are file names"));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-+@".contains(c);
    if let Some(bad) = name.chars().find(|c| !plain(*c)) {
        return Err(format!(
            "lab name '{}' contains {}; lab names are letters, digits and . _ - + @",
            name.escape_debug(),
            describe(bad)
        ));
    }
    Ok(())
}

fn describe(c: char) -> String {
    match c {
        '/' => "'/'".into(),
        ' ' => "a space".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Why a directory or file of the state directory must not be trusted.
fn distrust(path: &Path, meta: &fs::Metadata, dir: bool) -> Option<String> {
    let what = if dir { "directory" } else { "file" };
    if meta.file_type().is_symlink() {
        return Some(format!("{} is a symlink, not a {what} of netscript's", path.display()));
    }
    if dir != meta.is_dir() || (!dir && !meta.is_file()) {
        return Some(format!("{} is not a {what}", path.display()));
    }
    if meta.uid() != euid() {
        return Some(format!(
            "{} belongs to user {}, not to this user ({}): someone else could have written it",
            path.display(),
            meta.uid(),
            euid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Some(format!(
            "{} is writable by others (mode {:04o}): someone else could have written it; \
             check what is in it, then `chmod go-w {}`",
            path.display(),
            meta.mode() & 0o7777,
            path.display()
        ));
    }
    None
}

fn untrusted(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

/// Checks one directory of the state; Ok(false) when it does not exist.
fn check_dir(path: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(meta) => match distrust(path, &meta, true) {
            Some(why) => Err(untrusted(why)),
            None => Ok(true),
        },
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// Makes (0700) or checks the state directory and one of its folders.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    for path in [Path::new(STATE_DIR), dir] {
        if !check_dir(path)? {
            match DirBuilder::new().mode(0o700).create(path) {
                Ok(()) => {}
                // Another run made it a moment ago: check it as found.
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(needs_root(path, err)),
            }
            if !check_dir(path)? {
                return Err(io::Error::other(format!("{} vanished as it was made", path.display())));
            }
        }
    }
    Ok(())
}

/// Whether the state folder `dir` exists, checked; an untrusted one is an error.
pub fn dir_exists(dir: &Path) -> io::Result<bool> {
    if !check_dir(Path::new(STATE_DIR))? {
        return Ok(false);
    }
    check_dir(dir)
}

fn needs_root(path: &Path, err: io::Error) -> io::Error {
    if err.kind() == io::ErrorKind::PermissionDenied {
        io::Error::new(
            err.kind(),
            format!(
                "cannot write {}: netscript needs root to build a lab (or use --dry-run, which needs nothing)",
                path.display()
            ),
        )
    } else {
        err
    }
}

/// Opens a file of the state directory for reading, refusing symlinks and
/// files someone else could have written.
pub fn open_read(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(path).map_err(
        |err| match err.raw_os_error() {
            Some(nix::libc::ELOOP) => untrusted(format!("{} is a symlink; refused", path.display())),
            _ => err,
        },
    )?;
    check_open(path, &file)?;
    Ok(file)
}

/// Checks a file opened from the state directory.
pub fn check_open(path: &Path, file: &File) -> io::Result<()> {
    match distrust(path, &file.metadata()?, false) {
        Some(why) => Err(untrusted(why)),
        None => Ok(()),
    }
}

/// Creates a new file (0600, never through a symlink, never over one that
/// exists), for writing.
pub fn create_new(path: &Path, append: bool) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .append(append)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|err| needs_root(path, err))?;
    // The umask may have taken bits away, never added them; but be sure.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Opens an existing file of the state directory for appending, checked.
pub fn open_append(path: &Path) -> io::Result<File> {
    let file =
        OpenOptions::new().read(true).append(true).custom_flags(nix::libc::O_NOFOLLOW).open(path).map_err(
            |err| match err.raw_os_error() {
                Some(nix::libc::ELOOP) => untrusted(format!("{} is a symlink; refused", path.display())),
                _ => needs_root(path, err),
            },
        )?;
    check_open(path, &file)?;
    Ok(file)
}

/// Whether `file` is still what `path` names (not removed or replaced since
/// it was opened): checked after taking a lock on it.
pub fn still_named(path: &Path, file: &File) -> bool {
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino() && open.nlink() > 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_names_are_plain_file_names() {
        assert!(check_lab_name("bridge-nat").is_ok());
        assert!(check_lab_name("lab_2.v1+x@y").is_ok());
        assert_eq!(
            check_lab_name("../../etc/x").unwrap_err(),
            "lab name '../../etc/x' starts with '.'; lab names are file names"
        );
        assert_eq!(
            check_lab_name("a/b").unwrap_err(),
            "lab name 'a/b' contains '/'; lab names are letters, digits and . _ - + @"
        );
        assert!(check_lab_name("a b").unwrap_err().contains("a space"));
        assert!(check_lab_name("a\nb").unwrap_err().contains("U+000A"));
        assert!(check_lab_name("").is_err());
        assert!(check_lab_name(&"x".repeat(65)).unwrap_err().contains("65 bytes"));
    }
}
