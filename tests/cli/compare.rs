//! The scenario the README's SimPy comparison times (`simulator/benches/compare/mm1.toml`,
//! run by `run.sh` beside it) must stay the model the comparison names: M/M/1 with λ = 0.9 and
//! μ = 1 per millisecond over about 10⁶ customers, whose mean time in system is 1/(μ − λ) =
//! 10 ms. Otherwise the README would compare SimPy with some other model.

use crate::cli::run;

#[test]
fn the_simpy_comparison_s_scenario_is_mm1_at_rho_0_9_with_a_million_customers() {
    let report = run([
        "simulate",
        "simulator/benches/compare/mm1.toml",
        "--format",
        "json",
    ])
    .exits(0)
    .records();
    let endpoint = &report.record("replication")["report"]["endpoints"]["server.serve"];
    let customers = endpoint["requests"].as_f64().unwrap();
    let w = endpoint["latency_ms"]["mean"].as_f64().unwrap();
    // A Poisson count of mean 10⁶ lies within 0.5 % of it (5 standard deviations); at ρ = 0.9
    // the mean of 10⁶ correlated waits lies within about 5 % of W (10.08 ms at the file's seed).
    assert!((customers - 1e6).abs() < 5e3, "{customers} customers");
    assert!((w - 10.0).abs() < 0.5, "W = {w} ms");
}
