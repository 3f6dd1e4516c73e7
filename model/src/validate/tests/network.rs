//! N: the network: latency, loss, zones, links and the mesh's security policy (the rules in
//! `validate/network.rs`).

use super::*;

/// `BASE` with a `[network.links."KEY"]` table of `body`.
fn link(key: &str, body: &str) -> String {
    format!("{BASE}\n[network.links.\"{key}\"]\n{body}\n")
}

/// `BASE` with a `[network.security]` table of `body`.
fn security(body: &str) -> String {
    format!("{BASE}\n[network.security]\n{body}\n")
}

const CASES: &[Case] = &[
    Case {
        name: "probability_outside_zero_one_suggests_a_fraction_for_percentages",
        text: || format!("{BASE}\n[network]\nloss = 5\n"),
        code: codes::OUT_OF_RANGE,
        message: "`loss` is 5, outside [0, 1]",
        at: "loss = |5",
        help: Help::Is("give a fraction: 0.05 rather than 5 (percent)"),
        ..CASE
    },
    Case {
        name: "network_latencies_are_checked_distributions: latency",
        text: || {
            format!("{BASE}\n[network]\nlatency = {{ dist = \"exponential\", mean_ms = 0 }}\n")
        },
        code: codes::OUT_OF_RANGE,
        message: "`mean_ms` must be positive, not 0",
        at: "mean_ms = |0",
        ..CASE
    },
    Case {
        name: "network_latencies_are_checked_distributions: cross_zone_latency",
        text: || {
            format!("{BASE}\n[network]\ncross_zone_latency = {{ dist = \"constant\", ms = -2 }}\n")
        },
        code: codes::OUT_OF_RANGE,
        message: "`ms` must be zero or more, not -2",
        at: "-2",
        ..CASE
    },
    Case {
        name: "network_zones_are_valid_names_listed_once: listed twice",
        text: || format!("{BASE}\n[network]\nzones = [\"z1\", \"z1\"]\n"),
        code: codes::DUPLICATE,
        message: "zone `z1` is listed twice",
        at: "\"z1\"",
        nth: 1,
        ..CASE
    },
    Case {
        name: "network_zones_are_valid_names_listed_once: invalid name",
        text: || format!("{BASE}\n[network]\nzones = [\"z 1\"]\n"),
        code: codes::INVALID_NAME,
        message: "`z 1` is not a valid zone name",
        at: "\"z 1\"",
        help: Help::Contains("letters"),
        ..CASE
    },
    Case {
        name: "link_keys_are_edges_between_services: unresolved service",
        text: || link("a -> zz", "loss = 0.1"),
        code: codes::UNRESOLVED,
        message: "no service `zz`",
        at: "\"a -> zz\"",
        ..CASE
    },
    Case {
        name: "link_keys_are_edges_between_services: glob matching nothing",
        text: || link("a -> q*", "loss = 0.1"),
        code: codes::UNRESOLVED,
        message: "`q*` matches no service",
        at: "\"a -> q*\"",
        ..CASE
    },
    Case {
        name: "link_keys_are_edges_between_services: not an edge",
        text: || link("a b", "loss = 0.1"),
        code: codes::INCONSISTENT,
        message: "`a b` is not a call edge",
        at: "\"a b\"",
        ..CASE
    },
    Case {
        name: "link_overrides_are_checked: loss",
        text: || link("a -> b", "loss = 2"),
        code: codes::OUT_OF_RANGE,
        message: "`loss` is 2, outside [0, 1]",
        at: "loss = |2",
        ..CASE
    },
    Case {
        name: "link_overrides_are_checked: latency",
        text: || link("a -> b", "latency = { dist = \"constant\", ms = -1 }"),
        code: codes::OUT_OF_RANGE,
        message: "`ms` must be zero or more, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "security_rules_name_real_services: glob matching nothing",
        text: || security("allow = [\"a -> b\", \"a -> q*\"]"),
        code: codes::UNRESOLVED,
        message: "`q*` matches no service",
        at: "\"a -> q*\"",
        ..CASE
    },
    Case {
        name: "security_rules_name_real_services: not an edge",
        text: || security("allow = [\"a b\"]"),
        code: codes::INCONSISTENT,
        message: "`a b` is not a call edge",
        at: "\"a b\"",
        ..CASE
    },
    Case {
        name: "security_rules_name_real_services: plaintext",
        text: || security("plaintext = [\"bb\"]"),
        code: codes::UNRESOLVED,
        message: "no service `bb`",
        at: "\"bb\"",
        help: Help::Is("did you mean `b`?"),
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("link_keys_are_edges_between_services", || {
        link("a -> *", "loss = 0.1")
    }),
    ("security_rules_name_real_services", || {
        security("default = \"deny\"\nallow = [\"a -> *\"]\nplaintext = [\"b\"]")
    }),
];

#[test]
fn network_rules() {
    run(CASES, VALID);
}
