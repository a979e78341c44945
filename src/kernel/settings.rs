//! Settings of links that exist: MAC address, alias, queue length, flags and
//! group (RTM_SETLINK); bridge and bridge port options (RTM_NEWLINK on the
//! existing link, as `ip link set ... type bridge` sends); VLANs of bridge
//! ports (AF_BRIDGE). And reading each back, for undo and for `show`.

use std::net::IpAddr;

use nix::errno::Errno;
use rtnetlink::packet_route::link::{
    AfSpecBridge, BridgeStpState, BridgeVlanInfoFlags, InfoBridge, InfoBridgePort, InfoData, InfoMacVlan,
    InfoMacVtap, InfoPortData, InfoVlan, InfoVrf, InfoVxlan, LinkAttribute, LinkExtentMask, LinkFlags,
    LinkInfo as NlLinkInfo, LinkMessage, VlanProtocol,
};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{LinkBridge, LinkBridgePort, LinkBridgeVlan, LinkMessageBuilder, LinkUnspec};

use super::error::{KernelError, errno_of, generic};
use super::request::dump;
use super::{Kernel, no_link};
use crate::ops::Netns;
use crate::ops::kinds::{BridgeOptions, LinkSettings, PortOptions, parse_mac};
use crate::ops::neighbours::BridgeVlan;

/// A bridge VLAN of a port, as `bridge -j vlan` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlanInfo {
    pub dev: String,
    pub vlan: BridgeVlan,
}

