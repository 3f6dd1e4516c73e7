//! Verdicts and the options that produce them: one [`Verdict`] per (model, property), saying
//! whether the property holds (the reachable state space was explored completely), is violated
//! (with a counterexample), or is inconclusive (a bound or the timeout stopped exploration), with
//! the statistics and the options actually applied. Everything here is `serde::Serialize` so the
//! CLI can emit it as JSON without a mirror type.

use crate::trace::Counterexample;
use serde::{Serialize, Serializer};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The search order used for safety properties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Breadth-first: single-threaded counterexamples are shortest. Ignores symmetry.
    #[default]
    Bfs,
    /// Depth-first: less memory, honours symmetry reduction, counterexamples not shortest.
    Dfs,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
        })
    }
}

/// How to check. The defaults explore everything, breadth-first, on one thread.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Stop after generating this many states (revisits included, the count stateright reports
    /// as `states`). The liveness graph holds at most this many states, so its memory is
    /// bounded by it. No search generates more (states are admitted one ticket each; a saga's
    /// projections share one budget); a run that reaches the bound is inconclusive even if it
    /// happened to finish. `None`: no bound.
    pub max_states: Option<usize>,
    /// Do not explore past this many steps from an initial state. `None`: no bound.
    pub max_depth: Option<usize>,
    /// Stop after this much wall-clock time per exploration. `None`: no limit.
    pub timeout: Option<Duration>,
    /// Worker threads for safety checking (0 is treated as 1). Liveness exploration is
    /// single-threaded.
    pub threads: usize,
    /// Symmetry reduction for safety checking; implies depth-first search, since stateright's
    /// breadth-first checker ignores symmetry.
    pub symmetry: bool,
    /// Search order for safety checking.
    pub strategy: Strategy,
    /// Called with a search's progress as soon as it starts, then every 200 ms or so while
    /// it runs, and once when it ends (for a progress bar or log lines). Each report names
    /// its search (`phase`): the safety properties share one, liveness has its own.
    pub progress: Option<ProgressHook>,
    /// Set by someone else to stop the check early (the explorer's cancel key): the run ends
    /// within a fraction of a second, inconclusive ([`Bound::Cancelled`]).
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The memory budget in bytes, for the whole process (`--max-memory`): when the process's
    /// resident memory passes it, every search running with a budget stops, inconclusive
    /// ([`Bound::Memory`]), and frees what it explored (see [`crate::memory`]). `None`: no
    /// budget.
    pub max_memory: Option<u64>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_states: None,
            max_depth: None,
            timeout: None,
            threads: 1,
            symmetry: false,
            strategy: Strategy::Bfs,
            progress: None,
            cancel: None,
            max_memory: None,
        }
    }
}

/// Progress of one running exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Which engine is running: `"safety"` (stateright) or `"liveness"` (the graph explorer).
    pub phase: &'static str,
    /// States generated so far, revisits included.
    pub states_generated: u64,
    /// Distinct states so far.
    pub unique_states: u64,
    /// Deepest level reached, in steps from an initial state.
    pub max_depth: u64,
    /// Time since this exploration started.
    pub elapsed: Duration,
}

/// A progress callback, shared between threads.
#[derive(Clone)]
pub struct ProgressHook(Arc<dyn Fn(&Progress) + Send + Sync>);

impl ProgressHook {
    /// Wraps a callback.
    pub fn new(f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Calls the callback (the checker does, as its search goes).
    pub fn report(&self, progress: &Progress) {
        (self.0)(progress)
    }
}

impl fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressHook(..)")
    }
}

/// The engine of a property decided from the configuration alone, without a search: its
/// stats are all zero, and reports say so instead of printing them.
pub const STATIC_ENGINE: &str = "static";

/// The outcome of checking one property.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// The property holds on the whole reachable state space.
    Holds,
    /// The property is violated; the verdict carries the counterexample (for a `sometimes`
    /// property: no reachable state satisfies it, so there is no trace to show).
    Violated,
    /// Exploration stopped before covering the state space and found no violation.
    Inconclusive {
        /// What stopped it.
        reason: Bound,
    },
}

