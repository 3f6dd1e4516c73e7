//! Long work, off the UI thread: model checks and simulations. The [`crate::App`] never runs
//! an engine itself; its key handlers queue an [`Effect`], the runner hands each one to
//! [`spawn`] (a thread per effect), and the thread reports back through a channel as
//! [`Msg`]s that [`crate::App::on_message`] folds into the state. [`execute`] does the same work
//! on the calling thread, so tests drive the very code the explorer runs, deterministically.
//!
//! A panic inside an engine is caught here and reported as a failed run rather than taking the
//! explorer (and the terminal) down with it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use microcosm_checker::scenario::Job;
use microcosm_checker::{CheckOptions, Progress, ProgressHook, Verdict};
use microcosm_model::LoadedScenario;
use microcosm_simulator::{Sim, SimReport};

/// Work the explorer asked for.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Model-check these jobs one after the other; `usize` is the job's index in the Verify
    /// tab.
    Check {
        /// Which batch this is: messages of a cancelled batch are ignored.
        batch: u64,
        /// Set to skip the jobs not started yet and to send nothing more (the user cancelled,
        /// or the explorer quit). A check already running goes on to its own timeout: the
        /// checker has no way to be stopped from outside, so its result is dropped instead.
        cancel: Arc<AtomicBool>,
        /// The jobs, with their indices.
        jobs: Vec<(usize, Job)>,
        /// Bounds and options (no progress hook: the worker adds its own).
        options: CheckOptions,
    },
    /// Simulate one experiment.
    Simulate(SimRequest),
}

/// A simulation to run.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// Which run this is: messages of an older run are ignored.
    pub run: u64,
    /// The scenario.
    pub loaded: Arc<LoadedScenario>,
    /// The experiment's name.
    pub experiment: String,
    /// The seed of every random choice.
    pub seed: u64,
    /// Set to stop the run early (a newer run replaced it, or the explorer quit).
    pub cancel: Arc<AtomicBool>,
}

/// What a worker reports.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A job started.
    CheckStarted {
        /// The batch it was queued in.
        batch: u64,
        /// The job's index.
        job: usize,
    },
    /// A running job explored more states.
    CheckProgress {
        /// The batch it was queued in.
        batch: u64,
        /// The job's index.
        job: usize,
        /// How far it got.
        progress: Progress,
    },
    /// A job finished: its verdicts, or why it could not run.
    CheckDone {
        /// The batch it was queued in.
        batch: u64,
        /// The job's index.
        job: usize,
        /// The verdicts, one per property.
        result: Result<Vec<Verdict>, String>,
    },
    /// A simulation advanced.
    SimProgress {
        /// The run.
        run: u64,
        /// Simulated seconds done.
        now_s: f64,
        /// Simulated seconds in all.
        horizon_s: f64,
        /// Events processed so far.
        events: u64,
    },
    /// A simulation finished: its report, or why it could not run.
    SimDone {
        /// The run.
        run: u64,
        /// The report.
        result: Result<Box<SimReport>, String>,
    },
}

/// Where a worker sends its messages.
pub type Emit = Arc<dyn Fn(Msg) + Send + Sync>;

/// Runs `effect` on a new thread that reports through `emit`.
pub fn spawn(effect: Effect, emit: Emit) {
    let (name, if_not_started) = match &effect {
        Effect::Check { batch, jobs, .. } => (
            "microcosm-check",
            jobs.iter().map(|(i, _)| Target::Job(*batch, *i)).collect(),
        ),
        Effect::Simulate(r) => ("microcosm-simulate", vec![Target::Run(r.run)]),
    };
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn({
        let emit = emit.clone();
        move || execute(effect, emit)
    });
    if let Err(e) = spawned {
        // No thread, no work: say so rather than leave a row "queued" forever.
        let why = format!("cannot start a worker thread: {e}");
        for target in if_not_started {
            emit(match target {
                Target::Job(batch, job) => Msg::CheckDone {
                    batch,
                    job,
                    result: Err(why.clone()),
                },
                Target::Run(run) => Msg::SimDone {
                    run,
                    result: Err(why.clone()),
                },
            });
        }
    }
}

