//! Network: active partitions and the latency faults add per edge, with its own random stream
//! (`rng_net`) for latency and loss. It answers how long a message takes from one replica to
//! another, or why it never arrives, and whether two replicas can reach each other (what a
//! health check sees). Fault verbs name sides (`service` or `zone:NAME`); it resolves them to
//! dense ids once. Separate so that every message's fate is decided in one place.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Service(u32),
    Zone(u16),
    Nothing,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ActivePartition {
    pub(super) from: Side,
    pub(super) to: Side,
    pub(super) one_way: bool,
}

/// Whether an active partition drops messages from replica `a` to replica `b`.
#[inline]
pub(super) fn cut(partitions: &[ActivePartition], a: ReplicaRt, b: ReplicaRt) -> bool {
    if partitions.is_empty() {
        return false;
    }
    let matches = |side: Side, r: ReplicaRt| match side {
        Side::Service(s) => r.service == s,
        Side::Zone(z) => r.zone == z && z != NO_ZONE,
        Side::Nothing => false,
    };
    partitions.iter().any(|p| {
        (matches(p.from, a) && matches(p.to, b))
            || (!p.one_way && matches(p.to, a) && matches(p.from, b))
    })
}

/// Whether replicas `a` and `b` can talk both ways, as a health check needs.
#[inline]
pub(super) fn reachable(partitions: &[ActivePartition], a: ReplicaRt, b: ReplicaRt) -> bool {
    !cut(partitions, a, b) && !cut(partitions, b, a)
}

impl Sim {
    pub(super) fn side(&self, name: &str) -> Side {
        if let Some(zone) = name.strip_prefix("zone:") {
            self.topo.zone(zone).map_or(Side::Nothing, Side::Zone)
        } else {
            self.topo.service(name).map_or(Side::Nothing, Side::Service)
        }
    }

    /// The one-way delay of a message on `edge` from replica `from` to replica `to`, or why it
    /// never arrives.
    pub(super) fn hop(&mut self, edge: u32, from: u32, to: u32) -> Result<Time, Cause> {
        let (a, b) = (
            self.topo.replicas[from as usize],
            self.topo.replicas[to as usize],
        );
        if cut(&self.partitions, a, b) {
            return Err(Cause::Partition);
        }
        let e = &self.topo.edges[edge as usize];
        if e.loss > 0.0 && self.rng_net.random::<f64>() < e.loss {
            return Err(Cause::Loss);
        }
        let mut delay = e.latency.sample(&mut self.rng_net);
        if a.zone != b.zone && a.zone != NO_ZONE && b.zone != NO_ZONE {
            delay += self.topo.cross_zone.sample(&mut self.rng_net);
        }
        Ok(delay + self.extra_latency[edge as usize])
    }
}
