//! Experiments' faults: their time, their one action and its options, and what they name (the
//! fault rules in `validate/experiments.rs`).

use super::*;

/// Experiment `e` crashing `b` in zone `z2`, where `b` has no replica.
fn zone_crash() -> String {
    format!(
        "{}\n[network]\nzones = [\"z1\", \"z2\"]\n[deployment.b]\nreplicas = 2\nzones = [\"z1\"]\n",
        BASE.replace(
            r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
            "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", zone = \"z2\" }]",
        )
    )
}

/// Experiment `e` crashing `b` with a new version, which only a deploy has.
fn new_version_on_a_crash() -> String {
    BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", new_version = { error_rate = 0.5 } }]",
    )
}

/// A latency fault adding `add_ms` on `link`.
fn latency(link: &str, add_ms: f64) -> String {
    with_fault(&format!(
        "at_s = 1, latency = {{ link = \"{link}\", add_ms = {add_ms} }}"
    ))
}

/// An error fault on `target` at `rate`.
fn errors_at(target: &str, rate: f64) -> String {
    with_fault(&format!(
        "at_s = 1, errors = {{ target = \"{target}\", rate = {rate} }}"
    ))
}

/// A partition between `from` and `to`.
fn partition(from: &str, to: &str) -> String {
    with_fault(&format!(
        "at_s = 1, partition = {{ from = \"{from}\", to = \"{to}\" }}"
    ))
}

