//! Circuit breakers and retries, model-checked: Resilience4j's `CircuitBreakerStateMachine`
//! (Nygard, *Release It!*, 2007, for the pattern; Resilience4j's documentation for the exact
//! rules) with a retry policy in front of it, driven by `k` concurrent callers against a
//! downstream chosen by the fault model. The semantics is not restated here: every permission,
//! result and timer goes through [`microcosm_model::resilience::Breaker`] and every retry
//! decision through [`RetryParams::should_retry`], the same code the simulator runs.
//!
//! The composition is Resilience4j's decorator order, `Retry(CircuitBreaker(call))`: every
//! attempt, retries included, asks the breaker, and a rejected attempt is retried only when
//! `retry_on` includes `breaker_open`. Known-buggy implementations are explicit variants
//! ([`BreakerVariant`]) that change how the model drives the same semantics, so a gallery file
//! can show what the checker catches.
//!
//! Abstractions, each sound for the properties checked:
//! - **Time** is abstract ticks, and only passes while the breaker is OPEN (`ClockTick`, up to
//!   the instant after the wait): in CLOSED and HALF_OPEN a count-based window does not look at
//!   the clock, so elapsed time there is unobservable. The open wait is [`WAIT_TICKS`] ticks.
//!   An OPEN breaker is rebuilt at time 0 with the elapsed time kept (an OPEN breaker is fully
//!   described by when it opened), so the clock stays bounded and the state space finite.
//! - **Retry waits** are "some time later": a backing-off caller may retry at any moment, which
//!   covers every jitter schedule's `wait_bounds`.
//! - **The CLOSED window** is held exactly when it is a count window of at most
//!   [`EXACT_MAX_WINDOW`] calls: every order of results is explored, and verdicts are exact.
//!   A larger or time-based window (Resilience4j's default is 100 calls) has more orders than
//!   any search can hold, so it is abstracted away: the breaker *may* open (`BreakerTrip`)
//!   whenever its window may hold a failed or slow result, i.e. once such a result has been
//!   recorded since it last closed, and never otherwise. A real window of any type, size,
//!   minimum and thresholds (both in (0, 1]) opens only on recording a result while it holds a
//!   failed or slow one, so every behaviour of the real breaker is one of the abstraction's:
//!   a property that holds here holds for the user's real settings. The converse fails (the
//!   abstraction may open earlier than the real window could), so a violation found this way
//!   is replayed on the exact model at the real window ([`confirm`]): reported violated, with
//!   the exact trace, when it is real there, and inconclusive ([`Bound::Abstraction`]) with
//!   the abstract trace to inspect otherwise. `breaker.opens-when-due` and `breaker.no-premature-open` are then checked as
//!   what the composition decides: that the breaker's window hears exactly the results the
//!   reference would, since the same reset (the window's arithmetic is
//!   `model::resilience::Window`'s, tested against an independent reference for any size).
//! - **The HALF_OPEN window** is always exact, with the real number of trial calls: it decides
//!   once, when full, so it never evicts, and the order of its results is unobservable; states
//!   are canonicalised to the counts (a sound reduction: equal counts, equal futures).
//! - **HALF_OPEN's maximum wait**, when set, is an unfair timer that may fire at any moment
//!   (how long trial calls take against it is not modelled), an over-approximation like the
//!   abstract window: a violation is reported only on a run that never needs the timer to
//!   fire, and is inconclusive otherwise ([`confirm`] states when that is).
//! - **Slow calls** are explored whenever a call can be slow: always, unless a per-try timeout
//!   at or below `slow_call_duration_ms` cuts every call first (even at a 100 % slow-call
//!   threshold a window of only slow calls opens).
//! - **The downstream** answers each call with success or failure (and, when the slow-call
//!   threshold is below 100 %, fast or slow) until it heals (`DownstreamHeal`), after which every
//!   call succeeds fast for good. Outage windows are runs of failures, which "any call may
//!   fail" already contains.
//!
//! `breaker.opens-when-due` and `breaker.no-premature-open` compare the breaker with a
//! reference window kept beside it: the results the breaker should count (each real attempt's,
//! or each logical call's when the breaker wraps the retry loop) since it entered its state.
//! Fairness for `breaker.recovers`: callers keep calling and retrying, the downstream keeps
//! answering, time passes and the breaker's timer fires (weakly fair, per caller); failures and
//! healing are not fair. A retry budget's token counts grow without bound, so the budget is
//! abstracted too: when the policy has one, it may refuse any retry (`CallerRetryRefused`, not
//! fair), which covers every budget; its bound over time is `model::resilience::budget`'s, and
//! `retry.bounded` checks `max_attempts`.

use crate::catalogue::{
    BREAKER_HALF_OPEN_LIMIT, BREAKER_NO_PREMATURE_OPEN, BREAKER_OPEN_BLOCKS,
    BREAKER_OPENS_WHEN_DUE, BREAKER_RECOVERS, RETRY_BOUNDED, RETRY_RESPECTS_BREAKER,
};
use crate::error::{Error, ErrorKind};
use crate::fairness::ActionFairness;
use crate::liveness::LivenessProperty;
use crate::trace::{ActionView, Counterexample, Describe, TraceId, replay};
use crate::verdict::{Bound, CheckOptions, Status, Verdict};
use crate::verify::{Protocol, verify};
use microcosm_model::resilience::{
    Breaker, BreakerParams, BreakerState, Failure, Permission, RetryParams, Snapshot, Transition,
    Window,
};
use microcosm_model::{CircuitBreakerConfig, Policy, RetryConfig, SlidingWindowType};
use stateright::{Model, Property};

pub mod callers;
pub mod concurrency;
pub mod confirm;

pub use callers::Callers;

/// The most concurrent callers the per-caller model holds (see [`BreakerSys::per_caller`]).
pub const MAX_CALLERS: usize = 4;
/// The most concurrent callers the counter model holds (callers are counted per local state,
/// so the bound is only on the counts).
pub const MAX_COUNTED_CALLERS: usize = 10_000;
/// The most callers whose counts are held exactly; above, counts saturate (see [`callers`]).
pub const EXACT_MAX_CALLERS: usize = 4;
/// A saturated class's cap, except trial calls': 0 is exact, 1 is "1 or more" (whether the class
/// is empty is all the other properties read).
pub const SATURATION_CAP: u32 = 1;
/// The largest count window held exactly; larger and time-based windows are abstracted (see
/// the module doc).
pub const EXACT_MAX_WINDOW: u32 = 10;
/// The most trial calls in HALF_OPEN a model holds.
pub const MAX_HALF_OPEN: u32 = 128;
/// The open wait, in ticks.
pub const WAIT_TICKS: u64 = 2;
/// Callers in the unit tests' policies (a policy job has its deployment's number: see
/// [`concurrency`]).
pub const DEFAULT_CALLERS: usize = 2;

