//! From a scenario to the checks it asks for: each distributed transaction, each resilience
//! policy with a circuit breaker or a retry, and each experiment that bounds retry
//! amplification becomes a [`Job`] that knows its subject, where it is written, which
//! properties it has, and how to run them.
//!
//! A subject whose protocol or fault option has no model yet still yields a job, whose verdicts
//! are inconclusive with the reason: a declared transaction that were silently skipped would let
//! a gate pass on something it never looked at.

use microcosm_model::diagnostic::{count, number};
use microcosm_model::resilience::amplification::entry_amplification;
use microcosm_model::{
    CoordinatorCrash as ScenarioCrash, Pointer, PolicyImplementation, SagaStyle, Scenario,
    Transaction,
};

use crate::catalogue::{self, RETRY_AMPLIFICATION};
use crate::circuit_breaker::concurrency::policy_callers;
use crate::circuit_breaker::{
    BreakerSys, BreakerVariant, MAX_COUNTED_CALLERS, PolicyConfig, confirm, verify_policy,
};
use crate::error::{Error, ErrorKind};
use crate::saga::{MAX_STEPS, SagaConfig, SagaSys, verify_saga};
use crate::two_phase_commit::{
    CoordinatorCrash, TwoPhaseConfig, TwoPhaseFaults, TwoPhaseSys, verify_two_phase,
};
use crate::verdict::{Bound, CheckOptions, OptionsUsed, Stats, Status, Strategy, Verdict};
use crate::verify::Protocol;

/// A trace id replayed on a job's model: every state as named fields, the initial state
/// first, and the step taken before each later one (`steps[i]` leads to `states[i + 1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The states, as `(field, value)` pairs in the same order every time.
    pub states: Vec<Vec<(String, String)>>,
    /// The steps, one fewer than the states.
    pub steps: Vec<ReplayedStep>,
}

/// One step of a replayed trace: who acted and what they did, as a counterexample names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedStep {
    /// The acting party.
    pub party: String,
    /// The action, e.g. `TmCommit` or `SvcCommit(payments.charge)`.
    pub action: String,
}

/// One subject to model-check.
#[derive(Debug, Clone)]
pub struct Job {
    /// The transaction, policy key (`"orders -> payments"`) or experiment in the scenario.
    pub subject: String,
    /// The protocol, as in the catalogue (`two_phase_commit`, `saga`, `circuit_breaker`,
    /// `retry_amplification`).
    pub protocol: &'static str,
    /// What the subject is, for a report's heading: the protocol of a transaction or an
    /// experiment; for a policy what it has (`circuit_breaker`, `retry`, or
    /// `circuit_breaker and retry`), since a retry-only policy headed "circuit_breaker" told
    /// its reader it had a breaker.
    pub kind: &'static str,
    /// Where the subject is written.
    pub at: Pointer,
    model: JobModel,
}

#[derive(Debug, Clone)]
enum JobModel {
    TwoPhase(TwoPhaseConfig),
    Saga(SagaConfig),
    /// A policy, with what its scaling changed (added to every verdict's notes).
    Policy(PolicyConfig, Vec<String>),
    /// The static retry-amplification bound of one experiment, decided when the job runs (so
    /// under its timeout and cancel flag, like every other check).
    Amplification {
        /// The scenario whose call graph and policies decide it.
        scenario: Box<Scenario>,
        /// The entry endpoints the experiment loads, in name order.
        entries: Vec<String>,
        /// The bound.
        max: f64,
    },
    /// Not modelled yet: every listed property is reported inconclusive for `reason`.
    Unsupported {
        properties: Vec<&'static str>,
        reason: String,
    },
}

/// The scenario's breaker implementation, as the checker models it.
fn variant(implementation: PolicyImplementation) -> BreakerVariant {
    match implementation {
        PolicyImplementation::Resilience4j => BreakerVariant::Resilience4j,
        PolicyImplementation::NoHalfOpen => BreakerVariant::NoHalfOpen,
        PolicyImplementation::UnlimitedHalfOpen => BreakerVariant::UnlimitedHalfOpen,
        PolicyImplementation::CountsRejections => BreakerVariant::CountsRejections,
        PolicyImplementation::BreakerWrapsRetry => BreakerVariant::BreakerWrapsRetry,
        PolicyImplementation::FirstSuccessCloses => BreakerVariant::FirstSuccessCloses,
    }
}

