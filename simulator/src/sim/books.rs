//! Books: what the run measures — per endpoint, edge and service tallies and time series, the
//! SLO windows, the breaker log and series, ejections, entry-request counts for conservation —
//! and the closing of each time bucket. Rooms report what happened through its `record`
//! verbs; `report.rs` reads the run through its accessors. It calls no other room: what a
//! bucket's close needs from the fleet and the policies (capacity, replicas up, breakers open)
//! is lent to it as closures by the parent. Separate so that measuring never changes what is
//! measured: nothing here draws a random number or schedules an event.

use microcosm_model::resilience::Transition;

use crate::engine::Time;
use crate::metrics::{
    CAUSES, Cause, EdgeMetrics, EdgePoint, EndpointMetrics, EndpointPoint, Outcome, ServiceMetrics,
    ServicePoint, SloWindow, Tally, bucket_histogram, precise_histogram,
};

/// Breaker transitions kept for the report, at most.
const MAX_TRANSITIONS: usize = 100_000;

/// Conservation counts of entry requests, over the whole run (warm-up included).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RootCounts {
    pub generated: u64,
    pub succeeded: u64,
    pub degraded: u64,
    pub failed: u64,
}

/// A breaker's change of state on one caller replica.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BreakerChange {
    pub edge: u32,
    pub replica: u32,
    pub transition: Transition,
}

/// The run's measurements.
#[derive(Debug)]
pub(crate) struct Books {
    /// The bucket width, ns.
    interval: Time,
    /// Measurements before it are left out of the run's totals.
    warmup: Time,
    /// The bucket open now, and where it ends.
    bucket: usize,
    next_boundary: Time,
    endpoints: Vec<EndpointMetrics>,
    edges: Vec<EdgeMetrics>,
    attempt_errors: Vec<[u64; CAUSES]>,
    services: Vec<ServiceMetrics>,
    slo_windows: Vec<(String, SloWindow)>,
    breaker_series: Vec<Vec<(u32, u32)>>,
    breaker_log: Vec<BreakerChange>,
    ejections: Vec<u64>,
    roots: RootCounts,
}

impl Books {
    pub(super) fn new(
        interval: Time,
        warmup: Time,
        (endpoints, edges, services): (usize, usize, usize),
        slo_windows: Vec<(String, SloWindow)>,
    ) -> Books {
        Books {
            interval,
            warmup,
            bucket: 0,
            next_boundary: interval,
            endpoints: (0..endpoints)
                .map(|_| EndpointMetrics {
                    run: Tally::new(precise_histogram()),
                    bucket: Tally::new(bucket_histogram()),
                    series: Vec::new(),
                })
                .collect(),
            edges: (0..edges)
                .map(|_| EdgeMetrics {
                    run: Tally::new(bucket_histogram()),
                    attempts: 0,
                    rejected_attempts: 0,
                    cross_zone_attempts: 0,
                    zone_failovers: 0,
                    retries: 0,
                    budget_exhausted: 0,
                    series: Vec::new(),
                })
                .collect(),
            attempt_errors: vec![[0; CAUSES]; edges],
            services: vec![ServiceMetrics::default(); services],
            slo_windows,
            breaker_series: vec![Vec::new(); edges],
            breaker_log: Vec::new(),
            ejections: vec![0; edges],
            roots: RootCounts::default(),
        }
    }

    // ─── for report.rs ──────────────────────────────────────────────────────────────────────

    pub(crate) fn interval(&self) -> Time {
        self.interval
    }
    pub(crate) fn endpoints(&self) -> &[EndpointMetrics] {
        &self.endpoints
    }
    pub(crate) fn edges(&self) -> &[EdgeMetrics] {
        &self.edges
    }
    pub(crate) fn attempt_errors(&self) -> &[[u64; CAUSES]] {
        &self.attempt_errors
    }
    pub(crate) fn services(&self) -> &[ServiceMetrics] {
        &self.services
    }
    pub(crate) fn slo_windows(&self) -> &[(String, SloWindow)] {
        &self.slo_windows
    }
    pub(crate) fn breaker_series(&self) -> &[Vec<(u32, u32)>] {
        &self.breaker_series
    }
    pub(crate) fn breaker_log(&self) -> &[BreakerChange] {
        &self.breaker_log
    }
    pub(crate) fn ejections(&self) -> &[u64] {
        &self.ejections
    }
    pub(crate) fn roots(&self) -> RootCounts {
        self.roots
    }

