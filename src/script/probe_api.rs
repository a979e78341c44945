//! Functions that look at the network rather than change it, from the host
//! namespace or, as a method, from any namespace (`red.ping("10.0.0.2")`):
//! ping, the all-pairs ping matrix, reachability assertions, the NAT probe,
//! and running a command. They record nothing in the lab.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, INT, Map};

use super::api::{Fallible, Shared, define, in_any_netns};
use super::cidr::{Cidr, parse_ip, parse_socket};
use super::convert::to_netns;
use crate::kernel::NeighbourTable;
use crate::kernel::ping::{PingOptions, PingStats};
use crate::kernel::wait;
use crate::lab::Lab;
use crate::ops::Netns;
use crate::output::outln;

pub fn register(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "ping", |l, ns, target: Dynamic| -> Fallible<Map> {
        ping_from(l, &ns, &target, None)
    });
    in_any_netns!(engine, lab, "ping", |l, ns, target: Dynamic, options: Map| -> Fallible<Map> {
        ping_from(l, &ns, &target, Some(options))
    });
    in_any_netns!(engine, lab, "assert_reachable", |l, ns, target: Dynamic| {
        expect_reach(l, &ns, &target, true)
    });
    in_any_netns!(engine, lab, "assert_unreachable", |l, ns, target: Dynamic| {
        expect_reach(l, &ns, &target, false)
    });
    let l = lab.clone();
    define!(engine, "pingall", ["hosts: array"], move |hosts: Array| -> Fallible<Map> {
        pingall(&l, hosts, Map::new())
    });
    let l = lab.clone();
    define!(engine, "pingall", ["hosts: array", "options: map"], move |hosts: Array,
                                                                       options: Map|
          -> Fallible<Map> {
        pingall(&l, hosts, options)
    });
    in_any_netns!(engine, lab, "source_seen", |l,
                                               ns,
                                               listen_ns: Dynamic,
                                               target: &str|
     -> Fallible<String> {
        source_seen(l, ns, listen_ns, target, Map::new())
    });
    in_any_netns!(engine, lab, "source_seen", |l,
                                               ns,
                                               listen_ns: Dynamic,
                                               target: &str,
                                               options: Map|
     -> Fallible<String> {
        source_seen(l, ns, listen_ns, target, options)
    });
    in_any_netns!(engine, lab, "start_process", |l, ns, command: Dynamic| -> Fallible<Map> {
        start_process(l, ns, &command)
    });
    in_any_netns!(engine, lab, "exec", |l, ns, command: Dynamic| -> Fallible<Map> {
        exec(l, &ns, &command, Map::new())
    });
    in_any_netns!(engine, lab, "exec", |l, ns, command: Dynamic, options: Map| -> Fallible<Map> {
        exec(l, &ns, &command, options)
    });
}

/// Fails the script, at the line that asked, when `from` can (or cannot)
/// reach `target`, saying what was tried.
fn expect_reach(lab: &Shared, from: &Netns, target: &Dynamic, reachable: bool) -> Fallible<()> {
    let options =
        PingOptions { count: 3, interval: Duration::from_millis(50), timeout: Duration::from_secs(1) };
    let addr = to_target(target).map_err(|why| format!("cannot check {target}: {why}"))?;
    let stats = {
        let lab = lab.borrow();
        lab.net()
            .ping_many(&[(from.clone(), addr)], &options, &lab.interrupt_flag())
            .map_err(|err| format!("cannot check {addr}{}: {err}", from.location()))?
    };
    let stats = stats[0];
    if lab.borrow().net().is_dry_run() {
        // The dry run assumed the check passes, either way.
        return Ok(());
    }
    let place = from.to_string();
    match (reachable, stats.received) {
        (true, 0) => Err(format!(
            "{place} cannot reach {addr}: {} pings sent, none answered within {:.1} s",
            stats.sent,
            options.timeout.as_secs_f64()
        )
        .into()),
        (false, received) if received > 0 => Err(format!(
            "{place} reaches {addr}, which it should not: {received} of {} pings answered",
            stats.sent
        )
        .into()),
        _ => Ok(()),
    }
}

