//! The namespace workers: threads that live as long as the process and do,
//! one job at a time each, the work that must happen from inside another
//! network namespace (making one, opening a socket there, a sysctl, a
//! child process). A thread per job costs a clone, a stack and an exit each
//! time, about as much as the namespace work itself; these only move.
//! After each job a worker goes back to the namespace it started in, so it
//! never keeps a deleted namespace alive. Worker 0 does every single job;
//! `run_both` gives worker 1 a job of its own at the same time, for bulk
//! work the kernel can do on two cores at once.

use std::fs::File;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use nix::sched::{CloneFlags, setns};

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Worker {
    jobs: Mutex<Sender<Job>>,
}

/// Worker `index` (0 or 1), started at its first job.
fn worker(index: usize) -> io::Result<&'static Worker> {
    static WORKERS: [OnceLock<Worker>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = &WORKERS[index];
    if let Some(worker) = slot.get() {
        return Ok(worker);
    }
    let (jobs, queue) = mpsc::channel::<Job>();
    let (ready, started) = mpsc::sync_channel::<io::Result<()>>(1);
    std::thread::Builder::new().name(format!("netns{index}")).spawn(move || {
        let home = match File::open("/proc/thread-self/ns/net") {
            Ok(home) => home,
            Err(err) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        for job in queue {
            job();
            // Home again, whatever the job did (or did not finish doing).
            let _ = setns(&home, CloneFlags::CLONE_NEWNET);
        }
    })?;
    started.recv().map_err(|_| io::Error::other("the namespace worker did not start"))??;
    Ok(slot.get_or_init(|| Worker { jobs: Mutex::new(jobs) }))
}

type Outcome<T> = Result<io::Result<T>, Box<dyn std::any::Any + Send>>;

/// A job handed to a worker: what it sends back when it is done.
struct Pending<T>(Receiver<Outcome<T>>);

/// Hands `work` to worker `index`.
///
/// SAFETY: `work` may borrow from the caller, so the caller must `wait` on
/// what this returns before anything `work` borrows goes away. The job
/// borrows only what `work` borrows, and `send` consumes and drops `work`
/// before it sends; `wait` returns once the result has been sent, or the
/// job was dropped unrun (which drops `work` too, closing the channel).
unsafe fn submit<T: Send + 'static>(
    index: usize,
    work: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<Pending<T>> {
    let worker = worker(index)?;
    let (done, result) = mpsc::sync_channel(1);
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || send(&done, work));
    // SAFETY: see above; the caller waits before the borrows end.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    let sent = worker.jobs.lock().map_err(|_| io::Error::other("the namespace worker is gone"))?.send(job);
    if let Err(mpsc::SendError(job)) = sent {
        drop(job);
        return Err(io::Error::other("the namespace worker is gone"));
    }
    Ok(Pending(result))
}

impl<T> Pending<T> {
    /// What the job returned; a panic in it comes back here.
    fn wait(self) -> io::Result<T> {
        match self.0.recv() {
            Ok(Ok(value)) => value,
            Ok(Err(payload)) => panic::resume_unwind(payload),
            Err(_) => Err(io::Error::other("the namespace worker stopped in the middle of a job")),
        }
    }
}

/// Runs `work` on worker 0 and returns what it returned. `work` may
/// borrow from the caller: this waits until it has run and been dropped.
/// A panic in it comes back here, as if it happened on this thread.
pub fn run<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    // SAFETY: waited for right away.
    unsafe { submit(0, work) }?.wait()
}

/// Runs `a` on worker 0 and `b` on worker 1 at the same time, and returns
/// when both are done, with what each returned. Like `run`, both may
/// borrow from the caller.
pub fn run_both<A: Send + 'static, B: Send + 'static>(
    a: impl FnOnce() -> io::Result<A> + Send,
    b: impl FnOnce() -> io::Result<B> + Send,
) -> (io::Result<A>, io::Result<B>) {
    // SAFETY: each job handed over is waited for before this returns (a
    // panic coming back from one only after the other is done too).
    let first = unsafe { submit(0, a) };
    let second = unsafe { submit(1, b) };
    let second = panic::catch_unwind(AssertUnwindSafe(|| second.and_then(Pending::wait)));
    let first = first.and_then(Pending::wait);
    match second {
        Ok(second) => (first, second),
        Err(payload) => panic::resume_unwind(payload),
    }
}

fn send<T>(done: &SyncSender<Outcome<T>>, work: impl FnOnce() -> io::Result<T>) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(work));
    let _ = done.send(outcome);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_may_borrow_and_panics_come_back() {
        let name = String::from("borrowed");
        let got = run(|| Ok(name.len())).unwrap();
        assert_eq!(got, 8);
        let caught = panic::catch_unwind(|| run::<()>(|| panic!("in the worker")));
        assert!(caught.is_err());
        // The worker lives on.
        assert_eq!(run(|| Ok(2 + 2)).unwrap(), 4);
    }

    #[test]
    fn two_jobs_run_at_once() {
        // Each waits for the other: done one after the other, they never end.
        let (to_b, from_a) = mpsc::channel::<()>();
        let (to_a, from_b) = mpsc::channel::<()>();
        let (a, b) = run_both(
            move || {
                to_b.send(()).unwrap();
                from_b.recv().map_err(io::Error::other)
            },
            move || {
                to_a.send(()).unwrap();
                from_a.recv().map_err(io::Error::other)
            },
        );
        a.unwrap();
        b.unwrap();
        let caught = panic::catch_unwind(|| run_both::<(), ()>(|| Ok(()), || panic!("in worker 1")));
        assert!(caught.is_err());
        assert_eq!(run_both(|| Ok(1), || Ok(2)).0.unwrap(), 1);
    }
}
