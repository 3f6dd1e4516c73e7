//! Semantic validation of a parsed scenario: every cross-reference resolves, every number is in
//! its range, and the architecture can run at all (no synchronous call cycles, no fault outside
//! its experiment, no policy on an edge nobody calls). Reports every problem at once, each at a
//! [`Pointer`] that the loader turns into file, line and column.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::{codes, did_you_mean};
use crate::edge::{EdgePattern, glob_match};
use crate::limits;
use crate::scenario::*;
use crate::source::{Pointer, Target};

mod meaning;
#[cfg(test)]
mod tests;

/// A problem found by validation, before it is located in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The diagnostic code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub help: Option<String>,
    /// Where in the document.
    pub at: Pointer,
    /// Whether the key or the value is at fault.
    pub target: Target,
}

/// Validates `scenario`, returning every problem found, in document order of the checks.
pub fn validate(scenario: &Scenario) -> Vec<Problem> {
    let mut v = Validator {
        s: scenario,
        problems: Vec::new(),
    };
    v.top_level();
    v.services();
    v.topics();
    v.network();
    v.data_stores();
    v.policies();
    v.monitoring();
    v.deployment();
    v.transactions();
    v.options_that_mean_nothing();
    v.monolith();
    v.experiments();
    v.expected_verdicts();
    v.sync_cycles();
    v.problems
}

struct Validator<'a> {
    s: &'a Scenario,
    problems: Vec<Problem>,
}

fn root() -> Pointer {
    Pointer::root()
}

/// Lists names for a help message, shortened when there are many.
fn listing<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    let mut text = shown.join(", ");
    if names.len() > 8 {
        text.push_str(&format!(" and {} more", names.len() - 8));
    }
    text
}

/// The largest value a key accepts, and why (see [`crate::limits`]).
#[derive(Debug, Clone, Copy)]
struct Max {
    value: f64,
    why: &'static str,
}

const MS: Max = Max {
    value: limits::MAX_DURATION_MS,
    why: "one year in milliseconds: longer is a unit mistake, not a timer",
};
const SECONDS: Max = Max {
    value: limits::MAX_DURATION_S,
    why: "one year: the longest simulated time",
};
const RATE: Max = Max {
    value: limits::MAX_RATE_PER_S,
    why: "a million requests per second: the simulator pays for each one",
};
const FACTOR: Max = Max {
    value: limits::MAX_FACTOR,
    why: "a factor of a thousand",
};
const WEIGHT: Max = Max {
    value: limits::MAX_WEIGHT,
    why: "weights are relative: scale them down",
};
const REPLICAS: Max = Max {
    value: limits::MAX_REPLICAS as f64,
    why: "the simulator keeps state per replica",
};
const WORKERS: Max = Max {
    value: limits::MAX_WORKERS as f64,
    why: "ten thousand requests at once per replica",
};
const QUEUE: Max = Max {
    value: limits::MAX_QUEUE_CAPACITY as f64,
    why: "a million waiting requests per replica",
};
const USERS: Max = Max {
    value: limits::MAX_USERS as f64,
    why: "a million users",
};
const ATTEMPTS: Max = Max {
    value: limits::MAX_ATTEMPTS as f64,
    why: "the most the policy model checks; Resilience4j's default is 3",
};
const HALF_OPEN_CALLS: Max = Max {
    value: limits::MAX_HALF_OPEN_CALLS as f64,
    why: "the most trial calls the breaker model holds; Resilience4j's default is 10",
};
const WINDOW: Max = Max {
    value: limits::MAX_WINDOW as f64,
    why: "a hundred thousand calls or seconds",
};
const CONCURRENT: Max = Max {
    value: limits::MAX_CONCURRENT_CALLS as f64,
    why: "a million calls",
};
const CONSECUTIVE: Max = Max {
    value: limits::MAX_CONSECUTIVE_ERRORS as f64,
    why: "ten thousand errors in a row",
};
const CPU: Max = Max {
    value: limits::MAX_CPU_MILLIS as f64,
    why: "ten thousand cores, in millicores",
};
const MEMORY: Max = Max {
    value: limits::MAX_MEMORY_MIB as f64,
    why: "16 TiB, in MiB",
};
const AMPLIFICATION: Max = Max {
    value: limits::MAX_AMPLIFICATION,
    why: "a billion attempts per request",
};
const NODES: Max = Max {
    value: limits::MAX_NODES as f64,
    why: "a hundred thousand nodes per zone",
};

impl<'a> Validator<'a> {
    fn push(&mut self, code: &'static str, at: Pointer, target: Target, message: String) {
        self.problems.push(Problem {
            code,
            message,
            help: None,
            at,
            target,
        });
    }

    fn push_help(
        &mut self,
        code: &'static str,
        at: Pointer,
        target: Target,
        message: String,
        help: impl Into<String>,
    ) {
        self.problems.push(Problem {
            code,
            message,
            help: Some(help.into()),
            at,
            target,
        });
    }

