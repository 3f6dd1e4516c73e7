//! The report's records that are not an engine's run, and what turns a result into a record: a
//! file's validation (valid, invalid, not loaded, an unreadable directory), a checker verdict or
//! an analysis rule as a [`CheckRecord`], and the scenario's declared verdicts applied to the
//! records. Called by the parent and the tasks; it reads the catalogues of the checker and the
//! analysis and the scenario's locations, and writes nothing, so every record's shape is in one
//! place.

use microcosm_checker::{Verdict, catalogue};
use microcosm_model::analysis::rules as analysis_rules;
use microcosm_model::{ExpectedVerdict, LoadedScenario, Severity, Target};

use crate::cli::CheckArgs;
use crate::report::{CheckRecord, Kind, Outcome, Status, Trace, TraceStep};

use super::plan::{matches_only, stage_of};

/// The scenario's service a counterexample's party is: the service itself (`payments`), or one
/// instance of it (`legacy-client#2`). Abstract parties (`breaker`) are none.
fn party_service<'a>(scenario: &'a microcosm_model::Scenario, party: &str) -> Option<&'a str> {
    let service = match party.rsplit_once('#') {
        Some((service, instance)) if instance.parse::<u32>().is_ok() => service,
        _ => party,
    };
    scenario
        .services
        .get_key_value(service)
        .map(|(name, _)| name.as_str())
}

pub(super) fn record_of_verdict(
    loaded: &LoadedScenario,
    line: usize,
    column: usize,
    v: &Verdict,
) -> CheckRecord {
    let info = catalogue::lookup(v.property);
    let summary = info.map(|i| i.summary.to_owned()).unwrap_or_default();
    let (status, message) = match &v.status {
        microcosm_checker::Status::Holds => (
            Status::Holds,
            format!(
                "holds: {} unique states explored completely",
                v.stats.unique_states
            ),
        ),
        microcosm_checker::Status::Violated => (
            Status::Violated,
            if summary.is_empty() {
                format!("{} is violated", v.property)
            } else {
                format!("violated: not always true that {summary}")
            },
        ),
        // How far it got is what the user needs to choose a larger bound.
        microcosm_checker::Status::Inconclusive { reason } => (
            Status::Inconclusive,
            format!(
                "inconclusive: {reason}; {} unique states ({} generated), depth {}, {}",
                v.stats.unique_states,
                v.stats.states_generated,
                v.stats.max_depth,
                microcosm_checker::elapsed_for_people(v.stats.elapsed)
            ),
        ),
    };
    // What would fix it comes before the model's notes: it is what the reader acts on.
    let message = match &v.fix {
        Some(fix) => format!("{message}; fix: {fix}"),
        None => message,
    };
    // What the model abstracted or scaled is part of what the verdict means.
    let message = if v.options.notes.is_empty() {
        message
    } else {
        format!("{message} (model: {})", v.options.notes.join("; "))
    };
    let counterexample = v.counterexample.as_ref().map(|c| Trace {
        steps: c
            .steps
            .iter()
            .map(|s| {
                let (line, column) =
                    party_service(&loaded.scenario, &s.party).map_or((line, column), |service| {
                        let at = microcosm_model::Pointer::root()
                            .key("services")
                            .key(service);
                        let location = loaded.locate(&at, Target::Key);
                        (location.line, location.column)
                    });
                TraceStep {
                    number: s.number,
                    party: s.party.clone(),
                    action: s.action.clone(),
                    changes: s
                        .changes
                        .iter()
                        .map(|ch| format!("{}: {} → {}", ch.field, ch.before, ch.after))
                        .collect(),
                    line,
                    column,
                }
            })
            .collect(),
        text: c.render_steps(),
        chart: c.render_msc(),
        trace_id: c.trace_id.clone(),
    });
    CheckRecord {
        file: loaded.source.path.display().to_string(),
        check: format!("{}/{}", v.model, v.property),
        rule: v.property.to_owned(),
        rule_summary: summary,
        kind: Kind::Verify,
        status,
        expected: None,
        outcome: Outcome::Pass,
        message,
        line,
        column,
        stats: serde_json::to_value(v.stats).ok(),
        counterexample,
    }
}

/// The record of analysis rule `rule` on `loaded`, holding until its findings say otherwise.
pub(super) fn analysis_record(loaded: &LoadedScenario, rule: &'static str) -> CheckRecord {
    let summary = analysis_rules::ALL
        .iter()
        .find(|(id, _)| *id == rule)
        .map_or(String::new(), |(_, s)| (*s).to_owned());
    CheckRecord {
        file: loaded.source.path.display().to_string(),
        check: rule.to_owned(),
        rule: rule.to_owned(),
        rule_summary: summary.clone(),
        kind: Kind::Analyze,
        status: Status::Holds,
        expected: None,
        outcome: Outcome::Pass,
        message: format!("holds: {summary}"),
        line: 1,
        column: 1,
        stats: None,
        counterexample: None,
    }
}

