//! The gate's report: one [`CheckRecord`] per check of every scenario, whatever engine produced
//! it, and the writers that turn the records into what CI tools read — people (`human`), JSON
//! Lines (`json`), JUnit XML (`junit`), SARIF 2.1.0 (`sarif`) and GitHub workflow commands
//! (`github`). Every writer reads the same records, so the formats never disagree.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use serde::Serialize;

/// Which engine produced a check.
#[allow(
    dead_code,
    reason = "the analysis and simulation stages produce them as they land"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Loading and validating the scenario.
    Validate,
    /// Architecture analysis rules.
    Analyze,
    /// Model checking.
    Verify,
    /// Simulation of an experiment.
    Simulate,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Validate => "validate",
            Kind::Analyze => "analyze",
            Kind::Verify => "verify",
            Kind::Simulate => "simulate",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The property, rule or expectation holds.
    Holds,
    /// It is violated.
    Violated,
    /// The engine could not decide (a bound, a timeout, something not modelled).
    Inconclusive,
    /// The check could not run (invalid input).
    Error,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Violated => "violated",
            Status::Inconclusive => "inconclusive",
            Status::Error => "error",
        }
    }
}

/// Whether a check lets the gate pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It passes (it holds, or it matches the verdict the scenario expects).
    Pass,
    /// It fails the gate.
    Fail,
    /// Inconclusive, and `--allow-inconclusive` lets it through.
    Skip,
    /// The input was invalid.
    Error,
}

/// One step of a counterexample, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct TraceStep {
    /// 1-based.
    pub number: usize,
    /// Who acts.
    pub party: String,
    /// What they do.
    pub action: String,
    /// What changed, `field: before → after`, one per entry.
    pub changes: Vec<String>,
    /// Where the acting party is written: its `[services.NAME]` table when it is a service of
    /// the scenario, else the check's own line. SARIF code flows walk these.
    pub line: usize,
    /// Column.
    pub column: usize,
}

/// A counterexample: structured steps for SARIF code flows and JSON, and the rendered text.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// The steps.
    pub steps: Vec<TraceStep>,
    /// The numbered list, as `microcosm verify` prints it.
    pub text: String,
    /// The message-sequence chart.
    pub chart: String,
    /// The replayable id.
    pub trace_id: String,
}

/// One check of one scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    /// The scenario file, as given.
    pub file: String,
    /// The check id, unique in the file: `subject/rule` (`move-funds/2pc.termination`).
    pub check: String,
    /// The rule or property id (`2pc.termination`): a SARIF rule id.
    pub rule: String,
    /// One line on what the rule means.
    pub rule_summary: String,
    /// The engine.
    pub kind: Kind,
    /// What it found.
    pub status: Status,
    /// The verdict the scenario declares it expects, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Status>,
    /// Whether it lets the gate pass.
    pub outcome: Outcome,
    /// One line for people.
    pub message: String,
    /// Line of the scenario the check concerns (1-based; 1 when it concerns the whole file).
    pub line: usize,
    /// Column.
    pub column: usize,
    /// Engine figures (states, depth, time; requests, percentiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
    /// The counterexample of a violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Trace>,
}

impl CheckRecord {
    /// Decides the outcome from the status, the expectation and whether inconclusive checks may
    /// pass.
    pub fn decide(&mut self, allow_inconclusive: bool) {
        self.outcome = match (self.status, self.expected) {
            (Status::Error, _) => Outcome::Error,
            (status, Some(expected)) if status == expected => Outcome::Pass,
            (Status::Inconclusive, _) if allow_inconclusive => Outcome::Skip,
            (_, Some(_)) => Outcome::Fail,
            (Status::Holds, None) => Outcome::Pass,
            (Status::Violated | Status::Inconclusive, None) => Outcome::Fail,
        };
        if let (Some(expected), Outcome::Fail) = (self.expected, self.outcome)
            && expected != self.status
        {
            self.message = format!(
                "expected {} but found {}: {}",
                expected.name(),
                self.status.name(),
                self.message
            );
        }
    }
}

/// Counts over a report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
}

/// `n` and `word`, in the number `n` asks for: "1 error", "2 errors", "0 errors".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Summary {
    /// The gate's counts, as every human-facing format words them: "12 checks: 11 passed,
    /// 0 failed, 0 skipped, 1 error".
    pub fn counts(&self) -> String {
        format!(
            "{}: {} passed, {} failed, {} skipped, {}",
            plural(self.checks, "check"),
            self.passed,
            self.failed,
            self.skipped,
            plural(self.errors, "error")
        )
    }

    pub fn of(files: usize, records: &[CheckRecord]) -> Summary {
        let mut s = Summary {
            files,
            checks: records.len(),
            ..Summary::default()
        };
        for r in records {
            match r.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Skip => s.skipped += 1,
                Outcome::Error => s.errors += 1,
            }
        }
        s
    }
}

/// The scenario files checked and their records, in a deterministic order.
#[derive(Debug, Clone)]
pub struct GateReport {
    /// Every file checked, in order.
    pub files: Vec<String>,
    /// Every check, grouped by file in the order of `files`.
    pub records: Vec<CheckRecord>,
}

impl GateReport {
    pub fn summary(&self) -> Summary {
        Summary::of(self.files.len(), &self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_worded_in_the_number_they_have() {
        let one = Summary {
            files: 1,
            checks: 1,
            errors: 1,
            ..Summary::default()
        };
        assert_eq!(
            one.counts(),
            "1 check: 0 passed, 0 failed, 0 skipped, 1 error"
        );
        let two = Summary {
            files: 2,
            checks: 2,
            passed: 2,
            ..Summary::default()
        };
        assert_eq!(
            two.counts(),
            "2 checks: 2 passed, 0 failed, 0 skipped, 0 errors"
        );
        assert_eq!(plural(1, "entry endpoint"), "1 entry endpoint");
    }

    fn record(status: Status, expected: Option<Status>) -> CheckRecord {
        let mut r = CheckRecord {
            file: "f.toml".into(),
            check: "t/2pc.termination".into(),
            rule: "2pc.termination".into(),
            rule_summary: String::new(),
            kind: Kind::Verify,
            status,
            expected,
            outcome: Outcome::Pass,
            message: "m".into(),
            line: 1,
            column: 1,
            stats: None,
            counterexample: None,
        };
        r.decide(false);
        r
    }

    #[test]
    fn a_known_bug_passes_while_it_is_found_and_fails_once_it_is_not() {
        assert_eq!(
            record(Status::Violated, Some(Status::Violated)).outcome,
            Outcome::Pass
        );
        let fixed = record(Status::Holds, Some(Status::Violated));
        assert_eq!(fixed.outcome, Outcome::Fail);
        assert!(
            fixed
                .message
                .starts_with("expected violated but found holds")
        );
    }

    #[test]
    fn inconclusive_fails_unless_allowed() {
        assert_eq!(record(Status::Inconclusive, None).outcome, Outcome::Fail);
        let mut r = record(Status::Inconclusive, None);
        r.decide(true);
        assert_eq!(r.outcome, Outcome::Skip);
        assert_eq!(record(Status::Error, None).outcome, Outcome::Error);
    }
}
