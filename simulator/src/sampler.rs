//! Duration samplers: the scenario's [`Distribution`]s compiled once into the form the hot path
//! draws from, in integer nanoseconds.
//!
//! Exponential and normal draws use rand_distr's ziggurat samplers (`Exp1`, `StandardNormal`),
//! scaled here, so a draw costs a few nanoseconds and allocates nothing.

use microcosm_model::Distribution;
use rand::RngExt;
use rand_distr::{Distribution as _, Exp1, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Nanoseconds per millisecond.
pub const NS_PER_MS: f64 = 1_000_000.0;

/// Milliseconds to whole nanoseconds, rounding to nearest; negative and NaN become 0, and
/// whatever is too large for a `u64` — `+∞` included, which a product such as `1e300 s · 1e9`
/// reaches — saturates at `u64::MAX` (it once became 0: a run of `1e300` s simulated nothing).
pub fn ms_to_ns(ms: f64) -> u64 {
    let ns = (ms * NS_PER_MS).round();
    if ns.is_nan() || ns <= 0.0 {
        0
    } else if ns >= u64::MAX as f64 {
        u64::MAX
    } else {
        ns as u64
    }
}

/// The longest draw, in nanoseconds: the longest duration a scenario may write
/// ([`microcosm_model::limits::MAX_DURATION_MS`], a year), so later than any horizon, and small
/// enough that `now + draw` cannot overflow the clock. A valid log-normal such
/// as p50 = 5e-324 ms, p99 = 250 ms has σ ≈ 322, and its draws reach e²⁰⁰ ns: saturating them
/// at `u64::MAX` made the next `now + work` overflow (a panic in debug builds).
pub const MAX_DRAW_NS: u64 = (microcosm_model::limits::MAX_DURATION_MS * NS_PER_MS) as u64;

/// A compiled distribution of durations.
#[derive(Debug, Clone, PartialEq)]
pub enum Sampler {
    /// Always this many nanoseconds.
    Constant(u64),
    /// Exponential with this mean, in nanoseconds.
    Exponential(f64),
    /// Normal (mean, standard deviation) in nanoseconds, truncated at zero.
    Normal(f64, f64),
    /// Log-normal with the underlying normal's (μ, σ), μ already in log-nanoseconds.
    LogNormal(f64, f64),
    /// Resampled from these nanosecond values.
    Empirical(Vec<u64>),
}

impl Sampler {
    /// Compiles a scenario distribution.
    pub fn new(d: &Distribution) -> Sampler {
        match d {
            Distribution::Constant { ms } => Sampler::Constant(ms_to_ns(*ms)),
            Distribution::Exponential { mean_ms } => {
                if *mean_ms > 0.0 {
                    Sampler::Exponential(mean_ms * NS_PER_MS)
                } else {
                    Sampler::Constant(0)
                }
            }
            Distribution::Normal { mean_ms, stddev_ms } => {
                Sampler::Normal(mean_ms * NS_PER_MS, stddev_ms.max(0.0) * NS_PER_MS)
            }
            Distribution::Lognormal { .. } => match d.lognormal_params() {
                Some((mu, sigma)) if mu.is_finite() && sigma.is_finite() => {
                    Sampler::LogNormal(mu + NS_PER_MS.ln(), sigma.max(0.0))
                }
                _ => Sampler::Constant(0),
            },
            Distribution::Empirical { samples_ms, .. } => {
                if samples_ms.is_empty() {
                    Sampler::Constant(0)
                } else {
                    Sampler::Empirical(samples_ms.iter().map(|&ms| ms_to_ns(ms)).collect())
                }
            }
        }
    }

    /// Whether every draw is zero (a hop that needs no event of its own).
    pub fn is_zero(&self) -> bool {
        *self == Sampler::Constant(0)
    }

    /// The mean, in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        match self {
            Sampler::Constant(ns) => *ns as f64,
            Sampler::Exponential(mean) => *mean,
            Sampler::Normal(mean, _) => mean.max(0.0),
            Sampler::LogNormal(mu, sigma) => (mu + sigma * sigma / 2.0).exp(),
            Sampler::Empirical(v) => v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64,
        }
    }

    /// One draw, in nanoseconds.
    #[inline]
    pub fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> u64 {
        let ns = match self {
            Sampler::Constant(ns) => return *ns,
            Sampler::Exponential(mean) => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            Sampler::Normal(mean, sd) => {
                let z: f64 = StandardNormal.sample(rng);
                mean + sd * z
            }
            Sampler::LogNormal(mu, sigma) => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Empirical(v) => {
                return v[rng.random_range(0..v.len())];
            }
        };
        if ns > 0.0 {
            // Round to nearest: truncation would bias every mean down by half a nanosecond.
            (ns + 0.5).min(MAX_DRAW_NS as f64) as u64
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_draw_far_beyond_any_horizon_leaves_room_on_the_clock() {
        // Found by the structured fuzzer on the `init` starter: a valid, absurd log-normal.
        let s = Sampler::new(&Distribution::Lognormal {
            p50_ms: 5e-324,
            p99_ms: 250.0,
        });
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(15);
        let draws: Vec<u64> = (0..1000).map(|_| s.sample(&mut rng)).collect();
        assert!(draws.contains(&MAX_DRAW_NS), "some draw reaches the cap");
        let year_ns = 365 * 86_400 * 1_000_000_000u64;
        for draw in draws {
            assert!(year_ns.checked_add(draw).is_some());
        }
    }

    fn mean_of(s: &Sampler, n: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n).map(|_| s.sample(&mut rng) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn too_large_a_time_saturates_instead_of_vanishing() {
        // 1e300 s in ms times 1e6 is +inf: it once became 0 ns.
        assert_eq!(ms_to_ns(1e300 * 1000.0), u64::MAX);
        assert_eq!(ms_to_ns(f64::INFINITY), u64::MAX);
        assert_eq!(ms_to_ns(f64::NAN), 0);
        assert_eq!(ms_to_ns(-1.0), 0);
        assert_eq!(ms_to_ns(1.5), 1_500_000);
    }

    #[test]
    fn sample_means_match_the_distributions() {
        let cases = [
            Distribution::Constant { ms: 2.0 },
            Distribution::Exponential { mean_ms: 1.0 },
            Distribution::Normal {
                mean_ms: 5.0,
                stddev_ms: 1.0,
            },
            Distribution::Lognormal {
                p50_ms: 1.0,
                p99_ms: 8.0,
            },
            Distribution::Empirical {
                csv: None,
                samples_ms: vec![1.0, 2.0, 6.0],
            },
        ];
        for d in cases {
            let s = Sampler::new(&d);
            let expected = d.mean_ms() * NS_PER_MS;
            assert!((s.mean_ns() - expected).abs() / expected < 1e-9, "{d:?}");
            let measured = mean_of(&s, 200_000);
            assert!(
                (measured - expected).abs() / expected < 0.02,
                "{d:?}: {measured} vs {expected}"
            );
        }
    }

    #[test]
    fn milliseconds_convert_to_nanoseconds() {
        assert_eq!(ms_to_ns(1.5), 1_500_000);
        assert_eq!(ms_to_ns(-1.0), 0);
        assert_eq!(ms_to_ns(f64::NAN), 0);
    }
}
