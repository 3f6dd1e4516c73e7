//! The Architecture tab: the services with their replicas and zones on the left; on the right
//! either the selected service as its six-tuple `(F, A, D, I, S, R)` with its deployment, who
//! calls it and whom it calls (with the policy on each edge), or the call tree of every entry
//! endpoint, with parallel groups, call probabilities, policies and the static retry
//! amplification from `microcosm_model::resilience`.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent};
use microcosm_model::resilience::amplification::entry_amplification;
use microcosm_model::{
    CallStep, Distribution, LoadedScenario, Pointer, Policy, Scenario, ServiceState, Target,
};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::{Action, SourceView, Theme, ui};

/// Which view the right-hand pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchitectureView {
    /// The selected service's six-tuple, deployment and edges.
    Service,
    /// The call tree of every entry endpoint.
    CallTree,
}

/// The Architecture tab's state.
#[derive(Debug, Clone)]
pub struct ArchitectureState {
    /// The services, in name order.
    pub services: Vec<String>,
    /// The selected service's index.
    pub selected: usize,
    /// The right-hand pane's view.
    pub view: ArchitectureView,
    /// Lines scrolled off the top of the right-hand pane.
    pub scroll: usize,
}

/// Lines a page key scrolls.
const PAGE: usize = 10;

impl ArchitectureState {
    pub(crate) fn new(scenario: &Scenario) -> ArchitectureState {
        ArchitectureState {
            services: scenario.services.keys().cloned().collect(),
            selected: 0,
            view: ArchitectureView::Service,
            scroll: 0,
        }
    }

    /// The selected service's name.
    pub fn selected_service(&self) -> Option<&str> {
        self.services.get(self.selected).map(String::as_str)
    }

    /// Selects `name`; false when there is no such service.
    pub fn select_service(&mut self, name: &str) -> bool {
        match self.services.iter().position(|s| s == name) {
            Some(i) => {
                self.selected = i;
                self.scroll = 0;
                true
            }
            None => false,
        }
    }

    fn select(&mut self, index: usize) {
        if !self.services.is_empty() {
            self.selected = index.min(self.services.len() - 1);
            if self.view == ArchitectureView::Service {
                self.scroll = 0;
            }
        }
    }

    pub(crate) fn on_key(&mut self, key: KeyEvent, loaded: &LoadedScenario) -> Option<Action> {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.select(self.selected + 1),
            KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => self.select(0),
            KeyCode::End | KeyCode::Char('G') => self.select(usize::MAX),
            KeyCode::Enter | KeyCode::Char('v') => {
                self.view = match self.view {
                    ArchitectureView::Service => ArchitectureView::CallTree,
                    ArchitectureView::CallTree => ArchitectureView::Service,
                };
                self.scroll = 0;
            }
            KeyCode::PageDown | KeyCode::Char('J') => {
                let len = self.pane_lines(&loaded.scenario, Theme::monochrome()).len();
                self.scroll = (self.scroll + PAGE).min(len.saturating_sub(1));
            }
            KeyCode::PageUp | KeyCode::Char('K') => self.scroll = self.scroll.saturating_sub(PAGE),
            KeyCode::Char('s') => {
                let name = self.selected_service()?;
                let at = Pointer::root().key("services").key(name);
                return Some(Action::Source(SourceView {
                    title: format!("services.{name}"),
                    location: loaded.locate(&at, Target::Key),
                }));
            }
            _ => {}
        }
        None
    }

    pub(crate) fn hints(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("↑↓", "service"),
            (
                "⏎",
                match self.view {
                    ArchitectureView::Service => "call tree",
                    ArchitectureView::CallTree => "service",
                },
            ),
            ("PgDn", "scroll"),
            ("s", "source"),
        ]
    }

    fn pane_lines(&self, scenario: &Scenario, theme: Theme) -> Vec<Line<'static>> {
        match self.view {
            ArchitectureView::Service => match self.selected_service() {
                Some(name) => service_lines(scenario, name, theme),
                None => vec![Line::raw("This scenario declares no services.")],
            },
            ArchitectureView::CallTree => call_tree_lines(scenario, self.selected_service(), theme),
        }
    }
}

