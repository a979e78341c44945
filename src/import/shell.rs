//! The shell around the commands, as much of it as tutorials use: words and
//! their quoting, `$VAR` and `${VAR}`, operators (`;`, `&&`, `||`, `|`,
//! `&`), redirections, here-documents, assignments and `for` loops over a
//! list of words. What goes beyond that (command substitution, `if`,
//! `while`, unknown variables) is reported as such, so the command can be
//! kept as it was written.
//!
//! Why not a crate: shell-words and shlex split a line into words but know
//! no operators, redirections or variables (`echo 1 > f` is three words to
//! them, and a quoted `'$X'` looks like an unquoted `$X`); a full bash
//! parser would refuse the half-shell text of a tutorial (prompts, pasted
//! output, placeholders) that the document layer has to sort out anyway.

use std::collections::HashMap;

/// One piece of a word: literal text, a variable, or a command
/// substitution (`$(...)`, backquotes, `$((...))`), kept as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(String),
    Subst(String),
}

/// A word as the shell sees it, before expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
}

impl Word {
    fn push_char(&mut self, c: char) {
        match self.parts.last_mut() {
            Some(Part::Lit(text)) => text.push(c),
            _ => self.parts.push(Part::Lit(c.to_string())),
        }
    }

    /// The word's text when it is all literal.
    pub fn literal(&self) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(t) => text.push_str(t),
                _ => return None,
            }
        }
        Some(text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    /// `;`, `&&`, `||`, `|`, `&`, or a new line (`\n`).
    Op(&'static str),
    /// A redirection: `>`, `>>`, `<`, `<<` (here-document; the target is
    /// its delimiter), `<<<`, `>&`, `<&`, `&>`, with the file descriptor
    /// written before it.
    Redirect {
        fd: Option<u32>,
        op: &'static str,
        target: Word,
    },
}

/// Splits one logical line (continuations joined) into tokens. A `#` that
/// starts a word starts a comment.
pub fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut pending_redirect: Option<(Option<u32>, &'static str)> = None;
    let push_word =
        |tokens: &mut Vec<Token>, word: Word, redirect: &mut Option<(Option<u32>, &'static str)>| {
            match redirect.take() {
                Some((fd, op)) => tokens.push(Token::Redirect { fd, op, target: word }),
                None => tokens.push(Token::Word(word)),
            }
        };
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
            continue;
        }
        if c == '\n' {
            tokens.push(Token::Op("\n"));
            i += 1;
            continue;
        }
        if c == '#' {
            // A comment, to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        // Operators and redirections.
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let op = ["&&", "||", ";;", ";", "|", "&>", "&"]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .filter(|op| !(*op == "&" && rest.starts_with("&>")));
        if let Some(op) = op {
            if pending_redirect.is_some() {
                return Err(format!("a redirection lacks its target before '{op}'"));
            }
            if op == "&>" {
                pending_redirect = Some((None, "&>"));
            } else {
                tokens.push(Token::Op(match op {
                    "&&" => "&&",
                    "||" => "||",
                    ";;" => ";;",
                    ";" => ";",
                    "|" => "|",
                    _ => "&",
                }));
            }
            i += op.len();
            continue;
        }
        if let Some((op, len)) = redirect_at(&chars[i..]) {
            if pending_redirect.is_some() {
                return Err(format!("a redirection lacks its target before '{op}'"));
            }
            // `2>&1` and the like: the target is a descriptor.
            i += len;
            pending_redirect = Some((None, op));
            continue;
        }
        // A word, maybe a descriptor number before a redirection.
        let (word, next) = read_word(&chars, i)?;
        if let Some(digits) =
            word.literal().filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
            && let Some((op, len)) = redirect_at(&chars[next..])
            && pending_redirect.is_none()
        {
            i = next + len;
            pending_redirect = Some((digits.parse().ok(), op));
            continue;
        }
        push_word(&mut tokens, word, &mut pending_redirect);
        i = next;
    }
    if pending_redirect.is_some() {
        return Err("a redirection lacks its target".into());
    }
    Ok(tokens)
}

