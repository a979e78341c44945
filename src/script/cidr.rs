//! Address arithmetic for scripts: a `Cidr` is an address with its prefix
//! ("10.0.0.5/24"), the form `addr_add` takes and subnets are written in.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnetwork::IpNetwork;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(pub IpNetwork);

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parses "10.0.0.1/24", "fd00::1/64", or a bare address (a /32 or /128,
/// as `ip addr add` reads it).
pub fn parse_cidr(text: &str) -> Result<Cidr, String> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let ip = parse_ip(addr)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(p) if p <= max => p,
            Ok(p) => {
                return Err(format!(
                    "'{text}': prefix length {p} is too long for {} (at most {max})",
                    family(&ip)
                ));
            }
            Err(_) => return Err(format!("'{text}': '{p}' is not a prefix length (0 to {max})")),
        },
    };
    IpNetwork::new(ip, prefix).map(Cidr).map_err(|err| format!("'{text}': {err}"))
}

/// Parses an address alone, with an error that says what is wrong with it.
pub fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let text = text.trim();
    text.parse::<IpAddr>().map_err(|_| {
        if text.contains(':') {
            format!("'{text}' is not a valid IPv6 address")
        } else if let Some(bad) = text.split('.').find(|octet| octet.parse::<u8>().is_err()) {
            if text.split('.').count() != 4 {
                format!("'{text}' is not a valid IPv4 address (it needs four numbers separated by dots)")
            } else {
                format!("'{text}' is not a valid IPv4 address ('{bad}' is not a number from 0 to 255)")
            }
        } else {
            format!("'{text}' is not a valid IPv4 address (it needs four numbers separated by dots)")
        }
    })
}

/// Parses "10.0.0.5:80", "[fd00::5]:80", or an address alone, which gets
/// `default_port`; says what is wrong with the address or the port.
pub fn parse_socket(text: &str, default_port: u16) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port = |p: &str| match p.parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        Ok(port) => Err(format!("port {port} is out of range: ports go from 1 to 65535")),
        Err(_) => Err(format!("'{p}' is not a port (a number from 1 to 65535)")),
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) =
            rest.split_once(']').ok_or_else(|| format!("'{text}' lacks the ']' after its address"))?;
        let ip = parse_ip(ip)?;
        return match after.strip_prefix(':') {
            Some(p) => Ok(SocketAddr::new(ip, port(p)?)),
            None if after.is_empty() => Ok(SocketAddr::new(ip, default_port)),
            None => Err(format!("'{text}': write an IPv6 address and port as [fd00::5]:80")),
        };
    }
    match text.split_once(':') {
        // One colon: an IPv4 address and a port.
        Some((ip, p)) if !p.contains(':') => Ok(SocketAddr::new(parse_ip(ip)?, port(p)?)),
        _ => Ok(SocketAddr::new(parse_ip(text)?, default_port)),
    }
}

fn family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
}

impl Cidr {
    pub fn ip(&self) -> IpAddr {
        self.0.ip()
    }

    pub fn prefix(&self) -> u8 {
        self.0.prefix()
    }

    /// The subnet itself: host bits cleared.
    pub fn network(&self) -> Cidr {
        Cidr(IpNetwork::new(self.0.network(), self.prefix()).expect("a network keeps its prefix"))
    }

    pub fn broadcast(&self) -> Result<IpAddr, String> {
        match self.0 {
            IpNetwork::V4(net) => Ok(IpAddr::V4(net.broadcast())),
            IpNetwork::V6(_) => Err(format!("{self}: IPv6 has no broadcast address")),
        }
    }

    pub fn netmask(&self) -> IpAddr {
        self.0.mask()
    }

    /// Number of addresses in the subnet, saturating at i64::MAX.
    pub fn size(&self) -> i64 {
        let bits = self.host_bits();
        if bits >= 63 { i64::MAX } else { 1i64 << bits }
    }

