//! A node as its processes see it. A program that `exec` or
//! `start_process` runs in a named namespace starts in a mount namespace
//! of its own where the files of /etc/netns/NODE lie over /etc (as `ip
//! netns exec` lays them), /sys shows the node's links, /run is the node's
//! own directory (so two daemons of one kind in two nodes never share a pid
//! file or a control socket) and the hostname is the one in the node's
//! /etc/hostname. A node's files are written beneath those two places one
//! directory at a time, never through a symlink.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::{Mode, fchmod, fstat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};

use crate::ops::files::{Area, ETC_NETNS, FileBefore, MAX_FILE, NodePath, base, check_hostname, nodes_dir};

/// The root a node's directories hang from, opened without following a
/// symlink, made if missing (then 0755, root's). Refused when someone else
/// could write in it.
fn open_root(area: Area, create: bool) -> io::Result<Option<OwnedFd>> {
    let root = match area {
        Area::Etc => PathBuf::from(ETC_NETNS),
        Area::Run => nodes_dir(),
    };
    if create && area == Area::Run {
        crate::lab::store::ensure_dir(&root)?;
    }
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY;
    let fd = match open(&root, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) if create => {
            match fs::create_dir(&root) {
                Ok(()) => fs::set_permissions(&root, fs::Permissions::from_mode(0o755))?,
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
            open(&root, flags, Mode::empty())?
        }
        Err(Errno::ENOENT) => return Ok(None),
        Err(err) => return Err(io::Error::other(format!("cannot open {}: {}", root.display(), err.desc()))),
    };
    check_ours(&fd, &root)?;
    Ok(Some(fd))
}

/// A directory someone else owns or may write in is not ours to write under.
fn check_ours(fd: &OwnedFd, path: &Path) -> io::Result<()> {
    let stat = fstat(fd)?;
    let me = nix::unistd::geteuid().as_raw();
    if (stat.st_uid != me && stat.st_uid != 0) || stat.st_mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} may be written by others than root; netscript does not write beneath it",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Where a walk down a node's directories ended.
struct Walk {
    /// The deepest directory reached.
    dir: Option<OwnedFd>,
    /// How many of the names were there (or made).
    reached: usize,
}

/// Walks down `names` from the area's root, one directory at a time,
/// never through a symlink; with `create`, makes what is missing.
fn walk(area: Area, names: &[String], create: bool, shown: &str) -> io::Result<Walk> {
    let Some(mut dir) = open_root(area, create)? else {
        return Ok(Walk { dir: None, reached: 0 });
    };
    let mut reached = 0;
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY;
    for name in names {
        let next = match openat(&dir, name.as_str(), flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if create => {
                match mkdirat(&dir, name.as_str(), Mode::from_bits_truncate(0o755)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(err) => return Err(err.into()),
                }
                let fd = openat(&dir, name.as_str(), flags, Mode::empty())?;
                // Whatever the umask said.
                fchmod(&fd, Mode::from_bits_truncate(0o755))?;
                fd
            }
            Err(Errno::ENOENT) => return Ok(Walk { dir: Some(dir), reached }),
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                return Err(io::Error::other(format!(
                    "'{name}' on the way to {shown} is not a directory (a symlink, say); left it alone"
                )));
            }
            Err(err) => return Err(err.into()),
        };
        dir = next;
        reached += 1;
    }
    Ok(Walk { dir: Some(dir), reached })
}

/// The directory that holds the file, when all of its directories are there.
fn parent(node: &str, path: &NodePath, create: bool) -> io::Result<Option<OwnedFd>> {
    let names = path.dirs(node);
    let walk = walk(path.area, &names, create, &path.shown())?;
    Ok(walk.dir.filter(|_| walk.reached == names.len()))
}

fn file_name(path: &NodePath) -> &str {
    path.parts.last().map(String::as_str).unwrap_or_default()
}

fn symlink_refused(path: &NodePath) -> io::Error {
    io::Error::other(format!("{} is a symlink; netscript does not write through one", path.shown()))
}

