//! The report of one simulated run — what users read to decide whether an architecture survives
//! an experiment: per entry endpoint and per call edge the requests, good and degraded answers,
//! errors by cause and latency percentiles (overall and per time bucket), breaker timelines,
//! retry amplification per edge and end to end, queues and utilisation per service, consumer lag
//! per subscription, each SLO's verdict with its worst window, each alert rule's firings and
//! time to detect, each expectation's verdict, and the conservation check.
//!
//! Everything here is plain data, serialisable both ways so that shard reports can be merged
//! into exactly the report one machine would have written. Maps are `BTreeMap`s, so the JSON is
//! byte-for-byte a function of the run.

use std::collections::BTreeMap;

use microcosm_model::resilience::amplification::amplification;
use microcosm_model::{ExpectedVerdict, Judged, Scenario};
use serde::{Deserialize, Serialize};

use crate::alert::{self, AlertReport};
use crate::metrics::{CAUSES, Cause, EdgePoint, EndpointPoint, ServicePoint, Tally, quantile_ms};
use crate::sim::{FaultWindow, RolloutEvent, Sim};

mod verdicts;

use verdicts::vacuity;
pub use verdicts::{expectations, reading, slo_reading};

/// Latency percentiles of a set of requests, in milliseconds. Percentiles come from a histogram
/// of whole µs (3 significant digits for endpoints, 2 for edges and topics); max, mean exact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median, ms.
    pub p50: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// 99.9th percentile, ms.
    pub p999: f64,
    /// Longest, ms.
    pub max: f64,
    /// Mean, ms (0 without requests).
    pub mean: f64,
}

impl Latency {
    fn of(t: &Tally) -> Latency {
        Latency {
            p50: quantile_ms(&t.hist, 0.5),
            p90: quantile_ms(&t.hist, 0.9),
            p95: quantile_ms(&t.hist, 0.95),
            p99: quantile_ms(&t.hist, 0.99),
            p999: quantile_ms(&t.hist, 0.999),
            max: t.max_ns as f64 / 1e6,
            mean: t.mean_ms(),
        }
    }

    /// The value at percentile `p` (50, 90, 95, 99 or 99.9).
    pub fn at(&self, p: f64) -> f64 {
        match p {
            p if p <= 50.0 => self.p50,
            p if p <= 90.0 => self.p90,
            p if p <= 95.0 => self.p95,
            p if p <= 99.0 => self.p99,
            _ => self.p999,
        }
    }
}

fn by_cause(errors: &[u64; CAUSES]) -> BTreeMap<String, u64> {
    Cause::ALL
        .iter()
        .filter(|c| errors[**c as usize] > 0)
        .map(|c| (c.name().to_owned(), errors[*c as usize]))
        .collect()
}

/// One endpoint, measured where it serves (network to and from its callers excluded): each
/// request that reached it after the warm-up and ended, an entry request or one call attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointReport {
    /// Whether load generators call it (an entry point).
    pub entry: bool,
    /// Requests that arrived after the warm-up and ended within the run, whatever the outcome.
    pub requests: u64,
    /// Of which answered normally.
    pub successes: u64,
    /// Answered with a fallback somewhere below.
    pub degraded: u64,
    /// Of which failed.
    pub errors: u64,
    /// The failures by cause (`timeout`, `shed`, `crash`, …); causes with none are left out.
    pub errors_by_cause: BTreeMap<String, u64>,
    /// (successes + degraded) / requests; 1 without requests.
    pub availability: f64,
    /// From arrival at a replica to the answer (queue, work, calls); 0 if no replica was up.
    pub latency_ms: Latency,
    /// Per time bucket, warm-up included.
    pub series: Vec<EndpointPoint>,
}

