//! Parameters lifted out of the tutorial's values: the uplink of its NAT
//! rules (`eth0`, `enp1s0`) becomes the project's uplink parameter, and a
//! subnet used in several places becomes one `cidr(param(...))` with every
//! address in it written as a host of it, which gives the same addresses
//! for the default and moves them all together for another subnet.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::step::{Item, Ns, Step, net_of};

#[derive(Debug, Default)]
pub struct Lifted {
    /// The subnets made parameters, with the script's name for each.
    pub subnets: Vec<(IpNetwork, String)>,
    /// The tutorial's name for the uplink, when its NAT rules name one
    /// ("" when they name none).
    pub uplink: Option<String>,
}

fn network(net: &IpNetwork) -> IpNetwork {
    IpNetwork::new(net.network(), net.prefix()).expect("a network of its own prefix")
}

/// Which host of `subnet` an address is: 1.., or -1 for the last usable.
fn host_number(subnet: &IpNetwork, ip: IpAddr) -> Option<i64> {
    let (IpNetwork::V4(s), IpAddr::V4(ip)) = (subnet, ip) else { return None };
    if !s.contains(ip) {
        return None;
    }
    let offset = i64::from(u32::from(ip)) - i64::from(u32::from(s.network()));
    let last = i64::from(u32::from(s.broadcast())) - i64::from(u32::from(s.network())) - 1;
    if offset < 1 || offset > last {
        return None;
    }
    Some(if offset == last && last > 1 { -1 } else { offset })
}

impl Lifted {
    fn subnet_of(&self, ip: IpAddr) -> Option<&(IpNetwork, String)> {
        self.subnets.iter().filter(|(s, _)| s.contains(ip)).max_by_key(|(s, _)| s.prefix())
    }

    /// "subnet.host(5)" for "10.0.0.5/24".
    pub fn addr(&self, text: &str) -> Option<String> {
        let net: IpNetwork = text.parse().ok()?;
        let (subnet, ident) =
            self.subnets.iter().find(|(s, _)| s.prefix() == net.prefix() && s.contains(net.ip()))?;
        let n = host_number(subnet, net.ip())?;
        Some(format!("{ident}.host({n})"))
    }

    /// "subnet.host(1).ip" for "10.0.0.1".
    pub fn ip(&self, text: &str) -> Option<String> {
        let ip: IpAddr = text.parse().ok()?;
        let (subnet, ident) = self.subnet_of(ip)?;
        let n = host_number(subnet, ip)?;
        Some(format!("{ident}.host({n}).ip"))
    }

    /// "subnet" (or "subnet.network") for "10.0.0.0/24".
    pub fn prefix(&self, text: &str, as_network: bool) -> Option<String> {
        let net = net_of(text)?;
        let (_, ident) =
            self.subnets.iter().find(|(s, _)| *s == network(&net) && net.ip() == net.network())?;
        Some(if as_network { format!("{ident}.network") } else { ident.clone() })
    }
}

/// The links the lab makes, by name.
fn lab_links(items: &[Item]) -> Vec<String> {
    let mut names = Vec::new();
    for item in items {
        match &item.step {
            Step::VethAdd { name, peer, .. } => {
                names.push(name.value.clone());
                names.push(peer.value.clone());
            }
            Step::BridgeAdd { name, .. } => names.push(name.value.clone()),
            Step::LinkRename { new, .. } => names.push(new.value.clone()),
            _ => {}
        }
    }
    names
}

