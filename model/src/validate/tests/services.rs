//! S and I: services, their functions, data, resources, endpoints and calls; topics, published
//! and consumed (the rules in `validate/services.rs` and the shared `distribution`).

use super::*;

/// `BASE` with service `a` given the resources `r` (the inside of the inline table).
fn resources(r: &str) -> String {
    BASE.replace(
        r#"functions = ["fa"]"#,
        &format!("functions = [\"fa\"]\nresources = {{ {r} }}"),
    )
}

const CASES: &[Case] = &[
    Case {
        name: "invalid_service_name",
        text: || format!("{BASE}\n[services.\"b c\"]\n"),
        code: codes::INVALID_NAME,
        message: "`b c` is not a valid service name",
        at: "\"b c\"",
        ..CASE
    },
    Case {
        name: "duplicate_function_in_a_service",
        text: || BASE.replace(r#"functions = ["fa"]"#, r#"functions = ["fa", "fb", "fa"]"#),
        code: codes::DUPLICATE,
        message: "function `fa` is listed twice",
        at: r#""fa""#,
        nth: 1,
        ..CASE
    },
    Case {
        name: "unresolved_data_store",
        text: || {
            BASE.replace(
                r#"data = { db = "read-write" }"#,
                r#"data = { dbb = "read" }"#,
            )
        },
        code: codes::UNRESOLVED,
        message: "no data store `dbb`",
        at: "dbb",
        ..CASE
    },
    Case {
        name: "resources_are_at_least_one: cpu_millis",
        text: || resources("cpu_millis = 0, memory_mib = 256"),
        code: codes::OUT_OF_RANGE,
        message: "`cpu_millis` must be at least 1",
        at: "cpu_millis = |0",
        ..CASE
    },
    Case {
        name: "resources_are_at_least_one: memory_mib",
        text: || resources("cpu_millis = 500, memory_mib = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`memory_mib` must be at least 1",
        at: "memory_mib = |0",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: constant ms",
        text: || with_work(r#"work = { dist = "constant", ms = -1 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: exponential mean_ms",
        text: || with_work(r#"work = { dist = "exponential", mean_ms = 0 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`mean_ms` must be positive, not 0",
        at: "mean_ms = |0",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: normal mean_ms",
        text: || with_work(r#"work = { dist = "normal", mean_ms = 0, stddev_ms = 1 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`mean_ms` must be positive, not 0",
        at: "mean_ms = |0",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: normal stddev_ms",
        text: || with_work(r#"work = { dist = "normal", mean_ms = 5, stddev_ms = -1 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`stddev_ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: lognormal p50_ms",
        text: || with_work(r#"work = { dist = "lognormal", p50_ms = 0, p99_ms = 5 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`p50_ms` must be positive, not 0",
        at: "p50_ms = |0",
        ..CASE
    },
    // A non-positive p99 is one mistake, not also a percentile order one.
    Case {
        name: "work_distribution_parameters_are_durations: lognormal p99_ms",
        text: || with_work(r#"work = { dist = "lognormal", p50_ms = 5, p99_ms = -1 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`p99_ms` must be positive, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "work_distribution_parameters_are_durations: empirical sample",
        text: || with_work(r#"work = { dist = "empirical", samples_ms = [1, -2, 3] }"#),
        code: codes::OUT_OF_RANGE,
        message: "sample -2 ms is not a duration",
        at: "-2",
        ..CASE
    },
    Case {
        name: "p99_below_p50",
        text: || {
            BASE.replace(
                r#"work = { dist = "constant", ms = 1 }"#,
                r#"work = { dist = "lognormal", p50_ms = 10, p99_ms = 2 }"#,
            )
        },
        code: codes::PERCENTILES,
        message: "`p99_ms` (2) is below `p50_ms` (10)",
        at: "2 }",
        ..CASE
    },
    Case {
        name: "empirical_distribution_needs_samples",
        text: || {
            BASE.replace(
                r#"work = { dist = "constant", ms = 1 }"#,
                r#"work = { dist = "empirical" }"#,
            )
        },
        code: codes::MISSING_FIELD,
        message: "needs samples",
        at: "{ dist",
        ..CASE
    },
    Case {
        name: "unresolved_service_in_a_call_suggests_the_closest_name",
        text: || BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["bb.y"]"#),
        code: codes::UNRESOLVED,
        message: "no service `bb`",
        at: r#""bb.y""#,
        help: Help::Is("did you mean `b`?"),
        ..CASE
    },
    Case {
        name: "unresolved_endpoint_lists_the_services_endpoints",
        text: || BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b.nope"]"#),
        code: codes::UNRESOLVED,
        message: "no endpoint on `b` named `nope`",
        at: r#""b.nope""#,
        help: Help::Is("`b` has `y`"),
        ..CASE
    },
    Case {
        name: "a_call_to_a_service_without_endpoints_says_how_to_add_one",
        text: || format!("{}\n[services.c]\n", with_calls(r#"calls = ["c.y"]"#)),
        code: codes::UNRESOLVED,
        message: "no endpoint on `c` named `y`",
        at: r#""c.y""#,
        help: Help::Is("`c` declares no endpoints; add [services.c.endpoints.y]"),
        ..CASE
    },
    Case {
        name: "a_call_to_a_bare_service_is_not_an_endpoint_reference",
        text: || BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b"]"#),
        code: codes::UNRESOLVED,
        message: "`b` is not an endpoint reference",
        at: r#""b""#,
        help: Help::Contains("`y`"),
        ..CASE
    },
    Case {
        name: "parallel_calls_are_checked_one_by_one",
        text: || BASE.replace(r#"calls = ["b.y"]"#, r#"calls = [["b.y", "b.z"]]"#),
        code: codes::UNRESOLVED,
        message: "named `z`",
        at: r#""b.z""#,
        ..CASE
    },
    Case {
        name: "an_empty_parallel_group",
        text: || with_calls(r#"calls = ["b.y", []]"#),
        code: codes::OUT_OF_RANGE,
        message: "an empty parallel group",
        at: "[]",
        ..CASE
    },
    Case {
        name: "a_call_probability_is_a_fraction: above 1",
        text: || with_calls(r#"calls = [{ endpoint = "b.y", probability = 1.5 }]"#),
        code: codes::OUT_OF_RANGE,
        message: "the call's `probability` is 1.5, outside [0, 1]",
        at: "1.5",
        ..CASE
    },
    Case {
        name: "a_call_probability_is_a_fraction: negative, in a parallel group",
        text: || with_calls(r#"calls = [["b.y", { endpoint = "b.y", probability = -0.5 }]]"#),
        code: codes::OUT_OF_RANGE,
        message: "the call's `probability` is -0.5",
        at: "-0.5",
        ..CASE
    },
    Case {
        name: "a_call_probability_is_a_fraction: a percentage",
        text: || with_calls(r#"calls = [{ endpoint = "b.y", probability = 50 }]"#),
        code: codes::OUT_OF_RANGE,
        message: "is 50, outside [0, 1]",
        at: "50",
        help: Help::Is("give a fraction: 0.5 rather than 50 (percent)"),
        ..CASE
    },
    // I: topics, published and consumed.
    Case {
        name: "invalid_topic_name",
        text: || format!("{BASE}\n[topics.\"e.v\"]\n"),
        code: codes::INVALID_NAME,
        message: "`e.v` is not a valid topic name",
        at: "\"e.v\"",
        ..CASE
    },
    Case {
        name: "unresolved_topic_in_publishes",
        text: || {
            BASE.replace(
                r#"calls = ["b.y"]"#,
                "calls = [\"b.y\"]\npublishes = [\"evt\"]",
            )
        },
        code: codes::UNRESOLVED,
        message: "no topic `evt`",
        at: r#""evt""#,
        ..CASE
    },
    Case {
        name: "duplicate_topic_in_publishes",
        text: || {
            format!(
                "{}\n[topics.evt]\n",
                with_calls("calls = [\"b.y\"]\npublishes = [\"evt\", \"evt\"]")
            )
        },
        code: codes::DUPLICATE,
        message: "topic `evt` is listed twice",
        at: "\"evt\"",
        nth: 1,
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("resources_are_at_least_one", || {
        resources("cpu_millis = 500, memory_mib = 256")
    }),
    ("work_distribution_parameters_are_durations", || {
        with_work(r#"work = { dist = "normal", mean_ms = 5, stddev_ms = 0 }"#)
    }),
    ("a_call_probability_is_a_fraction", || {
        with_calls(r#"calls = [{ endpoint = "b.y", probability = 0.5 }]"#)
    }),
];

#[test]
fn service_rules() {
    run(CASES, VALID);
}

#[test]
fn names_cannot_carry_reference_punctuation() {
    let text = BASE.replace(
        "[services.b]\n[services.b.endpoints.y]",
        "[services.b]\n[services.b.endpoints.\"y.z\"]",
    );
    let d = errors(&text);
    let invalid = d
        .iter()
        .find(|d| d.code == codes::INVALID_NAME)
        .expect("an invalid name");
    assert_located(
        invalid,
        &text,
        codes::INVALID_NAME,
        "`y.z` is not a valid endpoint name",
        "\"y.z\"",
        0,
    );
}

#[test]
fn unresolved_consumed_topic_and_handler() {
    let text = format!(
        "{BASE}\n[topics.evt]\n[services.b.consumes.evt]\nhandler = \"nope\"\n[services.b.consumes.other]\nhandler = \"y\"\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::UNRESOLVED,
        "named `nope`",
        "\"nope\"",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "no topic `other`",
        "other",
        0,
    );
}
