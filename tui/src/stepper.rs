//! The trace stepper: one counterexample walked step by step. The step list on the left, the
//! state after the current step on the right (fields the step changed marked and shown as
//! `before → after`), and below it a message-sequence chart of the steps so far, drawn to the
//! pane's width. It reads only `microcosm_checker::Counterexample`, so it shows a trace of any
//! protocol the checker models, lassos (a cycle, or stuttering forever) included.

use crossterm::event::{KeyCode, KeyEvent};
use microcosm_checker::{Counterexample, Lasso};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::{Theme, ui};

/// A counterexample being stepped through.
#[derive(Debug, Clone, PartialEq)]
pub struct Stepper {
    /// The transaction (or policy) checked.
    pub subject: String,
    /// The property violated.
    pub property: &'static str,
    /// The trace.
    pub trace: Counterexample,
    /// The step shown: 0 is the initial state, `n` the state after step `n`.
    pub position: usize,
}

/// One state field as shown at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView {
    /// The field's name.
    pub name: String,
    /// Its value after the current step.
    pub value: String,
    /// Its value before the current step, when that step changed it.
    pub before: Option<String>,
}

impl Stepper {
    /// A stepper at the initial state of `trace`.
    pub fn new(
        subject: impl Into<String>,
        property: &'static str,
        trace: Counterexample,
    ) -> Stepper {
        Stepper {
            subject: subject.into(),
            property,
            trace,
            position: 0,
        }
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.trace.steps.len()
    }

    /// Whether the trace has no step (the initial state already violates the property).
    pub fn is_empty(&self) -> bool {
        self.trace.steps.is_empty()
    }

    /// Handles a key; returns false when the key closes the stepper.
    pub(crate) fn on_key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Right
            | KeyCode::Char('l')
            | KeyCode::Down
            | KeyCode::Char('j')
            | KeyCode::Char(' ')
            | KeyCode::Char('n') => {
                self.position = (self.position + 1).min(self.len());
            }
            KeyCode::Left
            | KeyCode::Char('h')
            | KeyCode::Up
            | KeyCode::Char('k')
            | KeyCode::Char('p') => {
                self.position = self.position.saturating_sub(1);
            }
            KeyCode::Home | KeyCode::Char('g') => self.position = 0,
            KeyCode::End | KeyCode::Char('G') => self.position = self.len(),
            KeyCode::Esc | KeyCode::Backspace => return false,
            _ => {}
        }
        true
    }

    /// The state after step `position` (0: the initial state), with what that step changed.
    pub fn state_at(&self, position: usize) -> Vec<FieldView> {
        let mut fields: Vec<FieldView> = self
            .trace
            .initial_state
            .iter()
            .map(|f| FieldView {
                name: f.name.clone(),
                value: f.value.clone(),
                before: None,
            })
            .collect();
        for step in self.trace.steps.iter().take(position) {
            for field in &mut fields {
                field.before = None;
            }
            for change in &step.changes {
                match fields.iter_mut().find(|f| f.name == change.field) {
                    Some(f) => {
                        f.before = Some(change.before.clone());
                        f.value = change.after.clone();
                    }
                    None => fields.push(FieldView {
                        name: change.field.clone(),
                        value: change.after.clone(),
                        before: Some(change.before.clone()),
                    }),
                }
            }
        }
        fields
    }

    /// The first step of the cycle the run repeats forever, if it is a cycle lasso.
    fn cycle_start(&self) -> Option<usize> {
        match self.trace.lasso {
            Some(Lasso::Cycle { from_step }) => Some(from_step),
            _ => None,
        }
    }

    /// How the run goes on after its last step, in words.
    pub fn ending(&self) -> Option<String> {
        match self.trace.lasso? {
            Lasso::Stutter => Some("then nothing more happens, forever".to_owned()),
            Lasso::Cycle { from_step } => Some(format!(
                "then back to the state before step {from_step}: steps {from_step}–{} repeat forever",
                self.len()
            )),
        }
    }
}

