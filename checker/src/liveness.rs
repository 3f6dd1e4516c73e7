//! Liveness under weak fairness, which stateright lacks (its `eventually` only inspects terminal
//! states, so it passes on any model with a cycle). Given the explored graph
//! ([`crate::state_graph`]), a property "always eventually Q" or "P leads to Q" is violated iff
//! some fair run, from a state satisfying P, never reaches Q. We look for such a run in the
//! subgraph of ¬Q states: compute its strongly connected components (petgraph's Kosaraju) and keep
//! those a fair run can stay in forever; then report a lasso, a shortest prefix from an initial
//! state followed by a cycle (or by stuttering in a state where no fair action is enabled).
//!
//! Fairness is per action class, as the model's classifier says ([`crate::ActionFairness`]):
//! - `Weak(class)`: weak fairness. A run that stays forever where some action of the class is
//!   continuously enabled must take one. An SCC can host a fair run forever iff every class
//!   enabled in *all* its states labels an edge inside it; for weak fairness checking maximal SCCs
//!   is exact, because a sub-cycle of an SCC that fails the test fails it too.
//! - `Unfair`: no obligation; may also happen forever.
//! - `Fault` (crashes, message loss): no obligation and only finitely often, so fault edges may
//!   appear in a prefix but never in the cycle. Without this, an adversary that crashes the
//!   coordinator forever would refute every liveness property; "eventually the faults stop" is
//!   the usual assumption under which recovery protocols promise progress.
//!
//! Enabledness follows TLA+'s `ENABLED <<A>>_vars`: an action that cannot change the state is not
//! enabled, so a state whose actions all stutter is terminal and is a (stuttering) cycle.
//!
//! The checker is generic over any stateright model with a fairness classifier, so every protocol
//! module (two-phase commit, sagas, circuit breakers) reuses it.

use crate::state_graph::{Edge, StateGraph};
use fixedbitset::FixedBitSet;
use petgraph::Direction;
use petgraph::algo::kosaraju_scc;
use petgraph::visit::{
    GraphBase, GraphRef, IntoNeighbors, IntoNeighborsDirected, IntoNodeIdentifiers, NodeIndexable,
    Visitable,
};
use stateright::Model;
use std::collections::VecDeque;

/// The shape of a liveness property.
pub enum LivenessKind<M: Model> {
    /// `[]<>Q`: in every fair run, Q holds again and again (for a stable Q: eventually forever).
    AlwaysEventually(fn(&M, &M::State) -> bool),
    /// `P ~> Q`: in every fair run, every state satisfying P is followed by one satisfying Q.
    LeadsTo {
        /// P.
        trigger: fn(&M, &M::State) -> bool,
        /// Q.
        goal: fn(&M, &M::State) -> bool,
    },
}

/// A named liveness property of model `M`.
pub struct LivenessProperty<M: Model> {
    /// The catalogue id, e.g. `2pc.termination`.
    pub name: &'static str,
    /// What it says.
    pub kind: LivenessKind<M>,
}

// Manual impls: derives would demand `M: Clone`, but the fields are only fn pointers.
impl<M: Model> Clone for LivenessKind<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: Model> Copy for LivenessKind<M> {}

impl<M: Model> std::fmt::Debug for LivenessKind<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LivenessKind::AlwaysEventually(_) => "AlwaysEventually(..)",
            LivenessKind::LeadsTo { .. } => "LeadsTo { .. }",
        })
    }
}

impl<M: Model> Clone for LivenessProperty<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            kind: self.kind,
        }
    }
}

impl<M: Model> std::fmt::Debug for LivenessProperty<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessProperty")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<M: Model> LivenessProperty<M> {
    /// `[]<>goal`.
    pub fn always_eventually(name: &'static str, goal: fn(&M, &M::State) -> bool) -> Self {
        Self {
            name,
            kind: LivenessKind::AlwaysEventually(goal),
        }
    }

    /// `trigger ~> goal`.
    pub fn leads_to(
        name: &'static str,
        trigger: fn(&M, &M::State) -> bool,
        goal: fn(&M, &M::State) -> bool,
    ) -> Self {
        Self {
            name,
            kind: LivenessKind::LeadsTo { trigger, goal },
        }
    }

    fn goal(&self) -> fn(&M, &M::State) -> bool {
        match self.kind {
            LivenessKind::AlwaysEventually(q) => q,
            LivenessKind::LeadsTo { goal, .. } => goal,
        }
    }
}

