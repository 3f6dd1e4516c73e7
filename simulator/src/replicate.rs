//! Replications: the same experiment run K times with seeds derived from one, in parallel on
//! rayon's pool, and summarised as a mean with a 95% confidence interval (Student's t) per
//! figure — the standard way to put error bars on a simulation's output.
//!
//! Results are collected in replication order whatever the thread count, and replication 0
//! uses the seed itself, so `--replications 1` and the first of many are the same run.

use std::collections::BTreeMap;

use microcosm_model::Scenario;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::{self, SimReport};
use crate::sim::{Sim, derive_seed};

/// The seed of replication `i` of a run seeded `seed`.
pub fn replication_seed(seed: u64, i: u32) -> u64 {
    if i == 0 {
        seed
    } else {
        derive_seed(seed, 0x5EED_0000 + u64::from(i))
    }
}

/// Runs one experiment once and reports it.
pub fn run_once(
    scenario: &Scenario,
    experiment: &str,
    seed: u64,
    duration_s: Option<f64>,
) -> Result<SimReport, Error> {
    run_once_observed(scenario, experiment, seed, duration_s, |_, _| {})
}

/// How to run one experiment, beyond the scenario and the seed.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Simulated seconds instead of the experiment's `duration_s`.
    pub duration_s: Option<f64>,
    /// An explicit bucket width ([`crate::SimBuilder::bucket_s`]).
    pub bucket_s: Option<f64>,
    /// What stops the run early; the report then says it was cut short, and does not pass.
    pub interrupt: crate::Interrupt,
}

/// Progress reports per run, at most: enough for a smooth bar, few enough that a long run's
/// reporting costs nothing (a run of `MAX_DURATION_S` seconds reported every simulated second
/// would spend its time reporting).
const OBSERVATIONS: u64 = 1_000;

/// [`run_once`], calling `observe(now, horizon)` (nanoseconds) after each simulated second (or
/// each thousandth of a longer run), so a terminal can show how far a long run got. Stepping a
/// slice at a time processes the same events in the same order: the report is the same.
pub fn run_once_observed(
    scenario: &Scenario,
    experiment: &str,
    seed: u64,
    duration_s: Option<f64>,
    observe: impl FnMut(u64, u64),
) -> Result<SimReport, Error> {
    let options = RunOptions {
        duration_s,
        ..RunOptions::default()
    };
    run_once_with(scenario, experiment, seed, &options, observe)
}

/// [`run_once_observed`] with every option.
pub fn run_once_with(
    scenario: &Scenario,
    experiment: &str,
    seed: u64,
    options: &RunOptions,
    mut observe: impl FnMut(u64, u64),
) -> Result<SimReport, Error> {
    let mut builder = Sim::builder(scenario, seed)
        .experiment(experiment)
        .interrupt(options.interrupt.clone());
    if let Some(d) = options.duration_s {
        builder = builder.duration_s(d);
        let warmup = scenario
            .experiments
            .get(experiment)
            .map_or(0.0, |e| e.warmup_s);
        if warmup >= d {
            builder = builder.warmup_s(0.0);
        }
    }
    if let Some(w) = options.bucket_s {
        builder = builder.bucket_s(w);
    }
    let mut sim = builder.build()?;
    let horizon = sim.horizon();
    let slice = horizon.div_ceil(OBSERVATIONS).max(1_000_000_000);
    let mut t = 0;
    while t < horizon && sim.interrupted().is_none() {
        t = t.saturating_add(slice).min(horizon);
        sim.run_until(t);
        observe(t, horizon);
    }
    sim.run();
    Ok(report::build(&sim, scenario))
}

/// Runs `replications` replications in parallel, in replication order.
pub fn run_replications(
    scenario: &Scenario,
    experiment: &str,
    seed: u64,
    replications: u32,
    duration_s: Option<f64>,
) -> Result<Vec<SimReport>, Error> {
    (0..replications.max(1))
        .into_par_iter()
        .map(|i| run_once(scenario, experiment, replication_seed(seed, i), duration_s))
        .collect()
}

/// A figure's mean over replications and the half-width of its 95% confidence interval
/// (0 with one replication).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The mean over replications, in the figure's unit.
    pub mean: f64,
    /// Half-width of the 95% confidence interval (Student's t), in the figure's unit.
    pub ci95: f64,
}

/// Two-sided 95% Student-t quantiles for 1..=30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

impl Estimate {
    /// The estimate from one value per replication.
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { mean, ci95: 0.0 };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = T95.get(n - 2).copied().unwrap_or(1.960);
        Estimate {
            mean,
            ci95: t * (var / n as f64).sqrt(),
        }
    }
}

/// An endpoint's figures across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    /// Whether load generators call it (as in the first replication's report).
    pub entry: bool,
    /// Mean over replications of the requests measured after the warm-up.
    pub requests: f64,
    /// Mean over replications of the failed requests.
    pub errors: f64,
    /// Mean over replications of the availability, in [0, 1].
    pub availability: f64,
    /// Means over replications of the latency percentiles, ms.
    pub latency_ms: LatencySummary,
    /// Half-widths of the 95% confidence intervals of the figures above.
    pub ci95: EndpointCi,
}

/// Mean latency percentiles across replications, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Median latency, ms.
    pub p50: f64,
    /// 95th-percentile latency, ms.
    pub p95: f64,
    /// 99th-percentile latency, ms.
    pub p99: f64,
    /// Mean latency, ms.
    pub mean: f64,
}

/// Half-widths of an endpoint's 95% confidence intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointCi {
    /// Of the requests.
    pub requests: f64,
    /// Of the errors.
    pub errors: f64,
    /// Of the availability.
    pub availability: f64,
    /// Of each latency figure, ms.
    pub latency_ms: LatencySummary,
}

