//! The Verify tab: every model-checking job of the scenario (`microcosm_checker::scenario::jobs`)
//! as rows of transaction × property with their verdicts. A check runs on a worker thread and
//! its row shows live progress (unique states, depth, states per second) while the table stays
//! responsive; Enter on a violated property opens the trace [`Stepper`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use microcosm_checker::catalogue::{self, PropertyKind};
use microcosm_checker::scenario::{Job, jobs};
use microcosm_checker::{CheckOptions, Lasso, Progress, Status, Verdict};
use microcosm_model::{LoadedScenario, Scenario, Target};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::stepper::{self, Stepper};
use crate::{Action, Effect, Msg, Options, SourceView, Theme, ui};

/// Where a job is.
#[derive(Debug, Clone)]
pub enum JobState {
    /// Not checked yet.
    NotRun,
    /// Waiting for an earlier job of the same run.
    Queued,
    /// Being checked: the latest report of each search the check has started (safety,
    /// liveness), in the order they started, so the last is the one running now; empty
    /// until the first report. Each row shows its own search's, not the job's latest: a
    /// liveness row showed the safety search's counts, and six rows the same frozen ones.
    Running(Vec<Progress>),
    /// Checked: one verdict per property.
    Done(Vec<Verdict>),
    /// The check could not run.
    Failed(String),
}

/// One job and where it is.
#[derive(Debug, Clone)]
pub struct JobEntry {
    /// The job.
    pub job: Job,
    /// Its state.
    pub state: JobState,
    /// The batch it is queued or running in; messages of any other batch are ignored.
    batch: Option<u64>,
    /// Its state before it was queued, restored if the check is cancelled.
    before: Option<Box<JobState>>,
}

/// The Verify tab's state.
#[derive(Debug, Clone)]
pub struct VerifyState {
    /// The jobs, in the checker's order.
    pub jobs: Vec<JobEntry>,
    /// The table's rows: (job index, property id).
    pub rows: Vec<(usize, &'static str)>,
    /// The selected row.
    pub selected: usize,
    /// The counterexample being stepped through, if one is open.
    pub stepper: Option<Stepper>,
    options: CheckOptions,
    /// The number of the next batch of checks.
    next_batch: u64,
    /// The cancel flags of the batches that may still be running.
    batches: Vec<(u64, Arc<AtomicBool>)>,
}

impl VerifyState {
    pub(crate) fn new(scenario: &Scenario, options: &Options) -> VerifyState {
        let jobs: Vec<JobEntry> = jobs(scenario)
            .into_iter()
            .map(|job| JobEntry {
                job,
                state: JobState::NotRun,
                batch: None,
                before: None,
            })
            .collect();
        let rows = jobs
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.job.properties().into_iter().map(move |p| (i, p)))
            .collect();
        VerifyState {
            jobs,
            rows,
            selected: 0,
            stepper: None,
            options: CheckOptions {
                max_states: options.max_states,
                timeout: options.check_timeout,
                ..CheckOptions::default()
            },
            next_batch: 0,
            batches: Vec::new(),
        }
    }

    pub(crate) fn is_busy(&self) -> bool {
        self.jobs
            .iter()
            .any(|j| matches!(j.state, JobState::Queued | JobState::Running(_)))
    }

    /// The verdict of a row, once its job is done.
    pub fn verdict(&self, row: usize) -> Option<&Verdict> {
        let (job, property) = *self.rows.get(row)?;
        match &self.jobs[job].state {
            JobState::Done(verdicts) => verdicts.iter().find(|v| v.property == property),
            _ => None,
        }
    }

    /// Selects the first row of the job `subject`; false when there is none.
    pub fn select_subject(&mut self, subject: &str) -> bool {
        match self
            .rows
            .iter()
            .position(|(j, _)| self.jobs[*j].job.subject == subject)
        {
            Some(row) => {
                self.selected = row;
                self.stepper = None;
                true
            }
            None => false,
        }
    }

    fn select(&mut self, row: usize) {
        if !self.rows.is_empty() {
            self.selected = row.min(self.rows.len() - 1);
        }
    }

