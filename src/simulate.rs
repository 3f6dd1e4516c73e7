//! `microcosm simulate`: run a scenario's failure experiments in the discrete-event simulator —
//! each experiment × sweep point × replication is one work item, run in parallel — and report
//! the verdicts as a human table or JSON Lines, with SVG plots on request. `--shard K/N` runs
//! every N-th work item and writes a shard report that `microcosm merge` combines into exactly
//! the report one machine would have written.
//!
//! JSON Lines records, between `begin` (command `simulate`) and `end`:
//! - `plan`: `scenario`, `experiments`, `seed` (the `--seed` given, or null for each
//!   experiment's own), `replications`, `duration_s` (the `--duration` given, or null),
//!   `bucket_s` (the `--bucket` given; absent without), `sweep` ([key, [values]] per axis),
//!   `items`.
//! - `replication`: one work item: `index`, `experiment`, `point` ([key, value] per axis),
//!   `replication`, `report` (the full run report: per endpoint, edge, service, topic and breaker,
//!   with time series; SLOs, expectations, conservation; see `microcosm_simulator::SimReport`).
//! - `experiment`: one experiment at one sweep point across its replications: `point`, and per
//!   endpoint `requests`, `errors`, `availability`, `latency_ms` {`p50`, `p95`, `p99`, `mean`}
//!   (means over replications) with `ci95` half-widths, `expectations`, `events`, `passed`,
//!   `seeds`.
//! - `sweep` (with `--sweep`): one row per point and experiment: `point`, `experiment`,
//!   `passed`, `expectations_held`, `expectations`, `worst_availability`, `worst_p99_ms`,
//!   `max_edge_amplification`, `max_service_amplification`.
//! - `summary`: `experiments`, `items`, `passed`, `failed`.
//! - `timing` (unless `--no-timing`): `wall_s`, `events`, `events_per_s` — the one record that
//!   depends on the machine; everything else is a function of the scenario and the seeds.
//!
//! A shard report has `begin`, `plan`, `shard` (`shard`, `of`, `items`: the indices it ran),
//! its `replication` records, and `end`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use microcosm_model::{Format as FileFormat, LoadedScenario, Scenario};
use microcosm_simulator::replicate::{
    RunOptions, Summary, replication_seed, run_once_with, summarise,
};
use microcosm_simulator::sweep::{self, SweepAxis};
use microcosm_simulator::{MAX_DURATION_S, SimReport, plot};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Outcome;
use crate::cli::{Format, SimulateArgs};
use crate::output::{json_begin, json_line, write_report};

/// What a simulate run covers; shards carry it so that a merge can check they belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: String,
    pub experiments: Vec<String>,
    pub seed: Option<u64>,
    pub replications: u32,
    pub duration_s: Option<f64>,
    /// An explicit bucket width: it shapes every report, so shards must agree on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_s: Option<f64>,
    pub sweep: Vec<(String, Vec<String>)>,
    pub items: usize,
}

impl Plan {
    fn points(&self) -> Vec<Vec<(String, String)>> {
        let axes: Vec<SweepAxis> = self
            .sweep
            .iter()
            .map(|(key, values)| SweepAxis {
                key: key.clone(),
                path: Vec::new(),
                values: values.clone(),
            })
            .collect();
        sweep::points(&axes)
    }

    /// (point, experiment, replication) of work item `index`.
    fn item(&self, index: usize) -> (usize, usize, u32) {
        let k = self.replications as usize;
        let x = self.experiments.len();
        (index / (k * x), (index / k) % x, (index % k) as u32)
    }
}

/// One finished work item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub index: usize,
    pub experiment: String,
    pub point: Vec<(String, String)>,
    pub replication: u32,
    pub report: SimReport,
}

fn print_diagnostics(diagnostics: &[microcosm_model::Diagnostic], color: bool) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = write!(err, "{}", d.render(color));
    }
}

