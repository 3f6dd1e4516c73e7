//! The simulator's one error type, `Error { kind }` with a `#[non_exhaustive]` `ErrorKind` (as
//! ripgrep's globset does): what the builder, the fault verbs, the sweeps and the plots return
//! when a run cannot happen. It lives apart from `lib.rs` so that the simulator's rooms import
//! it from here and never from the crate root's body; `lib.rs` re-exports it, so the public
//! path `microcosm_simulator::Error` stays.

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }
}

/// The kinds of [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The experiment named does not exist.
    #[error("no experiment `{name}`; the scenario has: {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    UnknownExperiment {
        /// The name asked for.
        name: String,
        /// The experiments the scenario declares.
        known: Vec<String>,
    },
    /// The scenario refers to something that does not exist (validation should have caught it).
    #[error("the scenario cannot be simulated: {0}")]
    Scenario(String),
    /// An argument is out of range or malformed.
    #[error("{0}")]
    Invalid(String),
    /// A plot could not be drawn or written.
    #[error("cannot draw {path}: {message}")]
    Plot {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}
