//! Failure experiments for the simulator: load, a fault timeline, and what must hold.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CallStep, ExpectedVerdict, Scenario};

/// A failure experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// What the experiment asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Simulated time.
    #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
    pub duration_s: f64,
    /// Seed of every random choice (default 1); `--seed` overrides it.
    #[serde(default = "Experiment::default_seed")]
    pub seed: u64,
    /// Leading time excluded from the statistics (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_S))]
    pub warmup_s: f64,
    /// Load generators, running together.
    pub load: Vec<LoadGenerator>,
    /// Faults, each at a time and for a while.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// What must hold for the experiment to pass.
    #[serde(default, skip_serializing_if = "Expectations::is_empty")]
    pub expect: Expectations,
}

impl Experiment {
    fn default_seed() -> u64 {
        1
    }
}

/// A load generator: requests to one endpoint or a weighted mix, with an arrival pattern.
///
/// Open loop (`poisson`, `constant`, `ramp`, `step`) sends at a rate whatever the answers;
/// closed loop (`closed`) has `users` that each wait for an answer, think, and send again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadGenerator {
    /// The endpoint called, `"service.endpoint"` (or give `mix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Endpoints called with relative weights, `{ "frontend.home" = 8, "frontend.checkout" = 1 }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(transform = crate::limits::schema::weights)]
    pub mix: BTreeMap<String, f64>,
    /// The arrival pattern (default `poisson`).
    #[serde(default)]
    pub arrival: Arrival,
    /// Requests per second (the starting rate for `ramp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = crate::limits::MAX_RATE_PER_S))]
    pub rate_per_s: Option<f64>,
    /// For `ramp`: the rate reached at the end of the experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = crate::limits::MAX_RATE_PER_S))]
    pub to_rate_per_s: Option<f64>,
    /// For `step`: the rate from each time on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<RateStep>,
    /// For `step`: a CSV rate profile relative to the scenario file, which loading reads into
    /// `steps`: `at_s,rate_per_s` rows, or columns under a header that names the time from the
    /// experiment's start (`at_s`, `time_s`, `t_s`, `offset_s`, `start_s`, or those in `_ms` or
    /// `_min`, `s`, `seconds`) and the rate (`rate_per_s`, `rps`, `requests_per_s`,
    /// `rate_per_min`, `rpm`), in any order. A timestamp is not a time from the start: a
    /// header with no such columns is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_csv: Option<String>,
    /// For `closed`: the number of users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_USERS))]
    pub users: Option<u32>,
    /// For `closed`: mean think time between a user's answer and their next request
    /// (exponential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub think_time_ms: Option<f64>,
}

/// Arrival pattern of a load generator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Exponential inter-arrival times at `rate_per_s`.
    #[default]
    Poisson,
    /// Evenly spaced at `rate_per_s`.
    Constant,
    /// Poisson, the rate rising linearly from `rate_per_s` to `to_rate_per_s`.
    Ramp,
    /// Poisson at the rate of the latest of `steps`.
    Step,
    /// Closed loop: `users` with `think_time_ms`.
    Closed,
}

/// A rate from a time on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// From this time on.
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_S))]
    pub at_s: f64,
    /// Requests per second.
    #[schemars(range(min = 0, max = crate::limits::MAX_RATE_PER_S))]
    pub rate_per_s: f64,
}

/// A fault: at `at_s`, for `for_s` (or to the end), exactly one of the actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When it starts.
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_S))]
    pub at_s: f64,
    /// How long it lasts (default: to the end of the experiment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
    pub for_s: Option<f64>,
    /// Crash a service's replicas; they recover when the fault ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<String>,
    /// With `crash`: how many replicas (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_REPLICAS))]
    pub replicas: Option<u32>,
    /// With `crash`: only the replicas placed in this zone (a zone outage of the service);
    /// `replicas` then counts among them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Add latency on a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyInjection>,
    /// Make a service or an endpoint fail at a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<ErrorInjection>,
    /// Cut the network between two services or zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Slow down a service's work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown: Option<Slowdown>,
    /// Roll out a new version of a service, per its deployment strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<String>,
    /// With `deploy`: how the new version behaves differently from the old one (default: the
    /// same), so that a canary's or a rollout's effect shows in proportion to its traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<NewVersion>,
}

