//! Rewrites that make the script read as netscript is written, without
//! changing what it builds: a veth made and then moved is made straight in
//! its namespace; loopback comes up with netns_add, and IPv6 goes off with
//! it; iptables' two forward rules are one forward_accept; IPv4 and IPv6
//! forwarding set together are forwarding().

use super::shell::Arg;
use super::step::{Item, Ns, Step, Value};

/// What the rewrites changed, for the header.
pub fn apply(items: &mut Vec<Item>) -> Vec<String> {
    let mut changes = Vec::new();
    let fused = fuse_veths(items);
    if !fused.is_empty() {
        changes.push(format!(
            "Each veth end is made straight in its namespace (lines {}), where the tutorial makes both ends here and moves one.",
            lines_text(&fused)
        ));
    }
    merge_netns_options(items);
    pair_forward_rules(items);
    merge_forwarding(items);
    changes
}

pub fn lines_text(lines: &[usize]) -> String {
    let mut lines = lines.to_vec();
    lines.sort();
    lines.dedup();
    lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
}

/// Whether a step names the link `name` in namespace `ns`.
pub fn mentions(step: &Step, ns: &Ns, name: &str) -> bool {
    let here = |n: &Ns| n.same(ns);
    let is = |a: &Arg| a.value == name;
    match step {
        Step::VethAdd { ns: a, name: n, peer_ns: b, peer } => here(a) && is(n) || here(b) && is(peer),
        Step::BridgeAdd { ns: a, name: n } => here(a) && is(n),
        Step::LinkMaster { ns: a, dev, master } => here(a) && (is(dev) || master.as_ref().is_some_and(is)),
        Step::LinkRename { ns: a, dev, new } => here(a) && (is(dev) || is(new)),
        Step::RouteAdd { ns: a, route } | Step::RouteDel { ns: a, route } => {
            here(a) && route.dev.as_ref().is_some_and(is)
        }
        Step::Masquerade { ns: a, out, .. } => here(a) && out.as_ref().is_some_and(is),
        Step::Forward { ns: a, from, to, .. } | Step::ForwardAccept { ns: a, from, to } => {
            here(a) && (is(from) || is(to))
        }
        Step::PortForward { ns: a, iif, .. } => here(a) && iif.as_ref().is_some_and(is),
        Step::Exec { ns: a, command, .. } | Step::NotModelled { ns: a, command, .. } => {
            here(a)
                && command
                    .value
                    .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.@".contains(c)))
                    .any(|w| w == name)
        }
        Step::Call { ns: a, args, opts, .. } => {
            fn has(v: &Value, name: &str) -> bool {
                match v {
                    Value::Dev(d) => d.value == name,
                    Value::List(l) => l.iter().any(|x| has(x, name)),
                    _ => false,
                }
            }
            here(a) && (args.iter().any(|v| has(v, name)) || opts.iter().any(|(_, v)| has(v, name)))
        }
        Step::ExecWords { ns: a, argv } => here(a) && argv.iter().any(|w| w.value == name),
        Step::Look { .. } | Step::Ping { .. } => false,
        step => step.dev().is_some_and(is) && step.ns().is_some_and(here),
    }
}

/// Whether a step needs namespace `name` to exist.
pub fn needs_netns(step: &Step, name: &str) -> bool {
    let named = |n: &Ns| n.name() == Some(name);
    match step {
        Step::NetnsAdd { .. } => false,
        Step::NetnsDel { name: n } => n.value == name,
        Step::VethAdd { ns, peer_ns, .. } => named(ns) || named(peer_ns),
        Step::LinkNetns { ns, target, .. } => named(ns) || named(target),
        Step::Look { .. } => false,
        step => step.ns().is_some_and(named),
    }
}

fn made_before(items: &[Item], at: usize, ns: &Ns) -> bool {
    match ns.name() {
        None => true,
        Some(name) => {
            let made_here =
                items.iter().any(|i| matches!(&i.step, Step::NetnsAdd { name: n, .. } if n.value == name));
            !made_here
                || items[..at]
                    .iter()
                    .any(|i| matches!(&i.step, Step::NetnsAdd { name: n, .. } if n.value == name))
        }
    }
}