/// The scenario with the sweep point's values set, validated again as a whole.
fn apply_point(
    loaded: &LoadedScenario,
    axes: &[SweepAxis],
    point: &[(String, String)],
    color: bool,
) -> anyhow::Result<Option<Scenario>> {
    if point.is_empty() {
        return Ok(Some(loaded.scenario.clone()));
    }
    let mut value = serde_json::to_value(&loaded.scenario)?;
    for (axis, (_, v)) in axes.iter().zip(point) {
        sweep::set(&mut value, &axis.path, v).with_context(|| format!("--sweep {}", axis.key))?;
    }
    let text = serde_json::to_string_pretty(&value)?;
    let path = &loaded.source.path;
    let name = PathBuf::from(format!(
        "{} with {}",
        path.display(),
        point
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let base = path.parent().unwrap_or(Path::new("."));
    match microcosm_model::load_str(&text, &name, FileFormat::Json, base) {
        Ok(l) => Ok(Some(l.scenario)),
        Err(e) => {
            print_diagnostics(&e.diagnostics, color);
            Ok(None)
        }
    }
}

pub fn run(args: &SimulateArgs, color: bool) -> anyhow::Result<Outcome> {
    // One deadline for every run of the command, as `check --timeout` is one for the gate.
    let deadline = args
        .timeout
        .map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t));
    let loaded = match microcosm_model::load(&args.path) {
        Ok(l) => l,
        Err(e) => {
            print_diagnostics(&e.diagnostics, color);
            return Ok(Outcome::Invalid);
        }
    };
    let scenario = &loaded.scenario;
    let experiments: Vec<String> = if args.experiment.is_empty() {
        scenario.experiments.keys().cloned().collect()
    } else {
        for name in &args.experiment {
            if !scenario.experiments.contains_key(name) {
                let known: Vec<&str> = scenario.experiments.keys().map(String::as_str).collect();
                bail!(
                    "{}: no experiment `{name}`; it declares: {}",
                    args.path.display(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            }
        }
        args.experiment.clone()
    };
    if experiments.is_empty() {
        bail!(
            "{}: the scenario declares no experiments; add an [experiments.NAME] table",
            args.path.display()
        );
    }
    if args.replications == 0 {
        bail!("--replications must be at least 1");
    }
    if let Some(d) = args.duration
        && !(d.is_finite() && d > 0.0)
    {
        bail!("--duration must be a positive number of seconds");
    }
    if let Some(d) = args.duration
        && d > MAX_DURATION_S
    {
        bail!("{}", too_long("--duration", d));
    }
    let axes: Vec<SweepAxis> = args
        .sweep
        .iter()
        .map(|s| sweep::parse_axis(s))
        .collect::<Result<_, _>>()?;
    let plan = Plan {
        scenario: scenario.name.clone(),
        experiments: experiments.clone(),
        seed: args.seed,
        replications: args.replications,
        duration_s: args.duration,
        bucket_s: args.bucket,
        sweep: axes
            .iter()
            .map(|a| (a.key.clone(), a.values.clone()))
            .collect(),
        items: 0,
    };
    let points = plan.points();
    let plan = Plan {
        items: points.len() * experiments.len() * args.replications as usize,
        ..plan
    };
    let mut variants = Vec::new();
    for point in &points {
        match apply_point(&loaded, &axes, point, color)? {
            Some(s) => {
                // A swept duration is refused before anything runs, naming its point.
                for name in &experiments {
                    let d = plan.duration_s.unwrap_or(s.experiments[name].duration_s);
                    if d > MAX_DURATION_S {
                        let at: Vec<String> =
                            point.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        bail!(
                            "{}",
                            too_long(
                                &format!("experiment `{name}` at --sweep {}", at.join(" ")),
                                d
                            )
                        );
                    }
                }
                variants.push(s)
            }
            None => return Ok(Outcome::Invalid),
        }
    }
    let shard = args.shard.as_deref().map(sweep::parse_shard).transpose()?;
    let indices: Vec<usize> = match shard {
        Some((k, n)) => sweep::shard_items(plan.items, k, n),
        None => (0..plan.items).collect(),
    };

    let started = std::time::Instant::now();
    // On a terminal, a bar of runs done and a line per run in progress with its simulated time.
    let progress = std::io::stderr().is_terminal().then(|| {
        let multi = indicatif::MultiProgress::new();
        let total = multi.add(indicatif::ProgressBar::new(indices.len() as u64));
        total.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs")
                .expect("a valid template"),
        );
        (multi, total)
    });
    let work = |index: usize| -> anyhow::Result<Item> {
        let (p, x, k) = plan.item(index);
        let experiment = &plan.experiments[x];
        let scenario = &variants[p];
        let seed = plan.seed.unwrap_or(scenario.experiments[experiment].seed);
        let bar = progress.as_ref().map(|(multi, total)| {
            multi.insert_before(total, indicatif::ProgressBar::new_spinner())
        });
        let options = RunOptions {
            duration_s: plan.duration_s,
            bucket_s: plan.bucket_s,
            interrupt: microcosm_simulator::Interrupt {
                deadline,
                cancel: None,
            },
        };
        let report = run_once_with(
            scenario,
            experiment,
            replication_seed(seed, k),
            &options,
            |now, horizon| {
                if let Some(bar) = &bar {
                    bar.set_message(format!(
                        "{experiment} (replication {k}): {:.0} of {:.0} s simulated",
                        now as f64 / 1e9,
                        horizon as f64 / 1e9
                    ));
                    bar.tick();
                }
            },
        )?;
        if let (Some(bar), Some((_, total))) = (bar, &progress) {
            bar.finish_and_clear();
            total.inc(1);
        }
        Ok(Item {
            index,
            experiment: experiment.clone(),
            point: points[p].clone(),
            replication: k,
            report,
        })
    };
    let run_all =
        || -> anyhow::Result<Vec<Item>> { indices.par_iter().map(|&i| work(i)).collect() };
    let items = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .context("cannot start the worker threads")?
            .install(run_all)?,
        None => run_all()?,
    };
    if let Some((_, total)) = &progress {
        total.finish_and_clear();
    }
    let wall_s = started.elapsed().as_secs_f64();

    if let Some((k, n)) = shard {
        let mut out = Vec::new();
        json_begin(&mut out, "simulate");
        json_line(&mut out, "plan", &plan);
        json_line(
            &mut out,
            "shard",
            &serde_json::json!({ "shard": k, "of": n, "items": indices }),
        );
        for item in &items {
            json_line(&mut out, "replication", item);
        }
        json_line(&mut out, "end", &serde_json::json!({}));
        write_report(args.output.as_deref(), &out)?;
        return Ok(if items.iter().all(|i| i.report.passed) {
            Outcome::Pass
        } else {
            Outcome::Fail
        });
    }
    let timing = (!args.no_timing).then_some(wall_s);
    finish(
        &plan,
        &items,
        args.format,
        args.output.as_deref(),
        args.plot.as_deref(),
        timing,
    )
}

