//! The NAT probe: connect over TCP from one namespace to an address, with a
//! listener in another namespace, and report the source address the
//! listener saw. This is how a lab proves that its masquerade or port
//! forward rewrites what it should, and nothing else.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrStorage, bind, connect, getsockopt, socket, sockopt,
};

use super::Kernel;
use super::error::KernelError;
use super::wait::{self, Deadline};
use crate::ops::Netns;

/// How long the listener may lag behind a connection that is made.
const ACCEPT_GRACE: Duration = Duration::from_millis(100);

impl Kernel {
    /// Connects from `from` to `target`, accepts in `listen_ns` on
    /// `listen_port` (another port than the target's behind a port
    /// forward), and returns the peer address seen there.
    /// The connection is made from `bound` when given (an address of
    /// `from`), so that policy routing by source applies.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn source_seen(
        &self,
        from: &Netns,
        bound: Option<IpAddr>,
        listen_ns: &Netns,
        target: SocketAddr,
        listen_port: u16,
        timeout: Duration,
        interrupt: &AtomicBool,
    ) -> Result<IpAddr, KernelError> {
        wait::check(interrupt)?;
        let any: IpAddr = if target.is_ipv4() { [0u8; 4].into() } else { [0u16; 8].into() };
        let listen_at = SocketAddr::new(any, listen_port);
        let listener = self.in_netns(listen_ns, || TcpListener::bind(listen_at)).map_err(|err| {
            KernelError::Failed(format!("cannot listen on port {listen_port} in {listen_ns}: {err}"))
        })?;
        listener.set_nonblocking(true).map_err(|err| KernelError::Failed(err.to_string()))?;
        // A socket stays in the namespace it was made in: made inside `from`,
        // it connects from there, driven from this thread like the listener,
        // so one wait watches both ends, the deadline and the interrupt flag.
        let family = if target.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
        let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
        let client = self
            .in_netns(from, || socket(family, SockType::Stream, flags, None).map_err(io::Error::from))
            .map_err(|err| KernelError::Failed(format!("cannot open a TCP socket in {from}: {err}")))?;
        if let Some(source) = bound {
            bind(client.as_raw_fd(), &SockaddrStorage::from(SocketAddr::new(source, 0))).map_err(|err| {
                KernelError::Failed(format!("cannot connect from {source} in {from}: {}", err.desc()))
            })?;
        }
        let mut state = match connect(client.as_raw_fd(), &SockaddrStorage::from(target)) {
            Ok(()) => Connect::Done,
            Err(Errno::EINPROGRESS) => Connect::Pending,
            Err(errno) => Connect::Failed(errno),
        };
        let deadline = Deadline::after(timeout);
        let mut grace: Option<Deadline> = None;
        loop {
            wait::check(interrupt)?;
            match listener.accept() {
                Ok((_, peer)) => return Ok(peer.ip()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(KernelError::Failed(format!("accept in {listen_ns} failed: {err}"))),
            }
            if !matches!(state, Connect::Pending) {
                // Connected or refused: a connection through the listener
                // shows up at once, or it went elsewhere.
                let until = *grace.get_or_insert_with(|| Deadline::after(ACCEPT_GRACE));
                if until.passed() {
                    break;
                }
            } else if deadline.passed() {
                break;
            }
            let slice = grace.map_or(deadline.next_slice(), |until| until.next_slice());
            state = wait_a_slice(&listener, &client, state, slice);
        }
        Err(KernelError::Failed(match state {
            Connect::Failed(errno) => {
                format!("cannot reach {target} from {from}: {}", lower(errno.desc()))
            }
            Connect::Done => {
                format!("{target} answered from {from}, but not through the listener in {listen_ns}")
            }
            Connect::Pending => format!(
                "cannot reach {target} from {from}: no answer within {:.1} s",
                timeout.min(wait::LONGEST).as_secs_f64()
            ),
        }))
    }
}

/// Where the connecting side stands.
#[derive(Debug, Clone, Copy)]
enum Connect {
    Pending,
    Done,
    Failed(Errno),
}

/// Sleeps until the listener has a connection, the client's connect ends,
/// or `slice` passes; returns how the connect stands then.
fn wait_a_slice(listener: &TcpListener, client: &OwnedFd, state: Connect, slice: Duration) -> Connect {
    let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    if matches!(state, Connect::Pending) {
        fds.push(PollFd::new(client.as_fd(), PollFlags::POLLOUT));
    }
    let ms = u16::try_from(slice.as_millis().max(1)).unwrap_or(u16::MAX);
    let _ = poll(&mut fds, PollTimeout::from(ms));
    let connect_ended = fds.get(1).and_then(PollFd::revents).is_some_and(|events| !events.is_empty());
    drop(fds);
    if !connect_ended {
        return state;
    }
    match getsockopt(client, sockopt::SocketError) {
        Ok(0) => Connect::Done,
        Ok(errno) => Connect::Failed(Errno::from_raw(errno)),
        Err(errno) => Connect::Failed(errno),
    }
}

fn lower(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}
