//! Resilience4j's circuit breaker as a pure state machine.
//!
//! The rules, as in `CircuitBreakerStateMachine`:
//! - CLOSED permits every call and records each result in a sliding window. Once the window
//!   holds at least `minimum_number_of_calls` results (for a count-based window, at most its
//!   size), it opens when the failure rate or the slow-call rate is at least its threshold.
//! - OPEN rejects every call, and rejected calls are not recorded. The first call strictly after
//!   `wait_duration_in_open_state` moves it to HALF_OPEN (or a timer does, at the instant the
//!   wait ends, with the automatic transition on).
//! - HALF_OPEN permits `permitted_number_of_calls_in_half_open_state` calls and records their
//!   results in a fresh count-based window of that size; when all are in it opens again if a
//!   threshold is met, else closes. With `max_wait_duration_in_half_open_state` > 0 it opens
//!   again when that time passes first.
//! - DISABLED permits everything and records nothing; FORCED_OPEN rejects everything.
//!
//! Time is an integer in units the caller chooses (ticks in the checker, nanoseconds in the
//! simulator); a call is slow when its duration is strictly greater than the slow threshold.

use crate::scenario::{CircuitBreakerConfig, SlidingWindowType};

use super::window::{Snapshot, Window};
use super::{fraction_ppm, ms_to_units};

/// A circuit breaker's parameters, in integer time units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BreakerParams {
    /// Opens when failed/calls ≥ this, in parts per million.
    pub failure_rate_ppm: u64,
    /// Opens when slow/calls ≥ this, in parts per million.
    pub slow_call_rate_ppm: u64,
    /// A call is slow when it takes strictly longer than this.
    pub slow_call_duration: u64,
    /// Count- or time-based closed-state window.
    pub window_type: SlidingWindowType,
    /// Calls (count-based) or buckets (time-based) in the window.
    pub window_size: u32,
    /// Width of one bucket of a time-based window (one second in Resilience4j).
    pub bucket_units: u64,
    /// Results the closed-state window needs before it decides, as configured.
    pub minimum_number_of_calls: u32,
    /// How long OPEN lasts.
    pub wait_in_open: u64,
    /// Trial calls admitted in HALF_OPEN.
    pub permitted_in_half_open: u32,
    /// Longest HALF_OPEN may last before it opens again; 0 for no limit.
    pub max_wait_in_half_open: u64,
    /// Whether a timer moves OPEN to HALF_OPEN (rather than the next call).
    pub automatic_transition: bool,
}

impl BreakerParams {
    /// From the scenario's configuration, `units_per_ms` time units to the millisecond and one
    /// time-window bucket per second.
    pub fn from_config(config: &CircuitBreakerConfig, units_per_ms: f64) -> BreakerParams {
        BreakerParams {
            failure_rate_ppm: fraction_ppm(config.failure_rate_threshold),
            slow_call_rate_ppm: fraction_ppm(config.slow_call_rate_threshold),
            slow_call_duration: ms_to_units(config.slow_call_duration_ms, units_per_ms),
            window_type: config.sliding_window_type,
            window_size: config.sliding_window_size,
            bucket_units: ms_to_units(1000.0, units_per_ms).max(1),
            minimum_number_of_calls: config.minimum_number_of_calls,
            wait_in_open: ms_to_units(config.wait_duration_in_open_state_ms, units_per_ms),
            permitted_in_half_open: config.permitted_number_of_calls_in_half_open_state.max(1),
            max_wait_in_half_open: ms_to_units(
                config.max_wait_duration_in_half_open_state_ms,
                units_per_ms,
            ),
            automatic_transition: config.automatic_transition_from_open_to_half_open_enabled,
        }
    }

