//! Making links of every kind but veth and bridge: one RTM_NEWLINK in the
//! namespace's socket (tun/tap through /dev/net/tun, as the kernel wants;
//! WireGuard's keys and peers through its generic netlink family). A kind
//! the kernel lacks is found by its answer to the request, before anything
//! is made, and said with the module and the option that bring it.

use std::net::IpAddr;

use nix::errno::Errno;
use rtnetlink::packet_route::link::BondMode as NlBondMode;
use rtnetlink::packet_route::link::{GreIOFlags, LinkMessage, MacVlanMode as NlMode, VlanProtocol};
use rtnetlink::{
    LinkBond, LinkDummy, LinkGre, LinkIpIp, LinkMacVlan, LinkMacVtap, LinkMessageBuilder, LinkSit, LinkVlan,
    LinkVrf, LinkVxlan, LinkWireguard,
};

use super::error::{KernelError, errno_of, generic};
use super::{Kernel, Network};
use crate::ops::Netns;
use crate::ops::kinds::{BondMode, LinkKind, MacvlanMode, Tun, TunnelKind, Vxlan};

/// A tunnel's local and remote end and TTL, set on any of rtnetlink's
/// tunnel builders (each is its own type, with methods of the same names).
macro_rules! ends {
    ($builder:expr, $tunnel:expr) => {{
        let mut b = $builder;
        if let Some(local) = $tunnel.local {
            b = b.local(local);
        }
        if let Some(remote) = $tunnel.remote {
            b = b.remote(remote);
        }
        if let Some(ttl) = $tunnel.ttl {
            b = b.ttl(ttl);
        }
        b
    }};
}

fn nl_mode(mode: MacvlanMode) -> NlMode {
    match mode {
        MacvlanMode::Private => NlMode::Private,
        MacvlanMode::Vepa => NlMode::Vepa,
        MacvlanMode::Bridge => NlMode::Bridge,
        MacvlanMode::Passthru => NlMode::Passthrough,
        MacvlanMode::Source => NlMode::Source,
    }
}

fn nl_bond_mode(mode: BondMode) -> NlBondMode {
    match mode {
        BondMode::BalanceRr => NlBondMode::BalanceRr,
        BondMode::ActiveBackup => NlBondMode::ActiveBackup,
        BondMode::BalanceXor => NlBondMode::BalanceXor,
        BondMode::Broadcast => NlBondMode::Broadcast,
        BondMode::Lacp => NlBondMode::Ieee8023Ad,
        BondMode::BalanceTlb => NlBondMode::BalanceTlb,
        BondMode::BalanceAlb => NlBondMode::BalanceAlb,
    }
}

fn vxlan_message(name: &str, v: &Vxlan, dev: Option<u32>) -> LinkMessage {
    let mut b = LinkMessageBuilder::<LinkVxlan>::new(name).id(v.vni);
    if let Some(far) = v.remote.or(v.group) {
        // One attribute for both: the kernel tells a group by its address.
        b = match far {
            IpAddr::V4(ip) => b.group(ip),
            IpAddr::V6(ip) => b.group6(ip),
        };
    }
    if let Some(local) = v.local {
        b = match local {
            IpAddr::V4(ip) => b.local(ip),
            IpAddr::V6(ip) => b.local6(ip),
        };
    }
    if let Some(index) = dev {
        b = b.dev(index);
    }
    b = b.port(v.dstport);
    if !v.learning {
        b = b.learning(false);
    }
    if let Some(ttl) = v.ttl {
        b = b.ttl(ttl);
    }
    b.build()
}