/// How the model drives the breaker: Resilience4j's way, or a known-buggy hand-rolled one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BreakerVariant {
    /// Resilience4j: every attempt asks the breaker, results of permitted calls are recorded.
    #[default]
    Resilience4j,
    /// OPEN rejects every call and never asks the state machine, so it never moves to
    /// HALF_OPEN: a breaker with no way out of OPEN.
    NoHalfOpen,
    /// HALF_OPEN lets every call through, ignoring the permitted number of trial calls.
    UnlimitedHalfOpen,
    /// Rejected calls are reported to the breaker as failures.
    CountsRejections,
    /// The breaker wraps the whole retry loop (`CircuitBreaker(Retry(call))`): one permission
    /// per logical call, so retries go straight to the downstream even once the breaker opened.
    BreakerWrapsRetry,
    /// HALF_OPEN admits the permitted trial calls and closes on the first successful one
    /// (slow or not), without waiting for the others' results: trial results that meet a
    /// threshold close it when the last of them is a success.
    FirstSuccessCloses,
}

impl BreakerVariant {
    /// The scenario's name for it.
    pub fn name(self) -> &'static str {
        match self {
            BreakerVariant::Resilience4j => "resilience4j",
            BreakerVariant::NoHalfOpen => "no_half_open",
            BreakerVariant::UnlimitedHalfOpen => "unlimited_half_open",
            BreakerVariant::CountsRejections => "counts_rejections",
            BreakerVariant::BreakerWrapsRetry => "breaker_wraps_retry",
            BreakerVariant::FirstSuccessCloses => "first_success_closes",
        }
    }
}

/// A policy to check: the breaker (in ticks), the retry in front of it, the callers.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    /// The caller's service, for traces.
    pub caller: String,
    /// The callee's service, for traces.
    pub callee: String,
    /// Concurrent callers sharing the breaker, 1 to [`MAX_COUNTED_CALLERS`] (1 to
    /// [`MAX_CALLERS`] for the per-caller model).
    pub callers: usize,
    /// The breaker's parameters in ticks, if the policy has one.
    pub breaker: Option<BreakerParams>,
    /// The retry policy, if any.
    pub retry: Option<RetryParams>,
    /// How the model drives them.
    pub variant: BreakerVariant,
    /// Whether the downstream may answer slowly (else every answer is fast).
    pub slow_calls: bool,
    /// Whether a retry budget may refuse a retry (see the module doc).
    pub retry_budget: bool,
}

impl PolicyConfig {
    /// A policy from the scenario, in the model's terms (see the module doc); the second value
    /// lists what was abstracted, for the verdict's notes.
    pub fn from_policy(
        caller: &str,
        callee: &str,
        policy: &Policy,
        variant: BreakerVariant,
        callers: usize,
    ) -> (PolicyConfig, Vec<String>) {
        Self::from_policy_because(caller, callee, policy, variant, callers, None)
    }

    /// [`PolicyConfig::from_policy`], saying in the notes why `callers` is the number checked.
    pub fn from_policy_because(
        caller: &str,
        callee: &str,
        policy: &Policy,
        variant: BreakerVariant,
        callers: usize,
        why: Option<&str>,
    ) -> (PolicyConfig, Vec<String>) {
        let mut notes = Vec::new();
        let breaker = policy
            .circuit_breaker
            .as_ref()
            .map(|cb| breaker_params(cb, &mut notes));
        let retry = policy.retry.as_ref().map(|r| retry_params(r, &mut notes));
        // A call is slow when it lasts longer than the slow-call duration, which it cannot
        // when a per-try timeout ends it first.
        let slow_calls = policy.circuit_breaker.as_ref().is_some_and(|cb| {
            policy
                .timeout_ms
                .is_none_or(|t| t > cb.slow_call_duration_ms)
        });
        let plural = if callers == 1 { "" } else { "s" };
        notes.push(match why {
            Some(why) => format!("{callers} concurrent caller{plural} ({why})"),
            None => format!("{callers} concurrent caller{plural}"),
        });
        notes.push(format!(
            "abstract time (the open wait is {WAIT_TICKS} ticks)"
        ));
        (
            PolicyConfig {
                caller: caller.to_owned(),
                callee: callee.to_owned(),
                callers,
                breaker,
                retry,
                variant,
                slow_calls,
                retry_budget: policy.retry.as_ref().is_some_and(|r| r.budget.is_some()),
            },
            notes,
        )
    }
}

/// Resilience4j's breaker settings in the model's ticks (see the module doc): the open wait is
/// [`WAIT_TICKS`], a slow answer takes 2 ticks against a slow-call duration of 1; windows,
/// minimum, thresholds and trial calls are the user's own. Notes say what is abstracted.
pub fn breaker_params(cb: &CircuitBreakerConfig, notes: &mut Vec<String>) -> BreakerParams {
    let mut p = BreakerParams::from_config(cb, 1.0);
    if closed_window_is_abstract(&p) {
        let what = match p.window_type {
            SlidingWindowType::CountBased => format!("count window of {} calls", p.window_size),
            SlidingWindowType::TimeBased => format!("time window of {} s", p.window_size),
        };
        notes.push(format!(
            "the CLOSED {what} (minimum {}) is abstracted: it may open whenever it may hold a \
             failed or slow result, which covers every window; \"holds\" is exact, and a \
             violation counts only once replayed on the exact window",
            p.minimum_number_of_calls
        ));
    }
    p.wait_in_open = WAIT_TICKS;
    // A slow answer lasts 2 ticks, a fast one 0: slow means strictly longer than 1.
    p.slow_call_duration = 1;
    p.bucket_units = 1;
    if p.max_wait_in_half_open > 0 {
        notes.push(
            "HALF_OPEN's maximum wait may end it at any moment (an over-approximation: a \
             violation counts only on a run that never needs it to fire, else it is \
             inconclusive)"
                .to_owned(),
        );
        p.max_wait_in_half_open = 1;
    }
    p
}

/// Whether the CLOSED window of `p` is abstracted rather than held (see the module doc).
pub fn closed_window_is_abstract(p: &BreakerParams) -> bool {
    p.window_type == SlidingWindowType::TimeBased || p.window_size > EXACT_MAX_WINDOW
}