/// One call edge, `caller -> callee`, from the caller's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeReport {
    /// The policy key that applies.
    pub policy: Option<String>,
    /// Logical calls (all attempts of one call count once) started after the warm-up and ended.
    pub calls: u64,
    /// Of which answered by the callee (whose answer may itself be degraded).
    pub successes: u64,
    /// Calls answered by the edge's fallback.
    pub fallbacks: u64,
    /// Of which failed, with no fallback to answer instead.
    pub errors: u64,
    /// The failed calls by the cause that ended them; causes with none are left out.
    pub errors_by_cause: BTreeMap<String, u64>,
    /// Attempts sent to the callee, of calls started after the warm-up.
    pub attempts: u64,
    /// Attempts refused before being sent (breaker, bulkhead, rate limiter, security policy, no
    /// callee replica in rotation), after the warm-up.
    pub rejected_attempts: u64,
    /// Attempts sent to a replica in another zone than the caller's (both placed).
    #[serde(default)]
    pub cross_zone_attempts: u64,
    /// Of which sent there because the caller's zone had no healthy replica of a zone-aware
    /// callee: zone failovers.
    #[serde(default)]
    pub zone_failovers: u64,
    /// Failed attempts by cause, retried or not.
    pub attempt_errors_by_cause: BTreeMap<String, u64>,
    /// Retries scheduled, of calls started after the warm-up.
    pub retries: u64,
    /// Retries the policy allowed but the retry budget refused.
    pub budget_exhausted: u64,
    /// Replicas ejected by outlier detection.
    pub ejections: u64,
    /// attempts / calls over the run.
    pub amplification: f64,
    /// The largest attempts / calls of the calls started in any one bucket.
    pub peak_amplification: f64,
    /// Of calls, from start to end: every attempt, backoff, network hop and the fallback.
    pub latency_ms: Latency,
    /// Per time bucket, warm-up included.
    pub series: Vec<EdgePoint>,
}

/// One service's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// Replicas deployed (one set).
    pub replicas: u32,
    /// The most replicas running at once, starting ones included: twice `replicas` while a
    /// blue-green rollout runs both sets.
    #[serde(default)]
    pub peak_replicas: u32,
    /// Requests one replica works on at once.
    pub workers: u32,
    /// Requests that reached a replica after the warm-up (each attempt counts once).
    pub arrivals: u64,
    /// `arrivals` per simulated second after the warm-up.
    pub arrival_rate_per_s: f64,
    /// Requests refused on a full queue, after the warm-up.
    pub shed: u64,
    /// Time-averaged requests waiting in queues (all replicas).
    pub mean_queue: f64,
    /// The longest queue of any one replica at any time, warm-up included.
    pub max_queue: u64,
    /// Time-averaged requests in the service (waiting or holding a worker).
    pub mean_in_system: f64,
    /// Busy worker time over worker capacity.
    pub utilisation: f64,
    /// Requests reaching it per request that would without retries anywhere upstream, over
    /// the run.
    pub amplification: f64,
    /// The largest retry amplification here of the requests that entered the system in one
    /// bucket after the warm-up (each arrival counted against the bucket its request entered
    /// in, however much later it came): what `max_retry_amplification` bounds.
    pub peak_amplification: f64,
    /// The most retries can multiply the attempts reaching it when it is down (static analysis,
    /// `model::resilience::amplification`), over all entry endpoints.
    pub static_amplification: Option<f64>,
    /// Per time bucket, warm-up included.
    pub series: Vec<ServicePoint>,
}

/// One consumer group of a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicReport {
    /// Events published to the topic, so offered to this group, over the whole run.
    pub published: u64,
    /// Events the group handled successfully, over the whole run.
    pub acknowledged: u64,
    /// At-most-once events dropped after a failed delivery.
    pub lost: u64,
    /// At-least-once deliveries that failed and were queued again (an event may count twice).
    pub redelivered: u64,
    /// Published but not yet acknowledged, at the end.
    pub lag: u64,
    /// The largest lag at any publication, warm-up included.
    pub max_lag: u64,
    /// From publication to acknowledgement, of events published after the warm-up.
    pub latency_ms: Latency,
    /// Lag at the end of each bucket.
    pub series: Vec<u64>,
}

