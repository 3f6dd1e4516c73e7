//! SVG plots of a run, drawn with plotters' SVG backend and its built-in font metrics (no
//! system font libraries): latency percentiles over time, throughput and error rate over time,
//! and every caller replica's breaker state over time. Each plot is a function of a
//! [`SimReport`] alone, so merged shard reports plot exactly as a single run does.
//! [`sweep_svg`] draws one figure across the points of a sweep.
//!
//! Every figure reads the same way: a title, a note saying what exactly is plotted (what a
//! percentile is computed over), the warm-up shaded and labelled, each fault window shaded and
//! labelled above the plot, and the legend beside the plot, never over the data. A figure with
//! more series than one chart can show apart ([`axis::MAX_SERIES`]) gets more panels. The axis
//! choices (ticks, log or linear) are in [`axis`]; the breaker timelines in [`timeline`].

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::report::{EndpointReport, SimReport};

pub mod axis;
pub mod timeline;

use axis::{MAX_SERIES, Scale, tick_label};
use timeline::State;

/// Width of every figure, pixels.
const WIDTH: u32 = 1100;
/// Width of the legend column to the right of each panel.
const LEGEND: u32 = 250;
/// The title and the note above the panels.
const HEADER: u32 = 64;
/// One panel of a time chart.
const PANEL: u32 = 330;
/// The label row above each panel that names the warm-up and the faults.
const BAND_LABELS: u32 = 18;

/// Series colours: ten that stay apart for most readers (Tableau 10), the first six used most.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// Fault windows, shaded: warm hues apart from the warm-up's grey.
const FAULT_COLOURS: [RGBColor; 3] = [
    RGBColor(255, 152, 150),
    RGBColor(255, 187, 120),
    RGBColor(197, 176, 213),
];
const WARMUP: RGBColor = RGBColor(200, 200, 200);
const OPEN: RGBColor = RGBColor(214, 39, 40);
const HALF_OPEN: RGBColor = RGBColor(255, 165, 0);
const CLOSED: RGBColor = RGBColor(44, 160, 44);

fn plot_error(path: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Plot {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

type Res = Result<(), Box<dyn std::error::Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The entry endpoints, in name order.
fn entries(report: &SimReport) -> Vec<(&String, &EndpointReport)> {
    let mut v: Vec<_> = report.endpoints.iter().filter(|(_, e)| e.entry).collect();
    if v.is_empty() {
        v = report.endpoints.iter().collect();
    }
    v
}

/// Each bucket's end time, which is when its requests had ended by.
fn times(report: &SimReport, n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 + 1.0) * report.bucket_s).collect()
}

/// A span of seconds as people write it: `1 s`, `0.5 s`.
fn seconds(s: f64) -> String {
    format!("{} s", tick_label(s))
}

/// One line of a chart.
struct Series {
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    dashed: bool,
}

/// What the legend lists, top to bottom.
enum Key {
    /// A series' line.
    Line {
        label: String,
        colour: RGBColor,
        dashed: bool,
    },
    /// A shaded band or a bar.
    Swatch { label: String, colour: RGBAColor },
    /// Plain text, such as what the line styles mean.
    Note(String),
}

/// The figure's title and, under it, what exactly it plots.
fn header(root: &Area, title: &str, note: &[String]) -> Res {
    root.draw(&Text::new(
        title.to_owned(),
        (20, 10),
        ("sans-serif", 20).into_font().color(&BLACK),
    ))?;
    for (i, line) in note.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (20, 36 + 14 * i as i32),
            ("sans-serif", 12).into_font().color(&RGBColor(80, 80, 80)),
        ))?;
    }
    Ok(())
}

