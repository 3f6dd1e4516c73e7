//! End-to-end tests of the CI gate, `microcosm check`: exit codes, declared expectations, and
//! every report format read the way CI tools read them (JUnit parsed as XML, SARIF validated
//! against the OASIS schema, GitHub annotations escaped), plus atomic `--output`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{Ran, Records, in_terminal, root, run};
use crate::fixtures::{IDLE, flood, write};

/// Writes a scenario with one two-phase commit over `participants` participants whose
/// coordinator crashes as `crash` says, plus `extra` TOML.
fn scenario(dir: &Path, name: &str, crash: &str, participants: usize, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::from("name = \"transfer\"\n\n[services.ledger.endpoints.transfer]\n");
    for i in 0..participants {
        text.push_str(&format!("[services.rm{i}.endpoints.apply]\n"));
    }
    let list: Vec<String> = (0..participants).map(|i| format!("\"rm{i}\"")).collect();
    text.push_str(&format!(
        "\n[transactions.move-funds]\nprotocol = \"two_phase_commit\"\ncoordinator = \"ledger\"\nparticipants = [{}]\nfaults = {{ coordinator_crash = \"{crash}\" }}\n{extra}",
        list.join(", ")
    ));
    std::fs::write(&path, text).unwrap();
    path
}

/// The line of `needle` in the file.
fn line_of(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn a_passing_directory_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a.toml", "none", 2, "");
    scenario(dir.path(), "b.toml", "recover_with_log", 2, "");
    run(["check"])
        .arg(dir.path())
        .exits(0)
        .stdout_has("2 files, 10 checks: 10 passed, 0 failed");
}

#[test]
fn a_violation_exits_1_and_every_format_names_the_property_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "blocking.toml", "permanent", 2, "");
    let line = line_of(&file, "[transactions.move-funds]");
    let check = "move-funds/2pc.termination";

    let text = run(["check"]).arg(&file).exits(1).stdout();
    assert!(
        text.contains(check) && text.contains(&format!("blocking.toml:{line}:")),
        "{text}"
    );

    let lines = run(["check"]).arg(&file).format("json").exits(1).records();
    assert_eq!(lines.first().unwrap()["type"], "begin");
    assert_eq!(lines.last().unwrap()["type"], "end");
    let v = lines.iter().find(|l| l["data"]["check"] == check).unwrap();
    assert_eq!(v["data"]["status"], "violated");
    assert_eq!(v["data"]["outcome"], "fail");
    assert_eq!(v["data"]["line"], line);
    assert!(
        !v["data"]["counterexample"]["steps"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let xml = run(["check"]).arg(&file).format("junit").exits(1).stdout();
    assert!(
        xml.contains(check) && xml.contains(&format!("blocking.toml:{line}")),
        "{xml}"
    );

    let sarif = run(["check"]).arg(&file).format("sarif").exits(1);
    let log: Value = serde_json::from_slice(sarif.stdout_bytes()).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "2pc.termination");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        line
    );

    let annotations = run(["check"]).arg(&file).format("github").exits(1).stdout();
    assert!(
        annotations.contains(&format!(",line={line},")),
        "{annotations}"
    );
    assert!(
        annotations.contains("title=move-funds/2pc.termination violated::"),
        "{annotations}"
    );
}

#[test]
fn inconclusive_exits_1_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "none", 3, "");
    run(["check"])
        .arg(&file)
        .args(["--max-states", "50"])
        .exits(1);
    run(["check"])
        .arg(&file)
        .args(["--max-states", "50", "--allow-inconclusive"])
        .exits(0)
        .stdout_has("skipped");
}

#[test]
fn an_invalid_file_exits_2_while_the_others_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "good.toml", "none", 2, "");
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"x\"\n[services.a.endpoints.e]\ncalls = [\"b.e\"]\n",
    )
    .unwrap();
    let verdicts = run(["check"])
        .arg(dir.path())
        .format("json")
        .exits(2)
        .records()
        .all("verdict");
    let bad = verdicts
        .iter()
        .find(|v| v["file"].as_str().unwrap().ends_with("bad.toml"))
        .unwrap();
    assert_eq!(bad["status"], "error");
    assert_eq!(bad["check"], "validate/unresolved-reference");
    assert_eq!(bad["line"], 3);
    assert_good_file_fully_checked(&verdicts);
}

