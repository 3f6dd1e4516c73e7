//! `microcosm propose`: build a decomposition from a monolith (a scenario's `[monolith]`, or
//! call and data-access CSV files), with Leiden communities repaired until the decomposition
//! theorem holds, and print it for people, as JSON Lines, or as `[services.*]` TOML to paste
//! into a scenario. Exits 1 when the theorem cannot be made to hold.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Context;
use microcosm_model::analysis::input::monolith_from_csv;
use microcosm_model::analysis::propose::Change;
use microcosm_model::analysis::{FunctionGraph, GraphOptions, Proposal, ProposeOptions, propose};

use crate::Outcome;
use crate::analyze::{human_theorem, load_or_report, number, theorem_record};
use crate::cli::{ProposeArgs, ProposeFormat};
use crate::output::{json_begin, json_line, write_report};

/// Reads a CSV file the user named; a missing or unreadable file is an input error.
fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn run(args: &ProposeArgs, color: bool) -> anyhow::Result<Outcome> {
    let json = args.format == ProposeFormat::Json;
    let (monolith, source) = match (&args.file, &args.calls) {
        (Some(file), _) => {
            let loaded = match load_or_report(file, "propose", json, color, args.output.as_deref())?
            {
                Ok(loaded) => loaded,
                Err(outcome) => return Ok(outcome),
            };
            let Some(monolith) = loaded.scenario.monolith else {
                anyhow::bail!(
                    "{} declares no [monolith] to decompose; add one, or give --calls calls.csv",
                    file.display()
                );
            };
            (monolith, file.display().to_string())
        }
        (None, Some(calls)) => {
            let calls_text = read(calls)?;
            let data_text = args.data.as_deref().map(read).transpose()?;
            let data = args.data.as_deref().zip(data_text.as_deref());
            match monolith_from_csv((calls, &calls_text), data) {
                Ok(m) => (m, calls.display().to_string()),
                Err(diagnostics) => {
                    let mut err = String::new();
                    for d in &diagnostics {
                        err.push_str(&d.render(color));
                    }
                    std::io::stderr().write_all(err.as_bytes())?;
                    return Ok(Outcome::Invalid);
                }
            }
        }
        (None, None) => anyhow::bail!("give a scenario FILE or --calls calls.csv"),
    };
    if monolith.functions.is_empty() {
        anyhow::bail!("{source}: the monolith has no functions to decompose");
    }
    let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
    let options = ProposeOptions {
        resolution: args.resolution,
        seed: args.seed,
        definition: args.definition.into(),
        repair: !args.no_repair,
        ..ProposeOptions::default()
    };
    let proposal = propose(&graph, &options);
    let outcome = if proposal.theorem.holds() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let out = match args.format {
        ProposeFormat::Human => human(&proposal, &source, graph.len()).into_bytes(),
        ProposeFormat::Toml => toml(&proposal, &source).into_bytes(),
        ProposeFormat::Json => {
            let mut out = Vec::new();
            json_begin(&mut out, "propose");
            let t = &proposal.theorem;
            json_line(
                &mut out,
                "proposal",
                &serde_json::json!({
                    "source": source,
                    "functions": graph.len(),
                    "communities": proposal.communities,
                    "services": proposal.services.len(),
                    "modularity": t.metrics.modularity,
                    "seed": options.seed,
                    "resolution": options.resolution,
                    "definition": options.definition,
                    "repaired": options.repair,
                    "holds": t.holds(),
                    "capped": proposal.capped,
                }),
            );
            let services: Vec<serde_json::Value> = proposal
                .services
                .iter()
                .map(|s| {
                    let cohesion = t
                        .services
                        .iter()
                        .find(|c| c.name == s.name)
                        .and_then(|c| c.cohesion);
                    serde_json::json!({
                        "name": s.name,
                        "functions": s.functions,
                        "context": s.context,
                        "cohesion": cohesion,
                    })
                })
                .collect();
            json_line(&mut out, "services", &services);
            json_line(&mut out, "changes", &proposal.changes);
            json_line(&mut out, "coupling", &t.coupling);
            json_line(&mut out, "theorem", &theorem_record(t));
            json_line(&mut out, "metrics", &t.metrics);
            json_line(
                &mut out,
                "summary",
                &serde_json::json!({
                    "outcome": if outcome == Outcome::Pass { "pass" } else { "fail" },
                }),
            );
            json_line(&mut out, "end", &serde_json::json!({}));
            out
        }
    };
    match &args.output {
        Some(path) => crate::output::write_atomically(path, &out)?,
        None => write_report(None, &out)?,
    }
    Ok(outcome)
}

