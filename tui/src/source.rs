//! The source pop-up: the lines of the scenario file around a location (a finding, a service, a
//! transaction), the located line marked, so "what does this concern" is one key away from
//! the file itself.

use microcosm_model::{LoadedScenario, Location};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::Theme;
use crate::ui;

/// A place in the scenario file to show.
#[derive(Debug, Clone)]
pub struct SourceView {
    /// What is shown, e.g. the finding's rule.
    pub title: String,
    /// Where.
    pub location: Location,
}

pub(crate) fn render(
    view: &SourceView,
    loaded: &LoadedScenario,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let popup = ui::centered(
        area,
        area.width.saturating_sub(4).max(20),
        area.height.saturating_sub(2).max(5),
    );
    Clear.render(popup, buf);
    let file = view.location.file.display();
    let block = ui::block(
        format!(
            "{} · line {}, column {} · {file}",
            view.title, view.location.line, view.location.column
        ),
        true,
        theme,
    );
    let inner = block.inner(popup);
    block.render(popup, buf);
    let lines: Vec<&str> = loaded.source.text.lines().collect();
    let height = inner.height as usize;
    let target = view.location.line.saturating_sub(1);
    let first = target
        .saturating_sub(height / 3)
        .min(lines.len().saturating_sub(height));
    let number_width = (first + height).min(lines.len()).to_string().len().max(3);
    let text: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, line)| {
            let here = i == target;
            let marker = if here { "▶" } else { " " };
            let number = format!("{marker}{:>number_width$} │ ", i + 1);
            let style = if here { theme.changed() } else { theme.text() };
            Line::from(vec![
                Span::styled(number, if here { theme.key() } else { theme.dim() }),
                Span::styled(line.replace('\t', "    "), style),
            ])
        })
        .collect();
    Paragraph::new(text).render(inner, buf);
}
