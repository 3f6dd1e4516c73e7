//! Parameter sweeps: `KEY=V1,V2,…` over any scenario value (a policy's retry attempts, a
//! breaker's threshold, a load's rate), expanded as a cartesian product, and the deterministic
//! work list — point × experiment × replication — that `--shard K/N` slices.
//!
//! A key is a dotted path into the scenario as written, with double quotes around segments that
//! contain dots or spaces: `policies."frontend -> ad".timeout_ms`,
//! `experiments.payment-outage.load.0.rate_per_s`. Values are JSON when they parse as JSON
//! (numbers, booleans, arrays), else strings.

use std::ops::Range;

use microcosm_model::{EdgePattern, Scenario};
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepAxis {
    /// The key as written (trimmed), e.g. `policies."a -> b".retry.max_attempts`.
    pub key: String,
    /// The key split into segments, quotes removed ([`parse_path`]).
    pub path: Vec<String>,
    /// The values in the order given, trimmed, empty ones dropped; still text, read as JSON
    /// when applied.
    pub values: Vec<String>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::Invalid(message))
}

/// Splits a dotted key, honouring double-quoted segments.
pub fn parse_path(key: &str) -> Result<Vec<String>, Error> {
    Ok(parse_path_spanned(key)?
        .into_iter()
        .map(|(segment, _)| segment)
        .collect())
}

/// Splits a dotted key as [`parse_path`] does, with each segment's byte range in `key`
/// (quotes included), so a message can point under the segment at fault.
pub fn parse_path_spanned(key: &str) -> Result<Vec<(String, Range<usize>)>, Error> {
    let mut path = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut start = 0;
    for (i, ch) in key.char_indices() {
        match ch {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                if current.is_empty() && !was_quoted {
                    return Err(invalid(format!("`{key}` has an empty segment")));
                }
                path.push((std::mem::take(&mut current), start..i));
                start = i + 1;
                was_quoted = false;
            }
            _ => current.push(ch),
        }
    }
    if quoted {
        return Err(invalid(format!("`{key}` has an unclosed quote")));
    }
    if current.is_empty() && !was_quoted {
        return Err(invalid(format!("`{key}` has an empty segment")));
    }
    path.push((current, start..key.len()));
    Ok(path)
}

