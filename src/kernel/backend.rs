use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;

use nix::errno::Errno;
use rtnetlink::Handle;
use tokio::runtime::{Builder, Runtime};

use super::error::{KernelError, generic, io_errno};
use super::sockets::{KEPT_OPEN, Sockets};
use super::{netns, no_netns, node};
use crate::ops::files::NodePath;
use crate::ops::{Netns, Op};

/// The kernel as netscript sees it: one netlink socket per namespace, opened
/// once from a thread inside that namespace and reused for every operation
/// there, all driven by one current-thread runtime on the caller's thread.
pub struct Kernel {
    rt: Runtime,
    host: Handle,
    /// The namespace netscript runs in, to hand to the kernel when a link
    /// moves (or a veth peer is born) there.
    host_ns: File,
    /// Sockets of named namespaces, with the inode they were opened in: a
    /// namespace deleted and made again under the same name gets a new
    /// socket. (The socket holds its namespace, so while it is open no other
    /// namespace can take that inode.) And the namespace's cookie. The
    /// most recently used are kept open (see sockets).
    named: RefCell<Sockets<Socket>>,
    host_cookie: Option<u64>,
}

struct Socket {
    inode: u64,
    cookie: Option<u64>,
    handle: Handle,
}

impl Kernel {
    pub fn new() -> io::Result<Self> {
        super::error::raise_open_file_limit();
        let rt = Builder::new_current_thread().enable_all().build()?;
        let host_ns = File::open("/proc/thread-self/ns/net")?;
        let host = {
            let _entered = rt.enter();
            let (connection, handle, _) = rtnetlink::new_connection()?;
            rt.spawn(connection);
            handle
        };
        let host_cookie = netns::cookie_here().ok();
        Ok(Kernel { rt, host, host_ns, named: RefCell::new(Sockets::new(KEPT_OPEN)), host_cookie })
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }

    /// The netlink handle for a namespace, opening its socket on first use.
    pub fn handle(&self, ns: &Netns) -> Result<Handle, KernelError> {
        let name = match ns {
            Netns::Host => return Ok(self.host.clone()),
            Netns::Named(name) => name,
        };
        let inode = netns::inode(name).ok_or_else(|| no_netns(name))?;
        if let Some(socket) = self.named.borrow_mut().get(name)
            && socket.inode == inode
        {
            return Ok(socket.handle.clone());
        }
        let runtime = self.rt.handle().clone();
        let inside = || Ok((connect_here(&runtime)?, netns::cookie_here().ok()));
        let ((handle, cookie), inode) =
            netns::enter(&netns::path(name), inside).map_err(|err| generic(io_errno(&err), &err))?;
        self.named.borrow_mut().insert(name.clone(), Socket { inode, cookie, handle: handle.clone() });
        Ok(handle)
    }

    /// An open file of the namespace, for IFLA_NET_NS_FD.
    pub(super) fn ns_file(&self, ns: &Netns) -> Result<File, KernelError> {
        match ns {
            Netns::Host => self.host_ns.try_clone().map_err(|err| generic(io_errno(&err), &err)),
            Netns::Named(name) => File::open(netns::path(name)).map_err(|err| match io_errno(&err) {
                Some(Errno::ENOENT) => no_netns(name),
                errno => generic(errno, &err),
            }),
        }
    }

