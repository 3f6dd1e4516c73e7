//! Known-buggy two-phase commit designs must be caught with the expected counterexample. Each
//! bug is a model wrapping [`TwoPhaseSys`] with one extra, wrong action, which also shows that the
//! verification pipeline is generic over any [`Protocol`].

use microcosm_checker::catalogue::{TWO_PC_ATOMICITY, TWO_PC_VALIDITY};
use microcosm_checker::two_phase_commit::{Action, RmState};
use microcosm_checker::{
    ActionFairness, ActionView, CheckOptions, Describe, LivenessProperty, Protocol, Status,
    TwoPhaseState, TwoPhaseSys, replay, verify,
};
use stateright::{Model, Property};

/// Which wrong action the coordinator or a participant may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    /// The coordinator commits as soon as one vote is in.
    CommitOnFirstVote,
    /// A prepared participant gives up and aborts on its own (a "heuristic abort").
    HeuristicAbort,
}

#[derive(Clone, Debug)]
struct Buggy {
    base: TwoPhaseSys,
    bug: Bug,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum BuggyAction {
    Base(Action),
    TmCommitEarly,
    RmHeuristicAbort(u8),
}

impl Model for Buggy {
    type State = TwoPhaseState;
    type Action = BuggyAction;

    fn init_states(&self) -> Vec<TwoPhaseState> {
        self.base.init_states()
    }

    fn actions(&self, s: &TwoPhaseState, actions: &mut Vec<BuggyAction>) {
        let mut base = Vec::new();
        self.base.actions(s, &mut base);
        actions.extend(base.into_iter().map(BuggyAction::Base));
        match self.bug {
            Bug::CommitOnFirstVote => {
                let any_vote = (0..self.base.participants()).any(|rm| s.tm_prepared(rm));
                let all_votes = (0..self.base.participants()).all(|rm| s.tm_prepared(rm));
                if s.tm_state() == microcosm_checker::two_phase_commit::TmState::Init
                    && any_vote
                    && !all_votes
                {
                    actions.push(BuggyAction::TmCommitEarly);
                }
            }
            Bug::HeuristicAbort => {
                for rm in 0..self.base.participants() {
                    if s.rm_state(rm) == RmState::Prepared {
                        actions.push(BuggyAction::RmHeuristicAbort(rm as u8));
                    }
                }
            }
        }
    }

    fn next_state(&self, s: &TwoPhaseState, action: BuggyAction) -> Option<TwoPhaseState> {
        match action {
            BuggyAction::Base(a) => self.base.next_state(s, a),
            // Reuse the real commit transition, skipping its guard.
            BuggyAction::TmCommitEarly => self.base.next_state(s, Action::TmCommit),
            // A prepared participant moving to aborted is what receiving Abort does.
            BuggyAction::RmHeuristicAbort(rm) => self.base.next_state(s, Action::RmRcvAbortMsg(rm)),
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(TWO_PC_ATOMICITY, |m: &Self, s: &TwoPhaseState| {
                m.base.atomicity(s)
            }),
            Property::always(TWO_PC_VALIDITY, |m: &Self, s: &TwoPhaseState| {
                m.base.validity(s)
            }),
        ]
    }
}

impl Describe for Buggy {
    fn parties(&self) -> Vec<String> {
        self.base.parties()
    }
    fn describe_action(&self, action: &BuggyAction) -> ActionView {
        match action {
            BuggyAction::Base(a) => self.base.describe_action(a),
            BuggyAction::TmCommitEarly => ActionView {
                actor: 0,
                label: "TmCommitEarly".into(),
                message: None,
            },
            BuggyAction::RmHeuristicAbort(rm) => ActionView {
                actor: *rm as usize + 1,
                label: "RmHeuristicAbort".into(),
                message: None,
            },
        }
    }
    fn describe_state(&self, s: &TwoPhaseState) -> Vec<(String, String)> {
        self.base.describe_state(s)
    }
}

impl Protocol for Buggy {
    const PROTOCOL: &'static str = "two_phase_commit";
    fn fairness(&self, _: &BuggyAction) -> ActionFairness {
        ActionFairness::Unfair
    }
    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        Vec::new()
    }
}

fn check(bug: Bug) -> Vec<microcosm_checker::Verdict> {
    let model = Buggy {
        base: TwoPhaseSys::plain(3),
        bug,
    };
    verify("buggy", &model, &[], &CheckOptions::default()).unwrap()
}

#[test]
fn committing_on_the_first_vote_violates_validity_in_three_steps() {
    let verdicts = check(Bug::CommitOnFirstVote);
    let validity = verdicts
        .iter()
        .find(|v| v.property == TWO_PC_VALIDITY)
        .unwrap();
    assert_eq!(validity.status, Status::Violated);
    let cex = validity.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        ["RmPrepare", "TmRcvPrepared(rm0)", "TmCommitEarly"],
        "{}",
        cex.render_steps()
    );
    let model = Buggy {
        base: TwoPhaseSys::plain(3),
        bug: Bug::CommitOnFirstVote,
    };
    let states = replay(&model, &cex.trace_id).unwrap();
    assert!(!model.base.validity(states.last().unwrap()));
}

#[test]
fn a_heuristic_abort_after_voting_violates_atomicity() {
    let verdicts = check(Bug::HeuristicAbort);
    let atomicity = verdicts
        .iter()
        .find(|v| v.property == TWO_PC_ATOMICITY)
        .unwrap();
    assert_eq!(atomicity.status, Status::Violated);
    let cex = atomicity.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
    // Shortest: everyone votes, the coordinator collects and commits, one participant commits,
    // another aborts on its own.
    assert_eq!(actions.len(), 9, "{}", cex.render_steps());
    assert_eq!(actions.last(), Some(&"RmHeuristicAbort"));
    assert!(actions.contains(&"TmCommit"));
}
