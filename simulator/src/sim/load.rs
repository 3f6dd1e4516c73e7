//! Load: the experiment's generators (open-loop Poisson, constant, ramp and step arrivals;
//! closed-loop users with think time), each with its own random stream. It decides when the
//! next entry request comes and which endpoint it asks for; the parent turns that into a
//! request (`requests`) and, for a closed-loop user, asks here again when the answer is back.
//! Separate because arrival processes are pure functions of their own rng and the clock: they
//! touch no other room's state.

use super::*;

#[derive(Debug, Clone)]
pub(super) enum GenKind {
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
pub(super) struct Generator {
    pub(super) kind: GenKind,
    pub(super) targets: Vec<u32>,
    pub(super) cumulative: Vec<f64>,
    pub(super) rng: Xoshiro256PlusPlus,
}

impl Sim {
    pub(super) fn next_arrival(&mut self, g: u32, now: Time) -> Option<Time> {
        let horizon = self.horizon;
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

    pub(super) fn pick_target(&mut self, g: u32) -> u32 {
        let gen_ = &mut self.generators[g as usize];
        if gen_.targets.len() == 1 {
            return gen_.targets[0];
        }
        let u: f64 = gen_.rng.random();
        let i = gen_.cumulative.partition_point(|&c| c <= u);
        gen_.targets[i.min(gen_.targets.len() - 1)]
    }

    pub(super) fn user_done(&mut self, g: u32, user: u32) {
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
            let t = self.now.saturating_add(wait);
            if t < self.horizon {
                self.queue.push(t, Ev::UserSend(g, user));
            }
        }
    }
}
