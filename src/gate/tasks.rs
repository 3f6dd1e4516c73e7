//! Running the planned tasks: [`run_task`] runs one task's engine (analysis, model check or
//! simulation) under what is left of the deadline and makes its records, and
//! [`cut_short_records`] says what a task the deadline stopped would have checked, every check
//! inconclusive. Called by the parent from the worker pool; it calls the engines, the records
//! and the simulation stage.

use microcosm_checker::{CheckOptions, catalogue};
use microcosm_model::analysis::{AnalysisOptions, Finding, Severity as AnalysisSeverity, analyze};
use microcosm_model::{LoadedScenario, Target};

use crate::report::{CheckRecord, Kind, Outcome, Status};

use super::deadline::Deadline;
use super::plan::{Task, gate_rules};
use super::records::{analysis_record, record_of_verdict};
use super::simulation::{all_as, simulation_checks, simulation_records};

fn analysis_records(loaded: &LoadedScenario) -> Vec<CheckRecord> {
    let mut analysis = analyze(&loaded.scenario, &AnalysisOptions::default());
    analysis.locate(loaded);
    let mut records = Vec::new();
    for rule in gate_rules(loaded, Some(&analysis)) {
        let errors: Vec<&Finding> = analysis
            .findings
            .iter()
            .filter(|f| f.rule == rule && f.severity == AnalysisSeverity::Error)
            .collect();
        let base = analysis_record(loaded, rule);
        if errors.is_empty() {
            records.push(base.clone());
        }
        for f in errors {
            let (line, column) = f.location.as_ref().map_or((1, 1), |l| (l.line, l.column));
            records.push(CheckRecord {
                status: Status::Violated,
                message: match &f.help {
                    Some(help) => format!("{} ({help})", f.message),
                    None => f.message.clone(),
                },
                line,
                column,
                ..base.clone()
            });
        }
    }
    records
}

/// The records of a task the deadline stopped before it could report (its stage does not look
/// at the deadline, or it had not started): every check it would have made, inconclusive.
pub(super) fn cut_short_records(task: &Task, deadline: &Deadline) -> Vec<CheckRecord> {
    let loaded = task.loaded();
    match task {
        Task::Analyze { .. } => {
            let message = deadline.message("the analysis finished");
            gate_rules(loaded, None)
                .into_iter()
                .map(|rule| CheckRecord {
                    status: Status::Inconclusive,
                    message: message.clone(),
                    ..analysis_record(loaded, rule)
                })
                .collect()
        }
        Task::Verify {
            job, properties, ..
        } => {
            let location = loaded.locate(&job.at, Target::Key);
            let what = if job.protocol == "retry_amplification" {
                "the static amplification analysis finished"
            } else {
                "the model check finished"
            };
            properties
                .iter()
                .map(|p| CheckRecord {
                    file: loaded.source.path.display().to_string(),
                    check: format!("{}/{p}", job.subject),
                    rule: (*p).to_owned(),
                    rule_summary: catalogue::lookup(p)
                        .map(|i| i.summary.to_owned())
                        .unwrap_or_default(),
                    kind: Kind::Verify,
                    status: Status::Inconclusive,
                    expected: None,
                    outcome: Outcome::Pass,
                    message: deadline.message(what),
                    line: location.line,
                    column: location.column,
                    stats: None,
                    counterexample: None,
                })
                .collect()
        }
        Task::Simulate { experiment, .. } => {
            let (judged, conservation) = simulation_checks(loaded, experiment);
            all_as(
                judged,
                conservation,
                Status::Inconclusive,
                &deadline.message("the simulation finished"),
            )
        }
    }
}

