//! The saga model itself: [`SagaSys`], stateright's [`Model`] over [`SagaState`], with the
//! [`Action`]s (named `<Actor><Verb>`), their fairness, and how a trace describes them. The
//! transitions of each style live beside it, in `orchestrated` and `choreographed`; the bit
//! layout of the state in `state`. `next_state` calls `reductions` to drop dead messages and,
//! in a projection, to erase observers; the properties it lists are in `properties`. Kept apart
//! from the checking pipeline (the parent's `verify_saga`, the projections) so the protocol
//! reads as its spec.

use super::reductions::View;
use super::{MAX_STEPS, SagaConfig};
use crate::error::{Error, ErrorKind};
use crate::fairness::ActionFairness;
use crate::liveness::LivenessProperty;
use crate::trace::{ActionView, Describe};
use crate::verify::Protocol;
use microcosm_model::SagaStyle;
use stateright::{Model, Property};

mod choreographed;
mod orchestrated;
pub(super) mod state;

use state::{CFAIL, COK, COMP_TRIGGER, CREQ, FAIL, OK, Pending, REQ, Record, TRIGGER};
pub use state::{Phase, SagaState};

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
    pub(super) cfg: SagaConfig,
    pub(super) n: usize,
    /// Party index (into `parties()`) of each step's service.
    party_of: Vec<usize>,
    parties: Vec<String>,
    /// For each step `i`, the nearest step before it with a compensation (where a failure of
    /// `i`, or the compensation of `i`, hands over to).
    undo_before: Vec<Option<u8>>,
    /// Bit `i` set when step `i` has a compensation.
    pub(super) compensatable: u16,
    /// Which observer variables this model keeps: all of them, except in the projections that
    /// [`verify_saga`](super::verify_saga) checks (see `View`).
    pub(super) view: View,
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
    pub(super) fn projected(&self, view: View) -> Self {
        Self {
            view,
            ..self.clone()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SagaConfig {
        &self.cfg
    }

    pub(super) fn orchestrated(&self) -> bool {
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
        Self::safety_properties()
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
        Self::liveness()
    }
}

#[cfg(test)]
mod tests;
