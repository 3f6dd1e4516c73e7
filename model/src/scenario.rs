//! The scenario file's types: one architecture as the seven-tuple
//! `MicroserviceSystem = (S, I, N, D, C, M, P)` plus what Microcosm should do with it
//! (distributed transactions to model-check, a monolith to decompose, failure experiments to
//! simulate).
//!
//! These are the serde types users write in TOML (or programs write in JSON). They are plain
//! data: every cross-reference is a name (`"payments"`, `"payments.charge"`,
//! `"checkout -> payments"`) that [`crate::load()`] resolves and checks, and every location is
//! recovered from the file through [`crate::source::SourceMap`] rather than stored in the
//! types, so the same types serve both formats and the JSON Schema stays clean.
//!
//! Every struct denies unknown fields: a misspelt key that were silently ignored would turn a
//! CI gate into a false pass.

mod deployment;
mod distribution;
mod experiment;
mod monitoring;
mod monolith;
mod network;
mod policy;
mod service;
mod transaction;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use deployment::{
    Cluster, Deployment, DeploymentStrategy, LoadBalancer, Locality, ZoneCapacity,
};
pub use distribution::Distribution;
pub use experiment::{
    Arrival, ErrorInjection, Expectations, Experiment, Fault, FaultAction, Judged,
    LatencyInjection, LoadGenerator, NewVersion, Partition, RateStep, Slowdown,
};
pub use monitoring::{Alert, AlertMetric, Monitoring, Slo};
pub use monolith::{DataAccess, Monolith, MonolithCall, MonolithFunction};
pub use network::{DataStore, Link, MtlsMode, Network, PolicyDefault, SecurityPolicy};
pub use policy::{
    Backoff, Bulkhead, CircuitBreakerConfig, Fallback, Jitter, OutlierDetection, Policy,
    PolicyImplementation, RateLimit, RetryBudget, RetryConfig, RetryOn, SlidingWindowType,
};
pub use service::{
    Access, Call, CallStep, ConsumerSpec, Delivery, Endpoint, FieldType, Resources, Service,
    ServiceState, Topic,
};
pub use transaction::{
    CoordinatorCrash, Outbox, Prepare, SagaFaults, SagaLog, SagaStep, SagaStyle, Transaction,
    TwoPhaseFaults,
};

/// Keys a scenario may not set yet, as `(key, a key of the same table, why)`: a setting with a
/// planned meaning that nothing reads today. Accepting one would let a file claim a behaviour
/// (say, 10 % of requests traced) that no engine provides, so it is refused with the reason,
/// in every command (a load warning would be shown only by `validate` and `analyze`).
pub(crate) const KEYS_NOT_READ_YET: &[(&str, &str, &str)] = &[(
    "trace_sampling",
    "metrics_interval_s",
    "nothing samples traces",
)];

/// Percent keys the format once took and replaced with fractions, as `(old, new)`: every
/// rate and share in a scenario is a fraction in [0, 1]. The loader answers an old key with its
/// replacement and the value to write, rather than calling it unknown, so a file written for
/// the old format is told how to move on.
pub(crate) const PERCENT_KEYS_NOW_FRACTIONS: &[(&str, &str)] =
    &[("max_ejection_percent", "max_ejection_fraction")];

