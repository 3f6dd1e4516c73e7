//! Alert rules evaluated over a run's time buckets, the way Prometheus evaluates a rule with a
//! `for` clause: each bucket is one evaluation of the metric over that bucket; a rule whose
//! condition holds becomes pending, fires once the condition has held for `for_s` seconds
//! without a break, and resolves at the first evaluation where it no longer holds.
//!
//! Times are known only at bucket ends, as an evaluator only learns a bucket's value when the
//! bucket closes: an alert fires at the end of the bucket that completes its `for_s`, and
//! resolves at the end of the first bucket back under the threshold. A bucket without requests
//! has no error rate or latency (Prometheus's `NaN`), so it never satisfies those conditions.

use microcosm_model::AlertMetric;
use serde::{Deserialize, Serialize};

use crate::metrics::EndpointPoint;

/// One period an alert fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertFiring {
    /// When the condition started to hold (the start of the first bucket above the
    /// threshold): the alert was pending from here.
    pub pending_since_s: f64,
    /// When it fired: the end of the bucket by which the condition had held for `for_s`.
    pub start_s: f64,
    /// When it resolved: the end of the first bucket back under the threshold; `None` when it
    /// was still firing at the end of the run.
    pub end_s: Option<f64>,
    /// The metric's worst (highest) bucket value from `pending_since_s` to the end.
    pub peak: f64,
}

/// One alert rule over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertReport {
    /// The endpoint watched, `"service.endpoint"`.
    pub endpoint: String,
    /// `error_rate`, `latency_p99_ms` or `rate_per_s`.
    pub metric: String,
    /// The threshold the metric must exceed.
    pub above: f64,
    /// How long it must exceed it before the alert fires.
    pub for_s: f64,
    /// Every firing, in time order (buckets of the warm-up are not evaluated).
    pub firings: Vec<AlertFiring>,
    /// Whether it was firing when the run ended.
    pub firing_at_end: bool,
    /// Seconds from the start of the experiment's first fault to the first firing that starts
    /// after it or is still firing when it starts (0 then); `None` without faults or when the
    /// alert never fired during or after one.
    pub time_to_detect_s: Option<f64>,
    /// Firings that started before the first fault (all of them in a run without faults):
    /// alarms that no injected fault explains.
    pub firings_before_first_fault: u32,
}

/// The name of `metric` in reports.
pub fn metric_name(metric: AlertMetric) -> &'static str {
    match metric {
        AlertMetric::ErrorRate => "error_rate",
        AlertMetric::LatencyP99Ms => "latency_p99_ms",
        AlertMetric::RatePerS => "rate_per_s",
    }
}

/// A bucket's value of `metric`, `None` when it has none (no requests for a rate or latency).
fn value(metric: AlertMetric, p: &EndpointPoint, width_s: f64) -> Option<f64> {
    match metric {
        AlertMetric::ErrorRate => (p.requests > 0).then(|| p.errors as f64 / p.requests as f64),
        AlertMetric::LatencyP99Ms => (p.requests > 0).then_some(p.p99_ms),
        AlertMetric::RatePerS => Some(p.requests as f64 / width_s.max(f64::MIN_POSITIVE)),
    }
}

/// The firings of a rule (`metric` above `above` for `for_s`) over an endpoint's buckets
/// `series` (bucket `b` spans `[b·bucket_s, min((b+1)·bucket_s, duration_s))`), evaluated from
/// bucket `first` on.
pub fn firings(
    series: &[EndpointPoint],
    bucket_s: f64,
    duration_s: f64,
    first: usize,
    metric: AlertMetric,
    above: f64,
    for_s: f64,
) -> Vec<AlertFiring> {
    // Bucket bounds are compared with a little slack: `for_s` of 30 over 1 s buckets must fire
    // after 30 buckets even where 30 × 0.1 s is not exactly 3 s in binary.
    const SLACK: f64 = 1e-9;
    let mut out: Vec<AlertFiring> = Vec::new();
    // (pending since, peak, fired)
    let mut pending: Option<(f64, f64, bool)> = None;
    for (b, p) in series.iter().enumerate().skip(first) {
        let start = b as f64 * bucket_s;
        let end = ((b + 1) as f64 * bucket_s).min(duration_s);
        let v = value(metric, p, end - start);
        match v.filter(|v| *v > above) {
            Some(v) => {
                let (since, peak, fired) = pending.get_or_insert((start, v, false));
                *peak = peak.max(v);
                if *fired {
                    if let Some(f) = out.last_mut() {
                        f.peak = f.peak.max(v);
                    }
                } else if end - *since + SLACK >= for_s {
                    *fired = true;
                    out.push(AlertFiring {
                        pending_since_s: *since,
                        start_s: end,
                        end_s: None,
                        peak: *peak,
                    });
                }
            }
            None => {
                if let Some((_, _, true)) = pending
                    && let Some(f) = out.last_mut()
                {
                    f.end_s = Some(end);
                }
                pending = None;
            }
        }
    }
    out
}

