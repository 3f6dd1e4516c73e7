//! Cohesion, coupling and the decomposition quality metrics of the literature, computed on the
//! function graph for a partition of its functions into services.
//!
//! A partition is an `assignment`: for each function (node), the index of its service, or
//! `None` when no service implements it. Unassigned functions take part in no cohesion or
//! coupling, and count as a community of their own in modularity.

use std::collections::BTreeMap;

use serde::Serialize;

use super::graph::FunctionGraph;

/// How cohesion and coupling are defined. `W(S, T)` is the summed weight of the function-graph
/// edges between services `S` and `T`, `W(S, S)` that of the edges inside `S` (each once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CohesionDefinition {
    /// Edge-weight density (the default): `cohesion(S) = W(S,S) / (|S|(|S|−1)/2)`, the mean
    /// weight per pair of functions inside `S`, and `coupling(S,T) = W(S,T) / (|S|·|T|)`, the
    /// mean weight per pair across. A single-function service has no pair inside: its cohesion
    /// is undefined and it is never the left side of a broken pair (a lone function is as
    /// cohesive as anything can be).
    #[default]
    Density,
    /// The terms of Jin et al.'s structural modularity, on weights: `cohesion(S) = W(S,S) / |S|²`,
    /// `coupling(S,T) = W(S,T) / (2·|S|·|T|)`.
    Structural,
    /// Raw weights: `cohesion(S) = W(S,S)`, `coupling(S,T) = W(S,T)`: a service holds more
    /// weight inside than towards any one other service.
    Total,
}

impl CohesionDefinition {
    /// Every definition, for help texts.
    pub const ALL: [CohesionDefinition; 3] = [
        CohesionDefinition::Density,
        CohesionDefinition::Structural,
        CohesionDefinition::Total,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            CohesionDefinition::Density => "density",
            CohesionDefinition::Structural => "structural",
            CohesionDefinition::Total => "total",
        }
    }

    /// The formulas, for reports.
    pub fn formula(self) -> &'static str {
        match self {
            CohesionDefinition::Density => {
                "cohesion(S) = W(S,S) / (|S|(|S|-1)/2); coupling(S,T) = W(S,T) / (|S|*|T|)"
            }
            CohesionDefinition::Structural => {
                "cohesion(S) = W(S,S) / |S|^2; coupling(S,T) = W(S,T) / (2*|S|*|T|)"
            }
            CohesionDefinition::Total => "cohesion(S) = W(S,S); coupling(S,T) = W(S,T)",
        }
    }

    /// Cohesion of a service of `size` functions with internal weight `internal`; `None` when
    /// the definition leaves it undefined.
    pub fn cohesion(self, internal: f64, size: usize) -> Option<f64> {
        let n = size as f64;
        match self {
            CohesionDefinition::Density if size < 2 => None,
            CohesionDefinition::Density => Some(internal / (n * (n - 1.0) / 2.0)),
            CohesionDefinition::Structural if size == 0 => None,
            CohesionDefinition::Structural => Some(internal / (n * n)),
            CohesionDefinition::Total => Some(internal),
        }
    }

    /// Coupling between services of `size_s` and `size_t` functions with `between` weight
    /// across.
    pub fn coupling(self, between: f64, size_s: usize, size_t: usize) -> f64 {
        let (s, t) = (size_s as f64, size_t as f64);
        if size_s == 0 || size_t == 0 {
            return 0.0;
        }
        match self {
            CohesionDefinition::Density => between / (s * t),
            CohesionDefinition::Structural => between / (2.0 * s * t),
            CohesionDefinition::Total => between,
        }
    }
}

/// The weights a partition induces: per service its size and internal weight, per unordered
/// pair of services the weight between them.
#[derive(Debug, Clone)]
pub struct ServiceWeights {
    /// Functions per service.
    pub sizes: Vec<usize>,
    /// `W(S, S)` per service.
    pub internal: Vec<f64>,
    /// `W(S, T)` keyed by `(S, T)` with `S < T`; pairs with no edge are absent. Ordered, so
    /// any sum over it adds in the same order every run.
    pub between: BTreeMap<(usize, usize), f64>,
}

