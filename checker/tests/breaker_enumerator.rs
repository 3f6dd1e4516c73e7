//! Cross-checks the circuit-breaker-and-retry model against a brute-force enumerator written
//! here, for random small policies of every implementation variant: both must agree on every
//! property's verdict, on the shortest counterexample's length of every safety property, and
//! on `breaker.recovers`; and every counterexample the model reports — safety path or lasso,
//! found directly or confirmed from an abstraction — must replay step by step on the
//! enumerator's semantics, each step allowed there, ending in a violation (a lasso: some
//! concrete run of the real callers follows its cycle forever, fairly, never CLOSED after
//! healing; a counted model's cycle names its callers for one traversal only).
//!
//! The enumerator is independent of `checker/src/circuit_breaker.rs` and of
//! `model::resilience`: it is written from Resilience4j's rules as that module's doc and the
//! README state them (CLOSED records results in a window of the last N calls and opens once it
//! holds the minimum number of calls with a failure or slow-call rate at or above its
//! threshold; OPEN rejects and does not record, and the first call strictly after the wait —
//! or the automatic timer at the instant the wait ends — moves it to HALF_OPEN; HALF_OPEN
//! admits the permitted trial calls and decides once all their results are in), composed as
//! `Retry(CircuitBreaker(call))`, with each known-buggy variant's one change, in its own plain
//! representation (a window is a list of results, a caller a record) and its own search:
//! breadth-first for safety, and for liveness its own strongly-connected-component search
//! (Tarjan's) with per-caller weak fairness as the module doc states it — calling, retrying
//! and being answered are each weakly fair per caller, and so are time passing and the
//! automatic timer; failures, healing and a retry budget's refusals are not. It calls nothing of
//! the model but its public configuration types and `verify_policy`.
//!
//! The abstractions the model doc states are the enumerator's too, because they are the
//! meaning of the properties: time passes only while OPEN, in ticks (the open wait is a few
//! ticks, and a tick is taken only while the wait has not yet been exceeded); a retry comes
//! "some time later"; a slow answer is one the breaker counts as slow; a retry budget may
//! refuse any retry. The cross-check covers the exact model (count windows the model holds
//! exactly, no HALF_OPEN maximum wait); larger windows and the maximum wait, where the model
//! over-approximates and confirms, are covered by the replay check only (the enumerator holds
//! any window size exactly when it replays one path).

use microcosm_checker::{
    BreakerVariant, CheckOptions, Counterexample, Lasso, PolicyConfig, Status, verify_policy,
};
use microcosm_model::resilience::{BreakerParams, RetryParams};
use microcosm_model::{Jitter, SlidingWindowType};
use proptest::prelude::*;
use std::collections::{HashMap, VecDeque};

const OPEN_BLOCKS: &str = "breaker.open-blocks";
const HALF_OPEN_LIMIT: &str = "breaker.half-open-limit";
const OPENS_WHEN_DUE: &str = "breaker.opens-when-due";
const NO_PREMATURE_OPEN: &str = "breaker.no-premature-open";
const RECOVERS: &str = "breaker.recovers";
const RETRY_BOUNDED: &str = "retry.bounded";
const RESPECTS_BREAKER: &str = "retry.respects-breaker";

// ---- The policy, as the enumerator reads it ---------------------------------------------------

/// A breaker, in ticks, with integer thresholds.
#[derive(Clone, Copy, Debug)]
struct Cb {
    window: usize,
    minimum: usize,
    failure_ppm: u64,
    slow_ppm: u64,
    wait: u8,
    trials: usize,
    automatic: bool,
    /// HALF_OPEN's maximum wait is set (replay only: see the module doc).
    half_open_timer: bool,
}

#[derive(Clone, Copy, Debug)]
struct Retry {
    max_attempts: u8,
    on_rejected: bool,
    budget: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Resilience4j,
    NoHalfOpen,
    UnlimitedHalfOpen,
    CountsRejections,
    BreakerWrapsRetry,
    FirstSuccessCloses,
}

const VARIANTS: [Variant; 6] = [
    Variant::Resilience4j,
    Variant::NoHalfOpen,
    Variant::UnlimitedHalfOpen,
    Variant::CountsRejections,
    Variant::BreakerWrapsRetry,
    Variant::FirstSuccessCloses,
];

#[derive(Clone, Copy, Debug)]
struct Policy {
    callers: usize,
    cb: Option<Cb>,
    retry: Option<Retry>,
    variant: Variant,
    slow_calls: bool,
}

impl Policy {
    /// The model's configuration for the same policy.
    fn config(&self) -> PolicyConfig {
        PolicyConfig {
            caller: "client".to_owned(),
            callee: "payments".to_owned(),
            callers: self.callers,
            breaker: self.cb.map(|cb| BreakerParams {
                failure_rate_ppm: cb.failure_ppm,
                slow_call_rate_ppm: cb.slow_ppm,
                slow_call_duration: 1,
                window_type: SlidingWindowType::CountBased,
                window_size: cb.window as u32,
                bucket_units: 1,
                minimum_number_of_calls: cb.minimum as u32,
                wait_in_open: u64::from(cb.wait),
                permitted_in_half_open: cb.trials as u32,
                max_wait_in_half_open: u64::from(cb.half_open_timer),
                automatic_transition: cb.automatic,
            }),
            retry: self.retry.map(|r| RetryParams {
                max_attempts: u32::from(r.max_attempts),
                wait: 1,
                exponential: false,
                multiplier: 1.0,
                max_wait: None,
                jitter: Jitter::None,
                on_error: true,
                on_timeout: false,
                on_rejected: r.on_rejected,
            }),
            variant: match self.variant {
                Variant::Resilience4j => BreakerVariant::Resilience4j,
                Variant::NoHalfOpen => BreakerVariant::NoHalfOpen,
                Variant::UnlimitedHalfOpen => BreakerVariant::UnlimitedHalfOpen,
                Variant::CountsRejections => BreakerVariant::CountsRejections,
                Variant::BreakerWrapsRetry => BreakerVariant::BreakerWrapsRetry,
                Variant::FirstSuccessCloses => BreakerVariant::FirstSuccessCloses,
            },
            slow_calls: self.slow_calls,
            retry_budget: self.retry.is_some_and(|r| r.budget),
        }
    }

