//! What would fix a violated saga property, when its cause is a fault option the scenario
//! turned on without the recovery a correct design pairs it with: lost messages without
//! redelivery, a crashing coordinator without a write-ahead log, failing compensations without
//! retry, a dual write instead of a transactional outbox, duplicates reaching a participant
//! that is not idempotent. The loader's diagnostics say what would be right for an option that
//! means nothing; a verdict says the same for an option whose absence breaks a property.
//!
//! Each [`SagaFix`] is data, not only words: the tests apply every fix a verdict names to the
//! configuration and check that the property then holds, so a hint never sends a user to a
//! change that does not work. Called by the parent's `verify_saga` on each violated verdict.

use super::SagaConfig;
use crate::catalogue::{
    SAGA_COMPENSATION_ORDER, SAGA_EFFECT_ONCE, SAGA_NO_PHANTOM_COMPENSATION, SAGA_PIVOT_RULE,
    SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION,
};
use microcosm_model::{Outbox, SagaLog, SagaStyle};

/// One change to a saga's configuration that removes a cause of a violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SagaFix {
    /// `faults.redelivery = true`: what is lost is sent again.
    Redelivery,
    /// `faults.saga_log = "before_step"`: a write-ahead log the restarted coordinator resumes
    /// from.
    WriteAheadLog,
    /// `faults.compensation_retry = true`: a failed compensation is tried again.
    CompensationRetry,
    /// `faults.outbox = "transactional"`: a step's write and its event commit together.
    TransactionalOutbox,
    /// `idempotent = true` on these steps (indices): a duplicate gets the recorded outcome.
    Idempotent(Vec<usize>),
    /// `retriable = true` on these steps after the pivot: they must succeed once it has run.
    Retriable(Vec<usize>),
    /// A `compensation` for these steps before the pivot: they must be undoable.
    Compensation(Vec<usize>),
}

impl SagaFix {
    /// The change, applied: how the tests prove a hint works.
    #[cfg(test)]
    pub(crate) fn apply(&self, cfg: &mut SagaConfig) {
        match self {
            SagaFix::Redelivery => cfg.faults.redelivery = true,
            SagaFix::WriteAheadLog => cfg.faults.saga_log = SagaLog::BeforeStep,
            SagaFix::CompensationRetry => cfg.faults.compensation_retry = true,
            SagaFix::TransactionalOutbox => cfg.faults.outbox = Outbox::Transactional,
            SagaFix::Idempotent(steps) => {
                for &i in steps {
                    cfg.steps[i].idempotent = true;
                }
            }
            SagaFix::Retriable(steps) => {
                for &i in steps {
                    cfg.steps[i].retriable = true;
                }
            }
            SagaFix::Compensation(steps) => {
                for &i in steps {
                    cfg.steps[i].compensation = Some(format!("undo-{i}"));
                }
            }
        }
    }

    /// The change in the scenario's words, and why it works.
    fn describe(&self, cfg: &SagaConfig) -> String {
        match self {
            SagaFix::Redelivery => "`redelivery = true` in `faults` (what is lost is sent \
                                    again: an orchestrator's timeout, a broker's redelivery)"
                .to_owned(),
            SagaFix::WriteAheadLog => "`saga_log = \"before_step\"` in `faults` (a write-ahead \
                                       log: the restarted coordinator resumes where it was)"
                .to_owned(),
            SagaFix::CompensationRetry => "`compensation_retry = true` in `faults` (a failed \
                                           compensation is tried until it succeeds)"
                .to_owned(),
            SagaFix::TransactionalOutbox => "`outbox = \"transactional\"` in `faults` (a step's \
                                             write and its event commit together)"
                .to_owned(),
            SagaFix::Idempotent(steps) => format!(
                "`idempotent = true` on {} (the participant records each saga and answers a \
                 duplicate with the recorded outcome)",
                step_names(cfg, steps)
            ),
            SagaFix::Retriable(steps) => format!(
                "`retriable = true` on {} (after the pivot a step must succeed: it is retried, \
                 never compensated)",
                step_names(cfg, steps)
            ),
            SagaFix::Compensation(steps) => format!(
                "a `compensation` on {} (before the pivot every step must be undoable)",
                step_names(cfg, steps)
            ),
        }
    }
}

