//! `microcosm verify`: model-check every transaction (and policy) a scenario declares and print
//! one verdict per (subject, property), with the counterexample of each violation as a numbered
//! list and a message-sequence chart. Exit 0 when all hold, 1 when one is violated or
//! inconclusive (unless `--allow-inconclusive`), 2 when the input is invalid.
//!
//! Its JSON Lines (`--format json`, between `begin` and `end`): `verdict`, one per (subject,
//! property): the checker's `Verdict` (`model`, `protocol`, `property`, `status`, `reason`
//! when inconclusive, `stats`, `options`, `counterexample`, `example`, and `fix` when a
//! violation's cause is in the configuration) with `file`, `check`, `kind` (`verify`), `line`
//! and `column`; then `summary` (`verdicts`, `holds`, `violated`, `inconclusive`). With
//! `--replay`: `state`, one per state of the run (`index`, `fields`, and from the second on
//! the `party` and `action` of the step that led to it).

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use microcosm_checker::{CheckOptions, Strategy, Verdict, catalogue};
use microcosm_model::{LoadedScenario, Target};
use rayon::prelude::*;
use serde_json::json;

use crate::Outcome;
use crate::cli::{Format, VerifyArgs};
use crate::files::scenario_files;
use crate::output::{json_begin, json_line, write_report};

pub mod progress;

/// The checker options the command line asks for.
pub fn check_options(args: &VerifyArgs) -> anyhow::Result<CheckOptions> {
    if let Some(t) = args.timeout
        && !(t > 0.0 && t.is_finite())
    {
        bail!("--timeout must be a positive number of seconds, not {t}");
    }
    Ok(CheckOptions {
        max_states: args.max_states,
        max_depth: args.max_depth,
        timeout: args.timeout.map(Duration::from_secs_f64),
        // Each check is single-threaded, so its counterexample is a shortest one; `--jobs`
        // runs that many checks at once instead (see `verify_scenario`).
        threads: 1,
        symmetry: args.symmetry,
        strategy: if args.symmetry {
            Strategy::Dfs
        } else {
            Strategy::Bfs
        },
        progress: None,
        cancel: None,
        max_memory: args
            .max_memory
            .or_else(microcosm_checker::memory::default_limit),
    })
}

/// A verdict with where its subject is written.
pub struct Located {
    pub file: String,
    /// What the subject is (`saga`, `retry`, `circuit_breaker and retry`): its heading.
    pub kind: &'static str,
    pub verdict: Verdict,
    pub line: usize,
    pub column: usize,
}

/// Runs every matching job of one scenario, each reporting its progress to `reporter` if
/// there is one. A job the checker cannot run (its model refuses the configuration) is not
/// dropped: it comes back as an error naming the file and subject, after the verdicts of the
/// jobs that could run.
pub fn verify_scenario(
    loaded: &LoadedScenario,
    transaction: Option<&str>,
    properties: &[String],
    opts: &CheckOptions,
    reporter: Option<&progress::Reporter>,
) -> (Vec<Located>, Vec<String>) {
    let file = loaded.source.path.display().to_string();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let selected: Vec<_> = microcosm_checker::scenario::jobs(&loaded.scenario)
        .into_iter()
        .filter_map(|job| {
            if transaction.is_some_and(|t| t != job.subject) {
                return None;
            }
            let available = job.properties();
            let wanted: Vec<&str> = properties
                .iter()
                .map(String::as_str)
                .filter(|p| available.contains(p))
                .collect();
            (properties.is_empty() || !wanted.is_empty()).then_some((job, wanted))
        })
        .collect();
    // The checks run at once on the current pool (`--jobs` of them: `run` installs it), and
    // come back in the scenario's order whatever finished first.
    let ran: Vec<_> = selected
        .par_iter()
        .map(|(job, wanted)| {
            // Shown from the moment this check starts (not when it is queued) until it ends.
            let check = reporter.map(|r| r.start_check(&job.subject));
            let mut opts = opts.clone();
            opts.progress = check.as_ref().and_then(progress::Check::hook);
            job.run(wanted, &opts)
        })
        .collect();
    for ((job, _), result) in selected.iter().zip(ran) {
        let location = loaded.locate(&job.at, Target::Key);
        match result {
            Ok(verdicts) => out.extend(verdicts.into_iter().map(|verdict| Located {
                file: file.clone(),
                kind: job.kind,
                verdict,
                line: location.line,
                column: location.column,
            })),
            Err(e) => errors.push(format!(
                "{file}:{}:{}: `{}`: the checker could not run: {e}",
                location.line, location.column, job.subject
            )),
        }
    }
    (out, errors)
}

