//! The scenario format's JSON Schema (draft-07), generated from the serde types so it can never
//! disagree with what the loader accepts. Editors (Taplo, VS Code) use it for completion and
//! checking; TOML files bind it with a first line `#:schema ./scenario.schema.json`.

use crate::Scenario;

/// The JSON Schema of a scenario file, pretty-printed with a trailing newline.
pub fn scenario_schema_json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<Scenario>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
