//! The runtime topology: a [`Scenario`] compiled into dense, index-addressed tables the engine
//! walks without hashing — services and their replicas (the deployment, P), endpoints with their
//! work samplers and call steps (S, I), call edges with their resilience policies converted to
//! nanoseconds through `model::resilience` (C), per-link latency and loss (N), and topic
//! subscriptions by consumer group (I).
//!
//! Every name is resolved here, once; the hot path only sees `u32` indices.
//!
//! A service rolled out blue-green or by canary gets two sets of replica slots, the second
//! placed like the first: the old and the new version run side by side during a rollout, so
//! both need their own replicas (and their own per-caller policy state) from the start.

use std::collections::BTreeMap;

use microcosm_model::resilience::{BreakerParams, BudgetParams, RetryParams, ms_to_units};
use microcosm_model::{
    CallStep, Delivery, DeploymentStrategy, EdgePattern, LoadBalancer, Locality, PolicyDefault,
    Scenario,
};

use crate::error::{Error, ErrorKind};
use crate::sampler::{NS_PER_MS, Sampler, ms_to_ns};

/// No zone: a replica of a deployment that names none.
pub const NO_ZONE: u16 = u16::MAX;

/// A service and where its replicas sit in the replica table.
#[derive(Debug, Clone)]
pub struct ServiceRt {
    /// The service's name in the scenario.
    pub name: String,
    /// Index in [`Topology::replicas`] of its first replica slot; its slots follow contiguously.
    pub first_replica: u32,
    /// Replicas deployed (one set).
    pub replicas: u32,
    /// Slots in the replica table: `replicas`, or two sets of them for blue-green and canary
    /// rollouts (set `k` holds slots `k·replicas..(k+1)·replicas`).
    pub slots: u32,
    /// How callers weigh the replicas' zones (`Locality::Any` when the deployment places its
    /// replicas in no zone).
    pub locality: Locality,
    /// Replicas of one set in each zone, by zone id (empty when unplaced): a zone's share of
    /// the callers in Envoy's spill-over.
    pub zone_replicas: Vec<u32>,
    /// What one replica requests: thousandths of a core (0 when not given).
    pub cpu_millis: u32,
    /// What one replica requests: memory in MiB (0 when not given).
    pub memory_mib: u32,
    /// Requests one replica works on at once (at least 1).
    pub workers: u32,
    /// Requests one replica holds waiting for a worker; more are shed.
    pub queue_capacity: u32,
    /// How callers pick among the replicas.
    pub load_balancer: LoadBalancer,
    /// How a `deploy` fault rolls the service out (rolling, blue-green or canary).
    pub strategy: DeploymentStrategy,
}

/// One replica: its service and zone.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaRt {
    /// Its service's index in [`Topology::services`].
    pub service: u32,
    /// Its zone's index in [`Topology::zones`], or [`NO_ZONE`].
    pub zone: u16,
    /// Index among its service's replica slots.
    pub local: u32,
}

/// One downstream call of an endpoint's step.
#[derive(Debug, Clone, Copy)]
pub struct CallRt {
    /// The edge (caller service -> callee service) whose policy the call goes through.
    pub edge: u32,
    /// The called endpoint's index in [`Topology::endpoints`].
    pub callee: u32,
    /// Chance, in [0, 1], that a request makes this call at all.
    pub probability: f64,
}

/// An endpoint: `"service.endpoint"`.
#[derive(Debug, Clone)]
pub struct EndpointRt {
    /// `"service.endpoint"`.
    pub name: String,
    /// Its service's index in [`Topology::services`].
    pub service: u32,
    /// The time a worker spends on one request, in nanoseconds, calls excluded.
    pub work: Sampler,
    /// Steps run in order; the calls of one step run in parallel and the next step starts when
    /// all have answered.
    pub steps: Vec<Vec<CallRt>>,
    /// Topics (indices in [`Topology::topics`]) it publishes to when it answers without error.
    pub publishes: Vec<u32>,
    /// Whether clients outside the mesh call it (an entry point).
    pub public: bool,
}

