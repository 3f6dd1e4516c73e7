//! Tests of the parent module `two_phase_commit`, kept beside it in a file of their own so the
//! model reads without them.

use super::*;
use crate::catalogue::{TWO_PC_ATOMICITY, TWO_PC_TERMINATION, TWO_PC_VALIDITY};
use crate::trace::{Lasso, replay};
use crate::verdict::{Status, Strategy};
use crate::verify::Protocol;
use stateright::Checker;
use stateright::Model;

fn unique_bfs(sys: TwoPhaseSys) -> usize {
    sys.checker().spawn_bfs().join().unique_state_count()
}

fn orbits(n: usize) -> usize {
    TwoPhaseSys::plain(n)
        .checker()
        .symmetry()
        .spawn_dfs()
        .join()
        .unique_state_count()
}

fn sys(n: usize, faults: TwoPhaseFaults) -> TwoPhaseSys {
    TwoPhaseSys::new(TwoPhaseConfig::with_participants(n).faults(faults)).unwrap()
}

fn check(n: usize, faults: TwoPhaseFaults) -> Vec<Verdict> {
    verify_two_phase(
        "t",
        &TwoPhaseConfig::with_participants(n).faults(faults),
        &[],
        &CheckOptions::default(),
    )
    .unwrap()
}

fn status<'a>(verdicts: &'a [Verdict], id: &str) -> &'a Verdict {
    verdicts.iter().find(|v| v.property == id).unwrap()
}

const PERMANENT: TwoPhaseFaults = TwoPhaseFaults {
    coordinator_crash: CoordinatorCrash::Permanent,
    participant_crash: false,
    message_loss: false,
    participant_timeout: false,
    cooperative_termination: false,
    presumed_abort: false,
};

#[test]
fn no_faults_matches_published_twophase_counts() {
    assert_eq!(unique_bfs(TwoPhaseSys::plain(3)), 288);
    assert_eq!(unique_bfs(TwoPhaseSys::plain(4)), 1_568);
    assert_eq!(unique_bfs(TwoPhaseSys::plain(5)), 8_832);
    assert_eq!(unique_bfs(TwoPhaseSys::plain(6)), 50_816);
}

#[test]
fn symmetry_counts_exact_orbits() {
    assert_eq!(orbits(3), 80);
    assert_eq!(orbits(4), 166);
    assert_eq!(orbits(5), 314);
    assert_eq!(orbits(6), 553);
}

#[test]
fn our_explorer_agrees_with_stateright_on_counts() {
    let model = TwoPhaseSys::plain(4);
    let fairness = |a: &Action| model.fairness(a);
    let e = crate::state_graph::explore(
        &model,
        &fairness,
        crate::state_graph::Limits::default(),
        None,
    );
    assert_eq!(e.stats.unique_states, 1_568);
    assert!(e.cut.is_none());
}

#[test]
fn without_faults_every_property_holds() {
    for v in check(3, TwoPhaseFaults::default()) {
        assert_eq!(v.status, Status::Holds, "{}", v.property);
    }
}

#[test]
fn permanent_coordinator_crash_doubles_the_states_and_keeps_atomicity() {
    assert_eq!(unique_bfs(sys(3, PERMANENT)), 576);
    let verdicts = check(3, PERMANENT);
    assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
    assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
}

#[test]
fn permanent_coordinator_crash_blocks_a_prepared_participant() {
    let verdicts = check(3, PERMANENT);
    let v = status(&verdicts, TWO_PC_TERMINATION);
    assert_eq!(v.status, Status::Violated);
    let cex = v.counterexample.as_ref().unwrap();
    assert_eq!(cex.lasso, Some(Lasso::Stutter));
    let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
    // Shortest: participants prepare, the coordinator crashes, and the prepared ones wait
    // forever (the others, if any, abort on their own as they may).
    assert_eq!(cex.steps.len(), 4, "{}", cex.render_steps());
    let crash = actions.iter().position(|a| *a == "TmCrash").unwrap();
    assert!(
        actions[..crash].contains(&"RmPrepare"),
        "{}",
        cex.render_steps()
    );
    // The trace replays to the same blocked state.
    let model = sys(3, PERMANENT);
    let states = replay(&model, &cex.trace_id).unwrap();
    let end = states.last().unwrap();
    assert!(end.tm_crashed());
    assert!((0..3).any(|rm| end.rm_state(rm) == RmState::Prepared));
}

