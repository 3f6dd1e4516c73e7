//! The decomposition theorem: a decomposition `D(M) = {s1..sn}` of a monolith `M` is sound when
//! (1) the services' function sets cover `F(M)`, (2) they are pairwise disjoint, and
//! (3) `cohesion(si) > coupling(si, sj)` for every ordered pair `i ≠ j`.
//!
//! This module checks all three on the function graph and says exactly what breaks: the
//! functions in no service, the functions a service names that the monolith lacks, the functions
//! in two services, and every ordered pair whose coupling reaches the left service's cohesion,
//! with the heaviest cross edges that cause it.
//!
//! Two readings of the third condition are ours and documented in the report: a pair with zero
//! coupling holds (nothing crosses it, so nothing can bind the services more than their
//! insides), and under the density definition a single-function service, whose cohesion is
//! undefined, is never the left side of a broken pair.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::graph::FunctionGraph;
use super::metrics::{CohesionDefinition, QualityMetrics, ServiceWeights, quality};

/// One service of a decomposition: its name and the functions it declares, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePart {
    /// The service's name.
    pub name: String,
    /// The functions it implements.
    pub functions: Vec<String>,
}

/// A function that a service names but the monolith does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownFunction {
    /// The service.
    pub service: String,
    /// Position in the service's `functions`.
    pub index: usize,
    /// The function.
    pub function: String,
}

/// A function implemented by more than one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overlap {
    /// The function.
    pub function: String,
    /// The services that list it, in name order; metrics count it in the first.
    pub services: Vec<String>,
    /// Its position in each of those services' `functions`.
    #[serde(skip)]
    pub indices: Vec<usize>,
}

/// One edge of the function graph between two services.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossEdge {
    /// The function in the first service.
    pub from: String,
    /// The function in the second service.
    pub to: String,
    /// The edge's weight.
    pub weight: f64,
}

/// An ordered pair that breaks `cohesion(service) > coupling(service, other)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The service whose cohesion is too low.
    pub service: String,
    /// The service it is coupled to.
    pub other: String,
    /// `cohesion(service)`.
    pub cohesion: f64,
    /// `coupling(service, other)`.
    pub coupling: f64,
    /// The heaviest edges between the two, heaviest first (`from` in `service`).
    pub heaviest: Vec<CrossEdge>,
}

/// A service's cohesion and shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCohesion {
    /// The service.
    pub name: String,
    /// `cohesion(S)`; `None` where the definition leaves it undefined.
    pub cohesion: Option<f64>,
    /// The functions it implements that are in the monolith (a function in two services counts
    /// in the first only).
    pub functions: Vec<String>,
    /// `W(S, S)`.
    pub internal_weight: f64,
    /// Number of connected groups its functions form in the function graph (1 is whole).
    pub connected_parts: usize,
}

/// `coupling(from, to)`, for pairs with a non-zero value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coupling {
    /// The first service.
    pub from: String,
    /// The second service.
    pub to: String,
    /// `coupling(from, to)`.
    pub value: f64,
    /// `W(from, to)`.
    pub weight: f64,
}

/// The verdict of the theorem on one decomposition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TheoremReport {
    /// The cohesion/coupling definition used.
    pub definition: CohesionDefinition,
    /// The definition's formulas.
    pub formula: &'static str,
    /// (1): every monolith function is in a service, and every service function is in the
    /// monolith.
    pub coverage: bool,
    /// (2): no function is in two services.
    pub disjoint: bool,
    /// (3): `cohesion(si) > coupling(si, sj)` for every ordered pair.
    pub cohesion_exceeds_coupling: bool,
    /// Monolith functions that no service implements.
    pub uncovered: Vec<String>,
    /// Service functions the monolith does not have.
    pub unknown: Vec<UnknownFunction>,
    /// Functions in more than one service.
    pub overlapping: Vec<Overlap>,
    /// Ordered pairs that break (3), worst margin first.
    pub violations: Vec<Violation>,
    /// Per-service cohesion.
    #[serde(skip)]
    pub services: Vec<ServiceCohesion>,
    /// Non-zero couplings for every ordered pair.
    #[serde(skip)]
    pub coupling: Vec<Coupling>,
    /// Quality metrics of the decomposition.
    #[serde(skip)]
    pub metrics: QualityMetrics,
}

