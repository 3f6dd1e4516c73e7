//! End-to-end tests of `microcosm validate`, `schema`, `init` and `completions` on real files:
//! the bundled scenarios must validate, and every file under `tests/bad/` must be rejected with
//! exit code 2 and the expected code at the expected file:line:column.

use std::path::PathBuf;

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{bundled_scenarios, root, run};

#[test]
fn every_bundled_scenario_validates() {
    let files = bundled_scenarios();
    assert!(
        files.len() >= 4,
        "the four reference architectures are bundled"
    );
    // The reference architectures only: scenarios/gallery/ holds small known-bug demonstrations
    // (checked by checker/tests/gallery.rs).
    let output = run(["validate"]).args(&files).format("json").exits(0);
    let lines = output.records();
    let valid: Vec<&Value> = lines.iter().filter(|l| l["type"] == "file").collect();
    assert_eq!(valid.len(), files.len());
    for file in valid {
        assert_eq!(file["data"]["status"], "valid", "{file}");
        assert!(file["data"]["services"].as_u64().unwrap() >= 5, "{file}");
    }
}

#[test]
fn bundled_toml_scenarios_bind_the_schema() {
    let root = root().join("scenarios");
    let schema = root.join("scenario.schema.json").canonicalize().unwrap();
    let mut files = bundled_scenarios();
    // The gallery's files are opened in editors too: they bind the same schema, one level up.
    let gallery: Vec<PathBuf> = std::fs::read_dir(root.join("gallery"))
        .expect("scenarios/gallery/ exists")
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!gallery.is_empty());
    files.extend(gallery);
    for file in files {
        if file.extension().unwrap() != "toml" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let bound = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("#:schema "))
            .unwrap_or_else(|| panic!("{}: no `#:schema` first line", file.display()));
        let resolved = file.parent().unwrap().join(bound).canonicalize();
        assert_eq!(
            resolved.ok().as_ref(),
            Some(&schema),
            "{}: `#:schema {bound}` is not scenarios/scenario.schema.json",
            file.display()
        );
    }
}

#[test]
fn the_human_summary_counts_the_architecture() {
    run(["validate", "tests/bad/../../scenarios/online-boutique.toml"])
        .exits(0)
        .stdout_matches(
            predicate::str::is_match(r"ok +\S*online-boutique.toml: \d+ services, \d+ endpoints")
                .unwrap(),
        );
}

struct Expected {
    file: String,
    code: String,
    /// The file the diagnostic points into, from the repository root: the bad file itself, or
    /// a file it references.
    located_in: String,
    line: u64,
    column: u64,
}