    /// Queues the jobs `indices` that are not already queued or running.
    fn run(&mut self, indices: impl IntoIterator<Item = usize>) -> Option<Action> {
        let number = self.next_batch;
        let mut batch = Vec::new();
        let mut any = false;
        for i in indices {
            any = true;
            let entry = &mut self.jobs[i];
            if matches!(entry.state, JobState::Queued | JobState::Running(_)) {
                continue;
            }
            entry.before = Some(Box::new(std::mem::replace(
                &mut entry.state,
                JobState::Queued,
            )));
            entry.batch = Some(number);
            batch.push((i, entry.job.clone()));
        }
        if !any {
            return Some(Action::Status("nothing to check".to_owned()));
        }
        if batch.is_empty() {
            return Some(Action::Status("already running".to_owned()));
        }
        self.next_batch += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.batches
            .retain(|(b, _)| self.jobs.iter().any(|j| j.batch == Some(*b)));
        self.batches.push((number, cancel.clone()));
        Some(Action::Effect(Effect::Check {
            batch: number,
            cancel,
            jobs: batch,
            options: self.options.clone(),
        }))
    }

    /// Abandons every queued and running check: each row goes back to what it showed before,
    /// and whatever the workers still send is ignored. The number of checks abandoned.
    pub(crate) fn cancel(&mut self) -> usize {
        for (_, flag) in self.batches.drain(..) {
            flag.store(true, Ordering::Relaxed);
        }
        let mut cancelled = 0;
        for entry in &mut self.jobs {
            if matches!(entry.state, JobState::Queued | JobState::Running(_)) {
                entry.state = entry.before.take().map_or(JobState::NotRun, |b| *b);
                cancelled += 1;
            }
            entry.batch = None;
        }
        cancelled
    }

    pub(crate) fn on_key(&mut self, key: KeyEvent, loaded: &LoadedScenario) -> Option<Action> {
        if let Some(stepper) = &mut self.stepper {
            if !stepper.on_key(key) {
                self.stepper = None;
            }
            return None;
        }
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.select(self.selected + 1),
            KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
            KeyCode::PageDown => self.select(self.selected + 10),
            KeyCode::PageUp => self.select(self.selected.saturating_sub(10)),
            KeyCode::Home | KeyCode::Char('g') => self.select(0),
            KeyCode::End | KeyCode::Char('G') => self.select(usize::MAX),
            KeyCode::Enter => {
                let (job, property) = *self.rows.get(self.selected)?;
                if let Some(verdict) = self.verdict(self.selected) {
                    if let Some(trace) = &verdict.counterexample {
                        self.stepper = Some(Stepper::new(
                            self.jobs[job].job.subject.clone(),
                            property,
                            trace.clone(),
                        ));
                        return None;
                    }
                    if verdict.status.is_violated() {
                        return Some(Action::Status(
                            "this violation has no trace to step through".to_owned(),
                        ));
                    }
                }
                return self.run([job]);
            }
            KeyCode::Char('r') => {
                let (job, _) = *self.rows.get(self.selected)?;
                return self.run([job]);
            }
            KeyCode::Char('a') => return self.run(0..self.jobs.len()),
            KeyCode::Char('x') if self.is_busy() => {
                let n = self.cancel();
                return Some(Action::Status(if n == 1 {
                    "check cancelled".to_owned()
                } else {
                    format!("{n} checks cancelled")
                }));
            }
            KeyCode::Char('s') => {
                let (job, _) = *self.rows.get(self.selected)?;
                let job = &self.jobs[job].job;
                return Some(Action::Source(SourceView {
                    title: job.at.to_string(),
                    location: loaded.locate(&job.at, Target::Key),
                }));
            }
            _ => {}
        }
        None
    }

    pub(crate) fn on_message(&mut self, msg: Msg) {
        match msg {
            // A message about a job that is no longer queued in that batch (it was cancelled,
            // maybe queued again since) is a late worker's and changes nothing.
            Msg::CheckStarted { batch, job } => {
                if let Some(e) = self.jobs.get_mut(job)
                    && e.batch == Some(batch)
                {
                    e.state = JobState::Running(Vec::new());
                }
            }
            Msg::CheckProgress {
                batch,
                job,
                progress,
            } => {
                if let Some(e) = self.jobs.get_mut(job)
                    && e.batch == Some(batch)
                    && let JobState::Running(searches) = &mut e.state
                {
                    // A search run again (a breaker re-checked on exact counts) replaces its
                    // earlier report and becomes the running one.
                    searches.retain(|s| s.phase != progress.phase);
                    searches.push(progress);
                }
            }
            Msg::CheckDone { batch, job, result } => {
                if let Some(e) = self.jobs.get_mut(job)
                    && e.batch == Some(batch)
                {
                    e.state = match result {
                        Ok(verdicts) => JobState::Done(verdicts),
                        Err(why) => JobState::Failed(why),
                    };
                    e.batch = None;
                    e.before = None;
                }
            }
            _ => {}
        }
    }

    pub(crate) fn hints(&self) -> Vec<(&'static str, &'static str)> {
        if self.stepper.is_some() {
            return vec![("←→", "step"), ("Home/End", "first/last"), ("Esc", "back")];
        }
        if self.rows.is_empty() {
            return Vec::new();
        }
        // Enter steps through a trace, checks a row not known violated, and on a violation
        // with no trace (decided without a search) only says so: no hint then.
        let verdict = self.verdict(self.selected);
        let enter = match verdict {
            Some(v) if v.counterexample.is_some() => Some(("⏎", "trace")),
            Some(v) if v.status.is_violated() => None,
            _ => Some(("⏎", "check")),
        };
        let mut hints = vec![("↑↓", "select")];
        hints.extend(enter);
        if self.is_busy() {
            hints.push(("x", "cancel"));
        }
        hints.extend([("r", "re-run"), ("a", "run all"), ("s", "source")]);
        hints
    }
}