#[test]
fn a_known_bug_passes_while_found_and_fails_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let expect = "\n[expected_verdicts]\n\"move-funds/2pc.termination\" = \"violated\"\n";
    let known = scenario(dir.path(), "known.toml", "permanent", 2, expect);
    run(["check"]).arg(&known).exits(0);
    let fixed = scenario(dir.path(), "fixed.toml", "recover_with_log", 2, expect);
    run(["check"])
        .arg(&fixed)
        .exits(1)
        .stdout_has("expected violated but found holds");
}

#[test]
fn an_expectation_no_check_produces_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(
        dir.path(),
        "a.toml",
        "none",
        2,
        "\n[expected_verdicts]\n\"move-funds/2pc.liveness\" = \"holds\"\n",
    );
    run(["check"])
        .arg(&file)
        .exits(1)
        .stdout_has("no check has that id");
    // Narrowing the run to other stages must not hide a misspelt id: no stage produces it.
    run(["check"])
        .arg(&file)
        .args(["--skip", "simulate"])
        .exits(1)
        .stdout_has("no check has that id");
    // A real id of a skipped stage is excused.
    let file = scenario(
        dir.path(),
        "b.toml",
        "permanent",
        2,
        "\n[expected_verdicts]\n\"move-funds/2pc.termination\" = \"violated\"\n",
    );
    run(["check"])
        .arg(&file)
        .args(["--skip", "verify"])
        .exits(0);
}

#[test]
fn only_and_skip_narrow_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "permanent", 2, "");
    run(["check"])
        .arg(&file)
        .args(["--only", "*/2pc.atomicity"])
        .exits(0)
        .stdout_has("1 file, 1 check: ");
    run(["check"])
        .arg(&file)
        .args(["--skip", "verify"])
        .exits(0);
}

#[test]
fn the_junit_report_is_xml_with_a_suite_per_file_and_a_case_per_check() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a.toml", "permanent", 2, "");
    scenario(dir.path(), "b.toml", "none", 2, "");
    let xml = run(["check"])
        .arg(dir.path())
        .format("junit")
        .exits(1)
        .stdout();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert!(suites[0].attribute("name").unwrap().ends_with("a.toml"));
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        cases.len(),
        5,
        "validate, services.sync-cycle and three properties"
    );
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(failed, ["move-funds/2pc.termination"]);
    assert_eq!(suites[0].attribute("failures"), Some("1"));
    assert!(
        cases
            .iter()
            .all(|c| c.attribute("classname").unwrap().ends_with("a.toml"))
    );
}

#[test]
fn a_junit_failure_carries_the_counterexample_and_inconclusive_checks_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "permanent", 2, "");
    let check = "move-funds/2pc.termination";
    let json = run(["check"])
        .arg(&file)
        .format("json")
        .exits(1)
        .records()
        .all("verdict");
    let trace_id = json.iter().find(|v| v["check"] == check).unwrap()["counterexample"]["trace_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let xml = run(["check"]).arg(&file).format("junit").exits(1).stdout();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(check))
        .expect("a case per check");
    let failure = case
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("the violation is a failure");
    let body = failure.text().unwrap_or_default();
    for step in ["   1. ", "   2. ", "   3. "] {
        assert!(body.contains(step), "numbered step {step:?} in {body}");
    }
    assert!(body.contains(&format!("trace id: {trace_id}")), "{body}");
    assert_eq!(failure.attribute("type"), Some("violated"));

    // Cut short by a bound and let through: skipped cases, and a green gate.
    let bounded = run(["check"])
        .arg(&file)
        .args(["--max-states", "50", "--allow-inconclusive"])
        .format("junit")
        .exits(0)
        .stdout();
    let doc = roxmltree::Document::parse(&bounded).expect("well-formed XML");
    let skipped: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert!(skipped.contains(&check), "{bounded}");
    assert!(bounded.contains("<skipped"), "{bounded}");
    assert!(!bounded.contains("<failure"), "{bounded}");
}

/// The SARIF log of `check ARG` run in `dir`, which must exit 1.
fn sarif_of(dir: &Path, arg: &str) -> Value {
    let output = run(["check", arg]).in_dir(dir).format("sarif").exits(1);
    serde_json::from_slice(output.stdout_bytes()).unwrap()
}

/// The artifact URI of a SARIF result.
fn uri_of(result: &Value) -> &str {
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
}

