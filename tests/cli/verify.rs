//! End-to-end tests of `microcosm verify`: verdicts and exit codes on real scenario files,
//! counterexamples that name the property and the scenario line, bounds that make a verdict
//! inconclusive, and input errors that exit 2.

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{in_terminal, root, run};

/// A scenario with one two-phase commit whose coordinator may crash as `crash` says.
fn two_phase(dir: &Path, crash: &str) -> std::path::PathBuf {
    let path = dir.join("transfer.toml");
    std::fs::write(
        &path,
        format!(
            r#"name = "transfer"

[services.ledger.endpoints.transfer]
[services.spot.endpoints.debit]
[services.margin.endpoints.credit]

[transactions.move-funds]
protocol = "two_phase_commit"
coordinator = "ledger"
participants = ["spot", "margin"]
faults = {{ coordinator_crash = "{crash}" }}
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn the_textbook_protocol_holds_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "none");
    run(["verify"])
        .arg(&file)
        .exits(0)
        .stdout_has("3 verdicts: 3 hold, 0 violated, 0 inconclusive");
}

#[test]
fn a_blocking_coordinator_crash_is_a_violation_with_a_located_counterexample() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "permanent");
    let output = run(["verify"]).arg(&file).exits(1);
    let stdout = output.stdout();
    assert!(stdout.contains("VIOLATED      2pc.termination"), "{stdout}");
    // The counterexample says where the transaction is written, and who did what.
    assert!(stdout.contains("transfer.toml:7"), "{stdout}");
    assert!(stdout.contains("ledger"), "{stdout}");
    assert!(stdout.contains("message sequence"), "{stdout}");

    let lines = run(["verify"]).arg(&file).format("json").exits(1).records();
    let termination = lines
        .iter()
        .find(|l| l["type"] == "verdict" && l["data"]["property"] == "2pc.termination")
        .unwrap();
    assert_eq!(termination["data"]["status"], "violated");
    assert_eq!(termination["data"]["check"], "move-funds/2pc.termination");
    assert_eq!(termination["data"]["line"], 7);
    let steps = termination["data"]["counterexample"]["steps"]
        .as_array()
        .unwrap();
    assert!(
        !steps.is_empty() && steps.len() <= 6,
        "a short lasso: {steps:?}"
    );
    assert!(termination["data"]["counterexample"]["lasso"].is_object());
    // Atomicity still holds: the crash blocks, it does not split the decision.
    let atomicity = lines
        .iter()
        .find(|l| l["type"] == "verdict" && l["data"]["property"] == "2pc.atomicity")
        .unwrap();
    assert_eq!(atomicity["data"]["status"], "holds");
}

#[test]
fn a_recovering_coordinator_with_a_log_terminates() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "recover_with_log");
    run(["verify"]).arg(&file).exits(0);
}

#[test]
fn a_run_cut_short_is_inconclusive_and_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "none");
    run(["verify"])
        .arg(&file)
        .args(["--max-states", "20"])
        .exits(1)
        .stdout_matches(
            predicate::str::contains("inconclusive").and(predicate::str::contains("holds").not()),
        );
    run(["verify"])
        .arg(&file)
        .args(["--max-states", "20", "--allow-inconclusive"])
        .exits(0);
}

#[test]
fn one_property_of_one_transaction_can_be_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "permanent");
    let output = run(["verify"])
        .arg(&file)
        .args([
            "--transaction",
            "move-funds",
            "--property",
            "2pc.atomicity",
            "--format",
            "json",
        ])
        .exits(0);
    let verdicts = output.records().all("verdict");
    assert_eq!(verdicts.len(), 1);
}

#[test]
fn symmetry_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "permanent");
    run(["verify"])
        .arg(&file)
        .args(["--symmetry", "--property", "2pc.atomicity"])
        .exits(0);
}

