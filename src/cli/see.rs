//! `netscript graph`, `show`, `completions` and `man`: seeing a lab that
//! is up, and fitting the shell.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::{Args, Picture};
use super::color;
use super::run::{FAILURE, SUCCESS, USAGE};
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
    crate::lab::store::check_lab_name(lab)?;
    if !ledger::exists(lab) {
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

/// The picture a file name asks for, by its extension.
fn picture_of(path: &Path) -> Option<Picture> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some(Picture::Svg),
        "dot" | "gv" => Some(Picture::Dot),
        "mmd" | "mermaid" => Some(Picture::Mermaid),
        "png" => Some(Picture::Png),
        "pdf" => Some(Picture::Pdf),
        _ => None,
    }
}

pub fn graph(lab: &str, picture: Option<Picture>, output: Option<&Path>, all: bool) -> i32 {
    let (replay, kernel) = match open(lab) {
        Ok(opened) => opened,
        Err(err) => return fail(&err),
    };
    let snapshot = match Snapshot::read(lab, &replay.applied, &kernel) {
        Ok(snapshot) => snapshot,
        Err(err) => return fail(&err),
    };
    warn_missing(lab, &snapshot.missing);
    let picture = picture.or_else(|| output.and_then(picture_of)).unwrap_or(Picture::Dot);
    let mut topology = Topology::from_snapshot(&snapshot);
    if !all {
        topology.fold_runs();
    }
    let text = |format| view::render(&topology, format);
    let bytes = match picture {
        Picture::Dot => text(Format::Dot).into_bytes(),
        Picture::Mermaid => text(Format::Mermaid).into_bytes(),
        Picture::Svg => text(Format::Svg).into_bytes(),
        Picture::Png | Picture::Pdf => {
            let kind = if picture == Picture::Png { "png" } else { "pdf" };
            if output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return fail(&format!(
                    "a {} is no text for a terminal: write it to a file with -o lab.{kind}, or redirect",
                    kind.to_uppercase()
                ));
            }
            match graphviz(&text(Format::Dot), kind) {
                Ok(bytes) => bytes,
                Err(err) => return fail(&format!("cannot draw {}: {err}", shown_target(output, kind))),
            }
        }
    };
    match output {
        Some(path) => match std::fs::write(path, bytes) {
            Ok(()) => SUCCESS,
            Err(err) => fail(&format!("cannot write {}: {err}", path.display())),
        },
        None => {
            crate::output::stdout_bytes(&bytes);
            SUCCESS
        }
    }
}

fn shown_target(output: Option<&Path>, kind: &str) -> String {
    output.map_or_else(|| format!("the {}", kind.to_uppercase()), |path| path.display().to_string())
}

