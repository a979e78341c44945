//! ICMP echo ("ping") from any network namespace, without the ping binary.
//! One raw socket per namespace and address family, each opened inside its
//! namespace; every probe is then driven from the calling thread with poll(2).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn, SockaddrIn6, SockaddrStorage,
    recvfrom, sendto, socket,
};

use super::{netns, wait};

#[derive(Debug, Clone, PartialEq)]
pub struct PingOptions {
    /// Echo requests per probe.
    pub count: u32,
    /// Time between rounds of requests.
    pub interval: Duration,
    /// How long to wait for replies after the last request.
    pub timeout: Duration,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions { count: 3, interval: Duration::from_millis(200), timeout: Duration::from_secs(1) }
    }
}

/// What one probe saw. Round-trip times are in milliseconds, 0.0 when no
/// reply came back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PingStats {
    pub sent: u32,
    pub received: u32,
    pub rtt_min_ms: f64,
    pub rtt_avg_ms: f64,
    pub rtt_max_ms: f64,
}

impl PingStats {
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        100.0 * f64::from(self.sent - self.received) / f64::from(self.sent)
    }
}

/// The most echo requests one call may send (all probes, all rounds): each
/// is remembered until the end, so this bounds the memory a ping takes.
pub const MAX_REQUESTS: u64 = 4_000_000;

/// Runs every probe (namespace file or None, target) at once, on this
/// thread, and returns their statistics in the same order. Ends early, with
/// an error of kind Interrupted, once `interrupt` is set.
pub fn ping_many(
    probes: &[(Option<PathBuf>, IpAddr)],
    options: &PingOptions,
    interrupt: &AtomicBool,
) -> io::Result<Vec<PingStats>> {
    if probes.is_empty() || options.count == 0 {
        return Ok(vec![PingStats::default(); probes.len()]);
    }
    let requests = probes.len() as u64 * u64::from(options.count);
    if requests > MAX_REQUESTS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} probes of {} requests each make {requests} echo requests; at most {MAX_REQUESTS} are allowed at once",
                probes.len(),
                options.count
            ),
        ));
    }
    // ::ffff:a.b.c.d is an IPv4 host: ping it over IPv4.
    let targets: Vec<IpAddr> = probes.iter().map(|(_, target)| target.to_canonical()).collect();

    let mut sockets: Vec<OwnedFd> = Vec::new();
    let mut by_key: HashMap<(Option<&Path>, bool), usize> = HashMap::new();
    let mut probe_sockets = Vec::with_capacity(probes.len());
    for ((ns, _), target) in probes.iter().zip(&targets) {
        let key = (ns.as_deref(), target.is_ipv6());
        let index = match by_key.get(&key) {
            Some(&index) => index,
            None => {
                sockets.push(open_socket(key.0, key.1)?);
                by_key.insert(key, sockets.len() - 1);
                sockets.len() - 1
            }
        };
        probe_sockets.push((index, *target));
    }

    let token = RandomState::new().build_hasher().finish();
    let mut tracker = Tracker::new((token >> 48) as u16, token, probe_sockets);
    let start = Instant::now();
    let elapsed_ns = || u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let mut round = 0u32;
    let mut deadline = None;
    let mut last_look = false;
    let mut buf = vec![0u8; 4096];
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, crate::interrupt::message()));
        }
        let now = Instant::now();
        let wake = match deadline {
            None => {
                let due = at(start, options.interval.saturating_mul(round));
                if now >= due {
                    for probe in 0..tracker.probes.len() {
                        let (socket, target) = (tracker.probes[probe].socket, tracker.probes[probe].target);
                        let sent_ns = elapsed_ns();
                        let packet = tracker.request(probe, round, sent_ns);
                        let delivered = send(&sockets[socket], target, &packet)?;
                        tracker.record_send(probe, delivered.then_some(sent_ns));
                    }
                    round += 1;
                    if round == options.count {
                        deadline = Some(at(Instant::now(), options.timeout));
                    }
                    continue;
                }
                due
            }
            Some(deadline) => {
                if tracker.outstanding == 0 || last_look {
                    break;
                }
                // Past the deadline, still take what has already arrived.
                last_look = now >= deadline;
                deadline
            }
        };

        let mut fds: Vec<PollFd> =
            sockets.iter().map(|fd| PollFd::new(fd.as_fd(), PollFlags::POLLIN)).collect();
        // A signal also ends poll (EINTR); the slice covers one that went to another thread.
        let wait_ms = wake.saturating_duration_since(now).min(wait::SLICE).as_micros().div_ceil(1000);
        match poll(&mut fds, PollTimeout::try_from(wait_ms).unwrap_or(PollTimeout::MAX)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(err) => return Err(io::Error::new(io::Error::from(err).kind(), format!("poll: {err}"))),
        }
        let ready: Vec<usize> = fds
            .iter()
            .enumerate()
            .filter(|(_, fd)| fd.revents().is_some_and(|events| !events.is_empty()))
            .map(|(index, _)| index)
            .collect();
        drop(fds);
        for socket in ready {
            drain(socket, &sockets[socket], &mut buf, &mut tracker, &elapsed_ns)?;
        }
    }
    Ok(tracker.stats())
}

