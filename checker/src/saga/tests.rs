//! Tests of the whole pipeline, `verify_saga`: the known-buggy designs with their
//! counterexamples and fixes, the asked properties and names in traces. Kept beside the parent
//! in a file of their own so the model reads without them; the shared helpers (`check`,
//! `verdict`, …) are `pub(super)` for the rooms' own tests.

use super::*;
use crate::catalogue::{
    SAGA_COMPENSATION_ORDER, SAGA_EFFECT_ONCE, SAGA_NO_PHANTOM_COMPENSATION,
    SAGA_SEMANTIC_ATOMICITY, SAGA_TERMINATION,
};
use crate::trace::{Lasso, replay};
use crate::verdict::Status;
use microcosm_model::{Outbox, SagaLog};
use stateright::Model;

pub(super) fn check(cfg: &SagaConfig) -> Vec<Verdict> {
    verify_saga("t", cfg, &[], &CheckOptions::default()).unwrap()
}

pub(super) fn verdict<'a>(verdicts: &'a [Verdict], id: &str) -> &'a Verdict {
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

pub(super) fn assert_statuses(verdicts: &[Verdict], violated: &[&str]) {
    for v in verdicts {
        let want = if violated.contains(&v.property) {
            Status::Violated
        } else {
            Status::Holds
        };
        assert_eq!(v.status, want, "{}: {:?}", v.property, v.options.notes);
    }
}

pub(super) fn idempotent(mut cfg: SagaConfig) -> SagaConfig {
    for s in &mut cfg.steps {
        s.idempotent = true;
    }
    cfg
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
