//! Forwarding, NAT, filter rules and chain policies: sysctls and
//! netscript's own nftables table, in the host or any namespace. A rule
//! given as a map is checked whole before anything is applied, and the
//! error names the key that is wrong.

use std::net::SocketAddr;

use rhai::{Array, Dynamic, Engine, INT, Map};

use super::api::{Fallible, Shared, apply, in_any_netns};
use super::cidr::{Cidr, parse_cidr, parse_ip, parse_socket};
use super::convert::to_cidr;
use crate::ops::firewall::owner;
use crate::ops::{CtState, Filter, Hook, L4, Netns, Op, Policy, PortRange, Proto, Rule, Verdict};

const IPV4_FORWARD: &str = "net.ipv4.ip_forward";
const IPV6_FORWARD: &str = "net.ipv6.conf.all.forwarding";

/// The keys of a rule given as a map.
const RULE_KEYS: &str = "proto, saddr, daddr, sport, dport, iif, oif, ct, icmp_type, verdict, counter, log";

pub fn register(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "forwarding", |l, ns, on: bool| {
        set(l, &ns, IPV4_FORWARD, on)?;
        set(l, &ns, IPV6_FORWARD, on)
    });
    in_any_netns!(engine, lab, "ipv4_forwarding", |l, ns, on: bool| { set(l, &ns, IPV4_FORWARD, on) });
    in_any_netns!(engine, lab, "ipv6_forwarding", |l, ns, on: bool| { set(l, &ns, IPV6_FORWARD, on) });
    in_any_netns!(engine, lab, "sysctl_set", |l, ns, key: &str, value: Dynamic| {
        apply(l, Op::SysctlSet { ns, key: key.into(), value: value.to_string() })
    });
    // A setting outside net.* is the host's whichever namespace writes it:
    // a script says so with #{host_wide: true}, and it is set (and set back) there.
    in_any_netns!(engine, lab, "sysctl_set", |l, ns, key: &str, value: Dynamic, options: Map| {
        let mut host_wide = false;
        for (option, flag) in options {
            match option.as_str() {
                "host_wide" => {
                    host_wide =
                        flag.as_bool().map_err(|_| format!("host_wide must be true or false, not {flag}"))?
                }
                other => {
                    return Err(
                        format!("unknown sysctl_set option '{other}'; the option is host_wide").into()
                    );
                }
            }
        }
        let ns = if host_wide && !key.starts_with("net.") { Netns::Host } else { ns };
        apply(l, Op::SysctlSet { ns, key: key.into(), value: value.to_string() })
    });
    in_any_netns!(engine, lab, "sysctl_get", |l, ns, key: &str| -> Fallible<String> {
        l.borrow().net().sysctl_get(&ns, key).map_err(|err| err.to_string().into())
    });
    register_nat(engine, lab);
    register_filter(engine, lab);
    in_any_netns!(engine, lab, "uplink", |l, ns| -> Fallible<String> { uplink(l, &ns) });
}

fn register_nat(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "masquerade", |l, ns, subnet: Dynamic, out: &str| {
        let subnet = to_cidr(&subnet)
            .map_err(|why| format!("cannot masquerade out of '{out}'{}: {why}", ns.location()))?
            .0;
        add_rule(l, ns, Rule::Masquerade { subnet, out: out.into() })
    });
    in_any_netns!(engine, lab, "masquerade", |l, ns, out: &str| {
        add_rule(l, ns, Rule::MasqueradeOut { out: out.into() })
    });
    in_any_netns!(engine, lab, "snat", |l, ns, subnet: Dynamic, out: &str, to: &str| {
        let fail =
            |why: String| format!("cannot rewrite sources out of '{out}'{} to {to}: {why}", ns.location());
        let subnet = to_cidr(&subnet).map_err(fail)?.0;
        let to = parse_ip(to).map_err(fail)?;
        add_rule(l, ns, Rule::Snat { subnet, out: out.into(), to })
    });
    in_any_netns!(engine, lab, "forward_accept", |l, ns, from: &str, to: &str| {
        add_rule(l, ns, Rule::ForwardAccept { from: from.into(), to: to.into() })
    });
    in_any_netns!(engine, lab, "port_forward", |l, ns, port: i64, to: &str| {
        port_forward(l, ns, port, to, Map::new())
    });
    in_any_netns!(engine, lab, "port_forward", |l, ns, port: i64, to: &str, options: Map| {
        port_forward(l, ns, port, to, options)
    });
    in_any_netns!(engine, lab, "redirect", |l, ns, port: i64, to_port: i64| {
        redirect(l, ns, port, to_port, Map::new())
    });
    in_any_netns!(engine, lab, "redirect", |l, ns, port: i64, to_port: i64, options: Map| {
        redirect(l, ns, port, to_port, options)
    });
}

