//! Breakers at the real number of concurrent callers: the counter model (callers counted per
//! local state) gives the per-caller model's verdicts and counterexample lengths on small
//! caller counts, for random configurations of every implementation variant; and the issue's
//! three designs that hold with 2 callers are violated at the number their deployment has.

use microcosm_checker::circuit_breaker::{BreakerSys, BreakerVariant, PolicyConfig, verify_model};
use microcosm_checker::{CheckOptions, Status, Verdict, verify_policy};
use microcosm_model::{CircuitBreakerConfig, Policy, RetryBudget, RetryConfig, RetryOn};
use proptest::prelude::*;

const VARIANTS: [BreakerVariant; 5] = [
    BreakerVariant::Resilience4j,
    BreakerVariant::NoHalfOpen,
    BreakerVariant::UnlimitedHalfOpen,
    BreakerVariant::CountsRejections,
    BreakerVariant::BreakerWrapsRetry,
];

/// The issue's policy: a window of 2 at 50 %, `permits` trial calls, a 200 ms timeout.
fn issue_policy(permits: u32) -> Policy {
    Policy {
        timeout_ms: Some(200.0),
        circuit_breaker: Some(CircuitBreakerConfig {
            sliding_window_size: 2,
            minimum_number_of_calls: 2,
            wait_duration_in_open_state_ms: 1000.0,
            permitted_number_of_calls_in_half_open_state: permits,
            ..CircuitBreakerConfig::default()
        }),
        ..Policy::default()
    }
}

fn check(policy: &Policy, variant: BreakerVariant, callers: usize, property: &str) -> Verdict {
    let (cfg, _) = PolicyConfig::from_policy("gateway", "payments", policy, variant, callers);
    verify_policy("p", &cfg, &[property], &CheckOptions::default())
        .unwrap()
        .pop()
        .unwrap()
}

#[test]
fn unlimited_half_open_with_two_permits_is_violated_from_three_callers() {
    let policy = issue_policy(2);
    let v = |n| {
        check(
            &policy,
            BreakerVariant::UnlimitedHalfOpen,
            n,
            "breaker.half-open-limit",
        )
    };
    assert!(v(2).status.holds());
    for n in [3, 4, 16] {
        let verdict = v(n);
        assert!(verdict.status.is_violated(), "{n}: {}", verdict.status);
        let cex = verdict.counterexample.unwrap();
        // Three trial calls are in flight at the end, by three distinct callers.
        let mut last: Vec<&str> = cex.steps[cex.steps.len() - 3..]
            .iter()
            .map(|s| s.party.as_str())
            .collect();
        last.sort_unstable();
        last.dedup();
        assert_eq!(last.len(), 3, "{n}: {last:?}");
        assert!(
            last.iter().all(|p| p.starts_with("gateway#")),
            "{n}: {last:?}"
        );
    }
}

#[test]
fn unlimited_half_open_with_ten_permits_is_violated_from_eleven_callers() {
    let policy = issue_policy(10);
    let v = |n| {
        check(
            &policy,
            BreakerVariant::UnlimitedHalfOpen,
            n,
            "breaker.half-open-limit",
        )
    };
    assert!(v(2).status.holds());
    assert!(v(10).status.holds());
    assert!(v(11).status.is_violated());
    assert!(v(16).status.is_violated());
}

/// Safety is monotone in callers: a violation on exact counts of a few of them is one at the
/// deployment's number, and is found without counting hundreds of callers exactly.
#[test]
fn a_safety_violation_with_a_few_callers_stands_for_hundreds() {
    let policy = issue_policy(2);
    let verdict = check(
        &policy,
        BreakerVariant::UnlimitedHalfOpen,
        400,
        "breaker.half-open-limit",
    );
    assert!(verdict.status.is_violated(), "{}", verdict.status);
    assert!(
        verdict.options.notes.iter().any(|n| n
            == "violated with 4 of the 400 callers, counted exactly: the others may stay idle, \
                so it is violated with all 400"),
        "{:?}",
        verdict.options.notes
    );
    // Three trial calls against a limit of 2: the shortest run needs only three callers.
    assert!(verdict.stats.unique_states < 100_000, "{:?}", verdict.stats);
}

