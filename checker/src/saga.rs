//! Sagas, following Garcia-Molina and Salem, ["Sagas"] (SIGMOD 1987): a long-lived transaction
//! is a sequence of local transactions T1 … Tn, each committed on its own, and for each a
//! compensating transaction Ci that semantically undoes it; the system guarantees that either
//! T1 … Tn all run, or T1 … Tj, Cj … C1 do (the compensations in reverse order). The pivot rule
//! (compensatable steps, then one go/no-go pivot, then retriable steps) is Richardson's,
//! *Microservices Patterns* (2018), ch. 4, as are the two styles modelled here:
//!
//! - **orchestrated**: a coordinator (the saga execution coordinator of the paper) sends each
//!   step's request, waits for its reply, and on a failure sends the compensations of the
//!   committed steps, last first. A retriable step's failure is retried. A step without a
//!   compensation cannot be undone: the coordinator skips it, so the saga ends with it in place.
//! - **choreographed**: step 0 is triggered by the saga's start (the client's request, delivered
//!   once: it is not one of the saga's events); each step's success event
//!   triggers the next step; a failure event triggers the compensation of the nearest earlier
//!   compensatable step, whose "compensated" event triggers the one before it, down to step 0.
//!
//! Faults ([`microcosm_model::SagaFaults`]), each an explicit, documented nondeterminism:
//! - coordinator crash (`OrchCrash`, recovery `OrchRecover`). With a write-ahead saga log
//!   (`saga_log = "before_step"`, or `true`: each step and each compensation logged before its
//!   request is sent) the coordinator resumes where the log says and re-sends the request it
//!   was waiting for (it cannot know whether it was delivered: at-least-once, so a
//!   non-idempotent step may run twice); without one it has forgotten the saga, and committed
//!   steps stay committed. With a log written after each step (`"after_step"`: an entry once
//!   the step's reply has arrived) the log of a coordinator that crashed while waiting for
//!   step `i` ends at step `i - 1` (the saga's own record is written when it starts, so the
//!   coordinator knows of it even before any step's entry): it cannot tell whether `i` ran,
//!   and, as the seed design does with an interrupted saga, it rolls it back from what its log
//!   lists (the compensations of steps `i - 1` … `0`, last first). Step `i`, committed or
//!   still to be delivered, is never compensated: the saga ends aborted with it in place, and
//!   `saga.semantic-atomicity` is violated. While compensating, the log says the saga is
//!   rolling back and which compensations have replied, so a restarted coordinator re-sends
//!   the next one, as with a write-ahead log. Reading a reply and logging it are one action:
//!   a crash between them is the crash before the reply was read (a failure or a compensation
//!   read but not logged is found again by the same rollback or re-sent compensation).
//! - duplicate delivery (at-least-once messaging): a request or event may be delivered and stay
//!   in the channel, to be delivered again (`…{ again: true }`). A participant declared
//!   `idempotent` keeps a record per saga (Helland, "Idempotence Is Not a Medical Condition",
//!   2012): a duplicate gets the recorded outcome and no further effect; a compensation for a
//!   step it never ran is recorded as a cancellation (harmless), and the step is refused if its
//!   request arrives late. A non-idempotent participant applies every delivery.
//! - message loss (`NetLose`). With redelivery, an orchestrator whose request or reply was lost
//!   re-sends the request (`OrchResend`, its timeout), so a lost *reply* makes the step run
//!   again; in choreography the broker redelivers an unacknowledged event, which is a delay
//!   (already modelled) or, after a lost acknowledgement, a duplicate. Without redelivery a lost
//!   message is gone.
//! - compensation failure (`SvcCompensationFail`). With retry the failure is transient: the
//!   coordinator (or the broker) tries again. Without, the saga gives up partly compensated.
//! - choreography's database write and event publication: atomic with a transactional outbox
//!   (Richardson's *Transactional outbox* pattern), or two steps with a dual write, where a crash
//!   in between (`SvcCrash`) loses the event (Kleppmann, *Designing Data-Intensive
//!   Applications*, 2017, ch. 11, on dual writes).
//!
//! A step that `can_fail` fails for a business reason (declined payment) when not `retriable`:
//! an unfair choice, recorded by an idempotent participant. When `retriable`, its failures are
//! transient: faults, so finitely many in any fair run, and retried until it succeeds (in
//! choreography the consumer simply does not acknowledge, so nothing changes and the model
//! omits the step).
//!
//! Fairness for `saga.termination`: every delivery, reply, retry, recovery and publication is
//! weakly fair per instance; crashes, losses, duplicates and transient failures are faults
//! (never fair, finitely often); business failures and permanent compensation failures are
//! unfair choices. Effects are counted per step, saturating at 2 (a second application already
//! violates `saga.effect-once`).
//!
//! Reductions, each exact (the same verdicts; the argument is at its code):
//! - *channels as sets*: one bit per message; a duplicate is one that stays in the channel when
//!   delivered (`again`), so it can be delivered any number of times, and a further copy could
//!   only be delivered again (which the bit allows) or lost (which leaves the choices of never
//!   delivering it).
//! - *dead messages* (`drop_dead_messages`): a reply the coordinator no longer waits for, or a
//!   request an idempotent participant has a record of, is dropped.
//! - *projection* (any saga with a non-idempotent participant, where duplicates that stay in
//!   the channel multiply the state space about 16× per step): the effect counters and the
//!   order bit are history variables that nothing but the properties reads, so each property is
//!   checked on a projection that keeps only what it reads (`View`): effect-once and
//!   no-phantom one step's counters, semantic atomicity a pair of steps' (it fails iff some step
//!   can end in place and another not), compensation order one later step's and the bit,
//!   termination none. In an orchestration's projection, a duplicate that can only change
//!   erased observers is dropped too (`drop_unobserved_messages`; in choreography a lingering
//!   trigger still drives the next step, so nothing is dropped and the projection only erases
//!   counters). Safety counterexamples are rebuilt on
//!   the full model, step by step, as the first shortest path breadth-first search would
//!   report, so they are what checking the full model gives. A termination lasso is a fair
//!   lasso of the full model whose prefix reaches a doomed state by a shortest path, but the
//!   leftover duplicates a fair run must deliver are delivered where the run starts to loop, so
//!   they may come in another order than in the full model's lasso (in the tests: equally
//!   long); a cycle that bumped a counter would be unrolled until the counters settle, which
//!   would lengthen it (no orchestrated cycle without faults bumps one).
//!
//! Steps are ordered and named, so there is no symmetry to reduce.
//!
//! ["Sagas"]: https://dl.acm.org/doi/10.1145/38713.38742

use crate::catalogue::{
    SAGA_COMPENSATION_ORDER, SAGA_EFFECT_ONCE, SAGA_NO_PHANTOM_COMPENSATION, SAGA_PIVOT_RULE,
    SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION,
};
use crate::error::{Error, ErrorKind};
use crate::liveness::{ActionFairness, LivenessProperty};
use crate::state_graph::{Limits, StateGraph, explore};
use crate::trace::{ActionView, Counterexample, Describe, TraceId, action_indices, replay};
use crate::verdict::{
    Bound, CheckOptions, OptionsUsed, Progress, Stats, Status, Strategy, Verdict,
};
use crate::verify::{Protocol, verify};
use microcosm_model::{Outbox, SagaFaults, SagaLog, SagaStep, SagaStyle};
use stateright::{Model, Property};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::Instant;

/// The most steps a saga model holds (one 16-bit slot per step).
pub const MAX_STEPS: usize = 12;

/// A saga to check: its style, who coordinates, its steps and which faults to explore. The step
/// and fault types are the scenario's own.
#[derive(Clone, Debug, PartialEq)]
pub struct SagaConfig {
    /// Orchestrated or choreographed.
    pub style: SagaStyle,
    /// The orchestrator's name in traces (ignored for choreography).
    pub coordinator: String,
    /// The steps, in order, 1 to [`MAX_STEPS`].
    pub steps: Vec<SagaStep>,
    /// Faults to explore.
    pub faults: SagaFaults,
}

