//! The machine's two cores, shared by the tests. A kernel-matrix VM under
//! TCG takes both, and the timing checks inside it (netem delays, shaped
//! rates) and beside it (iperf3 on the host) miss their bounds when other
//! work runs at the same time. So one VM runs at a time, and what measures
//! runs alone: it waits for the VM and the labs running now, and new labs
//! wait while it runs. The core suite's VM, which checks no timing, shares
//! the machine with the labs.
//!
//! libtest starts tests in the order of their names, two at a time: the
//! VM that runs alone (vm_missing_features) is named to come before the
//! other (vm_suite_of_core_tests), which would otherwise hold it, and the
//! thread waiting for it, for the ten minutes it takes.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

static VM: Mutex<()> = Mutex::new(());
static MACHINE: RwLock<()> = RwLock::new(());

/// A turn on the machine, held while a lab or a VM runs.
#[allow(dead_code)]
pub enum Turn {
    Shared(RwLockReadGuard<'static, ()>),
    Vm(MutexGuard<'static, ()>),
    Alone(MutexGuard<'static, ()>, RwLockWriteGuard<'static, ()>),
}

/// For a lab: any number at once, never beside one that runs alone.
pub fn shared() -> Turn {
    Turn::Shared(MACHINE.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// For a VM that checks no timing: one VM at a time, beside the labs.
pub fn vm() -> Turn {
    Turn::Vm(VM.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// For what measures time or rates: no VM and no other lab beside it.
/// (The VM first, always, so two that wait for both never hold one each.)
pub fn alone() -> Turn {
    let vm = VM.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Turn::Alone(vm, MACHINE.write().unwrap_or_else(|poisoned| poisoned.into_inner()))
}
