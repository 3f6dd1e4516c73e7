//! P: deployment. Owns the rules on `[deployment]` (a real service; replicas, workers and queue
//! capacity in range; zones declared and listed once; same-zone locality with zones; the rolling,
//! blue-green and canary strategies' settings, canary weights, fractions rising to 1) and on the cluster's
//! per-zone capacity; and `zone`, which resolves a zone name against `[network]`.
//!
//! Calls the helpers in `rules.rs`; `experiments.rs` calls `zone` for zone crashes and partitions.
//! Separate because deployment is its own part of the seven-tuple.

use super::rules::{CPU, MEMORY, NODES, QUEUE, REPLICAS, SECONDS, WORKERS};
use super::{Validator, root};
use crate::diagnostic::{codes, number};
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    pub(super) fn zone(&mut self, at: Pointer, target: Target, zone: &str) {
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

    pub(super) fn deployment(&mut self) {
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
                            "for example weights = [0.05, 0.25, 1]",
                        );
                    }
                    // Weights written as percents (Argo's `setWeight: 10`, this format's own
                    // before every share became a fraction) are one mistake, said once for the
                    // list with the fractions to write, rather than once per weight.
                    let first_percent = weights.iter().position(|w| *w > 1.0);
                    if let Some(i) = first_percent
                        && weights.iter().all(|w| *w > 0.0 && *w <= 100.0)
                    {
                        let fractions: Vec<String> =
                            weights.iter().map(|w| number(w / 100.0)).collect();
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            s_at.key("weights").index(i),
                            Target::Value,
                            format!(
                                "canary weight {} is more than all the traffic: weights are fractions from 0 to 1",
                                weights[i]
                            ),
                            format!(
                                "write weights = [{}] (the percents as fractions)",
                                fractions.join(", ")
                            ),
                        );
                    } else {
                        self.canary_weights(&s_at, weights);
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

    /// Canary weights as fractions: each in (0, 1] and above the one before, the last 1.
    fn canary_weights(&mut self, s_at: &Pointer, weights: &[f64]) {
        let mut last = 0.0;
        let mut last_reported = false;
        for (i, w) in weights.iter().enumerate() {
            last_reported = !(*w > last && *w <= 1.0);
            if last_reported {
                self.push_help(
                    codes::OUT_OF_RANGE,
                    s_at.key("weights").index(i),
                    Target::Value,
                    format!("canary weight {w} does not rise within (0, 1]"),
                    "weights are fractions of the traffic that increase, ending at 1",
                );
            }
            last = *w;
        }
        if !last_reported && weights.last().is_some_and(|w| *w != 1.0) {
            self.push_help(
                codes::OUT_OF_RANGE,
                s_at.key("weights").index(weights.len() - 1),
                Target::Value,
                "the last canary weight is not 1".to_owned(),
                "end the rollout with 1 so all traffic reaches the new version",
            );
        }
    }
}
