//! The aggregate of many traces: what each endpoint calls, how often per visit, whether its
//! calls overlap, and how long it works itself. Built one trace at a time, so a reader can
//! drop each trace once it is folded in.

use std::collections::BTreeMap;

use super::{Note, Provenance, Trace};

/// An endpoint of a service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// The service.
    pub service: String,
    /// The endpoint within it.
    pub name: String,
}

/// Own work time samples, in nanoseconds: a span's time minus the union of its children's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnTime {
    /// One sample per span, in the order read.
    pub samples_ns: Vec<u64>,
}

impl OwnTime {
    /// The `q`-quantile (`0 < q <= 1`) by nearest rank: the smallest sample with at least
    /// `q` of the samples at or below it. `None` without samples.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let mut sorted = self.samples_ns.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        // Nearest rank is ceil(q·n), 1-based.
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(sorted[rank - 1])
    }

    /// The median.
    pub fn p50(&self) -> Option<u64> {
        self.quantile(0.5)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Option<u64> {
        self.quantile(0.99)
    }
}

/// What is known about one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStats {
    /// How many spans ran it.
    pub visits: u64,
    /// How many of them failed.
    pub errors: u64,
    /// Visits with two or more children, none of which overlapped another.
    pub sequential_visits: u64,
    /// Visits with two or more children, some of which overlapped.
    pub parallel_visits: u64,
    /// Its own work time.
    pub own_time: OwnTime,
    /// The first span that ran it.
    pub first_seen: Provenance,
}

/// What is known about calls from one endpoint to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeStats {
    /// Calls in all.
    pub calls: u64,
    /// For each number of calls a caller's visit made (one or more), how many visits made
    /// that many; visits that made none are the caller's visits minus the sum of these.
    pub calls_per_visit: BTreeMap<u64, u64>,
    /// The first child span of this edge.
    pub first_seen: Provenance,
}

/// The call graph read from traces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregate {
    /// Traces folded in.
    pub traces: u64,
    /// Spans folded in.
    pub spans: u64,
    /// Every endpoint seen.
    pub endpoints: BTreeMap<Endpoint, EndpointStats>,
    /// Calls, from the caller's endpoint to the callee's, within and across services.
    pub edges: BTreeMap<(Endpoint, Endpoint), EdgeStats>,
    /// The notes of every trace.
    pub notes: Vec<Note>,
}

impl Aggregate {
    /// The endpoints of each service, sorted.
    pub fn services(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for endpoint in self.endpoints.keys() {
            out.entry(&endpoint.service)
                .or_default()
                .push(&endpoint.name);
        }
        out
    }

    /// The mean number of calls on `edge` per visit of its caller.
    pub fn calls_per_visit(&self, edge: &(Endpoint, Endpoint)) -> Option<f64> {
        let calls = self.edges.get(edge)?.calls;
        let visits = self.endpoints.get(&edge.0)?.visits;
        Some(calls as f64 / visits as f64)
    }

    /// Folds one trace in.
    pub fn add(&mut self, trace: &Trace) {
        self.traces += 1;
        self.spans += trace.spans.len() as u64;
        self.notes.extend(trace.notes.iter().cloned());
        let position: std::collections::HashMap<&str, usize> = trace
            .spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_str(), i))
            .collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); trace.spans.len()];
        for (i, span) in trace.spans.iter().enumerate() {
            if let Some(&p) = span.parent.as_deref().and_then(|p| position.get(p)) {
                children[p].push(i);
            }
        }
        let endpoint = |i: usize| Endpoint {
            service: trace.spans[i].service.clone(),
            name: trace.spans[i].endpoint.clone(),
        };
        for (i, span) in trace.spans.iter().enumerate() {
            let mut intervals: Vec<(u64, u64)> = children[i]
                .iter()
                .map(|&c| (trace.spans[c].start_ns, trace.spans[c].end_ns))
                .collect();
            intervals.sort_unstable();
            let overlapping = intervals
                .iter()
                .scan(None::<u64>, |latest_end, &(start, end)| {
                    let overlaps = latest_end.is_some_and(|e| start < e);
                    *latest_end = Some(latest_end.map_or(end, |e| e.max(end)));
                    Some(overlaps)
                })
                .any(|o| o);
            let own = own_time(span.start_ns, span.end_ns, &intervals);
            let stats = self
                .endpoints
                .entry(endpoint(i))
                .or_insert_with(|| EndpointStats {
                    visits: 0,
                    errors: 0,
                    sequential_visits: 0,
                    parallel_visits: 0,
                    own_time: OwnTime::default(),
                    first_seen: span.at.clone(),
                });
            stats.visits += 1;
            stats.errors += u64::from(span.error);
            if intervals.len() >= 2 {
                if overlapping {
                    stats.parallel_visits += 1;
                } else {
                    stats.sequential_visits += 1;
                }
            }
            stats.own_time.samples_ns.push(own);
            let mut per_callee: BTreeMap<Endpoint, (u64, usize)> = BTreeMap::new();
            for &c in &children[i] {
                per_callee.entry(endpoint(c)).or_insert((0, c)).0 += 1;
            }
            for (callee, (count, first)) in per_callee {
                let edge = self
                    .edges
                    .entry((endpoint(i), callee))
                    .or_insert_with(|| EdgeStats {
                        calls: 0,
                        calls_per_visit: BTreeMap::new(),
                        first_seen: trace.spans[first].at.clone(),
                    });
                edge.calls += count;
                *edge.calls_per_visit.entry(count).or_default() += 1;
            }
        }
    }
}

/// `start..end` minus the union of `children` (sorted by start), each clipped to it: time
/// the span spent neither waiting on nor overlapped by a child.
pub(super) fn own_time(start: u64, end: u64, children: &[(u64, u64)]) -> u64 {
    let mut covered = 0;
    let mut cursor = start;
    for &(child_start, child_end) in children {
        let from = child_start.max(cursor);
        let to = child_end.min(end);
        if to > from {
            covered += to - from;
            cursor = to;
        }
    }
    (end - start).saturating_sub(covered)
}
