use std::cell::RefCell;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use rhai::{Dynamic, EvalAltResult, Position};

use super::args::{Args, Command, RunArgs};
use super::{color, import, labs, see};
use crate::dryrun::{self, World};
use crate::kernel::{Kernel, sandbox};
use crate::lab::{self, Lab, LedgerName, Teardown};
use crate::ops::{Netns, Op};
use crate::output::{errln, errout, out, outln};
use crate::script::{self, Params, Source};
use crate::{bug, interrupt};

pub const SUCCESS: i32 = 0;
pub const FAILURE: i32 = 1;
pub const USAGE: i32 = 2;

/// Runs netscript with these arguments and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    // SIGPIPE stays ignored, as Rust sets it: a closed stdout is an error
    // that output.rs turns into an interrupt, so the run rolls back.
    bug::install_hook();
    bug::catch(|| dispatch(args)).unwrap_or_else(|report| {
        color::eprint_error(&format!("error: {report}\n"));
        FAILURE
    })
}

fn dispatch(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { USAGE } else { SUCCESS };
        }
    };
    // Before anything starts a thread: a new mount namespace needs a
    // single-threaded process.
    if args.run.sandbox
        && let Err(err) = sandbox::enter()
    {
        color::eprint_error(&format!("error: {err}\n"));
        return FAILURE;
    }
    match &args.command {
        Some(Command::Down { labs, all }) => labs::down(labs, *all),
        Some(Command::Ls { json }) => labs::ls(*json),
        Some(Command::Graph { lab, format, output, all }) => {
            see::graph(lab, *format, output.as_deref(), *all)
        }
        Some(Command::Show { lab, json }) => see::show(lab, *json),
        Some(Command::Import { file, output, check }) => import::run(file, output.as_deref(), *check),
        Some(Command::Completions { shell, lab_names }) => see::completions(*shell, *lab_names),
        Some(Command::Man { command }) => see::man(command.as_deref()),
        Some(Command::Listen { proto, port }) => crate::kernel::port::listen(proto, *port),
        Some(Command::Help { command }) => see::help(command.as_deref()),
        None => run_script(&args.run),
    }
}

