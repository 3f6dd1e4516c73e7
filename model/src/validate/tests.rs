//! One test per validation rule: each builds a minimal scenario that breaks the rule and asserts
//! the diagnostic's code, message and the line and column it points at. Grouped by the part of
//! the seven-tuple (or of the file) the rule checks, in the order `validate` runs them.

use std::path::Path;

use crate::diagnostic::codes;
use crate::source::{Format, line_column};
use crate::{Diagnostic, load_str};

/// A small valid scenario the tests break one rule at a time.
const BASE: &str = r#"name = "t"

[services.a]
functions = ["fa"]
data = { db = "read-write" }

[services.a.endpoints.x]
public = true
calls = ["b.y"]

[services.b]
[services.b.endpoints.y]
work = { dist = "constant", ms = 1 }

[data_stores.db]
kind = "postgres"
owner = "a"

[slos.s]
endpoint = "a.x"
availability = 0.99

[experiments.e]
duration_s = 100
load = [{ endpoint = "a.x", rate_per_s = 10 }]
"#;

/// The load line of `BASE`'s experiment `e`.
const LOAD: &str = r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#;

/// The work line of `BASE`'s endpoint `b.y`.
const WORK: &str = r#"work = { dist = "constant", ms = 1 }"#;

/// The calls line of `BASE`'s endpoint `a.x`.
const CALLS: &str = r#"calls = ["b.y"]"#;

fn load(text: &str) -> Result<crate::LoadedScenario, Vec<Diagnostic>> {
    load_str(text, Path::new("t.toml"), Format::Toml, Path::new(".")).map_err(|e| e.diagnostics)
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match load(text) {
        Ok(_) => panic!("expected errors, the scenario loaded:\n{text}"),
        Err(d) => d,
    }
}