/// What the file is now, and how many of its directories are missing.
pub fn read_before(node: &str, path: &NodePath) -> io::Result<FileBefore> {
    let names = path.dirs(node);
    let walk = walk(path.area, &names, false, &path.shown())?;
    let Some(dir) = walk.dir.filter(|_| walk.reached == names.len()) else {
        return Ok(FileBefore { made_dirs: names.len() - walk.reached, ..FileBefore::default() });
    };
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let fd = match openat(&dir, file_name(path), flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(FileBefore::default()),
        Err(Errno::ELOOP) => return Err(symlink_refused(path)),
        Err(err) => return Err(err.into()),
    };
    let file = File::from(fd);
    let stat = file.metadata()?;
    if !stat.is_file() {
        return Err(io::Error::other(format!("{} is not a plain file", path.shown())));
    }
    if stat.len() > MAX_FILE as u64 {
        return Err(io::Error::other(format!(
            "{} holds {} bytes already, more than the {} MiB netscript can set back",
            path.shown(),
            stat.len(),
            MAX_FILE >> 20
        )));
    }
    let mut content = String::new();
    (&file).take(MAX_FILE as u64 + 1).read_to_string(&mut content).map_err(|_| {
        io::Error::other(format!("{} is not text; netscript could not set it back", path.shown()))
    })?;
    Ok(FileBefore { content: Some(content), mode: stat.mode() & 0o7777, made_dirs: 0 })
}

/// Writes the node's file, making its directories.
pub fn write(node: &str, path: &NodePath, content: &str, mode: u32) -> io::Result<()> {
    let dir = parent(node, path, true)?.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
    put(&dir, path, content, mode)
}

fn put(dir: &OwnedFd, path: &NodePath, content: &str, mode: u32) -> io::Result<()> {
    let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = match openat(dir, file_name(path), flags, Mode::from_bits_truncate(0o600)) {
        Ok(fd) => fd,
        Err(Errno::ELOOP) => return Err(symlink_refused(path)),
        Err(err) => return Err(err.into()),
    };
    fchmod(&fd, Mode::from_bits_truncate(mode))?;
    let mut file = File::from(fd);
    file.write_all(content.as_bytes())?;
    file.flush()
}

