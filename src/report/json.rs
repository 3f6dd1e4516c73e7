//! The gate's JSON Lines report. Each line is `{"type": T, "data": D}`:
//! - `begin`: `schema_version`, `command` (`check`), `version`;
//! - `verdict`, one per check: `file`, `check`, `rule`, `rule_summary`, `kind`
//!   (`validate|analyze|verify|simulate`), `status` (`holds|violated|inconclusive|error`),
//!   `expected` (when the scenario declares one), `outcome` (`pass|fail|skip|error`), `message`,
//!   `line`, `column`, `stats` (engine figures), `counterexample` (`steps` with `number`,
//!   `party`, `action`, `changes`, and `line` and `column` of the acting party's
//!   `[services.NAME]` table, or of the check when the party is not a service; `text`;
//!   `chart`; `trace_id`);
//! - `summary`: `files`, `checks`, `passed`, `failed`, `skipped`, `errors`;
//! - `end`.

use crate::output::{json_begin, json_line};

use super::GateReport;

pub fn write(out: &mut Vec<u8>, report: &GateReport) {
    json_begin(out, "check");
    for r in &report.records {
        json_line(out, "verdict", r);
    }
    json_line(out, "summary", &report.summary());
    json_line(out, "end", &serde_json::json!({}));
}
