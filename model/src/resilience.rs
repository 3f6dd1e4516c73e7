//! The semantics of resilience policies, written once: Resilience4j's circuit breaker, retry
//! with AWS's backoff-and-jitter schedules, and a Finagle-style retry budget. Both engines drive
//! this code — the model checker in abstract ticks, the simulator in nanoseconds — so what is
//! verified is what is simulated.
//!
//! Everything here is a pure state machine over integer time in caller-chosen units: no clock,
//! no randomness (jitter takes a uniform draw from the caller), no allocation after construction
//! for windows of up to 128 calls. Parameters are converted from the scenario's milliseconds by
//! `from_config(…, units_per_ms)`.

pub mod amplification;
pub mod breaker;
pub mod budget;
pub mod retry;
pub mod window;

pub use breaker::{Breaker, BreakerParams, BreakerState, Permission, Transition};
pub use budget::{BudgetParams, RetryBudget};
pub use retry::{Failure, RetryParams};
pub use window::{Snapshot, Window};

/// Converts milliseconds to whole time units, rounding up so a positive duration never becomes 0.
pub fn ms_to_units(ms: f64, units_per_ms: f64) -> u64 {
    let units = (ms * units_per_ms).ceil();
    if units <= 0.0 || !units.is_finite() {
        0
    } else if units >= u64::MAX as f64 {
        u64::MAX
    } else {
        units as u64
    }
}

/// A fraction in [0, 1] as parts per million, so threshold comparisons are exact integer
/// arithmetic (`3 of 10 ≥ 0.3` holds, as it does in Resilience4j's percent floats).
pub fn fraction_ppm(fraction: f64) -> u64 {
    (fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_up_to_units() {
        assert_eq!(ms_to_units(1.0, 1_000_000.0), 1_000_000);
        assert_eq!(ms_to_units(0.4, 1.0), 1);
        assert_eq!(ms_to_units(0.0, 1.0), 0);
        assert_eq!(ms_to_units(f64::INFINITY, 1.0), 0);
    }

    #[test]
    fn fractions_become_exact_parts_per_million() {
        assert_eq!(fraction_ppm(0.3), 300_000);
        assert_eq!(fraction_ppm(0.5), 500_000);
        assert_eq!(fraction_ppm(1.0), 1_000_000);
    }
}
