//! A light lexical pass over Rhai text: enough to know, at any point, whether
//! it is in code, a string or a comment, and which brackets are open there.
//! Completion, hints, `import` tracking and `:save` need no more than that,
//! and it works on text that does not parse yet.

/// What the scanner is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Code,
    /// A string opened by `quote` (`"` or a backtick) at byte `start`.
    Str {
        quote: char,
        start: usize,
    },
    Char,
    LineComment,
    /// Rhai block comments nest: the depth.
    BlockComment(u32),
}

/// An open bracket: `(`, `[`, `{`, or `$` for a `${` inside a backtick string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub ch: char,
    pub at: usize,
    /// Where the commas directly inside it are: the argument separators of a call.
    pub commas: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    pub mode: Mode,
    pub open: Vec<Open>,
    /// Starts of the backtick strings around open `${`.
    templates: Vec<usize>,
}

/// One step of the scan: the character at `at`, and whether it was code
/// (outside strings and comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at: usize,
    pub ch: char,
    pub code: bool,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0, mode: Mode::Code, open: Vec::new(), templates: Vec::new() }
    }

    /// The state at byte `end` of `text` (which must be a char boundary).
    pub fn at(text: &'a str, end: usize) -> Self {
        let mut scanner = Scanner::new(&text[..end]);
        while scanner.step().is_some() {}
        scanner
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<(usize, char)> {
        let c = self.peek()?;
        let at = self.pos;
        self.pos += c.len_utf8();
        Some((at, c))
    }

    pub fn step(&mut self) -> Option<Step> {
        let (at, ch) = self.bump()?;
        let next = self.peek();
        let code = match self.mode {
            Mode::Code => self.code(at, ch, next),
            Mode::Str { quote, start } => {
                match ch {
                    // A backtick string takes no escapes.
                    '\\' if quote != '`' => {
                        self.bump();
                    }
                    c if c == quote => self.mode = Mode::Code,
                    '$' if quote == '`' && next == Some('{') => {
                        self.bump();
                        self.templates.push(start);
                        self.open.push(Open { ch: '$', at, commas: Vec::new() });
                        self.mode = Mode::Code;
                    }
                    _ => {}
                }
                false
            }
            Mode::Char => {
                match ch {
                    '\\' => {
                        self.bump();
                    }
                    '\'' => self.mode = Mode::Code,
                    _ => {}
                }
                false
            }
            Mode::LineComment => {
                if ch == '\n' {
                    self.mode = Mode::Code;
                }
                false
            }
            Mode::BlockComment(depth) => {
                if ch == '*' && next == Some('/') {
                    self.bump();
                    self.mode = if depth > 1 { Mode::BlockComment(depth - 1) } else { Mode::Code };
                } else if ch == '/' && next == Some('*') {
                    self.bump();
                    self.mode = Mode::BlockComment(depth + 1);
                }
                false
            }
        };
        Some(Step { at, ch, code })
    }

    /// One character of code; false when it opened a string or comment.
    fn code(&mut self, at: usize, ch: char, next: Option<char>) -> bool {
        match ch {
            '"' | '`' => {
                self.mode = Mode::Str { quote: ch, start: at };
                return false;
            }
            '\'' => {
                self.mode = Mode::Char;
                return false;
            }
            '/' if next == Some('/') => {
                self.mode = Mode::LineComment;
                return false;
            }
            '/' if next == Some('*') => {
                self.bump();
                self.mode = Mode::BlockComment(1);
                return false;
            }
            '(' | '[' | '{' => self.open.push(Open { ch, at, commas: Vec::new() }),
            ')' | ']' => {
                self.open.pop();
            }
            '}' => {
                if self.open.pop().is_some_and(|open| open.ch == '$')
                    && let Some(start) = self.templates.pop()
                {
                    // Back in the backtick string the `${` was in.
                    self.mode = Mode::Str { quote: '`', start };
                    return false;
                }
            }
            ',' => {
                if let Some(open) = self.open.last_mut() {
                    open.commas.push(at);
                }
            }
            _ => {}
        }
        true
    }
}

