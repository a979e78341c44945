//! What the text before the cursor asks to complete: a REPL command, a
//! function or variable name, or, inside a string argument, a namespace or
//! a link name (in the namespace the call names). Pure text work; the
//! editor reads the names themselves live from the kernel.

use crate::ops::Netns;
use crate::script::scan::{Mode, Scanner};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// A REPL command after `:`; `start` is at the `:`.
    Command {
        start: usize,
    },
    /// A function name, the argument of `:help`.
    HelpTopic {
        start: usize,
    },
    /// A file, the argument of `:load` or `:save`.
    Path,
    /// A name of the API or a variable; after a `.`, a method or property
    /// (of the variable before the dot, when there is one).
    Name {
        start: usize,
        after_dot: bool,
        receiver: Option<String>,
    },
    /// A function of a module, after `module::` (or its alias).
    ModuleItem {
        start: usize,
        module: String,
    },
    /// A namespace name, inside a string.
    Netns {
        start: usize,
    },
    /// A link name inside a string, in this namespace.
    Link {
        start: usize,
        ns: Netns,
    },
    Nothing,
}

/// How a namespace is written in a call: `host()`, `netns("red")`, or a
/// variable (which the resolver knows).
#[derive(Debug, Clone, PartialEq, Eq)]
enum NsExpr {
    Netns(Netns),
    Var(String),
}

/// What the argument at some position of an API function names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Netns,
    Link,
    Other,
}

/// The role of argument `index` (counting a namespace given first, as the
/// receiver of a method call or as argument 0, as index 0 when `with_ns`).
fn role(function: &str, index: usize, with_ns: bool) -> Role {
    // veth_add(ns, name, peer_ns, peer): the namespaces are 0 and 2.
    if function == "veth_add" {
        return if index == 0 || index == 2 { Role::Netns } else { Role::Other };
    }
    let index = if with_ns { index.saturating_sub(1) } else { index };
    match (function, index) {
        ("netns" | "netns_del" | "netns_exists", 0) => Role::Netns,
        ("link_set_netns", 1) | ("source_seen" | "throughput", 0) => Role::Netns,
        ("link_set_master" | "forward_accept", 0 | 1) => Role::Link,
        ("masquerade", 1) => Role::Link,
        (
            "link_up" | "link_down" | "link_nomaster" | "link_del" | "link_show" | "link_exists"
            | "link_set_mtu" | "link_rename" | "link_set_netns" | "addr_add" | "addr_del" | "addr_list"
            | "link_shape" | "link_unshape" | "link_qdisc",
            0,
        ) => Role::Link,
        _ => Role::Other,
    }
}

/// What to complete at byte `pos` of `line`. `resolve` says which namespace
/// a variable holds, if it holds one.
pub fn at(line: &str, pos: usize, resolve: &dyn Fn(&str) -> Option<Netns>) -> Completion {
    let before = &line[..pos];
    if let Some(command) = before.trim_start().strip_prefix(':') {
        let start = before.len() - command.len() - 1;
        return match command.split_once(char::is_whitespace) {
            None => Completion::Command { start },
            Some(("help", _)) => Completion::HelpTopic { start: word_start(before) },
            Some(("load" | "save" | "save!", _)) => Completion::Path,
            Some(_) => Completion::Nothing,
        };
    }
    let scanner = Scanner::at(line, pos);
    match scanner.mode {
        Mode::Code => {
            let start = word_start(before);
            if let Some(head) = before[..start].strip_suffix("::") {
                let module = &head[word_start(head)..];
                if !module.is_empty() {
                    return Completion::ModuleItem { start, module: module.to_string() };
                }
            }
            let after_dot = before[..start].ends_with('.');
            let receiver = after_dot
                .then(|| {
                    let head = &before[..start - 1];
                    let word = &head[word_start(head)..];
                    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()))
                        .then(|| word.to_string())
                })
                .flatten();
            if start == pos && !after_dot {
                Completion::Nothing
            } else {
                Completion::Name { start, after_dot, receiver }
            }
        }
        Mode::Str { start, .. } => {
            string_argument(line, &scanner, start + 1, resolve).unwrap_or(Completion::Nothing)
        }
        _ => Completion::Nothing,
    }
}