/// Whom a message about an effect concerns.
enum Target {
    Job(u64, usize),
    Run(u64),
}

/// Runs `effect` on this thread, calling `emit` with each message in order.
pub fn execute(effect: Effect, emit: Emit) {
    match effect {
        Effect::Check {
            batch,
            cancel,
            jobs,
            options,
        } => {
            for (index, job) in jobs {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                check(batch, index, &job, &options, &cancel, &emit);
            }
        }
        Effect::Simulate(request) => simulate(&request, &emit),
    }
}

/// Runs `effect` on this thread and returns its messages: for tests.
pub fn execute_collect(effect: Effect) -> Vec<Msg> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    execute(
        effect,
        Arc::new(move |msg| sink.lock().expect("not poisoned").push(msg)),
    );
    let mut out = out.lock().expect("not poisoned");
    std::mem::take(&mut *out)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn check(
    batch: u64,
    index: usize,
    job: &Job,
    options: &CheckOptions,
    cancel: &Arc<AtomicBool>,
    emit: &Emit,
) {
    emit(Msg::CheckStarted { batch, job: index });
    let hook_emit = emit.clone();
    let hook_cancel = cancel.clone();
    let options = CheckOptions {
        progress: Some(ProgressHook::new(move |p: &Progress| {
            // Nobody shows a cancelled check's progress any more.
            if !hook_cancel.load(Ordering::Relaxed) {
                hook_emit(Msg::CheckProgress {
                    batch,
                    job: index,
                    progress: *p,
                })
            }
        })),
        // The same flag the cancel key sets: the check itself stops, not only its report.
        cancel: Some(cancel.clone()),
        // The explorer's checks stop at the machine's default budget too: a check that grew
        // past it took the explorer (and the user's terminal) down with it.
        max_memory: options
            .max_memory
            .or_else(microcosm_checker::memory::default_limit),
        ..options.clone()
    };
    let result = match catch_unwind(AssertUnwindSafe(|| job.run(&[], &options))) {
        Ok(Ok(verdicts)) => Ok(verdicts),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(format!(
            "the checker panicked: {}",
            panic_message(panic.as_ref())
        )),
    };
    if !cancel.load(Ordering::Relaxed) {
        emit(Msg::CheckDone {
            batch,
            job: index,
            result,
        });
    }
}

/// Progress reports per run: enough for a smooth gauge, few enough not to flood the channel.
const SIM_SLICES: u64 = 100;

