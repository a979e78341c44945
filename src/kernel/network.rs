//! What the lab and the script API need from a network: executing
//! operations and answering questions about the state. The real kernel
//! implements it; so does the dry run's simulated world, which answers from
//! what the dry run itself "created".

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::ping::{PingOptions, PingStats};
use super::port::PortState;
use super::qdisc::QdiscInfo;
use super::throughput::{ThroughputOptions, ThroughputStats};
use super::{
    AddrInfo, ExecOutput, FdbInfo, IpRuleInfo, KernelError, LinkInfo, NeighInfo, RouteInfo, TableInfo,
    VlanInfo,
};
use crate::ops::files::{FileBefore, NodePath};
use crate::ops::firewall::Table;
use crate::ops::{Hook, Netns, Op, Policy, Proto, Rule};

pub trait Network {
    fn apply(&self, op: &Op) -> Result<(), KernelError>;

    /// Applies `op`; a namespace it makes has its cookie told to `noted`
    /// before anyone can see it under its name.
    fn apply_noted(&self, op: &Op, noted: &mut (dyn FnMut(u64) + Send)) -> Result<(), KernelError> {
        let _ = noted;
        self.apply(op)
    }

    /// Applies many `NetnsAdd`s, as `apply_noted` does each (the kernel
    /// makes them on two threads at once); `noted(i, cookie)` hears op i's
    /// cookie. One result per op, in order.
    fn netns_add_many(
        &self,
        ops: &[&Op],
        noted: &(dyn Fn(usize, u64) + Sync),
        stop: &AtomicBool,
    ) -> Vec<Result<(), KernelError>> {
        ops.iter()
            .enumerate()
            .map(|(i, op)| {
                if stop.load(Ordering::Relaxed) {
                    return Err(KernelError::not_made());
                }
                self.apply_noted(op, &mut |cookie| noted(i, cookie))
            })
            .collect()
    }

    fn netns_list(&self) -> Result<Vec<String>, KernelError>;
    fn netns_exists(&self, name: &str) -> bool;
    /// The cookies of named namespaces (None where no namespace is): what
    /// identifies each, never reused, for teardown.
    fn netns_cookies(&self, names: &[&str]) -> Vec<Option<u64>>;
    /// The cookie of the namespace netscript runs in.
    fn host_cookie(&self) -> Option<u64>;
    /// Removes the empty file a killed run left where it was making
    /// namespace `name` (nothing mounted on it); true when there was one.
    fn netns_placeholder_remove(&self, name: &str) -> bool {
        let _ = name;
        false
    }

