//! The largest values the scenario format accepts, and the sizes the engines' models hold,
//! stated once. Validation refuses a value past one of these at its key, the JSON Schema
//! carries the same bounds (the `#[schemars(range(...))]` attributes on the scenario types
//! read these constants), and the model checker's own builders keep their checks as a
//! backstop with the same numbers (a test in `tests/cli/validate.rs` holds them equal).
//!
//! Why maxima at all: a number far past any real deployment is a typo or a unit mistake, and
//! the engines cannot run it honestly. `duration_s = 1e300` simulated nothing and passed;
//! `replicas = 4294967295` allocated gigabytes; `max_attempts = 4294967295` ran the checker for
//! minutes. Each bound below is far above what a real system configures, and low enough that
//! the engines stay feasible.

/// Longest simulated time, and longest duration anywhere in a scenario, in seconds: one year
/// (365 days). Every timer in a real system is shorter; the simulator's clock (nanoseconds in
/// a `u64`) holds 584 years, so a year never overflows it.
pub const MAX_DURATION_S: f64 = 365.0 * 24.0 * 3600.0;

/// [`MAX_DURATION_S`] in milliseconds, for the keys in `_ms`.
pub const MAX_DURATION_MS: f64 = MAX_DURATION_S * 1000.0;

/// Highest request rate of one load generator or rate step, per second: a million, the edge
/// of the largest services; the simulator pays for every request, so more would not finish.
pub const MAX_RATE_PER_S: f64 = 1_000_000.0;

/// Most replicas of one service: ten thousand (the simulator keeps state per replica).
pub const MAX_REPLICAS: u32 = 10_000;

/// Most workers of one replica (its pool of concurrent requests): ten thousand.
pub const MAX_WORKERS: u32 = 10_000;

/// Most concurrent calls a policy may declare on one edge (`concurrency`), and so the most
/// callers the model checker counts on one breaker: as many as a replica has workers.
pub const MAX_CONCURRENCY: u32 = MAX_WORKERS;

/// Longest queue of one replica: a million waiting requests.
pub const MAX_QUEUE_CAPACITY: u32 = 1_000_000;

/// Most users of a closed-loop load: a million.
pub const MAX_USERS: u32 = 1_000_000;

/// Most attempts of one call, the first included: 100, the most the policy model checks
/// (`checker::circuit_breaker`); Resilience4j's default is 3.
pub const MAX_ATTEMPTS: u32 = 100;

/// Most trial calls a breaker admits in half-open: 128, the most the breaker model holds
/// (`checker::circuit_breaker::MAX_HALF_OPEN`); Resilience4j's default is 10.
pub const MAX_HALF_OPEN_CALLS: u32 = 128;

/// Largest breaker window (calls or seconds) and minimum number of calls: a hundred thousand.
pub const MAX_WINDOW: u32 = 100_000;

/// Most calls in flight through a bulkhead, or permitted per rate-limit period: a million.
pub const MAX_CONCURRENT_CALLS: u32 = 1_000_000;

/// Most consecutive errors before an outlier is ejected: ten thousand.
pub const MAX_CONSECUTIVE_ERRORS: u32 = 10_000;

/// Largest backoff multiplier, and largest slowdown factor: a thousand.
pub const MAX_FACTOR: f64 = 1_000.0;

/// Largest relative weight (a load mix's, a monolith call's): a billion.
pub const MAX_WEIGHT: f64 = 1e9;

/// Largest retry-amplification bound an experiment may expect: a billion (100 attempts at
/// each of 4 hops is 10⁸).
pub const MAX_AMPLIFICATION: f64 = 1e9;

/// Largest CPU of one service or node, in millicores: ten thousand cores.
pub const MAX_CPU_MILLIS: u32 = 10_000_000;

/// Largest memory of one service or node, in MiB: 16 TiB.
pub const MAX_MEMORY_MIB: u32 = 16 * 1024 * 1024;

/// Most nodes in one zone: a hundred thousand.
pub const MAX_NODES: u32 = 100_000;

/// Most participants of a two-phase commit: 11, the most the 2PC model holds (its state packs
/// 5 bits per participant in a `u64`; `checker::two_phase_commit::MAX_PARTICIPANTS`).
pub const MAX_TWO_PHASE_PARTICIPANTS: usize = 11;

/// Most steps of a saga: 12, the most the saga model holds
/// (`checker::saga::MAX_STEPS`).
pub const MAX_SAGA_STEPS: usize = 12;

/// Schema transforms for the values of maps, which schemars' `range` does not reach.
pub(crate) mod schema {
    use schemars::Schema;
    use serde_json::json;

    fn bound_values(schema: &mut Schema, max: f64) {
        if let Some(values) = schema.get_mut("additionalProperties")
            && let Some(values) = values.as_object_mut()
        {
            values.insert("exclusiveMinimum".to_owned(), json!(0.0));
            values.insert("maximum".to_owned(), json!(max));
        }
    }

    /// Weights of a load mix: positive, at most [`super::MAX_WEIGHT`].
    pub(crate) fn weights(schema: &mut Schema) {
        bound_values(schema, super::MAX_WEIGHT);
    }

    /// Canary weights: fractions of the traffic in (0, 1].
    pub(crate) fn fractions(schema: &mut Schema) {
        if let Some(items) = schema.get_mut("items")
            && let Some(items) = items.as_object_mut()
        {
            items.insert("exclusiveMinimum".to_owned(), json!(0.0));
            items.insert("maximum".to_owned(), json!(1.0));
        }
    }

    /// Detection times of alerts: positive seconds, at most [`super::MAX_DURATION_S`].
    pub(crate) fn detection_times(schema: &mut Schema) {
        bound_values(schema, super::MAX_DURATION_S);
    }
}
