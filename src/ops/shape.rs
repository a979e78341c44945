//! Shaping a link: what a script asks for (a rate, a delay, a share of
//! packets lost, ...), in the units tc writes, and the root qdisc that gives
//! it. A rate alone is a token bucket (tbf); anything else is netem, whose
//! own rate then limits the link too, so one qdisc does it all and one
//! qdisc is what undoing it puts back.
//!
//! Numbers are kept exact: rates in bits per second, times in nanoseconds,
//! shares of packets in millionths of a percent; the kernel's forms (bytes
//! per second, scaled probabilities) are computed from them as tc computes
//! its own, so `tc qdisc replace ...` printed by a dry run builds the same
//! qdisc as netscript.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A share of packets, in millionths of a percent: 1.5 % is 1_500_000.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Percent(pub u32);

impl Percent {
    /// 100 %.
    pub const FULL: Percent = Percent(100_000_000);

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The share as netem takes it, a fraction of 2^32 - 1, computed as tc
    /// computes it from the text `percent_text` writes.
    pub fn probability(self) -> u32 {
        let percent = f64::from(self.0) / 1e6;
        let fraction = percent / 100.0;
        (fraction * f64::from(u32::MAX)).round_ties_even() as u32
    }

    /// The nearest share to a probability the kernel reports.
    pub fn from_probability(probability: u32) -> Percent {
        let millionths = f64::from(probability) / f64::from(u32::MAX) * 1e8;
        Percent(millionths.round() as u32)
    }
}

impl fmt::Display for Percent {
    /// "1.5%", "0.000001%", "100%".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1_000_000;
        let part = self.0 % 1_000_000;
        if part == 0 {
            write!(f, "{whole}%")
        } else {
            let digits = format!("{part:06}");
            write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
        }
    }
}

/// The root qdisc that shapes a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A token bucket: `rate` bits per second, bursts of up to `burst`
    /// bytes, and a queue of `limit` bytes waiting for tokens.
    Tbf { rate: u64, burst: u32, limit: u32 },
    /// Network emulation: each packet delayed by `delay` (nanoseconds),
    /// give or take `jitter`; shares lost, duplicated, corrupted (one bit
    /// flipped) and sent at once, out of order; a queue of `limit` packets;
    /// and, when given, a rate in bits per second.
    Netem {
        delay: u64,
        jitter: u64,
        loss: Percent,
        duplicate: Percent,
        corrupt: Percent,
        reorder: Percent,
        limit: u32,
        rate: Option<u64>,
    },
}

/// netem's queue when none is given, as tc has it.
pub const NETEM_LIMIT: u32 = 1000;
/// How long tbf keeps a packet waiting for tokens when no latency is given.
pub const TBF_LATENCY_US: u32 = 50_000;
/// The least burst tbf gets when none is given: ten full Ethernet frames,
/// so that a packet the size of the link's MTU always fits.
pub const TBF_MIN_BURST: u32 = 15_140;

/// Limits a ledger line read back must keep to, like a script's request.
const MAX_RATE: u64 = 1_000_000_000_000;
const MAX_DELAY: u64 = 60_000_000_000;
/// The kernel keeps jitter in an int of nanoseconds.
const MAX_JITTER: u64 = i32::MAX as u64;
const MAX_NETEM_LIMIT: u32 = 10_000_000;