#[test]
fn the_sarif_report_validates_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a.toml", "permanent", 2, "");
    let log = sarif_of(dir.path(), "a.toml");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        uri_of(result),
        "a.toml",
        "relative to the working directory"
    );
    assert_eq!(result["properties"]["check"], "move-funds/2pc.termination");
    assert_eq!(
        result["ruleId"], "2pc.termination",
        "rules are property ids"
    );

    let schema_path = root().join("../shared/data/sarif-schema-2.1.0.json");
    let Ok(schema_text) = std::fs::read_to_string(&schema_path) else {
        eprintln!(
            "schema check skipped: {} is absent (the shared reference data is not beside this \
             checkout)",
            schema_path.display()
        );
        return;
    };
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    compiler.add_resource("sarif-schema.json", schema).unwrap();
    let index = compiler.compile("sarif-schema.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&log, index) {
        panic!("the SARIF log does not validate: {e:#}");
    }
    // The validator is live: a log without its version is rejected.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(schemas.validate(&broken, index).is_err());
}

#[test]
fn sarif_code_flows_walk_the_services_of_the_counterexample() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "permanent", 2, "");
    let log = sarif_of(dir.path(), "a.toml");
    let result = &log["runs"][0]["results"][0];
    let flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert!(flow.len() >= 2, "the code flow walks the counterexample");
    let mut lines = std::collections::BTreeSet::new();
    for step in flow {
        let text = step["location"]["message"]["text"].as_str().unwrap();
        // "2. rm1: RmPrepare (…)": the party is a service, so the step is at its table.
        let party = text.split_once(". ").unwrap().1.split_once(':').unwrap().0;
        let line = &step["location"]["physicalLocation"]["region"]["startLine"];
        assert_eq!(
            line,
            line_of(&file, &format!("[services.{party}.")),
            "{text}"
        );
        lines.insert(line.as_u64().unwrap());
    }
    assert!(
        lines.len() >= 2,
        "steps by different services are at different lines"
    );
}

#[test]
fn sarif_uris_percent_encode_each_path_segment() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("sp ace");
    std::fs::create_dir(&odd).unwrap();
    scenario(&odd, "v 1%.toml", "permanent", 2, "");
    let log = sarif_of(dir.path(), "sp ace/v 1%.toml");
    assert_eq!(
        uri_of(&log["runs"][0]["results"][0]),
        "sp%20ace/v%201%25.toml"
    );
}

#[test]
fn github_annotations_escape_percent_newlines_colons_and_commas() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a,b:c%d");
    std::fs::create_dir(&odd).unwrap();
    scenario(&odd, "x.toml", "permanent", 2, "");
    let summary = dir.path().join("summary.md");
    let text = run(["check"])
        .arg(&odd)
        .format("github")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .exits(1)
        .stdout();
    let annotation = text
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an annotation");
    assert!(annotation.contains("a%2Cb%3Ac%25d"), "{annotation}");
    let (_, message) = annotation
        .split_once("::")
        .unwrap()
        .1
        .split_once("::")
        .unwrap();
    assert!(
        message.contains("%0A") && !message.contains('\n'),
        "{message}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| ❌ |") && md.contains("move-funds/2pc.termination"),
        "{md}"
    );
}

#[test]
fn output_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.xml");
    let file = scenario(dir.path(), "a.toml", "none", 2, "");
    run(["check"])
        .arg(&file)
        .args(["--format", "junit", "--output"])
        .arg(&out)
        .exits(0);
    roxmltree::Document::parse(&std::fs::read_to_string(&out).unwrap()).unwrap();

    // Interrupted mid-run, the previous report stays as it was and no temporary is left.
    std::fs::write(&out, "previous report").unwrap();
    let heavy = scenario(dir.path(), "heavy.toml", "none", 9, "");
    let mut child = run(["check"])
        .arg(&heavy)
        .args(["--format", "junit", "--output"])
        .arg(&out)
        .spawn();
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous report");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
}

#[test]
fn the_report_order_does_not_depend_on_the_number_of_jobs() {
    let dir = tempfile::tempdir().unwrap();
    for (i, crash) in ["permanent", "none", "recover_with_log", "permanent"]
        .iter()
        .enumerate()
    {
        scenario(dir.path(), &format!("s{i}.toml"), crash, 2 + i % 2, "");
    }
    let report = |jobs: &str, format: &str| {
        run(["check"])
            .arg(dir.path())
            .args(["--jobs", jobs, "--format", format])
            .exits(1)
    };
    assert_eq!(
        report("1", "junit").stdout_bytes(),
        report("2", "junit").stdout_bytes()
    );
    // JSON carries elapsed times; everything else must match.
    let strip = |records: Records| -> Vec<Value> {
        records
            .into_iter()
            .map(|mut l| {
                if let Some(d) = l["data"].as_object_mut() {
                    d.remove("stats");
                }
                l
            })
            .collect()
    };
    assert_eq!(
        strip(report("1", "json").records()),
        strip(report("2", "json").records())
    );
}