fn status_span(state: &JobState, verdict: Option<&Verdict>, theme: Theme) -> Span<'static> {
    match (state, verdict) {
        (JobState::NotRun, _) => Span::styled("not run", theme.dim()),
        (JobState::Queued, _) => Span::styled("queued", theme.busy()),
        (JobState::Running(_), _) => Span::styled("checking…", theme.busy()),
        (JobState::Failed(_), _) => Span::styled("error", theme.bad()),
        (JobState::Done(_), None) => Span::styled("not reported", theme.warn()),
        (JobState::Done(_), Some(v)) => match &v.status {
            Status::Holds => Span::styled("holds", theme.ok()),
            Status::Violated => Span::styled("VIOLATED", theme.bad()),
            Status::Inconclusive { .. } => Span::styled("inconclusive", theme.warn()),
        },
    }
}

/// The search that decides `property`, as the checker names it in its progress reports:
/// `"liveness"` for the fair-cycle search, `"safety"` for the others; `None` for a property
/// decided from the configuration, with no search.
pub fn search_of(property: &str) -> Option<&'static str> {
    match catalogue::lookup(property).map(|p| p.kind) {
        Some(PropertyKind::Liveness) => Some("liveness"),
        Some(PropertyKind::Static) => None,
        Some(PropertyKind::Safety | PropertyKind::Reachability) | None => Some("safety"),
    }
}

/// The latest report of `property`'s own search, and whether that search is the one running.
fn own_search<'a>(searches: &'a [Progress], property: &str) -> Option<(&'a Progress, bool)> {
    let phase = search_of(property)?;
    let position = searches.iter().position(|p| p.phase == phase)?;
    Some((&searches[position], position + 1 == searches.len()))
}

/// Columns of the states column.
const STATES_WIDTH: usize = 9;

/// A state count for the states column: grouped while it fits (`1,234,567`), compact beyond
/// (`10.5M`), so a big search never pushes the depth out of its column. The detail pane keeps
/// the exact count.
fn states_cell(n: u64) -> String {
    let exact = ui::thousands(n);
    if exact.chars().count() <= STATES_WIDTH {
        exact
    } else {
        ui::compact(n as f64)
    }
}

/// Columns of the states-per-second column ("states/s" and `1.2M`).
const RATE_WIDTH: usize = 8;

/// States per second from a progress report (0 before any time has passed).
fn rate(generated: u64, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s > 0.0 { generated as f64 / s } else { 0.0 }
}

