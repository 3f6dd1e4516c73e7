//! Static retry amplification: how many attempts one request to an entry endpoint can cause at
//! each service when that service is down, and how much latency the retries' backoff can add.
//!
//! When a service X is down, every call to it fails; its caller retries (`max_attempts` if
//! errors or timeouts are retried), then fails in turn unless the edge has a fallback, so the
//! caller's caller retries the whole subtree again. The attempts reaching X are the product of
//! the attempts along each path that the failure climbs, summed over paths — three layers of 3
//! attempts in front of a dead leaf give 27. The walk follows each endpoint's steps in order
//! and stops at the first step that fails (later steps are not made), and a parallel step makes
//! all its calls. Circuit breakers are ignored: before they open, this is exactly what happens.
//!
//! The *amplification* at a service is those attempts divided by the attempts that would reach
//! it if nobody retried (the same walk with one attempt per call): the factor by which retries
//! multiply its load, whatever the fan-out. In a chain both are 27; a service called twice per
//! request behind one layer of 3 attempts gets 6 attempts, an amplification of 3. This is the
//! quantity `max_retry_amplification` bounds, and the simulator measures the same ratio (a
//! service's arrivals over the arrivals it would have without retries).
//!
//! The cost is polynomial in the call graph and independent of the attempt counts: the graph
//! below the entry is flattened once (each edge's policy resolved once, the retry schedule's
//! worst-case wait summed in time that does not grow with `max_attempts`:
//! [`RetryParams::worst_case_total_wait`]), then walked once per service, each walk a loop
//! over the endpoints in post-order. Nothing recurses, so a chain thousands of calls deep
//! cannot overflow a stack.

use std::collections::BTreeMap;

use crate::scenario::{CallStep, Scenario};

use super::retry::RetryParams;

/// The amplification caused by one request to an entry endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryAmplification {
    /// The entry endpoint, `"service.endpoint"`.
    pub endpoint: String,
    /// For each service (other than the entry's own) reachable from it, the attempts one request
    /// causes at it when it is down.
    pub attempts: BTreeMap<String, f64>,
    /// For the same services, `attempts` over the attempts without any retries: the factor by
    /// which retries multiply the service's load when it is down.
    pub amplification: BTreeMap<String, f64>,
    /// The largest amplification, with its service.
    pub worst: Option<(String, f64)>,
    /// The most latency that backoff waits add to one request, over all services being down,
    /// in milliseconds.
    pub added_backoff_ms: f64,
}

/// What one endpoint does when the target service is down.
#[derive(Debug, Clone, Copy, Default)]
struct Effect {
    /// Attempts reaching the target per request to this endpoint.
    attempts: f64,
    /// Whether the endpoint fails.
    fails: bool,
    /// Backoff waits added, ms.
    backoff_ms: f64,
}

/// Attempts of one call on the edge `caller -> callee`, when the callee keeps failing.
fn edge_policy(scenario: &Scenario, caller: &str, callee: &str) -> (u32, bool, f64) {
    match scenario.policy_for(caller, callee) {
        Some((_, policy)) => {
            let retry = policy
                .retry
                .as_ref()
                .map_or_else(RetryParams::none, |r| RetryParams::from_config(r, 1.0));
            let attempts = if retry.on_error || retry.on_timeout {
                retry.max_attempts
            } else {
                1
            };
            let retry = RetryParams {
                max_attempts: attempts,
                ..retry
            };
            (
                attempts,
                policy.fallback.is_some(),
                retry.worst_case_total_wait() as f64,
            )
        }
        None => (1, false, 0.0),
    }
}

/// One call of a [`Node`]'s step, with its edge's policy resolved.
#[derive(Debug, Clone)]
struct Edge {
    /// The callee endpoint's node, computed before the caller's (`None` for a call back into
    /// the path being walked, which validation refuses: it adds nothing).
    callee: Option<usize>,
    /// The callee's service.
    service: usize,
    /// Attempts per call when the callee keeps failing.
    attempts: u32,
    fallback: bool,
    /// Worst-case backoff waits of one call, ms.
    wait_ms: f64,
}

