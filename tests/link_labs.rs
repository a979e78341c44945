//! The labs of issue 16 (scripts/vxlan.rhai, policy-routing.rhai,
//! vlan-trunk.rhai): each proves itself, `down` leaves the sandbox as it
//! was, and the commands of its dry run build the same state: links with
//! their kinds and key options, addresses, routes of every table, rules,
//! fdb and neighbour entries.

use serde_json::{Value, json};

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged, script_text as script};

/// What DUMP leaves out: per namespace the key options of each link's
/// kind, every table's routes, the rules, fdb and neighbour entries.
const MORE: &str = r#"echo '{'; for ns in "" $(ls /run/netns); do
  n=${ns:+-n $ns}
  echo "\"${ns:-host}\": {\"link\": $(ip $n -d -j link), \"routes\": $(ip $n -j route show table all), \"routes6\": $(ip $n -6 -j route show table all), \"rules\": $(ip $n -j rule), \"fdb\": $(bridge $n -j fdb show), \"neigh\": $(ip $n -j neigh show nud permanent)},"
done; echo '"end": 0}'"#;

fn reduce(state: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (ns, dump) in state.as_object().unwrap() {
        if ns == "end" {
            continue;
        }
        let keep = |v: &Value, keys: &[&str]| -> Value {
            json!(keys.iter().map(|k| (k.to_string(), v[k].clone())).collect::<serde_json::Map<_, _>>())
        };
        let mut links: Vec<Value> = dump["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let d = &l["linkinfo"]["info_data"];
                json!({"ifname": l["ifname"], "kind": l["linkinfo"]["info_kind"], "link": l["link"],
                       "data": keep(d, &["id", "remote", "group", "local", "port", "learning", "ttl", "mode", "table",
                                         "protocol", "type", "stp_state", "forward_delay", "ageing_time",
                                         "vlan_filtering", "mcast_snooping"])})
            })
            .collect();
        links.sort_by_key(|v| v.to_string());
        let mut routes: Vec<Value> = ["routes", "routes6"]
            .iter()
            .flat_map(|k| dump[k].as_array().unwrap().clone())
            .filter(|r| !r["dst"].as_str().unwrap_or("").starts_with("fe80") && r["table"] != "local")
            .map(|r| {
                keep(
                    &r,
                    &[
                        "type", "dst", "gateway", "dev", "table", "metric", "nexthops", "prefsrc", "flags",
                        "metrics",
                    ],
                )
            })
            .collect();
        routes.sort_by_key(|v| v.to_string());
        let rules: Vec<Value> = dump["rules"].as_array().unwrap().clone();
        let mut fdb: Vec<Value> = dump["fdb"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["state"] != ""
                    && !e["flags"]
                        .as_array()
                        .is_some_and(|f| f.is_empty() && e["master"].is_string() && e["state"] == "permanent")
            })
            .filter(|e| e["dst"].is_string() || e["state"] == "static")
            .map(|e| keep(e, &["mac", "ifname", "dst", "vni", "state", "master"]))
            .collect();
        fdb.sort_by_key(|v| v.to_string());
        let mut neigh: Vec<Value> = dump["neigh"].as_array().unwrap().clone();
        neigh.sort_by_key(|v| v.to_string());
        out.insert(
            ns.clone(),
            json!({"links": links, "routes": routes, "rules": rules, "fdb": fdb, "neigh": neigh}),
        );
    }
    Value::Object(out)
}

/// Runs the lab in one sandbox and its dry run's commands in another, and
/// compares every state both ways; returns the real run's output.
#[track_caller]
fn same_state_both_ways(name: &str, params: &str) -> crate::support::sandbox::Output {
    let text = script(name);
    let real = Sandbox::new()
        .file("lab.rhai", &text)
        .step(&format!("netscript --lab {name} lab.rhai {params}"))
        .step(DUMP)
        .step(MORE)
        .run();
    let dry = Sandbox::new()
        .file("lab.rhai", &text)
        .step(&format!("netscript --dry-run --lab {name} lab.rhai {params} >lab.sh && bash -e lab.sh"))
        .step(DUMP)
        .step(MORE)
        .step("cat lab.sh")
        .run();
    real[0].success();
    dry[0].success();
    let script = &dry[3].stdout;
    assert_same_state(
        &normalize(&real[1].json()),
        &normalize(&dry[1].json()),
        &format!("{name}: links, addresses, main routes\n{script}"),
    );
    assert_same_state(
        &reduce(&real[2].json()),
        &reduce(&dry[2].json()),
        &format!("{name}: kinds, tables, rules, fdb\n{script}"),
    );
    real[0].clone()
}

