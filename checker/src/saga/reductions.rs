//! What makes the saga small enough to check, each reduction exact (the argument is at its
//! code, summarised in the parent's module doc): dead messages dropped (`drop_dead_messages`,
//! on every state), and, for a saga with a non-idempotent participant, checking by projection
//! ([`View`], `verify_by_projection`): each safety property on a projection that keeps only the
//! observers it reads, termination on the control projection, and every counterexample rebuilt
//! on the full model. Called from the model's `next_state` and the parent's `verify_saga`;
//! calls the state graph explorer, [`verify`] and the trace builders. Separate because none of
//! it is the protocol: each piece abstracts the model and carries its own soundness argument.

use super::model::state::{CFAIL, COK, COMP_TRIGGER, CREQ, FAIL, OK, REQ, Record, TRIGGER};
use super::model::{Action, Phase, SagaState, SagaSys};
use crate::catalogue::{
    SAGA_COMPENSATION_ORDER, SAGA_EFFECT_ONCE, SAGA_NO_PHANTOM_COMPENSATION,
    SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION,
};
use crate::error::Error;
use crate::fairness::ActionFairness;
use crate::state_graph::{Limits, StateGraph, explore};
use crate::trace::{Counterexample, TraceId, action_indices, replay};
use crate::verdict::{
    Bound, CheckOptions, OptionsUsed, Progress, Stats, Status, Strategy, Verdict,
};
use crate::verify::{Protocol, verify};
use stateright::Model;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// A projection of the saga model onto some of its observer variables. The effect counters and
/// the compensation-order bit are history variables: no action's enabledness and no control
/// variable (phase, crash, messages, records) ever reads them. So the model with some of them
/// erased has, as its reachable states, exactly the erasure of the full model's (by induction
/// on paths, in both directions), and a path of the projection replays action by action on the
/// full model. A property that reads only the kept observers has the same verdict and the same
/// shortest counterexample length on the projection as on the full model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct View {
    /// Steps whose effect counters are kept (bit `i`).
    counted: u16,
    /// Whether the compensation-order bit is kept. In a projection it records a compensation
    /// that ran while a later *counted* compensatable step was in place.
    order: bool,
    /// Whether messages that can now only change erased observers are dropped (orchestration
    /// only; see [`SagaSys::drop_unobserved_messages`]).
    drop_unobserved: bool,
}

impl View {
    pub(super) const FULL: View = View {
        counted: u16::MAX,
        order: true,
        drop_unobserved: false,
    };
}

impl SagaSys {
    /// Dead-variable reduction: removes messages that can no longer influence anything, so
    /// states that differ only in them are one state. A reply is dead once the orchestrator has
    /// left the phase that waits for it (phases are never re-entered: recovery resumes the same
    /// phase, or after an after-step log rolls back to a compensation not yet started or to
    /// the end); a request to an idempotent participant that already has a record only produces
    /// such a reply (orchestration) or is dropped (choreography). Properties never read messages,
    /// and a dead message enables nothing but its own loss, so this is a bisimulation.
    pub(super) fn drop_dead_messages(&self, s: &mut SagaState) {
        let phase = s.phase();
        for k in 0..self.n {
            let idempotent = self.cfg.steps[k].idempotent;
            let rec = s.record(k);
            if self.orchestrated() {
                let forward_live = phase == Phase::Forward(k as u8);
                let compensation_live = phase == Phase::Compensating(k as u8);
                if !forward_live {
                    s.set(k, OK | FAIL, false);
                    if idempotent && rec != Record::None {
                        s.set(k, REQ, false);
                    }
                }
                if !compensation_live {
                    s.set(k, COK | CFAIL, false);
                    if idempotent && rec == Record::Cancelled {
                        s.set(k, CREQ, false);
                    }
                }
            } else if idempotent {
                if rec != Record::None {
                    s.set(k, TRIGGER, false);
                }
                if rec == Record::Cancelled {
                    s.set(k, COMP_TRIGGER, false);
                }
            }
        }
    }

