//! The JSON Schema and the loader agree on every single value: for every number the schema
//! describes, a value the schema refuses the loader refuses, and a value the schema accepts
//! the loader accepts. Editors check files against the schema; a range only the loader knows
//! (the schema allowed `max_attempts = 0`) promises what the loader then refuses, and a range
//! only the schema knows is not enforced at all.
//!
//! How: a baseline scenario writes every numeric key the schema has (the test fails when the
//! schema gains one the baseline lacks); each of its numbers in turn is set to probe values
//! just inside and just outside each bound the schema gives, and to extremes (0, 1, −1, 1e300)
//! that reveal a bound the validator enforces but the schema lacks. Both verdicts are compared.
//! A few keys are tied to another key (`p99_ms` ≥ `p50_ms`, a fault inside its experiment);
//! a probe that breaks such a relation says nothing about the single value and is skipped, each
//! relation named in [`breaks_a_relation`].

use std::collections::BTreeSet;
use std::path::Path;

use microcosm_model::{Format, load_str, schema::scenario_schema_json};
use serde_json::{Value, json};

/// Every numeric key of the format, each once, in a scenario that loads without error.
fn baseline() -> Value {
    json!({
        "name": "limits",
        "services": {
            "a": {
                "resources": { "cpu_millis": 500, "memory_mib": 256 },
                "endpoints": {
                    "x": {
                        "work": { "dist": "constant", "ms": 1.0 },
                        "calls": [{ "endpoint": "b.y", "probability": 0.5 }]
                    },
                    "x2": { "work": { "dist": "exponential", "mean_ms": 2.0 } },
                    "x3": { "work": { "dist": "normal", "mean_ms": 2.0, "stddev_ms": 1.0 } },
                    "x4": { "work": { "dist": "lognormal", "p50_ms": 2.0, "p99_ms": 20.0 } },
                    "x5": { "work": { "dist": "empirical", "samples_ms": [1.0, 2.0] } }
                }
            },
            "b": { "endpoints": { "y": {} } },
            "c": { "endpoints": { "z": {} } }
        },
        "network": {
            "latency": { "dist": "constant", "ms": 0.5 },
            "loss": 0.01,
            "zones": ["z1", "z2"],
            "links": { "a -> b": { "loss": 0.01 } }
        },
        "policies": {
            "a -> b": {
                "timeout_ms": 100.0,
                "deadline_ms": 1000.0,
                "concurrency": 8,
                "retry": {
                    "max_attempts": 3, "wait_ms": 0.0, "backoff": "exponential",
                    "multiplier": 2.0, "max_wait_ms": 1000.0,
                    "budget": { "ratio": 0.2, "min_per_s": 10.0 }
                },
                "circuit_breaker": {
                    "failure_rate_threshold": 0.5, "slow_call_rate_threshold": 0.9,
                    "slow_call_duration_ms": 50.0, "sliding_window_size": 20,
                    "minimum_number_of_calls": 10, "wait_duration_in_open_state_ms": 5000.0,
                    "permitted_number_of_calls_in_half_open_state": 3,
                    "max_wait_duration_in_half_open_state_ms": 100.0
                },
                "bulkhead": { "max_concurrent_calls": 10, "max_wait_ms": 5.0 },
                "rate_limit": {
                    "limit_for_period": 10, "limit_refresh_period_ms": 100.0, "timeout_ms": 5.0
                },
                "fallback": { "latency_ms": 1.0 },
                "outlier_detection": {
                    "consecutive_errors": 5, "base_ejection_time_ms": 30000.0,
                    "max_ejection_fraction": 0.1
                }
            }
        },
        "slos": {
            "s1": { "endpoint": "a.x", "availability": 0.99, "latency_p50_ms": 10.0, "window_s": 60.0 },
            "s2": { "endpoint": "a.x", "latency_p90_ms": 10.0 },
            "s3": { "endpoint": "a.x", "latency_p95_ms": 10.0 },
            "s4": { "endpoint": "a.x", "latency_p99_ms": 10.0 },
            "s5": { "endpoint": "a.x", "latency_p999_ms": 10.0 }
        },
        "alerts": {
            "al": { "endpoint": "a.x", "metric": "latency_p99_ms", "above": 100.0, "for_s": 5.0 }
        },
        "monitoring": { "metrics_interval_s": 1.0 },
        "deployment": {
            "a": {
                "replicas": 3, "zones": ["z1", "z2"], "workers": 16, "queue_capacity": 100,
                "strategy": { "kind": "rolling", "max_unavailable": 1, "restart_s": 10.0 }
            },
            "b": { "strategy": { "kind": "blue_green", "restart_s": 10.0 } },
            "c": {
                "strategy": {
                    "kind": "canary", "weights": [1.0], "step_s": 60.0, "max_error_rate": 0.1
                }
            }
        },
        "cluster": {
            "zones": { "z1": { "nodes": 3, "node_cpu_millis": 4000, "node_memory_mib": 16000 } }
        },
        "monolith": {
            "functions": { "f": {}, "g": {} },
            "calls": [{ "from": "f", "to": "g", "weight": 2.0 }]
        },
        "experiments": {
            "e": {
                "duration_s": 1000.0,
                "seed": 7,
                "warmup_s": 5.0,
                "load": [
                    { "endpoint": "a.x", "arrival": "ramp", "rate_per_s": 10.0, "to_rate_per_s": 20.0 },
                    { "mix": { "a.x": 1.0 }, "arrival": "step", "steps": [{ "at_s": 0.0, "rate_per_s": 5.0 }] },
                    { "endpoint": "a.x", "arrival": "closed", "users": 5, "think_time_ms": 100.0 }
                ],
                "faults": [
                    { "at_s": 10.0, "for_s": 10.0, "crash": "a", "replicas": 1 },
                    { "at_s": 10.0, "latency": { "link": "a -> b", "add_ms": 5.0 } },
                    { "at_s": 10.0, "errors": { "target": "b", "rate": 0.5 } },
                    { "at_s": 10.0, "slowdown": { "service": "b", "factor": 2.0 } },
                    { "at_s": 10.0, "deploy": "c", "new_version": { "error_rate": 0.1, "slowdown": 1.5 } }
                ],
                "expect": {
                    "slos": ["s1"],
                    "max_retry_amplification": 10.0,
                    "alerts_within_s": { "al": 30.0 }
                }
            }
        }
    })
}

