//! The callers of a breaker model, held one by one (caller `i` is entry `i`: the per-caller
//! model, for up to [`super::MAX_CALLERS`] callers) or as a counter abstraction (how many callers
//! are in each local state, not which: the model policy jobs run, for the deployment's real
//! number of concurrent callers).
//!
//! Why counting is exact. Callers are interchangeable: each runs the same code, and what one
//! does depends only on its own local state ([`Caller`]) and the shared state (breaker, clock,
//! downstream), never on another caller's identity; the only thing that changes callers other
//! than the one acting is a HALF_OPEN episode ending, which clears the trial-call mark of every
//! caller alike. So the permutations of callers are automorphisms of the per-caller model, and
//! the quotient by them is the multiset of local states: one action per *class* ("a caller in
//! local state X calls"), generated once however many callers are in X. Every path of the
//! per-caller model maps to a path of the same length here and every path here lifts to one
//! there (pick any caller of the class), so the reachable states, the safety verdicts and the
//! shortest counterexamples' lengths are the same.
//!
//! Liveness needs the fairness to carry over. Per caller, `breaker.recovers` assumes weak
//! fairness of each caller's call, retry and the downstream's answer to it
//! ([`crate::liveness`]: a class of actions enabled in every state of a cycle must be taken in
//! it). Here the fairness classes are per local state: "some caller in X calls (retries, is
//! answered)". The two agree:
//! - *Per-caller fair ⇒ class fair.* If class X stays non-empty forever, take a caller `c` in
//!   X. It leaves X only by its own step from X, or when a HALF_OPEN episode ends, which moves
//!   every caller out of a trial-call class at once and so empties X (contradicting "stays
//!   non-empty"). If it never leaves, its own action is continuously enabled (a caller's
//!   actions are enabled exactly when its phase allows them, whoever else is where), so weak
//!   fairness makes it act. Either way some caller steps out of X by X's action. One caller
//!   step is not fair per caller but leaves its class: a retry budget's refusal
//!   (`CallerRetryRefused`, unfair, since a budget may refuse forever). It ends the per-caller
//!   obligation to retry (the retry is no longer enabled), so it must end the class's too: in
//!   the counter model the refusal carries the retry's class. It is still no obligation: a
//!   class is discharged by either, and a refusal is never forced.
//! - *Class fair ⇒ per-caller fair.* An abstract fair cycle is concretised by choosing, each
//!   time class X fires, the caller that has been in X longest, a caller that acts counting
//!   as entering its class anew even if it stays in it (FIFO: a rejected call leaves an idle
//!   caller idle, and it goes to the back). Every caller in a continuously non-empty class is
//!   then eventually chosen or moved out, so no caller's action stays enabled forever
//!   untaken. The choice depends on the world and the callers' queue order, both finite, so
//!   the run of repeated traversals is eventually periodic, and its period is a concrete fair
//!   cycle. It need not pass through the abstract cycle's start with the same callers where
//!   they were: one traversal induces no fixed permutation of callers (issue 15: a cycle in
//!   which two callers are admitted and the third rejected passes the rejected caller's role
//!   back and forth between two of them, and never back to the first). Enabledness (TLA+'s
//!   `ENABLED`, a step must change the state) coincides too: a caller's step changes the
//!   per-caller state iff it changes the multiset, since a caller that stays in its class with
//!   the shared state unchanged is a stutter in both.
//!
//! So the counter model's verdicts are the per-caller model's, for every property;
//! `checker/tests/breaker_callers.rs` compares them on random configurations of every variant.
//!
//! Many callers: saturated counts. With hundreds of callers even the counts are too many, so
//! above [`super::EXACT_MAX_CALLERS`] a class's count is held exactly only below a cap, and as
//! [`OMEGA`] ("cap or more") from there (the counter abstraction of Pnueli, Xu and Zuck, 2002).
//! A caller leaving an ω class leaves it ω, or (an action marked [`DRAIN`]) leaves exactly
//! cap − 1: whatever the real count was, one of the two is right, so every run of the real
//! callers is a run here, and "a class is non-empty" is exact, so fairness carries over as
//! above. Counting properties read ω as unbounded. The saturated model over-approximates every
//! number of callers from the cap up: "holds" there holds at the deployment's number; a
//! violation there may need more callers than exist, so it is re-checked on exact counts (see
//! `verify_policy`): for a safety property first of a few callers, since safety is monotone
//! in callers (a run of n callers is a run of N ≥ n with the others idle for ever, and no
//! fairness obliges them to move), then of all N for what the few do not show; for
//! `breaker.recovers` of all N, since fairness makes every caller act and a liveness verdict
//! is not monotone (`counts_rejections` recovers with 2 callers and not with 3). Trial-call classes are capped above the permitted number plus one, so
//! `breaker.half-open-limit` counts them exactly.
//!
//! A counterexample of the counted model names classes, not callers: `name_callers` (called
//! by the parent's `verify_model`) lifts it to a run of named callers by the FIFO choice
//! above, so the lifting sits beside the argument that makes it fair. A lasso's cycle is then
//! renamed, when a naming exists, so that one traversal returns every caller to where it began
//! and is fair repeated, and the loop the trace draws is literally one the callers run.