impl Shape {
    /// The qdisc's kind, as the kernel and tc name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Tbf { .. } => "tbf",
            Shape::Netem { .. } => "netem",
        }
    }

    /// Checks what a script or a ledger line asks for.
    pub fn validate(&self) -> Result<(), String> {
        let rate_ok = |rate: u64| {
            if rate < 8 {
                Err(format!("a rate of {} is less than a byte per second", rate_text(rate)))
            } else if rate > MAX_RATE {
                Err(format!("a rate of {} is more than 1tbit", rate_text(rate)))
            } else {
                Ok(())
            }
        };
        match self {
            Shape::Tbf { rate, burst, limit } => {
                rate_ok(*rate)?;
                if *burst == 0 {
                    return Err("a burst of 0 bytes lets nothing through".into());
                }
                if *limit == 0 {
                    return Err("a queue of 0 bytes lets nothing through".into());
                }
                Ok(())
            }
            Shape::Netem { delay, jitter, loss, duplicate, corrupt, reorder, limit, rate } => {
                if *delay > MAX_DELAY {
                    return Err(format!("a delay of {} is more than 60s", time_text(*delay)));
                }
                if *jitter > MAX_JITTER {
                    return Err(format!(
                        "a jitter of {} is more than netem keeps (2.147s)",
                        time_text(*jitter)
                    ));
                }
                if *jitter > 0 && *delay == 0 {
                    return Err("jitter varies the delay: give a delay too".into());
                }
                if !reorder.is_zero() && *delay == 0 {
                    return Err(
                        "reorder sends some packets at once and delays the rest: give a delay too".into()
                    );
                }
                for (what, share) in
                    [("loss", loss), ("duplicate", duplicate), ("corrupt", corrupt), ("reorder", reorder)]
                {
                    if *share > Percent::FULL {
                        return Err(format!("{what} {share} is more than 100%"));
                    }
                }
                if *limit == 0 || *limit > MAX_NETEM_LIMIT {
                    return Err(format!("a queue (limit) of {limit} packets is not 1 to {MAX_NETEM_LIMIT}"));
                }
                rate.map_or(Ok(()), rate_ok)
            }
        }
    }

    /// The qdisc as tc's arguments after `root`: "tbf rate 10mbit burst
    /// 15140b limit 77640b", "netem delay 40ms 5ms loss 1.5% rate 10mbit".
    pub fn tc_args(&self) -> String {
        match self {
            Shape::Tbf { rate, burst, limit } => {
                format!(
                    "tbf rate {} burst {} limit {}",
                    rate_text(*rate),
                    size_text(*burst),
                    size_text(*limit)
                )
            }
            Shape::Netem { delay, jitter, loss, duplicate, corrupt, reorder, limit, rate } => {
                let mut args = String::from("netem");
                if *delay > 0 {
                    args.push_str(&format!(" delay {}", time_text(*delay)));
                    if *jitter > 0 {
                        args.push_str(&format!(" {}", time_text(*jitter)));
                    }
                }
                for (word, share) in
                    [("loss", loss), ("duplicate", duplicate), ("corrupt", corrupt), ("reorder", reorder)]
                {
                    if !share.is_zero() {
                        args.push_str(&format!(" {word} {share}"));
                    }
                }
                if let Some(rate) = rate {
                    args.push_str(&format!(" rate {}", rate_text(*rate)));
                }
                if *limit != NETEM_LIMIT {
                    args.push_str(&format!(" limit {limit}"));
                }
                args
            }
        }
    }

    /// In a few words, for a graph's edge: "40ms 10mbit 1.5% loss".
    pub fn summary(&self) -> String {
        match self {
            Shape::Tbf { rate, .. } => rate_text(*rate),
            Shape::Netem { delay, jitter, loss, duplicate, corrupt, reorder, rate, .. } => {
                let mut words = Vec::new();
                if *delay > 0 {
                    words.push(if *jitter > 0 {
                        format!("{}±{}", time_text(*delay), time_text(*jitter))
                    } else {
                        time_text(*delay)
                    });
                }
                if let Some(rate) = rate {
                    words.push(rate_text(*rate));
                }
                for (word, share) in
                    [("loss", loss), ("duplicate", duplicate), ("corrupt", corrupt), ("reorder", reorder)]
                {
                    if !share.is_zero() {
                        words.push(format!("{share} {word}"));
                    }
                }
                if words.is_empty() { "netem".to_string() } else { words.join(" ") }
            }
        }
    }

    /// The parameters by name, as tc writes them, for `show --json`.
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        match self {
            Shape::Tbf { rate, burst, limit } => {
                vec![("rate", rate_text(*rate)), ("burst", size_text(*burst)), ("limit", size_text(*limit))]
            }
            Shape::Netem { delay, jitter, loss, duplicate, corrupt, reorder, limit, rate } => {
                let mut list = vec![("delay", time_text(*delay)), ("jitter", time_text(*jitter))];
                for (word, share) in
                    [("loss", loss), ("duplicate", duplicate), ("corrupt", corrupt), ("reorder", reorder)]
                {
                    list.push((word, share.to_string()));
                }
                list.push(("limit", limit.to_string()));
                if let Some(rate) = rate {
                    list.push(("rate", rate_text(*rate)));
                }
                list
            }
        }
    }

    /// The rate in bits per second, if the shape limits it.
    pub fn rate(&self) -> Option<u64> {
        match self {
            Shape::Tbf { rate, .. } => Some(*rate),
            Shape::Netem { rate, .. } => *rate,
        }
    }
}

