use std::collections::HashMap;
use std::net::IpAddr;

use futures::TryStreamExt;
use ipnetwork::IpNetwork;
use nix::errno::Errno;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteMetric, RouteNextHop,
    RouteNextHopFlags, RouteProtocol, RouteScope, RouteType,
};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use crate::ops::routing::{RouteKind, TABLE_MAIN};
use crate::ops::{Netns, RouteSpec};

/// One path of a multipath route, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NexthopInfo {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub weight: u16,
}

/// A route, as `ip -j route` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteInfo {
    /// "default" or a prefix.
    pub dst: String,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub v6: bool,
    pub protocol: String,
    pub scope: String,
    pub metric: Option<u32>,
    pub table: u32,
    /// unicast, blackhole, unreachable, prohibit, local, broadcast, ...
    pub kind: String,
    pub src: Option<IpAddr>,
    pub nexthops: Vec<NexthopInfo>,
}

impl Kernel {
    pub(super) fn route_add(&self, ns: &Netns, route: &RouteSpec) -> Result<(), KernelError> {
        let message = self.route_message(ns, route, false)?;
        let handle = self.handle(ns)?;
        let target = route.describe_dst();
        self.block_on(handle.route().add(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENETUNREACH) | Some(Errno::EINVAL) if !route.nexthops.is_empty() => {
                let gateways: Vec<String> =
                    route.nexthops.iter().filter_map(|h| h.via).map(|v| v.to_string()).collect();
                KernelError::Failed(format!(
                    "a gateway of the multipath route ({}) is not reachable from any route in {ns}: \
                     give a link there an address in each gateway's subnet first (or mark the hop onlink)",
                    gateways.join(", ")
                ))
            }
            Some(Errno::ENETUNREACH) => match route.via {
                Some(via) => KernelError::Failed(format!(
                    "gateway {via} is not reachable from any route in {ns}: \
                     give a link there an address in the gateway's subnet first"
                )),
                None => KernelError::Failed(format!("no route in {ns} reaches {target}")),
            },
            Some(Errno::EEXIST) => KernelError::Failed(format!("a route to {target} already exists in {ns}")),
            Some(Errno::ENODEV) => KernelError::Failed(format!(
                "link '{}' in {ns} cannot carry the route (is it down?)",
                route.dev.as_deref().unwrap_or("?")
            )),
            Some(Errno::EINVAL) if route.via.is_some() && route.dev.is_some() => {
                KernelError::Failed(format!(
                    "gateway {} is not on link '{}'",
                    route.via.map(|v| v.to_string()).unwrap_or_default(),
                    route.dev.as_deref().unwrap_or_default()
                ))
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn route_del(&self, ns: &Netns, route: &RouteSpec) -> Result<(), KernelError> {
        let message = self.route_message(ns, route, true)?;
        let handle = self.handle(ns)?;
        self.block_on(handle.route().del(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ESRCH) => {
                KernelError::NotFound(format!("no route to {} in {ns} matches", route.describe_dst()))
            }
            errno => generic(errno, &err),
        })
    }

    /// The RTM_NEWROUTE/RTM_DELROUTE message `ip route add|del` would send.
    fn route_message(
        &self,
        ns: &Netns,
        route: &RouteSpec,
        delete: bool,
    ) -> Result<RouteMessage, KernelError> {
        let first_hop = route.nexthops.iter().find_map(|h| h.via);
        let v6 = route
            .dst
            .map(|d| d.is_ipv6())
            .or(route.via.map(|v| v.is_ipv6()))
            .or(first_hop.map(|v| v.is_ipv6()))
            .unwrap_or(route.v6);
        let mut message = RouteMessage::default();
        let header = &mut message.header;
        header.address_family = if v6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
        let table = route.table_id();
        // As `ip route` does: the header holds a table below 256, the attribute any.
        header.table = if table < 256 { table as u8 } else { RouteHeader::RT_TABLE_UNSPEC };
        header.kind = match route.kind {
            RouteKind::Unicast => RouteType::Unicast,
            RouteKind::Blackhole => RouteType::BlackHole,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Prohibit => RouteType::Prohibit,
        };
        if delete {
            // Match any scope and protocol, as `ip route del` does.
            header.scope = RouteScope::NoWhere;
            header.protocol = RouteProtocol::Unspec;
        } else {
            header.protocol = RouteProtocol::Boot;
            header.scope = if route.via.is_none() && route.dev.is_some() {
                RouteScope::Link
            } else {
                RouteScope::Universe
            };
        }
        if route.onlink {
            header.flags |= RouteFlags::Onlink;
        }
        if table >= 256 || route.table.is_some() {
            message.attributes.push(RouteAttribute::Table(table));
        }
        if let Some(dst) = route.dst {
            header.destination_prefix_length = dst.prefix();
            message.attributes.push(RouteAttribute::Destination(route_address(dst.ip())));
        }
        if let Some(via) = route.via {
            message.attributes.push(RouteAttribute::Gateway(route_address(via)));
        }
        if let Some(dev) = &route.dev {
            message.attributes.push(RouteAttribute::Oif(self.link_index(ns, dev)?));
        }
        if let Some(metric) = route.metric {
            message.attributes.push(RouteAttribute::Priority(metric));
        }
        if let Some(src) = route.src {
            message.attributes.push(RouteAttribute::PrefSource(route_address(src)));
        }
        if let Some(mtu) = route.mtu {
            message.attributes.push(RouteAttribute::Metrics(vec![RouteMetric::Mtu(mtu)]));
        }
        if !route.nexthops.is_empty() {
            let mut hops = Vec::new();
            for hop in &route.nexthops {
                let mut next = RouteNextHop::default();
                next.hops = (hop.weight - 1) as u8;
                if let Some(dev) = &hop.dev {
                    next.interface_index = self.link_index(ns, dev)?;
                }
                if let Some(via) = hop.via {
                    next.attributes.push(RouteAttribute::Gateway(route_address(via)));
                }
                if hop.onlink {
                    next.flags |= RouteNextHopFlags::Onlink;
                }
                hops.push(next);
            }
            message.attributes.push(RouteAttribute::MultiPath(hops));
        }
        Ok(message)
    }

    /// The routes of the main table, IPv4 then IPv6.
    pub(super) fn routes(&self, ns: &Netns) -> Result<Vec<RouteInfo>, KernelError> {
        self.routes_in(ns, Some(TABLE_MAIN))
    }

    /// The routes of one table, or of all (None), IPv4 then IPv6.
    pub(super) fn routes_in(&self, ns: &Netns, table: Option<u32>) -> Result<Vec<RouteInfo>, KernelError> {
        let handle = self.handle(ns)?;
        let names: HashMap<u32, String> = self.links_raw_names(ns)?.into_iter().collect();
        let mut routes = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut query = RouteMessage::default();
            query.header.address_family = family;
            let messages: Vec<RouteMessage> = self
                .block_on(handle.route().get(query).execute().try_collect())
                .map_err(|err| generic(errno_of(&err), &err))?;
            routes.extend(
                messages
                    .iter()
                    .filter(|m| table.is_none_or(|t| table_of(m) == t))
                    .filter(|m| !m.header.flags.contains(RouteFlags::Cloned))
                    .map(|m| route_info(m, &names)),
            );
        }
        Ok(routes)
    }
}

fn route_address(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(ip) => RouteAddress::Inet(ip),
        IpAddr::V6(ip) => RouteAddress::Inet6(ip),
    }
}