#[test]
fn recovering_coordinator_with_a_log_terminates() {
    for presumed_abort in [false, true] {
        let faults = TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::RecoverWithLog,
            presumed_abort,
            ..TwoPhaseFaults::default()
        };
        for v in check(3, faults) {
            assert_eq!(v.status, Status::Holds, "{} {presumed_abort}", v.property);
        }
    }
}

#[test]
fn a_coordinator_recovering_without_its_log_breaks_atomicity() {
    for presumed_abort in [true, false] {
        let faults = TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::RecoverWithoutLog,
            presumed_abort,
            ..TwoPhaseFaults::default()
        };
        let verdicts = check(2, faults);
        let v = status(&verdicts, TWO_PC_ATOMICITY);
        assert_eq!(v.status, Status::Violated);
        let cex = v.counterexample.as_ref().unwrap();
        let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
        let crash = actions.iter().position(|a| *a == "TmCrash").unwrap();
        assert_eq!(actions[crash + 1], "TmRecover", "{}", cex.render_steps());
        if presumed_abort {
            // Both prepare and are heard, commit is decided and reaches one participant;
            // the coordinator crashes, forgets, presumes abort; the other one aborts.
            assert_eq!(actions.len(), 9, "{}", cex.render_steps());
            let commit = actions.iter().position(|a| *a == "RmRcvCommitMsg").unwrap();
            assert!(commit < crash, "{}", cex.render_steps());
            assert_eq!(*actions.last().unwrap(), "RmRcvAbortMsg");
        } else {
            // The other way round: an abort reaches one participant, the coordinator
            // forgets it, collects the votes again and commits.
            assert_eq!(actions.len(), 10, "{}", cex.render_steps());
            assert_eq!(*actions.last().unwrap(), "RmRcvCommitMsg");
        }
        // The recovered coordinator always decides, so nobody blocks.
        assert_eq!(status(&verdicts, TWO_PC_TERMINATION).status, Status::Holds);
    }
}

#[test]
fn cooperative_termination_still_blocks_when_everyone_is_prepared() {
    let faults = TwoPhaseFaults {
        cooperative_termination: true,
        ..PERMANENT
    };
    let verdicts = check(3, faults);
    assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
    assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
    let v = status(&verdicts, TWO_PC_TERMINATION);
    assert_eq!(v.status, Status::Violated);
    let cex = v.counterexample.as_ref().unwrap();
    let states = replay(&sys(3, faults), &cex.trace_id).unwrap();
    let end = states.last().unwrap();
    assert!(end.tm_crashed());
    assert!((0..3).all(|rm| end.rm_state(rm) == RmState::Prepared));
}

#[test]
fn a_participant_learns_the_outcome_from_a_decided_peer() {
    let model = sys(
        3,
        TwoPhaseFaults {
            cooperative_termination: true,
            ..PERMANENT
        },
    );
    // rm0 prepared, coordinator down, rm1 aborted on its own: rm0 asks rm1 and aborts.
    let mut s = TwoPhaseState::default();
    s = model.next_state(&s, Action::RmPrepare(0)).unwrap();
    s = model.next_state(&s, Action::TmCrash).unwrap();
    s = model.next_state(&s, Action::RmChooseToAbort(1)).unwrap();
    let mut actions = Vec::new();
    model.actions(&s, &mut actions);
    assert!(actions.contains(&Action::RmAskPeer { rm: 0, peer: 1 }));
    let s = model
        .next_state(&s, Action::RmAskPeer { rm: 0, peer: 1 })
        .unwrap();
    assert_eq!(s.rm_state(0), RmState::Aborted);
    // Asking a peer that has not voted makes both abort.
    let t = model
        .next_state(&s, Action::RmAskPeer { rm: 0, peer: 2 })
        .unwrap();
    assert_eq!(t.rm_state(2), RmState::Aborted);
}

#[test]
fn every_fault_combination_keeps_atomicity_and_validity() {
    for bits in 0..64u32 {
        let faults = TwoPhaseFaults {
            coordinator_crash: match bits % 3 {
                0 => CoordinatorCrash::None,
                1 => CoordinatorCrash::Permanent,
                _ => CoordinatorCrash::RecoverWithLog,
            },
            participant_crash: bits & 2 != 0,
            message_loss: bits & 4 != 0,
            participant_timeout: bits & 8 != 0,
            cooperative_termination: bits & 16 != 0,
            presumed_abort: bits & 32 != 0,
        };
        let verdicts = verify_two_phase(
            "t",
            &TwoPhaseConfig::with_participants(2).faults(faults),
            &[TWO_PC_ATOMICITY, TWO_PC_VALIDITY],
            &CheckOptions::default(),
        )
        .unwrap();
        for v in verdicts {
            assert_eq!(v.status, Status::Holds, "{} under {faults:?}", v.property);
        }
    }
}

