//! Firewall rules in netscript's own nftables table (`inet netscript`, one
//! per namespace), so the user's rules, Docker's or firewalld's are never
//! touched. Each rule carries a comment that names the lab and the rule:
//! the comment is its identity, which makes adding a rule twice a no-op
//! within a lab, gives two labs that add the same rule a copy each, and
//! lets teardown find exactly what one lab added.
//!
//! The table and the chains netscript makes carry a mark of their own (a
//! comment, `made by netscript`). Teardown deletes a marked chain once it
//! holds no rule and no drop policy, and a marked table once nothing is
//! left in it; a table or chain without the mark (the user's own, under
//! the same name) is never deleted.

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::check_ifname;
use super::filter::{Filter, Hook, Policy, check_label, check_raw};
pub use super::table::{Chain, Installed, Table};

pub const TABLE: &str = "netscript";
/// The comment on the table and the chains netscript made.
pub const MARK: &str = "made by netscript";
/// Comments of netscript's rules: this, the lab's name, ": ", the rule.
pub const COMMENT_PREFIX: &str = "netscript/";
/// nft keeps comments of up to 128 bytes.
const COMMENT_MAX: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proto {
    Tcp,
    Udp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Rewrite the source of what leaves `subnet` through `out` to `out`'s
    /// address. Traffic that stays inside the subnet keeps its source, also
    /// when bridge netfilter sends bridged frames through these hooks.
    Masquerade { subnet: IpNetwork, out: String },
    /// Rewrite the source of everything that leaves through `out` (`-o eth0`).
    MasqueradeOut { out: String },
    /// Rewrite the source of what leaves `subnet` through `out` to `to`.
    Snat { subnet: IpNetwork, out: String, to: IpAddr },
    /// Accept forwarding from `from` to `to`, and the replies back.
    ForwardAccept { from: String, to: String },
    /// DNAT `port` arriving (on `iif`, if given) to `to:to_port`, and accept
    /// forwarding it.
    PortForward { proto: Proto, port: u16, to: IpAddr, to_port: u16, iif: Option<String> },
    /// Send `port` arriving (on `iif`, if given) to `to_port` of this namespace.
    Redirect { proto: Proto, port: u16, to_port: u16, iif: Option<String> },
    /// A match and a verdict in a filter chain.
    Filter(Box<Filter>),
    /// An nft rule as text, for what the other forms do not cover.
    Raw {
        chain: Hook,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counter: Option<String>,
    },
}

/// One nft rule: its chain, its match-and-action text, and its comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NftRule {
    pub chain: Hook,
    pub body: String,
    pub comment: String,
}

impl NftRule {
    /// The rule as `nft add rule` takes it.
    pub fn add_command(&self) -> String {
        format!("add rule inet {TABLE} {} {} comment \"{}\"", self.chain, self.body, self.comment)
    }
}

fn ip_family(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "ip" } else { "ip6" }
}

impl Rule {
    pub fn describe(&self) -> String {
        match self {
            Rule::Masquerade { subnet, out } => format!("masquerade {subnet} out of '{out}'"),
            Rule::MasqueradeOut { out } => format!("masquerade what leaves through '{out}'"),
            Rule::Snat { subnet, out, to } => format!("source NAT {subnet} out of '{out}' to {to}"),
            Rule::ForwardAccept { from, to } => {
                format!("accept forwarding from '{from}' to '{to}' and replies")
            }
            Rule::PortForward { proto, port, to, to_port, iif } => {
                let on = iif.as_ref().map(|i| format!(" on '{i}'")).unwrap_or_default();
                format!("forward {proto} port {port}{on} to {}", socket_text(*to, *to_port))
            }
            Rule::Redirect { proto, port, to_port, iif } => {
                let on = iif.as_ref().map(|i| format!(" on '{i}'")).unwrap_or_default();
                format!("redirect {proto} port {port}{on} to port {to_port}")
            }
            Rule::Filter(filter) => format!("add the rule '{}' to chain {}", filter.body(), filter.chain),
            Rule::Raw { chain, text, .. } => format!("add the rule '{text}' to chain {chain}"),
        }
    }

    /// Its removal, in words.
    pub fn removal(&self) -> String {
        match self {
            Rule::Filter(filter) => {
                format!("remove the rule '{}' from chain {}", filter.body(), filter.chain)
            }
            Rule::Raw { chain, text, .. } => format!("remove the rule '{text}' from chain {chain}"),
            other => format!("remove the rule to {}", other.describe()),
        }
    }

