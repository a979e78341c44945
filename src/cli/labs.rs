//! `netscript down` and `netscript ls`: labs that are up, from their ledgers.

use serde::Serialize;

use crate::kernel::Kernel;
use crate::lab::{self, ledger};
use crate::ops::Netns;
use crate::output::{errln, out, outln};

use super::color;
use super::run::{FAILURE, SUCCESS};

pub fn down(labs: &[String], all: bool) -> i32 {
    let kernel = match Kernel::new() {
        Ok(kernel) => kernel,
        Err(err) => {
            color::eprint_error(&format!("error: cannot open a netlink socket: {err}\n"));
            return FAILURE;
        }
    };
    let labs = if all { ledger::list().unwrap_or_default() } else { labs.to_vec() };
    let mut code = SUCCESS;
    for name in &labs {
        if !ledger::path(name).exists() {
            // Taking down a lab that is not up is done already.
            let up = ledger::list().unwrap_or_default();
            let others = if up.is_empty() {
                "no lab is up".to_string()
            } else {
                format!("labs up: {}", up.join(", "))
            };
            outln!("{name}: not up, nothing to do ({others})");
            continue;
        }
        match lab::down(&kernel, name) {
            Ok(report) => {
                outln!("{name}: {}", report.summary());
                for why in &report.skipped {
                    outln!("{name}: {why}");
                }
                for err in &report.errors {
                    color::eprint_error(&format!("error: {name}: {err}\n"));
                    code = FAILURE;
                }
            }
            Err(err) => {
                color::eprint_error(&format!("error: {err}\n"));
                code = FAILURE;
            }
        }
    }
    code
}

/// A lab as `ls` shows it.
#[derive(Debug, Serialize)]
struct LabInfo {
    lab: String,
    script: Option<String>,
    pid: Option<u32>,
    running: bool,
    namespaces: Vec<String>,
    links: Vec<String>,
    rules: Vec<String>,
    settings: Vec<String>,
}

fn describe(name: &str) -> Result<LabInfo, String> {
    let replay =
        ledger::read(name).map_err(|err| format!("cannot read the ledger of lab '{name}': {err}"))?;
    let held = lab::contents(&replay);
    let place = |ns: &Netns| ns.name().map(|n| format!("{n}/")).unwrap_or_default();
    Ok(LabInfo {
        lab: name.to_string(),
        script: replay.script.clone(),
        pid: replay.pid,
        running: replay.pid.is_some_and(ledger::still_running),
        namespaces: held.namespaces,
        links: held.links.iter().map(|(ns, name)| format!("{}{name}", place(ns))).collect(),
        rules: held.rules.iter().map(|(ns, rule)| format!("{}{}", place(ns), rule.describe())).collect(),
        settings: held
            .settings
            .iter()
            .map(|(ns, key, value)| format!("{}{key}={value}", place(ns)))
            .collect(),
    })
}

pub fn ls(json: bool) -> i32 {
    let names = match ledger::list() {
        Ok(names) => names,
        Err(err) => {
            color::eprint_error(&format!("error: cannot read {}: {err}\n", ledger::labs_dir().display()));
            return FAILURE;
        }
    };
    let mut labs = Vec::new();
    for name in &names {
        match describe(name) {
            Ok(info) => labs.push(info),
            Err(err) => errln!("warning: {err}"),
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&labs).expect("plain data serializes"));
        return SUCCESS;
    }
    if labs.is_empty() {
        outln!("no lab is up");
        return SUCCESS;
    }
    let rows: Vec<[String; 5]> = labs
        .iter()
        .map(|lab| {
            let state = if lab.running { "in use" } else { "up" };
            [
                lab.lab.clone(),
                state.to_string(),
                count_and_names(&lab.namespaces),
                count_and_names(&lab.links),
                lab.rules.len().to_string(),
            ]
        })
        .collect();
    print_table(&["LAB", "STATE", "NAMESPACES", "HOST LINKS", "RULES"], &rows);
    SUCCESS
}

fn count_and_names(names: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut text = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(" ");
    if names.len() > SHOWN {
        text.push_str(&format!(" ... ({} in all)", names.len()));
    }
    if text.is_empty() { "-".into() } else { text }
}

fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.to_vec()).collect();
    out!("{}", crate::repl::align(header, &rows));
}