fn retry_params(r: &RetryConfig, notes: &mut Vec<String>) -> RetryParams {
    let p = RetryParams::from_config(r, 1.0);
    if r.budget.is_some() {
        notes.push(
            "the retry budget may refuse any retry; its bound over time is \
             model::resilience::budget's, and retry.bounded checks max_attempts"
                .to_owned(),
        );
    }
    let (low, high) = p.wait_bounds(1, p.wait);
    notes.push(format!(
        "retry waits ({low}–{high} ms before the first retry) are abstracted to \"some time later\""
    ));
    p
}

/// Checks `cfg` for `properties` (all that apply when empty).
pub fn verify_policy(
    name: &str,
    cfg: &PolicyConfig,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let model = BreakerSys::new(cfg.clone())?;
    let Some(saturated) = model.saturated() else {
        return verify_model(name, &model, properties, opts);
    };
    // Saturated counts first: their "holds" covers every number of callers from the caps up.
    let mut verdicts = verify_model(name, &saturated, properties, opts)?;
    // Re-checked on exact counts: what the over-approximation may have made up. A run cut
    // short by a bound stays inconclusive (the exact counts are only bigger).
    let again: Vec<&'static str> = verdicts
        .iter()
        .filter(|v| {
            v.status.is_violated()
                || matches!(
                    v.status,
                    Status::Inconclusive {
                        reason: Bound::Abstraction { .. }
                    }
                )
        })
        .map(|v| v.property)
        .collect();
    let probes = model
        .params()
        .map_or(0, |p| p.permitted_in_half_open.saturating_add(1));
    // Safety is monotone in the number of callers: a caller may stay idle for ever, so every
    // run of n callers is a run of N ≥ n with the others idle, and a safety violation found on
    // exact counts of a few callers is a violation at N. Try those first (a few callers are far
    // fewer states than N counted exactly); only what they do not show needs all N.
    let few = (probes as usize).max(EXACT_MAX_CALLERS).min(cfg.callers);
    let safety: Vec<&'static str> = again
        .iter()
        .copied()
        .filter(|p| *p != BREAKER_RECOVERS)
        .collect();
    let mut by_few = Vec::new();
    if few < cfg.callers && !safety.is_empty() {
        let small = BreakerSys::new(PolicyConfig {
            callers: few,
            ..cfg.clone()
        })?;
        by_few = verify_model(name, &small, &safety, opts)?;
        by_few.retain(|v| v.status.is_violated());
    }
    let again: Vec<&'static str> = again
        .into_iter()
        .filter(|p| !by_few.iter().any(|v| v.property == *p))
        .collect();
    let exact = if again.is_empty() {
        Vec::new()
    } else {
        verify_model(name, &model, &again, opts)?
    };
    for v in &mut verdicts {
        if let Some(e) = by_few.iter().find(|e| e.property == v.property) {
            *v = e.clone();
            v.options.notes.push(format!(
                "violated with {few} of the {} callers, counted exactly: the others may stay \
                 idle, so it is violated with all {}",
                cfg.callers, cfg.callers
            ));
        } else if let Some(e) = exact.iter().find(|e| e.property == v.property) {
            *v = e.clone();
            v.options.notes.push(format!(
                "the saturated counts did not show it holds, so the {} callers were counted \
                 exactly",
                cfg.callers
            ));
        } else if v.status.holds() {
            v.options.notes.push(format!(
                "callers abstracted to which local states are occupied (trial calls counted \
                 up to {probes}): an over-approximation of any number of callers, so \
                 \"holds\" holds for these {}",
                cfg.callers
            ));
        } else {
            v.options.notes.push(format!(
                "checked on the over-approximation of the {} callers by which local states \
                 are occupied (trial calls counted up to {probes}), which did not finish",
                cfg.callers
            ));
        }
    }
    Ok(verdicts)
}

/// Checks `model`, reporting a violation of a model that is not exact as inconclusive.
pub fn verify_model(
    name: &str,
    model: &BreakerSys,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let mut verdicts = verify(name, model, properties, opts)?;
    if !model.is_exact() {
        for v in &mut verdicts {
            let confirmed = v
                .counterexample
                .as_ref()
                .and_then(|cex| confirm::confirm(model, v.property, &cex.trace_id));
            match confirmed {
                Some(confirm::Confirmed::OnExactWindow(cex)) => {
                    v.options.notes.push(format!(
                        "found in the abstraction and confirmed on the exact {}-call window: \
                         where the abstraction opened the breaker, the trace fails calls until \
                         the real window opens",
                        model.cfg.breaker.map_or(0, |p| p.window_size)
                    ));
                    v.counterexample = Some(cex);
                    continue;
                }
                Some(confirm::Confirmed::AsFound) => {
                    v.options.notes.push(
                        "a real run: it never needs HALF_OPEN's maximum wait to fire (no step \
                         in HALF_OPEN waits for a slow answer or a retry, and it does not stay \
                         in HALF_OPEN forever)"
                            .to_owned(),
                    );
                    continue;
                }
                None => {}
            }
            if v.status.is_violated() {
                let what = match &v.counterexample {
                    Some(cex) => format!(
                        "a violation in {} steps (trace {}) may need a behaviour the real \
                         settings do not allow",
                        cex.steps.len(),
                        cex.trace_id
                    ),
                    None => {
                        "a violation may need a behaviour the real settings do not allow".to_owned()
                    }
                };
                v.status = Status::Inconclusive {
                    reason: Bound::Abstraction { what },
                };
                v.counterexample = None;
            }
        }
    }
    for v in &mut verdicts {
        if let Some(cex) = &mut v.counterexample {
            name_callers(model, cex);
        }
    }
    Ok(verdicts)
}

