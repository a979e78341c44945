//! The functions scripts call. Each kernel function comes in two forms: one
//! that acts in the host namespace (`link_up("veth0")`) and one that takes a
//! namespace first, which Rhai also lets a script call as a method
//! (`red.link_up("eth0")`, like `ip -n red link set eth0 up`).

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext};

use super::cidr::{Cidr, parse_cidr};
use super::convert::{addr_map, link_map, route_map, to_cidr, to_netns, to_route};
use super::params::Params;
use crate::lab::Lab;
use crate::ops::{Netns, Op, RouteSpec};

pub type Shared = Rc<RefCell<Lab>>;
pub(super) type Fallible<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn apply(lab: &Shared, op: Op) -> Fallible<()> {
    lab.borrow_mut().apply(op).map_err(Into::into)
}

/// A native function's body: a panic in it (a bug in netscript) becomes an
/// error at the script's line, so the run rolls back as for any error.
pub(super) fn guarded<T>(body: impl FnOnce() -> Fallible<T>) -> Fallible<T> {
    crate::bug::catch(body).unwrap_or_else(|report| Err(report.into()))
}

/// Registers a function twice: acting in the host namespace, and with a
/// namespace as its first argument. Each form carries its parameters' names
/// and types, for messages about calls that match none.
macro_rules! in_any_netns {
    ($engine:ident, $lab:ident, $name:literal, |$l:ident, $ns:ident $(, $arg:ident : $ty:ty)*| $(-> $ret:ty)? $body:block) => {{
        let params: Vec<String> = vec![$($crate::script::forms::param(stringify!($arg), stringify!($ty))),*];
        let lab = $lab.clone();
        rhai::FuncRegistration::new($name).with_params_info(&params).register_into_engine($engine, move |$($arg: $ty),*| $(-> $ret)? {
            let $l = &lab;
            let $ns = Netns::Host;
            super::api::guarded(|| $body)
        });
        let lab = $lab.clone();
        let params: Vec<String> = std::iter::once("ns: namespace".to_string()).chain(params).collect();
        rhai::FuncRegistration::new($name).with_params_info(&params).register_into_engine($engine, move |ns: Netns, $($arg: $ty),*| $(-> $ret)? {
            let $l = &lab;
            let $ns = ns;
            super::api::guarded(|| $body)
        });
    }};
}
pub(super) use in_any_netns;

/// Registers one function with its parameters' names and types (as
/// `forms::param` writes them).
macro_rules! define {
    ($engine:expr, $name:literal, [$($param:expr),*], $func:expr) => {{
        let params: &[&str] = &[$($param),*];
        rhai::FuncRegistration::new($name).with_params_info(params).register_into_engine($engine, $func);
    }};
}
pub(super) use define;

pub fn register(engine: &mut Engine, lab: &Shared, params: &Rc<RefCell<Params>>) {
    register_netns(engine, lab);
    register_links(engine, lab);
    register_addrs_and_routes(engine, lab);
    register_cidr(engine);
    super::probe_api::register(engine, lab);
    super::firewall_api::register(engine, lab);
    super::port_api::register(engine, lab);
    super::links_api::register(engine, lab);
    super::routing_api::register(engine, lab);
    super::shape_api::register(engine, lab);
    super::node_api::register(engine, lab);
    register_params(engine, params);
    register_view(engine, lab);
    if cfg!(debug_assertions) && std::env::var_os("NETSCRIPT_TEST_PANIC").is_some() {
        // Only for the tests: no known input makes netscript panic.
        in_any_netns!(engine, lab, "test_panic", |l, ns, what: &str| -> Fallible<()> {
            let _ = (l, ns);
            panic!("test panic: {what}")
        });
    }
}

/// `graph()`: the lab so far, as the kernel has it, in DOT (or
/// `graph("mermaid")`, `graph("svg")`); `show()`: its state as text.
fn register_view(engine: &mut Engine, lab: &Shared) {
    let l = lab.clone();
    define!(engine, "graph", [], move || -> Fallible<String> {
        guarded(|| crate::view::lab_graph(&l.borrow(), crate::view::Format::Dot).map_err(Into::into))
    });
    let l = lab.clone();
    define!(engine, "graph", ["format: string"], move |format: &str| -> Fallible<String> {
        let format = <crate::view::Format as clap::ValueEnum>::from_str(format, true)
            .map_err(|_| format!("graph format '{format}': the formats are dot, mermaid and svg"))?;
        guarded(|| crate::view::lab_graph(&l.borrow(), format).map_err(Into::into))
    });
    let l = lab.clone();
    define!(engine, "show", [], move || -> Fallible<String> {
        guarded(|| {
            let state = crate::view::lab_state(&l.borrow())?;
            Ok(crate::view::render_text(&state, &|text| text.to_string()))
        })
    });
}