/// DOT text drawn by Graphviz's `dot` as a PNG or PDF.
fn graphviz(dot: &str, kind: &str) -> Result<Vec<u8>, String> {
    use std::process::{Command, Stdio};
    let child = Command::new("dot")
        .arg(format!("-T{kind}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "a {} is drawn by Graphviz's dot, which is not installed (apt install graphviz, dnf install \
                 graphviz, brew install graphviz); netscript draws SVG itself: -o lab.svg",
                kind.to_uppercase()
            ));
        }
        Err(err) => return Err(format!("cannot run Graphviz's dot: {err}")),
    };
    let mut stdin = child.stdin.take().expect("piped");
    let text = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().map_err(|err| format!("Graphviz's dot: {err}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!("Graphviz's dot failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
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

pub fn completions(shell: Option<clap_complete::Shell>, lab_names: bool) -> i32 {
    if lab_names {
        // Labs are root's to list: for anyone else, nothing to offer.
        for lab in ledger::list().unwrap_or_default() {
            outln!("{lab}");
        }
        return SUCCESS;
    }
    let Some(shell) = shell else { return USAGE };
    out!("{}", super::completions::script(shell));
    SUCCESS
}

/// A command by name, or a usage error that names the closest ones.
fn subcommand(top: &clap::Command, name: &str) -> Result<clap::Command, String> {
    if let Some(sub) = top.find_subcommand(name) {
        return Ok(sub.clone());
    }
    let names: Vec<&str> = top.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
    let near = crate::script::forms::closest(name, names.iter().copied());
    let hint = match near.first() {
        Some(near) => format!("did you mean {near}? "),
        None => String::new(),
    };
    Err(format!("no command '{name}'; {hint}the commands are: {}", names.join(", ")))
}

pub fn man(command: Option<&str>) -> i32 {
    let mut top = Args::command();
    // Built, the commands know their full names (netscript-graph).
    top.build();
    let page = match command {
        None => top.clone(),
        Some(name) => match subcommand(&top, name) {
            Ok(sub) => sub,
            Err(err) => {
                color::eprint_error(&format!("error: {err}\n"));
                return USAGE;
            }
        },
    };
    // The examples go in a block of their own, as typed: not filled and
    // justified as a paragraph would be.
    let after = page.get_after_help().map(|text| text.to_string());
    let page = page.after_help(None::<&str>).after_long_help(None::<&str>);
    let mut text = Vec::new();
    if let Err(err) = clap_mangen::Man::new(page).render(&mut text) {
        return fail(&format!("cannot render the man page: {err}"));
    }
    if let Some(after) = after {
        text.extend_from_slice(examples_roff(&after).as_bytes());
    }
    let _ = std::io::stdout().write_all(&text);
    SUCCESS
}

/// `--help`'s closing text as man page sections: "Examples:" lines in an
/// example block (kept as they are), other paragraphs as sections.
fn examples_roff(text: &str) -> String {
    let escape = |line: &str| line.replace('\\', "\\e").replace('-', "\\-");
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        let mut lines = paragraph.lines();
        let Some(first) = lines.next() else { continue };
        if let Some(rest) = first.strip_suffix(':') {
            out.push_str(&format!(".SH {}\n.EX\n", rest.to_uppercase()));
            for line in lines {
                let line = escape(line);
                // A line may not start with a control character.
                if line.starts_with(['.', '\'']) {
                    out.push_str("\\&");
                }
                out.push_str(&line);
                out.push('\n');
            }
            out.push_str(".EE\n");
        } else if let Some((title, body)) = paragraph.split_once(": ") {
            out.push_str(&format!(".SH \"{}\"\n{}\n", title.to_uppercase(), escape(body)));
        } else {
            out.push_str(&format!(".PP\n{}\n", escape(paragraph)));
        }
    }
    out
}

/// A script that does not exist, named like a command (`netscript sho
/// lab`, `netscript lss`): the command it probably was, said as a usage
/// error before the words after it are read as parameters.
pub fn mistyped_command(script: &Path, rest: &[String]) -> Option<String> {
    let word = script.to_str()?;
    if script.exists() || word.contains(['/', '.', '=']) {
        return None;
    }
    let top = Args::command();
    let names: Vec<&str> = top.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
    let near = crate::script::forms::closest(word, names.iter().copied());
    let command = near.first()?;
    let line = std::iter::once(*command).chain(rest.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
    Some(format!("there is no script '{word}' and no command '{word}'; did you mean `netscript {line}`?"))
}

/// `netscript help [COMMAND]`: the help of netscript or of a command.
pub fn help(command: Option<&str>) -> i32 {
    let mut top = Args::command();
    top.build();
    let result = match command {
        None => top.print_help(),
        Some(name) => match subcommand(&top, name) {
            Ok(mut sub) => sub.print_help(),
            Err(err) => {
                color::eprint_error(&format!("error: {err}\n"));
                return USAGE;
            }
        },
    };
    match result {
        Ok(()) => SUCCESS,
        Err(err) => fail(&format!("cannot print the help: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_a_block_as_typed() {
        let roff = examples_roff(
            "Examples:\n  netscript ls        the labs\n  .hidden\n\nExit status: 0 success, 2 usage error.",
        );
        assert_eq!(
            roff,
            ".SH EXAMPLES\n.EX\n  netscript ls        the labs\n  .hidden\n.EE\n.SH \"EXIT STATUS\"\n0 success, 2 usage error.\n"
        );
        assert!(examples_roff("Examples:\n.x --y").contains("\\&.x \\-\\-y"));
    }

    #[test]
    fn a_mistyped_command_is_not_read_as_a_script() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            mistyped_command(Path::new("sho"), &words(&["bridge-nat"])).unwrap(),
            "there is no script 'sho' and no command 'sho'; did you mean `netscript show bridge-nat`?"
        );
        assert_eq!(
            mistyped_command(Path::new("lss"), &[]).unwrap(),
            "there is no script 'lss' and no command 'lss'; did you mean `netscript ls`?"
        );
        assert_eq!(mistyped_command(Path::new("lab.rhai"), &[]), None);
        assert_eq!(mistyped_command(Path::new("frobnicate"), &[]), None);
    }

    #[test]
    fn a_mistyped_command_gets_the_closest() {
        let mut top = Args::command();
        top.build();
        assert_eq!(
            subcommand(&top, "grpah").unwrap_err(),
            "no command 'grpah'; did you mean graph? the commands are: down, ls, graph, show, import, completions, man, help"
        );
    }
}
