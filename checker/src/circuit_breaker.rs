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
//!
//! Layout. This file holds the public configuration ([`PolicyConfig`], [`BreakerVariant`], the
//! model's bounds) and [`verify_policy`], which chooses which model to check and combines
//! their verdicts. `model.rs` is the model: caller and system state, the `<Actor><Verb>`
//! actions and stateright's `Model`. `properties.rs` holds the seven properties and the
//! fairness `breaker.recovers` assumes; `describe.rs` how states and actions read in a trace.
//! The reductions stay siblings rather than one folder, because other modules name them by
//! path: [`callers`] (the counter abstraction, and naming the callers of a counted trace) and
//! [`confirm`] (replaying an abstract violation on the exact window). [`concurrency`] derives
//! the number of callers from the architecture. `tests.rs` tests them together.

use crate::catalogue::BREAKER_RECOVERS;
use crate::error::Error;
use crate::verdict::{Bound, CheckOptions, Status, Verdict};
use crate::verify::verify;
use microcosm_model::resilience::{BreakerParams, RetryParams};
use microcosm_model::{CircuitBreakerConfig, Policy, RetryConfig, SlidingWindowType};

pub mod callers;
pub mod concurrency;
pub mod confirm;
mod describe;
mod model;
mod properties;

pub use callers::Callers;
pub use model::{Action, BreakerSys, BreakerSysState, Caller, CallerPhase, Outcome};

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
        // Only a breaker has an open wait; a retry-only policy's waits are in its own note.
        if breaker.is_some() {
            notes.push(format!(
                "abstract time (the open wait is {WAIT_TICKS} ticks)"
            ));
        }
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
                        model.config().breaker.map_or(0, |p| p.window_size)
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
            callers::name_callers(model, cex);
        }
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests;
