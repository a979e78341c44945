//! The matrix's claim itself: the VM runs Debian 12's kernel, not this one.

use crate::support::vm::needs_vm_kernel;

#[test]
fn the_vm_runs_debian_12s_kernel() {
    if !needs_vm_kernel("the VM's kernel") {
        return;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let out = std::process::Command::new("uname").arg("-r").output().expect("run uname");
    let uname = String::from_utf8(out.stdout).unwrap();
    assert_eq!(uname.trim(), release.trim());
    assert_eq!(uname.trim(), std::env::var("NETSCRIPT_VM_KERNEL").unwrap(), "the kernel the harness booted");
    assert!(uname.starts_with("6.1."), "Debian 12's kernel is 6.1, this is {uname}");
}
