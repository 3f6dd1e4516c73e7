//! Experiments: duration, load generators and expectations (the rules in
//! `validate/experiments.rs`; its faults' rules are tested in `faults.rs`).

use super::*;

/// Experiment `e`'s load as a generator on `a.x`, stepping through `steps` (inside the array).
fn steps(steps: &str) -> String {
    with_generator(&format!(
        r#"endpoint = "a.x", arrival = "step", steps = [{steps}]"#
    ))
}

/// `BASE` with an alert `errs` and experiment `e` expecting `expect` of alerts, after `faults`.
fn alert_expected(expect: &str, faults: &str) -> String {
    let line = r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#;
    format!(
        "{}\n[alerts.errs]\nendpoint = \"a.x\"\nmetric = \"error_rate\"\nabove = 0.1\n",
        BASE.replace(
            line,
            &format!("{line}\n{faults}expect = {{ alerts_within_s = {{ {expect} }} }}"),
        )
    )
}

/// The fault the alert of [`alert_expected`] detects.
const FAULT: &str = "faults = [{ at_s = 10, for_s = 10, crash = \"b\" }]\n";

const CASES: &[Case] = &[
    Case {
        name: "invalid_experiment_name",
        text: || {
            format!(
                "{BASE}\n[experiments.\"e 2\"]\nduration_s = 10\nload = [{{ endpoint = \"a.x\", rate_per_s = 1 }}]\n"
            )
        },
        code: codes::INVALID_NAME,
        message: "`e 2` is not a valid experiment name",
        at: "\"e 2\"",
        ..CASE
    },
    Case {
        name: "warmup_is_shorter_than_the_experiment: as long",
        text: || with_experiment("warmup_s = 100"),
        code: codes::OUT_OF_RANGE,
        message: "`warmup_s` (100) must be at least 0 and shorter than `duration_s` (100)",
        at: "warmup_s = |100",
        ..CASE
    },
    Case {
        name: "warmup_is_shorter_than_the_experiment: negative",
        text: || with_experiment("warmup_s = -1"),
        code: codes::OUT_OF_RANGE,
        message: "`warmup_s` (-1)",
        at: "-1",
        ..CASE
    },
    Case {
        name: "an_experiment_needs_load",
        text: || with_load("load = []"),
        code: codes::MISSING_FIELD,
        message: "experiment `e` has no load",
        at: "[]",
        ..CASE
    },
    Case {
        name: "load_gives_endpoint_or_mix_not_both",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                r#"load = [{ endpoint = "a.x", mix = { "b.y" = 1 }, rate_per_s = 10 }]"#,
            )
        },
        code: codes::INCONSISTENT,
        message: "both `endpoint` and `mix`",
        at: "mix",
        ..CASE
    },
    Case {
        name: "load_names_an_endpoint_or_a_mix_of_real_ones: neither",
        text: || with_generator("rate_per_s = 10"),
        code: codes::MISSING_FIELD,
        message: "a load names no endpoint",
        at: "{ rate_per_s",
        ..CASE
    },
    Case {
        name: "load_names_an_endpoint_or_a_mix_of_real_ones: endpoint",
        text: || with_generator(r#"endpoint = "a.q", rate_per_s = 10"#),
        code: codes::UNRESOLVED,
        message: "no endpoint on `a` named `q`",
        at: r#""a.q""#,
        ..CASE
    },
    Case {
        name: "load_names_an_endpoint_or_a_mix_of_real_ones: mix",
        text: || with_generator(r#"mix = { "a.x" = 3, "b.q" = 1 }, rate_per_s = 10"#),
        code: codes::UNRESOLVED,
        message: "no endpoint on `b` named `q`",
        at: r#""b.q""#,
        ..CASE
    },
    Case {
        name: "load_names_an_endpoint_or_a_mix_of_real_ones: weight",
        text: || with_generator(r#"mix = { "a.x" = 0, "b.y" = 1 }, rate_per_s = 10"#),
        code: codes::OUT_OF_RANGE,
        message: "the weight of `a.x` must be positive, not 0",
        at: r#""a.x" = |0"#,
        ..CASE
    },
    Case {
        name: "each_arrival_pattern_needs_its_own_fields: poisson",
        text: || with_generator(r#"endpoint = "a.x""#),
        code: codes::MISSING_FIELD,
        message: "a `poisson` load needs `rate_per_s`",
        at: "{ endpoint",
        ..CASE
    },
    Case {
        name: "each_arrival_pattern_needs_its_own_fields: constant",
        text: || with_generator(r#"endpoint = "a.x", arrival = "constant""#),
        code: codes::MISSING_FIELD,
        message: "a `constant` load needs `rate_per_s`",
        at: "{ endpoint",
        ..CASE
    },
    Case {
        name: "each_arrival_pattern_needs_its_own_fields: ramp",
        text: || with_generator(r#"endpoint = "a.x", arrival = "ramp", to_rate_per_s = 50"#),
        code: codes::MISSING_FIELD,
        message: "a `ramp` load needs `rate_per_s`",
        at: "{ endpoint",
        ..CASE
    },
    Case {
        name: "each_arrival_pattern_needs_its_own_fields: step",
        text: || with_generator(r#"endpoint = "a.x", arrival = "step""#),
        code: codes::MISSING_FIELD,
        message: "a `step` load needs `steps`",
        at: "{ endpoint",
        help: Help::Contains("or steps_csv = \"steps.csv\""),
        ..CASE
    },
    Case {
        name: "each_arrival_pattern_needs_its_own_fields: closed",
        text: || with_generator(r#"endpoint = "a.x", arrival = "closed""#),
        code: codes::MISSING_FIELD,
        message: "a `closed` load needs `users`",
        at: "{ endpoint",
        ..CASE
    },
    Case {
        name: "fields_of_another_arrival_pattern_are_misplaced: to_rate_per_s",
        text: || with_generator(r#"endpoint = "a.x", rate_per_s = 10, to_rate_per_s = 20"#),
        code: codes::INCONSISTENT,
        message: "`to_rate_per_s` only applies to `ramp` loads, not `poisson`",
        at: "to_rate_per_s",
        ..CASE
    },
    Case {
        name: "fields_of_another_arrival_pattern_are_misplaced: steps",
        text: || {
            with_generator(
                r#"endpoint = "a.x", rate_per_s = 10, steps = [{ at_s = 0, rate_per_s = 5 }]"#,
            )
        },
        code: codes::INCONSISTENT,
        message: "`steps` only applies to `step` loads, not `poisson`",
        at: "steps",
        ..CASE
    },
    Case {
        name: "fields_of_another_arrival_pattern_are_misplaced: think_time_ms",
        text: || with_generator(r#"endpoint = "a.x", rate_per_s = 10, think_time_ms = 5"#),
        code: codes::INCONSISTENT,
        message: "`think_time_ms` only applies to `closed` loads, not `poisson`",
        at: "think_time_ms",
        ..CASE
    },
    Case {
        name: "fields_of_another_arrival_pattern_are_misplaced: rate_per_s",
        text: || {
            with_generator(r#"endpoint = "a.x", arrival = "closed", users = 5, rate_per_s = 10"#)
        },
        code: codes::INCONSISTENT,
        message: "`rate_per_s` only applies to `poisson`, `constant` and `ramp` loads, not `closed`",
        at: "rate_per_s",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: constant rate_per_s",
        text: || with_generator(r#"endpoint = "a.x", arrival = "constant", rate_per_s = 0"#),
        code: codes::OUT_OF_RANGE,
        message: "`rate_per_s` must be positive, not 0",
        at: "rate_per_s = |0",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: ramp rate_per_s",
        text: || {
            with_generator(
                r#"endpoint = "a.x", arrival = "ramp", rate_per_s = -1, to_rate_per_s = 50"#,
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`rate_per_s` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: ramp to_rate_per_s",
        text: || {
            with_generator(
                r#"endpoint = "a.x", arrival = "ramp", rate_per_s = 0, to_rate_per_s = -1"#,
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`to_rate_per_s` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: step rate_per_s",
        text: || {
            with_generator(
                r#"endpoint = "a.x", arrival = "step", steps = [{ at_s = 0, rate_per_s = -1 }]"#,
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`rate_per_s` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: closed users",
        text: || with_generator(r#"endpoint = "a.x", arrival = "closed", users = 0"#),
        code: codes::OUT_OF_RANGE,
        message: "`users` must be at least 1",
        at: "users = |0",
        ..CASE
    },
    Case {
        name: "load_rates_are_in_range: closed think_time_ms",
        text: || {
            with_generator(r#"endpoint = "a.x", arrival = "closed", users = 5, think_time_ms = -1"#)
        },
        code: codes::OUT_OF_RANGE,
        message: "`think_time_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "load_steps_are_in_time_order_within_the_experiment: out of order",
        text: || steps("{ at_s = 10, rate_per_s = 5 }, { at_s = 5, rate_per_s = 8 }"),
        code: codes::OUT_OF_RANGE,
        message: "the step at 5 s is not after the previous step, at 10 s",
        at: "at_s = |5",
        ..CASE
    },
    Case {
        name: "load_steps_are_in_time_order_within_the_experiment: at the end",
        text: || steps("{ at_s = 0, rate_per_s = 5 }, { at_s = 100, rate_per_s = 8 }"),
        code: codes::OUT_OF_RANGE,
        message: "the step at 100 s is outside the 100 s experiment",
        at: "at_s = |100",
        ..CASE
    },
    // A step past the end is one mistake; the step after it is not also out of order.
    Case {
        name: "load_steps_are_in_time_order_within_the_experiment: past the end",
        text: || steps("{ at_s = 200, rate_per_s = 5 }, { at_s = 50, rate_per_s = 8 }"),
        code: codes::OUT_OF_RANGE,
        message: "the step at 200 s is outside the 100 s experiment",
        at: "at_s = |200",
        ..CASE
    },
    Case {
        name: "retry_amplification_bound_is_at_least_one",
        text: || with_experiment("expect = { max_retry_amplification = 0.5 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_retry_amplification` is 0.5, below 1",
        at: "0.5",
        ..CASE
    },
    Case {
        name: "an_alert_expectation_names_an_alert_and_needs_a_fault: unresolved",
        text: || alert_expected("nope = 30", FAULT),
        code: codes::UNRESOLVED,
        message: "alert",
        at: "nope",
        ..CASE
    },
    Case {
        name: "an_alert_expectation_names_an_alert_and_needs_a_fault: no fault",
        text: || alert_expected("errs = 30", ""),
        code: codes::OUT_OF_RANGE,
        message: "the experiment has none",
        at: "errs = 30",
        ..CASE
    },
    Case {
        name: "an_alert_expectation_names_an_alert_and_needs_a_fault: detection time",
        text: || alert_expected("errs = 0", FAULT),
        code: codes::OUT_OF_RANGE,
        message: "detection time",
        at: "errs = |0",
        ..CASE
    },
    // Maxima at the key (`crate::limits`).
    Case {
        name: "a_duration_past_a_year",
        text: || BASE.replace("duration_s = 100", "duration_s = 1e300"),
        code: codes::OUT_OF_RANGE,
        message: "`duration_s` is 1e300, above its maximum of 31536000",
        at: "duration_s = |1e300",
        ..CASE
    },
    Case {
        name: "a_rate_past_a_million_per_second",
        text: || with_generator("endpoint = \"a.x\", rate_per_s = 1e7"),
        code: codes::OUT_OF_RANGE,
        message: "`rate_per_s` is 10000000, above its maximum of 1000000",
        at: "rate_per_s = |1e7",
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("warmup_is_shorter_than_the_experiment", || {
        with_experiment("warmup_s = 10")
    }),
    ("load_names_an_endpoint_or_a_mix_of_real_ones", || {
        with_generator(r#"mix = { "a.x" = 3, "b.y" = 1 }, rate_per_s = 10"#)
    }),
    ("load_rates_are_in_range: ramp", || {
        with_generator(r#"endpoint = "a.x", arrival = "ramp", rate_per_s = 0, to_rate_per_s = 50"#)
    }),
    ("load_rates_are_in_range: closed", || {
        with_generator(r#"endpoint = "a.x", arrival = "closed", users = 5, think_time_ms = 100"#)
    }),
    ("load_steps_are_in_time_order_within_the_experiment", || {
        steps("{ at_s = 0, rate_per_s = 5 }, { at_s = 50, rate_per_s = 8 }")
    }),
    ("retry_amplification_bound_is_at_least_one", || {
        with_experiment("expect = { max_retry_amplification = 1 }")
    }),
    (
        "an_alert_expectation_names_an_alert_and_needs_a_fault",
        || alert_expected("errs = 30", FAULT),
    ),
];

#[test]
fn experiment_rules() {
    run(CASES, VALID);
}

#[test]
fn non_positive_durations_and_rates() {
    let text = BASE
        .replace("duration_s = 100", "duration_s = 0")
        .replace("rate_per_s = 10", "rate_per_s = -1");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::OUT_OF_RANGE,
        "`duration_s` must be positive, not 0",
        "duration_s = |0",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::OUT_OF_RANGE,
        "`rate_per_s` must be positive, not -1",
        "-1",
        0,
    );
}

#[test]
fn load_needs_the_fields_of_its_arrival_pattern() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        r#"load = [{ endpoint = "a.x", arrival = "ramp", rate_per_s = 10, users = 3 }]"#,
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::MISSING_FIELD,
        "a `ramp` load needs `to_rate_per_s`",
        "{ endpoint",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::INCONSISTENT,
        "`users` only applies to `closed` loads, not `ramp`",
        "users",
        0,
    );
}
