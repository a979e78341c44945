//! Policy routing: routing tables (by number, or by name from iproute2's
//! rt_tables), `ip rule` entries, and the route types and next hops beyond
//! a plain unicast route.

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::check_ifname;
use super::render::quote;

pub const TABLE_MAIN: u32 = 254;
pub const TABLE_LOCAL: u32 = 255;
pub const TABLE_DEFAULT: u32 = 253;

/// Where iproute2 keeps table names: /etc first, then the defaults its
/// package ships. Read, never written.
pub const RT_TABLES: [&str; 2] = ["/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables"];

/// The kinds of route besides unicast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    #[default]
    Unicast,
    /// Dropped silently.
    Blackhole,
    /// Dropped with ICMP host unreachable.
    Unreachable,
    /// Dropped with ICMP administratively prohibited.
    Prohibit,
}

impl RouteKind {
    pub fn word(self) -> &'static str {
        match self {
            RouteKind::Unicast => "unicast",
            RouteKind::Blackhole => "blackhole",
            RouteKind::Unreachable => "unreachable",
            RouteKind::Prohibit => "prohibit",
        }
    }

    pub fn parse(word: &str) -> Result<RouteKind, String> {
        [RouteKind::Unicast, RouteKind::Blackhole, RouteKind::Unreachable, RouteKind::Prohibit]
            .into_iter()
            .find(|k| k.word() == word)
            .ok_or_else(|| {
                format!(
                    "'{word}' is not a route type; the types are unicast, blackhole, unreachable, prohibit"
                )
            })
    }

    pub fn is_unicast(&self) -> bool {
        *self == RouteKind::Unicast
    }
}

/// One path of a multipath route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nexthop {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// 1 to 256: a path's share of the flows.
    pub weight: u16,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub onlink: bool,
}

impl Nexthop {
    pub fn validate(&self) -> Result<(), String> {
        if self.via.is_none() && self.dev.is_none() {
            return Err("a next hop needs a gateway (via) or a device (dev)".into());
        }
        if let Some(dev) = &self.dev {
            check_ifname(dev)?;
        }
        if !(1..=256).contains(&self.weight) {
            return Err(format!("weight {} is out of range: a next hop's weight is 1 to 256", self.weight));
        }
        if self.onlink && self.via.is_none() {
            return Err("onlink needs a gateway".into());
        }
        Ok(())
    }

    pub fn render(&self) -> String {
        let mut words = "nexthop".to_string();
        if let Some(via) = self.via {
            words.push_str(&format!(" via {via}"));
        }
        if let Some(dev) = &self.dev {
            words.push_str(&format!(" dev {}", quote(dev)));
        }
        words.push_str(&format!(" weight {}", self.weight));
        if self.onlink {
            words.push_str(" onlink");
        }
        words
    }
}

/// What a rule does with the packets it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Lookup(u32),
    /// Go on at the rule with this priority.
    Goto(u32),
    Blackhole,
    Unreachable,
    Prohibit,
}

/// An `ip rule`: selectors, a priority and an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub v6: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<IpNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<IpNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iif: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oif: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwmask: Option<u32>,
    pub action: RuleAction,
}

