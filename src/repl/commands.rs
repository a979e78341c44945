//! The REPL's own commands, which start with `:` so that they cannot clash
//! with a name of the API or of the session.

use std::fs;

use super::catalog::{self, ENTRIES};
use super::lab_view;
use super::session::Session;
use super::table;
use super::transcript::Kind;
use crate::output::{errln, out, outln};
use crate::script::Params;

/// Name, arguments, what it does.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "[NAME]", "the functions, grouped, or one function"),
    (":load", "FILE [KEY=VALUE...]", "run a script into this session"),
    (":ls", "", "what this session's lab holds now"),
    (":down", "", "take this session's lab down, and go on with an empty one"),
    (":save", "FILE", "write this session's inputs as a script that builds the lab"),
    (":quit", "", "leave (Ctrl-D too); what the session built stays up"),
];

pub enum Flow {
    /// Go on; whether the command succeeded.
    Continue(bool),
    Quit,
}

pub fn run(session: &mut Session, line: &str) -> Flow {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or(":");
    let args: Vec<&str> = words.collect();
    let ok = match command {
        ":help" | ":h" | ":?" => help(args.first().copied()),
        ":load" | ":l" => load(session, &args),
        ":ls" => ls(session),
        ":down" => down(session),
        ":save" | ":s" => save(session, &args),
        ":quit" | ":q" | ":exit" => return Flow::Quit,
        other => {
            let names: Vec<&str> = COMMANDS.iter().map(|(name, ..)| *name).collect();
            errln!("error: unknown command '{other}'; the commands are {}", names.join(" "));
            false
        }
    };
    Flow::Continue(ok)
}

fn help(topic: Option<&str>) -> bool {
    let Some(topic) = topic else {
        out!("{}", overview());
        return true;
    };
    if let Some((name, args, what)) = COMMANDS.iter().find(|(name, ..)| *name == topic) {
        outln!("{name} {args}\n  {what}");
        return true;
    }
    let entries = catalog::lookup(topic);
    if entries.is_empty() {
        let near: Vec<&str> = ENTRIES.iter().map(|e| e.name).filter(|name| name.contains(topic)).collect();
        let hint =
            if near.is_empty() { String::new() } else { format!("; did you mean: {}", near.join(", ")) };
        errln!("error: no function named '{topic}'{hint}");
        return false;
    }
    for entry in entries {
        outln!("{}\n  {} ({})", entry.signature, entry.summary, entry.group);
    }
    true
}

fn overview() -> String {
    let mut out = String::from(
        "Functions marked [ns.] act in the host, or inside a namespace: red.link_up(\"eth0\") is link_up(red, \"eth0\").\n",
    );
    for group in catalog::groups() {
        out.push_str(&format!("\n{group}\n"));
        let rows: Vec<Vec<String>> = ENTRIES
            .iter()
            .filter(|entry| entry.group == group)
            .map(|entry| vec![format!("  {}", entry.signature), entry.summary.to_string()])
            .collect();
        out.push_str(&table::align(&[], &rows));
    }
    out.push_str("\nCommands\n");
    let rows: Vec<Vec<String>> = COMMANDS
        .iter()
        .map(|(name, args, what)| vec![format!("  {name} {args}"), what.to_string()])
        .collect();
    out.push_str(&table::align(&[], &rows));
    out.push_str(
        "\nKeys: Tab completes functions, variables, namespaces and links; an unfinished statement goes on\n\
         on the next line (end a line with \\ to force it); Ctrl-C cancels the input, or stops the one\n\
         running (rolling it back); Ctrl-D leaves.\n",
    );
    out
}

fn load(session: &mut Session, args: &[&str]) -> bool {
    let Some((path, params)) = args.split_first() else {
        errln!("error: usage: :load FILE [KEY=VALUE...]");
        return false;
    };
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            errln!("error: cannot read script {path}: {err}");
            return false;
        }
    };
    match Params::parse(params) {
        Ok(parsed) => *session.params.borrow_mut() = parsed,
        Err(err) => {
            errln!("error: {err}");
            return false;
        }
    }
    let kind =
        Kind::Loaded { path: path.to_string(), params: params.iter().map(|p| p.to_string()).collect() };
    let ok = session.eval(path, &text, 1, kind);
    *session.params.borrow_mut() = Params::default();
    ok
}

fn ls(session: &Session) -> bool {
    let lab = session.lab.borrow();
    if lab.net().is_dry_run() {
        errln!("error: :ls shows a lab that is up, and a dry run builds none; its commands are the output");
        return false;
    }
    match lab_view::describe(lab.net(), &session.lab_name) {
        Ok(text) => {
            out!("{text}");
            true
        }
        Err(err) => {
            errln!("error: {err}");
            false
        }
    }
}

fn down(session: &mut Session) -> bool {
    if session.lab.borrow().net().is_dry_run() {
        errln!("error: :down takes a lab down, and a dry run builds none: there is nothing to take down");
        return false;
    }
    let name = session.lab_name.clone();
    let result = session.lab.borrow_mut().take_down();
    match result {
        Ok(report) => {
            outln!("{name}: {}", report.summary());
            for why in &report.skipped {
                outln!("{name}: {why}");
            }
            for err in &report.errors {
                errln!("error: {name}: {err}");
            }
            session.transcript.forget_lab_changes();
            report.errors.is_empty()
        }
        Err(err) => {
            errln!("error: {err}");
            false
        }
    }
}

fn save(session: &Session, args: &[&str]) -> bool {
    let [file] = args else {
        errln!("error: usage: :save FILE");
        return false;
    };
    let (params, conflicts) = session.transcript.params();
    let text = session.transcript.script(&session.lab_name, file);
    if let Err(err) = fs::write(file, &text) {
        errln!("error: cannot write {file}: {err}");
        return false;
    }
    let run = std::iter::once(*file).chain(params.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
    outln!("saved to {file}; build the same lab with `netscript {run}`");
    for key in conflicts {
        errln!("warning: the loaded scripts were given different values of '{key}'; the script reads one");
    }
    if session.resumed {
        errln!("note: this session continued a lab that was up; the script holds only this session's inputs");
    }
    true
}
