//! Probes that check a firewall from outside it: `tcp_probe`/`udp_probe`
//! from a namespace to an address and port, the assertions built on them,
//! and `listen`, a listener of the lab's for them to reach.

use std::net::SocketAddr;
use std::time::Duration;

use rhai::{Dynamic, Engine, INT, Map};

use super::api::{Fallible, Shared, in_any_netns};
use super::probe_api::seconds;
use crate::kernel::port::PortState;
use crate::ops::{Netns, Proto};

pub fn register(engine: &mut Engine, lab: &Shared) {
    for (name, proto) in [("tcp_probe", Proto::Tcp), ("udp_probe", Proto::Udp)] {
        let l = lab.clone();
        engine.register_fn(name, move |target: &str| -> Fallible<String> {
            probe_word(&l, &Netns::Host, target, Map::new(), proto)
        });
        let l = lab.clone();
        engine.register_fn(name, move |ns: Netns, target: &str| -> Fallible<String> {
            probe_word(&l, &ns, target, Map::new(), proto)
        });
        let l = lab.clone();
        engine.register_fn(name, move |target: &str, options: Map| -> Fallible<String> {
            probe_word(&l, &Netns::Host, target, options, proto)
        });
        let l = lab.clone();
        engine.register_fn(name, move |ns: Netns, target: &str, options: Map| -> Fallible<String> {
            probe_word(&l, &ns, target, options, proto)
        });
    }
    in_any_netns!(engine, lab, "assert_open", |l, ns, target: &str| {
        expect(l, &ns, target, Map::new(), true)
    });
    in_any_netns!(engine, lab, "assert_open", |l, ns, target: &str, options: Map| {
        expect(l, &ns, target, options, true)
    });
    in_any_netns!(engine, lab, "assert_closed", |l, ns, target: &str| {
        expect(l, &ns, target, Map::new(), false)
    });
    in_any_netns!(engine, lab, "assert_closed", |l, ns, target: &str, options: Map| {
        expect(l, &ns, target, options, false)
    });
    in_any_netns!(engine, lab, "listen", |l, ns, port: i64| -> Fallible<Map> {
        listen(l, ns, port, Map::new())
    });
    in_any_netns!(engine, lab, "listen", |l, ns, port: i64, options: Map| -> Fallible<Map> {
        listen(l, ns, port, options)
    });
}

/// A probe's settings: the protocol and how long to wait.
struct Probe {
    proto: Proto,
    timeout: Duration,
}

fn options(map: Map, proto: Option<Proto>) -> Result<Probe, String> {
    let mut probe = Probe { proto: proto.unwrap_or(Proto::Tcp), timeout: Duration::from_secs(1) };
    for (key, value) in map {
        match key.as_str() {
            "timeout" => probe.timeout = seconds("timeout", &value)?,
            "proto" if proto.is_none() => probe.proto = to_proto(&value)?,
            other => {
                let keys = if proto.is_none() { "proto, timeout" } else { "timeout" };
                return Err(format!("unknown option '{other}'; the options are: {keys}"));
            }
        }
    }
    Ok(probe)
}

fn to_proto(value: &Dynamic) -> Result<Proto, String> {
    match value.to_string().as_str() {
        "tcp" => Ok(Proto::Tcp),
        "udp" => Ok(Proto::Udp),
        other => Err(format!("proto is tcp or udp, not '{other}'")),
    }
}

fn to_target(target: &str) -> Result<SocketAddr, String> {
    target.trim().parse().map_err(|_| {
        format!(
            "'{}' is not an address and port like \"10.0.0.2:80\" or \"[fd00::2]:80\"",
            target.escape_debug()
        )
    })
}

fn run(lab: &Shared, ns: &Netns, target: SocketAddr, probe: &Probe) -> Result<PortState, String> {
    let lab = lab.borrow();
    let stop = lab.interrupt_flag();
    lab.net().port_probe(ns, probe.proto, target, probe.timeout, &stop).map_err(|err| err.to_string())
}

fn probe_word(lab: &Shared, ns: &Netns, target: &str, map: Map, proto: Proto) -> Fallible<String> {
    let fail = |why: String| format!("cannot probe {proto} {target} from {ns}: {why}");
    let probe = options(map, Some(proto)).map_err(fail)?;
    let addr = to_target(target).map_err(fail)?;
    Ok(run(lab, ns, addr, &probe).map_err(fail)?.word().to_string())
}

/// Fails the script, at the line that asked, unless `target` is open (or,
/// for `open` false, unless it is not).
fn expect(lab: &Shared, ns: &Netns, target: &str, map: Map, open: bool) -> Fallible<()> {
    let fail = |why: String| format!("cannot probe {target} from {ns}: {why}");
    let probe = options(map, None).map_err(fail)?;
    let addr = to_target(target).map_err(fail)?;
    let state = run(lab, ns, addr, &probe).map_err(fail)?;
    let proto = probe.proto.to_string().to_uppercase();
    let waited = format!("{:.1} s", probe.timeout.as_secs_f64());
    let why = match state {
        // A dry run cannot try: it assumes the check passes.
        PortState::Unknown => return Ok(()),
        PortState::Open if open => return Ok(()),
        PortState::Open => format!("{ns} reaches {proto} {addr}, which should be closed: it answered"),
        _ if !open => return Ok(()),
        PortState::Refused => format!("{ns} cannot reach {proto} {addr}, which should be open: refused"),
        PortState::Unreachable => {
            format!("{ns} cannot reach {proto} {addr}, which should be open: unreachable")
        }
        PortState::Timeout => {
            format!("{ns} cannot reach {proto} {addr}, which should be open: no answer within {waited}")
        }
    };
    Err(why.into())
}

/// Starts a listener of the lab's in `ns` and waits until it is bound:
/// `down` and rollback stop it with the lab's other processes.
fn listen(lab: &Shared, ns: Netns, port: i64, map: Map) -> Fallible<Map> {
    let fail = |why: String| format!("cannot listen on port {port}{}: {why}", ns.location());
    let port =
        u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| fail("ports go from 1 to 65535".into()))?;
    let mut proto = Proto::Tcp;
    for (key, value) in map {
        match key.as_str() {
            "proto" => proto = to_proto(&value).map_err(fail)?,
            other => return Err(fail(format!("unknown option '{other}'; the option is proto")).into()),
        }
    }
    let exe =
        std::env::current_exe().map_err(|err| fail(format!("cannot find netscript's own program: {err}")))?;
    let argv = vec![exe.display().to_string(), "listen".into(), proto.to_string(), port.to_string()];
    let (pid, log) = lab.borrow_mut().spawn(ns.clone(), argv)?;
    {
        let lab = lab.borrow();
        let stop = lab.interrupt_flag();
        lab.net().wait_listening(pid, proto, port, &log, &stop).map_err(|err| fail(err.to_string()))?;
    }
    let mut result = Map::new();
    result.insert("pid".into(), Dynamic::from(INT::from(pid)));
    result.insert("log".into(), log.into());
    result.insert("port".into(), Dynamic::from(INT::from(port)));
    result.insert("proto".into(), proto.to_string().into());
    Ok(result)
}
