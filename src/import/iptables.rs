//! `iptables` and `ip6tables`: the rules netscript's API has (masquerade,
//! forward accept and its replies, DNAT of a port); listings are looks;
//! the rest is kept as written until netscript has filter rules.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step, Value};

/// One iptables command, read.
#[derive(Debug, Default)]
struct Rule {
    table: String,
    /// -A, -I, -D, -P, -F, -N, -X, -Z, -L, -S
    action: String,
    chain: String,
    source: Option<Arg>,
    destination: Option<Arg>,
    iif: Option<Arg>,
    oif: Option<Arg>,
    proto: Option<String>,
    dport: Option<String>,
    sport: Option<String>,
    icmp_type: Option<String>,
    to_source: Option<String>,
    to_ports: Option<String>,
    states: Option<String>,
    target: Option<String>,
    to_destination: Option<String>,
    /// What else it says, which no API call carries.
    other: Vec<String>,
    negated: bool,
}

fn read(args: &[Arg]) -> Result<Rule, String> {
    let mut rule = Rule { table: "filter".into(), ..Rule::default() };
    let mut i = 0;
    let mut negate = false;
    while i < args.len() {
        let w = args[i].value.as_str();
        let value = args.get(i + 1);
        let text = || value.map(|v| v.value.clone()).ok_or_else(|| format!("{w} needs a value"));
        let mut take = 2;
        match w {
            "!" => {
                negate = true;
                i += 1;
                continue;
            }
            "-t" | "--table" => rule.table = text()?,
            "-A" | "--append" | "-I" | "--insert" | "-D" | "--delete" | "-P" | "--policy" | "-N" | "-X"
            | "-F" | "--flush" | "-Z" | "-L" | "--list" | "-S" | "--list-rules" | "-E" => {
                rule.action =
                    w.trim_start_matches('-').chars().next().unwrap().to_ascii_uppercase().to_string();
                match value.filter(|v| !v.value.starts_with('-')) {
                    Some(chain) => rule.chain = chain.value.clone(),
                    None => take = 1,
                }
                // -I CHAIN N and -P CHAIN POLICY
                if matches!(w, "-I" | "--insert")
                    && args.get(i + 2).is_some_and(|n| n.value.parse::<u32>().is_ok())
                {
                    take = 3;
                }
                if matches!(w, "-P" | "--policy") {
                    rule.target = args.get(i + 2).map(|t| t.value.clone());
                    take = 3;
                }
            }
            "-s" | "--source" | "--src" => rule.source = value.cloned(),
            "-d" | "--destination" | "--dst" => rule.destination = value.cloned(),
            "-i" | "--in-interface" => rule.iif = value.cloned(),
            "-o" | "--out-interface" => rule.oif = value.cloned(),
            "-p" | "--protocol" => rule.proto = Some(text()?),
            "--dport" | "--destination-port" | "--dports" => rule.dport = Some(text()?),
            "--sport" | "--source-port" | "--sports" => rule.sport = Some(text()?),
            "--icmp-type" | "--icmpv6-type" => rule.icmp_type = Some(text()?),
            "--to-source" => rule.to_source = Some(text()?),
            "--to-ports" | "--to-port" => rule.to_ports = Some(text()?),
            "--reject-with" => {}
            "-m" | "--match" => {
                let m = text()?;
                if !["state", "conntrack", "tcp", "udp", "icmp", "icmp6", "comment", "multiport"]
                    .contains(&m.as_str())
                {
                    rule.other.push(format!("-m {m}"));
                }
            }
            "--state" | "--ctstate" => rule.states = Some(text()?),
            "--comment" => {}
            "-j" | "--jump" => rule.target = Some(text()?),
            "--to-destination" | "--to" => rule.to_destination = Some(text()?),
            "-w" | "--wait" | "-n" | "-v" | "--numeric" | "--verbose" | "--line-numbers" | "-x" => take = 1,
            other => {
                rule.other.push(other.to_string());
                take = 1;
            }
        }
        if negate {
            rule.negated = true;
            negate = false;
        }
        i += take;
    }
    Ok(rule)
}

