//! nftables through the `nft` program, run from a thread inside the target
//! namespace (the child inherits the thread's namespace). Rules go in as nft
//! text, the same text `--dry-run` prints, one atomic batch per operation;
//! netscript's table is read back as `nft -a list` prints it, which holds
//! what the JSON of older nft versions leaves out (the comments that mark
//! what netscript made).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::Kernel;
use super::error::KernelError;
use crate::ops::firewall::{Chain, Installed, MARK, NftRule, TABLE, Table, declaration};
use crate::ops::{Hook, Netns, Policy, Rule};

/// A table of someone else's in a namespace, and how many rules it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub family: String,
    pub name: String,
    pub rules: usize,
}

impl Kernel {
    /// Adds the nft rules of `rule` that are not there yet, as lab `lab`'s.
    pub(super) fn firewall_add(&self, ns: &Netns, lab: &str, rule: &Rule) -> Result<(), KernelError> {
        // nft matches interface names as strings and takes any; a typo
        // would make a rule that never matches. Check they exist.
        for dev in rule.interfaces() {
            self.link_index(ns, dev)?;
        }
        self.check_nat_address(ns, rule)?;
        if let Rule::Raw { chain, text, .. } = rule {
            self.check_raw(ns, *chain, text)?;
        }
        let table = self.firewall_table(ns)?;
        let Some(script) =
            table.plan_add(&rule.nft_rules(lab), &ns.location()).map_err(KernelError::Failed)?
        else {
            return Ok(());
        };
        match (self.nft(ns, &["-f", "-"], Some(&script)), rule) {
            // nft's check takes some statements the kernel refuses in a chain of the wrong type.
            (Err(KernelError::Failed(said)), Rule::Raw { chain, .. })
                if said.contains("Operation not supported") && !chain.is_nat() =>
            {
                Err(KernelError::Failed(format!(
                    "{said}: the kernel does not take it in the {chain} chain (NAT statements such as masquerade, \
                     snat, dnat and redirect go in prerouting or postrouting)"
                )))
            }
            (result, _) => result.map(drop),
        }
    }

    /// Removes lab `lab`'s nft rules of `rule`, then what netscript made
    /// and is left empty: its chains, and its table once nothing is in it.
    pub(super) fn firewall_del(&self, ns: &Netns, lab: &str, rule: &Rule) -> Result<(), KernelError> {
        let table = self.firewall_table(ns)?;
        let comments: Vec<String> = rule.nft_rules(lab).into_iter().map(|nft: NftRule| nft.comment).collect();
        let Some((deletions, tidy)) = table.plan_del(&comments) else {
            return Err(KernelError::NotFound(format!("{ns} has no rule to {}", rule.describe())));
        };
        // A chain someone jumps to cannot go: then only the rules do.
        let both = format!("{deletions}{tidy}");
        if tidy.is_empty() || self.nft(ns, &["-f", "-"], Some(&both)).is_err() {
            self.nft(ns, &["-f", "-"], Some(&deletions))?;
        }
        Ok(())
    }

    /// Sets a chain's policy; a chain left with nothing (and accept) goes.
    pub(super) fn chain_policy(&self, ns: &Netns, hook: Hook, policy: Policy) -> Result<(), KernelError> {
        let table = self.firewall_table(ns)?;
        let script = table.plan_policy(hook, policy, &ns.location()).map_err(KernelError::Failed)?;
        self.nft(ns, &["-f", "-"], Some(&script)).map(drop)
    }