    fn host_bits(&self) -> u32 {
        let max = if self.0.is_ipv4() { 32 } else { 128 };
        max - u32::from(self.prefix())
    }

    /// How many addresses a host may use: all but network and broadcast,
    /// except in /31 and /32 (RFC 3021) and in IPv6, which has no broadcast.
    fn usable(&self) -> (u128, u128) {
        let bits = self.host_bits();
        let count: u128 = if bits >= 128 { u128::MAX } else { 1u128 << bits };
        match self.0 {
            IpNetwork::V4(_) if bits <= 1 => (0, count - 1),
            IpNetwork::V4(_) => (1, count - 2),
            IpNetwork::V6(_) if bits == 0 => (0, 0),
            IpNetwork::V6(_) => (1, count - 1),
        }
    }

    /// The n-th host of the subnet with the subnet's prefix: host(5) of
    /// 10.0.0.0/24 is 10.0.0.5/24. Negative n counts back from the last
    /// usable address: host(-1) is 10.0.0.254/24.
    pub fn host(&self, n: i64) -> Result<Cidr, String> {
        let (first, last) = self.usable();
        let offset: u128 = if n >= 0 {
            n as u128
        } else {
            last.checked_sub(n.unsigned_abs() as u128 - 1).unwrap_or(u128::MAX)
        };
        if offset < first || offset > last {
            let hosts = last - first + 1;
            return Err(format!(
                "{} has hosts {first} to {last} ({hosts} in all); host {n} is outside it",
                self.network()
            ));
        }
        let ip = match self.0.network() {
            IpAddr::V4(base) => IpAddr::V4(Ipv4Addr::from(u32::from(base) + offset as u32)),
            IpAddr::V6(base) => IpAddr::V6(Ipv6Addr::from(u128::from(base) + offset)),
        };
        Ok(Cidr(IpNetwork::new(ip, self.prefix()).expect("same prefix")))
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        self.0.is_ipv4() == other.0.is_ipv4()
            && self.0.contains(other.0.network())
            && other.prefix() >= self.prefix()
    }

