//! Broker: topics' subscriptions (backlog, consumers in flight, lag and delivery measurements)
//! and the deliveries slab. A successful request publishes here; the broker says which event
//! goes next to which handler, and how a delivery's outcome ends it: acknowledged, lost, or
//! redelivered later (a timer it sets through the lent queue). It calls no other room: turning
//! a delivery into a request on a replica needs the balancer, the network and the requests,
//! and is the parent's `dispatch_sub`, at the end of this file. Separate because a topic's
//! at-most-once / at-least-once bookkeeping concerns no other room.

use std::collections::VecDeque;

use microcosm_model::Delivery;

use super::{Ev, NONE, Parent};
use crate::engine::{EventQueue, Ref, Slab, Time};
use crate::metrics::{Outcome, Tally, bucket_histogram};
use crate::topology::Topology;

/// How long a failed topic delivery waits before it is redelivered.
const REDELIVERY_DELAY: Time = 1_000_000_000;

#[derive(Debug, Clone, Copy)]
struct DeliveryRt {
    sub: u32,
    published: Time,
}

/// A subscription's broker-side state and measurements.
#[derive(Debug, Clone)]
pub(crate) struct SubState {
    backlog: VecDeque<Ref>,
    in_flight: u32,
    limit: u32,
    rr: u32,
    pub published: u64,
    pub acked: u64,
    pub lost: u64,
    pub redelivered: u64,
    pub max_lag: u64,
    pub latency: Tally,
    pub series: Vec<u64>,
}

impl SubState {
    pub fn lag(&self) -> u64 {
        self.backlog.len() as u64 + u64::from(self.in_flight)
    }
}

/// The topics' subscriptions and the deliveries in flight.
#[derive(Debug)]
pub(crate) struct Broker {
    subs: Vec<SubState>,
    deliveries: Slab<DeliveryRt>,
}

impl Broker {
    pub(super) fn new(topo: &Topology) -> Broker {
        let subs = topo
            .subscriptions
            .iter()
            .map(|s| {
                let limit = s
                    .handlers
                    .iter()
                    .map(|&h| {
                        let svc = &topo.services[topo.endpoints[h as usize].service as usize];
                        svc.workers.saturating_mul(svc.replicas)
                    })
                    .fold(0u32, u32::saturating_add)
                    .max(1);
                SubState {
                    backlog: VecDeque::new(),
                    in_flight: 0,
                    limit,
                    rr: 0,
                    published: 0,
                    acked: 0,
                    lost: 0,
                    redelivered: 0,
                    max_lag: 0,
                    latency: Tally::new(bucket_histogram()),
                    series: Vec::new(),
                }
            })
            .collect();
        Broker {
            subs,
            deliveries: Slab::default(),
        }
    }

    /// The subscriptions, for the report.
    pub(crate) fn subs(&self) -> &[SubState] {
        &self.subs
    }

    /// An event published at `now` joins subscription `sub`'s backlog.
    pub(super) fn publish(&mut self, sub: u32, now: Time) {
        let d = self.deliveries.insert(DeliveryRt {
            sub,
            published: now,
        });
        let st = &mut self.subs[sub as usize];
        st.published += 1;
        st.backlog.push_back(d);
        st.max_lag = st.max_lag.max(st.lag());
    }

    /// The next queued event of `sub` and the handler endpoint it goes to, if the group has a
    /// consumer free: it counts as in flight from here, delivered or not.
    pub(super) fn take_next(&mut self, topo: &Topology, sub: u32) -> Option<(Ref, u32)> {
        let st = &mut self.subs[sub as usize];
        if st.in_flight >= st.limit {
            return None;
        }
        let d = st.backlog.pop_front()?;
        let handlers = &topo.subscriptions[sub as usize].handlers;
        let handler = handlers[(st.rr as usize) % handlers.len()];
        st.rr = st.rr.wrapping_add(1);
        st.in_flight += 1;
        Some((d, handler))
    }

