//! How many concurrent callers share one circuit breaker, from the architecture: the number a
//! policy job is checked at.
//!
//! The derivation follows the simulator, which runs the same breaker code in time
//! (`simulator/src/sim.rs`): policy state (`EdgeState`) is kept per caller *replica* per call
//! edge, as an in-process Resilience4j breaker or a sidecar keeps it, so the callers that share
//! one breaker are the calls one replica has in flight on that edge, not the whole service's.
//! A replica runs at most `workers` requests at once (a request holds its worker until it
//! answers, downstream calls included), and a request has at most as many calls in flight on
//! the edge as its largest step makes there (a parallel step's calls run at once; sequential
//! steps one after another; a retry replaces its attempt). So the callers of one breaker are at
//! most `workers × (most calls on the edge in one step)`, over every endpoint of the calling
//! service. That is the number checked. `replicas × workers` would be the number for a breaker
//! shared by every replica, which is not what the simulator (or Resilience4j) does; it would
//! only make the check slower, never more right.
//!
//! A bulkhead does not lower it: in Resilience4j's decoration order the bulkhead sits inside
//! the breaker, so a call waiting for (or refused by) the bulkhead already holds the breaker's
//! permission, exactly as the simulator does it. A policy may declare `concurrency` when
//! something the scenario does not describe bounds the calls lower (a connection pool, a
//! client-side semaphore): it wins, and the verdict says so.
//!
//! A glob policy (`"* -> payments"`) is the policy of every edge it is the most specific match
//! for; each caller service's replicas have their own breakers, so the largest number over
//! those edges is checked. A policy no call uses is checked at its callers' worker pools, one
//! call each (the loader already warns that it is unused).
//!
//! Not counted: the simulator keeps an attempt in flight when the request that made it has
//! already ended (a sibling call of its parallel step failed, or the replica crashed), until
//! the attempt ends; such orphaned attempts still report to the breaker while the freed worker
//! starts another request. They can raise the number above the bound for as long as a timeout
//! lets them live; declare `concurrency` to cover them where that matters.

use microcosm_model::{EdgePattern, Policy, Scenario};

/// The number of callers a policy is checked at, and why, for the verdict's notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concurrency {
    /// Concurrent callers sharing one breaker.
    pub callers: u32,
    /// Where the number comes from, in words.
    pub why: String,
}

/// The concurrent callers that share the breaker of policy `key` (see the module doc).
pub fn policy_callers(scenario: &Scenario, key: &str, policy: &Policy) -> Concurrency {
    if let Some(n) = policy.concurrency {
        return Concurrency {
            callers: n,
            why: format!("declared by the policy's `concurrency = {n}`"),
        };
    }
    // (callers, caller service, workers, calls per request), the largest first met.
    let mut best: Option<(u64, &str, u32, u32)> = None;
    for (caller, svc) in &scenario.services {
        let workers = scenario.deployment_of(caller).workers;
        // Only the services it calls (in name order, as before): walking every pair of
        // services made this quadratic in the scenario's size, per policy.
        let callees: std::collections::BTreeSet<&str> = svc
            .endpoints
            .values()
            .flat_map(|ep| ep.calls.iter())
            .flat_map(|step| step.calls().iter())
            .filter_map(|c| c.endpoint.split_once('.').map(|(s, _)| s))
            .collect();
        for callee in callees {
            if scenario.policy_for(caller, callee).map(|(k, _)| k) != Some(key) {
                continue;
            }
            let per_request = svc
                .endpoints
                .values()
                .flat_map(|ep| ep.calls.iter())
                .map(|step| {
                    step.calls()
                        .iter()
                        .filter(|c| c.endpoint.split_once('.').map(|(s, _)| s) == Some(callee))
                        .count() as u32
                })
                .max()
                .unwrap_or(0);
            if per_request == 0 {
                continue;
            }
            let n = u64::from(workers) * u64::from(per_request);
            if best.is_none_or(|(m, ..)| n > m) {
                best = Some((n, caller, workers, per_request));
            }
        }
    }
    if let Some((n, caller, workers, per_request)) = best {
        let calls = if per_request == 1 {
            "1 call on the edge per request".to_owned()
        } else {
            format!("{per_request} parallel calls on the edge per request")
        };
        return Concurrency {
            callers: u32::try_from(n).unwrap_or(u32::MAX),
            why: format!(
                "each replica of {caller} keeps its own policy state: {workers} workers × {calls}"
            ),
        };
    }
    // No call uses the policy: the callers it names, one call per worker.
    let pattern = EdgePattern::parse(key).ok();
    let workers = scenario
        .services
        .keys()
        .filter(|s| {
            pattern
                .as_ref()
                .is_some_and(|p| scenario.services.keys().any(|t| p.matches(s, t)))
        })
        .map(|s| scenario.deployment_of(s).workers)
        .max()
        .unwrap_or_else(|| scenario.deployment_of("").workers);
    Concurrency {
        callers: workers,
        why: format!("no call uses this policy: {workers} workers × 1 call"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(text: &str) -> Scenario {
        microcosm_model::load_str(
            &format!("name = \"t\"\n{text}"),
            Path::new("t.toml"),
            microcosm_model::Format::Toml,
            Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
    }

    fn callers(s: &Scenario, key: &str) -> Concurrency {
        policy_callers(s, key, &s.policies[key])
    }

    #[test]
    fn workers_times_parallel_calls_per_replica() {
        let s = scenario(
            r#"[services.gateway.endpoints.a]
calls = ["payments.charge"]
[services.gateway.endpoints.b]
calls = ["other.x", ["payments.charge", "payments.refund", "other.x"]]
[services.payments.endpoints.charge]
[services.payments.endpoints.refund]
[services.other.endpoints.x]
[deployment.gateway]
replicas = 5
workers = 8
[policies."gateway -> payments"]
circuit_breaker = {}
bulkhead = { max_concurrent_calls = 2 }
"#,
        );
        let c = callers(&s, "gateway -> payments");
        // Replicas do not share a breaker; a bulkhead sits inside it and bounds nothing here.
        assert_eq!(c.callers, 16);
        assert_eq!(
            c.why,
            "each replica of gateway keeps its own policy state: 8 workers × 2 parallel calls on \
             the edge per request"
        );
    }

    #[test]
    fn a_glob_takes_the_largest_caller_and_a_declared_concurrency_wins() {
        let s = scenario(
            r#"[services.a.endpoints.x]
calls = ["payments.charge"]
[services.b.endpoints.x]
calls = ["payments.charge"]
[services.c.endpoints.x]
calls = ["payments.charge"]
[services.payments.endpoints.charge]
[deployment.a]
workers = 4
[deployment.b]
workers = 40
[deployment.c]
workers = 400
[policies."* -> payments"]
circuit_breaker = {}
[policies."c -> payments"]
circuit_breaker = {}
concurrency = 3
"#,
        );
        // c has its own, more specific policy: the glob covers a and b.
        let glob = callers(&s, "* -> payments");
        assert_eq!(glob.callers, 40);
        assert!(
            glob.why
                .contains("replica of b keeps its own policy state: 40 workers"),
            "{}",
            glob.why
        );
        let c = callers(&s, "c -> payments");
        assert_eq!(c.callers, 3);
        assert_eq!(c.why, "declared by the policy's `concurrency = 3`");
    }
}