/// A call edge `caller -> callee` with its policy in nanoseconds.
#[derive(Debug, Clone)]
pub struct EdgeRt {
    /// `"caller -> callee"`, by service name.
    pub name: String,
    /// The calling service's index in [`Topology::services`].
    pub caller: u32,
    /// The called service's index in [`Topology::services`].
    pub callee: u32,
    /// The policy key that applies, if any.
    pub policy: Option<String>,
    /// Per-attempt timeout, ns.
    pub timeout: Option<u64>,
    /// Overall deadline of a call across its attempts, ns.
    pub deadline: Option<u64>,
    /// Retry policy (no retries when the policy gives none).
    pub retry: RetryParams,
    /// Retry budget, if the retry policy has one.
    pub budget: Option<BudgetParams>,
    /// Circuit breaker, one per caller replica.
    pub breaker: Option<BreakerParams>,
    /// (most concurrent calls per caller replica, longest wait for a slot in ns).
    pub bulkhead: Option<(u32, u64)>,
    /// (calls per period, period, longest wait for a permit), times in ns.
    pub rate_limit: Option<(u32, u64, u64)>,
    /// Time taken to produce the degraded answer, ns.
    pub fallback: Option<u64>,
    /// (consecutive errors, base ejection time in ns, max ejection percent).
    pub outlier: Option<(u32, u64, f64)>,
    /// One-way network delay of each message, ns (the link's, else the network default);
    /// cross-zone latency is added on top.
    pub latency: Sampler,
    /// Chance, in [0, 1], that the network loses one message (request or answer).
    pub loss: f64,
    /// The mesh's security policy denies this call.
    pub denied: bool,
}

/// A consumer group subscribed to a topic.
#[derive(Debug, Clone)]
pub struct SubscriptionRt {
    /// `"topic / group"`.
    pub name: String,
    /// The topic's index in [`Topology::topics`].
    pub topic: u32,
    /// Handler endpoint of each member service, in name order.
    pub handlers: Vec<u32>,
    /// At-most-once (a failed delivery is lost) or at-least-once (redelivered).
    pub delivery: Delivery,
}

/// The compiled scenario.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Services, in name order; a service's index is its id.
    pub services: Vec<ServiceRt>,
    /// Every replica slot of every service, each service's slots contiguous.
    pub replicas: Vec<ReplicaRt>,
    /// Endpoints of every service, in service then endpoint name order.
    pub endpoints: Vec<EndpointRt>,
    /// One per (caller service, callee service) pair that some endpoint calls.
    pub edges: Vec<EdgeRt>,
    /// Zone names: the network's, then any only deployments name; a zone's index is its id.
    pub zones: Vec<String>,
    /// Topic names, in name order.
    pub topics: Vec<String>,
    /// Subscriptions of each topic.
    pub topic_subscriptions: Vec<Vec<u32>>,
    /// Consumer groups of every topic.
    pub subscriptions: Vec<SubscriptionRt>,
    /// Extra one-way delay of a message between replicas in two different zones, ns (0 when
    /// not given).
    pub cross_zone: Sampler,
    /// One-way network delay where no link says otherwise, ns (0.5 ms when not given).
    pub default_latency: Sampler,
}

