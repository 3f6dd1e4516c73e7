//! S and I: services and their interfaces. Owns the rules on a service's name, functions (listed
//! once), data (declared stores), resources (in range), its endpoints' names, work distributions,
//! calls (resolving, non-empty parallel groups, call probabilities) and published and consumed
//! topics (declared, listed once, handled by a real endpoint), and on topic names.
//!
//! Calls the shared helpers in `rules.rs`; `topic` is also used by the saga rules in
//! `transactions.rs`. Separate because services are the largest part of the file and the one every
//! other part refers to.

use super::rules::{CPU, MEMORY};
use super::{Validator, root};
use crate::diagnostic::codes;
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    pub(super) fn services(&mut self) {
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

    pub(super) fn topic(&mut self, at: Pointer, target: Target, topic: &str) {
        if !self.s.topics.contains_key(topic) {
            let names = self.s.topics.keys().map(String::as_str);
            self.unresolved(at, target, "topic", topic, names);
        }
    }

    pub(super) fn topics(&mut self) {
        for name in self.s.topics.keys() {
            self.name(root().key("topics").key(name), "topic", name);
        }
    }
}