    // ─── entry requests and endpoints ───────────────────────────────────────────────────────

    #[inline]
    pub(super) fn root_generated(&mut self) {
        self.roots.generated += 1;
    }

    /// An entry request found no replica in rotation: it fails at once, taking no time.
    #[inline]
    pub(super) fn root_unavailable(&mut self, endpoint: u32, now: Time) {
        self.roots.failed += 1;
        let m = &mut self.endpoints[endpoint as usize];
        if now >= self.warmup {
            m.run.record(0, Outcome::Err(Cause::Unavailable));
        }
        m.bucket.record(0, Outcome::Err(Cause::Unavailable));
    }

    #[inline]
    pub(super) fn root_done(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ok => self.roots.succeeded += 1,
            Outcome::Degraded => self.roots.degraded += 1,
            Outcome::Err(_) => self.roots.failed += 1,
        }
    }

    /// A request to `endpoint` that reached its replica at `arrived` answered at `now`.
    #[inline(always)]
    pub(super) fn request_done(
        &mut self,
        endpoint: u32,
        arrived: Time,
        now: Time,
        outcome: Outcome,
    ) {
        let m = &mut self.endpoints[endpoint as usize];
        let latency = now - arrived;
        if arrived >= self.warmup {
            m.run.record(latency, outcome);
        }
        m.bucket.record(latency, outcome);
    }

    // ─── services: arrivals, queues and workers ─────────────────────────────────────────────

    #[inline(always)]
    pub(super) fn arrival(&mut self, service: usize, original: bool, now: Time) {
        if now >= self.warmup {
            let m = &mut self.services[service];
            m.arrivals += 1;
            m.original_arrivals += u64::from(original);
        }
    }

    #[inline]
    pub(super) fn shed(&mut self, service: usize, now: Time) {
        if now >= self.warmup {
            self.services[service].shed += 1;
        }
    }

    /// A request joined a queue, now `queue_len` long.
    #[inline(always)]
    pub(super) fn queued(&mut self, service: usize, now: Time, queue_len: usize) {
        let m = &mut self.services[service];
        m.advance(now, self.warmup);
        m.queued += 1;
        m.max_queue = m.max_queue.max(queue_len as u64);
    }

    /// A queued request left its queue to start work (the time integral was advanced by the
    /// worker freed just before).
    #[inline(always)]
    pub(super) fn dequeued(&mut self, service: usize) {
        self.services[service].queued -= 1;
    }

    /// A crash emptied a queue of `n` requests.
    #[inline]
    pub(super) fn queue_dropped(&mut self, service: usize, now: Time, n: u64) {
        let m = &mut self.services[service];
        m.advance(now, self.warmup);
        m.queued -= n;
    }

    #[inline(always)]
    pub(super) fn worker_taken(&mut self, service: usize, now: Time) {
        let m = &mut self.services[service];
        m.advance(now, self.warmup);
        m.busy += 1;
    }

    #[inline(always)]
    pub(super) fn worker_freed(&mut self, service: usize, now: Time) {
        let m = &mut self.services[service];
        m.advance(now, self.warmup);
        m.busy -= 1;
    }

    // ─── edges: attempts and calls ──────────────────────────────────────────────────────────

    #[inline]
    fn edge_point(&mut self, edge: u32, bucket: usize) -> &mut EdgePoint {
        let series = &mut self.edges[edge as usize].series;
        if series.len() <= bucket {
            series.resize(bucket + 1, EdgePoint::default());
        }
        &mut series[bucket]
    }

    #[inline(always)]
    pub(super) fn attempt_rejected(&mut self, edge: u32, now: Time) {
        if now >= self.warmup {
            self.edges[edge as usize].rejected_attempts += 1;
        }
    }

    /// An attempt of a call started at `started` was sent to `callee`; `first` when it and
    /// every ancestor of the request it serves were first attempts. Retry amplification is
    /// attributed to the bucket its root request started in (`root_started`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn attempt_sent(
        &mut self,
        edge: u32,
        started: Time,
        cross_zone: bool,
        failover: bool,
        callee: usize,
        root_started: Time,
        first: bool,
    ) {
        if started >= self.warmup {
            let m = &mut self.edges[edge as usize];
            m.attempts += 1;
            m.cross_zone_attempts += u64::from(cross_zone);
            m.zone_failovers += u64::from(failover);
        }
        let p = self.edge_point(edge, self.bucket);
        p.attempts += 1;
        p.cross_zone_attempts += u64::from(cross_zone);
        p.zone_failovers += u64::from(failover);
        // Retry amplification counts attempts sent, as the static analysis does: an attempt
        // the network loses still multiplies what the callee would see, and a lost first
        // attempt must count in the denominator too.
        self.services[callee].attribute((root_started / self.interval) as usize, first);
    }

    #[inline(always)]
    pub(super) fn attempt_failed(&mut self, edge: u32, started: Time, cause: Cause) {
        if started >= self.warmup {
            self.attempt_errors[edge as usize][cause as usize] += 1;
        }
    }

    #[inline]
    pub(super) fn retry(&mut self, edge: u32, started: Time) {
        if started >= self.warmup {
            self.edges[edge as usize].retries += 1;
        }
    }

    #[inline]
    pub(super) fn budget_exhausted(&mut self, edge: u32, started: Time) {
        if started >= self.warmup {
            self.edges[edge as usize].budget_exhausted += 1;
        }
    }

    #[inline]
    pub(super) fn ejection(&mut self, edge: u32) {
        self.ejections[edge as usize] += 1;
    }

    pub(super) fn breaker_changed(&mut self, change: BreakerChange) {
        if self.breaker_log.len() < MAX_TRANSITIONS {
            self.breaker_log.push(change);
        }
    }

    /// A call on `edge` started at `started`, after `sent` attempts, resolved at `now`.
    #[inline(always)]
    pub(super) fn call_resolved(
        &mut self,
        edge: u32,
        started: Time,
        sent: u32,
        now: Time,
        outcome: Outcome,
    ) {
        if started >= self.warmup {
            self.edges[edge as usize].run.record(now - started, outcome);
        }
        let p = self.edge_point(edge, self.bucket);
        p.calls += 1;
        match outcome {
            Outcome::Err(_) => p.errors += 1,
            Outcome::Degraded => p.fallbacks += 1,
            Outcome::Ok => {}
        }
        let start_bucket = (started / self.interval) as usize;
        let p = self.edge_point(edge, start_bucket);
        p.started_calls += 1;
        p.started_attempts += u64::from(sent);
    }

    // ─── buckets ────────────────────────────────────────────────────────────────────────────

    /// Where the open bucket ends.
    pub(super) fn next_boundary(&self) -> Time {
        self.next_boundary
    }

    /// Where the open bucket started.
    pub(super) fn bucket_start(&self) -> Time {
        self.next_boundary - self.interval
    }

    /// Closes the open bucket at `end`. Lent: each service's `(workers, running replicas,
    /// replicas up)` and, per edge with a breaker, `(open, half-open)` breakers among its
    /// running callers.
    pub(super) fn close_bucket(
        &mut self,
        end: Time,
        service: impl Fn(usize) -> (u32, u32, u32),
        breakers: impl Fn(usize) -> Option<(u32, u32)>,
    ) {
        let start = self.next_boundary - self.interval;
        let width = (end - start).max(1);
        let b = self.bucket;
        for (s, m) in self.services.iter_mut().enumerate() {
            m.advance(end, self.warmup);
            let (workers, running, up) = service(s);
            let capacity = u128::from(workers) * u128::from(running);
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
            if let Some(counts) = breakers(e) {
                self.breaker_series[e].push(counts);
            }
        }
        self.bucket += 1;
        self.next_boundary = self.next_boundary.saturating_add(self.interval);
    }

    /// After the last bucket: the SLO windows judge the buckets after the warm-up.
    pub(super) fn finish(&mut self) {
        let first = self.warmup.div_ceil(self.interval) as usize;
        for (_, w) in &mut self.slo_windows {
            w.finish(first);
        }
    }
}
