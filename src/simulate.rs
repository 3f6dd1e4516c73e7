//! `microcosm simulate`: run a scenario's failure experiments in the discrete-event simulator —
//! each experiment × sweep point × replication is one work item, run in parallel — and report
//! the verdicts as a human table or JSON Lines, with SVG plots on request. `--shard K/N` runs
//! every N-th work item and writes a shard report that `microcosm merge` combines into exactly
//! the report one machine would have written.
//!
//! JSON Lines records, between `begin` (command `simulate`) and `end`:
//! - `plan`: `scenario`, `experiments`, `seed` (the `--seed` given, or null for each
//!   experiment's own), `replications`, `duration_s` (the `--duration` given, or null),
//!   `bucket_s` (the `--bucket` given; absent without), `sweep` (`[key, [values]]` per axis),
//!   `items`.
//! - `replication`: one work item: `index`, `experiment`, `point` ([key, value] per axis),
//!   `replication`, `report` (the full run report: per endpoint, edge, service, topic and breaker,
//!   with time series; SLOs, expectations, conservation; see `microcosm_simulator::SimReport`).
//! - `experiment`: one experiment at one sweep point across its replications: `point`, and per
//!   endpoint `requests`, `errors`, `availability`, `latency_ms` {`p50`, `p95`, `p99`, `mean`}
//!   (means over replications) with `ci95` half-widths, `expectations` (`name`, `holds`,
//!   `held_in`, `replications`, `detail`, and `expected` when `[expected_verdicts]` declares
//!   one), `events`, `passed`, `seeds`.
//! - `sweep` (with `--sweep`): one row per point and experiment: `point`, `experiment`,
//!   `passed`, `expectations_held`, `expectations`, `worst_availability`, `worst_p99_ms`,
//!   `max_edge_amplification`, `max_service_amplification`.
//! - `summary`: `experiments`, `items`, `passed`, `failed`, `errors` (runs that measured
//!   nothing: the command then exits 2, as `check` does, for they decide nothing).
//!
//! An experiment passes as `check` would pass its checks: it is judged on what
//! `Scenario::judged` lists (without `expect.slos`, every SLO its load reaches), and a verdict
//! the scenario's `[expected_verdicts]` declares is met rather than failed (each expectation
//! record then carries `expected`). Under `--sweep` every point is a changed design, so the
//! declared verdicts, which pin the file as written, do not apply.
//! - `timing` (unless `--no-timing`): `wall_s`, `events`, `events_per_s` — the one record that
//!   depends on the machine; everything else is a function of the scenario and the seeds.
//!
//! A shard report has `begin`, `plan`, `shard` (`shard`, `of`, `items`: the indices it ran),
//! its `replication` records, and `end`.
//!
//! This file plans the run and runs the work items; `finish` turns the items into the report
//! (shared with `merge`), and `human` writes its human text.

mod finish;
mod human;

pub use finish::finish;

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use microcosm_model::{Format as FileFormat, LoadedScenario, Scenario};
use microcosm_simulator::replicate::{RunOptions, replication_seed, run_once_with};
use microcosm_simulator::sweep::{self, SweepAxis};
use microcosm_simulator::{MAX_DURATION_S, SimReport};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Outcome;
use crate::cli::SimulateArgs;
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
        Ok(l) => {
            // `[expected_verdicts]` pin the scenario as written; a sweep point is another
            // design, judged plainly, or the point that fixes a known bug would read as a
            // failure.
            let mut scenario = l.scenario;
            scenario.expected_verdicts.clear();
            Ok(Some(scenario))
        }
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
    // Each key is checked against the scenario before any value is set: a typo is reported
    // under its segment in the argument, not inside the re-serialised scenario.
    for axis in &axes {
        sweep::check_key(axis, scenario)?;
    }
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
    let items = match args.parallel.jobs {
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
        return Ok(
            if items.iter().any(|i| finish::measured_nothing(&i.report)) {
                Outcome::Invalid
            } else if items.iter().all(|i| i.report.passed) {
                Outcome::Pass
            } else {
                Outcome::Fail
            },
        );
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
