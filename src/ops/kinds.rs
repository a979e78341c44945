//! Kinds of link beyond veth and bridge, each with the options people use,
//! and the settings any link takes (MAC address, alias, ...): their checks
//! and the `ip` commands they stand for.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::check_ifname;
use super::render::quote;

/// The most a VXLAN network identifier holds: 24 bits.
pub const VNI_MAX: u32 = (1 << 24) - 1;
/// 802.1Q leaves 4095 reserved.
pub const VLAN_ID_MAX: u16 = 4094;

/// A link of a kind that `ip link add NAME type KIND ...` makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Vxlan(Vxlan),
    Vlan(Vlan),
    /// A macvlan, or with `tap` a macvtap.
    Macvlan(Macvlan),
    Dummy,
    Tun(Tun),
    Vrf {
        table: u32,
    },
    Wireguard(Wireguard),
    Bond(Bond),
    Tunnel(Tunnel),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vxlan {
    pub vni: u32,
    /// The other VTEP, for a point-to-point tunnel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<IpAddr>,
    /// A multicast group, for many VTEPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<IpAddr>,
    pub dstport: u16,
    /// The underlay device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    pub learning: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vlan {
    pub parent: String,
    pub id: u16,
    /// 802.1ad (QinQ's outer tag) instead of 802.1Q.
    #[serde(default)]
    pub ad: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Macvlan {
    pub parent: String,
    pub mode: MacvlanMode,
    /// A macvtap (with a character device for a VM) instead of a macvlan.
    #[serde(default)]
    pub tap: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MacvlanMode {
    Private,
    Vepa,
    Bridge,
    Passthru,
    Source,
}

impl MacvlanMode {
    pub const ALL: [MacvlanMode; 5] = [
        MacvlanMode::Private,
        MacvlanMode::Vepa,
        MacvlanMode::Bridge,
        MacvlanMode::Passthru,
        MacvlanMode::Source,
    ];

    pub fn word(self) -> &'static str {
        match self {
            MacvlanMode::Private => "private",
            MacvlanMode::Vepa => "vepa",
            MacvlanMode::Bridge => "bridge",
            MacvlanMode::Passthru => "passthru",
            MacvlanMode::Source => "source",
        }
    }

    pub fn parse(word: &str) -> Result<MacvlanMode, String> {
        MacvlanMode::ALL.into_iter().find(|m| m.word() == word).ok_or_else(|| {
            format!("'{word}' is not a macvlan mode; the modes are private, vepa, bridge, passthru, source")
        })
    }
}

/// A persistent tun or tap device, as `ip tuntap add` makes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tun {
    /// Ethernet frames (tap) instead of IP packets (tun).
    pub tap: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
}

/// A WireGuard interface with its keys and peers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wireguard {
    /// Base64, 32 bytes. Never written to the ledger: teardown does not
    /// need it, and a ledger is no place for a secret.
    #[serde(skip_serializing, default)]
    pub private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<WgPeer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WgPeer {
    /// Base64, 32 bytes.
    pub public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<IpNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bond {
    pub mode: BondMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miimon: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BondMode {
    BalanceRr,
    ActiveBackup,
    BalanceXor,
    Broadcast,
    Lacp,
    BalanceTlb,
    BalanceAlb,
}

impl BondMode {
    pub const ALL: [BondMode; 7] = [
        BondMode::BalanceRr,
        BondMode::ActiveBackup,
        BondMode::BalanceXor,
        BondMode::Broadcast,
        BondMode::Lacp,
        BondMode::BalanceTlb,
        BondMode::BalanceAlb,
    ];

    pub fn word(self) -> &'static str {
        match self {
            BondMode::BalanceRr => "balance-rr",
            BondMode::ActiveBackup => "active-backup",
            BondMode::BalanceXor => "balance-xor",
            BondMode::Broadcast => "broadcast",
            BondMode::Lacp => "802.3ad",
            BondMode::BalanceTlb => "balance-tlb",
            BondMode::BalanceAlb => "balance-alb",
        }
    }

    pub fn parse(word: &str) -> Result<BondMode, String> {
        BondMode::ALL.into_iter().find(|m| m.word() == word).ok_or_else(|| {
            let all: Vec<&str> = BondMode::ALL.iter().map(|m| m.word()).collect();
            format!("'{word}' is not a bond mode; the modes are {}", all.join(", "))
        })
    }
}

/// An IPv4 tunnel: GRE (layer 3), GRE tap (layer 2), IP in IP, or IPv6 in IPv4 (sit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tunnel {
    pub kind: TunnelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    Gre,
    Gretap,
    Ipip,
    Sit,
}

