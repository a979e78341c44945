//! The mistakes tutorials make, named with the line they are on and
//! corrected in the script, each with a comment that says what changed and
//! why: a name longer than Linux allows; a veth end moved into a namespace
//! before it is made; a masquerade without `-o`; a rule added twice;
//! forwarding never turned on for NAT; a link never brought up; a route
//! via the namespace's own address or via nothing; a ping that cannot get
//! there (no route back, a router that does not forward).

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::idioms::{mentions, needs_netns};
use super::model::{Blocked, Kind, Model, key};
use super::shell::Arg;
use super::step::{Item, Ns, Route, Step, net_of};

/// A mistake found, at the tutorial's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Findings {
    pub warnings: Vec<Warning>,
    /// Names shortened: (the tutorial's, the script's).
    pub renames: Vec<(String, String)>,
    /// What differs from the tutorial, for the script's header.
    pub changes: Vec<String>,
    /// Pings that leave the lab: (from, target, line), checked at the end.
    pub outside: Vec<(Ns, String, usize)>,
    /// Things worth knowing that are not mistakes.
    pub notes: Vec<String>,
}

impl Findings {
    /// A mistake: a warning, a line of the header, and a comment at `item`.
    fn mistake(&mut self, items: &mut [Item], at: Option<usize>, line: usize, text: String) {
        self.warnings.push(Warning { line, text: text.clone() });
        self.changes.push(format!("line {line}: {text}"));
        if let Some(at) = at
            && let Some(item) = items.get_mut(at)
        {
            item.notes.push(format!("fixed (line {line}): {text}"));
        }
    }
}

/// Linux keeps interface names in 16 bytes with the NUL.
const IFNAME_MAX: usize = 15;

/// Checks that must see the steps as the tutorial has them.
pub fn before_idioms(items: &mut Vec<Item>, f: &mut Findings) {
    long_names(items, f);
    netns_order(items, f);
}

/// The rest, once the steps read as netscript's.
pub fn after_idioms(items: &mut Vec<Item>, f: &mut Findings) {
    masquerade_scope(items, f);
    duplicates(items, f);
    forwarding_for_nat(items, f);
    never_up(items, f);
    routes(items, f);
    pings(items, f);
    unused_namespaces(items, f);
    // The header lists them in the tutorial's order.
    f.changes.sort_by_key(|c| {
        c.trim_start_matches("line ").split(':').next().and_then(|n| n.parse::<usize>().ok())
    });
}

/// Namespaces made and never used: worth a note, not a mistake.
fn unused_namespaces(items: &[Item], f: &mut Findings) {
    for item in items {
        if let Step::NetnsAdd { name, .. } = &item.step
            && !items.iter().any(|i| {
                needs_netns(&i.step, &name.value)
                    || matches!(&i.step, Step::Look { ns, .. } if ns.name() == Some(&name.value))
            })
        {
            f.notes.push(format!("line {}: namespace '{}' is made and never used", item.line, name.value));
        }
    }
}

// ---------------------------------------------------------------------------
// Names

