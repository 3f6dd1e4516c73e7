//! A finished run of the Simulate tab, drawn: the header of the endpoint shown, throughput,
//! error-rate and latency charts over time with the fault windows shaded, a breaker-state strip
//! per edge, and the time cursor's readout with each expectation's verdict. Called by `render`
//! (beside it) with the report to draw; it draws through [`crate::chart`]'s widgets. It is apart
//! from the rest of the tab's drawing because its layout (the readout sized first, the charts
//! shrinking to fit) is a problem of its own.

use microcosm_simulator::SimReport;
use microcosm_simulator::metrics::EndpointPoint;
use microcosm_simulator::plot::axis::Scale;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::render::{expectation_mark, secs, verdict_word};
use super::{Percentile, SimulateState, buckets, entry_endpoints};
use crate::chart::{self, Bars, Columns, Overlay};
use crate::{Theme, ui};

/// The chart header: the endpoint's name, its place among the entry endpoints and its totals.
/// When the line is too narrow, fields go whole, least telling first (the place, the request
/// count, the p99), never cut mid-number; only the name itself is cut, with `…`.
fn header_line(
    name: &str,
    (position, of): (usize, usize),
    endpoint: &microcosm_simulator::report::EndpointReport,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let place = format!(" ({position}/{of})");
    let requests = format!("{} req", ui::thousands(endpoint.requests));
    let ok = format!("{:.2}% ok", endpoint.availability * 100.0);
    let p99 = format!("p99 {} ms", ui::compact(endpoint.latency_ms.p99));
    // Each variant keeps the fields of the next and one more, in the order they are dropped.
    let variants: [(bool, Vec<&str>); 5] = [
        (true, vec![&requests, &ok, &p99]),
        (false, vec![&requests, &ok, &p99]),
        (false, vec![&ok, &p99]),
        (false, vec![&ok]),
        (false, vec![]),
    ];
    let name_width = name.chars().count();
    for (with_place, fields) in &variants {
        let totals = if fields.is_empty() {
            String::new()
        } else {
            format!("  {}", fields.join(" · "))
        };
        let place = if *with_place { place.as_str() } else { "" };
        if name_width + place.chars().count() + totals.chars().count() <= width {
            return Line::from(vec![
                Span::styled(name.to_owned(), theme.title()),
                Span::styled(format!("{place}{totals}"), theme.dim()),
            ]);
        }
    }
    Line::styled(ui::truncate(name, width), theme.title())
}

/// Per-column aggregates of one endpoint's series.
struct Aggregates {
    throughput: Vec<Option<f64>>,
    error_rate: Vec<Option<f64>>,
    median: Vec<Option<f64>>,
    tail: Vec<Option<f64>>,
}

fn aggregate(
    series: &[EndpointPoint],
    columns: &Columns,
    bucket_s: f64,
    tail: Percentile,
) -> Aggregates {
    let mut a = Aggregates {
        throughput: Vec::new(),
        error_rate: Vec::new(),
        median: Vec::new(),
        tail: Vec::new(),
    };
    for range in &columns.ranges {
        let points = &series[range.start.min(series.len())..range.end.min(series.len())];
        let requests: u64 = points.iter().map(|p| p.requests).sum();
        let errors: u64 = points.iter().map(|p| p.errors).sum();
        let seconds = range.len() as f64 * bucket_s;
        a.throughput
            .push((seconds > 0.0).then(|| requests as f64 / seconds));
        a.error_rate
            .push((requests > 0).then(|| errors as f64 / requests as f64 * 100.0));
        // The worst bucket of the column: a spike must not average away.
        let worst = |percentile: Percentile| {
            points
                .iter()
                .filter(|p| p.requests > 0)
                .map(|p| percentile.of(p))
                .reduce(f64::max)
        };
        a.median.push(worst(Percentile::P50));
        a.tail.push(worst(tail));
    }
    a
}

