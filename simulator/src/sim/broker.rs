//! Broker: topics' subscriptions (backlog, consumers in flight, lag and delivery measurements)
//! and the deliveries slab. A successful request publishes here; deliveries go to consumer
//! replicas as requests (`requests`, through `balancer`), and their outcome acknowledges,
//! loses or redelivers them. Separate because a topic's at-most-once / at-least-once
//! bookkeeping concerns no other room.

use super::*;
use crate::metrics::Tally;

#[derive(Debug, Clone, Copy)]
pub(super) struct DeliveryRt {
    pub(super) sub: u32,
    pub(super) published: Time,
}

/// A subscription's broker-side state and measurements.
#[derive(Debug, Clone)]
pub(crate) struct SubState {
    pub(super) backlog: VecDeque<Ref>,
    pub(super) in_flight: u32,
    pub(super) limit: u32,
    pub(super) rr: u32,
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

impl Sim {
    pub(super) fn publish(&mut self, topic: u32) {
        for k in 0..self.topo.topic_subscriptions[topic as usize].len() {
            let sub = self.topo.topic_subscriptions[topic as usize][k];
            let d = self.deliveries.insert(DeliveryRt {
                sub,
                published: self.now,
            });
            let st = &mut self.subs[sub as usize];
            st.published += 1;
            st.backlog.push_back(d);
            st.max_lag = st.max_lag.max(st.lag());
            self.dispatch_sub(sub);
        }
    }

    /// Hands queued events to consumers, at most as many at once as the group has workers.
    pub(super) fn dispatch_sub(&mut self, sub: u32) {
        loop {
            let st = &mut self.subs[sub as usize];
            if st.in_flight >= st.limit {
                return;
            }
            let Some(d) = st.backlog.pop_front() else {
                return;
            };
            let handlers = &self.topo.subscriptions[sub as usize].handlers;
            let handler = handlers[(st.rr as usize) % handlers.len()];
            st.rr = st.rr.wrapping_add(1);
            let service = self.topo.endpoints[handler as usize].service;
            let Some((replica, _)) = self.pick_replica(service, NONE, NONE, NONE) else {
                // Nobody in rotation: try again later.
                let st = &mut self.subs[sub as usize];
                st.in_flight += 1;
                self.queue
                    .push(self.now + REDELIVERY_DELAY, Ev::Redeliver(d));
                return;
            };
            self.subs[sub as usize].in_flight += 1;
            let delay = self.network.broker_delay(&self.topo);
            let j = self.jobs.insert(Job {
                endpoint: handler,
                replica,
                parent: Parent::Topic(d),
                arrived: self.now,
                step: 0,
                pending: 0,
                state: JobState::InTransit,
                degraded: false,
                original: true,
                root_started: self.now,
            });
            self.queue.push(self.now + delay, Ev::JobArrive(j));
        }
    }

    pub(super) fn delivery_done(&mut self, d: Ref, outcome: Outcome) {
        let Some(&del) = self.deliveries.get(d) else {
            return;
        };
        let sub = del.sub as usize;
        match outcome {
            Outcome::Ok | Outcome::Degraded => {
                self.deliveries.remove(d);
                let st = &mut self.subs[sub];
                st.in_flight -= 1;
                st.acked += 1;
                if del.published >= self.warmup {
                    st.latency.record(self.now - del.published, outcome);
                }
            }
            Outcome::Err(_) => {
                if self.topo.subscriptions[sub].delivery == Delivery::AtMostOnce {
                    self.deliveries.remove(d);
                    let st = &mut self.subs[sub];
                    st.in_flight -= 1;
                    st.lost += 1;
                } else {
                    // At-least-once: the event stays unacknowledged and comes back later; it
                    // keeps its consumer slot meanwhile, as an unacknowledged message does.
                    self.subs[sub].redelivered += 1;
                    self.queue
                        .push(self.now + REDELIVERY_DELAY, Ev::Redeliver(d));
                    return;
                }
            }
        }
        self.dispatch_sub(sub as u32);
    }
}