/// "step a.x" or "steps a.x, b.y".
fn step_names(cfg: &SagaConfig, steps: &[usize]) -> String {
    let names: Vec<String> = steps
        .iter()
        .map(|&i| format!("{}.{}", cfg.steps[i].service, cfg.steps[i].action))
        .collect();
    format!(
        "step{} {}",
        if steps.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

/// What makes the steps keep the pivot rule (compensatable steps, the pivot, retriable
/// steps), when they break it: around the declared pivot, or without one around the first
/// step that has no compensation. Empty when they keep it, or declare several pivots (which
/// one is meant is the user's choice).
fn pivot_fixes(cfg: &SagaConfig) -> Vec<SagaFix> {
    if super::pivot_rule(&cfg.steps).is_ok() {
        return Vec::new();
    }
    let steps = &cfg.steps;
    let declared: Vec<usize> = (0..steps.len()).filter(|&i| steps[i].pivot).collect();
    let pivot = match declared.as_slice() {
        [p] => *p,
        [] => (0..steps.len())
            .find(|&i| steps[i].compensation.is_none())
            .unwrap_or(steps.len() - 1),
        _ => return Vec::new(),
    };
    let undo: Vec<usize> = (0..pivot)
        .filter(|&i| steps[i].compensation.is_none())
        .collect();
    let retry: Vec<usize> = (pivot + 1..steps.len())
        .filter(|&i| !steps[i].retriable)
        .collect();
    let mut out = Vec::new();
    if !undo.is_empty() {
        out.push(SagaFix::Compensation(undo));
    }
    if !retry.is_empty() {
        out.push(SagaFix::Retriable(retry));
    }
    out
}

/// What breaks `property` in `cfg`: steps out of the pivot rule's order, and fault options
/// lacking their recovery. Every one applied, the property holds. Empty when nothing in the
/// configuration is to blame.
pub(crate) fn fixes(cfg: &SagaConfig, property: &str) -> Vec<SagaFix> {
    let f = &cfg.faults;
    let orchestrated = cfg.style == SagaStyle::Orchestrated;
    let lost = f.message_loss && !f.redelivery;
    let forgets = orchestrated && f.coordinator_crash && f.saga_log != SagaLog::BeforeStep;
    let gives_up = f.compensation_failure && !f.compensation_retry;
    let dual_write = !orchestrated && f.outbox == Outbox::DualWrite;
    // What may deliver a request twice: duplicates, a restarted coordinator re-sending what
    // its log says was in flight, a resend after a lost reply.
    let repeats = f.duplicate_delivery
        || (orchestrated && f.coordinator_crash && f.saga_log.is_kept())
        || (f.message_loss && f.redelivery);
    let not_idempotent: Vec<usize> = (0..cfg.steps.len())
        .filter(|&i| !cfg.steps[i].idempotent)
        .collect();
    // The steps' own order comes first: no fault option makes up for it.
    let mut out = match property {
        SAGA_PIVOT_RULE | SAGA_SEMANTIC_ATOMICITY | SAGA_TERMINATION => pivot_fixes(cfg),
        _ => Vec::new(),
    };
    let mut add = |cond: bool, fix: SagaFix| {
        if cond {
            out.push(fix);
        }
    };
    match property {
        SAGA_TERMINATION | SAGA_SEMANTIC_ATOMICITY => {
            add(lost, SagaFix::Redelivery);
            add(forgets, SagaFix::WriteAheadLog);
            add(gives_up, SagaFix::CompensationRetry);
            add(dual_write, SagaFix::TransactionalOutbox);
            // Once a lost message is redelivered or the coordinator resumes, requests repeat.
            let will_repeat = repeats || lost || (orchestrated && f.coordinator_crash);
            if property == SAGA_SEMANTIC_ATOMICITY && will_repeat && !not_idempotent.is_empty() {
                out.push(SagaFix::Idempotent(not_idempotent.clone()));
            }
        }
        SAGA_EFFECT_ONCE | SAGA_NO_PHANTOM_COMPENSATION | SAGA_COMPENSATION_ORDER => {
            add(forgets, SagaFix::WriteAheadLog);
            let will_repeat = repeats || lost || (orchestrated && f.coordinator_crash);
            if will_repeat && !not_idempotent.is_empty() {
                out.push(SagaFix::Idempotent(not_idempotent.clone()));
            }
        }
        _ => {}
    }
    out
}

/// The hint a violated `property` of `cfg` carries: what would fix it, or `None` when no fault
/// option is to blame.
pub(crate) fn hint(cfg: &SagaConfig, property: &str) -> Option<String> {
    let fixes = fixes(cfg, property);
    if fixes.is_empty() {
        return None;
    }
    let parts: Vec<String> = fixes.iter().map(|f| f.describe(cfg)).collect();
    Some(format!("set {}", parts.join("; and ")))
}

#[cfg(test)]
mod tests;
