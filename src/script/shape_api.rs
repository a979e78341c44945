//! Shaping links from a script: `link_shape(dev, #{rate: "10mbit", delay:
//! "40ms", loss: 1.5})` in the host or `ns.link_shape(...)` in a namespace,
//! `link_unshape(dev)`, `link_qdisc(dev)` to look, and the throughput probe
//! `a.throughput(b, addr)` that measures what a path carries.

use std::net::SocketAddr;
use std::time::Duration;

use rhai::{Dynamic, Engine, FLOAT, INT, Map};

use super::api::{Fallible, Shared, apply, in_any_netns};
use super::cidr::parse_ip;
use super::convert::to_netns;
use crate::kernel::qdisc::root_of;
use crate::kernel::{QdiscInfo, ThroughputOptions};
use crate::ops::shape::{
    NETEM_LIMIT, Percent, TBF_LATENCY_US, handle_text, parse_percent, parse_percent_text, parse_rate,
    parse_size, parse_time, tbf_default_burst, tbf_limit,
};
use crate::ops::{Netns, Op, Shape};

/// The options of `link_shape`, in the order the README lists them.
const OPTIONS: &str = "rate, delay, jitter, loss, duplicate, corrupt, reorder, limit (netem's queue, in packets), \
                       burst and latency (tbf's, for a rate alone), qdisc (\"tbf\" or \"netem\")";

/// The throughput probe's sink listens here unless the target names a port.
const THROUGHPUT_PORT: u16 = 7778;

pub fn register(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "link_shape", |l, ns, dev: &str, options: Map| {
        let shape =
            to_shape(options).map_err(|why| format!("cannot shape link '{dev}'{}: {why}", ns.location()))?;
        apply(l, Op::LinkShape { ns, dev: dev.into(), shape })
    });
    in_any_netns!(engine, lab, "link_unshape", |l, ns, dev: &str| {
        apply(l, Op::LinkUnshape { ns, dev: dev.into() })
    });
    in_any_netns!(engine, lab, "link_qdisc", |l, ns, dev: &str| -> Fallible<Map> {
        let lab = l.borrow();
        let net = lab.net();
        let index = net.link_index(&ns, dev).map_err(|err| err.to_string())?;
        let qdiscs =
            net.qdiscs(&ns).map_err(|err| format!("cannot read the qdiscs{}: {err}", ns.location()))?;
        Ok(qdisc_map(root_of(&qdiscs, index)))
    });
    in_any_netns!(engine, lab, "throughput", |l, ns, sink: Dynamic, target: &str| -> Fallible<Map> {
        throughput(l, ns, &sink, target, Map::new())
    });
    in_any_netns!(engine, lab, "throughput", |l,
                                              ns,
                                              sink: Dynamic,
                                              target: &str,
                                              options: Map|
     -> Fallible<Map> {
        throughput(l, ns, &sink, target, options)
    });
}

/// A shape as a script writes it. A rate alone is tbf; any of delay,
/// jitter, loss, duplicate, corrupt, reorder (other than 0) or limit makes
/// it netem, which then takes the rate too; `qdisc` says which outright.
pub fn to_shape(options: Map) -> Result<Shape, String> {
    let mut rate = None;
    let (mut delay, mut jitter) = (0, 0);
    let mut shares = [Percent(0); 4];
    let (mut limit, mut burst, mut latency, mut qdisc) = (None, None, None, None);
    let mut any_netem = false;
    for (key, value) in options {
        match key.as_str() {
            "rate" => rate = Some(parse_rate(&unit_text("rate", "10mbit", &value)?)?),
            "delay" => delay = parse_time("delay", &unit_text("delay", "40ms", &value)?)?,
            "jitter" => jitter = parse_time("jitter", &unit_text("jitter", "5ms", &value)?)?,
            "loss" | "duplicate" | "corrupt" | "reorder" => {
                let at =
                    ["loss", "duplicate", "corrupt", "reorder"].iter().position(|k| *k == key).unwrap_or(0);
                shares[at] = share(&key, &value)?;
            }
            "limit" => {
                let packets =
                    value.as_int().ok().and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0).ok_or_else(
                        || format!("limit is netem's queue, a whole number of packets from 1, not {value}"),
                    )?;
                limit = Some(packets);
                any_netem = true;
            }
            "burst" => {
                burst = Some(match value.as_int() {
                    Ok(bytes) => parse_size("burst", &bytes.to_string())?,
                    Err(_) => parse_size("burst", &unit_text("burst", "32kb", &value)?)?,
                })
            }
            "latency" => {
                let ns = parse_time("latency", &unit_text("latency", "50ms", &value)?)?;
                latency = Some(u32::try_from(ns / 1000).map_err(|_| "latency is too long".to_string())?);
            }
            "qdisc" => {
                qdisc = Some(match value.clone().into_string().as_deref() {
                    Ok("tbf") => "tbf",
                    Ok("netem") => "netem",
                    _ => return Err(format!("qdisc is \"tbf\" or \"netem\", not {value}")),
                })
            }
            other => return Err(format!("unknown option '{other}'; the options are: {OPTIONS}")),
        }
    }
    let [loss, duplicate, corrupt, reorder] = shares;
    any_netem |= delay > 0 || jitter > 0 || shares.iter().any(|s| !s.is_zero());
    let netem = match qdisc {
        Some("netem") => true,
        Some(_) if any_netem => {
            return Err("tbf only limits the rate: delay, jitter, loss, duplicate, corrupt, reorder and \
                        limit need netem"
                .into());
        }
        Some(_) => false,
        None => any_netem,
    };
    let shape = if netem {
        if burst.is_some() || latency.is_some() {
            return Err("burst and latency are tbf's, for a rate alone; with netem, its queue is limit \
                        (packets)"
                .into());
        }
        Shape::Netem {
            delay,
            jitter,
            loss,
            duplicate,
            corrupt,
            reorder,
            limit: limit.unwrap_or(NETEM_LIMIT),
            rate,
        }
    } else {
        let rate = rate.ok_or_else(|| {
            format!("nothing to shape: give a rate, a delay or a loss (the options: {OPTIONS})")
        })?;
        let burst = burst.unwrap_or_else(|| tbf_default_burst(rate));
        Shape::Tbf { rate, burst, limit: tbf_limit(rate, burst, latency.unwrap_or(TBF_LATENCY_US)) }
    };
    shape.validate()?;
    Ok(shape)
}

