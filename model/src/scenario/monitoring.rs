//! M of the seven-tuple: service-level objectives, alert rules, and metrics/tracing settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A service-level objective on an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// The endpoint, `"service.endpoint"`.
    pub endpoint: String,
    /// Fraction of requests that must succeed (degraded fallbacks count as successes), in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1), extend("exclusiveMinimum" = 0))]
    pub availability: Option<f64>,
    /// Median latency target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub latency_p50_ms: Option<f64>,
    /// 90th-percentile latency target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub latency_p90_ms: Option<f64>,
    /// 95th-percentile latency target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub latency_p95_ms: Option<f64>,
    /// 99th-percentile latency target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub latency_p99_ms: Option<f64>,
    /// 99.9th-percentile latency target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub latency_p999_ms: Option<f64>,
    /// Length of the window over which the worst period is reported (default 60 s).
    #[serde(default = "Slo::default_window_s")]
    #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
    pub window_s: f64,
}

impl Slo {
    fn default_window_s() -> f64 {
        60.0
    }

    /// The latency targets as `(percentile, ms)` pairs, percentile in (0, 100).
    pub fn latency_targets(&self) -> Vec<(f64, f64)> {
        [
            (50.0, self.latency_p50_ms),
            (90.0, self.latency_p90_ms),
            (95.0, self.latency_p95_ms),
            (99.0, self.latency_p99_ms),
            (99.9, self.latency_p999_ms),
        ]
        .into_iter()
        .filter_map(|(p, ms)| ms.map(|ms| (p, ms)))
        .collect()
    }
}

/// An alert rule: fire when `metric` of `endpoint` stays above `above` for `for_s` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The endpoint watched, `"service.endpoint"`.
    pub endpoint: String,
    /// What is measured.
    pub metric: AlertMetric,
    /// The threshold (a fraction for rates, milliseconds for latencies).
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub above: f64,
    /// How long the condition must hold before the alert fires (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_S))]
    pub for_s: f64,
}

/// A metric an alert can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Failed requests / requests, in [0, 1].
    ErrorRate,
    /// 99th-percentile latency in ms.
    LatencyP99Ms,
    /// Requests per second.
    RatePerS,
}

/// Metrics settings. (`trace_sampling` is reserved for when traces are sampled: the loader
/// refuses it with that reason until then, as it does every key nothing reads yet.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Width of a metrics time bucket (default 1 s).
    #[serde(default = "Monitoring::default_metrics_interval_s")]
    #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
    pub metrics_interval_s: f64,
}

impl Monitoring {
    fn default_metrics_interval_s() -> f64 {
        1.0
    }
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            metrics_interval_s: Self::default_metrics_interval_s(),
        }
    }
}
