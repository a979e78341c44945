//! `netscript graph`, `show`, `completions` and `man`: seeing a lab that
//! is up, and fitting the shell.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::Args;
use super::color;
use super::run::{FAILURE, SUCCESS};
use crate::kernel::Kernel;
use crate::lab::ledger::{self, Replay};
use crate::output::{errln, out, outln};
use crate::view::{self, Format, LabState, Snapshot, Topology};

fn fail(message: &str) -> i32 {
    color::eprint_error(&format!("error: {message}\n"));
    FAILURE
}

/// The ledger of a lab that is up, and a kernel to read it with.
fn open(lab: &str) -> Result<(Replay, Kernel), String> {
    if !ledger::path(lab).exists() {
        let up = ledger::list().unwrap_or_default();
        let others =
            if up.is_empty() { "no lab is up".to_string() } else { format!("labs up: {}", up.join(", ")) };
        return Err(format!("lab '{lab}' is not up ({others})"));
    }
    let replay = ledger::read(lab).map_err(|err| format!("cannot read the ledger of lab '{lab}': {err}"))?;
    let kernel = Kernel::new().map_err(|err| format!("cannot open a netlink socket: {err}"))?;
    Ok((replay, kernel))
}

fn warn_missing(lab: &str, missing: &[String]) {
    for name in missing {
        errln!("warning: {lab}: namespace '{name}' is gone (deleted outside netscript)");
    }
}

/// The format a file name asks for, by its extension.
fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "svg" => Some(Format::Svg),
        "dot" | "gv" => Some(Format::Dot),
        "mmd" | "mermaid" => Some(Format::Mermaid),
        _ => None,
    }
}

pub fn graph(lab: &str, format: Option<Format>, output: Option<&Path>) -> i32 {
    let (replay, kernel) = match open(lab) {
        Ok(opened) => opened,
        Err(err) => return fail(&err),
    };
    let snapshot = match Snapshot::read(lab, &replay.applied, &kernel) {
        Ok(snapshot) => snapshot,
        Err(err) => return fail(&err),
    };
    warn_missing(lab, &snapshot.missing);
    let format = format.or_else(|| output.and_then(format_of)).unwrap_or(Format::Dot);
    let text = view::render(&Topology::from_snapshot(&snapshot), format);
    match output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => SUCCESS,
            Err(err) => fail(&format!("cannot write {}: {err}", path.display())),
        },
        None => {
            out!("{text}");
            SUCCESS
        }
    }
}

pub fn show(lab: &str, json: bool) -> i32 {
    let (replay, kernel) = match open(lab) {
        Ok(opened) => opened,
        Err(err) => return fail(&err),
    };
    let state = match LabState::read(lab, replay.script.clone(), &replay.applied, &kernel) {
        Ok(state) => state,
        Err(err) => return fail(&err),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&state).expect("plain data serializes"));
    } else {
        warn_missing(lab, &state.missing);
        let on = color::stdout();
        out!("{}", view::render_text(&state, &|text| color::bold(text, on)));
    }
    SUCCESS
}

pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut command = Args::command();
    // Into memory first: generate() panics when stdout is a closed pipe.
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut command, "netscript", &mut text);
    out!("{}", String::from_utf8_lossy(&text));
    SUCCESS
}

pub fn man(command: Option<&str>) -> i32 {
    let mut top = Args::command();
    // Built, the commands know their full names (netscript-graph).
    top.build();
    let page = match command {
        None => top,
        Some(name) => match top.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
                return fail(&format!("no command '{name}'; the commands are: {}", names.join(", ")));
            }
        },
    };
    let mut text = Vec::new();
    if let Err(err) = clap_mangen::Man::new(page).render(&mut text) {
        return fail(&format!("cannot render the man page: {err}"));
    }
    let _ = std::io::stdout().write_all(&text);
    SUCCESS
}
