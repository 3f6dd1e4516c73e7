//! Breaker state over time, rebuilt from every transition the run recorded rather than from the
//! per-bucket series: the series samples each breaker at the end of each bucket, so a breaker
//! that went half-open, failed its trial call and opened again within one bucket (a few
//! milliseconds, every `wait_duration_in_open_state`) never shows in it, and a run that opened
//! eight times reads as one long block. The SVG figure draws these spells; the explorer's
//! breaker strip asks what happened inside each of its columns.

use crate::report::BreakerReport;

/// A breaker state as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls pass (`CLOSED`, or `DISABLED`: no breaker acts).
    Closed,
    /// Trial calls pass (`HALF_OPEN`).
    HalfOpen,
    /// Calls are refused (`OPEN` or `FORCED_OPEN`).
    Open,
}

impl State {
    /// The state named as the report names it.
    pub fn of(name: &str) -> State {
        match name {
            "OPEN" | "FORCED_OPEN" => State::Open,
            "HALF_OPEN" => State::HalfOpen,
            _ => State::Closed,
        }
    }
}

/// One replica's breaker in one state from `from_s` to `to_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spell {
    /// Start, seconds from the start of the run.
    pub from_s: f64,
    /// End (the next transition, or the end of the run).
    pub to_s: f64,
    /// The state.
    pub state: State,
}

/// One caller replica's breaker over the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// The replica, by index among its service's replica slots.
    pub replica: u32,
    /// Its spells in time order, one more than its transitions.
    pub spells: Vec<Spell>,
}

impl Lane {
    /// The transitions the lane draws: one between each two spells.
    pub fn transitions(&self) -> usize {
        self.spells.len().saturating_sub(1)
    }
}

/// One lane per caller replica of `breaker`: the deployed ones, and any other replica slot a
/// transition names (a rollout's second set), in replica order. Each starts closed, or in the
/// state its first transition leaves.
pub fn lanes(breaker: &BreakerReport, duration_s: f64) -> Vec<Lane> {
    // One pass over the transitions (up to 100,000, and the explorer asks on every frame).
    let mut by_replica: std::collections::BTreeMap<u32, Vec<Spell>> =
        (0..breaker.replicas).map(|r| (r, Vec::new())).collect();
    let mut open: std::collections::BTreeMap<u32, (f64, State)> = std::collections::BTreeMap::new();
    for t in &breaker.transitions {
        let (since, state) = open
            .get(&t.replica)
            .copied()
            .unwrap_or((0.0, State::of(&t.from)));
        by_replica.entry(t.replica).or_default().push(Spell {
            from_s: since,
            to_s: t.at_s,
            state,
        });
        open.insert(t.replica, (t.at_s, State::of(&t.to)));
    }
    by_replica
        .into_iter()
        .map(|(replica, mut spells)| {
            let (since, state) = open.get(&replica).copied().unwrap_or((0.0, State::Closed));
            spells.push(Spell {
                from_s: since,
                to_s: duration_s.max(since),
                state,
            });
            Lane { replica, spells }
        })
        .collect()
}

/// What an edge's breakers did within one stretch of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Some replica's breaker was closed at some instant of it.
    pub closed: bool,
    /// Some replica's breaker was half-open at some instant of it.
    pub half_open: bool,
    /// Some replica's breaker was open at some instant of it.
    pub open: bool,
    /// Transitions inside it, all replicas together.
    pub transitions: usize,
}

