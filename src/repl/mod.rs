//! The interactive session: `netscript` with no script. The same API as
//! scripts, one input at a time, on a lab that stays up when it ends. With
//! stdin not a terminal, it reads whole statements from stdin instead.

mod catalog;
mod commands;
mod context;
mod editor;
mod input;
mod lab_view;
mod session;
mod show;
mod table;
mod transcript;

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustyline::error::ReadlineError;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::cli::{FAILURE, RunArgs, SUCCESS, USAGE, color};
use crate::dryrun::{self, World};
use crate::interrupt;
use crate::kernel::Kernel;
use crate::lab::{self, Lab, LedgerName, ledger};
use crate::ops::{Netns, Op, check_netns_name};
use crate::output::{errln, out, outln};
use commands::Flow;
use session::Session;
use transcript::Kind;

pub use table::align;

const DEFAULT_LAB: &str = "repl";

/// Runs a session and returns the exit code: for stdin, 1 when an input
/// failed; for a terminal, 0 unless the session could not start.
pub fn run(args: &RunArgs) -> i32 {
    let lab_name = args.lab.clone().unwrap_or_else(|| DEFAULT_LAB.to_string());
    if let Err(why) = check_netns_name(&lab_name) {
        errln!("error: lab name: {}", why.replace("namespace", "lab"));
        return USAGE;
    }
    let lab = match open_lab(args, &lab_name) {
        Ok(lab) => lab,
        Err(err) => {
            errln!("error: {err}");
            return FAILURE;
        }
    };
    let resumed = lab.1;
    let lab = Rc::new(RefCell::new(lab.0));
    let interactive = std::io::stdin().is_terminal();
    // Ctrl-C stops the input running; SIGTERM and SIGHUP (and, from stdin,
    // SIGINT) also end the session once that input is rolled back.
    let quit = Arc::new(AtomicBool::new(false));
    interrupt::install(&lab.borrow().interrupt_flag());
    let mut quitting = vec![SIGTERM, SIGHUP];
    if !interactive {
        quitting.push(SIGINT);
    }
    for signal in quitting {
        let _ = signal_hook::flag::register(signal, quit.clone());
    }

    let mut session = Session::new(lab, lab_name.clone(), args.keep);
    session.resumed = resumed;
    session.color = color::stderr();
    session.verbose = args.verbose;
    if args.dry_run {
        // As for a script: the commands are the output, what inputs print are comments.
        session.engine.on_print(|text| text.lines().for_each(|line| outln!("# {line}")));
        if !interactive {
            out!("{}", dryrun::header("<stdin>", &lab_name));
        }
    }
    let ok = if interactive {
        interactive_loop(&mut session, args, &quit)
    } else {
        stdin_loop(&mut session, &quit)
    };

    let up = session.lab.borrow_mut().close();
    if args.sandbox {
        errln!("the sandbox ends with this session: everything built in it vanishes");
    } else if up {
        errln!("lab '{lab_name}' is up; take it down with `netscript down {lab_name}`");
    }
    if ok { SUCCESS } else { FAILURE }
}

/// The session's lab: a new one, or the one of that name that is up, to
/// continue (true). A lab in use by another process is refused.
fn open_lab(args: &RunArgs, lab_name: &str) -> Result<(Lab, bool), String> {
    let kernel = Kernel::new().map_err(|err| format!("cannot open a netlink socket: {err}"))?;
    if args.dry_run {
        // The dry run's model of the host: every input prints its commands
        // and changes nothing, as for a script.
        return Ok((Lab::new(Box::new(World::from_host(&kernel)), None, args.verbose), false));
    }
    if args.sandbox {
        kernel
            .apply(&Op::LinkSetUp { ns: Netns::Host, dev: "lo".into(), up: true })
            .map_err(|err| format!("cannot bring up lo in the sandbox: {err}"))?;
    }
    if args.recreate && ledger::exists(lab_name) {
        let report = lab::down(&kernel, lab_name).map_err(|err| format!("--recreate: {err}"))?;
        errln!("{lab_name}: took the lab down first: {}", report.summary());
    }
    let name = LedgerName { lab: lab_name.to_string(), script: None };
    if !ledger::exists(lab_name) {
        return Ok((Lab::new(Box::new(kernel), Some(name), args.verbose), false));
    }
    let replay =
        ledger::read(lab_name).map_err(|err| format!("cannot read the ledger of lab '{lab_name}': {err}"))?;
    let held = lab::contents(&replay);
    let lab = Lab::resume(Box::new(kernel), name, args.verbose).map_err(|busy| match busy {
        lab::Busy::InUse(_) => format!("{}; name this session's lab with --lab NAME", busy.explain(lab_name)),
        other => format!("cannot continue lab '{lab_name}': {}", other.explain(lab_name)),
    })?;
    errln!(
        "continuing lab '{lab_name}', which is up ({} namespaces, {} host links); `:down` takes it down",
        held.namespaces.len(),
        held.links.len()
    );
    Ok((lab, true))
}

