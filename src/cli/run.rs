use std::cell::RefCell;
use std::ffi::OsString;
use std::fs;
use std::rc::Rc;

use clap::Parser;

use super::args::Args;
use crate::kernel::{Kernel, sandbox};
use crate::lab::{Lab, Rollback};
use crate::ops::{Netns, Op};
use crate::script::{self, Params, Source};

const SUCCESS: i32 = 0;
const FAILURE: i32 = 1;
const USAGE: i32 = 2;

/// Runs netscript with these arguments and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { USAGE } else { SUCCESS };
        }
    };
    // Before anything starts a thread: a new mount namespace needs a
    // single-threaded process.
    if args.sandbox
        && let Err(err) = sandbox::enter()
    {
        eprintln!("error: {err}");
        return FAILURE;
    }
    let Some(path) = args.script.as_ref() else {
        eprintln!("error: no script given (the interactive REPL is not there yet); see netscript --help");
        return USAGE;
    };
    let params = match Params::parse(&args.params) {
        Ok(params) => Rc::new(RefCell::new(params)),
        Err(err) => {
            eprintln!("error: {err}");
            return USAGE;
        }
    };
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("error: cannot read script {}: {err}", path.display());
            return USAGE;
        }
    };
    let name = path.display().to_string();
    let source = Source {
        name: &name,
        text: &text,
    };

    let kernel = match Kernel::new() {
        Ok(kernel) => kernel,
        Err(err) => {
            eprintln!("error: cannot open a netlink socket: {err}");
            return FAILURE;
        }
    };
    if args.sandbox
        && let Err(err) = kernel.apply(&Op::LinkSetUp {
            ns: Netns::Host,
            dev: "lo".into(),
            up: true,
        })
    {
        eprintln!("error: cannot bring up lo in the sandbox: {err}");
        return FAILURE;
    }
    let lab: script::Shared = Rc::new(RefCell::new(Lab::new(kernel, args.verbose)));
    let engine = script::engine(&lab, &params);

    let ast = match engine.compile(&text) {
        Ok(ast) => ast,
        Err(err) => {
            eprint!("{}", script::render_parse_error(&source, &err));
            return FAILURE;
        }
    };
    let failure = match engine.run_ast(&ast) {
        Ok(()) => params
            .borrow()
            .check_all_used()
            .err()
            .map(|err| script::render(&source, &err, rhai::Position::NONE, &[])),
        Err(err) => Some(script::render_eval_error(&source, &err)),
    };
    let Some(message) = failure else {
        return SUCCESS;
    };
    eprint!("{message}");
    let report = lab.borrow_mut().rollback();
    eprint!("{}", describe_rollback(&report));
    FAILURE
}

fn describe_rollback(report: &Rollback) -> String {
    let mut out = String::new();
    if report.undone.is_empty() && report.errors.is_empty() {
        out.push_str("nothing to roll back: the run had changed nothing\n");
    } else {
        out.push_str(&format!(
            "rolled back {} change(s) of this run:\n",
            report.undone.len()
        ));
        for op in &report.undone {
            out.push_str(&format!("  {}\n", op.describe()));
        }
    }
    for err in &report.errors {
        out.push_str(&format!("rollback incomplete: {err}\n"));
    }
    out
}
