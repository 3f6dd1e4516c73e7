//! Service-level analysis from the declared calls and events, for any scenario: synchronous
//! call cycles between services, fan-in, fan-out and instability, data stores written by more
//! than one service, the longest synchronous call chain per entry endpoint, the blast radius of
//! each service given the declared fallbacks, single points of failure, and topics whose
//! consumers read fields the producers do not write.
//!
//! Entry endpoints are the `public` ones; a scenario that marks none public has as entries the
//! endpoints nothing calls and no topic triggers.
//!
//! Failure propagation (blast radius): when a service is down, its endpoints fail; an endpoint
//! fails when one of its synchronous calls goes to a failing endpoint over an edge whose policy
//! has no `fallback`. Events do not propagate failure: a broker decouples producer from
//! consumer. Calls made with a probability below 1 count: some requests fail.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::{Finding, Severity, rules};
use crate::scenario::{CallStep, Scenario};
use crate::source::Pointer;

/// Figures per service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceProfile {
    /// The service.
    pub name: String,
    /// The monolith functions it declares.
    pub functions: Vec<String>,
    /// Services that call it synchronously (afferent coupling, Ca).
    pub fan_in: usize,
    /// Services it calls synchronously (efferent coupling, Ce).
    pub fan_out: usize,
    /// Services whose events it consumes.
    pub async_in: usize,
    /// Services that consume its events.
    pub async_out: usize,
    /// Martin's instability `I = Ce / (Ca + Ce)` on synchronous calls; `None` for a service
    /// with no synchronous coupling.
    pub instability: Option<f64>,
    /// Replicas deployed.
    pub replicas: u32,
    /// Zones the replicas are spread over.
    pub zones: Vec<String>,
    /// Entry endpoints that fail when this service is down.
    pub blast_radius: Vec<String>,
}

/// An endpoint as `(service, endpoint)`.
type EndpointId<'a> = (&'a str, &'a str);

/// The synchronous endpoint call graph.
struct Calls<'a> {
    endpoints: Vec<EndpointId<'a>>,
    index: BTreeMap<EndpointId<'a>, usize>,
    /// Per endpoint: `(callee, step, position in a parallel group)`.
    out: Vec<Vec<(usize, usize, Option<usize>)>>,
}

impl<'a> Calls<'a> {
    fn new(scenario: &'a Scenario) -> Calls<'a> {
        let endpoints: Vec<EndpointId<'a>> = scenario.endpoints().map(|(s, e, _)| (s, e)).collect();
        let index: BTreeMap<EndpointId<'a>, usize> = endpoints
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i))
            .collect();
        let mut out = vec![Vec::new(); endpoints.len()];
        for (i, (_, _, ep)) in scenario.endpoints().enumerate() {
            for (step_index, step) in ep.calls.iter().enumerate() {
                let parallel = matches!(step, CallStep::Parallel(_));
                for (j, call) in step.calls().iter().enumerate() {
                    if let Some((s, e)) = call.endpoint.split_once('.')
                        && let Some(&callee) = index.get(&(s, e))
                    {
                        out[i].push((callee, step_index, parallel.then_some(j)));
                    }
                }
            }
        }
        Calls {
            endpoints,
            index,
            out,
        }
    }

    fn name(&self, i: usize) -> String {
        format!("{}.{}", self.endpoints[i].0, self.endpoints[i].1)
    }

    fn call_pointer(&self, i: usize, step: usize, within: Option<usize>) -> Pointer {
        let (s, e) = self.endpoints[i];
        let p = endpoint_pointer(s, e).key("calls").index(step);
        match within {
            Some(j) => p.index(j),
            None => p,
        }
    }
}

fn endpoint_pointer(service: &str, endpoint: &str) -> Pointer {
    Pointer::root()
        .key("services")
        .key(service)
        .key("endpoints")
        .key(endpoint)
}

/// The entry endpoints: public ones, or when none is public, those nothing calls or triggers.
pub fn entry_endpoints(scenario: &Scenario) -> Vec<(String, String)> {
    let public: Vec<(String, String)> = scenario
        .endpoints()
        .filter(|(_, _, ep)| ep.public)
        .map(|(s, e, _)| (s.to_owned(), e.to_owned()))
        .collect();
    if !public.is_empty() {
        return public;
    }
    let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
    for (_, _, ep) in scenario.endpoints() {
        for call in ep.calls.iter().flat_map(CallStep::calls) {
            if let Some((s, e)) = call.endpoint.split_once('.') {
                reached.insert((s.to_owned(), e.to_owned()));
            }
        }
    }
    for (s, svc) in &scenario.services {
        for consumer in svc.consumes.values() {
            reached.insert((s.clone(), consumer.handler.clone()));
        }
    }
    scenario
        .endpoints()
        .map(|(s, e, _)| (s.to_owned(), e.to_owned()))
        .filter(|id| !reached.contains(id))
        .collect()
}

