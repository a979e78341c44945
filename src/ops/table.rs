//! netscript's nftables table in one namespace, as nft lists it (or as the
//! dry run models it), and the nft commands that change it: adding rules
//! (and the table and chains they need, marked as netscript's), setting a
//! chain's policy, deleting rules, and then removing what netscript made
//! and left empty. Both the kernel backend and the dry run plan with it, so
//! they decide alike.

use super::filter::{Hook, Policy};
use super::firewall::{MARK, NftRule, TABLE};

/// netscript's table in one namespace, as nft lists it (or as the dry run
/// models it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub exists: bool,
    /// Made by netscript.
    pub marked: bool,
    pub chains: Vec<Chain>,
    /// Sets, maps, named counters, flowtables: things netscript never makes.
    pub others: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    /// For a base chain: its hook and type (filter, nat).
    pub hook: Option<String>,
    pub kind: Option<String>,
    pub policy: Option<Policy>,
    pub marked: bool,
    pub rules: Vec<Installed>,
}

/// A rule in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub handle: Option<u64>,
    /// As nft prints it, without comment and handle.
    pub text: String,
    pub comment: Option<String>,
    /// Packets and bytes, when it has an anonymous counter.
    pub counter: Option<(u64, u64)>,
}

impl Table {
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    fn chain_mut(&mut self, name: &str) -> Option<&mut Chain> {
        self.chains.iter_mut().find(|c| c.name == name)
    }

    pub fn rules(&self) -> impl Iterator<Item = (&Chain, &Installed)> {
        self.chains.iter().flat_map(|c| c.rules.iter().map(move |r| (c, r)))
    }

    /// Whether a rule with this comment is there.
    pub fn has(&self, comment: &str) -> bool {
        self.rules().any(|(_, r)| r.comment.as_deref() == Some(comment))
    }

    /// What is missing for chain `hook` to take netscript's rules: the
    /// commands to make it, or why a chain of that name cannot.
    fn make_chain(&self, hook: Hook, policy: Option<Policy>, at: &str) -> Result<String, String> {
        let mut script = String::new();
        if !self.exists {
            script.push_str(&format!("add table inet {TABLE} {{ comment \"{MARK}\"; }}\n"));
        }
        let policy_words = policy.map(|p| format!(" policy {p};")).unwrap_or_default();
        match self.chain(hook.name()) {
            None => script.push_str(&format!(
                "add chain inet {TABLE} {hook} {{ {}{policy_words} comment \"{MARK}\"; }}\n",
                hook.spec()
            )),
            Some(chain)
                if chain.hook.as_deref() != Some(hook.name())
                    || chain.kind.as_deref() != Some(hook.kind()) =>
            {
                let now = match (&chain.kind, &chain.hook) {
                    (Some(kind), Some(h)) => format!("a {kind} chain at the {h} hook"),
                    _ => "a chain at no hook".to_string(),
                };
                return Err(format!(
                    "table inet {TABLE}{at} has a chain '{hook}' that netscript did not make, {now}: netscript's \
                     rules would not run there; rename that chain, or the table"
                ));
            }
            Some(chain) if policy.is_some() && !chain.marked => {
                return Err(format!(
                    "the {hook} chain of table inet {TABLE}{at} was there before and is not netscript's; \
                     netscript leaves its policy alone"
                ));
            }
            Some(_) if policy.is_some() => {
                script.push_str(&format!("add chain inet {TABLE} {hook} {{{policy_words} }}\n"));
            }
            Some(_) => {}
        }
        Ok(script)
    }

    /// The nft script that adds the rules not there yet (None when all are),
    /// making the table and chains they need. `at` says where, for errors.
    pub fn plan_add(&self, rules: &[NftRule], at: &str) -> Result<Option<String>, String> {
        let missing: Vec<&NftRule> = rules.iter().filter(|r| !self.has(&r.comment)).collect();
        if missing.is_empty() {
            return Ok(None);
        }
        let mut model = self.clone();
        let mut script = String::new();
        for rule in &missing {
            script.push_str(&model.make_chain(rule.chain, None, at)?);
            model.add(std::slice::from_ref(*rule));
            script.push_str(&rule.add_command());
            script.push('\n');
        }
        Ok(Some(script))
    }

    /// The nft script that sets chain `hook`'s policy, and then, for
    /// accept, removes the chain (and the table) if it is left with nothing.
    pub fn plan_policy(&self, hook: Hook, policy: Policy, at: &str) -> Result<String, String> {
        let mut script = self.make_chain(hook, Some(policy), at)?;
        let mut model = self.clone();
        model.set_policy(hook, policy);
        for command in model.tidy() {
            script.push_str(&command);
            script.push('\n');
        }
        Ok(script)
    }

    /// The commands that delete the rules with these comments (None when
    /// none is there), and those that then remove what is left empty.
    pub fn plan_del(&self, comments: &[String]) -> Option<(String, String)> {
        let mut deletions = String::new();
        for (chain, rule) in self.rules() {
            if let (Some(comment), Some(handle)) = (&rule.comment, rule.handle)
                && comments.contains(comment)
            {
                deletions.push_str(&format!("delete rule inet {TABLE} {} handle {handle}\n", chain.name));
            }
        }
        if deletions.is_empty() {
            return None;
        }
        let mut model = self.clone();
        model.remove(comments);
        let tidy: String = model.tidy().into_iter().map(|c| c + "\n").collect();
        Some((deletions, tidy))
    }

