use std::collections::HashMap;
use std::os::fd::AsRawFd;

use futures::TryStreamExt;
use nix::errno::Errno;
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo as NlLinkInfo, LinkMessage, State,
};
use rtnetlink::{Handle, LinkBridge, LinkMessageBuilder, LinkUnspec, LinkVeth};

use super::error::{KernelError, errno_of, generic};
use super::{Kernel, Network, no_link};
use crate::ops::{Netns, limits};

/// A link as scripts see it (the fields of `ip -j link` that labs care about).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    pub kind: String,
    /// Operational state as `ip` prints it: UP, DOWN, LOWERLAYERDOWN, UNKNOWN.
    pub state: String,
    /// Administratively up (`ip link set up`).
    pub up: bool,
    pub mtu: u32,
    pub mac: String,
    pub master: Option<String>,
    /// The other end of a veth: its name when it is in the same namespace,
    /// `if<index>` when it is in another one (as `ip link` prints it).
    pub peer: Option<String>,
    pub addresses: Vec<String>,
    /// The link a VLAN, macvlan or VXLAN is made on (its underlay device).
    pub parent: Option<String>,
    /// The key options of its kind: ("vni", "100"), ("vlan_id", "10"), ...
    pub details: Vec<(String, String)>,
    /// MAC address, alias, txqueuelen, promisc, arp and group, as they are.
    pub settings: crate::ops::kinds::LinkSettings,
    /// A bridge's options, when it is one; a bridge port's.
    pub bridge: Option<crate::ops::kinds::BridgeOptions>,
    pub port: Option<crate::ops::kinds::PortOptions>,
}

impl Kernel {
    pub(super) fn veth_add(
        &self,
        ns: &Netns,
        name: &str,
        peer_ns: &Netns,
        peer: &str,
    ) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        // The peer is born straight in its namespace: one message, no move.
        let peer_file = if peer_ns != ns { Some(self.ns_file(peer_ns)?) } else { None };
        let mut peer_msg = LinkMessageBuilder::<LinkUnspec>::new().name(peer);
        if let Some(file) = &peer_file {
            peer_msg = peer_msg.setns_by_fd(file.as_raw_fd());
        }
        let message =
            LinkVeth::new(name, peer).set_info_data(InfoData::Veth(InfoVeth::Peer(peer_msg.build()))).build();
        let result = self.block_on(handle.link().add(message).execute());
        drop(peer_file);
        result.map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => {
                if self.link_exists(ns, name) {
                    KernelError::Failed(format!("a link named '{name}' already exists in {ns}"))
                } else {
                    KernelError::Failed(format!("a link named '{peer}' already exists in {peer_ns}"))
                }
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn bridge_add(&self, ns: &Netns, name: &str) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        // Down, as `ip link add NAME type bridge` makes it (LinkBridge::new
        // would bring it up, hiding a script's missing link_up).
        let message = LinkMessageBuilder::<LinkBridge>::new(name).build();
        self.block_on(handle.link().add(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => {
                KernelError::Failed(format!("a link named '{name}' already exists in {ns}"))
            }
            errno => generic(errno, &err),
        })
    }