fn register_netns(engine: &mut Engine, lab: &Shared) {
    engine
        .register_type_with_name::<Netns>("Netns")
        .register_get("name", |ns: &mut Netns| ns.name().unwrap_or("host").to_string())
        .register_fn("to_string", |ns: &mut Netns| ns.name().unwrap_or("host").to_string())
        .register_fn("to_debug", |ns: &mut Netns| format!("{ns}"))
        .register_fn("==", |a: Netns, b: Netns| a == b)
        .register_fn("!=", |a: Netns, b: Netns| a != b);
    define!(engine, "host", [], || Netns::Host);

    let l = lab.clone();
    define!(engine, "netns_add", ["name: string"], move |name: &str| -> Fallible<Netns> {
        apply(&l, Op::NetnsAdd { name: name.to_string(), lo_up: true, ipv6: true })?;
        Ok(Netns::Named(name.to_string()))
    });
    let l = lab.clone();
    define!(engine, "netns_add", ["name: string", "options: map"], move |name: &str,
                                                                         options: Map|
          -> Fallible<Netns> {
        let (lo_up, ipv6) = netns_options(options)?;
        apply(&l, Op::NetnsAdd { name: name.to_string(), lo_up, ipv6 })?;
        Ok(Netns::Named(name.to_string()))
    });
    // Many at once: the kernel makes them on two threads.
    let l = lab.clone();
    define!(engine, "netns_add", ["names: array"], move |names: Array| -> Fallible<Array> {
        netns_add_many(&l, names, Map::new())
    });
    let l = lab.clone();
    define!(engine, "netns_add", ["names: array", "options: map"], move |names: Array,
                                                                         options: Map|
          -> Fallible<Array> {
        netns_add_many(&l, names, options)
    });
    let l = lab.clone();
    define!(engine, "netns_del", ["ns"], move |ns: Dynamic| -> Fallible<()> {
        match to_netns(&ns)? {
            Netns::Named(name) => apply(&l, Op::NetnsDel { name }),
            Netns::Host => Err("the host namespace cannot be deleted".into()),
        }
    });
    let l = lab.clone();
    define!(engine, "dry_run", [], move || l.borrow().net().is_dry_run());
    let l = lab.clone();
    define!(engine, "netns_list", [], move || -> Fallible<Array> {
        let names = l.borrow().net().netns_list().map_err(|err| err.to_string())?;
        Ok(names.into_iter().map(Dynamic::from).collect())
    });
    let l = lab.clone();
    define!(engine, "netns_exists", ["name: string"], move |name: &str| l.borrow().net().netns_exists(name));
    let l = lab.clone();
    define!(engine, "netns", ["name: string"], move |name: &str| -> Fallible<Netns> {
        if l.borrow().net().netns_exists(name) {
            Ok(Netns::Named(name.to_string()))
        } else {
            Err(format!("namespace '{name}' does not exist").into())
        }
    });
}

/// A namespace's options: whether `lo` comes up and IPv6 is on.
fn netns_options(options: Map) -> Fallible<(bool, bool)> {
    let (mut lo_up, mut ipv6) = (true, true);
    for (key, value) in options {
        let flag = value.as_bool().map_err(|_| format!("option {key} must be true or false, not {value}"));
        match key.as_str() {
            "lo" => lo_up = flag?,
            "ipv6" => ipv6 = flag?,
            other => {
                return Err(format!("unknown namespace option '{other}'; the options are: lo, ipv6").into());
            }
        }
    }
    Ok((lo_up, ipv6))
}

/// `netns_add([names], options)`: the namespaces, made in one go.
fn netns_add_many(lab: &Shared, names: Array, options: Map) -> Fallible<Array> {
    guarded(|| {
        let (lo_up, ipv6) = netns_options(options)?;
        let names = names
            .into_iter()
            .map(|name| {
                name.into_string()
                    .map_err(|kind| format!("netns_add: a namespace's name is a string, not {kind}"))
            })
            .collect::<Result<Vec<String>, String>>()?;
        let ops = names.iter().map(|name| Op::NetnsAdd { name: name.clone(), lo_up, ipv6 }).collect();
        lab.borrow_mut().apply_netns_many(ops)?;
        Ok(names.into_iter().map(|name| Dynamic::from(Netns::Named(name))).collect())
    })
}