/// Names the callers of a counted model's counterexample: the trace is rebuilt with callers
/// numbered 1 to n, all idle at first, and each step of "a caller in local state X" is taken by
/// the caller that has been in X longest (the lowest-numbered among equals): the FIFO choice
/// of the module doc's fairness argument, so a lasso's cycle, repeated with its callers
/// relabelled as it ends, is fair to every caller (picking the lowest-numbered caller always
/// would show a cycle that starves the others). The steps then read as one concrete run
/// ("client#2: CallerCall"), and the chart has a column for each caller that acts.
fn name_callers(model: &BreakerSys, cex: &mut Counterexample) {
    if !model.counted {
        return;
    }
    let (m, id) = match cex.trace_id.strip_prefix(confirm::EXACT_PREFIX) {
        Some(id) => (BreakerSys::new_exact(model.cfg.clone()).ok(), id),
        None => (Some(model.clone()), cex.trace_id.as_str()),
    };
    let (Some(m), Ok(trace)) = (m, id.parse::<TraceId>()) else {
        return;
    };
    let Ok(states) = replay(&m, id) else { return };
    let mut locals = vec![Caller::default(); m.cfg.callers];
    // The step at which each caller entered its current local state.
    let mut since = vec![0usize; m.cfg.callers];
    let mut who = Vec::with_capacity(trace.actions.len());
    let mut enabled = Vec::new();
    for (i, &k) in trace.actions.iter().enumerate() {
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
        let acting = class
            .and_then(|c| callers::decode(c & !callers::DRAIN))
            .and_then(|local| {
                (0..locals.len())
                    .filter(|&w| locals[w] == local)
                    .min_by_key(|&w| (since[w], w))
            });
        // Trial-call marks live only in HALF_OPEN: leaving it clears every caller's.
        if states[i + 1].breaker_state() != Some(BreakerState::HalfOpen) {
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
    let name = |w: usize| format!("{}#{}", m.cfg.caller, w + 1);
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

/// What a caller is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallerPhase {
    /// Between logical calls.
    #[default]
    Idle,
    /// An attempt is at the downstream.
    InFlight,
    /// An attempt failed; a retry will follow.
    Backoff,
}

/// One caller's local state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Caller {
    /// What it is doing.
    pub phase: CallerPhase,
    /// Attempts made in the current logical call.
    pub attempts: u8,
    /// Its attempt in flight was admitted in the current HALF_OPEN episode.
    pub probe: bool,
    /// Its attempt in flight was sent while the breaker was OPEN within its wait.
    pub sent_while_open: bool,
}

/// The system state: the breaker (Resilience4j's, from `model`), the reference window, the
/// clock, the downstream's health and the callers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BreakerSysState {
    breaker: Option<Breaker>,
    reference: Window,
    now: u8,
    healed: bool,
    premature_open: bool,
    /// The breaker left HALF_OPEN for CLOSED although the trial results it should count met
    /// the threshold (`breaker.opens-when-due`: an opening missed at the transition, which
    /// resets the reference window and so would hide it from a look at the state after it).
    missed_open: bool,
    /// Abstract CLOSED window: a failed or slow result was recorded since it last closed, so
    /// it may hold one and may open.
    dirty: bool,
    /// Abstract CLOSED window: the breaker's window heard a result the reference did not (or
    /// the reverse) since they were last reset together.
    desync: bool,
    callers: Callers,
}

impl BreakerSysState {
    /// The breaker's state (`None` for a retry-only policy).
    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.breaker.as_ref().map(Breaker::state)
    }

    /// Every caller's local state (counted callers in class order).
    pub fn callers(&self) -> Vec<Caller> {
        self.callers.expand()
    }

    /// The callers as the model holds them.
    pub fn caller_set(&self) -> &Callers {
        &self.callers
    }

    /// Whether the downstream has healed for good.
    pub fn healed(&self) -> bool {
        self.healed
    }
}

/// How the downstream answers an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Success, fast.
    Ok,
    /// Failure, fast.
    Fail,
    /// Success, slower than the slow-call threshold.
    SlowOk,
    /// Failure, slow.
    SlowFail,
}

/// The actions, `<Actor><Verb>`. A caller is named by its index in the per-caller model and
/// by its local state's [`callers::code`] in the counter model ("a caller in that state").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Caller `c` starts a logical call.
    CallerCall(u16),
    /// Caller `c` retries after a failed attempt.
    CallerRetry(u16),
    /// Caller `c`'s retry budget refuses its retry: the logical call fails.
    CallerRetryRefused(u16),
    /// The downstream answers caller `c`'s attempt.
    DownstreamReply {
        /// The caller.
        caller: u16,
        /// The answer.
        outcome: Outcome,
    },
    /// The downstream heals and stays healthy.
    DownstreamHeal,
    /// A tick passes while the breaker is OPEN.
    ClockTick,
    /// The breaker's timer moves OPEN to HALF_OPEN (automatic transition).
    BreakerTimer,
    /// The abstract CLOSED window meets its threshold: the breaker opens.
    BreakerTrip,
    /// HALF_OPEN's maximum wait passes: the breaker opens again.
    BreakerGiveUp,
}

impl Action {
    fn code(self) -> u32 {
        let (kind, c) = match self {
            Action::CallerCall(c) => (0, c),
            Action::CallerRetry(c) => (1, c),
            Action::CallerRetryRefused(c) => (8, c),
            // One fairness class per caller whatever the outcome: the downstream answers.
            Action::DownstreamReply { caller, .. } => (2, caller),
            Action::DownstreamHeal => (3, 0),
            Action::ClockTick => (4, 0),
            Action::BreakerTimer => (5, 0),
            Action::BreakerTrip => (6, 0),
            Action::BreakerGiveUp => (7, 0),
        };
        // Both outcomes of an ω class (see `callers::DRAIN`) are one fairness class.
        (kind << 16) | u32::from(c & !callers::DRAIN)
    }
}

/// The breaker-and-retry model: a validated [`PolicyConfig`] implementing stateright's
/// [`Model`].
#[derive(Clone, Debug)]
pub struct BreakerSys {
    cfg: PolicyConfig,
    retry: RetryParams,
    /// The breaker's parameters as the model drives them: the configuration's, except that an
    /// abstracted CLOSED window is a one-call count window that is never written, so states
    /// carry no window (a time window's buckets would be cloned with every state).
    params: Option<BreakerParams>,
    /// The CLOSED window is abstracted (see the module doc).
    abstract_closed: bool,
    /// Nothing is over-approximated: a violation is one of the real system's.
    exact: bool,
    /// Callers are counted per local state (see [`callers`]) rather than held one by one.
    counted: bool,
    /// Counts saturate at a cap (see [`callers`]): an over-approximation.
    saturated: bool,
}

impl BreakerSys {
    /// Validates `cfg`: 1 to [`MAX_COUNTED_CALLERS`] callers, at most [`MAX_HALF_OPEN`] trial
    /// calls, an open wait of at most 100 ticks, and a breaker or a retry to check. Callers are
    /// counted per local state (see [`callers`]).
    pub fn new(cfg: PolicyConfig) -> Result<Self, Error> {
        Self::build(cfg, None)
    }

