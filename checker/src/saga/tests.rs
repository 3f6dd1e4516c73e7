//! Tests of the parent module `saga`, kept beside it in a file of their own so the
//! model reads without them.

use super::*;
use crate::trace::{Lasso, replay};
use crate::verdict::Status;
use stateright::Checker;

fn check(cfg: &SagaConfig) -> Vec<Verdict> {
    verify_saga("t", cfg, &[], &CheckOptions::default()).unwrap()
}

fn verdict<'a>(verdicts: &'a [Verdict], id: &str) -> &'a Verdict {
    verdicts.iter().find(|v| v.property == id).unwrap()
}

/// The property's counterexample as `party: action` lines.
fn steps(v: &Verdict) -> Vec<String> {
    let cex = v.counterexample.as_ref().expect("a counterexample");
    cex.steps
        .iter()
        .map(|s| format!("{}: {}", s.party, s.action))
        .collect()
}

fn assert_statuses(verdicts: &[Verdict], violated: &[&str]) {
    for v in verdicts {
        let want = if violated.contains(&v.property) {
            Status::Violated
        } else {
            Status::Holds
        };
        assert_eq!(v.status, want, "{}: {:?}", v.property, v.options.notes);
    }
}

fn idempotent(mut cfg: SagaConfig) -> SagaConfig {
    for s in &mut cfg.steps {
        s.idempotent = true;
    }
    cfg
}

fn unique(cfg: &SagaConfig) -> usize {
    SagaSys::new(cfg.clone())
        .unwrap()
        .checker()
        .spawn_bfs()
        .join()
        .unique_state_count()
}

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

#[test]
fn a_fault_free_saga_has_exactly_its_two_runs() {
    // Three steps, the last may fail: the run that completes visits 7 states (request,
    // reply, for each step, then completed) and the run that compensates 6 more (the
    // failure, its reply, then request and reply for each of the two compensations), as
    // counted by hand.
    let cfg = SagaConfig::orchestrated(3).step(2, |s| s.can_fail = true);
    assert_eq!(unique(&cfg), 13);
    assert_statuses(&check(&cfg), &[]);
    // Choreographed, each commit publishes the next trigger at once: 4 + 3.
    assert_eq!(unique(&cfg.clone().choreographed()), 7);
    assert_statuses(&check(&cfg.choreographed()), &[]);
}

#[test]
fn our_explorer_agrees_with_stateright_on_counts() {
    let all = SagaFaults::all_with_recovery();
    let cfg = idempotent(SagaConfig::orchestrated(3).step(2, |s| s.can_fail = true)).faults(all);
    let model = SagaSys::new(cfg.clone()).unwrap();
    let fairness = |a: &Action| model.fairness(a);
    let e = crate::state_graph::explore(
        &model,
        &fairness,
        crate::state_graph::Limits::default(),
        None,
    );
    assert!(e.cut.is_none());
    assert_eq!(e.stats.unique_states as usize, unique(&cfg));
    assert_eq!(unique(&cfg), 94);
}

// Known bug 1: a compensation that can fail, not retried.
#[test]
fn an_unretried_failing_compensation_ends_partly_compensated() {
    let cfg = idempotent(SagaConfig::orchestrated(2).step(1, |s| s.can_fail = true));
    let buggy = cfg.clone().faults(SagaFaults {
        compensation_failure: true,
        ..SagaFaults::default()
    });
    let verdicts = check(&buggy);
    assert_statuses(&verdicts, &[SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION]);
    assert_eq!(
        steps(verdict(&verdicts, SAGA_SEMANTIC_ATOMICITY)),
        [
            "s0: SvcCommit(s0.t0)",
            "orchestrator: OrchRcvDone(s0.t0)",
            "s1: SvcFail(s1.t1)",
            "orchestrator: OrchRcvFailed(s1.t1)",
            "s0: SvcCompensationFail(s0.t0)",
            "orchestrator: OrchRcvCompensationFailed(s0.t0)",
        ]
    );
    let lasso = verdict(&verdicts, SAGA_TERMINATION).counterexample.clone();
    assert_eq!(lasso.unwrap().lasso, Some(Lasso::Stutter));
    let fixed = cfg.faults(SagaFaults {
        compensation_failure: true,
        compensation_retry: true,
        ..SagaFaults::default()
    });
    assert_statuses(&check(&fixed), &[]);
}

