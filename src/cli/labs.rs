//! `netscript down` and `netscript ls`: labs that are up, from their ledgers.

use serde::Serialize;

use crate::kernel::Kernel;
use crate::lab::{self, ledger};
use crate::ops::Netns;
use crate::output::{errln, out, outln};

use super::color;
use super::run::{FAILURE, SUCCESS};

pub fn down(labs: &[String], all: bool) -> i32 {
    // Ctrl-C stops between steps, leaving the ledger for another `down`.
    crate::interrupt::install_counting();
    let kernel = match Kernel::new() {
        Ok(kernel) => kernel,
        Err(err) => {
            color::eprint_error(&format!("error: cannot open a netlink socket: {err}\n"));
            return FAILURE;
        }
    };
    let labs = match (all, ledger::list()) {
        (_, Err(err)) => {
            color::eprint_error(&format!("error: {err}\n"));
            return FAILURE;
        }
        (true, Ok(up)) => up,
        (false, Ok(_)) => labs.to_vec(),
    };
    let mut code = SUCCESS;
    for name in &labs {
        if let Err(why) = lab::store::check_lab_name(name) {
            color::eprint_error(&format!("error: {why}\n"));
            code = FAILURE;
            continue;
        }
        if !ledger::exists(name) {
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
                for why in report.skipped.iter().chain(&report.held) {
                    outln!("{name}: {why}");
                }
                if !report.unread.is_empty() {
                    outln!(
                        "{name}: {} of the ledger could not be used:",
                        plural(report.unread.len(), "line")
                    );
                    for why in &report.unread {
                        outln!("  {why}");
                    }
                }
                if let Some(kept) = &report.kept {
                    outln!("{name}: the ledger is kept at {} for you to look at", kept.display());
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
    /// Lines of the ledger that could not be read.
    damaged: usize,
    namespaces: Vec<String>,
    links: Vec<String>,
    /// One per nft rule, as `show` lists them: "ns/chain rule".
    rules: Vec<String>,
    /// Chains whose policy the lab set to drop: "ns/chain".
    policies: Vec<String>,
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
        running: ledger::in_use(name).is_some(),
        damaged: replay.skipped.len(),
        namespaces: held.namespaces,
        links: held.links.iter().map(|(ns, name)| format!("{}{name}", place(ns))).collect(),
        rules: held
            .rules
            .iter()
            .flat_map(|(ns, rule)| rule.nft_rules(name).into_iter().map(move |nft| (ns, nft)))
            .map(|(ns, nft)| format!("{}{} {}", place(ns), nft.chain, nft.body))
            .collect(),
        policies: held.policies.iter().map(|(ns, chain, _)| format!("{}{chain}", place(ns))).collect(),
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
            let state = if lab.running {
                "in use"
            } else if lab.damaged > 0 {
                "damaged"
            } else {
                "up"
            };
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

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
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