/// Service-level figures and findings.
pub fn analyze(scenario: &Scenario, max_chain: usize) -> (Vec<ServiceProfile>, Vec<Finding>) {
    let calls = Calls::new(scenario);
    let entries: Vec<usize> = entry_endpoints(scenario)
        .iter()
        .filter_map(|(s, e)| calls.index.get(&(s.as_str(), e.as_str())).copied())
        .collect();
    let mut findings = Vec::new();
    findings.extend(sync_cycles(scenario, &calls));
    findings.extend(shared_databases(scenario));
    findings.extend(longest_chains(&calls, &entries, max_chain));
    findings.extend(topic_schemas(scenario));

    // Counts per service, each from one pass over the edges: counting them per service was
    // quadratic in the number of services.
    let mut fan_in: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fan_out: BTreeMap<&str, usize> = BTreeMap::new();
    let edges = scenario.call_edges();
    for (a, b) in edges.iter().filter(|(a, b)| a != b) {
        *fan_out.entry(a).or_default() += 1;
        *fan_in.entry(b).or_default() += 1;
    }
    let mut consumers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (consumer, svc) in &scenario.services {
        for topic in svc.consumes.keys() {
            consumers.entry(topic).or_default().push(consumer);
        }
    }
    let mut async_edges: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (producer, _, ep) in scenario.endpoints() {
        for topic in &ep.publishes {
            for &consumer in consumers.get(topic.as_str()).into_iter().flatten() {
                if consumer != producer {
                    async_edges.insert((producer, consumer));
                }
            }
        }
    }
    let mut async_in: BTreeMap<&str, usize> = BTreeMap::new();
    let mut async_out: BTreeMap<&str, usize> = BTreeMap::new();
    for &(p, c) in &async_edges {
        *async_out.entry(p).or_default() += 1;
        *async_in.entry(c).or_default() += 1;
    }
    let mut own_endpoints: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, &(service, _)) in calls.endpoints.iter().enumerate() {
        own_endpoints.entry(service).or_default().push(i);
    }
    let callers = failure_callers(scenario, &calls);
    // Each entry endpoint's place in `entries`, which orders blast radii.
    let mut entry_rank: Vec<Option<usize>> = vec![None; calls.endpoints.len()];
    for (rank, &e) in entries.iter().enumerate() {
        entry_rank[e].get_or_insert(rank);
    }
    let mut fails = vec![false; calls.endpoints.len()];
    let mut failed = Vec::new();
    let zones_known = known_zones(scenario);
    let mut profiles = Vec::new();
    for (name, svc) in &scenario.services {
        let fan_in = fan_in.get(name.as_str()).copied().unwrap_or(0);
        let fan_out = fan_out.get(name.as_str()).copied().unwrap_or(0);
        let deployment = scenario.deployment_of(name);
        let own = own_endpoints
            .get(name.as_str())
            .map_or(&[][..], Vec::as_slice);
        blast_radius(&calls, &callers, own, &mut failed, &mut fails);
        // In the entries' order, as before; only the failed entries are looked at.
        let mut hit: Vec<usize> = failed.iter().filter_map(|&e| entry_rank[e]).collect();
        hit.sort_unstable();
        let blast: Vec<String> = hit.iter().map(|&rank| calls.name(entries[rank])).collect();
        if !blast.is_empty() {
            findings.push(Finding::new(
                rules::BLAST_RADIUS,
                Severity::Info,
                Pointer::root().key("services").key(name),
                format!(
                    "when `{name}` is down, {} of {} entry endpoint{} {}: {}",
                    blast.len(),
                    entries.len(),
                    if entries.len() == 1 { "" } else { "s" },
                    if blast.len() == 1 { "fails" } else { "fail" },
                    blast.join(", ")
                ),
            ));
            let single_replica = deployment.replicas <= 1;
            let single_zone = zones_known >= 2 && deployment.zones.len() == 1;
            if single_replica || single_zone {
                let why = if single_replica {
                    "runs one replica".to_owned()
                } else {
                    format!(
                        "runs all {} replicas in zone `{}`",
                        deployment.replicas, deployment.zones[0]
                    )
                };
                let path = if scenario.deployment.contains_key(name) {
                    Pointer::root().key("deployment").key(name)
                } else {
                    Pointer::root().key("services").key(name)
                };
                findings.push(
                    Finding::new(
                        rules::SINGLE_POINT_OF_FAILURE,
                        Severity::Warning,
                        path,
                        format!(
                            "`{name}` {why} and no fallback covers it: losing it fails {}",
                            blast.join(", ")
                        ),
                    )
                    .with_help(
                        "run more replicas across zones, or give its callers a `fallback` policy",
                    ),
                );
            }
        }
        profiles.push(ServiceProfile {
            name: name.clone(),
            functions: svc.functions.clone(),
            fan_in,
            fan_out,
            async_in: async_in.get(name.as_str()).copied().unwrap_or(0),
            async_out: async_out.get(name.as_str()).copied().unwrap_or(0),
            instability: (fan_in + fan_out > 0).then(|| fan_out as f64 / (fan_in + fan_out) as f64),
            replicas: deployment.replicas,
            zones: deployment.zones,
            blast_radius: blast,
        });
    }
    (profiles, findings)
}