// Known bug 2: a non-idempotent charge under duplicate delivery.
#[test]
fn a_duplicated_non_idempotent_charge_is_applied_twice() {
    let dup = SagaFaults {
        duplicate_delivery: true,
        ..SagaFaults::default()
    };
    let buggy = SagaConfig::orchestrated(2)
        .step(0, |s| s.idempotent = true)
        .faults(dup.clone());
    let verdicts = check(&buggy);
    assert_eq!(
        steps(verdict(&verdicts, SAGA_EFFECT_ONCE)),
        [
            "s0: SvcCommit(s0.t0)",
            "orchestrator: OrchRcvDone(s0.t0)",
            "s1: SvcCommit(s1.t1, delivered again later)",
            "s1: SvcCommit(s1.t1)",
        ]
    );
    assert_statuses(&verdicts, &[SAGA_EFFECT_ONCE]);
    assert_statuses(&check(&idempotent(buggy)), &[]);
}

// Known bug 3: a coordinator crash without a durable saga log.
#[test]
fn a_coordinator_without_a_log_forgets_committed_steps() {
    let cfg = idempotent(SagaConfig::orchestrated(2).step(1, |s| s.can_fail = true));
    let crash = SagaFaults {
        coordinator_crash: true,
        ..SagaFaults::default()
    };
    let verdicts = check(&cfg.clone().faults(crash.clone()));
    assert_statuses(&verdicts, &[SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION]);
    let expected = [
        "s0: SvcCommit(s0.t0)",
        "orchestrator: OrchCrash",
        "orchestrator: OrchRecover",
    ];
    assert_eq!(steps(verdict(&verdicts, SAGA_SEMANTIC_ATOMICITY)), expected);
    assert_eq!(steps(verdict(&verdicts, SAGA_TERMINATION)), expected);
    let logged = cfg.faults(SagaFaults {
        saga_log: SagaLog::BeforeStep,
        ..crash
    });
    assert_statuses(&check(&logged), &[]);
}

// Known bug 3b: a saga log written after each step. A crash between a step's commit and its
// log entry leaves the restarted coordinator rolling back a log that ends one step early.
#[test]
fn a_log_written_after_each_step_misses_the_step_in_flight() {
    let cfg = idempotent(SagaConfig::orchestrated(3));
    let after = SagaFaults {
        coordinator_crash: true,
        saga_log: SagaLog::AfterStep,
        ..SagaFaults::default()
    };
    let verdicts = check(&cfg.clone().faults(after.clone()));
    // No step logged yet: the restarted coordinator rolls back nothing and ends the saga
    // aborted with step 0 in place, the shortest violation. Rolling back below a later step
    // left in place undoes step 0 before it: the order is broken too. The saga does end.
    assert_statuses(
        &verdicts,
        &[SAGA_SEMANTIC_ATOMICITY, SAGA_COMPENSATION_ORDER],
    );
    assert_eq!(
        steps(verdict(&verdicts, SAGA_SEMANTIC_ATOMICITY)),
        [
            "s0: SvcCommit(s0.t0)",
            "orchestrator: OrchCrash",
            "orchestrator: OrchRecover",
        ]
    );
    // Later in the saga the rollback is real: step 1 commits, the coordinator crashes
    // before logging it, and on restart compensates step 0 only.
    let model = SagaSys::new(cfg.clone().faults(after.clone())).unwrap();
    let mut s = model.init_states()[0];
    for a in [
        Action::SvcCommit {
            step: 0,
            again: false,
        },
        Action::OrchRcvDone(0),
        Action::SvcCommit {
            step: 1,
            again: false,
        },
        Action::OrchCrash,
        Action::OrchRecover,
    ] {
        s = model.next_state(&s, a).unwrap();
    }
    assert_eq!(s.phase(), Phase::Compensating(0));
    for a in [
        Action::SvcCompensate {
            step: 0,
            again: false,
        },
        Action::OrchRcvCompensated(0),
    ] {
        s = model.next_state(&s, a).unwrap();
    }
    assert_eq!(s.phase(), Phase::Aborted);
    assert!(s.in_place(1) && !s.in_place(0));
    assert!(!model.semantic_atomicity(&s));
    // A write-ahead log, and `true`, which means the same, hold.
    for log in [SagaLog::BeforeStep, SagaLog::from(true)] {
        let logged = cfg.clone().faults(SagaFaults {
            saga_log: log,
            ..after.clone()
        });
        assert_statuses(&check(&logged), &[]);
    }
}

