//! Steps → the script: one call per step, namespaces as handles, values
//! as the parameters they were lifted into, what import changed in
//! comments beside it, and a header that says what differs from the
//! tutorial and which parameters the script reads.

use std::collections::{HashMap, HashSet};

use super::params::Lifted;
use super::shell::{Arg, Piece};
use super::step::{Item, Ns, Route, Step, Value};

/// Everything the script is made of.
pub struct Plan<'a> {
    pub source: &'a str,
    pub items: &'a [Item],
    /// Shell variables, in order: (line, name, default).
    pub vars: &'a [(usize, String, Arg)],
    pub lifted: &'a Lifted,
    /// What differs from the tutorial, for the header.
    pub changes: &'a [String],
    /// Checks of the way out, for the end: (namespace, what the tutorial pinged, line).
    pub outside_checks: &'a [(Ns, String, usize)],
}

const RESERVED: &[&str] = &[
    "let",
    "const",
    "fn",
    "if",
    "else",
    "for",
    "in",
    "while",
    "loop",
    "do",
    "until",
    "break",
    "continue",
    "return",
    "throw",
    "try",
    "catch",
    "switch",
    "import",
    "export",
    "as",
    "private",
    "this",
    "global",
    "true",
    "false",
    "is_def_var",
    "is_def_fn",
    "is_shared",
    "type_of",
    "print",
    "debug",
    "eval",
    "call",
    "curry",
    "Fn",
    "static",
    "shared",
    "sync",
    "async",
    "await",
    "yield",
    "new",
    "use",
    "module",
    "package",
    "super",
    "thread",
    "spawn",
    "go",
    "exit",
    "match",
    "case",
    "public",
    "protected",
    "with",
    "var",
    "default",
    "void",
    "null",
    "nil",
    "host",
    "uplink",
    "internet",
    "check",
    "nat",
    "topo",
];

/// Rhai identifiers for names, unique within one script.
#[derive(Default)]
pub struct Names {
    used: HashSet<String>,
    given: HashMap<String, String>,
}

impl Names {
    pub fn reserve(&mut self, ident: &str) {
        self.used.insert(ident.to_string());
    }

    /// The identifier for `name` (a namespace's or a variable's), the same
    /// each time it is asked for.
    pub fn ident(&mut self, kind: &str, name: &str) -> String {
        let key = format!("{kind}:{name}");
        if let Some(id) = self.given.get(&key) {
            return id.clone();
        }
        let mut base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        base = base.trim_matches('_').to_string();
        while base.contains("__") {
            base = base.replace("__", "_");
        }
        if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
            base = format!("{kind}_{base}");
        }
        if RESERVED.contains(&base.as_str()) {
            base = format!("{base}_{kind}");
        }
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        self.given.insert(key, id.clone());
        id
    }
}

/// A Rhai string literal.
pub fn string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub struct Writer<'a> {
    plan: &'a Plan<'a>,
    pub names: Names,
    /// Namespaces with a handle, by name.
    handles: HashMap<String, String>,
    out: Vec<String>,
}

impl<'a> Writer<'a> {
    fn var(&mut self, name: &str) -> String {
        self.names.ident("var", name)
    }

    /// An argument: a string, or a template when variables made it.
    fn arg(&mut self, arg: &Arg) -> String {
        if !arg.has_vars() {
            return string(&arg.value);
        }
        if let [Piece::Var(v)] = arg.pieces.as_slice() {
            return self.var(v);
        }
        let mut out = String::from("`");
        for piece in &arg.pieces {
            match piece {
                Piece::Lit(t) => {
                    out.push_str(&t.replace('\\', "\\\\").replace('`', "\\`").replace("${", "$\\{"))
                }
                Piece::Var(v) => {
                    let id = self.var(v);
                    out.push_str(&format!("${{{id}}}"));
                }
            }
        }
        out.push('`');
        out
    }

    /// An address with its prefix ("10.0.0.1/24").
    fn addr(&mut self, arg: &Arg) -> String {
        if !arg.has_vars()
            && let Some(expr) = self.plan.lifted.addr(&arg.value)
        {
            return expr;
        }
        self.arg(arg)
    }

    /// An address alone (a gateway, a ping's target).
    fn ip(&mut self, arg: &Arg) -> String {
        if !arg.has_vars()
            && let Some(expr) = self.plan.lifted.ip(&arg.value)
        {
            return expr;
        }
        self.arg(arg)
    }

