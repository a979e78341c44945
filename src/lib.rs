//! netscript: Linux network labs as Rhai scripts over netlink.
//!
//! The folders show the architecture:
//! - `ops`: the vocabulary of kernel operations (and the `ip` commands they stand for);
//! - `kernel`: executes operations over netlink, in any named namespace;
//! - `lab`: what a run created, so a failed run rolls back;
//! - `script`: the Rhai engine and the API it exposes;
//! - `dryrun`: a model of the network that prints commands instead;
//! - `view`: a lab's topology as a picture and its state as text or JSON;
//! - `cli`: arguments, parameters and the run itself;
//! - `repl`: the interactive session, `netscript` without a script;
//! - `import`: a tutorial's shell commands as a script, its mistakes mended;
//! - `interrupt` and `output`: signals and a closed stdout stop a run, never kill it;
//! - `bug`: a panic still rolls back, and is reported as netscript's bug.

mod bug;
mod cli;
mod dryrun;
mod import;
mod interrupt;
mod kernel;
mod lab;
mod ops;
mod output;
mod repl;
mod script;
mod view;

pub use cli::run;