#[test]
fn unknown_names_and_empty_selections_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "none");
    for (args, says) in [
        (
            &["--transaction", "move-fund"][..],
            "did you mean `move-funds`?",
        ),
        (
            &["--property", "2pc.atomicty"],
            "did you mean `2pc.atomicity`?",
        ),
        (&["--property", "saga.bogus"], "no property `saga.bogus`"),
        // A real property of another protocol: nothing to check, which must not pass as
        // "all hold" ...
        (
            &["--property", "saga.termination"],
            "has property `saga.termination`",
        ),
        // ... nor drop out silently beside one that matches.
        (
            &[
                "--property",
                "2pc.atomicity",
                "--property",
                "saga.termination",
            ],
            "has property `saga.termination`",
        ),
    ] {
        run(["verify"])
            .arg(&file)
            .args(args)
            .exits(2)
            .stderr_has(says);
    }
    run(["verify", "tests/bad/sync-cycle.toml"])
        .exits(2)
        .stderr_has("sync-call-cycle");
}

#[test]
fn the_bundled_exchange_verifies_its_cross_ledger_transfer() {
    let output = run([
        "verify",
        "scenarios/web3-exchange.toml",
        "--transaction",
        "spot-margin-transfer",
        "--format",
        "json",
    ])
    .exits(0);
    let verdicts = output.records().all("verdict");
    assert_eq!(verdicts.len(), 3);
    assert!(verdicts.iter().all(|v| v["status"] == "holds"));
}

#[test]
fn every_gallery_file_gives_the_verdicts_it_declares() {
    let dir = root().join("scenarios/gallery");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the known-bug gallery is bundled");
    let mut violated_somewhere = 0;
    for file in files {
        let declared = microcosm_model::load(&file)
            .unwrap_or_else(|e| panic!("{e}"))
            .scenario
            .expected_verdicts;
        assert!(
            !declared.is_empty(),
            "{} declares its verdicts",
            file.display()
        );
        let output = run(["verify"]).arg(&file).format("json").exits_any();
        let verdicts = output.records().all("verdict");
        for (check, expected) in &declared {
            let expected = match expected {
                microcosm_model::ExpectedVerdict::Holds => "holds",
                microcosm_model::ExpectedVerdict::Violated => "violated",
            };
            let found = verdicts
                .iter()
                .find(|v| v["check"] == check.as_str())
                .unwrap_or_else(|| panic!("{}: no verdict for {check}", file.display()));
            assert_eq!(found["status"], expected, "{}: {check}", file.display());
            if expected == "violated" {
                violated_somewhere += 1;
                let steps = found["counterexample"]["steps"].as_array();
                let is_static = found["property"] == "saga.pivot-rule";
                assert!(
                    is_static || steps.is_some_and(|s| !s.is_empty()),
                    "{}: {check} comes with its counterexample",
                    file.display()
                );
            }
        }
        // A file with a known bug makes verify exit 1; a file of fixed designs only, 0.
        let any_violation = verdicts.iter().any(|v| v["status"] == "violated");
        assert_eq!(
            output.code(),
            Some(if any_violation { 1 } else { 0 }),
            "{}",
            file.display()
        );
    }
    assert!(violated_somewhere >= 10, "every known bug is found");
}

#[test]
fn a_counterexamples_trace_id_replays_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "permanent");
    let lines = run(["verify"])
        .arg(&file)
        .args(["--property", "2pc.termination", "--format", "json"])
        .exits(1)
        .records();
    let trace = &lines.record("verdict")["counterexample"];
    let trace_id = trace["trace_id"].as_str().unwrap();
    let steps = trace["steps"].as_array().unwrap();

    let output = run(["verify"])
        .arg(&file)
        .args([
            "--transaction",
            "move-funds",
            "--replay",
            trace_id,
            "--format",
            "json",
        ])
        .exits(0);
    let states = output.records().all("state");
    assert_eq!(states.len(), steps.len() + 1);
    // Each step's changes are what the replayed state after it holds, and the replay names
    // the step's party and action as the counterexample does.
    assert!(states[0].get("action").is_none());
    for (step, state) in steps.iter().zip(&states[1..]) {
        assert_eq!(state["party"], step["party"]);
        assert_eq!(state["action"], step["action"]);
        for change in step["changes"].as_array().unwrap() {
            let field = change["field"].as_str().unwrap();
            assert_eq!(state["fields"][field], change["after"], "{field}");
        }
    }
    let human = run(["verify"])
        .arg(&file)
        .args(["--transaction", "move-funds", "--replay", trace_id])
        .exits(0)
        .stdout_has(&format!("trace {trace_id}"))
        .stdout();
    let first = &steps[0];
    let line = format!(
        "   1. {}: {}",
        first["party"].as_str().unwrap(),
        first["action"].as_str().unwrap()
    );
    assert!(human.lines().any(|l| l == line), "{line:?} in\n{human}");
    run(["verify"])
        .arg(&file)
        .args(["--transaction", "move-funds", "--replay", "0/42/7"])
        .exits(2);
    run(["verify"])
        .arg(&file)
        .args(["--replay", trace_id])
        .exits(2);
}