fn definition<'a>(root: &'a Value, reference: &str) -> (&'a Value, String) {
    let name = reference
        .strip_prefix("#/definitions/")
        .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
    (&root["definitions"][name], format!("/definitions/{name}"))
}

/// Follows `$ref`s to the schema that describes the value.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value, mut pointer: String) -> (Value, String) {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let (next, p) = definition(root, reference);
        schema = next;
        pointer = p;
    }
    (schema.clone(), pointer)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn admits_type(schema: &Value, value: &Value) -> bool {
    let found = json_type(value);
    let ok = |t: &str| t == found || (t == "number" && found == "integer");
    match schema.get("type") {
        Some(Value::String(t)) => ok(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(ok),
        _ => true,
    }
}

/// Whether `branch` could describe `value`: its type, and the tag constants it fixes.
fn fits(root: &Value, branch: &Value, value: &Value) -> bool {
    let (branch, _) = resolve(root, branch, String::new());
    if !admits_type(&branch, value) {
        return false;
    }
    let Some(properties) = branch.get("properties").and_then(Value::as_object) else {
        return true;
    };
    properties.iter().all(|(key, sub)| {
        let (sub, _) = resolve(root, sub, String::new());
        let fixed =
            sub.get("const")
                .cloned()
                .or_else(|| match sub.get("enum").and_then(Value::as_array) {
                    Some(values) if values.len() == 1 => Some(values[0].clone()),
                    _ => None,
                });
        match (fixed, value.get(key)) {
            (Some(fixed), Some(v)) => fixed == *v,
            (Some(_), None) => false,
            _ => true,
        }
    })
}

/// The schema (and its pointer) of the branch of a union that describes `value`.
fn pick(root: &Value, schema: Value, pointer: String, value: &Value) -> (Value, String) {
    let (schema, pointer) = resolve(root, &schema, pointer);
    if let Some([only]) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return pick(root, only.clone(), format!("{pointer}/allOf/0"), value);
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
            let (i, branch) = branches
                .iter()
                .enumerate()
                .find(|(_, b)| fits(root, b, value))
                .unwrap_or_else(|| panic!("no branch of {pointer} fits {value}"));
            return pick(
                root,
                branch.clone(),
                format!("{pointer}/{keyword}/{i}"),
                value,
            );
        }
    }
    (schema, pointer)
}

/// A number in the baseline: where it is in the document, its schema and the schema's pointer.
struct Leaf {
    path: Vec<PathSegment>,
    schema: Value,
    pointer: String,
}