/// A name of at most 15 bytes: each part (between `-`, `_`, `.`) longer
/// than three letters is cut to three, longest first, until it fits.
pub fn shorten(name: &str, taken: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut seps: Vec<char> = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        if "-_.".contains(c) {
            parts.push(std::mem::take(&mut cur));
            seps.push(c);
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    let join = |parts: &[String]| {
        let mut s = String::new();
        for (i, p) in parts.iter().enumerate() {
            s.push_str(p);
            if let Some(sep) = seps.get(i) {
                s.push(*sep);
            }
        }
        s
    };
    let mut short = join(&parts);
    while short.len() > IFNAME_MAX && parts.len() > 1 {
        let Some(longest) =
            (0..parts.len()).filter(|&i| parts[i].chars().count() > 3).max_by_key(|&i| parts[i].len())
        else {
            break;
        };
        parts[longest] = parts[longest].chars().take(3).collect();
        short = join(&parts);
    }
    if short.len() > IFNAME_MAX {
        short = short.chars().take(IFNAME_MAX).collect();
    }
    let base = short.clone();
    let mut n = 2;
    while taken.contains(&short) {
        let digit = n.to_string();
        let keep: String = base.chars().take(IFNAME_MAX - digit.len()).collect();
        short = format!("{keep}{digit}");
        n += 1;
    }
    short
}

fn rename_arg(arg: &mut Arg, old: &str, new: &str) {
    if !arg.has_vars() && arg.value == old {
        *arg = Arg::lit(new);
    }
}

fn rename_word(arg: &mut Arg, old: &str, new: &str) {
    if arg.has_vars() {
        return;
    }
    let mut out = String::new();
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        if word == old {
            out.push_str(new);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in arg.value.chars() {
        if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
            word.push(c);
        } else {
            flush(&mut out, &mut word);
            out.push(c);
        }
    }
    flush(&mut out, &mut word);
    *arg = Arg::lit(&out);
}

/// Renames a link everywhere a step names it.
fn rename_link(step: &mut Step, old: &str, new: &str) {
    let r = |a: &mut Arg| rename_arg(a, old, new);
    match step {
        Step::VethAdd { name, peer, .. } => {
            r(name);
            r(peer);
        }
        Step::BridgeAdd { name, .. } => r(name),
        Step::LinkUp { dev, .. }
        | Step::LinkMtu { dev, .. }
        | Step::LinkDel { dev, .. }
        | Step::LinkNetns { dev, .. } => r(dev),
        Step::AddrAdd { dev, .. } | Step::AddrDel { dev, .. } => r(dev),
        Step::LinkMaster { dev, master, .. } => {
            r(dev);
            if let Some(m) = master {
                r(m);
            }
        }
        Step::LinkRename { dev, new: n, .. } => {
            r(dev);
            r(n);
        }
        Step::RouteAdd { route, .. } | Step::RouteDel { route, .. } => {
            if let Some(d) = &mut route.dev {
                r(d);
            }
        }
        Step::Masquerade { out: Some(o), .. } => r(o),
        Step::Forward { from, to, .. } | Step::ForwardAccept { from, to, .. } => {
            r(from);
            r(to);
        }
        Step::PortForward { iif: Some(i), .. } => r(i),
        Step::Exec { command, .. } | Step::NotModelled { command, .. } => rename_word(command, old, new),
        _ => {}
    }
}

fn long_names(items: &mut [Item], f: &mut Findings) {
    let mut made: Vec<(String, usize)> = Vec::new();
    for item in items.iter() {
        let names: Vec<&Arg> = match &item.step {
            Step::VethAdd { name, peer, .. } => vec![name, peer],
            Step::BridgeAdd { name, .. } => vec![name],
            Step::LinkRename { new, .. } => vec![new],
            _ => vec![],
        };
        for n in names {
            if !n.has_vars() && !made.iter().any(|(m, _)| *m == n.value) {
                made.push((n.value.clone(), item.line));
            }
        }
    }
    let mut taken: Vec<String> = made.iter().map(|(n, _)| n.clone()).collect();
    for (name, line) in made {
        if name.len() <= IFNAME_MAX {
            continue;
        }
        let short = shorten(&name, &taken);
        taken.push(short.clone());
        for item in items.iter_mut() {
            rename_link(&mut item.step, &name, &short);
        }
        let at = items.iter().position(|i| i.line == line);
        f.mistake(
            items,
            at,
            line,
            format!(
                "the interface name '{name}' is {} bytes and Linux allows {IFNAME_MAX}, so the command fails: it is '{short}' here",
                name.len()
            ),
        );
        f.renames.push((name, short));
    }
}

/// A namespace used (a link moved into it, a command run in it) before the
/// line that makes it: made first.
fn netns_order(items: &mut Vec<Item>, f: &mut Findings) {
    let mut k = 0;
    while k < items.len() {
        let Step::NetnsAdd { name, .. } = &items[k].step else {
            k += 1;
            continue;
        };
        let name = name.value.clone();
        let made_earlier =
            items[..k].iter().any(|i| matches!(&i.step, Step::NetnsAdd { name: n, .. } if n.value == name));
        let first_use = (0..k).find(|&j| needs_netns(&items[j].step, &name));
        match first_use {
            Some(j) if !made_earlier => {
                let (use_line, make_line) = (items[j].line, items[k].line);
                let what = match &items[j].step {
                    Step::LinkNetns { dev, .. } => format!("moves '{}' into namespace '{name}'", dev.value),
                    Step::VethAdd { .. } => format!("makes a veth end in namespace '{name}'"),
                    _ => format!("acts in namespace '{name}'"),
                };
                let item = items.remove(k);
                items.insert(j, item);
                f.mistake(
                    items,
                    Some(j),
                    use_line,
                    format!("this {what} before line {make_line} makes it, which fails: the namespace is made first"),
                );
                k += 1;
            }
            _ => k += 1,
        }
    }
}

// ---------------------------------------------------------------------------
// Rules

fn masquerade_scope(items: &mut [Item], f: &mut Findings) {
    let mut i = 0;
    while i < items.len() {
        let Step::Masquerade { ns, subnet, out } = items[i].step.clone() else {
            i += 1;
            continue;
        };
        let line = items[i].line;
        if out.is_none() {
            let what = match &subnet {
                Some(s) => format!("what comes from {}", s.value),
                None => "everything".to_string(),
            };
            let narrowed = match &ns {
                Ns::Host => "the uplink".to_string(),
                ns => format!("the link of {}'s default route", ns.label()),
            };
            f.mistake(
                items,
                Some(i),
                line,
                format!(
                    "the masquerade has no -o, so it rewrites {what} whichever way it leaves, and with bridge netfilter on \
                     also what the namespaces send each other across a bridge, which breaks it: here it rewrites only what \
                     leaves the subnet through {narrowed}"
                ),
            );
        }
        i += 1;
    }
}

fn same_rule(a: &Step, b: &Step) -> bool {
    let v = |x: &Option<Arg>| x.as_ref().map(|a| a.value.clone());
    match (a, b) {
        (
            Step::Masquerade { ns: n1, subnet: s1, out: o1 },
            Step::Masquerade { ns: n2, subnet: s2, out: o2 },
        ) => n1.same(n2) && v(s1).map(|s| net_of(&s)) == v(s2).map(|s| net_of(&s)) && v(o1) == v(o2),
        (
            Step::ForwardAccept { ns: n1, from: f1, to: t1 },
            Step::ForwardAccept { ns: n2, from: f2, to: t2 },
        ) => n1.same(n2) && f1.value == f2.value && t1.value == t2.value,
        (
            Step::PortForward { ns: n1, proto: p1, port: q1, to: t1, iif: i1 },
            Step::PortForward { ns: n2, proto: p2, port: q2, to: t2, iif: i2 },
        ) => n1.same(n2) && p1 == p2 && q1 == q2 && t1 == t2 && v(i1) == v(i2),
        (Step::Snat { .. }, Step::Snat { .. })
        | (Step::Redirect { .. }, Step::Redirect { .. })
        | (Step::Filter { .. }, Step::Filter { .. })
        | (Step::RawRule { .. }, Step::RawRule { .. }) => a == b,
        _ => false,
    }
}

fn duplicates(items: &mut Vec<Item>, f: &mut Findings) {
    let mut i = 0;
    while i < items.len() {
        let earlier = (0..i).find(|&j| same_rule(&items[j].step, &items[i].step));
        if let Some(j) = earlier {
            let (line, first) = (items[i].line, items[j].line);
            f.mistake(
                items,
                None,
                line,
                format!("this adds the same rule as line {first}, and iptables would then hold it twice: the script adds it once"),
            );
            items.remove(i);
            continue;
        }
        // The same setting again changes nothing.
        if let Step::Sysctl { ns, key, value } = &items[i].step {
            let again = (0..i).rev().find_map(|j| match &items[j].step {
                Step::Sysctl { ns: n, key: k, value: v } if n.same(ns) && k == key => {
                    Some((v.value == value.value, items[j].line))
                }
                _ => None,
            });
            if let Some((true, first)) = again {
                f.notes.push(format!(
                    "line {}: sets {key} to {} again, as line {first} did; once is enough",
                    items[i].line, value.value
                ));
                items.remove(i);
                continue;
            }
        }
        i += 1;
    }
}

fn forwards(step: &Step, ns: &Ns) -> bool {
    matches!(step, Step::Sysctl { ns: n, key, value } if n.same(ns) && (key == "net.ipv4.ip_forward" || key == "forwarding") && value.value == "1")
}

fn forwarding_for_nat(items: &mut Vec<Item>, f: &mut Findings) {
    let mut done: Vec<String> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let ns = match &items[i].step {
            Step::Masquerade { ns, .. } | Step::PortForward { ns, .. } | Step::Snat { ns, .. } => ns.clone(),
            _ => {
                i += 1;
                continue;
            }
        };
        if done.contains(&key(&ns)) || items.iter().any(|it| forwards(&it.step, &ns)) {
            i += 1;
            continue;
        }
        done.push(key(&ns));
        let line = items[i].line;
        let mut item = Item::new(
            line,
            "",
            Step::Sysctl { ns: ns.clone(), key: "net.ipv4.ip_forward".into(), value: Arg::lit("1") },
        );
        item.notes.clear();
        items.insert(i, item);
        f.mistake(
            items,
            Some(i),
            line,
            format!(
                "forwarding is never turned on, so {} drops what the namespaces send out, NAT or not: it is turned on before the NAT rule",
                ns.describe()
            ),
        );
        i += 2;
    }
}

