//! Turning what went wrong into located diagnostics: structural issues, keys declared twice,
//! validation's problems (located through the [`SourceMap`]) and serde's error messages,
//! reworded with a code and a did-you-mean suggestion. Called by [`super::parse`] and
//! [`super::load_str`]; separate so that every message a parse or validation failure gives is
//! worded in one place, whichever format or stage found it.

use std::ops::Range;

use super::structure;
use crate::diagnostic::{Diagnostic, Location, codes, did_you_mean};
use crate::source::{DuplicateKey, Format, Pointer, SourceMap};
use crate::validate::Problem;

/// The structural problems of a parsed document (see [`structure`]), as diagnostics.
pub(super) fn structural_diagnostics(
    map: &SourceMap,
    format: Format,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Vec<Diagnostic> {
    structure::check(map, crate::schema::scenario_schema(), format)
        .into_iter()
        .map(|issue| {
            let mut d = Diagnostic::error(issue.code, issue.message).at(at(issue.span));
            d.help = issue.help;
            d
        })
        .collect()
}

/// Adds serde's first error unless it repeats a structural one. serde stops at the same place
/// the structural check points at, or at a table around it (it reads an internally tagged
/// table whole before it looks inside), so an overlapping span is the same problem.
pub(super) fn push_unless_repeated(diagnostics: &mut Vec<Diagnostic>, serde_error: Diagnostic) {
    let span = |d: &Diagnostic| d.location.as_ref().map(|l| l.span.clone());
    let repeated = span(&serde_error).is_some_and(|s| {
        diagnostics
            .iter()
            .filter_map(span)
            .any(|other| other.start <= s.end && s.start <= other.end)
    });
    if !repeated {
        diagnostics.push(serde_error);
    }
}

/// The diagnostic for a key declared twice in one table.
pub(super) fn duplicate_diagnostic(
    duplicate: &DuplicateKey,
    format: Format,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Diagnostic {
    let first = at(duplicate.first.clone()).line;
    let keeps = match format {
        Format::Toml => "TOML allows a key once",
        Format::Json => "JSON keeps only one",
    };
    Diagnostic::error(
        codes::DUPLICATE,
        format!(
            "`{}` is declared twice {}",
            duplicate.key,
            where_declared(&duplicate.pointer)
        ),
    )
    .with_help(format!(
        "the first is on line {first}; {keeps}, so merge or rename them"
    ))
    .at(at(duplicate.span.clone()).with_label("declared again here"))
}

/// Where a table sits, as the end of a sentence: "at the top level", "in `services`".
fn where_declared(p: &Pointer) -> String {
    if p.segments().is_empty() {
        "at the top level".to_owned()
    } else {
        format!("in `{p}`")
    }
}

pub(super) fn locate(
    problem: &Problem,
    map: &SourceMap,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Diagnostic {
    let span = map.span(&problem.at, problem.target);
    let mut d = Diagnostic::error(problem.code, problem.message.clone()).at(at(span));
    d.help = problem.help.clone();
    d
}

/// serde_json appends " at line L column C" to its messages; the location is shown anyway.
pub(super) fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Turns a serde error message into a diagnostic with a code and, for unknown names, a
/// suggestion of the closest known one.
pub(super) fn deserialize_diagnostic(message: &str, location: Location) -> Diagnostic {
    let message = message.trim().trim_end_matches('\n');
    let first_line = message.lines().next().unwrap_or(message).to_owned();
    let (code, help) = if let Some(rest) = first_line.strip_prefix("unknown field `") {
        (codes::UNKNOWN_FIELD, suggestion(rest))
    } else if let Some(rest) = first_line.strip_prefix("unknown variant `") {
        (codes::WRONG_TYPE, suggestion(rest))
    } else if first_line.starts_with("missing field") {
        (codes::MISSING_FIELD, None)
    } else if first_line.starts_with("invalid type")
        || first_line.starts_with("invalid value")
        || first_line.starts_with("invalid length")
        || first_line.contains("did not match")
    {
        (codes::WRONG_TYPE, None)
    } else {
        (codes::SYNTAX, None)
    };
    let mut d = Diagnostic::error(code, first_line).at(location);
    d.help = help;
    d
}

/// From "name`, expected one of `a`, `b`" (the tail of serde's message), the closest expected
/// name.
fn suggestion(rest: &str) -> Option<String> {
    let (name, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if candidates.is_empty() {
        return Some(format!("`{name}` is not allowed here"));
    }
    match did_you_mean(name, candidates.iter().copied()) {
        Some(close) => Some(format!("did you mean `{close}`?")),
        None => Some(format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
