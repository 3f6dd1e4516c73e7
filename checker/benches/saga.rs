//! Checking speed of orchestrated sagas with every fault option on (coordinator crash with a
//! saga log, duplicate delivery, message loss with redelivery, compensation failure with
//! retry), the last step may fail: the whole pipeline (`verify_saga`: every safety property,
//! termination under fairness, the pivot rule), one thread. Participants all idempotent (every
//! property holds), none (under duplicate delivery the hard case: the safety properties but
//! termination are violated, each with its shortest counterexample), or every other one.
//! Non-idempotent sagas are checked by projection (see the `saga` module): criterion's
//! throughput is then the unique states of the safety projections and the control projection
//! together. Peak memory: `cargo run --release -p microcosm-checker --example saga_stats`.
//!
//! Run: `cargo bench -p microcosm-checker --bench saga -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use microcosm_checker::catalogue::{SAGA_PIVOT_RULE, SAGA_TERMINATION};
use microcosm_checker::saga::{SagaConfig, verify_saga};
use microcosm_checker::{CheckOptions, Status, Verdict};
use microcosm_model::SagaFaults;
use std::hint::black_box;

#[derive(Clone, Copy, Debug)]
enum Participants {
    Idempotent,
    NotIdempotent,
    EveryOtherIdempotent,
}

impl Participants {
    fn name(self) -> &'static str {
        match self {
            Participants::Idempotent => "idempotent",
            Participants::NotIdempotent => "not idempotent",
            Participants::EveryOtherIdempotent => "every other idempotent",
        }
    }
}

fn saga(steps: usize, participants: Participants) -> SagaConfig {
    let mut cfg = SagaConfig::orchestrated(steps)
        .step(steps - 1, |s| s.can_fail = true)
        .faults(SagaFaults::all_with_recovery());
    for (i, s) in cfg.steps.iter_mut().enumerate() {
        s.idempotent = match participants {
            Participants::Idempotent => true,
            Participants::NotIdempotent => false,
            Participants::EveryOtherIdempotent => i % 2 == 0,
        };
    }
    cfg
}

/// Checks that every verdict is complete and as expected, and returns the unique states
/// explored: the full model's (checked once for safety, once for liveness), or the safety
/// projections' and the control projection's together.
fn complete(verdicts: &[Verdict], participants: Participants) -> u64 {
    for v in verdicts {
        assert!(
            !matches!(v.status, Status::Inconclusive { .. }),
            "{} is inconclusive",
            v.property
        );
        let holds = matches!(participants, Participants::Idempotent)
            || [SAGA_TERMINATION, SAGA_PIVOT_RULE].contains(&v.property);
        assert_eq!(v.status.holds(), holds, "{}", v.property);
        assert_eq!(v.options.threads, 1);
        if v.status.is_violated() {
            assert!(v.counterexample.is_some(), "{}", v.property);
        }
    }
    let safety = verdicts
        .iter()
        .find(|v| v.options.engine != "fair-cycle" && v.property != SAGA_PIVOT_RULE);
    let liveness = verdicts.iter().find(|v| v.property == SAGA_TERMINATION);
    let (s, l) = (
        safety.map_or(0, |v| v.stats.unique_states),
        liveness.map_or(0, |v| v.stats.unique_states),
    );
    if safety.is_some_and(|v| v.options.engine == "projection") {
        s + l
    } else {
        s.max(l)
    }
}

fn every_fault(c: &mut Criterion) {
    let opts = CheckOptions::default();
    assert_eq!(opts.threads, 1);
    let mut group = c.benchmark_group("saga_every_fault");
    group.sample_size(10);
    for participants in [
        Participants::NotIdempotent,
        Participants::EveryOtherIdempotent,
        Participants::Idempotent,
    ] {
        for steps in 3..=8 {
            let cfg = saga(steps, participants);
            let states = complete(&verify_saga("s", &cfg, &[], &opts).unwrap(), participants);
            eprintln!(
                "saga {steps} steps, every fault, {}: {states} unique states",
                participants.name()
            );
            group.throughput(Throughput::Elements(states));
            group.bench_with_input(
                BenchmarkId::new(participants.name(), format!("{steps} steps")),
                &cfg,
                |b, cfg| b.iter(|| verify_saga("s", black_box(cfg), &[], &opts).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, every_fault);
criterion_main!(benches);