    /// The same model with its callers held one by one (at most [`MAX_CALLERS`]): the
    /// unreduced model the counter abstraction is tested against.
    pub fn per_caller(self) -> Result<Self, Error> {
        if self.cfg.callers > MAX_CALLERS {
            return Err(ErrorKind::InvalidConfig(format!(
                "the per-caller model holds 1 to {MAX_CALLERS} callers, got {}",
                self.cfg.callers
            ))
            .into());
        }
        Ok(Self {
            counted: false,
            ..self
        })
    }

    /// Whether callers are counted per local state.
    pub fn is_counted(&self) -> bool {
        self.counted
    }

    /// The same model with saturated counts (see [`callers`]), when it has more than
    /// [`EXACT_MAX_CALLERS`] counted callers: it over-approximates every number of callers
    /// from the caps up, so only its "holds" is conclusive.
    pub fn saturated(&self) -> Option<Self> {
        (self.counted && !self.saturated && self.cfg.callers > EXACT_MAX_CALLERS).then(|| Self {
            saturated: true,
            ..self.clone()
        })
    }

    /// Whether counts saturate.
    pub fn is_saturated(&self) -> bool {
        self.saturated
    }

    /// The cap of a caller class: exact counts unless saturated; trial calls are counted
    /// exactly up to one more than the permitted number, so `breaker.half-open-limit` reads
    /// them exactly.
    fn cap(&self, c: &Caller) -> u32 {
        if !self.saturated {
            return callers::OMEGA;
        }
        if c.probe {
            self.params().map_or(SATURATION_CAP, |p| {
                p.permitted_in_half_open.saturating_add(2)
            })
        } else {
            SATURATION_CAP
        }
    }

    /// How an action names, after a step, the caller that `r` named before it and that ended
    /// the step in local state `now`: by index one by one, by its new class counted.
    pub(crate) fn caller_ref(&self, r: u16, now: Caller) -> u16 {
        if self.counted { callers::code(&now) } else { r }
    }

    /// The model with its CLOSED window abstracted whatever its size: the over-approximation
    /// the module doc describes, for cross-checking it against the exact model on small
    /// windows.
    pub fn new_abstract(cfg: PolicyConfig) -> Result<Self, Error> {
        Self::build(cfg, Some(true))
    }

    /// The model with its CLOSED window held exactly whatever its size (a count window only):
    /// too large to explore, but it replays a path, which is how a violation found in the
    /// abstraction is confirmed (see `confirm`).
    pub fn new_exact(cfg: PolicyConfig) -> Result<Self, Error> {
        if cfg
            .breaker
            .as_ref()
            .is_some_and(|p| p.window_type == SlidingWindowType::TimeBased)
        {
            return Err(ErrorKind::InvalidConfig(
                "a time-based window has no exact model with time frozen while CLOSED".to_owned(),
            )
            .into());
        }
        Self::build(cfg, Some(false))
    }

    /// `abstract_window`: `None` to abstract the CLOSED window only when it is too large or
    /// time-based, `Some(choice)` to force the choice.
    fn build(cfg: PolicyConfig, abstract_window: Option<bool>) -> Result<Self, Error> {
        if cfg.callers == 0 || cfg.callers > MAX_COUNTED_CALLERS {
            return Err(ErrorKind::InvalidConfig(format!(
                "a policy model holds 1 to {MAX_COUNTED_CALLERS} callers, got {}",
                cfg.callers
            ))
            .into());
        }
        if let Some(p) = &cfg.breaker
            && (p.permitted_in_half_open > MAX_HALF_OPEN || p.wait_in_open > 100)
        {
            return Err(ErrorKind::InvalidConfig(format!(
                "the breaker model holds at most {MAX_HALF_OPEN} trial calls and an open wait \
                 of at most 100 ticks (see `breaker_params`)"
            ))
            .into());
        }
        if cfg.breaker.is_none() && cfg.retry.is_none() {
            return Err(ErrorKind::InvalidConfig(
                "a policy model needs a circuit breaker or a retry".to_owned(),
            )
            .into());
        }
        let retry = cfg.retry.unwrap_or_else(RetryParams::none);
        if retry.max_attempts > 100 {
            return Err(ErrorKind::InvalidConfig(format!(
                "a policy model holds at most 100 attempts, got {}",
                retry.max_attempts
            ))
            .into());
        }
        let abstract_closed = cfg
            .breaker
            .as_ref()
            .is_some_and(|p| abstract_window.unwrap_or_else(|| closed_window_is_abstract(p)));
        let half_open_timer = cfg
            .breaker
            .as_ref()
            .is_some_and(|p| p.max_wait_in_half_open > 0);
        let params = cfg.breaker.map(|mut p| {
            if abstract_closed {
                p.window_type = SlidingWindowType::CountBased;
                p.window_size = 1;
            }
            p
        });
        Ok(Self {
            exact: !abstract_closed && !half_open_timer,
            cfg,
            retry,
            params,
            abstract_closed,
            counted: true,
            saturated: false,
        })
    }

