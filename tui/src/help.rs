//! The `?` pop-up: every key the explorer knows, by where it applies. It is the one list of key
//! bindings users see, so a key added to a tab is added here too: a test (`tests/keys.rs`)
//! presses every key in every context and fails on one that acts but is not listed here, or is
//! listed and does nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::{Theme, ui};

/// The key bindings, by context: (context, [(keys, what they do)]). Keys are written as the
/// help shows them: names and glyphs separated by spaces, commas or ` / ` (`Home End  g G`,
/// `Enter, v`, `r / a`), `0-9` for any digit; a test presses every key in every context and
/// checks that each one that does something is listed here.
pub const BINDINGS: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("Tab / Shift-Tab", "next / previous tab"),
            ("1 2 3 4", "Architecture, Decomposition, Verify, Simulate"),
            ("?", "this help"),
            ("q, Ctrl-C", "quit"),
            ("Esc", "close the pop-up or trace, else quit"),
        ],
    ),
    (
        "Architecture",
        &[
            ("↑ ↓  j k", "select a service"),
            ("Home End  g G", "first / last service"),
            ("Enter, v", "service detail ⇄ call trees of entry endpoints"),
            ("PgUp PgDn  K J", "scroll the right pane"),
            ("s", "show the service in the scenario file"),
        ],
    ),
    (
        "Decomposition",
        &[
            ("↑ ↓  j k", "select a finding"),
            ("PgUp PgDn", "ten findings up / down"),
            ("Home End  g G", "first / last finding"),
            ("Enter", "go to what it concerns"),
            ("s", "show it in the scenario file"),
            ("f", "filter: all → warnings+ → errors"),
        ],
    ),
    (
        "Verify",
        &[
            ("↑ ↓  j k", "select a transaction × property"),
            ("PgUp PgDn", "ten rows up / down"),
            ("Home End  g G", "first / last row"),
            ("Enter", "step through a violation's trace, else check"),
            ("r / a", "re-run this transaction / run all"),
            ("x", "cancel the running checks"),
            ("s", "show the transaction in the scenario file"),
        ],
    ),
    (
        "Trace stepper",
        &[
            ("→ ←  l h", "next / previous step"),
            ("↓ ↑  j k", "next / previous step"),
            ("Space n / p", "next / previous step"),
            ("Home End  g G", "initial state / last step"),
            ("Esc, Backspace", "back to the verdicts"),
        ],
    ),
    (
        "Simulate",
        &[
            ("↑ ↓  j k", "select an experiment"),
            ("Enter, r", "run it with the seed"),
            ("x", "cancel the run"),
            ("e", "type a seed"),
            ("+ =  -", "next / previous seed"),
            ("→ ←  l h", "time cursor ±1 bucket (with Shift ±10)"),
            ("PgUp PgDn", "time cursor ±10 buckets"),
            ("Home End  g G", "cursor to the start / end"),
            ("[ ]", "previous / next entry endpoint"),
            ("p", "latency chart: p50 with p99 → p99.9 → p90"),
            ("s", "show the experiment in the scenario file"),
        ],
    ),
    (
        "Typing a seed (after e)",
        &[
            ("0-9", "the seed's digits"),
            ("Backspace", "delete the last digit"),
            ("Enter", "use the seed"),
            ("Esc", "keep the old seed"),
        ],
    ),
    (
        "Scenario file pop-up (after s)",
        &[("Esc, Enter", "close it"), ("s, Backspace", "close it too")],
    ),
    (
        "This help",
        &[
            ("↑ ↓  j k", "scroll a line"),
            ("PgUp PgDn", "scroll ten lines"),
            ("Enter, Esc, ?", "close it"),
        ],
    ),
];

/// The most the help can be scrolled in a body area of `body`: its wrapped length less the
/// rows its pop-up shows there, so the last binding can be reached and no further.
pub(crate) fn max_scroll(body: Rect) -> u16 {
    let lines = lines(Theme::default());
    let popup = popup(body, lines.len());
    let inner = ui::block("", true, Theme::default()).inner(popup);
    wrapped_len(lines, inner.width).saturating_sub(inner.height)
}

/// How many rows `lines` take wrapped to `width` columns, as the help draws them.
fn wrapped_len(lines: Vec<Line<'static>>, width: u16) -> u16 {
    if width == 0 {
        return 0;
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .line_count(width)
        .try_into()
        .unwrap_or(u16::MAX)
}

/// The widest key column.
fn key_width() -> usize {
    BINDINGS
        .iter()
        .flat_map(|(_, keys)| keys.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(10)
}

/// The help's lines, unwrapped.
fn lines(theme: Theme) -> Vec<Line<'static>> {
    let key_width = key_width();
    let mut lines = Vec::new();
    for (context, keys) in BINDINGS {
        lines.push(Line::styled((*context).to_owned(), theme.title()));
        for (key, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<key_width$}  "), theme.key()),
                Span::raw((*what).to_owned()),
            ]));
        }
    }
    lines
}

/// Where the pop-up goes in `area`, for `count` unwrapped lines.
fn popup(area: Rect, count: usize) -> Rect {
    let height = (count as u16 + 2).min(area.height);
    let width = (key_width() as u16 + 56).min(area.width);
    ui::centered(area, width, height)
}

/// Draws the help over `area`, scrolled `scroll` rows (clamped to what there is to scroll).
pub(crate) fn render(scroll: u16, theme: Theme, area: Rect, buf: &mut Buffer) {
    let lines = lines(theme);
    let popup = popup(area, lines.len());
    if popup.height < 3 || popup.width < 12 {
        return;
    }
    Clear.render(popup, buf);
    let block = ui::block("Keys (Esc closes)", true, theme);
    let inner = block.inner(popup);
    block.render(popup, buf);
    // Wrapped rows, not lines: a narrow terminal wraps the longer descriptions.
    let total = wrapped_len(lines.clone(), inner.width);
    let scroll = scroll.min(total.saturating_sub(inner.height));
    if scroll + inner.height < total {
        // Say there is more, on the bottom border, rather than cutting it off silently.
        let more = " ↓ more ";
        let x = popup.x + popup.width.saturating_sub(more.len() as u16 + 2);
        buf.set_string(x, popup.y + popup.height - 1, more, theme.key());
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(inner, buf);
}