/// The `import ... ;` statements at the top level of `text`, so that a
/// session can keep the modules they bring in for later inputs.
pub fn top_level_imports(text: &str) -> Vec<&str> {
    let mut imports = Vec::new();
    let mut scanner = Scanner::new(text);
    // Where the statement now being read began, if at the top level.
    let mut statement: Option<usize> = None;
    let mut import_start: Option<usize> = None;
    while let Some(step) = scanner.step() {
        let top = scanner.open.is_empty();
        if !step.code {
            if statement.is_none() && matches!(scanner.mode, Mode::Str { .. }) {
                statement = Some(step.at);
            }
            continue;
        }
        if step.ch.is_whitespace() && statement.is_none() {
            continue;
        }
        let began = *statement.get_or_insert(step.at);
        if began == step.at && text[step.at..].starts_with("import") && is_word_end(text, step.at + 6) {
            import_start = Some(step.at);
        }
        let ends = top && (step.ch == ';' || (step.ch == '}' && import_start.is_none()));
        if ends {
            if let Some(start) = import_start.take() {
                imports.push(&text[start..=step.at]);
            }
            statement = None;
        }
    }
    imports
}

fn is_word_end(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
}

/// Byte offset just past the last character of code in `text`, leaving out
/// trailing whitespace and comments.
pub fn code_end(text: &str) -> usize {
    let mut scanner = Scanner::new(text);
    let mut end = 0;
    loop {
        let before = scanner.mode;
        let Some(step) = scanner.step() else { break };
        let comment = |mode| matches!(mode, Mode::LineComment | Mode::BlockComment(_));
        let blank = step.code && step.ch.is_whitespace();
        if !comment(before) && !comment(scanner.mode) && !blank {
            end = step.at + step.ch.len_utf8();
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_and_brackets() {
        let text = r#"veth_add(host(), "a, b", netns("red"), "pe"#;
        let scanner = Scanner::at(text, text.len());
        assert!(matches!(scanner.mode, Mode::Str { quote: '"', start } if &text[start..] == "\"pe"));
        assert_eq!(scanner.open.len(), 1);
        assert_eq!(scanner.open[0].commas.len(), 3);
        let comment = "f(1, // g(\n";
        assert_eq!(Scanner::at(comment, comment.len()).open.len(), 1);
        let block = "/* a /* nested */ ( */ f(";
        let scanner = Scanner::at(block, block.len());
        assert_eq!((scanner.mode, scanner.open.len()), (Mode::Code, 1));
    }

    #[test]
    fn template_interpolation_is_code() {
        let text = "netns_add(`h${i + f(\"x\")}-";
        let scanner = Scanner::at(text, text.len());
        assert!(matches!(scanner.mode, Mode::Str { quote: '`', start: 10 }));
        assert_eq!(scanner.open.len(), 1);
        let inside = "`a${link_up(\"";
        let scanner = Scanner::at(inside, inside.len());
        assert_eq!(scanner.open.iter().map(|o| o.ch).collect::<String>(), "$(");
    }

    #[test]
    fn imports_at_the_top_level_only() {
        let text =
            "import \"lib\" as m; let x = 1;\nfn f() { import \"inner\" as i; }\n import \"net/tools\" as t;";
        assert_eq!(top_level_imports(text), ["import \"lib\" as m;", "import \"net/tools\" as t;"]);
        assert!(top_level_imports("let important = 1; important").is_empty());
        assert!(top_level_imports("print(\"import x as y;\")").is_empty());
    }

    #[test]
    fn code_ends_before_trailing_comments() {
        assert_eq!(code_end("netns_add(\"a\")  // make a\n"), 14);
        assert_eq!(code_end("let s = \"x // y\"; /* c */"), 17);
        assert_eq!(code_end("  "), 0);
    }
}
