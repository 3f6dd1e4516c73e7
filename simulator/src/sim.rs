//! The simulated system: replicas with worker pools and bounded queues, requests that work and
//! then make their downstream calls step by step, the caller-side resilience pipeline on every
//! call edge, the network between replicas, topics with consumer groups, load generators, and
//! faults as verbs — driven one event at a time.
//!
//! The model follows the thread-per-request servers the scenarios describe (and MiSim's
//! service model): a request holds one of its replica's workers from the moment it starts work
//! until it answers, downstream calls included, so a slow dependency exhausts its callers'
//! workers and queues exactly as in production. Each call goes through the caller's policy for
//! that edge in Resilience4j's decoration order — Retry(CircuitBreaker(RateLimiter(TimeLimiter(
//! Bulkhead(call))))) — with the breaker, retry schedule and retry budget being `model`'s pure
//! state machines, driven in nanoseconds; a fallback turns the final failure into a degraded
//! success. Policy state is kept per caller replica, as in-process libraries and sidecars keep
//! it. Load balancers do not know a replica has crashed (it answers connection refused at
//! once); outlier ejection is what takes it out of rotation, and a retry avoids the replica that
//! just failed (Envoy's `previous_hosts` predicate) when another is available. A replica being
//! redeployed is drained from rotation gracefully.
//!
//! A service with same-zone locality is routed as Envoy's zone-aware routing with priority
//! failover: a caller placed in a zone picks among the healthy replicas of its own zone, and
//! among the other zones' only while its own has none healthy. Health there is what a mesh's
//! health checks and outlier detection know — a replica is unhealthy when it is down, draining,
//! ejected by that caller, or cut off from it by a partition — since deciding to leave a zone
//! needs exactly that knowledge. Rollouts follow their strategy: rolling restarts batches in
//! place; blue-green starts a second full set, switches all traffic to it once it has started,
//! and retires the first; a canary starts new-version replicas and sends each step's share of
//! the traffic to them (a weighted choice per call, as Istio's weighted routes), then promotes
//! them. A deploy may say how its new version differs (error rate, slowdown), so its effect
//! scales with the traffic it gets.
//!
//! # Rooms
//!
//! `Sim` keeps the clock, the horizon and warm-up, the event queue, the seed, the choice
//! stream `rng_choice` (lent to whichever room draws from it, so the draws stay in one stream
//! in the order they always had) and one struct per room, each owning its state behind private
//! fields, each in a file under `sim/`. No room holds another; a step that needs two of them
//! destructures `Sim` or is a method of the parent that lends each room what it needs.
//!
//! | room | owns |
//! |---|---|
//! | `load` | generators and their rngs: when the next entry request comes, and where |
//! | `requests` | the jobs slab: a request's steps of calls and its completion |
//! | `fleet` | replicas (workers, queues, down, rotation, version), zone use, `rng_work` |
//! | `rollout` | each service's rollout and the log of them |
//! | `network` | partitions, added latency, `rng_net` |
//! | `policy` | the calls slab, per-(edge, caller replica) resilience state, `rng_jitter` |
//! | `balancer` | round-robin counters; picks a replica from a lent view of the others |
//! | `broker` | subscriptions and deliveries |
//! | `books` | every measurement and the bucket clock; `report.rs` reads it |
//! | `faults`, `build` | the experiment's timeline; building a `Sim` |
//!
//! `dispatch` below is where rooms meet: an event belongs to one room (`Ev`'s variants are
//! grouped by room), a room sets its own timers through the lent queue, and what concerns
//! another room comes back to the parent to route. Fault verbs resolve names, then call the
//! room they concern.
//!
//! # One request's walk
//!
//! A root request with one downstream call that succeeds: `load` says an arrival is due and
//! for which endpoint → `requests::new_root` asks the `balancer` for a replica → `fleet`
//! admits it at its replica (`arrive`) and starts work, with `books` counting → `WorkDone`:
//! `requests::advance` launches the step's calls → `policy::start_call`, `begin_attempt`
//! (breaker, rate limiter), `after_rate_limit` (timeout, bulkhead), `send` (`balancer`, then
//! `network::hop`) → the child arrives at the callee's replica (`fleet`), works, has no calls
//! and completes (`requests::finish_job`: `books`, `fleet` frees the worker, `broker` gets its
//! events, `network` carries the answer back) → `policy::on_response`, `release_attempt`
//! (breaker, outlier ejection, bulkhead), `resolve` (`books`) → `requests::advance` finds no
//! step left → the root completes → `books` counts it and `load` lets a closed-loop user think
//! again. A failed attempt goes through `policy::after_failure`: a retry timer, or the call
//! fails (or falls back) and fails its request. Each bucket boundary closes the books.