fn register_links(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "veth_add", |l, ns, name: &str, peer: &str| {
        apply(l, Op::VethAdd { ns: ns.clone(), name: name.into(), peer_ns: ns, peer: peer.into() })
    });
    let l = lab.clone();
    define!(
        engine,
        "veth_add",
        ["ns", "name: string", "peer_ns", "peer: string"],
        move |ns: Dynamic, name: &str, peer_ns: Dynamic, peer: &str| -> Fallible<()> {
            let (ns, peer_ns) = (to_netns(&ns)?, to_netns(&peer_ns)?);
            apply(&l, Op::VethAdd { ns, name: name.into(), peer_ns, peer: peer.into() })
        }
    );
    in_any_netns!(engine, lab, "bridge_add", |l, ns, name: &str| {
        apply(l, Op::BridgeAdd { ns, name: name.into() })
    });
    in_any_netns!(engine, lab, "link_up", |l, ns, dev: &str| {
        apply(l, Op::LinkSetUp { ns, dev: dev.into(), up: true })
    });
    in_any_netns!(engine, lab, "link_down", |l, ns, dev: &str| {
        apply(l, Op::LinkSetUp { ns, dev: dev.into(), up: false })
    });
    in_any_netns!(engine, lab, "link_set_master", |l, ns, dev: &str, master: &str| {
        apply(l, Op::LinkSetMaster { ns, dev: dev.into(), master: Some(master.into()) })
    });
    in_any_netns!(engine, lab, "link_nomaster", |l, ns, dev: &str| {
        apply(l, Op::LinkSetMaster { ns, dev: dev.into(), master: None })
    });
    in_any_netns!(engine, lab, "link_set_netns", |l, ns, dev: &str, target: Dynamic| {
        let target = to_netns(&target)?;
        apply(l, Op::LinkSetNetns { ns, dev: dev.into(), target })
    });
    in_any_netns!(engine, lab, "link_rename", |l, ns, dev: &str, new_name: &str| {
        apply(l, Op::LinkRename { ns, dev: dev.into(), new_name: new_name.into() })
    });
    in_any_netns!(engine, lab, "link_set_mtu", |l, ns, dev: &str, mtu: i64| {
        let mtu = u32::try_from(mtu).map_err(|_| format!("mtu {mtu} is out of range"))?;
        apply(l, Op::LinkSetMtu { ns, dev: dev.into(), mtu })
    });
    in_any_netns!(engine, lab, "link_del", |l, ns, dev: &str| {
        apply(l, Op::LinkDel { ns, dev: dev.into() })
    });
    in_any_netns!(engine, lab, "link_show", |l, ns, dev: &str| -> Fallible<Map> {
        let link = l.borrow().net().link(&ns, dev).map_err(|err| err.to_string())?;
        Ok(link_map(&link))
    });
    in_any_netns!(engine, lab, "link_list", |l, ns| -> Fallible<Array> {
        let links = l.borrow().net().links(&ns).map_err(|err| err.to_string())?;
        Ok(links.iter().map(|link| link_map(link).into()).collect())
    });
    in_any_netns!(engine, lab, "link_exists", |l, ns, dev: &str| -> Fallible<bool> {
        if let Netns::Named(name) = &ns
            && !l.borrow().net().netns_exists(name)
        {
            return Err(format!("namespace '{name}' does not exist").into());
        }
        Ok(l.borrow().net().link_exists(&ns, dev))
    });
}

fn register_addrs_and_routes(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "addr_add", |l, ns, dev: &str, addr: Dynamic| {
        let addr =
            to_cidr(&addr).map_err(|why| format!("cannot add address to '{dev}'{}: {why}", ns.location()))?.0;
        apply(l, Op::AddrAdd { ns, dev: dev.into(), addr })
    });
    in_any_netns!(engine, lab, "addr_del", |l, ns, dev: &str, addr: Dynamic| {
        let addr = to_cidr(&addr)
            .map_err(|why| format!("cannot delete address from '{dev}'{}: {why}", ns.location()))?
            .0;
        apply(l, Op::AddrDel { ns, dev: dev.into(), addr })
    });
    in_any_netns!(engine, lab, "addr_list", |l, ns| -> Fallible<Array> {
        let addrs = l.borrow().net().addrs(&ns, None).map_err(|err| err.to_string())?;
        Ok(addrs.iter().map(|addr| addr_map(addr).into()).collect())
    });
    in_any_netns!(engine, lab, "addr_list", |l, ns, dev: &str| -> Fallible<Array> {
        let addrs = l.borrow().net().addrs(&ns, Some(dev)).map_err(|err| err.to_string())?;
        Ok(addrs.iter().map(|addr| addr_map(addr).into()).collect())
    });
    in_any_netns!(engine, lab, "route_add", |l, ns, dst: Dynamic, gateway: Dynamic| {
        let route = to_route(&dst, &gateway)
            .map_err(|why| format!("cannot add route to {dst}{}: {why}", ns.location()))?;
        check_gateway(l, &ns, &route)?;
        apply(l, Op::RouteAdd { ns, route })
    });
    in_any_netns!(engine, lab, "route_del", |l, ns, dst: Dynamic, gateway: Dynamic| {
        let route = to_route(&dst, &gateway)
            .map_err(|why| format!("cannot delete route to {dst}{}: {why}", ns.location()))?;
        apply(l, Op::RouteDel { ns, route })
    });
    in_any_netns!(engine, lab, "route_list", |l, ns| -> Fallible<Array> {
        let routes = l.borrow().net().routes(&ns).map_err(|err| err.to_string())?;
        Ok(routes.iter().map(|route| route_map(route).into()).collect())
    });
}

