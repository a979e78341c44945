//! Policy routing rules (`ip rule`): RTM_NEWRULE/RTM_DELRULE as `ip rule`
//! sends them, and the list of a namespace's rules.

use std::net::IpAddr;

use futures::TryStreamExt;
use nix::errno::Errno;
use rtnetlink::IpVersion;
use rtnetlink::packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use rtnetlink::packet_route::rule::{RuleAction as NlAction, RuleAttribute, RuleMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

use super::Kernel;
use super::error::{KernelError, errno_of, generic};
use super::request::ack;
use crate::ops::Netns;
use crate::ops::routing::{RuleAction, RuleSpec};

/// A rule as `ip -j rule` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRuleInfo {
    pub priority: u32,
    pub rule: RuleSpec,
}

fn message(rule: &RuleSpec) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header.family = if rule.v6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
    m.header.action = match rule.action {
        RuleAction::Lookup(_) => NlAction::ToTable,
        RuleAction::Goto(_) => NlAction::Goto,
        RuleAction::Blackhole => NlAction::Blackhole,
        RuleAction::Unreachable => NlAction::Unreachable,
        RuleAction::Prohibit => NlAction::Prohibit,
    };
    if let Some(priority) = rule.priority {
        m.attributes.push(RuleAttribute::Priority(priority));
    }
    if let Some(from) = rule.from {
        m.header.src_len = from.prefix();
        m.attributes.push(RuleAttribute::Source(from.ip()));
    }
    if let Some(to) = rule.to {
        m.header.dst_len = to.prefix();
        m.attributes.push(RuleAttribute::Destination(to.ip()));
    }
    if let Some(iif) = &rule.iif {
        m.attributes.push(RuleAttribute::Iifname(iif.clone()));
    }
    if let Some(oif) = &rule.oif {
        m.attributes.push(RuleAttribute::Oifname(oif.clone()));
    }
    if let Some(mark) = rule.fwmark {
        m.attributes.push(RuleAttribute::FwMark(mark));
    }
    if let Some(mask) = rule.fwmask {
        m.attributes.push(RuleAttribute::FwMask(mask));
    }
    match rule.action {
        RuleAction::Lookup(table) if table < 256 => m.header.table = table as u8,
        RuleAction::Lookup(table) => m.attributes.push(RuleAttribute::Table(table)),
        RuleAction::Goto(target) => m.attributes.push(RuleAttribute::Goto(target)),
        _ => {}
    }
    m
}

fn rule_of(m: &RuleMessage) -> Option<IpRuleInfo> {
    let v6 = m.header.family == AddressFamily::Inet6;
    let mut priority = 0;
    let mut table = u32::from(m.header.table);
    let mut rule = RuleSpec {
        v6,
        priority: None,
        from: None,
        to: None,
        iif: None,
        oif: None,
        fwmark: None,
        fwmask: None,
        action: RuleAction::Lookup(0),
    };
    let mut goto = 0;
    let prefix = |ip: IpAddr, len: u8| ipnetwork::IpNetwork::new(ip, len).ok();
    for attr in &m.attributes {
        match attr {
            RuleAttribute::Priority(p) => priority = *p,
            RuleAttribute::Source(ip) => rule.from = prefix(*ip, m.header.src_len),
            RuleAttribute::Destination(ip) => rule.to = prefix(*ip, m.header.dst_len),
            RuleAttribute::Iifname(n) => rule.iif = Some(n.clone()),
            RuleAttribute::Oifname(n) => rule.oif = Some(n.clone()),
            RuleAttribute::FwMark(mark) => rule.fwmark = Some(*mark),
            RuleAttribute::FwMask(mask) => rule.fwmask = Some(*mask),
            RuleAttribute::Table(t) => table = *t,
            RuleAttribute::Goto(g) => goto = *g,
            _ => {}
        }
    }
    rule.priority = Some(priority);
    rule.action = match m.header.action {
        NlAction::Goto => RuleAction::Goto(goto),
        NlAction::Blackhole => RuleAction::Blackhole,
        NlAction::Unreachable => RuleAction::Unreachable,
        NlAction::Prohibit => RuleAction::Prohibit,
        _ => RuleAction::Lookup(table),
    };
    Some(IpRuleInfo { priority, rule })
}

impl Kernel {
    pub(super) fn rule_add(&self, ns: &Netns, rule: &RuleSpec) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        let request = RouteNetlinkMessage::NewRule(message(rule));
        self.block_on(ack(&handle, request, NLM_F_CREATE | NLM_F_EXCL)).map_err(|err| match errno_of(&err) {
            Some(Errno::EEXIST) => KernelError::Failed(format!("the same rule is in {ns} already")),
            Some(Errno::EINVAL) if matches!(rule.action, RuleAction::Goto(_)) => {
                KernelError::Failed("the kernel refused the goto: its target must be a later priority".into())
            }
            errno => generic(errno, &err),
        })
    }

    pub(super) fn rule_del(&self, ns: &Netns, rule: &RuleSpec) -> Result<(), KernelError> {
        let handle = self.handle(ns)?;
        let request = RouteNetlinkMessage::DelRule(message(rule));
        self.block_on(ack(&handle, request, 0)).map_err(|err| match errno_of(&err) {
            Some(Errno::ENOENT) | Some(Errno::ESRCH) => {
                KernelError::NotFound(format!("no rule '{}' in {ns}", rule.describe()))
            }
            errno => generic(errno, &err),
        })
    }

    /// The rules of a namespace, IPv4 then IPv6, by priority.
    pub(super) fn ip_rules(&self, ns: &Netns) -> Result<Vec<IpRuleInfo>, KernelError> {
        let handle = self.handle(ns)?;
        let mut found = Vec::new();
        for version in [IpVersion::V4, IpVersion::V6] {
            let messages: Vec<RuleMessage> = self
                .block_on(handle.rule().get(version).execute().try_collect())
                .map_err(|err| generic(errno_of(&err), &err))?;
            found.extend(messages.iter().filter_map(rule_of));
        }
        Ok(found)
    }
}
