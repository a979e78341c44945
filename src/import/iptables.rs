//! `iptables` and `ip6tables`: the rules netscript's API has (masquerade,
//! forward accept and its replies, DNAT of a port); listings are looks;
//! the rest is kept as written until netscript has filter rules.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step};

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
            "--dport" | "--destination-port" => rule.dport = Some(text()?),
            "-m" | "--match" => {
                let m = text()?;
                if m != "state" && m != "conntrack" && m != "tcp" && m != "udp" && m != "comment" {
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
    let keep = |why: &str| {
        let mut words = vec![Arg::lit(program)];
        words.extend_from_slice(args);
        Understood::Steps(vec![Step::NotModelled {
            ns: ns.clone(),
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
    if !matches!(rule.action.as_str(), "A" | "I") {
        return keep(match rule.action.as_str() {
            "P" => "chain policies are not in netscript yet",
            "D" => "deleting a rule by its text is not modelled",
            _ => "this iptables command is not modelled",
        });
    }
    if rule.negated || !rule.other.is_empty() {
        return keep("matches that netscript's rules do not have");
    }
    let target = rule.target.clone().unwrap_or_default();
    match (rule.table.as_str(), rule.chain.as_str(), target.as_str()) {
        ("nat", "POSTROUTING", "MASQUERADE")
            if rule.destination.is_none()
                && rule.iif.is_none()
                && rule.proto.is_none()
                && rule.states.is_none() =>
        {
            Understood::Steps(vec![Step::Masquerade { ns, subnet: rule.source, out: rule.oif }])
        }
        ("filter", "FORWARD", "ACCEPT")
            if rule.source.is_none() && rule.destination.is_none() && rule.proto.is_none() =>
        {
            let (Some(from), Some(to)) = (rule.iif, rule.oif) else {
                return keep("a forward rule without both -i and -o is not modelled");
            };
            let replies = match rule.states.as_deref().map(|s| {
                let mut states: Vec<String> = s.split(',').map(|x| x.to_ascii_uppercase()).collect();
                states.sort();
                states.join(",")
            }) {
                None => false,
                Some(s) if s == "ESTABLISHED,RELATED" || s == "ESTABLISHED" => true,
                Some(_) => return keep("a forward rule for these connection states is not modelled"),
            };
            Understood::Steps(vec![Step::Forward { ns, from, to, replies }])
        }
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
        _ => keep("filter rules other than forward accepts, SNAT and REDIRECT are not in netscript yet"),
    }
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
    fn listings_and_the_rest() {
        assert!(matches!(&steps("iptables -t nat -L -n -v")[0], Step::Look { .. }));
        assert!(matches!(&steps("iptables -L -n -v")[0], Step::Look { .. }));
        assert!(matches!(&steps("iptables -S")[0], Step::Look { .. }));
        for kept in [
            "iptables -P FORWARD DROP",
            "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
            "iptables -A FORWARD -j REJECT",
            "iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j SNAT --to-source 203.0.113.2",
            "iptables -t nat -A POSTROUTING ! -d 10.0.0.0/24 -j MASQUERADE",
            "iptables -F",
        ] {
            assert!(matches!(&steps(kept)[0], Step::NotModelled { .. }), "{kept}");
        }
    }
}
