//! The weighted, undirected function graph that decomposition analysis and the proposer work
//! on: one node per monolith function, one edge per pair of functions that call each other or
//! touch the same entity, weighted by how strongly they are tied.
//!
//! Weights, and why:
//! - a call `f → g` of weight `w` adds `call_weight · w` to the edge `{f, g}`; calls in both
//!   directions add up, since either direction ties the two together. A function calling itself
//!   adds nothing: recursion says nothing about where a function belongs.
//! - data co-access: for each entity touched by `k ≥ 2` distinct functions, each pair of them
//!   gets `data_weight · (m(f) + m(g)) / 2 / (k − 1)`, where `m` is `read_weight` for a read and
//!   `write_weight` for a write or read-write (a function's strongest access to the entity
//!   counts). Writes weigh more than reads because two writers of an entity must agree on its
//!   invariants, while readers only depend on its shape. The `1 / (k − 1)` factor is Newman's
//!   projection weighting for bipartite graphs ("Scientific collaboration networks II", Phys.
//!   Rev. E 64, 016132, 2001): each function's total co-access weight for one entity stays that
//!   entity's mode weight however many functions share it, so an entity every function reads
//!   (a settings table) does not glue the whole monolith into one service.
//!
//! The graph is a petgraph [`UnGraph`]; [`FunctionGraph::adjacency`] gives the compressed form
//! the community detection iterates over.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;

use crate::scenario::{Access, Monolith};

/// How call and data-access evidence is turned into edge weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphOptions {
    /// Multiplier of call weights.
    pub call_weight: f64,
    /// Multiplier of data co-access weights.
    pub data_weight: f64,
    /// Mode weight of a read.
    pub read_weight: f64,
    /// Mode weight of a write or read-write.
    pub write_weight: f64,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            call_weight: 1.0,
            data_weight: 1.0,
            read_weight: 1.0,
            write_weight: 2.0,
        }
    }
}

/// A directed call between functions, by node index, with the calls' summed weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arc {
    /// The caller.
    pub from: u32,
    /// The callee.
    pub to: u32,
    /// Summed weight of the calls `from → to`.
    pub weight: f64,
}

/// The monolith's function graph.
#[derive(Debug, Clone)]
pub struct FunctionGraph {
    names: Vec<String>,
    index: HashMap<String, u32>,
    contexts: Vec<Option<String>>,
    graph: UnGraph<(), f64, u32>,
    arcs: Vec<Arc>,
    total_weight: f64,
}

/// The graph in compressed sparse-row form: node `v`'s neighbours are
/// `targets[offsets[v]..offsets[v + 1]]` with the same-index `weights`; no self loops.
#[derive(Debug, Clone)]
pub struct Adjacency {
    /// Row offsets, `n + 1` of them.
    pub offsets: Vec<usize>,
    /// Neighbour of each entry.
    pub targets: Vec<u32>,
    /// Weight of each entry.
    pub weights: Vec<f64>,
}