fn register_filter(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "rule_add", |l, ns, chain: &str, rule: Dynamic| {
        rule_add(l, ns, chain, rule, Map::new())
    });
    in_any_netns!(engine, lab, "rule_add", |l, ns, chain: &str, rule: Dynamic, options: Map| {
        rule_add(l, ns, chain, rule, options)
    });
    in_any_netns!(engine, lab, "policy", |l, ns, chain: &str, policy: &str| {
        set_policy(l, ns, chain, policy, Map::new())
    });
    in_any_netns!(engine, lab, "policy", |l, ns, chain: &str, policy: &str, options: Map| {
        set_policy(l, ns, chain, policy, options)
    });
    in_any_netns!(engine, lab, "counter", |l, ns, name: &str| -> Fallible<Map> { counter(l, &ns, name) });
    in_any_netns!(engine, lab, "rules", |l, ns| -> Fallible<Array> { rules(l, &ns) });
}

fn set(lab: &Shared, ns: &Netns, key: &str, on: bool) -> Fallible<()> {
    let value = if on { "1" } else { "0" };
    apply(lab, Op::SysctlSet { ns: ns.clone(), key: key.into(), value: value.into() })
}

/// Adds a rule to the table in `ns`, as this lab's.
fn add_rule(lab: &Shared, ns: Netns, rule: Rule) -> Fallible<()> {
    let owner = lab.borrow().label().to_string();
    apply(lab, Op::FirewallAdd { ns, lab: owner, rule })
}

fn to_port(port: i64) -> Result<u16, String> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{port} is not a port: ports go from 1 to 65535"))
}

/// The options proto and iif, for port forwards and redirects.
fn nat_options(options: Map) -> Result<(Proto, Option<String>), String> {
    let mut proto = Proto::Tcp;
    let mut iif = None;
    for (key, value) in options {
        match (key.as_str(), value.to_string().as_str()) {
            ("proto", "tcp") => proto = Proto::Tcp,
            ("proto", "udp") => proto = Proto::Udp,
            ("proto", other) => return Err(format!("proto is tcp or udp, not '{other}'")),
            ("iif", name) => iif = Some(name.to_string()),
            (other, _) => return Err(format!("unknown option '{other}'; the options are proto, iif")),
        }
    }
    Ok((proto, iif))
}

fn port_forward(lab: &Shared, ns: Netns, port: i64, to: &str, options: Map) -> Fallible<()> {
    let fail = |why: String| format!("cannot forward port {port}{} to {to}: {why}", ns.location());
    let port = to_port(port).map_err(fail)?;
    // An address alone keeps the port.
    let target: SocketAddr = parse_socket(to, port).map_err(fail)?;
    let (proto, iif) = nat_options(options).map_err(fail)?;
    let rule = Rule::PortForward { proto, port, to: target.ip(), to_port: target.port(), iif };
    add_rule(lab, ns, rule)
}

fn redirect(lab: &Shared, ns: Netns, port: i64, to: i64, options: Map) -> Fallible<()> {
    let fail = |why: String| format!("cannot redirect port {port}{} to port {to}: {why}", ns.location());
    let (port, to) = (to_port(port).map_err(fail)?, to_port(to).map_err(fail)?);
    let (proto, iif) = nat_options(options).map_err(fail)?;
    add_rule(lab, ns, Rule::Redirect { proto, port, to_port: to, iif })
}

