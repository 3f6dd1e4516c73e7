//! Fleet: the replicas' run-time state (workers busy, queue, down, out of rotation, standby,
//! deployed version), the replicas running per service and the resources they take per zone.
//! A request reaching a replica is refused, started, queued or shed here; crash and recovery
//! act here. It draws work times from its own stream (`rng_work`) and injected errors from the
//! lent choice stream. Separate because it is the one owner of "what runs where".

use super::*;

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
pub(super) struct ReplicaState {
    pub(super) busy: u32,
    pub(super) in_system: u32,
    pub(super) queue: VecDeque<u32>,
    pub(super) down: bool,
    /// Out of rotation: being redeployed, starting, or not running.
    pub(super) restarting: bool,
    /// Not running at all (and so out of rotation): a slot of the idle set of a blue-green or
    /// canary service.
    pub(super) standby: bool,
    pub(super) version: VersionRt,
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

impl Sim {
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

    /// Restarts the crashed replicas of service `s` in `zone` (any zone when `None`).
    pub(super) fn recover_in(&mut self, s: u32, zone: Option<u16>) {
        let svc = &self.topo.services[s as usize];
        for r in svc.first_replica..svc.first_replica + svc.slots {
            if zone.is_none_or(|z| self.topo.replicas[r as usize].zone == z) {
                self.replicas[r as usize].down = false;
            }
        }
    }

    /// A request reaches its replica: refused if the replica is down or errors are injected,
    /// started if a worker is free, queued if there is room, shed otherwise.
    pub(super) fn arrive(&mut self, idx: u32) {
        let now = self.now;
        let job = self.jobs.at_mut(idx);
        job.arrived = now;
        let (r, ep, original) = (job.replica as usize, job.endpoint as usize, job.original);
        let s = self.topo.replicas[r].service as usize;
        self.books.arrival(s, original, now);
        if self.replicas[r].down {
            self.finish_job(idx, Outcome::Err(Cause::Crash));
            return;
        }
        let rate = self.error_rate[ep];
        if rate > 0.0 && self.rng_choice.random::<f64>() < rate {
            self.finish_job(idx, Outcome::Err(Cause::Injected));
            return;
        }
        let rate = self.replicas[r].version.error_rate;
        if rate > 0.0 && self.rng_choice.random::<f64>() < rate {
            self.finish_job(idx, Outcome::Err(Cause::Injected));
            return;
        }
        let svc = &self.topo.services[s];
        let replica = &mut self.replicas[r];
        if replica.busy < svc.workers {
            replica.in_system += 1;
            self.start_work(idx);
        } else if (replica.queue.len() as u64) < u64::from(svc.queue_capacity) {
            replica.in_system += 1;
            replica.queue.push_back(idx);
            self.jobs.at_mut(idx).state = JobState::Queued;
            self.books.queued(s, now, replica.queue.len());
        } else {
            self.books.shed(s, now);
            self.finish_job(idx, Outcome::Err(Cause::Shed));
        }
    }

    pub(super) fn start_work(&mut self, idx: u32) {
        let job = self.jobs.at_mut(idx);
        job.state = JobState::Working;
        let (r, ep) = (job.replica as usize, job.endpoint as usize);
        self.replicas[r].busy += 1;
        let s = self.topo.replicas[r].service as usize;
        self.books.worker_taken(s, self.now);
        let mut work = self.topo.endpoints[ep].work.sample(&mut self.rng_work);
        let factor = self.slowdown[s] * self.replicas[r].version.slowdown;
        if factor != 1.0 {
            work = (work as f64 * factor) as Time;
        }
        let j = self.jobs.ref_of(idx).expect("live job");
        self.queue
            .push(self.now + work, Ev::Request(RequestEv::WorkDone(j)));
    }

    pub(super) fn crash_replica(&mut self, r: u32) {
        let replica = &mut self.replicas[r as usize];
        if replica.down {
            return;
        }
        replica.down = true;
        let s = self.topo.replicas[r as usize].service as usize;
        let queued = replica.queue.len() as u64;
        replica.queue.clear();
        self.books.queue_dropped(s, self.now, queued);
        let victims: Vec<Ref> = self
            .jobs
            .live_refs()
            .into_iter()
            .filter(|&j| {
                let job = self.jobs.get(j).expect("live");
                job.replica == r && job.state != JobState::InTransit
            })
            .collect();
        for j in victims {
            if self.jobs.get(j).is_some() {
                self.finish_job(j.idx, Outcome::Err(Cause::Crash));
            }
        }
    }

    /// Recounts the replicas running and the resources they request, per service and zone,
    /// keeping the peaks: only rollouts change them.
    pub(super) fn account(&mut self) {
        for u in &mut self.zone_use {
            u.replicas = 0;
            u.cpu_millis = 0;
            u.memory_mib = 0;
        }
        let unplaced = self.zone_use.len() - 1;
        for (s, svc) in self.topo.services.iter().enumerate() {
            let mut running = 0;
            for r in svc.first_replica..svc.first_replica + svc.slots {
                if self.replicas[r as usize].standby {
                    continue;
                }
                running += 1;
                let z = self.topo.replicas[r as usize].zone;
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
                u.peak_at = self.now;
            }
            u.peak_cpu_millis = u.peak_cpu_millis.max(u.cpu_millis);
            u.peak_memory_mib = u.peak_memory_mib.max(u.memory_mib);
        }
    }
}
