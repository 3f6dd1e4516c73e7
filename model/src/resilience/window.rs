//! Resilience4j's sliding windows: count-based (the outcomes of the last N calls) and
//! time-based (the calls of the last N buckets of time, one bucket per second in Resilience4j).

/// The aggregate a window reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// Calls recorded in the window.
    pub calls: u32,
    /// Of those, failed calls.
    pub failed: u32,
    /// Of those, slow calls (failed or not).
    pub slow: u32,
}

/// A bit ring: inline for up to 128 entries, so windows of checker models (and Resilience4j's
/// default 100) are plain `Copy`-sized data that hash and clone cheaply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Bits {
    Inline(u128),
    Heap(Vec<u64>),
}

impl Bits {
    fn new(size: u32) -> Bits {
        if size <= 128 {
            Bits::Inline(0)
        } else {
            Bits::Heap(vec![0; size.div_ceil(64) as usize])
        }
    }

    fn get(&self, i: u32) -> bool {
        match self {
            Bits::Inline(b) => b >> i & 1 == 1,
            Bits::Heap(words) => words[(i / 64) as usize] >> (i % 64) & 1 == 1,
        }
    }

    fn set(&mut self, i: u32, value: bool) {
        match self {
            Bits::Inline(b) => {
                *b = (*b & !(1u128 << i)) | (u128::from(value) << i);
            }
            Bits::Heap(words) => {
                let w = &mut words[(i / 64) as usize];
                *w = (*w & !(1u64 << (i % 64))) | (u64::from(value) << (i % 64));
            }
        }
    }

    fn clear(&mut self) {
        match self {
            Bits::Inline(b) => *b = 0,
            Bits::Heap(words) => words.iter_mut().for_each(|w| *w = 0),
        }
    }
}

/// One bucket of a time-based window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Bucket {
    /// The bucket's index in time (`now / bucket_units`).
    epoch: u64,
    counts: Snapshot,
}

/// A sliding window of call outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window(Kind);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    /// The last `size` calls.
    Count {
        /// Capacity.
        size: u32,
        /// Outcomes held (≤ size).
        len: u32,
        /// Where the next outcome goes.
        head: u32,
        /// Failed flags, by slot.
        failed: Bits,
        /// Slow flags, by slot.
        slow: Bits,
        /// Running totals of what the slots hold.
        totals: Snapshot,
    },
    /// The calls of the last `buckets.len()` buckets of `bucket_units` each.
    Time {
        /// Width of a bucket in time units (one second in Resilience4j).
        bucket_units: u64,
        /// The ring of buckets, indexed by `epoch % len`.
        buckets: Vec<Bucket>,
        /// Running totals of the live buckets.
        totals: Snapshot,
    },
}

impl Window {
    /// A count-based window of `size` calls (at least 1).
    pub fn count(size: u32) -> Window {
        let size = size.max(1);
        Window(Kind::Count {
            size,
            len: 0,
            head: 0,
            failed: Bits::new(size),
            slow: Bits::new(size),
            totals: Snapshot::default(),
        })
    }

    /// A time-based window of `size` buckets of `bucket_units` each.
    pub fn time(size: u32, bucket_units: u64) -> Window {
        Window(Kind::Time {
            bucket_units: bucket_units.max(1),
            buckets: vec![Bucket::default(); size.max(1) as usize],
            totals: Snapshot::default(),
        })
    }

    /// Records one outcome at time `now` and returns the window's aggregate after it.
    pub fn record(&mut self, now: u64, failed: bool, slow: bool) -> Snapshot {
        match &mut self.0 {
            Kind::Count {
                size,
                len,
                head,
                failed: failed_bits,
                slow: slow_bits,
                totals,
            } => {
                if *len == *size {
                    // The oldest outcome leaves as the new one takes its slot.
                    totals.calls -= 1;
                    totals.failed -= u32::from(failed_bits.get(*head));
                    totals.slow -= u32::from(slow_bits.get(*head));
                } else {
                    *len += 1;
                }
                failed_bits.set(*head, failed);
                slow_bits.set(*head, slow);
                totals.calls += 1;
                totals.failed += u32::from(failed);
                totals.slow += u32::from(slow);
                *head = (*head + 1) % *size;
                *totals
            }
            Kind::Time { .. } => {
                self.advance(now);
                let Kind::Time {
                    bucket_units,
                    buckets,
                    totals,
                } = &mut self.0
                else {
                    unreachable!("matched as time-based above")
                };
                let epoch = now / *bucket_units;
                let n = buckets.len() as u64;
                let bucket = &mut buckets[(epoch % n) as usize];
                bucket.epoch = epoch;
                bucket.counts.calls += 1;
                bucket.counts.failed += u32::from(failed);
                bucket.counts.slow += u32::from(slow);
                totals.calls += 1;
                totals.failed += u32::from(failed);
                totals.slow += u32::from(slow);
                *totals
            }
        }
    }

