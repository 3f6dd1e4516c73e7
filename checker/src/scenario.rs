//! From a scenario to the checks it asks for: each distributed transaction (and, as their
//! protocols land, each resilience policy) becomes a [`Job`] that knows its subject, where it
//! is written, which properties it has, and how to run them.
//!
//! A subject whose protocol or fault option has no model yet still yields a job, whose verdicts
//! are inconclusive with the reason: a declared transaction that were silently skipped would let
//! a gate pass on something it never looked at.

use microcosm_model::{CoordinatorCrash as ScenarioCrash, Pointer, Scenario, Transaction};

use crate::catalogue;
use crate::error::Error;
use crate::two_phase_commit::{CoordinatorCrash, TwoPhaseConfig, TwoPhaseFaults, verify_two_phase};
use crate::verdict::{Bound, CheckOptions, OptionsUsed, Stats, Status, Verdict};

/// One subject to model-check.
#[derive(Debug, Clone)]
pub struct Job {
    /// The transaction or policy key in the scenario.
    pub subject: String,
    /// The protocol, as in the catalogue (`two_phase_commit`, `saga`, …).
    pub protocol: &'static str,
    /// Where the subject is written.
    pub at: Pointer,
    model: JobModel,
}

#[derive(Debug, Clone)]
enum JobModel {
    TwoPhase(TwoPhaseConfig),
    /// Not modelled yet: every listed property is reported inconclusive for `reason`.
    Unsupported {
        properties: Vec<&'static str>,
        reason: String,
    },
}

/// Properties a saga is checked for (issue-defined ids, listed so an unmodelled saga reports
/// each as inconclusive rather than nothing).
const SAGA_PROPERTIES: &[&str] = &[
    "saga.semantic-atomicity",
    "saga.compensation-order",
    "saga.no-phantom-compensation",
    "saga.effect-once",
    "saga.termination",
    "saga.pivot-rule",
];

/// The jobs of a scenario, in name order: transactions first.
pub fn jobs(scenario: &Scenario) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (name, tx) in &scenario.transactions {
        let at = Pointer::root().key("transactions").key(name);
        let job = match tx {
            Transaction::TwoPhaseCommit {
                coordinator,
                participants,
                faults,
                ..
            } => {
                let coordinator_crash = match faults.coordinator_crash {
                    ScenarioCrash::None => Some(CoordinatorCrash::None),
                    ScenarioCrash::Permanent => Some(CoordinatorCrash::Permanent),
                    ScenarioCrash::RecoverWithLog => Some(CoordinatorCrash::RecoverWithLog),
                    ScenarioCrash::RecoverWithoutLog => None,
                };
                match coordinator_crash {
                    Some(coordinator_crash) => JobModel::TwoPhase(TwoPhaseConfig {
                        coordinator: coordinator.clone(),
                        participants: participants.clone(),
                        faults: TwoPhaseFaults {
                            coordinator_crash,
                            participant_crash: faults.participant_crash,
                            message_loss: faults.message_loss,
                            participant_timeout: faults.participant_timeout,
                            cooperative_termination: faults.cooperative_termination,
                            presumed_abort: faults.presumed_abort,
                        },
                    }),
                    None => JobModel::Unsupported {
                        properties: catalogue::for_protocol("two_phase_commit")
                            .map(|p| p.id)
                            .collect(),
                        reason: "a coordinator that recovers without its log is not modelled yet"
                            .to_owned(),
                    },
                }
            }
            Transaction::Saga { .. } => JobModel::Unsupported {
                properties: SAGA_PROPERTIES.to_vec(),
                reason: "saga model checking is not implemented yet".to_owned(),
            },
        };
        let protocol = match tx {
            Transaction::TwoPhaseCommit { .. } => "two_phase_commit",
            Transaction::Saga { .. } => "saga",
        };
        jobs.push(Job {
            subject: name.clone(),
            protocol,
            at,
            model: job,
        });
    }
    jobs
}

impl Job {
    /// The property ids this job reports, in catalogue order.
    pub fn properties(&self) -> Vec<&'static str> {
        match &self.model {
            JobModel::TwoPhase(_) => catalogue::for_protocol("two_phase_commit")
                .map(|p| p.id)
                .collect(),
            JobModel::Unsupported { properties, .. } => properties.clone(),
        }
    }

    /// Runs the job for `properties` (empty: all).
    pub fn run(&self, properties: &[&str], opts: &CheckOptions) -> Result<Vec<Verdict>, Error> {
        match &self.model {
            JobModel::TwoPhase(cfg) => verify_two_phase(&self.subject, cfg, properties, opts),
            JobModel::Unsupported {
                properties: all,
                reason,
            } => Ok(all
                .iter()
                .filter(|p| properties.is_empty() || properties.contains(p))
                .map(|property| Verdict {
                    model: self.subject.clone(),
                    protocol: self.protocol,
                    property,
                    status: Status::Inconclusive {
                        reason: Bound::Unsupported {
                            what: reason.clone(),
                        },
                    },
                    stats: Stats::default(),
                    options: OptionsUsed {
                        engine: "none",
                        strategy: opts.strategy,
                        threads: opts.threads,
                        symmetry: opts.symmetry,
                        max_states: opts.max_states,
                        max_depth: opts.max_depth,
                        timeout: opts.timeout.map(|t| t.as_secs_f64()),
                        notes: vec![reason.clone()],
                    },
                    counterexample: None,
                    example: None,
                })
                .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "name = \"t\"\n[services.tm.endpoints.x]\n[services.a.endpoints.x]\n[services.b.endpoints.x]\n{extra}"
        );
        microcosm_model::load_str(
            &text,
            Path::new("t.toml"),
            microcosm_model::Format::Toml,
            Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
    }

    #[test]
    fn a_two_phase_transaction_is_checked_with_its_names_and_faults() {
        let s = scenario(
            "[transactions.move]\nprotocol = \"two_phase_commit\"\ncoordinator = \"tm\"\nparticipants = [\"a\", \"b\"]\nfaults = { coordinator_crash = \"permanent\" }\n",
        );
        let jobs = jobs(&s);
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            jobs[0].properties(),
            ["2pc.atomicity", "2pc.validity", "2pc.termination"]
        );
        let verdicts = jobs[0].run(&[], &CheckOptions::default()).unwrap();
        assert!(verdicts[0].status.holds());
        let termination = &verdicts[2];
        assert!(termination.status.is_violated());
        let trace = termination.counterexample.as_ref().unwrap();
        assert_eq!(trace.parties, ["tm", "a", "b"]);
    }

    #[test]
    fn an_unmodelled_option_is_inconclusive_not_skipped() {
        let s = scenario(
            "[transactions.move]\nprotocol = \"two_phase_commit\"\ncoordinator = \"tm\"\nparticipants = [\"a\"]\nfaults = { coordinator_crash = \"recover_without_log\" }\n",
        );
        let verdicts = jobs(&s)[0]
            .run(&["2pc.atomicity"], &CheckOptions::default())
            .unwrap();
        assert_eq!(verdicts.len(), 1);
        assert!(verdicts[0].status.is_inconclusive());
    }
}
