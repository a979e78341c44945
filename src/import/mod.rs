//! `netscript import`: the shell commands of a tutorial (or a script, or
//! netscript's own dry run) become a netscript script that builds the same
//! lab, parameterized, with the tutorial's mistakes named and corrected.
//!
//! The layers, in order: document (where the commands are in the text),
//! shell (words, variables, loops), commands and their parsers (ip,
//! iptables, nft, tc, sysctl: what each command means, as steps), idioms
//! (the steps as netscript writes them), mistakes (found and mended),
//! params (values lifted into parameters) and translate (the script).
//! `check` builds the original and the script side by side and compares.

pub mod check;
mod commands;
mod document;
mod files;
mod idioms;
mod ip;
mod iptables;
mod mistakes;
mod model;
mod nft;
mod params;
mod shell;
mod step;
mod sysctl;
mod tc;
mod translate;

pub use mistakes::Warning;

use document::SkipKind;
use shell::Unit;
use step::{Item, Ns, Step};

/// What an import gives: the script, and what the user should know.
#[derive(Debug, Default)]
pub struct Import {
    pub script: String,
    /// The tutorial's mistakes, each at its line.
    pub warnings: Vec<Warning>,
    /// Interface names shortened: (the tutorial's, the script's).
    pub renames: Vec<(String, String)>,
    /// Commands kept as written: (line, command, why).
    pub not_modelled: Vec<(usize, String, String)>,
    /// Other things said on stderr.
    pub notes: Vec<String>,
    /// The commands as they would run by themselves, for --check: (line, command).
    pub commands: Vec<(usize, String)>,
    /// Whether the lab uses NAT out of an uplink.
    pub nat: bool,
    /// The tutorial's uplink, when it names one.
    pub uplink: Option<String>,
}

/// "3, 5-9, 12" for a list of line numbers.
fn ranges(lines: &[usize]) -> String {
    let mut lines = lines.to_vec();
    lines.sort();
    lines.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        out.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    out.join(", ")
}

/// Imports `text`, named `source` in messages and in the script's header.
pub fn import(source: &str, text: &str) -> Import {
    let reading = document::read(text);
    let mut out = Import::default();
    for (kind, what) in [
        (SkipKind::Output, "output pasted with the commands"),
        (SkipKind::Template, "commands with placeholders (<name>), not commands to run"),
        (SkipKind::Alternative, "a second way to do the same step (`A or B`); the first is taken"),
    ] {
        let lines: Vec<usize> = reading.skipped.iter().filter(|s| s.kind == kind).map(|s| s.line).collect();
        if !lines.is_empty() {
            let label = if lines.len() == 1 { "line" } else { "lines" };
            out.notes.push(format!("skipped {label} {}: {what}", ranges(&lines)));
        }
    }
    let mut units = shell::parse(&reading.snippets);
    // netscript's own dry run: what it ran as exec() stays exec().
    if text.contains("\n# The commands netscript would run for ") {
        for unit in &mut units {
            if let Unit::Command(cmd) = unit {
                cmd.faithful = true;
            }
        }
    }
    let mut items: Vec<Item> = Vec::new();
    let mut vars: Vec<(usize, String, shell::Arg)> = Vec::new();
    for unit in units {
        match unit {
            Unit::Assign { line, name, value } => {
                if !vars.iter().any(|v| v.1 == name) {
                    vars.push((line, name, value));
                }
            }
            Unit::Unsupported { line, text, why } => {
                out.commands.push((line, text.clone()));
                let command = shell::Arg::lit(&text);
                items.push(Item::new(line, &text, Step::NotModelled { ns: Ns::Host, command, why }));
            }
            Unit::Command(cmd) => match commands::understand(&cmd) {
                commands::Understood::NotACommand => {}
                commands::Understood::Steps(steps) => {
                    let mut text = cmd.text.clone();
                    if let Some(body) = &cmd.heredoc
                        && let Some(delim) = document::heredoc_delimiter(&text)
                    {
                        text = format!("{text}\n{body}{delim}");
                    }
                    if !steps.iter().all(|s| matches!(s, Step::Look { .. })) {
                        out.commands.push((cmd.line, commands::shell_text(&cmd.args, &cmd).value));
                    }
                    for step in steps {
                        items.push(Item::new(cmd.line, &text, step));
                    }
                }
            },
        }
    }
    let mut findings = mistakes::Findings::default();
    mistakes::before_idioms(&mut items, &mut findings);
    let mut changes = idioms::apply(&mut items);
    mistakes::after_idioms(&mut items, &mut findings);
    for item in &items {
        if let Step::NotModelled { command, why, .. } = &item.step {
            out.not_modelled.push((item.line, command.value.clone(), why.clone()));
        }
    }
    let lifted = params::lift(&items);
    changes.splice(0..0, findings.changes.iter().cloned());
    let plan = translate::Plan {
        source,
        items: &items,
        vars: &vars,
        lifted: &lifted,
        changes: &changes,
        outside_checks: &findings.outside,
    };
    out.script = translate::render(&plan);
    out.nat = lifted.uplink.is_some();
    out.uplink = lifted.uplink.clone().filter(|u| !u.is_empty());
    out.warnings = findings.warnings;
    out.warnings.sort_by_key(|w| w.line);
    out.renames = findings.renames;
    out.notes.extend(findings.notes);
    out
}

/// What import says on stderr, for people: warnings with the file and
/// line, the names it shortened, what it kept as written.
pub fn report(source: &str, import: &Import) -> String {
    let mut text = String::new();
    for w in &import.warnings {
        text.push_str(&format!("warning: {source}:{}: {}\n", w.line, w.text));
    }
    if !import.renames.is_empty() {
        text.push_str("renamed (Linux allows 15 bytes):\n");
        for (old, new) in &import.renames {
            text.push_str(&format!("  {old} -> {new}\n"));
        }
    }
    if !import.not_modelled.is_empty() {
        text.push_str(&format!(
            "not modelled, kept as exec(...) and not undone by `netscript down` ({}):\n",
            import.not_modelled.len()
        ));
        for (line, command, why) in &import.not_modelled {
            let first = command.lines().next().unwrap_or("");
            text.push_str(&format!("  {source}:{line}: {first} ({why})\n"));
        }
    }
    for note in &import.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges() {
        assert_eq!(ranges(&[5, 3, 4, 9, 11, 12]), "3-5, 9, 11-12");
    }

    #[test]
    fn unknown_commands_are_kept_in_scripts_and_skipped_in_prose() {
        let script = import("lab.sh", "#!/bin/sh\nip netns add a\nfrobnicate --all\n");
        assert!(script.script.contains("exec(\"frobnicate --all\");"), "{}", script.script);
        let prose = import("notes.md", "Run this:\n\nip netns add a\n\nThen frobnicate it.\n");
        assert!(!prose.script.contains("frobnicate"), "{}", prose.script);
        assert!(prose.script.contains("let a = netns_add(\"a\");"), "{}", prose.script);
    }
}
