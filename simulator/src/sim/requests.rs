//! Requests: the jobs slab (a request handled by, or travelling to, a replica) in `Requests`,
//! and a request's life: made at the root, stepping through its endpoint's calls, and
//! completed. `Requests` keeps each job's state machine (in transit, queued, working,
//! calling) and answers with what the others need; completion, below, is where the rooms meet
//! most and so is the parent's: the job is measured (`books`), frees its worker (`fleet`),
//! publishes (`broker`) and answers its parent (`load`, `policy` through `network`, or
//! `broker`). Separate so that a request's state machine reads in one place.

use rand::RngExt;

use super::{CONNECT_TIMEOUT, Ev, NONE, Sim};
use crate::engine::{Ref, Slab, Time};
use crate::metrics::Outcome;
use crate::topology::Topology;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    InTransit,
    Queued,
    Working,
    Calling,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Parent {
    /// An entry request from generator `.0`, user `.1` (closed loop) or `NONE`.
    Root(u32, u32),
    /// Attempt `.1` of call `.0`.
    Call(Ref, u32),
    /// A topic delivery.
    Topic(Ref),
}

/// A request being handled by (or travelling to) a replica.
#[derive(Debug, Clone, Copy)]
struct Job {
    endpoint: u32,
    replica: u32,
    parent: Parent,
    arrived: Time,
    step: u16,
    pending: u16,
    state: JobState,
    degraded: bool,
    /// Every ancestor was a first attempt: what the load would be without retries.
    original: bool,
    /// When the request (or topic delivery) this job serves entered the system: retry
    /// amplification per bucket is attributed to it, so retries landing later count against
    /// the requests that caused them.
    root_started: Time,
}

/// The requests in the system.
#[derive(Debug, Default)]
pub(super) struct Requests {
    jobs: Slab<Job>,
}

impl Requests {
    /// A new request for `endpoint`, on its way at `now` to `replica`, on behalf of `parent`;
    /// `original` and `root_started` as in [`Job`].
    #[inline(always)]
    pub(super) fn spawn(
        &mut self,
        (endpoint, replica): (u32, u32),
        parent: Parent,
        now: Time,
        original: bool,
        root_started: Time,
    ) -> Ref {
        self.jobs.insert(Job {
            endpoint,
            replica,
            parent,
            arrived: now,
            step: 0,
            pending: 0,
            state: JobState::InTransit,
            degraded: false,
            original,
            root_started,
        })
    }

    /// Whether request `j` is still in the system.
    #[inline(always)]
    pub(super) fn live(&self, j: Ref) -> bool {
        self.jobs.get(j).is_some()
    }

    /// Entry requests in flight, counted from the live requests themselves.
    pub(super) fn roots_in_flight(&self) -> u64 {
        self.jobs
            .values()
            .filter(|j| matches!(j.parent, Parent::Root(..)))
            .count() as u64
    }

    /// Peak requests held at once, for memory figures.
    pub(super) fn peak(&self) -> usize {
        self.jobs.capacity_used()
    }

    /// Request `idx` reaches its replica at `now`: its replica, endpoint, and whether it is
    /// original load.
    #[inline(always)]
    pub(super) fn reach(&mut self, idx: u32, now: Time) -> (usize, usize, bool) {
        let job = self.jobs.at_mut(idx);
        job.arrived = now;
        (job.replica as usize, job.endpoint as usize, job.original)
    }

    #[inline]
    pub(super) fn queued(&mut self, idx: u32) {
        self.jobs.at_mut(idx).state = JobState::Queued;
    }

    /// Request `idx` starts work: its replica, endpoint and reference.
    #[inline(always)]
    pub(super) fn start(&mut self, idx: u32) -> (usize, usize, Ref) {
        let job = self.jobs.at_mut(idx);
        job.state = JobState::Working;
        let (r, ep) = (job.replica as usize, job.endpoint as usize);
        (r, ep, self.jobs.ref_of(idx).expect("live job"))
    }

    /// Request `j`'s own work is done: it starts calling, if it is still there.
    #[inline(always)]
    pub(super) fn work_done(&mut self, j: Ref) -> bool {
        match self.jobs.get_mut(j) {
            Some(job) => {
                job.state = JobState::Calling;
                true
            }
            None => false,
        }
    }

    /// The requests replica `r` holds (queued, working or calling), for a crash to fail.
    pub(super) fn held_by(&self, r: u32) -> Vec<Ref> {
        self.jobs
            .live_refs()
            .into_iter()
            .filter(|&j| {
                let job = self.jobs.get(j).expect("live");
                job.replica == r && job.state != JobState::InTransit
            })
            .collect()
    }

    /// What a call made by request `idx` carries of it: its reference, replica, whether it
    /// is original load, and when its root started.
    #[inline(always)]
    pub(super) fn caller(&self, idx: u32) -> (Ref, u32, bool, Time) {
        let job = self.jobs.at(idx);
        let j = self.jobs.ref_of(idx).expect("live job");
        (j, job.replica, job.original, job.root_started)
    }

