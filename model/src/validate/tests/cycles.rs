//! The whole architecture: synchronous call cycles (the rule in `validate/cycles.rs`).

use super::*;

const CASES: &[Case] = &[
    Case {
        name: "synchronous_call_cycle_names_the_cycle",
        text: || {
            BASE.replace(
                r#"work = { dist = "constant", ms = 1 }"#,
                "work = { dist = \"constant\", ms = 1 }\ncalls = [\"a.x\"]",
            )
        },
        code: codes::SYNC_CYCLE,
        message: "synchronous call cycle: a.x → b.y → a.x",
        at: "\"b.y\"",
        ..CASE
    },
    Case {
        name: "an_endpoint_calling_itself_is_a_cycle",
        text: || BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b.y", ["a.x"]]"#),
        code: codes::SYNC_CYCLE,
        message: "a.x → a.x",
        at: "\"a.x\"]",
        ..CASE
    },
];

const VALID: &[Valid] = &[("events_do_not_make_cycles", || {
    format!(
        "{}\n[topics.evt]\n[services.a.consumes.evt]\nhandler = \"x\"\n",
        BASE.replace(
            r#"work = { dist = "constant", ms = 1 }"#,
            "work = { dist = \"constant\", ms = 1 }\npublishes = [\"evt\"]"
        )
    )
})];

#[test]
fn cycle_rules() {
    run(CASES, VALID);
}
