//! The circuit breaker's semantics checked against an independent, deliberately naive
//! reference: random sequences of calls, results and timer ticks drive both, and after every
//! step they must agree on the state, the permission given and the window's counts.

use std::collections::VecDeque;

use microcosm_model::SlidingWindowType;
use microcosm_model::resilience::{Breaker, BreakerParams, BreakerState, Permission};
use proptest::prelude::*;

/// The reference: keeps every outcome in a list and recounts on each result.
struct Reference {
    p: BreakerParams,
    state: BreakerState,
    since: u64,
    closed: VecDeque<(u64, bool, bool)>,
    trials: Vec<(bool, bool)>,
    admitted: u32,
}

impl Reference {
    fn new(p: BreakerParams) -> Reference {
        Reference {
            p,
            state: BreakerState::Closed,
            since: 0,
            closed: VecDeque::new(),
            trials: Vec::new(),
            admitted: 0,
        }
    }

    fn go(&mut self, state: BreakerState, now: u64) {
        self.state = state;
        self.since = now;
        self.closed.clear();
        self.trials.clear();
        self.admitted = 0;
    }

    fn acquire(&mut self, now: u64) -> bool {
        match self.state {
            BreakerState::Closed | BreakerState::Disabled => true,
            BreakerState::ForcedOpen => false,
            BreakerState::Open => {
                if now > self.since + self.p.wait_in_open {
                    self.go(BreakerState::HalfOpen, now);
                    self.admitted = 1;
                    true
                } else {
                    false
                }
            }
            BreakerState::HalfOpen => {
                if self.admitted < self.p.permitted_in_half_open {
                    self.admitted += 1;
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Whether `failed` of `calls` (and `slow` of them) meet a threshold.
    fn bad(&self, calls: u64, failed: u64, slow: u64) -> bool {
        // Rates as exact fractions: failed / calls ≥ ppm / 10^6.
        failed * 1_000_000 >= self.p.failure_rate_ppm * calls
            || slow * 1_000_000 >= self.p.slow_call_rate_ppm * calls
    }

    fn counts(&self) -> (u32, u32, u32) {
        let calls = self.closed.len() as u32;
        let failed = self.closed.iter().filter(|c| c.1).count() as u32;
        let slow = self.closed.iter().filter(|c| c.2).count() as u32;
        (calls, failed, slow)
    }

    fn result(&mut self, now: u64, failed: bool, duration: u64) {
        let slow = duration > self.p.slow_call_duration;
        match self.state {
            BreakerState::Closed => {
                self.closed.push_back((now, failed, slow));
                match self.p.window_type {
                    SlidingWindowType::CountBased => {
                        while self.closed.len() > self.p.window_size as usize {
                            self.closed.pop_front();
                        }
                    }
                    SlidingWindowType::TimeBased => {
                        let epoch = now / self.p.bucket_units;
                        let n = u64::from(self.p.window_size);
                        self.closed
                            .retain(|(t, _, _)| t / self.p.bucket_units + n > epoch);
                    }
                }
                let minimum = match self.p.window_type {
                    SlidingWindowType::CountBased => {
                        self.p.minimum_number_of_calls.min(self.p.window_size)
                    }
                    SlidingWindowType::TimeBased => self.p.minimum_number_of_calls,
                };
                let (calls, f, s) = self.counts();
                if calls >= minimum && self.bad(calls.into(), f.into(), s.into()) {
                    self.go(BreakerState::Open, now);
                }
            }
            BreakerState::HalfOpen => {
                self.trials.push((failed, slow));
                if self.trials.len() as u32 >= self.p.permitted_in_half_open {
                    let calls = self.trials.len() as u64;
                    let f = self.trials.iter().filter(|t| t.0).count() as u64;
                    let s = self.trials.iter().filter(|t| t.1).count() as u64;
                    let next = if self.bad(calls, f, s) {
                        BreakerState::Open
                    } else {
                        BreakerState::Closed
                    };
                    self.go(next, now);
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, now: u64) {
        match self.state {
            BreakerState::Open
                if self.p.automatic_transition && now >= self.since + self.p.wait_in_open =>
            {
                self.go(BreakerState::HalfOpen, now)
            }
            BreakerState::HalfOpen
                if self.p.max_wait_in_half_open > 0
                    && now >= self.since + self.p.max_wait_in_half_open =>
            {
                self.go(BreakerState::Open, now)
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Acquire,
    Result { failed: bool, duration: u64 },
    Timer,
}

fn params() -> impl Strategy<Value = BreakerParams> {
    (
        1u64..=1_000_000,
        1u64..=1_000_000,
        1u64..60,
        any::<bool>(),
        1u32..12,
        1u32..15,
        1u64..100,
        1u32..5,
        0u64..80,
        any::<bool>(),
    )
        .prop_map(
            |(f, s, slow, time_based, size, min, wait, permitted, half, auto)| BreakerParams {
                failure_rate_ppm: f,
                slow_call_rate_ppm: s,
                slow_call_duration: slow,
                window_type: if time_based {
                    SlidingWindowType::TimeBased
                } else {
                    SlidingWindowType::CountBased
                },
                window_size: size,
                bucket_units: 20,
                minimum_number_of_calls: min,
                wait_in_open: wait,
                permitted_in_half_open: permitted,
                max_wait_in_half_open: half,
                automatic_transition: auto,
            },
        )
}

fn steps() -> impl Strategy<Value = Vec<(u64, Step)>> {
    proptest::collection::vec(
        (
            0u64..40,
            prop_oneof![
                3 => Just(Step::Acquire),
                3 => (any::<bool>(), 0u64..100).prop_map(|(failed, duration)| Step::Result { failed, duration }),
                1 => Just(Step::Timer),
            ],
        ),
        1..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_breaker_agrees_with_the_reference(p in params(), steps in steps()) {
        let mut breaker = Breaker::new(&p);
        let mut reference = Reference::new(p);
        let mut now = 0u64;
        let mut in_flight = 0u32;
        for (i, (dt, step)) in steps.iter().enumerate() {
            now += dt;
            match step {
                Step::Acquire => {
                    let (permission, _) = breaker.try_acquire(&p, now);
                    let expected = reference.acquire(now);
                    prop_assert_eq!(permission == Permission::Permitted, expected, "step {}", i);
                    if expected {
                        in_flight += 1;
                    }
                }
                Step::Result { failed, duration } => {
                    if in_flight == 0 {
                        continue;
                    }
                    in_flight -= 1;
                    breaker.on_result(&p, now, *failed, *duration);
                    reference.result(now, *failed, *duration);
                    if reference.state == BreakerState::Closed {
                        let s = breaker.snapshot();
                        prop_assert_eq!((s.calls, s.failed, s.slow), reference.counts(), "step {}", i);
                    }
                }
                Step::Timer => {
                    if let Some(due) = breaker.next_deadline(&p) {
                        now = now.max(due);
                    }
                    breaker.on_timer(&p, now);
                    reference.timer(now);
                }
            }
            prop_assert_eq!(breaker.state(), reference.state, "step {}", i);
            prop_assert_eq!(breaker.since(), reference.since, "step {}", i);
        }
    }
}