    fn max_attempts(&self) -> u8 {
        self.retry.map_or(1, |r| r.max_attempts)
    }
}

// ---- The world --------------------------------------------------------------------------------

/// A result as a window keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Recorded {
    failed: bool,
    slow: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    Closed,
    /// Ticks waited since it opened (at most the wait plus one: later ticks change nothing).
    Open(u8),
    /// Trial permits handed out in this episode.
    HalfOpen(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    Idle,
    /// An attempt is at the downstream.
    Waiting,
    /// Backing off after a failed or rejected attempt.
    Backoff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Caller {
    phase: Phase,
    /// Attempts in the current logical call, rejected ones included.
    attempts: u8,
    /// It holds a permit of the current HALF_OPEN episode: its attempt in flight was admitted
    /// as a trial call (or, with the breaker around the retry loop, its logical call was).
    trial: bool,
    /// Its attempt in flight left while the breaker was OPEN within its wait.
    sent_while_open: bool,
}

const IDLE: Caller = Caller {
    phase: Phase::Idle,
    attempts: 0,
    trial: false,
    sent_while_open: false,
};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct World {
    mode: Mode,
    /// What the breaker's current window holds: the last `window` results in CLOSED, oldest
    /// first; the trial results in HALF_OPEN, sorted (that window never evicts, so their order
    /// is unobservable).
    window: Vec<Recorded>,
    /// The results the breaker should have counted since it entered its state: every real
    /// result of a permitted call (each logical call's, with the breaker around the retry
    /// loop), and nothing else.
    should: Vec<Recorded>,
    healed: bool,
    /// It once opened on a result while the results it should count did not justify it.
    opened_early: bool,
    /// It once left HALF_OPEN for CLOSED on trial results that should have opened it.
    missed_opening: bool,
    callers: Vec<Caller>,
}

/// One move; its label is what the model's counterexamples print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Move {
    Call(usize),
    Retry(usize),
    Refused(usize),
    Reply {
        caller: usize,
        failed: bool,
        slow: bool,
    },
    Heal,
    Tick,
    Timer,
}

/// Fairness of a move: `Some(class)` for a weakly fair one.
fn fairness(m: Move) -> Option<(u8, usize)> {
    match m {
        Move::Call(c) => Some((0, c)),
        Move::Retry(c) => Some((1, c)),
        Move::Reply { caller, .. } => Some((2, caller)),
        Move::Tick => Some((3, 0)),
        Move::Timer => Some((4, 0)),
        Move::Heal | Move::Refused(_) => None,
    }
}

struct Enumerator {
    p: Policy,
}

impl Enumerator {
    fn start(&self) -> World {
        World {
            mode: Mode::Closed,
            window: Vec::new(),
            should: Vec::new(),
            healed: false,
            opened_early: false,
            missed_opening: false,
            callers: vec![IDLE; self.p.callers],
        }
    }

    /// Whether `results` meet a threshold with at least `minimum` of them.
    fn bad(cb: &Cb, results: &[Recorded], minimum: usize) -> bool {
        let n = results.len() as u64;
        if results.len() < minimum.max(1) {
            return false;
        }
        let failed = results.iter().filter(|r| r.failed).count() as u64;
        let slow = results.iter().filter(|r| r.slow).count() as u64;
        failed * 1_000_000 >= cb.failure_ppm * n || slow * 1_000_000 >= cb.slow_ppm * n
    }

    /// The minimum number of results the current state decides on.
    fn minimum(cb: &Cb, mode: Mode) -> usize {
        match mode {
            Mode::HalfOpen(_) => cb.trials,
            _ => cb.minimum.min(cb.window),
        }
    }

    fn enter(w: &mut World, mode: Mode) {
        if matches!(w.mode, Mode::HalfOpen(_)) {
            for c in &mut w.callers {
                c.trial = false;
            }
        }
        w.mode = mode;
        w.window.clear();
        w.should.clear();
    }