/// The pieces of a trace id, each ending in the separator after it (`0/`, `1/`, `2@`, `3`):
/// the places where the id may go onto a further line.
fn id_pieces(id: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in id.char_indices() {
        if c == '/' || c == '@' {
            pieces.push(&id[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < id.len() {
        pieces.push(&id[start..]);
    }
    pieces
}

/// `trace ID` in lines of at most `width` columns. The id is never cut: it goes onto further
/// lines, broken only after a `/` or `@` (so the lines joined are the id, digit for digit);
/// a single number wider than a line, which has no such place, is broken where the line ends.
fn trace_id_lines(id: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec!["trace ".to_owned()];
    for piece in id_pieces(id) {
        let n = piece.chars().count();
        let last = lines.last_mut().expect("one line at least");
        if last.chars().count() + n <= width {
            last.push_str(piece);
        } else if n <= width {
            lines.push(piece.to_owned());
        } else {
            for c in piece.chars() {
                if lines.last().is_some_and(|l| l.chars().count() >= width) {
                    lines.push(String::new());
                }
                lines.last_mut().expect("one line at least").push(c);
            }
        }
    }
    lines
}

/// The header: the property, the subject, the position and the trace id, on one line when
/// they fit, else with the id on lines of its own.
fn header_lines(stepper: &Stepper, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let mut first = vec![
        Span::styled(format!(" {} ", stepper.property), theme.bad()),
        Span::raw(format!("violated by {}  ", stepper.subject)),
        Span::styled(
            if stepper.position == 0 {
                format!("initial state of {} steps", stepper.len())
            } else {
                format!("step {} of {}", stepper.position, stepper.len())
            },
            theme.key(),
        ),
    ];
    let used: usize = first.iter().map(Span::width).sum();
    let id = &stepper.trace.trace_id;
    let whole = format!("  trace {id}");
    if used + whole.chars().count() <= width {
        first.push(Span::styled(whole, theme.dim()));
        return vec![Line::from(first)];
    }
    let mut lines = vec![Line::from(first)];
    lines.extend(
        trace_id_lines(id, width.saturating_sub(1))
            .into_iter()
            .map(|l| Line::styled(format!(" {l}"), theme.dim())),
    );
    lines
}

pub(crate) fn render(stepper: &Stepper, theme: Theme, area: Rect, buf: &mut Buffer) {
    let header_text = header_lines(stepper, theme, area.width as usize);
    let [header, current, body] = Layout::vertical([
        Constraint::Length(header_text.len() as u16),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    Paragraph::new(header_text).render(header, buf);
    // The current step in full: the step list may have to cut it.
    let now = match stepper
        .position
        .checked_sub(1)
        .and_then(|i| stepper.trace.steps.get(i))
    {
        None => Line::styled(" before the first step", theme.dim()),
        Some(step) => {
            let mut spans = vec![
                Span::styled(format!(" {}: ", step.party), theme.actor()),
                Span::raw(step.action.clone()),
            ];
            if let Some(m) = &step.message {
                spans.push(Span::styled(
                    format!("  (message {} → {})", m.from, m.to),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        }
    };
    Paragraph::new(now).render(current, buf);

    let left_width = (body.width * 2 / 5).clamp(24, 48).min(body.width);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(body);
    render_steps(stepper, theme, left, buf);

    let fields = stepper.state_at(stepper.position);
    let state_lines = state_lines(&fields, theme, right.width.saturating_sub(2) as usize);
    // The lines come wrapped already, each to the pane's width.
    let state_height = (state_lines.len() as u16 + 2).min(right.height.saturating_sub(6).max(3));
    let [state_area, msc_area] =
        Layout::vertical([Constraint::Length(state_height), Constraint::Min(0)]).areas(right);
    render_state(stepper, state_lines, theme, state_area, buf);
    render_msc(stepper, theme, msc_area, buf);
}

fn render_steps(stepper: &Stepper, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = ui::block("Steps", true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let cycle = stepper.cycle_start();
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let width = inner.width as usize;
    let row = |n: usize, text: String, marker: &str| {
        let line = format!("{marker}{n:>3}  {text}");
        let style = if n == stepper.position {
            theme.selected()
        } else {
            theme.text()
        };
        Line::styled(ui::truncate(&line, width), style)
    };
    lines.push((0, row(0, "initial state".to_owned(), " ")));
    for step in &stepper.trace.steps {
        let marker = if Some(step.number) == cycle {
            "↻"
        } else {
            " "
        };
        lines.push((
            step.number,
            row(
                step.number,
                format!("{}: {}", step.party, step.action),
                marker,
            ),
        ));
    }
    if let Some(ending) = match stepper.trace.lasso {
        Some(Lasso::Stutter) => Some("     ⏸ stays here forever".to_owned()),
        Some(Lasso::Cycle { from_step }) => {
            Some(format!("     ↻ back to step {from_step}, forever"))
        }
        None => None,
    } {
        lines.push((
            stepper.len() + 1,
            Line::styled(ui::truncate(&ending, width), theme.warn()),
        ));
    }
    let height = inner.height as usize;
    let first = ui::scroll_to(stepper.position, height, lines.len());
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(first)
        .take(height)
        .map(|(_, l)| l)
        .collect();
    Paragraph::new(shown).render(inner, buf);
}

fn render_state(
    stepper: &Stepper,
    lines: Vec<Line<'static>>,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let title = if stepper.position == 0 {
        "Initial state".to_owned()
    } else {
        format!("State after step {}", stepper.position)
    };
    let block = ui::block(title, false, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    Paragraph::new(lines).render(inner, buf);
}

/// The state's fields, one line each; changed ones marked `●` and shown `before → after`. A
/// value too long for the line wraps under itself, in the value column, so that its
/// continuation does not read as another field's name.
fn state_lines(fields: &[FieldView], theme: Theme, width: usize) -> Vec<Line<'static>> {
    let name_width = fields
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 3);
    let indent = 2 + name_width + 2;
    fields
        .iter()
        .flat_map(|f| match &f.before {
            Some(before) => hang(
                vec![
                    Span::styled("● ", theme.changed()),
                    Span::styled(
                        format!("{:<name_width$}  ", ui::truncate(&f.name, name_width)),
                        theme.changed(),
                    ),
                ],
                vec![
                    Span::styled(format!("{before} → "), theme.dim()),
                    Span::styled(f.value.clone(), theme.changed()),
                ],
                indent,
                width,
            ),
            None => hang(
                vec![
                    Span::raw("  "),
                    Span::raw(format!(
                        "{:<name_width$}  ",
                        ui::truncate(&f.name, name_width)
                    )),
                ],
                vec![Span::raw(f.value.clone())],
                indent,
                width,
            ),
        })
        .collect()
}

/// `head` then `body` wrapped to `width` columns, every line after the first indented by
/// `indent` (a hanging indent); lines break after a space where the row has one.
fn hang(
    head: Vec<Span<'static>>,
    body: Vec<Span<'static>>,
    indent: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let room = width.saturating_sub(indent).max(1);
    let chars: Vec<(char, ratatui::style::Style)> = body
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let mut rows: Vec<&[(char, ratatui::style::Style)]> = Vec::new();
    let mut rest = chars.as_slice();
    while rest.len() > room {
        let cut = rest[..room]
            .iter()
            .rposition(|(c, _)| *c == ' ')
            .filter(|&i| i > 0)
            .map_or(room, |i| i + 1);
        rows.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    rows.push(rest);
    let mut lines = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        // Back to spans: one per run of a style.
        let mut text: Vec<Span<'static>> = Vec::new();
        for (c, style) in row {
            match text.last_mut() {
                Some(last) if last.style == *style => last.content.to_mut().push(*c),
                _ => text.push(Span::styled(c.to_string(), *style)),
            }
        }
        let mut spans = if i == 0 {
            head.clone()
        } else {
            vec![Span::raw(" ".repeat(indent))]
        };
        spans.extend(text);
        lines.push(Line::from(spans));
    }
    lines
}

/// Draws the message-sequence chart of steps `1..=position`: one lifeline per party, an arrow
/// for a delivered message, `●` where a party acts alone.
fn render_msc(stepper: &Stepper, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = ui::block("Message sequence so far", false, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.width < 8 || inner.height < 2 {
        return;
    }
    let lines = msc_lines(stepper, theme, inner.width as usize);
    let height = inner.height as usize;
    // Keep the newest steps in view, under the party names.
    let (head, rows) = lines.split_at(1);
    let body_height = height - 1;
    let skip = rows.len().saturating_sub(body_height);
    let shown: Vec<Line> = head
        .iter()
        .cloned()
        .chain(rows.iter().skip(skip).cloned())
        .collect();
    Paragraph::new(shown).render(inner, buf);
}

/// The chart's lines for a pane `width` columns wide: the party names, then one row per step.
pub(crate) fn msc_lines(stepper: &Stepper, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let parties = &stepper.trace.parties;
    let n = parties.len().max(1);
    let gutter = 4;
    // Columns as wide as the names need, leaving room for the action labels on the right;
    // squeezed to fit when the pane is narrow.
    let natural = parties
        .iter()
        .map(|p| p.chars().count() + 3)
        .max()
        .unwrap_or(0)
        .max(8);
    let fits = (width.saturating_sub(gutter)) / n;
    let column = if gutter + n * natural + 16 <= width {
        natural
    } else {
        fits.min(natural)
    }
    .max(3);
    let center = |i: usize| gutter + i * column + column / 2;
    let chart_width = gutter + n * column;
    let index_of = |name: &str| parties.iter().position(|p| p == name);
    let mut lines = Vec::new();

    let mut header = " ".repeat(gutter);
    for p in parties {
        let name = ui::truncate(p, column - 1);
        header.push_str(&format!("{name:^column$}"));
    }
    lines.push(Line::styled(header, theme.title()));

    let lifelines = || {
        let mut row = vec![' '; chart_width];
        for i in 0..parties.len() {
            row[center(i)] = '│';
        }
        row
    };
    let cycle = stepper.cycle_start();
    for step in stepper.trace.steps.iter().take(stepper.position) {
        if Some(step.number) == cycle {
            let row: String = lifelines().into_iter().collect();
            lines.push(Line::styled(
                format!("{}  ↻ cycle", row.trim_end()),
                theme.warn(),
            ));
        }
        let mut row = lifelines();
        let number = format!("{:>3} ", step.number);
        for (i, c) in number.chars().enumerate() {
            row[i] = c;
        }
        let arrow = step
            .message
            .as_ref()
            .and_then(|m| Some((index_of(&m.from)?, index_of(&m.to)?)));
        match arrow {
            Some((from, to)) if from != to => {
                let (lo, hi) = (center(from.min(to)), center(from.max(to)));
                for cell in &mut row[lo + 1..hi] {
                    *cell = '─';
                }
                if to > from {
                    row[hi - 1] = '▶';
                } else {
                    row[lo + 1] = '◀';
                }
            }
            _ => {
                if let Some(a) = index_of(&step.party) {
                    row[center(a)] = '●';
                }
            }
        }
        let mut text: String = row.into_iter().collect();
        let room = width.saturating_sub(text.trim_end().chars().count() + 2);
        let text_trimmed = text.trim_end().to_owned();
        if room >= 6 {
            text = format!("{text_trimmed}  {}", ui::truncate(&step.action, room));
        } else {
            text = text_trimmed;
        }
        let style = if step.number == stepper.position {
            theme.actor()
        } else {
            theme.text()
        };
        lines.push(Line::styled(text, style));
    }
    if stepper.position == stepper.len()
        && let Some(ending) = stepper.ending()
    {
        let mark = match stepper.trace.lasso {
            Some(Lasso::Cycle { .. }) => "↻",
            _ => "⏸",
        };
        lines.push(Line::styled(
            ui::truncate(&format!("{:gutter$}{mark} {ending}", ""), width),
            theme.warn(),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_id_wraps_after_its_separators_and_is_never_cut() {
        let id = "0/1/1/1/1/0/0/1/0/2";
        assert_eq!(trace_id_lines(id, 80), ["trace 0/1/1/1/1/0/0/1/0/2"]);
        let lines = trace_id_lines(id, 12);
        assert_eq!(lines, ["trace 0/1/1/", "1/1/0/0/1/0/", "2"]);
        assert!(lines.iter().all(|l| l.chars().count() <= 12));
        assert_eq!(lines.concat(), format!("trace {id}"));
        // A lasso's id, and a number wider than a line (broken where the line ends).
        let lasso = trace_id_lines("12/345/6@2", 8);
        assert_eq!(lasso, ["trace ", "12/345/", "6@2"]);
        assert_eq!(trace_id_lines("123456789", 4).concat(), "trace 123456789");
        assert_eq!(trace_id_lines("123456789", 8), ["trace 12", "3456789"]);
    }

    #[test]
    fn a_long_value_wraps_under_itself_not_at_column_0() {
        let lines = hang(
            vec![Span::raw("  "), Span::raw("rm  ")],
            vec![Span::raw("prepared committed aborted working")],
            6,
            22,
        );
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "  rm  prepared ",
                "      committed ",
                "      aborted working"
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 22));
    }
}
