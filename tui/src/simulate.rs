//! The Simulate tab: pick one of the scenario's failure experiments and a seed, run it in
//! `microcosm_simulator` on a worker thread with a progress gauge, then read the outcome over
//! time — throughput, error rate and latency of an entry endpoint (the median as bars, a tail
//! percentile as markers over them) with the fault windows shaded, a breaker-state strip per
//! edge — and move a time cursor whose readout shows every number at that instant and the
//! verdict of each expectation; the charts shrink before the readout loses a line. The latest
//! report of each experiment is kept, so switching between experiments compares runs without
//! re-running them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use microcosm_model::{LoadedScenario, Pointer, Scenario, Target};
use microcosm_simulator::SimReport;
use microcosm_simulator::metrics::EndpointPoint;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Widget, Wrap};

use crate::chart::{self, Bars, BreakerCell, Columns, Overlay};
use crate::work::SimRequest;
use crate::{Action, App, Effect, Msg, SourceView, Theme, ui};

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

/// The chart header: the endpoint's name, its place among the entry endpoints and its totals.
/// When the line is too narrow, fields go whole, least telling first (the place, the request
/// count, the p99), never cut mid-number; only the name itself is cut, with `…`.
fn header_line(
    name: &str,
    (position, of): (usize, usize),
    endpoint: &microcosm_simulator::report::EndpointReport,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let place = format!(" ({position}/{of})");
    let requests = format!("{} req", ui::thousands(endpoint.requests));
    let ok = format!("{:.2}% ok", endpoint.availability * 100.0);
    let p99 = format!("p99 {} ms", ui::compact(endpoint.latency_ms.p99));
    // Each variant keeps the fields of the next and one more, in the order they are dropped.
    let variants: [(bool, Vec<&str>); 5] = [
        (true, vec![&requests, &ok, &p99]),
        (false, vec![&requests, &ok, &p99]),
        (false, vec![&ok, &p99]),
        (false, vec![&ok]),
        (false, vec![]),
    ];
    let name_width = name.chars().count();
    for (with_place, fields) in &variants {
        let totals = if fields.is_empty() {
            String::new()
        } else {
            format!("  {}", fields.join(" · "))
        };
        let place = if *with_place { place.as_str() } else { "" };
        if name_width + place.chars().count() + totals.chars().count() <= width {
            return Line::from(vec![
                Span::styled(name.to_owned(), theme.title()),
                Span::styled(format!("{place}{totals}"), theme.dim()),
            ]);
        }
    }
    Line::styled(ui::truncate(name, width), theme.title())
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

pub(crate) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let state = &app.simulate;
    let theme = app.theme;
    let scenario = &app.loaded.scenario;
    if state.experiments.is_empty() {
        let block = ui::block("Experiments", true, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(vec![
            Line::raw("This scenario declares no failure experiments."),
            Line::styled(
                "Add an [experiments.NAME] table with duration_s, load and faults.",
                theme.dim(),
            ),
        ])
        .wrap(Wrap { trim: true })
        .render(inner, buf);
        return;
    }
    let list_width = state
        .experiments
        .iter()
        .map(|e| e.chars().count() + 4)
        .max()
        .unwrap_or(16)
        .clamp(18, (area.width / 3).max(18) as usize) as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(0)]).areas(area);
    render_setup(state, theme, left, buf);
    match (&state.run, state.report()) {
        (SimRun::Running { experiment, .. }, _)
            if Some(experiment.as_str()) == state.selected_experiment() =>
        {
            render_progress(state, scenario, theme, right, buf)
        }
        (_, Some(report)) => render_report(state, report, theme, right, buf),
        _ => render_experiment(state, scenario, theme, right, buf),
    }
}

