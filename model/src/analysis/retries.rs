//! Retry-amplification findings: for each entry endpoint, the worst factor by which retries
//! multiply the attempts reaching a service when that service is down, from the call graph and
//! the policies alone ([`crate::resilience::amplification`]), with the added backoff latency.
//! Over the bound — the smallest `max_retry_amplification` of the experiments that load the
//! entry, else [`AnalysisOptions::max_amplification`](super::AnalysisOptions) — it is a warning;
//! otherwise a figure worth knowing.

use super::{Finding, Severity, rules, services::entry_endpoints};
use crate::diagnostic::{count, number};
use crate::resilience::amplification::entry_amplification;
use crate::scenario::Scenario;
use crate::source::Pointer;

/// The findings, one per entry endpoint whose requests retries can amplify.
pub fn analyze(scenario: &Scenario, default_bound: f64) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, endpoint) in entry_endpoints(scenario) {
        let entry = format!("{service}.{endpoint}");
        let amp = entry_amplification(scenario, &entry);
        let Some((worst, factor)) = &amp.worst else {
            continue;
        };
        if *factor <= 1.0 {
            continue;
        }
        let declared = scenario
            .experiments
            .iter()
            .filter(|(_, e)| {
                e.load
                    .iter()
                    .any(|l| l.endpoint.as_deref() == Some(&entry) || l.mix.contains_key(&entry))
            })
            .filter_map(|(name, e)| e.expect.max_retry_amplification.map(|b| (b, name)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let (bound, from) = match declared {
            Some((b, name)) => (b, format!("experiment `{name}`'s max_retry_amplification")),
            None => (default_bound, "the default bound".to_owned()),
        };
        let over = *factor > bound;
        let message = format!(
            "when {worst} is down, retries multiply the attempts one request to {entry} makes \
             there by {}× ({} per request; {from} is {bound}×); backoff adds up to {} ms",
            number(*factor),
            count(amp.attempts.get(worst).copied().unwrap_or(0.0), "attempt"),
            number(amp.added_backoff_ms)
        );
        let at = Pointer::root()
            .key("services")
            .key(&service)
            .key("endpoints")
            .key(&endpoint);
        let finding = Finding::new(
            rules::RETRY_AMPLIFICATION,
            if over {
                Severity::Warning
            } else {
                Severity::Info
            },
            at,
            message,
        );
        out.push(if over {
            finding.with_help(
                "retry at one layer only (usually the caller nearest the failure), give the \
                 retries a budget, or let a circuit breaker stop them",
            )
        } else {
            finding
        });
    }
    out
}
