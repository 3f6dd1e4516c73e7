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
            self.wait as f64 * self.multiplier.powi(n.saturating_sub(1) as i32)
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
    /// the worst-case latency the backoff adds.
    pub fn worst_case_total_wait(&self) -> u64 {
        let mut total = 0u64;
        let mut previous = self.wait;
        for n in 1..self.max_attempts {
            let (_, high) = self.wait_bounds(n, previous);
            total = total.saturating_add(high);
            previous = high;
        }
        total
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