use super::confirm;
use super::{Action, BreakerSys, BreakerSysState, Caller, CallerPhase};
use crate::trace::{Counterexample, Lasso, TraceId, replay};
use microcosm_model::resilience::BreakerState;
use stateright::Model;
use std::collections::HashMap;

/// The callers: one by one, or counted per local state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Callers {
    /// Caller `i` is entry `i`; an action names a caller by its index.
    Each(Vec<Caller>),
    /// How many callers are in each local state, sorted by local state, no zero counts; an
    /// action names a class by its local state's [`code`].
    Counted(Vec<(Caller, u32)>),
}

/// The count of a saturated class: its cap or more callers.
pub const OMEGA: u32 = u32::MAX;
/// Marks an action on an ω class after which the class holds exactly cap − 1 callers.
pub const DRAIN: u16 = 0x8000;

/// A local state as a number: the name of its class in actions and fairness classes.
pub fn code(c: &Caller) -> u16 {
    let phase = match c.phase {
        CallerPhase::Idle => 0,
        CallerPhase::InFlight => 1,
        CallerPhase::Backoff => 2,
    };
    (u16::from(c.attempts) << 4)
        | (phase << 2)
        | (u16::from(c.probe) << 1)
        | u16::from(c.sent_while_open)
}

/// The local state with this [`code`].
pub fn decode(code: u16) -> Option<Caller> {
    let phase = match (code >> 2) & 3 {
        0 => CallerPhase::Idle,
        1 => CallerPhase::InFlight,
        2 => CallerPhase::Backoff,
        _ => return None,
    };
    Some(Caller {
        phase,
        attempts: u8::try_from(code >> 4).ok()?,
        probe: code & 2 != 0,
        sent_while_open: code & 1 != 0,
    })
}

impl Callers {
    /// `n` idle callers (counted, ω from the cap up).
    pub fn idle(n: usize, counted: bool, cap: &dyn Fn(&Caller) -> u32) -> Self {
        if counted {
            let n = saturate(0, n as u32, cap(&Caller::default()));
            Callers::Counted(vec![(Caller::default(), n)])
        } else {
            Callers::Each(vec![Caller::default(); n])
        }
    }

    /// Whether callers are counted rather than held one by one.
    pub fn is_counted(&self) -> bool {
        matches!(self, Callers::Counted(_))
    }

    /// Every caller (reference, local state) an action may name: each caller, or each class
    /// once (an ω class twice: staying ω, and [`DRAIN`]ed), in a deterministic order.
    pub fn refs(&self) -> Vec<(u16, Caller)> {
        match self {
            Callers::Each(v) => v.iter().enumerate().map(|(i, c)| (i as u16, *c)).collect(),
            Callers::Counted(v) => v
                .iter()
                .flat_map(|(c, n)| {
                    let drained = (*n == OMEGA).then_some((code(c) | DRAIN, *c));
                    std::iter::once((code(c), *c)).chain(drained)
                })
                .collect(),
        }
    }

    /// The local state of the caller (or class) `r`, if there is one.
    pub fn get(&self, r: u16) -> Option<Caller> {
        match self {
            Callers::Each(v) => v.get(usize::from(r)).copied(),
            Callers::Counted(v) => {
                let c = decode(r & !DRAIN)?;
                v.iter().any(|(k, _)| *k == c).then_some(c)
            }
        }
    }

