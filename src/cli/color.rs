//! Colour, on terminals only. The one place that decides: a stream gets
//! colour when it is a terminal, NO_COLOR is unset or empty (no-color.org)
//! and TERM is not "dumb".

use crate::output::errout;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::OnceLock;

const RED: &str = "\x1b[1;31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";
const BLUE: &str = "\x1b[1;34m";
const DIM: &str = "\x1b[2m";

/// The decision itself, from the environment and whether the stream is a terminal.
pub fn decide(no_color: Option<&OsStr>, term: Option<&OsStr>, is_terminal: bool) -> bool {
    let no_color = no_color.is_some_and(|value| !value.is_empty());
    let dumb = term.is_some_and(|term| term == "dumb");
    is_terminal && !no_color && !dumb
}

fn from_env(is_terminal: bool) -> bool {
    decide(std::env::var_os("NO_COLOR").as_deref(), std::env::var_os("TERM").as_deref(), is_terminal)
}

pub fn stderr() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| from_env(std::io::stderr().is_terminal()))
}

pub fn stdout() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| from_env(std::io::stdout().is_terminal()))
}

/// Bold, for table headers, when `on`.
pub fn bold(text: &str, on: bool) -> String {
    if on { format!("{BOLD}{text}{RESET}") } else { text.to_string() }
}

/// Prints an error to stderr, coloured on a terminal.
pub fn eprint_error(text: &str) {
    if stderr() { errout!("{}", error(text)) } else { errout!("{text}") }
}

/// Paints an error rendered by `script::render`.
pub fn error(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |body| (body, "\n"));
        if let Some(rest) = body.strip_prefix("error:") {
            out.push_str(&format!("{RED}error:{RESET}{rest}"));
        } else if let Some((gutter, rest)) =
            body.split_once(" | ").or_else(|| body.split_once(" |").filter(|(_, r)| r.is_empty()))
        {
            let is_caret = rest.trim_start().starts_with('^') && rest.trim() == "^";
            let gutter = format!("{BLUE}{gutter} |{RESET}");
            if is_caret {
                out.push_str(&format!("{gutter} {RED}{rest}{RESET}"));
            } else if rest.is_empty() {
                out.push_str(&gutter);
            } else {
                out.push_str(&format!("{gutter} {rest}"));
            }
        } else if let Some((pad, place)) = body.split_once("--> ") {
            out.push_str(&format!("{pad}{BLUE}-->{RESET} {place}"));
        } else {
            out.push_str(body);
        }
        out.push_str(newline);
    }
    out
}

/// Dim text, for hints.
pub fn dim(text: &str) -> String {
    format!("{DIM}{text}{RESET}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let set = |v: &'static str| Some(OsStr::new(v));
        assert!(decide(None, set("xterm-256color"), true));
        assert!(!decide(None, set("xterm"), false));
        assert!(!decide(set("1"), set("xterm"), true));
        // An empty NO_COLOR does not count, as no-color.org says.
        assert!(decide(set(""), None, true));
        assert!(!decide(None, set("dumb"), true));
    }

    #[test]
    fn bold_headers() {
        assert_eq!(bold("LAB", true), "\x1b[1mLAB\x1b[0m");
        assert_eq!(bold("LAB", false), "LAB");
    }

    #[test]
    fn errors_are_painted_line_by_line() {
        let plain =
            "error: no link named 'x'\n --> <input>:1:1\n  |\n1 | link_up(\"x\")\n  | ^\nrolled back\n";
        let painted = error(plain);
        assert_eq!(
            painted,
            "\x1b[1;31merror:\x1b[0m no link named 'x'\n \x1b[1;34m-->\x1b[0m <input>:1:1\n\x1b[1;34m  |\x1b[0m\n\
             \x1b[1;34m1 |\x1b[0m link_up(\"x\")\n\x1b[1;34m  |\x1b[0m \x1b[1;31m^\x1b[0m\nrolled back\n"
        );
        // Without the escapes it is the same text.
        let stripped = painted.replace("\x1b[1;31m", "").replace("\x1b[1;34m", "").replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }
}