/// `from + after`, after at most wait::LONGEST.
fn at(from: Instant, after: Duration) -> Instant {
    from + after.min(wait::LONGEST)
}

/// A raw ICMP (or ICMPv6) socket in the namespace bound at `ns`.
fn open_socket(ns: Option<&Path>, v6: bool) -> io::Result<OwnedFd> {
    let open = || {
        let (family, protocol) = if v6 {
            (AddressFamily::Inet6, SockProtocol::IcmpV6)
        } else {
            (AddressFamily::Inet, SockProtocol::Icmp)
        };
        socket(family, SockType::Raw, SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC, protocol).map_err(
            |err| {
                let what = if v6 { "ICMPv6" } else { "ICMP" };
                io::Error::new(
                    io::Error::from(err).kind(),
                    format!("cannot open a raw {what} socket (it needs root or CAP_NET_RAW): {err}"),
                )
            },
        )
    };
    match ns {
        None => open(),
        Some(path) => netns::enter(path, open).map(|(fd, _inode)| fd),
    }
}

/// Sends one request. Ok(false) when the packet could not leave (no route,
/// neighbour unreachable, interrupted): a lost packet, not a failure.
fn send(fd: &OwnedFd, target: IpAddr, packet: &[u8]) -> io::Result<bool> {
    let attempt = || match target {
        IpAddr::V4(ip) => {
            sendto(fd.as_raw_fd(), packet, &SockaddrIn::from(SocketAddrV4::new(ip, 0)), MsgFlags::empty())
        }
        IpAddr::V6(ip) => sendto(
            fd.as_raw_fd(),
            packet,
            &SockaddrIn6::from(SocketAddrV6::new(ip, 0, 0, 0)),
            MsgFlags::empty(),
        ),
    };
    // The first error may be one the socket latched from an ICMP error meant
    // for another probe (reporting it clears it): try once more.
    match attempt().or_else(|_| attempt()) {
        Ok(_) => Ok(true),
        Err(
            Errno::EINTR
            | Errno::EAGAIN
            | Errno::ENOBUFS
            | Errno::ENETUNREACH
            | Errno::EHOSTUNREACH
            | Errno::ENETDOWN
            | Errno::EHOSTDOWN,
        ) => Ok(false),
        Err(err) => Err(io::Error::new(
            io::Error::from(err).kind(),
            format!("cannot send an echo request to {target}: {err}"),
        )),
    }
}

