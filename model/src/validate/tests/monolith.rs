//! The monolith to decompose (the rules in `validate/monolith.rs`).

use super::*;

/// `BASE` with a monolith of functions `f` and `g`, and `body` after them.
fn monolith(body: &str) -> String {
    format!("{BASE}\n[monolith.functions]\nf = {{}}\ng = {{}}\n{body}")
}

const CASES: &[Case] = &[
    Case {
        name: "an_empty_monolith_is_refused",
        text: || format!("{BASE}\n[monolith]\ncalls = []\n"),
        code: codes::EMPTY,
        message: "the monolith has no functions",
        at: "[|monolith]",
        ..CASE
    },
    Case {
        name: "monolith_calls_must_name_declared_functions",
        text: || {
            format!(
                "{BASE}\n[monolith.functions]\nf = {{}}\ng = {{ context = \"c\" }}\n[[monolith.calls]]\nfrom = \"f\"\nto = \"h\"\n"
            )
        },
        code: codes::UNRESOLVED,
        message: "no monolith function `h`",
        at: "\"h\"",
        ..CASE
    },
    Case {
        name: "monolith_calls_and_data_accesses_are_checked: a call from",
        text: || monolith("[[monolith.calls]]\nfrom = \"h\"\nto = \"g\"\n"),
        code: codes::UNRESOLVED,
        message: "no monolith function `h`",
        at: "\"h\"",
        ..CASE
    },
    Case {
        name: "monolith_calls_and_data_accesses_are_checked: weight",
        text: || monolith("[[monolith.calls]]\nfrom = \"f\"\nto = \"g\"\nweight = 0\n"),
        code: codes::OUT_OF_RANGE,
        message: "`weight` must be positive, not 0",
        at: "weight = |0",
        ..CASE
    },
    Case {
        name: "monolith_calls_and_data_accesses_are_checked: a data access",
        text: || {
            monolith(
                "[[monolith.data]]\nfunction = \"h\"\nentity = \"orders\"\naccess = \"read\"\n",
            )
        },
        code: codes::UNRESOLVED,
        message: "no monolith function `h`",
        at: "\"h\"",
        ..CASE
    },
];

const VALID: &[Valid] = &[("monolith_calls_and_data_accesses_are_checked", || {
    monolith(
        "[[monolith.calls]]\nfrom = \"f\"\nto = \"g\"\nweight = 3\n[[monolith.data]]\nfunction = \"f\"\nentity = \"orders\"\naccess = \"read\"\n",
    )
})];

#[test]
fn monolith_rules() {
    run(CASES, VALID);
}