    /// Request `idx`'s next step: the endpoint and the step's index, now counted as taken;
    /// or, with no step left, how it answers.
    fn next_step(&mut self, topo: &Topology, idx: u32) -> Result<(usize, usize), Outcome> {
        let job = self.jobs.at_mut(idx);
        let (ep, step) = (job.endpoint as usize, job.step as usize);
        if step >= topo.endpoints[ep].steps.len() {
            return Err(if job.degraded {
                Outcome::Degraded
            } else {
                Outcome::Ok
            });
        }
        job.step += 1;
        Ok((ep, step))
    }

    fn set_pending(&mut self, idx: u32, calls: u16) {
        self.jobs.at_mut(idx).pending = calls;
    }

    /// A call of request `j` succeeded (`degraded` when by a fallback, its own or its
    /// callee's). `Some(true)` when it was the step's last call pending, `None` when the
    /// request is gone.
    #[inline(always)]
    pub(super) fn answered(&mut self, j: Ref, degraded: bool) -> Option<bool> {
        let job = self.jobs.get_mut(j)?;
        if degraded {
            job.degraded = true;
        }
        job.pending -= 1;
        Some(job.pending == 0)
    }
}

impl Sim {
    pub(super) fn new_root(&mut self, g: u32, user: u32) {
        let endpoint = self.load.pick_target(g);
        self.books.root_generated();
        let service = self.topo.endpoints[endpoint as usize].service;
        let Some((replica, _)) = self.pick_replica(service, NONE, NONE, NONE) else {
            self.books.root_unavailable(endpoint, self.now);
            self.load
                .user_done(g, user, self.now, self.horizon, &mut self.queue);
            return;
        };
        let j = self.requests.spawn(
            (endpoint, replica),
            Parent::Root(g, user),
            self.now,
            true,
            self.now,
        );
        self.arrive(j.idx);
    }

    /// Launches the job's next step of calls, or answers when none is left.
    pub(super) fn advance(&mut self, idx: u32) {
        loop {
            let (ep, step) = match self.requests.next_step(&self.topo, idx) {
                Ok(next) => next,
                Err(outcome) => {
                    self.finish_job(idx, outcome);
                    return;
                }
            };
            let mut launched = 0u16;
            for i in 0..self.topo.endpoints[ep].steps[step].len() {
                let call = self.topo.endpoints[ep].steps[step][i];
                if call.probability < 1.0 && self.rng_choice.random::<f64>() >= call.probability {
                    continue;
                }
                self.start_call(idx, call.edge, call.callee);
                launched += 1;
            }
            if launched > 0 {
                self.requests.set_pending(idx, launched);
                return;
            }
        }
    }

    /// A job ends: it is measured, frees its worker (starting the next queued job), publishes
    /// its events if it succeeded, and answers its parent.
    pub(super) fn finish_job(&mut self, idx: u32, outcome: Outcome) {
        let now = self.now;
        let job = *self.requests.jobs.at(idx);
        let ep = job.endpoint as usize;
        self.books
            .request_done(job.endpoint, job.arrived, now, outcome);
        let r = job.replica as usize;
        let s = self.topo.replicas[r].service as usize;
        self.rollouts.served(&self.topo, s, r as u32, outcome);
        if job.state != JobState::InTransit {
            self.fleet.leave(r);
        }
        let j = self.requests.jobs.ref_of(idx).expect("live job");
        self.requests.jobs.remove(j);
        if matches!(job.state, JobState::Working | JobState::Calling) {
            self.books.worker_freed(s, now);
            if let Some(next) = self.fleet.free_worker(r) {
                self.books.dequeued(s);
                self.start_work(next);
            }
        }
        if !matches!(outcome, Outcome::Err(_)) {
            for i in 0..self.topo.endpoints[ep].publishes.len() {
                let topic = self.topo.endpoints[ep].publishes[i];
                self.publish(topic);
            }
        }
        match job.parent {
            Parent::Root(g, user) => {
                self.books.root_done(outcome);
                self.load
                    .user_done(g, user, self.now, self.horizon, &mut self.queue);
            }
            Parent::Call(c, attempt) => {
                let Some((edge, caller)) = self.policy.awaiting(c, attempt) else {
                    return;
                };
                match self.network.hop(&self.topo, edge, job.replica, caller) {
                    Ok(delay) => self
                        .queue
                        .push(now + delay, Ev::Response(c, attempt, outcome)),
                    Err(cause) => {
                        self.policy.lost(c, cause);
                        if self.topo.edges[edge as usize].timeout.is_none() {
                            self.queue
                                .push(now + CONNECT_TIMEOUT, Ev::ConnectFail(c, attempt, cause));
                        }
                    }
                }
            }
            Parent::Topic(d) => self.delivery_done(d, outcome),
        }
    }
}