    /// The breaker hears a result (`real`: one it should count).
    fn record(&self, w: &mut World, r: Recorded, real: bool) {
        let Some(cb) = self.p.cb else { return };
        let push = |list: &mut Vec<Recorded>, mode: Mode| {
            list.push(r);
            match mode {
                Mode::Closed if list.len() > cb.window => {
                    list.remove(0);
                }
                Mode::HalfOpen(_) => list.sort(),
                _ => {}
            }
        };
        let mode = w.mode;
        if matches!(mode, Mode::Open(_)) {
            return; // OPEN does not record.
        }
        if real {
            push(&mut w.should, mode);
        }
        let minimum = Self::minimum(&cb, mode);
        let due = Self::bad(&cb, &w.should, minimum);
        let next = match mode {
            Mode::HalfOpen(_) if self.p.variant == Variant::FirstSuccessCloses && !r.failed => {
                Some(Mode::Closed)
            }
            _ => {
                push(&mut w.window, mode);
                let full = match mode {
                    Mode::HalfOpen(_) => w.window.len() >= cb.trials,
                    _ => true,
                };
                if Self::bad(&cb, &w.window, minimum) {
                    Some(Mode::Open(0))
                } else if full && matches!(mode, Mode::HalfOpen(_)) {
                    Some(Mode::Closed)
                } else {
                    None
                }
            }
        };
        match next {
            Some(Mode::Open(_)) if !due => w.opened_early = true,
            Some(Mode::Closed) if due => w.missed_opening = true,
            _ => {}
        }
        if let Some(next) = next {
            Self::enter(w, next);
        }
    }

    /// An attempt of caller `c` (`retry`: not its logical call's first): sent or rejected.
    fn attempt(&self, w: &mut World, c: usize, retry: bool) {
        w.callers[c].attempts += 1;
        let send = |w: &mut World, trial: bool, while_open: bool| {
            let caller = &mut w.callers[c];
            caller.phase = Phase::Waiting;
            caller.trial = trial;
            caller.sent_while_open = while_open;
        };
        let Some(cb) = self.p.cb else {
            send(w, false, false);
            return;
        };
        let open_within_wait = matches!(w.mode, Mode::Open(t) if t <= cb.wait);
        if retry && self.p.variant == Variant::BreakerWrapsRetry {
            // One permission for the whole logical call: the retry does not ask.
            let trial = w.callers[c].trial;
            send(w, trial, open_within_wait);
            return;
        }
        let permitted = match w.mode {
            Mode::Closed => true,
            Mode::Open(_) if self.p.variant == Variant::NoHalfOpen => false,
            Mode::Open(t) if t > cb.wait => {
                Self::enter(w, Mode::HalfOpen(1));
                true
            }
            Mode::Open(_) => false,
            Mode::HalfOpen(n) if n < cb.trials => {
                w.mode = Mode::HalfOpen(n + 1);
                true
            }
            Mode::HalfOpen(_) => self.p.variant == Variant::UnlimitedHalfOpen,
        };
        if permitted {
            let trial = matches!(w.mode, Mode::HalfOpen(_));
            send(w, trial, open_within_wait);
            return;
        }
        if self.p.variant == Variant::CountsRejections {
            self.record(
                w,
                Recorded {
                    failed: true,
                    slow: false,
                },
                false,
            );
        }
        let retried = self.p.retry.is_some_and(|r| r.on_rejected)
            && w.callers[c].attempts < self.p.max_attempts();
        if retried {
            w.callers[c].phase = Phase::Backoff;
        } else {
            w.callers[c] = IDLE;
        }
    }

    /// Every move enabled in `w`, with its successor.
    fn moves(&self, w: &World) -> Vec<(Move, World)> {
        let mut out = Vec::new();
        for c in 0..self.p.callers {
            match w.callers[c].phase {
                Phase::Idle => out.push(Move::Call(c)),
                Phase::Backoff => {
                    out.push(Move::Retry(c));
                    if self.p.retry.is_some_and(|r| r.budget) {
                        out.push(Move::Refused(c));
                    }
                }
                Phase::Waiting => {
                    let answers: &[(bool, bool)] = if w.healed {
                        &[(false, false)]
                    } else if self.p.slow_calls {
                        &[(false, false), (true, false), (false, true), (true, true)]
                    } else {
                        &[(false, false), (true, false)]
                    };
                    for &(failed, slow) in answers {
                        out.push(Move::Reply {
                            caller: c,
                            failed,
                            slow,
                        });
                    }
                }
            }
        }
        if let (Some(cb), Mode::Open(t)) = (self.p.cb, w.mode) {
            if t <= cb.wait {
                out.push(Move::Tick);
            }
            if cb.automatic && t >= cb.wait && self.p.variant != Variant::NoHalfOpen {
                out.push(Move::Timer);
            }
        }
        if !w.healed {
            out.push(Move::Heal);
        }
        out.into_iter().map(|m| (m, self.apply(w, m))).collect()
    }

    fn apply(&self, w: &World, m: Move) -> World {
        let mut w = w.clone();
        let wraps = self.p.variant == Variant::BreakerWrapsRetry;
        match m {
            Move::Call(c) => self.attempt(&mut w, c, false),
            Move::Retry(c) => self.attempt(&mut w, c, true),
            Move::Refused(c) => {
                // The logical call ends with an error; around the retry loop the breaker
                // hears that end, as it hears every logical call's end.
                if wraps {
                    let r = Recorded {
                        failed: true,
                        slow: false,
                    };
                    self.record(&mut w, r, true);
                }
                w.callers[c] = IDLE;
            }
            Move::Reply {
                caller: c,
                failed,
                slow,
            } => {
                w.callers[c].sent_while_open = false;
                let again = failed && w.callers[c].attempts < self.p.max_attempts();
                if !(wraps && again) {
                    self.record(&mut w, Recorded { failed, slow }, true);
                }
                if again {
                    w.callers[c].phase = Phase::Backoff;
                    if !wraps {
                        w.callers[c].trial = false;
                    }
                } else {
                    w.callers[c] = IDLE;
                }
            }
            Move::Heal => w.healed = true,
            Move::Tick => {
                if let Mode::Open(t) = w.mode {
                    w.mode = Mode::Open(t + 1);
                }
            }
            Move::Timer => Self::enter(&mut w, Mode::HalfOpen(0)),
        }
        w
    }

