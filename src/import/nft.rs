//! `nft`: `add table/chain/rule` on the command line, and `nft -f` files
//! (here-documents included, as netscript's own dry run prints them) with
//! `table ... { chain ... { ... } }` blocks. Rules that netscript's API has
//! (masquerade, forward accepts, DNAT of a port) become those calls, in
//! netscript's own table; a file with anything else is kept as written.

use super::commands::{Understood, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Step};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
    End,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\n' | ';' => {
                out.push(Tok::End);
                i += 1;
            }
            '{' => {
                out.push(Tok::Open);
                i += 1;
            }
            '}' => {
                out.push(Tok::End);
                out.push(Tok::Close);
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            '"' => {
                let end = (i + 1..chars.len())
                    .find(|&j| chars[j] == '"')
                    .ok_or("a quote in the nft rules is never closed")?;
                // Quotes stay: a rule kept as text needs them.
                out.push(Tok::Word(chars[i..=end].iter().collect()));
                i = end + 1;
            }
            _ => {
                let mut word = String::new();
                while i < chars.len() && !" \t\r\n;{}\"".contains(chars[i]) {
                    word.push(chars[i]);
                    i += 1;
                }
                // A comma-separated set written with spaces: `{ established, related }`.
                out.push(Tok::Word(word));
            }
        }
    }
    Ok(out)
}

/// Statements: runs of words ended by `;`/a new line, and blocks.
#[derive(Debug)]
enum Stmt {
    Words(Vec<String>),
    Block(Vec<String>, Vec<Stmt>),
}

fn statements(tokens: &[Tok], at: &mut usize) -> Result<Vec<Stmt>, String> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    while *at < tokens.len() {
        let t = &tokens[*at];
        *at += 1;
        match t {
            Tok::Word(w) => words.push(w.clone()),
            Tok::End => {
                if !words.is_empty() {
                    out.push(Stmt::Words(std::mem::take(&mut words)));
                }
            }
            Tok::Open => {
                // `{ a, b }` inside a rule is a set: keep it as words.
                if is_set_context(&words) {
                    let mut set = Vec::new();
                    while *at < tokens.len() && tokens[*at] != Tok::Close {
                        if let Tok::Word(w) = &tokens[*at] {
                            set.push(w.trim_end_matches(',').to_string());
                        }
                        *at += 1;
                    }
                    *at += 1;
                    words.push(format!("{{ {} }}", set.join(", ")));
                    continue;
                }
                let body = statements(tokens, at)?;
                out.push(Stmt::Block(std::mem::take(&mut words), body));
            }
            Tok::Close => {
                if !words.is_empty() {
                    out.push(Stmt::Words(std::mem::take(&mut words)));
                }
                return Ok(out);
            }
        }
    }
    if !words.is_empty() {
        out.push(Stmt::Words(words));
    }
    Ok(out)
}

/// A word without its quotes.
fn unq(word: &str) -> String {
    if let Some(set) = word.strip_prefix("{ ").and_then(|w| w.strip_suffix(" }")) {
        return set.split(',').map(|x| x.trim()).collect::<Vec<_>>().join(",");
    }
    word.strip_prefix('"').and_then(|w| w.strip_suffix('"')).unwrap_or(word).to_string()
}

fn is_set_context(words: &[String]) -> bool {
    matches!(
        words.last().map(String::as_str),
        Some("state" | "status" | "saddr" | "daddr" | "dport" | "sport" | "oifname" | "iifname" | "!=")
    )
}

/// A chain's hook, from its declaration or, failing that, its name.
fn hook_of(spec: &[String], name: &str) -> String {
    spec.iter()
        .position(|w| w == "hook")
        .and_then(|i| spec.get(i + 1))
        .cloned()
        .unwrap_or_else(|| name.to_ascii_lowercase())
}

struct Reader {
    ns: Ns,
    /// (table, chain) → hook.
    chains: Vec<(String, String, String)>,
    steps: Vec<Step>,
}

