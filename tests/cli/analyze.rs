//! End-to-end tests of `microcosm analyze` and `microcosm propose` on the bundled scenarios and
//! on broken variants of the monolith example: exit codes, the JSON Lines records, and a
//! proposal pasted back into a scenario passing `analyze`.

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{bundled_scenarios, json_lines, root, run};

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
        let output = run(["analyze"]).arg(&file).format("json").exits_any();
        let code = output.code().unwrap();
        assert!(code == 0 || code == 1, "{}: exit {code}", file.display());
        let lines = output.records();
        assert_eq!(lines.first().unwrap()["type"], "begin");
        assert_eq!(lines.first().unwrap()["data"]["command"], "analyze");
        assert_eq!(lines.last().unwrap()["type"], "end");
        let services = lines.record("services").as_array().unwrap();
        assert!(services.len() >= 5, "{}", file.display());
        let findings = lines.record("findings").as_array().unwrap();
        for f in findings {
            assert!(f["rule"].as_str().unwrap().contains('.'), "{f}");
            assert!(f["location"]["line"].as_u64().unwrap() >= 1, "{f}");
            assert!(f["path"].as_str().is_some(), "{f}");
        }
        let errors = findings.iter().filter(|f| f["severity"] == "error").count();
        assert_eq!(code == 1, errors > 0, "{}", file.display());
        assert_eq!(
            lines.record("summary")["errors"].as_u64().unwrap() as usize,
            errors
        );
    }
}

