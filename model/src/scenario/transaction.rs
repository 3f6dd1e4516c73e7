//! Distributed transactions for the model checker: two-phase commit and sagas, with the design
//! choices (how a coordinator prepares, when a saga coordinator logs) and the fault options the
//! checker explores.

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

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
        /// How the coordinator collects the votes: all at once (the textbook protocol, the
        /// default), or one participant at a time in the order listed.
        #[serde(default, skip_serializing_if = "Prepare::is_parallel")]
        prepare: Prepare,
        /// Sequential prepare only: whether a participant asked to prepare may refuse (vote no).
        /// Off by default: then only a failure (a crash, a lost reply) ends the prepare phase
        /// early. Parallel prepare follows TwoPhase, where any participant may always vote no,
        /// so the key is refused there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        participants_may_vote_no: Option<bool>,
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

/// How a two-phase commit coordinator collects the votes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prepare {
    /// Every participant prepares independently and the coordinator commits once it holds every
    /// vote (Gray and Lamport's TwoPhase).
    #[default]
    Parallel,
    /// The coordinator asks one participant at a time, in the order listed, and returns at the
    /// first refused or failed prepare without telling anyone: the participants already
    /// prepared are left in doubt.
    Sequential,
    /// As `sequential`, but before returning the coordinator sends abort to every participant
    /// it asked (the fix of the early return).
    SequentialAbortPrepared,
}

impl Prepare {
    pub(crate) fn is_parallel(&self) -> bool {
        *self == Prepare::Parallel
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
    /// Whether and when the coordinator writes a durable saga log: `false` (none), `true` or
    /// `"before_step"` (each step logged before its request is sent), or `"after_step"` (each
    /// step logged once it has replied).
    #[serde(default)]
    pub saga_log: SagaLog,
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
            saga_log: SagaLog::BeforeStep,
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

/// When an orchestrated saga's coordinator writes its durable log. Written `false`, `true`,
/// `"before_step"` or `"after_step"`; `true` is `"before_step"` (what a saga log meant before
/// the choice existed), and is written back as `"before_step"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SagaLog {
    /// No log: a coordinator that restarts has forgotten the saga.
    #[default]
    None,
    /// Write-ahead: the coordinator logs each step (and each compensation) before it sends the
    /// request, so a restarted coordinator knows which request was in flight and re-sends it.
    BeforeStep,
    /// The coordinator logs each step only once its reply has arrived. A crash between a step's
    /// commit and its log entry leaves a log that ends one step early: the restarted coordinator
    /// rolls back what its log lists and never compensates the step it does not know ran.
    AfterStep,
}

impl SagaLog {
    /// Whether a log is kept at all.
    pub fn is_kept(self) -> bool {
        self != SagaLog::None
    }
}

impl From<bool> for SagaLog {
    fn from(kept: bool) -> Self {
        if kept {
            SagaLog::BeforeStep
        } else {
            SagaLog::None
        }
    }
}

/// When the orchestrator writes its durable saga log: `false` (no log), `true` or
/// `"before_step"` (write-ahead), or `"after_step"`.
// The forms `saga_log` may take in a scenario, for the JSON Schema only.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code, reason = "only its JSON Schema is used")]
enum SagaLogSchema {
    /// `false`: no log; `true`: the same as `"before_step"`.
    Kept(bool),
    /// When each step is logged.
    When(SagaLogWhen),
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code, reason = "only its JSON Schema is used")]
enum SagaLogWhen {
    /// Before the step's request is sent (write-ahead).
    BeforeStep,
    /// After the step's reply has arrived.
    AfterStep,
}

impl JsonSchema for SagaLog {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SagaLog".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        SagaLogSchema::json_schema(generator)
    }
}

impl Serialize for SagaLog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SagaLog::None => serializer.serialize_bool(false),
            SagaLog::BeforeStep => serializer.serialize_str("before_step"),
            SagaLog::AfterStep => serializer.serialize_str("after_step"),
        }
    }
}

impl<'de> Deserialize<'de> for SagaLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SagaLogVisitor;
        impl Visitor<'_> for SagaLogVisitor {
            type Value = SagaLog;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"false, true, "before_step" or "after_step""#)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SagaLog, E> {
                Ok(SagaLog::from(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SagaLog, E> {
                match v {
                    "before_step" => Ok(SagaLog::BeforeStep),
                    "after_step" => Ok(SagaLog::AfterStep),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(SagaLogVisitor)
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