impl Reader {
    fn hook(&self, table: &str, chain: &str) -> String {
        self.chains
            .iter()
            .find(|(t, c, _)| t == table && c == chain)
            .map(|(_, _, h)| h.clone())
            .unwrap_or_else(|| chain.to_ascii_lowercase())
    }

    fn top(&mut self, stmts: &[Stmt]) -> Result<(), String> {
        for stmt in stmts {
            match stmt {
                Stmt::Block(head, body) => {
                    let head: Vec<&str> = head.iter().map(String::as_str).collect();
                    match head.as_slice() {
                        ["table", rest @ ..] | ["add", "table", rest @ ..] => {
                            let table = rest.last().ok_or("a table needs a name")?.to_string();
                            self.table(&table, body)?;
                        }
                        ["add" | "create", "chain", .., table, chain] => {
                            let spec = flat(body);
                            let hook = hook_of(&spec, chain);
                            self.policy(&spec, &hook)?;
                            self.chains.push((table.to_string(), chain.to_string(), hook));
                        }
                        _ => return Err(format!("`{}` is not modelled", head.join(" "))),
                    }
                }
                Stmt::Words(words) => self.command(words)?,
            }
        }
        Ok(())
    }

    fn table(&mut self, table: &str, body: &[Stmt]) -> Result<(), String> {
        for stmt in body {
            match stmt {
                Stmt::Block(head, chain_body) if head.first().map(String::as_str) == Some("chain") => {
                    let chain = head.get(1).ok_or("a chain needs a name")?.clone();
                    let mut spec = Vec::new();
                    let mut rules = Vec::new();
                    for s in chain_body {
                        match s {
                            Stmt::Words(w)
                                if matches!(w[0].as_str(), "type" | "policy" | "comment" | "devices") =>
                            {
                                spec.extend(w.iter().cloned())
                            }
                            Stmt::Words(w) => rules.push(w.clone()),
                            Stmt::Block(..) => return Err("a block inside a chain is not modelled".into()),
                        }
                    }
                    let hook = hook_of(&spec, &chain);
                    self.policy(&spec, &hook)?;
                    self.chains.push((table.to_string(), chain.clone(), hook));
                    for rule in rules {
                        self.rule(table, &chain, &rule)?;
                    }
                }
                Stmt::Words(w) if matches!(w.first().map(String::as_str), Some("flags" | "comment")) => {}
                _ => return Err("only chains inside a table are modelled".into()),
            }
        }
        Ok(())
    }

