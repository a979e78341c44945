//! The labs in scripts/, each run in a sandbox as its header says, with its
//! defaults and with other parameters: each must pass its own checks, and
//! iproute2, nft and iputils' ping must agree that the lab is what it says.
//! NAT labs get a stand-in uplink first (tests/support/internet.rhai), or
//! make one themselves when `internet=` names a namespace that does not exist.

use std::fs;

use serde_json::Value;

use crate::support::{Sandbox, addresses_of, link_names, privileged, script_path as script};

/// The firewall labs' tests are in tests/firewall.rs; the link labs' in tests/link_labs.rs;
/// the BIRD labs' (bgp, ospf) in tests/bird.rs; the DHCP lab's in tests/dhcp.rs.
const SCRIPTS: &[&str] = &[
    "bgp",
    "bridge-lab",
    "bridge-nat",
    "dhcp",
    "firewall",
    "grid",
    "host-gateway",
    "internal-external",
    "ospf",
    "policy-routing",
    "router-firewall",
    "routers",
    "star",
    "veth-pair",
    "vlan-trunk",
    "vxlan",
    "wan",
];

/// The stand-in internet: a veth `uplink` (203.0.113.2/24) into namespace
/// `internet` (203.0.113.1/24, 198.51.100.1), the sandbox's default route.
fn stand_in(uplink: &str) -> String {
    format!(
        "netscript --lab internet {}/tests/support/internet.rhai uplink={uplink}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// iputils' ping, one request: an observer independent of netscript's own.
fn ping(ns: &str, addr: &str) -> String {
    format!("ip netns exec {ns} ping -c 1 -W 2 {addr}")
}

/// Bridge netfilter on where the kernel has it: then bridged traffic passes
/// the nat hooks too, the case where a careless masquerade rewrites traffic
/// inside the subnet.
const BRIDGE_NETFILTER: &str =
    "f=/proc/sys/net/bridge/bridge-nf-call-iptables; if [ -e $f ]; then echo 1 >$f; fi";

/// "dst via gateway dev d" for each route of `ip -j route`.
fn routes(json: &Value) -> Vec<String> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| match r["gateway"].as_str() {
            Some(gw) => format!("{} via {gw} dev {}", r["dst"].as_str().unwrap(), r["dev"].as_str().unwrap()),
            None => format!("{} dev {}", r["dst"].as_str().unwrap(), r["dev"].as_str().unwrap()),
        })
        .collect()
}

/// "SUBNET out IFACE" for each masquerade rule of `nft -j list ...`, read
/// from the rule's matches (not netscript's comment); "out *" when the rule
/// matches every output interface.
fn masquerades(json: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for item in json["nftables"].as_array().unwrap() {
        let Some(expr) = item["rule"]["expr"].as_array() else { continue };
        if !expr.iter().any(|e| e.get("masquerade").is_some()) {
            continue;
        }
        let mut source = "*".to_string();
        let mut out = "*".to_string();
        for m in expr.iter().filter_map(|e| e.get("match")) {
            if m["op"] == "==" && m["left"]["payload"]["field"] == "saddr" {
                let p = &m["right"]["prefix"];
                source = format!("{}/{}", p["addr"].as_str().unwrap(), p["len"]);
            }
            if m["op"] == "==" && m["left"]["meta"]["key"] == "oifname" {
                out = m["right"].as_str().unwrap().to_string();
            }
        }
        found.push(format!("{source} out {out}"));
    }
    found
}

/// "IN -> OUT" for each accept rule of the forward chain.
fn forward_accepts(json: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for item in json["nftables"].as_array().unwrap() {
        let rule = &item["rule"];
        if rule["chain"] != "forward" {
            continue;
        }
        let meta = |key: &str| {
            rule["expr"].as_array().unwrap().iter().find_map(|e| {
                (e["match"]["left"]["meta"]["key"] == key)
                    .then(|| e["match"]["right"].as_str().unwrap().to_string())
            })
        };
        if let (Some(iif), Some(oif)) = (meta("iifname"), meta("oifname")) {
            found.push(format!("{iif} -> {oif}"));
        }
    }
    found.sort();
    found
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn every_script_has_a_test() {
    let mut found: Vec<String> = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".rhai").map(String::from))
        .collect();
    found.sort();
    assert_eq!(found, SCRIPTS, "a script in scripts/ without a test here, or the other way round");
}

