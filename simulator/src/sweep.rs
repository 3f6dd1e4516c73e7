//! Parameter sweeps: `KEY=V1,V2,…` over any scenario value (a policy's retry attempts, a
//! breaker's threshold, a load's rate), expanded as a cartesian product, and the deterministic
//! work list — point × experiment × replication — that `--shard K/N` slices.
//!
//! A key is a dotted path into the scenario as written, with double quotes around segments that
//! contain dots or spaces: `policies."frontend -> ad".timeout_ms`,
//! `experiments.payment-outage.load.0.rate_per_s`. Values are JSON when they parse as JSON
//! (numbers, booleans, arrays), else strings.

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
    let mut path = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for ch in key.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                if current.is_empty() && !was_quoted {
                    return Err(invalid(format!("`{key}` has an empty segment")));
                }
                path.push(std::mem::take(&mut current));
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
    path.push(current);
    Ok(path)
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
