//! Script errors for people: what went wrong, then where, with the line of
//! the script and a caret under the column.
//!
//! ```text
//! error: cannot add veth pair ...: interface name 'veth_internal_ns' is 16 bytes; Linux allows 15
//!  --> lab.rhai:5:1
//!   |
//! 5 | veth_add("veth_internal", "veth_internal_ns");
//!   | ^
//! ```

use rhai::{EvalAltResult, ParseError, Position};

use super::stdlib::module_of;

/// A script's text and the name to show for it.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

pub fn render_parse_error(source: &Source, err: &ParseError) -> String {
    let message = err.err_type().to_string();
    render(source, &format!("syntax error: {message}"), err.position(), &[])
}

pub fn render_eval_error(source: &Source, err: &EvalAltResult) -> String {
    // Errors inside functions come wrapped once per call; the innermost one
    // says what failed, the wrappers say how we got there. A wrapper's
    // position is in the file of the call; a function of a module (the
    // stdlib's, or the user's own) runs in that module's file. The caret goes
    // to the last position in the user's script: the call that led there.
    let mut frames = Vec::new();
    let mut current = err;
    loop {
        match current {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                frames.push(Frame { name: Some(name), file: src, pos: *pos });
                current = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, pos) => {
                frames.push(Frame { name: None, file: path, pos: *pos });
                current = inner;
            }
            _ => break,
        }
    }
    let message = match current {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => {
            // Rhai appends " (line L, position C)"; the caret shows that already.
            let text = other.to_string();
            let suffix = format!(" ({})", other.position());
            text.strip_suffix(&suffix).unwrap_or(&text).to_string()
        }
    };
    // A note per call into a function of the script or into a module; calls
    // inside one module (its helpers) fold into the call that entered it,
    // which then failed at the innermost position in that module.
    let mut caret = current.position();
    let mut file = ""; // "" is the user's script
    let mut entered: Vec<(&Frame, String, Position)> = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        if file.is_empty() {
            caret = frame.pos;
        }
        let failed = frames.get(i + 1).map_or(current.position(), |next| next.pos);
        match entered.last_mut() {
            Some((last, _, last_failed)) if !file.is_empty() && frame.file == file && last.file == file => {
                *last_failed = failed;
            }
            _ => entered.push((frame, where_in(file, frame.pos), failed)),
        }
        file = frame.file;
    }
    if file.is_empty() {
        caret = current.position();
    }
    let mut notes: Vec<String> = entered
        .into_iter()
        .map(|(frame, at, failed)| match (frame.name, frame.file.is_empty()) {
            (Some(name), true) => format!("in function '{name}', called at {at}"),
            (Some(name), false) => format!(
                "in {}::{name}, called at {at} (failed at {})",
                module_name(frame.file),
                where_in(frame.file, failed)
            ),
            (None, _) => format!(
                "in module '{}', imported at {at} (failed at {})",
                frame.file,
                where_in(frame.file, failed)
            ),
        })
        .collect();
    notes.reverse();
    render(source, &message, caret, &notes)
}

struct Frame<'a> {
    name: Option<&'a String>,
    /// The callee's file: "" for the user's script, else a module's source.
    file: &'a str,
    pos: Position,
}

/// A position as a note gives it: a line of the user's script, or file:line.
fn where_in(file: &str, pos: Position) -> String {
    let line = pos.line().unwrap_or(0);
    if file.is_empty() { format!("line {line}") } else { format!("{}:{line}", display_file(file)) }
}

/// A module's source as the user knows it: stdlib/topo.rhai, or the path
/// as imported, with its extension.
fn display_file(file: &str) -> String {
    if module_of(file).is_some() || file.ends_with(".rhai") {
        file.to_string()
    } else {
        format!("{file}.rhai")
    }
}

