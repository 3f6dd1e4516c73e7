//! The verification pipeline every protocol shares: resolve the requested property ids, check
//! the safety properties (`always`, `sometimes`) with stateright's checker, check the liveness
//! properties with our fair-cycle search, and turn each outcome into a sound [`Verdict`]. This is
//! where the stateright pitfalls are handled: a run stopped by a bound or the timeout is
//! inconclusive (stateright's `is_done()` cannot tell), symmetry forces depth-first search
//! (breadth-first ignores it), and `eventually` is never delegated to stateright.

use crate::catalogue;
use crate::error::{Error, ErrorKind};
use crate::fairness::ActionFairness;
use crate::liveness::{LivenessProperty, find_fair_lasso};
use crate::memory::Watch;
use crate::state_graph::{Limits, explore, shortest_path_to};
use crate::trace::{Counterexample, Describe, TraceId, action_indices};
use crate::verdict::{
    Bound, CheckOptions, OptionsUsed, Progress, Stats, Status, Strategy, Verdict,
};
use stateright::{Checker, Expectation, Model, Property};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Maps a state to the canonical member of its symmetry class.
pub type Canonicalize<S> = fn(&S) -> S;

/// A protocol model the pipeline can verify: a stateright [`Model`] whose `properties()` are its
/// safety properties, plus descriptions for traces, a fairness classifier and liveness
/// properties. Each protocol module implements it once.
pub trait Protocol:
    Describe<
        State: Hash + Eq + Clone + Debug + Send + Sync + 'static,
        Action: Clone + PartialEq + Debug + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The protocol's name as the catalogue spells it, e.g. `two_phase_commit`.
    const PROTOCOL: &'static str;

    /// How fairness treats `action` (see [`ActionFairness`]).
    fn fairness(&self, action: &Self::Action) -> ActionFairness;

    /// The liveness properties, checked by the fair-cycle search.
    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>>;

    /// A canonical representative of a state's symmetry class, if the protocol has symmetry.
    fn symmetry(&self) -> Option<Canonicalize<Self::State>> {
        None
    }
}

/// The stable ids in `properties`, each one of `known`, in the order asked: an id the protocol
/// does not have is an error naming the ones it has.
pub(crate) fn resolve(
    properties: &[&str],
    known: &[&'static str],
    protocol: &'static str,
) -> Result<Vec<&'static str>, Error> {
    properties
        .iter()
        .map(|id| {
            known.iter().copied().find(|k| k == id).ok_or_else(|| {
                Error::from(ErrorKind::UnknownProperty {
                    id: (*id).to_owned(),
                    protocol,
                    known: known.to_vec(),
                })
            })
        })
        .collect()
}

/// Checks `properties` (all of the protocol's when empty) of `model`, one verdict each, in the
/// order asked (catalogue order when empty). `name` is the model's name in reports (the
/// scenario's transaction).
pub fn verify<P: Protocol>(
    name: &str,
    model: &P,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let safety: Vec<&'static str> = model.properties().iter().map(|p| p.name).collect();
    let liveness = model.liveness_properties();
    let known: Vec<&'static str> = safety
        .iter()
        .copied()
        .chain(liveness.iter().map(|p| p.name))
        .collect();
    let wanted: Vec<&'static str> = if properties.is_empty() {
        let mut all = known.clone();
        // Catalogue order, so reports are stable whatever order the model lists them in.
        all.sort_by_key(|id| {
            catalogue::CATALOGUE
                .iter()
                .position(|p| p.id == *id)
                .unwrap_or(usize::MAX)
        });
        all
    } else {
        resolve(properties, &known, P::PROTOCOL)?
    };

    let mut verdicts = Vec::new();
    if wanted.iter().any(|id| safety.contains(id)) {
        verdicts.extend(check_safety(name, model, &wanted, opts));
    }
    let live: Vec<LivenessProperty<P>> = liveness
        .into_iter()
        .filter(|p| wanted.contains(&p.name))
        .collect();
    if !live.is_empty() {
        verdicts.extend(check_liveness(name, model, &live, opts));
    }
    verdicts.sort_by_key(|v| wanted.iter().position(|id| *id == v.property));
    Ok(verdicts)
}

