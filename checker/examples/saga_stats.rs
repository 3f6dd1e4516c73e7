//! Unique states, time and peak memory of checking an orchestrated saga with every fault option
//! (the last step may fail), idempotent participants or not, one configuration per child process
//! so each peak is that configuration's own. Linux only (reads `VmHWM` from `/proc/self/status`).
//!
//! Run: `cargo run --release -p microcosm-checker --example saga_stats [-- MAX_STEPS]`

use microcosm_checker::saga::{SagaConfig, verify_saga};
use microcosm_checker::{CheckOptions, Status};
use microcosm_model::SagaFaults;
use std::process::Command;
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn config(n: usize, idempotent: bool) -> SagaConfig {
    let mut cfg = SagaConfig::orchestrated(n)
        .step(n - 1, |s| s.can_fail = true)
        .faults(SagaFaults::all_with_recovery());
    for s in &mut cfg.steps {
        s.idempotent = idempotent;
    }
    cfg
}

fn run_one(n: usize, idempotent: bool) {
    let start = Instant::now();
    let verdicts = verify_saga(
        "stats",
        &config(n, idempotent),
        &[],
        &CheckOptions::default(),
    )
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        verdicts
            .iter()
            .all(|v| !matches!(v.status, Status::Inconclusive { .. })),
        "a verdict is inconclusive"
    );
    let safety = verdicts
        .iter()
        .find(|v| matches!(v.options.engine, "stateright" | "projection"));
    let live = verdicts.iter().find(|v| v.options.engine == "fair-cycle");
    let violated: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.status == Status::Violated)
        .map(|v| v.property)
        .collect();
    println!(
        "| {n} | {} | {} | {} | {secs:.3} | {:.1} | {} |",
        if idempotent { "yes" } else { "no" },
        safety.map_or(0, |v| v.stats.unique_states),
        live.map_or(0, |v| v.stats.unique_states),
        peak_rss_mib(),
        violated.join(", ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 {
        run_one(args[1].parse().unwrap(), args[2] == "idempotent");
        return;
    }
    let max: usize = args.get(1).map_or(8, |a| a.parse().unwrap());
    println!(
        "| steps | idempotent | unique states (safety) | unique states (liveness) | seconds | peak RSS MiB | violated |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let me = std::env::current_exe().expect("own path");
    for n in 3..=max {
        for mode in ["idempotent", "plain"] {
            let status = Command::new(&me)
                .args([&n.to_string(), mode])
                .status()
                .expect("run child");
            assert!(status.success());
        }
    }
}
