//! `microcosm analyze`: load each scenario named, run the architecture analysis (the
//! decomposition theorem and quality metrics when it has a monolith; service, security and
//! capacity findings always) and report it for people or as JSON Lines, one file after the
//! other. Exits 1 when a finding is an error, 2 when a file is invalid (the worst file wins).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use microcosm_model::analysis::{
    Analysis, AnalysisOptions, CohesionDefinition, Finding, Severity, TheoremReport, analyze,
};
use microcosm_model::{LoadedScenario, Scenario};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AnalyzeArgs, Definition, Format, MinSeverity};
use crate::files::scenario_files;
use crate::output::{json_begin, json_line, write_report};
use crate::report::plural;

impl From<Definition> for CohesionDefinition {
    fn from(d: Definition) -> CohesionDefinition {
        match d {
            Definition::Density => CohesionDefinition::Density,
            Definition::Structural => CohesionDefinition::Structural,
            Definition::Total => CohesionDefinition::Total,
        }
    }
}

impl From<MinSeverity> for Severity {
    fn from(s: MinSeverity) -> Severity {
        match s {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Error => Severity::Error,
        }
    }
}

/// Loads a scenario; on failure writes its diagnostics (to stderr, and as JSON Lines to stdout
/// for `--format json`) and returns the outcome to exit with.
pub fn load_or_report(
    path: &Path,
    command: &str,
    json: bool,
    color: bool,
    output: Option<&Path>,
) -> anyhow::Result<Result<LoadedScenario, Outcome>> {
    match microcosm_model::load(path) {
        Ok(loaded) => {
            let mut err = String::new();
            for w in &loaded.warnings {
                err.push_str(&w.render(color));
            }
            std::io::stderr().write_all(err.as_bytes())?;
            Ok(Ok(loaded))
        }
        Err(e) => {
            let mut err = String::new();
            for d in &e.diagnostics {
                err.push_str(&d.render(color));
            }
            std::io::stderr().write_all(err.as_bytes())?;
            if json {
                let mut out = Vec::new();
                json_begin(&mut out, command);
                for d in &e.diagnostics {
                    json_line(&mut out, "diagnostic", d);
                }
                json_line(
                    &mut out,
                    "summary",
                    &serde_json::json!({ "outcome": "invalid" }),
                );
                json_line(&mut out, "end", &serde_json::json!({}));
                write_report(output, &out)?;
            }
            Ok(Err(Outcome::Invalid))
        }
    }
}

/// A service as the `services` record lists it.
#[derive(Debug, Serialize)]
struct ServiceRecord<'a> {
    name: &'a str,
    cohesion: Option<f64>,
    functions: &'a [String],
    fan_in: usize,
    fan_out: usize,
    async_in: usize,
    async_out: usize,
    instability: Option<f64>,
    replicas: u32,
    zones: &'a [String],
    blast_radius: &'a [String],
}

fn service_records(analysis: &Analysis) -> Vec<ServiceRecord<'_>> {
    analysis
        .services
        .iter()
        .map(|p| ServiceRecord {
            name: &p.name,
            cohesion: analysis.theorem.as_ref().and_then(|t| {
                t.services
                    .iter()
                    .find(|s| s.name == p.name)
                    .and_then(|s| s.cohesion)
            }),
            functions: &p.functions,
            fan_in: p.fan_in,
            fan_out: p.fan_out,
            async_in: p.async_in,
            async_out: p.async_out,
            instability: p.instability,
            replicas: p.replicas,
            zones: &p.zones,
            blast_radius: &p.blast_radius,
        })
        .collect()
}

/// The `theorem` record: the report plus its verdict.
pub fn theorem_record(t: &TheoremReport) -> serde_json::Value {
    let mut value = serde_json::to_value(t).expect("the report serialises");
    value["holds"] = t.holds().into();
    value
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Invalid => "invalid",
    }
}

pub fn run(args: &AnalyzeArgs, color: bool) -> anyhow::Result<Outcome> {
    let (files, walk_errors) = scenario_files(&args.paths);
    if let Some((path, e)) = walk_errors.first() {
        anyhow::bail!("{}: cannot read the directory: {e}", path.display());
    }
    if files.is_empty() {
        anyhow::bail!("no scenario files (*.toml, *.json) under the paths given");
    }
    let json = args.format == Format::Json;
    let mut out = Vec::new();
    if json {
        json_begin(&mut out, "analyze");
    }
    // One report, each file's part in turn (a `scenario` record opens each in JSON); the exit
    // code is the worst file's.
    let mut outcomes = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if !json && i > 0 {
            out.push(b'\n');
        }
        outcomes.push(analyze_file(file, args, color, &mut out)?);
    }
    let count = |o: Outcome| outcomes.iter().filter(|&&x| x == o).count();
    if json {
        json_line(&mut out, "end", &serde_json::json!({}));
    } else if files.len() > 1 {
        writeln!(
            out,
            "\n{} analysed: {} without errors, {} with errors, {} invalid",
            plural(files.len(), "file"),
            count(Outcome::Pass),
            count(Outcome::Fail),
            count(Outcome::Invalid),
        )?;
    }
    write_report(args.output.as_deref(), &out)?;
    Ok(outcomes.into_iter().fold(Outcome::Pass, Outcome::worst))
}

