//! The verdicts a report draws from its own figures: each thing the experiment is judged on (its
//! gated SLOs, the retry-amplification bound, alerts' time to detect; which ones is
//! `Scenario::judged`'s rule, shared with `check`), whether the run measured anything at all,
//! and how a verdict reads against the one `[expected_verdicts]` declares. Kept apart from the report's data so the rules that decide a run
//! can be read in one place; `build` calls them last, once every figure is in.

use std::collections::BTreeMap;

use microcosm_model::{ExpectedVerdict, Judged};

use super::{ExpectationReport, Objective, SimReport};

/// Why a run of experiment `e` measured nothing, if it did: `e` declares load, yet no entry
/// endpoint counted a request after the warm-up (none was made, or none completed). Every verdict of such a run holds vacuously
/// (availability 100% of nothing, p99 of no latency), so it must not pass.
pub(super) fn vacuity(report: &SimReport, e: &microcosm_model::Experiment) -> Option<String> {
    if e.load.is_empty() {
        return None;
    }
    let measured: u64 = report
        .endpoints
        .values()
        .filter(|ep| ep.entry)
        .map(|ep| ep.requests)
        .sum();
    if measured > 0 {
        return None;
    }
    let measured_s = report.duration_s - report.warmup_s;
    Some(if measured_s <= 0.0 {
        format!(
            "the warm-up ({} s) covers the whole run ({} s): nothing was measured",
            report.warmup_s, report.duration_s
        )
    } else if report.conservation.generated > 0 {
        // Requests are measured as they complete: a run shorter than a request decides
        // nothing either.
        format!(
            "none of the {} requests the load made completed within the {measured_s} s \
             measured; raise the duration",
            report.conservation.generated
        )
    } else {
        format!(
            "the load declared made no request in the {measured_s} s measured; raise the rate \
             or the duration"
        )
    })
}

/// Evaluates what an experiment is judged on (`Scenario::judged`, the one rule `check`, `simulate`
/// and the explorer share) against a report, each with the verdict `expected` (the scenario's
/// `[expected_verdicts]`) declares for its check id.
pub fn expectations(
    report: &SimReport,
    judged: &[Judged],
    expected: &BTreeMap<String, ExpectedVerdict>,
) -> Vec<ExpectationReport> {
    let mut out = Vec::new();
    for j in judged {
        let Some(name) = j.report_name() else {
            continue;
        };
        let (holds, detail) = match *j {
            Judged::Slo { name, .. } => slo(report, name),
            Judged::RetryAmplification(bound) => amplification(report, bound),
            Judged::Alert(name, within) => alert(report, name, within),
            Judged::Conservation => continue,
        };
        out.push(ExpectationReport {
            name,
            holds,
            detail,
            expected: expected.get(&j.check_id(&report.experiment)).copied(),
        });
    }
    out
}

fn slo(report: &SimReport, name: &str) -> (bool, String) {
    match report.slos.get(name) {
        Some(slo) => {
            let failing: Vec<String> = slo
                .objectives
                .iter()
                .filter(|o| !o.holds)
                .map(describe_objective)
                .collect();
            if failing.is_empty() {
                (
                    true,
                    slo.objectives
                        .iter()
                        .map(describe_objective)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            } else {
                (false, failing.join(", "))
            }
        }
        None => (false, "the SLO's endpoint received no requests".to_owned()),
    }
}

fn amplification(report: &SimReport, bound: f64) -> (bool, String) {
    match report.max_service_amplification() {
        Some((service, a)) => (
            a <= bound + 1e-9,
            format!("retries multiplied the load at {service} by {a:.2}× at most (bound {bound}×)"),
        ),
        None => (true, "no services".to_owned()),
    }
}

fn alert(report: &SimReport, name: &str, within: f64) -> (bool, String) {
    // A run cut short (`--duration`) before the first fault has nothing to detect.
    let fault_in_run = report.faults.iter().any(|f| f.start_s < report.duration_s);
    match report.alerts.get(name).map(|a| a.time_to_detect_s) {
        Some(None) if !fault_in_run => (
            true,
            "no fault starts within the run, so there is nothing to detect".to_owned(),
        ),
        Some(Some(t)) => (
            t <= within + 1e-9,
            format!("fired {t:.1} s after the first fault (within {within} s)"),
        ),
        Some(None) => (
            false,
            format!("never fired during or after the first fault (within {within} s)"),
        ),
        None => (false, "the simulator evaluated no such alert".to_owned()),
    }
}

/// How a verdict reads for people, given the verdict `[expected_verdicts]` declares: one
/// wording for `simulate`'s text and the explorer, so a violation the scenario declares never
/// reads as a failure, nor a declared one that did not happen as a pass.
pub fn reading(holds: bool, expected: Option<ExpectedVerdict>) -> &'static str {
    match (holds, expected) {
        (true, Some(ExpectedVerdict::Violated)) => {
            "HOLDS, though [expected_verdicts] expects it violated"
        }
        (true, _) => "holds",
        (false, Some(ExpectedVerdict::Violated)) => "violated, as expected",
        (false, _) => "VIOLATED",
    }
}

/// How an SLO's own line reads: as [`reading`] when the experiment gates it (`gate` is its
/// expectation), and marked as not gated otherwise, so a violation never sits unexplained above
/// a passing verdict.
pub fn slo_reading(holds: bool, gate: Option<&ExpectationReport>) -> &'static str {
    match gate {
        Some(x) => reading(holds, x.expected),
        None if holds => "holds (not gated)",
        None => "VIOLATED (not gated: add it to expect.slos)",
    }
}

fn describe_objective(o: &Objective) -> String {
    if o.metric == "availability" {
        format!(
            "availability {:.3}% (target {:.3}%)",
            o.actual * 100.0,
            o.target * 100.0
        )
    } else {
        let name = o.metric.trim_end_matches("_ms").replace("latency_", "");
        format!("{name} {:.1} ms (target {} ms)", o.actual, o.target)
    }
}