/// Draws the tab from its own state and the scenario it shows; nothing else of the app.
pub(crate) fn render(
    state: &ArchitectureState,
    scenario: &Scenario,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let list_width = state
        .services
        .iter()
        .map(|s| s.chars().count() + 8)
        .max()
        .unwrap_or(12)
        .clamp(16, (area.width / 3).max(16) as usize) as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(0)]).areas(area);

    let block = ui::block(format!("Services ({})", state.services.len()), true, theme);
    let inner = block.inner(left);
    block.render(left, buf);
    let height = inner.height as usize;
    let first = ui::scroll_to(state.selected, height, state.services.len());
    let name_width = (inner.width as usize).saturating_sub(6);
    let lines: Vec<Line> = state
        .services
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, name)| {
            let d = scenario.deployment_of(name);
            let zones = if d.zones.is_empty() {
                String::new()
            } else {
                format!("{}z", d.zones.len())
            };
            let label = format!(
                "{:<name_width$}{:>3}{:>3}",
                ui::truncate(name, name_width),
                format!("×{}", d.replicas),
                zones
            );
            let style = if i == state.selected {
                theme.selected()
            } else {
                theme.text()
            };
            Line::styled(label, style)
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);

    let title = match (state.view, state.selected_service()) {
        (ArchitectureView::Service, Some(name)) => format!("Service {name}"),
        (ArchitectureView::Service, None) => "Service".to_owned(),
        (ArchitectureView::CallTree, _) => "Call trees of the entry endpoints".to_owned(),
    };
    let block = ui::block(title, false, theme);
    let inner = block.inner(right);
    block.render(right, buf);
    let lines = state.pane_lines(scenario, theme);
    let scroll = state.scroll.min(lines.len().saturating_sub(1));
    // A tree keeps its shape only unwrapped, so its long lines are cut, with a mark; prose
    // reads better wrapped.
    match state.view {
        ArchitectureView::Service => Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .wrap(Wrap { trim: false })
            .render(inner, buf),
        ArchitectureView::CallTree => Paragraph::new(
            lines
                .into_iter()
                .map(|l| ui::truncate_line(l, inner.width as usize))
                .collect::<Vec<_>>(),
        )
        .scroll((scroll as u16, 0))
        .render(inner, buf),
    }
}

fn label(tag: &'static str, theme: Theme) -> Span<'static> {
    Span::styled(format!("{tag:<2}"), theme.key())
}

fn heading(text: &str, theme: Theme) -> Line<'static> {
    Line::styled(text.to_owned(), theme.title())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn ms(x: f64) -> String {
    if x >= 1000.0 && (x / 1000.0).fract() == 0.0 {
        format!("{} s", x / 1000.0)
    } else {
        format!("{} ms", ui::compact(x))
    }
}

/// A distribution in one phrase: `lognormal p50 3 ms, p99 20 ms`.
pub(crate) fn distribution(d: &Distribution) -> String {
    // In the terms the file uses, so what is shown can be found there.
    match d {
        Distribution::Constant { ms: m } => format!("constant {}", ms(*m)),
        Distribution::Exponential { mean_ms } => format!("exponential, mean {}", ms(*mean_ms)),
        Distribution::Normal { mean_ms, stddev_ms } => {
            format!("normal {} ± {}", ms(*mean_ms), ms(*stddev_ms))
        }
        Distribution::Lognormal { p50_ms, p99_ms } => {
            format!("lognormal p50 {}, p99 {}", ms(*p50_ms), ms(*p99_ms))
        }
        Distribution::Empirical { samples_ms, .. } => format!(
            "empirical, {} samples, mean {}",
            samples_ms.len(),
            ms(d.mean_ms())
        ),
    }
}

/// A policy as short tags for a tree line: `[timeout 100 ms, 3× retry, breaker, fallback]`.
pub(crate) fn policy_tags(policy: &Policy) -> String {
    let mut tags = Vec::new();
    if let Some(t) = policy.timeout_ms {
        tags.push(format!("timeout {}", ms(t)));
    }
    if let Some(r) = &policy.retry {
        tags.push(format!("{}× retry", r.max_attempts));
    }
    if policy.circuit_breaker.is_some() {
        tags.push("breaker".to_owned());
    }
    if policy.bulkhead.is_some() {
        tags.push("bulkhead".to_owned());
    }
    if policy.rate_limit.is_some() {
        tags.push("rate limit".to_owned());
    }
    if policy.fallback.is_some() {
        tags.push("fallback".to_owned());
    }
    if tags.is_empty() {
        String::new()
    } else {
        format!("[{}]", tags.join(", "))
    }
}

/// A policy in one line: `timeout 800 ms · retry 3× exponential · breaker 50% of 20`.
pub(crate) fn policy_summary(policy: &Policy) -> String {
    let mut parts = Vec::new();
    if let Some(t) = policy.timeout_ms {
        parts.push(format!("timeout {}", ms(t)));
    }
    if let Some(d) = policy.deadline_ms {
        parts.push(format!("deadline {}", ms(d)));
    }
    if let Some(r) = &policy.retry {
        let backoff = match r.backoff {
            microcosm_model::Backoff::Fixed => "fixed",
            microcosm_model::Backoff::Exponential => "exponential",
        };
        let budget = r
            .budget
            .as_ref()
            .map(|b| format!(", budget {:.0}%", b.ratio * 100.0))
            .unwrap_or_default();
        parts.push(format!(
            "retry {}× {backoff} from {}{budget}",
            r.max_attempts,
            ms(r.wait_ms)
        ));
    }
    if let Some(b) = &policy.circuit_breaker {
        parts.push(format!(
            "breaker {:.0}% of {}, open {}",
            b.failure_rate_threshold * 100.0,
            b.sliding_window_size,
            ms(b.wait_duration_in_open_state_ms)
        ));
    }
    if let Some(b) = &policy.bulkhead {
        parts.push(format!("bulkhead {}", b.max_concurrent_calls));
    }
    if let Some(r) = &policy.rate_limit {
        parts.push(format!(
            "rate limit {}/{}",
            r.limit_for_period,
            ms(r.limit_refresh_period_ms)
        ));
    }
    if let Some(f) = &policy.fallback {
        parts.push(match &f.description {
            Some(d) => format!("fallback ({d})"),
            None => "fallback".to_owned(),
        });
    }
    if let Some(o) = &policy.outlier_detection {
        parts.push(format!("eject after {} errors", o.consecutive_errors));
    }
    if parts.is_empty() {
        "no settings".to_owned()
    } else {
        parts.join(" · ")
    }
}

fn edge_line(caller: &str, callee: &str, scenario: &Scenario, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(format!("   {caller} → {callee}"))];
    match scenario.policy_for(caller, callee) {
        Some((key, policy)) => {
            let via = if key == format!("{caller} -> {callee}") {
                String::new()
            } else {
                format!(" (via \"{key}\")")
            };
            spans.push(Span::styled(
                format!("  {}{via}", policy_summary(policy)),
                theme.dim(),
            ));
        }
        None => spans.push(Span::styled("  no policy", theme.warn())),
    }
    Line::from(spans)
}

