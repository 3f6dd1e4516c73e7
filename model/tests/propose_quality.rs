//! Quality of `propose` on planted-partition graphs: 60 functions in 3 contexts of 20, a call
//! between two functions with probability 0.30 inside a context (weight 1–10) and 0.02 across
//! (weight 1–3), as the issue specifies.
//!
//! Three sources of graphs:
//! - `tests/data/planted/seed-*.csv`, made by `generate.py` beside them with Python's RNG, with
//!   networkx 3.6.1's Louvain modularity recorded in `reference.json`: our Q must be at least
//!   networkx's on the very same graph, and where networkx's partition is the plant, ours must
//!   be the plant exactly. `seed-42.csv` is the issue's own graph, on which networkx reaches the
//!   0.6215 the issue quotes (generate.py's header says how it was found);
//! - graphs generated here from several seeds, compared with a straightforward reference
//!   Louvain written below and with the plant's own Q;
//! - `tests/data/class-graphs/*.csv`, class-level dependency graphs of published benchmark
//!   monoliths, for the issue's other bar: Q within 0.5 % of networkx's.

use std::collections::BTreeSet;
use std::path::Path;

use microcosm_model::analysis::graph::{FunctionGraph, GraphOptions};
use microcosm_model::analysis::input::monolith_from_csv;
use microcosm_model::analysis::metrics::modularity;
use microcosm_model::analysis::{ProposeOptions, propose};
use microcosm_model::{Monolith, MonolithCall};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const TOLERANCE: f64 = 1e-9;

/// The plant of a function named `c{context}_f{index}`.
fn planted_context(name: &str) -> usize {
    name[1..name.find('_').unwrap()].parse().unwrap()
}

fn partition_of(graph: &FunctionGraph, services: &[Vec<String>]) -> Vec<Option<usize>> {
    let mut of = vec![None; graph.len()];
    for (s, functions) in services.iter().enumerate() {
        for f in functions {
            of[graph.node(f).unwrap()] = Some(s);
        }
    }
    of
}

fn as_sets(services: &[Vec<String>]) -> BTreeSet<BTreeSet<String>> {
    services
        .iter()
        .map(|s| s.iter().cloned().collect())
        .collect()
}

fn plant(graph: &FunctionGraph) -> Vec<Vec<String>> {
    let mut plant = vec![Vec::new(); 3];
    for name in graph.names() {
        plant[planted_context(name)].push(name.clone());
    }
    plant
}

fn proposed(graph: &FunctionGraph) -> (Vec<Vec<String>>, f64) {
    let proposal = propose(graph, &ProposeOptions::default());
    assert!(proposal.theorem.holds(), "{:#?}", proposal.theorem);
    let services: Vec<Vec<String>> = proposal
        .services
        .iter()
        .map(|s| s.functions.clone())
        .collect();
    (services, proposal.theorem.metrics.modularity)
}

#[test]
fn matches_or_beats_networkx_louvain_and_recovers_the_plant() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/planted");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let graphs = reference["graphs"].as_array().unwrap();
    assert_eq!(graphs.len(), 6);
    for entry in graphs {
        let file = dir.join(entry["file"].as_str().unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let monolith = monolith_from_csv((&file, &text), None).unwrap();
        let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
        assert_eq!(graph.len(), 60);
        let (services, q) = proposed(&graph);
        let networkx_q = entry["networkx_louvain_q"].as_f64().unwrap();
        let plant_q = entry["plant_q"].as_f64().unwrap();
        // Our modularity of the plant agrees with networkx's: the same definition.
        let ours_of_plant = modularity(&graph, &partition_of(&graph, &plant(&graph)), 1.0);
        assert!((ours_of_plant - plant_q).abs() < 1e-9, "{file:?}");
        eprintln!(
            "{}: Q = {q:.6}, networkx Louvain {networkx_q:.6}, plant {plant_q:.6}",
            entry["file"]
        );
        assert!(q >= networkx_q - TOLERANCE, "{file:?}: {q} < {networkx_q}");
        if entry["networkx_louvain_is_plant"].as_bool().unwrap() {
            assert_eq!(as_sets(&services), as_sets(&plant(&graph)), "{file:?}");
        }
    }
}

#[test]
fn recovers_the_plant_of_the_issues_seed_42_graph_at_networkxs_q_or_better() {
    // The issue: "it recovers the plant exactly, and its Q is at least what networkx's Louvain
    // reaches on the same graph (0.6215 for the graph built with seed 42 as described)".
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/planted");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let entry = reference["graphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["seed"] == 42)
        .unwrap();
    let networkx_q = entry["networkx_louvain_q"].as_f64().unwrap();
    assert_eq!(format!("{networkx_q:.4}"), "0.6215", "the issue's number");
    let file = dir.join("seed-42.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let monolith = monolith_from_csv((&file, &text), None).unwrap();
    let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
    assert_eq!(graph.len(), 60);
    assert_eq!(
        graph.edges().count() as u64,
        entry["edges"].as_u64().unwrap()
    );
    let (services, q) = proposed(&graph);
    assert_eq!(as_sets(&services), as_sets(&plant(&graph)));
    assert!(q >= networkx_q - TOLERANCE, "{q} < {networkx_q}");
    assert!(q >= 0.6215 - TOLERANCE, "{q} < 0.6215");
}

