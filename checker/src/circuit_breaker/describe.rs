//! How the breaker model reads in a counterexample: its parties (callers, breaker, callee),
//! each action as an arrow or a step of one party, and each state as named fields. It only
//! reads the model; it is separate because presentation changes for reasons the transition
//! rules never do.

use super::callers::{self, Callers};
use super::model::{Action, BreakerSys, BreakerSysState, Caller, CallerPhase};
use crate::trace::{ActionView, Describe};
use microcosm_model::resilience::BreakerState;

impl Describe for BreakerSys {
    fn parties(&self) -> Vec<String> {
        // Counted, the callers are one column until `name_callers` names the ones that act.
        let columns = if self.is_counted() {
            1
        } else {
            self.config().callers
        };
        let mut parties: Vec<String> = (0..columns)
            .map(|c| format!("{}#{}", self.config().caller, c + 1))
            .collect();
        if self.config().breaker.is_some() {
            parties.push("breaker".to_owned());
        }
        parties.push(self.config().callee.clone());
        parties
    }

    fn describe_action(&self, action: &Action) -> ActionView {
        let k = if self.is_counted() {
            1
        } else {
            self.config().callers
        };
        let breaker = k;
        let downstream = if self.config().breaker.is_some() {
            k + 1
        } else {
            k
        };
        let column = |c: u16| if self.is_counted() { 0 } else { usize::from(c) };
        let (actor, label, message) = match *action {
            Action::CallerCall(c) => (column(c), "CallerCall".to_owned(), None),
            Action::CallerRetry(c) => (column(c), "CallerRetry".to_owned(), None),
            Action::CallerRetryRefused(c) => (column(c), "CallerRetryRefused".to_owned(), None),
            Action::DownstreamReply { caller, outcome } => (
                downstream,
                format!("DownstreamReply({outcome:?})"),
                Some((downstream, column(caller))),
            ),
            Action::DownstreamHeal => (downstream, "DownstreamHeal".to_owned(), None),
            Action::ClockTick => (breaker, "ClockTick".to_owned(), None),
            Action::BreakerTimer => (breaker, "BreakerTimer".to_owned(), None),
            Action::BreakerTrip => (breaker, "BreakerTrip".to_owned(), None),
            Action::BreakerGiveUp => (breaker, "BreakerGiveUp".to_owned(), None),
        };
        ActionView {
            actor,
            label,
            message,
        }
    }

    fn describe_state(&self, s: &BreakerSysState) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        if let (Some(b), Some(p)) = (s.breaker(), self.params()) {
            let extra = match b.state() {
                BreakerState::Open => format!(
                    " ({} of {} ticks waited)",
                    u64::from(s.now()).saturating_sub(b.since()),
                    p.wait_in_open
                ),
                BreakerState::HalfOpen => format!(
                    " ({} of {} trial calls admitted)",
                    b.half_open_admitted(),
                    p.permitted_in_half_open
                ),
                _ => String::new(),
            };
            // Part of the breaker's own field, not a field of its own: steps are described
            // by comparing fields position by position, so the list must not change shape.
            let missed = if s.missed_open() {
                "; once closed from HALF_OPEN on trial results that met the threshold"
            } else {
                ""
            };
            fields.push((
                "breaker".to_owned(),
                format!("{}{extra}{missed}", b.state().name()),
            ));
            if self.abstract_closed() && b.state() == BreakerState::Closed {
                let held = if s.dirty() {
                    "may hold a failed or slow result: may open"
                } else {
                    "no failed or slow result since it closed"
                };
                fields.push(("breaker.window".to_owned(), format!("abstract: {held}")));
                if s.desync() {
                    fields.push((
                        "reference window".to_owned(),
                        "differs: the breaker counted a result the reference did not".to_owned(),
                    ));
                }
            } else {
                let w = b.snapshot();
                fields.push((
                    "breaker.window".to_owned(),
                    format!("{} calls, {} failed, {} slow", w.calls, w.failed, w.slow),
                ));
                let r = s.reference().snapshot();
                fields.push((
                    "reference window".to_owned(),
                    format!("{} calls, {} failed, {} slow", r.calls, r.failed, r.slow),
                ));
            }
        }
        match &s.caller_set() {
            Callers::Each(v) => {
                for (c, caller) in v.iter().enumerate() {
                    fields.push((
                        format!("{}#{}", self.config().caller, c + 1),
                        describe(caller),
                    ));
                }
            }
            Callers::Counted(v) => {
                let classes: Vec<String> = v
                    .iter()
                    .map(|(c, n)| match *n {
                        callers::OMEGA => format!("{}+ {}", self.cap(c), describe(c)),
                        n => format!("{n} {}", describe(c)),
                    })
                    .collect();
                fields.push((
                    format!("{} callers", self.config().caller),
                    classes.join(", "),
                ));
            }
        }
        fields.push((
            self.config().callee.clone(),
            if s.healed() { "healed" } else { "may fail" }.to_owned(),
        ));
        fields
    }
}

/// A caller's local state in words.
fn describe(caller: &Caller) -> String {
    match caller.phase {
        CallerPhase::Idle => "idle".to_owned(),
        CallerPhase::InFlight => format!(
            "attempt {} in flight{}{}",
            caller.attempts,
            if caller.probe { " (trial call)" } else { "" },
            if caller.sent_while_open {
                " (sent while OPEN)"
            } else {
                ""
            }
        ),
        CallerPhase::Backoff => format!("backing off after attempt {}", caller.attempts),
    }
}
