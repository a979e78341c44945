//! Finding the commands in what a user pastes: a shell script, or a
//! tutorial (Markdown or plain text) with commands in code blocks, in
//! inline code spans or on lines of their own among the prose. Prompts
//! (`$ `, `# `, `[root@host ~]# `, `user@host:~$ `) come off; output pasted
//! under a command is skipped and noted; placeholders such as
//! `<namespace-name>` mark a template, not a command; continuation lines
//! are joined and here-documents go with their command.

use super::shell::Snippet;

/// Commands that mark a line as a command even in prose.
const STRONG: &[&str] = &[
    "ip",
    "iptables",
    "ip6tables",
    "iptables-nft",
    "iptables-legacy",
    "iptables-save",
    "iptables-restore",
    "ip6tables-save",
    "ip6tables-restore",
    "nft",
    "tc",
    "sysctl",
    "bridge",
    "brctl",
    "ping",
    "ping6",
    "sudo",
    "modprobe",
    "ethtool",
    "conntrack",
    "ifconfig",
];

/// Commands that are commands in code blocks and shell scripts.
const WEAK: &[&str] = &[
    "echo",
    "printf",
    "cat",
    "ls",
    "tee",
    "sh",
    "bash",
    "set",
    "export",
    "for",
    "do",
    "done",
    "cd",
    "mkdir",
    "kill",
    "killall",
    "pkill",
    "setsid",
    "sleep",
    "python",
    "python3",
    "nc",
    "ncat",
    "socat",
    "curl",
    "wget",
    "iperf",
    "iperf3",
    "tcpdump",
    "dnsmasq",
    "dhclient",
    "arp",
    "netstat",
    "ss",
    "lsns",
    "nsenter",
    "unshare",
    "route",
    "true",
    "false",
    "systemctl",
    "mount",
    "umount",
    "traceroute",
    "tracepath",
    "mtr",
    "dig",
    "nslookup",
    "host",
    "grep",
    "watch",
    "timeout",
    "env",
    "exec",
    "wait",
    "rm",
    "touch",
    "chmod",
];

/// Why a line was passed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipKind {
    /// Output pasted under a command, in a code block.
    Output,
    /// A command with placeholders, such as `ip netns add <name>`.
    Template,
    /// The second of two ways offered for one step (`A or B`).
    Alternative,
}

#[derive(Clone, Debug)]
pub struct Skip {
    pub line: usize,
    pub kind: SkipKind,
}

#[derive(Debug, Default)]
pub struct Reading {
    pub snippets: Vec<Snippet>,
    pub skipped: Vec<Skip>,
}

/// Whether the text is a shell script rather than a document: it starts
/// with `#!`, or every line is a command, a comment or blank.
pub fn is_script(text: &str) -> bool {
    if text.starts_with("#!") {
        return true;
    }
    let mut in_heredoc: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(delim) = &in_heredoc {
            if t == delim {
                in_heredoc = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            return false;
        }
        if t.is_empty() || t.starts_with('#') || t == "{" || t == "}" || t.ends_with("\\") && t.len() == 1 {
            continue;
        }
        let first = first_word(t);
        if !(known(first)
            || is_assignment(t)
            || first.contains('=') && super::shell::is_name(first.split('=').next().unwrap_or("")))
        {
            return false;
        }
        in_heredoc = heredoc_delimiter(t);
    }
    true
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}

fn known(word: &str) -> bool {
    STRONG.contains(&word) || WEAK.contains(&word)
}

fn is_assignment(text: &str) -> bool {
    let first = first_word(text);
    match first.split_once('=') {
        Some((name, _)) => super::shell::is_name(name) && !text.trim_start().starts_with('='),
        None => false,
    }
}

/// `<<EOF`, `<< 'EOF'`, `<<-"EOF"`: the here-document's delimiter.
pub fn heredoc_delimiter(text: &str) -> Option<String> {
    let at = text.find("<<")?;
    let rest = &text[at + 2..];
    if rest.starts_with('<') {
        return None;
    }
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let delim: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!delim.is_empty()).then_some(delim)
}

/// Takes a prompt off the front of a line: `$ `, `# ` (when a command
/// follows), `[user@host dir]# `, `user@host:~$ `, `root@host ~]# `.
/// Returns the command and whether there was a prompt.
pub fn strip_prompt(line: &str) -> (&str, bool) {
    let t = line.trim_start();
    for mark in ['$', '#'] {
        // Only near the start: a prompt is short.
        let Some(at) = t.char_indices().take(64).find(|(_, c)| *c == mark).map(|(i, _)| i) else { continue };
        let after = &t[at + 1..];
        if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
            continue;
        }
        let prefix = t[..at].trim();
        let command = after.trim_start();
        let prompt_like = prefix.is_empty()
            || (prefix.starts_with('[') && prefix.ends_with(']'))
            || (prefix.contains('@') && prefix.split_whitespace().count() <= 2)
            || (prefix.ends_with(']') && prefix.contains('@'))
            || (prefix.starts_with('(') && prefix.ends_with(')'))
            || prefix.ends_with(":~")
            || prefix == "~";
        if !prompt_like {
            continue;
        }
        // `# text` is a comment unless a command follows.
        if prefix.is_empty() && mark == '#' && !known(first_word(command)) {
            return (line, false);
        }
        // `$ 5` or `$HOME`: not a prompt either.
        if prefix.is_empty() && mark == '$' && command.is_empty() {
            return (line, false);
        }
        return (command, true);
    }
    (line, false)
}

