//! M: monitoring. Owns the rules on SLOs (valid names, a real endpoint, availability a positive
//! fraction, latency targets positive and rising with the percentile, at least one target, a
//! positive window), on alerts (valid names, a real endpoint, a threshold in range for its metric,
//! a non-negative `for_s`) and on `[monitoring]` (the metrics interval).
//!
//! Calls the helpers in `rules.rs`. Separate because SLO and alert names become check ids, and the
//! rules on what they watch belong together.

use super::rules::{MS, SECONDS};
use super::{Validator, root};
use crate::diagnostic::codes;
use crate::scenario::*;
use crate::source::Target;

impl Validator<'_> {
    pub(super) fn monitoring(&mut self) {
        for (name, slo) in &self.s.slos {
            let at = root().key("slos").key(name);
            self.name(at.clone(), "SLO", name);
            self.endpoint_ref(at.key("endpoint"), &slo.endpoint);
            if let Some(a) = slo.availability {
                self.fraction_positive(at.key("availability"), "`availability`", a);
            }
            let keys = [
                ("latency_p50_ms", slo.latency_p50_ms),
                ("latency_p90_ms", slo.latency_p90_ms),
                ("latency_p95_ms", slo.latency_p95_ms),
                ("latency_p99_ms", slo.latency_p99_ms),
                ("latency_p999_ms", slo.latency_p999_ms),
            ];
            let mut previous: Option<(&str, f64)> = None;
            let mut any_latency = false;
            for (key, value) in keys {
                let Some(value) = value else { continue };
                any_latency = true;
                if !(value > 0.0 && value.is_finite()) {
                    // Reported once, as not positive, rather than also as out of order.
                    self.positive(at.key(key), &format!("`{key}`"), value, MS);
                    continue;
                }
                self.at_most(at.key(key), &format!("`{key}`"), value, MS);
                if let Some((pkey, pvalue)) = previous
                    && value < pvalue
                {
                    self.push_help(
                        codes::PERCENTILES,
                        at.key(key),
                        Target::Value,
                        format!("`{key}` ({value}) is below `{pkey}` ({pvalue})"),
                        "a higher percentile's target is at least a lower one's",
                    );
                }
                previous = Some((key, value));
            }
            if slo.availability.is_none() && !any_latency {
                self.push_help(
                    codes::MISSING_FIELD,
                    at.clone(),
                    Target::Key,
                    format!("SLO `{name}` sets no target"),
                    "give `availability` or a `latency_p…_ms` target",
                );
            }
            self.positive(at.key("window_s"), "`window_s`", slo.window_s, SECONDS);
        }
        for (name, alert) in &self.s.alerts {
            let at = root().key("alerts").key(name);
            // Alert names become check ids (`EXPERIMENT/expect.alert.NAME`), as SLO names do.
            self.name(at.clone(), "alert", name);
            self.endpoint_ref(at.key("endpoint"), &alert.endpoint);
            match alert.metric {
                AlertMetric::ErrorRate => self.probability(
                    at.key("above"),
                    "the error-rate threshold `above`",
                    alert.above,
                ),
                _ => self.non_negative(at.key("above"), "`above`", alert.above, MS),
            }
            self.non_negative(at.key("for_s"), "`for_s`", alert.for_s, SECONDS);
        }
        let m = &self.s.monitoring;
        self.positive(
            root().key("monitoring").key("metrics_interval_s"),
            "`metrics_interval_s`",
            m.metrics_interval_s,
            SECONDS,
        );
    }
}