    /// Whether `w` violates safety property `property`.
    fn violates(&self, w: &World, property: &str) -> bool {
        let in_flight = |c: &&Caller| c.phase == Phase::Waiting;
        match property {
            OPEN_BLOCKS => w
                .callers
                .iter()
                .filter(in_flight)
                .any(|c| c.sent_while_open),
            HALF_OPEN_LIMIT => {
                let trials = w.callers.iter().filter(in_flight).filter(|c| c.trial);
                matches!(w.mode, Mode::HalfOpen(_))
                    && trials.count() > self.p.cb.map_or(usize::MAX, |cb| cb.trials)
            }
            OPENS_WHEN_DUE => {
                let cb = self.p.cb.expect("a breaker property");
                w.missed_opening
                    || !matches!(w.mode, Mode::Open(_))
                        && Self::bad(&cb, &w.should, Self::minimum(&cb, w.mode))
            }
            NO_PREMATURE_OPEN => w.opened_early,
            RETRY_BOUNDED => w.callers.iter().any(|c| c.attempts > self.p.max_attempts()),
            RESPECTS_BREAKER => w
                .callers
                .iter()
                .filter(in_flight)
                .any(|c| c.sent_while_open && c.attempts >= 2),
            other => panic!("no such safety property: {other}"),
        }
    }

    fn safety_properties(&self) -> Vec<&'static str> {
        let mut props = Vec::new();
        if self.p.cb.is_some() {
            props.extend([
                OPEN_BLOCKS,
                HALF_OPEN_LIMIT,
                OPENS_WHEN_DUE,
                NO_PREMATURE_OPEN,
            ]);
        }
        if self.p.retry.is_some() {
            props.push(RETRY_BOUNDED);
            if self.p.cb.is_some() {
                props.push(RESPECTS_BREAKER);
            }
        }
        props
    }

    /// Every reachable world (index 0 the start) with its moves, breadth first, and the
    /// shortest violation's length of each safety property.
    fn search(&self) -> Search {
        let props = self.safety_properties();
        let mut index = HashMap::new();
        let mut worlds = vec![self.start()];
        let mut depth = vec![0usize];
        let mut edges: Vec<Vec<(Move, usize)>> = Vec::new();
        let mut shortest: HashMap<&'static str, usize> = HashMap::new();
        index.insert(worlds[0].clone(), 0);
        let mut queue = VecDeque::from([0usize]);
        while let Some(i) = queue.pop_front() {
            for &prop in &props {
                if !shortest.contains_key(prop) && self.violates(&worlds[i], prop) {
                    shortest.insert(prop, depth[i]);
                }
            }
            let mut out = Vec::new();
            for (m, next) in self.moves(&worlds[i]) {
                let j = match index.get(&next) {
                    Some(&j) => j,
                    None => {
                        let j = worlds.len();
                        index.insert(next.clone(), j);
                        worlds.push(next);
                        depth.push(depth[i] + 1);
                        queue.push_back(j);
                        j
                    }
                };
                out.push((m, j));
            }
            if edges.len() <= i {
                edges.resize(i + 1, Vec::new());
            }
            edges[i] = out;
        }
        let recovers_violated = self.p.cb.is_some() && self.unfair_to_recovery(&worlds, &edges);
        Search {
            worlds: worlds.len(),
            shortest,
            recovers_violated,
        }
    }

    /// Whether some fair run stays forever among healed worlds that are not CLOSED: a
    /// strongly connected component of that subgraph (Tarjan's algorithm) in which every
    /// weakly fair class enabled in all its worlds labels one of its own edges. A move that
    /// leaves the world as it is counts as not enabled (a stutter), so a lone world with no
    /// such class enabled is a run that stays there.
    fn unfair_to_recovery(&self, worlds: &[World], edges: &[Vec<(Move, usize)>]) -> bool {
        let inside = |i: usize| worlds[i].healed && worlds[i].mode != Mode::Closed;
        let n = worlds.len();
        let succ = |i: usize| {
            edges[i]
                .iter()
                .filter(move |&&(_, j)| j != i && inside(j))
                .map(|&(_, j)| j)
        };
        // Tarjan, iteratively.
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut component = vec![usize::MAX; n];
        let mut components = 0;
        let mut next = 0;
        for root in (0..n).filter(|&i| inside(i)) {
            if index[root] != usize::MAX {
                continue;
            }
            let mut call: Vec<(usize, Vec<usize>)> = vec![(root, succ(root).collect())];
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some((v, rest)) = call.last_mut() {
                let v = *v;
                if let Some(w) = rest.pop() {
                    if index[w] == usize::MAX {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        call.push((w, succ(w).collect()));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                call.pop();
                if let Some((parent, _)) = call.last() {
                    low[*parent] = low[*parent].min(low[v]);
                }
                if low[v] == index[v] {
                    loop {
                        let w = stack.pop().expect("on the stack");
                        on_stack[w] = false;
                        component[w] = components;
                        if w == v {
                            break;
                        }
                    }
                    components += 1;
                }
            }
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); components];
        for i in (0..n).filter(|&i| inside(i)) {
            members[component[i]].push(i);
        }
        let enabled = |i: usize| -> Vec<(u8, usize)> {
            edges[i]
                .iter()
                .filter(|&&(_, j)| j != i)
                .filter_map(|&(m, _)| fairness(m))
                .collect()
        };
        let component = &component;
        members.iter().any(|scc| {
            let taken: Vec<(u8, usize)> = scc
                .iter()
                .flat_map(|&i| {
                    edges[i]
                        .iter()
                        .filter(move |&&(_, j)| j != i && component.get(j) == Some(&component[i]))
                        .filter(|&&(_, j)| inside(j))
                        .filter_map(|&(m, _)| fairness(m))
                })
                .collect();
            let mut always: Vec<(u8, usize)> = enabled(scc[0]);
            for &i in &scc[1..] {
                let here = enabled(i);
                always.retain(|class| here.contains(class));
            }
            always.iter().all(|class| taken.contains(class))
        })
    }
}