/// How a deployed version differs from the one it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Fraction of the requests it fails at once, in [0, 1] (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = 1))]
    pub error_rate: f64,
    /// Its work time over the old version's (> 0; default 1, 2 means twice as slow).
    #[serde(default = "NewVersion::default_slowdown")]
    #[schemars(range(max = crate::limits::MAX_FACTOR), extend("exclusiveMinimum" = 0))]
    pub slowdown: f64,
}

impl NewVersion {
    fn default_slowdown() -> f64 {
        1.0
    }
}

/// A fault's action, the one that is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultAction<'a> {
    /// Crash `replicas` replicas (all when `None`) of a service (in the fault's `zone`, when
    /// it gives one).
    Crash {
        /// The service.
        service: &'a str,
        /// How many replicas.
        replicas: Option<u32>,
    },
    /// Added latency.
    Latency(&'a LatencyInjection),
    /// Injected errors.
    Errors(&'a ErrorInjection),
    /// A partition.
    Partition(&'a Partition),
    /// A slowdown.
    Slowdown(&'a Slowdown),
    /// A deploy of a service, per its strategy.
    Deploy(&'a str),
}

impl Fault {
    /// The names of the actions that are set, for "exactly one" validation.
    pub fn actions_set(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.crash.is_some() {
            set.push("crash");
        }
        if self.latency.is_some() {
            set.push("latency");
        }
        if self.errors.is_some() {
            set.push("errors");
        }
        if self.partition.is_some() {
            set.push("partition");
        }
        if self.slowdown.is_some() {
            set.push("slowdown");
        }
        if self.deploy.is_some() {
            set.push("deploy");
        }
        set
    }

    /// The fault's action; `None` only for a fault that validation rejects.
    pub fn action(&self) -> Option<FaultAction<'_>> {
        if let Some(service) = &self.crash {
            return Some(FaultAction::Crash {
                service,
                replicas: self.replicas,
            });
        }
        if let Some(l) = &self.latency {
            return Some(FaultAction::Latency(l));
        }
        if let Some(e) = &self.errors {
            return Some(FaultAction::Errors(e));
        }
        if let Some(p) = &self.partition {
            return Some(FaultAction::Partition(p));
        }
        if let Some(s) = &self.slowdown {
            return Some(FaultAction::Slowdown(s));
        }
        self.deploy.as_deref().map(FaultAction::Deploy)
    }

    /// When it ends, given the experiment's duration.
    pub fn end_s(&self, duration_s: f64) -> f64 {
        self.for_s.map_or(duration_s, |d| self.at_s + d)
    }
}

/// Latency added on the link `"caller -> callee"` (globs allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyInjection {
    /// The link, `"caller -> callee"`.
    pub link: String,
    /// Milliseconds added to each message on it.
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub add_ms: f64,
}

/// Errors injected at a service (all its endpoints) or one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorInjection {
    /// `"service"` or `"service.endpoint"`.
    pub target: String,
    /// Fraction of requests that fail, in [0, 1].
    #[schemars(range(min = 0, max = 1))]
    pub rate: f64,
}

/// A network partition between two sides, each a service or `"zone:NAME"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// One side.
    pub from: String,
    /// The other side.
    pub to: String,
    /// Cut only messages from `from` to `to` (default: both directions).
    #[serde(default)]
    pub one_way: bool,
}

/// A service's work slowed by a factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slowdown {
    /// The service.
    pub service: String,
    /// Work time is multiplied by this (> 0; 3 means three times slower).
    #[schemars(range(max = crate::limits::MAX_FACTOR), extend("exclusiveMinimum" = 0))]
    pub factor: f64,
}

