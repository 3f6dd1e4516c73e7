//! The choices behind the plots' axes, apart from the drawing so that they can be tested: where
//! the ticks go and how they read (no `.0` on whole numbers), when a latency axis turns
//! logarithmic because a linear one would flatten a series against zero, and how series are
//! dealt out to panels so that no chart carries more than a reader can tell apart.

use std::ops::Range;

/// Lines one chart carries at most; more go to further panels of the same figure.
pub const MAX_SERIES: usize = 6;

/// A linear axis is kept only while every series' median stands at least this fraction of the
/// axis high: below it, the series reads as a line on the floor (a 1,200 ms spike on an axis
/// whose other series sit at 5 ms leaves them all at 0.4% of the height).
pub const FLATTENED: f64 = 1.0 / 20.0;

/// A value axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// From 0 to `max`, with ticks every `step`.
    Linear {
        /// The top, a multiple of `step`.
        max: f64,
        /// Between ticks.
        step: f64,
    },
    /// From `min` to `max` (each 1, 2 or 5 times a power of ten), drawn as their base-10
    /// logarithms.
    Log {
        /// The floor.
        min: f64,
        /// The top.
        max: f64,
    },
}

impl Scale {
    /// A linear axis from 0 that holds `max`, ending on a tick.
    pub fn linear(max: f64) -> Scale {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            1.0
        };
        let step = nice_step(max, 6);
        Scale::Linear {
            max: (max / step).ceil().max(1.0) * step,
            step,
        }
    }

    /// The axis for latency series (each a list of values in ms): linear unless a series'
    /// median would sit under [`FLATTENED`] of its height, then logarithmic over the decades
    /// the values span.
    pub fn for_latency(series: &[Vec<f64>]) -> Scale {
        let positive = |s: &Vec<f64>| -> Vec<f64> {
            let mut v: Vec<f64> = s
                .iter()
                .copied()
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let sorted: Vec<Vec<f64>> = series
            .iter()
            .map(positive)
            .filter(|v| !v.is_empty())
            .collect();
        let Some(max) = sorted
            .iter()
            .filter_map(|v| v.last().copied())
            .reduce(f64::max)
        else {
            return Scale::linear(1.0);
        };
        let lowest_median = sorted
            .iter()
            .map(|v| v[v.len() / 2])
            .fold(f64::INFINITY, f64::min);
        let linear = Scale::linear(max * 1.05);
        let Scale::Linear { max: top, .. } = linear else {
            unreachable!("linear() is linear")
        };
        if lowest_median >= top * FLATTENED {
            return linear;
        }
        let min = sorted.iter().map(|v| v[0]).fold(f64::INFINITY, f64::min);
        // The axis spans from the round number under the least value to the one over the
        // largest; over more than three decades only the decades are ticked, so it starts and
        // ends on one and its end labels do not crowd the decade next to them.
        let (low, top) = (round_down(min), round_up(max * 1.05));
        let (min, max) = if (top / low).log10() > 3.0 + 1e-9 {
            (
                10f64.powf(low.log10().floor()),
                10f64.powf(top.log10().ceil()),
            )
        } else {
            (low, top)
        };
        Scale::Log { min, max }
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(self) -> bool {
        matches!(self, Scale::Log { .. })
    }

    /// Where `v` is drawn on the chart's coordinate (its logarithm on a log axis; values under
    /// the axis's floor are drawn on the floor).
    pub fn at(self, v: f64) -> f64 {
        match self {
            Scale::Linear { .. } => v,
            Scale::Log { min, .. } => v.max(min).log10(),
        }
    }

    /// The chart's coordinate range.
    pub fn range(self) -> Range<f64> {
        match self {
            Scale::Linear { max, .. } => 0.0..max,
            Scale::Log { min, max } => min.log10()..max.log10(),
        }
    }

    /// The tick values (not coordinates), lowest first: every step of a linear axis; 1, 2 and
    /// 5 of each decade of a log axis spanning at most three decades, else the decades alone
    /// and the top.
    pub fn ticks(self) -> Vec<f64> {
        match self {
            Scale::Linear { max, step } => linear_ticks(0.0, max, step),
            Scale::Log { min, max } => {
                let (low, high) = (
                    (min.log10() + 1e-9).floor() as i32,
                    (max.log10() + 1e-9).floor() as i32,
                );
                let multiples: &[f64] = if high - low <= 3 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                let mut ticks = Vec::new();
                for e in low..=high {
                    for m in multiples {
                        let v = m * 10f64.powi(e);
                        if v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9) {
                            ticks.push(v);
                        }
                    }
                }
                if ticks.last().is_none_or(|t| *t < max * (1.0 - 1e-9)) {
                    ticks.push(max);
                }
                ticks
            }
        }
    }
}

/// A round step (1, 2 or 5 times a power of ten) that cuts `0..span` into at most `most`
/// intervals.
pub fn nice_step(span: f64, most: usize) -> f64 {
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        1.0
    };
    let raw = span / most.max(1) as f64;
    let decade = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|step| span / step <= most as f64 + 1e-9)
        .unwrap_or(10.0 * decade)
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `v` (> 0).
pub fn round_up(v: f64) -> f64 {
    let decade = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|c| *c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * decade)
}

/// The largest of 1, 2 or 5 times a power of ten that is at most `v` (> 0).
pub fn round_down(v: f64) -> f64 {
    let decade = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * decade)
        .find(|c| *c <= v * (1.0 + 1e-12))
        .unwrap_or(decade)
}