pub(super) fn render_report(
    state: &SimulateState,
    report: &SimReport,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let verdict = verdict_word(report);
    let block = ui::block(
        format!("{} · seed {} · {verdict}", report.experiment, report.seed),
        false,
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let endpoints = entry_endpoints(report);
    let Some(&endpoint_name) = endpoints.get(state.endpoint.min(endpoints.len().saturating_sub(1)))
    else {
        Paragraph::new("The run measured no endpoint.").render(inner, buf);
        return;
    };
    let endpoint = &report.endpoints[endpoint_name];
    let n = buckets(report);
    // One gutter for chart titles and breaker edges, so every strip and chart shares the same
    // columns: a column is the same instant all the way down.
    let gutter = report
        .breakers
        .keys()
        .map(|k| k.chars().count())
        .chain([12])
        .max()
        .unwrap_or(12)
        .min(inner.width as usize / 3) as u16;
    let plot_width = inner.width.saturating_sub(gutter + 1) as usize;
    let columns = Columns::new(n, plot_width);
    let cursor = columns.of(state.cursor);
    let bucket_s = report.bucket_s;
    let faults: Vec<bool> = columns
        .ranges
        .iter()
        .map(|r| {
            let (from, to) = (r.start as f64 * bucket_s, r.end as f64 * bucket_s);
            report
                .faults
                .iter()
                .any(|f| f.start_s < to && f.end_s > from)
        })
        .collect();
    let agg = aggregate(&endpoint.series, &columns, bucket_s, state.percentile);

    // The readout is sized first, from its wrapped text: it is what the cursor is for, so the
    // charts shrink (to CHART_MIN rows each) and the breaker strips fold into "+N more" before
    // it loses a line. Fixed rows: header, fault row, axis.
    let breakers = report.breakers.len() as u16;
    let fixed = 3;
    let breakers_min = if breakers > 0 { 2 } else { 0 };
    let readout_room = inner
        .height
        .saturating_sub(fixed + 3 * CHART_MIN + breakers_min);
    let readout = readout_paragraph(
        report,
        endpoint_name,
        state.cursor,
        inner.width,
        readout_room,
        theme,
    );
    let readout_height = (readout.line_count(inner.width) as u16).min(readout_room);
    let room = inner.height.saturating_sub(fixed + readout_height);
    let breaker_rows = if breakers > 0 {
        breakers.min(room.saturating_sub(3 * CHART_MIN + 1).max(1))
    } else {
        0
    };
    let breaker_height = if breakers > 0 { breaker_rows + 1 } else { 0 };
    let chart_height = room.saturating_sub(breaker_height) / 3;
    let [
        header,
        c1,
        c2,
        c3,
        fault_area,
        axis,
        breaker_area,
        readout_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_height),
        Constraint::Length(chart_height),
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(breaker_height),
        Constraint::Min(0),
    ])
    .areas(inner);
    let plot = |area: Rect| {
        Rect::new(
            area.x + gutter + 1,
            area.y,
            area.width.saturating_sub(gutter + 1),
            area.height,
        )
    };

    let header_line = header_line(
        endpoint_name,
        (state.endpoint.min(endpoints.len() - 1) + 1, endpoints.len()),
        endpoint,
        header.width as usize,
        theme,
    );
    Paragraph::new(header_line).render(header, buf);
    let tail = Overlay {
        values: &agg.tail,
        glyph: chart::MARKER,
        bars_label: Percentile::P50.label(),
        label: state.percentile.label(),
    };
    // The latency chart turns logarithmic on the plots' rule: when a spike would leave a
    // percentile's bars flat on the floor.
    let latency_floor = match Scale::for_latency(&[
        agg.median.iter().flatten().copied().collect(),
        agg.tail.iter().flatten().copied().collect(),
    ]) {
        Scale::Log { min, .. } => Some(min),
        Scale::Linear { .. } => None,
    };
    for (area, title, unit, values, overlay, log_floor) in [
        (c1, "throughput", " req/s", &agg.throughput, None, None),
        (c2, "error rate", "%", &agg.error_rate, None, None),
        (c3, "latency", " ms", &agg.median, Some(tail), latency_floor),
    ] {
        Bars {
            title,
            unit,
            values,
            overlay,
            faults: &faults,
            cursor,
            gutter,
            log_floor,
            theme,
        }
        .render(area, buf);
    }
    let fault_label = match report.faults.as_slice() {
        [] => String::new(),
        [f] => format!("{} {}", f.kind, f.target),
        [f, rest @ ..] => format!("{} {} +{}", f.kind, f.target, rest.len()),
    };
    buf.set_stringn(
        fault_area.x,
        fault_area.y,
        "faults",
        gutter as usize,
        theme.dim(),
    );
    chart::fault_row(&faults, &fault_label, cursor, theme, plot(fault_area), buf);
    chart::axis_row(
        columns.len(),
        cursor,
        ("0 s", &secs(report.duration_s)),
        theme,
        plot(axis),
        buf,
    );

    if breakers > 0 && breaker_area.height > 0 {
        buf.set_stringn(
            breaker_area.x,
            breaker_area.y,
            "breakers",
            gutter as usize,
            theme.dim(),
        );
        let legend = plot(breaker_area);
        buf.set_stringn(
            legend.x,
            legend.y,
            chart::breaker_legend(legend.width as usize),
            legend.width as usize,
            theme.dim(),
        );
        for (i, (edge, b)) in report
            .breakers
            .iter()
            .take(breaker_rows as usize)
            .enumerate()
        {
            let cells = chart::breaker_cells(b, &columns, bucket_s, report.duration_s);
            let row = Rect::new(
                breaker_area.x,
                breaker_area.y + 1 + i as u16,
                breaker_area.width,
                1,
            );
            chart::breaker_row(edge, gutter as usize, &cells, cursor, theme, row, buf);
        }
        if breaker_rows < breakers {
            let more = format!(" +{} more ", breakers - breaker_rows);
            let y = breaker_area.y;
            let x = breaker_area.x + breaker_area.width.saturating_sub(more.len() as u16);
            buf.set_string(x, y, more, theme.dim());
        }
    }
    readout.render(readout_area, buf);
}

