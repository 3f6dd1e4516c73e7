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
//! ["Consensus on Transaction Commit"]: https://www.microsoft.com/en-us/research/publication/consensus-on-transaction-commit/

use crate::catalogue::{TWO_PC_ATOMICITY, TWO_PC_TERMINATION, TWO_PC_VALIDITY};
use crate::error::{Error, ErrorKind};
use crate::liveness::{ActionFairness, LivenessProperty};
use crate::trace::{ActionView, Describe};
use crate::verdict::{CheckOptions, Verdict};
use crate::verify::{Canonicalize, Protocol, verify};
pub use microcosm_model::Prepare;
use serde::Serialize;
use stateright::{Model, Property, Representative};
use std::fmt;

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
    verify(name, &TwoPhaseSys::new(cfg.clone())?, properties, opts)
}

/// A participant's state (`rmState` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RmState {
    /// Has not voted.
    Working,
    /// Voted yes and waits for the decision.
    Prepared,
    /// Committed.
    Committed,
    /// Aborted.
    Aborted,
}

impl RmState {
    const fn bits(self) -> u64 {
        self as u64
    }

    const fn from_bits(bits: u64) -> Self {
        match bits & 0b11 {
            0 => RmState::Working,
            1 => RmState::Prepared,
            2 => RmState::Committed,
            _ => RmState::Aborted,
        }
    }

    fn name(self) -> &'static str {
        match self {
            RmState::Working => "working",
            RmState::Prepared => "prepared",
            RmState::Committed => "committed",
            RmState::Aborted => "aborted",
        }
    }
}

/// The coordinator's state (`tmState` in the spec, with its decision).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TmState {
    /// Collecting votes.
    Init,
    /// Decided commit.
    Committed,
    /// Decided abort.
    Aborted,
    /// Sequential prepare, seed design: returned at a refused or failed prepare without
    /// deciding or telling anyone.
    Returned,
}

impl TmState {
    fn name(self) -> &'static str {
        match self {
            TmState::Init => "init",
            TmState::Committed => "committed",
            TmState::Aborted => "aborted",
            TmState::Returned => "returned",
        }
    }
}

// Bit layout of `TwoPhaseState`. Participant `i` owns the 5 bits at `5 * i`: its state (2 bits),
// whether the coordinator recorded its vote (`tmPrepared`), whether its `Prepared` message is in
// the set, and whether it is crashed. A participant's whole tuple lives in one slot so symmetry
// reduction can sort slots. The global bits sit above all slots.
const SLOT_BITS: u32 = 5;
const SLOT_MASK: u64 = 0b1_1111;
const RM_STATE: u64 = 0b11;
const TM_PREPARED: u64 = 0b100;
const PREPARED_MSG: u64 = 0b1000;
const RM_CRASHED: u64 = 0b1_0000;
const TM_STATE_SHIFT: u32 = 56;
const TM_STATE: u64 = 0b11 << TM_STATE_SHIFT;
const COMMIT_MSG: u64 = 1 << 58;
const ABORT_MSG: u64 = 1 << 59;
const TM_CRASHED: u64 = 1 << 60;

/// The whole system state in one `u64` (cheap to hash, copy and compare). The initial state is
/// all zeros: every participant working, coordinator collecting, no messages, nobody crashed.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TwoPhaseState(u64);

impl TwoPhaseState {
    /// The raw encoding.
    pub fn bits(self) -> u64 {
        self.0
    }

    fn slot(self, rm: usize) -> u64 {
        (self.0 >> (SLOT_BITS * rm as u32)) & SLOT_MASK
    }

    fn set_slot(&mut self, rm: usize, slot: u64) {
        let shift = SLOT_BITS * rm as u32;
        self.0 = (self.0 & !(SLOT_MASK << shift)) | (slot << shift);
    }

    fn has(self, rm: usize, flag: u64) -> bool {
        self.slot(rm) & flag != 0
    }

    fn set(&mut self, rm: usize, flag: u64, on: bool) {
        let slot = self.slot(rm);
        self.set_slot(rm, if on { slot | flag } else { slot & !flag });
    }

    /// Participant `rm`'s state.
    pub fn rm_state(self, rm: usize) -> RmState {
        RmState::from_bits(self.slot(rm))
    }

    fn set_rm_state(&mut self, rm: usize, s: RmState) {
        let slot = self.slot(rm);
        self.set_slot(rm, (slot & !RM_STATE) | s.bits());
    }

    /// Whether the coordinator has recorded `rm`'s yes vote.
    pub fn tm_prepared(self, rm: usize) -> bool {
        self.has(rm, TM_PREPARED)
    }

    /// Whether `rm`'s `Prepared` message is in the message set.
    pub fn prepared_msg(self, rm: usize) -> bool {
        self.has(rm, PREPARED_MSG)
    }

    /// Whether `rm` is crashed.
    pub fn rm_crashed(self, rm: usize) -> bool {
        self.has(rm, RM_CRASHED)
    }

    /// The coordinator's state and decision.
    pub fn tm_state(self) -> TmState {
        match (self.0 & TM_STATE) >> TM_STATE_SHIFT {
            0 => TmState::Init,
            1 => TmState::Committed,
            2 => TmState::Aborted,
            _ => TmState::Returned,
        }
    }

    fn set_tm_state(&mut self, s: TmState) {
        let bits = match s {
            TmState::Init => 0,
            TmState::Committed => 1,
            TmState::Aborted => 2,
            TmState::Returned => 3,
        };
        self.0 = (self.0 & !TM_STATE) | (bits << TM_STATE_SHIFT);
    }

    /// Whether the `Commit` message is in the message set.
    pub fn commit_msg(self) -> bool {
        self.0 & COMMIT_MSG != 0
    }

    /// Whether the `Abort` message is in the message set.
    pub fn abort_msg(self) -> bool {
        self.0 & ABORT_MSG != 0
    }

    /// Whether the coordinator is crashed.
    pub fn tm_crashed(self) -> bool {
        self.0 & TM_CRASHED != 0
    }

    fn flag(&mut self, flag: u64, on: bool) {
        if on {
            self.0 |= flag;
        } else {
            self.0 &= !flag;
        }
    }
}

