//! The human text of a simulate report: per experiment at a sweep point, its endpoints, edges,
//! breakers and expectations across replications, and the sweep's table. Called only by
//! `finish` (the JSON Lines need none of it); apart because the layout of a table is long and
//! changes for reasons of its own.

use std::fmt::Write as _;

use microcosm_model::ExpectedVerdict;
use microcosm_simulator::replicate::Summary;
use microcosm_simulator::report::{reading, slo_reading};

use super::Item;
use super::finish::sweep_row;

pub(super) fn group_digits(n: u64) -> String {
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

pub(super) fn human_experiment(text: &mut String, first: &Item, s: &Summary) {
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
    let measured_s = r.duration_s - r.warmup_s;
    for (name, slo) in &r.slos {
        let _ = writeln!(
            text,
            "  slo {name} ({}): {}",
            slo.endpoint,
            slo_reading(slo.holds, r.slo_gate(name))
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
                if o.holds { "met   " } else { "MISSED" },
                match (worst, o.worst_window_start_s) {
                    // A window as long as the run measured is the run: say so, rather than
                    // name a window that runs past its end.
                    (Some(w), Some(_)) if slo.window_s >= measured_s =>
                        format!("  over the whole {measured_s} s measured: {w}"),
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
                    "; retries multiplied the load at {n} by up to {peak:.2}× \
                     ({run:.2}× over the run)"
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
            // A declared violation that held in any replication is not met there.
            reading(
                if e.expected == Some(ExpectedVerdict::Violated) {
                    e.held_in > 0
                } else {
                    e.holds
                },
                e.expected
            ),
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
        if super::finish::measured_nothing(r) {
            "ERROR (the run measured nothing, so it decides nothing)"
        } else {
            verdict(s)
        }
    );
}

pub(super) fn human_sweep(text: &mut String, groups: &[&[Item]], summaries: &[Summary]) {
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

/// An experiment's verdict as `check` would give it: a pass that holds only because every
/// violation is declared in `[expected_verdicts]` says so, so it is never read as a clean pass.
pub(super) fn verdict(s: &Summary) -> &'static str {
    let as_declared = s.expectations.iter().any(|e| !e.holds);
    match (s.passed, as_declared) {
        (true, true) => "PASS (failed, as [expected_verdicts] declares)",
        (true, false) => "PASS",
        (false, _) => "FAIL",
    }
}
