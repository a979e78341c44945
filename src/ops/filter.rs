//! Filter rules: a match and a verdict, in one of the filter chains of
//! netscript's table (input, forward, output). Each is written out as the
//! nft rule text it stands for; the checks here run on what a script asks
//! and again on what a ledger says, so nothing malformed reaches nft.

use std::fmt;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::check_ifname;

/// The base chains of netscript's table, one per netfilter hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

impl Hook {
    pub const ALL: [Hook; 5] =
        [Hook::Prerouting, Hook::Input, Hook::Forward, Hook::Output, Hook::Postrouting];

    /// The chain's name, which is also its hook's.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
        }
    }

    /// NAT chains rewrite addresses; the others filter.
    pub fn is_nat(self) -> bool {
        matches!(self, Hook::Prerouting | Hook::Postrouting)
    }

    /// The chain's type, hook and priority, as nft declares them.
    pub fn spec(self) -> &'static str {
        match self {
            Hook::Prerouting => "type nat hook prerouting priority dstnat;",
            Hook::Input => "type filter hook input priority filter;",
            Hook::Forward => "type filter hook forward priority filter;",
            Hook::Output => "type filter hook output priority filter;",
            Hook::Postrouting => "type nat hook postrouting priority srcnat;",
        }
    }

    /// The chain's type as nft lists it.
    pub fn kind(self) -> &'static str {
        if self.is_nat() { "nat" } else { "filter" }
    }

    /// A chain named in a script.
    pub fn parse(text: &str) -> Result<Hook, String> {
        if let Some(hook) = Hook::ALL.iter().find(|h| h.name() == text) {
            return Ok(*hook);
        }
        let hint = match Hook::ALL.iter().find(|h| h.name().eq_ignore_ascii_case(text)) {
            Some(hook) => format!(" (did you mean '{}'?)", hook.name()),
            None => String::new(),
        };
        Err(format!(
            "'{}' is not a chain of netscript's table{hint}: the chains are input, forward and output, \
             and prerouting and postrouting for NAT",
            text.escape_debug()
        ))
    }

    /// A chain for filter rules (not one of the NAT chains).
    pub fn parse_filter(text: &str) -> Result<Hook, String> {
        let hook = Hook::parse(text)?;
        if hook.is_nat() {
            return Err(format!(
                "'{text}' is netscript's NAT chain; filter rules go in input, forward or output \
                 (a raw rule, given as text, may go there)"
            ));
        }
        Ok(hook)
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A chain's policy: what happens to a packet no rule decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Accept,
    Drop,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        match text {
            "accept" => Ok(Policy::Accept),
            "drop" => Ok(Policy::Drop),
            other => Err(format!("a chain's policy is accept or drop, not '{}'", other.escape_debug())),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Accept => "accept",
            Policy::Drop => "drop",
        })
    }
}

/// What a filter rule does with what it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Drop,
    /// Refuse: a TCP reset for TCP, an ICMP port-unreachable for the rest.
    Reject,
}

impl Verdict {
    pub fn parse(text: &str) -> Result<Verdict, String> {
        match text {
            "accept" => Ok(Verdict::Accept),
            "drop" => Ok(Verdict::Drop),
            "reject" => Ok(Verdict::Reject),
            other => Err(format!("a verdict is accept, drop or reject, not '{}'", other.escape_debug())),
        }
    }
}

/// The protocol a filter rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum L4 {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other IP protocol, by number (47 is GRE).
    Number(u8),
}

impl L4 {
    pub fn parse(text: &str) -> Result<L4, String> {
        match text {
            "tcp" => Ok(L4::Tcp),
            "udp" => Ok(L4::Udp),
            "icmp" => Ok(L4::Icmp),
            "icmpv6" => Ok(L4::Icmpv6),
            other => other.parse::<u8>().map(L4::Number).map_err(|_| {
                format!(
                    "'{}' is not a protocol: tcp, udp, icmp, icmpv6, or a number from 0 to 255",
                    other.escape_debug()
                )
            }),
        }
    }