impl fmt::Debug for TwoPhaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TwoPhaseState({:#018x})", self.0)
    }
}

/// Participants are interchangeable: the canonical member of a state's orbit has the slots
/// sorted. Sorting whole slots (state, vote recorded, message sent, crashed) rather than only the
/// participant state is what makes the orbit count exact. Slots are sorted in descending order
/// over all [`MAX_PARTICIPANTS`] positions: unused positions are zero, the smallest value, so
/// they stay at the top and the function needs no participant count.
impl Representative for TwoPhaseState {
    fn representative(&self) -> Self {
        let mut slots = [0u8; MAX_PARTICIPANTS];
        for (i, s) in slots.iter_mut().enumerate() {
            *s = self.slot(i) as u8;
        }
        // Insertion sort: at most 11 tiny keys, usually nearly sorted.
        for i in 1..slots.len() {
            let mut j = i;
            while j > 0 && slots[j - 1] < slots[j] {
                slots.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out =
            TwoPhaseState(self.0 & !((1u64 << (SLOT_BITS * MAX_PARTICIPANTS as u32)) - 1));
        for (i, &s) in slots.iter().enumerate() {
            out.set_slot(i, u64::from(s));
        }
        out
    }
}

/// The actions, named `<Actor><Verb>` as in the spec. Participant indices are `u8`, so an
/// action is two or three bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The coordinator receives participant `rm`'s `Prepared` message.
    TmRcvPrepared(u8),
    /// The coordinator, holding every vote, decides commit.
    TmCommit,
    /// The coordinator decides abort (spontaneously, as the spec allows; under sequential
    /// prepare, the fix: at a refused or failed prepare).
    TmAbort,
    /// Sequential prepare, seed design: at a refused or failed prepare the coordinator returns
    /// without deciding or telling anyone.
    TmReturnEarly,
    /// Participant `rm` votes yes.
    RmPrepare(u8),
    /// Participant `rm`, not yet voted, aborts on its own.
    RmChooseToAbort(u8),
    /// Participant `rm` receives `Commit`.
    RmRcvCommitMsg(u8),
    /// Participant `rm` receives `Abort`.
    RmRcvAbortMsg(u8),
    /// Fault: the coordinator crashes.
    TmCrash,
    /// The coordinator recovers from its log.
    TmRecover,
    /// The coordinator re-sends its lost decision.
    TmResendDecision,
    /// Fault: participant `rm` crashes.
    RmCrash(u8),
    /// Participant `rm` recovers from its log.
    RmRecover(u8),
    /// Participant `rm` re-sends its lost vote.
    RmResendPrepared(u8),
    /// Participant `rm`, not yet voted, times out waiting for a coordinator that is down.
    RmTimeout(u8),
    /// Prepared participant `rm` asks `peer` for the outcome.
    RmAskPeer {
        /// The uncertain participant.
        rm: u8,
        /// The peer asked.
        peer: u8,
    },
    /// Fault: participant `rm`'s `Prepared` message is lost.
    NetLosePrepared(u8),
    /// Fault: the `Commit` message is lost.
    NetLoseCommit,
    /// Fault: the `Abort` message is lost.
    NetLoseAbort,
}

impl Action {
    /// A distinct number per action instance: its weak-fairness class.
    fn code(self) -> u32 {
        let (kind, a, b) = match self {
            Action::TmRcvPrepared(r) => (0, r, 0),
            Action::TmCommit => (1, 0, 0),
            Action::TmAbort => (2, 0, 0),
            Action::RmPrepare(r) => (3, r, 0),
            Action::RmChooseToAbort(r) => (4, r, 0),
            Action::RmRcvCommitMsg(r) => (5, r, 0),
            Action::RmRcvAbortMsg(r) => (6, r, 0),
            Action::TmCrash => (7, 0, 0),
            Action::TmRecover => (8, 0, 0),
            Action::TmResendDecision => (9, 0, 0),
            Action::RmCrash(r) => (10, r, 0),
            Action::RmRecover(r) => (11, r, 0),
            Action::RmResendPrepared(r) => (12, r, 0),
            Action::RmTimeout(r) => (13, r, 0),
            Action::RmAskPeer { rm, peer } => (14, rm, peer),
            Action::NetLosePrepared(r) => (15, r, 0),
            Action::NetLoseCommit => (16, 0, 0),
            Action::NetLoseAbort => (17, 0, 0),
            Action::TmReturnEarly => (18, 0, 0),
        };
        (kind << 16) | (u32::from(a) << 8) | u32::from(b)
    }