impl SagaConfig {
    /// An orchestrated saga with `n` steps `s0.t0`, `s1.t1`, … each compensatable (`c0`, …), no
    /// flags, no faults, coordinated by `orchestrator`.
    pub fn orchestrated(n: usize) -> Self {
        Self {
            style: SagaStyle::Orchestrated,
            coordinator: "orchestrator".to_owned(),
            steps: (0..n)
                .map(|i| SagaStep {
                    service: format!("s{i}"),
                    action: format!("t{i}"),
                    compensation: Some(format!("c{i}")),
                    can_fail: false,
                    retriable: false,
                    idempotent: false,
                    pivot: false,
                    topic: None,
                })
                .collect(),
            faults: SagaFaults::default(),
        }
    }

    /// The same saga, choreographed.
    pub fn choreographed(mut self) -> Self {
        self.style = SagaStyle::Choreographed;
        self
    }

    /// The same saga with these faults.
    pub fn faults(mut self, faults: SagaFaults) -> Self {
        self.faults = faults;
        self
    }

    /// The same saga with step `i` changed by `f`.
    pub fn step(mut self, i: usize, f: impl FnOnce(&mut SagaStep)) -> Self {
        f(&mut self.steps[i]);
        self
    }
}

/// Checks saga `cfg` for `properties` (all of `saga.*` when empty): the dynamic ones on the
/// model, `saga.pivot-rule` statically. `name` is the transaction's name in reports.
pub fn verify_saga(
    name: &str,
    cfg: &SagaConfig,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let model = SagaSys::new(cfg.clone())?;
    let all = properties.is_empty();
    let wants_pivot = all || properties.contains(&SAGA_PIVOT_RULE);
    let dynamic: Vec<&str> = properties
        .iter()
        .copied()
        .filter(|p| *p != SAGA_PIVOT_RULE)
        .collect();
    let mut verdicts = if all || !dynamic.is_empty() {
        if model.by_projection() {
            model.verify_by_projection(name, &dynamic, opts)?
        } else {
            verify(name, &model, &dynamic, opts)?
        }
    } else {
        Vec::new()
    };
    if wants_pivot {
        verdicts.push(pivot_rule_verdict(name, cfg, opts));
    }
    let order: Vec<&str> = if all {
        crate::catalogue::for_protocol(SagaSys::PROTOCOL)
            .map(|p| p.id)
            .collect()
    } else {
        properties.to_vec()
    };
    verdicts.sort_by_key(|v| order.iter().position(|id| *id == v.property));
    Ok(verdicts)
}

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

fn pivot_rule_verdict(name: &str, cfg: &SagaConfig, opts: &CheckOptions) -> Verdict {
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
            engine: "static",
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
    }
}

// ---- State ------------------------------------------------------------------------------------

// Per-step slot (16 bits): effect counts, the participant's record (idempotent steps only), and
// the messages for this step in flight. Orchestration uses REQ…CFAIL; choreography uses TRIGGER
// (the event that starts the step), COMP_TRIGGER and PENDING (dual write: committed, not yet
// published).
const EXEC: u16 = 0b11;
const COMP_SHIFT: u16 = 2;
const COMP: u16 = 0b11 << COMP_SHIFT;
const REC_SHIFT: u16 = 4;
const REC: u16 = 0b11 << REC_SHIFT;
const REQ: u16 = 1 << 6;
const OK: u16 = 1 << 7;
const FAIL: u16 = 1 << 8;
const CREQ: u16 = 1 << 9;
const COK: u16 = 1 << 10;
const CFAIL: u16 = 1 << 11;
const TRIGGER: u16 = REQ;
const COMP_TRIGGER: u16 = CREQ;
const PENDING_SHIFT: u16 = 12;
const PENDING: u16 = 0b11 << PENDING_SHIFT;

/// An idempotent participant's record of this saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Record {
    None = 0,
    Committed = 1,
    Failed = 2,
    /// Compensated, or cancelled before it ran: a late request is refused.
    Cancelled = 3,
}

/// What a dual-writing choreography step has committed but not yet published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
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

    fn set_phase(&mut self, p: Phase) {
        self.head = (self.head & !(PHASE | INDEX)) | p.bits();
    }

    /// Whether the coordinator is down.
    pub fn crashed(&self) -> bool {
        self.head & CRASHED != 0
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

    fn has(&self, i: usize, flag: u16) -> bool {
        self.steps[i] & flag != 0
    }

    fn set(&mut self, i: usize, flag: u16, on: bool) {
        if on {
            self.steps[i] |= flag;
        } else {
            self.steps[i] &= !flag;
        }
    }

    fn record(&self, i: usize) -> Record {
        match (self.steps[i] & REC) >> REC_SHIFT {
            0 => Record::None,
            1 => Record::Committed,
            2 => Record::Failed,
            _ => Record::Cancelled,
        }
    }

    fn set_record(&mut self, i: usize, r: Record) {
        self.steps[i] = (self.steps[i] & !REC) | ((r as u16) << REC_SHIFT);
    }

    fn pending(&self, i: usize) -> Pending {
        match (self.steps[i] & PENDING) >> PENDING_SHIFT {
            0 => Pending::None,
            1 => Pending::Success,
            2 => Pending::Failure,
            _ => Pending::Compensated,
        }
    }

    fn set_pending(&mut self, i: usize, p: Pending) {
        self.steps[i] = (self.steps[i] & !PENDING) | ((p as u16) << PENDING_SHIFT);
    }

    fn execute(&mut self, i: usize) {
        let e = self.executions(i);
        self.steps[i] = (self.steps[i] & !EXEC) | (e + 1).min(2);
    }

    /// Applies step `i`'s compensation, noting it if a later compensatable step (bit `k` of
    /// `compensatable`) is still in place. A later step without a compensation can never be
    /// undone, which is `saga.semantic-atomicity`'s concern, not the order's.
    fn compensate(&mut self, i: usize, n: usize, compensatable: u16) {
        if (i + 1..n).any(|k| compensatable & (1 << k) != 0 && self.in_place(k)) {
            self.head |= ORDER_BROKEN;
        }
        let c = self.compensations(i);
        self.steps[i] = (self.steps[i] & !COMP) | ((c + 1).min(2) << COMP_SHIFT);
    }
}

// ---- Actions ----------------------------------------------------------------------------------

/// Which message a network fault loses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// The coordinator's request to run a step (choreography: the event that triggers it).
    Request,
    /// A participant's "done" reply.
    Done,
    /// A participant's "failed" reply.
    Failed,
    /// The request to compensate (choreography: the event that triggers it).
    Compensate,
    /// A participant's "compensated" reply.
    Compensated,
    /// A participant's "compensation failed" reply.
    CompensationFailed,
}

impl Msg {
    const ALL: [Msg; 6] = [
        Msg::Request,
        Msg::Done,
        Msg::Failed,
        Msg::Compensate,
        Msg::Compensated,
        Msg::CompensationFailed,
    ];

    fn flag(self) -> u16 {
        match self {
            Msg::Request => REQ,
            Msg::Done => OK,
            Msg::Failed => FAIL,
            Msg::Compensate => CREQ,
            Msg::Compensated => COK,
            Msg::CompensationFailed => CFAIL,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Msg::Request => "Request",
            Msg::Done => "Done",
            Msg::Failed => "Failed",
            Msg::Compensate => "Compensate",
            Msg::Compensated => "Compensated",
            Msg::CompensationFailed => "CompensationFailed",
        }
    }
}

