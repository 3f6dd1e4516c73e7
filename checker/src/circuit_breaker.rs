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
//! - **Windows** are count-based and small: a policy is checked scaled down to a window of at
//!   most [`MAX_WINDOW`] calls, the minimum scaled in proportion, at most [`MAX_HALF_OPEN`] trial
//!   calls, thresholds unchanged; a time-based window is checked as a count window of its
//!   minimum number of calls (within one window span it decides once that many results are
//!   in). Each verdict's notes say what was scaled.
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
//! healing are not fair. Retry budgets are not modelled (their token counts grow without bound);
//! `retry.bounded` checks `max_attempts`.

use crate::catalogue::{
    BREAKER_HALF_OPEN_LIMIT, BREAKER_NO_PREMATURE_OPEN, BREAKER_OPEN_BLOCKS,
    BREAKER_OPENS_WHEN_DUE, BREAKER_RECOVERS, RETRY_BOUNDED, RETRY_RESPECTS_BREAKER,
};
use crate::error::{Error, ErrorKind};
use crate::liveness::{ActionFairness, LivenessProperty};
use crate::trace::{ActionView, Describe};
use crate::verdict::{CheckOptions, Verdict};
use crate::verify::{Protocol, verify};
use microcosm_model::resilience::{
    Breaker, BreakerParams, BreakerState, Failure, Permission, RetryParams, Snapshot, Transition,
    Window,
};
use microcosm_model::{CircuitBreakerConfig, Policy, RetryConfig, SlidingWindowType};
use stateright::{Model, Property};

/// The most concurrent callers a model holds.
pub const MAX_CALLERS: usize = 4;
/// The largest window a policy is checked with (see the module doc).
pub const MAX_WINDOW: u32 = 4;
/// The most trial calls in HALF_OPEN a policy is checked with.
pub const MAX_HALF_OPEN: u32 = 2;
/// The open wait, in ticks.
pub const WAIT_TICKS: u64 = 2;
/// Callers in a policy job.
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
    /// Concurrent callers, 1 to [`MAX_CALLERS`].
    pub callers: usize,
    /// The breaker's parameters in ticks (count-based window), if the policy has one.
    pub breaker: Option<BreakerParams>,
    /// The retry policy, if any.
    pub retry: Option<RetryParams>,
    /// How the model drives them.
    pub variant: BreakerVariant,
    /// Whether the downstream may answer slowly (else every answer is fast).
    pub slow_calls: bool,
}

impl PolicyConfig {
    /// A policy from the scenario, scaled down as the module doc says; the second value lists
    /// what was scaled, for the verdict's notes.
    pub fn from_policy(
        caller: &str,
        callee: &str,
        policy: &Policy,
        variant: BreakerVariant,
        callers: usize,
    ) -> (PolicyConfig, Vec<String>) {
        let mut notes = Vec::new();
        let breaker = policy
            .circuit_breaker
            .as_ref()
            .map(|cb| scaled_breaker(cb, &mut notes));
        let retry = policy.retry.as_ref().map(|r| retry_params(r, &mut notes));
        let slow_calls = breaker.is_some_and(|b| b.slow_call_rate_ppm < 1_000_000);
        notes.push(format!(
            "{callers} concurrent callers; abstract time (the open wait is {WAIT_TICKS} ticks)"
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
            },
            notes,
        )
    }
}