    fn command(&mut self, words: &[String]) -> Result<(), String> {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            ["add" | "create", "table", ..] => Ok(()),
            ["add" | "create", "chain", .., table, chain] => {
                self.chains.push((table.to_string(), chain.to_string(), chain.to_ascii_lowercase()));
                Ok(())
            }
            ["add" | "insert", "rule", rest @ ..] => {
                // [family] table chain expr...
                let families = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];
                let rest = if rest.first().is_some_and(|f| families.contains(f)) && rest.len() > 3 {
                    &rest[1..]
                } else {
                    rest
                };
                let (table, chain, expr) = match rest {
                    [table, chain, expr @ ..] if !expr.is_empty() => (table, chain, expr),
                    _ => return Err("a rule needs a table, a chain and what it does".into()),
                };
                let expr: Vec<String> = expr.iter().map(|s| s.to_string()).collect();
                self.rule(table, chain, &expr)
            }
            ["list", ..] => Ok(()),
            _ => Err(format!("`nft {}` is not modelled", w.join(" "))),
        }
    }

    /// A chain's policy, when it is not accept.
    fn policy(&mut self, spec: &[String], hook: &str) -> Result<(), String> {
        let Some(i) = spec.iter().position(|w| w == "policy") else { return Ok(()) };
        let verdict = spec.get(i + 1).map(String::as_str).unwrap_or("");
        if verdict == "accept" {
            return Ok(());
        }
        if !["input", "forward", "output"].contains(&hook) || verdict != "drop" {
            return Err(format!("a {verdict} policy in the {hook} hook is not modelled"));
        }
        self.steps.push(Step::Policy {
            ns: self.ns.clone(),
            chain: hook.to_string(),
            verdict: verdict.into(),
        });
        Ok(())
    }

    fn rule(&mut self, table: &str, chain: &str, expr: &[String]) -> Result<(), String> {
        let hook = self.hook(table, chain);
        match self.mapped(&hook, expr) {
            Ok(()) => Ok(()),
            // Anything else in one of the five chains is a rule as text.
            Err(_)
                if ["input", "forward", "output", "prerouting", "postrouting"].contains(&hook.as_str())
                    && expr.iter().any(|w| {
                        [
                            "accept",
                            "drop",
                            "reject",
                            "masquerade",
                            "snat",
                            "dnat",
                            "redirect",
                            "jump",
                            "goto",
                            "return",
                            "log",
                        ]
                        .contains(&w.as_str())
                    }) =>
            {
                let mut words = Vec::new();
                let mut comment = None;
                let mut i = 0;
                while i < expr.len() {
                    if expr[i] == "comment" {
                        comment = expr.get(i + 1).map(|c| unq(c));
                        i += 2;
                        continue;
                    }
                    words.push(expr[i].clone());
                    i += 1;
                }
                let counter = comment
                    .as_deref()
                    .and_then(|c| c.strip_suffix(')'))
                    .and_then(|c| c.rsplit_once("(counter "))
                    .map(|(_, n)| n.to_string());
                self.steps.push(Step::RawRule {
                    ns: self.ns.clone(),
                    chain: hook,
                    text: words.join(" "),
                    counter,
                });
                Ok(())
            }
            Err(why) => Err(why),
        }
    }

    /// A rule that is one of the API's own forms.
    fn mapped(&mut self, hook: &str, expr: &[String]) -> Result<(), String> {
        let m = Matches::read(expr)?;
        let ns = self.ns.clone();
        let unmodelled = || Err(format!("the rule `{}` is not modelled", expr.join(" ")));
        let step = match (hook, m.verdict.as_str()) {
            ("postrouting", "snat")
                if m.iif.is_none() && m.dport.is_none() && m.states.is_none() && m.daddr.is_none() =>
            {
                let (Some(subnet), Some(out), Some(to)) = (&m.saddr, &m.oif, &m.nat_to) else {
                    return unmodelled();
                };
                if m.daddr_not.as_ref() != Some(subnet) {
                    return unmodelled();
                }
                Step::Snat { ns, subnet: Arg::lit(subnet), out: Arg::lit(out), to: to.clone() }
            }
            ("prerouting", "redirect") if m.saddr.is_none() && m.daddr.is_none() && m.oif.is_none() => {
                let (Some(proto), Some(port), Some(to)) = (&m.proto, &m.dport, &m.nat_to) else {
                    return unmodelled();
                };
                let (Ok(port), Ok(to_port)) =
                    (port.parse::<u16>(), to.trim_start_matches(':').parse::<u16>())
                else {
                    return unmodelled();
                };
                Step::Redirect {
                    ns,
                    proto: proto.clone(),
                    port,
                    to_port,
                    iif: m.iif.as_deref().map(Arg::lit),
                }
            }
            ("postrouting", "masquerade") if m.iif.is_none() && m.dport.is_none() && m.states.is_none() => {
                if let Some(not) = &m.daddr_not
                    && Some(not) != m.saddr.as_ref()
                {
                    return unmodelled();
                }
                if m.daddr.is_some() {
                    return unmodelled();
                }
                Step::Masquerade {
                    ns,
                    subnet: m.saddr.as_deref().map(Arg::lit),
                    out: m.oif.as_deref().map(Arg::lit),
                }
            }
            ("forward", "accept") if m.ct_dnat => {
                // The second half of a port forward netscript itself wrote.
                let (Some(daddr), Some(port)) = (&m.daddr, &m.dport) else { return unmodelled() };
                let covered = self.steps.iter().any(|s| matches!(s, Step::PortForward { to, .. } if to.starts_with(daddr.as_str()) && to.ends_with(&format!(":{port}"))));
                if !covered {
                    return unmodelled();
                }
                return Ok(());
            }
            ("forward", "accept") if m.saddr.is_none() && m.daddr.is_none() && m.dport.is_none() => {
                let (Some(from), Some(to)) = (&m.iif, &m.oif) else { return unmodelled() };
                let replies = match m.states.as_deref() {
                    None => false,
                    Some(s) => {
                        let mut states: Vec<&str> = s.split(',').collect();
                        states.sort();
                        if states != ["established", "related"] && states != ["established"] {
                            return unmodelled();
                        }
                        true
                    }
                };
                Step::Forward { ns, from: Arg::lit(from), to: Arg::lit(to), replies }
            }
            ("prerouting", "dnat") if m.saddr.is_none() && m.daddr.is_none() && m.oif.is_none() => {
                let (Some(proto), Some(port), Some(to)) = (&m.proto, &m.dport, &m.nat_to) else {
                    return unmodelled();
                };
                let Ok(port) = port.parse::<u16>() else { return unmodelled() };
                Step::PortForward {
                    ns,
                    proto: proto.clone(),
                    port,
                    to: to.clone(),
                    iif: m.iif.as_deref().map(Arg::lit),
                }
            }
            _ => return unmodelled(),
        };
        self.steps.push(step);
        Ok(())
    }
}