/// The actions, named `<Actor><Verb>`: `Orch…` the orchestrator, `Svc…` the service running a
/// step, `Net…` the network. `again: true` means the message stays in the channel and will be
/// delivered again (duplicate delivery).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The orchestrator receives step `i`'s "done" and moves on.
    OrchRcvDone(u8),
    /// The orchestrator receives step `i`'s "failed": retries or starts compensating.
    OrchRcvFailed(u8),
    /// The orchestrator receives step `i`'s "compensated" and compensates the one before.
    OrchRcvCompensated(u8),
    /// The orchestrator receives step `i`'s "compensation failed": retries or gives up.
    OrchRcvCompensationFailed(u8),
    /// The orchestrator's timeout: its message or the reply was lost; it re-sends its request.
    OrchResend,
    /// Fault: the orchestrator crashes.
    OrchCrash,
    /// The orchestrator restarts (from its saga log, if it has one).
    OrchRecover,
    /// Step `step`'s service runs it, and it commits.
    SvcCommit {
        /// The step.
        step: u8,
        /// The message stays to be delivered again.
        again: bool,
    },
    /// Step `step`'s service runs it, and it fails (no effect).
    SvcFail {
        /// The step.
        step: u8,
        /// The message stays to be delivered again.
        again: bool,
    },
    /// An idempotent service receives a request it has a record of: it answers as recorded
    /// (orchestration) or drops it (choreography), with no effect.
    SvcDedup {
        /// The step.
        step: u8,
        /// Whether the message is a compensation request (else the step's own request).
        compensation: bool,
        /// The message stays to be delivered again.
        again: bool,
    },
    /// Step `step`'s service runs its compensation.
    SvcCompensate {
        /// The step.
        step: u8,
        /// The message stays to be delivered again.
        again: bool,
    },
    /// Step `step`'s compensation fails.
    SvcCompensationFail {
        /// The step.
        step: u8,
        /// The message stays to be delivered again.
        again: bool,
    },
    /// Dual write: the service publishes the event of the write it committed.
    SvcPublish(u8),
    /// Fault, dual write: the service crashes between its write and the publication; the event
    /// is lost.
    SvcCrash(u8),
    /// Fault: a message for step `step` is lost.
    NetLose {
        /// The step the message concerns.
        step: u8,
        /// Which message.
        msg: Msg,
    },
}

impl Action {
    fn code(self) -> u32 {
        let (kind, step, extra) = match self {
            Action::OrchRcvDone(i) => (0, i, 0),
            Action::OrchRcvFailed(i) => (1, i, 0),
            Action::OrchRcvCompensated(i) => (2, i, 0),
            Action::OrchRcvCompensationFailed(i) => (3, i, 0),
            Action::OrchResend => (4, 0, 0),
            Action::OrchCrash => (5, 0, 0),
            Action::OrchRecover => (6, 0, 0),
            Action::SvcCommit { step, again } => (7, step, u8::from(again)),
            Action::SvcFail { step, again } => (8, step, u8::from(again)),
            Action::SvcDedup {
                step,
                compensation,
                again,
            } => (9, step, u8::from(again) | (u8::from(compensation) << 1)),
            Action::SvcCompensate { step, again } => (10, step, u8::from(again)),
            Action::SvcCompensationFail { step, again } => (11, step, u8::from(again)),
            Action::SvcPublish(i) => (12, i, 0),
            Action::SvcCrash(i) => (13, i, 0),
            Action::NetLose { step, msg } => (14, step, msg as u8),
        };
        (kind << 16) | (u32::from(step) << 8) | u32::from(extra)
    }
}

// ---- The model --------------------------------------------------------------------------------

/// The saga model: a validated [`SagaConfig`] implementing stateright's [`Model`].
#[derive(Clone, Debug)]
pub struct SagaSys {
    cfg: SagaConfig,
    n: usize,
    /// Party index (into `parties()`) of each step's service.
    party_of: Vec<usize>,
    parties: Vec<String>,
    /// For each step `i`, the nearest step before it with a compensation (where a failure of
    /// `i`, or the compensation of `i`, hands over to).
    undo_before: Vec<Option<u8>>,
    /// Bit `i` set when step `i` has a compensation.
    compensatable: u16,
    /// Which observer variables this model keeps: all of them, except in the projections that
    /// [`verify_saga`] checks (see [`View`]).
    view: View,
}

/// A projection of the saga model onto some of its observer variables. The effect counters and
/// the compensation-order bit are history variables: no action's enabledness and no control
/// variable (phase, crash, messages, records) ever reads them. So the model with some of them
/// erased has, as its reachable states, exactly the erasure of the full model's (by induction
/// on paths, in both directions), and a path of the projection replays action by action on the
/// full model. A property that reads only the kept observers has the same verdict and the same
/// shortest counterexample length on the projection as on the full model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct View {
    /// Steps whose effect counters are kept (bit `i`).
    counted: u16,
    /// Whether the compensation-order bit is kept. In a projection it records a compensation
    /// that ran while a later *counted* compensatable step was in place.
    order: bool,
    /// Whether messages that can now only change erased observers are dropped (orchestration
    /// only; see [`SagaSys::drop_unobserved_messages`]).
    drop_unobserved: bool,
}

impl View {
    const FULL: View = View {
        counted: u16::MAX,
        order: true,
        drop_unobserved: false,
    };
}

impl SagaSys {
    /// Validates `cfg`: 1 to [`MAX_STEPS`] steps.
    pub fn new(cfg: SagaConfig) -> Result<Self, Error> {
        let n = cfg.steps.len();
        if n == 0 || n > MAX_STEPS {
            return Err(ErrorKind::InvalidConfig(format!(
                "a saga model holds 1 to {MAX_STEPS} steps, got {n}"
            ))
            .into());
        }
        let mut parties = Vec::new();
        if cfg.style == SagaStyle::Orchestrated {
            parties.push(cfg.coordinator.clone());
        }
        let mut party_of = Vec::with_capacity(n);
        for step in &cfg.steps {
            let p = match parties.iter().position(|p| *p == step.service) {
                Some(p) => p,
                None => {
                    parties.push(step.service.clone());
                    parties.len() - 1
                }
            };
            party_of.push(p);
        }
        let f = &cfg.faults;
        if f.message_loss || f.duplicate_delivery {
            parties.push("network".to_owned());
        }
        let undo_before = (0..n)
            .map(|i| {
                (0..i)
                    .rev()
                    .find(|&j| cfg.steps[j].compensation.is_some())
                    .map(|j| j as u8)
            })
            .collect();
        let compensatable = (0..n)
            .filter(|&i| cfg.steps[i].compensation.is_some())
            .fold(0u16, |bits, i| bits | (1 << i));
        Ok(Self {
            cfg,
            n,
            party_of,
            parties,
            undo_before,
            compensatable,
            view: View::FULL,
        })
    }

