//! The REPL's own commands, which start with `:` so that they cannot clash
//! with a name of the API or of the session.

use std::fs;

use super::catalog::{self, ENTRIES};
use super::lab_view;
use super::session::Session;
use super::table;
use super::transcript::Kind;
use crate::output::{errln, out, outln};
use crate::script::{Params, stdlib};

/// Name, arguments, what it does.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "[NAME]", "the functions, grouped, or one function (topo::star for the standard library)"),
    (":load", "FILE [KEY=VALUE...]", "run a script into this session"),
    (":ls", "", "what this session's lab holds now"),
    (":down", "", "take this session's lab down, and go on with an empty one"),
    (":save", "FILE", "write this session's inputs as a script that builds the lab (:save! FILE overwrites)"),
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
        ":save" | ":s" => save(session, &args, false),
        ":save!" => save(session, &args, true),
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
        page(&overview(crate::cli::term::stdout_width()));
        return true;
    };
    if let Some((name, args, what)) = COMMANDS.iter().find(|(name, ..)| *name == topic) {
        outln!("{name} {args}\n  {what}");
        return true;
    }
    if let Some(text) = module_help(topic) {
        page(&text);
        return true;
    }
    let entries = catalog::lookup(topic);
    if entries.is_empty() {
        let mut names: Vec<String> = ENTRIES.iter().map(|e| e.name.to_string()).collect();
        names.extend(catalog::module_topics());
        names.extend(COMMANDS.iter().map(|(name, ..)| name.to_string()));
        let near = crate::script::forms::closest(topic, names.iter().map(String::as_str));
        let hint =
            if near.is_empty() { String::new() } else { format!("; did you mean {}?", near.join(" or ")) };
        errln!("error: no function named '{topic}'{hint}");
        return false;
    }
    let mut out = String::new();
    for entry in entries {
        out.push_str(&format!("{}\n  {} ({})\n", entry.signature, entry.summary, entry.group));
    }
    let forms = crate::script::forms::shown_forms(topic);
    if !forms.is_empty() {
        out.push_str(&format!("  forms: {}\n", forms.join(", ")));
    }
    if let Some(example) = catalog::example(topic) {
        out.push_str(&format!("  example: {example}\n"));
    }
    page(&out);
    true
}

/// `:help topo::star` (or `:help star`): the module function's forms, its
/// doc comment, and its example.
fn module_help(topic: &str) -> Option<String> {
    let (module, name) = match topic.split_once("::") {
        Some((module, name)) => (module.to_string(), name.to_string()),
        None => {
            let module = stdlib::MODULES.iter().map(|(m, _)| *m).find(|m| {
                stdlib::functions(m).iter().any(|f| f.name == topic) && catalog::lookup(topic).is_empty()
            })?;
            (module.to_string(), topic.to_string())
        }
    };
    let forms: Vec<stdlib::ModuleFn> =
        stdlib::functions(&module).into_iter().filter(|f| f.name == name).collect();
    let first = forms.first()?;
    let mut out = format!(
        "{}   (module {module}: import \"{module}\" as {module};)\n",
        module_signature(&module, &forms)
    );
    let doc = forms.iter().find(|f| !f.doc.is_empty()).map_or(&first.doc, |f| &f.doc);
    for line in doc.iter().filter(|l| !l.starts_with("Example:")) {
        out.push_str(&format!("  {line}\n"));
    }
    if let Some(example) = doc.iter().find_map(|l| l.strip_prefix("Example:")) {
        out.push_str(&format!("  example: {}\n", example.trim()));
    }
    Some(out)
}

/// `topo::star(n, bridge, subnet[, opts])`: the forms of a module function,
/// the longer ones as optional parameters when they only add to the end.
fn module_signature(module: &str, forms: &[stdlib::ModuleFn]) -> String {
    let call = |params: &[String]| format!("{module}::{}({})", forms[0].name, params.join(", "));
    let shortest = &forms[0].params;
    let longest = forms.iter().map(|f| &f.params).max_by_key(|p| p.len()).unwrap_or(shortest);
    let nested = forms.iter().all(|f| f.params.starts_with(shortest) && longest.starts_with(&f.params));
    if forms.len() == 2 && nested && !shortest.is_empty() {
        let extra = longest[shortest.len()..].join(", ");
        return format!("{}[, {extra}])", call(shortest).trim_end_matches(')'));
    }
    forms.iter().map(|f| call(&f.params)).collect::<Vec<_>>().join(", ")
}