/// The records of a file that did not load: one per error diagnostic.
pub(super) fn invalid_records(error: &microcosm_model::LoadError) -> Vec<CheckRecord> {
    error
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let (line, column) = d.location.as_ref().map_or((1, 1), |l| (l.line, l.column));
            CheckRecord {
                file: error.path.display().to_string(),
                check: format!("validate/{}", d.code),
                rule: format!("scenario.{}", d.code),
                rule_summary: "the scenario file is valid".to_owned(),
                kind: Kind::Validate,
                status: Status::Error,
                expected: None,
                outcome: Outcome::Error,
                message: match &d.help {
                    Some(help) => format!("{} ({help})", d.message),
                    None => d.message.clone(),
                },
                line,
                column,
                stats: None,
                counterexample: None,
            }
        })
        .collect()
}

/// The validation record of a file, before anything is known of it.
pub(super) fn unloaded_record(file: &std::path::Path) -> CheckRecord {
    CheckRecord {
        file: file.display().to_string(),
        check: "validate".to_owned(),
        rule: "scenario.valid".to_owned(),
        rule_summary: "the scenario file is valid".to_owned(),
        kind: Kind::Validate,
        status: Status::Holds,
        expected: None,
        outcome: Outcome::Pass,
        message: String::new(),
        line: 1,
        column: 1,
        stats: None,
        counterexample: None,
    }
}

/// The record of a directory that could not be searched for scenarios.
pub(super) fn walk_error_record(dir: &std::path::Path, error: &std::io::Error) -> CheckRecord {
    let code = microcosm_model::diagnostic::codes::IO;
    CheckRecord {
        file: dir.display().to_string(),
        check: format!("validate/{code}"),
        rule: format!("scenario.{code}"),
        rule_summary: "the scenario file is valid".to_owned(),
        kind: Kind::Validate,
        status: Status::Error,
        expected: None,
        outcome: Outcome::Error,
        message: format!("cannot read the directory: {error}"),
        line: 1,
        column: 1,
        stats: None,
        counterexample: None,
    }
}

pub(super) fn valid_record(loaded: &LoadedScenario) -> CheckRecord {
    let s = &loaded.scenario;
    CheckRecord {
        file: loaded.source.path.display().to_string(),
        check: "validate".to_owned(),
        rule: "scenario.valid".to_owned(),
        rule_summary: "the scenario file is valid".to_owned(),
        kind: Kind::Validate,
        status: Status::Holds,
        expected: None,
        outcome: Outcome::Pass,
        message: format!(
            "valid: {} services, {} endpoints, {} transactions, {} experiments",
            s.services.len(),
            s.endpoints().count(),
            s.transactions.len(),
            s.experiments.len()
        ),
        line: 1,
        column: 1,
        stats: None,
        counterexample: None,
    }
}

/// Applies the scenario's declared verdicts; returns failed records for declared checks that
/// did not run (a gallery whose check disappeared must not pass silently).
pub(super) fn apply_expectations(
    loaded: &LoadedScenario,
    records: &mut [CheckRecord],
    args: &CheckArgs,
) -> Vec<CheckRecord> {
    let mut missing = Vec::new();
    let file = loaded.source.path.display().to_string();
    for (check, expected) in &loaded.scenario.expected_verdicts {
        let expected = match expected {
            ExpectedVerdict::Holds => Status::Holds,
            ExpectedVerdict::Violated => Status::Violated,
        };
        let mut found = false;
        for r in records
            .iter_mut()
            .filter(|r| r.file == file && &r.check == check)
        {
            r.expected = Some(expected);
            found = true;
        }
        let rule = check.rsplit_once('/').map_or(check.as_str(), |(_, r)| r);
        // A narrowed run may legitimately not produce an expected check; but only one whose
        // stage was skipped or that --only left out. An id no stage knows (a typo) is reported
        // whatever the narrowing, or `--skip simulate` would hide it.
        let left_out = match stage_of(rule) {
            Some(stage) => args.skip.contains(&stage) || !matches_only(&args.only, check, rule),
            None => false,
        };
        if !found && !left_out {
            let location = loaded.locate(
                &microcosm_model::Pointer::root()
                    .key("expected_verdicts")
                    .key(check),
                Target::Key,
            );
            missing.push(CheckRecord {
                file: file.clone(),
                check: check.clone(),
                rule: rule.to_owned(),
                rule_summary: String::new(),
                kind: Kind::Verify,
                status: Status::Error,
                expected: Some(expected),
                outcome: Outcome::Fail,
                message: format!("the scenario expects `{check}`, but no check has that id"),
                line: location.line,
                column: location.column,
                stats: None,
                counterexample: None,
            });
        }
    }
    missing
}