/// Zones the scenario knows of: the network's and the cluster's.
pub(crate) fn known_zones(scenario: &Scenario) -> usize {
    let mut zones: BTreeSet<&str> = scenario.network.zones.iter().map(String::as_str).collect();
    if let Some(cluster) = &scenario.cluster {
        zones.extend(cluster.zones.keys().map(String::as_str));
    }
    zones.len()
}

/// Cycles of synchronous calls between different services (a cycle inside one service's
/// endpoints is a validation error already).
fn sync_cycles(scenario: &Scenario, calls: &Calls) -> Vec<Finding> {
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let mut node: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for name in scenario.services.keys() {
        node.insert(name, graph.add_node(name));
    }
    for (a, b) in scenario.call_edges() {
        if a != b
            && let (Some(&x), Some(&y)) = (node.get(a.as_str()), node.get(b.as_str()))
        {
            graph.update_edge(x, y, ());
        }
    }
    let mut out = Vec::new();
    for component in tarjan_scc(&graph) {
        if component.len() < 2 {
            continue;
        }
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let start = *component
            .iter()
            .min_by_key(|n| graph[**n])
            .expect("non-empty");
        let cycle = shortest_cycle(&graph, start, &members);
        let names: Vec<&str> = cycle
            .iter()
            .chain(std::iter::once(&start))
            .map(|n| graph[*n])
            .collect();
        let (first, second) = (names[0], names[1]);
        // Point at the first call from the first service to the second.
        let path = (0..calls.endpoints.len())
            .filter(|&i| calls.endpoints[i].0 == first)
            .find_map(|i| {
                calls.out[i]
                    .iter()
                    .find(|(c, _, _)| calls.endpoints[*c].0 == second)
                    .map(|&(_, step, within)| calls.call_pointer(i, step, within))
            })
            .unwrap_or_else(|| Pointer::root().key("services").key(first));
        let others: Vec<&str> = component
            .iter()
            .map(|n| graph[*n])
            .filter(|n| !names.contains(n))
            .collect();
        let mut message = format!(
            "services call each other synchronously in a cycle: {}",
            names.join(" → ")
        );
        if !others.is_empty() {
            message.push_str(&format!(
                " (the cycle's component also holds {})",
                others.join(", ")
            ));
        }
        out.push(
            Finding::new(rules::SYNC_CYCLE, Severity::Error, path, message)
                .at_value()
                .with_help("services in a call cycle cannot be deployed, scaled or failed independently; replace one call with an event"),
        );
    }
    out
}

