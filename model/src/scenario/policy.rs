//! C of the seven-tuple: resilience policies on call edges, with Resilience4j's names (and
//! Envoy's for outlier detection) so users recognise them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The resilience policy applied by a caller to its calls on one edge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Time limit of one attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub timeout_ms: Option<f64>,
    /// Time limit of the whole call, all attempts and backoff included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub deadline_ms: Option<f64>,
    /// Retry failed attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryConfig>,
    /// Stop calling a failing callee for a while.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreakerConfig>,
    /// Bound the caller's concurrent calls to this callee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulkhead: Option<Bulkhead>,
    /// Bound the caller's call rate to this callee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Answer with a degraded response instead of an error when the call fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    /// Eject replicas of the callee that keep failing from load balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<OutlierDetection>,
    /// How many calls on this edge one caller replica has in flight at once, which is how many
    /// callers share its circuit breaker (policy state is per caller replica). Default: what
    /// the architecture allows, the caller's `workers` times the most calls one request makes
    /// on this edge in parallel. Declare it when something the scenario does not describe
    /// bounds it lower (a connection pool, a semaphore in the client). 1 to 10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_CONCURRENCY))]
    pub concurrency: Option<u32>,
    /// Which implementation of the breaker and retry the model checker verifies: Resilience4j's
    /// (the default, and the only one the simulator runs), or a known-buggy hand-rolled one, so
    /// a gallery file can show what `microcosm verify` catches.
    #[serde(default, skip_serializing_if = "PolicyImplementation::is_default")]
    pub implementation: PolicyImplementation,
}

/// A circuit-breaker-and-retry implementation for the model checker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyImplementation {
    /// Resilience4j's semantics, composed as `Retry(CircuitBreaker(call))`.
    #[default]
    Resilience4j,
    /// Known bug: OPEN never moves to HALF_OPEN (no way out of OPEN).
    NoHalfOpen,
    /// Known bug: HALF_OPEN admits every call, not the permitted number of trial calls.
    UnlimitedHalfOpen,
    /// Known bug: calls the breaker rejects are recorded as failures.
    CountsRejections,
    /// Known bug: the breaker wraps the retry loop, so retries bypass an OPEN breaker.
    BreakerWrapsRetry,
    /// Known bug: HALF_OPEN closes on the first successful trial call, without waiting for
    /// the other permitted trial calls' results, so trial results that meet the failure
    /// threshold close it when a success comes last.
    FirstSuccessCloses,
}

impl PolicyImplementation {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Retry, with Resilience4j's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts in all, the first included (Resilience4j `maxAttempts`, default 3).
    #[serde(default = "RetryConfig::default_max_attempts")]
    #[schemars(range(min = 1, max = crate::limits::MAX_ATTEMPTS))]
    pub max_attempts: u32,
    /// Wait before the first retry (Resilience4j `waitDuration`, default 500 ms).
    #[serde(default = "RetryConfig::default_wait_ms")]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub wait_ms: f64,
    /// How the wait grows between retries.
    #[serde(default)]
    pub backoff: Backoff,
    /// Growth factor of exponential backoff (Resilience4j default 1.5).
    #[serde(default = "RetryConfig::default_multiplier")]
    #[schemars(range(min = 1, max = crate::limits::MAX_FACTOR))]
    pub multiplier: f64,
    /// Cap on one wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub max_wait_ms: Option<f64>,
    /// Randomisation of the wait (AWS Architecture Blog, "Exponential Backoff and Jitter").
    #[serde(default)]
    pub jitter: Jitter,
    /// Which failures are retried.
    #[serde(default = "RetryConfig::default_retry_on")]
    pub retry_on: Vec<RetryOn>,
    /// Cap on retries as a share of requests (Envoy/Finagle retry budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<RetryBudget>,
}

impl RetryConfig {
    fn default_max_attempts() -> u32 {
        3
    }
    fn default_wait_ms() -> f64 {
        500.0
    }
    fn default_multiplier() -> f64 {
        1.5
    }
    fn default_retry_on() -> Vec<RetryOn> {
        vec![RetryOn::Error, RetryOn::Timeout]
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: Self::default_max_attempts(),
            wait_ms: Self::default_wait_ms(),
            backoff: Backoff::default(),
            multiplier: Self::default_multiplier(),
            max_wait_ms: None,
            jitter: Jitter::default(),
            retry_on: Self::default_retry_on(),
            budget: None,
        }
    }
}