#[test]
fn termination_holds_exactly_when_the_coordinator_cannot_vanish() {
    for faults in [
        TwoPhaseFaults {
            participant_crash: true,
            message_loss: true,
            ..TwoPhaseFaults::default()
        },
        TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::RecoverWithLog,
            participant_crash: true,
            message_loss: true,
            presumed_abort: true,
            ..TwoPhaseFaults::default()
        },
    ] {
        let v = verify_two_phase(
            "t",
            &TwoPhaseConfig::with_participants(2).faults(faults),
            &[TWO_PC_TERMINATION],
            &CheckOptions::default(),
        )
        .unwrap();
        assert_eq!(v[0].status, Status::Holds, "{faults:?}");
    }
}

#[test]
fn participant_timeout_adds_no_states() {
    let with = TwoPhaseFaults {
        participant_timeout: true,
        ..PERMANENT
    };
    assert_eq!(unique_bfs(sys(3, with)), unique_bfs(sys(3, PERMANENT)));
}

#[test]
fn symmetry_and_threads_do_not_change_verdicts() {
    let cfg = TwoPhaseConfig::with_participants(3).faults(PERMANENT);
    let plain = verify_two_phase("t", &cfg, &[], &CheckOptions::default()).unwrap();
    let reduced = verify_two_phase(
        "t",
        &cfg,
        &[],
        &CheckOptions {
            symmetry: true,
            threads: 2,
            ..CheckOptions::default()
        },
    )
    .unwrap();
    for (a, b) in plain.iter().zip(&reduced) {
        assert_eq!(a.status, b.status, "{}", a.property);
    }
    let safety = &reduced[0];
    assert!(safety.options.symmetry);
    assert_eq!(safety.options.strategy, Strategy::Dfs);
    assert_eq!(safety.stats.unique_states, 160, "orbits of 576 states");
}

#[test]
fn a_state_bound_makes_verdicts_inconclusive() {
    let verdicts = verify_two_phase(
        "t",
        &TwoPhaseConfig::with_participants(4),
        &[],
        &CheckOptions {
            max_states: Some(200),
            ..CheckOptions::default()
        },
    )
    .unwrap();
    assert_eq!(verdicts.len(), 3);
    for v in &verdicts {
        assert_eq!(
            v.status,
            Status::Inconclusive {
                reason: crate::verdict::Bound::MaxStates { limit: 200 }
            },
            "{}",
            v.property
        );
        assert!(v.stats.unique_states < 1_568);
    }
    // The liveness graph is what the bound protects memory from: it never holds more than
    // the bound, and says how much memory it took.
    let termination = &verdicts[2];
    assert!(termination.stats.unique_states <= 200);
    let bytes = termination
        .stats
        .graph_bytes
        .expect("liveness reports its graph");
    assert!(
        bytes > 0,
        "a graph of {} states",
        termination.stats.unique_states
    );
}

#[test]
fn a_depth_bound_makes_verdicts_inconclusive_only_if_it_cuts() {
    let cfg = TwoPhaseConfig::with_participants(3);
    let shallow = CheckOptions {
        max_depth: Some(3),
        ..CheckOptions::default()
    };
    for v in verify_two_phase("t", &cfg, &[], &shallow).unwrap() {
        assert!(v.status.is_inconclusive(), "{}: {}", v.property, v.status);
    }
    // TwoPhase with 3 participants is at most 3*3+1 steps deep.
    let deep = CheckOptions {
        max_depth: Some(20),
        ..CheckOptions::default()
    };
    for v in verify_two_phase("t", &cfg, &[], &deep).unwrap() {
        assert_eq!(v.status, Status::Holds, "{}", v.property);
    }
}

