//! `ip`, as iproute2 reads it: options (`-n NS`, `-4`, `-6`, `-j`, ...),
//! objects and verbs by any prefix iproute2 accepts (`ip a`, `ip r`,
//! `ip li set`), `ip netns` and `ip netns exec`, and the link, address and
//! route commands netscript models.

use super::commands::{Understood, run, shell_text};
use super::shell::{Arg, Command};
use super::step::{Ns, Route, Step, Value, net_of};

/// iproute2's objects, in the order it matches abbreviations against them.
const OBJECTS: &[&str] = &[
    "address",
    "addrlabel",
    "maddress",
    "route",
    "rule",
    "neighbor",
    "neighbour",
    "ntable",
    "ntbl",
    "link",
    "l2tp",
    "fou",
    "ila",
    "macsec",
    "tunnel",
    "tuntap",
    "tap",
    "token",
    "tcpmetrics",
    "tcp_metrics",
    "monitor",
    "xfrm",
    "mroute",
    "mrule",
    "netns",
    "netconf",
    "vrf",
    "sr",
    "nexthop",
    "mptcp",
    "ioam",
    "stats",
];

/// What iproute2 does with an abbreviation: the first object it prefixes.
fn object(word: &str) -> Option<&'static str> {
    if word.is_empty() {
        return None;
    }
    OBJECTS.iter().copied().find(|o| o.starts_with(word))
}

fn is(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

/// Global options, then the object and the rest. Returns the namespace
/// (`-n`), the family (`-6`) and where the object is.
fn options(args: &[Arg]) -> Option<(Option<Arg>, bool, usize)> {
    let mut ns = None;
    let mut v6 = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let w = a.value.as_str();
        if !w.starts_with('-') {
            return Some((ns, v6, i));
        }
        match w.trim_start_matches('-') {
            "n" | "netns" => {
                ns = Some(args.get(i + 1)?.clone());
                i += 2;
                continue;
            }
            "6" => v6 = true,
            "family" | "f" => {
                v6 = args.get(i + 1).is_some_and(|f| f.value == "inet6");
                i += 2;
                continue;
            }
            "b" | "batch" | "all" | "a" | "force" => return None,
            _ => {}
        }
        i += 1;
    }
    Some((ns, v6, i))
}

/// Whether an `ip` command only shows things.
pub fn is_look(args: &[Arg]) -> bool {
    let Some((_, _, at)) = options(args) else { return false };
    let Some(obj) = args.get(at).map(|a| a.value.as_str()) else { return true };
    let verb = args.get(at + 1).map(|a| a.value.as_str()).unwrap_or("");
    match object(obj) {
        Some("netns") => {
            if is(verb, "exec") {
                return args.get(at + 3..).is_some_and(|inner| {
                    inner.first().is_some_and(|p| p.value == "ip") && is_look(&inner[1..])
                        || inner.first().is_some_and(|p| {
                            ["route", "ifconfig", "arp", "ss", "netstat"].contains(&p.value.as_str())
                        })
                });
            }
            verb.is_empty()
                || is(verb, "list")
                || is(verb, "show")
                || verb == "identify"
                || verb == "pids"
                || verb == "list-id"
        }
        Some("monitor") => false,
        Some(_) => {
            verb.is_empty()
                || is(verb, "show")
                || is(verb, "list")
                || verb == "lst"
                || is(verb, "get")
                || !verb.is_empty() && is_word_dev(verb, obj)
        }
        None => false,
    }
}

/// `ip link DEV` / `ip addr dev X`: no verb, a device to show.
fn is_word_dev(verb: &str, obj: &str) -> bool {
    verb == "dev" && (object(obj) == Some("address") || object(obj) == Some("link"))
}

pub fn parse(args: &[Arg], cmd: &Command, outer: Ns) -> Understood {
    let not_modelled = |why: &str, ns: &Ns, from: usize| {
        let mut words = vec![Arg::lit("ip")];
        words.extend_from_slice(&args[from..]);
        Understood::Steps(vec![Step::NotModelled {
            ns: ns.clone(),
            command: shell_text(&words, cmd),
            why: why.into(),
        }])
    };
    let Some((ns_opt, v6, at)) = options(args) else {
        return not_modelled("ip -batch and -all are not followed", &outer, 0);
    };
    let ns = match (&ns_opt, &outer) {
        (Some(name), _) => Ns::Named(name.clone()),
        (None, outer) => outer.clone(),
    };
    // `-n NS` stays in the text kept for exec: it runs in the host then.
    let keep = if ns_opt.is_some() { (&outer, 0) } else { (&ns, at) };
    let Some(obj_word) = args.get(at) else {
        return if cmd.loose { Understood::NotACommand } else { look(cmd, &ns) };
    };
    let rest = &args[at + 1..];
    let Some(obj) = object(&obj_word.value) else {
        return if cmd.loose {
            Understood::NotACommand
        } else {
            not_modelled("an ip object iproute2 does not know", keep.0, keep.1)
        };
    };
    if is_look(args) && !(obj == "netns" && rest.first().is_some_and(|v| is(&v.value, "exec"))) {
        return look(cmd, &ns);
    }
    let parsed = match obj {
        "netns" => return netns(rest, cmd, &ns),
        "link" => link(rest, &ns),
        "address" => addr(rest, &ns),
        "route" => route(rest, &ns, v6),
        "rule" => rule(rest, &ns, v6),
        "neighbor" | "neighbour" => neigh(rest, &ns),
        "monitor" => Err("ip monitor runs until stopped".to_string()),
        other => Err(format!("ip {other} is not modelled")),
    };
    match parsed {
        Ok(steps) => Understood::Steps(steps),
        Err(_) if cmd.loose && !looks_like_config(rest) => Understood::NotACommand,
        Err(why) => not_modelled(&why, keep.0, keep.1),
    }
}

