//! The saga's named properties, each a predicate on one state (or, for `saga.pivot-rule`, on
//! the configuration alone): what `saga.semantic-atomicity`, `saga.compensation-order`,
//! `saga.no-phantom-compensation`, `saga.effect-once` and the goal of `saga.termination` mean.
//! The model's [`Model::properties`](stateright::Model::properties) and
//! [`Protocol::liveness_properties`] list them from here, and the projections in `reductions`
//! call them; they read the state only through [`SagaState`]'s accessors. Kept apart from the
//! model so the properties read as the specification they are, without the transitions around
//! them.

use super::SagaConfig;
use super::model::{Phase, SagaState, SagaSys};
use crate::catalogue::{
    SAGA_COMPENSATION_ORDER, SAGA_EFFECT_ONCE, SAGA_NO_PHANTOM_COMPENSATION, SAGA_PIVOT_RULE,
    SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION,
};
use crate::liveness::LivenessProperty;
use crate::verdict::{CheckOptions, OptionsUsed, Stats, Status, Strategy, Verdict};
use crate::verify::Protocol;
use microcosm_model::SagaStep;
use stateright::Property;

/// `saga.pivot-rule`: whether the steps read "compensatable*, pivot, retriable*". With a
/// declared pivot the split is there; without one, any split that satisfies the rule will do.
/// `Err` says which step breaks it.
pub fn pivot_rule(steps: &[SagaStep]) -> Result<String, String> {
    let label = |i: usize| format!("step {} ({}.{})", i + 1, steps[i].service, steps[i].action);
    let pivots: Vec<usize> = (0..steps.len()).filter(|&i| steps[i].pivot).collect();
    let check = |p: usize| -> Result<(), String> {
        if let Some(i) = (0..p).find(|&i| steps[i].compensation.is_none()) {
            return Err(format!(
                "{} comes before the pivot {} but has no compensation",
                label(i),
                label(p)
            ));
        }
        if let Some(i) = (p + 1..steps.len()).find(|&i| !steps[i].retriable) {
            return Err(format!(
                "{} comes after the pivot {} but is not retriable: if it fails, the pivot cannot be undone",
                label(i),
                label(p)
            ));
        }
        Ok(())
    };
    match pivots.as_slice() {
        [] => (0..steps.len())
            .find(|&p| check(p).is_ok())
            .map(|p| {
                format!(
                    "no declared pivot; {} can serve as one (compensatable before it, retriable after)",
                    label(p)
                )
            })
            .ok_or_else(|| {
                let p = (0..steps.len())
                    .find(|&i| steps[i].compensation.is_none())
                    .unwrap_or(0);
                format!(
                    "no declared pivot, and no step can serve as one: {}",
                    check(p).expect_err("no split satisfies the rule")
                )
            }),
        [p] => check(*p).map(|()| {
            format!(
                "the steps before the pivot {} have compensations and the steps after it are retriable",
                label(*p)
            )
        }),
        [a, b, ..] => Err(format!(
            "a saga has one go/no-go step, but {} and {} are both marked pivot",
            label(*a),
            label(*b)
        )),
    }
}

pub(super) fn pivot_rule_verdict(name: &str, cfg: &SagaConfig, opts: &CheckOptions) -> Verdict {
    let (status, why) = match pivot_rule(&cfg.steps) {
        Ok(why) => (Status::Holds, why),
        Err(why) => (Status::Violated, why),
    };
    Verdict {
        model: name.to_owned(),
        protocol: SagaSys::PROTOCOL,
        property: SAGA_PIVOT_RULE,
        status,
        stats: Stats::default(),
        options: OptionsUsed {
            engine: crate::verdict::STATIC_ENGINE,
            strategy: Strategy::Bfs,
            threads: 1,
            symmetry: false,
            max_states: opts.max_states,
            max_depth: opts.max_depth,
            timeout: opts.timeout.map(|t| t.as_secs_f64()),
            notes: vec![why],
        },
        counterexample: None,
        example: None,
        fix: None,
    }
}

impl SagaSys {
    /// The safety properties, in catalogue order: what the model's
    /// [`Model::properties`](stateright::Model::properties) lists.
    pub(super) fn safety_properties() -> Vec<Property<Self>> {
        vec![
            Property::always(SAGA_SEMANTIC_ATOMICITY, |m: &Self, s: &SagaState| {
                m.semantic_atomicity(s)
            }),
            Property::always(SAGA_COMPENSATION_ORDER, |m: &Self, s: &SagaState| {
                m.compensation_order(s)
            }),
            Property::always(SAGA_NO_PHANTOM_COMPENSATION, |m: &Self, s: &SagaState| {
                m.no_phantom(s)
            }),
            Property::always(SAGA_EFFECT_ONCE, |m: &Self, s: &SagaState| m.effect_once(s)),
        ]
    }

    /// `saga.termination`, checked under the fairness the model's [`Protocol::fairness`]
    /// states: what [`Protocol::liveness_properties`] lists.
    pub(super) fn liveness() -> Vec<LivenessProperty<Self>> {
        vec![LivenessProperty::always_eventually(
            SAGA_TERMINATION,
            |m: &Self, s: &SagaState| m.terminated(s),
        )]
    }

    /// `saga.semantic-atomicity` on one state: once the saga is over, either every step's effect
    /// is in place or none is.
    pub fn semantic_atomicity(&self, s: &SagaState) -> bool {
        !self.ended(s) || {
            let placed = (0..self.n).filter(|&i| s.in_place(i)).count();
            placed == 0 || placed == self.n
        }
    }

    /// `saga.no-phantom-compensation` on one state: no compensation was applied more often than
    /// its step.
    pub fn no_phantom(&self, s: &SagaState) -> bool {
        (0..self.n).all(|i| s.compensations(i) <= s.executions(i))
    }

    /// `saga.effect-once` on one state: no non-idempotent step (or its compensation) applied
    /// twice.
    pub fn effect_once(&self, s: &SagaState) -> bool {
        (0..self.n).all(|i| {
            self.cfg.steps[i].idempotent || (s.executions(i) <= 1 && s.compensations(i) <= 1)
        })
    }

    /// `saga.compensation-order`: no compensation ran while a later step was in place.
    pub fn compensation_order(&self, s: &SagaState) -> bool {
        !s.order_broken()
    }

    /// The goal of `saga.termination`: completed, or fully compensated.
    pub fn terminated(&self, s: &SagaState) -> bool {
        matches!(s.phase(), Phase::Completed | Phase::Aborted)
    }
}

#[cfg(test)]
mod tests;