// ---------------------------------------------------------------------------
// Links, routes, pings

/// Index of the step after which a link is set up (the last that touches
/// it before `before`), by the model's identity of the link.
fn last_touch(items: &[Item], before: usize, id: usize) -> usize {
    let mut model = Model::new();
    let mut last = 0;
    for (i, item) in items.iter().enumerate().take(before) {
        let touched = touches(&model, &item.step, id);
        let known = model.links.len();
        model.apply(&item.step);
        if touched || (known <= id && model.links.len() > id) {
            last = i + 1;
        }
    }
    last
}

fn touches(model: &Model, step: &Step, id: usize) -> bool {
    let Some(link) = model.links.get(id).filter(|l| l.alive) else { return false };
    let ns = if link.ns.is_empty() { Ns::Host } else { Ns::named(&link.ns) };
    // Rules and routes use a link; they do not set it up.
    mentions(step, &ns, &link.name)
        && !matches!(
            step,
            Step::Masquerade { .. }
                | Step::Forward { .. }
                | Step::ForwardAccept { .. }
                | Step::PortForward { .. }
                | Step::RouteAdd { .. }
                | Step::RouteDel { .. }
        )
}

fn ns_of(name: &str) -> Ns {
    if name.is_empty() { Ns::Host } else { Ns::named(name) }
}

