//! One test per validation rule: each builds a minimal scenario that breaks the rule and asserts
//! the diagnostic's code, message and the line and column it points at.

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

fn load(text: &str) -> Result<crate::LoadedScenario, Vec<Diagnostic>> {
    load_str(text, Path::new("t.toml"), Format::Toml, Path::new(".")).map_err(|e| e.diagnostics)
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match load(text) {
        Ok(_) => panic!("expected errors, the scenario loaded:\n{text}"),
        Err(d) => d,
    }
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
fn unresolved_topic_in_publishes() {
    let text = BASE.replace(
        r#"calls = ["b.y"]"#,
        "calls = [\"b.y\"]\npublishes = [\"evt\"]",
    );
    assert_one(&text, codes::UNRESOLVED, "no topic `evt`", r#""evt""#, 0);
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

#[test]
fn unresolved_data_store() {
    let text = BASE.replace(
        r#"data = { db = "read-write" }"#,
        r#"data = { dbb = "read" }"#,
    );
    assert_one(&text, codes::UNRESOLVED, "no data store `dbb`", "dbb", 0);
}

#[test]
fn unresolved_data_store_owner() {
    let text = BASE.replace(r#"owner = "a""#, r#"owner = "c""#);
    assert_one(&text, codes::UNRESOLVED, "no service `c`", r#""c""#, 0);
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
fn a_saga_has_at_most_one_pivot() {
    let text = format!(
        "{BASE}\n[transactions.pay]\nprotocol = \"saga\"\ncoordinator = \"a\"\nsteps = [{{ service = \"b\", action = \"y\", pivot = true }}, {{ service = \"b\", action = \"y\", pivot = true }}]\n"
    );
    assert_one(&text, codes::INCONSISTENT, "at most one pivot", "true", 2);
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
fn empirical_distribution_needs_samples() {
    let text = BASE.replace(
        r#"work = { dist = "constant", ms = 1 }"#,
        r#"work = { dist = "empirical" }"#,
    );
    assert_one(&text, codes::MISSING_FIELD, "needs samples", "{ dist", 0);
}

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

#[test]
fn a_canary_analysis_threshold_is_a_probability() {
    let text = format!(
        "{BASE}\n[deployment.b]\nstrategy = {{ kind = \"canary\", weights = [10, 100], max_error_rate = 1.5 }}\n"
    );
    assert_one(&text, codes::OUT_OF_RANGE, "max_error_rate", "1.5", 0);
    assert!(load(&text.replace("1.5", "0.05")).is_ok());
}