fn redirect_at(chars: &[char]) -> Option<(&'static str, usize)> {
    let rest: String = chars[..chars.len().min(3)].iter().collect();
    for op in ["<<<", "<<-", ">>", "<<", ">&", "<&", ">|", ">", "<"] {
        if rest.starts_with(op) {
            let name = match op {
                "<<<" => "<<<",
                "<<-" => "<<-",
                ">>" => ">>",
                "<<" => "<<",
                ">&" => ">&",
                "<&" => "<&",
                ">|" | ">" => ">",
                _ => "<",
            };
            return Some((name, op.len()));
        }
    }
    None
}

fn is_word_end(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | ';' | '&' | '|' | '<' | '>')
}

/// Reads a word starting at `start`; returns it and where it ends.
fn read_word(chars: &[char], start: usize) -> Result<(Word, usize), String> {
    let mut word = Word::default();
    let mut i = start;
    while i < chars.len() && !is_word_end(chars[i]) {
        match chars[i] {
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    if next != '\n' {
                        word.push_char(next);
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            '\'' => {
                let end = find(chars, i + 1, '\'').ok_or("a single quote is never closed")?;
                // An empty '' still makes a (possibly empty) word.
                if end == i + 1 && word.parts.is_empty() {
                    word.parts.push(Part::Lit(String::new()));
                }
                for &c in &chars[i + 1..end] {
                    word.push_char(c);
                }
                i = end + 1;
            }
            '"' => {
                i += 1;
                if word.parts.is_empty() {
                    word.parts.push(Part::Lit(String::new()));
                }
                loop {
                    let Some(&c) = chars.get(i) else { return Err("a double quote is never closed".into()) };
                    match c {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            word.push_char(chars[i + 1]);
                            i += 2;
                        }
                        '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
                        '$' => i = read_dollar(chars, i, &mut word)?,
                        '`' => i = read_backquote(chars, i, &mut word)?,
                        c => {
                            word.push_char(c);
                            i += 1;
                        }
                    }
                }
            }
            '$' => i = read_dollar(chars, i, &mut word)?,
            '`' => i = read_backquote(chars, i, &mut word)?,
            c => {
                word.push_char(c);
                i += 1;
            }
        }
    }
    Ok((word, i))
}

fn find(chars: &[char], from: usize, wanted: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == wanted)
}

fn read_backquote(chars: &[char], at: usize, word: &mut Word) -> Result<usize, String> {
    let end = find(chars, at + 1, '`').ok_or("a backquote is never closed")?;
    word.parts.push(Part::Subst(chars[at..=end].iter().collect()));
    Ok(end + 1)
}

/// `$NAME`, `${NAME}`, `$$`, `$?`, `$1`, `$(...)`, `$((...))`.
fn read_dollar(chars: &[char], at: usize, word: &mut Word) -> Result<usize, String> {
    let next = chars.get(at + 1).copied();
    match next {
        Some('(') => {
            let mut depth = 0;
            let mut j = at + 1;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            word.parts.push(Part::Subst(chars[at..=j].iter().collect()));
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err("a $( is never closed".into())
        }
        Some('{') => {
            let end = find(chars, at + 2, '}').ok_or("a ${ is never closed")?;
            let inner: String = chars[at + 2..end].iter().collect();
            if is_name(&inner) {
                word.parts.push(Part::Var(inner));
            } else {
                // ${X:-default} and friends.
                word.parts.push(Part::Subst(chars[at..=end].iter().collect()));
            }
            Ok(end + 1)
        }
        Some(c)
            if c == '$' || c == '?' || c == '!' || c == '#' || c == '@' || c == '*' || c.is_ascii_digit() =>
        {
            word.parts.push(Part::Var(c.to_string()));
            Ok(at + 2)
        }
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {
            let mut j = at + 1;
            while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            word.parts.push(Part::Var(chars[at + 1..j].iter().collect()));
            Ok(j)
        }
        _ => {
            word.push_char('$');
            Ok(at + 1)
        }
    }
}

pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `NAME=value` as the first word of a command.
fn assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first)) = word.parts.first() else { return None };
    let eq = first.find('=')?;
    let name = &first[..eq];
    if !is_name(name) {
        return None;
    }
    let mut value = Word::default();
    let rest = &first[eq + 1..];
    if !rest.is_empty() || word.parts.len() == 1 {
        value.parts.push(Part::Lit(rest.to_string()));
    }
    value.parts.extend(word.parts[1..].iter().cloned());
    Some((name.to_string(), value))
}

// ---------------------------------------------------------------------------
// Statements

/// A piece of shell text and the line it starts on.
#[derive(Clone, Debug)]
pub struct Snippet {
    pub line: usize,
    pub text: String,
    /// The body of a here-document the command reads, if any.
    pub heredoc: Option<String>,
    /// Found in prose: a command only if it is understood as one.
    pub loose: bool,
}

/// A simple command before expansion.
#[derive(Clone, Debug, Default)]
struct Simple {
    assigns: Vec<(String, Word)>,
    words: Vec<Word>,
    redirects: Vec<(Option<u32>, &'static str, Word)>,
}

#[derive(Clone, Debug)]
enum Stmt {
    /// Commands joined by pipes; `&` at the end runs it in the background.
    Pipeline {
        line: usize,
        text: String,
        heredoc: Option<String>,
        commands: Vec<Simple>,
        background: bool,
        loose: bool,
    },
    For {
        var: String,
        values: Vec<Word>,
        body: Vec<Stmt>,
    },
    /// Shell the import does not follow (if, while, case, functions, ...).
    Unsupported {
        line: usize,
        text: String,
        why: String,
    },
}

/// A value after expansion: its text, and how to write it in the script
/// when shell variables made it (they become parameters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub value: String,
    pub pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// A shell variable, by name, which the script reads as a parameter.
    Var(String),
}

impl Arg {
    pub fn lit(text: &str) -> Arg {
        Arg { value: text.to_string(), pieces: vec![Piece::Lit(text.to_string())] }
    }

    /// Whether a variable made any of it.
    pub fn has_vars(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Var(_)))
    }
}

/// A command ready to be understood: its words expanded.
#[derive(Clone, Debug)]
pub struct Command {
    pub line: usize,
    /// The command as the tutorial wrote it, on one line.
    pub text: String,
    pub args: Vec<Arg>,
    pub redirects: Vec<(Option<u32>, &'static str, Arg)>,
    pub heredoc: Option<String>,
    pub background: bool,
    /// The commands this one pipes into, in order.
    pub pipe: Vec<Command>,
    /// Found in prose: a command only if it is understood as one.
    pub loose: bool,
    /// From netscript's own dry run: what import does not model is run as
    /// the same words, so the dry run prints the same again.
    pub faithful: bool,
}

impl Command {
    #[cfg(test)]
    pub fn words(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.value.as_str()).collect()
    }
}

/// What the shell layer hands on.
#[derive(Clone, Debug)]
pub enum Unit {
    Command(Command),
    /// `NAME=value`: a parameter of the script.
    Assign {
        line: usize,
        name: String,
        value: Arg,
    },
    /// Shell text kept as written, with the reason.
    Unsupported {
        line: usize,
        text: String,
        why: String,
    },
}

/// A `for` loop being read: its variable, words, body, line and text.
type OpenLoop = (String, Vec<Word>, Vec<Stmt>, usize, String);