    /// Erases the observers `self.view` does not keep, and drops the messages that could only
    /// change erased observers.
    pub(super) fn project(&self, s: &mut SagaState) {
        let view = self.view;
        for k in 0..self.n {
            if view.counted & (1 << k) == 0 {
                s.erase_effects(k);
            }
        }
        if !view.order {
            s.erase_order();
        }
        if view.drop_unobserved {
            self.drop_unobserved_messages(s);
        }
    }

    /// Orchestration, non-idempotent step `k`: once the coordinator has left the phase that
    /// waits for it, a request (or compensation request) still in the channel is a duplicate
    /// whose delivery changes nothing but the step's effect counter (or compensation counter
    /// and the order bit): its reply is dead at once, and a non-idempotent participant keeps
    /// no record. So where those observers are erased (or saturated, or the order bit already
    /// set), delivering or losing it changes nothing the projection keeps, and it is dropped.
    fn drop_unobserved_messages(&self, s: &mut SagaState) {
        if !self.orchestrated() {
            return;
        }
        let phase = s.phase();
        let view = self.view;
        for k in 0..self.n {
            if self.cfg.steps[k].idempotent {
                continue;
            }
            let counted = view.counted & (1 << k) != 0;
            if phase != Phase::Forward(k as u8) && (!counted || s.executions(k) == 2) {
                s.set(k, REQ, false);
            }
            if phase != Phase::Compensating(k as u8) && (!counted || s.compensations(k) == 2) {
                // Its compensation could still break the order against a later counted step.
                let later = view.counted & self.compensatable & !((2u16 << k) - 1);
                let order_live = view.order && !s.order_broken() && later != 0;
                if !order_live {
                    s.set(k, CREQ, false);
                }
            }
        }
    }
}

// ---- Checking by projection -------------------------------------------------------------------

/// A state predicate of a projection whose reachability decides (part of) a safety property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `saga.effect-once`: non-idempotent step `i` applied, or compensated, twice.
    Twice(usize),
    /// `saga.no-phantom-compensation`: step `i` compensated more often than applied.
    Phantom(usize),
    /// `saga.semantic-atomicity`: the saga is over with step `.0` in place and step `.1` not.
    Mixed(usize, usize),
    /// `saga.compensation-order`: a compensation ran while a later counted step was in place.
    OutOfOrder,
}

impl Target {
    fn property(self) -> &'static str {
        match self {
            Target::Twice(_) => SAGA_EFFECT_ONCE,
            Target::Phantom(_) => SAGA_NO_PHANTOM_COMPENSATION,
            Target::Mixed(..) => SAGA_SEMANTIC_ATOMICITY,
            Target::OutOfOrder => SAGA_COMPENSATION_ORDER,
        }
    }
}

/// One explored projection: its model, graph, targets and the depth each target is first
/// reached at.
struct Explored {
    model: SagaSys,
    graph: StateGraph<SagaState>,
    targets: Vec<Target>,
    first_hit: Vec<Option<u32>>,
}

/// How many rounds of a cycle [`SagaSys::concrete_lasso`] unrolls before giving up: the observers
/// only grow (each of 2 × 12 counters at most twice, plus the order bit), so 50 always suffices.
const MAX_UNROLL: usize = 50;

impl SagaSys {
    /// Whether [`verify_saga`](super::verify_saga) checks this saga by projection: with a
    /// non-idempotent participant, where duplicates crossed with effect counters multiply the
    /// full state space.
    pub(super) fn by_projection(&self) -> bool {
        self.cfg.steps.iter().any(|s| !s.idempotent)
    }

    /// Whether `target` holds in `s` (a state of a projection that keeps what it reads).
    fn reached(&self, target: Target, s: &SagaState) -> bool {
        match target {
            Target::Twice(i) => s.executions(i) >= 2 || s.compensations(i) >= 2,
            Target::Phantom(i) => s.compensations(i) > s.executions(i),
            Target::Mixed(i, j) => self.ended(s) && s.in_place(i) && !s.in_place(j),
            Target::OutOfOrder => !self.compensation_order(s),
        }
    }

