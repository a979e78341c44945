//! Option maps as scripts write them (`#{vni: 100, remote: "192.0.2.2"}`):
//! each key taken once, typed, and any key left over an error that lists
//! the options there are.

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use rhai::{Dynamic, Map};

use super::cidr::parse_ip;
use super::convert::to_cidr;

pub struct Options {
    map: Map,
    /// "vxlan", "rule": what the options are of, for messages.
    what: &'static str,
    known: &'static [&'static str],
}

impl Options {
    pub fn new(map: Map, what: &'static str, known: &'static [&'static str]) -> Options {
        Options { map, what, known }
    }

    fn take(&mut self, key: &str) -> Option<Dynamic> {
        debug_assert!(self.known.contains(&key), "{key} is not listed for {}", self.what);
        self.map.remove(key).filter(|v| !v.is_unit())
    }

    pub fn text(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            Some(v) => Err(format!("{key} must be text, not {}", v.type_name())),
        }
    }

    pub fn flag(&mut self, key: &str) -> Result<Option<bool>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).map_err(|_| format!("{key} must be true or false, not {v}")),
        }
    }

    pub fn int<T: TryFrom<i64>>(&mut self, key: &str, range: &str) -> Result<Option<T>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => {
                let n = v.as_int().map_err(|_| format!("{key} must be a whole number, not {v}"))?;
                T::try_from(n).map(Some).map_err(|_| format!("{key} {n} is out of range ({range})"))
            }
        }
    }

    pub fn ip(&mut self, key: &str) -> Result<Option<IpAddr>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => to_ip(&v).map(Some).map_err(|why| format!("{key}: {why}")),
        }
    }

    pub fn prefix(&mut self, key: &str) -> Result<Option<IpNetwork>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) if v.is_string() && v.to_string() == "all" => Ok(None),
            Some(v) => to_cidr(&v).map(|c| Some(c.0)).map_err(|why| format!("{key}: {why}")),
        }
    }

    pub fn array(&mut self, key: &str) -> Result<Option<Vec<Dynamic>>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) if v.is_array() => Ok(Some(v.into_array().unwrap_or_default())),
            // One item alone is an array of one.
            Some(v) => Ok(Some(vec![v])),
        }
    }

    pub fn raw(&mut self, key: &str) -> Option<Dynamic> {
        self.take(key)
    }

    /// Any option not taken is a mistake: say which, and what there are.
    pub fn finish(self) -> Result<(), String> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!(
                "unknown {} option '{key}'; the options are: {}",
                self.what,
                self.known.join(", ")
            )),
        }
    }
}

/// An address argument: "10.0.0.1", or a Cidr (its address).
pub fn to_ip(value: &Dynamic) -> Result<IpAddr, String> {
    if let Some(cidr) = value.clone().try_cast::<super::cidr::Cidr>() {
        return Ok(cidr.ip());
    }
    if value.is_string() {
        return parse_ip(&value.to_string());
    }
    Err(format!("expected an address like \"10.0.0.1\", not {}", value.type_name()))
}
