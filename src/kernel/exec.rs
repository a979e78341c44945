//! Running a program inside a namespace: it is started from a thread that
//! joined the namespace, so the child is born there (and nothing else is).
//! It runs in a process group of its own, and that whole group goes when
//! the command ends, at the deadline, or on an interrupt: a job it left in
//! the background would otherwise hold its pipes (and its namespace) open.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

use super::Kernel;
use super::error::KernelError;
use super::wait::{self, Deadline};
use crate::ops::{Netns, limits};

/// The most output kept of each stream: beyond it, the command is killed
/// and fails (a script's strings are limited to four times as much).
pub const MAX_OUTPUT: usize = 4 << 20;

/// How long output may still arrive once the command has ended (from what
/// it left behind), and again once its group is killed.
const GRACE: Duration = Duration::from_millis(100);

/// How often to look whether the child has exited, without a pidfd.
const POLL_EXIT: Duration = Duration::from_millis(2);

/// What a finished command left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// None when a signal ended it (our timeout, for one).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Kernel {
    pub(super) fn exec(
        &self,
        ns: &Netns,
        argv: &[String],
        timeout: Duration,
        interrupt: &AtomicBool,
    ) -> Result<ExecOutput, KernelError> {
        let program = argv.first().ok_or_else(|| KernelError::Failed("no command given".into()))?;
        wait::check(interrupt)?;
        if let Some(missing) = limits::missing_program(argv) {
            return Err(KernelError::Failed(limits::no_program(&missing)));
        }
        let env = super::node::env_for(ns);
        let spawn = || {
            let mut command = Command::new(program);
            command
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                // Its own group: a Ctrl-C in the terminal is ours to handle,
                // and killpg reaches what it starts.
                .process_group(0);
            super::node::enter_on_exec(&mut command, env);
            command.spawn()
        };
        let child = self.in_netns(ns, spawn).map_err(|err| {
            if err.kind() == io::ErrorKind::NotFound
                && !matches!(ns, Netns::Named(n) if !super::netns::exists(n))
            {
                KernelError::Failed(limits::no_program(program))
            } else {
                KernelError::Failed(format!("cannot run '{program}'{}: {err}", ns.location()))
            }
        })?;
        wait_for(child, Deadline::after(timeout), interrupt)
    }
}

/// An error unless the command exited with 0, in words with what it wrote.
pub fn succeeded(output: &ExecOutput) -> Result<(), KernelError> {
    if output.timed_out {
        return Err(KernelError::Failed("it was still running at its deadline and was killed".into()));
    }
    match output.code {
        Some(0) => Ok(()),
        code => {
            let said = output.stderr.trim();
            let said = if said.is_empty() { output.stdout.trim() } else { said };
            let how = code.map_or("was killed by a signal".to_string(), |c| format!("exited with {c}"));
            let tail: Vec<&str> = said.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
            Err(KernelError::Failed(if tail.is_empty() {
                how
            } else {
                format!("{how}: {}", tail.join(" / "))
            }))
        }
    }
}