/// Reads every packet waiting on one socket and hands it to the tracker.
fn drain(
    socket: usize,
    fd: &OwnedFd,
    buf: &mut [u8],
    tracker: &mut Tracker,
    elapsed_ns: &impl Fn() -> u64,
) -> io::Result<()> {
    loop {
        match recvfrom::<SockaddrStorage>(fd.as_raw_fd(), buf) {
            Ok((len, Some(from))) => {
                let from = match (from.as_sockaddr_in(), from.as_sockaddr_in6()) {
                    (Some(v4), _) => IpAddr::V4(v4.ip()),
                    (_, Some(v6)) => IpAddr::V6(v6.ip()),
                    _ => continue,
                };
                tracker.on_packet(socket, from, &buf[..len.min(buf.len())], elapsed_ns());
            }
            Ok((_, None)) | Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => return Ok(()),
            Err(err @ (Errno::EBADF | Errno::EFAULT | Errno::EINVAL | Errno::ENOTSOCK | Errno::ENOMEM)) => {
                return Err(io::Error::new(
                    io::Error::from(err).kind(),
                    format!("cannot receive echo replies: {err}"),
                ));
            }
            // An ICMP error latched on the socket (destination unreachable
            // and the like); reading it cleared it. poll says if more waits.
            Err(_) => return Ok(()),
        }
    }
}

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
const PAYLOAD_LEN: usize = 24;

/// An ICMP or ICMPv6 echo request. The IPv4 checksum is computed here; for
/// ICMPv6 raw sockets the kernel computes it (it covers a pseudo header).
fn echo_request(v6: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(8 + payload.len());
    packet.extend_from_slice(&[if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 }, 0, 0, 0]);
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(payload);
    if !v6 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The Internet checksum (RFC 1071). Data that carries its own correct
/// checksum sums to 0.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = data
        .chunks(2)
        .map(|pair| u64::from(u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[derive(Debug, PartialEq, Eq)]
struct Echo<'a> {
    id: u16,
    seq: u16,
    payload: &'a [u8],
}

/// An echo reply as a raw socket delivers it: IPv4 with its IP header,
/// ICMPv6 without. Anything else is None.
fn parse_reply(v6: bool, packet: &[u8]) -> Option<Echo<'_>> {
    let icmp = if v6 {
        packet
    } else {
        let first = *packet.first()?;
        let header_len = usize::from(first & 0x0f) * 4;
        if first >> 4 != 4 || header_len < 20 || packet.get(9) != Some(&1) {
            return None;
        }
        packet.get(header_len..)?
    };
    if icmp.len() < 8 || icmp[1] != 0 {
        return None;
    }
    let expected = if v6 { ECHO_REPLY_V6 } else { ECHO_REPLY_V4 };
    // Raw IPv4 sockets see packets before the kernel checks them.
    if icmp[0] != expected || (!v6 && checksum(icmp) != 0) {
        return None;
    }
    Some(Echo {
        id: u16::from_be_bytes([icmp[4], icmp[5]]),
        seq: u16::from_be_bytes([icmp[6], icmp[7]]),
        payload: &icmp[8..],
    })
}

/// What a request carries so its reply can be told from every other packet:
/// this run's token, the probe, the round and when it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tag {
    probe: u32,
    round: u32,
    sent_ns: u64,
}

fn encode_payload(token: u64, tag: Tag) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[0..8].copy_from_slice(&token.to_be_bytes());
    payload[8..12].copy_from_slice(&tag.probe.to_be_bytes());
    payload[12..16].copy_from_slice(&tag.round.to_be_bytes());
    payload[16..24].copy_from_slice(&tag.sent_ns.to_be_bytes());
    payload
}

fn decode_payload(token: u64, payload: &[u8]) -> Option<Tag> {
    let payload = payload.get(..PAYLOAD_LEN)?;
    let bytes = |at: usize| -> [u8; 8] { payload[at..at + 8].try_into().expect("8 bytes") };
    if u64::from_be_bytes(bytes(0)) != token {
        return None;
    }
    let rounds = bytes(8);
    Some(Tag {
        probe: u32::from_be_bytes([rounds[0], rounds[1], rounds[2], rounds[3]]),
        round: u32::from_be_bytes([rounds[4], rounds[5], rounds[6], rounds[7]]),
        sent_ns: u64::from_be_bytes(bytes(16)),
    })
}

