//! Operating an architecture: zone-aware routing keeps calls in their zone and fails over when
//! the zone dies, blue-green and canary rollouts change capacity and traffic the way their
//! strategies say, and alert rules fire after their `for_s` and resolve when the fault ends.

use microcosm_model::{Format, Scenario, load_str};
use microcosm_simulator::{Sim, SimReport, report};

fn scenario(text: &str) -> Scenario {
    load_str(
        text,
        std::path::Path::new("operations.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
    .scenario
}

fn run(s: &Scenario) -> SimReport {
    let mut sim = Sim::builder(s, 5).experiment("x").build().unwrap();
    sim.run();
    let r = report::build(&sim, s);
    assert!(r.conservation.holds, "{:?}", r.conservation);
    r
}

/// `front` (two replicas, zones `front_zones`) calls `back` (deployment `back`), with `extra`
/// appended (alerts, cluster, policies) and the experiment `x` running `faults` at `rate` per s.
fn pair(
    front_zones: &str,
    back: &str,
    extra: &str,
    rate: u32,
    duration: u32,
    faults: &str,
) -> Scenario {
    scenario(&format!(
        r#"
name = "ops"
[network]
latency = {{ dist = "constant", ms = 0.2 }}
cross_zone_latency = {{ dist = "constant", ms = 1.0 }}
zones = ["a", "b"]
[services.front.endpoints.get]
public = true
work = {{ dist = "exponential", mean_ms = 0.5 }}
calls = ["back.get"]
[services.back]
resources = {{ cpu_millis = 500, memory_mib = 256 }}
[services.back.endpoints.get]
work = {{ dist = "exponential", mean_ms = 2.0 }}
[deployment.front]
replicas = 2
zones = {front_zones}
workers = 64
[deployment.back]
{back}
{extra}
[experiments.x]
duration_s = {duration}
load = [{{ endpoint = "front.get", arrival = "poisson", rate_per_s = {rate} }}]
faults = [{faults}]
"#
    ))
}

fn entry(r: &SimReport) -> &report::EndpointReport {
    &r.endpoints["front.get"]
}

// ─── zone-aware routing ─────────────────────────────────────────────────────────────────────

fn zonal(locality: &str, faults: &str, policy: &str) -> SimReport {
    run(&pair(
        r#"["a"]"#,
        &format!("replicas = 4\nzones = [\"a\", \"b\"]\nlocality = \"{locality}\""),
        policy,
        200,
        30,
        faults,
    ))
}

/// Cross-zone attempts over attempts in buckets `from..to`.
fn cross_share(r: &SimReport, from: usize, to: usize) -> f64 {
    let series = &r.edges["front -> back"].series[from..to];
    let attempts: u64 = series.iter().map(|p| p.attempts).sum();
    let cross: u64 = series.iter().map(|p| p.cross_zone_attempts).sum();
    cross as f64 / attempts.max(1) as f64
}

#[test]
fn zone_aware_routing_fails_over_when_the_callers_zone_dies() {
    let outage = r#"{ at_s = 10, for_s = 10, crash = "back", zone = "a" }"#;
    let blind = zonal("any", outage, "");
    let aware = zonal("prefer_same_zone", outage, "");

    // Zone-blind round robin keeps sending half the calls into the dead zone.
    let lost = entry(&blind)
        .errors_by_cause
        .get("crash")
        .copied()
        .unwrap_or(0);
    assert!(lost > 800, "{:?}", entry(&blind).errors_by_cause);
    assert!(entry(&blind).availability < 0.9);
    // Zone-aware routing loses only the requests the crash itself interrupts.
    assert!(
        entry(&aware).errors <= 5,
        "{:?}",
        entry(&aware).errors_by_cause
    );

    // Calls stay in zone a until it dies, all cross during the outage, and come back after.
    assert_eq!(cross_share(&aware, 0, 10), 0.0);
    assert!(
        cross_share(&aware, 11, 20) > 0.99,
        "{}",
        cross_share(&aware, 11, 20)
    );
    assert!(cross_share(&aware, 21, 30) < 0.01);
    let edge = &aware.edges["front -> back"];
    let in_outage: u64 = edge.series[11..20].iter().map(|p| p.zone_failovers).sum();
    assert!(in_outage > 1500, "{in_outage}");
    assert_eq!(edge.zone_failovers, edge.cross_zone_attempts);
    // Zone-blind routing crosses half the time, and never "fails over".
    let share = cross_share(&blind, 0, 10);
    assert!((share - 0.5).abs() < 0.05, "{share}");
    assert_eq!(blind.edges["front -> back"].zone_failovers, 0);
}

#[test]
fn proportional_zone_routing_spills_what_a_small_zone_cannot_carry() {
    let with = |locality: &str, faults: &str| {
        run(&pair(
            r#"["a", "b"]"#,
            &format!("replicas = 3\nzones = [\"a\", \"b\"]\nlocality = \"{locality}\""),
            "",
            200,
            30,
            faults,
        ))
    };
    // Callers are split evenly over zones a and b; the three back replicas are two in a, one
    // in b. Strictly local routing keeps every call in its zone, so b's one replica takes half
    // the load.
    let strict = with("prefer_same_zone", "");
    assert_eq!(cross_share(&strict, 0, 30), 0.0);
    // Spill-over: b holds a third of the replicas for half the callers, so it keeps two
    // thirds of its callers' calls and spills a third of them (a sixth of all calls) to a,
    // which leaves every replica a third of the load. Spilling is not failing over.
    let spill = with("proportional", "");
    let share = cross_share(&spill, 0, 30);
    assert!((share - 1.0 / 6.0).abs() < 0.03, "{share}");
    assert_eq!(spill.edges["front -> back"].zone_failovers, 0);
    // With zone a's replicas dead, a's callers fail over entirely, as with strict routing.
    let outage = with(
        "proportional",
        r#"{ at_s = 10, for_s = 10, crash = "back", zone = "a" }"#,
    );
    assert!(
        cross_share(&outage, 11, 20) > 0.45,
        "{}",
        cross_share(&outage, 11, 20)
    );
    assert!(outage.edges["front -> back"].zone_failovers > 0);
    assert!(
        entry(&outage).errors <= 5,
        "{:?}",
        entry(&outage).errors_by_cause
    );
}

#[test]
fn zone_aware_routing_avoids_a_zone_cut_off_from_the_caller() {
    let cut = r#"{ at_s = 10, for_s = 10, partition = { from = "front", to = "zone:a" } }"#;
    let policy = "[policies.\"front -> back\"]\ntimeout_ms = 50";
    let blind = zonal("any", cut, policy);
    let aware = zonal("prefer_same_zone", cut, policy);
    assert!(
        entry(&blind)
            .errors_by_cause
            .get("partition")
            .copied()
            .unwrap_or(0)
            > 800,
        "{:?}",
        entry(&blind).errors_by_cause
    );
    assert_eq!(
        entry(&aware).errors,
        0,
        "{:?}",
        entry(&aware).errors_by_cause
    );
    assert!(cross_share(&aware, 11, 20) > 0.99);
    assert!(aware.edges["front -> back"].zone_failovers > 1500);
}

// ─── rollouts ───────────────────────────────────────────────────────────────────────────────

/// A rollout of `back` (4 replicas of 2 workers at 60% load) at 5 s, under `strategy`.
fn rollout(strategy: &str, deploy: &str) -> SimReport {
    rollout_at(2400, strategy, deploy)
}

/// [`rollout`] at `rate` requests per second (2,400 is 60% load).
fn rollout_at(rate: u32, strategy: &str, deploy: &str) -> SimReport {
    run(&pair(
        r#"["a", "b"]"#,
        &format!(
            "replicas = 4\nzones = [\"a\", \"b\"]\nworkers = 2\nqueue_capacity = 50\nstrategy = {strategy}"
        ),
        "[cluster.zones.a]\nnodes = 1\nnode_cpu_millis = 1500\nnode_memory_mib = 4096\n\
         [cluster.zones.b]\nnodes = 1\nnode_cpu_millis = 4000\nnode_memory_mib = 4096",
        rate,
        40,
        &format!("{{ at_s = 5, deploy = \"back\"{deploy} }}"),
    ))
}

#[test]
fn blue_green_keeps_full_capacity_where_a_rolling_deploy_dips() {
    let rolling = rollout(
        r#"{ kind = "rolling", max_unavailable = 2, restart_s = 10 }"#,
        "",
    );
    let blue_green = rollout(r#"{ kind = "blue_green", restart_s = 10 }"#, "");

    // Half the replicas away for 20 s at 60% load: the other half saturates and sheds.
    let shed = entry(&rolling)
        .errors_by_cause
        .get("shed")
        .copied()
        .unwrap_or(0);
    assert!(shed > 2000, "{:?}", entry(&rolling).errors_by_cause);
    assert_eq!(
        entry(&blue_green).errors,
        0,
        "{:?}",
        entry(&blue_green).errors_by_cause
    );

    // Both sets run for the 10 s the green set takes to start: capacity doubles, then the
    // blue set is retired.
    assert_eq!(rolling.services["back"].peak_replicas, 4);
    assert_eq!(blue_green.services["back"].peak_replicas, 8);
    let series = &blue_green.services["back"].series;
    assert_eq!(series[3].replicas_up, 4);
    assert_eq!(series[10].replicas_up, 8);
    assert_eq!(series[20].replicas_up, 4);
    // Zone a holds two back replicas (500 millicores each) and has 1,500 millicores: the
    // blue-green peak does not fit there; zone b's does.
    let a = &blue_green.capacity["a"];
    assert_eq!((a.cpu_millis, a.peak_cpu_millis), (1000, 2000));
    assert_eq!((a.peak_replicas, a.peak_at_s), (5, 5.0));
    assert_eq!(a.cpu_millis_capacity, Some(1500));
    assert!(!a.fits);
    assert!(blue_green.capacity["b"].fits);
    assert!(rolling.capacity["a"].fits);
}

#[test]
fn a_faulty_canary_fails_in_proportion_to_its_weight() {
    let r = rollout(
        r#"{ kind = "canary", weights = [0.1, 0.5, 1], step_s = 10 }"#,
        ", new_version = { error_rate = 0.5 }",
    );
    let series = &r.endpoints["front.get"].series;
    let rate = |from: usize, to: usize| {
        let s = &series[from..to];
        let errors: u64 = s.iter().map(|p| p.errors).sum();
        let requests: u64 = s.iter().map(|p| p.requests).sum();
        errors as f64 / requests as f64
    };
    // The canary takes 10%, 50%, then 100% of the traffic, and fails half of what it gets.
    let steps = [
        rate(0, 5),
        rate(6, 15),
        rate(16, 25),
        rate(26, 35),
        rate(36, 40),
    ];
    assert_eq!(steps[0], 0.0);
    for (got, want) in steps[1..].iter().zip([0.05, 0.25, 0.5, 0.5]) {
        assert!((got - want).abs() < 0.03, "{steps:?}");
    }
    // One canary replica at 10%, two at 50%, four at 100%, beside the four stable ones, which
    // are retired on promotion.
    let up: Vec<u32> = [3, 10, 20, 30, 38]
        .iter()
        .map(|&b| r.services["back"].series[b].replicas_up)
        .collect();
    assert_eq!(up, vec![4, 5, 6, 8, 4]);

    // A slower new version (at a load it can carry) shows in latency the same way: the mean
    // rises by half the extra work at 50%, and by all of it at 100%.
    let slow = rollout_at(
        600,
        r#"{ kind = "canary", weights = [0.5, 1], step_s = 10 }"#,
        ", new_version = { slowdown = 3.0 }",
    );
    let mean = |from: usize, to: usize| {
        let s = &slow.endpoints["front.get"].series[from..to];
        s.iter().map(|p| p.mean_ms).sum::<f64>() / s.len() as f64
    };
    let (before, half, all) = (mean(0, 5), mean(6, 15), mean(16, 25));
    // The new version's work takes 6 ms on average instead of 2.
    assert!((half - before - 2.0).abs() < 0.8, "{before} {half} {all}");
    assert!((all - before - 4.0).abs() < 1.2, "{before} {half} {all}");
}

#[test]
fn a_canary_analysis_rolls_a_faulty_version_back_after_its_first_step() {
    let r = rollout(
        r#"{ kind = "canary", weights = [0.1, 0.5, 1], step_s = 10, max_error_rate = 0.1 }"#,
        ", new_version = { error_rate = 0.5 }",
    );
    assert_eq!(r.rollouts.len(), 1);
    let ro = &r.rollouts[0];
    assert_eq!(
        (ro.service.as_str(), ro.strategy.as_str()),
        ("back", "canary")
    );
    assert_eq!(ro.outcome, "rolled_back");
    assert_eq!(
        (ro.started_s, ro.at_s, ro.failed_step),
        (5.0, Some(15.0), Some(0))
    );
    let rate = ro.error_rate.unwrap();
    assert!((rate - 0.5).abs() < 0.1, "{rate}");
    // The 10% step cost about 5% of the requests; after the rollback, none fail and the
    // canary replica has stopped.
    let series = &r.endpoints["front.get"].series;
    let errors = |from: usize, to: usize| series[from..to].iter().map(|p| p.errors).sum::<u64>();
    assert!(errors(6, 15) > 0);
    assert_eq!(errors(16, 40), 0);
    assert_eq!(r.services["back"].series[30].replicas_up, 4);

    // A healthy version passes every analysis and is promoted.
    let ok = rollout(
        r#"{ kind = "canary", weights = [0.1, 0.5, 1], step_s = 10, max_error_rate = 0.1 }"#,
        "",
    );
    assert_eq!(ok.rollouts[0].outcome, "promoted");
    assert_eq!(ok.rollouts[0].at_s, Some(35.0));
    assert_eq!(ok.rollouts[0].failed_step, None);
}

#[test]
fn rollouts_are_deterministic() {
    let a = rollout(
        r#"{ kind = "canary", weights = [0.25, 1], step_s = 10 }"#,
        ", new_version = { error_rate = 0.2, slowdown = 1.5 }",
    );
    let b = rollout(
        r#"{ kind = "canary", weights = [0.25, 1], step_s = 10 }"#,
        ", new_version = { error_rate = 0.2, slowdown = 1.5 }",
    );
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

// ─── alerts ─────────────────────────────────────────────────────────────────────────────────

const ALERTS: &str = r#"
[alerts.errors]
endpoint = "front.get"
metric = "error_rate"
above = 0.05
for_s = 10
[alerts.slow]
endpoint = "front.get"
metric = "latency_p99_ms"
above = 100
for_s = 5
[alerts.surge]
endpoint = "front.get"
metric = "rate_per_s"
above = 400
"#;

fn alerted(faults: &str) -> SimReport {
    run(&pair(
        r#"["a", "b"]"#,
        "replicas = 2\nzones = [\"a\", \"b\"]",
        ALERTS,
        200,
        60,
        faults,
    ))
}

#[test]
fn an_error_alert_fires_after_its_for_and_resolves_after_the_fault() {
    let r = alerted(r#"{ at_s = 20, for_s = 20, errors = { target = "back", rate = 0.3 } }"#);
    let a = &r.alerts["errors"];
    assert_eq!(a.firings.len(), 1, "{a:?}");
    let f = &a.firings[0];
    // Pending from the fault's first bucket, firing once it has lasted 10 s, not before.
    assert_eq!(f.pending_since_s, 20.0);
    assert_eq!(f.start_s, 30.0);
    assert_eq!(a.time_to_detect_s, Some(10.0));
    // Resolved at the end of the first clean bucket after the fault.
    let end = f.end_s.expect("resolved");
    assert!((41.0..=42.0).contains(&end), "{end}");
    assert!((f.peak - 0.3).abs() < 0.1, "{}", f.peak);
    assert!(!a.firing_at_end);
    assert_eq!(a.firings_before_first_fault, 0);
    assert!(r.alerts["slow"].firings.is_empty());
    assert!(r.alerts["surge"].firings.is_empty());

    // A 5 s burst never lasts the 10 s `for`.
    let short = alerted(r#"{ at_s = 20, for_s = 5, errors = { target = "back", rate = 0.3 } }"#);
    assert!(short.alerts["errors"].firings.is_empty());
    assert_eq!(short.alerts["errors"].time_to_detect_s, None);
}

#[test]
fn an_alert_expectation_holds_when_it_fires_in_time() {
    use microcosm_model::Judged;
    use microcosm_simulator::report::expectations;
    use std::collections::BTreeMap;
    let r = alerted(r#"{ at_s = 20, for_s = 20, errors = { target = "back", rate = 0.3 } }"#);
    // Detected 10 s after the fault: within 15 s, not within 5 s.
    let x = expectations(&r, &[Judged::Alert("errors", 15.0)], &BTreeMap::new());
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].name, "alert:errors");
    assert!(x[0].holds, "{}", x[0].detail);
    assert!(x[0].detail.contains("fired 10.0 s after the first fault"));
    let x = expectations(&r, &[Judged::Alert("errors", 5.0)], &BTreeMap::new());
    assert!(!x[0].holds, "{}", x[0].detail);
    // A burst too short to fire it: never detected.
    let short = alerted(r#"{ at_s = 20, for_s = 5, errors = { target = "back", rate = 0.3 } }"#);
    let x = expectations(&short, &[Judged::Alert("errors", 60.0)], &BTreeMap::new());
    assert!(!x[0].holds);
    assert!(x[0].detail.contains("never fired"), "{}", x[0].detail);
}

#[test]
fn no_alert_fires_on_a_healthy_run() {
    let r = alerted("");
    for (name, a) in &r.alerts {
        assert!(a.firings.is_empty(), "{name}: {a:?}");
        assert!(!a.firing_at_end);
    }
    assert_eq!(r.alerts.len(), 3);
}
