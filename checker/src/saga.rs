//! Sagas, following Garcia-Molina and Salem, ["Sagas"] (SIGMOD 1987): a long-lived transaction
//! is a sequence of local transactions T1 … Tn, each committed on its own, and for each a
//! compensating transaction Ci that semantically undoes it; the system guarantees that either
//! T1 … Tn all run, or T1 … Tj, Cj … C1 do (the compensations in reverse order). The pivot rule
//! (compensatable steps, then one go/no-go pivot, then retriable steps) is Richardson's,
//! *Microservices Patterns* (2018), ch. 4, as are the two styles modelled here:
//!
//! - **orchestrated**: a coordinator (the saga execution coordinator of the paper) sends each
//!   step's request, waits for its reply, and on a failure sends the compensations of the
//!   committed steps, last first. A retriable step's failure is retried. A step without a
//!   compensation cannot be undone: the coordinator skips it, so the saga ends with it in place.
//! - **choreographed**: step 0 is triggered by the saga's start (the client's request, delivered
//!   once: it is not one of the saga's events); each step's success event
//!   triggers the next step; a failure event triggers the compensation of the nearest earlier
//!   compensatable step, whose "compensated" event triggers the one before it, down to step 0.
//!
//! Faults ([`microcosm_model::SagaFaults`]), each an explicit, documented nondeterminism:
//! - coordinator crash (`OrchCrash`, recovery `OrchRecover`). With a write-ahead saga log
//!   (`saga_log = "before_step"`, or `true`: each step and each compensation logged before its
//!   request is sent) the coordinator resumes where the log says and re-sends the request it
//!   was waiting for (it cannot know whether it was delivered: at-least-once, so a
//!   non-idempotent step may run twice); without one it has forgotten the saga, and committed
//!   steps stay committed. With a log written after each step (`"after_step"`: an entry once
//!   the step's reply has arrived) the log of a coordinator that crashed while waiting for
//!   step `i` ends at step `i - 1` (the saga's own record is written when it starts, so the
//!   coordinator knows of it even before any step's entry): it cannot tell whether `i` ran,
//!   and, as the seed design does with an interrupted saga, it rolls it back from what its log
//!   lists (the compensations of steps `i - 1` … `0`, last first). Step `i`, committed or
//!   still to be delivered, is never compensated: the saga ends aborted with it in place, and
//!   `saga.semantic-atomicity` is violated. While compensating, the log says the saga is
//!   rolling back and which compensations have replied, so a restarted coordinator re-sends
//!   the next one, as with a write-ahead log. Reading a reply and logging it are one action:
//!   a crash between them is the crash before the reply was read (a failure or a compensation
//!   read but not logged is found again by the same rollback or re-sent compensation).
//! - duplicate delivery (at-least-once messaging): a request or event may be delivered and stay
//!   in the channel, to be delivered again (`…{ again: true }`). A participant declared
//!   `idempotent` keeps a record per saga (Helland, "Idempotence Is Not a Medical Condition",
//!   2012): a duplicate gets the recorded outcome and no further effect; a compensation for a
//!   step it never ran is recorded as a cancellation (harmless), and the step is refused if its
//!   request arrives late. A non-idempotent participant applies every delivery.
//! - message loss (`NetLose`). With redelivery, an orchestrator whose request or reply was lost
//!   re-sends the request (`OrchResend`, its timeout), so a lost *reply* makes the step run
//!   again; in choreography the broker redelivers an unacknowledged event, which is a delay
//!   (already modelled) or, after a lost acknowledgement, a duplicate. Without redelivery a lost
//!   message is gone.
//! - compensation failure (`SvcCompensationFail`). With retry the failure is transient: the
//!   coordinator (or the broker) tries again. Without, the saga gives up partly compensated.
//! - choreography's database write and event publication: atomic with a transactional outbox
//!   (Richardson's *Transactional outbox* pattern), or two steps with a dual write, where a crash
//!   in between (`SvcCrash`) loses the event (Kleppmann, *Designing Data-Intensive
//!   Applications*, 2017, ch. 11, on dual writes).
//!
//! A step that `can_fail` fails for a business reason (declined payment) when not `retriable`:
//! an unfair choice, recorded by an idempotent participant. When `retriable`, its failures are
//! transient: faults, so finitely many in any fair run, and retried until it succeeds (in
//! choreography the consumer simply does not acknowledge, so nothing changes and the model
//! omits the step).
//!
//! Fairness for `saga.termination`: every delivery, reply, retry, recovery and publication is
//! weakly fair per instance; crashes, losses, duplicates and transient failures are faults
//! (never fair, finitely often); business failures and permanent compensation failures are
//! unfair choices. Effects are counted per step, saturating at 2 (a second application already
//! violates `saga.effect-once`).
//!
//! Reductions, each exact (the same verdicts; the argument is at its code):
//! - *channels as sets*: one bit per message; a duplicate is one that stays in the channel when
//!   delivered (`again`), so it can be delivered any number of times, and a further copy could
//!   only be delivered again (which the bit allows) or lost (which leaves the choices of never
//!   delivering it).
//! - *dead messages* (`drop_dead_messages`): a reply the coordinator no longer waits for, or a
//!   request an idempotent participant has a record of, is dropped.
//! - *projection* (any saga with a non-idempotent participant, where duplicates that stay in
//!   the channel multiply the state space about 16× per step): the effect counters and the
//!   order bit are history variables that nothing but the properties reads, so each property is
//!   checked on a projection that keeps only what it reads (`View`): effect-once and
//!   no-phantom one step's counters, semantic atomicity a pair of steps' (it fails iff some step
//!   can end in place and another not), compensation order one later step's and the bit,
//!   termination none. In an orchestration's projection, a duplicate that can only change
//!   erased observers is dropped too (`drop_unobserved_messages`; in choreography a lingering
//!   trigger still drives the next step, so nothing is dropped and the projection only erases
//!   counters). Safety counterexamples are rebuilt on
//!   the full model, step by step, as the first shortest path breadth-first search would
//!   report, so they are what checking the full model gives. A termination lasso is a fair
//!   lasso of the full model whose prefix reaches a doomed state by a shortest path, but the
//!   leftover duplicates a fair run must deliver are delivered where the run starts to loop, so
//!   they may come in another order than in the full model's lasso (in the tests: equally
//!   long); a cycle that bumped a counter would be unrolled until the counters settle, which
//!   would lengthen it (no orchestrated cycle without faults bumps one).
//!
//! Steps are ordered and named, so there is no symmetry to reduce.
//!
//! The code is in rooms: this file keeps the public face ([`SagaConfig`], [`verify_saga`]);
//! `model` the state, the actions and stateright's `Model` (with `model/orchestrated.rs` and
//! `model/choreographed.rs` for each style's transitions, `model/state.rs` for the bit
//! layout); `properties` the named properties; `reductions` the dead-message reduction and
//! checking by projection, with the counterexamples rebuilt on the full model.
//!
//! ["Sagas"]: https://dl.acm.org/doi/10.1145/38713.38742

