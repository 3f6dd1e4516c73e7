//! End-to-end tests of `microcosm simulate` and `microcosm merge` on the bundled scenarios:
//! every experiment runs (shortened) and writes its plots, reports are byte-identical for the
//! same seed whatever the thread count, sharded and merged runs equal the unsharded run, and
//! the exit codes follow the 0/1/2 contract.

use serde_json::Value;

use crate::cli::{root, run};
use crate::fixtures::{IDLE, flood, write};

const SCENARIOS: [&str; 4] = [
    "online-boutique",
    "hotel-reservation",
    "sock-shop",
    "web3-exchange",
];

#[test]
fn every_bundled_experiment_runs_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    for name in SCENARIOS {
        let plots = dir.path().join(name);
        let output = run([
            "simulate",
            &format!("scenarios/{name}.toml"),
            "--duration",
            "8",
            "--format",
            "json",
            "--plot",
        ])
        .arg(&plots)
        // Exit 0 or 1 is a verdict; 2 would mean the simulation could not run.
        .exits_one_of(&[0, 1]);
        let lines = output.records();
        assert_eq!(lines.first().unwrap()["type"], "begin");
        assert_eq!(lines.last().unwrap()["type"], "end");
        let experiments: Vec<&Value> = lines.iter().filter(|l| l["type"] == "experiment").collect();
        assert_eq!(experiments.len(), 3, "{name}: three experiments each");
        for e in experiments {
            let s = &e["data"]["summary"];
            assert!(s["events"].as_u64().unwrap() > 1000, "{name}: {s}");
            assert_eq!(s["conservation_holds"], true, "{name}");
            let entries: Vec<&Value> = s["endpoints"]
                .as_object()
                .unwrap()
                .values()
                .filter(|e| e["entry"] == true)
                .collect();
            assert!(!entries.is_empty());
            for ep in entries {
                for key in ["requests", "errors", "availability"] {
                    assert!(ep[key].is_number(), "{name}: {key} in {ep}");
                }
                for key in ["p50", "p95", "p99", "mean"] {
                    assert!(ep["latency_ms"][key].is_number(), "{name}: {key}");
                }
            }
            let experiment = s["experiment"].as_str().unwrap();
            for plot in ["latency", "throughput"] {
                let svg = plots.join(format!("{experiment}-{plot}.svg"));
                let text = std::fs::read_to_string(&svg)
                    .unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
                assert!(text.starts_with("<svg"), "{}", svg.display());
            }
        }
        let timing = lines.iter().find(|l| l["type"] == "timing").unwrap();
        assert!(timing["data"]["events_per_s"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn the_same_seed_gives_a_byte_identical_report_whatever_the_thread_count() {
    let base = [
        "simulate",
        "scenarios/sock-shop.toml",
        "--experiment",
        "payment-outage",
        "--duration",
        "5",
        "--replications",
        "3",
        "--seed",
        "9",
        "--format",
        "json",
        "--no-timing",
    ];
    let report = |args: &[&str]| run(args).exits_one_of(&[0, 1]);
    let one = report(&[&base[..], &["--threads", "1"]].concat());
    let two = report(&[&base[..], &["--threads", "2"]].concat());
    assert!(
        one.stdout_bytes() == two.stdout_bytes(),
        "1 and 2 threads differ"
    );
    let again = report(&[&base[..], &["--threads", "2"]].concat());
    assert!(
        two.stdout_bytes() == again.stdout_bytes(),
        "two runs differ"
    );
    let other = report(
        &[
            &base[..9],
            &["10", "--format", "json", "--no-timing", "--threads", "2"],
        ]
        .concat(),
    );
    assert!(
        other.stdout_bytes() != two.stdout_bytes(),
        "another seed gives another report"
    );
    let lines = two.records();
    assert!(lines.iter().all(|l| l["type"] != "timing"));
    let summary = lines.iter().find(|l| l["type"] == "experiment").unwrap();
    assert_eq!(
        summary["data"]["summary"]["seeds"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(summary["data"]["summary"]["seed"], 9);
}

#[test]
fn sharded_and_merged_sweeps_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "simulate",
        "scenarios/sock-shop.toml",
        "--experiment",
        "payment-outage",
        "--duration",
        "4",
        "--replications",
        "2",
        "--sweep",
        "policies.\"front-end -> catalogue\".retry.max_attempts=1,3",
        "--format",
        "json",
    ];
    let whole = run(common).arg("--no-timing").exits_one_of(&[0, 1]);
    let mut shards = Vec::new();
    for k in 1..=3 {
        let path = dir.path().join(format!("shard-{k}.jsonl"));
        let shard = format!("{k}/3");
        run(common)
            .args(["--shard", &shard, "--output"])
            .arg(&path)
            .exits_any();
        assert!(path.exists(), "shard {k} written");
        shards.push(path);
    }
    // Shards in any order merge to the same report.
    shards.reverse();
    let merged = run(["merge", "--format", "json"]).args(&shards).exits_any();
    assert!(
        merged.stdout_bytes() == whole.stdout_bytes(),
        "merged:\n{}\nwhole:\n{}",
        merged.stdout().lines().count(),
        whole.stdout().lines().count()
    );
    let lines = whole.records();
    assert_eq!(lines.iter().filter(|l| l["type"] == "sweep").count(), 2);
    assert_eq!(
        lines.iter().filter(|l| l["type"] == "replication").count(),
        4
    );
    // A missing shard is an error, not a smaller report.
    run(["merge"])
        .args(&shards[..2])
        .exits(2)
        .stderr_has("missing");
}

#[test]
fn a_failed_expectation_exits_1_and_the_seed_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "outage.toml", &outage("", ""));
    let text = run(["simulate"]).arg(&file).exits(1).stdout();
    assert!(text.contains("seed 3"), "{text}");
    assert!(text.contains("verdict: FAIL"), "{text}");
}

#[test]
fn a_run_that_measured_nothing_fails_check_too_when_it_gates_no_slo() {
    // With nothing else to judge, `check` used to skip the experiment and pass while
    // `simulate` failed it.
    let dir = tempfile::tempdir().unwrap();
    let text = IDLE.replace(r#"expect = { slos = ["get"] }"#, "expect = { slos = [] }");
    assert_ne!(text, IDLE);
    let file = write(dir.path(), "idle.toml", &text);
    run(["simulate"])
        .arg(&file)
        .exits(2)
        .stdout_has("measured nothing");
    let checked = run(["check", "--format", "json"]).arg(&file).exits(2);
    let conservation = checked
        .records()
        .all("verdict")
        .into_iter()
        .find(|v| v["check"] == "x/simulate.conservation")
        .expect("check simulates an experiment that gates no SLO");
    assert_eq!(conservation["outcome"], "error", "{conservation}");
}

#[test]
fn a_window_as_long_as_the_run_is_called_the_whole_run() {
    // The 60 s window of a 20 s run is not a "worst 60 s window from 0 s".
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "outage.toml", &outage("", ""));
    let text = run(["simulate"]).arg(&file).exits(1).stdout();
    assert!(!text.contains("worst 60 s window"), "{text}");
    assert!(
        text.contains("MISSED  over the whole 20 s measured: 76."),
        "{text}"
    );
}

/// A front end whose back end fails half its calls for 10 of 20 s: its availability SLO is
/// violated, its latency SLO holds. `expect` is the experiment's `expect` line (or none);
/// `extra` is appended.
fn outage(expect: &str, extra: &str) -> String {
    format!(
        r#"name = "outage"
[services.front.endpoints.get]
public = true
work = {{ dist = "exponential", mean_ms = 1.0 }}
calls = ["back.work"]
[services.back.endpoints.work]
work = {{ dist = "exponential", mean_ms = 2.0 }}
[slos.get-availability]
endpoint = "front.get"
availability = 0.99
[slos.get-latency]
endpoint = "front.get"
latency_p99_ms = 1000
[experiments.outage]
duration_s = 20
seed = 3
load = [{{ endpoint = "front.get", arrival = "poisson", rate_per_s = 50 }}]
faults = [{{ at_s = 5, for_s = 10, errors = {{ target = "back", rate = 0.5 }} }}]
{expect}
{extra}"#
    )
}

/// `simulate`'s exit code and its `summary` record, and `check`'s exit code and its verdict on
/// `outage/slo.get-availability` (`None` when it makes no such check), on one file: the two
/// commands must agree.
fn simulate_and_check(file: &std::path::Path) -> (i32, String, i32, Option<Value>) {
    let simulated = run(["simulate", "--no-timing"])
        .arg(file)
        .exits_one_of(&[0, 1]);
    let json = run(["simulate", "--no-timing", "--format", "json"])
        .arg(file)
        .exits_one_of(&[0, 1]);
    assert_eq!(json.code(), simulated.code(), "the formats disagree");
    let checked = run(["check", "--format", "json"])
        .arg(file)
        .exits_one_of(&[0, 1]);
    let verdict = checked
        .records()
        .all("verdict")
        .into_iter()
        .find(|v| v["check"] == "outage/slo.get-availability");
    (
        simulated.code().unwrap(),
        simulated.stdout(),
        checked.code().unwrap(),
        verdict,
    )
}

#[test]
fn every_slo_its_load_reaches_is_gated_by_simulate_as_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "outage.toml", &outage("", ""));
    let (code, text, check_code, verdict) = simulate_and_check(&file);
    assert_eq!((code, check_code), (1, 1), "{text}");
    assert!(
        text.contains("slo get-availability (front.get): VIOLATED\n"),
        "{text}"
    );
    assert!(
        text.contains("slo get-latency (front.get): holds\n"),
        "{text}"
    );
    assert!(text.contains("verdict: FAIL"), "{text}");
    let verdict = verdict.expect("check gates the SLO no expect names");
    assert_eq!(verdict["status"], "violated");
    assert_eq!(verdict["outcome"], "fail");
}

