//! Two-phase commit, following Gray and Lamport, ["Consensus on Transaction Commit"] (2004),
//! whose TLA+ specification `TwoPhase` is also the model of stateright's `examples/2pc.rs`:
//! resource managers (participants) prepare or choose to abort, the transaction manager
//! (coordinator) collects `Prepared` messages and commits when it has all of them or aborts
//! spontaneously, and messages form a set that is never emptied. With every fault option off this
//! module is exactly that spec (288 reachable states for 3 participants, 1,568 for 4, 8,832 for
//! 5, 50,816 for 6, 296,448 for 7), and symmetry reduction counts exact orbits (80, 166, 314, 553
//! for 3–6).
//!
//! The fault options ([`TwoPhaseFaults`]) add what real deployments face, each a documented
//! extension of the spec:
//! - coordinator crash ([`CoordinatorCrash`]): `TmCrash` at any moment. `Permanent`: the
//!   coordinator never returns, which exhibits 2PC's classic blocking (a prepared participant
//!   waits forever). `RecoverWithLog`: `TmRecover` brings it back; its decision is in a durable
//!   log and survives, the votes it had collected are volatile and lost. `RecoverWithoutLog`:
//!   it comes back having forgotten its decision too (it never logged one), and collects votes
//!   afresh — so it may abort (spontaneously, or at once under presumed abort) after some
//!   participant has already received its commit: atomicity is violated. This is why the
//!   decision must be forced to a durable log before the first `Commit` is sent (Gray and
//!   Reuter, *Transaction Processing*, 1993, §10.3).
//! - presumed abort: a coordinator that recovers without a decision aborts at once (it logs only
//!   commits); otherwise it resumes collecting votes. Only matters with a recovering coordinator.
//! - participant crash: `RmCrash` at any moment, `RmRecover` from the participant's log: a
//!   prepared or decided participant comes back as it was; a working one has lost its
//!   uncommitted work and comes back aborted (it never voted, so this is safe).
//! - message loss: `NetLose…` removes a message from the set; senders retransmit
//!   (`RmResendPrepared` until the coordinator has the vote, `TmResendDecision` while the
//!   decision message is missing), as real implementations do until acknowledged. The decision
//!   is one broadcast message, so losing it loses it for every participant that has not yet
//!   received it.
//! - participant timeout: `RmTimeout`, a working participant whose coordinator is down gives up
//!   and aborts unilaterally before voting. TwoPhase's `RmChooseToAbort` already allows any
//!   working participant to abort at any time, so this adds no reachable state; it names the
//!   abort so traces read as what happened.
//! - cooperative termination: `RmAskPeer`, a prepared participant asks a peer; if the peer has
//!   decided it adopts that decision, and if the peer has not voted the peer aborts unilaterally
//!   and both abort. When every participant is prepared nobody can help: it still blocks.
//!
//! Sequential prepare ([`Prepare::Sequential`], [`Prepare::SequentialAbortPrepared`]) replaces
//! TwoPhase's free-running participants by a coordinator that asks one participant at a time,
//! in the order listed, as a loop of blocking calls does. Votes are recorded in that order, so
//! the participant being asked is the first whose vote is not recorded (no extra state): only
//! it may prepare (`RmPrepare`), and, when participants may vote no, refuse
//! (`RmChooseToAbort`); nobody else votes. When its prepare is refused or fails (it aborted,
//! crashed, or its reply was lost, so the call times out) the coordinator stops. The seed
//! design returns there (`TmReturnEarly`) and tells nobody: the participants it already
//! prepared wait forever for a decision, and `2pc.termination` is violated. The fix decides
//! abort and sends it (`TmAbort`), which reaches every participant it asked. The coordinator
//! never aborts spontaneously: its loop has no other way out. A participant that waits for a
//! request that will never come (its coordinator returned or is down) may give up under
//! `participant_timeout`, as the scenario option says. Participants are not interchangeable
//! here (the order matters), so these modes have no symmetry reduction.
//!
//! Crashes and message loss are faults: never fair, and finitely many in any run (see
//! [`crate::liveness`]); every other action is weakly fair per instance.
//!
//! The module is laid out as stateright's example would be if it grew: this file holds the
//! configuration and [`verify_two_phase`]; `model.rs` the state, the actions and the
//! stateright `Model` (the spec); `properties.rs` the three properties, the fairness they
//! assume and when the checker may use symmetry; `reductions.rs` the symmetry reduction itself
//! (a state's canonical member of its orbit); `tests.rs` pins the state counts.
//!
//! ["Consensus on Transaction Commit"]: https://www.microsoft.com/en-us/research/publication/consensus-on-transaction-commit/