    /// Takes caller `r` (one caller of class `r`) out, to act on it; [`Callers::put`] puts it
    /// back in its new local state. `cap` gives each class's cap ([`OMEGA`]: exact counts).
    pub fn take(&mut self, r: u16, cap: &dyn Fn(&Caller) -> u32) -> Option<Caller> {
        match self {
            Callers::Each(v) => v.get(usize::from(r)).copied(),
            Callers::Counted(v) => {
                let c = decode(r & !DRAIN)?;
                let i = v.iter().position(|(k, _)| *k == c)?;
                let left = match (v[i].1, r & DRAIN != 0) {
                    (OMEGA, false) => OMEGA,
                    (OMEGA, true) => cap(&c).saturating_sub(1),
                    (_, true) => return None,
                    (n, false) => n - 1,
                };
                if left == 0 {
                    v.remove(i);
                } else {
                    v[i].1 = left;
                }
                Some(c)
            }
        }
    }

    /// Puts caller `r`, taken by [`Callers::take`], back as `c`.
    pub fn put(&mut self, r: u16, c: Caller, cap: &dyn Fn(&Caller) -> u32) {
        match self {
            Callers::Each(v) => v[usize::from(r)] = c,
            Callers::Counted(v) => match v.binary_search_by(|(k, _)| k.cmp(&c)) {
                Ok(i) => v[i].1 = saturate(v[i].1, 1, cap(&c)),
                Err(i) => v.insert(i, (c, saturate(0, 1, cap(&c)))),
            },
        }
    }

    /// Changes every caller alike, keeping the counts canonical.
    pub fn update_all(&mut self, f: impl Fn(&mut Caller), cap: &dyn Fn(&Caller) -> u32) {
        match self {
            Callers::Each(v) => v.iter_mut().for_each(f),
            Callers::Counted(v) => {
                v.iter_mut().for_each(|(c, _)| f(c));
                v.sort_by_key(|a| a.0);
                v.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    if same {
                        kept.1 = saturate(kept.1, later.1, cap(&kept.0));
                    }
                    same
                });
            }
        }
    }

    /// How many callers satisfy `pred` (`u64::MAX` when an ω class does: unbounded).
    pub fn count(&self, pred: impl Fn(&Caller) -> bool) -> u64 {
        match self {
            Callers::Each(v) => v.iter().filter(|c| pred(c)).count() as u64,
            Callers::Counted(v) => v
                .iter()
                .filter(|(c, _)| pred(c))
                .map(|(_, n)| if *n == OMEGA { u64::MAX } else { u64::from(*n) })
                .fold(0, u64::saturating_add),
        }
    }

    /// Whether every caller satisfies `pred`.
    pub fn all(&self, pred: impl Fn(&Caller) -> bool) -> bool {
        match self {
            Callers::Each(v) => v.iter().all(pred),
            Callers::Counted(v) => v.iter().all(|(c, _)| pred(c)),
        }
    }

    /// Every caller's local state (counted callers in class order; an ω class once).
    pub fn expand(&self) -> Vec<Caller> {
        match self {
            Callers::Each(v) => v.clone(),
            Callers::Counted(v) => v
                .iter()
                .flat_map(|(c, n)| {
                    std::iter::repeat_n(*c, if *n == OMEGA { 1 } else { *n as usize })
                })
                .collect(),
        }
    }
}

/// `a + b` callers in a class with this cap: ω from the cap up.
fn saturate(a: u32, b: u32, cap: u32) -> u32 {
    if a == OMEGA || b == OMEGA {
        return OMEGA;
    }
    let sum = a.saturating_add(b);
    if sum >= cap { OMEGA } else { sum }
}

