//! Streaming measurement: what the engine records as requests complete, in memory that does not
//! grow with the number of requests — counters, HDR histograms (Gil Tene's HdrHistogram: fixed
//! relative precision, constant memory) for the whole run and for the current time bucket, one
//! small summary point per bucket, and the sliding windows over which each SLO's worst period
//! is found.
//!
//! Requests are counted in the run's totals when they *arrive* after the warm-up (the usual
//! steady-state rule) and in the time series by the bucket they *complete* in.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::engine::Time;

/// Why a request or call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Cause {
    /// An attempt outlived its per-try timeout.
    Timeout,
    /// The call outlived its overall deadline.
    Deadline,
    /// The caller's circuit breaker rejected the call.
    BreakerOpen,
    /// The callee's queue was full.
    Shed,
    /// The callee's replica was down, or went down while working on it.
    Crash,
    /// An experiment's error injection.
    Injected,
    /// A network partition dropped the request or its answer.
    Partition,
    /// The network lost the request or its answer.
    Loss,
    /// The caller's bulkhead had no slot.
    Bulkhead,
    /// The caller's rate limiter gave no permit in time.
    RateLimited,
    /// No replica of the callee was in rotation (all restarting).
    Unavailable,
    /// The mesh's security policy denied the call.
    Denied,
}

/// Number of [`Cause`]s.
pub const CAUSES: usize = 12;

impl Cause {
    /// Every cause, in report order.
    pub const ALL: [Cause; CAUSES] = [
        Cause::Timeout,
        Cause::Deadline,
        Cause::BreakerOpen,
        Cause::Shed,
        Cause::Crash,
        Cause::Injected,
        Cause::Partition,
        Cause::Loss,
        Cause::Bulkhead,
        Cause::RateLimited,
        Cause::Unavailable,
        Cause::Denied,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Timeout => "timeout",
            Cause::Deadline => "deadline",
            Cause::BreakerOpen => "breaker_open",
            Cause::Shed => "shed",
            Cause::Crash => "crash",
            Cause::Injected => "injected",
            Cause::Partition => "partition",
            Cause::Loss => "loss",
            Cause::Bulkhead => "bulkhead",
            Cause::RateLimited => "rate_limited",
            Cause::Unavailable => "unavailable",
            Cause::Denied => "denied",
        }
    }
}

/// How a request or call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered normally.
    Ok,
    /// Answered, but some dependency's failure was covered by a fallback.
    Degraded,
    /// Failed.
    Err(Cause),
}

/// Latencies are recorded in microseconds from 1 µs to one hour.
const HIST_MAX_US: u64 = 3_600_000_000;

/// A run-level histogram: 3 significant digits.
pub fn precise_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("valid histogram bounds")
}

/// A per-bucket histogram: 2 significant digits keep a bucket at about 25 KiB.
pub fn bucket_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 2).expect("valid histogram bounds")
}

#[inline]
fn to_us(ns: u64) -> u64 {
    ns.div_ceil(1000).clamp(1, HIST_MAX_US)
}

/// A value at a quantile, in milliseconds.
pub fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Counts of one endpoint or edge: requests, good answers, failures by cause, latency.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Requests (or calls) recorded, whatever their outcome.
    pub requests: u64,
    /// Of which answered normally.
    pub successes: u64,
    /// Of which answered through a fallback.
    pub degraded: u64,
    /// Of which failed, by cause (indexed by `Cause as usize`).
    pub errors: [u64; CAUSES],
    /// Sum of the latencies recorded, ns (exact, for the mean).
    pub sum_ns: u128,
    /// The longest latency recorded, ns (exact).
    pub max_ns: u64,
    /// The latencies recorded, in µs rounded up (1 µs to one hour), for percentiles.
    pub hist: Histogram<u64>,
}

impl Tally {
    /// An empty tally over `hist` ([`precise_histogram`] or [`bucket_histogram`]).
    pub fn new(hist: Histogram<u64>) -> Tally {
        Tally {
            requests: 0,
            successes: 0,
            degraded: 0,
            errors: [0; CAUSES],
            sum_ns: 0,
            max_ns: 0,
            hist,
        }
    }

