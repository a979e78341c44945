//! The options of tbf and netem as the kernel takes and reports them: the
//! payload of TCA_OPTIONS in a traffic-control message. netlink-packet-route
//! has no typed form for either, so they are laid out here, field by field,
//! in the host's byte order, as linux/pkt_sched.h declares them.
//!
//! tbf's options are attributes: its parameters (struct tc_tbf_qopt), the
//! burst in bytes and, for rates from 2^32 bytes per second, the rate in 64
//! bits. netem's are a struct tc_netem_qopt followed by attributes.

use super::shape::{Percent, Shape};

/// The kernel counts qdisc time in ticks of 64 ns (PSCHED_SHIFT).
const NS_PER_TICK: u64 = 64;
/// TC_LINKLAYER_ETHERNET: rates count whole Ethernet frames.
const LINKLAYER_ETHERNET: u8 = 1;

const TCA_TBF_PARMS: u16 = 1;
const TCA_TBF_RATE64: u16 = 4;
const TCA_TBF_BURST: u16 = 6;

const TCA_NETEM_CORR: u16 = 1;
const TCA_NETEM_REORDER: u16 = 3;
const TCA_NETEM_CORRUPT: u16 = 4;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;

/// sizeof(struct tc_netem_qopt): latency, limit, loss, gap, duplicate, jitter.
const NETEM_QOPT_LEN: usize = 24;
/// sizeof(struct tc_ratespec).
const RATESPEC_LEN: usize = 12;

/// One netlink attribute: a 4-byte header (length, type), the value, and
/// padding to 4 bytes.
fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let len = 4 + value.len();
    let mut out = Vec::with_capacity((len + 3) & !3);
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize((len + 3) & !3, 0);
    out
}

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// Bytes per second, as tc makes them from bits: cut, not rounded.
fn bytes_per_second(bits: u64) -> u64 {
    bits / 8
}

/// (rate field, 64-bit rate to send too): a rate of 2^32 bytes per second
/// or more does not fit the 32-bit field, which then holds ~0.
fn split_rate(bytes: u64) -> (u32, Option<u64>) {
    match u32::try_from(bytes) {
        Ok(rate) if rate != u32::MAX => (rate, None),
        _ => (u32::MAX, Some(bytes)),
    }
}

/// The TCA_OPTIONS payload that makes the kernel build `shape`.
pub fn encode(shape: &Shape) -> Vec<u8> {
    match shape {
        Shape::Tbf { rate, burst, limit } => {
            let bytes = bytes_per_second(*rate);
            let (rate32, rate64) = split_rate(bytes);
            // The time to send the burst at the rate, in ticks, as tc works it
            // out; the kernel takes the burst itself (TCA_TBF_BURST) over it.
            let usec = (1e6 * f64::from(*burst) / bytes as f64) as u32;
            let buffer = (f64::from(usec) * 1000.0 / NS_PER_TICK as f64) as u32;
            let mut parms = Vec::with_capacity(2 * RATESPEC_LEN + 12);
            parms.extend(ratespec(rate32));
            parms.extend([0u8; RATESPEC_LEN]);
            parms.extend(words(&[*limit, buffer, 0]));
            let mut out = attr(TCA_TBF_PARMS, &parms);
            out.extend(attr(TCA_TBF_BURST, &burst.to_ne_bytes()));
            if let Some(rate64) = rate64 {
                out.extend(attr(TCA_TBF_RATE64, &rate64.to_ne_bytes()));
            }
            out
        }
        Shape::Netem { delay, jitter, loss, duplicate, corrupt, reorder, limit, rate } => {
            let ticks = |ns: u64| u32::try_from(ns / NS_PER_TICK).unwrap_or(u32::MAX);
            // A gap of 1 with a reorder share: any packet may jump the queue.
            let gap = u32::from(!reorder.is_zero());
            let mut out = words(&[
                ticks(*delay),
                *limit,
                loss.probability(),
                gap,
                duplicate.probability(),
                ticks(*jitter),
            ]);
            // Every attribute, zero ones too: on a netem qdisc already there,
            // the kernel keeps what a message leaves out.
            out.extend(attr(TCA_NETEM_CORR, &words(&[0, 0, 0])));
            out.extend(attr(TCA_NETEM_REORDER, &words(&[reorder.probability(), 0])));
            out.extend(attr(TCA_NETEM_CORRUPT, &words(&[corrupt.probability(), 0])));
            let bytes = rate.map_or(0, bytes_per_second);
            let (rate32, rate64) = split_rate(bytes);
            out.extend(attr(TCA_NETEM_RATE, &words(&[rate32, 0, 0, 0])));
            if let Some(rate64) = rate64 {
                out.extend(attr(TCA_NETEM_RATE64, &rate64.to_ne_bytes()));
            }
            out.extend(attr(TCA_NETEM_LATENCY64, &(*delay as i64).to_ne_bytes()));
            out.extend(attr(TCA_NETEM_JITTER64, &(*jitter as i64).to_ne_bytes()));
            out
        }
    }
}

