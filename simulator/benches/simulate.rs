//! Speed of the simulator (the README's figures):
//! - M/M/1 (λ = 0.7, μ = 1 per ms) with 1,000,000 customers;
//! - Online Boutique with 1,000,000 requests (Poisson at 1,000 requests/s over the locust mix
//!   for 1,000 s) and payment crashed for a minute.
//!
//! `CARGO_TARGET_DIR=… cargo bench -p microcosm-simulator --bench simulate`

use criterion::{Criterion, criterion_group, criterion_main};
use microcosm_model::{Arrival, Format, Scenario, load, load_str};
use microcosm_simulator::{Sim, report};

fn mm1() -> Scenario {
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
[experiments.x]
duration_s = 1428.571428
load = [{ endpoint = "server.serve", arrival = "poisson", rate_per_s = 700 }]
"#;
    load_str(
        text,
        std::path::Path::new("mm1.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .expect("valid")
    .scenario
}

/// Online Boutique's payment outage, open loop at 1,000 requests/s for 1,000 s.
fn boutique() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/online-boutique.toml"
    );
    let mut s = load(std::path::Path::new(path)).expect("bundled").scenario;
    let e = s.experiments.get_mut("payment-outage").expect("experiment");
    e.duration_s = 1000.0;
    e.load[0].arrival = Arrival::Poisson;
    e.load[0].rate_per_s = Some(1000.0);
    e.load[0].users = None;
    e.load[0].think_time_ms = None;
    s
}

fn run(s: &Scenario, experiment: &str) -> u64 {
    let mut sim = Sim::builder(s, 1)
        .experiment(experiment)
        .build()
        .expect("builds");
    sim.run();
    let r = report::build(&sim, s);
    assert!(r.conservation.holds);
    r.conservation.generated
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let s = mm1();
    group.bench_function("mm1_1m_customers", |b| b.iter(|| run(&s, "x")));
    let s = boutique();
    group.bench_function("online_boutique_1m_requests_crash", |b| {
        b.iter(|| run(&s, "payment-outage"))
    });
    group.finish();
}

criterion_group!(simulate, benches);
criterion_main!(simulate);
