//! Printing that a closed pipe cannot kill. `netscript lab.rhai | head -1`
//! closes stdout early; `println!` would panic on EPIPE (SIGPIPE is ignored, so
//! the write fails instead of killing the process). Here a closed stdout
//! stops the run as a signal would, and the run rolls back; a closed stderr
//! only loses the messages.

use std::fmt;
use std::io::{self, Write};

/// Prints to stdout, like `print!`.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!($($arg)*)) };
}

/// Prints a line to stdout, like `println!`.
macro_rules! outln {
    () => { $crate::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to stderr, like `eprint!`.
macro_rules! errout {
    ($($arg:tt)*) => { $crate::output::stderr(format_args!($($arg)*)) };
}

/// Prints a line to stderr, like `eprintln!`.
macro_rules! errln {
    () => { $crate::output::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, errout, out, outln};

pub fn stdout(args: fmt::Arguments) {
    if crate::interrupt::is_stdout_closed() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(err) = out.write_fmt(args).and_then(|()| out.flush())
        && err.kind() == io::ErrorKind::BrokenPipe
    {
        crate::interrupt::stdout_closed();
    }
}

/// Bytes to stdout (a picture), stopping the run as `stdout` does when closed.
pub fn stdout_bytes(bytes: &[u8]) {
    if crate::interrupt::is_stdout_closed() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(err) = out.write_all(bytes).and_then(|()| out.flush())
        && err.kind() == io::ErrorKind::BrokenPipe
    {
        crate::interrupt::stdout_closed();
    }
}

pub fn stderr(args: fmt::Arguments) {
    let _ = io::stderr().lock().write_fmt(args);
}