/// `rule_add(chain, #{...})` or `rule_add(chain, "nft expression")`.
fn rule_add(lab: &Shared, ns: Netns, chain: &str, rule: Dynamic, options: Map) -> Fallible<()> {
    let fail = |why: String| format!("cannot add the rule to chain {chain}{}: {why}", ns.location());
    let rule = if let Some(map) = rule.clone().try_cast::<Map>() {
        if let Some(key) = options.keys().next() {
            return Err(fail(format!(
                "unknown option '{key}'; a rule given as a map holds its counter itself"
            ))
            .into());
        }
        let chain = Hook::parse_filter(chain).map_err(fail)?;
        Rule::Filter(Box::new(to_filter(chain, map).map_err(fail)?))
    } else if rule.is_string() {
        let hook = Hook::parse(chain).map_err(fail)?;
        let mut counter = None;
        for (key, value) in options {
            match key.as_str() {
                "counter" => counter = Some(text_of("counter", &value).map_err(fail)?),
                other => return Err(fail(format!("unknown option '{other}'; the option is counter")).into()),
            }
        }
        Rule::Raw { chain: hook, text: rule.to_string().trim().to_string(), counter }
    } else {
        return Err(fail(format!(
            "a rule is a map like #{{proto: \"tcp\", dport: 80, verdict: \"accept\"}} or nft's text, not {}",
            rule.type_name()
        ))
        .into());
    };
    rule.validate().map_err(fail)?;
    add_rule(lab, ns, rule)
}

/// A rule given as a map, checked key by key.
fn to_filter(chain: Hook, map: Map) -> Result<Filter, String> {
    let mut verdict = None;
    let mut filter = Filter::new(chain, Verdict::Accept);
    for (key, value) in &map {
        let at = |why: String| format!("{key}: {why}");
        match key.as_str() {
            "proto" => {
                let text = if value.is_int() { value.to_string() } else { text_of(key, value)? };
                filter.proto = Some(L4::parse(&text).map_err(at)?);
            }
            "saddr" => filter.saddr = list(value, to_prefix).map_err(at)?,
            "daddr" => filter.daddr = list(value, to_prefix).map_err(at)?,
            "sport" => filter.sport = list(value, to_ports).map_err(at)?,
            "dport" => filter.dport = list(value, to_ports).map_err(at)?,
            "iif" => filter.iif = list(value, |v| text_of("an interface", v)).map_err(at)?,
            "oif" => filter.oif = list(value, |v| text_of("an interface", v)).map_err(at)?,
            "ct" => {
                let words = list(value, |v| text_of("a state", v)).map_err(at)?;
                filter.ct = words
                    .iter()
                    .flat_map(|w| w.split(','))
                    .map(|w| CtState::parse(w.trim()))
                    .collect::<Result<_, _>>()
                    .map_err(at)?;
            }
            "icmp_type" => filter.icmp_type = list(value, |v| Ok(v.to_string())).map_err(at)?,
            "verdict" => verdict = Some(Verdict::parse(&text_of(key, value)?).map_err(at)?),
            "counter" => filter.counter = Some(text_of(key, value)?),
            "log" => filter.log = Some(text_of(key, value)?),
            other => {
                return Err(format!(
                    "unknown key '{}' in the rule; the keys are {RULE_KEYS}",
                    other.escape_debug()
                ));
            }
        }
    }
    filter.verdict =
        verdict.ok_or("the rule has no verdict: add verdict: \"accept\", \"drop\" or \"reject\"")?;
    filter.validate()?;
    Ok(filter)
}

fn text_of(key: &str, value: &Dynamic) -> Result<String, String> {
    if value.is_string() {
        Ok(value.to_string())
    } else {
        Err(format!("{key} is text, not {}", value.type_name()))
    }
}

/// One value or an array of them.
fn list<T>(value: &Dynamic, one: impl Fn(&Dynamic) -> Result<T, String>) -> Result<Vec<T>, String> {
    match value.clone().try_cast::<Array>() {
        Some(items) if items.is_empty() => Err("an empty list matches nothing; leave the key out".into()),
        Some(items) => items.iter().map(one).collect(),
        None => Ok(vec![one(value)?]),
    }
}

