//! Distributed transactions for the model checker: two-phase commit and sagas, with the fault
//! options the checker explores.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A distributed transaction, tagged by `protocol`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "protocol", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transaction {
    /// Two-phase commit (Gray and Lamport's TwoPhase): a coordinator asks every participant to
    /// prepare, then commits only if all voted yes.
    TwoPhaseCommit {
        /// What the transaction does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// The transaction manager's service.
        coordinator: String,
        /// The resource managers' services, at least one, each once.
        participants: Vec<String>,
        /// Faults the checker explores; none by default (the textbook protocol).
        #[serde(default, skip_serializing_if = "TwoPhaseFaults::is_none")]
        faults: TwoPhaseFaults,
    },
    /// A saga (Garcia-Molina and Salem, 1987): local transactions in order, undone by
    /// compensations in reverse order when a step fails.
    Saga {
        /// What the transaction does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Who drives the steps.
        #[serde(default)]
        style: SagaStyle,
        /// The orchestrator's service (required for orchestrated sagas).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        coordinator: Option<String>,
        /// The steps, in order.
        steps: Vec<SagaStep>,
        /// Faults the checker explores; none by default.
        #[serde(default, skip_serializing_if = "SagaFaults::is_none")]
        faults: SagaFaults,
    },
}

/// Fault options for two-phase commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoPhaseFaults {
    /// Whether and how the coordinator crashes.
    #[serde(default)]
    pub coordinator_crash: CoordinatorCrash,
    /// Participants may crash and recover from their own log.
    #[serde(default)]
    pub participant_crash: bool,
    /// Messages may be lost.
    #[serde(default)]
    pub message_loss: bool,
    /// A participant that waits too long for the prepare request aborts on its own.
    #[serde(default)]
    pub participant_timeout: bool,
    /// A prepared participant may ask its peers for the outcome (cooperative termination).
    #[serde(default)]
    pub cooperative_termination: bool,
    /// Presumed abort: a coordinator without a logged decision answers "abort".
    #[serde(default)]
    pub presumed_abort: bool,
}

impl TwoPhaseFaults {
    pub(crate) fn is_none(&self) -> bool {
        *self == Self::default()
    }
}

/// How a coordinator may crash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoordinatorCrash {
    /// It never crashes.
    #[default]
    None,
    /// It may crash and never come back.
    Permanent,
    /// It may crash and recover; what it remembers is its durable decision log.
    RecoverWithLog,
    /// It may crash and recover with nothing remembered.
    RecoverWithoutLog,
}

/// Who drives a saga.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SagaStyle {
    /// A coordinator runs the steps and, on failure, the compensations.
    #[default]
    Orchestrated,
    /// Each step is triggered by the previous step's event; failure events trigger
    /// compensations.
    Choreographed,
}

/// One local transaction of a saga.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SagaStep {
    /// The service that runs the step.
    pub service: String,
    /// The step's endpoint on that service.
    pub action: String,
    /// The endpoint on that service that undoes the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<String>,
    /// The step may fail for a business reason (insufficient funds).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub can_fail: bool,
    /// A failed attempt is retried until it succeeds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retriable: bool,
    /// A duplicate request has no further effect.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub idempotent: bool,
    /// The go/no-go step: steps before it must be compensatable, steps after it retriable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pivot: bool,
    /// For choreography: the topic on which this step announces its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

/// Fault options for sagas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SagaFaults {
    /// The coordinator may crash and restart.
    #[serde(default)]
    pub coordinator_crash: bool,
    /// The coordinator keeps a durable saga log it resumes from after a crash.
    #[serde(default)]
    pub saga_log: bool,
    /// Messages may be delivered more than once (at-least-once messaging).
    #[serde(default)]
    pub duplicate_delivery: bool,
    /// Messages may be lost.
    #[serde(default)]
    pub message_loss: bool,
    /// Lost messages are redelivered.
    #[serde(default)]
    pub redelivery: bool,
    /// A compensation may fail.
    #[serde(default)]
    pub compensation_failure: bool,
    /// A failed compensation is retried.
    #[serde(default)]
    pub compensation_retry: bool,
    /// For choreography: how a step's database write and its event publication are tied.
    #[serde(default)]
    pub outbox: Outbox,
}

impl SagaFaults {
    /// Every fault on (crash, duplicates, loss, failing compensations), each with the recovery
    /// that a correct design pairs it with (a saga log, redelivery, compensation retry, a
    /// transactional outbox): the hardest setting a correct saga must hold under.
    pub fn all_with_recovery() -> SagaFaults {
        SagaFaults {
            coordinator_crash: true,
            saga_log: true,
            duplicate_delivery: true,
            message_loss: true,
            redelivery: true,
            compensation_failure: true,
            compensation_retry: true,
            outbox: Outbox::Transactional,
        }
    }

    pub(crate) fn is_none(&self) -> bool {
        *self == Self::default()
    }
}

/// How a service's database write and event publication are tied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outbox {
    /// Atomically (transactional outbox): a crash cannot separate them.
    #[default]
    Transactional,
    /// Two separate steps (dual write): a crash between them loses the event.
    DualWrite,
}