#[test]
fn an_slo_left_out_of_expect_slos_is_marked_not_gated_and_passes_as_in_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "outage.toml",
        &outage(r#"expect = { slos = ["get-latency"] }"#, ""),
    );
    let (code, text, check_code, verdict) = simulate_and_check(&file);
    assert_eq!((code, check_code), (0, 0), "{text}");
    assert!(
        text.contains(
            "slo get-availability (front.get): VIOLATED (not gated: add it to expect.slos)\n"
        ),
        "{text}"
    );
    assert!(text.contains("verdict: PASS\n"), "{text}");
    assert!(verdict.is_none(), "check gated it: {verdict:?}");
    // `[]` gates none: the run still passes, and says what it did not judge.
    let file = write(
        dir.path(),
        "none.toml",
        &outage("expect = { slos = [] }", ""),
    );
    let (code, text, check_code, _) = simulate_and_check(&file);
    assert_eq!((code, check_code), (0, 0), "{text}");
    assert!(
        text.contains("slo get-latency (front.get): holds (not gated)"),
        "{text}"
    );
}

#[test]
fn a_violation_declared_in_expected_verdicts_passes_simulate_as_it_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let declared = "[expected_verdicts]\n\"outage/slo.get-availability\" = \"violated\"\n";
    let file = write(dir.path(), "outage.toml", &outage("", declared));
    let (code, text, check_code, verdict) = simulate_and_check(&file);
    assert_eq!((code, check_code), (0, 0), "{text}");
    assert!(
        text.contains("slo get-availability (front.get): violated, as expected\n"),
        "{text}"
    );
    assert!(
        text.contains("expect slo:get-availability: violated, as expected — availability"),
        "{text}"
    );
    assert!(
        text.contains("verdict: PASS (failed, as [expected_verdicts] declares)"),
        "{text}"
    );
    assert!(
        text.contains("1 experiment run: 1 passed, 0 failed"),
        "{text}"
    );
    let verdict = verdict.expect("check gates it");
    assert_eq!(verdict["expected"], "violated");
    assert_eq!(verdict["outcome"], "pass");
    // The JSON report says what was expected, and passes.
    let records = run(["simulate", "--no-timing", "--format", "json"])
        .arg(&file)
        .exits(0)
        .records();
    let summary = &records.record("experiment")["summary"];
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["expectations"][0]["expected"], "violated");
    assert_eq!(records.record("summary")["failed"], 0);

    // Declared violated but holding fails both, as a fixed bug must be undeclared.
    let declared = "[expected_verdicts]\n\"outage/slo.get-latency\" = \"violated\"\n";
    let file = write(
        dir.path(),
        "fixed.toml",
        &outage(r#"expect = { slos = ["get-latency"] }"#, declared),
    );
    let (code, text, check_code, _) = simulate_and_check(&file);
    assert_eq!((code, check_code), (1, 1), "{text}");
    assert!(
        text.contains(
            "slo get-latency (front.get): HOLDS, though [expected_verdicts] expects it violated"
        ),
        "{text}"
    );
    assert!(text.contains("verdict: FAIL"), "{text}");
}