/// An address or a prefix: "10.0.0.1", "10.0.0.0/24", or a Cidr.
fn to_prefix(value: &Dynamic) -> Result<ipnetwork::IpNetwork, String> {
    let cidr = match value.clone().try_cast::<Cidr>() {
        Some(cidr) => cidr,
        None if value.is_string() => parse_cidr(&value.to_string())?,
        None => return Err(format!("expected an address or prefix, not {}", value.type_name())),
    };
    crate::ops::filter::check_prefix(&cidr.0)
        .map_err(|why| format!("{why} (for the one address, give \"{}\")", cidr.ip()))?;
    Ok(cidr.0)
}

/// A port: 80, "80", or a range "1000-2000".
fn to_ports(value: &Dynamic) -> Result<PortRange, String> {
    if let Ok(port) = value.as_int() {
        return PortRange::parse(&port.to_string());
    }
    if value.is_string() {
        return PortRange::parse(&value.to_string());
    }
    Err(format!("expected a port or a range like \"1000-2000\", not {}", value.type_name()))
}

/// Sets a chain's policy. A drop policy in a namespace the lab did not
/// make would cut off traffic that is not the lab's: refused there unless
/// the script says it means the whole namespace.
fn set_policy(lab: &Shared, ns: Netns, chain: &str, policy: &str, options: Map) -> Fallible<()> {
    let fail =
        |why: String| format!("cannot set the policy of chain {chain}{} to {policy}: {why}", ns.location());
    let hook = Hook::parse(chain).map_err(fail)?;
    if hook.is_nat() {
        return Err(fail(format!(
            "'{chain}' is netscript's NAT chain; policies are for input, forward and output"
        ))
        .into());
    }
    let policy = Policy::parse(policy).map_err(fail)?;
    let mut whole = false;
    for (key, value) in options {
        match key.as_str() {
            "whole_namespace" => {
                whole = value
                    .as_bool()
                    .map_err(|_| fail(format!("whole_namespace is true or false, not {value}")))?
            }
            other => {
                return Err(fail(format!("unknown option '{other}'; the option is whole_namespace")).into());
            }
        }
    }
    if policy == Policy::Drop && !whole && !lab.borrow().owns_netns(&ns) {
        return Err(fail(scoped_advice(lab, &ns, hook)).into());
    }
    apply(lab, Op::ChainPolicy { ns, chain: hook, policy })
}

/// Why a drop policy is refused where the lab did not make the namespace,
/// and the form that drops only the lab's traffic.
fn scoped_advice(lab: &Shared, ns: &Netns, hook: Hook) -> String {
    let mut devs: Vec<String> = crate::lab::made_links(lab.borrow().applied())
        .into_iter()
        .filter(|link| &link.ns == ns)
        .map(|link| format!("\"{}\"", link.name))
        .collect();
    if devs.is_empty() {
        devs.push("\"IFACE\"".into());
    }
    let key = if hook == Hook::Output { "oif" } else { "iif" };
    let place = if *ns == Netns::Host { "this machine".to_string() } else { ns.to_string() };
    format!(
        "netscript did not make {place}, and a drop policy there would cut off all its traffic, not only the \
         lab's (a remote shell, DNS, other labs). Let the lab's traffic through with rules that match its \
         interfaces, then end the chain with a drop for those interfaces alone: \
         rule_add(\"{hook}\", #{{{key}: [{}], verdict: \"drop\"}}). If you mean the whole namespace, say so: \
         policy(\"{hook}\", \"drop\", #{{whole_namespace: true}})",
        devs.join(", ")
    )
}

/// `counter(name)`: packets and bytes of the lab's rules in `ns` that count as `name`.
fn counter(lab: &Shared, ns: &Netns, name: &str) -> Fallible<Map> {
    let lab = lab.borrow();
    let comments: Vec<String> = lab
        .applied()
        .iter()
        .filter_map(|op| match op {
            Op::FirewallAdd { ns: at, lab: owner, rule } if at == ns && rule.counter() == Some(name) => {
                Some(rule.nft_rules(owner))
            }
            _ => None,
        })
        .flatten()
        .map(|nft| nft.comment)
        .collect();
    if comments.is_empty() {
        return Err(format!(
            "no rule of this lab{} counts as '{name}'; name one with counter: \"{name}\"",
            ns.location()
        )
        .into());
    }
    let table = lab.net().firewall_table(ns).map_err(|err| err.to_string())?;
    let (mut packets, mut bytes) = (0u64, 0u64);
    for (_, rule) in table.rules() {
        if rule.comment.as_ref().is_some_and(|c| comments.contains(c))
            && let Some((p, b)) = rule.counter
        {
            packets += p;
            bytes += b;
        }
    }
    let mut map = Map::new();
    map.insert("packets".into(), Dynamic::from(packets as INT));
    map.insert("bytes".into(), Dynamic::from(bytes as INT));
    Ok(map)
}

