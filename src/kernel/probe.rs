//! The NAT probe: connect over TCP from one namespace to an address, with a
//! listener in another namespace, and report the source address the
//! listener saw. This is how a lab proves that its masquerade or port
//! forward rewrites what it should, and nothing else.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::Kernel;
use super::error::KernelError;
use crate::ops::Netns;

impl Kernel {
    /// Connects from `from` to `target`, accepts in `listen_ns` on
    /// `listen_port` (another port than the target's behind a port
    /// forward), and returns the peer address seen there.
    pub(super) fn source_seen(
        &self,
        from: &Netns,
        listen_ns: &Netns,
        target: SocketAddr,
        listen_port: u16,
        timeout: Duration,
    ) -> Result<IpAddr, KernelError> {
        self.source_seen_bound(from, None, listen_ns, target, listen_port, timeout)
    }

    /// The same, with the connection made from `bound` (an address of `from`).
    pub(super) fn source_seen_bound(
        &self,
        from: &Netns,
        bound: Option<IpAddr>,
        listen_ns: &Netns,
        target: SocketAddr,
        listen_port: u16,
        timeout: Duration,
    ) -> Result<IpAddr, KernelError> {
        let any: IpAddr = if target.is_ipv4() { [0u8; 4].into() } else { [0u16; 8].into() };
        let bind = SocketAddr::new(any, listen_port);
        let listener = self.in_netns(listen_ns, || TcpListener::bind(bind)).map_err(|err| {
            KernelError::Failed(format!("cannot listen on port {listen_port} in {listen_ns}: {err}"))
        })?;
        listener.set_nonblocking(true).map_err(|err| KernelError::Failed(err.to_string()))?;
        // The connection is made on a namespace thread, then waits there for
        // the accept, so neither side needs the other to run first.
        let connect = self.in_netns(from, || Ok(thread::spawn(move || connect_from(bound, target, timeout))));
        let connect = connect.map_err(|err| KernelError::Failed(err.to_string()))?;
        let deadline = Instant::now() + timeout;
        let seen = loop {
            match listener.accept() {
                Ok((_, peer)) => break Ok(peer.ip()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    if connect.is_finished() {
                        // Connected elsewhere or refused: nothing will arrive here.
                        thread::sleep(Duration::from_millis(5));
                        if let Ok((_, peer)) = listener.accept() {
                            break Ok(peer.ip());
                        }
                        break Err(None);
                    }
                    thread::sleep(Duration::from_millis(2));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break Err(None),
                Err(err) => break Err(Some(err)),
            }
        };
        let connected = connect.join().unwrap_or_else(|_| Err(io::Error::other("probe thread panicked")));
        match (seen, connected) {
            (Ok(ip), _) => Ok(ip),
            (Err(Some(err)), _) => Err(KernelError::Failed(format!("accept in {listen_ns} failed: {err}"))),
            (Err(None), Err(err)) => Err(KernelError::Failed(format!(
                "cannot reach {target} from {from}: {}",
                lower(&err.to_string())
            ))),
            (Err(None), Ok(_)) => Err(KernelError::Failed(format!(
                "{target} answered from {from}, but not through the listener in {listen_ns}"
            ))),
        }
    }
}

/// A TCP connection to `target`, from the address `bound` when given (so
/// policy routing by source applies), giving up after `timeout`.
fn connect_from(bound: Option<IpAddr>, target: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    use nix::sys::socket::{
        AddressFamily, SockFlag, SockType, SockaddrStorage, bind, connect, setsockopt, socket, sockopt,
    };
    let Some(source) = bound else {
        return TcpStream::connect_timeout(&target, timeout);
    };
    let family = if target.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    // A blocking connect waits at most the send timeout.
    setsockopt(
        &fd,
        sockopt::SendTimeout,
        &nix::sys::time::TimeVal::new(timeout.as_secs() as i64, timeout.subsec_micros() as i64),
    )?;
    bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrStorage::from(SocketAddr::new(source, 0)))?;
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrStorage::from(target))?;
    Ok(TcpStream::from(fd))
}

fn lower(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}
