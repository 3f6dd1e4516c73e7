//! Books: what the run measures: per endpoint, edge and service tallies and time series, the
//! SLO windows, breaker series, entry-request counts for conservation, and the closing of
//! each time bucket. `report.rs` reads the run through this. Separate so that measuring never
//! changes what is measured: nothing here draws a random number or schedules an event.

use super::*;

/// Conservation counts of entry requests, over the whole run (warm-up included).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RootCounts {
    pub generated: u64,
    pub succeeded: u64,
    pub degraded: u64,
    pub failed: u64,
}

impl Sim {
    pub(super) fn edge_point(&mut self, edge: u32, bucket: usize) -> &mut EdgePoint {
        let series = &mut self.edges[edge as usize].series;
        if series.len() <= bucket {
            series.resize(bucket + 1, EdgePoint::default());
        }
        &mut series[bucket]
    }

    pub(super) fn close_bucket(&mut self, end: Time) {
        let start = self.next_boundary - self.interval;
        let width = (end - start).max(1);
        let b = self.bucket;
        for (s, m) in self.services.iter_mut().enumerate() {
            m.advance(end, self.warmup);
            let svc = &self.topo.services[s];
            let capacity = u128::from(svc.workers) * u128::from(self.running[s]);
            let up = (svc.first_replica..svc.first_replica + svc.slots)
                .filter(|&r| {
                    let st = &self.replicas[r as usize];
                    !st.down && !st.standby
                })
                .count() as u32;
            m.series.push(ServicePoint {
                queue: m.bucket_queue as f64 / width as f64,
                utilisation: if capacity == 0 {
                    0.0
                } else {
                    m.bucket_busy as f64 / (capacity * u128::from(width)) as f64
                },
                replicas_up: up,
                caused_arrivals: m.open_caused.0,
                caused_original: m.open_caused.1,
            });
            m.open_caused = (0, 0);
            m.bucket_busy = 0;
            m.bucket_queue = 0;
        }
        let counts_for_slos = start >= self.warmup;
        for (ep, m) in self.endpoints.iter_mut().enumerate() {
            m.series.push(EndpointPoint::of(&m.bucket));
            if counts_for_slos {
                for (_, w) in &mut self.slo_windows {
                    if w.endpoint == ep as u32 {
                        w.push(b, &m.bucket);
                    }
                }
            }
            m.bucket.reset();
        }
        for e in 0..self.edges.len() {
            self.edge_point(e as u32, b);
            if self.topo.edges[e].breaker.is_some() {
                let base = self.edge_state_base[e] as usize;
                let caller = &self.topo.services[self.topo.edges[e].caller as usize];
                let (first, n) = (caller.first_replica as usize, caller.slots as usize);
                let (mut open, mut half) = (0, 0);
                for (k, st) in self.edge_states[base..base + n].iter().enumerate() {
                    if self.replicas[first + k].standby {
                        continue;
                    }
                    match st.breaker.as_ref().map(Breaker::state) {
                        Some(microcosm_model::resilience::BreakerState::Open)
                        | Some(microcosm_model::resilience::BreakerState::ForcedOpen) => open += 1,
                        Some(microcosm_model::resilience::BreakerState::HalfOpen) => half += 1,
                        _ => {}
                    }
                }
                self.breaker_series[e].push((open, half));
            }
        }
        for st in &mut self.subs {
            let lag = st.lag();
            st.series.push(lag);
        }
        self.bucket += 1;
        self.next_boundary = self.next_boundary.saturating_add(self.interval);
    }
}
