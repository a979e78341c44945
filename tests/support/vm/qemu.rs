//! One boot: qemu with software emulation (TCG; KVM is not used), the serial
//! console on a pipe, no network device. Every line the VM prints goes to a
//! log file as it comes; the markers /init prints say when it booted and how
//! the tests ended. Every wait is bounded: a VM that does not boot, or whose
//! tests run past their time, is killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Problem;
use super::kernel::{Kernel, failed};

pub const QEMU: &str = "qemu-system-x86_64";

/// From qemu's start to /init's first marker; booting takes 3 s.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// From the exit marker to qemu's exit (poweroff).
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(20);

pub const BOOTED: &str = "@@netscript-vm booted ";
pub const EXIT: &str = "@@netscript-vm exit=";

pub struct Boot {
    /// Every line of the console, without the markers' own.
    pub lines: Vec<String>,
    /// Host time from qemu's start to /init's marker, and the guest's uptime then.
    pub booted: Option<(Duration, String)>,
    /// The test binary's exit status.
    pub exit: Option<i32>,
    pub wall: Duration,
    /// Why the VM was killed, when it was.
    pub killed: Option<String>,
    pub stderr: String,
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether qemu can be run here.
pub fn available() -> Result<(), Problem> {
    match Command::new(QEMU).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Problem::Unavailable(format!("{QEMU} --version failed: {status}"))),
        Err(err) => {
            Err(Problem::Unavailable(format!("cannot run {QEMU} ({err}); apt-get install qemu-system-x86")))
        }
    }
}

/// Boots the kernel with the initramfs; `env` goes to /init's environment
/// through the kernel command line, and so do `args`, the test binary's,
/// joined by commas.
pub fn boot(
    kernel: &Kernel,
    initrd: &Path,
    env: &[(&str, String)],
    args: &[String],
    timeout: Duration,
    log: &Path,
) -> Result<Boot, Problem> {
    // tsc=reliable: the guest's clock is the TSC, read in the vDSO, not the
    // HPET, a device qemu emulates under its global lock on every read.
    let mut append = String::from("console=ttyS0 quiet loglevel=4 panic=-1 tsc=reliable mitigations=off");
    for (key, value) in env {
        append.push_str(&format!(" {key}={value}"));
    }
    // One word for all the arguments: the kernel hands init at most 32.
    if args.iter().any(|arg| arg.contains(',') || arg.contains(char::is_whitespace)) {
        return Err(Problem::Failed(format!("arguments for the VM cannot hold commas or spaces: {args:?}")));
    }
    append.push_str(&format!(" NETSCRIPT_VM_ARGS={}", args.join(",")));
    let mut log = std::fs::File::create(log).map_err(|err| failed("create", log, err))?;
    let _ = writeln!(
        log,
        "# {QEMU} -kernel {} -initrd {} -append {append:?}",
        kernel.image.display(),
        initrd.display()
    );
    let start = Instant::now();
    let child = Command::new(QEMU)
        .args(["-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2048"])
        .args(["-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio", "-nic", "none"])
        .arg("-no-reboot")
        .arg("-kernel")
        .arg(&kernel.image)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(&append)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| Problem::Unavailable(format!("cannot run {QEMU} ({err})")))?;
    let mut child = KillOnDrop(child);

    let (send, lines) = mpsc::channel::<String>();
    let stdout = child.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut raw = Vec::new();
        while stdout.read_until(b'\n', &mut raw).is_ok_and(|n| n > 0) {
            let line = String::from_utf8_lossy(&raw).replace('\r', "").trim_end_matches('\n').to_string();
            let _ = writeln!(log, "[{:7.1}] {line}", start.elapsed().as_secs_f64());
            raw.clear();
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr_pipe = child.0.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });

    let mut boot = Boot {
        lines: Vec::new(),
        booted: None,
        exit: None,
        wall: Duration::ZERO,
        killed: None,
        stderr: String::new(),
    };
    let mut exited_at = None;
    loop {
        let (deadline, what) = match (&boot.booted, boot.exit) {
            (None, _) => (start + BOOT_TIMEOUT, format!("did not boot within {} s", BOOT_TIMEOUT.as_secs())),
            (Some((at, _)), None) => {
                (start + *at + timeout, format!("the tests did not end within {} s", timeout.as_secs()))
            }
            (Some(_), Some(_)) => (
                exited_at.unwrap_or(start) + POWEROFF_TIMEOUT,
                "did not power off after the tests".to_string(),
            ),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix(BOOTED) {
                    let uptime = rest.split_whitespace().next().unwrap_or("").trim_start_matches("uptime=");
                    boot.booted = Some((start.elapsed(), uptime.to_string()));
                } else if let Some(rest) = line.strip_prefix(EXIT) {
                    boot.exit = rest.split_whitespace().next().and_then(|code| code.parse().ok());
                    exited_at = Some(Instant::now());
                } else {
                    boot.lines.push(line);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if boot.exit.is_none() {
                    boot.killed = Some(what);
                }
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.0.kill();
    let _ = child.0.wait();
    boot.wall = start.elapsed();
    drop(child);
    let _ = reader.join();
    boot.stderr = stderr.join().unwrap_or_default();
    Ok(boot)
}