#[track_caller]
fn assert_valid(text: &str) {
    if let Err(d) = load(text) {
        panic!(
            "expected no diagnostic, got:\n{}\nin:\n{text}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// `BASE` with experiment `e`'s load replaced by `load`.
fn with_load(load: &str) -> String {
    BASE.replace(LOAD, load)
}

/// `BASE` with experiment `e` loading `a.x` through the one generator `generator` (the inside
/// of its inline table).
fn with_generator(generator: &str) -> String {
    with_load(&format!("load = [{{ {generator} }}]"))
}

/// `BASE` with `lines` added to experiment `e`.
fn with_experiment(lines: &str) -> String {
    with_load(&format!("{LOAD}\n{lines}"))
}

/// `BASE` with experiment `e` running the one fault `fault` (the inside of its inline table).
fn with_fault(fault: &str) -> String {
    with_experiment(&format!("faults = [{{ {fault} }}]"))
}

/// `BASE` with a policy on its one call edge, `a -> b`.
fn with_policy(body: &str) -> String {
    format!("{BASE}\n[policies.\"a -> b\"]\n{body}\n")
}

/// `BASE` with endpoint `b.y` working as `work`.
fn with_work(work: &str) -> String {
    BASE.replace(WORK, work)
}

/// `BASE` with endpoint `a.x` calling as `calls`.
fn with_calls(calls: &str) -> String {
    BASE.replace(CALLS, calls)
}

/// Asserts that loading `text` gives exactly one error, with `code`, a message containing
/// `message`, located at the `nth` (0-based) occurrence of `at` in the text; where `at` holds a
/// `|`, at the character after it (`"loss = |5"` points at the `5`).
#[track_caller]
fn assert_one(text: &str, code: &str, message: &str, at: &str, nth: usize) {
    let diagnostics = errors(text);
    assert_eq!(
        diagnostics.len(),
        1,
        "expected one diagnostic, got:\n{}",
        diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_located(&diagnostics[0], text, code, message, at, nth);
}

/// As [`assert_one`], and the help is `help`.
#[track_caller]
fn assert_one_help(text: &str, code: &str, message: &str, at: &str, help: &str) {
    assert_one(text, code, message, at, 0);
    assert_eq!(errors(text)[0].help.as_deref(), Some(help));
}

#[track_caller]
fn assert_located(d: &Diagnostic, text: &str, code: &str, message: &str, at: &str, nth: usize) {
    assert_eq!(d.code, code, "{d}");
    assert!(
        d.message.contains(message),
        "message {:?} lacks {message:?}",
        d.message
    );
    let (before, after) = at.split_once('|').unwrap_or(("", at));
    let needle = format!("{before}{after}");
    let offset = text
        .match_indices(&needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} not in the text"))
        .0
        + before.len();
    let (line, column) = line_column(text, offset);
    let location = d.location.as_ref().expect("located");
    assert_eq!(
        (location.line, location.column),
        (line, column),
        "{d} should point at `{at}`"
    );
}

#[test]
fn the_base_scenario_is_valid() {
    let loaded = load(BASE).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(loaded.scenario.services.len(), 2);
}

// ── The top level: the scenario's name, and that it declares an architecture ──────────────────

#[test]
fn an_empty_scenario_name() {
    let text = BASE.replace(r#"name = "t""#, r#"name = " ""#);
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "the scenario's `name` is empty",
        r#"name = |" ""#,
        0,
    );
}

#[test]
fn a_scenario_with_no_services_and_no_monolith() {
    let text = "name = \"t\"\n";
    assert_one(
        text,
        codes::MISSING_FIELD,
        "declares no services and no monolith",
        "name",
        0,
    );
    assert_valid("name = \"t\"\n[monolith.functions]\nf = {}\n");
}

// ── S: services, their functions, data, resources, endpoints and calls ─────────────────────────

#[test]
fn invalid_service_name() {
    let text = format!("{BASE}\n[services.\"b c\"]\n");
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`b c` is not a valid service name",
        "\"b c\"",
        0,
    );
}

#[test]
fn names_cannot_carry_reference_punctuation() {
    let text = BASE.replace(
        "[services.b]\n[services.b.endpoints.y]",
        "[services.b]\n[services.b.endpoints.\"y.z\"]",
    );
    let d = errors(&text);
    let invalid = d
        .iter()
        .find(|d| d.code == codes::INVALID_NAME)
        .expect("an invalid name");
    assert_located(
        invalid,
        &text,
        codes::INVALID_NAME,
        "`y.z` is not a valid endpoint name",
        "\"y.z\"",
        0,
    );
}

#[test]
fn duplicate_function_in_a_service() {
    let text = BASE.replace(r#"functions = ["fa"]"#, r#"functions = ["fa", "fb", "fa"]"#);
    assert_one(
        &text,
        codes::DUPLICATE,
        "function `fa` is listed twice",
        r#""fa""#,
        1,
    );
}

#[test]
fn unresolved_data_store() {
    let text = BASE.replace(
        r#"data = { db = "read-write" }"#,
        r#"data = { dbb = "read" }"#,
    );
    assert_one(&text, codes::UNRESOLVED, "no data store `dbb`", "dbb", 0);
}

#[test]
fn resources_are_at_least_one() {
    let resources = |r: &str| {
        BASE.replace(
            r#"functions = ["fa"]"#,
            &format!("functions = [\"fa\"]\nresources = {{ {r} }}"),
        )
    };
    assert_one(
        &resources("cpu_millis = 0, memory_mib = 256"),
        codes::OUT_OF_RANGE,
        "`cpu_millis` must be at least 1",
        "cpu_millis = |0",
        0,
    );
    assert_one(
        &resources("cpu_millis = 500, memory_mib = 0"),
        codes::OUT_OF_RANGE,
        "`memory_mib` must be at least 1",
        "memory_mib = |0",
        0,
    );
    assert_valid(&resources("cpu_millis = 500, memory_mib = 256"));
}

#[test]
fn work_distribution_parameters_are_durations() {
    assert_one(
        &with_work(r#"work = { dist = "constant", ms = -1 }"#),
        codes::OUT_OF_RANGE,
        "`ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_one(
        &with_work(r#"work = { dist = "exponential", mean_ms = 0 }"#),
        codes::OUT_OF_RANGE,
        "`mean_ms` must be positive, not 0",
        "mean_ms = |0",
        0,
    );
    assert_one(
        &with_work(r#"work = { dist = "normal", mean_ms = 0, stddev_ms = 1 }"#),
        codes::OUT_OF_RANGE,
        "`mean_ms` must be positive, not 0",
        "mean_ms = |0",
        0,
    );
    assert_one(
        &with_work(r#"work = { dist = "normal", mean_ms = 5, stddev_ms = -1 }"#),
        codes::OUT_OF_RANGE,
        "`stddev_ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_one(
        &with_work(r#"work = { dist = "lognormal", p50_ms = 0, p99_ms = 5 }"#),
        codes::OUT_OF_RANGE,
        "`p50_ms` must be positive, not 0",
        "p50_ms = |0",
        0,
    );
    // A non-positive p99 is one mistake, not also a percentile order one.
    assert_one(
        &with_work(r#"work = { dist = "lognormal", p50_ms = 5, p99_ms = -1 }"#),
        codes::OUT_OF_RANGE,
        "`p99_ms` must be positive, not -1",
        "-1",
        0,
    );
    assert_one(
        &with_work(r#"work = { dist = "empirical", samples_ms = [1, -2, 3] }"#),
        codes::OUT_OF_RANGE,
        "sample -2 ms is not a duration",
        "-2",
        0,
    );
    assert_valid(&with_work(
        r#"work = { dist = "normal", mean_ms = 5, stddev_ms = 0 }"#,
    ));
}

#[test]
fn p99_below_p50() {
    let text = BASE.replace(
        r#"work = { dist = "constant", ms = 1 }"#,
        r#"work = { dist = "lognormal", p50_ms = 10, p99_ms = 2 }"#,
    );
    assert_one(
        &text,
        codes::PERCENTILES,
        "`p99_ms` (2) is below `p50_ms` (10)",
        "2 }",
        0,
    );
}

#[test]
fn empirical_distribution_needs_samples() {
    let text = BASE.replace(
        r#"work = { dist = "constant", ms = 1 }"#,
        r#"work = { dist = "empirical" }"#,
    );
    assert_one(&text, codes::MISSING_FIELD, "needs samples", "{ dist", 0);
}

#[test]
fn unresolved_service_in_a_call_suggests_the_closest_name() {
    let text = BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["bb.y"]"#);
    assert_one(&text, codes::UNRESOLVED, "no service `bb`", r#""bb.y""#, 0);
    assert_eq!(errors(&text)[0].help.as_deref(), Some("did you mean `b`?"));
}

#[test]
fn unresolved_endpoint_lists_the_services_endpoints() {
    let text = BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b.nope"]"#);
    assert_one(
        &text,
        codes::UNRESOLVED,
        "no endpoint on `b` named `nope`",
        r#""b.nope""#,
        0,
    );
    assert_eq!(errors(&text)[0].help.as_deref(), Some("`b` has `y`"));
}

#[test]
fn a_call_to_a_service_without_endpoints_says_how_to_add_one() {
    let text = format!("{}\n[services.c]\n", with_calls(r#"calls = ["c.y"]"#));
    assert_one_help(
        &text,
        codes::UNRESOLVED,
        "no endpoint on `c` named `y`",
        r#""c.y""#,
        "`c` declares no endpoints; add [services.c.endpoints.y]",
    );
}

#[test]
fn a_call_to_a_bare_service_is_not_an_endpoint_reference() {
    let text = BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b"]"#);
    assert_one(
        &text,
        codes::UNRESOLVED,
        "`b` is not an endpoint reference",
        r#""b""#,
        0,
    );
    assert!(errors(&text)[0].help.as_ref().unwrap().contains("`y`"));
}

#[test]
fn parallel_calls_are_checked_one_by_one() {
    let text = BASE.replace(r#"calls = ["b.y"]"#, r#"calls = [["b.y", "b.z"]]"#);
    assert_one(&text, codes::UNRESOLVED, "named `z`", r#""b.z""#, 0);
}

#[test]
fn an_empty_parallel_group() {
    let text = with_calls(r#"calls = ["b.y", []]"#);
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "an empty parallel group",
        "[]",
        0,
    );
}

#[test]
fn a_call_probability_is_a_fraction() {
    assert_one(
        &with_calls(r#"calls = [{ endpoint = "b.y", probability = 1.5 }]"#),
        codes::OUT_OF_RANGE,
        "the call's `probability` is 1.5, outside [0, 1]",
        "1.5",
        0,
    );
    assert_one(
        &with_calls(r#"calls = [["b.y", { endpoint = "b.y", probability = -0.5 }]]"#),
        codes::OUT_OF_RANGE,
        "the call's `probability` is -0.5",
        "-0.5",
        0,
    );
    assert_one_help(
        &with_calls(r#"calls = [{ endpoint = "b.y", probability = 50 }]"#),
        codes::OUT_OF_RANGE,
        "is 50, outside [0, 1]",
        "50",
        "give a fraction: 0.5 rather than 50 (percent)",
    );
    assert_valid(&with_calls(
        r#"calls = [{ endpoint = "b.y", probability = 0.5 }]"#,
    ));
}

// ── I: topics, published and consumed ──────────────────────────────────────────────────────────

#[test]
fn invalid_topic_name() {
    let text = format!("{BASE}\n[topics.\"e.v\"]\n");
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`e.v` is not a valid topic name",
        "\"e.v\"",
        0,
    );
}

#[test]
fn unresolved_topic_in_publishes() {
    let text = BASE.replace(
        r#"calls = ["b.y"]"#,
        "calls = [\"b.y\"]\npublishes = [\"evt\"]",
    );
    assert_one(&text, codes::UNRESOLVED, "no topic `evt`", r#""evt""#, 0);
}

#[test]
fn duplicate_topic_in_publishes() {
    let text = format!(
        "{}\n[topics.evt]\n",
        with_calls("calls = [\"b.y\"]\npublishes = [\"evt\", \"evt\"]")
    );
    assert_one(
        &text,
        codes::DUPLICATE,
        "topic `evt` is listed twice",
        "\"evt\"",
        1,
    );
}

#[test]
fn unresolved_consumed_topic_and_handler() {
    let text = format!(
        "{BASE}\n[topics.evt]\n[services.b.consumes.evt]\nhandler = \"nope\"\n[services.b.consumes.other]\nhandler = \"y\"\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::UNRESOLVED,
        "named `nope`",
        "\"nope\"",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "no topic `other`",
        "other",
        0,
    );
}

// ── N: the network: latency, loss, zones, links and the mesh's security policy ────────────────

#[test]
fn probability_outside_zero_one_suggests_a_fraction_for_percentages() {
    let text = format!("{BASE}\n[network]\nloss = 5\n");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`loss` is 5, outside [0, 1]",
        "loss = |5",
        0,
    );
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("give a fraction: 0.05 rather than 5 (percent)")
    );
}

#[test]
fn network_latencies_are_checked_distributions() {
    assert_one(
        &format!("{BASE}\n[network]\nlatency = {{ dist = \"exponential\", mean_ms = 0 }}\n"),
        codes::OUT_OF_RANGE,
        "`mean_ms` must be positive, not 0",
        "mean_ms = |0",
        0,
    );
    assert_one(
        &format!("{BASE}\n[network]\ncross_zone_latency = {{ dist = \"constant\", ms = -2 }}\n"),
        codes::OUT_OF_RANGE,
        "`ms` must be zero or more, not -2",
        "-2",
        0,
    );
}

#[test]
fn network_zones_are_valid_names_listed_once() {
    assert_one(
        &format!("{BASE}\n[network]\nzones = [\"z1\", \"z1\"]\n"),
        codes::DUPLICATE,
        "zone `z1` is listed twice",
        "\"z1\"",
        1,
    );
    let text = format!("{BASE}\n[network]\nzones = [\"z 1\"]\n");
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`z 1` is not a valid zone name",
        "\"z 1\"",
        0,
    );
    assert!(errors(&text)[0].help.as_ref().unwrap().contains("letters"));
}

#[test]
fn link_keys_are_edges_between_services() {
    let link = |key: &str, body: &str| format!("{BASE}\n[network.links.\"{key}\"]\n{body}\n");
    assert_one(
        &link("a -> zz", "loss = 0.1"),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"a -> zz\"",
        0,
    );
    assert_one(
        &link("a -> q*", "loss = 0.1"),
        codes::UNRESOLVED,
        "`q*` matches no service",
        "\"a -> q*\"",
        0,
    );
    assert_one(
        &link("a b", "loss = 0.1"),
        codes::INCONSISTENT,
        "`a b` is not a call edge",
        "\"a b\"",
        0,
    );
    assert_valid(&link("a -> *", "loss = 0.1"));
}

#[test]
fn link_overrides_are_checked() {
    let link = |body: &str| format!("{BASE}\n[network.links.\"a -> b\"]\n{body}\n");
    assert_one(
        &link("loss = 2"),
        codes::OUT_OF_RANGE,
        "`loss` is 2, outside [0, 1]",
        "loss = |2",
        0,
    );
    assert_one(
        &link("latency = { dist = \"constant\", ms = -1 }"),
        codes::OUT_OF_RANGE,
        "`ms` must be zero or more, not -1",
        "-1",
        0,
    );
}

#[test]
fn security_rules_name_real_services() {
    let security = |body: &str| format!("{BASE}\n[network.security]\n{body}\n");
    assert_one(
        &security("allow = [\"a -> b\", \"a -> q*\"]"),
        codes::UNRESOLVED,
        "`q*` matches no service",
        "\"a -> q*\"",
        0,
    );
    assert_one(
        &security("allow = [\"a b\"]"),
        codes::INCONSISTENT,
        "`a b` is not a call edge",
        "\"a b\"",
        0,
    );
    assert_one_help(
        &security("plaintext = [\"bb\"]"),
        codes::UNRESOLVED,
        "no service `bb`",
        "\"bb\"",
        "did you mean `b`?",
    );
    assert_valid(&security(
        "default = \"deny\"\nallow = [\"a -> *\"]\nplaintext = [\"b\"]",
    ));
}

// ── D: data stores ─────────────────────────────────────────────────────────────────────────────

#[test]
fn invalid_data_store_name() {
    let text = format!("{BASE}\n[data_stores.\"d b\"]\nkind = \"redis\"\n");
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`d b` is not a valid data store name",
        "\"d b\"",
        0,
    );
}

#[test]
fn unresolved_data_store_owner() {
    let text = BASE.replace(r#"owner = "a""#, r#"owner = "c""#);
    assert_one(&text, codes::UNRESOLVED, "no service `c`", r#""c""#, 0);
}

#[test]
fn duplicate_entity_in_a_data_store() {
    let text = BASE.replace(
        r#"kind = "postgres""#,
        "kind = \"postgres\"\nentities = [\"orders\", \"orders\"]",
    );
    assert_one(
        &text,
        codes::DUPLICATE,
        "entity `orders` is listed twice",
        "\"orders\"",
        1,
    );
}

// ── C: resilience policies on call edges ───────────────────────────────────────────────────────

#[test]
fn unresolved_policy_edge_service() {
    let text = format!("{BASE}\n[policies.\"a -> bb\"]\ntimeout_ms = 5\n");
    assert_one(
        &text,
        codes::UNRESOLVED,
        "no service `bb`",
        "\"a -> bb\"",
        0,
    );
}

#[test]
fn a_glob_policy_that_matches_no_service() {
    let text = format!("{BASE}\n[policies.\"q* -> b\"]\ntimeout_ms = 5\n");
    assert_one(
        &text,
        codes::UNRESOLVED,
        "`q*` matches no service",
        "\"q* -> b\"",
        0,
    );
}

#[test]
fn malformed_policy_edge() {
    let text = format!("{BASE}\n[policies.\"a b\"]\ntimeout_ms = 5\n");
    assert_one(
        &text,
        codes::INCONSISTENT,
        "is not a call edge",
        "\"a b\"",
        0,
    );
}

#[test]
fn policy_on_an_edge_that_no_endpoint_calls() {
    let text = format!("{BASE}\n[policies.\"b -> a\"]\ntimeout_ms = 5\n");
    assert_one(
        &text,
        codes::UNUSED_POLICY,
        "no endpoint makes a call on `b -> a`",
        "\"b -> a\"",
        0,
    );
}

#[test]
fn glob_policies_that_match_a_call_are_used() {
    let text = format!(
        "{BASE}\n[policies.\"* -> b\"]\ntimeout_ms = 5\n[policies.\"a -> b\"]\ntimeout_ms = 9\n"
    );
    let loaded = load(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let (key, policy) = loaded.scenario.policy_for("a", "b").unwrap();
    assert_eq!((key, policy.timeout_ms), ("a -> b", Some(9.0)));
}

#[test]
fn equally_specific_policies_on_one_edge_are_ambiguous() {
    let text = format!(
        "{BASE}\n[policies.\"* -> b\"]\ntimeout_ms = 5\n[policies.\"a -> *\"]\ntimeout_ms = 9\n"
    );
    assert_one(
        &text,
        codes::AMBIGUOUS_POLICY,
        "both match `a -> b`",
        "\"a -> *\"",
        0,
    );
}

#[test]
fn the_same_edge_written_twice_is_a_duplicate() {
    let text = format!(
        "{BASE}\n[policies.\"a -> b\"]\ntimeout_ms = 5\n[policies.\"a->b\"]\ntimeout_ms = 9\n"
    );
    assert_one(
        &text,
        codes::DUPLICATE,
        "is the same edge as",
        "\"a->b\"",
        0,
    );
}

#[test]
fn non_positive_timeout() {
    let text = format!("{BASE}\n[policies.\"a -> b\"]\ntimeout_ms = 0\n");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`timeout_ms` must be positive",
        "timeout_ms = |0",
        0,
    );
}

#[test]
fn non_positive_deadline() {
    assert_one(
        &with_policy("deadline_ms = 0"),
        codes::OUT_OF_RANGE,
        "`deadline_ms` must be positive, not 0",
        "deadline_ms = |0",
        0,
    );
}

#[test]
fn retry_settings_are_in_range() {
    assert_one(
        &with_policy("retry = { max_attempts = 0 }"),
        codes::OUT_OF_RANGE,
        "`max_attempts` must be at least 1",
        "max_attempts = |0",
        0,
    );
    assert_one(
        &with_policy("retry = { wait_ms = -1 }"),
        codes::OUT_OF_RANGE,
        "`wait_ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_one(
        &with_policy("retry = { backoff = \"exponential\", multiplier = 0.5 }"),
        codes::OUT_OF_RANGE,
        "`multiplier` must be at least 1, not 0.5",
        "0.5",
        0,
    );
    assert_one(
        &with_policy("retry = { wait_ms = 100, max_wait_ms = 50 }"),
        codes::OUT_OF_RANGE,
        "`max_wait_ms` (50) is below `wait_ms` (100)",
        "50",
        0,
    );
    // The default `wait_ms` (500) counts too, and the help says so.
    let text = with_policy("retry = { max_wait_ms = 50 }");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`max_wait_ms` (50) is below `wait_ms` (500)",
        "50",
        0,
    );
    assert!(errors(&text)[0].help.as_ref().unwrap().contains("500"));
    // TOML has `nan`: it is no cap, and no comparison may let it through.
    assert_one(
        &with_policy("retry = { max_wait_ms = nan }"),
        codes::OUT_OF_RANGE,
        "`max_wait_ms` must be zero or more, not NaN",
        "nan",
        0,
    );
    assert_valid(&with_policy(
        "retry = { max_attempts = 3, wait_ms = 50, backoff = \"exponential\", multiplier = 2.0, max_wait_ms = 400 }",
    ));
}

#[test]
fn retry_budget_is_a_ratio_and_a_floor() {
    assert_one(
        &with_policy("retry = { budget = { ratio = 1.5 } }"),
        codes::OUT_OF_RANGE,
        "the budget's `ratio` is 1.5, outside [0, 1]",
        "1.5",
        0,
    );
    assert_one(
        &with_policy("retry = { budget = { ratio = 0.2, min_per_s = -1 } }"),
        codes::OUT_OF_RANGE,
        "`min_per_s` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_valid(&with_policy(
        "retry = { budget = { ratio = 0.2, min_per_s = 10 } }",
    ));
}

#[test]
fn breaker_thresholds_are_fractions() {
    let text = BASE.replace(
        "[services.b]\n",
        "[policies.\"a -> b\"]\ncircuit_breaker = { failure_rate_threshold = 50 }\n\n[services.b]\n",
    );
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`failure_rate_threshold` is 50, outside (0, 1]",
        "50",
        0,
    );
}

#[test]
fn circuit_breaker_settings_are_in_range() {
    let breaker = |field: &str| with_policy(&format!("circuit_breaker = {{ {field} }}"));
    assert_one(
        &breaker("slow_call_rate_threshold = 0"),
        codes::OUT_OF_RANGE,
        "`slow_call_rate_threshold` is 0, outside (0, 1]",
        "slow_call_rate_threshold = |0",
        0,
    );
    assert_one(
        &breaker("slow_call_duration_ms = 0"),
        codes::OUT_OF_RANGE,
        "`slow_call_duration_ms` must be positive, not 0",
        "slow_call_duration_ms = |0",
        0,
    );
    assert_one(
        &breaker("sliding_window_size = 0"),
        codes::OUT_OF_RANGE,
        "`sliding_window_size` must be at least 1",
        "sliding_window_size = |0",
        0,
    );
    assert_one(
        &breaker("minimum_number_of_calls = 0"),
        codes::OUT_OF_RANGE,
        "`minimum_number_of_calls` must be at least 1",
        "minimum_number_of_calls = |0",
        0,
    );
    assert_one(
        &breaker("wait_duration_in_open_state_ms = 0"),
        codes::OUT_OF_RANGE,
        "`wait_duration_in_open_state_ms` must be positive, not 0",
        "wait_duration_in_open_state_ms = |0",
        0,
    );
    assert_one(
        &breaker("permitted_number_of_calls_in_half_open_state = 0"),
        codes::OUT_OF_RANGE,
        "`permitted_number_of_calls_in_half_open_state` must be at least 1",
        "permitted_number_of_calls_in_half_open_state = |0",
        0,
    );
    assert_one(
        &breaker("max_wait_duration_in_half_open_state_ms = -1"),
        codes::OUT_OF_RANGE,
        "`max_wait_duration_in_half_open_state_ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_valid(&breaker(
        "failure_rate_threshold = 0.5, sliding_window_size = 20, minimum_number_of_calls = 10",
    ));
}

#[test]
fn bulkhead_settings_are_in_range() {
    assert_one(
        &with_policy("bulkhead = { max_concurrent_calls = 0 }"),
        codes::OUT_OF_RANGE,
        "`max_concurrent_calls` must be at least 1",
        "max_concurrent_calls = |0",
        0,
    );
    assert_one(
        &with_policy("bulkhead = { max_concurrent_calls = 4, max_wait_ms = -1 }"),
        codes::OUT_OF_RANGE,
        "`max_wait_ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_valid(&with_policy(
        "bulkhead = { max_concurrent_calls = 4, max_wait_ms = 10 }",
    ));
}

#[test]
fn rate_limit_settings_are_in_range() {
    assert_one(
        &with_policy("rate_limit = { limit_for_period = 0, limit_refresh_period_ms = 100 }"),
        codes::OUT_OF_RANGE,
        "`limit_for_period` must be at least 1",
        "limit_for_period = |0",
        0,
    );
    assert_one(
        &with_policy("rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 0 }"),
        codes::OUT_OF_RANGE,
        "`limit_refresh_period_ms` must be positive, not 0",
        "limit_refresh_period_ms = |0",
        0,
    );
    assert_one(
        &with_policy(
            "rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 100, timeout_ms = -1 }",
        ),
        codes::OUT_OF_RANGE,
        "`timeout_ms` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_valid(&with_policy(
        "rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 100 }",
    ));
}

#[test]
fn fallback_latency_is_a_duration() {
    assert_one(
        &with_policy("fallback = { latency_ms = -1 }"),
        codes::OUT_OF_RANGE,
        "`latency_ms` must be zero or more, not -1",
        "-1",
        0,
    );
}

#[test]
fn outlier_detection_settings_are_in_range() {
    assert_one(
        &with_policy("outlier_detection = { consecutive_errors = 0 }"),
        codes::OUT_OF_RANGE,
        "`consecutive_errors` must be at least 1",
        "consecutive_errors = |0",
        0,
    );
    assert_one(
        &with_policy("outlier_detection = { base_ejection_time_ms = 0 }"),
        codes::OUT_OF_RANGE,
        "`base_ejection_time_ms` must be positive, not 0",
        "base_ejection_time_ms = |0",
        0,
    );
    assert_one(
        &with_policy("outlier_detection = { max_ejection_percent = 150 }"),
        codes::OUT_OF_RANGE,
        "`max_ejection_percent` is 150, outside [0, 100]",
        "150",
        0,
    );
    assert_valid(&with_policy(
        "outlier_detection = { consecutive_errors = 3, max_ejection_percent = 50 }",
    ));
}

// ── M: monitoring: SLOs, alerts, metrics and tracing ───────────────────────────────────────────

#[test]
fn invalid_slo_name() {
    let text = format!("{BASE}\n[slos.\"s 2\"]\nendpoint = \"a.x\"\navailability = 0.9\n");
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`s 2` is not a valid SLO name",
        "\"s 2\"",
        0,
    );
}

#[test]
fn unresolved_slo_endpoint() {
    let text = BASE.replace(
        r#"endpoint = "a.x"
availability"#,
        r#"endpoint = "a.q"
availability"#,
    );
    assert_one(&text, codes::UNRESOLVED, "named `q`", r#""a.q""#, 0);
}

#[test]
fn availability_must_be_a_positive_fraction() {
    let text = BASE.replace("availability = 0.99", "availability = 0");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`availability` is 0",
        "availability = |0",
        0,
    );
}

#[test]
fn slo_latency_targets_are_positive() {
    assert_one(
        &BASE.replace("availability = 0.99", "latency_p99_ms = 0"),
        codes::OUT_OF_RANGE,
        "`latency_p99_ms` must be positive, not 0",
        "latency_p99_ms = |0",
        0,
    );
    // One mistake, one diagnostic: not also "below `latency_p50_ms`".
    assert_one(
        &BASE.replace(
            "availability = 0.99",
            "latency_p50_ms = 100\nlatency_p99_ms = -1",
        ),
        codes::OUT_OF_RANGE,
        "`latency_p99_ms` must be positive, not -1",
        "-1",
        0,
    );
}

#[test]
fn slo_percentile_targets_must_rise() {
    let text = BASE.replace(
        "availability = 0.99",
        "latency_p50_ms = 100\nlatency_p99_ms = 50",
    );
    assert_one(
        &text,
        codes::PERCENTILES,
        "`latency_p99_ms` (50) is below `latency_p50_ms` (100)",
        "50\n",
        0,
    );
}

#[test]
fn an_slo_needs_a_target() {
    let text = BASE.replace("availability = 0.99\n", "");
    assert_one(
        &text,
        codes::MISSING_FIELD,
        "SLO `s` sets no target",
        "[slos.|s]",
        0,
    );
    assert_valid(&BASE.replace("availability = 0.99", "latency_p90_ms = 200"));
}

#[test]
fn slo_window_is_positive() {
    assert_one(
        &BASE.replace("availability = 0.99", "availability = 0.99\nwindow_s = 0"),
        codes::OUT_OF_RANGE,
        "`window_s` must be positive, not 0",
        "window_s = |0",
        0,
    );
}

#[test]
fn alerts_watch_real_endpoints_with_sane_thresholds() {
    let alert = |name: &str, body: &str| format!("{BASE}\n[alerts.{name}]\n{body}\n");
    let ok = "endpoint = \"a.x\"\nmetric = \"error_rate\"\nabove = 0.1";
    assert_valid(&alert("errs", ok));
    assert_one(
        &alert("\"errs/5xx\"", ok),
        codes::INVALID_NAME,
        "`errs/5xx` is not a valid alert name",
        "\"errs/5xx\"",
        0,
    );
    assert_one(
        &alert("errs", &ok.replace("a.x", "a.q")),
        codes::UNRESOLVED,
        "no endpoint on `a` named `q`",
        "\"a.q\"",
        0,
    );
    assert_one_help(
        &alert("errs", &ok.replace("0.1", "5")),
        codes::OUT_OF_RANGE,
        "the error-rate threshold `above` is 5, outside [0, 1]",
        "above = |5",
        "give a fraction: 0.05 rather than 5 (percent)",
    );
    assert_one(
        &alert(
            "slow",
            "endpoint = \"a.x\"\nmetric = \"latency_p99_ms\"\nabove = -1",
        ),
        codes::OUT_OF_RANGE,
        "`above` must be zero or more, not -1",
        "-1",
        0,
    );
    assert_one(
        &alert("errs", &format!("{ok}\nfor_s = -1")),
        codes::OUT_OF_RANGE,
        "`for_s` must be zero or more, not -1",
        "-1",
        0,
    );
}

#[test]
fn metrics_interval_and_trace_sampling() {
    assert_one(
        &format!("{BASE}\n[monitoring]\nmetrics_interval_s = 0\n"),
        codes::OUT_OF_RANGE,
        "`metrics_interval_s` must be positive, not 0",
        "metrics_interval_s = |0",
        0,
    );
    assert_one_help(
        &format!("{BASE}\n[monitoring]\ntrace_sampling = 2\n"),
        codes::OUT_OF_RANGE,
        "`trace_sampling` is 2, outside [0, 1]",
        "trace_sampling = |2",
        "give a fraction: 0.02 rather than 2 (percent)",
    );
    assert_valid(&format!(
        "{BASE}\n[monitoring]\nmetrics_interval_s = 5\ntrace_sampling = 1\n"
    ));
}

// ── P: deployment (replicas, zones, rollout) and the cluster's capacity ────────────────────────

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
fn zones_must_be_declared_before_use() {
    let text = format!("{BASE}\n[deployment.b]\nzones = [\"z\"]\n");
    assert_one(&text, codes::UNRESOLVED, "no zone `z`", "\"z\"", 0);
    assert!(
        errors(&text)[0]
            .help
            .as_ref()
            .unwrap()
            .contains("[network]")
    );
}

#[test]
fn zero_replicas() {
    let text = format!("{BASE}\n[deployment.b]\nreplicas = 0\n");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`replicas` must be at least 1",
        "replicas = |0",
        0,
    );
}

#[test]
fn zero_workers() {
    assert_one(
        &format!("{BASE}\n[deployment.b]\nworkers = 0\n"),
        codes::OUT_OF_RANGE,
        "`workers` must be at least 1",
        "workers = |0",
        0,
    );
}

#[test]
fn duplicate_zone_in_a_deployment() {
    let text = format!(
        "{BASE}\n[network]\nzones = [\"z1\", \"z2\"]\n[deployment.b]\nzones = [\"z1\", \"z1\"]\n"
    );
    assert_one(
        &text,
        codes::DUPLICATE,
        "zone `z1` is listed twice",
        "\"z1\"",
        2,
    );
}

#[test]
fn same_zone_locality_needs_zones() {
    let text = format!("{BASE}\n[deployment.b]\nlocality = \"prefer_same_zone\"\n");
    assert_one(
        &text,
        codes::INCONSISTENT,
        "`b` prefers same-zone replicas but places none in a zone",
        "\"prefer_same_zone\"",
        0,
    );
}

#[test]
fn rolling_update_settings() {
    let rolling = |body: &str| format!("{BASE}\n[deployment.b]\nreplicas = 2\n{body}\n");
    assert_one(
        &rolling("strategy = { kind = \"rolling\", max_unavailable = 0 }"),
        codes::OUT_OF_RANGE,
        "`max_unavailable` must be at least 1",
        "max_unavailable = |0",
        0,
    );
    assert_one(
        &rolling("strategy = { kind = \"rolling\", max_unavailable = 3 }"),
        codes::OUT_OF_RANGE,
        "`max_unavailable` (3) exceeds `replicas` (2)",
        "max_unavailable = |3",
        0,
    );
    assert_one(
        &rolling("strategy = { kind = \"rolling\", restart_s = 0 }"),
        codes::OUT_OF_RANGE,
        "`restart_s` must be positive, not 0",
        "restart_s = |0",
        0,
    );
    assert_valid(&rolling(
        "strategy = { kind = \"rolling\", max_unavailable = 2, restart_s = 5 }",
    ));
}

#[test]
fn blue_green_restart_is_positive() {
    assert_one(
        &format!(
            "{BASE}\n[deployment.b]\nstrategy = {{ kind = \"blue_green\", restart_s = -1 }}\n"
        ),
        codes::OUT_OF_RANGE,
        "`restart_s` must be positive, not -1",
        "-1",
        0,
    );
}

#[test]
fn canary_weights_must_rise_to_one_hundred() {
    let text = format!(
        "{BASE}\n[deployment.b]\nreplicas = 2\nstrategy = {{ kind = \"canary\", weights = [10, 5, 50] }}\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::OUT_OF_RANGE,
        "canary weight 5 does not rise",
        "5,",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::OUT_OF_RANGE,
        "the last canary weight is not 100",
        "50]",
        0,
    );
}

#[test]
fn canary_settings() {
    let canary = |strategy: &str| {
        format!("{BASE}\n[deployment.b]\nstrategy = {{ kind = \"canary\", {strategy} }}\n")
    };
    assert_one(
        &canary("weights = []"),
        codes::MISSING_FIELD,
        "a canary needs at least one weight",
        "[]",
        0,
    );
    assert_one(
        &canary("weights = [100], step_s = 0"),
        codes::OUT_OF_RANGE,
        "`step_s` must be positive, not 0",
        "step_s = |0",
        0,
    );
    // A last weight above 100 is one mistake, not also "the last weight is not 100".
    assert_one(
        &canary("weights = [50, 150]"),
        codes::OUT_OF_RANGE,
        "canary weight 150 does not rise within (0, 100]",
        "150",
        0,
    );
    assert_valid(&canary("weights = [5, 25, 100], step_s = 30"));
}

#[test]
fn a_canary_analysis_threshold_is_a_probability() {
    let text = format!(
        "{BASE}\n[deployment.b]\nstrategy = {{ kind = \"canary\", weights = [10, 100], max_error_rate = 1.5 }}\n"
    );
    assert_one(&text, codes::OUT_OF_RANGE, "max_error_rate", "1.5", 0);
    assert!(load(&text.replace("1.5", "0.05")).is_ok());
}

#[test]
fn cluster_capacity_per_declared_zone() {
    let cluster = |zone: &str, nodes: u32, cpu: u32, memory: u32| {
        format!(
            "{BASE}\n[network]\nzones = [\"z1\"]\n[cluster.zones.{zone}]\nnodes = {nodes}\nnode_cpu_millis = {cpu}\nnode_memory_mib = {memory}\n"
        )
    };
    assert_valid(&cluster("z1", 3, 4000, 8192));
    assert_one(
        &cluster("z2", 3, 4000, 8192),
        codes::UNRESOLVED,
        "no zone `z2`",
        "[cluster.zones.|z2]",
        0,
    );
    assert_one(
        &cluster("z1", 0, 4000, 8192),
        codes::OUT_OF_RANGE,
        "`nodes` must be at least 1",
        "nodes = |0",
        0,
    );
    assert_one(
        &cluster("z1", 3, 0, 8192),
        codes::OUT_OF_RANGE,
        "`node_cpu_millis` must be at least 1",
        "node_cpu_millis = |0",
        0,
    );
    assert_one(
        &cluster("z1", 3, 4000, 0),
        codes::OUT_OF_RANGE,
        "`node_memory_mib` must be at least 1",
        "node_memory_mib = |0",
        0,
    );
}

// ── Transactions: two-phase commit and sagas ───────────────────────────────────────────────────

/// `BASE` with the transaction `t` declared by `body`.
fn with_transaction(body: &str) -> String {
    format!("{BASE}\n[transactions.t]\n{body}\n")
}

#[test]
fn invalid_transaction_name() {
    let text = format!(
        "{BASE}\n[transactions.\"t x\"]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]\n"
    );
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`t x` is not a valid transaction name",
        "\"t x\"",
        0,
    );
}

#[test]
fn two_phase_commit_names_real_services_and_a_participant() {
    let tpc = |coordinator: &str, participants: &str| {
        with_transaction(&format!(
            "protocol = \"two_phase_commit\"\ncoordinator = \"{coordinator}\"\nparticipants = {participants}"
        ))
    };
    assert_valid(&tpc("a", "[\"b\"]"));
    assert_one(
        &tpc("zz", "[\"b\"]"),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_one(
        &tpc("a", "[\"b\", \"q\"]"),
        codes::UNRESOLVED,
        "no service `q`",
        "\"q\"",
        0,
    );
    assert_one(
        &tpc("a", "[]"),
        codes::MISSING_FIELD,
        "two-phase commit needs at least one participant",
        "[]",
        0,
    );
}

#[test]
fn duplicate_participants() {
    let text = format!(
        "{BASE}\n[transactions.t]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\", \"b\"]\n"
    );
    assert_one(
        &text,
        codes::DUPLICATE,
        "participant `b` is listed twice",
        "\"b\"]",
        0,
    );
}

#[test]
fn orchestrated_saga_needs_a_coordinator_and_real_actions() {
    let text = format!(
        "{BASE}\n[transactions.pay]\nprotocol = \"saga\"\nsteps = [{{ service = \"b\", action = \"y\", compensation = \"undo\" }}]\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::MISSING_FIELD,
        "names no coordinator",
        "pay",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "named `undo`",
        "\"undo\"",
        0,
    );
}

#[test]
fn a_saga_coordinator_is_a_real_service_of_an_orchestrated_saga() {
    let saga = |head: &str| {
        with_transaction(&format!(
            "protocol = \"saga\"\n{head}\nsteps = [{{ service = \"b\", action = \"y\" }}]"
        ))
    };
    assert_one(
        &saga("coordinator = \"zz\""),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_one(
        &saga("style = \"choreographed\"\ncoordinator = \"a\""),
        codes::INCONSISTENT,
        "a choreographed saga has no coordinator",
        "coordinator = ",
        0,
    );
    assert_valid(&saga("style = \"choreographed\""));
}

#[test]
fn saga_steps_exist_and_name_real_endpoints_and_topics() {
    let saga = |steps: &str| {
        with_transaction(&format!(
            "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = {steps}"
        ))
    };
    assert_one(
        &saga("[]"),
        codes::MISSING_FIELD,
        "a saga needs at least one step",
        "[]",
        0,
    );
    assert_one(
        &saga("[{ service = \"q\", action = \"y\" }]"),
        codes::UNRESOLVED,
        "no service `q`",
        "\"q\"",
        0,
    );
    assert_one(
        &saga("[{ service = \"b\", action = \"z\" }]"),
        codes::UNRESOLVED,
        "no endpoint on `b` named `z`",
        "\"z\"",
        0,
    );
    // A topic is a choreographed step's (on an orchestrated one it means nothing).
    assert_one(
        &saga("[{ service = \"b\", action = \"y\", topic = \"evt\" }]")
            .replace("coordinator = \"a\"", "style = \"choreographed\""),
        codes::UNRESOLVED,
        "no topic `evt`",
        "\"evt\"",
        0,
    );
}

#[test]
fn a_saga_has_at_most_one_pivot() {
    let text = format!(
        "{BASE}\n[transactions.pay]\nprotocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{{ service = \"b\", action = \"y\", pivot = true }}, {{ service = \"b\", action = \"y\", pivot = true }}]\n"
    );
    assert_one(&text, codes::INCONSISTENT, "at most one pivot", "true", 2);
}

// ── The monolith to decompose ──────────────────────────────────────────────────────────────────

#[test]
fn an_empty_monolith_is_refused() {
    let text = format!("{BASE}\n[monolith]\ncalls = []\n");
    assert_one(
        &text,
        codes::EMPTY,
        "the monolith has no functions",
        "[|monolith]",
        0,
    );
}

#[test]
fn monolith_calls_must_name_declared_functions() {
    let text = format!(
        "{BASE}\n[monolith.functions]\nf = {{}}\ng = {{ context = \"c\" }}\n[[monolith.calls]]\nfrom = \"f\"\nto = \"h\"\n"
    );
    assert_one(
        &text,
        codes::UNRESOLVED,
        "no monolith function `h`",
        "\"h\"",
        0,
    );
}

#[test]
fn monolith_calls_and_data_accesses_are_checked() {
    let monolith = |body: &str| format!("{BASE}\n[monolith.functions]\nf = {{}}\ng = {{}}\n{body}");
    assert_one(
        &monolith("[[monolith.calls]]\nfrom = \"h\"\nto = \"g\"\n"),
        codes::UNRESOLVED,
        "no monolith function `h`",
        "\"h\"",
        0,
    );
    assert_one(
        &monolith("[[monolith.calls]]\nfrom = \"f\"\nto = \"g\"\nweight = 0\n"),
        codes::OUT_OF_RANGE,
        "`weight` must be positive, not 0",
        "weight = |0",
        0,
    );
    assert_one(
        &monolith("[[monolith.data]]\nfunction = \"h\"\nentity = \"orders\"\naccess = \"read\"\n"),
        codes::UNRESOLVED,
        "no monolith function `h`",
        "\"h\"",
        0,
    );
    assert_valid(&monolith(
        "[[monolith.calls]]\nfrom = \"f\"\nto = \"g\"\nweight = 3\n[[monolith.data]]\nfunction = \"f\"\nentity = \"orders\"\naccess = \"read\"\n",
    ));
}

// ── Experiments: duration, load generators, faults and expectations ────────────────────────────

#[test]
fn invalid_experiment_name() {
    let text = format!(
        "{BASE}\n[experiments.\"e 2\"]\nduration_s = 10\nload = [{{ endpoint = \"a.x\", rate_per_s = 1 }}]\n"
    );
    assert_one(
        &text,
        codes::INVALID_NAME,
        "`e 2` is not a valid experiment name",
        "\"e 2\"",
        0,
    );
}

#[test]
fn non_positive_durations_and_rates() {
    let text = BASE
        .replace("duration_s = 100", "duration_s = 0")
        .replace("rate_per_s = 10", "rate_per_s = -1");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::OUT_OF_RANGE,
        "`duration_s` must be positive, not 0",
        "duration_s = |0",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::OUT_OF_RANGE,
        "`rate_per_s` must be positive, not -1",
        "-1",
        0,
    );
}

#[test]
fn warmup_is_shorter_than_the_experiment() {
    assert_one(
        &with_experiment("warmup_s = 100"),
        codes::OUT_OF_RANGE,
        "`warmup_s` (100) must be at least 0 and shorter than `duration_s` (100)",
        "warmup_s = |100",
        0,
    );
    assert_one(
        &with_experiment("warmup_s = -1"),
        codes::OUT_OF_RANGE,
        "`warmup_s` (-1)",
        "-1",
        0,
    );
    assert_valid(&with_experiment("warmup_s = 10"));
}

#[test]
fn an_experiment_needs_load() {
    assert_one(
        &with_load("load = []"),
        codes::MISSING_FIELD,
        "experiment `e` has no load",
        "[]",
        0,
    );
}

#[test]
fn load_gives_endpoint_or_mix_not_both() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        r#"load = [{ endpoint = "a.x", mix = { "b.y" = 1 }, rate_per_s = 10 }]"#,
    );
    assert_one(
        &text,
        codes::INCONSISTENT,
        "both `endpoint` and `mix`",
        "mix",
        0,
    );
}

#[test]
fn load_names_an_endpoint_or_a_mix_of_real_ones() {
    assert_one(
        &with_generator("rate_per_s = 10"),
        codes::MISSING_FIELD,
        "a load names no endpoint",
        "{ rate_per_s",
        0,
    );
    assert_one(
        &with_generator(r#"endpoint = "a.q", rate_per_s = 10"#),
        codes::UNRESOLVED,
        "no endpoint on `a` named `q`",
        r#""a.q""#,
        0,
    );
    assert_one(
        &with_generator(r#"mix = { "a.x" = 3, "b.q" = 1 }, rate_per_s = 10"#),
        codes::UNRESOLVED,
        "no endpoint on `b` named `q`",
        r#""b.q""#,
        0,
    );
    assert_one(
        &with_generator(r#"mix = { "a.x" = 0, "b.y" = 1 }, rate_per_s = 10"#),
        codes::OUT_OF_RANGE,
        "the weight of `a.x` must be positive, not 0",
        r#""a.x" = |0"#,
        0,
    );
    assert_valid(&with_generator(
        r#"mix = { "a.x" = 3, "b.y" = 1 }, rate_per_s = 10"#,
    ));
}

#[test]
fn load_needs_the_fields_of_its_arrival_pattern() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        r#"load = [{ endpoint = "a.x", arrival = "ramp", rate_per_s = 10, users = 3 }]"#,
    );
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::MISSING_FIELD,
        "a `ramp` load needs `to_rate_per_s`",
        "{ endpoint",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::INCONSISTENT,
        "`users` only applies to `closed` loads, not `ramp`",
        "users",
        0,
    );
}

#[test]
fn each_arrival_pattern_needs_its_own_fields() {
    let needs = |generator: &str, message: &str| {
        assert_one(
            &with_generator(generator),
            codes::MISSING_FIELD,
            message,
            "{ endpoint",
            0,
        );
    };
    needs(r#"endpoint = "a.x""#, "a `poisson` load needs `rate_per_s`");
    needs(
        r#"endpoint = "a.x", arrival = "constant""#,
        "a `constant` load needs `rate_per_s`",
    );
    needs(
        r#"endpoint = "a.x", arrival = "ramp", to_rate_per_s = 50"#,
        "a `ramp` load needs `rate_per_s`",
    );
    needs(
        r#"endpoint = "a.x", arrival = "step""#,
        "a `step` load needs `steps`",
    );
    needs(
        r#"endpoint = "a.x", arrival = "closed""#,
        "a `closed` load needs `users`",
    );
}

#[test]
fn fields_of_another_arrival_pattern_are_misplaced() {
    let misplaced = |generator: &str, message: &str, key: &str| {
        assert_one(
            &with_generator(generator),
            codes::INCONSISTENT,
            message,
            key,
            0,
        );
    };
    misplaced(
        r#"endpoint = "a.x", rate_per_s = 10, to_rate_per_s = 20"#,
        "`to_rate_per_s` only applies to `ramp` loads, not `poisson`",
        "to_rate_per_s",
    );
    misplaced(
        r#"endpoint = "a.x", rate_per_s = 10, steps = [{ at_s = 0, rate_per_s = 5 }]"#,
        "`steps` only applies to `step` loads, not `poisson`",
        "steps",
    );
    misplaced(
        r#"endpoint = "a.x", rate_per_s = 10, think_time_ms = 5"#,
        "`think_time_ms` only applies to `closed` loads, not `poisson`",
        "think_time_ms",
    );
    misplaced(
        r#"endpoint = "a.x", arrival = "closed", users = 5, rate_per_s = 10"#,
        "`rate_per_s` only applies to `poisson`, `constant` and `ramp` loads, not `closed`",
        "rate_per_s",
    );
}

#[test]
fn load_rates_are_in_range() {
    let out = |generator: &str, message: &str, at: &str| {
        assert_one(
            &with_generator(generator),
            codes::OUT_OF_RANGE,
            message,
            at,
            0,
        );
    };
    out(
        r#"endpoint = "a.x", arrival = "constant", rate_per_s = 0"#,
        "`rate_per_s` must be positive, not 0",
        "rate_per_s = |0",
    );
    out(
        r#"endpoint = "a.x", arrival = "ramp", rate_per_s = -1, to_rate_per_s = 50"#,
        "`rate_per_s` must be zero or more, not -1",
        "-1",
    );
    out(
        r#"endpoint = "a.x", arrival = "ramp", rate_per_s = 0, to_rate_per_s = -1"#,
        "`to_rate_per_s` must be zero or more, not -1",
        "-1",
    );
    out(
        r#"endpoint = "a.x", arrival = "step", steps = [{ at_s = 0, rate_per_s = -1 }]"#,
        "`rate_per_s` must be zero or more, not -1",
        "-1",
    );
    out(
        r#"endpoint = "a.x", arrival = "closed", users = 0"#,
        "`users` must be at least 1",
        "users = |0",
    );
    out(
        r#"endpoint = "a.x", arrival = "closed", users = 5, think_time_ms = -1"#,
        "`think_time_ms` must be zero or more, not -1",
        "-1",
    );
    assert_valid(&with_generator(
        r#"endpoint = "a.x", arrival = "ramp", rate_per_s = 0, to_rate_per_s = 50"#,
    ));
    assert_valid(&with_generator(
        r#"endpoint = "a.x", arrival = "closed", users = 5, think_time_ms = 100"#,
    ));
}

#[test]
fn load_steps_are_in_time_order_within_the_experiment() {
    let steps = |steps: &str| {
        with_generator(&format!(
            r#"endpoint = "a.x", arrival = "step", steps = [{steps}]"#
        ))
    };
    assert_one(
        &steps("{ at_s = 10, rate_per_s = 5 }, { at_s = 5, rate_per_s = 8 }"),
        codes::OUT_OF_RANGE,
        "the step at 5 s is not after the previous step, at 10 s",
        "at_s = |5",
        0,
    );
    assert_one(
        &steps("{ at_s = 0, rate_per_s = 5 }, { at_s = 100, rate_per_s = 8 }"),
        codes::OUT_OF_RANGE,
        "the step at 100 s is outside the 100 s experiment",
        "at_s = |100",
        0,
    );
    // A step past the end is one mistake; the step after it is not also out of order.
    assert_one(
        &steps("{ at_s = 200, rate_per_s = 5 }, { at_s = 50, rate_per_s = 8 }"),
        codes::OUT_OF_RANGE,
        "the step at 200 s is outside the 100 s experiment",
        "at_s = |200",
        0,
    );
    assert_valid(&steps(
        "{ at_s = 0, rate_per_s = 5 }, { at_s = 50, rate_per_s = 8 }",
    ));
}

#[test]
fn fault_starting_after_the_experiment() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 100, crash = \"b\" }]",
    );
    assert_one(
        &text,
        codes::FAULT_WINDOW,
        "starts at 100 s, outside the 100 s experiment",
        "100,",
        0,
    );
}

#[test]
fn fault_ending_after_the_experiment() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 90, for_s = 20, crash = \"b\" }]",
    );
    assert_one(&text, codes::FAULT_WINDOW, "ends at 110 s", "20,", 0);
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("make `for_s` at most 10, or omit it to last to the end")
    );
}

#[test]
fn a_fault_lasts_a_positive_time() {
    assert_one(
        &with_fault(r#"at_s = 1, for_s = 0, crash = "b""#),
        codes::OUT_OF_RANGE,
        "`for_s` must be positive, not 0",
        "for_s = |0",
        0,
    );
}

#[test]
fn a_fault_with_no_action() {
    assert_one(
        &with_fault("at_s = 1"),
        codes::INCONSISTENT,
        "a fault with no action",
        "{ at_s = 1",
        0,
    );
}

#[test]
fn a_fault_written_as_a_table_is_reported_at_its_header() {
    let text = format!("{BASE}\n[[experiments.e.faults]]\nat_s = 1\n");
    assert_one(
        &text,
        codes::INCONSISTENT,
        "a fault with no action",
        "[[experiments.e.faults]]",
        0,
    );
}

#[test]
fn a_fault_needs_exactly_one_action() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", deploy = \"b\" }]",
    );
    assert_one(
        &text,
        codes::INCONSISTENT,
        "a fault with 2 actions (crash, deploy)",
        "{ at_s = 1",
        0,
    );
}

#[test]
fn unresolved_experiment_targets() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, for_s = 2, crash = \"zz\" }, { at_s = 1, slowdown = { service = \"bx\", factor = 2 } }]\nexpect = { slos = [\"s2\"] }",
    );
    let d = errors(&text);
    assert_eq!(d.len(), 3, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_located(
        &d[1],
        &text,
        codes::UNRESOLVED,
        "no service `bx`",
        "\"bx\"",
        0,
    );
    assert_located(&d[2], &text, codes::UNRESOLVED, "no SLO `s2`", "\"s2\"", 0);
}

#[test]
fn crashing_more_replicas_than_deployed() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", replicas = 3 }]",
    );
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "crashes 3 replicas of `b`, which has 1",
        "3 }",
        0,
    );
}

