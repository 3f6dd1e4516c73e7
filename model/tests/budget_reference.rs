//! The retry budget checked against an independent, deliberately naive reference: random
//! sequences of requests and retries at increasing times drive both. The reference keeps every
//! event in a list and recounts, on each retry, the requests and granted retries of the budget's
//! window — the ten bucket widths ending with the current one — so it shares nothing with the
//! ring of buckets but the definition. After each retry they must agree on the decision, and
//! every grant must respect Finagle's bound: retries ≤ ratio × requests + `min_per_s` × 10 s
//! over the window. The model checker abstracts a budget as "may refuse any retry" and relies on
//! this bound being the budget's own.

use microcosm_model::RetryBudget as BudgetConfig;
use microcosm_model::resilience::{BudgetParams, RetryBudget};
use proptest::prelude::*;

/// Every event, and the window rule written from its definition.
struct Reference {
    p: BudgetParams,
    requests: Vec<u64>,
    retries: Vec<u64>,
}

impl Reference {
    /// The first instant still inside the window at `now`: ten bucket widths, the current
    /// bucket included.
    fn window_start(&self, now: u64) -> u64 {
        let width = (self.p.ttl / 10).max(1);
        (now / width).saturating_sub(9) * width
    }

    fn counts(&self, now: u64) -> (u64, u64) {
        let start = self.window_start(now);
        let live = |ts: &Vec<u64>| ts.iter().filter(|&&t| t >= start && t <= now).count() as u64;
        (live(&self.requests), live(&self.retries))
    }

    fn try_retry(&mut self, now: u64) -> bool {
        let (requests, retries) = self.counts(now);
        let allowed =
            (retries + 1) * 1_000_000 <= self.p.ratio_ppm * requests + self.p.reserve_millionths;
        if allowed {
            self.retries.push(now);
        }
        allowed
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Request,
    Retry,
}

fn event() -> impl Strategy<Value = (u64, Event)> {
    (
        prop_oneof![3 => Just(0u64), 2 => 0u64..2_000, 1 => 0u64..15_000],
        prop_oneof![Just(Event::Request), Just(Event::Retry)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_budget_agrees_with_the_reference_and_its_bound(
        ratio in prop_oneof![Just(0.0), Just(0.1), Just(0.2), Just(0.5), Just(1.0)],
        min_per_s in prop_oneof![Just(0.0), Just(0.1), Just(0.5), Just(2.0)],
        events in prop::collection::vec(event(), 1..300),
    ) {
        let config = BudgetConfig { ratio, min_per_s };
        let p = BudgetParams::from_config(&config, 1.0);
        let mut budget = RetryBudget::new();
        let mut reference = Reference { p, requests: Vec::new(), retries: Vec::new() };
        let mut now = 0;
        for (gap, e) in events {
            now += gap;
            match e {
                Event::Request => {
                    budget.on_request(&p, now);
                    reference.requests.push(now);
                }
                Event::Retry => {
                    let granted = budget.try_retry(&p, now);
                    prop_assert_eq!(granted, reference.try_retry(now), "at {} ms", now);
                    if granted {
                        let (requests, retries) = reference.counts(now);
                        let bound = ratio * requests as f64 + min_per_s * 10.0;
                        prop_assert!(
                            retries as f64 <= bound + 1e-9,
                            "{} retries over {} requests at {} ms (bound {})",
                            retries, requests, now, bound
                        );
                    }
                }
            }
        }
    }
}
