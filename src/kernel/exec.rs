//! Running a program inside a namespace: it is started from a thread that
//! joined the namespace, so the child is born there (and nothing else is).

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::Kernel;
use super::error::KernelError;
use crate::ops::{Netns, limits};

/// What a finished command left.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    ) -> Result<ExecOutput, KernelError> {
        let program = argv.first().ok_or_else(|| KernelError::Failed("no command given".into()))?;
        if let Some(missing) = limits::missing_program(argv) {
            return Err(KernelError::Failed(limits::no_program(&missing)));
        }
        let spawn = || {
            Command::new(program)
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        };
        let child = self.in_netns(ns, spawn).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound
                && !matches!(ns, Netns::Named(n) if !super::netns::exists(n))
            {
                KernelError::Failed(limits::no_program(program))
            } else {
                KernelError::Failed(format!("cannot run '{program}'{}: {err}", ns.location()))
            }
        })?;
        Ok(wait(child, timeout))
    }
}

/// Waits for the child, reading its output as it comes (a full pipe would
/// stall it), and kills it at the deadline.
fn wait(mut child: Child, timeout: Duration) -> ExecOutput {
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(_) => break None,
        }
    };
    ExecOutput {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        timed_out,
    }
}
