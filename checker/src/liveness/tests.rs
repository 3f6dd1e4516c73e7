//! Tests of the parent module `liveness`, kept beside it in a file of their own so the
//! model reads without them.

use super::*;
use crate::fairness::ActionFairness;
use crate::state_graph::{Limits, explore};
use crate::trace::replay;

/// A hand-made graph: states are `u8`, action `i` is edge `i` of the table.
struct Graph {
    edges: Vec<(u8, u8, ActionFairness)>,
}

impl Model for Graph {
    type State = u8;
    type Action = usize;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, actions: &mut Vec<usize>) {
        actions.extend((0..self.edges.len()).filter(|&i| self.edges[i].0 == *s));
    }
    fn next_state(&self, _: &u8, action: usize) -> Option<u8> {
        Some(self.edges[action].1)
    }
}

const WEAK: fn(u32) -> ActionFairness = ActionFairness::Weak;

fn reaches_goal(_: &Graph, s: &u8) -> bool {
    *s == 9
}

fn lasso(edges: Vec<(u8, u8, ActionFairness)>) -> Option<LassoPath> {
    lasso_for(
        edges,
        LivenessProperty::always_eventually("goal", reaches_goal),
    )
}

fn lasso_for(
    edges: Vec<(u8, u8, ActionFairness)>,
    property: LivenessProperty<Graph>,
) -> Option<LassoPath> {
    let model = Graph { edges };
    let fairness = |a: &usize| model.edges[*a].2;
    let e = explore(&model, &fairness, Limits::default(), None);
    assert!(e.cut.is_none());
    let found = find_fair_lasso(&model, &e.graph, &property);
    if let Some(l) = &found {
        assert_fair(&model, l);
        // Every lasso replays, and its last state is the one it loops to.
        let id = crate::trace::TraceId {
            init: l.init,
            actions: l.actions.iter().map(|&a| a as usize).collect(),
            loop_to: Some(l.loop_to),
        };
        let states = replay(&model, &id.to_string()).unwrap();
        let expect: Vec<u8> = l.states.iter().map(|&s| *e.graph.state(s)).collect();
        assert_eq!(states, expect);
    }
    found
}

/// Checks weak fairness of a lasso from the model alone (not the graph the checker built):
/// stuttering needs no weakly fair action enabled in the last state; a cycle must take every
/// weak class enabled in all of its states, and contain no fault.
fn assert_fair(model: &Graph, l: &LassoPath) {
    let states: Vec<u8> = replay_states(model, l);
    let enabled = |s: u8| -> Vec<u32> {
        model
            .edges
            .iter()
            .filter(|(from, to, _)| *from == s && *to != s)
            .filter_map(|(_, _, f)| match f {
                ActionFairness::Weak(c) => Some(*c),
                _ => None,
            })
            .collect()
    };
    let last = *states.last().unwrap();
    if l.loop_to == states.len() - 1 {
        assert!(enabled(last).is_empty(), "unfair stutter at {last}: {l:?}");
        return;
    }
    let mut taken = Vec::new();
    for i in l.loop_to..l.actions.len() {
        let mut acts = Vec::new();
        model.actions(&states[i], &mut acts);
        let (_, _, f) = model.edges[acts[l.actions[i] as usize]];
        match f {
            ActionFairness::Weak(c) => taken.push(c),
            ActionFairness::Fault => panic!("a fault in the cycle: {l:?}"),
            ActionFairness::Unfair => {}
        }
    }
    let cycle = &states[l.loop_to..];
    for c in enabled(cycle[0]) {
        if cycle.iter().all(|&s| enabled(s).contains(&c)) {
            assert!(taken.contains(&c), "class {c} owed on {l:?}");
        }
    }
}

fn replay_states(model: &Graph, l: &LassoPath) -> Vec<u8> {
    let mut s = model.init_states()[l.init];
    let mut out = vec![s];
    for &a in &l.actions {
        let mut acts = Vec::new();
        model.actions(&s, &mut acts);
        s = model.next_state(&s, acts[a as usize]).unwrap();
        out.push(s);
    }
    out
}

