//! Retry, as Resilience4j configures it and AWS's "Exponential Backoff and Jitter" randomises
//! it: which failures are retried, how many attempts in all, and how long to wait before each.
//!
//! Waits are pure functions of the retry number, the previous wait (for decorrelated jitter)
//! and a uniform draw `u ∈ [0, 1)` that the caller supplies — the simulator from its seeded
//! generator, the checker and the static analysis from the bounds ([`RetryParams::wait_bounds`]).

use crate::scenario::{Backoff, Jitter, RetryConfig, RetryOn};

use super::ms_to_units;

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The callee answered with an error.
    Error,
    /// The attempt timed out.
    Timeout,
    /// A circuit breaker rejected the attempt without calling.
    Rejected,
}

/// Retries whose waits [`RetryParams::worst_case_total_wait`] sums one by one before it bounds
/// the rest in closed form: every multiplier above 1.011 has settled (at its cap or at
/// `u64::MAX`) by then.
pub const EXACT_RETRIES: u32 = 4_096;

/// A retry policy's parameters, in integer time units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryParams {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The base wait.
    pub wait: u64,
    /// Whether waits grow exponentially.
    pub exponential: bool,
    /// Growth factor of exponential waits.
    pub multiplier: f64,
    /// Cap on one wait.
    pub max_wait: Option<u64>,
    /// Randomisation.
    pub jitter: Jitter,
    /// Retry errors.
    pub on_error: bool,
    /// Retry timeouts.
    pub on_timeout: bool,
    /// Retry calls the breaker rejected (Resilience4j does not, unless configured).
    pub on_rejected: bool,
}

impl RetryParams {
    /// From the scenario's configuration.
    pub fn from_config(config: &RetryConfig, units_per_ms: f64) -> RetryParams {
        RetryParams {
            max_attempts: config.max_attempts.max(1),
            wait: ms_to_units(config.wait_ms, units_per_ms),
            exponential: config.backoff == Backoff::Exponential,
            multiplier: config.multiplier,
            max_wait: config.max_wait_ms.map(|ms| ms_to_units(ms, units_per_ms)),
            jitter: config.jitter,
            on_error: config.retry_on.contains(&RetryOn::Error),
            on_timeout: config.retry_on.contains(&RetryOn::Timeout),
            on_rejected: config.retry_on.contains(&RetryOn::BreakerOpen),
        }
    }

    /// No retries: one attempt.
    pub fn none() -> RetryParams {
        RetryParams {
            max_attempts: 1,
            wait: 0,
            exponential: false,
            multiplier: 1.0,
            max_wait: None,
            jitter: Jitter::None,
            on_error: false,
            on_timeout: false,
            on_rejected: false,
        }
    }

    /// Whether, after `attempts` attempts of which the last failed with `failure`, another is
    /// made.
    pub fn should_retry(&self, attempts: u32, failure: Failure) -> bool {
        let retried = match failure {
            Failure::Error => self.on_error,
            Failure::Timeout => self.on_timeout,
            Failure::Rejected => self.on_rejected,
        };
        retried && attempts < self.max_attempts
    }

    /// The wait before retry `n` (1-based) without jitter: `wait · multiplier^(n−1)` for
    /// exponential backoff, capped at `max_wait`.
    pub fn base_wait(&self, n: u32) -> u64 {
        let raw = if self.exponential {
            // Clamped, not cast: retry 2^31 + 2 must not wrap to a negative power.
            let power = n.saturating_sub(1).min(i32::MAX as u32) as i32;
            self.wait as f64 * self.multiplier.powi(power)
        } else {
            self.wait as f64
        };
        let raw = if raw >= u64::MAX as f64 {
            u64::MAX
        } else {
            raw as u64
        };
        self.cap(raw)
    }

    fn cap(&self, wait: u64) -> u64 {
        self.max_wait.map_or(wait, |cap| wait.min(cap))
    }

    /// The wait before retry `n` (1-based), given the previous wait (for decorrelated jitter;
    /// ignored otherwise) and a uniform draw `u ∈ [0, 1)`.
    pub fn wait(&self, n: u32, previous: u64, u: f64) -> u64 {
        let u = u.clamp(0.0, 1.0);
        let (low, high) = self.wait_bounds(n, previous);
        match self.jitter {
            Jitter::None => high,
            Jitter::Full | Jitter::Equal | Jitter::Decorrelated => {
                low + ((high - low) as f64 * u) as u64
            }
        }
    }

    /// The least and greatest wait before retry `n` (1-based):
    /// none `[t, t]`, full `[0, t]`, equal `[t/2, t]`, decorrelated `[wait, min(cap, 3·previous)]`
    /// where `t` is [`RetryParams::base_wait`] (AWS's definitions).
    pub fn wait_bounds(&self, n: u32, previous: u64) -> (u64, u64) {
        let t = self.base_wait(n);
        match self.jitter {
            Jitter::None => (t, t),
            Jitter::Full => (0, t),
            Jitter::Equal => (t - t / 2, t),
            Jitter::Decorrelated => {
                let previous = if n <= 1 {
                    self.wait
                } else {
                    previous.max(self.wait)
                };
                let high = self.cap(previous.saturating_mul(3)).max(self.wait);
                (self.cap(self.wait).min(high), high)
            }
        }
    }

