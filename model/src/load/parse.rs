//! Parsing scenario text (TOML or JSON) into the typed [`Scenario`] and its [`SourceMap`]:
//! every key declared twice (TOML's parser reports only where a repeat is; this finds the table
//! and the first declaration), every structural problem ([`super::structure`]), then serde's
//! first error where it says something new. Called by [`super::load_str`]; words its findings
//! through [`super::diagnostics`]. Separate because the two formats' parsers and their quirks
//! (recoverable TOML parsing, serde_json's line/column, a byte-order mark) belong together and
//! apart from what happens to a parsed scenario.

use std::ops::Range;

use super::BOM;
use super::diagnostics::{
    deserialize_diagnostic, duplicate_diagnostic, push_unless_repeated, strip_json_position,
    structural_diagnostics,
};
use crate::diagnostic::{Diagnostic, Location, codes};
use crate::scenario::*;
use crate::source::{DuplicateKey, Format, Pointer, SourceMap, Target};

/// Parses TOML: every key declared twice, every structural problem, then serde's first error
/// where it says something new. Only the first syntax error is reported: what the parser
/// recovers after one is a guess.
pub(super) fn parse_toml(
    text: &str,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<(Scenario, SourceMap), Vec<Diagnostic>> {
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    if errors.is_empty() && table.get_ref().is_empty() {
        return Err(vec![
            Diagnostic::error(
                codes::EMPTY,
                format!("{}: the file holds only comments", at(0..0).file.display()),
            )
            .with_help(
                "a scenario needs at least `name` and one service; `microcosm init NAME` writes a starter",
            )
            .at(at(0..0)),
        ]);
    }
    let map = SourceMap::from_toml_table(&table);
    let (duplicates, syntax): (Vec<_>, Vec<_>) = errors
        .into_iter()
        .partition(|e| e.message() == "duplicate key" && e.span().is_some());
    let syntax_at = syntax.first().map(|e| e.span().unwrap_or(0..0));
    let mut diagnostics = Vec::new();
    let mut reported: Vec<(Pointer, usize)> = Vec::new();
    for span in duplicates.iter().filter_map(|e| e.span()) {
        if syntax_at.as_ref().is_some_and(|s| span.start >= s.start) {
            continue;
        }
        match toml_duplicate(text, span.clone()) {
            Some(duplicate) => {
                // A table declared twice is read as one, so the keys its two halves share are
                // reported again inside it: the table is the problem, as JSON reports it.
                let inside_reported = reported.iter().any(|(table, start)| {
                    duplicate.pointer.segments().starts_with(table.segments())
                        && span.start > *start
                });
                if inside_reported {
                    continue;
                }
                reported.push((duplicate.pointer.key(duplicate.key.clone()), span.start));
                diagnostics.push(duplicate_diagnostic(&duplicate, Format::Toml, at));
            }
            None => diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("`{}` is declared twice", toml_key_name(&text[span.clone()])),
                )
                .with_help("TOML allows a key once, whether by a `[table]` header or a dotted key: merge the declarations")
                .at(at(span).with_label("declared again here")),
            ),
        }
    }
    if let Some(first) = syntax.first() {
        diagnostics.push(deserialize_diagnostic(
            first.message(),
            at(first.span().unwrap_or(0..0)),
        ));
        return Err(diagnostics);
    }
    diagnostics.extend(structural_diagnostics(&map, Format::Toml, at));
    if !duplicates.is_empty() {
        // serde would stop at the first duplicate, already reported.
        return Err(diagnostics);
    }
    match toml::from_str::<Scenario>(text) {
        Ok(scenario) if diagnostics.is_empty() => Ok((scenario, map)),
        Ok(_) => Err(diagnostics),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            push_unless_repeated(
                &mut diagnostics,
                deserialize_diagnostic(e.message(), at(span)),
            );
            Err(diagnostics)
        }
    }
}

/// A key written in TOML (bare, `"basic"` or `'literal'`), unquoted.
fn toml_key_name(written: &str) -> String {
    toml::de::DeTable::parse(&format!("{written} = 0"))
        .ok()
        .and_then(|t| t.get_ref().keys().next().map(|k| k.get_ref().to_string()))
        .unwrap_or_else(|| written.to_owned())
}