    /// Whether the model is exact: a violation it finds is one of the real system's. When it
    /// is not, it over-approximates (see the module doc) and only "holds" is conclusive.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    fn params(&self) -> Option<&BreakerParams> {
        self.params.as_ref()
    }

    fn fresh_reference(&self, state: BreakerState) -> Window {
        match (self.params(), state) {
            (Some(p), BreakerState::HalfOpen) => Window::count(p.permitted_in_half_open),
            // An abstract CLOSED window has no reference to keep, only `desync`.
            (Some(p), _) if !self.abstract_closed => Window::count(p.window_size),
            _ => Window::count(1),
        }
    }

    /// Whether the breaker is OPEN and its wait has not passed: nothing may reach downstream.
    fn open_within_wait(&self, s: &BreakerSysState) -> bool {
        match (&s.breaker, self.params()) {
            (Some(b), Some(p)) => {
                b.state() == BreakerState::Open
                    && u64::from(s.now) <= b.since().saturating_add(p.wait_in_open)
            }
            _ => false,
        }
    }

    /// Bookkeeping after the breaker changed state: a fresh reference window, and no attempt
    /// counts as a probe of a HALF_OPEN episode that has ended (`me` is the acting caller, taken
    /// out of the state while it acts).
    fn on_transition(&self, s: &mut BreakerSysState, t: Transition, me: &mut Caller) {
        s.reference = self.fresh_reference(t.to);
        s.dirty = false;
        s.desync = false;
        if t.from == BreakerState::HalfOpen {
            s.callers.update_all(|c| c.probe = false, &|c| self.cap(c));
            me.probe = false;
        }
    }

    /// One attempt by caller `me`: asks the breaker (as the variant does) and either sends it
    /// or has it rejected. Returns whether it was sent.
    fn attempt(&self, s: &mut BreakerSysState, me: &mut Caller, retry: bool) -> bool {
        let now = u64::from(s.now);
        let open_within_wait = self.open_within_wait(s);
        let variant = self.cfg.variant;
        let send = |caller: &mut Caller, probe: bool| {
            caller.phase = CallerPhase::InFlight;
            caller.probe = probe;
            caller.sent_while_open = open_within_wait;
        };
        let (Some(p), Some(mut b)) = (self.params(), s.breaker.clone()) else {
            send(me, false);
            return true;
        };
        if variant == BreakerVariant::BreakerWrapsRetry && retry {
            // The permission was taken once for the whole logical call.
            let probe = me.probe;
            send(me, probe);
            return true;
        }
        if variant == BreakerVariant::NoHalfOpen && b.state() == BreakerState::Open {
            // The hand-rolled check: open means no, and nothing else is asked.
            return false;
        }
        let (permission, transition) = b.try_acquire(p, now);
        let mut permitted = permission == Permission::Permitted;
        s.breaker = Some(b);
        if let Some(t) = transition {
            self.on_transition(s, t, me);
        }
        let state = s.breaker_state();
        if !permitted
            && variant == BreakerVariant::UnlimitedHalfOpen
            && state == Some(BreakerState::HalfOpen)
        {
            permitted = true;
        }
        if permitted {
            send(me, state == Some(BreakerState::HalfOpen));
            return true;
        }
        if variant == BreakerVariant::CountsRejections {
            self.report(s, me, true, 0, false);
        }
        false
    }

    /// Reports a result to the breaker (and, if `real`, to the reference window), checking
    /// that a move to OPEN is justified by the reference.
    fn report(
        &self,
        s: &mut BreakerSysState,
        me: &mut Caller,
        failed: bool,
        duration: u64,
        real: bool,
    ) {
        let (Some(p), Some(mut b)) = (self.params(), s.breaker.clone()) else {
            return;
        };
        let from = b.state();
        if self.abstract_closed && from == BreakerState::Closed {
            // The breaker's window would record this result; the reference only a real one.
            // Whether the window now opens is `BreakerTrip`'s choice.
            s.desync |= !real;
            s.dirty |= failed || duration > p.slow_call_duration;
            return;
        }
        let counted = matches!(from, BreakerState::Closed | BreakerState::HalfOpen);
        let reference = if real && counted {
            s.reference
                .record(0, failed, duration > p.slow_call_duration)
        } else {
            s.reference.snapshot()
        };
        let now = u64::from(s.now);
        let transition = if self.cfg.variant == BreakerVariant::FirstSuccessCloses
            && from == BreakerState::HalfOpen
            && !failed
        {
            // The hand-rolled rule: one good trial is enough, whatever the others answer.
            Some(b.transition_to(p, BreakerState::Closed, now))
        } else {
            b.on_result(p, now, failed, duration)
        };
        s.breaker = Some(b);
        if let Some(t) = transition {
            if t.to == BreakerState::Open && !self.justified(from, reference) {
                s.premature_open = true;
            }
            if t.from == BreakerState::HalfOpen
                && t.to == BreakerState::Closed
                && self.justified(from, reference)
            {
                s.missed_open = true;
            }
            self.on_transition(s, t, me);
        }
    }

    /// Whether the reference window (after the latest result) meets a threshold with the
    /// minimum number of calls of state `from`.
    fn justified(&self, from: BreakerState, reference: Snapshot) -> bool {
        let Some(p) = self.params() else { return true };
        let minimum = match from {
            BreakerState::HalfOpen => p.permitted_in_half_open,
            _ => p.effective_minimum(),
        };
        p.exceeded(reference, minimum) == Some(true)
    }

    /// Keeps the clock bounded: an OPEN breaker is rebuilt as opened at time 0 with the elapsed
    /// time kept; outside OPEN the clock is unobservable and reset.
    ///
    /// HALF_OPEN's window never evicts (it decides when full), so only its counts are
    /// observable: the breaker and the reference are rebuilt from their counts in one order.
    /// An abstract CLOSED breaker holds nothing but its state.
    fn normalise(&self, s: &mut BreakerSysState) {
        let (Some(p), Some(b)) = (self.params(), s.breaker.clone()) else {
            s.now = 0;
            return;
        };
        match b.state() {
            BreakerState::HalfOpen => {
                let mut fresh = Breaker::new(p);
                fresh.transition_to(p, BreakerState::HalfOpen, 0);
                for _ in 0..b.half_open_admitted() {
                    fresh.try_acquire(p, 0);
                }
                replay_counts(b.snapshot(), |failed, slow| {
                    let duration = if slow { p.slow_call_duration + 1 } else { 0 };
                    fresh.on_result(p, 0, failed, duration);
                });
                s.breaker = Some(fresh);
                let mut reference = Window::count(p.permitted_in_half_open);
                replay_counts(s.reference.snapshot(), |failed, slow| {
                    reference.record(0, failed, slow);
                });
                s.reference = reference;
            }
            BreakerState::Closed if self.abstract_closed => s.breaker = Some(Breaker::new(p)),
            _ => {}
        }
        let Some(b) = s.breaker.as_ref() else { return };
        if b.state() == BreakerState::Open {
            let elapsed = u64::from(s.now).saturating_sub(b.since());
            if b.since() != 0 {
                let mut fresh = Breaker::new(p);
                fresh.transition_to(p, BreakerState::Open, 0);
                s.breaker = Some(fresh);
            }
            s.now = elapsed.min(p.wait_in_open + 1) as u8;
        } else {
            s.now = 0;
        }
    }

    /// Whether the abstract CLOSED window may open now: it may hold a failed or slow result
    /// (with a zero threshold, which rounding can give, any window may).
    fn may_trip(&self, s: &BreakerSysState) -> bool {
        let Some(p) = self.params() else { return false };
        self.abstract_closed
            && s.breaker_state() == Some(BreakerState::Closed)
            && (s.dirty || p.failure_rate_ppm == 0 || p.slow_call_rate_ppm == 0)
    }

    /// `breaker.open-blocks`.
    pub fn open_blocks(&self, s: &BreakerSysState) -> bool {
        s.callers.all(|c| !c.sent_while_open)
    }

    /// `breaker.half-open-limit`.
    pub fn half_open_limit(&self, s: &BreakerSysState) -> bool {
        match (s.breaker_state(), self.params()) {
            (Some(BreakerState::HalfOpen), Some(p)) => {
                let probes = s
                    .callers
                    .count(|c| c.phase == CallerPhase::InFlight && c.probe);
                probes <= u64::from(p.permitted_in_half_open)
            }
            _ => true,
        }
    }

    /// `breaker.opens-when-due`.
    pub fn opens_when_due(&self, s: &BreakerSysState) -> bool {
        if s.missed_open {
            return false;
        }
        match s.breaker_state() {
            Some(BreakerState::Closed) if self.abstract_closed => !s.desync,
            Some(from @ (BreakerState::Closed | BreakerState::HalfOpen)) => {
                !self.justified(from, s.reference.snapshot())
            }
            _ => true,
        }
    }

    /// `breaker.no-premature-open`.
    pub fn no_premature_open(&self, s: &BreakerSysState) -> bool {
        !(s.premature_open || self.abstract_closed && s.desync)
    }

    /// `retry.bounded`.
    pub fn retry_bounded(&self, s: &BreakerSysState) -> bool {
        s.callers
            .all(|c| u32::from(c.attempts) <= self.retry.max_attempts)
    }

    /// `retry.respects-breaker`.
    pub fn respects_breaker(&self, s: &BreakerSysState) -> bool {
        s.callers.all(|c| !(c.sent_while_open && c.attempts >= 2))
    }

    /// The goal of `breaker.recovers`.
    pub fn closed(&self, s: &BreakerSysState) -> bool {
        s.breaker_state() == Some(BreakerState::Closed)
    }

    fn outcomes(&self, s: &BreakerSysState) -> &'static [Outcome] {
        if s.healed {
            &[Outcome::Ok]
        } else if self.cfg.slow_calls {
            &[
                Outcome::Ok,
                Outcome::Fail,
                Outcome::SlowOk,
                Outcome::SlowFail,
            ]
        } else {
            &[Outcome::Ok, Outcome::Fail]
        }
    }
}