pub fn parse(args: &[Arg], cmd: &Command, ns: Ns, v6: bool) -> Understood {
    let program = if v6 { "ip6tables" } else { "iptables" };
    let kept_ns = ns.clone();
    let keep = move |why: &str| {
        let mut words = vec![Arg::lit(program)];
        words.extend_from_slice(args);
        Understood::Steps(vec![Step::NotModelled {
            ns: kept_ns.clone(),
            command: shell_text(&words, cmd),
            why: why.into(),
        }])
    };
    let rule = match read(args) {
        Ok(rule) => rule,
        Err(why) => return keep(&why),
    };
    if matches!(rule.action.as_str(), "L" | "S")
        || rule.action.is_empty() && args.iter().any(|a| a.value.starts_with("-L") || a.value.ends_with('L'))
    {
        return Understood::Steps(vec![Step::Look { ns, command: cmd.text.clone() }]);
    }
    if rule.action == "P" {
        let chain = rule.chain.to_ascii_lowercase();
        let verdict = rule.target.clone().unwrap_or_default().to_ascii_lowercase();
        if rule.table != "filter"
            || !["input", "forward", "output"].contains(&chain.as_str())
            || !["accept", "drop"].contains(&verdict.as_str())
        {
            return keep("a policy other than accept or drop of input, forward or output");
        }
        return Understood::Steps(vec![Step::Policy { ns, chain, verdict }]);
    }
    if !matches!(rule.action.as_str(), "A" | "I") {
        return keep(match rule.action.as_str() {
            "D" => "deleting a rule by its text is not modelled",
            "F" => "flushing a chain would remove rules netscript does not own",
            _ => "this iptables command is not modelled",
        });
    }
    if rule.negated || !rule.other.is_empty() {
        return keep("matches that netscript's rules do not have");
    }
    let target = rule.target.clone().unwrap_or_default();
    let plain =
        rule.destination.is_none() && rule.iif.is_none() && rule.proto.is_none() && rule.states.is_none();
    match (rule.table.as_str(), rule.chain.as_str(), target.as_str()) {
        ("nat", "POSTROUTING", "MASQUERADE") if plain => {
            Understood::Steps(vec![Step::Masquerade { ns, subnet: rule.source, out: rule.oif }])
        }
        ("nat", "POSTROUTING", "SNAT") if plain => {
            let (Some(subnet), Some(out), Some(to)) = (rule.source, rule.oif, rule.to_source) else {
                return keep("SNAT without -s, -o and one --to-source address is not modelled");
            };
            if to.contains('-') || to.contains(':') {
                return keep("SNAT to a range or a port is not modelled");
            }
            Understood::Steps(vec![Step::Snat { ns, subnet, out, to }])
        }
        ("filter", "FORWARD", "ACCEPT")
            if rule.source.is_none()
                && rule.destination.is_none()
                && rule.proto.is_none()
                && rule.iif.is_some()
                && rule.oif.is_some() =>
        {
            let states = rule.states.as_deref().map(|s| {
                let mut states: Vec<String> = s.split(',').map(|x| x.to_ascii_uppercase()).collect();
                states.sort();
                states.join(",")
            });
            match states.as_deref() {
                None => Understood::Steps(vec![Step::Forward {
                    ns,
                    from: rule.iif.unwrap(),
                    to: rule.oif.unwrap(),
                    replies: false,
                }]),
                Some("ESTABLISHED,RELATED") => Understood::Steps(vec![Step::Forward {
                    ns,
                    from: rule.iif.unwrap(),
                    to: rule.oif.unwrap(),
                    replies: true,
                }]),
                Some(_) => filter(rule, ns, &keep),
            }
        }
        ("filter", "INPUT" | "FORWARD" | "OUTPUT", "ACCEPT" | "DROP" | "REJECT") => filter(rule, ns, &keep),
        ("nat", "PREROUTING", "DNAT")
            if rule.source.is_none() && rule.oif.is_none() && rule.states.is_none() =>
        {
            let (Some(proto), Some(port), Some(to)) = (rule.proto, rule.dport, rule.to_destination) else {
                return keep("DNAT without a protocol, a port and a destination is not modelled");
            };
            let Ok(port) = port.parse::<u16>() else { return keep("DNAT of a port range is not modelled") };
            if rule.destination.is_some() || (proto != "tcp" && proto != "udp") {
                return keep("DNAT to a given address or of this protocol is not modelled");
            }
            Understood::Steps(vec![Step::PortForward { ns, proto, port, to, iif: rule.iif }])
        }
        ("nat", "PREROUTING", "REDIRECT")
            if rule.source.is_none() && rule.destination.is_none() && rule.oif.is_none() =>
        {
            let (Some(proto), Some(port), Some(to_port)) = (rule.proto, rule.dport, rule.to_ports) else {
                return keep("REDIRECT without a protocol, a port and --to-ports is not modelled");
            };
            let (Ok(port), Ok(to_port)) = (port.parse::<u16>(), to_port.parse::<u16>()) else {
                return keep("REDIRECT of port ranges is not modelled");
            };
            if proto != "tcp" && proto != "udp" {
                return keep("REDIRECT of this protocol is not modelled");
            }
            Understood::Steps(vec![Step::Redirect { ns, proto, port, to_port, iif: rule.iif }])
        }
        _ => keep("this rule has no form in netscript's firewall API"),
    }
}