pub fn run(args: &VerifyArgs, color: bool) -> anyhow::Result<Outcome> {
    let opts = check_options(args)?;
    for p in &args.property {
        if catalogue::lookup(p).is_none() {
            let ids: Vec<&str> = catalogue::CATALOGUE.iter().map(|p| p.id).collect();
            let hint = microcosm_model::diagnostic::did_you_mean(p, ids.iter().copied())
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_else(|| format!("; known: {}", ids.join(", ")));
            bail!("no property `{p}`{hint}");
        }
    }
    // Progress goes to stderr whatever format goes to stdout: a spinner for the person at a
    // terminal, a line every ten seconds in a log. Started at the first check, so a run
    // refused before it draws no spinner to leave behind.
    let mut reporter: Option<progress::Reporter> = None;
    let (files, walk_errors) = scenario_files(&args.paths);
    if let Some((path, e)) = walk_errors.first() {
        bail!("{}: {e}", path.display());
    }
    // Checking nothing must not pass as "0 verdicts": validate and check refuse it too.
    if files.is_empty() {
        bail!("no scenario files (*.toml, *.json) under the paths given");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.parallel.count())
        .build()
        .context("cannot start the worker threads")?;
    let mut results = Vec::new();
    let mut invalid = false;
    // With several files, --transaction picks the files that have it; it is an error only when
    // none does (with the first near miss found as the hint).
    let mut missing: Option<(String, String)> = None;
    // An invalid file's diagnostics go in the JSON report too, as `validate` and `analyze` put
    // them, so a tool reading it knows why a file has no verdicts.
    let mut rejected = Vec::new();
    let mut found = false;
    // Locked for each write, never across a check: the progress line writer and the
    // spinners draw on stderr from other threads while the checks run, and would wait for the
    // lock while this thread waits for them.
    let stderr = std::io::stderr();
    for file in &files {
        match microcosm_model::load(file) {
            Ok(loaded) => {
                // A subject is a transaction, a policy key or an experiment: whatever has a job.
                let subjects: Vec<String> = microcosm_checker::scenario::jobs(&loaded.scenario)
                    .into_iter()
                    .map(|j| j.subject)
                    .collect();
                if let Some(t) = &args.transaction
                    && !subjects.contains(t)
                {
                    let names = subjects.iter().map(String::as_str);
                    let hint = microcosm_model::diagnostic::did_you_mean(t, names)
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    if missing.as_ref().is_none_or(|(_, h)| h.is_empty()) {
                        missing = Some((file.display().to_string(), hint));
                    }
                    continue;
                }
                found = true;
                if let Some(trace_id) = &args.replay {
                    let subject = args.transaction.as_deref().expect("clap requires it");
                    return replay(&loaded, subject, trace_id, args);
                }
                let reporter = reporter.get_or_insert_with(progress::Reporter::start);
                let (verdicts, errors) = pool.install(|| {
                    verify_scenario(
                        &loaded,
                        args.transaction.as_deref(),
                        &args.property,
                        &opts,
                        Some(reporter),
                    )
                });
                results.extend(verdicts);
                for e in &errors {
                    reporter.suspend(|| writeln!(stderr.lock(), "error: {e}"))?;
                }
                invalid |= !errors.is_empty();
            }
            Err(e) => {
                invalid = true;
                for d in &e.diagnostics {
                    let write = || write!(stderr.lock(), "{}", d.render(color));
                    match &reporter {
                        Some(r) => r.suspend(write)?,
                        None => write()?,
                    }
                }
                rejected.extend(e.diagnostics);
            }
        }
    }
    if let Some(reporter) = reporter {
        reporter.finish();
    }
    if let (Some((file, hint)), Some(t)) = (missing, &args.transaction)
        && !found
    {
        if files.len() > 1 {
            bail!(
                "none of the {} files has a transaction `{t}`{hint}",
                files.len()
            );
        }
        bail!("{file}: no transaction `{t}`{hint}");
    }
    // A selection that matches nothing must not pass as "0 verdicts, all hold": a gate that
    // checked nothing would be green.
    // Each id asked for must be checked somewhere: one that matches nothing would otherwise
    // drop out silently beside one that does.
    let unmatched: Vec<&String> = args
        .property
        .iter()
        .filter(|p| !results.iter().any(|r| r.verdict.property == p.as_str()))
        .collect();
    if !unmatched.is_empty() && !invalid {
        let scope = args
            .transaction
            .as_deref()
            .map(|t| format!("transaction `{t}`"))
            .unwrap_or_else(|| "the given scenarios".to_owned());
        bail!(
            "no check of {scope} has property {}",
            unmatched
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        );
    }

    let holds = results.iter().filter(|r| r.verdict.status.holds()).count();
    let violated = results
        .iter()
        .filter(|r| r.verdict.status.is_violated())
        .count();
    let inconclusive = results.len() - holds - violated;
    let mut out = Vec::new();
    match args.format {
        Format::Human => write_human(&mut out, &results)?,
        Format::Json => {
            json_begin(&mut out, "verify");
            for d in &rejected {
                json_line(&mut out, "diagnostic", d);
            }
            for r in &results {
                json_line(&mut out, "verdict", &verdict_json(r));
            }
            json_line(
                &mut out,
                "summary",
                &json!({ "verdicts": results.len(), "holds": holds, "violated": violated, "inconclusive": inconclusive }),
            );
            json_line(&mut out, "end", &json!({}));
        }
    }
    if args.format == Format::Human {
        writeln!(
            out,
            "\n{} verdict{}: {holds} hold, {violated} violated, {inconclusive} inconclusive",
            results.len(),
            if results.len() == 1 { "" } else { "s" }
        )?;
    }
    write_report(args.output.as_deref(), &out)?;
    Ok(if invalid {
        Outcome::Invalid
    } else if violated > 0 || (inconclusive > 0 && !args.allow_inconclusive) {
        Outcome::Fail
    } else {
        Outcome::Pass
    })
}

