//! Load: the experiment's generators (open-loop Poisson, constant, ramp and step arrivals;
//! closed-loop users with think time), each with its own random stream. It decides when the
//! next entry request comes and which endpoint it asks for, and schedules its own arrivals and
//! users' sends through the lent event queue; the parent turns each into a request
//! (`requests`) and tells it when a closed-loop user's answer is back. It calls no other
//! room. Separate because arrival processes are pure functions of their own rng and the
//! clock: they touch no other room's state.

use microcosm_model::{Arrival, LoadGenerator};
use rand::RngExt;
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{Ev, NONE};
use crate::engine::{EventQueue, Time};
use crate::sampler::{NS_PER_MS, ms_to_ns};

#[derive(Debug, Clone)]
enum GenKind {
    /// Rate per nanosecond.
    Poisson(f64),
    /// Period in ns and arrivals so far.
    Constant(f64, u64),
    /// Start and end rates per ns, over the horizon.
    Ramp(f64, f64),
    /// (from, rate per ns), sorted.
    Step(Vec<(Time, f64)>),
    /// Users and mean think time in ns.
    Closed(u32, f64),
}

#[derive(Debug, Clone)]
struct Generator {
    kind: GenKind,
    targets: Vec<u32>,
    cumulative: Vec<f64>,
    rng: Xoshiro256PlusPlus,
}

/// The experiment's load generators, indexed by the order they were added.
#[derive(Debug, Clone, Default)]
pub(super) struct Load {
    generators: Vec<Generator>,
}

impl Load {
    /// Adds a generator for `load` aimed at `targets` (endpoint ids, non-empty) with `weights`
    /// (positive total), drawing from `rng`, and schedules its first requests before `horizon`.
    pub(super) fn add(
        &mut self,
        load: &LoadGenerator,
        targets: Vec<u32>,
        weights: &[f64],
        rng: Xoshiro256PlusPlus,
        horizon: Time,
        queue: &mut EventQueue<Ev>,
    ) {
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        let per_ns = |r: f64| r.max(0.0) / 1e9;
        let rate = load.rate_per_s.unwrap_or(0.0);
        let kind = match load.arrival {
            Arrival::Poisson => GenKind::Poisson(per_ns(rate)),
            Arrival::Constant => GenKind::Constant(if rate > 0.0 { 1e9 / rate } else { 0.0 }, 0),
            Arrival::Ramp => {
                GenKind::Ramp(per_ns(rate), per_ns(load.to_rate_per_s.unwrap_or(rate)))
            }
            Arrival::Step => {
                let mut steps: Vec<(Time, f64)> = load
                    .steps
                    .iter()
                    .map(|s| (ms_to_ns(s.at_s * 1000.0), per_ns(s.rate_per_s)))
                    .collect();
                steps.sort_by_key(|s| s.0);
                if steps.first().is_none_or(|s| s.0 > 0) {
                    steps.insert(0, (0, per_ns(rate)));
                }
                GenKind::Step(steps)
            }
            Arrival::Closed => GenKind::Closed(
                load.users.unwrap_or(1),
                load.think_time_ms.unwrap_or(0.0).max(0.0) * NS_PER_MS,
            ),
        };
        self.generators.push(Generator {
            kind,
            targets,
            cumulative,
            rng,
        });
        let gi = (self.generators.len() - 1) as u32;
        if let GenKind::Closed(users, think) = self.generators[gi as usize].kind {
            for u in 0..users {
                let gen_ = &mut self.generators[gi as usize];
                let start = if think > 0.0 {
                    let e: f64 = Exp1.sample(&mut gen_.rng);
                    (e * think) as Time
                } else {
                    0
                };
                if start < horizon {
                    queue.push(start, Ev::UserSend(gi, u));
                }
            }
        } else if let Some(t) = self.next_arrival(gi, 0, horizon) {
            queue.push(t, Ev::Arrival(gi));
        }
    }

    pub(super) fn next_arrival(&mut self, g: u32, now: Time, horizon: Time) -> Option<Time> {
        let gen_ = &mut self.generators[g as usize];
        let t = match &mut gen_.kind {
            GenKind::Poisson(rate) => {
                if *rate <= 0.0 {
                    return None;
                }
                let e: f64 = Exp1.sample(&mut gen_.rng);
                now as f64 + e / *rate
            }
            GenKind::Constant(period, k) => {
                if *period <= 0.0 {
                    return None;
                }
                *k += 1;
                *k as f64 * *period
            }
            GenKind::Ramp(r0, r1) => {
                // Thinning (Lewis & Shedler): candidates at the peak rate, kept with
                // probability rate(t) / peak.
                let peak = r0.max(*r1);
                if peak <= 0.0 {
                    return None;
                }
                let mut t = now as f64;
                loop {
                    let e: f64 = Exp1.sample(&mut gen_.rng);
                    t += e / peak;
                    if t >= horizon as f64 {
                        return None;
                    }
                    let rate = *r0 + (*r1 - *r0) * t / horizon as f64;
                    if gen_.rng.random::<f64>() * peak < rate {
                        break t;
                    }
                }
            }
            GenKind::Step(steps) => {
                // Piecewise-constant: memorylessness makes restarting at a boundary exact.
                let mut t = now as f64;
                loop {
                    let i = steps.partition_point(|s| s.0 as f64 <= t).saturating_sub(1);
                    let next = steps.get(i + 1).map_or(f64::INFINITY, |s| s.0 as f64);
                    let rate = steps[i].1;
                    if rate > 0.0 {
                        let e: f64 = Exp1.sample(&mut gen_.rng);
                        if t + e / rate < next {
                            break t + e / rate;
                        }
                    }
                    if !next.is_finite() || next >= horizon as f64 {
                        return None;
                    }
                    t = next;
                }
            }
            GenKind::Closed(..) => return None,
        };
        (t < horizon as f64).then_some(t as Time)
    }

    #[inline]
    pub(super) fn pick_target(&mut self, g: u32) -> u32 {
        let gen_ = &mut self.generators[g as usize];
        if gen_.targets.len() == 1 {
            return gen_.targets[0];
        }
        let u: f64 = gen_.rng.random();
        let i = gen_.cumulative.partition_point(|&c| c <= u);
        gen_.targets[i.min(gen_.targets.len() - 1)]
    }

    /// A closed-loop user (`user` of generator `g`; `NONE` for open loop) got its answer at
    /// `now`: it thinks, then sends again.
    pub(super) fn user_done(
        &mut self,
        g: u32,
        user: u32,
        now: Time,
        horizon: Time,
        queue: &mut EventQueue<Ev>,
    ) {
        if user == NONE {
            return;
        }
        if let GenKind::Closed(_, think) = self.generators[g as usize].kind {
            let wait = if think > 0.0 {
                let e: f64 = Exp1.sample(&mut self.generators[g as usize].rng);
                (e * think) as Time
            } else {
                0
            };
            let t = now.saturating_add(wait);
            if t < horizon {
                queue.push(t, Ev::UserSend(g, user));
            }
        }
    }
}
