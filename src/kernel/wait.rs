//! Waits that end: every wait netscript does for a script (ping, the NAT
//! probe, a command) stops at its deadline, or soon after a signal sets the
//! run's interrupt flag, whichever comes first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::KernelError;

/// The longest any wait may be; longer timeouts are taken as this.
pub const LONGEST: Duration = Duration::from_secs(24 * 3600);

/// How long a wait sleeps at most before it looks at the interrupt flag.
pub const SLICE: Duration = Duration::from_millis(50);

/// A point in time a wait must not pass.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// `timeout` from now, at most LONGEST.
    pub fn after(timeout: Duration) -> Self {
        Deadline(Instant::now() + timeout.min(LONGEST))
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    /// Time left, at most one SLICE: how long to sleep or poll before
    /// looking at the flag again.
    pub fn next_slice(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now()).min(SLICE)
    }
}

/// The error of a wait that a signal (or a closed stdout) ended.
pub fn interrupted() -> KernelError {
    KernelError::Failed(crate::interrupt::message())
}

/// Ok while `flag` is down; the "interrupted" error once it is up.
pub fn check(flag: &AtomicBool) -> Result<(), KernelError> {
    if flag.load(Ordering::Relaxed) { Err(interrupted()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_timeouts_are_clamped_not_a_panic() {
        let deadline = Deadline::after(Duration::MAX);
        assert!(!deadline.passed());
        assert_eq!(deadline.next_slice(), SLICE);
        assert!(Deadline::after(Duration::ZERO).passed());
    }

    #[test]
    fn the_flag_ends_a_wait() {
        let flag = AtomicBool::new(false);
        assert!(check(&flag).is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(check(&flag).unwrap_err().to_string().starts_with("interrupted"));
    }
}