/// What `breaker` did in each stretch between consecutive `bounds` (seconds, ascending): `n`
/// bounds give `n − 1` windows. A transition at a bound belongs to the window it starts.
pub fn windows(breaker: &BreakerReport, duration_s: f64, bounds: &[f64]) -> Vec<Window> {
    let n = bounds.len().saturating_sub(1);
    let mut out = vec![Window::default(); n];
    if n == 0 {
        return out;
    }
    // The window holding instant `t`: the last whose start is at or before it.
    let index = |t: f64| bounds[..n].partition_point(|b| *b <= t).saturating_sub(1);
    for lane in lanes(breaker, duration_s) {
        for spell in &lane.spells {
            let first = index(spell.from_s);
            let mut w = first;
            // A spell touches each window it overlaps; an instantaneous one, its own.
            while w < n && (w == first || bounds[w] < spell.to_s) {
                let cell = &mut out[w];
                match spell.state {
                    State::Closed => cell.closed = true,
                    State::HalfOpen => cell.half_open = true,
                    State::Open => cell.open = true,
                }
                w += 1;
            }
        }
    }
    for t in &breaker.transitions {
        if t.at_s >= bounds[0] && t.at_s < bounds[n] {
            out[index(t.at_s)].transitions += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::BreakerTransition;

    fn t(at_s: f64, replica: u32, from: &str, to: &str) -> BreakerTransition {
        BreakerTransition {
            at_s,
            replica,
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    /// Two replicas that open at 10 s, probe half-open for 5 ms every 10 s and fail twice,
    /// then close at 30 s: 10 transitions, most inside buckets whose ends see "open".
    fn flapping() -> BreakerReport {
        let mut transitions = Vec::new();
        for r in 0..2 {
            let d = f64::from(r) * 0.001;
            transitions.push(t(10.0 + d, r, "CLOSED", "OPEN"));
            for probe in [20.0, 30.0] {
                transitions.push(t(probe + d, r, "OPEN", "HALF_OPEN"));
                let to = if probe < 30.0 { "OPEN" } else { "CLOSED" };
                transitions.push(t(probe + d + 0.005, r, "HALF_OPEN", to));
            }
        }
        transitions.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        BreakerReport {
            replicas: 2,
            transitions,
            series: vec![],
        }
    }

    #[test]
    fn every_transition_becomes_a_boundary_between_spells() {
        let b = flapping();
        let lanes = lanes(&b, 60.0);
        assert_eq!(lanes.len(), 2);
        let drawn: usize = lanes.iter().map(Lane::transitions).sum();
        assert_eq!(drawn, b.transitions.len());
        let states: Vec<State> = lanes[0].spells.iter().map(|s| s.state).collect();
        use State::*;
        assert_eq!(states, [Closed, Open, HalfOpen, Open, HalfOpen, Closed]);
        assert_eq!(lanes[0].spells[0].from_s, 0.0);
        assert_eq!(lanes[0].spells.last().unwrap().to_s, 60.0);
        assert!(
            lanes[0].spells.windows(2).all(|w| w[0].to_s == w[1].from_s),
            "spells tile the run"
        );
    }

    #[test]
    fn a_replica_without_transitions_is_closed_throughout_and_others_named_get_lanes() {
        let mut b = flapping();
        b.replicas = 3;
        b.transitions.push(t(40.0, 5, "CLOSED", "OPEN"));
        let lanes = lanes(&b, 60.0);
        let replicas: Vec<u32> = lanes.iter().map(|l| l.replica).collect();
        assert_eq!(replicas, [0, 1, 2, 5]);
        assert_eq!(
            lanes[2].spells,
            [Spell {
                from_s: 0.0,
                to_s: 60.0,
                state: State::Closed
            }]
        );
    }

    #[test]
    fn a_window_with_a_probe_inside_shows_both_states_and_counts_its_transitions() {
        let b = flapping();
        // Six windows of 10 s.
        let bounds: Vec<f64> = (0..=6).map(|i| f64::from(i) * 10.0).collect();
        let w = windows(&b, 60.0, &bounds);
        assert_eq!(
            w[0],
            Window {
                closed: true,
                ..Window::default()
            }
        );
        assert!(w[1].closed && w[1].open && !w[1].half_open);
        assert_eq!(w[1].transitions, 2);
        assert!(w[2].open && w[2].half_open && !w[2].closed, "{:?}", w[2]);
        assert_eq!(w[2].transitions, 4);
        assert!(w[3].half_open && w[3].closed);
        assert_eq!(
            w[4],
            Window {
                closed: true,
                ..Window::default()
            }
        );
        let counted: usize = w.iter().map(|w| w.transitions).sum();
        assert_eq!(counted, b.transitions.len());
    }
}