fn flat(stmts: &[Stmt]) -> Vec<String> {
    let mut out = Vec::new();
    for s in stmts {
        if let Stmt::Words(w) = s {
            out.extend(w.iter().cloned());
        }
    }
    out
}

#[derive(Default, Debug)]
struct Matches {
    saddr: Option<String>,
    daddr: Option<String>,
    daddr_not: Option<String>,
    iif: Option<String>,
    oif: Option<String>,
    proto: Option<String>,
    dport: Option<String>,
    states: Option<String>,
    ct_dnat: bool,
    /// Where dnat, snat or redirect sends it.
    nat_to: Option<String>,
    verdict: String,
}

impl Matches {
    fn read(expr: &[String]) -> Result<Matches, String> {
        let mut m = Matches::default();
        let expr: Vec<String> = expr.iter().map(|w| unq(w)).collect();
        let expr = expr.as_slice();
        let mut i = 0;
        let unknown = |w: &str| Err(format!("`{w}` in the rule `{}` is not modelled", expr.join(" ")));
        while i < expr.len() {
            let w = expr[i].as_str();
            let next = expr.get(i + 1).map(String::as_str).unwrap_or("");
            let after = expr.get(i + 2).map(String::as_str).unwrap_or("");
            match (w, next) {
                ("ip" | "ip6", "saddr") => {
                    m.saddr = Some(after.to_string());
                    i += 3;
                }
                ("ip" | "ip6", "daddr") if after == "!=" => {
                    m.daddr_not = expr.get(i + 3).cloned();
                    i += 4;
                }
                ("ip" | "ip6", "daddr") => {
                    m.daddr = Some(after.to_string());
                    i += 3;
                }
                ("oifname" | "oif", _) => {
                    m.oif = Some(next.to_string());
                    i += 2;
                }
                ("iifname" | "iif", _) => {
                    m.iif = Some(next.to_string());
                    i += 2;
                }
                ("meta", "nfproto") => i += 3,
                ("tcp" | "udp", "dport") => {
                    m.proto = Some(w.to_string());
                    m.dport = Some(after.to_string());
                    i += 3;
                }
                ("ct", "state") => {
                    m.states = Some(after.to_string());
                    i += 3;
                }
                ("ct", "status") if after == "dnat" => {
                    m.ct_dnat = true;
                    i += 3;
                }
                ("counter", _) => i += 1,
                ("comment", _) => i += 2,
                ("accept" | "masquerade", _) => {
                    m.verdict = w.to_string();
                    i += 1;
                }
                ("dnat" | "snat", _) => {
                    m.verdict = w.to_string();
                    // dnat [ip|ip6] to ADDR[:PORT]
                    let mut j = i + 1;
                    if matches!(expr.get(j).map(String::as_str), Some("ip" | "ip6")) {
                        j += 1;
                    }
                    if expr.get(j).map(String::as_str) != Some("to") {
                        return unknown(w);
                    }
                    m.nat_to = expr.get(j + 1).cloned();
                    i = j + 2;
                }
                ("redirect", "to") => {
                    m.verdict = "redirect".into();
                    m.nat_to = Some(after.to_string());
                    i += 3;
                }
                _ => return unknown(w),
            }
        }
        if m.verdict.is_empty() {
            return Err(format!("the rule `{}` has no verdict netscript models", expr.join(" ")));
        }
        Ok(m)
    }
}

