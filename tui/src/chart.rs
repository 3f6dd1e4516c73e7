//! Time charts drawn cell by cell: bars in eighths of a cell for a series over time (with a
//! second series as markers over them, for two percentiles on one scale), the fault
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

/// A bar chart of one series, optionally with a second series drawn over it as markers: the
/// title, scale and legend in a gutter on the left, bars in eighths of a cell on the right, one
/// column per [`Columns`] entry.
pub(crate) struct Bars<'a> {
    /// The title, on the gutter's first row.
    pub title: &'a str,
    /// The unit, shown after the largest value on the gutter's second row.
    pub unit: &'a str,
    /// One value per column; `None` where there is nothing to show (no requests).
    pub values: &'a [Option<f64>],
    /// A second series over the bars, on the same scale.
    pub overlay: Option<Overlay<'a>>,
    /// Per column: inside a fault window.
    pub faults: &'a [bool],
    /// The cursor's column.
    pub cursor: Option<usize>,
    /// The gutter's width; the bars start one column after it.
    pub gutter: u16,
    /// Bars on a log scale from this floor (a power of ten) to the largest value, when a
    /// linear one would flatten a series against zero (see
    /// `microcosm_simulator::plot::axis::Scale::for_latency`); `None` for linear from 0.
    pub log_floor: Option<f64>,
    /// Colours.
    pub theme: Theme,
}

/// A series drawn as one marker per column, at the cell its value reaches: it reads apart from
/// the bars by its glyph, with or without colour.
pub(crate) struct Overlay<'a> {
    /// One value per column, like the bars'.
    pub values: &'a [Option<f64>],
    /// The marker.
    pub glyph: char,
    /// The legend's name of the bars' series.
    pub bars_label: &'a str,
    /// The legend's name of this series.
    pub label: &'a str,
}

/// The marker of an [`Overlay`] series.
pub(crate) const MARKER: char = '•';

