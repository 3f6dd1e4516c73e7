//! Transactions: two-phase commit and sagas, within what the checker's models hold (the rules
//! in `validate/transactions.rs`).

use super::*;

/// A two-phase commit `t` coordinated by `coordinator` over `participants` (a TOML array).
fn two_phase(coordinator: &str, participants: &str) -> String {
    with_transaction(&format!(
        "protocol = \"two_phase_commit\"\ncoordinator = \"{coordinator}\"\nparticipants = {participants}"
    ))
}

/// A two-phase commit `t` from `a` to `b` with the lines `extra`.
fn two_phase_with(extra: &str) -> String {
    with_transaction(&format!(
        "protocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]\n{extra}"
    ))
}

/// A saga `t` of one step, `b.y`, with the lines `head`.
fn saga_headed(head: &str) -> String {
    with_transaction(&format!(
        "protocol = \"saga\"\n{head}\nsteps = [{{ service = \"b\", action = \"y\" }}]"
    ))
}

/// A saga `t` coordinated by `a` with the steps `steps` (a TOML array).
fn saga_steps(steps: &str) -> String {
    with_transaction(&format!(
        "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = {steps}"
    ))
}

/// A saga `t` of one step with the lines `head` and the saga log `log`. A choreographed saga
/// has no coordinator to crash: only an orchestrated one gets the fault.
fn saga_log(head: &str, log: &str) -> String {
    let crash = if head.contains("choreographed") {
        ""
    } else {
        "coordinator_crash = true, "
    };
    with_transaction(&format!(
        "protocol = \"saga\"\n{head}\nsteps = [{{ service = \"b\", action = \"y\" }}]\n\
         faults = {{ {crash}saga_log = {log} }}"
    ))
}

/// `BASE` with twelve more services, all participants of one two-phase commit.
fn twelve_participants() -> String {
    let mut text = BASE.to_owned();
    let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    for n in &names {
        text.push_str(&format!("[services.{n}]\n"));
    }
    let list = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    text.push_str(&format!(
        "[transactions.t]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [{list}]\n"
    ));
    text
}

const CASES: &[Case] = &[
    Case {
        name: "invalid_transaction_name",
        text: || {
            format!(
                "{BASE}\n[transactions.\"t x\"]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]\n"
            )
        },
        code: codes::INVALID_NAME,
        message: "`t x` is not a valid transaction name",
        at: "\"t x\"",
        ..CASE
    },
    Case {
        name: "two_phase_commit_names_real_services_and_a_participant: coordinator",
        text: || two_phase("zz", "[\"b\"]"),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"zz\"",
        ..CASE
    },
    Case {
        name: "two_phase_commit_names_real_services_and_a_participant: participant",
        text: || two_phase("a", "[\"b\", \"q\"]"),
        code: codes::UNRESOLVED,
        message: "no service `q`",
        at: "\"q\"",
        ..CASE
    },
    Case {
        name: "two_phase_commit_names_real_services_and_a_participant: none",
        text: || two_phase("a", "[]"),
        code: codes::MISSING_FIELD,
        message: "two-phase commit needs at least one participant",
        at: "[]",
        ..CASE
    },
    Case {
        name: "duplicate_participants",
        text: || {
            format!(
                "{BASE}\n[transactions.t]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\", \"b\"]\n"
            )
        },
        code: codes::DUPLICATE,
        message: "participant `b` is listed twice",
        at: "\"b\"]",
        ..CASE
    },
    Case {
        name: "a_two_phase_coordinator_that_is_also_a_participant",
        text: || two_phase("a", "[\"b\", \"a\"]"),
        code: codes::INCONSISTENT,
        message: "`a` is the coordinator and also a participant",
        at: "\"b\", |\"a\"",
        ..CASE
    },
    Case {
        name: "more_participants_than_the_two_phase_model_holds",
        text: twelve_participants,
        code: codes::OUT_OF_RANGE,
        message: "has 12 participants; the 2PC model holds at most 11",
        at: "participants = |[",
        ..CASE
    },
    // Under TwoPhase any participant may vote no: `false` would be a promise left unchecked.
    Case {
        name: "participants_may_vote_no_belongs_to_sequential_prepare: true",
        text: || two_phase_with("participants_may_vote_no = true"),
        code: codes::INCONSISTENT,
        message: "applies only to sequential prepare",
        at: "participants_may_vote_no",
        help: Help::Contains("prepare = \"sequential\""),
        ..CASE
    },
    Case {
        name: "participants_may_vote_no_belongs_to_sequential_prepare: false",
        text: || two_phase_with("participants_may_vote_no = false"),
        code: codes::INCONSISTENT,
        message: "applies only to sequential prepare",
        at: "participants_may_vote_no",
        help: Help::Contains("prepare = \"sequential\""),
        ..CASE
    },
    Case {
        name: "a_saga_coordinator_is_a_real_service_of_an_orchestrated_saga: unresolved",
        text: || saga_headed("coordinator = \"zz\""),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"zz\"",
        ..CASE
    },
    Case {
        name: "a_saga_coordinator_is_a_real_service_of_an_orchestrated_saga: choreographed",
        text: || saga_headed("style = \"choreographed\"\ncoordinator = \"a\""),
        code: codes::INCONSISTENT,
        message: "a choreographed saga has no coordinator",
        at: "coordinator = ",
        ..CASE
    },
    Case {
        name: "saga_steps_exist_and_name_real_endpoints_and_topics: none",
        text: || saga_steps("[]"),
        code: codes::MISSING_FIELD,
        message: "a saga needs at least one step",
        at: "[]",
        ..CASE
    },
    Case {
        name: "saga_steps_exist_and_name_real_endpoints_and_topics: service",
        text: || saga_steps("[{ service = \"q\", action = \"y\" }]"),
        code: codes::UNRESOLVED,
        message: "no service `q`",
        at: "\"q\"",
        ..CASE
    },
    Case {
        name: "saga_steps_exist_and_name_real_endpoints_and_topics: action",
        text: || saga_steps("[{ service = \"b\", action = \"z\" }]"),
        code: codes::UNRESOLVED,
        message: "no endpoint on `b` named `z`",
        at: "\"z\"",
        ..CASE
    },
    // A topic is a choreographed step's (on an orchestrated one it means nothing).
    Case {
        name: "saga_steps_exist_and_name_real_endpoints_and_topics: topic",
        text: || {
            saga_steps("[{ service = \"b\", action = \"y\", topic = \"evt\" }]")
                .replace("coordinator = \"a\"", "style = \"choreographed\"")
        },
        code: codes::UNRESOLVED,
        message: "no topic `evt`",
        at: "\"evt\"",
        ..CASE
    },
    Case {
        name: "a_saga_has_at_most_one_pivot",
        text: || {
            format!(
                "{BASE}\n[transactions.pay]\nprotocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{{ service = \"b\", action = \"y\", pivot = true }}, {{ service = \"b\", action = \"y\", pivot = true }}]\n"
            )
        },
        code: codes::INCONSISTENT,
        message: "at most one pivot",
        at: "true",
        nth: 2,
        ..CASE
    },
    Case {
        name: "more_steps_than_the_saga_model_holds",
        text: || {
            saga_steps(&format!(
                "[{}]",
                vec!["{ service = \"b\", action = \"y\" }"; 13].join(", ")
            ))
        },
        code: codes::OUT_OF_RANGE,
        message: "has 13 steps; the saga model holds at most 12",
        at: "steps = |[",
        ..CASE
    },
    Case {
        name: "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: true",
        text: || saga_log("style = \"choreographed\"", "true"),
        code: codes::INCONSISTENT,
        message: "a choreographed saga has no coordinator to keep a saga log",
        at: "saga_log = |true",
        help: Help::Contains("remove `saga_log`"),
        ..CASE
    },
    Case {
        name: "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: after_step",
        text: || saga_log("style = \"choreographed\"", "\"after_step\""),
        code: codes::INCONSISTENT,
        message: "a choreographed saga has no coordinator to keep a saga log",
        at: "saga_log = |\"after_step\"",
        help: Help::Contains("remove `saga_log`"),
        ..CASE
    },
];