impl TunnelKind {
    pub fn word(self) -> &'static str {
        match self {
            TunnelKind::Gre => "gre",
            TunnelKind::Gretap => "gretap",
            TunnelKind::Ipip => "ipip",
            TunnelKind::Sit => "sit",
        }
    }
}

/// What a kind needs from the kernel, to say so when it is missing.
pub struct Support {
    /// "VLAN", "VXLAN": the words for it.
    pub what: &'static str,
    pub module: &'static str,
    pub config: &'static str,
}

impl Support {
    /// "this kernel has no VLAN support (module 8021q, CONFIG_VLAN_8021Q)"
    pub fn missing(&self) -> String {
        format!("this kernel has no {} support (module {}, {})", self.what, self.module, self.config)
    }
}

/// Decodes a WireGuard key: 32 bytes in base64.
pub fn wg_key(text: &str) -> Result<[u8; 32], String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| format!("'{}' is not a WireGuard key (32 bytes in base64)", text.escape_debug()))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!("'{}' is {} bytes of base64; a WireGuard key is 32", text.escape_debug(), bytes.len())
    })
}

impl LinkKind {
    /// The kind as the kernel names it (`ip -d link` prints it).
    pub fn kernel_kind(&self) -> &'static str {
        match self {
            LinkKind::Vxlan(_) => "vxlan",
            LinkKind::Vlan(_) => "vlan",
            LinkKind::Macvlan(m) if m.tap => "macvtap",
            LinkKind::Macvlan(_) => "macvlan",
            LinkKind::Dummy => "dummy",
            LinkKind::Tun(_) => "tun",
            LinkKind::Vrf { .. } => "vrf",
            LinkKind::Wireguard(_) => "wireguard",
            LinkKind::Bond(_) => "bond",
            LinkKind::Tunnel(t) => t.kind.word(),
        }
    }

    /// The words for a kind in messages: "vxlan", "tap", "macvtap".
    pub fn word(&self) -> &'static str {
        match self {
            LinkKind::Tun(t) if t.tap => "tap",
            other => other.kernel_kind(),
        }
    }

    pub fn support(&self) -> Support {
        let (what, module, config) = match self {
            LinkKind::Vxlan(_) => ("VXLAN", "vxlan", "CONFIG_VXLAN"),
            LinkKind::Vlan(_) => ("VLAN", "8021q", "CONFIG_VLAN_8021Q"),
            LinkKind::Macvlan(m) if m.tap => ("macvtap", "macvtap", "CONFIG_MACVTAP"),
            LinkKind::Macvlan(_) => ("macvlan", "macvlan", "CONFIG_MACVLAN"),
            LinkKind::Dummy => ("dummy interface", "dummy", "CONFIG_DUMMY"),
            LinkKind::Tun(_) => ("tun/tap", "tun", "CONFIG_TUN"),
            LinkKind::Vrf { .. } => ("VRF", "vrf", "CONFIG_NET_VRF"),
            LinkKind::Wireguard(_) => ("WireGuard", "wireguard", "CONFIG_WIREGUARD"),
            LinkKind::Bond(_) => ("bonding", "bonding", "CONFIG_BONDING"),
            LinkKind::Tunnel(t) => match t.kind {
                TunnelKind::Gre => ("GRE", "ip_gre", "CONFIG_NET_IPGRE"),
                TunnelKind::Gretap => ("GRE tap", "ip_gre", "CONFIG_NET_IPGRE"),
                TunnelKind::Ipip => ("IP-in-IP", "ipip", "CONFIG_NET_IPIP"),
                TunnelKind::Sit => ("sit (IPv6 in IPv4)", "sit", "CONFIG_IPV6_SIT"),
            },
        };
        Support { what, module, config }
    }

    /// The link this one is made on (a VLAN's, a macvlan's), or its underlay device.
    pub fn parent(&self) -> Option<&str> {
        match self {
            LinkKind::Vlan(v) => Some(&v.parent),
            LinkKind::Macvlan(m) => Some(&m.parent),
            LinkKind::Vxlan(v) => v.dev.as_deref(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if let Some(parent) = self.parent() {
            check_ifname(parent)?;
        }
        match self {
            LinkKind::Vxlan(v) => {
                if v.vni > VNI_MAX {
                    return Err(format!("VNI {} is over {VNI_MAX}, the most 24 bits hold", v.vni));
                }
                if v.remote.is_some() && v.group.is_some() {
                    return Err("a VXLAN has a remote or a group, not both".into());
                }
                if let Some(group) = v.group
                    && !group.is_multicast()
                {
                    return Err(format!("group {group} is not a multicast address"));
                }
                if let Some(remote) = v.remote
                    && remote.is_multicast()
                {
                    return Err(format!("remote {remote} is a multicast address: give it as the group"));
                }
                let far = v.remote.or(v.group);
                if let (Some(far), Some(local)) = (far, v.local)
                    && far.is_ipv4() != local.is_ipv4()
                {
                    return Err(format!("{far} and local {local} are of different address families"));
                }
                if v.dstport == 0 {
                    return Err("dstport 0 is not a UDP port".into());
                }
                if v.ttl == Some(0) {
                    return Err("ttl 0: give a ttl from 1 to 255, or none to inherit".into());
                }
                Ok(())
            }
            LinkKind::Vlan(v) if v.id > VLAN_ID_MAX => {
                Err(format!("VLAN id {} is over {VLAN_ID_MAX}, the largest 802.1Q allows", v.id))
            }
            LinkKind::Vrf { table: 0 } => Err("a VRF needs a routing table other than 0".into()),
            LinkKind::Vrf { table } if [253, 254, 255].contains(table) => Err(format!(
                "table {table} is one of the kernel's own (default, main, local); give a VRF a table of its own"
            )),
            LinkKind::Wireguard(w) => {
                if let Some(key) = &w.private_key {
                    wg_key(key).map_err(|why| format!("private key: {why}"))?;
                }
                if w.listen_port == Some(0) {
                    return Err("listen port 0 is not a UDP port (leave it out for a random one)".into());
                }
                for peer in &w.peers {
                    wg_key(&peer.public_key).map_err(|why| format!("peer public key: {why}"))?;
                    for net in &peer.allowed_ips {
                        if net.network() != net.ip() {
                            return Err(format!(
                                "allowed IP {net} has host bits set; did you mean {}/{}?",
                                net.network(),
                                net.prefix()
                            ));
                        }
                    }
                }
                Ok(())
            }
            LinkKind::Tunnel(t) => {
                if t.key.is_some() && matches!(t.kind, TunnelKind::Ipip | TunnelKind::Sit) {
                    return Err(format!("a {} tunnel has no key (only gre and gretap do)", t.kind.word()));
                }
                if t.kind == TunnelKind::Gretap && t.remote.is_none() {
                    return Err("a gretap tunnel needs a remote address".into());
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Words after `ip link add NAME` (or what makes the link another way).
    pub fn render(&self, ip: &str, name: &str) -> Vec<String> {
        let name = quote(name);
        match self {
            LinkKind::Vxlan(v) => {
                let mut line = format!("{ip}link add {name} type vxlan id {}", v.vni);
                if let Some(remote) = v.remote {
                    line.push_str(&format!(" remote {remote}"));
                }
                if let Some(group) = v.group {
                    line.push_str(&format!(" group {group}"));
                }
                if let Some(local) = v.local {
                    line.push_str(&format!(" local {local}"));
                }
                if let Some(dev) = &v.dev {
                    line.push_str(&format!(" dev {}", quote(dev)));
                }
                line.push_str(&format!(" dstport {}", v.dstport));
                if !v.learning {
                    line.push_str(" nolearning");
                }
                if let Some(ttl) = v.ttl {
                    line.push_str(&format!(" ttl {ttl}"));
                }
                vec![line]
            }
            LinkKind::Vlan(v) => {
                let protocol = if v.ad { " protocol 802.1ad" } else { "" };
                vec![format!(
                    "{ip}link add link {} name {name} type vlan{protocol} id {}",
                    quote(&v.parent),
                    v.id
                )]
            }
            LinkKind::Macvlan(m) => vec![format!(
                "{ip}link add link {} name {name} type {} mode {}",
                quote(&m.parent),
                self.kernel_kind(),
                m.mode.word()
            )],
            LinkKind::Dummy => vec![format!("{ip}link add {name} type dummy")],
            LinkKind::Tun(t) => {
                let mut line =
                    format!("{ip}tuntap add dev {name} mode {}", if t.tap { "tap" } else { "tun" });
                if let Some(owner) = t.owner {
                    line.push_str(&format!(" user {owner}"));
                }
                if let Some(group) = t.group {
                    line.push_str(&format!(" group {group}"));
                }
                vec![line]
            }
            LinkKind::Vrf { table } => vec![format!("{ip}link add {name} type vrf table {table}")],
            LinkKind::Bond(b) => {
                let mut line = format!("{ip}link add {name} type bond mode {}", b.mode.word());
                if let Some(miimon) = b.miimon {
                    line.push_str(&format!(" miimon {miimon}"));
                }
                vec![line]
            }
            LinkKind::Tunnel(t) => {
                let mut line = format!("{ip}link add {name} type {}", t.kind.word());
                if let Some(local) = t.local {
                    line.push_str(&format!(" local {local}"));
                }
                if let Some(remote) = t.remote {
                    line.push_str(&format!(" remote {remote}"));
                }
                if let Some(ttl) = t.ttl {
                    line.push_str(&format!(" ttl {ttl}"));
                }
                if let Some(key) = t.key {
                    line.push_str(&format!(" key {key}"));
                }
                vec![line]
            }
            LinkKind::Wireguard(w) => {
                let mut lines = vec![format!("{ip}link add {name} type wireguard")];
                let mut set = Vec::new();
                if let Some(port) = w.listen_port {
                    set.push(format!("listen-port {port}"));
                }
                if let Some(key) = &w.private_key {
                    set.push(format!("private-key <(echo {})", quote(key)));
                }
                for peer in &w.peers {
                    set.push(format!("peer {}", quote(&peer.public_key)));
                    if let Some(endpoint) = peer.endpoint {
                        set.push(format!("endpoint {endpoint}"));
                    }
                    if !peer.allowed_ips.is_empty() {
                        let ips: Vec<String> = peer.allowed_ips.iter().map(|n| n.to_string()).collect();
                        set.push(format!("allowed-ips {}", ips.join(",")));
                    }
                    if let Some(keepalive) = peer.keepalive {
                        set.push(format!("persistent-keepalive {keepalive}"));
                    }
                }
                if !set.is_empty() {
                    // `wg` has no -n: it runs inside the namespace.
                    let exec = ip.strip_prefix("ip -n ").map(|ns| format!("ip netns exec {ns}"));
                    let prefix = exec.map(|e| format!("{} ", e.trim_end())).unwrap_or_default();
                    lines.push(format!("{prefix}wg set {name} {}", set.join(" ")));
                }
                lines
            }
        }
    }

    /// " (vni 100, remote 192.0.2.2)", " (id 10 on 'eth0')": what sets it apart, for messages.
    pub fn describe(&self) -> String {
        match self {
            LinkKind::Vxlan(v) => match (v.remote, v.group) {
                (Some(remote), _) => format!(" (vni {}, remote {remote})", v.vni),
                (_, Some(group)) => format!(" (vni {}, group {group})", v.vni),
                _ => format!(" (vni {})", v.vni),
            },
            LinkKind::Vlan(v) => format!(" (id {} on '{}')", v.id, v.parent),
            LinkKind::Macvlan(m) => format!(" (on '{}')", m.parent),
            LinkKind::Vrf { table } => format!(" (table {table})"),
            _ => String::new(),
        }
    }
}

/// Settings of any link, each left as it is when None.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSettings {
    /// "02:00:00:00:00:01"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// An empty alias removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txqueuelen: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promisc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
}

/// Parses "02:00:00:00:00:01" into bytes.
pub fn parse_mac(text: &str) -> Result<[u8; 6], String> {
    let bad = || format!("'{}' is not a MAC address (like 02:00:00:00:00:01)", text.escape_debug());
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return Err(bad());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
    }
    Ok(mac)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

impl LinkSettings {
    pub fn is_empty(&self) -> bool {
        *self == LinkSettings::default()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.is_empty() {
            return Err("no setting given".into());
        }
        if let Some(mac) = &self.mac {
            let bytes = parse_mac(mac)?;
            if bytes[0] & 1 == 1 {
                return Err(format!("{mac} is a multicast MAC address; a link needs a unicast one"));
            }
        }
        if let Some(alias) = &self.alias
            && (alias.len() > 255 || alias.contains('\0'))
        {
            return Err("an alias is at most 255 bytes, without NUL".into());
        }
        Ok(())
    }

    pub fn render(&self, ip: &str, dev: &str) -> String {
        let mut line = format!("{ip}link set dev {}", quote(dev));
        if let Some(mac) = &self.mac {
            line.push_str(&format!(" address {mac}"));
        }
        if let Some(alias) = &self.alias {
            line.push_str(&format!(" alias {}", quote(alias)));
        }
        if let Some(len) = self.txqueuelen {
            line.push_str(&format!(" txqueuelen {len}"));
        }
        if let Some(on) = self.promisc {
            line.push_str(&format!(" promisc {}", on_off(on)));
        }
        if let Some(on) = self.arp {
            line.push_str(&format!(" arp {}", on_off(on)));
        }
        if let Some(group) = self.group {
            line.push_str(&format!(" group {group}"));
        }
        line
    }

    pub fn describe(&self) -> String {
        self.render("", "x").trim_start_matches("link set dev x ").to_string()
    }

    /// The settings of `was` that differ from what `self` sets: the undo.
    pub fn restore_from(&self, was: &LinkSettings) -> LinkSettings {
        fn back<T: PartialEq + Clone>(new: &Option<T>, old: &Option<T>) -> Option<T> {
            match (new, old) {
                (Some(n), Some(o)) if n != o => Some(o.clone()),
                _ => None,
            }
        }
        LinkSettings {
            mac: back(&self.mac, &was.mac),
            alias: back(&self.alias, &was.alias),
            txqueuelen: back(&self.txqueuelen, &was.txqueuelen),
            promisc: back(&self.promisc, &was.promisc),
            arp: back(&self.arp, &was.arp),
            group: back(&self.group, &was.group),
        }
    }
}

/// Options of a bridge, each left as it is when None. Times are in
/// hundredths of a second, as `ip link` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_delay: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ageing_time: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan_filtering: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcast_snooping: Option<bool>,
}

impl BridgeOptions {
    pub fn validate(&self) -> Result<(), String> {
        if *self == BridgeOptions::default() {
            return Err("no bridge option given".into());
        }
        if let Some(delay) = self.forward_delay
            && !(200..=3000).contains(&delay)
        {
            return Err(format!(
                "forward_delay {delay} is out of range: the kernel takes 200 to 3000 (hundredths of a second)"
            ));
        }
        Ok(())
    }

    pub fn render(&self, ip: &str, dev: &str) -> String {
        let flag = |on: bool| if on { 1 } else { 0 };
        let mut line = format!("{ip}link set dev {} type bridge", quote(dev));
        if let Some(on) = self.stp {
            line.push_str(&format!(" stp_state {}", flag(on)));
        }
        if let Some(delay) = self.forward_delay {
            line.push_str(&format!(" forward_delay {delay}"));
        }
        if let Some(time) = self.ageing_time {
            line.push_str(&format!(" ageing_time {time}"));
        }
        if let Some(on) = self.vlan_filtering {
            line.push_str(&format!(" vlan_filtering {}", flag(on)));
        }
        if let Some(on) = self.mcast_snooping {
            line.push_str(&format!(" mcast_snooping {}", flag(on)));
        }
        line
    }

    pub fn restore_from(&self, was: &BridgeOptions) -> BridgeOptions {
        fn back<T: PartialEq + Clone>(new: &Option<T>, old: &Option<T>) -> Option<T> {
            match (new, old) {
                (Some(n), Some(o)) if n != o => Some(o.clone()),
                _ => None,
            }
        }
        BridgeOptions {
            stp: back(&self.stp, &was.stp),
            forward_delay: back(&self.forward_delay, &was.forward_delay),
            ageing_time: back(&self.ageing_time, &was.ageing_time),
            vlan_filtering: back(&self.vlan_filtering, &was.vlan_filtering),
            mcast_snooping: back(&self.mcast_snooping, &was.mcast_snooping),
        }
    }
}

/// Options of a bridge port, each left as it is when None.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hairpin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolated: Option<bool>,
}

impl PortOptions {
    pub fn validate(&self) -> Result<(), String> {
        if *self == PortOptions::default() {
            return Err("no port option given".into());
        }
        Ok(())
    }

    pub fn render(&self, exec: &str, dev: &str) -> String {
        let mut line = format!("{exec}bridge link set dev {}", quote(dev));
        for (word, value) in [
            ("learning", self.learning),
            ("flood", self.flood),
            ("hairpin", self.hairpin),
            ("isolated", self.isolated),
        ] {
            if let Some(on) = value {
                line.push_str(&format!(" {word} {}", on_off(on)));
            }
        }
        line
    }

    pub fn restore_from(&self, was: &PortOptions) -> PortOptions {
        let back = |new: Option<bool>, old: Option<bool>| match (new, old) {
            (Some(n), Some(o)) if n != o => Some(o),
            _ => None,
        };
        PortOptions {
            learning: back(self.learning, was.learning),
            flood: back(self.flood, was.flood),
            hairpin: back(self.hairpin, was.hairpin),
            isolated: back(self.isolated, was.isolated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_render_as_ip_commands() {
        let vx = LinkKind::Vxlan(Vxlan {
            vni: 100,
            remote: Some("192.0.2.2".parse().unwrap()),
            local: Some("192.0.2.1".parse().unwrap()),
            dstport: 4789,
            dev: Some("under".into()),
            learning: false,
            ..Vxlan::default()
        });
        assert_eq!(
            vx.render("ip -n a ", "vx0"),
            [
                "ip -n a link add vx0 type vxlan id 100 remote 192.0.2.2 local 192.0.2.1 dev under dstport 4789 nolearning"
            ]
        );
        let vlan = LinkKind::Vlan(Vlan { parent: "eth0".into(), id: 10, ad: true });
        assert_eq!(
            vlan.render("ip ", "eth0.10"),
            ["ip link add link eth0 name eth0.10 type vlan protocol 802.1ad id 10"]
        );
        let tap = LinkKind::Tun(Tun { tap: true, owner: Some(1000), group: None });
        assert_eq!(tap.render("ip ", "tap0"), ["ip tuntap add dev tap0 mode tap user 1000"]);
        let wg = LinkKind::Wireguard(Wireguard {
            private_key: Some("k".into()),
            listen_port: Some(51820),
            peers: vec![WgPeer {
                public_key: "p".into(),
                endpoint: Some("192.0.2.2:51820".parse().unwrap()),
                allowed_ips: vec!["10.9.0.2/32".parse().unwrap()],
                keepalive: Some(25),
            }],
        });
        assert_eq!(
            wg.render("ip -n a ", "wg0"),
            [
                "ip -n a link add wg0 type wireguard",
                "ip netns exec a wg set wg0 listen-port 51820 private-key <(echo k) peer p endpoint 192.0.2.2:51820 \
                 allowed-ips 10.9.0.2/32 persistent-keepalive 25"
            ]
        );
    }

    #[test]
    fn bad_options_say_why() {
        let vx = LinkKind::Vxlan(Vxlan { vni: VNI_MAX + 1, dstport: 4789, ..Vxlan::default() });
        assert!(vx.validate().unwrap_err().contains("VNI 16777216 is over 16777215"));
        let vlan = LinkKind::Vlan(Vlan { parent: "eth0".into(), id: 4095, ad: false });
        assert!(vlan.validate().unwrap_err().contains("VLAN id 4095 is over 4094"));
        assert!(wg_key("c2hvcnQ=").unwrap_err().contains("is 5 bytes of base64; a WireGuard key is 32"));
        assert!(wg_key("not base64!").unwrap_err().contains("not a WireGuard key"));
        assert_eq!(wg_key(&format!("{}=", "A".repeat(43))).unwrap(), [0; 32]);
        assert!(parse_mac("02:00:00:00:00").is_err());
        let multicast = LinkSettings { mac: Some("01:00:5e:00:00:01".into()), ..LinkSettings::default() };
        assert!(multicast.validate().unwrap_err().contains("multicast"));
    }

    #[test]
    fn settings_restore_only_what_changed() {
        let set = LinkSettings { txqueuelen: Some(500), promisc: Some(true), ..LinkSettings::default() };
        let was = LinkSettings { txqueuelen: Some(1000), promisc: Some(true), ..LinkSettings::default() };
        assert_eq!(
            set.restore_from(&was),
            LinkSettings { txqueuelen: Some(1000), ..LinkSettings::default() }
        );
        assert_eq!(set.render("ip ", "v0"), "ip link set dev v0 txqueuelen 500 promisc on");
    }
}
