//! A session: one engine, one lab, and what persists from one input to the
//! next (variables, functions, imported modules). Each input runs whole or
//! not at all: when it fails, what it changed in the kernel is rolled back
//! and its variables are set back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};

use super::show;
use super::transcript::{Kind, Transcript};
use crate::cli::{color, rollback};
use crate::ops::Netns;
use crate::output::{errln, errout, out, outln};
use crate::script::scan::top_level_imports;
use crate::script::{self, Params, Shared, Source};
use crate::{bug, interrupt};

/// The session's variables, for completion: all names, and the namespace
/// of those that hold one.
#[derive(Debug, Default)]
pub struct Variables {
    pub names: Vec<String>,
    pub netns: HashMap<String, Netns>,
    /// The type of each (Netns, Cidr, map, ...), for the methods to offer.
    pub types: HashMap<String, String>,
    /// Modules imported: alias -> path (`t` -> `topo`).
    pub modules: HashMap<String, String>,
}

pub struct Session {
    pub engine: Engine,
    pub lab: Shared,
    pub lab_name: String,
    /// A failed input keeps what it built (--keep).
    pub keep: bool,
    /// The lab was up before the session: it holds more than the transcript.
    pub resumed: bool,
    pub params: Rc<RefCell<Params>>,
    scope: Scope<'static>,
    /// The functions defined so far.
    functions: AST,
    /// The `import` statements that succeeded, run again before each input
    /// (the module resolver caches what they load).
    imports: AST,
    pub transcript: Transcript,
    /// Where each function was defined (source name and text), to show the
    /// line of an error inside it.
    fn_sources: HashMap<String, (String, String)>,
    pub variables: Rc<RefCell<Variables>>,
    interrupted: Arc<AtomicBool>,
    /// Errors in colour.
    pub color: bool,
    /// -v: a rollback lists every change it undid.
    pub verbose: bool,
}

impl Session {
    pub fn new(lab: Shared, lab_name: String, keep: bool) -> Self {
        let params = Rc::new(RefCell::new(Params::default()));
        let mut engine = script::engine(&lab, &params, None);
        let interrupted = lab.borrow().interrupt_flag();
        // Checked between steps, so that Ctrl-C stops even an endless loop.
        let flag = interrupted.clone();
        engine.on_progress(move |_| flag.load(Ordering::Relaxed).then(|| Dynamic::from("interrupted")));
        Session {
            engine,
            lab,
            lab_name,
            keep,
            resumed: false,
            params,
            scope: Scope::new(),
            functions: AST::empty(),
            imports: AST::empty(),
            transcript: Transcript::default(),
            fn_sources: HashMap::new(),
            variables: Rc::default(),
            interrupted,
            color: false,
            verbose: false,
        }
    }