/// Prose rarely has a verb right after the object.
fn looks_like_config(rest: &[Arg]) -> bool {
    rest.first().is_some_and(|v| {
        ["add", "del", "delete", "set", "flush", "replace", "change", "append"].contains(&v.value.as_str())
    })
}

fn look(cmd: &Command, ns: &Ns) -> Understood {
    Understood::Steps(vec![Step::Look { ns: ns.clone(), command: cmd.text.clone() }])
}

fn netns(rest: &[Arg], cmd: &Command, ns: &Ns) -> Understood {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    let name = rest.get(1).cloned();
    let not_modelled = |why: &str| {
        let mut words = vec![Arg::lit("ip"), Arg::lit("netns")];
        words.extend_from_slice(rest);
        Understood::Steps(vec![Step::NotModelled {
            ns: ns.clone(),
            command: shell_text(&words, cmd),
            why: why.into(),
        }])
    };
    if verb == "add" {
        return match name {
            Some(name) if rest.len() == 2 => Understood::Steps(vec![Step::NetnsAdd { name, ipv6: true }]),
            _ => not_modelled("ip netns add takes one name"),
        };
    }
    if is(verb, "delete") {
        return match name {
            Some(name) if rest.len() == 2 && name.value != "-all" => {
                Understood::Steps(vec![Step::NetnsDel { name }])
            }
            _ => not_modelled("ip netns del takes one name"),
        };
    }
    if is(verb, "exec") {
        let Some(name) = name else { return not_modelled("ip netns exec needs a namespace") };
        if rest.len() < 3 {
            return not_modelled("ip netns exec needs a command");
        }
        return run(&rest[2..], cmd, Ns::Named(name));
    }
    if verb.is_empty() || is(verb, "list") || is(verb, "show") || verb == "identify" || verb == "pids" {
        return look(cmd, ns);
    }
    if cmd.loose {
        return Understood::NotACommand;
    }
    not_modelled("this ip netns command is not modelled")
}

type Parsed = Result<Vec<Step>, String>;

/// `NAME` or `dev NAME`.
fn device(rest: &[Arg], at: usize) -> Option<(Arg, usize)> {
    match rest.get(at) {
        Some(a) if a.value == "dev" => rest.get(at + 1).map(|d| (d.clone(), at + 2)),
        Some(a) => Some((a.clone(), at + 1)),
        None => None,
    }
}

fn link(rest: &[Arg], ns: &Ns) -> Parsed {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    if verb == "add" {
        return link_add(&rest[1..], ns);
    }
    if is(verb, "delete") {
        let (dev, next) = device(rest, 1).ok_or("ip link del needs a device")?;
        // `type veth` after the name changes nothing.
        if rest.len() > next && !(rest.len() == next + 2 && rest[next].value == "type") {
            return Err("options of ip link del are not modelled".into());
        }
        return Ok(vec![Step::LinkDel { ns: ns.clone(), dev }]);
    }
    if verb == "set" {
        return link_set(&rest[1..], ns);
    }
    Err(format!("ip link {verb} is not modelled"))
}