    /// Runs `work` on a thread inside the namespace (on this thread for the
    /// host): for what is per-thread-namespace and not netlink, such as
    /// /proc/sys/net or a child process.
    pub(super) fn in_netns<T: Send + 'static>(
        &self,
        ns: &Netns,
        work: impl FnOnce() -> io::Result<T> + Send,
    ) -> Result<T, io::Error> {
        match ns {
            Netns::Host => work(),
            Netns::Named(name) => {
                if !netns::exists(name) {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("namespace '{name}' does not exist"),
                    ));
                }
                netns::enter(&netns::path(name), work).map(|(result, _)| result)
            }
        }
    }

    pub fn netns_add(
        &self,
        name: &str,
        ipv6: bool,
        noted: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(), KernelError> {
        let runtime = self.rt.handle().clone();
        let inside = || {
            if !ipv6 {
                // From the thread inside: /proc/sys/net shows its namespace.
                for scope in ["all", "default"] {
                    std::fs::write(format!("/proc/sys/net/ipv6/conf/{scope}/disable_ipv6"), "1")?;
                }
            }
            connect_here(&runtime)
        };
        let (handle, made) = netns::create(name, noted, inside).map_err(|err| match io_errno(&err) {
            Some(Errno::EEXIST) => KernelError::Failed(format!("namespace '{name}' already exists")),
            errno => generic(errno, &err),
        })?;
        let socket = Socket { inode: made.inode, cookie: Some(made.cookie), handle };
        self.named.borrow_mut().insert(name.to_string(), socket);
        Ok(())
    }

    /// Makes many namespaces at once, on both namespace workers (see
    /// `netns::create_many`), each as `NetnsAdd` would: IPv6 off and `lo`
    /// up when asked, from the worker inside it, and a netlink socket
    /// opened there (for as many as are kept open: the first ones, which a
    /// script goes on with first). `noted(i, cookie)` hears each cookie before its name
    /// shows. One result per op, in order; ops other than `NetnsAdd` fail.
    pub fn netns_add_many(
        &self,
        ops: &[&Op],
        noted: &(dyn Fn(usize, u64) + Sync),
        stop: &AtomicBool,
    ) -> Vec<Result<(), KernelError>> {
        let wanted: Vec<(&str, bool, bool)> = ops
            .iter()
            .map(|op| match op {
                Op::NetnsAdd { name, lo_up, ipv6 } => (name.as_str(), *lo_up, *ipv6),
                _ => ("", false, true),
            })
            .collect();
        let names: Vec<&str> = wanted.iter().map(|(name, ..)| *name).collect();
        let runtime = self.rt.handle().clone();
        let room = self.named.borrow().room();
        let inside = |i: usize| {
            let (_, lo_up, ipv6) = wanted[i];
            if !ipv6 {
                for scope in ["all", "default"] {
                    std::fs::write(format!("/proc/sys/net/ipv6/conf/{scope}/disable_ipv6"), "1")?;
                }
            }
            if lo_up {
                netns::lo_up_here()?;
            }
            if i >= room {
                return Ok(None);
            }
            connect_here(&runtime).map(Some)
        };
        let made = netns::create_many(&names, noted, &inside, stop);
        let mut named = self.named.borrow_mut();
        made.into_iter()
            .zip(&names)
            .map(|(made, name)| {
                let (handle, made) = made.map_err(|err| match io_errno(&err) {
                    _ if err.kind() == io::ErrorKind::Interrupted => KernelError::not_made(),
                    Some(Errno::EEXIST) => KernelError::Failed(format!("namespace '{name}' already exists")),
                    errno => generic(errno, &err),
                })?;
                if let Some(handle) = handle {
                    named.insert(
                        name.to_string(),
                        Socket { inode: made.inode, cookie: Some(made.cookie), handle },
                    );
                }
                Ok(())
            })
            .collect()
    }

    pub fn netns_del(&self, name: &str) -> Result<(), KernelError> {
        self.named.borrow_mut().remove(name);
        netns::delete(name).map_err(|err| match io_errno(&err) {
            Some(Errno::ENOENT) | None if err.kind() == io::ErrorKind::NotFound => no_netns(name),
            errno => generic(errno, &err),
        })?;
        // The node's own /run, and what its daemons left there, go with it.
        node::remove_run_dir(name)
            .map_err(|err| KernelError::Failed(format!("cannot remove the /run of node '{name}': {err}")))
    }

    /// Executes one operation.
    pub fn apply(&self, op: &Op) -> Result<(), KernelError> {
        self.apply_noted(op, &mut |_| {})
    }

    /// Executes one operation; a new namespace's cookie goes to `noted`
    /// before the namespace appears under its name.
    pub fn apply_noted(&self, op: &Op, noted: &mut (dyn FnMut(u64) + Send)) -> Result<(), KernelError> {
        match op {
            Op::NetnsAdd { name, lo_up, ipv6 } => {
                self.netns_add(name, *ipv6, noted)?;
                if *lo_up {
                    let ns = Netns::Named(name.clone());
                    self.link_set_up(&ns, "lo", true)?;
                }
                Ok(())
            }
            Op::NetnsDel { name } => self.netns_del(name),
            Op::VethAdd { ns, name, peer_ns, peer } => self.veth_add(ns, name, peer_ns, peer),
            Op::BridgeAdd { ns, name } => self.bridge_add(ns, name),
            Op::LinkSetUp { ns, dev, up } => self.link_set_up(ns, dev, *up),
            Op::LinkSetMaster { ns, dev, master } => self.link_set_master(ns, dev, master.as_deref()),
            Op::LinkSetNetns { ns, dev, target } => self.link_set_netns(ns, dev, target),
            Op::LinkRename { ns, dev, new_name } => self.link_rename(ns, dev, new_name),
            Op::LinkSetMtu { ns, dev, mtu } => self.link_set_mtu(ns, dev, *mtu),
            Op::LinkDel { ns, dev } => self.link_del(ns, dev),
            Op::AddrAdd { ns, dev, addr } => self.addr_add(ns, dev, *addr),
            Op::AddrDel { ns, dev, addr } => self.addr_del(ns, dev, *addr),
            Op::RouteAdd { ns, route } => self.route_add(ns, route),
            Op::RouteDel { ns, route } => self.route_del(ns, route),
            Op::SysctlSet { ns, key, value } => self.sysctl_set(ns, key, value),
            Op::FirewallAdd { ns, lab, rule } => self.firewall_add(ns, lab, rule),
            Op::FirewallDel { ns, lab, rule } => self.firewall_del(ns, lab, rule),
            Op::ChainPolicy { ns, chain, policy } => self.chain_policy(ns, *chain, *policy),
            Op::ProcessStart { ns, argv, log } => self.spawn(ns, argv, std::path::Path::new(log)).map(drop),
            Op::ProcessStop { pid, start } => self.stop_process(*pid, *start),
            Op::LinkAdd { ns, name, kind } => self.link_add(ns, name, kind),
            Op::LinkSet { ns, dev, settings } => self.link_set(ns, dev, settings),
            Op::BridgeSet { ns, dev, options } => self.bridge_set(ns, dev, options),
            Op::BridgePortSet { ns, dev, options } => self.bridge_port_set(ns, dev, options),
            Op::BridgeVlanAdd { ns, dev, vlan } => self.bridge_vlan(ns, dev, vlan, true),
            Op::BridgeVlanDel { ns, dev, vlan } => self.bridge_vlan(ns, dev, vlan, false),
            Op::FdbAdd { ns, dev, entry, append } => self.fdb_add(ns, dev, entry, *append),
            Op::FdbDel { ns, dev, entry } => self.fdb_del(ns, dev, entry),
            Op::RuleAdd { ns, rule } => self.rule_add(ns, rule),
            Op::RuleDel { ns, rule } => self.rule_del(ns, rule),
            Op::NeighAdd { ns, dev, entry } => self.neigh_add(ns, dev, entry),
            Op::NeighDel { ns, dev, entry } => self.neigh_del(ns, dev, entry),
            Op::LinkShape { ns, dev, shape } => self.link_shape(ns, dev, shape),
            Op::LinkUnshape { ns, dev } => self.link_unshape(ns, dev),
            Op::QdiscRestore { ns, dev, prior, .. } => self.qdisc_restore(ns, dev, prior),
            Op::FileWrite { ns, path, content, mode } => {
                let (node, path) = node_file(ns, path)?;
                node::write(node, &path, content, *mode).map_err(|err| file_error(&path, err))
            }
            Op::FileRestore { ns, path, before } => {
                let (node, path) = node_file(ns, path)?;
                node::restore(node, &path, before).map_err(|err| file_error(&path, err))
            }
            Op::Exec { ns, argv, timeout_ms, .. } => {
                let never = AtomicBool::new(false);
                let output = self.exec(ns, argv, std::time::Duration::from_millis(*timeout_ms), &never)?;
                super::exec::succeeded(&output)
            }
            Op::ExecUndo { ns, argv, .. } => {
                let never = AtomicBool::new(false);
                let output = self.exec(ns, argv, std::time::Duration::from_secs(10), &never)?;
                super::exec::succeeded(&output)
            }
        }
    }
}