impl TheoremReport {
    /// Whether all three conditions hold.
    pub fn holds(&self) -> bool {
        self.coverage && self.disjoint && self.cohesion_exceeds_coupling
    }
}

/// Checks the decomposition `parts` of the monolith whose function graph is `graph`, listing at
/// most `heaviest` cross edges per broken pair.
pub fn check(
    graph: &FunctionGraph,
    parts: &[ServicePart],
    definition: CohesionDefinition,
    heaviest: usize,
) -> TheoremReport {
    let mut assignment: Vec<Option<usize>> = vec![None; graph.len()];
    let mut unknown = Vec::new();
    let mut owners: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for (s, part) in parts.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for (i, function) in part.functions.iter().enumerate() {
            match graph.node(function) {
                Some(v) => {
                    // A function listed twice by one service is a validation error, not an
                    // overlap between services.
                    if seen.insert(v) {
                        owners.entry(v).or_default().push((s, i));
                    }
                }
                None => unknown.push(UnknownFunction {
                    service: part.name.clone(),
                    index: i,
                    function: function.clone(),
                }),
            }
        }
    }
    let mut overlapping = Vec::new();
    for (&v, list) in &owners {
        assignment[v] = Some(list[0].0);
        if list.len() > 1 {
            overlapping.push(Overlap {
                function: graph.names()[v].clone(),
                services: list.iter().map(|&(s, _)| parts[s].name.clone()).collect(),
                indices: list.iter().map(|&(_, i)| i).collect(),
            });
        }
    }
    let uncovered: Vec<String> = (0..graph.len())
        .filter(|&v| assignment[v].is_none())
        .map(|v| graph.names()[v].clone())
        .collect();

    let weights = ServiceWeights::new(graph, &assignment, parts.len());
    let cohesion: Vec<Option<f64>> = (0..parts.len())
        .map(|s| definition.cohesion(weights.internal[s], weights.sizes[s]))
        .collect();

    let mut pairs: Vec<(usize, usize, f64)> = weights
        .between
        .iter()
        .map(|(&(a, b), &w)| (a, b, w))
        .collect();
    pairs.sort_by_key(|&(a, b, _)| (a, b));
    let mut coupling = Vec::new();
    let mut broken: Vec<(usize, usize, f64, f64)> = Vec::new();
    for &(a, b, w) in &pairs {
        for (s, t) in [(a, b), (b, a)] {
            let value = definition.coupling(w, weights.sizes[s], weights.sizes[t]);
            coupling.push(Coupling {
                from: parts[s].name.clone(),
                to: parts[t].name.clone(),
                value,
                weight: w,
            });
            if let Some(c) = cohesion[s]
                && value > 0.0
                && c <= value
            {
                broken.push((s, t, c, value));
            }
        }
    }
    coupling.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    // Worst first: the largest excess of coupling over cohesion, then by name.
    broken.sort_by(|x, y| {
        (y.3 - y.2).total_cmp(&(x.3 - x.2)).then_with(|| {
            (&parts[x.0].name, &parts[x.1].name).cmp(&(&parts[y.0].name, &parts[y.1].name))
        })
    });

    let violations = if broken.is_empty() {
        Vec::new()
    } else {
        let mut cross: BTreeMap<(usize, usize), Vec<CrossEdge>> = BTreeMap::new();
        for &(s, t, _, _) in &broken {
            cross.insert((s, t), Vec::new());
        }
        for (u, v, w) in graph.edges() {
            if let (Some(a), Some(b)) = (assignment[u], assignment[v])
                && a != b
            {
                for (s, t, x, y) in [(a, b, u, v), (b, a, v, u)] {
                    if let Some(list) = cross.get_mut(&(s, t)) {
                        list.push(CrossEdge {
                            from: graph.names()[x].clone(),
                            to: graph.names()[y].clone(),
                            weight: w,
                        });
                    }
                }
            }
        }
        for list in cross.values_mut() {
            list.sort_by(|a, b| {
                b.weight
                    .total_cmp(&a.weight)
                    .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
            });
            list.truncate(heaviest);
        }
        broken
            .iter()
            .map(|&(s, t, c, value)| Violation {
                service: parts[s].name.clone(),
                other: parts[t].name.clone(),
                cohesion: c,
                coupling: value,
                heaviest: cross.remove(&(s, t)).unwrap_or_default(),
            })
            .collect()
    };

    let parts_count = connected_parts(graph, &assignment, parts.len());
    let mut members: Vec<Vec<String>> = vec![Vec::new(); parts.len()];
    for (v, s) in assignment.iter().enumerate() {
        if let Some(s) = s {
            members[*s].push(graph.names()[v].clone());
        }
    }
    let services = parts
        .iter()
        .enumerate()
        .map(|(s, part)| {
            // Keep the service's own order of its functions.
            let mut mine: BTreeSet<&String> = members[s].iter().collect();
            ServiceCohesion {
                name: part.name.clone(),
                cohesion: cohesion[s],
                functions: part
                    .functions
                    .iter()
                    .filter(|f| mine.remove(f))
                    .cloned()
                    .collect(),
                internal_weight: weights.internal[s],
                connected_parts: parts_count[s],
            }
        })
        .collect();

    TheoremReport {
        definition,
        formula: definition.formula(),
        coverage: uncovered.is_empty() && unknown.is_empty(),
        disjoint: overlapping.is_empty(),
        cohesion_exceeds_coupling: violations.is_empty(),
        uncovered,
        unknown,
        overlapping,
        violations,
        services,
        coupling,
        metrics: quality(graph, &assignment, parts.len()),
    }
}