/// Resilience4j's breaker settings scaled to a checkable size (see the module doc).
pub fn scaled_breaker(cb: &CircuitBreakerConfig, notes: &mut Vec<String>) -> BreakerParams {
    let mut p = BreakerParams::from_config(cb, 1.0);
    let (window, minimum) = match cb.sliding_window_type {
        SlidingWindowType::CountBased => {
            let window = cb.sliding_window_size.max(1);
            let small = window.min(MAX_WINDOW);
            let minimum = p.effective_minimum();
            let scaled = (u64::from(minimum) * u64::from(small)).div_ceil(u64::from(window));
            (small, (scaled as u32).clamp(1, small))
        }
        SlidingWindowType::TimeBased => {
            let small = cb.minimum_number_of_calls.clamp(1, MAX_WINDOW);
            notes.push(format!(
                "the time-based window of {} s is checked as a count window of its minimum number of calls",
                cb.sliding_window_size
            ));
            (small, small)
        }
    };
    let half_open = p.permitted_in_half_open.min(MAX_HALF_OPEN);
    if (window, minimum, half_open)
        != (
            cb.sliding_window_size,
            cb.minimum_number_of_calls,
            cb.permitted_number_of_calls_in_half_open_state.max(1),
        )
    {
        notes.push(format!(
            "scaled from a window of {} (minimum {}, {} trial calls) to {window} (minimum {minimum}, {half_open} trial calls); thresholds unchanged",
            cb.sliding_window_size,
            cb.minimum_number_of_calls,
            cb.permitted_number_of_calls_in_half_open_state
        ));
    }
    p.window_type = SlidingWindowType::CountBased;
    p.window_size = window;
    p.minimum_number_of_calls = minimum;
    p.permitted_in_half_open = half_open;
    p.wait_in_open = WAIT_TICKS;
    // A slow answer lasts 2 ticks, a fast one 0: slow means strictly longer than 1.
    p.slow_call_duration = 1;
    p.bucket_units = 1;
    // Time does not pass in HALF_OPEN (see the module doc), so its time limit cannot fire.
    if p.max_wait_in_half_open > 0 {
        notes.push(
            "max_wait_duration_in_half_open_state is not modelled (time is frozen in HALF_OPEN)"
                .to_owned(),
        );
        p.max_wait_in_half_open = 0;
    }
    p
}

fn retry_params(r: &RetryConfig, notes: &mut Vec<String>) -> RetryParams {
    let p = RetryParams::from_config(r, 1.0);
    if r.budget.is_some() {
        notes
            .push("the retry budget is not modelled; retry.bounded checks max_attempts".to_owned());
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
    verify(name, &BreakerSys::new(cfg.clone())?, properties, opts)
}

/// What a caller is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CallerPhase {
    /// Between logical calls.
    #[default]
    Idle,
    /// An attempt is at the downstream.
    InFlight,
    /// An attempt failed; a retry will follow.
    Backoff,
}

/// One caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
    callers: [Caller; MAX_CALLERS],
}

impl BreakerSysState {
    /// The breaker's state (`None` for a retry-only policy).
    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.breaker.as_ref().map(Breaker::state)
    }

    /// The callers.
    pub fn callers(&self) -> &[Caller] {
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

/// The actions, `<Actor><Verb>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Caller `c` starts a logical call.
    CallerCall(u8),
    /// Caller `c` retries after a failed attempt.
    CallerRetry(u8),
    /// The downstream answers caller `c`'s attempt.
    DownstreamReply {
        /// The caller.
        caller: u8,
        /// The answer.
        outcome: Outcome,
    },
    /// The downstream heals and stays healthy.
    DownstreamHeal,
    /// A tick passes while the breaker is OPEN.
    ClockTick,
    /// The breaker's timer moves OPEN to HALF_OPEN (automatic transition).
    BreakerTimer,
}

impl Action {
    fn code(self) -> u32 {
        let (kind, c) = match self {
            Action::CallerCall(c) => (0, c),
            Action::CallerRetry(c) => (1, c),
            // One fairness class per caller whatever the outcome: the downstream answers.
            Action::DownstreamReply { caller, .. } => (2, caller),
            Action::DownstreamHeal => (3, 0),
            Action::ClockTick => (4, 0),
            Action::BreakerTimer => (5, 0),
        };
        (kind << 8) | u32::from(c)
    }
}

