//! How a long model check shows it is alive, on stderr (stdout is the report's): on a terminal,
//! a spinner from the first moment of each check naming it and its search's counts; elsewhere
//! (a CI log, a pipe) one line every [`DEFAULT_EVERY`], as TLC's "Progress(N): X states
//! generated, Y distinct states found" does, so a long run is never silent until its end.
//! `verify` makes one [`Reporter`] and asks it for each check's hook; the checker calls the
//! hook (`ProgressHook`) from its search.
//!
//! [`MICROCOSM_PROGRESS_EVERY_S`](EVERY_VAR) sets the interval of the lines (seconds; `0` turns
//! them off): for a CI whose logs want more or less, and for the tests, which cannot wait ten
//! seconds.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use microcosm_checker::{Progress, ProgressHook, elapsed_for_people};

/// How often a run not on a terminal writes a progress line.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(10);

/// The environment variable that overrides [`DEFAULT_EVERY`], in seconds (`0`: no lines).
pub const EVERY_VAR: &str = "MICROCOSM_PROGRESS_EVERY_S";

/// When the next line is due: `every` after the start, then `every` after each line written.
/// Apart from the clock so a test can drive it with instants of its own.
#[derive(Debug, Clone, Copy)]
pub struct Cadence {
    every: Duration,
    next: Instant,
}

impl Cadence {
    /// A cadence whose first line is due `every` after `start`.
    pub fn new(start: Instant, every: Duration) -> Cadence {
        Cadence {
            every,
            next: start + every,
        }
    }

    /// Whether a line is due at `now`. When it is, the next is due `every` after `now`: a
    /// stall (a suspended laptop) gives one line, not a burst of the lines it missed.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + self.every;
        true
    }

    /// How long from `now` until the next line is due.
    pub fn wait(&self, now: Instant) -> Duration {
        self.next.saturating_duration_since(now)
    }
}

/// One progress line, TLC's way: what is being checked, the search, its counts.
pub fn line(subject: &str, p: &Progress) -> String {
    format!("progress: {}", counts(subject, p))
}

/// What is being checked and how far its search got, as `verify` and `check` both say it.
pub fn counts(subject: &str, p: &Progress) -> String {
    format!(
        "{subject}: {} search, {} states generated, {} distinct, depth {}, {}",
        p.phase,
        p.states_generated,
        p.unique_states,
        p.max_depth,
        elapsed_for_people(p.elapsed)
    )
}

/// The checks running now (`--jobs` may run several at once) and how far each got, by
/// subject: shared by their hooks and the line writer.
type Running = Arc<Mutex<BTreeMap<String, Option<Progress>>>>;

/// Shows the progress of the checks of one `verify` run.
pub enum Reporter {
    /// stderr is a terminal: a spinner line per running check.
    Terminal(indicatif::MultiProgress),
    /// stderr is not: a line per running check every so often, written by a thread of its
    /// own so a search that reports rarely still gets its lines on time.
    Lines {
        running: Running,
        stop: mpsc::Sender<()>,
        writer: JoinHandle<()>,
    },
    /// Nothing (lines turned off).
    Off,
}

/// One check's place in the progress display, from its start until it is dropped (when the
/// check is done): its spinner, or its entry among the checks the lines report.
pub enum Check {
    /// Its spinner, cleared when the check ends.
    Spinner(indicatif::ProgressBar),
    /// Its entry in the running checks, removed when the check ends.
    Entry { running: Running, subject: String },
    /// Nothing shown.
    Silent,
}

impl Check {
    /// The hook the checker calls with this check's counts.
    pub fn hook(&self) -> Option<ProgressHook> {
        match self {
            Check::Spinner(bar) => {
                let bar = bar.clone();
                Some(ProgressHook::new(move |p| {
                    let rate = p.unique_states as f64 / p.elapsed.as_secs_f64().max(1e-9);
                    bar.set_message(format!(
                        "{} search, {} distinct ({rate:.0}/s), {} generated, depth {}",
                        p.phase, p.unique_states, p.states_generated, p.max_depth
                    ));
                }))
            }
            Check::Entry { running, subject } => {
                let (running, subject) = (running.clone(), subject.clone());
                Some(ProgressHook::new(move |p| {
                    running
                        .lock()
                        .expect("not poisoned")
                        .insert(subject.clone(), Some(*p));
                }))
            }
            Check::Silent => None,
        }
    }
}

impl Drop for Check {
    fn drop(&mut self) {
        match self {
            Check::Spinner(bar) => bar.finish_and_clear(),
            Check::Entry { running, subject } => {
                running.lock().expect("not poisoned").remove(subject);
            }
            Check::Silent => {}
        }
    }
}

impl Reporter {
    /// The reporter for this process's stderr and environment.
    pub fn start() -> Reporter {
        if std::io::stderr().is_terminal() {
            return Reporter::Terminal(indicatif::MultiProgress::new());
        }
        match every_from_env() {
            Some(every) => Reporter::lines(every, |text| {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }),
            None => Reporter::Off,
        }
    }

