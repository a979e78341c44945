use std::collections::HashMap;
use std::net::IpAddr;

use futures::TryStreamExt;
use ipnetwork::IpNetwork;
use nix::errno::Errno;
use rtnetlink::packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressMessage, AddressScope};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use super::links::link_name;
use crate::ops::Netns;

/// An address on a link, as `ip -j addr` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    pub dev: String,
    pub address: IpNetwork,
    pub scope: String,
}

impl Kernel {
    pub(super) fn addr_add(&self, ns: &Netns, dev: &str, addr: IpNetwork) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let mut request = handle.address().add(index, addr.ip(), addr.prefix());
        // `ip addr add` sets no broadcast unless asked; keep the same state.
        let message = request.message_mut();
        message.attributes.retain(|attr| !matches!(attr, AddressAttribute::Broadcast(_)));
        if addr.is_ipv6() {
            // A lab's IPv6 address works at once, without the second or two
            // of duplicate address detection (`ip addr add ... nodad`).
            message.header.flags |= AddressHeaderFlags::Nodad;
        }
        self.block_on(request.execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => KernelError::Failed(format!("'{dev}' already has address {addr}")),
            errno => generic(errno, &err),
        })
    }

    pub(super) fn addr_del(&self, ns: &Netns, dev: &str, addr: IpNetwork) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let message = match addr.ip() {
            IpAddr::V4(ip) => rtnetlink::AddressMessageBuilder::<std::net::Ipv4Addr>::new()
                .index(index)
                .address(ip, addr.prefix())
                .build(),
            IpAddr::V6(ip) => rtnetlink::AddressMessageBuilder::<std::net::Ipv6Addr>::new()
                .index(index)
                .address(ip, addr.prefix())
                .build(),
        };
        self.block_on(handle.address().del(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EADDRNOTAVAIL) | Some(Errno::ESRCH) => {
                KernelError::NotFound(format!("'{dev}' has no address {addr} in {ns}"))
            }
            errno => generic(errno, &err),
        })
    }

    /// Every address of a namespace (or of one link in it).
    pub(super) fn addrs(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<AddrInfo>, KernelError> {
        let only = dev.map(|dev| self.link_index(ns, dev)).transpose()?;
        let names: HashMap<u32, String> = self.links_raw_names(ns)?.into_iter().collect();
        Ok(self
            .addr_messages(ns)?
            .iter()
            .filter(|m| only.is_none_or(|index| m.header.index == index))
            .filter_map(|m| {
                Some(AddrInfo {
                    dev: names.get(&m.header.index)?.clone(),
                    address: address_of(m)?,
                    scope: scope_name(m.header.scope),
                })
            })
            .collect())
    }

    /// Addresses grouped by link index, as "10.0.0.1/24" strings.
    pub(super) fn addresses_by_index(&self, ns: &Netns) -> Result<HashMap<u32, Vec<String>>, KernelError> {
        let mut by_index: HashMap<u32, Vec<String>> = HashMap::new();
        for message in self.addr_messages(ns)? {
            if let Some(addr) = address_of(&message) {
                by_index.entry(message.header.index).or_default().push(addr.to_string());
            }
        }
        Ok(by_index)
    }

    /// The link that has address `ip` in `ns`, if one has: one dump of the
    /// addresses, and the link's name asked for only when there is one.
    pub(super) fn addr_owner(&self, ns: &Netns, ip: IpAddr) -> Result<Option<String>, KernelError> {
        let owner = self
            .addr_messages(ns)?
            .iter()
            .find(|m| address_of(m).is_some_and(|a| a.ip() == ip))
            .map(|m| m.header.index);
        let Some(index) = owner else { return Ok(None) };
        let handle = self.handle(ns)?;
        let link = self
            .block_on(handle.link().get().match_index(index).execute().try_next())
            .map_err(|err| generic(errno_of(&err), &err))?;
        Ok(Some(link.as_ref().and_then(link_name).unwrap_or_else(|| format!("link {index}"))))
    }

    fn addr_messages(&self, ns: &Netns) -> Result<Vec<AddressMessage>, KernelError> {
        let handle = self.handle(ns)?;
        self.block_on(handle.address().get().execute().try_collect())
            .map_err(|err| generic(errno_of(&err), &err))
    }
}

fn address_of(message: &AddressMessage) -> Option<IpNetwork> {
    // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on
    // point-to-point links and the only one given for IPv6.
    let local = message.attributes.iter().find_map(|attr| match attr {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    let address = message.attributes.iter().find_map(|attr| match attr {
        AddressAttribute::Address(ip) => Some(*ip),
        _ => None,
    });
    let ip = local.or(address)?;
    IpNetwork::new(ip, message.header.prefix_len).ok()
}

fn scope_name(scope: AddressScope) -> String {
    match scope {
        AddressScope::Universe => "global".into(),
        AddressScope::Site => "site".into(),
        AddressScope::Link => "link".into(),
        AddressScope::Host => "host".into(),
        AddressScope::Nowhere => "nowhere".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}