#[test]
fn host_gateway_with_the_tutorials_uplink() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&stand_in("enp1s0"))
        .step(&format!("netscript {} internet=internet", script("host-gateway")))
        .step("ip -n ns1 -j addr; ip -j addr")
        .step("ip -n ns1 -j route")
        .step("nft -j list table inet netscript")
        .step("cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding")
        .step(&ping("ns1", "198.51.100.1"))
        .run();
    out[0].success();
    out[1].success().stdout_has("ns1 reaches 198.51.100.1 through enp1s0, seen as 203.0.113.2");
    let mut addrs = out[2].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth-ns"), ["10.0.0.2/24"]);
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth-host"), ["10.0.0.1/24"]);
    assert!(routes(&out[3].json()).contains(&"default via 10.0.0.1 dev veth-ns".to_string()));
    let table = out[4].json();
    assert_eq!(masquerades(&table), ["10.0.0.0/24 out enp1s0"]);
    assert_eq!(forward_accepts(&table), ["enp1s0 -> veth-host", "veth-host -> enp1s0"]);
    // IPv4 forwarding only, as the tutorial has it.
    assert_eq!(lines(&out[5].stdout), ["1", "0"]);
    // The internet has no route back to 10.0.0.0/24: an answer proves NAT.
    out[6].success().stdout_has("1 received");
}

#[test]
fn host_gateway_with_other_names_makes_its_own_stand_in() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!(
            "netscript {} ns=client9 subnet=10.77.0.0/24 uplink=up0 internet=wan internet_addr=198.51.100.1",
            script("host-gateway")
        ))
        .step("ls /run/netns; nft -j list table inet netscript")
        .step(&ping("client9", "198.51.100.1"))
        .run();
    out[0].success().stdout_has("client9 reaches 198.51.100.1 through up0, seen as 203.0.113.2");
    let (netns, table) = out[1].stdout.split_once('{').unwrap();
    assert_eq!(lines(netns), ["client9", "wan"]);
    assert_eq!(masquerades(&serde_json::from_str(&format!("{{{table}")).unwrap()), ["10.77.0.0/24 out up0"]);
    out[2].success().stdout_has("1 received");
}

#[test]
fn host_gateway_without_internet_skips_the_probe() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&stand_in("eth0"))
        .step(&format!("netscript {}", script("host-gateway")))
        .step(&ping("ns1", "198.51.100.1"))
        .run();
    out[1].success();
    assert_eq!(out[1].stdout, "");
    out[2].success().stdout_has("1 received");
}

#[test]
fn host_gateway_without_an_uplink_says_what_to_pass() {
    if !privileged() {
        return;
    }
    let out =
        Sandbox::new().step(&format!("netscript {}", script("host-gateway"))).step("ls /run/netns").run();
    let text = fs::read_to_string(script("host-gateway")).unwrap();
    let line = text.lines().position(|l| l.contains("nat::uplink(")).unwrap() + 1;
    // The caret is on the script's line, not in the stdlib.
    out[0]
        .failure(1)
        .stderr_has("no default route in the host namespace; pass uplink=IFNAME")
        .stderr_has(&format!("host-gateway.rhai:{line}:"))
        .stderr_has("in nat::uplink, called at line");
    assert_eq!(out[1].stdout, "");
}

