//! The Simulate tab: pick one of the scenario's failure experiments and a seed, run it in
//! `microcosm_simulator` on a worker thread with a progress gauge, then read the outcome over
//! time — throughput, error rate and latency of an entry endpoint (the median as bars, a tail
//! percentile as markers over them) with the fault windows shaded, a breaker-state strip per
//! edge — and move a time cursor whose readout shows every number at that instant and the
//! verdict of each expectation; the charts shrink before the readout loses a line. The latest
//! report of each experiment is kept, so switching between experiments compares runs without
//! re-running them.
//!
//! This file holds the tab's state and what changes it (keys, worker messages); drawing lives
//! in `render` (the experiment list, the declared experiment, a run's progress) and `charts`
//! (a finished run's charts and cursor readout), which only read the state.

mod charts;
mod render;

pub(crate) use render::render;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use microcosm_model::{LoadedScenario, Pointer, Scenario, Target};
use microcosm_simulator::SimReport;
use microcosm_simulator::metrics::EndpointPoint;

use crate::work::SimRequest;
use crate::{Action, Effect, Msg, SourceView};

/// The simulation in progress, if any.
#[derive(Debug, Clone)]
pub enum SimRun {
    /// Nothing running.
    Idle,
    /// A run in progress.
    Running {
        /// Its id.
        run: u64,
        /// The experiment.
        experiment: String,
        /// The seed.
        seed: u64,
        /// Simulated seconds done.
        done_s: f64,
        /// Simulated seconds in all.
        horizon_s: f64,
        /// Events processed.
        events: u64,
        /// Set to stop it.
        cancel: Arc<AtomicBool>,
    },
    /// The last run could not finish.
    Failed {
        /// The experiment.
        experiment: String,
        /// Why.
        message: String,
    },
}

/// The Simulate tab's state.
#[derive(Debug, Clone)]
pub struct SimulateState {
    /// The experiments, in name order.
    pub experiments: Vec<String>,
    /// The selected experiment's index.
    pub selected: usize,
    /// The seed the next run uses.
    pub seed: u64,
    /// The seed being typed, while editing it.
    pub seed_input: Option<String>,
    /// The run in progress.
    pub run: SimRun,
    /// The latest report of each experiment that ran.
    pub results: BTreeMap<String, Box<SimReport>>,
    /// Which endpoint the charts show, as an index into the report's entry endpoints.
    pub endpoint: usize,
    /// The time cursor, as a metrics-bucket index.
    pub cursor: usize,
    /// The tail percentile the latency chart draws over the median.
    pub percentile: Percentile,
    next_run: u64,
}

/// A latency percentile a chart can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Percentile {
    /// The median.
    P50,
    /// The 90th percentile.
    P90,
    /// The 99th percentile.
    P99,
    /// The 99.9th percentile.
    P999,
}

impl Percentile {
    /// The next tail percentile to draw over the median (the median itself is always drawn).
    fn next(self) -> Percentile {
        match self {
            Percentile::P99 => Percentile::P999,
            Percentile::P999 => Percentile::P90,
            Percentile::P50 | Percentile::P90 => Percentile::P99,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Percentile::P50 => "p50",
            Percentile::P90 => "p90",
            Percentile::P99 => "p99",
            Percentile::P999 => "p99.9",
        }
    }

    fn of(self, p: &EndpointPoint) -> f64 {
        match self {
            Percentile::P50 => p.p50_ms,
            Percentile::P90 => p.p90_ms,
            Percentile::P99 => p.p99_ms,
            Percentile::P999 => p.p999_ms,
        }
    }
}

/// Buckets a page key moves the cursor.
const CURSOR_PAGE: usize = 10;

impl SimulateState {
    pub(crate) fn new(scenario: &Scenario) -> SimulateState {
        let experiments: Vec<String> = scenario.experiments.keys().cloned().collect();
        let seed = experiments
            .first()
            .map_or(1, |name| scenario.experiments[name].seed);
        SimulateState {
            experiments,
            selected: 0,
            seed,
            seed_input: None,
            run: SimRun::Idle,
            results: BTreeMap::new(),
            endpoint: 0,
            cursor: 0,
            percentile: Percentile::P99,
            next_run: 1,
        }
    }

    pub(crate) fn is_busy(&self) -> bool {
        matches!(self.run, SimRun::Running { .. })
    }

    /// Whether a seed is being typed (every key goes to it then).
    pub fn is_editing(&self) -> bool {
        self.seed_input.is_some()
    }