#[test]
fn bad_input_exits_2() {
    run([
        "simulate",
        "scenarios/sock-shop.toml",
        "--experiment",
        "nope",
    ])
    .exits(2)
    .stderr_has("payment-outage");
    run(["simulate", "tests/bad/does-not-exist.toml"]).exits(2);
    run([
        "simulate",
        "scenarios/sock-shop.toml",
        "--sweep",
        "policies.\"front-end -> catalogue\".retry.max_attempts=banana",
    ])
    .exits(2);
    run(["simulate", "scenarios/sock-shop.toml", "--shard", "4/3"]).exits(2);
    assert!(root().join("scenarios").is_dir());
}

#[test]
fn a_sweep_plots_each_key_figure_across_its_points() {
    let dir = tempfile::tempdir().unwrap();
    run([
        "simulate",
        "scenarios/online-boutique.toml",
        "--experiment",
        "payment-outage",
        "--duration",
        "40",
        "--sweep",
        "policies.\"checkout -> payment\".retry.max_attempts=1,2,3",
        "--plot",
    ])
    .arg(dir.path())
    .exits(0);
    for figure in [
        "worst_availability",
        "worst_p99_ms",
        "max_edge_amplification",
        "max_service_amplification",
    ] {
        let path = dir
            .path()
            .join(format!("payment-outage-sweep-{figure}.svg"));
        let svg =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(svg.starts_with("<svg"), "{figure}");
        assert!(
            svg.contains(&format!("{figure} across the sweep")),
            "{figure}"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            3,
            "{figure}: one point per sweep value"
        );
        assert!(
            svg.contains("max_attempts=2"),
            "{figure}: points are labelled"
        );
    }
}

