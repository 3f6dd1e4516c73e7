//! The callers of a breaker model, held one by one (caller `i` is entry `i`: the per-caller
//! model, for up to [`super::MAX_CALLERS`] callers) or as a counter abstraction (how many callers
//! are in each local state, not which: the model policy jobs run, for the deployment's real
//! number of concurrent callers).
//!
//! Why counting is exact. Callers are interchangeable: each runs the same code, and what one
//! does depends only on its own local state ([`Caller`]) and the shared state (breaker, clock,
//! downstream), never on another caller's identity; the only thing that changes callers other
//! than the one acting is a HALF_OPEN episode ending, which clears the trial-call mark of every
//! caller alike. So the permutations of callers are automorphisms of the per-caller model, and
//! the quotient by them is the multiset of local states: one action per *class* ("a caller in
//! local state X calls"), generated once however many callers are in X. Every path of the
//! per-caller model maps to a path of the same length here and every path here lifts to one
//! there (pick any caller of the class), so the reachable states, the safety verdicts and the
//! shortest counterexamples' lengths are the same.
//!
//! Liveness needs the fairness to carry over. Per caller, `breaker.recovers` assumes weak
//! fairness of each caller's call, retry and the downstream's answer to it
//! ([`crate::liveness`]: a class of actions enabled in every state of a cycle must be taken in
//! it). Here the fairness classes are per local state: "some caller in X calls (retries, is
//! answered)". The two agree:
//! - *Per-caller fair ⇒ class fair.* If class X stays non-empty forever, take a caller `c` in
//!   X. It leaves X only by its own step from X, or when a HALF_OPEN episode ends, which moves
//!   every caller out of a trial-call class at once and so empties X (contradicting "stays
//!   non-empty"). If it never leaves, its own action is continuously enabled (a caller's
//!   actions are enabled exactly when its phase allows them, whoever else is where), so weak
//!   fairness makes it act. Either way some caller steps out of X by X's action. One caller
//!   step is not fair per caller but leaves its class: a retry budget's refusal
//!   (`CallerRetryRefused`, unfair, since a budget may refuse forever). It ends the per-caller
//!   obligation to retry (the retry is no longer enabled), so it must end the class's too: in
//!   the counter model the refusal carries the retry's class. It is still no obligation: a
//!   class is discharged by either, and a refusal is never forced.
//! - *Class fair ⇒ per-caller fair.* An abstract fair cycle is concretised by choosing, each
//!   time class X fires, the caller that has been in X longest (FIFO). Every caller in a
//!   continuously non-empty class is then eventually chosen or moved out, so no caller's
//!   action stays enabled forever untaken; repeating the cycle as many times as the order of
//!   the permutation it induces on callers gives a concrete cycle. Enabledness (TLA+'s
//!   `ENABLED`, a step must change the state) coincides too: a caller's step changes the
//!   per-caller state iff it changes the multiset, since a caller that stays in its class with
//!   the shared state unchanged is a stutter in both.
//!
//! So the counter model's verdicts are the per-caller model's, for every property;
//! `circuit_breaker`'s tests compare them on random configurations of every variant.

use super::{Caller, CallerPhase};

/// The callers: one by one, or counted per local state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Callers {
    /// Caller `i` is entry `i`; an action names a caller by its index.
    Each(Vec<Caller>),
    /// How many callers are in each local state, sorted by local state, no zero counts; an
    /// action names a class by its local state's [`code`].
    Counted(Vec<(Caller, u32)>),
}

/// A local state as a number: the name of its class in actions and fairness classes.
pub fn code(c: &Caller) -> u16 {
    let phase = match c.phase {
        CallerPhase::Idle => 0,
        CallerPhase::InFlight => 1,
        CallerPhase::Backoff => 2,
    };
    (u16::from(c.attempts) << 4)
        | (phase << 2)
        | (u16::from(c.probe) << 1)
        | u16::from(c.sent_while_open)
}

/// The local state with this [`code`].
pub fn decode(code: u16) -> Option<Caller> {
    let phase = match (code >> 2) & 3 {
        0 => CallerPhase::Idle,
        1 => CallerPhase::InFlight,
        2 => CallerPhase::Backoff,
        _ => return None,
    };
    Some(Caller {
        phase,
        attempts: u8::try_from(code >> 4).ok()?,
        probe: code & 2 != 0,
        sent_while_open: code & 1 != 0,
    })
}

impl Callers {
    /// `n` idle callers.
    pub fn idle(n: usize, counted: bool) -> Self {
        if counted {
            Callers::Counted(vec![(Caller::default(), n as u32)])
        } else {
            Callers::Each(vec![Caller::default(); n])
        }
    }