    /// The projections that decide the `wanted` safety properties, each with its targets. A
    /// property is violated iff one of its targets is reachable in the projection that carries
    /// it, and its shortest counterexample is as long as the nearest such target:
    /// - effect-once and no-phantom read one step's counters: a projection keeping them;
    /// - semantic atomicity is violated iff the saga can end with some step `i` in place and
    ///   some `j` not: a projection per pair;
    /// - the order bit is set iff some compensation runs while some later compensatable step
    ///   `k` is in place: a projection per `k`, keeping `k`'s counters and the bit for `k`.
    fn projections(&self, wanted: &[&str]) -> Vec<(View, Vec<Target>)> {
        let n = self.n;
        let wants = |id: &str| wanted.contains(&id);
        let per_step = |i: usize| {
            let mut t = Vec::new();
            if wants(SAGA_EFFECT_ONCE) && !self.cfg.steps[i].idempotent {
                t.push(Target::Twice(i));
            }
            if wants(SAGA_NO_PHANTOM_COMPENSATION) {
                t.push(Target::Phantom(i));
            }
            t
        };
        let view = |counted: u16, order: bool| View {
            counted,
            order,
            drop_unobserved: true,
        };
        let mut out = Vec::new();
        if wants(SAGA_SEMANTIC_ATOMICITY) && n >= 2 {
            for i in 0..n {
                for j in i + 1..n {
                    let mut t = vec![Target::Mixed(i, j), Target::Mixed(j, i)];
                    // Each step's own targets ride along in one pair that counts it.
                    if j == i + 1 {
                        t.extend(per_step(i));
                    }
                    if i == 0 && j == n - 1 {
                        t.extend(per_step(j));
                    }
                    out.push((view((1 << i) | (1 << j), false), t));
                }
            }
        } else {
            for i in 0..n {
                let t = per_step(i);
                if !t.is_empty() {
                    out.push((view(1 << i, false), t));
                }
            }
        }
        if wants(SAGA_COMPENSATION_ORDER) {
            for k in 1..n {
                let earlier = self.compensatable & ((1 << k) - 1);
                if self.compensatable & (1 << k) != 0 && earlier != 0 {
                    out.push((view(1 << k, true), vec![Target::OutOfOrder]));
                }
            }
        }
        out
    }