/// Pings every host from every other, all at once, and prints the matrix
/// as Mininet's pingall does. Hosts are namespaces (or names); each is
/// pinged at its first IPv4 address (IPv6 when it has none).
fn pingall(lab: &Shared, hosts: Array, options: Map) -> Fallible<Map> {
    let mut ping =
        PingOptions { count: 1, interval: Duration::from_millis(50), timeout: Duration::from_secs(1) };
    let mut quiet = false;
    for (key, value) in options {
        match key.as_str() {
            "quiet" => {
                quiet = value.as_bool().map_err(|_| format!("quiet must be true or false, not {value}"))?
            }
            key if set_ping_option(&mut ping, key, &value)? => {}
            other => {
                return Err(format!(
                    "unknown pingall option '{other}'; the options are: count, interval, timeout, quiet"
                )
                .into());
            }
        }
    }
    let lab = lab.borrow();
    let net = lab.net();
    let mut named = Vec::new();
    for host in &hosts {
        let ns = to_netns(host)?;
        let addrs = net.addrs(&ns, None).map_err(|err| err.to_string())?;
        let usable = |v4: bool| {
            addrs.iter().find(|a| a.address.is_ipv4() == v4 && a.scope == "global").map(|a| a.address.ip())
        };
        let addr = usable(true)
            .or_else(|| usable(false))
            .ok_or_else(|| format!("{} has no address to be pinged at", ns.name().unwrap_or("the host")))?;
        named.push((ns, addr));
    }
    // In a dry run the output is a script: say it in comments.
    let lead = if net.is_dry_run() { "# " } else { "" };
    let measured = measure(&lab, &named, &ping, |line| {
        if !quiet {
            outln!("{lead}{line}");
        }
    })?;
    let stats: Vec<PingStats> = measured.stats;
    let label = |ns: &Netns| ns.name().unwrap_or("host").to_string();
    let mut lines = vec![format!("{lead}*** Ping: testing ping reachability")];
    let (mut sent, mut received) = (0, 0);
    let mut failed = Array::new();
    let mut results = stats.iter();
    for (i, (from, _)) in named.iter().enumerate() {
        let mut line = format!("{lead}{} ->", label(from));
        for (j, (to, _)) in named.iter().enumerate() {
            if i == j {
                continue;
            }
            let result = results.next().expect("one result per probe");
            sent += result.sent;
            received += result.received;
            if result.received > 0 {
                line.push_str(&format!(" {}", label(to)));
            } else {
                line.push_str(" X");
                failed.push(format!("{} -> {}", label(from), label(to)).into());
            }
        }
        lines.push(line);
    }
    let loss = if sent == 0 { 0.0 } else { 100.0 * f64::from(sent - received) / f64::from(sent) };
    lines.push(format!("{lead}*** Results: {loss:.0}% dropped ({received}/{sent} received)"));
    if let Some(table) = measured.overflowed {
        lines.push(format!("{lead}*** Warning: {}", overflow_warning(&table, measured.v6)));
    }
    if !quiet {
        outln!("{}", lines.join("\n"));
    }
    let mut map = Map::new();
    map.insert("sent".into(), Dynamic::from(INT::from(sent)));
    map.insert("received".into(), Dynamic::from(INT::from(received)));
    map.insert("loss".into(), Dynamic::from(loss as FLOAT));
    map.insert("failed".into(), failed.into());
    map.insert("neighbour_table_full".into(), measured.overflowed.is_some().into());
    Ok(map)
}

/// Entries of the neighbour table left to the rest of the machine.
const TABLE_MARGIN: usize = 64;

/// What the pings of a pingall saw, in the order of `all_pairs`.
struct Measured {
    stats: Vec<PingStats>,
    /// The neighbour table, when it was full and pings were lost to it.
    overflowed: Option<NeighbourTable>,
    v6: bool,
}

/// Every ordered pair of distinct hosts, row by row: the matrix's order.
fn all_pairs(hosts: usize) -> Vec<(usize, usize)> {
    (0..hosts).flat_map(|i| (0..hosts).filter(move |&j| j != i).map(move |j| (i, j))).collect()
}

/// The next wave from `pairs` (unordered, i < j) for a table with room for
/// `room` entries: a ping between two hosts makes an entry in each, shared
/// by both directions, so a wave takes `room / 2` pairs, both ways.
fn wave(pairs: &[(usize, usize)], room: usize) -> (Vec<(usize, usize)>, usize) {
    let taken = pairs.len().min((room / 2).max(1));
    let mut wave: Vec<(usize, usize)> = pairs[..taken].iter().flat_map(|&(i, j)| [(i, j), (j, i)]).collect();
    wave.sort();
    (wave, taken)
}