/// The nodes of a shortest cycle through `start` within `members`, beginning with `start`.
fn shortest_cycle<N>(
    graph: &DiGraph<N, ()>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph.neighbors(n).collect();
        next.sort();
        for m in next {
            if m == start {
                let mut path = vec![n];
                let mut cur = n;
                while let Some(&p) = parent.get(&cur) {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return path;
            }
            if members.contains(&m) && !parent.contains_key(&m) {
                parent.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    vec![start]
}

fn shared_databases(scenario: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, spec) in &scenario.data_stores {
        let writers: Vec<&str> = scenario
            .services
            .iter()
            .filter(|(_, s)| s.data.get(store).is_some_and(|a| a.writes()))
            .map(|(n, _)| n.as_str())
            .collect();
        if writers.len() > 1 {
            let owner = spec
                .owner
                .as_deref()
                .map(|o| format!(" (owner: `{o}`)"))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    rules::SHARED_DATABASE,
                    Severity::Warning,
                    Pointer::root().key("data_stores").key(store),
                    format!(
                        "data store `{store}` is written by {} services: {}{owner}",
                        writers.len(),
                        writers.join(", ")
                    ),
                )
                .with_help(
                    "give the store one writer and let the others go through its API or events",
                ),
            );
        }
    }
    out
}

/// Longest synchronous chain (in calls) from each entry endpoint.
fn longest_chains(calls: &Calls, entries: &[usize], max_chain: usize) -> Vec<Finding> {
    // Memoised longest path on the endpoint DAG; an endpoint on the current path counts as a
    // leaf, so an (invalid) cycle cannot recurse forever.
    fn depth(
        v: usize,
        calls: &Calls,
        memo: &mut Vec<Option<(usize, Option<usize>)>>,
        on_path: &mut Vec<bool>,
    ) -> usize {
        if let Some((d, _)) = memo[v] {
            return d;
        }
        on_path[v] = true;
        let mut best = (0, None);
        for &(c, _, _) in &calls.out[v] {
            if on_path[c] {
                continue;
            }
            let d = depth(c, calls, memo, on_path) + 1;
            if d > best.0 {
                best = (d, Some(c));
            }
        }
        on_path[v] = false;
        memo[v] = Some(best);
        best.0
    }
    let n = calls.endpoints.len();
    let mut memo = vec![None; n];
    let mut on_path = vec![false; n];
    let mut out = Vec::new();
    for &e in entries {
        let d = depth(e, calls, &mut memo, &mut on_path);
        let mut chain = vec![calls.name(e)];
        let mut cur = e;
        while let Some((_, Some(next))) = memo[cur] {
            chain.push(calls.name(next));
            cur = next;
        }
        let severity = if d > max_chain {
            Severity::Warning
        } else {
            Severity::Info
        };
        let (s, ep) = calls.endpoints[e];
        let mut finding = Finding::new(
            rules::LONGEST_CHAIN,
            severity,
            endpoint_pointer(s, ep),
            format!(
                "longest synchronous chain from `{}`: {d} call{}{}",
                calls.name(e),
                if d == 1 { "" } else { "s" },
                if d > 0 {
                    format!(", {}", chain.join(" → "))
                } else {
                    String::new()
                }
            ),
        );
        if d > max_chain {
            finding = finding.with_help(format!(
                "more than {max_chain} synchronous hops multiply latency and failure; make a step asynchronous"
            ));
        }
        out.push(finding);
    }
    out
}

/// Per endpoint, the endpoints that call it over an edge no `fallback` covers: the ways a
/// failure climbs. Built once, so each service's blast radius costs only the endpoints it can
/// reach (walking every endpoint for every service made `analyze` quadratic).
fn failure_callers(scenario: &Scenario, calls: &Calls) -> Vec<Vec<usize>> {
    let mut covered_cache: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    let mut callers = vec![Vec::new(); calls.endpoints.len()];
    for (v, out) in calls.out.iter().enumerate() {
        let caller = calls.endpoints[v].0;
        for &(c, _, _) in out {
            let callee = calls.endpoints[c].0;
            let covered = *covered_cache.entry((caller, callee)).or_insert_with(|| {
                scenario
                    .policy_for(caller, callee)
                    .is_some_and(|(_, p)| p.fallback.is_some())
            });
            if !covered {
                callers[c].push(v);
            }
        }
    }
    callers
}

/// Which endpoints fail when `down` is: its own, and every endpoint with a path of uncovered
/// calls to one of them (found backwards from `down`'s endpoints).
fn blast_radius(
    calls: &Calls,
    callers: &[Vec<usize>],
    own: &[usize],
    failed: &mut Vec<usize>,
    fails: &mut [bool],
) {
    for &v in failed.iter() {
        fails[v] = false;
    }
    failed.clear();
    let mut stack: Vec<usize> = own.to_vec();
    for &v in own {
        fails[v] = true;
        failed.push(v);
    }
    debug_assert!(own.iter().all(|&v| v < calls.endpoints.len()));
    while let Some(v) = stack.pop() {
        for &caller in &callers[v] {
            if !fails[caller] {
                fails[caller] = true;
                failed.push(caller);
                stack.push(caller);
            }
        }
    }
}