impl Kernel {
    pub(super) fn link_set(&self, ns: &Netns, dev: &str, s: &LinkSettings) -> Result<(), KernelError> {
        let mut b = LinkUnspec::new_with_name(dev);
        if let Some(mac) = &s.mac {
            b = b.address(parse_mac(mac).map_err(KernelError::Failed)?.to_vec());
        }
        if let Some(alias) = &s.alias {
            b = b.alias(alias.clone());
        }
        if let Some(len) = s.txqueuelen {
            b = b.txqueuelen(len);
        }
        if let Some(on) = s.promisc {
            b = b.promiscuous(on);
        }
        if let Some(on) = s.arp {
            b = b.arp(on);
        }
        if let Some(group) = s.group {
            b = b.link_group(group);
        }
        let handle = self.handle(ns)?;
        self.block_on(handle.link().set(b.build()).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EADDRNOTAVAIL) => KernelError::Failed(format!(
                "'{dev}' does not take MAC address {}",
                s.mac.as_deref().unwrap_or("?")
            )),
            Some(Errno::EBUSY) => {
                KernelError::Failed(format!("'{dev}' is up: set it down before changing its MAC address"))
            }
            Some(Errno::EOPNOTSUPP) => {
                KernelError::Failed(format!("'{dev}' cannot change these settings ({})", s.describe()))
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn bridge_set(&self, ns: &Netns, dev: &str, o: &BridgeOptions) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let mut b = LinkMessageBuilder::<LinkBridge>::new(dev).index(index);
        if let Some(on) = o.stp {
            b = b.stp_state(if on { BridgeStpState::KernelStp } else { BridgeStpState::Disabled });
        }
        if let Some(delay) = o.forward_delay {
            b = b.forward_delay(delay);
        }
        if let Some(time) = o.ageing_time {
            b = b.ageing_time(time);
        }
        if let Some(on) = o.vlan_filtering {
            b = b.vlan_filtering(on);
        }
        if let Some(on) = o.mcast_snooping {
            b = b.mcast_snooping(on);
        }
        let handle = self.handle(ns)?;
        self.block_on(handle.link().change(b.build()).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EOPNOTSUPP) if o.vlan_filtering == Some(true) => KernelError::Failed(
                "this kernel's bridges cannot filter VLANs (CONFIG_BRIDGE_VLAN_FILTERING)".into(),
            ),
            Some(Errno::EOPNOTSUPP) | Some(Errno::EINVAL) => {
                KernelError::Failed(format!("'{dev}' is not a bridge, or does not take these options"))
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn bridge_port_set(&self, ns: &Netns, dev: &str, o: &PortOptions) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let mut b = LinkBridgePort::new(index);
        if let Some(on) = o.learning {
            b = b.learning(on);
        }
        if let Some(on) = o.flood {
            b = b.flood(on);
        }
        if let Some(on) = o.hairpin {
            b = b.hairpin(on);
        }
        if let Some(on) = o.isolated {
            b = b.isolated(on);
        }
        let handle = self.handle(ns)?;
        self.block_on(handle.link().set_port(b.build()).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::EOPNOTSUPP) | Some(Errno::EINVAL) => {
                KernelError::Failed(format!("'{dev}' is not a port of a bridge"))
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn bridge_vlan(
        &self,
        ns: &Netns,
        dev: &str,
        v: &BridgeVlan,
        add: bool,
    ) -> Result<(), KernelError> {
        let index = self.link_index(ns, dev)?;
        let mut flags = BridgeVlanInfoFlags::empty();
        if v.pvid {
            flags |= BridgeVlanInfoFlags::Pvid;
        }
        if v.untagged {
            flags |= BridgeVlanInfoFlags::Untagged;
        }
        let mut b = LinkBridgeVlan::new(index);
        if v.bridge_self {
            b = b.bridge_self();
        }
        let message = b.vlan(v.vid, flags).build();
        let handle = self.handle(ns)?;
        let result = if add {
            self.block_on(handle.link().set(message).execute())
        } else {
            self.block_on(handle.link().del_with_message(message).execute())
        };
        result.map_err(|err| match errno_of(&err) {
            Some(Errno::ENODEV) => no_link(ns, dev),
            Some(Errno::ENOENT) if !add => {
                KernelError::NotFound(format!("'{dev}'{} has no VLAN {}", ns.location(), v.vid))
            }
            Some(Errno::EOPNOTSUPP) => KernelError::Failed(
                "this kernel's bridges have no VLANs (CONFIG_BRIDGE_VLAN_FILTERING), or the link is no bridge port"
                    .into(),
            ),
            Some(Errno::EINVAL) => KernelError::Failed(format!("'{dev}' is not a bridge or a port of one")),
            errno => generic(errno, &err),
        })
    }

    /// The VLANs of every bridge and port in a namespace.
    pub(super) fn bridge_vlans(&self, ns: &Netns) -> Result<Vec<VlanInfo>, KernelError> {
        let handle = self.handle(ns)?;
        let mut query = LinkMessage::default();
        query.header.interface_family = AddressFamily::Bridge;
        query.attributes.push(LinkAttribute::ExtMask(vec![LinkExtentMask::Brvlan]));
        let answers = self
            .block_on(dump(&handle, RouteNetlinkMessage::GetLink(query)))
            .map_err(|err| generic(errno_of(&err), &err))?;
        let mut found = Vec::new();
        for answer in answers {
            let RouteNetlinkMessage::NewLink(link) = answer else { continue };
            let Some(dev) = link.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(n) => Some(n.clone()),
                _ => None,
            }) else {
                continue;
            };
            for attr in &link.attributes {
                let LinkAttribute::AfSpecBridge(specs) = attr else { continue };
                for spec in specs {
                    if let AfSpecBridge::VlanInfo(info) = spec {
                        found.push(VlanInfo {
                            dev: dev.clone(),
                            vlan: BridgeVlan {
                                vid: info.vid,
                                pvid: info.flags.contains(BridgeVlanInfoFlags::Pvid),
                                untagged: info.flags.contains(BridgeVlanInfoFlags::Untagged),
                                bridge_self: false,
                            },
                        });
                    }
                }
            }
        }
        Ok(found)
    }
}

/// What a link message says about the settings netscript changes.
pub(super) fn settings_of(message: &LinkMessage) -> LinkSettings {
    let flags = message.header.flags;
    let mut s = LinkSettings {
        promisc: Some(flags.contains(LinkFlags::Promisc)),
        arp: Some(!flags.contains(LinkFlags::Noarp)),
        alias: Some(String::new()),
        ..LinkSettings::default()
    };
    for attr in &message.attributes {
        match attr {
            LinkAttribute::Address(mac) if mac.len() == 6 => s.mac = Some(super::links::format_mac(mac)),
            LinkAttribute::IfAlias(alias) => s.alias = Some(alias.clone()),
            LinkAttribute::TxQueueLen(len) => s.txqueuelen = Some(*len),
            LinkAttribute::Group(group) => s.group = Some(*group),
            _ => {}
        }
    }
    s
}

/// A bridge's options and a port's, when the link is one.
pub(super) fn bridge_parts(message: &LinkMessage) -> (Option<BridgeOptions>, Option<PortOptions>) {
    let (mut bridge, mut port) = (None, None);
    for attr in &message.attributes {
        let LinkAttribute::LinkInfo(infos) = attr else { continue };
        for info in infos {
            match info {
                NlLinkInfo::Data(InfoData::Bridge(items)) => {
                    let mut o = BridgeOptions::default();
                    for item in items {
                        match item {
                            InfoBridge::StpState(state) => o.stp = Some(*state != BridgeStpState::Disabled),
                            InfoBridge::ForwardDelay(d) => o.forward_delay = Some(*d),
                            InfoBridge::AgeingTime(t) => o.ageing_time = Some(*t),
                            InfoBridge::VlanFiltering(on) => o.vlan_filtering = Some(*on),
                            InfoBridge::MulticastSnooping(on) => o.mcast_snooping = Some(*on),
                            _ => {}
                        }
                    }
                    bridge = Some(o);
                }
                NlLinkInfo::PortData(InfoPortData::BridgePort(items)) => {
                    let mut o = PortOptions::default();
                    for item in items {
                        match item {
                            InfoBridgePort::Learning(on) => o.learning = Some(*on),
                            InfoBridgePort::UnicastFlood(on) => o.flood = Some(*on),
                            InfoBridgePort::HairpinMode(on) => o.hairpin = Some(*on),
                            InfoBridgePort::Isolated(on) => o.isolated = Some(*on),
                            _ => {}
                        }
                    }
                    port = Some(o);
                }
                _ => {}
            }
        }
    }
    (bridge, port)
}

/// The detail that carries a VXLAN's underlay device, by index.
pub(super) const UNDERLAY_INDEX: &str = "underlay index";

/// The key options of a kind, as `show` lists them: ("vni", "100"), ...
pub(super) fn kind_details(message: &LinkMessage) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    for attr in &message.attributes {
        let LinkAttribute::LinkInfo(infos) = attr else { continue };
        for info in infos {
            let NlLinkInfo::Data(data) = info else { continue };
            match data {
                InfoData::Vxlan(items) => {
                    for item in items {
                        match item {
                            InfoVxlan::Id(vni) => push("vni", vni.to_string()),
                            InfoVxlan::Group(ip) => push(far(IpAddr::V4(*ip)), ip.to_string()),
                            InfoVxlan::Group6(ip) => push(far(IpAddr::V6(*ip)), ip.to_string()),
                            InfoVxlan::Local(ip) => push("local", ip.to_string()),
                            InfoVxlan::Local6(ip) => push("local", ip.to_string()),
                            InfoVxlan::Port(port) => push("dstport", port.to_string()),
                            // Resolved to the underlay's name by the caller.
                            InfoVxlan::Link(index) => push(UNDERLAY_INDEX, index.to_string()),
                            InfoVxlan::Learning(on) => push("learning", on.to_string()),
                            _ => {}
                        }
                    }
                }
                InfoData::Vlan(items) => {
                    for item in items {
                        match item {
                            InfoVlan::Id(id) => push("vlan_id", id.to_string()),
                            InfoVlan::Protocol(VlanProtocol::Ieee8021Ad) => {
                                push("protocol", "802.1ad".into())
                            }
                            InfoVlan::Protocol(_) => push("protocol", "802.1Q".into()),
                            _ => {}
                        }
                    }
                }
                InfoData::MacVlan(items) => {
                    for item in items {
                        if let InfoMacVlan::Mode(mode) = item {
                            push("mode", format!("{mode:?}").to_lowercase());
                        }
                    }
                }
                InfoData::MacVtap(items) => {
                    for item in items {
                        if let InfoMacVtap::Mode(mode) = item {
                            push("mode", format!("{mode:?}").to_lowercase());
                        }
                    }
                }
                InfoData::Vrf(items) => {
                    for item in items {
                        if let InfoVrf::TableId(table) = item {
                            push("table", table.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn far(ip: IpAddr) -> &'static str {
    if ip.is_multicast() { "group" } else { "remote" }
}