#[test]
fn an_analysis_error_fails_the_gate_at_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mesh.toml");
    std::fs::write(
        &file,
        r#"name = "mesh"

[services.web.endpoints.home]
calls = ["api.get"]
[services.api.endpoints.get]

[network.security]
default = "deny"
allow = []
"#,
    )
    .unwrap();
    let lines = run(["check"]).arg(&file).format("json").exits(1).records();
    let denied = lines
        .iter()
        .find(|l| l["data"]["check"] == "security.denied-call")
        .expect("the denied call is a check");
    assert_eq!(denied["data"]["status"], "violated");
    assert_eq!(denied["data"]["kind"], "analyze");
    assert_eq!(denied["data"]["line"], 4, "{denied}");
    // Declaring it as known turns the gate green.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n[expected_verdicts]\n\"security.denied-call\" = \"violated\"\n");
    std::fs::write(&file, text).unwrap();
    run(["check"]).arg(&file).exits(0);
}

#[test]
fn the_report_is_coloured_only_where_it_goes_to_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a.toml", "permanent", 2, "");
    let esc = |bytes: &[u8]| bytes.contains(&0x1b);
    // Piped: nothing is a terminal.
    let piped = run(["check", "a.toml", "--color", "auto"])
        .in_dir(dir.path())
        .exits(1);
    assert!(!esc(piped.stdout_bytes()));
    // From a terminal, with stdout redirected or written with --output, stderr is still the
    // terminal: the report must follow stdout (or the file), not stderr.
    let Some(shown) = in_terminal(
        dir.path(),
        r#""$MICROCOSM" check a.toml --color auto;
           "$MICROCOSM" check a.toml --color auto > redirected.txt;
           "$MICROCOSM" check a.toml --color auto --output written.txt;
           "$MICROCOSM" check a.toml --color always --output forced.txt"#,
    ) else {
        return;
    };
    assert!(
        esc(&shown.stdout),
        "on the terminal itself the report is coloured"
    );
    for (file, coloured) in [
        ("redirected.txt", false),
        ("written.txt", false),
        ("forced.txt", true),
    ] {
        let text = std::fs::read(dir.path().join(file)).unwrap();
        assert!(text.ends_with(b"errors\n") || text.ends_with(b"\x1b[0m\n"));
        assert_eq!(
            esc(&text),
            coloured,
            "{file}: {}",
            String::from_utf8_lossy(&text)
        );
    }
}

#[test]
fn a_reader_going_away_keeps_the_gate_failing() {
    // `set -o pipefail; microcosm check violated.toml | true` must fail the job.
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "permanent", 2, "");
    let output = run(["check"]).arg(&file).close_stdout().exits(1);
    assert!(
        output.stderr().is_empty(),
        "no error for the broken pipe: {}",
        output.stderr()
    );
}

/// Two services and an experiment that crashes the backend for half its run, expecting the
/// front's availability SLO to hold through it: it cannot.
fn outage_scenario(dir: &Path) -> PathBuf {
    outage_scenario_of(dir, 20)
}

/// [`outage_scenario`] with an experiment of `duration_s` simulated seconds.
fn outage_scenario_of(dir: &Path, duration_s: u32) -> PathBuf {
    let path = dir.join("outage.toml");
    std::fs::write(
        &path,
        r#"name = "outage"

[services.front.endpoints.get]
public = true
calls = ["back.get"]

[services.back.endpoints.get]

[slos.front-availability]
endpoint = "front.get"
availability = 0.999

[experiments.back-outage]
duration_s = 20
seed = 7
load = [{ endpoint = "front.get", rate_per_s = 50 }]
faults = [{ at_s = 5, for_s = 10, crash = "back" }]

[experiments.back-outage.expect]
slos = ["front-availability"]
"#
        .replace("duration_s = 20", &format!("duration_s = {duration_s}")),
    )
    .unwrap();
    path
}