/// What must hold for an experiment to pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// SLOs (by name) that must hold over the run. Without this key every SLO whose endpoint
    /// the experiment's load reaches must hold (as `check` gates them); a list narrows the
    /// gate to the SLOs named, and `[]` gates none. An SLO left out is still reported, marked
    /// as not gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub slos: Option<Vec<String>>,
    /// Upper bound on retry amplification at any service: the attempts reaching it per attempt
    /// that would reach it if nobody retried. `verify` checks the worst case (every service
    /// down in turn) from the call graph and policies; `simulate` checks what the experiment
    /// measured (the peak over the requests entering in one metrics bucket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_AMPLIFICATION))]
    pub max_retry_amplification: Option<f64>,
    /// Alerts (by name, from `[alerts]`) that must fire within this many seconds of the
    /// experiment's first fault: the detection time the on-call rotation relies on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(transform = crate::limits::schema::detection_times)]
    pub alerts_within_s: BTreeMap<String, f64>,
}

impl Expectations {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One thing a run of an experiment is judged on, as the gate names it. `check`, `simulate` and
/// the explorer all take an experiment's verdicts from [`Scenario::judged`], so they gate the
/// same SLOs under the same check ids, and honour the same `[expected_verdicts]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judged<'a> {
    /// An SLO that must hold over the run.
    Slo {
        /// The SLO's name in `[slos]`.
        name: &'a str,
        /// Its index in `expect.slos`; `None` when it is gated because no list narrows the gate.
        listed: Option<usize>,
    },
    /// `expect.max_retry_amplification`.
    RetryAmplification(f64),
    /// `expect.alerts_within_s`: the alert and its detection time.
    Alert(&'a str, f64),
    /// Requests generated = completed + failed + in flight: judged on every run.
    Conservation,
}

impl Judged<'_> {
    /// The check id `check` reports it under and `[expected_verdicts]` names it by.
    pub fn check_id(&self, experiment: &str) -> String {
        match self {
            Judged::Slo { name, .. } => format!("{experiment}/slo.{name}"),
            Judged::RetryAmplification(_) => format!("{experiment}/expect.max-retry-amplification"),
            Judged::Alert(name, _) => format!("{experiment}/expect.alert.{name}"),
            Judged::Conservation => format!("{experiment}/simulate.conservation"),
        }
    }

    /// The rule id: a SARIF rule and what `--only` may name.
    pub fn rule(&self) -> &'static str {
        match self {
            Judged::Slo { .. } => "simulate.slo",
            Judged::RetryAmplification(_) => "simulate.max-retry-amplification",
            Judged::Alert(..) => "simulate.alert-detection",
            Judged::Conservation => "simulate.conservation",
        }
    }

    /// Its name among a simulation report's expectations (`slo:NAME`,
    /// `max_retry_amplification`, `alert:NAME`); conservation is reported apart, so none.
    pub fn report_name(&self) -> Option<String> {
        match self {
            Judged::Slo { name, .. } => Some(format!("slo:{name}")),
            Judged::RetryAmplification(_) => Some("max_retry_amplification".to_owned()),
            Judged::Alert(name, _) => Some(format!("alert:{name}")),
            Judged::Conservation => None,
        }
    }
}