    /// The results the closed-state window needs before it decides: Resilience4j caps the
    /// minimum at the size of a count-based window (but not of a time-based one).
    pub fn effective_minimum(&self) -> u32 {
        match self.window_type {
            SlidingWindowType::CountBased => self.minimum_number_of_calls.min(self.window_size),
            SlidingWindowType::TimeBased => self.minimum_number_of_calls,
        }
        .max(1)
    }

    /// Whether a window's aggregate meets a threshold, or `None` while it holds fewer than
    /// `minimum` results.
    pub fn exceeded(&self, s: Snapshot, minimum: u32) -> Option<bool> {
        if s.calls < minimum.max(1) {
            return None;
        }
        let calls = u64::from(s.calls);
        let failing = u64::from(s.failed) * 1_000_000 >= self.failure_rate_ppm * calls;
        let slow = u64::from(s.slow) * 1_000_000 >= self.slow_call_rate_ppm * calls;
        Some(failing || slow)
    }

    fn closed_window(&self) -> Window {
        match self.window_type {
            SlidingWindowType::CountBased => Window::count(self.window_size),
            SlidingWindowType::TimeBased => Window::time(self.window_size, self.bucket_units),
        }
    }
}

/// The state a breaker is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BreakerState {
    /// Calls flow; results are counted.
    Closed,
    /// Calls are rejected.
    Open,
    /// A few trial calls flow.
    HalfOpen,
    /// Calls flow; nothing is counted.
    Disabled,
    /// Calls are rejected until someone changes the state.
    ForcedOpen,
}

impl BreakerState {
    /// Upper-case name, as Resilience4j prints it.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "CLOSED",
            BreakerState::Open => "OPEN",
            BreakerState::HalfOpen => "HALF_OPEN",
            BreakerState::Disabled => "DISABLED",
            BreakerState::ForcedOpen => "FORCED_OPEN",
        }
    }
}

/// Whether a call may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Make the call, then report its result.
    Permitted,
    /// Do not call (Resilience4j's `CallNotPermittedException`).
    Rejected,
}

/// A change of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state left.
    pub from: BreakerState,
    /// The state entered.
    pub to: BreakerState,
    /// When.
    pub at: u64,
}

/// A circuit breaker's state. The parameters are passed to each call rather than stored, so
/// model-checker states stay small.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Breaker {
    state: BreakerState,
    /// When the current state was entered.
    since: u64,
    /// The current state's window (closed-state or half-open trial window).
    window: Window,
    /// Permits handed out in HALF_OPEN.
    admitted: u32,
}