    /// The selected experiment's name.
    pub fn selected_experiment(&self) -> Option<&str> {
        self.experiments.get(self.selected).map(String::as_str)
    }

    /// The report shown: the selected experiment's latest.
    pub fn report(&self) -> Option<&SimReport> {
        self.results
            .get(self.selected_experiment()?)
            .map(|r| r.as_ref())
    }

    /// Selects experiment `name` and its declared seed; false when there is none.
    pub fn select_experiment(&mut self, name: &str, scenario: &Scenario) -> bool {
        match self.experiments.iter().position(|e| e == name) {
            Some(i) => {
                self.select(i, scenario);
                true
            }
            None => false,
        }
    }

    fn select(&mut self, index: usize, scenario: &Scenario) {
        if self.experiments.is_empty() {
            return;
        }
        let index = index.min(self.experiments.len() - 1);
        if index != self.selected {
            self.selected = index;
            self.seed = scenario.experiments[&self.experiments[index]].seed;
            self.endpoint = self.report().map_or(0, worst_endpoint);
            self.cursor = self.report().map_or(0, first_fault_bucket);
        }
    }

    /// Stops the running simulation, if any.
    pub(crate) fn cancel(&mut self) {
        if let SimRun::Running { cancel, .. } = &self.run {
            cancel.store(true, Ordering::Relaxed);
        }
    }

    fn start(&mut self, loaded: &Arc<LoadedScenario>) -> Option<Action> {
        let experiment = self.selected_experiment()?.to_owned();
        self.cancel();
        let run = self.next_run;
        self.next_run += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let horizon_s = loaded
            .scenario
            .experiments
            .get(&experiment)
            .map_or(0.0, |e| e.duration_s);
        self.run = SimRun::Running {
            run,
            experiment: experiment.clone(),
            seed: self.seed,
            done_s: 0.0,
            horizon_s,
            events: 0,
            cancel: cancel.clone(),
        };
        Some(Action::Effect(Effect::Simulate(SimRequest {
            run,
            loaded: loaded.clone(),
            experiment,
            seed: self.seed,
            cancel,
        })))
    }

    fn entry_endpoints(&self) -> Vec<&str> {
        self.report().map(entry_endpoints).unwrap_or_default()
    }

    fn buckets(&self) -> usize {
        self.report().map_or(0, buckets)
    }

