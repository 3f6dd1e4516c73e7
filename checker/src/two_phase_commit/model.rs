//! The two-phase commit model itself: the bit-packed state ([`TwoPhaseState`], one `u64`), the
//! actions under their TLA+ names (`TmRcvPrepared`, `RmChooseToAbort`, …), and stateright's
//! [`Model`]: `actions()` is the list of the spec's guards, `next_state` their effects. It calls
//! nothing but the configuration in the parent; the properties read it from `properties.rs`.
//! It is separate so the spec reads as the spec, without the configuration, the properties or
//! the tests around it.

use super::{CoordinatorCrash, MAX_PARTICIPANTS, Prepare, TwoPhaseConfig, TwoPhaseFaults};
use crate::error::{Error, ErrorKind};
use crate::trace::{ActionView, Describe};
use stateright::{Model, Property};
use std::fmt;

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

    /// The state with every participant slot cleared: the coordinator's bits only.
    #[inline]
    pub(super) fn without_slots(self) -> Self {
        TwoPhaseState(self.0 & !((1u64 << (SLOT_BITS * MAX_PARTICIPANTS as u32)) - 1))
    }

    #[inline]
    pub(super) fn slot(self, rm: usize) -> u64 {
        (self.0 >> (SLOT_BITS * rm as u32)) & SLOT_MASK
    }

    #[inline]
    pub(super) fn set_slot(&mut self, rm: usize, slot: u64) {
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
    pub(super) fn code(self) -> u32 {
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

    pub(super) fn is_fault(self) -> bool {
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

    pub(super) fn rms(&self) -> impl Iterator<Item = usize> + use<> {
        0..self.n
    }

    pub(super) fn sequential(&self) -> bool {
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
        self.safety_properties()
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