    /// Drops, from a time-based window, the buckets that have slid out by `now`.
    pub fn advance(&mut self, now: u64) {
        if let Kind::Time {
            bucket_units,
            buckets,
            totals,
        } = &mut self.0
        {
            let epoch = now / *bucket_units;
            let n = buckets.len() as u64;
            for bucket in buckets.iter_mut() {
                // A bucket is live while its epoch is one of the last n, this one included.
                if bucket.counts.calls > 0 && bucket.epoch + n <= epoch {
                    totals.calls -= bucket.counts.calls;
                    totals.failed -= bucket.counts.failed;
                    totals.slow -= bucket.counts.slow;
                    *bucket = Bucket::default();
                }
            }
        }
    }

    /// The aggregate as of the last record (or [`Window::advance`]).
    pub fn snapshot(&self) -> Snapshot {
        match &self.0 {
            Kind::Count { totals, .. } | Kind::Time { totals, .. } => *totals,
        }
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        match &mut self.0 {
            Kind::Count {
                len,
                head,
                failed,
                slow,
                totals,
                ..
            } => {
                *len = 0;
                *head = 0;
                failed.clear();
                slow.clear();
                *totals = Snapshot::default();
            }
            Kind::Time {
                buckets, totals, ..
            } => {
                buckets.iter_mut().for_each(|b| *b = Bucket::default());
                *totals = Snapshot::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_window_forgets_the_oldest_call() {
        let mut w = Window::count(3);
        w.record(0, true, false);
        w.record(0, false, true);
        assert_eq!(
            w.record(0, false, false),
            Snapshot {
                calls: 3,
                failed: 1,
                slow: 1
            }
        );
        // The failure leaves when the fourth call arrives.
        assert_eq!(
            w.record(0, false, false),
            Snapshot {
                calls: 3,
                failed: 0,
                slow: 1
            }
        );
        assert_eq!(
            w.record(0, false, false),
            Snapshot {
                calls: 3,
                failed: 0,
                slow: 0
            }
        );
    }

    #[test]
    fn large_count_windows_spill_to_the_heap_and_agree() {
        let mut small = Window::count(100);
        let mut large = Window::count(300);
        for i in 0..1000u32 {
            let failed = i % 7 == 0;
            let s = small.record(0, failed, i % 3 == 0);
            let l = large.record(0, failed, i % 3 == 0);
            assert!(s.calls <= 100 && l.calls <= 300);
        }
        assert_eq!(large.snapshot().calls, 300);
        let expected = (700..1000).filter(|i| i % 7 == 0).count() as u32;
        assert_eq!(large.snapshot().failed, expected);
    }

    #[test]
    fn a_time_window_drops_buckets_older_than_its_size() {
        // Three buckets of 10 units: at t = 30 the bucket of epoch 0 has slid out.
        let mut w = Window::time(3, 10);
        w.record(0, true, false);
        w.record(15, false, false);
        assert_eq!(
            w.record(29, false, false),
            Snapshot {
                calls: 3,
                failed: 1,
                slow: 0
            }
        );
        assert_eq!(
            w.record(30, false, false),
            Snapshot {
                calls: 3,
                failed: 0,
                slow: 0
            }
        );
        w.advance(1000);
        assert_eq!(w.snapshot(), Snapshot::default());
    }

    #[test]
    fn clearing_empties_either_window() {
        for mut w in [Window::count(4), Window::time(4, 1)] {
            w.record(0, true, true);
            w.clear();
            assert_eq!(w.snapshot(), Snapshot::default());
            assert_eq!(w.record(0, false, false).calls, 1);
        }
    }
}
