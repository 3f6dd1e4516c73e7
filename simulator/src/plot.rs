//! SVG plots of a run, drawn with plotters' SVG backend and its built-in font metrics (no
//! system font libraries): latency percentiles over time with fault windows shaded, throughput
//! and error rate over time, and the share of caller replicas whose breaker is open or
//! half-open over time. Each plot is a function of a [`SimReport`] alone, so merged shard
//! reports plot exactly as a single run does. [`sweep_svg`] draws one figure across the points
//! of a sweep.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::report::SimReport;

const SIZE: (u32, u32) = (1000, 600);

fn plot_error(path: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Plot {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

type Res = Result<(), Box<dyn std::error::Error>>;

/// The entry endpoints, in name order.
fn entries(report: &SimReport) -> Vec<(&String, &crate::report::EndpointReport)> {
    let mut v: Vec<_> = report.endpoints.iter().filter(|(_, e)| e.entry).collect();
    if v.is_empty() {
        v = report.endpoints.iter().collect();
    }
    v
}

fn shade_faults<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    report: &SimReport,
    y_max: f64,
) -> Res
where
    DB::ErrorType: 'static,
{
    for (i, f) in report.faults.iter().enumerate() {
        let color = Palette99::pick(i + 40).mix(0.15);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(f.start_s, 0.0), (f.end_s.max(f.start_s), y_max)],
                color.filled(),
            )))?
            .label(format!("{} {}", f.kind, f.target))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled()));
    }
    Ok(())
}

fn times(report: &SimReport, n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 + 1.0) * report.bucket_s).collect()
}

fn draw_latency(report: &SimReport, out: &mut String) -> Res {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let eps = entries(report);
    let y_max = eps
        .iter()
        .flat_map(|(_, e)| e.series.iter().map(|p| p.p99_ms))
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{} · {}: latency (seed {})",
                report.scenario, report.experiment, report.seed
            ),
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..report.duration_s, 0f64..y_max)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("latency (ms)")
        .draw()?;
    shade_faults(&mut chart, report, y_max)?;
    for (i, (name, ep)) in eps.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let t = times(report, ep.series.len());
        for (quantile, width, dashed) in [("p50", 1, true), ("p99", 2, false)] {
            let points: Vec<(f64, f64)> = ep
                .series
                .iter()
                .zip(&t)
                .filter(|(p, _)| p.requests > 0)
                .map(|(p, &x)| {
                    (
                        x,
                        if quantile == "p50" {
                            p.p50_ms
                        } else {
                            p.p99_ms
                        },
                    )
                })
                .collect();
            let style = color.stroke_width(width);
            if dashed {
                chart
                    .draw_series(DashedLineSeries::new(points, 4, 3, style))?
                    .label(format!("{name} {quantile}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], style));
            } else {
                chart
                    .draw_series(LineSeries::new(points, style))?
                    .label(format!("{name} {quantile}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], style));
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn draw_throughput(report: &SimReport, out: &mut String) -> Res {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(SIZE.1 / 2);
    let eps = entries(report);
    let rate = |n: u64| n as f64 / report.bucket_s;
    let y_max = eps
        .iter()
        .flat_map(|(_, e)| e.series.iter().map(|p| rate(p.requests)))
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!(
                "{} · {}: throughput and errors",
                report.scenario, report.experiment
            ),
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..report.duration_s, 0f64..y_max)?;
    chart.configure_mesh().y_desc("requests/s").draw()?;
    shade_faults(&mut chart, report, y_max)?;
    for (i, (name, ep)) in eps.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let t = times(report, ep.series.len());
        let points: Vec<(f64, f64)> = ep
            .series
            .iter()
            .zip(&t)
            .map(|(p, &x)| (x, rate(p.requests)))
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    let mut chart = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..report.duration_s, 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("error rate")
        .draw()?;
    shade_faults(&mut chart, report, 1.0)?;
    for (i, (_, ep)) in eps.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let t = times(report, ep.series.len());
        let points: Vec<(f64, f64)> = ep
            .series
            .iter()
            .zip(&t)
            .filter(|(p, _)| p.requests > 0)
            .map(|(p, &x)| (x, p.errors as f64 / p.requests as f64))
            .collect();
        chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
    }
    root.present()?;
    Ok(())
}

fn draw_breakers(report: &SimReport, out: &mut String) -> Res {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{} · {}: circuit breakers",
                report.scenario, report.experiment
            ),
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..report.duration_s, 0f64..1.05)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("share of callers open (half-open counts ½)")
        .draw()?;
    shade_faults(&mut chart, report, 1.05)?;
    for (i, (edge, b)) in report.breakers.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let n = f64::from(b.replicas.max(1));
        // A step line: each bucket's state holds until the next bucket ends.
        let mut points = vec![(0.0, 0.0)];
        for (k, (open, half)) in b.series.iter().enumerate() {
            let v = (f64::from(*open) + 0.5 * f64::from(*half)) / n;
            let t0 = k as f64 * report.bucket_s;
            points.push((t0, points.last().map_or(0.0, |p| p.1)));
            points.push((t0, v));
            points.push(((t0 + report.bucket_s).min(report.duration_s), v));
        }
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(edge.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
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
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
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
