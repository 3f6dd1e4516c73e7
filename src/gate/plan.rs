//! Planning which checks run: the [`Task`]s (one file's engine on one subject), the check ids a
//! scenario's rules and experiments produce, how `--only` selects them and which stage a rule id
//! belongs to, and the refusal of a pattern that selects nothing. Pure functions of the
//! scenario and the arguments, called by the parent ([`Plan::new`] first), the tasks and the
//! records; nothing here runs an engine, so what the gate would check can be read without how
//! it is checked.

use std::sync::Arc;

use microcosm_model::LoadedScenario;
use microcosm_model::analysis::{Analysis, Severity as AnalysisSeverity, rules as analysis_rules};

use crate::cli::{CheckArgs, Stage};

/// One unit of work: a file's engine run on one subject.
pub(super) enum Task {
    Analyze {
        loaded: Arc<LoadedScenario>,
    },
    Verify {
        loaded: Arc<LoadedScenario>,
        job: Box<microcosm_checker::scenario::Job>,
        properties: Vec<&'static str>,
    },
    Simulate {
        loaded: Arc<LoadedScenario>,
        experiment: String,
    },
}

impl Task {
    pub(super) fn loaded(&self) -> &LoadedScenario {
        match self {
            Task::Analyze { loaded }
            | Task::Verify { loaded, .. }
            | Task::Simulate { loaded, .. } => loaded,
        }
    }
}

/// What the gate will run: every check the stages not skipped would make, and the tasks that
/// make those `--only` selects.
pub(super) struct Plan {
    /// Every check the stages not skipped would run, as (check id, rule id), before --only
    /// narrows them; the analysis rules that apply to a scenario are known once they have run.
    pub(super) known: Vec<(String, String)>,
    /// The work, in the report's order within each file: analysis, model checks, simulations.
    pub(super) tasks: Vec<Task>,
}

impl Plan {
    /// Plans the checks of the scenarios that loaded, in the order given.
    pub(super) fn new<'a>(
        loads: impl Iterator<Item = &'a Arc<LoadedScenario>> + Clone,
        args: &CheckArgs,
    ) -> Plan {
        let mut known: Vec<(String, String)> = Vec::new();
        let mut tasks = Vec::new();
        for loaded in loads.clone() {
            known.push(("validate".to_owned(), "scenario.valid".to_owned()));
            if !args.skip.contains(&Stage::Analyze) {
                tasks.push(Task::Analyze {
                    loaded: loaded.clone(),
                });
            }
            if !args.skip.contains(&Stage::Verify) {
                for job in microcosm_checker::scenario::jobs(&loaded.scenario) {
                    for p in job.properties() {
                        known.push((format!("{}/{p}", job.subject), p.to_owned()));
                    }
                    let properties: Vec<&'static str> = job
                        .properties()
                        .into_iter()
                        .filter(|p| matches_only(&args.only, &format!("{}/{p}", job.subject), p))
                        .collect();
                    if !properties.is_empty() {
                        tasks.push(Task::Verify {
                            loaded: loaded.clone(),
                            job: Box::new(job),
                            properties,
                        });
                    }
                }
            }
        }

        for loaded in loads {
            if args.skip.contains(&Stage::Simulate) {
                continue;
            }
            for (name, experiment) in &loaded.scenario.experiments {
                // Every experiment, even one with nothing else to judge: `simulate` fails a run
                // that measured nothing or lost a request, so the gate must too.
                let checks = expectation_checks(&loaded.scenario, name, experiment);
                let wanted = checks
                    .iter()
                    .any(|(check, rule)| matches_only(&args.only, check, rule));
                known.extend(checks.into_iter().map(|(c, r)| (c, r.to_owned())));
                if wanted {
                    tasks.push(Task::Simulate {
                        loaded: loaded.clone(),
                        experiment: name.clone(),
                    });
                }
            }
        }
        Plan { known, tasks }
    }

    /// The checks a pattern may name before any check runs: the known ones, and every analysis
    /// rule as one that may apply.
    pub(super) fn possible(&self, args: &CheckArgs) -> Vec<(String, String)> {
        let known = &self.known;
        let analysing = !args.skip.contains(&Stage::Analyze) && !known.is_empty();
        let any_rule = analysis_rules::ALL
            .iter()
            .filter(|_| analysing)
            .map(|(id, _)| ((*id).to_owned(), (*id).to_owned()));
        known.iter().cloned().chain(any_rule).collect()
    }
}

