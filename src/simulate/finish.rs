//! The end of `simulate` and of `merge`: the complete report of a plan's finished items —
//! their summaries per (point, experiment), the JSON Lines records or (through `human`) the
//! text, the SVG plots — and the verdict. Called by the parent with every item and by
//! `crate::merge` with the shards' items; it is one room so a merged report is byte for byte
//! the report of the unsharded run.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use microcosm_simulator::plot;
use microcosm_simulator::replicate::{Summary, summarise};

use super::human::{group_digits, human_experiment, human_sweep};
use super::{Item, Plan};
use crate::Outcome;
use crate::cli::Format;
use crate::output::{json_begin, json_line, write_report};

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
    // A run that measured nothing decides nothing: an error, as `check` reports it (exit 2),
    // not a verdict.
    let errors = groups
        .iter()
        .filter(|g| g.iter().any(|i| measured_nothing(&i.report)))
        .count();
    let failed = summaries.len() - passed - errors;
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
                    "passed": passed, "failed": failed, "errors": errors,
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
                "{} experiment run{}: {passed} passed, {failed} failed{}",
                summaries.len(),
                if summaries.len() == 1 { "" } else { "s" },
                match errors {
                    0 => String::new(),
                    1 => ", 1 measured nothing".to_owned(),
                    n => format!(", {n} measured nothing"),
                }
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
    Ok(if errors > 0 {
        Outcome::Invalid
    } else if failed == 0 {
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

pub(super) fn sweep_row(point: &[(String, String)], s: &Summary) -> serde_json::Value {
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

/// Whether a run measured nothing, so decides nothing: an error, as `check` reports it. A run
/// the `--timeout` cut short is inconclusive instead (a failure, as in `check`), whatever it
/// measured before.
pub(super) fn measured_nothing(report: &microcosm_simulator::SimReport) -> bool {
    report.vacuous.is_some() && report.cut_short.is_none()
}
