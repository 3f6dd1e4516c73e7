//! Policy: the caller side of every call, in Resilience4j's decoration order
//! Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call))))): the calls slab, the
//! per-(edge, caller replica) state (breaker, bulkhead, rate limiter, retry budget, outlier
//! counts) and the jitter stream, all in `Policy`. The state machines themselves are
//! `microcosm_model::resilience`'s, the code the checker verifies. A call picks its replica
//! through `balancer`, travels through `network`, is measured by `books`, and its result goes
//! back to its request (`requests`): the pipeline below is the parent's (`impl Sim`), since
//! every stage meets another room, but the state it drives is this room's alone, private to
//! this file. Separate because this pipeline is most of the simulator's logic.

use std::collections::VecDeque;

use microcosm_model::resilience::{
    Breaker, BreakerState, Failure, Permission, RetryBudget, Transition,
};
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{BreakerChange, CONNECT_TIMEOUT, Ev, NONE, Parent, Sim};
use crate::engine::{Ref, Slab, Time};
use crate::metrics::{Cause, Outcome};
use crate::topology::{NO_ZONE, Topology};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Rejecting,
    RateWait,
    BulkheadWait,
    InFlight,
    RetryWait,
    FallbackWait,
}

/// A logical call on an edge, across its attempts.
#[derive(Debug, Clone, Copy)]
struct Call {
    job: Ref,
    edge: u32,
    /// The edge state (edge, caller replica) this call uses.
    es: u32,
    callee: u32,
    caller_replica: u32,
    attempt: u32,
    sent: u32,
    state: CallState,
    started: Time,
    attempt_started: Time,
    target: u32,
    prev_target: u32,
    deadline: Time,
    prev_wait: u64,
    lost: Option<Cause>,
    permitted: bool,
    holds_bulkhead: bool,
    original: bool,
    root_started: Time,
}

/// Outlier detection's view of one callee replica, kept by one caller replica.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OutlierHost {
    consecutive: u32,
    ejected_until: Time,
    ejections: u32,
}

impl OutlierHost {
    /// Whether the replica is out of this caller's rotation at `now`.
    #[inline]
    pub(super) fn ejected(&self, now: Time) -> bool {
        self.ejected_until > now
    }
}

/// The policy state one caller replica keeps for one edge.
#[derive(Debug, Clone)]
struct EdgeState {
    breaker: Option<Breaker>,
    breaker_timer: Time,
    bulkhead_in_use: u32,
    waiters: VecDeque<(Ref, u32)>,
    rate_cycle: u64,
    rate_used: u32,
    budget: RetryBudget,
    outlier: Vec<OutlierHost>,
}

/// The callers' side of every call: the calls in flight and each (edge, caller replica)'s
/// resilience state.
#[derive(Debug)]
pub(super) struct Policy {
    calls: Slab<Call>,
    /// Indexed by edge state: the edge's base plus the caller replica's index in its service.
    edge_states: Vec<EdgeState>,
    edge_state_base: Vec<u32>,
    rng_jitter: Xoshiro256PlusPlus,
}

impl Policy {
    pub(super) fn new(topo: &Topology, rng_jitter: Xoshiro256PlusPlus) -> Policy {
        let mut edge_state_base = Vec::with_capacity(topo.edges.len());
        let mut edge_states = Vec::new();
        for edge in &topo.edges {
            edge_state_base.push(edge_states.len() as u32);
            let callers = topo.services[edge.caller as usize].slots;
            let callee_replicas = topo.services[edge.callee as usize].slots as usize;
            for _ in 0..callers {
                edge_states.push(EdgeState {
                    breaker: edge.breaker.as_ref().map(Breaker::new),
                    breaker_timer: Time::MAX,
                    bulkhead_in_use: 0,
                    waiters: VecDeque::new(),
                    rate_cycle: 0,
                    rate_used: 0,
                    budget: RetryBudget::new(),
                    outlier: if edge.outlier.is_some() {
                        vec![OutlierHost::default(); callee_replicas]
                    } else {
                        Vec::new()
                    },
                });
            }
        }
        Policy {
            calls: Slab::default(),
            edge_states,
            edge_state_base,
            rng_jitter,
        }
    }