    fn is_fault(self) -> bool {
        matches!(
            self,
            Action::TmCrash
                | Action::RmCrash(_)
                | Action::NetLosePrepared(_)
                | Action::NetLoseCommit
                | Action::NetLoseAbort
        )
    }
}

/// The two-phase commit model: a validated [`TwoPhaseConfig`] implementing stateright's
/// [`Model`].
#[derive(Clone, Debug)]
pub struct TwoPhaseSys {
    cfg: TwoPhaseConfig,
    n: usize,
}

impl TwoPhaseSys {
    /// Validates `cfg`: 1 to [`MAX_PARTICIPANTS`] participants with distinct names.
    pub fn new(cfg: TwoPhaseConfig) -> Result<Self, Error> {
        let n = cfg.participants.len();
        if n == 0 || n > MAX_PARTICIPANTS {
            return Err(ErrorKind::InvalidConfig(format!(
                "two-phase commit needs 1 to {MAX_PARTICIPANTS} participants, got {n}"
            ))
            .into());
        }
        let mut names: Vec<&str> = cfg.participants.iter().map(String::as_str).collect();
        names.push(&cfg.coordinator);
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ErrorKind::InvalidConfig(format!(
                "two-phase commit party `{}` is named twice",
                w[0]
            ))
            .into());
        }
        Ok(Self { cfg, n })
    }

    /// `n` anonymous participants, no faults: Gray and Lamport's TwoPhase.
    ///
    /// # Panics
    /// If `n` is 0 or more than [`MAX_PARTICIPANTS`].
    pub fn plain(n: usize) -> Self {
        Self::new(TwoPhaseConfig::with_participants(n)).expect("1..=MAX_PARTICIPANTS participants")
    }

    /// The configuration.
    pub fn config(&self) -> &TwoPhaseConfig {
        &self.cfg
    }

    /// Number of participants.
    pub fn participants(&self) -> usize {
        self.n
    }

    fn faults(&self) -> &TwoPhaseFaults {
        &self.cfg.faults
    }

    fn rms(&self) -> impl Iterator<Item = usize> + use<> {
        0..self.n
    }

    fn sequential(&self) -> bool {
        self.cfg.prepare != Prepare::Parallel
    }

    /// Sequential prepare: the participant the coordinator is asking, the first whose vote it
    /// has not recorded (votes are recorded in order); `n` once it holds them all.
    fn asked(&self, s: &TwoPhaseState) -> usize {
        self.rms().find(|&rm| !s.tm_prepared(rm)).unwrap_or(self.n)
    }

    /// Sequential prepare: whether the call to the participant being asked has come back
    /// refused or failed: it aborted (refused, or gave up), it is down, or its yes vote was
    /// lost on the way (the call times out).
    fn prepare_failed(&self, s: &TwoPhaseState, rm: usize) -> bool {
        rm < self.n
            && (s.rm_state(rm) == RmState::Aborted
                || s.rm_crashed(rm)
                || (self.faults().message_loss
                    && s.rm_state(rm) == RmState::Prepared
                    && !s.prepared_msg(rm)))
    }

    /// `2pc.atomicity` on one state: no participant committed while another aborted.
    pub fn atomicity(&self, s: &TwoPhaseState) -> bool {
        let committed = self.rms().any(|rm| s.rm_state(rm) == RmState::Committed);
        let aborted = self.rms().any(|rm| s.rm_state(rm) == RmState::Aborted);
        !(committed && aborted)
    }

    /// `2pc.validity` on one state: once commit is decided, every participant has voted yes
    /// (is prepared or committed).
    pub fn validity(&self, s: &TwoPhaseState) -> bool {
        let commit_decided = s.tm_state() == TmState::Committed
            || self.rms().any(|rm| s.rm_state(rm) == RmState::Committed);
        !commit_decided
            || self
                .rms()
                .all(|rm| matches!(s.rm_state(rm), RmState::Prepared | RmState::Committed))
    }

    /// Whether every participant has decided (the goal of `2pc.termination`).
    pub fn all_decided(&self, s: &TwoPhaseState) -> bool {
        self.rms()
            .all(|rm| matches!(s.rm_state(rm), RmState::Committed | RmState::Aborted))
    }

    fn party_name(&self, party: usize) -> &str {
        match party {
            0 => &self.cfg.coordinator,
            p if p <= self.n => &self.cfg.participants[p - 1],
            _ => "network",
        }
    }
}

impl Model for TwoPhaseSys {
    type State = TwoPhaseState;
    type Action = Action;

    fn init_states(&self) -> Vec<TwoPhaseState> {
        vec![TwoPhaseState::default()]
    }

    // Only actions that change the state are listed: the spec's stuttering instances (receiving
    // a message already acted on) add no states, and leaving them out makes "enabled" mean what
    // fairness needs (TLA+'s ENABLED <<A>>_vars).
    fn actions(&self, s: &TwoPhaseState, actions: &mut Vec<Action>) {
        let f = self.faults();
        let tm_up = !s.tm_crashed();
        let tm = s.tm_state();
        let sequential = self.sequential();
        // Sequential prepare: the participant whose prepare request is outstanding (sent before
        // any crash, so it stands while the coordinator is down), if the coordinator still
        // collects votes.
        let asked = (sequential && tm == TmState::Init).then(|| self.asked(s));
        if tm_up {
            if tm == TmState::Init && self.rms().all(|rm| s.tm_prepared(rm)) {
                actions.push(Action::TmCommit);
            }
            if let Some(rm) = asked {
                if self.prepare_failed(s, rm) {
                    actions.push(match self.cfg.prepare {
                        Prepare::Sequential => Action::TmReturnEarly,
                        _ => Action::TmAbort,
                    });
                }
            } else if tm == TmState::Init {
                actions.push(Action::TmAbort);
            }
            if f.message_loss
                && ((tm == TmState::Committed && !s.commit_msg())
                    || (tm == TmState::Aborted && !s.abort_msg()))
            {
                actions.push(Action::TmResendDecision);
            }
        } else if matches!(
            f.coordinator_crash,
            CoordinatorCrash::RecoverWithLog | CoordinatorCrash::RecoverWithoutLog
        ) {
            actions.push(Action::TmRecover);
        }
        for rm in self.rms() {
            let r = rm as u8;
            if tm_up
                && tm == TmState::Init
                && s.prepared_msg(rm)
                && !s.tm_prepared(rm)
                && (!sequential || asked == Some(rm))
            {
                actions.push(Action::TmRcvPrepared(r));
            }
            if s.rm_crashed(rm) {
                actions.push(Action::RmRecover(r));
            } else {
                let state = s.rm_state(rm);
                if state == RmState::Working {
                    if !sequential {
                        actions.push(Action::RmPrepare(r));
                        actions.push(Action::RmChooseToAbort(r));
                    } else if asked == Some(rm) {
                        actions.push(Action::RmPrepare(r));
                        if self.cfg.participants_may_vote_no {
                            actions.push(Action::RmChooseToAbort(r));
                        }
                    }
                    // A coordinator that returned will never ask either.
                    if f.participant_timeout && (!tm_up || tm == TmState::Returned) {
                        actions.push(Action::RmTimeout(r));
                    }
                }
                if s.commit_msg() && state != RmState::Committed {
                    actions.push(Action::RmRcvCommitMsg(r));
                }
                if s.abort_msg() && state != RmState::Aborted {
                    actions.push(Action::RmRcvAbortMsg(r));
                }
                if f.message_loss
                    && state == RmState::Prepared
                    && !s.prepared_msg(rm)
                    && !s.tm_prepared(rm)
                {
                    actions.push(Action::RmResendPrepared(r));
                }
                if f.cooperative_termination && state == RmState::Prepared {
                    for peer in self.rms().filter(|&p| p != rm && !s.rm_crashed(p)) {
                        if s.rm_state(peer) != RmState::Prepared {
                            actions.push(Action::RmAskPeer {
                                rm: r,
                                peer: peer as u8,
                            });
                        }
                    }
                }
                if f.participant_crash {
                    actions.push(Action::RmCrash(r));
                }
            }
            if f.message_loss && s.prepared_msg(rm) {
                actions.push(Action::NetLosePrepared(r));
            }
        }
        // Faults come last so that, among equally short counterexamples, breadth-first search
        // reports the one where the protocol acts first and the fault strikes after.
        if tm_up && f.coordinator_crash != CoordinatorCrash::None {
            actions.push(Action::TmCrash);
        }
        if f.message_loss && s.commit_msg() {
            actions.push(Action::NetLoseCommit);
        }
        if f.message_loss && s.abort_msg() {
            actions.push(Action::NetLoseAbort);
        }
    }

