//! `--profile`: where a run's time goes, per kind of operation and per step
//! of applying one (reading the state before, writing the ledger, the
//! kernel's work, noting what was made).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Profile {
    /// (what, count, total time), by name.
    buckets: BTreeMap<String, (u64, Duration)>,
}

impl Profile {
    pub fn add(&mut self, what: &str, since: Instant) {
        let bucket = self.buckets.entry(what.to_string()).or_default();
        bucket.0 += 1;
        bucket.1 += since.elapsed();
    }

    /// `count` of `what`, done together in `total`.
    pub fn add_many(&mut self, what: &str, count: u64, total: Duration) {
        let bucket = self.buckets.entry(what.to_string()).or_default();
        bucket.0 += count;
        bucket.1 += total;
    }

    /// A table, biggest total first.
    pub fn render(&self) -> String {
        let mut rows: Vec<_> = self.buckets.iter().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.1.1));
        let mut out = format!("{:<24} {:>8} {:>12} {:>12}\n", "profile", "count", "total ms", "each µs");
        for (what, (count, total)) in rows {
            let each = total.as_secs_f64() * 1e6 / (*count).max(1) as f64;
            out.push_str(&format!(
                "{what:<24} {count:>8} {:>12.1} {each:>12.1}\n",
                total.as_secs_f64() * 1e3
            ));
        }
        out
    }
}