    /// How many edge states there are.
    pub(super) fn edge_states(&self) -> usize {
        self.edge_states.len()
    }

    /// Edge state `es`'s outlier detection, per callee replica (empty without one).
    #[inline]
    pub(super) fn outlier(&self, es: u32) -> &[OutlierHost] {
        &self.edge_states[es as usize].outlier
    }

    /// Peak calls held at once, for memory figures.
    pub(super) fn peak_calls(&self) -> usize {
        self.calls.capacity_used()
    }

    /// Breakers of edge `e` open and half-open among its caller replicas that are not on
    /// standby; `None` when the edge has no breaker.
    pub(super) fn breakers_open(
        &self,
        topo: &Topology,
        e: usize,
        standby: impl Fn(u32) -> bool,
    ) -> Option<(u32, u32)> {
        topo.edges[e].breaker?;
        let base = self.edge_state_base[e] as usize;
        let caller = &topo.services[topo.edges[e].caller as usize];
        let (first, n) = (caller.first_replica as usize, caller.slots as usize);
        let (mut open, mut half) = (0, 0);
        for (k, st) in self.edge_states[base..base + n].iter().enumerate() {
            if standby((first + k) as u32) {
                continue;
            }
            match st.breaker.as_ref().map(Breaker::state) {
                Some(BreakerState::Open) | Some(BreakerState::ForcedOpen) => open += 1,
                Some(BreakerState::HalfOpen) => half += 1,
                _ => {}
            }
        }
        Some((open, half))
    }

    /// The answer to attempt `attempt` of call `c` is on its way back: the call's edge and
    /// caller replica, unless the call is over or has moved on to another attempt.
    pub(super) fn awaiting(&self, c: Ref, attempt: u32) -> Option<(u32, u32)> {
        let call = self.calls.get(c)?;
        (call.attempt == attempt).then_some((call.edge, call.caller_replica))
    }

    /// The network lost the current attempt of call `c`: its timeout (or connect timeout)
    /// will report `cause`.
    pub(super) fn lost(&mut self, c: Ref, cause: Cause) {
        self.calls.get_mut(c).expect("checked").lost = Some(cause);
    }
}

impl Sim {
    // ─── a call's events: each is dropped unless the call is still at the attempt and in the
    // state it was scheduled for ───

