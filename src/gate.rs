//! `microcosm check`: the CI gate. For every scenario named it validates the file, runs the
//! analysis rules, verifies every transaction and simulates the experiments that have
//! expectations, compares each verdict with the one the scenario expects, and writes one report
//! in the format the pipeline reads. Checks run in parallel; the report's order is
//! fixed (file, then engine, then subject and property), whatever the thread count.
//!
//! `--timeout` is one wall-clock deadline for the whole run, which every stage sees: loading,
//! analysis, the static amplification, model checking and simulation. The engines look at it
//! (the checker through its timeout and cancel flag, the simulator every 1024 events), stop,
//! and report how far they got; a stage that has not answered [`GRACE`](deadline::GRACE) after
//! the deadline is reported cut short without it (its thread is left to the process's exit).
//! Either way its checks are inconclusive — exit 1 unless `--allow-inconclusive`, never a pass —
//! and the report is still written.
//!
//! This file is the run, in order: load, plan, run the tasks, assemble the report, write it,
//! exit. Its rooms are `deadline` (the one clock and the waiting), `plan` (which checks exist
//! and which `--only` selects), `tasks` (running one engine on one subject), `simulation` (the
//! simulate stage's checks), `records` (every record that is not an engine's, and the declared
//! verdicts applied) and `progress` (the terminal's bars). The report's formats live in
//! `crate::report`, beside the other commands'.

mod deadline;
mod plan;
mod progress;
mod records;
mod simulation;
mod tasks;

/// The test helpers other commands' tests share, at the path they had before the split.
#[cfg(test)]
pub(crate) use tasks::tests;

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use microcosm_checker::{CheckOptions, Strategy};
use microcosm_model::LoadedScenario;

use crate::Outcome as Exit;
use crate::cli::{CheckArgs, ColorChoice, GateFormat};
use crate::files::scenario_files;
use crate::output::write_report;
use crate::report::{self, CheckRecord, GateReport, Outcome, Status, github};

use self::deadline::{Deadline, within};
use self::plan::{Plan, Task, matches_only, selection_error, unmatched_pattern};
use self::progress::Progress;
use self::records::{
    apply_expectations, invalid_records, unloaded_record, valid_record, walk_error_record,
};
use self::tasks::{cut_short_records, run_task};

/// A file loaded, or why not; [`within`] wraps it in `None` when loading did not finish in time.
type Load = Result<Arc<LoadedScenario>, microcosm_model::LoadError>;

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
        max_memory: args
            .max_memory
            .or_else(microcosm_checker::memory::default_limit),
    };
    let (files, walk_errors) = scenario_files(&args.paths);
    if files.is_empty() && walk_errors.is_empty() {
        bail!("no scenario files (*.toml, *.json) under the paths given");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.parallel.count())
        // Some analyses walk the call graph recursively: a deep chain of calls must not
        // overflow a worker's 2 MiB default (the main thread, where `analyze` runs them, has
        // 8). Address space only; pages are used as the stack grows.
        .stack_size(64 << 20)
        .build()
        .context("cannot start the worker threads")?;
    // Loading is a stage like the others: a file not loaded by the deadline is reported so.
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
        &deadline,
    );
    // Whether every file could be read: only then is it known which checks exist, and so
    // whether --only selects any.
    let all_loaded = walk_errors.is_empty() && loads.iter().all(|l| matches!(l, Some(Ok(_))));

    let Plan { mut known, tasks } = {
        let plan = Plan::new(loads.iter().flatten().flatten(), args);
        // A pattern that cannot match is a typo: say so now, before any check runs.
        let possible = plan.possible(args);
        if all_loaded && let Some(pattern) = unmatched_pattern(&args.only, &possible) {
            return Err(selection_error(pattern, &possible, args));
        }
        plan
    };

    let progress = Progress::start(tasks.len());
    let tasks: Vec<Arc<Task>> = tasks.into_iter().map(Arc::new).collect();
    let work = tasks
        .iter()
        .map(|t| {
            let (t, opts, deadline, progress) =
                (t.clone(), opts.clone(), deadline.clone(), progress.clone());
            Box::new(move || {
                let bar = progress.started(&t);
                let records = run_task(&t, &opts, &deadline, bar.as_ref());
                progress.done(bar);
                records
            }) as Box<dyn FnOnce() -> Vec<CheckRecord> + Send>
        })
        .collect();
    // A task that has not answered by the deadline (and the grace after it) is reported cut
    // short, from what is known of it without running it.
    let results: Vec<Vec<CheckRecord>> = within(&pool, work, &deadline)
        .into_iter()
        .zip(&tasks)
        .map(|(records, task)| records.unwrap_or_else(|| cut_short_records(task, &deadline)))
        .collect();
    progress.finish();

    let pending: Vec<(std::path::PathBuf, Vec<CheckRecord>)> = tasks
        .iter()
        .zip(results)
        .map(|(task, records)| (task.loaded().source.path.clone(), records))
        .collect();
    let report = assemble(&files, &walk_errors, &loads, &pending, args, &deadline);
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

    write(&report, args, color)?;
    let s = report.summary();
    if args.format != GateFormat::Human && args.output.is_some() {
        // Best effort: a closed stderr must not change the verdict either.
        let _ = writeln!(std::io::stderr(), "{}", s.counts());
    }
    Ok(if s.errors > 0 {
        Exit::Invalid
    } else if s.failed > 0 {
        Exit::Fail
    } else {
        Exit::Pass
    })
}