    /// Delivery `d` is handed back to try later: nobody was in rotation to take it.
    pub(super) fn retry_later(d: Ref, now: Time, queue: &mut EventQueue<Ev>) {
        queue.push(now + REDELIVERY_DELAY, Ev::Redeliver(d));
    }

    /// A redelivery is due: the event goes back to the head of its backlog. Returns the
    /// subscription to dispatch, unless the delivery is gone.
    pub(super) fn redeliver(&mut self, d: Ref) -> Option<u32> {
        let del = self.deliveries.get(d)?;
        let st = &mut self.subs[del.sub as usize];
        st.in_flight -= 1;
        st.backlog.push_front(d);
        Some(del.sub)
    }

    /// The consumer handling delivery `d` answered at `now`: acknowledged, lost (at most
    /// once), or redelivered later (at least once). Returns the subscription to dispatch, when
    /// a consumer slot was freed.
    pub(super) fn delivery_done(
        &mut self,
        topo: &Topology,
        d: Ref,
        outcome: Outcome,
        (now, warmup): (Time, Time),
        queue: &mut EventQueue<Ev>,
    ) -> Option<u32> {
        let &del = self.deliveries.get(d)?;
        let sub = del.sub as usize;
        match outcome {
            Outcome::Ok | Outcome::Degraded => {
                self.deliveries.remove(d);
                let st = &mut self.subs[sub];
                st.in_flight -= 1;
                st.acked += 1;
                if del.published >= warmup {
                    st.latency.record(now - del.published, outcome);
                }
            }
            Outcome::Err(_) => {
                if topo.subscriptions[sub].delivery == Delivery::AtMostOnce {
                    self.deliveries.remove(d);
                    let st = &mut self.subs[sub];
                    st.in_flight -= 1;
                    st.lost += 1;
                } else {
                    // At-least-once: the event stays unacknowledged and comes back later; it
                    // keeps its consumer slot meanwhile, as an unacknowledged message does.
                    self.subs[sub].redelivered += 1;
                    queue.push(now + REDELIVERY_DELAY, Ev::Redeliver(d));
                    return None;
                }
            }
        }
        Some(del.sub)
    }

    /// At a bucket's end: each subscription's lag joins its series.
    pub(super) fn close_bucket(&mut self) {
        for st in &mut self.subs {
            let lag = st.lag();
            st.series.push(lag);
        }
    }
}

// ─── where the broker meets the balancer, the network and the requests ─────────────────────

impl super::Sim {
    /// A successful request on an endpoint that publishes `topic`: each subscription gets the
    /// event and hands out what it can.
    pub(super) fn publish(&mut self, topic: u32) {
        for k in 0..self.topo.topic_subscriptions[topic as usize].len() {
            let sub = self.topo.topic_subscriptions[topic as usize][k];
            self.broker.publish(sub, self.now);
            self.dispatch_sub(sub);
        }
    }

    /// Hands queued events to consumers, at most as many at once as the group has workers.
    pub(super) fn dispatch_sub(&mut self, sub: u32) {
        while let Some((d, handler)) = self.broker.take_next(&self.topo, sub) {
            let service = self.topo.endpoints[handler as usize].service;
            let Some((replica, _)) = self.pick_replica(service, NONE, NONE, NONE) else {
                // Nobody in rotation: try again later.
                Broker::retry_later(d, self.now, &mut self.queue);
                return;
            };
            let delay = self.network.broker_delay(&self.topo);
            let j = self.requests.spawn(
                (handler, replica),
                Parent::Topic(d),
                self.now,
                true,
                self.now,
            );
            self.queue.push(self.now + delay, Ev::JobArrive(j));
        }
    }

    pub(super) fn delivery_done(&mut self, d: Ref, outcome: Outcome) {
        let (now, warmup) = (self.now, self.warmup);
        if let Some(sub) =
            self.broker
                .delivery_done(&self.topo, d, outcome, (now, warmup), &mut self.queue)
        {
            self.dispatch_sub(sub);
        }
    }
}
