//! The static `saga.pivot-rule` on step lists. Kept beside the property it tests.

use super::*;

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