#[test]
fn a_failed_slo_in_a_simulated_experiment_fails_the_gate_at_its_slos_entry() {
    let dir = tempfile::tempdir().unwrap();
    let file = outage_scenario(dir.path());
    let line = line_of(&file, "slos = [");
    let check = "back-outage/slo.front-availability";

    let all = run(["check"])
        .arg(&file)
        .format("json")
        .exits(1)
        .records()
        .all("verdict");
    let slo = all
        .iter()
        .find(|v| v["check"] == check)
        .expect("the SLO is a check");
    assert_eq!(slo["kind"], "simulate");
    assert_eq!(slo["rule"], "simulate.slo");
    assert_eq!(slo["status"], "violated");
    assert_eq!(slo["line"], line, "{slo}");
    assert!(
        slo["message"]
            .as_str()
            .unwrap()
            .contains("SLO `front-availability` (seed 7)"),
        "{slo}"
    );
    let human = run(["check"]).arg(&file).exits(1).stdout();
    assert!(
        human.contains(check) && human.contains(&format!("outage.toml:{line}:")),
        "{human}"
    );

    // Without the simulation stage nothing is simulated, and nothing fails.
    let skipped = run(["check"])
        .arg(&file)
        .args(["--skip", "simulate", "--format", "json"])
        .exits(0)
        .records()
        .all("verdict");
    assert!(
        skipped.iter().all(|v| v["kind"] != "simulate"),
        "{skipped:?}"
    );
    assert!(skipped.iter().any(|v| v["kind"] == "analyze"));

    // Without the analysis stage the experiment still runs and still fails.
    let unanalysed = run(["check"])
        .arg(&file)
        .args(["--skip", "analyze", "--format", "json"])
        .exits(1)
        .records()
        .all("verdict");
    assert!(
        unanalysed.iter().all(|v| v["kind"] != "analyze"),
        "{unanalysed:?}"
    );
    assert!(
        unanalysed
            .iter()
            .any(|v| v["check"] == check && v["status"] == "violated")
    );
}

#[test]
fn a_selection_matching_nothing_exits_2_and_suggests_a_close_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "none", 2, "");
    let refused = |only: &str, extra: &[&str]| {
        let output = run(["check"])
            .arg(&file)
            .args(["--only", only])
            .args(extra)
            .exits(2);
        assert!(output.stdout_bytes().is_empty(), "no report of 0 checks");
        output.stderr()
    };
    let typo = refused("nothing", &[]);
    assert!(typo.contains("--only `nothing` matches no check"), "{typo}");
    let close = refused("2pc.terminaton", &[]);
    assert!(close.contains("did you mean `2pc.termination`?"), "{close}");
    let glob = refused("move-fund/*", &[]);
    assert!(glob.contains("did you mean `move-funds/*`?"), "{glob}");
    // One good pattern does not hide a typo in another.
    refused("nothing", &["--only", "*/2pc.atomicity"]);
    // A real rule that applies to none of the scenarios selects nothing either.
    refused("security.denied-call", &[]);
    // Nor does a pattern whose checks are in a skipped stage.
    let skipped = refused("move-funds/*", &["--skip", "verify"]);
    assert!(skipped.contains("in the stages not skipped"), "{skipped}");
}

#[test]
fn a_missing_path_is_reported_as_missing() {
    let records = run(["check", "/nonexistent-dir/", "--format", "json"])
        .exits(2)
        .records()
        .all("verdict");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["check"], "validate/io");
    let message = records[0]["message"].as_str().unwrap();
    assert!(message.contains("No such file or directory"), "{message}");
}

#[test]
fn an_unreadable_directory_exits_2_while_the_other_files_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "good.toml", "none", 2, "");
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    scenario(&locked, "hidden.toml", "permanent", 2, "");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&locked).is_ok();
    let output = run(["check"]).arg(dir.path()).format("json").exits_any();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if readable {
        eprintln!("skipped: permissions do not stop this user (root) reading a directory");
        return;
    }
    assert_eq!(output.code(), Some(2));
    let records = output.records().all("verdict");
    let error = records
        .iter()
        .find(|v| v["file"].as_str().unwrap().ends_with("locked"))
        .expect("the directory is reported");
    assert_eq!(error["status"], "error");
    assert_eq!(error["check"], "validate/io");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("cannot read the directory")
    );
    assert_good_file_fully_checked(&records);
}

