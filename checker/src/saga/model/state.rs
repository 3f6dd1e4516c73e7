//! The saga's state, bit-packed: a 16-bit header (phase, step index, crash, the order history
//! bit) and one 16-bit slot per step (effect counters, the participant's record, messages in
//! flight), 26 bytes and `Copy`, so that states are cheap to hash and clone. Owns the layout and
//! its accessors; the transitions (`orchestrated`, `choreographed`), the reductions and the
//! properties read and write through them. Separate because the layout is one decision, made
//! once, that everything else relies on.

use crate::saga::MAX_STEPS;
use std::fmt;

// Per-step slot (16 bits): effect counts, the participant's record (idempotent steps only), and
// the messages for this step in flight. Orchestration uses REQ…CFAIL; choreography uses TRIGGER
// (the event that starts the step), COMP_TRIGGER and PENDING (dual write: committed, not yet
// published).
const EXEC: u16 = 0b11;
const COMP_SHIFT: u16 = 2;
const COMP: u16 = 0b11 << COMP_SHIFT;
const REC_SHIFT: u16 = 4;
const REC: u16 = 0b11 << REC_SHIFT;
pub(in crate::saga) const REQ: u16 = 1 << 6;
pub(in crate::saga) const OK: u16 = 1 << 7;
pub(in crate::saga) const FAIL: u16 = 1 << 8;
pub(in crate::saga) const CREQ: u16 = 1 << 9;
pub(in crate::saga) const COK: u16 = 1 << 10;
pub(in crate::saga) const CFAIL: u16 = 1 << 11;
pub(in crate::saga) const TRIGGER: u16 = REQ;
pub(in crate::saga) const COMP_TRIGGER: u16 = CREQ;
const PENDING_SHIFT: u16 = 12;
const PENDING: u16 = 0b11 << PENDING_SHIFT;

/// An idempotent participant's record of this saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::saga) enum Record {
    None = 0,
    Committed = 1,
    Failed = 2,
    /// Compensated, or cancelled before it ran: a late request is refused.
    Cancelled = 3,
}

/// What a dual-writing choreography step has committed but not yet published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pending {
    None = 0,
    Success = 1,
    Failure = 2,
    Compensated = 3,
}

// Header (16 bits): the coordinator's phase (orchestration) or the saga's outcome
// (choreography), the step it concerns, whether the coordinator is down, and a history bit
// recording that a compensation ran while a later step was still in place.
const PHASE: u16 = 0b111;
const INDEX_SHIFT: u16 = 3;
const INDEX: u16 = 0b1111 << INDEX_SHIFT;
const CRASHED: u16 = 1 << 7;
const ORDER_BROKEN: u16 = 1 << 8;

/// Where the saga is, as its coordinator sees it (orchestration), or its outcome so far
/// (choreography: `Running` until the last step commits or the compensations reach the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Orchestration: waiting for the reply of step `i`. Choreography: running.
    Forward(u8),
    /// Waiting for the compensation reply of step `i`.
    Compensating(u8),
    /// Every step committed.
    Completed,
    /// Every committed step compensated (or skipped, having no compensation).
    Aborted,
    /// A compensation failed and is not retried.
    GaveUp,
    /// The coordinator restarted without a log and knows nothing of the saga.
    Forgotten,
}

impl Phase {
    fn bits(self) -> u16 {
        match self {
            Phase::Forward(i) => u16::from(i) << INDEX_SHIFT,
            Phase::Compensating(i) => 1 | (u16::from(i) << INDEX_SHIFT),
            Phase::Completed => 2,
            Phase::Aborted => 3,
            Phase::GaveUp => 4,
            Phase::Forgotten => 5,
        }
    }

    fn from_bits(head: u16) -> Self {
        let i = ((head & INDEX) >> INDEX_SHIFT) as u8;
        match head & PHASE {
            0 => Phase::Forward(i),
            1 => Phase::Compensating(i),
            2 => Phase::Completed,
            3 => Phase::Aborted,
            4 => Phase::GaveUp,
            _ => Phase::Forgotten,
        }
    }

    /// Whether the saga is over: no coordinator will act on it again.
    pub fn ended(self) -> bool {
        !matches!(self, Phase::Forward(_) | Phase::Compensating(_))
    }
}

