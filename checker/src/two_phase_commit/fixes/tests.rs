//! Every fix a violated two-phase commit verdict names works: applied, the property holds.
//! Checked over every combination of fault options and ways of preparing.

use super::*;
use crate::two_phase_commit::{TwoPhaseFaults, verify_two_phase};
use crate::verdict::CheckOptions;

fn every_configuration() -> impl Iterator<Item = TwoPhaseConfig> {
    let crashes = [
        CoordinatorCrash::None,
        CoordinatorCrash::Permanent,
        CoordinatorCrash::RecoverWithLog,
        CoordinatorCrash::RecoverWithoutLog,
    ];
    let prepares = [
        (Prepare::Parallel, false),
        (Prepare::Sequential, true),
        (Prepare::SequentialAbortPrepared, true),
    ];
    crashes.into_iter().flat_map(move |crash| {
        prepares.into_iter().flat_map(move |(prepare, no)| {
            (0u32..32).map(move |bits| {
                let on = |b: u32| bits & (1 << b) != 0;
                TwoPhaseConfig::with_participants(2)
                    .prepare(prepare, no)
                    .faults(TwoPhaseFaults {
                        coordinator_crash: crash,
                        participant_crash: on(0),
                        message_loss: on(1),
                        participant_timeout: on(2),
                        cooperative_termination: on(3),
                        presumed_abort: on(4),
                    })
            })
        })
    })
}

#[test]
fn every_fix_a_violation_names_makes_its_property_hold_and_every_violation_names_one() {
    let mut hinted = 0;
    for cfg in every_configuration() {
        let verdicts = verify_two_phase("t", &cfg, &[], &CheckOptions::default()).unwrap();
        for v in verdicts.iter().filter(|v| v.status.is_violated()) {
            let fixes = fixes(&cfg, v.property);
            assert!(!fixes.is_empty(), "{} on {cfg:?}: no fix named", v.property);
            assert!(v.fix.is_some(), "{}", v.property);
            hinted += 1;
            let mut fixed = cfg.clone();
            for fix in &fixes {
                fix.apply(&mut fixed);
            }
            let after =
                verify_two_phase("t", &fixed, &[v.property], &CheckOptions::default()).unwrap();
            assert!(
                after[0].status.holds(),
                "{} still {} after {fixes:?}\nwas {cfg:?}",
                v.property,
                after[0].status
            );
        }
    }
    assert!(hinted > 50, "{hinted}");
}
