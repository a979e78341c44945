//! Colour for a terminal: errors as the scripts print them, with `error:`
//! in red, the place and gutter in blue and the caret in red.

use std::io::IsTerminal;

const RED: &str = "\x1b[1;31m";
const BLUE: &str = "\x1b[1;34m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Colour only on a terminal, and never when NO_COLOR is set (to anything).
pub fn wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
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
