//! The checker library's error type: what can go wrong before a verdict exists (an unknown
//! property id, a model configuration the encoding cannot represent, a trace id that does not
//! replay). Violations and inconclusive runs are verdicts, never errors.

use std::fmt;

/// An error from the checker's public API. Inspect [`Error::kind`] to react to a specific case.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self { kind }
    }
}

/// The cases of [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A property id that the protocol does not define.
    UnknownProperty {
        /// The id that was asked for.
        id: String,
        /// The protocol it was asked of.
        protocol: &'static str,
        /// The ids the protocol does define.
        known: Vec<&'static str>,
    },
    /// A model configuration the protocol cannot check (for example too many participants for
    /// the bit-packed state).
    InvalidConfig(String),
    /// A trace id that is not of the form `init/action/action…[@loop]`.
    MalformedTraceId {
        /// The offending trace id.
        trace_id: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A trace id that parses but does not describe a path of this model.
    ReplayMismatch {
        /// The trace id being replayed.
        trace_id: String,
        /// Where and why replay failed.
        reason: String,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnknownProperty {
                id,
                protocol,
                known,
            } => write!(
                f,
                "unknown property `{id}` for {protocol}; expected one of: {}",
                known.join(", ")
            ),
            ErrorKind::InvalidConfig(why) => write!(f, "invalid model configuration: {why}"),
            ErrorKind::MalformedTraceId { trace_id, reason } => {
                write!(f, "malformed trace id `{trace_id}`: {reason}")
            }
            ErrorKind::ReplayMismatch { trace_id, reason } => {
                write!(
                    f,
                    "trace `{trace_id}` does not replay on this model: {reason}"
                )
            }
        }
    }
}