/// The multiples of `step` from `from` to `to`, both included when they fall on one. Each
/// is computed as `i × step`, not by adding steps up, so no rounding error builds.
pub fn linear_ticks(from: f64, to: f64, step: f64) -> Vec<f64> {
    let first = (from / step).ceil() as i64;
    let last = (to / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick's label: whole numbers without `.0`, others with the decimals they need (at most
/// six), never in exponent form.
pub fn tick_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let r = v.round();
        // -0 reads as 0.
        return format!("{}", if r == 0.0 { 0.0 } else { r });
    }
    let text = format!("{v:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `items` dealt out in order to as few groups of at most `most` as hold them, the groups as
/// even as can be (seven in groups of six are four and three, not six and one).
pub fn groups<T>(items: &[T], most: usize) -> Vec<&[T]> {
    if items.is_empty() {
        return Vec::new();
    }
    let n = items.len().div_ceil(most.max(1));
    (0..n)
        .map(|g| &items[(g * items.len()).div_ceil(n)..((g + 1) * items.len()).div_ceil(n)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_ticks_read_without_a_decimal_point() {
        assert_eq!(tick_label(180.0), "180");
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(1200.0), "1200");
        assert_eq!(tick_label(0.001), "0.001");
    }

    #[test]
    fn linear_ticks_are_round_and_end_on_the_axis_top() {
        let s = Scale::linear(163.0);
        assert_eq!(
            s,
            Scale::Linear {
                max: 200.0,
                step: 50.0
            }
        );
        let labels: Vec<String> = s.ticks().into_iter().map(tick_label).collect();
        assert_eq!(labels.first().map(String::as_str), Some("0"));
        assert_eq!(
            labels.last().map(String::as_str),
            Some(&*tick_label(s.range().end))
        );
        assert!(labels.iter().all(|l| !l.ends_with(".0")), "{labels:?}");
        assert_eq!(
            linear_ticks(0.0, 300.0, nice_step(300.0, 6))
                .into_iter()
                .map(tick_label)
                .collect::<Vec<_>>(),
            ["0", "50", "100", "150", "200", "250", "300"]
        );
        assert_eq!(
            linear_ticks(0.0, 0.6, 0.1)
                .into_iter()
                .map(tick_label)
                .collect::<Vec<_>>(),
            ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]
        );
    }

    #[test]
    fn a_spike_far_above_the_other_series_turns_the_axis_logarithmic() {
        // Three series near 5–40 ms, and one that spikes once to 1,200 ms.
        let calm: Vec<f64> = (0..100).map(|i| 5.0 + f64::from(i % 3)).collect();
        let tail: Vec<f64> = (0..100).map(|i| 30.0 + f64::from(i % 10)).collect();
        let mut spiky = tail.clone();
        spiky[50] = 1200.0;
        let s = Scale::for_latency(&[calm.clone(), tail.clone(), spiky]);
        assert!(s.is_log(), "{s:?}");
        // From the round number under the least value to the one over the spike.
        assert_eq!(
            s,
            Scale::Log {
                min: 5.0,
                max: 2000.0
            }
        );
        let labels: Vec<String> = s.ticks().into_iter().map(tick_label).collect();
        assert_eq!(
            labels,
            ["5", "10", "20", "50", "100", "200", "500", "1000", "2000"]
        );
        // Over more than three decades the axis starts and ends on a decade, ticked at each.
        let s = Scale::for_latency(&[vec![0.3, 0.4], vec![30.0, 1200.0, 35.0]]);
        assert_eq!(
            s,
            Scale::Log {
                min: 0.1,
                max: 10_000.0
            }
        );
        let labels: Vec<String> = s.ticks().into_iter().map(tick_label).collect();
        assert_eq!(labels, ["0.1", "1", "10", "100", "1000", "10000"]);
        // Over more decades only the decades are marked, and the top.
        let wide = Scale::Log {
            min: 0.01,
            max: 5000.0,
        };
        let labels: Vec<String> = wide.ticks().into_iter().map(tick_label).collect();
        assert_eq!(labels, ["0.01", "0.1", "1", "10", "100", "1000", "5000"]);
        // Without the spike every median stands well clear of the floor: linear.
        let s = Scale::for_latency(&[calm, tail]);
        assert!(!s.is_log(), "{s:?}");
        assert_eq!(s.range(), 0.0..50.0);
    }

    #[test]
    fn a_log_axis_of_few_decades_ticks_at_one_two_and_five() {
        let s = Scale::for_latency(&[vec![0.3, 0.4, 0.35], vec![40.0, 45.0, 50.0]]);
        assert_eq!(
            s,
            Scale::Log {
                min: 0.2,
                max: 100.0
            }
        );
        let labels: Vec<String> = s.ticks().into_iter().map(tick_label).collect();
        assert_eq!(
            labels,
            ["0.2", "0.5", "1", "2", "5", "10", "20", "50", "100"]
        );
        assert_eq!(s.at(0.01), s.range().start, "below the floor draws on it");
        assert!((s.at(10.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn empty_series_give_a_plain_unit_axis() {
        assert_eq!(Scale::for_latency(&[]), Scale::linear(1.0));
        assert_eq!(Scale::for_latency(&[vec![], vec![0.0]]), Scale::linear(1.0));
        assert_eq!(Scale::linear(1.0).ticks().len(), 6);
    }

    #[test]
    fn series_are_dealt_out_evenly_to_as_few_panels_as_hold_them() {
        let items: Vec<u32> = (0..7).collect();
        let g = groups(&items, 6);
        assert_eq!(g, [&[0, 1, 2, 3][..], &[4, 5, 6][..]]);
        assert_eq!(groups(&items[..6], 6), [&items[..6]]);
        assert_eq!(groups(&items, 3).len(), 3);
        assert!(groups(&items, 3).iter().all(|g| g.len() <= 3));
        assert!(groups::<u32>(&[], 6).is_empty());
    }
}
