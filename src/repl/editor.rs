//! The line editor's helper: Tab completion (API names, variables, commands,
//! and namespaces and links read live from the kernel), the signature of the
//! function being typed as a hint, and multi-line input: Enter on an
//! unfinished statement opens a continuation line, indented and marked
//! `...` in code (the margin does not go into the program), as it is inside
//! a string.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use rhai::Engine;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{
    Cmd, CompletionType, ConditionalEventHandler, Config, Context, Editor, Event, EventContext, EventHandler,
    KeyCode, KeyEvent, Modifiers, RepeatCount,
};

use super::catalog;
use super::commands::COMMANDS;
use super::context::{self, Completion};
use super::input::is_incomplete;
use super::session::{Session, Variables};
use crate::cli::color;
use crate::kernel::netns;
use crate::script::scan::{Mode, Scanner};
use crate::script::{Shared, stdlib};

pub struct Helper {
    /// The API's function and property names, from the engine.
    names: Vec<String>,
    variables: Rc<RefCell<Variables>>,
    lab: Shared,
    /// Only parses: whether an input is whole does not depend on the API.
    parser: Engine,
    files: FilenameCompleter,
    color: bool,
}

impl Helper {
    pub fn new(session: &Session) -> Self {
        Helper {
            names: catalog::registered(&session.engine),
            variables: session.variables.clone(),
            lab: session.lab.clone(),
            parser: Engine::new_raw(),
            files: FilenameCompleter::new(),
            color: session.color,
        }
    }

    fn candidates(&self, completion: &Completion, prefix: &str) -> Vec<String> {
        // Offered first: a method of the receiver's type.
        let mut first: Vec<String> = Vec::new();
        let mut names: Vec<String> = match completion {
            Completion::Command { .. } => COMMANDS.iter().map(|(name, ..)| name.to_string()).collect(),
            Completion::HelpTopic { .. } => {
                let mut names = self.names.clone();
                names.extend(catalog::module_topics());
                names
            }
            Completion::Name { after_dot, receiver, .. } => {
                let mut names = self.names.clone();
                if !after_dot {
                    names.extend(self.variables.borrow().names.iter().cloned());
                }
                let ty = receiver.as_ref().and_then(|var| self.variables.borrow().types.get(var).cloned());
                if let Some(ty) = ty {
                    first = catalog::methods_of(&ty).into_iter().map(String::from).collect();
                }
                names
            }
            Completion::ModuleItem { module, .. } => {
                let path =
                    self.variables.borrow().modules.get(module).cloned().unwrap_or_else(|| module.clone());
                stdlib::functions(&path).into_iter().map(|f| f.name).collect()
            }
            Completion::Netns { .. } => netns::list().unwrap_or_default(),
            Completion::Link { ns, .. } => match self.lab.borrow().net().links(ns) {
                Ok(links) => links.into_iter().map(|link| link.name).collect(),
                Err(_) => Vec::new(),
            },
            Completion::Path | Completion::Nothing => Vec::new(),
        };
        for list in [&mut first, &mut names] {
            list.retain(|name| name.starts_with(prefix));
            list.sort();
            list.dedup();
        }
        names.retain(|name| !first.contains(name));
        first.extend(names);
        first
    }
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let variables = self.variables.borrow();
        let resolve =
            |var: &str| variables.netns.get(var).cloned().or_else(|| context::assigned_netns(line, var));
        let completion = context::at(line, pos, &resolve);
        drop(variables);
        let start = match &completion {
            Completion::Path => return self.files.complete(line, pos, ctx),
            Completion::Nothing => return Ok((pos, Vec::new())),
            Completion::Command { start }
            | Completion::HelpTopic { start }
            | Completion::Name { start, .. }
            | Completion::ModuleItem { start, .. }
            | Completion::Netns { start }
            | Completion::Link { start, .. } => *start,
        };
        let pairs = self
            .candidates(&completion, &line[start..pos])
            .into_iter()
            .map(|name| Pair { display: name.clone(), replacement: name })
            .collect();
        Ok((start, pairs))
    }
}

/// A signature shown after the cursor; Right arrow does not insert it.
pub struct Signature(String);

impl Hint for Signature {
    fn display(&self) -> &str {
        &self.0
    }

    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Hinter for Helper {
    type Hint = Signature;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<Signature> {
        if pos < line.len() {
            return None;
        }
        let name = context::current_call(line, pos)?;
        let entry = catalog::lookup(&name).into_iter().next()?;
        Some(Signature(format!("   {}", entry.signature)))
    }
}

impl Highlighter for Helper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color { Cow::Owned(color::dim(hint)) } else { Cow::Borrowed(hint) }
    }

    /// Continuation lines start with indentation; `...` is drawn over its
    /// first columns, so the display keeps the width of the text.
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !line.contains('\n') {
            return Cow::Borrowed(line);
        }
        let marker = if self.color { color::dim("...") } else { "...".to_string() };
        let mut out = String::with_capacity(line.len() + 16);
        for (i, part) in line.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                if let Some(rest) = part.strip_prefix("   ") {
                    out.push_str(&marker);
                    out.push_str(rest);
                    continue;
                }
            }
            out.push_str(part);
        }
        Cow::Owned(out)
    }

    fn highlight_char(&self, line: &str, _pos: usize, _kind: CmdKind) -> bool {
        line.contains('\n')
    }
}

impl Validator for Helper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(&self.parser, ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl rustyline::Helper for Helper {}

/// Enter on an unfinished statement: a new line, indented by how many
/// brackets are open (at least one step, where the `...` goes). Otherwise
/// Enter does what it does, and the validator lets the input through.
struct Continue;

impl ConditionalEventHandler for Continue {
    fn handle(&self, _evt: &Event, _n: RepeatCount, _positive: bool, ctx: &EventContext) -> Option<Cmd> {
        let line = ctx.line();
        if line.trim_start().starts_with(':') || !is_incomplete(&Engine::new_raw(), line) {
            return None;
        }
        let scanner = Scanner::at(line, line.len());
        // Inside a string, a new line is part of it: nothing more goes in.
        if matches!(scanner.mode, Mode::Str { .. }) {
            return Some(Cmd::Insert(1, "\n".into()));
        }
        // In code, a margin to show the nesting; it is taken off again
        // before the input runs (input::strip_margin).
        let depth = scanner.open.len().max(1);
        Some(Cmd::Insert(1, format!("\n{}", "    ".repeat(depth))))
    }
}

pub fn editor(session: &Session) -> rustyline::Result<Editor<Helper, FileHistory>> {
    let config = Config::builder()
        .auto_add_history(false)
        .max_history_size(1000)?
        .history_ignore_dups(true)?
        .completion_type(CompletionType::List)
        // A value's methods and the API's names run past readline's 100:
        // list them without asking first.
        .completion_prompt_limit(400)
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(Helper::new(session)));
    // Ctrl-J is Enter too, as a terminal sends it for a newline.
    for key in [KeyEvent(KeyCode::Enter, Modifiers::NONE), KeyEvent::ctrl('J')] {
        editor.bind_sequence(key, EventHandler::Conditional(Box::new(Continue)));
    }
    Ok(editor)
}

/// $XDG_STATE_HOME/netscript/history, or ~/.local/state/netscript/history.
pub fn history_path() -> Option<PathBuf> {
    let absolute = |var: &str| std::env::var_os(var).map(PathBuf::from).filter(|path| path.is_absolute());
    let state =
        absolute("XDG_STATE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".local/state")))?;
    Some(state.join("netscript").join("history"))
}