    /// A prefix (a route's destination, a masquerade's subnet).
    fn prefix(&mut self, arg: &Arg, as_network: bool) -> String {
        if !arg.has_vars()
            && let Some(expr) = self.plan.lifted.prefix(&arg.value, as_network)
        {
            return expr;
        }
        self.arg(arg)
    }

    /// An interface name; the uplink's is the uplink parameter.
    fn dev(&mut self, arg: &Arg) -> String {
        if !arg.has_vars() && self.plan.lifted.uplink.as_deref() == Some(arg.value.as_str()) {
            return "uplink".into();
        }
        self.arg(arg)
    }

    /// `ns.` for a method call in a namespace, nothing for the host.
    fn at(&mut self, ns: &Ns) -> String {
        match ns {
            Ns::Host => String::new(),
            Ns::Named(_) => format!("{}.", self.ns(ns)),
        }
    }

    /// A namespace as an argument.
    fn ns(&mut self, ns: &Ns) -> String {
        match ns {
            Ns::Host => "host()".into(),
            Ns::Named(arg) => match self.handles.get(&arg.value) {
                Some(h) => h.clone(),
                None => {
                    let name = self.arg(arg);
                    format!("netns({name})")
                }
            },
        }
    }

    fn push(&mut self, line: String) {
        self.out.push(line);
    }