#[test]
fn bridge_nat_as_in_the_tutorial() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(BRIDGE_NETFILTER)
        .step(&stand_in("eth0"))
        .step(&format!("netscript {} internet=internet", script("bridge-nat")))
        .step("ip -j link")
        .step("ip -n web-ns -j addr; ip -n db-ns -j addr")
        .step("ip -n web-ns -j route; ip -n db-ns -j route")
        .step("nft -j list table inet netscript")
        .step(&ping("web-ns", "192.168.15.6"))
        .step(&ping("db-ns", "198.51.100.1"))
        .run();
    out[2]
        .success()
        .stdout_has("web-ns reaches 198.51.100.1 through eth0, seen as 203.0.113.2")
        .stdout_has("db-ns reaches 198.51.100.1 through eth0, seen as 203.0.113.2");
    let links = out[3].json();
    assert_eq!(link_names(&links), ["eth0", "lo", "veth-db-br", "veth-web-br", "vnet-0"]);
    for link in links.as_array().unwrap() {
        let name = link["ifname"].as_str().unwrap();
        if name.starts_with("veth-") {
            assert_eq!(link["master"], "vnet-0", "{link}");
        }
        if name != "lo" {
            assert!(link["flags"].as_array().unwrap().contains(&"UP".into()), "{name} is not up: {link}");
        }
    }
    let mut addrs = out[4].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    assert_eq!(addresses_of(&addrs.next().unwrap(), "eth0-web"), ["192.168.15.5/24"]);
    assert_eq!(addresses_of(&addrs.next().unwrap(), "eth0-db"), ["192.168.15.6/24"]);
    let mut route_lists = out[5].stdout.lines().map(|l| routes(&serde_json::from_str(l).unwrap()));
    assert!(route_lists.next().unwrap().contains(&"default via 192.168.15.1 dev eth0-web".into()));
    assert!(route_lists.next().unwrap().contains(&"default via 192.168.15.1 dev eth0-db".into()));
    assert_eq!(masquerades(&out[6].json()), ["192.168.15.0/24 out eth0"]);
    out[7].success().stdout_has("1 received");
    out[8].success().stdout_has("1 received");
}

#[test]
fn bridge_nat_with_other_names_and_subnet() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(BRIDGE_NETFILTER)
        .step(&format!(
            "netscript {} web=front db=back bridge=br-lab subnet=10.15.0.0/24 uplink=wan0 internet=isp",
            script("bridge-nat")
        ))
        .step("ip -j addr show br-lab; ip -n front -j route")
        .step(&ping("back", "10.15.0.5"))
        .run();
    out[1].success().stdout_has("front reaches 198.51.100.1 through wan0, seen as 203.0.113.2");
    let (addr, route) = out[2].stdout.split_once('\n').unwrap();
    assert_eq!(addresses_of(&serde_json::from_str(addr).unwrap(), "br-lab"), ["10.15.0.1/24"]);
    assert!(
        routes(&serde_json::from_str(route).unwrap()).contains(&"default via 10.15.0.1 dev eth0-web".into())
    );
    out[3].success().stdout_has("1 received");
}

#[test]
fn internal_external_as_in_the_tutorial() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&stand_in("eth0"))
        .step(&format!("netscript {} internet=internet", script("internal-external")))
        .step("ip -n ns_internal -j addr; ip -n ns_external -j addr")
        .step("ip -n ns_internal -j route; ip -n ns_external -j route")
        .step("nft -j list table inet netscript")
        .step(&ping("ns_external", "192.168.1.1"))
        .step(&ping("ns_internal", "198.51.100.1"))
        .run();
    out[1].success().stdout_has("ns_internal reaches 198.51.100.1 through eth0, seen as 203.0.113.2");
    let mut addrs = out[2].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    // The tutorial's 16-byte veth_internal_ns, shortened.
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth_int_ns"), ["192.168.1.1/24"]);
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth_ext_ns"), ["192.168.2.1/24"]);
    let mut route_lists = out[3].stdout.lines().map(|l| routes(&serde_json::from_str(l).unwrap()));
    assert!(route_lists.next().unwrap().contains(&"default via 192.168.1.254 dev veth_int_ns".into()));
    assert!(route_lists.next().unwrap().contains(&"192.168.1.0/24 via 192.168.2.254 dev veth_ext_ns".into()));
    assert_eq!(masquerades(&out[4].json()), ["192.168.1.0/24 out eth0"]);
    out[5].success().stdout_has("1 received");
    out[6].success().stdout_has("1 received");
}

#[test]
fn internal_external_with_other_names_and_subnets() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&stand_in("eth0"))
        .step(&format!(
            "netscript {} internal=inside external=outside internal_subnet=10.1.1.0/24 \
             external_subnet=10.2.2.0/24 internet=internet",
            script("internal-external")
        ))
        .step(&ping("outside", "10.1.1.1"))
        .run();
    out[1].success().stdout_has("inside reaches 198.51.100.1 through eth0, seen as 203.0.113.2");
    out[2].success().stdout_has("1 received");
}