    /// Splits the subnet into subnets of a longer prefix.
    pub fn split(&self, prefix: i64) -> Result<Vec<Cidr>, String> {
        const MAX_PARTS: u32 = 65536;
        let max = if self.0.is_ipv4() { 32 } else { 128 };
        if prefix < i64::from(self.prefix()) || prefix > max {
            return Err(format!(
                "cannot split {} into /{prefix} subnets: the prefix must be from {} to {max}",
                self.network(),
                self.prefix()
            ));
        }
        let extra = prefix as u32 - u32::from(self.prefix());
        if extra > 16 {
            return Err(format!(
                "splitting {} into /{prefix} subnets makes 2^{extra} of them; at most {MAX_PARTS} are allowed",
                self.network()
            ));
        }
        let step_bits = max as u32 - prefix as u32;
        let parts = 1u32 << extra;
        let prefix = prefix as u8;
        Ok((0..parts)
            .map(|i| {
                let offset = u128::from(i) << step_bits;
                let ip = match self.0.network() {
                    IpAddr::V4(base) => IpAddr::V4(Ipv4Addr::from(u32::from(base) + offset as u32)),
                    IpAddr::V6(base) => IpAddr::V6(Ipv6Addr::from(u128::from(base) + offset)),
                };
                Cidr(IpNetwork::new(ip, prefix).expect("prefix checked"))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> Cidr {
        parse_cidr(text).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(c("10.0.0.5/24").to_string(), "10.0.0.5/24");
        assert_eq!(c("10.0.0.5").to_string(), "10.0.0.5/32");
        assert_eq!(c("fd00::1/64").to_string(), "fd00::1/64");
    }

    #[test]
    fn wrong_input_says_what_is_wrong() {
        assert_eq!(
            parse_cidr("10.0.0.300/24").unwrap_err(),
            "'10.0.0.300' is not a valid IPv4 address ('300' is not a number from 0 to 255)"
        );
        assert!(parse_cidr("10.0.0/24").unwrap_err().contains("four numbers"));
        assert_eq!(
            parse_cidr("10.0.0.1/33").unwrap_err(),
            "'10.0.0.1/33': prefix length 33 is too long for IPv4 (at most 32)"
        );
        assert!(parse_cidr("10.0.0.1/x").unwrap_err().contains("not a prefix length"));
        assert!(parse_cidr("fd00::zz/64").unwrap_err().contains("IPv6"));
    }

    #[test]
    fn addresses_with_ports() {
        assert_eq!(parse_socket("10.0.0.5:80", 1).unwrap().to_string(), "10.0.0.5:80");
        assert_eq!(parse_socket("10.0.0.5", 7777).unwrap().to_string(), "10.0.0.5:7777");
        assert_eq!(parse_socket("[fd00::5]:80", 1).unwrap().to_string(), "[fd00::5]:80");
        assert_eq!(parse_socket("fd00::5", 9).unwrap().to_string(), "[fd00::5]:9");
        assert_eq!(
            parse_socket("10.0.0.5:99999", 1).unwrap_err(),
            "port 99999 is out of range: ports go from 1 to 65535"
        );
        assert_eq!(
            parse_socket("10.0.0.5:0", 1).unwrap_err(),
            "port 0 is out of range: ports go from 1 to 65535"
        );
        assert_eq!(
            parse_socket("10.0.0.5:http", 1).unwrap_err(),
            "'http' is not a port (a number from 1 to 65535)"
        );
        assert!(
            parse_socket("10.0.0.300:80", 1).unwrap_err().contains("'300' is not a number from 0 to 255")
        );
    }

    #[test]
    fn hosts() {
        let net = c("10.0.0.0/24");
        assert_eq!(net.host(5).unwrap().to_string(), "10.0.0.5/24");
        assert_eq!(net.host(254).unwrap().to_string(), "10.0.0.254/24");
        assert_eq!(net.host(-1).unwrap().to_string(), "10.0.0.254/24");
        assert!(net.host(0).is_err());
        assert_eq!(
            net.host(255).unwrap_err(),
            "10.0.0.0/24 has hosts 1 to 254 (254 in all); host 255 is outside it"
        );
        assert!(net.host(-255).is_err());
        assert_eq!(c("10.1.0.0/16").host(300).unwrap().to_string(), "10.1.1.44/16");
        assert_eq!(c("10.0.0.0/31").host(0).unwrap().to_string(), "10.0.0.0/31");
        assert_eq!(c("fd00::/64").host(10).unwrap().to_string(), "fd00::a/64");
    }

    #[test]
    fn network_broadcast_mask_size() {
        let addr = c("192.168.15.5/24");
        assert_eq!(addr.network().to_string(), "192.168.15.0/24");
        assert_eq!(addr.broadcast().unwrap().to_string(), "192.168.15.255");
        assert_eq!(addr.netmask().to_string(), "255.255.255.0");
        assert_eq!(addr.prefix(), 24);
        assert_eq!(addr.size(), 256);
        assert!(c("fd00::/64").broadcast().is_err());
    }

    #[test]
    fn contains_and_split() {
        let net = c("10.0.0.0/16");
        assert!(net.contains(&c("10.0.3.4")));
        assert!(net.contains(&c("10.0.3.0/24")));
        assert!(!net.contains(&c("10.1.0.1")));
        assert!(!net.contains(&c("10.0.0.0/8")));
        assert!(!net.contains(&c("fd00::1")));
        let parts = c("10.0.0.0/24").split(26).unwrap();
        let parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        assert_eq!(parts, ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/26"]);
        assert!(c("10.0.0.0/24").split(20).is_err());
        assert!(c("10.0.0.0/8").split(30).is_err());
    }
}