/// tbf's queue in bytes for a rate (bits per second), a burst and the
/// longest a packet may wait, computed as tc computes it from `latency`.
pub fn tbf_limit(rate: u64, burst: u32, latency_us: u32) -> u32 {
    let bytes_per_second = (rate / 8) as f64;
    let limit = bytes_per_second * f64::from(latency_us) / 1e6 + f64::from(burst);
    limit.min(f64::from(u32::MAX)) as u32
}

/// tbf's burst when none is given: 4 ms at the rate, at least ten frames.
pub fn tbf_default_burst(rate: u64) -> u32 {
    let four_ms = rate / 8 / 250;
    u32::try_from(four_ms).unwrap_or(u32::MAX).max(TBF_MIN_BURST)
}

// ---- Units, as tc writes them ----

/// Rate units as tc reads them (case does not matter): bit and its SI and
/// IEC multiples, and bytes per second (Bps, KBps, ...: B is a byte).
const RATE_UNITS: &[(&str, u64)] = &[
    ("bit", 1),
    ("kbit", 1_000),
    ("mbit", 1_000_000),
    ("gbit", 1_000_000_000),
    ("tbit", 1_000_000_000_000),
    ("kibit", 1 << 10),
    ("mibit", 1 << 20),
    ("gibit", 1 << 30),
    ("tibit", 1 << 40),
    ("bps", 8),
    ("kbps", 8_000),
    ("mbps", 8_000_000),
    ("gbps", 8_000_000_000),
    ("tbps", 8_000_000_000_000),
    ("kibps", 8 << 10),
    ("mibps", 8 << 20),
    ("gibps", 8 << 30),
    ("tibps", 8 << 40),
];

const TIME_UNITS: &[(&str, u64)] = &[
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("secs", 1_000_000_000),
    ("ms", 1_000_000),
    ("msec", 1_000_000),
    ("msecs", 1_000_000),
    ("us", 1_000),
    ("usec", 1_000),
    ("usecs", 1_000),
    ("ns", 1),
    ("nsec", 1),
    ("nsecs", 1),
];

const SIZE_UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("k", 1 << 10),
    ("kb", 1 << 10),
    ("m", 1 << 20),
    ("mb", 1 << 20),
    ("g", 1 << 30),
    ("gb", 1 << 30),
    ("kbit", 1 << 7),
    ("mbit", 1 << 17),
    ("gbit", 1 << 27),
];

/// "40ms" -> (40.0, "ms"): the number and what follows it.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    let number: f64 = text[..end].parse().ok()?;
    number.is_finite().then_some((number, text[end..].trim()))
}

fn unit_of(units: &[(&str, u64)], unit: &str) -> Option<u64> {
    units.iter().find(|(name, _)| name.eq_ignore_ascii_case(unit)).map(|(_, scale)| *scale)
}

fn names(units: &[(&str, u64)]) -> String {
    units.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

/// A rate such as "10mbit" or "1.5gbit", in bits per second.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let unknown = || {
        format!(
            "'{text}' is not a rate; write it as tc does, a number and a unit: 10mbit, 512kbit, 1gbit \
             (units: {})",
            names(RATE_UNITS)
        )
    };
    let (number, unit) = split_number(text).ok_or_else(unknown)?;
    if unit.is_empty() {
        return Err(format!(
            "the rate '{text}' has no unit; write it as tc does: {text}mbit, {text}kbit, ..."
        ));
    }
    let scale = unit_of(RATE_UNITS, unit).ok_or_else(unknown)?;
    if number < 0.0 {
        return Err(format!("a rate cannot be negative ('{text}')"));
    }
    let bits = (number * scale as f64).round();
    if bits > MAX_RATE as f64 {
        return Err(format!("a rate of '{text}' is more than 1tbit"));
    }
    if bits < 8.0 {
        return Err(format!(
            "a rate of '{text}' is less than a byte per second; leave rate out for no limit"
        ));
    }
    Ok(bits as u64)
}