#[test]
fn counting_rejections_with_three_permits_never_recovers_from_three_callers() {
    let policy = issue_policy(3);
    let v = |n| {
        check(
            &policy,
            BreakerVariant::CountsRejections,
            n,
            "breaker.recovers",
        )
    };
    assert!(v(2).status.holds());
    for n in [3, 16] {
        let verdict = v(n);
        assert!(verdict.status.is_violated(), "{n}: {}", verdict.status);
        assert!(verdict.counterexample.unwrap().lasso.is_some());
    }
}

fn config() -> impl Strategy<Value = (PolicyConfig, bool)> {
    (
        (0..VARIANTS.len(), 1usize..=3, 1u32..=3, 1u32..=3, 1u32..=3),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (variant, callers, window, minimum, permits),
                (high_threshold, slow, retry, retry_rejections),
                (budget, automatic, abstract_window),
            )| {
                let cb = CircuitBreakerConfig {
                    sliding_window_size: window,
                    minimum_number_of_calls: minimum.min(window),
                    permitted_number_of_calls_in_half_open_state: permits,
                    failure_rate_threshold: if high_threshold { 1.0 } else { 0.5 },
                    slow_call_rate_threshold: 0.5,
                    automatic_transition_from_open_to_half_open_enabled: automatic,
                    ..CircuitBreakerConfig::default()
                };
                let retry = retry.then(|| RetryConfig {
                    max_attempts: 2,
                    retry_on: if retry_rejections {
                        vec![RetryOn::Error, RetryOn::BreakerOpen]
                    } else {
                        vec![RetryOn::Error]
                    },
                    budget: budget.then_some(RetryBudget {
                        ratio: 0.1,
                        min_per_s: 1.0,
                    }),
                    ..RetryConfig::default()
                });
                let policy = Policy {
                    // Below the slow-call duration, no call is slow.
                    timeout_ms: (!slow).then_some(1_000.0),
                    circuit_breaker: Some(cb),
                    retry,
                    ..Policy::default()
                };
                let (cfg, _) = PolicyConfig::from_policy(
                    "client",
                    "payments",
                    &policy,
                    VARIANTS[variant],
                    callers,
                );
                (cfg, abstract_window)
            },
        )
}

fn verdicts(model: &BreakerSys) -> Vec<Verdict> {
    verify_model("p", model, &[], &CheckOptions::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The counter abstraction is exact: same verdict for every property, and shortest safety
    /// counterexamples of the same length.
    #[test]
    fn counting_callers_changes_no_verdict((cfg, abstract_window) in config()) {
        let counted = if abstract_window {
            BreakerSys::new_abstract(cfg.clone()).unwrap()
        } else {
            BreakerSys::new(cfg.clone()).unwrap()
        };
        assert!(counted.is_counted());
        let each = counted.clone().per_caller().unwrap();
        let (c, e) = (verdicts(&counted), verdicts(&each));
        prop_assert_eq!(c.len(), e.len());
        for (c, e) in c.iter().zip(&e) {
            prop_assert_eq!(c.property, e.property);
            let same = match (&c.status, &e.status) {
                (Status::Inconclusive { .. }, Status::Inconclusive { .. }) => true,
                (a, b) => a == b,
            };
            prop_assert!(same, "{}: counted {} per caller {}", c.property, c.status, e.status);
            let len = |v: &Verdict| v.counterexample.as_ref().map(|x| x.steps.len());
            let lasso = |v: &Verdict| v.counterexample.as_ref().and_then(|x| x.lasso);
            if lasso(e).is_some() {
                // A counted cycle need only come back to the same counts, not to the same
                // callers, and the lasso search takes a shortest prefix to a fair component,
                // not a shortest lasso: lengths differ either way; the verdict is what counts.
                prop_assert!(lasso(c).is_some(), "{}", c.property);
            } else {
                prop_assert_eq!(len(c), len(e), "{}", c.property);
            }
        }
    }
}