    /// This model projected on `view`.
    fn projected(&self, view: View) -> Self {
        Self {
            view,
            ..self.clone()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SagaConfig {
        &self.cfg
    }

    fn orchestrated(&self) -> bool {
        self.cfg.style == SagaStyle::Orchestrated
    }

    /// Whether duplicate deliveries happen: declared, or (choreography) a broker redelivering an
    /// event whose acknowledgement was lost.
    fn duplicates(&self) -> bool {
        let f = &self.cfg.faults;
        f.duplicate_delivery || (!self.orchestrated() && f.message_loss && f.redelivery)
    }

    /// Whether the saga is over (see [`Phase::ended`]).
    pub fn ended(&self, s: &SagaState) -> bool {
        s.phase().ended()
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
        s.head & ORDER_BROKEN == 0
    }

    /// The goal of `saga.termination`: completed, or fully compensated.
    pub fn terminated(&self, s: &SagaState) -> bool {
        matches!(s.phase(), Phase::Completed | Phase::Aborted)
    }

    /// Where a failure of (or the compensation of) step `i` hands over: the nearest earlier
    /// compensatable step, or the end of the saga.
    fn undo_phase(&self, i: usize) -> Phase {
        match self.undo_before[i] {
            Some(j) => Phase::Compensating(j),
            None => Phase::Aborted,
        }
    }

    fn step_name(&self, i: u8) -> String {
        let s = &self.cfg.steps[i as usize];
        format!("{}.{}", s.service, s.action)
    }

    fn orch_actions(&self, s: &SagaState, out: &mut Vec<Action>) {
        let f = &self.cfg.faults;
        let dup = self.duplicates();
        let up = !s.crashed();
        let phase = s.phase();
        if up {
            match phase {
                Phase::Forward(i) => {
                    let k = i as usize;
                    if s.has(k, OK) {
                        out.push(Action::OrchRcvDone(i));
                    }
                    if s.has(k, FAIL) {
                        out.push(Action::OrchRcvFailed(i));
                    }
                    if f.message_loss && f.redelivery && s.steps[k] & (REQ | OK | FAIL) == 0 {
                        out.push(Action::OrchResend);
                    }
                }
                Phase::Compensating(j) => {
                    let k = j as usize;
                    if s.has(k, COK) {
                        out.push(Action::OrchRcvCompensated(j));
                    }
                    if s.has(k, CFAIL) {
                        out.push(Action::OrchRcvCompensationFailed(j));
                    }
                    if f.message_loss && f.redelivery && s.steps[k] & (CREQ | COK | CFAIL) == 0 {
                        out.push(Action::OrchResend);
                    }
                }
                _ => {}
            }
        } else {
            out.push(Action::OrchRecover);
        }
        for i in 0..self.n {
            let step = &self.cfg.steps[i];
            let st = i as u8;
            let agains: &[bool] = if dup { &[false, true] } else { &[false] };
            if s.has(i, REQ) {
                for &again in agains {
                    if step.idempotent && s.record(i) != Record::None {
                        out.push(Action::SvcDedup {
                            step: st,
                            compensation: false,
                            again,
                        });
                    } else {
                        out.push(Action::SvcCommit { step: st, again });
                        if step.can_fail {
                            out.push(Action::SvcFail { step: st, again });
                        }
                    }
                }
            }
            if s.has(i, CREQ) {
                for &again in agains {
                    if step.idempotent && s.record(i) == Record::Cancelled {
                        out.push(Action::SvcDedup {
                            step: st,
                            compensation: true,
                            again,
                        });
                    } else {
                        out.push(Action::SvcCompensate { step: st, again });
                        if f.compensation_failure {
                            out.push(Action::SvcCompensationFail { step: st, again });
                        }
                    }
                }
            }
            if f.message_loss {
                for msg in Msg::ALL {
                    if s.has(i, msg.flag()) {
                        out.push(Action::NetLose { step: st, msg });
                    }
                }
            }
        }
        // Faults last, so that among equally short counterexamples breadth-first search shows
        // the protocol acting first.
        if up && f.coordinator_crash && !phase.ended() {
            out.push(Action::OrchCrash);
        }
    }

    fn choreo_actions(&self, s: &SagaState, out: &mut Vec<Action>) {
        let f = &self.cfg.faults;
        let agains: &[bool] = if self.duplicates() {
            &[false, true]
        } else {
            &[false]
        };
        for i in 0..self.n {
            let step = &self.cfg.steps[i];
            let st = i as u8;
            if s.has(i, TRIGGER) {
                if step.idempotent && s.record(i) != Record::None {
                    // Dropping a duplicate only changes the state if the event goes.
                    out.push(Action::SvcDedup {
                        step: st,
                        compensation: false,
                        again: false,
                    });
                } else {
                    // Step 0 is started by the client's request, not by an event of the saga.
                    let agains = if i == 0 { &[false][..] } else { agains };
                    for &again in agains {
                        out.push(Action::SvcCommit { step: st, again });
                        if step.can_fail && !step.retriable {
                            out.push(Action::SvcFail { step: st, again });
                        }
                    }
                }
            }
            if s.has(i, COMP_TRIGGER) {
                if step.idempotent && s.record(i) == Record::Cancelled {
                    out.push(Action::SvcDedup {
                        step: st,
                        compensation: true,
                        again: false,
                    });
                } else {
                    for &again in agains {
                        out.push(Action::SvcCompensate { step: st, again });
                        // A retried compensation failure leaves the event to be redelivered:
                        // nothing changes, so it is not a step of the model.
                        if f.compensation_failure && !f.compensation_retry {
                            out.push(Action::SvcCompensationFail { step: st, again });
                        }
                    }
                }
            }
            if s.pending(i) != Pending::None {
                out.push(Action::SvcPublish(st));
            }
        }
        for i in 0..self.n {
            let st = i as u8;
            if s.pending(i) != Pending::None {
                out.push(Action::SvcCrash(st));
            }
            if f.message_loss && !f.redelivery {
                for msg in [Msg::Request, Msg::Compensate] {
                    if s.has(i, msg.flag()) && (i > 0 || msg == Msg::Compensate) {
                        out.push(Action::NetLose { step: st, msg });
                    }
                }
            }
        }
    }

    /// Choreography: step `i` announces `what`, now (outbox) or once published (dual write).
    fn announce(&self, s: &mut SagaState, i: usize, what: Pending) {
        if self.cfg.faults.outbox == Outbox::DualWrite && self.has_consumer(i, what) {
            s.set_pending(i, what);
        } else {
            self.deliver_announcement(s, i, what);
        }
    }

    /// Whether an announcement of step `i` has anyone to reach (the last step's success event
    /// and the first compensation's "compensated" only end the saga).
    fn has_consumer(&self, i: usize, what: Pending) -> bool {
        match what {
            Pending::Success => i + 1 < self.n,
            Pending::Failure | Pending::Compensated => self.undo_before[i].is_some(),
            Pending::None => false,
        }
    }

    fn deliver_announcement(&self, s: &mut SagaState, i: usize, what: Pending) {
        match what {
            Pending::Success => {
                if i + 1 < self.n {
                    s.set(i + 1, TRIGGER, true);
                } else if s.phase() == Phase::Forward(0) {
                    s.set_phase(Phase::Completed);
                }
            }
            Pending::Failure | Pending::Compensated => match self.undo_before[i] {
                Some(j) => s.set(j as usize, COMP_TRIGGER, true),
                None => {
                    if s.phase() == Phase::Forward(0) {
                        s.set_phase(Phase::Aborted);
                    }
                }
            },
            Pending::None => {}
        }
    }

    fn orch_next(&self, s: &mut SagaState, action: Action) {
        let f = &self.cfg.faults;
        match action {
            Action::OrchRcvDone(i) => {
                let k = i as usize;
                s.set(k, OK, false);
                if k + 1 < self.n {
                    s.set_phase(Phase::Forward(i + 1));
                    s.set(k + 1, REQ, true);
                } else {
                    s.set_phase(Phase::Completed);
                }
            }
            Action::OrchRcvFailed(i) => {
                let k = i as usize;
                s.set(k, FAIL, false);
                if self.cfg.steps[k].retriable {
                    s.set(k, REQ, true);
                } else {
                    self.orch_undo(s, k);
                }
            }
            Action::OrchRcvCompensated(j) => {
                s.set(j as usize, COK, false);
                self.orch_undo(s, j as usize);
            }
            Action::OrchRcvCompensationFailed(j) => {
                let k = j as usize;
                s.set(k, CFAIL, false);
                if f.compensation_retry {
                    s.set(k, CREQ, true);
                } else {
                    s.set_phase(Phase::GaveUp);
                }
            }
            Action::OrchResend => self.orch_resend(s),
            Action::OrchCrash => s.head |= CRASHED,
            Action::OrchRecover => {
                s.head &= !CRASHED;
                match (f.saga_log, s.phase()) {
                    (SagaLog::None, _) => s.set_phase(Phase::Forgotten),
                    // After-step log, crashed while waiting for step `i`: the log ends at
                    // `i - 1`, so the coordinator rolls back from there as if `i` had failed,
                    // and step `i` is never compensated.
                    (SagaLog::AfterStep, Phase::Forward(i)) => self.orch_undo(s, i as usize),
                    // Write-ahead, or an after-step log of a rollback (it lists the compensations
                    // that replied, so the next one is known): resume and re-send.
                    (SagaLog::BeforeStep | SagaLog::AfterStep, _) => self.orch_resend(s),
                }
            }
            Action::SvcCommit { step, again } => {
                let k = step as usize;
                s.set(k, REQ, again);
                if self.cfg.steps[k].idempotent {
                    s.set_record(k, Record::Committed);
                }
                s.execute(k);
                s.set(k, OK, true);
            }
            Action::SvcFail { step, again } => {
                let k = step as usize;
                s.set(k, REQ, again);
                let st = &self.cfg.steps[k];
                // A transient failure of a retriable step is not an outcome worth recording.
                if st.idempotent && !st.retriable {
                    s.set_record(k, Record::Failed);
                }
                s.set(k, FAIL, true);
            }
            Action::SvcDedup {
                step,
                compensation,
                again,
            } => {
                let k = step as usize;
                if !compensation {
                    s.set(k, REQ, again);
                    let reply = if s.record(k) == Record::Committed {
                        OK
                    } else {
                        FAIL
                    };
                    s.set(k, reply, true);
                } else {
                    s.set(k, CREQ, again);
                    s.set(k, COK, true);
                }
            }
            Action::SvcCompensate { step, again } => {
                let k = step as usize;
                s.set(k, CREQ, again);
                self.apply_compensation(s, k);
                s.set(k, COK, true);
            }
            Action::SvcCompensationFail { step, again } => {
                let k = step as usize;
                s.set(k, CREQ, again);
                s.set(k, CFAIL, true);
            }
            Action::NetLose { step, msg } => s.set(step as usize, msg.flag(), false),
            Action::SvcPublish(_) | Action::SvcCrash(_) => {}
        }
    }

    /// Compensation as the participant applies it: an idempotent one undoes what its record
    /// says and records the cancellation; a non-idempotent one always applies.
    fn apply_compensation(&self, s: &mut SagaState, k: usize) {
        if self.cfg.steps[k].idempotent {
            if s.record(k) == Record::Committed {
                s.compensate(k, self.n, self.compensatable);
            }
            s.set_record(k, Record::Cancelled);
        } else {
            s.compensate(k, self.n, self.compensatable);
        }
    }

    /// After step `k` failed or was compensated: compensate the nearest earlier compensatable
    /// step, or end aborted.
    fn orch_undo(&self, s: &mut SagaState, k: usize) {
        let next = self.undo_phase(k);
        s.set_phase(next);
        if let Phase::Compensating(j) = next {
            s.set(j as usize, CREQ, true);
        }
    }

    fn orch_resend(&self, s: &mut SagaState) {
        match s.phase() {
            Phase::Forward(i) => s.set(i as usize, REQ, true),
            Phase::Compensating(j) => s.set(j as usize, CREQ, true),
            _ => {}
        }
    }

    fn choreo_next(&self, s: &mut SagaState, action: Action) {
        match action {
            Action::SvcCommit { step, again } => {
                let k = step as usize;
                s.set(k, TRIGGER, again);
                if self.cfg.steps[k].idempotent {
                    s.set_record(k, Record::Committed);
                }
                s.execute(k);
                if k + 1 == self.n && s.phase() == Phase::Forward(0) {
                    s.set_phase(Phase::Completed);
                }
                self.announce(s, k, Pending::Success);
            }
            Action::SvcFail { step, again } => {
                let k = step as usize;
                s.set(k, TRIGGER, again);
                if self.cfg.steps[k].idempotent {
                    s.set_record(k, Record::Failed);
                }
                self.announce(s, k, Pending::Failure);
            }
            Action::SvcDedup {
                step, compensation, ..
            } => {
                let flag = if compensation { COMP_TRIGGER } else { TRIGGER };
                s.set(step as usize, flag, false);
            }
            Action::SvcCompensate { step, again } => {
                let k = step as usize;
                s.set(k, COMP_TRIGGER, again);
                self.apply_compensation(s, k);
                self.announce(s, k, Pending::Compensated);
            }
            Action::SvcCompensationFail { step, again } => {
                s.set(step as usize, COMP_TRIGGER, again);
                if s.phase() == Phase::Forward(0) {
                    s.set_phase(Phase::GaveUp);
                }
            }
            Action::SvcPublish(step) => {
                let k = step as usize;
                let what = s.pending(k);
                s.set_pending(k, Pending::None);
                self.deliver_announcement(s, k, what);
            }
            Action::SvcCrash(step) => s.set_pending(step as usize, Pending::None),
            Action::NetLose { step, msg } => s.set(step as usize, msg.flag(), false),
            _ => {}
        }
    }

    /// Dead-variable reduction: removes messages that can no longer influence anything, so
    /// states that differ only in them are one state. A reply is dead once the orchestrator has
    /// left the phase that waits for it (phases are never re-entered: recovery resumes the same
    /// phase, or after an after-step log rolls back to a compensation not yet started or to
    /// the end); a request to an idempotent participant that already has a record only produces
    /// such a reply (orchestration) or is dropped (choreography). Properties never read messages,
    /// and a dead message enables nothing but its own loss, so this is a bisimulation.
    fn drop_dead_messages(&self, s: &mut SagaState) {
        let phase = s.phase();
        for k in 0..self.n {
            let idempotent = self.cfg.steps[k].idempotent;
            let rec = s.record(k);
            if self.orchestrated() {
                let forward_live = phase == Phase::Forward(k as u8);
                let compensation_live = phase == Phase::Compensating(k as u8);
                if !forward_live {
                    s.set(k, OK | FAIL, false);
                    if idempotent && rec != Record::None {
                        s.set(k, REQ, false);
                    }
                }
                if !compensation_live {
                    s.set(k, COK | CFAIL, false);
                    if idempotent && rec == Record::Cancelled {
                        s.set(k, CREQ, false);
                    }
                }
            } else if idempotent {
                if rec != Record::None {
                    s.set(k, TRIGGER, false);
                }
                if rec == Record::Cancelled {
                    s.set(k, COMP_TRIGGER, false);
                }
            }
        }
    }

    /// Erases the observers `self.view` does not keep, and drops the messages that could only
    /// change erased observers.
    fn project(&self, s: &mut SagaState) {
        let view = self.view;
        for k in 0..self.n {
            if view.counted & (1 << k) == 0 {
                s.steps[k] &= !(EXEC | COMP);
            }
        }
        if !view.order {
            s.head &= !ORDER_BROKEN;
        }
        if view.drop_unobserved {
            self.drop_unobserved_messages(s);
        }
    }

    /// Orchestration, non-idempotent step `k`: once the coordinator has left the phase that
    /// waits for it, a request (or compensation request) still in the channel is a duplicate
    /// whose delivery changes nothing but the step's effect counter (or compensation counter
    /// and the order bit): its reply is dead at once, and a non-idempotent participant keeps
    /// no record. So where those observers are erased (or saturated, or the order bit already
    /// set), delivering or losing it changes nothing the projection keeps, and it is dropped.
    fn drop_unobserved_messages(&self, s: &mut SagaState) {
        if !self.orchestrated() {
            return;
        }
        let phase = s.phase();
        let view = self.view;
        for k in 0..self.n {
            if self.cfg.steps[k].idempotent {
                continue;
            }
            let counted = view.counted & (1 << k) != 0;
            if phase != Phase::Forward(k as u8) && (!counted || s.executions(k) == 2) {
                s.set(k, REQ, false);
            }
            if phase != Phase::Compensating(k as u8) && (!counted || s.compensations(k) == 2) {
                // Its compensation could still break the order against a later counted step.
                let later = view.counted & self.compensatable & !((2u16 << k) - 1);
                let order_live = view.order && s.head & ORDER_BROKEN == 0 && later != 0;
                if !order_live {
                    s.set(k, CREQ, false);
                }
            }
        }
    }

    fn is_fault(&self, action: Action) -> bool {
        match action {
            Action::OrchCrash | Action::SvcCrash(_) | Action::NetLose { .. } => true,
            Action::SvcCommit { again, .. }
            | Action::SvcDedup { again, .. }
            | Action::SvcCompensate { again, .. } => again,
            Action::SvcFail { step, again } => again || self.cfg.steps[step as usize].retriable,
            Action::SvcCompensationFail { again, .. } => {
                again || self.cfg.faults.compensation_retry
            }
            _ => false,
        }
    }

    fn is_unfair_choice(&self, action: Action) -> bool {
        matches!(
            action,
            Action::SvcFail { .. } | Action::SvcCompensationFail { .. }
        )
    }
}

impl Model for SagaSys {
    type State = SagaState;
    type Action = Action;

    fn init_states(&self) -> Vec<SagaState> {
        let mut s = SagaState::default();
        // Orchestration: the coordinator has sent step 0's request. Choreography: the event that
        // starts the saga is in step 0's topic.
        s.set(0, REQ, true);
        vec![s]
    }

    fn actions(&self, s: &SagaState, out: &mut Vec<Action>) {
        if self.orchestrated() {
            self.orch_actions(s, out);
        } else {
            self.choreo_actions(s, out);
        }
    }

    fn next_state(&self, last: &SagaState, action: Action) -> Option<SagaState> {
        let mut s = *last;
        if self.orchestrated() {
            self.orch_next(&mut s, action);
        } else {
            self.choreo_next(&mut s, action);
        }
        self.drop_dead_messages(&mut s);
        if self.view != View::FULL {
            self.project(&mut s);
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
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
}

impl Describe for SagaSys {
    fn parties(&self) -> Vec<String> {
        self.parties.clone()
    }

    fn describe_action(&self, action: &Action) -> ActionView {
        let orch = 0;
        let net = self.parties.len() - 1;
        let svc = |i: u8| self.party_of[i as usize];
        let name = |i: u8| self.step_name(i);
        let again = |a: bool| if a { ", delivered again later" } else { "" };
        // Who sent what a step consumes: the orchestrator, or (choreography) the previous step.
        let from = |i: u8| {
            if self.orchestrated() {
                Some(orch)
            } else if i > 0 {
                Some(svc(i - 1))
            } else {
                None
            }
        };
        let (actor, label, message) = match *action {
            Action::OrchRcvDone(i) => (orch, format!("OrchRcvDone({})", name(i)), Some(svc(i))),
            Action::OrchRcvFailed(i) => (orch, format!("OrchRcvFailed({})", name(i)), Some(svc(i))),
            Action::OrchRcvCompensated(i) => (
                orch,
                format!("OrchRcvCompensated({})", name(i)),
                Some(svc(i)),
            ),
            Action::OrchRcvCompensationFailed(i) => (
                orch,
                format!("OrchRcvCompensationFailed({})", name(i)),
                Some(svc(i)),
            ),
            Action::OrchResend => (orch, "OrchResend".to_owned(), None),
            Action::OrchCrash => (orch, "OrchCrash".to_owned(), None),
            Action::OrchRecover => (orch, "OrchRecover".to_owned(), None),
            Action::SvcCommit { step, again: a } => (
                svc(step),
                format!("SvcCommit({}{})", name(step), again(a)),
                from(step),
            ),
            Action::SvcFail { step, again: a } => (
                svc(step),
                format!("SvcFail({}{})", name(step), again(a)),
                from(step),
            ),
            Action::SvcDedup {
                step,
                compensation,
                again: a,
            } => (
                svc(step),
                format!(
                    "SvcDedup({}{}{})",
                    if compensation { "compensation of " } else { "" },
                    name(step),
                    again(a)
                ),
                None,
            ),
            Action::SvcCompensate { step, again: a } => (
                svc(step),
                format!("SvcCompensate({}{})", name(step), again(a)),
                self.orchestrated().then_some(orch),
            ),
            Action::SvcCompensationFail { step, again: a } => (
                svc(step),
                format!("SvcCompensationFail({}{})", name(step), again(a)),
                self.orchestrated().then_some(orch),
            ),
            Action::SvcPublish(i) => (svc(i), format!("SvcPublish({})", name(i)), None),
            Action::SvcCrash(i) => (svc(i), format!("SvcCrash({})", name(i)), None),
            Action::NetLose { step, msg } => (
                net,
                format!("NetLose({}({}))", msg.name(), name(step)),
                None,
            ),
        };
        ActionView {
            actor,
            label,
            // `message` names the sender; the actor receives.
            message: message.map(|m| (m, actor)),
        }
    }

    fn describe_state(&self, s: &SagaState) -> Vec<(String, String)> {
        let mut fields = Vec::with_capacity(self.n + 2);
        let phase = match s.phase() {
            Phase::Forward(i) if self.orchestrated() => format!("awaiting {}", self.step_name(i)),
            Phase::Forward(_) => "running".to_owned(),
            Phase::Compensating(j) => format!("compensating {}", self.step_name(j)),
            Phase::Completed => "completed".to_owned(),
            Phase::Aborted => "compensated".to_owned(),
            Phase::GaveUp => "gave up".to_owned(),
            Phase::Forgotten => "forgot the saga".to_owned(),
        };
        let who = if self.orchestrated() {
            self.cfg.coordinator.clone()
        } else {
            "saga".to_owned()
        };
        let crashed = if s.crashed() { " (crashed)" } else { "" };
        fields.push((who, format!("{phase}{crashed}")));
        for i in 0..self.n {
            let effect = match (s.executions(i), s.compensations(i)) {
                (0, 0) => match s.record(i) {
                    Record::Failed => "failed".to_owned(),
                    Record::Cancelled => "cancelled before it ran".to_owned(),
                    _ => "not run".to_owned(),
                },
                (1, 0) => "committed".to_owned(),
                (_, 0) => "committed twice".to_owned(),
                (1, 1) => "compensated".to_owned(),
                (0, _) => "compensated but never committed".to_owned(),
                (e, c) => format!("committed {e}×, compensated {c}×"),
            };
            fields.push((self.step_name(i as u8), effect));
        }
        let mut msgs = Vec::new();
        for i in 0..self.n {
            let step = self.step_name(i as u8);
            if self.orchestrated() {
                for msg in Msg::ALL {
                    if s.has(i, msg.flag()) {
                        msgs.push(format!("{}({step})", msg.name()));
                    }
                }
            } else {
                if s.has(i, TRIGGER) {
                    msgs.push(format!("Trigger({step})"));
                }
                if s.has(i, COMP_TRIGGER) {
                    msgs.push(format!("CompensationTrigger({step})"));
                }
                match s.pending(i) {
                    Pending::None => {}
                    p => msgs.push(format!("Unpublished({step}: {p:?})")),
                }
            }
        }
        fields.push(("messages".to_owned(), format!("{{{}}}", msgs.join(", "))));
        fields
    }
}

// ---- Checking by projection -------------------------------------------------------------------

/// A state predicate of a projection whose reachability decides (part of) a safety property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `saga.effect-once`: non-idempotent step `i` applied, or compensated, twice.
    Twice(usize),
    /// `saga.no-phantom-compensation`: step `i` compensated more often than applied.
    Phantom(usize),
    /// `saga.semantic-atomicity`: the saga is over with step `.0` in place and step `.1` not.
    Mixed(usize, usize),
    /// `saga.compensation-order`: a compensation ran while a later counted step was in place.
    OutOfOrder,
}

impl Target {
    fn property(self) -> &'static str {
        match self {
            Target::Twice(_) => SAGA_EFFECT_ONCE,
            Target::Phantom(_) => SAGA_NO_PHANTOM_COMPENSATION,
            Target::Mixed(..) => SAGA_SEMANTIC_ATOMICITY,
            Target::OutOfOrder => SAGA_COMPENSATION_ORDER,
        }
    }
}

/// One explored projection: its model, graph, targets and the depth each target is first
/// reached at.
struct Explored {
    model: SagaSys,
    graph: StateGraph<SagaState>,
    targets: Vec<Target>,
    first_hit: Vec<Option<u32>>,
}

/// How many rounds of a cycle [`SagaSys::concrete_lasso`] unrolls before giving up: the observers
/// only grow (each of 2 × 12 counters at most twice, plus the order bit), so 50 always suffices.
const MAX_UNROLL: usize = 50;

impl SagaSys {
    /// Whether [`verify_saga`] checks this saga by projection: with a non-idempotent
    /// participant, where duplicates crossed with effect counters multiply the full state space.
    fn by_projection(&self) -> bool {
        self.cfg.steps.iter().any(|s| !s.idempotent)
    }

    /// Whether `target` holds in `s` (a state of a projection that keeps what it reads).
    fn reached(&self, target: Target, s: &SagaState) -> bool {
        match target {
            Target::Twice(i) => s.executions(i) >= 2 || s.compensations(i) >= 2,
            Target::Phantom(i) => s.compensations(i) > s.executions(i),
            Target::Mixed(i, j) => self.ended(s) && s.in_place(i) && !s.in_place(j),
            Target::OutOfOrder => !self.compensation_order(s),
        }
    }

    /// The projections that decide the `wanted` safety properties, each with its targets. A
    /// property is violated iff one of its targets is reachable in the projection that carries
    /// it, and its shortest counterexample is as long as the nearest such target:
    /// - effect-once and no-phantom read one step's counters: a projection keeping them;
    /// - semantic atomicity is violated iff the saga can end with some step `i` in place and
    ///   some `j` not: a projection per pair;
    /// - the order bit is set iff some compensation runs while some later compensatable step
    ///   `k` is in place: a projection per `k`, keeping `k`'s counters and the bit for `k`.
    fn projections(&self, wanted: &[&str]) -> Vec<(View, Vec<Target>)> {
        let n = self.n;
        let wants = |id: &str| wanted.contains(&id);
        let per_step = |i: usize| {
            let mut t = Vec::new();
            if wants(SAGA_EFFECT_ONCE) && !self.cfg.steps[i].idempotent {
                t.push(Target::Twice(i));
            }
            if wants(SAGA_NO_PHANTOM_COMPENSATION) {
                t.push(Target::Phantom(i));
            }
            t
        };
        let view = |counted: u16, order: bool| View {
            counted,
            order,
            drop_unobserved: true,
        };
        let mut out = Vec::new();
        if wants(SAGA_SEMANTIC_ATOMICITY) && n >= 2 {
            for i in 0..n {
                for j in i + 1..n {
                    let mut t = vec![Target::Mixed(i, j), Target::Mixed(j, i)];
                    // Each step's own targets ride along in one pair that counts it.
                    if j == i + 1 {
                        t.extend(per_step(i));
                    }
                    if i == 0 && j == n - 1 {
                        t.extend(per_step(j));
                    }
                    out.push((view((1 << i) | (1 << j), false), t));
                }
            }
        } else {
            for i in 0..n {
                let t = per_step(i);
                if !t.is_empty() {
                    out.push((view(1 << i, false), t));
                }
            }
        }
        if wants(SAGA_COMPENSATION_ORDER) {
            for k in 1..n {
                let earlier = self.compensatable & ((1 << k) - 1);
                if self.compensatable & (1 << k) != 0 && earlier != 0 {
                    out.push((view(1 << k, true), vec![Target::OutOfOrder]));
                }
            }
        }
        out
    }

    /// [`verify`] for a saga that [`Self::by_projection`]: the safety properties on
    /// projections, termination on the control projection; every counterexample is rebuilt on
    /// the full model, so its trace id replays there.
    fn verify_by_projection(
        &self,
        name: &str,
        properties: &[&str],
        opts: &CheckOptions,
    ) -> Result<Vec<Verdict>, Error> {
        let safety: Vec<&'static str> = self.properties().iter().map(|p| p.name).collect();
        let known: Vec<&'static str> = safety.iter().copied().chain([SAGA_TERMINATION]).collect();
        let wanted: Vec<&'static str> = if properties.is_empty() {
            known.clone()
        } else {
            crate::verify::resolve(properties, &known, Self::PROTOCOL)?
        };
        let wanted_safety: Vec<&'static str> = wanted
            .iter()
            .copied()
            .filter(|id| safety.contains(id))
            .collect();
        let mut verdicts = Vec::new();
        if !wanted_safety.is_empty() {
            verdicts.extend(self.check_safety_by_projection(name, &wanted_safety, opts));
        }
        if wanted.contains(&SAGA_TERMINATION) {
            verdicts.extend(self.check_termination_by_projection(name, opts)?);
        }
        Ok(verdicts)
    }

    fn check_safety_by_projection(
        &self,
        name: &str,
        wanted: &[&'static str],
        opts: &CheckOptions,
    ) -> Vec<Verdict> {
        let start = Instant::now();
        let mut notes = Vec::new();
        if opts.symmetry {
            notes.push("saga has no symmetry reduction; checked by projection".to_owned());
        }
        if opts.threads > 1 {
            notes.push("the projection explorer is single-threaded".to_owned());
        }
        if opts.strategy != Strategy::Bfs {
            notes.push(
                "the projection explorer is breadth-first, for shortest counterexamples".to_owned(),
            );
        }
        let mut stats = Stats::default();
        let mut cut: Option<Bound> = None;
        let mut explored = Vec::new();
        let projections = self.projections(wanted);
        let count = projections.len();
        for (view, targets) in projections {
            let model = self.projected(view);
            let limits = Limits {
                max_states: opts.max_states,
                max_depth: opts.max_depth,
                timeout: opts.timeout.map(|t| t.saturating_sub(start.elapsed())),
                cancel: opts.cancel.clone(),
            };
            let fairness = |a: &Action| model.fairness(a);
            let e = explore(&model, &fairness, limits, None);
            stats.states_generated += e.stats.states_generated;
            stats.unique_states += e.stats.unique_states;
            stats.max_depth = stats.max_depth.max(e.stats.max_depth);
            stats.graph_bytes =
                Some(stats.graph_bytes.unwrap_or(0) + e.stats.graph_bytes.unwrap_or(0));
            if cut.is_none() {
                cut = e.cut;
            }
            let mut first_hit = vec![None; targets.len()];
            for (id, s) in e.graph.states.iter().enumerate() {
                for (t, hit) in targets.iter().zip(&mut first_hit) {
                    if hit.is_none() && model.reached(*t, s) {
                        *hit = Some(e.graph.depth[id]);
                    }
                }
            }
            if let Some(hook) = &opts.progress {
                hook.report(&Progress {
                    phase: "safety",
                    states_generated: stats.states_generated,
                    unique_states: stats.unique_states,
                    max_depth: stats.max_depth,
                    elapsed: start.elapsed(),
                });
            }
            explored.push(Explored {
                model,
                graph: e.graph,
                targets,
                first_hit,
            });
        }
        stats.elapsed = start.elapsed();
        notes.push(format!(
            "checked on {count} projections of the saga onto one or two steps' effect counters \
             ({} states in all); counterexamples are replayed on the full model",
            stats.unique_states
        ));
        let options = OptionsUsed {
            engine: "projection",
            strategy: Strategy::Bfs,
            threads: 1,
            symmetry: false,
            max_states: opts.max_states,
            max_depth: opts.max_depth,
            timeout: opts.timeout.map(|t| t.as_secs_f64()),
            notes,
        };
        wanted
            .iter()
            .map(|&property| {
                let depth = explored
                    .iter()
                    .flat_map(|e| e.targets.iter().zip(&e.first_hit))
                    .filter(|(t, _)| t.property() == property)
                    .filter_map(|(_, hit)| *hit)
                    .min();
                let (status, counterexample) = Status::of_search(
                    depth.map(|d| self.concrete_path(property, d, &explored)),
                    cut.as_ref(),
                );
                Verdict {
                    model: name.to_owned(),
                    protocol: Self::PROTOCOL,
                    property,
                    status,
                    stats,
                    options: options.clone(),
                    counterexample,
                    example: None,
                }
            })
            .collect()
    }

    /// The counterexample breadth-first search of the full model would report: of the paths of
    /// `depth` steps to a state violating `property`, the first in the order of action indices.
    /// Built greedily on the full model: at each step, the first action after which some
    /// projection (followed in step, a stutter where the action delivers a message it dropped)
    /// is still within the remaining steps of one of the property's targets.
    fn concrete_path(
        &self,
        property: &'static str,
        depth: u32,
        explored: &[Explored],
    ) -> Counterexample {
        struct Guide<'a> {
            model: &'a SagaSys,
            ids: HashMap<SagaState, u32>,
            distance: Vec<u32>,
        }
        let guides: Vec<Guide> = explored
            .iter()
            .filter(|e| {
                e.targets
                    .iter()
                    .zip(&e.first_hit)
                    .any(|(t, hit)| t.property() == property && *hit == Some(depth))
            })
            .map(|e| {
                let targets: Vec<Target> = e
                    .targets
                    .iter()
                    .copied()
                    .filter(|t| t.property() == property)
                    .collect();
                let g = &e.graph;
                let n = g.len();
                let mut incoming: Vec<Vec<u32>> = vec![Vec::new(); n];
                for s in 0..g.expanded() {
                    for edge in g.edges_of(s as u32) {
                        incoming[edge.target as usize].push(s as u32);
                    }
                }
                let mut distance = vec![u32::MAX; n];
                let mut queue = VecDeque::new();
                for (id, s) in g.states.iter().enumerate() {
                    if targets.iter().any(|t| e.model.reached(*t, s)) {
                        distance[id] = 0;
                        queue.push_back(id as u32);
                    }
                }
                while let Some(t) = queue.pop_front() {
                    for &src in &incoming[t as usize] {
                        if distance[src as usize] == u32::MAX {
                            distance[src as usize] = distance[t as usize] + 1;
                            queue.push_back(src);
                        }
                    }
                }
                let ids = g
                    .states
                    .iter()
                    .enumerate()
                    .map(|(id, s)| (*s, id as u32))
                    .collect();
                Guide {
                    model: &e.model,
                    ids,
                    distance,
                }
            })
            .collect();
        let init = self.init_states()[0];
        let mut states = vec![init];
        let mut actions = Vec::new();
        let mut indices = Vec::new();
        let mut shadows: Vec<SagaState> = guides.iter().map(|_| init).collect();
        let mut buf = Vec::new();
        let mut shadow_buf = Vec::new();
        for step in 0..depth {
            let left = depth - step - 1;
            let s = *states.last().expect("starts with the initial state");
            buf.clear();
            self.actions(&s, &mut buf);
            let (index, action, next, next_shadows) = buf
                .iter()
                .enumerate()
                .find_map(|(index, &action)| {
                    let next = self.next_state(&s, action)?;
                    let next_shadows: Vec<SagaState> = guides
                        .iter()
                        .zip(&shadows)
                        .map(|(g, v)| {
                            shadow_buf.clear();
                            g.model.actions(v, &mut shadow_buf);
                            if shadow_buf.contains(&action) {
                                g.model.next_state(v, action).unwrap_or(*v)
                            } else {
                                *v
                            }
                        })
                        .collect();
                    let near = guides.iter().zip(&next_shadows).any(|(g, v)| {
                        g.ids
                            .get(v)
                            .is_some_and(|&id| g.distance[id as usize] <= left)
                    });
                    near.then_some((index, action, next, next_shadows))
                })
                .expect("a projection's path to its target replays on the full model");
            states.push(next);
            actions.push(action);
            indices.push(index);
            shadows = next_shadows;
        }
        let id = TraceId {
            init: 0,
            actions: indices,
            loop_to: None,
        };
        Counterexample::from_path(self, property, id, &states, &actions)
    }

    /// `saga.termination` on the control projection (every effect counter and the order bit
    /// erased, duplicates that could only change them dropped): the goal reads only the phase,
    /// and no action's enabledness, fairness or effect on the control variables reads an
    /// erased variable, so fair runs of the two models correspond step for step, apart from the
    /// dropped deliveries, which change nothing the goal or any fair action depends on.
    fn check_termination_by_projection(
        &self,
        name: &str,
        opts: &CheckOptions,
    ) -> Result<Vec<Verdict>, Error> {
        let control = self.projected(View {
            counted: 0,
            order: false,
            drop_unobserved: true,
        });
        let mut verdicts = verify(name, &control, &[SAGA_TERMINATION], opts)?;
        for v in &mut verdicts {
            v.options.notes.push(format!(
                "checked on the saga's control projection (effect counters erased; {} states); \
                 the lasso is replayed on the full model",
                v.stats.unique_states
            ));
            if let Some(cex) = &v.counterexample {
                v.counterexample = Some(self.concrete_lasso(&control, cex)?);
            }
        }
        Ok(verdicts)
    }

    /// Rebuilds a lasso of the control projection on the full model: the same actions, then,
    /// where the cycle starts (or the run stutters), the deliveries of duplicates the
    /// projection dropped (weakly fair in the full model, so a fair run takes them; they change
    /// only counters), then the cycle, unrolled until the counters it bumps stop changing.
    fn concrete_lasso(
        &self,
        control: &SagaSys,
        cex: &Counterexample,
    ) -> Result<Counterexample, Error> {
        let id: TraceId = cex.trace_id.parse()?;
        let projected = replay(control, &cex.trace_id)?;
        let mut buf = Vec::new();
        let control_actions: Vec<Action> = projected
            .iter()
            .zip(&id.actions)
            .map(|(s, &i)| {
                buf.clear();
                control.actions(s, &mut buf);
                buf[i]
            })
            .collect();
        let loop_to = id.loop_to.unwrap_or(control_actions.len());
        let (prefix, cycle) = control_actions.split_at(loop_to);
        let mut states = vec![self.init_states()[id.init]];
        let mut actions = Vec::new();
        let take = |states: &mut Vec<SagaState>, actions: &mut Vec<Action>, a: Action| {
            let s = *states.last().expect("non-empty");
            states.push(self.next_state(&s, a).unwrap_or(s));
            actions.push(a);
        };
        for &a in prefix {
            take(&mut states, &mut actions, a);
        }
        let canonical = |s: &SagaState| {
            let mut c = *s;
            control.project(&mut c);
            c
        };
        loop {
            let s = *states.last().expect("non-empty");
            buf.clear();
            self.actions(&s, &mut buf);
            let flush = buf.iter().copied().find(|&a| {
                matches!(self.fairness(&a), ActionFairness::Weak(_))
                    && self
                        .next_state(&s, a)
                        .is_some_and(|t| t != s && canonical(&t) == canonical(&s))
            });
            match flush {
                Some(a) => take(&mut states, &mut actions, a),
                None => break,
            }
        }
        let mut loop_start = states.len() - 1;
        if !cycle.is_empty() {
            for _ in 0..MAX_UNROLL {
                for &a in cycle {
                    take(&mut states, &mut actions, a);
                }
                if states[loop_start] == states[states.len() - 1] {
                    break;
                }
                loop_start = states.len() - 1;
            }
        }
        let indices = action_indices(self, &states, &actions)
            .expect("the projection's actions are enabled on the full model");
        let trace = TraceId {
            init: id.init,
            actions: indices,
            loop_to: Some(loop_start),
        };
        Ok(Counterexample::from_path(
            self,
            cex.property,
            trace,
            &states,
            &actions,
        ))
    }
}

impl Protocol for SagaSys {
    const PROTOCOL: &'static str = "saga";

    fn fairness(&self, action: &Action) -> ActionFairness {
        if self.is_fault(*action) {
            ActionFairness::Fault
        } else if self.is_unfair_choice(*action) {
            ActionFairness::Unfair
        } else {
            ActionFairness::Weak(action.code())
        }
    }

    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        vec![LivenessProperty::always_eventually(
            SAGA_TERMINATION,
            |m: &Self, s: &SagaState| m.terminated(s),
        )]
    }
}

#[cfg(test)]
mod tests;