/// Renders the complete report of a plan's items (all of them, in index order), writes the
/// plots, and returns the verdict. `simulate` and `merge` both end here, so a merged report is
/// byte for byte the report of the unsharded run.
pub fn finish(
    plan: &Plan,
    items: &[Item],
    format: Format,
    output: Option<&Path>,
    plot_dir: Option<&Path>,
    wall_s: Option<f64>,
) -> anyhow::Result<Outcome> {
    // Group the replications of each (point, experiment), in index order.
    let k = plan.replications as usize;
    let groups: Vec<&[Item]> = items.chunks(k).collect();
    let summaries: Vec<Summary> = groups
        .iter()
        .map(|g| summarise(&g.iter().map(|i| i.report.clone()).collect::<Vec<_>>()))
        .collect();
    let sweeping = !plan.sweep.is_empty();
    if let Some(dir) = plot_dir {
        for (gi, g) in groups.iter().enumerate() {
            let suffix = if sweeping {
                format!("-p{}", gi / plan.experiments.len())
            } else {
                String::new()
            };
            plot::write_plots(&g[0].report, dir, &suffix)?;
        }
        if sweeping {
            write_sweep_plots(plan, &groups, &summaries, dir)?;
        }
    }
    let passed = summaries.iter().filter(|s| s.passed).count();
    let failed = summaries.len() - passed;
    let events: u64 = summaries.iter().map(|s| s.events).sum();
    let mut out = Vec::new();
    match format {
        Format::Json => {
            json_begin(&mut out, "simulate");
            json_line(&mut out, "plan", plan);
            for item in items {
                json_line(&mut out, "replication", item);
            }
            for (g, s) in groups.iter().zip(&summaries) {
                json_line(
                    &mut out,
                    "experiment",
                    &serde_json::json!({ "point": g[0].point, "summary": s }),
                );
            }
            if sweeping {
                for (g, s) in groups.iter().zip(&summaries) {
                    json_line(&mut out, "sweep", &sweep_row(&g[0].point, s));
                }
            }
            json_line(
                &mut out,
                "summary",
                &serde_json::json!({
                    "experiments": summaries.len(), "items": items.len(),
                    "passed": passed, "failed": failed,
                }),
            );
            if let Some(wall) = wall_s {
                json_line(
                    &mut out,
                    "timing",
                    &serde_json::json!({
                        "wall_s": wall, "events": events,
                        "events_per_s": events as f64 / wall.max(1e-9),
                    }),
                );
            }
            json_line(&mut out, "end", &serde_json::json!({}));
        }
        Format::Human => {
            let mut text = String::new();
            for (g, s) in groups.iter().zip(&summaries) {
                human_experiment(&mut text, &g[0], s);
            }
            if sweeping {
                human_sweep(&mut text, groups.as_slice(), &summaries);
            }
            let _ = writeln!(
                text,
                "{} experiment run{}: {passed} passed, {failed} failed",
                summaries.len(),
                if summaries.len() == 1 { "" } else { "s" }
            );
            if let Some(wall) = wall_s {
                let _ = writeln!(
                    text,
                    "{} events in {wall:.2} s ({:.1} M events/s)",
                    group_digits(events),
                    events as f64 / wall.max(1e-9) / 1e6
                );
            }
            out = text.into_bytes();
        }
    }
    write_report(output, &out)?;
    Ok(if failed == 0 {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// Writes `DIR/{experiment}-sweep-{figure}.svg`: each key figure of the sweep table across the
/// sweep's points, so the setting where an SLO starts to fail is visible at a glance.
fn write_sweep_plots(
    plan: &Plan,
    groups: &[&[Item]],
    summaries: &[Summary],
    dir: &Path,
) -> anyhow::Result<()> {
    for experiment in &plan.experiments {
        let rows: Vec<(String, serde_json::Value)> = groups
            .iter()
            .zip(summaries)
            .filter(|(_, s)| &s.experiment == experiment)
            .map(|(g, s)| {
                let label = g[0]
                    .point
                    .iter()
                    .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
                    .collect::<Vec<_>>()
                    .join(", ");
                (label, sweep_row(&g[0].point, s))
            })
            .collect();
        let labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
        for figure in [
            "worst_availability",
            "worst_p99_ms",
            "max_edge_amplification",
            "max_service_amplification",
        ] {
            let values: Vec<f64> = rows
                .iter()
                .map(|(_, row)| row[figure].as_f64().unwrap_or(f64::NAN))
                .collect();
            let svg = plot::sweep_svg(experiment, figure, &labels, &values)?;
            let path = dir.join(format!("{experiment}-sweep-{figure}.svg"));
            std::fs::write(&path, svg)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}

fn sweep_row(point: &[(String, String)], s: &Summary) -> serde_json::Value {
    let entries = s.endpoints.values().filter(|e| e.entry);
    let worst_availability = entries
        .clone()
        .map(|e| e.availability)
        .fold(f64::INFINITY, f64::min);
    let worst_p99 = entries.map(|e| e.latency_ms.p99).fold(0.0, f64::max);
    serde_json::json!({
        "point": point,
        "experiment": s.experiment,
        "passed": s.passed,
        "expectations_held": s.expectations.iter().filter(|e| e.holds).count(),
        "expectations": s.expectations.len(),
        "worst_availability": if worst_availability.is_finite() { worst_availability } else { 1.0 },
        "worst_p99_ms": worst_p99,
        "max_edge_amplification": s.max_edge_amplification.as_ref().map(|(_, e)| e.mean),
        "max_service_amplification": s.max_service_amplification.as_ref().map(|(_, e)| e.mean),
    })
}

/// Why `what`'s duration of `d` seconds cannot be simulated.
fn too_long(what: &str, d: f64) -> String {
    // 1e308 written out is 309 digits.
    let d = if d >= 1e15 {
        format!("{d:e}")
    } else {
        d.to_string()
    };
    format!(
        "{what}: a duration of {d} s is longer than the simulator can run; at most \
         {MAX_DURATION_S} s (about 31 years: its clock counts nanoseconds in 64 bits)"
    )
}

fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_experiment(text: &mut String, first: &Item, s: &Summary) {
    let r = &first.report;
    let reps = s.replications;
    let _ = writeln!(
        text,
        "{} · {}{} · seed {}{} · {} s simulated ({} s warm-up)",
        s.scenario,
        s.experiment,
        if first.point.is_empty() {
            String::new()
        } else {
            format!(
                " [{}]",
                first
                    .point
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        s.seed,
        if reps > 1 {
            format!(" · {reps} replications")
        } else {
            String::new()
        },
        r.duration_s,
        r.warmup_s,
    );
    let _ = writeln!(
        text,
        "  {:<34} {:>10} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "requests", "errors", "avail.", "p50 ms", "p95 ms", "p99 ms", "mean ms"
    );
    let ci = |x: f64, c: f64, digits: usize| {
        if reps > 1 {
            format!("{x:.digits$}±{c:.digits$}")
        } else {
            format!("{x:.digits$}")
        }
    };
    for (name, e) in s.endpoints.iter().filter(|(_, e)| e.entry) {
        let _ = writeln!(
            text,
            "  {:<34} {:>10.0} {:>8.0} {:>9.3}% {:>9} {:>9} {:>9} {:>9}",
            name,
            e.requests,
            e.errors,
            e.availability * 100.0,
            ci(e.latency_ms.p50, e.ci95.latency_ms.p50, 1),
            ci(e.latency_ms.p95, e.ci95.latency_ms.p95, 1),
            ci(e.latency_ms.p99, e.ci95.latency_ms.p99, 1),
            ci(e.latency_ms.mean, e.ci95.latency_ms.mean, 1),
        );
    }
    for (name, slo) in &r.slos {
        let _ = writeln!(
            text,
            "  slo {name} ({}): {}",
            slo.endpoint,
            if slo.holds { "holds" } else { "VIOLATED" }
        );
        for o in &slo.objectives {
            let (actual, target, worst) = if o.metric == "availability" {
                (
                    format!("{:.3}%", o.actual * 100.0),
                    format!("{:.3}%", o.target * 100.0),
                    o.worst.map(|w| format!("{:.3}%", w * 100.0)),
                )
            } else {
                (
                    format!("{:.1} ms", o.actual),
                    format!("{} ms", o.target),
                    o.worst.map(|w| format!("{w:.1} ms")),
                )
            };
            let _ = writeln!(
                text,
                "      {:<16} {actual:>10} target {target:>9}  {}{}",
                o.metric,
                if o.holds { "ok  " } else { "FAIL" },
                match (worst, o.worst_window_start_s) {
                    (Some(w), Some(t)) =>
                        format!("  worst {} s window from {t:.0} s: {w}", slo.window_s),
                    _ => String::new(),
                }
            );
        }
    }
    for (name, a) in &r.alerts {
        let threshold = if a.metric == "error_rate" {
            // Rounded so that 0.07 reads 7%, not 7.000000000000001%.
            format!("{}%", (a.above * 100.0 * 1e6).round() / 1e6)
        } else {
            format!("{}", a.above)
        };
        let when = if a.firings.is_empty() {
            "quiet".to_owned()
        } else {
            let periods: Vec<String> = a
                .firings
                .iter()
                .map(|f| match f.end_s {
                    Some(end) => format!("{:.0}–{end:.0} s", f.start_s),
                    None => format!("{:.0} s–end", f.start_s),
                })
                .collect();
            format!(
                "FIRED {}{}",
                periods.join(", "),
                match a.time_to_detect_s {
                    Some(t) => format!("; detected {t:.0} s after the first fault"),
                    None => String::new(),
                }
            )
        };
        let _ = writeln!(
            text,
            "  alert {name} ({} {} > {threshold} for {} s): {when}",
            a.endpoint, a.metric, a.for_s
        );
    }
    for (edge, e) in &r.edges {
        if e.zone_failovers > 0 {
            let _ = writeln!(
                text,
                "  zone failover {edge}: {} of {} attempts crossed zones, {} because the caller's zone had no healthy replica",
                e.cross_zone_attempts, e.attempts, e.zone_failovers
            );
        }
    }
    for ro in &r.rollouts {
        let how = match (ro.outcome.as_str(), ro.at_s, ro.failed_step, ro.error_rate) {
            ("rolled_back", Some(at), Some(step), Some(rate)) => format!(
                "ROLLED BACK at {at:.0} s: the new version failed {:.1}% of its requests in step {}",
                rate * 100.0,
                step + 1
            ),
            (outcome, Some(at), _, _) => format!("{outcome} at {at:.0} s"),
            (outcome, _, _, _) => outcome.replace('_', " "),
        };
        let _ = writeln!(
            text,
            "  rollout {} ({}, from {:.0} s): {how}",
            ro.service, ro.strategy, ro.started_s
        );
    }
    for (zone, u) in &r.capacity {
        if u.peak_replicas > u.replicas || !u.fits {
            let of = |used: u64, cap: Option<u64>| match cap {
                Some(c) => format!("{used} of {c}"),
                None => used.to_string(),
            };
            let _ = writeln!(
                text,
                "  capacity {zone}: peak {} replicas at {:.0} s (from {}), {} millicores, {} MiB: {}",
                u.peak_replicas,
                u.peak_at_s,
                u.replicas,
                of(u.peak_cpu_millis, u.cpu_millis_capacity),
                of(u.peak_memory_mib, u.memory_mib_capacity),
                if u.fits { "fits" } else { "EXCEEDS the zone" }
            );
        }
    }
    for (edge, b) in &r.breakers {
        let opened = b.transitions.iter().filter(|t| t.to == "OPEN").count();
        if opened > 0 {
            let first_open = b
                .transitions
                .iter()
                .find(|t| t.to == "OPEN")
                .map_or(0.0, |t| t.at_s);
            let _ = writeln!(
                text,
                "  breaker {edge}: opened {opened} time{} (first at {first_open:.1} s), {} transitions",
                if opened == 1 { "" } else { "s" },
                b.transitions.len()
            );
        }
    }
    if let Some((edge, a)) = r.max_edge_amplification()
        && a > 1.0
    {
        let worst_service = r
            .max_service_amplification()
            .and_then(|(n, peak)| r.services.get(n).map(|s| (n, peak, s.amplification)));
        let _ = writeln!(
            text,
            "  retry amplification: up to {a:.2} attempts per call on {edge}{}",
            match worst_service {
                Some((n, peak, run)) if peak > 1.0 => format!(
                    "; retries multiplied the load at {n} by up to {peak:.2}x \
                     ({run:.2}x over the run)"
                ),
                _ => String::new(),
            }
        );
    }
    for (topic, t) in &r.topics {
        if t.max_lag > 0 {
            let _ = writeln!(
                text,
                "  topic {topic}: {} published, {} acknowledged, {} lost, max lag {}",
                t.published, t.acknowledged, t.lost, t.max_lag
            );
        }
    }
    let c = &r.conservation;
    let _ = writeln!(
        text,
        "  conservation: generated {} = succeeded {} + degraded {} + failed {} + in flight {}: {}",
        c.generated,
        c.succeeded,
        c.degraded,
        c.failed,
        c.in_flight,
        if s.conservation_holds {
            "holds"
        } else {
            "BROKEN"
        }
    );
    for e in &s.expectations {
        let _ = writeln!(
            text,
            "  expect {}: {}{} — {}",
            e.name,
            if e.holds { "holds" } else { "FAILS" },
            if reps > 1 {
                format!(" ({}/{})", e.held_in, e.replications)
            } else {
                String::new()
            },
            e.detail
        );
    }
    if let Some(why) = &r.vacuous {
        let _ = writeln!(text, "  measured nothing: {why}");
    }
    if let Some(cut) = &r.cut_short {
        let _ = writeln!(
            text,
            "  cut short: {} at {:.1} s simulated (--timeout); its verdicts cover only that much",
            cut.reason, cut.at_s
        );
    }
    let _ = writeln!(
        text,
        "  verdict: {}\n",
        if s.passed { "PASS" } else { "FAIL" }
    );
}

fn human_sweep(text: &mut String, groups: &[&[Item]], summaries: &[Summary]) {
    let _ = writeln!(text, "sweep:");
    for (g, s) in groups.iter().zip(summaries) {
        let row = sweep_row(&g[0].point, s);
        let point = g[0]
            .point
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            text,
            "  {:<50} {:<28} {}  {}/{} expectations  worst avail. {:.3}%  worst p99 {:.1} ms",
            point,
            s.experiment,
            if s.passed { "PASS" } else { "FAIL" },
            row["expectations_held"],
            row["expectations"],
            row["worst_availability"].as_f64().unwrap_or(1.0) * 100.0,
            row["worst_p99_ms"].as_f64().unwrap_or(0.0),
        );
    }
    text.push('\n');
}