/// How retry waits grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backoff {
    /// Every wait is `wait_ms`.
    #[default]
    Fixed,
    /// The n-th wait is `wait_ms · multiplier^(n−1)`, capped at `max_wait_ms`.
    Exponential,
}

/// Jitter, as defined in AWS's "Exponential Backoff and Jitter".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Jitter {
    /// The computed wait exactly.
    #[default]
    None,
    /// Uniform in [0, wait].
    Full,
    /// wait/2 plus uniform in [0, wait/2].
    Equal,
    /// Uniform in [wait_ms, 3 · previous wait], capped.
    Decorrelated,
}

/// A kind of failure that may be retried.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RetryOn {
    /// The callee answered with an error.
    Error,
    /// The attempt timed out.
    Timeout,
    /// The circuit breaker rejected the attempt without calling.
    BreakerOpen,
}

/// Retries allowed as a share of requests, plus a floor (Envoy's retry budget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    /// Retries at most this fraction of the requests in flight, in [0, 1].
    #[schemars(range(min = 0, max = 1))]
    pub ratio: f64,
    /// Retries always allowed per second, whatever the ratio.
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_RATE_PER_S))]
    pub min_per_s: f64,
}

/// Circuit breaker, with Resilience4j's names and defaults. Rates are fractions in (0, 1]:
/// Resilience4j's `failureRateThreshold = 50` (percent) is `failure_rate_threshold = 0.5`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// Open when the failure rate is at least this (default 0.5).
    #[serde(default = "CircuitBreakerConfig::default_failure_rate_threshold")]
    #[schemars(range(max = 1), extend("exclusiveMinimum" = 0))]
    pub failure_rate_threshold: f64,
    /// Open when the share of slow calls is at least this (default 1.0).
    #[serde(default = "CircuitBreakerConfig::default_slow_call_rate_threshold")]
    #[schemars(range(max = 1), extend("exclusiveMinimum" = 0))]
    pub slow_call_rate_threshold: f64,
    /// A call is slow when it takes strictly longer than this (default 60 000 ms).
    #[serde(default = "CircuitBreakerConfig::default_slow_call_duration_ms")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub slow_call_duration_ms: f64,
    /// Whether the window counts the last N calls or the calls of the last N seconds.
    #[serde(default)]
    pub sliding_window_type: SlidingWindowType,
    /// N: calls (count-based) or seconds (time-based) in the window (default 100).
    #[serde(default = "CircuitBreakerConfig::default_sliding_window_size")]
    #[schemars(range(min = 1, max = crate::limits::MAX_WINDOW))]
    pub sliding_window_size: u32,
    /// Calls the window needs before rates are computed (default 100).
    #[serde(default = "CircuitBreakerConfig::default_minimum_number_of_calls")]
    #[schemars(range(min = 1, max = crate::limits::MAX_WINDOW))]
    pub minimum_number_of_calls: u32,
    /// How long the breaker stays open before it lets trial calls through (default 60 000 ms).
    #[serde(default = "CircuitBreakerConfig::default_wait_duration_in_open_state_ms")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub wait_duration_in_open_state_ms: f64,
    /// Trial calls admitted in half-open (default 10).
    #[serde(
        default = "CircuitBreakerConfig::default_permitted_number_of_calls_in_half_open_state"
    )]
    #[schemars(range(min = 1, max = crate::limits::MAX_HALF_OPEN_CALLS))]
    pub permitted_number_of_calls_in_half_open_state: u32,
    /// Longest time in half-open before it opens again; 0 waits for all trial calls (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub max_wait_duration_in_half_open_state_ms: f64,
    /// Move from open to half-open on a timer rather than on the next call (default false).
    #[serde(default)]
    pub automatic_transition_from_open_to_half_open_enabled: bool,
}

