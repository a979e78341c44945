//! The kernel matrix: the tests run on this machine's kernel, and again on
//! Debian 12's (6.1, the package `linux-image-amd64` depends on) in a VM that
//! qemu boots with software emulation in about 3 s (tests/support/vm).
//!
//! Two tests here boot it, a VM each, side by side with the rest:
//! - `vm_missing_features` runs every test of this folder inside the VM:
//!   tests of what a kernel without netem, 8021q, dummy, VRF, WireGuard,
//!   bonding, GRE/IPIP or bridge VLAN filtering cannot show;
//! - `vm_suite_of_core_tests` runs the integration tests of [`CORE_IN_VM`] there,
//!   less [`NOT_IN_VM`], to show that netscript works on the older kernel.
//!
//! Each passes when every test inside passed; the console of a failed run is
//! in the failure message and in target/kernel-matrix/NAME.log. With CI=true
//! a VM that cannot boot fails; elsewhere, without qemu or the kernel
//! package, they skip and say why. `cargo test kernel_matrix` runs them alone.
//!
//! # Adding a test that needs the VM's kernel
//!
//! Put it in a file of this folder (`mod vlan;` below; a module name must
//! not start with `vm_`, the harness's prefix) and open it with
//! `support::vm::needs_vm_kernel`, which outside the VM prints why the test did nothing
//! and returns false:
//!
//! ```ignore
//! #[test]
//! fn netem_delays_what_leaves() {
//!     if !needs_vm_kernel("sch_netem") || !privileged() {
//!         return;
//!     }
//!     // a Sandbox, as anywhere else; the VM's kernel autoloads modules
//! }
//! ```
//!
//! Where it should also run on this machine when the kernel has the feature,
//! test for the feature instead, and use `support::vm::in_vm()` to demand
//! it in the VM.

mod kernel;
mod kinds;
mod links;
mod netem;
mod shaping;
mod vlan;

use std::time::Duration;

use crate::support::vm::{self, Run, in_vm};

/// The part of the core suite that runs in the VM: the modules whose tests
/// build labs in the kernel and check them there with iproute2, nft and
/// packets. Left out: cli, bad_input, dryrun, repl, bench and see's drawing
/// tests, whose subject does not depend on the kernel. Under TCG on two
/// shared cores the whole suite took 17 to 20 minutes, this part about half;
/// `NETSCRIPT_VM_CORE=all` runs the whole suite.
pub const CORE_IN_VM: &[&str] = &[
    "addresses_and_routes::",
    "connectivity::",
    "equivalence::",
    // nftables on 6.1: the firewall lab and every NAT form (the rest of
    // the firewall tests wait on probe timeouts, slow under emulation).
    "firewall::the_firewall_lab_proves_itself_and_real_traffic_agrees",
    "firewall::every_nat_form_rewrites_what_it_should",
    "lifecycle::",
    "links::",
    "namespaces::",
    "nat::",
    "policy_routing::",
    "scripts::",
    "stdlib::",
    "traffic::",
    "trust::",
    "see::show_json_matches_what_ip_reports",
];

/// Tests of the core suite that do not run in the VM, and why.
pub const NOT_IN_VM: &[(&str, &str)] = &[
    (
        "trust::services::",
        "node files and sealed undo commands are no kernel feature, and the image's /etc has no /etc/bird to lay a node's over",
    ),
    ("see::the_man_page_renders", "man-db (man, groff and their configuration) is not in the image"),
    (
        "connectivity::unanswered_ping_loses_everything_and_returns_promptly",
        "a wall-clock bound for a native CPU; under TCG everything takes several times longer",
    ),
    ("trust::signals::", "signals, limits and their rollback are netscript's own, not the kernel's"),
    (
        "trust::state::",
        "the checks of the ledger and the state directory are of files, not of a kernel feature",
    ),
    (
        "trust::teardown::ctrl_c_during_down_stops_between_steps_and_a_second_down_finishes",
        "a signal against a long teardown, no kernel feature; under TCG it alone took 100 s",
    ),
    (
        "namespaces::a_lab_of_more_namespaces_than_open_sockets_works_in_all_and_goes_down_exactly",
        "a test of scale (600 namespaces), not of a kernel feature; under TCG it takes minutes",
    ),
    (
        "connectivity::pingall_over_twenty_namespaces_in_under_two_seconds",
        "a wall-clock bound for a native CPU; under TCG everything takes several times longer",
    ),
];

