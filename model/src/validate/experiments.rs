//! Failure experiments to simulate. Owns the rules on `[experiments]`: valid names, duration and
//! warm-up; each load generator (an endpoint or a weighted mix of real ones, the fields its arrival
//! pattern needs and no others, rates, users and steps in range and in time order); each fault
//! (exactly one action, inside the experiment's time, options that belong to its action, real
//! services, links, zones and endpoints, replicas that exist); and the expectations' SLOs, alerts
//! and retry amplification bound.
//!
//! Calls the helpers in `rules.rs`, `edge_pattern` in `network.rs` and `zone` in `deployment.rs`.
//! Whether an expectation watches an endpoint the load reaches is `meaning.rs`'s. Separate because
//! experiments are the simulator's input and the largest group of rules after policies.

use super::rules::{AMPLIFICATION, FACTOR, MS, RATE, REPLICAS, SECONDS, USERS, WEIGHT};
use super::{Validator, root};
use crate::diagnostic::{codes, count, number};
use crate::limits;
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    pub(super) fn experiments(&mut self) {
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
            for (i, slo) in e.expect.slos.iter().flatten().enumerate() {
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
                // With `steps_csv` still set, the file could not be read into steps, and the
                // loader has said why: "needs `steps`" would be an echo of that.
                if load.steps.is_empty() && load.steps_csv.is_none() {
                    require(
                        self,
                        "steps",
                        "steps = [{ at_s = 0, rate_per_s = 100 }], or steps_csv = \"steps.csv\" (`at_s,rate_per_s` rows)",
                    );
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
                        number(fault.at_s + for_s)
                    ),
                    format!(
                        "make `for_s` at most {}, or omit it to last to the end",
                        number(duration_s - fault.at_s)
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
                            "crashes {} of `{service}`, which has {replicas} in zone `{zone}`",
                            count(f64::from(n), "replica")
                        ),
                        None => format!(
                            "crashes {} of `{service}`, which has {replicas}",
                            count(f64::from(n), "replica")
                        ),
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