impl CircuitBreakerConfig {
    fn default_failure_rate_threshold() -> f64 {
        0.5
    }
    fn default_slow_call_rate_threshold() -> f64 {
        1.0
    }
    fn default_slow_call_duration_ms() -> f64 {
        60_000.0
    }
    fn default_sliding_window_size() -> u32 {
        100
    }
    fn default_minimum_number_of_calls() -> u32 {
        100
    }
    fn default_wait_duration_in_open_state_ms() -> f64 {
        60_000.0
    }
    fn default_permitted_number_of_calls_in_half_open_state() -> u32 {
        10
    }
}

impl Default for CircuitBreakerConfig {
    /// Resilience4j's defaults.
    fn default() -> Self {
        CircuitBreakerConfig {
            failure_rate_threshold: Self::default_failure_rate_threshold(),
            slow_call_rate_threshold: Self::default_slow_call_rate_threshold(),
            slow_call_duration_ms: Self::default_slow_call_duration_ms(),
            sliding_window_type: SlidingWindowType::default(),
            sliding_window_size: Self::default_sliding_window_size(),
            minimum_number_of_calls: Self::default_minimum_number_of_calls(),
            wait_duration_in_open_state_ms: Self::default_wait_duration_in_open_state_ms(),
            permitted_number_of_calls_in_half_open_state:
                Self::default_permitted_number_of_calls_in_half_open_state(),
            max_wait_duration_in_half_open_state_ms: 0.0,
            automatic_transition_from_open_to_half_open_enabled: false,
        }
    }
}

/// The circuit breaker's sliding window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlidingWindowType {
    /// The last `sliding_window_size` calls.
    #[default]
    CountBased,
    /// The calls of the last `sliding_window_size` seconds.
    TimeBased,
}

/// Bulkhead: at most `max_concurrent_calls` calls in flight to the callee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bulkhead {
    /// Calls allowed in flight at once (Resilience4j default 25).
    #[schemars(range(min = 1, max = crate::limits::MAX_CONCURRENT_CALLS))]
    pub max_concurrent_calls: u32,
    /// How long a call may wait for a slot before it is rejected (default 0: reject at once).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub max_wait_ms: f64,
}

/// Rate limiter, with Resilience4j's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Calls permitted per refresh period.
    #[schemars(range(min = 1, max = crate::limits::MAX_CONCURRENT_CALLS))]
    pub limit_for_period: u32,
    /// The refresh period (Resilience4j default 500 ns; here milliseconds).
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub limit_refresh_period_ms: f64,
    /// How long a call may wait for permission before it is rejected (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub timeout_ms: f64,
}

/// A degraded response served when the call fails (after retries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    /// What the degraded response is, for reports (e.g. "empty recommendations").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Time taken to produce the fallback (default 0).
    #[serde(default)]
    #[schemars(range(min = 0, max = crate::limits::MAX_DURATION_MS))]
    pub latency_ms: f64,
}

/// Outlier ejection, with Envoy's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlierDetection {
    /// Consecutive errors from a replica that eject it (Envoy default 5).
    #[serde(default = "OutlierDetection::default_consecutive_errors")]
    #[schemars(range(min = 1, max = crate::limits::MAX_CONSECUTIVE_ERRORS))]
    pub consecutive_errors: u32,
    /// How long the first ejection lasts; the n-th lasts n times this (Envoy default 30 s).
    #[serde(default = "OutlierDetection::default_base_ejection_time_ms")]
    #[schemars(range(max = crate::limits::MAX_DURATION_MS), extend("exclusiveMinimum" = 0))]
    pub base_ejection_time_ms: f64,
    /// At most this fraction of replicas is ejected at once, in [0, 1] (default 0.1). Envoy's
    /// `max_ejection_percent = 10` is `max_ejection_fraction = 0.1`: every rate and share in a
    /// scenario is a fraction.
    #[serde(default = "OutlierDetection::default_max_ejection_fraction")]
    #[schemars(range(min = 0, max = 1))]
    pub max_ejection_fraction: f64,
}

impl OutlierDetection {
    fn default_consecutive_errors() -> u32 {
        5
    }
    fn default_base_ejection_time_ms() -> f64 {
        30_000.0
    }
    fn default_max_ejection_fraction() -> f64 {
        0.1
    }
}
