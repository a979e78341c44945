//! The kernel's neighbour tables (ARP for IPv4, neighbour discovery for
//! IPv6): one per family for the whole machine, shared by every namespace.
//! When one is full, a packet to a new neighbour cannot leave. Netlink tells
//! its size and how often it was full, from inside any namespace (the
//! sysctls and /proc/net/stat that say so exist only in the host's).

use std::net::IpAddr;

use futures::{StreamExt, TryStreamExt};
use rtnetlink::packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::neighbour_table::{NeighbourTableAttribute, NeighbourTableMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use crate::ops::Netns;

/// A neighbour table's size, fill and failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NeighbourTable {
    /// gc_thresh3: the most entries it holds.
    pub most: u32,
    pub entries: u32,
    /// How many times an entry could not be made because it was full.
    pub table_fulls: u64,
}

impl Kernel {
    /// The IPv4 (`arp_cache`) or IPv6 (`ndisc_cache`) neighbour table.
    pub fn neighbour_table(&self, v6: bool) -> Option<NeighbourTable> {
        let mut handle = self.handle(&crate::ops::Netns::Host).ok()?;
        let mut message = NeighbourTableMessage::default();
        message.header.family = if v6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
        let mut request = NetlinkMessage::from(RouteNetlinkMessage::GetNeighbourTable(message));
        request.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        let mut replies = handle.request(request).ok()?;
        let wanted = if v6 { "ndisc_cache" } else { "arp_cache" };
        self.block_on(async move {
            let mut found = None;
            while let Some(reply) = replies.next().await {
                if let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbourTable(table)) =
                    reply.payload
                    && found.is_none()
                {
                    found = read(&table, wanted);
                }
            }
            found
        })
    }
}

impl Kernel {
    /// Deletes the neighbour entries of `ns` for these addresses (not the
    /// permanent ones): what pings to them made, so the shared table has
    /// room again at once (a fresh entry holds its place for half a minute).
    pub fn forget_neighbours(&self, ns: &Netns, addrs: &[IpAddr]) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        let entries: Vec<NeighbourMessage> = self
            .block_on(handle.neighbours().get().execute().try_collect())
            .map_err(|err| generic(errno_of(&err), &err))?;
        for entry in entries {
            let ip = entry.attributes.iter().find_map(|attr| match attr {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(ip)) => Some(IpAddr::V4(*ip)),
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(ip)) => Some(IpAddr::V6(*ip)),
                _ => None,
            });
            if entry.header.state != NeighbourState::Permanent && ip.is_some_and(|ip| addrs.contains(&ip)) {
                // Gone already (the kernel's own collection) is as good.
                let _ = self.block_on(handle.neighbours().del(entry).execute());
            }
        }
        Ok(())
    }
}

/// The table's numbers, from the message for the table itself (the others
/// carry one device's parameters).
fn read(table: &NeighbourTableMessage, wanted: &str) -> Option<NeighbourTable> {
    let mut name = None;
    let mut out = NeighbourTable::default();
    let mut has_config = false;
    for attr in &table.attributes {
        match attr {
            NeighbourTableAttribute::Name(n) => name = Some(n.as_str()),
            NeighbourTableAttribute::Threshold3(most) => out.most = *most,
            NeighbourTableAttribute::Config(config) => {
                out.entries = config.entries;
                has_config = true;
            }
            NeighbourTableAttribute::Stats(stats) => out.table_fulls = stats.table_fulls,
            _ => {}
        }
    }
    (name == Some(wanted) && has_config && out.most > 0).then_some(out)
}