fn link_add(rest: &[Arg], ns: &Ns) -> Parsed {
    let mut name = None;
    let mut kind = None;
    let mut peer = None;
    let mut peer_ns = None;
    let mut own_ns = None;
    let mut mtu = None;
    let mut parent = None;
    let mut kind_opts: Vec<Arg> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i].value.as_str();
        let value = rest.get(i + 1).cloned();
        match w {
            "link" if kind.is_none() => parent = value,
            "name" | "dev" if kind.is_none() => name = value,
            "mtu" if kind.is_none() => mtu = value,
            "netns" if kind.is_none() => own_ns = value,
            "type" if kind.is_none() => kind = value,
            "peer" if kind.as_ref().is_some_and(|k| k.value == "veth") => {
                // `peer name X [netns NS]` or `peer X`.
                let mut j = i + 1;
                if rest.get(j).is_some_and(|a| a.value == "name") {
                    j += 1;
                }
                peer = rest.get(j).cloned();
                j += 1;
                while j < rest.len() {
                    match rest[j].value.as_str() {
                        "netns" => peer_ns = rest.get(j + 1).cloned(),
                        other => return Err(format!("the peer's option '{other}' is not modelled")),
                    }
                    j += 2;
                }
                i = j;
                continue;
            }
            _ if kind.is_none() && name.is_none() && !w.starts_with('-') => {
                name = Some(rest[i].clone());
                i += 1;
                continue;
            }
            _ if kind.as_ref().is_some_and(|k| k.value != "veth" && k.value != "bridge") => {
                kind_opts.extend_from_slice(&rest[i..]);
                break;
            }
            other if kind.is_some() => {
                let kind = kind.as_ref().unwrap().value.as_str();
                return Err(format!("the {kind} option '{other}' is not modelled"));
            }
            other => return Err(format!("the option '{other}' of ip link add is not modelled")),
        }
        i += 2;
    }
    let name = name.ok_or("ip link add needs a name")?;
    let kind = kind.ok_or("ip link add needs a type")?;
    let here = match own_ns {
        Some(n) => netns_arg(&n, ns)?,
        None => ns.clone(),
    };
    let mut steps = match kind.value.as_str() {
        "veth" => {
            let peer = peer.ok_or("a veth needs `peer name NAME`")?;
            let peer_ns = match peer_ns {
                Some(n) => netns_arg(&n, ns)?,
                None => ns.clone(),
            };
            vec![Step::VethAdd { ns: here.clone(), name: name.clone(), peer_ns, peer }]
        }
        "bridge" => vec![Step::BridgeAdd { ns: here.clone(), name: name.clone() }],
        other => vec![link_kind(other, &name, parent.as_ref(), &kind_opts, &here)?],
    };
    if let Some(mtu) = mtu {
        let mtu = mtu.value.parse().map_err(|_| format!("'{}' is not an mtu", mtu.value))?;
        steps.push(Step::LinkMtu { ns: here, dev: name, mtu });
    }
    Ok(steps)
}

fn number_or_text(text: &str) -> Value {
    match text.parse::<u32>() {
        Ok(n) => Value::Number(n),
        Err(_) => Value::Text(text.to_string()),
    }
}

/// A link of a kind other than veth and bridge, as its script call.
fn link_kind(kind: &str, name: &Arg, parent: Option<&Arg>, opts: &[Arg], ns: &Ns) -> Result<Step, String> {
    let words: Vec<&str> = opts.iter().map(|a| a.value.as_str()).collect();
    let value = |key: &str| {
        words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).map(|v| v.to_string())
    };
    let known = |allowed: &[&str], flags: &[&str]| -> Result<(), String> {
        let mut i = 0;
        while i < words.len() {
            if flags.contains(&words[i]) {
                i += 1;
            } else if allowed.contains(&words[i]) {
                i += 2;
            } else {
                return Err(format!("the {kind} option '{}' is not modelled", words[i]));
            }
        }
        Ok(())
    };
    let need_parent = || parent.cloned().ok_or_else(|| format!("a {kind} needs `link PARENT`"));
    let dev = Value::Dev(name.clone());
    let call = |func: &str, args: Vec<Value>, opts: Vec<(String, Value)>| Step::Call {
        ns: ns.clone(),
        func: func.into(),
        args,
        opts,
    };
    Ok(match kind {
        "dummy" => {
            known(&[], &[])?;
            call("dummy_add", vec![dev], vec![])
        }
        "vlan" => {
            known(&["id", "protocol"], &[])?;
            let id = value("id").ok_or("a vlan needs `id N`")?;
            let opts =
                value("protocol").map(|p| vec![("protocol".to_string(), Value::Text(p))]).unwrap_or_default();
            call("vlan_add", vec![dev, Value::Dev(need_parent()?), number_or_text(&id)], opts)
        }
        "macvlan" | "macvtap" => {
            known(&["mode"], &[])?;
            let opts = value("mode").map(|m| vec![("mode".to_string(), Value::Text(m))]).unwrap_or_default();
            call(&format!("{kind}_add"), vec![dev, Value::Dev(need_parent()?)], opts)
        }
        "vrf" => {
            known(&["table"], &[])?;
            call(
                "vrf_add",
                vec![dev, number_or_text(&value("table").ok_or("a vrf needs `table N`")?)],
                vec![],
            )
        }
        "vxlan" => {
            known(
                &["id", "vni", "local", "remote", "group", "dev", "dstport", "ttl"],
                &["nolearning", "learning"],
            )?;
            let mut o = Vec::new();
            let vni = value("id").or_else(|| value("vni")).ok_or("a vxlan needs `id N`")?;
            o.push(("vni".to_string(), number_or_text(&vni)));
            for key in ["remote", "group", "local"] {
                if let Some(v) = value(key) {
                    o.push((key.to_string(), Value::Text(v)));
                }
            }
            if let Some(d) = value("dev") {
                o.push(("dev".into(), Value::Dev(Arg::lit(&d))));
            }
            // Without dstport, iproute2 leaves the kernel's 8472; netscript's own default is 4789.
            o.push(("dstport".into(), number_or_text(&value("dstport").unwrap_or_else(|| "8472".into()))));
            if words.contains(&"nolearning") {
                o.push(("learning".into(), Value::Bool(false)));
            }
            if let Some(t) = value("ttl") {
                o.push(("ttl".into(), number_or_text(&t)));
            }
            call("vxlan_add", vec![dev], o)
        }
        other => return Err(format!("links of type {other} are not modelled")),
    })
}