/// An endpoint reachable from the entry: its service and its steps in order (whether a step
/// is parallel, and its calls).
#[derive(Debug, Clone)]
struct Node {
    steps: Vec<(bool, Vec<Edge>)>,
}

/// The call graph below one entry, flattened once so that the walk for each service down is
/// a loop over arrays: nodes in post-order (every callee before its callers, the entry last),
/// services as indices. Built without recursion, so a long chain of calls cannot overflow a
/// thread's stack.
struct Graph {
    nodes: Vec<Node>,
    services: BTreeMap<String, usize>,
}

impl Graph {
    fn new(scenario: &Scenario, entry: &str) -> Graph {
        // Only the services the entry's calls reach get an index (and so a walk): indexing
        // every service of the scenario for every entry made `analyze` quadratic in services
        // (4,000 call-free services took 7.5 s).
        let mut services: BTreeMap<String, usize> = BTreeMap::new();
        let mut service_of = |endpoint: &str| {
            let name = endpoint.split_once('.').map_or(endpoint, |(s, _)| s);
            if let Some(&id) = services.get(name) {
                return id;
            }
            let id = services.len();
            services.insert(name.to_owned(), id);
            id
        };
        let mut policies: BTreeMap<(usize, usize), (u32, bool, f64)> = BTreeMap::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut visiting: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut nodes = Vec::new();
        // Depth-first, post-order, with an explicit stack: (endpoint, its callees pushed).
        let mut stack = vec![(entry.to_owned(), false)];
        while let Some((name, expanded)) = stack.pop() {
            if index.contains_key(&name) {
                continue;
            }
            let ep = scenario.endpoint(&name);
            if !expanded {
                if !visiting.insert(name.clone()) {
                    continue;
                }
                stack.push((name, true));
                for step in ep.iter().flat_map(|ep| &ep.calls).rev() {
                    for call in step.calls().iter().rev() {
                        if !index.contains_key(&call.endpoint) && !visiting.contains(&call.endpoint)
                        {
                            stack.push((call.endpoint.clone(), false));
                        }
                    }
                }
                continue;
            }
            let caller = service_of(&name);
            let caller_name = name.split_once('.').map_or(name.as_str(), |(s, _)| s);
            let steps = ep
                .iter()
                .flat_map(|ep| &ep.calls)
                .map(|step| {
                    let edges = step
                        .calls()
                        .iter()
                        .map(|call| {
                            let callee_name = call.endpoint.split_once('.').map_or("", |(s, _)| s);
                            let service = service_of(&call.endpoint);
                            let (attempts, fallback, wait_ms) = *policies
                                .entry((caller, service))
                                .or_insert_with(|| edge_policy(scenario, caller_name, callee_name));
                            Edge {
                                callee: index.get(&call.endpoint).copied(),
                                service,
                                attempts,
                                fallback,
                                wait_ms,
                            }
                        })
                        .collect();
                    (matches!(step, CallStep::Parallel(_)), edges)
                })
                .collect();
            visiting.remove(&name);
            index.insert(name, nodes.len());
            nodes.push(Node { steps });
        }
        Graph { nodes, services }
    }

