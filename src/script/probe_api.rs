//! Functions that look at the network rather than change it: `ping` from the
//! host namespace or, as a method, from any namespace (`red.ping("10.0.0.2")`).
//! They record nothing in the lab, since there is nothing to roll back.

use std::net::IpAddr;
use std::time::Duration;

use rhai::{Dynamic, Engine, EvalAltResult, FLOAT, INT, Map};

use super::api::{Fallible, Shared, in_any_netns};
use super::cidr::{Cidr, parse_ip};
use crate::kernel::ping::{PingOptions, PingStats};
use crate::ops::Netns;

pub fn register(engine: &mut Engine, lab: &Shared) {
    in_any_netns!(engine, lab, "ping", |l, ns, target: Dynamic| -> Fallible<Map> {
        ping_from(l, &ns, &target, None)
    });
    in_any_netns!(engine, lab, "ping", |l, ns, target: Dynamic, options: Map| -> Fallible<Map> {
        ping_from(l, &ns, &target, Some(options))
    });
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
    let stats =
        lab.borrow().net().ping_many(&[(ns.clone(), addr)], &options).map_err(|err| fail(err.to_string()))?;
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
        match key.as_str() {
            "count" => {
                options.count = value
                    .as_int()
                    .ok()
                    .and_then(|count| u32::try_from(count).ok())
                    .filter(|&count| count > 0)
                    .ok_or_else(|| format!("count must be a whole number of at least 1, not {value}"))?;
            }
            "interval" => options.interval = seconds("interval", &value)?,
            "timeout" => options.timeout = seconds("timeout", &value)?,
            other => {
                return Err(format!(
                    "unknown ping option '{other}'; the options are: count, interval, timeout"
                ));
            }
        }
    }
    Ok(options)
}

/// A duration in seconds, written as a whole number or not.
fn seconds(option: &str, value: &Dynamic) -> Result<Duration, String> {
    let secs = match (value.as_int(), value.as_float()) {
        (Ok(int), _) => int as FLOAT,
        (_, Ok(float)) => float,
        _ => return Err(format!("{option} must be a number of seconds, not {value}")),
    };
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{option} must be a number of seconds from 0 up, not {value}"))
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
        assert!(options(&[("count", Dynamic::from(0_i64))]).unwrap_err().contains("at least 1"));
        assert!(options(&[("count", Dynamic::from(1.5_f64))]).unwrap_err().contains("whole number"));
        assert!(options(&[("timeout", Dynamic::from(-1_i64))]).unwrap_err().contains("from 0 up"));
        assert!(options(&[("interval", Dynamic::from("fast"))]).unwrap_err().contains("number of seconds"));
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