fn topic_schemas(scenario: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    let published: BTreeSet<&str> = scenario
        .endpoints()
        .flat_map(|(_, _, ep)| ep.publishes.iter().map(String::as_str))
        .collect();
    for (name, topic) in &scenario.topics {
        let consumers: Vec<&str> = scenario
            .services
            .iter()
            .filter(|(_, s)| s.consumes.contains_key(name))
            .map(|(n, _)| n.as_str())
            .collect();
        if !consumers.is_empty() && !published.contains(name.as_str()) {
            out.push(
                Finding::new(
                    rules::TOPIC_NO_PRODUCER,
                    Severity::Warning,
                    Pointer::root().key("topics").key(name),
                    format!(
                        "topic `{name}` is consumed by {} but no endpoint publishes it",
                        consumers.join(", ")
                    ),
                )
                .with_help("add it to the `publishes` of the endpoint that emits it"),
            );
        }
        if topic.schema.is_empty() {
            continue;
        }
        for consumer in consumers {
            let spec = &scenario.services[consumer].consumes[name];
            let mut problems = Vec::new();
            let mut first_bad = None;
            for (field, wanted) in &spec.fields {
                let problem = match topic.schema.get(field) {
                    None => Some(format!("`{field}` is not in the schema")),
                    Some(written) if written != wanted => Some(format!(
                        "`{field}` is read as {} but written as {}",
                        type_name(*wanted),
                        type_name(*written)
                    )),
                    Some(_) => None,
                };
                if let Some(p) = problem {
                    first_bad.get_or_insert(field.as_str());
                    problems.push(p);
                }
            }
            if let Some(field) = first_bad {
                let producers: Vec<String> = scenario
                    .endpoints()
                    .filter(|(_, _, ep)| ep.publishes.contains(name))
                    .map(|(s, e, _)| format!("{s}.{e}"))
                    .collect();
                let by = if producers.is_empty() {
                    String::new()
                } else {
                    format!(" (published by {})", producers.join(", "))
                };
                out.push(
                    Finding::new(
                        rules::TOPIC_SCHEMA,
                        Severity::Error,
                        Pointer::root()
                            .key("services")
                            .key(consumer)
                            .key("consumes")
                            .key(name)
                            .key("fields")
                            .key(field),
                        format!(
                            "`{consumer}` reads topic `{name}`{by} with fields its schema does not have: {}",
                            problems.join("; ")
                        ),
                    )
                    .with_help("align the consumer's `fields` with the topic's `schema`, or version the topic"),
                );
            }
        }
    }
    out
}

fn type_name(t: crate::scenario::FieldType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries e1.x and e2.x both reach d through b; e2 also reaches d directly, under a
    /// fallback. c calls nothing. The blast radius, found backwards from the service that is
    /// down, is every entry with an uncovered path to it, in entry order.
    #[test]
    fn the_blast_radius_follows_uncovered_paths_backwards() {
        let text = r#"name = "t"
[services.e1.endpoints.x]
public = true
calls = ["b.y"]
[services.e2.endpoints.x]
public = true
calls = ["d.w", "b.y"]
[services.b.endpoints.y]
calls = ["d.w"]
[services.c.endpoints.z]
public = true
[services.d.endpoints.w]
[policies."e2 -> d"]
fallback = { description = "cache" }
"#;
        let scenario = crate::load_str(
            text,
            std::path::Path::new("t.toml"),
            crate::Format::Toml,
            std::path::Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
        let (profiles, _) = analyze(&scenario, 5);
        let radius = |name: &str| {
            profiles
                .iter()
                .find(|p| p.name == name)
                .unwrap()
                .blast_radius
                .clone()
        };
        assert_eq!(radius("d"), ["e1.x", "e2.x"]);
        assert_eq!(radius("b"), ["e1.x", "e2.x"]);
        assert_eq!(radius("c"), ["c.z"]);
        assert_eq!(radius("e2"), ["e2.x"]);
        let d = profiles.iter().find(|p| p.name == "d").unwrap();
        assert_eq!((d.fan_in, d.fan_out), (2, 0));
    }
}