const VALID: &[Valid] = &[
    (
        "two_phase_commit_names_real_services_and_a_participant",
        || two_phase("a", "[\"b\"]"),
    ),
    (
        "a_saga_coordinator_is_a_real_service_of_an_orchestrated_saga",
        || saga_headed("style = \"choreographed\""),
    ),
    (
        "participants_may_vote_no_belongs_to_sequential_prepare: sequential",
        || two_phase_with("prepare = \"sequential\"\nparticipants_may_vote_no = true"),
    ),
    (
        "participants_may_vote_no_belongs_to_sequential_prepare: sequential_abort_prepared",
        || two_phase_with("prepare = \"sequential_abort_prepared\""),
    ),
    (
        "participants_may_vote_no_belongs_to_sequential_prepare: parallel",
        || two_phase_with("prepare = \"parallel\""),
    ),
    (
        "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: true",
        || saga_log("coordinator = \"a\"", "true"),
    ),
    (
        "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: false",
        || saga_log("coordinator = \"a\"", "false"),
    ),
    (
        "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: before_step",
        || saga_log("coordinator = \"a\"", "\"before_step\""),
    ),
    (
        "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: after_step",
        || saga_log("coordinator = \"a\"", "\"after_step\""),
    ),
    (
        "saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one: choreographed false",
        || saga_log("style = \"choreographed\"", "false"),
    ),
];

#[test]
fn transaction_rules() {
    run(CASES, VALID);
}

#[test]
fn orchestrated_saga_needs_a_coordinator_and_real_actions() {
    let text = format!(
        "{BASE}\n[transactions.pay]\nprotocol = \"saga\"\nsteps = [{{ service = \"b\", action = \"y\", compensation = \"undo\" }}]\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::MISSING_FIELD,
        "names no coordinator",
        "pay",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "named `undo`",
        "\"undo\"",
        0,
    );
}

#[test]
fn participants_may_vote_no_belongs_to_sequential_prepare() {
    let text = two_phase_with("prepare = \"serial\"");
    assert_value_error(&text, "\"serial\"", "sequential_abort_prepared");
}

#[test]
fn saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one() {
    let loaded = load(&saga_log("coordinator = \"a\"", "true")).unwrap();
    let crate::Transaction::Saga { faults, .. } = &loaded.scenario.transactions["t"] else {
        panic!("a saga")
    };
    assert_eq!(
        faults.saga_log,
        crate::SagaLog::BeforeStep,
        "true is before_step"
    );
    let text = saga_log("coordinator = \"a\"", "\"sometimes\"");
    assert_value_error(&text, "\"sometimes\"", "after_step");
}