fn expected_bad_files() -> Vec<Expected> {
    let manifest = std::fs::read_to_string(root().join("tests/bad/expected.txt"))
        .expect("tests/bad/expected.txt");
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let mut position = fields[2].rsplitn(3, ':');
            let column = position.next().unwrap();
            let line = position.next().unwrap();
            let located_in = position.next().unwrap_or(fields[0]);
            Expected {
                file: fields[0].to_owned(),
                code: fields[1].to_owned(),
                located_in: format!("tests/bad/{located_in}"),
                line: line.parse().unwrap(),
                column: column.parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn every_bad_file_is_listed_with_its_expected_diagnostic() {
    let listed: Vec<String> = expected_bad_files().into_iter().map(|e| e.file).collect();
    let mut present: Vec<String> = std::fs::read_dir(root().join("tests/bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml") || n.ends_with(".json"))
        .collect();
    present.sort();
    assert_eq!(
        listed, present,
        "tests/bad/expected.txt lists every bad file, in order"
    );
}

#[test]
fn every_bad_file_exits_2_at_the_expected_location() {
    for expected in expected_bad_files() {
        let path = format!("tests/bad/{}", expected.file);
        // People read file:line:col in the rendered diagnostic.
        let human = run(["validate", &path, "--color", "never"]).exits(2);
        let stderr = human.stderr();
        let position = format!(
            "{}:{}:{}",
            expected.located_in, expected.line, expected.column
        );
        assert!(
            stderr.contains(&position) && stderr.contains(&expected.code),
            "{path}: stderr lacks {position} / {}:\n{stderr}",
            expected.code
        );
        assert!(!stderr.contains("panicked"), "{path}: {stderr}");
        // Programs read the same from the JSON report.
        let json = run(["validate", &path, "--format", "json"]).exits(2);
        let lines = json.records();
        let first = lines
            .iter()
            .find(|l| l["type"] == "diagnostic")
            .unwrap_or_else(|| panic!("{path}: no diagnostic"));
        let d = &first["data"];
        assert_eq!(d["code"], expected.code.as_str(), "{path}: {d}");
        assert_eq!(d["location"]["line"], expected.line, "{path}: {d}");
        assert_eq!(d["location"]["column"], expected.column, "{path}: {d}");
        assert_eq!(
            d["location"]["file"],
            expected.located_in.as_str(),
            "{path}: {d}"
        );
    }
}

#[test]
fn every_unknown_key_of_a_file_is_reported_at_once() {
    let found: Vec<(u64, String)> = run(["validate", "tests/bad/two-unknown-keys.toml"])
        .format("json")
        .exits(2)
        .records()
        .all("diagnostic")
        .iter()
        .map(|d| {
            assert_eq!(d["code"], "unknown-field", "{d}");
            (
                d["location"]["line"].as_u64().unwrap(),
                d["help"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (15, "did you mean `owner`?".to_owned()),
            (18, "did you mean `timeout_ms`?".to_owned())
        ]
    );
}

#[test]
fn an_array_is_refused_wherever_a_table_belongs() {
    let toml = run(["validate", "tests/bad/array-for-table.toml"])
        .format("json")
        .exits(2)
        .records()
        .all("diagnostic");
    let lines: Vec<u64> = toml
        .iter()
        .map(|d| d["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [6, 9],
        "both arrays, `resources` and `work`: {toml:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("positional.json");
    std::fs::write(&whole, r#"[null, "t", null, {"a": {}}]"#).unwrap();
    let json = run(["validate"])
        .arg(&whole)
        .format("json")
        .exits(2)
        .records()
        .all("diagnostic");
    for d in toml.iter().chain(&json) {
        assert_eq!(d["code"], "wrong-type", "{d}");
        let message = d["message"].as_str().unwrap();
        assert!(message.contains("expected a table, found an array"), "{d}");
    }
}

#[test]
fn the_human_header_and_the_json_report_count_columns_alike() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accents.toml");
    std::fs::write(
        &path,
        "name = \"café\"\n[services.a.endpoints.e]\ncalls = [\"é\", \"paymnets.charge\"]\n",
    )
    .unwrap();
    let diagnostics = run(["validate"])
        .arg(&path)
        .format("json")
        .exits(2)
        .records()
        .all("diagnostic");
    let d = diagnostics
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("paymnets"))
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    // `calls = ["é", "` is 14 characters and 15 bytes: the column counts characters.
    assert_eq!(
        (&d["location"]["line"], &d["location"]["column"]),
        (&3.into(), &15.into()),
        "{d}"
    );
    let human = run(["validate"])
        .arg(&path)
        .args(["--color", "never"])
        .exits(2);
    let stderr = human.stderr();
    assert!(
        stderr.contains(&format!("[{}:3:15]", path.display())),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_input_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.toml");
    std::fs::write(&path, "name = \"x\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Root (or a process with CAP_DAC_OVERRIDE) reads any file: nothing to test.
        eprintln!("skipped: this process can read a file with mode 000 (running as root?)");
        return;
    }
    run(["validate"]).arg(&path).exits(2).stderr_matches(
        predicate::str::contains("cannot read the scenario file")
            .and(predicate::str::contains("ermission denied")),
    );
}

#[test]
fn the_json_report_is_enveloped_and_versioned() {
    let output = run([
        "validate",
        "tests/bad/probability.toml",
        "scenarios/sock-shop.toml",
        "--format",
        "json",
    ])
    .exits(2);
    let lines = output.records();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["begin", "file", "diagnostic", "file", "summary", "end"]
    );
    assert_eq!(lines[0]["data"]["schema_version"], 1);
    assert_eq!(lines[4]["data"]["valid"], 1);
    assert_eq!(lines[4]["data"]["invalid"], 1);
}

#[test]
fn a_directory_with_bad_files_reports_all_of_them() {
    let output = run(["validate", "tests/bad", "--format", "json"]).exits(2);
    let lines = output.records();
    let files = lines.iter().filter(|l| l["type"] == "file").count();
    assert_eq!(files, expected_bad_files().len());
}

#[test]
fn a_missing_file_is_an_input_error() {
    run(["validate", "no/such/file.toml"])
        .exits(2)
        .stderr_has("no/such/file.toml: cannot read the scenario file");
    // Without an extension it is still a missing path, not a badly named file.
    run(["validate", "/nonexistent-dir/"])
        .exits(2)
        .stderr_has("No such file or directory")
        .stderr_matches(predicate::str::contains("scenario files end in").not());
}

#[test]
fn an_unknown_extension_is_an_input_error() {
    run(["validate", "README.md"])
        .exits(2)
        .stderr_has("scenario files end in .toml or .json");
}

#[test]
fn a_huge_file_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    let text = line.repeat((17 * 1024 * 1024) / line.len());
    std::fs::write(&path, text).unwrap();
    run(["validate"])
        .arg(&path)
        .exits(2)
        .stderr_has("larger than 16 MiB");
}

#[test]
fn usage_errors_exit_2() {
    run(["validate"]).exits(2);
    run(["frobnicate"]).exits(2);
}

#[test]
fn schema_output_equals_the_committed_schema() {
    let committed = std::fs::read_to_string(root().join("scenarios/scenario.schema.json"))
        .expect("scenarios/scenario.schema.json is committed");
    let output = run(["schema"]).exits(0);
    assert!(
        output.stdout() == committed,
        "the committed schema is stale: run `cargo run -- schema -o scenarios/scenario.schema.json`"
    );
    let schema: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn schema_writes_a_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    run(["schema"])
        .arg("-o")
        .arg(&path)
        .exits(0)
        .stdout_matches(predicate::str::is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str::<Value>(&text).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary left behind"
    );
}

#[test]
fn init_writes_a_starter_that_validates_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    run(["init", "shop", "--dir"]).arg(dir.path()).exits(0);
    let file = dir.path().join("shop.toml");
    run(["validate"]).arg(&file).exits(0);
    run(["init", "shop", "--dir"])
        .arg(dir.path())
        .exits(2)
        .stderr_has("--force");
    run(["init", "shop", "--force", "--dir"])
        .arg(dir.path())
        .exits(0);
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        // The dynamic registration: it calls the binary back, which knows every command.
        run(["completions", shell]).exits(0).stdout_has("COMPLETE");
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "validate",
        "analyze",
        "propose",
        "verify",
        "check",
        "simulate",
        "merge",
        "explore",
        "schema",
        "init",
        "completions",
    ] {
        run([command, "--help"]).exits(0).stdout_matches(
            predicate::str::contains("microcosm ").and(predicate::str::contains("Example")),
        );
    }
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // `microcosm schema | head -1`: the reader goes away; the exit code must stay 0.
    let output = run(["schema"]).close_stdout().exits(0);
    assert!(output.stderr().is_empty(), "{}", output.stderr());
}

#[test]
fn a_named_pipe_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scenario.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: `mkfifo` is not available");
        return;
    }
    run(["validate"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .exits(2)
        .stderr_has("is not a regular file");
}

/// The bundled scenarios and the gallery, as loaded scenarios.
fn bundled_and_gallery() -> Vec<(PathBuf, microcosm_model::Scenario)> {
    let gallery = root().join("scenarios/gallery");
    let mut files = bundled_scenarios();
    let mut more: Vec<PathBuf> = std::fs::read_dir(gallery)
        .expect("scenarios/gallery exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
        .collect();
    more.sort();
    files.extend(more);
    files
        .into_iter()
        .map(|f| {
            let loaded = microcosm_model::load(&f).unwrap_or_else(|e| panic!("{e}"));
            (f, loaded.scenario)
        })
        .collect()
}

/// Variants of a scenario at and past the limits the engines hold: each changes one thing.
fn variants(s: &microcosm_model::Scenario) -> Vec<(String, microcosm_model::Scenario)> {
    use microcosm_model::{Transaction, limits};
    let mut out = vec![("as written".to_owned(), s.clone())];
    let mut each_policy = |what: &str, change: &dyn Fn(&mut microcosm_model::Policy)| {
        let mut v = s.clone();
        v.policies.values_mut().for_each(change);
        out.push((what.to_owned(), v));
    };
    for n in [limits::MAX_ATTEMPTS, limits::MAX_ATTEMPTS + 1, u32::MAX] {
        each_policy(&format!("max_attempts = {n}"), &|p| {
            if let Some(r) = &mut p.retry {
                r.max_attempts = n;
            }
        });
    }
    for n in [limits::MAX_HALF_OPEN_CALLS, limits::MAX_HALF_OPEN_CALLS + 1] {
        each_policy(&format!("half-open calls = {n}"), &|p| {
            if let Some(cb) = &mut p.circuit_breaker {
                cb.permitted_number_of_calls_in_half_open_state = n;
            }
        });
    }
    for n in [1, 11, limits::MAX_WINDOW + 1] {
        each_policy(&format!("window = {n}"), &|p| {
            if let Some(cb) = &mut p.circuit_breaker {
                cb.sliding_window_size = n;
                cb.minimum_number_of_calls = n;
            }
        });
    }
    let services: Vec<String> = s.services.keys().cloned().collect();
    for n in [
        limits::MAX_TWO_PHASE_PARTICIPANTS,
        limits::MAX_TWO_PHASE_PARTICIPANTS + 1,
    ] {
        let mut v = s.clone();
        for tx in v.transactions.values_mut() {
            if let Transaction::TwoPhaseCommit { participants, .. } = tx {
                *participants = services.iter().cycle().take(n).cloned().collect();
            }
        }
        out.push((format!("{n} participants, the coordinator among them"), v));
    }
    for n in [limits::MAX_SAGA_STEPS, limits::MAX_SAGA_STEPS + 1] {
        let mut v = s.clone();
        for tx in v.transactions.values_mut() {
            if let Transaction::Saga { steps, .. } = tx {
                *steps = steps.iter().cycle().take(n).cloned().collect();
            }
        }
        out.push((format!("{n} saga steps"), v));
    }
    for d in [limits::MAX_DURATION_S, 1e300] {
        let mut v = s.clone();
        for e in v.experiments.values_mut() {
            e.duration_s = d;
        }
        out.push((format!("duration_s = {d}"), v));
    }
    for n in [limits::MAX_REPLICAS, u32::MAX] {
        let mut v = s.clone();
        for d in v.deployment.values_mut() {
            d.replicas = n;
        }
        out.push((format!("replicas = {n}"), v));
    }
    out
}

/// `validate` exiting 0 means `check` and `simulate` can run the file: every checker job
/// builds its model and runs (with tiny bounds), reports every property of its protocol, and
/// every experiment builds a simulation. Over the bundled scenarios, the gallery, and variants
/// of each at and past the engines' limits.
#[test]
fn what_validates_every_engine_can_build() {
    use microcosm_checker::CheckOptions;
    let opts = CheckOptions {
        max_states: Some(50),
        max_depth: Some(10),
        ..CheckOptions::default()
    };
    let (mut valid, mut refused) = (0, 0);
    for (file, scenario) in bundled_and_gallery() {
        for (what, variant) in variants(&scenario) {
            let problems = microcosm_model::validate::validate(&variant);
            if !problems.is_empty() {
                refused += 1;
                continue;
            }
            valid += 1;
            let context = format!("{} ({what})", file.display());
            for job in microcosm_checker::scenario::jobs(&variant) {
                let properties = job.properties();
                assert!(
                    !properties.is_empty(),
                    "{context}: `{}` checks nothing: its model does not build",
                    job.subject
                );
                let verdicts = job
                    .run(&[], &opts)
                    .unwrap_or_else(|e| panic!("{context}: `{}` does not run: {e}", job.subject));
                assert_eq!(
                    verdicts.len(),
                    properties.len(),
                    "{context}: `{}` reports fewer properties than it has",
                    job.subject
                );
                for v in &verdicts {
                    if let microcosm_checker::Status::Inconclusive {
                        reason: microcosm_checker::Bound::Unsupported { what },
                    } = &v.status
                    {
                        assert!(
                            !what.contains("holds 1 to"),
                            "{context}: `{}` is past a model's size: {what}",
                            job.subject
                        );
                    }
                }
            }
            for name in variant.experiments.keys() {
                if let Err(e) = microcosm_simulator::Sim::builder(&variant, 1)
                    .experiment(name)
                    .build()
                {
                    panic!("{context}: experiment `{name}` does not build: {e}");
                }
            }
        }
    }
    // Both sides of the property are exercised: variants past a limit are refused.
    assert!(
        valid > 30 && refused > 30,
        "{valid} valid, {refused} refused"
    );
}

/// The model's limits are the sizes the checker's models hold: validation refuses exactly
/// what the models cannot build (the models keep their own checks as a backstop).
#[test]
fn the_model_limits_are_the_checker_models_sizes() {
    use microcosm_model::limits;
    assert_eq!(
        microcosm_checker::two_phase_commit::MAX_PARTICIPANTS,
        limits::MAX_TWO_PHASE_PARTICIPANTS
    );
    assert_eq!(microcosm_checker::saga::MAX_STEPS, limits::MAX_SAGA_STEPS);
    assert_eq!(
        microcosm_checker::circuit_breaker::MAX_HALF_OPEN,
        limits::MAX_HALF_OPEN_CALLS
    );
}
