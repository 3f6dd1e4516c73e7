//! Community detection for the proposer: the Leiden algorithm (Traag, Waltman & van Eck, "From
//! Louvain to Leiden: guaranteeing well-connected communities", Scientific Reports 9, 5233,
//! 2019), optimising modularity with a resolution γ, with bounded-context constraints.
//!
//! Why in-tree: no maintained Rust crate offers Leiden with constraints on a weighted graph
//! (the crates found implement Louvain only, or CPM without weights, or pull in a graph type of
//! their own), and the proposer needs two things a library would not give: functions with the
//! same context hint must end in one community and functions with different hints must never
//! share one, and the result must be a pure function of the input and the seed. The algorithm
//! is about 300 lines on a compressed adjacency built from the petgraph function graph.
//!
//! The implementation follows the paper's Algorithm A.2:
//! 1. *fast local moving*: nodes are visited from a queue in random order; each moves to the
//!    neighbouring community (or an empty one) with the largest modularity gain, and its
//!    neighbours outside that community are queued again;
//! 2. *refinement*: inside each community, every well-connected node that is still alone may
//!    merge into a well-connected sub-community of it, chosen with probability
//!    `∝ exp(ΔQ / θ)` among non-negative gains (θ = 0.01 on unnormalised gains, as in
//!    igraph and leidenalg: nearly greedy, ties broken at random);
//! 3. *aggregation* on the refined partition, the aggregate nodes starting in their unrefined
//!    community. When refinement merges nothing, the unrefined partition is aggregated instead
//!    (as leidenalg does), so every level shrinks the graph.
//!
//! Passes are repeated from the previous result until the partition stops changing (at most
//! [`LeidenOptions::max_passes`]), and the best partition found is kept. The whole algorithm
//! is run several times from seeds derived from [`LeidenOptions::seed`] (the first run uses the
//! seed itself) until [`LeidenOptions::patience`] runs in a row find nothing better, at most
//! [`LeidenOptions::runs`] and at most [`RUN_BUDGET`] nodes and edges in all; the best
//! partition of all runs is the result.
//!
//! Constraints: before the first level, all functions with the same hint are merged into one
//! node (must-link); a node with a hint never moves into a community holding another hint
//! (cannot-link). Since each community then holds at most one hinted node, refinement and
//! aggregation keep both properties.
//!
//! Determinism: every random choice comes from a xoshiro256++ generator seeded with
//! [`LeidenOptions::seed`], neighbour lists are in ascending order and ties go to the first
//! candidate, so the same graph, hints and seed always give the same partition.

use std::collections::{BTreeMap, VecDeque};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::graph::Adjacency;

/// Parameters of [`leiden`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeidenOptions {
    /// The resolution γ: above 1 favours more, smaller communities; below 1 fewer, larger ones.
    pub resolution: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Randomness θ of the refinement step.
    pub randomness: f64,
    /// Upper bound on full passes of the algorithm.
    pub max_passes: usize,
    /// Upper bound on independent runs, each from its own seed derived from
    /// [`LeidenOptions::seed`]; the partition of highest modularity is kept (the earliest run
    /// on a tie).
    pub runs: usize,
    /// Runs stop once this many in a row have found nothing better.
    pub patience: usize,
}

/// Default upper bound on independent runs. One run of Leiden ends in a local optimum that
/// depends on its visiting order: on the class graph of JPetStore (tests/propose_quality.rs) a
/// single run stops 1.3 % below networkx's best Louvain, and the second run finds that best.
/// Runs from derived seeds, keeping the best, close such gaps; [`PATIENCE`] stops them once
/// they stop paying, and [`RUN_BUDGET`] bounds them on large graphs.
pub const RUNS: usize = 16;

/// Default number of runs in a row without improvement after which no more are made.
pub const PATIENCE: usize = 2;

/// Work budget for the extra runs, in nodes plus edges visited: a graph of size `s` gets at
/// most `RUN_BUDGET / s` runs (at least one). Local optima cost most on small graphs (the class
/// graphs of tests/propose_quality.rs, a few hundred nodes and edges, get all
/// [`LeidenOptions::runs`]); a graph of 10,000 functions and 100,000 calls gets two, so
/// `propose` on it costs one run more than a single Leiden, not fifteen.
pub const RUN_BUDGET: usize = 250_000;