#[test]
fn vxlan_lab_proves_itself_and_its_dry_run_builds_the_same() {
    if !privileged() {
        return;
    }
    let out = same_state_both_ways("vxlan", "");
    out.stdout_has("site-a: ").stdout_has("VXLAN packets (UDP 4789) arrived over the underlay");
    let other = same_state_both_ways("vxlan", "vni=4242 dstport=4790 learning=true");
    other.stdout_has("(UDP 4790)").stdout_has("(vni 4242)");
}

#[test]
fn vxlan_lab_is_seen_and_goes_down_exactly() {
    if !privileged() {
        return;
    }
    let before = "ls /run/netns; ip -br link";
    let out = Sandbox::new()
        .file("lab.rhai", &script("vxlan"))
        .step(before)
        .step("netscript --lab vxlan lab.rhai")
        .step("netscript show vxlan --json")
        .step("netscript graph vxlan")
        .step("ip netns exec h-a ping -c 1 -W 2 10.50.0.2")
        .step("netscript down vxlan")
        .step(before)
        .run();
    out[1].success();
    let state = out[2].json();
    let site_a = state["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == "site-a").unwrap();
    let vx = site_a["links"].as_array().unwrap().iter().find(|l| l["name"] == "vx0").unwrap();
    assert_eq!(
        (&vx["kind"], &vx["details"]["vni"], &vx["parent"]),
        (&"vxlan".into(), &"100".into(), &"under0".into()),
        "{vx}"
    );
    // The VXLAN is an edge from its bridge to the VTEP at the far end.
    let dot = &out[3].stdout;
    assert!(
        dot.lines().any(|l| l.contains("\"site-a/br0\":")
            && l.contains("-- \"site-b/br0\":")
            && l.contains("dotted")),
        "{dot}"
    );
    assert!(dot.contains("vx0"), "{dot}");
    out[4].success().stdout_has("1 received");
    out[5].success().stdout_has("removed 4 namespaces");
    assert_eq!(out[0].stdout, out[6].stdout);
}

#[test]
fn policy_routing_lab_proves_itself_and_its_dry_run_builds_the_same() {
    if !privileged() {
        return;
    }
    let out = same_state_both_ways("policy-routing", "");
    out.stdout_has("from 10.1.0.2: through isp1, seen as 10.1.0.2")
        .stdout_has("from 10.2.0.2: through isp2, seen as 10.2.0.2");
    same_state_both_ways("policy-routing", "table1=7 table2=8");
}

#[test]
fn policy_routing_lab_goes_down_exactly() {
    if !privileged() {
        return;
    }
    let before = "ls /run/netns; ip -br link; ip rule";
    let out = Sandbox::new()
        .file("lab.rhai", &script("policy-routing"))
        .step(before)
        .step("netscript --lab pr lab.rhai && netscript down pr")
        .step(before)
        .run();
    out[1].success();
    assert_eq!(out[0].stdout, out[2].stdout);
}

#[test]
fn policy_routing_script_as_a_library_of_checks() {
    // The statement the lab makes is the one checked: both dry runs print it.
    let out =
        Sandbox::new().file("lab.rhai", &script("policy-routing")).step("netscript --dry-run lab.rhai").run();
    if !privileged() {
        return;
    }
    out[0].success().stdout_has("ip -n client rule add priority 100 from 10.1.0.2/32 lookup 101");
}

#[test]
fn a_dry_run_goes_on_past_an_exec_with_what_it_made_assumed() {
    if !privileged() {
        return;
    }
    let lab = r#"
        bridge_add("br0");
        exec("ip link add vxlan0 type vxlan id 5 dstport 4789");
        link_set_master("vxlan0", "br0");
        addr_add("vxlan0", "10.5.0.1/24");
        link_up("vxlan0");
        link_up("br0");
    "#;
    let out = Sandbox::new()
        .file("lab.rhai", lab)
        .step("netscript --dry-run lab.rhai >lab.sh")
        .step("cat lab.sh")
        .step("bash -e lab.sh && ip -d -j link show vxlan0")
        .run();
    out[0].success();
    let text = &out[1].stdout;
    assert!(text.contains("\nsh -c 'ip link add vxlan0 type vxlan id 5 dstport 4789'\n"), "{text}");
    assert!(
        text.contains(
            "# assumed made by an earlier command: link 'vxlan0'\nip link set dev vxlan0 master br0\n"
        ),
        "{text}"
    );
    let made = out[2].json();
    assert_eq!((&made[0]["master"], &made[0]["linkinfo"]["info_kind"]), (&"br0".into(), &"vxlan".into()));
}
