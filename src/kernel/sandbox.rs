//! `--sandbox`: the process moves into a private network namespace and a
//! private mount namespace with its own /run/netns, so nothing it builds is
//! seen by, or outlives it on, the host. Must run before any thread starts:
//! the kernel refuses a new mount namespace to a multi-threaded process.
//!
//! The run itself happens in a child that is the first process (pid 1) of a
//! new PID namespace: when it ends, however it ends, the kernel kills every
//! process in that namespace, so a server a lab started in the sandbox
//! never outlives it. The parent stays outside, passes signals on, and exits
//! as the child did; if the parent is killed (even with SIGKILL), the child
//! is killed too, and everything with it.

use std::fs;
use std::io;
use std::path::Path;

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};
use nix::sys::prctl;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

use super::netns::NETNS_RUN_DIR;

/// Where netscript keeps its state; hidden by a tmpfs of its own in a sandbox.
pub const STATE_DIR: &str = "/run/netscript";

/// Signals the parent passes on to the run.
const FORWARDED: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

/// Enters the sandbox. Returns in the child only; the parent waits for it
/// and exits with its exit code.
pub fn enter() -> io::Result<()> {
    unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID).map_err(
        |err| {
            io::Error::new(
                io::Error::from(err).kind(),
                format!(
                    "cannot make a private network, mount and PID namespace ({err}); --sandbox needs root"
                ),
            )
        },
    )?;
    // Nothing mounted from here on propagates back to the host.
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>)?;
    // A tmpfs over all of /run, so that not even an empty directory is
    // left on the host; /run/netns and the state directory live in it.
    mount(
        Some("netscript"),
        "/run",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )?;
    for dir in [NETNS_RUN_DIR, STATE_DIR] {
        fs::create_dir_all(dir)?;
    }
    private_etc_netns()?;
    // A fresh /sys shows this namespace's interfaces, as `ip netns exec` does.
    if umount2("/sys", MntFlags::MNT_DETACH).is_ok() {
        let _ = mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), None::<&str>);
    }
    // Blocked before the fork, so that none arrives unseen in between.
    let mut watched: SigSet = FORWARDED.into_iter().collect();
    watched.add(Signal::SIGCHLD);
    let mut before = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&watched), Some(&mut before))?;
    // SAFETY: the process is single-threaded here (see above), so the child
    // may run any code.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => std::process::exit(supervise(child, &watched)),
        ForkResult::Child => {
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&before), None)?;
            prctl::set_pdeathsig(Signal::SIGKILL)?;
            // A /proc of the new PID namespace, where pids are the child's.
            mount(
                Some("proc"),
                "/proc",
                Some("proc"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                None::<&str>,
            )?;
            Ok(())
        }
    }
}

/// The parent's part: passes signals on to the child until it ends, and
/// returns the exit code to end with (128 + the signal that killed it).
/// A second SIGTERM or SIGHUP kills the child outright: whatever a sandbox
/// holds vanishes with it, so nothing needs rolling back, and the child may
/// be waiting for input at a prompt, where the first one cannot reach it.
fn supervise(child: Pid, watched: &SigSet) -> i32 {
    let mut terminations = 0;
    loop {
        match watched.wait() {
            Ok(Signal::SIGCHLD) | Err(_) => match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => return code,
                Ok(WaitStatus::Signaled(_, signal, _)) => return 128 + signal as i32,
                Err(_) => return 1,
                Ok(_) => {}
            },
            Ok(signal) => {
                if signal != Signal::SIGINT {
                    terminations += 1;
                }
                let _ = kill(child, if terminations > 1 { Signal::SIGKILL } else { signal });
            }
        }
    }
}

/// Gives the sandbox an /etc/netns of its own (a tmpfs), where its nodes'
/// files go. Where the machine has no /etc/netns, /etc is first covered by
/// an overlay whose writable layer lies on the sandbox's /run, so that
/// making the directory never writes the machine's /etc.
fn private_etc_netns() -> io::Result<()> {
    let etc_netns = Path::new(crate::ops::files::ETC_NETNS);
    if fs::symlink_metadata(etc_netns).is_err() {
        let layers = Path::new("/run/.sandbox-etc");
        let (upper, work) = (layers.join("upper"), layers.join("work"));
        fs::create_dir_all(&upper)?;
        fs::create_dir_all(&work)?;
        let options = format!("lowerdir=/etc,upperdir={},workdir={}", upper.display(), work.display());
        mount(Some("overlay"), "/etc", Some("overlay"), MsFlags::empty(), Some(options.as_str()))?;
        fs::create_dir(etc_netns)?;
    }
    mount(
        Some("netscript"),
        etc_netns,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )?;
    Ok(())
}
