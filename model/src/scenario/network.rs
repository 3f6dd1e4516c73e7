//! N and D of the seven-tuple: the network between services (latency, loss, zones, the mesh's
//! security policy) and the data stores.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Distribution;

/// N: the network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency of a hop between services in the same zone (default: constant 0.5 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Distribution>,
    /// Extra one-way latency when a hop crosses zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_zone_latency: Option<Distribution>,
    /// Probability that a message is lost on a hop, in [0, 1].
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = 0, max = 1))]
    pub loss: f64,
    /// The availability zones (or regions) replicas are placed in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Per-link overrides keyed by `"caller -> callee"` (globs allowed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub links: BTreeMap<String, Link>,
    /// The service mesh's security policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityPolicy>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Network {
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Overrides for one link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// One-way latency on this link, replacing the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Distribution>,
    /// Probability that a message is lost on this link, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub loss: Option<f64>,
}

/// The mesh's authorisation and transport-security policy (Istio/Linkerd style).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Mutual TLS between services.
    #[serde(default)]
    pub mtls: MtlsMode,
    /// What happens to a call that no rule allows.
    #[serde(default)]
    pub default: PolicyDefault,
    /// Calls that are allowed, as `"caller -> callee"` patterns (globs allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Services whose traffic is exempt from mTLS (plain-text, e.g. a legacy service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plaintext: Vec<String>,
}

/// Mutual TLS mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MtlsMode {
    /// Only mTLS traffic is accepted.
    #[default]
    Strict,
    /// mTLS and plain text are both accepted.
    Permissive,
    /// No mTLS.
    Disabled,
}

/// The default decision for a call no rule mentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyDefault {
    /// Calls are allowed unless denied (no rule denies in this model: it is allow-all).
    #[default]
    Allow,
    /// Calls are denied unless an `allow` rule matches.
    Deny,
}

/// D: a data store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataStore {
    /// The kind of store, e.g. `postgres`, `redis`, `kafka`, `s3`.
    pub kind: String,
    /// The entities (tables, collections, key spaces) it holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<String>,
    /// The service that owns the store (database-per-service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}