#[derive(Clone, Debug)]
enum PathSegment {
    Key(String),
    Index(usize),
}

fn display(path: &[PathSegment]) -> String {
    path.iter()
        .map(|s| match s {
            PathSegment::Key(k) => format!(".{k}"),
            PathSegment::Index(i) => format!("[{i}]"),
        })
        .collect()
}

fn leaves(
    root: &Value,
    schema: Value,
    pointer: String,
    value: &Value,
    path: Vec<PathSegment>,
    out: &mut Vec<Leaf>,
) {
    let (schema, pointer) = pick(root, schema, pointer, value);
    match value {
        Value::Number(_) => out.push(Leaf {
            path,
            schema,
            pointer,
        }),
        Value::Object(entries) => {
            for (key, child) in entries {
                let (sub, sub_pointer) = match schema["properties"].get(key) {
                    Some(sub) => (sub.clone(), format!("{pointer}/properties/{key}")),
                    None => (
                        schema["additionalProperties"].clone(),
                        format!("{pointer}/additionalProperties"),
                    ),
                };
                assert!(!sub.is_null(), "{} has no schema", display(&path));
                let mut p = path.clone();
                p.push(PathSegment::Key(key.clone()));
                leaves(root, sub, sub_pointer, child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(PathSegment::Index(i));
                leaves(
                    root,
                    schema["items"].clone(),
                    format!("{pointer}/items"),
                    child,
                    p,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// The pointers of every numeric schema in the document: properties, array items and map
/// values whose type is a number or an integer.
fn numeric_pointers(schema: &Value, pointer: &str, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            let numeric = |s: &Value| match s.get("type") {
                Some(Value::String(t)) => t == "number" || t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "number" || t == "integer"),
                _ => false,
            };
            if numeric(schema) && pointer.contains('/') {
                out.insert(pointer.to_owned());
            }
            for (key, child) in map {
                numeric_pointers(child, &format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                numeric_pointers(child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether the schema accepts `value` for a number described by `schema`.
fn schema_accepts(schema: &Value, value: f64) -> bool {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let mut ok = true;
    if let Some(min) = bound("minimum") {
        ok &= value >= min;
    }
    if let Some(max) = bound("maximum") {
        ok &= value <= max;
    }
    if let Some(min) = bound("exclusiveMinimum") {
        ok &= value > min;
    }
    if let Some(max) = bound("exclusiveMaximum") {
        ok &= value < max;
    }
    // An integer's Rust type is its `format`; the loader refuses what does not fit.
    let (low, high) = match schema.get("format").and_then(Value::as_str) {
        Some("uint32") => (0.0, f64::from(u32::MAX)),
        Some("uint64") => (0.0, u64::MAX as f64),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    };
    ok && value >= low && value <= high
}

fn is_integer(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    }
}

/// Values just inside and just outside each of the schema's bounds, and extremes.
fn probes(schema: &Value) -> Vec<f64> {
    let integer = is_integer(schema);
    let mut values = vec![-1.0, 0.0, 1.0, 1e300, -1e300, 0.5, 1e-9];
    for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
        if let Some(b) = schema.get(key).and_then(Value::as_f64) {
            let step = if integer {
                1.0
            } else {
                (b.abs() * 1e-9).max(1e-9)
            };
            values.extend([b - step, b, b + step]);
        }
    }
    if integer {
        values.extend([f64::from(u32::MAX), f64::from(u32::MAX) + 1.0]);
        values.retain(|v| v.fract() == 0.0 && v.abs() < 1e19);
    }
    values
}

fn number(value: f64, integer: bool) -> Value {
    if integer {
        if value < 0.0 {
            json!(value as i64)
        } else {
            json!(value as u64)
        }
    } else {
        json!(value)
    }
}

fn set(doc: &mut Value, path: &[PathSegment], value: Value) {
    let mut node = doc;
    for segment in path {
        node = match segment {
            PathSegment::Key(k) => &mut node[k.as_str()],
            PathSegment::Index(i) => &mut node[*i],
        };
    }
    *node = value;
}

fn get(doc: &Value, path: &str) -> f64 {
    doc.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("the baseline has no {path}"))
}

/// Whether setting the number at `path` to `value` breaks a relation with another key of the
/// baseline — something validation rightly refuses but no schema of one value can say.
fn breaks_a_relation(base: &Value, path: &str, value: f64) -> Option<&'static str> {
    let experiment = "/experiments/e";
    let ends = 20.0; // the latest time the baseline's experiment uses (a fault from 10 for 10 s)
    let relation = match path {
        ".services.a.endpoints.x4.work.p50_ms" => {
            value > get(base, "/services/a/endpoints/x4/work/p99_ms")
        }
        ".services.a.endpoints.x4.work.p99_ms" => {
            value < get(base, "/services/a/endpoints/x4/work/p50_ms")
        }
        ".policies.a -> b.retry.wait_ms" => value > get(base, "/policies/a -> b/retry/max_wait_ms"),
        // Slow-call settings mean nothing when the timeout ends every call before it is slow.
        ".policies.a -> b.timeout_ms" => {
            value
                <= get(
                    base,
                    "/policies/a -> b/circuit_breaker/slow_call_duration_ms",
                )
        }
        ".policies.a -> b.circuit_breaker.slow_call_duration_ms" => {
            value >= get(base, "/policies/a -> b/timeout_ms")
        }
        // A retry budget on a policy that makes no retries means nothing.
        ".policies.a -> b.retry.max_attempts" => value == 1.0,
        ".policies.a -> b.retry.max_wait_ms" => value < get(base, "/policies/a -> b/retry/wait_ms"),
        ".experiments.e.duration_s" => value <= ends,
        ".experiments.e.warmup_s" => value >= get(base, &format!("{experiment}/duration_s")),
        ".experiments.e.load[1].steps[0].at_s" => {
            value >= get(base, &format!("{experiment}/duration_s"))
        }
        p if p.starts_with(".experiments.e.faults[") && p.ends_with(".at_s") => {
            value + 10.0 > get(base, &format!("{experiment}/duration_s"))
        }
        ".experiments.e.faults[0].for_s" => {
            value + 10.0 > get(base, &format!("{experiment}/duration_s"))
        }
        // Crashing more replicas than the service has; fewer than its rollout takes down.
        ".experiments.e.faults[0].replicas" => value > get(base, "/deployment/a/replicas"),
        ".deployment.a.replicas" => {
            value < get(base, "/deployment/a/strategy/max_unavailable")
                || value < get(base, "/experiments/e/faults/0/replicas")
        }
        ".deployment.a.strategy.max_unavailable" => value > get(base, "/deployment/a/replicas"),
        // The weights rise to all the traffic: a single weight is the last one, and must be 1.
        ".deployment.c.strategy.weights[0]" => value != 1.0,
        _ => false,
    };
    relation.then_some("breaks a documented relation with another key")
}

#[test]
fn the_schema_and_the_loader_accept_the_same_single_values() {
    let root: Value = serde_json::from_str(&scenario_schema_json()).expect("the schema is JSON");
    let base = baseline();
    let load = |doc: &Value| {
        load_str(
            &serde_json::to_string_pretty(doc).expect("serialises"),
            Path::new("probe.json"),
            Format::Json,
            Path::new("."),
        )
    };
    if let Err(e) = load(&base) {
        panic!("the baseline must load: {e}");
    }

    let mut found = Vec::new();
    leaves(
        &root,
        root.clone(),
        String::new(),
        &base,
        Vec::new(),
        &mut found,
    );

    // Every numeric key of the schema is probed: a new one needs a place in the baseline.
    let mut all = BTreeSet::new();
    numeric_pointers(&root, "", &mut all);
    let covered: BTreeSet<String> = found.iter().map(|l| l.pointer.clone()).collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "numeric keys of the schema the baseline does not write: {missing:#?}"
    );

    let mut disagreements = Vec::new();
    let mut probed = 0;
    for leaf in &found {
        let path = display(&leaf.path);
        let integer = is_integer(&leaf.schema);
        for value in probes(&leaf.schema) {
            if breaks_a_relation(&base, &path, value).is_some() {
                continue;
            }
            let mut doc = base.clone();
            set(&mut doc, &leaf.path, number(value, integer));
            let schema_ok = schema_accepts(&leaf.schema, value);
            let loader = load(&doc);
            probed += 1;
            if schema_ok != loader.is_ok() {
                let why = match &loader {
                    Ok(_) => "the loader accepts it".to_owned(),
                    Err(e) => format!("the loader refuses it: {}", e.diagnostics[0]),
                };
                disagreements.push(format!(
                    "{path} = {value}: the schema {} it ({}); {why}",
                    if schema_ok { "accepts" } else { "refuses" },
                    leaf.pointer
                ));
            }
        }
    }
    assert!(probed > 500, "only {probed} probes");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