pub(super) fn run_task(
    task: &Task,
    opts: &CheckOptions,
    deadline: &Deadline,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<CheckRecord> {
    // A task that starts after the deadline (all threads were busy until then) runs nothing.
    if deadline.is_past() {
        return cut_short_records(task, deadline);
    }
    match task {
        Task::Analyze { loaded } => analysis_records(loaded),
        Task::Simulate { loaded, experiment } => {
            simulation_records(loaded, experiment, deadline, bar)
        }
        Task::Verify {
            loaded,
            job,
            properties,
        } => {
            let location = loaded.locate(&job.at, Target::Key);
            let mut opts = opts.clone();
            // What is left of the run's time, and the flag set when it runs out: a job that
            // explores several models stops at the deadline, not one timeout per model later.
            opts.timeout = deadline.remaining();
            if let Some(flag) = deadline.cancel_flag() {
                opts.cancel = Some(flag);
            }
            if let Some(bar) = bar {
                let bar = bar.clone();
                let subject = job.subject.clone();
                // Worded as `verify` words it, so a log reads the same from either command.
                opts.progress = Some(microcosm_checker::ProgressHook::new(move |p| {
                    bar.set_message(crate::verify::progress::counts(&subject, p));
                }));
            }
            let error_record = |p: &str, message: String| CheckRecord {
                file: loaded.source.path.display().to_string(),
                check: format!("{}/{p}", job.subject),
                rule: p.to_owned(),
                rule_summary: microcosm_checker::catalogue::lookup(p)
                    .map_or_else(String::new, |info| info.summary.to_owned()),
                kind: Kind::Verify,
                status: Status::Error,
                expected: None,
                outcome: Outcome::Error,
                message,
                line: location.line,
                column: location.column,
                stats: None,
                counterexample: None,
            };
            // Every property asked for gets a record: a job that fails, or that comes back
            // without a verdict for one, is an error for that check, never one check fewer.
            match job.run(properties, &opts) {
                Ok(verdicts) => {
                    let mut records: Vec<CheckRecord> = verdicts
                        .iter()
                        .cloned()
                        .map(|mut v| {
                            // Stopped by what is left of the run's --timeout, or by its flag:
                            // say so in the run's terms.
                            if let Some(seconds) = deadline.timeout_s() {
                                v.options.timeout = Some(seconds);
                                if let microcosm_checker::Status::Inconclusive { reason } =
                                    &mut v.status
                                    && matches!(
                                        reason,
                                        microcosm_checker::Bound::Timeout { .. }
                                            | microcosm_checker::Bound::Cancelled
                                    )
                                {
                                    *reason = microcosm_checker::Bound::Timeout { seconds };
                                }
                            }
                            record_of_verdict(loaded, location.line, location.column, &v)
                        })
                        .collect();
                    for p in properties {
                        if !verdicts.iter().any(|v| v.property == *p) {
                            records.push(error_record(
                                p,
                                "the checker returned no verdict for this property".to_owned(),
                            ));
                        }
                    }
                    records
                }
                Err(e) => properties
                    .iter()
                    .map(|p| error_record(p, format!("the checker could not run: {e}")))
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// A scenario whose breaker the model refuses (more trial calls than it holds), set after
    /// validation so the case stays refusable whatever validation accepts.
    pub(crate) fn refused_policy() -> LoadedScenario {
        let text = "name = \"t\"\n[services.a.endpoints.x]\ncalls = [\"b.y\"]\n\
                    [services.b.endpoints.y]\n[policies.\"a -> b\"]\n\
                    circuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 4, \
                    minimum_number_of_calls = 2, wait_duration_in_open_state_ms = 1000, \
                    permitted_number_of_calls_in_half_open_state = 2 }\n";
        let mut loaded = microcosm_model::load_str(
            text,
            Path::new("t.toml"),
            microcosm_model::Format::Toml,
            Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for policy in loaded.scenario.policies.values_mut() {
            if let Some(cb) = policy.circuit_breaker.as_mut() {
                cb.permitted_number_of_calls_in_half_open_state = 129;
            }
        }
        loaded
    }

    #[test]
    fn a_job_the_checker_refuses_is_an_error_for_each_of_its_checks() {
        let loaded = refused_policy();
        let jobs = microcosm_checker::scenario::jobs(&loaded.scenario);
        assert_eq!(jobs.len(), 1);
        let properties = jobs[0].properties();
        assert!(!properties.is_empty());
        let task = Task::Verify {
            loaded: std::sync::Arc::new(loaded),
            job: Box::new(jobs.into_iter().next().unwrap()),
            properties: properties.clone(),
        };
        let records = run_task(
            &task,
            &CheckOptions::default(),
            &Deadline::start(None),
            None,
        );
        assert_eq!(records.len(), properties.len());
        for r in &records {
            assert_eq!(r.status, Status::Error, "{}", r.check);
            assert!(r.message.contains("could not run"), "{}", r.message);
        }
    }
}