/// A breaker's change of state on one caller replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerTransition {
    /// When, in simulated seconds from the start of the run.
    pub at_s: f64,
    /// The caller replica, by index among its service's replica slots.
    pub replica: u32,
    /// The state left: `CLOSED`, `OPEN`, `HALF_OPEN`, `DISABLED` or `FORCED_OPEN`.
    pub from: String,
    /// The state entered, named as `from`.
    pub to: String,
}

/// The breakers of one edge (one per caller replica).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerReport {
    /// Caller replicas (one set), each with its own breaker.
    pub replicas: u32,
    /// Every change of state in time order, warm-up included (the run keeps its first 100,000).
    pub transitions: Vec<BreakerTransition>,
    /// Per bucket: (replicas open, replicas half-open) at its end.
    pub series: Vec<(u32, u32)>,
}

/// One objective of an SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// `availability` or `latency_p99_ms` and the like.
    pub metric: String,
    /// The bound: least availability in [0, 1], or most latency in ms.
    pub target: f64,
    /// The value over the whole run after the warm-up, in the target's unit.
    pub actual: f64,
    /// `actual` meets `target` (the worst window does not decide it).
    pub holds: bool,
    /// The worst value over any window of the SLO's length after the warm-up, if one saw requests.
    pub worst: Option<f64>,
    /// Where that window starts, in seconds from the start of the run.
    pub worst_window_start_s: Option<f64>,
}

/// An SLO's verdict over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    /// The endpoint it is about, `service.endpoint`.
    pub endpoint: String,
    /// Every objective holds.
    pub holds: bool,
    /// The SLO's window length, in seconds, over which `worst` values are found.
    pub window_s: f64,
    /// Availability first if targeted, then each latency percentile targeted.
    pub objectives: Vec<Objective>,
}

/// One `expect` of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationReport {
    /// `slo:NAME`, `max_retry_amplification` or `alert:NAME`.
    pub name: String,
    /// Whether it held in this run.
    pub holds: bool,
    /// For people: the measured values against their bounds, or why it could not be judged.
    pub detail: String,
    /// The verdict the scenario's `[expected_verdicts]` declares for its check id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<ExpectedVerdict>,
}

impl ExpectationReport {
    /// Whether it lets the run pass: it holds, or it is violated and the scenario declares that
    /// violation (as `check` decides the same check).
    pub fn passes(&self) -> bool {
        self.expected
            .unwrap_or(ExpectedVerdict::Holds)
            .met_by(self.holds)
    }
}

/// The replicas running in one zone and the resources they request (from each service's
/// `resources`), against the zone's capacity when the scenario declares a `cluster`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneUsage {
    /// At the start of the run.
    pub replicas: u32,
    /// CPU they request at the start, thousandths of a core.
    pub cpu_millis: u64,
    /// Memory they request at the start, MiB.
    pub memory_mib: u64,
    /// The most at any time (rollouts that run two versions side by side raise them).
    pub peak_replicas: u32,
    /// The most CPU requested at any time, thousandths of a core.
    pub peak_cpu_millis: u64,
    /// The most memory requested at any time, MiB.
    pub peak_memory_mib: u64,
    /// When the replica count first reached its peak.
    pub peak_at_s: f64,
    /// The zone's allocatable CPU (nodes × per node), thousandths of a core, when declared.
    pub cpu_millis_capacity: Option<u64>,
    /// The zone's allocatable memory (nodes × per node), MiB, when declared.
    pub memory_mib_capacity: Option<u64>,
    /// The peak fits the declared capacity (true when none is declared).
    pub fits: bool,
}

/// Where and why a run stopped before its horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutShort {
    /// The simulated time reached, in seconds.
    pub at_s: f64,
    /// `deadline` (the wall-clock timeout passed) or `cancelled`.
    pub reason: String,
}

