//! What a lab holds by its ledger: the namespaces it made, the links it made
//! outside them, its firewall rules and settings. `netscript ls` and the
//! REPL's `:ls` both show this.

use super::ledger::Replay;
use crate::ops::{Hook, Netns, Op, Policy, Rule};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contents {
    pub namespaces: Vec<String>,
    /// Links the lab made outside its own namespaces (those go with them).
    pub links: Vec<(Netns, String)>,
    /// Firewall rules, each once, as long as they are there.
    pub rules: Vec<(Netns, Rule)>,
    /// Chain policies set, the latest per chain.
    pub policies: Vec<(Netns, Hook, Policy)>,
    /// Sysctls set: namespace, key, value.
    pub settings: Vec<(Netns, String, String)>,
}

impl Contents {
    fn owns(&self, ns: &Netns) -> bool {
        self.namespaces.iter().any(|n| Some(n.as_str()) == ns.name())
    }
}

pub fn contents(replay: &Replay) -> Contents {
    let mut held = Contents::default();
    for op in &replay.applied {
        match op {
            Op::NetnsAdd { name, .. } => held.namespaces.push(name.clone()),
            Op::NetnsDel { name } => {
                held.namespaces.retain(|n| n != name);
                let gone = Netns::Named(name.clone());
                held.rules.retain(|(ns, _)| *ns != gone);
                held.policies.retain(|(ns, ..)| *ns != gone);
            }
            Op::VethAdd { ns, name, peer_ns, peer } => {
                if !held.owns(ns) {
                    held.links.push((ns.clone(), name.clone()));
                }
                if !held.owns(peer_ns) {
                    held.links.push((peer_ns.clone(), peer.clone()));
                }
            }
            Op::BridgeAdd { ns, name } | Op::LinkAdd { ns, name, .. } if !held.owns(ns) => {
                held.links.push((ns.clone(), name.clone()))
            }
            Op::FirewallAdd { ns, rule, .. } if !held.rules.iter().any(|(n, r)| n == ns && r == rule) => {
                held.rules.push((ns.clone(), rule.clone()));
            }
            Op::FirewallDel { ns, rule, .. } => held.rules.retain(|(n, r)| !(n == ns && r == rule)),
            Op::ChainPolicy { ns, chain, policy } => {
                held.policies.retain(|(n, c, _)| !(n == ns && c == chain));
                if *policy == Policy::Drop {
                    held.policies.push((ns.clone(), *chain, *policy));
                }
            }
            Op::SysctlSet { ns, key, value } => held.settings.push((ns.clone(), key.clone(), value.clone())),
            _ => {}
        }
    }
    held
}
