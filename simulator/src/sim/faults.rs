//! Faults on the experiment's timeline: the windows shown in reports and plots, and the
//! start and end of each fault, which resolve the scenario's names and call the room the fault
//! concerns (crash and slowdown the fleet, latency and partitions the network, a deploy the
//! rollout). Separate from the public fault verbs in `sim.rs`, which do the same for a caller
//! driving the simulation by hand.

use microcosm_model::{EdgePattern, FaultAction};

use super::{Sim, VersionRt};
use crate::sampler::ms_to_ns;
use crate::topology::NO_ZONE;

/// A fault's window, for reports and plots.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultWindow {
    /// `crash`, `latency`, `errors`, `partition`, `slowdown` or `deploy`.
    pub kind: String,
    /// What it hits.
    pub target: String,
    /// When the fault starts, in simulated seconds from the start of the run.
    pub start_s: f64,
    /// When it ends (for `deploy`, when its rollout is due to finish), at most the run's
    /// duration.
    pub end_s: f64,
}

impl Sim {
    pub(super) fn fault(&mut self, i: u32, start: bool) {
        let Some(f) = self
            .experiment
            .as_ref()
            .and_then(|e| e.faults.get(i as usize))
            .cloned()
        else {
            return;
        };
        let Some(action) = f.action() else { return };
        // The scenario was validated, so the names below resolve; a stale name is ignored.
        match action {
            FaultAction::Crash { service, replicas } => {
                // A zone the deployment never named matches no replica.
                let zone = f
                    .zone
                    .as_deref()
                    .map(|z| self.topo.zone(z).unwrap_or(NO_ZONE - 1));
                if let Some(s) = self.topo.service(service) {
                    if start {
                        self.crash_in(s, replicas, zone);
                    } else {
                        self.fleet.recover(&self.topo, s, zone);
                    }
                }
            }
            FaultAction::Latency(l) => {
                if let Ok(pattern) = EdgePattern::parse(&l.link) {
                    let add = ms_to_ns(l.add_ms);
                    for (k, e) in self.topo.edges.iter().enumerate() {
                        if pattern.matches(
                            &self.topo.services[e.caller as usize].name,
                            &self.topo.services[e.callee as usize].name,
                        ) {
                            let x = self.network.extra_latency(k as u32);
                            *x = if start {
                                *x + add
                            } else {
                                x.saturating_sub(add)
                            };
                        }
                    }
                }
            }
            FaultAction::Errors(x) => {
                self.inject_errors(&x.target, if start { x.rate } else { 0.0 });
            }
            FaultAction::Partition(p) => {
                if start {
                    self.partition(&p.from, &p.to, p.one_way);
                } else {
                    self.heal(&p.from, &p.to);
                }
            }
            FaultAction::Slowdown(s) => {
                if let Some(id) = self.topo.service(&s.service) {
                    let x = self.fleet.slowdown(id);
                    if start {
                        *x *= s.factor;
                    } else if s.factor > 0.0 {
                        *x /= s.factor;
                    }
                }
            }
            FaultAction::Deploy(service) => {
                if start && let Some(s) = self.topo.service(service) {
                    let version =
                        f.new_version
                            .as_ref()
                            .map_or_else(VersionRt::default, |v| VersionRt {
                                error_rate: v.error_rate.clamp(0.0, 1.0),
                                slowdown: v.slowdown.max(0.0),
                            });
                    self.rollouts
                        .start(&self.topo, s, version, self.now, &mut self.queue);
                }
            }
        }
    }
}