fn simulate(request: &SimRequest, emit: &Emit) {
    let run = request.run;
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<Option<SimReport>, String> {
        let scenario = &request.loaded.scenario;
        // The cancel key's flag reaches the event loop itself: a slice of a run with millions
        // of events a simulated second would otherwise finish before the flag is looked at.
        let mut sim = Sim::builder(scenario, request.seed)
            .experiment(&request.experiment)
            .interrupt(microcosm_simulator::Interrupt {
                deadline: None,
                cancel: Some(request.cancel.clone()),
            })
            .build()
            .map_err(|e| e.to_string())?;
        let horizon = sim.horizon();
        let horizon_s = horizon as f64 / 1e9;
        let slice = (horizon / SIM_SLICES).max(1);
        let mut until = 0;
        while until < horizon {
            if request.cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            until = until.saturating_add(slice).min(horizon);
            sim.run_until(until);
            if sim.interrupted().is_some() {
                return Ok(None);
            }
            emit(Msg::SimProgress {
                run,
                now_s: until as f64 / 1e9,
                horizon_s,
                events: sim.events(),
            });
        }
        sim.finish();
        Ok(Some(microcosm_simulator::report::build(&sim, scenario)))
    }));
    let result = match outcome {
        Ok(Ok(Some(report))) => Ok(Box::new(report)),
        // Cancelled: nobody waits for this run any more.
        Ok(Ok(None)) => return,
        Ok(Err(e)) => Err(e),
        Err(panic) => Err(format!(
            "the simulator panicked: {}",
            panic_message(panic.as_ref())
        )),
    };
    emit(Msg::SimDone { run, result });
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::{App, JobState, Options, SimRun, Tab};

    fn known_bug(tab: Tab) -> App {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/bank-transfer-coordinator-crash.toml");
        let loaded = microcosm_model::load(&path).expect("loads");
        App::new(
            loaded,
            &Options {
                tab,
                ..Options::default()
            },
        )
    }

    /// Runs the work `app` queued with an engine that panics midway: the worker's own
    /// progress report panics (as a bug inside the checker or the simulator would), and every
    /// other message reaches the app.
    fn run_with_a_panic(app: &mut App) {
        let _alone = crate::PANIC_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let sink = delivered.clone();
        let emit: Emit = Arc::new(move |msg| {
            if matches!(msg, Msg::CheckProgress { .. } | Msg::SimProgress { .. }) {
                panic!("boom");
            }
            sink.lock().expect("not poisoned").push(msg);
        });
        for effect in app.take_effects() {
            execute(effect, emit.clone());
        }
        for msg in std::mem::take(&mut *delivered.lock().expect("not poisoned")) {
            app.on_message(msg);
        }
    }

    #[test]
    fn a_check_that_panics_becomes_a_failed_job_not_a_crash() {
        let mut app = known_bug(Tab::Verify);
        app.on_key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE));
        run_with_a_panic(&mut app);
        assert!(!app.is_busy());
        for entry in &app.verify.jobs {
            assert!(
                matches!(&entry.state, JobState::Failed(why) if why == "the checker panicked: boom"),
                "{:?}",
                entry.state
            );
        }
    }

    #[test]
    fn a_simulation_that_panics_becomes_a_failed_run_not_a_crash() {
        let mut app = known_bug(Tab::Simulate);
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        run_with_a_panic(&mut app);
        assert!(
            matches!(&app.simulate.run, SimRun::Failed { message, .. } if message == "the simulator panicked: boom"),
            "{:?}",
            app.simulate.run
        );
        assert!(app.simulate.report().is_none());
    }

    /// The cancel key stops a run inside a slice, not after it: a slice of this run (a million
    /// requests a simulated second for 35 days, sliced in hundredths) holds 3e10 events.
    #[test]
    fn cancelling_a_flood_stops_it_inside_a_slice() {
        let text = r#"name = "flood"
[services.front.endpoints.get]
public = true
work = { dist = "exponential", mean_ms = 1.0 }
[experiments.x]
duration_s = 3000000
load = [{ endpoint = "front.get", arrival = "poisson", rate_per_s = 1e6 }]
"#;
        let loaded = microcosm_model::load_str(
            text,
            std::path::Path::new("flood.toml"),
            microcosm_model::Format::Toml,
            std::path::Path::new("."),
        )
        .expect("valid");
        let cancel = Arc::new(AtomicBool::new(false));
        let request = SimRequest {
            run: 1,
            loaded: Arc::new(loaded),
            experiment: "x".to_owned(),
            seed: 1,
            cancel: cancel.clone(),
        };
        let flag = cancel.clone();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            flag.store(true, Ordering::Relaxed);
        });
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let sink = delivered.clone();
        let emit: Emit = Arc::new(move |msg| sink.lock().expect("not poisoned").push(msg));
        let started = std::time::Instant::now();
        simulate(&request, &emit);
        canceller.join().expect("joins");
        // Before the flag reached the event loop, the first slice alone ran for hours.
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        let delivered = delivered.lock().expect("not poisoned");
        assert!(
            !delivered.iter().any(|m| matches!(m, Msg::SimDone { .. })),
            "a cancelled run reports nothing"
        );
    }
}