    /// Counts one request that took `latency` ns and ended with `outcome`.
    #[inline]
    pub fn record(&mut self, latency: u64, outcome: Outcome) {
        self.requests += 1;
        match outcome {
            Outcome::Ok => self.successes += 1,
            Outcome::Degraded => self.degraded += 1,
            Outcome::Err(c) => self.errors[c as usize] += 1,
        }
        self.sum_ns += u128::from(latency);
        self.max_ns = self.max_ns.max(latency);
        self.hist.saturating_record(to_us(latency));
    }

    /// Requests that failed, all causes together.
    pub fn failed(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Mean latency in milliseconds (0 without requests).
    pub fn mean_ms(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.requests as f64 / 1e6
        }
    }

    /// Empties the tally for the next bucket, keeping the histogram's allocation.
    pub fn reset(&mut self) {
        if self.requests > 0 {
            self.requests = 0;
            self.successes = 0;
            self.degraded = 0;
            self.errors = [0; CAUSES];
            self.sum_ns = 0;
            self.max_ns = 0;
            self.hist.reset();
        }
    }
}

/// One endpoint's summary over one time bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointPoint {
    /// Requests completed in the bucket.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Of which answered with a fallback.
    pub degraded: u64,
    /// Median latency of the bucket's requests, ms (to 2 significant digits).
    pub p50_ms: f64,
    /// 90th-percentile latency of the bucket's requests, ms (to 2 significant digits).
    pub p90_ms: f64,
    /// 99th-percentile latency of the bucket's requests, ms (to 2 significant digits).
    pub p99_ms: f64,
    /// 99.9th-percentile latency of the bucket's requests, ms (to 2 significant digits).
    pub p999_ms: f64,
    /// Longest latency of the bucket's requests, ms (exact).
    pub max_ms: f64,
    /// Mean latency of the bucket's requests, ms (exact).
    pub mean_ms: f64,
}

impl EndpointPoint {
    /// The summary of one bucket's tally.
    pub fn of(t: &Tally) -> EndpointPoint {
        EndpointPoint {
            requests: t.requests,
            errors: t.failed(),
            degraded: t.degraded,
            p50_ms: quantile_ms(&t.hist, 0.5),
            p90_ms: quantile_ms(&t.hist, 0.9),
            p99_ms: quantile_ms(&t.hist, 0.99),
            p999_ms: quantile_ms(&t.hist, 0.999),
            max_ms: t.max_ns as f64 / 1e6,
            mean_ms: t.mean_ms(),
        }
    }
}

/// An endpoint's measurements.
#[derive(Debug, Clone)]
pub struct EndpointMetrics {
    /// After the warm-up.
    pub run: Tally,
    /// The current bucket, warm-up included.
    pub bucket: Tally,
    /// One point per closed bucket, from the start of the run.
    pub series: Vec<EndpointPoint>,
}

/// An edge's per-bucket counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EdgePoint {
    /// Logical calls completed in the bucket.
    pub calls: u64,
    /// Attempts sent in the bucket.
    pub attempts: u64,
    /// Calls that failed (after retries, without fallback).
    pub errors: u64,
    /// Calls answered by the fallback.
    pub fallbacks: u64,
    /// Calls started in the bucket that have completed.
    pub started_calls: u64,
    /// Their attempts: `started_attempts / started_calls` is the bucket's amplification.
    pub started_attempts: u64,
    /// Attempts sent in the bucket to a replica in another zone than the caller's.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cross_zone_attempts: u64,
    /// Of which sent there because the caller's zone had no healthy replica (zone-aware
    /// services only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub zone_failovers: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A call edge's measurements.
