//! The kernel-matrix VM: Debian's own kernel (the one `linux-image-amd64`
//! names, 6.1 on Debian 12) booted under qemu with software emulation, with
//! an initramfs holding this very test binary, which runs a chosen part of
//! the integration tests inside and reports through the serial console.
//! tests/kernel_matrix/mod.rs says how tests use it.
//!
//! Everything is cached in target/kernel-matrix/ (or $NETSCRIPT_VM_CACHE):
//! the .deb, the decompressed kernel, the trimmed module tree, the newest
//! initramfs, and each run's console log (`NAME.log`).

pub mod cpio;
mod image;
mod kernel;
mod qemu;

use std::env;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Set to 1 by the VM's /init for everything it runs.
pub const IN_VM: &str = "NETSCRIPT_IN_VM";

/// Whether this process runs inside the kernel-matrix VM.
pub fn in_vm() -> bool {
    env::var(IN_VM).is_ok_and(|v| v == "1")
}

/// For a test of a kernel feature this machine may lack: true inside the
/// VM; elsewhere prints why the test does nothing here and returns false.
/// Use it as `if !needs_vm_kernel("8021q (VLAN)") { return; }`.
pub fn needs_vm_kernel(feature: &str) -> bool {
    if in_vm() {
        return true;
    }
    eprintln!(
        "skipped here: needs {feature}; kernel_matrix::vm_missing_features runs this test in the VM \
         (cargo test kernel_matrix)"
    );
    false
}

/// Why the VM could not run.
#[derive(Clone, Debug)]
pub enum Problem {
    /// Something this machine lacks (qemu, busybox, the package): a skip,
    /// except with CI=true.
    Unavailable(String),
    /// Anything else: always a failure.
    Failed(String),
}

/// One run of the test binary in a fresh VM.
pub struct Run<'a> {
    /// The log's name: target/kernel-matrix/NAME.log.
    pub name: &'a str,
    /// Arguments of the test binary (filters, --skip, --test-threads).
    pub args: Vec<String>,
    /// Modules /init loads before the tests (the rest load on demand).
    pub load: &'a [&'a str],
    /// How long the tests may take once the VM booted.
    pub timeout: Duration,
    /// Whether the tests inside measure time (netem delays, rates): then
    /// the VM runs alone (see turns).
    pub alone: bool,
}

/// What a run that ended gave.
pub struct Outcome {
    pub kernel: String,
    /// Host seconds from qemu's start to /init's marker.
    pub boot: Duration,
    /// The guest's uptime at that marker.
    pub guest_uptime: String,
    /// From qemu's start to its exit.
    pub wall: Duration,
    pub passed: usize,
    /// The test binary's output, as libtest printed it.
    pub output: Vec<String>,
}

fn ci() -> bool {
    env::var("CI").is_ok_and(|v| v == "true")
}

fn cache_dir() -> PathBuf {
    match env::var_os("NETSCRIPT_VM_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("kernel-matrix"),
    }
}

struct Prepared {
    kernel: kernel::Kernel,
    initramfs: PathBuf,
}

/// The kernel and the initramfs, made once per test process.
fn prepare() -> &'static Result<Prepared, Problem> {
    static PREPARED: OnceLock<Result<Prepared, Problem>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        qemu::available()?;
        let cache = cache_dir();
        std::fs::create_dir_all(&cache).map_err(|err| kernel::failed("make", &cache, err))?;
        let kernel = kernel::prepare(&cache)?;
        let test_bin = env::current_exe().map_err(|err| Problem::Failed(format!("current_exe: {err}")))?;
        let initramfs = image::build(&cache, &kernel, &test_bin)?;
        Ok(Prepared { kernel, initramfs })
    })
}