    /// A masquerade takes the address the interface has: one of the
    /// subnet's family must be there, or the rule would change nothing.
    fn check_nat_address(&self, ns: &Netns, rule: &Rule) -> Result<(), KernelError> {
        let (out, v6) = match rule {
            Rule::Masquerade { subnet, out } => (out, Some(subnet.is_ipv6())),
            Rule::MasqueradeOut { out } => (out, None),
            _ => return Ok(()),
        };
        let addrs = self.addrs(ns, Some(out))?;
        let usable =
            |a: &&super::AddrInfo| a.scope != "link" && v6.is_none_or(|v6| a.address.is_ipv6() == v6);
        if addrs.iter().any(|a| usable(&a)) {
            return Ok(());
        }
        let family = match v6 {
            Some(true) => "IPv6 ",
            Some(false) => "IPv4 ",
            None => "",
        };
        Err(KernelError::Failed(format!(
            "'{out}' has no {family}address to give the traffic, so the masquerade would change nothing; \
             give '{out}' an address first"
        )))
    }

    /// Asks nft, in the namespace, whether it takes a rule given as text.
    fn check_raw(&self, ns: &Netns, chain: Hook, text: &str) -> Result<(), KernelError> {
        match self.in_netns(ns, || Ok(nft_check(chain, text))) {
            Ok(Some(Err(why))) => Err(KernelError::Failed(format!("nft rejects it: {why}"))),
            Ok(_) => Ok(()),
            Err(err) => Err(KernelError::Failed(format!("cannot run nft: {err}"))),
        }
    }

    /// netscript's table in a namespace, as nft holds it.
    pub fn firewall_table(&self, ns: &Netns) -> Result<Table, KernelError> {
        match self.nft(ns, &["-a", "list", "table", "inet", TABLE], None) {
            Ok(text) => Ok(parse_table(&text)),
            Err(KernelError::NotFound(_)) => Ok(Table::default()),
            Err(err) => Err(err),
        }
    }

    /// The other tables of a namespace, with their rule counts.
    pub fn firewall_tables(&self, ns: &Netns) -> Result<Vec<TableInfo>, KernelError> {
        let json = self.nft(ns, &["-j", "list", "ruleset"], None)?;
        let ruleset: Value = serde_json::from_str(&json)
            .map_err(|err| KernelError::Failed(format!("cannot read nft's listing: {err}")))?;
        let mut tables: Vec<TableInfo> = Vec::new();
        for object in ruleset["nftables"].as_array().into_iter().flatten() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            if let Some(table) = object.get("table") {
                tables.push(TableInfo {
                    family: text(&table["family"]),
                    name: text(&table["name"]),
                    rules: 0,
                });
            } else if let Some(rule) = object.get("rule")
                && let Some(table) = tables
                    .iter_mut()
                    .find(|t| t.family == text(&rule["family"]) && t.name == text(&rule["table"]))
            {
                table.rules += 1;
            }
        }
        tables.retain(|t| !(t.family == "inet" && t.name == TABLE));
        Ok(tables)
    }

    fn run_nft(
        &self,
        ns: &Netns,
        args: &[&str],
        input: Option<&str>,
    ) -> Result<std::process::Output, KernelError> {
        let run = || -> std::io::Result<std::process::Output> {
            let mut child = Command::new("nft")
                .args(args)
                .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
                stdin.write_all(text.as_bytes())?;
            }
            child.wait_with_output()
        };
        self.in_netns(ns, run).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                KernelError::Failed(
                    "firewall rules need the nft program (Debian/Ubuntu package nftables)".into(),
                )
            } else {
                KernelError::Failed(format!("cannot run nft: {err}"))
            }
        })
    }

    /// Runs nft inside a namespace, feeding it `input`; returns its output.
    fn nft(&self, ns: &Netns, args: &[&str], input: Option<&str>) -> Result<String, KernelError> {
        let output = self.run_nft(ns, args, input)?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No such file or directory") && args.contains(&"list") {
            return Err(KernelError::NotFound(format!("{ns} has no table inet {TABLE}")));
        }
        Err(KernelError::Failed(format!("nft refused it: {}", explain(&stderr, 0, ""))))
    }
}