impl ServiceWeights {
    /// Sums the graph's edges over the partition.
    pub fn new(graph: &FunctionGraph, assignment: &[Option<usize>], services: usize) -> Self {
        let mut sizes = vec![0; services];
        for s in assignment.iter().flatten() {
            sizes[*s] += 1;
        }
        let mut internal = vec![0.0; services];
        let mut between = BTreeMap::new();
        for (u, v, w) in graph.edges() {
            if let (Some(a), Some(b)) = (assignment[u], assignment[v]) {
                if a == b {
                    internal[a] += w;
                } else {
                    *between.entry((a.min(b), a.max(b))).or_insert(0.0) += w;
                }
            }
        }
        ServiceWeights {
            sizes,
            internal,
            between,
        }
    }

    /// `W(S, T)` for `S ≠ T`.
    pub fn between(&self, s: usize, t: usize) -> f64 {
        self.between
            .get(&(s.min(t), s.max(t)))
            .copied()
            .unwrap_or(0.0)
    }
}

/// The quality metrics of a partition, as defined in the literature so users can compare with
/// published tables.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityMetrics {
    /// Modularity Q (higher is better, at most 1).
    pub modularity: f64,
    /// Structural modularity SM (higher is better).
    pub structural_modularity: f64,
    /// Inter-call percentage ICP (lower is better, in [0, 1]).
    pub inter_call_percentage: f64,
    /// Interface number IFN (lower is better).
    pub interface_number: f64,
    /// Non-extreme distribution NED (lower is better, in [0, 1]).
    pub non_extreme_distribution: f64,
}

/// Smallest service size NED counts as non-extreme.
pub const NED_MIN_SIZE: usize = 5;
/// Largest service size NED counts as non-extreme.
pub const NED_MAX_SIZE: usize = 20;

/// All the quality metrics of `assignment` over `services` services.
pub fn quality(
    graph: &FunctionGraph,
    assignment: &[Option<usize>],
    services: usize,
) -> QualityMetrics {
    QualityMetrics {
        modularity: modularity(graph, assignment, 1.0),
        structural_modularity: structural_modularity(graph, assignment, services),
        inter_call_percentage: inter_call_percentage(graph, assignment),
        interface_number: interface_number(graph, assignment, services),
        non_extreme_distribution: non_extreme_distribution(assignment, services),
    }
}

/// Newman's weighted modularity with a resolution γ (Newman, "Analysis of weighted networks",
/// Phys. Rev. E 70, 056131, 2004; γ as in Reichardt & Bornholdt 2006):
/// `Q = Σ_c [ W(c,c)/m − γ·(vol(c) / 2m)² ]`, where `m` is the total edge weight, `W(c,c)` the
/// weight inside community `c` and `vol(c)` the sum of its functions' weighted degrees. Each
/// unassigned function is a community of its own. An edgeless graph has Q = 0.
pub fn modularity(graph: &FunctionGraph, assignment: &[Option<usize>], resolution: f64) -> f64 {
    let m = graph.total_weight();
    if m <= 0.0 {
        return 0.0;
    }
    let services = assignment.iter().flatten().max().map_or(0, |s| s + 1);
    // Unassigned functions get community ids after the services'.
    let community = |v: usize| assignment[v].unwrap_or(services + v);
    let mut internal: BTreeMap<usize, f64> = BTreeMap::new();
    let mut volume: BTreeMap<usize, f64> = BTreeMap::new();
    for (u, v, w) in graph.edges() {
        let (a, b) = (community(u), community(v));
        if a == b {
            *internal.entry(a).or_default() += w;
        }
        *volume.entry(a).or_default() += w;
        *volume.entry(b).or_default() += w;
    }
    let mut keys: Vec<usize> = volume.keys().copied().collect();
    keys.sort_unstable();
    keys.iter()
        .map(|c| {
            let inside = internal.get(c).copied().unwrap_or(0.0);
            let share = volume[c] / (2.0 * m);
            inside / m - resolution * share * share
        })
        .sum()
}