impl Kernel {
    pub(super) fn link_add(&self, ns: &Netns, name: &str, kind: &LinkKind) -> Result<(), KernelError> {
        if let LinkKind::Tun(tun) = kind {
            return self.tun_add(ns, name, tun);
        }
        let parent = kind.parent().map(|p| self.parent_index(ns, p, kind)).transpose()?;
        let message = match kind {
            LinkKind::Vxlan(v) => vxlan_message(name, v, parent),
            LinkKind::Vlan(v) => {
                let mut b = LinkMessageBuilder::<LinkVlan>::new(name).id(v.id);
                if v.ad {
                    b = b.protocol(VlanProtocol::Ieee8021Ad);
                }
                b.link(parent.unwrap_or_default()).build()
            }
            LinkKind::Macvlan(m) if m.tap => LinkMessageBuilder::<LinkMacVtap>::new(name)
                .mode(nl_mode(m.mode))
                .link(parent.unwrap_or_default())
                .build(),
            LinkKind::Macvlan(m) => LinkMessageBuilder::<LinkMacVlan>::new(name)
                .mode(nl_mode(m.mode))
                .link(parent.unwrap_or_default())
                .build(),
            LinkKind::Dummy => LinkMessageBuilder::<LinkDummy>::new(name).build(),
            LinkKind::Vrf { table } => LinkMessageBuilder::<LinkVrf>::new(name).table_id(*table).build(),
            LinkKind::Wireguard(_) => LinkMessageBuilder::<LinkWireguard>::new(name).build(),
            LinkKind::Bond(b) => {
                let mut builder = LinkMessageBuilder::<LinkBond>::new(name).mode(nl_bond_mode(b.mode));
                if let Some(miimon) = b.miimon {
                    builder = builder.miimon(miimon);
                }
                builder.build()
            }
            LinkKind::Tunnel(t) => match t.kind {
                TunnelKind::Gre | TunnelKind::Gretap => {
                    let b = if t.kind == TunnelKind::Gre {
                        LinkMessageBuilder::<LinkGre>::new_gre(name)
                    } else {
                        LinkMessageBuilder::<LinkGre>::new_gretap(name)
                    };
                    let mut b = ends!(b, t);
                    if let Some(key) = t.key {
                        b = b.ikey(key).okey(key).iflags(GreIOFlags::Key).oflags(GreIOFlags::Key);
                    }
                    b.build()
                }
                TunnelKind::Ipip => ends!(LinkMessageBuilder::<LinkIpIp>::new(name), t).build(),
                TunnelKind::Sit => ends!(LinkMessageBuilder::<LinkSit>::new(name), t).build(),
            },
            LinkKind::Tun(_) => unreachable!("made through /dev/net/tun"),
        };
        let handle = self.handle(ns)?;
        self.block_on(handle.link().add(message).execute()).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => {
                KernelError::Failed(format!("a link named '{name}' already exists in {ns}"))
            }
            // "Unknown device type": no driver registered for the kind,
            // and none the kernel could load.
            Some(Errno::EOPNOTSUPP) => KernelError::Failed(kind.support().missing()),
            Some(Errno::EADDRINUSE) => KernelError::Failed(format!(
                "another {} in {ns} already uses these settings (the same VNI, port or tunnel ends)",
                kind.word()
            )),
            Some(Errno::EBUSY) => KernelError::Failed(format!(
                "'{}' cannot take a {} now (it is a port of a bond or a bridge, or in passthru use)",
                kind.parent().unwrap_or("?"),
                kind.word()
            )),
            errno => generic(errno, &err),
        })?;
        if let LinkKind::Wireguard(w) = kind
            && let Err(err) = self.wireguard_set(ns, name, w)
        {
            // Not half made: the interface goes again.
            let _ = self.link_del(ns, name);
            return Err(err);
        }
        Ok(())
    }

    /// The index of the link a new one is made on, or why it cannot be.
    fn parent_index(&self, ns: &Netns, parent: &str, kind: &LinkKind) -> Result<u32, KernelError> {
        match self.link_index(ns, parent) {
            Ok(index) => Ok(index),
            Err(err) if err.is_not_found() => {
                // Somewhere else? Say so: the parent must be where the link is made.
                let mut elsewhere = Vec::new();
                let mut places = vec![Netns::Host];
                places.extend(self.netns_list().unwrap_or_default().into_iter().map(Netns::Named));
                for place in places.into_iter().filter(|p| p != ns) {
                    if self.link_exists(&place, parent) {
                        elsewhere.push(place.to_string());
                    }
                }
                let what = kind.word();
                if elsewhere.is_empty() {
                    Err(KernelError::Failed(format!(
                        "the parent link '{parent}' of the {what} does not exist in {ns}"
                    )))
                } else {
                    Err(KernelError::Failed(format!(
                        "the parent link '{parent}' of the {what} is not in {ns} but in {}: a {what} is made in \
                         its parent's namespace (move it afterwards with link_set_netns)",
                        elsewhere.join(", ")
                    )))
                }
            }
            Err(err) => Err(err),
        }
    }

    /// A persistent tun or tap, as `ip tuntap add` makes it: TUNSETIFF on
    /// /dev/net/tun from a thread inside the namespace, then owner, group
    /// and persistence, and the file closed.
    fn tun_add(&self, ns: &Netns, name: &str, tun: &Tun) -> Result<(), KernelError> {
        if self.link_exists(ns, name) {
            // TUNSETIFF would attach to an existing tun of that name instead.
            return Err(KernelError::Failed(format!("a link named '{name}' already exists in {ns}")));
        }
        let (name_owned, tun) = (name.to_string(), tun.clone());
        let made = self.in_netns(ns, move || make_tun(&name_owned, &tun));
        made.map_err(|err| match super::error::io_errno(&err) {
            Some(Errno::ENOENT) | Some(Errno::ENODEV) => {
                KernelError::Failed(LinkKind::Tun(Tun::default()).support().missing() + " (no /dev/net/tun)")
            }
            Some(Errno::EBUSY) | Some(Errno::EINVAL) => {
                KernelError::Failed(format!("a link named '{name}' already exists in {ns}"))
            }
            errno => generic(errno, &err),
        })
    }
}

/// The tun driver's requests (linux/if_tun.h).
const TUNSETIFF: u64 = 0x4004_54ca;
const TUNSETPERSIST: u64 = 0x4004_54cb;
const TUNSETOWNER: u64 = 0x4004_54cc;
const TUNSETGROUP: u64 = 0x4004_54ce;
const IFF_TUN: i16 = 0x0001;
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;

/// struct ifreq as TUNSETIFF reads it: the name, then the flags.
#[repr(C)]
struct IfReq {
    name: [u8; 16],
    flags: i16,
    _pad: [u8; 22],
}

fn make_tun(name: &str, tun: &Tun) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new().read(true).write(true).open("/dev/net/tun")?;
    let fd = file.as_raw_fd();
    let mut request =
        IfReq { name: [0; 16], flags: if tun.tap { IFF_TAP } else { IFF_TUN } | IFF_NO_PI, _pad: [0; 22] };
    request.name[..name.len()].copy_from_slice(name.as_bytes());
    let check = |result: i32| if result < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) };
    // SAFETY: the requests are the tun driver's, each given what it reads:
    // an ifreq that outlives the call, or an integer.
    unsafe {
        check(nix::libc::ioctl(fd, TUNSETIFF as _, &mut request as *mut IfReq))?;
        if let Some(owner) = tun.owner {
            check(nix::libc::ioctl(fd, TUNSETOWNER as _, owner as nix::libc::c_ulong))?;
        }
        if let Some(group) = tun.group {
            check(nix::libc::ioctl(fd, TUNSETGROUP as _, group as nix::libc::c_ulong))?;
        }
        check(nix::libc::ioctl(fd, TUNSETPERSIST as _, 1 as nix::libc::c_ulong))?;
    }
    Ok(())
}