/// Room in the table: what it holds, less what is in it and a margin.
fn room_in(table: &NeighbourTable) -> usize {
    (table.most as usize).saturating_sub(table.entries as usize).saturating_sub(TABLE_MARGIN)
}

/// Pings every pair. The kernel's neighbour table (gc_thresh3 entries,
/// shared by all namespaces) drops a packet to a new neighbour when it is
/// full, and keeps a fresh entry for half a minute; so when the pairs need
/// more entries than it has room for, they go in waves, each wave's entries
/// deleted before the next. Pairs lost while the table was full anyway are
/// tried once more.
fn measure(
    lab: &Lab,
    named: &[(Netns, IpAddr)],
    options: &PingOptions,
    say: impl Fn(&str),
) -> Result<Measured, String> {
    let net = lab.net();
    let v6 = named.iter().all(|(_, addr)| addr.is_ipv6());
    let order = all_pairs(named.len());
    let table = net.neighbour_table(v6);
    let fulls = || net.neighbour_table(v6).map_or(0, |t| t.table_fulls);
    let ping = |pairs: &[(usize, usize)]| -> Result<Vec<PingStats>, String> {
        let probes: Vec<(Netns, IpAddr)> =
            pairs.iter().map(|&(i, j)| (named[i].0.clone(), named[j].1)).collect();
        net.ping_many(&probes, options, &lab.interrupt_flag()).map_err(|err| format!("pingall: {err}"))
    };
    // What a wave left in each namespace's table, deleted before the next.
    let forget = |pairs: &[(usize, usize)]| -> Result<(), String> {
        let mut by_ns: Vec<Vec<IpAddr>> = vec![Vec::new(); named.len()];
        for &(i, j) in pairs {
            by_ns[i].push(named[j].1);
        }
        for (i, addrs) in by_ns.iter().enumerate().filter(|(_, addrs)| !addrs.is_empty()) {
            net.forget_neighbours(&named[i].0, addrs).map_err(|err| err.to_string())?;
        }
        Ok(())
    };
    let staggered = table.is_some_and(|t| order.len() > room_in(&t));
    if let (Some(table), true) = (table, staggered) {
        say(&format!(
            "*** {} pings need more neighbour entries than the kernel has room for ({} = {}, for all \
             namespaces): pinging in waves that fit, each wave's entries deleted before the next",
            order.len(),
            threshold_sysctl(v6),
            table.most,
        ));
    }
    let mut pending: Vec<(usize, usize)> =
        (0..named.len()).flat_map(|i| (i + 1..named.len()).map(move |j| (i, j))).collect();
    let mut results: std::collections::HashMap<(usize, usize), PingStats> = Default::default();
    let mut overflowed = None;
    while !pending.is_empty() {
        if lab.is_interrupted() {
            return Err(format!("pingall: {}", crate::interrupt::message()));
        }
        let (this, taken) = if staggered {
            let room = net.neighbour_table(v6).map_or(usize::MAX, |t| room_in(&t)).max(TABLE_MARGIN);
            wave(&pending, room)
        } else {
            (order.clone(), pending.len())
        };
        pending.drain(..taken);
        let before = fulls();
        let mut stats = ping(&this)?;
        if fulls() > before {
            // Lost to a full table, not to the lab: once more, with room.
            let lost: Vec<usize> = (0..this.len()).filter(|&k| stats[k].received < stats[k].sent).collect();
            forget(&this)?;
            let again_before = fulls();
            let retried = ping(&lost.iter().map(|&k| this[k]).collect::<Vec<_>>())?;
            for (k, retry) in lost.into_iter().zip(retried) {
                stats[k] = retry;
            }
            if fulls() > again_before {
                overflowed = net.neighbour_table(v6);
            }
        }
        if staggered {
            forget(&this)?;
        }
        results.extend(this.iter().copied().zip(stats));
    }
    let stats = order.iter().map(|pair| results.remove(pair).unwrap_or_default()).collect();
    Ok(Measured { stats, overflowed, v6 })
}

fn threshold_sysctl(v6: bool) -> &'static str {
    if v6 { "net.ipv6.neigh.default.gc_thresh3" } else { "net.ipv4.neigh.default.gc_thresh3" }
}