/// The whole state: a header and one 16-bit slot per step (26 bytes, `Copy`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SagaState {
    head: u16,
    steps: [u16; MAX_STEPS],
}

impl fmt::Debug for SagaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SagaState({:#06x}; {:04x?})", self.head, self.steps)
    }
}

impl SagaState {
    /// The coordinator's phase (or, in choreography, the outcome).
    pub fn phase(&self) -> Phase {
        Phase::from_bits(self.head)
    }

    pub(super) fn set_phase(&mut self, p: Phase) {
        self.head = (self.head & !(PHASE | INDEX)) | p.bits();
    }

    /// Whether the coordinator is down.
    pub fn crashed(&self) -> bool {
        self.head & CRASHED != 0
    }

    /// The orchestrator goes down.
    pub(super) fn crash(&mut self) {
        self.head |= CRASHED;
    }

    /// The orchestrator comes back up.
    pub(super) fn recover(&mut self) {
        self.head &= !CRASHED;
    }

    /// Whether a compensation ran while a later step was in place (the history bit
    /// `saga.compensation-order` reads).
    pub(in crate::saga) fn order_broken(&self) -> bool {
        self.head & ORDER_BROKEN != 0
    }

    /// Times step `i`'s effect was applied (saturating at 2).
    pub fn executions(&self, i: usize) -> u16 {
        self.steps[i] & EXEC
    }

    /// Times step `i`'s compensation was applied (saturating at 2).
    pub fn compensations(&self, i: usize) -> u16 {
        (self.steps[i] & COMP) >> COMP_SHIFT
    }

    /// Whether step `i`'s effect is in place: applied more often than undone.
    pub fn in_place(&self, i: usize) -> bool {
        self.executions(i) > self.compensations(i)
    }

    pub(in crate::saga) fn has(&self, i: usize, flag: u16) -> bool {
        self.steps[i] & flag != 0
    }

    pub(in crate::saga) fn set(&mut self, i: usize, flag: u16, on: bool) {
        if on {
            self.steps[i] |= flag;
        } else {
            self.steps[i] &= !flag;
        }
    }

    pub(in crate::saga) fn record(&self, i: usize) -> Record {
        match (self.steps[i] & REC) >> REC_SHIFT {
            0 => Record::None,
            1 => Record::Committed,
            2 => Record::Failed,
            _ => Record::Cancelled,
        }
    }

    pub(super) fn set_record(&mut self, i: usize, r: Record) {
        self.steps[i] = (self.steps[i] & !REC) | ((r as u16) << REC_SHIFT);
    }

    pub(super) fn pending(&self, i: usize) -> Pending {
        match (self.steps[i] & PENDING) >> PENDING_SHIFT {
            0 => Pending::None,
            1 => Pending::Success,
            2 => Pending::Failure,
            _ => Pending::Compensated,
        }
    }

    pub(super) fn set_pending(&mut self, i: usize, p: Pending) {
        self.steps[i] = (self.steps[i] & !PENDING) | ((p as u16) << PENDING_SHIFT);
    }

    pub(super) fn execute(&mut self, i: usize) {
        let e = self.executions(i);
        self.steps[i] = (self.steps[i] & !EXEC) | (e + 1).min(2);
    }

    /// Applies step `i`'s compensation, noting it if a later compensatable step (bit `k` of
    /// `compensatable`) is still in place. A later step without a compensation can never be
    /// undone, which is `saga.semantic-atomicity`'s concern, not the order's.
    pub(super) fn compensate(&mut self, i: usize, n: usize, compensatable: u16) {
        if (i + 1..n).any(|k| compensatable & (1 << k) != 0 && self.in_place(k)) {
            self.head |= ORDER_BROKEN;
        }
        let c = self.compensations(i);
        self.steps[i] = (self.steps[i] & !COMP) | ((c + 1).min(2) << COMP_SHIFT);
    }

    /// Erases step `i`'s effect counters: a projection that does not keep them.
    pub(in crate::saga) fn erase_effects(&mut self, i: usize) {
        self.steps[i] &= !(EXEC | COMP);
    }

    /// Erases the compensation-order bit: a projection that does not keep it.
    pub(in crate::saga) fn erase_order(&mut self) {
        self.head &= !ORDER_BROKEN;
    }
}