#[test]
fn bridge_lab_as_in_the_tutorial() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(BRIDGE_NETFILTER)
        .step(&stand_in("eth0"))
        .step(&format!("netscript {} internet=internet", script("bridge-lab")))
        .step("ip -n one -j addr; ip -n two -j addr; ip -j addr show v-net-0")
        .step("ip -n one -j route; ip -n two -j route")
        .step("ip -j link")
        .step(&ping("two", "198.51.100.1"))
        .run();
    out[2].success().stdout_has("one reaches 198.51.100.1 through eth0, seen as 203.0.113.2");
    let mut addrs = out[3].stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    // The first pair is gone; the second has the bridge's subnet.
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth-one"), ["192.168.15.1/24"]);
    assert_eq!(addresses_of(&addrs.next().unwrap(), "veth-two"), ["192.168.15.2/24"]);
    assert_eq!(addresses_of(&addrs.next().unwrap(), "v-net-0"), ["192.168.15.5/24"]);
    for (ns, routes) in
        ["one", "two"].iter().zip(out[4].stdout.lines().map(|l| routes(&serde_json::from_str(l).unwrap())))
    {
        assert_eq!(
            routes,
            [format!("default via 192.168.15.5 dev veth-{ns}"), format!("192.168.15.0/24 dev veth-{ns}")]
        );
    }
    assert_eq!(link_names(&out[5].json()), ["eth0", "lo", "v-net-0", "veth-one-br", "veth-two-br"]);
    out[6].success().stdout_has("1 received");
}

#[test]
fn bridge_lab_with_other_names_and_subnets() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&stand_in("eth0"))
        .step(&format!(
            "netscript {} one=left two=right bridge=br9 subnet=10.9.9.0/24 pair_subnet=10.8.8.0/24 internet=internet",
            script("bridge-lab")
        ))
        .step(&ping("right", "10.9.9.1"))
        .run();
    out[1].success().stdout_has("left reaches 198.51.100.1 through eth0, seen as 203.0.113.2");
    out[2].success().stdout_has("1 received");
}

#[test]
fn veth_pair_as_in_the_notes() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("veth-pair")))
        .step("ip -n client -j addr; ip -n server -j addr; ip -n test -j addr; ip -j addr")
        .step(&ping("client", "10.0.0.2"))
        .run();
    out[0].success().stdout_has("client: pair-client 10.0.0.1/24");
    let addrs: Vec<Value> = out[1].stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(addresses_of(&addrs[0], "pair-client"), ["10.0.0.1/24"]);
    assert_eq!(addresses_of(&addrs[1], "pair-server"), ["10.0.0.2/24"]);
    assert_eq!(addresses_of(&addrs[2], "pair-test"), ["10.0.0.1/24"]);
    assert_eq!(addresses_of(&addrs[3], "pair-host"), ["10.0.0.2/24"]);
    out[2].success().stdout_has("1 received");
}

#[test]
fn veth_pair_with_other_names_and_subnets() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!(
            "netscript {} client=c server=s test=t subnet=10.5.0.0/24 host_subnet=10.6.0.0/24",
            script("veth-pair")
        ))
        .step(&ping("t", "10.6.0.2"))
        .run();
    out[0].success().stdout_has("c: pair-client 10.5.0.1/24").stdout_has("t: pair-test 10.6.0.1/24");
    out[1].success().stdout_has("1 received");
}

#[test]
fn star_of_50_hosts_checks_itself() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} hosts=50 check=true", script("star")))
        .step(&ping("h50", "10.10.0.2"))
        .run();
    out[0].success().stdout_has("50 hosts on star0 reach each other");
    out[1].success().stdout_has("1 received");
}

