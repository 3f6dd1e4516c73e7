//! The gate's progress on stderr: on a terminal, one line per running check (states/s or
//! simulated time) above a bar of checks done; elsewhere (a CI log, a pipe) every ten seconds
//! a line per running check and one of checks done, as `verify` does, so a long gate is never
//! silent until its end ([`crate::verify::progress`] holds the cadence and its setting). The
//! parent starts it and marks each task started and done from the worker that runs it;
//! [`run_task`] writes the running line's message. Apart so the run reads without indicatif's
//! calls.
//!
//! [`run_task`]: super::tasks::run_task

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::plan::Task;
use crate::verify::progress::{Cadence, every_from_env};

/// Where the gate's progress goes. Clones share it.
#[derive(Clone)]
pub(super) enum Progress {
    /// stderr is a terminal: live bars.
    Terminal(indicatif::MultiProgress, indicatif::ProgressBar),
    /// stderr is not: the running checks' lines, written every so often by a thread.
    Lines(Arc<Lines>),
    /// Nothing.
    Off,
}

/// What the line writer reads: each running check's line (a hidden bar whose message the task
/// writes, as it would a visible one's), and the count of checks done.
pub(super) struct Lines {
    running: Mutex<Vec<indicatif::ProgressBar>>,
    done: AtomicUsize,
    total: usize,
    stop: Mutex<Option<mpsc::Sender<()>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Lines {
    /// The lines due now: each running check's, then the count.
    fn text(&self) -> Vec<String> {
        let mut running = self.running.lock().expect("not poisoned");
        running.retain(|bar| !bar.is_finished());
        let mut out: Vec<String> = running
            .iter()
            .map(|bar| format!("progress: {}", bar.message()))
            .collect();
        out.push(format!(
            "progress: {}/{} checks done",
            self.done.load(Ordering::Relaxed),
            self.total
        ));
        out
    }
}

impl Progress {
    /// The bar of `tasks` checks on a terminal, the lines elsewhere.
    pub(super) fn start(tasks: usize) -> Progress {
        if std::io::stderr().is_terminal() {
            let multi = indicatif::MultiProgress::new();
            let total = multi.add(indicatif::ProgressBar::new(tasks as u64));
            total.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} checks")
                    .expect("a valid template"),
            );
            return Progress::Terminal(multi, total);
        }
        let Some(every) = every_from_env() else {
            return Progress::Off;
        };
        let lines = Arc::new(Lines {
            running: Mutex::new(Vec::new()),
            done: AtomicUsize::new(0),
            total: tasks,
            stop: Mutex::new(None),
            writer: Mutex::new(None),
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = lines.clone();
        let writer = std::thread::spawn(move || {
            let mut cadence = Cadence::new(Instant::now(), every);
            loop {
                match stopped.recv_timeout(cadence.wait(Instant::now())) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                if cadence.due(Instant::now()) {
                    let mut err = std::io::stderr().lock();
                    for line in shared.text() {
                        let _ = writeln!(err, "{line}");
                    }
                }
            }
        });
        *lines.stop.lock().expect("not poisoned") = Some(stop);
        *lines.writer.lock().expect("not poisoned") = Some(writer);
        Progress::Lines(lines)
    }

    /// The line of `task`, which is starting.
    pub(super) fn started(&self, task: &Task) -> Option<indicatif::ProgressBar> {
        let message = match task {
            Task::Analyze { loaded } => {
                format!("analysing {}", loaded.source.path.display())
            }
            Task::Verify { job, .. } => format!("{}: starting", job.subject),
            Task::Simulate { experiment, .. } => format!("{experiment}: starting"),
        };
        match self {
            Progress::Terminal(multi, total) => {
                let bar = multi.insert_before(total, indicatif::ProgressBar::new_spinner());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.set_message(message);
                Some(bar)
            }
            Progress::Lines(lines) => {
                let bar = indicatif::ProgressBar::hidden();
                bar.set_message(message);
                lines
                    .running
                    .lock()
                    .expect("not poisoned")
                    .push(bar.clone());
                Some(bar)
            }
            Progress::Off => None,
        }
    }

    /// A task is done: its line goes, the count moves.
    pub(super) fn done(&self, bar: Option<indicatif::ProgressBar>) {
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match self {
            Progress::Terminal(_, total) => total.inc(1),
            Progress::Lines(lines) => {
                lines.done.fetch_add(1, Ordering::Relaxed);
            }
            Progress::Off => {}
        }
    }

    /// Every task is done (or cut short): the bar goes, the writer stops.
    pub(super) fn finish(self) {
        match self {
            Progress::Terminal(_, total) => total.finish_and_clear(),
            Progress::Lines(lines) => {
                drop(lines.stop.lock().expect("not poisoned").take());
                if let Some(writer) = lines.writer.lock().expect("not poisoned").take() {
                    let _ = writer.join();
                }
            }
            Progress::Off => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_name_each_running_check_and_count_those_done() {
        let lines = Lines {
            running: Mutex::new(Vec::new()),
            done: AtomicUsize::new(0),
            total: 3,
            stop: Mutex::new(None),
            writer: Mutex::new(None),
        };
        let progress = Progress::Lines(Arc::new(lines));
        let Progress::Lines(lines) = &progress else {
            unreachable!()
        };
        let bar = indicatif::ProgressBar::hidden();
        bar.set_message(
            "move-funds: safety search, 60000 states generated, 40000 distinct, depth 9, 1.0 s",
        );
        lines.running.lock().unwrap().push(bar.clone());
        assert_eq!(
            lines.text(),
            [
                "progress: move-funds: safety search, 60000 states generated, 40000 distinct, depth 9, 1.0 s",
                "progress: 0/3 checks done"
            ]
        );
        progress.done(Some(bar));
        assert_eq!(lines.text(), ["progress: 1/3 checks done"]);
    }
}
