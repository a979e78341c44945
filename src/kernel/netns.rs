//! Named network namespaces, made the way `ip netns add` makes them: a bind
//! mount of the namespace on a file under /run/netns, which is itself a
//! shared mount point. Nothing here forks; per-thread `unshare`/`setns` runs
//! on short-lived threads so the caller's thread never changes namespace.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};

pub const NETNS_RUN_DIR: &str = "/run/netns";

pub fn path(name: &str) -> PathBuf {
    Path::new(NETNS_RUN_DIR).join(name)
}

/// Names under /run/netns, sorted.
pub fn list() -> io::Result<Vec<String>> {
    let mut names = match fs::read_dir(NETNS_RUN_DIR) {
        Ok(dir) => dir
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect::<Vec<_>>(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err),
    };
    names.sort();
    Ok(names)
}

/// The inode of the namespace bound at /run/netns/NAME, if one is.
/// A file left there without a mount (a crashed `ip netns add`) is not a namespace.
pub fn inode(name: &str) -> Option<u64> {
    let meta = fs::metadata(path(name)).ok()?;
    // An unmounted placeholder is a regular file on the tmpfs; a namespace
    // bind mount is a file of the nsfs pseudo filesystem. One stat per
    // lookup: this runs before every operation in a named namespace.
    (Some(meta.dev()) == nsfs_device()).then_some(meta.ino())
}

/// The device of the nsfs filesystem, where every namespace file lives.
fn nsfs_device() -> Option<u64> {
    static DEVICE: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *DEVICE.get_or_init(|| fs::metadata("/proc/self/ns/net").ok().map(|meta| meta.dev()))
}

pub fn exists(name: &str) -> bool {
    inode(name).is_some()
}

/// Makes /run/netns a shared mount point, as iproute2 does, so that
/// namespaces mounted there are seen by every mount namespace. Once per
/// process: the recursive remount walks every namespace mounted there, which
/// done per namespace makes building N namespaces cost O(N²).
fn prepare_run_dir() -> io::Result<()> {
    static PREPARED: AtomicBool = AtomicBool::new(false);
    if PREPARED.load(Ordering::Relaxed) {
        return Ok(());
    }
    make_run_dir_shared()?;
    PREPARED.store(true, Ordering::Relaxed);
    Ok(())
}

fn make_run_dir_shared() -> io::Result<()> {
    fs::create_dir_all(NETNS_RUN_DIR)?;
    let shared = || {
        mount(None::<&str>, NETNS_RUN_DIR, None::<&str>, MsFlags::MS_SHARED | MsFlags::MS_REC, None::<&str>)
    };
    match shared() {
        Ok(()) => Ok(()),
        // Not a mount point yet: bind it onto itself first.
        Err(Errno::EINVAL) => {
            mount(
                Some(NETNS_RUN_DIR),
                NETNS_RUN_DIR,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )?;
            shared()?;
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// What a new namespace is known by: its inode (cheap to check, but the
/// kernel gives it to the next namespace once this one is freed) and its
/// cookie (never reused while the machine runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub inode: u64,
    pub cookie: u64,
}

/// Creates the named namespace and runs `inside` on a thread that is in it
/// (to open a netlink socket there at no extra cost). Returns what `inside`
/// returned and the namespace's identity. Fails with EEXIST if the name is taken.
/// `noted` hears the cookie before the namespace is mounted under its name,
/// so whatever records it is never behind what others can see.
pub fn create<T: Send + 'static>(
    name: &str,
    noted: &mut (dyn FnMut(u64) + Send),
    inside: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<(T, Made)> {
    prepare_run_dir()?;
    on_own_thread(|| make_here(name, noted, inside))
}

/// Creates the named namespaces, as `create` does each, on both namespace
/// workers at once: making a namespace is mostly kernel work that does not
/// hold the RTNL lock (registering each subsystem's per-namespace state),
/// which a second core can do while the first makes the next one. Each
/// worker takes the next name not yet taken, so the two share the work
/// whatever each one's speed. `noted(i, cookie)` hears namespace i's cookie
/// before it is mounted under its name (from either worker: it must be safe
/// to call from both at once), and `inside(i)` runs in namespace i on the
/// worker that made it. One result per name, in order.
pub fn create_many<T: Send + 'static>(
    names: &[&str],
    noted: &(dyn Fn(usize, u64) + Sync),
    inside: &(dyn Fn(usize) -> io::Result<T> + Sync),
    stop: &AtomicBool,
) -> Vec<io::Result<(T, Made)>> {
    if let Err(err) = prepare_run_dir() {
        let kind = err.kind();
        let first = Err(err);
        return std::iter::once(first)
            .chain((1..names.len()).map(|_| Err(io::Error::new(kind, "cannot prepare /run/netns"))))
            .collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let share = || {
        let mut made = Vec::new();
        loop {
            // A signal ends the bulk between namespaces; the rest are not made.
            if stop.load(Ordering::Relaxed) {
                return Ok(made);
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(name) = names.get(i) else { return Ok(made) };
            made.push((i, make_here(name, &mut |cookie| noted(i, cookie), || inside(i))));
        }
    };
    let (a, b) = super::worker::run_both(share, share);
    let mut results: Vec<Option<io::Result<(T, Made)>>> = (0..names.len()).map(|_| None).collect();
    for (i, result) in a.into_iter().chain(b).flatten() {
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| match stop.load(Ordering::Relaxed) {
                true => Err(io::Error::new(io::ErrorKind::Interrupted, super::error::NOT_MADE)),
                false => Err(io::Error::other("the namespace worker is gone")),
            })
        })
        .collect()
}

/// Makes the named namespace from the calling thread, which joins it (the
/// worker goes home after its job): placeholder file, unshare, cookie
/// noted, bind mount, `inside`. Undoes what it did when a step fails.
fn make_here<T>(
    name: &str,
    noted: &mut dyn FnMut(u64),
    inside: impl FnOnce() -> io::Result<T>,
) -> io::Result<(T, Made)> {
    let target = path(name);
    OpenOptions::new().write(true).create_new(true).mode(0o444).open(&target)?;
    let made = (|| {
        unshare(CloneFlags::CLONE_NEWNET)?;
        let cookie = cookie_here()?;
        noted(cookie);
        mount(Some("/proc/thread-self/ns/net"), &target, None::<&str>, MsFlags::MS_BIND, None::<&str>)?;
        let inode = fs::metadata("/proc/thread-self/ns/net")?.ino();
        Ok((inside()?, Made { inode, cookie }))
    })();
    if made.is_err() {
        let _ = umount2(&target, MntFlags::MNT_DETACH);
        let _ = fs::remove_file(&target);
    }
    made
}

/// Brings the loopback device of the calling thread's namespace up, as
/// `ip link set lo up` does, with one ioctl: no netlink socket needed.
pub fn lo_up_here() -> io::Result<()> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    #[repr(C)]
    struct IfreqFlags {
        name: [u8; 16],
        flags: nix::libc::c_short,
        _pad: [u8; 22],
    }
    let mut req = IfreqFlags { name: [0; 16], flags: 0, _pad: [0; 22] };
    req.name[..2].copy_from_slice(b"lo");
    // SAFETY: plain syscalls on a socket this function owns, with an ifreq
    // that outlives them.
    unsafe {
        let fd = nix::libc::socket(nix::libc::AF_INET, nix::libc::SOCK_DGRAM | nix::libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = OwnedFd::from_raw_fd(fd);
        if nix::libc::ioctl(socket.as_raw_fd(), nix::libc::SIOCGIFFLAGS, &mut req) < 0 {
            return Err(io::Error::last_os_error());
        }
        req.flags |= nix::libc::IFF_UP as nix::libc::c_short;
        if nix::libc::ioctl(socket.as_raw_fd(), nix::libc::SIOCSIFFLAGS, &req) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Removes the named namespace: the kernel frees it once nothing holds it.
/// Only a namespace: a plain file of that name is not unlinked.
pub fn delete(name: &str) -> io::Result<()> {
    let target = path(name);
    if inode(name).is_none() {
        return match fs::symlink_metadata(&target) {
            Err(err) => Err(err),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is not a namespace (no namespace is mounted there); left it alone",
                    target.display()
                ),
            )),
        };
    }
    match umount2(&target, MntFlags::MNT_DETACH) {
        Ok(()) => {}
        Err(Errno::ENOENT) => return Err(io::ErrorKind::NotFound.into()),
        Err(err) => return Err(err.into()),
    }
    fs::remove_file(&target)
}

