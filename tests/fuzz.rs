//! Fuzzing the scenario pipeline with structured mutations of the bundled scenarios (see
//! `support/mutator.rs`): the properties issue 13 asks of every file a user can write.
//!
//! 1. Loading and validating never panics, and never hangs.
//! 2. Every diagnostic renders (the graphical report `validate` prints, with and without
//!    colour, and the one-line form) without panicking.
//! 3. A file that validates can be checked: every model-checking job builds and runs within
//!    tight bounds without an error, and every experiment builds and simulates, its report
//!    judging every expectation the experiment states; and the binary's `check` on it, with
//!    `--timeout 1 --max-states 20000`, exits 0 or 1, never 2.
//!
//! CI runs properties 1 and 2 on 256 cases in debug, from a fixed seed; property 3 fails on
//! `main` today (issue 13: its fixes are on other branches), so its two tests are ignored until
//! they land, as are the cut-down reproducers at the end of this file. More cases by hand with
//! `PROPTEST_CASES=N` (`FUZZ_CHECK_CASES=N` for the binary-level property) and
//! `PROPTEST_RNG_SEED=N`. Proptest shrinks a failure to the fewest mutations and records its
//! seed in `fuzz.proptest-regressions`. The ignored `survey` test runs many cases without
//! stopping at the first failure and lists every distinct one (README, "Fuzzing").

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock, mpsc};
use std::time::{Duration, Instant};

use microcosm_checker::{CheckOptions, Strategy as Search};
use microcosm_model::analysis::{AnalysisOptions, analyze};
use microcosm_model::{Diagnostic, LoadedScenario};
use microcosm_simulator::Sim;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRng, TestRunner};

#[path = "support/cli.rs"]
mod cli;
#[path = "support/mutator.rs"]
mod mutator;
use mutator::{Case, Dictionary, Seed};

/// The seeds, the dictionary, and a directory to write cases into (holding the CSV files
/// `monolith-shop.toml` reads, so that its mutants load as the original does).
struct Fixture {
    seeds: Vec<Seed>,
    dictionary: Dictionary,
    dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let seeds = mutator::seeds();
        let dictionary = Dictionary::new(&seeds);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("a data directory");
        for entry in std::fs::read_dir(mutator::root().join("scenarios/data")).expect("data") {
            let path = entry.expect("an entry").path();
            if path.is_file() {
                std::fs::copy(&path, data.join(path.file_name().expect("a name"))).expect("copy");
            }
        }
        install_panic_hook();
        Fixture {
            seeds,
            dictionary,
            dir,
        }
    })
}

thread_local! {
    /// Where and why the last panic on this thread happened.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// What this thread is doing, where [`exercise_within`] can read it after a hang.
    static DOING: RefCell<Option<std::sync::Arc<std::sync::Mutex<String>>>> =
        const { RefCell::new(None) };
    /// Whether this thread is inside [`guarded`].
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics inside [`guarded`] are reported as failures with their location, quietly: the
/// default hook's printing would bury the report under thousands of lines in a long run.
/// Every other panic (proptest's report of a failed case among them) prints as usual.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                return default(info);
            }
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = panic_text(info.payload());
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("panicked at {at}: {message}")));
        }));
    });
}

fn panic_text(payload: &dyn Any) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A property that did not hold: the stage it failed in and what happened.
#[derive(Debug, Clone)]
struct Failure {
    stage: &'static str,
    detail: String,
}

impl Failure {
    /// What makes two failures the same bug: the stage and the detail's first line, with the
    /// numbers and names that vary between inputs taken out.
    fn signature(&self) -> String {
        let first = self.detail.lines().next().unwrap_or_default();
        // A panic is its place in the source.
        if let Some(i) = first.find("panicked at ") {
            let rest = &first[i + "panicked at ".len()..];
            let place: Vec<&str> = rest.split(':').take(2).collect();
            return format!("{}: panicked at {}", self.stage, place.join(":"));
        }
        let mut out = String::new();
        let mut quoted = false;
        for c in first.chars() {
            match c {
                '`' => {
                    quoted = !quoted;
                    if quoted {
                        out.push_str("`…`");
                    }
                }
                _ if quoted => {}
                '0'..='9' if !out.ends_with('#') => out.push('#'),
                '0'..='9' | '.' if out.ends_with('#') => {}
                c => out.push(c),
            }
        }
        format!("{}: {out}", self.stage)
    }
}

