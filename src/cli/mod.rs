//! The command line: arguments, and a run from start to exit code.

mod args;
pub mod color;
mod completions;
mod import;
mod labs;
pub mod rollback;
mod run;
mod see;
pub mod term;

pub use args::RunArgs;
pub use run::{FAILURE, SUCCESS, USAGE, run};