    /// Whether callers are counted rather than held one by one.
    pub fn is_counted(&self) -> bool {
        matches!(self, Callers::Counted(_))
    }

    /// Every caller (reference, local state) an action may name: each caller, or each class
    /// once, in a deterministic order.
    pub fn refs(&self) -> Vec<(u16, Caller)> {
        match self {
            Callers::Each(v) => v.iter().enumerate().map(|(i, c)| (i as u16, *c)).collect(),
            Callers::Counted(v) => v.iter().map(|(c, _)| (code(c), *c)).collect(),
        }
    }

    /// The local state of the caller (or class) `r`, if there is one.
    pub fn get(&self, r: u16) -> Option<Caller> {
        match self {
            Callers::Each(v) => v.get(usize::from(r)).copied(),
            Callers::Counted(v) => {
                let c = decode(r)?;
                v.iter().any(|(k, _)| *k == c).then_some(c)
            }
        }
    }

    /// Takes caller `r` (one caller of class `r`) out, to act on it; [`Callers::put`] puts it
    /// back in its new local state.
    pub fn take(&mut self, r: u16) -> Option<Caller> {
        match self {
            Callers::Each(v) => v.get(usize::from(r)).copied(),
            Callers::Counted(v) => {
                let c = decode(r)?;
                let i = v.iter().position(|(k, _)| *k == c)?;
                v[i].1 -= 1;
                if v[i].1 == 0 {
                    v.remove(i);
                }
                Some(c)
            }
        }
    }

    /// Puts caller `r`, taken by [`Callers::take`], back as `c`.
    pub fn put(&mut self, r: u16, c: Caller) {
        match self {
            Callers::Each(v) => v[usize::from(r)] = c,
            Callers::Counted(v) => match v.binary_search_by(|(k, _)| k.cmp(&c)) {
                Ok(i) => v[i].1 += 1,
                Err(i) => v.insert(i, (c, 1)),
            },
        }
    }

    /// Changes every caller alike, keeping the counts canonical.
    pub fn update_all(&mut self, f: impl Fn(&mut Caller)) {
        match self {
            Callers::Each(v) => v.iter_mut().for_each(f),
            Callers::Counted(v) => {
                v.iter_mut().for_each(|(c, _)| f(c));
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    if same {
                        kept.1 += later.1;
                    }
                    same
                });
            }
        }
    }

    /// How many callers satisfy `pred`.
    pub fn count(&self, pred: impl Fn(&Caller) -> bool) -> u64 {
        match self {
            Callers::Each(v) => v.iter().filter(|c| pred(c)).count() as u64,
            Callers::Counted(v) => v
                .iter()
                .filter(|(c, _)| pred(c))
                .map(|(_, n)| u64::from(*n))
                .sum(),
        }
    }

    /// Whether every caller satisfies `pred`.
    pub fn all(&self, pred: impl Fn(&Caller) -> bool) -> bool {
        match self {
            Callers::Each(v) => v.iter().all(pred),
            Callers::Counted(v) => v.iter().all(|(c, _)| pred(c)),
        }
    }

    /// Every caller's local state (counted callers in class order).
    pub fn expand(&self) -> Vec<Caller> {
        match self {
            Callers::Each(v) => v.clone(),
            Callers::Counted(v) => v
                .iter()
                .flat_map(|(c, n)| std::iter::repeat_n(*c, *n as usize))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_every_local_state_once() {
        for attempts in 0..=101u8 {
            for phase in [
                CallerPhase::Idle,
                CallerPhase::InFlight,
                CallerPhase::Backoff,
            ] {
                for probe in [false, true] {
                    for sent_while_open in [false, true] {
                        let c = Caller {
                            phase,
                            attempts,
                            probe,
                            sent_while_open,
                        };
                        assert_eq!(decode(code(&c)), Some(c));
                    }
                }
            }
        }
        assert_eq!(decode(3 << 2), None);
    }

    #[test]
    fn counts_stay_canonical() {
        let mut a = Callers::idle(3, true);
        let busy = Caller {
            phase: CallerPhase::InFlight,
            attempts: 1,
            probe: true,
            sent_while_open: false,
        };
        let idle = a.take(code(&Caller::default())).unwrap();
        assert_eq!(idle, Caller::default());
        a.put(code(&idle), busy);
        let mut b = a.clone();
        assert_eq!(a.count(|c| c.probe), 1);
        // Clearing the trial-call mark merges the class into the untouched one of equal state.
        let plain = Caller {
            probe: false,
            ..busy
        };
        b.put(0, plain);
        b.update_all(|c| c.probe = false);
        assert_eq!(
            b,
            Callers::Counted(vec![(Caller::default(), 2), (plain, 2)])
        );
        assert_eq!(b.expand().len(), 4);
    }
}