impl Status {
    /// The verdict of a search for a counterexample that `cut` may have stopped: one found is a
    /// violation whatever cut the search short; none found is a pass only if nothing did.
    pub(crate) fn of_search(
        found: Option<Counterexample>,
        cut: Option<&Bound>,
    ) -> (Status, Option<Counterexample>) {
        match (found, cut) {
            (Some(c), _) => (Status::Violated, Some(c)),
            (None, Some(bound)) => (
                Status::Inconclusive {
                    reason: bound.clone(),
                },
                None,
            ),
            (None, None) => (Status::Holds, None),
        }
    }

    /// Whether this is [`Status::Holds`].
    pub fn holds(&self) -> bool {
        matches!(self, Status::Holds)
    }

    /// Whether this is [`Status::Violated`].
    pub fn is_violated(&self) -> bool {
        matches!(self, Status::Violated)
    }

    /// Whether this is [`Status::Inconclusive`].
    pub fn is_inconclusive(&self) -> bool {
        matches!(self, Status::Inconclusive { .. })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Holds => f.write_str("holds"),
            Status::Violated => f.write_str("violated"),
            Status::Inconclusive { reason } => write!(f, "inconclusive ({reason})"),
        }
    }
}

/// Why an exploration was cut short.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "bound", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Bound {
    /// `max_states` was reached with states left to explore.
    MaxStates {
        /// The bound.
        limit: usize,
    },
    /// States at `max_depth` steps had successors that were not explored.
    MaxDepth {
        /// The bound.
        limit: usize,
    },
    /// The timeout expired.
    Timeout {
        /// The timeout, in seconds.
        #[serde(rename = "limit_s")]
        seconds: f64,
    },
    /// Whoever asked for the check cancelled it.
    Cancelled,
    /// The process's resident memory passed the budget (`--max-memory`).
    Memory {
        /// The budget, in bytes.
        limit_bytes: u64,
    },
    /// The engine cannot decide this kind of property.
    Unsupported {
        /// What is unsupported.
        what: String,
    },
    /// The model over-approximates the system (it can do everything the system can, and maybe
    /// more), and it reached a violation that may not be one of the system's: a "holds" from
    /// such a model is sound, a violation is not confirmed.
    Abstraction {
        /// What was abstracted, and where the unconfirmed violation is.
        what: String,
    },
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::MaxStates { limit } => {
                write!(f, "stopped at the --max-states limit of {limit}")
            }
            Bound::MaxDepth { limit } => write!(f, "stopped at the --max-depth limit of {limit}"),
            Bound::Timeout { seconds } => {
                write!(f, "stopped by the {} s timeout", seconds_as_given(*seconds))
            }
            Bound::Cancelled => write!(f, "cancelled"),
            Bound::Memory { limit_bytes } => write!(
                f,
                "stopped at the memory limit of {} (--max-memory)",
                crate::memory::size_for_people(*limit_bytes)
            ),
            Bound::Unsupported { what } => write!(f, "unsupported: {what}"),
            Bound::Abstraction { what } => write!(f, "unconfirmed in an abstraction: {what}"),
        }
    }
}

/// A limit in seconds as the user wrote it: `10`, `0.5`, `2.25`. The value went through a
/// `Duration` (nanoseconds), so it is rounded to the millisecond, which no one writes past,
/// and a whole number loses its `.0`.
pub fn seconds_as_given(seconds: f64) -> String {
    let text = format!("{seconds:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0" } else { text }.to_owned()
}

/// Elapsed time for people, with the precision its size deserves: `0.04 s`, `3.17 s`,
/// `12.3 s`, `145 s`.
pub fn elapsed_for_people(elapsed: Duration) -> String {
    let s = elapsed.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 100.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}