/// `ip rule add|del [priority N] [from P] [to P] [iif D] [oif D] [fwmark M] lookup|table T`.
fn rule(rest: &[Arg], ns: &Ns, v6: bool) -> Parsed {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    let func = if verb == "add" {
        "ip_rule_add"
    } else if is(verb, "delete") {
        "ip_rule_del"
    } else {
        return Err(format!("ip rule {verb} is not modelled"));
    };
    let mut opts = Vec::new();
    let mut i = 1;
    while i < rest.len() {
        let w = rest[i].value.as_str();
        let v = rest.get(i + 1).map(|a| a.value.clone()).ok_or_else(|| format!("`{w}` needs a value"))?;
        let key = match w {
            "priority" | "pref" | "preference" | "prio" => "priority",
            "from" | "to" | "iif" | "oif" | "fwmark" => w,
            "lookup" | "table" => "table",
            "goto" => "\"goto\"",
            other => return Err(format!("the rule option '{other}' is not modelled")),
        };
        let value = match key {
            "priority" | "table" => number_or_text(&v),
            "iif" | "oif" => Value::Dev(rest[i + 1].clone()),
            _ => Value::Text(v),
        };
        opts.push((key.to_string(), value));
        i += 2;
    }
    if v6 {
        opts.push(("v6".into(), Value::Bool(true)));
    }
    Ok(vec![Step::Call { ns: ns.clone(), func: func.into(), args: vec![], opts }])
}

/// `ip neigh add|del IP [lladdr MAC] dev D [nud permanent] [proxy]`.
fn neigh(rest: &[Arg], ns: &Ns) -> Parsed {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    let add = verb == "add" || verb == "replace";
    if !add && !is(verb, "delete") {
        return Err(format!("ip neigh {verb} is not modelled"));
    }
    let (mut ip, mut mac, mut dev, mut proxy) = (None, None, None, false);
    let mut i = 1;
    while i < rest.len() {
        match rest[i].value.as_str() {
            "lladdr" => mac = rest.get(i + 1).map(|a| a.value.clone()),
            "dev" => dev = rest.get(i + 1).cloned(),
            "nud" if rest.get(i + 1).is_some_and(|n| n.value == "permanent") => {}
            "proxy" => {
                proxy = true;
                i += 1;
                continue;
            }
            "to" => ip = rest.get(i + 1).map(|a| a.value.clone()),
            w if ip.is_none() && !w.starts_with('-') => {
                ip = Some(w.to_string());
                i += 1;
                continue;
            }
            other => return Err(format!("the neighbour option '{other}' is not modelled")),
        }
        i += 2;
    }
    let (Some(ip), Some(dev)) = (ip, dev) else {
        return Err("a neighbour needs an address and `dev`".into());
    };
    let mut args = vec![Value::Dev(dev), Value::Text(ip)];
    let mut opts = Vec::new();
    if proxy {
        opts.push(("proxy".to_string(), Value::Bool(true)));
    } else if add {
        args.push(Value::Text(mac.ok_or("a neighbour needs `lladdr MAC`")?));
    }
    let func = if add { "neigh_add" } else { "neigh_del" };
    Ok(vec![Step::Call { ns: ns.clone(), func: func.into(), args, opts }])
}

/// `netns NAME`, `netns $$` (the shell's own namespace: the host, in a
/// script netscript printed) or `netns 1` (init's: the host).
fn netns_arg(arg: &Arg, _here: &Ns) -> Result<Ns, String> {
    match arg.value.as_str() {
        "$$" | "1" => Ok(Ns::Host),
        v if v.chars().all(|c| c.is_ascii_digit()) => Err(format!("netns {v} names a process's namespace")),
        _ => Ok(Ns::Named(arg.clone())),
    }
}

