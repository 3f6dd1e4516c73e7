//! End-to-end checks of the two-phase commit verdicts through the public API: agreement across
//! symmetry and thread counts, replayable counterexamples, the JSON shape, bounds and progress.

use microcosm_checker::catalogue::{TWO_PC_ATOMICITY, TWO_PC_TERMINATION, TWO_PC_VALIDITY};
use microcosm_checker::{
    CheckOptions, CoordinatorCrash, Describe, Prepare, ProgressHook, Status, TwoPhaseConfig,
    TwoPhaseFaults, TwoPhaseSys, Verdict, replay, verify_two_phase,
};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn faults_strategy(n: usize) -> impl Strategy<Value = TwoPhaseFaults> {
    // With four participants, participant crashes and message loss multiply the state space
    // (~550k states); keep those to two and three participants so the debug test stays fast.
    let heavy = n <= 3;
    (
        prop_oneof![
            Just(CoordinatorCrash::None),
            Just(CoordinatorCrash::Permanent),
            Just(CoordinatorCrash::RecoverWithLog),
            // The one setting that violates safety, so violated verdicts must agree too.
            Just(CoordinatorCrash::RecoverWithoutLog)
        ],
        any::<[bool; 4]>(),
        any::<[bool; 2]>(),
    )
        .prop_map(move |(coordinator_crash, b, h)| TwoPhaseFaults {
            coordinator_crash,
            participant_crash: heavy && h[0],
            message_loss: heavy && h[1],
            participant_timeout: b[0],
            cooperative_termination: b[1],
            presumed_abort: b[2],
        })
}

fn config() -> impl Strategy<Value = TwoPhaseConfig> {
    (2usize..=4)
        .prop_flat_map(|n| (Just(n), faults_strategy(n)))
        .prop_map(|(n, faults)| TwoPhaseConfig::with_participants(n).faults(faults))
}

