//! The script functions of policy routing: `ip rule` entries, and route
//! listings of any table.

use rhai::{Array, Dynamic, Engine, Map};

use super::api::{Fallible, Shared, apply, in_any_netns};
use super::convert::{route_map, to_table};
use super::options::Options;
use crate::ops::routing::{RuleAction, RuleSpec};
use crate::ops::{Netns, Op};

const RULE_OPTIONS: &[&str] =
    &["from", "to", "iif", "oif", "fwmark", "priority", "pref", "table", "lookup", "goto", "action", "v6"];

/// A rule as scripts write it: `#{from: "10.1.0.2", table: "isp1", priority: 100}`.
fn to_rule(options: Map) -> Result<RuleSpec, String> {
    let mut o = Options::new(options, "rule", RULE_OPTIONS);
    let from = o.prefix("from")?;
    let to = o.prefix("to")?;
    let (fwmark, fwmask) = match o.raw("fwmark") {
        None => (None, None),
        Some(v) if v.is_int() => (
            Some(u32::try_from(v.as_int().unwrap_or(-1)).map_err(|_| format!("fwmark {v} is out of range"))?),
            None,
        ),
        Some(v) => {
            let text = v.to_string();
            let number = |t: &str| {
                match t.strip_prefix("0x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => t.parse(),
                }
                .map_err(|_| format!("fwmark '{text}' is not a number or MARK/MASK"))
            };
            match text.split_once('/') {
                Some((mark, mask)) => (Some(number(mark)?), Some(number(mask)?)),
                None => (Some(number(&text)?), None),
            }
        }
    };
    let priority = match (o.int("priority", "0 to 4294967295")?, o.int("pref", "0 to 4294967295")?) {
        (Some(p), _) | (None, Some(p)) => Some(p),
        _ => None,
    };
    let table = match (o.raw("table"), o.raw("lookup")) {
        (Some(t), _) | (None, Some(t)) => Some(to_table(&t)?),
        _ => None,
    };
    let goto: Option<u32> = o.int("goto", "a priority")?;
    let action = match (table, goto, o.text("action")?.as_deref()) {
        (Some(t), None, None) => RuleAction::Lookup(t),
        (None, Some(g), None) => RuleAction::Goto(g),
        (None, None, Some("blackhole")) => RuleAction::Blackhole,
        (None, None, Some("unreachable")) => RuleAction::Unreachable,
        (None, None, Some("prohibit")) => RuleAction::Prohibit,
        (None, None, Some(other)) => {
            return Err(format!("action '{other}': a rule's action is blackhole, unreachable or prohibit"));
        }
        (None, None, None) => return Err("a rule needs a table (or lookup), a goto or an action".into()),
        _ => return Err("a rule has one of table, goto and action".into()),
    };
    let v6 = o.flag("v6")?.unwrap_or_else(|| from.or(to).is_some_and(|n| n.is_ipv6()));
    let rule =
        RuleSpec { v6, priority, from, to, iif: o.text("iif")?, oif: o.text("oif")?, fwmark, fwmask, action };
    o.finish()?;
    Ok(rule)
}

fn rule_map(priority: u32, rule: &RuleSpec) -> Map {
    let mut map = Map::new();
    let text = |v: Option<String>| v.map_or(Dynamic::UNIT, Dynamic::from);
    map.insert("priority".into(), Dynamic::from(i64::from(priority)));
    map.insert("family".into(), if rule.v6 { "inet6" } else { "inet" }.into());
    map.insert("from".into(), text(rule.from.map(|n| n.to_string())));
    map.insert("to".into(), text(rule.to.map(|n| n.to_string())));
    map.insert("iif".into(), text(rule.iif.clone()));
    map.insert("oif".into(), text(rule.oif.clone()));
    map.insert("fwmark".into(), rule.fwmark.map_or(Dynamic::UNIT, |m| Dynamic::from(i64::from(m))));
    let (table, action) = match rule.action {
        RuleAction::Lookup(t) => (Dynamic::from(i64::from(t)), "lookup"),
        RuleAction::Goto(_) => (Dynamic::UNIT, "goto"),
        RuleAction::Blackhole => (Dynamic::UNIT, "blackhole"),
        RuleAction::Unreachable => (Dynamic::UNIT, "unreachable"),
        RuleAction::Prohibit => (Dynamic::UNIT, "prohibit"),
    };
    map.insert("table".into(), table);
    map.insert("action".into(), action.into());
    map
}

fn routes_of(lab: &Shared, ns: &Netns, table: &Dynamic) -> Fallible<Array> {
    let which = if table.is_string() && table.to_string() == "all" {
        None
    } else {
        Some(to_table(table).map_err(|why| format!("cannot list routes{}: {why}", ns.location()))?)
    };
    let routes = lab.borrow().net().routes_in(ns, which).map_err(|err| err.to_string())?;
    Ok(routes.iter().map(|r| route_map(r).into()).collect())
}

pub fn register(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "ip_rule_add", |l, ns, options: Map| {
        let rule = to_rule(options).map_err(|why| format!("cannot add rule{}: {why}", ns.location()))?;
        apply(l, Op::RuleAdd { ns, rule })
    });
    in_any_netns!(engine, lab, "ip_rule_del", |l, ns, options: Map| {
        let rule = to_rule(options).map_err(|why| format!("cannot delete rule{}: {why}", ns.location()))?;
        apply(l, Op::RuleDel { ns, rule })
    });
    in_any_netns!(engine, lab, "ip_rule_list", |l, ns| -> Fallible<Array> {
        let rules = l.borrow().net().ip_rules(&ns).map_err(|err| err.to_string())?;
        Ok(rules.iter().map(|r| rule_map(r.priority, &r.rule).into()).collect())
    });
    in_any_netns!(engine, lab, "route_list", |l, ns, table: Dynamic| -> Fallible<Array> {
        routes_of(l, &ns, &table)
    });
}