impl Default for LeidenOptions {
    fn default() -> Self {
        LeidenOptions {
            resolution: 1.0,
            seed: 42,
            randomness: 0.01,
            max_passes: 10,
            runs: RUNS,
            patience: PATIENCE,
        }
    }
}

/// One level of the aggregated graph.
#[derive(Debug, Clone)]
struct Level {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    /// Weight inside each node (the edges its members share, each once).
    self_loops: Vec<f64>,
    /// Weighted degree `k_v`, a self loop counting twice.
    strength: Vec<f64>,
    /// The node's constraint group (bounded context), if any.
    labels: Vec<Option<u32>>,
}

impl Level {
    fn len(&self) -> usize {
        self.strength.len()
    }

    fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[v]..self.offsets[v + 1];
        self.targets[range.clone()]
            .iter()
            .zip(&self.weights[range])
            .map(|(&t, &w)| (t as usize, w))
    }

    fn from_adjacency(adj: &Adjacency, labels: &[Option<u32>]) -> Level {
        let n = adj.len();
        let strength = (0..n)
            .map(|v| adj.neighbours(v).map(|(_, w)| w).sum())
            .collect();
        Level {
            offsets: adj.offsets.clone(),
            targets: adj.targets.clone(),
            weights: adj.weights.clone(),
            self_loops: vec![0.0; n],
            strength,
            labels: labels.to_vec(),
        }
    }

    /// The graph whose nodes are the groups of `group` (ids `0..groups`).
    fn aggregate(&self, group: &[u32], groups: usize) -> Level {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups];
        for (v, &g) in group.iter().enumerate() {
            members[g as usize].push(v as u32);
        }
        let mut offsets = Vec::with_capacity(groups + 1);
        let mut targets = Vec::new();
        let mut weights = Vec::new();
        let mut self_loops = vec![0.0; groups];
        let mut strength = vec![0.0; groups];
        let mut labels = vec![None; groups];
        let mut acc = vec![0.0f64; groups];
        let mut touched: Vec<u32> = Vec::new();
        for g in 0..groups {
            offsets.push(targets.len());
            for &v in &members[g] {
                let v = v as usize;
                self_loops[g] += self.self_loops[v];
                strength[g] += self.strength[v];
                if labels[g].is_none() {
                    labels[g] = self.labels[v];
                }
                for (u, w) in self.neighbours(v) {
                    let h = group[u] as usize;
                    if h == g {
                        // Each internal edge is seen from both ends.
                        self_loops[g] += w / 2.0;
                    } else {
                        if acc[h] == 0.0 {
                            touched.push(h as u32);
                        }
                        acc[h] += w;
                    }
                }
            }
            touched.sort_unstable();
            for &h in &touched {
                targets.push(h);
                weights.push(acc[h as usize]);
                acc[h as usize] = 0.0;
            }
            touched.clear();
        }
        offsets.push(targets.len());
        Level {
            offsets,
            targets,
            weights,
            self_loops,
            strength,
            labels,
        }
    }
}

/// Relative tolerance below which a gain is no gain: float noise must not make nodes move back
/// and forth.
const EPSILON: f64 = 1e-12;

fn better(gain: f64, best: f64) -> bool {
    gain > best + EPSILON * (1.0 + best.abs())
}

fn conflicts(a: Option<u32>, b: Option<u32>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// Community bookkeeping over one level.
struct Communities {
    of: Vec<u32>,
    total: Vec<f64>,
    size: Vec<u32>,
    label: Vec<Option<u32>>,
}

impl Communities {
    fn new(level: &Level, of: Vec<u32>) -> Communities {
        let n = level.len();
        let mut total = vec![0.0; n];
        let mut size = vec![0; n];
        let mut label = vec![None; n];
        for (v, &c) in of.iter().enumerate() {
            let c = c as usize;
            total[c] += level.strength[v];
            size[c] += 1;
            if level.labels[v].is_some() {
                label[c] = level.labels[v];
            }
        }
        Communities {
            of,
            total,
            size,
            label,
        }
    }
}

/// Scratch space for summing a node's weight per neighbouring community.
struct Scratch {
    acc: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<usize>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            acc: vec![0.0; n],
            seen: vec![false; n],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, c: usize, w: f64) {
        if !self.seen[c] {
            self.seen[c] = true;
            self.touched.push(c);
        }
        self.acc[c] += w;
    }

    fn clear(&mut self) {
        for &c in &self.touched {
            self.acc[c] = 0.0;
            self.seen[c] = false;
        }
        self.touched.clear();
    }
}