/// A value with a unit, as text: a number alone is refused, since tc would
/// read it in a unit the script did not mean.
fn unit_text(what: &str, example: &str, value: &Dynamic) -> Result<String, String> {
    if value.is_string() {
        return Ok(value.to_string());
    }
    if value.is_int() || value.is_float() {
        return Err(format!("the {what} {value} has no unit; write it as tc does: \"{example}\""));
    }
    Err(format!("the {what} must be text like \"{example}\", not {}", value.type_name()))
}

/// A share of packets: 1.5, 20 or "1.5%".
fn share(what: &str, value: &Dynamic) -> Result<Percent, String> {
    match (value.as_int(), value.as_float()) {
        (Ok(int), _) => parse_percent(what, int as f64),
        (_, Ok(float)) => parse_percent(what, float),
        _ if value.is_string() => parse_percent_text(what, &value.to_string()),
        _ => Err(format!("{what} must be a number of percent like 1.5, not {}", value.type_name())),
    }
}

/// A link's root qdisc for scripts: #{kind, handle, default, text} and,
/// for tbf and netem, its parameters by name as tc writes them, and the
/// rate, delay, jitter and loss as numbers (bits_per_second, delay_ms,
/// jitter_ms, loss_percent).
fn qdisc_map(root: Option<&QdiscInfo>) -> Map {
    let mut map = Map::new();
    let Some(root) = root else {
        map.insert("kind".into(), "noop".into());
        map.insert("default".into(), true.into());
        return map;
    };
    map.insert("kind".into(), root.kind.clone().into());
    map.insert("handle".into(), handle_text(root.handle).into());
    map.insert("default".into(), root.is_default().into());
    map.insert("text".into(), root.text().into());
    if let Some(shape) = root.shape() {
        for (name, value) in shape.parameters() {
            map.insert(name.into(), value.into());
        }
        // And as numbers, for a script to compare with what it measures.
        let rate =
            shape.rate().map_or(Dynamic::UNIT, |bits| Dynamic::from(INT::try_from(bits).unwrap_or(INT::MAX)));
        map.insert("bits_per_second".into(), rate);
        if let Shape::Netem { delay, jitter, loss, .. } = shape {
            map.insert("delay_ms".into(), Dynamic::from(delay as FLOAT / 1e6));
            map.insert("jitter_ms".into(), Dynamic::from(jitter as FLOAT / 1e6));
            map.insert("loss_percent".into(), Dynamic::from(f64::from(loss.0) as FLOAT / 1e6));
        }
    }
    map
}

