//! The simulate stage: runs an experiment under the deadline in slices (so the progress line and
//! the deadline both see simulated time), and turns its report into one record per expectation
//! plus the conservation check, each at the scenario line that states it. Called by the tasks;
//! it reaches the simulator only through `Sim` and `report::build`. Apart because a simulation's
//! checks (the vacuous run, the stopped run, conservation) are a vocabulary of their own.

use microcosm_model::{Judged, LoadedScenario, Target};
use microcosm_simulator::{Interrupt, Sim, SimReport};

use crate::report::{CheckRecord, Kind, Outcome, Status};

use super::deadline::Deadline;

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
type Expectation = (CheckRecord, String, String);

/// The checks an experiment's simulation makes: one per expectation, each at the scenario line
/// that states it, and the conservation check.
pub(super) fn simulation_checks(
    loaded: &LoadedScenario,
    experiment: &str,
) -> (Vec<Expectation>, CheckRecord) {
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
    let mut conservation = None;
    // One list for the gate and for `simulate`: the same SLOs gated under the same ids.
    for j in scenario.judged(exp) {
        let (summary, pointer, label) = match j {
            Judged::Slo { name, listed } => (
                "the SLO holds over the experiment",
                match listed {
                    Some(i) => at.key("expect").key("slos").index(i),
                    // Gated because no list narrows the gate: the SLO says what must hold.
                    None => microcosm_model::Pointer::root().key("slos").key(name),
                },
                format!("SLO `{name}`"),
            ),
            Judged::RetryAmplification(max) => (
                "retries multiply the load on every service at most as much as the experiment allows",
                at.key("expect").key("max_retry_amplification"),
                format!("retry amplification at most {max}×"),
            ),
            Judged::Alert(name, within) => (
                "the alert fires soon enough after the first fault",
                at.key("expect").key("alerts_within_s").key(name),
                format!("alert `{name}` within {within} s"),
            ),
            Judged::Conservation => {
                conservation = Some(record(
                    j.check_id(experiment),
                    j.rule(),
                    "requests generated = completed + failed + in flight",
                    &at,
                ));
                continue;
            }
        };
        judged.push((
            record(j.check_id(experiment), j.rule(), summary, &pointer),
            j.report_name().unwrap_or_default(),
            label,
        ));
    }
    let conservation = conservation.expect("every experiment is judged on conservation");
    (judged, conservation)
}

/// Every check of `judged` and `conservation`, with `status` and `message`.
pub(super) fn all_as(
    judged: Vec<Expectation>,
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

pub(super) fn simulation_records(
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
