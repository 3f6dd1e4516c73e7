//! The Decomposition tab: the decomposition theorem's verdict on the declared services (when
//! the scenario has a monolith), the cohesion/coupling matrix as a heat map — cohesion on the
//! diagonal, `coupling(row, column)` elsewhere, `!` on each pair that breaks
//! `cohesion(row) > coupling(row, column)` — and every finding of
//! `microcosm_model::analysis`, filterable by severity. Enter on a finding jumps to what it
//! concerns: a service, transaction or experiment on its tab, or else the file itself.

use crossterm::event::{KeyCode, KeyEvent};
use microcosm_model::analysis::{Analysis, Finding, Severity, TheoremReport};
use microcosm_model::diagnostic::count;
use microcosm_model::source::Segment;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::{Action, Jump, SourceView, Theme, ui};

/// The Decomposition tab's state.
#[derive(Debug, Clone)]
pub struct DecompositionState {
    /// What the analysis found.
    pub analysis: Analysis,
    /// The least severity listed.
    pub min_severity: Severity,
    /// The selected finding, as an index into the listed ones.
    pub selected: usize,
}

impl DecompositionState {
    pub(crate) fn new(analysis: Analysis) -> DecompositionState {
        DecompositionState {
            analysis,
            min_severity: Severity::Info,
            selected: 0,
        }
    }

    /// The findings listed under the current filter.
    pub fn listed(&self) -> Vec<&Finding> {
        self.analysis
            .findings
            .iter()
            .filter(|f| f.severity >= self.min_severity)
            .collect()
    }

    /// The selected finding.
    pub fn selected_finding(&self) -> Option<&Finding> {
        self.listed().get(self.selected).copied()
    }

    fn select(&mut self, index: usize) {
        let len = self.listed().len();
        self.selected = if len == 0 { 0 } else { index.min(len - 1) };
    }

    pub(crate) fn on_key(&mut self, key: KeyEvent) -> Option<Action> {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.select(self.selected + 1),
            KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
            KeyCode::PageDown => self.select(self.selected + 10),
            KeyCode::PageUp => self.select(self.selected.saturating_sub(10)),
            KeyCode::Home | KeyCode::Char('g') => self.select(0),
            KeyCode::End | KeyCode::Char('G') => self.select(usize::MAX),
            KeyCode::Char('f') => {
                self.min_severity = match self.min_severity {
                    Severity::Info => Severity::Warning,
                    Severity::Warning => Severity::Error,
                    Severity::Error => Severity::Info,
                };
                self.select(0);
                return Some(Action::Status(format!(
                    "showing {} findings",
                    match self.min_severity {
                        Severity::Info => "all",
                        Severity::Warning => "warning and error",
                        Severity::Error => "error",
                    }
                )));
            }
            KeyCode::Enter => {
                let finding = self.selected_finding()?;
                return Some(match jump_target(finding) {
                    Some(jump) => Action::Jump(jump),
                    None => source_of(finding)?,
                });
            }
            KeyCode::Char('s') => return source_of(self.selected_finding()?),
            _ => {}
        }
        None
    }

    pub(crate) fn hints(&self) -> Vec<(&'static str, &'static str)> {
        // Only what acts: with nothing listed there is no finding to go to or show, and with
        // no finding at all the filter has nothing to filter.
        let mut hints = Vec::new();
        if self.selected_finding().is_some() {
            hints.extend([("↑↓", "finding"), ("⏎", "go to"), ("s", "source")]);
        }
        if !self.analysis.findings.is_empty() {
            hints.push(("f", "filter"));
        }
        hints
    }
}

fn source_of(finding: &Finding) -> Option<Action> {
    Some(Action::Source(SourceView {
        title: finding.rule.to_owned(),
        location: finding.location.clone()?,
    }))
}

/// Where Enter on a finding goes: the service, transaction or experiment its path names.
pub(crate) fn jump_target(finding: &Finding) -> Option<Jump> {
    let segments = finding.path.segments();
    let key = |i: usize| match segments.get(i) {
        Some(Segment::Key(k)) => Some(k.clone()),
        _ => None,
    };
    match key(0)?.as_str() {
        "services" | "deployment" => key(1).map(Jump::Service),
        "transactions" => key(1).map(Jump::Transaction),
        "experiments" => key(1).map(Jump::Experiment),
        "policies" => {
            // An edge pattern: go to the caller when it names one service.
            let pattern = key(1)?;
            let (caller, _) = pattern.split_once("->")?;
            let caller = caller.trim();
            (!caller.contains('*')).then(|| Jump::Service(caller.to_owned()))
        }
        _ => None,
    }
}

fn severity_span(severity: Severity, theme: Theme) -> Span<'static> {
    match severity {
        Severity::Error => Span::styled("error", theme.bad()),
        Severity::Warning => Span::styled("warn ", theme.warn()),
        Severity::Info => Span::styled("info ", theme.dim()),
    }
}

