//! Time charts drawn cell by cell: bars in eighths of a cell for a series over time, the fault
//! windows shaded under them and marked on a row of their own, the time cursor as a column in
//! reverse video, and a breaker-state strip per edge. Drawn by hand rather than with ratatui's
//! `Chart` because the cursor, the fault shading and the breaker strips must line up column
//! for column, which needs the column ↔ time mapping here, not inside a widget.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::{Theme, ui};

/// How time buckets map to chart columns: column `c` covers the buckets `ranges[c]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    pub ranges: Vec<Range<usize>>,
}

impl Columns {
    /// `buckets` buckets in at most `width` columns, as evenly as integers allow.
    pub fn new(buckets: usize, width: usize) -> Columns {
        let columns = buckets.min(width);
        let ranges = (0..columns)
            .map(|c| (c * buckets / columns)..((c + 1) * buckets / columns))
            .collect();
        Columns { ranges }
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// The column holding `bucket`.
    pub fn of(&self, bucket: usize) -> Option<usize> {
        self.ranges.iter().position(|r| r.contains(&bucket))
    }
}

const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A bar chart of one series: its title and scale in a gutter on the left, bars in eighths of
/// a cell on the right, one column per [`Columns`] entry.
pub(crate) struct Bars<'a> {
    /// The title, on the gutter's first row.
    pub title: &'a str,
    /// The unit, shown after the largest value on the gutter's second row.
    pub unit: &'a str,
    /// One value per column; `None` where there is nothing to show (no requests).
    pub values: &'a [Option<f64>],
    /// Per column: inside a fault window.
    pub faults: &'a [bool],
    /// The cursor's column.
    pub cursor: Option<usize>,
    /// The gutter's width; the bars start one column after it.
    pub gutter: u16,
    /// Colours.
    pub theme: Theme,
}

impl Bars<'_> {
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width <= self.gutter + 1 {
            return;
        }
        let theme = self.theme;
        let max = self
            .values
            .iter()
            .flatten()
            .copied()
            .fold(0.0_f64, f64::max);
        let gutter = self.gutter as usize;
        buf.set_stringn(
            area.x,
            area.y,
            ui::truncate(self.title, gutter),
            gutter,
            theme.title(),
        );
        if area.height >= 2 {
            let scale = format!("max {}{}", ui::compact(max), self.unit);
            buf.set_stringn(
                area.x,
                area.y + 1,
                ui::truncate(&scale, gutter),
                gutter,
                theme.dim(),
            );
        }
        let x0 = area.x + self.gutter + 1;
        let rows = area.height;
        let eighths_total = u32::from(rows) * 8;
        let width = (area.width - self.gutter - 1) as usize;
        for (c, value) in self.values.iter().enumerate().take(width) {
            let x = x0 + c as u16;
            let level = match value {
                Some(v) if max > 0.0 && *v > 0.0 => {
                    ((v / max) * f64::from(eighths_total)).round().max(1.0) as u32
                }
                _ => 0,
            };
            let mut style = theme.bar();
            if self.faults.get(c).copied().unwrap_or(false) {
                style = style.patch(theme.fault());
            }
            if self.cursor == Some(c) {
                style = style.patch(theme.cursor());
            }
            for r in 0..rows {
                // Row 0 is the bottom.
                let filled = level.saturating_sub(u32::from(r) * 8).min(8);
                let y = area.y + area.height - 1 - r;
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_char(EIGHTHS[filled as usize]);
                    cell.set_style(style);
                }
            }
        }
    }
}

/// The fault row: `▀` under every column inside a fault window, with the first fault's label.
pub(crate) fn fault_row(
    faults: &[bool],
    label: &str,
    cursor: Option<usize>,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    if area.height == 0 {
        return;
    }
    for (c, in_fault) in faults.iter().enumerate().take(area.width as usize) {
        let x = area.x + c as u16;
        let mut style = if *in_fault {
            theme.fault_marker()
        } else {
            theme.dim()
        };
        if cursor == Some(c) {
            style = style.patch(theme.cursor());
        }
        buf.set_string(x, area.y, if *in_fault { "▀" } else { " " }, style);
    }
    // The label goes right after the first window, or before it when there is no room after.
    if let Some(end) = faults.iter().rposition(|f| *f) {
        let start = faults.iter().position(|f| *f).unwrap_or(0);
        let text = format!(" {label}");
        let len = text.chars().count();
        let width = (area.width as usize).min(faults.len());
        let x = if end + 1 + len <= width {
            Some(end + 1)
        } else if start >= len {
            Some(start - len)
        } else {
            None
        };
        if let Some(x) = x {
            buf.set_string(area.x + x as u16, area.y, text, theme.fault_marker());
        }
    }
}

