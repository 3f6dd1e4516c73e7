//! Each fault kind and each policy moves the outcome of a small scenario in the expected
//! direction, and the engine is deterministic: same seed, same report; any thread count, same
//! replications.

use microcosm_model::{Format, Scenario, load_str};
use microcosm_simulator::{Sim, SimReport, report, run_replications};

fn scenario(text: &str) -> Scenario {
    load_str(
        text,
        std::path::Path::new("behaviour.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
    .scenario
}

/// `front` calls `back` (two replicas in two zones unless `back` gives its deployment).
fn base(policy: &str, faults: &str, back: &str) -> Scenario {
    let back = if back.is_empty() {
        "replicas = 2\nzones = [\"z1\", \"z2\"]"
    } else {
        back
    };
    scenario(&format!(
        r#"
name = "pair"
[network]
latency = {{ dist = "constant", ms = 0.5 }}
zones = ["z1", "z2"]
[services.front.endpoints.get]
public = true
work = {{ dist = "exponential", mean_ms = 1.0 }}
calls = ["back.get"]
[services.back.endpoints.get]
work = {{ dist = "exponential", mean_ms = 2.0 }}
[deployment.front]
replicas = 2
zones = ["z1", "z2"]
[deployment.back]
{back}
[policies."front -> back"]
{policy}
[experiments.x]
duration_s = 30
load = [{{ endpoint = "front.get", arrival = "poisson", rate_per_s = 200 }}]
faults = [{faults}]
"#
    ))
}

fn run(s: &Scenario) -> SimReport {
    let mut sim = Sim::builder(s, 7).experiment("x").build().unwrap();
    sim.run();
    let r = report::build(&sim, s);
    assert!(r.conservation.holds, "{:?}", r.conservation);
    r
}

fn entry(r: &SimReport) -> &report::EndpointReport {
    &r.endpoints["front.get"]
}

fn cause(r: &SimReport, c: &str) -> u64 {
    entry(r).errors_by_cause.get(c).copied().unwrap_or(0)
}

#[test]
fn faults_move_the_outcome() {
    let healthy = run(&base("", "", ""));
    assert_eq!(entry(&healthy).errors, 0);

    let crash = run(&base(
        "",
        r#"{ at_s = 10, for_s = 10, crash = "back" }"#,
        "",
    ));
    assert!(
        cause(&crash, "crash") > 1000,
        "{:?}",
        entry(&crash).errors_by_cause
    );
    let one = run(&base(
        "",
        r#"{ at_s = 10, for_s = 10, crash = "back", replicas = 1 }"#,
        "",
    ));
    assert!(cause(&one, "crash") > 500 && cause(&one, "crash") < cause(&crash, "crash"));

    let latency = run(&base(
        "",
        r#"{ at_s = 0, latency = { link = "front -> back", add_ms = 20 } }"#,
        "",
    ));
    assert!(entry(&latency).latency_ms.p50 > entry(&healthy).latency_ms.p50 + 39.0);

    let errors = run(&base(
        "",
        r#"{ at_s = 0, errors = { target = "back", rate = 0.2 } }"#,
        "",
    ));
    let rate = entry(&errors).errors as f64 / entry(&errors).requests as f64;
    assert!((rate - 0.2).abs() < 0.02, "{rate}");

    let partition = run(&base(
        "timeout_ms = 50",
        r#"{ at_s = 10, for_s = 10, partition = { from = "zone:z1", to = "zone:z2" } }"#,
        "",
    ));
    assert!(cause(&partition, "partition") > 500);
    let one_way = run(&base(
        "timeout_ms = 50",
        r#"{ at_s = 10, for_s = 10, partition = { from = "front", to = "back", one_way = true } }"#,
        "",
    ));
    assert!(cause(&one_way, "partition") > 1500);

    let slow = run(&base(
        "",
        r#"{ at_s = 0, slowdown = { service = "back", factor = 3.0 } }"#,
        "",
    ));
    assert!(entry(&slow).latency_ms.mean > entry(&healthy).latency_ms.mean + 3.0);

    // A rolling deploy of a single-replica service leaves nobody in rotation while it restarts.
    let deploy = run(&base(
        "",
        r#"{ at_s = 5, deploy = "back" }"#,
        "replicas = 1\nstrategy = { kind = \"rolling\", restart_s = 5 }",
    ));
    assert!(cause(&deploy, "unavailable") > 500);
}

#[test]
fn policies_move_the_outcome() {
    let faults = r#"{ at_s = 0, errors = { target = "back", rate = 0.3 } }"#;
    let bare = run(&base("", faults, ""));
    let retry = run(&base(
        "retry = { max_attempts = 3, wait_ms = 1 }",
        faults,
        "",
    ));
    assert!(entry(&retry).availability > 0.95 && entry(&bare).availability < 0.75);
    assert!(retry.edges["front -> back"].amplification > 1.3);
    let budget = run(&base(
        "retry = { max_attempts = 3, wait_ms = 1, budget = { ratio = 0.1, min_per_s = 0 } }",
        faults,
        "",
    ));
    let b = &budget.edges["front -> back"];
    assert!(
        b.budget_exhausted > 0 && b.amplification < 1.15,
        "{}",
        b.amplification
    );

    let fallback = run(&base("fallback = {}", faults, ""));
    assert_eq!(entry(&fallback).errors, 0);
    assert!(entry(&fallback).degraded > 1000);

    let slow = r#"{ at_s = 0, slowdown = { service = "back", factor = 50.0 } }"#;
    let timeout = run(&base("timeout_ms = 30", slow, ""));
    // The attempt is cut at 30 ms; the front's own work (exponential, mean 1 ms) comes on top.
    assert!(entry(&timeout).latency_ms.max < 50.0 && cause(&timeout, "timeout") > 0);
    let deadline = run(&base(
        "timeout_ms = 30\ndeadline_ms = 45\nretry = { max_attempts = 5, wait_ms = 1 }",
        slow,
        "",
    ));
    assert!(entry(&deadline).latency_ms.max < 65.0 && cause(&deadline, "deadline") > 0);

    let crash = r#"{ at_s = 5, crash = "back" }"#;
    let no_breaker = run(&base("timeout_ms = 100", crash, ""));
    let breaker = run(&base(
        "timeout_ms = 100\ncircuit_breaker = { sliding_window_size = 20, minimum_number_of_calls = 10, wait_duration_in_open_state_ms = 5000, permitted_number_of_calls_in_half_open_state = 2 }",
        crash,
        "",
    ));
    assert!(
        breaker.edges["front -> back"].attempts * 5 < no_breaker.edges["front -> back"].attempts
    );
    assert!(cause(&breaker, "breaker_open") > 1000);

    // Four concurrent calls at most per caller replica, while back is slowed 20-fold.
    let bulk = run(&base(
        "bulkhead = { max_concurrent_calls = 4 }",
        r#"{ at_s = 0, slowdown = { service = "back", factor = 20.0 } }"#,
        "",
    ));
    assert!(cause(&bulk, "bulkhead") > 100);

    let limited = run(&base(
        "rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 100 }",
        "",
        "",
    ));
    // 2 caller replicas × 50 calls/s against 200 calls/s.
    let ok = entry(&limited).requests - cause(&limited, "rate_limited");
    assert!((ok as f64 / 30.0 - 100.0).abs() < 10.0, "{ok}");

    let one_down = r#"{ at_s = 0, crash = "back", replicas = 1 }"#;
    let plain = run(&base("", one_down, ""));
    let ejecting = run(&base(
        "outlier_detection = { consecutive_errors = 3, base_ejection_time_ms = 60000, max_ejection_fraction = 0.5 }",
        one_down,
        "",
    ));
    assert!(entry(&plain).availability < 0.6);
    assert!(
        entry(&ejecting).availability > 0.99,
        "{}",
        entry(&ejecting).availability
    );
    assert!(ejecting.edges["front -> back"].ejections >= 2);
}

#[test]
fn every_load_balancer_spreads_the_load() {
    for lb in ["round_robin", "random", "least_outstanding", "power_of_two"] {
        let r = run(&base(
            "",
            "",
            &format!("replicas = 2\nload_balancer = \"{lb}\""),
        ));
        assert_eq!(entry(&r).errors, 0, "{lb}");
        let u = r.services["back"].utilisation;
        assert!((u - 200.0 * 0.002 / 32.0).abs() < 0.01, "{lb}: {u}");
    }
}

#[test]
fn arrival_patterns_deliver_their_rates() {
    for (load, expected) in [
        (
            r#"{ endpoint = "a.x", arrival = "constant", rate_per_s = 100 }"#,
            1000.0,
        ),
        (
            r#"{ endpoint = "a.x", arrival = "poisson", rate_per_s = 100 }"#,
            1000.0,
        ),
        (
            r#"{ endpoint = "a.x", arrival = "ramp", rate_per_s = 0, to_rate_per_s = 200 }"#,
            1000.0,
        ),
        (
            r#"{ endpoint = "a.x", arrival = "step", steps = [{ at_s = 0, rate_per_s = 50 }, { at_s = 5, rate_per_s = 150 }] }"#,
            1000.0,
        ),
        (
            r#"{ endpoint = "a.x", arrival = "closed", users = 10, think_time_ms = 99 }"#,
            1000.0,
        ),
    ] {
        let s = scenario(&format!(
            "name = \"l\"\n[network]\nlatency = {{ dist = \"constant\", ms = 0 }}\n[services.a.endpoints.x]\npublic = true\n[experiments.x]\nduration_s = 10\nload = [{load}]\n"
        ));
        let r = run(&s);
        let n = r.endpoints["a.x"].requests as f64;
        assert!((n - expected).abs() < expected * 0.1, "{load}: {n}");
    }
}

#[test]
fn the_same_seed_gives_the_same_report_on_any_number_of_threads() {
    let s = base(
        "timeout_ms = 20\nretry = { max_attempts = 3, wait_ms = 2, jitter = \"full\" }",
        r#"{ at_s = 5, for_s = 10, slowdown = { service = "back", factor = 8.0 } }"#,
        "",
    );
    let a = serde_json::to_string(&run(&s)).unwrap();
    let b = serde_json::to_string(&run(&s)).unwrap();
    assert_eq!(a, b);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| run_replications(&s, "x", 7, 4, Some(10.0)).unwrap());
    let two = pool(2).install(|| run_replications(&s, "x", 7, 4, Some(10.0)).unwrap());
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    assert_ne!(one[0].seed, one[1].seed);
    assert_ne!(one[0].events, one[1].events);
}

#[test]
fn the_engine_can_be_stepped_and_faulted_by_hand() {
    let s = base("timeout_ms = 50", "", "");
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .duration_s(10.0)
        .build()
        .unwrap();
    assert!(sim.step());
    assert_eq!(sim.events(), 1);
    sim.run_until(2_000_000_000);
    sim.crash("back", None).unwrap();
    sim.run_until(4_000_000_000);
    sim.recover("back").unwrap();
    sim.partition("front", "back", false);
    sim.run_until(5_000_000_000);
    sim.heal("front", "back");
    sim.set_link_latency("front -> back", 5.0).unwrap();
    sim.inject_errors("back.get", 0.5);
    sim.slow_down("back", 2.0).unwrap();
    sim.run();
    let r = report::build(&sim, &s);
    assert!(r.conservation.holds);
    for c in ["crash", "partition", "injected"] {
        assert!(cause(&r, c) > 0, "{c}: {:?}", entry(&r).errors_by_cause);
    }
    assert!(sim.crash("nope", None).is_err());
}