    /// RTM_SETLINK addressed by name: the kernel looks the name up itself,
    /// which saves a round trip per operation.
    fn set_by_name(&self, ns: &Netns, dev: &str, message: LinkMessage) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        self.block_on(handle.link().set(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            errno => generic(errno, &err),
        })
    }

    pub(super) fn link_set_up(&self, ns: &Netns, dev: &str, up: bool) -> Result<(), KernelError> {
        let builder = LinkUnspec::new_with_name(dev);
        let builder = if up { builder.up() } else { builder.down() };
        self.set_by_name(ns, dev, builder.build())
    }

    pub(super) fn link_set_master(
        &self,
        ns: &Netns,
        dev: &str,
        master: Option<&str>,
    ) -> Result<(), KernelError> {
        let builder = LinkUnspec::new_with_name(dev);
        let Some(master) = master else {
            return self.set_by_name(ns, dev, builder.nocontroller().build());
        };
        let master_index = self.link_index(ns, master)?;
        let handle = self.handle(ns)?;
        let message = builder.controller(master_index).build();
        self.block_on(handle.link().set(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EOPNOTSUPP) | Some(Errno::EINVAL) => {
                KernelError::Failed(limits::not_a_bridge(master))
            }
            Some(Errno::ELOOP) if dev == master => KernelError::Failed(limits::port_of_itself(dev)),
            Some(Errno::ELOOP) if self.kind_of(ns, dev).as_deref() == Some("bridge") => {
                KernelError::Failed(limits::bridge_in_bridge(dev))
            }
            Some(Errno::ELOOP) => KernelError::Failed(format!(
                "'{dev}' is above '{master}' already (a port of a port): Linux refuses the loop"
            )),
            Some(Errno::EXFULL) => KernelError::Failed(limits::bridge_full(master)),
            Some(Errno::EBUSY) => KernelError::Failed(format!(
                "'{dev}' cannot join '{master}': it carries macvlans or VLANs of its own, or is a port already"
            )),
            errno => generic(errno, &err),
        })
    }

    /// The kind of a link (veth, bridge, ...), if it can be read.
    fn kind_of(&self, ns: &Netns, dev: &str) -> Option<String> {
        let handle = self.handle(ns).ok()?;
        let message = self.block_on(get_link(&handle, dev)).ok()??;
        Some(link_info(&message, &HashMap::new(), Vec::new()).kind)
    }

    pub(super) fn link_set_netns(&self, ns: &Netns, dev: &str, target: &Netns) -> Result<(), KernelError> {
        let file = self.ns_file(target)?;
        let handle = self.handle(ns)?;
        let message = LinkUnspec::new_with_name(dev).setns_by_fd(file.as_raw_fd()).build();
        let result = self.block_on(handle.link().set(message).execute());
        drop(file);
        result.map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EEXIST) => KernelError::Failed(format!("{target} already has a link named '{dev}'")),
            Some(Errno::EINVAL) => match self.kind_of(ns, dev) {
                Some(kind) => {
                    KernelError::Failed(limits::stays_in_its_namespace(dev, &kind, target).unwrap_or_else(
                        || format!("Linux keeps '{dev}' (a {kind}) in the namespace it was made in"),
                    ))
                }
                None => generic(Some(Errno::EINVAL), &err),
            },
            errno => generic(errno, &err),
        })
    }

    pub(super) fn link_rename(&self, ns: &Netns, dev: &str, new_name: &str) -> Result<(), KernelError> {
        // Addressed by index: by name, the new name would be read as the link to change.
        let index = self.link_index(ns, dev)?;
        let handle = self.handle(ns)?;
        let message = LinkUnspec::new_with_index(index).name(new_name).build();
        self.block_on(handle.link().set(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => {
                KernelError::Failed(format!("a link named '{new_name}' already exists in {ns}"))
            }
            Some(Errno::EBUSY) => {
                KernelError::Failed(format!("'{dev}' is up; set it down before renaming it"))
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn link_set_mtu(&self, ns: &Netns, dev: &str, mtu: u32) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        let message = LinkUnspec::new_with_name(dev).mtu(mtu).build();
        self.block_on(handle.link().set(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EINVAL) => KernelError::Failed(match self.mtu_range(ns, dev) {
                Some(range) => limits::mtu_out_of_range(dev, mtu, range),
                None => format!("mtu {mtu} is out of the range that '{dev}' accepts"),
            }),
            errno => generic(errno, &err),
        })
    }

    /// The least and most mtu a link takes, as the kernel reports them.
    fn mtu_range(&self, ns: &Netns, dev: &str) -> Option<(u32, u32)> {
        let handle = self.handle(ns).ok()?;
        let message = self.block_on(get_link(&handle, dev)).ok()??;
        let min = message.attributes.iter().find_map(|a| match a {
            LinkAttribute::MinMtu(min) => Some(*min),
            _ => None,
        })?;
        let max = message.attributes.iter().find_map(|a| match a {
            LinkAttribute::MaxMtu(max) => Some(*max),
            _ => None,
        })?;
        (max > 0).then_some((min, max))
    }

    pub(super) fn link_del(&self, ns: &Netns, dev: &str) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        let message = LinkUnspec::new_with_name(dev).build();
        self.block_on(handle.link().del_with_message(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EOPNOTSUPP) => KernelError::Failed(format!("'{dev}' cannot be deleted")),
            errno => generic(errno, &err),
        })
    }

    /// Deletes many links of one namespace at once: each is put in a group
    /// of its own that no link there has, then the group is deleted, which
    /// the kernel does in one batch (one RCU grace period for all, where one
    /// link at a time costs one each). Links are named by index, as checked.
    pub(super) fn links_del(&self, ns: &Netns, links: &[(String, u32)]) -> Result<(), KernelError> {
        if links.len() < 2 {
            return links.iter().try_for_each(|(dev, _)| self.link_del(ns, dev));
        }
        let messages = self.link_messages(ns)?;
        let handle = self.handle(ns)?;
        let taken: std::collections::HashSet<u32> = messages
            .iter()
            .flat_map(|m| m.attributes.iter())
            .filter_map(|attr| match attr {
                LinkAttribute::Group(group) => Some(*group),
                _ => None,
            })
            .collect();
        // A group number far from the small ones people use, and free here.
        let mut group = 0x4e53_0000 | (std::process::id() & 0xffff);
        while taken.contains(&group) {
            group = group.wrapping_add(0x1_0000) | 0x4000_0000;
        }
        for (dev, index) in links {
            let mut message = LinkUnspec::new_with_index(*index).build();
            message.attributes.push(LinkAttribute::Group(group));
            match self.block_on(handle.link().set(message).execute()) {
                Ok(()) => {}
                Err(err) if errno_of(&err) == Some(Errno::ENODEV) => {}
                Err(err) => {
                    return Err(KernelError::Failed(format!("cannot mark '{dev}' for deletion: {err}")));
                }
            }
        }
        let mut message = LinkUnspec::new_with_index(0).build();
        message.attributes.push(LinkAttribute::Group(group));
        self.block_on(handle.link().del_with_message(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EOPNOTSUPP) => KernelError::Failed("one of the links cannot be deleted".into()),
            errno => generic(errno, &err),
        })
    }

    /// The index of a link, or a NotFound error that names it.
    pub(super) fn link_index(&self, ns: &Netns, dev: &str) -> Result<u32, KernelError> {
        let handle = self.handle(ns)?;
        match self.block_on(get_link(&handle, dev)) {
            Ok(Some(message)) => Ok(message.header.index),
            Ok(None) => Err(no_link(ns, dev)),
            Err(err) => Err(generic(errno_of(&err), &err)),
        }
    }

    /// A link's index and kind, in one round trip.
    pub(super) fn link_identity(&self, ns: &Netns, dev: &str) -> Result<(u32, String), KernelError> {
        let handle = self.handle(ns)?;
        match self.block_on(get_link(&handle, dev)) {
            Ok(Some(message)) => Ok((message.header.index, link_kind(&message))),
            Ok(None) => Err(no_link(ns, dev)),
            Err(err) => Err(generic(errno_of(&err), &err)),
        }
    }

    /// Every link of a namespace, with its addresses.
    pub(super) fn links(&self, ns: &Netns) -> Result<Vec<LinkInfo>, KernelError> {
        let messages = self.link_messages(ns)?;
        let mut addresses = self.addresses_by_index(ns)?;
        let names: HashMap<u32, String> =
            messages.iter().filter_map(|m| link_name(m).map(|name| (m.header.index, name))).collect();
        Ok(messages
            .iter()
            .map(|m| link_info(m, &names, addresses.remove(&m.header.index).unwrap_or_default()))
            .collect())
    }

    /// Name -> (index, kind) of every link of a namespace, from one dump:
    /// what `link_identity` gives, for all links at once.
    pub(super) fn link_identities(&self, ns: &Netns) -> Result<HashMap<String, (u32, String)>, KernelError> {
        let messages = self.link_messages(ns)?;
        Ok(messages
            .iter()
            .filter_map(|m| link_name(m).map(|name| (name, (m.header.index, link_kind(m)))))
            .collect())
    }

    /// One dump of a namespace's links.
    fn link_messages(&self, ns: &Netns) -> Result<Vec<LinkMessage>, KernelError> {
        let handle = self.handle(ns)?;
        self.block_on(handle.link().get().execute().try_collect())
            .map_err(|err| generic(errno_of(&err), &err))
    }

    /// (index, name) of every link of a namespace.
    pub(super) fn links_raw_names(&self, ns: &Netns) -> Result<Vec<(u32, String)>, KernelError> {
        let messages = self.link_messages(ns)?;
        Ok(messages.iter().filter_map(|m| link_name(m).map(|name| (m.header.index, name))).collect())
    }
}

