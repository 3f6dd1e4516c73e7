//! What two-phase commit must guarantee, as predicates on one state: `2pc.atomicity` and
//! `2pc.validity` (safety, checked by stateright), and `2pc.termination` (liveness, checked by
//! the fair-cycle search), with the fairness it assumes and the symmetry the checker may use.
//! It reads the model's state through its accessors and changes nothing; it is separate so the
//! catalogue's 2PC entries and the model they judge can be read apart.

use super::model::{Action, RmState, TmState, TwoPhaseState, TwoPhaseSys};
use crate::catalogue::{TWO_PC_ATOMICITY, TWO_PC_TERMINATION, TWO_PC_VALIDITY};
use crate::fairness::ActionFairness;
use crate::liveness::LivenessProperty;
use crate::verify::{Canonicalize, Protocol};
use stateright::{Property, Representative};

impl TwoPhaseSys {
    /// `2pc.atomicity` on one state: no participant committed while another aborted.
    pub fn atomicity(&self, s: &TwoPhaseState) -> bool {
        let committed = self.rms().any(|rm| s.rm_state(rm) == RmState::Committed);
        let aborted = self.rms().any(|rm| s.rm_state(rm) == RmState::Aborted);
        !(committed && aborted)
    }

    /// `2pc.validity` on one state: once commit is decided, every participant has voted yes
    /// (is prepared or committed).
    pub fn validity(&self, s: &TwoPhaseState) -> bool {
        let commit_decided = s.tm_state() == TmState::Committed
            || self.rms().any(|rm| s.rm_state(rm) == RmState::Committed);
        !commit_decided
            || self
                .rms()
                .all(|rm| matches!(s.rm_state(rm), RmState::Prepared | RmState::Committed))
    }

    /// Whether every participant has decided (the goal of `2pc.termination`).
    pub fn all_decided(&self, s: &TwoPhaseState) -> bool {
        self.rms()
            .all(|rm| matches!(s.rm_state(rm), RmState::Committed | RmState::Aborted))
    }

    /// The safety properties, as stateright's `Model::properties` lists them.
    pub(super) fn safety_properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(TWO_PC_ATOMICITY, |m: &Self, s: &TwoPhaseState| {
                m.atomicity(s)
            }),
            Property::always(TWO_PC_VALIDITY, |m: &Self, s: &TwoPhaseState| m.validity(s)),
        ]
    }
}

impl Protocol for TwoPhaseSys {
    const PROTOCOL: &'static str = "two_phase_commit";

    fn fairness(&self, action: &Action) -> ActionFairness {
        if action.is_fault() {
            ActionFairness::Fault
        } else {
            ActionFairness::Weak(action.code())
        }
    }

    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        vec![LivenessProperty::always_eventually(
            TWO_PC_TERMINATION,
            |m: &Self, s: &TwoPhaseState| m.all_decided(s),
        )]
    }

    fn symmetry(&self) -> Option<Canonicalize<TwoPhaseState>> {
        // Sequential prepare asks participants in order: swapping two changes the behaviour.
        (!self.sequential()).then_some(<TwoPhaseState as Representative>::representative)
    }
}
