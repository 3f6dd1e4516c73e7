//! Our own explicit-state explorer: a breadth-first search over any stateright [`Model`] that
//! keeps the whole reachable graph (states, BFS parents, and every non-stuttering edge with its
//! action index and fairness), which liveness checking needs and stateright does not keep.
//! Deduplication is exact (a hash table of state ids compares the states themselves), the graph
//! is stored compactly (CSR: one `u32` offset per state, 12 bytes per edge), and exploration
//! honours the same bounds as safety checking, reporting the bytes it holds.

use crate::fairness::ActionFairness;
use crate::verdict::{Bound, Progress, ProgressHook, Stats};
use hashbrown::{DefaultHashBuilder, HashTable};
use stateright::Model;
use std::hash::{BuildHasher, Hash};
use std::time::{Duration, Instant};

/// Marks a state reached from no parent (an initial state).
pub(crate) const NO_PARENT: u32 = u32::MAX;

/// Fairness codes stored per edge: weak-fairness class ids are below [`UNFAIR`].
pub(crate) const UNFAIR: u32 = u32::MAX - 1;
/// Code of a fault edge (unfair, and may occur only finitely often).
pub(crate) const FAULT: u32 = u32::MAX;

/// One transition `source → target`, stored under its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) target: u32,
    /// Index of the action in `Model::actions(source)`, so paths can be replayed.
    pub(crate) action: u32,
    /// Weak-fairness class, [`UNFAIR`] or [`FAULT`].
    pub(crate) fairness: u32,
}

impl Edge {
    pub(crate) fn weak_class(&self) -> Option<u32> {
        (self.fairness < UNFAIR).then_some(self.fairness)
    }

    pub(crate) fn is_fault(&self) -> bool {
        self.fairness == FAULT
    }
}

/// The explored part of a model's state graph. State ids are assigned in BFS order, so a lower
/// id is never deeper than a higher one and the parent chain of a state is a shortest path.
#[derive(Debug)]
pub struct StateGraph<S> {
    pub(crate) states: Vec<S>,
    /// BFS parent of each state ([`NO_PARENT`] for initial states).
    pub(crate) parent: Vec<u32>,
    /// Action index from the parent; for an initial state, its index in `init_states()`.
    pub(crate) via: Vec<u32>,
    pub(crate) depth: Vec<u32>,
    /// `edges[offsets[s]..offsets[s + 1]]` are the edges of state `s`, for `s < expanded()`.
    pub(crate) offsets: Vec<u32>,
    pub(crate) edges: Vec<Edge>,
}

impl<S> StateGraph<S> {
    /// Number of states discovered.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no state was discovered.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Number of states whose successors were explored (ids `0..expanded()`); the rest were
    /// discovered but left unexplored by a bound.
    pub fn expanded(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of edges (non-stuttering transitions) recorded.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub(crate) fn edges_of(&self, s: u32) -> &[Edge] {
        let s = s as usize;
        if s + 1 < self.offsets.len() {
            &self.edges[self.offsets[s] as usize..self.offsets[s + 1] as usize]
        } else {
            &[]
        }
    }

    /// The state with id `id`.
    pub fn state(&self, id: u32) -> &S {
        &self.states[id as usize]
    }

    /// The shortest path from an initial state to `id`: (initial-state index, state ids, action
    /// indices).
    pub(crate) fn path_to(&self, id: u32) -> (usize, Vec<u32>, Vec<u32>) {
        let mut ids = vec![id];
        let mut actions = Vec::new();
        let mut cur = id;
        while self.parent[cur as usize] != NO_PARENT {
            actions.push(self.via[cur as usize]);
            cur = self.parent[cur as usize];
            ids.push(cur);
        }
        ids.reverse();
        actions.reverse();
        (self.via[cur as usize] as usize, ids, actions)
    }

    fn heap_bytes(&self, table: &HashTable<u32>) -> u64 {
        use std::mem::size_of;
        (self.states.capacity() * size_of::<S>()
            + (self.parent.capacity() + self.via.capacity() + self.depth.capacity())
                * size_of::<u32>()
            + self.offsets.capacity() * size_of::<u32>()
            + self.edges.capacity() * size_of::<Edge>()
            + table.allocation_size()) as u64
    }
}

/// Bounds for one exploration.
#[derive(Clone, Debug, Default)]
pub(crate) struct Limits {
    pub(crate) max_states: Option<usize>,
    pub(crate) max_depth: Option<usize>,
    pub(crate) timeout: Option<Duration>,
    /// Set elsewhere to stop early (see `CheckOptions::cancel`).
    pub(crate) cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The process's memory budget (see `CheckOptions::max_memory`).
    pub(crate) max_memory: Option<u64>,
}

/// The result of exploring: the graph, how far it got, and what cut it short (if anything).
#[derive(Debug)]
pub struct Exploration<S> {
    /// The explored graph.
    pub graph: StateGraph<S>,
    /// Counts, depth, time and graph bytes.
    pub stats: Stats,
    /// `Some` if a bound stopped exploration with states left to explore.
    pub cut: Option<Bound>,
}

/// Explores the reachable graph of `model` breadth-first, recording every non-stuttering edge
/// with the fairness `fairness` assigns its action. An action whose `next_state` is `None` or the
/// same state is a stutter step: it is not an edge and does not count as enabled (TLA+'s
/// `ENABLED <<A>>_vars`).
pub(crate) fn explore<M>(
    model: &M,
    fairness: &dyn Fn(&M::Action) -> ActionFairness,
    limits: Limits,
    progress: Option<&ProgressHook>,
) -> Exploration<M::State>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let start = Instant::now();
    let hasher = DefaultHashBuilder::default();
    let mut table: HashTable<u32> = HashTable::new();
    let mut graph = StateGraph {
        states: Vec::new(),
        parent: Vec::new(),
        via: Vec::new(),
        depth: Vec::new(),
        offsets: vec![0],
        edges: Vec::new(),
    };
    let mut generated: u64 = 0;
    // Registered for as long as the search runs; the watchdog sets `memory_stop` if the
    // process passes its budget.
    let memory_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = crate::memory::Watch::start(limits.max_memory, memory_stop.clone());