fn protocol_ids(protocol: &str) -> Vec<&'static str> {
    catalogue::for_protocol(protocol).map(|p| p.id).collect()
}

fn transaction_job(tx: &Transaction) -> JobModel {
    match tx {
        Transaction::TwoPhaseCommit {
            coordinator,
            participants,
            prepare,
            participants_may_vote_no,
            faults,
            ..
        } => JobModel::TwoPhase(TwoPhaseConfig {
            coordinator: coordinator.clone(),
            participants: participants.clone(),
            prepare: *prepare,
            participants_may_vote_no: participants_may_vote_no.unwrap_or(false),
            faults: TwoPhaseFaults {
                coordinator_crash: match faults.coordinator_crash {
                    ScenarioCrash::None => CoordinatorCrash::None,
                    ScenarioCrash::Permanent => CoordinatorCrash::Permanent,
                    ScenarioCrash::RecoverWithLog => CoordinatorCrash::RecoverWithLog,
                    ScenarioCrash::RecoverWithoutLog => CoordinatorCrash::RecoverWithoutLog,
                },
                participant_crash: faults.participant_crash,
                message_loss: faults.message_loss,
                participant_timeout: faults.participant_timeout,
                cooperative_termination: faults.cooperative_termination,
                presumed_abort: faults.presumed_abort,
            },
        }),
        Transaction::Saga {
            style,
            coordinator,
            steps,
            faults,
            ..
        } => {
            if steps.is_empty() || steps.len() > MAX_STEPS {
                JobModel::Unsupported {
                    properties: protocol_ids("saga"),
                    reason: format!(
                        "the saga model holds 1 to {MAX_STEPS} steps; this saga has {}",
                        steps.len()
                    ),
                }
            } else {
                JobModel::Saga(SagaConfig {
                    style: *style,
                    coordinator: coordinator.clone().unwrap_or_else(|| match style {
                        SagaStyle::Orchestrated => "orchestrator".to_owned(),
                        SagaStyle::Choreographed => "saga".to_owned(),
                    }),
                    steps: steps.clone(),
                    faults: faults.clone(),
                })
            }
        }
    }
}

/// The jobs of a scenario: transactions, then policies, then experiments, each in name order.
pub fn jobs(scenario: &Scenario) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (name, tx) in &scenario.transactions {
        let protocol = match tx {
            Transaction::TwoPhaseCommit { .. } => "two_phase_commit",
            Transaction::Saga { .. } => "saga",
        };
        jobs.push(Job {
            subject: name.clone(),
            protocol,
            kind: protocol,
            at: Pointer::root().key("transactions").key(name),
            model: transaction_job(tx),
        });
    }
    for (key, policy) in &scenario.policies {
        if policy.circuit_breaker.is_none() && policy.retry.is_none() {
            continue;
        }
        // Glob sides ("* -> *") stay as written: they name the parties in traces.
        let (caller, callee) = key
            .split_once("->")
            .map_or((key.as_str(), "downstream"), |(a, b)| (a.trim(), b.trim()));
        let concurrency = policy_callers(scenario, key, policy);
        let n = concurrency.callers as usize;
        let (checked, why) = if policy.circuit_breaker.is_none() {
            // A cutoff of 1: with no breaker the callers share no state (a budget's refusal
            // is each caller's own choice here), so the runs of any one of n callers are
            // exactly a lone caller's, and `retry.bounded` is about one caller at a time.
            (
                1,
                format!(
                    "a cutoff: the deployment has {n} ({}), but with no breaker they share no \
                     state, so one caller's runs are each caller's",
                    concurrency.why
                ),
            )
        } else {
            (n, concurrency.why.clone())
        };
        let model = if checked > MAX_COUNTED_CALLERS {
            JobModel::Unsupported {
                properties: protocol_ids(BreakerSys::PROTOCOL)
                    .into_iter()
                    .filter(|id| policy.retry.is_some() || !id.starts_with("retry."))
                    .collect(),
                reason: format!(
                    "{n} concurrent callers ({}); the breaker model counts at most \
                     {MAX_COUNTED_CALLERS}: declare the policy's `concurrency` if fewer calls \
                     are really in flight",
                    concurrency.why
                ),
            }
        } else {
            let (cfg, notes) = PolicyConfig::from_policy_because(
                caller,
                callee,
                policy,
                variant(policy.implementation),
                checked,
                Some(&why),
            );
            JobModel::Policy(cfg, notes)
        };
        jobs.push(Job {
            subject: key.clone(),
            protocol: BreakerSys::PROTOCOL,
            kind: match (&policy.circuit_breaker, &policy.retry) {
                (Some(_), Some(_)) => "circuit_breaker and retry",
                (Some(_), None) => "circuit_breaker",
                (None, _) => "retry",
            },
            at: Pointer::root().key("policies").key(key),
            model,
        });
    }
    for (name, experiment) in &scenario.experiments {
        let Some(max) = experiment.expect.max_retry_amplification else {
            continue;
        };
        let mut entries: Vec<String> = experiment
            .load
            .iter()
            .flat_map(|l| l.endpoint.iter().chain(l.mix.keys()).cloned())
            .collect();
        entries.sort();
        entries.dedup();
        jobs.push(Job {
            subject: name.clone(),
            protocol: "retry_amplification",
            kind: "retry_amplification",
            at: Pointer::root()
                .key("experiments")
                .key(name)
                .key("expect")
                .key("max_retry_amplification"),
            model: JobModel::Amplification {
                scenario: Box::new(scenario.clone()),
                entries,
                max,
            },
        });
    }
    jobs
}

