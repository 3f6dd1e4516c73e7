//! The monolith a decomposition starts from: its functions, weighted calls and data accesses,
//! inline or from CSV files.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Access;

/// A monolith's call graph and data accesses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monolith {
    /// The monolith's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Functions keyed by name. Functions that appear only in the CSV files are added with no
    /// hint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, MonolithFunction>,
    /// Calls between functions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<MonolithCall>,
    /// Data accesses of functions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataAccess>,
    /// A CSV file of calls, `caller,callee[,weight]` (header optional), relative to the scenario
    /// file; loading appends its rows to `calls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_csv: Option<String>,
    /// A CSV file of data accesses, `function,entity,read|write` (header optional); loading
    /// appends its rows to `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_csv: Option<String>,
}

/// A monolith function.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonolithFunction {
    /// The bounded context this function belongs to, when known: a constraint for proposals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// A call between monolith functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonolithCall {
    /// The calling function.
    pub from: String,
    /// The called function.
    pub to: String,
    /// How often or how strongly (default 1).
    #[serde(default = "one")]
    #[schemars(range(max = crate::limits::MAX_WEIGHT), extend("exclusiveMinimum" = 0))]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// A function's access to an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataAccess {
    /// The function.
    pub function: String,
    /// The entity (table, aggregate) it touches.
    pub entity: String,
    /// Whether it reads or writes.
    pub access: Access,
}
