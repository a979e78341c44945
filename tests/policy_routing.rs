//! Policy routing: rules with every selector, routes in other tables (by
//! number and by name), multipath with weights, blackhole, unreachable,
//! prohibit, onlink, src, metric, mtu, IPv4 and IPv6; checked with `ip -j
//! rule` and `ip -j route show table all`, undone exactly by `down`, and
//! built the same by the dry run's commands.

use serde_json::Value;

use crate::support::{Sandbox, privileged};

pub const POLICY: &str = r#"
let r = netns_add("r");
r.veth_add("a0", "a1");
r.veth_add("b0", "b1");
r.addr_add("a0", "10.1.0.2/24");
r.addr_add("b0", "10.2.0.2/24");
r.addr_add("a0", "fd01::2/64");
r.link_up("a0");
r.link_up("b0");
r.link_up("a1");
r.link_up("b1");
r.route_add("default", #{via: "10.1.0.1", table: 101});
r.route_add("default", #{via: "10.2.0.1", table: "main", metric: 200});
r.route_add("198.51.100.0/24", #{nexthops: [#{via: "10.1.0.1", weight: 1}, #{via: "10.2.0.1", weight: 3}], table: 102});
r.route_add("203.0.113.0/24", #{type: "blackhole"});
r.route_add("203.0.114.0/24", #{type: "unreachable", table: 101});
r.route_add("203.0.115.0/24", #{type: "prohibit"});
r.route_add("192.0.2.0/24", #{via: "10.9.9.9", dev: "a0", onlink: true});
r.route_add("100.64.0.0/10", #{via: "10.1.0.1", src: "10.1.0.2", mtu: 1400});
r.route_add("2001:db8::/32", #{via: "fd01::1", table: 101});
r.ip_rule_add(#{from: "10.1.0.2", table: 101, priority: 100});
r.ip_rule_add(#{to: "198.51.100.0/24", iif: "b0", table: 102, priority: 110});
r.ip_rule_add(#{fwmark: "0x10/0xff", table: 101, priority: 120});
r.ip_rule_add(#{oif: "a0", table: "main", priority: 130});
r.ip_rule_add(#{from: "10.2.0.0/24", "goto": 200, priority: 140});
r.ip_rule_add(#{from: "10.2.0.0/24", action: "prohibit", priority: 150});
r.ip_rule_add(#{from: "fd01::/64", table: 101, priority: 100});
r.ip_rule_add(#{to: "10.3.0.0/24", table: 101});
r.ip_rule_del(#{to: "10.3.0.0/24", table: 101});
print(r.ip_rule_list().len());
print(r.route_list(101).len());
print(r.route_list("all").filter(|x| x.table == 102)[0].nexthops.len());
// In the host: undone one by one.
veth_add("h0", "h1");
addr_add("h0", "10.7.0.1/24");
link_up("h0");
route_add("default", #{via: "10.7.0.2", table: 77});
ip_rule_add(#{iif: "h0", table: 77, priority: 1000});
"#;

fn rules(json: &Value) -> Vec<String> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut words = vec![r["priority"].to_string()];
            for key in ["src", "dst", "iif", "oif", "fwmark", "fwmask", "table", "goto", "action"] {
                if let Some(v) = r.get(key) {
                    let v = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    if !(key == "src" && v == "all") {
                        words.push(format!("{key} {v}"));
                    }
                }
            }
            words.join(" ")
        })
        .collect()
}

#[test]
fn rules_and_routes_in_every_table() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .file("p.rhai", POLICY)
        .step("netscript p.rhai")
        .step("ip -n r -j rule; ip -n r -6 -j rule")
        .step("ip -n r -j route show table all; ip -n r -6 -j route show table all")
        .step("ip -j rule; netscript down p; ip -j rule; ip -j route show table 77; ls /run/netns")
        .run();
    out[0].success().stdout_has("12\n3\n2\n");
    let mut lines = out[1].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let v4 = rules(&lines.next().unwrap());
    for want in [
        "100 src 10.1.0.2 table 101",
        "110 dst 198.51.100.0 iif b0 table 102",
        "120 fwmark 0x10 fwmask 0xff table 101",
        "130 oif a0 table main",
        "140 src 10.2.0.0 goto 200",
        "150 src 10.2.0.0 action prohibit",
    ] {
        assert!(v4.iter().any(|r| r.starts_with(want)), "no rule '{want}' in {v4:?}");
    }
    assert!(!v4.iter().any(|r| r.contains("dst 10.3.0.0")), "{v4:?}");
    let v6 = rules(&lines.next().unwrap());
    assert!(v6.iter().any(|r| r.starts_with("100 src fd01:: table 101")), "{v6:?}");

    let mut lines = out[2].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let routes: Vec<Value> = lines.next().unwrap().as_array().unwrap().clone();
    let find = |dst: &str, table: Option<&str>| {
        routes
            .iter()
            .find(|r| r["dst"] == dst && r.get("table").and_then(Value::as_str) == table)
            .unwrap_or_else(|| panic!("no route {dst} in table {table:?}: {routes:?}"))
            .clone()
    };
    assert_eq!(find("default", Some("101"))["gateway"], "10.1.0.1");
    assert_eq!(find("default", None)["metric"], 200);
    let multi = find("198.51.100.0/24", Some("102"));
    let hops: Vec<(String, u64)> = multi["nexthops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["gateway"].as_str().unwrap().into(), h["weight"].as_u64().unwrap()))
        .collect();
    assert_eq!(hops, [("10.1.0.1".into(), 1), ("10.2.0.1".into(), 3)]);
    assert_eq!(find("203.0.113.0/24", None)["type"], "blackhole");
    assert_eq!(find("203.0.114.0/24", Some("101"))["type"], "unreachable");
    assert_eq!(find("203.0.115.0/24", None)["type"], "prohibit");
    let onlink = find("192.0.2.0/24", None);
    assert!(onlink["flags"].as_array().unwrap().iter().any(|f| f == "onlink"), "{onlink}");
    let src = find("100.64.0.0/10", None);
    assert_eq!((&src["prefsrc"], &src["metrics"][0]["mtu"]), (&"10.1.0.2".into(), &1400.into()));
    let v6routes = lines.next().unwrap();
    assert!(
        v6routes.as_array().unwrap().iter().any(|r| r["dst"] == "2001:db8::/32" && r["table"] == "101"),
        "{v6routes}"
    );

    let text = &out[3].stdout;
    let mut lines = text.lines();
    let during = rules(&serde_json::from_str(lines.next().unwrap()).unwrap());
    assert!(during.iter().any(|r| r.starts_with("1000 iif h0 table 77")), "{during:?}");
    assert!(lines.next().unwrap().contains("removed 1 namespace, 1 link, 1 route, 1 routing rule"), "{text}");
    let after = rules(&serde_json::from_str(lines.next().unwrap()).unwrap());
    assert_eq!(after, ["0 table local", "32766 table main", "32767 table default"]);
}

#[test]
fn table_names_come_from_rt_tables() {
    if !privileged() {
        return;
    }
    // The sandbox's /etc is the machine's: read, never written. Its own
    // copy of rt_tables is bind-mounted over it inside the sandbox only.
    let out = Sandbox::new()
        .file("rt_tables", "255 local\n254 main\n253 default\n0 unspec\n142 isp-test\n")
        .file("n.rhai", "let r = netns_add(\"r\");\nr.veth_add(\"a0\", \"a1\");\nr.addr_add(\"a0\", \"10.1.0.2/24\");\nr.link_up(\"a0\");\nr.route_add(\"default\", #{via: \"10.1.0.1\", table: \"isp-test\"});\nr.ip_rule_add(#{from: \"10.1.0.2\", table: \"isp-test\"});\nr.ip_rule_add(#{from: \"10.1.0.3\", table: \"no-such-isp\"});\n")
        .step(
            "f=/etc/iproute2/rt_tables; [ -e $f ] || f=/usr/share/iproute2/rt_tables; \
             mount --bind rt_tables $f && netscript n.rhai",
        )
        .step("ls /run/netns")
        .run();
    out[0]
        .failure(1)
        .stderr_has("n.rhai:7:")
        .stderr_has("table 'no-such-isp' is not in /etc/iproute2/rt_tables")
        .stderr_has("rolled back");
    assert_eq!(out[1].stdout, "");
}