fn link_set(rest: &[Arg], ns: &Ns) -> Parsed {
    let (mut dev, mut i) = device(rest, 0).ok_or("ip link set needs a device")?;
    let mut ns = ns.clone();
    let mut moves = Vec::new();
    let mut renames = Vec::new();
    let mut others = Vec::new();
    let mut updown = None;
    let mut settings: Vec<(String, Value)> = Vec::new();
    while i < rest.len() {
        let w = rest[i].value.as_str();
        let value = rest.get(i + 1).cloned();
        match w {
            "up" | "down" => {
                updown = Some(w == "up");
                i += 1;
                continue;
            }
            "nomaster" => {
                others.push(("nomaster", None));
                i += 1;
                continue;
            }
            "dev" => dev = value.ok_or("`dev` needs a name")?,
            "master" => others.push(("master", Some(value.ok_or("`master` needs a bridge")?))),
            "mtu" => others.push(("mtu", Some(value.ok_or("`mtu` needs a number")?))),
            "netns" => moves.push(value.ok_or("`netns` needs a namespace")?),
            "name" => renames.push(value.ok_or("`name` needs a name")?),
            "address" | "alias" | "txqueuelen" | "txqlen" | "promisc" | "arp" | "group" => {
                let v = value.ok_or_else(|| format!("`{w}` needs a value"))?;
                let (key, v) = match w {
                    "address" => ("mac", Value::Text(v.value)),
                    "alias" => ("alias", Value::Text(v.value)),
                    "txqueuelen" | "txqlen" => ("txqueuelen", number_or_text(&v.value)),
                    "group" => ("group", number_or_text(&v.value)),
                    _ => (w, Value::Bool(v.value == "on")),
                };
                settings.push((key.to_string(), v));
            }
            other => return Err(format!("ip link set ... {other} is not modelled")),
        }
        i += 2;
    }
    // The kernel moves the link first, then renames it, then the rest.
    let mut steps = Vec::new();
    for target in moves {
        let target = netns_arg(&target, &ns)?;
        steps.push(Step::LinkNetns { ns: ns.clone(), dev: dev.clone(), target: target.clone() });
        ns = target;
    }
    for new in renames {
        steps.push(Step::LinkRename { ns: ns.clone(), dev: dev.clone(), new: new.clone() });
        dev = new;
    }
    for (what, value) in others {
        steps.push(match (what, value) {
            ("nomaster", _) => Step::LinkMaster { ns: ns.clone(), dev: dev.clone(), master: None },
            ("master", master) => Step::LinkMaster { ns: ns.clone(), dev: dev.clone(), master },
            (_, Some(mtu)) => Step::LinkMtu {
                ns: ns.clone(),
                dev: dev.clone(),
                mtu: mtu.value.parse().map_err(|_| format!("'{}' is not an mtu", mtu.value))?,
            },
            _ => unreachable!(),
        });
    }
    if !settings.is_empty() {
        steps.push(Step::Call {
            ns: ns.clone(),
            func: "link_set".into(),
            args: vec![Value::Dev(dev.clone())],
            opts: settings,
        });
    }
    if let Some(up) = updown {
        steps.push(Step::LinkUp { ns, dev, up });
    }
    if steps.is_empty() {
        return Err("ip link set with nothing to set".into());
    }
    Ok(steps)
}

fn addr(rest: &[Arg], ns: &Ns) -> Parsed {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    let add = verb == "add";
    if !add && !is(verb, "delete") {
        return Err(format!("ip address {verb} is not modelled"));
    }
    let mut address = None;
    let mut dev = None;
    let mut i = 1;
    while i < rest.len() {
        let w = rest[i].value.as_str();
        match w {
            "dev" => {
                dev = rest.get(i + 1).cloned();
                i += 2;
            }
            "local" => {
                address = rest.get(i + 1).cloned();
                i += 2;
            }
            // Added without duplicate address detection anyway.
            "nodad" => i += 1,
            "brd" | "broadcast" | "label" | "scope" | "valid_lft" | "preferred_lft" | "peer" | "metric" => {
                return Err(format!("the address option '{w}' is not modelled"));
            }
            _ if address.is_none() => {
                address = Some(rest[i].clone());
                i += 1;
            }
            other => return Err(format!("the address option '{other}' is not modelled")),
        }
    }
    let mut address = address.ok_or("an address is missing")?;
    let dev = dev.ok_or("an address needs `dev DEVICE`")?;
    let net = net_of(&address.value).ok_or_else(|| format!("'{}' is not an address", address.value))?;
    if !address.value.contains('/') && !address.has_vars() {
        // iproute2 takes a bare address as a host route's worth.
        address = Arg::lit(&format!("{}/{}", address.value, net.prefix()));
    }
    let ns = ns.clone();
    Ok(vec![if add {
        Step::AddrAdd { ns, dev, addr: address }
    } else {
        Step::AddrDel { ns, dev, addr: address }
    }])
}

