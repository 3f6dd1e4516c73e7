//! Options that mean nothing where they are written. A fault the protocol's model never
//! injects, a recovery for a fault that cannot happen, or a breaker setting the chosen
//! engine ignores would be silently ignored by the engines, and the file would read as
//! if it were checked: each is an error at its key, saying what it applies to.
//!
//! What is meaningful follows the engines: `checker::two_phase_commit` and `checker::saga` (which
//! action each fault option enables), `checker::circuit_breaker` (an implementation variant is
//! a breaker's) and `resilience::retry` (the multiplier only grows exponential waits).

use super::{Validator, root};
use crate::diagnostic::codes;
use crate::scenario::*;
use crate::source::{Pointer, Target};

impl Validator<'_> {
    /// Reports every option that means nothing in its context.
    pub(super) fn options_that_mean_nothing(&mut self) {
        for (name, tx) in &self.s.transactions {
            let at = root().key("transactions").key(name);
            match tx {
                Transaction::TwoPhaseCommit {
                    faults, prepare, ..
                } => self.two_phase_faults(&at, *prepare, faults),
                Transaction::Saga {
                    style,
                    steps,
                    faults,
                    ..
                } => self.saga_options(&at, *style, steps, faults),
            }
        }
        for (key, policy) in &self.s.policies {
            self.policy_options(&root().key("policies").key(key), policy);
        }
        for (name, experiment) in &self.s.experiments {
            self.expectations(&root().key("experiments").key(name), experiment);
        }
    }

    /// An expectation on an endpoint that no load of the experiment reaches would be judged on
    /// no requests at all, and pass whatever the architecture does.
    fn expectations(&mut self, at: &Pointer, e: &Experiment) {
        let reached = self.s.reached_by(e);
        let e_at = at.key("expect");
        for (i, slo) in e.expect.slos.iter().flatten().enumerate() {
            if let Some(endpoint) = self.s.slos.get(slo).map(|s| &s.endpoint)
                && self.s.endpoint(endpoint).is_some()
                && !reached.contains(endpoint.as_str())
            {
                self.push_help(
                    codes::INCONSISTENT,
                    e_at.key("slos").index(i),
                    Target::Value,
                    format!(
                        "SLO `{slo}` watches `{endpoint}`, which no load of this experiment reaches"
                    ),
                    "it would be judged on no requests: load an endpoint that calls it, or expect another SLO",
                );
            }
        }
        for alert in e.expect.alerts_within_s.keys() {
            if let Some(endpoint) = self.s.alerts.get(alert).map(|a| &a.endpoint)
                && self.s.endpoint(endpoint).is_some()
                && !reached.contains(endpoint.as_str())
            {
                self.meaningless(
                    e_at.key("alerts_within_s").key(alert),
                    format!(
                        "alert `{alert}` watches `{endpoint}`, which no load of this experiment reaches"
                    ),
                    "it would watch no requests: load an endpoint that calls it, or expect another alert",
                );
            }
        }
    }

    fn meaningless(&mut self, at: Pointer, message: String, help: impl Into<String>) {
        self.push_help(codes::INCONSISTENT, at, Target::Key, message, help);
    }

    fn two_phase_faults(&mut self, at: &Pointer, prepare: Prepare, f: &TwoPhaseFaults) {
        let f_at = at.key("faults");
        let recovers = matches!(
            f.coordinator_crash,
            CoordinatorCrash::RecoverWithLog | CoordinatorCrash::RecoverWithoutLog
        );
        // Presumed abort is what a recovering coordinator without a logged decision answers.
        if f.presumed_abort && !recovers {
            self.meaningless(
                f_at.key("presumed_abort"),
                "`presumed_abort` applies to a coordinator that recovers, and this one never does"
                    .to_owned(),
                "add coordinator_crash = \"recover_with_log\" (or \"recover_without_log\"), or remove `presumed_abort`",
            );
        }
        // A participant times out waiting for a coordinator that is down, or (sequential
        // prepare) one that returned early and will never ask or decide.
        if f.participant_timeout
            && f.coordinator_crash == CoordinatorCrash::None
            && prepare == Prepare::Parallel
        {
            self.meaningless(
                f_at.key("participant_timeout"),
                "`participant_timeout` applies while the coordinator is down, and with parallel prepare it never is"
                    .to_owned(),
                "add coordinator_crash = \"permanent\" (or a recovering mode), or remove `participant_timeout`",
            );
        }
    }

    fn saga_options(&mut self, at: &Pointer, style: SagaStyle, steps: &[SagaStep], f: &SagaFaults) {
        let f_at = at.key("faults");
        match style {
            SagaStyle::Choreographed => {
                if f.coordinator_crash {
                    self.meaningless(
                        f_at.key("coordinator_crash"),
                        "a choreographed saga has no coordinator to crash".to_owned(),
                        "remove `coordinator_crash`, or use style = \"orchestrated\"; a choreographed step's crash is `outbox = \"dual_write\"`",
                    );
                }
            }
            SagaStyle::Orchestrated => {
                if f.outbox == Outbox::DualWrite {
                    self.meaningless(
                        f_at.key("outbox"),
                        "`outbox` applies to choreography, where steps publish events; an orchestrated saga's steps reply to the coordinator".to_owned(),
                        "remove `outbox`, or use style = \"choreographed\"",
                    );
                }
                for (i, step) in steps.iter().enumerate() {
                    if step.topic.is_some() {
                        self.meaningless(
                            at.key("steps").index(i).key("topic"),
                            "a step's `topic` applies to choreography; an orchestrated step replies to the coordinator".to_owned(),
                            "remove `topic`, or use style = \"choreographed\"",
                        );
                    }
                }
            }
        }
        if f.redelivery && !f.message_loss {
            self.meaningless(
                f_at.key("redelivery"),
                "`redelivery` redelivers lost messages, and none are lost".to_owned(),
                "add message_loss = true, or remove `redelivery`",
            );
        }
        if f.compensation_retry && !f.compensation_failure {
            self.meaningless(
                f_at.key("compensation_retry"),
                "`compensation_retry` retries failed compensations, and none fail".to_owned(),
                "add compensation_failure = true, or remove `compensation_retry`",
            );
        }
    }

    fn policy_options(&mut self, at: &Pointer, p: &Policy) {
        let implementation = p.implementation;
        let needs_breaker = implementation != PolicyImplementation::Resilience4j;
        if needs_breaker && p.circuit_breaker.is_none() {
            self.meaningless(
                at.key("implementation"),
                format!(
                    "`implementation = \"{}\"` is a circuit breaker's, and this policy has none",
                    implementation_name(implementation)
                ),
                "add a circuit_breaker, or remove `implementation`",
            );
        }
        if implementation == PolicyImplementation::BreakerWrapsRetry && p.retry.is_none() {
            self.meaningless(
                at.key("implementation"),
                "`breaker_wraps_retry` composes a breaker with a retry, and this policy has no retry"
                    .to_owned(),
                "add a retry, or remove `implementation`",
            );
        }
        if let Some(r) = &p.retry {
            let r_at = at.key("retry");
            if r.backoff == Backoff::Fixed && r.multiplier != RetryConfig::default().multiplier {
                self.meaningless(
                    r_at.key("multiplier"),
                    "`multiplier` grows exponential waits, and the backoff is fixed".to_owned(),
                    "add backoff = \"exponential\", or remove `multiplier`",
                );
            }
            if r.retry_on.contains(&RetryOn::BreakerOpen) && p.circuit_breaker.is_none() {
                let i = r
                    .retry_on
                    .iter()
                    .position(|o| *o == RetryOn::BreakerOpen)
                    .unwrap_or(0);
                self.push_help(
                    codes::INCONSISTENT,
                    r_at.key("retry_on").index(i),
                    Target::Value,
                    "`breaker_open` retries calls a circuit breaker rejects, and this policy has none"
                        .to_owned(),
                    "add a circuit_breaker, or remove \"breaker_open\"",
                );
            }
            if r.max_attempts == 1 && r.budget.is_some() {
                self.meaningless(
                    r_at.key("budget"),
                    "a retry budget limits retries, and `max_attempts = 1` makes none".to_owned(),
                    "allow retries with max_attempts = 2 or more, or remove `budget`",
                );
            }
        }
        if let Some(cb) = &p.circuit_breaker
            && let Some(timeout) = p.timeout_ms
            && timeout <= cb.slow_call_duration_ms
        {
            // A call is slow when it outlasts the slow-call duration, which no call can when
            // the timeout ends it first: the slow-call settings the user wrote do nothing.
            let defaults = CircuitBreakerConfig::default();
            let c_at = at.key("circuit_breaker");
            for (key, written) in [
                (
                    "slow_call_rate_threshold",
                    cb.slow_call_rate_threshold != defaults.slow_call_rate_threshold,
                ),
                (
                    "slow_call_duration_ms",
                    cb.slow_call_duration_ms != defaults.slow_call_duration_ms,
                ),
            ] {
                if written {
                    self.meaningless(
                        c_at.key(key),
                        format!(
                            "`{key}` counts calls slower than {} ms, and `timeout_ms = {timeout}` ends every call before that",
                            cb.slow_call_duration_ms
                        ),
                        "make `slow_call_duration_ms` shorter than `timeout_ms`, or remove the slow-call settings",
                    );
                }
            }
        }
        // A known-buggy implementation's breaker settings stay meaningful: they are the
        // intended behaviour its properties are checked against (`unlimited_half_open` is
        // caught admitting more than `permitted_number_of_calls_in_half_open_state`).
    }
}

fn implementation_name(i: PolicyImplementation) -> &'static str {
    match i {
        PolicyImplementation::Resilience4j => "resilience4j",
        PolicyImplementation::NoHalfOpen => "no_half_open",
        PolicyImplementation::UnlimitedHalfOpen => "unlimited_half_open",
        PolicyImplementation::CountsRejections => "counts_rejections",
        PolicyImplementation::BreakerWrapsRetry => "breaker_wraps_retry",
        PolicyImplementation::FirstSuccessCloses => "first_success_closes",
    }
}
