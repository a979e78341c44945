//! The firewall is shared, and what is shared is shared fairly: a rule two
//! labs add is each lab's own copy, removed with that lab; a table, chain
//! or set netscript did not make is never deleted; netscript's own chains
//! and table go once nothing of anyone's is left in them. Checked with
//! `nft -j list ruleset`, an observer of its own.

use serde_json::Value;

use crate::support::{Sandbox, privileged};

/// The same rules, whichever lab runs it: on the host, through `lo`.
const SAME: &str = r#"
masquerade("10.0.0.0/24", "lo");
masquerade("10.0.0.0/24", "lo");                  // twice: still one rule
rule_add("forward", #{iif: "lo", proto: "tcp", dport: 80, verdict: "accept"});
"#;

fn objects(ruleset: &Value) -> &Vec<Value> {
    ruleset["nftables"].as_array().expect("nft -j prints an array")
}

/// The comments of every rule, in the order nft lists them.
fn comments(ruleset: &Value) -> Vec<String> {
    objects(ruleset).iter().filter_map(|o| o["rule"]["comment"].as_str().map(String::from)).collect()
}

/// "family table chain" of every chain.
fn chains(ruleset: &Value) -> Vec<String> {
    objects(ruleset)
        .iter()
        .filter_map(|o| o.get("chain"))
        .map(|c| {
            format!(
                "{} {} {}",
                c["family"].as_str().unwrap(),
                c["table"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn identical_rules_of_two_labs_each_go_with_their_own_lab() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("same.rhai", SAME)
        .step("netscript --lab a same.rhai && netscript --lab b same.rhai")
        .step("nft -j list ruleset")
        .step("netscript down a")
        .step("nft -j list ruleset")
        .step("netscript down b")
        .step("nft -j list ruleset")
        .run();
    out[0].success();
    let both = comments(&out[1].json());
    assert_eq!(
        both,
        [
            "netscript/a: masquerade 10.0.0.0/24 out lo",
            "netscript/b: masquerade 10.0.0.0/24 out lo",
            "netscript/a: forward iifname 'lo' tcp dport 80 accept",
            "netscript/b: forward iifname 'lo' tcp dport 80 accept",
        ]
    );
    out[2].success().stdout_has("a: removed 2 firewall rules");
    assert_eq!(
        comments(&out[3].json()),
        [
            "netscript/b: masquerade 10.0.0.0/24 out lo",
            "netscript/b: forward iifname 'lo' tcp dport 80 accept"
        ]
    );
    out[4].success().stdout_has("b: removed 2 firewall rules");
    assert_eq!(objects(&out[5].json()).len(), 1, "only nft's metainfo is left:\n{}", out[5].stdout);
}

#[test]
fn a_ledger_cannot_take_down_another_labs_rules() {
    if !privileged() {
        return;
    }
    // Lab c's ledger gets lab b's rule line: `down c` must not remove b's rule.
    let forge = "grep firewall_add /run/netscript/labs/b.ledger | head -1 | sed 's/\"seq\":[0-9]*/\"seq\":99/' \
                 >> /run/netscript/labs/c.ledger";
    let out = Sandbox::new()
        .file("same.rhai", SAME)
        .file("c.rhai", "bridge_add(\"brc\");\n")
        .step("netscript --lab b same.rhai && netscript c.rhai")
        .step(forge)
        .step("netscript down c")
        .step("nft -j list ruleset; ip -br link show brc")
        .run();
    out[0].success();
    out[1].success();
    out[2]
        .success()
        .stdout_has("c: removed 1 link")
        .stdout_has("refused: a rule of lab 'b' in the ledger of lab 'c'");
    let text = &out[3].stdout;
    let ruleset: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(comments(&ruleset).len(), 2, "{text}");
    assert!(comments(&ruleset).iter().all(|c| c.starts_with("netscript/b: ")));
}

/// The user's own `inet netscript`: a set, a plain chain of theirs, and a
/// base chain of theirs at the input hook, with a rule in it.
const USERS_TABLE: &str = "nft add table inet netscript && \
     nft add set inet netscript blocked '{ type ipv4_addr; elements = { 192.0.2.7 }; }' && \
     nft add chain inet netscript mine && \
     nft add chain inet netscript input '{ type filter hook input priority 0; }' && \
     nft add rule inet netscript input ip saddr @blocked drop";

const INTO_THE_USERS_TABLE: &str = r#"
masquerade("10.0.0.0/24", "lo");
rule_add("forward", #{iif: "lo", verdict: "accept"});
rule_add("input", #{proto: "tcp", dport: 22, verdict: "accept"});
policy("forward", "drop", #{whole_namespace: true});
if param("fail", false) { throw "stop"; }
"#;

#[test]
fn the_users_own_netscript_table_stays_and_netscripts_chains_go() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("lab.rhai", INTO_THE_USERS_TABLE)
        .step(USERS_TABLE)
        .step("nft -j list ruleset")
        .step("netscript lab.rhai fail=true")
        .step("nft -j list ruleset")
        .step("netscript lab.rhai && nft -j list ruleset")
        .step("netscript policy_input.rhai")
        .step("nft list chain inet netscript input")
        .step("netscript down lab")
        .step("nft -j list ruleset")
        .file("policy_input.rhai", "policy(\"input\", \"drop\", #{whole_namespace: true});\n")
        .run();
    out[0].success();
    let before = out[1].json();
    // Rolled back: the user's table as it was.
    out[2].failure(1).stderr_has("stop").stderr_has("rolled back");
    assert_eq!(out[3].json(), before, "rollback changed the user's table");
    // Up: netscript's chains beside the user's, its input rule in the user's input chain.
    let up = out[4].json();
    assert_eq!(
        chains(&up),
        [
            "inet netscript mine",
            "inet netscript input",
            "inet netscript postrouting",
            "inet netscript forward"
        ]
    );
    let policy = objects(&up).iter().find_map(|o| o.get("chain").filter(|c| c["name"] == "forward")).unwrap();
    assert_eq!(policy["policy"], "drop");
    // The user's chain is not netscript's to set a policy on.
    out[5]
        .failure(1)
        .stderr_has("the input chain of table inet netscript was there before and is not netscript's");
    assert!(out[6].stdout.contains("policy accept"), "{}", out[6].stdout);
    out[7].success().stdout_has("lab: removed 3 firewall rules; set back 1 setting");
    assert_eq!(out[8].json(), before, "down changed the user's table");
}

#[test]
fn a_chain_that_holds_someone_elses_rule_stays() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("a.rhai", "masquerade(\"10.0.0.0/24\", \"lo\");\nforward_accept(\"lo\", \"lo\");\n")
        .file("b.rhai", "rule_add(\"forward\", #{iif: \"lo\", proto: \"udp\", verdict: \"drop\"});\n")
        .step("netscript a.rhai && netscript b.rhai")
        // A rule of the user's in netscript's forward chain.
        .step("nft add rule inet netscript forward iifname lo counter")
        .step("netscript down a")
        .step("nft -j list ruleset")
        .step("netscript down b")
        .step("nft -j list ruleset")
        .run();
    out[0].success();
    out[1].success();
    out[2].success().stdout_has("a: removed 3 firewall rules");
    out[4].success().stdout_has("b: removed 1 firewall rule");
    // a's postrouting chain went with a's last rule there; forward holds b's and the user's.
    let after_a = out[3].json();
    assert_eq!(chains(&after_a), ["inet netscript forward"]);
    assert_eq!(comments(&after_a), ["netscript/b: forward iifname 'lo' meta l4proto udp drop"]);
    // b is gone; the user's rule keeps the chain, and the chain the table.
    let after_b = out[5].json();
    assert_eq!(chains(&after_b), ["inet netscript forward"]);
    let rules: Vec<&Value> = objects(&after_b).iter().filter_map(|o| o.get("rule")).collect();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["comment"], Value::Null);
}

#[test]
fn a_drop_policy_two_labs_set_stays_until_the_last_goes() {
    if !privileged() {
        return;
    }
    let policy = |ruleset: &Value| -> Option<String> {
        objects(ruleset)
            .iter()
            .find_map(|o| o.get("chain").filter(|c| c["name"] == "input"))
            .map(|c| c["policy"].as_str().unwrap().to_string())
    };
    let lab = "policy(\"input\", \"drop\", #{whole_namespace: true});\n";
    let out = Sandbox::new()
        .file("a.rhai", lab)
        .file("b.rhai", lab)
        .step("netscript a.rhai && netscript b.rhai")
        .step("netscript down a")
        .step("nft -j list ruleset")
        .step("netscript down b")
        .step("nft -j list ruleset")
        .run();
    out[0].success();
    out[1].success().stdout_has("left the policy of chain input at drop: lab b still needs it");
    assert_eq!(policy(&out[2].json()).as_deref(), Some("drop"));
    out[3].success().stdout_has("b: removed nothing; set back 1 setting");
    // Set back to accept, and then the empty chain and table went.
    assert_eq!(objects(&out[4].json()).len(), 1, "{}", out[4].stdout);
}