    fn unresolved<'n>(
        &mut self,
        at: Pointer,
        target: Target,
        kind: &str,
        name: &str,
        candidates: impl IntoIterator<Item = &'n str> + Clone,
    ) {
        let help = match did_you_mean(name, candidates.clone()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => {
                let list = listing(candidates);
                if list.is_empty() {
                    format!("the scenario declares no {kind}s")
                } else {
                    format!("declared {kind}s: {list}")
                }
            }
        };
        self.push_help(
            codes::UNRESOLVED,
            at,
            target,
            format!("no {kind} `{name}`"),
            help,
        );
    }

    fn service_names(&self) -> impl Iterator<Item = &'a str> + Clone + use<'a> {
        self.s.services.keys().map(String::as_str)
    }

    /// Checks that `name` is a declared service.
    fn service(&mut self, at: Pointer, target: Target, name: &str) -> bool {
        if self.s.services.contains_key(name) {
            return true;
        }
        let names = self.service_names();
        self.unresolved(at, target, "service", name, names);
        false
    }

    /// Checks a `"service.endpoint"` reference written as a value.
    fn endpoint_ref(&mut self, at: Pointer, reference: &str) -> bool {
        self.endpoint_ref_at(at, Target::Value, reference)
    }

    /// Checks a `"service.endpoint"` reference written as `target` (a key, in a load's `mix`).
    fn endpoint_ref_at(&mut self, at: Pointer, target: Target, reference: &str) -> bool {
        let Some((service, endpoint)) = reference.split_once('.') else {
            let help = match self.s.services.get(reference) {
                Some(svc) if !svc.endpoints.is_empty() => format!(
                    "`{reference}` is a service; name one of its endpoints: {}",
                    listing(svc.endpoints.keys().map(|e| e.as_str()))
                ),
                _ => "write it as \"service.endpoint\"".to_owned(),
            };
            self.push_help(
                codes::UNRESOLVED,
                at,
                target,
                format!("`{reference}` is not an endpoint reference"),
                help,
            );
            return false;
        };
        let Some(svc) = self.s.services.get(service) else {
            let names = self.service_names();
            self.unresolved(at, target, "service", service, names);
            return false;
        };
        if svc.endpoints.contains_key(endpoint) {
            return true;
        }
        let kind = format!("endpoint on `{service}`");
        let candidates = svc.endpoints.keys().map(String::as_str);
        let help = match did_you_mean(endpoint, candidates.clone()) {
            Some(close) => format!("did you mean `{service}.{close}`?"),
            None if svc.endpoints.is_empty() => {
                format!(
                    "`{service}` declares no endpoints; add [services.{service}.endpoints.{endpoint}]"
                )
            }
            None => format!("`{service}` has {}", listing(candidates)),
        };
        self.push_help(
            codes::UNRESOLVED,
            at,
            target,
            format!("no {kind} named `{endpoint}`"),
            help,
        );
        false
    }

    /// Checks a declared name, a table key.
    fn name(&mut self, at: Pointer, kind: &str, name: &str) {
        self.name_at(at, Target::Key, kind, name);
    }

    fn name_at(&mut self, at: Pointer, target: Target, kind: &str, name: &str) {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            self.push_help(
                codes::INVALID_NAME,
                at,
                target,
                format!("`{name}` is not a valid {kind} name"),
                "names use letters, digits, `-` and `_`, since references join them with `.` and `->`",
            );
        }
    }

    fn duplicates(&mut self, at: &Pointer, kind: &str, items: &[String]) {
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            if !seen.insert(item.as_str()) {
                self.push(
                    codes::DUPLICATE,
                    at.index(i),
                    Target::Value,
                    format!("{kind} `{item}` is listed twice"),
                );
            }
        }
    }

    fn probability(&mut self, at: Pointer, what: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            let help = if (1.0..=100.0).contains(&value) {
                format!(
                    "give a fraction: {} rather than {value} (percent)",
                    value / 100.0
                )
            } else {
                "give a fraction between 0 and 1".to_owned()
            };
            self.push_help(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} is {value}, outside [0, 1]"),
                help,
            );
        }
    }

    /// A fraction in (0, 1], for thresholds and availabilities where 0 makes no sense.
    fn fraction_positive(&mut self, at: Pointer, what: &str, value: f64) {
        if !(value > 0.0 && value <= 1.0) {
            let help = if (1.0..=100.0).contains(&value) {
                format!(
                    "give a fraction: {} rather than {value} (percent)",
                    value / 100.0
                )
            } else {
                "give a fraction greater than 0 and at most 1".to_owned()
            };
            self.push_help(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} is {value}, outside (0, 1]"),
                help,
            );
        }
    }

    /// A number in (0, `max`].
    fn positive(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
        if !(value > 0.0 && value.is_finite()) {
            self.push(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} must be positive, not {value}"),
            );
        } else {
            self.at_most(at, what, value, max);
        }
    }

    /// A number in [0, `max`].
    fn non_negative(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
        if !(value >= 0.0 && value.is_finite()) {
            self.push(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} must be zero or more, not {value}"),
            );
        } else {
            self.at_most(at, what, value, max);
        }
    }

    /// A count in [1, `max`].
    fn at_least_one(&mut self, at: Pointer, what: &str, value: u32, max: Max) {
        if value == 0 {
            self.push(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} must be at least 1"),
            );
        } else {
            self.at_most(at, what, f64::from(value), max);
        }
    }

    /// A number at most `max` (see [`crate::limits`]).
    fn at_most(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
        if value > max.value {
            // 1e300 reads better than its 301 digits.
            let shown = if value >= 1e15 {
                format!("{value:e}")
            } else {
                value.to_string()
            };
            self.push_help(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} is {shown}, above its maximum of {}", max.value),
                format!("give at most {} ({})", max.value, max.why),
            );
        }
    }

    fn distribution(&mut self, at: &Pointer, d: &Distribution) {
        match d {
            Distribution::Constant { ms } => self.non_negative(at.key("ms"), "`ms`", *ms, MS),
            Distribution::Exponential { mean_ms } => {
                self.positive(at.key("mean_ms"), "`mean_ms`", *mean_ms, MS)
            }
            Distribution::Normal { mean_ms, stddev_ms } => {
                self.positive(at.key("mean_ms"), "`mean_ms`", *mean_ms, MS);
                self.non_negative(at.key("stddev_ms"), "`stddev_ms`", *stddev_ms, MS);
            }
            Distribution::Lognormal { p50_ms, p99_ms } => {
                self.positive(at.key("p50_ms"), "`p50_ms`", *p50_ms, MS);
                self.positive(at.key("p99_ms"), "`p99_ms`", *p99_ms, MS);
                // Only when both are durations: a non-positive one is reported above already.
                if *p50_ms > 0.0 && *p99_ms > 0.0 && p99_ms < p50_ms {
                    self.push_help(
                        codes::PERCENTILES,
                        at.key("p99_ms"),
                        Target::Value,
                        format!("`p99_ms` ({p99_ms}) is below `p50_ms` ({p50_ms})"),
                        "the 99th percentile is at least the median; swap them?",
                    );
                }
            }
            Distribution::Empirical { csv, samples_ms } => {
                if samples_ms.is_empty() && csv.is_none() {
                    self.push_help(
                        codes::MISSING_FIELD,
                        at.clone(),
                        Target::Value,
                        "an empirical distribution needs samples".to_owned(),
                        "give `samples_ms = [...]` or `csv = \"file.csv\"`",
                    );
                }
                for (i, x) in samples_ms.iter().enumerate() {
                    if !(*x >= 0.0 && x.is_finite()) {
                        self.push(
                            codes::OUT_OF_RANGE,
                            at.key("samples_ms").index(i),
                            Target::Value,
                            format!("sample {x} ms is not a duration"),
                        );
                    } else {
                        self.at_most(at.key("samples_ms").index(i), "a sample", *x, MS);
                    }
                }
            }
        }
    }

    fn top_level(&mut self) {
        if self.s.name.trim().is_empty() {
            self.push(
                codes::OUT_OF_RANGE,
                root().key("name"),
                Target::Value,
                "the scenario's `name` is empty".to_owned(),
            );
        }
        if self.s.services.is_empty() && self.s.monolith.is_none() {
            self.push_help(
                codes::MISSING_FIELD,
                root().key("name"),
                Target::Key,
                "the scenario declares no services and no monolith".to_owned(),
                "add a [services.NAME] table (see `microcosm init`)",
            );
        }
    }

    fn services(&mut self) {
        for (name, svc) in &self.s.services {
            let at = root().key("services").key(name);
            self.name(at.clone(), "service", name);
            self.duplicates(&at.key("functions"), "function", &svc.functions);
            for store in svc.data.keys() {
                if !self.s.data_stores.contains_key(store) {
                    let names = self.s.data_stores.keys().map(String::as_str);
                    self.unresolved(
                        at.key("data").key(store),
                        Target::Key,
                        "data store",
                        store,
                        names,
                    );
                }
            }
            if let Some(cpu) = svc.resources.cpu_millis {
                self.at_least_one(
                    at.key("resources").key("cpu_millis"),
                    "`cpu_millis`",
                    cpu,
                    CPU,
                );
            }
            if let Some(memory) = svc.resources.memory_mib {
                self.at_least_one(
                    at.key("resources").key("memory_mib"),
                    "`memory_mib`",
                    memory,
                    MEMORY,
                );
            }
            for (ep_name, ep) in &svc.endpoints {
                let ep_at = at.key("endpoints").key(ep_name);
                self.name(ep_at.clone(), "endpoint", ep_name);
                self.distribution(&ep_at.key("work"), &ep.work);
                for (i, step) in ep.calls.iter().enumerate() {
                    let step_at = ep_at.key("calls").index(i);
                    match step {
                        CallStep::Single(call) => self.call(step_at, call),
                        CallStep::Parallel(calls) => {
                            if calls.is_empty() {
                                self.push_help(
                                    codes::OUT_OF_RANGE,
                                    step_at.clone(),
                                    Target::Value,
                                    "an empty parallel group".to_owned(),
                                    "list the calls made in parallel, or remove the `[]`",
                                );
                            }
                            for (j, call) in calls.iter().enumerate() {
                                self.call(step_at.index(j), call);
                            }
                        }
                    }
                }
                for (i, topic) in ep.publishes.iter().enumerate() {
                    self.topic(ep_at.key("publishes").index(i), Target::Value, topic);
                }
                self.duplicates(&ep_at.key("publishes"), "topic", &ep.publishes);
            }
            for (topic, consumer) in &svc.consumes {
                let c_at = at.key("consumes").key(topic);
                self.topic(c_at.clone(), Target::Key, topic);
                if !svc.endpoints.contains_key(&consumer.handler) {
                    self.endpoint_ref(c_at.key("handler"), &format!("{name}.{}", consumer.handler));
                }
            }
        }
    }

    fn call(&mut self, at: Pointer, call: &Call) {
        self.endpoint_ref(at.clone(), &call.endpoint);
        if call.probability != 1.0 {
            self.probability(
                at.key("probability"),
                "the call's `probability`",
                call.probability,
            );
        }
    }

    fn topic(&mut self, at: Pointer, target: Target, topic: &str) {
        if !self.s.topics.contains_key(topic) {
            let names = self.s.topics.keys().map(String::as_str);
            self.unresolved(at, target, "topic", topic, names);
        }
    }

    fn topics(&mut self) {
        for name in self.s.topics.keys() {
            self.name(root().key("topics").key(name), "topic", name);
        }
    }

    /// Checks a `"caller -> callee"` key whose sides are services or globs over services.
    fn edge_pattern(&mut self, at: Pointer, target: Target, text: &str) -> Option<EdgePattern> {
        let pattern = match EdgePattern::parse(text) {
            Ok(p) => p,
            Err(e) => {
                self.push(codes::INCONSISTENT, at, target, e.0);
                return None;
            }
        };
        let mut ok = true;
        for side in [&pattern.caller, &pattern.callee] {
            if side.contains('*') {
                if !self.s.services.keys().any(|s| glob_match(side, s)) {
                    self.push(
                        codes::UNRESOLVED,
                        at.clone(),
                        target,
                        format!("`{side}` matches no service"),
                    );
                    ok = false;
                }
            } else if !self.service(at.clone(), target, side) {
                ok = false;
            }
        }
        ok.then_some(pattern)
    }

    fn network(&mut self) {
        let n = &self.s.network;
        let at = root().key("network");
        if let Some(d) = &n.latency {
            self.distribution(&at.key("latency"), d);
        }
        if let Some(d) = &n.cross_zone_latency {
            self.distribution(&at.key("cross_zone_latency"), d);
        }
        self.probability(at.key("loss"), "`loss`", n.loss);
        self.duplicates(&at.key("zones"), "zone", &n.zones);
        for (i, zone) in n.zones.iter().enumerate() {
            self.name_at(at.key("zones").index(i), Target::Value, "zone", zone);
        }
        for (key, link) in &n.links {
            let l_at = at.key("links").key(key);
            self.edge_pattern(l_at.clone(), Target::Key, key);
            if let Some(d) = &link.latency {
                self.distribution(&l_at.key("latency"), d);
            }
            if let Some(loss) = link.loss {
                self.probability(l_at.key("loss"), "`loss`", loss);
            }
        }
        if let Some(sec) = &n.security {
            let s_at = at.key("security");
            for (i, rule) in sec.allow.iter().enumerate() {
                self.edge_pattern(s_at.key("allow").index(i), Target::Value, rule);
            }
            for (i, service) in sec.plaintext.iter().enumerate() {
                self.service(s_at.key("plaintext").index(i), Target::Value, service);
            }
        }
    }

    fn data_stores(&mut self) {
        for (name, store) in &self.s.data_stores {
            let at = root().key("data_stores").key(name);
            self.name(at.clone(), "data store", name);
            if let Some(owner) = &store.owner {
                self.service(at.key("owner"), Target::Value, owner);
            }
            self.duplicates(&at.key("entities"), "entity", &store.entities);
        }
    }

    fn policies(&mut self) {
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
            if !edges.iter().any(|(a, b)| pattern.matches(a, b)) {
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
            if !(0.0..=100.0).contains(&o.max_ejection_percent) {
                self.push(
                    codes::OUT_OF_RANGE,
                    o_at.key("max_ejection_percent"),
                    Target::Value,
                    format!(
                        "`max_ejection_percent` is {}, outside [0, 100]",
                        o.max_ejection_percent
                    ),
                );
            }
        }
    }

    fn monitoring(&mut self) {
        for (name, slo) in &self.s.slos {
            let at = root().key("slos").key(name);
            self.name(at.clone(), "SLO", name);
            self.endpoint_ref(at.key("endpoint"), &slo.endpoint);
            if let Some(a) = slo.availability {
                self.fraction_positive(at.key("availability"), "`availability`", a);
            }
            let keys = [
                ("latency_p50_ms", slo.latency_p50_ms),
                ("latency_p90_ms", slo.latency_p90_ms),
                ("latency_p95_ms", slo.latency_p95_ms),
                ("latency_p99_ms", slo.latency_p99_ms),
                ("latency_p999_ms", slo.latency_p999_ms),
            ];
            let mut previous: Option<(&str, f64)> = None;
            let mut any_latency = false;
            for (key, value) in keys {
                let Some(value) = value else { continue };
                any_latency = true;
                if !(value > 0.0 && value.is_finite()) {
                    // Reported once, as not positive, rather than also as out of order.
                    self.positive(at.key(key), &format!("`{key}`"), value, MS);
                    continue;
                }
                self.at_most(at.key(key), &format!("`{key}`"), value, MS);
                if let Some((pkey, pvalue)) = previous
                    && value < pvalue
                {
                    self.push_help(
                        codes::PERCENTILES,
                        at.key(key),
                        Target::Value,
                        format!("`{key}` ({value}) is below `{pkey}` ({pvalue})"),
                        "a higher percentile's target is at least a lower one's",
                    );
                }
                previous = Some((key, value));
            }
            if slo.availability.is_none() && !any_latency {
                self.push_help(
                    codes::MISSING_FIELD,
                    at.clone(),
                    Target::Key,
                    format!("SLO `{name}` sets no target"),
                    "give `availability` or a `latency_p…_ms` target",
                );
            }
            self.positive(at.key("window_s"), "`window_s`", slo.window_s, SECONDS);
        }
        for (name, alert) in &self.s.alerts {
            let at = root().key("alerts").key(name);
            // Alert names become check ids (`EXPERIMENT/expect.alert.NAME`), as SLO names do.
            self.name(at.clone(), "alert", name);
            self.endpoint_ref(at.key("endpoint"), &alert.endpoint);
            match alert.metric {
                AlertMetric::ErrorRate => self.probability(
                    at.key("above"),
                    "the error-rate threshold `above`",
                    alert.above,
                ),
                _ => self.non_negative(at.key("above"), "`above`", alert.above, MS),
            }
            self.non_negative(at.key("for_s"), "`for_s`", alert.for_s, SECONDS);
        }
        let m = &self.s.monitoring;
        self.positive(
            root().key("monitoring").key("metrics_interval_s"),
            "`metrics_interval_s`",
            m.metrics_interval_s,
            SECONDS,
        );
        self.probability(
            root().key("monitoring").key("trace_sampling"),
            "`trace_sampling`",
            m.trace_sampling,
        );
    }

    fn zone(&mut self, at: Pointer, target: Target, zone: &str) {
        if self.s.network.zones.iter().any(|z| z == zone) {
            return;
        }
        if self.s.network.zones.is_empty() {
            self.push_help(
                codes::UNRESOLVED,
                at,
                target,
                format!("no zone `{zone}`"),
                format!("declare the zones in [network]: zones = [\"{zone}\", ...]"),
            );
        } else {
            let names = self.s.network.zones.iter().map(String::as_str);
            self.unresolved(at, target, "zone", zone, names);
        }
    }

    fn deployment(&mut self) {
        for (service, d) in &self.s.deployment {
            let at = root().key("deployment").key(service);
            self.service(at.clone(), Target::Key, service);
            self.at_least_one(at.key("replicas"), "`replicas`", d.replicas, REPLICAS);
            self.at_least_one(at.key("workers"), "`workers`", d.workers, WORKERS);
            self.at_most(
                at.key("queue_capacity"),
                "`queue_capacity`",
                f64::from(d.queue_capacity),
                QUEUE,
            );
            self.duplicates(&at.key("zones"), "zone", &d.zones);
            for (i, zone) in d.zones.iter().enumerate() {
                self.zone(at.key("zones").index(i), Target::Value, zone);
            }
            if d.locality != Locality::Any && d.zones.is_empty() {
                self.push_help(
                    codes::INCONSISTENT,
                    at.key("locality"),
                    Target::Value,
                    format!("`{service}` prefers same-zone replicas but places none in a zone"),
                    "place its replicas with zones = [\"a\", \"b\"], or drop `locality`",
                );
            }
            let s_at = at.key("strategy");
            match &d.strategy {
                DeploymentStrategy::Rolling {
                    max_unavailable,
                    restart_s,
                } => {
                    self.at_least_one(
                        s_at.key("max_unavailable"),
                        "`max_unavailable`",
                        *max_unavailable,
                        REPLICAS,
                    );
                    if d.replicas > 0 && *max_unavailable > d.replicas {
                        self.push(
                            codes::OUT_OF_RANGE,
                            s_at.key("max_unavailable"),
                            Target::Value,
                            format!(
                                "`max_unavailable` ({max_unavailable}) exceeds `replicas` ({})",
                                d.replicas
                            ),
                        );
                    }
                    self.positive(s_at.key("restart_s"), "`restart_s`", *restart_s, SECONDS);
                }
                DeploymentStrategy::BlueGreen { restart_s } => {
                    self.positive(s_at.key("restart_s"), "`restart_s`", *restart_s, SECONDS)
                }
                DeploymentStrategy::Canary {
                    weights,
                    step_s,
                    max_error_rate,
                } => {
                    self.positive(s_at.key("step_s"), "`step_s`", *step_s, SECONDS);
                    if let Some(rate) = max_error_rate {
                        self.probability(
                            s_at.key("max_error_rate"),
                            "the canary's `max_error_rate`",
                            *rate,
                        );
                    }
                    if weights.is_empty() {
                        self.push_help(
                            codes::MISSING_FIELD,
                            s_at.key("weights"),
                            Target::Value,
                            "a canary needs at least one weight".to_owned(),
                            "for example weights = [5, 25, 100]",
                        );
                    }
                    let mut last = 0.0;
                    let mut last_reported = false;
                    for (i, w) in weights.iter().enumerate() {
                        last_reported = !(*w > last && *w <= 100.0);
                        if last_reported {
                            self.push_help(
                                codes::OUT_OF_RANGE,
                                s_at.key("weights").index(i),
                                Target::Value,
                                format!("canary weight {w} does not rise within (0, 100]"),
                                "weights are percentages that increase, ending at 100",
                            );
                        }
                        last = *w;
                    }
                    if !last_reported && weights.last().is_some_and(|w| *w != 100.0) {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            s_at.key("weights").index(weights.len() - 1),
                            Target::Value,
                            "the last canary weight is not 100".to_owned(),
                            "end the rollout with 100 so all traffic reaches the new version",
                        );
                    }
                }
            }
        }
        if let Some(cluster) = &self.s.cluster {
            for (zone, cap) in &cluster.zones {
                let at = root().key("cluster").key("zones").key(zone);
                self.zone(at.clone(), Target::Key, zone);
                self.at_least_one(at.key("nodes"), "`nodes`", cap.nodes, NODES);
                self.at_least_one(
                    at.key("node_cpu_millis"),
                    "`node_cpu_millis`",
                    cap.node_cpu_millis,
                    CPU,
                );
                self.at_least_one(
                    at.key("node_memory_mib"),
                    "`node_memory_mib`",
                    cap.node_memory_mib,
                    MEMORY,
                );
            }
        }
    }

    fn service_endpoint(&mut self, at: Pointer, service: &str, endpoint: &str) {
        if self.s.services.contains_key(service) {
            self.endpoint_ref(at, &format!("{service}.{endpoint}"));
        }
    }

    fn transactions(&mut self) {
        for (name, tx) in &self.s.transactions {
            let at = root().key("transactions").key(name);
            self.name(at.clone(), "transaction", name);
            match tx {
                Transaction::TwoPhaseCommit {
                    coordinator,
                    participants,
                    prepare,
                    participants_may_vote_no,
                    ..
                } => {
                    // TwoPhase lets any participant vote no at any time: under parallel prepare
                    // the key could only be ignored, and `false` would promise what the model
                    // does not check.
                    if *prepare == Prepare::Parallel && participants_may_vote_no.is_some() {
                        self.push_help(
                            codes::INCONSISTENT,
                            at.key("participants_may_vote_no"),
                            Target::Key,
                            "`participants_may_vote_no` applies only to sequential prepare; \
                             under parallel prepare (TwoPhase) any participant may vote no"
                                .to_owned(),
                            "remove it, or set prepare = \"sequential\" (or \
                             \"sequential_abort_prepared\")",
                        );
                    }
                    self.service(at.key("coordinator"), Target::Value, coordinator);
                    if participants.is_empty() {
                        self.push(
                            codes::MISSING_FIELD,
                            at.key("participants"),
                            Target::Value,
                            "two-phase commit needs at least one participant".to_owned(),
                        );
                    }
                    if participants.len() > limits::MAX_TWO_PHASE_PARTICIPANTS {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            at.key("participants"),
                            Target::Value,
                            format!(
                                "two-phase commit `{name}` has {} participants; the 2PC model holds at most {}",
                                participants.len(),
                                limits::MAX_TWO_PHASE_PARTICIPANTS
                            ),
                            format!(
                                "list at most {} participants: model the commit of a subset, or group services that prepare together",
                                limits::MAX_TWO_PHASE_PARTICIPANTS
                            ),
                        );
                    }
                    for (i, p) in participants.iter().enumerate() {
                        self.service(at.key("participants").index(i), Target::Value, p);
                        // The checker models the coordinator and each participant as separate
                        // parties: one service in both roles would be two processes at once.
                        if p == coordinator {
                            self.push_help(
                                codes::INCONSISTENT,
                                at.key("participants").index(i),
                                Target::Value,
                                format!("`{p}` is the coordinator and also a participant"),
                                "a coordinator that also holds data prepares and commits locally: list only the other services as participants",
                            );
                        }
                    }
                    self.duplicates(&at.key("participants"), "participant", participants);
                }
                Transaction::Saga {
                    style,
                    coordinator,
                    steps,
                    faults,
                    ..
                } => {
                    // A saga log is the orchestrator's; a choreography has none to keep.
                    if *style == SagaStyle::Choreographed && faults.saga_log.is_kept() {
                        self.push_help(
                            codes::INCONSISTENT,
                            at.key("faults").key("saga_log"),
                            Target::Value,
                            "a choreographed saga has no coordinator to keep a saga log".to_owned(),
                            "remove `saga_log`, or use style = \"orchestrated\" with a coordinator",
                        );
                    }
                    match (style, coordinator) {
                        (SagaStyle::Orchestrated, None) => self.push_help(
                            codes::MISSING_FIELD,
                            at.clone(),
                            Target::Key,
                            format!("orchestrated saga `{name}` names no coordinator"),
                            "add coordinator = \"SERVICE\", or style = \"choreographed\"",
                        ),
                        (SagaStyle::Choreographed, Some(_)) => self.push_help(
                            codes::INCONSISTENT,
                            at.key("coordinator"),
                            Target::Key,
                            "a choreographed saga has no coordinator".to_owned(),
                            "remove `coordinator`, or use style = \"orchestrated\"",
                        ),
                        (_, Some(c)) => {
                            self.service(at.key("coordinator"), Target::Value, c);
                        }
                        _ => {}
                    }
                    if steps.is_empty() {
                        self.push(
                            codes::MISSING_FIELD,
                            at.key("steps"),
                            Target::Value,
                            "a saga needs at least one step".to_owned(),
                        );
                    }
                    if steps.len() > limits::MAX_SAGA_STEPS {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            at.key("steps"),
                            Target::Value,
                            format!(
                                "saga `{name}` has {} steps; the saga model holds at most {}",
                                steps.len(),
                                limits::MAX_SAGA_STEPS
                            ),
                            format!(
                                "give at most {} steps: merge steps of one service, or split the saga",
                                limits::MAX_SAGA_STEPS
                            ),
                        );
                    }
                    let mut pivot_seen = false;
                    for (i, step) in steps.iter().enumerate() {
                        let s_at = at.key("steps").index(i);
                        if self.service(s_at.key("service"), Target::Value, &step.service) {
                            self.service_endpoint(s_at.key("action"), &step.service, &step.action);
                            if let Some(c) = &step.compensation {
                                self.service_endpoint(s_at.key("compensation"), &step.service, c);
                            }
                        }
                        if let Some(t) = &step.topic {
                            self.topic(s_at.key("topic"), Target::Value, t);
                        }
                        if step.pivot {
                            if pivot_seen {
                                self.push(
                                    codes::INCONSISTENT,
                                    s_at.key("pivot"),
                                    Target::Value,
                                    "a saga has at most one pivot step".to_owned(),
                                );
                            }
                            pivot_seen = true;
                        }
                    }
                }
            }
        }
    }

    fn monolith(&mut self) {
        let Some(m) = &self.s.monolith else { return };
        let at = root().key("monolith");
        // A CSV that could not be read keeps its name here and was reported already.
        if m.functions.is_empty() && m.calls_csv.is_none() && m.data_csv.is_none() {
            self.push_help(
                codes::EMPTY,
                at.clone(),
                Target::Key,
                "the monolith has no functions".to_owned(),
                "declare `[monolith.functions]` or calls (inline, or from `calls_csv`); an \
                 empty monolith would pass every decomposition check",
            );
        }
        let names = || m.functions.keys().map(String::as_str);
        for (i, call) in m.calls.iter().enumerate() {
            let c_at = at.key("calls").index(i);
            for (key, f) in [("from", &call.from), ("to", &call.to)] {
                if !m.functions.contains_key(f) {
                    self.unresolved(
                        c_at.key(key),
                        Target::Value,
                        "monolith function",
                        f,
                        names(),
                    );
                }
            }
            self.positive(c_at.key("weight"), "`weight`", call.weight, WEIGHT);
        }
        for (i, access) in m.data.iter().enumerate() {
            if !m.functions.contains_key(&access.function) {
                let a_at = at.key("data").index(i).key("function");
                self.unresolved(
                    a_at,
                    Target::Value,
                    "monolith function",
                    &access.function,
                    names(),
                );
            }
        }
    }

    fn expected_verdicts(&mut self) {
        for check in self.s.expected_verdicts.keys() {
            // Check ids are `subject/rule.id` or a bare `rule.id`; which subjects and rules exist
            // is known to the engines, so the gate reports ids no check produced.
            let (subject, rule) = check.rsplit_once('/').unwrap_or(("", check));
            let subject_ok = subject.is_empty()
                || self.s.transactions.contains_key(subject)
                || self.s.experiments.contains_key(subject)
                || self.s.policies.contains_key(subject)
                || self.s.services.contains_key(subject);
            if rule.is_empty() || !rule.contains('.') {
                self.push_help(
                    codes::INCONSISTENT,
                    root().key("expected_verdicts").key(check),
                    Target::Key,
                    format!("`{check}` is not a check id"),
                    "check ids look like \"TRANSACTION/2pc.termination\" or \"EXPERIMENT/slo.NAME\"",
                );
            } else if !subject_ok {
                let names = self
                    .s
                    .transactions
                    .keys()
                    .chain(self.s.experiments.keys())
                    .map(String::as_str);
                self.unresolved(
                    root().key("expected_verdicts").key(check),
                    Target::Key,
                    "transaction or experiment",
                    subject,
                    names,
                );
            }
        }
    }

    fn experiments(&mut self) {
        for (name, e) in &self.s.experiments {
            let at = root().key("experiments").key(name);
            self.name(at.clone(), "experiment", name);
            self.positive(at.key("duration_s"), "`duration_s`", e.duration_s, SECONDS);
            if !(e.warmup_s >= 0.0 && (e.warmup_s < e.duration_s || e.duration_s <= 0.0)) {
                self.push(
                    codes::OUT_OF_RANGE,
                    at.key("warmup_s"),
                    Target::Value,
                    format!(
                        "`warmup_s` ({}) must be at least 0 and shorter than `duration_s` ({})",
                        e.warmup_s, e.duration_s
                    ),
                );
            }
            if e.load.is_empty() {
                self.push_help(
                    codes::MISSING_FIELD,
                    at.key("load"),
                    Target::Value,
                    format!("experiment `{name}` has no load"),
                    "add load = [{ endpoint = \"service.endpoint\", rate_per_s = 100 }]",
                );
            }
            for (i, load) in e.load.iter().enumerate() {
                self.load(&at.key("load").index(i), load, e.duration_s);
            }
            for (i, fault) in e.faults.iter().enumerate() {
                self.fault(&at.key("faults").index(i), fault, e.duration_s);
            }
            for (i, slo) in e.expect.slos.iter().enumerate() {
                if !self.s.slos.contains_key(slo) {
                    let names = self.s.slos.keys().map(String::as_str);
                    self.unresolved(
                        at.key("expect").key("slos").index(i),
                        Target::Value,
                        "SLO",
                        slo,
                        names,
                    );
                }
            }
            for (alert, within) in &e.expect.alerts_within_s {
                let a_at = at.key("expect").key("alerts_within_s").key(alert);
                if !self.s.alerts.contains_key(alert) {
                    let names = self.s.alerts.keys().map(String::as_str);
                    self.unresolved(a_at, Target::Key, "alert", alert, names);
                } else if e.faults.is_empty() {
                    self.push_help(
                        codes::OUT_OF_RANGE,
                        a_at,
                        Target::Key,
                        format!("alert `{alert}` must detect a fault, but the experiment has none"),
                        "add a fault, e.g. faults = [{ at_s = 60, for_s = 30, crash = \"service\" }]",
                    );
                } else {
                    self.positive(a_at, "a detection time", *within, SECONDS);
                }
            }
            if let Some(max) = e.expect.max_retry_amplification
                && (max.is_nan() || max < 1.0)
            {
                self.push_help(
                    codes::OUT_OF_RANGE,
                    at.key("expect").key("max_retry_amplification"),
                    Target::Value,
                    format!("`max_retry_amplification` is {max}, below 1"),
                    "1 means no retries at all; every call is at least one attempt",
                );
            } else if let Some(max) = e.expect.max_retry_amplification {
                self.at_most(
                    at.key("expect").key("max_retry_amplification"),
                    "`max_retry_amplification`",
                    max,
                    AMPLIFICATION,
                );
            }
        }
    }

    fn load(&mut self, at: &Pointer, load: &LoadGenerator, duration_s: f64) {
        match (&load.endpoint, load.mix.is_empty()) {
            (Some(endpoint), true) => {
                self.endpoint_ref(at.key("endpoint"), endpoint);
            }
            (None, false) => {
                for (endpoint, weight) in &load.mix {
                    let m_at = at.key("mix").key(endpoint);
                    // The endpoint is the key; its weight is the value.
                    if self.endpoint_ref_at(m_at.clone(), Target::Key, endpoint) {
                        self.positive(
                            m_at,
                            &format!("the weight of `{endpoint}`"),
                            *weight,
                            WEIGHT,
                        );
                    }
                }
            }
            (Some(_), false) => self.push_help(
                codes::INCONSISTENT,
                at.key("mix"),
                Target::Key,
                "a load gives both `endpoint` and `mix`".to_owned(),
                "give one endpoint, or a weighted mix",
            ),
            (None, true) => self.push_help(
                codes::MISSING_FIELD,
                at.clone(),
                Target::Value,
                "a load names no endpoint".to_owned(),
                "give endpoint = \"service.endpoint\" or mix = { \"service.endpoint\" = 1 }",
            ),
        }
        let arrival = load.arrival;
        let only = |field: &str, applies: &str| {
            (
                codes::INCONSISTENT,
                at.key(field),
                Target::Key,
                format!("`{field}` only applies to {applies} loads, not `{arrival:?}`").replace(
                    &format!("`{arrival:?}`"),
                    &format!("`{}`", arrival_name(arrival)),
                ),
            )
        };
        let mut misplaced = Vec::new();
        if load.to_rate_per_s.is_some() && arrival != Arrival::Ramp {
            misplaced.push(only("to_rate_per_s", "`ramp`"));
        }
        if !load.steps.is_empty() && arrival != Arrival::Step {
            misplaced.push(only("steps", "`step`"));
        }
        if (load.users.is_some() || load.think_time_ms.is_some()) && arrival != Arrival::Closed {
            let field = if load.users.is_some() {
                "users"
            } else {
                "think_time_ms"
            };
            misplaced.push(only(field, "`closed`"));
        }
        if load.rate_per_s.is_some() && matches!(arrival, Arrival::Step | Arrival::Closed) {
            misplaced.push(only("rate_per_s", "`poisson`, `constant` and `ramp`"));
        }
        for (code, p, t, m) in misplaced {
            self.push(code, p, t, m);
        }
        let require = |v: &mut Self, field: &str, example: &str| {
            v.push_help(
                codes::MISSING_FIELD,
                at.clone(),
                Target::Value,
                format!("a `{}` load needs `{field}`", arrival_name(arrival)),
                format!("add {example}"),
            );
        };
        match arrival {
            Arrival::Poisson | Arrival::Constant => match load.rate_per_s {
                Some(r) => self.positive(at.key("rate_per_s"), "`rate_per_s`", r, RATE),
                None => require(self, "rate_per_s", "rate_per_s = 100"),
            },
            Arrival::Ramp => {
                match load.rate_per_s {
                    Some(r) => self.non_negative(at.key("rate_per_s"), "`rate_per_s`", r, RATE),
                    None => require(self, "rate_per_s", "rate_per_s = 10 (the starting rate)"),
                }
                match load.to_rate_per_s {
                    Some(r) => {
                        self.non_negative(at.key("to_rate_per_s"), "`to_rate_per_s`", r, RATE)
                    }
                    None => require(
                        self,
                        "to_rate_per_s",
                        "to_rate_per_s = 500 (the final rate)",
                    ),
                }
            }
            Arrival::Step => {
                if load.steps.is_empty() {
                    require(self, "steps", "steps = [{ at_s = 0, rate_per_s = 100 }]");
                }
                let mut last = -1.0;
                for (i, step) in load.steps.iter().enumerate() {
                    let s_at = at.key("steps").index(i);
                    if !(step.at_s >= 0.0 && step.at_s < duration_s) {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            s_at.key("at_s"),
                            Target::Value,
                            format!(
                                "the step at {} s is outside the {duration_s} s experiment",
                                step.at_s
                            ),
                            format!("start it between 0 and {duration_s}"),
                        );
                    } else if step.at_s <= last {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            s_at.key("at_s"),
                            Target::Value,
                            format!(
                                "the step at {} s is not after the previous step, at {last} s",
                                step.at_s
                            ),
                            "list the steps in time order, each at a later time",
                        );
                    }
                    // A step outside the experiment is not the one later steps must follow.
                    if step.at_s >= 0.0 && step.at_s < duration_s {
                        last = step.at_s;
                    }
                    self.non_negative(
                        s_at.key("rate_per_s"),
                        "`rate_per_s`",
                        step.rate_per_s,
                        RATE,
                    );
                }
            }
            Arrival::Closed => {
                match load.users {
                    Some(u) => self.at_least_one(at.key("users"), "`users`", u, USERS),
                    None => require(self, "users", "users = 50"),
                }
                if let Some(t) = load.think_time_ms {
                    self.non_negative(at.key("think_time_ms"), "`think_time_ms`", t, MS);
                }
            }
        }
    }

    fn fault(&mut self, at: &Pointer, fault: &Fault, duration_s: f64) {
        let actions = fault.actions_set();
        if actions.len() != 1 {
            let message = if actions.is_empty() {
                "a fault with no action".to_owned()
            } else {
                format!(
                    "a fault with {} actions ({})",
                    actions.len(),
                    actions.join(", ")
                )
            };
            self.push_help(
                codes::INCONSISTENT,
                at.clone(),
                Target::Value,
                message,
                "give exactly one of crash, latency, errors, partition, slowdown, deploy; split it into several faults",
            );
        }
        if !(fault.at_s >= 0.0 && fault.at_s < duration_s) {
            self.push_help(
                codes::FAULT_WINDOW,
                at.key("at_s"),
                Target::Value,
                format!(
                    "the fault starts at {} s, outside the {duration_s} s experiment",
                    fault.at_s
                ),
                format!("start it between 0 and {duration_s}"),
            );
        } else if let Some(for_s) = fault.for_s {
            if for_s.is_nan() || for_s <= 0.0 {
                self.positive(at.key("for_s"), "`for_s`", for_s, SECONDS);
            } else if fault.at_s + for_s > duration_s {
                self.push_help(
                    codes::FAULT_WINDOW,
                    at.key("for_s"),
                    Target::Value,
                    format!(
                        "the fault ends at {} s, after the {duration_s} s experiment",
                        fault.at_s + for_s
                    ),
                    format!(
                        "make `for_s` at most {}, or omit it to last to the end",
                        duration_s - fault.at_s
                    ),
                );
            }
        }
        if fault.replicas.is_some() && fault.crash.is_none() {
            self.push(
                codes::INCONSISTENT,
                at.key("replicas"),
                Target::Key,
                "`replicas` only applies to a `crash` fault".to_owned(),
            );
        }
        if fault.zone.is_some() && fault.crash.is_none() {
            self.push(
                codes::INCONSISTENT,
                at.key("zone"),
                Target::Key,
                "`zone` only applies to a `crash` fault".to_owned(),
            );
        }
        if fault.new_version.is_some() && fault.deploy.is_none() {
            self.push(
                codes::INCONSISTENT,
                at.key("new_version"),
                Target::Key,
                "`new_version` only applies to a `deploy` fault".to_owned(),
            );
        }
        if let Some(service) = &fault.crash
            && self.service(at.key("crash"), Target::Value, service)
        {
            let d = self.s.deployment_of(service);
            // Replicas are placed round-robin over the deployment's zones.
            let in_zone = |zone: &str| {
                (0..d.replicas)
                    .filter(|i| {
                        d.zones
                            .get(*i as usize % d.zones.len().max(1))
                            .map(String::as_str)
                            == Some(zone)
                    })
                    .count() as u32
            };
            let replicas = match &fault.zone {
                Some(zone) => {
                    let n = in_zone(zone);
                    if n == 0 {
                        self.push_help(
                            codes::INCONSISTENT,
                            at.key("zone"),
                            Target::Value,
                            format!("`{service}` has no replica in zone `{zone}`"),
                            if d.zones.is_empty() {
                                "place its replicas in zones in its [deployment]".to_owned()
                            } else {
                                format!("its replicas are in {}", d.zones.join(", "))
                            },
                        );
                    }
                    n
                }
                None => d.replicas,
            };
            if let Some(n) = fault.replicas
                && (n == 0 || n > limits::MAX_REPLICAS)
            {
                self.at_least_one(at.key("replicas"), "`replicas`", n, REPLICAS);
            } else if let Some(n) = fault.replicas
                && replicas > 0
                && n > replicas
            {
                self.push(
                    codes::OUT_OF_RANGE,
                    at.key("replicas"),
                    Target::Value,
                    match &fault.zone {
                        Some(zone) => format!(
                            "crashes {n} replicas of `{service}`, which has {replicas} in zone `{zone}`"
                        ),
                        None => format!("crashes {n} replicas of `{service}`, which has {replicas}"),
                    },
                );
            }
        }
        if let Some(l) = &fault.latency {
            self.edge_pattern(at.key("latency").key("link"), Target::Value, &l.link);
            self.positive(at.key("latency").key("add_ms"), "`add_ms`", l.add_ms, MS);
        }
        if let Some(e) = &fault.errors {
            let t_at = at.key("errors").key("target");
            if e.target.contains('.') {
                self.endpoint_ref(t_at, &e.target);
            } else {
                self.service(t_at, Target::Value, &e.target);
            }
            self.probability(at.key("errors").key("rate"), "the error `rate`", e.rate);
        }
        if let Some(p) = &fault.partition {
            let p_at = at.key("partition");
            for (key, side) in [("from", &p.from), ("to", &p.to)] {
                match side.strip_prefix("zone:") {
                    Some(zone) => self.zone(p_at.key(key), Target::Value, zone),
                    None => {
                        self.service(p_at.key(key), Target::Value, side);
                    }
                }
            }
            if p.from == p.to {
                self.push(
                    codes::INCONSISTENT,
                    p_at.key("to"),
                    Target::Value,
                    format!("a partition between `{}` and itself", p.from),
                );
            }
        }
        if let Some(s) = &fault.slowdown {
            self.service(at.key("slowdown").key("service"), Target::Value, &s.service);
            self.positive(
                at.key("slowdown").key("factor"),
                "`factor`",
                s.factor,
                FACTOR,
            );
        }
        if let Some(service) = &fault.deploy {
            self.service(at.key("deploy"), Target::Value, service);
        }
        if let Some(v) = &fault.new_version {
            let v_at = at.key("new_version");
            self.probability(
                v_at.key("error_rate"),
                "the new version's `error_rate`",
                v.error_rate,
            );
            self.positive(
                v_at.key("slowdown"),
                "the new version's `slowdown`",
                v.slowdown,
                FACTOR,
            );
        }
    }

    /// Synchronous calls between endpoints must not form a cycle: each request in it would wait
    /// on itself forever (or recurse until a timeout), which no policy makes sound.
    fn sync_cycles(&mut self) {
        let mut graph: DiGraph<(&str, &str), (usize, Option<usize>)> = DiGraph::new();
        let mut index: BTreeMap<(&str, &str), NodeIndex> = BTreeMap::new();
        for (service, endpoint, _) in self.s.endpoints() {
            index.insert((service, endpoint), graph.add_node((service, endpoint)));
        }
        for (service, endpoint, ep) in self.s.endpoints() {
            let from = index[&(service, endpoint)];
            for (i, step) in ep.calls.iter().enumerate() {
                let parallel = matches!(step, CallStep::Parallel(_));
                for (j, call) in step.calls().iter().enumerate() {
                    if let Some((s, e)) = call.endpoint.split_once('.')
                        && let Some(&to) = index.get(&(s, e))
                    {
                        graph.add_edge(from, to, (i, parallel.then_some(j)));
                    }
                }
            }
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            let start = *component
                .iter()
                .min_by_key(|n| graph[**n])
                .expect("non-empty");
            let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
            let self_loop = graph.find_edge(start, start).is_some();
            if members.len() == 1 && !self_loop {
                continue;
            }
            let cycle = shortest_cycle(&graph, start, &members);
            let names: Vec<String> = cycle
                .iter()
                .chain(std::iter::once(&start))
                .map(|n| format!("{}.{}", graph[*n].0, graph[*n].1))
                .collect();
            let next = cycle.get(1).copied().unwrap_or(start);
            let edge = graph.find_edge(start, next).expect("cycle edge");
            let (step, within) = graph[edge];
            let (service, endpoint) = graph[start];
            let mut at = root()
                .key("services")
                .key(service)
                .key("endpoints")
                .key(endpoint)
                .key("calls")
                .index(step);
            if let Some(j) = within {
                at = at.index(j);
            }
            self.push_help(
                codes::SYNC_CYCLE,
                at,
                Target::Value,
                format!("synchronous call cycle: {}", names.join(" → ")),
                "a request in this cycle waits on itself; break it with an event (publishes/consumes) or remove a call",
            );
        }
    }
}

fn arrival_name(arrival: Arrival) -> &'static str {
    match arrival {
        Arrival::Poisson => "poisson",
        Arrival::Constant => "constant",
        Arrival::Ramp => "ramp",
        Arrival::Step => "step",
        Arrival::Closed => "closed",
    }
}

/// The nodes of a shortest cycle through `start` inside one strongly connected component,
/// beginning with `start`.
fn shortest_cycle<N, E>(
    graph: &DiGraph<N, E>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    if graph.find_edge(start, start).is_some() {
        return vec![start];
    }
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut successors: Vec<NodeIndex> = graph.neighbors(node).collect();
        successors.sort();
        for next in successors {
            if next == start {
                let mut path = vec![node];
                let mut cur = node;
                while let Some(&p) = parent.get(&cur) {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return path;
            }
            if members.contains(&next) && next != start && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start]
}