    // Interns `state`, returning its id and whether it is new.
    fn intern<S: Hash + Eq>(
        graph: &mut StateGraph<S>,
        table: &mut HashTable<u32>,
        hasher: &DefaultHashBuilder,
        state: S,
        parent: u32,
        via: u32,
        depth: u32,
    ) -> u32 {
        let hash = hasher.hash_one(&state);
        let states = &graph.states;
        if let Some(&id) = table.find(hash, |&id| states[id as usize] == state) {
            return id;
        }
        let id = u32::try_from(graph.states.len()).expect("more than 2^32 states");
        graph.states.push(state);
        graph.parent.push(parent);
        graph.via.push(via);
        graph.depth.push(depth);
        let states = &graph.states;
        table.insert_unique(hash, id, |&id| hasher.hash_one(&states[id as usize]));
        id
    }

    let mut cut = None;
    for (i, s) in model.init_states().into_iter().enumerate() {
        if model.within_boundary(&s) {
            if limits
                .max_states
                .is_some_and(|limit| generated >= limit as u64)
            {
                cut = Some(Bound::MaxStates {
                    limit: limits.max_states.unwrap_or_default(),
                });
                break;
            }
            generated += 1;
            intern(&mut graph, &mut table, &hasher, s, NO_PARENT, i as u32, 0);
        }
    }

    // A first report at once, so whoever shows progress can say the search has begun (and
    // how many initial states it has) before the first interval has passed.
    if let Some(hook) = progress {
        hook.report(&Progress {
            phase: "liveness",
            states_generated: generated,
            unique_states: graph.states.len() as u64,
            max_depth: 0,
            elapsed: start.elapsed(),
        });
    }
    let mut actions = Vec::new();
    let mut successors = Vec::new();
    let mut last_report = start;
    let mut next = 0usize;
    // Set once the states at the depth bound have been found to lead nowhere new: they are then
    // expanded like any other, so their self-loops and edges back are in the graph.
    let mut bound_is_closed = false;
    while next < graph.states.len() {
        if let Some(limit) = limits.max_states
            && generated >= limit as u64
        {
            cut = Some(Bound::MaxStates { limit });
            break;
        }
        if let Some(limit) = limits.max_depth
            && !bound_is_closed
            && graph.depth[next] as usize >= limit
        {
            // BFS order: every state from `next` on is at the bound. The run is cut short only
            // if one of them leads to a state not yet in the graph. Otherwise the graph is
            // whole, but these states must still be expanded: a lasso may end in one of them
            // (stuttering, or a cycle back), and an unexpanded state can end none.
            let blocked = (next..graph.states.len()).any(|s| {
                actions.clear();
                let state = &graph.states[s];
                model.actions(state, &mut actions);
                actions.drain(..).any(|a| {
                    model.next_state(state, a).is_some_and(|t| {
                        model.within_boundary(&t)
                            && table
                                .find(hasher.hash_one(&t), |&id| graph.states[id as usize] == t)
                                .is_none()
                    })
                })
            });
            if blocked {
                cut = Some(Bound::MaxDepth { limit });
                break;
            }
            bound_is_closed = true;
        }
        if next.is_multiple_of(1024) {
            let now = Instant::now();
            if limits
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            {
                cut = Some(Bound::Cancelled);
                break;
            }
            if let Some(limit_bytes) = watch.stopped_at() {
                cut = Some(Bound::Memory { limit_bytes });
                break;
            }
            if let Some(timeout) = limits.timeout
                && now.duration_since(start) >= timeout
            {
                cut = Some(Bound::Timeout {
                    seconds: timeout.as_secs_f64(),
                });
                break;
            }
            if let Some(hook) = progress
                && now.duration_since(last_report) >= Duration::from_millis(200)
            {
                last_report = now;
                hook.report(&Progress {
                    phase: "liveness",
                    states_generated: generated,
                    unique_states: graph.states.len() as u64,
                    max_depth: u64::from(graph.depth[next]),
                    elapsed: now.duration_since(start),
                });
            }
        }

        let state = graph.states[next].clone();
        let depth = graph.depth[next] + 1;
        actions.clear();
        model.actions(&state, &mut actions);
        successors.clear();
        for (index, action) in actions.drain(..).enumerate() {
            let code = match fairness(&action) {
                ActionFairness::Weak(class) => class.min(UNFAIR - 1),
                ActionFairness::Unfair => UNFAIR,
                ActionFairness::Fault => FAULT,
            };
            let Some(target) = model.next_state(&state, action) else {
                continue;
            };
            if target == state || !model.within_boundary(&target) {
                continue;
            }
            successors.push((index, code, target));
        }
        // A state is expanded whole or not at all: a state with some of its edges missing
        // could close a cycle that looks fair only because the edge that breaks it is absent.
        // So the bound is checked against all its successors, and `--max-states` is never
        // passed (the check at the top of the loop alone let one state's successors over).
        if let Some(limit) = limits.max_states
            && generated + successors.len() as u64 > limit as u64
        {
            cut = Some(Bound::MaxStates { limit });
            break;
        }
        for (index, code, target) in successors.drain(..) {
            generated += 1;
            let target = intern(
                &mut graph,
                &mut table,
                &hasher,
                target,
                next as u32,
                index as u32,
                depth,
            );
            graph.edges.push(Edge {
                target,
                action: index as u32,
                fairness: code,
            });
        }
        graph
            .offsets
            .push(u32::try_from(graph.edges.len()).expect("more than 2^32 edges"));
        next += 1;
    }

