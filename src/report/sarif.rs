//! The gate's SARIF 2.1.0 log, within what GitHub code scanning accepts: one result per check
//! that does not pass, located at the scenario file (a relative, percent-encoded URI with
//! forward slashes) and line, and a `codeFlows` thread flow that walks the counterexample step
//! by step, each step at the acting service's `[services.NAME]` table, so the path view walks
//! the architecture.
//!
//! Rules are the stable property and rule ids (`2pc.termination`, `security.denied-call`,
//! `simulate.slo`), one per id with its description — not one per check id
//! (`move-funds/2pc.termination`). Code scanning groups alerts by rule and shows a rule's help
//! once: a rule per check would make every transaction, policy and experiment its own rule,
//! and each new transaction a new rule with a copy of the same description. The full check id
//! is on each result instead: first in its message, and in `properties.check` (beside `kind`
//! and `status`) for tools that read the log.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde_json::{Value, json};

use super::{GateReport, Outcome};

/// A path as SARIF wants it: a URI reference, relative to the working directory where the
/// file is under it, with forward slashes, no leading `./`, and every segment percent-encoded
/// (RFC 3986: a space is `%20`, `%` is `%25`); a path outside it is a `file://` URI.
fn artifact_uri(file: &str) -> String {
    let path = Path::new(file);
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let mut segments = Vec::new();
    let mut prefix = String::new();
    let mut absolute = false;
    for component in relative.components() {
        match component {
            // A Windows drive (`C:`) stays as it is: `file:///C:/…`.
            Component::Prefix(p) => prefix = p.as_os_str().to_string_lossy().replace('\\', "/"),
            Component::RootDir => absolute = true,
            Component::CurDir => {}
            Component::ParentDir => segments.push("..".to_owned()),
            Component::Normal(name) => segments.push(encode_segment(&name.to_string_lossy())),
        }
    }
    let path = segments.join("/");
    if absolute || !prefix.is_empty() {
        let prefix = if prefix.is_empty() {
            prefix
        } else {
            format!("/{prefix}")
        };
        format!("file://{prefix}/{path}")
    } else {
        path
    }
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved characters.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
        let uri = artifact_uri(&r.file);
        let at = |line: usize, column: usize| {
            json!({
                "artifactLocation": { "uri": uri },
                "region": { "startLine": line.max(1), "startColumn": column.max(1) },
            })
        };
        let location = json!({ "physicalLocation": at(r.line, r.column) });
        let mut result = json!({
            "ruleId": r.rule,
            "ruleIndex": index[r.rule.as_str()],
            "level": level,
            "message": { "text": format!("{}: {}", r.check, r.message) },
            "locations": [location],
            "partialFingerprints": { "microcosmCheck/v1": format!("{uri}|{}", r.check) },
            "properties": {
                "check": r.check,
                "kind": r.kind.name(),
                "status": r.status.name(),
            },
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
                            "physicalLocation": at(s.line, s.column),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_percent_encode_each_segment_and_keep_slashes() {
        assert_eq!(artifact_uri("sp ace/v 1%.toml"), "sp%20ace/v%201%25.toml");
        assert_eq!(artifact_uri("./arch/shop.toml"), "arch/shop.toml");
        assert_eq!(artifact_uri("../x/a#b?.toml"), "../x/a%23b%3F.toml");
        assert_eq!(artifact_uri("café.toml"), "caf%C3%A9.toml");
    }

    #[cfg(unix)]
    #[test]
    fn a_path_outside_the_working_directory_is_a_file_uri() {
        assert_eq!(
            artifact_uri("/nowhere near/a.toml"),
            "file:///nowhere%20near/a.toml"
        );
    }
}