#[test]
fn a_self_loop_that_never_reaches_the_goal_violates() {
    // 0 -spin-> 0 only: the run stutters at 0 forever.
    let l = lasso(vec![(0, 0, WEAK(0))]).unwrap();
    assert_eq!(l.states, vec![0]);
    assert_eq!(l.loop_to, 0);
}

#[test]
fn a_terminal_state_short_of_the_goal_violates() {
    // 0 -> 1, and 1 is a deadlock.
    let l = lasso(vec![(0, 1, WEAK(0))]).unwrap();
    assert_eq!(l.states.len(), 2);
    assert_eq!(l.loop_to, 1, "stutters in the deadlock");
}

#[test]
fn an_unfair_cycle_is_excused() {
    // 0 <-> 1 forever would avoid the goal, but the exit to 9 is enabled in both states and
    // weakly fair, so a fair run must take it.
    let l = lasso(vec![
        (0, 1, WEAK(0)),
        (1, 0, WEAK(1)),
        (0, 9, WEAK(2)),
        (1, 9, WEAK(2)),
    ]);
    assert_eq!(l, None);
}

#[test]
fn a_fair_cycle_that_avoids_the_goal_violates() {
    // The exit is only enabled in state 1, so leaving via 0 infinitely often is fair.
    let l = lasso(vec![(0, 1, WEAK(0)), (1, 0, WEAK(1)), (1, 9, WEAK(2))]).unwrap();
    assert_eq!(l.states.first(), l.states.get(l.loop_to));
    assert_eq!(l.states.last(), l.states.get(l.loop_to));
    assert!(l.states.len() >= 3, "a real cycle, not stuttering: {l:?}");
}

#[test]
fn an_exit_without_fairness_does_not_excuse_a_cycle() {
    let l = lasso(vec![
        (0, 1, WEAK(0)),
        (1, 0, WEAK(1)),
        (0, 9, ActionFairness::Unfair),
        (1, 9, ActionFairness::Unfair),
    ]);
    assert!(l.is_some());
}

#[test]
fn stuttering_is_fair_where_only_unfair_actions_are_enabled() {
    // 0 can only leave by an unfair action: the run may stay at 0.
    let l = lasso(vec![(0, 9, ActionFairness::Unfair)]).unwrap();
    assert_eq!((l.states.as_slice(), l.loop_to), ([0u32].as_slice(), 0));
}

#[test]
fn faults_happen_only_finitely_often() {
    // 0 -crash-> 1 -recover-> 0, and from 0 the goal is weakly fair. Crashing forever would
    // avoid the goal, but faults may not repeat forever, so the property holds.
    let l = lasso(vec![
        (0, 1, ActionFairness::Fault),
        (1, 0, WEAK(0)),
        (0, 9, WEAK(1)),
    ]);
    assert_eq!(l, None);
    // A fault may still lead into a trap.
    let l = lasso(vec![(0, 1, ActionFairness::Fault), (0, 9, WEAK(1))]).unwrap();
    assert_eq!(l.states.last(), Some(&1));
}

#[test]
fn the_cycle_takes_every_class_it_owes() {
    // The plain cycle 0 -> 1 -> 2 -> 0 is unfair: class 7 is enabled in all three states
    // (by edges inside the cycle) and never taken. The lasso must detour through a class-7
    // edge; `lasso_for` checks the fairness of every lasso independently.
    let l = lasso(vec![
        (0, 1, WEAK(0)),
        (1, 2, WEAK(1)),
        (2, 0, WEAK(2)),
        (0, 2, WEAK(7)),
        (1, 2, WEAK(7)),
        (2, 1, WEAK(7)),
    ])
    .unwrap();
    assert!(l.loop_to < l.states.len() - 1, "a cycle: {l:?}");
}