/// Parses snippets into statements, then expands them: variables resolved,
/// loops unrolled.
pub fn parse(snippets: &[Snippet]) -> Vec<Unit> {
    let mut stmts = Vec::new();
    let mut stack: Vec<OpenLoop> = Vec::new();
    for snippet in snippets {
        let tokens = match tokenize(&snippet.text) {
            Ok(tokens) => tokens,
            Err(why) => {
                push(
                    &mut stack,
                    &mut stmts,
                    Stmt::Unsupported { line: snippet.line, text: snippet.text.clone(), why },
                );
                continue;
            }
        };
        for piece in split_lists(tokens) {
            let line = snippet.line;
            let text = render_tokens(&piece.0);
            let mut commands = Vec::new();
            let mut current = Simple::default();
            let mut words = piece.0.into_iter().peekable();
            let mut bad = None;
            while let Some(token) = words.next() {
                match token {
                    Token::Word(w) => {
                        if current.words.is_empty() {
                            // Keywords at the start of a command.
                            match w.literal().as_deref() {
                                Some("for") => {
                                    let rest: Vec<Token> = words.by_ref().collect();
                                    match for_header(&rest) {
                                        Ok((var, values)) => {
                                            stack.push((var, values, Vec::new(), line, text.clone()))
                                        }
                                        Err(why) => bad = Some(why),
                                    }
                                    current = Simple::default();
                                    commands.clear();
                                    break;
                                }
                                Some("do") if !stack.is_empty() => continue,
                                Some("done") => {
                                    match stack.pop() {
                                        Some((var, values, body, _, _)) => {
                                            push(&mut stack, &mut stmts, Stmt::For { var, values, body })
                                        }
                                        None => bad = Some("`done` without a loop".into()),
                                    }
                                    continue;
                                }
                                Some("if" | "while" | "until" | "case" | "function" | "select") => {
                                    bad = Some(format!(
                                        "`{}` is shell the import does not follow",
                                        w.literal().unwrap()
                                    ));
                                    break;
                                }
                                _ => {}
                            }
                            if let Some(assign) = assignment(&w) {
                                current.assigns.push(assign);
                                continue;
                            }
                        }
                        current.words.push(w);
                    }
                    Token::Redirect { fd, op, target } => current.redirects.push((fd, op, target)),
                    Token::Op("|") => commands.push(std::mem::take(&mut current)),
                    Token::Op(_) => {}
                }
            }
            if let Some(why) = bad {
                push(&mut stack, &mut stmts, Stmt::Unsupported { line, text, why });
                continue;
            }
            if current.words.is_empty() && current.assigns.is_empty() && commands.is_empty() {
                continue;
            }
            commands.push(current);
            let heredoc =
                if commands.iter().any(|c| c.redirects.iter().any(|r| r.1.starts_with("<<") && r.1 != "<<<"))
                {
                    snippet.heredoc.clone()
                } else {
                    None
                };
            push(
                &mut stack,
                &mut stmts,
                Stmt::Pipeline { line, text, heredoc, commands, background: piece.1, loose: snippet.loose },
            );
        }
    }
    // A loop never closed: its commands still count, as written.
    while let Some((_, _, body, line, text)) = stack.pop() {
        push(
            &mut stack,
            &mut stmts,
            Stmt::Unsupported { line, text, why: "a `for` loop without `done`".into() },
        );
        for stmt in body {
            push(&mut stack, &mut stmts, stmt);
        }
    }
    let mut units = Vec::new();
    let mut env = Env::default();
    expand(&stmts, &mut env, &mut units);
    units
}

fn push(stack: &mut [OpenLoop], stmts: &mut Vec<Stmt>, stmt: Stmt) {
    match stack.last_mut() {
        Some(top) => top.2.push(stmt),
        None => stmts.push(stmt),
    }
}