/// Whether a command has placeholders (`<namespace-name>`, `<command>`).
fn has_placeholder(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '<'
            && chars.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic())
            && (i == 0 || chars[i - 1] != '<')
        {
            let rest = &chars[i + 1..];
            if let Some(end) = rest.iter().position(|c| *c == '>') {
                let inner: String = rest[..end].iter().collect();
                if inner.chars().all(|c| c.is_ascii_alphanumeric() || " _-.".contains(c)) {
                    return true;
                }
            }
        }
    }
    false
}

/// List bullets and block quotes in front of prose.
fn strip_bullet(line: &str) -> &str {
    let mut t = line.trim_start();
    loop {
        let before = t;
        for mark in ["- ", "* ", "+ ", "• ", "> ", "-\t", "*\t"] {
            if let Some(rest) = t.strip_prefix(mark) {
                t = rest.trim_start();
            }
        }
        if let Some(dot) = t.find(". ")
            && dot > 0
            && dot <= 3
            && t[..dot].chars().all(|c| c.is_ascii_digit())
        {
            t = t[dot + 2..].trim_start();
        }
        if t == before {
            return t;
        }
    }
}

/// Backquoted spans of a line of prose.
fn code_spans(line: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else { break };
        spans.push(after[..end].trim());
        rest = &after[end + 1..];
    }
    spans
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A shell script: every line is a command.
    Script,
    /// A code block of a document; `prompts` when some of its lines have one.
    Block { prompts: bool },
    /// Prose: only what starts with a network command counts.
    Text,
}

/// Reads a shell script or a document into command snippets.
pub fn read(text: &str) -> Reading {
    let lines: Vec<&str> = text.lines().collect();
    let script = is_script(text);
    let mut reading = Reading::default();
    let mut fence: Option<&str> = None;
    let mut block_prompts = false;
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let number = i + 1;
        i += 1;
        let trimmed = raw.trim();
        if !script {
            let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
            if let Some(marker) = marker {
                match fence {
                    Some(open) if open == marker => fence = None,
                    Some(_) => {}
                    None => {
                        fence = Some(marker);
                        block_prompts = block_has_prompts(&lines[i..], marker);
                    }
                }
                continue;
            }
        }
        let context = if script {
            Context::Script
        } else if fence.is_some() {
            Context::Block { prompts: block_prompts }
        } else {
            Context::Text
        };
        let mut candidates: Vec<(String, bool)> = Vec::new();
        match context {
            Context::Text => {
                let line = strip_bullet(raw);
                let spans = code_spans(line);
                if spans.is_empty() {
                    let (body, prompted) = strip_prompt(line);
                    candidates.push((body.to_string(), prompted));
                } else {
                    candidates.extend(spans.into_iter().map(|s| (strip_prompt(s).0.to_string(), false)));
                }
            }
            Context::Script | Context::Block { .. } => {
                let (body, prompted) = strip_prompt(raw);
                candidates.push((body.trim().to_string(), prompted));
            }
        }
        for (mut body, prompted) in candidates {
            let body_trim = body.trim().to_string();
            if body_trim.is_empty() || body_trim.starts_with('#') {
                continue;
            }
            let first = first_word(&body_trim).to_string();
            let command_like = match context {
                Context::Script => true,
                Context::Block { prompts } => {
                    prompted || known(&first) || (!prompts && is_assignment(&body_trim))
                }
                Context::Text => {
                    prompted && known(&first)
                        || STRONG.contains(&first.as_str())
                        || (first == "echo" && (body_trim.contains("/proc/sys/")))
                        || is_assignment(&body_trim) && !body_trim.contains(' ')
                }
            };
            if !command_like {
                if matches!(context, Context::Block { .. }) {
                    reading.skipped.push(Skip { line: number, kind: SkipKind::Output });
                }
                continue;
            }
            if !matches!(context, Context::Script) {
                if has_placeholder(&body_trim) {
                    reading.skipped.push(Skip { line: number, kind: SkipKind::Template });
                    continue;
                }
                // `A // comment` and `A or B` in prose.
                if let Some(at) = body.find(" // ") {
                    body.truncate(at);
                }
                if let Some(at) = body.find(" or ")
                    && STRONG.contains(&first_word(&body[at + 4..]))
                {
                    body.truncate(at);
                    reading.skipped.push(Skip { line: number, kind: SkipKind::Alternative });
                }
            }
            // Continuation lines.
            let mut text = body.trim_end().to_string();
            while text.ends_with('\\') && i < lines.len() {
                text.pop();
                text.truncate(text.trim_end().len());
                let next = lines[i].trim();
                let next =
                    if matches!(context, Context::Script) { next } else { strip_prompt(next).0.trim() };
                text.push(' ');
                text.push_str(next.strip_prefix('>').unwrap_or(next).trim());
                i += 1;
            }
            let text = text.trim_end_matches('\\').trim().to_string();
            // A here-document: the lines up to its delimiter.
            let mut heredoc = None;
            if let Some(delim) = heredoc_delimiter(&text) {
                let mut body = String::new();
                while i < lines.len() {
                    let line = lines[i];
                    i += 1;
                    if line.trim() == delim {
                        break;
                    }
                    body.push_str(line);
                    body.push('\n');
                }
                heredoc = Some(body);
            }
            reading.snippets.push(Snippet {
                line: number,
                text,
                heredoc,
                loose: matches!(context, Context::Text) && !prompted,
            });
        }
    }
    reading
}