/// Inside a string that is an argument of a call of the API.
fn string_argument(
    line: &str,
    scanner: &Scanner,
    start: usize,
    resolve: &dyn Fn(&str) -> Option<Netns>,
) -> Option<Completion> {
    let open = scanner.open.last().filter(|open| open.ch == '(')?;
    // Only the string itself may stand in its argument, nothing before it.
    let arg_start = open.commas.last().map_or(open.at, |&comma| comma) + 1;
    if !line[arg_start..start - 1].trim().is_empty() {
        return None;
    }
    let (function, receiver) = callee(&line[..open.at])?;
    let receiver_ns = receiver.as_ref().and_then(|expr| ns_of(expr, resolve));
    // A namespace given as the first argument instead of as the receiver.
    let first_arg = open.commas.first().map(|&comma| line[open.at + 1..comma].trim());
    let first_ns = first_arg.and_then(ns_expr).and_then(|expr| ns_of(&expr, resolve));
    let index = open.commas.len() + usize::from(receiver.is_some());
    let with_ns = receiver.is_some() || first_ns.is_some();
    // A receiver of unknown value: better no names than the host's.
    let ns = if receiver.is_some() { receiver_ns } else { Some(first_ns.unwrap_or(Netns::Host)) };
    Some(match (role(&function, index, with_ns), ns) {
        (Role::Netns, _) => Completion::Netns { start },
        (Role::Link, Some(ns)) => Completion::Link { start, ns },
        _ => Completion::Nothing,
    })
}