#[test]
fn crashing_zero_replicas() {
    assert_one(
        &with_fault(r#"at_s = 1, crash = "b", replicas = 0"#),
        codes::OUT_OF_RANGE,
        "`replicas` must be at least 1",
        "replicas = |0",
        0,
    );
}

#[test]
fn replicas_and_zone_belong_to_a_crash() {
    assert_one(
        &with_fault(r#"at_s = 1, deploy = "b", replicas = 1"#),
        codes::INCONSISTENT,
        "`replicas` only applies to a `crash` fault",
        "replicas",
        0,
    );
    assert_one(
        &with_fault(r#"at_s = 1, deploy = "b", zone = "z1""#),
        codes::INCONSISTENT,
        "`zone` only applies to a `crash` fault",
        "zone",
        0,
    );
}

#[test]
fn a_zone_crash_needs_replicas_in_that_zone() {
    let text = format!(
        "{}\n[network]\nzones = [\"z1\", \"z2\"]\n[deployment.b]\nreplicas = 2\nzones = [\"z1\"]\n",
        BASE.replace(
            r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
            "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", zone = \"z2\" }]",
        )
    );
    assert_one(
        &text,
        codes::INCONSISTENT,
        "`b` has no replica in zone `z2`",
        "\"z2\" }",
        0,
    );
    let text = text.replace("zone = \"z2\" }", "zone = \"z1\", replicas = 3 }");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "crashes 3 replicas of `b`, which has 2 in zone `z1`",
        "3 }",
        0,
    );
}

#[test]
fn latency_faults_name_a_real_link() {
    let latency = |link: &str, add_ms: f64| {
        with_fault(&format!(
            "at_s = 1, latency = {{ link = \"{link}\", add_ms = {add_ms} }}"
        ))
    };
    assert_valid(&latency("a -> b", 5.0));
    assert_one(
        &latency("a -> zz", 5.0),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"a -> zz\"",
        0,
    );
    assert_one(
        &latency("a -> q*", 5.0),
        codes::UNRESOLVED,
        "`q*` matches no service",
        "\"a -> q*\"",
        0,
    );
    assert_one(
        &latency("a b", 5.0),
        codes::INCONSISTENT,
        "`a b` is not a call edge",
        "\"a b\"",
        0,
    );
    assert_one(
        &latency("a -> b", 0.0),
        codes::OUT_OF_RANGE,
        "`add_ms` must be positive, not 0",
        "add_ms = |0",
        0,
    );
}

#[test]
fn error_faults_target_a_real_service_or_endpoint() {
    let errors_at = |target: &str, rate: f64| {
        with_fault(&format!(
            "at_s = 1, errors = {{ target = \"{target}\", rate = {rate} }}"
        ))
    };
    assert_valid(&errors_at("b", 0.5));
    assert_valid(&errors_at("b.y", 0.5));
    assert_one(
        &errors_at("zz", 0.5),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_one(
        &errors_at("b.q", 0.5),
        codes::UNRESOLVED,
        "no endpoint on `b` named `q`",
        "\"b.q\"",
        0,
    );
    assert_one(
        &errors_at("b", 2.0),
        codes::OUT_OF_RANGE,
        "the error `rate` is 2, outside [0, 1]",
        "rate = |2",
        0,
    );
}

#[test]
fn partition_sides_are_services_or_zones() {
    let text = format!(
        "{}\n[network]\nzones = [\"z1\"]\n",
        BASE.replace(
            r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
            "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, partition = { from = \"zone:z9\", to = \"a\" } }]",
        )
    );
    assert_one(&text, codes::UNRESOLVED, "no zone `z9`", "\"zone:z9\"", 0);
}

#[test]
fn partition_sides_are_real_and_different() {
    let partition = |from: &str, to: &str| {
        with_fault(&format!(
            "at_s = 1, partition = {{ from = \"{from}\", to = \"{to}\" }}"
        ))
    };
    assert_valid(&partition("a", "b"));
    assert_one(
        &partition("zz", "b"),
        codes::UNRESOLVED,
        "no service `zz`",
        "\"zz\"",
        0,
    );
    assert_one(
        &partition("a", "a"),
        codes::INCONSISTENT,
        "a partition between `a` and itself",
        "to = |\"a\"",
        0,
    );
}

#[test]
fn slowdown_factor_is_positive() {
    assert_one(
        &with_fault(r#"at_s = 1, slowdown = { service = "b", factor = 0 }"#),
        codes::OUT_OF_RANGE,
        "`factor` must be positive, not 0",
        "factor = |0",
        0,
    );
}

#[test]
fn a_deploy_names_a_real_service() {
    assert_one_help(
        &with_fault(r#"at_s = 1, deploy = "bb""#),
        codes::UNRESOLVED,
        "no service `bb`",
        "\"bb\"",
        "did you mean `b`?",
    );
}

#[test]
fn a_new_version_belongs_to_a_deploy() {
    let text = BASE.replace(
        r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#,
        "load = [{ endpoint = \"a.x\", rate_per_s = 10 }]\nfaults = [{ at_s = 1, crash = \"b\", new_version = { error_rate = 0.5 } }]",
    );
    assert_one(
        &text,
        codes::INCONSISTENT,
        "`new_version` only applies to a `deploy` fault",
        "new_version",
        0,
    );
    let text = text
        .replace("crash = \"b\"", "deploy = \"b\"")
        .replace("0.5", "1.5");
    assert_one(&text, codes::OUT_OF_RANGE, "error_rate", "1.5", 0);
}

#[test]
fn a_new_version_slowdown_is_positive() {
    assert_one(
        &with_fault(r#"at_s = 1, deploy = "b", new_version = { slowdown = 0 }"#),
        codes::OUT_OF_RANGE,
        "the new version's `slowdown` must be positive, not 0",
        "slowdown = |0",
        0,
    );
}

#[test]
fn retry_amplification_bound_is_at_least_one() {
    assert_one(
        &with_experiment("expect = { max_retry_amplification = 0.5 }"),
        codes::OUT_OF_RANGE,
        "`max_retry_amplification` is 0.5, below 1",
        "0.5",
        0,
    );
    assert_valid(&with_experiment("expect = { max_retry_amplification = 1 }"));
}

#[test]
fn an_alert_expectation_names_an_alert_and_needs_a_fault() {
    let line = r#"load = [{ endpoint = "a.x", rate_per_s = 10 }]"#;
    let scenario = |expect: &str, faults: &str| {
        format!(
            "{}\n[alerts.errs]\nendpoint = \"a.x\"\nmetric = \"error_rate\"\nabove = 0.1\n",
            BASE.replace(
                line,
                &format!("{line}\n{faults}expect = {{ alerts_within_s = {{ {expect} }} }}"),
            )
        )
    };
    let fault = "faults = [{ at_s = 10, for_s = 10, crash = \"b\" }]\n";
    let ok = scenario("errs = 30", fault);
    assert!(load(&ok).is_ok(), "{:?}", load(&ok).err());
    assert_one(
        &scenario("nope = 30", fault),
        codes::UNRESOLVED,
        "alert",
        "nope",
        0,
    );
    assert_one(
        &scenario("errs = 30", ""),
        codes::OUT_OF_RANGE,
        "the experiment has none",
        "errs = 30",
        0,
    );
    assert_one(
        &scenario("errs = 0", fault),
        codes::OUT_OF_RANGE,
        "detection time",
        "errs = |0",
        0,
    );
}

// ── Expected verdicts: the gate's pinned outcomes ──────────────────────────────────────────────

#[test]
fn expected_verdicts_name_a_real_subject() {
    let text = format!("{BASE}\n[expected_verdicts]\n\"ee/slo.s\" = \"violated\"\n");
    assert_one(
        &text,
        codes::UNRESOLVED,
        "no transaction or experiment `ee`",
        "\"ee/slo.s\"",
        0,
    );
    assert_eq!(errors(&text)[0].help.as_deref(), Some("did you mean `e`?"));
    let ok = format!("{BASE}\n[expected_verdicts]\n\"e/slo.s\" = \"violated\"\n");
    load(&ok).unwrap_or_else(|d| panic!("{d:?}"));
}

#[test]
fn expected_verdicts_keys_are_check_ids() {
    let text = format!("{BASE}\n[expected_verdicts]\n\"e/nothing\" = \"holds\"\n");
    assert_one(
        &text,
        codes::INCONSISTENT,
        "`e/nothing` is not a check id",
        "\"e/nothing\"",
        0,
    );
}

// ── The whole architecture: synchronous call cycles ────────────────────────────────────────────

#[test]
fn synchronous_call_cycle_names_the_cycle() {
    let text = BASE.replace(
        r#"work = { dist = "constant", ms = 1 }"#,
        "work = { dist = \"constant\", ms = 1 }\ncalls = [\"a.x\"]",
    );
    assert_one(
        &text,
        codes::SYNC_CYCLE,
        "synchronous call cycle: a.x → b.y → a.x",
        "\"b.y\"",
        0,
    );
}

#[test]
fn an_endpoint_calling_itself_is_a_cycle() {
    let text = BASE.replace(r#"calls = ["b.y"]"#, r#"calls = ["b.y", ["a.x"]]"#);
    assert_one(&text, codes::SYNC_CYCLE, "a.x → a.x", "\"a.x\"]", 0);
}

#[test]
fn events_do_not_make_cycles() {
    let text = format!(
        "{}\n[topics.evt]\n[services.a.consumes.evt]\nhandler = \"x\"\n",
        BASE.replace(
            r#"work = { dist = "constant", ms = 1 }"#,
            "work = { dist = \"constant\", ms = 1 }\npublishes = [\"evt\"]"
        )
    );
    load(&text).unwrap_or_else(|d| panic!("{d:?}"));
}

// ── Loading as a whole: every problem at once, and what serde rejects before validation ────────

#[test]
fn every_problem_is_reported_at_once() {
    let text = BASE
        .replace(r#"calls = ["b.y"]"#, r#"calls = ["c.y"]"#)
        .replace("availability = 0.99", "availability = 2")
        .replace("duration_s = 100", "duration_s = -5");
    let d = errors(&text);
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [codes::UNRESOLVED, codes::OUT_OF_RANGE, codes::OUT_OF_RANGE]
    );
}

#[test]
fn unknown_keys_are_rejected_with_a_suggestion() {
    let text = BASE.replace("availability = 0.99", "availabilty = 0.99");
    let d = errors(&text);
    assert_eq!(d.len(), 1);
    assert_located(
        &d[0],
        &text,
        codes::UNKNOWN_FIELD,
        "unknown field `availabilty`",
        "availabilty",
        0,
    );
    assert_eq!(d[0].help.as_deref(), Some("did you mean `availability`?"));
}

#[test]
fn unknown_enumeration_values_are_rejected_with_a_suggestion() {
    let text = BASE.replace(r#"dist = "constant""#, r#"dist = "constnat""#);
    let d = errors(&text);
    assert_eq!(d[0].code, codes::WRONG_TYPE, "{}", d[0]);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `constant`?"));
}

#[test]
fn wrong_types_are_located() {
    let text = BASE.replace("duration_s = 100", "duration_s = \"long\"");
    let d = errors(&text);
    assert_located(
        &d[0],
        &text,
        codes::WRONG_TYPE,
        "invalid type",
        "\"long\"",
        0,
    );
}

#[test]
fn a_duplicate_toml_table_names_the_key_and_its_first_declaration() {
    // The repeated table shares a key with the first: one problem, the table, as in JSON.
    let text = format!("{BASE}\n[services.b]\nfunctions = [\"fb\"]\n[services.b.endpoints.y]\n");
    assert_one(
        &text,
        codes::DUPLICATE,
        "`b` is declared twice in `services`",
        "[services.|b]",
        1,
    );
    assert_eq!(
        errors(&text)[0].help.as_deref(),
        Some("the first is on line 11; TOML allows a key once, so merge or rename them")
    );
}

#[test]
fn duplicate_toml_keys_are_each_reported_where_they_repeat() {
    let text = BASE
        .replace("owner = \"a\"", "owner = \"a\"\nowner = \"b\"")
        .replace("duration_s = 100", "duration_s = 100\n\"duration_s\" = 5");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_located(
        &d[0],
        &text,
        codes::DUPLICATE,
        "`owner` is declared twice in `data_stores.db`",
        "owner",
        1,
    );
    assert_located(
        &d[1],
        &text,
        codes::DUPLICATE,
        "`duration_s` is declared twice in `experiments.e`",
        "\"duration_s\"",
        0,
    );
}

#[test]
fn duplicate_json_keys_are_reported_at_the_repeat() {
    let text = r#"{"name": "t", "services": {"a": {}, "a": {"functions": ["f"]}}}"#;
    let d = load_str(text, Path::new("t.json"), Format::Json, Path::new("."))
        .unwrap_err()
        .diagnostics;
    assert_eq!(d.len(), 1);
    assert_located(
        &d[0],
        text,
        codes::DUPLICATE,
        "`a` is declared twice in `services`",
        "\"a\"",
        1,
    );
}

// ─── limits: maxima at the key ──────────────────────────────────────────────────────────────

#[test]
fn half_open_trial_calls_past_the_breaker_model() {
    let text =
        with_policy("circuit_breaker = { permitted_number_of_calls_in_half_open_state = 129 }");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`permitted_number_of_calls_in_half_open_state` is 129, above its maximum of 128",
        "half_open_state = |129",
        0,
    );
    assert_valid(&with_policy(
        "circuit_breaker = { permitted_number_of_calls_in_half_open_state = 128 }",
    ));
}

#[test]
fn attempts_past_the_policy_model() {
    assert_one(
        &with_policy("retry = { max_attempts = 4294967295 }"),
        codes::OUT_OF_RANGE,
        "`max_attempts` is 4294967295, above its maximum of 100",
        "max_attempts = |4294967295",
        0,
    );
    assert_valid(&with_policy("retry = { max_attempts = 100 }"));
}

#[test]
fn a_duration_past_a_year() {
    let text = BASE.replace("duration_s = 100", "duration_s = 1e300");
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "`duration_s` is 1e300, above its maximum of 31536000",
        "duration_s = |1e300",
        0,
    );
}

#[test]
fn replicas_past_the_simulators_bound() {
    assert_one(
        &format!("{BASE}\n[deployment.b]\nreplicas = 4294967295\n"),
        codes::OUT_OF_RANGE,
        "`replicas` is 4294967295, above its maximum of 10000",
        "replicas = |4294967295",
        0,
    );
}

#[test]
fn a_rate_past_a_million_per_second() {
    assert_one(
        &with_generator("endpoint = \"a.x\", rate_per_s = 1e7"),
        codes::OUT_OF_RANGE,
        "`rate_per_s` is 10000000, above its maximum of 1000000",
        "rate_per_s = |1e7",
        0,
    );
}

#[test]
fn a_two_phase_coordinator_that_is_also_a_participant() {
    assert_one(
        &with_transaction(
            "protocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\", \"a\"]",
        ),
        codes::INCONSISTENT,
        "`a` is the coordinator and also a participant",
        "\"b\", |\"a\"",
        0,
    );
}

#[test]
fn more_participants_than_the_two_phase_model_holds() {
    let mut text = BASE.to_owned();
    let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    for n in &names {
        text.push_str(&format!("[services.{n}]\n"));
    }
    let list = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    text.push_str(&format!(
        "[transactions.t]\nprotocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [{list}]\n"
    ));
    assert_one(
        &text,
        codes::OUT_OF_RANGE,
        "has 12 participants; the 2PC model holds at most 11",
        "participants = |[",
        0,
    );
}

#[test]
fn more_steps_than_the_saga_model_holds() {
    let steps = vec!["{ service = \"b\", action = \"y\" }"; 13].join(", ");
    assert_one(
        &with_transaction(&format!(
            "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{steps}]"
        )),
        codes::OUT_OF_RANGE,
        "has 13 steps; the saga model holds at most 12",
        "steps = |[",
        0,
    );
}

// ─── options that mean nothing where they are written ───────────────────────────────────────

#[test]
fn coordinator_crash_on_a_choreographed_saga() {
    assert_one(
        &with_transaction(
            "protocol = \"saga\"\nstyle = \"choreographed\"\nsteps = [{ service = \"b\", action = \"y\" }]\nfaults = { coordinator_crash = true }",
        ),
        codes::INCONSISTENT,
        "a choreographed saga has no coordinator to crash",
        "|coordinator_crash",
        0,
    );
}

#[test]
fn an_outbox_on_an_orchestrated_saga() {
    assert_one(
        &with_transaction(
            "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\" }]\nfaults = { outbox = \"dual_write\" }",
        ),
        codes::INCONSISTENT,
        "`outbox` applies to choreography",
        "|outbox",
        0,
    );
}

#[test]
fn a_topic_on_an_orchestrated_step() {
    let text = with_transaction(
        "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\", topic = \"t\" }]",
    )
    .replace("[slos.s]", "[topics.t]\n[slos.s]");
    assert_one(
        &text,
        codes::INCONSISTENT,
        "a step's `topic` applies to choreography",
        "|topic = ",
        0,
    );
}

#[test]
fn saga_recoveries_without_their_fault() {
    let saga =
        "protocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{ service = \"b\", action = \"y\" }]";
    assert_one(
        &with_transaction(&format!("{saga}\nfaults = {{ redelivery = true }}")),
        codes::INCONSISTENT,
        "`redelivery` redelivers lost messages, and none are lost",
        "|redelivery",
        0,
    );
    assert_one(
        &with_transaction(&format!("{saga}\nfaults = {{ compensation_retry = true }}")),
        codes::INCONSISTENT,
        "`compensation_retry` retries failed compensations, and none fail",
        "|compensation_retry",
        0,
    );
    assert_valid(&with_transaction(&format!(
        "{saga}\nfaults = {{ message_loss = true, redelivery = true }}"
    )));
}

#[test]
fn two_phase_options_for_a_coordinator_that_never_crashes_or_recovers() {
    let tx = "protocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]";
    assert_one(
        &with_transaction(&format!(
            "{tx}\nfaults = {{ coordinator_crash = \"permanent\", presumed_abort = true }}"
        )),
        codes::INCONSISTENT,
        "`presumed_abort` applies to a coordinator that recovers",
        "|presumed_abort",
        0,
    );
    assert_one(
        &with_transaction(&format!("{tx}\nfaults = {{ participant_timeout = true }}")),
        codes::INCONSISTENT,
        "`participant_timeout` applies while the coordinator is down",
        "|participant_timeout",
        0,
    );
    assert_valid(&with_transaction(&format!(
        "{tx}\nfaults = {{ coordinator_crash = \"recover_with_log\", presumed_abort = true, participant_timeout = true }}"
    )));
}

#[test]
fn a_breaker_implementation_without_a_breaker() {
    assert_one(
        &with_policy("retry = { max_attempts = 3 }\nimplementation = \"no_half_open\""),
        codes::INCONSISTENT,
        "`implementation = \"no_half_open\"` is a circuit breaker's, and this policy has none",
        "|implementation",
        0,
    );
    assert_one(
        &with_policy(
            "circuit_breaker = { sliding_window_size = 2 }\nimplementation = \"breaker_wraps_retry\"",
        ),
        codes::INCONSISTENT,
        "`breaker_wraps_retry` composes a breaker with a retry, and this policy has no retry",
        "|implementation",
        0,
    );
}

#[test]
fn retry_options_without_their_meaning() {
    assert_one(
        &with_policy("retry = { max_attempts = 3, multiplier = 3.0 }"),
        codes::INCONSISTENT,
        "`multiplier` grows exponential waits, and the backoff is fixed",
        "|multiplier",
        0,
    );
    assert_one(
        &with_policy("retry = { max_attempts = 3, retry_on = [\"error\", \"breaker_open\"] }"),
        codes::INCONSISTENT,
        "`breaker_open` retries calls a circuit breaker rejects, and this policy has none",
        "\"error\", |\"breaker_open\"",
        0,
    );
    assert_one(
        &with_policy("retry = { max_attempts = 1, budget = { ratio = 0.2 } }"),
        codes::INCONSISTENT,
        "a retry budget limits retries, and `max_attempts = 1` makes none",
        "|budget",
        0,
    );
    assert_valid(&with_policy(
        "retry = { max_attempts = 3, backoff = \"exponential\", multiplier = 3.0 }",
    ));
}

#[test]
fn expectations_on_endpoints_no_load_reaches() {
    let text = with_experiment("expect = { slos = [\"s\", \"lonely\"] }").replace(
        "[slos.s]",
        "[services.c.endpoints.z]\n[slos.lonely]\nendpoint = \"c.z\"\navailability = 0.9\n[slos.s]",
    );
    assert_one(
        &text,
        codes::INCONSISTENT,
        "SLO `lonely` watches `c.z`, which no load of this experiment reaches",
        "\"s\", |\"lonely\"",
        0,
    );
    // Reached through a call of the loaded endpoint: measured, so meaningful.
    let called = with_experiment("expect = { slos = [\"deep\"] }").replace(
        "[slos.s]",
        "[slos.deep]\nendpoint = \"b.y\"\navailability = 0.9\n[slos.s]",
    );
    assert_valid(&called);
    let alert = with_fault("at_s = 10, crash = \"b\"")
        .replace(
            "[slos.s]",
            "[services.c.endpoints.z]\n[alerts.quiet]\nendpoint = \"c.z\"\nmetric = \"error_rate\"\nabove = 0.1\n[slos.s]",
        )
        .replace(
            "faults = [",
            "expect = { alerts_within_s = { quiet = 30 } }\nfaults = [",
        );
    assert_one(
        &alert,
        codes::INCONSISTENT,
        "alert `quiet` watches `c.z`, which no load of this experiment reaches",
        "|quiet = 30",
        0,
    );
}

#[test]
fn slow_call_settings_a_timeout_makes_unreachable() {
    assert_one(
        &with_policy("timeout_ms = 100\ncircuit_breaker = { slow_call_rate_threshold = 0.5 }"),
        codes::INCONSISTENT,
        "`slow_call_rate_threshold` counts calls slower than 60000 ms, and `timeout_ms = 100` ends every call before that",
        "|slow_call_rate_threshold",
        0,
    );
    assert_valid(&with_policy(
        "timeout_ms = 300\ncircuit_breaker = { slow_call_duration_ms = 200, slow_call_rate_threshold = 0.5 }",
    ));
}

// ── The seed design's options: sequential 2PC prepare, when a saga logs ───────────────────────

#[test]
fn participants_may_vote_no_belongs_to_sequential_prepare() {
    let tpc = |extra: &str| {
        with_transaction(&format!(
            "protocol = \"two_phase_commit\"\ncoordinator = \"a\"\nparticipants = [\"b\"]\n{extra}"
        ))
    };
    assert_valid(&tpc(
        "prepare = \"sequential\"\nparticipants_may_vote_no = true",
    ));
    assert_valid(&tpc("prepare = \"sequential_abort_prepared\""));
    assert_valid(&tpc("prepare = \"parallel\""));
    // Under TwoPhase any participant may vote no: `false` would be a promise left unchecked.
    for value in ["true", "false"] {
        let text = tpc(&format!("participants_may_vote_no = {value}"));
        assert_one(
            &text,
            codes::INCONSISTENT,
            "applies only to sequential prepare",
            "participants_may_vote_no",
            0,
        );
        let help = errors(&text)[0].help.clone().unwrap_or_default();
        assert!(help.contains("prepare = \"sequential\""), "{help}");
    }
    let text = tpc("prepare = \"serial\"");
    assert_value_error(&text, "\"serial\"", "sequential_abort_prepared");
}

/// Among the diagnostics of `text`, one points at `at` and names `choice`. (A bad value inside
/// a transaction may also be reported by serde at the `[transactions.NAME]` header: the loader
/// reads the tagged table whole; that is the loader's, not this option's.)
#[track_caller]
fn assert_value_error(text: &str, at: &str, choice: &str) {
    let offset = text.find(at).unwrap();
    let (line, column) = line_column(text, offset);
    let d = errors(text);
    assert!(
        d.iter().any(|d| {
            d.code == codes::WRONG_TYPE
                && d.message.contains(choice)
                && d.location
                    .as_ref()
                    .is_some_and(|l| (l.line, l.column) == (line, column))
        }),
        "no diagnostic at `{at}` naming `{choice}`: {d:?}"
    );
}

#[test]
fn saga_log_is_a_bool_or_when_and_only_an_orchestrator_keeps_one() {
    // A choreographed saga has no coordinator to crash: only an orchestrated one gets the fault.
    let saga = |head: &str, log: &str| {
        let crash = if head.contains("choreographed") {
            ""
        } else {
            "coordinator_crash = true, "
        };
        with_transaction(&format!(
            "protocol = \"saga\"\n{head}\nsteps = [{{ service = \"b\", action = \"y\" }}]\n\
             faults = {{ {crash}saga_log = {log} }}"
        ))
    };
    for log in ["true", "false", "\"before_step\"", "\"after_step\""] {
        assert_valid(&saga("coordinator = \"a\"", log));
    }
    let loaded = load(&saga("coordinator = \"a\"", "true")).unwrap();
    let crate::Transaction::Saga { faults, .. } = &loaded.scenario.transactions["t"] else {
        panic!("a saga")
    };
    assert_eq!(
        faults.saga_log,
        crate::SagaLog::BeforeStep,
        "true is before_step"
    );
    assert_valid(&saga("style = \"choreographed\"", "false"));
    for log in ["true", "\"after_step\""] {
        let text = saga("style = \"choreographed\"", log);
        assert_one(
            &text,
            codes::INCONSISTENT,
            "a choreographed saga has no coordinator to keep a saga log",
            &format!("saga_log = |{log}"),
            0,
        );
        let help = errors(&text)[0].help.clone().unwrap_or_default();
        assert!(help.contains("remove `saga_log`"), "{help}");
    }
    let text = saga("coordinator = \"a\"", "\"sometimes\"");
    assert_value_error(&text, "\"sometimes\"", "after_step");
}
