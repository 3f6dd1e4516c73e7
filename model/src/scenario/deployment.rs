//! P of the seven-tuple: replicas, zones, rollout strategy and load balancing per service, and
//! the cluster's capacity.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How one service is deployed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Number of replicas (default 1).
    #[serde(default = "Deployment::default_replicas")]
    #[schemars(range(min = 1, max = crate::limits::MAX_REPLICAS))]
    pub replicas: u32,
    /// Zones the replicas are spread over, round-robin (default: unplaced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Requests one replica works on at once (its worker pool; default 16).
    #[serde(default = "Deployment::default_workers")]
    #[schemars(range(min = 1, max = crate::limits::MAX_WORKERS))]
    pub workers: u32,
    /// Requests one replica queues when all workers are busy; more are shed (default 256).
    #[serde(default = "Deployment::default_queue_capacity")]
    #[schemars(range(min = 0, max = crate::limits::MAX_QUEUE_CAPACITY))]
    pub queue_capacity: u32,
    /// How new versions roll out.
    #[serde(default)]
    pub strategy: DeploymentStrategy,
    /// How callers pick a replica.
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    /// Whether callers prefer the replicas in their own zone (default `any`: zone-blind, as a
    /// plain Kubernetes Service).
    #[serde(default, skip_serializing_if = "Locality::is_any")]
    pub locality: Locality,
}

impl Deployment {
    fn default_replicas() -> u32 {
        1
    }
    fn default_workers() -> u32 {
        16
    }
    fn default_queue_capacity() -> u32 {
        256
    }
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            replicas: Self::default_replicas(),
            zones: Vec::new(),
            workers: Self::default_workers(),
            queue_capacity: Self::default_queue_capacity(),
            strategy: DeploymentStrategy::default(),
            load_balancer: LoadBalancer::default(),
            locality: Locality::default(),
        }
    }
}

/// Rollout strategy, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeploymentStrategy {
    /// Replace replicas a few at a time.
    Rolling {
        /// Replicas that may be down at once during the rollout (default 1).
        #[serde(default = "one")]
        #[schemars(range(min = 1, max = crate::limits::MAX_REPLICAS))]
        max_unavailable: u32,
        /// Time one replica takes to restart (default 10 s).
        #[serde(default = "ten_seconds")]
        #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
        restart_s: f64,
    },
    /// Start a full new set, then switch all traffic at once.
    BlueGreen {
        /// Time the new set takes to start (default 10 s).
        #[serde(default = "ten_seconds")]
        #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
        restart_s: f64,
    },
    /// Shift traffic to the new version in steps.
    Canary {
        /// The fraction of traffic on the new version at each step, increasing, ending at 1
        /// (Argo Rollouts' `setWeight: 20` is `0.2`: every share in a scenario is a fraction).
        #[schemars(transform = crate::limits::schema::fractions)]
        weights: Vec<f64>,
        /// Time each step lasts (default 60 s).
        #[serde(default = "sixty_seconds")]
        #[schemars(range(max = crate::limits::MAX_DURATION_S), extend("exclusiveMinimum" = 0))]
        step_s: f64,
        /// The canary analysis (as Flagger's or Argo Rollouts'): at the end of each step, when
        /// the new version's replicas failed more than this fraction of the requests they
        /// served during the step, the rollout is rolled back: all traffic returns to the old
        /// version and the new replicas stop. Without it, every step is promoted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0, max = 1))]
        max_error_rate: Option<f64>,
    },
}

impl DeploymentStrategy {
    /// Its `kind` as written in the scenario: `rolling`, `blue_green` or `canary`.
    pub fn kind(&self) -> &'static str {
        match self {
            DeploymentStrategy::Rolling { .. } => "rolling",
            DeploymentStrategy::BlueGreen { .. } => "blue_green",
            DeploymentStrategy::Canary { .. } => "canary",
        }
    }
}

fn one() -> u32 {
    1
}
fn ten_seconds() -> f64 {
    10.0
}
fn sixty_seconds() -> f64 {
    60.0
}

impl Default for DeploymentStrategy {
    fn default() -> Self {
        DeploymentStrategy::Rolling {
            max_unavailable: 1,
            restart_s: 10.0,
        }
    }
}

/// How a caller picks one of the callee's replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancer {
    /// Each replica in turn.
    #[default]
    RoundRobin,
    /// A uniformly random replica.
    Random,
    /// The replica with the fewest calls in flight.
    LeastOutstanding,
    /// The less loaded of two random replicas.
    PowerOfTwo,
}

/// Which of the callee's replicas a caller considers, by zone, before the load balancer picks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Locality {
    /// Every replica, whatever its zone.
    #[default]
    Any,
    /// Envoy's zone-aware routing with priority failover: a caller placed in a zone sends to the
    /// healthy replicas in its own zone, and to the other zones' only while its zone has none
    /// healthy (crashed, ejected by outlier detection, unreachable from it, or being
    /// redeployed). Health is what a mesh's health checks see; callers without a zone (load
    /// generators, topic consumers) are not affected. Needs the replicas placed in `zones`.
    PreferSameZone,
    /// Envoy's zone-aware routing with spill-over: as `prefer_same_zone`, but a caller's zone
    /// keeps only the share of its calls that its healthy replicas can carry — its share of the
    /// callee's healthy replicas over its share of the caller's replicas — and spreads the rest
    /// over the other zones, so a zone with fewer callee replicas than callers is not
    /// overloaded.
    Proportional,
}

impl Locality {
    fn is_any(&self) -> bool {
        *self == Locality::Any
    }
}

/// The cluster's capacity, per zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Capacity keyed by zone name.
    pub zones: BTreeMap<String, ZoneCapacity>,
}

/// Nodes in one zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneCapacity {
    /// Number of nodes.
    #[schemars(range(min = 1, max = crate::limits::MAX_NODES))]
    pub nodes: u32,
    /// Allocatable CPU per node, thousandths of a core.
    #[schemars(range(min = 1, max = crate::limits::MAX_CPU_MILLIS))]
    pub node_cpu_millis: u32,
    /// Allocatable memory per node, MiB.
    #[schemars(range(min = 1, max = crate::limits::MAX_MEMORY_MIB))]
    pub node_memory_mib: u32,
}