pub fn parse(args: &[Arg], cmd: &Command, ns: Ns) -> Understood {
    let keep = |why: String| {
        let mut words = vec![Arg::lit("nft")];
        words.extend_from_slice(args);
        Understood::Steps(vec![Step::NotModelled { ns: ns.clone(), command: shell_text(&words, cmd), why }])
    };
    let mut rest: Vec<&Arg> = Vec::new();
    let mut file = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].value.as_str() {
            "-f" | "--file" => {
                file = args.get(i + 1).map(|a| a.value.clone());
                i += 2;
                continue;
            }
            "-a" | "-e" | "-j" | "-n" | "-s" | "-c" | "--handle" | "--echo" | "--json" | "--stateless" => {}
            _ => rest.push(&args[i]),
        }
        i += 1;
    }
    let text = match file.as_deref() {
        Some("-") | Some("/dev/stdin") => match &cmd.heredoc {
            Some(body) => body.clone(),
            None => return keep("rules read from standard input".into()),
        },
        Some(_) => return keep("rules from a file import cannot see".into()),
        None => {
            if rest.first().is_some_and(|w| w.value == "list") {
                return Understood::Steps(vec![Step::Look { ns, command: cmd.text.clone() }]);
            }
            if rest.is_empty() {
                return if cmd.loose {
                    Understood::NotACommand
                } else {
                    keep("nft without a command".into())
                };
            }
            rest.iter().map(|a| a.value.as_str()).collect::<Vec<_>>().join(" ")
        }
    };
    let mut reader = Reader { ns: ns.clone(), chains: Vec::new(), steps: Vec::new() };
    let result = tokenize(&text).and_then(|tokens| {
        let mut at = 0;
        let stmts = statements(&tokens, &mut at)?;
        reader.top(&stmts)
    });
    match result {
        Ok(()) => Understood::Steps(reader.steps),
        Err(why) => keep(why),
    }
}

#[cfg(test)]
mod tests {
    use super::super::shell::{Snippet, Unit, parse as shell_parse};
    use super::*;

    fn read(text: &str, heredoc: Option<&str>) -> Vec<Step> {
        let units = shell_parse(&[Snippet {
            line: 1,
            text: text.into(),
            heredoc: heredoc.map(String::from),
            loose: false,
        }]);
        let Unit::Command(cmd) = &units[0] else { panic!() };
        match super::super::commands::understand(cmd) {
            Understood::Steps(s) => s,
            Understood::NotACommand => panic!(),
        }
    }