struct Search {
    worlds: usize,
    shortest: HashMap<&'static str, usize>,
    recovers_violated: bool,
}

// ---- Replaying the model's counterexamples -----------------------------------------------------

/// The move a counterexample step names, or why it names none the real system makes.
fn parse_step(step: &microcosm_checker::Step) -> std::result::Result<Move, String> {
    let caller_of = |party: &str| -> std::result::Result<usize, String> {
        party
            .rsplit_once('#')
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .ok_or_else(|| format!("no caller in `{party}`"))
    };
    let reply = |failed, slow| -> std::result::Result<Move, String> {
        let to = step.message.as_ref().ok_or("a reply with no message")?;
        Ok(Move::Reply {
            caller: caller_of(&to.to)?,
            failed,
            slow,
        })
    };
    match step.action.as_str() {
        "CallerCall" => Ok(Move::Call(caller_of(&step.party)?)),
        "CallerRetry" => Ok(Move::Retry(caller_of(&step.party)?)),
        "CallerRetryRefused" => Ok(Move::Refused(caller_of(&step.party)?)),
        "DownstreamReply(Ok)" => reply(false, false),
        "DownstreamReply(Fail)" => reply(true, false),
        "DownstreamReply(SlowOk)" => reply(false, true),
        "DownstreamReply(SlowFail)" => reply(true, true),
        "DownstreamHeal" => Ok(Move::Heal),
        "ClockTick" => Ok(Move::Tick),
        "BreakerTimer" => Ok(Move::Timer),
        other => Err(format!("`{other}` is no move of the real system")),
    }
}

/// Whether HALF_OPEN's maximum wait need never fire on this run: no step taken in HALF_OPEN
/// waits for time to pass (a slow answer, a retry after its wait), and a lasso's cycle does
/// not stay in HALF_OPEN. Then every HALF_OPEN episode fits in any positive maximum wait.
fn timer_never_due(worlds: &[World], moves: &[Move], cycle_from: Option<usize>) -> bool {
    let half_open = |w: &World| matches!(w.mode, Mode::HalfOpen(_));
    let quick = moves.iter().zip(worlds).all(|(m, before)| {
        !half_open(before)
            || !matches!(
                m,
                Move::Retry(_) | Move::Refused(_) | Move::Reply { slow: true, .. }
            )
    });
    quick && cycle_from.is_none_or(|k| worlds[k..].iter().any(|w| !half_open(w)))
}

/// Replays `cex` on the enumerator: every step must be allowed, and the run must violate
/// `cex.property` (see the module doc).
fn replay(e: &Enumerator, cex: &Counterexample) -> std::result::Result<(), String> {
    let mut worlds = vec![e.start()];
    let mut moves = Vec::new();
    for step in &cex.steps {
        let m = parse_step(step)?;
        let here = worlds.last().expect("a world");
        let next = e
            .moves(here)
            .into_iter()
            .find(|(n, _)| *n == m)
            .map(|(_, w)| w)
            .ok_or_else(|| format!("step {} ({m:?}) is not allowed in {here:?}", step.number))?;
        worlds.push(next);
        moves.push(m);
    }
    let last = worlds.last().expect("a world").clone();
    let cycle_from = match cex.lasso {
        None => None,
        Some(Lasso::Stutter) => Some(worlds.len() - 1),
        Some(Lasso::Cycle { from_step }) => Some(from_step - 1),
    };
    if e.p.cb.is_some_and(|cb| cb.half_open_timer) && !timer_never_due(&worlds, &moves, cycle_from)
    {
        return Err("the run needs HALF_OPEN's maximum wait to fire".to_owned());
    }
    let Some(k) = cycle_from else {
        return if e.violates(&last, cex.property) {
            Ok(())
        } else {
            Err(format!(
                "the run ends in {last:?}, no violation of {}",
                cex.property
            ))
        };
    };
    if cex.property != RECOVERS {
        return Err(format!("a lasso for safety property {}", cex.property));
    }
    if k == worlds.len() - 1 {
        // A stutter: the run stays in its last world, taking nothing.
        let here = &worlds[k];
        if !here.healed || here.mode == Mode::Closed {
            return Err(format!(
                "the cycle is not after healing, or is CLOSED: {here:?}"
            ));
        }
        return fair_cycle(e, std::slice::from_ref(here), &[]);
    }
    concrete_fair_run(e, &worlds[k..], &moves[k..])
        .map_err(|why| format!("the cycle has no concrete fair run: {why}"))
}