/// Notes what the thread is about to do, so that a hang says where it hung.
fn doing(what: impl FnOnce() -> String) {
    DOING.with(|d| {
        if let Some(d) = &*d.borrow() {
            *d.lock().unwrap_or_else(|e| e.into_inner()) = what();
        }
    });
}

/// Runs `f`, turning a panic into a failure of `stage`.
fn guarded<T>(stage: &'static str, f: impl FnOnce() -> T) -> Result<T, Failure> {
    GUARDED.with(|g| g.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|payload| Failure {
        stage,
        detail: LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| format!("panicked: {}", panic_text(&*payload))),
    })
}

/// How hard the engines are driven on a valid case.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    max_states: usize,
    check_timeout: Duration,
    sim_events: u64,
    sim_wall: Duration,
}

impl Bounds {
    fn from_env() -> Bounds {
        Bounds {
            max_states: env_number("FUZZ_MAX_STATES", 20_000),
            check_timeout: Duration::from_millis(env_number("FUZZ_CHECK_MS", 100) as u64),
            sim_events: env_number("FUZZ_SIM_EVENTS", 20_000) as u64,
            sim_wall: Duration::from_millis(env_number("FUZZ_SIM_MS", 200) as u64),
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How a case ended when every property held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Rejected, first for this reason (a diagnostic code).
    Invalid(&'static str),
    Valid,
}

fn render_all(diagnostics: &[Diagnostic]) -> Result<(), Failure> {
    for d in diagnostics {
        let rendered = guarded("render", || {
            (d.render(false), d.render(true), d.to_string())
        })?;
        if rendered.0.trim().is_empty() {
            return Err(Failure {
                stage: "render",
                detail: format!("an empty rendering of {d}"),
            });
        }
    }
    Ok(())
}

/// Loads, validates and renders the file at `path`, and on a valid one with `heavy`, runs
/// every engine on it within `bounds`.
fn exercise(path: &Path, heavy: bool, bounds: Bounds) -> Result<Verdict, Failure> {
    let loaded = match guarded("load", || microcosm_model::load(path))? {
        Err(error) => {
            if error.diagnostics.is_empty() {
                return Err(Failure {
                    stage: "load",
                    detail: "a rejection without a diagnostic".to_owned(),
                });
            }
            render_all(&error.diagnostics)?;
            return Ok(Verdict::Invalid(error.diagnostics[0].code));
        }
        Ok(loaded) => loaded,
    };
    render_all(&loaded.warnings)?;
    if heavy {
        doing(|| "analyze".to_owned());
        analyse(&loaded)?;
        model_check(&loaded, bounds)?;
        simulate(&loaded, bounds)?;
    }
    Ok(Verdict::Valid)
}

fn analyse(loaded: &LoadedScenario) -> Result<(), Failure> {
    guarded("analyze", || {
        let mut analysis = analyze(&loaded.scenario, &AnalysisOptions::default());
        analysis.locate(loaded);
    })
}

fn model_check(loaded: &LoadedScenario, bounds: Bounds) -> Result<(), Failure> {
    let opts = CheckOptions {
        max_states: Some(bounds.max_states),
        max_depth: None,
        timeout: Some(bounds.check_timeout),
        threads: 1,
        symmetry: false,
        strategy: Search::Bfs,
        progress: None,
        cancel: None,
        // `max_states` bounds each search already.
        max_memory: None,
    };
    doing(|| "checker: jobs".to_owned());
    let jobs = guarded("checker: jobs", || {
        microcosm_checker::scenario::jobs(&loaded.scenario)
    })?;
    for job in jobs {
        let properties = guarded("checker: properties", || job.properties())?;
        // A job without properties is one `check` silently leaves out: a policy the breaker
        // model refuses after validation accepted it.
        if properties.is_empty() {
            return Err(Failure {
                stage: "checker: build",
                detail: format!(
                    "`{}` ({}): the model refuses what validation accepted; `check` skips it",
                    job.subject, job.protocol
                ),
            });
        }
        doing(|| format!("checker: run `{}` ({})", job.subject, job.protocol));
        let stage = "checker: run";
        match guarded(stage, || job.run(&properties, &opts))? {
            Ok(_) => {}
            Err(e) => {
                return Err(Failure {
                    stage,
                    detail: format!("`{}` ({}): {e}", job.subject, job.protocol),
                });
            }
        }
    }
    Ok(())
}

fn simulate(loaded: &LoadedScenario, bounds: Bounds) -> Result<(), Failure> {
    let scenario = &loaded.scenario;
    for (name, experiment) in &scenario.experiments {
        doing(|| format!("simulator: experiment `{name}`"));
        let built = guarded("simulator: build", || {
            Sim::builder(scenario, experiment.seed)
                .experiment(name)
                .build()
        })?;
        let mut sim = built.map_err(|e| Failure {
            stage: "simulator: build",
            detail: format!("experiment `{name}`: {e}"),
        })?;
        let deadline = Instant::now() + bounds.sim_wall;
        let finished = guarded("simulator: run", || {
            for _ in 0..bounds.sim_events {
                if !sim.step() {
                    return true;
                }
                if Instant::now() >= deadline {
                    return false;
                }
            }
            false
        })?;
        // As in `check`: a run cut short decides nothing, so only a finished one is judged.
        if !finished {
            continue;
        }
        let report = guarded("simulator: report", || {
            sim.finish();
            microcosm_simulator::report::build(&sim, scenario)
        })?;
        // What `check` gates, by the rule it shares with the simulator.
        let expected: Vec<String> = scenario
            .judged(experiment)
            .iter()
            .filter_map(microcosm_model::Judged::report_name)
            .collect();
        for name in expected {
            if !report.expectations.iter().any(|x| x.name == name) {
                return Err(Failure {
                    stage: "simulator: report",
                    detail: format!("the report judges nothing for `{name}`; `check` exits 2"),
                });
            }
        }
    }
    Ok(())
}

/// Writes a case where the loader reads it, under a name no other case running at the same
/// time uses.
fn write_case(case: &Case) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let fx = fixture();
    let (bytes, extension) = mutator::render(case, &fx.seeds, &fx.dictionary);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = fx.dir.path().join(format!("case-{n}.{extension}"));
    std::fs::write(&path, bytes).expect("write a case");
    path
}

/// [`exercise`] on a thread of its own, so that a hang is a failure instead of a stuck test
/// (the hung thread is left behind: nothing can stop it).
fn exercise_within(path: &Path, heavy: bool, limit: Duration) -> Result<Verdict, Failure> {
    let (send, receive) = mpsc::channel();
    let owned = path.to_owned();
    let bounds = Bounds::from_env();
    let at = std::sync::Arc::new(std::sync::Mutex::new("load".to_owned()));
    let shared = at.clone();
    std::thread::spawn(move || {
        DOING.with(|d| *d.borrow_mut() = Some(shared));
        let _ = send.send(exercise(&owned, heavy, bounds));
    });
    receive.recv_timeout(limit).unwrap_or_else(|_| {
        let at = at.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Err(Failure {
            stage: "hang",
            detail: format!("{at}: still running after {} s: a hang", limit.as_secs()),
        })
    })
}

/// The seed proptest draws cases from: `PROPTEST_RNG_SEED` when set, or a fixed one, so that
/// CI runs the same cases every time and a red run is a change in the code, not in the luck
/// of the draw (by hand, set `PROPTEST_RNG_SEED` to explore other cases).
fn rng_seed() -> RngSeed {
    match Config::default().rng_seed {
        RngSeed::Random => RngSeed::Fixed(13),
        fixed => fixed,
    }
}

/// The number of cases proptest runs: `PROPTEST_CASES`, or `default`.
fn cases(default: u32) -> u32 {
    env_number("PROPTEST_CASES", default as usize) as u32
}

fn describe(case: &Case) -> String {
    format!("seed {} ({case:?})", fixture().seeds[case.seed].name)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(256),
        rng_seed: rng_seed(),
        max_shrink_time: 120_000,
        ..Config::default()
    })]

    /// Properties 1 and 2: they hold on every case on `main`, so CI runs them.
    #[test]
    fn mutated_scenarios_load_and_render(case in mutator::case(mutator::seeds().len(), 4, 4)) {
        assert_case_holds(&case, false)?;
    }
}

