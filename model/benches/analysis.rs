//! Speed of the decomposition proposer and of the architecture analysis, on generated inputs
//! of the sizes the issue sets: `propose` on a monolith of 10,000 functions and 100,000 calls
//! (graph building, Leiden, repair and the theorem check on the result), and `analyze` on a
//! 500-service scenario with a 5,000-function monolith, a mesh policy and a cluster.
//!
//! Run: `cargo bench -p microcosm-model --bench analysis`. Inputs are generated from fixed
//! seeds, so every run measures the same work.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use microcosm_model::analysis::input::monolith_from_csv;
use microcosm_model::analysis::{
    AnalysisOptions, FunctionGraph, GraphOptions, ProposeOptions, analyze, propose,
};
use microcosm_model::{Format, Monolith, MonolithCall, load_str};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// 10,000 functions in 100 modules of 100; 100,000 calls, 90 % inside a module (weight 1–10),
/// 10 % across (weight 1–3): a large monolith with a structure to find.
fn big_monolith() -> Monolith {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let (modules, size) = (100usize, 100usize);
    let name = |v: usize| format!("m{:03}_f{:03}", v / size, v % size);
    let mut calls = Vec::with_capacity(100_000);
    while calls.len() < 100_000 {
        let from = rng.random_range(0..modules * size);
        let (to, weight) = if rng.random::<f64>() < 0.9 {
            let module = from / size;
            (
                module * size + rng.random_range(0..size),
                rng.random_range(1..=10),
            )
        } else {
            (rng.random_range(0..modules * size), rng.random_range(1..=3))
        };
        if to != from {
            calls.push(MonolithCall {
                from: name(from),
                to: name(to),
                weight: f64::from(weight),
            });
        }
    }
    let mut monolith = Monolith {
        calls,
        ..Monolith::default()
    };
    for v in 0..modules * size {
        monolith.functions.entry(name(v)).or_default();
    }
    monolith
}

