//! Time distributions: how long an endpoint works or a network hop takes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A distribution of durations in milliseconds, tagged by `dist`:
/// `{ dist = "lognormal", p50_ms = 3.0, p99_ms = 20.0 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    /// Always `ms`.
    Constant {
        /// The duration.
        #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
        ms: f64,
    },
    /// Exponential with mean `mean_ms` (memoryless: an M/M/c service time).
    Exponential {
        /// The mean duration.
        #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
        mean_ms: f64,
    },
    /// Normal, truncated at zero.
    Normal {
        /// The mean duration.
        #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
        mean_ms: f64,
        /// The standard deviation.
        #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
        stddev_ms: f64,
    },
    /// Log-normal, given by two percentiles as people measure them: the median and the 99th.
    Lognormal {
        /// The median.
        #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
        p50_ms: f64,
        /// The 99th percentile; at least `p50_ms`.
        #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
        p99_ms: f64,
    },
    /// Resampled from measured durations: `samples_ms` inline, or `csv` (a CSV file relative
    /// to the scenario file), which loading reads into `samples_ms`.
    Empirical {
        /// The CSV file to read samples from: one column of milliseconds, or columns under a
        /// header that names the duration column by its unit: `ms`, `s`, `us`, `ns`, or
        /// `latency`, `duration`, `elapsed`, `response_time`, `sample` or `value` with a unit
        /// (`latency_ms`, `duration_s`, `elapsed_us`). Other columns (`timestamp`, `endpoint`)
        /// are ignored; a duration column without a unit (`duration`) is an error.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csv: Option<String>,
        /// The samples, in milliseconds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[schemars(inner(range(min = 0, max = crate::limits::MAX_DURATION_MS)))]
        samples_ms: Vec<f64>,
    },
}

/// z such that Φ(z) = 0.99, for turning a p99 into a log-normal σ.
const Z_99: f64 = 2.326_347_874_040_841;

impl Distribution {
    /// The mean duration in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        match self {
            Distribution::Constant { ms } => *ms,
            Distribution::Exponential { mean_ms } | Distribution::Normal { mean_ms, .. } => {
                *mean_ms
            }
            Distribution::Lognormal { .. } => {
                let (mu, sigma) = self.lognormal_params().unwrap_or((0.0, 0.0));
                (mu + sigma * sigma / 2.0).exp()
            }
            Distribution::Empirical { samples_ms, .. } => {
                if samples_ms.is_empty() {
                    0.0
                } else {
                    samples_ms.iter().sum::<f64>() / samples_ms.len() as f64
                }
            }
        }
    }

    /// For a log-normal, the (μ, σ) of the underlying normal, from the median and p99.
    pub fn lognormal_params(&self) -> Option<(f64, f64)> {
        match self {
            Distribution::Lognormal { p50_ms, p99_ms } => {
                let mu = p50_ms.ln();
                let sigma = (p99_ms.ln() - mu) / Z_99;
                Some((mu, sigma))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_mean_follows_from_its_percentiles() {
        // p50 = 10, p99 = 10·e^{Z_99} gives σ = 1, so the mean is 10·e^{1/2}.
        let d = Distribution::Lognormal {
            p50_ms: 10.0,
            p99_ms: 10.0 * Z_99.exp(),
        };
        let (mu, sigma) = d.lognormal_params().unwrap();
        assert!((mu - 10f64.ln()).abs() < 1e-12);
        assert!((sigma - 1.0).abs() < 1e-12);
        assert!((d.mean_ms() - 10.0 * 0.5f64.exp()).abs() < 1e-9);
    }

    #[test]
    fn empirical_mean_is_the_sample_mean() {
        let d = Distribution::Empirical {
            csv: None,
            samples_ms: vec![1.0, 2.0, 6.0],
        };
        assert_eq!(d.mean_ms(), 3.0);
    }
}
