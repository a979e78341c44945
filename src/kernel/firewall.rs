//! nftables through the `nft` program, run from a thread inside the target
//! namespace (the child inherits the thread's namespace). Rules go in as nft
//! text, the same text `--dry-run` prints; the table is read back as JSON
//! with the nftables crate's schema.

use std::io::Write;
use std::process::{Command, Stdio};

use nftables::schema::{NfListObject, NfObject, Nftables};

use super::Kernel;
use super::error::KernelError;
use crate::ops::firewall::{NftRule, TABLE, table_declaration};
use crate::ops::{Netns, Rule};

/// A rule of our table as `nft list` prints it, for `netscript show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub chain: String,
    /// Match and action, as nft prints them (without the comment).
    pub rule: String,
    pub comment: Option<String>,
}

/// A rule of our table as the kernel holds it.
struct Installed {
    chain: String,
    handle: u32,
    comment: String,
}

impl Kernel {
    /// Adds the nft rules of `rule` that are not there yet.
    pub(super) fn firewall_add(&self, ns: &Netns, rule: &Rule) -> Result<(), KernelError> {
        // nft matches interface names as strings and takes any; a typo
        // would make a rule that never matches. Check they exist.
        for dev in rule.interfaces() {
            self.link_index(ns, dev)?;
        }
        let installed = self.firewall_rules(ns)?;
        let mut script = table_declaration();
        for nft in rule.nft_rules() {
            if !installed.iter().any(|have| have.comment == nft.comment) {
                script.push_str(&nft.add_command());
                script.push('\n');
            }
        }
        self.nft(ns, &["-f", "-"], Some(&script)).map(drop)
    }

    /// Whether every nft rule of `rule` is in place already.
    pub(super) fn firewall_has(&self, ns: &Netns, rule: &Rule) -> Result<bool, KernelError> {
        let installed = self.firewall_rules(ns)?;
        Ok(rule.nft_rules().iter().all(|nft| installed.iter().any(|have| have.comment == nft.comment)))
    }

    /// Removes the nft rules of `rule`, and the table once it holds no rule.
    pub(super) fn firewall_del(&self, ns: &Netns, rule: &Rule) -> Result<(), KernelError> {
        let installed = self.firewall_rules(ns)?;
        let wanted: Vec<NftRule> = rule.nft_rules();
        let (gone, kept): (Vec<&Installed>, Vec<&Installed>) =
            installed.iter().partition(|have| wanted.iter().any(|w| w.comment == have.comment));
        if gone.is_empty() {
            return Err(KernelError::NotFound(format!("{ns} has no rule to {}", rule.describe())));
        }
        let mut script = String::new();
        if kept.is_empty() {
            script.push_str(&format!("delete table inet {TABLE}\n"));
        } else {
            for have in gone {
                script.push_str(&format!("delete rule inet {TABLE} {} handle {}\n", have.chain, have.handle));
            }
        }
        self.nft(ns, &["-f", "-"], Some(&script)).map(drop)
    }

    /// The rules of our table in a namespace; none when the table is absent.
    fn firewall_rules(&self, ns: &Netns) -> Result<Vec<Installed>, KernelError> {
        let json = match self.nft(ns, &["-j", "list", "table", "inet", TABLE], None) {
            Ok(json) => json,
            Err(KernelError::NotFound(_)) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let ruleset: Nftables = serde_json::from_str(&json)
            .map_err(|err| KernelError::Failed(format!("cannot read nft's listing of the table: {err}")))?;
        Ok(ruleset
            .objects
            .iter()
            .filter_map(|object| match object {
                NfObject::ListObject(NfListObject::Rule(rule)) => Some(Installed {
                    chain: rule.chain.to_string(),
                    handle: rule.handle?,
                    comment: rule.comment.as_deref().unwrap_or_default().to_string(),
                }),
                _ => None,
            })
            .collect())
    }

    /// The rules of our table as text; none when the table is absent.
    pub(super) fn firewall_list(&self, ns: &Netns) -> Result<Vec<RuleInfo>, KernelError> {
        match self.nft(ns, &["list", "table", "inet", TABLE], None) {
            Ok(text) => Ok(parse_listing(&text)),
            Err(KernelError::NotFound(_)) => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    }

    /// Runs nft inside a namespace, feeding it `input`; returns its output.
    fn nft(&self, ns: &Netns, args: &[&str], input: Option<&str>) -> Result<String, KernelError> {
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
        let output = self.in_netns(ns, run).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                KernelError::Failed(
                    "firewall rules need the nft program (Debian/Ubuntu package nftables)".into(),
                )
            } else {
                KernelError::Failed(format!("cannot run nft: {err}"))
            }
        })?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No such file or directory") && args.contains(&"list") {
            return Err(KernelError::NotFound(format!("{ns} has no table inet {TABLE}")));
        }
        let said = stderr.lines().next().unwrap_or("").trim_start_matches("Error: ").trim();
        Err(KernelError::Failed(format!("nft refused it: {said}")))
    }
}

/// The rules of `nft list table` output: the lines inside a chain after its
/// `type ... hook ...` line.
fn parse_listing(text: &str) -> Vec<RuleInfo> {
    let mut rules = Vec::new();
    let mut chain: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("chain ") {
            chain = rest.split_whitespace().next().map(String::from);
        } else if line == "}" {
            chain = None;
        } else if let Some(chain) = &chain
            && !line.is_empty()
            && !line.starts_with("type ")
        {
            let (rule, comment) = match line.find(" comment \"") {
                Some(at) => {
                    let quoted = &line[at + " comment \"".len()..];
                    (&line[..at], quoted.rfind('"').map(|end| quoted[..end].to_string()))
                }
                None => (line, None),
            };
            rules.push(RuleInfo { chain: chain.clone(), rule: rule.to_string(), comment });
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_gives_chain_rule_and_comment() {
        let text = "table inet netscript {
\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t}

\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tip saddr 10.0.0.0/24 oifname \"up0\" masquerade comment \"netscript: masquerade 10.0.0.0/24 out up0\"
\t\tcounter
\t}
}
";
        assert_eq!(
            parse_listing(text),
            [
                RuleInfo {
                    chain: "postrouting".into(),
                    rule: "ip saddr 10.0.0.0/24 oifname \"up0\" masquerade".into(),
                    comment: Some("netscript: masquerade 10.0.0.0/24 out up0".into()),
                },
                RuleInfo { chain: "postrouting".into(), rule: "counter".into(), comment: None },
            ]
        );
    }
}
