//! Expected verdicts: the gate's pinned outcomes (the rules in `validate/expectations.rs`).

use super::*;

const CASES: &[Case] = &[
    Case {
        name: "expected_verdicts_name_a_real_subject",
        text: || format!("{BASE}\n[expected_verdicts]\n\"ee/slo.s\" = \"violated\"\n"),
        code: codes::UNRESOLVED,
        message: "no transaction or experiment `ee`",
        at: "\"ee/slo.s\"",
        help: Help::Is("did you mean `e`?"),
        ..CASE
    },
    Case {
        name: "expected_verdicts_keys_are_check_ids",
        text: || format!("{BASE}\n[expected_verdicts]\n\"e/nothing\" = \"holds\"\n"),
        code: codes::INCONSISTENT,
        message: "`e/nothing` is not a check id",
        at: "\"e/nothing\"",
        ..CASE
    },
];

const VALID: &[Valid] = &[("expected_verdicts_name_a_real_subject", || {
    format!("{BASE}\n[expected_verdicts]\n\"e/slo.s\" = \"violated\"\n")
})];

#[test]
fn expected_verdict_rules() {
    run(CASES, VALID);
}