/// How much of the state space an exploration covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// States generated, revisits included.
    pub states_generated: u64,
    /// Distinct states (orbits, under symmetry reduction).
    pub unique_states: u64,
    /// Deepest level reached, in steps from an initial state.
    pub max_depth: u64,
    /// Wall-clock time of the exploration.
    #[serde(rename = "elapsed_s", serialize_with = "serialize_secs")]
    pub elapsed: Duration,
    /// Bytes held by the explored graph (liveness only; stateright does not expose its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_bytes: Option<u64>,
}

impl Stats {
    /// Unique states per second of wall-clock time.
    pub fn unique_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.unique_states as f64 / secs
        } else {
            0.0
        }
    }
}

fn serialize_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// The options that actually produced a verdict (which may differ from those asked for: for
/// example symmetry forces depth-first search, and liveness is never symmetry-reduced).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionsUsed {
    /// `"stateright"` for safety properties (`"projection"` where a saga is checked by
    /// projection), `"fair-cycle"` for liveness.
    pub engine: &'static str,
    /// Search order.
    pub strategy: Strategy,
    /// Worker threads.
    pub threads: usize,
    /// Whether symmetry reduction was applied.
    pub symmetry: bool,
    /// The state bound, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_states: Option<usize>,
    /// The depth bound, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    /// The timeout in seconds, if any.
    #[serde(rename = "timeout_s", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Why the options used differ from those asked for, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The verdict on one property of one model.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// The model checked: the scenario's transaction name.
    pub model: String,
    /// The protocol, e.g. `two_phase_commit`.
    pub protocol: &'static str,
    /// The property's stable id from the catalogue, e.g. `2pc.atomicity`.
    pub property: &'static str,
    /// Holds, violated or inconclusive.
    #[serde(flatten)]
    pub status: Status,
    /// How much was explored.
    pub stats: Stats,
    /// The options that produced this verdict.
    pub options: OptionsUsed,
    /// For a violated property: the trace that violates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// For a `sometimes` property that holds: a trace reaching a witness state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Counterexample>,
    /// For a violated property whose cause is a configuration option (a fault turned on
    /// without the recovery a correct design pairs it with): what would fix it, in the
    /// scenario's words, as a loader diagnostic's help says what would be right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_said_as_the_user_gave_it_not_as_float_noise() {
        let remaining = Duration::from_secs_f64(9.999992486);
        assert_eq!(seconds_as_given(remaining.as_secs_f64()), "10");
        assert_eq!(
            Bound::Timeout { seconds: 10.0 }.to_string(),
            "stopped by the 10 s timeout"
        );
        assert_eq!(
            Bound::Timeout {
                seconds: Duration::from_secs_f64(0.3).as_secs_f64()
            }
            .to_string(),
            "stopped by the 0.3 s timeout"
        );
        assert_eq!(seconds_as_given(2.25), "2.25");
    }

    #[test]
    fn a_state_bound_says_it_is_the_limit_given() {
        assert_eq!(
            Bound::MaxStates { limit: 50 }.to_string(),
            "stopped at the --max-states limit of 50"
        );
    }

    #[test]
    fn a_memory_bound_names_the_limit_and_its_option() {
        assert_eq!(
            Bound::Memory {
                limit_bytes: 18 << 30
            }
            .to_string(),
            "stopped at the memory limit of 18 GiB (--max-memory)"
        );
        let json = serde_json::to_value(Status::Inconclusive {
            reason: Bound::Memory { limit_bytes: 1024 },
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "inconclusive", "reason": {"bound": "memory", "limit_bytes": 1024}})
        );
    }

    #[test]
    fn elapsed_time_has_the_precision_its_size_deserves() {
        assert_eq!(elapsed_for_people(Duration::from_millis(42)), "0.04 s");
        assert_eq!(
            elapsed_for_people(Duration::from_secs_f64(10.000_812)),
            "10.0 s"
        );
        assert_eq!(elapsed_for_people(Duration::from_secs(145)), "145 s");
    }
}