/// A filter rule as rule_add's map.
fn filter(rule: Rule, ns: Ns, keep: &dyn Fn(&str) -> Understood) -> Understood {
    let mut keys: Vec<(String, Value)> = Vec::new();
    let list = |text: &str, f: &dyn Fn(&str) -> Value| -> Value {
        let items: Vec<Value> = text.split(',').map(|x| f(x.trim())).collect();
        if items.len() == 1 { items.into_iter().next().unwrap() } else { Value::List(items) }
    };
    let port = |p: &str| -> Value {
        match p.parse::<u32>() {
            Ok(n) => Value::Number(n),
            Err(_) => Value::Text(p.replace(':', "-")),
        }
    };
    if let Some(proto) = &rule.proto {
        keys.push(("proto".into(), Value::Text(proto.to_ascii_lowercase())));
    }
    if let Some(s) = &rule.source {
        keys.push(("saddr".into(), list(&s.value, &|x| Value::Text(x.to_string()))));
    }
    if let Some(d) = &rule.destination {
        keys.push(("daddr".into(), list(&d.value, &|x| Value::Text(x.to_string()))));
    }
    if let Some(p) = &rule.sport {
        keys.push(("sport".into(), list(p, &port)));
    }
    if let Some(p) = &rule.dport {
        keys.push(("dport".into(), list(p, &port)));
    }
    if let Some(i) = rule.iif {
        keys.push(("iif".into(), Value::Dev(i)));
    }
    if let Some(o) = rule.oif {
        keys.push(("oif".into(), Value::Dev(o)));
    }
    if let Some(states) = &rule.states {
        let states: Vec<Value> =
            states.split(',').map(|s| Value::Text(s.trim().to_ascii_lowercase())).collect();
        keys.push(("ct".into(), Value::List(states)));
    }
    if let Some(t) = &rule.icmp_type {
        keys.push(("icmp_type".into(), Value::Text(t.clone())));
    }
    let verdict = rule.target.clone().unwrap_or_default().to_ascii_lowercase();
    if (rule.sport.is_some() || rule.dport.is_some()) && !matches!(rule.proto.as_deref(), Some("tcp" | "udp"))
    {
        return keep("ports without -p tcp or -p udp");
    }
    keys.push(("verdict".into(), Value::Text(verdict)));
    Understood::Steps(vec![Step::Filter { ns, chain: rule.chain.to_ascii_lowercase(), keys }])
}

#[cfg(test)]
mod tests {
    use super::super::ip::tests::steps;
    use super::*;

