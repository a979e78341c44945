//! The progress line of a long run: operations done and namespaces made,
//! on stderr, once the run has taken more than a second. Every operation
//! passes `note`, which must stay cheap: it counts, and looks at the clock;
//! the line itself changes at most ten times a second.

use std::time::{Duration, Instant};

use std::io::{self, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

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
            let target = ProgressDrawTarget::term_like_with_hz(Box::new(ShortOfTheEdge), 10);
            let bar = ProgressBar::with_draw_target(None, target);
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

/// Stderr as a terminal a few columns narrower than it is. A line that
/// fills the terminal leaves the cursor at its edge, and the `^C` a
/// terminal echoes on Ctrl-C then wraps to a line of its own: clearing the
/// progress line would clear that one, and leave the progress above the
/// error. With room at the edge, the `^C` goes on the line and goes with it.
#[derive(Debug)]
struct ShortOfTheEdge;

/// Columns left free at the edge: room for `^C`.
const EDGE: usize = 3;

impl ShortOfTheEdge {
    fn put(&self, text: &str) -> io::Result<()> {
        let mut err = io::stderr().lock();
        err.write_all(text.as_bytes())
    }
}

impl TermLike for ShortOfTheEdge {
    fn width(&self) -> u16 {
        let columns = crate::cli::term::stderr_width().unwrap_or(80);
        u16::try_from(columns.saturating_sub(EDGE).max(20)).unwrap_or(u16::MAX)
    }

    fn height(&self) -> u16 {
        // A terminal that does not say its height (0) has room for a line.
        let rows = crate::cli::term::size(&io::stderr()).map_or(0, |(_, rows)| rows);
        u16::try_from(rows).ok().filter(|rows| *rows > 0).unwrap_or(24)
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}A")) } else { Ok(()) }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}B")) } else { Ok(()) }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}C")) } else { Ok(()) }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}D")) } else { Ok(()) }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.put("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}
