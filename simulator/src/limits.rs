//! What keeps a run's memory and wall time bounded whatever it is asked: the longest duration
//! the simulator's clock can hold, the width of the time buckets (so that every per-bucket
//! series has a bounded number of points however long the run), and the interrupt — a
//! wall-clock deadline or a cancel flag — that the event loop looks at every
//! [`CHECK_EVERY`] events, so that no run, however many events a simulated second holds,
//! outlives its caller's `--timeout`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::engine::Time;
use crate::error::{Error, ErrorKind};
use crate::sampler::ms_to_ns;

/// The longest run accepted, in simulated seconds: about 31.7 years. The clock counts
/// nanoseconds in a `u64` (about 584 years); the margin leaves room for the timers a run sets
/// past its horizon (deadlines, backoff waits, restarts), and no experiment needs more. Longer
/// durations are refused, never rounded: an overflowing conversion used to turn `1e300` s into
/// a run of 0 s that passed.
pub const MAX_DURATION_S: f64 = 1e9;

/// Points per time series when no bucket width is asked for: the scenario's
/// `monitoring.metrics_interval_s` is widened to a whole multiple of itself for runs longer
/// than this many intervals. One thousand is the plots' width in pixels (a finer series cannot
/// be drawn), and keeps a report's series at a few hundred kilobytes per endpoint and edge
/// whatever the duration.
pub const MAX_POINTS: u64 = 1_000;

/// Points per time series when a bucket width is asked for explicitly
/// ([`crate::SimBuilder::bucket_s`]): an explicit width is kept as given, up to this many
/// buckets; a width that would make more is refused with the smallest width that would do.
/// Memory then grows with the buckets: Online Boutique's payment outage over 30,000 one-second
/// buckets peaks at 263 MB with a 167 MB JSON report (measured, release build), so about
/// 0.9 GB and 0.55 GB at this limit; a larger architecture proportionally more.
pub const MAX_EXPLICIT_POINTS: u64 = 100_000;

/// Events between two looks at the interrupt: a look costs a clock read (tens of
/// nanoseconds), an event about a hundred, so this is a fraction of a percent of the run and
/// well under a millisecond between looks.
pub const CHECK_EVERY: u64 = 1024;

/// The narrowest time bucket the simulator keeps: 1 ms.
pub const MIN_BUCKET: Time = 1_000_000;

/// The bucket width of a run `horizon` long (ns) whose scenario scrapes metrics every
/// `interval` (ns): `interval` itself while the run has at most [`MAX_POINTS`] of them, else
/// the smallest whole multiple of it that gives at most [`MAX_POINTS`] buckets (so buckets
/// still align with the scrape interval and with each other).
pub fn default_bucket(horizon: Time, interval: Time) -> Time {
    let interval = interval.max(MIN_BUCKET);
    let buckets = horizon.div_ceil(interval);
    if buckets <= MAX_POINTS {
        interval
    } else {
        interval.saturating_mul(buckets.div_ceil(MAX_POINTS))
    }
}

/// The bucket width of a run `horizon` (ns) long: `explicit` seconds when asked for (refused if
/// below [`MIN_BUCKET`] or if it would make more than [`MAX_EXPLICIT_POINTS`] buckets), else
/// [`default_bucket`] of the scenario's `metrics_interval_s`.
pub(crate) fn bucket_width(
    horizon: Time,
    metrics_interval_s: f64,
    explicit: Option<f64>,
) -> Result<Time, Error> {
    let Some(seconds) = explicit else {
        return Ok(default_bucket(
            horizon,
            ms_to_ns(metrics_interval_s * 1000.0),
        ));
    };
    let width = ms_to_ns(seconds * 1000.0);
    if !(seconds.is_finite() && width >= MIN_BUCKET) {
        return Err(Error::new(ErrorKind::Invalid(format!(
            "the bucket width must be at least 0.001 s, not {seconds}"
        ))));
    }
    let buckets = horizon.div_ceil(width);
    if buckets > MAX_EXPLICIT_POINTS {
        // The narrowest width that fits, rounded up to the millisecond.
        let least = horizon.div_ceil(MAX_EXPLICIT_POINTS).div_ceil(MIN_BUCKET) as f64 / 1000.0;
        return Err(Error::new(ErrorKind::Invalid(format!(
            "a bucket width of {seconds} s makes {buckets} buckets over {} s, more than the \
             {MAX_EXPLICIT_POINTS} a run keeps; use at least {least} s, or leave the width to \
             the simulator",
            horizon as f64 / 1e9
        ))));
    }
    Ok(width)
}

/// Why a run stopped before its horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The wall-clock deadline passed.
    Deadline,
    /// Someone set the cancel flag.
    Cancelled,
}

/// A wall-clock deadline and a cancel flag, either optional, that a run honours.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    /// Stop once this instant has passed.
    pub deadline: Option<Instant>,
    /// Stop once someone sets this.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Interrupt {
    /// Whether the run must stop now, and why.
    pub fn due(&self) -> Option<Stop> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            Some(Stop::Cancelled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::Deadline)
        } else {
            None
        }
    }

    /// Whether it can ever stop a run.
    pub fn is_set(&self) -> bool {
        self.deadline.is_some() || self.cancel.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Time = 1_000_000_000;

    #[test]
    fn the_scrape_interval_is_kept_until_the_series_would_outgrow_a_plot() {
        assert_eq!(default_bucket(300 * S, S), S);
        assert_eq!(default_bucket(1_000 * S, S), S);
        assert_eq!(default_bucket(1_001 * S, S), 2 * S);
        assert_eq!(default_bucket(30_000 * S, S), 30 * S);
        assert_eq!(default_bucket(30_000 * S, 15 * S), 30 * S);
        // The longest run: still at most MAX_POINTS buckets, and no overflow.
        let horizon = (MAX_DURATION_S as u64) * S;
        assert!(horizon.div_ceil(default_bucket(horizon, S)) <= MAX_POINTS);
        // Never narrower than a millisecond.
        assert_eq!(default_bucket(S / 2, 1), MIN_BUCKET);
    }

    #[test]
    fn an_interrupt_reports_the_cancel_flag_before_the_deadline() {
        let flag = Arc::new(AtomicBool::new(false));
        let i = Interrupt {
            deadline: Some(Instant::now()),
            cancel: Some(flag.clone()),
        };
        assert_eq!(i.due(), Some(Stop::Deadline));
        flag.store(true, Ordering::Relaxed);
        assert_eq!(i.due(), Some(Stop::Cancelled));
        assert_eq!(Interrupt::default().due(), None);
        assert!(!Interrupt::default().is_set());
    }
}