/// Analyses one file and appends its part of the report to `out` (its diagnostics, when it is
/// invalid, go to stderr as well).
fn analyze_file(
    path: &Path,
    args: &AnalyzeArgs,
    color: bool,
    out: &mut Vec<u8>,
) -> anyhow::Result<Outcome> {
    let json = args.format == Format::Json;
    let loaded = match microcosm_model::load(path) {
        Ok(loaded) => {
            let mut err = String::new();
            for w in &loaded.warnings {
                err.push_str(&w.render(color));
            }
            std::io::stderr().write_all(err.as_bytes())?;
            loaded
        }
        Err(e) => {
            let mut err = String::new();
            for d in &e.diagnostics {
                err.push_str(&d.render(color));
            }
            std::io::stderr().write_all(err.as_bytes())?;
            let path = path.display().to_string();
            if json {
                json_line(out, "scenario", &serde_json::json!({ "path": path }));
                for d in &e.diagnostics {
                    json_line(out, "diagnostic", d);
                }
                json_line(out, "summary", &serde_json::json!({ "outcome": "invalid" }));
            } else {
                let errors = e
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == microcosm_model::Severity::Error)
                    .count();
                writeln!(out, "{path}: invalid, {}", plural(errors, "error"))?;
            }
            return Ok(Outcome::Invalid);
        }
    };
    let options = AnalysisOptions {
        definition: args.definition.into(),
        max_chain: args.max_chain,
        max_amplification: args.max_amplification,
        ..AnalysisOptions::default()
    };
    let mut analysis = analyze(&loaded.scenario, &options);
    analysis.locate(&loaded);
    let outcome = if analysis.has_errors() {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let shown: Vec<&Finding> = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= args.min_severity.into())
        .collect();

    match args.format {
        Format::Json => {
            json_line(
                out,
                "scenario",
                &serde_json::json!({
                    "path": loaded.source.path.display().to_string(),
                    "name": loaded.scenario.name,
                }),
            );
            json_line(out, "services", &service_records(&analysis));
            if let Some(t) = &analysis.theorem {
                json_line(out, "coupling", &t.coupling);
                json_line(out, "theorem", &theorem_record(t));
                json_line(out, "metrics", &t.metrics);
            }
            json_line(out, "findings", &shown);
            json_line(
                out,
                "summary",
                &serde_json::json!({
                    "errors": analysis.count(Severity::Error),
                    "warnings": analysis.count(Severity::Warning),
                    "infos": analysis.count(Severity::Info),
                    "outcome": outcome_name(outcome),
                }),
            );
        }
        Format::Human => {
            out.extend_from_slice(human(&loaded.scenario, &loaded, &analysis, &shown).as_bytes())
        }
    }
    Ok(outcome)
}