#[test]
fn unknown_properties_and_bad_configs_are_errors() {
    let cfg = TwoPhaseConfig::with_participants(2);
    let err = verify_two_phase("t", &cfg, &["2pc.nope"], &CheckOptions::default()).unwrap_err();
    assert!(err.to_string().contains("2pc.atomicity"), "{err}");
    assert!(TwoPhaseSys::new(TwoPhaseConfig::with_participants(0)).is_err());
    assert!(TwoPhaseSys::new(TwoPhaseConfig::with_participants(12)).is_err());
    let mut dup = TwoPhaseConfig::with_participants(2);
    dup.participants[1] = "rm0".into();
    assert!(TwoPhaseSys::new(dup).is_err());
}

fn sequential(
    n: usize,
    prepare: Prepare,
    may_vote_no: bool,
    faults: TwoPhaseFaults,
) -> TwoPhaseConfig {
    TwoPhaseConfig::with_participants(n)
        .prepare(prepare, may_vote_no)
        .faults(faults)
}

fn check_cfg(cfg: &TwoPhaseConfig) -> Vec<Verdict> {
    verify_two_phase("t", cfg, &[], &CheckOptions::default()).unwrap()
}

/// Participants give up waiting for a coordinator that will never ask; nothing crashes.
const TIMEOUT: TwoPhaseFaults = TwoPhaseFaults {
    coordinator_crash: CoordinatorCrash::None,
    participant_timeout: true,
    ..PERMANENT
};

#[test]
fn sequential_prepare_asks_one_participant_at_a_time() {
    let model = TwoPhaseSys::new(sequential(
        3,
        Prepare::Sequential,
        true,
        TwoPhaseFaults::default(),
    ))
    .unwrap();
    let s = TwoPhaseState::default();
    let mut actions = Vec::new();
    model.actions(&s, &mut actions);
    // No spontaneous abort, nobody but the first participant votes.
    assert_eq!(actions, [Action::RmPrepare(0), Action::RmChooseToAbort(0)]);
    let s = model.next_state(&s, Action::RmPrepare(0)).unwrap();
    let s = model.next_state(&s, Action::TmRcvPrepared(0)).unwrap();
    actions.clear();
    model.actions(&s, &mut actions);
    assert_eq!(actions, [Action::RmPrepare(1), Action::RmChooseToAbort(1)]);
    // Without refusals, the participant asked can only say yes.
    let yes_only = TwoPhaseSys::new(sequential(
        3,
        Prepare::Sequential,
        false,
        TwoPhaseFaults::default(),
    ))
    .unwrap();
    actions.clear();
    yes_only.actions(&TwoPhaseState::default(), &mut actions);
    assert_eq!(actions, [Action::RmPrepare(0)]);
}

#[test]
fn one_sequential_participant_has_its_seven_states() {
    // Working; prepared; vote recorded; commit decided; committed; and, refusing: aborted,
    // then the coordinator returned.
    let cfg = sequential(1, Prepare::Sequential, true, TwoPhaseFaults::default());
    assert_eq!(unique_bfs(TwoPhaseSys::new(cfg).unwrap()), 7);
}

#[test]
fn the_early_return_leaves_a_prepared_participant_in_doubt() {
    let cfg = sequential(3, Prepare::Sequential, true, TIMEOUT);
    let verdicts = check_cfg(&cfg);
    assert_eq!(status(&verdicts, TWO_PC_ATOMICITY).status, Status::Holds);
    assert_eq!(status(&verdicts, TWO_PC_VALIDITY).status, Status::Holds);
    let v = status(&verdicts, TWO_PC_TERMINATION);
    assert_eq!(v.status, Status::Violated);
    let cex = v.counterexample.as_ref().unwrap();
    let actions: Vec<&str> = cex.steps.iter().map(|s| s.action.as_str()).collect();
    // rm0 prepares and is heard, rm1 refuses, the coordinator returns: rm0 waits forever
    // (rm2, never asked, gives up on its own).
    assert_eq!(
        actions[..4],
        [
            "RmPrepare",
            "TmRcvPrepared(rm0)",
            "RmChooseToAbort",
            "TmReturnEarly"
        ],
        "{}",
        cex.render_steps()
    );
    let end = *replay(&TwoPhaseSys::new(cfg).unwrap(), &cex.trace_id)
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(end.tm_state(), TmState::Returned);
    assert_eq!(end.rm_state(0), RmState::Prepared);
    assert!(!end.tm_crashed(), "blocked by the design, not by a crash");
}