fn verdict(proposal: &Proposal) -> String {
    let t = &proposal.theorem;
    if t.holds() {
        format!("the decomposition theorem holds ({})", t.definition.name())
    } else if proposal.capped {
        format!(
            "the decomposition theorem does not hold ({}): the repair loop stopped at its cap with {} broken pairs",
            t.definition.name(),
            t.violations.len()
        )
    } else {
        format!(
            "the decomposition theorem does not hold ({}): {} broken pairs could not be repaired (bounded contexts never merge)",
            t.definition.name(),
            t.violations.len()
        )
    }
}

fn human(proposal: &Proposal, source: &str, functions: usize) -> String {
    let mut out = String::new();
    let o = &proposal.options;
    let _ = writeln!(
        out,
        "Proposed decomposition of {source}: {functions} functions into {} services (Leiden found {}; seed {}, resolution {})\n",
        proposal.services.len(),
        proposal.communities,
        o.seed,
        o.resolution
    );
    for s in &proposal.services {
        let context = s
            .context
            .as_deref()
            .map(|c| format!(" [context {c}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}{context} ({} functions): {}",
            s.name,
            s.functions.len(),
            s.functions.join(", ")
        );
    }
    out.push('\n');
    if proposal.changes.is_empty() {
        let why = if proposal.theorem.holds() {
            "none needed"
        } else if !o.repair {
            "not attempted (--no-repair)"
        } else {
            "none possible"
        };
        let _ = writeln!(out, "Repairs: {why}\n");
    } else {
        let _ = writeln!(out, "Repairs ({}):", proposal.changes.len());
        for c in &proposal.changes {
            let _ = match c {
                Change::Moved {
                    function,
                    from,
                    to,
                    broken_before,
                    broken_after,
                } => writeln!(
                    out,
                    "  moved {function} from {from} to {to} (broken pairs {broken_before} → {broken_after})"
                ),
                Change::Merged {
                    from,
                    into,
                    broken_before,
                    broken_after,
                } => writeln!(
                    out,
                    "  merged {from} into {into} (broken pairs {broken_before} → {broken_after})"
                ),
            };
        }
        out.push('\n');
    }
    human_theorem(&mut out, &proposal.theorem);
    for v in &proposal.theorem.violations {
        let _ = writeln!(
            out,
            "  broken: cohesion({}) = {} ≤ coupling({}, {}) = {}",
            v.service,
            number(Some(v.cohesion)),
            v.service,
            v.other,
            number(Some(v.coupling))
        );
    }
    let _ = writeln!(out, "\n{}", verdict(proposal));
    out
}

/// The proposal as `[services.*]` tables to paste into a scenario.
fn toml(proposal: &Proposal, source: &str) -> String {
    let mut out = String::new();
    let t = &proposal.theorem;
    let _ = writeln!(
        out,
        "# Proposed by `microcosm propose` from {source} (seed {}, resolution {}):",
        proposal.options.seed, proposal.options.resolution
    );
    let _ = writeln!(
        out,
        "# {} services, Q = {:.4}; {}.",
        proposal.services.len(),
        t.metrics.modularity,
        verdict(proposal)
    );
    for s in &proposal.services {
        let _ = writeln!(out, "\n[services.{}]", s.name);
        if let Some(c) = &s.context {
            let _ = writeln!(
                out,
                "description = {}",
                quote(&format!("The `{c}` bounded context."))
            );
        }
        let functions: Vec<String> = s.functions.iter().map(|f| quote(f)).collect();
        let _ = writeln!(out, "functions = [{}]", functions.join(", "));
    }
    out
}

/// A TOML basic string: JSON's escapes are all valid TOML escapes.
fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}