use microcosm_model::{EdgePattern, Experiment, Scenario};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::engine::{EventQueue, Ref, Time};
use crate::error::{Error, ErrorKind};
use crate::limits::{CHECK_EVERY, Interrupt, Stop};
use crate::metrics::{Cause, Outcome};
use crate::sampler::ms_to_ns;
use crate::topology::Topology;

mod balancer;
mod books;
mod broker;
mod build;
mod faults;
mod fleet;
mod load;
mod network;
mod policy;
mod requests;
mod rollout;

use balancer::Balancer;
use books::{Books, BreakerChange};
use broker::Broker;
use fleet::{Fleet, VersionRt};
use load::Load;
use network::Network;
use policy::Policy;
use requests::{Parent, Requests};
use rollout::Rollouts;

pub use build::SimBuilder;
pub use faults::FaultWindow;
pub use rollout::RolloutEvent;

/// No replica.
const NONE: u32 = u32::MAX;
/// How long a request that the network drops takes to fail when its edge has no timeout: a
/// TCP connect timeout, typical of gRPC and HTTP clients' defaults for unreachable peers.
const CONNECT_TIMEOUT: Time = 1_000_000_000;

/// An event. Small and `Copy` (a test pins its size); references to requests and calls carry
/// their slot generation, so events about requests since finished are dropped.
///
/// One flat enum, its variants grouped by the room they belong to, rather than an enum of
/// per-room enums: the nested form is as small (16 bytes), but decoding its niche-packed tag
/// and matching twice cost about 1% more instructions per run (cachegrind, the boutique
/// example), so each variant is routed once, in `dispatch`, to its room's handler.
#[derive(Debug, Clone, Copy)]
enum Ev {
    // ─── load ───
    /// An open-loop generator's next request.
    Arrival(u32),
    /// A closed-loop user (generator, user) sends a request.
    UserSend(u32, u32),
    // ─── requests ───
    /// A request reaches its replica.
    JobArrive(Ref),
    /// A request's own work is done; its calls begin.
    WorkDone(Ref),
    // ─── policy: attempt `.1` of call `.0`, unless said otherwise ───
    /// The answer to attempt `.1` of call `.0` reaches the caller.
    Response(Ref, u32, Outcome),
    AttemptTimeout(Ref, u32),
    /// The attempt was dropped by the network and the edge has no timeout.
    ConnectFail(Ref, u32, Cause),
    /// The attempt was refused before being sent.
    AttemptRejected(Ref, u32, Cause, bool),
    RetryWake(Ref, u32),
    RateWake(Ref, u32),
    BulkheadTimeout(Ref, u32),
    Deadline(Ref),
    FallbackDone(Ref),
    /// A breaker's timed transition (edge state index).
    BreakerTimer(u32),
    // ─── faults: fault `.0` of the experiment starts or ends ───
    FaultStart(u32),
    FaultEnd(u32),
    // ─── rollout ───
    /// The next step (`.1`) of a rollout of a service (`.0`): a rolling deploy's batch, a
    /// blue-green switch, a canary's weight.
    DeployStep(u32, u32),
    // ─── broker ───
    /// A failed topic delivery is due again.
    Redeliver(Ref),
}

/// A running simulation.
pub struct Sim {
    pub(crate) topo: Topology,
    pub(crate) scenario_name: String,
    pub(crate) experiment_name: String,
    pub(crate) seed: u64,
    now: Time,
    pub(crate) horizon: Time,
    pub(crate) warmup: Time,
    queue: EventQueue<Ev>,
    requests: Requests,
    /// The replicas: report.rs reads what ran where.
    pub(crate) fleet: Fleet,
    /// Deploys in progress and the log of them: report.rs reads the log.
    pub(crate) rollouts: Rollouts,
    /// The callers' side of every call.
    policy: Policy,
    balancer: Balancer,
    load: Load,
    experiment: Option<Experiment>,
    pub(crate) fault_windows: Vec<FaultWindow>,
    rng_choice: Xoshiro256PlusPlus,
    network: Network,
    /// Topics: report.rs reads its subscriptions.
    pub(crate) broker: Broker,
    /// What the run measures: report.rs reads it.
    pub(crate) books: Books,
    pub(crate) events: u64,
    finished: bool,
    /// Looked at every [`CHECK_EVERY`] events.
    interrupt: Interrupt,
    /// Why and when (simulated ns) the interrupt stopped the run.
    pub(crate) stopped: Option<(Stop, Time)>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("scenario", &self.scenario_name)
            .field("experiment", &self.experiment_name)
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// SplitMix64: derives independent seeds from one.
pub(crate) fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed
        .wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream(seed: u64, id: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, id))
}

fn secs(t: Time) -> f64 {
    t as f64 / 1e9
}

