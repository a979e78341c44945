//! The machine's two cores, shared by the tests. A kernel-matrix VM under
//! TCG takes both, and the timing checks inside it (netem delays, shaped
//! rates) and beside it (iperf3 on the host) miss their bounds when the
//! other runs at the same time. So a VM runs alone: it waits for the
//! sandboxes running now, and sandboxes wait while it runs.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static MACHINE: RwLock<()> = RwLock::new(());

/// Held while a sandbox runs: any number at once, never beside a VM.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held while a VM runs: nothing else of this test binary's labs runs.
pub fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}