/// A gateway is the next router, never the namespace itself: the kernel
/// takes a route via one of its own addresses, which then leads nowhere.
fn check_gateway(lab: &Shared, ns: &Netns, route: &RouteSpec) -> Fallible<()> {
    let Some(via) = route.via else { return Ok(()) };
    // One address dump per route: a lab's hosts each add one.
    match lab.borrow().net().addr_owner(ns, via).unwrap_or_default() {
        Some(dev) => Err(format!(
            "cannot add route {} via {via}{}: {via} is an address of {ns} itself (on {dev}); a gateway \
             is the address of the next router, such as the bridge's or the peer's",
            route.describe_dst(),
            ns.location(),
        )
        .into()),
        None => Ok(()),
    }
}

fn register_cidr(engine: &mut Engine) {
    engine
        .register_type_with_name::<Cidr>("Cidr")
        .register_fn("to_string", |c: &mut Cidr| c.to_string())
        .register_fn("to_debug", |c: &mut Cidr| format!("cidr(\"{c}\")"))
        .register_fn("==", |a: Cidr, b: Cidr| a == b)
        .register_fn("!=", |a: Cidr, b: Cidr| a != b)
        .register_get("ip", |c: &mut Cidr| c.ip().to_string())
        .register_get("prefix", |c: &mut Cidr| i64::from(c.prefix()))
        .register_get("network", |c: &mut Cidr| c.network())
        .register_get("netmask", |c: &mut Cidr| c.netmask().to_string())
        .register_get("size", |c: &mut Cidr| c.size())
        .register_get("broadcast", |c: &mut Cidr| -> Fallible<String> {
            c.broadcast().map(|ip| ip.to_string()).map_err(Into::into)
        });
    define!(engine, "cidr", ["text: string"], |text: &str| -> Fallible<Cidr> {
        parse_cidr(text).map_err(Into::into)
    });
    define!(engine, "host", ["c: Cidr", "n: int"], |c: &mut Cidr, n: i64| -> Fallible<Cidr> {
        c.host(n).map_err(Into::into)
    });
    define!(engine, "contains", ["c: Cidr", "address"], |c: &mut Cidr, other: Dynamic| -> Fallible<bool> {
        Ok(c.contains(&to_cidr(&other)?))
    });
    define!(engine, "split", ["c: Cidr", "prefix: int"], |c: &mut Cidr, prefix: i64| -> Fallible<Array> {
        Ok(c.split(prefix)?.into_iter().map(Dynamic::from).collect())
    });
}

fn register_params(engine: &mut Engine, params: &Rc<RefCell<Params>>) {
    let p = params.clone();
    define!(engine, "param", ["name: string", "default"], move |ctx: NativeCallContext,
                                                                name: &str,
                                                                default: Dynamic|
          -> Fallible<Dynamic> {
        // A function as the default is called only when the parameter is
        // not given: `param("uplink", || host().uplink())` needs no default
        // route when uplink= is given.
        if let Some(lazy) = default.clone().try_cast::<FnPtr>() {
            let given = p.borrow_mut().given(name);
            return match given {
                Some(text) => Ok(Dynamic::from(text)),
                None => lazy.call_within_context::<Dynamic>(&ctx, ()),
            };
        }
        p.borrow_mut().get(name, default).map_err(Into::into)
    });
    let p = params.clone();
    define!(engine, "param", ["name: string"], move |name: &str| -> Fallible<Dynamic> {
        p.borrow_mut().require(name).map_err(Into::into)
    });
}
