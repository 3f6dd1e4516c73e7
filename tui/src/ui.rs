//! Drawing helpers every tab shares: the bordered block, keeping a selection in view, cutting
//! names to a width, and the two ways numbers are written (grouped counts, compact values).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::Theme;

/// A bordered block with a title, highlighted when it has the keyboard.
pub fn block(title: impl Into<String>, focused: bool, theme: Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(if focused {
            theme.border_focused()
        } else {
            theme.border()
        })
        .title(Line::styled(format!(" {} ", title.into()), theme.title()))
}

/// The first row of a list to show so that `selected` is visible in `height` rows.
pub fn scroll_to(selected: usize, height: usize, len: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    let half = height / 2;
    selected.saturating_sub(half).min(len - height)
}

/// Cuts `text` to `width` characters, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Cuts a styled line to `width` columns, ending with `…` when cut, for lines drawn without
/// wrapping (a tree keeps its shape only unwrapped): a cut line then says that it is cut.
pub fn truncate_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = span.width();
        if used + w < width {
            used += w;
            spans.push(span);
            continue;
        }
        // The room left, less one column for the ellipsis.
        let room = width.saturating_sub(used + 1);
        let mut text = String::new();
        let mut taken = 0;
        for c in span.content.chars() {
            // A span's width is ratatui's measure (unicode-width), so measure a char the same.
            let cw = Span::raw(c.encode_utf8(&mut [0; 4]).to_owned()).width();
            if taken + cw > room {
                break;
            }
            taken += cw;
            text.push(c);
        }
        if width > 0 {
            text.push('…');
        }
        spans.push(Span::styled(text, span.style));
        break;
    }
    Line {
        spans,
        style: line.style,
        alignment: line.alignment,
    }
}

/// A number with thousands separators: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A compact number for charts and cells: `0`, `0.042`, `3.1`, `42`, `1.2k`, `3.4M`, `5.6G`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if x.fract() == 0.0 && a < 1e3 {
        format!("{x:.0}")
    } else if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A centred rectangle of at most `width` × `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact_and_grouped() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(0.5), "0.50");
        assert_eq!(compact(3.0), "3");
        assert_eq!(compact(12.34), "12.3");
        assert_eq!(compact(1234.0), "1.2k");
        assert_eq!(compact(2_500_000.0), "2.5M");
        assert_eq!(compact(1_234_567_890_123.0), "1234.6G");
    }

    #[test]
    fn the_selection_stays_in_view() {
        assert_eq!(scroll_to(0, 5, 20), 0);
        assert_eq!(scroll_to(10, 5, 20), 8);
        assert_eq!(scroll_to(19, 5, 20), 15);
        assert_eq!(scroll_to(3, 5, 4), 0);
    }

    #[test]
    fn long_lines_are_cut_with_an_ellipsis_across_spans() {
        let line = || {
            Line::from(vec![
                Span::raw("├─ "),
                Span::raw("payments.charge"),
                Span::raw("  retry×3"),
            ])
        };
        assert_eq!(
            truncate_line(line(), 40).to_string(),
            "├─ payments.charge  retry×3"
        );
        assert_eq!(truncate_line(line(), 10).to_string(), "├─ paymen…");
        assert_eq!(truncate_line(line(), 18).to_string(), "├─ payments.charg…");
        assert_eq!(truncate_line(line(), 19).to_string(), "├─ payments.charge…");
        assert_eq!(truncate_line(line(), 0).to_string(), "");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("payments", 5), "paym…");
        assert_eq!(truncate("pay", 5), "pay");
    }
}