/// Calls `record(failed, slow)` once per result of a window with these counts, in one
/// canonical order (failed-and-slow, failed, slow, neither). Only the counts are observable in
/// a window that never evicts, so any order with the same counts gives the same futures.
fn replay_counts(counts: Snapshot, mut record: impl FnMut(bool, bool)) {
    let both = counts.failed.min(counts.slow);
    let failed = counts.failed - both;
    let slow = counts.slow - both;
    let ok = counts.calls - both - failed - slow;
    for (n, f, sl) in [
        (both, true, true),
        (failed, true, false),
        (slow, false, true),
        (ok, false, false),
    ] {
        for _ in 0..n {
            record(f, sl);
        }
    }
}

impl BreakerSys {
    /// One step, and the local state the acting caller (if any) ends it in: a counted caller
    /// has no identity in the state, so this is how a trace follows one caller.
    pub(crate) fn step(
        &self,
        last: &BreakerSysState,
        action: Action,
    ) -> Option<(BreakerSysState, Option<Caller>)> {
        let mut s = last.clone();
        let mut actor = None;
        match action {
            Action::CallerCall(c) | Action::CallerRetry(c) => {
                // The caller acts outside the state and goes back in its new local state.
                let mut me = s.callers.take(c, &|c| self.cap(c))?;
                let retry = matches!(action, Action::CallerRetry(_));
                me.attempts = me.attempts.saturating_add(1);
                if !self.attempt(&mut s, &mut me, retry) {
                    let attempts = u32::from(me.attempts);
                    if self.retry.should_retry(attempts, Failure::Rejected) {
                        me.phase = CallerPhase::Backoff;
                    } else {
                        me = Caller::default();
                    }
                }
                s.callers.put(c, me, &|c| self.cap(c));
                actor = Some(me);
            }
            Action::DownstreamReply { caller, outcome } => {
                let mut me = s.callers.take(caller, &|c| self.cap(c))?;
                let failed = matches!(outcome, Outcome::Fail | Outcome::SlowFail);
                let duration = match outcome {
                    Outcome::SlowOk | Outcome::SlowFail => 2,
                    Outcome::Ok | Outcome::Fail => 0,
                };
                let attempts = u32::from(me.attempts);
                let again = failed && self.retry.should_retry(attempts, Failure::Error);
                me.sent_while_open = false;
                // Wrapped around the retry loop, the breaker hears only the logical call's end.
                let wraps = self.cfg.variant == BreakerVariant::BreakerWrapsRetry;
                if !wraps || !again {
                    self.report(&mut s, &mut me, failed, duration, true);
                }
                if again {
                    me.phase = CallerPhase::Backoff;
                    if !wraps {
                        me.probe = false;
                    }
                } else {
                    me = Caller::default();
                }
                s.callers.put(caller, me, &|c| self.cap(c));
                actor = Some(me);
            }
            Action::CallerRetryRefused(c) => {
                let mut me = s.callers.take(c, &|c| self.cap(c))?;
                // The refusal ends the logical call with an error. Wrapped around the retry
                // loop, the breaker hears only that end, so it must hear it here: otherwise a
                // trial call's permit is never returned and HALF_OPEN never decides. It is
                // recorded as a fast failure: no attempt's duration is kept across a backoff (a
                // wrapped call that ends with an answer is recorded with that answer's duration).
                if self.cfg.variant == BreakerVariant::BreakerWrapsRetry {
                    self.report(&mut s, &mut me, true, 0, true);
                }
                s.callers.put(c, Caller::default(), &|c| self.cap(c));
                actor = Some(Caller::default());
            }
            Action::DownstreamHeal => s.healed = true,
            Action::ClockTick => s.now += 1,
            Action::BreakerTrip | Action::BreakerGiveUp => {
                let p = self.params()?;
                let mut b = s.breaker.clone()?;
                let t = b.transition_to(p, BreakerState::Open, u64::from(s.now));
                s.breaker = Some(b);
                self.on_transition(&mut s, t, &mut Caller::default());
            }
            Action::BreakerTimer => {
                let p = self.params()?;
                let mut b = s.breaker.clone()?;
                let t = b.on_timer(p, u64::from(s.now));
                s.breaker = Some(b);
                if let Some(t) = t {
                    self.on_transition(&mut s, t, &mut Caller::default());
                }
            }
        }
        self.normalise(&mut s);
        Some((s, actor))
    }
}

impl Model for BreakerSys {
    type State = BreakerSysState;
    type Action = Action;

