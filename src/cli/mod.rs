//! The command line: arguments, and a run from start to exit code.

mod args;
mod labs;
mod run;

pub use run::run;
