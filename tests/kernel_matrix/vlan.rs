//! 802.1Q VLANs (module 8021q), made with iproute2 until netscript has them.

use crate::support::vm::needs_vm_kernel;
use crate::support::{Sandbox, privileged};

/// Two namespaces on one veth pair, VLAN `left` on one end and `right` on
/// the other, 10.10.0.1 and 10.10.0.2 on the VLAN interfaces.
fn two_ends(left: u16, right: u16) -> String {
    format!(
        "ip netns add a && ip netns add b && \
         ip -n a link add e0 type veth peer name e0 netns b && \
         ip -n a link add link e0 name e0.v type vlan id {left} && \
         ip -n b link add link e0 name e0.v type vlan id {right} && \
         ip -n a addr add 10.10.0.1/24 dev e0.v && ip -n b addr add 10.10.0.2/24 dev e0.v && \
         for ns in a b; do ip -n $ns link set e0 up && ip -n $ns link set e0.v up; done"
    )
}

#[test]
fn a_vlan_subinterface_carries_tagged_traffic() {
    if !needs_vm_kernel("8021q (VLAN)") || !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&two_ends(10, 10))
        .step("ip -n a -j -d link show e0.v")
        .step("ip netns exec a ping -c 2 -i 0.2 -W 2 10.10.0.2")
        .run();
    out[0].success();
    let link = &out[1].json()[0];
    assert_eq!(link["linkinfo"]["info_kind"], "vlan", "{link}");
    assert_eq!(link["linkinfo"]["info_data"]["protocol"], "802.1Q", "{link}");
    assert_eq!(link["linkinfo"]["info_data"]["id"], 10, "{link}");
    assert_eq!(link["link"], "e0", "{link}");
    out[2].success().stdout_has("2 received");
}

#[test]
fn different_vlan_ids_do_not_meet() {
    if !needs_vm_kernel("8021q (VLAN)") || !privileged() {
        return;
    }
    // The frames are tagged: the same wire with ids 10 and 20 carries nothing
    // between the two, while untagged traffic on it still flows.
    let out = Sandbox::new()
        .step(&two_ends(10, 20))
        .step("ip netns exec a ping -c 1 -W 1 10.10.0.2")
        .step("ip -n a addr add 10.99.0.1/24 dev e0 && ip -n b addr add 10.99.0.2/24 dev e0")
        .step("ip netns exec a ping -c 1 -w 10 10.99.0.2")
        .run();
    out[0].success();
    assert_ne!(out[1].code, 0, "VLAN 10 reached VLAN 20:\n{}", out[1].stdout);
    out[2].success();
    out[3].success();
}