/// `for VAR in WORDS`: the variable and the words (`; do` comes after).
fn for_header(tokens: &[Token]) -> Result<(String, Vec<Word>), String> {
    let words: Vec<&Word> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w),
            _ => None,
        })
        .collect();
    let var = words
        .first()
        .and_then(|w| w.literal())
        .filter(|v| is_name(v))
        .ok_or("a `for` loop needs a variable")?;
    if words.get(1).and_then(|w| w.literal()).as_deref() != Some("in") {
        return Err("only `for NAME in WORDS` loops are followed".into());
    }
    if words.iter().any(|w| w.literal().as_deref() == Some("do")) {
        return Err("`do` belongs after a `;` or on a line of its own".into());
    }
    Ok((var, words[2..].iter().map(|w| (*w).clone()).collect()))
}

/// Splits tokens at `;`, `&&`, `||`, `&` and new lines into pipelines, each
/// with whether it runs in the background.
fn split_lists(tokens: Vec<Token>) -> Vec<(Vec<Token>, bool)> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        match token {
            Token::Op(op @ (";" | "&&" | "||" | "&" | "\n" | ";;")) => {
                if !current.is_empty() {
                    out.push((std::mem::take(&mut current), op == "&"));
                }
            }
            t => current.push(t),
        }
    }
    if !current.is_empty() {
        out.push((current, false));
    }
    out
}

/// Tokens back as text, for messages and for commands kept as written.
fn render_tokens(tokens: &[Token]) -> String {
    let mut words = Vec::new();
    for t in tokens {
        match t {
            Token::Word(w) => words.push(render_word(w)),
            Token::Op(op) => words.push(op.to_string()),
            Token::Redirect { fd, op, target } => words.push(format!(
                "{}{op}{}",
                fd.map(|f| f.to_string()).unwrap_or_default(),
                render_word(target)
            )),
        }
    }
    words.join(" ")
}

pub fn render_word(word: &Word) -> String {
    let mut text = String::new();
    for part in &word.parts {
        match part {
            Part::Lit(t) if word.parts.len() == 1 || !t.is_empty() => text.push_str(&crate::ops::quote(t)),
            Part::Lit(_) => {}
            Part::Var(v) => text.push_str(&format!("${{{v}}}")),
            Part::Subst(s) => text.push_str(s),
        }
    }
    text
}

#[derive(Default, Clone)]
struct Env {
    /// Assigned variables: their value, and whether reading them reads a parameter.
    vars: HashMap<String, (Arg, bool)>,
}

fn expand(stmts: &[Stmt], env: &mut Env, units: &mut Vec<Unit>) {
    for stmt in stmts {
        match stmt {
            Stmt::Unsupported { line, text, why } => {
                units.push(Unit::Unsupported { line: *line, text: text.clone(), why: why.clone() })
            }
            Stmt::For { var, values, body } => {
                let mut items = Vec::new();
                for value in values {
                    match expand_word(value, env) {
                        // Words split on spaces when unquoted variables hold several.
                        Ok(arg) => items.extend(arg.value.split_whitespace().map(Arg::lit)),
                        Err(why) => {
                            let line = first_line(body).unwrap_or(0);
                            units.push(Unit::Unsupported { line, text: format!("for {var} in ..."), why });
                            return;
                        }
                    }
                }
                let saved = env.vars.get(var).cloned();
                for item in items {
                    env.vars.insert(var.clone(), (item, false));
                    expand(body, env, units);
                }
                match saved {
                    Some(v) => env.vars.insert(var.clone(), v),
                    None => env.vars.remove(var),
                };
            }
            Stmt::Pipeline { line, text, heredoc, commands, background, loose } => {
                // An assignment alone sets a variable.
                if commands.len() == 1 && commands[0].words.is_empty() {
                    for (name, value) in &commands[0].assigns {
                        match expand_word(value, env) {
                            Ok(arg) => {
                                env.vars.insert(
                                    name.clone(),
                                    (
                                        Arg {
                                            value: arg.value.clone(),
                                            pieces: vec![Piece::Var(name.clone())],
                                        },
                                        true,
                                    ),
                                );
                                units.push(Unit::Assign { line: *line, name: name.clone(), value: arg });
                            }
                            Err(why) => {
                                units.push(Unit::Unsupported { line: *line, text: text.clone(), why })
                            }
                        }
                    }
                    continue;
                }
                match expand_pipeline(*line, text, heredoc, commands, *background, env) {
                    Ok(cmd) => units.push(Unit::Command(Command { loose: *loose, ..cmd })),
                    Err(why) => units.push(Unit::Unsupported { line: *line, text: text.clone(), why }),
                }
            }
        }
    }
}