fn render_setup(state: &SimulateState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = ui::block("Experiments", true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let footer = 4u16.min(inner.height);
    let list_height = inner.height - footer;
    let width = inner.width as usize;
    let first = ui::scroll_to(
        state.selected,
        list_height as usize,
        state.experiments.len(),
    );
    let lines: Vec<Line> = state
        .experiments
        .iter()
        .enumerate()
        .skip(first)
        .take(list_height as usize)
        .map(|(i, name)| {
            let mark = match state.results.get(name) {
                Some(r) if r.passed => "✓",
                Some(_) => "✗",
                None => " ",
            };
            let text = format!("{mark} {}", ui::truncate(name, width.saturating_sub(2)));
            let style = if i == state.selected {
                theme.selected()
            } else {
                theme.text()
            };
            Line::styled(text, style)
        })
        .collect();
    Paragraph::new(lines).render(Rect::new(inner.x, inner.y, inner.width, list_height), buf);
    let seed = match &state.seed_input {
        Some(input) => Line::from(vec![
            Span::raw("seed "),
            Span::styled(format!("{input}▏"), theme.changed()),
        ]),
        None => Line::from(vec![
            Span::raw("seed "),
            Span::styled(state.seed.to_string(), theme.key()),
        ]),
    };
    let status = match &state.run {
        SimRun::Idle => Line::styled("idle", theme.dim()),
        SimRun::Running {
            experiment,
            done_s,
            horizon_s,
            ..
        } => Line::styled(
            ui::truncate(
                &format!("running {experiment} {:.0}%", percent(*done_s, *horizon_s)),
                width,
            ),
            theme.busy(),
        ),
        SimRun::Failed { experiment, .. } => Line::styled(
            ui::truncate(&format!("{experiment} failed"), width),
            theme.bad(),
        ),
    };
    let separator = Line::styled("─".repeat(width), theme.border());
    Paragraph::new(vec![separator, seed, status]).render(
        Rect::new(inner.x, inner.y + list_height, inner.width, footer),
        buf,
    );
}

fn percent(done: f64, all: f64) -> f64 {
    if all > 0.0 {
        (done / all * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

fn secs(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0} s")
    } else {
        format!("{x:.1} s")
    }
}

/// The selected experiment as declared: what it asks, its load, faults and expectations.
fn experiment_lines(
    state: &SimulateState,
    scenario: &Scenario,
    theme: Theme,
) -> Vec<Line<'static>> {
    let Some(name) = state.selected_experiment() else {
        return Vec::new();
    };
    let e = &scenario.experiments[name];
    let mut lines = Vec::new();
    if let Some(d) = &e.description {
        lines.push(Line::raw(d.clone()));
    }
    lines.push(Line::styled(
        format!(
            "{} simulated, {} warm-up, declared seed {}",
            secs(e.duration_s),
            secs(e.warmup_s),
            e.seed
        ),
        theme.dim(),
    ));
    lines.push(Line::styled("Load", theme.title()));
    for load in &e.load {
        let target = match &load.endpoint {
            Some(ep) => ep.clone(),
            None => format!("mix of {} endpoints", load.mix.len()),
        };
        let rate = load
            .rate_per_s
            .map(|r| format!(" at {} req/s", ui::compact(r)))
            .or(load.users.map(|u| format!(" from {u} users")))
            .unwrap_or_default();
        lines.push(Line::raw(
            format!("  {target}{rate} ({:?})", load.arrival).to_lowercase(),
        ));
    }
    lines.push(Line::styled("Faults", theme.title()));
    if e.faults.is_empty() {
        lines.push(Line::styled("  none", theme.dim()));
    }
    for f in &e.faults {
        let what = fault_phrase(f);
        lines.push(Line::raw(format!(
            "  {}–{}: {what}",
            secs(f.at_s),
            secs(f.end_s(e.duration_s))
        )));
    }
    if !e.expect.slos.is_empty()
        || e.expect.max_retry_amplification.is_some()
        || !e.expect.alerts_within_s.is_empty()
    {
        lines.push(Line::styled("Expects", theme.title()));
        for slo in &e.expect.slos {
            lines.push(Line::raw(format!("  SLO {slo} holds")));
        }
        if let Some(a) = e.expect.max_retry_amplification {
            lines.push(Line::raw(format!("  retry amplification at most {a}")));
        }
        for (alert, within) in &e.expect.alerts_within_s {
            lines.push(Line::raw(format!(
                "  alert {alert} fires within {within} s of the first fault"
            )));
        }
    }
    lines
}

fn fault_phrase(f: &microcosm_model::Fault) -> String {
    use microcosm_model::FaultAction;
    match f.action() {
        Some(FaultAction::Crash { service, replicas }) => match replicas {
            Some(n) => format!("crash {n} replica(s) of {service}"),
            None => format!("crash {service}"),
        },
        Some(FaultAction::Latency(l)) => format!("+{} ms on {}", ui::compact(l.add_ms), l.link),
        Some(FaultAction::Errors(e)) => format!("{:.0}% errors at {}", e.rate * 100.0, e.target),
        Some(FaultAction::Partition(p)) => format!("partition {} | {}", p.from, p.to),
        Some(FaultAction::Slowdown(s)) => format!("{} {}× slower", s.service, s.factor),
        Some(FaultAction::Deploy(s)) => format!("deploy {s}"),
        None => "no action".to_owned(),
    }
}

fn render_experiment(
    state: &SimulateState,
    scenario: &Scenario,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let name = state.selected_experiment().unwrap_or_default();
    let block = ui::block(format!("Experiment {name}"), false, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = experiment_lines(state, scenario, theme);
    if let SimRun::Failed {
        experiment,
        message,
    } = &state.run
        && experiment == name
    {
        lines.insert(
            0,
            Line::styled(format!("The last run failed: {message}"), theme.bad()),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("⏎", theme.key()),
        Span::raw(format!(" runs it with seed {}; ", state.seed)),
        Span::styled("e", theme.key()),
        Span::raw(" types another seed."),
    ]));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

fn render_progress(
    state: &SimulateState,
    scenario: &Scenario,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let SimRun::Running {
        experiment,
        seed,
        done_s,
        horizon_s,
        events,
        ..
    } = &state.run
    else {
        return;
    };
    let block = ui::block(
        format!("Simulating {experiment} (seed {seed})"),
        false,
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let [gauge, text, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);
    Gauge::default()
        .gauge_style(theme.busy())
        .ratio(percent(*done_s, *horizon_s) / 100.0)
        .label(format!("{} of {}", secs(done_s.floor()), secs(*horizon_s)))
        .render(gauge, buf);
    Paragraph::new(vec![
        Line::styled(
            format!("{} events so far", ui::thousands(*events)),
            theme.dim(),
        ),
        Line::from(vec![
            Span::styled("x", theme.key()),
            Span::raw(" cancels; the other tabs keep working."),
        ]),
    ])
    .render(text, buf);
    Paragraph::new(experiment_lines(state, scenario, theme))
        .wrap(Wrap { trim: false })
        .render(rest, buf);
}

/// Per-column aggregates of one endpoint's series.
struct Aggregates {
    throughput: Vec<Option<f64>>,
    error_rate: Vec<Option<f64>>,
    median: Vec<Option<f64>>,
    tail: Vec<Option<f64>>,
}

fn aggregate(
    series: &[EndpointPoint],
    columns: &Columns,
    bucket_s: f64,
    tail: Percentile,
) -> Aggregates {
    let mut a = Aggregates {
        throughput: Vec::new(),
        error_rate: Vec::new(),
        median: Vec::new(),
        tail: Vec::new(),
    };
    for range in &columns.ranges {
        let points = &series[range.start.min(series.len())..range.end.min(series.len())];
        let requests: u64 = points.iter().map(|p| p.requests).sum();
        let errors: u64 = points.iter().map(|p| p.errors).sum();
        let seconds = range.len() as f64 * bucket_s;
        a.throughput
            .push((seconds > 0.0).then(|| requests as f64 / seconds));
        a.error_rate
            .push((requests > 0).then(|| errors as f64 / requests as f64 * 100.0));
        // The worst bucket of the column: a spike must not average away.
        let worst = |percentile: Percentile| {
            points
                .iter()
                .filter(|p| p.requests > 0)
                .map(|p| percentile.of(p))
                .reduce(f64::max)
        };
        a.median.push(worst(Percentile::P50));
        a.tail.push(worst(tail));
    }
    a
}

fn render_report(
    state: &SimulateState,
    report: &SimReport,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let verdict = if report.passed { "passed" } else { "FAILED" };
    let block = ui::block(
        format!("{} · seed {} · {verdict}", report.experiment, report.seed),
        false,
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let endpoints = entry_endpoints(report);
    let Some(&endpoint_name) = endpoints.get(state.endpoint.min(endpoints.len().saturating_sub(1)))
    else {
        Paragraph::new("The run measured no endpoint.").render(inner, buf);
        return;
    };
    let endpoint = &report.endpoints[endpoint_name];
    let n = buckets(report);
    // One gutter for chart titles and breaker edges, so every strip and chart shares the same
    // columns: a column is the same instant all the way down.
    let gutter = report
        .breakers
        .keys()
        .map(|k| k.chars().count())
        .chain([12])
        .max()
        .unwrap_or(12)
        .min(inner.width as usize / 3) as u16;
    let plot_width = inner.width.saturating_sub(gutter + 1) as usize;
    let columns = Columns::new(n, plot_width);
    let cursor = columns.of(state.cursor);
    let bucket_s = report.bucket_s;
    let faults: Vec<bool> = columns
        .ranges
        .iter()
        .map(|r| {
            let (from, to) = (r.start as f64 * bucket_s, r.end as f64 * bucket_s);
            report
                .faults
                .iter()
                .any(|f| f.start_s < to && f.end_s > from)
        })
        .collect();
    let agg = aggregate(&endpoint.series, &columns, bucket_s, state.percentile);

    // The readout is sized first, from its wrapped text: it is what the cursor is for, so the
    // charts shrink (to CHART_MIN rows each) and the breaker strips fold into "+N more" before
    // it loses a line. Fixed rows: header, fault row, axis.
    let breakers = report.breakers.len() as u16;
    let fixed = 3;
    let breakers_min = if breakers > 0 { 2 } else { 0 };
    let readout_room = inner
        .height
        .saturating_sub(fixed + 3 * CHART_MIN + breakers_min);
    let readout = readout_paragraph(
        report,
        endpoint_name,
        state.cursor,
        inner.width,
        readout_room,
        theme,
    );
    let readout_height = (readout.line_count(inner.width) as u16).min(readout_room);
    let room = inner.height.saturating_sub(fixed + readout_height);
    let breaker_rows = if breakers > 0 {
        breakers.min(room.saturating_sub(3 * CHART_MIN + 1).max(1))
    } else {
        0
    };
    let breaker_height = if breakers > 0 { breaker_rows + 1 } else { 0 };
    let chart_height = room.saturating_sub(breaker_height) / 3;
    let [
        header,
        c1,
        c2,
        c3,
        fault_area,
        axis,
        breaker_area,
        readout_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_height),
        Constraint::Length(chart_height),
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(breaker_height),
        Constraint::Min(0),
    ])
    .areas(inner);
    let plot = |area: Rect| {
        Rect::new(
            area.x + gutter + 1,
            area.y,
            area.width.saturating_sub(gutter + 1),
            area.height,
        )
    };

    let header_line = header_line(
        endpoint_name,
        (state.endpoint.min(endpoints.len() - 1) + 1, endpoints.len()),
        endpoint,
        header.width as usize,
        theme,
    );
    Paragraph::new(header_line).render(header, buf);
    let tail = Overlay {
        values: &agg.tail,
        glyph: chart::MARKER,
        bars_label: Percentile::P50.label(),
        label: state.percentile.label(),
    };
    for (area, title, unit, values, overlay) in [
        (c1, "throughput", " req/s", &agg.throughput, None),
        (c2, "error rate", "%", &agg.error_rate, None),
        (c3, "latency", " ms", &agg.median, Some(tail)),
    ] {
        Bars {
            title,
            unit,
            values,
            overlay,
            faults: &faults,
            cursor,
            gutter,
            theme,
        }
        .render(area, buf);
    }
    let fault_label = match report.faults.as_slice() {
        [] => String::new(),
        [f] => format!("{} {}", f.kind, f.target),
        [f, rest @ ..] => format!("{} {} +{}", f.kind, f.target, rest.len()),
    };
    buf.set_stringn(
        fault_area.x,
        fault_area.y,
        "faults",
        gutter as usize,
        theme.dim(),
    );
    chart::fault_row(&faults, &fault_label, cursor, theme, plot(fault_area), buf);
    chart::axis_row(
        columns.len(),
        cursor,
        ("0 s", &secs(report.duration_s)),
        theme,
        plot(axis),
        buf,
    );

    if breakers > 0 && breaker_area.height > 0 {
        buf.set_stringn(
            breaker_area.x,
            breaker_area.y,
            "breakers",
            gutter as usize,
            theme.dim(),
        );
        let legend = plot(breaker_area);
        buf.set_stringn(
            legend.x,
            legend.y,
            "─ closed  ▒ half-open  █ open",
            legend.width as usize,
            theme.dim(),
        );
        for (i, (edge, b)) in report
            .breakers
            .iter()
            .take(breaker_rows as usize)
            .enumerate()
        {
            let cells: Vec<BreakerCell> = columns
                .ranges
                .iter()
                .map(|r| {
                    let points = &b.series[r.start.min(b.series.len())..r.end.min(b.series.len())];
                    if points.iter().any(|(open, _)| *open > 0) {
                        BreakerCell::Open
                    } else if points.iter().any(|(_, half)| *half > 0) {
                        BreakerCell::HalfOpen
                    } else {
                        BreakerCell::Closed
                    }
                })
                .collect();
            let row = Rect::new(
                breaker_area.x,
                breaker_area.y + 1 + i as u16,
                breaker_area.width,
                1,
            );
            chart::breaker_row(edge, gutter as usize, &cells, cursor, theme, row, buf);
        }
        if breaker_rows < breakers {
            let more = format!(" +{} more ", breakers - breaker_rows);
            let y = breaker_area.y;
            let x = breaker_area.x + breaker_area.width.saturating_sub(more.len() as u16);
            buf.set_string(x, y, more, theme.dim());
        }
    }
    readout.render(readout_area, buf);
}

/// Rows each chart keeps however small the terminal.
const CHART_MIN: u16 = 2;

/// The time cursor's readout in at most `rows` rows of `width` when it can: every number at the
/// instant, then the verdict of each expectation over the run. Expectations that hold shrink
/// to their names first (one line for all of them), then every one does, before anything is
/// cut.
fn readout_paragraph(
    report: &SimReport,
    endpoint: &str,
    bucket: usize,
    width: u16,
    rows: u16,
    theme: Theme,
) -> Paragraph<'static> {
    let instant = readout_lines(report, endpoint, bucket, width as usize, theme);
    let mark = |holds: bool| {
        if holds {
            ("✓", theme.ok())
        } else {
            ("✗", theme.bad())
        }
    };
    let full = |e: &microcosm_simulator::report::ExpectationReport| {
        let (m, style) = mark(e.holds);
        Line::from(vec![
            Span::styled(format!("{m} {}", e.name), style),
            Span::styled(format!("  {}", e.detail), theme.dim()),
        ])
    };
    // Names joined on one wrapping line; a no-break space keeps each mark with its name.
    let names = |all: bool| {
        let spans: Vec<Span<'static>> = report
            .expectations
            .iter()
            .filter(|e| all || e.holds)
            .flat_map(|e| {
                let (m, style) = mark(e.holds);
                [
                    Span::styled(format!("{m}\u{a0}{}", e.name), style),
                    Span::raw("  "),
                ]
            })
            .collect();
        (!spans.is_empty()).then(|| Line::from(spans))
    };
    let every_detail: Vec<Line<'static>> = report.expectations.iter().map(full).collect();
    let failing_detail: Vec<Line<'static>> = names(false)
        .into_iter()
        .chain(report.expectations.iter().filter(|e| !e.holds).map(full))
        .collect();
    let no_detail: Vec<Line<'static>> = names(true).into_iter().collect();
    let candidates = [every_detail, failing_detail, no_detail];
    let paragraph = |expectations: &[Line<'static>]| {
        let mut lines = instant.clone();
        lines.extend(expectations.iter().cloned());
        Paragraph::new(lines).wrap(Wrap { trim: true })
    };
    candidates
        .iter()
        .map(|c| paragraph(c))
        .find(|p| p.line_count(width) <= rows as usize)
        .unwrap_or_else(|| paragraph(&candidates[2]))
}

/// Every number at the cursor's instant, broken where it reads best in `width` columns: the
/// rates, the percentiles, the faults and the breakers each start a line when they do not fit
/// on the one before.
fn readout_lines(
    report: &SimReport,
    endpoint: &str,
    bucket: usize,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let from = bucket as f64 * report.bucket_s;
    let to = from + report.bucket_s;
    let mut groups: Vec<Vec<Span<'static>>> = Vec::new();
    let mut rates = vec![Span::styled(
        format!("t {}–{}", ui::compact(from), secs(to)).replace(".0–", "–"),
        theme.key(),
    )];
    if let Some(p) = report.endpoints[endpoint].series.get(bucket) {
        let error_rate = if p.requests > 0 {
            format!("{:.1}%", p.errors as f64 / p.requests as f64 * 100.0)
        } else {
            "–".to_owned()
        };
        let degraded = if p.degraded > 0 {
            format!(" · {} degraded", p.degraded)
        } else {
            String::new()
        };
        rates.push(Span::raw(format!(
            "  {} req/s · {error_rate} errors{degraded}",
            ui::compact(p.requests as f64 / report.bucket_s),
        )));
        groups.push(rates);
        // A bucket with no request has no latency: its percentiles are not 0 ms.
        groups.push(vec![Span::raw(if p.requests > 0 {
            format!(
                "p50 {} · p90 {} · p99 {} · p99.9 {} ms",
                ui::compact(p.p50_ms),
                ui::compact(p.p90_ms),
                ui::compact(p.p99_ms),
                ui::compact(p.p999_ms)
            )
        } else {
            "p50 – · p90 – · p99 – · p99.9 –".to_owned()
        })]);
    } else {
        groups.push(rates);
    }
    let active: Vec<String> = report
        .faults
        .iter()
        .filter(|f| f.start_s < to && f.end_s > from)
        .map(|f| format!("{} {}", f.kind, f.target))
        .collect();
    if !active.is_empty() {
        groups.push(vec![Span::styled(
            format!("faults: {}", active.join(", ")),
            theme.fault_marker(),
        )]);
    }
    let breakers: Vec<String> = report
        .breakers
        .iter()
        .filter_map(|(edge, b)| {
            let (open, half) = *b.series.get(bucket)?;
            (open > 0 || half > 0).then(|| {
                let mut parts = Vec::new();
                if open > 0 {
                    parts.push(format!("{open}/{} open", b.replicas));
                }
                if half > 0 {
                    parts.push(format!("{half}/{} half-open", b.replicas));
                }
                format!("{edge} {}", parts.join(", "))
            })
        })
        .collect();
    if !breakers.is_empty() {
        groups.push(vec![Span::styled(
            format!("breakers: {}", breakers.join("; ")),
            theme.warn(),
        )]);
    }
    if active.is_empty() && breakers.is_empty() {
        groups.push(vec![Span::styled(
            "no fault active, every breaker closed",
            theme.dim(),
        )]);
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    for group in groups {
        let joined: usize = current.iter().map(Span::width).sum::<usize>()
            + 3
            + group.iter().map(Span::width).sum::<usize>();
        if !current.is_empty() && joined <= width {
            current.push(Span::raw(" · "));
            current.extend(group);
        } else {
            if !current.is_empty() {
                lines.push(Line::from(std::mem::take(&mut current)));
            }
            current = group;
        }
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}
