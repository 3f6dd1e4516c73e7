//! M/M/1 with λ = 0.7, μ = 1 (per ms) for a number of customers: prints W and the events rate.
//! `cargo run --release -p microcosm-simulator --example mm1 -- 1000000`

fn main() {
    let customers: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000.0);
    let text = r#"
name = "mm1"
[network]
latency = { dist = "constant", ms = 0 }
[services.server.endpoints.serve]
public = true
work = { dist = "exponential", mean_ms = 1.0 }
[deployment.server]
workers = 1
queue_capacity = 100000
[experiments.mm1]
duration_s = 1
load = [{ endpoint = "server.serve", arrival = "poisson", rate_per_s = 700 }]
"#;
    let loaded = microcosm_model::load_str(
        text,
        std::path::Path::new("mm1.toml"),
        microcosm_model::Format::Toml,
        std::path::Path::new("."),
    )
    .expect("valid scenario");
    let duration_s = customers / 700.0;
    let start = std::time::Instant::now();
    let mut sim = microcosm_simulator::Sim::builder(&loaded.scenario, 1)
        .experiment("mm1")
        .duration_s(duration_s)
        .build()
        .expect("builds");
    sim.run();
    let wall = start.elapsed().as_secs_f64();
    let report = microcosm_simulator::report::build(&sim, &loaded.scenario);
    let ep = &report.endpoints["server.serve"];
    println!(
        "customers {} W {:.4} ms p50 {:.3} p95 {:.3} p99 {:.3}; {} events in {:.3} s = {:.1} M events/s",
        ep.requests,
        ep.latency_ms.mean,
        ep.latency_ms.p50,
        ep.latency_ms.p95,
        ep.latency_ms.p99,
        report.events,
        wall,
        report.events as f64 / wall / 1e6
    );
}
