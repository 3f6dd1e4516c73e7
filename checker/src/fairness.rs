//! How fairness treats an action: the classifier type every protocol's [`crate::Protocol`]
//! returns, the explorer ([`crate::state_graph`]) stores per edge, and the fair-cycle search
//! ([`crate::liveness`]) reads back. It has a file of its own because both of those modules
//! need it and neither owns the other: kept in `liveness.rs`, it made the graph explorer import
//! the search that is built on it, a circle between two modules that should be layered
//! (explore the graph, then search it).

/// How fairness treats an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionFairness {
    /// Weakly fair, in the class with this id: if some action of the class stays enabled, one
    /// is eventually taken. Give each action instance (say `RmPrepare(2)`) its own class unless
    /// several actions should count as one obligation.
    Weak(u32),
    /// No fairness: the action may or may not happen, possibly forever.
    Unfair,
    /// A fault (crash, message loss): no fairness, and only finitely often in any run.
    Fault,
}