/// Decides the static retry-amplification bound for `entries` (a decision from the call graph
/// and policies alone): whether some entry exceeds `max`, and one note per entry; or, when
/// `opts`' timeout (counted from `started`) or cancel flag stops it between two entries, why.
/// Each entry costs time polynomial in the call graph, whatever the attempt counts.
fn amplification(
    scenario: &Scenario,
    entries: &[String],
    max: f64,
    opts: &CheckOptions,
    started: std::time::Instant,
) -> Result<(bool, Vec<String>), Bound> {
    let mut notes = Vec::new();
    let mut exceeded = false;
    for entry in entries {
        if opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(Bound::Cancelled);
        }
        if let Some(t) = opts.timeout
            && started.elapsed() >= t
        {
            return Err(Bound::Timeout {
                seconds: t.as_secs_f64(),
            });
        }
        let amp = entry_amplification(scenario, entry);
        match &amp.worst {
            Some((service, attempts)) => {
                let over = *attempts > max;
                exceeded |= over;
                notes.push(format!(
                    "{entry}: retries multiply the attempts at {service} by up to {}× \
                     when it is down ({} per request){} (bound {max}×); backoff adds up \
                     to {} ms",
                    number(*attempts),
                    count(amp.attempts.get(service).copied().unwrap_or(0.0), "attempt"),
                    if over { ", over the bound" } else { "" },
                    number(amp.added_backoff_ms)
                ));
            }
            None => notes.push(format!("{entry}: calls no other service")),
        }
    }
    Ok((exceeded, notes))
}

impl Job {
    /// Replays a counterexample's trace id (`0/1/2@2`) on this job's model and returns every
    /// state along the path, as named fields, the initial state first, with the action taken
    /// (and who took it) before each later state: the trace id printed with a verdict
    /// reproduces the same run on the same scenario.
    pub fn replay(&self, trace_id: &str) -> Result<Replayed, Error> {
        fn run<M>(model: &M, trace_id: &str) -> Result<Replayed, Error>
        where
            M: crate::trace::Describe,
            M::State: Clone + PartialEq,
        {
            let states = crate::trace::replay(model, trace_id)?;
            let id: crate::trace::TraceId = trace_id.parse()?;
            let parties = model.parties();
            let mut actions = Vec::new();
            let steps = states
                .iter()
                .zip(&id.actions)
                .map(|(state, &index)| {
                    actions.clear();
                    model.actions(state, &mut actions);
                    // `replay` has checked every index against these same actions.
                    let view = model.describe_action(&actions[index]);
                    ReplayedStep {
                        party: parties
                            .get(view.actor)
                            .cloned()
                            .unwrap_or_else(|| format!("#{}", view.actor)),
                        action: view.label,
                    }
                })
                .collect();
            Ok(Replayed {
                states: states.iter().map(|s| model.describe_state(s)).collect(),
                steps,
            })
        }
        match &self.model {
            JobModel::TwoPhase(cfg) => run(&TwoPhaseSys::new(cfg.clone())?, trace_id),
            JobModel::Saga(cfg) => run(&SagaSys::new(cfg.clone())?, trace_id),
            JobModel::Policy(cfg, _) => match trace_id.strip_prefix(confirm::EXACT_PREFIX) {
                // A violation found in the abstraction and confirmed on the exact window.
                Some(exact) => run(&BreakerSys::new_exact(cfg.clone())?, exact),
                None => run(&BreakerSys::new(cfg.clone())?, trace_id),
            },
            JobModel::Amplification { .. } | JobModel::Unsupported { .. } => {
                Err(ErrorKind::InvalidConfig(format!(
                    "`{}` has no state-space model to replay a trace on",
                    self.subject
                ))
                .into())
            }
        }
    }

