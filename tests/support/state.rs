//! The network state of a sandbox as iproute2 and nft report it, reduced to
//! what a lab decides (no indexes, MAC addresses, timers or counters), so
//! two sandboxes built two ways can be compared.

use serde_json::{Value, json};

/// A shell step that prints the state of the host and every named
/// namespace as one JSON document.
pub const DUMP: &str = r#"echo '{'; for ns in "" $(ls /run/netns); do
  n=${ns:+-n $ns}; x=${ns:+ip netns exec $ns}
  echo "\"${ns:-host}\": {\"link\": $(ip $n -j -d link), \"addr\": $(ip $n -j addr), \"route\": $(ip $n -j route), \"route6\": $(ip $n -j -6 route), \"nft\": $($x nft -j list ruleset 2>/dev/null || echo null), \"fwd\": \"$($x cat /proc/sys/net/ipv4/ip_forward)\"},"
done; echo '"end": 0}'"#;

/// The state of each namespace in a DUMP, reduced and sorted.
pub fn normalize(state: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (ns, dump) in state.as_object().expect("a JSON object") {
        if ns == "end" {
            continue;
        }
        let links: Vec<Value> = dump["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                // Carrier flags follow the admin state a moment later (the
                // kernel's linkwatch): not the lab's state, just its timing.
                let mut flags: Vec<String> = l["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .filter(|f| !["LOWER_UP", "NO-CARRIER", "M-DOWN"].contains(&f.as_str()))
                    .collect();
                flags.sort();
                json!({"ifname": l["ifname"], "flags": flags, "mtu": l["mtu"], "master": l["master"],
                       "kind": l["linkinfo"]["info_kind"], "link_type": l["link_type"]})
            })
            .collect();
        let addrs: Vec<Value> = dump["addr"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| {
                let name = l["ifname"].clone();
                l["addr_info"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["scope"] != "link")
                    .map(move |a| {
                        json!({"dev": name, "local": a["local"], "prefixlen": a["prefixlen"], "scope": a["scope"],
                               "broadcast": a["broadcast"], "family": a["family"]})
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let routes: Vec<Value> = ["route", "route6"]
            .iter()
            .flat_map(|key| dump[key].as_array().unwrap().clone())
            .filter(|r| !r["dst"].as_str().unwrap_or("").starts_with("fe80:"))
            .map(|r| {
                json!({"dst": r["dst"], "gateway": r["gateway"], "dev": r["dev"], "protocol": r["protocol"],
                       "scope": r["scope"], "metric": r["metric"], "prefsrc": r["prefsrc"]})
            })
            .collect();
        let rules: Vec<Value> = dump["nft"]["nftables"]
            .as_array()
            .map(|objects| {
                objects
                    .iter()
                    .filter_map(|o| o.get("rule").or_else(|| o.get("chain")).or_else(|| o.get("table")))
                    .map(|o| {
                        json!({"table": o["table"].clone().as_str().map(String::from).or(o["name"].as_str().map(String::from)),
                               "chain": o["chain"], "name": o["name"], "hook": o["hook"], "expr": uncounted(&o["expr"]),
                               "policy": o["policy"], "comment": o["comment"]})
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Rules run in the order nft lists them: that order is compared too.
        let rule_order: Vec<Value> = dump["nft"]["nftables"]
            .as_array()
            .map(|objects| {
                objects.iter().filter_map(|o| o.get("rule")).map(|r| r["comment"].clone()).collect()
            })
            .unwrap_or_default();
        out.insert(
            ns.clone(),
            json!({"links": sorted(links), "addrs": sorted(addrs), "routes": sorted(routes),
                   "rules": sorted(rules), "rule_order": rule_order, "forwarding": dump["fwd"]}),
        );
    }
    Value::Object(out)
}

/// A rule's expressions with its counters' numbers left out: they count
/// traffic, which the lab's own checks make and its dry run does not.
fn uncounted(expr: &Value) -> Value {
    match expr.as_array() {
        Some(items) => Value::Array(
            items
                .iter()
                .map(|e| if e.get("counter").is_some() { json!({"counter": null}) } else { e.clone() })
                .collect(),
        ),
        None => expr.clone(),
    }
}

fn sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|v| v.to_string());
    items
}

/// Asserts two normalized states are equal, showing both when not.
#[track_caller]
pub fn assert_same_state(ours: &Value, theirs: &Value, what: &str) {
    assert_eq!(
        ours,
        theirs,
        "{what}: the states differ\nfirst:\n{}\nsecond:\n{}",
        serde_json::to_string_pretty(ours).unwrap(),
        serde_json::to_string_pretty(theirs).unwrap()
    );
}