impl Scenario {
    /// The endpoints an experiment's load reaches: its entry endpoints, what they call, and the
    /// handlers of the events they publish, transitively.
    pub fn reached_by(&self, e: &Experiment) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = e
            .load
            .iter()
            .flat_map(|l| l.endpoint.iter().chain(l.mix.keys()).cloned())
            .collect();
        while let Some(reference) = todo.pop() {
            let Some(endpoint) = self.endpoint(&reference) else {
                continue;
            };
            if !reached.insert(reference) {
                continue;
            }
            todo.extend(
                endpoint
                    .calls
                    .iter()
                    .flat_map(CallStep::calls)
                    .map(|c| c.endpoint.clone()),
            );
            for topic in &endpoint.publishes {
                for (service, svc) in &self.services {
                    if let Some(consumer) = svc.consumes.get(topic) {
                        todo.push(format!("{service}.{}", consumer.handler));
                    }
                }
            }
        }
        reached
    }

    /// Everything a run of `e` is judged on, in report order: the gated SLOs (those
    /// `expect.slos` lists, in its order; without the key, every SLO whose endpoint the load
    /// reaches, by name — an SLO on an endpoint the experiment never calls would be judged on
    /// no requests), the retry-amplification bound, the alerts, and conservation.
    pub fn judged<'a>(&'a self, e: &'a Experiment) -> Vec<Judged<'a>> {
        let mut out: Vec<Judged<'a>> = match &e.expect.slos {
            Some(listed) => listed
                .iter()
                .enumerate()
                .map(|(i, name)| Judged::Slo {
                    name,
                    listed: Some(i),
                })
                .collect(),
            None => {
                let reached = self.reached_by(e);
                self.slos
                    .iter()
                    .filter(|(_, slo)| reached.contains(&slo.endpoint))
                    .map(|(name, _)| Judged::Slo { name, listed: None })
                    .collect()
            }
        };
        out.extend(
            e.expect
                .max_retry_amplification
                .map(Judged::RetryAmplification),
        );
        out.extend(
            e.expect
                .alerts_within_s
                .iter()
                .map(|(name, within)| Judged::Alert(name, *within)),
        );
        out.push(Judged::Conservation);
        out
    }

    /// The verdict `[expected_verdicts]` declares for a check id, if any.
    pub fn expected_verdict(&self, check: &str) -> Option<ExpectedVerdict> {
        self.expected_verdicts.get(check).copied()
    }
}

impl ExpectedVerdict {
    /// Whether a check that `holds` (or not) meets this declared verdict.
    pub fn met_by(self, holds: bool) -> bool {
        holds == (self == ExpectedVerdict::Holds)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Judged;
    use crate::{Format, load_str};

    /// Two SLOs on the endpoint the load calls, one on an endpoint it never reaches.
    fn judged_with(expect: &str) -> Vec<String> {
        let text = format!(
            r#"name = "j"
[services.front.endpoints.get]
public = true
calls = ["back.work"]
[services.back.endpoints.work]
[services.admin.endpoints.report]
public = true
[slos.get]
endpoint = "front.get"
availability = 0.99
[slos.work]
endpoint = "back.work"
availability = 0.99
[slos.report]
endpoint = "admin.report"
availability = 0.99
[experiments.e]
duration_s = 10
load = [{{ endpoint = "front.get", rate_per_s = 10 }}]
{expect}
"#
        );
        let loaded = load_str(&text, Path::new("j.toml"), Format::Toml, Path::new("."))
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let s = &loaded.scenario;
        s.judged(&s.experiments["e"])
            .iter()
            .map(|j| match j {
                Judged::Slo { listed, .. } => format!("{} {listed:?}", j.check_id("e")),
                _ => j.check_id("e"),
            })
            .collect()
    }

    #[test]
    fn without_expect_slos_every_slo_the_load_reaches_is_gated() {
        assert_eq!(
            judged_with(""),
            [
                "e/slo.get None",
                "e/slo.work None",
                "e/simulate.conservation"
            ]
        );
    }

    #[test]
    fn expect_slos_narrows_the_gate_and_an_empty_list_gates_none() {
        assert_eq!(
            judged_with(r#"expect = { slos = ["work"], max_retry_amplification = 2.0 }"#),
            [
                "e/slo.work Some(0)",
                "e/expect.max-retry-amplification",
                "e/simulate.conservation"
            ]
        );
        assert_eq!(
            judged_with("expect = { slos = [] }"),
            ["e/simulate.conservation"]
        );
    }
}