/// Draws the tab from its own state (the analysis it holds); nothing else of the app.
pub(crate) fn render(state: &DecompositionState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let findings_min = 8u16;
    let (top, bottom) = match &state.analysis.theorem {
        Some(report) => {
            // Two lines of verdict and metrics, the header row, one row per service, borders.
            let matrix_rows = report.services.len() as u16 + 3;
            let wanted = matrix_rows + 2;
            let top_height = wanted.min(area.height.saturating_sub(findings_min));
            let [top, bottom] =
                Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(area);
            (Some((top, report)), bottom)
        }
        None => (None, area),
    };
    if let Some((top, report)) = top {
        render_theorem(report, theme, top, buf);
    }
    render_findings(state, theme, bottom, buf);
}

fn render_theorem(report: &TheoremReport, theme: Theme, area: Rect, buf: &mut Buffer) {
    let verdict = if report.holds() {
        Span::styled("holds", theme.ok())
    } else {
        Span::styled("broken", theme.bad())
    };
    let block = ui::block(
        format!(
            "Decomposition theorem ({} definition)",
            report.definition.name()
        ),
        false,
        theme,
    )
    .title_bottom(Line::styled(
        " ◆ cohesion · ░▒▓ coupling ÷ row cohesion <¼ ≥¼ ≥½ · ! breaks the theorem ",
        theme.dim(),
    ));
    let inner = block.inner(area);
    block.render(area, buf);
    let check = |ok: bool| {
        if ok {
            Span::styled("✓", theme.ok())
        } else {
            Span::styled("✗", theme.bad())
        }
    };
    let m = &report.metrics;
    let mut lines = vec![
        Line::from(vec![
            Span::raw("verdict: "),
            verdict,
            Span::raw("   coverage "),
            check(report.coverage),
            Span::raw("  disjoint "),
            check(report.disjoint),
            Span::raw("  cohesion > coupling "),
            check(report.cohesion_exceeds_coupling),
            Span::styled(
                if report.violations.is_empty() {
                    String::new()
                } else {
                    format!(" ({} pairs)", report.violations.len())
                },
                theme.dim(),
            ),
        ]),
        Line::styled(
            format!(
                "modularity {:.2} · structural {:.2} · inter-call {:.0}% · interfaces {:.1} · NED {:.2}",
                m.modularity,
                m.structural_modularity,
                m.inter_call_percentage * 100.0,
                m.interface_number,
                m.non_extreme_distribution
            ),
            theme.dim(),
        ),
    ];
    lines.extend(matrix_lines(report, theme, inner.width as usize));
    Paragraph::new(lines).render(inner, buf);
}

/// Width of one matrix cell: a value right-aligned in five columns and a mark.
const CELL: usize = 6;

/// The mark after an off-diagonal cell, by heat level 0..=4.
const HEAT_GLYPHS: [&str; 5] = [" ", "░", "▒", "▓", "█"];

