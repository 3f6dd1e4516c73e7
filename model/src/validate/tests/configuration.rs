//! C: resilience policies on call edges: their keys, and each setting's range (the rules in
//! `validate/configuration.rs`, and the maxima of `crate::limits` they apply).

use super::*;

/// `BASE` with a policy on its edge `a -> b` whose circuit breaker sets `field`.
fn breaker(field: &str) -> String {
    with_policy(&format!("circuit_breaker = {{ {field} }}"))
}

const CASES: &[Case] = &[
    Case {
        name: "unresolved_policy_edge_service",
        text: || format!("{BASE}\n[policies.\"a -> bb\"]\ntimeout_ms = 5\n"),
        code: codes::UNRESOLVED,
        message: "no service `bb`",
        at: "\"a -> bb\"",
        ..CASE
    },
    Case {
        name: "a_glob_policy_that_matches_no_service",
        text: || format!("{BASE}\n[policies.\"q* -> b\"]\ntimeout_ms = 5\n"),
        code: codes::UNRESOLVED,
        message: "`q*` matches no service",
        at: "\"q* -> b\"",
        ..CASE
    },
    Case {
        name: "malformed_policy_edge",
        text: || format!("{BASE}\n[policies.\"a b\"]\ntimeout_ms = 5\n"),
        code: codes::INCONSISTENT,
        message: "is not a call edge",
        at: "\"a b\"",
        ..CASE
    },
    Case {
        name: "policy_on_an_edge_that_no_endpoint_calls",
        text: || format!("{BASE}\n[policies.\"b -> a\"]\ntimeout_ms = 5\n"),
        code: codes::UNUSED_POLICY,
        message: "no endpoint makes a call on `b -> a`",
        at: "\"b -> a\"",
        ..CASE
    },
    Case {
        name: "a_misspelt_call_is_reported_once_not_echoed_as_an_unused_policy",
        text: || with_policy("timeout_ms = 5").replace(CALLS, r#"calls = ["bb.y"]"#),
        code: codes::UNRESOLVED,
        message: "no service `bb`",
        at: "\"bb.y\"",
        ..CASE
    },
    Case {
        name: "equally_specific_policies_on_one_edge_are_ambiguous",
        text: || {
            format!(
                "{BASE}\n[policies.\"* -> b\"]\ntimeout_ms = 5\n[policies.\"a -> *\"]\ntimeout_ms = 9\n"
            )
        },
        code: codes::AMBIGUOUS_POLICY,
        message: "both match `a -> b`",
        at: "\"a -> *\"",
        ..CASE
    },
    Case {
        name: "the_same_edge_written_twice_is_a_duplicate",
        text: || {
            format!(
                "{BASE}\n[policies.\"a -> b\"]\ntimeout_ms = 5\n[policies.\"a->b\"]\ntimeout_ms = 9\n"
            )
        },
        code: codes::DUPLICATE,
        message: "is the same edge as",
        at: "\"a->b\"",
        ..CASE
    },
    Case {
        name: "non_positive_timeout",
        text: || format!("{BASE}\n[policies.\"a -> b\"]\ntimeout_ms = 0\n"),
        code: codes::OUT_OF_RANGE,
        message: "`timeout_ms` must be positive",
        at: "timeout_ms = |0",
        ..CASE
    },
    Case {
        name: "non_positive_deadline",
        text: || with_policy("deadline_ms = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`deadline_ms` must be positive, not 0",
        at: "deadline_ms = |0",
        ..CASE
    },
    Case {
        name: "retry_settings_are_in_range: max_attempts",
        text: || with_policy("retry = { max_attempts = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_attempts` must be at least 1",
        at: "max_attempts = |0",
        ..CASE
    },
    Case {
        name: "retry_settings_are_in_range: wait_ms",
        text: || with_policy("retry = { wait_ms = -1 }"),
        code: codes::OUT_OF_RANGE,
        message: "`wait_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "retry_settings_are_in_range: multiplier",
        text: || with_policy("retry = { backoff = \"exponential\", multiplier = 0.5 }"),
        code: codes::OUT_OF_RANGE,
        message: "`multiplier` must be at least 1, not 0.5",
        at: "0.5",
        ..CASE
    },
    Case {
        name: "retry_settings_are_in_range: max_wait_ms below wait_ms",
        text: || with_policy("retry = { wait_ms = 100, max_wait_ms = 50 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_wait_ms` (50) is below `wait_ms` (100)",
        at: "50",
        ..CASE
    },
    // The default `wait_ms` (500) counts too, and the help says so.
    Case {
        name: "retry_settings_are_in_range: max_wait_ms below the default wait_ms",
        text: || with_policy("retry = { max_wait_ms = 50 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_wait_ms` (50) is below `wait_ms` (500)",
        at: "50",
        help: Help::Contains("500"),
        ..CASE
    },
    // TOML has `nan`: it is no cap, and no comparison may let it through.
    Case {
        name: "retry_settings_are_in_range: max_wait_ms nan",
        text: || with_policy("retry = { max_wait_ms = nan }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_wait_ms` must be zero or more, not NaN",
        at: "nan",
        ..CASE
    },
    Case {
        name: "retry_budget_is_a_ratio_and_a_floor: ratio",
        text: || with_policy("retry = { budget = { ratio = 1.5 } }"),
        code: codes::OUT_OF_RANGE,
        message: "the budget's `ratio` is 1.5, outside [0, 1]",
        at: "1.5",
        ..CASE
    },
    Case {
        name: "retry_budget_is_a_ratio_and_a_floor: min_per_s",
        text: || with_policy("retry = { budget = { ratio = 0.2, min_per_s = -1 } }"),
        code: codes::OUT_OF_RANGE,
        message: "`min_per_s` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "breaker_thresholds_are_fractions",
        text: || {
            BASE.replace(
                "[services.b]\n",
                "[policies.\"a -> b\"]\ncircuit_breaker = { failure_rate_threshold = 50 }\n\n[services.b]\n",
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`failure_rate_threshold` is 50, outside (0, 1]",
        at: "50",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: slow_call_rate_threshold",
        text: || breaker("slow_call_rate_threshold = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`slow_call_rate_threshold` is 0, outside (0, 1]",
        at: "slow_call_rate_threshold = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: slow_call_duration_ms",
        text: || breaker("slow_call_duration_ms = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`slow_call_duration_ms` must be positive, not 0",
        at: "slow_call_duration_ms = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: sliding_window_size",
        text: || breaker("sliding_window_size = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`sliding_window_size` must be at least 1",
        at: "sliding_window_size = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: minimum_number_of_calls",
        text: || breaker("minimum_number_of_calls = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`minimum_number_of_calls` must be at least 1",
        at: "minimum_number_of_calls = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: wait_duration_in_open_state_ms",
        text: || breaker("wait_duration_in_open_state_ms = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`wait_duration_in_open_state_ms` must be positive, not 0",
        at: "wait_duration_in_open_state_ms = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: permitted_number_of_calls_in_half_open_state",
        text: || breaker("permitted_number_of_calls_in_half_open_state = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`permitted_number_of_calls_in_half_open_state` must be at least 1",
        at: "permitted_number_of_calls_in_half_open_state = |0",
        ..CASE
    },
    Case {
        name: "circuit_breaker_settings_are_in_range: max_wait_duration_in_half_open_state_ms",
        text: || breaker("max_wait_duration_in_half_open_state_ms = -1"),
        code: codes::OUT_OF_RANGE,
        message: "`max_wait_duration_in_half_open_state_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "bulkhead_settings_are_in_range: max_concurrent_calls",
        text: || with_policy("bulkhead = { max_concurrent_calls = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_concurrent_calls` must be at least 1",
        at: "max_concurrent_calls = |0",
        ..CASE
    },
    Case {
        name: "bulkhead_settings_are_in_range: max_wait_ms",
        text: || with_policy("bulkhead = { max_concurrent_calls = 4, max_wait_ms = -1 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_wait_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "rate_limit_settings_are_in_range: limit_for_period",
        text: || {
            with_policy("rate_limit = { limit_for_period = 0, limit_refresh_period_ms = 100 }")
        },
        code: codes::OUT_OF_RANGE,
        message: "`limit_for_period` must be at least 1",
        at: "limit_for_period = |0",
        ..CASE
    },
    Case {
        name: "rate_limit_settings_are_in_range: limit_refresh_period_ms",
        text: || with_policy("rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`limit_refresh_period_ms` must be positive, not 0",
        at: "limit_refresh_period_ms = |0",
        ..CASE
    },
    Case {
        name: "rate_limit_settings_are_in_range: timeout_ms",
        text: || {
            with_policy(
                "rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 100, timeout_ms = -1 }",
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`timeout_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "fallback_latency_is_a_duration",
        text: || with_policy("fallback = { latency_ms = -1 }"),
        code: codes::OUT_OF_RANGE,
        message: "`latency_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "outlier_detection_settings_are_in_range: consecutive_errors",
        text: || with_policy("outlier_detection = { consecutive_errors = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`consecutive_errors` must be at least 1",
        at: "consecutive_errors = |0",
        ..CASE
    },
    Case {
        name: "outlier_detection_settings_are_in_range: base_ejection_time_ms",
        text: || with_policy("outlier_detection = { base_ejection_time_ms = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`base_ejection_time_ms` must be positive, not 0",
        at: "base_ejection_time_ms = |0",
        ..CASE
    },
    Case {
        name: "outlier_detection_settings_are_in_range: max_ejection_fraction",
        text: || with_policy("outlier_detection = { max_ejection_fraction = 150 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_ejection_fraction` is 150, outside [0, 1]",
        help: Help::Is("give a fraction between 0 and 1"),
        at: "150",
        ..CASE
    },
    Case {
        name: "the_old_percent_key_names_its_fraction: a percent",
        text: || with_policy("outlier_detection = { max_ejection_percent = 34 }"),
        code: codes::UNKNOWN_FIELD,
        message: "`max_ejection_percent` is now `max_ejection_fraction`, a fraction from 0 to 1",
        help: Help::Is("write `max_ejection_fraction = 0.34` (34 % as a fraction)"),
        at: "|max_ejection_percent",
        ..CASE
    },
    Case {
        name: "the_old_percent_key_names_its_fraction: a fraction already",
        text: || with_policy("outlier_detection = { max_ejection_percent = 0.29 }"),
        code: codes::UNKNOWN_FIELD,
        message: "`max_ejection_percent` is now `max_ejection_fraction`",
        help: Help::Is(
            "write `max_ejection_fraction = 0.29` for 29 %, or `max_ejection_fraction = 0.0029` for 0.29 %",
        ),
        at: "|max_ejection_percent",
        ..CASE
    },
    // Maxima at the key (`crate::limits`).
    Case {
        name: "half_open_trial_calls_past_the_breaker_model",
        text: || {
            with_policy("circuit_breaker = { permitted_number_of_calls_in_half_open_state = 129 }")
        },
        code: codes::OUT_OF_RANGE,
        message: "`permitted_number_of_calls_in_half_open_state` is 129, above its maximum of 128",
        at: "half_open_state = |129",
        ..CASE
    },
    Case {
        name: "attempts_past_the_policy_model",
        text: || with_policy("retry = { max_attempts = 4294967295 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_attempts` is 4294967295, above its maximum of 100",
        at: "max_attempts = |4294967295",
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("retry_settings_are_in_range", || {
        with_policy(
            "retry = { max_attempts = 3, wait_ms = 50, backoff = \"exponential\", multiplier = 2.0, max_wait_ms = 400 }",
        )
    }),
    ("retry_budget_is_a_ratio_and_a_floor", || {
        with_policy("retry = { budget = { ratio = 0.2, min_per_s = 10 } }")
    }),
    ("circuit_breaker_settings_are_in_range", || {
        breaker(
            "failure_rate_threshold = 0.5, sliding_window_size = 20, minimum_number_of_calls = 10",
        )
    }),
    ("bulkhead_settings_are_in_range", || {
        with_policy("bulkhead = { max_concurrent_calls = 4, max_wait_ms = 10 }")
    }),
    ("rate_limit_settings_are_in_range", || {
        with_policy("rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 100 }")
    }),
    ("outlier_detection_settings_are_in_range", || {
        with_policy("outlier_detection = { consecutive_errors = 3, max_ejection_fraction = 0.5 }")
    }),
    ("half_open_trial_calls_past_the_breaker_model", || {
        with_policy("circuit_breaker = { permitted_number_of_calls_in_half_open_state = 128 }")
    }),
    ("attempts_past_the_policy_model", || {
        with_policy("retry = { max_attempts = 100 }")
    }),
];

#[test]
fn policy_rules() {
    run(CASES, VALID);
}

#[test]
fn glob_policies_that_match_a_call_are_used() {
    let text = format!(
        "{BASE}\n[policies.\"* -> b\"]\ntimeout_ms = 5\n[policies.\"a -> b\"]\ntimeout_ms = 9\n"
    );
    let loaded = load(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let (key, policy) = loaded.scenario.policy_for("a", "b").unwrap();
    assert_eq!((key, policy.timeout_ms), ("a -> b", Some(9.0)));
}
