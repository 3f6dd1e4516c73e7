//! The simulator against queueing theory: scenarios configured as single queues, tandems and
//! retry chains, compared with closed forms (M/M/1, Erlang C, Pollaczek–Khinchine, Jackson
//! tandems, Little's law) and with the static amplification analysis, on several seeds each
//! with tolerances that hold across seeds.

use microcosm_model::{Format, Scenario, load_str};
use microcosm_simulator::{Sim, SimReport, report};

fn scenario(text: &str) -> Scenario {
    load_str(
        text,
        std::path::Path::new("theory.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .scenario
}

fn run(s: &Scenario, seed: u64) -> SimReport {
    let mut sim = Sim::builder(s, seed).experiment("x").build().unwrap();
    sim.run();
    let r = report::build(&sim, s);
    assert!(r.conservation.holds, "{:?}", r.conservation);
    r
}

/// A single queue: `workers` servers, service time `work`, Poisson arrivals at `rate_per_ms`,
/// `customers` expected arrivals (after a warm-up of 1000 mean service times).
fn queue(workers: u32, work: &str, rate_per_ms: f64, customers: f64) -> Scenario {
    let duration_s = customers / rate_per_ms / 1000.0 + 1.0;
    scenario(&format!(
        r#"
name = "queue"
[network]
latency = {{ dist = "constant", ms = 0 }}
[services.server.endpoints.serve]
public = true
work = {work}
[deployment.server]
workers = {workers}
queue_capacity = 1000000
[experiments.x]
duration_s = {duration_s}
warmup_s = 1
load = [{{ endpoint = "server.serve", arrival = "poisson", rate_per_s = {} }}]
"#,
        rate_per_ms * 1000.0
    ))
}

fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance * expected,
        "{what}: {actual} is not within {}% of {expected}",
        tolerance * 100.0
    );
}

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn mm1_time_in_system_and_its_percentiles_match_the_exponential() {
    // λ = 0.7, μ = 1: W = 1/(μ−λ) = 3.333; the sojourn time is exponential with that mean,
    // so p50/p95/p99 = W·ln(1/(1−q)) = 2.310/9.986/15.351.
    let s = queue(
        1,
        r#"{ dist = "exponential", mean_ms = 1.0 }"#,
        0.7,
        400_000.0,
    );
    for seed in SEEDS {
        let r = run(&s, seed);
        let ep = &r.endpoints["server.serve"];
        close(ep.latency_ms.mean, 10.0 / 3.0, 0.05, "W");
        close(ep.latency_ms.p50, 2.310, 0.05, "p50");
        close(ep.latency_ms.p95, 9.986, 0.05, "p95");
        close(ep.latency_ms.p99, 15.351, 0.06, "p99");
        close(r.services["server"].utilisation, 0.7, 0.02, "ρ");
    }
}

#[test]
fn mmc_matches_erlang_c() {
    // W = C(c, a)/(cμ − λ) + 1/μ.
    for (c, lambda, w) in [(2, 1.8, 5.263), (3, 2.0, 1.444)] {
        let s = queue(
            c,
            r#"{ dist = "exponential", mean_ms = 1.0 }"#,
            lambda,
            600_000.0,
        );
        for seed in SEEDS {
            let r = run(&s, seed);
            close(r.endpoints["server.serve"].latency_ms.mean, w, 0.06, "W");
        }
    }
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    // W = 1/μ + ρ/(2μ(1−ρ)) = 1 + 0.9/0.2 = 5.5.
    let s = queue(1, r#"{ dist = "constant", ms = 1.0 }"#, 0.9, 600_000.0);
    for seed in SEEDS {
        let r = run(&s, seed);
        close(r.endpoints["server.serve"].latency_ms.mean, 5.5, 0.06, "W");
    }
}

#[test]
fn a_tandem_of_three_mm1_stations_adds_up() {
    // Jackson: each station is M/M/1 at λ = 1 with μ = 2, 1.5, 1.25: W = 1 + 2 + 4 = 7.
    // The stations hand work on through topics, so each releases its worker when done.
    let s = scenario(
        r#"
name = "tandem"
[network]
latency = { dist = "constant", ms = 0 }
[topics.t1]
[topics.t2]
[services.a.endpoints.serve]
public = true
work = { dist = "exponential", mean_ms = 0.5 }
publishes = ["t1"]
[services.b]
consumes = { t1 = { handler = "serve" } }
[services.b.endpoints.serve]
work = { dist = "exponential", mean_ms = 0.6666666666666666 }
publishes = ["t2"]
[services.c]
consumes = { t2 = { handler = "serve" } }
[services.c.endpoints.serve]
work = { dist = "exponential", mean_ms = 0.8 }
[deployment.a]
workers = 1
queue_capacity = 1000000
[deployment.b]
workers = 1
queue_capacity = 1000000
[deployment.c]
workers = 1
queue_capacity = 1000000
[experiments.x]
duration_s = 301
warmup_s = 1
load = [{ endpoint = "a.serve", arrival = "poisson", rate_per_s = 1000 }]
"#,
    );
    for seed in SEEDS {
        let r = run(&s, seed);
        // A consumer pulls only as many events as it has workers, so an event's wait is in the
        // broker: a station's time in system is its subscription's publish-to-ack latency.
        let w = [
            r.endpoints["a.serve"].latency_ms.mean,
            r.topics["t1 / b"].latency_ms.mean,
            r.topics["t2 / c"].latency_ms.mean,
        ];
        close(w[0], 1.0, 0.05, "W at a");
        close(w[1], 2.0, 0.06, "W at b");
        close(w[2], 4.0, 0.08, "W at c");
        close(w.iter().sum(), 7.0, 0.06, "W end to end");
    }
}

#[test]
fn littles_law_holds_for_every_service_of_a_real_architecture() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/online-boutique.toml"
    ))
    .unwrap();
    let s = scenario(&text);
    let mut sim = Sim::builder(&s, 5)
        .experiment("payment-outage")
        .duration_s(120.0)
        .warmup_s(10.0)
        .build()
        .unwrap();
    sim.run();
    let r = report::build(&sim, &s);
    for (name, svc) in &r.services {
        if svc.arrivals < 2_000 {
            continue;
        }
        // L = Σ over the service's endpoints of λ·W.
        let lambda_w: f64 = r
            .endpoints
            .iter()
            .filter(|(e, _)| e.split_once('.').unwrap().0 == name)
            .map(|(_, e)| e.requests as f64 / (r.duration_s - r.warmup_s) * e.latency_ms.mean / 1e3)
            .sum();
        close(svc.mean_in_system, lambda_w, 0.03, &format!("L at {name}"));
    }
}

