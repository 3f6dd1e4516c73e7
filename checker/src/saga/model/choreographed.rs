//! Choreography's transitions: which actions a state enables (`choreo_actions`) and what each
//! does (`choreo_next`), with the announcement of a step's outcome as an event, through a
//! transactional outbox or a dual write. Called from the model's `actions` and `next_state`
//! when the saga is choreographed; calls the state's accessors and the model's shared helpers.
//! Separate from orchestration because the two styles share the state, not the protocol.

use super::state::{COMP_TRIGGER, Pending, Record, TRIGGER};
use super::{Action, Msg, Phase, SagaState, SagaSys};
use microcosm_model::Outbox;

impl SagaSys {
    pub(super) fn choreo_actions(&self, s: &SagaState, out: &mut Vec<Action>) {
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

    pub(super) fn choreo_next(&self, s: &mut SagaState, action: Action) {
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
}