proptest! {
    #![proptest_config(Config {
        cases: cases(24),
        rng_seed: rng_seed(),
        max_shrink_time: 120_000,
        max_global_rejects: 1_000_000,
        ..Config::default()
    })]

    /// Property 3 at library level, on mutated files that validate.
    #[test]
    fn valid_mutants_run_on_every_engine(case in valid_case()) {
        assert_case_holds(&case, true)?;
    }
}

/// Runs one case as a property: a failure names its stage, its case and the file's start.
fn assert_case_holds(case: &Case, heavy: bool) -> Result<(), TestCaseError> {
    let path = write_case(case);
    let result = exercise_within(&path, heavy, Duration::from_secs(60));
    if let Err(failure) = result {
        let bytes = std::fs::read(&path).unwrap_or_default();
        prop_assert!(
            false,
            "{}\n{}\n{}\nthe file ({} bytes) starts:\n{}",
            failure.signature(),
            failure.detail,
            describe(case),
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(600)]),
        );
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// What a run of the binary did wrong, if anything: an exit code outside `allowed`, a
/// panic, or a hang.
fn run_binary(args: &[&str], path: &Path, allowed: &[i32]) -> Result<i32, Failure> {
    let output = cli::run(args)
        .arg(path)
        .timeout(Duration::from_secs(60))
        .exits_any();
    let stderr = output.stderr();
    let command = format!("microcosm {} FILE", args.join(" "));
    // The panic's place and message say which bug it is; the thread's name and id do not.
    if let Some(at) = stderr.find("panicked at ") {
        let panic: Vec<&str> = stderr[at..].lines().take(2).collect();
        return Err(Failure {
            stage: "binary",
            detail: format!("`{command}` {}", panic.join(": ")),
        });
    }
    let Some(code) = output.code() else {
        return Err(Failure {
            stage: "binary",
            detail: format!(
                "`{command}` was killed (a hang or a crash): {}",
                output.status()
            ),
        });
    };
    if stderr.contains("internal error") {
        return Err(Failure {
            stage: "binary",
            detail: format!("`{command}` panicked: {}", stderr.trim()),
        });
    }
    if !allowed.contains(&code) {
        let stdout = String::from_utf8_lossy(output.stdout_bytes());
        let errors: Vec<&str> = stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| l.contains("error") || l.contains("ERROR"))
            .take(3)
            .collect();
        return Err(Failure {
            stage: "binary",
            detail: format!(
                "`{command}` exited {code}, not one of {allowed:?}: {}",
                errors.join(" | ")
            ),
        });
    }
    Ok(code)
}

