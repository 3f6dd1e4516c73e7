//! Every bundled experiment's report, pinned: each experiment of each scenario in `scenarios/`
//! is run at its own seed and length, and its JSON report must match the length and FNV-1a hash
//! committed in `tests/golden/reports.txt`.
//!
//! This is what "the same seed gives the same output" means across commits, not only across two
//! runs of one build (which `behaviour.rs` checks): a refactoring that changes the order of
//! random draws, or of events at one instant, changes some report and fails here. A deliberate
//! change of behaviour rewrites the table with `UPDATE_GOLDEN=1` and says why in its commit.

use std::fmt::Write as _;
use std::path::Path;

use microcosm_simulator::replicate::run_once;

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn bundled_experiment_reports_are_byte_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files: Vec<_> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut table = String::new();
    for file in &files {
        let scenario = microcosm_model::load(file).unwrap().scenario;
        let name = file.file_name().unwrap().to_string_lossy();
        for (experiment, e) in &scenario.experiments {
            let report = run_once(&scenario, experiment, e.seed, None).unwrap();
            let json = serde_json::to_string(&report).unwrap();
            writeln!(
                table,
                "{name} {experiment} seed={} bytes={} fnv={:016x}",
                e.seed,
                json.len(),
                fnv1a(json.as_bytes())
            )
            .unwrap();
        }
    }
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/reports.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &table).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    let changed: Vec<_> = table
        .lines()
        .zip(want.lines())
        .filter(|(got, want)| got != want)
        .collect();
    assert!(
        changed.is_empty() && table.lines().count() == want.lines().count(),
        "reports changed (got, pinned): {changed:#?}\nwhole table now:\n{table}"
    );
}
