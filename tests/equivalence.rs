//! A lab written from the README gives the same kernel state as the
//! iproute2 commands it stands for.

use serde_json::{Value, json};

use crate::support::{Sandbox, privileged};

const SCRIPT: &str = r#"
let web = netns_add("web-ns");
let db = netns_add("db-ns");
bridge_add("vnet-0");
addr_add("vnet-0", "192.168.15.1/24");
link_up("vnet-0");
veth_add(host(), "veth-web-br", web, "eth0-web");
veth_add(host(), "veth-db-br", db, "eth0-db");
link_set_master("veth-web-br", "vnet-0");
link_set_master("veth-db-br", "vnet-0");
link_up("veth-web-br");
link_up("veth-db-br");
web.addr_add("eth0-web", "192.168.15.5/24");
db.addr_add("eth0-db", "192.168.15.6/24");
web.link_up("eth0-web");
db.link_up("eth0-db");
web.route_add("default", "192.168.15.1");
db.route_add("default", "192.168.15.1");
"#;

const IPROUTE2: &str = "set -e
ip netns add web-ns
ip netns add db-ns
ip -n web-ns link set lo up
ip -n db-ns link set lo up
ip link add vnet-0 type bridge
ip addr add 192.168.15.1/24 dev vnet-0
ip link set vnet-0 up
ip link add veth-web-br type veth peer name eth0-web netns web-ns
ip link add veth-db-br type veth peer name eth0-db netns db-ns
ip link set veth-web-br master vnet-0
ip link set veth-db-br master vnet-0
ip link set veth-web-br up
ip link set veth-db-br up
ip -n web-ns addr add 192.168.15.5/24 dev eth0-web
ip -n db-ns addr add 192.168.15.6/24 dev eth0-db
ip -n web-ns link set eth0-web up
ip -n db-ns link set eth0-db up
ip -n web-ns route add default via 192.168.15.1
ip -n db-ns route add default via 192.168.15.1
";

/// `ip -j` state of the host and both namespaces, as one JSON document.
const DUMP: &str = r#"echo '{'; for ns in "" web-ns db-ns; do
  n=${ns:+-n $ns}
  echo "\"${ns:-host}\": {\"link\": $(ip $n -j -d link), \"addr\": $(ip $n -j addr), \"route\": $(ip $n -j route), \"route6\": $(ip $n -j -6 route)},"
done; echo '"end": 0}'"#;

/// What of `ip -j` output is the lab's state, not this boot's accident
/// (indexes, MAC addresses, timers, counters, link-local addresses).
fn normalize(state: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for ns in ["host", "web-ns", "db-ns"] {
        let links: Vec<Value> = state[ns]["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let mut flags: Vec<String> =
                    l["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
                flags.sort();
                json!({"ifname": l["ifname"], "flags": flags, "mtu": l["mtu"], "master": l["master"],
                       "kind": l["linkinfo"]["info_kind"], "link_type": l["link_type"]})
            })
            .collect();
        let addrs: Vec<Value> = state[ns]["addr"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| {
                let name = l["ifname"].clone();
                l["addr_info"].as_array().unwrap().iter().filter(|a| a["scope"] != "link").map(move |a| {
                    json!({"dev": name, "local": a["local"], "prefixlen": a["prefixlen"], "scope": a["scope"],
                           "broadcast": a["broadcast"], "family": a["family"]})
                }).collect::<Vec<_>>()
            })
            .collect();
        let routes: Vec<Value> = ["route", "route6"]
            .iter()
            .flat_map(|key| state[ns][key].as_array().unwrap().clone())
            .map(|r| {
                json!({"dst": r["dst"], "gateway": r["gateway"], "dev": r["dev"], "protocol": r["protocol"],
                            "scope": r["scope"], "metric": r["metric"], "prefsrc": r["prefsrc"]})
            })
            .collect();
        out.insert(
            ns.into(),
            json!({"links": sorted(links), "addrs": sorted(addrs), "routes": sorted(routes)}),
        );
    }
    Value::Object(out)
}

fn sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|v| v.to_string());
    items
}

#[test]
fn bridge_lab_matches_iproute2_state() {
    if !privileged() {
        return;
    }
    let ours = Sandbox::new().file("lab.rhai", SCRIPT).step("netscript lab.rhai").step(DUMP).run();
    ours[0].success();
    let theirs = Sandbox::new().file("lab.sh", IPROUTE2).step("bash lab.sh").step(DUMP).run();
    theirs[0].success();
    let (ours, theirs) = (normalize(&ours[1].json()), normalize(&theirs[1].json()));
    assert_eq!(
        ours,
        theirs,
        "netscript:\n{}\niproute2:\n{}",
        serde_json::to_string_pretty(&ours).unwrap(),
        serde_json::to_string_pretty(&theirs).unwrap()
    );
    // The comparison is about something: the lab is all there.
    // `ip` leaves out the protocol when it is "boot", its default.
    let default = json!({"dst": "default", "gateway": "192.168.15.1", "dev": "eth0-web", "protocol": null,
                         "scope": null, "metric": null, "prefsrc": null});
    assert!(ours["web-ns"]["routes"].as_array().unwrap().contains(&default), "{ours}");
    assert_eq!(ours["host"]["links"].as_array().unwrap().len(), 4);
}