/// The warm-up and fault windows as legend keys, in the order they are shaded.
fn band_keys(report: &SimReport) -> Vec<Key> {
    let mut keys = Vec::new();
    if report.warmup_s > 0.0 {
        keys.push(Key::Swatch {
            label: "warm-up: not in the totals".to_owned(),
            colour: WARMUP.mix(0.45),
        });
    }
    for (i, f) in report.faults.iter().enumerate() {
        keys.push(Key::Swatch {
            label: format!("{} {}", f.kind, f.target),
            colour: FAULT_COLOURS[i % FAULT_COLOURS.len()].mix(0.3),
        });
    }
    keys
}

/// A panel's chart: `area` less the legend column, with the time axis from 0 to the run's end
/// and the value axis `scale`, its grid and its tick labels drawn here rather than by plotters
/// (whose own ticks would put `.0` on whole numbers and choose uneven steps on a log axis).
/// The time axis is labelled only on the bottom panel.
fn chart<'a, 'b>(
    (root, area): (&Area<'b>, &'a Area<'b>),
    report: &SimReport,
    scale: Scale,
    (y_desc, y_label): (&str, &dyn Fn(f64) -> String),
    (bottom, label_width): (bool, u32),
) -> Result<Chart<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(BAND_LABELS + 6)
        .margin_left(10)
        // Beyond the legend, room for half of the last time label, centred on the axis's end.
        .margin_right(LEGEND + 24)
        .margin_bottom(6)
        .x_label_area_size(if bottom { 40 } else { 22 })
        .y_label_area_size(label_width)
        .build_cartesian_2d(0f64..report.duration_s, scale.range())?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh().x_labels(0).y_labels(0);
    if !y_desc.is_empty() {
        mesh.y_desc(y_desc);
    }
    if bottom {
        mesh.x_desc("time since the start of the run (s)");
    }
    mesh.draw()?;
    let grid = BLACK.mix(0.12);
    let font = ("sans-serif", 12).into_font().color(&RGBColor(40, 40, 40));
    let y = scale.range();
    for t in axis::linear_ticks(
        0.0,
        report.duration_s,
        axis::nice_step(report.duration_s, 10),
    ) {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(t, y.start), (t, y.end)],
            grid,
        )))?;
        let label = tick_label(t);
        let (x, py) = chart.backend_coord(&(t, y.start));
        let w = root.estimate_text_size(&label, &font)?.0 as i32;
        root.draw(&Text::new(label, (x - w / 2, py + 6), font.clone()))?;
    }
    for v in scale.ticks() {
        let c = scale.at(v);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, c), (report.duration_s, c)],
            grid,
        )))?;
        let label = y_label(v);
        if label.is_empty() {
            continue;
        }
        let (x, py) = chart.backend_coord(&(0.0, c));
        let w = root.estimate_text_size(&label, &font)?.0 as i32;
        root.draw(&Text::new(label, (x - w - 6, py - 6), font.clone()))?;
    }
    Ok(chart)
}

/// Shades the warm-up and each fault window over the whole height, behind the data, and names
/// each in the row above the plot (where no data is), skipping a name that would run into the
/// one before.
fn shade_bands(chart: &mut Chart, root: &Area, report: &SimReport) -> Res {
    let y = chart.y_range();
    let (low, high) = (y.start, y.end);
    let mut bands: Vec<(f64, f64, RGBAColor, String)> = Vec::new();
    if report.warmup_s > 0.0 {
        bands.push((0.0, report.warmup_s, WARMUP.mix(0.45), "warm-up".to_owned()));
    }
    for (i, f) in report.faults.iter().enumerate() {
        bands.push((
            f.start_s,
            f.end_s.max(f.start_s),
            FAULT_COLOURS[i % FAULT_COLOURS.len()].mix(0.3),
            format!("{} {}", f.kind, f.target),
        ));
    }
    let mut free_from = i32::MIN;
    for (start, end, colour, label) in bands {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start, low), (end, high)],
            colour.filled(),
        )))?;
        let (x, top) = chart.backend_coord(&(start, high));
        let style = ("sans-serif", 12).into_font().color(&RGBColor(60, 60, 60));
        let width = root.estimate_text_size(&label, &style)?.0 as i32;
        if x >= free_from {
            root.draw(&Text::new(label, (x + 2, top - BAND_LABELS as i32), style))?;
            free_from = x + width + 8;
        }
    }
    Ok(())
}

