//! The throughput probe: a TCP stream from one namespace to a sink in
//! another, as fast as the path takes it, for a given time; what the sink
//! received, per second, is the throughput. Both ends are sockets made in
//! their namespaces (a socket stays in the namespace it was made in) and
//! driven from this thread with poll(2), so one wait watches both ends, the
//! deadline and the interrupt flag, and nothing is left running after it.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrStorage, connect, getsockopt, socket, sockopt,
};

use super::Kernel;
use super::error::KernelError;
use crate::ops::Netns;

/// How long a measurement runs, after how much warm-up, and how long the
/// connection may take to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThroughputOptions {
    pub duration: Duration,
    /// Not counted: TCP's slow start, and the bucket's first burst.
    pub warmup: Duration,
    pub timeout: Duration,
}

impl Default for ThroughputOptions {
    fn default() -> Self {
        ThroughputOptions {
            duration: Duration::from_secs(3),
            warmup: Duration::from_millis(500),
            timeout: Duration::from_secs(2),
        }
    }
}

/// What the sink received while the measurement counted.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ThroughputStats {
    pub bytes: u64,
    pub seconds: f64,
    pub bits_per_second: f64,
}

/// The longest a poll sleeps before the interrupt flag is looked at again.
const SLICE: Duration = Duration::from_millis(50);
/// How long the listener may lag behind a connection that is made.
const ACCEPT_GRACE: Duration = Duration::from_millis(200);
const CHUNK: usize = 128 * 1024;

impl Kernel {
    /// Streams from `from` to `target` for `options.duration` (after the
    /// warm-up), the sink listening in `sink_ns` on the target's port.
    pub(super) fn throughput(
        &self,
        from: &Netns,
        sink_ns: &Netns,
        target: SocketAddr,
        options: &ThroughputOptions,
        interrupt: &AtomicBool,
    ) -> Result<ThroughputStats, KernelError> {
        let failed = |why: String| KernelError::Failed(why);
        let any: IpAddr = if target.is_ipv4() { [0u8; 4].into() } else { [0u16; 8].into() };
        let listener = self
            .in_netns(sink_ns, || TcpListener::bind(SocketAddr::new(any, target.port())))
            .map_err(|err| failed(format!("cannot listen on port {} in {sink_ns}: {err}", target.port())))?;
        listener.set_nonblocking(true).map_err(|err| failed(err.to_string()))?;
        let family = if target.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
        let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
        let client = self
            .in_netns(from, || socket(family, SockType::Stream, flags, None).map_err(io::Error::from))
            .map_err(|err| failed(format!("cannot open a TCP socket in {from}: {err}")))?;
        let (sender, sink) = connect_through(&listener, client, target, options.timeout, interrupt)
            .map_err(|why| failed(why.words(target, from, sink_ns, options.timeout)))?;
        drop(listener);
        stream(sender, sink, options, interrupt)
            .map_err(|why| failed(format!("the stream from {from} to {target} broke off: {why}")))
    }
}

/// Why the connection was not made.
enum NoConnection {
    Refused(Errno),
    Elsewhere,
    Silent,
    Interrupted,
    Io(io::Error),
}

impl NoConnection {
    fn words(&self, target: SocketAddr, from: &Netns, sink_ns: &Netns, timeout: Duration) -> String {
        match self {
            NoConnection::Refused(errno) => {
                format!("cannot reach {target} from {from}: {}", lower(errno.desc()))
            }
            NoConnection::Elsewhere => {
                format!("{target} answered from {from}, but not through the sink in {sink_ns}")
            }
            NoConnection::Silent => {
                format!("cannot reach {target} from {from}: no answer within {:.1} s", timeout.as_secs_f64())
            }
            NoConnection::Interrupted => "interrupted while connecting".into(),
            NoConnection::Io(err) => format!("accept in {sink_ns} failed: {err}"),
        }
    }
}