/// Checks that `axis`'s key names a place in `scenario` that its JSON Schema allows: every
/// named entry (a service, an experiment) exists, every other segment is a key its table takes,
/// every index is inside its list. A policy may be new, on an edge some endpoint calls: a sweep
/// may ask what retries on an unprotected edge would do. [`set`] creates the tables on the way,
/// so without this check a typo (`policies.nosuch.retry.max_attempts`) would become a new
/// policy and be reported inside the re-serialised scenario, a file the user never wrote. The
/// error points under the segment in the argument as written and lists what exists there.
pub fn check_key(axis: &SweepAxis, scenario: &Scenario) -> Result<(), Error> {
    let segments = parse_path_spanned(&axis.key)?;
    let written = serde_json::to_value(scenario)
        .map_err(|e| invalid(format!("the scenario does not serialise: {e}")))?;
    let schema = microcosm_model::schema::scenario_schema();
    let edges = scenario.call_edges();
    let mut node = Some(&written);
    let mut place = schema;
    for (i, (segment, span)) in segments.iter().enumerate() {
        let within = || {
            let names: Vec<&str> = segments[..i].iter().map(|(s, _)| s.as_str()).collect();
            if names.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in `{}`", names.join("."))
            }
        };
        let pointed = |what: String, help: String| {
            let argument = format!("--sweep {}={}", axis.key, axis.values.join(","));
            let pad = " ".repeat("--sweep ".len() + axis.key[..span.start].chars().count());
            let carets = "^".repeat(axis.key[span.clone()].chars().count().max(1));
            invalid(format!("{what}\n  {argument}\n  {pad}{carets}\n  {help}"))
        };
        match node {
            Some(Value::Array(items)) => {
                let Some(item) = segment.parse::<usize>().ok().and_then(|n| items.get(n)) else {
                    return Err(pointed(
                        format!("no item `{segment}` {}", within()),
                        match items.len() {
                            0 => "the list is empty".to_owned(),
                            n => format!("the list has {n}: give an index from 0 to {}", n - 1),
                        },
                    ));
                };
                node = Some(item);
                place = resolve(schema, place)
                    .get("items")
                    .unwrap_or(&Value::Bool(true));
            }
            Some(Value::Object(_)) | Some(Value::Null) | None => {
                let entries = match node {
                    Some(Value::Object(map)) => Some(map),
                    _ => None,
                };
                let Some((properties, map_values)) = table_shape(schema, place) else {
                    // A schema this walk cannot read never refuses a key: loading the swept
                    // scenario still checks it.
                    return Ok(());
                };
                if let Some(value) = entries.and_then(|m| m.get(segment)) {
                    node = Some(value);
                    place = properties
                        .iter()
                        .find(|(name, _)| name == segment)
                        .map(|(_, s)| *s)
                        .or(map_values)
                        .unwrap_or(&Value::Bool(true));
                } else if let Some((_, s)) = properties.iter().find(|(name, _)| name == segment) {
                    node = None;
                    place = s;
                } else if i == 1
                    && segments[0].0 == "policies"
                    && EdgePattern::parse(segment)
                        .is_ok_and(|p| edges.iter().any(|(a, b)| p.matches(a, b)))
                {
                    node = None;
                    place = map_values.unwrap_or(&Value::Bool(true));
                } else {
                    let mut names: Vec<String> = entries
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for (name, _) in &properties {
                        if !names.iter().any(|n| n == name) {
                            names.push(name.clone());
                        }
                    }
                    let help = if names.is_empty() {
                        "nothing is declared there".to_owned()
                    } else {
                        let shown: Vec<String> = names.iter().take(12).map(|n| quoted(n)).collect();
                        let more = if names.len() > 12 { ", …" } else { "" };
                        let owner = match i {
                            0 => "the top level".to_owned(),
                            _ => format!(
                                "`{}`",
                                segments[..i]
                                    .iter()
                                    .map(|(s, _)| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(".")
                            ),
                        };
                        format!("{owner} has {}{more}", shown.join(", "))
                    };
                    let help = if i == 1 && segments[0].0 == "policies" {
                        format!(
                            "{help}; a new policy names an edge some endpoint calls, `\"caller -> callee\"`"
                        )
                    } else {
                        help
                    };
                    return Err(pointed(format!("no `{segment}` {}", within()), help));
                }
            }
            Some(_) => {
                return Err(pointed(
                    format!("nothing is inside a value {}", within()),
                    "the key ends at the value before this segment".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// A key as a sweep writes it: bare when it is a plain name, else in double quotes.
fn quoted(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        format!("`{name}`")
    } else {
        format!("`\"{name}\"`")
    }
}

/// Follows `$ref`s (`#/definitions/Name`) and the one-element `allOf` wrappers schemars puts
/// around a described `$ref`.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            schema = reference
                .strip_prefix("#/")
                .and_then(|path| path.split('/').try_fold(root, |v, part| v.get(part)))
                .unwrap_or(&Value::Bool(true));
            continue;
        }
        match schema.get("allOf").and_then(Value::as_array) {
            Some(all) if all.len() == 1 => schema = &all[0],
            _ => return schema,
        }
    }
    schema
}

/// The keys a table written at `schema` takes, as (name, schema) pairs, and the schema of a
/// map's values (`policies`, `services`); through `anyOf`/`oneOf`, the union of the branches'.
/// `None` when the schema says nothing of tables here.
type Shape<'a> = (Vec<(String, &'a Value)>, Option<&'a Value>);

fn table_shape<'a>(root: &'a Value, schema: &'a Value) -> Option<Shape<'a>> {
    let schema = resolve(root, schema);
    let properties = schema.get("properties").and_then(Value::as_object);
    let map_values = schema.get("additionalProperties").filter(|v| v.is_object());
    if properties.is_some() || map_values.is_some() {
        let properties = properties
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v)).collect())
            .unwrap_or_default();
        return Some((properties, map_values));
    }
    let branches = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)?;
    let mut union: Option<Shape<'a>> = None;
    for branch in branches {
        if let Some((properties, map_values)) = table_shape(root, branch) {
            let all = union.get_or_insert_with(|| (Vec::new(), None));
            for (name, s) in properties {
                if !all.0.iter().any(|(n, _)| *n == name) {
                    all.0.push((name, s));
                }
            }
            all.1 = all.1.or(map_values);
        }
    }
    union
}

/// Parses `KEY=V1,V2,…`.
pub fn parse_axis(spec: &str) -> Result<SweepAxis, Error> {
    let Some((key, values)) = spec.split_once('=') else {
        return Err(invalid(format!(
            "`{spec}` is not a sweep; write KEY=V1,V2 (for example `policies.\"a -> b\".retry.max_attempts=1,3`)"
        )));
    };
    let values: Vec<String> = values
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(invalid(format!("`{spec}` gives no values")));
    }
    Ok(SweepAxis {
        key: key.trim().to_owned(),
        path: parse_path(key.trim())?,
        values,
    })
}

/// Every combination of the axes' values, the last axis varying fastest.
pub fn points(axes: &[SweepAxis]) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for axis in axes {
        let mut next = Vec::new();
        for p in &out {
            for v in &axis.values {
                let mut q: Vec<(String, String)> = p.clone();
                q.push((axis.key.clone(), v.clone()));
                next.push(q);
            }
        }
        out = next;
    }
    out
}

fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Sets the value at `path` in a scenario serialised as JSON, creating tables on the way.
pub fn set(root: &mut Value, path: &[String], value: &str) -> Result<(), Error> {
    let mut node = root;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        node = match node {
            Value::Object(map) => {
                if last {
                    map.insert(segment.clone(), parse_value(value));
                    return Ok(());
                }
                map.entry(segment.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let index: usize = segment.parse().map_err(|_| {
                    invalid(format!("`{segment}` indexes a list: it must be a number"))
                })?;
                let len = items.len();
                let item = items.get_mut(index).ok_or_else(|| {
                    invalid(format!("index {index} is past the end of a list of {len}"))
                })?;
                if last {
                    *item = parse_value(value);
                    return Ok(());
                }
                item
            }
            _ => {
                return Err(invalid(format!(
                    "`{}` is not a table or a list",
                    path[..i].join(".")
                )));
            }
        };
    }
    Ok(())
}