/// A time such as "40ms" or "1.5s", in nanoseconds.
pub fn parse_time(what: &str, text: &str) -> Result<u64, String> {
    let unknown = || {
        format!(
            "'{text}' is not a {what}; write it as tc does, a number and a unit: 40ms, 500us, 1s \
             (units: s, ms, us, ns)"
        )
    };
    let (number, unit) = split_number(text).ok_or_else(unknown)?;
    if unit.is_empty() {
        return Err(format!(
            "the {what} '{text}' has no unit; write it as tc does: \"{text}ms\", \"{text}us\", ..."
        ));
    }
    let scale = unit_of(TIME_UNITS, unit).ok_or_else(unknown)?;
    if number < 0.0 {
        return Err(format!("a {what} cannot be negative ('{text}')"));
    }
    let ns = (number * scale as f64).round();
    if ns > MAX_DELAY as f64 {
        return Err(format!("a {what} of '{text}' is more than 60s"));
    }
    Ok(ns as u64)
}

/// A size such as "32kb", "15140b" or "64kbit", in bytes (a bare number is bytes).
pub fn parse_size(what: &str, text: &str) -> Result<u32, String> {
    let unknown = || {
        format!(
            "'{text}' is not a {what}; write it as tc does: 15140b, 32kb, 1mb (units: {})",
            names(SIZE_UNITS)
        )
    };
    let (number, unit) = split_number(text).ok_or_else(unknown)?;
    let scale = if unit.is_empty() { 1 } else { unit_of(SIZE_UNITS, unit).ok_or_else(unknown)? };
    if number < 0.0 {
        return Err(format!("a {what} cannot be negative ('{text}')"));
    }
    let bytes = (number * scale as f64).round();
    if bytes < 1.0 || bytes > f64::from(u32::MAX) {
        return Err(format!("a {what} of '{text}' is not 1 byte to 4gb"));
    }
    Ok(bytes as u32)
}

/// A share of packets: a number of percent, or text such as "1.5%".
pub fn parse_percent(what: &str, number: f64) -> Result<Percent, String> {
    if !number.is_finite() {
        return Err(format!("{what} must be a number of percent, not {number}"));
    }
    if number < 0.0 {
        return Err(format!("{what} cannot be negative ({number}%)"));
    }
    if number > 100.0 {
        return Err(format!("{what} {number}% is more than 100%"));
    }
    Ok(Percent((number * 1e6).round() as u32))
}

/// The same, from text: "1.5%" or "1.5".
pub fn parse_percent_text(what: &str, text: &str) -> Result<Percent, String> {
    let bad = || format!("{what} '{text}' is not a share of packets; write it as 1.5 or \"1.5%\"");
    let (number, unit) = split_number(text).ok_or_else(bad)?;
    if !(unit.is_empty() || unit == "%") {
        return Err(bad());
    }
    parse_percent(what, number)
}