    #[test]
    fn rules_netscript_has() {
        assert_eq!(
            steps("sudo iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j MASQUERADE"),
            [Step::Masquerade {
                ns: Ns::Host,
                subnet: Some(Arg::lit("10.0.0.0/24")),
                out: Some(Arg::lit("eth0"))
            }]
        );
        assert_eq!(
            steps("iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE"),
            [Step::Masquerade { ns: Ns::Host, subnet: Some(Arg::lit("10.0.0.0/24")), out: None }]
        );
        assert_eq!(
            steps("iptables -A FORWARD -i veth0 -o eth0 -j ACCEPT"),
            [Step::Forward { ns: Ns::Host, from: Arg::lit("veth0"), to: Arg::lit("eth0"), replies: false }]
        );
        assert_eq!(
            steps("iptables -A FORWARD -i eth0 -o veth0 -m state --state RELATED,ESTABLISHED -j ACCEPT"),
            [Step::Forward { ns: Ns::Host, from: Arg::lit("eth0"), to: Arg::lit("veth0"), replies: true }]
        );
        assert_eq!(
            steps(
                "iptables -A FORWARD -i eth0 -o veth0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"
            ),
            [Step::Forward { ns: Ns::Host, from: Arg::lit("eth0"), to: Arg::lit("veth0"), replies: true }]
        );
        assert_eq!(
            steps(
                "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80"
            ),
            [Step::PortForward {
                ns: Ns::Host,
                proto: "tcp".into(),
                port: 8080,
                to: "10.0.0.5:80".into(),
                iif: Some(Arg::lit("eth0"))
            }]
        );
    }

    #[test]
    fn filter_rules_policies_and_every_nat_form() {
        assert_eq!(
            steps("iptables -P FORWARD DROP"),
            [Step::Policy { ns: Ns::Host, chain: "forward".into(), verdict: "drop".into() }]
        );
        let text = |t: &str| Value::Text(t.into());
        assert_eq!(
            steps("iptables -A INPUT -p tcp -s 10.99.0.0/24 --dport 22 -m conntrack --ctstate NEW -j ACCEPT"),
            [Step::Filter {
                ns: Ns::Host,
                chain: "input".into(),
                keys: vec![
                    ("proto".into(), text("tcp")),
                    ("saddr".into(), text("10.99.0.0/24")),
                    ("dport".into(), Value::Number(22)),
                    ("ct".into(), Value::List(vec![text("new")])),
                    ("verdict".into(), text("accept")),
                ],
            }]
        );
        assert_eq!(
            steps("iptables -A INPUT -p tcp -m multiport --dports 80,443 -j REJECT")[0],
            Step::Filter {
                ns: Ns::Host,
                chain: "input".into(),
                keys: vec![
                    ("proto".into(), text("tcp")),
                    ("dport".into(), Value::List(vec![Value::Number(80), Value::Number(443)])),
                    ("verdict".into(), text("reject")),
                ],
            }
        );
        assert!(
            matches!(&steps("iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT")[0], Step::Filter { keys, .. } if keys[1] == ("icmp_type".into(), text("echo-request")))
        );
        assert_eq!(
            steps("iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o eth0 -j SNAT --to-source 203.0.113.9"),
            [Step::Snat {
                ns: Ns::Host,
                subnet: Arg::lit("10.0.0.0/24"),
                out: Arg::lit("eth0"),
                to: "203.0.113.9".into()
            }]
        );
        assert_eq!(
            steps("iptables -t nat -A PREROUTING -i lan0 -p udp --dport 53 -j REDIRECT --to-ports 5353"),
            [Step::Redirect {
                ns: Ns::Host,
                proto: "udp".into(),
                port: 53,
                to_port: 5353,
                iif: Some(Arg::lit("lan0"))
            }]
        );
        assert_eq!(
            steps("iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE"),
            [Step::Masquerade { ns: Ns::Host, subnet: None, out: Some(Arg::lit("eth0")) }]
        );
    }

    #[test]
    fn listings_and_the_rest() {
        assert!(matches!(&steps("iptables -t nat -L -n -v")[0], Step::Look { .. }));
        assert!(matches!(&steps("iptables -L -n -v")[0], Step::Look { .. }));
        assert!(matches!(&steps("iptables -S")[0], Step::Look { .. }));
        for kept in [
            "iptables -P FORWARD REJECT",
            "iptables -A INPUT -j LOG",
            "iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j SNAT --to-source 203.0.113.2",
            "iptables -t nat -A POSTROUTING ! -d 10.0.0.0/24 -j MASQUERADE",
            "iptables -A INPUT -m mac --mac-source 02:00:00:00:00:01 -j DROP",
            "iptables -F",
        ] {
            assert!(matches!(&steps(kept)[0], Step::NotModelled { .. }), "{kept}");
        }
    }
}
