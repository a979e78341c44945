//! What stops a run early: SIGINT, SIGTERM, SIGHUP, or a closed stdout.
//! Handlers only set flags; each step of a script and every wait checks the
//! lab's flag and ends with an "interrupted" error, so the run rolls back.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The signals that stop a run (and end a session read from stdin).
pub const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Why the run was stopped: 0 for not, a signal number, or STDOUT_CLOSED.
static REASON: LazyLock<Arc<AtomicUsize>> = LazyLock::new(|| Arc::new(AtomicUsize::new(0)));
const STDOUT_CLOSED: usize = usize::MAX;

/// The flags a closed stdout sets, as a signal would.
static ON_CLOSED_STDOUT: Mutex<Vec<Arc<AtomicBool>>> = Mutex::new(Vec::new());

/// How many of those signals arrived: teardown, which runs after the first
/// one stopped a run, stops waiting at the next.
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn count_signals() {
    static COUNTING: std::sync::Once = std::sync::Once::new();
    COUNTING.call_once(|| {
        for signal in SIGNALS {
            // SAFETY: the handler only adds to an atomic, which is async-signal-safe.
            let _ = unsafe {
                signal_hook::low_level::register(signal, || {
                    COUNT.fetch_add(1, Ordering::Relaxed);
                })
            };
        }
    });
}

/// The number of signals so far (see `COUNT`).
pub fn count() -> usize {
    COUNT.load(Ordering::Relaxed)
}

/// For commands without a run to stop (`down`): signals are counted, so
/// waits can end, instead of killing the process halfway through.
pub fn install_counting() {
    count_signals();
    for signal in SIGNALS {
        let _ = signal_hook::flag::register_usize(signal, REASON.clone(), signal as usize);
    }
}

/// Makes SIGINT, SIGTERM and SIGHUP (and a closed stdout) set `flag`.
pub fn install(flag: &Arc<AtomicBool>) {
    count_signals();
    for signal in SIGNALS {
        let _ = signal_hook::flag::register_usize(signal, REASON.clone(), signal as usize);
        let _ = signal_hook::flag::register(signal, flag.clone());
    }
    if let Ok(mut flags) = ON_CLOSED_STDOUT.lock() {
        flags.push(flag.clone());
    }
}

/// Stdout is gone (its reader, `head` say, has ended): stop like a signal.
pub fn stdout_closed() {
    REASON.store(STDOUT_CLOSED, Ordering::Relaxed);
    if let Ok(flags) = ON_CLOSED_STDOUT.lock() {
        flags.iter().for_each(|flag| flag.store(true, Ordering::Relaxed));
    }
}

pub fn is_stdout_closed() -> bool {
    REASON.load(Ordering::Relaxed) == STDOUT_CLOSED
}

/// Forgets the last reason, for a session's next input. A closed stdout
/// stays closed.
pub fn reset() {
    let _ = REASON
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |reason| (reason != STDOUT_CLOSED).then_some(0));
}

/// "interrupted by SIGTERM", or what else stopped the run.
pub fn message() -> String {
    match REASON.load(Ordering::Relaxed) {
        STDOUT_CLOSED => "interrupted: stdout was closed (its reader, such as `head`, ended)".into(),
        0 => "interrupted".into(),
        signal => format!("interrupted by {}", signal_name(signal as i32)),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        SIGINT => "Ctrl-C (SIGINT)".into(),
        SIGTERM => "SIGTERM".into(),
        SIGHUP => "SIGHUP (the terminal went away)".into(),
        other => format!("signal {other}"),
    }
}