/// The breaker-and-retry model: a validated [`PolicyConfig`] implementing stateright's
/// [`Model`].
#[derive(Clone, Debug)]
pub struct BreakerSys {
    cfg: PolicyConfig,
    retry: RetryParams,
}

impl BreakerSys {
    /// Validates `cfg`: 1 to [`MAX_CALLERS`] callers, a window of at most 128 calls, and a
    /// breaker or a retry to check.
    pub fn new(cfg: PolicyConfig) -> Result<Self, Error> {
        if cfg.callers == 0 || cfg.callers > MAX_CALLERS {
            return Err(ErrorKind::InvalidConfig(format!(
                "a policy model holds 1 to {MAX_CALLERS} callers, got {}",
                cfg.callers
            ))
            .into());
        }
        if let Some(p) = &cfg.breaker
            && (p.window_type != SlidingWindowType::CountBased
                || p.window_size > 128
                || p.wait_in_open > 100)
        {
            return Err(ErrorKind::InvalidConfig(
                "the breaker model needs a count-based window of at most 128 calls and an open \
                 wait of at most 100 ticks (see `scaled_breaker`)"
                    .to_owned(),
            )
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
        Ok(Self { cfg, retry })
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    fn params(&self) -> Option<&BreakerParams> {
        self.cfg.breaker.as_ref()
    }

    fn fresh_reference(&self, state: BreakerState) -> Window {
        match (self.params(), state) {
            (Some(p), BreakerState::HalfOpen) => Window::count(p.permitted_in_half_open),
            (Some(p), _) => Window::count(p.window_size),
            (None, _) => Window::count(1),
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
    /// counts as a probe of a HALF_OPEN episode that has ended.
    fn on_transition(&self, s: &mut BreakerSysState, t: Transition) {
        s.reference = self.fresh_reference(t.to);
        if t.from == BreakerState::HalfOpen {
            for c in &mut s.callers {
                c.probe = false;
            }
        }
    }

    /// One attempt by caller `c`: asks the breaker (as the variant does) and either sends it or
    /// has it rejected. Returns whether it was sent.
    fn attempt(&self, s: &mut BreakerSysState, c: usize, retry: bool) -> bool {
        let now = u64::from(s.now);
        let open_within_wait = self.open_within_wait(s);
        let variant = self.cfg.variant;
        let send = |s: &mut BreakerSysState, probe: bool| {
            let caller = &mut s.callers[c];
            caller.phase = CallerPhase::InFlight;
            caller.probe = probe;
            caller.sent_while_open = open_within_wait;
        };
        let (Some(p), Some(mut b)) = (self.params(), s.breaker.clone()) else {
            send(s, false);
            return true;
        };
        if variant == BreakerVariant::BreakerWrapsRetry && retry {
            // The permission was taken once for the whole logical call.
            let probe = s.callers[c].probe;
            send(s, probe);
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
            self.on_transition(s, t);
        }
        let state = s.breaker_state();
        if !permitted
            && variant == BreakerVariant::UnlimitedHalfOpen
            && state == Some(BreakerState::HalfOpen)
        {
            permitted = true;
        }
        if permitted {
            send(s, state == Some(BreakerState::HalfOpen));
            return true;
        }
        if variant == BreakerVariant::CountsRejections {
            self.report(s, true, 0, false);
        }
        false
    }

    /// Reports a result to the breaker (and, if `real`, to the reference window), checking
    /// that a move to OPEN is justified by the reference.
    fn report(&self, s: &mut BreakerSysState, failed: bool, duration: u64, real: bool) {
        let (Some(p), Some(mut b)) = (self.params(), s.breaker.clone()) else {
            return;
        };
        let from = b.state();
        let counted = matches!(from, BreakerState::Closed | BreakerState::HalfOpen);
        let reference = if real && counted {
            s.reference
                .record(0, failed, duration > p.slow_call_duration)
        } else {
            s.reference.snapshot()
        };
        let transition = b.on_result(p, u64::from(s.now), failed, duration);
        s.breaker = Some(b);
        if let Some(t) = transition {
            if t.to == BreakerState::Open && !self.justified(from, reference) {
                s.premature_open = true;
            }
            self.on_transition(s, t);
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
    fn normalise(&self, s: &mut BreakerSysState) {
        let (Some(p), Some(b)) = (self.params(), s.breaker.as_ref()) else {
            s.now = 0;
            return;
        };
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

    fn end_call(s: &mut BreakerSysState, c: usize) {
        s.callers[c] = Caller::default();
    }

    /// `breaker.open-blocks`.
    pub fn open_blocks(&self, s: &BreakerSysState) -> bool {
        s.callers.iter().all(|c| !c.sent_while_open)
    }

    /// `breaker.half-open-limit`.
    pub fn half_open_limit(&self, s: &BreakerSysState) -> bool {
        match (s.breaker_state(), self.params()) {
            (Some(BreakerState::HalfOpen), Some(p)) => {
                let probes = s
                    .callers
                    .iter()
                    .filter(|c| c.phase == CallerPhase::InFlight && c.probe)
                    .count();
                probes as u32 <= p.permitted_in_half_open
            }
            _ => true,
        }
    }

    /// `breaker.opens-when-due`.
    pub fn opens_when_due(&self, s: &BreakerSysState) -> bool {
        match s.breaker_state() {
            Some(from @ (BreakerState::Closed | BreakerState::HalfOpen)) => {
                !self.justified(from, s.reference.snapshot())
            }
            _ => true,
        }
    }

    /// `breaker.no-premature-open`.
    pub fn no_premature_open(&self, s: &BreakerSysState) -> bool {
        !s.premature_open
    }

    /// `retry.bounded`.
    pub fn retry_bounded(&self, s: &BreakerSysState) -> bool {
        s.callers
            .iter()
            .all(|c| u32::from(c.attempts) <= self.retry.max_attempts)
    }

    /// `retry.respects-breaker`.
    pub fn respects_breaker(&self, s: &BreakerSysState) -> bool {
        s.callers
            .iter()
            .all(|c| !(c.sent_while_open && c.attempts >= 2))
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
            callers: [Caller::default(); MAX_CALLERS],
        }]
    }

    fn actions(&self, s: &BreakerSysState, out: &mut Vec<Action>) {
        for (c, caller) in s.callers.iter().take(self.cfg.callers).enumerate() {
            let c8 = c as u8;
            match caller.phase {
                CallerPhase::Idle => out.push(Action::CallerCall(c8)),
                CallerPhase::Backoff => out.push(Action::CallerRetry(c8)),
                CallerPhase::InFlight => {
                    for &outcome in self.outcomes(s) {
                        out.push(Action::DownstreamReply {
                            caller: c8,
                            outcome,
                        });
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
        if !s.healed {
            out.push(Action::DownstreamHeal);
        }
    }

    fn next_state(&self, last: &BreakerSysState, action: Action) -> Option<BreakerSysState> {
        let mut s = last.clone();
        match action {
            Action::CallerCall(c) | Action::CallerRetry(c) => {
                let c = c as usize;
                let retry = matches!(action, Action::CallerRetry(_));
                s.callers[c].attempts = s.callers[c].attempts.saturating_add(1);
                if !self.attempt(&mut s, c, retry) {
                    let attempts = u32::from(s.callers[c].attempts);
                    if self.retry.should_retry(attempts, Failure::Rejected) {
                        s.callers[c].phase = CallerPhase::Backoff;
                    } else {
                        Self::end_call(&mut s, c);
                    }
                }
            }
            Action::DownstreamReply { caller, outcome } => {
                let c = caller as usize;
                let failed = matches!(outcome, Outcome::Fail | Outcome::SlowFail);
                let duration = match outcome {
                    Outcome::SlowOk | Outcome::SlowFail => 2,
                    Outcome::Ok | Outcome::Fail => 0,
                };
                let attempts = u32::from(s.callers[c].attempts);
                let again = failed && self.retry.should_retry(attempts, Failure::Error);
                s.callers[c].sent_while_open = false;
                // Wrapped around the retry loop, the breaker hears only the logical call's end.
                let wraps = self.cfg.variant == BreakerVariant::BreakerWrapsRetry;
                if !wraps || !again {
                    self.report(&mut s, failed, duration, true);
                }
                if again {
                    s.callers[c].phase = CallerPhase::Backoff;
                    if !wraps {
                        s.callers[c].probe = false;
                    }
                } else {
                    Self::end_call(&mut s, c);
                }
            }
            Action::DownstreamHeal => s.healed = true,
            Action::ClockTick => s.now += 1,
            Action::BreakerTimer => {
                let p = self.params()?;
                let mut b = s.breaker.clone()?;
                let t = b.on_timer(p, u64::from(s.now));
                s.breaker = Some(b);
                if let Some(t) = t {
                    self.on_transition(&mut s, t);
                }
            }
        }
        self.normalise(&mut s);
        Some(s)
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
        let mut parties: Vec<String> = (0..self.cfg.callers)
            .map(|c| format!("{}#{}", self.cfg.caller, c + 1))
            .collect();
        if self.cfg.breaker.is_some() {
            parties.push("breaker".to_owned());
        }
        parties.push(self.cfg.callee.clone());
        parties
    }

    fn describe_action(&self, action: &Action) -> ActionView {
        let k = self.cfg.callers;
        let breaker = k;
        let downstream = if self.cfg.breaker.is_some() { k + 1 } else { k };
        let (actor, label, message) = match *action {
            Action::CallerCall(c) => (c as usize, "CallerCall".to_owned(), None),
            Action::CallerRetry(c) => (c as usize, "CallerRetry".to_owned(), None),
            Action::DownstreamReply { caller, outcome } => (
                downstream,
                format!("DownstreamReply({outcome:?})"),
                Some((downstream, caller as usize)),
            ),
            Action::DownstreamHeal => (downstream, "DownstreamHeal".to_owned(), None),
            Action::ClockTick => (breaker, "ClockTick".to_owned(), None),
            Action::BreakerTimer => (breaker, "BreakerTimer".to_owned(), None),
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
            fields.push(("breaker".to_owned(), format!("{}{extra}", b.state().name())));
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
        for (c, caller) in s.callers.iter().take(self.cfg.callers).enumerate() {
            let what = match caller.phase {
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
            };
            fields.push((format!("{}#{}", self.cfg.caller, c + 1), what));
        }
        fields.push((
            self.cfg.callee.clone(),
            if s.healed { "healed" } else { "may fail" }.to_owned(),
        ));
        fields
    }
}

impl Protocol for BreakerSys {
    const PROTOCOL: &'static str = "circuit_breaker";

    fn fairness(&self, action: &Action) -> ActionFairness {
        match action {
            Action::DownstreamHeal => ActionFairness::Unfair,
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
mod tests {
    use super::*;
    use crate::trace::{Lasso, replay};
    use crate::verdict::Status;
    use stateright::Checker;

    /// A window of 2 at 50 %, one trial call, as in the gallery.
    fn small() -> CircuitBreakerConfig {
        CircuitBreakerConfig {
            sliding_window_size: 2,
            minimum_number_of_calls: 2,
            permitted_number_of_calls_in_half_open_state: 1,
            ..CircuitBreakerConfig::default()
        }
    }

    fn policy(cb: Option<CircuitBreakerConfig>, retry: Option<RetryConfig>) -> Policy {
        Policy {
            circuit_breaker: cb,
            retry,
            ..Policy::default()
        }
    }

    fn config(p: &Policy, variant: BreakerVariant, callers: usize) -> PolicyConfig {
        PolicyConfig::from_policy("client", "payments", p, variant, callers).0
    }

    fn check(cfg: &PolicyConfig) -> Vec<Verdict> {
        verify_policy("p", cfg, &[], &CheckOptions::default()).unwrap()
    }

    fn assert_statuses(verdicts: &[Verdict], violated: &[&str]) {
        assert!(!verdicts.is_empty());
        for v in verdicts {
            let want = if violated.contains(&v.property) {
                Status::Violated
            } else {
                Status::Holds
            };
            assert_eq!(v.status, want, "{}", v.property);
        }
    }

    fn verdict<'a>(verdicts: &'a [Verdict], id: &str) -> &'a Verdict {
        verdicts.iter().find(|v| v.property == id).unwrap()
    }

    fn actions(v: &Verdict) -> Vec<String> {
        v.counterexample
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .map(|s| format!("{}: {}", s.party, s.action))
            .collect()
    }

    fn retry2() -> RetryConfig {
        RetryConfig {
            max_attempts: 2,
            ..RetryConfig::default()
        }
    }

    #[test]
    fn every_property_holds_on_resilience4j_defaults_scaled_down() {
        let p = policy(
            Some(CircuitBreakerConfig::default()),
            Some(RetryConfig::default()),
        );
        let (cfg, notes) = PolicyConfig::from_policy("a", "b", &p, BreakerVariant::Resilience4j, 2);
        assert!(
            notes[0].contains("to 4 (minimum 4, 2 trial calls)"),
            "{notes:?}"
        );
        let verdicts = check(&cfg);
        assert_eq!(verdicts.len(), 7);
        assert_statuses(&verdicts, &[]);
        // Two explorers, stateright's and ours, agree on the reachable states.
        let sr = BreakerSys::new(cfg).unwrap().checker().spawn_bfs().join();
        assert_eq!(
            sr.unique_state_count() as u64,
            verdicts[0].stats.unique_states
        );
        assert_eq!(
            verdict(&verdicts, BREAKER_RECOVERS).stats.unique_states,
            verdicts[0].stats.unique_states
        );
    }

    #[test]
    fn every_property_holds_with_three_callers_slow_calls_and_a_timer() {
        let cb = CircuitBreakerConfig {
            slow_call_rate_threshold: 0.5,
            automatic_transition_from_open_to_half_open_enabled: true,
            ..small()
        };
        let cfg = config(
            &policy(Some(cb), Some(retry2())),
            BreakerVariant::Resilience4j,
            3,
        );
        assert!(cfg.slow_calls);
        assert_statuses(&check(&cfg), &[]);
    }

    #[test]
    fn a_retry_only_policy_checks_only_retry_bounded() {
        let cfg = config(
            &policy(None, Some(retry2())),
            BreakerVariant::Resilience4j,
            2,
        );
        let verdicts = check(&cfg);
        let ids: Vec<&str> = verdicts.iter().map(|v| v.property).collect();
        assert_eq!(ids, [RETRY_BOUNDED]);
        assert_statuses(&verdicts, &[]);
    }

    #[test]
    fn no_way_out_of_open_never_recovers() {
        let p = policy(Some(small()), None);
        let verdicts = check(&config(&p, BreakerVariant::NoHalfOpen, 2));
        assert_statuses(&verdicts, &[BREAKER_RECOVERS]);
        let v = verdict(&verdicts, BREAKER_RECOVERS);
        assert_eq!(
            actions(v),
            [
                "client#1: CallerCall",
                "payments: DownstreamReply(Ok)",
                "client#1: CallerCall",
                "payments: DownstreamReply(Fail)",
                "payments: DownstreamHeal",
                "breaker: ClockTick",
                "breaker: ClockTick",
                "breaker: ClockTick",
            ]
        );
        let cex = v.counterexample.as_ref().unwrap();
        assert_eq!(cex.lasso, Some(Lasso::Stutter));
        let model = BreakerSys::new(config(&p, BreakerVariant::NoHalfOpen, 2)).unwrap();
        let end = replay(&model, &cex.trace_id).unwrap().pop().unwrap();
        assert_eq!(end.breaker_state(), Some(BreakerState::Open));
        assert!(end.healed());
        assert_statuses(&check(&config(&p, BreakerVariant::Resilience4j, 2)), &[]);
    }

    #[test]
    fn half_open_without_a_probe_limit_lets_the_herd_through() {
        let p = policy(Some(small()), None);
        let verdicts = check(&config(&p, BreakerVariant::UnlimitedHalfOpen, 2));
        assert_statuses(&verdicts, &[BREAKER_HALF_OPEN_LIMIT]);
        let steps = actions(verdict(&verdicts, BREAKER_HALF_OPEN_LIMIT));
        assert_eq!(steps.len(), 9);
        assert_eq!(steps[7..], ["client#1: CallerCall", "client#2: CallerCall"]);
    }

    #[test]
    fn counting_rejections_reopens_without_cause_and_never_closes() {
        let p = policy(Some(small()), None);
        let verdicts = check(&config(&p, BreakerVariant::CountsRejections, 2));
        assert_statuses(&verdicts, &[BREAKER_NO_PREMATURE_OPEN, BREAKER_RECOVERS]);
        assert_eq!(
            actions(verdict(&verdicts, BREAKER_NO_PREMATURE_OPEN)).len(),
            9
        );
        let cex = verdict(&verdicts, BREAKER_RECOVERS)
            .counterexample
            .as_ref()
            .unwrap();
        assert!(matches!(cex.lasso, Some(Lasso::Cycle { .. })), "{cex:?}");
    }

    #[test]
    fn retries_inside_the_breaker_bypass_it() {
        let p = policy(Some(small()), Some(retry2()));
        let verdicts = check(&config(&p, BreakerVariant::BreakerWrapsRetry, 2));
        assert_statuses(&verdicts, &[BREAKER_OPEN_BLOCKS, RETRY_RESPECTS_BREAKER]);
        let steps = actions(verdict(&verdicts, RETRY_RESPECTS_BREAKER));
        assert_eq!(steps.len(), 9);
        assert_eq!(steps.last().unwrap(), "client#2: CallerRetry");
        assert_statuses(&check(&config(&p, BreakerVariant::Resilience4j, 2)), &[]);
    }

    #[test]
    fn retrying_rejections_stays_bounded() {
        let retry = RetryConfig {
            retry_on: vec![
                microcosm_model::RetryOn::Error,
                microcosm_model::RetryOn::BreakerOpen,
            ],
            ..retry2()
        };
        let cfg = config(
            &policy(Some(small()), Some(retry)),
            BreakerVariant::Resilience4j,
            2,
        );
        assert_statuses(&check(&cfg), &[]);
    }

    #[test]
    fn the_bundled_time_based_window_is_checked_as_its_minimum() {
        let cb = CircuitBreakerConfig {
            sliding_window_type: SlidingWindowType::TimeBased,
            sliding_window_size: 10,
            minimum_number_of_calls: 100,
            wait_duration_in_open_state_ms: 5000.0,
            ..CircuitBreakerConfig::default()
        };
        let mut notes = Vec::new();
        let p = scaled_breaker(&cb, &mut notes);
        assert_eq!((p.window_size, p.minimum_number_of_calls), (4, 4));
        assert!(notes[0].contains("time-based"), "{notes:?}");
    }

    #[test]
    fn bad_configs_are_errors() {
        let mut cfg = config(
            &policy(Some(small()), None),
            BreakerVariant::Resilience4j,
            2,
        );
        cfg.callers = MAX_CALLERS + 1;
        assert!(BreakerSys::new(cfg.clone()).is_err());
        cfg.callers = 1;
        cfg.breaker = None;
        assert!(BreakerSys::new(cfg).is_err());
    }
}