/// `ip link add A type veth peer name B` and then `ip link set B netns X`
/// become one veth_add(A here, B in X), when nothing in between uses B
/// where it was.
fn fuse_veths(items: &mut Vec<Item>) -> Vec<usize> {
    let mut fused = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let Step::VethAdd { ns, name, peer_ns, peer } = items[i].step.clone() else {
            i += 1;
            continue;
        };
        let mut done = false;
        for j in i + 1..items.len() {
            let Step::LinkNetns { ns: from, dev, target } = &items[j].step else {
                // Stop at the first step that uses either end.
                if mentions(&items[j].step, &ns, &name.value)
                    || mentions(&items[j].step, &peer_ns, &peer.value)
                {
                    break;
                }
                continue;
            };
            let moved_peer = from.same(&peer_ns) && dev.value == peer.value;
            let moved_name = from.same(&ns) && dev.value == name.value;
            if !moved_peer && !moved_name {
                if mentions(&items[j].step, &ns, &name.value)
                    || mentions(&items[j].step, &peer_ns, &peer.value)
                {
                    break;
                }
                continue;
            }
            if dev.has_vars() {
                break;
            }
            let target = target.clone();
            let step = if moved_peer {
                Step::VethAdd {
                    ns: ns.clone(),
                    name: name.clone(),
                    peer_ns: target.clone(),
                    peer: peer.clone(),
                }
            } else {
                Step::VethAdd {
                    ns: target.clone(),
                    name: name.clone(),
                    peer_ns: peer_ns.clone(),
                    peer: peer.clone(),
                }
            };
            let line = items[j].line;
            if made_before(items, i, &target) {
                items[i].step = step;
                items.remove(j);
            } else {
                // The namespace comes after the veth: make the veth there.
                items[j].step = step;
                items[j].line = items[i].line;
                items[j].text = items[i].text.clone();
                items.remove(i);
            }
            fused.push(line);
            done = true;
            break;
        }
        if !done {
            i += 1;
        }
    }
    fused
}

/// lo comes up with netns_add; IPv6 off right after it is netns_add's option.
fn merge_netns_options(items: &mut Vec<Item>) {
    let mut i = 0;
    while i < items.len() {
        if let Step::NetnsAdd { name, .. } = &items[i].step {
            let name = name.value.clone();
            let ns = Ns::named(&name);
            let off = |s: &Step, key: &str| matches!(s, Step::Sysctl { ns: n, key: k, value } if n.same(&ns) && k == key && value.value == "1");
            if i + 2 < items.len()
                && off(&items[i + 1].step, "net.ipv6.conf.all.disable_ipv6")
                && off(&items[i + 2].step, "net.ipv6.conf.default.disable_ipv6")
            {
                if let Step::NetnsAdd { ipv6, .. } = &mut items[i].step {
                    *ipv6 = false;
                }
                items.drain(i + 1..i + 3);
            }
            // The first `lo up` before anything takes lo down again.
            if let Some(j) = (i + 1..items.len())
                .take_while(|&j| !matches!(&items[j].step, Step::NetnsAdd { name: n, .. } | Step::NetnsDel { name: n } if n.value == name))
                .take_while(|&j| !matches!(&items[j].step, Step::LinkUp { ns: n, dev, up: false } if n.same(&ns) && dev.value == "lo"))
                .find(|&j| matches!(&items[j].step, Step::LinkUp { ns: n, dev, up: true } if n.same(&ns) && dev.value == "lo"))
            {
                items.remove(j);
            }
        }
        i += 1;
    }
}

/// A forward accept and the accept of its replies are one forward_accept.
fn pair_forward_rules(items: &mut Vec<Item>) {
    let mut i = 0;
    while i < items.len() {
        if let Step::Forward { ns, from, to, replies } = items[i].step.clone() {
            let partner = (0..items.len()).find(|&j| {
                j != i
                    && matches!(&items[j].step, Step::Forward { ns: n, from: f, to: t, replies: r }
                        if n.same(&ns) && f.value == to.value && t.value == from.value && *r != replies)
            });
            let (from, to) = if replies { (to, from) } else { (from, to) };
            match partner {
                Some(j) => {
                    items[i].step = Step::ForwardAccept { ns, from, to };
                    items.remove(j);
                    if j < i {
                        i -= 1;
                    }
                }
                None => {
                    // One rule alone is a filter rule of its own.
                    let (from, to) = if replies { (to, from) } else { (from, to) };
                    let mut keys =
                        vec![("iif".to_string(), Value::Dev(from)), ("oif".to_string(), Value::Dev(to))];
                    if replies {
                        keys.push((
                            "ct".into(),
                            Value::List(vec![
                                Value::Text("established".into()),
                                Value::Text("related".into()),
                            ]),
                        ));
                    }
                    keys.push(("verdict".into(), Value::Text("accept".into())));
                    items[i].step = Step::Filter { ns, chain: "forward".into(), keys };
                }
            }
        }
        i += 1;
    }
}

