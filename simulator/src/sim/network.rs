//! Network: active partitions and the latency faults add per edge, with its own random stream
//! (`rng_net`) for latency and loss. It answers how long a message takes from one replica to
//! another, or why it never arrives, and whether two replicas can reach each other (what a
//! health check sees). Fault verbs name sides (`service` or `zone:NAME`); `side` resolves them
//! to dense ids once, and the room itself never sees a name. It calls no other room: the
//! topology is lent to it. Separate so that every message's fate is decided in one place.

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::engine::Time;
use crate::metrics::Cause;
use crate::topology::{NO_ZONE, ReplicaRt, Topology};

/// One side of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Service(u32),
    Zone(u16),
    /// A name that resolves to nothing: it matches no replica.
    Nothing,
}

#[derive(Debug, Clone, Copy)]
struct ActivePartition {
    from: Side,
    to: Side,
    one_way: bool,
}

/// The network between replicas.
#[derive(Debug, Clone)]
pub(super) struct Network {
    partitions: Vec<ActivePartition>,
    /// Per edge: latency added by faults and verbs, in ns.
    extra_latency: Vec<u64>,
    rng: Xoshiro256PlusPlus,
}

impl Network {
    pub(super) fn new(edges: usize, rng: Xoshiro256PlusPlus) -> Network {
        Network {
            partitions: Vec::new(),
            extra_latency: vec![0; edges],
            rng,
        }
    }

    /// Resolves a partition side's name: a service, or `zone:NAME`.
    pub(super) fn side(topo: &Topology, name: &str) -> Side {
        if let Some(zone) = name.strip_prefix("zone:") {
            topo.zone(zone).map_or(Side::Nothing, Side::Zone)
        } else {
            topo.service(name).map_or(Side::Nothing, Side::Service)
        }
    }

    pub(super) fn partition(&mut self, from: Side, to: Side, one_way: bool) {
        self.partitions.push(ActivePartition { from, to, one_way });
    }

    /// Heals the partitions declared from `from` to `to`.
    pub(super) fn heal(&mut self, from: Side, to: Side) {
        self.partitions.retain(|p| !(p.from == from && p.to == to));
    }

    /// The latency added on `edge`, for a verb or a fault to change.
    pub(super) fn extra_latency(&mut self, edge: u32) -> &mut u64 {
        &mut self.extra_latency[edge as usize]
    }

    /// Whether an active partition drops messages from replica `a` to replica `b`.
    #[inline]
    fn cut(&self, a: ReplicaRt, b: ReplicaRt) -> bool {
        if self.partitions.is_empty() {
            return false;
        }
        let matches = |side: Side, r: ReplicaRt| match side {
            Side::Service(s) => r.service == s,
            Side::Zone(z) => r.zone == z && z != NO_ZONE,
            Side::Nothing => false,
        };
        self.partitions.iter().any(|p| {
            (matches(p.from, a) && matches(p.to, b))
                || (!p.one_way && matches(p.to, a) && matches(p.from, b))
        })
    }

    /// Whether replicas `a` and `b` can talk both ways, as a health check needs.
    #[inline]
    pub(super) fn reachable(&self, a: ReplicaRt, b: ReplicaRt) -> bool {
        !self.cut(a, b) && !self.cut(b, a)
    }

    /// The one-way delay of a message on `edge` from replica `from` to replica `to`, or why it
    /// never arrives.
    pub(super) fn hop(
        &mut self,
        topo: &Topology,
        edge: u32,
        from: u32,
        to: u32,
    ) -> Result<Time, Cause> {
        let (a, b) = (topo.replicas[from as usize], topo.replicas[to as usize]);
        if self.cut(a, b) {
            return Err(Cause::Partition);
        }
        let e = &topo.edges[edge as usize];
        if e.loss > 0.0 && self.rng.random::<f64>() < e.loss {
            return Err(Cause::Loss);
        }
        let mut delay = e.latency.sample(&mut self.rng);
        if a.zone != b.zone && a.zone != NO_ZONE && b.zone != NO_ZONE {
            delay += topo.cross_zone.sample(&mut self.rng);
        }
        Ok(delay + self.extra_latency[edge as usize])
    }

    /// The delay of a topic delivery from the broker to a consumer: the default latency, drawn
    /// from this room's stream like every other message's.
    pub(super) fn broker_delay(&mut self, topo: &Topology) -> Time {
        topo.default_latency.sample(&mut self.rng)
    }
}