fn route(rest: &[Arg], ns: &Ns, v6: bool) -> Parsed {
    let verb = rest.first().map(|a| a.value.as_str()).unwrap_or("");
    let add = verb == "add";
    if !add && !is(verb, "delete") {
        return Err(format!("ip route {verb} is not modelled"));
    }
    let mut route = Route { dst: None, via: None, dev: None, metric: None, v6, extra: Vec::new() };
    let mut dst_seen = false;
    let mut i = 1;
    while i < rest.len() {
        let w = rest[i].value.as_str();
        let value = rest.get(i + 1).cloned();
        match w {
            "via" => {
                let mut gw = value.ok_or("`via` needs a gateway")?;
                if gw.value == "inet" || gw.value == "inet6" {
                    gw = rest.get(i + 2).cloned().ok_or("`via` needs a gateway")?;
                    i += 1;
                }
                if gw.value.parse::<std::net::IpAddr>().is_err() {
                    return Err(format!("'{}' is not a gateway address", gw.value));
                }
                route.via = Some(gw);
            }
            "dev" | "oif" => route.dev = value,
            "metric" | "preference" | "priority" => {
                let m = value.ok_or("`metric` needs a number")?;
                route.metric = Some(m.value.parse().map_err(|_| format!("'{}' is not a metric", m.value))?);
            }
            "table" | "lookup" => {
                let t = value.ok_or("`table` needs a table")?;
                route.extra.push(("table".into(), number_or_text(&t.value)));
            }
            "src" => {
                route.extra.push(("src".into(), Value::Text(value.ok_or("`src` needs an address")?.value)))
            }
            "mtu" => {
                route.extra.push(("mtu".into(), number_or_text(&value.ok_or("`mtu` needs a number")?.value)))
            }
            "onlink" => {
                route.extra.push(("onlink".into(), Value::Bool(true)));
                i += 1;
                continue;
            }
            "proto" | "scope" | "advmss" | "realm" | "type" | "nexthop" | "encap" => {
                return Err(format!("the route option '{w}' is not modelled"));
            }
            "unreachable" | "blackhole" | "prohibit" if !dst_seen => {
                route.extra.push(("type".into(), Value::Text(w.to_string())));
                i += 1;
                continue;
            }
            "local" | "broadcast" | "throw" | "nat" | "anycast" | "multicast" | "unreachable"
            | "blackhole" | "prohibit" => {
                return Err(format!("{w} routes are not modelled"));
            }
            "to" => {
                i += 1;
                continue;
            }
            _ if !dst_seen => {
                dst_seen = true;
                if w != "default" && w != "0.0.0.0/0" && w != "::/0" {
                    net_of(w).ok_or_else(|| format!("'{w}' is not a destination"))?;
                    route.dst = Some(rest[i].clone());
                } else if w == "::/0" {
                    route.v6 = true;
                }
                i += 1;
                continue;
            }
            other => return Err(format!("the route option '{other}' is not modelled")),
        }
        i += 2;
    }
    if !dst_seen {
        return Err("a route needs a destination".into());
    }
    if route.via.is_none() && route.dev.is_none() && !route.extra.iter().any(|(k, _)| k == "type") {
        return Err("a route needs `via` or `dev`".into());
    }
    let ns = ns.clone();
    Ok(vec![if add { Step::RouteAdd { ns, route } } else { Step::RouteDel { ns, route } }])
}

#[cfg(test)]
pub mod tests {
    use super::super::commands::understand;
    use super::super::shell::{Snippet, Unit, parse as shell_parse};
    use super::*;

    pub fn steps(text: &str) -> Vec<Step> {
        let units = shell_parse(&[Snippet { line: 1, text: text.into(), heredoc: None, loose: false }]);
        let Unit::Command(cmd) = &units[0] else { panic!("{units:?}") };
        match understand(cmd) {
            Understood::Steps(s) => s,
            Understood::NotACommand => panic!("not a command: {text}"),
        }
    }

    fn lit(s: &str) -> Arg {
        Arg::lit(s)
    }

    #[test]
    fn objects_and_verbs_by_prefix() {
        assert_eq!(object("a"), Some("address"));
        assert_eq!(object("r"), Some("route"));
        assert_eq!(object("ro"), Some("route"));
        assert_eq!(object("l"), Some("link"));
        assert_eq!(object("n"), Some("neighbor"));
        assert_eq!(object("net"), Some("netns"));
        assert_eq!(steps("ip a add 10.0.0.1/24 dev x"), steps("ip address add 10.0.0.1/24 dev x"));
        assert_eq!(steps("ip li set x up"), steps("ip link set dev x up"));
    }

    #[test]
    fn namespaces() {
        assert_eq!(steps("ip netns add red"), [Step::NetnsAdd { name: lit("red"), ipv6: true }]);
        assert_eq!(steps("ip netns del red"), [Step::NetnsDel { name: lit("red") }]);
        assert_eq!(steps("ip netns delete red"), [Step::NetnsDel { name: lit("red") }]);
        assert!(matches!(&steps("ip netns")[0], Step::Look { .. }));
        assert!(matches!(&steps("ip netns list")[0], Step::Look { .. }));
        assert_eq!(
            steps("ip netns exec red ip link set lo up"),
            [Step::LinkUp { ns: Ns::named("red"), dev: lit("lo"), up: true }]
        );
        assert_eq!(steps("ip -n red link set dev lo up"), steps("ip netns exec red ip link set lo up"));
        assert_eq!(
            steps("ip netns exec red sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'"),
            [Step::Sysctl { ns: Ns::named("red"), key: "net.ipv4.ip_forward".into(), value: lit("1") }]
        );
        assert_eq!(
            steps("ip netns exec red python3 -m http.server 80 &"),
            [Step::Exec {
                ns: Ns::named("red"),
                command: lit("python3 -m http.server 80 &"),
                background: true
            }]
        );
    }