/// Names the callers of a counted model's counterexample: the trace is rebuilt with callers
/// numbered 1 to n, all idle at first, and each step of "a caller in local state X" is taken by
/// the caller that has been in X longest (the lowest-numbered among equals): the FIFO choice
/// of the module doc's fairness argument, so a lasso's cycle, repeated with the same FIFO
/// choice, is eventually a concrete cycle fair to every caller, though its named traversal
/// need not end with each caller where it began (picking the lowest-numbered caller always
/// would show a cycle that starves the others). The steps then read as one concrete run
/// ("client#2: CallerCall"), and the chart has a column for each caller that acts.
pub(super) fn name_callers(model: &BreakerSys, cex: &mut Counterexample) {
    if !model.is_counted() {
        return;
    }
    let (m, id) = match cex.trace_id.strip_prefix(confirm::EXACT_PREFIX) {
        Some(id) => (BreakerSys::new_exact(model.config().clone()).ok(), id),
        None => (Some(model.clone()), cex.trace_id.as_str()),
    };
    let (Some(m), Ok(trace)) = (m, id.parse::<TraceId>()) else {
        return;
    };
    let Ok(states) = replay(&m, id) else { return };
    let mut locals = vec![Caller::default(); m.config().callers];
    // The step at which each caller entered its current local state.
    let mut since = vec![0usize; m.config().callers];
    let mut who = Vec::with_capacity(trace.actions.len());
    // Each step as `name_cycle` reads it, and every caller's local state before it.
    let mut steps: Vec<CycleStep> = Vec::with_capacity(trace.actions.len());
    let mut before = Vec::with_capacity(trace.actions.len());
    let mut enabled = Vec::new();
    for (i, &k) in trace.actions.iter().enumerate() {
        before.push(locals.clone());
        enabled.clear();
        m.actions(&states[i], &mut enabled);
        let Some(&action) = enabled.get(k) else {
            return;
        };
        let class = match action {
            Action::CallerCall(c) | Action::CallerRetry(c) | Action::CallerRetryRefused(c) => {
                Some(c)
            }
            Action::DownstreamReply { caller, .. } => Some(caller),
            _ => None,
        };
        let Some((_, actor)) = m.step(&states[i], action) else {
            return;
        };
        let acting = class.and_then(|c| decode(c & !DRAIN)).and_then(|local| {
            (0..locals.len())
                .filter(|&w| locals[w] == local)
                .min_by_key(|&w| (since[w], w))
        });
        let clears = states[i + 1].breaker_state() != Some(BreakerState::HalfOpen);
        steps.push(CycleStep {
            class: class.and_then(|c| decode(c & !DRAIN)),
            kind: kind(&action),
            after: actor,
        });
        // Trial-call marks live only in HALF_OPEN: leaving it clears every caller's.
        if clears {
            for (w, l) in locals.iter_mut().enumerate() {
                if l.probe {
                    l.probe = false;
                    since[w] = i + 1;
                }
            }
        }
        if let (Some(w), Some(now)) = (acting, actor) {
            locals[w] = now;
            since[w] = i + 1;
        }
        who.push(acting);
    }
    if let Some(Lasso::Cycle { from_step }) = cex.lasso
        && let Some(k) = from_step.checked_sub(1)
        && let Some(start) = before.get(k)
        && let Some(named) = name_cycle(&m, &states[k..], &steps[k..], start, &who[k..])
    {
        who.truncate(k);
        who.extend(named);
    }
    let name = |w: usize| format!("{}#{}", m.config().caller, w + 1);
    let mut acted: Vec<usize> = who.iter().flatten().copied().collect();
    acted.sort_unstable();
    acted.dedup();
    let mut parties: Vec<String> = acted.iter().map(|&w| name(w)).collect();
    parties.extend(cex.parties.iter().skip(1).cloned());
    for (step, w) in cex.steps.iter_mut().zip(&who) {
        let Some(w) = *w else { continue };
        match &mut step.message {
            Some(message) => message.to = name(w),
            None => step.party = name(w),
        }
    }
    cex.parties = parties;
}

/// One step of a counted trace, as naming its callers needs it.
struct CycleStep {
    /// The local state of the caller that acts (`None`: no caller acts).
    class: Option<Caller>,
    /// The fairness kind of the step (see [`kind`]).
    kind: Option<Kind>,
    /// The acting caller's local state after the step.
    after: Option<Caller>,
}

/// A caller's weakly fair obligation: to call, to retry (which a budget's refusal also ends),
/// or to be answered. The discriminant indexes [`name_cycle`]'s per-caller tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Call = 0,
    Retry = 1,
    Reply = 2,
}

fn kind(action: &Action) -> Option<Kind> {
    match action {
        Action::CallerCall(_) => Some(Kind::Call),
        Action::CallerRetry(_) | Action::CallerRetryRefused(_) => Some(Kind::Retry),
        Action::DownstreamReply { .. } => Some(Kind::Reply),
        _ => None,
    }
}

