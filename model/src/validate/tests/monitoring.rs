//! M: monitoring: SLOs, alerts, metrics and tracing (the rules in `validate/monitoring.rs`).

use super::*;

/// `BASE` with an alert `name` of `body`.
fn alert(name: &str, body: &str) -> String {
    format!("{BASE}\n[alerts.{name}]\n{body}\n")
}

/// A valid error-rate alert's body.
const ALERT: &str = "endpoint = \"a.x\"\nmetric = \"error_rate\"\nabove = 0.1";

const CASES: &[Case] = &[
    Case {
        name: "invalid_slo_name",
        text: || format!("{BASE}\n[slos.\"s 2\"]\nendpoint = \"a.x\"\navailability = 0.9\n"),
        code: codes::INVALID_NAME,
        message: "`s 2` is not a valid SLO name",
        at: "\"s 2\"",
        ..CASE
    },
    Case {
        name: "unresolved_slo_endpoint",
        text: || {
            BASE.replace(
                r#"endpoint = "a.x"
availability"#,
                r#"endpoint = "a.q"
availability"#,
            )
        },
        code: codes::UNRESOLVED,
        message: "named `q`",
        at: r#""a.q""#,
        ..CASE
    },
    Case {
        name: "availability_given_as_a_percent_is_shown_as_its_fraction_without_float_noise",
        text: || BASE.replace("availability = 0.99", "availability = 99.9"),
        code: codes::OUT_OF_RANGE,
        message: "`availability` is 99.9, outside (0, 1]",
        at: "availability = |99.9",
        help: Help::Is("give a fraction: 0.999 rather than 99.9 (percent)"),
        ..CASE
    },
    Case {
        name: "availability_must_be_a_positive_fraction",
        text: || BASE.replace("availability = 0.99", "availability = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`availability` is 0",
        at: "availability = |0",
        ..CASE
    },
    Case {
        name: "slo_latency_targets_are_positive: zero",
        text: || BASE.replace("availability = 0.99", "latency_p99_ms = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`latency_p99_ms` must be positive, not 0",
        at: "latency_p99_ms = |0",
        ..CASE
    },
    // One mistake, one diagnostic: not also "below `latency_p50_ms`".
    Case {
        name: "slo_latency_targets_are_positive: negative after a lower percentile",
        text: || {
            BASE.replace(
                "availability = 0.99",
                "latency_p50_ms = 100\nlatency_p99_ms = -1",
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`latency_p99_ms` must be positive, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "slo_percentile_targets_must_rise",
        text: || {
            BASE.replace(
                "availability = 0.99",
                "latency_p50_ms = 100\nlatency_p99_ms = 50",
            )
        },
        code: codes::PERCENTILES,
        message: "`latency_p99_ms` (50) is below `latency_p50_ms` (100)",
        at: "50\n",
        ..CASE
    },
    Case {
        name: "an_slo_needs_a_target",
        text: || BASE.replace("availability = 0.99\n", ""),
        code: codes::MISSING_FIELD,
        message: "SLO `s` sets no target",
        at: "[slos.|s]",
        ..CASE
    },
    Case {
        name: "slo_window_is_positive",
        text: || BASE.replace("availability = 0.99", "availability = 0.99\nwindow_s = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`window_s` must be positive, not 0",
        at: "window_s = |0",
        ..CASE
    },
    Case {
        name: "alerts_watch_real_endpoints_with_sane_thresholds: name",
        text: || alert("\"errs/5xx\"", ALERT),
        code: codes::INVALID_NAME,
        message: "`errs/5xx` is not a valid alert name",
        at: "\"errs/5xx\"",
        ..CASE
    },
    Case {
        name: "alerts_watch_real_endpoints_with_sane_thresholds: endpoint",
        text: || alert("errs", &ALERT.replace("a.x", "a.q")),
        code: codes::UNRESOLVED,
        message: "no endpoint on `a` named `q`",
        at: "\"a.q\"",
        ..CASE
    },
    Case {
        name: "alerts_watch_real_endpoints_with_sane_thresholds: error rate",
        text: || alert("errs", &ALERT.replace("0.1", "5")),
        code: codes::OUT_OF_RANGE,
        message: "the error-rate threshold `above` is 5, outside [0, 1]",
        at: "above = |5",
        help: Help::Is("give a fraction: 0.05 rather than 5 (percent)"),
        ..CASE
    },
    Case {
        name: "alerts_watch_real_endpoints_with_sane_thresholds: latency",
        text: || {
            alert(
                "slow",
                "endpoint = \"a.x\"\nmetric = \"latency_p99_ms\"\nabove = -1",
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`above` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "alerts_watch_real_endpoints_with_sane_thresholds: for_s",
        text: || alert("errs", &format!("{ALERT}\nfor_s = -1")),
        code: codes::OUT_OF_RANGE,
        message: "`for_s` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "metrics_interval: metrics_interval_s",
        text: || format!("{BASE}\n[monitoring]\nmetrics_interval_s = 0\n"),
        code: codes::OUT_OF_RANGE,
        message: "`metrics_interval_s` must be positive, not 0",
        at: "metrics_interval_s = |0",
        ..CASE
    },
    Case {
        name: "a_key_nothing_reads_yet_is_refused: trace_sampling",
        text: || format!("{BASE}\n[monitoring]\ntrace_sampling = 0.1\n"),
        code: codes::UNKNOWN_FIELD,
        message: "`trace_sampling` has no effect yet: nothing samples traces",
        at: "|trace_sampling",
        help: Help::Contains("remove it"),
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("an_slo_needs_a_target", || {
        BASE.replace("availability = 0.99", "latency_p90_ms = 200")
    }),
    ("alerts_watch_real_endpoints_with_sane_thresholds", || {
        alert("errs", ALERT)
    }),
    ("metrics_interval", || {
        format!("{BASE}\n[monitoring]\nmetrics_interval_s = 5\n")
    }),
];

#[test]
fn monitoring_rules() {
    run(CASES, VALID);
}
