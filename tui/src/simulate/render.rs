//! Drawing the Simulate tab: the experiment list with the seed and run status, and beside it
//! the selected experiment as declared, its run's progress, or (through `charts`) its finished
//! report. It only reads [`SimulateState`]; keys and worker messages change that state in the
//! parent module, so what is drawn and what changes it can be read apart.

use microcosm_model::diagnostic::count;
use microcosm_model::{ExpectedVerdict, Judged, Scenario};
use microcosm_simulator::SimReport;
use microcosm_simulator::report::ExpectationReport;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Widget, Wrap};

use super::charts::render_report;
use super::{SimRun, SimulateState};
use crate::{Theme, ui};

/// Draws the tab from its own state and the scenario whose experiments it runs; nothing else
/// of the app.
pub(crate) fn render(
    state: &SimulateState,
    scenario: &Scenario,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
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
                // A violation the scenario declares is a pass of the gate, as in `check`.
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

pub(super) fn secs(x: f64) -> String {
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
    // What the gate judges, by the rule `check` and `simulate` share: without `expect.slos`,
    // every SLO the load reaches.
    let judged = scenario.judged(e);
    if judged.len() > 1 {
        lines.push(Line::styled("Expects", theme.title()));
        for j in &judged {
            // What must hold, and the words that say it must.
            let (what, holds) = match *j {
                Judged::Slo { name, listed: None } => {
                    (format!("SLO {name}"), " holds (its load reaches it)")
                }
                Judged::Slo { name, .. } => (format!("SLO {name}"), " holds"),
                Judged::RetryAmplification(a) => (format!("retry amplification at most {a}"), ""),
                Judged::Alert(alert, within) => (
                    format!("alert {alert} fires within {within} s of the first fault"),
                    "",
                ),
                Judged::Conservation => continue,
            };
            let declared = scenario.expected_verdict(&j.check_id(name));
            lines.push(if declared == Some(ExpectedVerdict::Violated) {
                Line::from(vec![
                    Span::raw(format!("  {what}")),
                    Span::styled(": expected to fail", theme.dim()),
                ])
            } else {
                Line::raw(format!("  {what}{holds}"))
            });
        }
    }
    lines
}

fn fault_phrase(f: &microcosm_model::Fault) -> String {
    use microcosm_model::FaultAction;
    match f.action() {
        Some(FaultAction::Crash { service, replicas }) => match replicas {
            Some(n) => format!("crash {} of {service}", count(f64::from(n), "replica")),
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

/// The verdict in a report's title: "failed, as expected" when every violation in the run is
/// one the scenario declares in `[expected_verdicts]` (the gate passes, as `check` says), so a
/// known bug never reads as a new failure.
pub(super) fn verdict_word(report: &SimReport) -> &'static str {
    if report.failed_as_expected() {
        "failed, as expected"
    } else if report.passed {
        "passed"
    } else {
        "FAILED"
    }
}

/// An expectation's mark, the words after its name, and its colour: a declared violation is
/// marked as failing but coloured as passing and says so.
pub(super) fn expectation_mark(
    e: &ExpectationReport,
    theme: Theme,
) -> (&'static str, &'static str, Style) {
    match (e.holds, e.passes()) {
        (true, true) => ("✓", "", theme.ok()),
        (false, true) => ("✗", ", as expected", theme.ok()),
        (true, false) => ("✓", " (expected to fail)", theme.bad()),
        (false, false) => ("✗", "", theme.bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crash(replicas: &str) -> microcosm_model::Fault {
        serde_json::from_str(&format!(
            r#"{{ "at_s": 60, "for_s": 60, "crash": "custody"{replicas} }}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_crash_names_its_replicas_in_their_number() {
        assert_eq!(
            fault_phrase(&crash(r#", "replicas": 1"#)),
            "crash 1 replica of custody"
        );
        assert_eq!(
            fault_phrase(&crash(r#", "replicas": 2"#)),
            "crash 2 replicas of custody"
        );
        assert_eq!(fault_phrase(&crash("")), "crash custody");
    }
}
