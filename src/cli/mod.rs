//! The command line: arguments, and a run from start to exit code.

mod args;
pub mod color;
mod import;
mod labs;
mod run;
mod see;

pub use args::RunArgs;
pub use run::{FAILURE, SUCCESS, USAGE, run};
