//! The namespace worker: one thread that lives as long as the process and
//! does, one job at a time, the work that must happen from inside another
//! network namespace (making one, opening a socket there, a sysctl, a
//! child process). A thread per job costs a clone, a stack and an exit each
//! time, about as much as the namespace work itself; this one only moves.
//! After each job it goes back to the namespace it started in, so it never
//! keeps a deleted namespace alive.

use std::fs::File;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender, SyncSender};

use nix::sched::{CloneFlags, setns};

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Worker {
    jobs: Mutex<Sender<Job>>,
}

fn worker() -> io::Result<&'static Worker> {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    if let Some(worker) = WORKER.get() {
        return Ok(worker);
    }
    let (jobs, queue) = mpsc::channel::<Job>();
    let (ready, started) = mpsc::sync_channel::<io::Result<()>>(1);
    std::thread::Builder::new().name("netns".into()).spawn(move || {
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
    Ok(WORKER.get_or_init(|| Worker { jobs: Mutex::new(jobs) }))
}

/// Runs `work` on the worker and returns what it returned. `work` may
/// borrow from the caller: this waits until it has run and been dropped.
/// A panic in it comes back here, as if it happened on this thread.
pub fn run<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    let worker = worker()?;
    let (done, result) = mpsc::sync_channel(1);
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || send(&done, work));
    // SAFETY: the job borrows only what `work` borrows, and `send` consumes
    // and drops `work` before it sends; this function does not return until
    // the result has been sent (or the job dropped unrun, which drops `work`
    // too, closing the channel). Nothing borrowed outlives this call.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    let sent = worker.jobs.lock().map_err(|_| io::Error::other("the namespace worker is gone"))?.send(job);
    if let Err(mpsc::SendError(job)) = sent {
        drop(job);
        return Err(io::Error::other("the namespace worker is gone"));
    }
    match result.recv() {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => Err(io::Error::other("the namespace worker stopped in the middle of a job")),
    }
}

type Outcome<T> = Result<io::Result<T>, Box<dyn std::any::Any + Send>>;

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
}