    #[test]
    fn links() {
        assert_eq!(
            steps("ip link add a type veth peer name b"),
            [Step::VethAdd { ns: Ns::Host, name: lit("a"), peer_ns: Ns::Host, peer: lit("b") }]
        );
        assert_eq!(
            steps("ip -n x link add a type veth peer name b netns y"),
            [Step::VethAdd { ns: Ns::named("x"), name: lit("a"), peer_ns: Ns::named("y"), peer: lit("b") }]
        );
        assert_eq!(
            steps("ip link add a type veth peer b netns $$"),
            [Step::VethAdd { ns: Ns::Host, name: lit("a"), peer_ns: Ns::Host, peer: lit("b") }]
        );
        assert_eq!(
            steps("ip link add name br0 type bridge"),
            [Step::BridgeAdd { ns: Ns::Host, name: lit("br0") }]
        );
        assert_eq!(
            steps("ip link add br0 mtu 1400 type bridge"),
            [
                Step::BridgeAdd { ns: Ns::Host, name: lit("br0") },
                Step::LinkMtu { ns: Ns::Host, dev: lit("br0"), mtu: 1400 }
            ]
        );
        assert_eq!(
            steps("ip link set veth1 netns red name eth0 up"),
            [
                Step::LinkNetns { ns: Ns::Host, dev: lit("veth1"), target: Ns::named("red") },
                Step::LinkRename { ns: Ns::named("red"), dev: lit("veth1"), new: lit("eth0") },
                Step::LinkUp { ns: Ns::named("red"), dev: lit("eth0"), up: true },
            ]
        );
        assert_eq!(
            steps("ip link set dev a master br0"),
            [Step::LinkMaster { ns: Ns::Host, dev: lit("a"), master: Some(lit("br0")) }]
        );
        assert_eq!(
            steps("ip link set a nomaster"),
            [Step::LinkMaster { ns: Ns::Host, dev: lit("a"), master: None }]
        );
        assert_eq!(
            steps("ip link set dev a mtu 9000"),
            [Step::LinkMtu { ns: Ns::Host, dev: lit("a"), mtu: 9000 }]
        );
        assert_eq!(
            steps("ip link set a netns 1"),
            [Step::LinkNetns { ns: Ns::Host, dev: lit("a"), target: Ns::Host }]
        );
        assert_eq!(steps("ip link del dev a"), [Step::LinkDel { ns: Ns::Host, dev: lit("a") }]);
        assert_eq!(steps("ip link delete a type veth"), [Step::LinkDel { ns: Ns::Host, dev: lit("a") }]);
        assert!(
            matches!(&steps("ip link add v0 type geneve id 5")[0], Step::NotModelled { why, .. } if why.contains("geneve"))
        );
        assert!(matches!(&steps("ip link set a xdp obj prog.o")[0], Step::NotModelled { .. }));
        assert!(matches!(&steps("ip link show a")[0], Step::Look { .. }));
        assert!(matches!(&steps("ip -br link")[0], Step::Look { .. }));
    }

