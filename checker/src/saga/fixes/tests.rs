//! Every fix a violated verdict names works: applied to the configuration, the property holds.
//! Checked over every combination of fault options, orchestrated and choreographed, on sagas
//! whose steps keep the pivot rule and on two that break it.

use super::*;
use crate::saga::verify_saga;
use crate::verdict::{CheckOptions, Verdict};
use microcosm_model::SagaFaults;

fn check(cfg: &SagaConfig) -> Vec<Verdict> {
    verify_saga("t", cfg, &[], &CheckOptions::default()).unwrap()
}

fn every_fault_combination(style: SagaStyle) -> impl Iterator<Item = SagaFaults> {
    (0u32..512).filter_map(move |bits| {
        let on = |b: u32| bits & (1 << b) != 0;
        let orchestrated = style == SagaStyle::Orchestrated;
        let faults = SagaFaults {
            coordinator_crash: orchestrated && on(0),
            saga_log: match (orchestrated, on(1), on(8)) {
                (false, ..) | (true, false, false) => SagaLog::None,
                (true, true, _) => SagaLog::BeforeStep,
                (true, false, true) => SagaLog::AfterStep,
            },
            duplicate_delivery: on(2),
            message_loss: on(3),
            redelivery: on(4),
            compensation_failure: on(5),
            compensation_retry: on(6),
            outbox: if !orchestrated && on(7) {
                Outbox::DualWrite
            } else {
                Outbox::Transactional
            },
        };
        // Each combination once: bits that change nothing in this style are skipped.
        let used = (0..9).all(|b| {
            !on(b)
                || match b {
                    0 | 1 | 8 => orchestrated,
                    7 => !orchestrated,
                    _ => true,
                }
        });
        (used && !(on(1) && on(8))).then_some(faults)
    })
}

fn shapes(style: SagaStyle) -> Vec<SagaConfig> {
    let two = SagaConfig::orchestrated(2).step(1, |s| s.can_fail = true);
    let idempotent_first = SagaConfig::orchestrated(2)
        .step(0, |s| s.idempotent = true)
        .step(1, |s| s.can_fail = true);
    // Three steps, the last a retriable one after a pivot that can fail.
    let three = SagaConfig::orchestrated(3)
        .step(1, |s| {
            s.can_fail = true;
            s.pivot = true;
        })
        .step(2, |s| {
            s.compensation = None;
            s.retriable = true;
        });
    // The gallery's bug: a step after the pivot that may fail for good.
    let not_retriable = SagaConfig::orchestrated(3)
        .step(1, |s| {
            s.can_fail = true;
            s.pivot = true;
            s.compensation = None;
        })
        .step(2, |s| {
            s.compensation = None;
            s.can_fail = true;
        });
    // A step before the pivot that cannot be undone.
    let no_undo = SagaConfig::orchestrated(3)
        .step(0, |s| s.compensation = None)
        .step(2, |s| {
            s.can_fail = true;
            s.pivot = true;
        });
    let mut shapes = vec![two, idempotent_first, three, not_retriable, no_undo];
    for shape in &mut shapes {
        shape.style = style;
    }
    shapes
}

#[test]
fn every_fix_a_violation_names_makes_its_property_hold() {
    let mut hinted = 0;
    for style in [SagaStyle::Orchestrated, SagaStyle::Choreographed] {
        for shape in shapes(style) {
            for faults in every_fault_combination(style) {
                let cfg = shape.clone().faults(faults);
                for v in check(&cfg).iter().filter(|v| v.status.is_violated()) {
                    let fixes = fixes(&cfg, v.property);
                    assert_eq!(v.fix.is_some(), !fixes.is_empty(), "{}", v.property);
                    if fixes.is_empty() {
                        continue;
                    }
                    hinted += 1;
                    let mut fixed = cfg.clone();
                    for fix in &fixes {
                        fix.apply(&mut fixed);
                    }
                    let after =
                        verify_saga("t", &fixed, &[v.property], &CheckOptions::default()).unwrap();
                    assert!(
                        after[0].status.holds(),
                        "{} still {} after {fixes:?}\nwas {cfg:?}\nnow {fixed:?}",
                        v.property,
                        after[0].status
                    );
                }
            }
        }
    }
    assert!(hinted > 100, "{hinted}");
}

#[test]
fn every_violation_names_a_fix() {
    // On these shapes a violation comes from a fault option or the steps' order: each must say
    // which.
    for style in [SagaStyle::Orchestrated, SagaStyle::Choreographed] {
        for shape in shapes(style) {
            for faults in every_fault_combination(style) {
                let cfg = shape.clone().faults(faults);
                for v in check(&cfg).iter().filter(|v| v.status.is_violated()) {
                    assert!(v.fix.is_some(), "{} on {cfg:?}", v.property);
                }
            }
        }
    }
}

#[test]
fn lost_messages_without_redelivery_say_to_turn_it_on() {
    // The case: termination violated with message_loss and no redelivery.
    let cfg = SagaConfig::orchestrated(2).faults(SagaFaults {
        message_loss: true,
        ..SagaFaults::default()
    });
    let verdicts = check(&cfg);
    let termination = verdicts
        .iter()
        .find(|v| v.property == SAGA_TERMINATION)
        .unwrap();
    assert!(termination.status.is_violated(), "{}", termination.status);
    let fix = termination.fix.as_deref().unwrap();
    assert!(
        fix.starts_with("set `redelivery = true` in `faults`"),
        "{fix}"
    );
}