    fn step(&mut self, item: &Item) {
        for note in &item.notes {
            for line in wrap(note, 100) {
                self.push(format!("// {line}"));
            }
        }
        let line = match &item.step {
            Step::NetnsAdd { name, ipv6 } => {
                let handle = self.names.ident("ns", &name.value);
                let name_expr = self.arg(name);
                self.handles.insert(name.value.clone(), handle.clone());
                let opts = if *ipv6 { "" } else { ", #{ipv6: false}" };
                format!("let {handle} = netns_add({name_expr}{opts});")
            }
            Step::NetnsDel { name } => {
                let ns = self.ns(&Ns::Named(name.clone()));
                format!("netns_del({ns});")
            }
            Step::VethAdd { ns, name, peer_ns, peer } => {
                let (name, peer) = (self.arg(name), self.arg(peer));
                if matches!((ns, peer_ns), (Ns::Host, Ns::Host)) {
                    format!("veth_add({name}, {peer});")
                } else {
                    let (a, b) = (self.ns(ns), self.ns(peer_ns));
                    format!("veth_add({a}, {name}, {b}, {peer});")
                }
            }
            Step::BridgeAdd { ns, name } => {
                let at = self.at(ns);
                format!("{at}bridge_add({});", self.arg(name))
            }
            Step::LinkUp { ns, dev, up } => {
                let at = self.at(ns);
                format!("{at}link_{}({});", if *up { "up" } else { "down" }, self.dev(dev))
            }
            Step::LinkMaster { ns, dev, master } => {
                let at = self.at(ns);
                let dev = self.dev(dev);
                match master {
                    Some(m) => format!("{at}link_set_master({dev}, {});", self.arg(m)),
                    None => format!("{at}link_nomaster({dev});"),
                }
            }
            Step::LinkNetns { ns, dev, target } => {
                let at = self.at(ns);
                let dev = self.dev(dev);
                format!("{at}link_set_netns({dev}, {});", self.ns(target))
            }
            Step::LinkRename { ns, dev, new } => {
                let at = self.at(ns);
                let dev = self.dev(dev);
                format!("{at}link_rename({dev}, {});", self.arg(new))
            }
            Step::LinkMtu { ns, dev, mtu } => {
                let at = self.at(ns);
                format!("{at}link_set_mtu({}, {mtu});", self.dev(dev))
            }
            Step::LinkDel { ns, dev } => {
                let at = self.at(ns);
                format!("{at}link_del({});", self.dev(dev))
            }
            Step::AddrAdd { ns, dev, addr } | Step::AddrDel { ns, dev, addr } => {
                let verb = if matches!(item.step, Step::AddrAdd { .. }) { "addr_add" } else { "addr_del" };
                let at = self.at(ns);
                let dev = self.dev(dev);
                format!("{at}{verb}({dev}, {});", self.addr(addr))
            }
            Step::RouteAdd { ns, route } | Step::RouteDel { ns, route } => {
                let verb = if matches!(item.step, Step::RouteAdd { .. }) { "route_add" } else { "route_del" };
                let at = self.at(ns);
                let args = self.route(route);
                format!("{at}{verb}({args});")
            }
            Step::Sysctl { ns, key, value } => {
                let at = self.at(ns);
                let on = match value.value.as_str() {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                };
                match (key.as_str(), on) {
                    ("net.ipv4.ip_forward", Some(on)) if !value.has_vars() => {
                        format!("{at}ipv4_forwarding({on});")
                    }
                    ("net.ipv6.conf.all.forwarding", Some(on)) if !value.has_vars() => {
                        format!("{at}ipv6_forwarding({on});")
                    }
                    // Both at once, as netscript's forwarding() sets them.
                    ("forwarding", Some(on)) => format!("{at}forwarding({on});"),
                    _ => format!("{at}sysctl_set({}, {});", string(key), self.arg(value)),
                }
            }
            Step::Masquerade { ns, subnet, out } => {
                let at = self.at(ns);
                let out = match out {
                    Some(o) => self.dev(o),
                    None if matches!(ns, Ns::Host) => "uplink".into(),
                    None => format!("{at}uplink()"),
                };
                match subnet {
                    Some(s) => {
                        let subnet = self.prefix(s, false);
                        format!("{at}masquerade({subnet}, {out});")
                    }
                    None => format!("{at}masquerade({out});"),
                }
            }
            Step::Snat { ns, subnet, out, to } => {
                let at = self.at(ns);
                let (subnet, out) = (self.prefix(subnet, false), self.dev(out));
                format!("{at}snat({subnet}, {out}, {});", string(to))
            }
            Step::Redirect { ns, proto, port, to_port, iif } => {
                let at = self.at(ns);
                let opts = self.proto_iif(proto, iif.as_ref());
                format!("{at}redirect({port}, {to_port}{opts});")
            }
            Step::Policy { ns, chain, verdict } => {
                let at = self.at(ns);
                if matches!(ns, Ns::Host) && verdict != "accept" {
                    self.push(format!(
                        "// As the tutorial has it: the host's whole {chain} chain, not only the lab's traffic (set back when the lab goes)."
                    ));
                    format!("policy({}, {}, #{{whole_namespace: true}});", string(chain), string(verdict))
                } else {
                    format!("{at}policy({}, {});", string(chain), string(verdict))
                }
            }
            Step::Filter { ns, chain, keys } => {
                let at = self.at(ns);
                let fields: Vec<String> =
                    keys.iter().map(|(k, v)| format!("{k}: {}", self.value(v))).collect();
                format!("{at}rule_add({}, #{{{}}});", string(chain), fields.join(", "))
            }
            Step::RawRule { ns, chain, text, counter } => {
                let at = self.at(ns);
                let opts =
                    counter.as_ref().map(|c| format!(", #{{counter: {}}}", string(c))).unwrap_or_default();
                format!("{at}rule_add({}, {}{opts});", string(chain), string(text))
            }
            Step::Forward { ns, from, to, .. } | Step::ForwardAccept { ns, from, to } => {
                let at = self.at(ns);
                let (from, to) = (self.dev(from), self.dev(to));
                format!("{at}forward_accept({from}, {to});")
            }
            Step::PortForward { ns, proto, port, to, iif } => {
                let at = self.at(ns);
                let opts = self.proto_iif(proto, iif.as_ref());
                format!("{at}port_forward({port}, {}{opts});", string(to))
            }
            Step::Ping { ns, target } => {
                let at = self.at(ns);
                format!("{at}assert_reachable({});", self.ip(target))
            }
            Step::Exec { ns, command, background } => {
                let at = self.at(ns);
                let verb = if *background { "start_process" } else { "exec" };
                let mut command = command.clone();
                if *background {
                    strip_ampersand(&mut command);
                }
                format!("{at}{verb}({});", self.arg(&command))
            }
            Step::NodeFile { ns, path, content } => {
                let at = self.at(ns);
                format!("{at}write_file({}, {});", string(path), string(content))
            }
            Step::Process { ns, argv } => {
                let at = self.at(ns);
                let words: Vec<String> = argv.iter().map(|a| self.arg(a)).collect();
                format!("{at}start_process([{}]);", words.join(", "))
            }
            Step::Listen { ns, proto, port } => {
                let at = self.at(ns);
                let opts = if proto == "udp" { ", #{proto: \"udp\"}" } else { "" };
                format!("{at}listen({port}{opts});")
            }
            Step::Call { ns, func, args, opts } => {
                let at = self.at(ns);
                let mut words: Vec<String> = args.iter().map(|v| self.value(v)).collect();
                if !opts.is_empty() {
                    let fields: Vec<String> =
                        opts.iter().map(|(k, v)| format!("{k}: {}", self.value(v))).collect();
                    words.push(format!("#{{{}}}", fields.join(", ")));
                }
                format!("{at}{func}({});", words.join(", "))
            }
            Step::ExecWords { ns, argv } => {
                let at = self.at(ns);
                let words: Vec<String> = argv.iter().map(|a| self.arg(a)).collect();
                format!("{at}exec([{}]);", words.join(", "))
            }
            Step::Look { ns, command } => {
                let place =
                    if matches!(ns, Ns::Host) || command.contains("netns exec") || command.contains(" -n ") {
                        String::new()
                    } else {
                        format!(" (in {})", ns.label())
                    };
                format!("// looked at: {command}{place}")
            }
            Step::NotModelled { ns, command, why } => {
                self.push(format!(
                    "// not modelled ({why}): run as written, and not undone by `netscript down`"
                ));
                let at = self.at(ns);
                format!("{at}exec({});", self.arg(command))
            }
        };
        self.push(line);
    }