pub fn lift(items: &[Item]) -> Lifted {
    let mut lifted = Lifted::default();
    let links = lab_links(items);
    for item in items {
        let out = match &item.step {
            Step::Masquerade { ns: Ns::Host, out, .. } => out.clone(),
            Step::Snat { ns: Ns::Host, out, .. } => Some(out.clone()),
            _ => continue,
        };
        {
            match &out {
                Some(out) if !out.has_vars() && !links.contains(&out.value) => {
                    lifted.uplink = Some(out.value.clone());
                    break;
                }
                None => lifted.uplink = Some(String::new()),
                _ => {}
            }
        }
    }
    // Subnets, by how often they are used, and who holds addresses in them.
    let mut uses: HashMap<IpNetwork, usize> = HashMap::new();
    let mut order: Vec<IpNetwork> = Vec::new();
    let mut owners: HashMap<IpNetwork, String> = HashMap::new();
    for item in items {
        if let Step::AddrAdd { ns, dev, addr } = &item.step
            && !addr.has_vars()
            && let Ok(net) = addr.value.parse::<IpNetwork>()
            && net.is_ipv4()
            && net.prefix() <= 29
        {
            let subnet = network(&net);
            if !order.contains(&subnet) {
                order.push(subnet);
            }
            *uses.entry(subnet).or_default() += 1;
            let is_bridge = items
                .iter()
                .any(|i| matches!(&i.step, Step::BridgeAdd { name, .. } if name.value == dev.value));
            let owner = if is_bridge { Some(dev.value.clone()) } else { ns.name().map(String::from) };
            if let Some(owner) = owner {
                let better = is_bridge || !owners.contains_key(&subnet);
                if better {
                    owners.insert(subnet, owner);
                }
            }
        }
    }
    for item in items {
        let mut count_ip = |text: &str| {
            if let Ok(ip) = text.parse::<IpAddr>()
                && let Some(subnet) = order.iter().filter(|s| s.contains(ip)).max_by_key(|s| s.prefix())
            {
                *uses.entry(*subnet).or_default() += 1;
            }
        };
        match &item.step {
            Step::RouteAdd { route, .. } | Step::RouteDel { route, .. } => {
                if let Some(via) = &route.via {
                    count_ip(&via.value);
                }
                if let Some(dst) = route.dst_net()
                    && uses.contains_key(&dst)
                {
                    *uses.entry(dst).or_default() += 1;
                }
            }
            Step::Ping { target, .. } => count_ip(&target.value),
            Step::Masquerade { subnet: Some(s), .. } => {
                if let Some(net) = net_of(&s.value)
                    && uses.contains_key(&net)
                {
                    *uses.entry(net).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    let chosen: Vec<IpNetwork> = order.into_iter().filter(|s| uses[s] >= 2).collect();
    let mut taken: Vec<String> = Vec::new();
    for subnet in &chosen {
        let mut ident = if chosen.len() == 1 {
            "subnet".to_string()
        } else {
            match owners.get(subnet) {
                Some(owner) => format!("{}_subnet", short(owner)),
                None => "subnet".to_string(),
            }
        };
        if taken.contains(&ident) {
            let mut n = 2;
            while taken.contains(&format!("{ident}{n}")) {
                n += 1;
            }
            ident = format!("{ident}{n}");
        }
        taken.push(ident.clone());
        lifted.subnets.push((*subnet, ident));
    }
    lifted
}

/// A name for a parameter, from a namespace's or bridge's name:
/// "ns_internal" → "internal", "v-net-0" → "v_net_0".
fn short(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    for affix in ["ns_", "netns_"] {
        if let Some(rest) = s.strip_prefix(affix)
            && !rest.is_empty()
        {
            s = rest.to_string();
        }
    }
    for affix in ["_ns", "_netns"] {
        if let Some(rest) = s.strip_suffix(affix)
            && !rest.is_empty()
        {
            s = rest.to_string();
        }
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) { format!("n{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::super::shell::Arg;
    use super::*;

    fn item(step: Step) -> Item {
        Item::new(1, "", step)
    }

    #[test]
    fn hosts_of_a_subnet() {
        let net: IpNetwork = "10.0.0.0/24".parse().unwrap();
        assert_eq!(host_number(&net, "10.0.0.1".parse().unwrap()), Some(1));
        assert_eq!(host_number(&net, "10.0.0.254".parse().unwrap()), Some(-1));
        assert_eq!(host_number(&net, "10.0.0.255".parse().unwrap()), None);
        assert_eq!(host_number(&net, "10.0.1.1".parse().unwrap()), None);
    }

    #[test]
    fn a_subnet_used_twice_becomes_a_parameter() {
        let add = |ns: &str, dev: &str, a: &str| {
            item(Step::AddrAdd { ns: Ns::named(ns), dev: Arg::lit(dev), addr: Arg::lit(a) })
        };
        let items = vec![
            add("a", "x", "10.0.0.1/24"),
            add("b", "y", "10.0.0.2/24"),
            add("c", "z", "10.9.0.1/24"),
            item(Step::Masquerade {
                ns: Ns::Host,
                subnet: Some(Arg::lit("10.0.0.0/24")),
                out: Some(Arg::lit("eth0")),
            }),
        ];
        let lifted = lift(&items);
        assert_eq!(lifted.subnets, [("10.0.0.0/24".parse().unwrap(), "subnet".to_string())]);
        assert_eq!(lifted.uplink.as_deref(), Some("eth0"));
        assert_eq!(lifted.addr("10.0.0.2/24").as_deref(), Some("subnet.host(2)"));
        assert_eq!(lifted.addr("10.0.0.2/16"), None);
        assert_eq!(lifted.ip("10.0.0.254").as_deref(), Some("subnet.host(-1).ip"));
        assert_eq!(lifted.prefix("10.0.0.0/24", true).as_deref(), Some("subnet.network"));
        assert_eq!(lifted.prefix("10.9.0.0/24", true), None);
        assert_eq!(short("ns_internal"), "internal");
        assert_eq!(short("v-net-0"), "v_net_0");
    }
}