    /// The longest total time spent waiting between attempts when every attempt fails:
    /// the worst-case latency the backoff adds (saturating at `u64::MAX`).
    ///
    /// Its cost does not grow with `max_attempts` (which may be `u32::MAX`): the waits are
    /// summed one by one only until they settle — a fixed wait at once, a capped or saturated
    /// exponential one at its cap, a decorrelated one at its fixed point — and the settled rest
    /// is one product. A multiplier so close to 1 that the waits still grow after
    /// [`EXACT_RETRIES`] retries has the rest bounded from above by the unrounded geometric
    /// series (each wait is that series' term rounded down): still a worst case.
    pub fn worst_case_total_wait(&self) -> u64 {
        let mut total = 0u64;
        let mut previous = self.wait;
        let mut n = 1;
        while n < self.max_attempts {
            let (_, high) = self.wait_bounds(n, previous);
            if self.settled(n, high, previous) {
                let rest = u64::from(self.max_attempts - n);
                return total.saturating_add(high.saturating_mul(rest));
            }
            total = total.saturating_add(high);
            if total == u64::MAX {
                return total;
            }
            if n >= EXACT_RETRIES {
                let rest = self.geometric_rest(n + 1);
                return total.saturating_add(rest);
            }
            previous = high;
            n += 1;
        }
        total
    }

    /// Whether every wait after retry `n` equals `high`, the wait before it (`previous`, the
    /// one before that).
    fn settled(&self, n: u32, high: u64, previous: u64) -> bool {
        match self.jitter {
            // A function of the previous wait alone, once past the first retry: a fixed point
            // stays one.
            Jitter::Decorrelated => n > 1 && high == previous,
            _ => {
                !self.exponential
                    || self.multiplier == 1.0
                    || self.wait == 0
                    || high == u64::MAX && self.multiplier >= 1.0
                    || self.max_wait == Some(high) && self.multiplier > 1.0
                    || high == 0 && self.multiplier < 1.0
            }
        }
    }