    /// The options map of redirect and port_forward: a protocol other than
    /// TCP, an input interface; empty when neither.
    fn proto_iif(&mut self, proto: &str, iif: Option<&Arg>) -> String {
        let mut opts = Vec::new();
        if proto != "tcp" {
            opts.push(format!("proto: {}", string(proto)));
        }
        if let Some(iif) = iif {
            opts.push(format!("iif: {}", self.dev(iif)));
        }
        if opts.is_empty() { String::new() } else { format!(", #{{{}}}", opts.join(", ")) }
    }

    fn value(&mut self, value: &Value) -> String {
        match value {
            Value::Text(t) => string(t),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Dev(d) => self.dev(d),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(|v| self.value(v)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    fn route(&mut self, route: &Route) -> String {
        let dst = match &route.dst {
            None if route.v6 && route.via.is_none() => string("default6"),
            None => string("default"),
            Some(d) => self.prefix(d, true),
        };
        if route.dev.is_none()
            && route.metric.is_none()
            && route.extra.is_empty()
            && let Some(via) = &route.via
        {
            return format!("{dst}, {}", self.ip(via));
        }
        let mut opts = Vec::new();
        if let Some(via) = &route.via {
            opts.push(format!("via: {}", self.ip(via)));
        }
        if let Some(dev) = &route.dev {
            opts.push(format!("dev: {}", self.dev(dev)));
        }
        if let Some(metric) = route.metric {
            opts.push(format!("metric: {metric}"));
        }
        for (k, v) in &route.extra {
            let v = self.value(v);
            opts.push(format!("{k}: {v}"));
        }
        format!("{dst}, #{{{}}}", opts.join(", "))
    }
}

fn strip_ampersand(command: &mut Arg) {
    command.value = command.value.trim_end().trim_end_matches('&').trim_end().to_string();
    if let Some(Piece::Lit(t)) = command.pieces.last_mut() {
        *t = t.trim_end().trim_end_matches('&').trim_end().to_string();
    }
}

/// Words wrapped at `width` characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The script.
pub fn render(plan: &Plan) -> String {
    let mut w = Writer { plan, names: Names::default(), handles: HashMap::new(), out: Vec::new() };
    for reserved in ["uplink", "internet"] {
        w.names.reserve(reserved);
    }
    for (_, ident) in &plan.lifted.subnets {
        w.names.reserve(ident);
    }
    let mut head = vec![format!("// Imported from {} by `netscript import`.", plan.source)];
    if !plan.changes.is_empty() {
        head.push("//".into());
        head.push("// What differs from the tutorial, and why:".into());
        for change in plan.changes {
            let mut first = true;
            for line in wrap(change, 96) {
                head.push(format!("// {} {line}", if first { "-" } else { " " }));
                first = false;
            }
        }
    }
    // Parameters.
    let mut params: Vec<(String, String)> = Vec::new();
    for (_, name, value) in plan.vars {
        params.push((
            format!("{}={}", name.to_ascii_lowercase(), value.value),
            format!("${name} in the tutorial"),
        ));
    }
    for (net, ident) in &plan.lifted.subnets {
        params.push((format!("{ident}={net}"), "addresses in it are numbered from it".into()));
    }
    let nat = plan.lifted.uplink.is_some();
    if nat {
        let was = match plan.lifted.uplink.as_deref() {
            Some("") | None => String::new(),
            Some(name) => format!("the tutorial's {name}; "),
        };
        params.push((
            "uplink=IFNAME".into(),
            format!("where NATed traffic leaves ({was}default: the interface of the host's default route)"),
        ));
        params.push((
            "internet=NAME".into(),
            "a stand-in internet, made when no namespace NAME exists (as in --sandbox): the uplink into it, 198.51.100.1 behind it"
                .into(),
        ));
    }
    if !params.is_empty() {
        head.push("//".into());
        head.push("// Parameters:".into());
        let width = params.iter().map(|p| p.0.len()).max().unwrap_or(0).min(28);
        for (p, what) in &params {
            let mut first = true;
            for line in wrap(what, 96 - width) {
                let lead = if first { p.as_str() } else { "" };
                head.push(format!("//   {lead:width$}  {line}"));
                first = false;
            }
        }
    }
    head.push("//".into());
    head.push(format!(
        "// Run: sudo netscript {}lab.rhai{}",
        if nat { "--sandbox " } else { "" },
        if nat { " internet=internet" } else { "" }
    ));
    head.push(String::new());
    let mut imports = Vec::new();
    if nat {
        imports.push("import \"nat\" as nat;");
    }
    if !plan.outside_checks.is_empty() && nat {
        imports.push("import \"check\" as check;");
    }
    if !imports.is_empty() {
        head.extend(imports.iter().map(|s| s.to_string()));
        head.push(String::new());
    }
    // Values first.
    let mut values = Vec::new();
    for (_, name, value) in plan.vars {
        let id = w.var(name);
        let default = if value.has_vars() { w.arg(value) } else { string(&value.value) };
        values.push(format!("let {id} = param({}, {default});", string(&name.to_ascii_lowercase())));
    }
    for (net, ident) in &plan.lifted.subnets {
        values.push(format!("let {ident} = cidr(param({}, {}));", string(ident), string(&net.to_string())));
    }
    if nat {
        values.push("let internet = param(\"internet\", \"\");".into());
        values.push("let uplink = nat::uplink(param(\"uplink\", \"\"), internet);".into());
    }
    if !values.is_empty() {
        values.push(String::new());
    }
    for item in plan.items {
        w.step(item);
    }
    if !plan.outside_checks.is_empty() {
        w.push(String::new());
        if nat {
            w.push("// The tutorial's pings to the internet: with internet=NAME, the stand-in's".into());
            w.push("// 198.51.100.1 answers them, and must see the uplink's address (NAT).".into());
            w.push("if internet != \"\" {".into());
            for (ns, what, line) in plan.outside_checks {
                let ns = w.ns(ns);
                w.push(format!(
                    "    check::nat({ns}, internet, \"198.51.100.1\", uplink);   // ping {what}, line {line}"
                ));
            }
            w.push("}".into());
        } else {
            for (ns, what, line) in plan.outside_checks {
                w.push(format!(
                    "// not checked: the ping to {what} from {} (line {line}) goes outside the lab",
                    ns.label()
                ));
            }
        }
    }
    let mut text = head.join("\n");
    text.push('\n');
    text.push_str(&values.join("\n"));
    if !values.is_empty() {
        text.push('\n');
    }
    text.push_str(&w.out.join("\n"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let mut names = Names::default();
        assert_eq!(names.ident("ns", "web-ns"), "web_ns");
        assert_eq!(names.ident("ns", "web-ns"), "web_ns");
        assert_eq!(names.ident("ns", "web_ns"), "web_ns_2");
        assert_eq!(names.ident("ns", "1st"), "ns_1st");
        assert_eq!(names.ident("ns", "for"), "for_ns");
        assert_eq!(names.ident("ns", "host"), "host_ns");
    }

    #[test]
    fn strings() {
        assert_eq!(string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }
}