/// Whether the real callers can run a lasso's cycle forever, fairly. `named` is the cycle's
/// one traversal as the trace names it (its worlds, from the cycle's start back to the step
/// that returns), `moves` its steps.
///
/// A counted model's cycle is a cycle of counts ("a caller in local state X acts"), and the
/// callers its trace names for one traversal need not end where they began: the real system
/// runs it when some concrete run follows it forever, each step taken by any caller in the
/// local state the named caller had there. Those runs are the infinite paths from the cycle's
/// start in a finite graph whose nodes are (position in the cycle, world). An infinite path
/// ends inside one strongly connected component, and under weak fairness a component is at
/// least as fair as any run inside it (fewer classes are enabled in all of its worlds, more are
/// taken on its edges), while a run through all of its edges is exactly as fair as it. So a
/// concrete fair run exists exactly when a component reachable from the start, among healed
/// worlds that are not CLOSED, takes on its edges every weakly fair class enabled in all of its
/// worlds. (Issue 15: a first-in-first-out choice of callers, tried here before, rotated the
/// callers' roles and missed runs in which each caller keeps its role.)
fn concrete_fair_run(
    e: &Enumerator,
    named: &[World],
    moves: &[Move],
) -> std::result::Result<(), String> {
    let len = moves.len();
    let inside = |w: &World| w.healed && w.mode != Mode::Closed;
    // The graph, breadth first from the start.
    let mut nodes: Vec<(usize, World)> = vec![(0, named[0].clone())];
    let mut index: HashMap<(usize, World), usize> = HashMap::from([((0, named[0].clone()), 0)]);
    let mut edges: Vec<Vec<(Move, usize)>> = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        let (j, here) = nodes[i].clone();
        let m = moves[j];
        let choices: Vec<Move> = match moved(m) {
            Some(c) => {
                let local = named[j].callers[c];
                (0..here.callers.len())
                    .filter(|&w| here.callers[w] == local)
                    .map(|w| rename(m, w))
                    .collect()
            }
            None => vec![m],
        };
        let mut out = Vec::new();
        for (taken, next) in e.moves(&here) {
            if !choices.contains(&taken) || !inside(&next) {
                continue;
            }
            let key = ((j + 1) % len, next);
            let to = match index.get(&key) {
                Some(&to) => to,
                None => {
                    index.insert(key.clone(), nodes.len());
                    nodes.push(key);
                    nodes.len() - 1
                }
            };
            out.push((taken, to));
        }
        edges.push(out);
        i += 1;
    }
    if !inside(&named[0]) {
        return Err(format!(
            "the cycle is not after healing, or is CLOSED: {:?}",
            named[0]
        ));
    }
    // Components by mutual reachability: the graph has at most (cycle length) × (orderings of
    // the callers) nodes, a few hundred.
    let n = nodes.len();
    let reach: Vec<Vec<bool>> = (0..n)
        .map(|from| {
            let mut seen = vec![false; n];
            let mut queue = VecDeque::from([from]);
            while let Some(v) = queue.pop_front() {
                for &(_, to) in &edges[v] {
                    if !seen[to] {
                        seen[to] = true;
                        queue.push_back(to);
                    }
                }
            }
            seen
        })
        .collect();
    let mut why = "no concrete run follows it for a whole traversal and back".to_owned();
    let mut judged = vec![false; n];
    for v in 0..n {
        // `reach[v][v]`: v is on a cycle, so its component can hold an infinite run.
        if judged[v] || !reach[v][v] {
            continue;
        }
        let members: Vec<usize> = (0..n).filter(|&u| reach[v][u] && reach[u][v]).collect();
        for &u in &members {
            judged[u] = true;
        }
        let taken: Vec<(u8, usize)> = members
            .iter()
            .flat_map(|&u| edges[u].iter())
            .filter(|(_, to)| members.contains(to))
            .filter_map(|&(m, _)| fairness(m))
            .collect();
        let enabled = |w: &World| -> Vec<(u8, usize)> {
            e.moves(w)
                .into_iter()
                .filter(|(_, next)| next != w)
                .filter_map(|(m, _)| fairness(m))
                .collect()
        };
        let mut always = enabled(&nodes[members[0]].1);
        for &u in &members[1..] {
            let here = enabled(&nodes[u].1);
            always.retain(|c| here.contains(c));
        }
        match always.iter().find(|c| !taken.contains(c)) {
            None => return Ok(()),
            Some(c) => why = format!("every run of it is unfair to {c:?}"),
        }
    }
    Err(why)
}

/// Weak fairness on a concrete cycle (`worlds` from its start back to it, `moves` between): a
/// class enabled (changing the world) in every world of the cycle must be taken in it.
fn fair_cycle(e: &Enumerator, worlds: &[World], moves: &[Move]) -> std::result::Result<(), String> {
    let enabled = |w: &World| -> Vec<(u8, usize)> {
        e.moves(w)
            .into_iter()
            .filter(|(_, next)| next != w)
            .filter_map(|(m, _)| fairness(m))
            .collect()
    };
    let taken: Vec<(u8, usize)> = moves.iter().filter_map(|&m| fairness(m)).collect();
    let mut always = enabled(&worlds[0]);
    for w in &worlds[1..] {
        let here = enabled(w);
        always.retain(|c| here.contains(c));
    }
    match always.iter().find(|c| !taken.contains(c)) {
        Some(c) => Err(format!("the cycle is unfair to {c:?}")),
        None => Ok(()),
    }
}