fn never_up(items: &mut Vec<Item>, f: &mut Findings) {
    let mut model = Model::new();
    let mut downed: Vec<usize> = Vec::new();
    for item in items.iter() {
        if let Step::LinkUp { ns, dev, up: false } = &item.step
            && let Some(id) = model.find(&key(ns), &dev.value)
        {
            downed.push(id);
        }
        model.apply(&item.step);
    }
    let mut fixes: Vec<(usize, usize, String, String)> = Vec::new();
    for (id, link) in model.links.iter().enumerate() {
        if !link.alive || link.up || link.kind == Kind::Loopback || downed.contains(&id) {
            continue;
        }
        let peer_role = match link.kind {
            Kind::Veth { peer } => !model.links[peer].addrs.is_empty() || model.links[peer].master.is_some(),
            _ => false,
        };
        let ports = model.links.iter().any(|l| l.alive && l.master == Some(id));
        let role = !link.addrs.is_empty() || link.master.is_some() || ports || peer_role;
        if !role {
            continue;
        }
        let at = last_touch(items, items.len(), id);
        let line = items.get(at.saturating_sub(1)).map_or(0, |i| i.line);
        fixes.push((at, line, link.ns.clone(), link.name.clone()));
    }
    fixes.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut reported = Vec::new();
    for (at, line, ns, name) in fixes {
        let made = items
            .iter()
            .find(|i| {
                matches!(&i.step, Step::VethAdd { .. } | Step::BridgeAdd { .. } | Step::LinkRename { .. })
                    && mentions(&i.step, &ns_of(&ns), &name)
            })
            .map_or(line, |i| i.line);
        let place = if ns.is_empty() { String::new() } else { format!(" (in {ns})") };
        items
            .insert(at, Item::new(line, "", Step::LinkUp { ns: ns_of(&ns), dev: Arg::lit(&name), up: true }));
        reported.push((at, made, format!("'{name}'{place} is never brought up, and a link that is down carries nothing: it is brought up here")));
    }
    reported.reverse();
    // The insertions shifted later indices: find each by its step again.
    for (_, line, text) in reported {
        let at = items.iter().position(|i| i.text.is_empty() && i.notes.is_empty() && matches!(&i.step, Step::LinkUp { dev, up: true, .. } if text.starts_with(&format!("'{}'", dev.value))));
        f.mistake(items, at, line, text);
    }
}

/// Who routes for a link: the bridge at its far end, or the far end itself.
/// Returns the link and its address in `subnet` (None: it has none).
fn router_for(model: &Model, link: usize, subnet: IpNetwork) -> Option<(usize, Option<IpAddr>)> {
    let ns = &model.links[link].ns;
    let far: Vec<usize> = model.neighbours(link).into_iter().filter(|&n| model.links[n].ns != *ns).collect();
    let with_addr = |n: usize| model.links[n].addrs.iter().find(|a| subnet.contains(a.ip())).map(|a| a.ip());
    if let Some(&b) = far.iter().find(|&&n| model.links[n].kind == Kind::Bridge) {
        return Some((b, with_addr(b)));
    }
    if let Some(&n) = far.iter().find(|&&n| with_addr(n).is_some()) {
        return Some((n, with_addr(n)));
    }
    match far.as_slice() {
        [one] => Some((*one, None)),
        _ => None,
    }
}

/// The last free host of a subnet (counting back), for a router that needs one.
fn free_address(model: &Model, subnet: IpNetwork) -> Option<IpNetwork> {
    let IpNetwork::V4(s) = subnet else { return None };
    if s.prefix() >= 31 {
        return None;
    }
    let used: Vec<IpAddr> =
        model.links.iter().filter(|l| l.alive).flat_map(|l| l.addrs.iter().map(|a| a.ip())).collect();
    let last = u32::from(s.broadcast()) - 1;
    let first = u32::from(s.network()) + 1;
    (first..=last)
        .rev()
        .map(std::net::Ipv4Addr::from)
        .find(|ip| !used.contains(&IpAddr::V4(*ip)))
        .map(|ip| IpNetwork::new(IpAddr::V4(ip), s.prefix()).unwrap())
}