    drop(watch);
    if let Some(hook) = progress {
        hook.report(&Progress {
            phase: "liveness",
            states_generated: generated,
            unique_states: graph.states.len() as u64,
            max_depth: graph.depth.last().copied().map_or(0, u64::from),
            elapsed: start.elapsed(),
        });
    }
    let stats = Stats {
        states_generated: generated,
        unique_states: graph.states.len() as u64,
        max_depth: graph.depth.last().copied().map_or(0, u64::from),
        elapsed: start.elapsed(),
        graph_bytes: Some(graph.heap_bytes(&table)),
    };
    Exploration { graph, stats, cut }
}

/// A shortest path from an initial state to a state satisfying `is_target`, no longer than
/// `max_steps`: (index in `init_states()`, states, action indices). Breadth-first, checking each
/// state when first discovered, so the first hit is a shortest one.
///
/// stateright 0.31 reports, for an `always` property, the *last* violating state its workers
/// popped before stopping (each violation overwrites the previous discovery), not the first; so
/// the pipeline asks stateright whether a violation exists and this search for the shortest.
pub(crate) fn shortest_path_to<M>(
    model: &M,
    is_target: &dyn Fn(&M::State) -> bool,
    max_steps: usize,
    max_states: Option<usize>,
) -> Option<(usize, Vec<M::State>, Vec<usize>)>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let hasher = DefaultHashBuilder::default();
    let mut table: HashTable<u32> = HashTable::new();
    let mut states: Vec<M::State> = Vec::new();
    // (parent, action index or init index, depth)
    let mut meta: Vec<(u32, u32, u32)> = Vec::new();
    let path = |states: &[M::State], meta: &[(u32, u32, u32)], mut id: u32| {
        let mut ids = vec![id];
        while meta[id as usize].0 != NO_PARENT {
            id = meta[id as usize].0;
            ids.push(id);
        }
        ids.reverse();
        let init = meta[ids[0] as usize].1 as usize;
        let actions = ids[1..]
            .iter()
            .map(|&i| meta[i as usize].1 as usize)
            .collect();
        let path_states = ids.iter().map(|&i| states[i as usize].clone()).collect();
        (init, path_states, actions)
    };
    let mut insert = |states: &mut Vec<M::State>, state: M::State| -> Option<u32> {
        let hash = hasher.hash_one(&state);
        if table
            .find(hash, |&id| states[id as usize] == state)
            .is_some()
        {
            return None;
        }
        let id = states.len() as u32;
        states.push(state);
        table.insert_unique(hash, id, |&id| hasher.hash_one(&states[id as usize]));
        Some(id)
    };
    for (i, s) in model.init_states().into_iter().enumerate() {
        if model.within_boundary(&s)
            && let Some(id) = insert(&mut states, s)
        {
            meta.push((NO_PARENT, i as u32, 0));
            if is_target(&states[id as usize]) {
                return Some(path(&states, &meta, id));
            }
        }
    }
    let mut actions = Vec::new();
    let mut next = 0;
    while next < states.len() {
        let depth = meta[next].2;
        if depth as usize >= max_steps || max_states.is_some_and(|m| states.len() >= m) {
            return None;
        }
        let state = states[next].clone();
        actions.clear();
        model.actions(&state, &mut actions);
        for (index, action) in actions.drain(..).enumerate() {
            let Some(target) = model.next_state(&state, action) else {
                continue;
            };
            if !model.within_boundary(&target) {
                continue;
            }
            if let Some(id) = insert(&mut states, target) {
                meta.push((next as u32, index as u32, depth + 1));
                if is_target(&states[id as usize]) {
                    return Some(path(&states, &meta, id));
                }
            }
        }
        next += 1;
    }
    None
}