    /// Lines every `every`, each given to `write`.
    fn lines(every: Duration, write: impl Fn(&str) + Send + 'static) -> Reporter {
        let running: Running = Arc::new(Mutex::new(BTreeMap::new()));
        let (stop, stopped) = mpsc::channel();
        let shared = running.clone();
        let writer = std::thread::spawn(move || {
            let mut cadence = Cadence::new(Instant::now(), every);
            loop {
                match stopped.recv_timeout(cadence.wait(Instant::now())) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // Stopped, or the reporter is gone.
                    _ => return,
                }
                if !cadence.due(Instant::now()) {
                    continue;
                }
                // One line per check running now, in subject order: with `--jobs` several
                // run at once, and each has its own counts.
                let texts: Vec<String> = shared
                    .lock()
                    .expect("not poisoned")
                    .iter()
                    .map(|(subject, p)| match p {
                        Some(p) => line(subject, p),
                        None => format!("progress: {subject}: starting"),
                    })
                    .collect();
                for text in &texts {
                    write(text);
                }
            }
        });
        Reporter::Lines {
            running,
            stop,
            writer,
        }
    }

    /// The check of `subject`, which starts now: shown until the returned value is dropped.
    pub fn start_check(&self, subject: &str) -> Check {
        match self {
            Reporter::Terminal(multi) => {
                let bar = multi.add(indicatif::ProgressBar::new_spinner());
                bar.set_style(
                    indicatif::ProgressStyle::with_template(&format!(
                        "{{spinner}} {}: {{msg}}",
                        subject.replace('{', "{{").replace('}', "}}")
                    ))
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar.set_message("starting");
                // Drawn from the first moment, not at the first report: a check shows it is
                // running within a tenth of a second.
                bar.enable_steady_tick(Duration::from_millis(100));
                Check::Spinner(bar)
            }
            Reporter::Lines { running, .. } => {
                running
                    .lock()
                    .expect("not poisoned")
                    .insert(subject.to_owned(), None);
                Check::Entry {
                    running: running.clone(),
                    subject: subject.to_owned(),
                }
            }
            Reporter::Off => Check::Silent,
        }
    }

    /// Runs `f` (which writes to stderr) with the spinners out of its way, so a diagnostic is
    /// not drawn over.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self {
            Reporter::Terminal(multi) => multi.suspend(f),
            _ => f(),
        }
    }

    /// Every check is done: the spinners are gone, the line writer stops.
    pub fn finish(self) {
        match self {
            Reporter::Terminal(multi) => {
                let _ = multi.clear();
            }
            Reporter::Lines { stop, writer, .. } => {
                let _ = stop.send(());
                let _ = writer.join();
            }
            Reporter::Off => {}
        }
    }
}

/// The interval of the lines: [`EVERY_VAR`] if set to a number of seconds, else
/// [`DEFAULT_EVERY`]; `None` when it is `0` (or not a number: a typo must not flood a log).
pub(crate) fn every_from_env() -> Option<Duration> {
    match std::env::var(EVERY_VAR) {
        Err(_) => Some(DEFAULT_EVERY),
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_comes_one_interval_after_the_start_then_one_per_interval() {
        let t0 = Instant::now();
        let every = Duration::from_secs(10);
        let mut cadence = Cadence::new(t0, every);
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        assert!(!cadence.due(at(0.0)));
        assert!(!cadence.due(at(9.9)));
        assert_eq!(cadence.wait(at(9.5)), Duration::from_millis(500));
        assert!(cadence.due(at(10.0)));
        assert!(!cadence.due(at(10.1)));
        assert!(!cadence.due(at(19.9)));
        assert!(cadence.due(at(20.05)));
    }

    #[test]
    fn a_stall_gives_one_line_not_a_burst() {
        let t0 = Instant::now();
        let mut cadence = Cadence::new(t0, Duration::from_secs(10));
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(cadence.due(at(95)));
        assert!(!cadence.due(at(96)));
        assert!(!cadence.due(at(104)));
        assert!(cadence.due(at(105)));
    }

    #[test]
    fn a_line_reads_like_tlcs() {
        let p = Progress {
            phase: "safety",
            states_generated: 3_140_154,
            unique_states: 302_756,
            max_depth: 42,
            elapsed: Duration::from_millis(19_640),
        };
        assert_eq!(
            line("orders -> payments", &p),
            "progress: orders -> payments: safety search, 3140154 states generated, 302756 \
             distinct, depth 42, 19.6 s"
        );
    }

    #[test]
    fn lines_name_the_running_check_and_its_latest_counts() {
        let written = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = written.clone();
        let reporter = Reporter::lines(Duration::from_millis(20), move |t| {
            sink.lock().unwrap().push(t.to_owned());
        });
        let check = reporter.start_check("move-funds");
        let hook = check.hook().unwrap();
        std::thread::sleep(Duration::from_millis(60));
        hook.report(&Progress {
            phase: "safety",
            states_generated: 7,
            unique_states: 5,
            max_depth: 2,
            elapsed: Duration::from_millis(50),
        });
        std::thread::sleep(Duration::from_millis(60));
        reporter.finish();
        let written = written.lock().unwrap();
        assert_eq!(written.first().unwrap(), "progress: move-funds: starting");
        assert!(
            written
                .last()
                .unwrap()
                .starts_with("progress: move-funds: safety search, 7 states generated, 5 distinct"),
            "{written:?}"
        );
    }

    #[test]
    fn checks_running_at_once_each_get_their_own_line_until_they_end() {
        let written = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = written.clone();
        let reporter = Reporter::lines(Duration::from_millis(20), move |t| {
            sink.lock().unwrap().push(t.to_owned());
        });
        let a = reporter.start_check("a-saga");
        let b = reporter.start_check("b-transfer");
        b.hook().unwrap().report(&Progress {
            phase: "liveness",
            states_generated: 9,
            unique_states: 4,
            max_depth: 3,
            elapsed: Duration::from_millis(10),
        });
        std::thread::sleep(Duration::from_millis(60));
        drop(a);
        written.lock().unwrap().clear();
        std::thread::sleep(Duration::from_millis(60));
        reporter.finish();
        drop(b);
        let written = written.lock().unwrap();
        assert!(!written.is_empty());
        // Once `a-saga` is done only `b-transfer` is reported, with its own counts.
        assert!(
            written
                .iter()
                .all(|l| l.starts_with("progress: b-transfer: liveness search, 9 states")),
            "{written:?}"
        );
    }
}
