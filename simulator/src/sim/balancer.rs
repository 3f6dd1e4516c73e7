//! Balancer: picking a replica for a call or an entry request, as a mesh's load balancer
//! does: canary weights, zone-aware routing with priority failover and spill-over, outlier
//! ejection (with Envoy's panic mode), avoiding the previous attempt's replica, then round
//! robin, random, least outstanding or power of two choices. It owns only its round-robin
//! counters (per client service and per caller's edge state) and a scratch list; it reads the
//! fleet, the network's partitions, the rollouts and the caller's outlier state, all lent as a
//! `Seen`, and draws from the lent choice stream. Separate because routing is a policy of its
//! own, read-only on everything else.

use microcosm_model::{LoadBalancer, Locality};
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{Fleet, NONE, Network, Policy, Rollouts};
use crate::engine::Time;
use crate::topology::{NO_ZONE, Topology};

/// What the balancer reads to pick: lent by the parent for one pick.
#[derive(Clone, Copy)]
pub(super) struct Seen<'a> {
    pub(super) topo: &'a Topology,
    pub(super) fleet: &'a Fleet,
    pub(super) network: &'a Network,
    pub(super) rollouts: &'a Rollouts,
    /// For the caller's outlier detection of the callee's replicas.
    pub(super) policy: &'a Policy,
    pub(super) now: Time,
}

/// Round-robin counters and the candidates' scratch list.
#[derive(Debug)]
pub(super) struct Balancer {
    /// Per service, for clients outside the system (entry requests, topic deliveries).
    client_rr: Vec<u32>,
    /// Per edge state (edge, caller replica).
    edge_rr: Vec<u32>,
    scratch: Vec<u32>,
}

impl Balancer {
    pub(super) fn new(services: usize, edge_states: usize) -> Balancer {
        Balancer {
            client_rr: vec![0; services],
            edge_rr: vec![0; edge_states],
            scratch: Vec::new(),
        }
    }