/// net.ipv4.ip_forward and net.ipv6.conf.all.forwarding set together.
fn merge_forwarding(items: &mut Vec<Item>) {
    let mut i = 0;
    while i + 1 < items.len() {
        if let (Step::Sysctl { ns: a, key: k1, value: v1 }, Step::Sysctl { ns: b, key: k2, value: v2 }) =
            (&items[i].step, &items[i + 1].step)
            && a.same(b)
            && k1 == "net.ipv4.ip_forward"
            && k2 == "net.ipv6.conf.all.forwarding"
            && v1.value == v2.value
            && !v1.has_vars()
            && !v2.has_vars()
            && (v1.value == "0" || v1.value == "1")
        {
            let step = Step::Sysctl { ns: a.clone(), key: "forwarding".into(), value: v1.clone() };
            items[i].step = step;
            items.remove(i + 1);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(line: usize, step: Step) -> Item {
        Item::new(line, "", step)
    }

    fn lit(s: &str) -> Arg {
        Arg::lit(s)
    }

    #[test]
    fn a_veth_made_then_moved_is_made_in_place() {
        let mut items = vec![
            item(1, Step::NetnsAdd { name: lit("a"), ipv6: true }),
            item(2, Step::NetnsAdd { name: lit("b"), ipv6: true }),
            item(3, Step::VethAdd { ns: Ns::Host, name: lit("x"), peer_ns: Ns::Host, peer: lit("y") }),
            item(4, Step::LinkNetns { ns: Ns::Host, dev: lit("y"), target: Ns::named("a") }),
            item(5, Step::LinkNetns { ns: Ns::Host, dev: lit("x"), target: Ns::named("b") }),
            item(6, Step::LinkUp { ns: Ns::named("a"), dev: lit("lo"), up: true }),
        ];
        apply(&mut items);
        let steps: Vec<&Step> = items.iter().map(|i| &i.step).collect();
        assert_eq!(
            steps,
            [
                &Step::NetnsAdd { name: lit("a"), ipv6: true },
                &Step::NetnsAdd { name: lit("b"), ipv6: true },
                &Step::VethAdd {
                    ns: Ns::named("b"),
                    name: lit("x"),
                    peer_ns: Ns::named("a"),
                    peer: lit("y")
                },
            ]
        );
    }

    #[test]
    fn a_veth_used_before_it_moves_stays_as_written() {
        let mut items = vec![
            item(1, Step::NetnsAdd { name: lit("a"), ipv6: true }),
            item(2, Step::VethAdd { ns: Ns::Host, name: lit("x"), peer_ns: Ns::Host, peer: lit("y") }),
            item(3, Step::LinkUp { ns: Ns::Host, dev: lit("y"), up: true }),
            item(4, Step::LinkNetns { ns: Ns::Host, dev: lit("y"), target: Ns::named("a") }),
        ];
        apply(&mut items);
        assert_eq!(items.len(), 4);
    }

    #[test]
    fn forward_rules_pair_up() {
        let fwd = |from: &str, to: &str, replies| Step::Forward {
            ns: Ns::Host,
            from: lit(from),
            to: lit(to),
            replies,
        };
        let mut items = vec![
            item(1, fwd("v", "eth0", false)),
            item(2, fwd("eth0", "v", true)),
            item(3, fwd("w", "eth0", false)),
        ];
        apply(&mut items);
        assert_eq!(items[0].step, Step::ForwardAccept { ns: Ns::Host, from: lit("v"), to: lit("eth0") });
        assert_eq!(
            items[1].step,
            Step::Filter {
                ns: Ns::Host,
                chain: "forward".into(),
                keys: vec![
                    ("iif".into(), Value::Dev(lit("w"))),
                    ("oif".into(), Value::Dev(lit("eth0"))),
                    ("verdict".into(), Value::Text("accept".into())),
                ],
            }
        );
    }
}