/// `verify --replay`: the states a trace id passes through, so a counterexample printed once
/// can be reproduced (and inspected field by field) from the scenario alone.
fn replay(
    loaded: &LoadedScenario,
    subject: &str,
    trace_id: &str,
    args: &VerifyArgs,
) -> anyhow::Result<Outcome> {
    let job = microcosm_checker::scenario::jobs(&loaded.scenario)
        .into_iter()
        .find(|j| j.subject == subject)
        .expect("the subject was checked to exist");
    let replayed = job
        .replay(trace_id)
        .map_err(|e| anyhow::anyhow!("{}: {subject}: {e}", loaded.source.path.display()))?;
    let states = &replayed.states;
    let mut out = Vec::new();
    match args.format {
        Format::Human => {
            writeln!(out, "{subject}: trace {trace_id}, {} states", states.len())?;
            // As the counterexample reads: who did what at each step, then the whole state it
            // led to (the replay is for inspecting states field by field).
            for (i, state) in states.iter().enumerate() {
                let fields: Vec<String> = state.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                match i.checked_sub(1).and_then(|s| replayed.steps.get(s)) {
                    None => writeln!(out, "{i:>4}. initial state: {}", fields.join("; "))?,
                    Some(step) => {
                        writeln!(out, "{i:>4}. {}: {}", step.party, step.action)?;
                        writeln!(out, "        {}", fields.join("; "))?;
                    }
                }
            }
            // A lasso's id ends in `@k`: say how the run goes on, as the counterexample does.
            if let Some(k) = trace_id
                .rsplit_once('@')
                .and_then(|(_, k)| k.parse::<usize>().ok())
            {
                if k + 1 == states.len() {
                    writeln!(out, "      -- then nothing more happens, forever --")?;
                } else {
                    writeln!(out, "      -- then back to state {k}, forever --")?;
                }
            }
        }
        Format::Json => {
            json_begin(&mut out, "verify");
            for (i, state) in states.iter().enumerate() {
                let fields: serde_json::Map<String, serde_json::Value> =
                    state.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                let mut record = json!({ "index": i, "fields": fields });
                if let Some(step) = i.checked_sub(1).and_then(|s| replayed.steps.get(s)) {
                    record["party"] = json!(step.party);
                    record["action"] = json!(step.action);
                }
                json_line(&mut out, "state", &record);
            }
            json_line(&mut out, "end", &json!({}));
        }
    }
    write_report(args.output.as_deref(), &out)?;
    Ok(Outcome::Pass)
}

