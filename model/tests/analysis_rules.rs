//! Every analysis rule, triggered by a minimal scenario and absent from its fixed version, with
//! the finding located in the file where the user would fix it.

use std::path::Path;

use microcosm_model::analysis::{AnalysisOptions, Finding, Severity, analyze, rules};
use microcosm_model::{Format, load_str};

fn analysed_with(text: &str, options: &AnalysisOptions) -> Vec<Finding> {
    let loaded = load_str(text, Path::new("test.toml"), Format::Toml, Path::new("."))
        .unwrap_or_else(|e| panic!("the scenario must be valid: {e}"));
    let mut analysis = analyze(&loaded.scenario, options);
    analysis.locate(&loaded);
    analysis.findings
}

fn analysed(text: &str) -> Vec<Finding> {
    analysed_with(text, &AnalysisOptions::default())
}

/// The findings of `rule` at `severity`.
fn of<'a>(findings: &'a [Finding], rule: &str, severity: Severity) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.rule == rule && f.severity == severity)
        .collect()
}

/// Asserts exactly one finding of `rule` at `severity`, located on the text `at` of the
/// scenario `text` (the key or value the user would edit), and returns it.
fn one<'a>(
    findings: &'a [Finding],
    rule: &str,
    severity: Severity,
    text: &str,
    at: &str,
) -> &'a Finding {
    let found = of(findings, rule, severity);
    assert_eq!(found.len(), 1, "{rule}: {findings:#?}");
    let span = found[0].location.as_ref().unwrap().span.clone();
    assert_eq!(&text[span], at, "{:#?}", found[0]);
    found[0]
}

fn none(findings: &[Finding], rule: &str) {
    let found: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
    assert!(found.is_empty(), "{rule}: {found:#?}");
}

/// A monolith of two tight pairs, {a, b} and {c, d}, bridged by b–c.
const MONOLITH: &str = r#"
[monolith]
calls = [
  { from = "a", to = "b", weight = 10 },
  { from = "c", to = "d", weight = 10 },
  { from = "b", to = "c", weight = 1 },
]
[monolith.functions]
a = {}
b = {}
c = {}
d = {}
"#;

fn with_services(services: &str) -> String {
    format!("name = \"t\"\n{services}\n{MONOLITH}")
}

#[test]
fn coverage_names_the_function_no_service_implements() {
    let text = with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\"]\n",
    );
    let broken = analysed(&text);
    let f = one(&broken, rules::COVERAGE, Severity::Error, &text, "d");
    assert!(f.message.contains("`d`"), "{}", f.message);
    let fixed = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    ));
    none(&fixed, rules::COVERAGE);
    assert!(
        fixed.iter().all(|f| f.severity != Severity::Error),
        "{fixed:#?}"
    );
}

#[test]
fn unknown_functions_are_pointed_at_in_the_service() {
    let text = with_services(
        "[services.x]\nfunctions = [\"a\", \"b\", \"zz\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    );
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::UNKNOWN_FUNCTION,
        Severity::Error,
        &text,
        "\"zz\"",
    );
    assert_eq!(f.location.as_ref().unwrap().line, 3);
    let fixed = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    ));
    none(&fixed, rules::UNKNOWN_FUNCTION);
}

#[test]
fn disjointness_names_the_function_in_two_services() {
    let text = with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"b\", \"c\", \"d\"]\n",
    );
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::DISJOINTNESS,
        Severity::Error,
        &text,
        "\"b\"",
    );
    assert_eq!(f.location.as_ref().unwrap().line, 5);
    assert!(
        f.message.contains("`b`") && f.message.contains("x, y"),
        "{}",
        f.message
    );
    let fixed = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    ));
    none(&fixed, rules::DISJOINTNESS);
}

#[test]
fn a_service_less_cohesive_than_coupled_breaks_the_theorem() {
    // x = {a, c}: no edge inside, cohesion 0 / 1 = 0. y = {b, d}: none either. Cross edges
    // a–b 10, c–d 10, b–c 1: W = 21, coupling 21 / 4 > 0, broken both ways.
    let broken = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"c\"]\n[services.y]\nfunctions = [\"b\", \"d\"]\n",
    ));
    let found = of(&broken, rules::COHESION, Severity::Error);
    assert_eq!(found.len(), 2, "{broken:#?}");
    assert!(
        found[0].message.contains("a – b (10)"),
        "{}",
        found[0].message
    );
    let fixed = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    ));
    none(&fixed, rules::COHESION);
}