/// A lasso found in the graph, as state ids and action indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LassoPath {
    /// Index of the first state in `init_states()`.
    pub init: usize,
    /// State ids, `states[0]` initial; the last equals `states[loop_to]`.
    pub states: Vec<u32>,
    /// Action index (into `actions()` of the previous state) of each step.
    pub actions: Vec<u32>,
    /// The state index the run returns to; `states.len() - 1` means it stutters there forever.
    pub loop_to: usize,
}

/// Searches the explored graph for a fair run violating `property`. Returns `None` if there is
/// none among the explored states; that means "holds" only if the graph is complete. A lasso
/// found in an incomplete graph is still a real counterexample: all its states were expanded,
/// so their enabled actions (and hence the fairness of the cycle) are known exactly.
pub fn find_fair_lasso<M: Model>(
    model: &M,
    graph: &StateGraph<M::State>,
    property: &LivenessProperty<M>,
) -> Option<LassoPath> {
    let expanded = graph.expanded();
    let goal = property.goal();

    // A: the expanded states where the goal does not hold.
    let mut avoid = FixedBitSet::with_capacity(graph.len());
    for s in 0..expanded {
        if !goal(model, &graph.states[s]) {
            avoid.insert(s);
        }
    }
    if avoid.is_clear() {
        return None;
    }

    let reverse = Reverse::build(graph, &avoid);
    let scc_of = strongly_connected_components(graph, &avoid, &reverse);
    let bad = fair_stay_states(graph, &avoid, &scc_of);
    if bad.is_clear() {
        return None;
    }

    // States of A from which a bad state is reachable inside A (any edges, faults included).
    let doomed = backward_reach(&reverse, &bad);

    // The first such state (BFS order: the shortest prefix) where the trigger holds.
    let trigger = match property.kind {
        LivenessKind::AlwaysEventually(_) => None,
        LivenessKind::LeadsTo { trigger, .. } => Some(trigger),
    };
    let start = doomed
        .ones()
        .find(|&s| trigger.is_none_or(|p| p(model, &graph.states[s])))? as u32;

    let (init, mut states, mut actions) = graph.path_to(start);
    let (tail_states, tail_actions) =
        shortest_path_within(graph, start, &avoid, |s| bad.contains(s as usize), |_| true)
            .expect("a doomed state reaches a bad state");
    let entry = *tail_states.last().expect("path is non-empty");
    states.extend_from_slice(&tail_states[1..]);
    actions.extend_from_slice(&tail_actions);

    let stutters = !graph
        .edges_of(entry)
        .iter()
        .any(|e| e.target != entry && e.weak_class().is_some());
    if stutters {
        let loop_to = states.len() - 1;
        return Some(LassoPath {
            init,
            states,
            actions,
            loop_to,
        });
    }
    let loop_to = states.len() - 1;
    let (cycle_states, cycle_actions) = fair_cycle(graph, entry, &scc_of);
    states.extend_from_slice(&cycle_states[1..]);
    actions.extend_from_slice(&cycle_actions);
    Some(LassoPath {
        init,
        states,
        actions,
        loop_to,
    })
}

/// Sentinel SCC id for states outside A.
const NO_SCC: u32 = u32::MAX;

/// SCC id of each state of A in the subgraph of A without fault edges and self-loops.
fn strongly_connected_components<S>(
    graph: &StateGraph<S>,
    avoid: &FixedBitSet,
    reverse: &Reverse,
) -> Vec<u32> {
    let view = AvoidView {
        offsets: &graph.offsets,
        edges: &graph.edges,
        len: graph.len(),
        avoid,
        reverse,
    };
    // Kosaraju rather than Tarjan: petgraph's Tarjan recurses once per state on the current
    // path, which overflows the stack on long chains; its Kosaraju is iterative.
    let mut scc_of = vec![NO_SCC; graph.len()];
    for (id, component) in kosaraju_scc(view).into_iter().enumerate() {
        for s in component {
            scc_of[s as usize] = id as u32;
        }
    }
    scc_of
}

