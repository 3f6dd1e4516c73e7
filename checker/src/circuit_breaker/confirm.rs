//! Confirming that a violation found in an over-approximating breaker model is a run of the
//! real system (see the parent module's doc). Two things are over-approximated: an abstract
//! CLOSED window, which may open (`BreakerTrip`) earlier than a real window could, and
//! HALF_OPEN's maximum wait, a timer that may fire (`BreakerGiveUp`) at any moment. A
//! counterexample is reported violated only when one of the arguments below shows it real;
//! otherwise it stays inconclusive.
//!
//! **The window held exactly, only the timer abstract** (a count window of at most
//! `EXACT_MAX_WINDOW` calls with `max_wait_duration_in_half_open_state`): the path is a run of
//! the real breaker if the timer never has to fire on it. It never does when (1) the path
//! takes no `BreakerGiveUp`; (2) no step taken in HALF_OPEN needs time to pass — no slow
//! answer (it lasts longer than the slow-call duration, which may exceed the maximum wait) and
//! no retry or refused retry (it comes a retry wait after a failure) — so every HALF_OPEN
//! episode is a finite run of calls, rejections and fast answers, which the real system can
//! make within any positive time, in particular within the maximum wait; and (3) for a lasso,
//! the cycle leaves HALF_OPEN (a cycle, or a stutter, that stays in HALF_OPEN forever is one
//! the real timer would end). The timer is unfair in the model and never due on such a run,
//! so the cycle's fairness is the real system's too. The counterexample then stands as found,
//! with its own trace id.
//!
//! **An abstract CLOSED window of counts** (more than `EXACT_MAX_WINDOW` calls): the trace is
//! replayed step by step on the exact model at the real window: each `BreakerTrip` becomes
//! real by having an idle caller make failing calls until the real window opens, and every
//! step must lead to a state that agrees with the abstract one on everything but the CLOSED
//! window. If the walk gets through, a safety violation is confirmed when the exact end state
//! violates the property. A lasso is confirmed when its cycle never visits CLOSED: there the
//! exact and abstract states correspond one to one (the CLOSED window is empty and unused), so
//! the exact run has the same cycle, with the same enabled actions and so the same fairness.
//! With the timer too, the exact path must meet (1)–(3) as well. A confirmed counterexample is
//! a path of the exact model, with a trace id marked [`EXACT_PREFIX`] so that
//! `verify --replay` replays it there.
//!
//! **A time-based window** has no exact model (the model freezes time in CLOSED), so a trip
//! cannot be made real, and a trace without one violates nothing: the abstract window leaves
//! CLOSED only by `BreakerTrip`, and in CLOSED every property holds (nothing is OPEN or
//! HALF_OPEN, and the reference and the breaker hear the same results). Such a trace is a real
//! run only if the real window did not open where the abstract one stayed closed, which a
//! trace with no failed or slow result recorded in CLOSED guarantees (a window opens only on
//! recording a result while it holds a failed or slow one, thresholds being above zero); but
//! as it violates nothing there is nothing to report. Every violation on a time-based window
//! therefore stays inconclusive, with the abstract trace to inspect.

use super::{Action, BreakerSys, BreakerSysState, CallerPhase, Outcome};
use crate::trace::{Counterexample, TraceId, action_indices, replay};
use microcosm_model::resilience::BreakerState;
use stateright::{Expectation, Model};

/// Prefix of a trace id of the exact model (a policy job's own model is the abstract one).
pub const EXACT_PREFIX: &str = "exact:";

/// Whether an exact state agrees with an abstract one on everything but the CLOSED window.
fn agrees(a: &BreakerSysState, c: &BreakerSysState) -> bool {
    let same_half_open = match (a.breaker(), c.breaker()) {
        (Some(x), Some(y)) if x.state() == BreakerState::HalfOpen => {
            x.half_open_admitted() == y.half_open_admitted() && x.snapshot() == y.snapshot()
        }
        _ => true,
    };
    a.breaker_state() == c.breaker_state()
        && a.now() == c.now()
        && a.healed() == c.healed()
        && a.caller_set() == c.caller_set()
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
    if s.healed() {
        return None;
    }
    let attempts = exact.retry().max_attempts.max(1);
    let bound = 4 * (p.window_size.max(p.minimum_number_of_calls) + 2) * attempts;
    let mut c = c;
    for _ in 0..bound {
        let open = s.breaker_state() == Some(BreakerState::Open);
        let action = match s.caller_set().get(c)?.phase {
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

/// How a violation found in an over-approximating model was shown real.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The counterexample as found is a run of the real system (the window is exact and the
    /// HALF_OPEN timer never has to fire on it).
    AsFound,
    /// This path of the exact model at the real window realises the abstract one.
    OnExactWindow(Counterexample),
}

/// Whether HALF_OPEN's maximum wait never has to fire on this path of `model`: conditions
/// (1)–(3) of the module doc. `loop_to` is a lasso's return index.
fn timer_never_due(
    model: &BreakerSys,
    states: &[BreakerSysState],
    actions: &[Action],
    loop_to: Option<usize>,
) -> bool {
    if model.params().is_none_or(|p| p.max_wait_in_half_open == 0) {
        return true;
    }
    let half_open = |s: &BreakerSysState| s.breaker_state() == Some(BreakerState::HalfOpen);
    let takes_time = |a: &Action| {
        matches!(
            a,
            Action::CallerRetry(_)
                | Action::CallerRetryRefused(_)
                | Action::DownstreamReply {
                    outcome: Outcome::SlowOk | Outcome::SlowFail,
                    ..
                }
        )
    };
    let episodes_are_quick = actions
        .iter()
        .zip(states)
        .all(|(a, before)| *a != Action::BreakerGiveUp && !(half_open(before) && takes_time(a)));
    let cycle_leaves_half_open = loop_to.is_none_or(|k| states[k..].iter().any(|s| !half_open(s)));
    episodes_are_quick && cycle_leaves_half_open
}

/// Whether the violation of `property` in `abs`'s trace is a run of the real system, and how
/// (see the module doc); `None` when no argument shows it.
pub fn confirm(abs: &BreakerSys, property: &'static str, trace_id: &str) -> Option<Confirmed> {
    let id: TraceId = trace_id.parse().ok()?;
    if !abs.abstract_closed() {
        let states = replay(abs, trace_id).ok()?;
        let mut enabled = Vec::new();
        let mut actions = Vec::with_capacity(id.actions.len());
        for (i, &k) in id.actions.iter().enumerate() {
            enabled.clear();
            abs.actions(&states[i], &mut enabled);
            actions.push(*enabled.get(k)?);
        }
        return timer_never_due(abs, &states, &actions, id.loop_to).then_some(Confirmed::AsFound);
    }
    let exact = BreakerSys::new_exact(abs.config().clone()).ok()?;
    // The same caller representation, so the abstract states compare with the exact ones.
    let exact = if abs.is_counted() {
        exact
    } else {
        exact.per_caller().ok()?
    };
    if exact.abstract_closed() {
        return None;
    }
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
                .caller_set()
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
    if !timer_never_due(&exact, &states, &actions, loop_to) {
        return None;
    }
    let indices = action_indices(&exact, &states, &actions)?;
    let trace = TraceId {
        init: id.init,
        actions: indices,
        loop_to,
    };
    let mut cex = Counterexample::from_path(&exact, property, trace, &states, &actions);
    cex.trace_id = format!("{EXACT_PREFIX}{}", cex.trace_id);
    Some(Confirmed::OnExactWindow(cex))
}