/// What to say when pings were lost to a full neighbour table.
fn overflow_warning(table: &NeighbourTable, v6: bool) -> String {
    let key = threshold_sysctl(v6);
    let bigger = (table.most as usize * 4).max(4096);
    format!(
        "the kernel's neighbour table was full ({key} = {}, {} entries now, shared by every namespace): \
         some pairs marked X may be fine. Raise it on the host (the setting is not seen inside namespaces): \
         sysctl -w {key}={bigger} {}={}",
        table.most,
        table.entries,
        key.replace("thresh3", "thresh2"),
        bigger / 2
    )
}

/// The NAT probe: a TCP connection from `ns` to `target` ("198.51.100.1:8080",
/// or an address alone for port 7777), accepted by a listener in
/// `listen_ns`; returns the source address the listener saw.
fn source_seen(lab: &Shared, ns: Netns, listen_ns: Dynamic, target: &str, options: Map) -> Fallible<String> {
    const DEFAULT_PORT: u16 = 7777;
    let listen_ns = to_netns(&listen_ns)?;
    let place = ns.to_string();
    let fail = |why: String| format!("cannot probe {target} from {place}: {why}");
    let target: SocketAddr = parse_socket(target, DEFAULT_PORT).map_err(fail)?;
    let mut timeout = Duration::from_secs(2);
    let mut listen_port = target.port();
    let mut bound = None;
    for (key, value) in options {
        match key.as_str() {
            "from" => bound = Some(to_target(&value).map_err(fail)?),
            "timeout" => timeout = seconds("timeout", &value).map_err(fail)?,
            "listen_port" => {
                listen_port = value
                    .as_int()
                    .ok()
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or_else(|| fail(format!("listen_port {value} is not a port")))?
            }
            other => {
                return Err(fail(format!(
                    "unknown option '{other}'; the options are: timeout, listen_port, from"
                ))
                .into());
            }
        }
    }
    let lab = lab.borrow();
    let seen = lab
        .net()
        .source_seen(&ns, bound, &listen_ns, target, listen_port, timeout, &lab.interrupt_flag())
        .map_err(|err| fail(err.to_string()))?;
    Ok(seen.to_string())
}

/// A command as scripts give it: a command line (run by `sh -c`) or an array
/// of words.
pub(super) fn to_argv(command: &Dynamic) -> Result<Vec<String>, String> {
    if let Some(words) = command.clone().try_cast::<Array>() {
        Ok(words.iter().map(|w| w.to_string()).collect())
    } else if command.is_string() {
        Ok(vec!["sh".into(), "-c".into(), command.to_string()])
    } else {
        Err(format!("a command is a command line or an array of words, not {}", command.type_name()))
    }
}

/// Starts a background process of the lab (a server, say); teardown stops
/// it. Returns #{pid, log}.
fn start_process(lab: &Shared, ns: Netns, command: &Dynamic) -> Fallible<Map> {
    let argv = to_argv(command)?;
    let (pid, log) = lab.borrow_mut().spawn(ns, argv)?;
    let mut map = Map::new();
    map.insert("pid".into(), Dynamic::from(INT::from(pid)));
    map.insert("log".into(), log.into());
    Ok(map)
}

/// Runs a command inside a namespace and waits for it; returns
/// #{code, stdout, stderr}. A timeout (10 s unless given) kills it and fails
/// the script.
fn exec(lab: &Shared, ns: &Netns, command: &Dynamic, options: Map) -> Fallible<Map> {
    let argv = to_argv(command)?;
    let shown = if command.is_string() { command.to_string() } else { argv.join(" ") };
    let fail = |why: String| format!("cannot run `{shown}`{}: {why}", ns.location());
    let mut timeout = Duration::from_secs(10);
    let mut undo = None;
    for (key, value) in options {
        match key.as_str() {
            "timeout" => timeout = seconds("timeout", &value).map_err(fail)?,
            "undo" => undo = Some(to_argv(&value).map_err(|why| fail(format!("its undo: {why}")))?),
            other => {
                return Err(fail(format!("unknown option '{other}'; the options are: timeout, undo")).into());
            }
        }
    }
    // With an undo, the command is one of the lab's changes: journaled,
    // undone on rollback and `down`, and an error unless it exits with 0.
    if let Some(undo) = undo {
        let output = lab.borrow_mut().exec_with_undo(ns.clone(), argv, undo, timeout)?;
        return Ok(output_map(output));
    }
    let lab = lab.borrow();
    lab.node_ready(ns).map_err(fail)?;
    let output =
        lab.net().exec(ns, &argv, timeout, &lab.interrupt_flag()).map_err(|err| fail(err.to_string()))?;
    if output.timed_out {
        return Err(fail(format!(
            "it was still running after {:.1} s and was killed",
            timeout.as_secs_f64()
        ))
        .into());
    }
    Ok(output_map(output))
}

