//! Forwarding, NAT and forward rules: sysctls and netscript's own nftables
//! table, in the host or any namespace.

use std::net::SocketAddr;

use rhai::{Dynamic, Engine, Map};

use super::api::{Fallible, Shared, apply, in_any_netns};
use super::cidr::parse_ip;
use super::convert::to_cidr;
use crate::ops::{Netns, Op, Proto, Rule};

const IPV4_FORWARD: &str = "net.ipv4.ip_forward";
const IPV6_FORWARD: &str = "net.ipv6.conf.all.forwarding";

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
    in_any_netns!(engine, lab, "masquerade", |l, ns, subnet: Dynamic, out: &str| {
        let subnet = to_cidr(&subnet)
            .map_err(|why| format!("cannot masquerade out of '{out}'{}: {why}", ns.location()))?
            .0;
        apply(l, Op::FirewallAdd { ns, rule: Rule::Masquerade { subnet, out: out.into() } })
    });
    in_any_netns!(engine, lab, "forward_accept", |l, ns, from: &str, to: &str| {
        apply(l, Op::FirewallAdd { ns, rule: Rule::ForwardAccept { from: from.into(), to: to.into() } })
    });
    in_any_netns!(engine, lab, "port_forward", |l, ns, port: i64, to: &str| {
        port_forward(l, ns, port, to, Map::new())
    });
    in_any_netns!(engine, lab, "port_forward", |l, ns, port: i64, to: &str, options: Map| {
        port_forward(l, ns, port, to, options)
    });
    in_any_netns!(engine, lab, "uplink", |l, ns| -> Fallible<String> { uplink(l, &ns) });
}

fn set(lab: &Shared, ns: &Netns, key: &str, on: bool) -> Fallible<()> {
    let value = if on { "1" } else { "0" };
    apply(lab, Op::SysctlSet { ns: ns.clone(), key: key.into(), value: value.into() })
}

fn port_forward(lab: &Shared, ns: Netns, port: i64, to: &str, options: Map) -> Fallible<()> {
    let fail = |why: String| format!("cannot forward port {port}{} to {to}: {why}", ns.location());
    let port =
        u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| fail("ports go from 1 to 65535".into()))?;
    let target: SocketAddr = match to.parse() {
        Ok(target) => target,
        // An address alone keeps the port.
        Err(_) => SocketAddr::new(parse_ip(to).map_err(fail)?, port),
    };
    let mut proto = Proto::Tcp;
    let mut iif = None;
    for (key, value) in options {
        match (key.as_str(), value.to_string().as_str()) {
            ("proto", "tcp") => proto = Proto::Tcp,
            ("proto", "udp") => proto = Proto::Udp,
            ("proto", other) => return Err(fail(format!("proto is tcp or udp, not '{other}'")).into()),
            ("iif", name) => iif = Some(name.to_string()),
            (other, _) => {
                return Err(fail(format!("unknown option '{other}'; the options are proto, iif")).into());
            }
        }
    }
    let rule = Rule::PortForward { proto, port, to: target.ip(), to_port: target.port(), iif };
    apply(lab, Op::FirewallAdd { ns, rule })
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