    /// The interfaces a rule names, to check before nft sees them.
    pub fn interfaces(&self) -> Vec<&str> {
        match self {
            Rule::Masquerade { out, .. } | Rule::MasqueradeOut { out } | Rule::Snat { out, .. } => vec![out],
            Rule::ForwardAccept { from, to } => vec![from, to],
            Rule::PortForward { iif, .. } | Rule::Redirect { iif, .. } => {
                iif.iter().map(String::as_str).collect()
            }
            Rule::Filter(filter) => filter.interfaces(),
            Rule::Raw { .. } => vec![],
        }
    }

    /// The name its counter is read by, if it has one.
    pub fn counter(&self) -> Option<&str> {
        match self {
            Rule::Filter(filter) => filter.counter.as_deref(),
            Rule::Raw { counter, .. } => counter.as_deref(),
            _ => None,
        }
    }

    /// Checks what a script asks, and what a ledger says, before nft sees it.
    pub fn validate(&self) -> Result<(), String> {
        for dev in self.interfaces() {
            check_ifname(dev)?;
            if dev.contains('"') {
                return Err(format!("interface name '{dev}' contains '\"', which nft rules cannot hold"));
            }
        }
        let port =
            |p: u16| if p == 0 { Err("port 0 is not a port: ports go from 1 to 65535") } else { Ok(()) };
        match self {
            Rule::Snat { subnet, to, .. } if subnet.is_ipv4() != to.is_ipv4() => {
                Err(format!("cannot rewrite the sources of {subnet} to {to}: the address families differ"))
            }
            Rule::PortForward { port: p, to_port, .. } | Rule::Redirect { port: p, to_port, .. } => {
                port(*p).and(port(*to_port)).map_err(String::from)
            }
            Rule::Filter(filter) => filter.validate(),
            Rule::Raw { text, counter, .. } => {
                check_raw(text)?;
                if let Some(name) = counter {
                    check_label(name).map_err(|why| format!("counter: {why}"))?;
                    if !text.split_whitespace().any(|w| w == "counter") {
                        return Err(format!(
                            "the rule '{text}' is to be counted as '{name}', but has no counter statement; \
                             put `counter` before its verdict"
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The nft rules that make up this rule, as lab `lab`'s.
    pub fn nft_rules(&self, lab: &str) -> Vec<NftRule> {
        let rule = |chain, body: String, what: String| NftRule { chain, body, comment: comment(lab, &what) };
        match self {
            Rule::Masquerade { subnet, out } => {
                let net = subnet_text(subnet);
                let fam = ip_family(subnet.ip());
                vec![rule(
                    Hook::Postrouting,
                    format!("{fam} saddr {net} {fam} daddr != {net} oifname \"{out}\" masquerade"),
                    format!("masquerade {net} out {out}"),
                )]
            }
            Rule::MasqueradeOut { out } => vec![rule(
                Hook::Postrouting,
                format!("oifname \"{out}\" masquerade"),
                format!("masquerade out {out}"),
            )],
            Rule::Snat { subnet, out, to } => {
                let net = subnet_text(subnet);
                let fam = ip_family(subnet.ip());
                vec![rule(
                    Hook::Postrouting,
                    format!("{fam} saddr {net} {fam} daddr != {net} oifname \"{out}\" snat {fam} to {to}"),
                    format!("snat {net} out {out} to {to}"),
                )]
            }
            Rule::ForwardAccept { from, to } => vec![
                rule(
                    Hook::Forward,
                    format!("iifname \"{from}\" oifname \"{to}\" accept"),
                    format!("forward {from} to {to}"),
                ),
                rule(
                    Hook::Forward,
                    format!("iifname \"{to}\" oifname \"{from}\" ct state established,related accept"),
                    format!("replies {to} to {from}"),
                ),
            ],
            Rule::PortForward { proto, port, to, to_port, iif } => {
                let on = iif.as_ref().map(|i| format!("iifname \"{i}\" ")).unwrap_or_default();
                let target = socket_text(*to, *to_port);
                let fam = ip_family(*to);
                let nfproto = if to.is_ipv4() { "ipv4" } else { "ipv6" };
                let on_words = iif.as_ref().map(|i| format!(" on {i}")).unwrap_or_default();
                vec![
                    rule(
                        Hook::Prerouting,
                        format!("{on}meta nfproto {nfproto} {proto} dport {port} dnat {fam} to {target}"),
                        format!("dnat {proto} {port}{on_words} to {target}"),
                    ),
                    rule(
                        Hook::Forward,
                        format!("{fam} daddr {to} {proto} dport {to_port} ct status dnat accept"),
                        format!("accept dnat {proto} {port}{on_words} to {target}"),
                    ),
                ]
            }
            Rule::Redirect { proto, port, to_port, iif } => {
                let on = iif.as_ref().map(|i| format!("iifname \"{i}\" ")).unwrap_or_default();
                let on_words = iif.as_ref().map(|i| format!(" on {i}")).unwrap_or_default();
                vec![rule(
                    Hook::Prerouting,
                    format!("{on}{proto} dport {port} redirect to :{to_port}"),
                    format!("redirect {proto} {port}{on_words} to {to_port}"),
                )]
            }
            Rule::Filter(filter) => {
                let body = filter.body();
                let named = filter.counter.as_ref().map(|c| format!(" (counter {c})")).unwrap_or_default();
                vec![rule(filter.chain, body.clone(), format!("{} {body}{named}", filter.chain))]
            }
            Rule::Raw { chain, text, counter } => {
                let named = counter.as_ref().map(|c| format!(" (counter {c})")).unwrap_or_default();
                vec![rule(*chain, text.trim().to_string(), format!("{chain} {}{named}", text.trim()))]
            }
        }
    }
}

/// The comment of one of lab `lab`'s rules. It fits in nft's 128 bytes:
/// a longer rule is cut short and ends with a hash of the whole.
pub fn comment(lab: &str, what: &str) -> String {
    let head = format!("{COMMENT_PREFIX}{lab}: ");
    let what = what.replace('"', "'");
    if head.len() + what.len() <= COMMENT_MAX {
        return format!("{head}{what}");
    }
    let tag = format!(" #{:016x}", fnv1a(what.as_bytes()));
    let mut cut = COMMENT_MAX.saturating_sub(head.len() + tag.len()).min(what.len());
    while !what.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{head}{}{tag}", &what[..cut])
}

/// The name under which labs that set a chain's policy outside their own
/// namespaces hold it together (as they hold sysctls): the last one sets
/// it back.
pub fn policy_key(chain: Hook) -> String {
    format!("nftables.{TABLE}.{chain}.policy")
}

/// A lab's name as it goes into a rule's comment: what `--lab` allows.
pub fn check_owner(lab: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-+@".contains(c);
    if lab.is_empty() || lab.len() > 64 || lab.starts_with('.') || !lab.chars().all(plain) {
        return Err(format!("'{}' is not a lab's name", lab.escape_debug()));
    }
    Ok(())
}

/// The lab a rule's comment names, when it is netscript's.
pub fn owner(comment: &str) -> Option<&str> {
    comment.strip_prefix(COMMENT_PREFIX)?.split_once(": ").map(|(lab, _)| lab)
}

/// FNV-1a: a stable hash, the same in every netscript version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The network of a subnet ("10.0.0.0/24"), whatever host bits were given.
fn subnet_text(subnet: &IpNetwork) -> String {
    format!("{}/{}", subnet.network(), subnet.prefix())
}

fn socket_text(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(ip) => format!("{ip}:{port}"),
        IpAddr::V6(ip) => format!("[{ip}]:{port}"),
    }
}

/// The table and the chains `hooks` (with a policy for one of them), as an
/// nft script fragment that creates what is missing, marked as netscript's,
/// and leaves the rest as it is (a chain's policy, unless one is given).
pub fn declaration(hooks: &[Hook], policy: Option<Policy>) -> String {
    let mut text = format!("table inet {TABLE} {{\n  comment \"{MARK}\"\n");
    for hook in hooks {
        let policy = policy.map(|p| format!(" policy {p};")).unwrap_or_default();
        text.push_str(&format!("  chain {hook} {{ {}{policy} comment \"{MARK}\"; }}\n", hook.spec()));
    }
    text.push_str("}\n");
    text
}

/// The chains a set of nft rules go in, each once, in order.
pub fn chains_of(rules: &[NftRule]) -> Vec<Hook> {
    let mut hooks: Vec<Hook> = Vec::new();
    for rule in rules {
        if !hooks.contains(&rule.chain) {
            hooks.push(rule.chain);
        }
    }
    hooks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::filter::{L4, PortRange, Verdict};

    #[test]
    fn masquerade_leaves_traffic_inside_the_subnet_alone() {
        let rule = Rule::Masquerade { subnet: "192.168.15.7/24".parse().unwrap(), out: "eth0".into() };
        let nft = rule.nft_rules("lab");
        assert_eq!(nft.len(), 1);
        assert_eq!(
            nft[0].add_command(),
            "add rule inet netscript postrouting ip saddr 192.168.15.0/24 ip daddr != 192.168.15.0/24 \
             oifname \"eth0\" masquerade comment \"netscript/lab: masquerade 192.168.15.0/24 out eth0\""
        );
        assert_eq!(owner(&nft[0].comment), Some("lab"));
    }

    #[test]
    fn forward_accept_has_a_way_back() {
        let rule = Rule::ForwardAccept { from: "br0".into(), to: "eth0".into() };
        let bodies: Vec<String> = rule.nft_rules("x").into_iter().map(|r| r.body).collect();
        assert_eq!(
            bodies,
            [
                "iifname \"br0\" oifname \"eth0\" accept",
                "iifname \"eth0\" oifname \"br0\" ct state established,related accept"
            ]
        );
    }

    #[test]
    fn nat_forms() {
        let rule = Rule::PortForward {
            proto: Proto::Tcp,
            port: 8080,
            to: "10.0.0.5".parse().unwrap(),
            to_port: 80,
            iif: Some("eth0".into()),
        };
        let nft = rule.nft_rules("l");
        assert_eq!(nft[0].body, "iifname \"eth0\" meta nfproto ipv4 tcp dport 8080 dnat ip to 10.0.0.5:80");
        assert_eq!(nft[1].body, "ip daddr 10.0.0.5 tcp dport 80 ct status dnat accept");
        assert_eq!(nft[1].comment, "netscript/l: accept dnat tcp 8080 on eth0 to 10.0.0.5:80");
        assert_eq!(rule.describe(), "forward tcp port 8080 on 'eth0' to 10.0.0.5:80");
        let snat = Rule::Snat {
            subnet: "10.0.0.0/24".parse().unwrap(),
            out: "up0".into(),
            to: "203.0.113.9".parse().unwrap(),
        };
        assert_eq!(
            snat.nft_rules("l")[0].body,
            "ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname \"up0\" snat ip to 203.0.113.9"
        );
        let bad = Rule::Snat {
            subnet: "fd00::/64".parse().unwrap(),
            out: "up0".into(),
            to: "10.0.0.1".parse().unwrap(),
        };
        assert!(bad.validate().unwrap_err().contains("families differ"));
        let redirect = Rule::Redirect { proto: Proto::Udp, port: 53, to_port: 5353, iif: None };
        assert_eq!(redirect.nft_rules("l")[0].body, "udp dport 53 redirect to :5353");
        assert_eq!(
            Rule::MasqueradeOut { out: "eth0".into() }.nft_rules("l")[0].body,
            "oifname \"eth0\" masquerade"
        );
    }

    #[test]
    fn comments_name_the_lab_and_fit() {
        let mut filter = Filter::new(Hook::Input, Verdict::Accept);
        filter.proto = Some(L4::Tcp);
        filter.dport = (1..=40).map(|p| PortRange { from: p * 100, to: p * 100 }).collect();
        filter.iif = vec!["eth0".into()];
        let nft = Rule::Filter(Box::new(filter.clone())).nft_rules("a-lab-with-a-rather-long-name");
        assert!(nft[0].comment.len() <= 128, "{}", nft[0].comment);
        assert!(!nft[0].comment.contains('"'));
        assert_eq!(owner(&nft[0].comment), Some("a-lab-with-a-rather-long-name"));
        // Another rule that starts the same way gets another comment.
        filter.dport.pop();
        let other = Rule::Filter(Box::new(filter)).nft_rules("a-lab-with-a-rather-long-name");
        assert_ne!(nft[0].comment, other[0].comment);
        assert_eq!(owner("netscript: masquerade"), None);
    }

    #[test]
    fn raw_rules_with_a_counter_must_count() {
        let raw =
            Rule::Raw { chain: Hook::Input, text: "tcp dport 22 accept".into(), counter: Some("ssh".into()) };
        assert!(raw.validate().unwrap_err().contains("no counter statement"));
        let raw = Rule::Raw {
            chain: Hook::Input,
            text: "tcp dport 22 counter accept".into(),
            counter: Some("ssh".into()),
        };
        raw.validate().unwrap();
        assert_eq!(
            raw.nft_rules("l")[0].comment,
            "netscript/l: input tcp dport 22 counter accept (counter ssh)"
        );
    }

    #[test]
    fn declarations_make_what_is_missing() {
        let text = declaration(&[Hook::Postrouting, Hook::Input], Some(Policy::Drop));
        assert_eq!(
            text,
            "table inet netscript {\n  comment \"made by netscript\"\n  \
             chain postrouting { type nat hook postrouting priority srcnat; policy drop; comment \"made by netscript\"; }\n  \
             chain input { type filter hook input priority filter; policy drop; comment \"made by netscript\"; }\n}\n"
        );
    }
}
