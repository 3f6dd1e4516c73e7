//! The validation rules' tests, as tables. Each part of the seven-tuple (or of the file) has a
//! file under `tests/` with a `CASES` table: a rule broken once, as an edit to [`BASE`], and the
//! one diagnostic it must give (code, part of the message, the line and column it points at,
//! and where it matters the help); and a `VALID` table of near misses that must load. One
//! runner, [`run`], checks every row and then fails naming every row that did not hold, so one
//! broken rule does not hide the others. Cases that need more than one diagnostic, or asserts
//! on the loaded scenario, stay ordinary tests beside the table.
//!
//! This file holds what the groups share: `BASE` and the edits to it, the runner, and the tests
//! of loading as a whole (the top level, and what serde rejects before validation).

use std::path::Path;

use crate::diagnostic::codes;
use crate::source::{Format, line_column};
use crate::{Diagnostic, load_str};

mod configuration;
mod cycles;
mod data;
mod deployment;
mod expectations;
mod experiments;
mod faults;
mod meaning;
mod monitoring;
mod monolith;
mod network;
mod services;
mod transactions;

/// A small valid scenario the tests break one rule at a time.
pub(super) const BASE: &str = r#"name = "t"

[services.a]
functions = ["fa"]
data = { db = "read-write" }

[services.a.endpoints.x]
public = true
calls = ["b.y"]

[services.b]
[services.b.endpoints.y]
work = { dist = "constant", ms = 1 }

[data_stores.db]
kind = "postgres"
owner = "a"

[slos.s]
endpoint = "a.x"
availability = 0.99

[experiments.e]
duration_s = 100
load = [{ endpoint = "a.x", rate_per_s = 10 }]
"#;

/// The load line of `BASE`'s experiment `e`.
pub(super) const LOAD: &str = r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#;

/// The work line of `BASE`'s endpoint `b.y`.
const WORK: &str = r#"work = { dist = "constant", ms = 1 }"#;

/// The calls line of `BASE`'s endpoint `a.x`.
const CALLS: &str = r#"calls = ["b.y"]"#;

pub(super) fn load(text: &str) -> Result<crate::LoadedScenario, Vec<Diagnostic>> {
    load_str(text, Path::new("t.toml"), Format::Toml, Path::new(".")).map_err(|e| e.diagnostics)
}

pub(super) fn errors(text: &str) -> Vec<Diagnostic> {
    match load(text) {
        Ok(_) => panic!("expected errors, the scenario loaded:\n{text}"),
        Err(d) => d,
    }
}

/// Whether `text` loads without a diagnostic.
fn valid(text: &str) -> Result<(), String> {
    match load(text) {
        Ok(_) => Ok(()),
        Err(d) => Err(format!(
            "expected no diagnostic, got:\n{}\nin:\n{text}",
            listed(&d)
        )),
    }
}

