//! `microcosm check`: the CI gate. For every scenario named it validates the file, runs the
//! analysis rules, verifies every transaction and simulates the experiments that have
//! expectations, compares each verdict with the one the scenario expects, and writes one report
//! in the format the pipeline reads. Checks run in parallel; the report's order is
//! fixed (file, then engine, then subject and property), whatever the thread count.
//!
//! `--timeout` is one wall-clock deadline for the whole run, which every stage sees: loading,
//! analysis, the static amplification, model checking and simulation. The engines look at it
//! (the checker through its timeout and cancel flag, the simulator every 1024 events), stop,
//! and report how far they got; a stage that has not answered [`GRACE`] after the deadline is
//! reported cut short without it (its thread is left to the process's exit). Either way its
//! checks are inconclusive — exit 1 unless `--allow-inconclusive`, never a pass — and the
//! report is still written.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use microcosm_checker::{CheckOptions, Strategy, Verdict, catalogue};
use microcosm_model::analysis::{
    Analysis, AnalysisOptions, Finding, Severity as AnalysisSeverity, analyze,
    rules as analysis_rules,
};
use microcosm_model::{ExpectedVerdict, LoadedScenario, Severity, Target};
use microcosm_simulator::{Interrupt, Sim, SimReport};

use crate::Outcome as Exit;
use crate::cli::{CheckArgs, ColorChoice, GateFormat, Stage};
use crate::files::scenario_files;
use crate::output::write_report;
use crate::report::{
    self, CheckRecord, GateReport, Kind, Outcome, Status, Trace, TraceStep, github,
};

/// How long after the deadline the run still waits for stages that look at it to report how
/// far they got, before it reports them cut short itself: the engines look at it every 200 ms
/// at most.
const GRACE: Duration = Duration::from_millis(1500);

/// The whole run's `--timeout`: one instant every stage sees, and a flag set when it passes
/// (for the engines that look at a cancel flag rather than a clock).
#[derive(Debug, Clone)]
struct Deadline {
    at: Option<Instant>,
    seconds: f64,
    passed: Arc<AtomicBool>,
}

impl Deadline {
    /// Starts the clock now; without a timeout, never passes.
    fn start(timeout_s: Option<f64>) -> Deadline {
        let passed = Arc::new(AtomicBool::new(false));
        let at = timeout_s.map(|t| Instant::now() + Duration::from_secs_f64(t));
        if let Some(at) = at {
            let flag = passed.clone();
            // Detached: it only sets a flag, and the process does not wait for it.
            std::thread::spawn(move || {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                flag.store(true, Ordering::Relaxed);
            });
        }
        Deadline {
            at,
            seconds: timeout_s.unwrap_or(0.0),
            passed,
        }
    }

    fn is_past(&self) -> bool {
        self.passed.load(Ordering::Relaxed) || self.at.is_some_and(|d| Instant::now() >= d)
    }

    /// The time left, for engines that take a timeout.
    fn remaining(&self) -> Option<Duration> {
        self.at.map(|d| d.saturating_duration_since(Instant::now()))
    }

    fn interrupt(&self) -> Interrupt {
        Interrupt {
            deadline: self.at,
            cancel: self.at.map(|_| self.passed.clone()),
        }
    }

    /// The message of a check the deadline stopped.
    fn message(&self, what: &str) -> String {
        format!(
            "inconclusive: --timeout {} s (the whole run's) ran out before {what}",
            self.seconds
        )
    }
}

/// Runs each of `work` on `pool`, and returns the results in order: `None` for one that had not
/// finished [`GRACE`] after `deadline` (it did not look at the deadline in time; its thread is
/// left running, to end with the process). A panic in one is re-raised here, an internal error.
fn within<T: Send + 'static>(
    pool: &rayon::ThreadPool,
    work: Vec<Box<dyn FnOnce() -> T + Send>>,
    deadline: Option<Instant>,
) -> Vec<Option<T>> {
    let (tx, rx) = mpsc::channel();
    let n = work.len();
    for (i, w) in work.into_iter().enumerate() {
        let tx = tx.clone();
        pool.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(w));
            let _ = tx.send((i, result));
        });
    }
    drop(tx);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let limit = deadline.map(|d| d + GRACE);
    for _ in 0..n {
        let received = match limit {
            Some(l) => rx
                .recv_timeout(l.saturating_duration_since(Instant::now()))
                .ok(),
            None => rx.recv().ok(),
        };
        match received {
            Some((i, Ok(value))) => out[i] = Some(value),
            Some((_, Err(panic))) => std::panic::resume_unwind(panic),
            None => break,
        }
    }
    out
}