/// Removes what a run killed while making namespace `name` left: the empty
/// file a namespace is mounted on, made by netscript (0444, this user's),
/// with nothing mounted on it yet. Anything else is left alone.
pub fn remove_placeholder(name: &str) -> bool {
    let target = path(name);
    let Ok(meta) = fs::symlink_metadata(&target) else {
        return false;
    };
    let ours = meta.is_file()
        && meta.len() == 0
        && meta.mode() & 0o7777 == 0o444
        && meta.uid() == nix::unistd::geteuid().as_raw()
        && inode(name).is_none();
    ours && fs::remove_file(&target).is_ok()
}

/// SO_NETNS_COOKIE (Linux 5.14): the cookie of the socket's namespace.
const SO_NETNS_COOKIE: nix::libc::c_int = 71;

/// The cookie of the calling thread's network namespace.
pub fn cookie_here() -> io::Result<u64> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: plain syscalls on a socket this function owns.
    unsafe {
        let fd = nix::libc::socket(nix::libc::AF_UNIX, nix::libc::SOCK_DGRAM | nix::libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = OwnedFd::from_raw_fd(fd);
        let mut cookie: u64 = 0;
        let mut len = std::mem::size_of::<u64>() as nix::libc::socklen_t;
        let got = nix::libc::getsockopt(
            socket.as_raw_fd(),
            nix::libc::SOL_SOCKET,
            SO_NETNS_COOKIE,
            (&mut cookie as *mut u64).cast(),
            &mut len,
        );
        if got < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(cookie)
    }
}

/// The cookies of the named namespaces, read from one thread that visits
/// each in turn; None for a name where no namespace is mounted.
pub fn cookies(names: &[&str]) -> io::Result<Vec<Option<u64>>> {
    on_own_thread(|| {
        let home = File::open("/proc/thread-self/ns/net")?;
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            let cookie = inode(name)
                .and_then(|_| File::open(path(name)).ok())
                .and_then(|ns| setns(&ns, CloneFlags::CLONE_NEWNET).ok())
                .and_then(|()| cookie_here().ok());
            found.push(cookie);
        }
        // Leave no namespace held by this thread while it winds down.
        setns(&home, CloneFlags::CLONE_NEWNET)?;
        Ok(found)
    })
}

/// Runs `inside` on a thread that has joined the namespace bound at
/// `ns_file`; returns its result and the namespace's inode.
pub fn enter<T: Send + 'static>(
    ns_file: &Path,
    inside: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<(T, u64)> {
    on_own_thread(|| {
        let ns = File::open(ns_file)?;
        let inode = ns.metadata()?.ino();
        setns(&ns, CloneFlags::CLONE_NEWNET)?;
        Ok((inside()?, inode))
    })
}

/// Namespace changes are per thread: doing them on the worker, which goes
/// home after each job, keeps every other thread where it was.
fn on_own_thread<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    super::worker::run(work)
}