/// The heat map: one row per service, columns numbered like the rows.
pub(crate) fn matrix_lines(
    report: &TheoremReport,
    theme: Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let names: Vec<&str> = report.services.iter().map(|s| s.name.as_str()).collect();
    let n = names.len();
    if n == 0 {
        return vec![Line::styled(
            "no service names monolith functions",
            theme.dim(),
        )];
    }
    let value = |row: usize, col: usize| -> Option<f64> {
        if row == col {
            report.services[row].cohesion
        } else {
            report
                .coupling
                .iter()
                .find(|c| c.from == names[row] && c.to == names[col])
                .map(|c| c.value)
        }
    };
    let broken = |row: usize, col: usize| {
        report
            .violations
            .iter()
            .any(|v| v.service == names[row] && v.other == names[col])
    };
    let max = (0..n)
        .flat_map(|r| (0..n).map(move |c| (r, c)))
        .filter(|(r, c)| r != c)
        .filter_map(|(r, c)| value(r, c))
        .fold(0.0_f64, f64::max);
    // Heat is how close a pair comes to breaking the theorem: coupling(row, column) as a share
    // of cohesion(row), so 1 and above is broken. A row without a cohesion (a one-function
    // service) is scaled by the largest coupling instead.
    let heat = |row: usize, col: usize| -> u8 {
        let Some(v) = value(row, col).filter(|v| *v > 0.0) else {
            return 0;
        };
        let share = match report.services[row].cohesion {
            Some(cohesion) if cohesion > 0.0 => v / cohesion,
            _ if max > 0.0 => v / max * 0.99,
            _ => 0.0,
        };
        match share {
            s if s >= 1.0 => 4,
            s if s >= 0.5 => 3,
            s if s >= 0.25 => 2,
            _ => 1,
        }
    };
    let number_width = n.to_string().len();
    let label_width = names
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 18);
    let row_head = number_width + 1 + label_width + 1;
    let columns = (width.saturating_sub(row_head) / CELL).min(n);
    let mut lines = Vec::new();
    let mut header = format!("{:row_head$}", "");
    for c in 0..columns {
        header.push_str(&format!("{:>5} ", c + 1));
    }
    let mut header = vec![Span::styled(header, theme.dim())];
    if columns < n {
        header.push(Span::styled(format!("+{} more", n - columns), theme.dim()));
    }
    lines.push(Line::from(header));
    for (r, name) in names.iter().enumerate() {
        let mut spans = vec![Span::styled(
            format!(
                "{:>number_width$} {:<label_width$} ",
                r + 1,
                ui::truncate(name, label_width)
            ),
            theme.text(),
        )];
        for c in 0..columns {
            let v = value(r, c);
            let text = match v {
                Some(v) => ui::compact(v),
                None if r == c => "–".to_owned(),
                None => "·".to_owned(),
            };
            let style = if r == c {
                theme.title()
            } else {
                theme.heat(heat(r, c))
            };
            // The heat is also a glyph, so it reads without colour (NO_COLOR, a mono terminal).
            let mark = if broken(r, c) {
                "!"
            } else if r == c {
                "◆"
            } else {
                HEAT_GLYPHS[usize::from(heat(r, c))]
            };
            let mut style = style;
            if broken(r, c) {
                style = style.patch(theme.bad());
            }
            spans.push(Span::styled(format!("{text:>5}"), style));
            spans.push(Span::styled(
                mark.to_owned(),
                if broken(r, c) {
                    theme.bad()
                } else {
                    theme.dim()
                },
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

fn render_findings(state: &DecompositionState, theme: Theme, area: Rect, buf: &mut Buffer) {
    let listed = state.listed();
    let a = &state.analysis;
    let title = format!(
        "Findings: {}, {}, {}{}",
        count(a.count(Severity::Error) as f64, "error"),
        count(a.count(Severity::Warning) as f64, "warning"),
        count(a.count(Severity::Info) as f64, "info"),
        match state.min_severity {
            Severity::Info => String::new(),
            s => format!(" (showing {}+)", s.name()),
        }
    );
    let block = ui::block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut y = inner.y;
    let mut height = inner.height;
    if a.theorem.is_none() && height > 4 {
        Paragraph::new(Line::styled(
            "No [monolith] in this scenario, so no decomposition theorem; these findings come from the services, the mesh policy and the deployment.",
            theme.dim(),
        ))
        .wrap(Wrap { trim: true })
        .render(Rect::new(inner.x, y, inner.width, 2), buf);
        y += 2;
        height -= 2;
    }
    if listed.is_empty() {
        Paragraph::new(Line::styled("nothing to report", theme.ok()))
            .render(Rect::new(inner.x, y, inner.width, height.min(1)), buf);
        return;
    }
    // The detail pane gets the finding's whole message and help, wrapped (a rule and one line
    // above it), as far as the list keeps three rows; under six rows there is none.
    let detail = state.selected_finding().map(|f| finding_detail(f, theme));
    let detail_height = match &detail {
        Some(paragraph) if height >= 6 => {
            (paragraph.line_count(inner.width) as u16 + 1).clamp(3, height - 3)
        }
        _ => 0,
    };
    let list_height = height - detail_height;
    let first = ui::scroll_to(state.selected, list_height as usize, listed.len());
    let width = inner.width as usize;
    let lines: Vec<Line> = listed
        .iter()
        .enumerate()
        .skip(first)
        .take(list_height as usize)
        .map(|(i, f)| {
            let text = ui::truncate(
                &format!("{}  {}", f.rule, f.message),
                width.saturating_sub(6),
            );
            let mut line = Line::from(vec![
                severity_span(f.severity, theme),
                Span::raw(" "),
                Span::raw(text),
            ]);
            if i == state.selected {
                line = line.patch_style(theme.selected());
            }
            line
        })
        .collect();
    Paragraph::new(lines).render(Rect::new(inner.x, y, inner.width, list_height), buf);
    if detail_height > 0
        && let Some(paragraph) = detail
    {
        let area = Rect::new(inner.x, y + list_height, inner.width, detail_height);
        ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::TOP)
            .border_style(theme.border())
            .render(area, buf);
        paragraph.render(
            Rect::new(area.x, area.y + 1, area.width, area.height - 1),
            buf,
        );
    }
}

/// The selected finding in full: where it is, its message and its help, wrapped.
fn finding_detail(f: &Finding, theme: Theme) -> Paragraph<'static> {
    let mut lines = vec![Line::from(vec![
        Span::styled(
            f.location
                .as_ref()
                .map(|l| format!("line {}: ", l.line))
                .unwrap_or_default(),
            theme.key(),
        ),
        Span::raw(f.message.clone()),
    ])];
    if let Some(help) = &f.help {
        lines.push(Line::styled(format!("help: {help}"), theme.dim()));
    }
    Paragraph::new(lines).wrap(Wrap { trim: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use microcosm_model::analysis::{AnalysisOptions, analyze};

    #[test]
    fn heat_levels_read_as_glyphs_without_colour() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/monolith-shop.toml");
        let scenario = microcosm_model::load(&path).expect("loads").scenario;
        let analysis = analyze(&scenario, &AnalysisOptions::default());
        let report = analysis.theorem.as_ref().expect("a monolith");
        let text: String = matrix_lines(report, Theme::monochrome(), 200)
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        for glyph in ["░", "▒", "▓"] {
            assert!(text.contains(glyph), "{glyph} in {text}");
        }
    }
}
