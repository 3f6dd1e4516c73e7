//! The scenario format's JSON Schema (draft-07), generated from the serde types so it can never
//! disagree with what the loader accepts. Editors (Taplo, VS Code) use it for completion and
//! checking; TOML files bind it with a first line `#:schema ./scenario.schema.json`. The loader
//! checks every file's structure against it too (see `load::structure`), so the schema is the
//! contract in both directions.

use std::sync::OnceLock;

use crate::Scenario;

/// The JSON Schema of a scenario file, pretty-printed with a trailing newline.
pub fn scenario_schema_json() -> String {
    // Serialised as a `Schema`, which orders keywords for people (`$schema`, `title`,
    // `description` first), not as the plain JSON value it holds.
    let mut text = serde_json::to_string_pretty(schema()).expect("a schema serialises");
    text.push('\n');
    text
}

/// The JSON Schema of a scenario file, as a JSON value: what the loader checks files against,
/// and what a sweep's key is checked against before any value is set.
pub fn scenario_schema() -> &'static serde_json::Value {
    schema().as_value()
}

/// Generated once per process: the loader checks every file against it.
fn schema() -> &'static schemars::Schema {
    static SCHEMA: OnceLock<schemars::Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let generator = schemars::generate::SchemaSettings::draft07().into_generator();
        generator.into_root_schema_for::<Scenario>()
    })
}
