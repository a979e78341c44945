//! Forwarding database entries of bridges and VXLANs (`bridge fdb`): an
//! RTM_NEWNEIGH of family AF_BRIDGE, with the state and flags `bridge`
//! sends (permanent is NOARP|PERMANENT, static NOARP|REACHABLE).

use std::net::IpAddr;

use nix::errno::Errno;
use rtnetlink::packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL};
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use super::request::{ack, dump};
use crate::ops::Netns;
use crate::ops::kinds::parse_mac;
use crate::ops::neighbours::FdbEntry;

const NUD_REACHABLE: u16 = 0x02;
const NUD_NOARP: u16 = 0x40;
const NUD_PERMANENT: u16 = 0x80;

/// An fdb entry as `bridge -j fdb` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdbInfo {
    pub dev: String,
    pub entry: FdbEntry,
    /// permanent, static, or the word for a learned entry's state.
    pub state: String,
}

pub(super) fn neigh_address(ip: IpAddr) -> NeighbourAddress {
    match ip {
        IpAddr::V4(ip) => NeighbourAddress::Inet(ip),
        IpAddr::V6(ip) => NeighbourAddress::Inet6(ip),
    }
}

pub(super) fn neigh_ip(address: &NeighbourAddress) -> Option<IpAddr> {
    match address {
        NeighbourAddress::Inet(ip) => Some(IpAddr::V4(*ip)),
        NeighbourAddress::Inet6(ip) => Some(IpAddr::V6(*ip)),
        _ => None,
    }
}

fn message(index: u32, entry: &FdbEntry, delete: bool) -> Result<NeighbourMessage, KernelError> {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = index;
    m.header.flags = if entry.master { NeighbourFlags::Controller } else { NeighbourFlags::Own };
    m.header.state = if delete {
        NeighbourState::Noarp
    } else if entry.permanent {
        NeighbourState::Other(NUD_NOARP | NUD_PERMANENT)
    } else {
        NeighbourState::Other(NUD_NOARP | NUD_REACHABLE)
    };
    m.attributes.push(NeighbourAttribute::LinkLayerAddress(
        parse_mac(&entry.mac).map_err(KernelError::Failed)?.to_vec(),
    ));
    if let Some(dst) = entry.dst {
        m.attributes.push(NeighbourAttribute::Destination(neigh_address(dst)));
    }
    if let Some(vni) = entry.vni {
        m.attributes.push(NeighbourAttribute::Vni(vni));
    }
    if let Some(vlan) = entry.vlan {
        m.attributes.push(NeighbourAttribute::Vlan(vlan));
    }
    Ok(m)
}

impl Kernel {
    pub(super) fn fdb_add(
        &self,
        ns: &Netns,
        dev: &str,
        entry: &FdbEntry,
        append: bool,
    ) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let flags = NLM_F_CREATE | if append { NLM_F_APPEND } else { NLM_F_EXCL };
        let request = RouteNetlinkMessage::NewNeighbour(message(index, entry, false)?);
        self.block_on(ack(&handle, request, flags)).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => KernelError::Failed(format!(
                "'{dev}' has an fdb entry for {} already (fdb_append adds another destination)",
                entry.mac
            )),
            Some(Errno::EOPNOTSUPP) | Some(Errno::EINVAL) => KernelError::Failed(format!(
                "'{dev}' does not take this fdb entry: {}",
                if entry.master {
                    "with master, it must be a port of a bridge"
                } else {
                    "a destination (dst) or VNI needs a VXLAN; a bridge port needs master"
                }
            )),
            errno => generic(errno, &err),
        })
    }

    pub(super) fn fdb_del(&self, ns: &Netns, dev: &str, entry: &FdbEntry) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let request = RouteNetlinkMessage::DelNeighbour(message(index, entry, true)?);
        self.block_on(ack(&handle, request, 0)).map_err(|err| match errno_of(&err) {
            Some(Errno::ENOENT) | Some(Errno::ESRCH) => KernelError::NotFound(format!(
                "'{dev}'{} has no fdb entry {}",
                ns.location(),
                entry.describe()
            )),
            errno => generic(errno, &err),
        })
    }

    /// The fdb entries of a namespace (of one device, when given).
    pub(super) fn fdb(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<FdbInfo>, KernelError> {
        let only = dev.map(|d| self.link_index(ns, d)).transpose()?;
        let names: std::collections::HashMap<u32, String> = self.links_raw_names(ns)?.into_iter().collect();
        let handle = self.handle(ns)?;
        let mut query = NeighbourMessage::default();
        query.header.family = AddressFamily::Bridge;
        let answers = self
            .block_on(dump(&handle, RouteNetlinkMessage::GetNeighbour(query)))
            .map_err(|err| generic(errno_of(&err), &err))?;
        let mut found = Vec::new();
        for answer in answers {
            let RouteNetlinkMessage::NewNeighbour(m) = answer else { continue };
            if only.is_some_and(|i| i != m.header.ifindex) {
                continue;
            }
            let Some(dev) = names.get(&m.header.ifindex) else { continue };
            let mut entry = FdbEntry {
                mac: String::new(),
                dst: None,
                vni: None,
                vlan: None,
                master: m.header.flags.contains(NeighbourFlags::Controller),
                permanent: false,
            };
            for attr in &m.attributes {
                match attr {
                    NeighbourAttribute::LinkLayerAddress(mac) => entry.mac = super::links::format_mac(mac),
                    NeighbourAttribute::Destination(address) => entry.dst = neigh_ip(address),
                    NeighbourAttribute::Vni(vni) => entry.vni = Some(*vni),
                    NeighbourAttribute::Vlan(vlan) => entry.vlan = Some(*vlan),
                    _ => {}
                }
            }
            let state = u16::from(m.header.state);
            entry.permanent = state & NUD_PERMANENT != 0;
            let word = if entry.permanent {
                "permanent".to_string()
            } else if state & NUD_NOARP != 0 {
                "static".to_string()
            } else {
                m.header.state.to_string()
            };
            found.push(FdbInfo { dev: dev.clone(), entry, state: word });
        }
        Ok(found)
    }
}
