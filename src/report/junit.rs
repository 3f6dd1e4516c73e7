//! The gate's JUnit XML report, as GitLab's, Jenkins' and GitHub's test-report importers read
//! it: one `<testsuite>` per scenario file, one `<testcase>` per check (classname = the file,
//! name = the check id), `<failure>` with the message and counterexample, `<error>` for invalid
//! input, `<skipped>` for an inconclusive check let through by `--allow-inconclusive`. A body
//! opens with what went wrong and where, then names the rule it broke.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{GateReport, Outcome};

pub fn write(out: &mut Vec<u8>, report: &GateReport) -> anyhow::Result<()> {
    let mut junit = Report::new("microcosm");
    for file in &report.files {
        let mut suite = TestSuite::new(file.as_str());
        for r in report.records.iter().filter(|r| &r.file == file) {
            let mut status = match r.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Outcome::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
                Outcome::Skip => TestCaseStatus::skipped(),
            };
            if r.outcome != Outcome::Pass {
                status.set_message(format!("{}:{}: {}", r.file, r.line, r.message));
                status.set_type(r.status.name());
                // What went wrong first, then where; the rule's statement last, named as the
                // rule, since on its own ("the scenario file is valid") it reads as a verdict.
                let mut description = format!(
                    "{}\n{}:{}:{}\nrule {}: {}\n",
                    r.message, r.file, r.line, r.column, r.rule, r.rule_summary
                );
                if let Some(trace) = &r.counterexample {
                    description.push('\n');
                    description.push_str(&trace.text);
                    description.push('\n');
                    description.push_str(&trace.chart);
                }
                status.set_description(description);
            }
            let mut case = TestCase::new(r.check.as_str(), status);
            case.set_classname(file.as_str());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.serialize(&mut *out)?;
    Ok(())
}
