//! Neighbour entries (`ip neigh`): static ARP/NDP entries and proxy entries.

use std::net::IpAddr;

use nix::errno::Errno;
use rtnetlink::packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use rtnetlink::packet_route::neighbour::{
    NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use super::fdb::{neigh_address, neigh_ip};
use super::request::{ack, dump};
use crate::ops::Netns;
use crate::ops::kinds::parse_mac;
use crate::ops::neighbours::NeighEntry;

/// A neighbour entry as `ip -j neigh` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighInfo {
    pub dev: String,
    pub ip: IpAddr,
    pub lladdr: Option<String>,
    pub proxy: bool,
    /// PERMANENT, REACHABLE, STALE, ...
    pub state: String,
}

fn family(ip: IpAddr) -> AddressFamily {
    if ip.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 }
}

fn message(index: u32, entry: &NeighEntry) -> Result<NeighbourMessage, KernelError> {
    let mut m = NeighbourMessage::default();
    m.header.family = family(entry.ip);
    m.header.ifindex = index;
    m.header.state = if entry.permanent { NeighbourState::Permanent } else { NeighbourState::Reachable };
    if entry.proxy {
        m.header.flags = NeighbourFlags::Proxy;
    }
    m.attributes.push(NeighbourAttribute::Destination(neigh_address(entry.ip)));
    if let Some(mac) = &entry.lladdr {
        m.attributes.push(NeighbourAttribute::LinkLayerAddress(
            parse_mac(mac).map_err(KernelError::Failed)?.to_vec(),
        ));
    }
    Ok(m)
}

impl Kernel {
    pub(super) fn neigh_add(&self, ns: &Netns, dev: &str, entry: &NeighEntry) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let request = RouteNetlinkMessage::NewNeighbour(message(index, entry)?);
        self.block_on(ack(&handle, request, NLM_F_CREATE | NLM_F_EXCL)).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => {
                KernelError::Failed(format!("'{dev}' has a neighbour entry for {} already", entry.ip))
            }
            Some(Errno::EINVAL) => KernelError::Failed(format!(
                "'{dev}' takes no neighbour entries of this kind (a link without ARP, or the wrong address family)"
            )),
            errno => generic(errno, &err),
        })
    }

    pub(super) fn neigh_del(&self, ns: &Netns, dev: &str, entry: &NeighEntry) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let mut m = message(index, entry)?;
        m.attributes.retain(|a| matches!(a, NeighbourAttribute::Destination(_)));
        self.block_on(ack(&handle, RouteNetlinkMessage::DelNeighbour(m), 0)).map_err(|err| {
            match errno_of(&err) {
                Some(Errno::ENOENT) | Some(Errno::ESRCH) => KernelError::NotFound(format!(
                    "'{dev}'{} has no neighbour entry for {}",
                    ns.location(),
                    entry.ip
                )),
                errno => generic(errno, &err),
            }
        })
    }

    /// Neighbour entries of a namespace, proxies included.
    pub(super) fn neighbours(&self, ns: &Netns) -> Result<Vec<NeighInfo>, KernelError> {
        let names: std::collections::HashMap<u32, String> = self.links_raw_names(ns)?.into_iter().collect();
        let handle = self.handle(ns)?;
        let mut found = Vec::new();
        for proxies in [false, true] {
            let mut query = NeighbourMessage::default();
            if proxies {
                query.header.flags = NeighbourFlags::Proxy;
            }
            let answers = self
                .block_on(dump(&handle, RouteNetlinkMessage::GetNeighbour(query)))
                .map_err(|err| generic(errno_of(&err), &err))?;
            for answer in answers {
                let RouteNetlinkMessage::NewNeighbour(m) = answer else { continue };
                if !matches!(m.header.family, AddressFamily::Inet | AddressFamily::Inet6) {
                    continue;
                }
                let Some(dev) = names.get(&m.header.ifindex) else { continue };
                let mut ip = None;
                let mut lladdr = None;
                for attr in &m.attributes {
                    match attr {
                        NeighbourAttribute::Destination(address) => ip = neigh_ip(address),
                        NeighbourAttribute::LinkLayerAddress(mac) => {
                            lladdr = Some(super::links::format_mac(mac))
                        }
                        _ => {}
                    }
                }
                let Some(ip) = ip else { continue };
                let state =
                    if proxies { "PROXY".to_string() } else { m.header.state.to_string().to_uppercase() };
                found.push(NeighInfo { dev: dev.clone(), ip, lladdr, proxy: proxies, state });
            }
        }
        Ok(found)
    }
}