/// Asks nft, in the namespace of the calling thread, whether it takes a
/// rule given as text, in check mode: nothing is changed. None when nft
/// cannot tell (it is missing, or the caller may not ask the kernel).
pub fn nft_check(chain: Hook, text: &str) -> Option<Result<(), String>> {
    let head = format!("add rule inet {TABLE} {chain} ");
    let script = format!("{}{head}{}\n", declaration(&[chain], None), text.trim());
    let mut child = Command::new("nft")
        .args(["--check", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if output.status.success() {
        return Some(Ok(()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("Operation not permitted") {
        return None;
    }
    Some(Err(explain(&stderr, head.len(), text.trim())))
}

/// nft's complaint in words: its message, and where in `text` (which
/// starts at column `offset` of the line nft quotes) it points.
fn explain(stderr: &str, offset: usize, text: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(at) = lines.iter().position(|l| l.contains("Error: ")) else {
        return stderr.trim().to_string();
    };
    let line = lines[at];
    let message = line[line.find("Error: ").expect("found") + "Error: ".len()..].trim();
    if text.is_empty() {
        return message.to_string();
    }
    // "/dev/stdin:3:45-49: Error: ..." names the columns (from 1) of the quoted line.
    let columns = line.split(':').nth(2).and_then(|span| {
        let (from, to) = span.split_once('-').unwrap_or((span, span));
        Some((from.trim().parse::<usize>().ok()?, to.trim().parse::<usize>().ok()?))
    });
    let Some((from, to)) = columns.filter(|(from, _)| *from > 0) else {
        return message.to_string();
    };
    let (from, to) = (from - 1, to);
    if from >= offset + text.len() {
        return format!("{message}, at the end of '{text}'");
    }
    if from < offset {
        return format!("{message} (in '{text}')");
    }
    let end = (to.max(from + 1) - offset).min(text.len());
    match text.get(from - offset..end) {
        Some(part) if !part.trim().is_empty() => format!("{message}, at '{part}' in '{text}'"),
        _ => format!("{message} (in '{text}')"),
    }
}

/// Splits " # handle N" off a line of `nft -a list`.
fn handle_of(line: &str) -> (&str, Option<u64>) {
    match line.rfind(" # handle ") {
        Some(at) => (&line[..at], line[at + " # handle ".len()..].trim().parse().ok()),
        None => (line, None),
    }
}

/// The text of a `comment "..."` line.
fn quoted(line: &str) -> Option<&str> {
    line.strip_prefix("comment \"")?.strip_suffix('"')
}

/// Reads `nft -a list table inet netscript`: the table and its mark, its
/// chains with hooks, policies, marks and rules, and how many other things
/// (sets, maps, ...) it holds.
pub fn parse_table(text: &str) -> Table {
    let mut table = Table::default();
    let mut depth = 0i32;
    let mut skipping = false;
    for raw in text.lines() {
        let (line, handle) = handle_of(raw.trim());
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if skipping {
            depth += braces(line);
            skipping = depth > 1;
            continue;
        }
        match depth {
            0 if line.starts_with("table ") && line.ends_with('{') => {
                table.exists = true;
                depth = 1;
            }
            1 if line == "}" => depth = 0,
            1 if line.starts_with("chain ") && line.ends_with('{') => {
                let name = line["chain ".len()..].trim_end_matches('{').trim().to_string();
                table.chains.push(Chain {
                    name,
                    hook: None,
                    kind: None,
                    policy: None,
                    marked: false,
                    rules: vec![],
                });
                depth = 2;
            }
            1 if quoted(line).is_some() => table.marked = quoted(line) == Some(MARK),
            1 if line.ends_with('{') => {
                table.others += 1;
                depth = 2;
                skipping = true;
            }
            2 => {
                let Some(chain) = table.chains.last_mut() else { continue };
                if line == "}" {
                    depth = 1;
                } else if let Some(comment) = quoted(line) {
                    chain.marked = comment == MARK;
                } else if line.starts_with("type ") && line.contains(" hook ") {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    let after = |key: &str| {
                        words
                            .iter()
                            .position(|w| *w == key)
                            .and_then(|i| words.get(i + 1))
                            .map(|w| w.trim_end_matches(';'))
                    };
                    chain.kind = after("type").map(String::from);
                    chain.hook = after("hook").map(String::from);
                    chain.policy = after("policy").and_then(|p| Policy::parse(p).ok());
                } else {
                    chain.rules.push(rule_line(line, handle));
                }
            }
            _ => {}
        }
    }
    table
}

/// Braces opened minus closed, outside quotes.
fn braces(line: &str) -> i32 {
    let mut quoted = false;
    let mut count = 0;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => count += 1,
            '}' if !quoted => count -= 1,
            _ => {}
        }
    }
    count
}

fn rule_line(line: &str, handle: Option<u64>) -> Installed {
    let (text, comment) = match line.rfind(" comment \"") {
        Some(at) if line.ends_with('"') => {
            (&line[..at], Some(line[at + " comment \"".len()..line.len() - 1].to_string()))
        }
        _ => (line, None),
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let counter = words.windows(5).find_map(|w| match w {
        ["counter", "packets", p, "bytes", b] => Some((p.parse().ok()?, b.parse().ok()?)),
        _ => None,
    });
    Installed { handle, text: text.to_string(), comment, counter }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "table inet netscript { # handle 4
\tcomment \"made by netscript\"
\tset blocked { # handle 3
\t\ttype ipv4_addr
\t\telements = { 192.0.2.1,
\t\t\t     192.0.2.2 }
\t}

\tchain input { # handle 1
\t\tcomment \"made by netscript\"
\t\ttype filter hook input priority filter; policy drop;
\t\ttcp dport 22 counter packets 3 bytes 180 accept comment \"netscript/lab: input tcp dport 22 counter accept\" # handle 5
\t\tiifname { \"a\", \"b\" } accept # handle 6
\t}

\tchain mine { # handle 2
\t}
}
";

    #[test]
    fn listing_gives_marks_chains_rules_and_counters() {
        let table = parse_table(LISTING);
        assert!(table.exists && table.marked);
        assert_eq!(table.others, 1);
        assert_eq!(table.chains.len(), 2);
        let input = &table.chains[0];
        assert_eq!(
            (input.name.as_str(), input.hook.as_deref(), input.kind.as_deref()),
            ("input", Some("input"), Some("filter"))
        );
        assert_eq!(input.policy, Some(Policy::Drop));
        assert!(input.marked);
        assert_eq!(
            input.rules[0],
            Installed {
                handle: Some(5),
                text: "tcp dport 22 counter packets 3 bytes 180 accept".into(),
                comment: Some("netscript/lab: input tcp dport 22 counter accept".into()),
                counter: Some((3, 180)),
            }
        );
        assert_eq!(input.rules[1].comment, None);
        assert_eq!(input.rules[1].handle, Some(6));
        let mine = &table.chains[1];
        assert!(!mine.marked && mine.hook.is_none() && mine.rules.is_empty());
        // The user's set and chain keep the table; netscript's empty chain would go.
        assert!(parse_table("").chains.is_empty() && !parse_table("").exists);
    }

    #[test]
    fn nft_complaints_point_into_the_rule() {
        let text = "tcp dport 22 ip saddr 10.99.0.300/24 accept";
        let head = "add rule inet netscript input ";
        let stderr = format!(
            "/dev/stdin:5:53-66: Error: Could not resolve hostname: Name or service not known\n{head}{text}\n"
        );
        assert_eq!(
            explain(&stderr, head.len(), text),
            format!("Could not resolve hostname: Name or service not known, at '10.99.0.300/24' in '{text}'")
        );
        let short = "tcp dport 22 accep";
        let stderr = format!("/dev/stdin:5:49-49: Error: syntax error, unexpected newline\n{head}{short}\n");
        assert_eq!(
            explain(&stderr, head.len(), short),
            format!("syntax error, unexpected newline, at the end of '{short}'")
        );
        assert_eq!(
            explain("Error: Could not process rule: File exists\n", 0, ""),
            "Could not process rule: File exists"
        );
    }
}