    fn has_ports(self) -> bool {
        matches!(self, L4::Tcp | L4::Udp)
    }

    fn word(self) -> String {
        match self {
            L4::Tcp => "tcp".into(),
            L4::Udp => "udp".into(),
            L4::Icmp => "icmp".into(),
            L4::Icmpv6 => "icmpv6".into(),
            L4::Number(n) => n.to_string(),
        }
    }

    /// The family it belongs to: Some(true) for IPv6 only, Some(false) IPv4 only.
    fn v6(self) -> Option<bool> {
        match self {
            L4::Icmp => Some(false),
            L4::Icmpv6 => Some(true),
            _ => None,
        }
    }
}

/// A port, or a range of ports (both ends in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    /// A port as a script gives it: 80, or "1000-2000".
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let port = |p: &str| -> Result<u16, String> {
            p.trim()
                .parse::<u32>()
                .ok()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("'{}' is not a port: ports go from 1 to 65535", p.escape_debug()))
        };
        let range = match text.split_once('-') {
            Some((from, to)) => PortRange { from: port(from)?, to: port(to)? },
            None => {
                let p = port(text)?;
                PortRange { from: p, to: p }
            }
        };
        range.check()?;
        Ok(range)
    }

    fn check(&self) -> Result<(), String> {
        if self.from == 0 || self.to == 0 {
            return Err("port 0 is not a port: ports go from 1 to 65535".into());
        }
        if self.from > self.to {
            return Err(format!("the range {}-{} runs backwards", self.from, self.to));
        }
        Ok(())
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to { write!(f, "{}", self.from) } else { write!(f, "{}-{}", self.from, self.to) }
    }
}

/// Connection-tracking states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CtState {
    New,
    Established,
    Related,
    Invalid,
    Untracked,
}

impl CtState {
    pub fn parse(text: &str) -> Result<CtState, String> {
        match text {
            "new" => Ok(CtState::New),
            "established" => Ok(CtState::Established),
            "related" => Ok(CtState::Related),
            "invalid" => Ok(CtState::Invalid),
            "untracked" => Ok(CtState::Untracked),
            other => Err(format!(
                "'{}' is not a connection state: new, established, related, invalid or untracked",
                other.escape_debug()
            )),
        }
    }

    fn word(self) -> &'static str {
        match self {
            CtState::New => "new",
            CtState::Established => "established",
            CtState::Related => "related",
            CtState::Invalid => "invalid",
            CtState::Untracked => "untracked",
        }
    }
}

const ICMP_TYPES: &[&str] = &[
    "echo-reply",
    "destination-unreachable",
    "source-quench",
    "redirect",
    "echo-request",
    "router-advertisement",
    "router-solicitation",
    "time-exceeded",
    "parameter-problem",
    "timestamp-request",
    "timestamp-reply",
    "info-request",
    "info-reply",
    "address-mask-request",
    "address-mask-reply",
];

const ICMPV6_TYPES: &[&str] = &[
    "destination-unreachable",
    "packet-too-big",
    "time-exceeded",
    "parameter-problem",
    "echo-request",
    "echo-reply",
    "mld-listener-query",
    "mld-listener-report",
    "mld-listener-done",
    "nd-router-solicit",
    "nd-router-advert",
    "nd-neighbor-solicit",
    "nd-neighbor-advert",
    "nd-redirect",
    "router-renumbering",
    "mld2-listener-report",
];

