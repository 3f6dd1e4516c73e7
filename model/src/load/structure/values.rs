//! Values of the right meaning in the wrong form, for the structural check's help: a number
//! written as a string with its unit (`timeout_ms = "200ms"`, shown as the number to write in
//! the unit the key's name gives), and an integer outside its key's range (said as the key's
//! own range from the schema, not its Rust type's). Apart from the walk in `structure.rs`
//! because they read values, not shapes.

use std::ops::Range;

use serde_json::{Map, Value};

use super::Issue;
use crate::diagnostic::codes;

/// The unit a key's name gives (`timeout_ms`: milliseconds), as the factor from each unit a
/// string may be written in; `None` for a key without a unit in its name.
fn key_unit(key: &str) -> Option<(&'static str, &'static [(&'static str, f64)])> {
    const MS: &[(&str, f64)] = &[
        ("ns", 1e-6),
        ("us", 1e-3),
        ("µs", 1e-3),
        ("ms", 1.0),
        ("s", 1e3),
        ("sec", 1e3),
        ("secs", 1e3),
        ("seconds", 1e3),
        ("m", 60e3),
        ("min", 60e3),
        ("minutes", 60e3),
        ("h", 3600e3),
        ("hours", 3600e3),
    ];
    const S: &[(&str, f64)] = &[
        ("ms", 1e-3),
        ("s", 1.0),
        ("sec", 1.0),
        ("secs", 1.0),
        ("seconds", 1.0),
        ("m", 60.0),
        ("min", 60.0),
        ("minutes", 60.0),
        ("h", 3600.0),
        ("hours", 3600.0),
    ];
    const MIB: &[(&str, f64)] = &[
        ("ki", 1.0 / 1024.0),
        ("kib", 1.0 / 1024.0),
        ("mi", 1.0),
        ("mib", 1.0),
        ("gi", 1024.0),
        ("gib", 1024.0),
        ("ti", 1024.0 * 1024.0),
        ("tib", 1024.0 * 1024.0),
    ];
    // Kubernetes writes CPU as `500m` (millicores) or `2` (cores).
    const MILLIS: &[(&str, f64)] = &[("m", 1.0), ("", 1e3)];
    const PER_S: &[(&str, f64)] = &[
        ("/s", 1.0),
        ("rps", 1.0),
        ("/min", 1.0 / 60.0),
        ("rpm", 1.0 / 60.0),
    ];
    if key.ends_with("_per_s") {
        Some(("per second", PER_S))
    } else if key.ends_with("_ms") {
        Some(("milliseconds", MS))
    } else if key.ends_with("_s") {
        Some(("seconds", S))
    } else if key.ends_with("_mib") {
        Some(("MiB", MIB))
    } else if key.ends_with("_millis") {
        Some(("millicores", MILLIS))
    } else {
        None
    }
}

/// The number a string with a unit stands for in the unit of `key`'s name, and that unit's
/// name: `("timeout_ms", "2s")` is `(2000, "milliseconds")`. A string of a bare number is that
/// number (for CPU, cores); an unknown unit gives nothing.
pub(super) fn unit_value(key: &str, text: &str) -> Option<(f64, &'static str)> {
    let (unit_name, units) = key_unit(key)?;
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_')))
        .unwrap_or(text.len());
    let number: f64 = text[..split].replace('_', "").parse().ok()?;
    let written = text[split..].trim().to_lowercase();
    let factor = if written.is_empty() && !units.iter().any(|(u, _)| u.is_empty()) {
        1.0
    } else {
        units.iter().find(|(u, _)| *u == written)?.1
    };
    Some((number * factor, unit_name))
}

/// An integer outside what its field's type holds: outside the range of its `format`
/// (`uint32`, `uint64`, …, as schemars writes Rust's integer types). Checked here, not left to
/// serde, because serde stops at the first such value and every one of them should be reported
/// with the rest of the file's problems. A value inside the type's range but outside the
/// schema's `minimum` and `maximum` (a key's own range, from [`crate::limits`]) is
/// validation's to report, in words about the key; the help here gives that range too.
pub(super) fn integer_range(
    schema: &Map<String, Value>,
    value: Option<i128>,
    span: Range<usize>,
) -> Option<Issue> {
    let (low, high): (i128, i128) = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => (0, u8::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("uint32") => (0, u32::MAX.into()),
        Some("uint64") | Some("uint") => (0, u64::MAX.into()),
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("int64") | Some("int") => (i64::MIN.into(), i64::MAX.into()),
        _ => (i128::MIN, i128::MAX),
    };
    // The key's own range (`replicas`: 1 to 10,000) is what the user can write; the type's
    // (0 to 4294967295) is an implementation detail that would be contradicted by validation's
    // "must be at least 1" a moment later.
    let bound = |name: &str| schema.get(name).and_then(Value::as_f64);
    let minimum = bound("minimum").map_or(low, |m| (m.ceil() as i128).max(low));
    let maximum = bound("maximum").map_or(high, |m| (m.floor() as i128).min(high));
    let message = match value {
        Some(v) if v < low && minimum == 0 => {
            format!("`{v}` is out of range: this value cannot be negative")
        }
        Some(v) if v < low => format!("`{v}` is out of range: the least allowed is {minimum}"),
        Some(v) if v > high => format!("`{v}` is out of range: the most allowed is {maximum}"),
        Some(_) => return None,
        None => "the integer is too large to read".to_owned(),
    };
    Some(Issue {
        code: codes::OUT_OF_RANGE,
        message,
        help: Some(format!("write a whole number from {minimum} to {maximum}")),
        span,
    })
}