    /// Picks a replica of `service` for a caller (edge state `es` and replica `from`, or a
    /// client when both are `NONE`), avoiding replicas being redeployed, replicas outlier
    /// detection ejected (unless all are: Envoy's panic mode), and `avoid` (the previous
    /// attempt's replica) when another is left. A canary in progress first sends its share of
    /// the calls to the new set; a zone-aware service keeps a placed caller in its own zone
    /// while that zone has a healthy replica. Returns the replica and whether the caller failed
    /// over from its own zone.
    pub(super) fn pick(
        &mut self,
        seen: Seen<'_>,
        rng: &mut Xoshiro256PlusPlus,
        service: u32,
        es: u32,
        avoid: u32,
        from: u32,
    ) -> Option<(u32, bool)> {
        let Seen {
            topo,
            fleet,
            network,
            rollouts,
            policy,
            now,
        } = seen;
        let svc = &topo.services[service as usize];
        let (base, n) = (svc.first_replica, svc.replicas);
        if n == 0 {
            return None;
        }
        let mut first = base;
        if svc.slots != n {
            first += rollouts.serving_set(service, rng) * n;
        }
        let lb = svc.load_balancer;
        if n == 1 {
            return (!fleet.restarting(first)).then_some((first, false));
        }
        let caller_zone = if from == NONE {
            NO_ZONE
        } else {
            topo.replicas[from as usize].zone
        };
        self.scratch.clear();
        let outlier = (es != NONE)
            .then(|| policy.outlier(es))
            .filter(|o| !o.is_empty());
        let mut failover = false;
        if svc.locality != Locality::Any && caller_zone != NO_ZONE {
            // Priority 0 is the caller's zone, priority 1 every other zone: Envoy moves to the
            // next priority only when the one before has no healthy host.
            let caller = topo.replicas[from as usize];
            let healthy = |r: u32| {
                let ejected = outlier.is_some_and(|o| o[(r - base) as usize].ejected(now));
                !fleet.restarting(r)
                    && !fleet.down(r)
                    && !ejected
                    && network.reachable(caller, topo.replicas[r as usize])
            };
            let local = |r: u32| topo.replicas[r as usize].zone == caller_zone;
            let (mut placed_here, mut healthy_elsewhere) = (false, 0usize);
            for r in first..first + n {
                placed_here |= local(r);
                if healthy(r) {
                    if local(r) {
                        self.scratch.push(r);
                    } else {
                        healthy_elsewhere += 1;
                    }
                }
            }
            // Envoy's spill-over: the caller's zone keeps the calls its share of the healthy
            // replicas can carry against its share of the callers; the rest go elsewhere.
            let spill = svc.locality == Locality::Proportional
                && !self.scratch.is_empty()
                && healthy_elsewhere > 0
                && {
                    let here = self.scratch.len() as f64;
                    let upstream = here / (here + healthy_elsewhere as f64);
                    let callers = &topo.services[caller.service as usize];
                    let downstream = f64::from(callers.zone_replicas[usize::from(caller_zone)])
                        / f64::from(callers.replicas.max(1));
                    upstream < downstream && rng.random::<f64>() >= upstream / downstream
                };
            if self.scratch.is_empty() || spill {
                failover = self.scratch.is_empty() && placed_here && healthy_elsewhere > 0;
                self.scratch.clear();
                self.scratch
                    .extend((first..first + n).filter(|&r| !local(r) && healthy(r)));
            }
        }
        if self.scratch.is_empty() {
            for r in first..first + n {
                let ejected = outlier.is_some_and(|o| o[(r - base) as usize].ejected(now));
                if !fleet.restarting(r) && !ejected {
                    self.scratch.push(r);
                }
            }
        }
        if self.scratch.is_empty() {
            self.scratch
                .extend((first..first + n).filter(|&r| !fleet.restarting(r)));
        }
        if self.scratch.len() > 1
            && let Some(i) = self.scratch.iter().position(|&r| r == avoid)
        {
            self.scratch.remove(i);
        }
        let len = self.scratch.len() as u32;
        if len == 0 {
            return None;
        }
        let rr = if es == NONE {
            &mut self.client_rr[service as usize]
        } else {
            &mut self.edge_rr[es as usize]
        };
        let pick = match lb {
            LoadBalancer::RoundRobin => {
                let i = *rr % len;
                *rr = rr.wrapping_add(1);
                self.scratch[i as usize]
            }
            LoadBalancer::Random => self.scratch[rng.random_range(0..len) as usize],
            LoadBalancer::LeastOutstanding => {
                let offset = *rr % len;
                *rr = rr.wrapping_add(1);
                let mut best = self.scratch[offset as usize];
                for k in 1..len {
                    let r = self.scratch[((offset + k) % len) as usize];
                    if fleet.in_system(r) < fleet.in_system(best) {
                        best = r;
                    }
                }
                best
            }
            LoadBalancer::PowerOfTwo => {
                let a = rng.random_range(0..len);
                let b = (a + 1 + rng.random_range(0..len - 1)) % len;
                let (ra, rb) = (self.scratch[a as usize], self.scratch[b as usize]);
                if fleet.in_system(rb) < fleet.in_system(ra) {
                    rb
                } else {
                    ra
                }
            }
        };
        Some((pick, failover))
    }
}

// ─── the parent lends the balancer what it reads ───────────────────────────────────────────

impl super::Sim {
    /// [`Balancer::pick`] with the fleet, network, rollouts, the policies (for the caller's
    /// outlier state, edge state `es`) and the choice stream lent.
    #[inline]
    pub(super) fn pick_replica(
        &mut self,
        service: u32,
        es: u32,
        avoid: u32,
        from: u32,
    ) -> Option<(u32, bool)> {
        let seen = Seen {
            topo: &self.topo,
            fleet: &self.fleet,
            network: &self.network,
            rollouts: &self.rollouts,
            policy: &self.policy,
            now: self.now,
        };
        self.balancer
            .pick(seen, &mut self.rng_choice, service, es, avoid, from)
    }
}