/// `rules()`: the lab's rules in `ns`, as nft prints them.
fn rules(lab: &Shared, ns: &Netns) -> Fallible<Array> {
    let lab = lab.borrow();
    let table = lab.net().firewall_table(ns).map_err(|err| err.to_string())?;
    Ok(table
        .rules()
        .filter(|(_, r)| r.comment.as_deref().and_then(owner) == Some(lab.label()))
        .map(|(chain, r)| {
            let mut map = Map::new();
            map.insert("chain".into(), chain.name.clone().into());
            map.insert("rule".into(), r.text.clone().into());
            map.insert("comment".into(), r.comment.clone().unwrap_or_default().into());
            Dynamic::from(map)
        })
        .collect())
}

/// The interface of the default route: where a NAT lab's traffic leaves.
fn uplink(lab: &Shared, ns: &Netns) -> Fallible<String> {
    let routes = lab.borrow().net().routes(ns).map_err(|err| err.to_string())?;
    routes
        .iter()
        .filter(|route| route.dst == "default" && !route.v6)
        .chain(routes.iter().filter(|route| route.dst == "default"))
        .find_map(|route| route.dev.clone())
        .ok_or_else(|| format!("no default route in {}; pass uplink=IFNAME", ns).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect()
    }

    #[test]
    fn a_rule_map_becomes_a_filter() {
        let filter = to_filter(
            Hook::Input,
            map(&[
                ("proto", "tcp".into()),
                ("dport", Dynamic::from(vec![Dynamic::from(22_i64), "8000-8080".into()])),
                ("saddr", "10.99.0.0/24".into()),
                ("ct", "new".into()),
                ("verdict", "accept".into()),
                ("counter", "ssh".into()),
            ]),
        )
        .unwrap();
        assert_eq!(
            filter.body(),
            "ip saddr 10.99.0.0/24 tcp dport { 22, 8000-8080 } ct state new counter accept"
        );
        let icmp = to_filter(
            Hook::Input,
            map(&[
                ("proto", "icmp".into()),
                ("icmp_type", "echo-request".into()),
                ("verdict", "accept".into()),
            ]),
        )
        .unwrap();
        assert_eq!(icmp.body(), "icmp type echo-request accept");
    }

    #[test]
    fn bad_maps_name_the_key() {
        let err = |pairs: &[(&str, Dynamic)]| to_filter(Hook::Input, map(pairs)).unwrap_err();
        assert!(
            err(&[("dprot", 22_i64.into()), ("verdict", "accept".into())])
                .starts_with("unknown key 'dprot' in the rule")
        );
        assert!(
            err(&[("proto", "tcp".into()), ("dport", 70000_i64.into()), ("verdict", "accept".into())])
                .starts_with("dport: '70000' is not a port")
        );
        assert_eq!(
            err(&[("proto", "icmp".into()), ("dport", 80_i64.into()), ("verdict", "accept".into())]),
            "dport: icmp has no ports; ports go with tcp or udp"
        );
        assert!(
            err(&[("saddr", "10.0.0.5/24".into()), ("verdict", "drop".into())])
                .starts_with("saddr: 10.0.0.5/24 has host bits set")
        );
        assert!(err(&[("proto", "tcp".into())]).contains("no verdict"));
        assert!(
            err(&[("verdict", "allow".into())]).starts_with("verdict: a verdict is accept, drop or reject")
        );
        assert!(
            err(&[("ct", "established,bogus".into()), ("verdict", "accept".into())])
                .starts_with("ct: 'bogus'")
        );
        assert!(
            err(&[("iif", Dynamic::from(Array::new())), ("verdict", "accept".into())])
                .starts_with("iif: an empty list")
        );
    }
}