    /// An upper bound on the exponential waits before retries `first..max_attempts`:
    /// `Σ min(cap, wait · m^(k−1))` without rounding, in closed form.
    fn geometric_rest(&self, first: u32) -> u64 {
        let end = f64::from(self.max_attempts);
        let first = f64::from(first);
        if first >= end {
            return 0;
        }
        let wait = self.wait as f64;
        let ln_m = (self.multiplier - 1.0).ln_1p();
        let cap = self.max_wait.map_or(u64::MAX as f64, |c| c as f64);
        // The first retry whose unrounded wait reaches the cap, within [first, end].
        let capped_from = (1.0 + ((cap / wait).ln() / ln_m).ceil()).clamp(first, end);
        // Σ_{k=first}^{capped_from−1} wait·m^(k−1), accurate for m close to 1.
        let growing = wait * ((first - 1.0) * ln_m).exp() * ((capped_from - first) * ln_m).exp_m1()
            / (self.multiplier - 1.0);
        let total = growing + cap * (end - capped_from);
        if total.is_finite() && total < u64::MAX as f64 {
            total.ceil() as u64
        } else {
            u64::MAX
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exponential(jitter: Jitter) -> RetryParams {
        RetryParams {
            max_attempts: 4,
            wait: 100,
            exponential: true,
            multiplier: 2.0,
            max_wait: Some(300),
            jitter,
            on_error: true,
            on_timeout: true,
            on_rejected: false,
        }
    }

    /// The sum as it was first written: one wait at a time, `max_attempts − 1` of them.
    fn summed_one_by_one(p: &RetryParams) -> u64 {
        let mut total = 0u64;
        let mut previous = p.wait;
        for n in 1..p.max_attempts {
            let (_, high) = p.wait_bounds(n, previous);
            total = total.saturating_add(high);
            previous = high;
        }
        total
    }

    #[test]
    fn the_worst_case_wait_equals_the_sum_of_every_wait() {
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            for grows in [false, true] {
                for (wait, multiplier, max_wait) in [
                    (100, 2.0, Some(300)),
                    (100, 2.0, None),
                    (7, 1.5, Some(1_000_000)),
                    (0, 3.0, None),
                    (50, 1.0, None),
                    (u64::MAX / 4, 10.0, None),
                ] {
                    for max_attempts in [1, 2, 3, 10, 70, 200] {
                        let p = RetryParams {
                            max_attempts,
                            wait,
                            exponential: grows,
                            multiplier,
                            max_wait,
                            ..exponential(jitter)
                        };
                        assert_eq!(p.worst_case_total_wait(), summed_one_by_one(&p), "{p:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn four_billion_attempts_are_summed_without_visiting_each() {
        // Once the waits settle the rest is one product: no loop of u32::MAX steps (that took
        // minutes), and no power that wraps negative past retry 2^31.
        let fixed = RetryParams {
            max_attempts: u32::MAX,
            exponential: false,
            max_wait: None,
            wait: 10,
            ..exponential(Jitter::None)
        };
        assert_eq!(fixed.worst_case_total_wait(), 10 * u64::from(u32::MAX - 1));
        let capped = RetryParams {
            max_attempts: u32::MAX,
            ..exponential(Jitter::None)
        };
        assert_eq!(
            capped.worst_case_total_wait(),
            100 + 200 + 300 * u64::from(u32::MAX - 3)
        );
        assert_eq!(capped.base_wait(u32::MAX), 300);
        let decorrelated = RetryParams {
            max_attempts: u32::MAX,
            ..exponential(Jitter::Decorrelated)
        };
        assert_eq!(
            decorrelated.worst_case_total_wait(),
            300 * u64::from(u32::MAX - 1)
        );
    }

    #[test]
    fn waits_that_grow_for_long_are_bounded_from_above_closely() {
        // 1.0001^k reaches the 1000× cap after about 69,000 retries: past EXACT_RETRIES the rest
        // is the unrounded series, at most one unit per wait above the exact sum.
        let p = RetryParams {
            max_attempts: 200_000,
            wait: 1_000,
            multiplier: 1.0001,
            max_wait: Some(1_000_000),
            ..exponential(Jitter::None)
        };
        let (bound, exact) = (p.worst_case_total_wait(), summed_one_by_one(&p));
        assert!(bound >= exact, "{bound} < {exact}");
        assert!(
            bound - exact <= u64::from(p.max_attempts),
            "{bound} vs {exact}"
        );
    }

    #[test]
    fn attempts_are_bounded_by_max_attempts() {
        let p = exponential(Jitter::None);
        assert!(p.should_retry(1, Failure::Error));
        assert!(p.should_retry(3, Failure::Timeout));
        assert!(
            !p.should_retry(4, Failure::Error),
            "the fourth attempt is the last"
        );
    }

    #[test]
    fn rejected_calls_are_not_retried_unless_configured() {
        let mut p = exponential(Jitter::None);
        assert!(!p.should_retry(1, Failure::Rejected));
        p.on_rejected = true;
        assert!(p.should_retry(1, Failure::Rejected));
        p.on_error = false;
        assert!(!p.should_retry(1, Failure::Error));
    }

    #[test]
    fn exponential_waits_grow_and_are_capped() {
        let p = exponential(Jitter::None);
        assert_eq!(
            [p.base_wait(1), p.base_wait(2), p.base_wait(3)],
            [100, 200, 300]
        );
        assert_eq!(p.wait(3, 0, 0.7), 300);
        let fixed = RetryParams {
            exponential: false,
            ..p
        };
        assert_eq!(fixed.base_wait(3), 100);
    }

    #[test]
    fn jitter_stays_within_awss_bounds() {
        assert_eq!(exponential(Jitter::Full).wait_bounds(2, 0), (0, 200));
        assert_eq!(exponential(Jitter::Equal).wait_bounds(2, 0), (100, 200));
        assert_eq!(exponential(Jitter::Full).wait(2, 0, 0.5), 100);
        assert_eq!(exponential(Jitter::Equal).wait(2, 0, 0.0), 100);
        // Decorrelated: uniform in [base, 3 × previous], capped.
        let d = exponential(Jitter::Decorrelated);
        assert_eq!(d.wait_bounds(1, 0), (100, 300));
        assert_eq!(d.wait_bounds(2, 80), (100, 300));
        assert_eq!(d.wait_bounds(2, 50), (100, 300));
        let uncapped = RetryParams {
            max_wait: None,
            ..d
        };
        assert_eq!(uncapped.wait_bounds(3, 250), (100, 750));
    }

    #[test]
    fn worst_case_wait_sums_the_longest_waits() {
        assert_eq!(
            exponential(Jitter::None).worst_case_total_wait(),
            100 + 200 + 300
        );
        assert_eq!(exponential(Jitter::Full).worst_case_total_wait(), 600);
        assert_eq!(RetryParams::none().worst_case_total_wait(), 0);
    }

    #[test]
    fn scenario_settings_convert() {
        let c = RetryConfig {
            max_attempts: 3,
            wait_ms: 50.0,
            backoff: Backoff::Exponential,
            multiplier: 2.0,
            max_wait_ms: Some(400.0),
            jitter: Jitter::Full,
            retry_on: vec![RetryOn::Error],
            budget: None,
        };
        let p = RetryParams::from_config(&c, 1_000_000.0);
        assert_eq!((p.wait, p.max_wait), (50_000_000, Some(400_000_000)));
        assert!(p.on_error && !p.on_timeout && !p.on_rejected);
    }
}