fn interactive_loop(session: &mut Session, args: &RunArgs, quit: &AtomicBool) -> bool {
    let mut editor = match editor::editor(session) {
        Ok(editor) => editor,
        Err(err) => {
            errln!("error: cannot start the line editor: {err}");
            return false;
        }
    };
    let history = editor::history_path();
    let write_history = !args.sandbox || args.history;
    if let Some(path) = &history {
        let _ = editor.load_history(path);
        if write_history && let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    let place = if args.dry_run {
        "a dry run: each input prints the commands it stands for, and changes nothing"
    } else if args.sandbox {
        "in a sandbox: nothing outlives this session"
    } else {
        "its lab stays up when it ends"
    };
    outln!("netscript {} on lab '{}' ({place})", env!("CARGO_PKG_VERSION"), session.lab_name);
    outln!(":help lists the functions and commands; Tab completes; Ctrl-D leaves");
    let prompt = format!("{}> ", session.lab_name);
    while !quit.load(Ordering::Relaxed) && !interrupt::is_stdout_closed() {
        let text = match editor.readline(&prompt) {
            Ok(text) => text,
            // Ctrl-C: this input is dropped, the session goes on.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(err) => {
                errln!("error: cannot read input: {err}");
                return false;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text.trim_end());
        if write_history && let Some(path) = &history {
            let _ = editor.append_history(path);
        }
        if is_command(&text) {
            if let Flow::Quit = commands::run(session, text.trim()) {
                break;
            }
        } else {
            let typed = input::strip_margin(&input::join_continuations(&text));
            session.eval("<input>", &typed, 1, Kind::Typed);
        }
    }
    true
}

fn is_command(text: &str) -> bool {
    text.trim_start().starts_with(':') && !text.trim().contains('\n')
}

/// Statements from stdin, each as soon as it is whole; false if any failed.
fn stdin_loop(session: &mut Session, quit: &AtomicBool) -> bool {
    let mut ok = true;
    let mut statement = String::new();
    let mut first_line = 1;
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        if quit.load(Ordering::Relaxed) || interrupt::is_stdout_closed() {
            return false;
        }
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                errln!("error: cannot read stdin: {err}");
                return false;
            }
        };
        if statement.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            if is_command(&line) {
                match commands::run(session, line.trim()) {
                    Flow::Quit => return ok,
                    Flow::Continue(done) => ok &= done,
                }
                continue;
            }
            first_line = number + 1;
        }
        statement.push_str(&line);
        statement.push('\n');
        if !input::is_incomplete(&session.engine, &statement) {
            let text = input::join_continuations(&statement);
            ok &= session.eval("<stdin>", &text, first_line, Kind::Typed);
            statement.clear();
        }
    }
    // An unfinished statement at the end: its syntax error says what is missing.
    if !statement.trim().is_empty() {
        let text = input::join_continuations(&statement);
        ok &= session.eval("<stdin>", &text, first_line, Kind::Typed);
    }
    ok && !quit.load(Ordering::Relaxed) && !interrupt::is_stdout_closed()
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::script::{self, Params};

    /// An engine with the whole API, on a lab that keeps no ledger.
    pub fn engine() -> rhai::Engine {
        let kernel = Kernel::new().expect("a netlink socket");
        let lab = Rc::new(RefCell::new(Lab::new(Box::new(kernel), None, false)));
        script::engine(&lab, &Rc::new(RefCell::new(Params::default())), None)
    }
}