/// Long text through a pager on a terminal ($PAGER, else `less -FRX`); as
/// it is elsewhere, or when no pager runs.
fn page(text: &str) {
    use std::io::{IsTerminal, Write};
    let rows = crate::cli::term::stdout_height();
    let long = rows.is_some_and(|rows| text.lines().count() >= rows);
    if !(long && std::io::stdout().is_terminal()) {
        out!("{text}");
        return;
    }
    let pager =
        std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "less -FRX".into());
    let child =
        std::process::Command::new("sh").arg("-c").arg(&pager).stdin(std::process::Stdio::piped()).spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes());
            }
            if child.wait().is_ok_and(|status| status.success()) {
                return;
            }
            out!("{text}");
        }
        Err(_) => out!("{text}"),
    }
}

fn overview(width: Option<usize>) -> String {
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
        out.push_str(&table::align_to(&[], &rows, width));
    }
    for (module, _) in stdlib::MODULES {
        out.push_str(&format!("\nStandard library: import \"{module}\" as {module};\n"));
        let functions = stdlib::functions(module);
        let mut names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
        names.dedup();
        let rows: Vec<Vec<String>> = names
            .iter()
            .map(|name| {
                let forms: Vec<stdlib::ModuleFn> =
                    functions.iter().filter(|f| f.name == *name).cloned().collect();
                let doc = forms.iter().find_map(|f| f.doc.first()).cloned().unwrap_or_default();
                let first_sentence = doc.split(": ").next().unwrap_or(&doc).trim_end_matches('.').to_string();
                vec![format!("  {}", module_signature(module, &forms)), first_sentence]
            })
            .collect();
        out.push_str(&table::align_to(&[], &rows, width));
    }
    out.push_str("\nCommands\n");
    let rows: Vec<Vec<String>> = COMMANDS
        .iter()
        .map(|(name, args, what)| vec![format!("  {name} {args}"), what.to_string()])
        .collect();
    out.push_str(&table::align_to(&[], &rows, width));
    out.push_str(
        "\nKeys: Tab completes functions, variables, namespaces and links; an unfinished statement goes on\n\
         on the next line (end a line with \\ to force it); Ctrl-C cancels the input, or stops the one\n\
         running (rolling it back); Ctrl-D leaves. `:help NAME` shows a function's forms and an example.\n",
    );
    out
}

fn load(session: &mut Session, args: &[&str]) -> bool {
    let Some((path, params)) = args.split_first() else {
        errln!("error: usage: :load FILE [KEY=VALUE...]");
        return false;
    };
    let text = match fs::read_to_string(expand_home(path)).map(crate::script::without_bom) {
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
    let checked = session.params.borrow().check_before_run(&text);
    if let Err(err) = checked {
        errln!("error: {err}");
        *session.params.borrow_mut() = Params::default();
        return false;
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

fn save(session: &Session, args: &[&str], overwrite: bool) -> bool {
    let [file] = args else {
        errln!("error: usage: :save FILE (or :save! FILE to write over a file)");
        return false;
    };
    let path = expand_home(file);
    if !overwrite && path.exists() {
        errln!("error: {file} exists already; write over it with :save! {file}");
        return false;
    }
    let (params, conflicts) = session.transcript.params();
    let text = session.transcript.script(&session.lab_name, file);
    if let Err(why) = session.transcript.check(&text) {
        errln!("error: cannot save a script that builds this lab: {why}");
        return false;
    }
    if let Err(err) = fs::write(&path, &text) {
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

/// `~/x` as the shell would have it: under $HOME.
fn expand_home(file: &str) -> std::path::PathBuf {
    match (file.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ if file == "~" => std::env::var_os("HOME").map_or_else(|| file.into(), Into::into),
        _ => file.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_functions_have_help() {
        let star = module_help("topo::star").unwrap();
        assert!(
            star.starts_with(
                "topo::star(n, bridge, subnet[, opts])   (module topo: import \"topo\" as topo;)\n  A star:"
            ),
            "{star}"
        );
        assert!(
            star.ends_with("  example: let hosts = topo::star(10, \"br0\", \"10.0.0.0/24\");\n"),
            "{star}"
        );
        assert_eq!(module_help("star"), Some(star));
        assert!(module_help("topo::nope").is_none());
        // The host() of the API is not the stdlib's.
        assert!(module_help("host").is_none());
        assert!(
            overview(None).contains(
                "Standard library: import \"check\" as check;\n  check::reaches(from, addr[, opts])"
            )
        );
    }
}