use crate::catalogue::SAGA_PIVOT_RULE;
use crate::error::Error;
use crate::verdict::{CheckOptions, Verdict};
use crate::verify::{Protocol, verify};
use microcosm_model::{SagaFaults, SagaStep, SagaStyle};

mod fixes;
mod model;
mod properties;
mod reductions;

pub use model::{Action, Msg, Phase, SagaState, SagaSys};
pub use properties::pivot_rule;
use properties::pivot_rule_verdict;

/// The most steps a saga model holds (one 16-bit slot per step).
pub const MAX_STEPS: usize = 12;

/// A saga to check: its style, who coordinates, its steps and which faults to explore. The step
/// and fault types are the scenario's own.
#[derive(Clone, Debug, PartialEq)]
pub struct SagaConfig {
    /// Orchestrated or choreographed.
    pub style: SagaStyle,
    /// The orchestrator's name in traces (ignored for choreography).
    pub coordinator: String,
    /// The steps, in order, 1 to [`MAX_STEPS`].
    pub steps: Vec<SagaStep>,
    /// Faults to explore.
    pub faults: SagaFaults,
}

impl SagaConfig {
    /// An orchestrated saga with `n` steps `s0.t0`, `s1.t1`, … each compensatable (`c0`, …), no
    /// flags, no faults, coordinated by `orchestrator`.
    pub fn orchestrated(n: usize) -> Self {
        Self {
            style: SagaStyle::Orchestrated,
            coordinator: "orchestrator".to_owned(),
            steps: (0..n)
                .map(|i| SagaStep {
                    service: format!("s{i}"),
                    action: format!("t{i}"),
                    compensation: Some(format!("c{i}")),
                    can_fail: false,
                    retriable: false,
                    idempotent: false,
                    pivot: false,
                    topic: None,
                })
                .collect(),
            faults: SagaFaults::default(),
        }
    }

    /// The same saga, choreographed.
    pub fn choreographed(mut self) -> Self {
        self.style = SagaStyle::Choreographed;
        self
    }

    /// The same saga with these faults.
    pub fn faults(mut self, faults: SagaFaults) -> Self {
        self.faults = faults;
        self
    }

    /// The same saga with step `i` changed by `f`.
    pub fn step(mut self, i: usize, f: impl FnOnce(&mut SagaStep)) -> Self {
        f(&mut self.steps[i]);
        self
    }
}

/// Checks saga `cfg` for `properties` (all of `saga.*` when empty): the dynamic ones on the
/// model, `saga.pivot-rule` statically. `name` is the transaction's name in reports.
pub fn verify_saga(
    name: &str,
    cfg: &SagaConfig,
    properties: &[&str],
    opts: &CheckOptions,
) -> Result<Vec<Verdict>, Error> {
    let model = SagaSys::new(cfg.clone())?;
    let all = properties.is_empty();
    let wants_pivot = all || properties.contains(&SAGA_PIVOT_RULE);
    let dynamic: Vec<&str> = properties
        .iter()
        .copied()
        .filter(|p| *p != SAGA_PIVOT_RULE)
        .collect();
    let mut verdicts = if all || !dynamic.is_empty() {
        if model.by_projection() {
            model.verify_by_projection(name, &dynamic, opts)?
        } else {
            verify(name, &model, &dynamic, opts)?
        }
    } else {
        Vec::new()
    };
    if wants_pivot {
        verdicts.push(pivot_rule_verdict(name, cfg, opts));
    }
    for v in verdicts.iter_mut().filter(|v| v.status.is_violated()) {
        v.fix = fixes::hint(cfg, v.property);
    }
    let order: Vec<&str> = if all {
        crate::catalogue::for_protocol(SagaSys::PROTOCOL)
            .map(|p| p.id)
            .collect()
    } else {
        properties.to_vec()
    };
    verdicts.sort_by_key(|v| order.iter().position(|id| *id == v.property));
    Ok(verdicts)
}

#[cfg(test)]
mod tests;
