//! Checking speed of the circuit-breaker models, whole pipeline (safety on stateright, liveness
//! on our fair-cycle explorer), one thread. Criterion's throughput is in unique states: a
//! circuit breaker (Resilience4j semantics) with 3 concurrent callers and a count window of 10
//! (minimum 10, 50 %, 3 trial calls, open wait 2 ticks), without and with a retry of 3 attempts
//! in front of it. Sagas have their own bench, `saga`.
//!
//! Run: `cargo bench -p microcosm-checker --bench policies -- --warm-up-time 1 --measurement-time 5`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use microcosm_checker::circuit_breaker::{BreakerVariant, PolicyConfig, verify_policy};
use microcosm_checker::{CheckOptions, Verdict};
use microcosm_model::resilience::{BreakerParams, RetryParams};
use microcosm_model::{CircuitBreakerConfig, RetryConfig};
use std::hint::black_box;

fn breaker(retry: bool) -> PolicyConfig {
    let mut p = BreakerParams::from_config(&CircuitBreakerConfig::default(), 1.0);
    p.window_size = 10;
    p.minimum_number_of_calls = 10;
    p.permitted_in_half_open = 3;
    p.wait_in_open = 2;
    p.slow_call_duration = 1;
    PolicyConfig {
        caller: "caller".into(),
        callee: "callee".into(),
        callers: 3,
        breaker: Some(p),
        retry: retry.then(|| RetryParams::from_config(&RetryConfig::default(), 1.0)),
        variant: BreakerVariant::Resilience4j,
        slow_calls: false,
        retry_budget: false,
    }
}

fn states(verdicts: &[Verdict]) -> u64 {
    assert!(verdicts.iter().all(|v| v.status.holds()));
    verdicts[0].stats.unique_states
}

fn benches(c: &mut Criterion) {
    let opts = CheckOptions::default();
    let mut group = c.benchmark_group("policies");
    group.sample_size(10);
    for (name, cfg) in [
        ("breaker 3 callers window 10", breaker(false)),
        ("breaker 3 callers window 10 + retry 3", breaker(true)),
    ] {
        let n = states(&verify_policy("b", &cfg, &[], &opts).unwrap());
        eprintln!("{name}: {n} unique states");
        group.throughput(Throughput::Elements(n));
        group.bench_function(name, |b| {
            b.iter(|| verify_policy("b", black_box(&cfg), &[], &opts).unwrap())
        });
    }
    group.finish();
}

criterion_group!(policies, benches);
criterion_main!(policies);
