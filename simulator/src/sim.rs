//! The simulated system: replicas with worker pools and bounded queues, requests that work and
//! then make their downstream calls step by step, the caller-side resilience pipeline on every
//! call edge, the network between replicas, topics with consumer groups, load generators, and
//! faults as verbs — driven one event at a time.
//!
//! The model follows the thread-per-request servers the issue's scenarios describe (and MiSim's
//! service model): a request holds one of its replica's workers from the moment it starts work
//! until it answers, downstream calls included, so a slow dependency exhausts its callers'
//! workers and queues exactly as in production. Each call goes through the caller's policy for
//! that edge in Resilience4j's decoration order — Retry(CircuitBreaker(RateLimiter(TimeLimiter(
//! Bulkhead(call))))) — with the breaker, retry schedule and retry budget being `model`'s pure
//! state machines, driven in nanoseconds; a fallback turns the final failure into a degraded
//! success. Policy state is kept per caller replica, as in-process libraries and sidecars keep
//! it. Load balancers do not know a replica has crashed (it answers connection refused at
//! once); outlier ejection is what takes it out of rotation, and a retry avoids the replica that
//! just failed (Envoy's `previous_hosts` predicate) when another is available. A replica being
//! redeployed is drained from rotation gracefully.
//!
//! A service with same-zone locality is routed as Envoy's zone-aware routing with priority
//! failover: a caller placed in a zone picks among the healthy replicas of its own zone, and
//! among the other zones' only while its own has none healthy. Health there is what a mesh's
//! health checks and outlier detection know — a replica is unhealthy when it is down, draining,
//! ejected by that caller, or cut off from it by a partition — since deciding to leave a zone
//! needs exactly that knowledge. Rollouts follow their strategy: rolling restarts batches in
//! place; blue-green starts a second full set, switches all traffic to it once it has started,
//! and retires the first; a canary starts new-version replicas and sends each step's share of
//! the traffic to them (a weighted choice per call, as Istio's weighted routes), then promotes
//! them. A deploy may say how its new version differs (error rate, slowdown), so its effect
//! scales with the traffic it gets.

use std::collections::VecDeque;

use microcosm_model::resilience::{Breaker, Failure, Permission, RetryBudget, Transition};
use microcosm_model::{
    Arrival, Delivery, DeploymentStrategy, EdgePattern, Experiment, FaultAction, LoadBalancer,
    Locality, Scenario,
};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::engine::{EventQueue, Ref, Slab, Time};
use crate::limits::{CHECK_EVERY, Interrupt, MAX_DURATION_S, Stop, bucket_width};
use crate::metrics::{
    Cause, EdgeMetrics, EdgePoint, EndpointMetrics, EndpointPoint, Outcome, ServiceMetrics,
    ServicePoint, SloWindow, Tally, bucket_histogram, precise_histogram,
};
use crate::sampler::{NS_PER_MS, ms_to_ns};
use crate::topology::{NO_ZONE, ReplicaRt, Topology};
use crate::{Error, ErrorKind};

/// No replica.
const NONE: u32 = u32::MAX;
/// How long a request that the network drops takes to fail when its edge has no timeout: a
/// TCP connect timeout, typical of gRPC and HTTP clients' defaults for unreachable peers.
const CONNECT_TIMEOUT: Time = 1_000_000_000;
/// How long a failed topic delivery waits before it is redelivered.
const REDELIVERY_DELAY: Time = 1_000_000_000;
/// Breaker transitions kept for the report, at most.
const MAX_TRANSITIONS: usize = 100_000;

/// An event. Small and `Copy`; references to requests carry their slot generation so events
/// about requests since finished are dropped.
#[derive(Debug, Clone, Copy)]
enum Ev {
    /// An open-loop generator's next request.
    Arrival(u32),
    /// A closed-loop user (generator, user) sends a request.
    UserSend(u32, u32),
    /// A request reaches its replica.
    JobArrive(Ref),
    /// A request's own work is done; its calls begin.
    WorkDone(Ref),
    /// The answer to attempt `.1` of call `.0` reaches the caller.
    Response(Ref, u32, Outcome),
    AttemptTimeout(Ref, u32),
    /// The attempt was dropped by the network and the edge has no timeout.
    ConnectFail(Ref, u32, Cause),
    /// The attempt was refused before being sent.
    AttemptRejected(Ref, u32, Cause, bool),
    RetryWake(Ref, u32),
    RateWake(Ref, u32),
    BulkheadTimeout(Ref, u32),
    Deadline(Ref),
    FallbackDone(Ref),
    /// A breaker's timed transition (edge state index).
    BreakerTimer(u32),
    FaultStart(u32),
    FaultEnd(u32),
    /// The next step (`.1`) of a rollout of a service (`.0`): a rolling deploy's batch, a
    /// blue-green switch, a canary's weight.
    DeployStep(u32, u32),
    /// A failed topic delivery is due again.
    Redeliver(Ref),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    InTransit,
    Queued,
    Working,
    Calling,
}

#[derive(Debug, Clone, Copy)]
enum Parent {
    /// An entry request from generator `.0`, user `.1` (closed loop) or `NONE`.
    Root(u32, u32),
    /// Attempt `.1` of call `.0`.
    Call(Ref, u32),
    /// A topic delivery.
    Topic(Ref),
}

/// A request being handled by (or travelling to) a replica.
#[derive(Debug, Clone, Copy)]
struct Job {
    endpoint: u32,
    replica: u32,
    parent: Parent,
    arrived: Time,
    step: u16,
    pending: u16,
    state: JobState,
    degraded: bool,
    /// Every ancestor was a first attempt: what the load would be without retries.
    original: bool,
    /// When the request (or topic delivery) this job serves entered the system: retry
    /// amplification per bucket is attributed to it, so retries landing later count against
    /// the requests that caused them.
    root_started: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Rejecting,
    RateWait,
    BulkheadWait,
    InFlight,
    RetryWait,
    FallbackWait,
}

/// A logical call on an edge, across its attempts.
#[derive(Debug, Clone, Copy)]
struct Call {
    job: Ref,
    edge: u32,
    /// The edge state (edge, caller replica) this call uses.
    es: u32,
    callee: u32,
    caller_replica: u32,
    attempt: u32,
    sent: u32,
    state: CallState,
    started: Time,
    attempt_started: Time,
    target: u32,
    prev_target: u32,
    deadline: Time,
    prev_wait: u64,
    lost: Option<Cause>,
    permitted: bool,
    holds_bulkhead: bool,
    original: bool,
    root_started: Time,
}

#[derive(Debug, Clone, Copy, Default)]
struct OutlierHost {
    consecutive: u32,
    ejected_until: Time,
    ejections: u32,
}

/// The policy state one caller replica keeps for one edge.
#[derive(Debug, Clone)]
struct EdgeState {
    breaker: Option<Breaker>,
    breaker_timer: Time,
    bulkhead_in_use: u32,
    waiters: VecDeque<(Ref, u32)>,
    rate_cycle: u64,
    rate_used: u32,
    budget: RetryBudget,
    outlier: Vec<OutlierHost>,
    rr: u32,
}

/// How a deployed version behaves, relative to the scenario's description of the service.
#[derive(Debug, Clone, Copy, PartialEq)]
struct VersionRt {
    /// Share of requests it fails at once.
    error_rate: f64,
    /// Factor on its work time.
    slowdown: f64,
}

impl Default for VersionRt {
    fn default() -> Self {
        VersionRt {
            error_rate: 0.0,
            slowdown: 1.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ReplicaState {
    busy: u32,
    in_system: u32,
    queue: VecDeque<u32>,
    down: bool,
    /// Out of rotation: being redeployed, starting, or not running.
    restarting: bool,
    /// Not running at all (and so out of rotation): a slot of the idle set of a blue-green or
    /// canary service.
    standby: bool,
    version: VersionRt,
}

/// A service's rollout state.
#[derive(Debug, Clone, Copy, Default)]
struct Rollout {
    /// The set (0 or 1) that serves, for a service with two sets.
    active: u32,
    /// Share of the traffic sent to the other set: a canary's weight, in [0, 1].
    canary: f64,
    /// The version being rolled out.
    version: VersionRt,
    /// Requests the canary set finished during the current step, and how many failed: what
    /// the canary analysis judges at the step's end.
    step_served: (u64, u64),
}

/// How a rollout ended (or had got to when the run ended).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RolloutEvent {
    /// The service rolled out.
    pub service: String,
    /// `rolling`, `blue_green` or `canary`.
    pub strategy: String,
    /// When the deploy started, in seconds.
    pub started_s: f64,
    /// `promoted`, `rolled_back`, or `in_progress` when the run ended first.
    pub outcome: String,
    /// When it was promoted or rolled back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_s: Option<f64>,
    /// For a rollback: the canary step (0-based) whose analysis failed, and the new version's
    /// error rate over that step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
}

/// Replicas running in one zone and the resources they request, now and at their peak.
#[derive(Debug, Clone, Default)]
pub(crate) struct ZoneUse {
    pub replicas: u32,
    pub cpu_millis: u64,
    pub memory_mib: u64,
    /// At the start of the run.
    pub baseline: (u32, u64, u64),
    pub peak_replicas: u32,
    pub peak_cpu_millis: u64,
    pub peak_memory_mib: u64,
    /// When the replica count first reached its peak.
    pub peak_at: Time,
}

#[derive(Debug, Clone)]
enum GenKind {
    /// Rate per nanosecond.
    Poisson(f64),
    /// Period in ns and arrivals so far.
    Constant(f64, u64),
    /// Start and end rates per ns, over the horizon.
    Ramp(f64, f64),
    /// (from, rate per ns), sorted.
    Step(Vec<(Time, f64)>),
    /// Users and mean think time in ns.
    Closed(u32, f64),
}

#[derive(Debug, Clone)]
struct Generator {
    kind: GenKind,
    targets: Vec<u32>,
    cumulative: Vec<f64>,
    rng: Xoshiro256PlusPlus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Service(u32),
    Zone(u16),
    Nothing,
}

#[derive(Debug, Clone, Copy)]
struct ActivePartition {
    from: Side,
    to: Side,
    one_way: bool,
}

#[derive(Debug, Clone, Copy)]
struct DeliveryRt {
    sub: u32,
    published: Time,
}

/// A subscription's broker-side state and measurements.
#[derive(Debug, Clone)]
pub(crate) struct SubState {
    backlog: VecDeque<Ref>,
    in_flight: u32,
    limit: u32,
    rr: u32,
    pub published: u64,
    pub acked: u64,
    pub lost: u64,
    pub redelivered: u64,
    pub max_lag: u64,
    pub latency: Tally,
    pub series: Vec<u64>,
}

impl SubState {
    pub fn lag(&self) -> u64 {
        self.backlog.len() as u64 + u64::from(self.in_flight)
    }
}

/// A breaker's change of state on one caller replica.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BreakerChange {
    pub edge: u32,
    pub replica: u32,
    pub transition: Transition,
}

/// A fault's window, for reports and plots.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultWindow {
    /// `crash`, `latency`, `errors`, `partition`, `slowdown` or `deploy`.
    pub kind: String,
    /// What it hits.
    pub target: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// Conservation counts of entry requests, over the whole run (warm-up included).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RootCounts {
    pub generated: u64,
    pub succeeded: u64,
    pub degraded: u64,
    pub failed: u64,
}