#[test]
fn alert_firings_zone_failovers_and_rollout_capacity_are_reported() {
    // Online Boutique's payment outage fires the checkout error-rate alert.
    let output = run([
        "simulate",
        "scenarios/online-boutique.toml",
        "--experiment",
        "payment-outage",
        "--format",
        "json",
    ])
    .exits_any();
    let lines = output.records();
    let report = &lines.iter().find(|l| l["type"] == "replication").unwrap()["data"]["report"];
    let alert = &report["alerts"]["checkout-errors"];
    assert!(!alert["firings"].as_array().unwrap().is_empty(), "{alert}");
    assert!(
        alert["time_to_detect_s"].as_f64().unwrap() >= 30.0,
        "{alert}"
    );
    assert_eq!(
        report["alerts"]["home-slow"]["firings"],
        serde_json::json!([])
    );

    // A zone outage under zone-aware routing, then a blue-green rollout, in human form.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zones.toml");
    std::fs::write(
        &file,
        r#"
name = "zones"
[network]
zones = ["a", "b"]
[services.front.endpoints.get]
public = true
calls = ["back.get"]
[services.back]
resources = { cpu_millis = 500, memory_mib = 256 }
[services.back.endpoints.get]
[deployment.front]
replicas = 2
zones = ["a"]
[deployment.back]
replicas = 2
zones = ["a", "b"]
locality = "prefer_same_zone"
strategy = { kind = "blue_green", restart_s = 5 }
[cluster.zones.a]
nodes = 1
node_cpu_millis = 800
node_memory_mib = 1024
[alerts.errors]
endpoint = "front.get"
metric = "error_rate"
above = 0.07
[experiments.outage]
duration_s = 30
load = [{ endpoint = "front.get", rate_per_s = 50 }]
faults = [{ at_s = 5, for_s = 5, crash = "back", zone = "a" }, { at_s = 15, deploy = "back" }]
"#,
    )
    .unwrap();
    let text = run(["simulate"]).arg(&file).exits(0).stdout();
    assert!(
        text.contains("alert errors (front.get error_rate > 7% for 0 s): quiet"),
        "{text}"
    );
    assert!(text.contains("zone failover front -> back: "), "{text}");
    assert!(
        text.contains("capacity a: peak 4 replicas at 15 s (from 3), 1000 of 800 millicores, 512 of 1024 MiB: EXCEEDS the zone"),
        "{text}"
    );
}

