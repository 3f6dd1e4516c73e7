//! The whole run's `--timeout`: one [`Deadline`] every stage sees (an instant, and a flag set
//! when it passes for the engines that look at a flag), and [`within`], which runs work on the
//! pool and stops waiting for what has not answered [`GRACE`] after it. The parent uses it for
//! loading and for the tasks; the tasks hand what is left of it to the engines. It is apart
//! because waiting and its grace are one policy: the rest of the gate only asks it questions
//! (is it past, how much is left, the flag to hand an engine), never reads its fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use microcosm_simulator::Interrupt;

/// How long after the deadline the run still waits for stages that look at it to report how
/// far they got, before it reports them cut short itself: the engines look at it every 200 ms
/// at most.
pub(super) const GRACE: Duration = Duration::from_millis(1500);

/// The whole run's `--timeout`: one instant every stage sees, and a flag set when it passes
/// (for the engines that look at a cancel flag rather than a clock).
#[derive(Debug, Clone)]
pub(super) struct Deadline {
    at: Option<Instant>,
    seconds: f64,
    passed: Arc<AtomicBool>,
}

impl Deadline {
    /// Starts the clock now; without a timeout, never passes.
    pub(super) fn start(timeout_s: Option<f64>) -> Deadline {
        let passed = Arc::new(AtomicBool::new(false));
        let at = timeout_s.map(|t| Instant::now() + Duration::from_secs_f64(t));
        if let Some(at) = at {
            let flag = passed.clone();
            // Detached: it only sets a flag, and the process does not wait for it.
            std::thread::spawn(move || {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                flag.store(true, Ordering::Relaxed);
            });
        }
        Deadline {
            at,
            seconds: timeout_s.unwrap_or(0.0),
            passed,
        }
    }

    pub(super) fn is_past(&self) -> bool {
        self.passed.load(Ordering::Relaxed) || self.at.is_some_and(|d| Instant::now() >= d)
    }

    /// The time left, for engines that take a timeout.
    pub(super) fn remaining(&self) -> Option<Duration> {
        self.at.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The `--timeout` in seconds, when there is one.
    pub(super) fn timeout_s(&self) -> Option<f64> {
        self.at.map(|_| self.seconds)
    }

    /// The flag set when the deadline passes, for engines that look at a cancel flag; none
    /// without a timeout.
    pub(super) fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        self.at.map(|_| self.passed.clone())
    }

    pub(super) fn interrupt(&self) -> Interrupt {
        Interrupt {
            deadline: self.at,
            cancel: self.cancel_flag(),
        }
    }

    /// The message of a check the deadline stopped.
    pub(super) fn message(&self, what: &str) -> String {
        format!(
            "inconclusive: --timeout {} s (the whole run's) ran out before {what}",
            microcosm_checker::seconds_as_given(self.seconds)
        )
    }
}

/// Runs each of `work` on `pool`, and returns the results in order: `None` for one that had not
/// finished [`GRACE`] after `deadline` (it did not look at the deadline in time; its thread is
/// left running, to end with the process). A panic in one is re-raised here, an internal error.
pub(super) fn within<T: Send + 'static>(
    pool: &rayon::ThreadPool,
    work: Vec<Box<dyn FnOnce() -> T + Send>>,
    deadline: &Deadline,
) -> Vec<Option<T>> {
    let (tx, rx) = mpsc::channel();
    let n = work.len();
    for (i, w) in work.into_iter().enumerate() {
        let tx = tx.clone();
        pool.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(w));
            let _ = tx.send((i, result));
        });
    }
    drop(tx);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let limit = deadline.at.map(|d| d + GRACE);
    for _ in 0..n {
        let received = match limit {
            Some(l) => rx
                .recv_timeout(l.saturating_duration_since(Instant::now()))
                .ok(),
            None => rx.recv().ok(),
        };
        match received {
            Some((i, Ok(value))) => out[i] = Some(value),
            Some((_, Err(panic))) => std::panic::resume_unwind(panic),
            None => break,
        }
    }
    out
}