/// The selected service: six-tuple, deployment, callers and callees.
pub(crate) fn service_lines(scenario: &Scenario, name: &str, theme: Theme) -> Vec<Line<'static>> {
    let Some(service) = scenario.services.get(name) else {
        return vec![Line::raw(format!("no service `{name}`"))];
    };
    let mut lines = Vec::new();
    if let Some(d) = &service.description {
        lines.push(Line::styled(d.clone(), theme.dim()));
    }
    // The six-tuple always in full and in its order, so a missing part reads as "none"
    // rather than going unnoticed.
    let none = || Span::styled("none", theme.dim());
    lines.push(Line::from(vec![
        label("F", theme),
        if service.functions.is_empty() {
            none()
        } else {
            Span::raw(service.functions.join(", "))
        },
    ]));
    lines.push(Line::from(vec![
        label("A", theme),
        if service.endpoints.is_empty() {
            none()
        } else {
            Span::raw(plural(service.endpoints.len(), "endpoint"))
        },
    ]));
    for (endpoint, ep) in &service.endpoints {
        let public = if ep.public { "  public" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("   {endpoint}"), theme.title()),
            Span::styled(public.to_owned(), theme.ok()),
            Span::styled(format!("  work {}", distribution(&ep.work)), theme.dim()),
        ]));
    }
    let data: Vec<String> = service
        .data
        .iter()
        .map(|(store, access)| {
            let access = match access {
                microcosm_model::Access::Read => "read",
                microcosm_model::Access::Write => "write",
                microcosm_model::Access::ReadWrite => "read-write",
            };
            format!("{store} ({access})")
        })
        .collect();
    lines.push(Line::from(vec![
        label("D", theme),
        if data.is_empty() {
            none()
        } else {
            Span::raw(data.join(", "))
        },
    ]));
    lines.extend(integration_lines(service, name, theme));
    let state = match service.state {
        ServiceState::Stateless => "stateless",
        ServiceState::Stateful => "stateful",
    };
    lines.push(Line::from(vec![label("S", theme), Span::raw(state)]));
    let mut resources = Vec::new();
    if let Some(c) = service.resources.cpu_millis {
        resources.push(format!("{c} mCPU"));
    }
    if let Some(m) = service.resources.memory_mib {
        resources.push(format!("{m} MiB"));
    }
    lines.push(Line::from(vec![
        label("R", theme),
        if resources.is_empty() {
            none()
        } else {
            Span::raw(format!("{} per replica", resources.join(", ")))
        },
    ]));
    let d = scenario.deployment_of(name);
    let zones = if d.zones.is_empty() {
        String::new()
    } else {
        format!(" in {}", d.zones.join(", "))
    };
    let strategy = d.strategy.kind().replace('_', "-");
    let lb = match d.load_balancer {
        microcosm_model::LoadBalancer::RoundRobin => "round robin",
        microcosm_model::LoadBalancer::Random => "random",
        microcosm_model::LoadBalancer::LeastOutstanding => "least outstanding",
        microcosm_model::LoadBalancer::PowerOfTwo => "power of two",
    };
    // Deployment is the architecture's P, not part of the service's six-tuple: it comes after.
    lines.push(Line::from(vec![
        label("P", theme),
        Span::raw(format!(
            "{}{zones} · {} · queue {} · {lb} · {strategy}",
            plural(d.replicas as usize, "replica"),
            plural(d.workers as usize, "worker"),
            d.queue_capacity
        )),
    ]));
    let edges = scenario.call_edges();
    let callers: Vec<&str> = edges
        .iter()
        .filter(|(a, b)| b == name && a != name)
        .map(|(a, _)| a.as_str())
        .collect();
    let callees: Vec<&str> = edges
        .iter()
        .filter(|(a, b)| a == name && b != name)
        .map(|(_, b)| b.as_str())
        .collect();
    lines.push(heading(&format!("Called by ({})", callers.len()), theme));
    if callers.is_empty() {
        lines.push(Line::styled("   no service calls it", theme.dim()));
    }
    for caller in callers {
        lines.push(edge_line(caller, name, scenario, theme));
    }
    lines.push(heading(&format!("Calls ({})", callees.len()), theme));
    if callees.is_empty() {
        lines.push(Line::styled("   it calls no service", theme.dim()));
    }
    for callee in callees {
        lines.push(edge_line(name, callee, scenario, theme));
    }
    lines
}