/// A number for tables: 4 significant decimals, `—` for undefined.
pub fn number(x: Option<f64>) -> String {
    match x {
        None => "—".to_owned(),
        Some(x) if x == x.trunc() && x.abs() < 1e12 => format!("{x:.0}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn holds(b: bool) -> &'static str {
    if b { "holds" } else { "BROKEN" }
}

/// The theorem's section of a human report, shared with `propose`.
pub fn human_theorem(out: &mut String, t: &TheoremReport) {
    let functions: usize =
        t.services.iter().map(|s| s.functions.len()).sum::<usize>() + t.uncovered.len();
    let _ = writeln!(
        out,
        "Decomposition theorem ({}: {})",
        t.definition.name(),
        t.formula
    );
    let _ = writeln!(
        out,
        "  coverage                {}  ({} functions, {} services{})",
        holds(t.coverage),
        functions,
        t.services.len(),
        if t.coverage {
            String::new()
        } else {
            format!(
                "; {} uncovered, {} unknown",
                t.uncovered.len(),
                t.unknown.len()
            )
        }
    );
    let _ = writeln!(
        out,
        "  disjointness            {}{}",
        holds(t.disjoint),
        if t.disjoint {
            String::new()
        } else {
            format!("  ({} functions in two services)", t.overlapping.len())
        }
    );
    let _ = writeln!(
        out,
        "  cohesion > coupling     {}  ({} coupled ordered pairs, {} broken)",
        holds(t.cohesion_exceeds_coupling),
        t.coupling.len(),
        t.violations.len()
    );
    let width = t
        .services
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "\n  {:width$}  functions  cohesion  strongest coupling",
        "service"
    );
    for s in &t.services {
        let strongest = t
            .coupling
            .iter()
            .filter(|c| c.from == s.name)
            .max_by(|a, b| a.value.total_cmp(&b.value).then_with(|| b.to.cmp(&a.to)));
        let strongest = strongest
            .map(|c| format!("{} ({})", number(Some(c.value)), c.to))
            .unwrap_or_else(|| "—".to_owned());
        let _ = writeln!(
            out,
            "  {:width$}  {:>9}  {:>8}  {}",
            s.name,
            s.functions.len(),
            number(s.cohesion),
            strongest
        );
    }
    coupling_matrix(out, t);
    let m = &t.metrics;
    let _ = writeln!(
        out,
        "\nQuality metrics: Q {:.4}  SM {:.4}  ICP {:.4}  IFN {:.2}  NED {:.4}",
        m.modularity,
        m.structural_modularity,
        m.inter_call_percentage,
        m.interface_number,
        m.non_extreme_distribution
    );
    let _ = writeln!(
        out,
        "  (Q, SM: higher is better; ICP, IFN, NED: lower is better)"
    );
}

/// More services than this and the matrix no longer fits a terminal; the JSON report has it.
const MATRIX_MAX_SERVICES: usize = 16;

/// The coupling matrix, row service to column service, with each service's cohesion on the
/// diagonal: the rule `cohesion(S) > coupling(S, T)` reads along each row.
fn coupling_matrix(out: &mut String, t: &TheoremReport) {
    let n = t.services.len();
    if n < 2 {
        return;
    }
    if n > MATRIX_MAX_SERVICES {
        let _ = writeln!(
            out,
            "\n  ({n} services: the coupling matrix is in `--format json`'s `coupling` records)"
        );
        return;
    }
    let width = t.services.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let value = |from: &str, to: &str| {
        t.coupling
            .iter()
            .find(|c| c.from == from && c.to == to)
            .map(|c| c.value)
    };
    let _ = writeln!(
        out,
        "\n  coupling (row to column; the diagonal is the row's cohesion, · is none)"
    );
    let _ = write!(out, "  {:>3} {:width$}", "", "");
    for j in 1..=n {
        let _ = write!(out, " {j:>7}");
    }
    out.push('\n');
    for (i, row) in t.services.iter().enumerate() {
        let _ = write!(out, "  {:>3} {:width$}", i + 1, row.name);
        for (j, col) in t.services.iter().enumerate() {
            let cell = if i == j {
                row.cohesion
            } else {
                value(&row.name, &col.name)
            };
            let cell = match cell {
                Some(v) if v != 0.0 && v.abs() < 0.005 => "<0.01".to_owned(),
                Some(v) if v != 0.0 => format!("{v:.2}"),
                Some(_) | None if i != j => "·".to_owned(),
                _ => "—".to_owned(),
            };
            let _ = write!(out, " {cell:>7}");
        }
        out.push('\n');
    }
}

fn human(
    scenario: &Scenario,
    loaded: &LoadedScenario,
    analysis: &Analysis,
    shown: &[&Finding],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({})\n",
        scenario.name,
        loaded.source.path.display()
    );
    if let Some(t) = &analysis.theorem {
        human_theorem(&mut out, t);
        out.push('\n');
    }
    if !analysis.services.is_empty() {
        let width = analysis
            .services
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(
            out,
            "{:width$}  fan-in  fan-out  instability  replicas  zones  blast radius",
            "service"
        );
        for s in &analysis.services {
            let _ = writeln!(
                out,
                "{:width$}  {:>6}  {:>7}  {:>11}  {:>8}  {:>5}  {}",
                s.name,
                s.fan_in,
                s.fan_out,
                s.instability.map_or("—".to_owned(), |i| format!("{i:.2}")),
                s.replicas,
                s.zones.len(),
                if s.blast_radius.is_empty() {
                    "—".to_owned()
                } else {
                    plural(s.blast_radius.len(), "entry endpoint")
                }
            );
        }
        out.push('\n');
    }
    if !shown.is_empty() {
        let _ = writeln!(out, "Findings");
        for f in shown {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}: ", l.file.display(), l.line, l.column))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}[{}] {at}{}", f.severity.name(), f.rule, f.message);
            if let Some(help) = &f.help {
                let _ = writeln!(out, "      help: {help}");
            }
        }
        out.push('\n');
    }
    let (e, w, i) = (
        analysis.count(Severity::Error),
        analysis.count(Severity::Warning),
        analysis.count(Severity::Info),
    );
    let verdict = match &analysis.theorem {
        Some(t) if t.holds() => "; the decomposition theorem holds",
        Some(_) => "; the decomposition theorem is broken",
        None => "",
    };
    let _ = writeln!(
        out,
        "{e} error{}, {w} warning{}, {i} info{}{verdict}",
        if e == 1 { "" } else { "s" },
        if w == 1 { "" } else { "s" },
        if i == 1 { "" } else { "s" },
    );
    out
}