/// Rows each chart keeps however small the terminal.
const CHART_MIN: u16 = 2;

/// The time cursor's readout in at most `rows` rows of `width` when it can: every number at the
/// instant, then the verdict of each expectation over the run. Expectations that hold shrink
/// to their names first (one line for all of them), then every one does, before anything is
/// cut.
fn readout_paragraph(
    report: &SimReport,
    endpoint: &str,
    bucket: usize,
    width: u16,
    rows: u16,
    theme: Theme,
) -> Paragraph<'static> {
    let instant = readout_lines(report, endpoint, bucket, width as usize, theme);
    let mark = |e: &microcosm_simulator::report::ExpectationReport| expectation_mark(e, theme);
    let full = |e: &microcosm_simulator::report::ExpectationReport| {
        let (m, said, style) = mark(e);
        Line::from(vec![
            Span::styled(format!("{m} {}{said}", e.name), style),
            Span::styled(format!("  {}", e.detail), theme.dim()),
        ])
    };
    // Names joined on one wrapping line; a no-break space keeps each mark with its name.
    let names = |all: bool| {
        let spans: Vec<Span<'static>> = report
            .expectations
            .iter()
            .filter(|e| all || e.holds)
            .flat_map(|e| {
                let (m, said, style) = mark(e);
                [
                    Span::styled(format!("{m}\u{a0}{}{said}", e.name), style),
                    Span::raw("  "),
                ]
            })
            .collect();
        (!spans.is_empty()).then(|| Line::from(spans))
    };
    let every_detail: Vec<Line<'static>> = report.expectations.iter().map(full).collect();
    let failing_detail: Vec<Line<'static>> = names(false)
        .into_iter()
        .chain(report.expectations.iter().filter(|e| !e.holds).map(full))
        .collect();
    let no_detail: Vec<Line<'static>> = names(true).into_iter().collect();
    let candidates = [every_detail, failing_detail, no_detail];
    let paragraph = |expectations: &[Line<'static>]| {
        let mut lines = instant.clone();
        lines.extend(expectations.iter().cloned());
        Paragraph::new(lines).wrap(Wrap { trim: true })
    };
    candidates
        .iter()
        .map(|c| paragraph(c))
        .find(|p| p.line_count(width) <= rows as usize)
        .unwrap_or_else(|| paragraph(&candidates[2]))
}