#[derive(Debug, Clone)]
pub struct EdgeMetrics {
    /// Logical calls started after the warm-up, measured when they end, from start to end
    /// across all attempts and backoffs.
    pub run: Tally,
    /// Attempts sent to the callee (after the warm-up).
    pub attempts: u64,
    /// Attempts refused before being sent (breaker, bulkhead, rate limiter, security policy,
    /// no callee replica in rotation), after the warm-up.
    pub rejected_attempts: u64,
    /// Attempts sent to another zone than the caller's (of calls started after the warm-up).
    pub cross_zone_attempts: u64,
    /// Of those, attempts sent there because the caller's zone had no healthy replica.
    pub zone_failovers: u64,
    /// Retries scheduled (of calls started after the warm-up).
    pub retries: u64,
    /// Retries the budget refused (of calls started after the warm-up).
    pub budget_exhausted: u64,
    /// One point per bucket, from the start of the run.
    pub series: Vec<EdgePoint>,
}

/// A service's per-bucket load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicePoint {
    /// Time-averaged requests waiting in queues.
    pub queue: f64,
    /// Time-averaged share of workers busy, in [0, 1].
    pub utilisation: f64,
    /// Replicas up at the end of the bucket.
    pub replicas_up: u32,
    /// Attempts sent to this service on behalf of the requests that entered the system in this
    /// bucket, whenever they were sent (a retry a second later still counts against the request
    /// that caused it), delivered or lost on the way.
    #[serde(default)]
    pub caused_arrivals: u64,
    /// Of those, the attempts whose every ancestor was a first attempt: what the same requests
    /// would have sent without retries. `caused_arrivals / caused_original` is the bucket's
    /// retry amplification here.
    #[serde(default)]
    pub caused_original: u64,
}

/// A service's measurements.
#[derive(Debug, Clone, Default)]
pub struct ServiceMetrics {
    /// Workers busy now, over all replicas.
    pub busy: u64,
    /// Requests waiting in queues now, over all replicas.
    pub queued: u64,
    /// When the areas were last advanced.
    pub last: Time,
    /// ∫ busy dt after the warm-up, worker·ns.
    pub area_busy: u128,
    /// ∫ queued dt after the warm-up, request·ns.
    pub area_queue: u128,
    /// ∫ busy dt over the current bucket, worker·ns.
    pub bucket_busy: u128,
    /// ∫ queued dt over the current bucket, request·ns.
    pub bucket_queue: u128,
    /// The longest queue of any one replica, warm-up included.
    pub max_queue: u64,
    /// Requests that reached a replica after the warm-up.
    pub arrivals: u64,
    /// Of those, the ones whose every ancestor was a first attempt.
    pub original_arrivals: u64,
    /// `caused_arrivals` and `caused_original` of the bucket still open.
    pub open_caused: (u64, u64),
    /// Requests refused on a full queue after the warm-up.
    pub shed: u64,
    /// One point per closed bucket, from the start of the run.
    pub series: Vec<ServicePoint>,
}

impl ServiceMetrics {
    /// Counts an attempt sent here against the bucket its request entered the system in: a
    /// closed one (a retry sent after its request's bucket ended) or the open one.
    #[inline]
    pub fn attribute(&mut self, bucket: usize, original: bool) {
        let slot = match self.series.get_mut(bucket) {
            Some(p) => (&mut p.caused_arrivals, &mut p.caused_original),
            None => (&mut self.open_caused.0, &mut self.open_caused.1),
        };
        *slot.0 += 1;
        *slot.1 += u64::from(original);
    }

    /// Accumulates the areas up to `now`.
    #[inline]
    pub fn advance(&mut self, now: Time, warmup: Time) {
        if now > self.last {
            let from = self.last.max(warmup);
            if now > from {
                let dt = u128::from(now - from);
                self.area_busy += u128::from(self.busy) * dt;
                self.area_queue += u128::from(self.queued) * dt;
            }
            let dt = u128::from(now - self.last);
            self.bucket_busy += u128::from(self.busy) * dt;
            self.bucket_queue += u128::from(self.queued) * dt;
            self.last = now;
        }
    }
}

/// Slots of an SLO's sliding window, at most: each holds a histogram (about 25 KiB), so a
/// window is at most about 25 MiB whatever its length and the bucket width. A window longer
/// than this many buckets slides by groups of buckets instead of one at a time.
pub const MAX_WINDOW_SLOTS: usize = 1_000;