fn first_line(stmts: &[Stmt]) -> Option<usize> {
    stmts.iter().find_map(|s| match s {
        Stmt::Pipeline { line, .. } | Stmt::Unsupported { line, .. } => Some(*line),
        Stmt::For { body, .. } => first_line(body),
    })
}

fn expand_pipeline(
    line: usize,
    text: &str,
    heredoc: &Option<String>,
    commands: &[Simple],
    background: bool,
    env: &Env,
) -> Result<Command, String> {
    let mut expanded = Vec::new();
    for simple in commands {
        if !simple.assigns.is_empty() {
            let names: Vec<&str> = simple.assigns.iter().map(|a| a.0.as_str()).collect();
            return Err(format!("it sets {} for one command only", names.join(", ")));
        }
        let mut args = Vec::new();
        for word in &simple.words {
            args.push(expand_word(word, env)?);
        }
        let mut redirects = Vec::new();
        for (fd, op, target) in &simple.redirects {
            redirects.push((*fd, *op, expand_word(target, env)?));
        }
        expanded.push(Command {
            line,
            text: text.to_string(),
            args,
            redirects,
            heredoc: heredoc.clone(),
            background,
            pipe: Vec::new(),
            loose: false,
            faithful: false,
        });
    }
    let mut first = expanded.remove(0);
    first.pipe = expanded;
    Ok(first)
}

