//! The model's state counts, pinned: by hand on a fault-free saga, and our explorer against
//! stateright's on one with every fault. Kept beside the model they count.

use super::*;
use crate::saga::tests::{assert_statuses, check, idempotent};
use microcosm_model::SagaFaults;
use stateright::Checker;

fn unique(cfg: &SagaConfig) -> usize {
    SagaSys::new(cfg.clone())
        .unwrap()
        .checker()
        .spawn_bfs()
        .join()
        .unique_state_count()
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
