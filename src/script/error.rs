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
    // Errors inside script functions come wrapped once per call; the
    // innermost one says what failed and where, the wrappers say how we got there.
    let mut notes = Vec::new();
    let mut current = err;
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) = current {
        notes.push(format!("in function '{name}', called at line {}", pos.line().unwrap_or(0)));
        current = inner;
    }
    notes.reverse();
    let message = match current {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => {
            // Rhai appends " (line L, position C)"; the caret shows that already.
            let text = other.to_string();
            let suffix = format!(" ({})", other.position());
            text.strip_suffix(&suffix).unwrap_or(&text).to_string()
        }
    };
    render(source, &message, current.position(), &notes)
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
    fn runtime_errors_keep_their_words() {
        let source = Source { name: "x.rhai", text: "boom();" };
        let err = EvalAltResult::ErrorRuntime("it broke".into(), Position::new(1, 1));
        assert!(render_eval_error(&source, &err).starts_with("error: it broke\n --> x.rhai:1:1\n"));
    }
}
