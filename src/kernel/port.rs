//! Checking a firewall from outside it: a TCP connection or a UDP datagram
//! from a socket opened inside a namespace, with the answer as a port
//! scanner would give it (open, refused, unreachable, timed out), and the
//! listener a lab starts for such probes to reach. No nc, no curl: the
//! sockets are netscript's own. Every wait polls in short slices and stops
//! when the lab is interrupted.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, SockaddrStorage, connect, getsockopt, recv, send, socket,
    sockopt,
};

use super::Kernel;
use super::error::KernelError;
use crate::ops::{Netns, Proto};

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    /// A TCP connection was accepted; a UDP datagram was answered.
    Open,
    /// A TCP reset, or an ICMP port-unreachable.
    Refused,
    /// An ICMP host, network or administratively unreachable; or no route.
    Unreachable,
    /// Nothing came back in time (a drop, or a UDP port that keeps silent).
    Timeout,
    /// A dry run cannot tell.
    Unknown,
}

impl PortState {
    pub fn word(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Refused => "refused",
            PortState::Unreachable => "unreachable",
            PortState::Timeout => "timeout",
            PortState::Unknown => "unknown",
        }
    }
}

/// How long one wait may last at most: longer timeouts are cut to this.
pub const LONGEST_WAIT: Duration = Duration::from_secs(3600);
/// How often a wait looks at the interrupt flag.
const SLICE: Duration = Duration::from_millis(50);

fn interrupted() -> KernelError {
    KernelError::Failed("interrupted by a signal".into())
}

fn failed(what: &str, err: impl std::fmt::Display) -> KernelError {
    KernelError::Failed(format!("{what}: {err}"))
}

/// What an error on a probe's socket means.
fn state_of(errno: Errno) -> Option<PortState> {
    match errno {
        Errno::ECONNREFUSED | Errno::ECONNRESET => Some(PortState::Refused),
        Errno::EHOSTUNREACH | Errno::ENETUNREACH | Errno::EACCES | Errno::EPERM => {
            Some(PortState::Unreachable)
        }
        Errno::ETIMEDOUT => Some(PortState::Timeout),
        _ => None,
    }
}

/// Waits until `fd` is ready for `flags`, the deadline passes (false), or
/// the lab is interrupted.
fn wait(fd: &OwnedFd, flags: PollFlags, deadline: Instant, stop: &AtomicBool) -> Result<bool, KernelError> {
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let slice = left.min(SLICE).as_millis() as u16;
        let mut fds = [PollFd::new(fd.as_fd(), flags)];
        match poll(&mut fds, PollTimeout::from(slice)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => return Ok(true),
            Err(err) => return Err(failed("cannot wait for the probe", err)),
        }
    }
}

impl Kernel {
    /// Probes `target` over `proto` from a socket inside `from`.
    pub(super) fn port_probe(
        &self,
        from: &Netns,
        proto: Proto,
        target: SocketAddr,
        timeout: Duration,
        stop: &AtomicBool,
    ) -> Result<PortState, KernelError> {
        let family = if target.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
        let kind = match proto {
            Proto::Tcp => SockType::Stream,
            Proto::Udp => SockType::Datagram,
        };
        // The socket belongs to the namespace it was made in; the thread that
        // made it can go.
        let open = || {
            socket(family, kind, SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC, None)
                .map_err(io::Error::from)
        };
        let fd = self
            .in_netns(from, open)
            .map_err(|err| failed(&format!("cannot open a socket in {from}"), err))?;
        let deadline = Instant::now() + timeout.min(LONGEST_WAIT);
        let addr = SockaddrStorage::from(target);
        match connect(fd.as_raw_fd(), &addr) {
            Ok(()) if proto == Proto::Tcp => return Ok(PortState::Open),
            Ok(()) | Err(Errno::EINPROGRESS) => {}
            Err(errno) => {
                return state_of(errno)
                    .ok_or_else(|| failed(&format!("cannot reach {target} from {from}"), errno));
            }
        }
        match proto {
            Proto::Tcp => {
                if !wait(&fd, PollFlags::POLLOUT, deadline, stop)? {
                    return Ok(PortState::Timeout);
                }
                match getsockopt(&fd, sockopt::SocketError) {
                    Ok(0) => Ok(PortState::Open),
                    Ok(code) => {
                        let errno = Errno::from_raw(code);
                        state_of(errno)
                            .ok_or_else(|| failed(&format!("cannot reach {target} from {from}"), errno))
                    }
                    Err(err) => Err(failed("cannot read the probe's result", err)),
                }
            }
            Proto::Udp => {
                // An answer, or the ICMP error that comes back instead.
                if let Err(errno) = send(fd.as_raw_fd(), b"netscript probe\n", MsgFlags::empty()) {
                    return state_of(errno).ok_or_else(|| failed(&format!("cannot send to {target}"), errno));
                }
                let mut buffer = [0u8; 512];
                loop {
                    if !wait(&fd, PollFlags::POLLIN, deadline, stop)? {
                        return Ok(PortState::Timeout);
                    }
                    match recv(fd.as_raw_fd(), &mut buffer, MsgFlags::empty()) {
                        Ok(_) => return Ok(PortState::Open),
                        Err(Errno::EAGAIN) => continue,
                        Err(errno) => {
                            return state_of(errno)
                                .ok_or_else(|| failed(&format!("cannot hear from {target}"), errno));
                        }
                    }
                }
            }
        }
    }
}