#[test]
fn timeout_stops_a_long_simulation_as_inconclusive() {
    // A million simulated seconds would take minutes; --timeout ends it in a fifth of a second.
    let dir = tempfile::tempdir().unwrap();
    let file = outage_scenario_of(dir.path(), 1_000_000);
    let bounded = |extra: &[&str], code: i32| {
        run(["check"])
            .arg(&file)
            .args(["--timeout", "0.2", "--format", "json"])
            .args(extra)
            .exits(code)
            .records()
            .all("verdict")
            .into_iter()
            .filter(|v| v["kind"] == "simulate")
            .collect::<Vec<_>>()
    };
    let simulated = bounded(&[], 1);
    assert_eq!(
        simulated.len(),
        2,
        "the SLO and conservation: {simulated:?}"
    );
    for v in &simulated {
        assert_eq!(v["status"], "inconclusive", "{v}");
        assert_eq!(v["outcome"], "fail", "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("--timeout stopped the simulation"),
            "{v}"
        );
    }
    let allowed = bounded(&["--allow-inconclusive"], 0);
    assert!(
        allowed.iter().all(|v| v["outcome"] == "skip"),
        "{allowed:?}"
    );
}

#[cfg(unix)]
#[test]
fn output_files_get_an_ordinary_mode_or_keep_the_one_they_replace() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "a.toml", "none", 2, "");
    // What any new file gets here: 0666 narrowed by the umask this test and the binary share.
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let new = dir.path().join("new.xml");
    run(["check"])
        .arg(&file)
        .args(["--format", "junit", "--output"])
        .arg(&new)
        .exits(0);
    assert_eq!(
        mode(&new),
        mode(&reference),
        "not the temporary file's 0600"
    );

    let replaced = dir.path().join("replaced.xml");
    std::fs::write(&replaced, "previous report").unwrap();
    std::fs::set_permissions(&replaced, std::fs::Permissions::from_mode(0o640)).unwrap();
    run(["check"])
        .arg(&file)
        .args(["--format", "junit", "--output"])
        .arg(&replaced)
        .exits(0);
    assert_eq!(mode(&replaced), 0o640);
    assert!(
        std::fs::read_to_string(&replaced)
            .unwrap()
            .contains("<testsuites")
    );
}

#[test]
fn nothing_but_the_report_is_written_when_stderr_is_not_a_terminal() {
    // Live bars are for a person at a terminal; CI logs capture stderr and must stay clean: a
    // short run writes nothing there (a long one, a progress line every ten seconds).
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a.toml", "permanent", 2, "");
    outage_scenario(dir.path());
    for format in ["human", "json", "junit", "sarif", "github"] {
        let output = run(["check"])
            .arg(dir.path())
            .args(["--format", format])
            .exits(1);
        assert!(!output.stdout_bytes().is_empty(), "{format}");
        assert!(output.stderr().is_empty(), "{format}: {}", output.stderr());
    }
}

#[test]
fn github_annotation_messages_keep_colons_and_commas_but_escape_percent() {
    // The runner splits properties at `,` and the message off at `::`, so only properties
    // escape `:` and `,`; in a message they must stay readable.
    let output = run(["check", "a,b:c%d/missing.toml", "--format", "github"]).exits(2);
    let text = output.stdout();
    let annotation = text
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an annotation");
    let (properties, message) = annotation["::error ".len()..].split_once("::").unwrap();
    assert!(
        properties.starts_with("file=a%2Cb%3Ac%25d/missing.toml,line=1,col=1,title="),
        "{properties}"
    );
    assert!(
        message.starts_with("a,b:c%25d/missing.toml: cannot read the scenario file: "),
        "{message}"
    );
    assert!(
        !message.contains("%3A") && !message.contains("%2C"),
        "{message}"
    );
}

/// A gate that does not return within this is broken: every test below asks for a timeout of
/// a second or two.
const HANG: std::time::Duration = std::time::Duration::from_secs(60);

#[test]
fn timeout_stops_a_simulation_whose_simulated_milliseconds_hold_unbounded_events() {
    // The most requests a second a scenario may declare, for a long run: billions of events
    // per simulated slice, so a deadline looked at once per slice was seen minutes late. (Ten
    // billion a second, which validation now refuses, never returned at all.)
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "flood.toml", &flood(30_000));
    let output = run(["check"])
        .arg(&file)
        .args(["--timeout", "1", "--format", "json"])
        .timeout(HANG)
        .exits(1);
    let simulated = simulations(&output, "inconclusive", "--timeout stopped the simulation");
    assert_eq!(simulated.len(), 2, "{simulated:?}");
}

