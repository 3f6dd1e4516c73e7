//! C: resilience policies on call edges. Owns the rules on `[policies]`: each key is an edge
//! pattern over real services, written once, matching a call some endpoint makes, and never tied
//! with an equally specific pattern; and each policy's settings are in range (concurrency,
//! timeout, deadline, retry and its budget, circuit breaker, bulkhead, rate limit, fallback,
//! outlier detection).
//!
//! Calls `edge_pattern` in `network.rs` and the helpers in `rules.rs`. Which settings mean nothing
//! together (a breaker's implementation without a breaker) is `meaning.rs`'s. Separate because
//! policies hold the most numbers of any part, each with Resilience4j's range.

use std::collections::{BTreeMap, BTreeSet};

use super::rules::{
    ATTEMPTS, CONCURRENT, CONSECUTIVE, FACTOR, HALF_OPEN_CALLS, MS, RATE, WINDOW, listing,
};
use super::{Validator, root};
use crate::diagnostic::codes;
use crate::edge::{EdgePattern, glob_match};
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    pub(super) fn policies(&mut self) {
        let edges = self.s.call_edges();
        let mut patterns: Vec<(&str, EdgePattern)> = Vec::new();
        let mut normalised: BTreeMap<String, &str> = BTreeMap::new();
        for (key, policy) in &self.s.policies {
            let at = root().key("policies").key(key);
            self.policy(&at, policy);
            let Some(pattern) = self.edge_pattern(at.clone(), Target::Key, key) else {
                continue;
            };
            if let Some(first) = normalised.insert(pattern.to_string(), key) {
                self.push(
                    codes::DUPLICATE,
                    at.clone(),
                    Target::Key,
                    format!("`{key}` is the same edge as `{first}`"),
                );
                continue;
            }
            // A matching caller's call to an undeclared service is reported where it is
            // written, and it may be the very call this policy is for (`calls = ["ledgr.post"]`
            // under a policy on `wallet -> ledger`): calling the policy unused would echo it.
            let misspelt_call = edges.iter().any(|(a, b)| {
                glob_match(&pattern.caller, a) && !self.s.services.contains_key(b.as_str())
            });
            if !misspelt_call && !edges.iter().any(|(a, b)| pattern.matches(a, b)) {
                let callees: Vec<&str> = edges
                    .iter()
                    .filter(|(a, _)| glob_match(&pattern.caller, a))
                    .map(|(_, b)| b.as_str())
                    .collect();
                let help = if callees.is_empty() {
                    "no endpoint of a matching caller makes a call; remove the policy or add the call"
                        .to_owned()
                } else {
                    format!("matching callers call {}", listing(callees))
                };
                self.push_help(
                    codes::UNUSED_POLICY,
                    at,
                    Target::Key,
                    format!("no endpoint makes a call on `{pattern}`"),
                    help,
                );
                continue;
            }
            patterns.push((key, pattern));
        }
        // Two equally specific patterns on one edge would make the applied policy depend on
        // key order; reject the tie once per pair.
        let mut reported = BTreeSet::new();
        for (a, b) in &edges {
            let mut matching: Vec<&(&str, EdgePattern)> =
                patterns.iter().filter(|(_, p)| p.matches(a, b)).collect();
            matching.sort_by_key(|m| std::cmp::Reverse(m.1.specificity()));
            if matching.len() >= 2 && matching[0].1.specificity() == matching[1].1.specificity() {
                let (first, second) = (matching[0].0, matching[1].0);
                if reported.insert((first.min(second), first.max(second))) {
                    self.push_help(
                        codes::AMBIGUOUS_POLICY,
                        root().key("policies").key(first.max(second)),
                        Target::Key,
                        format!(
                            "`{first}` and `{second}` both match `{a} -> {b}` and neither is more specific"
                        ),
                        format!("add a policy for `{a} -> {b}` itself, or narrow one pattern"),
                    );
                }
            }
        }
    }

    fn policy(&mut self, at: &Pointer, p: &Policy) {
        if let Some(n) = p.concurrency
            && !(1..=crate::limits::MAX_CONCURRENCY).contains(&n)
        {
            self.push_help(
                codes::OUT_OF_RANGE,
                at.key("concurrency"),
                Target::Value,
                format!(
                    "`concurrency` must be 1 to {}, not {n}",
                    crate::limits::MAX_CONCURRENCY
                ),
                "the calls one caller replica has in flight on this edge at once; leave it out \
                 to use the caller's `workers` times its parallel calls on the edge",
            );
        }
        if let Some(t) = p.timeout_ms {
            self.positive(at.key("timeout_ms"), "`timeout_ms`", t, MS);
        }
        if let Some(t) = p.deadline_ms {
            self.positive(at.key("deadline_ms"), "`deadline_ms`", t, MS);
        }
        if let Some(r) = &p.retry {
            let r_at = at.key("retry");
            self.at_least_one(
                r_at.key("max_attempts"),
                "`max_attempts`",
                r.max_attempts,
                ATTEMPTS,
            );
            self.non_negative(r_at.key("wait_ms"), "`wait_ms`", r.wait_ms, MS);
            if !(r.multiplier >= 1.0 && r.multiplier.is_finite()) {
                self.push(
                    codes::OUT_OF_RANGE,
                    r_at.key("multiplier"),
                    Target::Value,
                    format!("`multiplier` must be at least 1, not {}", r.multiplier),
                );
            } else {
                self.at_most(r_at.key("multiplier"), "`multiplier`", r.multiplier, FACTOR);
            }
            if let Some(max) = r.max_wait_ms {
                if !(max >= 0.0 && max.is_finite()) {
                    self.non_negative(r_at.key("max_wait_ms"), "`max_wait_ms`", max, MS);
                } else if max > MS.value {
                    self.at_most(r_at.key("max_wait_ms"), "`max_wait_ms`", max, MS);
                } else if max < r.wait_ms {
                    self.push_help(
                        codes::OUT_OF_RANGE,
                        r_at.key("max_wait_ms"),
                        Target::Value,
                        format!("`max_wait_ms` ({max}) is below `wait_ms` ({})", r.wait_ms),
                        format!(
                            "the cap on a wait is at least the first wait: make it {} or more, or lower `wait_ms` (default {})",
                            r.wait_ms,
                            RetryConfig::default().wait_ms
                        ),
                    );
                }
            }
            if let Some(b) = &r.budget {
                self.probability(
                    r_at.key("budget").key("ratio"),
                    "the budget's `ratio`",
                    b.ratio,
                );
                self.non_negative(
                    r_at.key("budget").key("min_per_s"),
                    "`min_per_s`",
                    b.min_per_s,
                    RATE,
                );
            }
        }
        if let Some(cb) = &p.circuit_breaker {
            let c = at.key("circuit_breaker");
            self.fraction_positive(
                c.key("failure_rate_threshold"),
                "`failure_rate_threshold`",
                cb.failure_rate_threshold,
            );
            self.fraction_positive(
                c.key("slow_call_rate_threshold"),
                "`slow_call_rate_threshold`",
                cb.slow_call_rate_threshold,
            );
            self.positive(
                c.key("slow_call_duration_ms"),
                "`slow_call_duration_ms`",
                cb.slow_call_duration_ms,
                MS,
            );
            self.at_least_one(
                c.key("sliding_window_size"),
                "`sliding_window_size`",
                cb.sliding_window_size,
                WINDOW,
            );
            self.at_least_one(
                c.key("minimum_number_of_calls"),
                "`minimum_number_of_calls`",
                cb.minimum_number_of_calls,
                WINDOW,
            );
            self.positive(
                c.key("wait_duration_in_open_state_ms"),
                "`wait_duration_in_open_state_ms`",
                cb.wait_duration_in_open_state_ms,
                MS,
            );
            self.at_least_one(
                c.key("permitted_number_of_calls_in_half_open_state"),
                "`permitted_number_of_calls_in_half_open_state`",
                cb.permitted_number_of_calls_in_half_open_state,
                HALF_OPEN_CALLS,
            );
            self.non_negative(
                c.key("max_wait_duration_in_half_open_state_ms"),
                "`max_wait_duration_in_half_open_state_ms`",
                cb.max_wait_duration_in_half_open_state_ms,
                MS,
            );
        }
        if let Some(b) = &p.bulkhead {
            self.at_least_one(
                at.key("bulkhead").key("max_concurrent_calls"),
                "`max_concurrent_calls`",
                b.max_concurrent_calls,
                CONCURRENT,
            );
            self.non_negative(
                at.key("bulkhead").key("max_wait_ms"),
                "`max_wait_ms`",
                b.max_wait_ms,
                MS,
            );
        }
        if let Some(r) = &p.rate_limit {
            let r_at = at.key("rate_limit");
            self.at_least_one(
                r_at.key("limit_for_period"),
                "`limit_for_period`",
                r.limit_for_period,
                CONCURRENT,
            );
            self.positive(
                r_at.key("limit_refresh_period_ms"),
                "`limit_refresh_period_ms`",
                r.limit_refresh_period_ms,
                MS,
            );
            self.non_negative(r_at.key("timeout_ms"), "`timeout_ms`", r.timeout_ms, MS);
        }
        if let Some(f) = &p.fallback {
            self.non_negative(
                at.key("fallback").key("latency_ms"),
                "`latency_ms`",
                f.latency_ms,
                MS,
            );
        }
        if let Some(o) = &p.outlier_detection {
            let o_at = at.key("outlier_detection");
            self.at_least_one(
                o_at.key("consecutive_errors"),
                "`consecutive_errors`",
                o.consecutive_errors,
                CONSECUTIVE,
            );
            self.positive(
                o_at.key("base_ejection_time_ms"),
                "`base_ejection_time_ms`",
                o.base_ejection_time_ms,
                MS,
            );
            self.probability(
                o_at.key("max_ejection_fraction"),
                "`max_ejection_fraction`",
                o.max_ejection_fraction,
            );
        }
    }
}
