//! The gate's SARIF 2.1.0 log, within what GitHub code scanning accepts: one rule per check
//! rule id with its description, one result per check that does not pass, located at the
//! scenario file (relative path, forward slashes) and line, and a `codeFlows` thread flow that
//! walks the counterexample step by step.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{GateReport, Outcome};

/// A path as SARIF wants it: relative where possible, forward slashes, no leading `./`.
fn artifact_uri(file: &str) -> String {
    let path = std::path::Path::new(file);
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./").to_owned()
}

pub fn write(out: &mut Vec<u8>, report: &GateReport) -> anyhow::Result<()> {
    let mut rules: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &report.records {
        rules.entry(&r.rule).or_insert(&r.rule_summary);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|(id, summary)| {
            let text = if summary.is_empty() { *id } else { *summary };
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": text },
                "fullDescription": { "text": text },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in &report.records {
        let level = match r.outcome {
            Outcome::Pass => continue,
            Outcome::Skip => "warning",
            Outcome::Fail | Outcome::Error => "error",
        };
        let location = json!({
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(&r.file) },
                "region": { "startLine": r.line.max(1), "startColumn": r.column.max(1) },
            }
        });
        let mut result = json!({
            "ruleId": r.rule,
            "ruleIndex": index[r.rule.as_str()],
            "level": level,
            "message": { "text": format!("{}: {}", r.check, r.message) },
            "locations": [location.clone()],
            "partialFingerprints": { "microcosmCheck/v1": format!("{}|{}", artifact_uri(&r.file), r.check) },
        });
        if let Some(trace) = &r.counterexample
            && !trace.steps.is_empty()
        {
            let steps: Vec<Value> = trace
                .steps
                .iter()
                .map(|s| {
                    let mut text = format!("{}. {}: {}", s.number, s.party, s.action);
                    if !s.changes.is_empty() {
                        text.push_str(&format!(" ({})", s.changes.join("; ")));
                    }
                    json!({
                        "location": {
                            "physicalLocation": location["physicalLocation"].clone(),
                            "message": { "text": text },
                        },
                        "executionOrder": s.number,
                    })
                })
                .collect();
            result["codeFlows"] = json!([{
                "message": { "text": format!("counterexample {}", trace.trace_id) },
                "threadFlows": [{ "locations": steps }],
            }]);
        }
        results.push(result);
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "microcosm",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/microcosm-dev/microcosm",
                    "rules": rules_json,
                }
            },
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.push(b'\n');
    Ok(())
}