impl Topology {
    /// Compiles `scenario`, which must have loaded and validated.
    pub fn new(scenario: &Scenario) -> Result<Topology, Error> {
        let mut zones: Vec<String> = scenario.network.zones.clone();
        let mut services = Vec::new();
        let mut replicas = Vec::new();
        let service_ids: BTreeMap<&str, u32> = scenario
            .services
            .keys()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        for (id, name) in scenario.services.keys().enumerate() {
            let d = scenario.deployment_of(name);
            let first = replicas.len() as u32;
            let sets = match d.strategy {
                DeploymentStrategy::Rolling { .. } => 1,
                DeploymentStrategy::BlueGreen { .. } | DeploymentStrategy::Canary { .. } => 2,
            };
            for local in 0..d.replicas * sets {
                let zone = if d.zones.is_empty() {
                    NO_ZONE
                } else {
                    let z = &d.zones[(local % d.replicas) as usize % d.zones.len()];
                    match zones.iter().position(|x| x == z) {
                        Some(i) => i as u16,
                        None => {
                            zones.push(z.clone());
                            (zones.len() - 1) as u16
                        }
                    }
                };
                replicas.push(ReplicaRt {
                    service: id as u32,
                    zone,
                    local,
                });
            }
            services.push(ServiceRt {
                name: name.clone(),
                first_replica: first,
                replicas: d.replicas,
                slots: d.replicas * sets,
                locality: if d.zones.is_empty() {
                    Locality::Any
                } else {
                    d.locality
                },
                cpu_millis: scenario.services[name].resources.cpu_millis.unwrap_or(0),
                memory_mib: scenario.services[name].resources.memory_mib.unwrap_or(0),
                workers: d.workers.max(1),
                queue_capacity: d.queue_capacity,
                load_balancer: d.load_balancer,
                strategy: d.strategy.clone(),
                zone_replicas: Vec::new(),
            });
        }
        // Zone ids are known only once every deployment has been read.
        for svc in &mut services {
            if replicas[svc.first_replica as usize].zone == NO_ZONE {
                continue;
            }
            svc.zone_replicas = vec![0; zones.len()];
            for r in
                &replicas[svc.first_replica as usize..(svc.first_replica + svc.replicas) as usize]
            {
                svc.zone_replicas[usize::from(r.zone)] += 1;
            }
        }

        let mut endpoint_ids: BTreeMap<String, u32> = BTreeMap::new();
        for (i, (s, e, _)) in scenario.endpoints().enumerate() {
            endpoint_ids.insert(format!("{s}.{e}"), i as u32);
        }
        let topic_ids: BTreeMap<&str, u32> = scenario
            .topics
            .keys()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();

        let default_latency = scenario
            .network
            .latency
            .as_ref()
            .map_or(Sampler::Constant(ms_to_ns(0.5)), Sampler::new);
        let cross_zone = scenario
            .network
            .cross_zone_latency
            .as_ref()
            .map_or(Sampler::Constant(0), Sampler::new);
        let links: Vec<(EdgePattern, &microcosm_model::Link)> = scenario
            .network
            .links
            .iter()
            .filter_map(|(k, l)| EdgePattern::parse(k).ok().map(|p| (p, l)))
            .collect();
        let security = scenario.network.security.as_ref();
        let allow: Vec<EdgePattern> = security
            .map(|s| {
                s.allow
                    .iter()
                    .filter_map(|a| EdgePattern::parse(a).ok())
                    .collect()
            })
            .unwrap_or_default();

        let mut edges: Vec<EdgeRt> = Vec::new();
        let mut edge_ids: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        let mut endpoints = Vec::new();
        for (s, e, ep) in scenario.endpoints() {
            let service = service_ids[s];
            let mut steps = Vec::new();
            for step in &ep.calls {
                let mut calls = Vec::new();
                for call in step.calls() {
                    let Some(&callee) = endpoint_ids.get(&call.endpoint) else {
                        return Err(Error::new(ErrorKind::Scenario(format!(
                            "{s}.{e} calls `{}`, which is not an endpoint",
                            call.endpoint
                        ))));
                    };
                    let callee_service = call.endpoint.split_once('.').map_or("", |(c, _)| c);
                    let callee_id = service_ids[callee_service];
                    let edge = *edge_ids.entry((service, callee_id)).or_insert_with(|| {
                        edges.push(compile_edge(
                            scenario,
                            s,
                            callee_service,
                            service,
                            callee_id,
                            &default_latency,
                            &links,
                            security.map(|p| p.default),
                            &allow,
                        ));
                        (edges.len() - 1) as u32
                    });
                    calls.push(CallRt {
                        edge,
                        callee,
                        probability: call.probability,
                    });
                }
                if matches!(step, CallStep::Parallel(_)) || !calls.is_empty() {
                    steps.push(calls);
                }
            }
            let publishes = ep
                .publishes
                .iter()
                .filter_map(|t| topic_ids.get(t.as_str()).copied())
                .collect();
            endpoints.push(EndpointRt {
                name: format!("{s}.{e}"),
                service,
                work: Sampler::new(&ep.work),
                steps,
                publishes,
                public: ep.public,
            });
        }

        // Consumer groups: each group of a topic receives every event once.
        let mut groups: BTreeMap<(u32, String), Vec<u32>> = BTreeMap::new();
        for (s, svc) in &scenario.services {
            for (topic, spec) in &svc.consumes {
                let (Some(&t), Some(&h)) = (
                    topic_ids.get(topic.as_str()),
                    endpoint_ids.get(&format!("{s}.{}", spec.handler)),
                ) else {
                    continue;
                };
                let group = spec.group.clone().unwrap_or_else(|| s.clone());
                groups.entry((t, group)).or_default().push(h);
            }
        }
        let topics: Vec<String> = scenario.topics.keys().cloned().collect();
        let mut topic_subscriptions = vec![Vec::new(); topics.len()];
        let mut subscriptions = Vec::new();
        for ((t, group), handlers) in groups {
            topic_subscriptions[t as usize].push(subscriptions.len() as u32);
            subscriptions.push(SubscriptionRt {
                name: format!("{} / {group}", topics[t as usize]),
                topic: t,
                handlers,
                delivery: scenario.topics[&topics[t as usize]].delivery,
            });
        }

        Ok(Topology {
            services,
            replicas,
            endpoints,
            edges,
            zones,
            topics,
            topic_subscriptions,
            subscriptions,
            cross_zone,
            default_latency,
        })
    }

