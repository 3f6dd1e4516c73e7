//! P: deployment (replicas, zones, rollout) and the cluster's capacity (the rules in
//! `validate/deployment.rs`).

use super::*;

/// `BASE` with `b` deployed on 2 replicas with `body` added.
fn rolling(body: &str) -> String {
    format!("{BASE}\n[deployment.b]\nreplicas = 2\n{body}\n")
}

/// `BASE` with `b` rolled out as a canary with `strategy` (the rest of its inline table).
fn canary(strategy: &str) -> String {
    format!("{BASE}\n[deployment.b]\nstrategy = {{ kind = \"canary\", {strategy} }}\n")
}

/// `BASE` with a canary of `b` whose analysis allows an error rate of 1.5.
fn canary_threshold() -> String {
    format!(
        "{BASE}\n[deployment.b]\nstrategy = {{ kind = \"canary\", weights = [0.1, 1], max_error_rate = 1.5 }}\n"
    )
}

/// `BASE` with zone `z1` declared and the capacity of cluster zone `zone`.
fn cluster(zone: &str, nodes: u32, cpu: u32, memory: u32) -> String {
    format!(
        "{BASE}\n[network]\nzones = [\"z1\"]\n[cluster.zones.{zone}]\nnodes = {nodes}\nnode_cpu_millis = {cpu}\nnode_memory_mib = {memory}\n"
    )
}