    pub(super) fn on_attempt_timeout(&mut self, c: Ref, attempt: u32) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && matches!(call.state, CallState::InFlight | CallState::BulkheadWait)
        {
            let cause = call.lost.unwrap_or(Cause::Timeout);
            self.attempt_failed(c, cause, Failure::Timeout);
        }
    }

    pub(super) fn on_connect_fail(&mut self, c: Ref, attempt: u32, cause: Cause) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && call.state == CallState::InFlight
        {
            self.attempt_failed(c, cause, Failure::Error);
        }
    }

    pub(super) fn on_attempt_rejected(
        &mut self,
        c: Ref,
        attempt: u32,
        cause: Cause,
        rejected: bool,
    ) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && call.state == CallState::Rejecting
        {
            let kind = if rejected {
                Failure::Rejected
            } else {
                Failure::Error
            };
            self.attempt_failed(c, cause, kind);
        }
    }

    pub(super) fn on_retry_wake(&mut self, c: Ref, attempt: u32) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && call.state == CallState::RetryWait
        {
            if self.requests.live(call.job) {
                self.begin_attempt(c);
            } else {
                self.policy.calls.remove(c);
            }
        }
    }

    pub(super) fn on_rate_wake(&mut self, c: Ref, attempt: u32) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && call.state == CallState::RateWait
        {
            self.after_rate_limit(c);
        }
    }

    pub(super) fn on_bulkhead_timeout(&mut self, c: Ref, attempt: u32) {
        if let Some(call) = self.policy.calls.get(c)
            && call.attempt == attempt
            && call.state == CallState::BulkheadWait
        {
            self.attempt_failed(c, Cause::Bulkhead, Failure::Rejected);
        }
    }

    pub(super) fn on_deadline(&mut self, c: Ref) {
        if let Some(call) = self.policy.calls.get(c)
            && call.state != CallState::FallbackWait
        {
            if matches!(call.state, CallState::InFlight | CallState::BulkheadWait) {
                self.release_attempt(c, true);
            }
            self.resolve_failed(c, Cause::Deadline);
        }
    }

    pub(super) fn on_fallback_done(&mut self, c: Ref) {
        if self.policy.calls.get(c).is_some() {
            self.resolve(c, Outcome::Degraded, false);
        }
    }

    pub(super) fn start_call(&mut self, job_idx: u32, edge: u32, callee: u32) {
        let now = self.now;
        let (job_ref, caller, original, root_started) = self.requests.caller(job_idx);
        let local = self.topo.replicas[caller as usize].local;
        let es = self.policy.edge_state_base[edge as usize] + local;
        let e = &self.topo.edges[edge as usize];
        let deadline = e.deadline.map_or(Time::MAX, |d| now.saturating_add(d));
        if let Some(b) = e.budget {
            self.policy.edge_states[es as usize]
                .budget
                .on_request(&b, now);
        }
        let c = self.policy.calls.insert(Call {
            job: job_ref,
            edge,
            es,
            callee,
            caller_replica: caller,
            attempt: 0,
            sent: 0,
            state: CallState::Rejecting,
            started: now,
            attempt_started: now,
            target: NONE,
            prev_target: NONE,
            deadline,
            prev_wait: 0,
            lost: None,
            permitted: false,
            holds_bulkhead: false,
            original,
            root_started,
        });
        if deadline != Time::MAX {
            self.queue.push(deadline, Ev::Deadline(c));
        }
        self.begin_attempt(c);
    }

    /// Refuses the current attempt before it is sent; the refusal is handled as an event at
    /// the same instant, so no call ever completes inside the step that launched it.
    pub(super) fn reject(&mut self, c: Ref, cause: Cause, rejected: bool) {
        let call = self.policy.calls.get_mut(c).expect("live call");
        call.state = CallState::Rejecting;
        let attempt = call.attempt;
        self.books.attempt_rejected(call.edge, self.now);
        self.queue
            .push(self.now, Ev::AttemptRejected(c, attempt, cause, rejected));
    }

    pub(super) fn begin_attempt(&mut self, c: Ref) {
        let now = self.now;
        let call = self.policy.calls.get_mut(c).expect("live call");
        call.attempt += 1;
        call.lost = None;
        call.permitted = false;
        call.holds_bulkhead = false;
        let (edge, es) = (call.edge as usize, call.es as usize);
        if self.topo.edges[edge].denied {
            self.reject(c, Cause::Denied, false);
            return;
        }
        if let Some(p) = self.topo.edges[edge].breaker {
            let breaker = self.policy.edge_states[es]
                .breaker
                .as_mut()
                .expect("breaker state");
            let (permission, transition) = breaker.try_acquire(&p, now);
            if let Some(t) = transition {
                self.breaker_changed(es as u32, t);
            }
            if permission == Permission::Rejected {
                self.reject(c, Cause::BreakerOpen, true);
                return;
            }
            self.policy.calls.get_mut(c).expect("live call").permitted = true;
        }
        self.policy
            .calls
            .get_mut(c)
            .expect("live call")
            .attempt_started = now;
        if let Some((limit, period, timeout)) = self.topo.edges[edge].rate_limit {
            // Resilience4j's AtomicRateLimiter: `limit` permits per cycle; a caller may reserve
            // a permit in a later cycle if it would wait no longer than its timeout.
            let st = &mut self.policy.edge_states[es];
            let cycle = now / period;
            if cycle > st.rate_cycle {
                st.rate_cycle = cycle;
                st.rate_used = 0;
            }
            if st.rate_used >= limit {
                st.rate_cycle += 1;
                st.rate_used = 0;
            }
            let at = (st.rate_cycle * period).max(now);
            if at - now > timeout {
                if st.rate_used == 0 && st.rate_cycle > cycle {
                    st.rate_cycle -= 1;
                    st.rate_used = limit;
                }
                self.reject(c, Cause::RateLimited, true);
                return;
            }
            st.rate_used += 1;
            if at > now {
                let call = self.policy.calls.get_mut(c).expect("live call");
                call.state = CallState::RateWait;
                let attempt = call.attempt;
                self.queue.push(at, Ev::RateWake(c, attempt));
                return;
            }
        }
        self.after_rate_limit(c);
    }

    pub(super) fn after_rate_limit(&mut self, c: Ref) {
        let now = self.now;
        let call = *self.policy.calls.get(c).expect("live call");
        let e = &self.topo.edges[call.edge as usize];
        if let Some(t) = e.timeout {
            self.queue
                .push(now + t, Ev::AttemptTimeout(c, call.attempt));
        }
        if let Some((max, wait)) = e.bulkhead {
            let st = &mut self.policy.edge_states[call.es as usize];
            if st.bulkhead_in_use < max {
                st.bulkhead_in_use += 1;
                self.policy
                    .calls
                    .get_mut(c)
                    .expect("live call")
                    .holds_bulkhead = true;
            } else if wait > 0 {
                st.waiters.push_back((c, call.attempt));
                self.policy.calls.get_mut(c).expect("live call").state = CallState::BulkheadWait;
                self.queue
                    .push(now + wait, Ev::BulkheadTimeout(c, call.attempt));
                return;
            } else {
                self.reject(c, Cause::Bulkhead, true);
                return;
            }
        }
        self.send(c);
    }

    pub(super) fn send(&mut self, c: Ref) {
        let now = self.now;
        let call = *self.policy.calls.get(c).expect("live call");
        let callee_service = self.topo.endpoints[call.callee as usize].service;
        let Some((target, failover)) = self.pick_replica(
            callee_service,
            call.es,
            call.prev_target,
            call.caller_replica,
        ) else {
            self.reject(c, Cause::Unavailable, false);
            return;
        };
        let (from_zone, to_zone) = (
            self.topo.replicas[call.caller_replica as usize].zone,
            self.topo.replicas[target as usize].zone,
        );
        let cross_zone = from_zone != to_zone && from_zone != NO_ZONE && to_zone != NO_ZONE;
        {
            let call = self.policy.calls.get_mut(c).expect("live call");
            call.target = target;
            call.state = CallState::InFlight;
            call.sent += 1;
        }
        self.books.attempt_sent(
            call.edge,
            call.started,
            cross_zone,
            failover,
            callee_service as usize,
            call.root_started,
            call.original && call.attempt == 1,
        );
        match self
            .network
            .hop(&self.topo, call.edge, call.caller_replica, target)
        {
            Ok(delay) => {
                let j = self.requests.spawn(
                    (call.callee, target),
                    Parent::Call(c, call.attempt),
                    now,
                    call.original && call.attempt == 1,
                    call.root_started,
                );
                self.queue.push(now + delay, Ev::JobArrive(j));
            }
            Err(cause) => {
                self.policy.calls.get_mut(c).expect("live call").lost = Some(cause);
                if self.topo.edges[call.edge as usize].timeout.is_none() {
                    self.queue.push(
                        now + CONNECT_TIMEOUT,
                        Ev::ConnectFail(c, call.attempt, cause),
                    );
                }
            }
        }
    }

    pub(super) fn on_response(&mut self, c: Ref, attempt: u32, outcome: Outcome) {
        let Some(call) = self.policy.calls.get(c) else {
            return;
        };
        if call.attempt != attempt || call.state != CallState::InFlight {
            return;
        }
        let failed = matches!(outcome, Outcome::Err(_));
        self.release_attempt(c, failed);
        match outcome {
            Outcome::Err(cause) => self.after_failure(c, cause, Failure::Error),
            Outcome::Ok => self.resolve(c, Outcome::Ok, false),
            Outcome::Degraded => self.resolve(c, Outcome::Ok, true),
        }
    }

    /// Ends the current attempt's hold on the edge: the breaker learns its result, the bulkhead
    /// slot is freed, and outlier detection counts it against its replica.
    pub(super) fn release_attempt(&mut self, c: Ref, failed: bool) {
        let now = self.now;
        let call = *self.policy.calls.get(c).expect("live call");
        let es = call.es as usize;
        let (breaker_params, outlier_params) = {
            let e = &self.topo.edges[call.edge as usize];
            (e.breaker, e.outlier)
        };
        if call.permitted
            && let Some(p) = breaker_params
        {
            let duration = now - call.attempt_started;
            let breaker = self.policy.edge_states[es]
                .breaker
                .as_mut()
                .expect("breaker state");
            if let Some(t) = breaker.on_result(&p, now, failed, duration) {
                self.breaker_changed(es as u32, t);
            }
        }
        if call.target != NONE
            && let Some((consecutive, base, fraction)) = outlier_params
        {
            let local = self.topo.replicas[call.target as usize].local as usize;
            let st = &mut self.policy.edge_states[es];
            if failed {
                st.outlier[local].consecutive += 1;
                if st.outlier[local].consecutive >= consecutive
                    && st.outlier[local].ejected_until <= now
                {
                    // Envoy: never more than max_ejection_fraction ejected, but always one.
                    let n = self.topo.services[self.topo.edges[call.edge as usize].callee as usize]
                        .replicas as usize;
                    let ejected = st.outlier.iter().filter(|h| h.ejected_until > now).count();
                    let cap = ((fraction * n as f64) as usize).max(1);
                    if ejected < cap {
                        let host = &mut st.outlier[local];
                        host.ejections += 1;
                        host.ejected_until = now + base * u64::from(host.ejections);
                        host.consecutive = 0;
                        self.books.ejection(call.edge);
                    }
                }
            } else {
                st.outlier[local].consecutive = 0;
            }
        }
        let call = self.policy.calls.get_mut(c).expect("live call");
        call.permitted = false;
        call.prev_target = call.target;
        call.target = NONE;
        if call.holds_bulkhead {
            call.holds_bulkhead = false;
            self.release_bulkhead(es);
        }
    }

    pub(super) fn release_bulkhead(&mut self, es: usize) {
        self.policy.edge_states[es].bulkhead_in_use -= 1;
        while let Some((w, attempt)) = self.policy.edge_states[es].waiters.pop_front() {
            if let Some(call) = self.policy.calls.get_mut(w)
                && call.attempt == attempt
                && call.state == CallState::BulkheadWait
            {
                call.holds_bulkhead = true;
                self.policy.edge_states[es].bulkhead_in_use += 1;
                self.send(w);
                return;
            }
        }
    }

    pub(super) fn attempt_failed(&mut self, c: Ref, cause: Cause, kind: Failure) {
        self.release_attempt(c, true);
        self.after_failure(c, cause, kind);
    }

    /// After a failed attempt: retry if the policy, the deadline and the budget allow it, else
    /// fail the call (or fall back).
    pub(super) fn after_failure(&mut self, c: Ref, cause: Cause, kind: Failure) {
        let now = self.now;
        let call = *self.policy.calls.get(c).expect("live call");
        let edge = call.edge as usize;
        self.books.attempt_failed(call.edge, call.started, cause);
        if !self.requests.live(call.job) {
            // The caller is gone (crashed, or failed on another call of a parallel step).
            self.policy.calls.remove(c);
            return;
        }
        let e = &self.topo.edges[edge];
        if e.retry.should_retry(call.attempt, kind) && now < call.deadline {
            let allowed = match e.budget {
                Some(b) => self.policy.edge_states[call.es as usize]
                    .budget
                    .try_retry(&b, now),
                None => true,
            };
            if allowed {
                let u: f64 = self.policy.rng_jitter.random();
                let wait = e.retry.wait(call.attempt, call.prev_wait, u);
                let call = self.policy.calls.get_mut(c).expect("live call");
                call.prev_wait = wait;
                call.state = CallState::RetryWait;
                let attempt = call.attempt;
                self.books.retry(call.edge, call.started);
                self.queue
                    .push(now.saturating_add(wait), Ev::RetryWake(c, attempt));
                return;
            }
            self.books.budget_exhausted(call.edge, call.started);
        }
        self.resolve_failed(c, cause);
    }

    pub(super) fn resolve_failed(&mut self, c: Ref, cause: Cause) {
        let edge = self.policy.calls.get(c).expect("live call").edge as usize;
        match self.topo.edges[edge].fallback {
            Some(0) => self.resolve(c, Outcome::Degraded, false),
            Some(latency) => {
                self.policy.calls.get_mut(c).expect("live call").state = CallState::FallbackWait;
                self.queue.push(self.now + latency, Ev::FallbackDone(c));
            }
            None => self.resolve(c, Outcome::Err(cause), false),
        }
    }

    /// The call is over: it is measured and its caller learns the result. `degraded_answer`
    /// marks a success whose callee itself fell back.
    pub(super) fn resolve(&mut self, c: Ref, outcome: Outcome, degraded_answer: bool) {
        let now = self.now;
        let call = *self.policy.calls.get(c).expect("live call");
        self.policy.calls.remove(c);
        let edge = call.edge;
        self.books
            .call_resolved(edge, call.started, call.sent, now, outcome);
        match outcome {
            Outcome::Err(cause) => {
                // Fail fast: the first failed call fails the request (errgroup semantics).
                if self.requests.live(call.job) {
                    self.finish_job(call.job.idx, Outcome::Err(cause));
                }
            }
            Outcome::Ok | Outcome::Degraded => {
                let degraded = outcome == Outcome::Degraded || degraded_answer;
                if self.requests.answered(call.job, degraded) == Some(true) {
                    self.advance(call.job.idx);
                }
            }
        }
    }

    pub(super) fn breaker_changed(&mut self, es: u32, t: Transition) {
        let edge = match self.policy.edge_state_base.partition_point(|&b| b <= es) {
            0 => 0,
            i => i - 1,
        };
        let replica = es - self.policy.edge_state_base[edge];
        self.books.breaker_changed(BreakerChange {
            edge: edge as u32,
            replica,
            transition: t,
        });
        let p = self.topo.edges[edge].breaker.expect("breaker params");
        let st = &mut self.policy.edge_states[es as usize];
        if let Some(due) = st.breaker.as_ref().and_then(|b| b.next_deadline(&p))
            && due != st.breaker_timer
        {
            st.breaker_timer = due;
            self.queue.push(due.max(self.now), Ev::BreakerTimer(es));
        }
    }

    pub(super) fn on_breaker_timer(&mut self, es: u32) {
        let edge = match self.policy.edge_state_base.partition_point(|&b| b <= es) {
            0 => 0,
            i => i - 1,
        };
        let Some(p) = self.topo.edges[edge].breaker else {
            return;
        };
        let st = &mut self.policy.edge_states[es as usize];
        st.breaker_timer = Time::MAX;
        let breaker = st.breaker.as_mut().expect("breaker state");
        if let Some(t) = breaker.on_timer(&p, self.now) {
            self.breaker_changed(es, t);
        } else if let Some(due) = breaker.next_deadline(&p) {
            st.breaker_timer = due;
            self.queue.push(due.max(self.now), Ev::BreakerTimer(es));
        }
    }
}