/// Every check id and rule id `--only` can select in `scenarios`, with the rule each check
/// belongs to, for the stages `args` does not skip: what shell completion offers for `--only`.
pub fn selectable(scenarios: &[LoadedScenario], args: &CheckArgs) -> Vec<(String, String)> {
    let loads: Vec<Arc<LoadedScenario>> = scenarios.iter().cloned().map(Arc::new).collect();
    Plan::new(loads.iter(), args).possible(args)
}

/// The report: each file's records in the order of the files, each file's validation first,
/// then its tasks' records (as `--only` narrows them) with the declared verdicts applied and
/// each record's outcome decided; an unreadable directory and a file that did not load (or not
/// in time) have records of their own.
fn assemble(
    files: &[std::path::PathBuf],
    walk_errors: &[(std::path::PathBuf, std::io::Error)],
    loads: &[Option<Load>],
    pending: &[(std::path::PathBuf, Vec<CheckRecord>)],
    args: &CheckArgs,
    deadline: &Deadline,
) -> GateReport {
    let mut report = GateReport {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        records: Vec::new(),
    };
    // An unreadable directory is reported like an invalid file, while the files that could be
    // found are still checked.
    for (dir, error) in walk_errors {
        report.files.push(dir.display().to_string());
        report.records.push(walk_error_record(dir, error));
    }
    for (file, load) in files.iter().zip(loads) {
        let mut records = Vec::new();
        let mut missing = Vec::new();
        match load {
            Some(Ok(loaded)) => {
                if matches_only(&args.only, "validate", "scenario.valid") {
                    records.push(valid_record(loaded));
                }
                for (path, task_records) in pending {
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
    report
}

/// Writes the report in the format asked for, to stdout or `--output` (and, for GitHub, the
/// step summary too).
fn write(report: &GateReport, args: &CheckArgs, color: ColorChoice) -> anyhow::Result<()> {
    let mut out = Vec::new();
    match args.format {
        GateFormat::Human => report::human::write(
            &mut out,
            report,
            color.enabled_for_report(args.output.is_some()),
        )?,
        GateFormat::Json => report::json::write(&mut out, report),
        GateFormat::Junit => report::junit::write(&mut out, report)?,
        GateFormat::Sarif => report::sarif::write(&mut out, report)?,
        GateFormat::Github => {
            report::github::write(&mut out, report)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .with_context(|| format!("cannot append to {}", path.to_string_lossy()))?;
                file.write_all(github::step_summary(report).as_bytes())?;
            }
        }
    }
    // The verdict is decided before the report is written: a reader that stops reading
    // (`check … | head`) must not turn a failing gate into a pass, and `write_report` keeps it.
    write_report(args.output.as_deref(), &out)?;
    Ok(())
}