/// The service's integration points (I): every call its endpoints make (`→` in sequence, `‖`
/// in parallel), every topic they publish and every topic it consumes.
fn integration_lines(
    service: &microcosm_model::Service,
    name: &str,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut points = Vec::new();
    let (mut calls, mut published) = (0, 0);
    for (endpoint, ep) in &service.endpoints {
        // Calls made back to back fold into one line with their count, as in the call tree.
        for (parallel, call, times) in grouped_calls(&ep.calls) {
            calls += times;
            let mark = if parallel { "‖" } else { "→" };
            let p = if call.probability < 1.0 {
                format!(" ({:.0}%)", call.probability * 100.0)
            } else {
                String::new()
            };
            let count = if times > 1 {
                format!(" ×{times}")
            } else {
                String::new()
            };
            points.push(Line::raw(format!(
                "   {endpoint} {mark} {}{count}{p}",
                call.endpoint
            )));
        }
        for topic in &ep.publishes {
            published += 1;
            points.push(Line::raw(format!("   {endpoint} ⇢ publishes {topic}")));
        }
    }
    for (topic, spec) in &service.consumes {
        let group = spec
            .group
            .as_ref()
            .map(|g| format!(" (group {g})"))
            .unwrap_or_default();
        points.push(Line::raw(format!(
            "   {topic} ⇢ consumed by {name}.{}{group}",
            spec.handler
        )));
    }
    let mut summary = Vec::new();
    if calls > 0 {
        summary.push(plural(calls, "call"));
    }
    if published > 0 {
        summary.push(format!("publishes {}", plural(published, "topic")));
    }
    if !service.consumes.is_empty() {
        summary.push(format!(
            "consumes {}",
            plural(service.consumes.len(), "topic")
        ));
    }
    let head = if summary.is_empty() {
        Span::styled("none", theme.dim())
    } else {
        Span::raw(summary.join(", "))
    };
    let mut lines = vec![Line::from(vec![label("I", theme), head])];
    lines.extend(points);
    lines
}

