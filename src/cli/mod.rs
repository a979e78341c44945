//! The command line: arguments, and a run from start to exit code.

mod args;
mod labs;
mod run;

pub use args::RunArgs;
pub use run::{FAILURE, SUCCESS, USAGE, run};