/// Runs stateright once over all safety properties and reports those in `wanted`.
fn check_safety<P: Protocol>(
    name: &str,
    model: &P,
    wanted: &[&'static str],
    opts: &CheckOptions,
) -> Vec<Verdict> {
    let threads = opts.threads.max(1);
    let mut notes = Vec::new();
    let symmetry = if opts.symmetry {
        let f = model.symmetry();
        if f.is_none() {
            notes.push(format!(
                "{} has no symmetry reduction; checked the full state space",
                P::PROTOCOL
            ));
        }
        f
    } else {
        None
    };
    let strategy = if symmetry.is_some() {
        if opts.strategy == Strategy::Bfs {
            notes.push(
                "symmetry reduction needs depth-first search (stateright's breadth-first \
                 checker ignores it); counterexamples may not be shortest"
                    .to_owned(),
            );
        }
        Strategy::Dfs
    } else {
        opts.strategy
    };
    if threads > 1 && strategy == Strategy::Bfs {
        notes.push("with several threads, counterexamples may not be shortest".to_owned());
    }

    let stop = Arc::new(AtomicBool::new(false));
    let admission = Arc::new(Admission::new(opts.max_states));
    let mut builder = Stoppable::new(model.clone(), stop.clone(), admission.clone())
        .checker()
        .threads(threads);
    if let Some(limit) = opts.max_states {
        builder = builder.target_state_count(limit.max(1));
    }
    if let Some(limit) = opts.max_depth {
        // stateright numbers the initial states depth 1 and skips (unchecked) every state at
        // depth >= target, so states up to `limit` steps deep are checked with `limit + 2`.
        builder = builder.target_max_depth(limit + 2);
    }
    if let Some(timeout) = opts.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(f) = symmetry {
        builder = builder.symmetry_fn(f);
    }
    let start = Instant::now();
    // The watchdog stops this search through the same switch as the timeout.
    let watch = Watch::start(opts.max_memory, stop.clone());
    let outcome = match strategy {
        Strategy::Bfs => run(builder.spawn_bfs(), start, opts, &stop, &admission, &watch),
        Strategy::Dfs => run(builder.spawn_dfs(), start, opts, &stop, &admission, &watch),
    };
    drop(watch);

    let options = OptionsUsed {
        engine: "stateright",
        strategy,
        threads,
        symmetry: symmetry.is_some(),
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        timeout: opts.timeout.map(|t| t.as_secs_f64()),
        notes,
    };
    model
        .properties()
        .into_iter()
        .filter(|p| wanted.contains(&p.name))
        .map(|p| {
            let found = outcome.discoveries.iter().find(|(n, _)| *n == p.name);
            let trace = found.map(|(_, path)| {
                let condition = p.condition;
                let wanted_value = !matches!(p.expectation, Expectation::Always);
                let is_target = |s: &P::State| condition(model, s) == wanted_value;
                // A path no longer than stateright's exists, so this search cannot come back
                // empty unless the state bound stops it; then stateright's path is still valid.
                // Not after the memory budget stopped the search: a second search as deep
                // as the first would pass it again.
                let memory_cut = matches!(outcome.cut, Some(Bound::Memory { .. }));
                let shortest = (!memory_cut)
                    .then(|| {
                        shortest_path_to(
                            model,
                            &is_target,
                            path.last_state_index(),
                            opts.max_states,
                        )
                    })
                    .flatten();
                match shortest {
                    Some((init, states, indices)) => {
                        let actions = actions_at(model, &states, &indices);
                        let id = TraceId {
                            init,
                            actions: indices,
                            loop_to: None,
                        };
                        Counterexample::from_path(model, p.name, id, &states, &actions)
                    }
                    None => counterexample(model, p.name, path),
                }
            });
            let (status, counterexample, example) = match (&p.expectation, trace) {
                (Expectation::Always, Some(t)) => (Status::Violated, Some(t), None),
                (Expectation::Sometimes, Some(t)) => (Status::Holds, None, Some(t)),
                (Expectation::Always | Expectation::Sometimes, None) => {
                    match &outcome.cut {
                        Some(bound) => (
                            Status::Inconclusive {
                                reason: bound.clone(),
                            },
                            None,
                            None,
                        ),
                        // Complete: `always` found no counterexample; `sometimes` no witness.
                        None if matches!(p.expectation, Expectation::Always) => {
                            (Status::Holds, None, None)
                        }
                        None => (Status::Violated, None, None),
                    }
                }
                // stateright's `eventually` only inspects terminal states; liveness goes
                // through `Protocol::liveness_properties` instead.
                (Expectation::Eventually, _) => (
                    Status::Inconclusive {
                        reason: Bound::Unsupported {
                            what: "stateright `eventually` properties are unsound on cycles; \
                                   declare a liveness property"
                                .to_owned(),
                        },
                    },
                    None,
                    None,
                ),
            };
            Verdict {
                model: name.to_owned(),
                protocol: P::PROTOCOL,
                property: p.name,
                status,
                stats: outcome.stats,
                options: options.clone(),
                counterexample,
                example,
                fix: None,
            }
        })
        .collect()
}

/// What a stateright run produced.
struct SafetyOutcome<S, A> {
    stats: Stats,
    cut: Option<Bound>,
    discoveries: Vec<(&'static str, stateright::Path<S, A>)>,
}

/// A model with a stop switch. Once `stop` is set no state is within the boundary, so the
/// workers drain what they hold without expanding it and end: this is how `--timeout` stops a
/// single-threaded search, which stateright's own timeout does not (see [`run`]). A state left
/// unexpanded this way makes the run inconclusive, as any other bound does.
///
/// It also enforces `--max-states` exactly. stateright counts a generated state when it is
/// within the boundary, but consults `target_state_count` only between blocks of 1,500
/// expansions, so a bound of 10,000 let 28,863 states through. Admitting states here, one
/// atomic ticket each, means no search generates more than the bound, with any number of
/// threads; a state turned away makes the run inconclusive.
#[derive(Clone)]
struct Stoppable<P: Model> {
    inner: P,
    stop: Arc<AtomicBool>,
    admission: Arc<Admission>,
    conditions: Vec<fn(&P, &P::State) -> bool>,
}

/// Tickets for the states a search may generate (see [`Stoppable`]).
struct Admission {
    limit: Option<usize>,
    issued: AtomicUsize,
    refused: AtomicBool,
}

impl Admission {
    fn new(limit: Option<usize>) -> Admission {
        Admission {
            limit: limit.map(|l| l.max(1)),
            issued: AtomicUsize::new(0),
            refused: AtomicBool::new(false),
        }
    }

    /// Whether one more state may be generated; counts it if so.
    fn admit(&self) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        // `fetch_update` rather than `fetch_add`: the count never passes the limit, however
        // many refused attempts there are.
        let admitted = self
            .issued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            self.refused.store(true, Ordering::Relaxed);
        }
        admitted
    }

    /// Whether a state was turned away at the bound.
    fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Properties [`Stoppable`] can forward: stateright's conditions are plain `fn` pointers, so
/// each forwarder is one instance of [`condition_at`] per index.
const STOPPABLE_PROPERTIES: usize = 16;

fn condition_at<P: Model, const I: usize>(model: &Stoppable<P>, state: &P::State) -> bool {
    (model.conditions[I])(&model.inner, state)
}

impl<P: Model> Stoppable<P> {
    fn new(inner: P, stop: Arc<AtomicBool>, admission: Arc<Admission>) -> Stoppable<P> {
        let conditions: Vec<_> = inner.properties().iter().map(|p| p.condition).collect();
        assert!(
            conditions.len() <= STOPPABLE_PROPERTIES,
            "a model with more than {STOPPABLE_PROPERTIES} safety properties"
        );
        Stoppable {
            inner,
            stop,
            admission,
            conditions,
        }
    }
}

impl<P: Model> Model for Stoppable<P> {
    type State = P::State;
    type Action = P::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.inner.actions(state, actions);
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(state, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let forward: [fn(&Self, &P::State) -> bool; STOPPABLE_PROPERTIES] = [
            condition_at::<P, 0>,
            condition_at::<P, 1>,
            condition_at::<P, 2>,
            condition_at::<P, 3>,
            condition_at::<P, 4>,
            condition_at::<P, 5>,
            condition_at::<P, 6>,
            condition_at::<P, 7>,
            condition_at::<P, 8>,
            condition_at::<P, 9>,
            condition_at::<P, 10>,
            condition_at::<P, 11>,
            condition_at::<P, 12>,
            condition_at::<P, 13>,
            condition_at::<P, 14>,
            condition_at::<P, 15>,
        ];
        self.inner
            .properties()
            .into_iter()
            .zip(forward)
            .map(|(p, condition)| Property {
                expectation: p.expectation,
                name: p.name,
                condition,
            })
            .collect()
    }

    /// stateright asks this once per generated state (initial states included) before it
    /// counts the state, so admitting here bounds its count.
    fn within_boundary(&self, state: &Self::State) -> bool {
        !self.stop.load(Ordering::Relaxed)
            && self.inner.within_boundary(state)
            && self.admission.admit()
    }
}

/// Whether whoever asked for the check has cancelled it.
fn cancelled(opts: &CheckOptions) -> bool {
    opts.cancel
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
}

/// Waits for a spawned stateright checker (reporting progress if asked) and works out whether
/// it covered everything.
fn run<M, C>(
    mut checker: C,
    start: Instant,
    opts: &CheckOptions,
    stop: &AtomicBool,
    admission: &Admission,
    watch: &Watch,
) -> SafetyOutcome<M::State, M::Action>
where
    M: Model,
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
    C: Checker<M>,
{
    let handles: Vec<JoinHandle<()>> = checker.handles();
    // A watcher joins the workers and stamps the moment they finished, so the verdict's time
    // (and states/s) is the search's own, not rounded up to the next progress tick.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let watcher = std::thread::spawn(move || {
        let panicked = handles.into_iter().any(|h| h.join().is_err());
        let _ = done_tx.send(Instant::now());
        panicked
    });
    let deadline = opts.timeout.map(|t| start + t);
    // A first report at once: the search has begun, before the first period has passed.
    if let Some(hook) = &opts.progress {
        hook.report(&Progress {
            phase: "safety",
            states_generated: checker.state_count() as u64,
            unique_states: checker.unique_state_count() as u64,
            max_depth: checker.max_depth().saturating_sub(1) as u64,
            elapsed: start.elapsed(),
        });
    }
    let finished = loop {
        // Wake at the deadline as well as for progress: stateright's own timeout is consulted
        // only when a worker runs out of work, which a single worker never does until the end.
        // A cancel flag is looked at every 50 ms, so a cancelled check ends promptly.
        let period = Duration::from_millis(if opts.cancel.is_some() { 50 } else { 200 });
        let tick = deadline.map_or(period, |d| {
            d.saturating_duration_since(Instant::now()).min(period)
        });
        match done_rx.recv_timeout(tick) {
            Ok(at) => break at,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if deadline.is_some_and(|d| Instant::now() >= d) || cancelled(opts) {
                    stop.store(true, Ordering::Relaxed);
                }
                if let Some(hook) = &opts.progress {
                    hook.report(&Progress {
                        phase: "safety",
                        states_generated: checker.state_count() as u64,
                        unique_states: checker.unique_state_count() as u64,
                        max_depth: checker.max_depth().saturating_sub(1) as u64,
                        elapsed: start.elapsed(),
                    });
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break Instant::now(),
        }
    };
    let panicked = watcher.join().unwrap_or(true);
    assert!(!panicked, "a stateright checker thread panicked");
    let elapsed = finished.duration_since(start);
    let generated = checker.state_count();
    let depth = checker.max_depth();
    if let Some(hook) = &opts.progress {
        hook.report(&Progress {
            phase: "safety",
            states_generated: generated as u64,
            unique_states: checker.unique_state_count() as u64,
            max_depth: depth.saturating_sub(1) as u64,
            elapsed,
        });
    }

    // stateright's `is_done()` is also true after a bound, so decide completeness ourselves.
    // Each test errs towards "inconclusive": a run that happened to finish exactly at a bound
    // is reported as cut short, never the reverse.
    let cut = if let Some(limit_bytes) = watch.stopped_at() {
        Some(Bound::Memory { limit_bytes })
    } else if cancelled(opts) && stop.load(Ordering::Relaxed) {
        Some(Bound::Cancelled)
    } else if let Some(limit) = opts.max_depth
        && depth >= limit + 2
    {
        // A state past the bound was dequeued and skipped unexplored.
        Some(Bound::MaxDepth { limit })
    } else if let Some(limit) = opts.max_states
        && (admission.refused() || generated >= limit.max(1))
    {
        Some(Bound::MaxStates { limit })
    } else if let Some(timeout) = opts.timeout
        && (elapsed >= timeout || stop.load(Ordering::Relaxed))
    {
        Some(Bound::Timeout {
            seconds: timeout.as_secs_f64(),
        })
    } else {
        None
    };
    let mut discoveries: Vec<_> = checker.discoveries().into_iter().collect();
    discoveries.sort_by_key(|(n, _)| *n);
    SafetyOutcome {
        stats: Stats {
            states_generated: generated as u64,
            unique_states: checker.unique_state_count() as u64,
            max_depth: depth.saturating_sub(1) as u64,
            elapsed,
            graph_bytes: None,
        },
        cut,
        discoveries,
    }
}

