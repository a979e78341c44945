//! Turns script arguments into the operation vocabulary, and kernel results
//! into Rhai values.

use rhai::{Array, Dynamic, Map};

use super::cidr::{Cidr, parse_cidr, parse_ip};
use crate::kernel::{AddrInfo, LinkInfo, RouteInfo};
use crate::ops::{Netns, RouteSpec};

/// A namespace argument: a handle from `netns_add`/`netns`/`host`, or a name.
pub fn to_netns(value: &Dynamic) -> Result<Netns, String> {
    if let Some(ns) = value.clone().try_cast::<Netns>() {
        return Ok(ns);
    }
    if value.is_string() {
        return Ok(Netns::Named(value.to_string()));
    }
    Err(format!(
        "expected a namespace (from netns_add, netns or host) or its name, not {}",
        value.type_name()
    ))
}

/// An address argument: "10.0.0.1/24" or a Cidr value.
pub fn to_cidr(value: &Dynamic) -> Result<Cidr, String> {
    if let Some(cidr) = value.clone().try_cast::<Cidr>() {
        return Ok(cidr);
    }
    if value.is_string() {
        return parse_cidr(&value.to_string());
    }
    Err(format!("expected an address like \"10.0.0.1/24\", not {}", value.type_name()))
}

/// A route as scripts write it: `route_add(dst, gateway)` or
/// `route_add(dst, #{via: ..., dev: ..., metric: ...})`, where dst is
/// "default" or a prefix.
pub fn to_route(dst: &Dynamic, spec: &Dynamic) -> Result<RouteSpec, String> {
    let mut route = RouteSpec { dst: None, via: None, dev: None, metric: None, v6: false };
    if let Some(map) = spec.clone().try_cast::<Map>() {
        for (key, value) in map {
            match key.as_str() {
                "via" => route.via = Some(parse_ip(&value.to_string())?),
                "dev" => route.dev = Some(value.to_string()),
                "metric" => {
                    let metric =
                        value.as_int().map_err(|_| format!("metric must be a number, not {value}"))?;
                    route.metric =
                        Some(u32::try_from(metric).map_err(|_| format!("metric {metric} is out of range"))?);
                }
                "v6" | "ipv6" => route.v6 = value.as_bool().unwrap_or(false),
                other => {
                    return Err(format!(
                        "unknown route option '{other}'; the options are via, dev, metric, v6"
                    ));
                }
            }
        }
    } else if spec.is_string() {
        route.via = Some(parse_ip(&spec.to_string())?);
    } else {
        return Err(format!(
            "expected a gateway address or a map like #{{via: \"10.0.0.1\", dev: \"eth0\"}}, not {}",
            spec.type_name()
        ));
    }
    let dst_text = dst.to_string();
    match dst_text.as_str() {
        "default" => {}
        "default6" | "::/0" => route.v6 = true,
        "0.0.0.0/0" => {}
        _ => {
            let net = to_cidr(dst)?;
            if net.network() != net {
                return Err(format!(
                    "{net} is not a network address (its host bits are set); did you mean {}?",
                    net.network()
                ));
            }
            route.dst = Some(net.0);
        }
    }
    if route.via.is_none() && route.dev.is_none() {
        return Err("a route needs a gateway (via) or a device (dev)".into());
    }
    if let (Some(dst), Some(via)) = (route.dst, route.via)
        && dst.is_ipv4() != via.is_ipv4()
    {
        return Err(format!("gateway {via} and destination {dst} are of different address families"));
    }
    if let Some(via) = route.via {
        route.v6 = via.is_ipv6();
    }
    Ok(route)
}

pub fn link_map(link: &LinkInfo) -> Map {
    let mut map = Map::new();
    map.insert("name".into(), link.name.clone().into());
    map.insert("index".into(), Dynamic::from(i64::from(link.index)));
    map.insert("kind".into(), link.kind.clone().into());
    map.insert("state".into(), link.state.clone().into());
    map.insert("up".into(), link.up.into());
    map.insert("mtu".into(), Dynamic::from(i64::from(link.mtu)));
    map.insert("mac".into(), link.mac.clone().into());
    map.insert("master".into(), optional(link.master.clone()));
    map.insert("peer".into(), optional(link.peer.clone()));
    let addresses: Array = link.addresses.iter().map(|a| Dynamic::from(a.clone())).collect();
    map.insert("addresses".into(), addresses.into());
    map
}

pub fn addr_map(addr: &AddrInfo) -> Map {
    let mut map = Map::new();
    map.insert("dev".into(), addr.dev.clone().into());
    map.insert("address".into(), addr.address.to_string().into());
    map.insert("family".into(), if addr.address.is_ipv4() { "inet" } else { "inet6" }.into());
    map.insert("scope".into(), addr.scope.clone().into());
    map
}

pub fn route_map(route: &RouteInfo) -> Map {
    let mut map = Map::new();
    map.insert("dst".into(), route.dst.clone().into());
    map.insert("via".into(), optional(route.via.map(|v| v.to_string())));
    map.insert("dev".into(), optional(route.dev.clone()));
    map.insert("family".into(), if route.v6 { "inet6" } else { "inet" }.into());
    map.insert("protocol".into(), route.protocol.clone().into());
    map.insert("scope".into(), route.scope.clone().into());
    map.insert("metric".into(), route.metric.map_or(Dynamic::UNIT, |m| Dynamic::from(i64::from(m))));
    map
}

fn optional(value: Option<String>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Dynamic {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert((*k).into(), v.clone());
        }
        map.into()
    }

    #[test]
    fn routes_as_scripts_write_them() {
        let route = to_route(&"default".into(), &"192.168.15.1".into()).unwrap();
        assert_eq!((route.dst, route.via.unwrap().to_string()), (None, "192.168.15.1".into()));
        let route = to_route(&"10.0.0.0/24".into(), &map(&[("dev", "v0".into()), ("metric", 10_i64.into())]))
            .unwrap();
        assert_eq!(route.dst.unwrap().to_string(), "10.0.0.0/24");
        assert_eq!((route.dev.as_deref(), route.metric), (Some("v0"), Some(10)));
        let route = to_route(&"default".into(), &"fd00::1".into()).unwrap();
        assert!(route.v6);
    }

    #[test]
    fn bad_routes_say_why() {
        assert!(
            to_route(&"10.0.0.5/24".into(), &"10.0.0.1".into())
                .unwrap_err()
                .contains("did you mean 10.0.0.0/24")
        );
        assert!(to_route(&"default".into(), &map(&[])).unwrap_err().contains("gateway (via) or a device"));
        assert!(
            to_route(&"default".into(), &map(&[("gw", "1.2.3.4".into())]))
                .unwrap_err()
                .contains("unknown route option 'gw'")
        );
        assert!(to_route(&"default".into(), &"10.0.0.256".into()).unwrap_err().contains("'256'"));
        assert!(
            to_route(&"fd00::/64".into(), &"10.0.0.1".into())
                .unwrap_err()
                .contains("different address families")
        );
    }
}