/// Whether process `pid` has a socket listening on `port` (TCP), or bound
/// to it (UDP), in its network namespace, as /proc/PID/net shows it.
pub fn is_listening(pid: u32, proto: Proto, port: u16) -> bool {
    let (files, state) = match proto {
        Proto::Tcp => (["tcp", "tcp6"], "0A"),
        Proto::Udp => (["udp", "udp6"], "07"),
    };
    let hex = format!(":{port:04X}");
    files.iter().any(|file| {
        std::fs::read_to_string(format!("/proc/{pid}/net/{file}")).is_ok_and(|table| {
            table.lines().skip(1).any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.len() > 3 && fields[1].ends_with(&hex) && fields[3] == state
            })
        })
    })
}

/// Waits until the lab's listener `pid` is bound, it dies, the timeout
/// passes, or the lab is interrupted.
pub fn wait_listening(
    pid: u32,
    proto: Proto,
    port: u16,
    log: &str,
    stop: &AtomicBool,
) -> Result<(), KernelError> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if is_listening(pid, proto, port) {
            return Ok(());
        }
        if super::process::start_time(pid).is_none() {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            return Err(KernelError::Failed(format!(
                "the listener on {proto} port {port} ended at once: {}",
                said.trim().lines().last().unwrap_or("(it said nothing)")
            )));
        }
        if stop.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        if Instant::now() >= deadline {
            return Err(KernelError::Failed(format!(
                "the listener on {proto} port {port} did not start within 5 s"
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The listener itself (`netscript listen tcp|udp PORT`, a lab's process):
/// accepts TCP connections and closes them, or answers each UDP datagram
/// with itself, on every address of its namespace, until it is stopped.
pub fn listen(proto: &str, port: u16) -> i32 {
    let any6: IpAddr = [0u16; 8].into();
    let any4: IpAddr = [0u8; 4].into();
    // IPv6 sockets take IPv4 too; a namespace without IPv6 gets IPv4 alone.
    let bind = |ip: IpAddr| SocketAddr::new(ip, port);
    let result = match proto {
        "tcp" => TcpListener::bind(bind(any6)).or_else(|_| TcpListener::bind(bind(any4))).map(|listener| {
            println!("listening on tcp port {port}");
            for stream in listener.incoming() {
                drop(stream);
            }
        }),
        "udp" => UdpSocket::bind(bind(any6)).or_else(|_| UdpSocket::bind(bind(any4))).map(|socket| {
            println!("listening on udp port {port}");
            let mut buffer = [0u8; 2048];
            loop {
                if let Ok((n, peer)) = socket.recv_from(&mut buffer) {
                    let _ = socket.send_to(&buffer[..n], peer);
                }
            }
        }),
        other => {
            eprintln!("error: a listener is tcp or udp, not '{other}'");
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: cannot listen on {proto} port {port}: {err}");
            1
        }
    }
}