    fn next_state(&self, last: &TwoPhaseState, action: Action) -> Option<TwoPhaseState> {
        let mut s = *last;
        match action {
            Action::TmRcvPrepared(r) => s.set(r as usize, TM_PREPARED, true),
            Action::TmCommit => {
                s.set_tm_state(TmState::Committed);
                s.flag(COMMIT_MSG, true);
            }
            Action::TmAbort => {
                s.set_tm_state(TmState::Aborted);
                s.flag(ABORT_MSG, true);
            }
            Action::TmReturnEarly => s.set_tm_state(TmState::Returned),
            Action::RmPrepare(r) => {
                s.set_rm_state(r as usize, RmState::Prepared);
                s.set(r as usize, PREPARED_MSG, true);
            }
            Action::RmChooseToAbort(r) | Action::RmTimeout(r) | Action::RmRcvAbortMsg(r) => {
                s.set_rm_state(r as usize, RmState::Aborted)
            }
            Action::RmRcvCommitMsg(r) => s.set_rm_state(r as usize, RmState::Committed),
            // A crash freezes the coordinator; what it forgets is applied when it recovers, so
            // a permanent crash is a single flipped bit (exactly twice TwoPhase's states).
            Action::TmCrash => s.flag(TM_CRASHED, true),
            Action::TmRecover => {
                s.flag(TM_CRASHED, false);
                for rm in self.rms() {
                    s.set(rm, TM_PREPARED, false);
                }
                // Without a log the decision is as volatile as the votes. Messages already sent
                // are in the network, not in the coordinator, so they stay. A coordinator that
                // returned early has finished its request: a restart does not run it again.
                if self.faults().coordinator_crash == CoordinatorCrash::RecoverWithoutLog
                    && s.tm_state() != TmState::Returned
                {
                    s.set_tm_state(TmState::Init);
                }
                if s.tm_state() == TmState::Init && self.faults().presumed_abort {
                    s.set_tm_state(TmState::Aborted);
                    s.flag(ABORT_MSG, true);
                }
            }
            Action::TmResendDecision => match s.tm_state() {
                TmState::Committed => s.flag(COMMIT_MSG, true),
                TmState::Aborted => s.flag(ABORT_MSG, true),
                TmState::Init | TmState::Returned => return None,
            },
            Action::RmCrash(r) => s.set(r as usize, RM_CRASHED, true),
            Action::RmRecover(r) => {
                let rm = r as usize;
                s.set(rm, RM_CRASHED, false);
                if s.rm_state(rm) == RmState::Working {
                    s.set_rm_state(rm, RmState::Aborted);
                }
            }
            Action::RmResendPrepared(r) => s.set(r as usize, PREPARED_MSG, true),
            Action::RmAskPeer { rm, peer } => match s.rm_state(peer as usize) {
                RmState::Committed => s.set_rm_state(rm as usize, RmState::Committed),
                RmState::Aborted => s.set_rm_state(rm as usize, RmState::Aborted),
                RmState::Working => {
                    s.set_rm_state(peer as usize, RmState::Aborted);
                    s.set_rm_state(rm as usize, RmState::Aborted);
                }
                RmState::Prepared => return None,
            },
            Action::NetLosePrepared(r) => s.set(r as usize, PREPARED_MSG, false),
            Action::NetLoseCommit => s.flag(COMMIT_MSG, false),
            Action::NetLoseAbort => s.flag(ABORT_MSG, false),
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(TWO_PC_ATOMICITY, |m: &Self, s: &TwoPhaseState| {
                m.atomicity(s)
            }),
            Property::always(TWO_PC_VALIDITY, |m: &Self, s: &TwoPhaseState| m.validity(s)),
        ]
    }
}

impl Describe for TwoPhaseSys {
    fn parties(&self) -> Vec<String> {
        let mut parties = Vec::with_capacity(self.n + 2);
        parties.push(self.cfg.coordinator.clone());
        parties.extend(self.cfg.participants.iter().cloned());
        if self.faults().message_loss {
            parties.push("network".to_owned());
        }
        parties
    }

    fn describe_action(&self, action: &Action) -> ActionView {
        let tm = 0;
        let rm = |r: u8| r as usize + 1;
        let net = self.n + 1;
        let name = |r: u8| self.party_name(rm(r)).to_owned();
        let (actor, label, message) = match *action {
            Action::TmRcvPrepared(r) => {
                (tm, format!("TmRcvPrepared({})", name(r)), Some((rm(r), tm)))
            }
            Action::TmCommit => (tm, "TmCommit".to_owned(), None),
            Action::TmAbort => (tm, "TmAbort".to_owned(), None),
            Action::TmReturnEarly => (tm, "TmReturnEarly".to_owned(), None),
            Action::TmCrash => (tm, "TmCrash".to_owned(), None),
            Action::TmRecover => (tm, "TmRecover".to_owned(), None),
            Action::TmResendDecision => (tm, "TmResendDecision".to_owned(), None),
            Action::RmPrepare(r) => (rm(r), "RmPrepare".to_owned(), None),
            Action::RmChooseToAbort(r) => (rm(r), "RmChooseToAbort".to_owned(), None),
            Action::RmRcvCommitMsg(r) => (rm(r), "RmRcvCommitMsg".to_owned(), Some((tm, rm(r)))),
            Action::RmRcvAbortMsg(r) => (rm(r), "RmRcvAbortMsg".to_owned(), Some((tm, rm(r)))),
            Action::RmCrash(r) => (rm(r), "RmCrash".to_owned(), None),
            Action::RmRecover(r) => (rm(r), "RmRecover".to_owned(), None),
            Action::RmResendPrepared(r) => (rm(r), "RmResendPrepared".to_owned(), None),
            Action::RmTimeout(r) => (rm(r), "RmTimeout".to_owned(), None),
            Action::RmAskPeer { rm: r, peer } => (
                rm(r),
                format!("RmAskPeer({})", name(peer)),
                Some((rm(peer), rm(r))),
            ),
            Action::NetLosePrepared(r) => (net, format!("NetLosePrepared({})", name(r)), None),
            Action::NetLoseCommit => (net, "NetLoseCommit".to_owned(), None),
            Action::NetLoseAbort => (net, "NetLoseAbort".to_owned(), None),
        };
        ActionView {
            actor,
            label,
            message,
        }
    }