/// libtest's arguments common to both runs.
fn args(threads: usize, rest: &[&str]) -> Vec<String> {
    let mut args = vec!["--color=never".to_string(), format!("--test-threads={threads}")];
    args.extend(rest.iter().map(|a| a.to_string()));
    args
}

/// A limit from the environment, for slower machines.
fn timeout(default: u64) -> Duration {
    let secs = std::env::var("NETSCRIPT_VM_TIMEOUT").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    Duration::from_secs(secs)
}

#[test]
fn vm_missing_features() {
    if in_vm() {
        return;
    }
    let run = Run {
        name: "vm_missing_features",
        args: args(2, &["kernel_matrix::", "--skip", "kernel_matrix::vm_"]),
        load: &[],
        timeout: timeout(300),
        alone: true,
    };
    let Some(outcome) = vm::boot(&run) else { return };
    assert!(outcome.passed >= 4, "too few tests ran in the VM:\n{}", outcome.output.join("\n"));
}

#[test]
fn vm_suite_of_core_tests() {
    if in_vm() {
        return;
    }
    let all = std::env::var("NETSCRIPT_VM_CORE").is_ok_and(|v| v == "all");
    let mut rest = if all { Vec::new() } else { CORE_IN_VM.to_vec() };
    rest.extend(["--skip", "kernel_matrix::"]);
    for (test, _why) in NOT_IN_VM {
        rest.extend(["--skip", test]);
    }
    let run = Run {
        name: "vm_suite_of_core_tests",
        args: args(2, &rest),
        // Not autoloaded; on, bridged traffic meets nftables' hooks as on
        // a Docker host.
        load: &["br_netfilter"],
        timeout: timeout(1200),
        alone: false,
    };
    let Some(outcome) = vm::boot(&run) else { return };
    assert!(outcome.passed >= 40, "too few tests ran in the VM:\n{}", outcome.output.join("\n"));
}

/// The initramfs writer against cpio(1): what it writes unpacks as written.
#[test]
fn vm_initramfs_archives_unpack_with_cpio() {
    if in_vm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.cpio");
    let mut cpio = crate::support::vm::cpio::Cpio::create(&archive).unwrap();
    cpio.file("/usr/bin/hello", 0o755, b"#!/bin/sh\necho hi\n").unwrap();
    cpio.symlink("/bin", "usr/bin").unwrap();
    cpio.dir("/run").unwrap();
    cpio.file("/etc/odd", 0o600, b"12345").unwrap();
    cpio.finish().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let unpacked = std::process::Command::new("cpio")
        .args(["-idm", "--quiet", "--no-absolute-filenames"])
        .stdin(std::fs::File::open(&archive).unwrap())
        .current_dir(&out)
        .status();
    match unpacked {
        Ok(status) => assert!(status.success(), "cpio could not unpack it: {status}"),
        Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("cpio: {err}"),
        Err(err) => return eprintln!("skipped: cannot run cpio ({err}); apt-get install cpio"),
    }
    use std::os::unix::fs::PermissionsExt;
    let hello = out.join("usr/bin/hello");
    assert_eq!(std::fs::read(&hello).unwrap(), b"#!/bin/sh\necho hi\n");
    assert_eq!(std::fs::metadata(&hello).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(std::fs::read_link(out.join("bin")).unwrap(), std::path::Path::new("usr/bin"));
    assert!(out.join("run").is_dir());
    assert_eq!(std::fs::read(out.join("etc/odd")).unwrap(), b"12345");
    assert_eq!(std::fs::metadata(&archive).unwrap().len() % 512, 0);
}
