//! Rollouts: each service's rollout state (which of its two sets serves, the canary's weight,
//! the version being rolled out, the canary step's tally) and the log of rollouts for the
//! report. It schedules its own steps through the lent queue and answers the balancer which
//! set a call goes to (drawing from the lent choice stream only while a canary is partial).
//! A step changes which replicas serve, per the strategy — rolling batches, blue-green switch,
//! canary weights with analysis and rollback — through the fleet's verbs, the fleet being lent
//! to `step`; it calls no other room. Separate because strategies are a state machine of their
//! own over the fleet.

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{Ev, Fleet, VersionRt, secs};
use crate::engine::{EventQueue, Time};
use crate::metrics::Outcome;
use crate::sampler::ms_to_ns;
use crate::topology::Topology;
use microcosm_model::DeploymentStrategy;

/// A service's rollout state.
#[derive(Debug, Clone, Copy, Default)]
struct Rollout {
    /// The set (0 or 1) that serves, for a service with two sets.
    active: u32,
    /// Share of the traffic sent to the other set: a canary's weight, in [0, 1].
    canary: f64,
    /// The version being rolled out.
    version: VersionRt,
    /// Requests the canary set finished during the current step, and how many failed: what
    /// the canary analysis judges at the step's end.
    step_served: (u64, u64),
}

/// How a rollout ended (or had got to when the run ended).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RolloutEvent {
    /// The service rolled out.
    pub service: String,
    /// `rolling`, `blue_green` or `canary`.
    pub strategy: String,
    /// When the deploy started, in seconds.
    pub started_s: f64,
    /// `promoted`, `rolled_back`, or `in_progress` when the run ended first.
    pub outcome: String,
    /// When it was promoted or rolled back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_s: Option<f64>,
    /// For a rollback: the canary step (0-based) whose analysis failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<u32>,
    /// For a rollback: the new version's error rate, in [0, 1], over the failed step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
}

/// Every service's rollout, and the log of rollouts started.
#[derive(Debug)]
pub(crate) struct Rollouts {
    services: Vec<Rollout>,
    events: Vec<RolloutEvent>,
}

impl Rollouts {
    pub(super) fn new(services: usize) -> Rollouts {
        Rollouts {
            services: vec![Rollout::default(); services],
            events: Vec::new(),
        }
    }

    /// Every rollout started, in order, with how it ended: for the report.
    pub(crate) fn events(&self) -> &[RolloutEvent] {
        &self.events
    }

    /// The set (0 or 1) of service `s` that serves.
    pub(super) fn active(&self, s: u32) -> u32 {
        self.services[s as usize].active
    }

    /// The set a call to service `s` goes to: the active one, or the canary set for its share
    /// of the calls (a weighted choice per call, as Istio's weighted routes).
    #[inline(always)]
    pub(super) fn serving_set(&self, s: u32, rng: &mut Xoshiro256PlusPlus) -> u32 {
        let ro = &self.services[s as usize];
        let mut set = ro.active;
        if ro.canary > 0.0 && (ro.canary >= 1.0 || rng.random::<f64>() < ro.canary) {
            set = 1 - set;
        }
        set
    }

    /// Replica `r` of service `s` answered with `outcome`: counted for the canary analysis
    /// when it belongs to the canary set.
    #[inline(always)]
    pub(super) fn served(&mut self, topo: &Topology, s: usize, r: u32, outcome: Outcome) {
        let ro = &mut self.services[s];
        if ro.canary > 0.0 {
            let svc = &topo.services[s];
            let canary_set = svc.first_replica + (1 - ro.active) * svc.replicas;
            if (canary_set..canary_set + svc.replicas).contains(&r) {
                ro.step_served.0 += 1;
                ro.step_served.1 += u64::from(matches!(outcome, Outcome::Err(_)));
            }
        }
    }

    /// Starts rolling out `version` of service `s` at `now`: its first step is due at once.
    pub(super) fn start(
        &mut self,
        topo: &Topology,
        s: u32,
        version: VersionRt,
        now: Time,
        queue: &mut EventQueue<Ev>,
    ) {
        self.services[s as usize].version = version;
        self.services[s as usize].step_served = (0, 0);
        let svc = &topo.services[s as usize];
        self.events.push(RolloutEvent {
            service: svc.name.clone(),
            strategy: svc.strategy.kind().to_owned(),
            started_s: secs(now),
            outcome: "in_progress".to_owned(),
            at_s: None,
            failed_step: None,
            error_rate: None,
        });
        queue.push(now, Ev::DeployStep(s, 0));
    }