#[test]
fn a_failed_prepare_returns_early_too() {
    // Nobody refuses, but the participant asked may crash: its call fails.
    let faults = TwoPhaseFaults {
        participant_crash: true,
        ..TwoPhaseFaults::default()
    };
    let verdicts = check_cfg(&sequential(2, Prepare::Sequential, false, faults));
    let v = status(&verdicts, TWO_PC_TERMINATION);
    assert_eq!(v.status, Status::Violated);
    let text = v.counterexample.as_ref().unwrap().render_steps();
    assert!(
        text.contains("RmCrash") && text.contains("TmReturnEarly"),
        "{text}"
    );
    // With neither refusals nor failures the loop always commits.
    for v in check_cfg(&sequential(
        3,
        Prepare::Sequential,
        false,
        TwoPhaseFaults::default(),
    )) {
        assert_eq!(v.status, Status::Holds, "{}", v.property);
    }
}

#[test]
fn aborting_everyone_asked_fixes_the_early_return() {
    for faults in [
        TwoPhaseFaults {
            participant_timeout: true,
            ..TwoPhaseFaults::default()
        },
        TwoPhaseFaults {
            participant_crash: true,
            message_loss: true,
            ..TwoPhaseFaults::default()
        },
        TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::RecoverWithLog,
            participant_crash: true,
            ..TwoPhaseFaults::default()
        },
    ] {
        let cfg = sequential(3, Prepare::SequentialAbortPrepared, true, faults);
        for v in check_cfg(&cfg) {
            assert_eq!(v.status, Status::Holds, "{} under {faults:?}", v.property);
        }
        // The same faults with the seed design's bare return block a participant.
        let bug = sequential(3, Prepare::Sequential, true, faults);
        assert!(
            status(&check_cfg(&bug), TWO_PC_TERMINATION)
                .status
                .is_violated(),
            "{faults:?}"
        );
    }
}

#[test]
fn sequential_prepare_keeps_atomicity_and_validity_under_every_fault() {
    for prepare in [Prepare::Sequential, Prepare::SequentialAbortPrepared] {
        for bits in 0..48u32 {
            let faults = TwoPhaseFaults {
                coordinator_crash: match bits % 3 {
                    0 => CoordinatorCrash::None,
                    1 => CoordinatorCrash::Permanent,
                    _ => CoordinatorCrash::RecoverWithLog,
                },
                participant_crash: bits & 2 != 0,
                message_loss: bits & 4 != 0,
                participant_timeout: bits & 8 != 0,
                cooperative_termination: bits & 16 != 0,
                presumed_abort: bits & 32 != 0,
            };
            let cfg = sequential(2, prepare, bits & 1 != 0, faults);
            let verdicts = verify_two_phase(
                "t",
                &cfg,
                &[TWO_PC_ATOMICITY, TWO_PC_VALIDITY],
                &CheckOptions::default(),
            )
            .unwrap();
            for v in verdicts {
                assert_eq!(v.status, Status::Holds, "{} under {cfg:?}", v.property);
            }
        }
    }
}

#[test]
fn sequential_prepare_is_checked_without_symmetry() {
    let cfg = sequential(3, Prepare::Sequential, true, TIMEOUT);
    let opts = CheckOptions {
        symmetry: true,
        ..CheckOptions::default()
    };
    let v = verify_two_phase("t", &cfg, &[TWO_PC_ATOMICITY], &opts)
        .unwrap()
        .remove(0);
    assert!(!v.options.symmetry);
    assert_eq!(
        v.stats.unique_states,
        unique_bfs(TwoPhaseSys::new(cfg).unwrap()) as u64
    );
}

#[test]
fn names_flow_into_traces() {
    let cfg = TwoPhaseConfig {
        coordinator: "ledger".into(),
        participants: vec!["payments".into(), "inventory".into()],
        prepare: Prepare::Parallel,
        participants_may_vote_no: false,
        faults: PERMANENT,
    };
    let v = verify_two_phase("t", &cfg, &[TWO_PC_TERMINATION], &CheckOptions::default())
        .unwrap()
        .remove(0);
    let cex = v.counterexample.unwrap();
    let text = cex.render_steps();
    assert!(text.contains("payments: RmPrepare"), "{text}");
    assert!(text.contains("ledger: TmCrash"), "{text}");
    assert!(text.contains("payments: working → prepared"), "{text}");
    let msc = cex.render_msc();
    assert!(msc.contains("ledger") && msc.contains("inventory"), "{msc}");
}
