//! D: data stores (the rules in `validate/data.rs`).

use super::*;

const CASES: &[Case] = &[
    Case {
        name: "invalid_data_store_name",
        text: || format!("{BASE}\n[data_stores.\"d b\"]\nkind = \"redis\"\n"),
        code: codes::INVALID_NAME,
        message: "`d b` is not a valid data store name",
        at: "\"d b\"",
        ..CASE
    },
    Case {
        name: "unresolved_data_store_owner",
        text: || BASE.replace(r#"owner = "a""#, r#"owner = "c""#),
        code: codes::UNRESOLVED,
        message: "no service `c`",
        at: r#""c""#,
        ..CASE
    },
    Case {
        name: "duplicate_entity_in_a_data_store",
        text: || {
            BASE.replace(
                r#"kind = "postgres""#,
                "kind = \"postgres\"\nentities = [\"orders\", \"orders\"]",
            )
        },
        code: codes::DUPLICATE,
        message: "entity `orders` is listed twice",
        at: "\"orders\"",
        nth: 1,
        ..CASE
    },
];

#[test]
fn data_store_rules() {
    run(CASES, &[]);
}
