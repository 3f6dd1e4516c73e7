//! What would fix a violated two-phase commit property, when its cause is an option of the
//! scenario: a coordinator that recovers without having logged its decision (atomicity and
//! validity; Gray and Reuter's forced decision log is the fix), a sequential prepare that
//! returns early without telling the participants it prepared (termination; abort them
//! first), a coordinator that never comes back (termination; 2PC blocks until it does, so it
//! must restart from its log). The saga's `fixes` module does the same for sagas.
//!
//! Each [`TwoPhaseFix`] is data: the tests apply the fixes a verdict names and check that the
//! property then holds. Called by the parent's `verify_two_phase` on each violated verdict.

use super::{CoordinatorCrash, TwoPhaseConfig};
use crate::catalogue::{TWO_PC_ATOMICITY, TWO_PC_TERMINATION, TWO_PC_VALIDITY};
use microcosm_model::Prepare;

/// One change to a two-phase commit's configuration that removes a cause of a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TwoPhaseFix {
    /// `coordinator_crash = "recover_with_log"`: the coordinator forces its decision to a
    /// durable log before sending it, and restarts from that log.
    DecisionLog,
    /// `prepare = "sequential_abort_prepared"`: at a refused or failed prepare, abort every
    /// participant asked before returning.
    AbortPrepared,
}

impl TwoPhaseFix {
    /// The change, applied: how the tests prove a hint works.
    #[cfg(test)]
    pub(crate) fn apply(self, cfg: &mut TwoPhaseConfig) {
        match self {
            TwoPhaseFix::DecisionLog => {
                cfg.faults.coordinator_crash = CoordinatorCrash::RecoverWithLog;
            }
            TwoPhaseFix::AbortPrepared => cfg.prepare = Prepare::SequentialAbortPrepared,
        }
    }

    fn describe(self, cfg: &TwoPhaseConfig) -> String {
        match (self, cfg.faults.coordinator_crash) {
            (TwoPhaseFix::DecisionLog, CoordinatorCrash::Permanent) => {
                "`coordinator_crash = \"recover_with_log\"` in `faults`: two-phase commit \
                 blocks a prepared participant for as long as its coordinator is down, so the \
                 coordinator must come back (restarted, its decision in a durable log); to \
                 survive losing it for good, replicate it (Paxos Commit)"
                    .to_owned()
            }
            (TwoPhaseFix::DecisionLog, _) => {
                "`coordinator_crash = \"recover_with_log\"` in `faults`: force the decision to a \
                 durable log before the first commit is sent, so a restarted coordinator \
                 cannot decide the other way"
                    .to_owned()
            }
            (TwoPhaseFix::AbortPrepared, _) => {
                "`prepare = \"sequential_abort_prepared\"`: at a refused or failed prepare, send \
                 abort to every participant already asked before returning"
                    .to_owned()
            }
        }
    }
}

/// The options of `cfg` to blame for a violation of `property`: every one applied, the
/// property holds. Empty when none is to blame.
pub(crate) fn fixes(cfg: &TwoPhaseConfig, property: &str) -> Vec<TwoPhaseFix> {
    let crash = cfg.faults.coordinator_crash;
    let mut out = Vec::new();
    match property {
        TWO_PC_ATOMICITY | TWO_PC_VALIDITY if crash == CoordinatorCrash::RecoverWithoutLog => {
            out.push(TwoPhaseFix::DecisionLog);
        }
        TWO_PC_TERMINATION => {
            if cfg.prepare == Prepare::Sequential {
                out.push(TwoPhaseFix::AbortPrepared);
            }
            if matches!(
                crash,
                CoordinatorCrash::Permanent | CoordinatorCrash::RecoverWithoutLog
            ) {
                out.push(TwoPhaseFix::DecisionLog);
            }
        }
        _ => {}
    }
    out
}

/// The hint a violated `property` of `cfg` carries, or `None` when no option is to blame.
pub(crate) fn hint(cfg: &TwoPhaseConfig, property: &str) -> Option<String> {
    let fixes = fixes(cfg, property);
    if fixes.is_empty() {
        return None;
    }
    let parts: Vec<String> = fixes.iter().map(|f| f.describe(cfg)).collect();
    Some(format!("set {}", parts.join("; and ")))
}

#[cfg(test)]
mod tests;