#[test]
fn star_without_check_builds_exactly_the_star() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} hosts=7", script("star")))
        .step("ls /run/netns")
        .step("ip -j link")
        .step("ip -j addr show star0")
        .step("for ns in $(ls /run/netns); do ip -n $ns -j route; done")
        .step("for ns in $(ls /run/netns); do ip -n $ns -j addr show eth0; done")
        .step("nft list ruleset; cat /proc/sys/net/ipv4/ip_forward")
        .run();
    assert_eq!(out[0].success().stdout, "");
    assert_eq!(lines(&out[1].stdout), ["h1", "h2", "h3", "h4", "h5", "h6", "h7"]);
    let links = out[2].json();
    assert_eq!(
        link_names(&links),
        ["h1-br", "h2-br", "h3-br", "h4-br", "h5-br", "h6-br", "h7-br", "lo", "star0"]
    );
    assert_eq!(addresses_of(&out[3].json(), "star0"), ["10.10.0.1/16"]);
    let host_routes: Vec<Vec<String>> =
        out[4].stdout.lines().map(|l| routes(&serde_json::from_str(l).unwrap())).collect();
    assert_eq!(host_routes.len(), 7);
    for r in host_routes {
        assert_eq!(r, ["default via 10.10.0.1 dev eth0", "10.10.0.0/16 dev eth0"]);
    }
    let addrs: Vec<Vec<String>> =
        out[5].stdout.lines().map(|l| addresses_of(&serde_json::from_str(l).unwrap(), "eth0")).collect();
    let expected: Vec<Vec<String>> = (2..=8).map(|i| vec![format!("10.10.0.{i}/16")]).collect();
    // `ls` sorts h1..h7 as the addresses go.
    assert_eq!(addrs, expected);
    assert_eq!(out[6].stdout, "0\n");
}

#[test]
fn star_with_other_subnet_and_bridge() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} hosts=5 subnet=172.20.0.0/24 bridge=sw check=true", script("star")))
        .step("ip -j addr show sw")
        .step(&ping("h5", "172.20.0.2"))
        .run();
    // Five hosts: every host pings every host.
    out[0].success().stdout_has("5 hosts on sw reach each other");
    assert_eq!(addresses_of(&out[1].json(), "sw"), ["172.20.0.1/24"]);
    out[2].success().stdout_has("1 received");
}

#[test]
fn routers_chain_as_by_default_and_longer() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {}", script("routers")))
        .step("ip -n r2 -j route; ip -n r1 -j route")
        .step("cat /proc/sys/net/ipv4/ip_forward; ip netns exec r2 cat /proc/sys/net/ipv4/ip_forward")
        .step(&ping("a1", "10.2.0.10"))
        .run();
    out[0].success().stdout_has("a1 and b1 reach each other through 3 router(s)");
    let mut route_lists = out[1].stdout.lines().map(|l| routes(&serde_json::from_str(l).unwrap()));
    let r2 = route_lists.next().unwrap();
    assert!(r2.contains(&"10.1.0.0/24 via 10.255.0.1 dev to-r1".into()), "{r2:?}");
    assert!(r2.contains(&"10.2.0.0/24 via 10.255.0.6 dev to-r3".into()), "{r2:?}");
    let r1 = route_lists.next().unwrap();
    assert!(r1.contains(&"10.2.0.0/24 via 10.255.0.2 dev to-r2".into()), "{r1:?}");
    // Forwarding in the routers, not on the host.
    assert_eq!(lines(&out[2].stdout), ["0", "1"]);
    out[3].success().stdout_has("1 received").stdout_has("ttl=61");
}

#[test]
fn routers_with_other_subnets_and_count() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!(
            "netscript {} routers=8 lan_a=172.16.1.0/24 lan_b=172.16.2.0/24 links=172.31.0.0/26",
            script("routers")
        ))
        .step(&ping("b1", "172.16.1.10"))
        .run();
    out[0].success().stdout_has("through 8 router(s)");
    out[1].success().stdout_has("ttl=56");
}

#[test]
fn grid_routers_reach_their_neighbours_and_forward() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!("netscript {} rows=3 cols=4 check=true", script("grid")))
        .step("ls /run/netns | wc -l; ip -n r2-2 -j addr show dev e; ip netns exec r3-4 cat /proc/sys/net/ipv4/ip_forward")
        .step("ip netns exec r1-1 ping -c 1 -W 2 10.0.0.2 && netscript down grid && ls /run/netns | wc -l")
        .run();
    out[0].success().stdout_has("12 routers, 17 links: every neighbour answers");
    let lines: Vec<&str> = out[1].stdout.lines().collect();
    assert_eq!(lines[0], "12");
    // r2-2's east link is the 5th east-west link: 10.0.0.17/30.
    assert!(lines[1].contains("\"local\":\"10.0.0.17\",\"prefixlen\":30"), "{}", lines[1]);
    assert_eq!(lines[2], "1");
    out[2].success().stdout_has("grid: removed 12 namespaces");
    assert!(out[2].stdout.ends_with("\n0\n"), "{}", out[2].stdout);
}