fn run_script(args: &RunArgs) -> i32 {
    let Some(path) = args.script.as_ref() else {
        return crate::repl::run(args);
    };
    if let Some(hint) = see::mistyped_command(path, &args.params) {
        color::eprint_error(&format!("error: {hint}\n"));
        return USAGE;
    }
    let params = match Params::parse(&args.params) {
        Ok(params) => Rc::new(RefCell::new(params)),
        Err(err) => {
            color::eprint_error(&format!("error: {err}\n"));
            return USAGE;
        }
    };
    let text = match fs::read_to_string(path).map(script::without_bom) {
        Ok(text) => text,
        Err(err) => {
            color::eprint_error(&format!("error: cannot read script {}: {err}\n", path.display()));
            return USAGE;
        }
    };
    let lab_name = match lab_name(args.lab.as_deref(), path) {
        Ok(name) => name,
        Err(err) => {
            color::eprint_error(&format!("error: {err}\n"));
            return USAGE;
        }
    };
    let name = path.display().to_string();
    let source = Source { name: &name, text: &text };
    // A parameter the script never reads, found before anything is built.
    if let Err(err) = params.borrow().check_before_run(&text) {
        color::eprint_error(&script::render(&source, &err, Position::NONE, &[]));
        return USAGE;
    }

    let kernel = match Kernel::new() {
        Ok(kernel) => kernel,
        Err(err) => {
            color::eprint_error(&format!("error: cannot open a netlink socket: {err}\n"));
            return FAILURE;
        }
    };
    if args.sandbox
        && let Err(err) = kernel.apply(&Op::LinkSetUp { ns: Netns::Host, dev: "lo".into(), up: true })
    {
        color::eprint_error(&format!("error: cannot bring up lo in the sandbox: {err}\n"));
        return FAILURE;
    }
    let lab = if args.dry_run {
        out!("{}", dryrun::header(&name, &lab_name));
        let mut lab = Lab::new(Box::new(World::from_host(&kernel)), None, args.verbose);
        lab.set_label(&lab_name);
        lab
    } else {
        if args.recreate && lab::ledger::exists(&lab_name) {
            match lab::down(&kernel, &lab_name) {
                Ok(report) => errln!("{lab_name}: took the lab down first: {}", report.summary()),
                Err(err) => {
                    color::eprint_error(&format!("error: --recreate: {err}\n"));
                    return FAILURE;
                }
            }
        }
        if lab::ledger::exists(&lab_name) {
            let advice = match lab::ledger::in_use(&lab_name) {
                Some(pid) => format!(
                    "{}; wait until it ends, or name this run's lab with --lab NAME",
                    lab::Busy::InUse(pid).explain(&lab_name)
                ),
                None => format!(
                    "lab '{lab_name}' is already up; take it down with `netscript down {lab_name}`, \
                     or run again with --recreate (or name this one with --lab NAME)"
                ),
            };
            color::eprint_error(&format!("error: {advice}\n"));
            return FAILURE;
        }
        let ledger = LedgerName { lab: lab_name.clone(), script: Some(name.clone()) };
        Lab::new(Box::new(kernel), Some(ledger), args.verbose)
    };
    let mut lab = lab;
    if args.profile {
        lab.enable_profile();
    }
    // The trace (-v) shows progress already; a dry run is quick.
    if !args.quiet && !args.verbose && !args.dry_run && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        lab.enable_progress();
    }
    let lab: script::Shared = Rc::new(RefCell::new(lab));
    let interrupted = lab.borrow().interrupt_flag();
    interrupt::install(&interrupted);
    let mut engine = script::engine(&lab, &params, path.parent());
    if args.dry_run {
        // What the script prints stays in the printed script, as comments.
        engine.on_print(|text| text.lines().for_each(|line| outln!("# {line}")));
    } else {
        let shared = lab.clone();
        engine.on_print(move |text| shared.borrow().without_progress_line(|| outln!("{text}")));
    }
    // Checked between steps of the script, so even an endless loop stops.
    let flag = interrupted.clone();
    engine.on_progress(move |_| flag.load(Ordering::Relaxed).then(|| Dynamic::from("interrupted")));

    let ast = match engine.compile(&text) {
        Ok(ast) => ast,
        Err(err) => {
            color::eprint_error(&script::render_parse_error(&source, &err));
            let _ = lab.borrow_mut().rollback();
            return FAILURE;
        }
    };
    let ran = bug::catch(|| {
        let ran = engine.run_ast(&ast);
        bug::test_point("after-run");
        ran
    });
    let failure = match ran {
        // A bug in netscript: the lab is rolled back all the same.
        Err(report) => Some(script::render(&source, &report, Position::NONE, &[])),
        Ok(ran) => ran_to_failure(ran, &source, &params, &interrupted),
    };
    lab.borrow_mut().end_progress();
    if let Some(profile) = lab.borrow().profile() {
        errout!("{}", profile.render());
    }
    let Some(message) = failure else {
        if lab.borrow_mut().finish() && !args.sandbox && !args.dry_run {
            errln!("lab '{lab_name}' is up; take it down with `netscript down {lab_name}`");
        }
        return SUCCESS;
    };
    color::eprint_error(&message);
    if args.keep {
        errln!("kept what this run built (--keep); take it down with `netscript down {lab_name}`");
        lab.borrow_mut().finish();
        return FAILURE;
    }
    if args.dry_run {
        outln!("# The script failed here; netscript undoes what it did, newest first:");
    }
    let report = lab.borrow_mut().rollback();
    errout!("{}", describe_rollback(&report, args.verbose, &lab_name));
    FAILURE
}

/// What failed, if anything, once the script has run: its error, a signal
/// that came during its last step, or a parameter it did not use.
fn ran_to_failure(
    ran: Result<(), Box<EvalAltResult>>,
    source: &Source,
    params: &RefCell<Params>,
    interrupted: &AtomicBool,
) -> Option<String> {
    match ran {
        // A signal during the last step still fails the run: the lab is
        // not what the script meant to build, or the user no longer wants it.
        Ok(()) if interrupted.load(Ordering::Relaxed) => Some(script::render(
            source,
            &format!("{} as the script ended, after its last step", interrupt::message()),
            Position::NONE,
            &[],
        )),
        Ok(()) => params
            .borrow()
            .check_all_used()
            .err()
            .map(|err| script::render(source, &err, Position::NONE, &[])),
        Err(err) if matches!(*err, EvalAltResult::ErrorTerminated(..)) => {
            Some(script::render(source, &interrupt::message(), err.position(), &[]))
        }
        Err(err) => Some(script::render_eval_error(source, &err)),
    }
}

/// The lab's name: given, or the script's file name without its extension.
fn lab_name(given: Option<&str>, script: &Path) -> Result<String, String> {
    let name = match given {
        Some(name) => name.to_string(),
        None => script
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| {
                format!("cannot name a lab after {}; give it a name with --lab NAME", script.display())
            })?
            .to_string(),
    };
    lab::store::check_lab_name(&name)?;
    Ok(name)
}

fn describe_rollback(report: &Teardown, verbose: bool, lab: &str) -> String {
    if report.undone.is_empty() && report.errors.is_empty() {
        return "nothing to roll back: the run had changed nothing\n".to_string();
    }
    super::rollback::describe(report, "of this run", verbose, lab)
}