fn model_until(items: &[Item], at: usize) -> Model {
    let mut model = Model::new();
    for item in &items[..at] {
        model.apply(&item.step);
    }
    model
}

fn describe_link(model: &Model, id: usize) -> String {
    let l = &model.links[id];
    let place = if l.ns.is_empty() { "the host".to_string() } else { format!("namespace '{}'", l.ns) };
    match l.kind {
        Kind::Bridge => format!("the bridge {} in {place}", l.name),
        _ => format!("{} in {place}", l.name),
    }
}

/// The router's address for a namespace's link: the one it has, or one
/// given to it now (an address step inserted where it was set up).
/// Returns the address and whether it was given.
fn router_address(
    items: &mut Vec<Item>,
    at: usize,
    link: usize,
    subnet: IpNetwork,
) -> Option<(IpAddr, Option<String>)> {
    let model = model_until(items, at);
    let (router, addr) = router_for(&model, link, subnet)?;
    if let Some(addr) = addr {
        return Some((addr, None));
    }
    let new = free_address(&model, subnet)?;
    let r = &model.links[router];
    let step = Step::AddrAdd { ns: ns_of(&r.ns), dev: Arg::lit(&r.name), addr: Arg::lit(&new.to_string()) };
    let pos = last_touch(items, at, router);
    let what =
        format!("{} gets {new}, so that there is an address to route through", describe_link(&model, router));
    let mut item = Item::new(items.get(pos.saturating_sub(1)).map_or(0, |i| i.line), "", step);
    item.notes.push(format!("added: {what}"));
    items.insert(pos, item);
    Some((new.ip(), Some(what)))
}

fn routes(items: &mut Vec<Item>, f: &mut Findings) {
    let mut i = 0;
    while i < items.len() {
        let Step::RouteAdd { ns, route } = items[i].step.clone() else {
            i += 1;
            continue;
        };
        let Some(via) = route.via_ip() else {
            i += 1;
            continue;
        };
        let model = model_until(items, i);
        let here = key(&ns);
        let line = items[i].line;
        let own = model.owns(&here, via);
        // The link the gateway is on.
        let link = route.dev.as_ref().and_then(|d| model.find(&here, &d.value)).or_else(|| {
            model
                .links
                .iter()
                .position(|l| l.alive && l.ns == here && l.addrs.iter().any(|a| a.contains(via)))
        });
        let reached = link.is_some_and(|l| {
            model.neighbours(l).iter().any(|&n| model.links[n].addrs.iter().any(|a| a.ip() == via))
        });
        if !own && (reached || link.is_none() && route.via.as_ref().is_some_and(|v| v.has_vars())) {
            i += 1;
            continue;
        }
        let Some(link) = link else {
            f.warnings.push(Warning {
                line,
                text: format!(
                    "the route {} in {} goes via {via}, which no link there reaches: the kernel refuses it",
                    route.describe(),
                    ns.describe()
                ),
            });
            i += 1;
            continue;
        };
        let subnet = model.links[link]
            .addrs
            .iter()
            .find(|a| a.contains(via))
            .map(|a| IpNetwork::new(a.network(), a.prefix()).unwrap());
        if !own && !reached && model.links[link].addrs.iter().all(|a| !a.contains(via)) {
            i += 1;
            continue;
        }
        let Some(subnet) = subnet else {
            i += 1;
            continue;
        };
        if !own {
            // Nothing has the gateway's address, now or later: maybe it is
            // outside the lab (a NAT uplink's far side), so only say it.
            if items.iter().any(|it| matches!(&it.step, Step::AddrAdd { addr, .. } if net_of(&addr.value).is_some_and(|n| n.ip() == via))) {
                i += 1;
                continue;
            }
            f.warnings.push(Warning {
                line,
                text: format!(
                    "the route {} in {} goes via {via}, which nothing in the lab has",
                    route.describe(),
                    ns.describe()
                ),
            });
            i += 1;
            continue;
        }
        let before = items.len();
        let Some((router, given)) = router_address(items, i, link, subnet) else {
            f.warnings.push(Warning {
                line,
                text: format!("the route {} in {} goes via its own address {via}, which leads nowhere, and there is no router on that link to go via instead", route.describe(), ns.describe()),
            });
            i += 1;
            continue;
        };
        i += items.len() - before;
        let mut fixed = route.clone();
        fixed.via = Some(Arg::lit(&router.to_string()));
        items[i].step = Step::RouteAdd { ns: ns.clone(), route: fixed };
        let given = given.map(|g| format!(" ({g})")).unwrap_or_default();
        f.mistake(
            items,
            Some(i),
            line,
            format!(
                "the route {} in {} goes via {via}, the namespace's own address, which leads nowhere: it goes via the router at the other end of the link, {router}{given}",
                route.describe(),
                ns.describe()
            ),
        );
        i += 1;
    }
}