/// Lightly mutated cases that the library finds valid: the binary's time is spent on files
/// `check` runs in full.
fn valid_case() -> impl Strategy<Value = Case> {
    mutator::case(mutator::seeds().len(), 2, 0).prop_filter("the case validates", |case| {
        let path = write_case(case);
        let valid = matches!(
            exercise_within(&path, false, Duration::from_secs(60)),
            Ok(Verdict::Valid)
        );
        let _ = std::fs::remove_file(&path);
        valid
    })
}

/// Issue 13: "`validate` exiting 0 must mean `check` never exits 2 on that file".
fn validate_then_check(path: &Path) -> Result<Option<i32>, Failure> {
    let validated = run_binary(&["validate"], path, &[0, 2])?;
    if validated != 0 {
        return Ok(None);
    }
    let checked = run_binary(
        &["check", "--timeout", "1", "--max-states", "20000"],
        path,
        &[0, 1],
    )?;
    Ok(Some(checked))
}

proptest! {
    #![proptest_config(Config {
        cases: env_number("FUZZ_CHECK_CASES", 6) as u32,
        rng_seed: rng_seed(),
        max_shrink_time: 300_000,
        max_global_rejects: 1_000_000,
        ..Config::default()
    })]

    /// Property 3 through the binary, on lightly mutated files that validate.
    #[test]
    fn validate_ok_means_check_does_not_exit_2(case in valid_case()) {
        let path = write_case(&case);
        if let Err(failure) = validate_then_check(&path) {
            prop_assert!(false, "{}\n{}", failure.signature(), failure.detail);
        }
        let _ = std::fs::remove_file(&path);
    }
}

/// One distinct failure a survey found: how often, and the smallest case that shows it.
struct Found {
    count: usize,
    case: Case,
    bytes: Vec<u8>,
    detail: String,
}

/// The survey's seed: `PROPTEST_RNG_SEED`, or the fixed one.
fn survey_seed() -> u64 {
    match rng_seed() {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => 13,
    }
}

