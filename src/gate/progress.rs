//! The gate's progress on a terminal: one line per running check (states/s or simulated time)
//! above a bar of checks done; nothing of it otherwise, so logs stay clean. The parent starts
//! it and marks each task started and done from the worker that runs it; [`run_task`] writes
//! the running line's message. Apart so the run reads without indicatif's calls.
//!
//! [`run_task`]: super::tasks::run_task

use std::io::IsTerminal;
use std::time::Duration;

use super::plan::Task;

/// The bars, when stderr is a terminal. Clones share them.
#[derive(Clone)]
pub(super) struct Progress(Option<(indicatif::MultiProgress, indicatif::ProgressBar)>);

impl Progress {
    /// The bar of `tasks` checks, on a terminal.
    pub(super) fn start(tasks: usize) -> Progress {
        let progress = std::io::stderr().is_terminal().then(|| {
            let multi = indicatif::MultiProgress::new();
            let total = multi.add(indicatif::ProgressBar::new(tasks as u64));
            total.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} checks")
                    .expect("a valid template"),
            );
            (multi, total)
        });
        Progress(progress)
    }

    /// The line of `task`, which is starting, above the bar.
    pub(super) fn started(&self, task: &Task) -> Option<indicatif::ProgressBar> {
        self.0.as_ref().map(|(multi, total)| {
            let bar = multi.insert_before(total, indicatif::ProgressBar::new_spinner());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message(match task {
                Task::Analyze { loaded } => {
                    format!("analysing {}", loaded.source.path.display())
                }
                Task::Verify { job, .. } => format!("{}: starting", job.subject),
                Task::Simulate { experiment, .. } => format!("{experiment}: starting"),
            });
            bar
        })
    }

    /// A task is done: its line goes, the bar moves.
    pub(super) fn done(&self, bar: Option<indicatif::ProgressBar>) {
        if let (Some(bar), Some((_, total))) = (bar, &self.0) {
            bar.finish_and_clear();
            total.inc(1);
        }
    }

    /// Every task is done (or cut short): the bar goes.
    pub(super) fn finish(self) {
        if let Some((_, total)) = self.0 {
            total.finish_and_clear();
        }
    }
}
