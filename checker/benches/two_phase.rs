//! Throughput of two-phase commit checking: our bit-packed `TwoPhaseSys` on stateright's
//! breadth-first and (with symmetry) depth-first checkers, 1 and 2 threads, against stateright's
//! own `examples/2pc.rs` model on the same checker and machine, plus our fair-cycle liveness
//! explorer. Criterion's throughput is in unique states, so "elem/s" reads as states/s.
//!
//! Run: `cargo bench -p microcosm-checker --bench two_phase -- --warm-up-time 1 --measurement-time 5`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use microcosm_checker::{CheckOptions, TwoPhaseConfig, TwoPhaseSys, verify_two_phase};
use stateright::{Checker, Model, Representative};
use std::hint::black_box;

/// Gray and Lamport's TwoPhase exactly as stateright's `examples/2pc.rs` (v0.31.0) writes it:
/// `Vec` + `BTreeSet` state, symmetry by sorting RM states only. Copied verbatim apart from
/// visibility and the removed `main`, as the baseline our model must keep up with.
/// Copyright Jonathan Nadal and the stateright contributors, MIT licensed.
mod stateright_example {
    use stateright::{Model, Property, Representative, Rewrite, RewritePlan};
    use std::collections::BTreeSet;
    use std::hash::Hash;
    use std::ops::Range;

    type R = usize; // represented by integers in 0..N-1

    #[derive(Clone)]
    pub struct TwoPhaseSys {
        pub rms: Range<R>,
    }

    #[derive(Clone, Debug, Eq, Hash, PartialEq)]
    pub struct TwoPhaseState {
        rm_state: Vec<RmState>, // map from each RM
        tm_state: TmState,
        tm_prepared: Vec<bool>, // map from each RM
        msgs: BTreeSet<Message>,
    }

    #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
    enum Message {
        Prepared { rm: R },
        Commit,
        Abort,
    }

    #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
    enum RmState {
        Working,
        Prepared,
        Committed,
        Aborted,
    }

    #[derive(Clone, Debug, Eq, Hash, PartialEq)]
    enum TmState {
        Init,
        Committed,
        Aborted,
    }

    #[derive(Clone, Debug, PartialEq)]
    pub enum Action {
        TmRcvPrepared(R),
        TmCommit,
        TmAbort,
        RmPrepare(R),
        RmChooseToAbort(R),
        RmRcvCommitMsg(R),
        RmRcvAbortMsg(R),
    }

    impl Model for TwoPhaseSys {
        type State = TwoPhaseState;
        type Action = Action;

        fn init_states(&self) -> Vec<Self::State> {
            vec![TwoPhaseState {
                rm_state: self.rms.clone().map(|_| RmState::Working).collect(),
                tm_state: TmState::Init,
                tm_prepared: self.rms.clone().map(|_| false).collect(),
                msgs: Default::default(),
            }]
        }

        fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
            if state.tm_state == TmState::Init && state.tm_prepared.iter().all(|p| *p) {
                actions.push(Action::TmCommit);
            }
            if state.tm_state == TmState::Init {
                actions.push(Action::TmAbort);
            }
            for rm in self.rms.clone() {
                if state.tm_state == TmState::Init && state.msgs.contains(&Message::Prepared { rm })
                {
                    actions.push(Action::TmRcvPrepared(rm));
                }
                if state.rm_state.get(rm) == Some(&RmState::Working) {
                    actions.push(Action::RmPrepare(rm));
                }
                if state.rm_state.get(rm) == Some(&RmState::Working) {
                    actions.push(Action::RmChooseToAbort(rm));
                }
                if state.msgs.contains(&Message::Commit) {
                    actions.push(Action::RmRcvCommitMsg(rm));
                }
                if state.msgs.contains(&Message::Abort) {
                    actions.push(Action::RmRcvAbortMsg(rm));
                }
            }
        }

        fn next_state(
            &self,
            last_state: &Self::State,
            action: Self::Action,
        ) -> Option<Self::State> {
            let mut state = last_state.clone();
            match action {
                Action::TmRcvPrepared(rm) => {
                    state.tm_prepared[rm] = true;
                }
                Action::TmCommit => {
                    state.tm_state = TmState::Committed;
                    state.msgs.insert(Message::Commit);
                }
                Action::TmAbort => {
                    state.tm_state = TmState::Aborted;
                    state.msgs.insert(Message::Abort);
                }
                Action::RmPrepare(rm) => {
                    state.rm_state[rm] = RmState::Prepared;
                    state.msgs.insert(Message::Prepared { rm });
                }
                Action::RmChooseToAbort(rm) => {
                    state.rm_state[rm] = RmState::Aborted;
                }
                Action::RmRcvCommitMsg(rm) => {
                    state.rm_state[rm] = RmState::Committed;
                }
                Action::RmRcvAbortMsg(rm) => {
                    state.rm_state[rm] = RmState::Aborted;
                }
            }
            Some(state)
        }