/// The call tree of every entry endpoint; nodes of `highlight` (the selected service) stand out.
pub(crate) fn call_tree_lines(
    scenario: &Scenario,
    highlight: Option<&str>,
    theme: Theme,
) -> Vec<Line<'static>> {
    let entries = microcosm_model::analysis::services::entry_endpoints(scenario);
    if entries.is_empty() {
        return vec![Line::raw(
            "No entry endpoints: no endpoint is public or uncalled.",
        )];
    }
    let mut lines = Vec::new();
    for (service, endpoint) in entries {
        let reference = format!("{service}.{endpoint}");
        let amplification = entry_amplification(scenario, &reference);
        let mut head = vec![Span::styled(reference.clone(), theme.title())];
        if let Some((worst, attempts)) = &amplification.worst
            && *attempts > 1.0
        {
            head.push(Span::styled(
                format!(
                    "  retries ×{} at {worst} when it is down",
                    ui::compact(*attempts)
                ),
                theme.dim(),
            ));
        }
        lines.push(Line::from(head));
        let mut path = BTreeSet::new();
        path.insert(reference.clone());
        tree(
            scenario, &reference, "", &mut path, highlight, theme, &mut lines,
        );
    }
    lines
}

/// An endpoint's calls in order, each run of the same call made back to back (or side by side
/// in one parallel group) folded into one, with how many times it is made: a page that
/// converts nine prices calls `currency.convert` nine times in a row, and nine identical lines
/// say less than one line that says ×9. Only neighbours fold, so the order stays the order the
/// calls are made in.
fn grouped_calls(steps: &[CallStep]) -> Vec<(bool, &microcosm_model::Call, usize)> {
    let mut out: Vec<(bool, &microcosm_model::Call, usize, usize)> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let parallel = matches!(step, CallStep::Parallel(_));
        for call in step.calls() {
            match out.last_mut() {
                // A parallel call folds only into its own group: two groups in a row are
                // made one after the other.
                Some((p, c, n, s))
                    if *p == parallel
                        && (!parallel || *s == index)
                        && c.endpoint == call.endpoint
                        && c.probability == call.probability =>
                {
                    *n += 1;
                }
                _ => out.push((parallel, call, 1, index)),
            }
        }
    }
    out.into_iter().map(|(p, c, n, _)| (p, c, n)).collect()
}

/// Appends the calls of `endpoint` under `prefix`; `path` holds the endpoints on the way here,
/// so a synchronous cycle is drawn once and marked instead of recursing forever.
fn tree(
    scenario: &Scenario,
    endpoint: &str,
    prefix: &str,
    path: &mut BTreeSet<String>,
    highlight: Option<&str>,
    theme: Theme,
    lines: &mut Vec<Line<'static>>,
) {
    let Some(ep) = scenario.endpoint(endpoint) else {
        return;
    };
    let caller = endpoint.split_once('.').map_or(endpoint, |(s, _)| s);
    let calls = grouped_calls(&ep.calls);
    for (i, (parallel, call, times)) in calls.iter().enumerate() {
        let last = i + 1 == calls.len();
        let branch = if last { "└─ " } else { "├─ " };
        let callee = call
            .endpoint
            .split_once('.')
            .map_or(call.endpoint.as_str(), |(s, _)| s);
        let mut spans = vec![Span::styled(format!("{prefix}{branch}"), theme.dim())];
        if *parallel {
            spans.push(Span::styled("‖ ", theme.warn()));
        }
        let style = if highlight == Some(callee) {
            theme.changed()
        } else {
            theme.text()
        };
        spans.push(Span::styled(call.endpoint.clone(), style));
        if *times > 1 {
            spans.push(Span::styled(format!(" ×{times}"), theme.key()));
        }
        if call.probability < 1.0 {
            spans.push(Span::raw(format!(" ({:.0}%)", call.probability * 100.0)));
        }
        if let Some((_, policy)) = scenario.policy_for(caller, callee) {
            spans.push(Span::styled(
                format!("  {}", policy_tags(policy)),
                theme.dim(),
            ));
        }
        let cycle = path.contains(&call.endpoint);
        if cycle {
            spans.push(Span::styled("  ↺ cycle", theme.bad()));
        }
        lines.push(Line::from(spans));
        if !cycle {
            path.insert(call.endpoint.clone());
            let deeper = format!("{prefix}{}", if last { "   " } else { "│  " });
            tree(
                scenario,
                &call.endpoint,
                &deeper,
                path,
                highlight,
                theme,
                lines,
            );
            path.remove(&call.endpoint);
        }
    }
}

#[cfg(test)]
mod tests;