impl Bars<'_> {
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width <= self.gutter + 1 {
            return;
        }
        let theme = self.theme;
        let overlay_values = self.overlay.as_ref().map_or(&[][..], |o| o.values);
        let max = self
            .values
            .iter()
            .chain(overlay_values)
            .flatten()
            .copied()
            .fold(0.0_f64, f64::max);
        let gutter = self.gutter as usize;
        // The share of the height a value reaches: linear from 0, or logarithmic from the
        // floor (a value at or under the floor still shows as the lowest eighth).
        let log_floor = self.log_floor.filter(|f| *f > 0.0 && *f < max);
        let share = |v: f64| match log_floor {
            Some(floor) => (v.max(floor) / floor).log10() / (max / floor).log10(),
            None => v / max,
        };
        let mut gutter_rows: Vec<(String, ratatui::style::Style)> = Vec::new();
        // The legend gets rows of its own when the chart is tall enough, else it takes the
        // title's row: the unit on the scale row still says what is charted.
        let legend = self.overlay.as_ref().map(|o| {
            (
                format!("{} {}", EIGHTHS[8], o.bars_label),
                format!("{} {}", o.glyph, o.label),
            )
        });
        match &legend {
            Some((bars, marks)) if area.height < 4 => {
                let both = format!("{bars} {marks}");
                let both = if both.chars().count() <= gutter {
                    both
                } else {
                    both.replace(' ', "")
                };
                gutter_rows.push((both, theme.title()));
            }
            _ => gutter_rows.push((self.title.to_owned(), theme.title())),
        }
        let value = ui::compact(max);
        let log = if log_floor.is_some() { "log " } else { "" };
        // A log scale says so before anything else: its bars read differently.
        let scale = [
            format!("{log}max {value}{}", self.unit),
            format!("{log}{value}{}", self.unit),
            format!("max {value}{}", self.unit),
            format!("{value}{}", self.unit),
        ]
        .into_iter()
        .find(|s| s.chars().count() <= gutter)
        .unwrap_or_else(|| format!("max {value}"));
        gutter_rows.push((scale, theme.dim()));
        if let Some((bars, marks)) = legend
            && area.height >= 4
        {
            gutter_rows.push((bars, theme.bar()));
            gutter_rows.push((marks, theme.overlay()));
        }
        for (row, (text, style)) in gutter_rows.iter().take(area.height as usize).enumerate() {
            buf.set_stringn(
                area.x,
                area.y + row as u16,
                ui::truncate(text, gutter),
                gutter,
                *style,
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
                    (share(*v) * f64::from(eighths_total)).round().max(1.0) as u32
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
            // The marker sits in the cell its value reaches, over whatever bar is there.
            if let Some(o) = &self.overlay
                && let Some(Some(v)) = o.values.get(c)
                && max > 0.0
                && *v > 0.0
            {
                let eighths = (share(*v) * f64::from(eighths_total)).round().max(1.0) as u32;
                let r = (eighths.div_ceil(8).max(1) - 1).min(u32::from(rows) - 1) as u16;
                let y = area.y + area.height - 1 - r;
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_char(o.glyph);
                    cell.set_style(style.patch(theme.overlay()));
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
    /// Some replica's breaker changed state inside the column: it was in more than one, and
    /// the column is too coarse to show each (a few-ms half-open trial between two open
    /// spells, say).
    Changed,
}

impl BreakerCell {
    pub fn glyph(self) -> char {
        match self {
            BreakerCell::Closed => '─',
            BreakerCell::HalfOpen => '▒',
            BreakerCell::Open => '█',
            BreakerCell::Changed => '▚',
        }
    }

    pub fn style(self, theme: Theme) -> Style {
        match self {
            BreakerCell::Closed => theme.breaker_closed(),
            BreakerCell::HalfOpen => theme.warn(),
            BreakerCell::Open | BreakerCell::Changed => theme.bad(),
        }
    }
}

/// The legend of the breaker strips in at most `width` columns: roomy, then tight, then
/// with the shortest words, cut only when even that does not fit.
pub(crate) fn breaker_legend(width: usize) -> String {
    let variants = [
        "─ closed  ▒ half-open  █ open  ▚ changed",
        "─ closed ▒ half-open █ open ▚ changed",
        "─closed ▒half-open █open ▚changed",
        "─closed ▒half █open ▚changed",
    ];
    variants
        .iter()
        .find(|v| v.chars().count() <= width)
        .map_or_else(|| ui::truncate(variants[3], width), |v| (*v).to_owned())
}

/// One edge's breakers per column, from every transition the run recorded rather than the
/// per-bucket series (which samples each bucket's end, so a breaker that went half-open and
/// opened again inside a bucket never shows in it): a column with a transition inside is
/// [`BreakerCell::Changed`]; otherwise the worst state any replica was in.
pub(crate) fn breaker_cells(
    breaker: &microcosm_simulator::report::BreakerReport,
    columns: &Columns,
    bucket_s: f64,
    duration_s: f64,
) -> Vec<BreakerCell> {
    let mut bounds: Vec<f64> = columns
        .ranges
        .iter()
        .map(|r| r.start as f64 * bucket_s)
        .collect();
    if let Some(last) = columns.ranges.last() {
        bounds.push(last.end as f64 * bucket_s);
    }
    microcosm_simulator::plot::timeline::windows(breaker, duration_s, &bounds)
        .into_iter()
        .map(|w| {
            if w.transitions > 0 {
                BreakerCell::Changed
            } else if w.open {
                BreakerCell::Open
            } else if w.half_open {
                BreakerCell::HalfOpen
            } else {
                BreakerCell::Closed
            }
        })
        .collect()
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
    fn an_overlay_marks_its_values_over_the_bars_on_one_scale_with_a_legend() {
        let bars = |height: u16| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 15, height));
            Bars {
                title: "latency",
                unit: " ms",
                values: &[Some(1.0), Some(2.0)],
                overlay: Some(Overlay {
                    values: &[Some(4.0), Some(2.0)],
                    glyph: MARKER,
                    bars_label: "p50",
                    label: "p99",
                }),
                faults: &[false; 2],
                cursor: None,
                gutter: 12,
                log_floor: None,
                theme: Theme::monochrome(),
            }
            .render(buf.area, &mut buf);
            buf
        };
        let row = |buf: &Buffer, y: u16| -> String {
            (0..12).map(|x| buf[(x, y)].symbol()).collect::<String>()
        };
        // Four rows, 32 eighths for the largest value of either series (4.0).
        let buf = bars(4);
        assert_eq!(row(&buf, 0).trim_end(), "latency");
        assert_eq!(row(&buf, 1).trim_end(), "max 4 ms");
        assert_eq!(row(&buf, 2).trim_end(), "█ p50");
        assert_eq!(row(&buf, 3).trim_end(), "• p99");
        assert_eq!(buf[(13, 3)].symbol(), "█", "1.0 fills the bottom row");
        assert_eq!(buf[(13, 2)].symbol(), " ");
        assert_eq!(buf[(13, 0)].symbol(), "•", "4.0 marks the top row");
        assert_eq!(buf[(14, 3)].symbol(), "█");
        assert_eq!(
            buf[(14, 2)].symbol(),
            "•",
            "the marker replaces the bar's top cell"
        );
        assert!(
            buf[(13, 0)]
                .modifier
                .contains(ratatui::style::Modifier::BOLD)
        );
        // Two rows: the legend takes the title's row.
        let buf = bars(2);
        assert_eq!(row(&buf, 0).trim_end(), "█ p50 • p99");
        assert_eq!(row(&buf, 1).trim_end(), "max 4 ms");
    }

    #[test]
    fn a_breaker_that_flaps_inside_a_column_shows_it_though_every_bucket_end_saw_it_open() {
        use microcosm_simulator::report::{BreakerReport, BreakerTransition};
        let t = |at_s: f64, from: &str, to: &str| BreakerTransition {
            at_s,
            replica: 0,
            from: from.to_owned(),
            to: to.to_owned(),
        };
        // Opens at 10.5 s, tries half-open for 5 ms at 20.5 s and 30.5 s, opens again after
        // the first and closes after the second: every bucket end from 11 s to 30 s sees it
        // open, so the series alone draws one block.
        let b = BreakerReport {
            replicas: 1,
            transitions: vec![
                t(10.5, "CLOSED", "OPEN"),
                t(20.5, "OPEN", "HALF_OPEN"),
                t(20.505, "HALF_OPEN", "OPEN"),
                t(30.5, "OPEN", "HALF_OPEN"),
                t(30.505, "HALF_OPEN", "CLOSED"),
            ],
            series: (0..40)
                .map(|i| {
                    if (11..31).contains(&i) {
                        (1, 0)
                    } else {
                        (0, 0)
                    }
                })
                .collect(),
        };
        // Forty 1 s buckets in eight columns of 5 s.
        let cells = breaker_cells(&b, &Columns::new(40, 8), 1.0, 40.0);
        use BreakerCell::*;
        assert_eq!(
            cells,
            [
                Closed, Closed, Changed, Open, Changed, Open, Changed, Closed
            ]
        );
        let strip: String = cells.iter().map(|c| c.glyph()).collect();
        assert_eq!(strip, "──▚█▚█▚─");
        assert_eq!(
            cells.iter().filter(|c| **c == Changed).count(),
            3,
            "one changed column per burst of transitions"
        );
    }

    #[test]
    fn on_a_log_scale_a_spike_leaves_the_other_bars_standing() {
        // 5 ms everywhere and one 1,200 ms spike, on four rows (32 eighths).
        let values = [Some(5.0), Some(5.0), Some(1200.0)];
        let bars = |log_floor: Option<f64>| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 16, 4));
            Bars {
                title: "latency",
                unit: " ms",
                values: &values,
                overlay: None,
                faults: &[false; 3],
                cursor: None,
                gutter: 12,
                log_floor,
                theme: Theme::monochrome(),
            }
            .render(buf.area, &mut buf);
            buf
        };
        let height = |buf: &Buffer, x: u16| -> usize {
            (0..4).filter(|y| buf[(x, *y)].symbol() != " ").count()
        };
        // Linear: 5 of 1,200 is a sliver in the bottom row.
        let linear = bars(None);
        assert_eq!(height(&linear, 13), 1);
        assert_eq!(linear[(13, 3)].symbol(), "▁");
        // Log from 1 ms: 5 ms reaches log 5 / log 1200 of the height, 7 of 32 eighths.
        let log = bars(Some(1.0));
        assert_eq!(log[(13, 3)].symbol(), "▇");
        assert_eq!(height(&log, 15), 4, "the spike still fills the chart");
        let gutter: String = (0..12).map(|x| log[(x, 1)].symbol()).collect();
        assert_eq!(gutter.trim_end(), "log 1.2k ms", "{gutter}");
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_mark_the_cursor() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 7, 2));
        Bars {
            title: "t",
            unit: "",
            values: &[Some(1.0), Some(2.0), None, Some(0.5)],
            overlay: None,
            faults: &[false; 4],
            cursor: Some(2),
            gutter: 2,
            log_floor: None,
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