struct Probe {
    socket: usize,
    target: IpAddr,
    /// Per round: when the request left (ns since the start), None if it
    /// could not be sent.
    sent_at: Vec<Option<u64>>,
    answered: Vec<bool>,
    rtts_ms: Vec<f64>,
}

/// The requests sent and the replies matched to them.
struct Tracker {
    id: u16,
    token: u64,
    probes: Vec<Probe>,
    /// Requests sent and not answered yet.
    outstanding: usize,
}

impl Tracker {
    fn new(id: u16, token: u64, probes: Vec<(usize, IpAddr)>) -> Self {
        let probes = probes
            .into_iter()
            .map(|(socket, target)| Probe {
                socket,
                target,
                sent_at: Vec::new(),
                answered: Vec::new(),
                rtts_ms: Vec::new(),
            })
            .collect();
        Tracker { id, token, probes, outstanding: 0 }
    }

    fn request(&self, probe: usize, round: u32, sent_ns: u64) -> Vec<u8> {
        let tag = Tag { probe: probe as u32, round, sent_ns };
        let v6 = self.probes[probe].target.is_ipv6();
        echo_request(v6, self.id, round as u16, &encode_payload(self.token, tag))
    }

    /// Records the next round's request of a probe: its send time, or None
    /// if it was lost before leaving.
    fn record_send(&mut self, probe: usize, sent_ns: Option<u64>) {
        let probe = &mut self.probes[probe];
        probe.sent_at.push(sent_ns);
        probe.answered.push(false);
        self.outstanding += usize::from(sent_ns.is_some());
    }

    /// Takes a packet read from `socket`; true if it answered one of our
    /// requests for the first time.
    fn on_packet(&mut self, socket: usize, from: IpAddr, packet: &[u8], now_ns: u64) -> bool {
        let Some(echo) = parse_reply(from.is_ipv6(), packet) else {
            return false;
        };
        if echo.id != self.id {
            return false;
        }
        let Some(tag) = decode_payload(self.token, echo.payload) else {
            return false;
        };
        let Some(probe) = self.probes.get_mut(tag.probe as usize) else {
            return false;
        };
        let round = tag.round as usize;
        if probe.socket != socket
            || probe.target != from
            || echo.seq != tag.round as u16
            || probe.sent_at.get(round) != Some(&Some(tag.sent_ns))
            || probe.answered[round]
        {
            return false;
        }
        probe.answered[round] = true;
        probe.rtts_ms.push(now_ns.saturating_sub(tag.sent_ns) as f64 / 1e6);
        self.outstanding -= 1;
        true
    }