    /// Runs one input: typed, piped, or a loaded script (named `name` in
    /// errors, where its first line is line `first_line`). Prints its result,
    /// or its error and what was rolled back. True when it succeeded.
    pub fn eval(&mut self, name: &str, text: &str, first_line: usize, kind: Kind) -> bool {
        // Blank lines in front put errors at their line in the whole input.
        let padded = format!("{}{text}", "\n".repeat(first_line.saturating_sub(1)));
        let source = Source { name, text: &padded };
        let ast = match self.engine.compile_with_scope(&self.scope, &padded) {
            Ok(ast) => ast,
            Err(err) => {
                self.print_error(&script::render_parse_error(&source, &err));
                return false;
            }
        };
        let mark = self.lab.borrow().mark();
        let touches = self.lab.borrow().touches();
        let scope_before = self.scope.clone();
        self.interrupted.store(interrupt::is_stdout_closed(), Ordering::Relaxed);
        interrupt::reset();
        let program = self.imports.merge(&self.functions.merge(&ast));
        let result = bug::catch(|| self.engine.eval_ast_with_scope::<Dynamic>(&mut self.scope, &program))
            // A bug in netscript: the input is rolled back all the same.
            .unwrap_or_else(|report| {
                Err(EvalAltResult::ErrorRuntime(report.into(), rhai::Position::NONE).into())
            });
        // A signal during the input's last step fails it too.
        let result = match result {
            Ok(_) if self.interrupted.load(Ordering::Relaxed) => {
                Err(EvalAltResult::ErrorTerminated(Dynamic::UNIT, rhai::Position::NONE).into())
            }
            other => other,
        };
        // Reset for the next input: a Ctrl-C stops only the one it hit.
        self.interrupted.store(false, Ordering::Relaxed);
        let result = result.and_then(|value| match self.params.borrow().check_all_used() {
            Ok(()) => Ok(value),
            Err(err) => Err(err.into()),
        });
        match result {
            Ok(value) => {
                for function in ast.iter_functions() {
                    self.fn_sources.insert(function.name.to_string(), (name.to_string(), padded.clone()));
                }
                self.functions = self.functions.merge(&ast);
                self.functions.clear_statements();
                self.keep_imports(text);
                // An input that asked the lab anything depends on it, as
                // one that changed it does: `:down` takes both away.
                let lab = self.lab.borrow();
                let uses_lab = lab.mark() != mark || lab.touches() != touches;
                drop(lab);
                self.transcript.push(text, kind, uses_lab);
                self.note_variables();
                if let Some(text) = show::result(&self.engine, &value) {
                    if self.lab.borrow().net().is_dry_run() {
                        // The output is a script: values are comments in it.
                        text.lines().for_each(|line| outln!("# {line}"));
                    } else {
                        out!("{text}");
                    }
                }
                true
            }
            Err(err) => {
                // An error inside a function points into the input that defined it.
                let defined = innermost_function(&err)
                    .filter(|f| !ast.iter_functions().any(|def| def.name == *f))
                    .and_then(|f| self.fn_sources.get(f));
                let source = defined.map_or(source, |(name, text)| Source { name, text });
                let message = if matches!(*err, EvalAltResult::ErrorTerminated(..)) {
                    script::render(&source, &interrupt::message(), err.position(), &[])
                } else {
                    script::render_eval_error(&source, &err)
                };
                self.print_error(&message);
                self.scope = scope_before;
                if self.keep {
                    errln!("kept what this input built (--keep)");
                } else {
                    if self.lab.borrow().net().is_dry_run() {
                        outln!("# The input failed here; netscript undoes what it did, newest first:");
                    }
                    let report = self.lab.borrow_mut().rollback_to(mark);
                    errout!("{}", rollback::describe(&report, "of this input", self.verbose, &self.lab_name));
                }
                self.note_variables();
                false
            }
        }
    }

    fn keep_imports(&mut self, text: &str) {
        for import in top_level_imports(text) {
            // import "PATH" as ALIAS;
            let mut parts = import.split('"');
            if let (Some(path), Some(rest)) = (parts.nth(1), parts.next())
                && let Some(alias) = rest.trim().strip_prefix("as ")
            {
                let alias = alias.trim().trim_end_matches(';').trim();
                self.variables.borrow_mut().modules.insert(alias.to_string(), path.to_string());
            }
        }
        let imports = top_level_imports(text).join("\n");
        if !imports.is_empty()
            && let Ok(ast) = self.engine.compile(&imports)
        {
            self.imports = self.imports.merge(&ast);
        }
    }

    fn note_variables(&self) {
        let mut variables = self.variables.borrow_mut();
        variables.names.clear();
        variables.netns.clear();
        variables.types.clear();
        for (name, _, value) in self.scope.iter() {
            variables.names.push(name.to_string());
            variables
                .types
                .insert(name.to_string(), value.type_name().rsplit("::").next().unwrap_or("").to_string());
            if let Some(ns) = value.try_cast::<Netns>() {
                variables.netns.insert(name.to_string(), ns);
            }
        }
    }

    pub fn print_error(&self, text: &str) {
        // On a narrow terminal the line is cut around the caret, which
        // stays under its token.
        let text = match crate::cli::term::stderr_width() {
            Some(width) => script::fit_to_width(text, width),
            None => text.to_string(),
        };
        if self.color { errout!("{}", color::error(&text)) } else { errout!("{text}") }
    }
}

/// The function an error happened in, the innermost of nested calls.
fn innermost_function(err: &EvalAltResult) -> Option<&str> {
    let mut found = None;
    let mut current = err;
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, _) = current {
        found = Some(name.as_str());
        current = inner;
    }
    found
}