/// For each service, how many connected groups its functions form using only the edges inside
/// it (0 for a service with no functions).
pub fn connected_parts(
    graph: &FunctionGraph,
    assignment: &[Option<usize>],
    services: usize,
) -> Vec<usize> {
    let n = graph.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (u, v, _) in graph.edges() {
        if assignment[u].is_some() && assignment[u] == assignment[v] {
            let (a, b) = (find(&mut parent, u), find(&mut parent, v));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut count = vec![0; services];
    for (v, s) in assignment.iter().enumerate() {
        if let Some(s) = *s
            && find(&mut parent, v) == v
        {
            count[s] += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Monolith, MonolithCall};

    fn graph(calls: &[(&str, &str, f64)]) -> FunctionGraph {
        let m = Monolith {
            calls: calls
                .iter()
                .map(|&(f, t, w)| MonolithCall {
                    from: f.into(),
                    to: t.into(),
                    weight: w,
                })
                .collect(),
            ..Monolith::default()
        };
        FunctionGraph::from_monolith(&m, &Default::default())
    }

    fn part(name: &str, functions: &[&str]) -> ServicePart {
        ServicePart {
            name: name.into(),
            functions: functions.iter().map(|f| (*f).into()).collect(),
        }
    }

    #[test]
    fn a_sound_split_holds() {
        // orders {a, b, c}: a–b 4, b–c 4, a–c 4 → W = 12, cohesion = 12 / 3 = 4.
        // stock {d, e}: d–e 5 → cohesion = 5 / 1 = 5.  Bridge c–d 3: coupling = 3 / 6 = 0.5.
        let g = graph(&[
            ("a", "b", 4.0),
            ("b", "c", 4.0),
            ("c", "a", 4.0),
            ("d", "e", 5.0),
            ("c", "d", 3.0),
        ]);
        let r = check(
            &g,
            &[part("orders", &["a", "b", "c"]), part("stock", &["d", "e"])],
            CohesionDefinition::Density,
            3,
        );
        assert!(r.holds(), "{r:#?}");
        assert_eq!(r.services[0].cohesion, Some(4.0));
        assert_eq!(r.services[1].cohesion, Some(5.0));
        assert_eq!(r.coupling.len(), 2);
        assert_eq!(r.coupling[0].value, 0.5);
        assert_eq!(r.services[0].connected_parts, 1);
    }

    #[test]
    fn a_broken_pair_names_its_heaviest_cross_edges() {
        // loose {a, b, c}: only a–b 1 → cohesion = 1/3. tight {d, e}: d–e 9 → cohesion 9.
        // Cross: c–d 2, c–e 1, a–d 0.5 → W = 3.5, coupling = 3.5 / 6 = 7/12 > 1/3: broken one
        // way only (9 > 7/12).
        let g = graph(&[
            ("a", "b", 1.0),
            ("d", "e", 9.0),
            ("c", "d", 2.0),
            ("c", "e", 1.0),
            ("a", "d", 0.5),
        ]);
        let r = check(
            &g,
            &[part("loose", &["a", "b", "c"]), part("tight", &["d", "e"])],
            CohesionDefinition::Density,
            2,
        );
        assert!(r.coverage && r.disjoint && !r.cohesion_exceeds_coupling);
        assert_eq!(r.violations.len(), 1);
        let v = &r.violations[0];
        assert_eq!((v.service.as_str(), v.other.as_str()), ("loose", "tight"));
        assert!((v.cohesion - 1.0 / 3.0).abs() < 1e-12);
        assert!((v.coupling - 7.0 / 12.0).abs() < 1e-12);
        let heaviest: Vec<(&str, &str, f64)> = v
            .heaviest
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.weight))
            .collect();
        assert_eq!(heaviest, [("c", "d", 2.0), ("c", "e", 1.0)]);
        // c hangs off `loose` by no internal edge: two connected parts.
        assert_eq!(r.services[0].connected_parts, 2);
    }

    #[test]
    fn coverage_and_disjointness_name_the_functions() {
        let g = graph(&[("a", "b", 1.0), ("b", "c", 1.0)]);
        let r = check(
            &g,
            &[part("x", &["a", "b", "zz"]), part("y", &["b"])],
            CohesionDefinition::Density,
            3,
        );
        assert!(!r.coverage && !r.disjoint);
        assert_eq!(r.uncovered, ["c"]);
        assert_eq!(r.unknown[0].function, "zz");
        assert_eq!(r.unknown[0].index, 2);
        assert_eq!(r.overlapping[0].function, "b");
        assert_eq!(r.overlapping[0].services, ["x", "y"]);
    }

    #[test]
    fn singletons_and_uncoupled_pairs_hold_under_density() {
        // {a} alone, coupled to {b, c} by 1: a's cohesion is undefined (never the left side);
        // {b, c}: cohesion 2 > coupling 1 / 2. d and e are in no service: not covered, but
        // they take no part in cohesion or coupling.
        let g = graph(&[("a", "b", 1.0), ("b", "c", 2.0), ("d", "e", 1.0)]);
        let r = check(
            &g,
            &[part("one", &["a"]), part("two", &["b", "c"])],
            CohesionDefinition::Density,
            3,
        );
        assert!(r.cohesion_exceeds_coupling && r.disjoint, "{r:#?}");
        assert_eq!(r.uncovered, ["d", "e"]);
        assert_eq!(r.services[0].cohesion, None);
        // Under `total`, the singleton's cohesion is 0 and the pair breaks.
        let r = check(
            &g,
            &[part("one", &["a"]), part("two", &["b", "c"])],
            CohesionDefinition::Total,
            3,
        );
        assert!(!r.cohesion_exceeds_coupling);
        assert_eq!(r.violations[0].service, "one");
    }
}