#[test]
fn leads_to_only_starts_counting_at_the_trigger() {
    // 0 -> 1 -> 2 (deadlock). Goal 9 is never reached, but the trigger (state 2) is
    // reached, so "2 leads to 9" is violated; "5 leads to 9" holds vacuously.
    let edges = vec![(0, 1, WEAK(0)), (1, 2, WEAK(1))];
    let p = LivenessProperty::leads_to("p", |_: &Graph, s: &u8| *s == 2, reaches_goal);
    let l = lasso_for(edges.clone(), p).unwrap();
    assert_eq!(l.states.last(), Some(&2));
    let q = LivenessProperty::leads_to("q", |_: &Graph, s: &u8| *s == 5, reaches_goal);
    assert_eq!(lasso_for(edges, q), None);
}

/// A counter 0 → 1 → … → N whose goal is never reached: Tarjan's recursion goes N deep.
struct Chain(u32);

impl Model for Chain {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, actions: &mut Vec<()>) {
        if *s < self.0 {
            actions.push(());
        }
    }
    fn next_state(&self, s: &u32, _: ()) -> Option<u32> {
        Some(s + 1)
    }
}

#[test]
fn long_chains_do_not_overflow_the_stack() {
    let model = Chain(200_000);
    let e = explore(&model, &|_: &()| WEAK(0), Limits::default(), None);
    let p = LivenessProperty::always_eventually("never", |_: &Chain, _: &u32| false);
    let l = find_fair_lasso(&model, &e.graph, &p).unwrap();
    // The shortest violation: the initial state already can only end in the deadlock.
    assert_eq!(l.states.len(), 200_001);
    assert_eq!(l.loop_to, 200_000);
}

#[test]
fn a_bounded_graph_still_yields_real_lassos_and_no_false_holds() {
    let model = Graph {
        edges: vec![(0, 1, WEAK(0)), (1, 2, WEAK(1)), (2, 3, WEAK(2))],
    };
    let fairness = |a: &usize| model.edges[*a].2;
    let limits = Limits {
        max_depth: Some(1),
        ..Limits::default()
    };
    let e = explore(&model, &fairness, limits, None);
    assert!(e.cut.is_some());
    // State 1 is unexpanded: no lasso may end there.
    let p = LivenessProperty::always_eventually("goal", reaches_goal);
    assert_eq!(find_fair_lasso(&model, &e.graph, &p), None);
}

#[test]
fn a_depth_bound_that_cuts_nothing_still_finds_the_lasso_at_the_bound() {
    // 0 → 1 → 2, where 2 is terminal (it stutters forever) and 1 also loops back to 0.
    // A bound of exactly the graph's depth cuts nothing: the states at it lead nowhere new,
    // so the run is complete, and they must be expanded for the lassos that end there.
    for edges in [
        vec![(0, 1, WEAK(0)), (1, 2, WEAK(1))],
        vec![(0, 1, WEAK(0)), (1, 2, WEAK(1)), (2, 0, WEAK(2))],
    ] {
        let model = Graph { edges };
        let fairness = |a: &usize| model.edges[*a].2;
        let limits = Limits {
            max_depth: Some(2),
            ..Limits::default()
        };
        let e = explore(&model, &fairness, limits, None);
        assert!(e.cut.is_none(), "{:?}", model.edges);
        let p = LivenessProperty::always_eventually("goal", reaches_goal);
        let l = find_fair_lasso(&model, &e.graph, &p).expect("the goal is never reached");
        assert_fair(&model, &l);
    }
    // The same bound on a longer chain does cut, and then no lasso may end at the bound.
    let model = Graph {
        edges: vec![(0, 1, WEAK(0)), (1, 2, WEAK(1)), (2, 3, WEAK(2))],
    };
    let fairness = |a: &usize| model.edges[*a].2;
    let limits = Limits {
        max_depth: Some(2),
        ..Limits::default()
    };
    let e = explore(&model, &fairness, limits, None);
    assert!(e.cut.is_some());
}