/// A struct tc_ratespec for a rate in bytes per second, on Ethernet.
fn ratespec(rate: u32) -> Vec<u8> {
    let mut spec = vec![0u8; RATESPEC_LEN];
    spec[1] = LINKLAYER_ETHERNET;
    spec[8..12].copy_from_slice(&rate.to_ne_bytes());
    spec
}

/// The attributes in `bytes`, as (type, value); None when they do not
/// parse (a length that runs past the end).
fn attrs(bytes: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let len = usize::from(u16::from_ne_bytes([bytes[at], bytes[at + 1]]));
        let kind = u16::from_ne_bytes([bytes[at + 2], bytes[at + 3]]) & 0x3fff;
        if len < 4 || at + len > bytes.len() {
            return None;
        }
        found.push((kind, &bytes[at + 4..at + len]));
        at += (len + 3) & !3;
    }
    (at >= bytes.len() || bytes[at..].iter().all(|b| *b == 0)).then_some(found)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_of(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// The shape a root qdisc of kind `kind` with these options gives, for the
/// kinds netscript makes; None for others, or options that do not parse.
pub fn decode(kind: &str, options: &[u8]) -> Option<Shape> {
    match kind {
        "tbf" => {
            let found = attrs(options)?;
            let parms = found.iter().find(|(k, _)| *k == TCA_TBF_PARMS)?.1;
            let mut rate = u64::from(u32_at(parms, 8)?);
            let limit = u32_at(parms, 2 * RATESPEC_LEN)?;
            let buffer = u32_at(parms, 2 * RATESPEC_LEN + 4)?;
            if let Some((_, value)) = found.iter().find(|(k, _)| *k == TCA_TBF_RATE64) {
                rate = u64_of(value)?;
            }
            // The burst is reported as time at the rate: back to bytes.
            let burst = (rate as f64 * (u64::from(buffer) * NS_PER_TICK) as f64 / 1e9).round();
            Some(Shape::Tbf { rate: rate * 8, burst: burst.min(f64::from(u32::MAX)) as u32, limit })
        }
        "netem" => {
            let qopt = options.get(..NETEM_QOPT_LEN)?;
            let field = |i: usize| u32_at(qopt, 4 * i);
            let mut delay = u64::from(field(0)?) * NS_PER_TICK;
            let mut jitter = u64::from(field(5)?) * NS_PER_TICK;
            let (limit, loss, duplicate) = (field(1)?, field(2)?, field(4)?);
            let (mut corrupt, mut reorder, mut rate) = (0, 0, 0u64);
            for (kind, value) in attrs(&options[NETEM_QOPT_LEN..])? {
                match kind {
                    TCA_NETEM_REORDER => reorder = u32_at(value, 0)?,
                    TCA_NETEM_CORRUPT => corrupt = u32_at(value, 0)?,
                    TCA_NETEM_RATE => rate = rate.max(u64::from(u32_at(value, 0)?)),
                    TCA_NETEM_RATE64 => rate = u64_of(value)?,
                    TCA_NETEM_LATENCY64 => delay = u64_of(value)?,
                    TCA_NETEM_JITTER64 => jitter = u64_of(value)?,
                    _ => {}
                }
            }
            if field(3)? == 0 {
                // No gap: nothing is ever sent out of order.
                reorder = 0;
            }
            Some(Shape::Netem {
                delay,
                jitter,
                loss: Percent::from_probability(loss),
                duplicate: Percent::from_probability(duplicate),
                corrupt: Percent::from_probability(corrupt),
                reorder: Percent::from_probability(reorder),
                limit,
                rate: (rate > 0).then_some(rate * 8),
            })
        }
        _ => None,
    }
}

/// Whether a root qdisc with these options is `shape` as the kernel keeps
/// it (tbf's burst comes back as a time, rounded: it is not compared).
pub fn is_shape(kind: &str, options: &[u8], shape: &Shape) -> bool {
    let (Some(found), Some(asked)) = (decode(kind, options), decode(shape.kind(), &encode(shape))) else {
        return false;
    };
    match (found, asked) {
        (Shape::Tbf { rate, limit, .. }, Shape::Tbf { rate: r, limit: l, .. }) => rate == r && limit == l,
        (found, asked) => found == asked,
    }
}

/// Checks that options read back from a ledger are laid out as the kernel
/// reports them for `kind` (attributes, after a struct for netem).
pub fn check_options(kind: &str, options: &[u8]) -> Result<(), String> {
    let well_formed = match kind {
        "netem" => options.len() >= NETEM_QOPT_LEN && attrs(&options[NETEM_QOPT_LEN..]).is_some(),
        "tbf" => decode(kind, options).is_some(),
        _ => attrs(options).is_some(),
    };
    if well_formed { Ok(()) } else { Err(format!("the options of the earlier '{kind}' qdisc do not parse")) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn attributes_are_padded_to_four_bytes() {
        assert_eq!(attr(6, &[1, 2, 3, 4]).len(), 8);
        let mut expected = Vec::new();
        expected.extend(5u16.to_ne_bytes());
        expected.extend(1u16.to_ne_bytes());
        expected.extend([9, 0, 0, 0]);
        assert_eq!(attr(1, &[9]), expected);
    }

    #[test]
    fn tbf_options_are_tc_tbf_qopt_and_the_burst() {
        let shape = Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 };
        let bytes = encode(&shape);
        // PARMS: 4 + 36 bytes; BURST: 4 + 4.
        assert_eq!(bytes.len(), 40 + 8);
        assert_eq!(u16::from_ne_bytes([bytes[0], bytes[1]]), 40);
        assert_eq!(u16::from_ne_bytes([bytes[2], bytes[3]]), TCA_TBF_PARMS);
        let parms = &bytes[4..40];
        assert_eq!(parms[1], LINKLAYER_ETHERNET);
        assert_eq!(u32_at(parms, 8), Some(1_250_000));
        assert_eq!(u32_at(parms, 24), Some(77_640));
        // 15140 bytes at 1250000 bytes/s: 12112 us, 189250 ticks of 64 ns.
        assert_eq!(u32_at(parms, 28), Some(189_250));
        assert_eq!(u16::from_ne_bytes([bytes[42], bytes[43]]), TCA_TBF_BURST);
        assert_eq!(u32_at(&bytes, 44), Some(15_140));
        assert_eq!(decode("tbf", &bytes), Some(shape.clone()));
        assert!(is_shape("tbf", &bytes, &shape));
    }

    #[test]
    fn fast_rates_take_64_bits() {
        let shape = Shape::Tbf { rate: 400_000_000_000, burst: 500_000, limit: 1 << 30 };
        let bytes = encode(&shape);
        assert_eq!(u32_at(&bytes[4..], 8), Some(u32::MAX));
        let rate64 = attrs(&bytes).unwrap().into_iter().find(|(k, _)| *k == TCA_TBF_RATE64).unwrap().1;
        assert_eq!(u64_of(rate64), Some(50_000_000_000));
        assert!(matches!(decode("tbf", &bytes), Some(Shape::Tbf { rate: 400_000_000_000, .. })));
    }

    #[test]
    fn netem_options_are_tc_netem_qopt_then_attributes() {
        let bytes = encode(&netem());
        let qopt: Vec<u32> = (0..6).map(|i| u32_at(&bytes, 4 * i).unwrap()).collect();
        // latency in ticks, limit, loss, gap, duplicate, jitter in ticks.
        assert_eq!(qopt, [625_000, 1000, 64_424_509, 1, 4_294_967, 78_125]);
        let found = attrs(&bytes[NETEM_QOPT_LEN..]).unwrap();
        let kinds: Vec<u16> = found.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                TCA_NETEM_CORR,
                TCA_NETEM_REORDER,
                TCA_NETEM_CORRUPT,
                TCA_NETEM_RATE,
                TCA_NETEM_LATENCY64,
                TCA_NETEM_JITTER64
            ]
        );
        assert_eq!(u32_at(found[3].1, 0), Some(1_250_000));
        assert_eq!(u64_of(found[4].1), Some(40_000_000));
        assert_eq!(decode("netem", &bytes), Some(netem()));
        assert!(is_shape("netem", &bytes, &netem()));
        let mut other = netem();
        if let Shape::Netem { loss, .. } = &mut other {
            *loss = Percent(2_000_000);
        }
        assert!(!is_shape("netem", &bytes, &other));
    }

    #[test]
    fn options_that_do_not_parse_are_refused() {
        assert!(check_options("netem", &[0; 10]).is_err());
        assert!(check_options("fq_codel", &[200, 0, 1, 0]).is_err());
        assert!(check_options("fq_codel", &attr(1, &[0; 4])).is_ok());
        assert!(check_options("tbf", &encode(&Shape::Tbf { rate: 8000, burst: 1, limit: 1 })).is_ok());
        assert_eq!(decode("pfifo", &[1, 0, 0, 0]), None);
    }
}
