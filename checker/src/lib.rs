//! Microcosm's model checker: sound verdicts on protocol models. Safety properties are checked
//! with [stateright]; liveness under fairness with our own fair-cycle search over the explored
//! graph ([`liveness`]); every result is a [`Verdict`] that says holds only when the whole
//! reachable state space was explored, carries a replayable [`Counterexample`] when violated,
//! and is inconclusive when a bound stopped exploration.
//!
//! Each protocol is one module (`two_phase_commit`, `saga`, `circuit_breaker`) implementing
//! [`Protocol`]; [`catalogue`] lists every property id they report, and [`scenario`] turns a
//! scenario's transactions, policies and experiments into jobs.
//!
//! ```
//! use microcosm_checker::{CheckOptions, TwoPhaseConfig, verify_two_phase};
//!
//! let cfg = TwoPhaseConfig::with_participants(3);
//! let verdicts = verify_two_phase("transfer", &cfg, &[], &CheckOptions::default()).unwrap();
//! assert!(verdicts.iter().all(|v| v.status.holds()));
//! ```

#![warn(missing_docs)]

pub mod catalogue;
pub mod circuit_breaker;
mod error;
mod fairness;
pub mod liveness;
pub mod memory;
pub mod saga;
pub mod scenario;
pub mod state_graph;
pub mod trace;
pub mod two_phase_commit;
pub mod verdict;
mod verify;

pub use circuit_breaker::{BreakerSys, BreakerVariant, PolicyConfig, verify_policy};
pub use error::{Error, ErrorKind};
pub use fairness::ActionFairness;
pub use liveness::{LassoPath, LivenessKind, LivenessProperty, find_fair_lasso};
pub use saga::{SagaConfig, SagaState, SagaSys, verify_saga};
pub use state_graph::{Exploration, StateGraph};
pub use trace::{ActionView, Counterexample, Describe, Lasso, Step, TraceId, replay};
pub use two_phase_commit::{
    CoordinatorCrash, Prepare, TwoPhaseConfig, TwoPhaseFaults, TwoPhaseState, TwoPhaseSys,
    verify_two_phase,
};
pub use verdict::{
    Bound, CheckOptions, OptionsUsed, Progress, ProgressHook, STATIC_ENGINE, Stats, Status,
    Strategy, Verdict, elapsed_for_people, seconds_as_given,
};
pub use verify::{Canonicalize, Protocol, verify};