/// Opens a netlink connection in the calling thread's namespace and hands its
/// driver to the runtime; called on the short-lived namespace threads.
fn connect_here(runtime: &tokio::runtime::Handle) -> io::Result<Handle> {
    let _entered = runtime.enter();
    let (connection, handle, _) = rtnetlink::new_connection()?;
    runtime.spawn(connection);
    Ok(handle)
}

impl super::Network for Kernel {
    fn apply(&self, op: &Op) -> Result<(), KernelError> {
        Kernel::apply(self, op)
    }

    fn apply_noted(&self, op: &Op, noted: &mut (dyn FnMut(u64) + Send)) -> Result<(), KernelError> {
        Kernel::apply_noted(self, op, noted)
    }

    fn netns_add_many(
        &self,
        ops: &[&Op],
        noted: &(dyn Fn(usize, u64) + Sync),
        stop: &AtomicBool,
    ) -> Vec<Result<(), KernelError>> {
        Kernel::netns_add_many(self, ops, noted, stop)
    }

    fn netns_list(&self) -> Result<Vec<String>, KernelError> {
        netns::list()
            .map_err(|err| KernelError::Failed(format!("cannot read {}: {err}", netns::NETNS_RUN_DIR)))
    }

    fn netns_exists(&self, name: &str) -> bool {
        netns::exists(name)
    }