/// The legend in the column right of `chart`'s plot, from its top.
fn legend(chart: &Chart, root: &Area, keys: &[Key]) -> Res {
    let (right, top) = chart.backend_coord(&(chart.x_range().end, chart.y_range().end));
    let x = right + 30;
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    for (i, key) in keys.iter().enumerate() {
        let y = top + 8 + 17 * i as i32;
        match key {
            Key::Line {
                label,
                colour,
                dashed,
            } => {
                let style = colour.stroke_width(if *dashed { 1 } else { 2 });
                if *dashed {
                    for k in 0..3 {
                        root.draw(&PathElement::new(
                            vec![(x + 7 * k, y), (x + 7 * k + 4, y)],
                            style,
                        ))?;
                    }
                } else {
                    root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], style))?;
                }
                root.draw(&Text::new(label.clone(), (x + 26, y - 6), font.clone()))?;
            }
            Key::Swatch { label, colour } => {
                root.draw(&Rectangle::new(
                    [(x, y - 5), (x + 18, y + 5)],
                    colour.filled(),
                ))?;
                root.draw(&Text::new(label.clone(), (x + 26, y - 6), font.clone()))?;
            }
            Key::Note(text) => {
                let grey = ("sans-serif", 12).into_font().color(&RGBColor(80, 80, 80));
                root.draw(&Text::new(text.clone(), (x, y - 6), grey))?;
            }
        }
    }
    Ok(())
}

fn draw_lines(chart: &mut Chart, series: &[Series]) -> Res {
    for s in series {
        if s.dashed {
            chart.draw_series(DashedLineSeries::new(
                s.points.iter().copied(),
                4,
                3,
                s.colour.stroke_width(1),
            ))?;
        } else {
            chart.draw_series(LineSeries::new(
                s.points.iter().copied(),
                s.colour.stroke_width(2),
            ))?;
        }
    }
    Ok(())
}

/// The latency figure's note: what a point is, read from how the simulator measures.
fn latency_note(report: &SimReport) -> Vec<String> {
    vec![
        format!(
            "Each point: the p50 (dashed) or p99 (solid) of the requests that ended in one {} bucket, failures included",
            seconds(report.bucket_s)
        ),
        "at the time they took to fail (a request that found no replica up counts 0 ms); a bucket in which none ended has no point."
            .to_owned(),
    ]
}

/// The endpoints' colours: by place within their panel, so a panel's lines differ most.
fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

fn draw_latency(report: &SimReport, out: &mut String) -> Res {
    let eps = entries(report);
    let panels = axis::groups(&eps, MAX_SERIES / 2);
    let height = HEADER + PANEL * panels.len().max(1) as u32;
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    header(
        &root,
        &format!(
            "{} · {}: latency at the entry endpoints (seed {})",
            report.scenario, report.experiment, report.seed
        ),
        &latency_note(report),
    )?;
    let body = root.margin(HEADER, 0, 0, 0);
    let areas = body.split_evenly((panels.len().max(1), 1));
    for (p, (group, area)) in panels.iter().zip(&areas).enumerate() {
        let mut series = Vec::new();
        for (i, (_, ep)) in group.iter().enumerate() {
            let t = times(report, ep.series.len());
            for (dashed, pick) in [(true, 50), (false, 99)] {
                let points: Vec<(f64, f64)> = ep
                    .series
                    .iter()
                    .zip(&t)
                    .filter(|(q, _)| q.requests > 0)
                    .map(|(q, &x)| (x, if pick == 50 { q.p50_ms } else { q.p99_ms }))
                    .collect();
                series.push(Series {
                    points,
                    colour: colour(i),
                    dashed,
                });
            }
        }
        let values: Vec<Vec<f64>> = series
            .iter()
            .map(|s| s.points.iter().map(|p| p.1).collect())
            .collect();
        let scale = Scale::for_latency(&values);
        for s in &mut series {
            for p in &mut s.points {
                p.1 = scale.at(p.1);
            }
        }
        let y_label = |v: f64| tick_label(v);
        let y_desc = if scale.is_log() {
            "latency (ms, log scale)"
        } else {
            "latency (ms)"
        };
        let bottom = p + 1 == panels.len();
        let mut chart = chart(
            (&root, area),
            report,
            scale,
            (y_desc, &y_label),
            (bottom, 70),
        )?;
        shade_bands(&mut chart, &root, report)?;
        draw_lines(&mut chart, &series)?;
        let mut keys: Vec<Key> = group
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Key::Line {
                label: name.to_string(),
                colour: colour(i),
                dashed: false,
            })
            .collect();
        keys.push(Key::Note("solid p99, dashed p50".to_owned()));
        keys.extend(band_keys(report));
        legend(&chart, &root, &keys)?;
    }
    root.present()?;
    Ok(())
}

