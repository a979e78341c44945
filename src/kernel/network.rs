//! What the lab and the script API need from a network: executing
//! operations and answering questions about the state. The real kernel
//! implements it; so does the dry run's simulated world, which answers from
//! what the dry run itself "created".

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::ping::{PingOptions, PingStats};
use super::qdisc::QdiscInfo;
use super::throughput::{ThroughputOptions, ThroughputStats};
use super::{AddrInfo, ExecOutput, KernelError, LinkInfo, RouteInfo, RuleInfo};
use crate::ops::{Netns, Op, Rule};

pub trait Network {
    fn apply(&self, op: &Op) -> Result<(), KernelError>;

    /// Applies `op`; a namespace it makes has its cookie told to `noted`
    /// before anyone can see it under its name.
    fn apply_noted(&self, op: &Op, noted: &mut (dyn FnMut(u64) + Send)) -> Result<(), KernelError> {
        let _ = noted;
        self.apply(op)
    }

    fn netns_list(&self) -> Result<Vec<String>, KernelError>;
    fn netns_exists(&self, name: &str) -> bool;
    /// The cookies of named namespaces (None where no namespace is): what
    /// identifies each, never reused, for teardown.
    fn netns_cookies(&self, names: &[&str]) -> Vec<Option<u64>>;
    /// The cookie of the namespace netscript runs in.
    fn host_cookie(&self) -> Option<u64>;

    fn links(&self, ns: &Netns) -> Result<Vec<LinkInfo>, KernelError>;
    fn link_index(&self, ns: &Netns, dev: &str) -> Result<u32, KernelError>;
    fn addrs(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<AddrInfo>, KernelError>;
    fn routes(&self, ns: &Netns) -> Result<Vec<RouteInfo>, KernelError>;
    fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError>;
    fn firewall_has(&self, ns: &Netns, rule: &Rule) -> Result<bool, KernelError>;
    /// The rules of netscript's table in a namespace, in chain order.
    fn firewall_rules(&self, ns: &Netns) -> Result<Vec<RuleInfo>, KernelError>;

    /// Pings every (namespace, target) at once.
    fn ping_many(
        &self,
        probes: &[(Netns, IpAddr)],
        options: &PingOptions,
    ) -> Result<Vec<PingStats>, KernelError>;
    /// The NAT probe: the source address a listener in `listen_ns` sees.
    fn source_seen(
        &self,
        from: &Netns,
        listen_ns: &Netns,
        target: SocketAddr,
        listen_port: u16,
        timeout: Duration,
    ) -> Result<IpAddr, KernelError>;

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
    fn exec(&self, ns: &Netns, argv: &[String], timeout: Duration) -> Result<ExecOutput, KernelError>;

    /// Starts a background process inside the namespace: (pid, start time).
    fn spawn(&self, ns: &Netns, argv: &[String], log: &str) -> Result<(u32, u64), KernelError>;

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

    /// (name, index) of every link of a namespace: a lighter `links`.
    fn link_indexes(&self, ns: &Netns) -> Result<Vec<(String, u32)>, KernelError> {
        Ok(self.links(ns)?.into_iter().map(|link| (link.name, link.index)).collect())
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