/// The most callers, and the most steps tried, for [`name_cycle`]'s search: past them the
/// FIFO naming stands.
const NAME_CYCLE_MAX_CALLERS: usize = 64;
const NAME_CYCLE_BUDGET: usize = 100_000;

/// Names a lasso's cycle (`states` from its start to its end, `steps` between, `start` every
/// caller's local state at its start, `fifo` the FIFO naming) so that one traversal returns
/// every caller to where it began and, repeated, is fair to every caller: then the trace's
/// "back to the state before step k" holds of each named caller, not only of the counts, and
/// the loop the chart draws is one the reader can follow. The FIFO naming is fair in the long
/// run but may end a traversal with callers in each other's places, or send a new caller into
/// every traversal. It is kept when it already returns; otherwise a depth-first search looks
/// for one that does, trying only one of the callers that have not acted yet among those that
/// began alike (they are interchangeable). `None` keeps the FIFO naming: it returns already,
/// or no other was found within the budget.
fn name_cycle(
    m: &BreakerSys,
    states: &[BreakerSysState],
    steps: &[CycleStep],
    start: &[Caller],
    fifo: &[Option<usize>],
) -> Option<Vec<Option<usize>>> {
    if start.len() > NAME_CYCLE_MAX_CALLERS {
        return None;
    }
    let mut enabled = HashMap::new();
    // Whether a caller in `local` has its `kind` of step enabled before step `i`: some such
    // action of its class changes the state (TLA+'s ENABLED, as the liveness check reads it).
    let mut is_enabled = |i: usize, local: Caller, k: Kind| -> bool {
        *enabled.entry((i, local, k)).or_insert_with(|| {
            let mut actions = Vec::new();
            m.actions(&states[i], &mut actions);
            actions.into_iter().any(|a| {
                let class = match a {
                    Action::CallerCall(c) | Action::CallerRetry(c) => c,
                    Action::DownstreamReply { caller, .. } => caller,
                    _ => return false,
                };
                kind(&a) == Some(k)
                    && decode(class & !DRAIN) == Some(local)
                    && m.step(&states[i], a)
                        .is_some_and(|(next, _)| next != states[i])
            })
        })
    };
    let mut fair = |who: &[Option<usize>]| -> bool {
        let mut locals = start.to_vec();
        let mut always = vec![[true; 3]; locals.len()];
        let mut taken = vec![[false; 3]; locals.len()];
        for (i, (step, &w)) in steps.iter().zip(who).enumerate() {
            for (c, local) in locals.iter().enumerate() {
                for (j, k) in [Kind::Call, Kind::Retry, Kind::Reply]
                    .into_iter()
                    .enumerate()
                {
                    always[c][j] &= is_enabled(i, *local, k);
                }
            }
            apply(&mut locals, step, w, &states[i + 1]);
            if let (Some(w), Some(k)) = (w, step.kind) {
                taken[w][k as usize] = true;
            }
        }
        locals == start
            && always
                .iter()
                .zip(&taken)
                .all(|(a, t)| (0..3).all(|j| !a[j] || t[j]))
    };
    if fair(fifo) {
        return None;
    }
    let mut who = Vec::with_capacity(steps.len());
    let mut acted = vec![false; start.len()];
    let mut budget = NAME_CYCLE_BUDGET;
    let mut locals = start.to_vec();
    search(
        &mut Search {
            steps,
            states,
            start,
            budget: &mut budget,
            fair: &mut fair,
        },
        &mut locals,
        &mut acted,
        &mut who,
    )
    .then_some(who)
}

/// Step `step` on the callers' local states, taken by caller `w`.
fn apply(locals: &mut [Caller], step: &CycleStep, w: Option<usize>, after: &BreakerSysState) {
    if after.breaker_state() != Some(BreakerState::HalfOpen) {
        for l in locals.iter_mut() {
            l.probe = false;
        }
    }
    if let (Some(w), Some(now)) = (w, step.after) {
        locals[w] = now;
    }
}

/// The fixed part of [`name_cycle`]'s search.
struct Search<'a, F: FnMut(&[Option<usize>]) -> bool> {
    steps: &'a [CycleStep],
    states: &'a [BreakerSysState],
    start: &'a [Caller],
    budget: &'a mut usize,
    fair: &'a mut F,
}