    #[test]
    fn link_kinds_rules_neighbours_fdb() {
        let call = |s: &str| match steps(s).remove(0) {
            Step::Call { func, args, opts, .. } => (func, args, opts),
            other => panic!("{s}: {other:?}"),
        };
        let dev = |d: &str| Value::Dev(lit(d));
        assert_eq!(call("ip link add lo1 type dummy"), ("dummy_add".into(), vec![dev("lo1")], vec![]));
        assert_eq!(
            call("ip link add link eth0 name eth0.10 type vlan id 10"),
            ("vlan_add".into(), vec![dev("eth0.10"), dev("eth0"), Value::Number(10)], vec![])
        );
        assert_eq!(
            call("ip link add link eth0 name mv0 type macvlan mode bridge"),
            (
                "macvlan_add".into(),
                vec![dev("mv0"), dev("eth0")],
                vec![("mode".into(), Value::Text("bridge".into()))]
            )
        );
        let (func, _, opts) = call("ip link add vx0 type vxlan id 100 local 192.0.2.1 dev under0 nolearning");
        assert_eq!(func, "vxlan_add");
        assert!(opts.contains(&("dstport".into(), Value::Number(8472))), "iproute2's default port: {opts:?}");
        assert!(opts.contains(&("learning".into(), Value::Bool(false))));
        assert_eq!(
            call("ip link add blue type vrf table 10"),
            ("vrf_add".into(), vec![dev("blue"), Value::Number(10)], vec![])
        );
        assert_eq!(
            call("ip rule add priority 100 from 10.1.0.2/32 lookup 101"),
            (
                "ip_rule_add".into(),
                vec![],
                vec![
                    ("priority".into(), Value::Number(100)),
                    ("from".into(), Value::Text("10.1.0.2/32".into())),
                    ("table".into(), Value::Number(101)),
                ]
            )
        );
        assert_eq!(
            call("ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent"),
            (
                "neigh_add".into(),
                vec![dev("eth0"), Value::Text("10.0.0.2".into()), Value::Text("02:00:00:00:00:02".into())],
                vec![]
            )
        );
        assert_eq!(
            call("bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.2 self permanent"),
            (
                "fdb_append".into(),
                vec![dev("vx0"), Value::Text("00:00:00:00:00:00".into())],
                vec![("dst".into(), Value::Text("192.0.2.2".into()))]
            )
        );
        assert_eq!(
            call("bridge vlan add dev p1 vid 10 pvid untagged"),
            (
                "bridge_vlan_add".into(),
                vec![dev("p1"), Value::Number(10)],
                vec![("pvid".into(), Value::Bool(true)), ("untagged".into(), Value::Bool(true))]
            )
        );
        assert_eq!(
            call("ip link set dev eth0 address 02:00:00:00:00:01 promisc on"),
            (
                "link_set".into(),
                vec![dev("eth0")],
                vec![
                    ("mac".into(), Value::Text("02:00:00:00:00:01".into())),
                    ("promisc".into(), Value::Bool(true))
                ]
            )
        );
        let Step::RouteAdd { route, .. } = &steps("ip route add default via 10.1.0.1 dev up table 101")[0]
        else {
            panic!()
        };
        assert_eq!(route.extra, [("table".to_string(), Value::Number(101))]);
        let Step::RouteAdd { route, .. } = &steps("ip route add blackhole 10.9.0.0/16")[0] else { panic!() };
        assert_eq!(route.extra, [("type".to_string(), Value::Text("blackhole".into()))]);
    }

    #[test]
    fn addresses_and_routes() {
        assert_eq!(
            steps("ip addr add 10.0.0.1/24 dev a"),
            [Step::AddrAdd { ns: Ns::Host, dev: lit("a"), addr: lit("10.0.0.1/24") }]
        );
        assert_eq!(
            steps("ip -6 addr add fd00::1/64 dev a nodad"),
            [Step::AddrAdd { ns: Ns::Host, dev: lit("a"), addr: lit("fd00::1/64") }]
        );
        assert_eq!(
            steps("ip addr add 10.0.0.1 dev a"),
            [Step::AddrAdd { ns: Ns::Host, dev: lit("a"), addr: lit("10.0.0.1/32") }]
        );
        assert_eq!(
            steps("ip addr del 10.0.0.1/24 dev a"),
            [Step::AddrDel { ns: Ns::Host, dev: lit("a"), addr: lit("10.0.0.1/24") }]
        );
        assert!(matches!(&steps("ip addr add 10.0.0.1/24 brd + dev a")[0], Step::NotModelled { .. }));
        let route = |dst: Option<&str>, via: Option<&str>, dev: Option<&str>, metric, v6| Route {
            dst: dst.map(lit),
            via: via.map(lit),
            dev: dev.map(lit),
            metric,
            v6,
            extra: Vec::new(),
        };
        assert_eq!(
            steps("ip route add default via 10.0.0.1"),
            [Step::RouteAdd { ns: Ns::Host, route: route(None, Some("10.0.0.1"), None, None, false) }]
        );
        assert_eq!(
            steps("ip r add 10.1.0.0/16 via 10.0.0.1 dev eth0 metric 5"),
            [Step::RouteAdd {
                ns: Ns::Host,
                route: route(Some("10.1.0.0/16"), Some("10.0.0.1"), Some("eth0"), Some(5), false)
            }]
        );
        assert_eq!(
            steps("ip -6 route add default dev a"),
            [Step::RouteAdd { ns: Ns::Host, route: route(None, None, Some("a"), None, true) }]
        );
        assert_eq!(
            steps("ip route del 10.1.0.0/16 via 10.0.0.1"),
            [Step::RouteDel {
                ns: Ns::Host,
                route: route(Some("10.1.0.0/16"), Some("10.0.0.1"), None, None, false)
            }]
        );
        assert!(matches!(
            &steps("ip route add 10.1.0.0/16 via 10.0.0.1 proto static")[0],
            Step::NotModelled { .. }
        ));
        assert!(matches!(&steps("ip route")[0], Step::Look { .. }));
        assert!(
            matches!(&steps("ip netns exec red ip route")[0], Step::Look { ns, .. } if ns.name() == Some("red"))
        );
    }
}