/// A filter rule: what it matches (every field given must match), and
/// what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub chain: Hook,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<L4>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saddr: Vec<IpNetwork>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub daddr: Vec<IpNetwork>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sport: Vec<PortRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dport: Vec<PortRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iif: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oif: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ct: Vec<CtState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icmp_type: Vec<String>,
    pub verdict: Verdict,
    /// A name to read the rule's packet and byte counts by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    /// Log what matches, with this prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl Filter {
    /// A rule that matches everything: fields are set one by one.
    pub fn new(chain: Hook, verdict: Verdict) -> Filter {
        Filter {
            chain,
            proto: None,
            saddr: Vec::new(),
            daddr: Vec::new(),
            sport: Vec::new(),
            dport: Vec::new(),
            iif: Vec::new(),
            oif: Vec::new(),
            ct: Vec::new(),
            icmp_type: Vec::new(),
            verdict,
            counter: None,
            log: None,
        }
    }

    /// Checks the rule as a whole; the error names the field that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.chain.is_nat() {
            return Err(format!(
                "'{}' is a NAT chain; filter rules go in input, forward or output",
                self.chain
            ));
        }
        for (key, nets) in [("saddr", &self.saddr), ("daddr", &self.daddr)] {
            if nets.len() > 256 {
                return Err(format!("{key}: at most 256 addresses in one rule"));
            }
            for net in nets {
                check_prefix(net).map_err(|why| format!("{key}: {why}"))?;
            }
            if nets.iter().any(|n| n.is_ipv4()) && nets.iter().any(|n| n.is_ipv6()) {
                return Err(format!(
                    "{key}: IPv4 and IPv6 addresses cannot be matched by one rule; make two"
                ));
            }
        }
        let family = |nets: &[IpNetwork]| nets.first().map(|n| n.is_ipv6());
        if let (Some(s), Some(d)) = (family(&self.saddr), family(&self.daddr))
            && s != d
        {
            return Err("saddr and daddr are of different address families".into());
        }
        let v6 = family(&self.saddr).or(family(&self.daddr));
        if let (Some(proto), Some(v6)) = (self.proto, v6)
            && proto.v6().is_some_and(|p| p != v6)
        {
            let fam = if v6 { "IPv6" } else { "IPv4" };
            return Err(format!("proto: {} does not go with {fam} addresses", proto.word()));
        }
        for (key, ports) in [("sport", &self.sport), ("dport", &self.dport)] {
            if ports.is_empty() {
                continue;
            }
            match self.proto {
                Some(proto) if proto.has_ports() => {}
                Some(proto) => {
                    return Err(format!("{key}: {} has no ports; ports go with tcp or udp", proto.word()));
                }
                None => return Err(format!("{key}: ports need a protocol: add proto: \"tcp\" or \"udp\"")),
            }
            if ports.len() > 256 {
                return Err(format!("{key}: at most 256 ports in one rule"));
            }
            for port in ports {
                port.check().map_err(|why| format!("{key}: {why}"))?;
            }
        }
        for (key, devs) in [("iif", &self.iif), ("oif", &self.oif)] {
            if devs.len() > 256 {
                return Err(format!("{key}: at most 256 interfaces in one rule"));
            }
            for dev in devs {
                check_ifname(dev).map_err(|why| format!("{key}: {why}"))?;
            }
        }
        if !self.iif.is_empty() && self.chain == Hook::Output {
            return Err(
                "iif: packets this namespace sends have no input interface; match oif in output".into()
            );
        }
        if !self.oif.is_empty() && self.chain == Hook::Input {
            return Err("oif: packets for this namespace have no output interface; match iif in input".into());
        }
        if !self.icmp_type.is_empty() {
            let known = match self.proto {
                Some(L4::Icmp) => ICMP_TYPES,
                Some(L4::Icmpv6) => ICMPV6_TYPES,
                _ => return Err("icmp_type: goes with proto: \"icmp\" or \"icmpv6\"".into()),
            };
            for kind in &self.icmp_type {
                if !known.contains(&kind.as_str()) && kind.parse::<u8>().is_err() {
                    return Err(format!(
                        "icmp_type: '{}' is not an ICMP type of {}: a number, or one of {}",
                        kind.escape_debug(),
                        self.proto.map(L4::word).unwrap_or_default(),
                        known.join(", ")
                    ));
                }
            }
        }
        if let Some(name) = &self.counter {
            check_label(name).map_err(|why| format!("counter: {why}"))?;
        }
        if let Some(prefix) = &self.log {
            check_label(prefix).map_err(|why| format!("log: {why}"))?;
        }
        Ok(())
    }

    /// The interfaces the rule names.
    pub fn interfaces(&self) -> Vec<&str> {
        self.iif.iter().chain(&self.oif).map(String::as_str).collect()
    }

    /// The rule as nft takes it, without its comment.
    pub fn body(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.iif.is_empty() {
            parts.push(format!("iifname {}", set(self.iif.iter().map(|d| format!("\"{d}\"")))));
        }
        if !self.oif.is_empty() {
            parts.push(format!("oifname {}", set(self.oif.iter().map(|d| format!("\"{d}\"")))));
        }
        for (field, nets) in [("saddr", &self.saddr), ("daddr", &self.daddr)] {
            if let Some(first) = nets.first() {
                let fam = if first.is_ipv6() { "ip6" } else { "ip" };
                parts.push(format!("{fam} {field} {}", set(nets.iter().map(prefix_text))));
            }
        }
        match self.proto {
            Some(proto) if proto.has_ports() && !(self.sport.is_empty() && self.dport.is_empty()) => {
                for (field, ports) in [("sport", &self.sport), ("dport", &self.dport)] {
                    if !ports.is_empty() {
                        parts.push(format!(
                            "{} {field} {}",
                            proto.word(),
                            set(ports.iter().map(|p| p.to_string()))
                        ));
                    }
                }
            }
            Some(L4::Icmp) if !self.icmp_type.is_empty() => {
                parts.push(format!("icmp type {}", set(self.icmp_type.iter().cloned())));
            }
            Some(L4::Icmpv6) if !self.icmp_type.is_empty() => {
                parts.push(format!("icmpv6 type {}", set(self.icmp_type.iter().cloned())));
            }
            Some(L4::Icmpv6) => parts.push("meta l4proto ipv6-icmp".into()),
            Some(proto) => parts.push(format!("meta l4proto {}", proto.word())),
            None => {}
        }
        if !self.ct.is_empty() {
            let states: Vec<&str> = self.ct.iter().map(|s| s.word()).collect();
            parts.push(format!("ct state {}", states.join(",")));
        }
        if self.counter.is_some() {
            parts.push("counter".into());
        }
        if let Some(prefix) = &self.log {
            parts.push(format!("log prefix \"{prefix}\""));
        }
        parts.push(
            match (self.verdict, self.proto) {
                (Verdict::Accept, _) => "accept",
                (Verdict::Drop, _) => "drop",
                (Verdict::Reject, Some(L4::Tcp)) => "reject with tcp reset",
                (Verdict::Reject, _) => "reject",
            }
            .to_string(),
        );
        parts.join(" ")
    }
}