    fn netns_cookies(&self, names: &[&str]) -> Vec<Option<u64>> {
        // A namespace this process holds a socket in is known without a visit.
        let named = self.named.borrow();
        let known = |name: &str| {
            let socket = named.peek(name)?;
            (netns::inode(name) == Some(socket.inode)).then_some(socket.cookie).flatten()
        };
        let mut found: Vec<Option<u64>> = names.iter().map(|name| known(name)).collect();
        let unknown: Vec<&str> =
            names.iter().zip(&found).filter(|(_, cookie)| cookie.is_none()).map(|(name, _)| *name).collect();
        if !unknown.is_empty() {
            let mut visited =
                netns::cookies(&unknown).unwrap_or_else(|_| vec![None; unknown.len()]).into_iter();
            for cookie in found.iter_mut().filter(|cookie| cookie.is_none()) {
                *cookie = visited.next().flatten();
            }
        }
        found
    }

    fn host_cookie(&self) -> Option<u64> {
        self.host_cookie
    }

    fn netns_placeholder_remove(&self, name: &str) -> bool {
        netns::remove_placeholder(name)
    }

    fn link_identity(&self, ns: &Netns, dev: &str) -> Result<(u32, String), KernelError> {
        Kernel::link_identity(self, ns, dev)
    }

    fn link_identities(&self, ns: &Netns) -> Result<HashMap<String, (u32, String)>, KernelError> {
        Kernel::link_identities(self, ns)
    }

    fn links_del(&self, ns: &Netns, links: &[(String, u32)]) -> Result<(), KernelError> {
        Kernel::links_del(self, ns, links)
    }

    fn links(&self, ns: &Netns) -> Result<Vec<super::LinkInfo>, KernelError> {
        Kernel::links(self, ns)
    }

    fn link_index(&self, ns: &Netns, dev: &str) -> Result<u32, KernelError> {
        Kernel::link_index(self, ns, dev)
    }