/// Boots the VM and runs `run` inside it. Returns `None` (after printing
/// why) when the VM cannot run here and that may be skipped: outside CI,
/// when qemu, busybox or the kernel package is missing. Panics when the VM
/// fails to boot or to finish; the caller judges the tests' outcome.
pub fn boot(run: &Run) -> Option<Outcome> {
    let prepared = match prepare() {
        Ok(prepared) => prepared,
        Err(Problem::Unavailable(why)) if !ci() => {
            eprintln!("skipped: the kernel-matrix VM cannot run here: {why}");
            return None;
        }
        Err(Problem::Unavailable(why) | Problem::Failed(why)) => panic!("the kernel-matrix VM: {why}"),
    };
    // The environment the tests see outside, as far as they look at it.
    let mut env = Vec::new();
    for (name, inside) in [("CI", "CI"), ("TERM", "NETSCRIPT_VM_TERM")] {
        if let Some(value) = env::var(name).ok().filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
        {
            env.push((inside, value));
        }
    }
    if !run.load.is_empty() {
        env.push(("NETSCRIPT_VM_LOAD", run.load.join(",")));
    }
    let log = cache_dir().join(format!("{}.log", run.name));
    let boot = {
        let _turn = if run.alone { super::turns::alone() } else { super::turns::vm() };
        qemu::boot(&prepared.kernel, &prepared.initramfs, &env, &run.args, run.timeout, &log)
    };
    let boot = match boot {
        Ok(boot) => boot,
        Err(Problem::Unavailable(why)) if !ci() => {
            eprintln!("skipped: the kernel-matrix VM cannot run here: {why}");
            return None;
        }
        Err(Problem::Unavailable(why) | Problem::Failed(why)) => panic!("the kernel-matrix VM: {why}"),
    };
    let shown = || {
        let mut text: String = boot.lines.iter().map(|l| format!("vm| {l}\n")).collect();
        if !boot.stderr.trim().is_empty() {
            text.push_str(&format!("qemu's stderr:\n{}\n", boot.stderr.trim_end()));
        }
        text.push_str(&format!("(the whole console is in {})", log.display()));
        // Last, where a shortened report still shows it: what failed and why.
        let failed = failures(&boot.lines);
        if !failed.is_empty() {
            text.push_str(&format!("\nwhat failed in the VM:\n{}", failed.join("\n")));
        }
        text
    };
    let Some((boot_time, guest_uptime)) = boot.booted.clone() else {
        panic!(
            "the kernel-matrix VM ({}) {}:\n{}",
            prepared.kernel.package,
            boot.killed.as_deref().unwrap_or("stopped before /init ran"),
            shown()
        );
    };
    let Some(_) = boot.exit else {
        panic!(
            "the kernel-matrix VM ({}) {}:\n{}",
            prepared.kernel.package,
            boot.killed.as_deref().unwrap_or("stopped before the tests ended"),
            shown()
        );
    };
    let (passed, failed) = summary(&boot.lines).unwrap_or_else(|| {
        panic!("the tests in the VM printed no summary (exit {:?}):\n{}", boot.exit, shown())
    });
    let outcome = Outcome {
        kernel: prepared.kernel.release.clone(),
        boot: boot_time,
        guest_uptime,
        wall: boot.wall,
        passed,
        output: boot.lines.clone(),
    };
    if boot.exit != Some(0) || failed > 0 {
        panic!(
            "in the kernel-matrix VM ({}): {failed} failed, {passed} passed, exit {:?}:\n{}",
            outcome.kernel,
            boot.exit,
            shown()
        );
    }
    // Past libtest's capture, so that every run's times show in the log.
    let _ = writeln!(
        std::io::stderr(),
        "kernel_matrix: {} on {}: booted in {:.1} s (guest uptime {} s), {passed} passed, {:.1} s in all",
        run.name,
        outcome.kernel,
        outcome.boot.as_secs_f64(),
        outcome.guest_uptime,
        outcome.wall.as_secs_f64()
    );
    Some(outcome)
}

/// libtest's account of the failed tests (their output and panic
/// messages, then their names), without the kernel's lines among them;
/// at most the last 80 lines.
fn failures(lines: &[String]) -> Vec<String> {
    let Some(start) = lines.iter().position(|l| l.trim_end() == "failures:") else {
        return Vec::new();
    };
    let end = lines.iter().rposition(|l| l.starts_with("test result: ")).filter(|&end| end > start);
    let kept: Vec<String> =
        lines[start..end.unwrap_or(lines.len())].iter().filter(|l| !is_kernel_line(l)).cloned().collect();
    kept[kept.len().saturating_sub(80)..].to_vec()
}

/// A printk line on the console, as `[  12.345678] text`.
fn is_kernel_line(line: &str) -> bool {
    line.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(stamp, _)| stamp.trim().parse::<f64>().is_ok())
}

/// "N passed; M failed" from libtest's `test result:` line.
fn summary(lines: &[String]) -> Option<(usize, usize)> {
    let line = lines.iter().rev().find(|l| l.starts_with("test result: "))?;
    let count = |word: &str| {
        line.split(';')
            .find_map(|part| part.trim().strip_suffix(word)?.trim().rsplit(' ').next()?.parse().ok())
    };
    Some((count(" passed")?, count(" failed")?))
}

#[test]
fn a_failed_run_in_the_vm_is_reported_by_name_and_reason_without_the_kernels_lines() {
    let console: Vec<String> = [
        "test a::b ... FAILED",
        "",
        "failures:",
        "",
        "---- a::b stdout ----",
        "[  183.074674] IPv6: ADDRCONF(NETDEV_CHANGE): wan: link becomes ready",
        "thread 'a::b' panicked at tests/x.rs:3:5:",
        "30 ms one way: ping measured min 31, median 70",
        "",
        "failures:",
        "    a::b",
        "",
        "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 9 filtered out; finished in 9.1s",
    ]
    .map(String::from)
    .to_vec();
    let failed = failures(&console);
    assert_eq!(failed.first().map(String::as_str), Some("failures:"));
    assert!(failed.iter().any(|l| l.contains("median 70")), "{failed:?}");
    assert!(failed.iter().all(|l| !l.contains("ADDRCONF") && !l.starts_with("test result")), "{failed:?}");
    assert_eq!(summary(&console), Some((3, 1)));
    assert!(failures(&console[..1]).is_empty());
}