/// A planted graph from our own RNG, as the issue describes it.
fn planted(seed: u64) -> FunctionGraph {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let name = |v: usize| format!("c{}_f{:02}", v / 20, v % 20);
    let mut calls = Vec::new();
    for i in 0..60 {
        for j in i + 1..60 {
            let (p, top) = if i / 20 == j / 20 {
                (0.30, 10)
            } else {
                (0.02, 3)
            };
            if rng.random::<f64>() < p {
                calls.push(MonolithCall {
                    from: name(i),
                    to: name(j),
                    weight: f64::from(rng.random_range(1..=top)),
                });
            }
        }
    }
    let mut monolith = Monolith {
        calls,
        ..Monolith::default()
    };
    for v in 0..60 {
        monolith.functions.entry(name(v)).or_default();
    }
    FunctionGraph::from_monolith(&monolith, &GraphOptions::default())
}

/// A textbook Louvain (Blondel et al. 2008): local moves in node order until none improves,
/// then aggregation, until a level moves nothing. No refinement, no randomness.
fn reference_louvain(graph: &FunctionGraph) -> Vec<usize> {
    let n = graph.len();
    let m: f64 = graph.total_weight();
    // Level graph: dense weights, self loops on the diagonal (each internal edge once).
    let mut w = vec![vec![0.0; n]; n];
    for (u, v, x) in graph.edges() {
        w[u][v] += x;
        w[v][u] += x;
    }
    let mut membership: Vec<usize> = (0..n).collect();
    loop {
        let k = w.len();
        let degree: Vec<f64> = (0..k)
            .map(|v| {
                (0..k)
                    .map(|u| if u == v { 2.0 * w[v][v] } else { w[v][u] })
                    .sum()
            })
            .collect();
        let mut of: Vec<usize> = (0..k).collect();
        let mut total = degree.clone();
        let mut moved_any = false;
        loop {
            let mut moved = false;
            for v in 0..k {
                let old = of[v];
                total[old] -= degree[v];
                let mut to = vec![0.0; k];
                for u in 0..k {
                    if u != v {
                        to[of[u]] += w[v][u];
                    }
                }
                let gain = |c: usize| to[c] - degree[v] * total[c] / (2.0 * m);
                let mut best = old;
                for c in 0..k {
                    if gain(c) > gain(best) + 1e-12 {
                        best = c;
                    }
                }
                total[best] += degree[v];
                if best != old {
                    of[v] = best;
                    moved = true;
                    moved_any = true;
                }
            }
            if !moved {
                break;
            }
        }
        if !moved_any {
            break;
        }
        let mut ids: Vec<usize> = of.clone();
        ids.sort_unstable();
        ids.dedup();
        let index = |c: usize| ids.binary_search(&c).unwrap();
        let mut next = vec![vec![0.0; ids.len()]; ids.len()];
        for a in 0..k {
            for b in a..k {
                let (x, y) = (index(of[a]), index(of[b]));
                if a == b {
                    next[x][x] += w[a][a];
                } else if x == y {
                    next[x][x] += w[a][b];
                } else {
                    next[x][y] += w[a][b];
                    next[y][x] += w[a][b];
                }
            }
        }
        for c in membership.iter_mut() {
            *c = index(of[*c]);
        }
        w = next;
    }
    membership
}

#[test]
fn beats_a_reference_louvain_and_the_plant_on_generated_graphs() {
    let mut exact = 0;
    for seed in 0..12 {
        let graph = planted(seed);
        let (services, q) = proposed(&graph);
        let louvain: Vec<Option<usize>> = reference_louvain(&graph).into_iter().map(Some).collect();
        let louvain_q = modularity(&graph, &louvain, 1.0);
        let plant = plant(&graph);
        let plant_q = modularity(&graph, &partition_of(&graph, &plant), 1.0);
        eprintln!("seed {seed}: Q = {q:.6}, reference Louvain {louvain_q:.6}, plant {plant_q:.6}");
        assert!(q >= louvain_q - TOLERANCE, "seed {seed}: {q} < {louvain_q}");
        assert!(q >= plant_q - TOLERANCE, "seed {seed}: {q} < {plant_q}");
        // A function with no edge at all (it happens: 0.7^19 · 0.98^40 per function) carries
        // no evidence of its context; it must stay alone, and exactness is judged on the rest.
        let isolated: BTreeSet<String> = graph
            .names()
            .iter()
            .filter(|f| {
                !graph
                    .edges()
                    .any(|(u, v, _)| [u, v].contains(&graph.node(f).unwrap()))
            })
            .cloned()
            .collect();
        for f in &isolated {
            assert!(
                services.contains(&vec![f.clone()]),
                "seed {seed}: {f} is not alone"
            );
        }
        let connected = |parts: &[Vec<String>]| {
            let parts: Vec<Vec<String>> = parts
                .iter()
                .map(|p| {
                    p.iter()
                        .filter(|f| !isolated.contains(*f))
                        .cloned()
                        .collect()
                })
                .filter(|p: &Vec<String>| !p.is_empty())
                .collect();
            as_sets(&parts)
        };
        if connected(&services) == connected(&plant) {
            exact += 1;
        } else {
            // Not the plant: then strictly better than it by modularity (the plant is not the
            // optimum of this graph), never a near miss.
            assert!(
                q > plant_q + 1e-6,
                "seed {seed}: {q} vs plant {plant_q}: {services:?}"
            );
        }
    }
    eprintln!("{exact} of 12 generated graphs recovered exactly");
    assert!(exact >= 9, "{exact} of 12");
}