/// The caller a move is made by or for, if any.
fn moved(m: Move) -> Option<usize> {
    match m {
        Move::Call(c) | Move::Retry(c) | Move::Refused(c) => Some(c),
        Move::Reply { caller, .. } => Some(caller),
        _ => None,
    }
}

/// `m` made by (or for) caller `w` instead.
fn rename(m: Move, w: usize) -> Move {
    match m {
        Move::Call(_) => Move::Call(w),
        Move::Retry(_) => Move::Retry(w),
        Move::Refused(_) => Move::Refused(w),
        Move::Reply { failed, slow, .. } => Move::Reply {
            caller: w,
            failed,
            slow,
        },
        other => other,
    }
}

/// Runs the model on `p`, checks that every counterexample it reports replays on the
/// enumerator, and returns its verdicts as (property, status, counterexample length).
fn model_verdicts(p: &Policy) -> Vec<(&'static str, Status, Option<usize>)> {
    let verdicts = verify_policy("p", &p.config(), &[], &CheckOptions::default()).unwrap();
    let e = Enumerator { p: *p };
    verdicts
        .into_iter()
        .map(|v| {
            if v.status.is_violated() {
                let cex = v.counterexample.as_ref().expect("a violation has a trace");
                if let Err(why) = replay(&e, cex) {
                    panic!(
                        "{p:?}: the model's counterexample for {} does not replay: {why}\n{}",
                        v.property,
                        cex.render_steps()
                    );
                }
            }
            let len = v.counterexample.as_ref().map(|c| c.steps.len());
            (v.property, v.status, len)
        })
        .collect()
}

/// The model and the enumerator agree on every property of `p`.
fn agree(p: &Policy) -> Search {
    let e = Enumerator { p: *p };
    let search = e.search();
    let model = model_verdicts(p);
    let mut expected = e.safety_properties();
    if p.cb.is_some() {
        expected.push(RECOVERS);
    }
    let mut got: Vec<&str> = model.iter().map(|v| v.0).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{p:?}");
    for (property, status, len) in model {
        let want = if property == RECOVERS {
            search.recovers_violated
        } else {
            search.shortest.contains_key(property)
        };
        assert!(!status.is_inconclusive(), "{p:?}: {property} {status:?}");
        assert_eq!(
            status.is_violated(),
            want,
            "{p:?}: {property} is {status:?} in the model, {} in the enumerator ({} worlds)",
            if want { "violated" } else { "holds" },
            search.worlds
        );
        if property != RECOVERS && want {
            assert_eq!(
                len,
                search.shortest.get(property).copied(),
                "{p:?}: {property}'s shortest counterexample"
            );
        }
    }
    search
}

// ---- Hand-written cases that pin the enumerator -----------------------------------------------

fn small(variant: Variant) -> Policy {
    Policy {
        callers: 2,
        cb: Some(Cb {
            window: 2,
            minimum: 2,
            failure_ppm: 500_000,
            slow_ppm: 1_000_000,
            wait: 2,
            trials: 1,
            automatic: false,
            half_open_timer: false,
        }),
        retry: None,
        variant,
        slow_calls: false,
    }
}

#[test]
fn resilience4j_holds_everything_and_each_known_bug_is_found() {
    let s = agree(&small(Variant::Resilience4j));
    assert!(s.shortest.is_empty() && !s.recovers_violated);
    let s = agree(&small(Variant::NoHalfOpen));
    assert!(s.recovers_violated);
    // Two failures open it, three ticks pass the wait, two callers call: 7 steps to two trial
    // calls in flight with one permitted.
    let s = agree(&small(Variant::UnlimitedHalfOpen));
    assert_eq!(s.shortest.get(HALF_OPEN_LIMIT), Some(&9));
    let s = agree(&small(Variant::CountsRejections));
    assert_eq!(s.shortest.get(NO_PREMATURE_OPEN), Some(&9));
    assert!(s.recovers_violated);
    let two_trials = Policy {
        cb: small(Variant::FirstSuccessCloses)
            .cb
            .map(|cb| Cb { trials: 2, ..cb }),
        ..small(Variant::FirstSuccessCloses)
    };
    let s = agree(&two_trials);
    assert_eq!(s.shortest.get(OPENS_WHEN_DUE), Some(&11));
    let wraps = Policy {
        retry: Some(Retry {
            max_attempts: 2,
            on_rejected: false,
            budget: false,
        }),
        slow_calls: true,
        ..small(Variant::BreakerWrapsRetry)
    };
    let s = agree(&wraps);
    assert_eq!(s.shortest.get(RESPECTS_BREAKER), Some(&7));
}

/// Issue 13: around the retry loop, with a retry budget and one trial call, a refused retry
/// ends the trial call and HALF_OPEN decides; `breaker.recovers` holds in both, and no lasso
/// the model reports may rely on the refusal going unheard.
#[test]
fn a_refused_retry_around_the_breaker_is_heard_in_both() {
    let p = Policy {
        retry: Some(Retry {
            max_attempts: 2,
            on_rejected: false,
            budget: true,
        }),
        ..small(Variant::BreakerWrapsRetry)
    };
    let s = agree(&p);
    assert!(!s.recovers_violated);
    assert!(s.shortest.contains_key(RESPECTS_BREAKER));
}