/// Extends `who` (the callers of the steps so far, which left the callers in `locals`) to a
/// whole traversal that `fair` accepts; false when there is none within the budget.
fn search<F: FnMut(&[Option<usize>]) -> bool>(
    s: &mut Search<'_, F>,
    locals: &mut Vec<Caller>,
    acted: &mut Vec<bool>,
    who: &mut Vec<Option<usize>>,
) -> bool {
    let i = who.len();
    if i == s.steps.len() {
        return locals.as_slice() == s.start && (s.fair)(who);
    }
    if *s.budget == 0 {
        return false;
    }
    *s.budget -= 1;
    let step = &s.steps[i];
    let candidates: Vec<Option<usize>> = match step.class {
        None => vec![None],
        Some(class) => {
            // Callers that acted already, then one of each group that began alike and has not.
            let mut fresh: Vec<Caller> = Vec::new();
            let mut out: Vec<Option<usize>> = (0..locals.len())
                .filter(|&w| locals[w] == class && acted[w])
                .map(Some)
                .collect();
            for w in (0..locals.len()).filter(|&w| locals[w] == class && !acted[w]) {
                if !fresh.contains(&s.start[w]) {
                    fresh.push(s.start[w]);
                    out.push(Some(w));
                }
            }
            out
        }
    };
    for w in candidates {
        let (saved, was) = (locals.clone(), w.map(|w| acted[w]));
        apply(locals, step, w, &s.states[i + 1]);
        if let Some(w) = w {
            acted[w] = true;
        }
        who.push(w);
        if search(s, locals, acted, who) {
            return true;
        }
        who.pop();
        *locals = saved;
        if let (Some(w), Some(was)) = (w, was) {
            acted[w] = was;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_every_local_state_once() {
        for attempts in 0..=101u8 {
            for phase in [
                CallerPhase::Idle,
                CallerPhase::InFlight,
                CallerPhase::Backoff,
            ] {
                for probe in [false, true] {
                    for sent_while_open in [false, true] {
                        let c = Caller {
                            phase,
                            attempts,
                            probe,
                            sent_while_open,
                        };
                        assert_eq!(decode(code(&c)), Some(c));
                    }
                }
            }
        }
        assert_eq!(decode(3 << 2), None);
    }

    #[test]
    fn counts_stay_canonical() {
        let exact = |_: &Caller| OMEGA;
        let mut a = Callers::idle(3, true, &exact);
        let busy = Caller {
            phase: CallerPhase::InFlight,
            attempts: 1,
            probe: true,
            sent_while_open: false,
        };
        let idle = a.take(code(&Caller::default()), &exact).unwrap();
        assert_eq!(idle, Caller::default());
        a.put(code(&idle), busy, &exact);
        let mut b = a.clone();
        assert_eq!(a.count(|c| c.probe), 1);
        // Clearing the trial-call mark merges the class into the untouched one of equal state.
        let plain = Caller {
            probe: false,
            ..busy
        };
        b.put(0, plain, &exact);
        b.update_all(|c| c.probe = false, &exact);
        assert_eq!(
            b,
            Callers::Counted(vec![(Caller::default(), 2), (plain, 2)])
        );
        assert_eq!(b.expand().len(), 4);
    }

    #[test]
    fn a_saturated_class_stays_many_or_drains_to_cap_minus_one() {
        let cap = |_: &Caller| 3;
        let idle = code(&Caller::default());
        let mut a = Callers::idle(200, true, &cap);
        assert_eq!(a, Callers::Counted(vec![(Caller::default(), OMEGA)]));
        assert_eq!(a.refs().len(), 2, "staying ω and draining are two actions");
        let mut stay = a.clone();
        stay.take(idle, &cap).unwrap();
        assert_eq!(stay, a);
        a.take(idle | DRAIN, &cap).unwrap();
        assert_eq!(a, Callers::Counted(vec![(Caller::default(), 2)]));
        assert!(a.clone().take(idle | DRAIN, &cap).is_none());
        // Back to the cap: ω again; counting reads ω as unbounded.
        a.put(idle, Caller::default(), &cap);
        assert_eq!(a, Callers::Counted(vec![(Caller::default(), OMEGA)]));
        assert_eq!(a.count(|_| true), u64::MAX);
    }
}