fn expand_word(word: &Word, env: &Env) -> Result<Arg, String> {
    let mut arg = Arg { value: String::new(), pieces: Vec::new() };
    for part in &word.parts {
        match part {
            Part::Lit(text) => {
                arg.value.push_str(text);
                match arg.pieces.last_mut() {
                    Some(Piece::Lit(t)) => t.push_str(text),
                    _ => arg.pieces.push(Piece::Lit(text.clone())),
                }
            }
            // The shell's own PID: `netns $$` names the namespace it runs in.
            Part::Var(name) if name == "$" => {
                arg.value.push_str("$$");
                arg.pieces.push(Piece::Lit("$$".into()));
            }
            Part::Var(name) => {
                let (value, _) = env
                    .vars
                    .get(name)
                    .ok_or_else(|| format!("it reads ${name}, which the commands never set"))?;
                arg.value.push_str(&value.value);
                for piece in &value.pieces {
                    match (piece, arg.pieces.last_mut()) {
                        (Piece::Lit(t), Some(Piece::Lit(last))) => last.push_str(t),
                        (p, _) => arg.pieces.push(p.clone()),
                    }
                }
            }
            Part::Subst(text) => return Err(format!("it runs {text}, whose output only the shell knows")),
        }
    }
    Ok(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w.literal().unwrap_or_else(|| format!("{:?}", w.parts))),
                _ => None,
            })
            .collect()
    }

    fn units(text: &str) -> Vec<Unit> {
        let snippets: Vec<Snippet> = text
            .lines()
            .enumerate()
            .map(|(i, l)| Snippet { line: i + 1, text: l.to_string(), heredoc: None, loose: false })
            .collect();
        parse(&snippets)
    }

    fn commands(text: &str) -> Vec<String> {
        units(text)
            .into_iter()
            .map(|u| match u {
                Unit::Command(c) => c.words().join(" "),
                Unit::Assign { name, value, .. } => format!("{name}={}", value.value),
                Unit::Unsupported { why, .. } => format!("unsupported: {why}"),
            })
            .collect()
    }

    #[test]
    fn quoting() {
        assert_eq!(
            words(r#"ip netns exec a sh -c 'echo 1 > /x'"#),
            ["ip", "netns", "exec", "a", "sh", "-c", "echo 1 > /x"]
        );
        assert_eq!(words(r#"echo "a b" c\ d 'e'"f""#), ["echo", "a b", "c d", "ef"]);
        assert_eq!(words(r#"x "" '' y"#), ["x", "", "", "y"]);
        assert_eq!(words("ip link # a comment"), ["ip", "link"]);
        assert_eq!(words("a#b"), ["a#b"]);
        assert!(tokenize("echo 'open").is_err());
        assert!(tokenize("echo \"open").is_err());
    }

    #[test]
    fn operators_and_redirections() {
        let tokens = tokenize("echo 1 > /proc/sys/x 2>&1 && true; a | b &").unwrap();
        assert!(tokens.contains(&Token::Op("&&")));
        assert!(tokens.contains(&Token::Op("|")));
        assert!(tokens.contains(&Token::Op("&")));
        assert!(tokens.iter().any(|t| matches!(t, Token::Redirect { fd: None, op: ">", target } if target.literal().as_deref() == Some("/proc/sys/x"))));
        assert!(tokens.iter().any(|t| matches!(t, Token::Redirect { fd: Some(2), op: ">&", .. })));
        let tokens = tokenize("nft -f - <<'NFT'").unwrap();
        assert!(
            matches!(&tokens[3], Token::Redirect { op: "<<", target, .. } if target.literal().as_deref() == Some("NFT"))
        );
    }

    #[test]
    fn variables_become_parameters() {
        let out = units("NS=red\nip netns add $NS\nip link add veth-${NS} type veth peer name x");
        let Unit::Command(cmd) = &out[1] else { panic!("{out:?}") };
        assert_eq!(cmd.args[3].value, "red");
        assert_eq!(cmd.args[3].pieces, [Piece::Var("NS".into())]);
        let Unit::Command(cmd) = &out[2] else { panic!() };
        assert_eq!(cmd.args[3].pieces, [Piece::Lit("veth-".into()), Piece::Var("NS".into())]);
        assert_eq!(
            commands("ip link set $UNSET up"),
            ["unsupported: it reads $UNSET, which the commands never set"]
        );
        assert_eq!(
            commands("ip link set $(ls) up")[0],
            "unsupported: it runs $(ls), whose output only the shell knows"
        );
        assert_eq!(commands("ip link set dev x netns $$")[0], "ip link set dev x netns $$");
    }

    #[test]
    fn lists_and_loops() {
        assert_eq!(commands("a 1; b 2 && c 3"), ["a 1", "b 2", "c 3"]);
        assert_eq!(
            commands("for n in 1 2; do ip netns add h$n; done"),
            ["ip netns add h1", "ip netns add h2"]
        );
        assert_eq!(
            commands("for n in a b\ndo\n  ip netns add $n\n  ip -n $n link set lo up\ndone\nip link"),
            [
                "ip netns add a",
                "ip -n a link set lo up",
                "ip netns add b",
                "ip -n b link set lo up",
                "ip link"
            ]
        );
        assert_eq!(commands("L=\"x y\"\nfor n in $L; do echo $n; done"), ["L=x y", "echo x", "echo y"]);
        assert_eq!(
            commands("if true; then ip link; fi")[0],
            "unsupported: `if` is shell the import does not follow"
        );
    }

    #[test]
    fn pipelines_and_background() {
        let out = units("echo 1 | tee /proc/sys/net/ipv4/ip_forward\npython3 -m http.server &");
        let Unit::Command(cmd) = &out[0] else { panic!() };
        assert_eq!(cmd.pipe[0].words(), ["tee", "/proc/sys/net/ipv4/ip_forward"]);
        let Unit::Command(cmd) = &out[1] else { panic!() };
        assert!(cmd.background);
    }
}