/// Whether any line of the code block starting here has a prompt.
fn block_has_prompts(lines: &[&str], marker: &str) -> bool {
    lines.iter().take_while(|l| !l.trim().starts_with(marker)).any(|l| strip_prompt(l).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<(usize, String)> {
        read(input).snippets.into_iter().map(|s| (s.line, s.text)).collect()
    }

    #[test]
    fn prompts_come_off() {
        assert_eq!(strip_prompt("$ ip link"), ("ip link", true));
        assert_eq!(strip_prompt("# ip link"), ("ip link", true));
        assert_eq!(strip_prompt("[root@RHEL ~]# ip netns add ns1"), ("ip netns add ns1", true));
        assert_eq!(strip_prompt("root@RHEL ~]# ip netns add ns1"), ("ip netns add ns1", true));
        assert_eq!(strip_prompt("user@box:~$ sudo ip link"), ("sudo ip link", true));
        assert!(!strip_prompt("# Command to create a veth pair").1);
        assert!(!strip_prompt("ip route add default via 10.0.0.1 # the gateway").1);
    }

    #[test]
    fn a_script_is_all_commands() {
        let script = "#!/bin/bash\nset -e\nip netns add a\nfrobnicate --now\nnft -f - <<'NFT'\nadd table inet x\nNFT\n";
        assert!(is_script(script));
        let found = read(script);
        let lines: Vec<&str> = found.snippets.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(lines, ["set -e", "ip netns add a", "frobnicate --now", "nft -f - <<'NFT'"]);
        assert_eq!(found.snippets[3].heredoc.as_deref(), Some("add table inet x\n"));
    }

    #[test]
    fn code_blocks_with_prompts_and_output() {
        let doc = "Some prose.\n\n```\n[root@h ~]# ip netns list\nns1    # made\n[root@h ~]# ip link set lo up\nip netns exec ns1 ip link set lo up\n1: lo: <LOOPBACK> mtu 65536\n```\n";
        let found = read(doc);
        assert_eq!(
            found.snippets.iter().map(|s| (s.line, s.text.as_str())).collect::<Vec<_>>(),
            [(4, "ip netns list"), (6, "ip link set lo up"), (7, "ip netns exec ns1 ip link set lo up")]
        );
        let skipped: Vec<(usize, SkipKind)> = found.skipped.iter().map(|s| (s.line, s.kind)).collect();
        assert_eq!(skipped, [(5, SkipKind::Output), (8, SkipKind::Output)]);
    }

    #[test]
    fn prose_inline_code_and_templates() {
        let doc = "- Creating one: `ip netns add <name>`\n\t- `ip netns add client`\nWe can add it using `ip link add a type veth peer name b`.\n    ip netns add web\n    Verify it with\n    ip link // the whole machine\n\tsudo ip netns exec one ip link  or  sudo ip -n one link\n";
        let found = read(doc);
        assert_eq!(
            texts(doc),
            [
                (2, "ip netns add client".to_string()),
                (3, "ip link add a type veth peer name b".to_string()),
                (4, "ip netns add web".to_string()),
                (6, "ip link".to_string()),
                (7, "sudo ip netns exec one ip link".to_string()),
            ]
        );
        assert_eq!(found.skipped[0].kind, SkipKind::Template);
        assert!(found.snippets.iter().all(|s| s.loose));
    }

    #[test]
    fn continuations_join() {
        let doc = "```\n$ ip link add a \\\n>   type veth peer name b\n```\n";
        assert_eq!(texts(doc), [(2, "ip link add a type veth peer name b".to_string())]);
        assert_eq!(
            texts("ip link add a \\\n  type bridge\n"),
            [(1, "ip link add a type bridge".to_string())]
        );
    }
}
