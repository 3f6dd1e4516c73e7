//! Security-policy analysis against the mesh policy (`[network.security]`): calls the policy
//! would deny (the architecture cannot work as declared), allow rules no call uses (least
//! privilege), plain-text traffic where mutual TLS is strict, and which data stores each public
//! entry point can reach through synchronous calls and the events they publish.
//!
//! Calls are checked per declared call site, so a denied call is reported where it is written.
//! Events travel through the broker, not the mesh, so they are not subject to the allow list;
//! they do carry reachability, since a consumer acts on what a public request published.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Finding, Severity, rules};
use crate::edge::EdgePattern;
use crate::scenario::{CallStep, MtlsMode, PolicyDefault, Scenario};
use crate::source::Pointer;

/// Security findings for `scenario`.
pub fn analyze(scenario: &Scenario) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(policy) = &scenario.network.security {
        let security = Pointer::root().key("network").key("security");
        let rules_parsed: Vec<Option<EdgePattern>> = policy
            .allow
            .iter()
            .map(|r| EdgePattern::parse(r).ok())
            .collect();
        let allowed = |caller: &str, callee: &str| {
            rules_parsed
                .iter()
                .flatten()
                .any(|p| p.matches(caller, callee))
        };
        if policy.default == PolicyDefault::Deny {
            for (service, endpoint, ep) in scenario.endpoints() {
                for (i, step) in ep.calls.iter().enumerate() {
                    let parallel = matches!(step, CallStep::Parallel(_));
                    for (j, call) in step.calls().iter().enumerate() {
                        let Some((callee, _)) = call.endpoint.split_once('.') else {
                            continue;
                        };
                        // A service calling itself does not cross the mesh between
                        // workloads.
                        if callee == service || allowed(service, callee) {
                            continue;
                        }
                        let mut path = Pointer::root()
                            .key("services")
                            .key(service)
                            .key("endpoints")
                            .key(endpoint)
                            .key("calls")
                            .index(i);
                        if parallel {
                            path = path.index(j);
                        }
                        out.push(
                            Finding::new(
                                rules::DENIED_CALL,
                                Severity::Error,
                                path,
                                format!(
                                    "`{service}.{endpoint}` calls `{}`, but the mesh policy denies `{service} -> {callee}` (default deny, no allow rule matches)",
                                    call.endpoint
                                ),
                            )
                            .at_value()
                            .with_help(format!(
                                "add \"{service} -> {callee}\" to `network.security.allow`, or remove the call"
                            )),
                        );
                    }
                }
            }
        }
        let edges = scenario.call_edges();
        for (i, rule) in policy.allow.iter().enumerate() {
            let Some(pattern) = &rules_parsed[i] else {
                continue;
            };
            if !edges.iter().any(|(a, b)| pattern.matches(a, b)) {
                out.push(
                    Finding::new(
                        rules::UNUSED_ALLOW,
                        Severity::Warning,
                        security.key("allow").index(i),
                        format!("allow rule `{rule}` matches no declared call"),
                    )
                    .at_value()
                    .with_help("remove it: least privilege grants only what is used"),
                );
            }
        }
        if policy.mtls == MtlsMode::Strict {
            for (i, service) in policy.plaintext.iter().enumerate() {
                let traffic: Vec<String> = edges
                    .iter()
                    .filter(|(a, b)| a == service || b == service)
                    .map(|(a, b)| format!("{a} -> {b}"))
                    .collect();
                if traffic.is_empty() {
                    continue;
                }
                out.push(
                    Finding::new(
                        rules::PLAINTEXT,
                        Severity::Warning,
                        security.key("plaintext").index(i),
                        format!(
                            "mTLS is strict, but `{service}` is exempt: {} call edge{} travel in plain text: {}",
                            traffic.len(),
                            if traffic.len() == 1 { "" } else { "s" },
                            traffic.join(", ")
                        ),
                    )
                    .at_value()
                    .with_help("give the service a sidecar (or native mTLS) and remove the exemption"),
                );
            }
        }
    }
    out.extend(data_reachability(scenario));
    out
}

/// The data stores each public endpoint can reach.
fn data_reachability(scenario: &Scenario) -> Vec<Finding> {
    if scenario.data_stores.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (service, endpoint, ep) in scenario.endpoints() {
        if !ep.public {
            continue;
        }
        let reached = reachable_services(scenario, service, endpoint);
        let mut stores: BTreeMap<&str, bool> = BTreeMap::new();
        for s in &reached {
            if let Some(svc) = scenario.services.get(s.as_str()) {
                for (store, access) in &svc.data {
                    *stores.entry(store.as_str()).or_default() |= access.writes();
                }
            }
        }
        if stores.is_empty() {
            continue;
        }
        let writes: Vec<&str> = stores
            .iter()
            .filter(|(_, w)| **w)
            .map(|(s, _)| *s)
            .collect();
        let reads: Vec<&str> = stores
            .iter()
            .filter(|(_, w)| !**w)
            .map(|(s, _)| *s)
            .collect();
        let mut parts = Vec::new();
        if !writes.is_empty() {
            parts.push(format!("writes {}", writes.join(", ")));
        }
        if !reads.is_empty() {
            parts.push(format!("reads {}", reads.join(", ")));
        }
        out.push(Finding::new(
            rules::DATA_REACHABILITY,
            Severity::Info,
            Pointer::root()
                .key("services")
                .key(service)
                .key("endpoints")
                .key(endpoint),
            format!(
                "public endpoint `{service}.{endpoint}` reaches {} data store{} through {} service{}: {}",
                stores.len(),
                if stores.len() == 1 { "" } else { "s" },
                reached.len(),
                if reached.len() == 1 { "" } else { "s" },
                parts.join("; ")
            ),
        ));
    }
    out
}

/// The services a request to `service.endpoint` can reach, following synchronous calls and the
/// handlers of the topics the endpoints reached publish.
fn reachable_services(scenario: &Scenario, service: &str, endpoint: &str) -> BTreeSet<String> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut queue = VecDeque::from([(service.to_owned(), endpoint.to_owned())]);
    while let Some((s, e)) = queue.pop_front() {
        if !seen.insert((s.clone(), e.clone())) {
            continue;
        }
        let Some(ep) = scenario
            .services
            .get(&s)
            .and_then(|svc| svc.endpoints.get(&e))
        else {
            continue;
        };
        for call in ep.calls.iter().flat_map(CallStep::calls) {
            if let Some((cs, ce)) = call.endpoint.split_once('.') {
                queue.push_back((cs.to_owned(), ce.to_owned()));
            }
        }
        for topic in &ep.publishes {
            for (consumer, svc) in &scenario.services {
                if let Some(spec) = svc.consumes.get(topic) {
                    queue.push_back((consumer.clone(), spec.handler.clone()));
                }
            }
        }
    }
    seen.into_iter().map(|(s, _)| s).collect()
}