/// Connects `client` to `target` and accepts the connection on `listener`:
/// (sending end, receiving end).
fn connect_through(
    listener: &TcpListener,
    client: OwnedFd,
    target: SocketAddr,
    timeout: Duration,
    interrupt: &AtomicBool,
) -> Result<(TcpStream, TcpStream), NoConnection> {
    let mut connected = match connect(client.as_raw_fd(), &SockaddrStorage::from(target)) {
        Ok(()) => Some(Ok(())),
        Err(Errno::EINPROGRESS) => None,
        Err(errno) => Some(Err(errno)),
    };
    let deadline = Instant::now() + timeout;
    let mut grace: Option<Instant> = None;
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err(NoConnection::Interrupted);
        }
        match listener.accept() {
            Ok((sink, _)) => {
                if let Some(Err(errno)) = connected {
                    return Err(NoConnection::Refused(errno));
                }
                sink.set_nonblocking(true).map_err(NoConnection::Io)?;
                return Ok((TcpStream::from(client), sink));
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(NoConnection::Io(err)),
        }
        let until = match connected {
            Some(Err(errno)) => return Err(NoConnection::Refused(errno)),
            // Made: it shows up at the listener at once, or it went elsewhere.
            Some(Ok(())) => *grace.get_or_insert_with(|| Instant::now() + ACCEPT_GRACE),
            None => deadline,
        };
        let now = Instant::now();
        if now >= until {
            return Err(if connected.is_some() { NoConnection::Elsewhere } else { NoConnection::Silent });
        }
        let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        if connected.is_none() {
            fds.push(PollFd::new(client.as_fd(), PollFlags::POLLOUT));
        }
        let _ = poll(&mut fds, timeout_of((until - now).min(SLICE)));
        let ended = fds.get(1).and_then(PollFd::revents).is_some_and(|events| !events.is_empty());
        drop(fds);
        if ended {
            connected = Some(match getsockopt(&client, sockopt::SocketError) {
                Ok(0) => Ok(()),
                Ok(errno) => Err(Errno::from_raw(errno)),
                Err(errno) => Err(errno),
            });
        }
    }
}

/// Sends as fast as the path takes it and counts what arrives between the
/// end of the warm-up and the end of the measurement.
fn stream(
    mut sender: TcpStream,
    mut sink: TcpStream,
    options: &ThroughputOptions,
    interrupt: &AtomicBool,
) -> Result<ThroughputStats, String> {
    let payload = vec![0x5a_u8; CHUNK];
    let mut buffer = vec![0_u8; CHUNK];
    let counting = Instant::now() + options.warmup;
    let end = counting + options.duration;
    let mut counted: u64 = 0;
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err("interrupted".into());
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        let mut fds =
            [PollFd::new(sender.as_fd(), PollFlags::POLLOUT), PollFd::new(sink.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, timeout_of((end - now).min(SLICE))).map_err(|errno| errno.desc().to_string())?;
        let writable = fds[0].revents().is_some_and(|e| !e.is_empty());
        let readable = fds[1].revents().is_some_and(|e| !e.is_empty());
        if writable {
            match sender.write(&payload) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(lower(&err.to_string())),
            }
        }
        if readable {
            loop {
                match sink.read(&mut buffer) {
                    Ok(0) => return Err("the sending end closed".into()),
                    Ok(n) => {
                        if Instant::now() >= counting {
                            counted += n as u64;
                        }
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => return Err(lower(&err.to_string())),
                }
            }
        }
    }
    let seconds = options.duration.as_secs_f64();
    let bits_per_second = if seconds > 0.0 { counted as f64 * 8.0 / seconds } else { 0.0 };
    Ok(ThroughputStats { bytes: counted, seconds, bits_per_second })
}

fn timeout_of(wait: Duration) -> PollTimeout {
    PollTimeout::from(u16::try_from(wait.as_millis().max(1)).unwrap_or(u16::MAX))
}

fn lower(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}