const CASES: &[Case] = &[
    Case {
        name: "fault_starting_after_the_experiment",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 100, crash = \"b\" }]",
            )
        },
        code: codes::FAULT_WINDOW,
        message: "starts at 100 s, outside the 100 s experiment",
        at: "100,",
        ..CASE
    },
    Case {
        name: "a_fault_window_past_the_end_is_worded_without_float_noise",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 99.9, for_s = 0.2, crash = \"b\" }]",
            )
        },
        code: codes::FAULT_WINDOW,
        message: "the fault ends at 100.1 s, after the 100 s experiment",
        at: "0.2,",
        help: Help::Is("make `for_s` at most 0.1, or omit it to last to the end"),
        ..CASE
    },
    Case {
        name: "fault_ending_after_the_experiment",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 90, for_s = 20, crash = \"b\" }]",
            )
        },
        code: codes::FAULT_WINDOW,
        message: "ends at 110 s",
        at: "20,",
        help: Help::Is("make `for_s` at most 10, or omit it to last to the end"),
        ..CASE
    },
    Case {
        name: "a_fault_lasts_a_positive_time",
        text: || with_fault(r#"at_s = 1, for_s = 0, crash = "b""#),
        code: codes::OUT_OF_RANGE,
        message: "`for_s` must be positive, not 0",
        at: "for_s = |0",
        ..CASE
    },
    Case {
        name: "a_fault_with_no_action",
        text: || with_fault("at_s = 1"),
        code: codes::INCONSISTENT,
        message: "a fault with no action",
        at: "{ at_s = 1",
        ..CASE
    },
    Case {
        name: "a_fault_written_as_a_table_is_reported_at_its_header",
        text: || format!("{BASE}\n[[experiments.e.faults]]\nat_s = 1\n"),
        code: codes::INCONSISTENT,
        message: "a fault with no action",
        at: "[[experiments.e.faults]]",
        ..CASE
    },
    Case {
        name: "a_fault_needs_exactly_one_action",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", deploy = \"b\" }]",
            )
        },
        code: codes::INCONSISTENT,
        message: "a fault with 2 actions (crash, deploy)",
        at: "{ at_s = 1",
        ..CASE
    },
    Case {
        name: "crashing_more_replicas_than_deployed",
        text: || {
            BASE.replace(
                r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", replicas = 3 }]",
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "crashes 3 replicas of `b`, which has 1",
        at: "3 }",
        ..CASE
    },
    Case {
        name: "crashing_zero_replicas",
        text: || with_fault(r#"at_s = 1, crash = "b", replicas = 0"#),
        code: codes::OUT_OF_RANGE,
        message: "`replicas` must be at least 1",
        at: "replicas = |0",
        ..CASE
    },
    Case {
        name: "replicas_and_zone_belong_to_a_crash: replicas",
        text: || with_fault(r#"at_s = 1, deploy = "b", replicas = 1"#),
        code: codes::INCONSISTENT,
        message: "`replicas` only applies to a `crash` fault",
        at: "replicas",
        ..CASE
    },
    Case {
        name: "replicas_and_zone_belong_to_a_crash: zone",
        text: || with_fault(r#"at_s = 1, deploy = "b", zone = "z1""#),
        code: codes::INCONSISTENT,
        message: "`zone` only applies to a `crash` fault",
        at: "zone",
        ..CASE
    },
    Case {
        name: "a_zone_crash_needs_replicas_in_that_zone: none there",
        text: zone_crash,
        code: codes::INCONSISTENT,
        message: "`b` has no replica in zone `z2`",
        at: "\"z2\" }",
        ..CASE
    },
    Case {
        name: "a_zone_crash_needs_replicas_in_that_zone: more than there",
        text: || zone_crash().replace("zone = \"z2\" }", "zone = \"z1\", replicas = 3 }"),
        code: codes::OUT_OF_RANGE,
        message: "crashes 3 replicas of `b`, which has 2 in zone `z1`",
        at: "3 }",
        ..CASE
    },
    Case {
        name: "latency_faults_name_a_real_link: unresolved service",
        text: || latency("a -> zz", 5.0),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"a -> zz\"",
        ..CASE
    },
    Case {
        name: "latency_faults_name_a_real_link: glob matching nothing",
        text: || latency("a -> q*", 5.0),
        code: codes::UNRESOLVED,
        message: "`q*` matches no service",
        at: "\"a -> q*\"",
        ..CASE
    },
    Case {
        name: "latency_faults_name_a_real_link: not an edge",
        text: || latency("a b", 5.0),
        code: codes::INCONSISTENT,
        message: "`a b` is not a call edge",
        at: "\"a b\"",
        ..CASE
    },
    Case {
        name: "latency_faults_name_a_real_link: add_ms",
        text: || latency("a -> b", 0.0),
        code: codes::OUT_OF_RANGE,
        message: "`add_ms` must be positive, not 0",
        at: "add_ms = |0",
        ..CASE
    },
    Case {
        name: "error_faults_target_a_real_service_or_endpoint: service",
        text: || errors_at("zz", 0.5),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"zz\"",
        ..CASE
    },
    Case {
        name: "error_faults_target_a_real_service_or_endpoint: endpoint",
        text: || errors_at("b.q", 0.5),
        code: codes::UNRESOLVED,
        message: "no endpoint on `b` named `q`",
        at: "\"b.q\"",
        ..CASE
    },
    Case {
        name: "error_faults_target_a_real_service_or_endpoint: rate",
        text: || errors_at("b", 2.0),
        code: codes::OUT_OF_RANGE,
        message: "the error `rate` is 2, outside [0, 1]",
        at: "rate = |2",
        ..CASE
    },
    Case {
        name: "partition_sides_are_services_or_zones",
        text: || {
            format!(
                "{}\n[network]\nzones = [\"z1\"]\n",
                BASE.replace(
                    r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
                    "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, partition = { from = \"zone:z9\", to = \"a\" } }]",
                )
            )
        },
        code: codes::UNRESOLVED,
        message: "no zone `z9`",
        at: "\"zone:z9\"",
        ..CASE
    },
    Case {
        name: "partition_sides_are_real_and_different: unresolved",
        text: || partition("zz", "b"),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"zz\"",
        ..CASE
    },
    Case {
        name: "partition_sides_are_real_and_different: the same",
        text: || partition("a", "a"),
        code: codes::INCONSISTENT,
        message: "a partition between `a` and itself",
        at: "to = |\"a\"",
        ..CASE
    },
    Case {
        name: "slowdown_factor_is_positive",
        text: || with_fault(r#"at_s = 1, slowdown = { service = "b", factor = 0 }"#),
        code: codes::OUT_OF_RANGE,
        message: "`factor` must be positive, not 0",
        at: "factor = |0",
        ..CASE
    },
    Case {
        name: "a_deploy_names_a_real_service",
        text: || with_fault(r#"at_s = 1, deploy = "bb""#),
        code: codes::UNRESOLVED,
        message: "no service `bb`",
        at: "\"bb\"",
        help: Help::Is("did you mean `b`?"),
        ..CASE
    },
    Case {
        name: "a_new_version_belongs_to_a_deploy: on a crash",
        text: new_version_on_a_crash,
        code: codes::INCONSISTENT,
        message: "`new_version` only applies to a `deploy` fault",
        at: "new_version",
        ..CASE
    },
    Case {
        name: "a_new_version_belongs_to_a_deploy: error_rate",
        text: || {
            new_version_on_a_crash()
                .replace("crash = \"b\"", "deploy = \"b\"")
                .replace("0.5", "1.5")
        },
        code: codes::OUT_OF_RANGE,
        message: "error_rate",
        at: "1.5",
        ..CASE
    },
    Case {
        name: "a_new_version_slowdown_is_positive",
        text: || with_fault(r#"at_s = 1, deploy = "b", new_version = { slowdown = 0 }"#),
        code: codes::OUT_OF_RANGE,
        message: "the new version's `slowdown` must be positive, not 0",
        at: "slowdown = |0",
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("latency_faults_name_a_real_link", || latency("a -> b", 5.0)),
    (
        "error_faults_target_a_real_service_or_endpoint: service",
        || errors_at("b", 0.5),
    ),
    (
        "error_faults_target_a_real_service_or_endpoint: endpoint",
        || errors_at("b.y", 0.5),
    ),
    ("partition_sides_are_real_and_different", || {
        partition("a", "b")
    }),
];

#[test]
fn fault_rules() {
    run(CASES, VALID);
}

#[test]
fn unresolved_experiment_targets() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, for_s = 2, crash = \"zz\" }, { at_s = 1, slowdown = { service = \"bx\", factor = 2 } }]\nexpect = { slos = [\"s2\"] }",
    );
    let d = errors(&text);
    assert_eq!(d.len(), 3, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "no service `bx`",
        "\"bx\"",
        0,
    );
    assert_located(&d[2], &text, codes::UNRESOLVED, "no SLO `s2`", "\"s2\"", 0);
}
