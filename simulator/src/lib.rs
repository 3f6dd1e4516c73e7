//! Microcosm's discrete-event simulator: replays a scenario's failure experiments against its
//! architecture — replicas with worker pools and bounded queues, calls through each edge's
//! resilience policy, a network with latency, loss and partitions, topics with consumer groups,
//! open- and closed-loop load, and faults on a timeline — and reports what users would see:
//! latency percentiles and errors by cause per endpoint and edge, breaker timelines, retry
//! amplification, SLO and expectation verdicts, alert firings, as JSON-ready data and SVG plots.
//!
//! Time is integer nanoseconds and every random choice flows from one seed, so a run is exactly
//! reproducible; the resilience policies are `microcosm_model::resilience`'s state machines, the
//! very code the model checker verifies.
//!
//! ```no_run
//! let loaded = microcosm_model::load(std::path::Path::new("scenarios/online-boutique.toml"))?;
//! let mut sim = microcosm_simulator::Sim::builder(&loaded.scenario, 11)
//!     .experiment("payment-outage")
//!     .build()?;
//! sim.run();
//! let report = microcosm_simulator::report::build(&sim, &loaded.scenario);
//! println!("{} events, passed: {}", report.events, report.passed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod alert;
pub mod engine;
mod error;
pub mod limits;
pub mod metrics;
pub mod plot;
pub mod replicate;
pub mod report;
pub mod sampler;
pub mod sim;
pub mod sweep;
pub mod topology;

pub use error::{Error, ErrorKind};
pub use limits::{Interrupt, MAX_DURATION_S, Stop};
pub use metrics::{Cause, Outcome};
pub use replicate::{
    Estimate, RunOptions, Summary, replication_seed, run_once, run_once_with, run_replications,
    summarise,
};
pub use report::SimReport;
pub use sim::{FaultWindow, RolloutEvent, Sim, SimBuilder};