#[test]
fn a_service_of_unconnected_functions_is_flagged() {
    // {a, b, d}: a–b inside, d tied to nothing else inside: two groups.
    let text = with_services(
        "[services.x]\nfunctions = [\"a\", \"b\", \"d\"]\n[services.y]\nfunctions = [\"c\"]\n",
    );
    let broken = analysed(&text);
    one(
        &broken,
        rules::DISCONNECTED_SERVICE,
        Severity::Warning,
        &text,
        "functions",
    );
    let fixed = analysed(&with_services(
        "[services.x]\nfunctions = [\"a\", \"b\"]\n[services.y]\nfunctions = [\"c\", \"d\"]\n",
    ));
    none(&fixed, rules::DISCONNECTED_SERVICE);
}

/// Two services calling each other through different endpoints: no endpoint cycle (which
/// validation rejects), but a service cycle.
fn cycle(back_call: bool) -> String {
    let back = if back_call {
        "calls = [\"a.pong\"]"
    } else {
        ""
    };
    format!(
        r#"name = "t"
[services.a.endpoints.ping]
public = true
calls = ["b.work"]
[services.a.endpoints.pong]
[services.b.endpoints.work]
{back}
"#
    )
}

#[test]
fn services_calling_each_other_synchronously_are_a_cycle() {
    let text = cycle(true);
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::SYNC_CYCLE,
        Severity::Error,
        &text,
        "\"b.work\"",
    );
    assert!(f.message.contains("a → b → a"), "{}", f.message);
    none(&analysed(&cycle(false)), rules::SYNC_CYCLE);
}

fn stores(second_access: &str) -> String {
    format!(
        r#"name = "t"
[data_stores.db]
kind = "postgres"
owner = "a"
[services.a]
data = {{ db = "read-write" }}
[services.b]
data = {{ db = "{second_access}" }}
"#
    )
}

#[test]
fn a_store_written_by_two_services_is_shared_database_coupling() {
    let text = stores("write");
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::SHARED_DATABASE,
        Severity::Warning,
        &text,
        "db",
    );
    assert!(f.message.contains("a, b"), "{}", f.message);
    none(&analysed(&stores("read")), rules::SHARED_DATABASE);
}

const CHAIN: &str = r#"name = "t"
[services.a.endpoints.x]
public = true
calls = ["b.y"]
[services.b.endpoints.y]
calls = ["c.z"]
[services.c.endpoints.z]
calls = ["d.w"]
[services.d.endpoints.w]
"#;

#[test]
fn a_chain_longer_than_the_limit_is_a_warning() {
    let options = AnalysisOptions {
        max_chain: 2,
        ..AnalysisOptions::default()
    };
    let broken = analysed_with(CHAIN, &options);
    let f = one(&broken, rules::LONGEST_CHAIN, Severity::Warning, CHAIN, "x");
    assert!(
        f.message.contains("3 calls, a.x → b.y → c.z → d.w"),
        "{}",
        f.message
    );
    let fixed = analysed(CHAIN);
    one(&fixed, rules::LONGEST_CHAIN, Severity::Info, CHAIN, "x");
    assert!(of(&fixed, rules::LONGEST_CHAIN, Severity::Warning).is_empty());
}

fn dependency(replicas: u32, fallback: bool) -> String {
    let policy = if fallback {
        "[policies.\"a -> b\"]\nfallback = { description = \"cached answer\" }\n"
    } else {
        ""
    };
    format!(
        r#"name = "t"
[network]
zones = ["z1", "z2"]
[services.a.endpoints.x]
public = true
calls = ["b.y"]
[services.b.endpoints.y]
[deployment.a]
replicas = 2
zones = ["z1", "z2"]
[deployment.b]
replicas = {replicas}
zones = ["z1"]
{policy}"#
    )
}

#[test]
fn a_single_replica_on_an_unprotected_path_is_a_single_point_of_failure() {
    let text = dependency(1, false);
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::SINGLE_POINT_OF_FAILURE,
        Severity::Warning,
        &text,
        "b",
    );
    assert!(f.message.contains("runs one replica") && f.message.contains("a.x"));
    // Two replicas, but both in z1 of two zones: still one.
    let text = dependency(2, false);
    let zone = analysed(&text);
    let f = one(
        &zone,
        rules::SINGLE_POINT_OF_FAILURE,
        Severity::Warning,
        &text,
        "b",
    );
    assert!(f.message.contains("zone `z1`"), "{}", f.message);
    // A fallback on the only path covers it.
    none(
        &analysed(&dependency(1, true)),
        rules::SINGLE_POINT_OF_FAILURE,
    );
}