/// Whether an address belongs to the lab: some address of it, or in one
/// of its subnets.
fn in_lab(items: &[Item], ip: IpAddr) -> bool {
    items.iter().any(|i| match &i.step {
        Step::AddrAdd { addr, .. } => net_of(&addr.value).is_some_and(|n| {
            n.prefix() > 0
                && (n.ip() == ip || IpNetwork::new(n.network(), n.prefix()).is_ok_and(|s| s.contains(ip)))
        }),
        _ => false,
    })
}

fn pings(items: &mut Vec<Item>, f: &mut Findings) {
    // Pings to the internet: checked at the end, through the stand-in.
    let mut i = 0;
    while i < items.len() {
        if let Step::Ping { ns, target } = &items[i].step {
            let ip: Option<IpAddr> = target.value.parse().ok();
            if ip.is_none_or(|ip| !in_lab(items, ip) && !ip.is_loopback()) {
                let line = items[i].line;
                f.notes.push(format!(
                    "line {line}: the ping to {} leaves the lab; the script checks the way out at its end instead (a connection to the stand-in internet, with internet=NAME)",
                    target.value
                ));
                f.outside.push((ns.clone(), target.value.clone(), line));
                items.remove(i);
                continue;
            }
        }
        i += 1;
    }
    // Pings inside the lab: follow each there and back, and mend what blocks it.
    let mut fixes = 0;
    let mut i = 0;
    while i < items.len() && fixes < 32 {
        let Step::Ping { ns, target } = items[i].step.clone() else {
            i += 1;
            continue;
        };
        let Ok(to) = target.value.parse::<IpAddr>() else {
            i += 1;
            continue;
        };
        let model = model_until(items, i);
        let from = key(&ns);
        let line = items[i].line;
        let result = model.trace(&from, to).and_then(|owner| {
            let src = model.source(&from, to).unwrap_or(to);
            if owner == from { Ok(owner) } else { model.trace(&owner, src).map(|_| owner) }
        });
        let blocked = match result {
            Ok(_) => {
                i += 1;
                continue;
            }
            Err(b) => b,
        };
        let before = items.len();
        let mended = mend(items, i, &blocked, &ns, &target.value, line, f);
        if mended {
            fixes += 1;
            // Look at this ping again, with the fix in.
            i += items.len() - before;
            continue;
        }
        let why = explain(&model, &blocked);
        f.warnings.push(Warning {
            line,
            text: format!(
                "the ping from {} to {} cannot succeed: {why}; it is kept as a comment",
                ns.label(),
                target.value
            ),
        });
        let text = items[i].text.clone();
        items[i].step = Step::Look { ns: ns.clone(), command: format!("{text} (cannot succeed: {why})") };
        i += 1;
    }
}

fn explain(model: &Model, blocked: &Blocked) -> String {
    match blocked {
        Blocked::NoRoute { ns, to } => {
            format!("{} has no route to {to}", if ns.is_empty() { "the host" } else { ns })
        }
        Blocked::NoNeighbour { ns, via } => {
            format!("nothing next to {} has {via}", if ns.is_empty() { "the host" } else { ns })
        }
        Blocked::NoForward { ns } => {
            format!("{} does not forward", if ns.is_empty() { "the host" } else { ns })
        }
        Blocked::Down { link } => format!("{} is down at that point", describe_link(model, *link)),
        Blocked::Loop => "the routes go round in a circle".into(),
    }
}