// Known bug 4: a failing, non-retriable step after the pivot.
#[test]
fn a_failing_step_after_the_pivot_strands_the_pivot() {
    let cfg = SagaConfig::orchestrated(3)
        .step(1, |s| {
            s.pivot = true;
            s.compensation = None;
        })
        .step(2, |s| s.can_fail = true);
    let verdicts = check(&cfg);
    assert_statuses(&verdicts, &[SAGA_SEMANTIC_ATOMICITY, SAGA_PIVOT_RULE]);
    assert_eq!(steps(verdict(&verdicts, SAGA_SEMANTIC_ATOMICITY)).len(), 8);
    let pivot = verdict(&verdicts, SAGA_PIVOT_RULE);
    assert!(
        pivot.options.notes[0].contains("not retriable"),
        "{pivot:?}"
    );
    assert_statuses(&check(&cfg.step(2, |s| s.retriable = true)), &[]);
}

// Known bug 5: choreography with a dual write.
#[test]
fn a_dual_write_crash_loses_the_event_and_the_saga_stalls() {
    let cfg = SagaConfig::orchestrated(3)
        .choreographed()
        .step(2, |s| s.can_fail = true);
    let dual = cfg.clone().faults(SagaFaults {
        outbox: Outbox::DualWrite,
        ..SagaFaults::default()
    });
    let verdicts = check(&dual);
    assert_statuses(&verdicts, &[SAGA_TERMINATION]);
    let v = verdict(&verdicts, SAGA_TERMINATION);
    assert_eq!(steps(v), ["s0: SvcCommit(s0.t0)", "s0: SvcCrash(s0.t0)"]);
    let cex = v.counterexample.as_ref().unwrap();
    assert_eq!(cex.lasso, Some(Lasso::Stutter));
    let states = replay(&SagaSys::new(dual).unwrap(), &cex.trace_id).unwrap();
    assert!(states.last().unwrap().in_place(0));
    assert_statuses(&check(&cfg), &[]);
}

#[test]
fn a_duplicated_compensation_is_a_phantom_unless_idempotent() {
    let cfg = SagaConfig::orchestrated(2)
        .step(1, |s| {
            s.can_fail = true;
            s.idempotent = true;
        })
        .faults(SagaFaults {
            duplicate_delivery: true,
            ..SagaFaults::default()
        });
    let verdicts = check(&cfg);
    assert_eq!(
        steps(verdict(&verdicts, SAGA_NO_PHANTOM_COMPENSATION)),
        [
            "s0: SvcCommit(s0.t0)",
            "orchestrator: OrchRcvDone(s0.t0)",
            "s1: SvcFail(s1.t1)",
            "orchestrator: OrchRcvFailed(s1.t1)",
            "s0: SvcCompensate(s0.t0, delivered again later)",
            "s0: SvcCompensate(s0.t0)",
        ]
    );
    assert_statuses(&check(&idempotent(cfg)), &[]);
}

#[test]
fn a_late_duplicate_breaks_the_compensation_order() {
    // s1 runs twice; its second run lands after its compensation, while s0 is compensated.
    let cfg = SagaConfig::orchestrated(3)
        .step(0, |s| s.idempotent = true)
        .step(2, |s| {
            s.can_fail = true;
            s.idempotent = true;
        })
        .faults(SagaFaults {
            duplicate_delivery: true,
            ..SagaFaults::default()
        });
    let verdicts = check(&cfg);
    let v = verdict(&verdicts, SAGA_COMPENSATION_ORDER);
    assert_eq!(v.status, Status::Violated);
    let states = replay(
        &SagaSys::new(cfg.clone()).unwrap(),
        &v.counterexample.as_ref().unwrap().trace_id,
    )
    .unwrap();
    let end = states.last().unwrap();
    assert!(end.compensations(0) == 1 && end.in_place(1), "{end:?}");
    assert_eq!(
        check(&idempotent(cfg))[1].status,
        Status::Holds,
        "idempotent steps refuse the late duplicate"
    );
}