#[test]
fn the_example_split_satisfies_the_theorem() {
    let output = run([
        "analyze",
        "scenarios/monolith-shop.toml",
        "--format",
        "json",
    ])
    .exits(0);
    let lines = output.records();
    let theorem = lines.record("theorem");
    for key in ["coverage", "disjoint", "cohesion_exceeds_coupling", "holds"] {
        assert_eq!(theorem[key], true, "{key}: {theorem}");
    }
    assert_eq!(theorem["definition"], "density");
    assert!(theorem["violations"].as_array().unwrap().is_empty());
    let services = lines.record("services").as_array().unwrap();
    let functions: usize = services
        .iter()
        .map(|s| s["functions"].as_array().unwrap().len())
        .sum();
    assert!(functions >= 50, "{functions} functions");
    let catalog = services.iter().find(|s| s["name"] == "catalog").unwrap();
    assert!(catalog["cohesion"].as_f64().unwrap() > 0.0);
    let coupling = lines.record("coupling").as_array().unwrap();
    assert!(coupling.iter().all(|c| c["value"].as_f64().unwrap() > 0.0));
    let metrics = lines.record("metrics");
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
    run(["analyze", "scenarios/monolith-shop.toml"])
        .exits(0)
        .stdout_matches(
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
    let lines = run(["analyze"])
        .arg(&file)
        .format("json")
        .exits(1)
        .records();
    let theorem = lines.record("theorem");
    assert_eq!(theorem["holds"], false);
    assert_eq!(theorem["coverage"], true);
    let violation = &theorem["violations"][0];
    assert_eq!(violation["service"], "inventory");
    assert_eq!(violation["other"], "catalog");
    assert_eq!(violation["heaviest"][0]["from"], "check_stock");
    assert_eq!(violation["heaviest"][0]["to"], "get_product");
    let findings = lines.record("findings").as_array().unwrap();
    let cohesion = findings
        .iter()
        .find(|f| f["rule"] == "decomposition.cohesion")
        .unwrap();
    assert_eq!(cohesion["severity"], "error");
    assert_eq!(cohesion["path"], "services.inventory");
    assert_eq!(lines.record("summary")["outcome"], "fail");

    // Only errors shown, in the human report, with the file position.
    run(["analyze"])
        .arg(&file)
        .args(["--min-severity", "error"])
        .exits(1)
        .stdout_matches(
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
    run(["analyze"]).arg(&file).exits(1).stdout_matches(
        predicate::str::contains("error[security.denied-call]")
            .and(predicate::str::contains("catalog -> pricing")),
    );
}

#[test]
fn invalid_input_exits_2() {
    run(["analyze", "tests/bad/unknown-key.toml"])
        .exits(2)
        .stderr_has("unknown-field");
    run(["analyze", "no/such/file.toml", "--format", "json"])
        .exits(2)
        .stdout_has("\"outcome\":\"invalid\"");
    run(["propose", "scenarios/hotel-reservation.toml"])
        .exits(2)
        .stderr_has("no [monolith]");
    run(["propose", "--resolution", "0"])
        .args(["--calls", "scenarios/data/monolith-shop-calls.csv"])
        .exits(2);
    run(["propose"]).exits(2);
}

#[test]
fn a_bad_csv_row_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.csv");
    std::fs::write(&calls, "caller,callee,weight\na,b,2\nb,c,lots\n").unwrap();
    run(["propose"])
        .arg("--calls")
        .arg(&calls)
        .exits(2)
        .stderr_matches(
            predicate::str::contains("calls.csv:3:5").and(predicate::str::contains("lots")),
        );
}

#[test]
fn propose_on_the_example_honours_its_contexts_and_holds() {
    let output = run([
        "propose",
        "scenarios/monolith-shop.toml",
        "--format",
        "json",
    ])
    .exits(0);
    let lines = output.records();
    assert_eq!(lines.first().unwrap()["data"]["command"], "propose");
    let proposal = lines.record("proposal");
    assert_eq!(proposal["holds"], true);
    assert_eq!(proposal["functions"], 68);
    assert!(proposal["modularity"].as_f64().unwrap() > 0.3);
    let services = lines.record("services").as_array().unwrap();
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
    assert!(lines.record("metrics")["modularity"].is_number());
    assert!(lines.record("changes").is_array());
}

#[test]
fn propose_from_csv_is_deterministic_per_seed() {
    let proposal = |seed: &str| {
        run([
            "propose",
            "--calls",
            "scenarios/data/monolith-shop-calls.csv",
        ])
        .args(["--data", "scenarios/data/monolith-shop-data.csv"])
        .args(["--seed", seed])
        .exits(0)
    };
    let first = proposal("7");
    assert_eq!(first.stdout_bytes(), proposal("7").stdout_bytes());
    let text = first.stdout();
    assert!(text.contains("seed 7"), "{text}");
    assert!(text.contains("the decomposition theorem holds"), "{text}");
}

#[test]
fn a_proposal_pasted_into_a_scenario_passes_analyze() {
    let output = run([
        "propose",
        "scenarios/monolith-shop.toml",
        "--format",
        "toml",
    ])
    .exits(0);
    let services = output.stdout();
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
    run(["analyze"])
        .arg(&file)
        .exits(0)
        .stdout_has("the decomposition theorem holds");
}

#[test]
fn reports_can_be_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.jsonl");
    run([
        "analyze",
        "scenarios/monolith-shop.toml",
        "--format",
        "json",
        "--output",
    ])
    .arg(&out)
    .exits(0)
    .stdout_matches(predicate::str::is_empty());
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
    run(["propose"]).arg(&file).exits(1).stdout_matches(
        predicate::str::contains("Repairs: none possible").and(predicate::str::contains(
            "2 broken pairs could not be repaired (bounded contexts never merge)",
        )),
    );
    run(["propose"])
        .arg(&file)
        .arg("--no-repair")
        .exits(1)
        .stdout_has("Repairs: not attempted (--no-repair)");
}

#[test]
fn the_cohesion_definition_can_be_chosen() {
    // The example split holds under the default density definition (above) but not when
    // cohesion and coupling are total weights, unnormalised by the services' sizes.
    let lines = run(["analyze", "scenarios/monolith-shop.toml"])
        .args(["--definition", "total", "--format", "json"])
        .exits(1)
        .records();
    let theorem = lines.record("theorem");
    assert_eq!(theorem["cohesion_exceeds_coupling"], false);
    assert!(!theorem["violations"].as_array().unwrap().is_empty());
    run(["analyze", "scenarios/monolith-shop.toml"])
        .args(["--definition", "structural"])
        .exits_any()
        .stdout_has("Decomposition theorem (structural");
}