/// The time axis: start and end labels, and `▲` under the cursor's column.
pub(crate) fn axis_row(
    columns: usize,
    cursor: Option<usize>,
    (start, end): (&str, &str),
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    if area.height == 0 {
        return;
    }
    let width = columns.min(area.width as usize);
    buf.set_string(area.x, area.y, start, theme.dim());
    let end_len = end.chars().count();
    if width > end_len + start.chars().count() + 1 {
        buf.set_string(area.x + (width - end_len) as u16, area.y, end, theme.dim());
    }
    if let Some(c) = cursor.filter(|c| *c < width) {
        buf.set_string(area.x + c as u16, area.y, "▲", theme.key());
    }
}

/// A breaker's state in one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakerCell {
    /// No replica's breaker was open or half-open.
    Closed,
    /// Some replica's breaker was half-open (trial calls), none open.
    HalfOpen,
    /// Some replica's breaker was open (calls refused).
    Open,
}

impl BreakerCell {
    pub fn glyph(self) -> char {
        match self {
            BreakerCell::Closed => '─',
            BreakerCell::HalfOpen => '▒',
            BreakerCell::Open => '█',
        }
    }

    pub fn style(self, theme: Theme) -> Style {
        match self {
            BreakerCell::Closed => theme.breaker_closed(),
            BreakerCell::HalfOpen => theme.warn(),
            BreakerCell::Open => theme.bad(),
        }
    }
}

/// One breaker strip: `label` then one glyph per column.
pub(crate) fn breaker_row(
    label: &str,
    label_width: usize,
    cells: &[BreakerCell],
    cursor: Option<usize>,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    if area.height == 0 {
        return;
    }
    let label = format!("{:<label_width$} ", ui::truncate(label, label_width));
    buf.set_stringn(area.x, area.y, &label, area.width as usize, theme.text());
    let x0 = area.x + label_width as u16 + 1;
    for (c, cell) in cells.iter().enumerate() {
        let x = x0 + c as u16;
        if x >= area.x + area.width {
            break;
        }
        let mut style = cell.style(theme);
        if cursor == Some(c) {
            style = style.patch(theme.cursor());
        }
        buf.set_string(x, area.y, cell.glyph().to_string(), style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_fill_the_columns_evenly_and_each_belongs_to_one() {
        let c = Columns::new(300, 50);
        assert_eq!(c.len(), 50);
        assert_eq!(c.ranges[0], 0..6);
        assert_eq!(c.ranges[49], 294..300);
        assert_eq!(c.of(299), Some(49));
        assert_eq!(c.of(6), Some(1));
        let fewer = Columns::new(10, 50);
        assert_eq!(fewer.len(), 10);
        assert_eq!(fewer.of(3), Some(3));
        let covered: usize = Columns::new(97, 40).ranges.iter().map(|r| r.len()).sum();
        assert_eq!(covered, 97);
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_mark_the_cursor() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 7, 2));
        Bars {
            title: "t",
            unit: "",
            values: &[Some(1.0), Some(2.0), None, Some(0.5)],
            faults: &[false; 4],
            cursor: Some(2),
            gutter: 2,
            theme: Theme::monochrome(),
        }
        .render(buf.area, &mut buf);
        // Two rows of bars from column 3: 16 eighths for the largest value.
        assert_eq!(buf[(0, 0)].symbol(), "t");
        assert_eq!(buf[(4, 0)].symbol(), "█");
        assert_eq!(buf[(4, 1)].symbol(), "█");
        assert_eq!(buf[(3, 1)].symbol(), "█");
        assert_eq!(buf[(3, 0)].symbol(), " ");
        assert_eq!(buf[(6, 1)].symbol(), "▄");
        assert!(
            buf[(5, 1)]
                .modifier
                .contains(ratatui::style::Modifier::REVERSED)
        );
    }
}