    /// Adds rules to the model, making the table and chains they need.
    pub fn add(&mut self, rules: &[NftRule]) {
        for rule in rules {
            if self.has(&rule.comment) {
                continue;
            }
            self.ensure(rule.chain);
            let chain = self.chain_mut(rule.chain.name()).expect("just made");
            chain.rules.push(Installed {
                handle: None,
                text: rule.body.clone(),
                comment: Some(rule.comment.clone()),
                counter: rule.body.split_whitespace().any(|w| w == "counter").then_some((0, 0)),
            });
        }
    }

    fn ensure(&mut self, hook: Hook) {
        if !self.exists {
            *self = Table { exists: true, marked: true, chains: Vec::new(), others: 0 };
        }
        if self.chain(hook.name()).is_none() {
            self.chains.push(Chain {
                name: hook.name().into(),
                hook: Some(hook.name().into()),
                kind: Some(hook.kind().into()),
                policy: Some(Policy::Accept),
                marked: true,
                rules: Vec::new(),
            });
        }
    }

    /// Sets a chain's policy in the model.
    pub fn set_policy(&mut self, hook: Hook, policy: Policy) {
        self.ensure(hook);
        self.chain_mut(hook.name()).expect("just made").policy = Some(policy);
    }

    /// Removes the rules with these comments from the model; how many went.
    pub fn remove(&mut self, comments: &[String]) -> usize {
        let mut gone = 0;
        for chain in &mut self.chains {
            let before = chain.rules.len();
            chain.rules.retain(|r| !r.comment.as_ref().is_some_and(|c| comments.contains(c)));
            gone += before - chain.rules.len();
        }
        gone
    }

    /// The commands that remove what netscript made and is left with
    /// nothing: its chains without rules or a drop policy, then its table
    /// once nothing else is in it. What netscript did not make stays.
    pub fn tidy(&self) -> Vec<String> {
        if !self.exists {
            return Vec::new();
        }
        let empty = |c: &Chain| c.marked && c.rules.is_empty() && c.policy != Some(Policy::Drop);
        let doomed: Vec<&Chain> = self.chains.iter().filter(|c| empty(c)).collect();
        if self.marked && doomed.len() == self.chains.len() && self.others == 0 {
            return vec![format!("delete table inet {TABLE}")];
        }
        doomed.iter().map(|c| format!("delete chain inet {TABLE} {}", c.name)).collect()
    }

    /// Applies `tidy` to the model.
    pub fn apply_tidy(&mut self) {
        for command in self.tidy() {
            if command.starts_with("delete table") {
                *self = Table::default();
            } else if let Some(name) = command.rsplit(' ').next() {
                let name = name.to_string();
                self.chains.retain(|c| c.name != name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Rule;

    fn masq(lab: &str) -> Vec<NftRule> {
        Rule::MasqueradeOut { out: "eth0".into() }.nft_rules(lab)
    }

    #[test]
    fn a_new_table_and_its_chains_are_marked_and_tidied_away() {
        let table = Table::default();
        let script = table.plan_add(&masq("a"), "").unwrap().unwrap();
        assert_eq!(
            script,
            "add table inet netscript { comment \"made by netscript\"; }\n\
             add chain inet netscript postrouting { type nat hook postrouting priority srcnat; comment \"made by netscript\"; }\n\
             add rule inet netscript postrouting oifname \"eth0\" masquerade comment \"netscript/a: masquerade out eth0\"\n"
        );
        let mut table = Table::default();
        table.add(&masq("a"));
        table.add(&masq("b"));
        assert_eq!(table.plan_add(&masq("a"), ""), Ok(None));
        let mut after_a = table.clone();
        after_a.remove(&[masq("a")[0].comment.clone()]);
        assert!(after_a.tidy().is_empty(), "b's rule is still there");
        after_a.remove(&[masq("b")[0].comment.clone()]);
        assert_eq!(after_a.tidy(), ["delete table inet netscript"]);
        // A drop policy keeps its chain.
        table.set_policy(Hook::Input, Policy::Drop);
        assert!(
            table
                .plan_policy(Hook::Input, Policy::Accept, "")
                .unwrap()
                .contains("delete chain inet netscript input")
        );
    }

    #[test]
    fn what_netscript_did_not_make_stays() {
        let user_chain = |name: &str, hook: Option<&str>| Chain {
            name: name.into(),
            hook: hook.map(String::from),
            kind: hook.map(|_| "filter".to_string()),
            policy: hook.map(|_| Policy::Accept),
            marked: false,
            rules: Vec::new(),
        };
        let mut table =
            Table { exists: true, marked: false, chains: vec![user_chain("mine", None)], others: 1 };
        let script = table.plan_add(&masq("a"), "").unwrap().unwrap();
        assert!(!script.contains("add table"), "{script}");
        table.add(&masq("a"));
        table.remove(&[masq("a")[0].comment.clone()]);
        assert_eq!(table.tidy(), ["delete chain inet netscript postrouting"]);
        table.apply_tidy();
        assert_eq!(table.chains.len(), 1);
        // A chain of the user's under one of netscript's names.
        let table =
            Table { exists: true, marked: true, chains: vec![user_chain("forward", None)], others: 0 };
        let accept = Rule::ForwardAccept { from: "a".into(), to: "b".into() }.nft_rules("l");
        assert!(
            table.plan_add(&accept, "").unwrap_err().contains("netscript did not make, a chain at no hook")
        );
        let table = Table {
            exists: true,
            marked: false,
            chains: vec![user_chain("input", Some("input"))],
            others: 0,
        };
        assert!(
            table.plan_policy(Hook::Input, Policy::Drop, "").unwrap_err().contains("leaves its policy alone")
        );
        assert!(table.tidy().is_empty());
    }
}