fn listed(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `BASE` with experiment `e`'s load replaced by `load`.
pub(super) fn with_load(load: &str) -> String {
    BASE.replace(LOAD, load)
}

/// `BASE` with experiment `e` loading `a.x` through the one generator `generator` (the inside
/// of its inline table).
pub(super) fn with_generator(generator: &str) -> String {
    with_load(&format!("load = [{{ {generator} }}]"))
}

/// `BASE` with `lines` added to experiment `e`.
pub(super) fn with_experiment(lines: &str) -> String {
    with_load(&format!("{LOAD}\n{lines}"))
}

/// `BASE` with experiment `e` running the one fault `fault` (the inside of its inline table).
pub(super) fn with_fault(fault: &str) -> String {
    with_experiment(&format!("faults = [{{ {fault} }}]"))
}

/// `BASE` with a policy on its one call edge, `a -> b`.
pub(super) fn with_policy(body: &str) -> String {
    format!("{BASE}\n[policies.\"a -> b\"]\n{body}\n")
}

/// `BASE` with endpoint `b.y` working as `work`.
pub(super) fn with_work(work: &str) -> String {
    BASE.replace(WORK, work)
}

/// `BASE` with endpoint `a.x` calling as `calls`.
pub(super) fn with_calls(calls: &str) -> String {
    BASE.replace(CALLS, calls)
}

/// `BASE` with the transaction `t` declared by `body`.
pub(super) fn with_transaction(body: &str) -> String {
    format!("{BASE}\n[transactions.t]\n{body}\n")
}

/// One rule broken once: the scenario, and the one diagnostic loading it must give.
pub(super) struct Case {
    /// Names the case in a failure: the rule, and which way it is broken.
    pub(super) name: &'static str,
    /// The scenario: `BASE` with one edit.
    pub(super) text: fn() -> String,
    /// The diagnostic's code.
    pub(super) code: &'static str,
    /// A part of its message.
    pub(super) message: &'static str,
    /// Where it points: the `nth` (0-based) occurrence of `at` in the text; where `at` holds a
    /// `|`, the character after it (`"loss = |5"` points at the `5`).
    pub(super) at: &'static str,
    /// Which occurrence of `at`, from 0.
    pub(super) nth: usize,
    /// What its help must say, if the case is about the help too.
    pub(super) help: Help,
}

/// What a case asserts of the diagnostic's help.
pub(super) enum Help {
    Unchecked,
    Is(&'static str),
    Contains(&'static str),
}

/// The defaults of a [`Case`]: the first occurrence of `at`, the help unchecked. Every row sets
/// the other fields; the runner refuses a row without a name, a code or a location.
pub(super) const CASE: Case = Case {
    name: "",
    text: String::new,
    code: "",
    message: "",
    at: "",
    nth: 0,
    help: Help::Unchecked,
};

/// A near miss that must load without a diagnostic: (name, scenario).
pub(super) type Valid = (&'static str, fn() -> String);

/// Checks every case and every valid scenario, then panics naming each one that failed, so one
/// broken rule does not hide the others.
#[track_caller]
pub(super) fn run(cases: &[Case], valid_scenarios: &[Valid]) {
    let mut failed = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for case in cases {
        if !names.insert(case.name) {
            failed.push(format!("{}: the name is used twice", case.name));
        }
        if let Err(why) = check(case) {
            failed.push(format!("{}: {why}", case.name));
        }
    }
    for (name, text) in valid_scenarios {
        if let Err(why) = valid(&text()) {
            failed.push(format!("{name} (valid): {why}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failed.len(),
        cases.len() + valid_scenarios.len(),
        failed.join("\n\n")
    );
}

fn check(case: &Case) -> Result<(), String> {
    if case.name.is_empty() || case.code.is_empty() || case.at.is_empty() {
        return Err("a case needs a name, a code and a location".to_owned());
    }
    let text = (case.text)();
    let d = one(&text)?;
    located(&d, &text, case.code, case.message, case.at, case.nth)?;
    let help = d.help.as_deref();
    match case.help {
        Help::Unchecked => Ok(()),
        Help::Is(want) if help == Some(want) => Ok(()),
        Help::Contains(part) if help.is_some_and(|h| h.contains(part)) => Ok(()),
        Help::Is(want) => Err(format!("help {help:?} is not {want:?}")),
        Help::Contains(part) => Err(format!("help {help:?} lacks {part:?}")),
    }
}

/// The one diagnostic loading `text` gives.
fn one(text: &str) -> Result<Diagnostic, String> {
    let mut diagnostics = match load(text) {
        Ok(_) => return Err(format!("expected errors, the scenario loaded:\n{text}")),
        Err(d) => d,
    };
    if diagnostics.len() != 1 {
        return Err(format!(
            "expected one diagnostic, got:\n{}",
            listed(&diagnostics)
        ));
    }
    Ok(diagnostics.remove(0))
}

#[track_caller]
pub(super) fn assert_located(
    d: &Diagnostic,
    text: &str,
    code: &str,
    message: &str,
    at: &str,
    nth: usize,
) {
    if let Err(why) = located(d, text, code, message, at, nth) {
        panic!("{why}");
    }
}

/// Whether `d` has `code`, a message containing `message`, and points at `at` (see [`Case`]).
fn located(
    d: &Diagnostic,
    text: &str,
    code: &str,
    message: &str,
    at: &str,
    nth: usize,
) -> Result<(), String> {
    if d.code != code {
        return Err(format!("code {:?} is not {code:?}: {d}", d.code));
    }
    if !d.message.contains(message) {
        return Err(format!("message {:?} lacks {message:?}", d.message));
    }
    let (before, after) = at.split_once('|').unwrap_or(("", at));
    let needle = format!("{before}{after}");
    let Some((offset, _)) = text.match_indices(&needle).nth(nth) else {
        return Err(format!("`{needle}` #{nth} not in the text"));
    };
    let (line, column) = line_column(text, offset + before.len());
    let Some(location) = d.location.as_ref() else {
        return Err(format!("{d} is not located"));
    };
    if (location.line, location.column) != (line, column) {
        return Err(format!(
            "{d} should point at `{at}`: line {line}, column {column}, not line {}, column {}",
            location.line, location.column
        ));
    }
    Ok(())
}

/// Among the diagnostics of `text`, one points at `at` and names `choice`. (A bad value inside
/// a transaction may also be reported by serde at the `[transactions.NAME]` header: the loader
/// reads the tagged table whole; that is the loader's, not this option's.)
#[track_caller]
pub(super) fn assert_value_error(text: &str, at: &str, choice: &str) {
    let offset = text.find(at).unwrap();
    let (line, column) = line_column(text, offset);
    let d = errors(text);
    assert!(
        d.iter().any(|d| {
            d.code == codes::WRONG_TYPE
                && d.message.contains(choice)
                && d.location
                    .as_ref()
                    .is_some_and(|l| (l.line, l.column) == (line, column))
        }),
        "no diagnostic at `{at}` naming `{choice}`: {d:?}"
    );
}

#[test]
fn the_base_scenario_is_valid() {
    let loaded = load(BASE).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(loaded.scenario.services.len(), 2);
}

// ── The top level: the scenario's name, and that it declares an architecture ──────────────────

const TOP_LEVEL: &[Case] = &[
    Case {
        name: "an_empty_scenario_name",
        text: || BASE.replace(r#"name = "t""#, r#"name = " ""#),
        code: codes::OUT_OF_RANGE,
        message: "the scenario's `name` is empty",
        at: r#"name = |" ""#,
        ..CASE
    },
    Case {
        name: "a_scenario_with_no_services_and_no_monolith",
        text: || "name = \"t\"\n".to_owned(),
        code: codes::MISSING_FIELD,
        message: "declares no services and no monolith",
        at: "name",
        ..CASE
    },
];

const TOP_LEVEL_VALID: &[Valid] = &[(
    "a_scenario_with_no_services_and_no_monolith: a monolith alone",
    || "name = \"t\"\n[monolith.functions]\nf = {}\n".to_owned(),
)];

#[test]
fn top_level_rules() {
    run(TOP_LEVEL, TOP_LEVEL_VALID);
}

// ── Loading as a whole: every problem at once, and what serde rejects before validation ────────

const LOADING: &[Case] = &[
    Case {
        name: "unknown_keys_are_rejected_with_a_suggestion",
        text: || BASE.replace("availability = 0.99", "availabilty = 0.99"),
        code: codes::UNKNOWN_FIELD,
        message: "unknown field `availabilty`",
        at: "availabilty",
        help: Help::Is("did you mean `availability`?"),
        ..CASE
    },
    Case {
        name: "a_duplicate_top_level_key_says_it_is_at_the_top_level",
        text: || format!("name = \"first\"\n{BASE}"),
        code: codes::DUPLICATE,
        message: "`name` is declared twice at the top level",
        at: "|name = \"t\"",
        nth: 0,
        help: Help::Is("the first is on line 1; TOML allows a key once, so merge or rename them"),
    },
    // The repeated table shares a key with the first: one problem, the table, as in JSON.
    Case {
        name: "a_duplicate_toml_table_names_the_key_and_its_first_declaration",
        text: || format!("{BASE}\n[services.b]\nfunctions = [\"fb\"]\n[services.b.endpoints.y]\n"),
        code: codes::DUPLICATE,
        message: "`b` is declared twice in `services`",
        at: "[services.|b]",
        nth: 1,
        help: Help::Is("the first is on line 11; TOML allows a key once, so merge or rename them"),
    },
];

#[test]
fn loading_rules() {
    run(LOADING, &[]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = BASE
        .replace(r#"calls = ["b.y"]"#, r#"calls = ["c.y"]"#)
        .replace("availability = 0.99", "availability = 2")
        .replace("duration_s = 100", "duration_s = -5");
    let d = errors(&text);
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [codes::UNRESOLVED, codes::OUT_OF_RANGE, codes::OUT_OF_RANGE]
    );
}

#[test]
fn unknown_enumeration_values_are_rejected_with_a_suggestion() {
    let text = BASE.replace(r#"dist = "constant""#, r#"dist = "constnat""#);
    let d = errors(&text);
    assert_eq!(d[0].code, codes::WRONG_TYPE, "{}", d[0]);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `constant`?"));
}

#[test]
fn wrong_types_are_located() {
    let text = BASE.replace("duration_s = 100", "duration_s = \"long\"");
    let d = errors(&text);
    assert_located(
        &d[0],
        &text,
        codes::WRONG_TYPE,
        "invalid type",
        "\"long\"",
        0,
    );
}

#[test]
fn duplicate_toml_keys_are_each_reported_where_they_repeat() {
    let text = BASE
        .replace("owner = \"a\"", "owner = \"a\"\nowner = \"b\"")
        .replace("duration_s = 100", "duration_s = 100\n\"duration_s\" = 5");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::DUPLICATE,
        "`owner` is declared twice in `data_stores.db`",
        "owner",
        1,
    );
    assert_located(
        &d[1],
        &text,
        codes::DUPLICATE,
        "`duration_s` is declared twice in `experiments.e`",
        "\"duration_s\"",
        0,
    );
}

#[test]
fn duplicate_json_keys_are_reported_at_the_repeat() {
    let text = r#"{"name": "t", "services": {"a": {}, "a": {"functions": ["f"]}}}"#;
    let d = load_str(text, Path::new("t.json"), Format::Json, Path::new("."))
        .unwrap_err()
        .diagnostics;
    assert_eq!(d.len(), 1);
    assert_located(
        &d[0],
        text,
        codes::DUPLICATE,
        "`a` is declared twice in `services`",
        "\"a\"",
        1,
    );
}
