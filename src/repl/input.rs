//! When an input is whole. The editor asks on Enter, and stdin is read
//! until it is: an open brace, an unfinished expression or an unterminated
//! string goes on on the next line, and so does a line ending in `\`.

use rhai::{Engine, LexError, ParseErrorType, Position};

use crate::script::scan::{Mode, Scanner};

/// Whether `text` is a statement that goes on past its end.
pub fn is_incomplete(engine: &Engine, text: &str) -> bool {
    if continues(text, text.trim_end().len()) {
        return true;
    }
    let text = join_continuations(text);
    let Err(err) = engine.compile(&text) else {
        return false;
    };
    match err.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        // Only a backtick string spans lines, and a `"` string whose line
        // ends in `\`; a `"` string open at the end of its line is wrong at
        // once, whatever follows. And only while it is still open at the
        // end: one closed on a later line ("a<Enter>b") stays wrong.
        ParseErrorType::BadInput(LexError::UnterminatedString) => match Scanner::at(&text, text.len()).mode {
            Mode::Str { quote: '`', .. } => true,
            Mode::Str { .. } => text.trim_end_matches([' ', '\t']).ends_with('\\'),
            _ => false,
        },
        ParseErrorType::MissingToken(..) => at_end(&text, err.position()),
        _ => false,
    }
}

/// Whether the line that ends at byte `end` ends in a `\` of code (in a
/// string, Rhai reads a `\` at the end of a line itself).
fn continues(text: &str, end: usize) -> bool {
    let line = text[..end].trim_end_matches([' ', '\t']);
    line.ends_with('\\') && Scanner::at(text, line.len() - 1).mode == Mode::Code
}

/// The text without the `\` that continued its lines; line numbers stay.
pub fn join_continuations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, _) in text.match_indices('\n').chain([(text.len(), "")]) {
        let line = &text[start..i];
        if continues(text, i) {
            out.push_str(line.trim_end_matches([' ', '\t']).strip_suffix('\\').unwrap_or(line));
        } else {
            out.push_str(line);
        }
        if i < text.len() {
            out.push('\n');
        }
        start = i + 1;
    }
    out
}

/// The text as typed: the margin the editor puts in front of a
/// continuation line (in code, never inside a string) taken off again, so
/// that the program and the columns of its errors are what was typed.
pub fn strip_margin(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let in_code = i > 0 && Scanner::at(text, start).mode == Mode::Code;
        out.push_str(if in_code { line.trim_start_matches([' ', '\t']) } else { line });
        start += line.len() + 1;
    }
    out
}

/// Whether a parse error is at (or past) the end of the text: what is
/// missing may still come.
fn at_end(text: &str, pos: Position) -> bool {
    let text = text.trim_end();
    let last_line = text.lines().count().max(1);
    let last_column = text.lines().last().map_or(0, |line| line.chars().count());
    match (pos.line(), pos.position()) {
        (Some(line), Some(column)) => line > last_line || line == last_line && column > last_column,
        (Some(line), None) => line > last_line,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete(text: &str) -> bool {
        is_incomplete(&Engine::new_raw(), text)
    }

    #[test]
    fn unfinished_statements_go_on() {
        for text in [
            "for i in 1..=3 {",
            "for i in 1..=3 {\n  netns_add(`h${i}`);",
            "let x = (1 + 2",
            "let x = ",
            "f(1,",
            "if up { link_up(\"a\") } else",
            "let m = #{a: 1",
            "`multi\nline",
            "\"long \\",
            "link_up(\"a\") \\",
            "let a = 1 +   \\  ",
        ] {
            assert!(incomplete(text), "{text:?} should be incomplete");
        }
    }

    #[test]
    fn whole_or_wrong_statements_run() {
        for text in [
            "",
            "let x = 1",
            "netns_add(\"a\");",
            "for i in 1..=3 {\n  netns_add(`h${i}`);\n}",
            "x)",
            "let = 5",
            "}",
            "f(\"a\" \"b\")",
            "print(\"a\\\\\")",
            "netns_add(\"ab\n    \")",
            // A `"` string does not go on to the next line: wrong at once.
            "\"abc",
            "netns_add(\"red",
        ] {
            assert!(!incomplete(text), "{text:?} should be whole");
        }
    }

    #[test]
    fn the_margin_of_continuation_lines_goes_but_not_inside_strings() {
        assert_eq!(strip_margin("for i in 0..2 {\n    print(i);\n    }"), "for i in 0..2 {\nprint(i);\n}");
        assert_eq!(strip_margin("let s = `a\n  b`;\n  print(s)"), "let s = `a\n  b`;\nprint(s)");
        assert_eq!(strip_margin("  one"), "  one");
    }

    #[test]
    fn backslashes_that_continue_lines_go() {
        assert_eq!(join_continuations("link_up(\\\n  \"a\");"), "link_up(\n  \"a\");");
        assert_eq!(join_continuations("let a = 1 + \\  \n2"), "let a = 1 + \n2");
        assert_eq!(join_continuations("print(\"a\\\\\")"), "print(\"a\\\\\")");
    }
}