#[test]
fn hints_pin_the_plant_even_where_modularity_prefers_otherwise() {
    // On seed-2.csv modularity moves a function out of its planted context; hinting every
    // function with its context makes the proposal the plant, by construction.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/planted");
    let file = dir.join("seed-2.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut monolith = monolith_from_csv((&file, &text), None).unwrap();
    for (name, f) in monolith.functions.iter_mut() {
        f.context = Some(format!("context-{}", planted_context(name)));
    }
    let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
    let proposal = propose(&graph, &ProposeOptions::default());
    let services: Vec<Vec<String>> = proposal
        .services
        .iter()
        .map(|s| s.functions.clone())
        .collect();
    assert_eq!(as_sets(&services), as_sets(&plant(&graph)));
    let names: Vec<&str> = proposal.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["context-0", "context-1", "context-2"]);
}

#[test]
fn stays_within_half_a_percent_of_networkx_on_the_example_monolith() {
    // The issue's bar for real monolith graphs: Q no more than 0.5 % below networkx Louvain's.
    // The graph is the example scenario's, without its hints (Louvain cannot take them).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/data/monolith-shop/reference.json")).unwrap(),
    )
    .unwrap();
    let data = root.join("../scenarios/data");
    let calls_path = data.join("monolith-shop-calls.csv");
    let data_path = data.join("monolith-shop-data.csv");
    let calls = std::fs::read_to_string(&calls_path).unwrap();
    let access = std::fs::read_to_string(&data_path).unwrap();
    let monolith = monolith_from_csv((&calls_path, &calls), Some((&data_path, &access))).unwrap();
    let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
    assert_eq!(graph.len() as u64, reference["functions"].as_u64().unwrap());
    assert_eq!(
        graph.edges().count() as u64,
        reference["edges"].as_u64().unwrap()
    );
    assert!((graph.total_weight() - reference["total_weight"].as_f64().unwrap()).abs() < 1e-6);
    let (_, q) = proposed(&graph);
    let best = reference["networkx_louvain_q_best_of_seeds_0_19"]
        .as_f64()
        .unwrap();
    eprintln!("monolith-shop: Q = {q:.6}, networkx Louvain best of 20 seeds {best:.6}");
    assert!(q >= best * 0.995, "{q} < 99.5 % of {best}");
}

#[test]
fn stays_within_half_a_percent_of_networkx_on_real_monolith_class_graphs() {
    // The issue's bar for real monolith graphs: Q no more than 0.5 % below networkx Louvain's
    // (the best of seeds 0-9). The graphs are class-level dependency graphs of published
    // benchmark monoliths, extracted from their source by tests/data/class-graphs/extract.py
    // (each CSV's header names the repository, the commits and the rule). They are read by the
    // very code path `microcosm propose --calls` takes. The bar holds for the proposal as
    // proposed (after the repair step, as `propose` reports it) and for Leiden's communities
    // before repair.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/class-graphs");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let graphs = reference["graphs"].as_array().unwrap();
    assert!(graphs.len() >= 3, "{} graphs", graphs.len());
    for entry in graphs {
        let name = entry["file"].as_str().unwrap();
        let file = dir.join(name);
        let text = std::fs::read_to_string(&file).unwrap();
        let monolith = monolith_from_csv((&file, &text), None).unwrap();
        let graph = FunctionGraph::from_monolith(&monolith, &GraphOptions::default());
        // The same graph networkx saw.
        assert_eq!(
            graph.len() as u64,
            entry["classes"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            graph.edges().count() as u64,
            entry["edges"].as_u64().unwrap(),
            "{name}"
        );
        assert!(
            (graph.total_weight() - entry["total_weight"].as_f64().unwrap()).abs() < 1e-6,
            "{name}"
        );
        let best = entry["networkx_louvain_q_best"].as_f64().unwrap();
        let (_, after) = proposed(&graph);
        let unrepaired = propose(
            &graph,
            &ProposeOptions {
                repair: false,
                ..ProposeOptions::default()
            },
        );
        let before = unrepaired.theorem.metrics.modularity;
        eprintln!(
            "{name}: Q = {after:.6} (before repair {before:.6}), networkx Louvain best of seeds \
             0-9 {best:.6}, ratio {:.4}",
            after / best
        );
        assert!(
            before >= best * 0.995,
            "{name}: before repair {before} < 99.5 % of {best}"
        );
        assert!(after >= best * 0.995, "{name}: {after} < 99.5 % of {best}");
    }
}