impl Breaker {
    /// A closed breaker with an empty window, at time 0.
    pub fn new(p: &BreakerParams) -> Breaker {
        Breaker {
            state: BreakerState::Closed,
            since: 0,
            window: p.closed_window(),
            admitted: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// When the current state was entered.
    pub fn since(&self) -> u64 {
        self.since
    }

    /// The current window's aggregate.
    pub fn snapshot(&self) -> Snapshot {
        self.window.snapshot()
    }

    /// Permits handed out since entering HALF_OPEN.
    pub fn half_open_admitted(&self) -> u32 {
        self.admitted
    }

    fn enter(&mut self, p: &BreakerParams, to: BreakerState, now: u64) -> Transition {
        let from = self.state;
        self.state = to;
        self.since = now;
        self.admitted = 0;
        self.window = match to {
            BreakerState::HalfOpen => Window::count(p.permitted_in_half_open),
            _ => p.closed_window(),
        };
        Transition { from, to, at: now }
    }

    /// Asks to make a call at `now`. May move OPEN to HALF_OPEN when the wait has passed.
    pub fn try_acquire(&mut self, p: &BreakerParams, now: u64) -> (Permission, Option<Transition>) {
        match self.state {
            BreakerState::Closed | BreakerState::Disabled => (Permission::Permitted, None),
            BreakerState::ForcedOpen => (Permission::Rejected, None),
            BreakerState::Open => {
                if now > self.since.saturating_add(p.wait_in_open) {
                    let t = self.enter(p, BreakerState::HalfOpen, now);
                    let (permission, _) = self.try_acquire(p, now);
                    (permission, Some(t))
                } else {
                    (Permission::Rejected, None)
                }
            }
            BreakerState::HalfOpen => {
                if self.admitted < p.permitted_in_half_open {
                    self.admitted += 1;
                    (Permission::Permitted, None)
                } else {
                    (Permission::Rejected, None)
                }
            }
        }
    }

    /// Reports the result of a permitted call that ended at `now` after `duration`.
    pub fn on_result(
        &mut self,
        p: &BreakerParams,
        now: u64,
        failed: bool,
        duration: u64,
    ) -> Option<Transition> {
        let slow = duration > p.slow_call_duration;
        match self.state {
            BreakerState::Closed => {
                let snapshot = self.window.record(now, failed, slow);
                (p.exceeded(snapshot, p.effective_minimum()) == Some(true))
                    .then(|| self.enter(p, BreakerState::Open, now))
            }
            BreakerState::HalfOpen => {
                let snapshot = self.window.record(now, failed, slow);
                match p.exceeded(snapshot, p.permitted_in_half_open) {
                    Some(true) => Some(self.enter(p, BreakerState::Open, now)),
                    Some(false) => Some(self.enter(p, BreakerState::Closed, now)),
                    None => None,
                }
            }
            // A call admitted before the breaker opened (or was disabled) ends: the state it
            // was admitted in is gone, and the current one does not count it.
            BreakerState::Open | BreakerState::Disabled | BreakerState::ForcedOpen => None,
        }
    }

    /// When the next timed transition is due, if any: the end of the open wait (with the
    /// automatic transition on) or of the half-open limit.
    pub fn next_deadline(&self, p: &BreakerParams) -> Option<u64> {
        match self.state {
            BreakerState::Open if p.automatic_transition => {
                Some(self.since.saturating_add(p.wait_in_open))
            }
            BreakerState::HalfOpen if p.max_wait_in_half_open > 0 => {
                Some(self.since.saturating_add(p.max_wait_in_half_open))
            }
            _ => None,
        }
    }

    /// Fires the timed transition due at `now`, if any.
    pub fn on_timer(&mut self, p: &BreakerParams, now: u64) -> Option<Transition> {
        let due = self.next_deadline(p)?;
        if now < due {
            return None;
        }
        match self.state {
            BreakerState::Open => Some(self.enter(p, BreakerState::HalfOpen, now)),
            BreakerState::HalfOpen => Some(self.enter(p, BreakerState::Open, now)),
            _ => None,
        }
    }

    /// Moves to a state by hand (Resilience4j's `transitionTo…State`), with a fresh window.
    pub fn transition_to(&mut self, p: &BreakerParams, to: BreakerState, now: u64) -> Transition {
        self.enter(p, to, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count window of 10, minimum 4, threshold 50%, open for 100 units, 2 trial calls, slow
    /// above 50 units.
    fn params() -> BreakerParams {
        BreakerParams {
            failure_rate_ppm: 500_000,
            slow_call_rate_ppm: 1_000_000,
            slow_call_duration: 50,
            window_type: SlidingWindowType::CountBased,
            window_size: 10,
            bucket_units: 1000,
            minimum_number_of_calls: 4,
            wait_in_open: 100,
            permitted_in_half_open: 2,
            max_wait_in_half_open: 0,
            automatic_transition: false,
        }
    }

    fn call(b: &mut Breaker, p: &BreakerParams, now: u64, failed: bool) -> Option<Transition> {
        assert_eq!(b.try_acquire(p, now).0, Permission::Permitted);
        b.on_result(p, now, failed, 1)
    }

    #[test]
    fn resilience4j_defaults_convert() {
        let p = BreakerParams::from_config(&CircuitBreakerConfig::default(), 1.0);
        assert_eq!(p.failure_rate_ppm, 500_000);
        assert_eq!(p.slow_call_rate_ppm, 1_000_000);
        assert_eq!(p.slow_call_duration, 60_000);
        assert_eq!((p.window_size, p.minimum_number_of_calls), (100, 100));
        assert_eq!((p.wait_in_open, p.permitted_in_half_open), (60_000, 10));
    }

    #[test]
    fn one_call_short_of_the_minimum_it_stays_closed() {
        let p = params();
        let mut b = Breaker::new(&p);
        for _ in 0..3 {
            assert_eq!(call(&mut b, &p, 0, true), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        // The fourth result reaches the minimum: 4 of 4 failed.
        assert_eq!(
            call(&mut b, &p, 0, true).map(|t| t.to),
            Some(BreakerState::Open)
        );
    }

    #[test]
    fn exactly_at_the_threshold_it_opens() {
        let p = params();
        let mut b = Breaker::new(&p);
        call(&mut b, &p, 0, false);
        call(&mut b, &p, 0, false);
        call(&mut b, &p, 0, true);
        // 2 of 4 = 50% ≥ 50%.
        assert_eq!(
            call(&mut b, &p, 0, true).map(|t| t.to),
            Some(BreakerState::Open)
        );
    }

    #[test]
    fn just_below_the_threshold_it_stays_closed() {
        let p = params();
        let mut b = Breaker::new(&p);
        for failed in [false, false, false, true, false] {
            assert_eq!(call(&mut b, &p, 0, failed), None);
        }
        // 2 of 6 = 33% < 50%.
        assert_eq!(call(&mut b, &p, 0, true), None);
        assert_eq!(
            b.snapshot(),
            Snapshot {
                calls: 6,
                failed: 2,
                slow: 0
            }
        );
    }

    #[test]
    fn the_minimum_is_capped_at_a_count_windows_size() {
        let mut p = params();
        p.minimum_number_of_calls = 100;
        p.window_size = 3;
        let mut b = Breaker::new(&p);
        call(&mut b, &p, 0, true);
        call(&mut b, &p, 0, true);
        assert_eq!(
            call(&mut b, &p, 0, true).map(|t| t.to),
            Some(BreakerState::Open)
        );
        // A time-based window keeps the configured minimum.
        p.window_type = SlidingWindowType::TimeBased;
        assert_eq!(p.effective_minimum(), 100);
    }

    #[test]
    fn slow_means_strictly_longer_than_the_threshold() {
        let mut p = params();
        p.slow_call_rate_ppm = 500_000;
        let mut b = Breaker::new(&p);
        for _ in 0..4 {
            b.try_acquire(&p, 0);
            assert_eq!(
                b.on_result(&p, 0, false, 50),
                None,
                "50 is not slower than 50"
            );
        }
        let mut b = Breaker::new(&p);
        for i in 0..4 {
            b.try_acquire(&p, 0);
            let t = b.on_result(&p, 0, false, 51);
            assert_eq!(t.is_some(), i == 3);
        }
        assert_eq!(b.state(), BreakerState::Open);
    }

    fn opened_at(p: &BreakerParams, at: u64) -> Breaker {
        let mut b = Breaker::new(p);
        for _ in 0..4 {
            call(&mut b, p, at, true);
        }
        assert_eq!((b.state(), b.since()), (BreakerState::Open, at));
        b
    }

    #[test]
    fn open_rejects_until_strictly_after_the_wait() {
        let p = params();
        let mut b = opened_at(&p, 10);
        assert_eq!(b.try_acquire(&p, 10).0, Permission::Rejected);
        // The instant the wait ends (10 + 100) is not yet after it.
        assert_eq!(b.try_acquire(&p, 110), (Permission::Rejected, None));
        let (permission, t) = b.try_acquire(&p, 111);
        assert_eq!(permission, Permission::Permitted);
        assert_eq!(
            t.map(|t| (t.from, t.to)),
            Some((BreakerState::Open, BreakerState::HalfOpen))
        );
    }

    #[test]
    fn rejected_calls_are_not_recorded() {
        let p = params();
        let mut b = opened_at(&p, 0);
        for _ in 0..50 {
            b.try_acquire(&p, 5);
        }
        assert_eq!(b.snapshot(), Snapshot::default());
    }

    #[test]
    fn half_open_admits_only_the_permitted_calls() {
        let p = params();
        let mut b = opened_at(&p, 0);
        assert_eq!(b.try_acquire(&p, 101).0, Permission::Permitted);
        assert_eq!(b.try_acquire(&p, 101).0, Permission::Permitted);
        assert_eq!(b.try_acquire(&p, 101).0, Permission::Rejected);
        assert_eq!(b.half_open_admitted(), 2);
    }

    #[test]
    fn half_open_closes_on_good_trials_and_reopens_on_bad_ones() {
        let p = params();
        let mut b = opened_at(&p, 0);
        b.try_acquire(&p, 101);
        b.try_acquire(&p, 101);
        assert_eq!(
            b.on_result(&p, 102, false, 1),
            None,
            "one of two results is not enough"
        );
        let t = b.on_result(&p, 103, false, 1).unwrap();
        assert_eq!(
            (t.from, t.to),
            (BreakerState::HalfOpen, BreakerState::Closed)
        );
        assert_eq!(
            b.snapshot(),
            Snapshot::default(),
            "CLOSED starts with a fresh window"
        );

        let mut b = opened_at(&p, 0);
        b.try_acquire(&p, 101);
        b.try_acquire(&p, 101);
        b.on_result(&p, 102, false, 1);
        // 1 of 2 failed = 50%: open again, the wait counted from now.
        let t = b.on_result(&p, 103, true, 1).unwrap();
        assert_eq!((t.to, b.since()), (BreakerState::Open, 103));
    }

    #[test]
    fn the_automatic_transition_fires_the_instant_the_wait_ends() {
        let mut p = params();
        p.automatic_transition = true;
        let mut b = opened_at(&p, 0);
        assert_eq!(b.next_deadline(&p), Some(100));
        assert_eq!(b.on_timer(&p, 99), None);
        assert_eq!(
            b.on_timer(&p, 100).map(|t| t.to),
            Some(BreakerState::HalfOpen)
        );
        assert_eq!(b.next_deadline(&p), None);
    }

    #[test]
    fn half_open_gives_up_after_its_maximum_wait() {
        let mut p = params();
        p.max_wait_in_half_open = 30;
        let mut b = opened_at(&p, 0);
        b.try_acquire(&p, 101);
        assert_eq!(b.next_deadline(&p), Some(131));
        assert_eq!(b.on_timer(&p, 131).map(|t| t.to), Some(BreakerState::Open));
    }

    #[test]
    fn disabled_and_forced_open_do_what_they_say() {
        let p = params();
        let mut b = Breaker::new(&p);
        b.transition_to(&p, BreakerState::Disabled, 0);
        for _ in 0..20 {
            assert_eq!(call(&mut b, &p, 0, true), None);
        }
        b.transition_to(&p, BreakerState::ForcedOpen, 0);
        assert_eq!(b.try_acquire(&p, 1_000_000).0, Permission::Rejected);
    }

    #[test]
    fn a_time_window_forgets_old_failures() {
        let mut p = params();
        p.window_type = SlidingWindowType::TimeBased;
        p.window_size = 2;
        p.bucket_units = 10;
        p.minimum_number_of_calls = 4;
        let mut b = Breaker::new(&p);
        for t in [0, 1, 2] {
            call(&mut b, &p, t, true);
        }
        // By t = 20 the failures at t < 10 have slid out: 1 call in the window, below minimum.
        assert_eq!(call(&mut b, &p, 20, true), None);
        assert_eq!(b.snapshot().calls, 1);
    }
}
