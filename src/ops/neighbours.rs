//! Entries of the kernel's tables of neighbours: the ARP/NDP cache (`ip
//! neigh`), the forwarding databases of bridges and VXLANs (`bridge fdb`),
//! and the VLANs of bridge ports (`bridge vlan`).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::kinds::{VLAN_ID_MAX, VNI_MAX, parse_mac};
use super::render::quote;

/// An `ip neigh` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighEntry {
    pub ip: IpAddr,
    /// The link-layer address; none for a proxy entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lladdr: Option<String>,
    /// Answer for this address on the link (proxy ARP / NDP).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proxy: bool,
    /// Never expires (nud permanent); else reachable until it ages.
    #[serde(default = "yes")]
    pub permanent: bool,
}

fn yes() -> bool {
    true
}

impl NeighEntry {
    /// Checks the entry; one to add needs its MAC address, unless a proxy.
    pub fn validate(&self, adding: bool) -> Result<(), String> {
        match (&self.lladdr, self.proxy) {
            (Some(_), true) => Err("a proxy entry has no link-layer address".into()),
            (None, false) if adding => {
                Err(format!("a neighbour entry for {} needs its MAC address (lladdr)", self.ip))
            }
            (Some(mac), false) => parse_mac(mac).map(drop),
            _ => Ok(()),
        }
    }

    pub fn render(&self, ip: &str, verb: &str, dev: &str) -> String {
        if self.proxy {
            return format!("{ip}neigh {verb} proxy {} dev {}", self.ip, quote(dev));
        }
        let mut line = format!("{ip}neigh {verb} {}", self.ip);
        if verb != "del"
            && let Some(mac) = &self.lladdr
        {
            line.push_str(&format!(" lladdr {mac}"));
        }
        line.push_str(&format!(" dev {}", quote(dev)));
        if verb != "del" {
            line.push_str(if self.permanent { " nud permanent" } else { " nud reachable" });
        }
        line
    }
}

/// A `bridge fdb` entry: a MAC address on a bridge port, or on a VXLAN
/// with the VTEP behind it (`00:00:00:00:00:00` for flooding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdbEntry {
    pub mac: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// In the bridge's table (`master`), not the device's own (`self`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub master: bool,
    /// `permanent` (a local address) rather than `static`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
}

impl FdbEntry {
    pub fn validate(&self) -> Result<(), String> {
        parse_mac(&self.mac)?;
        if let Some(vni) = self.vni
            && vni > VNI_MAX
        {
            return Err(format!("VNI {vni} is over {VNI_MAX}, the most 24 bits hold"));
        }
        if let Some(vlan) = self.vlan
            && !(1..=VLAN_ID_MAX).contains(&vlan)
        {
            return Err(format!("VLAN {vlan} is out of range: 1 to {VLAN_ID_MAX}"));
        }
        if self.master && (self.dst.is_some() || self.vni.is_some()) {
            return Err("dst and vni belong to a VXLAN's own table (self), not the bridge's (master)".into());
        }
        Ok(())
    }

    pub fn render(&self, exec: &str, verb: &str, dev: &str) -> String {
        let mut line = format!("{exec}bridge fdb {verb} {} dev {}", self.mac, quote(dev));
        if let Some(dst) = self.dst {
            line.push_str(&format!(" dst {dst}"));
        }
        if let Some(vni) = self.vni {
            line.push_str(&format!(" vni {vni}"));
        }
        if let Some(vlan) = self.vlan {
            line.push_str(&format!(" vlan {vlan}"));
        }
        line.push_str(if self.master { " master" } else { " self" });
        if verb != "del" {
            line.push_str(if self.permanent { " permanent" } else { " static" });
        }
        line
    }

    pub fn describe(&self) -> String {
        match self.dst {
            Some(dst) => format!("{} to {dst}", self.mac),
            None => self.mac.clone(),
        }
    }
}

/// A VLAN on a bridge port (or the bridge itself), as `bridge vlan` adds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeVlan {
    pub vid: u16,
    /// Untagged frames coming in belong to this VLAN.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pvid: bool,
    /// Frames going out leave without its tag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untagged: bool,
    /// On the bridge device itself (`self`), rather than on a port.
    #[serde(default, rename = "self", skip_serializing_if = "std::ops::Not::not")]
    pub bridge_self: bool,
}

impl BridgeVlan {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=VLAN_ID_MAX).contains(&self.vid) {
            return Err(format!("VLAN id {} is out of range: 1 to {VLAN_ID_MAX}", self.vid));
        }
        Ok(())
    }

    pub fn render(&self, exec: &str, verb: &str, dev: &str) -> String {
        let mut line = format!("{exec}bridge vlan {verb} dev {} vid {}", quote(dev), self.vid);
        if verb != "del" {
            if self.pvid {
                line.push_str(" pvid");
            }
            if self.untagged {
                line.push_str(" untagged");
            }
        }
        if self.bridge_self {
            line.push_str(" self");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_render_as_commands() {
        let flood = FdbEntry {
            mac: "00:00:00:00:00:00".into(),
            dst: Some("192.0.2.2".parse().unwrap()),
            vni: None,
            vlan: None,
            master: false,
            permanent: true,
        };
        assert_eq!(
            flood.render("ip netns exec a ", "append", "vx0"),
            "ip netns exec a bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.2 self permanent"
        );
        assert_eq!(
            flood.render("", "del", "vx0"),
            "bridge fdb del 00:00:00:00:00:00 dev vx0 dst 192.0.2.2 self"
        );
        let neigh = NeighEntry {
            ip: "10.0.0.2".parse().unwrap(),
            lladdr: Some("02:00:00:00:00:02".into()),
            proxy: false,
            permanent: true,
        };
        assert_eq!(
            neigh.render("ip ", "add", "e0"),
            "ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev e0 nud permanent"
        );
        assert_eq!(neigh.render("ip ", "del", "e0"), "ip neigh del 10.0.0.2 dev e0");
        let vlan = BridgeVlan { vid: 10, pvid: true, untagged: true, bridge_self: false };
        assert_eq!(vlan.render("", "add", "p1"), "bridge vlan add dev p1 vid 10 pvid untagged");
        assert!(BridgeVlan { vid: 4095, ..vlan }.validate().is_err());
    }
}
