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

use rhai::{EvalAltResult, LexError, ParseError, ParseErrorType, Position};

use crate::ops::describe_char;

use super::forms::{self, Point};
use super::stdlib::module_of;

/// A script's text and the name to show for it.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

pub fn render_parse_error(source: &Source, err: &ParseError) -> String {
    render(source, &syntax_error(err.err_type()), err.position(), &[])
}

/// A syntax error in words; a character that cannot be seen is named.
fn syntax_error(err: &ParseErrorType) -> String {
    if let ParseErrorType::BadInput(LexError::UnexpectedInput(text)) = err
        && let Some(c) = text.chars().next()
        && text.chars().count() == 1
        && (c.is_control() || c.is_whitespace() || c == '\u{feff}')
    {
        return format!("syntax error: unexpected character: {}", describe_char(c));
    }
    if let ParseErrorType::ExprTooDeep = err {
        return format!(
            "syntax error: this is nested deeper than a script may nest expressions and blocks ({} levels)",
            super::MAX_EXPR_DEPTH
        );
    }
    format!("syntax error: {err}")
}

/// A script's text without the byte-order mark some editors put first.
pub fn without_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
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
                // The text given to eval is a file of its own, with no name.
                let file = if name == "eval" && src.is_empty() { EVAL } else { src.as_str() };
                frames.push(Frame { name: Some(name), file, pos: *pos });
                current = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, pos) => {
                frames.push(Frame { name: None, file: path, pos: *pos });
                current = inner;
            }
            _ => break,
        }
    }
    let mut extra_notes = Vec::new();
    let mut caret_override = None;
    let message = match current {
        EvalAltResult::ErrorRuntime(value, _) if value.is_unit() => {
            "the script stopped at a `throw` that gives no reason; write what went wrong: throw \"...\";"
                .to_string()
        }
        EvalAltResult::ErrorRuntime(value, _) if value.is_string() && value.to_string().trim().is_empty() => {
            "the script stopped at a `throw` with an empty message; write what went wrong: throw \"...\";"
                .to_string()
        }
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorParsing(err, _) => syntax_error(err),
        EvalAltResult::ErrorDotExpr(text, _) if forms::explain_property(text).is_some() => {
            forms::explain_property(text).unwrap_or_default()
        }
        EvalAltResult::ErrorFunctionNotFound(signature, pos) => {
            let at = offset_of(source.text, *pos);
            let method = at.is_some_and(|at| source.text[..at].trim_end().ends_with('.'));
            let explained = forms::explain(signature, method, source.text);
            caret_override = at.and_then(|at| caret_in_call(source.text, at, explained.at, method));
            extra_notes = explained.notes;
            explained.message
        }
        EvalAltResult::ErrorDataTooLarge(what, _) => too_large(what),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "functions call functions more than {} deep, the most a script may (a recursion that never ends?)",
            super::MAX_CALL_LEVELS
        ),
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
        caret = caret_override.unwrap_or(current.position());
    }
    let mut notes: Vec<String> = entered
        .into_iter()
        .map(|(frame, at, failed)| match (frame.name, frame.file.is_empty()) {
            _ if frame.file == EVAL => format!(
                "in the text given to eval, called at {at} (failed at its line {}, column {})",
                failed.line().unwrap_or(1),
                failed.position().unwrap_or(1)
            ),
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
    notes.extend(extra_notes);
    render(source, &message, caret, &notes)
}

/// The file of the text given to `eval`.
const EVAL: &str = "\0eval";
/// Why a value is refused, for Rhai's words about its own limits.
fn too_large(what: &str) -> String {
    let runaway = "a limit so that a runaway loop fails here instead of taking all memory";
    match what {
        "Length of string" => {
            format!(
                "this string would be longer than {} MiB, the most a script may make: {runaway}",
                super::MAX_STRING >> 20
            )
        }
        "Size of object map" => {
            format!(
                "this map would hold more than {} entries, the most a script may make: {runaway}",
                super::MAX_ITEMS
            )
        }
        _ => format!(
            "this array would hold more than {} items (nested arrays counted), the most a script may make: {runaway}",
            super::MAX_ITEMS
        ),
    }
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

/// The byte offset of a position (line and column, in characters) in `text`.
fn offset_of(text: &str, pos: Position) -> Option<usize> {
    let (line, column) = (pos.line()?, pos.position().unwrap_or(1));
    let start = if line == 1 { 0 } else { text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)? };
    let line_text = &text[start..];
    let within = line_text.char_indices().nth(column - 1).map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

/// The position of byte `offset` of `text`.
fn position_at(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position::new(line as u16, column as u16)
}

/// Where the caret goes for a point of the call whose name is at byte
/// `name_at`: an argument, or its closing bracket.
fn caret_in_call(text: &str, name_at: usize, point: Point, method: bool) -> Option<Position> {
    let (args, close) = forms::call_spans(text, name_at)?;
    let at = match point {
        Point::Name => return None,
        Point::End => close,
        // The receiver of a method call is argument 0, before the name.
        Point::Arg(0) if method => return None,
        Point::Arg(i) => *args.get(if method { i - 1 } else { i }).unwrap_or(&close),
    };
    Some(position_at(text, at))
}

/// Formats a message with its position in the source.
pub fn render(source: &Source, message: &str, pos: Position, notes: &[String]) -> String {
    let mut out = format!("error: {message}\n");
    if let (Some(line), column) = (pos.line(), pos.position().unwrap_or(1)) {
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        out.push_str(&format!("{pad}--> {}:{line}:{column}\n", source.name));
        if let Some(text) = source.text.lines().nth(line - 1) {
            // Tabs would put the caret off; show them as single spaces, and
            // other characters that cannot be seen as their pictures (␀).
            let text: String = text
                .chars()
                .map(|c| match c {
                    '\t' => ' ',
                    c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
                    '\u{7f}' => '\u{2421}',
                    '\u{feff}' => '\u{2423}',
                    c => c,
                })
                .collect();
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

/// A rendered error for a terminal `width` columns wide: a source line
/// wider than that is cut to a window around the caret (`…` where text is
/// left out), so that the terminal does not wrap it and the caret stays
/// under its token.
pub fn fit_to_width(rendered: &str, width: usize) -> String {
    let lines: Vec<&str> = rendered.split_inclusive('\n').collect();
    let mut out = String::with_capacity(rendered.len());
    let mut i = 0;
    while i < lines.len() {
        let source = lines[i].trim_end_matches('\n');
        let caret = lines.get(i + 1).map(|l| l.trim_end_matches('\n'));
        let parts = source.split_once(" | ").zip(caret.and_then(|c| c.split_once(" | ")));
        let Some(((gutter, text), (pad, marks))) = parts.filter(|((g, _), (p, _))| {
            !g.trim().is_empty() && g.trim().chars().all(|c| c.is_ascii_digit()) && p.trim().is_empty()
        }) else {
            out.push_str(lines[i]);
            i += 1;
            continue;
        };
        let lead = gutter.chars().count() + 3;
        let room = width.saturating_sub(lead);
        let chars: Vec<char> = text.chars().collect();
        let column = marks.chars().take_while(|c| *c == ' ').count();
        if chars.len() <= room || room < 20 {
            out.push_str(lines[i]);
            out.push_str(lines[i + 1]);
            i += 2;
            continue;
        }
        // A window of `room` columns with the caret a third of the way in.
        let start = column.saturating_sub(room / 3).min(chars.len().saturating_sub(room - 1));
        let cut_left = start > 0;
        let mut end = (start + room).min(chars.len());
        let cut_right = end < chars.len();
        if cut_right {
            end -= 1;
        }
        let body: String = chars[start + usize::from(cut_left)..end].iter().collect();
        let shown = format!("{}{body}{}", if cut_left { "…" } else { "" }, if cut_right { "…" } else { "" });
        out.push_str(&format!("{gutter} | {shown}\n{pad} | {}^\n", " ".repeat(column - start)));
        i += 2;
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
    fn a_long_line_is_cut_around_the_caret_on_a_narrow_terminal() {
        let text = format!("let x = 1; {}link_up(\"nope\");", "netns_add(\"a\"); ".repeat(6));
        let source = Source { name: "<input>", text: &text };
        let column = text.find("link_up").unwrap() + 1;
        let out = render(&source, "no", Position::new(1, column as u16), &[]);
        let fitted = fit_to_width(&out, 40);
        let lines: Vec<&str> = fitted.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{fitted}");
        let (code, caret) = (lines[3], lines[4]);
        let at = caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(code.chars().skip(at).take(7).collect::<String>(), "link_up", "{fitted}");
        assert!(code.starts_with("1 | …"), "{fitted}");
        // Short lines stay as they are.
        assert_eq!(fit_to_width(&out, 200), out);
    }

    #[test]
    fn runtime_errors_keep_their_words() {
        let source = Source { name: "x.rhai", text: "boom();" };
        let err = EvalAltResult::ErrorRuntime("it broke".into(), Position::new(1, 1));
        assert!(render_eval_error(&source, &err).starts_with("error: it broke\n --> x.rhai:1:1\n"));
    }
}