const CASES: &[Case] = &[
    Case {
        name: "zones_must_be_declared_before_use",
        text: || format!("{BASE}\n[deployment.b]\nzones = [\"z\"]\n"),
        code: codes::UNRESOLVED,
        message: "no zone `z`",
        at: "\"z\"",
        help: Help::Contains("[network]"),
        ..CASE
    },
    Case {
        name: "zero_replicas",
        text: || format!("{BASE}\n[deployment.b]\nreplicas = 0\n"),
        code: codes::OUT_OF_RANGE,
        message: "`replicas` must be at least 1",
        at: "replicas = |0",
        help: Help::Is("write a whole number from 1 to 10000"),
        ..CASE
    },
    Case {
        name: "negative_replicas_give_the_keys_range_not_the_types",
        text: || format!("{BASE}\n[deployment.b]\nreplicas = -1\n"),
        code: codes::OUT_OF_RANGE,
        message: "`-1` is out of range: the least allowed is 1",
        at: "replicas = |-1",
        help: Help::Is("write a whole number from 1 to 10000"),
        ..CASE
    },
    Case {
        name: "a_negative_queue_capacity_gives_the_keys_range",
        text: || format!("{BASE}\n[deployment.b]\nqueue_capacity = -5\n"),
        code: codes::OUT_OF_RANGE,
        message: "`-5` is out of range: this value cannot be negative",
        at: "queue_capacity = |-5",
        help: Help::Is("write a whole number from 0 to 1000000"),
        ..CASE
    },
    Case {
        name: "zero_workers",
        text: || format!("{BASE}\n[deployment.b]\nworkers = 0\n"),
        code: codes::OUT_OF_RANGE,
        message: "`workers` must be at least 1",
        at: "workers = |0",
        ..CASE
    },
    Case {
        name: "duplicate_zone_in_a_deployment",
        text: || {
            format!(
                "{BASE}\n[network]\nzones = [\"z1\", \"z2\"]\n[deployment.b]\nzones = [\"z1\", \"z1\"]\n"
            )
        },
        code: codes::DUPLICATE,
        message: "zone `z1` is listed twice",
        at: "\"z1\"",
        nth: 2,
        ..CASE
    },
    Case {
        name: "same_zone_locality_needs_zones",
        text: || format!("{BASE}\n[deployment.b]\nlocality = \"prefer_same_zone\"\n"),
        code: codes::INCONSISTENT,
        message: "`b` prefers same-zone replicas but places none in a zone",
        at: "\"prefer_same_zone\"",
        ..CASE
    },
    Case {
        name: "rolling_update_settings: max_unavailable 0",
        text: || rolling("strategy = { kind = \"rolling\", max_unavailable = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_unavailable` must be at least 1",
        at: "max_unavailable = |0",
        ..CASE
    },
    Case {
        name: "rolling_update_settings: max_unavailable above replicas",
        text: || rolling("strategy = { kind = \"rolling\", max_unavailable = 3 }"),
        code: codes::OUT_OF_RANGE,
        message: "`max_unavailable` (3) exceeds `replicas` (2)",
        at: "max_unavailable = |3",
        ..CASE
    },
    Case {
        name: "rolling_update_settings: restart_s",
        text: || rolling("strategy = { kind = \"rolling\", restart_s = 0 }"),
        code: codes::OUT_OF_RANGE,
        message: "`restart_s` must be positive, not 0",
        at: "restart_s = |0",
        ..CASE
    },
    Case {
        name: "blue_green_restart_is_positive",
        text: || {
            format!(
                "{BASE}\n[deployment.b]\nstrategy = {{ kind = \"blue_green\", restart_s = -1 }}\n"
            )
        },
        code: codes::OUT_OF_RANGE,
        message: "`restart_s` must be positive, not -1",
        at: "-1",
        ..CASE
    },
    Case {
        name: "canary_settings: no weights",
        text: || canary("weights = []"),
        code: codes::MISSING_FIELD,
        message: "a canary needs at least one weight",
        at: "[]",
        ..CASE
    },
    Case {
        name: "canary_settings: step_s",
        text: || canary("weights = [1], step_s = 0"),
        code: codes::OUT_OF_RANGE,
        message: "`step_s` must be positive, not 0",
        at: "step_s = |0",
        ..CASE
    },
    // A last weight above 1 is one mistake, not also "the last weight is not 1".
    Case {
        name: "canary_settings: a last weight above 1",
        text: || canary("weights = [0.5, 150]"),
        code: codes::OUT_OF_RANGE,
        message: "canary weight 150 does not rise within (0, 1]",
        at: "150",
        ..CASE
    },
    Case {
        name: "canary_settings: weights written as percents",
        text: || canary("weights = [0.5, 10, 50, 100]"),
        code: codes::OUT_OF_RANGE,
        message: "canary weight 10 is more than all the traffic: weights are fractions from 0 to 1",
        at: "10,",
        help: Help::Is("write weights = [0.005, 0.1, 0.5, 1] (the percents as fractions)"),
        ..CASE
    },
    Case {
        name: "a_canary_analysis_threshold_is_a_probability",
        text: canary_threshold,
        code: codes::OUT_OF_RANGE,
        message: "max_error_rate",
        at: "1.5",
        ..CASE
    },
    Case {
        name: "cluster_capacity_per_declared_zone: zone",
        text: || cluster("z2", 3, 4000, 8192),
        code: codes::UNRESOLVED,
        message: "no zone `z2`",
        at: "[cluster.zones.|z2]",
        ..CASE
    },
    Case {
        name: "cluster_capacity_per_declared_zone: nodes",
        text: || cluster("z1", 0, 4000, 8192),
        code: codes::OUT_OF_RANGE,
        message: "`nodes` must be at least 1",
        at: "nodes = |0",
        ..CASE
    },
    Case {
        name: "cluster_capacity_per_declared_zone: node_cpu_millis",
        text: || cluster("z1", 3, 0, 8192),
        code: codes::OUT_OF_RANGE,
        message: "`node_cpu_millis` must be at least 1",
        at: "node_cpu_millis = |0",
        ..CASE
    },
    Case {
        name: "cluster_capacity_per_declared_zone: node_memory_mib",
        text: || cluster("z1", 3, 4000, 0),
        code: codes::OUT_OF_RANGE,
        message: "`node_memory_mib` must be at least 1",
        at: "node_memory_mib = |0",
        ..CASE
    },
    // A maximum at the key (`crate::limits`).
    Case {
        name: "replicas_past_the_simulators_bound",
        text: || format!("{BASE}\n[deployment.b]\nreplicas = 4294967295\n"),
        code: codes::OUT_OF_RANGE,
        message: "`replicas` is 4294967295, above its maximum of 10000",
        at: "replicas = |4294967295",
        ..CASE
    },
];

const VALID: &[Valid] = &[
    ("rolling_update_settings", || {
        rolling("strategy = { kind = \"rolling\", max_unavailable = 2, restart_s = 5 }")
    }),
    ("canary_settings", || {
        canary("weights = [0.05, 0.25, 1], step_s = 30")
    }),
    ("a_canary_analysis_threshold_is_a_probability", || {
        canary_threshold().replace("1.5", "0.05")
    }),
    ("cluster_capacity_per_declared_zone", || {
        cluster("z1", 3, 4000, 8192)
    }),
];

#[test]
fn deployment_rules() {
    run(CASES, VALID);
}

#[test]
fn unresolved_deployment_service_and_zone() {
    let text = format!(
        "{BASE}\n[network]\nzones = [\"z1\"]\n[deployment.q]\n[deployment.b]\nzones = [\"z2\"]\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(&d[0], &text, codes::UNRESOLVED, "no service `q`", "q]", 0);
    assert_located(&d[1], &text, codes::UNRESOLVED, "no zone `z2`", "\"z2\"", 0);
}

#[test]
fn canary_weights_must_rise_to_one() {
    let text = format!(
        "{BASE}\n[deployment.b]\nreplicas = 2\nstrategy = {{ kind = \"canary\", weights = [0.1, 0.05, 0.5] }}\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::OUT_OF_RANGE,
        "canary weight 0.05 does not rise",
        "0.05,",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::OUT_OF_RANGE,
        "the last canary weight is not 1",
        "0.5]",
        0,
    );
}