#[test]
fn the_blast_radius_lists_the_entry_endpoints_that_fail() {
    let broken = analysed(&dependency(2, false));
    let radius = of(&broken, rules::BLAST_RADIUS, Severity::Info);
    assert_eq!(radius.len(), 2, "{broken:#?}");
    let b = radius.iter().find(|f| f.message.contains("`b`")).unwrap();
    assert!(
        b.message.contains("1 of 1 entry endpoint fails: a.x"),
        "{}",
        b.message
    );
    // With a fallback, b's outage fails nothing; a's own outage still fails a.x.
    let fixed = analysed(&dependency(2, true));
    let radius = of(&fixed, rules::BLAST_RADIUS, Severity::Info);
    assert_eq!(radius.len(), 1);
    assert!(radius[0].message.contains("`a`"));
}

fn topic(consumer_fields: &str, published: bool) -> String {
    let publishes = if published {
        "publishes = [\"paid\"]"
    } else {
        ""
    };
    format!(
        r#"name = "t"
[topics.paid]
schema = {{ order_id = "string", amount = "decimal" }}
[services.a.endpoints.pay]
public = true
{publishes}
[services.b]
consumes.paid = {{ handler = "on-paid", fields = {consumer_fields} }}
[services.b.endpoints.on-paid]
"#
    )
}

#[test]
fn a_consumer_reading_fields_the_schema_lacks_is_a_mismatch() {
    let text = topic(
        "{ order_id = \"int\", amount = \"decimal\", coupon = \"string\" }",
        true,
    );
    let broken = analysed(&text);
    // At the first offending field, in name order.
    let f = one(
        &broken,
        rules::TOPIC_SCHEMA,
        Severity::Error,
        &text,
        "coupon",
    );
    assert!(
        f.message.contains("`coupon` is not in the schema")
            && f.message
                .contains("`order_id` is read as int but written as string"),
        "{}",
        f.message
    );
    let fixed = analysed(&topic(
        "{ order_id = \"string\", amount = \"decimal\" }",
        true,
    ));
    none(&fixed, rules::TOPIC_SCHEMA);
}

#[test]
fn a_consumed_topic_nobody_publishes_has_no_producer() {
    let text = topic("{ order_id = \"string\" }", false);
    let broken = analysed(&text);
    one(
        &broken,
        rules::TOPIC_NO_PRODUCER,
        Severity::Warning,
        &text,
        "paid",
    );
    none(
        &analysed(&topic("{ order_id = \"string\" }", true)),
        rules::TOPIC_NO_PRODUCER,
    );
}

fn mesh(security: &str) -> String {
    format!(
        r#"name = "t"
[services.a.endpoints.x]
public = true
calls = ["b.y"]
[services.b.endpoints.y]
[services.c.endpoints.z]
[network.security]
{security}
"#
    )
}

#[test]
fn a_call_the_mesh_denies_is_an_error_at_the_call() {
    let text = mesh("default = \"deny\"\nallow = [\"a -> c\"]");
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::DENIED_CALL,
        Severity::Error,
        &text,
        "\"b.y\"",
    );
    assert!(f.message.contains("a -> b"), "{}", f.message);
    none(
        &analysed(&mesh("default = \"deny\"\nallow = [\"a -> b\"]")),
        rules::DENIED_CALL,
    );
    none(&analysed(&mesh("default = \"allow\"")), rules::DENIED_CALL);
}

#[test]
fn an_allow_rule_no_call_uses_is_unused() {
    let text = mesh("default = \"deny\"\nallow = [\"a -> b\", \"a -> c\"]");
    let broken = analysed(&text);
    let f = one(
        &broken,
        rules::UNUSED_ALLOW,
        Severity::Warning,
        &text,
        "\"a -> c\"",
    );
    assert!(f.message.contains("a -> c"));
    none(
        &analysed(&mesh("default = \"deny\"\nallow = [\"a -> b\"]")),
        rules::UNUSED_ALLOW,
    );
}

#[test]
fn plaintext_traffic_under_strict_mtls_is_flagged() {
    let text = mesh("mtls = \"strict\"\nplaintext = [\"b\", \"c\"]");
    let broken = analysed(&text);
    // c is exempt too but has no traffic: only b is reported.
    let f = one(&broken, rules::PLAINTEXT, Severity::Warning, &text, "\"b\"");
    assert!(
        f.message.contains("`b`") && f.message.contains("a -> b"),
        "{}",
        f.message
    );
    none(
        &analysed(&mesh("mtls = \"permissive\"\nplaintext = [\"b\"]")),
        rules::PLAINTEXT,
    );
    none(&analysed(&mesh("mtls = \"strict\"")), rules::PLAINTEXT);
}

