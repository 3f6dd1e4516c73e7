//! Options that mean nothing where they are written (the rules in `validate/meaning.rs`).

use super::*;

/// A saga `t` coordinated by `a`, of one step.
const SAGA: &str =
    "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\" }]";

/// A two-phase commit `t` from `a` to `b`.
const TWO_PHASE: &str =
    "protocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]";

const CASES: &[Case] = &[
    Case {
        name: "coordinator_crash_on_a_choreographed_saga",
        text: || {
            with_transaction(
                "protocol = \"saga\"\nstyle = \"choreographed\"\nsteps = [{ service = \"b\", action = \"y\" }]\nfaults = { coordinator_crash = true }",
            )
        },
        code: codes::INCONSISTENT,
        message: "a choreographed saga has no coordinator to crash",
        at: "|coordinator_crash",
        ..CASE
    },
    Case {
        name: "an_outbox_on_an_orchestrated_saga",
        text: || {
            with_transaction(
                "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\" }]\nfaults = { outbox = \"dual_write\" }",
            )
        },
        code: codes::INCONSISTENT,
        message: "`outbox` applies to choreography",
        at: "|outbox",
        ..CASE
    },
    Case {
        name: "a_topic_on_an_orchestrated_step",
        text: || {
            with_transaction(
                "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\", topic = \"t\" }]",
            )
            .replace("[slos.s]", "[topics.t]\n[slos.s]")
        },
        code: codes::INCONSISTENT,
        message: "a step's `topic` applies to choreography",
        at: "|topic = ",
        ..CASE
    },
    Case {
        name: "saga_recoveries_without_their_fault: redelivery",
        text: || with_transaction(&format!("{SAGA}\nfaults = {{ redelivery = true }}")),
        code: codes::INCONSISTENT,
        message: "`redelivery` redelivers lost messages, and none are lost",
        at: "|redelivery",
        ..CASE
    },
    Case {
        name: "saga_recoveries_without_their_fault: compensation_retry",
        text: || with_transaction(&format!("{SAGA}\nfaults = {{ compensation_retry = true }}")),
        code: codes::INCONSISTENT,
        message: "`compensation_retry` retries failed compensations, and none fail",
        at: "|compensation_retry",
        ..CASE
    },
    Case {
        name: "two_phase_options_for_a_coordinator_that_never_crashes_or_recovers: presumed_abort",
        text: || {
            with_transaction(&format!(
                "{TWO_PHASE}\nfaults = {{ coordinator_crash = \"permanent\", presumed_abort = true }}"
            ))
        },
        code: codes::INCONSISTENT,
        message: "`presumed_abort` applies to a coordinator that recovers",
        at: "|presumed_abort",
        ..CASE
    },
    Case {
        name: "two_phase_options_for_a_coordinator_that_never_crashes_or_recovers: participant_timeout",
        text: || {
            with_transaction(&format!(
                "{TWO_PHASE}\nfaults = {{ participant_timeout = true }}"
            ))
        },
        code: codes::INCONSISTENT,
        message: "`participant_timeout` applies while the coordinator is down",
        at: "|participant_timeout",
        ..CASE
    },
    Case {
        name: "a_breaker_implementation_without_a_breaker: no breaker",
        text: || with_policy("retry = { max_attempts = 3 }\nimplementation = \"no_half_open\""),
        code: codes::INCONSISTENT,
        message: "`implementation = \"no_half_open\"` is a circuit breaker's, and this policy has none",
        at: "|implementation",
        ..CASE
    },
    Case {
        name: "a_breaker_implementation_without_a_breaker: no retry",
        text: || {
            with_policy(
                "circuit_breaker = { sliding_window_size = 2 }\nimplementation = \"breaker_wraps_retry\"",
            )
        },
        code: codes::INCONSISTENT,
        message: "`breaker_wraps_retry` composes a breaker with a retry, and this policy has no retry",
        at: "|implementation",
        ..CASE
    },
    Case {
        name: "retry_options_without_their_meaning: multiplier",
        text: || with_policy("retry = { max_attempts = 3, multiplier = 3.0 }"),
        code: codes::INCONSISTENT,
        message: "`multiplier` grows exponential waits, and the backoff is fixed",
        at: "|multiplier",
        ..CASE
    },
    Case {
        name: "retry_options_without_their_meaning: breaker_open",
        text: || {
            with_policy("retry = { max_attempts = 3, retry_on = [\"error\", \"breaker_open\"] }")
        },
        code: codes::INCONSISTENT,
        message: "`breaker_open` retries calls a circuit breaker rejects, and this policy has none",
        at: "\"error\", |\"breaker_open\"",
        ..CASE
    },
    Case {
        name: "retry_options_without_their_meaning: budget",
        text: || with_policy("retry = { max_attempts = 1, budget = { ratio = 0.2 } }"),
        code: codes::INCONSISTENT,
        message: "a retry budget limits retries, and `max_attempts = 1` makes none",
        at: "|budget",
        ..CASE
    },
    Case {
        name: "expectations_on_endpoints_no_load_reaches: an SLO",
        text: || {
            with_experiment("expect = { slos = [\"s\", \"lonely\"] }").replace(
                "[slos.s]",
                "[services.c.endpoints.z]\n[slos.lonely]\nendpoint = \"c.z\"\navailability = 0.9\n[slos.s]",
            )
        },
        code: codes::INCONSISTENT,
        message: "SLO `lonely` watches `c.z`, which no load of this experiment reaches",
        at: "\"s\", |\"lonely\"",
        ..CASE
    },
    Case {
        name: "expectations_on_endpoints_no_load_reaches: an alert",
        text: || {
            with_fault("at_s = 10, crash = \"b\"")
                .replace(
                    "[slos.s]",
                    "[services.c.endpoints.z]\n[alerts.quiet]\nendpoint = \"c.z\"\nmetric = \"error_rate\"\nabove = 0.1\n[slos.s]",
                )
                .replace(
                    "faults = [",
                    "expect = { alerts_within_s = { quiet = 30 } }\nfaults = [",
                )
        },
        code: codes::INCONSISTENT,
        message: "alert `quiet` watches `c.z`, which no load of this experiment reaches",
        at: "|quiet = 30",
        ..CASE
    },
    Case {
        name: "slow_call_settings_a_timeout_makes_unreachable",
        text: || {
            with_policy("timeout_ms = 100\ncircuit_breaker = { slow_call_rate_threshold = 0.5 }")
        },
        code: codes::INCONSISTENT,
        message: "`slow_call_rate_threshold` counts calls slower than 60000 ms, and `timeout_ms = 100` ends every call before that",
        at: "|slow_call_rate_threshold",
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("saga_recoveries_without_their_fault", || {
        with_transaction(&format!(
            "{SAGA}\nfaults = {{ message_loss = true, redelivery = true }}"
        ))
    }),
    (
        "two_phase_options_for_a_coordinator_that_never_crashes_or_recovers",
        || {
            with_transaction(&format!(
                "{TWO_PHASE}\nfaults = {{ coordinator_crash = \"recover_with_log\", presumed_abort = true, participant_timeout = true }}"
            ))
        },
    ),
    ("retry_options_without_their_meaning", || {
        with_policy("retry = { max_attempts = 3, backoff = \"exponential\", multiplier = 3.0 }")
    }),
    // Reached through a call of the loaded endpoint: measured, so meaningful.
    ("expectations_on_endpoints_no_load_reaches", || {
        with_experiment("expect = { slos = [\"deep\"] }").replace(
            "[slos.s]",
            "[slos.deep]\nendpoint = \"b.y\"\navailability = 0.9\n[slos.s]",
        )
    }),
    ("slow_call_settings_a_timeout_makes_unreachable", || {
        with_policy(
            "timeout_ms = 300\ncircuit_breaker = { slow_call_duration_ms = 200, slow_call_rate_threshold = 0.5 }",
        )
    }),
];

#[test]
fn meaningless_option_rules() {
    run(CASES, VALID);
}