/// Requests generated = completed + failed + in flight: entry requests over the whole run,
/// warm-up included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conservation {
    /// Entry requests the load generators made.
    pub generated: u64,
    /// Of which answered normally.
    pub succeeded: u64,
    /// Of which answered with a fallback somewhere below.
    pub degraded: u64,
    /// Of which failed.
    pub failed: u64,
    /// Of which still in flight when the run ended.
    pub in_flight: u64,
    /// `generated == succeeded + degraded + failed + in_flight`.
    pub holds: bool,
}

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// The scenario's name.
    pub scenario: String,
    /// The experiment's name.
    pub experiment: String,
    /// The seed of this run (a replication's own).
    pub seed: u64,
    /// The run's planned length, simulated seconds, warm-up included.
    pub duration_s: f64,
    /// Simulated seconds at the start left out of the run's totals.
    pub warmup_s: f64,
    /// Width of one time bucket of the `series`, in seconds.
    pub bucket_s: f64,
    /// Events processed.
    pub events: u64,
    /// Every expectation held (or was violated as the scenario's `[expected_verdicts]`
    /// declares), conservation holds (likewise), the run reached its horizon and it measured
    /// something: the verdict `check` gives the same run.
    pub passed: bool,
    /// Set when the run was stopped before its horizon (`--timeout`, a cancel): what it
    /// measured covers part of the run, so it decides nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<CutShort>,
    /// Set when the experiment declares load but the run measured no request (the load's rates
    /// were too low for its duration, no request completed within it, or the warm-up covers
    /// all of it): a run that measured nothing proves nothing, so it never passes. Says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vacuous: Option<String>,
    /// The conservation check of entry requests.
    pub conservation: Conservation,
    /// Each `expect` of the experiment: SLOs, then retry amplification, then alerts.
    pub expectations: Vec<ExpectationReport>,
    /// By SLO name, each SLO whose endpoint is in `endpoints`.
    pub slos: BTreeMap<String, SloReport>,
    /// Each alert rule of the scenario, evaluated over the time buckets after the warm-up.
    #[serde(default)]
    pub alerts: BTreeMap<String, AlertReport>,
    /// By `service.endpoint`, each endpoint that is an entry point or saw a request.
    pub endpoints: BTreeMap<String, EndpointReport>,
    /// By `caller -> callee`, each call edge that saw a call.
    pub edges: BTreeMap<String, EdgeReport>,
    /// By name, every service.
    pub services: BTreeMap<String, ServiceReport>,
    /// By `topic / group`, every consumer group.
    pub topics: BTreeMap<String, TopicReport>,
    /// By `caller -> callee`, each edge with a circuit breaker that saw a call.
    pub breakers: BTreeMap<String, BreakerReport>,
    /// Per zone (`(unplaced)` for replicas without one), the replicas running and the
    /// resources they request, at the start and at their peak.
    #[serde(default)]
    pub capacity: BTreeMap<String, ZoneUsage>,
    /// Each fault of the experiment, in its order, with when it acts.
    pub faults: Vec<FaultWindow>,
    /// Every rollout a `deploy` fault started, with how it ended (a canary whose analysis
    /// failed is rolled back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<RolloutEvent>,
    /// Peak requests (at any endpoint) in flight at once: the request slab's high-water mark.
    pub peak_requests_in_flight: u64,
    /// Peak logical calls in flight at once: the call slab's high-water mark.
    pub peak_calls_in_flight: u64,
}

impl SimReport {
    /// The expectation that gates SLO `name` in this run, or `None` when the experiment's
    /// `expect.slos` leaves it out (it is then reported, not judged).
    pub fn slo_gate(&self, name: &str) -> Option<&ExpectationReport> {
        let wanted = format!("slo:{name}");
        self.expectations.iter().find(|x| x.name == wanted)
    }

    /// Whether the run passes only because every violation in it is one the scenario declares
    /// in `[expected_verdicts]`: the explorer and `simulate` say "failed, as expected" rather
    /// than a bare pass or fail.
    pub fn failed_as_expected(&self) -> bool {
        self.passed && (!self.conservation.holds || self.expectations.iter().any(|x| !x.holds))
    }

