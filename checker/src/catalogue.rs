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
    /// Decided from the definition alone, without exploring states.
    Static,
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

/// Saga: when the saga ends, every step committed or every committed step compensated.
pub const SAGA_SEMANTIC_ATOMICITY: &str = "saga.semantic-atomicity";
/// Saga: compensations run in the reverse order of the commits they undo.
pub const SAGA_COMPENSATION_ORDER: &str = "saga.compensation-order";
/// Saga: a compensation never runs for a step that did not commit.
pub const SAGA_NO_PHANTOM_COMPENSATION: &str = "saga.no-phantom-compensation";
/// Saga: a non-idempotent step's effect is applied at most once.
pub const SAGA_EFFECT_ONCE: &str = "saga.effect-once";
/// Saga: the saga eventually completes or is fully compensated.
pub const SAGA_TERMINATION: &str = "saga.termination";
/// Saga (static): compensatable steps, then the pivot, then retriable steps.
pub const SAGA_PIVOT_RULE: &str = "saga.pivot-rule";

/// Circuit breaker: while OPEN and before the wait has elapsed, no call reaches downstream.
pub const BREAKER_OPEN_BLOCKS: &str = "breaker.open-blocks";
/// Circuit breaker: never more trial calls in flight in HALF_OPEN than permitted.
pub const BREAKER_HALF_OPEN_LIMIT: &str = "breaker.half-open-limit";
/// Circuit breaker: it opens whenever its window meets the threshold.
pub const BREAKER_OPENS_WHEN_DUE: &str = "breaker.opens-when-due";
/// Circuit breaker: it opens only when its window meets the threshold.
pub const BREAKER_NO_PREMATURE_OPEN: &str = "breaker.no-premature-open";
/// Circuit breaker: once downstream is healthy for good, it returns to CLOSED.
pub const BREAKER_RECOVERS: &str = "breaker.recovers";
/// Retry: attempts per logical call never exceed `max_attempts`.
pub const RETRY_BOUNDED: &str = "retry.bounded";
/// Retry: retries do not bypass an OPEN breaker.
pub const RETRY_RESPECTS_BREAKER: &str = "retry.respects-breaker";
/// Retry (static): worst-case attempts per request stay within the experiment's bound.
pub const RETRY_AMPLIFICATION: &str = "retry.amplification";

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
                  aborted (decisions are durable, so they stay decided). A prepared participant \
                  cannot decide alone: a coordinator that is gone for good, or that returns \
                  early from a sequential prepare without sending abort, leaves it in doubt. \
                  Fairness: weak fairness of every protocol action instance (votes, decisions, \
                  deliveries, recovery, retransmission, peer queries, timeouts); crashes and \
                  message loss are never fair and happen only finitely often.",
    },
    PropertyInfo {
        id: SAGA_SEMANTIC_ATOMICITY,
        protocol: "saga",
        kind: PropertyKind::Safety,
        summary: "when the saga ends, all steps committed or every committed step compensated",
        meaning: "In every reachable state where the saga is over (completed, compensated, given \
                  up after a failed compensation, or forgotten by a coordinator that restarted \
                  without a log), either every step's effect is in place or none is: each \
                  committed step has been compensated (Garcia-Molina and Salem, 1987). A step's \
                  effect is in place when it was applied more often than compensated; a step a \
                  restarted coordinator's after-step log does not list is never compensated.",
    },
    PropertyInfo {
        id: SAGA_COMPENSATION_ORDER,
        protocol: "saga",
        kind: PropertyKind::Safety,
        summary: "compensations run in the reverse order of the commits they undo",
        meaning: "No compensation of a step is applied while a later step's effect is still in \
                  place (checked with a history variable set when that happens).",
    },
    PropertyInfo {
        id: SAGA_NO_PHANTOM_COMPENSATION,
        protocol: "saga",
        kind: PropertyKind::Safety,
        summary: "a compensation never runs for a step that did not commit",
        meaning: "In every reachable state, no step's compensation has been applied more often \
                  than the step itself (a refund without a charge, or two refunds for one). An \
                  idempotent participant records a compensation that finds nothing to undo as a \
                  harmless cancellation, which is not an application.",
    },
    PropertyInfo {
        id: SAGA_EFFECT_ONCE,
        protocol: "saga",
        kind: PropertyKind::Safety,
        summary: "a non-idempotent step's effect is applied at most once",
        meaning: "In every reachable state, each step not declared idempotent (and its \
                  compensation) has been applied at most once, despite duplicate delivery, \
                  redelivery, retries and coordinator recovery.",
    },
    PropertyInfo {
        id: SAGA_TERMINATION,
        protocol: "saga",
        kind: PropertyKind::Liveness,
        summary: "the saga eventually completes or is fully compensated",
        meaning: "Every fair run reaches a state where the saga has completed (every step \
                  committed) or has been compensated to its start. Fairness: weak fairness of \
                  every delivery, reply, retry, resend, recovery and publication; crashes, \
                  message loss, duplicate deliveries and transient step or compensation \
                  failures are faults (finitely many); business failures and permanent \
                  compensation failures are unfair choices.",
    },
    PropertyInfo {
        id: SAGA_PIVOT_RULE,
        protocol: "saga",
        kind: PropertyKind::Static,
        summary: "steps before the pivot have compensations, steps after it are retriable",
        meaning: "The steps read compensatable*, pivot, retriable* (Richardson, Microservices \
                  Patterns, 2018): every step before the declared pivot has a compensation and \
                  every step after it is retriable; with no declared pivot, some step must be \
                  able to serve as one; two pivots violate it. Checked on the definition, \
                  without exploring states.",
    },
    PropertyInfo {
        id: BREAKER_OPEN_BLOCKS,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "while OPEN and before the wait has elapsed, no call reaches downstream",
        meaning: "No attempt is sent to the downstream while the breaker is OPEN and its \
                  wait_duration_in_open_state has not yet passed.",
    },
    PropertyInfo {
        id: BREAKER_HALF_OPEN_LIMIT,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "never more trial calls in flight in HALF_OPEN than permitted",
        meaning: "While the breaker is HALF_OPEN, the calls admitted since it entered HALF_OPEN \
                  and still in flight never exceed permitted_number_of_calls_in_half_open_state.",
    },
    PropertyInfo {
        id: BREAKER_OPENS_WHEN_DUE,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "it opens whenever the window meets the threshold with the minimum calls",
        meaning: "The breaker is never CLOSED (or HALF_OPEN) while the results it should count \
                  since it entered that state — tracked independently of the breaker, as a \
                  reference window — hold at least the minimum number of calls with a failure \
                  (or slow-call) rate at or above the threshold; nor does it leave HALF_OPEN \
                  for CLOSED on trial results that meet the threshold.",
    },
    PropertyInfo {
        id: BREAKER_NO_PREMATURE_OPEN,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "it opens only when the window meets the threshold with the minimum calls",
        meaning: "Every transition to OPEN from CLOSED or HALF_OPEN happens when the reference \
                  window of real results meets the threshold with the minimum number of calls.",
    },
    PropertyInfo {
        id: BREAKER_RECOVERS,
        protocol: "circuit_breaker",
        kind: PropertyKind::Liveness,
        summary: "once downstream is healthy for good, the breaker eventually closes",
        meaning: "Every fair run in which the downstream has healed (and stays healthy) reaches \
                  a state where the breaker is CLOSED. Fairness: weak fairness of callers \
                  calling and retrying, of the downstream answering, of time passing and of the \
                  breaker's timer; the downstream's failures and healing are not fair.",
    },
    PropertyInfo {
        id: RETRY_BOUNDED,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "attempts per logical call never exceed max_attempts",
        meaning: "No caller makes more than max_attempts attempts (the first included, rejected \
                  attempts included) for one logical call.",
    },
    PropertyInfo {
        id: RETRY_RESPECTS_BREAKER,
        protocol: "circuit_breaker",
        kind: PropertyKind::Safety,
        summary: "retries do not bypass an OPEN breaker",
        meaning: "No retry attempt reaches the downstream while the breaker is OPEN and its wait \
                  has not passed: each retry asks the breaker for permission.",
    },
    PropertyInfo {
        id: RETRY_AMPLIFICATION,
        protocol: "retry_amplification",
        kind: PropertyKind::Static,
        summary: "worst-case retry amplification within the experiment's bound",
        meaning: "For every entry endpoint an experiment loads, the factor by which retries \
                  multiply the attempts one request causes at any one service when that service \
                  is down (the product of attempts along each path, summed over paths, over the \
                  same count without retries) is at most the experiment's \
                  max_retry_amplification. Computed from the call graph and policies.",
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
