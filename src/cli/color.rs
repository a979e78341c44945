//! Colour, on terminals only. The one place that decides: a stream gets
//! colour when it is a terminal, NO_COLOR is unset or empty (no-color.org)
//! and TERM is not "dumb".

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::OnceLock;

const RED_BOLD: &str = "\x1b[1;31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

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

/// `error:` at the start of `text` (an error message, one or more lines),
/// in bold red when `on`.
pub fn error_header(text: &str, on: bool) -> String {
    match text.strip_prefix("error:") {
        Some(rest) if on => format!("{RED_BOLD}error:{RESET}{rest}"),
        _ => text.to_string(),
    }
}

/// Bold, for table headers, when `on`.
pub fn bold(text: &str, on: bool) -> String {
    if on { format!("{BOLD}{text}{RESET}") } else { text.to_string() }
}

/// Prints an error to stderr, its `error:` header coloured on a terminal.
pub fn eprint_error(text: &str) {
    eprint!("{}", error_header(text, stderr()));
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
    fn only_the_header_is_painted() {
        assert_eq!(
            error_header("error: no link\n --> a:1:1\n", true),
            "\x1b[1;31merror:\x1b[0m no link\n --> a:1:1\n"
        );
        assert_eq!(error_header("error: no link\n", false), "error: no link\n");
        assert_eq!(error_header("warning: x", true), "warning: x");
        assert_eq!(bold("LAB", true), "\x1b[1mLAB\x1b[0m");
        assert_eq!(bold("LAB", false), "LAB");
    }
}