    /// [`verify`] for a saga that [`Self::by_projection`]: the safety properties on
    /// projections, termination on the control projection; every counterexample is rebuilt on
    /// the full model, so its trace id replays there.
    pub(super) fn verify_by_projection(
        &self,
        name: &str,
        properties: &[&str],
        opts: &CheckOptions,
    ) -> Result<Vec<Verdict>, Error> {
        let safety: Vec<&'static str> = self.properties().iter().map(|p| p.name).collect();
        let known: Vec<&'static str> = safety.iter().copied().chain([SAGA_TERMINATION]).collect();
        let wanted: Vec<&'static str> = if properties.is_empty() {
            known.clone()
        } else {
            crate::verify::resolve(properties, &known, Self::PROTOCOL)?
        };
        let wanted_safety: Vec<&'static str> = wanted
            .iter()
            .copied()
            .filter(|id| safety.contains(id))
            .collect();
        let mut verdicts = Vec::new();
        if !wanted_safety.is_empty() {
            verdicts.extend(self.check_safety_by_projection(name, &wanted_safety, opts));
        }
        if wanted.contains(&SAGA_TERMINATION) {
            verdicts.extend(self.check_termination_by_projection(name, opts)?);
        }
        Ok(verdicts)
    }

    fn check_safety_by_projection(
        &self,
        name: &str,
        wanted: &[&'static str],
        opts: &CheckOptions,
    ) -> Vec<Verdict> {
        let start = Instant::now();
        let mut notes = Vec::new();
        if opts.symmetry {
            notes.push("saga has no symmetry reduction; checked by projection".to_owned());
        }
        if opts.threads > 1 {
            notes.push("the projection explorer is single-threaded".to_owned());
        }
        if opts.strategy != Strategy::Bfs {
            notes.push(
                "the projection explorer is breadth-first, for shortest counterexamples".to_owned(),
            );
        }
        let mut stats = Stats::default();
        let mut cut: Option<Bound> = None;
        let mut explored = Vec::new();
        let projections = self.projections(wanted);
        let count = projections.len();
        for (view, targets) in projections {
            // `--max-states` and `--timeout` bound the check, not each projection: the
            // projections share one budget, so the counts reported are what the whole search
            // generated and never pass the bound (each with its own let 2 projections report
            // 100 states under `--max-states 50`). A bound spent stops the projections left.
            let left = opts
                .max_states
                .map(|m| m.saturating_sub(stats.states_generated as usize));
            if let (Some(limit), Some(0)) = (opts.max_states, left) {
                cut.get_or_insert(Bound::MaxStates { limit });
                break;
            }
            // A depth bound cuts each projection alone; the others still may find a violation.
            if cut
                .as_ref()
                .is_some_and(|b| !matches!(b, Bound::MaxDepth { .. }))
            {
                break;
            }
            let model = self.projected(view);
            let limits = Limits {
                max_states: left,
                max_depth: opts.max_depth,
                timeout: opts.timeout.map(|t| t.saturating_sub(start.elapsed())),
                cancel: opts.cancel.clone(),
                max_memory: opts.max_memory,
            };
            let fairness = |a: &Action| model.fairness(a);
            // Progress while a projection is explored, not only once it is done: one large
            // projection kept the explorer at "Starting…" for 16 s, then frozen. Counted with
            // the projections before it, as the verdict counts them.
            let hook = opts.progress.as_ref().map(|outer| {
                let (outer, base) = (outer.clone(), stats);
                crate::verdict::ProgressHook::new(move |p: &Progress| {
                    outer.report(&Progress {
                        phase: "safety",
                        states_generated: base.states_generated + p.states_generated,
                        unique_states: base.unique_states + p.unique_states,
                        max_depth: base.max_depth.max(p.max_depth),
                        elapsed: start.elapsed(),
                    });
                })
            });
            let e = explore(&model, &fairness, limits, hook.as_ref());
            stats.states_generated += e.stats.states_generated;
            stats.unique_states += e.stats.unique_states;
            stats.max_depth = stats.max_depth.max(e.stats.max_depth);
            stats.graph_bytes =
                Some(stats.graph_bytes.unwrap_or(0) + e.stats.graph_bytes.unwrap_or(0));
            // Said in the user's terms: the bound they gave, not what was left of it for this
            // projection (which printed a 10 s timeout as "9.999992486 s").
            match e.cut {
                Some(Bound::MaxStates { .. }) => {
                    cut = Some(Bound::MaxStates {
                        limit: opts.max_states.unwrap_or_default(),
                    });
                }
                Some(Bound::Timeout { .. }) => {
                    cut = Some(Bound::Timeout {
                        seconds: opts.timeout.map_or(0.0, |t| t.as_secs_f64()),
                    });
                }
                Some(Bound::MaxDepth { .. }) if cut.is_some() => {}
                Some(other) => cut = Some(other),
                None => {}
            }
            let mut first_hit = vec![None; targets.len()];
            for (id, s) in e.graph.states.iter().enumerate() {
                for (t, hit) in targets.iter().zip(&mut first_hit) {
                    if hit.is_none() && model.reached(*t, s) {
                        *hit = Some(e.graph.depth[id]);
                    }
                }
            }
            if let Some(hook) = &opts.progress {
                hook.report(&Progress {
                    phase: "safety",
                    states_generated: stats.states_generated,
                    unique_states: stats.unique_states,
                    max_depth: stats.max_depth,
                    elapsed: start.elapsed(),
                });
            }
            explored.push(Explored {
                model,
                graph: e.graph,
                targets,
                first_hit,
            });
        }
        stats.elapsed = start.elapsed();
        let done = explored.len();
        let checked = if done == count {
            format!("{count}")
        } else {
            format!("{done} of the {count}")
        };
        notes.push(format!(
            "checked on {checked} projections of the saga onto one or two steps' effect \
             counters ({} states in all); counterexamples are replayed on the full model",
            stats.unique_states
        ));
        let options = OptionsUsed {
            engine: "projection",
            strategy: Strategy::Bfs,
            threads: 1,
            symmetry: false,
            max_states: opts.max_states,
            max_depth: opts.max_depth,
            timeout: opts.timeout.map(|t| t.as_secs_f64()),
            notes,
        };
        wanted
            .iter()
            .map(|&property| {
                let depth = explored
                    .iter()
                    .flat_map(|e| e.targets.iter().zip(&e.first_hit))
                    .filter(|(t, _)| t.property() == property)
                    .filter_map(|(_, hit)| *hit)
                    .min();
                let (status, counterexample) = Status::of_search(
                    depth.map(|d| self.concrete_path(property, d, &explored)),
                    cut.as_ref(),
                );
                Verdict {
                    model: name.to_owned(),
                    protocol: Self::PROTOCOL,
                    property,
                    status,
                    stats,
                    options: options.clone(),
                    counterexample,
                    example: None,
                    fix: None,
                }
            })
            .collect()
    }

    /// The counterexample breadth-first search of the full model would report: of the paths of
    /// `depth` steps to a state violating `property`, the first in the order of action indices.
    /// Built greedily on the full model: at each step, the first action after which some
    /// projection (followed in step, a stutter where the action delivers a message it dropped)
    /// is still within the remaining steps of one of the property's targets.
    fn concrete_path(
        &self,
        property: &'static str,
        depth: u32,
        explored: &[Explored],
    ) -> Counterexample {
        struct Guide<'a> {
            model: &'a SagaSys,
            ids: HashMap<SagaState, u32>,
            distance: Vec<u32>,
        }
        let guides: Vec<Guide> = explored
            .iter()
            .filter(|e| {
                e.targets
                    .iter()
                    .zip(&e.first_hit)
                    .any(|(t, hit)| t.property() == property && *hit == Some(depth))
            })
            .map(|e| {
                let targets: Vec<Target> = e
                    .targets
                    .iter()
                    .copied()
                    .filter(|t| t.property() == property)
                    .collect();
                let g = &e.graph;
                let n = g.len();
                let mut incoming: Vec<Vec<u32>> = vec![Vec::new(); n];
                for s in 0..g.expanded() {
                    for edge in g.edges_of(s as u32) {
                        incoming[edge.target as usize].push(s as u32);
                    }
                }
                let mut distance = vec![u32::MAX; n];
                let mut queue = VecDeque::new();
                for (id, s) in g.states.iter().enumerate() {
                    if targets.iter().any(|t| e.model.reached(*t, s)) {
                        distance[id] = 0;
                        queue.push_back(id as u32);
                    }
                }
                while let Some(t) = queue.pop_front() {
                    for &src in &incoming[t as usize] {
                        if distance[src as usize] == u32::MAX {
                            distance[src as usize] = distance[t as usize] + 1;
                            queue.push_back(src);
                        }
                    }
                }
                let ids = g
                    .states
                    .iter()
                    .enumerate()
                    .map(|(id, s)| (*s, id as u32))
                    .collect();
                Guide {
                    model: &e.model,
                    ids,
                    distance,
                }
            })
            .collect();
        let init = self.init_states()[0];
        let mut states = vec![init];
        let mut actions = Vec::new();
        let mut indices = Vec::new();
        let mut shadows: Vec<SagaState> = guides.iter().map(|_| init).collect();
        let mut buf = Vec::new();
        let mut shadow_buf = Vec::new();
        for step in 0..depth {
            let left = depth - step - 1;
            let s = *states.last().expect("starts with the initial state");
            buf.clear();
            self.actions(&s, &mut buf);
            let (index, action, next, next_shadows) = buf
                .iter()
                .enumerate()
                .find_map(|(index, &action)| {
                    let next = self.next_state(&s, action)?;
                    let next_shadows: Vec<SagaState> = guides
                        .iter()
                        .zip(&shadows)
                        .map(|(g, v)| {
                            shadow_buf.clear();
                            g.model.actions(v, &mut shadow_buf);
                            if shadow_buf.contains(&action) {
                                g.model.next_state(v, action).unwrap_or(*v)
                            } else {
                                *v
                            }
                        })
                        .collect();
                    let near = guides.iter().zip(&next_shadows).any(|(g, v)| {
                        g.ids
                            .get(v)
                            .is_some_and(|&id| g.distance[id as usize] <= left)
                    });
                    near.then_some((index, action, next, next_shadows))
                })
                .expect("a projection's path to its target replays on the full model");
            states.push(next);
            actions.push(action);
            indices.push(index);
            shadows = next_shadows;
        }
        let id = TraceId {
            init: 0,
            actions: indices,
            loop_to: None,
        };
        Counterexample::from_path(self, property, id, &states, &actions)
    }

    /// `saga.termination` on the control projection (every effect counter and the order bit
    /// erased, duplicates that could only change them dropped): the goal reads only the phase,
    /// and no action's enabledness, fairness or effect on the control variables reads an
    /// erased variable, so fair runs of the two models correspond step for step, apart from the
    /// dropped deliveries, which change nothing the goal or any fair action depends on.
    fn check_termination_by_projection(
        &self,
        name: &str,
        opts: &CheckOptions,
    ) -> Result<Vec<Verdict>, Error> {
        let control = self.projected(View {
            counted: 0,
            order: false,
            drop_unobserved: true,
        });
        let mut verdicts = verify(name, &control, &[SAGA_TERMINATION], opts)?;
        for v in &mut verdicts {
            v.options.notes.push(format!(
                "checked on the saga's control projection (effect counters erased; {} states); \
                 the lasso is replayed on the full model",
                v.stats.unique_states
            ));
            if let Some(cex) = &v.counterexample {
                v.counterexample = Some(self.concrete_lasso(&control, cex)?);
            }
        }
        Ok(verdicts)
    }

    /// Rebuilds a lasso of the control projection on the full model: the same actions, then,
    /// where the cycle starts (or the run stutters), the deliveries of duplicates the
    /// projection dropped (weakly fair in the full model, so a fair run takes them; they change
    /// only counters), then the cycle, unrolled until the counters it bumps stop changing.
    fn concrete_lasso(
        &self,
        control: &SagaSys,
        cex: &Counterexample,
    ) -> Result<Counterexample, Error> {
        let id: TraceId = cex.trace_id.parse()?;
        let projected = replay(control, &cex.trace_id)?;
        let mut buf = Vec::new();
        let control_actions: Vec<Action> = projected
            .iter()
            .zip(&id.actions)
            .map(|(s, &i)| {
                buf.clear();
                control.actions(s, &mut buf);
                buf[i]
            })
            .collect();
        let loop_to = id.loop_to.unwrap_or(control_actions.len());
        let (prefix, cycle) = control_actions.split_at(loop_to);
        let mut states = vec![self.init_states()[id.init]];
        let mut actions = Vec::new();
        let take = |states: &mut Vec<SagaState>, actions: &mut Vec<Action>, a: Action| {
            let s = *states.last().expect("non-empty");
            states.push(self.next_state(&s, a).unwrap_or(s));
            actions.push(a);
        };
        for &a in prefix {
            take(&mut states, &mut actions, a);
        }
        let canonical = |s: &SagaState| {
            let mut c = *s;
            control.project(&mut c);
            c
        };
        loop {
            let s = *states.last().expect("non-empty");
            buf.clear();
            self.actions(&s, &mut buf);
            let flush = buf.iter().copied().find(|&a| {
                matches!(self.fairness(&a), ActionFairness::Weak(_))
                    && self
                        .next_state(&s, a)
                        .is_some_and(|t| t != s && canonical(&t) == canonical(&s))
            });
            match flush {
                Some(a) => take(&mut states, &mut actions, a),
                None => break,
            }
        }
        let mut loop_start = states.len() - 1;
        if !cycle.is_empty() {
            for _ in 0..MAX_UNROLL {
                for &a in cycle {
                    take(&mut states, &mut actions, a);
                }
                if states[loop_start] == states[states.len() - 1] {
                    break;
                }
                loop_start = states.len() - 1;
            }
        }
        let indices = action_indices(self, &states, &actions)
            .expect("the projection's actions are enabled on the full model");
        let trace = TraceId {
            init: id.init,
            actions: indices,
            loop_to: Some(loop_start),
        };
        Ok(Counterexample::from_path(
            self,
            cex.property,
            trace,
            &states,
            &actions,
        ))
    }
}

#[cfg(test)]
mod tests;