/// Draws the tab from its own state (the jobs, their verdicts, the stepper); nothing else of
/// the app.
pub(crate) fn render(state: &VerifyState, theme: Theme, area: Rect, buf: &mut Buffer) {
    if let Some(stepper) = &state.stepper {
        stepper::render(stepper, theme, area, buf);
        return;
    }
    if state.rows.is_empty() {
        let block = ui::block("Checks", true, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(vec![
            Line::raw(
                "This scenario declares nothing to model-check: no transaction, no resilience \
                 policy, no retry-amplification bound.",
            ),
            Line::styled(
                "Add a [transactions.NAME] table (protocol = \"two_phase_commit\" or \"saga\").",
                theme.dim(),
            ),
        ])
        .wrap(Wrap { trim: true })
        .render(inner, buf);
        return;
    }
    // The detail pane gets the lines it needs (the verdict's reason can take several) out of the
    // rows the table does not need, and never less than it always had.
    let detail = detail_lines(state, theme);
    let table_needs = state.rows.len() as u16 + 3;
    let detail_wanted = Paragraph::new(detail.clone())
        .wrap(Wrap { trim: true })
        .line_count(area.width.saturating_sub(2)) as u16
        + 2;
    let detail_height = detail_wanted
        .min(area.height.saturating_sub(table_needs))
        .max(6u16.min(area.height / 3).max(4))
        .min(area.height);
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(detail_height)]).areas(area);

    let done = state
        .jobs
        .iter()
        .filter(|j| matches!(j.state, JobState::Done(_)))
        .count();
    let block = ui::block(
        format!(
            "Transactions × properties ({done}/{} checked)",
            state.jobs.len()
        ),
        true,
        theme,
    );
    let inner = block.inner(table_area);
    block.render(table_area, buf);
    let width = inner.width as usize;
    // While a check runs, each running row shows its speed in a column of its own; the column
    // is there only then, so the names keep their room when every row is settled.
    let running = state
        .jobs
        .iter()
        .any(|j| matches!(j.state, JobState::Running(_)));
    let rate_width = if running { RATE_WIDTH + 2 } else { 0 };
    // verdict, states and depth take 12 + 9 + 5 columns and the gaps 8: the names share the
    // rest. The subject (a transaction, policy or experiment) gets whatever the property
    // column does not need, and at least two fifths when it needs them.
    let names = width.saturating_sub(12 + STATES_WIDTH + 5 + 8 + rate_width);
    let property_needs = state
        .rows
        .iter()
        .map(|(_, p)| p.chars().count())
        .max()
        .unwrap_or(0)
        .max("property".len());
    let subject_width = state
        .jobs
        .iter()
        .map(|j| j.job.subject.chars().count())
        .max()
        .unwrap_or(0)
        .max("subject".len())
        .min(names.saturating_sub(property_needs).max(names * 2 / 5));
    let property_width = property_needs.min(names.saturating_sub(subject_width));
    let mut lines = vec![Line::styled(
        format!(
            "{:<subject_width$}  {:<property_width$}  {:<12}  {:>STATES_WIDTH$}  {:>5}{}",
            "subject",
            "property",
            "verdict",
            "states",
            "depth",
            if running {
                format!("  {:>RATE_WIDTH$}", "states/s")
            } else {
                String::new()
            }
        ),
        theme.dim(),
    )];
    let height = (inner.height as usize).saturating_sub(1);
    let first = ui::scroll_to(state.selected, height, state.rows.len());
    for (row, (job, property)) in state.rows.iter().enumerate().skip(first).take(height) {
        let entry = &state.jobs[*job];
        let verdict = state.verdict(row);
        // The subject is written once per job, on its first row.
        let subject = if row > 0 && state.rows[row - 1].0 == *job && row != first {
            String::new()
        } else {
            ui::truncate(&entry.job.subject, subject_width)
        };
        let (states, depth, speed) = match (&entry.state, verdict) {
            (JobState::Done(_), Some(v)) if v.stats.unique_states > 0 => (
                states_cell(v.stats.unique_states),
                v.stats.max_depth.to_string(),
                String::new(),
            ),
            (JobState::Running(searches), _) => match own_search(searches, property) {
                Some((p, running)) => (
                    states_cell(p.unique_states),
                    p.max_depth.to_string(),
                    // A search that is over has no speed any more.
                    if running {
                        ui::compact(rate(p.states_generated, p.elapsed))
                    } else {
                        String::new()
                    },
                ),
                None => (String::new(), String::new(), String::new()),
            },
            _ => (String::new(), String::new(), String::new()),
        };
        let status = status_span(&entry.state, verdict, theme);
        let status_width = status.width();
        let mut line = Line::from(vec![
            Span::raw(format!(
                "{subject:<subject_width$}  {:<property_width$}  ",
                ui::truncate(property, property_width)
            )),
            status,
            Span::raw(format!(
                "{:pad$}  {states:>STATES_WIDTH$}  {depth:>5}",
                "",
                pad = 12usize.saturating_sub(status_width)
            )),
        ]);
        if running {
            line.push_span(Span::styled(
                format!("  {speed:>RATE_WIDTH$}"),
                theme.busy(),
            ));
        }
        if row == state.selected {
            line = line.patch_style(theme.selected());
        }
        lines.push(line);
    }
    Paragraph::new(lines).render(inner, buf);

    render_detail(state, detail, theme, detail_area, buf);
}

