//! Requests: the jobs slab (a request handled by, or travelling to, a replica) and a request's
//! life: made at the root, stepping through its endpoint's calls, and completed. Completion is
//! where the rooms meet most: the job is measured (`books`), frees its worker (`fleet`),
//! publishes (`broker`) and answers its parent (`load`, `policy` through `network`, or
//! `broker`). Separate so that a request's state machine reads in one place.

use super::*;

/// A request's events.
#[derive(Debug, Clone, Copy)]
pub(super) enum RequestEv {
    /// A request reaches its replica.
    JobArrive(Ref),
    /// A request's own work is done; its calls begin.
    WorkDone(Ref),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobState {
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
pub(super) struct Job {
    pub(super) endpoint: u32,
    pub(super) replica: u32,
    pub(super) parent: Parent,
    pub(super) arrived: Time,
    pub(super) step: u16,
    pub(super) pending: u16,
    pub(super) state: JobState,
    pub(super) degraded: bool,
    /// Every ancestor was a first attempt: what the load would be without retries.
    pub(super) original: bool,
    /// When the request (or topic delivery) this job serves entered the system: retry
    /// amplification per bucket is attributed to it, so retries landing later count against
    /// the requests that caused them.
    pub(super) root_started: Time,
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
        let j = self.jobs.insert(Job {
            endpoint,
            replica,
            parent: Parent::Root(g, user),
            arrived: self.now,
            step: 0,
            pending: 0,
            state: JobState::InTransit,
            degraded: false,
            original: true,
            root_started: self.now,
        });
        self.arrive(j.idx);
    }

    /// Launches the job's next step of calls, or answers when none is left.
    pub(super) fn advance(&mut self, idx: u32) {
        loop {
            let job = self.jobs.at(idx);
            let (ep, step) = (job.endpoint as usize, job.step as usize);
            let steps = &self.topo.endpoints[ep].steps;
            if step >= steps.len() {
                let outcome = if job.degraded {
                    Outcome::Degraded
                } else {
                    Outcome::Ok
                };
                self.finish_job(idx, outcome);
                return;
            }
            self.jobs.at_mut(idx).step += 1;
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
                self.jobs.at_mut(idx).pending = launched;
                return;
            }
        }
    }

    /// A job ends: it is measured, frees its worker (starting the next queued job), publishes
    /// its events if it succeeded, and answers its parent.
    pub(super) fn finish_job(&mut self, idx: u32, outcome: Outcome) {
        let now = self.now;
        let job = *self.jobs.at(idx);
        let ep = job.endpoint as usize;
        self.books
            .request_done(job.endpoint, job.arrived, now, outcome);
        let r = job.replica as usize;
        let s = self.topo.replicas[r].service as usize;
        self.rollouts.served(&self.topo, s, r as u32, outcome);
        if job.state != JobState::InTransit {
            self.fleet.leave(r);
        }
        let j = self.jobs.ref_of(idx).expect("live job");
        self.jobs.remove(j);
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
                        .push(now + delay, Ev::Call(CallEv::Response(c, attempt, outcome))),
                    Err(cause) => {
                        self.policy.lost(c, cause);
                        if self.topo.edges[edge as usize].timeout.is_none() {
                            self.queue.push(
                                now + CONNECT_TIMEOUT,
                                Ev::Call(CallEv::ConnectFail(c, attempt, cause)),
                            );
                        }
                    }
                }
            }
            Parent::Topic(d) => self.delivery_done(d, outcome),
        }
    }
}