/// Leiden's fast local moving. Returns whether any node moved.
fn move_nodes(
    level: &Level,
    comms: &mut Communities,
    gamma: f64,
    two_m: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> bool {
    let n = level.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<usize> = order.into();
    let mut queued = vec![true; n];
    let mut empty: Vec<u32> = (0..n as u32)
        .rev()
        .filter(|&c| comms.size[c as usize] == 0)
        .collect();
    let mut scratch = Scratch::new(n);
    let mut moved = false;
    while let Some(v) = queue.pop_front() {
        queued[v] = false;
        let old = comms.of[v] as usize;
        let k = level.strength[v];
        let label = level.labels[v];
        scratch.add(old, 0.0);
        for (u, w) in level.neighbours(v) {
            scratch.add(comms.of[u] as usize, w);
        }
        comms.total[old] -= k;
        comms.size[old] -= 1;
        if label.is_some() {
            comms.label[old] = None;
        }
        let gain = |c: usize, total: &[f64], acc: &[f64]| acc[c] - gamma * k * total[c] / two_m;
        let mut best = old;
        let mut best_gain = gain(old, &comms.total, &scratch.acc);
        for &c in &scratch.touched {
            if c == old || comms.size[c] == 0 || conflicts(label, comms.label[c]) {
                continue;
            }
            let g = gain(c, &comms.total, &scratch.acc);
            if better(g, best_gain) {
                best = c;
                best_gain = g;
            }
        }
        // An empty community gains exactly 0.
        if comms.size[old] > 0 && better(0.0, best_gain) {
            best = empty
                .pop()
                .expect("a node not alone leaves an empty community id")
                as usize;
        }
        comms.total[best] += k;
        comms.size[best] += 1;
        if label.is_some() {
            comms.label[best] = label;
        }
        comms.of[v] = best as u32;
        scratch.clear();
        if best != old {
            moved = true;
            if comms.size[old] == 0 {
                empty.push(old as u32);
            }
            for (u, _) in level.neighbours(v) {
                if !queued[u] && comms.of[u] as usize != best {
                    queued[u] = true;
                    queue.push_back(u);
                }
            }
        }
    }
    moved
}

/// Leiden's refinement: a partition of each community into well-connected sub-communities.
/// Returns the refined community of every node (ids are node ids of a member).
fn refine(
    level: &Level,
    comms: &Communities,
    gamma: f64,
    theta: f64,
    two_m: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<u32> {
    let n = level.len();
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut total: Vec<f64> = level.strength.clone();
    let mut size = vec![1u32; n];
    // Weight from each sub-community to the rest of its community.
    let mut external: Vec<f64> = (0..n)
        .map(|v| {
            level
                .neighbours(v)
                .filter(|&(u, _)| comms.of[u] == comms.of[v])
                .map(|(_, w)| w)
                .sum()
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut scratch = Scratch::new(n);
    let mut candidates: Vec<(usize, f64)> = Vec::new();
    for v in order {
        let own = refined[v] as usize;
        if size[own] != 1 {
            continue;
        }
        let c = comms.of[v] as usize;
        let k = level.strength[v];
        let community_total = comms.total[c];
        if external[own] < gamma * k * (community_total - k) / two_m {
            continue;
        }
        for (u, w) in level.neighbours(v) {
            if comms.of[u] as usize == c {
                scratch.add(refined[u] as usize, w);
            }
        }
        candidates.clear();
        candidates.push((own, 0.0));
        for &r in &scratch.touched {
            if r == own {
                continue;
            }
            let well_connected =
                external[r] >= gamma * total[r] * (community_total - total[r]) / two_m;
            let g = scratch.acc[r] - gamma * k * total[r] / two_m;
            if well_connected && g >= 0.0 {
                candidates.push((r, g));
            }
        }
        let chosen = if candidates.len() == 1 {
            own
        } else {
            let max = candidates.iter().map(|c| c.1).fold(f64::MIN, f64::max);
            let odds: Vec<f64> = candidates
                .iter()
                .map(|&(_, g)| ((g - max) / theta).exp())
                .collect();
            let mut pick = rng.random::<f64>() * odds.iter().sum::<f64>();
            let mut chosen = candidates[candidates.len() - 1].0;
            for (i, p) in odds.iter().enumerate() {
                if pick < *p {
                    chosen = candidates[i].0;
                    break;
                }
                pick -= p;
            }
            chosen
        };
        if chosen != own {
            let to_target = scratch.acc[chosen];
            refined[v] = chosen as u32;
            total[chosen] += k;
            size[chosen] += 1;
            size[own] = 0;
            external[chosen] += external[own] - 2.0 * to_target;
        }
        scratch.clear();
    }
    refined
}

/// Renumbers ids to `0..k` in order of first appearance; returns `k`.
fn renumber(ids: &mut [u32]) -> usize {
    let mut map: BTreeMap<u32, u32> = BTreeMap::new();
    for id in ids.iter_mut() {
        let next = map.len() as u32;
        *id = *map.entry(*id).or_insert(next);
    }
    map.len()
}

/// Modularity of a partition of a level's nodes (used to keep the best pass).
fn level_quality(level: &Level, of: &[u32], gamma: f64, two_m: f64) -> f64 {
    if two_m <= 0.0 {
        return 0.0;
    }
    let k = of.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut inside = vec![0.0; k];
    let mut total = vec![0.0; k];
    for v in 0..level.len() {
        let c = of[v] as usize;
        inside[c] += level.self_loops[v];
        total[c] += level.strength[v];
        for (u, w) in level.neighbours(v) {
            if u > v && of[u] as usize == c {
                inside[c] += w;
            }
        }
    }
    let m = two_m / 2.0;
    (0..k)
        .map(|c| inside[c] / m - gamma * (total[c] / two_m).powi(2))
        .sum()
}

/// One full Leiden pass from the partition `start` of `base`'s nodes.
fn pass(
    base: &Level,
    start: &[u32],
    options: &LeidenOptions,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<u32> {
    let two_m: f64 = base.strength.iter().sum();
    let gamma = options.resolution;
    let mut level = base.clone();
    let mut of = start.to_vec();
    renumber(&mut of);
    // Which node of the current level each base node is in.
    let mut at_level: Vec<u32> = (0..base.len() as u32).collect();
    loop {
        let mut comms = Communities::new(&level, of);
        move_nodes(&level, &mut comms, gamma, two_m, rng);
        let mut of_level = comms.of.clone();
        let k = renumber(&mut of_level);
        if k == level.len() {
            return at_level.iter().map(|&v| of_level[v as usize]).collect();
        }
        let mut refined = refine(&level, &comms, gamma, options.randomness, two_m, rng);
        let groups = renumber(&mut refined);
        let (group, groups) = if groups == level.len() {
            (of_level.clone(), k)
        } else {
            (refined, groups)
        };
        let mut next_of = vec![0u32; groups];
        for v in 0..level.len() {
            next_of[group[v] as usize] = of_level[v];
        }
        for node in at_level.iter_mut() {
            *node = group[*node as usize];
        }
        level = level.aggregate(&group, groups);
        of = next_of;
    }
}

/// The seed of run `run`: the first run uses the seed itself, so one run is plain Leiden with
/// that seed; later ones are spread by SplitMix64's finaliser.
fn run_seed(seed: u64, run: usize) -> u64 {
    if run == 0 {
        return seed;
    }
    let mut z = seed.wrapping_add((run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One Leiden run on the base level: passes from the singleton partition until it is stable,
/// keeping the best partition found, with its modularity.
fn run_once(base: &Level, two_m: f64, options: &LeidenOptions, seed: u64) -> (Vec<u32>, f64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut current: Vec<u32> = (0..base.len() as u32).collect();
    let mut best = current.clone();
    let mut best_quality = level_quality(base, &best, options.resolution, two_m);
    for _ in 0..options.max_passes.max(1) {
        let next = pass(base, &current, options, &mut rng);
        let quality = level_quality(base, &next, options.resolution, two_m);
        let stable = next == current;
        if better(quality, best_quality) {
            best = next.clone();
            best_quality = quality;
        }
        current = next;
        if stable {
            break;
        }
    }
    (best, best_quality)
}

/// Partitions the graph into communities with Leiden. `labels` gives each node's constraint
/// group (nodes with the same label end up together, nodes with different labels apart).
/// Returns each node's community, numbered `0..k` in order of the nodes.
pub fn leiden(adj: &Adjacency, labels: &[Option<u32>], options: &LeidenOptions) -> Vec<usize> {
    let n = adj.len();
    assert_eq!(labels.len(), n, "one label per node");
    if n == 0 {
        return Vec::new();
    }
    // Must-link: collapse each label's nodes into one node of the base level.
    let mut group = vec![0u32; n];
    let mut first_of_label: BTreeMap<u32, u32> = BTreeMap::new();
    let mut groups = 0u32;
    for v in 0..n {
        group[v] = match labels[v] {
            Some(l) => *first_of_label.entry(l).or_insert_with(|| {
                groups += 1;
                groups - 1
            }),
            None => {
                groups += 1;
                groups - 1
            }
        };
    }
    let base = Level::from_adjacency(adj, labels).aggregate(&group, groups as usize);
    let two_m: f64 = base.strength.iter().sum();
    let size = base.len() + base.targets.len() / 2;
    let runs = options.runs.min(RUN_BUDGET / size.max(1)).max(1);
    let mut best: Option<(Vec<u32>, f64)> = None;
    let mut fruitless = 0;
    for run in 0..runs {
        let (partition, quality) = run_once(&base, two_m, options, run_seed(options.seed, run));
        if best
            .as_ref()
            .is_none_or(|(_, best_quality)| better(quality, *best_quality))
        {
            best = Some((partition, quality));
            fruitless = 0;
        } else {
            fruitless += 1;
            if fruitless >= options.patience.max(1) {
                break;
            }
        }
    }
    let (best, _) = best.expect("at least one run");
    let mut of: Vec<u32> = (0..n).map(|v| best[group[v] as usize]).collect();
    renumber(&mut of);
    of.into_iter().map(|c| c as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::FunctionGraph;
    use crate::scenario::{Monolith, MonolithCall};

    fn graph(edges: &[(&str, &str, f64)]) -> FunctionGraph {
        let m = Monolith {
            calls: edges
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

    fn two_cliques() -> FunctionGraph {
        // Two 4-cliques {a,b,c,d} and {e,f,g,h} of weight 5, one bridge d–e of weight 1.
        let mut edges = Vec::new();
        for group in [["a", "b", "c", "d"], ["e", "f", "g", "h"]] {
            for i in 0..4 {
                for j in i + 1..4 {
                    edges.push((group[i], group[j], 5.0));
                }
            }
        }
        edges.push(("d", "e", 1.0));
        graph(&edges)
    }

    #[test]
    fn finds_two_cliques() {
        let g = two_cliques();
        let of = leiden(&g.adjacency(), &[None; 8], &LeidenOptions::default());
        assert_eq!(of, [0, 0, 0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn hints_are_constraints() {
        let g = two_cliques();
        // a and h must be together (same label); b must be apart from them.
        let mut labels = [None; 8];
        labels[0] = Some(7);
        labels[7] = Some(7);
        labels[1] = Some(3);
        let of = leiden(&g.adjacency(), &labels, &LeidenOptions::default());
        assert_eq!(of[0], of[7]);
        assert_ne!(of[0], of[1]);
    }

    #[test]
    fn a_high_resolution_splits_more() {
        let g = two_cliques();
        let options = LeidenOptions {
            resolution: 50.0,
            ..LeidenOptions::default()
        };
        let of = leiden(&g.adjacency(), &[None; 8], &options);
        assert!(of.iter().max().unwrap() + 1 > 2, "{of:?}");
    }

    #[test]
    fn isolated_nodes_stay_alone_and_empty_graphs_work() {
        let g = graph(&[]);
        assert!(leiden(&g.adjacency(), &[], &LeidenOptions::default()).is_empty());
        let mut m = Monolith::default();
        m.functions.insert("x".into(), Default::default());
        m.functions.insert("y".into(), Default::default());
        let g = FunctionGraph::from_monolith(&m, &Default::default());
        assert_eq!(
            leiden(&g.adjacency(), &[None, None], &LeidenOptions::default()),
            [0, 1]
        );
    }
}