    /// The id of service `name`.
    pub fn service(&self, name: &str) -> Option<u32> {
        self.services
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// The id of endpoint `"service.endpoint"`.
    pub fn endpoint(&self, name: &str) -> Option<u32> {
        self.endpoints
            .iter()
            .position(|e| e.name == name)
            .map(|i| i as u32)
    }

    /// The id of zone `name`.
    pub fn zone(&self, name: &str) -> Option<u16> {
        self.zones.iter().position(|z| z == name).map(|i| i as u16)
    }
}

#[allow(clippy::too_many_arguments)]
fn compile_edge(
    scenario: &Scenario,
    caller: &str,
    callee: &str,
    caller_id: u32,
    callee_id: u32,
    default_latency: &Sampler,
    links: &[(EdgePattern, &microcosm_model::Link)],
    security_default: Option<PolicyDefault>,
    allow: &[EdgePattern],
) -> EdgeRt {
    let policy = scenario.policy_for(caller, callee);
    let p = policy.map(|(_, p)| p);
    let retry = p
        .and_then(|p| p.retry.as_ref())
        .map_or_else(RetryParams::none, |r| {
            RetryParams::from_config(r, NS_PER_MS)
        });
    let budget = p
        .and_then(|p| p.retry.as_ref())
        .and_then(|r| r.budget.as_ref())
        .map(|b| BudgetParams::from_config(b, NS_PER_MS));
    let link = links
        .iter()
        .filter(|(pat, _)| pat.matches(caller, callee))
        .max_by_key(|(pat, _)| pat.specificity())
        .map(|(_, l)| *l);
    let latency = link
        .and_then(|l| l.latency.as_ref())
        .map_or_else(|| default_latency.clone(), Sampler::new);
    let loss = link
        .and_then(|l| l.loss)
        .unwrap_or(scenario.network.loss)
        .clamp(0.0, 1.0);
    let denied = security_default == Some(PolicyDefault::Deny)
        && !allow.iter().any(|a| a.matches(caller, callee));
    let positive = |ms: f64| (ms > 0.0).then(|| ms_to_units(ms, NS_PER_MS));
    EdgeRt {
        name: format!("{caller} -> {callee}"),
        caller: caller_id,
        callee: callee_id,
        policy: policy.map(|(k, _)| k.to_owned()),
        timeout: p.and_then(|p| p.timeout_ms).and_then(positive),
        deadline: p.and_then(|p| p.deadline_ms).and_then(positive),
        retry,
        budget,
        breaker: p
            .and_then(|p| p.circuit_breaker.as_ref())
            .map(|c| BreakerParams::from_config(c, NS_PER_MS)),
        bulkhead: p.and_then(|p| p.bulkhead.as_ref()).map(|b| {
            (
                b.max_concurrent_calls,
                ms_to_units(b.max_wait_ms, NS_PER_MS),
            )
        }),
        rate_limit: p.and_then(|p| p.rate_limit.as_ref()).map(|r| {
            (
                r.limit_for_period,
                ms_to_units(r.limit_refresh_period_ms, NS_PER_MS).max(1),
                ms_to_units(r.timeout_ms, NS_PER_MS),
            )
        }),
        fallback: p
            .and_then(|p| p.fallback.as_ref())
            .map(|f| ms_to_units(f.latency_ms, NS_PER_MS)),
        outlier: p.and_then(|p| p.outlier_detection.as_ref()).map(|o| {
            (
                o.consecutive_errors.max(1),
                ms_to_units(o.base_ejection_time_ms, NS_PER_MS),
                o.max_ejection_fraction,
            )
        }),
        latency,
        loss,
        denied,
    }
}