pub(super) fn matches_only(only: &[String], check: &str, rule: &str) -> bool {
    only.is_empty()
        || only.iter().any(|p| {
            microcosm_model::edge::glob_match(p, check)
                || microcosm_model::edge::glob_match(p, rule)
        })
}

/// The analysis rules that can find an architecture broken, and whether each applies to a
/// scenario: the gate reports each applicable one as a check (warnings and figures are for
/// `microcosm analyze`).
pub(super) fn gate_rules(
    loaded: &LoadedScenario,
    analysis: Option<&Analysis>,
) -> Vec<&'static str> {
    let s = &loaded.scenario;
    let mut rules = Vec::new();
    // The theorem is checked exactly when the scenario has a monolith: known before analysing.
    if s.monolith.is_some() {
        rules.extend([
            analysis_rules::COVERAGE,
            analysis_rules::UNKNOWN_FUNCTION,
            analysis_rules::DISJOINTNESS,
            analysis_rules::COHESION,
        ]);
    }
    rules.push(analysis_rules::SYNC_CYCLE);
    if !s.topics.is_empty() {
        rules.push(analysis_rules::TOPIC_SCHEMA);
    }
    if s.network.security.is_some() {
        rules.push(analysis_rules::DENIED_CALL);
    }
    if s.cluster.is_some() {
        rules.push(analysis_rules::ZONE_OVERCOMMIT);
    }
    // Whatever else reports an error is a check too, so no error finding is ever dropped.
    for f in analysis.iter().flat_map(|a| &a.findings) {
        if f.severity == AnalysisSeverity::Error && !rules.contains(&f.rule) {
            rules.push(f.rule);
        }
    }
    rules
}

/// The checks an experiment's expectations make: `(check id, rule id)`, as
/// `Scenario::judged` (the rule `simulate` shares) lists them.
pub(super) fn expectation_checks(
    scenario: &microcosm_model::Scenario,
    name: &str,
    e: &microcosm_model::Experiment,
) -> Vec<(String, &'static str)> {
    scenario
        .judged(e)
        .iter()
        .map(|j| (j.check_id(name), j.rule()))
        .collect()
}

/// The first `--only` pattern that matches none of `checks` (`(check id, rule id)` pairs).
pub(super) fn unmatched_pattern<'a>(
    only: &'a [String],
    checks: &[(String, String)],
) -> Option<&'a str> {
    only.iter()
        .find(|p| {
            !checks
                .iter()
                .any(|(check, rule)| matches_only(std::slice::from_ref(p), check, rule))
        })
        .map(String::as_str)
}

/// Why a selection is refused: a pattern that matches nothing would turn the gate green by
/// checking nothing. Suggests the closest check or rule id (or `subject/*` for a glob).
pub(super) fn selection_error(
    pattern: &str,
    known: &[(String, String)],
    args: &CheckArgs,
) -> anyhow::Error {
    let mut names: Vec<String> = known
        .iter()
        .flat_map(|(check, rule)| [check.clone(), rule.clone()])
        .collect();
    if pattern.contains('*') {
        names.extend(known.iter().filter_map(|(check, _)| {
            check
                .rsplit_once('/')
                .map(|(subject, _)| format!("{subject}/*"))
        }));
    }
    names.sort();
    names.dedup();
    let hint = microcosm_model::diagnostic::did_you_mean(pattern, names.iter().map(String::as_str))
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_else(|| "; run without --only to see every check id".to_owned());
    let stages = if args.skip.is_empty() {
        ""
    } else {
        " in the stages not skipped"
    };
    anyhow::anyhow!("--only `{pattern}` matches no check of the scenarios given{stages}{hint}")
}

/// The stage whose checks carry the rule id `rule`, or `None` for an id no stage produces.
pub(super) fn stage_of(rule: &str) -> Option<Stage> {
    if microcosm_checker::catalogue::lookup(rule).is_some() {
        Some(Stage::Verify)
    } else if microcosm_model::analysis::rules::ALL
        .iter()
        .any(|(id, _)| *id == rule)
    {
        Some(Stage::Analyze)
    } else if ["slo.", "expect.", "simulate."]
        .iter()
        .any(|p| rule.starts_with(p))
    {
        Some(Stage::Simulate)
    } else {
        None
    }
}