/// Issue 15: the property test once drew this policy. The model's lasso for
/// `breaker.recovers` is a cycle of counts (two callers' calls are admitted as trial calls, the
/// third's rejections, counted as failures, reopen the breaker, the trial calls' answers arrive
/// in OPEN) that the real callers run by taking the same roles every time: the one rejected is
/// the one that was idle. The replay's old first-in-first-out choice of callers rotated the
/// roles and never returned, and reported a real run as impossible.
#[test]
fn counted_rejections_reopening_half_open_agree() {
    let p = Policy {
        callers: 3,
        cb: Some(Cb {
            window: 1,
            minimum: 3,
            failure_ppm: 1_000_000,
            slow_ppm: 500_000,
            wait: 1,
            trials: 2,
            automatic: false,
            half_open_timer: false,
        }),
        retry: Some(Retry {
            max_attempts: 2,
            on_rejected: false,
            budget: true,
        }),
        variant: Variant::CountsRejections,
        slow_calls: true,
    };
    let s = agree(&p);
    assert!(s.recovers_violated);
    // Not vacuous: without its last step (the rejection that reopens the breaker) the same
    // cycle leaves HALF_OPEN(2 of 2) with one failure recorded, and the next trial answer
    // closes the breaker; no concrete run follows it forever.
    let verdicts = verify_policy("p", &p.config(), &[RECOVERS], &CheckOptions::default()).unwrap();
    let mut cex = verdicts[0].counterexample.clone().expect("a lasso");
    assert_eq!(replay(&Enumerator { p }, &cex), Ok(()));
    assert_eq!(
        cex.steps.pop().map(|s| s.action),
        Some("CallerCall".to_owned())
    );
    let why = replay(&Enumerator { p }, &cex).expect_err("no concrete run");
    assert!(why.contains("no concrete fair run"), "{why}");
}

/// A lasso for `breaker.recovers` replays only when its cycle is fair: the replay check is
/// not vacuous.
#[test]
fn the_replay_rejects_what_the_real_system_cannot_do() {
    let p = small(Variant::NoHalfOpen);
    let verdicts = verify_policy("p", &p.config(), &[RECOVERS], &CheckOptions::default()).unwrap();
    let cex = verdicts[0].counterexample.clone().unwrap();
    let e = Enumerator { p };
    assert_eq!(replay(&e, &cex), Ok(()));
    // On Resilience4j's breaker the same run does not stay OPEN: the caller's call after the
    // wait is a trial call.
    let r4j = Enumerator {
        p: small(Variant::Resilience4j),
    };
    let mut longer = cex.clone();
    longer.steps.push(microcosm_checker::Step {
        number: longer.steps.len() + 1,
        ..cex.steps[0].clone()
    });
    longer.lasso = Some(Lasso::Stutter);
    assert!(replay(&r4j, &longer).is_err());
    // A step the real system cannot take.
    let mut forged = cex;
    forged.steps[0].action = "BreakerTrip".to_owned();
    assert!(replay(&e, &forged).is_err());
}

// ---- Random policies ---------------------------------------------------------------------------

fn policy() -> impl Strategy<Value = Policy> {
    (
        1usize..=3,
        (1usize..=3, 1usize..=4, 1usize..=3),
        prop::sample::select(vec![250_000u64, 500_000, 600_000, 1_000_000]),
        prop::sample::select(vec![500_000u64, 1_000_000]),
        (1u8..=2, any::<bool>()),
        proptest::option::weighted(0.6, (2u8..=3, any::<bool>(), any::<bool>())),
        prop::sample::select(VARIANTS.to_vec()),
        any::<bool>(),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(
                callers,
                (window, minimum, trials),
                failure_ppm,
                slow_ppm,
                (wait, automatic),
                retry,
                variant,
                slow_calls,
                breaker,
            )| {
                // Keep each search to a few thousand worlds: three callers only with a short
                // window and one retry.
                let callers = if window + trials > 4 {
                    callers.min(2)
                } else {
                    callers
                };
                let retry = retry.map(|(max_attempts, on_rejected, budget)| Retry {
                    max_attempts: if callers == 3 { 2 } else { max_attempts },
                    on_rejected,
                    budget,
                });
                let cb = breaker.then_some(Cb {
                    window,
                    minimum,
                    failure_ppm,
                    slow_ppm,
                    wait,
                    trials,
                    automatic,
                    half_open_timer: false,
                });
                let retry = if cb.is_none() {
                    retry.or(Some(Retry {
                        max_attempts: 2,
                        on_rejected: false,
                        budget: false,
                    }))
                } else {
                    retry
                };
                Policy {
                    callers,
                    cb,
                    retry,
                    variant: if cb.is_some() {
                        variant
                    } else {
                        Variant::Resilience4j
                    },
                    slow_calls: slow_calls && cb.is_some(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_model_and_the_enumerator_agree(p in policy()) {
        agree(&p);
    }

    /// Beyond the exact model: large count windows (abstracted, violations confirmed on the
    /// exact window) and HALF_OPEN's maximum wait (violations confirmed when the run never
    /// needs it). Every violation reported must replay on the enumerator.
    #[test]
    fn every_confirmed_counterexample_replays(
        p in policy(),
        window in 11usize..=25,
        minimum in 1usize..=25,
        large in any::<bool>(),
        timer in any::<bool>(),
    ) {
        let Some(cb) = p.cb else { return Ok(()) };
        let cb = Cb {
            window: if large { window } else { cb.window },
            minimum: if large { minimum } else { cb.minimum },
            half_open_timer: timer || !large,
            ..cb
        };
        let p = Policy { cb: Some(cb), callers: p.callers.min(2), ..p };
        model_verdicts(&p);
    }
}
