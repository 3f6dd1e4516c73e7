//! A retry budget, as Finagle's `RetryBudget` and Envoy's retry budgets bound retries: over a
//! sliding time-to-live (10 s), retries may be at most `ratio` of the requests plus
//! `min_per_s` per second, so a failing dependency sees a bounded extra load however many
//! layers retry.

use crate::scenario;

use super::{fraction_ppm, ms_to_units};

/// Buckets the time-to-live is divided into.
const BUCKETS: usize = 10;

/// A retry budget's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BudgetParams {
    /// Retries allowed per request, in parts per million.
    pub ratio_ppm: u64,
    /// Retries always allowed per time-to-live, in millionths.
    pub reserve_millionths: u64,
    /// The time-to-live, in time units; deposits and withdrawals older than it expire.
    pub ttl: u64,
}

impl BudgetParams {
    /// From the scenario's configuration, with Finagle's 10 s time-to-live.
    pub fn from_config(config: &scenario::RetryBudget, units_per_ms: f64) -> BudgetParams {
        BudgetParams {
            ratio_ppm: fraction_ppm(config.ratio),
            reserve_millionths: (config.min_per_s.max(0.0) * 10.0 * 1_000_000.0).round() as u64,
            ttl: ms_to_units(10_000.0, units_per_ms).max(BUCKETS as u64),
        }
    }
}

/// The requests and retries of the last time-to-live, in buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RetryBudget {
    buckets: [(u64, u32, u32); BUCKETS],
}

impl RetryBudget {
    /// An empty budget.
    pub fn new() -> RetryBudget {
        RetryBudget::default()
    }

    fn bucket(&mut self, p: &BudgetParams, now: u64) -> &mut (u64, u32, u32) {
        let width = (p.ttl / BUCKETS as u64).max(1);
        let epoch = now / width;
        let slot = &mut self.buckets[(epoch % BUCKETS as u64) as usize];
        if slot.0 != epoch {
            *slot = (epoch, 0, 0);
        }
        slot
    }

    fn totals(&self, p: &BudgetParams, now: u64) -> (u64, u64) {
        let width = (p.ttl / BUCKETS as u64).max(1);
        let epoch = now / width;
        self.buckets
            .iter()
            .filter(|(e, _, _)| *e + BUCKETS as u64 > epoch && *e <= epoch)
            .fold((0, 0), |(req, ret), (_, r, t)| {
                (req + u64::from(*r), ret + u64::from(*t))
            })
    }

    /// Records a request (a first attempt).
    pub fn on_request(&mut self, p: &BudgetParams, now: u64) {
        self.bucket(p, now).1 += 1;
    }

    /// Whether a retry may be made now; if so, it is counted.
    pub fn try_retry(&mut self, p: &BudgetParams, now: u64) -> bool {
        let (requests, retries) = self.totals(p, now);
        let allowed = (retries + 1) * 1_000_000 <= p.ratio_ppm * requests + p.reserve_millionths;
        if allowed {
            self.bucket(p, now).2 += 1;
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(ratio: f64, min_per_s: f64) -> BudgetParams {
        BudgetParams::from_config(&scenario::RetryBudget { ratio, min_per_s }, 1.0)
    }

    #[test]
    fn retries_are_a_ratio_of_requests() {
        let p = params(0.2, 0.0);
        let mut b = RetryBudget::new();
        for _ in 0..10 {
            b.on_request(&p, 0);
        }
        assert!(b.try_retry(&p, 0));
        assert!(b.try_retry(&p, 0));
        assert!(!b.try_retry(&p, 0), "20% of 10 requests is 2 retries");
    }

    #[test]
    fn the_reserve_allows_retries_without_requests() {
        // 0.5 per second over a 10 s time-to-live: 5 retries.
        let p = params(0.0, 0.5);
        let mut b = RetryBudget::new();
        for _ in 0..5 {
            assert!(b.try_retry(&p, 0));
        }
        assert!(!b.try_retry(&p, 0));
    }

    #[test]
    fn deposits_expire_after_the_time_to_live() {
        let p = params(1.0, 0.0);
        let mut b = RetryBudget::new();
        b.on_request(&p, 0);
        assert!(b.try_retry(&p, 5_000));
        b.on_request(&p, 1_000);
        // At 12 s the request at 0 s has expired but the one at 1 s is live, and so is the
        // retry at 5 s: one request, one retry, nothing left.
        assert!(!b.try_retry(&p, 10_500));
        // At 16 s everything has expired.
        assert!(!b.try_retry(&p, 16_000));
        b.on_request(&p, 16_000);
        assert!(b.try_retry(&p, 16_000));
    }
}
