//! The progress line of a long run: operations done and namespaces made,
//! on stderr, once the run has taken more than a second. Every operation
//! passes `note`, which must stay cheap: it counts, and looks at the clock;
//! the line itself changes at most ten times a second.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ops::Op;

const QUIET_START: Duration = Duration::from_secs(1);
const EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    /// Until then, `note` only counts.
    next_update: Instant,
    operations: u64,
    namespaces: u64,
    bar: Option<ProgressBar>,
    finished: bool,
}

impl Progress {
    /// Counts from now; draws nothing until a second has passed.
    pub fn new() -> Self {
        let now = Instant::now();
        Progress { next_update: now + QUIET_START, operations: 0, namespaces: 0, bar: None, finished: false }
    }

    /// One more operation applied.
    pub fn note(&mut self, op: &Op) {
        self.operations += 1;
        if matches!(op, Op::NetnsAdd { .. }) {
            self.namespaces += 1;
        }
        let now = Instant::now();
        if now < self.next_update || self.finished {
            return;
        }
        self.next_update = now + EVERY;
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            let style = ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(EVERY);
            bar
        });
        bar.set_message(format!("{} operations, {} namespaces made", self.operations, self.namespaces));
    }

    /// Runs `work` (printing, say) with the line out of the way.
    pub fn suspend<R>(&self, work: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(work),
            None => work(),
        }
    }

    /// Removes the line; the run is over.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.finished = true;
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}