impl Adjacency {
    /// Node `v`'s neighbours with the weights of the edges to them.
    pub fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[v]..self.offsets[v + 1];
        self.targets[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&t, &w)| (t as usize, w))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FunctionGraph {
    /// Builds the graph of `monolith`. Calls and accesses naming functions the monolith does not
    /// declare add those functions (validation reports them; analysis should not lose them).
    pub fn from_monolith(monolith: &Monolith, options: &GraphOptions) -> FunctionGraph {
        let mut contexts: BTreeMap<&str, Option<String>> = monolith
            .functions
            .iter()
            .map(|(name, f)| (name.as_str(), f.context.clone()))
            .collect();
        for call in &monolith.calls {
            contexts.entry(&call.from).or_default();
            contexts.entry(&call.to).or_default();
        }
        for access in &monolith.data {
            contexts.entry(&access.function).or_default();
        }
        let names: Vec<String> = contexts.keys().map(|s| (*s).to_owned()).collect();
        let index: HashMap<String, u32> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        let contexts: Vec<Option<String>> = contexts.into_values().collect();

        // Summed first, then added to the petgraph in key order, so the graph and everything
        // computed from it do not depend on hash order.
        let mut edges: BTreeMap<(u32, u32), f64> = BTreeMap::new();
        let mut arcs: BTreeMap<(u32, u32), f64> = BTreeMap::new();
        for call in &monolith.calls {
            let (a, b) = (index[&call.from], index[&call.to]);
            if a == b {
                continue;
            }
            *arcs.entry((a, b)).or_default() += call.weight;
            *edges.entry((a.min(b), a.max(b))).or_default() += options.call_weight * call.weight;
        }

        let mut entities: BTreeMap<&str, BTreeMap<u32, Access>> = BTreeMap::new();
        for access in &monolith.data {
            let f = index[&access.function];
            let modes = entities.entry(&access.entity).or_default();
            let mode = modes.entry(f).or_insert(access.access);
            if access.access.writes() {
                *mode = access.access;
            }
        }
        let mode_weight = |a: Access| {
            if a.writes() {
                options.write_weight
            } else {
                options.read_weight
            }
        };
        for users in entities.values() {
            let users: Vec<(u32, Access)> = users.iter().map(|(&f, &a)| (f, a)).collect();
            if users.len() < 2 {
                continue;
            }
            let share = options.data_weight / (users.len() - 1) as f64;
            for (i, &(f, a)) in users.iter().enumerate() {
                for &(g, b) in &users[i + 1..] {
                    let w = share * (mode_weight(a) + mode_weight(b)) / 2.0;
                    *edges.entry((f, g)).or_default() += w;
                }
            }
        }

        let mut graph = UnGraph::with_capacity(names.len(), edges.len());
        for _ in &names {
            graph.add_node(());
        }
        let mut total_weight = 0.0;
        for (&(a, b), &w) in &edges {
            if w > 0.0 {
                graph.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), w);
                total_weight += w;
            }
        }
        FunctionGraph {
            names,
            index,
            contexts,
            graph,
            arcs: arcs
                .into_iter()
                .map(|((from, to), weight)| Arc { from, to, weight })
                .collect(),
            total_weight,
        }
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the monolith has no functions.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Function names, in node order (which is name order).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The node of a function.
    pub fn node(&self, name: &str) -> Option<usize> {
        self.index.get(name).map(|&i| i as usize)
    }

    /// The bounded-context hint of each function, in node order.
    pub fn contexts(&self) -> &[Option<String>] {
        &self.contexts
    }

    /// The petgraph graph: node `i` is function `names()[i]`.
    pub fn graph(&self) -> &UnGraph<(), f64, u32> {
        &self.graph
    }

    /// The directed calls, merged per ordered pair, self-calls left out.
    pub fn arcs(&self) -> &[Arc] {
        &self.arcs
    }

    /// Total edge weight `m` (each undirected edge once).
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Every undirected edge as `(u, v, weight)` with `u < v`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.graph.edge_references().map(|e| {
            let (a, b) = (e.source().index(), e.target().index());
            (a.min(b), a.max(b), *e.weight())
        })
    }

    /// The compressed adjacency, neighbours in ascending order.
    pub fn adjacency(&self) -> Adjacency {
        let n = self.len();
        let mut degree = vec![0usize; n + 1];
        for (u, v, _) in self.edges() {
            degree[u] += 1;
            degree[v] += 1;
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut sum = 0;
        for d in &degree[..n] {
            offsets.push(sum);
            sum += d;
        }
        offsets.push(sum);
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; sum];
        let mut weights = vec![0f64; sum];
        // Edges come in (min, max) key order, so each row fills in ascending neighbour order
        // for the lower endpoints; sort rows to make it hold for all.
        for (u, v, w) in self.edges() {
            targets[fill[u]] = v as u32;
            weights[fill[u]] = w;
            fill[u] += 1;
            targets[fill[v]] = u as u32;
            weights[fill[v]] = w;
            fill[v] += 1;
        }
        for v in 0..n {
            let range = offsets[v]..offsets[v + 1];
            let mut row: Vec<(u32, f64)> = targets[range.clone()]
                .iter()
                .copied()
                .zip(weights[range.clone()].iter().copied())
                .collect();
            row.sort_by_key(|&(t, _)| t);
            for (i, (t, w)) in row.into_iter().enumerate() {
                targets[range.start + i] = t;
                weights[range.start + i] = w;
            }
        }
        Adjacency {
            offsets,
            targets,
            weights,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{DataAccess, MonolithCall};

    fn call(from: &str, to: &str, weight: f64) -> MonolithCall {
        MonolithCall {
            from: from.into(),
            to: to.into(),
            weight,
        }
    }

    fn access(function: &str, entity: &str, access: Access) -> DataAccess {
        DataAccess {
            function: function.into(),
            entity: entity.into(),
            access,
        }
    }

    fn weight(g: &FunctionGraph, a: &str, b: &str) -> f64 {
        let (a, b) = (g.node(a).unwrap(), g.node(b).unwrap());
        g.edges()
            .find(|&(u, v, _)| (u, v) == (a.min(b), a.max(b)))
            .map_or(0.0, |e| e.2)
    }

    #[test]
    fn calls_add_up_in_both_directions_and_self_calls_are_ignored() {
        let m = Monolith {
            calls: vec![
                call("a", "b", 2.0),
                call("b", "a", 3.0),
                call("a", "a", 9.0),
            ],
            ..Monolith::default()
        };
        let g = FunctionGraph::from_monolith(&m, &GraphOptions::default());
        assert_eq!(g.names(), ["a", "b"]);
        assert_eq!(weight(&g, "a", "b"), 5.0);
        assert_eq!(g.total_weight(), 5.0);
        assert_eq!(g.arcs().len(), 2);
    }

    #[test]
    fn co_access_weighs_writes_more_and_is_shared_among_the_entity_users() {
        // Entity `order` is touched by a (write), b (read), c (read): k = 3, share 1/(k−1) = 0.5.
        //   {a, b}: 0.5 · (2 + 1)/2 = 0.75;  {a, c}: 0.75;  {b, c}: 0.5 · (1 + 1)/2 = 0.5.
        // Entity `stock` is touched by b (read, then write: the write counts) and c (write):
        //   k = 2, share 1: {b, c}: (2 + 2)/2 = 2, so {b, c} = 0.5 + 2 = 2.5.
        let m = Monolith {
            data: vec![
                access("a", "order", Access::Write),
                access("b", "order", Access::Read),
                access("c", "order", Access::Read),
                access("b", "stock", Access::Read),
                access("b", "stock", Access::Write),
                access("c", "stock", Access::ReadWrite),
            ],
            ..Monolith::default()
        };
        let g = FunctionGraph::from_monolith(&m, &GraphOptions::default());
        assert_eq!(weight(&g, "a", "b"), 0.75);
        assert_eq!(weight(&g, "a", "c"), 0.75);
        assert_eq!(weight(&g, "b", "c"), 2.5);
        assert_eq!(g.total_weight(), 4.0);
        let adj = g.adjacency();
        let row: Vec<(usize, f64)> = adj.neighbours(1).collect();
        assert_eq!(row, [(0, 0.75), (2, 2.5)]);
    }
}