fn reach(with_data: bool) -> String {
    let data = if with_data {
        "[services.b]\ndata = { db = \"read-write\" }\n[data_stores.db]\nkind = \"postgres\"\n"
    } else {
        "[data_stores.db]\nkind = \"postgres\"\n"
    };
    format!(
        r#"name = "t"
[services.a.endpoints.x]
public = true
calls = ["b.y"]
[services.b.endpoints.y]
{data}"#
    )
}

#[test]
fn public_endpoints_list_the_data_stores_they_reach() {
    let text = reach(true);
    let found = analysed(&text);
    let f = one(&found, rules::DATA_REACHABILITY, Severity::Info, &text, "x");
    assert!(f.message.contains("writes db"), "{}", f.message);
    none(&analysed(&reach(false)), rules::DATA_REACHABILITY);
}

fn capacity(node_cpu: u32, b_zones: &str) -> String {
    format!(
        r#"name = "t"
[network]
zones = ["z1", "z2"]
[services.a]
resources = {{ cpu_millis = 600, memory_mib = 100 }}
[services.b]
resources = {{ cpu_millis = 100, memory_mib = 100 }}
[deployment.a]
replicas = 4
zones = ["z1", "z2"]
[deployment.b]
replicas = 2
zones = {b_zones}
[cluster.zones.z1]
nodes = 2
node_cpu_millis = {node_cpu}
node_memory_mib = 1000
[cluster.zones.z2]
nodes = 2
node_cpu_millis = {node_cpu}
node_memory_mib = 1000
"#
    )
}

#[test]
fn replicas_that_cannot_fit_a_zone_overcommit_it() {
    // z1 holds a ×2 and b ×2 (with b only in z1): 1,400 m on 2 × 500 m = 1,000 m.
    let text = capacity(500, "[\"z1\"]");
    let broken = analysed(&text);
    let errors = of(&broken, rules::ZONE_OVERCOMMIT, Severity::Error);
    // z2 holds a ×2, 1,200 m on 1,000 m: short too.
    assert_eq!(errors.len(), 2, "{broken:#?}");
    let span = errors[0].location.as_ref().unwrap().span.clone();
    assert_eq!(&text[span], "z1");
    assert!(
        errors[0].message.contains("cannot fit"),
        "{}",
        errors[0].message
    );
    // With b in both zones, each zone holds a ×2 + b: 1,300 m on 2 × 650 m. The totals fit,
    // but each 600 m replica leaves 50 m on its node, not the 100 m b needs: first-fit
    // decreasing cannot place it, and that is a warning, not an error.
    let fragmented = analysed(&capacity(650, "[\"z1\", \"z2\"]"));
    let f = of(&fragmented, rules::ZONE_OVERCOMMIT, Severity::Warning);
    assert_eq!(f.len(), 2, "{fragmented:#?}");
    assert!(f[0].message.contains("may not fit"), "{}", f[0].message);
    let fixed = analysed(&capacity(2000, "[\"z1\", \"z2\"]"));
    assert_eq!(of(&fixed, rules::ZONE_OVERCOMMIT, Severity::Info).len(), 2);
    assert!(
        fixed.iter().all(|f| f.severity == Severity::Info),
        "{fixed:#?}"
    );
}

#[test]
fn losing_the_only_zone_of_a_service_takes_it_down() {
    let text = capacity(2000, "[\"z1\"]");
    let broken = analysed(&text);
    let f = one(&broken, rules::ZONE_LOSS, Severity::Warning, &text, "z1");
    assert!(f.message.contains("goes down: b"), "{}", f.message);
    // Spread over both zones, losing either leaves everything running: information only.
    let fixed = analysed(&capacity(2000, "[\"z1\", \"z2\"]"));
    assert!(of(&fixed, rules::ZONE_LOSS, Severity::Warning).is_empty());
    assert_eq!(of(&fixed, rules::ZONE_LOSS, Severity::Info).len(), 2);
    // Surviving zones too small for the rescheduled replicas: a warning naming them.
    let tight = analysed(&capacity(800, "[\"z1\", \"z2\"]"));
    let f = of(&tight, rules::ZONE_LOSS, Severity::Warning);
    assert_eq!(f.len(), 2, "{tight:#?}");
    assert!(
        f[0].message.contains("no room is left for"),
        "{}",
        f[0].message
    );
}