    pub(crate) fn on_key(&mut self, key: KeyEvent, loaded: &Arc<LoadedScenario>) -> Option<Action> {
        let scenario = &loaded.scenario;
        if let Some(input) = &mut self.seed_input {
            match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    let mut next = input.clone();
                    next.push(c);
                    // Refuse a digit that would overflow rather than wrap silently.
                    if next.parse::<u64>().is_ok() {
                        *input = next;
                    }
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Enter => {
                    let typed = self.seed_input.take().unwrap_or_default();
                    match typed.parse::<u64>() {
                        Ok(seed) => self.seed = seed,
                        Err(_) => return Some(Action::Status("the seed is unchanged".to_owned())),
                    }
                }
                KeyCode::Esc => self.seed_input = None,
                _ => {}
            }
            return None;
        }
        // With no experiment there is nothing to select, run, seed or look at: a key that
        // acted here would change state nobody sees (a seed typed for nothing swallows the
        // tab and quit keys).
        if self.experiments.is_empty() {
            return None;
        }
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.select(self.selected + 1, scenario),
            KeyCode::Up | KeyCode::Char('k') => {
                self.select(self.selected.saturating_sub(1), scenario)
            }
            KeyCode::Enter | KeyCode::Char('r') => return self.start(loaded),
            KeyCode::Char('p') => self.percentile = self.percentile.next(),
            KeyCode::Char('x') if self.is_busy() => {
                self.cancel();
                self.run = SimRun::Idle;
                return Some(Action::Status("simulation cancelled".to_owned()));
            }
            KeyCode::Char('+') | KeyCode::Char('=') => self.seed = self.seed.wrapping_add(1),
            KeyCode::Char('-') => self.seed = self.seed.wrapping_sub(1),
            KeyCode::Char('e') => self.seed_input = Some(self.seed.to_string()),
            KeyCode::Right | KeyCode::Char('l') => {
                let step = if shift { CURSOR_PAGE } else { 1 };
                self.cursor = (self.cursor + step).min(self.buckets().saturating_sub(1));
            }
            KeyCode::Left | KeyCode::Char('h') => {
                let step = if shift { CURSOR_PAGE } else { 1 };
                self.cursor = self.cursor.saturating_sub(step);
            }
            KeyCode::PageDown => {
                self.cursor = (self.cursor + CURSOR_PAGE).min(self.buckets().saturating_sub(1));
            }
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(CURSOR_PAGE),
            KeyCode::Home | KeyCode::Char('g') => self.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => self.cursor = self.buckets().saturating_sub(1),
            KeyCode::Char(']') => {
                let n = self.entry_endpoints().len();
                if n > 0 {
                    self.endpoint = (self.endpoint + 1) % n;
                }
            }
            KeyCode::Char('[') => {
                let n = self.entry_endpoints().len();
                if n > 0 {
                    self.endpoint = (self.endpoint + n - 1) % n;
                }
            }
            KeyCode::Char('s') => {
                let name = self.selected_experiment()?;
                let at = Pointer::root().key("experiments").key(name);
                return Some(Action::Source(SourceView {
                    title: at.to_string(),
                    location: loaded.locate(&at, Target::Key),
                }));
            }
            _ => {}
        }
        None
    }

    pub(crate) fn on_message(&mut self, msg: Msg) {
        match msg {
            Msg::SimProgress {
                run,
                now_s,
                horizon_s,
                events,
            } => {
                if let SimRun::Running {
                    run: current,
                    done_s,
                    horizon_s: h,
                    events: e,
                    ..
                } = &mut self.run
                    && *current == run
                {
                    *done_s = now_s;
                    *h = horizon_s;
                    *e = events;
                }
            }
            Msg::SimDone { run, result } => {
                let SimRun::Running {
                    run: current,
                    experiment,
                    ..
                } = &self.run
                else {
                    return;
                };
                if *current != run {
                    return;
                }
                let experiment = experiment.clone();
                match result {
                    Ok(report) => {
                        let shown = self.selected_experiment() == Some(experiment.as_str());
                        if shown {
                            self.cursor = first_fault_bucket(&report);
                            self.endpoint = worst_endpoint(&report);
                        }
                        self.results.insert(experiment, report);
                        self.run = SimRun::Idle;
                    }
                    Err(message) => {
                        self.run = SimRun::Failed {
                            experiment,
                            message,
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn hints(&self) -> Vec<(&'static str, &'static str)> {
        if self.is_editing() {
            return vec![("0-9", "seed"), ("⏎", "set"), ("Esc", "cancel")];
        }
        if self.experiments.is_empty() {
            return Vec::new();
        }
        let mut hints = vec![
            ("↑↓", "experiment"),
            ("⏎", "run"),
            ("e/+/-", "seed"),
            ("s", "source"),
        ];
        if self.is_busy() {
            hints.push(("x", "cancel"));
        }
        if self.report().is_some() {
            hints.extend([("←→", "time"), ("[ ]", "endpoint"), ("p", "percentile")]);
        }
        hints
    }
}

/// The report's entry endpoints (all endpoints when none is marked entry), in name order.
fn entry_endpoints(report: &SimReport) -> Vec<&str> {
    let entries: Vec<&str> = report
        .endpoints
        .iter()
        .filter(|(_, e)| e.entry)
        .map(|(n, _)| n.as_str())
        .collect();
    if entries.is_empty() {
        report.endpoints.keys().map(String::as_str).collect()
    } else {
        entries
    }
}

/// The entry endpoint the charts open on: the one that failed most (the fault's victim), or
/// the first.
fn worst_endpoint(report: &SimReport) -> usize {
    entry_endpoints(report)
        .iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| {
            let (ea, eb) = (report.endpoints[**a].errors, report.endpoints[**b].errors);
            ea.cmp(&eb).then(j.cmp(i))
        })
        .map_or(0, |(i, _)| i)
}

/// The number of metrics buckets in a report.
fn buckets(report: &SimReport) -> usize {
    report
        .endpoints
        .values()
        .map(|e| e.series.len())
        .max()
        .unwrap_or(0)
}

/// Where the cursor starts on a new report: where the first fault begins, the moment worth
/// looking at, or 0.
fn first_fault_bucket(report: &SimReport) -> usize {
    let n = buckets(report);
    report
        .faults
        .iter()
        .map(|f| f.start_s)
        .min_by(f64::total_cmp)
        .map_or(0, |s| {
            ((s / report.bucket_s) as usize).min(n.saturating_sub(1))
        })
}
