//! The memory budget (`CheckOptions::max_memory`): a breaker shared by many callers, whose
//! state space grows by hundreds of MB a second, checked under a budget a little above what the
//! process holds when it starts, ends inconclusive at the memory bound with the counts it
//! reached, instead of growing until the kernel kills the process (issue 15: a newcomer's
//! wallet grew to 24 GB and was killed, with no report).

use std::path::Path;
use std::time::{Duration, Instant};

use microcosm_checker::memory::resident_bytes;
use microcosm_checker::scenario::jobs;
use microcosm_checker::{Bound, CheckOptions, Status};

/// The wallet's `wallet -> custody` policy: Resilience4j's defaults (window 20, minimum 10, 10
/// trial calls), a retry of 3, 16 callers (2 replicas of 8 workers).
const WALLET: &str = r#"
name = "wallet"

[services.wallet]
[services.wallet.endpoints.withdraw]
calls = ["custody.sign"]

[services.custody.endpoints.sign]

[policies."wallet -> custody"]
timeout_ms = 500
retry = { max_attempts = 3, wait_ms = 50 }
circuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 20, minimum_number_of_calls = 10 }

[deployment.wallet]
replicas = 2
"#;

#[test]
fn a_search_past_the_memory_budget_ends_inconclusive_with_its_counts() {
    let Some(before) = resident_bytes() else {
        // No way to read the process's memory here: no budget is enforced (documented).
        return;
    };
    let loaded = microcosm_model::load_str(
        WALLET,
        Path::new("wallet.toml"),
        microcosm_model::Format::Toml,
        Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let job = jobs(&loaded.scenario)
        .into_iter()
        .find(|j| j.protocol == "circuit_breaker")
        .expect("the breaker policy is a job");
    let limit = before + (48 << 20);
    let opts = CheckOptions {
        max_memory: Some(limit),
        // A guard, not the subject: were the budget not enforced, the test ends anyway.
        timeout: Some(Duration::from_secs(60)),
        ..CheckOptions::default()
    };
    let start = Instant::now();
    let verdicts = job.run(&[], &opts).unwrap();
    let took = start.elapsed();
    assert!(!verdicts.is_empty());
    let mut at_memory = 0;
    for v in &verdicts {
        assert!(!v.status.holds(), "{}: {}", v.property, v.status);
        if let Status::Inconclusive {
            reason: Bound::Memory { limit_bytes },
        } = &v.status
        {
            at_memory += 1;
            assert_eq!(*limit_bytes, limit);
            assert!(
                v.stats.states_generated > 0 && v.stats.unique_states > 0,
                "{}: the counts reached: {:?}",
                v.property,
                v.stats
            );
            assert!(
                v.status.to_string().contains("(--max-memory)"),
                "{}",
                v.status
            );
            // What would let it finish, in the scenario's terms.
            assert!(
                v.options
                    .notes
                    .iter()
                    .any(|n| n.contains("fewer concurrent callers")
                        && n.contains("a larger --max-memory")),
                "{:?}",
                v.options.notes
            );
        }
    }
    assert!(at_memory > 0, "{verdicts:#?}");
    assert!(
        took < Duration::from_secs(60),
        "stopped by the guard: {took:?}"
    );
}
