//! Fleet: the replicas' run-time state (workers busy, queue, down, out of rotation, standby,
//! deployed version), the replicas running per service and the resources they take per zone,
//! and the slowdowns and error rates faults inject. A request reaching a replica is refused,
//! started, queued or shed here (`admit`); a worker freed takes the next queued request; crash
//! and recovery act here. It draws work times from its own stream (`rng_work`) and injected
//! errors from the lent choice stream, and calls no other room: what a crash does to the
//! requests a replica holds is the parent's `crash_replica`, at the end of this file, as is
//! `arrive`, where the fleet's answer meets the requests and the books. Separate because it
//! is the one owner of "what runs where".

use std::collections::VecDeque;

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::Ev;
use crate::engine::Time;
use crate::metrics::{Cause, Outcome};
use crate::topology::{NO_ZONE, Topology};

/// How a deployed version behaves, relative to the scenario's description of the service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct VersionRt {
    /// Share of requests it fails at once.
    pub(super) error_rate: f64,
    /// Factor on its work time.
    pub(super) slowdown: f64,
}

impl Default for VersionRt {
    fn default() -> Self {
        VersionRt {
            error_rate: 0.0,
            slowdown: 1.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ReplicaState {
    busy: u32,
    in_system: u32,
    queue: VecDeque<u32>,
    down: bool,
    /// Out of rotation: being redeployed, starting, or not running.
    restarting: bool,
    /// Not running at all (and so out of rotation): a slot of the idle set of a blue-green or
    /// canary service.
    standby: bool,
    version: VersionRt,
}

/// Replicas running in one zone and the resources they request, now and at their peak.
#[derive(Debug, Clone, Default)]
pub(crate) struct ZoneUse {
    pub replicas: u32,
    pub cpu_millis: u64,
    pub memory_mib: u64,
    /// At the start of the run.
    pub baseline: (u32, u64, u64),
    pub peak_replicas: u32,
    pub peak_cpu_millis: u64,
    pub peak_memory_mib: u64,
    /// When the replica count first reached its peak.
    pub peak_at: Time,
}

/// What a replica does with a request that reaches it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Admission {
    /// Failed at once: the replica is down, or an error is injected.
    Refused(Cause),
    /// A worker was free: work starts.
    Start,
    /// Queued, the queue now this long.
    Queued(usize),
    /// No worker and no room in the queue.
    Shed,
}

/// The replicas and what runs where.
#[derive(Debug)]
pub(crate) struct Fleet {
    replicas: Vec<ReplicaState>,
    /// Replicas running per service (standby slots excluded), and their peak.
    running: Vec<u32>,
    peak_running: Vec<u32>,
    /// Per zone, then one entry for unplaced replicas.
    zone_use: Vec<ZoneUse>,
    /// Per service: the factor faults put on work times.
    slowdown: Vec<f64>,
    /// Per endpoint: the share of requests faults fail at once.
    error_rate: Vec<f64>,
    rng_work: Xoshiro256PlusPlus,
}

impl Fleet {
    /// Every replica up; the second set of a blue-green or canary service idles until a
    /// rollout starts it.
    pub(super) fn new(topo: &Topology, rng_work: Xoshiro256PlusPlus) -> Fleet {
        let mut fleet = Fleet {
            replicas: vec![ReplicaState::default(); topo.replicas.len()],
            running: vec![0; topo.services.len()],
            peak_running: vec![0; topo.services.len()],
            zone_use: vec![ZoneUse::default(); topo.zones.len() + 1],
            slowdown: vec![1.0; topo.services.len()],
            error_rate: vec![0.0; topo.endpoints.len()],
            rng_work,
        };
        for svc in &topo.services {
            for r in svc.first_replica + svc.replicas..svc.first_replica + svc.slots {
                let st = &mut fleet.replicas[r as usize];
                st.standby = true;
                st.restarting = true;
            }
        }
        fleet.account(topo, 0);
        for u in &mut fleet.zone_use {
            u.baseline = (u.replicas, u.cpu_millis, u.memory_mib);
        }
        fleet
    }

    // ─── for the report ─────────────────────────────────────────────────────────────────────

    pub(crate) fn peak_running(&self) -> &[u32] {
        &self.peak_running
    }
    pub(crate) fn zone_use(&self) -> &[ZoneUse] {
        &self.zone_use
    }

    // ─── what the balancer and the books see ────────────────────────────────────────────────

    /// Out of rotation: being redeployed, starting, or not running.
    #[inline]
    pub(super) fn restarting(&self, r: u32) -> bool {
        self.replicas[r as usize].restarting
    }
    #[inline]
    pub(super) fn down(&self, r: u32) -> bool {
        self.replicas[r as usize].down
    }
    #[inline]
    pub(super) fn standby(&self, r: u32) -> bool {
        self.replicas[r as usize].standby
    }
    /// Requests at replica `r`, queued or being served.
    #[inline]
    pub(super) fn in_system(&self, r: u32) -> u32 {
        self.replicas[r as usize].in_system
    }
    /// Replicas running of service `s`.
    pub(super) fn running(&self, s: usize) -> u32 {
        self.running[s]
    }

    // ─── requests ───────────────────────────────────────────────────────────────────────────

    /// Request `idx` for endpoint `ep` reaches replica `r`: refused if the replica is down or
    /// errors are injected (drawn from `rng`), started if a worker is free, queued if there is
    /// room, shed otherwise.
    #[inline(always)]
    pub(super) fn admit(
        &mut self,
        topo: &Topology,
        (r, ep, idx): (usize, usize, u32),
        rng: &mut Xoshiro256PlusPlus,
    ) -> Admission {
        if self.replicas[r].down {
            return Admission::Refused(Cause::Crash);
        }
        let rate = self.error_rate[ep];
        if rate > 0.0 && rng.random::<f64>() < rate {
            return Admission::Refused(Cause::Injected);
        }
        let rate = self.replicas[r].version.error_rate;
        if rate > 0.0 && rng.random::<f64>() < rate {
            return Admission::Refused(Cause::Injected);
        }
        let svc = &topo.services[topo.replicas[r].service as usize];
        let replica = &mut self.replicas[r];
        if replica.busy < svc.workers {
            replica.in_system += 1;
            Admission::Start
        } else if (replica.queue.len() as u64) < u64::from(svc.queue_capacity) {
            replica.in_system += 1;
            replica.queue.push_back(idx);
            Admission::Queued(replica.queue.len())
        } else {
            Admission::Shed
        }
    }

    /// A worker of replica `r` starts on a request for endpoint `ep`: how long the work takes.
    #[inline(always)]
    pub(super) fn start_work(&mut self, topo: &Topology, r: usize, ep: usize) -> Time {
        self.replicas[r].busy += 1;
        let s = topo.replicas[r].service as usize;
        let mut work = topo.endpoints[ep].work.sample(&mut self.rng_work);
        let factor = self.slowdown[s] * self.replicas[r].version.slowdown;
        if factor != 1.0 {
            // Held at the sampler's cap, so that `now + work` cannot overflow the clock.
            work = ((work as f64 * factor) as Time).min(crate::sampler::MAX_DRAW_NS);
        }
        work
    }

    /// A request admitted at replica `r` is over.
    #[inline(always)]
    pub(super) fn leave(&mut self, r: usize) {
        self.replicas[r].in_system = self.replicas[r].in_system.saturating_sub(1);
    }

    /// A worker of replica `r` is free: the next queued request, if the replica is up.
    #[inline(always)]
    pub(super) fn free_worker(&mut self, r: usize) -> Option<u32> {
        let st = &mut self.replicas[r];
        st.busy -= 1;
        if st.down {
            return None;
        }
        st.queue.pop_front()
    }

    // ─── faults ─────────────────────────────────────────────────────────────────────────────

    /// Replica `r` crashes: its queue is dropped. `None` when it was down already, else how
    /// many requests were queued.
    pub(super) fn crash(&mut self, r: u32) -> Option<u64> {
        let replica = &mut self.replicas[r as usize];
        if replica.down {
            return None;
        }
        replica.down = true;
        let queued = replica.queue.len() as u64;
        replica.queue.clear();
        Some(queued)
    }

    /// Restarts the crashed replicas of service `s` in `zone` (any zone when `None`).
    pub(super) fn recover(&mut self, topo: &Topology, s: u32, zone: Option<u16>) {
        let svc = &topo.services[s as usize];
        for r in svc.first_replica..svc.first_replica + svc.slots {
            if zone.is_none_or(|z| topo.replicas[r as usize].zone == z) {
                self.replicas[r as usize].down = false;
            }
        }
    }

    /// The factor on service `s`'s work times, for a verb or a fault to change.
    pub(super) fn slowdown(&mut self, s: u32) -> &mut f64 {
        &mut self.slowdown[s as usize]
    }

    /// Makes a share `rate` of the requests to endpoint `ep` fail at once.
    pub(super) fn set_error_rate(&mut self, ep: usize, rate: f64) {
        self.error_rate[ep] = rate;
    }

    // ─── rollouts ───────────────────────────────────────────────────────────────────────────

    /// Puts replica `r` in rotation or takes it out (a restart in place).
    pub(super) fn set_restarting(&mut self, r: u32, restarting: bool) {
        self.replicas[r as usize].restarting = restarting;
    }

    pub(super) fn set_version(&mut self, r: u32, version: VersionRt) {
        self.replicas[r as usize].version = version;
    }

    /// Starts standby slot `r` on `version`, in rotation at once or only once started.
    pub(super) fn start_slot(&mut self, r: u32, version: VersionRt, in_rotation: bool) {
        let st = &mut self.replicas[r as usize];
        st.standby = false;
        st.restarting = !in_rotation;
        st.down = false;
        st.version = version;
    }

    /// Replica `r` runs and is in rotation.
    pub(super) fn activate(&mut self, r: u32) {
        let st = &mut self.replicas[r as usize];
        st.standby = false;
        st.restarting = false;
    }

    /// Takes a set of replicas out of rotation and stops them; requests they hold finish.
    pub(super) fn retire(&mut self, set: std::ops::Range<u32>) {
        for r in set {
            let st = &mut self.replicas[r as usize];
            st.restarting = true;
            st.standby = true;
        }
    }

    /// Recounts the replicas running and the resources they request, per service and zone,
    /// keeping the peaks: only rollouts change them.
    pub(super) fn account(&mut self, topo: &Topology, now: Time) {
        for u in &mut self.zone_use {
            u.replicas = 0;
            u.cpu_millis = 0;
            u.memory_mib = 0;
        }
        let unplaced = self.zone_use.len() - 1;
        for (s, svc) in topo.services.iter().enumerate() {
            let mut running = 0;
            for r in svc.first_replica..svc.first_replica + svc.slots {
                if self.replicas[r as usize].standby {
                    continue;
                }
                running += 1;
                let z = topo.replicas[r as usize].zone;
                let u = &mut self.zone_use[if z == NO_ZONE { unplaced } else { z as usize }];
                u.replicas += 1;
                u.cpu_millis += u64::from(svc.cpu_millis);
                u.memory_mib += u64::from(svc.memory_mib);
            }
            self.running[s] = running;
            self.peak_running[s] = self.peak_running[s].max(running);
        }
        for u in &mut self.zone_use {
            if u.replicas > u.peak_replicas {
                u.peak_replicas = u.replicas;
                u.peak_at = now;
            }
            u.peak_cpu_millis = u.peak_cpu_millis.max(u.cpu_millis);
            u.peak_memory_mib = u.peak_memory_mib.max(u.memory_mib);
        }
    }
}

// ─── where the fleet meets the requests, the books and the rollouts ───────────────────────

impl super::Sim {
    /// Crashes the first `replicas` (all when `None`) of the serving replicas of service `s`
    /// placed in `zone` (any zone when `None`).
    pub(super) fn crash_in(&mut self, s: u32, replicas: Option<u32>, zone: Option<u16>) {
        let svc = &self.topo.services[s as usize];
        let first = svc.first_replica + self.rollouts.active(s) * svc.replicas;
        let mut left = replicas.unwrap_or(svc.replicas);
        for r in first..first + svc.replicas {
            if left == 0 {
                break;
            }
            if zone.is_none_or(|z| self.topo.replicas[r as usize].zone == z) {
                self.crash_replica(r);
                left -= 1;
            }
        }
    }

    /// A request reaches its replica: the fleet admits it, and the requests and the books
    /// follow its answer.
    pub(super) fn arrive(&mut self, idx: u32) {
        let now = self.now;
        let (r, ep, original) = self.requests.reach(idx, now);
        let s = self.topo.replicas[r].service as usize;
        self.books.arrival(s, original, now);
        match self
            .fleet
            .admit(&self.topo, (r, ep, idx), &mut self.rng_choice)
        {
            Admission::Refused(cause) => self.finish_job(idx, Outcome::Err(cause)),
            Admission::Start => self.start_work(idx),
            Admission::Queued(len) => {
                self.requests.queued(idx);
                self.books.queued(s, now, len);
            }
            Admission::Shed => {
                self.books.shed(s, now);
                self.finish_job(idx, Outcome::Err(Cause::Shed));
            }
        }
    }

    pub(super) fn start_work(&mut self, idx: u32) {
        let (r, ep, j) = self.requests.start(idx);
        let work = self.fleet.start_work(&self.topo, r, ep);
        let s = self.topo.replicas[r].service as usize;
        self.books.worker_taken(s, self.now);
        self.queue.push(self.now + work, Ev::WorkDone(j));
    }

    /// Replica `r` crashes: its queue is dropped and the requests it holds fail.
    pub(super) fn crash_replica(&mut self, r: u32) {
        let Some(queued) = self.fleet.crash(r) else {
            return;
        };
        let s = self.topo.replicas[r as usize].service as usize;
        self.books.queue_dropped(s, self.now, queued);
        for j in self.requests.held_by(r) {
            if self.requests.live(j) {
                self.finish_job(j.idx, Outcome::Err(Cause::Crash));
            }
        }
    }
}
