//! End-to-end tests of `microcosm analyze` and `microcosm propose` on the bundled scenarios and
//! on broken variants of the monolith example: exit codes, the JSON Lines records, and a
//! proposal pasted back into a scenario passing `analyze`.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{json_lines, json_report, microcosm};

fn record<'a>(lines: &'a [Value], kind: &str) -> &'a Value {
    &lines
        .iter()
        .find(|l| l["type"] == kind)
        .unwrap_or_else(|| panic!("no `{kind}` record"))["data"]
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundled_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            (name.ends_with(".toml") || name.ends_with(".json")) && !name.ends_with(".schema.json")
        })
        .collect();
    files.sort();
    files
}

/// The example scenario with its CSV references made absolute, so a variant can live in a
/// temporary directory.
fn shop_text() -> String {
    let data = root().join("scenarios/data");
    std::fs::read_to_string(root().join("scenarios/monolith-shop.toml"))
        .unwrap()
        .replace(
            "\"data/monolith-shop-calls.csv\"",
            &format!("{:?}", data.join("monolith-shop-calls.csv")),
        )
        .replace(
            "\"data/monolith-shop-data.csv\"",
            &format!("{:?}", data.join("monolith-shop-data.csv")),
        )
}

#[test]
fn every_bundled_scenario_is_analysed_with_located_findings() {
    let files = bundled_scenarios();
    assert!(files.iter().any(|f| f.ends_with("monolith-shop.toml")));
    for file in files {
        let output = microcosm()
            .arg("analyze")
            .arg(&file)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let code = output.status.code().unwrap();
        assert!(code == 0 || code == 1, "{}: exit {code}", file.display());
        let lines = json_lines(&output.stdout);
        assert_eq!(lines.first().unwrap()["type"], "begin");
        assert_eq!(lines.first().unwrap()["data"]["command"], "analyze");
        assert_eq!(lines.last().unwrap()["type"], "end");
        let services = record(&lines, "services").as_array().unwrap();
        assert!(services.len() >= 5, "{}", file.display());
        let findings = record(&lines, "findings").as_array().unwrap();
        for f in findings {
            assert!(f["rule"].as_str().unwrap().contains('.'), "{f}");
            assert!(f["location"]["line"].as_u64().unwrap() >= 1, "{f}");
            assert!(f["path"].as_str().is_some(), "{f}");
        }
        let errors = findings.iter().filter(|f| f["severity"] == "error").count();
        assert_eq!(code == 1, errors > 0, "{}", file.display());
        assert_eq!(
            record(&lines, "summary")["errors"].as_u64().unwrap() as usize,
            errors
        );
    }
}