#[test]
fn a_whole_bundled_scenario_verifies_every_transaction_and_breaker() {
    let output = run(["verify", "scenarios/web3-exchange.toml", "--format", "json"]).exits(0);
    // Piped: nothing on stderr but, if the run is slow, a progress line every ten seconds.
    let stderr = output.stderr();
    assert!(
        stderr.lines().all(|l| l.starts_with("progress: ")),
        "{stderr}"
    );
    let verdicts = output.records().all("verdict");
    let subjects = |protocol: &str| -> std::collections::BTreeSet<String> {
        verdicts
            .iter()
            .filter(|v| v["protocol"] == protocol)
            .map(|v| v["model"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        subjects("saga"),
        ["deposit".to_owned(), "withdrawal".to_owned()].into()
    );
    assert_eq!(
        subjects("two_phase_commit"),
        ["spot-margin-transfer".to_owned()].into()
    );
    // Every policy of the file with a circuit breaker, the glob `ledger -> *-ledger` has none.
    assert!(subjects("circuit_breaker").len() >= 7, "{verdicts:?}");
    for v in &verdicts {
        assert_eq!(v["status"], "holds", "{v}");
        assert!(v["line"].as_u64().unwrap() > 0, "{v}");
        assert!(v["stats"]["unique_states"].as_u64().is_some(), "{v}");
    }
}

#[test]
fn a_reader_going_away_keeps_the_verdict() {
    // `microcosm verify … | head` in a pipefail CI step must still fail on a violation.
    let dir = tempfile::tempdir().unwrap();
    let file = two_phase(dir.path(), "permanent");
    let output = run(["verify"]).arg(&file).close_stdout().exits(1);
    assert!(output.stderr().is_empty(), "{output:?}");
}

#[test]
fn a_depth_bound_at_the_lassos_own_depth_still_finds_it() {
    // The stuttering lasso of this known bug ends at depth 6: a bound of 6 cuts nothing, and
    // must not turn the violation into a pass.
    for depth in ["6", "7"] {
        run(["verify", "scenarios/gallery/saga-compensation-failure.toml"])
            .args(["--transaction", "place-order-no-retry"])
            .args(["--property", "saga.termination", "--max-depth", depth])
            .exits(1)
            .stdout_has("VIOLATED      saga.termination");
    }
}

/// The issue's breaker (no limit in HALF_OPEN, 2 trial calls) behind a gateway of `workers`
/// workers, with an optional declared `concurrency`.
fn unlimited_half_open(dir: &Path, workers: u32, concurrency: Option<u32>) -> std::path::PathBuf {
    let path = dir.join("gateway.toml");
    let declared = concurrency.map_or(String::new(), |n| format!("concurrency = {n}\n"));
    std::fs::write(
        &path,
        format!(
            r#"name = "gateway"
[services.gateway]
endpoints.checkout = {{ public = true, calls = ["payments.charge"] }}
[services.payments]
endpoints.charge = {{}}
[deployment.gateway]
replicas = 3
workers = {workers}
[policies."gateway -> payments"]
timeout_ms = 200
circuit_breaker = {{ sliding_window_size = 2, minimum_number_of_calls = 2, wait_duration_in_open_state_ms = 1000, permitted_number_of_calls_in_half_open_state = 2 }}
implementation = "unlimited_half_open"
{declared}"#
        ),
    )
    .unwrap();
    path
}

fn half_open_limit(file: &Path, code: i32) -> Value {
    let output = run([
        "verify",
        "--property",
        "breaker.half-open-limit",
        "--format",
        "json",
    ])
    .arg(file)
    .exits(code);
    output.records().record("verdict").clone()
}

#[test]
fn a_breaker_is_checked_at_its_deployments_concurrent_callers() {
    let dir = tempfile::tempdir().unwrap();
    // 16 workers per replica: a third trial call gets through against a limit of 2.
    let v = half_open_limit(&unlimited_half_open(dir.path(), 16, None), 1);
    assert_eq!(v["status"], "violated", "{v}");
    let notes = v["options"]["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            == "16 concurrent callers (each replica of gateway keeps its own policy state: 16 \
                workers × 1 call on the edge per request)"),
        "{notes:?}"
    );
    let parties = v["counterexample"]["parties"].as_array().unwrap();
    assert_eq!(parties[..3], ["gateway#1", "gateway#2", "gateway#3"]);
    // Two workers per replica (or a declared concurrency of 2) cannot exceed 2 trial calls.
    let v = half_open_limit(&unlimited_half_open(dir.path(), 2, None), 0);
    assert_eq!(v["status"], "holds", "{v}");
    let v = half_open_limit(&unlimited_half_open(dir.path(), 16, Some(2)), 0);
    assert_eq!(v["status"], "holds", "{v}");
    let notes = v["options"]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n == "2 concurrent callers (declared by the policy's `concurrency = 2`)"),
        "{notes:?}"
    );
}