/// The throughput probe: streams from `ns` to `target` ("10.60.0.2", or
/// "10.60.0.2:port"), received by a sink in `sink`, and returns
/// #{bits_per_second, mbit, bytes, seconds, target}.
fn throughput(lab: &Shared, ns: Netns, sink: &Dynamic, target: &str, options: Map) -> Fallible<Map> {
    let place = ns.to_string();
    let fail = |why: String| format!("cannot measure the throughput to {target} from {place}: {why}");
    let sink = to_netns(sink).map_err(fail)?;
    let target: SocketAddr = match target.parse() {
        Ok(target) => target,
        Err(_) => SocketAddr::new(parse_ip(target).map_err(fail)?, THROUGHPUT_PORT),
    };
    let mut probe = ThroughputOptions::default();
    for (key, value) in options {
        match key.as_str() {
            "seconds" => probe.duration = seconds("seconds", &value, 0.1, 600.0).map_err(fail)?,
            "warmup" => probe.warmup = seconds("warmup", &value, 0.0, 60.0).map_err(fail)?,
            "timeout" => probe.timeout = seconds("timeout", &value, 0.1, 60.0).map_err(fail)?,
            other => {
                return Err(fail(format!(
                    "unknown option '{other}'; the options are: seconds, warmup, timeout"
                ))
                .into());
            }
        }
    }
    let lab = lab.borrow();
    let interrupt = lab.interrupt_flag();
    let stats =
        lab.net().throughput(&ns, &sink, target, &probe, &interrupt).map_err(|err| err.to_string())?;
    let mut map = Map::new();
    map.insert("bits_per_second".into(), Dynamic::from(stats.bits_per_second as FLOAT));
    map.insert("mbit".into(), Dynamic::from((stats.bits_per_second / 1e6) as FLOAT));
    map.insert("bytes".into(), Dynamic::from(INT::try_from(stats.bytes).unwrap_or(INT::MAX)));
    map.insert("seconds".into(), Dynamic::from(stats.seconds as FLOAT));
    map.insert("target".into(), target.to_string().into());
    Ok(map)
}

/// A number of seconds from `least` to `most`.
fn seconds(what: &str, value: &Dynamic, least: f64, most: f64) -> Result<Duration, String> {
    let secs = match (value.as_int(), value.as_float()) {
        (Ok(int), _) => int as f64,
        (_, Ok(float)) => float,
        _ => return Err(format!("{what} must be a number of seconds, not {value}")),
    };
    if !(least..=most).contains(&secs) {
        return Err(format!("{what} must be {least} to {most} seconds, not {value}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(pairs: &[(&str, Dynamic)]) -> Result<Shape, String> {
        to_shape(pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
    }

    #[test]
    fn a_rate_alone_is_tbf() {
        assert_eq!(
            shape(&[("rate", "10mbit".into())]),
            Ok(Shape::Tbf { rate: 10_000_000, burst: 15_140, limit: 77_640 })
        );
        assert_eq!(
            shape(&[("rate", "10mbit".into()), ("burst", "32kb".into()), ("latency", "100ms".into())]),
            Ok(Shape::Tbf { rate: 10_000_000, burst: 32_768, limit: 157_768 })
        );
        // Zero delay and loss (a script's defaults) leave it a rate alone.
        assert!(matches!(
            shape(&[("rate", "1mbit".into()), ("delay", "0ms".into()), ("loss", Dynamic::from(0_i64))]),
            Ok(Shape::Tbf { .. })
        ));
    }

    #[test]
    fn anything_else_is_netem_with_its_own_rate() {
        let full = shape(&[
            ("rate", "10mbit".into()),
            ("delay", "40ms".into()),
            ("jitter", "5ms".into()),
            ("loss", Dynamic::from(1.5_f64)),
            ("duplicate", Dynamic::from(0.1_f64)),
            ("corrupt", "0.1%".into()),
            ("reorder", Dynamic::from(2.0_f64)),
            ("limit", Dynamic::from(1000_i64)),
        ])
        .unwrap();
        assert_eq!(
            full.tc_args(),
            "netem delay 40ms 5ms loss 1.5% duplicate 0.1% corrupt 0.1% reorder 2% rate 10mbit"
        );
        let forced = shape(&[("rate", "10mbit".into()), ("qdisc", "netem".into())]).unwrap();
        assert_eq!(forced.tc_args(), "netem rate 10mbit");
    }

    #[test]
    fn bad_shapes_say_why() {
        let err = |pairs: &[(&str, Dynamic)]| shape(pairs).unwrap_err();
        assert!(err(&[("rate", "-5mbit".into())]).contains("cannot be negative"));
        assert!(err(&[("rate", "fast".into())]).contains("is not a rate"));
        assert!(err(&[("rate", Dynamic::from(10_i64))]).contains("has no unit"));
        assert!(err(&[("delay", "-40ms".into())]).contains("cannot be negative"));
        assert!(err(&[("delay", "forty".into())]).contains("is not a delay"));
        assert!(err(&[("loss", Dynamic::from(150_i64))]).contains("150% is more than 100%"));
        assert!(err(&[("jitter", "5ms".into())]).contains("give a delay too"));
        assert!(err(&[("reorder", Dynamic::from(5_i64))]).contains("give a delay too"));
        assert!(err(&[]).contains("nothing to shape"));
        assert!(err(&[("rat", "1mbit".into())]).contains("unknown option 'rat'"));
        assert!(
            err(&[("delay", "1ms".into()), ("burst", "32kb".into())]).contains("burst and latency are tbf's")
        );
        assert!(
            err(&[("delay", "1ms".into()), ("qdisc", "tbf".into())]).contains("tbf only limits the rate")
        );
        assert!(err(&[("limit", Dynamic::from(0_i64))]).contains("from 1"));
    }
}