#[test]
fn the_example_split_satisfies_the_theorem() {
    let output = microcosm()
        .args([
            "analyze",
            "scenarios/monolith-shop.toml",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let lines = json_lines(&output.stdout);
    let theorem = record(&lines, "theorem");
    for key in ["coverage", "disjoint", "cohesion_exceeds_coupling", "holds"] {
        assert_eq!(theorem[key], true, "{key}: {theorem}");
    }
    assert_eq!(theorem["definition"], "density");
    assert!(theorem["violations"].as_array().unwrap().is_empty());
    let services = record(&lines, "services").as_array().unwrap();
    let functions: usize = services
        .iter()
        .map(|s| s["functions"].as_array().unwrap().len())
        .sum();
    assert!(functions >= 50, "{functions} functions");
    let catalog = services.iter().find(|s| s["name"] == "catalog").unwrap();
    assert!(catalog["cohesion"].as_f64().unwrap() > 0.0);
    let coupling = record(&lines, "coupling").as_array().unwrap();
    assert!(coupling.iter().all(|c| c["value"].as_f64().unwrap() > 0.0));
    let metrics = record(&lines, "metrics");
    assert!(metrics["modularity"].as_f64().unwrap() > 0.3, "{metrics}");
    for key in [
        "structural_modularity",
        "inter_call_percentage",
        "interface_number",
        "non_extreme_distribution",
    ] {
        assert!(metrics[key].is_number(), "{key}");
    }
}

#[test]
fn the_human_report_shows_the_theorem_metrics_and_findings() {
    microcosm()
        .args(["analyze", "scenarios/monolith-shop.toml"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Decomposition theorem (density")
                .and(predicate::str::contains("cohesion > coupling     holds"))
                .and(predicate::str::contains("Quality metrics: Q 0."))
                // The matrix row of `pricing`: cohesion on the diagonal, its coupling to cart.
                .and(predicate::str::contains("coupling (row to column"))
                .and(predicate::str::is_match(r"\n +8 pricing +9\.71 ").unwrap())
                .and(predicate::str::contains(
                    "info[services.blast-radius] scenarios/monolith-shop.toml:",
                ))
                .and(predicate::str::contains("0 errors")),
        );
}

#[test]
fn a_broken_split_exits_1_naming_the_pair_and_its_heaviest_edges() {
    // Move check_stock back to inventory: catalog calls it on every product page.
    let text = shop_text()
        .replace(
            "\"moderate_review\", \"check_stock\"]",
            "\"moderate_review\"]",
        )
        .replace(
            "functions = [\"reserve_stock\",",
            "functions = [\"check_stock\", \"reserve_stock\",",
        );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken-shop.toml");
    std::fs::write(&file, text).unwrap();
    let lines = json_report(
        microcosm()
            .arg("analyze")
            .arg(&file)
            .args(["--format", "json"]),
        1,
    );
    let theorem = record(&lines, "theorem");
    assert_eq!(theorem["holds"], false);
    assert_eq!(theorem["coverage"], true);
    let violation = &theorem["violations"][0];
    assert_eq!(violation["service"], "inventory");
    assert_eq!(violation["other"], "catalog");
    assert_eq!(violation["heaviest"][0]["from"], "check_stock");
    assert_eq!(violation["heaviest"][0]["to"], "get_product");
    let findings = record(&lines, "findings").as_array().unwrap();
    let cohesion = findings
        .iter()
        .find(|f| f["rule"] == "decomposition.cohesion")
        .unwrap();
    assert_eq!(cohesion["severity"], "error");
    assert_eq!(cohesion["path"], "services.inventory");
    assert_eq!(record(&lines, "summary")["outcome"], "fail");

    // Only errors shown, in the human report, with the file position.
    microcosm()
        .arg("analyze")
        .arg(&file)
        .args(["--min-severity", "error"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("error[decomposition.cohesion]")
                .and(predicate::str::contains("broken-shop.toml:"))
                .and(predicate::str::contains("info[").not()),
        );
}

#[test]
fn a_denied_call_exits_1() {
    let text = shop_text().replace("  \"catalog -> pricing\",\n", "");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("denied.toml");
    std::fs::write(&file, text).unwrap();
    microcosm()
        .arg("analyze")
        .arg(&file)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("error[security.denied-call]")
                .and(predicate::str::contains("catalog -> pricing")),
        );
}

#[test]
fn invalid_input_exits_2() {
    microcosm()
        .args(["analyze", "tests/bad/unknown-key.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown-field"));
    microcosm()
        .args(["analyze", "no/such/file.toml", "--format", "json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"outcome\":\"invalid\""));
    microcosm()
        .args(["propose", "scenarios/hotel-reservation.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no [monolith]"));
    microcosm()
        .args(["propose", "--resolution", "0"])
        .args(["--calls", "scenarios/data/monolith-shop-calls.csv"])
        .assert()
        .code(2);
    microcosm().arg("propose").assert().code(2);
}

#[test]
fn a_bad_csv_row_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.csv");
    std::fs::write(&calls, "caller,callee,weight\na,b,2\nb,c,lots\n").unwrap();
    microcosm()
        .arg("propose")
        .arg("--calls")
        .arg(&calls)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("calls.csv:3:5").and(predicate::str::contains("lots")));
}

#[test]
fn propose_on_the_example_honours_its_contexts_and_holds() {
    let output = microcosm()
        .args([
            "propose",
            "scenarios/monolith-shop.toml",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.first().unwrap()["data"]["command"], "propose");
    let proposal = record(&lines, "proposal");
    assert_eq!(proposal["holds"], true);
    assert_eq!(proposal["functions"], 68);
    assert!(proposal["modularity"].as_f64().unwrap() > 0.3);
    let services = record(&lines, "services").as_array().unwrap();
    let mut all: Vec<&str> = services
        .iter()
        .flat_map(|s| s["functions"].as_array().unwrap())
        .map(|f| f.as_str().unwrap())
        .collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((n, all.len()), (68, 68), "every function exactly once");
    // Each hinted context is one service named after it.
    let catalog = services.iter().find(|s| s["name"] == "catalog").unwrap();
    assert_eq!(catalog["context"], "catalog");
    assert!(
        catalog["functions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("list_reviews"))
    );
    assert!(record(&lines, "metrics")["modularity"].is_number());
    assert!(record(&lines, "changes").is_array());
}

#[test]
fn propose_from_csv_is_deterministic_per_seed() {
    let run = |seed: &str| {
        microcosm()
            .args([
                "propose",
                "--calls",
                "scenarios/data/monolith-shop-calls.csv",
            ])
            .args(["--data", "scenarios/data/monolith-shop-data.csv"])
            .args(["--seed", seed])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains("seed 7"), "{text}");
    assert!(text.contains("the decomposition theorem holds"), "{text}");
}

#[test]
fn a_proposal_pasted_into_a_scenario_passes_analyze() {
    let output = microcosm()
        .args([
            "propose",
            "scenarios/monolith-shop.toml",
            "--format",
            "toml",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let services = String::from_utf8(output.stdout).unwrap();
    assert!(services.starts_with("# Proposed by `microcosm propose`"));
    assert_eq!(services.matches("\n[services.").count(), 9, "{services}");
    let data = root().join("scenarios/data");
    let scenario = format!(
        "name = \"proposed-shop\"\n\n[monolith]\ncalls_csv = {:?}\ndata_csv = {:?}\n\n{services}",
        data.join("monolith-shop-calls.csv"),
        data.join("monolith-shop-data.csv"),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proposed.toml");
    std::fs::write(&file, scenario).unwrap();
    microcosm()
        .arg("analyze")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("the decomposition theorem holds"));
}

#[test]
fn reports_can_be_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.jsonl");
    microcosm()
        .args([
            "analyze",
            "scenarios/monolith-shop.toml",
            "--format",
            "json",
            "--output",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let lines = json_lines(&std::fs::read(&out).unwrap());
    assert_eq!(lines.last().unwrap()["type"], "end");
}

#[test]
fn a_proposal_that_cannot_be_repaired_says_so_and_exits_1() {
    // Two bounded contexts tied far more to each other than inside: contexts never merge and
    // hinted functions never move, so no repair exists.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cannot.toml");
    std::fs::write(
        &file,
        r#"name = "cannot"
[monolith]
calls = [
  { from = "x1", to = "x2", weight = 1 },
  { from = "y1", to = "y2", weight = 1 },
  { from = "x1", to = "y1", weight = 50 },
]
[monolith.functions]
x1 = { context = "x" }
x2 = { context = "x" }
y1 = { context = "y" }
y2 = { context = "y" }
"#,
    )
    .unwrap();
    microcosm()
        .arg("propose")
        .arg(&file)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("Repairs: none possible").and(predicate::str::contains(
                "2 broken pairs could not be repaired (bounded contexts never merge)",
            )),
        );
    microcosm()
        .arg("propose")
        .arg(&file)
        .arg("--no-repair")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Repairs: not attempted (--no-repair)",
        ));
}

#[test]
fn the_cohesion_definition_can_be_chosen() {
    // The example split holds under the default density definition (above) but not when
    // cohesion and coupling are total weights, unnormalised by the services' sizes.
    let lines = json_report(
        microcosm()
            .args(["analyze", "scenarios/monolith-shop.toml"])
            .args(["--definition", "total", "--format", "json"]),
        1,
    );
    let theorem = record(&lines, "theorem");
    assert_eq!(theorem["cohesion_exceeds_coupling"], false);
    assert!(!theorem["violations"].as_array().unwrap().is_empty());
    microcosm()
        .args(["analyze", "scenarios/monolith-shop.toml"])
        .args(["--definition", "structural"])
        .assert()
        .stdout(predicate::str::contains(
            "Decomposition theorem (structural",
        ));
}