#[test]
fn four_billion_retry_attempts_neither_hang_the_gate_nor_pass_it() {
    // The static amplification summed every one of 4294967295 waits, per edge and per service
    // down: minutes, outside --timeout. Whether validation refuses such a count (exit 2) or
    // the analysis finds it over the bound (exit 1), the gate answers at once, and not 0.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "amp.toml",
        r#"name = "amp"
[services.a.endpoints.x]
public = true
calls = ["b.x"]
[services.b.endpoints.x]
calls = ["c.x"]
[services.c.endpoints.x]
[policies."* -> *"]
retry = { max_attempts = 4294967295, wait_ms = 10 }
[experiments.e]
duration_s = 10
load = [{ endpoint = "a.x", arrival = "poisson", rate_per_s = 1 }]
faults = [{ at_s = 2, for_s = 5, crash = "c" }]
expect = { max_retry_amplification = 2.0 }
"#,
    );
    let output = run(["check"])
        .arg(&file)
        .args(["--timeout", "2", "--format", "json"])
        .timeout(HANG)
        .exits_any();
    let code = output.code();
    let text = output.stdout();
    match code {
        Some(2) => assert!(text.contains("max_attempts"), "{text}"),
        Some(1) => {
            let amplification = output
                .records()
                .all("verdict")
                .into_iter()
                .find(|v| v["check"] == "e/retry.amplification")
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(amplification["status"], "violated", "{amplification}");
        }
        other => panic!("exit {other:?}: {text}"),
    }
}

#[test]
fn one_timeout_bounds_the_whole_run_and_every_stage_sees_it() {
    // With one worker, a model check too large for the second given runs first; the analysis
    // and the simulation of the next file start after the deadline. Each check used to get the
    // whole timeout to itself, so they ran and passed; now they are cut short, inconclusive.
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a-large.toml", "none", 8, "");
    outage_scenario_of(dir.path(), 20);
    let output = run(["check"])
        .arg(dir.path())
        .args(["--timeout", "1", "--jobs", "1", "--format", "json"])
        .timeout(HANG)
        .exits(1);
    let all = output.records().all("verdict");
    let of = |file: &str, kind: &str| -> Vec<&Value> {
        all.iter()
            .filter(|v| v["file"].as_str().unwrap().ends_with(file) && v["kind"] == kind)
            .collect()
    };
    let checked = of("a-large.toml", "verify");
    assert!(!checked.is_empty());
    for v in checked {
        assert_eq!(v["status"], "inconclusive", "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("stopped by the 1 s timeout"),
            "{v}"
        );
    }
    for (kind, what) in [
        ("analyze", "the analysis finished"),
        ("simulate", "the simulation finished"),
    ] {
        let cut = of("outage.toml", kind);
        assert!(!cut.is_empty(), "{kind}: {all:?}");
        for v in cut {
            assert_eq!(v["status"], "inconclusive", "{v}");
            let message = v["message"].as_str().unwrap();
            assert!(
                message.contains("--timeout 1 s (the whole run's) ran out before")
                    && message.contains(what),
                "{v}"
            );
        }
    }
}

#[test]
fn an_experiment_that_measured_no_request_is_an_error_not_a_pass() {
    // One request every thousand seconds over ten: the SLO held over nothing at all.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "idle.toml", IDLE);
    let output = run(["check"]).arg(&file).format("json").exits(2);
    let simulated = simulations(&output, "error", "measured nothing, so it decides nothing");
    assert_eq!(simulated.len(), 2, "{simulated:?}");
}

/// The gate's verdicts on a run's simulations, each asserted to have `status` and a message
/// that contains `part`.
#[track_caller]
fn simulations(output: &Ran, status: &str, part: &str) -> Vec<Value> {
    let simulated: Vec<Value> = output
        .records()
        .all("verdict")
        .into_iter()
        .filter(|v| v["kind"] == "simulate")
        .collect();
    for v in &simulated {
        assert_eq!(v["status"], status, "{v}");
        assert!(v["message"].as_str().unwrap().contains(part), "{v}");
    }
    simulated
}

#[test]
fn a_junit_error_for_an_invalid_file_opens_with_what_is_wrong() {
    // The body used to open with the rule's statement, "the scenario file is valid", which
    // reads as the opposite of the verdict.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.toml",
        "name = \"bad\"\n[services.a.endpoints.x]\ncalls = [\"nowhere.y\"]\n",
    );
    let xml = run(["check"]).arg(&file).format("junit").exits(2).stdout();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("invalid input is an <error>");
    let body = error.text().unwrap_or_default();
    assert!(body.starts_with("no service `nowhere`"), "{body}");
    assert!(body.contains("bad.toml:3:"), "{body}");
    assert!(
        body.contains("rule scenario.") && body.contains(": the scenario file is valid"),
        "{body}"
    );
}

