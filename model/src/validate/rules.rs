//! The vocabulary every rule is written in: reporting a problem (`push`, `push_help`), a name
//! that does not resolve with its closest match (`unresolved`, `service`, `endpoint_ref`), valid
//! and duplicate names, and the ranges numbers live in (`probability`, `fraction_positive`,
//! `positive`, `non_negative`, `at_least_one`, `at_most` against a `Max` from
//! [`crate::limits`]), plus the latency `distribution`, which services and the network share.
//!
//! It calls only [`crate::diagnostic`] (codes, did-you-mean) and reads [`crate::limits`]; every
//! part of the seven-tuple calls it. It is separate so a rule file reads as the rules of one
//! part, and so a message like "must be positive" is worded in one place for every key.

use std::collections::BTreeSet;

use super::{Problem, Validator};
use crate::diagnostic::{codes, did_you_mean, number};
use crate::limits;
use crate::scenario::*;
use crate::source::{Pointer, Target};

/// Lists names for a help message, shortened when there are many.
pub(super) fn listing<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
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
pub(super) struct Max {
    pub(super) value: f64,
    why: &'static str,
}

pub(super) const MS: Max = Max {
    value: limits::MAX_DURATION_MS,
    why: "one year in milliseconds: longer is a unit mistake, not a timer",
};
pub(super) const SECONDS: Max = Max {
    value: limits::MAX_DURATION_S,
    why: "one year: the longest simulated time",
};
pub(super) const RATE: Max = Max {
    value: limits::MAX_RATE_PER_S,
    why: "a million requests per second: the simulator pays for each one",
};
pub(super) const FACTOR: Max = Max {
    value: limits::MAX_FACTOR,
    why: "a factor of a thousand",
};
pub(super) const WEIGHT: Max = Max {
    value: limits::MAX_WEIGHT,
    why: "weights are relative: scale them down",
};
pub(super) const REPLICAS: Max = Max {
    value: limits::MAX_REPLICAS as f64,
    why: "the simulator keeps state per replica",
};
pub(super) const WORKERS: Max = Max {
    value: limits::MAX_WORKERS as f64,
    why: "ten thousand requests at once per replica",
};
pub(super) const QUEUE: Max = Max {
    value: limits::MAX_QUEUE_CAPACITY as f64,
    why: "a million waiting requests per replica",
};
pub(super) const USERS: Max = Max {
    value: limits::MAX_USERS as f64,
    why: "a million users",
};
pub(super) const ATTEMPTS: Max = Max {
    value: limits::MAX_ATTEMPTS as f64,
    why: "the most the policy model checks; Resilience4j's default is 3",
};
pub(super) const HALF_OPEN_CALLS: Max = Max {
    value: limits::MAX_HALF_OPEN_CALLS as f64,
    why: "the most trial calls the breaker model holds; Resilience4j's default is 10",
};
pub(super) const WINDOW: Max = Max {
    value: limits::MAX_WINDOW as f64,
    why: "a hundred thousand calls or seconds",
};
pub(super) const CONCURRENT: Max = Max {
    value: limits::MAX_CONCURRENT_CALLS as f64,
    why: "a million calls",
};
pub(super) const CONSECUTIVE: Max = Max {
    value: limits::MAX_CONSECUTIVE_ERRORS as f64,
    why: "ten thousand errors in a row",
};
pub(super) const CPU: Max = Max {
    value: limits::MAX_CPU_MILLIS as f64,
    why: "ten thousand cores, in millicores",
};
pub(super) const MEMORY: Max = Max {
    value: limits::MAX_MEMORY_MIB as f64,
    why: "16 TiB, in MiB",
};
pub(super) const AMPLIFICATION: Max = Max {
    value: limits::MAX_AMPLIFICATION,
    why: "a billion attempts per request",
};
pub(super) const NODES: Max = Max {
    value: limits::MAX_NODES as f64,
    why: "a hundred thousand nodes per zone",
};

impl<'a> Validator<'a> {
    pub(super) fn push(
        &mut self,
        code: &'static str,
        at: Pointer,
        target: Target,
        message: String,
    ) {
        self.problems.push(Problem {
            code,
            message,
            help: None,
            at,
            target,
        });
    }

    pub(super) fn push_help(
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

    pub(super) fn unresolved<'n>(
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
    pub(super) fn service(&mut self, at: Pointer, target: Target, name: &str) -> bool {
        if self.s.services.contains_key(name) {
            return true;
        }
        let names = self.service_names();
        self.unresolved(at, target, "service", name, names);
        false
    }

    /// Checks a `"service.endpoint"` reference written as a value.
    pub(super) fn endpoint_ref(&mut self, at: Pointer, reference: &str) -> bool {
        self.endpoint_ref_at(at, Target::Value, reference)
    }

    /// Checks a `"service.endpoint"` reference written as `target` (a key, in a load's `mix`).
    pub(super) fn endpoint_ref_at(&mut self, at: Pointer, target: Target, reference: &str) -> bool {
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
    pub(super) fn name(&mut self, at: Pointer, kind: &str, name: &str) {
        self.name_at(at, Target::Key, kind, name);
    }

    pub(super) fn name_at(&mut self, at: Pointer, target: Target, kind: &str, name: &str) {
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

    pub(super) fn duplicates(&mut self, at: &Pointer, kind: &str, items: &[String]) {
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

    pub(super) fn probability(&mut self, at: Pointer, what: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            let help = if (1.0..=100.0).contains(&value) {
                format!(
                    "give a fraction: {} rather than {value} (percent)",
                    number(value / 100.0)
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
    pub(super) fn fraction_positive(&mut self, at: Pointer, what: &str, value: f64) {
        if !(value > 0.0 && value <= 1.0) {
            let help = if (1.0..=100.0).contains(&value) {
                format!(
                    "give a fraction: {} rather than {value} (percent)",
                    number(value / 100.0)
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
    pub(super) fn positive(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
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
    pub(super) fn non_negative(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
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
    pub(super) fn at_least_one(&mut self, at: Pointer, what: &str, value: u32, max: Max) {
        if value == 0 {
            self.push_help(
                codes::OUT_OF_RANGE,
                at,
                Target::Value,
                format!("{what} must be at least 1"),
                format!("write a whole number from 1 to {}", max.value),
            );
        } else {
            self.at_most(at, what, f64::from(value), max);
        }
    }

    /// A number at most `max` (see [`crate::limits`]).
    pub(super) fn at_most(&mut self, at: Pointer, what: &str, value: f64, max: Max) {
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

    pub(super) fn distribution(&mut self, at: &Pointer, d: &Distribution) {
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
}
