//! Confirming, on the exact model at the user's real window, a violation found with the
//! abstract CLOSED window (see the parent module's doc). The abstraction may open the breaker
//! earlier than a real window could, so its violations are unconfirmed until one is shown to
//! be real. The abstract trace is replayed step by step on the exact model: each `BreakerTrip`
//! becomes real by having an idle caller make failing calls until the real window opens, and
//! every step must lead to a state that agrees with the abstract one on everything but the
//! CLOSED window. If the walk gets through, a safety violation is confirmed when the exact end
//! state violates the property. A lasso is confirmed when its cycle never visits CLOSED: there
//! the exact and abstract states correspond one to one (the CLOSED window is empty and unused),
//! so the exact run has the same cycle, with the same enabled actions and so the same fairness.
//! Anything else stays unconfirmed. A confirmed counterexample is a path of the exact model,
//! with a trace id marked [`EXACT_PREFIX`] so that `verify --replay` replays it there.

use super::{Action, BreakerSys, BreakerSysState, CallerPhase, Outcome};
use crate::trace::{Counterexample, TraceId, action_indices, replay};
use microcosm_model::resilience::BreakerState;
use stateright::{Expectation, Model};

/// Prefix of a trace id of the exact model (a policy job's own model is the abstract one).
pub const EXACT_PREFIX: &str = "exact:";

/// Whether an exact state agrees with an abstract one on everything but the CLOSED window.
fn agrees(a: &BreakerSysState, c: &BreakerSysState) -> bool {
    let same_half_open = match (&a.breaker, &c.breaker) {
        (Some(x), Some(y)) if x.state() == BreakerState::HalfOpen => {
            x.half_open_admitted() == y.half_open_admitted() && x.snapshot() == y.snapshot()
        }
        _ => true,
    };
    a.breaker_state() == c.breaker_state()
        && a.now == c.now
        && a.healed == c.healed
        && a.callers == c.callers
        && same_half_open
}

/// Takes `action` on the exact model if it is enabled in `s`, recording the step.
fn step(
    exact: &BreakerSys,
    s: &mut BreakerSysState,
    action: Action,
    states: &mut Vec<BreakerSysState>,
    actions: &mut Vec<Action>,
) -> Option<()> {
    let mut enabled = Vec::new();
    exact.actions(s, &mut enabled);
    if !enabled.contains(&action) {
        return None;
    }
    *s = exact.next_state(s, action)?;
    states.push(s.clone());
    actions.push(action);
    Some(())
}

/// Opens the exact breaker the way the abstraction did, with failed calls of caller `c` (idle
/// before and after; counted, `c` follows the caller from class to class). `None` when the downstream has healed (no call fails any more) or the
/// window does not open within a bound that any window of the model's size meets.
fn open_with_failures(
    exact: &BreakerSys,
    c: u16,
    s: &mut BreakerSysState,
    states: &mut Vec<BreakerSysState>,
    actions: &mut Vec<Action>,
) -> Option<()> {
    let p = exact.params()?;
    if s.healed {
        return None;
    }
    let attempts = exact.retry.max_attempts.max(1);
    let bound = 4 * (p.window_size.max(p.minimum_number_of_calls) + 2) * attempts;
    let mut c = c;
    for _ in 0..bound {
        let open = s.breaker_state() == Some(BreakerState::Open);
        let action = match s.callers.get(c)?.phase {
            CallerPhase::Idle if open => return Some(()),
            CallerPhase::Idle => Action::CallerCall(c),
            CallerPhase::InFlight => Action::DownstreamReply {
                caller: c,
                outcome: Outcome::Fail,
            },
            CallerPhase::Backoff => Action::CallerRetry(c),
        };
        let (_, me) = exact.step(s, action)?;
        step(exact, s, action, states, actions)?;
        c = exact.caller_ref(c, me?);
    }
    None
}

/// The exact model's counterexample for `property` from the abstract model `abs`'s trace,
/// when it is real (see the module doc).
pub fn confirm(abs: &BreakerSys, property: &'static str, trace_id: &str) -> Option<Counterexample> {
    let exact = BreakerSys::new_exact(abs.cfg.clone()).ok()?;
    // The same caller representation, so the abstract states compare with the exact ones.
    let exact = if abs.is_counted() {
        exact
    } else {
        exact.per_caller().ok()?
    };
    if !exact.is_exact() {
        return None;
    }
    let id: TraceId = trace_id.parse().ok()?;
    let abstract_states = replay(abs, trace_id).ok()?;
    let mut enabled = Vec::new();
    let mut abstract_actions = Vec::with_capacity(id.actions.len());
    for (i, &k) in id.actions.iter().enumerate() {
        enabled.clear();
        abs.actions(&abstract_states[i], &mut enabled);
        abstract_actions.push(*enabled.get(k)?);
    }
    let mut s = exact.init_states().into_iter().nth(id.init)?;
    if !agrees(&abstract_states[0], &s) {
        return None;
    }
    let mut states = vec![s.clone()];
    let mut actions = Vec::new();
    // Where each abstract state is in the exact path.
    let mut at = vec![0];
    for (i, &action) in abstract_actions.iter().enumerate() {
        if action == Action::BreakerTrip {
            let (idle, _) = abstract_states[i]
                .callers
                .refs()
                .into_iter()
                .find(|(_, c)| c.phase == CallerPhase::Idle)?;
            open_with_failures(&exact, idle, &mut s, &mut states, &mut actions)?;
        } else {
            step(&exact, &mut s, action, &mut states, &mut actions)?;
        }
        if !agrees(&abstract_states[i + 1], &s) {
            return None;
        }
        at.push(states.len() - 1);
    }
    let loop_to = match id.loop_to {
        Some(k) => {
            let cycle_leaves_closed = abstract_states[k..]
                .iter()
                .all(|a| a.breaker_state() != Some(BreakerState::Closed));
            if !cycle_leaves_closed || states[at[k]] != s {
                return None;
            }
            Some(at[k])
        }
        None => {
            let p = exact
                .properties()
                .into_iter()
                .find(|p| p.name == property)?;
            let violated = match p.expectation {
                Expectation::Always => !(p.condition)(&exact, &s),
                _ => return None,
            };
            if !violated {
                return None;
            }
            None
        }
    };
    let indices = action_indices(&exact, &states, &actions)?;
    let trace = TraceId {
        init: id.init,
        actions: indices,
        loop_to,
    };
    let mut cex = Counterexample::from_path(&exact, property, trace, &states, &actions);
    cex.trace_id = format!("{EXACT_PREFIX}{}", cex.trace_id);
    Some(cex)
}