async fn get_link(handle: &Handle, dev: &str) -> Result<Option<LinkMessage>, rtnetlink::Error> {
    match handle.link().get().match_name(dev.to_string()).execute().try_next().await {
        Ok(found) => Ok(found),
        Err(err) if errno_of(&err) == Some(Errno::ENODEV) => Ok(None),
        Err(err) => Err(err),
    }
}

pub(super) fn link_name(message: &LinkMessage) -> Option<String> {
    message.attributes.iter().find_map(|attr| match attr {
        LinkAttribute::IfName(name) => Some(name.clone()),
        _ => None,
    })
}

/// The kind of a link as `ip -d link` names it ("veth", "bridge"), or
/// "loopback"/"device" for those the kernel gives no kind.
fn link_kind(message: &LinkMessage) -> String {
    let kind = message.attributes.iter().find_map(|attr| match attr {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|item| match item {
            NlLinkInfo::Kind(kind) => Some(kind.to_string()),
            _ => None,
        }),
        _ => None,
    });
    kind.unwrap_or_else(|| {
        if message.header.flags.contains(LinkFlags::Loopback) { "loopback" } else { "device" }.into()
    })
}

fn link_info(message: &LinkMessage, names: &HashMap<u32, String>, addresses: Vec<String>) -> LinkInfo {
    let mut info = LinkInfo {
        index: message.header.index,
        name: String::new(),
        kind: String::new(),
        state: "UNKNOWN".into(),
        up: message.header.flags.contains(LinkFlags::Up),
        mtu: 0,
        mac: String::new(),
        master: None,
        peer: None,
        addresses,
        settings: super::settings::settings_of(message),
        details: super::settings::kind_details(message),
        ..LinkInfo::default()
    };
    (info.bridge, info.port) = super::settings::bridge_parts(message);
    let mut peer_index = None;
    let mut peer_elsewhere = false;
    for attr in &message.attributes {
        match attr {
            LinkAttribute::IfName(name) => info.name = name.clone(),
            LinkAttribute::Mtu(mtu) => info.mtu = *mtu,
            LinkAttribute::Address(mac) => info.mac = format_mac(mac),
            LinkAttribute::Controller(index) => {
                info.master = Some(names.get(index).cloned().unwrap_or_else(|| format!("if{index}")))
            }
            LinkAttribute::Link(index) => peer_index = Some(*index),
            LinkAttribute::LinkNetNsId(_) => peer_elsewhere = true,
            LinkAttribute::OperState(state) => info.state = operstate(state),
            _ => {}
        }
    }
    info.kind = link_kind(message);
    if info.kind == InfoKind::Veth.to_string()
        && let Some(index) = peer_index
    {
        info.peer = Some(match names.get(&index) {
            Some(name) if !peer_elsewhere => name.clone(),
            _ => format!("if{index}"),
        });
    } else if let Some(index) = peer_index
        && !peer_elsewhere
    {
        info.parent = names.get(&index).cloned();
    } else if let Some(index) = peer_index {
        info.parent = Some(format!("if{index}"));
    }
    if let Some(at) = info.details.iter().position(|(k, _)| k == super::settings::UNDERLAY_INDEX) {
        let (_, index) = info.details.remove(at);
        let index: u32 = index.parse().unwrap_or_default();
        info.parent = Some(names.get(&index).cloned().unwrap_or_else(|| format!("if{index}")));
    }
    info
}

fn operstate(state: &State) -> String {
    match state {
        State::Up => "UP",
        State::Down => "DOWN",
        State::LowerLayerDown => "LOWERLAYERDOWN",
        State::Dormant => "DORMANT",
        State::Testing => "TESTING",
        State::NotPresent => "NOTPRESENT",
        _ => "UNKNOWN",
    }
    .into()
}

pub(super) fn format_mac(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