/// One architecture: the seven-tuple `(S, I, N, D, C, M, P)` with its transactions, optional
/// monolith and failure experiments.
///
/// | tuple | keys |
/// | --- | --- |
/// | S services | `services` (each a six-tuple, see [`Service`]) |
/// | I interfaces | the services' endpoints (derived) and `topics` |
/// | N network | `network` (latency, loss, zones, mesh security policy) |
/// | D data | `data_stores` |
/// | C configuration | `policies` (resilience policy per `"caller -> callee"` edge) |
/// | M monitoring | `slos`, `alerts`, `monitoring` |
/// | P deployment | `deployment`, `cluster` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Path of the JSON Schema this file binds (JSON files); TOML files use a `#:schema` comment.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The architecture's name, used in reports.
    pub name: String,
    /// What this architecture is and where it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// S: the services, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// I: the event topics, keyed by name (the endpoints are the services' `endpoints`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, Topic>,
    /// N: latency, loss, zones and the mesh's security policy.
    #[serde(default, skip_serializing_if = "Network::is_default")]
    pub network: Network,
    /// D: the data stores, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_stores: BTreeMap<String, DataStore>,
    /// C: resilience policies keyed by call edge, `"caller -> callee"`; either side may be a
    /// glob (`*`, `pay*`). The most specific pattern that matches an edge applies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Policy>,
    /// M: service-level objectives, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub slos: BTreeMap<String, Slo>,
    /// M: alert rules, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alerts: BTreeMap<String, Alert>,
    /// M: metrics and tracing settings.
    #[serde(default, skip_serializing_if = "Monitoring::is_default")]
    pub monitoring: Monitoring,
    /// P: how each service is deployed, keyed by service name. A service without an entry runs
    /// one replica with the defaults of [`Deployment`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deployment: BTreeMap<String, Deployment>,
    /// P: the cluster's capacity per zone, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// Distributed transactions to model-check, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transactions: BTreeMap<String, Transaction>,
    /// The monolith these services were (or will be) carved from, for decomposition analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monolith: Option<Monolith>,
    /// Failure experiments to simulate, keyed by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub experiments: BTreeMap<String, Experiment>,
    /// Verdicts this file is known to produce, keyed by check id
    /// (`"cross-ledger/2pc.termination" = "violated"`): a gallery file that demonstrates a bug
    /// passes the gate while the bug is found, and fails it once the bug is no longer found.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expected_verdicts: BTreeMap<String, ExpectedVerdict>,
}

/// A verdict a scenario declares it expects of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedVerdict {
    /// The property holds (the rule passes).
    Holds,
    /// The property is violated (the rule fails): a known bug.
    Violated,
}

impl Scenario {
    /// The deployment of `service`, or the defaults when the scenario gives none.
    pub fn deployment_of(&self, service: &str) -> Deployment {
        self.deployment.get(service).cloned().unwrap_or_default()
    }

    /// Every endpoint as `(service, endpoint name, endpoint)`, in name order.
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &str, &Endpoint)> {
        self.services.iter().flat_map(|(s, svc)| {
            svc.endpoints
                .iter()
                .map(move |(e, ep)| (s.as_str(), e.as_str(), ep))
        })
    }

    /// Looks up `"service.endpoint"`.
    pub fn endpoint(&self, reference: &str) -> Option<&Endpoint> {
        let (s, e) = reference.split_once('.')?;
        self.services.get(s)?.endpoints.get(e)
    }

    /// Every synchronous call edge `(caller service, callee service)` declared by an endpoint,
    /// deduplicated and in order.
    pub fn call_edges(&self) -> std::collections::BTreeSet<(String, String)> {
        let mut edges = std::collections::BTreeSet::new();
        for (service, _, endpoint) in self.endpoints() {
            for call in endpoint.calls.iter().flat_map(CallStep::calls) {
                if let Some((callee, _)) = call.endpoint.split_once('.') {
                    edges.insert((service.to_owned(), callee.to_owned()));
                }
            }
        }
        edges
    }

    /// The policy that applies to the call edge `caller -> callee`: the most specific matching
    /// pattern (see [`crate::EdgePattern::specificity`]). Validation rejects ties.
    pub fn policy_for(&self, caller: &str, callee: &str) -> Option<(&str, &Policy)> {
        self.policies
            .iter()
            .filter_map(|(key, policy)| {
                let pattern = crate::EdgePattern::parse(key).ok()?;
                pattern
                    .matches(caller, callee)
                    .then(|| (pattern.specificity(), key.as_str(), policy))
            })
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
            .map(|(_, key, policy)| (key, policy))
    }
}