    #[test]
    fn netscripts_own_dry_run() {
        let body = "table inet netscript {\n  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }\n  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }\n  chain forward { type filter hook forward priority filter; policy accept; }\n}\nadd rule inet netscript postrouting ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname \"eth0\" masquerade comment \"netscript: masquerade 10.0.0.0/24 out eth0\"\n";
        assert_eq!(
            read("nft -f - <<'NFT'", Some(body)),
            [Step::Masquerade {
                ns: Ns::Host,
                subnet: Some(Arg::lit("10.0.0.0/24")),
                out: Some(Arg::lit("eth0"))
            }]
        );
        let body = "table inet netscript {\n  chain forward { type filter hook forward priority filter; policy accept; }\n}\nadd rule inet netscript forward iifname \"br0\" oifname \"eth0\" accept comment \"x\"\nadd rule inet netscript forward iifname \"eth0\" oifname \"br0\" ct state established,related accept comment \"y\"\n";
        assert_eq!(
            read("ip netns exec r nft -f - <<'NFT'", Some(body)),
            [
                Step::Forward {
                    ns: Ns::named("r"),
                    from: Arg::lit("br0"),
                    to: Arg::lit("eth0"),
                    replies: false
                },
                Step::Forward {
                    ns: Ns::named("r"),
                    from: Arg::lit("eth0"),
                    to: Arg::lit("br0"),
                    replies: true
                },
            ]
        );
        let body = "add rule inet netscript prerouting iifname \"up0\" meta nfproto ipv4 tcp dport 8080 dnat ip to 10.0.0.12:80 comment \"a\"\nadd rule inet netscript forward ip daddr 10.0.0.12 tcp dport 80 ct status dnat accept comment \"b\"\n";
        assert_eq!(
            read("nft -f - <<'NFT'", Some(body)),
            [Step::PortForward {
                ns: Ns::Host,
                proto: "tcp".into(),
                port: 8080,
                to: "10.0.0.12:80".into(),
                iif: Some(Arg::lit("up0"))
            }]
        );
    }

    #[test]
    fn command_line_and_files() {
        assert_eq!(
            read("nft add rule ip nat POSTROUTING oifname eth0 masquerade", None),
            [Step::Masquerade { ns: Ns::Host, subnet: None, out: Some(Arg::lit("eth0")) }]
        );
        assert_eq!(read("nft add table ip nat", None), []);
        assert_eq!(
            read("nft 'add chain ip nat post { type nat hook postrouting priority 100 ; }'", None),
            []
        );
        let file = "table ip nat {\n  chain post {\n    type nat hook postrouting priority 100; policy accept;\n    ip saddr 10.0.0.0/24 oifname \"eth0\" masquerade\n  }\n}\n";
        assert_eq!(
            read("nft -f - <<EOF", Some(file)),
            [Step::Masquerade {
                ns: Ns::Host,
                subnet: Some(Arg::lit("10.0.0.0/24")),
                out: Some(Arg::lit("eth0"))
            }]
        );
        assert!(matches!(&read("nft list ruleset", None)[0], Step::Look { .. }));
        let drop =
            "table inet f {\n  chain post { type nat hook postrouting priority 100; policy drop; }\n}\n";
        assert!(
            matches!(&read("nft -f - <<EOF", Some(drop))[0], Step::NotModelled { why, .. } if why.contains("policy"))
        );
        let drop = "table inet f {\n  chain input { type filter hook input priority 0; policy drop;\n    iifname \"lo\" accept\n    tcp dport { 22, 80 } counter accept comment \"web (counter web)\"\n  }\n}\n";
        let input = |text: &str, counter: Option<&str>| Step::RawRule {
            ns: Ns::Host,
            chain: "input".into(),
            text: text.into(),
            counter: counter.map(String::from),
        };
        assert_eq!(
            read("nft -f - <<EOF", Some(drop)),
            [
                Step::Policy { ns: Ns::Host, chain: "input".into(), verdict: "drop".into() },
                input("iifname \"lo\" accept", None),
                input("tcp dport { 22, 80 } counter accept", Some("web")),
            ]
        );
        assert!(matches!(&read("nft flush ruleset", None)[0], Step::NotModelled { .. }));
        assert!(matches!(&read("nft -f /etc/nftables.conf", None)[0], Step::NotModelled { .. }));
    }
}