    fn links(&self, ns: &Netns) -> Result<Vec<LinkInfo>, KernelError>;
    fn link_index(&self, ns: &Netns, dev: &str) -> Result<u32, KernelError>;
    fn addrs(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<AddrInfo>, KernelError>;
    /// The link of `ns` that has address `ip`, if one has.
    fn addr_owner(&self, ns: &Netns, ip: IpAddr) -> Result<Option<String>, KernelError> {
        Ok(self.addrs(ns, None)?.into_iter().find(|a| a.address.ip() == ip).map(|a| a.dev))
    }
    fn routes(&self, ns: &Netns) -> Result<Vec<RouteInfo>, KernelError>;
    /// The routes of one table (None: every table).
    fn routes_in(&self, ns: &Netns, table: Option<u32>) -> Result<Vec<RouteInfo>, KernelError>;
    /// Policy routing rules (`ip rule`).
    fn ip_rules(&self, ns: &Netns) -> Result<Vec<IpRuleInfo>, KernelError>;
    /// Neighbour entries (`ip neigh`), proxies too.
    fn neighbours(&self, ns: &Netns) -> Result<Vec<NeighInfo>, KernelError>;
    /// Forwarding database entries (`bridge fdb`), of one device or all.
    fn fdb(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<FdbInfo>, KernelError>;
    /// VLANs of bridges and their ports (`bridge vlan`).
    fn bridge_vlans(&self, ns: &Netns) -> Result<Vec<VlanInfo>, KernelError>;
    fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError>;
    /// netscript's nftables table in a namespace (empty when there is none).
    fn firewall_table(&self, ns: &Netns) -> Result<Table, KernelError>;
    /// The other nftables tables of a namespace, with how many rules each holds.
    fn firewall_tables(&self, ns: &Netns) -> Result<Vec<TableInfo>, KernelError>;

    /// Whether lab `lab`'s copy of every nft rule of `rule` is in place already.
    fn firewall_has(&self, ns: &Netns, lab: &str, rule: &Rule) -> Result<bool, KernelError> {
        let table = self.firewall_table(ns)?;
        Ok(rule.nft_rules(lab).iter().all(|nft| table.has(&nft.comment)))
    }

    /// A chain's policy (accept when there is no such chain).
    fn firewall_policy(&self, ns: &Netns, hook: Hook) -> Result<Policy, KernelError> {
        let table = self.firewall_table(ns)?;
        Ok(table.chain(hook.name()).and_then(|c| c.policy).unwrap_or(Policy::Accept))
    }

    // The waits end early, with an "interrupted" error, once `interrupt` is set.

    /// Pings every (namespace, target) at once.
    fn ping_many(
        &self,
        probes: &[(Netns, IpAddr)],
        options: &PingOptions,
        interrupt: &AtomicBool,
    ) -> Result<Vec<PingStats>, KernelError>;
    /// The NAT probe: the source address a listener in `listen_ns` sees of
    /// a connection from `from` (made from the address `bound`, if given).
    #[allow(clippy::too_many_arguments)]
    fn source_seen(
        &self,
        from: &Netns,
        bound: Option<IpAddr>,
        listen_ns: &Netns,
        target: SocketAddr,
        listen_port: u16,
        timeout: Duration,
        interrupt: &AtomicBool,
    ) -> Result<IpAddr, KernelError>;

    /// Probes a port from a socket inside `from`, for at most `timeout`,
    /// ending early when `stop` is set.
    fn port_probe(
        &self,
        from: &Netns,
        proto: Proto,
        target: SocketAddr,
        timeout: Duration,
        stop: &AtomicBool,
    ) -> Result<PortState, KernelError>;

    /// Waits until the lab's listener `pid` is bound to its port.
    fn wait_listening(
        &self,
        pid: u32,
        proto: Proto,
        port: u16,
        log: &str,
        stop: &AtomicBool,
    ) -> Result<(), KernelError> {
        let _ = (pid, proto, port, log, stop);
        Ok(())
    }

    /// Every qdisc of a namespace, the kernel's own included.
    fn qdiscs(&self, ns: &Netns) -> Result<Vec<QdiscInfo>, KernelError>;

    /// The throughput probe: a TCP stream from `from` to `target`, received
    /// by a sink in `sink_ns`; ends early, with an error, once `interrupt`
    /// is set.
    fn throughput(
        &self,
        from: &Netns,
        sink_ns: &Netns,
        target: SocketAddr,
        options: &ThroughputOptions,
        interrupt: &AtomicBool,
    ) -> Result<ThroughputStats, KernelError>;

    /// Runs a program inside the namespace and waits for it, at most `timeout`.
    fn exec(
        &self,
        ns: &Netns,
        argv: &[String],
        timeout: Duration,
        interrupt: &AtomicBool,
    ) -> Result<ExecOutput, KernelError>;

    /// Starts a background process inside the namespace: (pid, start time).
    fn spawn(&self, ns: &Netns, argv: &[String], log: &str) -> Result<(u32, u64), KernelError>;

    /// A node's file as it is now (see `ops::files`), for its undo; the
    /// dry run knows of none.
    fn node_file_before(&self, node: &str, path: &NodePath) -> Result<FileBefore, KernelError> {
        let _ = (node, path);
        Ok(FileBefore::default())
    }

    /// Makes the node's own /run, for the processes started in it.
    fn node_ready(&self, node: &str) -> Result<(), KernelError> {
        let _ = node;
        Ok(())
    }

    /// The kernel's neighbour table for a family, shared by every namespace;
    /// None where there is none to read (the dry run).
    fn neighbour_table(&self, _v6: bool) -> Option<super::NeighbourTable> {
        None
    }

    /// Deletes the neighbour entries of `ns` for these addresses.
    fn forget_neighbours(&self, _ns: &Netns, _addrs: &[IpAddr]) -> Result<(), KernelError> {
        Ok(())
    }

    /// True for the dry run, whose checks cannot really run.
    fn is_dry_run(&self) -> bool {
        false
    }

    fn link(&self, ns: &Netns, dev: &str) -> Result<LinkInfo, KernelError> {
        self.links(ns)?.into_iter().find(|link| link.name == dev).ok_or_else(|| no_link(ns, dev))
    }

    /// A link's index and kind: what teardown checks before deleting it.
    fn link_identity(&self, ns: &Netns, dev: &str) -> Result<(u32, String), KernelError> {
        self.link(ns, dev).map(|link| (link.index, link.kind))
    }

    /// Name -> (index, kind) of every link of a namespace, as
    /// `link_identity` gives each: for checking many links at once.
    fn link_identities(&self, ns: &Netns) -> Result<HashMap<String, (u32, String)>, KernelError> {
        Ok(self.links(ns)?.into_iter().map(|link| (link.name, (link.index, link.kind))).collect())
    }

    /// Deletes links of one namespace, given by name and the index they
    /// were checked to have, all at once where the kernel can.
    fn links_del(&self, ns: &Netns, links: &[(String, u32)]) -> Result<(), KernelError> {
        links.iter().try_for_each(|(dev, _)| self.apply(&Op::LinkDel { ns: ns.clone(), dev: dev.clone() }))
    }

    fn link_exists(&self, ns: &Netns, dev: &str) -> bool {
        self.link_index(ns, dev).is_ok()
    }
}

pub fn no_link(ns: &Netns, dev: &str) -> KernelError {
    KernelError::NotFound(format!("no link named '{dev}' in {ns}"))
}

pub fn no_netns(name: &str) -> KernelError {
    KernelError::NotFound(format!("namespace '{name}' does not exist"))
}
