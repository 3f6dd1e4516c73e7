//! The whole architecture: synchronous call cycles. Owns the rule that synchronous calls between
//! endpoints form no cycle, reported once per strongly connected component at the call that starts
//! its shortest cycle, with the cycle named.
//!
//! Builds a petgraph graph of endpoints and calls; calls `push_help` in `rules.rs`. Runs last, over
//! the whole scenario, after the calls themselves have been checked; separate because it is the
//! one graph algorithm among the rules.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};

use super::{Validator, root};
use crate::diagnostic::codes;
use crate::scenario::*;
use crate::source::Target;

impl Validator<'_> {
    /// Synchronous calls between endpoints must not form a cycle: each request in it would wait
    /// on itself forever (or recurse until a timeout), which no policy makes sound.
    pub(super) fn sync_cycles(&mut self) {
        let mut graph: DiGraph<(&str, &str), (usize, Option<usize>)> = DiGraph::new();
        let mut index: BTreeMap<(&str, &str), NodeIndex> = BTreeMap::new();
        for (service, endpoint, _) in self.s.endpoints() {
            index.insert((service, endpoint), graph.add_node((service, endpoint)));
        }
        for (service, endpoint, ep) in self.s.endpoints() {
            let from = index[&(service, endpoint)];
            for (i, step) in ep.calls.iter().enumerate() {
                let parallel = matches!(step, CallStep::Parallel(_));
                for (j, call) in step.calls().iter().enumerate() {
                    if let Some((s, e)) = call.endpoint.split_once('.')
                        && let Some(&to) = index.get(&(s, e))
                    {
                        graph.add_edge(from, to, (i, parallel.then_some(j)));
                    }
                }
            }
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            let start = *component
                .iter()
                .min_by_key(|n| graph[**n])
                .expect("non-empty");
            let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
            let self_loop = graph.find_edge(start, start).is_some();
            if members.len() == 1 && !self_loop {
                continue;
            }
            let cycle = shortest_cycle(&graph, start, &members);
            let names: Vec<String> = cycle
                .iter()
                .chain(std::iter::once(&start))
                .map(|n| format!("{}.{}", graph[*n].0, graph[*n].1))
                .collect();
            let next = cycle.get(1).copied().unwrap_or(start);
            let edge = graph.find_edge(start, next).expect("cycle edge");
            let (step, within) = graph[edge];
            let (service, endpoint) = graph[start];
            let mut at = root()
                .key("services")
                .key(service)
                .key("endpoints")
                .key(endpoint)
                .key("calls")
                .index(step);
            if let Some(j) = within {
                at = at.index(j);
            }
            self.push_help(
                codes::SYNC_CYCLE,
                at,
                Target::Value,
                format!("synchronous call cycle: {}", names.join(" → ")),
                "a request in this cycle waits on itself; break it with an event (publishes/consumes) or remove a call",
            );
        }
    }
}

/// The nodes of a shortest cycle through `start` inside one strongly connected component,
/// beginning with `start`.
fn shortest_cycle<N, E>(
    graph: &DiGraph<N, E>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    if graph.find_edge(start, start).is_some() {
        return vec![start];
    }
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut successors: Vec<NodeIndex> = graph.neighbors(node).collect();
        successors.sort();
        for next in successors {
            if next == start {
                let mut path = vec![node];
                let mut cur = node;
                while let Some(&p) = parent.get(&cur) {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return path;
            }
            if members.contains(&next) && next != start && !parent.contains_key(&next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start]
}