/// Two policies: a retry alone, and a breaker beside it, each on its own edge.
fn retry_and_breaker(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("edges.toml");
    std::fs::write(
        &path,
        r#"name = "edges"
[services.gateway]
endpoints.checkout = { public = true, calls = ["payments.charge", "ledger.post"] }
[services.payments]
endpoints.charge = {}
[services.ledger]
endpoints.post = {}

[policies."gateway -> payments"]
timeout_ms = 200
circuit_breaker = { sliding_window_size = 2, minimum_number_of_calls = 2, wait_duration_in_open_state_ms = 1000, permitted_number_of_calls_in_half_open_state = 1 }
concurrency = 1

[policies."gateway -> ledger"]
timeout_ms = 200
retry = { max_attempts = 2, wait_ms = 5 }
"#,
    )
    .unwrap();
    path
}

#[test]
fn a_retry_only_policy_is_headed_as_a_retry_on_its_own_line_with_no_breaker_note() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(["verify"]).arg(retry_and_breaker(dir.path())).exits(0);
    let stdout = output.stdout();
    // Headed by what it is, at its own table (line 14), not as a breaker.
    assert!(
        stdout.contains("  gateway -> ledger (retry, line 14)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  gateway -> payments (circuit_breaker, line 9)"),
        "{stdout}"
    );
    // Its notes say only what it has: no open wait.
    let ledger = stdout
        .split("gateway -> ledger")
        .nth(1)
        .unwrap()
        .split("gateway -> payments")
        .next()
        .unwrap();
    assert!(!ledger.contains("open wait"), "{ledger}");
    assert!(ledger.contains("retry waits"), "{ledger}");
    let payments = stdout.split("gateway -> payments").nth(1).unwrap();
    assert!(payments.contains("the open wait is 2 ticks"), "{payments}");
}

#[test]
fn a_state_bound_reports_the_counts_the_cut_search_reached() {
    // This saga is checked on several projections; each once had the whole bound, and the
    // verdict summed them (100 states under --max-states 50).
    let file = "scenarios/gallery/saga-duplicate-charge.toml";
    let output = run(["verify", file, "--max-states", "50", "--format", "json"]).exits(1);
    let verdicts = output.records().all("verdict");
    assert!(verdicts.iter().any(|v| v["status"] == "inconclusive"));
    for v in &verdicts {
        assert!(
            v["stats"]["states_generated"].as_u64().unwrap() <= 50,
            "{v}"
        );
        assert!(v["stats"]["unique_states"].as_u64().unwrap() <= 50, "{v}");
    }
    run(["verify", file, "--max-states", "50"])
        .exits(1)
        .stdout_has("stopped at the --max-states limit of 50;");
}