fn statuses(verdicts: &[Verdict]) -> Vec<(&'static str, Status)> {
    verdicts
        .iter()
        .map(|v| (v.property, v.status.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Symmetry reduction and parallelism are optimisations: they must never change a verdict.
    #[test]
    fn verdicts_agree_with_and_without_symmetry_and_threads(cfg in config()) {
        let base = verify_two_phase("p", &cfg, &[], &CheckOptions::default()).unwrap();
        prop_assert_eq!(base.len(), 3);
        let safety = [TWO_PC_ATOMICITY, TWO_PC_VALIDITY];
        for (symmetry, threads) in [(true, 1), (false, 2), (true, 2)] {
            let opts = CheckOptions { symmetry, threads, ..CheckOptions::default() };
            let other = verify_two_phase("p", &cfg, &safety, &opts).unwrap();
            prop_assert_eq!(statuses(&base[..2]), statuses(&other), "symmetry={} threads={}", symmetry, threads);
            // A violated run stops when it has every counterexample, which depends on the
            // order of exploration; a complete one sees the whole space.
            let complete = !other.iter().any(|v| v.status.is_violated());
            if symmetry && complete {
                prop_assert!(other[0].stats.unique_states <= base[0].stats.unique_states);
            } else if complete {
                prop_assert_eq!(other[0].stats.unique_states, base[0].stats.unique_states);
            }
        }
        // Atomicity breaks exactly when the coordinator can forget a decision it sent.
        let forgets = cfg.faults.coordinator_crash == CoordinatorCrash::RecoverWithoutLog;
        prop_assert_eq!(base[0].status.is_violated(), forgets, "{:?}", cfg.faults);
        // Termination is violated when the coordinator can vanish for good.
        if cfg.faults.coordinator_crash != CoordinatorCrash::RecoverWithoutLog {
            let blocked = cfg.faults.coordinator_crash == CoordinatorCrash::Permanent;
            prop_assert_eq!(base[2].status.is_violated(), blocked, "{:?}", cfg.faults);
        }
        // Our explorer and stateright see the same state space (when stateright explores all
        // of it: it stops early once every safety property has a counterexample).
        if !forgets {
            prop_assert_eq!(base[2].stats.unique_states, base[0].stats.unique_states);
        }
    }
}

/// Sequential prepare (the seed design's early return, and its fix) on two or three
/// participants, with any fault but a coordinator that forgets its decision.
fn sequential_config() -> impl Strategy<Value = (TwoPhaseConfig, TwoPhaseConfig)> {
    (2usize..=3, faults_strategy(3), any::<bool>()).prop_map(|(n, faults, may_vote_no)| {
        let faults = TwoPhaseFaults {
            coordinator_crash: match faults.coordinator_crash {
                CoordinatorCrash::RecoverWithoutLog => CoordinatorCrash::RecoverWithLog,
                other => other,
            },
            ..faults
        };
        let cfg = |prepare| {
            TwoPhaseConfig::with_participants(n)
                .prepare(prepare, may_vote_no)
                .faults(faults)
        };
        (
            cfg(Prepare::Sequential),
            cfg(Prepare::SequentialAbortPrepared),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The early return blocks a prepared participant exactly when a prepare can end badly; the
    /// fix terminates unless the coordinator can vanish; neither ever breaks safety; threads and
    /// a symmetry request change nothing (sequential prepare has no symmetry).
    #[test]
    fn sequential_prepare_blocks_exactly_when_a_prepare_can_fail((bug, fix) in sequential_config()) {
        let f = bug.faults;
        let bug_v = verify_two_phase("bug", &bug, &[], &CheckOptions::default()).unwrap();
        let fix_v = verify_two_phase("fix", &fix, &[], &CheckOptions::default()).unwrap();
        for v in bug_v[..2].iter().chain(&fix_v[..2]) {
            prop_assert!(v.status.holds(), "{} {}: {:?}", v.model, v.property, bug);
        }
        let vanishes = f.coordinator_crash == CoordinatorCrash::Permanent;
        prop_assert_eq!(fix_v[2].status.is_violated(), vanishes, "{:?}", fix);
        // A prepare ends badly when the participant asked refuses, crashes, loses its vote, or
        // (having timed out while the coordinator was down) is found aborted — unless the
        // recovered coordinator presumes abort: with no decision logged it aborts everyone
        // instead of resuming the prepare, so nobody is left prepared.
        let can_fail = bug.participants_may_vote_no
            || f.participant_crash
            || f.message_loss
            || (f.participant_timeout
                && f.coordinator_crash != CoordinatorCrash::None
                && !f.presumed_abort);
        // Asking a peer that refused rescues a prepared participant, so the characterisation
        // is stated without cooperative termination; with it, the fix still never does worse.
        if !f.cooperative_termination {
            prop_assert_eq!(bug_v[2].status.is_violated(), can_fail || vanishes, "{:?}", bug);
        }
        prop_assert!(bug_v[2].status.is_violated() || !fix_v[2].status.is_violated());
        let opts = CheckOptions { symmetry: true, threads: 2, ..CheckOptions::default() };
        let other = verify_two_phase("bug", &bug, &[TWO_PC_ATOMICITY], &opts).unwrap();
        prop_assert!(!other[0].options.symmetry);
        prop_assert_eq!(other[0].stats.unique_states, bug_v[0].stats.unique_states);
    }
}

#[test]
fn every_counterexample_replays_to_the_states_it_describes() {
    for faults in [
        TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::Permanent,
            ..TwoPhaseFaults::default()
        },
        TwoPhaseFaults {
            coordinator_crash: CoordinatorCrash::Permanent,
            cooperative_termination: true,
            participant_crash: true,
            message_loss: true,
            ..TwoPhaseFaults::default()
        },
    ] {
        let cfg = TwoPhaseConfig {
            coordinator: "ledger".into(),
            participants: vec!["payments".into(), "inventory".into(), "shipping".into()],
            prepare: Prepare::Parallel,
            participants_may_vote_no: false,
            faults,
        };
        let model = TwoPhaseSys::new(cfg.clone()).unwrap();
        let v = verify_two_phase("t", &cfg, &[TWO_PC_TERMINATION], &CheckOptions::default())
            .unwrap()
            .remove(0);
        let cex = v.counterexample.expect("violated");
        let states = replay(&model, &cex.trace_id).unwrap();
        assert_eq!(states.len(), cex.steps.len() + 1);
        // Rebuild every state's fields from the initial state and the listed changes.
        let mut fields: Vec<(String, String)> = cex
            .initial_state
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        assert_eq!(fields, model.describe_state(&states[0]));
        for (step, state) in cex.steps.iter().zip(&states[1..]) {
            for c in &step.changes {
                let field = fields.iter_mut().find(|(n, _)| *n == c.field).unwrap();
                assert_eq!(field.1, c.before);
                field.1 = c.after.clone();
            }
            assert_eq!(
                fields,
                model.describe_state(state),
                "after step {}",
                step.number
            );
        }
        // A blocked participant, a crashed coordinator.
        let last = states.last().unwrap();
        assert!(last.tm_crashed());
    }
}

#[test]
fn a_tampered_trace_id_is_rejected() {
    let model = TwoPhaseSys::plain(2);
    assert!(replay(&model, "0/1/0").is_ok());
    assert!(replay(&model, "0/99").is_err(), "no such action");
    assert!(replay(&model, "1").is_err(), "no such initial state");
    assert!(replay(&model, "0/1@0").is_err(), "does not loop");
    assert!(replay(&model, "zero").is_err());
    assert!(replay(&model, "").is_err());
}

#[test]
fn verdicts_serialize_as_documented() {
    let cfg = TwoPhaseConfig::with_participants(2).faults(TwoPhaseFaults {
        coordinator_crash: CoordinatorCrash::Permanent,
        ..TwoPhaseFaults::default()
    });
    let verdicts = verify_two_phase("xfer", &cfg, &[], &CheckOptions::default()).unwrap();
    let json = serde_json::to_value(&verdicts).unwrap();
    let atomicity = &json[0];
    assert_eq!(atomicity["model"], "xfer");
    assert_eq!(atomicity["protocol"], "two_phase_commit");
    assert_eq!(atomicity["property"], "2pc.atomicity");
    assert_eq!(atomicity["status"], "holds");
    assert_eq!(
        atomicity["stats"]["unique_states"], 112,
        "2 × TwoPhase(2) = 2 × 56"
    );
    assert_eq!(atomicity["options"]["engine"], "stateright");
    assert_eq!(atomicity["options"]["strategy"], "bfs");
    assert!(atomicity.get("counterexample").is_none());
    let termination = &json[2];
    assert_eq!(termination["status"], "violated");
    let cex = &termination["counterexample"];
    assert!(cex["steps"].as_array().unwrap().len() >= 2);
    assert_eq!(cex["steps"][0]["number"], 1);
    assert!(cex["steps"][0]["changes"][0]["before"].is_string());
    assert_eq!(cex["lasso"]["kind"], "stutter");
    assert!(
        cex["trace_id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("@{}", cex["steps"].as_array().unwrap().len()))
    );

    let inconclusive = verify_two_phase(
        "xfer",
        &cfg,
        &[TWO_PC_ATOMICITY],
        &CheckOptions {
            max_states: Some(10),
            ..CheckOptions::default()
        },
    )
    .unwrap();
    let json = serde_json::to_value(&inconclusive[0]).unwrap();
    assert_eq!(json["status"], "inconclusive");
    assert_eq!(json["reason"]["bound"], "max_states");
    assert_eq!(json["reason"]["limit"], 10);
}

#[test]
fn a_timeout_that_strikes_is_inconclusive_never_holds() {
    let cfg = TwoPhaseConfig::with_participants(6);
    let verdicts = verify_two_phase(
        "t",
        &cfg,
        &[],
        &CheckOptions {
            timeout: Some(Duration::from_millis(1)),
            ..CheckOptions::default()
        },
    )
    .unwrap();
    for v in verdicts {
        assert!(v.status.is_inconclusive(), "{}: {}", v.property, v.status);
    }
}

#[test]
fn a_timeout_stops_a_single_threaded_search_on_time() {
    // Eight participants take many seconds in a debug build. stateright consults its timeout
    // only when a worker runs out of work, which a lone worker never does before the end; the
    // safety search must stop near the deadline anyway.
    let cfg = TwoPhaseConfig::with_participants(8);
    let start = std::time::Instant::now();
    let verdicts = verify_two_phase(
        "t",
        &cfg,
        &[TWO_PC_ATOMICITY],
        &CheckOptions {
            timeout: Some(Duration::from_millis(200)),
            ..CheckOptions::default()
        },
    )
    .unwrap();
    let took = start.elapsed();
    assert!(
        verdicts[0].status.is_inconclusive(),
        "{}",
        verdicts[0].status
    );
    assert!(verdicts[0].stats.unique_states < 1_745_408);
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_cancelled_check_stops_promptly_in_safety_and_liveness() {
    // Eight participants take many seconds in a debug build; cancelling 100 ms in must end
    // both the safety search and the liveness exploration, each inconclusive.
    let cfg = TwoPhaseConfig::with_participants(8);
    for property in [TWO_PC_ATOMICITY, TWO_PC_TERMINATION] {
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::Relaxed);
        });
        let start = std::time::Instant::now();
        let verdicts = verify_two_phase(
            "t",
            &cfg,
            &[property],
            &CheckOptions {
                cancel: Some(cancel),
                ..CheckOptions::default()
            },
        )
        .unwrap();
        canceller.join().unwrap();
        let took = start.elapsed();
        assert_eq!(
            verdicts[0].status,
            Status::Inconclusive {
                reason: microcosm_checker::Bound::Cancelled
            },
            "{property}"
        );
        assert!(took < Duration::from_secs(3), "{property} took {took:?}");
    }
}

#[test]
fn progress_reaches_the_final_counts() {
    let last_unique = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let hook = {
        let (last_unique, calls) = (Arc::clone(&last_unique), Arc::clone(&calls));
        ProgressHook::new(move |p| {
            calls.fetch_add(1, Ordering::Relaxed);
            last_unique.store(p.unique_states, Ordering::Relaxed);
        })
    };
    let opts = CheckOptions {
        progress: Some(hook),
        ..CheckOptions::default()
    };
    let cfg = TwoPhaseConfig::with_participants(4);
    let verdicts = verify_two_phase("t", &cfg, &[], &opts).unwrap();
    assert!(verdicts.iter().all(|v| v.status.holds()));
    assert!(
        calls.load(Ordering::Relaxed) >= 2,
        "one final report per engine"
    );
    assert_eq!(last_unique.load(Ordering::Relaxed), 1_568);
}

/// The seven-participant count: about two seconds in a debug build, so it runs with the suite.
#[test]
fn seven_participants_match_the_published_count() {
    let cfg = TwoPhaseConfig::with_participants(7);
    let verdicts = verify_two_phase("t", &cfg, &[], &CheckOptions::default()).unwrap();
    for v in &verdicts {
        assert!(v.status.holds(), "{}", v.property);
        assert_eq!(v.stats.unique_states, 296_448, "{}", v.property);
    }
}