fn draw_throughput(report: &SimReport, out: &mut String) -> Res {
    let eps = entries(report);
    let groups = axis::groups(&eps, MAX_SERIES);
    let height = HEADER + PANEL * 2 * groups.len().max(1) as u32;
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    header(
        &root,
        &format!(
            "{} · {}: throughput and errors at the entry endpoints (seed {})",
            report.scenario, report.experiment, report.seed
        ),
        &[
            format!(
                "Each point: the requests that ended in one {} bucket, per second, and the share of them that failed.",
                seconds(report.bucket_s)
            ),
            "A request counts where it ends, whatever its outcome: the warm-up is drawn but left out of the totals."
                .to_owned(),
        ],
    )?;
    let body = root.margin(HEADER, 0, 0, 0);
    let areas = body.split_evenly((2 * groups.len().max(1), 1));
    let rate = |n: u64| n as f64 / report.bucket_s;
    for (g, group) in groups.iter().enumerate() {
        let keys: Vec<Key> = group
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Key::Line {
                label: name.to_string(),
                colour: colour(i),
                dashed: false,
            })
            .chain(band_keys(report))
            .collect();
        let series = |value: &dyn Fn(&crate::metrics::EndpointPoint) -> Option<f64>| {
            group
                .iter()
                .enumerate()
                .map(|(i, (_, ep))| Series {
                    points: ep
                        .series
                        .iter()
                        .zip(times(report, ep.series.len()))
                        .filter_map(|(p, x)| value(p).map(|y| (x, y)))
                        .collect(),
                    colour: colour(i),
                    dashed: false,
                })
                .collect::<Vec<_>>()
        };
        let requests = series(&|p| Some(rate(p.requests)));
        let errors =
            series(&|p| (p.requests > 0).then(|| p.errors as f64 / p.requests as f64 * 100.0));
        let max = requests
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let last = g + 1 == groups.len();
        let plain = |v: f64| tick_label(v);
        let mut top = chart(
            (&root, &areas[2 * g]),
            report,
            Scale::linear(max * 1.05),
            ("requests/s", &plain),
            (false, 70),
        )?;
        shade_bands(&mut top, &root, report)?;
        draw_lines(&mut top, &requests)?;
        legend(&top, &root, &keys)?;
        let percent = |v: f64| format!("{}%", tick_label(v));
        let mut bottom = chart(
            (&root, &areas[2 * g + 1]),
            report,
            Scale::Linear {
                max: 100.0,
                step: 20.0,
            },
            ("errors (% of requests)", &percent),
            (last, 70),
        )?;
        shade_bands(&mut bottom, &root, report)?;
        draw_lines(&mut bottom, &errors)?;
        // Every line on the floor reads as no line at all: say what it means.
        if errors.iter().all(|s| s.points.iter().all(|p| p.1 == 0.0)) {
            let (x, y) = bottom.backend_coord(&(report.duration_s / 2.0, 50.0));
            let font = ("sans-serif", 14).into_font().color(&RGBColor(80, 80, 80));
            let text = "no request failed";
            let w = root.estimate_text_size(text, &font)?.0 as i32;
            root.draw(&Text::new(text, (x - w / 2, y - 7), font))?;
        }
        legend(&bottom, &root, &keys)?;
    }
    root.present()?;
    Ok(())
}

