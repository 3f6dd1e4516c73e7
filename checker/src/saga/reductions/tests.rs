//! Checking by projection agrees with the full, unreduced model: the same verdicts, the same
//! safety counterexamples, and termination lassos that replay on the full model. Kept beside
//! the reductions they test; the verdict helpers are the parent's.

use super::*;
use crate::saga::SagaConfig;
use crate::saga::tests::{check, verdict};
use microcosm_model::{Outbox, SagaFaults, SagaLog};

/// The verdicts of the full model, unreduced (the pipeline before projections).
fn unreduced(cfg: &SagaConfig) -> Vec<Verdict> {
    let model = SagaSys::new(cfg.clone()).unwrap();
    verify("t", &model, &[], &CheckOptions::default()).unwrap()
}

/// Every combination of the orchestration's fault options.
fn every_fault_combination() -> impl Iterator<Item = SagaFaults> {
    (0u32..128).map(|bits| {
        let on = |b: u32| bits & (1 << b) != 0;
        SagaFaults {
            coordinator_crash: on(0),
            saga_log: on(1).into(),
            duplicate_delivery: on(2),
            message_loss: on(3),
            redelivery: on(4),
            compensation_failure: on(5),
            compensation_retry: on(6),
            outbox: Outbox::Transactional,
        }
    })
}

/// The same, and each combination with a crashing coordinator again with an after-step log
/// (which only an orchestrator keeps).
fn every_orchestration_fault_combination() -> impl Iterator<Item = SagaFaults> {
    every_fault_combination().chain(
        every_fault_combination()
            .filter(|f| f.coordinator_crash && f.saga_log.is_kept())
            .map(|f| SagaFaults {
                saga_log: SagaLog::AfterStep,
                ..f
            }),
    )
}

/// Checking by projection gives every verdict the full model gives, with the same safety
/// counterexample (shortest, and the first breadth-first search meets), and a termination
/// lasso that replays on the full model.
fn assert_projection_agrees(cfg: &SagaConfig) {
    let model = SagaSys::new(cfg.clone()).unwrap();
    assert!(model.by_projection());
    let full = unreduced(cfg);
    let projected = check(cfg);
    for want in &full {
        let got = verdict(&projected, want.property);
        let context = format!("{}: {cfg:?}", want.property);
        assert_eq!(got.status, want.status, "{context}");
        let (Some(g), Some(w)) = (&got.counterexample, &want.counterexample) else {
            assert_eq!(got.counterexample.is_some(), want.counterexample.is_some());
            continue;
        };
        let states = replay(&model, &g.trace_id).expect(&context);
        if want.property == SAGA_TERMINATION {
            assert!(!model.terminated(states.last().unwrap()), "{context}");
            // The same shape and length; the leftover duplicates may be delivered in
            // another order.
            assert_eq!(g.lasso, w.lasso, "{context}");
            assert_eq!(g.steps.len(), w.steps.len(), "{context}");
        } else {
            assert_eq!(g.trace_id, w.trace_id, "{context}");
            assert_eq!(g.steps, w.steps, "{context}");
        }
    }
}

#[test]
fn projection_agrees_with_the_full_model_under_every_fault_combination() {
    let shapes = [
        SagaConfig::orchestrated(2).step(1, |s| s.can_fail = true),
        SagaConfig::orchestrated(2)
            .step(0, |s| s.idempotent = true)
            .step(1, |s| s.can_fail = true),
        SagaConfig::orchestrated(2)
            .step(0, |s| s.compensation = None)
            .step(1, |s| {
                s.can_fail = true;
                s.retriable = true;
                s.idempotent = true;
            }),
        SagaConfig::orchestrated(1).step(0, |s| s.can_fail = true),
    ];
    for shape in &shapes {
        for faults in every_orchestration_fault_combination() {
            assert_projection_agrees(&shape.clone().faults(faults));
        }
    }
}

#[test]
fn projection_agrees_with_the_full_model_for_choreography() {
    let shapes = [
        SagaConfig::orchestrated(2)
            .choreographed()
            .step(1, |s| s.can_fail = true),
        SagaConfig::orchestrated(2)
            .choreographed()
            .step(0, |s| s.idempotent = true)
            .step(1, |s| s.can_fail = true),
        SagaConfig::orchestrated(3)
            .choreographed()
            .step(0, |s| s.compensation = None)
            .step(2, |s| s.can_fail = true),
    ];
    for shape in &shapes {
        for faults in every_fault_combination() {
            for outbox in [Outbox::Transactional, Outbox::DualWrite] {
                let faults = SagaFaults {
                    outbox,
                    ..faults.clone()
                };
                assert_projection_agrees(&shape.clone().faults(faults));
            }
        }
    }
}