/// One value, or a set of them in braces.
fn set(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.len() == 1 { items[0].clone() } else { format!("{{ {} }}", items.join(", ")) }
}

/// An address alone, or a prefix.
fn prefix_text(net: &IpNetwork) -> String {
    let full = if net.is_ipv4() { 32 } else { 128 };
    if net.prefix() == full { net.ip().to_string() } else { net.to_string() }
}

/// A prefix must be a network: 10.0.0.5/24 is a host in 10.0.0.0/24.
pub fn check_prefix(net: &IpNetwork) -> Result<(), String> {
    if net.ip() != net.network() {
        return Err(format!("{net} has host bits set; the network is {}/{}", net.network(), net.prefix()));
    }
    Ok(())
}

/// A counter's name or a log prefix: plain text that fits in nft's quotes
/// and in a comment.
pub fn check_label(text: &str) -> Result<(), String> {
    if text.is_empty() || text.len() > 64 {
        return Err(format!("'{}' must be 1 to 64 characters", text.escape_debug()));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || " ._:-+@=/".contains(c);
    if let Some(bad) = text.chars().find(|c| !plain(*c)) {
        return Err(format!(
            "'{}' contains '{}'; use letters, digits, spaces and . _ : - + @ = /",
            text.escape_debug(),
            bad.escape_debug()
        ));
    }
    Ok(())
}

/// A raw nft expression, before nft sees it: one rule, no more. nft reads
/// `;` and newlines as the end of a command, `#` as a comment, so a rule
/// holding them could run other commands; netscript adds the comment itself.
pub fn check_raw(text: &str) -> Result<(), String> {
    let shown = text.escape_debug();
    if text.trim().is_empty() {
        return Err("the rule is empty".into());
    }
    if text.len() > 1024 {
        return Err(format!("the rule is {} bytes; at most 1024", text.len()));
    }
    if let Some(bad) = text.chars().find(|c| c.is_control() || matches!(c, ';' | '#' | '\'' | '\\')) {
        let what = match bad {
            ';' => "';', which ends an nft command".to_string(),
            '#' => "'#', which starts an nft comment".to_string(),
            '\'' | '\\' => format!("'{bad}'; nft quotes with \" alone"),
            c => format!("the control character U+{:04X}", c as u32),
        };
        return Err(format!("the rule '{shown}' contains {what}; give one rule"));
    }
    let mut quoted = false;
    let mut depth: i32 = 0;
    let mut words = String::new();
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("the rule '{shown}' closes a brace it never opened"));
                }
            }
            c if !quoted => words.push(c),
            _ => {}
        }
    }
    if quoted {
        return Err(format!("the rule '{shown}' opens a quote it never closes"));
    }
    if depth != 0 {
        return Err(format!("the rule '{shown}' opens a brace it never closes"));
    }
    if words.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').any(|w| w == "comment") {
        return Err(format!(
            "the rule '{shown}' has a comment; netscript gives each rule its own, which names the lab"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNetwork {
        text.parse().unwrap()
    }

    #[test]
    fn bodies_read_as_nft_rules() {
        let mut rule = Filter::new(Hook::Input, Verdict::Accept);
        rule.proto = Some(L4::Tcp);
        rule.dport = vec![PortRange::parse("22").unwrap()];
        rule.saddr = vec![net("10.99.0.0/24")];
        rule.counter = Some("ssh".into());
        assert_eq!(rule.body(), "ip saddr 10.99.0.0/24 tcp dport 22 counter accept");
        rule.validate().unwrap();

        let mut rule = Filter::new(Hook::Forward, Verdict::Reject);
        rule.iif = vec!["lan0".into(), "lan1".into()];
        rule.daddr = vec![net("fd00::/64"), net("fd01::1/128")];
        rule.proto = Some(L4::Tcp);
        rule.dport = vec![PortRange::parse("80").unwrap(), PortRange::parse("8000-8080").unwrap()];
        rule.ct = vec![CtState::New];
        rule.log = Some("web: ".into());
        assert_eq!(
            rule.body(),
            "iifname { \"lan0\", \"lan1\" } ip6 daddr { fd00::/64, fd01::1 } tcp dport { 80, 8000-8080 } \
             ct state new log prefix \"web: \" reject with tcp reset"
        );
        rule.validate().unwrap();

        let mut rule = Filter::new(Hook::Input, Verdict::Accept);
        rule.proto = Some(L4::Icmp);
        rule.icmp_type = vec!["echo-request".into()];
        assert_eq!(rule.body(), "icmp type echo-request accept");
        rule.proto = Some(L4::Icmpv6);
        rule.icmp_type.clear();
        assert_eq!(rule.body(), "meta l4proto ipv6-icmp accept");
        rule.proto = Some(L4::Number(47));
        assert_eq!(rule.body(), "meta l4proto 47 accept");
        rule.proto = Some(L4::Udp);
        rule.verdict = Verdict::Reject;
        assert_eq!(rule.body(), "meta l4proto udp reject");
    }

    #[test]
    fn bad_rules_name_the_field() {
        let mut rule = Filter::new(Hook::Input, Verdict::Accept);
        rule.proto = Some(L4::Icmp);
        rule.dport = vec![PortRange { from: 80, to: 80 }];
        assert_eq!(rule.validate().unwrap_err(), "dport: icmp has no ports; ports go with tcp or udp");
        rule.proto = None;
        assert!(rule.validate().unwrap_err().starts_with("dport: ports need a protocol"));
        let mut rule = Filter::new(Hook::Input, Verdict::Accept);
        rule.saddr = vec![net("10.0.0.5/24")];
        assert_eq!(
            rule.validate().unwrap_err(),
            "saddr: 10.0.0.5/24 has host bits set; the network is 10.0.0.0/24"
        );
        rule.saddr = vec![net("10.0.0.0/24")];
        rule.daddr = vec![net("fd00::/64")];
        assert!(rule.validate().unwrap_err().contains("different address families"));
        let mut rule = Filter::new(Hook::Output, Verdict::Drop);
        rule.iif = vec!["eth0".into()];
        assert!(rule.validate().unwrap_err().starts_with("iif: "));
        let mut rule = Filter::new(Hook::Input, Verdict::Drop);
        rule.proto = Some(L4::Icmp);
        rule.icmp_type = vec!["echo".into()];
        assert!(rule.validate().unwrap_err().starts_with("icmp_type: 'echo' is not an ICMP type"));
        rule.proto = Some(L4::Icmpv6);
        rule.icmp_type = vec!["nd-neighbor-solicit".into()];
        rule.saddr = vec![net("10.0.0.0/8")];
        assert_eq!(rule.validate().unwrap_err(), "proto: icmpv6 does not go with IPv4 addresses");
        rule.saddr.clear();
        rule.validate().unwrap();
        rule.counter = Some("a\"b".into());
        assert!(rule.validate().unwrap_err().starts_with("counter: "));
        assert!(Filter::new(Hook::Postrouting, Verdict::Drop).validate().is_err());
    }

    #[test]
    fn ports_chains_and_verdicts_from_words() {
        assert_eq!(PortRange::parse("1000-2000").unwrap(), PortRange { from: 1000, to: 2000 });
        assert!(PortRange::parse("0").unwrap_err().contains("from 1 to 65535"));
        assert!(PortRange::parse("65536").unwrap_err().contains("from 1 to 65535"));
        assert!(PortRange::parse("90-80").unwrap_err().contains("backwards"));
        assert_eq!(Hook::parse("forward").unwrap(), Hook::Forward);
        assert!(Hook::parse("INPUT").unwrap_err().contains("did you mean 'input'?"));
        assert!(Hook::parse("filter").unwrap_err().contains("not a chain"));
        assert!(Hook::parse_filter("postrouting").unwrap_err().contains("NAT chain"));
        assert!(Verdict::parse("ACCEPT").is_err());
        assert_eq!(L4::parse("47").unwrap(), L4::Number(47));
        assert!(L4::parse("gre").is_err());
    }

    #[test]
    fn raw_rules_are_one_rule() {
        check_raw("tcp dport 22 ip saddr 10.99.0.0/24 accept").unwrap();
        check_raw("iifname { \"a\", \"b\" } tcp dport { 22, 80 } counter accept").unwrap();
        check_raw("log prefix \"a;b\" drop").unwrap_err();
        assert!(check_raw("tcp dport 22 accept; flush ruleset").unwrap_err().contains("';'"));
        assert!(check_raw("accept\nflush ruleset").unwrap_err().contains("control character"));
        assert!(check_raw("accept # x").unwrap_err().contains("'#'"));
        assert!(check_raw("accept comment \"x\"").unwrap_err().contains("has a comment"));
        assert!(check_raw("tcp dport { 22 accept").unwrap_err().contains("never closes"));
        assert!(check_raw("tcp dport 22 } accept").unwrap_err().contains("never opened"));
        assert!(check_raw("iifname \"eth0 accept").unwrap_err().contains("quote"));
        assert!(check_raw("  ").is_err());
    }
}