/// Rows of the breaker figure, pixels.
const LANE: u32 = 22;

fn draw_breakers(report: &SimReport, out: &mut String) -> Res {
    let edges: Vec<(&String, Vec<timeline::Lane>)> = report
        .breakers
        .iter()
        .map(|(edge, b)| (edge, timeline::lanes(b, report.duration_s)))
        .collect();
    // One heading row per edge, then one row per caller replica.
    let rows: usize = edges.iter().map(|(_, lanes)| 1 + lanes.len()).sum();
    let height = HEADER + BAND_LABELS + 40 + 60 + LANE * rows.max(1) as u32;
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let total: usize = report.breakers.values().map(|b| b.transitions.len()).sum();
    header(
        &root,
        &format!(
            "{} · {}: circuit breakers (seed {})",
            report.scenario, report.experiment, report.seed
        ),
        &if total == 0 {
            vec!["No breaker changed state in this run: every caller replica's breaker stayed closed throughout.".to_owned()]
        } else {
            vec![
                format!(
                    "Each caller replica's breaker, drawn from every one of the {total} transitions the run recorded; a spell too short"
                ),
                "to see at this scale (a half-open trial of a few ms) is drawn 3 px wide, so each one shows.".to_owned(),
            ]
        },
    )?;
    let body = root.margin(HEADER, 0, 0, 0);
    let rows_f = rows.max(1) as f64;
    // Row 0 at the top: the value axis runs downwards.
    let scale = Scale::Linear {
        max: rows_f,
        step: rows_f,
    };
    let none = |_: f64| String::new();
    let mut chart = chart((&root, &body), report, scale, ("", &none), (true, 120))?;
    shade_bands(&mut chart, &root, report)?;
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let min_width = 3.0 * report.duration_s / f64::from(plot_width.max(1));
    let row_y = |row: usize| rows_f - row as f64;
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    let mut row = 0;
    for (edge, lanes) in &edges {
        let b = &report.breakers[*edge];
        let opened = b.transitions.iter().filter(|t| t.to == "OPEN").count();
        let (x, y) = chart.backend_coord(&(0.0, row_y(row)));
        root.draw(&Text::new(
            if b.transitions.is_empty() {
                format!("{edge}: stayed closed")
            } else {
                format!(
                    "{edge}: opened {opened} time{}, {} transition{}",
                    if opened == 1 { "" } else { "s" },
                    b.transitions.len(),
                    if b.transitions.len() == 1 { "" } else { "s" },
                )
            },
            (x + 4, y + 5),
            ("sans-serif", 13)
                .into_font()
                .style(FontStyle::Bold)
                .color(&BLACK),
        ))?;
        row += 1;
        for lane in lanes {
            let top = row_y(row) - 0.15;
            let bottom = row_y(row + 1) + 0.15;
            let middle = (top + bottom) / 2.0;
            let bar = |s: &timeline::Spell| {
                let (colour, from, to) = match s.state {
                    State::Closed => (CLOSED, middle + 0.06, middle - 0.06),
                    State::HalfOpen => (HALF_OPEN, top, bottom),
                    State::Open => (OPEN, top, bottom),
                };
                let end = s.to_s.max(s.from_s + min_width);
                Rectangle::new([(s.from_s, from), (end, to)], colour.filled())
            };
            // Closed spells first, then open, then half-open: a trial of a few ms between two
            // open spells is never hidden under them.
            for state in [State::Closed, State::Open, State::HalfOpen] {
                chart.draw_series(lane.spells.iter().filter(|s| s.state == state).map(bar))?;
            }
            let (x, y) = chart.backend_coord(&(0.0, middle));
            let label = format!("replica {} ({})", lane.replica, lane.transitions());
            let width = root.estimate_text_size(&label, &font)?.0 as i32;
            root.draw(&Text::new(label, (x - width - 6, y - 6), font.clone()))?;
            row += 1;
        }
    }
    let mut keys = vec![
        Key::Swatch {
            label: "open: calls refused".to_owned(),
            colour: OPEN.to_rgba(),
        },
        Key::Swatch {
            label: "half-open: trial calls".to_owned(),
            colour: HALF_OPEN.to_rgba(),
        },
        Key::Line {
            label: "closed".to_owned(),
            colour: CLOSED,
            dashed: false,
        },
        Key::Note("(n): transitions of the replica".to_owned()),
    ];
    keys.extend(band_keys(report));
    legend(&chart, &root, &keys)?;
    root.present()?;
    Ok(())
}