#[test]
fn a_timeout_is_said_as_given_with_the_elapsed_time_rounded() {
    // Eight participants: far more than half a second of search in a debug build.
    let dir = tempfile::tempdir().unwrap();
    let path = eight_participants(dir.path());
    let output = run(["verify", "--timeout", "0.5", "--property", "2pc.atomicity"])
        .arg(&path)
        .exits(1);
    let stdout = output.stdout();
    let line = stdout
        .lines()
        .find(|l| l.contains("2pc.atomicity"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("stopped by the 0.5 s timeout;"), "{line}");
    // Elapsed time to the hundredth of a second, not the nanosecond.
    let elapsed = line.rsplit(", ").next().unwrap();
    assert!(
        elapsed.ends_with(" s") && elapsed.split('.').nth(1).is_some_and(|d| d.len() == 4),
        "{line}"
    );
}

#[test]
fn a_saga_that_loses_messages_without_redelivery_is_told_to_turn_it_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lossy.toml");
    std::fs::write(
        &path,
        r#"name = "lossy"
[services.orders.endpoints.place]
[services.inventory.endpoints]
reserve = {}
release = {}
[services.payments.endpoints]
charge = {}
refund = {}
[transactions.place-order]
protocol = "saga"
coordinator = "orders"
steps = [{ service = "inventory", action = "reserve", compensation = "release", idempotent = true },
         { service = "payments", action = "charge", compensation = "refund", idempotent = true, can_fail = true }]
faults = { message_loss = true }
"#,
    )
    .unwrap();
    let output = run(["verify"]).arg(&path).exits(1);
    let stdout = output.stdout();
    let after = stdout
        .split("VIOLATED      saga.termination")
        .nth(1)
        .unwrap();
    let next = after.lines().nth(1).unwrap();
    assert!(
        next.trim_start()
            .starts_with("fix: set `redelivery = true` in `faults`"),
        "{stdout}"
    );
    let records = run(["verify"]).arg(&path).format("json").exits(1).records();
    let termination = records
        .all("verdict")
        .into_iter()
        .find(|v| v["property"] == "saga.termination")
        .unwrap();
    assert!(
        termination["fix"]
            .as_str()
            .unwrap()
            .contains("`redelivery = true`"),
        "{termination}"
    );
    // The gate's message says it too.
    run(["check"])
        .arg(&path)
        .exits(1)
        .stdout_has("fix: set `redelivery = true` in `faults`");
}

#[test]
fn a_long_piped_run_writes_a_progress_line_every_interval() {
    // Eight participants: seconds of search in a debug build. The interval is shortened for
    // the test (it is ten seconds by default).
    let dir = tempfile::tempdir().unwrap();
    let path = eight_participants(dir.path());
    let output = run(["verify", "--timeout", "2", "--property", "2pc.atomicity"])
        .arg(&path)
        .env("MICROCOSM_PROGRESS_EVERY_S", "0.3")
        .exits(1);
    let stderr = output.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 3, "{stderr}");
    for line in &lines {
        assert!(
            line.starts_with("progress: move: ") && line.contains(" states generated, "),
            "{stderr}"
        );
    }
    // The report itself is untouched on stdout.
    assert!(output.stdout().contains("stopped by the 2 s timeout"));
}

#[test]
fn on_a_terminal_the_spinner_names_the_check_from_its_first_moment() {
    // A check of well under a second: the spinner used to appear only at the first report
    // after a tick, so a short check showed nothing and a long one nothing for seconds.
    let dir = tempfile::tempdir().unwrap();
    two_phase(dir.path(), "permanent");
    let Some(shown) = in_terminal(
        dir.path(),
        r#""$MICROCOSM" verify transfer.toml > report.txt"#,
    ) else {
        return;
    };
    let terminal = String::from_utf8_lossy(&shown.stdout);
    assert!(
        terminal.contains("move-funds: starting") || terminal.contains("move-funds: safety"),
        "{terminal:?}"
    );
    // The report went to its file whole, without the spinner.
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(report.contains("VIOLATED      2pc.termination"), "{report}");
    assert!(!report.contains("starting"), "{report}");
}

