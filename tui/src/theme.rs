//! The explorer's one theme: every colour and emphasis the tabs use, by meaning (a verdict that
//! holds, a changed field, an open breaker), never by hue. With colour off (`NO_COLOR`, a dumb
//! terminal, `--color never`) each style falls back to modifiers only, and nothing the screen
//! says depends on colour alone: verdicts are words, breaker states and fault windows have their
//! own glyphs, changed fields say `before → after`. Colour only makes them faster to see.

use ratatui::style::{Color, Modifier, Style};

/// The styles of the explorer, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// The coloured theme.
    pub const fn colored() -> Theme {
        Theme { color: true }
    }

    /// The theme without colour: bold, underline and reverse video only.
    pub const fn monochrome() -> Theme {
        Theme { color: false }
    }

    /// Colour unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>) or the
    /// terminal says it cannot show any (`TERM=dumb`).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if no_color || dumb {
            Theme::monochrome()
        } else {
            Theme::colored()
        }
    }

    /// Whether this theme uses colour.
    pub fn is_colored(self) -> bool {
        self.color
    }

    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    /// Ordinary text.
    pub fn text(self) -> Style {
        Style::new()
    }

    /// Secondary text: hints, units, axis labels.
    pub fn dim(self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// Headings and block titles.
    pub fn title(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A block's border.
    pub fn border(self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }

    /// The border of the block that has the keyboard's attention.
    pub fn border_focused(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The active tab in the tab bar.
    pub fn tab_active(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// The selected row of a list or table.
    pub fn selected(self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Indexed(237))
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// A key name in the footer and the help.
    pub fn key(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Something that holds or passed.
    pub fn ok(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// Something violated, failed or broken.
    pub fn bad(self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// Something undecided or worth a look: inconclusive, a warning, a half-open breaker.
    pub fn warn(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::ITALIC),
        )
    }

    /// Work in progress.
    pub fn busy(self) -> Style {
        self.pick(Style::new().fg(Color::Magenta), Style::new())
    }

    /// A state field the current step changed.
    pub fn changed(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    /// The acting party or the message arrow of the current step in a sequence chart.
    pub fn actor(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A column of a time chart inside a fault window.
    pub fn fault(self) -> Style {
        self.pick(Style::new().bg(Color::Indexed(52)), Style::new())
    }

    /// The fault marker row under the charts.
    pub fn fault_marker(self) -> Style {
        self.pick(Style::new().fg(Color::Red), Style::new())
    }

    /// The time cursor's column.
    pub fn cursor(self) -> Style {
        self.pick(
            Style::new().bg(Color::Indexed(24)),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// Bars of a time chart.
    pub fn bar(self) -> Style {
        self.pick(Style::new().fg(Color::Blue), Style::new())
    }

    /// The markers of a chart's second series, over the bars.
    pub fn overlay(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// A closed breaker (calls flow).
    pub fn breaker_closed(self) -> Style {
        self.pick(
            Style::new().fg(Color::Green),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    /// A heat-map cell at `level` in 0..=4 (0 nothing, 4 the hottest cell of the matrix).
    /// Without colour the levels climb from dim through plain and bold to reversed, so each
    /// still looks different from its neighbours (the map also marks each with a glyph).
    pub fn heat(self, level: u8) -> Style {
        if !self.color {
            return match level {
                0 | 1 => Style::new().add_modifier(Modifier::DIM),
                2 => Style::new(),
                3 => Style::new().add_modifier(Modifier::BOLD),
                _ => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            };
        }
        let bg = match level {
            0 => return Style::new().fg(Color::DarkGray),
            1 => Color::Indexed(23),
            2 => Color::Indexed(30),
            3 => Color::Indexed(136),
            _ => Color::Indexed(160),
        };
        Style::new().fg(Color::White).bg(bg)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::colored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monochrome_theme_sets_no_colour_anywhere() {
        let t = Theme::monochrome();
        let styles = [
            t.text(),
            t.dim(),
            t.title(),
            t.border(),
            t.border_focused(),
            t.tab_active(),
            t.selected(),
            t.key(),
            t.ok(),
            t.bad(),
            t.warn(),
            t.busy(),
            t.changed(),
            t.actor(),
            t.fault(),
            t.fault_marker(),
            t.cursor(),
            t.bar(),
            t.overlay(),
            t.breaker_closed(),
            t.heat(0),
            t.heat(2),
            t.heat(4),
        ];
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
    }

    #[test]
    fn heat_levels_with_something_to_show_differ_without_colour() {
        let t = Theme::monochrome();
        let levels: Vec<Style> = (1..=4).map(|l| t.heat(l)).collect();
        for (i, a) in levels.iter().enumerate() {
            for b in &levels[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn selection_and_changes_stay_visible_without_colour() {
        let t = Theme::monochrome();
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
        assert!(t.changed().add_modifier.contains(Modifier::BOLD));
        assert!(t.cursor().add_modifier.contains(Modifier::REVERSED));
    }
}
