//! Firewall rules in netscript's own nftables table (`inet netscript`, one
//! per namespace), so the user's rules, Docker's or firewalld's are never
//! touched and removing ours is removing one table. Each rule carries a
//! comment that names it; the comment is its identity, which makes adding
//! a rule twice a no-op and lets teardown find exactly what it added.

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

pub const TABLE: &str = "netscript";

/// The base chains of the table, with their hooks and priorities.
pub const CHAINS: [(&str, &str); 3] = [
    ("prerouting", "type nat hook prerouting priority dstnat; policy accept;"),
    ("postrouting", "type nat hook postrouting priority srcnat; policy accept;"),
    ("forward", "type filter hook forward priority filter; policy accept;"),
];

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
    /// Accept forwarding from `from` to `to`, and the replies back.
    ForwardAccept { from: String, to: String },
    /// DNAT `port` arriving (on `iif`, if given) to `to:to_port`, and accept
    /// forwarding it.
    PortForward { proto: Proto, port: u16, to: IpAddr, to_port: u16, iif: Option<String> },
}

/// One nft rule: its chain, its match-and-action text, and its comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NftRule {
    pub chain: &'static str,
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
            Rule::ForwardAccept { from, to } => {
                format!("accept forwarding from '{from}' to '{to}' and replies")
            }
            Rule::PortForward { proto, port, to, to_port, iif } => {
                let on = iif.as_ref().map(|i| format!(" on '{i}'")).unwrap_or_default();
                format!("forward {proto} port {port}{on} to {}", socket_text(*to, *to_port))
            }
        }
    }

    /// The interfaces a rule names, to check before nft sees them.
    pub fn interfaces(&self) -> Vec<&str> {
        match self {
            Rule::Masquerade { out, .. } => vec![out],
            Rule::ForwardAccept { from, to } => vec![from, to],
            Rule::PortForward { iif, .. } => iif.iter().map(String::as_str).collect(),
        }
    }

    /// The nft rules that make up this rule.
    pub fn nft_rules(&self) -> Vec<NftRule> {
        let rule = |chain, body: String, what: String| NftRule {
            chain,
            body,
            comment: format!("netscript: {what}"),
        };
        match self {
            Rule::Masquerade { subnet, out } => {
                let net = subnet_text(subnet);
                let fam = ip_family(subnet.ip());
                vec![rule(
                    "postrouting",
                    format!("{fam} saddr {net} {fam} daddr != {net} oifname \"{out}\" masquerade"),
                    format!("masquerade {net} out {out}"),
                )]
            }
            Rule::ForwardAccept { from, to } => vec![
                rule(
                    "forward",
                    format!("iifname \"{from}\" oifname \"{to}\" accept"),
                    format!("forward {from} to {to}"),
                ),
                rule(
                    "forward",
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
                        "prerouting",
                        format!("{on}meta nfproto {nfproto} {proto} dport {port} dnat {fam} to {target}"),
                        format!("dnat {proto} {port}{on_words} to {target}"),
                    ),
                    rule(
                        "forward",
                        format!("{fam} daddr {to} {proto} dport {to_port} ct status dnat accept"),
                        format!("accept dnat {proto} to {target}"),
                    ),
                ]
            }
        }
    }
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

/// The table and its chains, as an nft script fragment that creates what is
/// missing and leaves what exists alone.
pub fn table_declaration() -> String {
    let mut text = format!("table inet {TABLE} {{\n");
    for (name, spec) in CHAINS {
        text.push_str(&format!("  chain {name} {{ {spec} }}\n"));
    }
    text.push_str("}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masquerade_leaves_traffic_inside_the_subnet_alone() {
        let rule = Rule::Masquerade { subnet: "192.168.15.7/24".parse().unwrap(), out: "eth0".into() };
        let nft = rule.nft_rules();
        assert_eq!(nft.len(), 1);
        assert_eq!(
            nft[0].add_command(),
            "add rule inet netscript postrouting ip saddr 192.168.15.0/24 ip daddr != 192.168.15.0/24 \
             oifname \"eth0\" masquerade comment \"netscript: masquerade 192.168.15.0/24 out eth0\""
        );
    }

    #[test]
    fn forward_accept_has_a_way_back() {
        let rule = Rule::ForwardAccept { from: "br0".into(), to: "eth0".into() };
        let bodies: Vec<String> = rule.nft_rules().into_iter().map(|r| r.body).collect();
        assert_eq!(
            bodies,
            [
                "iifname \"br0\" oifname \"eth0\" accept",
                "iifname \"eth0\" oifname \"br0\" ct state established,related accept"
            ]
        );
    }

    #[test]
    fn port_forward() {
        let rule = Rule::PortForward {
            proto: Proto::Tcp,
            port: 8080,
            to: "10.0.0.5".parse().unwrap(),
            to_port: 80,
            iif: Some("eth0".into()),
        };
        let nft = rule.nft_rules();
        assert_eq!(nft[0].body, "iifname \"eth0\" meta nfproto ipv4 tcp dport 8080 dnat ip to 10.0.0.5:80");
        assert_eq!(nft[1].body, "ip daddr 10.0.0.5 tcp dport 80 ct status dnat accept");
        assert_eq!(rule.describe(), "forward tcp port 8080 on 'eth0' to 10.0.0.5:80");
    }

    #[test]
    fn table_declares_hooked_chains() {
        let text = table_declaration();
        assert!(
            text.contains("chain postrouting { type nat hook postrouting priority srcnat; policy accept; }")
        );
        assert!(text.contains("chain forward { type filter hook forward priority filter; policy accept; }"));
    }
}
