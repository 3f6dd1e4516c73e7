//! Orchestration's transitions: which actions a state enables (`orch_actions`, a list of
//! guards) and what each does (`orch_next`), with the coordinator's rollback and re-send.
//! Called from the model's `actions` and `next_state` when the saga is orchestrated; calls
//! the state's accessors and the model's shared helpers (`undo_phase`, `apply_compensation`).
//! Separate from choreography because the two styles share the state, not the protocol.

use super::state::{CFAIL, COK, CREQ, FAIL, OK, REQ, Record};
use super::{Action, Msg, Phase, SagaState, SagaSys};
use microcosm_model::SagaLog;

impl SagaSys {
    pub(super) fn orch_actions(&self, s: &SagaState, out: &mut Vec<Action>) {
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
                    if f.message_loss && f.redelivery && !s.has(k, REQ | OK | FAIL) {
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
                    if f.message_loss && f.redelivery && !s.has(k, CREQ | COK | CFAIL) {
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

    pub(super) fn orch_next(&self, s: &mut SagaState, action: Action) {
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
            Action::OrchCrash => s.crash(),
            Action::OrchRecover => {
                s.recover();
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
}