#[test]
fn projection_agrees_with_the_full_model_on_three_steps() {
    let all = every_fault_combination().last().unwrap();
    let dup = SagaFaults {
        duplicate_delivery: true,
        ..SagaFaults::default()
    };
    let lossy = SagaFaults {
        duplicate_delivery: true,
        message_loss: true,
        compensation_failure: true,
        ..SagaFaults::default()
    };
    let crash = SagaFaults {
        coordinator_crash: true,
        duplicate_delivery: true,
        ..SagaFaults::default()
    };
    let three = SagaConfig::orchestrated(3).step(2, |s| s.can_fail = true);
    for faults in [all, dup, lossy, crash] {
        assert_projection_agrees(&three.clone().faults(faults.clone()));
        assert_projection_agrees(
            &three
                .clone()
                .step(0, |s| s.idempotent = true)
                .step(1, |s| s.pivot = true)
                .faults(faults),
        );
    }
}

/// Issue 15: `--max-states 50` reported 100 states generated, the sum of two projections that
/// each had the whole bound. The projections share it: the counts are the search's own, never
/// over the bound, and the verdicts the bound cut are inconclusive, saying the limit given.
#[test]
fn projections_share_one_state_bound_and_report_what_they_reached() {
    let cfg = SagaConfig::orchestrated(3)
        .step(2, |s| s.can_fail = true)
        .faults(SagaFaults {
            coordinator_crash: true,
            saga_log: true.into(),
            duplicate_delivery: true,
            ..SagaFaults::default()
        });
    let model = SagaSys::new(cfg.clone()).unwrap();
    assert!(model.by_projection());
    let all: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    assert!(model.projections(&all).len() >= 2);
    let full = model
        .verify_by_projection("t", &[], &CheckOptions::default())
        .unwrap();
    assert!(full[0].stats.states_generated > 100, "{:?}", full[0].stats);
    for limit in [1, 50, 100] {
        let opts = CheckOptions {
            max_states: Some(limit),
            ..CheckOptions::default()
        };
        for v in model.verify_by_projection("t", &[], &opts).unwrap() {
            let what = format!("{} at {limit}: {:?}", v.property, v.stats);
            assert!(v.stats.states_generated <= limit as u64, "{what}");
            assert!(v.stats.unique_states <= limit as u64, "{what}");
            if let Status::Inconclusive { reason } = &v.status {
                assert_eq!(
                    reason.to_string(),
                    format!("stopped at the --max-states limit of {limit}"),
                    "{what}"
                );
            }
        }
    }
}

/// What was left of a timeout for the next projection is not the timeout the user gave: a
/// 10 s timeout was reported as "the 9.999992486 s timeout".
#[test]
fn a_projection_cut_by_the_timeout_reports_the_timeout_given() {
    let cfg = SagaConfig::orchestrated(3).faults(SagaFaults {
        coordinator_crash: true,
        duplicate_delivery: true,
        ..SagaFaults::default()
    });
    let model = SagaSys::new(cfg).unwrap();
    let opts = CheckOptions {
        timeout: Some(std::time::Duration::from_nanos(1)),
        ..CheckOptions::default()
    };
    let verdicts = model.verify_by_projection("t", &[], &opts).unwrap();
    let timeouts: Vec<&Bound> = verdicts
        .iter()
        .filter_map(|v| match &v.status {
            Status::Inconclusive { reason } => Some(reason),
            _ => None,
        })
        .collect();
    assert!(!timeouts.is_empty(), "{verdicts:?}");
    for reason in timeouts {
        assert_eq!(reason, &Bound::Timeout { seconds: 1e-9 }, "{reason}");
    }
}

/// Issue 15: a saga checked by projection reported progress only once a projection was done,
/// so a large one showed "Starting…" for 16 s, then counts that froze. Each projection now
/// reports as it starts (and as it goes), counted with the projections before it.
#[test]
fn projections_report_progress_as_they_go_counted_together() {
    let cfg = SagaConfig::orchestrated(3).faults(SagaFaults {
        coordinator_crash: true,
        duplicate_delivery: true,
        ..SagaFaults::default()
    });
    let model = SagaSys::new(cfg).unwrap();
    let safety: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    let projections = model.projections(&safety).len();
    let reports = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = reports.clone();
    let opts = CheckOptions {
        progress: Some(crate::verdict::ProgressHook::new(move |p: &Progress| {
            sink.lock().unwrap().push(*p);
        })),
        ..CheckOptions::default()
    };
    let verdicts = model.verify_by_projection("t", &safety, &opts).unwrap();
    let reports = reports.lock().unwrap();
    assert!(reports.len() > projections, "{} reports", reports.len());
    assert!(reports.iter().all(|p| p.phase == "safety"));
    // Counts only grow, and end at the verdict's.
    for pair in reports.windows(2) {
        assert!(
            pair[1].states_generated >= pair[0].states_generated,
            "{pair:?}"
        );
    }
    let last = reports.last().unwrap();
    assert_eq!(last.states_generated, verdicts[0].stats.states_generated);
}