impl RuleSpec {
    pub fn validate(&self) -> Result<(), String> {
        if self.from.is_none()
            && self.to.is_none()
            && self.iif.is_none()
            && self.oif.is_none()
            && self.fwmark.is_none()
        {
            return Err("a rule needs a selector: from, to, iif, oif or fwmark".into());
        }
        for dev in [&self.iif, &self.oif].into_iter().flatten() {
            check_ifname(dev)?;
        }
        for net in [self.from, self.to].into_iter().flatten() {
            if net.is_ipv6() != self.v6 {
                return Err(format!("{net} is not an {} prefix, as the rest of the rule", family(self.v6)));
            }
            if net.network() != net.ip() {
                return Err(format!(
                    "{net} has host bits set; did you mean {}/{}?",
                    net.network(),
                    net.prefix()
                ));
            }
        }
        if self.fwmask.is_some() && self.fwmark.is_none() {
            return Err("a mask without a fwmark".into());
        }
        match self.action {
            RuleAction::Lookup(0) => Err("table 0 is not a routing table".into()),
            RuleAction::Goto(target) => match self.priority {
                None => Err("a goto rule needs a priority of its own, lower than its target's".into()),
                Some(own) if target <= own => Err(format!(
                    "goto {target} from priority {own}: a rule can only go on to a later (higher) priority"
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    pub fn render(&self, ip: &str, verb: &str) -> String {
        let mut line = format!("{ip}{}rule {verb}", if self.v6 { "-6 " } else { "" });
        if let Some(priority) = self.priority {
            line.push_str(&format!(" priority {priority}"));
        }
        line.push_str(&self.selectors());
        line.push_str(&match self.action {
            RuleAction::Lookup(table) => format!(" lookup {table}"),
            RuleAction::Goto(target) => format!(" goto {target}"),
            RuleAction::Blackhole => " blackhole".into(),
            RuleAction::Unreachable => " unreachable".into(),
            RuleAction::Prohibit => " prohibit".into(),
        });
        line
    }

    fn selectors(&self) -> String {
        let mut words = String::new();
        if let Some(from) = self.from {
            words.push_str(&format!(" from {from}"));
        }
        if let Some(to) = self.to {
            words.push_str(&format!(" to {to}"));
        }
        if let Some(iif) = &self.iif {
            words.push_str(&format!(" iif {}", quote(iif)));
        }
        if let Some(oif) = &self.oif {
            words.push_str(&format!(" oif {}", quote(oif)));
        }
        if let Some(mark) = self.fwmark {
            match self.fwmask {
                Some(mask) => words.push_str(&format!(" fwmark {mark:#x}/{mask:#x}")),
                None => words.push_str(&format!(" fwmark {mark:#x}")),
            }
        }
        words
    }

    pub fn describe(&self) -> String {
        self.render("", "x").trim_start_matches("-6 ").trim_start_matches("rule x ").to_string()
    }
}

fn family(v6: bool) -> &'static str {
    if v6 { "IPv6" } else { "IPv4" }
}

/// The tables named in an rt_tables file: "NUMBER NAME" lines, `#` comments.
pub fn parse_rt_tables(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let mut words = line.split_whitespace();
            let number = words.next()?;
            let name = words.next()?;
            let number = match number.strip_prefix("0x") {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            Some((number, name.to_string()))
        })
        .collect()
}

/// A routing table by number or by name: the kernel's own names, then
/// iproute2's rt_tables (and its rt_tables.d), as `ip` reads them.
pub fn table_number(name: &str) -> Result<u32, String> {
    match name {
        "main" => return Ok(TABLE_MAIN),
        "local" => return Ok(TABLE_LOCAL),
        "default" => return Ok(TABLE_DEFAULT),
        _ => {}
    }
    if let Ok(number) = name.parse::<u32>() {
        return match number {
            0 => Err("table 0 is not a routing table".into()),
            n => Ok(n),
        };
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for base in RT_TABLES {
        files.push(base.into());
        if let Ok(dir) = std::fs::read_dir(format!("{base}.d")) {
            let mut extra: Vec<_> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            extra.sort();
            files.extend(extra);
        }
    }
    for file in files {
        if let Ok(text) = std::fs::read_to_string(&file)
            && let Some((number, _)) = parse_rt_tables(&text).into_iter().find(|(_, n)| n == name)
        {
            return Ok(number);
        }
    }
    Err(format!(
        "table '{name}' is not in {} (nor in {}): give its number, or name it there first",
        RT_TABLES[0], RT_TABLES[1]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> RuleSpec {
        RuleSpec {
            v6: false,
            priority: Some(100),
            from: Some("10.1.0.2/32".parse().unwrap()),
            to: None,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            action: RuleAction::Lookup(101),
        }
    }

    #[test]
    fn rules_render_and_check() {
        assert_eq!(
            rule().render("ip -n c ", "add"),
            "ip -n c rule add priority 100 from 10.1.0.2/32 lookup 101"
        );
        let mark = RuleSpec { from: None, fwmark: Some(7), fwmask: Some(255), ..rule() };
        assert_eq!(mark.render("ip ", "del"), "ip rule del priority 100 fwmark 0x7/0xff lookup 101");
        let none = RuleSpec { from: None, ..rule() };
        assert!(none.validate().unwrap_err().contains("needs a selector"));
        let back = RuleSpec { action: RuleAction::Goto(50), ..rule() };
        assert!(back.validate().unwrap_err().contains("later (higher) priority"));
        let v6 = RuleSpec { v6: true, ..rule() };
        assert!(v6.validate().unwrap_err().contains("not an IPv6 prefix"));
    }

    #[test]
    fn tables_by_name() {
        let text = "# reserved\n255\tlocal\n254 main\n0x64 isp1 # first\n101\tisp2\nbad line\n";
        assert_eq!(
            parse_rt_tables(text),
            [(255, "local".into()), (254, "main".into()), (100, "isp1".into()), (101, "isp2".into())]
        );
        assert_eq!(table_number("main"), Ok(254));
        assert_eq!(table_number("42"), Ok(42));
        assert!(table_number("no-such-table-x").unwrap_err().contains("is not in /etc/iproute2/rt_tables"));
    }

    #[test]
    fn nexthops() {
        let hop = Nexthop { via: Some("10.1.0.1".parse().unwrap()), dev: None, weight: 3, onlink: false };
        assert_eq!(hop.render(), "nexthop via 10.1.0.1 weight 3");
        assert!(Nexthop { weight: 0, ..hop.clone() }.validate().unwrap_err().contains("1 to 256"));
    }
}