fn render_detail(
    state: &VerifyState,
    lines: Vec<Line<'static>>,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let Some(&(job, property)) = state.rows.get(state.selected) else {
        return;
    };
    let block = ui::block(
        format!("{} · {property}", state.jobs[job].job.subject),
        false,
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}

/// How a verdict that explored no state was reached, for properties the checker decides
/// without a search (their verdicts say "0 unique states", which is not the reason).
fn decided_by(property: &str) -> &'static str {
    match property {
        catalogue::RETRY_AMPLIFICATION => "from the call graph and retry policies",
        catalogue::SAGA_PIVOT_RULE => "from the order of the saga's steps",
        _ => "from the scenario's definition alone",
    }
}

/// The selected row's detail: what the property means and where its check is.
fn detail_lines(state: &VerifyState, theme: Theme) -> Vec<Line<'static>> {
    let Some(&(job, property)) = state.rows.get(state.selected) else {
        return Vec::new();
    };
    let entry = &state.jobs[job];
    let info = catalogue::lookup(property);
    let summary = info.map(|info| Line::styled(info.summary.to_owned(), theme.dim()));
    let mut lines = Vec::new();
    // A verdict decided without a search leads with its reason (the notes), the summary last,
    // so the reason is what a small terminal shows.
    let searched = |v: &Verdict| {
        v.stats.unique_states > 0 || info.is_some_and(|i| i.kind == PropertyKind::Reachability)
    };
    let decided = match (&entry.state, state.verdict(state.selected)) {
        (JobState::Done(_), Some(v)) if !searched(v) && !v.status.is_inconclusive() => Some(v),
        _ => None,
    };
    if let Some(v) = decided {
        let (word, style) = if v.status.is_violated() {
            ("Violated", theme.bad())
        } else {
            ("Holds", theme.ok())
        };
        lines.push(Line::from(vec![
            Span::styled(word, style),
            Span::raw(format!(
                " (decided {}, no state search){}",
                decided_by(property),
                if v.options.notes.is_empty() { "." } else { ":" }
            )),
        ]));
        // What breaks the bound first: with many entry endpoints the ones within it would
        // push the ones over it out of a small pane.
        let (over, within): (Vec<&String>, Vec<&String>) = v
            .options
            .notes
            .iter()
            .partition(|n| n.contains("over the bound"));
        lines.extend(
            over.into_iter()
                .map(|n| Line::styled(n.clone(), theme.bad())),
        );
        lines.extend(
            within
                .into_iter()
                .map(|n| Line::styled(n.clone(), theme.text())),
        );
        lines.extend(summary);
        return lines;
    }
    lines.extend(summary);
    match (&entry.state, state.verdict(state.selected)) {
        (JobState::NotRun, _) => lines.push(Line::from(vec![
            Span::raw("Not checked yet: "),
            Span::styled("⏎", theme.key()),
            Span::raw(" checks this row's subject, "),
            Span::styled("a", theme.key()),
            Span::raw(" checks them all."),
        ])),
        (JobState::Queued, _) => lines.push(Line::styled(
            "Queued behind the check running now.",
            theme.busy(),
        )),
        (JobState::Running(searches), _) if searches.is_empty() => {
            lines.push(Line::styled("Starting…", theme.busy()));
        }
        (JobState::Running(searches), _) => {
            let counts = |p: &Progress| {
                format!(
                    "{} unique states · {} generated · depth {}",
                    ui::thousands(p.unique_states),
                    ui::thousands(p.states_generated),
                    p.max_depth,
                )
            };
            let now = searches.last().expect("not empty");
            // One search decides several rows: say so, or equal counts look like a fault.
            let sharing = state
                .rows
                .iter()
                .filter(|(j, p)| *j == job && search_of(p) == search_of(property))
                .count();
            let shared = if sharing > 1 {
                format!(" (one search for {sharing} properties)")
            } else {
                String::new()
            };
            lines.push(Line::styled(
                match (search_of(property), own_search(searches, property)) {
                    (_, Some((p, true))) => format!(
                        "{} search{shared}: {} · {} states/s",
                        p.phase,
                        counts(p),
                        ui::compact(rate(p.states_generated, p.elapsed)),
                    ),
                    (_, Some((p, false))) => format!(
                        "{} search{shared} done: {}; the {} search runs now.",
                        p.phase,
                        counts(p),
                        now.phase
                    ),
                    (Some(phase), None) => format!(
                        "Waiting for the {phase} search: the {} search runs first.",
                        now.phase
                    ),
                    (None, None) => format!(
                        "Decided from the configuration once the check is done; the {} \
                         search runs now.",
                        now.phase
                    ),
                },
                theme.busy(),
            ));
        }
        (JobState::Failed(why), _) => lines.push(Line::styled(
            format!("The check failed: {why}"),
            theme.bad(),
        )),
        (JobState::Done(_), None) => lines.push(Line::raw("The checker reported no verdict.")),
        (JobState::Done(_), Some(v)) => {
            let explored = format!(
                "{} unique states ({} generated), depth {}",
                ui::thousands(v.stats.unique_states),
                ui::thousands(v.stats.states_generated),
                v.stats.max_depth
            );
            match &v.status {
                Status::Holds => lines.push(Line::from(vec![
                    Span::styled("Holds", theme.ok()),
                    Span::raw(format!(" on every reachable state: {explored}.")),
                ])),
                Status::Violated => match &v.counterexample {
                    Some(trace) => lines.push(Line::from(vec![
                        Span::styled("Violated", theme.bad()),
                        Span::raw(format!(
                            " by a {}-step trace{}: ",
                            trace.steps.len(),
                            match trace.lasso {
                                Some(Lasso::Stutter) => " that then stalls forever",
                                Some(Lasso::Cycle { .. }) => " that then cycles forever",
                                None => "",
                            }
                        )),
                        Span::styled("⏎", theme.key()),
                        Span::raw(" steps through it."),
                    ])),
                    None => lines.push(Line::from(vec![
                        Span::styled("Violated", theme.bad()),
                        Span::raw(format!(": no reachable state satisfies it ({explored}).")),
                    ])),
                },
                Status::Inconclusive { reason } => lines.push(Line::from(vec![
                    Span::styled("Inconclusive", theme.warn()),
                    Span::raw(if v.stats.unique_states > 0 {
                        format!(": {reason}. Explored {explored}.")
                    } else {
                        format!(": {reason}.")
                    }),
                ])),
            }
            // What would fix it, as `verify` and `check` say it.
            if let Some(fix) = &v.fix {
                lines.push(Line::from(vec![
                    Span::styled("Fix: ", theme.key()),
                    Span::raw(fix.clone()),
                ]));
            }
            let reason = v.status.to_string();
            for note in v
                .options
                .notes
                .iter()
                .filter(|n| !reason.contains(n.as_str()))
            {
                lines.push(Line::styled(note.clone(), theme.dim()));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_count_never_overflows_its_column() {
        assert_eq!(states_cell(9_999_999), "9,999,999");
        assert_eq!(states_cell(10_469_937), "10.5M");
        for n in [10_000_000, 999_999_999, 1_234_567_890_123] {
            assert!(states_cell(n).chars().count() <= STATES_WIDTH, "{n}");
        }
    }
}
