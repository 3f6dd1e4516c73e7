//! Property tests of the saga model: for random small sagas (1–3 steps, random flags, random
//! faults, either style) the verdicts do not depend on the number of safety-checking threads,
//! and every counterexample replays to a state that violates its property.

use microcosm_checker::saga::{SagaConfig, SagaSys};
use microcosm_checker::{CheckOptions, replay, verify_saga};
use microcosm_model::{SagaStep, SagaStyle};
use proptest::prelude::*;

#[path = "support/saga_faults.rs"]
mod saga_faults;
use saga_faults::saga_faults;

fn step() -> impl Strategy<Value = SagaStep> {
    (any::<[bool; 5]>()).prop_map(|[comp, can_fail, retriable, idempotent, pivot]| SagaStep {
        service: String::new(),
        action: String::new(),
        compensation: comp.then(|| "undo".to_owned()),
        can_fail,
        retriable,
        idempotent,
        pivot,
        topic: None,
    })
}

fn saga() -> impl Strategy<Value = SagaConfig> {
    (
        prop::collection::vec(step(), 1..=3),
        saga_faults(),
        any::<bool>(),
    )
        .prop_map(|(mut steps, faults, choreographed)| {
            for (i, s) in steps.iter_mut().enumerate() {
                s.service = format!("s{i}");
                s.action = format!("t{i}");
            }
            SagaConfig {
                style: if choreographed {
                    SagaStyle::Choreographed
                } else {
                    SagaStyle::Orchestrated
                },
                coordinator: "orchestrator".to_owned(),
                steps,
                faults,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn verdicts_do_not_depend_on_the_thread_count(cfg in saga()) {
        let one = verify_saga("t", &cfg, &[], &CheckOptions::default()).unwrap();
        let two = verify_saga(
            "t",
            &cfg,
            &[],
            &CheckOptions { threads: 2, ..CheckOptions::default() },
        )
        .unwrap();
        prop_assert_eq!(one.len(), two.len());
        let model = SagaSys::new(cfg.clone()).unwrap();
        for (a, b) in one.iter().zip(&two) {
            prop_assert_eq!(a.property, b.property);
            prop_assert_eq!(&a.status, &b.status, "{} on {:?}", a.property, cfg);
            if let Some(cex) = &a.counterexample {
                let states = replay(&model, &cex.trace_id).unwrap();
                prop_assert_eq!(states.len(), cex.steps.len() + 1);
            }
        }
    }
}