#[test]
fn every_rule_is_in_the_catalogue_once() {
    let mut ids: Vec<&str> = rules::ALL.iter().map(|(id, _)| *id).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert_eq!(n, 19);
}

/// Three layers of 3 attempts in front of d: 27× when d is down.
const RETRY_LAYERS: &str = r#"
name = "layers"
[services.a.endpoints.x]
public = true
calls = ["b.x"]
[services.b.endpoints.x]
calls = ["c.x"]
[services.c.endpoints.x]
calls = ["d.x"]
[services.d.endpoints.x]
[policies."* -> *"]
retry = { max_attempts = 3, wait_ms = 10 }
"#;

#[test]
fn retries_at_three_layers_are_a_warning_and_two_are_a_figure() {
    let findings = analysed(RETRY_LAYERS);
    let f = one(
        &findings,
        rules::RETRY_AMPLIFICATION,
        Severity::Warning,
        RETRY_LAYERS,
        "x",
    );
    assert!(
        f.message.contains("when d is down")
            && f.message.contains("by 27×")
            && f.message.contains("default bound is 10×")
            && f.message.contains("backoff adds up to 260 ms"),
        "{}",
        f.message
    );
    assert!(f.help.is_some());
    // Only the edge nearest the failure retries: 3×, within the bound.
    let fixed = RETRY_LAYERS.replace("[policies.\"* -> *\"]", "[policies.\"c -> d\"]");
    let findings = analysed(&fixed);
    let f = one(
        &findings,
        rules::RETRY_AMPLIFICATION,
        Severity::Info,
        &fixed,
        "x",
    );
    assert!(f.message.contains("by 3×"), "{}", f.message);
    // No retries at all: nothing to say.
    let none_at_all = RETRY_LAYERS.replace("retry = { max_attempts = 3, wait_ms = 10 }", "");
    none(&analysed(&none_at_all), rules::RETRY_AMPLIFICATION);
}

#[test]
fn an_experiment_bound_replaces_the_default_one() {
    let fixed = RETRY_LAYERS.replace("[policies.\"* -> *\"]", "[policies.\"c -> d\"]");
    let bounded = format!(
        "{fixed}[experiments.e]\nduration_s = 10\nload = [{{ endpoint = \"a.x\", rate_per_s = 1 }}]\nexpect = {{ max_retry_amplification = 2.0 }}\n"
    );
    let findings = analysed(&bounded);
    let f = one(
        &findings,
        rules::RETRY_AMPLIFICATION,
        Severity::Warning,
        &bounded,
        "x",
    );
    assert!(
        f.message
            .contains("experiment `e`'s max_retry_amplification is 2×"),
        "{}",
        f.message
    );
}

#[test]
fn fan_in_fan_out_and_instability_count_distinct_services() {
    // gw calls a twice (two endpoints) and b; a calls b; b publishes to c. Calls to oneself
    // and repeated edges count once; events count separately from synchronous calls.
    let text = r#"name = "t"
[topics.done]
schema = { id = "string" }
[services.gw.endpoints.x]
public = true
calls = ["a.one", "b.go"]
[services.gw.endpoints.y]
public = true
calls = ["a.two", "gw.z"]
[services.gw.endpoints.z]
[services.a.endpoints.one]
calls = ["b.go"]
[services.a.endpoints.two]
[services.b.endpoints.go]
publishes = ["done"]
[services.c]
consumes.done = { handler = "on-done", fields = { id = "string" } }
[services.c.endpoints.on-done]
"#;
    let loaded = load_str(text, Path::new("t.toml"), Format::Toml, Path::new("."))
        .unwrap_or_else(|e| panic!("valid: {e}"));
    let analysis = analyze(&loaded.scenario, &AnalysisOptions::default());
    let profile = |name: &str| {
        analysis
            .services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no profile for {name}"))
    };
    let figures = |name: &str| {
        let p = profile(name);
        (p.fan_in, p.fan_out, p.async_in, p.async_out, p.instability)
    };
    // Martin's I = Ce / (Ca + Ce).
    assert_eq!(figures("gw"), (0, 2, 0, 0, Some(1.0)));
    assert_eq!(figures("a"), (1, 1, 0, 0, Some(0.5)));
    assert_eq!(figures("b"), (2, 0, 0, 1, Some(0.0)));
    // No synchronous coupling at all: instability is undefined, not 0 or 1.
    assert_eq!(figures("c"), (0, 0, 1, 0, None));
}