/// Puts the node's file back as `before` says: its earlier content, or
/// none, with the directories the write made removed where empty.
pub fn restore(node: &str, path: &NodePath, before: &FileBefore) -> io::Result<()> {
    let Some(dir) = parent(node, path, false)? else {
        // Its directories are gone, and it with them.
        return Ok(());
    };
    match &before.content {
        Some(content) => return put(&dir, path, content, before.mode),
        None => match unlinkat(&dir, file_name(path), UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(err) => return Err(err.into()),
        },
    }
    drop(dir);
    // The directories it made, deepest first; one that holds something stays.
    let names = path.dirs(node);
    for depth in (names.len() - before.made_dirs.min(names.len())..names.len()).rev() {
        let holder = walk(path.area, &names[..depth], false, &path.shown())?;
        let Some(holder) = holder.dir.filter(|_| holder.reached == depth) else { break };
        match unlinkat(&holder, names[depth].as_str(), UnlinkatFlags::RemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(Errno::ENOTEMPTY | Errno::EEXIST) => break,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Makes node `node`'s own /run, empty at first.
pub fn make_run_dir(node: &str) -> io::Result<()> {
    walk(Area::Run, &[node.to_string(), "run".to_string()], true, "/run").map(drop)
}

/// Removes node `node`'s own directory under the state directory with all
/// it holds (what its daemons left in /run), once its namespace is gone.
pub fn remove_run_dir(node: &str) -> io::Result<()> {
    let dir = nodes_dir().join(node);
    // One stat and no descriptor for the many namespaces that have none.
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    }
    // Only beneath a state directory of root's; remove_dir_all never
    // follows a symlink inside.
    if open_root(Area::Run, false)?.is_some() {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// What a process started in a node does, between fork and exec, to see
/// the node as its own. Everything it needs is read before the fork.
#[derive(Debug)]
pub struct NodeEnv {
    sysfs: CString,
    /// (file in /etc/netns/NODE, the /etc entry it lies over).
    binds: Vec<(CString, CString)>,
    run: Option<CString>,
    var_run: bool,
    hostname: Option<Vec<u8>>,
}

impl NodeEnv {
    pub fn of(node: &str) -> NodeEnv {
        let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).ok();
        let own = base(Area::Etc, node);
        let mut binds = Vec::new();
        // Only a directory of root's: the files will lie over root's /etc.
        let trusted = fs::symlink_metadata(&own)
            .is_ok_and(|m| m.is_dir() && (m.uid() == 0 || m.uid() == nix::unistd::geteuid().as_raw()));
        if trusted && let Ok(entries) = fs::read_dir(&own) {
            for entry in entries.flatten() {
                let target = Path::new("/etc").join(entry.file_name());
                // As iproute2: only over what /etc has.
                if fs::symlink_metadata(&target).is_ok()
                    && let (Some(from), Some(to)) = (c(&entry.path()), c(&target))
                {
                    binds.push((from, to));
                }
            }
        }
        binds.sort();
        let hostname = trusted
            .then(|| fs::read_to_string(own.join("hostname")).ok())
            .flatten()
            .and_then(|text| text.lines().next().map(str::trim).map(str::to_string))
            .filter(|name| check_hostname(name).is_ok())
            .map(String::into_bytes);
        let run_dir = base(Area::Run, node);
        let run = fs::symlink_metadata(&run_dir).is_ok_and(|m| m.is_dir()).then(|| c(&run_dir)).flatten();
        let var_run = fs::symlink_metadata("/var/run").is_ok_and(|m| m.is_dir());
        NodeEnv { sysfs: CString::new(node).unwrap_or_default(), binds, run, var_run, hostname }
    }

    /// In the child, between fork and exec: system calls only, on what was
    /// prepared before (no allocation: another thread may hold a lock).
    pub fn enter(&self) -> io::Result<()> {
        use nix::libc;
        let check = |rc: libc::c_int| if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) };
        let null = std::ptr::null::<libc::c_char>();
        let flags = libc::CLONE_NEWNS | if self.hostname.is_some() { libc::CLONE_NEWUTS } else { 0 };
        // SAFETY: plain system calls on NUL-terminated strings made before the fork.
        unsafe {
            check(libc::unshare(flags))?;
            // Nothing mounted here reaches the namespace netscript runs in.
            check(libc::mount(null, c"/".as_ptr(), null, libc::MS_SLAVE | libc::MS_REC, std::ptr::null()))?;
            if libc::umount2(c"/sys".as_ptr(), libc::MNT_DETACH) == 0 {
                check(libc::mount(
                    self.sysfs.as_ptr(),
                    c"/sys".as_ptr(),
                    c"sysfs".as_ptr(),
                    0,
                    std::ptr::null(),
                ))?;
            }
            for (from, to) in &self.binds {
                check(libc::mount(from.as_ptr(), to.as_ptr(), null, libc::MS_BIND, std::ptr::null()))?;
            }
            if let Some(run) = &self.run {
                check(libc::mount(run.as_ptr(), c"/run".as_ptr(), null, libc::MS_BIND, std::ptr::null()))?;
                if self.var_run {
                    check(libc::mount(
                        run.as_ptr(),
                        c"/var/run".as_ptr(),
                        null,
                        libc::MS_BIND,
                        std::ptr::null(),
                    ))?;
                }
            }
            if let Some(name) = &self.hostname {
                check(libc::sethostname(name.as_ptr().cast(), name.len()))?;
            }
        }
        Ok(())
    }
}

/// The node environment of a named namespace; none for the host's.
pub fn env_for(ns: &crate::ops::Netns) -> Option<NodeEnv> {
    ns.name().map(NodeEnv::of)
}

/// Has `command` enter `env` in the child, before it runs the program.
pub fn enter_on_exec(command: &mut std::process::Command, env: Option<NodeEnv>) {
    use std::os::unix::process::CommandExt;
    if let Some(env) = env {
        // SAFETY: `enter` makes system calls only, on memory prepared before
        // the fork, as the child of a threaded process must.
        unsafe { command.pre_exec(move || env.enter()) };
    }
}
