//! Distributed transactions to model-check. Owns the rules on `[transactions]`: valid names;
//! two-phase commit's coordinator and participants (real services, at least one, at most the 2PC
//! model holds, none also the coordinator, none twice, `participants_may_vote_no` only under
//! sequential prepare); a saga's coordinator (needed when orchestrated, absent when choreographed),
//! its saga log (an orchestrator's), its steps (at least one, at most the saga model holds, real
//! endpoints and topics, at most one pivot).
//!
//! Calls the helpers in `rules.rs` and `topic` in `services.rs`. The bounds come from
//! [`crate::limits`], which the checker's models share. Which fault options mean nothing for the
//! protocol is `meaning.rs`'s. Separate because these rules follow the checker's models, not the
//! seven-tuple.

use super::{Validator, root};
use crate::diagnostic::codes;
use crate::limits;
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    fn service_endpoint(&mut self, at: Pointer, service: &str, endpoint: &str) {
        if self.s.services.contains_key(service) {
            self.endpoint_ref(at, &format!("{service}.{endpoint}"));
        }
    }

    pub(super) fn transactions(&mut self) {
        for (name, tx) in &self.s.transactions {
            let at = root().key("transactions").key(name);
            self.name(at.clone(), "transaction", name);
            match tx {
                Transaction::TwoPhaseCommit {
                    coordinator,
                    participants,
                    prepare,
                    participants_may_vote_no,
                    ..
                } => {
                    // TwoPhase lets any participant vote no at any time: under parallel prepare
                    // the key could only be ignored, and `false` would promise what the model
                    // does not check.
                    if *prepare == Prepare::Parallel && participants_may_vote_no.is_some() {
                        self.push_help(
                            codes::INCONSISTENT,
                            at.key("participants_may_vote_no"),
                            Target::Key,
                            "`participants_may_vote_no` applies only to sequential prepare; \
                             under parallel prepare (TwoPhase) any participant may vote no"
                                .to_owned(),
                            "remove it, or set prepare = \"sequential\" (or \
                             \"sequential_abort_prepared\")",
                        );
                    }
                    self.service(at.key("coordinator"), Target::Value, coordinator);
                    if participants.is_empty() {
                        self.push(
                            codes::MISSING_FIELD,
                            at.key("participants"),
                            Target::Value,
                            "two-phase commit needs at least one participant".to_owned(),
                        );
                    }
                    if participants.len() > limits::MAX_TWO_PHASE_PARTICIPANTS {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            at.key("participants"),
                            Target::Value,
                            format!(
                                "two-phase commit `{name}` has {} participants; the 2PC model holds at most {}",
                                participants.len(),
                                limits::MAX_TWO_PHASE_PARTICIPANTS
                            ),
                            format!(
                                "list at most {} participants: model the commit of a subset, or group services that prepare together",
                                limits::MAX_TWO_PHASE_PARTICIPANTS
                            ),
                        );
                    }
                    for (i, p) in participants.iter().enumerate() {
                        self.service(at.key("participants").index(i), Target::Value, p);
                        // The checker models the coordinator and each participant as separate
                        // parties: one service in both roles would be two processes at once.
                        if p == coordinator {
                            self.push_help(
                                codes::INCONSISTENT,
                                at.key("participants").index(i),
                                Target::Value,
                                format!("`{p}` is the coordinator and also a participant"),
                                "a coordinator that also holds data prepares and commits locally: list only the other services as participants",
                            );
                        }
                    }
                    self.duplicates(&at.key("participants"), "participant", participants);
                }
                Transaction::Saga {
                    style,
                    coordinator,
                    steps,
                    faults,
                    ..
                } => {
                    // A saga log is the orchestrator's; a choreography has none to keep.
                    if *style == SagaStyle::Choreographed && faults.saga_log.is_kept() {
                        self.push_help(
                            codes::INCONSISTENT,
                            at.key("faults").key("saga_log"),
                            Target::Value,
                            "a choreographed saga has no coordinator to keep a saga log".to_owned(),
                            "remove `saga_log`, or use style = \"orchestrated\" with a coordinator",
                        );
                    }
                    match (style, coordinator) {
                        (SagaStyle::Orchestrated, None) => self.push_help(
                            codes::MISSING_FIELD,
                            at.clone(),
                            Target::Key,
                            format!("orchestrated saga `{name}` names no coordinator"),
                            "add coordinator = \"SERVICE\", or style = \"choreographed\"",
                        ),
                        (SagaStyle::Choreographed, Some(_)) => self.push_help(
                            codes::INCONSISTENT,
                            at.key("coordinator"),
                            Target::Key,
                            "a choreographed saga has no coordinator".to_owned(),
                            "remove `coordinator`, or use style = \"orchestrated\"",
                        ),
                        (_, Some(c)) => {
                            self.service(at.key("coordinator"), Target::Value, c);
                        }
                        _ => {}
                    }
                    if steps.is_empty() {
                        self.push(
                            codes::MISSING_FIELD,
                            at.key("steps"),
                            Target::Value,
                            "a saga needs at least one step".to_owned(),
                        );
                    }
                    if steps.len() > limits::MAX_SAGA_STEPS {
                        self.push_help(
                            codes::OUT_OF_RANGE,
                            at.key("steps"),
                            Target::Value,
                            format!(
                                "saga `{name}` has {} steps; the saga model holds at most {}",
                                steps.len(),
                                limits::MAX_SAGA_STEPS
                            ),
                            format!(
                                "give at most {} steps: merge steps of one service, or split the saga",
                                limits::MAX_SAGA_STEPS
                            ),
                        );
                    }
                    let mut pivot_seen = false;
                    for (i, step) in steps.iter().enumerate() {
                        let s_at = at.key("steps").index(i);
                        if self.service(s_at.key("service"), Target::Value, &step.service) {
                            self.service_endpoint(s_at.key("action"), &step.service, &step.action);
                            if let Some(c) = &step.compensation {
                                self.service_endpoint(s_at.key("compensation"), &step.service, c);
                            }
                        }
                        if let Some(t) = &step.topic {
                            self.topic(s_at.key("topic"), Target::Value, t);
                        }
                        if step.pivot {
                            if pivot_seen {
                                self.push(
                                    codes::INCONSISTENT,
                                    s_at.key("pivot"),
                                    Target::Value,
                                    "a saga has at most one pivot step".to_owned(),
                                );
                            }
                            pivot_seen = true;
                        }
                    }
                }
            }
        }
    }
}