    fn describe_state(&self, s: &TwoPhaseState) -> Vec<(String, String)> {
        let crashed = |down: bool| if down { " (crashed)" } else { "" };
        let mut fields = Vec::with_capacity(self.n + 3);
        fields.push((
            self.cfg.coordinator.clone(),
            format!("{}{}", s.tm_state().name(), crashed(s.tm_crashed())),
        ));
        let votes: Vec<&str> = self
            .rms()
            .filter(|&rm| s.tm_prepared(rm))
            .map(|rm| self.cfg.participants[rm].as_str())
            .collect();
        fields.push((
            format!("{}.votes", self.cfg.coordinator),
            format!("{{{}}}", votes.join(", ")),
        ));
        for rm in self.rms() {
            fields.push((
                self.cfg.participants[rm].clone(),
                format!("{}{}", s.rm_state(rm).name(), crashed(s.rm_crashed(rm))),
            ));
        }
        let mut msgs: Vec<String> = self
            .rms()
            .filter(|&rm| s.prepared_msg(rm))
            .map(|rm| format!("Prepared({})", self.cfg.participants[rm]))
            .collect();
        if s.commit_msg() {
            msgs.push("Commit".to_owned());
        }
        if s.abort_msg() {
            msgs.push("Abort".to_owned());
        }
        fields.push(("messages".to_owned(), format!("{{{}}}", msgs.join(", "))));
        fields
    }
}

impl Protocol for TwoPhaseSys {
    const PROTOCOL: &'static str = "two_phase_commit";