    /// The largest peak retry amplification over all services, with its service.
    pub fn max_service_amplification(&self) -> Option<(&str, f64)> {
        self.services
            .iter()
            .map(|(name, s)| (name.as_str(), s.peak_amplification))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)))
    }

    /// The largest per-bucket amplification over all edges, with its edge.
    pub fn max_edge_amplification(&self) -> Option<(&str, f64)> {
        self.edges
            .iter()
            .map(|(name, e)| (name.as_str(), e.peak_amplification))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)))
    }
}

/// Builds the report of a finished simulation of `scenario`.
pub fn build(sim: &Sim, scenario: &Scenario) -> SimReport {
    let topo = &sim.topo;
    let bucket_s = sim.books.interval() as f64 / 1e9;
    let measured_s = (sim.measured() as f64 / 1e9).max(f64::MIN_POSITIVE);
    let first_bucket = sim.warmup.div_ceil(sim.books.interval()) as usize;

    let entries: std::collections::BTreeSet<u32> = scenario
        .experiments
        .get(&sim.experiment_name)
        .map(|e| {
            e.load
                .iter()
                .flat_map(|l| l.endpoint.iter().chain(l.mix.keys()))
                .filter_map(|n| topo.endpoint(n))
                .collect()
        })
        .unwrap_or_default();
    let mut endpoints = BTreeMap::new();
    for (i, ep) in topo.endpoints.iter().enumerate() {
        let m = &sim.books.endpoints()[i];
        let t = &m.run;
        let entry = entries.contains(&(i as u32));
        if t.requests == 0 && !entry && m.series.iter().all(|p| p.requests == 0) {
            continue;
        }
        endpoints.insert(
            ep.name.clone(),
            EndpointReport {
                entry,
                requests: t.requests,
                successes: t.successes,
                degraded: t.degraded,
                errors: t.failed(),
                errors_by_cause: by_cause(&t.errors),
                availability: if t.requests == 0 {
                    1.0
                } else {
                    (t.successes + t.degraded) as f64 / t.requests as f64
                },
                latency_ms: Latency::of(t),
                series: m.series.clone(),
            },
        );
    }

    let mut edges = BTreeMap::new();
    let mut breakers = BTreeMap::new();
    for (i, e) in topo.edges.iter().enumerate() {
        let m = &sim.books.edges()[i];
        let t = &m.run;
        let peak = m
            .series
            .iter()
            .enumerate()
            .filter(|(b, p)| *b >= first_bucket && p.started_calls > 0)
            .map(|(_, p)| p.started_attempts as f64 / p.started_calls as f64)
            .fold(0.0, f64::max);
        if t.requests == 0 && m.attempts == 0 && m.series.iter().all(|p| p.calls == 0) {
            continue;
        }
        edges.insert(
            e.name.clone(),
            EdgeReport {
                policy: e.policy.clone(),
                calls: t.requests,
                successes: t.successes,
                fallbacks: t.degraded,
                errors: t.failed(),
                errors_by_cause: by_cause(&t.errors),
                attempts: m.attempts,
                rejected_attempts: m.rejected_attempts,
                cross_zone_attempts: m.cross_zone_attempts,
                zone_failovers: m.zone_failovers,
                attempt_errors_by_cause: by_cause(&sim.books.attempt_errors()[i]),
                retries: m.retries,
                budget_exhausted: m.budget_exhausted,
                ejections: sim.books.ejections()[i],
                amplification: if t.requests == 0 {
                    0.0
                } else {
                    m.attempts as f64 / t.requests as f64
                },
                peak_amplification: peak,
                latency_ms: Latency::of(t),
                series: m.series.clone(),
            },
        );
        if e.breaker.is_some() {
            breakers.insert(
                e.name.clone(),
                BreakerReport {
                    replicas: topo.services[e.caller as usize].replicas,
                    transitions: sim
                        .books
                        .breaker_log()
                        .iter()
                        .filter(|c| c.edge == i as u32)
                        .map(|c| BreakerTransition {
                            at_s: c.transition.at as f64 / 1e9,
                            replica: c.replica,
                            from: c.transition.from.name().to_owned(),
                            to: c.transition.to.name().to_owned(),
                        })
                        .collect(),
                    series: sim.books.breaker_series()[i].clone(),
                },
            );
        }
    }

    let mut static_amp: BTreeMap<String, f64> = BTreeMap::new();
    for entry in amplification(scenario) {
        for (service, a) in entry.amplification {
            let x = static_amp.entry(service).or_insert(0.0);
            *x = x.max(a);
        }
    }
    let mut services = BTreeMap::new();
    for (s, svc) in topo.services.iter().enumerate() {
        let m = &sim.books.services()[s];
        let capacity = f64::from(svc.workers) * f64::from(svc.replicas);
        let measured_ns = measured_s * 1e9;
        services.insert(
            svc.name.clone(),
            ServiceReport {
                replicas: svc.replicas,
                peak_replicas: sim.fleet.peak_running()[s],
                workers: svc.workers,
                arrivals: m.arrivals,
                arrival_rate_per_s: m.arrivals as f64 / measured_s,
                shed: m.shed,
                mean_queue: m.area_queue as f64 / measured_ns,
                max_queue: m.max_queue,
                mean_in_system: (m.area_queue + m.area_busy) as f64 / measured_ns,
                utilisation: if capacity > 0.0 {
                    m.area_busy as f64 / measured_ns / capacity
                } else {
                    0.0
                },
                amplification: if m.original_arrivals == 0 {
                    if m.arrivals == 0 {
                        1.0
                    } else {
                        m.arrivals as f64
                    }
                } else {
                    m.arrivals as f64 / m.original_arrivals as f64
                },
                peak_amplification: m
                    .series
                    .iter()
                    .skip(first_bucket)
                    .filter(|p| p.caused_original > 0)
                    .map(|p| p.caused_arrivals as f64 / p.caused_original as f64)
                    .fold(1.0, f64::max),
                static_amplification: static_amp.get(&svc.name).copied(),
                series: m.series.clone(),
            },
        );
    }

    let mut topics = BTreeMap::new();
    for (i, sub) in topo.subscriptions.iter().enumerate() {
        let st = &sim.broker.subs()[i];
        topics.insert(
            sub.name.clone(),
            TopicReport {
                published: st.published,
                acknowledged: st.acked,
                lost: st.lost,
                redelivered: st.redelivered,
                lag: st.lag(),
                max_lag: st.max_lag,
                latency_ms: Latency::of(&st.latency),
                series: st.series.clone(),
            },
        );
    }

    let mut slos = BTreeMap::new();
    for (name, w) in sim.books.slo_windows() {
        let slo = &scenario.slos[name];
        let Some(ep) = endpoints.get(&slo.endpoint) else {
            continue;
        };
        let window_start = |b: usize| b as f64 * bucket_s;
        let mut objectives = Vec::new();
        if let Some(target) = slo.availability {
            objectives.push(Objective {
                metric: "availability".into(),
                target,
                actual: ep.availability,
                holds: ep.availability >= target,
                worst: w.worst_availability.map(|x| x.0),
                worst_window_start_s: w.worst_availability.map(|x| window_start(x.1)),
            });
        }
        for (k, (p, target)) in slo.latency_targets().into_iter().enumerate() {
            let actual = ep.latency_ms.at(p);
            let metric = if p == 99.9 {
                "latency_p999_ms".to_owned()
            } else {
                format!("latency_p{}_ms", p as u32)
            };
            let worst = w.worst_latency.get(k).copied().flatten();
            objectives.push(Objective {
                metric,
                target,
                actual,
                holds: actual <= target,
                worst: worst.map(|x| x.0),
                worst_window_start_s: worst.map(|x| window_start(x.1)),
            });
        }
        slos.insert(
            name.clone(),
            SloReport {
                endpoint: slo.endpoint.clone(),
                holds: objectives.iter().all(|o| o.holds),
                window_s: slo.window_s,
                objectives,
            },
        );
    }

    let mut capacity = BTreeMap::new();
    for (z, u) in sim.fleet.zone_use().iter().enumerate() {
        if u.peak_replicas == 0 {
            continue;
        }
        let name = topo.zones.get(z).map_or("(unplaced)", String::as_str);
        let cap = scenario.cluster.as_ref().and_then(|c| c.zones.get(name));
        let cpu_cap = cap.map(|c| u64::from(c.nodes) * u64::from(c.node_cpu_millis));
        let mem_cap = cap.map(|c| u64::from(c.nodes) * u64::from(c.node_memory_mib));
        capacity.insert(
            name.to_owned(),
            ZoneUsage {
                replicas: u.baseline.0,
                cpu_millis: u.baseline.1,
                memory_mib: u.baseline.2,
                peak_replicas: u.peak_replicas,
                peak_cpu_millis: u.peak_cpu_millis,
                peak_memory_mib: u.peak_memory_mib,
                peak_at_s: u.peak_at as f64 / 1e9,
                cpu_millis_capacity: cpu_cap,
                memory_mib_capacity: mem_cap,
                fits: cpu_cap.is_none_or(|c| u.peak_cpu_millis <= c)
                    && mem_cap.is_none_or(|c| u.peak_memory_mib <= c),
            },
        );
    }

    let first_fault_s = sim
        .fault_windows
        .iter()
        .map(|f| f.start_s)
        .min_by(f64::total_cmp);
    let duration_s = sim.horizon as f64 / 1e9;
    let mut alerts = BTreeMap::new();
    for (name, rule) in &scenario.alerts {
        let Some(ep) = topo.endpoint(&rule.endpoint) else {
            continue;
        };
        let firings = alert::firings(
            &sim.books.endpoints()[ep as usize].series,
            bucket_s,
            duration_s,
            first_bucket,
            rule.metric,
            rule.above,
            rule.for_s,
        );
        alerts.insert(name.clone(), alert::report(rule, firings, first_fault_s));
    }

    let in_flight = sim.roots_in_flight();
    let r = sim.books.roots();
    let conservation = Conservation {
        generated: r.generated,
        succeeded: r.succeeded,
        degraded: r.degraded,
        failed: r.failed,
        in_flight,
        holds: r.generated == r.succeeded + r.degraded + r.failed + in_flight,
    };

    let mut report = SimReport {
        scenario: sim.scenario_name.clone(),
        experiment: sim.experiment_name.clone(),
        seed: sim.seed,
        duration_s,
        warmup_s: sim.warmup as f64 / 1e9,
        bucket_s,
        events: sim.events,
        passed: false,
        cut_short: sim.interrupted().map(|(why, at)| CutShort {
            at_s: at as f64 / 1e9,
            reason: match why {
                crate::Stop::Deadline => "deadline",
                crate::Stop::Cancelled => "cancelled",
            }
            .to_owned(),
        }),
        vacuous: None,
        conservation,
        expectations: Vec::new(),
        slos,
        alerts,
        endpoints,
        edges,
        services,
        topics,
        breakers,
        capacity,
        rollouts: sim.rollouts.events().to_vec(),
        faults: sim.fault_windows.clone(),
        peak_requests_in_flight: sim.peak_slots().0 as u64,
        peak_calls_in_flight: sim.peak_slots().1 as u64,
    };
    let mut conservation_passes = report.conservation.holds;
    if let Some(e) = scenario.experiments.get(&sim.experiment_name) {
        report.expectations =
            expectations(&report, &scenario.judged(e), &scenario.expected_verdicts);
        report.vacuous = vacuity(&report, e);
        if let Some(v) =
            scenario.expected_verdict(&Judged::Conservation.check_id(&sim.experiment_name))
        {
            conservation_passes = v.met_by(report.conservation.holds);
        }
    }
    report.passed = conservation_passes
        && report.expectations.iter().all(ExpectationReport::passes)
        && report.cut_short.is_none()
        && report.vacuous.is_none();
    report
}