    /// The entry's effect when service `target` is down, with or without retries: each node's
    /// from its callees', in post-order. A node's steps run in order and stop at the first that
    /// fails; a call to the target fails its one attempt.
    fn walk(&self, target: usize, retries: bool, effects: &mut Vec<Effect>) -> Effect {
        effects.clear();
        for node in &self.nodes {
            let mut result = Effect::default();
            for (parallel, edges) in &node.steps {
                let mut step_fails = false;
                let mut step_backoff: f64 = 0.0;
                for edge in edges {
                    let inner = if edge.service == target {
                        Effect {
                            attempts: 1.0,
                            fails: true,
                            backoff_ms: 0.0,
                        }
                    } else {
                        edge.callee.map_or_else(Effect::default, |c| effects[c])
                    };
                    let (k, wait_ms) = match (retries, inner.fails) {
                        (true, true) => (f64::from(edge.attempts), edge.wait_ms),
                        _ => (1.0, 0.0),
                    };
                    result.attempts += k * inner.attempts;
                    let call_backoff = k * inner.backoff_ms + wait_ms;
                    step_backoff = if *parallel {
                        step_backoff.max(call_backoff)
                    } else {
                        step_backoff + call_backoff
                    };
                    if inner.fails && !edge.fallback {
                        step_fails = true;
                    }
                }
                result.backoff_ms += step_backoff;
                if step_fails {
                    result.fails = true;
                    break;
                }
            }
            effects.push(result);
        }
        effects.last().copied().unwrap_or_default()
    }
}

/// The amplification of one request to `entry` (`"service.endpoint"`).
pub fn entry_amplification(scenario: &Scenario, entry: &str) -> EntryAmplification {
    let entry_service = entry.split_once('.').map_or(entry, |(s, _)| s);
    let graph = Graph::new(scenario, entry);
    let mut effects = Vec::with_capacity(graph.nodes.len());
    let mut attempts = BTreeMap::new();
    let mut amplification = BTreeMap::new();
    let mut added_backoff_ms: f64 = 0.0;
    for (target, &id) in &graph.services {
        if target == entry_service {
            continue;
        }
        let e = graph.walk(id, true, &mut effects);
        if e.attempts > 0.0 {
            // Without retries the walk reaches the target as often (a fallback or a failed
            // step cuts the same paths), once per path: never zero when `e.attempts` is not.
            let base = graph.walk(id, false, &mut effects).attempts;
            attempts.insert(target.clone(), e.attempts);
            amplification.insert(target.clone(), e.attempts / base.max(1.0));
            added_backoff_ms = added_backoff_ms.max(e.backoff_ms);
        }
    }
    let worst = amplification
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(s, a)| (s.clone(), *a));
    EntryAmplification {
        endpoint: entry.to_owned(),
        attempts,
        amplification,
        worst,
        added_backoff_ms,
    }
}

