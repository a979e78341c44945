//! The session's successful inputs, to write as a script with `:save`: run
//! by `netscript`, it builds the lab the session built.

use crate::script::scan::{Mode, Scanner, code_end};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Typed (or piped) in.
    Typed,
    /// A script run with `:load`, inlined with the parameters it was given.
    Loaded { path: String, params: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Input {
    text: String,
    kind: Kind,
    /// Whether it changed the lab or asked it anything: after `:down`,
    /// such an input would build what is gone, or find it missing.
    uses_lab: bool,
}

#[derive(Debug, Default)]
pub struct Transcript {
    inputs: Vec<Input>,
}

impl Transcript {
    pub fn push(&mut self, text: &str, kind: Kind, uses_lab: bool) {
        self.inputs.push(Input { text: text.to_string(), kind, uses_lab });
    }

    /// The lab was taken down: what built it or looked at it is gone, while
    /// functions and variables that had nothing to do with it stay for
    /// later inputs.
    pub fn forget_lab_changes(&mut self) {
        self.inputs.retain(|input| !input.uses_lab);
    }

    /// Why the script cannot run, if it uses a variable none of its inputs
    /// make (one an input made that `:down` took away).
    pub fn check(&self, script: &str) -> Result<(), String> {
        let mut engine = rhai::Engine::new_raw();
        engine.set_strict_variables(true);
        match engine.compile(script) {
            Ok(_) => Ok(()),
            Err(err) => Err(match err.err_type() {
                rhai::ParseErrorType::VariableUndefined(name) => format!(
                    "line {} of the script uses '{name}', which an input before `:down` made; \
                     after `:down` the session's inputs start again: make it again and :save",
                    err.position().line().unwrap_or(0)
                ),
                other => format!("the script would not run: {other}"),
            }),
        }
    }

    /// The parameters the loaded scripts were given, for the saved script's
    /// command line; a key given two values is a conflict to warn about.
    pub fn params(&self) -> (Vec<String>, Vec<String>) {
        let mut given: Vec<String> = Vec::new();
        let mut conflicts = Vec::new();
        for input in &self.inputs {
            let Kind::Loaded { params, .. } = &input.kind else { continue };
            for param in params {
                let key = param.split('=').next().unwrap_or_default();
                match given.iter().find(|p| p.split('=').next() == Some(key)) {
                    Some(p) if p != param => conflicts.push(key.to_string()),
                    Some(_) => {}
                    None => given.push(param.clone()),
                }
            }
        }
        (given, conflicts)
    }

    /// The script: every input in order, each ending in `;` so that the next
    /// one is a statement of its own.
    pub fn script(&self, lab: &str, file: &str) -> String {
        let (params, _) = self.params();
        let run = if params.is_empty() { file.to_string() } else { format!("{file} {}", params.join(" ")) };
        let mut out =
            format!("// Saved from a netscript REPL session on lab '{lab}'.\n// Run: netscript {run}\n\n");
        for input in &self.inputs {
            if let Kind::Loaded { path, params } = &input.kind {
                let with = if params.is_empty() { String::new() } else { format!(" {}", params.join(" ")) };
                out.push_str(&format!("// :load {path}{with}\n"));
            }
            let text = match input.kind {
                Kind::Typed => reindent(&input.text),
                Kind::Loaded { .. } => input.text.clone(),
            };
            out.push_str(&terminated(&text));
            out.push('\n');
        }
        out
    }
}

/// Typed lines indented by the brackets open at their start, four spaces a
/// level: the editor's continuation margin does not belong in the script.
/// Lines that start inside a string are left as they are.
fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let scanner = Scanner::at(text, start);
        start += line.len() + 1;
        let body = line.trim_start();
        if i == 0 || scanner.mode != Mode::Code || body.is_empty() {
            out.push_str(if i == 0 || scanner.mode != Mode::Code { line } else { body });
            continue;
        }
        let closes = body.starts_with(['}', ')', ']']);
        let depth = scanner.open.len().saturating_sub(usize::from(closes));
        out.push_str(&"    ".repeat(depth));
        out.push_str(body);
    }
    out
}

/// `text` with a `;` after its last code, unless a statement may follow it
/// as it is (it ends in `;`, or in a block such as a loop's).
fn terminated(text: &str) -> String {
    let text = text.trim_end();
    let end = code_end(text);
    let followable = || rhai::Engine::new_raw().compile(format!("{text}\n0")).is_ok();
    if end == 0 || text[..end].ends_with(';') || followable() {
        return text.to_string();
    }
    format!("{};{}", &text[..end], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_become_statements() {
        let mut transcript = Transcript::default();
        transcript.push("fn up(ns) { ns.link_up(\"lo\") }", Kind::Typed, false);
        transcript.push("let red = netns_add(\"red\") // the first", Kind::Typed, true);
        transcript.push("red.link_up(\"lo\");", Kind::Typed, true);
        transcript.push(
            "let n = param(\"hosts\", 1);\n",
            Kind::Loaded { path: "star.rhai".into(), params: vec!["hosts=3".into()] },
            true,
        );
        assert_eq!(
            transcript.script("repl", "lab.rhai"),
            "// Saved from a netscript REPL session on lab 'repl'.\n// Run: netscript lab.rhai hosts=3\n\n\
             fn up(ns) { ns.link_up(\"lo\") }\n\
             let red = netns_add(\"red\"); // the first\n\
             red.link_up(\"lo\");\n\
             // :load star.rhai hosts=3\n\
             let n = param(\"hosts\", 1);\n"
        );
        transcript.forget_lab_changes();
        assert_eq!(transcript.inputs.len(), 1);
    }

    #[test]
    fn typed_lines_lose_the_continuation_margin() {
        let typed = "for i in 1..=2 {\n    let h = netns_add(`h${i}`);\n    if i > 1 {\n        h.link_up(\"lo\");\n        }\n    }";
        assert_eq!(
            reindent(typed),
            "for i in 1..=2 {\n    let h = netns_add(`h${i}`);\n    if i > 1 {\n        h.link_up(\"lo\");\n    }\n}"
        );
        let string = "let s = `a\n   b`;\n  print(s)";
        assert_eq!(reindent(string), "let s = `a\n   b`;\nprint(s)");
    }

    #[test]
    fn conflicting_parameters_are_reported() {
        let mut transcript = Transcript::default();
        let load = |p: &str| Kind::Loaded { path: "a.rhai".into(), params: vec![p.into()] };
        transcript.push("1", load("n=1"), false);
        transcript.push("2", load("n=1"), false);
        transcript.push("3", load("n=2"), false);
        assert_eq!(transcript.params(), (vec!["n=1".to_string()], vec!["n".to_string()]));
    }

    #[test]
    fn a_saved_script_parses() {
        let mut transcript = Transcript::default();
        for text in [
            "fn f() { 1 }",
            "let m = #{a: 1}",
            "for i in 0..2 { f() }",
            "if true { 1 } else { 2 }",
            "// only a comment",
        ] {
            transcript.push(text, Kind::Typed, false);
        }
        let script = transcript.script("repl", "x.rhai");
        rhai::Engine::new_raw().compile(&script).unwrap_or_else(|err| panic!("{err}:\n{script}"));
    }
}