/// a → b → c → d, each edge retrying errors 3 times.
const CHAIN: &str = r#"
name = "chain"
[network]
latency = { dist = "constant", ms = 0.1 }
[services.a.endpoints.x]
public = true
calls = ["b.x"]
[services.b.endpoints.x]
calls = ["c.x"]
[services.c.endpoints.x]
calls = ["d.x"]
[services.d.endpoints.x]
[policies."* -> *"]
retry = { max_attempts = 3, wait_ms = 1 }
[experiments.x]
duration_s = 20
load = [{ endpoint = "a.x", arrival = "poisson", rate_per_s = 50 }]
faults = [{ at_s = 0, crash = "d" }]
"#;

#[test]
fn three_layers_of_three_attempts_send_27_to_a_dead_leaf() {
    let s = scenario(CHAIN);
    let expected = microcosm_model::resilience::amplification::entry_amplification(&s, "a.x");
    assert_eq!(expected.attempts["d"], 27.0);
    for seed in SEEDS {
        let r = run(&s, seed);
        close(
            r.services["d"].amplification,
            27.0,
            0.01,
            "attempts at d per request",
        );
        close(
            r.services["c"].amplification,
            9.0,
            0.01,
            "attempts at c per request",
        );
        for edge in ["a -> b", "b -> c", "c -> d"] {
            close(r.edges[edge].amplification, 3.0, 0.01, edge);
            assert_eq!(r.edges[edge].peak_amplification, 3.0, "{edge}");
        }
        assert_eq!(r.services["d"].static_amplification, Some(27.0));
        // Every request's 27 attempts count against the bucket it entered in, however late
        // its retries go out: the peak is the static worst case exactly, as is the expectation.
        assert_eq!(r.services["d"].peak_amplification, 27.0);
        assert_eq!(r.services["c"].peak_amplification, 9.0);
        assert_eq!(r.max_service_amplification(), Some(("d", 27.0)));
        assert_eq!(r.endpoints["a.x"].availability, 0.0);
    }
}

#[test]
fn an_open_breaker_stops_the_load_on_a_failed_service_within_its_window() {
    // b crashes at 10 s. The breaker (per caller replica) opens after its minimum of 20 calls
    // fail — at 200 calls/s, within 0.1 s — then lets 3 trial calls through every 5 s.
    let s = scenario(
        r#"
name = "breaker"
[services.a.endpoints.x]
public = true
calls = ["b.x"]
[services.b.endpoints.x]
[policies."a -> b"]
timeout_ms = 100
circuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 20, minimum_number_of_calls = 20, wait_duration_in_open_state_ms = 5000, permitted_number_of_calls_in_half_open_state = 3 }
[experiments.x]
duration_s = 40
load = [{ endpoint = "a.x", arrival = "poisson", rate_per_s = 200 }]
faults = [{ at_s = 10, crash = "b" }]
"#,
    );
    for seed in SEEDS {
        let r = run(&s, seed);
        let edge = &r.edges["a -> b"];
        let series = &edge.series;
        assert!(series[5].attempts > 150, "load flows before the crash");
        // The first bucket after the crash holds the ~20 failures that open the breaker.
        assert!(
            series[10].attempts < 40,
            "bucket 10: {}",
            series[10].attempts
        );
        let after: u64 = series[11..].iter().map(|p| p.attempts).sum();
        // At most 3 trials per 5 s open period over the remaining 30 s.
        assert!(
            after <= 3 * 7,
            "{after} attempts reached b after its breaker opened"
        );
        let b = &r.breakers["a -> b"];
        let first_open = b.transitions.iter().find(|t| t.to == "OPEN").unwrap();
        assert!(
            first_open.at_s >= 10.0 && first_open.at_s < 10.5,
            "{first_open:?}"
        );
        assert!(edge.errors_by_cause["breaker_open"] > 5_000);
    }
}