#[test]
fn message_loss_without_redelivery_stalls_and_with_it_holds() {
    let cfg = idempotent(SagaConfig::orchestrated(2).step(1, |s| s.can_fail = true));
    let lossy = SagaFaults {
        message_loss: true,
        ..SagaFaults::default()
    };
    let verdicts = check(&cfg.clone().faults(lossy.clone()));
    assert_statuses(&verdicts, &[SAGA_TERMINATION]);
    assert_eq!(
        steps(verdict(&verdicts, SAGA_TERMINATION)),
        ["network: NetLose(Request(s0.t0))"]
    );
    let redelivered = cfg.faults(SagaFaults {
        redelivery: true,
        ..lossy
    });
    assert_statuses(&check(&redelivered), &[]);
}

#[test]
fn redelivery_after_a_lost_reply_reruns_a_non_idempotent_step() {
    let cfg = SagaConfig::orchestrated(1).faults(SagaFaults {
        message_loss: true,
        redelivery: true,
        ..SagaFaults::default()
    });
    let verdicts = check(&cfg);
    assert_eq!(
        steps(verdict(&verdicts, SAGA_EFFECT_ONCE)),
        [
            "s0: SvcCommit(s0.t0)",
            "network: NetLose(Done(s0.t0))",
            "orchestrator: OrchResend",
            "s0: SvcCommit(s0.t0)",
        ]
    );
}

#[test]
fn the_pivot_rule_reads_compensatable_pivot_retriable() {
    let cfg = SagaConfig::orchestrated(3);
    assert!(pivot_rule(&cfg.steps).is_ok());
    let no_comp = cfg.clone().step(0, |s| s.compensation = None);
    let no_comp = no_comp.step(1, |s| s.compensation = None);
    // Steps 0 and 1 cannot be undone, and neither 1 nor 2 is retriable: no split works.
    assert!(pivot_rule(&no_comp.steps).is_err());
    let declared = cfg.clone().step(0, |s| s.pivot = true);
    let err = pivot_rule(&declared.steps).unwrap_err();
    assert!(err.contains("step 2 (s1.t1)"), "{err}");
    let two = cfg.step(0, |s| s.pivot = true).step(1, |s| s.pivot = true);
    assert!(
        pivot_rule(&two.steps)
            .unwrap_err()
            .contains("both marked pivot")
    );
}

#[test]
fn only_the_asked_properties_are_reported_in_the_asked_order() {
    let cfg = SagaConfig::orchestrated(2);
    let v = verify_saga(
        "t",
        &cfg,
        &[SAGA_PIVOT_RULE, SAGA_EFFECT_ONCE],
        &CheckOptions::default(),
    )
    .unwrap();
    let ids: Vec<&str> = v.iter().map(|v| v.property).collect();
    assert_eq!(ids, [SAGA_PIVOT_RULE, SAGA_EFFECT_ONCE]);
    assert!(verify_saga("t", &cfg, &["saga.nope"], &CheckOptions::default()).is_err());
    assert!(SagaSys::new(SagaConfig::orchestrated(MAX_STEPS + 1)).is_err());
}

#[test]
fn names_flow_into_traces() {
    let mut cfg = SagaConfig::orchestrated(2).faults(SagaFaults {
        coordinator_crash: true,
        ..SagaFaults::default()
    });
    cfg.coordinator = "checkout".into();
    cfg.steps[0].service = "inventory".into();
    cfg.steps[0].action = "reserve".into();
    let v = verify_saga("t", &cfg, &[SAGA_TERMINATION], &CheckOptions::default()).unwrap();
    let text = v[0].counterexample.as_ref().unwrap().render_steps();
    assert!(
        text.contains("inventory: SvcCommit(inventory.reserve)"),
        "{text}"
    );
    assert!(
        text.contains("checkout: awaiting inventory.reserve"),
        "{text}"
    );
    let msc = v[0].counterexample.as_ref().unwrap().render_msc();
    assert!(
        msc.contains("checkout") && msc.contains("inventory"),
        "{msc}"
    );
}