        fn properties(&self) -> Vec<Property<Self>> {
            vec![
                Property::<Self>::sometimes("abort agreement", |_, state| {
                    state.rm_state.iter().all(|s| s == &RmState::Aborted)
                }),
                Property::<Self>::sometimes("commit agreement", |_, state| {
                    state.rm_state.iter().all(|s| s == &RmState::Committed)
                }),
                Property::<Self>::always("consistent", |_, state| {
                    !state.rm_state.iter().any(|s1| {
                        state
                            .rm_state
                            .iter()
                            .any(|s2| s1 == &RmState::Aborted && s2 == &RmState::Committed)
                    })
                }),
            ]
        }
    }

    impl Representative for TwoPhaseState {
        fn representative(&self) -> Self {
            let plan = RewritePlan::from_values_to_sort(&self.rm_state);
            Self {
                rm_state: plan.reindex(&self.rm_state),
                tm_state: self.tm_state.clone(),
                tm_prepared: plan.reindex(&self.tm_prepared),
                msgs: self
                    .msgs
                    .iter()
                    .map(|m| match m {
                        Message::Prepared { rm } => Message::Prepared {
                            rm: plan.rewrite(rm),
                        },
                        Message::Commit => Message::Commit,
                        Message::Abort => Message::Abort,
                    })
                    .collect(),
            }
        }
    }

    impl<T> Rewrite<T> for RmState {
        fn rewrite<S>(&self, _: &RewritePlan<T, S>) -> Self {
            self.clone()
        }
    }
}

const UNIQUE: [(usize, u64); 3] = [(5, 8_832), (6, 50_816), (7, 296_448)];

fn bfs(c: &mut Criterion) {
    let mut group = c.benchmark_group("twophase_bfs");
    group.sample_size(10);
    for (n, unique) in UNIQUE {
        group.throughput(Throughput::Elements(unique));
        for threads in [1, 2] {
            let id = format!("{n}rm/{threads}t");
            group.bench_with_input(BenchmarkId::new("microcosm", &id), &n, |b, &n| {
                b.iter(|| {
                    let checker = TwoPhaseSys::plain(n)
                        .checker()
                        .threads(threads)
                        .spawn_bfs()
                        .join();
                    assert_eq!(checker.unique_state_count() as u64, unique);
                    black_box(checker.unique_state_count())
                })
            });
            group.bench_with_input(BenchmarkId::new("stateright_example", &id), &n, |b, &n| {
                b.iter(|| {
                    let checker = stateright_example::TwoPhaseSys { rms: 0..n }
                        .checker()
                        .threads(threads)
                        .spawn_bfs()
                        .join();
                    assert_eq!(checker.unique_state_count() as u64, unique);
                    black_box(checker.unique_state_count())
                })
            });
        }
    }
    group.finish();
}

fn symmetry(c: &mut Criterion) {
    let mut group = c.benchmark_group("twophase_dfs_symmetry");
    group.sample_size(10);
    for n in [5, 6, 7] {
        for threads in [1, 2] {
            let id = format!("{n}rm/{threads}t");
            group.bench_with_input(BenchmarkId::new("microcosm", &id), &n, |b, &n| {
                b.iter(|| {
                    let checker = TwoPhaseSys::plain(n)
                        .checker()
                        .threads(threads)
                        .symmetry_fn(
                            <microcosm_checker::TwoPhaseState as Representative>::representative,
                        )
                        .spawn_dfs()
                        .join();
                    black_box(checker.unique_state_count())
                })
            });
            group.bench_with_input(BenchmarkId::new("stateright_example", &id), &n, |b, &n| {
                b.iter(|| {
                    let checker = stateright_example::TwoPhaseSys { rms: 0..n }
                        .checker()
                        .threads(threads)
                        .symmetry()
                        .spawn_dfs()
                        .join();
                    black_box(checker.unique_state_count())
                })
            });
        }
    }
    group.finish();
}

fn verify_pipeline(c: &mut Criterion) {
    // The whole `verify_two_phase` (stateright for safety + our explorer and fair-cycle search
    // for termination), as the CLI runs it.
    let mut group = c.benchmark_group("twophase_verify_all");
    group.sample_size(10);
    for (n, unique) in UNIQUE {
        group.throughput(Throughput::Elements(unique));
        group.bench_with_input(
            BenchmarkId::new("microcosm", format!("{n}rm")),
            &n,
            |b, &n| {
                let cfg = TwoPhaseConfig::with_participants(n);
                b.iter(|| {
                    let v = verify_two_phase("bench", &cfg, &[], &CheckOptions::default()).unwrap();
                    assert!(v.iter().all(|v| v.status.holds()));
                    black_box(v)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bfs, symmetry, verify_pipeline);
criterion_main!(benches);