/// The survey's case `i` and whether it is heavy: a function of the seed and `i` alone, so
/// that a worker process can regenerate any case the survey hands it.
fn survey_case(i: usize) -> (Case, bool) {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&survey_seed().to_le_bytes());
    bytes[8..16].copy_from_slice(&(i as u64).to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes),
    );
    let case = mutator::case(fixture().seeds.len(), 4, 4)
        .new_tree(&mut runner)
        .expect("a case")
        .current();
    let heavy = proptest::bool::weighted(0.35)
        .new_tree(&mut runner)
        .expect("a coin")
        .current();
    (case, heavy)
}

/// A survey's worker: runs cases `FUZZ_WORKER_FROM..FUZZ_WORKER_TO`, appending to
/// `FUZZ_WORKER_OUT` a `start I` line before each and a result line after it (`valid I`,
/// `invalid I CODE`, `fail I SIGNATURE\tDETAIL`). A case that takes the process down (out of
/// memory, an abort) leaves its `start` line last; after a hang the worker exits, which stops
/// the hung thread.
#[test]
#[ignore = "run by `survey` in a process of its own"]
fn survey_worker() {
    use std::io::Write;
    let (Some(from), Some(to), Some(out)) = (
        std::env::var("FUZZ_WORKER_FROM")
            .ok()
            .and_then(|v| v.parse::<usize>().ok()),
        std::env::var("FUZZ_WORKER_TO")
            .ok()
            .and_then(|v| v.parse::<usize>().ok()),
        std::env::var_os("FUZZ_WORKER_OUT"),
    ) else {
        return;
    };
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(out)
        .expect("the worker's log");
    for i in from..to {
        let (case, heavy) = survey_case(i);
        writeln!(log, "start {i}").expect("log");
        let path = write_case(&case);
        let result = exercise_within(&path, heavy, Duration::from_secs(20));
        let _ = std::fs::remove_file(&path);
        match &result {
            Ok(Verdict::Valid) => writeln!(log, "valid {i}"),
            Ok(Verdict::Invalid(code)) => writeln!(log, "invalid {i} {code}"),
            Err(failure) => {
                let detail = failure.detail.replace('\n', " ");
                writeln!(log, "fail {i} {}\t{detail}", failure.signature())
            }
        }
        .expect("log");
        if matches!(&result, Err(f) if f.detail.contains("a hang")) {
            std::process::exit(0);
        }
    }
}