    fn addrs(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<super::AddrInfo>, KernelError> {
        Kernel::addrs(self, ns, dev)
    }

    fn addr_owner(&self, ns: &Netns, ip: IpAddr) -> Result<Option<String>, KernelError> {
        Kernel::addr_owner(self, ns, ip)
    }

    fn routes(&self, ns: &Netns) -> Result<Vec<super::RouteInfo>, KernelError> {
        Kernel::routes(self, ns)
    }

    fn sysctl_get(&self, ns: &Netns, key: &str) -> Result<String, KernelError> {
        Kernel::sysctl_get(self, ns, key)
    }

    fn firewall_table(&self, ns: &Netns) -> Result<crate::ops::firewall::Table, KernelError> {
        Kernel::firewall_table(self, ns)
    }

    fn routes_in(&self, ns: &Netns, table: Option<u32>) -> Result<Vec<super::RouteInfo>, KernelError> {
        Kernel::routes_in(self, ns, table)
    }

    fn ip_rules(&self, ns: &Netns) -> Result<Vec<super::IpRuleInfo>, KernelError> {
        Kernel::ip_rules(self, ns)
    }

    fn neighbours(&self, ns: &Netns) -> Result<Vec<super::NeighInfo>, KernelError> {
        Kernel::neighbours(self, ns)
    }

    fn fdb(&self, ns: &Netns, dev: Option<&str>) -> Result<Vec<super::FdbInfo>, KernelError> {
        Kernel::fdb(self, ns, dev)
    }

    fn bridge_vlans(&self, ns: &Netns) -> Result<Vec<super::VlanInfo>, KernelError> {
        Kernel::bridge_vlans(self, ns)
    }

    fn firewall_tables(&self, ns: &Netns) -> Result<Vec<super::TableInfo>, KernelError> {
        Kernel::firewall_tables(self, ns)
    }

    fn ping_many(
        &self,
        probes: &[(Netns, std::net::IpAddr)],
        options: &super::ping::PingOptions,
        interrupt: &AtomicBool,
    ) -> Result<Vec<super::ping::PingStats>, KernelError> {
        let mut located = Vec::with_capacity(probes.len());
        for (ns, target) in probes {
            let file = match ns {
                Netns::Host => None,
                Netns::Named(name) if netns::exists(name) => Some(netns::path(name)),
                Netns::Named(name) => return Err(no_netns(name)),
            };
            located.push((file, *target));
        }
        super::ping::ping_many(&located, options, interrupt).map_err(|err| generic(io_errno(&err), &err))
    }

    fn spawn(&self, ns: &Netns, argv: &[String], log: &str) -> Result<(u32, u64), KernelError> {
        Kernel::spawn(self, ns, argv, std::path::Path::new(log))
    }

    fn node_file_before(
        &self,
        node: &str,
        path: &NodePath,
    ) -> Result<crate::ops::files::FileBefore, KernelError> {
        node::read_before(node, path).map_err(|err| file_error(path, err))
    }

    fn node_ready(&self, node: &str) -> Result<(), KernelError> {
        node::make_run_dir(node)
            .map_err(|err| KernelError::Failed(format!("cannot make the /run of node '{node}': {err}")))
    }

    fn neighbour_table(&self, v6: bool) -> Option<super::NeighbourTable> {
        Kernel::neighbour_table(self, v6)
    }

    fn forget_neighbours(&self, ns: &Netns, addrs: &[std::net::IpAddr]) -> Result<(), KernelError> {
        Kernel::forget_neighbours(self, ns, addrs)
    }

    fn qdiscs(&self, ns: &Netns) -> Result<Vec<super::QdiscInfo>, KernelError> {
        Kernel::qdisc_list(self, ns)
    }

    fn throughput(
        &self,
        from: &Netns,
        sink_ns: &Netns,
        target: std::net::SocketAddr,
        options: &super::ThroughputOptions,
        interrupt: &std::sync::atomic::AtomicBool,
    ) -> Result<super::ThroughputStats, KernelError> {
        Kernel::throughput(self, from, sink_ns, target, options, interrupt)
    }

    fn exec(
        &self,
        ns: &Netns,
        argv: &[String],
        timeout: std::time::Duration,
        interrupt: &AtomicBool,
    ) -> Result<super::ExecOutput, KernelError> {
        Kernel::exec(self, ns, argv, timeout, interrupt)
    }

    fn port_probe(
        &self,
        from: &Netns,
        proto: crate::ops::Proto,
        target: std::net::SocketAddr,
        timeout: std::time::Duration,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<super::port::PortState, KernelError> {
        Kernel::port_probe(self, from, proto, target, timeout, stop)
    }

    fn wait_listening(
        &self,
        pid: u32,
        proto: crate::ops::Proto,
        port: u16,
        log: &str,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<(), KernelError> {
        super::port::wait_listening(pid, proto, port, log, stop)
    }

    fn source_seen(
        &self,
        from: &Netns,
        bound: Option<std::net::IpAddr>,
        listen_ns: &Netns,
        target: std::net::SocketAddr,
        listen_port: u16,
        timeout: std::time::Duration,
        interrupt: &AtomicBool,
    ) -> Result<std::net::IpAddr, KernelError> {
        Kernel::source_seen(self, from, bound, listen_ns, target, listen_port, timeout, interrupt)
    }
}

/// The node and checked path of a node file operation.
fn node_file<'a>(ns: &'a Netns, path: &str) -> Result<(&'a str, NodePath), KernelError> {
    let node = ns.name().ok_or_else(|| KernelError::Failed("files are a node's".into()))?;
    Ok((node, NodePath::parse(path).map_err(KernelError::Failed)?))
}

fn file_error(path: &NodePath, err: io::Error) -> KernelError {
    match err.kind() {
        io::ErrorKind::Other | io::ErrorKind::PermissionDenied if err.raw_os_error().is_none() => {
            KernelError::Failed(err.to_string())
        }
        _ => KernelError::Failed(format!("cannot write {}: {err}", path.shown())),
    }
}