fn ip_of(address: &RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(ip) => Some(IpAddr::V4(*ip)),
        RouteAddress::Inet6(ip) => Some(IpAddr::V6(*ip)),
        _ => None,
    }
}

fn table_of(message: &RouteMessage) -> u32 {
    message
        .attributes
        .iter()
        .find_map(|attr| match attr {
            RouteAttribute::Table(table) => Some(*table),
            _ => None,
        })
        .unwrap_or(u32::from(message.header.table))
}

fn route_info(message: &RouteMessage, names: &HashMap<u32, String>) -> RouteInfo {
    let v6 = message.header.address_family == AddressFamily::Inet6;
    let mut info = RouteInfo {
        dst: "default".into(),
        via: None,
        dev: None,
        v6,
        protocol: format!("{:?}", message.header.protocol).to_lowercase(),
        scope: match message.header.scope {
            RouteScope::Universe => "global".into(),
            other => format!("{other:?}").to_lowercase(),
        },
        metric: None,
        table: table_of(message),
        kind: match message.header.kind {
            RouteType::BlackHole => "blackhole".into(),
            other => format!("{other:?}").to_lowercase(),
        },
        src: None,
        nexthops: Vec::new(),
    };
    for attr in &message.attributes {
        match attr {
            RouteAttribute::Destination(address) => {
                if let Some(net) = ip_of(address)
                    .and_then(|ip| IpNetwork::new(ip, message.header.destination_prefix_length).ok())
                {
                    info.dst = net.to_string();
                }
            }
            RouteAttribute::Gateway(address) => info.via = ip_of(address),
            RouteAttribute::Oif(index) => info.dev = names.get(index).cloned(),
            RouteAttribute::Priority(metric) => info.metric = Some(*metric),
            RouteAttribute::PrefSource(address) => info.src = ip_of(address),
            RouteAttribute::MultiPath(hops) => {
                info.nexthops = hops
                    .iter()
                    .map(|hop| NexthopInfo {
                        via: hop.attributes.iter().find_map(|a| match a {
                            RouteAttribute::Gateway(address) => ip_of(address),
                            _ => None,
                        }),
                        dev: names.get(&hop.interface_index).cloned(),
                        weight: u16::from(hop.hops) + 1,
                    })
                    .collect()
            }
            _ => {}
        }
    }
    info
}