/// An expectation's verdict across replications: it holds when it holds in every one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationSummary {
    /// The expectation's name, as in [`crate::report::ExpectationReport::name`].
    pub name: String,
    /// Whether it held in every replication.
    pub holds: bool,
    /// Replications in which it held.
    pub held_in: u32,
    /// Replications run.
    pub replications: u32,
    /// The detail of the first replication where it failed, else of the first.
    pub detail: String,
    /// The verdict the scenario's `[expected_verdicts]` declares for it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<microcosm_model::ExpectedVerdict>,
}

impl ExpectationSummary {
    /// Whether it lets the experiment pass: it met its declared verdict (holds by default) in
    /// every replication, as each replication's report decides.
    pub fn passes(&self) -> bool {
        match self.expected {
            Some(microcosm_model::ExpectedVerdict::Violated) => self.held_in == 0,
            _ => self.held_in == self.replications,
        }
    }
}

/// One experiment's result across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The experiment's name.
    pub experiment: String,
    /// The seed given, which replication 0 uses as is.
    pub seed: u64,
    /// The seed of each replication, in replication order.
    pub seeds: Vec<u64>,
    /// Replications run.
    pub replications: u32,
    /// Simulated seconds of each run, warm-up included.
    pub duration_s: f64,
    /// Every replication passed.
    pub passed: bool,
    /// Events processed, summed over replications.
    pub events: u64,
    /// Conservation held in every replication.
    pub conservation_holds: bool,
    /// Per endpoint of the first replication's report, its figures across replications.
    pub endpoints: BTreeMap<String, EndpointSummary>,
    /// Each expectation's verdict across replications, in the experiment's order.
    pub expectations: Vec<ExpectationSummary>,
    /// The edge with the largest peak amplification in the first replication, and that
    /// edge's peak (attempts per call) across replications.
    pub max_edge_amplification: Option<(String, Estimate)>,
    /// The service with the largest peak retry amplification in the first replication, and
    /// that service's peak across replications.
    pub max_service_amplification: Option<(String, Estimate)>,
}

/// Summarises the replications of one experiment (all with the same scenario and experiment).
pub fn summarise(reports: &[SimReport]) -> Summary {
    let first = &reports[0];
    let n = reports.len() as u32;
    let mut endpoints = BTreeMap::new();
    for (name, ep) in &first.endpoints {
        let take = |f: &dyn Fn(&crate::report::EndpointReport) -> f64| {
            let v: Vec<f64> = reports
                .iter()
                .filter_map(|r| r.endpoints.get(name))
                .map(f)
                .collect();
            Estimate::of(&v)
        };
        let requests = take(&|e| e.requests as f64);
        let errors = take(&|e| e.errors as f64);
        let availability = take(&|e| e.availability);
        let p50 = take(&|e| e.latency_ms.p50);
        let p95 = take(&|e| e.latency_ms.p95);
        let p99 = take(&|e| e.latency_ms.p99);
        let mean = take(&|e| e.latency_ms.mean);
        endpoints.insert(
            name.clone(),
            EndpointSummary {
                entry: ep.entry,
                requests: requests.mean,
                errors: errors.mean,
                availability: availability.mean,
                latency_ms: LatencySummary {
                    p50: p50.mean,
                    p95: p95.mean,
                    p99: p99.mean,
                    mean: mean.mean,
                },
                ci95: EndpointCi {
                    requests: requests.ci95,
                    errors: errors.ci95,
                    availability: availability.ci95,
                    latency_ms: LatencySummary {
                        p50: p50.ci95,
                        p95: p95.ci95,
                        p99: p99.ci95,
                        mean: mean.ci95,
                    },
                },
            },
        );
    }
    let expectations = first
        .expectations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let held_in = reports
                .iter()
                .filter(|r| r.expectations.get(i).is_some_and(|x| x.holds))
                .count() as u32;
            let detail = reports
                .iter()
                .filter_map(|r| r.expectations.get(i))
                .find(|x| !x.holds)
                .unwrap_or(e)
                .detail
                .clone();
            ExpectationSummary {
                name: e.name.clone(),
                holds: held_in == n,
                held_in,
                replications: n,
                detail,
                expected: e.expected,
            }
        })
        .collect();
    let max_edge_amplification = first.max_edge_amplification().map(|(edge, _)| {
        let v: Vec<f64> = reports
            .iter()
            .map(|r| r.edges.get(edge).map_or(0.0, |e| e.peak_amplification))
            .collect();
        (edge.to_owned(), Estimate::of(&v))
    });
    let max_service_amplification = first.max_service_amplification().map(|(service, _)| {
        let v: Vec<f64> = reports
            .iter()
            .map(|r| {
                r.services
                    .get(service)
                    .map_or(1.0, |s| s.peak_amplification)
            })
            .collect();
        (service.to_owned(), Estimate::of(&v))
    });
    Summary {
        scenario: first.scenario.clone(),
        experiment: first.experiment.clone(),
        seed: first.seed,
        seeds: reports.iter().map(|r| r.seed).collect(),
        replications: n,
        duration_s: first.duration_s,
        passed: reports.iter().all(|r| r.passed),
        events: reports.iter().map(|r| r.events).sum(),
        conservation_holds: reports.iter().all(|r| r.conservation.holds),
        endpoints,
        expectations,
        max_edge_amplification,
        max_service_amplification,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_intervals_use_students_t() {
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        // s = 1, n = 3: t(2) · 1/√3.
        assert!((e.ci95 - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(Estimate::of(&[5.0]).ci95, 0.0);
    }

    #[test]
    fn replication_zero_is_the_seed_itself() {
        assert_eq!(replication_seed(42, 0), 42);
        assert_ne!(replication_seed(42, 1), replication_seed(42, 2));
    }
}
