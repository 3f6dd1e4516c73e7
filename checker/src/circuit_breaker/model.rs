//! The breaker-and-retry model: each caller's local state ([`Caller`]), the system state
//! (the breaker from `model::resilience`, the reference window, the clock, the downstream,
//! the callers), the `<Actor><Verb>` actions, and stateright's [`Model`], whose `step` drives
//! the shared breaker semantics as the variant says. It calls `model::resilience` for every
//! decision and [`super::callers`] to hold the callers; the properties and trace descriptions
//! read it from their own files. It is separate so the transition rules read in one place,
//! without the policy translation and verdict assembly of the parent.

use super::callers::{self, Callers};
use super::{
    BreakerVariant, EXACT_MAX_CALLERS, MAX_CALLERS, MAX_COUNTED_CALLERS, MAX_HALF_OPEN,
    PolicyConfig, SATURATION_CAP, closed_window_is_abstract,
};
use crate::error::{Error, ErrorKind};
use microcosm_model::SlidingWindowType;
use microcosm_model::resilience::{
    Breaker, BreakerParams, BreakerState, Failure, Permission, RetryParams, Snapshot, Transition,
    Window,
};
use stateright::{Model, Property};

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

    // Read-only views for the sibling files (properties, descriptions, confirmation): only
    // this file's transition rules write the state.

    /// The breaker itself (`None` for a retry-only policy).
    pub(super) fn breaker(&self) -> Option<&Breaker> {
        self.breaker.as_ref()
    }

    /// The reference window: the results the breaker should have counted in its state.
    pub(super) fn reference(&self) -> &Window {
        &self.reference
    }

    /// The abstract clock (ticks since the breaker opened, while OPEN).
    pub(super) fn now(&self) -> u8 {
        self.now
    }

    /// Whether the breaker opened without the reference justifying it.
    pub(super) fn premature_open(&self) -> bool {
        self.premature_open
    }

    /// Whether the breaker left HALF_OPEN for CLOSED on trial results that met a threshold.
    pub(super) fn missed_open(&self) -> bool {
        self.missed_open
    }

    /// Abstract CLOSED window: whether it may hold a failed or slow result.
    pub(super) fn dirty(&self) -> bool {
        self.dirty
    }

    /// Abstract CLOSED window: whether the breaker and the reference heard different results.
    pub(super) fn desync(&self) -> bool {
        self.desync
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
    pub(super) fn code(self) -> u32 {
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
    pub(super) fn cap(&self, c: &Caller) -> u32 {
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

    /// The retry policy the callers follow (no retries for a breaker-only policy).
    pub(super) fn retry(&self) -> &RetryParams {
        &self.retry
    }

    /// Whether the CLOSED window is abstracted (see the parent's doc).
    pub(super) fn abstract_closed(&self) -> bool {
        self.abstract_closed
    }

    pub(super) fn params(&self) -> Option<&BreakerParams> {
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
    pub(super) fn justified(&self, from: BreakerState, reference: Snapshot) -> bool {
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
        self.safety_properties()
    }
}
