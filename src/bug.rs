//! A bug in netscript (a Rust panic) must not leave a half-built lab behind
//! nor end with Rust's exit code 101: a panic in a function a script calls
//! becomes an error at the script's line (`guard`), one anywhere else in a
//! run is caught around it, and either way the run rolls back and says that
//! this is netscript's fault, to be reported.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::output::errln;

thread_local! {
    /// The last panic on this thread, with where in netscript it happened.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces Rust's panic message by a record of it: the code that catches
/// the panic says it, as a bug, once the lab is rolled back. A panic on
/// another thread is said at once, since its thread only returns an error.
pub fn install_hook() {
    panic::set_hook(Box::new(|info| {
        let what = payload_text(info.payload());
        let text = match info.location() {
            Some(at) => format!("{what} (at {}:{})", at.file(), at.line()),
            None => what,
        };
        let thread = std::thread::current();
        if thread.name() != Some("main") {
            errln!("netscript bug: thread '{}' panicked: {text}", thread.name().unwrap_or("?"));
        }
        LAST.with(|last| *last.borrow_mut() = Some(text));
    }));
}

/// Runs `work`; a panic in it comes back as the message that reports it.
pub fn catch<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| report(payload.as_ref()))
}

/// "netscript bug: what happened (at src/...); please report it".
pub fn report(payload: &(dyn Any + Send)) -> String {
    let text = LAST.with(|last| last.borrow_mut().take()).unwrap_or_else(|| payload_text(payload));
    format!("netscript bug: {text}; please report it, with the script that ran into it")
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => text.to_string(),
        (_, Some(text)) => text.clone(),
        _ => "a panic".to_string(),
    }
}

/// In debug builds, panics when NETSCRIPT_TEST_PANIC names this point: the
/// tests' way to check that a bug still rolls back, as no natural one is
/// known.
pub fn test_point(point: &str) {
    if cfg!(debug_assertions) && std::env::var_os("NETSCRIPT_TEST_PANIC").is_some_and(|p| p == point) {
        panic!("test panic at '{point}' (NETSCRIPT_TEST_PANIC)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_comes_back_as_a_report() {
        let err = catch(|| panic!("index out of bounds")).unwrap_err();
        assert!(err.starts_with("netscript bug: index out of bounds"), "{err}");
        assert!(err.ends_with("please report it, with the script that ran into it"), "{err}");
        assert_eq!(catch(|| 7).unwrap(), 7);
    }
}