    fn init_states(&self) -> Vec<BreakerSysState> {
        vec![BreakerSysState {
            breaker: self.params().map(Breaker::new),
            reference: self.fresh_reference(BreakerState::Closed),
            now: 0,
            healed: false,
            premature_open: false,
            missed_open: false,
            dirty: false,
            desync: false,
            callers: Callers::idle(self.cfg.callers, self.counted, &|c| self.cap(c)),
        }]
    }

    fn actions(&self, s: &BreakerSysState, out: &mut Vec<Action>) {
        for (c, caller) in s.callers.refs() {
            match caller.phase {
                CallerPhase::Idle => out.push(Action::CallerCall(c)),
                CallerPhase::Backoff => {
                    out.push(Action::CallerRetry(c));
                    if self.cfg.retry_budget {
                        out.push(Action::CallerRetryRefused(c));
                    }
                }
                CallerPhase::InFlight => {
                    for &outcome in self.outcomes(s) {
                        out.push(Action::DownstreamReply { caller: c, outcome });
                    }
                }
            }
        }
        if let (Some(b), Some(p)) = (&s.breaker, self.params())
            && b.state() == BreakerState::Open
        {
            if u64::from(s.now) <= p.wait_in_open {
                out.push(Action::ClockTick);
            }
            if p.automatic_transition
                && self.cfg.variant != BreakerVariant::NoHalfOpen
                && b.next_deadline(p)
                    .is_some_and(|due| u64::from(s.now) >= due)
            {
                out.push(Action::BreakerTimer);
            }
        }
        if self.may_trip(s) {
            out.push(Action::BreakerTrip);
        }
        if let (Some(b), Some(p)) = (&s.breaker, self.params())
            && b.state() == BreakerState::HalfOpen
            && p.max_wait_in_half_open > 0
        {
            out.push(Action::BreakerGiveUp);
        }
        if !s.healed {
            out.push(Action::DownstreamHeal);
        }
    }

    fn next_state(&self, last: &BreakerSysState, action: Action) -> Option<BreakerSysState> {
        self.step(last, action).map(|(s, _)| s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut props = Vec::new();
        if self.cfg.breaker.is_some() {
            props.push(Property::always(
                BREAKER_OPEN_BLOCKS,
                |m: &Self, s: &BreakerSysState| m.open_blocks(s),
            ));
            props.push(Property::always(
                BREAKER_HALF_OPEN_LIMIT,
                |m: &Self, s: &BreakerSysState| m.half_open_limit(s),
            ));
            props.push(Property::always(
                BREAKER_OPENS_WHEN_DUE,
                |m: &Self, s: &BreakerSysState| m.opens_when_due(s),
            ));
            props.push(Property::always(
                BREAKER_NO_PREMATURE_OPEN,
                |m: &Self, s: &BreakerSysState| m.no_premature_open(s),
            ));
        }
        if self.cfg.retry.is_some() {
            props.push(Property::always(
                RETRY_BOUNDED,
                |m: &Self, s: &BreakerSysState| m.retry_bounded(s),
            ));
            if self.cfg.breaker.is_some() {
                props.push(Property::always(
                    RETRY_RESPECTS_BREAKER,
                    |m: &Self, s: &BreakerSysState| m.respects_breaker(s),
                ));
            }
        }
        props
    }
}

impl Describe for BreakerSys {
    fn parties(&self) -> Vec<String> {
        // Counted, the callers are one column until `name_callers` names the ones that act.
        let columns = if self.counted { 1 } else { self.cfg.callers };
        let mut parties: Vec<String> = (0..columns)
            .map(|c| format!("{}#{}", self.cfg.caller, c + 1))
            .collect();
        if self.cfg.breaker.is_some() {
            parties.push("breaker".to_owned());
        }
        parties.push(self.cfg.callee.clone());
        parties
    }

    fn describe_action(&self, action: &Action) -> ActionView {
        let k = if self.counted { 1 } else { self.cfg.callers };
        let breaker = k;
        let downstream = if self.cfg.breaker.is_some() { k + 1 } else { k };
        let column = |c: u16| if self.counted { 0 } else { usize::from(c) };
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
        if let (Some(b), Some(p)) = (&s.breaker, self.params()) {
            let extra = match b.state() {
                BreakerState::Open => format!(
                    " ({} of {} ticks waited)",
                    u64::from(s.now).saturating_sub(b.since()),
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
            let missed = if s.missed_open {
                "; once closed from HALF_OPEN on trial results that met the threshold"
            } else {
                ""
            };
            fields.push((
                "breaker".to_owned(),
                format!("{}{extra}{missed}", b.state().name()),
            ));
            if self.abstract_closed && b.state() == BreakerState::Closed {
                let held = if s.dirty {
                    "may hold a failed or slow result: may open"
                } else {
                    "no failed or slow result since it closed"
                };
                fields.push(("breaker.window".to_owned(), format!("abstract: {held}")));
                if s.desync {
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
                let r = s.reference.snapshot();
                fields.push((
                    "reference window".to_owned(),
                    format!("{} calls, {} failed, {} slow", r.calls, r.failed, r.slow),
                ));
            }
        }
        match &s.callers {
            Callers::Each(v) => {
                for (c, caller) in v.iter().enumerate() {
                    fields.push((format!("{}#{}", self.cfg.caller, c + 1), describe(caller)));
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
                fields.push((format!("{} callers", self.cfg.caller), classes.join(", ")));
            }
        }
        fields.push((
            self.cfg.callee.clone(),
            if s.healed { "healed" } else { "may fail" }.to_owned(),
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

impl Protocol for BreakerSys {
    const PROTOCOL: &'static str = "circuit_breaker";

    fn fairness(&self, action: &Action) -> ActionFairness {
        match action {
            // Counted, a refusal moves a caller out of its class as a retry does, so it
            // discharges the class's obligation (see `callers`); it is never forced.
            Action::CallerRetryRefused(c) if self.counted => {
                ActionFairness::Weak(Action::CallerRetry(*c).code())
            }
            // Healing is the environment's choice; the abstract window's opening and
            // HALF_OPEN's time limit are possibilities the model allows, not obligations.
            Action::DownstreamHeal
            | Action::BreakerTrip
            | Action::BreakerGiveUp
            | Action::CallerRetryRefused(_) => ActionFairness::Unfair,
            a => ActionFairness::Weak(a.code()),
        }
    }

    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        if self.cfg.breaker.is_none() {
            return Vec::new();
        }
        vec![LivenessProperty::leads_to(
            BREAKER_RECOVERS,
            |_: &Self, s: &BreakerSysState| s.healed,
            |m: &Self, s: &BreakerSysState| m.closed(s),
        )]
    }
}

#[cfg(test)]
mod tests;