/// Sliding-window state of one SLO, stepped once per bucket.
///
/// The window is a ring of `len` slots of `group` buckets each: `group` is 1 (the window
/// slides bucket by bucket) unless the window spans more than [`MAX_WINDOW_SLOTS`] buckets;
/// then it slides `group` buckets at a time and spans `len · group` buckets, at most
/// `group − 1` more than asked (and the last `group − 1` buckets of a run may end in no
/// complete window).
#[derive(Debug, Clone)]
pub struct SloWindow {
    /// The SLO's endpoint (index in the topology).
    pub endpoint: u32,
    /// Window length in slots.
    pub len: usize,
    /// Buckets per slot.
    pub group: usize,
    /// The slot being filled: requests, good, latencies, and buckets in it so far.
    pending: (u64, u64, Histogram<u64>, usize),
    ring: Vec<(u64, u64, Histogram<u64>)>,
    pos: usize,
    filled: usize,
    requests: u64,
    good: u64,
    window: Histogram<u64>,
    /// Latency targets as (quantile, ms).
    pub targets: Vec<(f64, f64)>,
    /// Worst availability and the bucket the window starts at.
    pub worst_availability: Option<(f64, usize)>,
    /// Worst value per latency target and the bucket its window starts at.
    pub worst_latency: Vec<Option<(f64, usize)>>,
    evaluated: bool,
}

impl SloWindow {
    /// A window of `buckets` buckets on `endpoint`, with latency `targets` as (quantile, ms).
    pub fn new(endpoint: u32, buckets: usize, targets: Vec<(f64, f64)>) -> SloWindow {
        let buckets = buckets.max(1);
        let group = buckets.div_ceil(MAX_WINDOW_SLOTS);
        let len = buckets.div_ceil(group);
        SloWindow {
            endpoint,
            len,
            group,
            pending: (0, 0, bucket_histogram(), 0),
            ring: (0..len).map(|_| (0, 0, bucket_histogram())).collect(),
            pos: 0,
            filled: 0,
            requests: 0,
            good: 0,
            window: bucket_histogram(),
            worst_latency: vec![None; targets.len()],
            targets,
            worst_availability: None,
            evaluated: false,
        }
    }

    /// Slides the window over one more bucket (`index`), given that bucket's tally.
    pub fn push(&mut self, index: usize, bucket: &Tally) {
        let p = &mut self.pending;
        p.0 += bucket.requests;
        p.1 += bucket.successes + bucket.degraded;
        p.2.add(&bucket.hist).expect("same-shaped histograms add");
        p.3 += 1;
        if p.3 == self.group {
            self.commit(index);
        }
    }

    /// Moves the pending slot into the ring, whose oldest slot leaves the window, and
    /// evaluates the window if it is full; `index` is the last bucket in the slot.
    fn commit(&mut self, index: usize) {
        let slot = &mut self.ring[self.pos];
        if self.filled == self.len {
            self.requests -= slot.0;
            self.good -= slot.1;
            self.window
                .subtract(&slot.2)
                .expect("same-shaped histograms subtract");
        } else {
            self.filled += 1;
        }
        let p = &mut self.pending;
        slot.0 = p.0;
        slot.1 = p.1;
        slot.2.reset();
        slot.2.add(&p.2).expect("same-shaped histograms add");
        self.requests += p.0;
        self.good += p.1;
        self.window.add(&p.2).expect("same-shaped histograms add");
        p.0 = 0;
        p.1 = 0;
        p.2.reset();
        p.3 = 0;
        self.pos = (self.pos + 1) % self.len;
        if self.filled == self.len {
            self.evaluate(index + 1 - self.len * self.group);
        }
    }

    /// Evaluates a partial window when the run was shorter than one window.
    pub fn finish(&mut self, first_bucket: usize) {
        if !self.evaluated && (self.filled > 0 || self.pending.3 > 0) {
            if self.pending.3 > 0 {
                self.requests += self.pending.0;
                self.good += self.pending.1;
                self.window
                    .add(&self.pending.2)
                    .expect("same-shaped histograms add");
            }
            self.evaluate(first_bucket);
        }
    }

