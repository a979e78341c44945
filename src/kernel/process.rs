//! Background processes of a lab (a server, say): started inside a
//! namespace in a process group of their own, so a Ctrl-C in the terminal
//! does not reach them and teardown can stop the whole group. A process is
//! known by its pid and its start time, so a pid the system has given to
//! another process since is never signalled.

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

use super::Kernel;
use super::error::KernelError;
use crate::ops::{Netns, limits};

/// The environment variable that names a lab process's log, which lies in its lab's folder.
pub const MARK: &str = "NETSCRIPT_LOG";

/// Whether process `pid` carries the mark of a process started with its
/// log under `logs` (a lab's folder of logs).
pub fn carries_mark(pid: u32, logs: &Path) -> bool {
    let Ok(environ) = fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let prefix = format!("{MARK}={}/", logs.display());
    environ.split(|b| *b == 0).any(|var| var.starts_with(prefix.as_bytes()))
}

/// When a process started, in clock ticks since boot (field 22 of
/// /proc/PID/stat), or None when there is no such process.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: count from the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    let state = after.split_whitespace().next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    after.split_whitespace().nth(19)?.parse().ok()
}

impl Kernel {
    /// Starts `argv` inside `ns`, its output going to `log`; returns its pid
    /// and start time.
    pub(super) fn spawn(&self, ns: &Netns, argv: &[String], log: &Path) -> Result<(u32, u64), KernelError> {
        let program = argv.first().ok_or_else(|| KernelError::Failed("no command given".into()))?;
        if let Some(missing) = limits::missing_program(argv) {
            return Err(KernelError::Failed(limits::no_program(&missing)));
        }
        // A new file, never one through a symlink someone left in its place.
        let out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(log != Path::new("/dev/null"))
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(log)
            .map_err(|err| KernelError::Failed(format!("cannot write {}: {err}", log.display())))?;
        let err_out = out.try_clone().map_err(|err| KernelError::Failed(err.to_string()))?;
        let env = super::node::env_for(ns);
        let spawn = || {
            let mut command = Command::new(program);
            command
                .args(&argv[1..])
                .stdin(Stdio::null())
                // Marks it as the lab's, for `down` to check before stopping it.
                .env(MARK, log)
                .stdout(out)
                .stderr(err_out)
                .process_group(0);
            super::node::enter_on_exec(&mut command, env);
            command.spawn()
        };
        let child = self.in_netns(ns, spawn).map_err(|err| {
            KernelError::Failed(format!("cannot start '{program}'{}: {err}", ns.location()))
        })?;
        let pid = child.id();
        // The child is reaped when it is stopped (stop_process), or by init
        // once netscript exits and the lab lives on.
        std::mem::forget(child);
        let start = start_time(pid).ok_or_else(|| {
            KernelError::Failed(format!("'{program}'{} exited at once; see {}", ns.location(), log.display()))
        })?;
        Ok((pid, start))
    }

    /// Stops a lab's process group: SIGTERM, then SIGKILL after a second.
    pub(super) fn stop_process(&self, pid: u32, start: u64) -> Result<(), KernelError> {
        if start_time(pid) != Some(start) {
            return Err(KernelError::NotFound(format!("process {pid} has ended already")));
        }
        let group = Pid::from_raw(pid as i32);
        let signal = |sig| match killpg(group, sig) {
            Ok(()) | Err(Errno::ESRCH) => Ok(()),
            Err(err) => Err(KernelError::Failed(format!("cannot stop process {pid}: {}", err.desc()))),
        };
        signal(Signal::SIGTERM)?;
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            // Reap it if it is ours; a no-op (ECHILD) when another run made it.
            let _ = waitpid(group, Some(WaitPidFlag::WNOHANG));
            if start_time(pid) != Some(start) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                signal(Signal::SIGKILL)?;
                let _ = waitpid(group, None);
                return Ok(());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}