    /// The property ids this job reports, in catalogue order.
    pub fn properties(&self) -> Vec<&'static str> {
        match &self.model {
            JobModel::TwoPhase(_) => protocol_ids("two_phase_commit"),
            JobModel::Saga(_) => protocol_ids("saga"),
            JobModel::Policy(cfg, _) => match BreakerSys::new(cfg.clone()) {
                Ok(model) => {
                    let mut ids: Vec<&'static str> = stateright::Model::properties(&model)
                        .iter()
                        .map(|p| p.name)
                        .chain(model.liveness_properties().iter().map(|p| p.name))
                        .collect();
                    ids.sort_by_key(|id| catalogue::CATALOGUE.iter().position(|p| p.id == *id));
                    ids
                }
                // A model that refuses its configuration still owes the checks it was declared
                // for: an empty list made `check`, `verify` and the explorer skip the policy
                // silently. `run` then fails, and each caller reports that error per property.
                Err(_) => protocol_ids(BreakerSys::PROTOCOL),
            },
            JobModel::Amplification { .. } => vec![RETRY_AMPLIFICATION],
            JobModel::Unsupported { properties, .. } => properties.clone(),
        }
    }

    /// Runs the job for `properties` (empty: all).
    pub fn run(&self, properties: &[&str], opts: &CheckOptions) -> Result<Vec<Verdict>, Error> {
        let mut verdicts = self.run_model(properties, opts)?;
        // A search stopped at the memory budget says what would let it finish, in the
        // scenario's terms: the budget alone ("a larger --max-memory") is often not enough.
        let smaller = match &self.model {
            JobModel::TwoPhase(_) => "fewer participants or faults, or `verify --symmetry`",
            JobModel::Saga(_) => "fewer steps or faults",
            JobModel::Policy(..) => {
                "fewer concurrent callers (replicas × workers) or fewer trial calls \
                 (`permitted_number_of_calls_in_half_open_state`)"
            }
            JobModel::Amplification { .. } | JobModel::Unsupported { .. } => "",
        };
        for v in &mut verdicts {
            if let Status::Inconclusive {
                reason: Bound::Memory { limit_bytes },
            } = v.status
            {
                let larger = crate::memory::size_for_people(limit_bytes.saturating_mul(2));
                let model = if smaller.is_empty() {
                    String::new()
                } else {
                    format!("check a smaller model, with {smaller}; or ")
                };
                v.options.notes.push(format!(
                    "the search outgrew the memory budget; to finish, {model}give it a larger \
                     --max-memory (e.g. {larger}, if the machine has it)"
                ));
            }
        }
        Ok(verdicts)
    }

    fn run_model(&self, properties: &[&str], opts: &CheckOptions) -> Result<Vec<Verdict>, Error> {
        match &self.model {
            JobModel::TwoPhase(cfg) => verify_two_phase(&self.subject, cfg, properties, opts),
            JobModel::Saga(cfg) => verify_saga(&self.subject, cfg, properties, opts),
            JobModel::Policy(cfg, notes) => {
                let mut verdicts = verify_policy(&self.subject, cfg, properties, opts)?;
                for v in &mut verdicts {
                    v.options.notes.extend(notes.iter().cloned());
                }
                Ok(verdicts)
            }
            JobModel::Amplification {
                scenario,
                entries,
                max,
            } => Ok(
                if properties.is_empty() || properties.contains(&RETRY_AMPLIFICATION) {
                    let started = std::time::Instant::now();
                    let (status, notes) =
                        match amplification(scenario, entries, *max, opts, started) {
                            Ok((true, notes)) => (Status::Violated, notes),
                            Ok((false, notes)) => (Status::Holds, notes),
                            Err(reason) => (Status::Inconclusive { reason }, Vec::new()),
                        };
                    let mut verdict =
                        self.static_verdict(RETRY_AMPLIFICATION, status, "static", notes, opts);
                    verdict.stats.elapsed = started.elapsed();
                    vec![verdict]
                } else {
                    Vec::new()
                },
            ),
            JobModel::Unsupported {
                properties: all,
                reason,
            } => Ok(all
                .iter()
                .filter(|p| properties.is_empty() || properties.contains(p))
                .map(|property| {
                    self.static_verdict(
                        property,
                        Status::Inconclusive {
                            reason: Bound::Unsupported {
                                what: reason.clone(),
                            },
                        },
                        "none",
                        vec![reason.clone()],
                        opts,
                    )
                })
                .collect()),
        }
    }

    fn static_verdict(
        &self,
        property: &'static str,
        status: Status,
        engine: &'static str,
        notes: Vec<String>,
        opts: &CheckOptions,
    ) -> Verdict {
        Verdict {
            model: self.subject.clone(),
            protocol: self.protocol,
            property,
            status,
            stats: Stats::default(),
            options: OptionsUsed {
                engine,
                strategy: if engine == "static" {
                    Strategy::Bfs
                } else {
                    opts.strategy
                },
                threads: opts.threads,
                symmetry: opts.symmetry,
                max_states: opts.max_states,
                max_depth: opts.max_depth,
                timeout: opts.timeout.map(|t| t.as_secs_f64()),
                notes,
            },
            counterexample: None,
            example: None,
            fix: None,
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
    fn a_policy_the_model_refuses_keeps_its_properties_and_fails_to_run() {
        let mut s = scenario(
            "[services.tm.endpoints.y]\ncalls = [\"a.x\"]\n[policies.\"tm -> a\"]\ncircuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 4, minimum_number_of_calls = 2, wait_duration_in_open_state_ms = 1000, permitted_number_of_calls_in_half_open_state = 2 }\n",
        );
        // Past what the model holds, set after validation (which may refuse it first).
        let cb = s
            .policies
            .values_mut()
            .next()
            .unwrap()
            .circuit_breaker
            .as_mut()
            .unwrap();
        cb.permitted_number_of_calls_in_half_open_state = 129;
        let jobs = jobs(&s);
        let job = jobs.iter().find(|j| j.subject == "tm -> a").unwrap();
        assert!(!job.properties().is_empty());
        assert!(job.run(&[], &CheckOptions::default()).is_err());
    }

    #[test]
    fn a_trace_id_replays_to_the_counterexamples_states() {
        let s = scenario(
            "[transactions.move]\nprotocol = \"two_phase_commit\"\ncoordinator = \"tm\"\nparticipants = [\"a\", \"b\"]\nfaults = { coordinator_crash = \"permanent\" }\n",
        );
        let job = &jobs(&s)[0];
        let verdicts = job
            .run(&["2pc.termination"], &CheckOptions::default())
            .unwrap();
        let trace = verdicts[0].counterexample.as_ref().unwrap();
        let replayed = job.replay(&trace.trace_id).unwrap();
        let states = &replayed.states;
        assert_eq!(states.len(), trace.steps.len() + 1);
        // Each step is the counterexample's: the same party, the same action.
        assert_eq!(replayed.steps.len(), trace.steps.len());
        for (got, want) in replayed.steps.iter().zip(&trace.steps) {
            assert_eq!((&got.party, &got.action), (&want.party, &want.action));
        }
        let field = |state: &Vec<(String, String)>, name: &str| {
            state
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        for f in &trace.initial_state {
            assert_eq!(field(&states[0], &f.name), Some(f.value.clone()));
        }
        for (step, after) in trace.steps.iter().zip(&states[1..]) {
            for change in &step.changes {
                assert_eq!(
                    field(after, &change.field),
                    Some(change.after.clone()),
                    "step {}",
                    step.number
                );
            }
        }
        assert!(
            job.replay("0/99").is_err(),
            "an action that does not exist is refused"
        );
    }

    #[test]
    fn a_coordinator_without_its_log_is_modelled() {
        let s = scenario(
            "[transactions.move]\nprotocol = \"two_phase_commit\"\ncoordinator = \"tm\"\nparticipants = [\"a\", \"b\"]\nfaults = { coordinator_crash = \"recover_without_log\", presumed_abort = true }\n",
        );
        let verdicts = jobs(&s)[0]
            .run(&["2pc.atomicity"], &CheckOptions::default())
            .unwrap();
        assert_eq!(verdicts.len(), 1);
        assert!(verdicts[0].status.is_violated());
    }

    #[test]
    fn sagas_policies_and_amplification_bounds_become_jobs() {
        let s = scenario(
            r#"[services.tm.endpoints.y]
calls = ["a.x"]
public = true
[services.a.endpoints.z]
[services.a.endpoints.undo]
[transactions.order]
protocol = "saga"
coordinator = "tm"
steps = [{ service = "a", action = "z", compensation = "undo" }, { service = "b", action = "x", can_fail = true }]
[policies."tm -> a"]
retry = { max_attempts = 3 }
circuit_breaker = { sliding_window_size = 2, minimum_number_of_calls = 2 }
concurrency = 2
[experiments.outage]
duration_s = 10
load = [{ endpoint = "tm.y", rate_per_s = 1 }]
expect = { max_retry_amplification = 2.0 }
"#,
        );
        let jobs = jobs(&s);
        let subjects: Vec<(&str, &str)> = jobs
            .iter()
            .map(|j| (j.subject.as_str(), j.protocol))
            .collect();
        assert_eq!(
            subjects,
            [
                ("order", "saga"),
                ("tm -> a", "circuit_breaker"),
                ("outage", "retry_amplification")
            ]
        );
        assert_eq!(jobs[0].properties().len(), 6);
        assert_eq!(jobs[1].properties().len(), 7);
        for v in jobs[0].run(&[], &CheckOptions::default()).unwrap() {
            assert!(v.status.holds(), "{}: {}", v.property, v.status);
        }
        let policy = jobs[1].run(&[], &CheckOptions::default()).unwrap();
        assert!(policy.iter().all(|v| v.status.holds()));
        assert!(
            policy[0]
                .options
                .notes
                .iter()
                .any(|n| n.contains("callers"))
        );
        // One request to tm.y makes 3 attempts at a when a is down, where 1 would reach it
        // without retries: 3×, over the bound of 2.
        let amp = jobs[2].run(&[], &CheckOptions::default()).unwrap();
        assert_eq!(amp.len(), 1);
        assert!(amp[0].status.is_violated());
        assert!(
            amp[0].options.notes[0].contains("at a by up to 3× when it is down (3 attempts"),
            "{:?}",
            amp[0].options.notes
        );
        assert_eq!(
            jobs[2].at.to_string(),
            "experiments.outage.expect.max_retry_amplification"
        );
    }

    #[test]
    fn an_entry_without_retries_makes_one_attempt_singular() {
        let s = scenario(
            r#"[services.tm.endpoints.y]
calls = ["a.x"]
public = true
[policies."tm -> a"]
timeout_ms = 100
[experiments.outage]
duration_s = 10
load = [{ endpoint = "tm.y", rate_per_s = 1 }]
expect = { max_retry_amplification = 2.0 }
"#,
        );
        let (_, notes) = amplification(
            &s,
            &["tm.y".to_owned()],
            2.0,
            &CheckOptions::default(),
            std::time::Instant::now(),
        )
        .unwrap();
        assert!(notes[0].contains("(1 attempt per request)"), "{notes:?}");
    }

    #[test]
    fn the_static_amplification_honours_the_timeout_and_the_cancel_flag() {
        let s = scenario(
            r#"
[services.tm.endpoints.y]
calls = ["a.x"]
[policies."tm -> a"]
retry = { max_attempts = 3 }
[experiments.outage]
duration_s = 10
load = [{ endpoint = "tm.y", rate_per_s = 1 }]
expect = { max_retry_amplification = 2.0 }
"#,
        );
        let job = jobs(&s).pop().unwrap();
        assert_eq!(job.protocol, "retry_amplification");
        let expired = CheckOptions {
            timeout: Some(std::time::Duration::ZERO),
            ..CheckOptions::default()
        };
        let v = job.run(&[], &expired).unwrap();
        assert!(
            matches!(
                v[0].status,
                Status::Inconclusive {
                    reason: Bound::Timeout { .. }
                }
            ),
            "{}",
            v[0].status
        );
        let cancelled = CheckOptions {
            cancel: Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
                true,
            ))),
            ..CheckOptions::default()
        };
        let v = job.run(&[], &cancelled).unwrap();
        assert!(
            matches!(
                v[0].status,
                Status::Inconclusive {
                    reason: Bound::Cancelled
                }
            ),
            "{}",
            v[0].status
        );
    }
}