/// The key TOML's parser reports declared twice at `span`: which table holds it and where it
/// was first declared. The parser says only where the repeat is, so the repeat is renamed to
/// a key no scenario uses and the text parsed again: the table holding the renamed key is the
/// one holding the duplicate, and in that text the original name is only the first
/// declaration (which comes before the repeat, so its offsets are unchanged).
fn toml_duplicate(text: &str, span: Range<usize>) -> Option<DuplicateKey> {
    const SENTINEL: &str = "microcosm-duplicate-key-sentinel";
    let key = toml_key_name(text.get(span.clone())?);
    let renamed = format!("{}{SENTINEL}{}", &text[..span.start], &text[span.end..]);
    let (table, _) = toml::de::DeTable::parse_recoverable(&renamed);
    let map = SourceMap::from_toml_table(&table);
    let pointer = map.find_key(SENTINEL)?;
    let first = map.written_key(&pointer.key(key.clone()))?;
    (first.end <= span.start).then_some(DuplicateKey {
        pointer,
        key,
        span,
        first,
    })
}

/// Parses JSON: after a syntax check, every key declared twice, every structural problem,
/// then serde's first error where it says something new.
pub(super) fn parse_json_file(
    text: &str,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<(Scenario, SourceMap), Vec<Diagnostic>> {
    // Neither serde_json nor the source map reads a byte-order mark; three spaces in its place
    // keep every offset.
    let text: std::borrow::Cow<str> = match text.strip_prefix(BOM) {
        Some(rest) => format!("   {rest}").into(),
        None => text.into(),
    };
    let syntax_error = |e: serde_json::Error| {
        let offset = json_offset(&text, e.line(), e.column());
        let mut d =
            deserialize_diagnostic(&strip_json_position(&e.to_string()), at(offset..offset));
        d.code = codes::SYNTAX;
        d
    };
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        return Err(vec![syntax_error(e)]);
    }
    let Some((map, duplicates)) = SourceMap::from_json(&text) else {
        // Not expected: serde_json read it, and the source map's parser reads more than JSON.
        return Err(vec![
            Diagnostic::error(codes::SYNTAX, "this JSON could not be read for locations")
                .with_help("please report it, with the file")
                .at(at(0..0)),
        ]);
    };
    let mut diagnostics: Vec<Diagnostic> = duplicates
        .iter()
        .map(|d| duplicate_diagnostic(d, Format::Json, at))
        .collect();
    diagnostics.extend(structural_diagnostics(&map, Format::Json, at));
    match parse_json(&text, &map) {
        Ok(scenario) if diagnostics.is_empty() => Ok((scenario, map)),
        Ok(_) => Err(diagnostics),
        Err((message, span, code)) => {
            let mut d = deserialize_diagnostic(&message, at(span));
            if let Some(code) = code {
                d.code = code;
            }
            push_unless_repeated(&mut diagnostics, d);
            Err(diagnostics)
        }
    }
}

/// The byte offset of serde_json's line and column: its column counts bytes, not characters.
fn json_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut offset = (line_start + column.saturating_sub(1)).min(line_end);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Deserializes JSON (known to be well-formed), locating a type error by the path serde was
/// at, so it points at the offending key or value, not past it.
fn parse_json(
    text: &str,
    map: &SourceMap,
) -> Result<Scenario, (String, Range<usize>, Option<&'static str>)> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let error = match serde_path_to_error::deserialize::<_, Scenario>(&mut deserializer) {
        Ok(scenario) => return Ok(scenario),
        Err(e) => e,
    };
    let inner = error.inner();
    let message = strip_json_position(&inner.to_string());
    let mut pointer = Pointer::root();
    for segment in error.path() {
        pointer = match segment {
            serde_path_to_error::Segment::Seq { index } => pointer.index(*index),
            serde_path_to_error::Segment::Map { key } => pointer.key(key.clone()),
            _ => pointer,
        };
    }
    // An unknown field is reported at the object holding it; point at the key itself.
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        pointer = pointer.key(field);
        return Err((message.clone(), map.span(&pointer, Target::Key), None));
    }
    Err((message, map.span(&pointer, Target::Value), None))
}