fn output_map(output: crate::kernel::ExecOutput) -> Map {
    let mut map = Map::new();
    map.insert("code".into(), output.code.map_or(Dynamic::UNIT, |c| Dynamic::from(INT::from(c))));
    map.insert("stdout".into(), output.stdout.into());
    map.insert("stderr".into(), output.stderr.into());
    map
}

fn ping_from(lab: &Shared, ns: &Netns, target: &Dynamic, options: Option<Map>) -> Fallible<Map> {
    // The address as the script wrote it, for the message.
    let asked = match target.clone().try_cast::<Cidr>() {
        Some(cidr) => cidr.ip().to_string(),
        None => target.to_string(),
    };
    let fail =
        |why: String| -> Box<EvalAltResult> { format!("cannot ping {asked}{}: {why}", ns.location()).into() };
    let addr = to_target(target).map_err(fail)?;
    let options = match options {
        Some(map) => to_options(map).map_err(fail)?,
        None => PingOptions::default(),
    };
    let lab = lab.borrow();
    let stats = lab
        .net()
        .ping_many(&[(ns.clone(), addr)], &options, &lab.interrupt_flag())
        .map_err(|err| fail(err.to_string()))?;
    Ok(stats_map(&stats[0], addr))
}

/// A ping target: an address, or a Cidr (its address).
fn to_target(target: &Dynamic) -> Result<IpAddr, String> {
    if let Some(cidr) = target.clone().try_cast::<Cidr>() {
        return Ok(cidr.ip());
    }
    if target.is_string() {
        return parse_ip(&target.to_string());
    }
    Err(format!("expected an address like \"10.0.0.1\", not {}", target.type_name()))
}

fn to_options(map: Map) -> Result<PingOptions, String> {
    let mut options = PingOptions::default();
    for (key, value) in map {
        if !set_ping_option(&mut options, &key, &value)? {
            return Err(format!("unknown ping option '{key}'; the options are: count, interval, timeout"));
        }
    }
    Ok(options)
}

/// The most echo requests one probe may send.
const MAX_COUNT: u32 = 100_000;