#[test]
fn a_property_decided_from_the_configuration_says_so_instead_of_zero_states() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("order.toml");
    std::fs::write(
        &file,
        r#"name = "order"

[services.orders.endpoints.create]
[services.payments.endpoints.charge]
[services.payments.endpoints.refund]

[transactions.place]
protocol = "saga"
style = "orchestrated"
coordinator = "orders"
steps = [{ service = "payments", action = "charge", compensation = "refund" }]
"#,
    )
    .unwrap();
    let stdout = run(["verify"])
        .arg(&file)
        .args(["--property", "saga.pivot-rule"])
        .exits(0)
        .stdout();
    assert!(
        stdout.contains("decided from the configuration, no search"),
        "{stdout}"
    );
    assert!(!stdout.contains("0 unique states"), "{stdout}");
}

/// Issue 15: a breaker with 16 callers grew `verify` to 24 GB until the kernel killed it, with
/// no report. Under `--max-memory` every verdict is inconclusive at the limit, with the counts
/// it reached and what would let it finish, the report is written, and the exit code is 1.
#[test]
fn a_model_past_max_memory_is_inconclusive_with_a_report_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::fixtures::write(dir.path(), "wallet.toml", crate::fixtures::WALLET_BREAKER);
    let report = dir.path().join("report.json");
    run(["verify", "--max-memory", "32M", "-o"])
        .arg(&report)
        .arg(&file)
        .format("json")
        .exits(1);
    let text = std::fs::read_to_string(&report).unwrap();
    let verdicts: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "verdict")
        .collect();
    assert!(!verdicts.is_empty(), "{text}");
    for v in &verdicts {
        let d = &v["data"];
        assert_eq!(d["status"], "inconclusive", "{d}");
        assert_eq!(d["reason"]["bound"], "memory", "{d}");
        assert_eq!(d["reason"]["limit_bytes"], 32 << 20, "{d}");
        assert!(d["stats"]["unique_states"].as_u64().unwrap() > 0, "{d}");
    }

    let text = run(["verify", "--max-memory", "32M"])
        .arg(&file)
        .exits(1)
        .stdout();
    assert!(
        text.contains("stopped at the memory limit of 32 MiB (--max-memory)"),
        "{text}"
    );
    assert!(
        text.contains("or give it a larger --max-memory (e.g. 64 MiB"),
        "{text}"
    );
    // Let through when asked, as any other inconclusive verdict.
    run(["verify", "--max-memory", "32M", "--allow-inconclusive"])
        .arg(&file)
        .exits(0);
}

/// A `--max-memory` that is not a size is a usage error that says what would be right.
#[test]
fn a_max_memory_that_is_not_a_size_exits_2_saying_what_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::fixtures::write(dir.path(), "wallet.toml", crate::fixtures::WALLET_BREAKER);
    for (bad, says) in [
        ("8X", "`X` is not a unit"),
        ("lots", "`lots` is not a memory size"),
        ("0", "give a positive size"),
    ] {
        run(["verify", "--max-memory", bad])
            .arg(&file)
            .exits(2)
            .stderr_has(says)
            .stderr_has("e.g. 8G, 512M or 2GiB");
        run(["check", "--max-memory", bad])
            .arg(&file)
            .exits(2)
            .stderr_has(says);
    }
}

/// A two-phase commit of eight participants: far more than a few seconds of search in a debug
/// build, for the tests of what a long or cut-short run says.
fn eight_participants(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("large.toml");
    let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    let services: String = names
        .iter()
        .map(|n| format!("[services.{n}.endpoints.x]\n"))
        .collect();
    std::fs::write(
        &path,
        format!(
            "name = \"large\"\n[services.tm.endpoints.x]\n{services}\n\
             [transactions.move]\nprotocol = \"two_phase_commit\"\ncoordinator = \"tm\"\n\
             participants = {names:?}\n"
        ),
    )
    .unwrap();
    path
}