/// One unit of work: a file's engine run on one subject.
enum Task {
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
    fn loaded(&self) -> &LoadedScenario {
        match self {
            Task::Analyze { loaded }
            | Task::Verify { loaded, .. }
            | Task::Simulate { loaded, .. } => loaded,
        }
    }
}

fn matches_only(only: &[String], check: &str, rule: &str) -> bool {
    only.is_empty()
        || only.iter().any(|p| {
            microcosm_model::edge::glob_match(p, check)
                || microcosm_model::edge::glob_match(p, rule)
        })
}

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

fn record_of_verdict(
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
                "inconclusive: {reason}; {} unique states ({} generated), depth {}, {:.2} s",
                v.stats.unique_states,
                v.stats.states_generated,
                v.stats.max_depth,
                v.stats.elapsed.as_secs_f64()
            ),
        ),
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

/// The analysis rules that can find an architecture broken, and whether each applies to a
/// scenario: the gate reports each applicable one as a check (warnings and figures are for
/// `microcosm analyze`).
fn gate_rules(loaded: &LoadedScenario, analysis: Option<&Analysis>) -> Vec<&'static str> {
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

/// The record of analysis rule `rule` on `loaded`, holding until its findings say otherwise.
fn analysis_record(loaded: &LoadedScenario, rule: &'static str) -> CheckRecord {
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

/// The checks an experiment's expectations make: `(check id, rule id)`.
fn expectation_checks(name: &str, e: &microcosm_model::Experiment) -> Vec<(String, &'static str)> {
    let mut checks: Vec<(String, &'static str)> = e
        .expect
        .slos
        .iter()
        .map(|slo| (format!("{name}/slo.{slo}"), "simulate.slo"))
        .collect();
    if e.expect.max_retry_amplification.is_some() {
        checks.push((
            format!("{name}/expect.max-retry-amplification"),
            "simulate.max-retry-amplification",
        ));
    }
    for alert in e.expect.alerts_within_s.keys() {
        checks.push((
            format!("{name}/expect.alert.{alert}"),
            "simulate.alert-detection",
        ));
    }
    checks.push((
        format!("{name}/simulate.conservation"),
        "simulate.conservation",
    ));
    checks
}

/// How a simulation under a deadline ended.
enum Simulated {
    /// It ran to its horizon.
    Done(Box<SimReport>),
    /// The deadline passed first, `now` of `horizon` nanoseconds into simulated time.
    Stopped { now: u64, horizon: u64 },
}

/// Runs an experiment as `replicate::run_once` does, under `interrupt`, which the simulator
/// looks at every 1024 events (however many events a simulated second holds). Runs in slices
/// of a tenth of a simulated second (or a thousandth of a long run) and calls
/// `observe(now, horizon)` after each; the report is the same whatever the slicing.
fn simulate_within(
    scenario: &microcosm_model::Scenario,
    experiment: &str,
    seed: u64,
    interrupt: Interrupt,
    mut observe: impl FnMut(u64, u64),
) -> Result<Simulated, microcosm_simulator::Error> {
    let mut sim = Sim::builder(scenario, seed)
        .experiment(experiment)
        .interrupt(interrupt)
        .build()?;
    let horizon = sim.horizon();
    let slice = horizon.div_ceil(1000).max(100_000_000);
    let mut now = 0;
    while now < horizon && sim.interrupted().is_none() {
        now = now.saturating_add(slice).min(horizon);
        sim.run_until(now);
        observe(now, horizon);
    }
    sim.run();
    if let Some((_, at)) = sim.interrupted() {
        return Ok(Simulated::Stopped { now: at, horizon });
    }
    Ok(Simulated::Done(Box::new(
        microcosm_simulator::report::build(&sim, scenario),
    )))
}

/// An expectation of an experiment, as a check: its record (holding until the run says
/// otherwise), its name in the simulator's report, and how it reads.
type Judged = (CheckRecord, String, String);

/// The checks an experiment's simulation makes: one per expectation, each at the scenario line
/// that states it, and the conservation check.
fn simulation_checks(loaded: &LoadedScenario, experiment: &str) -> (Vec<Judged>, CheckRecord) {
    let scenario = &loaded.scenario;
    let exp = &scenario.experiments[experiment];
    let at = microcosm_model::Pointer::root()
        .key("experiments")
        .key(experiment);
    let file = loaded.source.path.display().to_string();
    let record = |check: String, rule: &str, summary: &str, pointer: &microcosm_model::Pointer| {
        let location = loaded.locate(pointer, Target::Value);
        CheckRecord {
            file: file.clone(),
            check,
            rule: rule.to_owned(),
            rule_summary: summary.to_owned(),
            kind: Kind::Simulate,
            status: Status::Holds,
            expected: None,
            outcome: Outcome::Pass,
            message: String::new(),
            line: location.line,
            column: location.column,
            stats: None,
            counterexample: None,
        }
    };
    let mut judged = Vec::new();
    for (i, slo) in exp.expect.slos.iter().enumerate() {
        judged.push((
            record(
                format!("{experiment}/slo.{slo}"),
                "simulate.slo",
                "the SLO holds over the experiment",
                &at.key("expect").key("slos").index(i),
            ),
            format!("slo:{slo}"),
            format!("SLO `{slo}`"),
        ));
    }
    if let Some(max) = exp.expect.max_retry_amplification {
        judged.push((
            record(
                format!("{experiment}/expect.max-retry-amplification"),
                "simulate.max-retry-amplification",
                "retries multiply the load on every service at most as much as the experiment allows",
                &at.key("expect").key("max_retry_amplification"),
            ),
            "max_retry_amplification".to_owned(),
            format!("retry amplification at most {max}×"),
        ));
    }
    for (alert, within) in &exp.expect.alerts_within_s {
        judged.push((
            record(
                format!("{experiment}/expect.alert.{alert}"),
                "simulate.alert-detection",
                "the alert fires soon enough after the first fault",
                &at.key("expect").key("alerts_within_s").key(alert),
            ),
            format!("alert:{alert}"),
            format!("alert `{alert}` within {within} s"),
        ));
    }
    let conservation = record(
        format!("{experiment}/simulate.conservation"),
        "simulate.conservation",
        "requests generated = completed + failed + in flight",
        &at,
    );
    (judged, conservation)
}

/// Every check of `judged` and `conservation`, with `status` and `message`.
fn all_as(
    judged: Vec<Judged>,
    conservation: CheckRecord,
    status: Status,
    message: &str,
) -> Vec<CheckRecord> {
    judged
        .into_iter()
        .map(|(r, ..)| r)
        .chain([conservation])
        .map(|mut r| {
            r.status = status;
            r.message = message.to_owned();
            r
        })
        .collect()
}

fn simulation_records(
    loaded: &LoadedScenario,
    experiment: &str,
    deadline: &Deadline,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<CheckRecord> {
    let scenario = &loaded.scenario;
    let exp = &scenario.experiments[experiment];
    let (judged, conservation) = simulation_checks(loaded, experiment);
    let simulated = simulate_within(
        scenario,
        experiment,
        exp.seed,
        deadline.interrupt(),
        |now, horizon| {
            if let Some(bar) = bar {
                bar.set_message(format!(
                    "{experiment}: {:.0} of {:.0} s simulated",
                    now as f64 / 1e9,
                    horizon as f64 / 1e9
                ));
            }
        },
    );
    let report = match simulated {
        Ok(Simulated::Done(report)) => report,
        Ok(Simulated::Stopped { now, horizon }) => {
            // Stopped by --timeout: a part of the run decides nothing, like a bounded model
            // check.
            let message = format!(
                "inconclusive: --timeout stopped the simulation (seed {}) after {:.0} of {:.0} \
                 simulated seconds",
                exp.seed,
                now as f64 / 1e9,
                horizon as f64 / 1e9
            );
            return all_as(judged, conservation, Status::Inconclusive, &message);
        }
        Err(e) => {
            let mut r = conservation;
            r.check = format!("{experiment}/simulate.run");
            r.rule = "simulate.run".to_owned();
            r.rule_summary = "the experiment can be simulated".to_owned();
            r.status = Status::Error;
            r.message = format!("the simulation could not run: {e}");
            return vec![r];
        }
    };
    // A run that measured nothing holds every expectation vacuously: it cannot vouch for any.
    if let Some(why) = &report.vacuous {
        let message = format!(
            "the simulation (seed {}) measured nothing, so it decides nothing: {why}",
            report.seed
        );
        return all_as(judged, conservation, Status::Error, &message);
    }
    let stats = serde_json::json!({
        "seed": report.seed,
        "duration_s": report.duration_s,
        "events": report.events,
        "requests": report.conservation.generated,
    });
    let mut records = Vec::new();
    for (mut r, name, label) in judged {
        match report.expectations.iter().find(|x| x.name == name) {
            Some(x) => {
                r.status = if x.holds {
                    Status::Holds
                } else {
                    Status::Violated
                };
                r.message = format!("{label} (seed {}): {}", report.seed, x.detail);
            }
            None => {
                r.status = Status::Error;
                r.message = format!("the simulator reported nothing for {label}");
            }
        }
        r.stats = Some(stats.clone());
        records.push(r);
    }
    let c = &report.conservation;
    let mut r = conservation;
    r.status = if c.holds {
        Status::Holds
    } else {
        Status::Violated
    };
    r.message = format!(
        "{} generated = {} succeeded + {} degraded + {} failed + {} in flight",
        c.generated, c.succeeded, c.degraded, c.failed, c.in_flight
    );
    r.stats = Some(stats);
    records.push(r);
    records
}

/// The records of a task the deadline stopped before it could report (its stage does not look
/// at the deadline, or it had not started): every check it would have made, inconclusive.
fn cut_short_records(task: &Task, deadline: &Deadline) -> Vec<CheckRecord> {
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

fn run_task(
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
            if deadline.at.is_some() {
                opts.cancel = Some(deadline.passed.clone());
            }
            if let Some(bar) = bar {
                let bar = bar.clone();
                let subject = job.subject.clone();
                opts.progress = Some(microcosm_checker::ProgressHook::new(move |p| {
                    let rate = p.unique_states as f64 / p.elapsed.as_secs_f64().max(1e-9);
                    bar.set_message(format!(
                        "{subject}: {} unique states ({rate:.0}/s), depth {}",
                        p.unique_states, p.max_depth
                    ));
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
                            if deadline.at.is_some() {
                                v.options.timeout = Some(deadline.seconds);
                                if let microcosm_checker::Status::Inconclusive { reason } =
                                    &mut v.status
                                    && matches!(
                                        reason,
                                        microcosm_checker::Bound::Timeout { .. }
                                            | microcosm_checker::Bound::Cancelled
                                    )
                                {
                                    *reason = microcosm_checker::Bound::Timeout {
                                        seconds: deadline.seconds,
                                    };
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

/// The records of a file that did not load: one per error diagnostic.
fn invalid_records(error: &microcosm_model::LoadError) -> Vec<CheckRecord> {
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
fn unloaded_record(file: &std::path::Path) -> CheckRecord {
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
fn walk_error_record(dir: &std::path::Path, error: &std::io::Error) -> CheckRecord {
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

/// The first `--only` pattern that matches none of `checks` (`(check id, rule id)` pairs).
fn unmatched_pattern<'a>(only: &'a [String], checks: &[(String, String)]) -> Option<&'a str> {
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
fn selection_error(pattern: &str, known: &[(String, String)], args: &CheckArgs) -> anyhow::Error {
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

fn valid_record(loaded: &LoadedScenario) -> CheckRecord {
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

/// The stage whose checks carry the rule id `rule`, or `None` for an id no stage produces.
fn stage_of(rule: &str) -> Option<Stage> {
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

/// Applies the scenario's declared verdicts; returns failed records for declared checks that
/// did not run (a gallery whose check disappeared must not pass silently).
fn apply_expectations(
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

pub fn run(args: &CheckArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    if let Some(t) = args.timeout
        && !(t > 0.0 && t.is_finite())
    {
        bail!("--timeout must be a positive number of seconds, not {t}");
    }
    // One deadline for the whole run, from now: loading counts against it too.
    let deadline = Deadline::start(args.timeout);
    let opts = CheckOptions {
        max_states: args.max_states,
        max_depth: None,
        // Each model check gets what is left of the run's time when it starts (run_task).
        timeout: None,
        threads: 1,
        symmetry: false,
        strategy: Strategy::Bfs,
        progress: None,
        cancel: None,
    };
    let (files, walk_errors) = scenario_files(&args.paths);
    if files.is_empty() && walk_errors.is_empty() {
        bail!("no scenario files (*.toml, *.json) under the paths given");
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        // Some analyses walk the call graph recursively: a deep chain of calls must not
        // overflow a worker's 2 MiB default (the main thread, where `analyze` runs them, has
        // 8). Address space only; pages are used as the stack grows.
        .stack_size(64 << 20)
        .build()
        .context("cannot start the worker threads")?;
    // Loading is a stage like the others: a file not loaded by the deadline is reported so.
    type Load = Result<Arc<LoadedScenario>, microcosm_model::LoadError>;
    let loads: Vec<Option<Load>> = within(
        &pool,
        files
            .iter()
            .map(|f| {
                let f = f.clone();
                Box::new(move || microcosm_model::load(&f).map(Arc::new))
                    as Box<dyn FnOnce() -> Load + Send>
            })
            .collect(),
        deadline.at,
    );
    // Whether every file could be read: only then is it known which checks exist, and so
    // whether --only selects any.
    let all_loaded = walk_errors.is_empty() && loads.iter().all(|l| matches!(l, Some(Ok(_))));

    // Every check the stages not skipped would run, as (check id, rule id), before --only
    // narrows them; the analysis rules that apply to a scenario are known once they have run.
    let mut known: Vec<(String, String)> = Vec::new();
    let mut tasks = Vec::new();
    for loaded in loads.iter().flatten().flatten() {
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

    for loaded in loads.iter().flatten().flatten() {
        if args.skip.contains(&Stage::Simulate) {
            continue;
        }
        for (name, experiment) in &loaded.scenario.experiments {
            let expects = !experiment.expect.slos.is_empty()
                || experiment.expect.max_retry_amplification.is_some()
                || !experiment.expect.alerts_within_s.is_empty();
            if !expects {
                continue;
            }
            let checks = expectation_checks(name, experiment);
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

    // A pattern that cannot match is a typo: say so now, before any check runs (counting every
    // analysis rule as one that may apply).
    let analysing = !args.skip.contains(&Stage::Analyze) && !known.is_empty();
    let any_rule = analysis_rules::ALL
        .iter()
        .filter(|_| analysing)
        .map(|(id, _)| ((*id).to_owned(), (*id).to_owned()));
    let possible: Vec<(String, String)> = known.iter().cloned().chain(any_rule).collect();
    if all_loaded && let Some(pattern) = unmatched_pattern(&args.only, &possible) {
        return Err(selection_error(pattern, &possible, args));
    }

    // On a terminal: one line per running check (states/s or simulated time) above a bar of
    // checks done; nothing of it otherwise, so logs stay clean.
    let progress = std::io::stderr().is_terminal().then(|| {
        let multi = indicatif::MultiProgress::new();
        let total = multi.add(indicatif::ProgressBar::new(tasks.len() as u64));
        total.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} checks")
                .expect("a valid template"),
        );
        (multi, total)
    });
    let tasks: Vec<Arc<Task>> = tasks.into_iter().map(Arc::new).collect();
    let work = tasks
        .iter()
        .map(|t| {
            let (t, opts, deadline, progress) =
                (t.clone(), opts.clone(), deadline.clone(), progress.clone());
            Box::new(move || {
                let bar = progress.as_ref().map(|(multi, total)| {
                    let bar = multi.insert_before(total, indicatif::ProgressBar::new_spinner());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar.set_message(match &*t {
                        Task::Analyze { loaded } => {
                            format!("analysing {}", loaded.source.path.display())
                        }
                        Task::Verify { job, .. } => format!("{}: starting", job.subject),
                        Task::Simulate { experiment, .. } => format!("{experiment}: starting"),
                    });
                    bar
                });
                let records = run_task(&t, &opts, &deadline, bar.as_ref());
                if let (Some(bar), Some((_, total))) = (bar, &progress) {
                    bar.finish_and_clear();
                    total.inc(1);
                }
                records
            }) as Box<dyn FnOnce() -> Vec<CheckRecord> + Send>
        })
        .collect();
    // A task that has not answered by the deadline (and the grace after it) is reported cut
    // short, from what is known of it without running it.
    let results: Vec<Vec<CheckRecord>> = within(&pool, work, deadline.at)
        .into_iter()
        .zip(&tasks)
        .map(|(records, task)| records.unwrap_or_else(|| cut_short_records(task, &deadline)))
        .collect();
    if let Some((_, total)) = progress {
        total.finish_and_clear();
    }

    let mut report = GateReport {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        records: Vec::new(),
    };
    // An unreadable directory is reported like an invalid file, while the files that could be
    // found are still checked.
    for (dir, error) in &walk_errors {
        report.files.push(dir.display().to_string());
        report.records.push(walk_error_record(dir, error));
    }
    let pending: Vec<(std::path::PathBuf, Vec<CheckRecord>)> = tasks
        .iter()
        .zip(results)
        .map(|(task, records)| (task.loaded().source.path.clone(), records))
        .collect();
    for (file, load) in files.iter().zip(&loads) {
        let mut records = Vec::new();
        let mut missing = Vec::new();
        match load {
            Some(Ok(loaded)) => {
                if matches_only(&args.only, "validate", "scenario.valid") {
                    records.push(valid_record(loaded));
                }
                for (path, task_records) in &pending {
                    if path == file {
                        records.extend(
                            task_records
                                .iter()
                                .filter(|r| matches_only(&args.only, &r.check, &r.rule))
                                .cloned(),
                        );
                    }
                }
                missing = apply_expectations(loaded, &mut records, args);
            }
            Some(Err(e)) => records.extend(invalid_records(e)),
            None => records.push(CheckRecord {
                status: Status::Inconclusive,
                outcome: Outcome::Fail,
                message: deadline.message("the file was loaded and validated"),
                ..unloaded_record(file)
            }),
        }
        for r in &mut records {
            r.decide(args.allow_inconclusive);
        }
        report.records.extend(records);
        report.records.extend(missing);
    }
    // A pattern may name an analysis rule that applies to none of the scenarios: it selected
    // nothing either.
    let selected: Vec<(String, String)> = report
        .records
        .iter()
        .map(|r| (r.check.clone(), r.rule.clone()))
        .collect();
    if all_loaded && let Some(pattern) = unmatched_pattern(&args.only, &selected) {
        known.extend(
            pending
                .iter()
                .flat_map(|(_, records)| records)
                .map(|r| (r.check.clone(), r.rule.clone())),
        );
        return Err(selection_error(pattern, &known, args));
    }

    let mut out = Vec::new();
    match args.format {
        GateFormat::Human => report::human::write(
            &mut out,
            &report,
            color.enabled_for_report(args.output.is_some()),
        )?,
        GateFormat::Json => report::json::write(&mut out, &report),
        GateFormat::Junit => report::junit::write(&mut out, &report)?,
        GateFormat::Sarif => report::sarif::write(&mut out, &report)?,
        GateFormat::Github => {
            report::github::write(&mut out, &report)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .with_context(|| format!("cannot append to {}", path.to_string_lossy()))?;
                file.write_all(github::step_summary(&report).as_bytes())?;
            }
        }
    }
    // The verdict is decided before the report is written: a reader that stops reading
    // (`check … | head`) must not turn a failing gate into a pass, and `write_report` keeps it.
    write_report(args.output.as_deref(), &out)?;
    let s = report.summary();
    if args.format != GateFormat::Human && args.output.is_some() {
        // Best effort: a closed stderr must not change the verdict either.
        let _ = writeln!(
            std::io::stderr(),
            "{} checks: {} passed, {} failed, {} skipped, {} errors",
            s.checks,
            s.passed,
            s.failed,
            s.skipped,
            s.errors
        );
    }
    Ok(if s.errors > 0 {
        Exit::Invalid
    } else if s.failed > 0 {
        Exit::Fail
    } else {
        Exit::Pass
    })
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