/// The JSON `verdict` record: the checker's verdict plus the file, check id and location.
pub fn verdict_json(r: &Located) -> serde_json::Value {
    let mut data = serde_json::to_value(&r.verdict).expect("verdicts serialise");
    let object = data.as_object_mut().expect("a verdict is an object");
    object.insert("file".into(), json!(r.file));
    object.insert(
        "check".into(),
        json!(format!("{}/{}", r.verdict.model, r.verdict.property)),
    );
    object.insert("kind".into(), json!("verify"));
    object.insert("line".into(), json!(r.line));
    object.insert("column".into(), json!(r.column));
    data
}

fn write_human(out: &mut Vec<u8>, results: &[Located]) -> anyhow::Result<()> {
    // The property column is as wide as the longest id printed, so the figures after it line
    // up whatever ids a run has; the status column as wide as its widest word.
    let width = results
        .iter()
        .map(|r| r.verdict.property.len())
        .max()
        .unwrap_or(0);
    let status_width = "inconclusive".len();
    let mut last: Option<(&str, &str)> = None;
    let mut last_notes: Option<&Vec<String>> = None;
    for r in results {
        let v = &r.verdict;
        if last != Some((&r.file, &v.model)) {
            if last.is_none_or(|(f, _)| f != r.file) {
                writeln!(out, "{}", r.file)?;
            }
            writeln!(out, "  {} ({}, line {})", v.model, r.kind, r.line)?;
            last_notes = None;
            last = Some((&r.file, &v.model));
        }
        let status = match &v.status {
            microcosm_checker::Status::Holds => "holds".to_owned(),
            microcosm_checker::Status::Violated => "VIOLATED".to_owned(),
            microcosm_checker::Status::Inconclusive { .. } => "inconclusive".to_owned(),
        };
        // Every status says how far the search got: for an inconclusive one, that is what the
        // user needs to pick a larger bound. A property decided from the configuration alone
        // had no search, and "0 unique states" would read as a search that found nothing.
        let mut stats = if v.options.engine == microcosm_checker::STATIC_ENGINE {
            "decided from the configuration, no search".to_owned()
        } else {
            format!(
                "{} unique states ({} generated), depth {}, {}",
                v.stats.unique_states,
                v.stats.states_generated,
                v.stats.max_depth,
                microcosm_checker::elapsed_for_people(v.stats.elapsed)
            )
        };
        if let Some(bytes) = v.stats.graph_bytes {
            let kib = bytes as f64 / 1024.0;
            if kib < 1024.0 {
                stats.push_str(&format!(", graph {kib:.0} KiB"));
            } else {
                stats.push_str(&format!(", graph {:.1} MiB", kib / 1024.0));
            }
        }
        let detail = match &v.status {
            microcosm_checker::Status::Inconclusive { reason } => format!("{reason}; {stats}"),
            _ => stats,
        };
        writeln!(
            out,
            "    {status:<status_width$}  {:<width$} {detail}",
            v.property
        )?;
        if let Some(fix) = &v.fix {
            writeln!(out, "    {:<status_width$}  {:<width$} fix: {fix}", "", "")?;
        }
        // What the model abstracted or scaled is part of what the verdict means; said once per
        // subject unless a verdict's notes differ from the previous one's.
        if last_notes != Some(&v.options.notes) {
            for note in &v.options.notes {
                writeln!(
                    out,
                    "    {:<status_width$}  {:<width$} note: {note}",
                    "", ""
                )?;
            }
            last_notes = Some(&v.options.notes);
        }
        if let Some(trace) = &v.counterexample {
            writeln!(out, "\n      counterexample ({}:{}):", r.file, r.line)?;
            for line in trace.render_steps().lines() {
                writeln!(out, "      {line}")?;
            }
            writeln!(out, "\n      message sequence:")?;
            for line in trace.render_msc().lines() {
                writeln!(out, "      {line}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_the_checker_refuses_is_an_error_not_a_missing_verdict() {
        let loaded = crate::gate::tests::refused_policy();
        let (verdicts, errors) =
            verify_scenario(&loaded, None, &[], &CheckOptions::default(), None);
        assert!(verdicts.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("`a -> b`: the checker could not run"),
            "{errors:?}"
        );
    }
}