/// The name a module's functions go by: `topo` of stdlib/topo.rhai.
fn module_name(file: &str) -> &str {
    module_of(file).unwrap_or_else(|| {
        let base = file.rsplit('/').next().unwrap_or(file);
        base.strip_suffix(".rhai").unwrap_or(base)
    })
}

/// Formats a message with its position in the source.
pub fn render(source: &Source, message: &str, pos: Position, notes: &[String]) -> String {
    let mut out = format!("error: {message}\n");
    if let (Some(line), column) = (pos.line(), pos.position().unwrap_or(1)) {
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        out.push_str(&format!("{pad}--> {}:{line}:{column}\n", source.name));
        if let Some(text) = source.text.lines().nth(line - 1) {
            // Tabs would put the caret off; show them as single spaces.
            let text = text.replace('\t', " ");
            out.push_str(&format!(
                "{pad} |\n{line} | {text}\n{pad} | {}^\n",
                " ".repeat(column.saturating_sub(1))
            ));
        }
    } else {
        out.push_str(&format!(" --> {}\n", source.name));
    }
    for note in notes {
        out.push_str(&format!("  = note: {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_column() {
        let source = Source { name: "lab.rhai", text: "let a = 1;\nveth_add(\"a\", \"b\");\n" };
        let out = render(&source, "cannot add veth pair: no", Position::new(2, 5), &[]);
        assert_eq!(
            out,
            "error: cannot add veth pair: no\n --> lab.rhai:2:5\n  |\n2 | veth_add(\"a\", \"b\");\n  |     ^\n"
        );
    }

    #[test]
    fn an_error_in_a_stdlib_function_points_at_the_call_in_the_script() {
        let text = "import \"topo\" as topo;\nfn build() {\n    topo::star(3, \"br0\", \"10.0.0.0/24\", #{prefx: 1});\n}\nbuild();\n";
        let mut engine = rhai::Engine::new();
        engine.set_module_resolver(super::super::stdlib::Resolver::new(None));
        let err = engine.run(text).unwrap_err();
        let out = render_eval_error(&Source { name: "lab.rhai", text }, &err);
        let topo = super::super::stdlib::MODULES[0].1;
        let throw_line = topo.lines().position(|line| line.contains("unknown option")).unwrap() + 1;
        assert_eq!(
            out,
            format!(
                "error: topo::star: unknown option 'prefx'; the options are: prefix, bridge_ns, ipv6, and link options \
                 (rate, delay, jitter, loss, ...)\n \
                 --> lab.rhai:3:11\n  |\n3 |     topo::star(3, \"br0\", \"10.0.0.0/24\", #{{prefx: 1}});\n  \
                 |           ^\n  = note: in topo::star, called at line 3 (failed at stdlib/topo.rhai:{throw_line})\n  \
                 = note: in function 'build', called at line 5\n"
            )
        );
    }

    #[test]
    fn an_error_in_a_module_of_the_user_names_its_file() {
        let at = |line| Position::new(line, 1);
        let inner = EvalAltResult::ErrorRuntime("no".into(), at(7));
        let helper =
            EvalAltResult::ErrorInFunctionCall("helper".into(), "lib/mine".into(), inner.into(), at(3));
        let call = EvalAltResult::ErrorInFunctionCall("make".into(), "lib/mine".into(), helper.into(), at(2));
        let source = Source { name: "x.rhai", text: "import \"lib/mine\" as m;\nm::make();\n" };
        assert_eq!(
            render_eval_error(&source, &call),
            "error: no\n --> x.rhai:2:1\n  |\n2 | m::make();\n  | ^\n  \
             = note: in mine::make, called at line 2 (failed at lib/mine.rhai:7)\n"
        );
    }

    #[test]
    fn runtime_errors_keep_their_words() {
        let source = Source { name: "x.rhai", text: "boom();" };
        let err = EvalAltResult::ErrorRuntime("it broke".into(), Position::new(1, 1));
        assert!(render_eval_error(&source, &err).starts_with("error: it broke\n --> x.rhai:1:1\n"));
    }
}