/// The `good.toml` that sits beside a broken file in these tests is checked in full all the
/// same: its validation, the sync-cycle rule and three properties.
#[track_caller]
fn assert_good_file_fully_checked(verdicts: &[Value]) {
    let good = verdicts
        .iter()
        .filter(|v| v["file"].as_str().unwrap().ends_with("good.toml"))
        .count();
    assert_eq!(
        good, 5,
        "validate, the sync-cycle rule and three properties"
    );
}

#[test]
fn a_long_transaction_name_widens_the_check_column_and_keeps_the_statuses_in_line() {
    let dir = tempfile::tempdir().unwrap();
    let name = "move-funds-between-the-spot-and-the-margin-ledgers";
    assert!(name.len() > 40);
    let path = dir.path().join("long.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"long\"\n[services.ledger.endpoints.transfer]\n\
             [services.spot.endpoints.debit]\n[services.margin.endpoints.credit]\n\
             [transactions.{name}]\nprotocol = \"two_phase_commit\"\ncoordinator = \"ledger\"\n\
             participants = [\"spot\", \"margin\"]\n"
        ),
    )
    .unwrap();
    let stdout = run(["check"]).arg(&path).exits(0).stdout();
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  pass "))
        .collect();
    assert!(rows.len() >= 4, "{stdout}");
    let status_at: Vec<usize> = rows.iter().map(|r| r.rfind(" holds").unwrap()).collect();
    assert!(
        status_at.iter().all(|&c| c == status_at[0]),
        "statuses out of line:\n{stdout}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains(&format!("{name}/2pc.termination holds"))),
        "{stdout}"
    );
}

#[test]
fn a_long_gate_in_a_log_writes_progress_lines_every_interval() {
    // A model check of seconds in a debug build; the interval is shortened for the test (it
    // is ten seconds by default).
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "a-large.toml", "none", 8, "");
    let output = run(["check"])
        .arg(dir.path())
        .args(["--timeout", "2"])
        .env("MICROCOSM_PROGRESS_EVERY_S", "0.3")
        .timeout(HANG)
        .exits(1);
    let stderr = output.stderr();
    assert!(stderr.lines().count() >= 3, "{stderr}");
    assert!(
        stderr.lines().all(|l| l.starts_with("progress: ")),
        "{stderr}"
    );
    assert!(stderr.contains(" checks done"), "{stderr}");
    assert!(stderr.contains("safety search, "), "{stderr}");
    assert!(stderr.contains(" distinct, depth "), "{stderr}");
}

/// Issue 15: `check` on a newcomer's wallet was killed by the kernel after growing to 24 GB,
/// printing no report (exit 137). Under `--max-memory` the check that outgrows it is
/// inconclusive, naming the limit and what to do, the report is written, the run goes on to the
/// checks after it, and the gate fails (exit 1) unless inconclusive checks are allowed.
#[test]
fn a_check_past_max_memory_is_inconclusive_the_report_is_written_and_the_gate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "wallet.toml", crate::fixtures::WALLET_BREAKER);
    let report = dir.path().join("report.json");
    let liveness = "wallet -> custody/breaker.recovers";
    run(["check", "--max-memory", "32M", "-o"])
        .arg(&report)
        .arg(&file)
        .format("json")
        .exits(1);
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    let v = lines
        .iter()
        .find(|l| l["data"]["check"] == liveness)
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(v["data"]["status"], "inconclusive");
    assert_eq!(v["data"]["outcome"], "fail");
    let message = v["data"]["message"].as_str().unwrap();
    assert!(
        message.contains("stopped at the memory limit of 32 MiB (--max-memory)")
            && message.contains("fewer concurrent callers")
            && message.contains("a larger --max-memory"),
        "{message}"
    );
    // Every check was run and reported: the ones after the stopped search too.
    let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
    assert_eq!(summary["data"]["errors"], 0, "{summary}");
    assert_eq!(lines.last().unwrap()["type"], "end");

    run([
        "check",
        "--max-memory",
        "32M",
        "--allow-inconclusive",
        "--only",
    ])
    .arg(liveness)
    .arg(&file)
    .exits(0);
}