/// Bits per second in the largest unit that writes them exactly: "10mbit".
pub fn rate_text(bits: u64) -> String {
    exact_text(
        bits,
        &[("tbit", 1_000_000_000_000), ("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1_000)],
        "bit",
    )
}

/// Nanoseconds in the largest unit that writes them exactly: "40ms".
pub fn time_text(ns: u64) -> String {
    exact_text(ns, &[("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)], "ns")
}

/// Bytes in the largest unit that writes them exactly: "32kb", "15140b".
pub fn size_text(bytes: u32) -> String {
    exact_text(u64::from(bytes), &[("mb", 1 << 20), ("kb", 1 << 10)], "b")
}

fn exact_text(value: u64, units: &[(&str, u64)], base: &str) -> String {
    if value == 0 {
        return format!("0{base}");
    }
    for (name, scale) in units {
        if value.is_multiple_of(*scale) {
            return format!("{}{name}", value / scale);
        }
    }
    format!("{value}{base}")
}

// ---- The root qdisc a link had, to put back ----

/// The root qdisc of a link as it was before the lab changed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootQdisc {
    /// The kernel's own (handle 0:, such as noqueue, pfifo_fast, mq):
    /// deleting the root qdisc makes the kernel attach it again.
    Default { kind: String },
    /// One that someone set: its kind, handle and options, as the kernel
    /// reported them, put back as they were.
    Set {
        kind: String,
        handle: u32,
        #[serde(with = "hex")]
        options: Vec<u8>,
    },
}

/// The kinds netscript puts back from what the kernel reported: qdiscs
/// without classes, whose options the kernel takes back as it dumps them.
/// Anything else (htb, prio, a tree of qdiscs) is not replaced at all.
pub const RESTORABLE: &[&str] = &[
    "tbf",
    "netem",
    "pfifo",
    "bfifo",
    "pfifo_head_drop",
    "pfifo_fast",
    "fq_codel",
    "fq",
    "codel",
    "sfq",
    "pie",
    "fq_pie",
    "cake",
];

/// Options longer than this are not a classless qdisc's.
const MAX_OPTIONS: usize = 16 * 1024;

impl RootQdisc {
    /// Checks a prior root qdisc read back from a ledger: only kinds and
    /// options netscript would have recorded itself.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            RootQdisc::Default { kind } => check_kind(kind),
            RootQdisc::Set { kind, handle, options } => {
                check_kind(kind)?;
                if !RESTORABLE.contains(&kind.as_str()) {
                    return Err(format!("netscript does not put back a '{kind}' qdisc"));
                }
                let (major, minor) = (handle >> 16, handle & 0xffff);
                if major == 0 || major == 0xffff || minor != 0 {
                    return Err(format!("{:x}:{:x} is not a root qdisc's handle", major, minor));
                }
                if options.len() > MAX_OPTIONS {
                    return Err(format!("the options of the earlier '{kind}' qdisc are too long"));
                }
                match kind.as_str() {
                    "pfifo" | "bfifo" | "pfifo_head_drop" if options.len() != 4 => {
                        Err(format!("the options of the earlier '{kind}' qdisc are not a fifo's"))
                    }
                    "pfifo" | "bfifo" | "pfifo_head_drop" => Ok(()),
                    _ => super::tc_options::check_options(kind, options),
                }
            }
        }
    }

    /// What follows `root` in the tc command that puts it back; None for
    /// the kernel's default, which comes back when the root qdisc goes.
    pub fn tc_args(&self) -> Option<String> {
        let RootQdisc::Set { kind, handle, options } = self else { return None };
        let handle = handle_text(*handle);
        let limit = (options.len() == 4)
            .then(|| u32::from_ne_bytes([options[0], options[1], options[2], options[3]]));
        Some(match (super::tc_options::decode(kind, options), kind.as_str(), limit) {
            (Some(shape), ..) => format!("handle {handle} {}", shape.tc_args()),
            (None, "pfifo" | "pfifo_head_drop", Some(limit)) => {
                format!("handle {handle} {kind} limit {limit}")
            }
            (None, "bfifo", Some(limit)) => format!("handle {handle} {kind} limit {limit}b"),
            _ => format!("handle {handle} {kind}  # with the options it had, which tc is not given here"),
        })
    }

    /// "tbf 1:" or "noqueue (the kernel's default)", for messages.
    pub fn describe(&self) -> String {
        match self {
            RootQdisc::Default { kind } => format!("{kind} (the kernel's default)"),
            RootQdisc::Set { kind, handle, .. } => format!("{kind} {}", handle_text(*handle)),
        }
    }
}

/// A handle as tc writes it: "1:", "8001:".
pub fn handle_text(handle: u32) -> String {
    format!("{:x}:", handle >> 16)
}

fn check_kind(kind: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    if kind.is_empty() || kind.len() > 15 || !kind.chars().all(plain) {
        return Err(format!("'{}' is not a kind of qdisc", kind.escape_debug()));
    }
    Ok(())
}

/// Bytes as lowercase hex in the ledger.
mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(serde::de::Error::custom("options are not hex"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_tc_writes_them() {
        assert_eq!(parse_rate("10mbit"), Ok(10_000_000));
        assert_eq!(parse_rate("10Mbit"), Ok(10_000_000));
        assert_eq!(parse_rate("1.5gbit"), Ok(1_500_000_000));
        assert_eq!(parse_rate("512kbit"), Ok(512_000));
        assert_eq!(parse_rate("1mibit"), Ok(1 << 20));
        // B is a byte, as in tc: 1mbps is eight megabits.
        assert_eq!(parse_rate("1mbps"), Ok(8_000_000));
        assert_eq!(rate_text(10_000_000), "10mbit");
        assert_eq!(rate_text(1_500_000), "1500kbit");
        assert_eq!(rate_text(1_048_576), "1048576bit");
        assert_eq!(rate_text(2_000_000_000_000), "2tbit");
    }

    #[test]
    fn bad_rates_say_why() {
        assert!(parse_rate("-10mbit").unwrap_err().contains("cannot be negative"));
        assert!(parse_rate("10").unwrap_err().contains("has no unit"));
        assert!(parse_rate("fast").unwrap_err().contains("is not a rate"));
        assert!(parse_rate("10mb").unwrap_err().contains("units: bit, kbit"));
        assert!(parse_rate("0mbit").unwrap_err().contains("less than a byte per second"));
        assert!(parse_rate("2tbit").unwrap_err().contains("more than 1tbit"));
    }

    #[test]
    fn times_as_tc_writes_them() {
        assert_eq!(parse_time("delay", "40ms"), Ok(40_000_000));
        assert_eq!(parse_time("delay", "1.5ms"), Ok(1_500_000));
        assert_eq!(parse_time("delay", "500us"), Ok(500_000));
        assert_eq!(parse_time("delay", "2s"), Ok(2_000_000_000));
        assert_eq!(parse_time("delay", "0ms"), Ok(0));
        assert_eq!(time_text(40_000_000), "40ms");
        assert_eq!(time_text(1_500_000), "1500us");
        assert_eq!(time_text(7), "7ns");
        assert_eq!(time_text(0), "0ns");
        assert!(parse_time("delay", "-5ms").unwrap_err().contains("cannot be negative"));
        assert!(parse_time("delay", "40").unwrap_err().contains("has no unit"));
        assert!(parse_time("delay", "40 parsecs").unwrap_err().contains("is not a delay"));
        assert!(parse_time("delay", "2min").unwrap_err().contains("units: s, ms, us, ns"));
    }

    #[test]
    fn sizes_and_shares() {
        assert_eq!(parse_size("burst", "32kb"), Ok(32_768));
        assert_eq!(parse_size("burst", "15140"), Ok(15_140));
        assert_eq!(parse_size("burst", "64kbit"), Ok(8_192));
        assert_eq!(size_text(32_768), "32kb");
        assert_eq!(size_text(15_140), "15140b");
        assert_eq!(parse_percent("loss", 1.5), Ok(Percent(1_500_000)));
        assert_eq!(parse_percent_text("loss", "0.1%"), Ok(Percent(100_000)));
        assert!(parse_percent("loss", 100.5).unwrap_err().contains("more than 100%"));
        assert!(parse_percent("loss", -1.0).unwrap_err().contains("cannot be negative"));
        assert_eq!(Percent(1_500_000).to_string(), "1.5%");
        assert_eq!(Percent(100_000_000).to_string(), "100%");
        assert_eq!(Percent(1).to_string(), "0.000001%");
    }

    #[test]
    fn probabilities_are_tcs() {
        // tc: rint(strtod("1.5") / 100 * UINT32_MAX).
        assert_eq!(Percent(1_500_000).probability(), 64_424_509);
        assert_eq!(Percent::FULL.probability(), u32::MAX);
        assert_eq!(Percent(20_000_000).probability(), 858_993_459);
        assert_eq!(Percent::from_probability(64_424_509), Percent(1_500_000));
        assert_eq!(Percent(0).probability(), 0);
    }

    #[test]
    fn tbf_limits_follow_tcs_latency() {
        // 10mbit, 15140 bytes of burst, 50 ms: 1250000 * 0.05 + 15140.
        assert_eq!(tbf_limit(10_000_000, 15_140, 50_000), 77_640);
        assert_eq!(tbf_default_burst(10_000_000), TBF_MIN_BURST);
        assert_eq!(tbf_default_burst(1_000_000_000), 500_000);
    }

    fn netem() -> Shape {
        Shape::Netem {
            delay: 40_000_000,
            jitter: 5_000_000,
            loss: Percent(1_500_000),
            duplicate: Percent(100_000),
            corrupt: Percent(100_000),
            reorder: Percent(2_000_000),
            limit: 1000,
            rate: Some(10_000_000),
        }
    }

    #[test]
    fn shapes_as_tc_arguments_and_in_words() {
        let tbf = Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 };
        assert_eq!(tbf.tc_args(), "tbf rate 10mbit burst 15140b limit 77640b");
        assert_eq!(tbf.summary(), "10mbit");
        assert_eq!(
            netem().tc_args(),
            "netem delay 40ms 5ms loss 1.5% duplicate 0.1% corrupt 0.1% reorder 2% rate 10mbit"
        );
        assert_eq!(netem().summary(), "40ms±5ms 10mbit 1.5% loss 0.1% duplicate 0.1% corrupt 2% reorder");
        let plain = Shape::Netem {
            delay: 40_000_000,
            jitter: 0,
            loss: Percent(1_500_000),
            duplicate: Percent(0),
            corrupt: Percent(0),
            reorder: Percent(0),
            limit: 500,
            rate: Some(10_000_000),
        };
        assert_eq!(plain.summary(), "40ms 10mbit 1.5% loss");
        assert_eq!(plain.tc_args(), "netem delay 40ms loss 1.5% rate 10mbit limit 500");
    }

    #[test]
    fn shapes_are_checked() {
        assert!(netem().validate().is_ok());
        let Shape::Netem { loss, .. } = &mut netem() else { unreachable!() };
        assert_eq!(*loss, Percent(1_500_000));
        let mut bad = netem();
        if let Shape::Netem { delay, .. } = &mut bad {
            *delay = 0;
        }
        assert!(bad.validate().unwrap_err().contains("jitter varies the delay"));
        let mut bad = netem();
        if let Shape::Netem { loss, .. } = &mut bad {
            *loss = Percent(100_000_001);
        }
        assert!(bad.validate().unwrap_err().contains("more than 100%"));
        assert!(Shape::Tbf { rate: 4, burst: 1, limit: 1 }.validate().is_err());
        assert!(Shape::Tbf { rate: 8000, burst: 0, limit: 1 }.validate().is_err());
    }

    #[test]
    fn prior_qdiscs_from_a_ledger_are_checked() {
        let fifo = RootQdisc::Set { kind: "pfifo".into(), handle: 0x0001_0000, options: vec![100, 0, 0, 0] };
        assert!(fifo.validate().is_ok());
        let json = serde_json::to_string(&fifo).unwrap();
        assert_eq!(json, r#"{"set":{"kind":"pfifo","handle":65536,"options":"64000000"}}"#);
        assert_eq!(serde_json::from_str::<RootQdisc>(&json).unwrap(), fifo);
        let htb = RootQdisc::Set { kind: "htb".into(), handle: 0x0001_0000, options: vec![] };
        assert!(htb.validate().unwrap_err().contains("does not put back a 'htb'"));
        let bad = RootQdisc::Set { kind: "pfifo".into(), handle: 0x0001_0001, options: vec![0; 4] };
        assert!(bad.validate().unwrap_err().contains("not a root qdisc's handle"));
        assert!(RootQdisc::Default { kind: "../x".into() }.validate().is_err());
        assert!(
            serde_json::from_str::<RootQdisc>(r#"{"set":{"kind":"pfifo","handle":65536,"options":"zz"}}"#)
                .is_err()
        );
    }
}