/// Waits for the child, reading its output as it comes (a full pipe would
/// stall it), until it exits, the deadline passes or `interrupt` is set.
fn wait_for(mut child: Child, deadline: Deadline, interrupt: &AtomicBool) -> Result<ExecOutput, KernelError> {
    let pid = child.id();
    let mut pipes = [
        Pipe::new(child.stdout.take().map(OwnedFd::from)),
        Pipe::new(child.stderr.take().map(OwnedFd::from)),
    ];
    let exit = pidfd(pid);
    let (mut timed_out, mut interrupted) = (false, false);
    loop {
        // Not reaped yet (WNOWAIT): while the child is a zombie its pid,
        // and so its group's id, cannot be given to another process.
        if exited(pid) {
            read_while_open(&mut pipes, Deadline::after(GRACE));
            break;
        }
        if interrupt.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        if deadline.passed() {
            timed_out = true;
            break;
        }
        // Without a pidfd, look for the exit often.
        let slice = if exit.is_some() { deadline.next_slice() } else { deadline.next_slice().min(POLL_EXIT) };
        read_some(&mut pipes, exit.as_ref(), slice);
        if pipes.iter().any(|pipe| pipe.bytes.len() > MAX_OUTPUT) {
            break;
        }
    }
    let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    let status: Option<ExitStatus> = child.wait().ok();
    read_while_open(&mut pipes, Deadline::after(GRACE));
    if interrupted {
        return Err(wait::interrupted());
    }
    if let Some(name) = ["stdout", "stderr"].iter().zip(&pipes).find(|(_, p)| p.bytes.len() > MAX_OUTPUT) {
        return Err(KernelError::Failed(format!(
            "it wrote more than {} MiB to {}, more than netscript keeps, and was killed; \
             send big output to a file",
            MAX_OUTPUT >> 20,
            name.0
        )));
    }
    let [stdout, stderr] = pipes;
    Ok(ExecOutput {
        code: status.and_then(|s| s.code()),
        stdout: stdout.text(),
        stderr: stderr.text(),
        timed_out,
    })
}

/// True once the child has exited; it stays a zombie until `wait`.
fn exited(pid: u32) -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(waitid(Id::Pid(Pid::from_raw(pid as i32)), flags), Ok(WaitStatus::StillAlive))
}

/// A file descriptor that becomes readable when the process exits, so a
/// wait needs no polling for that; None on kernels before 5.3.
fn pidfd(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
    // (or -1), which we then own.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid as nix::libc::pid_t, 0) };
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn read_while_open(pipes: &mut [Pipe; 2], until: Deadline) {
    while pipes.iter().any(Pipe::is_open) && !until.passed() {
        read_some(pipes, None, until.next_slice());
    }
}

/// Waits up to `timeout` for output (or for the child to exit, when `exit`
/// is its pidfd) and reads what came.
fn read_some(pipes: &mut [Pipe; 2], exit: Option<&OwnedFd>, timeout: Duration) {
    let open: Vec<usize> = (0..pipes.len()).filter(|&i| pipes[i].is_open()).collect();
    let mut fds: Vec<PollFd> = open
        .iter()
        .filter_map(|&i| pipes[i].file.as_ref())
        .map(|file| PollFd::new(file.as_fd(), PollFlags::POLLIN))
        .collect();
    if let Some(exit) = exit {
        fds.push(PollFd::new(exit.as_fd(), PollFlags::POLLIN));
    }
    if fds.is_empty() {
        std::thread::sleep(timeout);
        return;
    }
    let ms = u16::try_from(timeout.as_millis().max(1)).unwrap_or(u16::MAX);
    if poll(&mut fds, PollTimeout::from(ms)).is_err() {
        return;
    }
    let ready: Vec<bool> =
        fds.iter().take(open.len()).map(|fd| fd.revents().is_some_and(|r| !r.is_empty())).collect();
    drop(fds);
    for (&i, ready) in open.iter().zip(ready) {
        if ready {
            pipes[i].drain();
        }
    }
}

/// One of the child's output pipes, read without blocking.
struct Pipe {
    file: Option<File>,
    bytes: Vec<u8>,
}

impl Pipe {
    fn new(fd: Option<OwnedFd>) -> Self {
        let file = fd.map(|fd| {
            let flags =
                fcntl(&fd, FcntlArg::F_GETFL).map(OFlag::from_bits_truncate).unwrap_or(OFlag::empty());
            let _ = fcntl(&fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK));
            File::from(fd)
        });
        Pipe { file, bytes: Vec::new() }
    }

    fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Reads what is there; closes the pipe at its end.
    fn drain(&mut self) {
        let Some(file) = &mut self.file else { return };
        let mut buf = [0u8; 16 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break self.file = None,
                Ok(n) if self.bytes.len() <= MAX_OUTPUT => self.bytes.extend_from_slice(&buf[..n]),
                // Over the limit: the caller kills the command.
                Ok(_) => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => break self.file = None,
            }
        }
    }

    fn text(self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}