    /// Records how the latest rollout of service `s` ended.
    fn end(
        &mut self,
        topo: &Topology,
        s: u32,
        outcome: &str,
        failed: Option<(u32, f64)>,
        now: Time,
    ) {
        let name = &topo.services[s as usize].name;
        if let Some(e) = self.events.iter_mut().rev().find(|e| &e.service == name) {
            e.outcome = outcome.to_owned();
            e.at_s = Some(secs(now));
            e.failed_step = failed.map(|f| f.0);
            e.error_rate = failed.map(|f| f.1);
        }
    }

    /// Step `step` of the rollout of service `s`, per its strategy.
    pub(super) fn step(
        &mut self,
        topo: &Topology,
        fleet: &mut Fleet,
        (s, step): (u32, u32),
        now: Time,
        queue: &mut EventQueue<Ev>,
    ) {
        let svc = &topo.services[s as usize];
        let (first, n) = (svc.first_replica, svc.replicas);
        let Rollout {
            active, version, ..
        } = self.services[s as usize];
        let old_set = first + active * n..first + (active + 1) * n;
        let new_set = first + (1 - active) * n..first + (2 - active) * n;
        match svc.strategy.clone() {
            DeploymentStrategy::Rolling {
                max_unavailable,
                restart_s,
            } => {
                // Batch `step` restarts; the batches before it are back, on the new version.
                let m = max_unavailable.max(1);
                for r in first..first + n {
                    let batch = (r - first) / m;
                    fleet.set_restarting(r, batch == step);
                    if batch < step {
                        fleet.set_version(r, version);
                    }
                }
                if step * m < n {
                    let next = now + ms_to_ns(restart_s * 1000.0);
                    queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    self.end(topo, s, "promoted", None, now);
                }
            }
            DeploymentStrategy::BlueGreen { restart_s } => {
                if step == 0 {
                    // The green set starts beside the blue one, which keeps serving.
                    for r in new_set {
                        fleet.start_slot(r, version, false);
                    }
                    let next = now + ms_to_ns(restart_s * 1000.0);
                    queue.push(next, Ev::DeployStep(s, 1));
                } else {
                    // All traffic switches at once; blue drains its requests and is retired.
                    for r in new_set {
                        fleet.set_restarting(r, false);
                    }
                    fleet.retire(old_set);
                    self.services[s as usize].active = 1 - active;
                    self.end(topo, s, "promoted", None, now);
                }
            }
            DeploymentStrategy::Canary {
                weights,
                step_s,
                max_error_rate,
            } => {
                // The analysis of the step that just ended: too many of the new version's
                // answers failed, so all traffic goes back and the new replicas stop.
                let (served, failed) = self.services[s as usize].step_served;
                self.services[s as usize].step_served = (0, 0);
                let rate = if served == 0 {
                    0.0
                } else {
                    failed as f64 / served as f64
                };
                if step > 0 && max_error_rate.is_some_and(|max| rate > max) {
                    self.services[s as usize].canary = 0.0;
                    fleet.retire(new_set);
                    self.end(topo, s, "rolled_back", Some((step - 1, rate)), now);
                    fleet.account(topo, now);
                    return;
                }
                if let Some(&w) = weights.get(step as usize) {
                    // Argo Rollouts' canary scaling: as many new replicas as the share of the
                    // traffic they take, at least one; the stable set stays whole meanwhile.
                    let w = w.clamp(0.0, 1.0);
                    let want = ((w * f64::from(n)).ceil() as u32).clamp(1, n.max(1));
                    for r in new_set.start..new_set.start + want.min(n) {
                        if fleet.standby(r) {
                            fleet.start_slot(r, version, true);
                        }
                    }
                    self.services[s as usize].canary = w;
                    let next = now + ms_to_ns(step_s * 1000.0);
                    queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    // Promotion: the new set serves alone and the old one is retired.
                    for r in new_set {
                        if fleet.standby(r) {
                            fleet.set_version(r, version);
                        }
                        fleet.activate(r);
                    }
                    fleet.retire(old_set);
                    let ro = &mut self.services[s as usize];
                    ro.active = 1 - active;
                    ro.canary = 0.0;
                    self.end(topo, s, "promoted", None, now);
                }
            }
        }
        fleet.account(topo, now);
    }
}
