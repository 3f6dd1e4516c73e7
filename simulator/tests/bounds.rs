//! A run's memory and wall time are bounded whatever it is asked, and a run that measured
//! nothing or was cut short never passes: durations the clock cannot hold are refused, the
//! time series keep a bounded number of points as the duration grows, an explicit bucket width
//! is kept or refused with the limit, and a deadline stops even a run whose simulated
//! milliseconds hold unbounded numbers of events.

use std::time::{Duration, Instant};

use microcosm_model::{Format, Scenario, load_str};
use microcosm_simulator::limits::{MAX_EXPLICIT_POINTS, MAX_POINTS};
use microcosm_simulator::{Interrupt, MAX_DURATION_S, Sim, SimReport, Stop, report};

fn scenario(text: &str) -> Scenario {
    load_str(
        text,
        std::path::Path::new("bounds.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
    .scenario
}

/// `front` calls `back` through a retrying, breaking edge, under Poisson load at `rate` per
/// second for `duration` seconds, with an SLO and an alert on the entry endpoint.
fn pair(rate: f64, duration: f64, extra: &str) -> Scenario {
    scenario(&format!(
        r#"
name = "pair"
[services.front.endpoints.get]
public = true
work = {{ dist = "exponential", mean_ms = 1.0 }}
calls = ["back.get"]
[services.back.endpoints.get]
work = {{ dist = "exponential", mean_ms = 2.0 }}
[policies."front -> back"]
timeout_ms = 50
retry = {{ max_attempts = 3, wait_ms = 5 }}
circuit_breaker = {{ failure_rate_threshold = 0.5, sliding_window_size = 10, minimum_number_of_calls = 5, wait_duration_in_open_state_ms = 1000 }}
[slos.get]
endpoint = "front.get"
availability = 0.5
window_s = 60
[alerts.errors]
endpoint = "front.get"
metric = "error_rate"
above = 0.5
for_s = 10
[experiments.x]
duration_s = {duration}
load = [{{ endpoint = "front.get", arrival = "poisson", rate_per_s = {rate} }}]
faults = [{{ at_s = 5, for_s = 5, crash = "back" }}]
expect = {{ slos = ["get"] }}
{extra}
"#
    ))
}

fn run(s: &Scenario) -> SimReport {
    let mut sim = Sim::builder(s, 3).experiment("x").build().unwrap();
    sim.run();
    report::build(&sim, s)
}

/// The longest per-bucket series of a report.
fn longest_series(r: &SimReport) -> usize {
    let endpoints = r.endpoints.values().map(|e| e.series.len());
    let edges = r.edges.values().map(|e| e.series.len());
    let services = r.services.values().map(|s| s.series.len());
    let breakers = r.breakers.values().map(|b| b.series.len());
    endpoints
        .chain(edges)
        .chain(services)
        .chain(breakers)
        .max()
        .unwrap()
}

#[test]
fn a_duration_the_clock_cannot_hold_is_refused_not_run_as_zero_seconds() {
    let s = pair(10.0, 100.0, "");
    for d in [1e300, f64::MAX, MAX_DURATION_S * 2.0] {
        let e = Sim::builder(&s, 1)
            .experiment("x")
            .duration_s(d)
            .build()
            .expect_err("refused");
        let message = e.to_string();
        assert!(
            message.contains("longer than the simulator can run"),
            "{message}"
        );
        assert!(message.contains("1000000000 s"), "{message}");
    }
    // Below a nanosecond is no run either.
    let e = Sim::builder(&s, 1)
        .experiment("x")
        .duration_s(1e-10)
        .build()
        .expect_err("refused");
    assert!(e.to_string().contains("clock tick"), "{e}");
}

#[test]
fn a_run_that_measured_no_request_never_passes() {
    // One request every 1000 s, for 100 s: the SLO "holds" on no request at all.
    let r = run(&pair(0.001, 100.0, ""));
    assert_eq!(r.conservation.generated, 0);
    assert!(r.expectations.iter().all(|e| e.holds), "vacuously");
    assert!(!r.passed, "a run that measured nothing passed");
    let why = r.vacuous.as_deref().expect("says why");
    assert!(why.contains("made no request"), "{why}");

    // A warm-up as long as the run measures nothing either.
    let s = pair(100.0, 20.0, "");
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .warmup_s(20.0)
        .build()
        .unwrap();
    sim.run();
    let r = report::build(&sim, &s);
    assert!(r.conservation.generated > 0);
    assert!(!r.passed);
    assert!(r.vacuous.as_deref().unwrap().contains("warm-up"));

    // And a run that measured something is judged on its expectations as before.
    let r = run(&pair(100.0, 20.0, ""));
    assert!(r.vacuous.is_none());
    assert!(r.passed, "{:?}", r.expectations);
}

#[test]
fn series_stay_bounded_as_the_duration_grows_a_hundredfold() {
    let short = run(&pair(2.0, 600.0, ""));
    let long = run(&pair(2.0, 60_000.0, ""));
    // 600 one-second buckets are kept as they are.
    assert_eq!(short.bucket_s, 1.0);
    assert_eq!(longest_series(&short), 600);
    // 60,000 s at most MAX_POINTS buckets of a whole number of seconds.
    assert_eq!(long.bucket_s, 60.0);
    assert!(longest_series(&long) <= MAX_POINTS as usize);
    let size = |r: &SimReport| serde_json::to_vec(r).unwrap().len();
    let (a, b) = (size(&short), size(&long));
    assert!(
        b < 2 * a,
        "a 100× longer run's report grew from {a} to {b} bytes"
    );
    // The long run still measured it all, the fault included.
    assert!(long.endpoints["front.get"].requests > 100_000);
    assert!(long.endpoints["front.get"].errors > 0);
    assert!(long.breakers["front -> back"].transitions.len() > 1);
}

#[test]
fn an_explicit_bucket_width_is_kept_or_refused_with_the_limit() {
    let s = pair(2.0, 6_000.0, "");
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .bucket_s(1.0)
        .build()
        .unwrap();
    sim.run();
    let r = report::build(&sim, &s);
    assert_eq!(r.bucket_s, 1.0);
    assert_eq!(longest_series(&r), 6_000);

    let e = Sim::builder(&s, 3)
        .experiment("x")
        .duration_s(1e6)
        .bucket_s(1.0)
        .build()
        .expect_err("too many buckets");
    let message = e.to_string();
    assert!(
        message.contains(&format!("more than the {MAX_EXPLICIT_POINTS}"))
            && message.contains("use at least 10 s"),
        "{message}"
    );
    for bad in [0.0, -1.0, f64::NAN, 1e-6] {
        let e = Sim::builder(&s, 3).experiment("x").bucket_s(bad).build();
        assert!(e.is_err(), "{bad}");
    }
}

#[test]
fn a_deadline_stops_a_run_whose_every_millisecond_holds_unbounded_events() {
    // The most arrivals a scenario may declare (a million a second) over a long run: the first
    // tenth alone is billions of events, so a deadline looked at only between simulated slices
    // is seen minutes late. (At 1e10 a second, which validation now refuses, simulated time
    // barely moved at all.)
    let s = pair(1e6, 30_000.0, "");
    let started = Instant::now();
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .interrupt(Interrupt {
            deadline: Some(Instant::now() + Duration::from_millis(300)),
            cancel: None,
        })
        .build()
        .unwrap();
    sim.run_until(sim.horizon() / 10);
    sim.run();
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(20), "{waited:?}");
    let (why, at) = sim.interrupted().expect("stopped");
    assert_eq!(why, Stop::Deadline);
    assert!(at < sim.horizon());
    let r = report::build(&sim, &s);
    assert!(!r.passed);
    assert_eq!(r.cut_short.as_ref().unwrap().reason, "deadline");
}

#[test]
fn a_cancel_flag_stops_a_run_and_an_unset_interrupt_changes_nothing() {
    let s = pair(200.0, 30.0, "");
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .interrupt(Interrupt {
            deadline: None,
            cancel: Some(flag),
        })
        .build()
        .unwrap();
    sim.run();
    assert_eq!(sim.interrupted(), Some((Stop::Cancelled, 0)));
    assert_eq!(sim.events(), 0);

    // A far deadline: the same report as without one.
    let mut sim = Sim::builder(&s, 3)
        .experiment("x")
        .interrupt(Interrupt {
            deadline: Some(Instant::now() + Duration::from_secs(3600)),
            cancel: None,
        })
        .build()
        .unwrap();
    sim.run();
    assert_eq!(report::build(&sim, &s), run(&s));
}