/// Incoming edges of the A-subgraph (self-loops left out), in CSR form.
struct Reverse {
    offsets: Vec<u32>,
    sources: Vec<RevEdge>,
}

#[derive(Clone, Copy)]
struct RevEdge {
    source: u32,
    fault: bool,
}

impl Reverse {
    fn build<S>(graph: &StateGraph<S>, avoid: &FixedBitSet) -> Self {
        let n = graph.len();
        let inside = |s: usize| {
            graph
                .edges_of(s as u32)
                .iter()
                .filter(move |e| e.target as usize != s && avoid.contains(e.target as usize))
        };
        let mut offsets = vec![0u32; n + 1];
        for s in avoid.ones() {
            for e in inside(s) {
                offsets[e.target as usize + 1] += 1;
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut sources = vec![
            RevEdge {
                source: 0,
                fault: false
            };
            offsets[n] as usize
        ];
        for s in avoid.ones() {
            for e in inside(s) {
                let slot = &mut fill[e.target as usize];
                sources[*slot as usize] = RevEdge {
                    source: s as u32,
                    fault: e.is_fault(),
                };
                *slot += 1;
            }
        }
        Reverse { offsets, sources }
    }

    fn incoming(&self, t: u32) -> &[RevEdge] {
        &self.sources[self.offsets[t as usize] as usize..self.offsets[t as usize + 1] as usize]
    }
}

/// States of A where a fair run can stay forever: states where no weakly fair action is enabled
/// (stuttering is fair there), and every state of an SCC (of size ≥ 2) in which each weak class
/// enabled in all of its states labels one of its internal edges.
fn fair_stay_states<S>(graph: &StateGraph<S>, avoid: &FixedBitSet, scc_of: &[u32]) -> FixedBitSet {
    let mut bad = FixedBitSet::with_capacity(graph.len());
    let mut size: Vec<u32> = Vec::new();
    for s in avoid.ones() {
        let id = scc_of[s] as usize;
        if size.len() <= id {
            size.resize(id + 1, 0);
        }
        size[id] += 1;
        if !graph
            .edges_of(s as u32)
            .iter()
            .any(|e| e.weak_class().is_some())
        {
            bad.insert(s);
        }
    }
    // Most SCCs of a protocol's graph are single states; gather members of the others only.
    let mut members: hashbrown::HashMap<u32, Vec<u32>> = hashbrown::HashMap::new();
    for s in avoid.ones() {
        let id = scc_of[s];
        if size[id as usize] >= 2 {
            members.entry(id).or_default().push(s as u32);
        }
    }
    for (&id, component) in &members {
        let mut always_enabled: Option<Vec<u32>> = None;
        let mut taken = Vec::new();
        for &s in component {
            let enabled = weak_classes(graph.edges_of(s));
            always_enabled = Some(match always_enabled {
                None => enabled,
                Some(prev) => prev.into_iter().filter(|c| enabled.contains(c)).collect(),
            });
            taken.extend(
                graph
                    .edges_of(s)
                    .iter()
                    .filter(|e| is_internal(e, s, id, scc_of))
                    .filter_map(Edge::weak_class),
            );
        }
        taken.sort_unstable();
        taken.dedup();
        let fair = always_enabled
            .unwrap_or_default()
            .iter()
            .all(|c| taken.binary_search(c).is_ok());
        if fair {
            for &s in component {
                bad.insert(s as usize);
            }
        }
    }
    bad
}

/// Weak classes enabled by these edges, sorted and deduplicated.
fn weak_classes(edges: &[Edge]) -> Vec<u32> {
    let mut classes: Vec<u32> = edges.iter().filter_map(Edge::weak_class).collect();
    classes.sort_unstable();
    classes.dedup();
    classes
}

/// Whether `e` (from `source`) is a cycle edge inside SCC `id`: not a fault, not a self-loop.
fn is_internal(e: &Edge, source: u32, id: u32, scc_of: &[u32]) -> bool {
    !e.is_fault() && e.target != source && scc_of[e.target as usize] == id
}

/// States of A that reach a state of `targets` through A (fault edges included).
fn backward_reach(reverse: &Reverse, targets: &FixedBitSet) -> FixedBitSet {
    let mut reached = targets.clone();
    let mut queue: VecDeque<u32> = targets.ones().map(|s| s as u32).collect();
    while let Some(t) = queue.pop_front() {
        for r in reverse.incoming(t) {
            if !reached.put(r.source as usize) {
                queue.push_back(r.source);
            }
        }
    }
    reached
}

/// Shortest path from `from` to a state satisfying `is_target`, moving only through states of
/// `within` and along edges accepted by `edge_ok`. Returns (state ids, action indices).
fn shortest_path_within<S>(
    graph: &StateGraph<S>,
    from: u32,
    within: &FixedBitSet,
    is_target: impl Fn(u32) -> bool,
    edge_ok: impl Fn(&Edge) -> bool,
) -> Option<(Vec<u32>, Vec<u32>)> {
    if is_target(from) {
        return Some((vec![from], Vec::new()));
    }
    // Parent links only for the states this search touches.
    let mut parent: hashbrown::HashMap<u32, (u32, u32)> = hashbrown::HashMap::new();
    parent.insert(from, (u32::MAX, 0));
    let mut queue = VecDeque::from([from]);
    while let Some(s) = queue.pop_front() {
        for e in graph.edges_of(s) {
            let t = e.target;
            if !within.contains(t as usize) || !edge_ok(e) || parent.contains_key(&t) {
                continue;
            }
            parent.insert(t, (s, e.action));
            if is_target(t) {
                let mut states = vec![t];
                let mut actions = Vec::new();
                let mut cur = t;
                while cur != from {
                    let (p, a) = parent[&cur];
                    actions.push(a);
                    states.push(p);
                    cur = p;
                }
                states.reverse();
                actions.reverse();
                return Some((states, actions));
            }
            queue.push_back(t);
        }
    }
    None
}

/// A cycle through `entry` inside its (fair) SCC that satisfies weak fairness: every weak class
/// enabled in all of the cycle's states is taken on it. Built greedily: while some class is
/// owed, detour to the nearest state where it is disabled or take an edge of it; then return to
/// `entry`. Each detour settles one class for good (more states can only disable more classes,
/// more edges only take more), so this ends.
fn fair_cycle<S>(graph: &StateGraph<S>, entry: u32, scc_of: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let id = scc_of[entry as usize];
    let mut component = FixedBitSet::with_capacity(graph.len());
    for (s, &c) in scc_of.iter().enumerate() {
        if c == id {
            component.insert(s);
        }
    }
    let internal = |e: &Edge| !e.is_fault();
    let mut states = vec![entry];
    let mut actions: Vec<u32> = Vec::new();
    let mut taken: Vec<u32> = Vec::new();
    loop {
        let mut owed: Option<Vec<u32>> = None;
        for &s in &states {
            let enabled = weak_classes(graph.edges_of(s));
            owed = Some(match owed {
                None => enabled,
                Some(prev) => prev.into_iter().filter(|c| enabled.contains(c)).collect(),
            });
        }
        let owed_class = owed
            .unwrap_or_default()
            .into_iter()
            .find(|c| !taken.contains(c));
        let last = *states.last().expect("non-empty");
        match owed_class {
            Some(class) => {
                let settles = |s: u32| {
                    let edges = graph.edges_of(s);
                    !edges.iter().any(|e| e.weak_class() == Some(class))
                        || edges
                            .iter()
                            .any(|e| e.weak_class() == Some(class) && is_internal(e, s, id, scc_of))
                };
                let (path, path_actions) =
                    shortest_path_within(graph, last, &component, settles, internal)
                        .expect("a fair SCC settles every owed class");
                states.extend_from_slice(&path[1..]);
                actions.extend_from_slice(&path_actions);
                let here = *states.last().expect("non-empty");
                if let Some(e) = graph
                    .edges_of(here)
                    .iter()
                    .find(|e| e.weak_class() == Some(class) && is_internal(e, here, id, scc_of))
                {
                    states.push(e.target);
                    actions.push(e.action);
                }
                taken = taken_classes(graph, &states, &actions);
            }
            None if states.len() > 1 && last == entry => return (states, actions),
            None => {
                // Close the cycle (taking at least one step if we have not moved yet).
                let (path, path_actions) = if last == entry {
                    let e = graph
                        .edges_of(entry)
                        .iter()
                        .find(|e| is_internal(e, entry, id, scc_of))
                        .expect("an SCC of size ≥ 2 has an internal edge");
                    states.push(e.target);
                    actions.push(e.action);
                    shortest_path_within(graph, e.target, &component, |s| s == entry, internal)
                        .expect("strongly connected")
                } else {
                    shortest_path_within(graph, last, &component, |s| s == entry, internal)
                        .expect("strongly connected")
                };
                states.extend_from_slice(&path[1..]);
                actions.extend_from_slice(&path_actions);
                taken = taken_classes(graph, &states, &actions);
            }
        }
    }
}

/// Weak classes of the steps of a path (`actions[i]` leaves `states[i]`).
fn taken_classes<S>(graph: &StateGraph<S>, states: &[u32], actions: &[u32]) -> Vec<u32> {
    states
        .iter()
        .zip(actions)
        .filter_map(|(&s, &a)| {
            graph
                .edges_of(s)
                .iter()
                .find(|e| e.action == a)
                .and_then(Edge::weak_class)
        })
        .collect()
}

/// The subgraph of A without fault edges and self-loops, as petgraph sees it.
#[derive(Clone, Copy)]
struct AvoidView<'a> {
    offsets: &'a [u32],
    edges: &'a [Edge],
    len: usize,
    avoid: &'a FixedBitSet,
    reverse: &'a Reverse,
}

impl GraphBase for AvoidView<'_> {
    type EdgeId = u32;
    type NodeId = u32;
}