    fn evaluate(&mut self, start: usize) {
        self.evaluated = true;
        if self.requests > 0 {
            let a = self.good as f64 / self.requests as f64;
            if self.worst_availability.is_none_or(|(w, _)| a < w) {
                self.worst_availability = Some((a, start));
            }
            for (i, (q, _)) in self.targets.iter().enumerate() {
                let v = quantile_ms(&self.window, *q);
                if self.worst_latency[i].is_none_or(|(w, _)| v > w) {
                    self.worst_latency[i] = Some((v, start));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_and_measures() {
        let mut t = Tally::new(precise_histogram());
        t.record(1_000_000, Outcome::Ok);
        t.record(3_000_000, Outcome::Err(Cause::Timeout));
        t.record(2_000_000, Outcome::Degraded);
        assert_eq!(
            (t.requests, t.successes, t.degraded, t.failed()),
            (3, 1, 1, 1)
        );
        assert_eq!(t.mean_ms(), 2.0);
        assert!((quantile_ms(&t.hist, 0.5) - 2.0).abs() < 0.01);
    }

    #[test]
    fn the_worst_window_is_found() {
        let mut w = SloWindow::new(0, 2, vec![(0.99, 10.0)]);
        let mut b = Tally::new(bucket_histogram());
        for (i, bad) in [0u64, 0, 5, 0, 0].into_iter().enumerate() {
            b.reset();
            for k in 0..10 {
                let outcome = if k < bad {
                    Outcome::Err(Cause::Crash)
                } else {
                    Outcome::Ok
                };
                b.record(1_000_000 * (1 + i as u64), outcome);
            }
            w.push(i, &b);
        }
        // Windows of two buckets: the worst holds bucket 2 and starts at 1 or 2; the first wins.
        assert_eq!(w.worst_availability, Some((0.75, 1)));
        assert_eq!(w.worst_latency[0].map(|(_, s)| s), Some(3));
    }

    #[test]
    fn a_window_of_many_buckets_keeps_a_bounded_ring_and_slides_by_groups() {
        // 2,500 buckets: 834 slots of 3 buckets, not 2,500 histograms.
        let mut w = SloWindow::new(0, 2_500, vec![]);
        assert_eq!((w.len, w.group), (834, 3));
        assert_eq!(w.ring.len(), 834);
        let mut b = Tally::new(bucket_histogram());
        // 3,000 good buckets with one bad run of 30 buckets from bucket 2,800.
        for i in 0..3_000 {
            b.reset();
            let outcome = if (2_800..2_830).contains(&i) {
                Outcome::Err(Cause::Crash)
            } else {
                Outcome::Ok
            };
            b.record(1_000_000, outcome);
            w.push(i, &b);
        }
        // The windows span 2,502 buckets and start every third bucket: the worst holds all
        // 30 bad buckets, and the first such window starts at 330 (2,829 − 2,501 = 328,
        // rounded up to a multiple of 3).
        let (a, start) = w.worst_availability.unwrap();
        assert!((a - (1.0 - 30.0 / 2_502.0)).abs() < 1e-12, "{a}");
        assert_eq!(start, 330);
    }

    #[test]
    fn a_short_window_slides_bucket_by_bucket_and_a_run_shorter_than_it_is_one_window() {
        let w = SloWindow::new(0, 1_000, vec![]);
        assert_eq!((w.len, w.group), (1_000, 1));
        let mut w = SloWindow::new(0, 5_000, vec![]);
        let mut b = Tally::new(bucket_histogram());
        for i in 0..7 {
            b.reset();
            b.record(
                1_000_000,
                if i == 3 {
                    Outcome::Err(Cause::Crash)
                } else {
                    Outcome::Ok
                },
            );
            w.push(i, &b);
        }
        w.finish(0);
        assert_eq!(w.worst_availability, Some((6.0 / 7.0, 0)));
    }
}
