//! A lab written from the README gives the same kernel state as the
//! iproute2 commands it stands for.

use serde_json::json;

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged};

pub const SCRIPT: &str = r#"
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
    assert_same_state(&ours, &theirs, "netscript, then iproute2");
    // The comparison is about something: the lab is all there.
    // `ip` leaves out the protocol when it is "boot", its default.
    let default = json!({"dst": "default", "gateway": "192.168.15.1", "dev": "eth0-web", "protocol": null,
                         "scope": null, "metric": null, "prefsrc": null});
    assert!(ours["web-ns"]["routes"].as_array().unwrap().contains(&default), "{ours}");
    assert_eq!(ours["host"]["links"].as_array().unwrap().len(), 4);
}