#[test]
fn a_duration_the_simulator_cannot_hold_is_refused_on_the_command_line() {
    // 1e300 s overflowed to a run of 0 s, 0 requests, every SLO holding: PASS, exit 0.
    for d in ["1e300", "2e9"] {
        run([
            "simulate",
            "scenarios/online-boutique.toml",
            "--experiment",
            "payment-outage",
            "--duration",
            d,
        ])
        .exits(2)
        .stderr_has("--duration");
    }
    // A swept duration too, before anything runs, naming the point (or refused by validation,
    // which names the key).
    run([
        "simulate",
        "scenarios/online-boutique.toml",
        "--experiment",
        "payment-outage",
        "--sweep",
        "experiments.payment-outage.duration_s=300,1e308",
    ])
    .exits(2)
    .stderr_has("duration_s");
}

#[test]
fn a_run_that_measured_no_request_is_an_error_as_in_check() {
    // `check` reports it as an error and exits 2 (it decides nothing); `simulate` exited 1
    // with a FAIL, as if the architecture had failed.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "idle.toml", IDLE);
    let text = run(["simulate"]).arg(&file).exits(2).stdout();
    assert!(
        text.contains("measured nothing: the load declared made no request"),
        "{text}"
    );
    assert!(
        text.contains("verdict: ERROR (the run measured nothing, so it decides nothing)"),
        "{text}"
    );
    assert!(
        text.contains("1 experiment run: 0 passed, 0 failed, 1 measured nothing"),
        "{text}"
    );
    let records = run(["simulate", "--format", "json"])
        .arg(&file)
        .exits(2)
        .records();
    assert_eq!(records.record("summary")["errors"], 1);
    run(["check"]).arg(&file).exits(2);
}

#[test]
fn a_bucket_width_asked_for_is_kept_and_one_too_fine_is_refused() {
    let bucket_of = |extra: &[&str]| -> Value {
        let mut args = vec![
            "simulate",
            "scenarios/online-boutique.toml",
            "--experiment",
            "payment-outage",
            "--duration",
            "60",
            "--no-timing",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let lines = run(&args).exits_one_of(&[0, 1]).records();
        let report = &lines.iter().find(|l| l["type"] == "replication").unwrap()["data"]["report"];
        report["bucket_s"].clone()
    };
    assert_eq!(bucket_of(&[]), 1.0);
    assert_eq!(bucket_of(&["--bucket", "5"]), 5.0);
    run([
        "simulate",
        "scenarios/online-boutique.toml",
        "--experiment",
        "payment-outage",
        "--duration",
        "30000",
        "--bucket",
        "0.1",
    ])
    .exits(2)
    .stderr_has("more than the 100000 a run keeps");
}

#[test]
fn a_timeout_cuts_a_long_run_short_and_it_fails() {
    // A million requests a simulated second for 35 days: hours of work, stopped after one
    // second of wall time, reported as cut short, never a pass.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "flood.toml", &flood(3_000_000));
    let started = std::time::Instant::now();
    let text = run(["simulate"])
        .arg(&file)
        .args(["--timeout", "1"])
        .timeout(std::time::Duration::from_secs(120))
        .exits(1)
        .stdout();
    assert!(text.contains("cut short: deadline at"), "{text}");
    assert!(text.contains("verdict: FAIL"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}