impl GraphRef for AvoidView<'_> {}

impl NodeIndexable for AvoidView<'_> {
    fn node_bound(&self) -> usize {
        self.len
    }
    fn to_index(&self, a: u32) -> usize {
        a as usize
    }
    fn from_index(&self, i: usize) -> u32 {
        i as u32
    }
}

impl Visitable for AvoidView<'_> {
    type Map = FixedBitSet;
    fn visit_map(&self) -> FixedBitSet {
        FixedBitSet::with_capacity(self.len)
    }
    fn reset_map(&self, map: &mut FixedBitSet) {
        map.clear();
        map.grow(self.len);
    }
}

impl<'a> IntoNodeIdentifiers for AvoidView<'a> {
    type NodeIdentifiers = std::iter::Map<fixedbitset::Ones<'a>, fn(usize) -> u32>;
    fn node_identifiers(self) -> Self::NodeIdentifiers {
        self.avoid.ones().map(|s| s as u32)
    }
}

impl<'a> IntoNeighbors for AvoidView<'a> {
    type Neighbors = Neighbors<'a>;
    fn neighbors(self, a: u32) -> Neighbors<'a> {
        self.neighbors_directed(a, Direction::Outgoing)
    }
}

impl<'a> IntoNeighborsDirected for AvoidView<'a> {
    type NeighborsDirected = Neighbors<'a>;
    fn neighbors_directed(self, a: u32, d: Direction) -> Neighbors<'a> {
        let s = a as usize;
        match d {
            // Only states of A are ever asked for, and those are all expanded.
            Direction::Outgoing => Neighbors::Out {
                edges: self.edges[self.offsets[s] as usize..self.offsets[s + 1] as usize].iter(),
                avoid: self.avoid,
                source: a,
            },
            Direction::Incoming => Neighbors::In(self.reverse.incoming(a).iter()),
        }
    }
}

/// Neighbours of a state inside A along non-fault, non-self-loop edges, either way.
enum Neighbors<'a> {
    Out {
        edges: std::slice::Iter<'a, Edge>,
        avoid: &'a FixedBitSet,
        source: u32,
    },
    In(std::slice::Iter<'a, RevEdge>),
}

impl Iterator for Neighbors<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match self {
            Neighbors::Out {
                edges,
                avoid,
                source,
            } => edges
                .by_ref()
                .find(|e| !e.is_fault() && e.target != *source && avoid.contains(e.target as usize))
                .map(|e| e.target),
            Neighbors::In(sources) => sources.by_ref().find(|r| !r.fault).map(|r| r.source),
        }
    }
}

#[cfg(test)]
mod tests;