/// The SVG of one plot: `latency`, `throughput` or `breakers`.
pub fn svg(report: &SimReport, which: &str) -> Result<String, Error> {
    let mut out = String::new();
    let result = match which {
        "latency" => draw_latency(report, &mut out),
        "throughput" => draw_throughput(report, &mut out),
        "breakers" => draw_breakers(report, &mut out),
        other => return Err(plot_error(other, "no such plot")),
    };
    result.map_err(|e| plot_error(which, e))?;
    Ok(out)
}

/// The plots drawn for a report: breakers only when the scenario has some.
pub fn plot_names(report: &SimReport) -> Vec<&'static str> {
    let mut names = vec!["latency", "throughput"];
    if !report.breakers.is_empty() {
        names.push("breakers");
    }
    names
}

/// Writes `DIR/{experiment}-{plot}.svg` for each plot (with `-{suffix}` when given) and
/// returns the paths.
pub fn write_plots(report: &SimReport, dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| plot_error(&dir.display().to_string(), e))?;
    let mut written = Vec::new();
    for name in plot_names(report) {
        let text = svg(report, name)?;
        let stem = if report.experiment.is_empty() {
            "run".to_owned()
        } else {
            report.experiment.clone()
        };
        let path = dir.join(format!("{stem}{suffix}-{name}.svg"));
        std::fs::write(&path, text).map_err(|e| plot_error(&path.display().to_string(), e))?;
        written.push(path);
    }
    Ok(written)
}

/// The SVG of one figure across the points of a sweep: `values[i]` is the figure at the point
/// labelled `labels[i]` (`max_attempts=2, failure_rate_threshold=0.5`), in sweep order.
pub fn sweep_svg(
    title: &str,
    figure: &str,
    labels: &[String],
    values: &[f64],
) -> Result<String, Error> {
    let mut out = String::new();
    draw_sweep(title, figure, labels, values, &mut out).map_err(|e| plot_error(figure, e))?;
    Ok(out)
}

fn draw_sweep(
    title: &str,
    figure: &str,
    labels: &[String],
    values: &[f64],
    out: &mut String,
) -> Res {
    let root = SVGBackend::with_string(out, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = values.len().max(1);
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let (low, high) = if low.is_finite() {
        (low.min(0.0), high.max(low))
    } else {
        (0.0, 1.0)
    };
    let span = (high - low).max(1e-9);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{title}: {figure} across the sweep"),
            ("sans-serif", 20),
        )
        .margin(10)
        // The point labels are centred on the first and last points: room for half of each.
        .margin_right(60)
        .x_label_area_size(80)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), low..(high + 0.1 * span))?;
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| tick_label(*y))
        .y_desc(figure)
        .draw()?;
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| (i as f64, v))
        .collect();
    chart.draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))?;
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
    root.present()?;
    Ok(())
}
