//! What a breaker-and-retry policy must guarantee, as predicates on one state: the six
//! safety properties (`breaker.*`, `retry.*`, checked by stateright) and `breaker.recovers`
//! (liveness, checked by the fair-cycle search), with the fairness it assumes. It reads the
//! model's state and changes nothing; it is separate so the catalogue's breaker entries and
//! the model they judge can be read apart.

use super::model::{Action, BreakerSys, BreakerSysState, CallerPhase};
use crate::catalogue::{
    BREAKER_HALF_OPEN_LIMIT, BREAKER_NO_PREMATURE_OPEN, BREAKER_OPEN_BLOCKS,
    BREAKER_OPENS_WHEN_DUE, BREAKER_RECOVERS, RETRY_BOUNDED, RETRY_RESPECTS_BREAKER,
};
use crate::fairness::ActionFairness;
use crate::liveness::LivenessProperty;
use crate::verify::Protocol;
use microcosm_model::resilience::BreakerState;
use stateright::Property;

impl BreakerSys {
    /// `breaker.open-blocks`.
    pub fn open_blocks(&self, s: &BreakerSysState) -> bool {
        s.caller_set().all(|c| !c.sent_while_open)
    }

    /// `breaker.half-open-limit`.
    pub fn half_open_limit(&self, s: &BreakerSysState) -> bool {
        match (s.breaker_state(), self.params()) {
            (Some(BreakerState::HalfOpen), Some(p)) => {
                let probes = s
                    .caller_set()
                    .count(|c| c.phase == CallerPhase::InFlight && c.probe);
                probes <= u64::from(p.permitted_in_half_open)
            }
            _ => true,
        }
    }

    /// `breaker.opens-when-due`.
    pub fn opens_when_due(&self, s: &BreakerSysState) -> bool {
        if s.missed_open() {
            return false;
        }
        match s.breaker_state() {
            Some(BreakerState::Closed) if self.abstract_closed() => !s.desync(),
            Some(from @ (BreakerState::Closed | BreakerState::HalfOpen)) => {
                !self.justified(from, s.reference().snapshot())
            }
            _ => true,
        }
    }

    /// `breaker.no-premature-open`.
    pub fn no_premature_open(&self, s: &BreakerSysState) -> bool {
        !(s.premature_open() || self.abstract_closed() && s.desync())
    }

    /// `retry.bounded`.
    pub fn retry_bounded(&self, s: &BreakerSysState) -> bool {
        s.caller_set()
            .all(|c| u32::from(c.attempts) <= self.retry().max_attempts)
    }

    /// `retry.respects-breaker`.
    pub fn respects_breaker(&self, s: &BreakerSysState) -> bool {
        s.caller_set()
            .all(|c| !(c.sent_while_open && c.attempts >= 2))
    }

    /// The goal of `breaker.recovers`.
    pub fn closed(&self, s: &BreakerSysState) -> bool {
        s.breaker_state() == Some(BreakerState::Closed)
    }

    /// The safety properties that apply to the policy, as stateright's `Model::properties`
    /// lists them.
    pub(super) fn safety_properties(&self) -> Vec<Property<Self>> {
        let mut props = Vec::new();
        if self.config().breaker.is_some() {
            props.push(Property::always(
                BREAKER_OPEN_BLOCKS,
                |m: &Self, s: &BreakerSysState| m.open_blocks(s),
            ));
            props.push(Property::always(
                BREAKER_HALF_OPEN_LIMIT,
                |m: &Self, s: &BreakerSysState| m.half_open_limit(s),
            ));
            props.push(Property::always(
                BREAKER_OPENS_WHEN_DUE,
                |m: &Self, s: &BreakerSysState| m.opens_when_due(s),
            ));
            props.push(Property::always(
                BREAKER_NO_PREMATURE_OPEN,
                |m: &Self, s: &BreakerSysState| m.no_premature_open(s),
            ));
        }
        if self.config().retry.is_some() {
            props.push(Property::always(
                RETRY_BOUNDED,
                |m: &Self, s: &BreakerSysState| m.retry_bounded(s),
            ));
            if self.config().breaker.is_some() {
                props.push(Property::always(
                    RETRY_RESPECTS_BREAKER,
                    |m: &Self, s: &BreakerSysState| m.respects_breaker(s),
                ));
            }
        }
        props
    }
}

impl Protocol for BreakerSys {
    const PROTOCOL: &'static str = "circuit_breaker";

    fn fairness(&self, action: &Action) -> ActionFairness {
        match action {
            // Counted, a refusal moves a caller out of its class as a retry does, so it
            // discharges the class's obligation (see `callers`); it is never forced.
            Action::CallerRetryRefused(c) if self.is_counted() => {
                ActionFairness::Weak(Action::CallerRetry(*c).code())
            }
            // Healing is the environment's choice; the abstract window's opening and
            // HALF_OPEN's time limit are possibilities the model allows, not obligations.
            Action::DownstreamHeal
            | Action::BreakerTrip
            | Action::BreakerGiveUp
            | Action::CallerRetryRefused(_) => ActionFairness::Unfair,
            a => ActionFairness::Weak(a.code()),
        }
    }

    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        if self.config().breaker.is_none() {
            return Vec::new();
        }
        vec![LivenessProperty::leads_to(
            BREAKER_RECOVERS,
            |_: &Self, s: &BreakerSysState| s.healed(),
            |m: &Self, s: &BreakerSysState| m.closed(s),
        )]
    }
}
