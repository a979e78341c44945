//! The link kinds this machine's kernel lacks exist in the VM's, each made
//! by iproute2 in a sandbox and seen with `ip -d -j link`: the modules load
//! on demand (the kernel's request_module runs the image's modprobe).

use crate::support::vm::needs_vm_kernel;
use crate::support::{Sandbox, privileged};

/// Name, the `ip link add` arguments after the name, the kind `ip` reports.
const KINDS: &[(&str, &str, &str)] = &[
    ("dum0", "type dummy", "dummy"),
    ("vrf0", "type vrf table 10", "vrf"),
    ("wg0", "type wireguard", "wireguard"),
    ("bond0", "type bond mode active-backup", "bond"),
    ("gre0x", "type gre local 192.0.2.1 remote 192.0.2.2", "gre"),
    ("gretap0x", "type gretap local 192.0.2.1 remote 192.0.2.3", "gretap"),
    ("ipip0x", "type ipip local 192.0.2.1 remote 192.0.2.4", "ipip"),
    ("sit0x", "type sit local 192.0.2.1 remote 192.0.2.5", "sit"),
    ("ip6gre0x", "type ip6gre local 2001:db8::1 remote 2001:db8::2", "ip6gre"),
    ("vx0", "type vxlan id 42 dstport 4789 local 192.0.2.1", "vxlan"),
    ("mv0", "link dum0 type macvlan mode bridge", "macvlan"),
    ("mvt0", "link dum0 type macvtap mode bridge", "macvtap"),
    ("ifb9", "type ifb", "ifb"),
    ("tun0", "type tuntap mode tun", "tun"),
];

#[test]
fn the_link_kinds_this_kernel_lacks_exist_there() {
    if !needs_vm_kernel("dummy, vrf, wireguard, bonding, gre, ipip, sit") || !privileged() {
        return;
    }
    let mut sandbox = Sandbox::new();
    for (name, args, _) in KINDS {
        let mut add = match args.strip_prefix("type tuntap ") {
            Some(mode) => format!("ip tuntap add dev {name} {mode}"),
            None => format!("ip link add {name} {args}"),
        };
        if *name == "dum0" {
            // The address the tunnels start from, the link macvlan sits on.
            add.push_str(" && ip addr add 192.0.2.1/24 dev dum0 && ip link set dum0 up");
        }
        sandbox = sandbox.step(&format!("{add} && ip -j -d link show {name}"));
    }
    let out = sandbox.run();
    let mut wrong = Vec::new();
    for ((name, _, kind), out) in KINDS.iter().zip(&out) {
        if out.code != 0 {
            wrong.push(format!("{name}: `{}` failed: {}", out.command, out.stderr.trim()));
            continue;
        }
        let link = &out.json()[0];
        let info = &link["linkinfo"]["info_kind"];
        // tun devices report no kind of their own to rtnetlink in 6.1.
        if kind != &"tun" && info != kind {
            wrong.push(format!("{name}: kind {info}, expected {kind}"));
        }
    }
    assert!(wrong.is_empty(), "in the VM's kernel:\n{}", wrong.join("\n"));
}

#[test]
fn a_vlan_filtering_bridge_keeps_vlans_apart() {
    if !needs_vm_kernel("bridge VLAN filtering") || !privileged() {
        return;
    }
    // Three hosts on one bridge: h1 and h2 on VLAN 10, h3 on VLAN 20.
    let mut setup = String::from("ip link add br0 type bridge vlan_filtering 1 && ip link set br0 up");
    for (i, vid) in [(1, 10), (2, 10), (3, 20)] {
        setup.push_str(&format!(
            " && ip netns add h{i} && ip link add h{i}-port type veth peer name eth0 netns h{i} && \
             ip link set h{i}-port master br0 && ip link set h{i}-port up && \
             bridge vlan del dev h{i}-port vid 1 && bridge vlan add dev h{i}-port vid {vid} pvid untagged && \
             ip -n h{i} addr add 10.0.0.{i}/24 dev eth0 && ip -n h{i} link set eth0 up"
        ));
    }
    let out = Sandbox::new()
        .step(&setup)
        .step("ip -j -d link show br0")
        .step("bridge -j vlan show dev h3-port")
        .step("ip netns exec h1 ping -c 1 -w 10 10.0.0.2")
        .step("ip netns exec h1 ping -c 1 -W 1 10.0.0.3")
        .run();
    out[0].success();
    assert_eq!(out[1].json()[0]["linkinfo"]["info_data"]["vlan_filtering"], 1);
    out[2].success().stdout_has("20");
    out[3].success();
    assert_ne!(out[4].code, 0, "VLAN 10 reached VLAN 20:\n{}", out[4].stdout);
}
