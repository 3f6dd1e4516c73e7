//! `microcosm validate`: load every scenario named, print one summary line per valid file and
//! every diagnostic of the invalid ones; exit 2 when any file is invalid.

use std::io::Write;

use microcosm_model::{LoadError, LoadedScenario, Severity};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{Format, ValidateArgs};
use crate::files::scenario_files;
use crate::output::{json_begin, json_line, write_report};
use crate::report::plural;

#[derive(Debug, Serialize)]
struct FileSummary<'a> {
    path: String,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    services: usize,
    endpoints: usize,
    transactions: usize,
    experiments: usize,
}

fn summary(loaded: &LoadedScenario) -> FileSummary<'_> {
    let s = &loaded.scenario;
    FileSummary {
        path: loaded.source.path.display().to_string(),
        status: "valid",
        name: Some(&s.name),
        services: s.services.len(),
        endpoints: s.endpoints().count(),
        transactions: s.transactions.len(),
        experiments: s.experiments.len(),
    }
}

pub fn run(args: &ValidateArgs, color: bool) -> anyhow::Result<Outcome> {
    let (files, walk_errors) = scenario_files(&args.paths);
    let mut results: Vec<Result<LoadedScenario, LoadError>> =
        files.iter().map(|f| microcosm_model::load(f)).collect();
    for (path, error) in walk_errors {
        results.push(Err(LoadError {
            path: path.clone(),
            diagnostics: vec![microcosm_model::Diagnostic::error(
                microcosm_model::diagnostic::codes::IO,
                format!("{}: cannot read the directory: {error}", path.display()),
            )],
        }));
    }
    if results.is_empty() {
        anyhow::bail!("no scenario files (*.toml, *.json) under the paths given");
    }
    let invalid = results.iter().filter(|r| r.is_err()).count();
    let valid = results.len() - invalid;

    let mut out = Vec::new();
    let mut err = Vec::new();
    match args.format {
        Format::Human => {
            for result in &results {
                match result {
                    Ok(loaded) => {
                        let s = summary(loaded);
                        writeln!(
                            out,
                            "ok       {}: {}, {}, {}, {}",
                            s.path,
                            plural(s.services, "service"),
                            plural(s.endpoints, "endpoint"),
                            plural(s.transactions, "transaction"),
                            plural(s.experiments, "experiment"),
                        )?;
                        for w in &loaded.warnings {
                            write!(err, "{}", w.render(color))?;
                        }
                    }
                    Err(e) => {
                        let errors = e
                            .diagnostics
                            .iter()
                            .filter(|d| d.severity == Severity::Error)
                            .count();
                        writeln!(
                            out,
                            "invalid  {}: {}",
                            e.path.display(),
                            plural(errors, "error")
                        )?;
                        for d in &e.diagnostics {
                            write!(err, "{}", d.render(color))?;
                        }
                    }
                }
            }
            writeln!(
                out,
                "\n{} checked: {valid} valid, {invalid} invalid",
                plural(results.len(), "file")
            )?;
        }
        Format::Json => {
            json_begin(&mut out, "validate");
            for result in &results {
                match result {
                    Ok(loaded) => {
                        json_line(&mut out, "file", &summary(loaded));
                        for w in &loaded.warnings {
                            json_line(&mut out, "diagnostic", w);
                        }
                    }
                    Err(e) => {
                        json_line(
                            &mut out,
                            "file",
                            &FileSummary {
                                path: e.path.display().to_string(),
                                status: "invalid",
                                name: None,
                                services: 0,
                                endpoints: 0,
                                transactions: 0,
                                experiments: 0,
                            },
                        );
                        for d in &e.diagnostics {
                            json_line(&mut out, "diagnostic", d);
                        }
                    }
                }
            }
            json_line(
                &mut out,
                "summary",
                &serde_json::json!({ "files": results.len(), "valid": valid, "invalid": invalid }),
            );
            json_line(&mut out, "end", &serde_json::json!({}));
        }
    }
    // Diagnostics first, then the summary: on a terminal the verdict ends up last.
    std::io::stderr().write_all(&err)?;
    write_report(args.output.as_deref(), &out)?;
    Ok(if invalid > 0 {
        Outcome::Invalid
    } else {
        Outcome::Pass
    })
}