    fn stats(&self) -> Vec<PingStats> {
        self.probes
            .iter()
            .map(|probe| {
                let rtts = &probe.rtts_ms;
                let mut stats = PingStats {
                    sent: probe.sent_at.len() as u32,
                    received: rtts.len() as u32,
                    ..PingStats::default()
                };
                if !rtts.is_empty() {
                    stats.rtt_min_ms = rtts.iter().copied().fold(f64::INFINITY, f64::min);
                    stats.rtt_max_ms = rtts.iter().copied().fold(0.0, f64::max);
                    stats.rtt_avg_ms = rtts.iter().sum::<f64>() / rtts.len() as f64;
                }
                stats
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4_TARGET: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const V6_TARGET: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 2));

    /// The reply a host would send to `request`, as a raw socket reads it.
    fn reply_to(request: &[u8], from: IpAddr) -> Vec<u8> {
        let mut icmp = request.to_vec();
        match from {
            IpAddr::V4(src) => {
                icmp[0] = ECHO_REPLY_V4;
                icmp[2..4].fill(0);
                let sum = checksum(&icmp);
                icmp[2..4].copy_from_slice(&sum.to_be_bytes());
                let total = (20 + icmp.len()) as u16;
                let mut packet = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
                packet[2..4].copy_from_slice(&total.to_be_bytes());
                packet.extend_from_slice(&src.octets());
                packet.extend_from_slice(&[10, 0, 0, 1]);
                let sum = checksum(&packet);
                packet[10..12].copy_from_slice(&sum.to_be_bytes());
                packet.extend_from_slice(&icmp);
                packet
            }
            IpAddr::V6(_) => {
                icmp[0] = ECHO_REPLY_V6;
                icmp
            }
        }
    }

    #[test]
    fn checksum_matches_known_vectors() {
        // RFC 1071, section 3: the sum is 0xddf2, so the checksum is 0x220d.
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d);
        // The IPv4 header often used as the example (20 bytes, checksum zeroed).
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
            0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&header), 0xb861);
        // An odd length pads with a zero byte.
        assert_eq!(checksum(&[0xab]), 0x54ff);
    }

    #[test]
    fn ipv4_echo_request_is_well_formed() {
        // Windows' ping: id 1, seq 1, payload a..w then a..i, checksum 0x4d5a.
        let packet = echo_request(false, 1, 1, b"abcdefghijklmnopqrstuvwabcdefghi");
        assert_eq!(&packet[..8], &[8, 0, 0x4d, 0x5a, 0, 1, 0, 1]);
        assert_eq!(&packet[8..], b"abcdefghijklmnopqrstuvwabcdefghi");
        assert_eq!(checksum(&packet), 0);
    }

    #[test]
    fn ipv6_echo_request_leaves_the_checksum_to_the_kernel() {
        let packet = echo_request(true, 0x1234, 7, &[1, 2, 3]);
        assert_eq!(packet, [128, 0, 0, 0, 0x12, 0x34, 0, 7, 1, 2, 3]);
    }

    #[test]
    fn payload_round_trips_and_checks_the_token() {
        let tag = Tag { probe: 3, round: 70_000, sent_ns: 123_456_789 };
        let payload = encode_payload(42, tag);
        assert_eq!(decode_payload(42, &payload), Some(tag));
        assert_eq!(decode_payload(43, &payload), None);
        assert_eq!(decode_payload(42, &payload[..10]), None);
    }

    #[test]
    fn parses_ipv4_reply_after_its_header() {
        let request = echo_request(false, 0xbeef, 2, b"hello");
        let packet = reply_to(&request, V4_TARGET);
        let echo = parse_reply(false, &packet).expect("a reply");
        assert_eq!(echo, Echo { id: 0xbeef, seq: 2, payload: b"hello" });
        // IP options make the header longer: IHL says by how much.
        let mut with_options = packet.clone();
        with_options[0] = 0x46;
        with_options.splice(20..20, [1, 1, 1, 0]);
        assert_eq!(parse_reply(false, &with_options), Some(echo));
    }

    #[test]
    fn rejects_what_is_not_an_ipv4_reply() {
        let request = echo_request(false, 1, 1, b"x");
        let reply = reply_to(&request, V4_TARGET);
        // A request, as a raw socket also sees them.
        let mut seen_request = reply.clone();
        seen_request[20..].copy_from_slice(&request);
        assert_eq!(parse_reply(false, &seen_request), None);
        let mut corrupt = reply.clone();
        *corrupt.last_mut().unwrap() ^= 0xff;
        assert_eq!(parse_reply(false, &corrupt), None);
        let mut udp = reply.clone();
        udp[9] = 17;
        assert_eq!(parse_reply(false, &udp), None);
        assert_eq!(parse_reply(false, &reply[..24]), None);
        assert_eq!(parse_reply(false, &[]), None);
    }

    #[test]
    fn parses_ipv6_reply_without_header() {
        let request = echo_request(true, 9, 4, b"data");
        let packet = reply_to(&request, V6_TARGET);
        assert_eq!(parse_reply(true, &packet), Some(Echo { id: 9, seq: 4, payload: b"data" }));
        assert_eq!(parse_reply(true, &request), None);
        assert_eq!(parse_reply(true, &packet[..7]), None);
    }

    #[test]
    fn matches_replies_to_their_probe_and_round() {
        let mut tracker = Tracker::new(77, 0xfeed, vec![(0, V4_TARGET), (1, V6_TARGET)]);
        let v4 = tracker.request(0, 0, 1_000_000);
        let v6 = tracker.request(1, 0, 1_500_000);
        tracker.record_send(0, Some(1_000_000));
        tracker.record_send(1, Some(1_500_000));
        assert_eq!(tracker.outstanding, 2);

        // From the wrong address, or read on another socket: not ours.
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
        assert!(!tracker.on_packet(0, other, &reply_to(&v4, other), 2_000_000));
        assert!(!tracker.on_packet(1, V4_TARGET, &reply_to(&v4, V4_TARGET), 2_000_000));
        // The request itself echoed back unchanged is not a reply.
        assert!(!tracker.on_packet(1, V6_TARGET, &v6, 2_000_000));

        assert!(tracker.on_packet(0, V4_TARGET, &reply_to(&v4, V4_TARGET), 3_000_000));
        // A duplicate counts once.
        assert!(!tracker.on_packet(0, V4_TARGET, &reply_to(&v4, V4_TARGET), 3_500_000));
        assert!(tracker.on_packet(1, V6_TARGET, &reply_to(&v6, V6_TARGET), 4_000_000));
        assert_eq!(tracker.outstanding, 0);

        let stats = tracker.stats();
        assert_eq!((stats[0].sent, stats[0].received), (1, 1));
        assert!((stats[0].rtt_avg_ms - 2.0).abs() < 1e-9);
        assert!((stats[1].rtt_min_ms - 2.5).abs() < 1e-9);
    }

    #[test]
    fn ignores_other_runs_and_forged_rounds() {
        let mut tracker = Tracker::new(5, 1, vec![(0, V4_TARGET)]);
        tracker.record_send(0, Some(10));
        // Another process's request with the same identifier: other token.
        let stranger = Tracker::new(5, 2, vec![(0, V4_TARGET)]).request(0, 0, 10);
        assert!(!tracker.on_packet(0, V4_TARGET, &reply_to(&stranger, V4_TARGET), 20));
        // A round never sent, or a send time that does not match the record.
        let unsent = tracker.request(0, 1, 10);
        assert!(!tracker.on_packet(0, V4_TARGET, &reply_to(&unsent, V4_TARGET), 20));
        let wrong_time = tracker.request(0, 0, 11);
        assert!(!tracker.on_packet(0, V4_TARGET, &reply_to(&wrong_time, V4_TARGET), 20));
        // A probe index out of range.
        let payload = encode_payload(1, Tag { probe: 9, round: 0, sent_ns: 10 });
        let bogus = echo_request(false, 5, 0, &payload);
        assert!(!tracker.on_packet(0, V4_TARGET, &reply_to(&bogus, V4_TARGET), 20));
        assert_eq!(tracker.outstanding, 1);
    }

    #[test]
    fn lost_sends_are_sent_but_never_outstanding() {
        let mut tracker = Tracker::new(5, 1, vec![(0, V4_TARGET)]);
        tracker.record_send(0, None);
        tracker.record_send(0, None);
        assert_eq!(tracker.outstanding, 0);
        let stats = tracker.stats()[0];
        assert_eq!((stats.sent, stats.received), (2, 0));
        assert_eq!(stats.loss_percent(), 100.0);
        assert_eq!((stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms), (0.0, 0.0, 0.0));
    }

    #[test]
    fn loss_percent() {
        let stats = |sent, received| PingStats { sent, received, ..PingStats::default() };
        assert_eq!(stats(4, 3).loss_percent(), 25.0);
        assert_eq!(stats(3, 3).loss_percent(), 0.0);
        assert_eq!(stats(0, 0).loss_percent(), 0.0);
    }
}