/// Runs `FUZZ_CASES` cases (default 2,000; a third of them heavy) in worker processes limited
/// to `FUZZ_MEMORY_MIB` of address space (default 4,096), and `FUZZ_CHECK_CASES` binary cases,
/// without stopping at a failure; then lists every distinct failure with its smallest case,
/// saved under `target/fuzz-survey/` for replaying with the binary. Fails if it found any.
/// By hand, in release:
/// `FUZZ_CASES=20000 cargo test --release --test fuzz -- --ignored --exact survey --nocapture`.
#[test]
#[ignore = "a long run by hand; see the README's Fuzzing section"]
fn survey() {
    let fx = fixture();
    let total = env_number("FUZZ_CASES", 2_000);
    let binary_cases = env_number("FUZZ_CHECK_CASES", 0);
    let memory_kib = env_number("FUZZ_MEMORY_MIB", 4_096) * 1024;
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut record = |signature: String, detail: String, case: &Case, bytes: Vec<u8>| {
        let size = |c: &Case, b: &[u8]| (c.mutations.len() + c.text.len(), b.len());
        let entry = found.entry(signature).or_insert_with(|| Found {
            count: 0,
            case: case.clone(),
            bytes: bytes.clone(),
            detail: detail.clone(),
        });
        entry.count += 1;
        if size(case, &bytes) < size(&entry.case, &entry.bytes) {
            entry.case = case.clone();
            entry.bytes = bytes;
            entry.detail = detail;
        }
    };
    let case_bytes = |case: &Case| mutator::render(case, &fx.seeds, &fx.dictionary).0;

    let started = Instant::now();
    let (mut valid, mut next) = (0usize, 0usize);
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    let log_path = fx.dir.path().join("worker.log");
    let exe = std::env::current_exe().expect("the test binary");
    while next < total {
        let _ = std::fs::remove_file(&log_path);
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {memory_kib}; exec \"$0\" survey_worker --ignored --exact \
                 --test-threads 1 --quiet >/dev/null 2>&1"
            ))
            .arg(&exe)
            .env("FUZZ_WORKER_FROM", next.to_string())
            .env("FUZZ_WORKER_TO", total.to_string())
            .env("FUZZ_WORKER_OUT", &log_path)
            .status()
            .expect("a worker");
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let mut running = None;
        for line in log.lines() {
            let mut words = line.splitn(3, ' ');
            let (what, i) = (
                words.next(),
                words.next().and_then(|i| i.parse::<usize>().ok()),
            );
            let rest = words.next().unwrap_or_default();
            let Some(i) = i else { continue };
            next = i + 1;
            match what {
                Some("start") => running = Some(i),
                Some("valid") => (running, valid) = (None, valid + 1),
                Some("invalid") => {
                    running = None;
                    *rejected.entry(rest.to_owned()).or_default() += 1;
                }
                Some("fail") => {
                    running = None;
                    let (signature, detail) = rest.split_once('\t').unwrap_or((rest, ""));
                    let case = survey_case(i).0;
                    record(
                        signature.to_owned(),
                        detail.to_owned(),
                        &case,
                        case_bytes(&case),
                    );
                }
                _ => {}
            }
        }
        if let Some(i) = running {
            // The case took its worker down: out of memory (an allocation beyond the limit
            // aborts) or another abort.
            let case = survey_case(i).0;
            record(
                format!("process: killed ({status})"),
                format!("the worker died on this case ({status}); memory limit {memory_kib} KiB"),
                &case,
                case_bytes(&case),
            );
        } else if !status.success() && next < total {
            panic!("the survey's worker failed before any case: {status}");
        }
    }
    let library_time = started.elapsed();

    let started = Instant::now();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[survey_seed() as u8; 32],
        ),
    );
    let light = valid_case();
    let mut checked = 0usize;
    for _ in 0..binary_cases {
        let case = light.new_tree(&mut runner).expect("a case").current();
        let path = write_case(&case);
        match validate_then_check(&path) {
            Ok(Some(_)) => checked += 1,
            Ok(None) => {}
            Err(failure) => {
                let bytes = std::fs::read(&path).unwrap_or_default();
                record(failure.signature(), failure.detail, &case, bytes);
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    let binary_time = started.elapsed();

    let out_dir = mutator::root().join("target/fuzz-survey");
    let _ = std::fs::remove_dir_all(&out_dir);
    let _ = std::fs::create_dir_all(&out_dir);
    let mut summary = format!(
        "seed {}: library: {total} cases ({valid} valid), {:.1} s; binary: {binary_cases} \
         cases ({checked} checked), {:.1} s; {} distinct failures\n",
        survey_seed(),
        library_time.as_secs_f64(),
        binary_time.as_secs_f64(),
        found.len()
    );
    let mut reasons: Vec<(String, usize)> = rejected.into_iter().collect();
    reasons.sort_by_key(|(code, n)| (std::cmp::Reverse(*n), code.clone()));
    let reasons: Vec<String> = reasons.iter().map(|(c, n)| format!("{c} {n}")).collect();
    summary.push_str(&format!("rejected first for: {}\n", reasons.join(", ")));
    for (i, (signature, f)) in found.iter().enumerate() {
        let extension = if f.case.json { "json" } else { "toml" };
        let file = out_dir.join(format!("failure-{i}.{extension}"));
        let _ = std::fs::write(&file, &f.bytes);
        summary.push_str(&format!(
            "\n[{i}] {signature}\n    {} times; smallest: {}\n    {}\n    saved as {}\n",
            f.count,
            describe(&f.case),
            f.detail.chars().take(400).collect::<String>(),
            file.display()
        ));
    }
    let _ = std::fs::write(out_dir.join("summary.txt"), &summary);
    println!("{summary}");
    assert!(found.is_empty(), "{} distinct failures", found.len());
}

// Reproducers of what the fuzzing found, each cut down by hand to the smallest file that shows
// it. They fail on the main branch as this is written; the fixes are on other branches (issue
// 13), and each is un-ignored once its fix is merged.

/// Writes `text` as a scenario and runs `microcosm ARGS FILE` on it: when `validate` accepts
/// the file (a fix may instead make it reject it, with a located error), the command must exit
/// 0 or 1 within `limit` without panicking, in at most 4 GiB of address space. Returns what
/// the command wrote to stdout (empty when the file was rejected).
fn assert_runs_cleanly(text: &str, args: &[&str], limit: Duration) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("repro.toml");
    std::fs::write(&path, text).expect("write the scenario");
    let validated =
        run_binary(&["validate"], &path, &[0, 2]).unwrap_or_else(|f| panic!("{}", f.detail));
    if validated == 2 {
        return String::new();
    }
    let output = cli::run(args)
        .arg(&path)
        .memory_limit_kib(4_194_304)
        .timeout(limit)
        .exits_any();
    let stderr = output.stderr();
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("internal error")
            && !stderr.contains("memory allocation"),
        "microcosm {} panicked:\n{stderr}",
        args.join(" ")
    );
    let code = output.code().unwrap_or_else(|| {
        panic!(
            "microcosm {} did not finish within {} s",
            args.join(" "),
            limit.as_secs()
        )
    });
    assert!(
        code == 0 || code == 1,
        "microcosm {} exited {code}:\n{stderr}",
        args.join(" ")
    );
    String::from_utf8_lossy(output.stdout_bytes()).into_owned()
}