/// Builds a [`Sim`]: the seed is mandatory, everything else comes from the scenario and,
/// optionally, one of its experiments.
#[derive(Debug, Clone)]
pub struct SimBuilder<'a> {
    scenario: &'a Scenario,
    seed: u64,
    experiment: Option<String>,
    duration_s: Option<f64>,
    warmup_s: Option<f64>,
    bucket_s: Option<f64>,
    interrupt: Interrupt,
}

impl<'a> SimBuilder<'a> {
    /// Runs `experiment` (its load, faults and warm-up).
    pub fn experiment(mut self, name: &str) -> Self {
        self.experiment = Some(name.to_owned());
        self
    }

    /// Overrides the simulated duration.
    pub fn duration_s(mut self, seconds: f64) -> Self {
        self.duration_s = Some(seconds);
        self
    }

    /// Overrides the warm-up excluded from the statistics.
    pub fn warmup_s(mut self, seconds: f64) -> Self {
        self.warmup_s = Some(seconds);
        self
    }

    /// Keeps the time series at this bucket width, instead of the scenario's
    /// `metrics_interval_s` widened to at most [`crate::limits::MAX_POINTS`] buckets. The width
    /// must leave at most [`crate::limits::MAX_EXPLICIT_POINTS`] buckets, so that the series'
    /// memory stays bounded.
    pub fn bucket_s(mut self, seconds: f64) -> Self {
        self.bucket_s = Some(seconds);
        self
    }

    /// Stops the run, between two events, once `interrupt` is due: see [`Sim::interrupted`].
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Builds the simulation, scheduling the experiment's load and faults.
    pub fn build(self) -> Result<Sim, Error> {
        let experiment = match &self.experiment {
            Some(name) => Some(self.scenario.experiments.get(name).ok_or_else(|| {
                Error::new(ErrorKind::UnknownExperiment {
                    name: name.clone(),
                    known: self.scenario.experiments.keys().cloned().collect(),
                })
            })?),
            None => None,
        };
        let duration_s = self
            .duration_s
            .or(experiment.map(|e| e.duration_s))
            .unwrap_or(60.0);
        if !(duration_s.is_finite() && duration_s > 0.0) {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration must be a positive number of seconds, not {duration_s}"
            ))));
        }
        // Refused, not clamped: a duration whose nanoseconds overflowed used to become a run of
        // 0 s that passed.
        if duration_s > MAX_DURATION_S {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration {duration_s:e} s is longer than the simulator can run: at most \
                 {MAX_DURATION_S} s (about 31 years; its clock counts nanoseconds in 64 bits)"
            ))));
        }
        let warmup_s = self
            .warmup_s
            .or(experiment.map(|e| e.warmup_s))
            .unwrap_or(0.0)
            .clamp(0.0, duration_s);
        let mut sim = Sim::new(
            self.scenario,
            self.experiment.as_deref(),
            experiment,
            self.seed,
            duration_s,
            warmup_s,
            self.bucket_s,
        )?;
        sim.interrupt = self.interrupt;
        Ok(sim)
    }
}

/// A running simulation.
pub struct Sim {
    pub(crate) topo: Topology,
    pub(crate) scenario_name: String,
    pub(crate) experiment_name: String,
    pub(crate) seed: u64,
    now: Time,
    pub(crate) horizon: Time,
    pub(crate) warmup: Time,
    pub(crate) interval: Time,
    queue: EventQueue<Ev>,
    jobs: Slab<Job>,
    calls: Slab<Call>,
    deliveries: Slab<DeliveryRt>,
    replicas: Vec<ReplicaState>,
    rollouts: Vec<Rollout>,
    /// Every rollout started, in order, with how it ended.
    pub(crate) rollout_events: Vec<RolloutEvent>,
    /// Replicas running per service (standby slots excluded), and their peak.
    running: Vec<u32>,
    pub(crate) peak_running: Vec<u32>,
    /// Per zone, then one entry for unplaced replicas.
    pub(crate) zone_use: Vec<ZoneUse>,
    edge_states: Vec<EdgeState>,
    edge_state_base: Vec<u32>,
    client_rr: Vec<u32>,
    generators: Vec<Generator>,
    experiment: Option<Experiment>,
    pub(crate) fault_windows: Vec<FaultWindow>,
    rng_work: Xoshiro256PlusPlus,
    rng_net: Xoshiro256PlusPlus,
    rng_choice: Xoshiro256PlusPlus,
    rng_jitter: Xoshiro256PlusPlus,
    slowdown: Vec<f64>,
    error_rate: Vec<f64>,
    extra_latency: Vec<u64>,
    partitions: Vec<ActivePartition>,
    scratch: Vec<u32>,
    pub(crate) subs: Vec<SubState>,
    pub(crate) endpoints: Vec<EndpointMetrics>,
    pub(crate) edges: Vec<EdgeMetrics>,
    pub(crate) attempt_errors: Vec<[u64; crate::metrics::CAUSES]>,
    pub(crate) services: Vec<ServiceMetrics>,
    pub(crate) slo_windows: Vec<(String, SloWindow)>,
    pub(crate) breaker_series: Vec<Vec<(u32, u32)>>,
    pub(crate) breaker_log: Vec<BreakerChange>,
    pub(crate) ejections: Vec<u64>,
    pub(crate) bucket: usize,
    next_boundary: Time,
    pub(crate) roots: RootCounts,
    pub(crate) events: u64,
    finished: bool,
    /// Looked at every [`CHECK_EVERY`] events.
    interrupt: Interrupt,
    /// Why and when (simulated ns) the interrupt stopped the run.
    pub(crate) stopped: Option<(Stop, Time)>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("scenario", &self.scenario_name)
            .field("experiment", &self.experiment_name)
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// SplitMix64: derives independent seeds from one.
pub(crate) fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed
        .wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream(seed: u64, id: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, id))
}

/// Whether an active partition drops messages from replica `a` to replica `b`.
#[inline]
fn cut(partitions: &[ActivePartition], a: ReplicaRt, b: ReplicaRt) -> bool {
    if partitions.is_empty() {
        return false;
    }
    let matches = |side: Side, r: ReplicaRt| match side {
        Side::Service(s) => r.service == s,
        Side::Zone(z) => r.zone == z && z != NO_ZONE,
        Side::Nothing => false,
    };
    partitions.iter().any(|p| {
        (matches(p.from, a) && matches(p.to, b))
            || (!p.one_way && matches(p.to, a) && matches(p.from, b))
    })
}

/// Whether replicas `a` and `b` can talk both ways, as a health check needs.
#[inline]
fn reachable(partitions: &[ActivePartition], a: ReplicaRt, b: ReplicaRt) -> bool {
    !cut(partitions, a, b) && !cut(partitions, b, a)
}

fn secs(t: Time) -> f64 {
    t as f64 / 1e9
}