/// Structural modularity (Jin, Liu, Zhao, Xu, Cai, "Functionality-oriented microservice
/// extraction based on execution trace clustering", ICWS 2018; used as SM by Mono2Micro, Kalia
/// et al., FSE 2021):
/// `SM = (1/K) Σ_i μ_i/N_i² − (1/(K(K−1)/2)) Σ_{i<j} σ_ij/(2·N_i·N_j)`,
/// with `K` services, `N_i` functions in service `i`, `μ_i` the edges inside it and `σ_ij` the
/// edges between `i` and `j`. Edges are counted, not weighted (as published), over the function
/// graph's distinct connected pairs. With one service the second term is 0.
pub fn structural_modularity(
    graph: &FunctionGraph,
    assignment: &[Option<usize>],
    services: usize,
) -> f64 {
    let mut sizes = vec![0usize; services];
    for s in assignment.iter().flatten() {
        sizes[*s] += 1;
    }
    let k = sizes.iter().filter(|&&n| n > 0).count();
    if k == 0 {
        return 0.0;
    }
    let mut inside = vec![0usize; services];
    // Ordered: summing floats over a HashMap added them in a different order each run, and
    // `propose --seed 0` printed a different last digit one run in six (issue 13).
    let mut across: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (u, v, _) in graph.edges() {
        if let (Some(a), Some(b)) = (assignment[u], assignment[v]) {
            if a == b {
                inside[a] += 1;
            } else {
                *across.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }
    let cohesion: f64 = (0..services)
        .filter(|&s| sizes[s] > 0)
        .map(|s| inside[s] as f64 / (sizes[s] * sizes[s]) as f64)
        .sum::<f64>()
        / k as f64;
    let coupling = if k > 1 {
        let sum: f64 = across
            .iter()
            .map(|(&(a, b), &sigma)| sigma as f64 / (2.0 * sizes[a] as f64 * sizes[b] as f64))
            .sum();
        sum / (k * (k - 1) / 2) as f64
    } else {
        0.0
    };
    cohesion - coupling
}

/// Inter-call percentage (Kalia et al., "Mono2Micro", FSE 2021):
/// `ICP = Σ_{i≠j} c_ij / Σ_{i,j} c_ij`, where `c_ij` is the weight of the calls from service `i`
/// to service `j` (call weights stand for call counts). Only calls between assigned functions
/// count; self-calls are not in the graph. No calls gives 0.
pub fn inter_call_percentage(graph: &FunctionGraph, assignment: &[Option<usize>]) -> f64 {
    let (mut all, mut across) = (0.0, 0.0);
    for arc in graph.arcs() {
        if let (Some(a), Some(b)) = (assignment[arc.from as usize], assignment[arc.to as usize]) {
            all += arc.weight;
            if a != b {
                across += arc.weight;
            }
        }
    }
    if all > 0.0 { across / all } else { 0.0 }
}

/// Interface number (Jin et al., ICWS 2018; Mono2Micro's IFN):
/// `IFN = (1/K) Σ_i ifn_i`, where `ifn_i` is the number of functions of service `i` that a
/// function of another service calls (its published interfaces), over the `K` non-empty
/// services.
pub fn interface_number(
    graph: &FunctionGraph,
    assignment: &[Option<usize>],
    services: usize,
) -> f64 {
    let k = {
        let mut seen = vec![false; services];
        assignment.iter().flatten().for_each(|&s| seen[s] = true);
        seen.iter().filter(|&&b| b).count()
    };
    if k == 0 {
        return 0.0;
    }
    let mut interface = vec![false; graph.len()];
    for arc in graph.arcs() {
        if let (Some(a), Some(b)) = (assignment[arc.from as usize], assignment[arc.to as usize])
            && a != b
        {
            interface[arc.to as usize] = true;
        }
    }
    interface.iter().filter(|&&b| b).count() as f64 / k as f64
}

/// Non-extreme distribution (Desai, Bandyopadhyay, Tamilselvam, "Graph neural network to dilute
/// outliers for refactoring monolith application", AAAI 2021, after Wu et al. 2005):
/// `NED = 1 − Σ_{i : 5 ≤ N_i ≤ 20} N_i / N`, the share of the `N` assigned functions that sit in
/// services of extreme size (fewer than [`NED_MIN_SIZE`] or more than [`NED_MAX_SIZE`]).
pub fn non_extreme_distribution(assignment: &[Option<usize>], services: usize) -> f64 {
    let mut sizes = vec![0usize; services];
    for s in assignment.iter().flatten() {
        sizes[*s] += 1;
    }
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let moderate: usize = sizes
        .iter()
        .filter(|&&n| (NED_MIN_SIZE..=NED_MAX_SIZE).contains(&n))
        .sum();
    1.0 - moderate as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Monolith, MonolithCall};

    /// Two triangles joined by one bridge, all calls of weight 1, written as calls
    /// a→b, b→c, c→a (service 0) and d→e, e→f, f→d (service 1), bridge c→d.
    fn two_triangles() -> FunctionGraph {
        let calls = [
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("d", "e"),
            ("e", "f"),
            ("f", "d"),
            ("c", "d"),
        ];
        let m = Monolith {
            calls: calls
                .iter()
                .map(|(f, t)| MonolithCall {
                    from: (*f).into(),
                    to: (*t).into(),
                    weight: 1.0,
                })
                .collect(),
            ..Monolith::default()
        };
        FunctionGraph::from_monolith(&m, &Default::default())
    }

    fn split() -> Vec<Option<usize>> {
        vec![Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)]
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Issue 13: the same graph and partition gave `structural_modularity` …657 in five runs
    /// and …176 in a sixth. Each call below sums over fresh maps; a HashMap's order differs
    /// between instances, so any hash-ordered float sum shows here as differing bits.
    #[test]
    fn the_metrics_are_the_same_bits_every_time() {
        let mut state = 7u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let calls = (0..3_000)
            .map(|_| MonolithCall {
                from: format!("f{}", next(600)),
                to: format!("f{}", next(600)),
                weight: 1.0 + next(7) as f64 / 3.0,
            })
            .filter(|c| c.from != c.to)
            .collect();
        let m = Monolith {
            calls,
            ..Monolith::default()
        };
        let graph = FunctionGraph::from_monolith(&m, &Default::default());
        let services = 150;
        let assignment: Vec<Option<usize>> = (0..graph.len())
            .map(|_| Some(next(services as u64) as usize))
            .collect();
        let first = (
            structural_modularity(&graph, &assignment, services).to_bits(),
            modularity(&graph, &assignment, 1.0).to_bits(),
        );
        for _ in 0..30 {
            assert_eq!(
                (
                    structural_modularity(&graph, &assignment, services).to_bits(),
                    modularity(&graph, &assignment, 1.0).to_bits(),
                ),
                first
            );
        }
    }

    #[test]
    fn modularity_of_two_triangles() {
        // m = 7. Each triangle: W(c,c) = 3, vol(c) = 2·3 + 1 (the bridge) = 7.
        // Q = 2 · (3/7 − (7/14)²) = 6/7 − 1/2 = 5/14.
        let g = two_triangles();
        assert!(close(modularity(&g, &split(), 1.0), 5.0 / 14.0));
        // One community: Q = 7/7 − 1 = 0. γ = 2 on the split: 2·(3/7 − 2/4) = −1/7.
        assert!(close(modularity(&g, &[Some(0); 6], 1.0), 0.0));
        assert!(close(modularity(&g, &split(), 2.0), -1.0 / 7.0));
        // Unassigned functions are singletons: a alone, rest as before. Communities
        // {a}: 0 − (2/14)²; {b,c}: 1/7 − (5/14)²; {d,e,f}: 3/7 − (7/14)².
        let mut partial = split();
        partial[0] = None;
        let expected = -(4.0 / 196.0) + (1.0 / 7.0 - 25.0 / 196.0) + (3.0 / 7.0 - 0.25);
        assert!(close(modularity(&g, &partial, 1.0), expected));
    }

    #[test]
    fn structural_modularity_of_two_triangles() {
        // μ = 3 per service, N = 3: cohesion term (3/9 + 3/9)/2 = 1/3.
        // σ = 1 between them: coupling term (1/(2·3·3)) / (2·1/2) = 1/18.  SM = 1/3 − 1/18 = 5/18.
        let g = two_triangles();
        assert!(close(structural_modularity(&g, &split(), 2), 5.0 / 18.0));
        // One service of 6: μ = 7, SM = 7/36.
        assert!(close(
            structural_modularity(&g, &[Some(0); 6], 1),
            7.0 / 36.0
        ));
    }

    #[test]
    fn inter_call_percentage_and_interfaces() {
        // 7 calls of weight 1, one (c→d) crosses: ICP = 1/7. Only d is called from outside:
        // IFN = 1 interface / 2 services = 0.5.
        let g = two_triangles();
        assert!(close(inter_call_percentage(&g, &split()), 1.0 / 7.0));
        assert!(close(interface_number(&g, &split(), 2), 0.5));
        // Services {a,b} and {c,d,e,f}: crossing calls b→c and c→a: ICP = 2/7; interfaces c, a:
        // IFN = 2/2 = 1.
        let other = vec![Some(0), Some(0), Some(1), Some(1), Some(1), Some(1)];
        assert!(close(inter_call_percentage(&g, &other), 2.0 / 7.0));
        assert!(close(interface_number(&g, &other, 2), 1.0));
    }

    #[test]
    fn non_extreme_distribution_counts_functions_in_odd_sized_services() {
        // Sizes 3 (extreme), 5 and 20 (non-extreme), 21 (extreme): N = 49, moderate = 25,
        // NED = 1 − 25/49 = 24/49.
        let mut assignment = Vec::new();
        for (s, n) in [3, 5, 20, 21].into_iter().enumerate() {
            assignment.extend(std::iter::repeat_n(Some(s), n));
        }
        assert!(close(non_extreme_distribution(&assignment, 4), 24.0 / 49.0));
        assert!(close(non_extreme_distribution(&[], 0), 0.0));
    }

    #[test]
    fn cohesion_and_coupling_definitions() {
        // Service S: 3 functions with W(S,S) = 3; T: 3 functions; W(S,T) = 1.
        use CohesionDefinition::*;
        assert_eq!(Density.cohesion(3.0, 3), Some(1.0)); // 3 / (3·2/2)
        assert_eq!(Density.coupling(1.0, 3, 3), 1.0 / 9.0); // 1 / (3·3)
        assert_eq!(Density.cohesion(0.0, 1), None);
        assert_eq!(Structural.cohesion(3.0, 3), Some(1.0 / 3.0)); // 3 / 9
        assert_eq!(Structural.coupling(1.0, 3, 3), 1.0 / 18.0); // 1 / (2·9)
        assert_eq!(Total.cohesion(3.0, 3), Some(3.0));
        assert_eq!(Total.coupling(1.0, 3, 3), 1.0);
        let w = ServiceWeights::new(&two_triangles(), &split(), 2);
        assert_eq!(w.sizes, [3, 3]);
        assert_eq!(w.internal, [3.0, 3.0]);
        assert_eq!(w.between(1, 0), 1.0);
    }
}
