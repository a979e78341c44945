//! Turns script arguments into the operation vocabulary, and kernel results
//! into Rhai values.

use rhai::{Array, Dynamic, Map};

use super::cidr::{Cidr, parse_cidr, parse_ip};
use crate::kernel::{AddrInfo, LinkInfo, RouteInfo};
use crate::ops::routing::{Nexthop, RouteKind, TABLE_MAIN, table_number};
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
    let mut route = RouteSpec::default();
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
                "table" => route.table = Some(to_table(&value)?).filter(|t| *t != TABLE_MAIN),
                "type" => route.kind = RouteKind::parse(&value.to_string())?,
                "onlink" => {
                    route.onlink =
                        value.as_bool().map_err(|_| format!("onlink must be true or false, not {value}"))?
                }
                "src" => route.src = Some(parse_ip(&value.to_string())?),
                "mtu" => {
                    let mtu = value.as_int().map_err(|_| format!("mtu must be a number, not {value}"))?;
                    route.mtu = Some(u32::try_from(mtu).map_err(|_| format!("mtu {mtu} is out of range"))?);
                }
                "nexthops" => route.nexthops = to_nexthops(&value)?,
                other => {
                    return Err(format!(
                        "unknown route option '{other}'; the options are via, dev, metric, v6, table, type, \
                         nexthops, onlink, src, mtu"
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
    if route.via.is_none() && route.dev.is_none() && route.nexthops.is_empty() && route.kind.is_unicast() {
        return Err("a route needs a gateway (via), a device (dev) or next hops".into());
    }
    if route.dst.is_none()
        && let Some(via) = route.nexthops.iter().find_map(|h| h.via)
    {
        route.v6 = via.is_ipv6();
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

/// A routing table: a number, or a name from iproute2's rt_tables.
pub fn to_table(value: &Dynamic) -> Result<u32, String> {
    if let Ok(number) = value.as_int() {
        return match u32::try_from(number) {
            Ok(0) | Err(_) => Err(format!("table {number} is not a routing table (1 to 4294967295)")),
            Ok(n) => Ok(n),
        };
    }
    if value.is_string() {
        return table_number(&value.to_string());
    }
    Err(format!("expected a table number or name, not {}", value.type_name()))
}

/// The paths of a multipath route: `[#{via, dev, weight, onlink}, ...]`.
fn to_nexthops(value: &Dynamic) -> Result<Vec<Nexthop>, String> {
    let items = value.clone().into_array().map_err(|_| "nexthops must be an array of maps".to_string())?;
    let mut hops = Vec::new();
    for item in items {
        let map =
            item.try_cast::<Map>().ok_or("each next hop is a map like #{via: \"10.0.0.1\", weight: 2}")?;
        let mut hop = Nexthop { via: None, dev: None, weight: 1, onlink: false };
        for (key, value) in map {
            match key.as_str() {
                "via" => hop.via = Some(parse_ip(&value.to_string())?),
                "dev" => hop.dev = Some(value.to_string()),
                "weight" => {
                    let w = value.as_int().map_err(|_| format!("weight must be a number, not {value}"))?;
                    hop.weight =
                        u16::try_from(w).map_err(|_| format!("weight {w} is out of range: 1 to 256"))?;
                }
                "onlink" => hop.onlink = value.as_bool().unwrap_or(false),
                other => {
                    return Err(format!(
                        "unknown next hop option '{other}'; the options are via, dev, weight, onlink"
                    ));
                }
            }
        }
        hop.validate()?;
        hops.push(hop);
    }
    if hops.is_empty() {
        return Err("nexthops is empty: give one or more".into());
    }
    Ok(hops)
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
    map.insert("parent".into(), optional(link.parent.clone()));
    let mut details = Map::new();
    for (key, value) in &link.details {
        details.insert(key.as_str().into(), value.clone().into());
    }
    map.insert("details".into(), details.into());
    if let Some(alias) = link.settings.alias.clone().filter(|a| !a.is_empty()) {
        map.insert("alias".into(), alias.into());
    }
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
    map.insert("table".into(), Dynamic::from(i64::from(route.table)));
    map.insert("type".into(), route.kind.clone().into());
    map.insert("src".into(), optional(route.src.map(|s| s.to_string())));
    let hops: Array = route
        .nexthops
        .iter()
        .map(|h| {
            let mut hop = Map::new();
            hop.insert("via".into(), optional(h.via.map(|v| v.to_string())));
            hop.insert("dev".into(), optional(h.dev.clone()));
            hop.insert("weight".into(), Dynamic::from(i64::from(h.weight)));
            Dynamic::from(hop)
        })
        .collect();
    map.insert("nexthops".into(), hops.into());
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
        assert!(
            to_route(&"default".into(), &map(&[])).unwrap_err().contains("gateway (via), a device (dev)")
        );
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