/// The report of one rule given its firings and the first fault's start, if any.
pub fn report(
    alert: &microcosm_model::Alert,
    firings: Vec<AlertFiring>,
    first_fault_s: Option<f64>,
) -> AlertReport {
    let time_to_detect_s = first_fault_s.and_then(|t| {
        firings
            .iter()
            .find(|f| f.end_s.is_none_or(|e| e > t))
            .map(|f| (f.start_s - t).max(0.0))
    });
    let firings_before_first_fault = firings
        .iter()
        .filter(|f| first_fault_s.is_none_or(|t| f.start_s < t))
        .count() as u32;
    AlertReport {
        endpoint: alert.endpoint.clone(),
        metric: metric_name(alert.metric).to_owned(),
        above: alert.above,
        for_s: alert.for_s,
        firing_at_end: firings.last().is_some_and(|f| f.end_s.is_none()),
        firings,
        time_to_detect_s,
        firings_before_first_fault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(errors: &[u64]) -> Vec<EndpointPoint> {
        errors
            .iter()
            .map(|&e| EndpointPoint {
                requests: 100,
                errors: e,
                p99_ms: e as f64,
                ..EndpointPoint::default()
            })
            .collect()
    }

    #[test]
    fn an_alert_fires_after_its_for_and_resolves_when_the_metric_falls() {
        // Above 10% in buckets 3..=7 (3 s to 8 s).
        let s = points(&[0, 0, 0, 50, 50, 50, 50, 50, 0, 0]);
        let f = firings(&s, 1.0, 10.0, 0, AlertMetric::ErrorRate, 0.1, 2.0);
        assert_eq!(
            f,
            vec![AlertFiring {
                pending_since_s: 3.0,
                start_s: 5.0,
                end_s: Some(9.0),
                peak: 0.5,
            }]
        );
        // Without `for`, it fires at the end of the first bucket above.
        let f = firings(&s, 1.0, 10.0, 0, AlertMetric::ErrorRate, 0.1, 0.0);
        assert_eq!((f[0].start_s, f[0].end_s), (4.0, Some(9.0)));
        // A condition that does not last `for_s` never fires.
        assert!(firings(&s, 1.0, 10.0, 0, AlertMetric::ErrorRate, 0.1, 6.0).is_empty());
    }

    #[test]
    fn a_break_restarts_the_pending_period_and_firing_can_outlast_the_run() {
        let s = points(&[50, 50, 0, 50, 50, 50]);
        let f = firings(&s, 1.0, 5.5, 0, AlertMetric::ErrorRate, 0.1, 2.0);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].start_s, f[0].end_s), (2.0, Some(3.0)));
        // The last bucket is cut short by the end of the run.
        assert_eq!(
            (f[1].pending_since_s, f[1].start_s, f[1].end_s),
            (3.0, 5.0, None)
        );
        let alert = microcosm_model::Alert {
            endpoint: "a.b".into(),
            metric: AlertMetric::ErrorRate,
            above: 0.1,
            for_s: 2.0,
        };
        let r = report(&alert, f, Some(2.5));
        assert!(r.firing_at_end);
        // The first firing ends at 3 s, after the fault started at 2.5 s: it counts, at once.
        assert_eq!(r.time_to_detect_s, Some(0.0));
        assert_eq!(r.firings_before_first_fault, 1);
    }

    #[test]
    fn empty_buckets_have_no_rate_or_latency_and_warm_up_is_skipped() {
        let mut s = points(&[50, 50, 50, 50]);
        s[2].requests = 0;
        s[2].errors = 0;
        let f = firings(&s, 1.0, 4.0, 1, AlertMetric::LatencyP99Ms, 10.0, 0.0);
        assert_eq!(
            f.iter().map(|f| (f.start_s, f.end_s)).collect::<Vec<_>>(),
            vec![(2.0, Some(3.0)), (4.0, None)]
        );
        // 100 requests in a 0.5 s bucket is 200 per second.
        let f = firings(&s, 0.5, 2.0, 0, AlertMetric::RatePerS, 150.0, 0.0);
        assert_eq!(f.len(), 2);
    }
}