/// The function called with `(` right after `text`, and its receiver when
/// it is called as a method.
fn callee(text: &str) -> Option<(String, Option<NsExpr>)> {
    let text = text.trim_end();
    let start = word_start(text);
    let name = &text[start..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = text[..start].trim_end();
    let receiver = match rest.strip_suffix('.') {
        Some(rest) => Some(receiver(rest.trim_end())?),
        None => None,
    };
    Some((name.to_string(), receiver))
}

/// The expression before a `.`: a variable, or a call like `netns("red")`.
fn receiver(text: &str) -> Option<NsExpr> {
    if text.ends_with(')') {
        // Back to the matching `(`; the calls that name a namespace have no
        // brackets inside their strings.
        let mut depth = 0;
        for (i, c) in text.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        let start = word_start(&text[..i]);
                        return ns_expr(&text[start..]);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    let start = word_start(text);
    ns_expr(&text[start..])
}

/// `host()`, `netns("red")`, `netns_add("red")`, or a variable name.
fn ns_expr(text: &str) -> Option<NsExpr> {
    let text = text.trim();
    if text == "host()" {
        return Some(NsExpr::Netns(Netns::Host));
    }
    for call in ["netns(", "netns_add("] {
        if let Some(args) = text.strip_prefix(call).and_then(|rest| rest.strip_suffix(')')) {
            let name = args.trim().strip_prefix('"')?.split('"').next()?;
            return Some(NsExpr::Netns(Netns::Named(name.to_string())));
        }
    }
    let is_name = !text.is_empty()
        && text.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !text.starts_with(|c: char| c.is_ascii_digit());
    is_name.then(|| NsExpr::Var(text.to_string()))
}

fn ns_of(expr: &NsExpr, resolve: &dyn Fn(&str) -> Option<Netns>) -> Option<Netns> {
    match expr {
        NsExpr::Netns(ns) => Some(ns.clone()),
        NsExpr::Var(name) => resolve(name),
    }
}

/// Where the identifier that ends `text` starts.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(text.len(), |(i, _)| i)
}

/// The namespace a variable was given in `text` by `let NAME = netns_add("X")`
/// or `netns("X")`: for a variable of the input being typed, which has not
/// run yet.
pub fn assigned_netns(text: &str, var: &str) -> Option<Netns> {
    text.split(';').rev().find_map(|statement| {
        let rest = statement.trim().strip_prefix("let ")?.trim_start();
        let (name, value) = rest.split_once('=')?;
        if name.trim() != var {
            return None;
        }
        match ns_expr(value)? {
            NsExpr::Netns(ns) => Some(ns),
            NsExpr::Var(_) => None,
        }
    })
}

/// The function whose call the cursor is in, or whose name it is just
/// after: the one to show the signature of.
pub fn current_call(line: &str, pos: usize) -> Option<String> {
    let before = &line[..pos];
    if before.trim_start().starts_with(':') {
        return None;
    }
    let scanner = Scanner::at(line, pos);
    if scanner.mode == Mode::Code {
        let start = word_start(before);
        if start < pos {
            return Some(before[start..].to_string());
        }
    }
    let open = scanner.open.iter().rev().find(|open| open.ch == '(')?;
    callee(&line[..open.at]).map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red_is_a_netns(name: &str) -> Option<Netns> {
        (name == "red").then(|| Netns::Named("red".into()))
    }

    fn complete(line: &str) -> Completion {
        at(line, line.len(), &red_is_a_netns)
    }

    fn link_in(ns: Option<&str>, start: usize) -> Completion {
        Completion::Link { start, ns: ns.map_or(Netns::Host, |n| Netns::Named(n.into())) }
    }

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(complete(":he"), Completion::Command { start: 0 });
        assert_eq!(complete("  :"), Completion::Command { start: 2 });
        assert_eq!(complete(":help link_"), Completion::HelpTopic { start: 6 });
        assert_eq!(complete(":load sc"), Completion::Path);
        assert_eq!(complete(":ls x"), Completion::Nothing);
    }

    #[test]
    fn names_and_methods() {
        let name = |start, after_dot, receiver: Option<&str>| Completion::Name {
            start,
            after_dot,
            receiver: receiver.map(String::from),
        };
        assert_eq!(complete("link_"), name(0, false, None));
        assert_eq!(complete("let r = netns_a"), name(8, false, None));
        assert_eq!(complete("red.li"), name(4, true, Some("red")));
        assert_eq!(complete("red."), name(4, true, Some("red")));
        assert_eq!(complete("host()."), name(7, true, None));
        assert_eq!(complete("topo::"), Completion::ModuleItem { start: 6, module: "topo".into() });
        assert_eq!(complete("let h = t::host_"), Completion::ModuleItem { start: 11, module: "t".into() });
        assert_eq!(complete("x = "), Completion::Nothing);
        assert_eq!(complete("// link_"), Completion::Nothing);
    }

    #[test]
    fn namespaces_in_strings() {
        assert_eq!(complete("netns(\"re"), Completion::Netns { start: 7 });
        assert_eq!(complete("netns_del(\""), Completion::Netns { start: 11 });
        assert_eq!(complete("veth_add(\"r"), Completion::Netns { start: 10 });
        assert_eq!(complete("veth_add(\"a\", \"b\", \""), Completion::Netns { start: 20 });
        assert_eq!(complete("veth_add(host(), \"a\", \""), Completion::Netns { start: 23 });
        assert_eq!(complete("red.veth_add(\"a\", \""), Completion::Netns { start: 19 });
        assert_eq!(complete("link_set_netns(\"eth0\", \"b"), Completion::Netns { start: 24 });
        assert_eq!(complete("netns_add(\"n"), Completion::Nothing);
    }

    #[test]
    fn links_in_the_namespace_the_call_names() {
        assert_eq!(complete("link_up(\"v"), link_in(None, 9));
        assert_eq!(complete("red.link_up(\""), link_in(Some("red"), 13));
        assert_eq!(complete("netns(\"blue\").link_up(\"e"), link_in(Some("blue"), 23));
        assert_eq!(complete("link_up(red, \"e"), link_in(Some("red"), 14));
        assert_eq!(complete("link_up(netns(\"b\"), \""), link_in(Some("b"), 21));
        assert_eq!(complete("host().link_set_master(\"v1\", \"b"), link_in(None, 30));
        assert_eq!(complete("for i in 0..2 {\n  red.addr_add(\"e"), link_in(Some("red"), 32));
        // The address argument is no link; nor is a string inside an array.
        assert_eq!(complete("addr_add(\"eth0\", \"10"), Completion::Nothing);
        assert_eq!(complete("link_up([\""), Completion::Nothing);
        // A receiver of unknown value: no guess.
        assert_eq!(complete("blue.link_up(\""), Completion::Nothing);
    }

    #[test]
    fn variables_assigned_in_the_text_being_typed() {
        let text = "let a = netns_add(\"alpha\");\nlet b = netns(\"beta\"); let c = 5;";
        assert_eq!(assigned_netns(text, "a"), Some(Netns::Named("alpha".into())));
        assert_eq!(assigned_netns(text, "b"), Some(Netns::Named("beta".into())));
        assert_eq!(assigned_netns(text, "c"), None);
        assert_eq!(assigned_netns(text, "d"), None);
    }

    #[test]
    fn the_call_to_show_a_signature_for() {
        assert_eq!(current_call("link_up", 7).as_deref(), Some("link_up"));
        assert_eq!(current_call("red.link_up(\"et", 15).as_deref(), Some("link_up"));
        assert_eq!(current_call("veth_add(host(), ", 17).as_deref(), Some("veth_add"));
        assert_eq!(current_call("1 + ", 4), None);
        assert_eq!(current_call(":help", 5), None);
    }
}