/// Sets one of count, interval, timeout; false for any other key.
fn set_ping_option(options: &mut PingOptions, key: &str, value: &Dynamic) -> Result<bool, String> {
    match key {
        "count" => {
            options.count = value
                .as_int()
                .ok()
                .and_then(|count| u32::try_from(count).ok())
                .filter(|&count| (1..=MAX_COUNT).contains(&count))
                .ok_or_else(|| format!("count must be a whole number from 1 to {MAX_COUNT}, not {value}"))?;
        }
        "interval" => options.interval = seconds("interval", value)?,
        "timeout" => options.timeout = seconds("timeout", value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// A duration in seconds, written as a whole number or not. Negative, NaN
/// and infinite are refused; anything longer than a day is taken as a day
/// (every wait ends on Ctrl-C anyway).
pub(super) fn seconds(option: &str, value: &Dynamic) -> Result<Duration, String> {
    let secs = match (value.as_int(), value.as_float()) {
        (Ok(int), _) => int as FLOAT,
        (_, Ok(float)) => float,
        _ => return Err(format!("{option} must be a number of seconds, not {value}")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("{option} must be a number of seconds from 0 up, not {value}"));
    }
    Ok(Duration::from_secs_f64(secs.min(wait::LONGEST.as_secs_f64())))
}

fn stats_map(stats: &PingStats, target: IpAddr) -> Map {
    let mut map = Map::new();
    map.insert("target".into(), target.to_string().into());
    map.insert("sent".into(), Dynamic::from(INT::from(stats.sent)));
    map.insert("received".into(), Dynamic::from(INT::from(stats.received)));
    map.insert("loss".into(), Dynamic::from(stats.loss_percent() as FLOAT));
    map.insert("rtt_min".into(), Dynamic::from(stats.rtt_min_ms as FLOAT));
    map.insert("rtt_avg".into(), Dynamic::from(stats.rtt_avg_ms as FLOAT));
    map.insert("rtt_max".into(), Dynamic::from(stats.rtt_max_ms as FLOAT));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, Dynamic)]) -> Result<PingOptions, String> {
        to_options(pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
    }

    #[test]
    fn options_take_whole_and_fractional_seconds() {
        let parsed = options(&[
            ("count", Dynamic::from(5_i64)),
            ("interval", Dynamic::from(0.05_f64)),
            ("timeout", Dynamic::from(2_i64)),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            PingOptions { count: 5, interval: Duration::from_millis(50), timeout: Duration::from_secs(2) }
        );
        assert_eq!(options(&[]).unwrap(), PingOptions::default());
    }

    #[test]
    fn bad_options_say_what_is_wrong() {
        let err = options(&[("cuont", Dynamic::from(1_i64))]).unwrap_err();
        assert_eq!(err, "unknown ping option 'cuont'; the options are: count, interval, timeout");
        assert!(options(&[("count", Dynamic::from(0_i64))]).unwrap_err().contains("from 1 to 100000"));
        assert!(options(&[("count", Dynamic::from(1_i64 << 40))]).unwrap_err().contains("from 1 to"));
        assert!(options(&[("count", Dynamic::from(1.5_f64))]).unwrap_err().contains("whole number"));
        assert!(options(&[("timeout", Dynamic::from(-1_i64))]).unwrap_err().contains("from 0 up"));
        for nonsense in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5] {
            let err = options(&[("interval", Dynamic::from(nonsense))]).unwrap_err();
            assert!(err.starts_with("interval must be a number of seconds from 0 up, not"), "{err}");
        }
        // Huge is clamped to a day, never an overflow.
        let parsed = options(&[("timeout", Dynamic::from(1e300_f64))]).unwrap();
        assert_eq!(parsed.timeout, wait::LONGEST);
        let parsed = options(&[("timeout", Dynamic::from(i64::MAX))]).unwrap();
        assert_eq!(parsed.timeout, wait::LONGEST);
        assert!(options(&[("interval", Dynamic::from("fast"))]).unwrap_err().contains("number of seconds"));
    }

    #[test]
    fn pairs_go_in_waves_that_fit_the_neighbour_table() {
        assert_eq!(all_pairs(3), [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]);
        // Room for 4 entries: 2 pairs, both ways.
        let pairs = [(0, 1), (0, 2), (1, 2)];
        assert_eq!(wave(&pairs, 4), (vec![(0, 1), (0, 2), (1, 0), (2, 0)], 2));
        assert_eq!(wave(&pairs[2..], 4), (vec![(1, 2), (2, 1)], 1));
        assert_eq!(wave(&pairs, 1), (vec![(0, 1), (1, 0)], 1));
        let table = NeighbourTable { most: 1024, entries: 100, table_fulls: 0 };
        assert_eq!(room_in(&table), 860);
    }

    #[test]
    fn a_full_neighbour_table_names_the_setting() {
        let table = NeighbourTable { most: 1024, entries: 1024, table_fulls: 7 };
        assert_eq!(
            overflow_warning(&table, false),
            "the kernel's neighbour table was full (net.ipv4.neigh.default.gc_thresh3 = 1024, 1024 entries now, \
             shared by every namespace): some pairs marked X may be fine. Raise it on the host (the setting is \
             not seen inside namespaces): sysctl -w net.ipv4.neigh.default.gc_thresh3=4096 \
             net.ipv4.neigh.default.gc_thresh2=2048"
        );
    }

    #[test]
    fn targets_are_addresses_or_cidrs() {
        assert_eq!(to_target(&Dynamic::from("10.0.0.2")).unwrap(), "10.0.0.2".parse::<IpAddr>().unwrap());
        let cidr = super::super::cidr::parse_cidr("fd00::5/64").unwrap();
        assert_eq!(to_target(&Dynamic::from(cidr)).unwrap(), "fd00::5".parse::<IpAddr>().unwrap());
        assert!(to_target(&Dynamic::from("10.0.0.300")).unwrap_err().contains("not a valid IPv4 address"));
        assert!(to_target(&Dynamic::from(3_i64)).unwrap_err().contains("not i64"));
    }
}