impl Sim {
    /// Starts building a simulation of `scenario` with every random choice drawn from `seed`.
    pub fn builder(scenario: &Scenario, seed: u64) -> SimBuilder<'_> {
        SimBuilder {
            scenario,
            seed,
            experiment: None,
            duration_s: None,
            warmup_s: None,
            bucket_s: None,
            interrupt: Interrupt::default(),
        }
    }

    fn new(
        scenario: &Scenario,
        experiment_name: Option<&str>,
        experiment: Option<&Experiment>,
        seed: u64,
        duration_s: f64,
        warmup_s: f64,
        bucket_s: Option<f64>,
    ) -> Result<Sim, Error> {
        let topo = Topology::new(scenario)?;
        let horizon = ms_to_ns(duration_s * 1000.0);
        if horizon == 0 {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "the duration {duration_s} s is shorter than the simulator's clock tick (1 ns)"
            ))));
        }
        let interval = bucket_width(horizon, scenario.monitoring.metrics_interval_s, bucket_s)?;
        let mut edge_state_base = Vec::with_capacity(topo.edges.len());
        let mut edge_states = Vec::new();
        for edge in &topo.edges {
            edge_state_base.push(edge_states.len() as u32);
            let callers = topo.services[edge.caller as usize].slots;
            let callee_replicas = topo.services[edge.callee as usize].slots as usize;
            for _ in 0..callers {
                edge_states.push(EdgeState {
                    breaker: edge.breaker.as_ref().map(Breaker::new),
                    breaker_timer: Time::MAX,
                    bulkhead_in_use: 0,
                    waiters: VecDeque::new(),
                    rate_cycle: 0,
                    rate_used: 0,
                    budget: RetryBudget::new(),
                    outlier: if edge.outlier.is_some() {
                        vec![OutlierHost::default(); callee_replicas]
                    } else {
                        Vec::new()
                    },
                    rr: 0,
                });
            }
        }
        let endpoints = topo
            .endpoints
            .iter()
            .map(|_| EndpointMetrics {
                run: Tally::new(precise_histogram()),
                bucket: Tally::new(bucket_histogram()),
                series: Vec::new(),
            })
            .collect();
        let edges = topo
            .edges
            .iter()
            .map(|_| EdgeMetrics {
                run: Tally::new(bucket_histogram()),
                attempts: 0,
                rejected_attempts: 0,
                cross_zone_attempts: 0,
                zone_failovers: 0,
                retries: 0,
                budget_exhausted: 0,
                series: Vec::new(),
            })
            .collect();
        let slo_windows = scenario
            .slos
            .iter()
            .filter_map(|(name, slo)| {
                let ep = topo.endpoint(&slo.endpoint)?;
                // No longer than the run: a window that is longer sees all of it anyway, and
                // each bucket of the ring holds a histogram.
                let len = ((slo.window_s * 1e9) / interval as f64)
                    .ceil()
                    .clamp(1.0, horizon.div_ceil(interval) as f64)
                    as usize;
                let targets = slo
                    .latency_targets()
                    .into_iter()
                    .map(|(p, ms)| (p / 100.0, ms))
                    .collect();
                Some((name.clone(), SloWindow::new(ep, len, targets)))
            })
            .collect();
        let subs = topo
            .subscriptions
            .iter()
            .map(|s| {
                let limit = s
                    .handlers
                    .iter()
                    .map(|&h| {
                        let svc = &topo.services[topo.endpoints[h as usize].service as usize];
                        svc.workers.saturating_mul(svc.replicas)
                    })
                    .fold(0u32, u32::saturating_add)
                    .max(1);
                SubState {
                    backlog: VecDeque::new(),
                    in_flight: 0,
                    limit,
                    rr: 0,
                    published: 0,
                    acked: 0,
                    lost: 0,
                    redelivered: 0,
                    max_lag: 0,
                    latency: Tally::new(bucket_histogram()),
                    series: Vec::new(),
                }
            })
            .collect();
        let mut sim = Sim {
            scenario_name: scenario.name.clone(),
            experiment_name: experiment_name.unwrap_or("").to_owned(),
            seed,
            now: 0,
            horizon,
            warmup: ms_to_ns(warmup_s * 1000.0),
            interval,
            queue: EventQueue::default(),
            jobs: Slab::default(),
            calls: Slab::default(),
            deliveries: Slab::default(),
            replicas: vec![ReplicaState::default(); topo.replicas.len()],
            rollouts: vec![Rollout::default(); topo.services.len()],
            rollout_events: Vec::new(),
            running: vec![0; topo.services.len()],
            peak_running: vec![0; topo.services.len()],
            zone_use: vec![ZoneUse::default(); topo.zones.len() + 1],
            edge_states,
            edge_state_base,
            client_rr: vec![0; topo.services.len()],
            generators: Vec::new(),
            experiment: experiment.cloned(),
            fault_windows: Vec::new(),
            rng_work: stream(seed, 1),
            rng_net: stream(seed, 2),
            rng_choice: stream(seed, 3),
            rng_jitter: stream(seed, 4),
            slowdown: vec![1.0; topo.services.len()],
            error_rate: vec![0.0; topo.endpoints.len()],
            extra_latency: vec![0; topo.edges.len()],
            partitions: Vec::new(),
            scratch: Vec::new(),
            subs,
            endpoints,
            edges,
            attempt_errors: vec![[0; crate::metrics::CAUSES]; topo.edges.len()],
            services: vec![ServiceMetrics::default(); topo.services.len()],
            slo_windows,
            breaker_series: vec![Vec::new(); topo.edges.len()],
            breaker_log: Vec::new(),
            ejections: vec![0; topo.edges.len()],
            bucket: 0,
            next_boundary: interval,
            roots: RootCounts::default(),
            events: 0,
            finished: false,
            interrupt: Interrupt::default(),
            stopped: None,
            topo,
        };
        // The second set of a blue-green or canary service idles until a rollout starts it.
        for svc in &sim.topo.services {
            for r in svc.first_replica + svc.replicas..svc.first_replica + svc.slots {
                let st = &mut sim.replicas[r as usize];
                st.standby = true;
                st.restarting = true;
            }
        }
        sim.account();
        for u in &mut sim.zone_use {
            u.baseline = (u.replicas, u.cpu_millis, u.memory_mib);
        }
        if let Some(e) = experiment {
            sim.schedule_experiment(e)?;
        }
        Ok(sim)
    }

    fn schedule_experiment(&mut self, e: &Experiment) -> Result<(), Error> {
        for (g, load) in e.load.iter().enumerate() {
            let mut targets = Vec::new();
            let mut weights = Vec::new();
            if let Some(ep) = &load.endpoint {
                targets.push(self.endpoint_id(ep)?);
                weights.push(1.0);
            }
            for (ep, w) in &load.mix {
                if *w > 0.0 {
                    targets.push(self.endpoint_id(ep)?);
                    weights.push(*w);
                }
            }
            let total: f64 = weights.iter().sum();
            if targets.is_empty() || total <= 0.0 {
                continue;
            }
            let mut acc = 0.0;
            let cumulative = weights
                .iter()
                .map(|w| {
                    acc += w / total;
                    acc
                })
                .collect();
            let per_ns = |r: f64| r.max(0.0) / 1e9;
            let rate = load.rate_per_s.unwrap_or(0.0);
            let kind = match load.arrival {
                Arrival::Poisson => GenKind::Poisson(per_ns(rate)),
                Arrival::Constant => {
                    GenKind::Constant(if rate > 0.0 { 1e9 / rate } else { 0.0 }, 0)
                }
                Arrival::Ramp => {
                    GenKind::Ramp(per_ns(rate), per_ns(load.to_rate_per_s.unwrap_or(rate)))
                }
                Arrival::Step => {
                    let mut steps: Vec<(Time, f64)> = load
                        .steps
                        .iter()
                        .map(|s| (ms_to_ns(s.at_s * 1000.0), per_ns(s.rate_per_s)))
                        .collect();
                    steps.sort_by_key(|s| s.0);
                    if steps.first().is_none_or(|s| s.0 > 0) {
                        steps.insert(0, (0, per_ns(rate)));
                    }
                    GenKind::Step(steps)
                }
                Arrival::Closed => GenKind::Closed(
                    load.users.unwrap_or(1),
                    load.think_time_ms.unwrap_or(0.0).max(0.0) * NS_PER_MS,
                ),
            };
            self.generators.push(Generator {
                kind,
                targets,
                cumulative,
                rng: stream(self.seed, 100 + g as u64),
            });
            let gi = (self.generators.len() - 1) as u32;
            if let GenKind::Closed(users, think) = self.generators[gi as usize].kind {
                for u in 0..users {
                    let gen_ = &mut self.generators[gi as usize];
                    let start = if think > 0.0 {
                        let e: f64 = Exp1.sample(&mut gen_.rng);
                        (e * think) as Time
                    } else {
                        0
                    };
                    if start < self.horizon {
                        self.queue.push(start, Ev::UserSend(gi, u));
                    }
                }
            } else if let Some(t) = self.next_arrival(gi, 0) {
                self.queue.push(t, Ev::Arrival(gi));
            }
        }
        let duration = secs(self.horizon);
        for (i, f) in e.faults.iter().enumerate() {
            let Some(action) = f.action() else { continue };
            let start = ms_to_ns(f.at_s * 1000.0);
            let end_s = f.end_s(duration).min(duration);
            let (kind, target) = match action {
                FaultAction::Crash { service, replicas } => (
                    "crash",
                    match (replicas, f.zone.as_deref()) {
                        (Some(n), None) => {
                            format!("{service} ({n} replica{})", if n == 1 { "" } else { "s" })
                        }
                        (Some(n), Some(z)) => format!(
                            "{service} ({n} replica{} in {z})",
                            if n == 1 { "" } else { "s" }
                        ),
                        (None, Some(z)) => format!("{service} in {z}"),
                        (None, None) => service.to_owned(),
                    },
                ),
                FaultAction::Latency(l) => ("latency", format!("{} +{} ms", l.link, l.add_ms)),
                FaultAction::Errors(x) => ("errors", format!("{} {}%", x.target, x.rate * 100.0)),
                FaultAction::Partition(p) => (
                    "partition",
                    format!(
                        "{} {} {}",
                        p.from,
                        if p.one_way { "->" } else { "<->" },
                        p.to
                    ),
                ),
                FaultAction::Slowdown(s) => ("slowdown", format!("{} x{}", s.service, s.factor)),
                FaultAction::Deploy(s) => ("deploy", s.to_owned()),
            };
            let end_s = if let FaultAction::Deploy(s) = action {
                let id = self.service_id(s)?;
                let svc = &self.topo.services[id as usize];
                let span = match &svc.strategy {
                    DeploymentStrategy::Rolling {
                        max_unavailable,
                        restart_s,
                    } => {
                        let batches = svc.replicas.div_ceil((*max_unavailable).max(1));
                        f64::from(batches) * restart_s
                    }
                    DeploymentStrategy::BlueGreen { restart_s } => *restart_s,
                    DeploymentStrategy::Canary {
                        weights, step_s, ..
                    } => weights.len() as f64 * step_s,
                };
                (f.at_s + span).min(duration)
            } else {
                end_s
            };
            self.fault_windows.push(FaultWindow {
                kind: kind.to_owned(),
                target,
                start_s: f.at_s,
                end_s,
            });
            if start < self.horizon {
                self.queue.push(start, Ev::FaultStart(i as u32));
                let end = ms_to_ns(f.end_s(duration) * 1000.0);
                if !matches!(action, FaultAction::Deploy(_)) && end < self.horizon {
                    self.queue.push(end, Ev::FaultEnd(i as u32));
                }
            }
        }
        Ok(())
    }

    fn endpoint_id(&self, name: &str) -> Result<u32, Error> {
        self.topo
            .endpoint(name)
            .ok_or_else(|| Error::new(ErrorKind::Scenario(format!("no endpoint `{name}`"))))
    }

    fn service_id(&self, name: &str) -> Result<u32, Error> {
        self.topo
            .service(name)
            .ok_or_else(|| Error::new(ErrorKind::Scenario(format!("no service `{name}`"))))
    }

    // ─── the public driving API ─────────────────────────────────────────────────────────────

    /// The current simulated time, in nanoseconds.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The end of the run, in nanoseconds.
    pub fn horizon(&self) -> Time {
        self.horizon
    }

    /// Events scheduled and not yet processed.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Entry requests in flight now.
    pub fn in_flight(&self) -> u64 {
        self.jobs
            .values()
            .filter(|j| matches!(j.parent, Parent::Root(..)))
            .count() as u64
    }

    /// Processes the next event. Returns `false` once no event is left before the horizon.
    pub fn step(&mut self) -> bool {
        self.step_before(self.horizon)
    }

    /// Processes the next event if it comes before `limit` (and the horizon), unless the
    /// interrupt stopped the run: it is looked at every [`CHECK_EVERY`] events, since a
    /// simulated slice of any length can hold any number of events.
    fn step_before(&mut self, limit: Time) -> bool {
        if self.stopped.is_some() {
            return false;
        }
        if self.events.is_multiple_of(CHECK_EVERY)
            && let Some(why) = self.interrupt.due()
        {
            self.stopped = Some((why, self.now));
            return false;
        }
        match self.queue.peek_time() {
            Some(t) if t < limit.min(self.horizon) => {}
            _ => return false,
        }
        let (t, ev) = self.queue.pop().expect("peeked");
        while t >= self.next_boundary {
            self.close_bucket(self.next_boundary);
        }
        self.now = t;
        self.events += 1;
        self.dispatch(ev);
        true
    }

    /// Runs to the horizon and closes the books, or until the interrupt stops it
    /// ([`Sim::interrupted`]).
    pub fn run(&mut self) {
        while self.step() {}
        self.finish();
    }

    /// Sets what stops the run early (replacing the builder's).
    pub fn set_interrupt(&mut self, interrupt: Interrupt) {
        self.interrupt = interrupt;
    }

    /// Why and at what simulated time (ns) the interrupt stopped the run, if it did: its
    /// report is then of a run cut short, which decides nothing.
    pub fn interrupted(&self) -> Option<(Stop, Time)> {
        self.stopped
    }

    /// Runs until simulated time `t` (nanoseconds), without closing the books.
    pub fn run_until(&mut self, t: Time) {
        while self.step_before(t) {}
    }

    /// Closes the last time bucket at the horizon. [`Sim::run`] calls it; call it after
    /// stepping by hand, before taking the report.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        // A run cut short keeps the buckets it closed: closing the rest would present time it
        // never simulated as quiet.
        if self.stopped.is_some() {
            return;
        }
        while self.next_boundary <= self.horizon {
            self.close_bucket(self.next_boundary);
        }
        let start = self.next_boundary - self.interval;
        if self.horizon > start {
            self.close_bucket(self.horizon);
        }
        self.now = self.horizon;
        let first = self.warmup.div_ceil(self.interval) as usize;
        for (_, w) in &mut self.slo_windows {
            w.finish(first);
        }
    }

    /// Crashes `replicas` replicas of `service` (all when `None`), first replicas first: their
    /// requests fail, and requests sent to them are refused until they recover.
    pub fn crash(&mut self, service: &str, replicas: Option<u32>) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.crash_in(s, replicas, None);
        Ok(())
    }

    /// Restarts every crashed replica of `service`.
    pub fn recover(&mut self, service: &str) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.recover_in(s, None);
        Ok(())
    }

    /// Crashes the first `replicas` (all when `None`) of the serving replicas of service `s`
    /// placed in `zone` (any zone when `None`).
    fn crash_in(&mut self, s: u32, replicas: Option<u32>, zone: Option<u16>) {
        let svc = &self.topo.services[s as usize];
        let first = svc.first_replica + self.rollouts[s as usize].active * svc.replicas;
        let mut left = replicas.unwrap_or(svc.replicas);
        for r in first..first + svc.replicas {
            if left == 0 {
                break;
            }
            if zone.is_none_or(|z| self.topo.replicas[r as usize].zone == z) {
                self.crash_replica(r);
                left -= 1;
            }
        }
    }

    /// Restarts the crashed replicas of service `s` in `zone` (any zone when `None`).
    fn recover_in(&mut self, s: u32, zone: Option<u16>) {
        let svc = &self.topo.services[s as usize];
        for r in svc.first_replica..svc.first_replica + svc.slots {
            if zone.is_none_or(|z| self.topo.replicas[r as usize].zone == z) {
                self.replicas[r as usize].down = false;
            }
        }
    }

    /// Cuts the network between two sides, each a service or `zone:NAME`; with `one_way`, only
    /// messages from `from` to `to`.
    pub fn partition(&mut self, from: &str, to: &str, one_way: bool) {
        let (from, to) = (self.side(from), self.side(to));
        self.partitions.push(ActivePartition { from, to, one_way });
    }

    /// Heals the partitions between `from` and `to`.
    pub fn heal(&mut self, from: &str, to: &str) {
        let (from, to) = (self.side(from), self.side(to));
        self.partitions.retain(|p| !(p.from == from && p.to == to));
    }

    /// Sets the latency added on every edge matching `link` (`"caller -> callee"`, globs
    /// allowed), replacing what was added before.
    pub fn set_link_latency(&mut self, link: &str, add_ms: f64) -> Result<(), Error> {
        let pattern =
            EdgePattern::parse(link).map_err(|e| Error::new(ErrorKind::Invalid(e.to_string())))?;
        for (i, e) in self.topo.edges.iter().enumerate() {
            if pattern.matches(
                &self.topo.services[e.caller as usize].name,
                &self.topo.services[e.callee as usize].name,
            ) {
                self.extra_latency[i] = ms_to_ns(add_ms);
            }
        }
        Ok(())
    }

    /// Makes a fraction `rate` of the requests to `target` (`service` or `service.endpoint`)
    /// fail at once.
    pub fn inject_errors(&mut self, target: &str, rate: f64) {
        for (i, ep) in self.topo.endpoints.iter().enumerate() {
            let service = &self.topo.services[ep.service as usize].name;
            if ep.name == target || service == target {
                self.error_rate[i] = rate.clamp(0.0, 1.0);
            }
        }
    }

    /// Multiplies the work time of `service` by `factor` (1 restores it).
    pub fn slow_down(&mut self, service: &str, factor: f64) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.slowdown[s as usize] = factor.max(0.0);
        Ok(())
    }

    /// Rolls out a new version of `service` (behaving as the old one) per its deployment
    /// strategy.
    pub fn deploy(&mut self, service: &str) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.start_rollout(s, VersionRt::default());
        Ok(())
    }

    fn start_rollout(&mut self, s: u32, version: VersionRt) {
        self.rollouts[s as usize].version = version;
        self.rollouts[s as usize].step_served = (0, 0);
        let svc = &self.topo.services[s as usize];
        self.rollout_events.push(RolloutEvent {
            service: svc.name.clone(),
            strategy: svc.strategy.kind().to_owned(),
            started_s: secs(self.now),
            outcome: "in_progress".to_owned(),
            at_s: None,
            failed_step: None,
            error_rate: None,
        });
        self.queue.push(self.now, Ev::DeployStep(s, 0));
    }

    /// Records how the latest rollout of service `s` ended.
    fn end_rollout(&mut self, s: u32, outcome: &str, failed: Option<(u32, f64)>) {
        let name = &self.topo.services[s as usize].name;
        if let Some(e) = self
            .rollout_events
            .iter_mut()
            .rev()
            .find(|e| &e.service == name)
        {
            e.outcome = outcome.to_owned();
            e.at_s = Some(secs(self.now));
            e.failed_step = failed.map(|f| f.0);
            e.error_rate = failed.map(|f| f.1);
        }
    }

    fn side(&self, name: &str) -> Side {
        if let Some(zone) = name.strip_prefix("zone:") {
            self.topo.zone(zone).map_or(Side::Nothing, Side::Zone)
        } else {
            self.topo.service(name).map_or(Side::Nothing, Side::Service)
        }
    }

    // ─── events ─────────────────────────────────────────────────────────────────────────────

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Arrival(g) => {
                self.new_root(g, NONE);
                if let Some(t) = self.next_arrival(g, self.now) {
                    self.queue.push(t, Ev::Arrival(g));
                }
            }
            Ev::UserSend(g, u) => self.new_root(g, u),
            Ev::JobArrive(j) => {
                if self.jobs.get(j).is_some() {
                    self.arrive(j.idx);
                }
            }
            Ev::WorkDone(j) => {
                if let Some(job) = self.jobs.get_mut(j) {
                    job.state = JobState::Calling;
                    self.advance(j.idx);
                }
            }
            Ev::Response(c, attempt, outcome) => self.on_response(c, attempt, outcome),
            Ev::AttemptTimeout(c, attempt) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && matches!(call.state, CallState::InFlight | CallState::BulkheadWait)
                {
                    let cause = call.lost.unwrap_or(Cause::Timeout);
                    self.attempt_failed(c, cause, Failure::Timeout);
                }
            }
            Ev::ConnectFail(c, attempt, cause) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && call.state == CallState::InFlight
                {
                    self.attempt_failed(c, cause, Failure::Error);
                }
            }
            Ev::AttemptRejected(c, attempt, cause, rejected) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && call.state == CallState::Rejecting
                {
                    let kind = if rejected {
                        Failure::Rejected
                    } else {
                        Failure::Error
                    };
                    self.attempt_failed(c, cause, kind);
                }
            }
            Ev::RetryWake(c, attempt) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && call.state == CallState::RetryWait
                {
                    if self.jobs.get(call.job).is_some() {
                        self.begin_attempt(c);
                    } else {
                        self.calls.remove(c);
                    }
                }
            }
            Ev::RateWake(c, attempt) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && call.state == CallState::RateWait
                {
                    self.after_rate_limit(c);
                }
            }
            Ev::BulkheadTimeout(c, attempt) => {
                if let Some(call) = self.calls.get(c)
                    && call.attempt == attempt
                    && call.state == CallState::BulkheadWait
                {
                    self.attempt_failed(c, Cause::Bulkhead, Failure::Rejected);
                }
            }
            Ev::Deadline(c) => {
                if let Some(call) = self.calls.get(c)
                    && call.state != CallState::FallbackWait
                {
                    if matches!(call.state, CallState::InFlight | CallState::BulkheadWait) {
                        self.release_attempt(c, true);
                    }
                    self.resolve_failed(c, Cause::Deadline);
                }
            }
            Ev::FallbackDone(c) => {
                if self.calls.get(c).is_some() {
                    self.resolve(c, Outcome::Degraded, false);
                }
            }
            Ev::BreakerTimer(es) => self.on_breaker_timer(es),
            Ev::FaultStart(i) => self.fault(i, true),
            Ev::FaultEnd(i) => self.fault(i, false),
            Ev::DeployStep(s, batch) => self.deploy_step(s, batch),
            Ev::Redeliver(d) => {
                if let Some(del) = self.deliveries.get(d) {
                    let sub = del.sub as usize;
                    self.subs[sub].in_flight -= 1;
                    self.subs[sub].backlog.push_front(d);
                    self.dispatch_sub(sub as u32);
                }
            }
        }
    }

    fn next_arrival(&mut self, g: u32, now: Time) -> Option<Time> {
        let horizon = self.horizon;
        let gen_ = &mut self.generators[g as usize];
        let t = match &mut gen_.kind {
            GenKind::Poisson(rate) => {
                if *rate <= 0.0 {
                    return None;
                }
                let e: f64 = Exp1.sample(&mut gen_.rng);
                now as f64 + e / *rate
            }
            GenKind::Constant(period, k) => {
                if *period <= 0.0 {
                    return None;
                }
                *k += 1;
                *k as f64 * *period
            }
            GenKind::Ramp(r0, r1) => {
                // Thinning (Lewis & Shedler): candidates at the peak rate, kept with
                // probability rate(t) / peak.
                let peak = r0.max(*r1);
                if peak <= 0.0 {
                    return None;
                }
                let mut t = now as f64;
                loop {
                    let e: f64 = Exp1.sample(&mut gen_.rng);
                    t += e / peak;
                    if t >= horizon as f64 {
                        return None;
                    }
                    let rate = *r0 + (*r1 - *r0) * t / horizon as f64;
                    if gen_.rng.random::<f64>() * peak < rate {
                        break t;
                    }
                }
            }
            GenKind::Step(steps) => {
                // Piecewise-constant: memorylessness makes restarting at a boundary exact.
                let mut t = now as f64;
                loop {
                    let i = steps.partition_point(|s| s.0 as f64 <= t).saturating_sub(1);
                    let next = steps.get(i + 1).map_or(f64::INFINITY, |s| s.0 as f64);
                    let rate = steps[i].1;
                    if rate > 0.0 {
                        let e: f64 = Exp1.sample(&mut gen_.rng);
                        if t + e / rate < next {
                            break t + e / rate;
                        }
                    }
                    if !next.is_finite() || next >= horizon as f64 {
                        return None;
                    }
                    t = next;
                }
            }
            GenKind::Closed(..) => return None,
        };
        (t < horizon as f64).then_some(t as Time)
    }

    fn pick_target(&mut self, g: u32) -> u32 {
        let gen_ = &mut self.generators[g as usize];
        if gen_.targets.len() == 1 {
            return gen_.targets[0];
        }
        let u: f64 = gen_.rng.random();
        let i = gen_.cumulative.partition_point(|&c| c <= u);
        gen_.targets[i.min(gen_.targets.len() - 1)]
    }

    fn new_root(&mut self, g: u32, user: u32) {
        let endpoint = self.pick_target(g);
        self.roots.generated += 1;
        let service = self.topo.endpoints[endpoint as usize].service;
        let Some((replica, _)) = self.pick_replica(service, NONE, NONE, NONE) else {
            self.roots.failed += 1;
            if self.now >= self.warmup {
                self.endpoints[endpoint as usize]
                    .run
                    .record(0, Outcome::Err(Cause::Unavailable));
            }
            self.endpoints[endpoint as usize]
                .bucket
                .record(0, Outcome::Err(Cause::Unavailable));
            self.user_done(g, user);
            return;
        };
        let j = self.jobs.insert(Job {
            endpoint,
            replica,
            parent: Parent::Root(g, user),
            arrived: self.now,
            step: 0,
            pending: 0,
            state: JobState::InTransit,
            degraded: false,
            original: true,
            root_started: self.now,
        });
        self.arrive(j.idx);
    }

    fn user_done(&mut self, g: u32, user: u32) {
        if user == NONE {
            return;
        }
        if let GenKind::Closed(_, think) = self.generators[g as usize].kind {
            let wait = if think > 0.0 {
                let e: f64 = Exp1.sample(&mut self.generators[g as usize].rng);
                (e * think) as Time
            } else {
                0
            };
            let t = self.now.saturating_add(wait);
            if t < self.horizon {
                self.queue.push(t, Ev::UserSend(g, user));
            }
        }
    }

    /// A request reaches its replica: refused if the replica is down or errors are injected,
    /// started if a worker is free, queued if there is room, shed otherwise.
    fn arrive(&mut self, idx: u32) {
        let now = self.now;
        let job = self.jobs.at_mut(idx);
        job.arrived = now;
        let (r, ep, original) = (job.replica as usize, job.endpoint as usize, job.original);
        let s = self.topo.replicas[r].service as usize;
        if now >= self.warmup {
            self.services[s].arrivals += 1;
            self.services[s].original_arrivals += u64::from(original);
        }
        if self.replicas[r].down {
            self.finish_job(idx, Outcome::Err(Cause::Crash));
            return;
        }
        let rate = self.error_rate[ep];
        if rate > 0.0 && self.rng_choice.random::<f64>() < rate {
            self.finish_job(idx, Outcome::Err(Cause::Injected));
            return;
        }
        let rate = self.replicas[r].version.error_rate;
        if rate > 0.0 && self.rng_choice.random::<f64>() < rate {
            self.finish_job(idx, Outcome::Err(Cause::Injected));
            return;
        }
        let svc = &self.topo.services[s];
        let replica = &mut self.replicas[r];
        if replica.busy < svc.workers {
            replica.in_system += 1;
            self.start_work(idx);
        } else if (replica.queue.len() as u64) < u64::from(svc.queue_capacity) {
            replica.in_system += 1;
            replica.queue.push_back(idx);
            self.jobs.at_mut(idx).state = JobState::Queued;
            let m = &mut self.services[s];
            m.advance(now, self.warmup);
            m.queued += 1;
            m.max_queue = m.max_queue.max(replica.queue.len() as u64);
        } else {
            if now >= self.warmup {
                self.services[s].shed += 1;
            }
            self.finish_job(idx, Outcome::Err(Cause::Shed));
        }
    }

    fn start_work(&mut self, idx: u32) {
        let job = self.jobs.at_mut(idx);
        job.state = JobState::Working;
        let (r, ep) = (job.replica as usize, job.endpoint as usize);
        self.replicas[r].busy += 1;
        let s = self.topo.replicas[r].service as usize;
        let m = &mut self.services[s];
        m.advance(self.now, self.warmup);
        m.busy += 1;
        let mut work = self.topo.endpoints[ep].work.sample(&mut self.rng_work);
        let factor = self.slowdown[s] * self.replicas[r].version.slowdown;
        if factor != 1.0 {
            work = (work as f64 * factor) as Time;
        }
        let j = self.jobs.ref_of(idx).expect("live job");
        self.queue.push(self.now + work, Ev::WorkDone(j));
    }

    /// Launches the job's next step of calls, or answers when none is left.
    fn advance(&mut self, idx: u32) {
        loop {
            let job = self.jobs.at(idx);
            let (ep, step) = (job.endpoint as usize, job.step as usize);
            let steps = &self.topo.endpoints[ep].steps;
            if step >= steps.len() {
                let outcome = if job.degraded {
                    Outcome::Degraded
                } else {
                    Outcome::Ok
                };
                self.finish_job(idx, outcome);
                return;
            }
            self.jobs.at_mut(idx).step += 1;
            let mut launched = 0u16;
            for i in 0..self.topo.endpoints[ep].steps[step].len() {
                let call = self.topo.endpoints[ep].steps[step][i];
                if call.probability < 1.0 && self.rng_choice.random::<f64>() >= call.probability {
                    continue;
                }
                self.start_call(idx, call.edge, call.callee);
                launched += 1;
            }
            if launched > 0 {
                self.jobs.at_mut(idx).pending = launched;
                return;
            }
        }
    }

    /// A job ends: it is measured, frees its worker (starting the next queued job), publishes
    /// its events if it succeeded, and answers its parent.
    fn finish_job(&mut self, idx: u32, outcome: Outcome) {
        let now = self.now;
        let job = *self.jobs.at(idx);
        let ep = job.endpoint as usize;
        let latency = now - job.arrived;
        if job.arrived >= self.warmup {
            self.endpoints[ep].run.record(latency, outcome);
        }
        self.endpoints[ep].bucket.record(latency, outcome);
        let r = job.replica as usize;
        let s = self.topo.replicas[r].service as usize;
        let ro = &mut self.rollouts[s];
        if ro.canary > 0.0 {
            let svc = &self.topo.services[s];
            let canary_set = svc.first_replica + (1 - ro.active) * svc.replicas;
            if (canary_set..canary_set + svc.replicas).contains(&(r as u32)) {
                ro.step_served.0 += 1;
                ro.step_served.1 += u64::from(matches!(outcome, Outcome::Err(_)));
            }
        }
        if job.state != JobState::InTransit {
            self.replicas[r].in_system = self.replicas[r].in_system.saturating_sub(1);
        }
        let j = self.jobs.ref_of(idx).expect("live job");
        self.jobs.remove(j);
        if matches!(job.state, JobState::Working | JobState::Calling) {
            let m = &mut self.services[s];
            m.advance(now, self.warmup);
            m.busy -= 1;
            self.replicas[r].busy -= 1;
            if !self.replicas[r].down
                && let Some(next) = self.replicas[r].queue.pop_front()
            {
                self.services[s].queued -= 1;
                self.start_work(next);
            }
        }
        if !matches!(outcome, Outcome::Err(_)) {
            for i in 0..self.topo.endpoints[ep].publishes.len() {
                let topic = self.topo.endpoints[ep].publishes[i];
                self.publish(topic);
            }
        }
        match job.parent {
            Parent::Root(g, user) => {
                match outcome {
                    Outcome::Ok => self.roots.succeeded += 1,
                    Outcome::Degraded => self.roots.degraded += 1,
                    Outcome::Err(_) => self.roots.failed += 1,
                }
                self.user_done(g, user);
            }
            Parent::Call(c, attempt) => {
                let Some(call) = self.calls.get(c) else {
                    return;
                };
                if call.attempt != attempt {
                    return;
                }
                let (edge, caller) = (call.edge, call.caller_replica);
                match self.hop(edge, job.replica, caller) {
                    Ok(delay) => self
                        .queue
                        .push(now + delay, Ev::Response(c, attempt, outcome)),
                    Err(cause) => {
                        let call = self.calls.get_mut(c).expect("checked");
                        call.lost = Some(cause);
                        if self.topo.edges[edge as usize].timeout.is_none() {
                            self.queue
                                .push(now + CONNECT_TIMEOUT, Ev::ConnectFail(c, attempt, cause));
                        }
                    }
                }
            }
            Parent::Topic(d) => self.delivery_done(d, outcome),
        }
    }

    /// The one-way delay of a message on `edge` from replica `from` to replica `to`, or why it
    /// never arrives.
    fn hop(&mut self, edge: u32, from: u32, to: u32) -> Result<Time, Cause> {
        let (a, b) = (
            self.topo.replicas[from as usize],
            self.topo.replicas[to as usize],
        );
        if cut(&self.partitions, a, b) {
            return Err(Cause::Partition);
        }
        let e = &self.topo.edges[edge as usize];
        if e.loss > 0.0 && self.rng_net.random::<f64>() < e.loss {
            return Err(Cause::Loss);
        }
        let mut delay = e.latency.sample(&mut self.rng_net);
        if a.zone != b.zone && a.zone != NO_ZONE && b.zone != NO_ZONE {
            delay += self.topo.cross_zone.sample(&mut self.rng_net);
        }
        Ok(delay + self.extra_latency[edge as usize])
    }

    // ─── the caller side: one logical call through the edge's policy ────────────────────────

    fn start_call(&mut self, job_idx: u32, edge: u32, callee: u32) {
        let now = self.now;
        let job = *self.jobs.at(job_idx);
        let job_ref = self.jobs.ref_of(job_idx).expect("live job");
        let local = self.topo.replicas[job.replica as usize].local;
        let es = self.edge_state_base[edge as usize] + local;
        let e = &self.topo.edges[edge as usize];
        let deadline = e.deadline.map_or(Time::MAX, |d| now.saturating_add(d));
        if let Some(b) = e.budget {
            self.edge_states[es as usize].budget.on_request(&b, now);
        }
        let c = self.calls.insert(Call {
            job: job_ref,
            edge,
            es,
            callee,
            caller_replica: job.replica,
            attempt: 0,
            sent: 0,
            state: CallState::Rejecting,
            started: now,
            attempt_started: now,
            target: NONE,
            prev_target: NONE,
            deadline,
            prev_wait: 0,
            lost: None,
            permitted: false,
            holds_bulkhead: false,
            original: job.original,
            root_started: job.root_started,
        });
        if deadline != Time::MAX {
            self.queue.push(deadline, Ev::Deadline(c));
        }
        self.begin_attempt(c);
    }

    /// Refuses the current attempt before it is sent; the refusal is handled as an event at
    /// the same instant, so no call ever completes inside the step that launched it.
    fn reject(&mut self, c: Ref, cause: Cause, rejected: bool) {
        let call = self.calls.get_mut(c).expect("live call");
        call.state = CallState::Rejecting;
        let attempt = call.attempt;
        if self.now >= self.warmup {
            self.edges[call.edge as usize].rejected_attempts += 1;
        }
        self.queue
            .push(self.now, Ev::AttemptRejected(c, attempt, cause, rejected));
    }

    fn begin_attempt(&mut self, c: Ref) {
        let now = self.now;
        let call = self.calls.get_mut(c).expect("live call");
        call.attempt += 1;
        call.lost = None;
        call.permitted = false;
        call.holds_bulkhead = false;
        let (edge, es) = (call.edge as usize, call.es as usize);
        if self.topo.edges[edge].denied {
            self.reject(c, Cause::Denied, false);
            return;
        }
        if let Some(p) = self.topo.edges[edge].breaker {
            let breaker = self.edge_states[es]
                .breaker
                .as_mut()
                .expect("breaker state");
            let (permission, transition) = breaker.try_acquire(&p, now);
            if let Some(t) = transition {
                self.breaker_changed(es as u32, t);
            }
            if permission == Permission::Rejected {
                self.reject(c, Cause::BreakerOpen, true);
                return;
            }
            self.calls.get_mut(c).expect("live call").permitted = true;
        }
        self.calls.get_mut(c).expect("live call").attempt_started = now;
        if let Some((limit, period, timeout)) = self.topo.edges[edge].rate_limit {
            // Resilience4j's AtomicRateLimiter: `limit` permits per cycle; a caller may reserve
            // a permit in a later cycle if it would wait no longer than its timeout.
            let st = &mut self.edge_states[es];
            let cycle = now / period;
            if cycle > st.rate_cycle {
                st.rate_cycle = cycle;
                st.rate_used = 0;
            }
            if st.rate_used >= limit {
                st.rate_cycle += 1;
                st.rate_used = 0;
            }
            let at = (st.rate_cycle * period).max(now);
            if at - now > timeout {
                if st.rate_used == 0 && st.rate_cycle > cycle {
                    st.rate_cycle -= 1;
                    st.rate_used = limit;
                }
                self.reject(c, Cause::RateLimited, true);
                return;
            }
            st.rate_used += 1;
            if at > now {
                let call = self.calls.get_mut(c).expect("live call");
                call.state = CallState::RateWait;
                let attempt = call.attempt;
                self.queue.push(at, Ev::RateWake(c, attempt));
                return;
            }
        }
        self.after_rate_limit(c);
    }

    fn after_rate_limit(&mut self, c: Ref) {
        let now = self.now;
        let call = *self.calls.get(c).expect("live call");
        let e = &self.topo.edges[call.edge as usize];
        if let Some(t) = e.timeout {
            self.queue
                .push(now + t, Ev::AttemptTimeout(c, call.attempt));
        }
        if let Some((max, wait)) = e.bulkhead {
            let st = &mut self.edge_states[call.es as usize];
            if st.bulkhead_in_use < max {
                st.bulkhead_in_use += 1;
                self.calls.get_mut(c).expect("live call").holds_bulkhead = true;
            } else if wait > 0 {
                st.waiters.push_back((c, call.attempt));
                self.calls.get_mut(c).expect("live call").state = CallState::BulkheadWait;
                self.queue
                    .push(now + wait, Ev::BulkheadTimeout(c, call.attempt));
                return;
            } else {
                self.reject(c, Cause::Bulkhead, true);
                return;
            }
        }
        self.send(c);
    }

    fn send(&mut self, c: Ref) {
        let now = self.now;
        let call = *self.calls.get(c).expect("live call");
        let callee_service = self.topo.endpoints[call.callee as usize].service;
        let Some((target, failover)) = self.pick_replica(
            callee_service,
            call.es,
            call.prev_target,
            call.caller_replica,
        ) else {
            self.reject(c, Cause::Unavailable, false);
            return;
        };
        let (from_zone, to_zone) = (
            self.topo.replicas[call.caller_replica as usize].zone,
            self.topo.replicas[target as usize].zone,
        );
        let cross_zone = from_zone != to_zone && from_zone != NO_ZONE && to_zone != NO_ZONE;
        {
            let call = self.calls.get_mut(c).expect("live call");
            call.target = target;
            call.state = CallState::InFlight;
            call.sent += 1;
        }
        if call.started >= self.warmup {
            let m = &mut self.edges[call.edge as usize];
            m.attempts += 1;
            m.cross_zone_attempts += u64::from(cross_zone);
            m.zone_failovers += u64::from(failover);
        }
        let p = self.edge_point(call.edge, self.bucket);
        p.attempts += 1;
        p.cross_zone_attempts += u64::from(cross_zone);
        p.zone_failovers += u64::from(failover);
        // Retry amplification counts attempts sent, as the static analysis does: an attempt
        // the network loses still multiplies what the callee would see, and a lost first
        // attempt must count in the denominator too.
        self.services[callee_service as usize].attribute(
            (call.root_started / self.interval) as usize,
            call.original && call.attempt == 1,
        );
        match self.hop(call.edge, call.caller_replica, target) {
            Ok(delay) => {
                let j = self.jobs.insert(Job {
                    endpoint: call.callee,
                    replica: target,
                    parent: Parent::Call(c, call.attempt),
                    arrived: now,
                    step: 0,
                    pending: 0,
                    state: JobState::InTransit,
                    degraded: false,
                    original: call.original && call.attempt == 1,
                    root_started: call.root_started,
                });
                self.queue.push(now + delay, Ev::JobArrive(j));
            }
            Err(cause) => {
                self.calls.get_mut(c).expect("live call").lost = Some(cause);
                if self.topo.edges[call.edge as usize].timeout.is_none() {
                    self.queue.push(
                        now + CONNECT_TIMEOUT,
                        Ev::ConnectFail(c, call.attempt, cause),
                    );
                }
            }
        }
    }

    fn edge_point(&mut self, edge: u32, bucket: usize) -> &mut EdgePoint {
        let series = &mut self.edges[edge as usize].series;
        if series.len() <= bucket {
            series.resize(bucket + 1, EdgePoint::default());
        }
        &mut series[bucket]
    }

    fn on_response(&mut self, c: Ref, attempt: u32, outcome: Outcome) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        if call.attempt != attempt || call.state != CallState::InFlight {
            return;
        }
        let failed = matches!(outcome, Outcome::Err(_));
        self.release_attempt(c, failed);
        match outcome {
            Outcome::Err(cause) => self.after_failure(c, cause, Failure::Error),
            Outcome::Ok => self.resolve(c, Outcome::Ok, false),
            Outcome::Degraded => self.resolve(c, Outcome::Ok, true),
        }
    }

    /// Ends the current attempt's hold on the edge: the breaker learns its result, the bulkhead
    /// slot is freed, and outlier detection counts it against its replica.
    fn release_attempt(&mut self, c: Ref, failed: bool) {
        let now = self.now;
        let call = *self.calls.get(c).expect("live call");
        let es = call.es as usize;
        let (breaker_params, outlier_params) = {
            let e = &self.topo.edges[call.edge as usize];
            (e.breaker, e.outlier)
        };
        if call.permitted
            && let Some(p) = breaker_params
        {
            let duration = now - call.attempt_started;
            let breaker = self.edge_states[es]
                .breaker
                .as_mut()
                .expect("breaker state");
            if let Some(t) = breaker.on_result(&p, now, failed, duration) {
                self.breaker_changed(es as u32, t);
            }
        }
        if call.target != NONE
            && let Some((consecutive, base, percent)) = outlier_params
        {
            let local = self.topo.replicas[call.target as usize].local as usize;
            let st = &mut self.edge_states[es];
            if failed {
                st.outlier[local].consecutive += 1;
                if st.outlier[local].consecutive >= consecutive
                    && st.outlier[local].ejected_until <= now
                {
                    // Envoy: never more than max_ejection_percent ejected, but always one.
                    let n = self.topo.services[self.topo.edges[call.edge as usize].callee as usize]
                        .replicas as usize;
                    let ejected = st.outlier.iter().filter(|h| h.ejected_until > now).count();
                    let cap = ((percent / 100.0 * n as f64) as usize).max(1);
                    if ejected < cap {
                        let host = &mut st.outlier[local];
                        host.ejections += 1;
                        host.ejected_until = now + base * u64::from(host.ejections);
                        host.consecutive = 0;
                        self.ejections[call.edge as usize] += 1;
                    }
                }
            } else {
                st.outlier[local].consecutive = 0;
            }
        }
        let call = self.calls.get_mut(c).expect("live call");
        call.permitted = false;
        call.prev_target = call.target;
        call.target = NONE;
        if call.holds_bulkhead {
            call.holds_bulkhead = false;
            self.release_bulkhead(es);
        }
    }

    fn release_bulkhead(&mut self, es: usize) {
        self.edge_states[es].bulkhead_in_use -= 1;
        while let Some((w, attempt)) = self.edge_states[es].waiters.pop_front() {
            if let Some(call) = self.calls.get_mut(w)
                && call.attempt == attempt
                && call.state == CallState::BulkheadWait
            {
                call.holds_bulkhead = true;
                self.edge_states[es].bulkhead_in_use += 1;
                self.send(w);
                return;
            }
        }
    }

    fn attempt_failed(&mut self, c: Ref, cause: Cause, kind: Failure) {
        self.release_attempt(c, true);
        self.after_failure(c, cause, kind);
    }

    /// After a failed attempt: retry if the policy, the deadline and the budget allow it, else
    /// fail the call (or fall back).
    fn after_failure(&mut self, c: Ref, cause: Cause, kind: Failure) {
        let now = self.now;
        let call = *self.calls.get(c).expect("live call");
        let edge = call.edge as usize;
        if call.started >= self.warmup {
            self.attempt_errors[edge][cause as usize] += 1;
        }
        if self.jobs.get(call.job).is_none() {
            // The caller is gone (crashed, or failed on another call of a parallel step).
            self.calls.remove(c);
            return;
        }
        let e = &self.topo.edges[edge];
        if e.retry.should_retry(call.attempt, kind) && now < call.deadline {
            let allowed = match e.budget {
                Some(b) => self.edge_states[call.es as usize].budget.try_retry(&b, now),
                None => true,
            };
            if allowed {
                let u: f64 = self.rng_jitter.random();
                let wait = e.retry.wait(call.attempt, call.prev_wait, u);
                let call = self.calls.get_mut(c).expect("live call");
                call.prev_wait = wait;
                call.state = CallState::RetryWait;
                let attempt = call.attempt;
                if call.started >= self.warmup {
                    self.edges[edge].retries += 1;
                }
                self.queue
                    .push(now.saturating_add(wait), Ev::RetryWake(c, attempt));
                return;
            }
            if call.started >= self.warmup {
                self.edges[edge].budget_exhausted += 1;
            }
        }
        self.resolve_failed(c, cause);
    }

    fn resolve_failed(&mut self, c: Ref, cause: Cause) {
        let edge = self.calls.get(c).expect("live call").edge as usize;
        match self.topo.edges[edge].fallback {
            Some(0) => self.resolve(c, Outcome::Degraded, false),
            Some(latency) => {
                self.calls.get_mut(c).expect("live call").state = CallState::FallbackWait;
                self.queue.push(self.now + latency, Ev::FallbackDone(c));
            }
            None => self.resolve(c, Outcome::Err(cause), false),
        }
    }

    /// The call is over: it is measured and its caller learns the result. `degraded_answer`
    /// marks a success whose callee itself fell back.
    fn resolve(&mut self, c: Ref, outcome: Outcome, degraded_answer: bool) {
        let now = self.now;
        let call = *self.calls.get(c).expect("live call");
        self.calls.remove(c);
        let edge = call.edge;
        if call.started >= self.warmup {
            self.edges[edge as usize]
                .run
                .record(now - call.started, outcome);
        }
        let bucket = self.bucket;
        let p = self.edge_point(edge, bucket);
        p.calls += 1;
        match outcome {
            Outcome::Err(_) => p.errors += 1,
            Outcome::Degraded => p.fallbacks += 1,
            Outcome::Ok => {}
        }
        let start_bucket = (call.started / self.interval) as usize;
        let p = self.edge_point(edge, start_bucket);
        p.started_calls += 1;
        p.started_attempts += u64::from(call.sent);
        let Some(job) = self.jobs.get_mut(call.job) else {
            return;
        };
        match outcome {
            Outcome::Err(cause) => {
                // Fail fast: the first failed call fails the request (errgroup semantics).
                self.finish_job(call.job.idx, Outcome::Err(cause));
            }
            Outcome::Ok | Outcome::Degraded => {
                if outcome == Outcome::Degraded || degraded_answer {
                    job.degraded = true;
                }
                job.pending -= 1;
                if job.pending == 0 {
                    self.advance(call.job.idx);
                }
            }
        }
    }

    fn breaker_changed(&mut self, es: u32, t: Transition) {
        let edge = match self.edge_state_base.partition_point(|&b| b <= es) {
            0 => 0,
            i => i - 1,
        };
        let replica = es - self.edge_state_base[edge];
        if self.breaker_log.len() < MAX_TRANSITIONS {
            self.breaker_log.push(BreakerChange {
                edge: edge as u32,
                replica,
                transition: t,
            });
        }
        let p = self.topo.edges[edge].breaker.expect("breaker params");
        let st = &mut self.edge_states[es as usize];
        if let Some(due) = st.breaker.as_ref().and_then(|b| b.next_deadline(&p))
            && due != st.breaker_timer
        {
            st.breaker_timer = due;
            self.queue.push(due.max(self.now), Ev::BreakerTimer(es));
        }
    }

    fn on_breaker_timer(&mut self, es: u32) {
        let edge = match self.edge_state_base.partition_point(|&b| b <= es) {
            0 => 0,
            i => i - 1,
        };
        let Some(p) = self.topo.edges[edge].breaker else {
            return;
        };
        let st = &mut self.edge_states[es as usize];
        st.breaker_timer = Time::MAX;
        let breaker = st.breaker.as_mut().expect("breaker state");
        if let Some(t) = breaker.on_timer(&p, self.now) {
            self.breaker_changed(es, t);
        } else if let Some(due) = breaker.next_deadline(&p) {
            st.breaker_timer = due;
            self.queue.push(due.max(self.now), Ev::BreakerTimer(es));
        }
    }

    // ─── load balancing ─────────────────────────────────────────────────────────────────────

    /// Picks a replica of `service` for a caller (edge state `es` and replica `from`, or a
    /// client when both are `NONE`), avoiding replicas being redeployed, replicas outlier
    /// detection ejected (unless all are: Envoy's panic mode), and `avoid` (the previous
    /// attempt's replica) when another is left. A canary in progress first sends its share of
    /// the calls to the new set; a zone-aware service keeps a placed caller in its own zone
    /// while that zone has a healthy replica. Returns the replica and whether the caller failed
    /// over from its own zone.
    fn pick_replica(
        &mut self,
        service: u32,
        es: u32,
        avoid: u32,
        from: u32,
    ) -> Option<(u32, bool)> {
        let now = self.now;
        let svc = &self.topo.services[service as usize];
        let (base, n) = (svc.first_replica, svc.replicas);
        if n == 0 {
            return None;
        }
        let mut first = base;
        if svc.slots != n {
            let ro = &self.rollouts[service as usize];
            let mut set = ro.active;
            if ro.canary > 0.0 && (ro.canary >= 1.0 || self.rng_choice.random::<f64>() < ro.canary)
            {
                set = 1 - set;
            }
            first += set * n;
        }
        let lb = svc.load_balancer;
        if n == 1 {
            return (!self.replicas[first as usize].restarting).then_some((first, false));
        }
        let caller_zone = if from == NONE {
            NO_ZONE
        } else {
            self.topo.replicas[from as usize].zone
        };
        self.scratch.clear();
        let outlier = (es != NONE)
            .then(|| &self.edge_states[es as usize].outlier)
            .filter(|o| !o.is_empty());
        let mut failover = false;
        if svc.locality != Locality::Any && caller_zone != NO_ZONE {
            // Priority 0 is the caller's zone, priority 1 every other zone: Envoy moves to the
            // next priority only when the one before has no healthy host.
            let caller = self.topo.replicas[from as usize];
            let (replicas, topo, partitions) = (&self.replicas, &self.topo, &self.partitions);
            let healthy = |r: u32| {
                let st = &replicas[r as usize];
                let ejected = outlier.is_some_and(|o| o[(r - base) as usize].ejected_until > now);
                !st.restarting
                    && !st.down
                    && !ejected
                    && reachable(partitions, caller, topo.replicas[r as usize])
            };
            let local = |r: u32| topo.replicas[r as usize].zone == caller_zone;
            let (mut placed_here, mut healthy_elsewhere) = (false, 0usize);
            for r in first..first + n {
                placed_here |= local(r);
                if healthy(r) {
                    if local(r) {
                        self.scratch.push(r);
                    } else {
                        healthy_elsewhere += 1;
                    }
                }
            }
            // Envoy's spill-over: the caller's zone keeps the calls its share of the healthy
            // replicas can carry against its share of the callers; the rest go elsewhere.
            let spill = svc.locality == Locality::Proportional
                && !self.scratch.is_empty()
                && healthy_elsewhere > 0
                && {
                    let here = self.scratch.len() as f64;
                    let upstream = here / (here + healthy_elsewhere as f64);
                    let callers = &topo.services[caller.service as usize];
                    let downstream = f64::from(callers.zone_replicas[usize::from(caller_zone)])
                        / f64::from(callers.replicas.max(1));
                    upstream < downstream
                        && self.rng_choice.random::<f64>() >= upstream / downstream
                };
            if self.scratch.is_empty() || spill {
                failover = self.scratch.is_empty() && placed_here && healthy_elsewhere > 0;
                self.scratch.clear();
                self.scratch
                    .extend((first..first + n).filter(|&r| !local(r) && healthy(r)));
            }
        }
        if self.scratch.is_empty() {
            for r in first..first + n {
                let ejected = outlier.is_some_and(|o| o[(r - base) as usize].ejected_until > now);
                if !self.replicas[r as usize].restarting && !ejected {
                    self.scratch.push(r);
                }
            }
        }
        if self.scratch.is_empty() {
            self.scratch
                .extend((first..first + n).filter(|&r| !self.replicas[r as usize].restarting));
        }
        if self.scratch.len() > 1
            && let Some(i) = self.scratch.iter().position(|&r| r == avoid)
        {
            self.scratch.remove(i);
        }
        let len = self.scratch.len() as u32;
        if len == 0 {
            return None;
        }
        let rr = if es == NONE {
            &mut self.client_rr[service as usize]
        } else {
            &mut self.edge_states[es as usize].rr
        };
        let pick = match lb {
            LoadBalancer::RoundRobin => {
                let i = *rr % len;
                *rr = rr.wrapping_add(1);
                self.scratch[i as usize]
            }
            LoadBalancer::Random => self.scratch[self.rng_choice.random_range(0..len) as usize],
            LoadBalancer::LeastOutstanding => {
                let offset = *rr % len;
                *rr = rr.wrapping_add(1);
                let mut best = self.scratch[offset as usize];
                for k in 1..len {
                    let r = self.scratch[((offset + k) % len) as usize];
                    if self.replicas[r as usize].in_system < self.replicas[best as usize].in_system
                    {
                        best = r;
                    }
                }
                best
            }
            LoadBalancer::PowerOfTwo => {
                let a = self.rng_choice.random_range(0..len);
                let b = (a + 1 + self.rng_choice.random_range(0..len - 1)) % len;
                let (ra, rb) = (self.scratch[a as usize], self.scratch[b as usize]);
                if self.replicas[rb as usize].in_system < self.replicas[ra as usize].in_system {
                    rb
                } else {
                    ra
                }
            }
        };
        Some((pick, failover))
    }

    // ─── faults ─────────────────────────────────────────────────────────────────────────────

    fn crash_replica(&mut self, r: u32) {
        let replica = &mut self.replicas[r as usize];
        if replica.down {
            return;
        }
        replica.down = true;
        let s = self.topo.replicas[r as usize].service as usize;
        let queued = replica.queue.len() as u64;
        replica.queue.clear();
        let m = &mut self.services[s];
        m.advance(self.now, self.warmup);
        m.queued -= queued;
        let victims: Vec<Ref> = self
            .jobs
            .live_refs()
            .into_iter()
            .filter(|&j| {
                let job = self.jobs.get(j).expect("live");
                job.replica == r && job.state != JobState::InTransit
            })
            .collect();
        for j in victims {
            if self.jobs.get(j).is_some() {
                self.finish_job(j.idx, Outcome::Err(Cause::Crash));
            }
        }
    }

    fn fault(&mut self, i: u32, start: bool) {
        let Some(f) = self
            .experiment
            .as_ref()
            .and_then(|e| e.faults.get(i as usize))
            .cloned()
        else {
            return;
        };
        let Some(action) = f.action() else { return };
        // The scenario was validated, so the names below resolve; a stale name is ignored.
        match action {
            FaultAction::Crash { service, replicas } => {
                // A zone the deployment never named matches no replica.
                let zone = f
                    .zone
                    .as_deref()
                    .map(|z| self.topo.zone(z).unwrap_or(NO_ZONE - 1));
                if let Some(s) = self.topo.service(service) {
                    if start {
                        self.crash_in(s, replicas, zone);
                    } else {
                        self.recover_in(s, zone);
                    }
                }
            }
            FaultAction::Latency(l) => {
                if let Ok(pattern) = EdgePattern::parse(&l.link) {
                    let add = ms_to_ns(l.add_ms);
                    for (k, e) in self.topo.edges.iter().enumerate() {
                        if pattern.matches(
                            &self.topo.services[e.caller as usize].name,
                            &self.topo.services[e.callee as usize].name,
                        ) {
                            let x = &mut self.extra_latency[k];
                            *x = if start {
                                *x + add
                            } else {
                                x.saturating_sub(add)
                            };
                        }
                    }
                }
            }
            FaultAction::Errors(x) => {
                self.inject_errors(&x.target, if start { x.rate } else { 0.0 });
            }
            FaultAction::Partition(p) => {
                if start {
                    self.partition(&p.from, &p.to, p.one_way);
                } else {
                    self.heal(&p.from, &p.to);
                }
            }
            FaultAction::Slowdown(s) => {
                if let Some(id) = self.topo.service(&s.service) {
                    let x = &mut self.slowdown[id as usize];
                    if start {
                        *x *= s.factor;
                    } else if s.factor > 0.0 {
                        *x /= s.factor;
                    }
                }
            }
            FaultAction::Deploy(service) => {
                if start && let Some(s) = self.topo.service(service) {
                    let version =
                        f.new_version
                            .as_ref()
                            .map_or_else(VersionRt::default, |v| VersionRt {
                                error_rate: v.error_rate.clamp(0.0, 1.0),
                                slowdown: v.slowdown.max(0.0),
                            });
                    self.start_rollout(s, version);
                }
            }
        }
    }

    /// Step `step` of the rollout of service `s`, per its strategy.
    fn deploy_step(&mut self, s: u32, step: u32) {
        let svc = &self.topo.services[s as usize];
        let (first, n) = (svc.first_replica, svc.replicas);
        let Rollout {
            active, version, ..
        } = self.rollouts[s as usize];
        let old_set = first + active * n..first + (active + 1) * n;
        let new_set = first + (1 - active) * n..first + (2 - active) * n;
        match svc.strategy.clone() {
            DeploymentStrategy::Rolling {
                max_unavailable,
                restart_s,
            } => {
                // Batch `step` restarts; the batches before it are back, on the new version.
                let m = max_unavailable.max(1);
                for r in first..first + n {
                    let batch = (r - first) / m;
                    let st = &mut self.replicas[r as usize];
                    st.restarting = batch == step;
                    if batch < step {
                        st.version = version;
                    }
                }
                if step * m < n {
                    let next = self.now + ms_to_ns(restart_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    self.end_rollout(s, "promoted", None);
                }
            }
            DeploymentStrategy::BlueGreen { restart_s } => {
                if step == 0 {
                    // The green set starts beside the blue one, which keeps serving.
                    for r in new_set {
                        let st = &mut self.replicas[r as usize];
                        st.standby = false;
                        st.restarting = true;
                        st.down = false;
                        st.version = version;
                    }
                    let next = self.now + ms_to_ns(restart_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, 1));
                } else {
                    // All traffic switches at once; blue drains its requests and is retired.
                    for r in new_set {
                        self.replicas[r as usize].restarting = false;
                    }
                    self.retire(old_set);
                    self.rollouts[s as usize].active = 1 - active;
                    self.end_rollout(s, "promoted", None);
                }
            }
            DeploymentStrategy::Canary {
                weights,
                step_s,
                max_error_rate,
            } => {
                // The analysis of the step that just ended: too many of the new version's
                // answers failed, so all traffic goes back and the new replicas stop.
                let (served, failed) = self.rollouts[s as usize].step_served;
                self.rollouts[s as usize].step_served = (0, 0);
                let rate = if served == 0 {
                    0.0
                } else {
                    failed as f64 / served as f64
                };
                if step > 0 && max_error_rate.is_some_and(|max| rate > max) {
                    self.rollouts[s as usize].canary = 0.0;
                    self.retire(new_set);
                    self.end_rollout(s, "rolled_back", Some((step - 1, rate)));
                    self.account();
                    return;
                }
                if let Some(&w) = weights.get(step as usize) {
                    // Argo Rollouts' canary scaling: as many new replicas as the share of the
                    // traffic they take, at least one; the stable set stays whole meanwhile.
                    let w = (w / 100.0).clamp(0.0, 1.0);
                    let want = ((w * f64::from(n)).ceil() as u32).clamp(1, n.max(1));
                    for r in new_set.start..new_set.start + want.min(n) {
                        let st = &mut self.replicas[r as usize];
                        if st.standby {
                            st.standby = false;
                            st.restarting = false;
                            st.down = false;
                            st.version = version;
                        }
                    }
                    self.rollouts[s as usize].canary = w;
                    let next = self.now + ms_to_ns(step_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    // Promotion: the new set serves alone and the old one is retired.
                    for r in new_set {
                        let st = &mut self.replicas[r as usize];
                        if st.standby {
                            st.version = version;
                        }
                        st.standby = false;
                        st.restarting = false;
                    }
                    self.retire(old_set);
                    let ro = &mut self.rollouts[s as usize];
                    ro.active = 1 - active;
                    ro.canary = 0.0;
                    self.end_rollout(s, "promoted", None);
                }
            }
        }
        self.account();
    }

    /// Takes a set of replicas out of rotation and stops them; requests they hold finish.
    fn retire(&mut self, set: std::ops::Range<u32>) {
        for r in set {
            let st = &mut self.replicas[r as usize];
            st.restarting = true;
            st.standby = true;
        }
    }

    /// Recounts the replicas running and the resources they request, per service and zone,
    /// keeping the peaks: only rollouts change them.
    fn account(&mut self) {
        for u in &mut self.zone_use {
            u.replicas = 0;
            u.cpu_millis = 0;
            u.memory_mib = 0;
        }
        let unplaced = self.zone_use.len() - 1;
        for (s, svc) in self.topo.services.iter().enumerate() {
            let mut running = 0;
            for r in svc.first_replica..svc.first_replica + svc.slots {
                if self.replicas[r as usize].standby {
                    continue;
                }
                running += 1;
                let z = self.topo.replicas[r as usize].zone;
                let u = &mut self.zone_use[if z == NO_ZONE { unplaced } else { z as usize }];
                u.replicas += 1;
                u.cpu_millis += u64::from(svc.cpu_millis);
                u.memory_mib += u64::from(svc.memory_mib);
            }
            self.running[s] = running;
            self.peak_running[s] = self.peak_running[s].max(running);
        }
        for u in &mut self.zone_use {
            if u.replicas > u.peak_replicas {
                u.peak_replicas = u.replicas;
                u.peak_at = self.now;
            }
            u.peak_cpu_millis = u.peak_cpu_millis.max(u.cpu_millis);
            u.peak_memory_mib = u.peak_memory_mib.max(u.memory_mib);
        }
    }

    // ─── topics ─────────────────────────────────────────────────────────────────────────────

    fn publish(&mut self, topic: u32) {
        for k in 0..self.topo.topic_subscriptions[topic as usize].len() {
            let sub = self.topo.topic_subscriptions[topic as usize][k];
            let d = self.deliveries.insert(DeliveryRt {
                sub,
                published: self.now,
            });
            let st = &mut self.subs[sub as usize];
            st.published += 1;
            st.backlog.push_back(d);
            st.max_lag = st.max_lag.max(st.lag());
            self.dispatch_sub(sub);
        }
    }

    /// Hands queued events to consumers, at most as many at once as the group has workers.
    fn dispatch_sub(&mut self, sub: u32) {
        loop {
            let st = &mut self.subs[sub as usize];
            if st.in_flight >= st.limit {
                return;
            }
            let Some(d) = st.backlog.pop_front() else {
                return;
            };
            let handlers = &self.topo.subscriptions[sub as usize].handlers;
            let handler = handlers[(st.rr as usize) % handlers.len()];
            st.rr = st.rr.wrapping_add(1);
            let service = self.topo.endpoints[handler as usize].service;
            let Some((replica, _)) = self.pick_replica(service, NONE, NONE, NONE) else {
                // Nobody in rotation: try again later.
                let st = &mut self.subs[sub as usize];
                st.in_flight += 1;
                self.queue
                    .push(self.now + REDELIVERY_DELAY, Ev::Redeliver(d));
                return;
            };
            self.subs[sub as usize].in_flight += 1;
            let delay = self.topo.default_latency.sample(&mut self.rng_net);
            let j = self.jobs.insert(Job {
                endpoint: handler,
                replica,
                parent: Parent::Topic(d),
                arrived: self.now,
                step: 0,
                pending: 0,
                state: JobState::InTransit,
                degraded: false,
                original: true,
                root_started: self.now,
            });
            self.queue.push(self.now + delay, Ev::JobArrive(j));
        }
    }

    fn delivery_done(&mut self, d: Ref, outcome: Outcome) {
        let Some(&del) = self.deliveries.get(d) else {
            return;
        };
        let sub = del.sub as usize;
        match outcome {
            Outcome::Ok | Outcome::Degraded => {
                self.deliveries.remove(d);
                let st = &mut self.subs[sub];
                st.in_flight -= 1;
                st.acked += 1;
                if del.published >= self.warmup {
                    st.latency.record(self.now - del.published, outcome);
                }
            }
            Outcome::Err(_) => {
                if self.topo.subscriptions[sub].delivery == Delivery::AtMostOnce {
                    self.deliveries.remove(d);
                    let st = &mut self.subs[sub];
                    st.in_flight -= 1;
                    st.lost += 1;
                } else {
                    // At-least-once: the event stays unacknowledged and comes back later; it
                    // keeps its consumer slot meanwhile, as an unacknowledged message does.
                    self.subs[sub].redelivered += 1;
                    self.queue
                        .push(self.now + REDELIVERY_DELAY, Ev::Redeliver(d));
                    return;
                }
            }
        }
        self.dispatch_sub(sub as u32);
    }

    // ─── time buckets ───────────────────────────────────────────────────────────────────────

    fn close_bucket(&mut self, end: Time) {
        let start = self.next_boundary - self.interval;
        let width = (end - start).max(1);
        let b = self.bucket;
        for (s, m) in self.services.iter_mut().enumerate() {
            m.advance(end, self.warmup);
            let svc = &self.topo.services[s];
            let capacity = u128::from(svc.workers) * u128::from(self.running[s]);
            let up = (svc.first_replica..svc.first_replica + svc.slots)
                .filter(|&r| {
                    let st = &self.replicas[r as usize];
                    !st.down && !st.standby
                })
                .count() as u32;
            m.series.push(ServicePoint {
                queue: m.bucket_queue as f64 / width as f64,
                utilisation: if capacity == 0 {
                    0.0
                } else {
                    m.bucket_busy as f64 / (capacity * u128::from(width)) as f64
                },
                replicas_up: up,
                caused_arrivals: m.open_caused.0,
                caused_original: m.open_caused.1,
            });
            m.open_caused = (0, 0);
            m.bucket_busy = 0;
            m.bucket_queue = 0;
        }
        let counts_for_slos = start >= self.warmup;
        for (ep, m) in self.endpoints.iter_mut().enumerate() {
            m.series.push(EndpointPoint::of(&m.bucket));
            if counts_for_slos {
                for (_, w) in &mut self.slo_windows {
                    if w.endpoint == ep as u32 {
                        w.push(b, &m.bucket);
                    }
                }
            }
            m.bucket.reset();
        }
        for e in 0..self.edges.len() {
            self.edge_point(e as u32, b);
            if self.topo.edges[e].breaker.is_some() {
                let base = self.edge_state_base[e] as usize;
                let caller = &self.topo.services[self.topo.edges[e].caller as usize];
                let (first, n) = (caller.first_replica as usize, caller.slots as usize);
                let (mut open, mut half) = (0, 0);
                for (k, st) in self.edge_states[base..base + n].iter().enumerate() {
                    if self.replicas[first + k].standby {
                        continue;
                    }
                    match st.breaker.as_ref().map(Breaker::state) {
                        Some(microcosm_model::resilience::BreakerState::Open)
                        | Some(microcosm_model::resilience::BreakerState::ForcedOpen) => open += 1,
                        Some(microcosm_model::resilience::BreakerState::HalfOpen) => half += 1,
                        _ => {}
                    }
                }
                self.breaker_series[e].push((open, half));
            }
        }
        for st in &mut self.subs {
            let lag = st.lag();
            st.series.push(lag);
        }
        self.bucket += 1;
        self.next_boundary = self.next_boundary.saturating_add(self.interval);
    }

    /// Entry requests in flight, counted from the live requests themselves (not from the
    /// counters), for the conservation check.
    pub(crate) fn roots_in_flight(&self) -> u64 {
        self.in_flight()
    }

    /// Peak requests and calls held at once, for memory figures.
    pub(crate) fn peak_slots(&self) -> (usize, usize) {
        (self.jobs.capacity_used(), self.calls.capacity_used())
    }

    /// Nanoseconds measured after the warm-up.
    pub(crate) fn measured(&self) -> Time {
        self.horizon.saturating_sub(self.warmup)
    }
}