/// Turns a stateright discovery path into a replayable counterexample.
fn counterexample<P: Protocol>(
    model: &P,
    property: &'static str,
    path: &stateright::Path<P::State, P::Action>,
) -> Counterexample {
    let (states, actions): (Vec<P::State>, Vec<Option<P::Action>>) =
        path.clone().into_vec().into_iter().unzip();
    let actions: Vec<P::Action> = actions.into_iter().flatten().collect();
    let init = model
        .init_states()
        .iter()
        .position(|s| *s == states[0])
        .expect("a discovery starts in an initial state");
    let indices = action_indices(model, &states, &actions)
        .expect("a discovery's actions are enabled along its path");
    let id = TraceId {
        init,
        actions: indices,
        loop_to: None,
    };
    Counterexample::from_path(model, property, id, &states, &actions)
}

/// The actions at `indices` along `states` (`indices[i]` is taken in `states[i]`).
fn actions_at<M: Model>(model: &M, states: &[M::State], indices: &[usize]) -> Vec<M::Action> {
    let mut buf = Vec::new();
    states
        .iter()
        .zip(indices)
        .map(|(s, &i)| {
            buf.clear();
            model.actions(s, &mut buf);
            buf.swap_remove(i)
        })
        .collect()
}

/// Length in steps of a stateright path.
trait PathLen {
    fn last_state_index(&self) -> usize;
}

