//! Microcosm's system model: the typed seven-tuple `(S, I, N, D, C, M, P)` that every engine
//! reads, the scenario files users write it in, and the loader that validates them and points
//! at every problem by file, line and column.
//!
//! ```no_run
//! let loaded = microcosm_model::load(std::path::Path::new("scenarios/online-boutique.toml"))?;
//! println!("{} services", loaded.scenario.services.len());
//! # Ok::<(), microcosm_model::LoadError>(())
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod diagnostic;
pub mod edge;
pub mod limits;
pub mod load;
pub mod resilience;
pub mod scenario;
pub mod schema;
pub mod source;
pub mod validate;

pub use diagnostic::{Diagnostic, Location, Severity};
pub use edge::EdgePattern;
pub use load::{LoadError, LoadedScenario, load, load_str};
pub use scenario::*;
pub use source::{Format, Pointer, Target};