use crate::error::Error;
use crate::verdict::{CheckOptions, Verdict};
use crate::verify::verify;
pub use microcosm_model::Prepare;
use serde::Serialize;

mod fixes;
mod model;
mod properties;
mod reductions;

pub use model::{Action, RmState, TmState, TwoPhaseState, TwoPhaseSys};

/// The most participants the 64-bit state encoding holds (5 bits each, 5 global bits).
pub const MAX_PARTICIPANTS: usize = 11;

/// What the coordinator's crashes look like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoordinatorCrash {
    /// The coordinator never crashes.
    #[default]
    None,
    /// It may crash at any moment and never comes back.
    Permanent,
    /// It may crash at any moment and recovers, its decision kept in a durable log.
    RecoverWithLog,
    /// It may crash at any moment and recovers having forgotten everything, its decision too.
    RecoverWithoutLog,
}

/// Which faults and protocol extensions to model. All off: exactly Gray and Lamport's TwoPhase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct TwoPhaseFaults {
    /// Coordinator crashes.
    pub coordinator_crash: CoordinatorCrash,
    /// Participants crash and recover from their logs.
    pub participant_crash: bool,
    /// Messages may be lost (senders retransmit).
    pub message_loss: bool,
    /// A working participant whose coordinator is down aborts before voting.
    pub participant_timeout: bool,
    /// A prepared participant may learn the outcome from a peer.
    pub cooperative_termination: bool,
    /// A recovering coordinator without a decision aborts at once.
    pub presumed_abort: bool,
}

/// A two-phase commit transaction to check: who coordinates, who participates, which faults.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TwoPhaseConfig {
    /// The coordinator's name in traces.
    pub coordinator: String,
    /// The participants' names in traces (the scenario's services), 1 to
    /// [`MAX_PARTICIPANTS`].
    pub participants: Vec<String>,
    /// How the coordinator collects votes: TwoPhase's parallel prepare (the default), or one
    /// participant at a time.
    pub prepare: Prepare,
    /// Sequential prepare only: whether the participant being asked may refuse. (Under parallel
    /// prepare TwoPhase always lets a participant vote no, and this is ignored.)
    pub participants_may_vote_no: bool,
    /// Faults and extensions.
    pub faults: TwoPhaseFaults,
}

impl TwoPhaseConfig {
    /// `n` participants named `rm0`, `rm1`, … under a coordinator named `tm`, no faults.
    pub fn with_participants(n: usize) -> Self {
        Self {
            coordinator: "tm".to_owned(),
            participants: (0..n).map(|i| format!("rm{i}")).collect(),
            prepare: Prepare::Parallel,
            participants_may_vote_no: false,
            faults: TwoPhaseFaults::default(),
        }
    }

    /// The same configuration with this way of preparing, and whether the participant asked
    /// may refuse (sequential prepare only).
    pub fn prepare(mut self, prepare: Prepare, may_vote_no: bool) -> Self {
        self.prepare = prepare;
        self.participants_may_vote_no = may_vote_no;
        self
    }

    /// The same configuration with these faults.
    pub fn faults(mut self, faults: TwoPhaseFaults) -> Self {
        self.faults = faults;
        self
    }
}

/// Checks two-phase commit `cfg` for `properties` (all of `2pc.*` when empty). `name` is the
/// transaction's name in reports.
pub fn verify_two_phase(
    name: &str,
    cfg: &TwoPhaseConfig,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let mut verdicts = verify(name, &TwoPhaseSys::new(cfg.clone())?, properties, opts)?;
    for v in verdicts.iter_mut().filter(|v| v.status.is_violated()) {
        v.fix = fixes::hint(cfg, v.property);
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests;