/// The amplification of every public endpoint, in name order.
pub fn amplification(scenario: &Scenario) -> Vec<EntryAmplification> {
    scenario
        .endpoints()
        .filter(|(_, _, ep)| ep.public)
        .map(|(s, e, _)| entry_amplification(scenario, &format!("{s}.{e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, load_str};

    fn scenario(text: &str) -> Scenario {
        load_str(
            text,
            std::path::Path::new("t.toml"),
            Format::Toml,
            std::path::Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
    }

    /// a → b → c → d, every edge retrying 3 times with a fixed 10 ms wait.
    const CHAIN: &str = r#"
name = "chain"
[services.a.endpoints.x]
public = true
calls = ["b.x"]
[services.b.endpoints.x]
calls = ["c.x"]
[services.c.endpoints.x]
calls = ["d.x"]
[services.d.endpoints.x]
[policies."* -> *"]
retry = { max_attempts = 3, wait_ms = 10 }
"#;

    #[test]
    fn three_layers_of_three_attempts_give_27_at_a_dead_leaf() {
        let s = scenario(CHAIN);
        let amp = entry_amplification(&s, "a.x");
        assert_eq!(amp.attempts["d"], 27.0);
        assert_eq!(amp.attempts["c"], 9.0);
        assert_eq!(amp.attempts["b"], 3.0);
        assert_eq!(amp.worst, Some(("d".to_owned(), 27.0)));
        assert_eq!(amp.amplification["d"], 27.0);
        // With d down: c waits 2×10 per attempt of b (3 × 20), b waits 2×10 per attempt of a's
        // (3 × (20 + 3·20)), a waits 2×10: 20 + 3·(20 + 3·20) = 260 ms.
        assert_eq!(amp.added_backoff_ms, 260.0);
    }

    #[test]
    fn a_fallback_stops_the_failure_climbing() {
        let text = format!(
            "{CHAIN}[policies.\"b -> c\"]\nretry = {{ max_attempts = 3, wait_ms = 10 }}\nfallback = {{}}\n"
        );
        let amp = entry_amplification(&scenario(&text), "a.x");
        // c retries d 3 times, b retries c 3 times then falls back: a sees success.
        assert_eq!(amp.attempts["d"], 9.0);
        assert_eq!(amp.attempts["c"], 3.0);
    }

    #[test]
    fn paths_add_up_and_a_failed_step_stops_the_sequence() {
        let text = r#"
name = "diamond"
[services.a.endpoints.x]
public = true
calls = [["b.x", "c.x"], "d.x"]
[services.b.endpoints.x]
calls = ["d.x"]
[services.c.endpoints.x]
calls = ["d.x"]
[services.d.endpoints.x]
[policies."a -> b"]
retry = { max_attempts = 2 }
[policies."c -> d"]
retry = { max_attempts = 4 }
"#;
        let amp = entry_amplification(&scenario(text), "a.x");
        // d down: via b, 2 × 1; via c, 1 × 4 (a does not retry c); the parallel step failed,
        // so a's own call to d is never made.
        assert_eq!(amp.attempts["d"], 6.0);
        assert_eq!(amp.attempts["b"], 2.0);
        // Without retries d gets one attempt per path, 2: retries triple its load.
        assert_eq!(amp.amplification["d"], 3.0);
        assert_eq!(amp.worst, Some(("d".to_owned(), 3.0)));
    }

    #[test]
    fn fan_out_is_not_amplification() {
        let text = r#"
name = "fan-out"
[services.a.endpoints.x]
public = true
calls = [["b.x", "b.y"]]
[services.b.endpoints.x]
[services.b.endpoints.y]
[policies."a -> b"]
retry = { max_attempts = 3 }
"#;
        let amp = entry_amplification(&scenario(text), "a.x");
        // b down: two calls of 3 attempts each; without retries, 2 attempts.
        assert_eq!(amp.attempts["b"], 6.0);
        assert_eq!(amp.amplification["b"], 3.0);
    }

    #[test]
    fn retries_on_other_failures_do_not_amplify() {
        let text = CHAIN.replace(
            "retry = { max_attempts = 3, wait_ms = 10 }",
            // A breaker to retry the rejections of: without one, `breaker_open` means nothing
            // and validation refuses it.
            "retry = { max_attempts = 3, wait_ms = 10, retry_on = [\"breaker_open\"] }\ncircuit_breaker = {}",
        );
        let amp = entry_amplification(&scenario(&text), "a.x");
        assert_eq!(amp.attempts["d"], 1.0);
        assert_eq!(amp.added_backoff_ms, 0.0);
    }

    #[test]
    fn a_chain_thousands_of_calls_deep_needs_no_deep_stack() {
        // The walk recursed once per call: 3,000 hops overflowed a worker thread's stack and
        // aborted the process.
        let n = 3_000;
        let mut text = String::from("name = \"deep\"\n");
        for i in 0..n {
            text += &format!("[services.s{i}.endpoints.x]\n");
            if i == 0 {
                text += "public = true\n";
            }
            if i + 1 < n {
                text += &format!("calls = [\"s{}.x\"]\n", i + 1);
            }
        }
        text += "[policies.\"s0 -> s1\"]\nretry = { max_attempts = 3 }\n";
        let s = scenario(&text);
        let amp = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(scope, || entry_amplification(&s, "s0.x"))
                .unwrap()
                .join()
                .unwrap()
        });
        // Whichever service is down below s1, s0's one retrying edge triples the attempts.
        assert_eq!(amp.attempts.len(), n - 1);
        assert_eq!(amp.attempts[&format!("s{}", n - 1)], 3.0);
        assert_eq!(amp.worst.map(|(_, a)| a), Some(3.0));
    }

    #[test]
    fn every_public_endpoint_is_analysed() {
        let all = amplification(&scenario(CHAIN));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].endpoint, "a.x");
    }
}