impl Sim {
    /// Starts building a simulation of `scenario` with every random choice drawn from `seed`.
    pub fn builder(scenario: &Scenario, seed: u64) -> SimBuilder<'_> {
        SimBuilder::new(scenario, seed)
    }

    /// The current simulated time, in nanoseconds.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The end of the run, in nanoseconds.
    pub fn horizon(&self) -> Time {
        self.horizon
    }

    /// Events scheduled and not yet processed.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Entry requests in flight now.
    pub fn in_flight(&self) -> u64 {
        self.requests.roots_in_flight()
    }

    /// Processes the next event. Returns `false` once no event is left before the horizon.
    pub fn step(&mut self) -> bool {
        self.step_before(self.horizon)
    }

    /// Processes the next event if it comes before `limit` (and the horizon), unless the
    /// interrupt stopped the run: it is looked at every [`CHECK_EVERY`] events, since a
    /// simulated slice of any length can hold any number of events.
    fn step_before(&mut self, limit: Time) -> bool {
        if self.stopped.is_some() {
            return false;
        }
        if self.events.is_multiple_of(CHECK_EVERY)
            && let Some(why) = self.interrupt.due()
        {
            self.stopped = Some((why, self.now));
            return false;
        }
        match self.queue.peek_time() {
            Some(t) if t < limit.min(self.horizon) => {}
            _ => return false,
        }
        let (t, ev) = self.queue.pop().expect("peeked");
        while t >= self.books.next_boundary() {
            self.close_bucket(self.books.next_boundary());
        }
        self.now = t;
        self.events += 1;
        self.dispatch(ev);
        true
    }

    /// Runs to the horizon and closes the books, or until the interrupt stops it
    /// ([`Sim::interrupted`]).
    pub fn run(&mut self) {
        while self.step() {}
        self.finish();
    }

    /// Sets what stops the run early (replacing the builder's).
    pub fn set_interrupt(&mut self, interrupt: Interrupt) {
        self.interrupt = interrupt;
    }

    /// Why and at what simulated time (ns) the interrupt stopped the run, if it did: its
    /// report is then of a run cut short, which decides nothing.
    pub fn interrupted(&self) -> Option<(Stop, Time)> {
        self.stopped
    }

    /// Runs until simulated time `t` (nanoseconds), without closing the books.
    pub fn run_until(&mut self, t: Time) {
        while self.step_before(t) {}
    }

    /// Closes the last time bucket at the horizon. [`Sim::run`] calls it; call it after
    /// stepping by hand, before taking the report.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        // A run cut short keeps the buckets it closed: closing the rest would present time it
        // never simulated as quiet.
        if self.stopped.is_some() {
            return;
        }
        while self.books.next_boundary() <= self.horizon {
            self.close_bucket(self.books.next_boundary());
        }
        if self.horizon > self.books.bucket_start() {
            self.close_bucket(self.horizon);
        }
        self.now = self.horizon;
        self.books.finish();
    }

    /// Closes the open time bucket at `end`. The books see the fleet and the breakers only
    /// through what is lent to them here; each subscription records its lag.
    fn close_bucket(&mut self, end: Time) {
        let Sim {
            books,
            topo,
            fleet,
            policy,
            broker,
            ..
        } = self;
        let service = |s: usize| {
            let svc = &topo.services[s];
            let up = (svc.first_replica..svc.first_replica + svc.slots)
                .filter(|&r| !fleet.down(r) && !fleet.standby(r))
                .count() as u32;
            (svc.workers, fleet.running(s), up)
        };
        let breakers = |e: usize| policy.breakers_open(topo, e, |r| fleet.standby(r));
        books.close_bucket(end, service, breakers);
        broker.close_bucket();
    }

    /// Crashes `replicas` replicas of `service` (all when `None`), first replicas first: their
    /// requests fail, and requests sent to them are refused until they recover.
    pub fn crash(&mut self, service: &str, replicas: Option<u32>) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.crash_in(s, replicas, None);
        Ok(())
    }

    /// Restarts every crashed replica of `service`.
    pub fn recover(&mut self, service: &str) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.fleet.recover(&self.topo, s, None);
        Ok(())
    }

    /// Cuts the network between two sides, each a service or `zone:NAME`; with `one_way`, only
    /// messages from `from` to `to`.
    pub fn partition(&mut self, from: &str, to: &str, one_way: bool) {
        let (from, to) = (
            Network::side(&self.topo, from),
            Network::side(&self.topo, to),
        );
        self.network.partition(from, to, one_way);
    }

    /// Heals the partitions between `from` and `to`.
    pub fn heal(&mut self, from: &str, to: &str) {
        let (from, to) = (
            Network::side(&self.topo, from),
            Network::side(&self.topo, to),
        );
        self.network.heal(from, to);
    }

    /// Sets the latency added on every edge matching `link` (`"caller -> callee"`, globs
    /// allowed), replacing what was added before.
    pub fn set_link_latency(&mut self, link: &str, add_ms: f64) -> Result<(), Error> {
        let pattern =
            EdgePattern::parse(link).map_err(|e| Error::new(ErrorKind::Invalid(e.to_string())))?;
        for (i, e) in self.topo.edges.iter().enumerate() {
            if pattern.matches(
                &self.topo.services[e.caller as usize].name,
                &self.topo.services[e.callee as usize].name,
            ) {
                *self.network.extra_latency(i as u32) = ms_to_ns(add_ms);
            }
        }
        Ok(())
    }

    /// Makes a fraction `rate` of the requests to `target` (`service` or `service.endpoint`)
    /// fail at once.
    pub fn inject_errors(&mut self, target: &str, rate: f64) {
        for (i, ep) in self.topo.endpoints.iter().enumerate() {
            let service = &self.topo.services[ep.service as usize].name;
            if ep.name == target || service == target {
                self.fleet.set_error_rate(i, rate.clamp(0.0, 1.0));
            }
        }
    }

    /// Multiplies the work time of `service` by `factor` (1 restores it).
    pub fn slow_down(&mut self, service: &str, factor: f64) -> Result<(), Error> {
        let s = self.service_id(service)?;
        *self.fleet.slowdown(s) = factor.max(0.0);
        Ok(())
    }

    /// Rolls out a new version of `service` (behaving as the old one) per its deployment
    /// strategy.
    pub fn deploy(&mut self, service: &str) -> Result<(), Error> {
        let s = self.service_id(service)?;
        self.rollouts.start(
            &self.topo,
            s,
            VersionRt::default(),
            self.now,
            &mut self.queue,
        );
        Ok(())
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Arrival(g) => {
                self.new_root(g, NONE);
                if let Some(t) = self.load.next_arrival(g, self.now, self.horizon) {
                    self.queue.push(t, Ev::Arrival(g));
                }
            }
            Ev::UserSend(g, u) => self.new_root(g, u),
            Ev::JobArrive(j) => {
                if self.requests.live(j) {
                    self.arrive(j.idx);
                }
            }
            Ev::WorkDone(j) => {
                if self.requests.work_done(j) {
                    self.advance(j.idx);
                }
            }
            Ev::Response(c, attempt, outcome) => self.on_response(c, attempt, outcome),
            Ev::AttemptTimeout(c, attempt) => self.on_attempt_timeout(c, attempt),
            Ev::ConnectFail(c, attempt, cause) => self.on_connect_fail(c, attempt, cause),
            Ev::AttemptRejected(c, attempt, cause, rejected) => {
                self.on_attempt_rejected(c, attempt, cause, rejected)
            }
            Ev::RetryWake(c, attempt) => self.on_retry_wake(c, attempt),
            Ev::RateWake(c, attempt) => self.on_rate_wake(c, attempt),
            Ev::BulkheadTimeout(c, attempt) => self.on_bulkhead_timeout(c, attempt),
            Ev::Deadline(c) => self.on_deadline(c),
            Ev::FallbackDone(c) => self.on_fallback_done(c),
            Ev::BreakerTimer(es) => self.on_breaker_timer(es),
            Ev::FaultStart(i) => self.fault(i, true),
            Ev::FaultEnd(i) => self.fault(i, false),
            Ev::DeployStep(s, batch) => self.rollouts.step(
                &self.topo,
                &mut self.fleet,
                (s, batch),
                self.now,
                &mut self.queue,
            ),
            Ev::Redeliver(d) => {
                if let Some(sub) = self.broker.redeliver(d) {
                    self.dispatch_sub(sub);
                }
            }
        }
    }

    /// Entry requests in flight, counted from the live requests themselves (not from the
    /// counters), for the conservation check.
    pub(crate) fn roots_in_flight(&self) -> u64 {
        self.in_flight()
    }

    /// Peak requests and calls held at once, for memory figures.
    pub(crate) fn peak_slots(&self) -> (usize, usize) {
        (self.requests.peak(), self.policy.peak_calls())
    }

    /// Nanoseconds measured after the warm-up.
    pub(crate) fn measured(&self) -> Time {
        self.horizon.saturating_sub(self.warmup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue holds one `Ev` per pending event, and millions pass through it per run: an
    /// event that grows makes every push and pop move more bytes. 16 bytes is what it took
    /// before the split into rooms.
    #[test]
    fn an_event_stays_sixteen_bytes() {
        assert!(
            std::mem::size_of::<Ev>() <= 16,
            "{}",
            std::mem::size_of::<Ev>()
        );
    }
}