    fn fairness(&self, action: &Action) -> ActionFairness {
        if action.is_fault() {
            ActionFairness::Fault
        } else {
            ActionFairness::Weak(action.code())
        }
    }

    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        vec![LivenessProperty::always_eventually(
            TWO_PC_TERMINATION,
            |m: &Self, s: &TwoPhaseState| m.all_decided(s),
        )]
    }

    fn symmetry(&self) -> Option<Canonicalize<TwoPhaseState>> {
        // Sequential prepare asks participants in order: swapping two changes the behaviour.
        (!self.sequential()).then_some(<TwoPhaseState as Representative>::representative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Lasso, replay};
    use crate::verdict::{Status, Strategy};
    use stateright::Checker;

    fn unique_bfs(sys: TwoPhaseSys) -> usize {
        sys.checker().spawn_bfs().join().unique_state_count()
    }

    fn orbits(n: usize) -> usize {
        TwoPhaseSys::plain(n)
            .checker()
            .symmetry()
            .spawn_dfs()
            .join()
            .unique_state_count()
    }

    fn sys(n: usize, faults: TwoPhaseFaults) -> TwoPhaseSys {
        TwoPhaseSys::new(TwoPhaseConfig::with_participants(n).faults(faults)).unwrap()
    }

    fn check(n: usize, faults: TwoPhaseFaults) -> Vec<Verdict> {
        verify_two_phase(
            "t",
            &TwoPhaseConfig::with_participants(n).faults(faults),
            &[],
            &CheckOptions::default(),
        )
        .unwrap()
    }

    fn status<'a>(verdicts: &'a [Verdict], id: &str) -> &'a Verdict {
        verdicts.iter().find(|v| v.property == id).unwrap()
    }

    const PERMANENT: TwoPhaseFaults = TwoPhaseFaults {
        coordinator_crash: CoordinatorCrash::Permanent,
        participant_crash: false,
        message_loss: false,
        participant_timeout: false,
        cooperative_termination: false,
        presumed_abort: false,
    };

    #[test]
    fn no_faults_matches_published_twophase_counts() {
        assert_eq!(unique_bfs(TwoPhaseSys::plain(3)), 288);
        assert_eq!(unique_bfs(TwoPhaseSys::plain(4)), 1_568);
        assert_eq!(unique_bfs(TwoPhaseSys::plain(5)), 8_832);
        assert_eq!(unique_bfs(TwoPhaseSys::plain(6)), 50_816);
    }

    #[test]
    fn symmetry_counts_exact_orbits() {
        assert_eq!(orbits(3), 80);
        assert_eq!(orbits(4), 166);
        assert_eq!(orbits(5), 314);
        assert_eq!(orbits(6), 553);
    }

    #[test]
    fn our_explorer_agrees_with_stateright_on_counts() {
        let model = TwoPhaseSys::plain(4);
        let fairness = |a: &Action| model.fairness(a);
        let e = crate::state_graph::explore(
            &model,
            &fairness,
            crate::state_graph::Limits::default(),
            None,
        );
        assert_eq!(e.stats.unique_states, 1_568);
        assert!(e.cut.is_none());
    }

    #[test]
    fn without_faults_every_property_holds() {
        for v in check(3, TwoPhaseFaults::default()) {
            assert_eq!(v.status, Status::Holds, "{}", v.property);
        }
    }

    #[test]
    fn permanent_coordinator_crash_doubles_the_states_and_keeps_atomicity() {
        assert_eq!(unique_bfs(sys(3, PERMANENT)), 576);
        let verdicts = check(3, PERMANENT);
        assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
        assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
    }

    #[test]
    fn permanent_coordinator_crash_blocks_a_prepared_participant() {
        let verdicts = check(3, PERMANENT);
        let v = status(&verdicts, TWO_PC_TERMINATION);
        assert_eq!(v.status, Status::Violated);
        let cex = v.counterexample.as_ref().unwrap();
        assert_eq!(cex.lasso, Some(Lasso::Stutter));
        let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
        // Shortest: participants prepare, the coordinator crashes, and the prepared ones wait
        // forever (the others, if any, abort on their own as they may).
        assert_eq!(cex.steps.len(), 4, "{}", cex.render_steps());
        let crash = actions.iter().position(|a| *a == "TmCrash").unwrap();
        assert!(
            actions[..crash].contains(&"RmPrepare"),
            "{}",
            cex.render_steps()
        );
        // The trace replays to the same blocked state.
        let model = sys(3, PERMANENT);
        let states = replay(&model, &cex.trace_id).unwrap();
        let end = states.last().unwrap();
        assert!(end.tm_crashed());
        assert!((0..3).any(|rm| end.rm_state(rm) == RmState::Prepared));
    }

    #[test]
    fn recovering_coordinator_with_a_log_terminates() {
        for presumed_abort in [false, true] {
            let faults = TwoPhaseFaults {
                coordinator_crash: CoordinatorCrash::RecoverWithLog,
                presumed_abort,
                ..TwoPhaseFaults::default()
            };
            for v in check(3, faults) {
                assert_eq!(v.status, Status::Holds, "{} {presumed_abort}", v.property);
            }
        }
    }

    #[test]
    fn a_coordinator_recovering_without_its_log_breaks_atomicity() {
        for presumed_abort in [true, false] {
            let faults = TwoPhaseFaults {
                coordinator_crash: CoordinatorCrash::RecoverWithoutLog,
                presumed_abort,
                ..TwoPhaseFaults::default()
            };
            let verdicts = check(2, faults);
            let v = status(&verdicts, TWO_PC_ATOMICITY);
            assert_eq!(v.status, Status::Violated);
            let cex = v.counterexample.as_ref().unwrap();
            let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
            let crash = actions.iter().position(|a| *a == "TmCrash").unwrap();
            assert_eq!(actions[crash + 1], "TmRecover", "{}", cex.render_steps());
            if presumed_abort {
                // Both prepare and are heard, commit is decided and reaches one participant;
                // the coordinator crashes, forgets, presumes abort; the other one aborts.
                assert_eq!(actions.len(), 9, "{}", cex.render_steps());
                let commit = actions.iter().position(|a| *a == "RmRcvCommitMsg").unwrap();
                assert!(commit < crash, "{}", cex.render_steps());
                assert_eq!(*actions.last().unwrap(), "RmRcvAbortMsg");
            } else {
                // The other way round: an abort reaches one participant, the coordinator
                // forgets it, collects the votes again and commits.
                assert_eq!(actions.len(), 10, "{}", cex.render_steps());
                assert_eq!(*actions.last().unwrap(), "RmRcvCommitMsg");
            }
            // The recovered coordinator always decides, so nobody blocks.
            assert_eq!(status(&verdicts, TWO_PC_TERMINATION).status, Status::Holds);
        }
    }

    #[test]
    fn cooperative_termination_still_blocks_when_everyone_is_prepared() {
        let faults = TwoPhaseFaults {
            cooperative_termination: true,
            ..PERMANENT
        };
        let verdicts = check(3, faults);
        assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
        assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
        let v = status(&verdicts, TWO_PC_TERMINATION);
        assert_eq!(v.status, Status::Violated);
        let cex = v.counterexample.as_ref().unwrap();
        let states = replay(&sys(3, faults), &cex.trace_id).unwrap();
        let end = states.last().unwrap();
        assert!(end.tm_crashed());
        assert!((0..3).all(|rm| end.rm_state(rm) == RmState::Prepared));
    }

    #[test]
    fn a_participant_learns_the_outcome_from_a_decided_peer() {
        let model = sys(
            3,
            TwoPhaseFaults {
                cooperative_termination: true,
                ..PERMANENT
            },
        );
        // rm0 prepared, coordinator down, rm1 aborted on its own: rm0 asks rm1 and aborts.
        let mut s = TwoPhaseState::default();
        s = model.next_state(&s, Action::RmPrepare(0)).unwrap();
        s = model.next_state(&s, Action::TmCrash).unwrap();
        s = model.next_state(&s, Action::RmChooseToAbort(1)).unwrap();
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        assert!(actions.contains(&Action::RmAskPeer { rm: 0, peer: 1 }));
        let s = model
            .next_state(&s, Action::RmAskPeer { rm: 0, peer: 1 })
            .unwrap();
        assert_eq!(s.rm_state(0), RmState::Aborted);
        // Asking a peer that has not voted makes both abort.
        let t = model
            .next_state(&s, Action::RmAskPeer { rm: 0, peer: 2 })
            .unwrap();
        assert_eq!(t.rm_state(2), RmState::Aborted);
    }

    #[test]
    fn every_fault_combination_keeps_atomicity_and_validity() {
        for bits in 0..64u32 {
            let faults = TwoPhaseFaults {
                coordinator_crash: match bits % 3 {
                    0 => CoordinatorCrash::None,
                    1 => CoordinatorCrash::Permanent,
                    _ => CoordinatorCrash::RecoverWithLog,
                },
                participant_crash: bits & 2 != 0,
                message_loss: bits & 4 != 0,
                participant_timeout: bits & 8 != 0,
                cooperative_termination: bits & 16 != 0,
                presumed_abort: bits & 32 != 0,
            };
            let verdicts = verify_two_phase(
                "t",
                &TwoPhaseConfig::with_participants(2).faults(faults),
                &[TWO_PC_ATOMICITY, TWO_PC_VALIDITY],
                &CheckOptions::default(),
            )
            .unwrap();
            for v in verdicts {
                assert_eq!(v.status, Status::Holds, "{} under {faults:?}", v.property);
            }
        }
    }

    #[test]
    fn termination_holds_exactly_when_the_coordinator_cannot_vanish() {
        for faults in [
            TwoPhaseFaults {
                participant_crash: true,
                message_loss: true,
                ..TwoPhaseFaults::default()
            },
            TwoPhaseFaults {
                coordinator_crash: CoordinatorCrash::RecoverWithLog,
                participant_crash: true,
                message_loss: true,
                presumed_abort: true,
                ..TwoPhaseFaults::default()
            },
        ] {
            let v = verify_two_phase(
                "t",
                &TwoPhaseConfig::with_participants(2).faults(faults),
                &[TWO_PC_TERMINATION],
                &CheckOptions::default(),
            )
            .unwrap();
            assert_eq!(v[0].status, Status::Holds, "{faults:?}");
        }
    }

    #[test]
    fn participant_timeout_adds_no_states() {
        let with = TwoPhaseFaults {
            participant_timeout: true,
            ..PERMANENT
        };
        assert_eq!(unique_bfs(sys(3, with)), unique_bfs(sys(3, PERMANENT)));
    }

    #[test]
    fn symmetry_and_threads_do_not_change_verdicts() {
        let cfg = TwoPhaseConfig::with_participants(3).faults(PERMANENT);
        let plain = verify_two_phase("t", &cfg, &[], &CheckOptions::default()).unwrap();
        let reduced = verify_two_phase(
            "t",
            &cfg,
            &[],
            &CheckOptions {
                symmetry: true,
                threads: 2,
                ..CheckOptions::default()
            },
        )
        .unwrap();
        for (a, b) in plain.iter().zip(&reduced) {
            assert_eq!(a.status, b.status, "{}", a.property);
        }
        let safety = &reduced[0];
        assert!(safety.options.symmetry);
        assert_eq!(safety.options.strategy, Strategy::Dfs);
        assert_eq!(safety.stats.unique_states, 160, "orbits of 576 states");
    }

    #[test]
    fn a_state_bound_makes_verdicts_inconclusive() {
        let verdicts = verify_two_phase(
            "t",
            &TwoPhaseConfig::with_participants(4),
            &[],
            &CheckOptions {
                max_states: Some(200),
                ..CheckOptions::default()
            },
        )
        .unwrap();
        assert_eq!(verdicts.len(), 3);
        for v in &verdicts {
            assert_eq!(
                v.status,
                Status::Inconclusive {
                    reason: crate::verdict::Bound::MaxStates { limit: 200 }
                },
                "{}",
                v.property
            );
            assert!(v.stats.unique_states < 1_568);
        }
        // The liveness graph is what the bound protects memory from: it never holds more than
        // the bound, and says how much memory it took.
        let termination = &verdicts[2];
        assert!(termination.stats.unique_states <= 200);
        let bytes = termination
            .stats
            .graph_bytes
            .expect("liveness reports its graph");
        assert!(
            bytes > 0,
            "a graph of {} states",
            termination.stats.unique_states
        );
    }

    #[test]
    fn a_depth_bound_makes_verdicts_inconclusive_only_if_it_cuts() {
        let cfg = TwoPhaseConfig::with_participants(3);
        let shallow = CheckOptions {
            max_depth: Some(3),
            ..CheckOptions::default()
        };
        for v in verify_two_phase("t", &cfg, &[], &shallow).unwrap() {
            assert!(v.status.is_inconclusive(), "{}: {}", v.property, v.status);
        }
        // TwoPhase with 3 participants is at most 3*3+1 steps deep.
        let deep = CheckOptions {
            max_depth: Some(20),
            ..CheckOptions::default()
        };
        for v in verify_two_phase("t", &cfg, &[], &deep).unwrap() {
            assert_eq!(v.status, Status::Holds, "{}", v.property);
        }
    }

    #[test]
    fn unknown_properties_and_bad_configs_are_errors() {
        let cfg = TwoPhaseConfig::with_participants(2);
        let err = verify_two_phase("t", &cfg, &["2pc.nope"], &CheckOptions::default()).unwrap_err();
        assert!(err.to_string().contains("2pc.atomicity"), "{err}");
        assert!(TwoPhaseSys::new(TwoPhaseConfig::with_participants(0)).is_err());
        assert!(TwoPhaseSys::new(TwoPhaseConfig::with_participants(12)).is_err());
        let mut dup = TwoPhaseConfig::with_participants(2);
        dup.participants[1] = "rm0".into();
        assert!(TwoPhaseSys::new(dup).is_err());
    }

    fn sequential(
        n: usize,
        prepare: Prepare,
        may_vote_no: bool,
        faults: TwoPhaseFaults,
    ) -> TwoPhaseConfig {
        TwoPhaseConfig::with_participants(n)
            .prepare(prepare, may_vote_no)
            .faults(faults)
    }

    fn check_cfg(cfg: &TwoPhaseConfig) -> Vec<Verdict> {
        verify_two_phase("t", cfg, &[], &CheckOptions::default()).unwrap()
    }

    /// Participants give up waiting for a coordinator that will never ask; nothing crashes.
    const TIMEOUT: TwoPhaseFaults = TwoPhaseFaults {
        coordinator_crash: CoordinatorCrash::None,
        participant_timeout: true,
        ..PERMANENT
    };

    #[test]
    fn sequential_prepare_asks_one_participant_at_a_time() {
        let model = TwoPhaseSys::new(sequential(
            3,
            Prepare::Sequential,
            true,
            TwoPhaseFaults::default(),
        ))
        .unwrap();
        let s = TwoPhaseState::default();
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        // No spontaneous abort, nobody but the first participant votes.
        assert_eq!(actions, [Action::RmPrepare(0), Action::RmChooseToAbort(0)]);
        let s = model.next_state(&s, Action::RmPrepare(0)).unwrap();
        let s = model.next_state(&s, Action::TmRcvPrepared(0)).unwrap();
        actions.clear();
        model.actions(&s, &mut actions);
        assert_eq!(actions, [Action::RmPrepare(1), Action::RmChooseToAbort(1)]);
        // Without refusals, the participant asked can only say yes.
        let yes_only = TwoPhaseSys::new(sequential(
            3,
            Prepare::Sequential,
            false,
            TwoPhaseFaults::default(),
        ))
        .unwrap();
        actions.clear();
        yes_only.actions(&TwoPhaseState::default(), &mut actions);
        assert_eq!(actions, [Action::RmPrepare(0)]);
    }

    #[test]
    fn one_sequential_participant_has_its_seven_states() {
        // Working; prepared; vote recorded; commit decided; committed; and, refusing: aborted,
        // then the coordinator returned.
        let cfg = sequential(1, Prepare::Sequential, true, TwoPhaseFaults::default());
        assert_eq!(unique_bfs(TwoPhaseSys::new(cfg).unwrap()), 7);
    }

    #[test]
    fn the_early_return_leaves_a_prepared_participant_in_doubt() {
        let cfg = sequential(3, Prepare::Sequential, true, TIMEOUT);
        let verdicts = check_cfg(&cfg);
        assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
        assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
        let v = status(&verdicts, TWO_PC_TERMINATION);
        assert_eq!(v.status, Status::Violated);
        let cex = v.counterexample.as_ref().unwrap();
        let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
        // rm0 prepares and is heard, rm1 refuses, the coordinator returns: rm0 waits forever
        // (rm2, never asked, gives up on its own).
        assert_eq!(
            actions[..4],
            [
                "RmPrepare",
                "TmRcvPrepared(rm0)",
                "RmChooseToAbort",
                "TmReturnEarly"
            ],
            "{}",
            cex.render_steps()
        );
        let end = *replay(&TwoPhaseSys::new(cfg).unwrap(), &cex.trace_id)
            .unwrap()
            .last()
            .unwrap();
        assert_eq!(end.tm_state(), TmState::Returned);
        assert_eq!(end.rm_state(0), RmState::Prepared);
        assert!(!end.tm_crashed(), "blocked by the design, not by a crash");
    }

    #[test]
    fn a_failed_prepare_returns_early_too() {
        // Nobody refuses, but the participant asked may crash: its call fails.
        let faults = TwoPhaseFaults {
            participant_crash: true,
            ..TwoPhaseFaults::default()
        };
        let verdicts = check_cfg(&sequential(2, Prepare::Sequential, false, faults));
        let v = status(&verdicts, TWO_PC_TERMINATION);
        assert_eq!(v.status, Status::Violated);
        let text = v.counterexample.as_ref().unwrap().render_steps();
        assert!(
            text.contains("RmCrash") && text.contains("TmReturnEarly"),
            "{text}"
        );
        // With neither refusals nor failures the loop always commits.
        for v in check_cfg(&sequential(
            3,
            Prepare::Sequential,
            false,
            TwoPhaseFaults::default(),
        )) {
            assert_eq!(v.status, Status::Holds, "{}", v.property);
        }
    }

    #[test]
    fn aborting_everyone_asked_fixes_the_early_return() {
        for faults in [
            TwoPhaseFaults {
                participant_timeout: true,
                ..TwoPhaseFaults::default()
            },
            TwoPhaseFaults {
                participant_crash: true,
                message_loss: true,
                ..TwoPhaseFaults::default()
            },
            TwoPhaseFaults {
                coordinator_crash: CoordinatorCrash::RecoverWithLog,
                participant_crash: true,
                ..TwoPhaseFaults::default()
            },
        ] {
            let cfg = sequential(3, Prepare::SequentialAbortPrepared, true, faults);
            for v in check_cfg(&cfg) {
                assert_eq!(v.status, Status::Holds, "{} under {faults:?}", v.property);
            }
            // The same faults with the seed design's bare return block a participant.
            let bug = sequential(3, Prepare::Sequential, true, faults);
            assert!(
                status(&check_cfg(&bug), TWO_PC_TERMINATION)
                    .status
                    .is_violated(),
                "{faults:?}"
            );
        }
    }

    #[test]
    fn sequential_prepare_keeps_atomicity_and_validity_under_every_fault() {
        for prepare in [Prepare::Sequential, Prepare::SequentialAbortPrepared] {
            for bits in 0..48u32 {
                let faults = TwoPhaseFaults {
                    coordinator_crash: match bits % 3 {
                        0 => CoordinatorCrash::None,
                        1 => CoordinatorCrash::Permanent,
                        _ => CoordinatorCrash::RecoverWithLog,
                    },
                    participant_crash: bits & 2 != 0,
                    message_loss: bits & 4 != 0,
                    participant_timeout: bits & 8 != 0,
                    cooperative_termination: bits & 16 != 0,
                    presumed_abort: bits & 32 != 0,
                };
                let cfg = sequential(2, prepare, bits & 1 != 0, faults);
                let verdicts = verify_two_phase(
                    "t",
                    &cfg,
                    &[TWO_PC_ATOMICITY, TWO_PC_VALIDITY],
                    &CheckOptions::default(),
                )
                .unwrap();
                for v in verdicts {
                    assert_eq!(v.status, Status::Holds, "{} under {cfg:?}", v.property);
                }
            }
        }
    }

    #[test]
    fn sequential_prepare_is_checked_without_symmetry() {
        let cfg = sequential(3, Prepare::Sequential, true, TIMEOUT);
        let opts = CheckOptions {
            symmetry: true,
            ..CheckOptions::default()
        };
        let v = verify_two_phase("t", &cfg, &[TWO_PC_ATOMICITY], &opts)
            .unwrap()
            .remove(0);
        assert!(!v.options.symmetry);
        assert_eq!(
            v.stats.unique_states,
            unique_bfs(TwoPhaseSys::new(cfg).unwrap()) as u64
        );
    }

    #[test]
    fn names_flow_into_traces() {
        let cfg = TwoPhaseConfig {
            coordinator: "ledger".into(),
            participants: vec!["payments".into(), "inventory".into()],
            prepare: Prepare::Parallel,
            participants_may_vote_no: false,
            faults: PERMANENT,
        };
        let v = verify_two_phase("t", &cfg, &[TWO_PC_TERMINATION], &CheckOptions::default())
            .unwrap()
            .remove(0);
        let cex = v.counterexample.unwrap();
        let text = cex.render_steps();
        assert!(text.contains("payments: RmPrepare"), "{text}");
        assert!(text.contains("ledger: TmCrash"), "{text}");
        assert!(text.contains("payments: working → prepared"), "{text}");
        let msc = cex.render_msc();
        assert!(msc.contains("ledger") && msc.contains("inventory"), "{msc}");
    }
}
