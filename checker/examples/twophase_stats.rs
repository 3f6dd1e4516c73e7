//! States/s and peak memory for two-phase commit, one configuration per child process (so each
//! peak is that configuration's own). Linux only (reads `VmHWM` from `/proc/self/status`).
//!
//! Run: `cargo run --release -p microcosm-checker --example twophase_stats`

use microcosm_checker::{
    CheckOptions, TwoPhaseConfig, TwoPhaseState, TwoPhaseSys, verify_two_phase,
};
use stateright::{Checker, Model, Representative};
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

fn run_one(mode: &str, n: usize, threads: usize) {
    let start = Instant::now();
    let unique = match mode {
        "bfs" => TwoPhaseSys::plain(n)
            .checker()
            .threads(threads)
            .spawn_bfs()
            .join()
            .unique_state_count(),
        "dfs" => TwoPhaseSys::plain(n)
            .checker()
            .threads(threads)
            .spawn_dfs()
            .join()
            .unique_state_count(),
        "dfs-symmetry" => TwoPhaseSys::plain(n)
            .checker()
            .threads(threads)
            .symmetry_fn(<TwoPhaseState as Representative>::representative)
            .spawn_dfs()
            .join()
            .unique_state_count(),
        "verify-all" => {
            let v = verify_two_phase(
                "stats",
                &TwoPhaseConfig::with_participants(n),
                &[],
                &CheckOptions {
                    threads,
                    ..CheckOptions::default()
                },
            )
            .expect("valid config");
            assert!(v.iter().all(|v| v.status.holds()));
            v[0].stats.unique_states as usize
        }
        other => panic!("unknown mode {other}"),
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "| {mode} | {n} | {threads} | {unique} | {secs:.3} | {:.0} | {:.1} |",
        unique as f64 / secs,
        peak_rss_mib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 {
        run_one(&args[1], args[2].parse().unwrap(), args[3].parse().unwrap());
        return;
    }
    println!(
        "| mode | participants | threads | unique states | seconds | states/s | peak RSS MiB |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let me = std::env::current_exe().expect("own path");
    let mut configs = Vec::new();
    for n in [5, 6, 7] {
        for threads in [1, 2] {
            configs.push(("bfs", n, threads));
            configs.push(("dfs-symmetry", n, threads));
        }
        configs.push(("verify-all", n, 1));
    }
    configs.push(("dfs", 8, 1));
    configs.push(("dfs", 8, 2));
    configs.push(("dfs-symmetry", 8, 1));
    configs.push(("dfs-symmetry", 8, 2));
    for (mode, n, threads) in configs {
        let status = Command::new(&me)
            .args([mode, &n.to_string(), &threads.to_string()])
            .status()
            .expect("run child");
        assert!(status.success());
    }
}