/// Mends what blocks a ping, inserting steps before it; false when it cannot.
fn mend(
    items: &mut Vec<Item>,
    at: usize,
    blocked: &Blocked,
    from: &Ns,
    target: &str,
    line: usize,
    f: &mut Findings,
) -> bool {
    let model = model_until(items, at);
    match blocked {
        Blocked::NoRoute { ns, to } => {
            let has_default = model.routes.get(ns).is_some_and(|r| r.iter().any(|r| r.dst.is_none()));
            if has_default {
                return false;
            }
            // The one link with an address: the way out.
            let links: Vec<usize> = (0..model.links.len())
                .filter(|&l| {
                    let link = &model.links[l];
                    link.alive
                        && link.ns == *ns
                        && link.kind != Kind::Loopback
                        && link.addrs.iter().any(|a| a.is_ipv4() == to.is_ipv4())
                })
                .collect();
            let [link] = links.as_slice() else { return false };
            let Some(addr) = model.links[*link].addrs.iter().find(|a| a.is_ipv4() == to.is_ipv4()) else {
                return false;
            };
            let subnet = IpNetwork::new(addr.network(), addr.prefix()).unwrap();
            let before = items.len();
            let Some((router, given)) = router_address(items, at, *link, subnet) else { return false };
            let at = at + (items.len() - before);
            let route = Route {
                dst: None,
                via: Some(Arg::lit(&router.to_string())),
                dev: None,
                metric: None,
                v6: router.is_ipv6(),
                extra: Vec::new(),
            };
            let who = ns_of(ns);
            items.insert(at, Item::new(line, "", Step::RouteAdd { ns: who.clone(), route }));
            let given = given.map(|g| format!("; {g}")).unwrap_or_default();
            f.mistake(
                items,
                Some(at),
                line,
                format!(
                    "{} has no route to {to}, so the ping from {} to {target} fails: it gets a default route via {router}{given}",
                    who.describe(),
                    from.label()
                ),
            );
            true
        }
        Blocked::NoForward { ns } => {
            let who = ns_of(ns);
            items.insert(
                at,
                Item::new(
                    line,
                    "",
                    Step::Sysctl { ns: who.clone(), key: "net.ipv4.ip_forward".into(), value: Arg::lit("1") },
                ),
            );
            f.mistake(
                items,
                Some(at),
                line,
                format!(
                    "the ping from {} to {target} has to be routed by {}, which does not forward: forwarding is turned on there",
                    from.label(),
                    who.describe()
                ),
            );
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Arg {
        Arg::lit(s)
    }

    fn item(line: usize, step: Step) -> Item {
        Item::new(line, "", step)
    }

    fn steps(items: &[Item]) -> Vec<Step> {
        items.iter().map(|i| i.step.clone()).collect()
    }

    #[test]
    fn names_are_shortened() {
        assert_eq!(shorten("veth_internal_ns", &[]), "veth_int_ns");
        assert_eq!(shorten("veth-external-ns", &[]), "veth-ext-ns");
        assert_eq!(shorten("averyveryverylongname", &[]), "averyveryverylo");
        assert_eq!(shorten("veth_internal_ns", &["veth_int_ns".to_string()]), "veth_int_ns2");
        let mut items = vec![
            item(
                1,
                Step::VethAdd {
                    ns: Ns::Host,
                    name: lit("veth_internal"),
                    peer_ns: Ns::Host,
                    peer: lit("veth_internal_ns"),
                },
            ),
            item(2, Step::LinkNetns { ns: Ns::Host, dev: lit("veth_internal_ns"), target: Ns::named("a") }),
        ];
        let mut f = Findings::default();
        long_names(&mut items, &mut f);
        assert_eq!(f.renames, [("veth_internal_ns".to_string(), "veth_int_ns".to_string())]);
        assert_eq!(
            items[1].step,
            Step::LinkNetns { ns: Ns::Host, dev: lit("veth_int_ns"), target: Ns::named("a") }
        );
        assert_eq!(f.warnings[0].line, 1);
    }

    #[test]
    fn a_namespace_is_made_before_a_link_moves_into_it() {
        let mut items = vec![
            item(1, Step::VethAdd { ns: Ns::Host, name: lit("a"), peer_ns: Ns::Host, peer: lit("b") }),
            item(2, Step::LinkNetns { ns: Ns::Host, dev: lit("b"), target: Ns::named("blue") }),
            item(3, Step::NetnsAdd { name: lit("blue"), ipv6: true }),
        ];
        let mut f = Findings::default();
        netns_order(&mut items, &mut f);
        assert_eq!(items[1].step, Step::NetnsAdd { name: lit("blue"), ipv6: true });
        assert_eq!(f.warnings[0].line, 2);
        assert!(f.warnings[0].text.contains("before line 3 makes it"));
    }

    #[test]
    fn masquerade_without_out_and_twice_and_no_forwarding() {
        let masq = |out: Option<&str>| Step::Masquerade {
            ns: Ns::Host,
            subnet: Some(lit("10.0.0.0/24")),
            out: out.map(lit),
        };
        let mut items = vec![item(1, masq(None)), item(2, masq(None)), item(3, masq(Some("eth0")))];
        let mut f = Findings::default();
        masquerade_scope(&mut items, &mut f);
        duplicates(&mut items, &mut f);
        forwarding_for_nat(&mut items, &mut f);
        assert_eq!(
            steps(&items),
            [
                Step::Sysctl { ns: Ns::Host, key: "net.ipv4.ip_forward".into(), value: lit("1") },
                masq(None),
                masq(Some("eth0")),
            ]
        );
        let lines: Vec<usize> = f.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 2, 2, 1]);
        assert!(f.warnings[2].text.contains("same rule as line 1"));
        assert!(f.warnings[3].text.contains("forwarding is never turned on"));
    }

    #[test]
    fn a_link_never_brought_up_is() {
        let mut items = vec![
            item(1, Step::BridgeAdd { ns: Ns::Host, name: lit("br0") }),
            item(2, Step::AddrAdd { ns: Ns::Host, dev: lit("br0"), addr: lit("10.0.0.1/24") }),
            item(
                3,
                Step::VethAdd { ns: Ns::Host, name: lit("unused0"), peer_ns: Ns::Host, peer: lit("unused1") },
            ),
            item(4, Step::Ping { ns: Ns::Host, target: lit("10.0.0.1") }),
        ];
        let mut f = Findings::default();
        never_up(&mut items, &mut f);
        assert_eq!(items[2].step, Step::LinkUp { ns: Ns::Host, dev: lit("br0"), up: true });
        assert_eq!(items.len(), 5, "the unused pair stays as it is");
        assert_eq!(f.warnings[0].line, 1);
        assert!(items[2].notes[0].contains("never brought up"));
    }

    /// Seed 000's shape: two namespaces on veths to the host, whose ends
    /// have no address; a route via the namespace's own address.
    #[test]
    fn routes_and_pings_are_mended() {
        let h = Ns::Host;
        let (a, b) = (Ns::named("a"), Ns::named("b"));
        let mut items = vec![
            item(1, Step::NetnsAdd { name: lit("a"), ipv6: true }),
            item(2, Step::NetnsAdd { name: lit("b"), ipv6: true }),
            item(3, Step::VethAdd { ns: h.clone(), name: lit("va"), peer_ns: a.clone(), peer: lit("a0") }),
            item(4, Step::VethAdd { ns: h.clone(), name: lit("vb"), peer_ns: b.clone(), peer: lit("b0") }),
            item(5, Step::LinkUp { ns: h.clone(), dev: lit("va"), up: true }),
            item(6, Step::LinkUp { ns: h.clone(), dev: lit("vb"), up: true }),
            item(7, Step::AddrAdd { ns: a.clone(), dev: lit("a0"), addr: lit("192.168.1.1/24") }),
            item(8, Step::AddrAdd { ns: b.clone(), dev: lit("b0"), addr: lit("192.168.2.1/24") }),
            item(9, Step::Sysctl { ns: h.clone(), key: "net.ipv4.ip_forward".into(), value: lit("1") }),
            item(
                10,
                Step::RouteAdd {
                    ns: b.clone(),
                    route: Route {
                        dst: Some(lit("192.168.1.0/24")),
                        via: Some(lit("192.168.2.1")),
                        dev: Some(lit("b0")),
                        metric: None,
                        v6: false,
                        extra: Vec::new(),
                    },
                },
            ),
            item(11, Step::Ping { ns: a.clone(), target: lit("192.168.2.1") }),
            item(12, Step::Ping { ns: b.clone(), target: lit("192.168.1.1") }),
            item(13, Step::Ping { ns: a.clone(), target: lit("8.8.8.8") }),
        ];
        let mut f = Findings::default();
        after_idioms(&mut items, &mut f);
        let all = steps(&items);
        assert!(all.contains(&Step::LinkUp { ns: a.clone(), dev: lit("a0"), up: true }), "{all:#?}");
        assert!(
            all.contains(&Step::AddrAdd { ns: h.clone(), dev: lit("vb"), addr: lit("192.168.2.254/24") }),
            "{all:#?}"
        );
        assert!(
            all.contains(&Step::AddrAdd { ns: h.clone(), dev: lit("va"), addr: lit("192.168.1.254/24") }),
            "{all:#?}"
        );
        assert!(all.iter().any(|s| matches!(s, Step::RouteAdd { ns, route } if ns.same(&b) && route.via == Some(lit("192.168.2.254")))), "{all:#?}");
        assert!(all.iter().any(|s| matches!(s, Step::RouteAdd { ns, route } if ns.same(&a) && route.dst.is_none() && route.via == Some(lit("192.168.1.254")))), "{all:#?}");
        assert_eq!(all.iter().filter(|s| matches!(s, Step::Ping { .. })).count(), 2);
        assert_eq!(f.outside.len(), 1);
        // Every ping now gets there and back.
        let model = model_until(&items, items.len());
        assert!(model.trace("a", "192.168.2.1".parse().unwrap()).is_ok());
        assert!(model.trace("b", "192.168.1.1".parse().unwrap()).is_ok());
    }
}