/// A 500-service scenario: each service has two endpoints and ten monolith functions; services
/// call up to three later services (a DAG), the first 25 are public entry points, every third
/// shares a data store with its neighbour, all run two or three replicas over three zones under
/// a default-deny mesh policy, and the monolith has 5,000 functions and about 25,000 calls.
fn big_scenario() -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(500);
    let n = 500;
    let mut s = String::from("name = \"bench-500\"\n[network]\nzones = [\"a\", \"b\", \"c\"]\n\n");
    let mut edges = Vec::new();
    for i in 0..n {
        let functions: Vec<String> = (0..10).map(|f| format!("\"s{i:03}_f{f}\"")).collect();
        let store = format!("db{:03}", i - i % 3 / 2);
        let _ = writeln!(
            s,
            "[services.s{i:03}]\nfunctions = [{}]\ndata = {{ {store} = \"read-write\" }}\nresources = {{ cpu_millis = 100, memory_mib = 128 }}",
            functions.join(", ")
        );
        let mut calls = Vec::new();
        if i + 1 < n {
            for _ in 0..rng.random_range(0..=3usize) {
                let j = rng.random_range(i + 1..n);
                calls.push(format!("\"s{j:03}.read\""));
                edges.push((i, j));
            }
        }
        let public = if i < 25 { "public = true, " } else { "" };
        let _ = writeln!(
            s,
            "endpoints.read = {{ {public}calls = [{}] }}\nendpoints.write = {{ }}\n",
            calls.join(", ")
        );
    }
    for i in 0..n {
        if i % 3 != 2 {
            let _ = writeln!(s, "[data_stores.db{i:03}]\nkind = \"postgres\"\n");
        }
    }
    edges.sort_unstable();
    edges.dedup();
    let allow: Vec<String> = edges
        .iter()
        .map(|(a, b)| format!("\"s{a:03} -> s{b:03}\""))
        .collect();
    let _ = writeln!(
        s,
        "[network.security]\ndefault = \"deny\"\nallow = [{}]\n",
        allow.join(", ")
    );
    for i in 0..n {
        let _ = writeln!(
            s,
            "[deployment.s{i:03}]\nreplicas = {}\nzones = [\"a\", \"b\", \"c\"]\n",
            2 + i % 2
        );
    }
    for zone in ["a", "b", "c"] {
        let _ = writeln!(
            s,
            "[cluster.zones.{zone}]\nnodes = 20\nnode_cpu_millis = 8000\nnode_memory_mib = 32000\n"
        );
    }
    s.push_str("[monolith]\ncalls = [\n");
    for _ in 0..25_000 {
        let a = rng.random_range(0..n);
        let b = if rng.random::<f64>() < 0.9 {
            a
        } else {
            rng.random_range(0..n)
        };
        let _ = writeln!(
            s,
            "  {{ from = \"s{a:03}_f{}\", to = \"s{b:03}_f{}\", weight = {} }},",
            rng.random_range(0..10),
            rng.random_range(0..10),
            rng.random_range(1..=10)
        );
    }
    s.push_str("]\n[monolith.functions]\n");
    for i in 0..n {
        for f in 0..10 {
            let _ = writeln!(s, "s{i:03}_f{f} = {{}}");
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let monolith = big_monolith();
    let mut group = c.benchmark_group("propose");
    group.sample_size(10);
    group.bench_function("10k-functions-100k-calls", |b| {
        b.iter(|| {
            let graph =
                FunctionGraph::from_monolith(black_box(&monolith), &GraphOptions::default());
            propose(&graph, &ProposeOptions::default())
        })
    });
    // What `microcosm propose --calls calls.csv` does: parse the CSV, then the same work.
    let mut csv = String::from("caller,callee,weight\n");
    for call in &monolith.calls {
        writeln!(csv, "{},{},{}", call.from, call.to, call.weight).unwrap();
    }
    group.bench_function("10k-functions-100k-calls-from-csv", |b| {
        b.iter(|| {
            let parsed = monolith_from_csv((Path::new("calls.csv"), black_box(&csv)), None)
                .unwrap_or_else(|_| panic!("the generated CSV is valid"));
            let graph = FunctionGraph::from_monolith(&parsed, &GraphOptions::default());
            propose(&graph, &ProposeOptions::default())
        })
    });
    group.finish();

    let text = big_scenario();
    let loaded = load_str(&text, Path::new("bench.toml"), Format::Toml, Path::new("."))
        .unwrap_or_else(|e| panic!("the generated scenario is valid: {e}"));
    assert_eq!(loaded.scenario.services.len(), 500);
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    group.bench_function("500-services", |b| {
        b.iter(|| analyze(black_box(&loaded.scenario), &AnalysisOptions::default()))
    });
    // What `microcosm analyze FILE` does: load and validate the file, then analyse it.
    group.bench_function("500-services-load-and-analyze", |b| {
        b.iter(|| {
            let loaded = load_str(
                black_box(&text),
                Path::new("bench.toml"),
                Format::Toml,
                Path::new("."),
            )
            .unwrap_or_else(|e| panic!("the generated scenario is valid: {e}"));
            analyze(&loaded.scenario, &AnalysisOptions::default())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("analyze-call-free");
    group.sample_size(10);
    for n in [1_000, 4_000] {
        let text = call_free_scenario(n);
        let loaded = load_str(&text, Path::new("bench.toml"), Format::Toml, Path::new("."))
            .unwrap_or_else(|e| panic!("the generated scenario is valid: {e}"));
        group.bench_function(format!("{n}-services"), |b| {
            b.iter(|| {
                let mut analysis =
                    analyze(black_box(&loaded.scenario), &AnalysisOptions::default());
                analysis.locate(&loaded);
                analysis
            })
        });
    }
    group.finish();
}

/// `n` services of one endpoint each, calling nothing: every one an entry endpoint and its
/// own blast radius, so per-service work over all services shows as quadratic time.
fn call_free_scenario(n: usize) -> String {
    let mut s = String::from("name = \"call-free\"\n");
    for i in 0..n {
        let _ = writeln!(s, "[services.s{i:05}.endpoints.x]");
    }
    s
}

criterion_group!(benches, bench);
criterion_main!(benches);