/// Every number at the cursor's instant, broken where it reads best in `width` columns: the
/// rates, the percentiles, the faults and the breakers each start a line when they do not fit
/// on the one before.
fn readout_lines(
    report: &SimReport,
    endpoint: &str,
    bucket: usize,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let from = bucket as f64 * report.bucket_s;
    let to = from + report.bucket_s;
    let mut groups: Vec<Vec<Span<'static>>> = Vec::new();
    let mut rates = vec![Span::styled(
        format!("t {}–{}", ui::compact(from), secs(to)).replace(".0–", "–"),
        theme.key(),
    )];
    if let Some(p) = report.endpoints[endpoint].series.get(bucket) {
        let error_rate = if p.requests > 0 {
            format!("{:.1}%", p.errors as f64 / p.requests as f64 * 100.0)
        } else {
            "–".to_owned()
        };
        let degraded = if p.degraded > 0 {
            format!(" · {} degraded", p.degraded)
        } else {
            String::new()
        };
        rates.push(Span::raw(format!(
            "  {} req/s · {error_rate} errors{degraded}",
            ui::compact(p.requests as f64 / report.bucket_s),
        )));
        groups.push(rates);
        // A bucket with no request has no latency: its percentiles are not 0 ms.
        groups.push(vec![Span::raw(if p.requests > 0 {
            format!(
                "p50 {} · p90 {} · p99 {} · p99.9 {} ms",
                ui::compact(p.p50_ms),
                ui::compact(p.p90_ms),
                ui::compact(p.p99_ms),
                ui::compact(p.p999_ms)
            )
        } else {
            "p50 – · p90 – · p99 – · p99.9 –".to_owned()
        })]);
    } else {
        groups.push(rates);
    }
    let active: Vec<String> = report
        .faults
        .iter()
        .filter(|f| f.start_s < to && f.end_s > from)
        .map(|f| format!("{} {}", f.kind, f.target))
        .collect();
    if !active.is_empty() {
        groups.push(vec![Span::styled(
            format!("faults: {}", active.join(", ")),
            theme.fault_marker(),
        )]);
    }
    let breakers: Vec<String> = report
        .breakers
        .iter()
        .filter_map(|(edge, b)| {
            let (open, half) = *b.series.get(bucket)?;
            // The state at the bucket's end hides what happened inside it: say how often a
            // breaker changed state within it too.
            let changes = b
                .transitions
                .iter()
                .filter(|t| t.at_s >= from && t.at_s < to)
                .count();
            (open > 0 || half > 0 || changes > 0).then(|| {
                let mut parts = Vec::new();
                if open > 0 {
                    parts.push(format!("{open}/{} open", b.replicas));
                }
                if half > 0 {
                    parts.push(format!("{half}/{} half-open", b.replicas));
                }
                if open == 0 && half == 0 {
                    parts.push("closed".to_owned());
                }
                if changes > 0 {
                    parts.push(format!(
                        "{changes} change{} in this bucket",
                        if changes == 1 { "" } else { "s" }
                    ));
                }
                format!("{edge} {}", parts.join(", "))
            })
        })
        .collect();
    if !breakers.is_empty() {
        groups.push(vec![Span::styled(
            format!("breakers: {}", breakers.join("; ")),
            theme.warn(),
        )]);
    }
    if active.is_empty() && breakers.is_empty() {
        groups.push(vec![Span::styled(
            "no fault active, every breaker closed",
            theme.dim(),
        )]);
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    for group in groups {
        let joined: usize = current.iter().map(Span::width).sum::<usize>()
            + 3
            + group.iter().map(Span::width).sum::<usize>();
        if !current.is_empty() && joined <= width {
            current.push(Span::raw(" · "));
            current.extend(group);
        } else {
            if !current.is_empty() {
                lines.push(Line::from(std::mem::take(&mut current)));
            }
            current = group;
        }
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}