/// The K-th (1-based) of N deterministic slices of `items` work items: every N-th item.
pub fn shard_items(items: usize, shard: u32, of: u32) -> Vec<usize> {
    (0..items)
        .filter(|i| (*i as u64 % u64::from(of)) == u64::from(shard - 1))
        .collect()
}

/// Parses `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(text: &str) -> Result<(u32, u32), Error> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if k >= 1 && k <= n => Ok((k, n)),
        _ => Err(invalid(format!(
            "`{text}` is not a shard; write K/N with 1 ≤ K ≤ N, for example 2/8"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_segments_keep_their_dots_and_spaces() {
        assert_eq!(
            parse_path(r#"policies."a -> b.c".retry.max_attempts"#).unwrap(),
            ["policies", "a -> b.c", "retry", "max_attempts"]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path(r#"a."b"#).is_err());
    }

    #[test]
    fn points_are_the_cartesian_product() {
        let a = parse_axis("x=1,2").unwrap();
        let b = parse_axis("y=a,b,c").unwrap();
        let p = points(&[a, b]);
        assert_eq!(p.len(), 6);
        assert_eq!(p[1], [("x".into(), "1".into()), ("y".into(), "b".into())]);
    }

    #[test]
    fn values_are_set_by_path() {
        let mut v = serde_json::json!({"policies": {"a -> b": {"retry": {"max_attempts": 3}}}, "load": [{"rate": 1}]});
        set(
            &mut v,
            &parse_path(r#"policies."a -> b".retry.max_attempts"#).unwrap(),
            "5",
        )
        .unwrap();
        set(&mut v, &parse_path("load.0.rate").unwrap(), "2.5").unwrap();
        set(
            &mut v,
            &parse_path("policies.new.timeout_ms").unwrap(),
            "10",
        )
        .unwrap();
        assert_eq!(v["policies"]["a -> b"]["retry"]["max_attempts"], 5);
        assert_eq!(v["load"][0]["rate"], 2.5);
        assert_eq!(v["policies"]["new"]["timeout_ms"], 10);
        assert!(set(&mut v, &parse_path("load.9.rate").unwrap(), "1").is_err());
    }

    /// Checks `spec`'s key against sock-shop, as `simulate --sweep` does.
    fn checked(spec: &str) -> Result<(), String> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/sock-shop.toml");
        let loaded = microcosm_model::load(&path).unwrap();
        check_key(&parse_axis(spec).unwrap(), &loaded.scenario).map_err(|e| e.to_string())
    }

    #[test]
    fn a_sweep_key_that_names_nothing_points_under_the_segment_in_the_argument() {
        let typo = checked("policies.nosuch.retry.max_attempts=1,2").unwrap_err();
        assert!(typo.contains("no `nosuch` in `policies`"), "{typo}");
        let lines: Vec<&str> = typo.lines().collect();
        assert_eq!(
            lines[1], "  --sweep policies.nosuch.retry.max_attempts=1,2",
            "{typo}"
        );
        assert_eq!(lines[2], "                   ^^^^^^", "{typo}");
        assert!(lines[3].starts_with("  `policies` has "), "{typo}");
        assert!(lines[3].contains("`\"front-end -> catalogue\"`"), "{typo}");
        assert!(
            lines[3].ends_with(
                "a new policy names an edge some endpoint calls, `\"caller -> callee\"`"
            ),
            "{typo}"
        );
        let edge =
            checked(r#"policies."front-end -> catalog".retry.max_attempts=1,2"#).unwrap_err();
        assert!(
            edge.contains("no `front-end -> catalog` in `policies`"),
            "{edge}"
        );

        let key =
            checked(r#"policies."front-end -> catalogue".retyr.max_attempts=1,2"#).unwrap_err();
        assert!(
            key.contains("no `retyr` in `policies.front-end -> catalogue`"),
            "{key}"
        );
        assert!(key.contains("`retry`"), "{key}");
        assert!(key.lines().nth(2).unwrap().ends_with(" ^^^^^"), "{key}");

        let index = checked("experiments.payment-outage.load.3.users=1").unwrap_err();
        assert!(
            index.contains("no item `3`") && index.contains("from 0 to 0"),
            "{index}"
        );

        // What exists, or what its table takes though the file leaves it out, is fine.
        for good in [
            r#"policies."front-end -> catalogue".retry.max_attempts=1,3"#,
            r#"policies."orders -> payment".retry.max_attempts=1,3"#,
            "experiments.payment-outage.duration_s=60",
            "experiments.payment-outage.load.0.users=10,20",
            // A new policy on an edge front-end calls.
            r#"policies."front-end -> carts".retry.max_attempts=1,2"#,
        ] {
            assert_eq!(checked(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn shards_partition_the_work() {
        let all: Vec<usize> = (1..=3).flat_map(|k| shard_items(10, k, 3)).collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err());
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
    }
}