impl<S, A> PathLen for stateright::Path<S, A>
where
    S: Clone,
    A: Clone,
{
    fn last_state_index(&self) -> usize {
        self.clone().into_actions().len()
    }
}

/// Explores the graph once and checks each liveness property on it.
fn check_liveness<P: Protocol>(
    name: &str,
    model: &P,
    properties: &[LivenessProperty<P>],
    opts: &CheckOptions,
) -> Vec<Verdict> {
    let mut notes = Vec::new();
    if opts.symmetry {
        notes.push(
            "liveness is checked without symmetry reduction: per-action fairness is not \
             preserved by the quotient graph"
                .to_owned(),
        );
    }
    if opts.threads > 1 {
        notes.push("the liveness explorer is single-threaded".to_owned());
    }
    if opts.strategy != Strategy::Bfs {
        notes.push("the liveness explorer is breadth-first, for shortest prefixes".to_owned());
    }
    let limits = Limits {
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        timeout: opts.timeout,
        cancel: opts.cancel.clone(),
        max_memory: opts.max_memory,
    };
    let fairness = |a: &P::Action| model.fairness(a);
    let exploration = explore(model, &fairness, limits, opts.progress.as_ref());
    let options = OptionsUsed {
        engine: "fair-cycle",
        strategy: Strategy::Bfs,
        threads: 1,
        symmetry: false,
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        timeout: opts.timeout.map(|t| t.as_secs_f64()),
        notes,
    };
    properties
        .iter()
        .map(|property| {
            let start = Instant::now();
            // Not on a graph the memory budget cut: the cycle search needs memory in
            // proportion to the graph (15 % more, measured), so it would pass the budget the
            // search was stopped at. Inconclusive, as the bound says.
            let lasso = if matches!(exploration.cut, Some(Bound::Memory { .. })) {
                None
            } else {
                find_fair_lasso(model, &exploration.graph, property)
            };
            let mut stats = exploration.stats;
            stats.elapsed += start.elapsed();
            let found = lasso.map(|lasso| {
                let graph = &exploration.graph;
                let states: Vec<P::State> = lasso
                    .states
                    .iter()
                    .map(|&s| graph.state(s).clone())
                    .collect();
                // Re-derive the actions from their indices so the trace shows exactly what
                // replay will do.
                let indices: Vec<usize> = lasso.actions.iter().map(|&a| a as usize).collect();
                let actions = actions_at(model, &states, &indices);
                let id = TraceId {
                    init: lasso.init,
                    actions: indices,
                    loop_to: Some(lasso.loop_to),
                };
                Counterexample::from_path(model, property.name, id, &states, &actions)
            });
            let (status, counterexample) = Status::of_search(found, exploration.cut.as_ref());
            Verdict {
                model: name.to_owned(),
                protocol: P::PROTOCOL,
                property: property.name,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::two_phase_commit::{TwoPhaseConfig, verify_two_phase};

    /// Issue 13: `--max-states 10000` generated 28,863 states. No engine, strategy or thread
    /// count may generate more states than the bound, and a search it cuts is inconclusive.
    #[test]
    fn no_search_generates_more_states_than_max_states() {
        let cfg = TwoPhaseConfig::with_participants(5);
        let full = verify_two_phase("t", &cfg, &[], &CheckOptions::default()).unwrap();
        let full_generated = full[0].stats.states_generated;
        assert!(full_generated > 20_000, "{full_generated}");
        for limit in [1, 2, 7, 1_000, 10_000] {
            for threads in [1, 3] {
                for strategy in [Strategy::Bfs, Strategy::Dfs] {
                    let opts = CheckOptions {
                        max_states: Some(limit),
                        threads,
                        strategy,
                        ..CheckOptions::default()
                    };
                    for v in verify_two_phase("t", &cfg, &[], &opts).unwrap() {
                        let what = format!("{} {limit} {threads} {strategy:?}", v.property);
                        assert!(v.stats.states_generated <= limit as u64, "{what}: {v:?}");
                        assert!(!v.status.holds(), "{what}");
                        if !v.status.is_violated() {
                            assert!(
                                matches!(
                                    &v.status,
                                    Status::Inconclusive {
                                        reason: Bound::MaxStates { .. }
                                    }
                                ),
                                "{what}: {}",
                                v.status
                            );
                        }
                    }
                }
            }
        }
    }
}
