//! Rollouts: each service's rollout state (active set, canary weight, new version, the canary
//! step's tally) and the log of rollouts for the report. A deploy step changes which replicas
//! serve (`fleet`) per the strategy: rolling batches, blue-green switch, canary weights with
//! analysis and rollback. Separate because strategies are a state machine of their own over
//! the fleet.

use super::*;

/// A service's rollout state.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rollout {
    /// The set (0 or 1) that serves, for a service with two sets.
    pub(super) active: u32,
    /// Share of the traffic sent to the other set: a canary's weight, in [0, 1].
    pub(super) canary: f64,
    /// The version being rolled out.
    pub(super) version: VersionRt,
    /// Requests the canary set finished during the current step, and how many failed: what
    /// the canary analysis judges at the step's end.
    pub(super) step_served: (u64, u64),
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
    /// For a rollback: the canary step (0-based) whose analysis failed, and the new version's
    /// error rate over that step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
}

impl Sim {
    pub(super) fn start_rollout(&mut self, s: u32, version: VersionRt) {
        self.rollouts[s as usize].version = version;
        self.rollouts[s as usize].step_served = (0, 0);
        let svc = &self.topo.services[s as usize];
        self.rollout_events.push(RolloutEvent {
            service: svc.name.clone(),
            strategy: svc.strategy.kind().to_owned(),
            started_s: secs(self.now),
            outcome: "in_progress".to_owned(),
            at_s: None,
            failed_step: None,
            error_rate: None,
        });
        self.queue.push(self.now, Ev::DeployStep(s, 0));
    }

    /// Records how the latest rollout of service `s` ended.
    pub(super) fn end_rollout(&mut self, s: u32, outcome: &str, failed: Option<(u32, f64)>) {
        let name = &self.topo.services[s as usize].name;
        if let Some(e) = self
            .rollout_events
            .iter_mut()
            .rev()
            .find(|e| &e.service == name)
        {
            e.outcome = outcome.to_owned();
            e.at_s = Some(secs(self.now));
            e.failed_step = failed.map(|f| f.0);
            e.error_rate = failed.map(|f| f.1);
        }
    }

    /// Step `step` of the rollout of service `s`, per its strategy.
    pub(super) fn deploy_step(&mut self, s: u32, step: u32) {
        let svc = &self.topo.services[s as usize];
        let (first, n) = (svc.first_replica, svc.replicas);
        let Rollout {
            active, version, ..
        } = self.rollouts[s as usize];
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
                    let st = &mut self.replicas[r as usize];
                    st.restarting = batch == step;
                    if batch < step {
                        st.version = version;
                    }
                }
                if step * m < n {
                    let next = self.now + ms_to_ns(restart_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    self.end_rollout(s, "promoted", None);
                }
            }
            DeploymentStrategy::BlueGreen { restart_s } => {
                if step == 0 {
                    // The green set starts beside the blue one, which keeps serving.
                    for r in new_set {
                        let st = &mut self.replicas[r as usize];
                        st.standby = false;
                        st.restarting = true;
                        st.down = false;
                        st.version = version;
                    }
                    let next = self.now + ms_to_ns(restart_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, 1));
                } else {
                    // All traffic switches at once; blue drains its requests and is retired.
                    for r in new_set {
                        self.replicas[r as usize].restarting = false;
                    }
                    self.retire(old_set);
                    self.rollouts[s as usize].active = 1 - active;
                    self.end_rollout(s, "promoted", None);
                }
            }
            DeploymentStrategy::Canary {
                weights,
                step_s,
                max_error_rate,
            } => {
                // The analysis of the step that just ended: too many of the new version's
                // answers failed, so all traffic goes back and the new replicas stop.
                let (served, failed) = self.rollouts[s as usize].step_served;
                self.rollouts[s as usize].step_served = (0, 0);
                let rate = if served == 0 {
                    0.0
                } else {
                    failed as f64 / served as f64
                };
                if step > 0 && max_error_rate.is_some_and(|max| rate > max) {
                    self.rollouts[s as usize].canary = 0.0;
                    self.retire(new_set);
                    self.end_rollout(s, "rolled_back", Some((step - 1, rate)));
                    self.account();
                    return;
                }
                if let Some(&w) = weights.get(step as usize) {
                    // Argo Rollouts' canary scaling: as many new replicas as the share of the
                    // traffic they take, at least one; the stable set stays whole meanwhile.
                    let w = (w / 100.0).clamp(0.0, 1.0);
                    let want = ((w * f64::from(n)).ceil() as u32).clamp(1, n.max(1));
                    for r in new_set.start..new_set.start + want.min(n) {
                        let st = &mut self.replicas[r as usize];
                        if st.standby {
                            st.standby = false;
                            st.restarting = false;
                            st.down = false;
                            st.version = version;
                        }
                    }
                    self.rollouts[s as usize].canary = w;
                    let next = self.now + ms_to_ns(step_s * 1000.0);
                    self.queue.push(next, Ev::DeployStep(s, step + 1));
                } else {
                    // Promotion: the new set serves alone and the old one is retired.
                    for r in new_set {
                        let st = &mut self.replicas[r as usize];
                        if st.standby {
                            st.version = version;
                        }
                        st.standby = false;
                        st.restarting = false;
                    }
                    self.retire(old_set);
                    let ro = &mut self.rollouts[s as usize];
                    ro.active = 1 - active;
                    ro.canary = 0.0;
                    self.end_rollout(s, "promoted", None);
                }
            }
        }
        self.account();
    }

    /// Takes a set of replicas out of rotation and stops them; requests they hold finish.
    pub(super) fn retire(&mut self, set: std::ops::Range<u32>) {
        for r in set {
            let st = &mut self.replicas[r as usize];
            st.restarting = true;
            st.standby = true;
        }
    }
}
