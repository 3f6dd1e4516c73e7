//! Online Boutique's payment outage, open loop at 1,000 requests/s for the given seconds
//! (default 1,000: a million requests). Prints the events rate.
//! `cargo run --release -p microcosm-simulator --example boutique -- 1000`

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000.0);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/online-boutique.toml"
    );
    let mut s = microcosm_model::load(std::path::Path::new(path))
        .expect("bundled")
        .scenario;
    let e = s.experiments.get_mut("payment-outage").expect("experiment");
    e.duration_s = seconds;
    e.load[0].arrival = microcosm_model::Arrival::Poisson;
    e.load[0].rate_per_s = Some(1000.0);
    e.load[0].users = None;
    e.load[0].think_time_ms = None;
    let start = std::time::Instant::now();
    let mut sim = microcosm_simulator::Sim::builder(&s, 1)
        .experiment("payment-outage")
        .build()
        .expect("builds");
    sim.run_until(sim.horizon() / 2);
    eprintln!("pending events mid-run: {}", sim.pending_events());
    sim.run();
    let run_s = start.elapsed().as_secs_f64();
    let r = microcosm_simulator::report::build(&sim, &s);
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{} requests, {} events: run {run_s:.2} s, with report {wall:.2} s, {:.1} M events/s; peak {} requests / {} calls in flight",
        r.conservation.generated,
        r.events,
        r.events as f64 / run_s / 1e6,
        r.peak_requests_in_flight,
        r.peak_calls_in_flight
    );
}
