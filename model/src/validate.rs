//! Semantic validation of a parsed scenario: every cross-reference resolves, every number is in
//! its range, and the architecture can run at all (no synchronous call cycles, no fault outside
//! its experiment, no policy on an edge nobody calls). Reports every problem at once, each at a
//! [`Pointer`] that the loader turns into file, line and column.
//!
//! The rules live by the part of the seven-tuple (or of the file) they check, one file each:
//! `services.rs` (S, and I's topics), `network.rs` (N), `data.rs` (D), `configuration.rs` (C:
//! policies), `monitoring.rs` (M), `deployment.rs` (P), `transactions.rs`, `meaning.rs` (options
//! that mean nothing where written), `monolith.rs`, `experiments.rs`, `expectations.rs`
//! (expected verdicts) and `cycles.rs` (synchronous call cycles); `rules.rs` holds the helpers
//! they share. This file keeps [`Problem`], the `Validator` they all extend, and [`validate`],
//! which runs the groups in one fixed order: the order of the diagnostics users see.

use crate::diagnostic::codes;
use crate::scenario::*;
use crate::source::{Pointer, Target};

mod configuration;
mod cycles;
mod data;
mod deployment;
mod expectations;
mod experiments;
mod meaning;
mod monitoring;
mod monolith;
mod network;
mod rules;
mod services;
#[cfg(test)]
mod tests;
mod transactions;

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

impl Validator<'_> {
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
}