#[test]
fn simulate_survives_a_p99_near_u64_max() {
    let text = r#"name = "p99"
[services.api.endpoints.get]
public = true
work = { dist = "lognormal", p50_ms = 1.0, p99_ms = 18446744073709551615 }
[experiments.load]
duration_s = 5
load = [{ endpoint = "api.get", rate_per_s = 10 }]
"#;
    assert_runs_cleanly(text, &["simulate"], Duration::from_secs(60));
}

#[test]
fn check_keeps_its_timeout_on_a_huge_retry_budget() {
    let text = r#"name = "attempts"
[services.api.endpoints.get]
public = true
calls = ["db.read"]
[services.db.endpoints.read]
[policies."api -> db"]
retry = { max_attempts = 4294967295, wait_ms = 10 }
"#;
    assert_runs_cleanly(text, &["check", "--timeout", "1"], Duration::from_secs(30));
}

#[test]
fn check_reports_a_policy_the_model_cannot_hold() {
    let text = r#"name = "half-open"
[services.api.endpoints.get]
public = true
calls = ["db.read"]
[services.db.endpoints.read]
[policies."api -> db"]
circuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 10, minimum_number_of_calls = 5, wait_duration_in_open_state_ms = 1000, permitted_number_of_calls_in_half_open_state = 1000 }
"#;
    let stdout = assert_runs_cleanly(
        text,
        &["check", "--timeout", "1", "--format", "json"],
        Duration::from_secs(60),
    );
    // Rejected by validation is a fix too; accepted, the policy must have verdicts (an
    // inconclusive one fails the gate, as it should).
    if !stdout.is_empty() {
        assert!(
            stdout.contains("\"check\":\"api -> db/"),
            "no verdict on the policy `api -> db`:\n{stdout}"
        );
    }
}

#[test]
fn simulate_survives_four_billion_replicas() {
    let text = r#"name = "replicas"
[services.api.endpoints.get]
public = true
[deployment.api]
replicas = 4294967295
[experiments.load]
duration_s = 5
load = [{ endpoint = "api.get", rate_per_s = 10 }]
"#;
    assert_runs_cleanly(text, &["simulate"], Duration::from_secs(60));
}

/// A scenario whose one SLO is judged over windows of `window_s` seconds, in a 5 s run.
fn slo_window_of(window_s: u64) -> String {
    format!(
        r#"name = "window"
[services.api.endpoints.get]
public = true
[slos.api-latency]
endpoint = "api.get"
latency_p99_ms = 100
window_s = {window_s}
[experiments.load]
duration_s = 5
load = [{{ endpoint = "api.get", rate_per_s = 10 }}]
expect = {{ slos = ["api-latency"] }}
"#
    )
}

#[test]
fn simulate_survives_a_long_slo_window() {
    assert_runs_cleanly(
        &slo_window_of(300000000),
        &["simulate"],
        Duration::from_secs(60),
    );
}

#[test]
fn simulate_survives_the_longest_slo_window() {
    assert_runs_cleanly(
        &slo_window_of(9223372036854775807),
        &["simulate"],
        Duration::from_secs(60),
    );
}

#[test]
fn check_survives_a_four_billion_call_window() {
    let text = r#"name = "sliding"
[services.api.endpoints.get]
public = true
calls = ["db.read"]
[services.db.endpoints.read]
[policies."api -> db"]
circuit_breaker = { sliding_window_size = 4294967295, minimum_number_of_calls = 2, wait_duration_in_open_state_ms = 5000, permitted_number_of_calls_in_half_open_state = 1 }
implementation = "counts_rejections"
"#;
    assert_runs_cleanly(text, &["check", "--timeout", "1"], Duration::from_secs(60));
}
