//! The property catalogue: every property id the checker can report, with what it means. These
//! ids are a stable interface: they become JUnit test names and SARIF rule ids, so never rename
//! one casually; add a new id instead.

use serde::Serialize;

/// Whether a property is checked on states (stateright) or on fair runs (our fair-cycle search).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyKind {
    /// Holds in every reachable state (`always`).
    Safety,
    /// Some reachable state satisfies it (`sometimes`).
    Reachability,
    /// Holds on every fair run (`always eventually`, `leads to`), under the fairness stated.
    Liveness,
}

/// One catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyInfo {
    /// Stable id, `<protocol prefix>.<name>`.
    pub id: &'static str,
    /// The protocol module it belongs to.
    pub protocol: &'static str,
    /// How it is checked.
    pub kind: PropertyKind,
    /// One line, for reports.
    pub summary: &'static str,
    /// The precise meaning, including the fairness a liveness property assumes.
    pub meaning: &'static str,
}

/// Two-phase commit: no participant commits while another aborts.
pub const TWO_PC_ATOMICITY: &str = "2pc.atomicity";
/// Two-phase commit: commit only if every participant voted yes.
pub const TWO_PC_VALIDITY: &str = "2pc.validity";
/// Two-phase commit: every participant eventually decides.
pub const TWO_PC_TERMINATION: &str = "2pc.termination";

/// Every property, grouped by protocol.
pub const CATALOGUE: &[PropertyInfo] = &[
    PropertyInfo {
        id: TWO_PC_ATOMICITY,
        protocol: "two_phase_commit",
        kind: PropertyKind::Safety,
        summary: "no participant commits while another aborts",
        meaning: "In every reachable state, it is not the case that one participant has \
                  committed and another has aborted (Gray and Lamport's TCConsistent).",
    },
    PropertyInfo {
        id: TWO_PC_VALIDITY,
        protocol: "two_phase_commit",
        kind: PropertyKind::Safety,
        summary: "commit only if every participant voted yes",
        meaning: "In every reachable state where the coordinator has decided commit or some \
                  participant has committed, every participant is prepared or committed, i.e. \
                  has voted yes and not withdrawn.",
    },
    PropertyInfo {
        id: TWO_PC_TERMINATION,
        protocol: "two_phase_commit",
        kind: PropertyKind::Liveness,
        summary: "every participant eventually decides",
        meaning: "Every fair run reaches a state where every participant has committed or \
                  aborted (decisions are durable, so they stay decided). Fairness: weak fairness \
                  of every protocol action instance (votes, decisions, deliveries, recovery, \
                  retransmission, peer queries); crashes and message loss are never fair and \
                  happen only finitely often.",
    },
];

/// Looks up a property by id.
pub fn lookup(id: &str) -> Option<&'static PropertyInfo> {
    CATALOGUE.iter().find(|p| p.id == id)
}

/// The properties of one protocol, in catalogue order.
pub fn for_protocol(protocol: &str) -> impl Iterator<Item = &'static PropertyInfo> {
    CATALOGUE.iter().filter(move |p| p.protocol == protocol)
}
