//! The structural check's cases: each a small document and the issues it must give, at their
//! spans. Moved out of `structure.rs` unchanged, so that file holds the walk and its account of
//! why it is hand-written; the loader's own cases are in `model/tests/`.

use super::*;
use crate::schema::scenario_schema;

fn issues_toml(text: &str) -> Vec<Issue> {
    let map = SourceMap::from_toml(text).expect("parses");
    let mut issues = check(&map, scenario_schema(), Format::Toml);
    issues.sort_by_key(|i| i.span.start);
    issues
}

fn issues_json(text: &str) -> Vec<Issue> {
    let (map, _) = SourceMap::from_json(text).expect("parses");
    let mut issues = check(&map, scenario_schema(), Format::Json);
    issues.sort_by_key(|i| i.span.start);
    issues
}

fn at<'t>(text: &'t str, issue: &Issue) -> &'t str {
    &text[issue.span.clone()]
}

#[test]
fn every_bundled_scenario_and_the_starter_fit_the_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = vec![root.join("src/starter.toml")];
    for dir in ["scenarios", "scenarios/gallery"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                paths.push(path);
            }
        }
    }
    assert!(paths.len() > 10);
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(issues_toml(&text), [], "{}", path.display());
    }
}

#[test]
fn an_array_where_a_table_belongs_is_a_wrong_type() {
    let text = "name = \"x\"\n[services.a]\nresources = [1, 2]\n[services.a.endpoints.e]\nwork = [\"lognormal\", 1, 2]\n";
    let issues = issues_toml(text);
    assert_eq!(issues.len(), 2, "{issues:?}");
    for (issue, value) in issues.iter().zip(["[1, 2]", "[\"lognormal\", 1, 2]"]) {
        assert_eq!(issue.code, codes::WRONG_TYPE);
        assert!(
            issue.message.contains("expected a table, found an array"),
            "{issue:?}"
        );
        assert_eq!(at(text, issue), value);
    }
    assert!(issues[0].help.as_deref().unwrap().contains("`cpu_millis`"));
}

#[test]
fn a_whole_document_that_is_an_array_is_refused() {
    let text = r#"[null, "t", null, {"a": {}}]"#;
    let issues = issues_json(text);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].span, 0..text.len());
    assert!(
        issues[0]
            .message
            .contains("expected a table, found an array")
    );
}

#[test]
fn arrays_stay_fine_where_the_schema_takes_them() {
    let text = r#"name = "x"
[services.a.endpoints.e]
calls = ["b.f", ["b.g", { endpoint = "b.h", probability = 0.5 }]]
[services.b.endpoints.f]
[services.b.endpoints.g]
[services.b.endpoints.h]
"#;
    assert_eq!(issues_toml(text), []);
}

#[test]
fn every_unknown_key_is_reported_with_a_suggestion() {
    let text = "name = \"x\"\nnmae = 1\n[services.a]\nfunctons = []\n";
    let issues = issues_toml(text);
    let found: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| (at(text, i), i.help.as_deref().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("nmae", "did you mean `name`?"),
            ("functons", "did you mean `functions`?")
        ]
    );
    assert!(issues.iter().all(|i| i.code == codes::UNKNOWN_FIELD));
}

#[test]
fn a_tagged_table_is_checked_against_the_kind_it_names() {
    let text = "name = \"x\"\n[services.a.endpoints.e]\nwork = { dist = \"lognormal\", p50_ms = \"1\", p99 = 2 }\n";
    let issues = issues_toml(text);
    let found: Vec<(&str, &str)> = issues.iter().map(|i| (i.code, at(text, i))).collect();
    assert_eq!(
        found,
        [
            (
                codes::MISSING_FIELD,
                r#"{ dist = "lognormal", p50_ms = "1", p99 = 2 }"#
            ),
            (codes::WRONG_TYPE, "\"1\""),
            (codes::UNKNOWN_FIELD, "p99"),
        ]
    );
    assert_eq!(issues[0].message, "missing field `p99_ms`");
}

#[test]
fn an_unknown_tag_or_enumeration_value_suggests_the_closest() {
    let text = "name = \"x\"\n[services.a]\nstate = \"statefull\"\n[services.a.endpoints.e]\nwork = { dist = \"constnat\", ms = 1 }\n";
    let issues = issues_toml(text);
    let found: Vec<(&str, Option<&str>)> = issues
        .iter()
        .map(|i| (at(text, i), i.help.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("\"statefull\"", Some("did you mean `stateful`?")),
            ("\"constnat\"", Some("did you mean `constant`?")),
        ]
    );
    assert!(issues[0].message.starts_with("unknown variant `statefull`"));
}

#[test]
fn every_integer_out_of_its_range_is_reported() {
    // Three out-of-range counts and an unknown key: all four at once, each at its value, each
    // count worded with its key's range (`cpu_millis` 1 to 10,000,000), not its type's.
    let text = "name = \"x\"\n[services.a]\nresources = { cpu_millis = 5000000000, memory_mib = -1 }\nbogus = 2\n[deployment.a]\nreplicas = -3\n";
    let found = issues_toml(text);
    let at = |needle: &str| {
        let start = text.find(needle).unwrap();
        start..start + needle.len()
    };
    let ranges: Vec<(Range<usize>, &str)> = found
        .iter()
        .filter(|i| i.code == codes::OUT_OF_RANGE)
        .map(|i| (i.span.clone(), i.message.as_str()))
        .collect();
    assert_eq!(
        ranges,
        vec![
            (
                at("5000000000"),
                "`5000000000` is out of range: the most allowed is 10000000"
            ),
            (at("-1"), "`-1` is out of range: the least allowed is 1"),
            (at("-3"), "`-3` is out of range: the least allowed is 1"),
        ]
    );
    assert!(found.iter().any(|i| i.code == codes::UNKNOWN_FIELD));
}

#[test]
fn integers_are_numbers_but_floats_are_not_integers() {
    let ok = "name = \"x\"\n[policies.\"a -> b\"]\ntimeout_ms = 100\n";
    assert_eq!(issues_toml(ok), []);
    let text = "name = \"x\"\n[services.a]\nresources = { cpu_millis = 1.0 }\n";
    let issues = issues_toml(text);
    assert_eq!(issues.len(), 1);
    assert_eq!(at(text, &issues[0]), "1.0");
    assert_eq!(
        issues[0].message,
        "invalid type: expected an integer, found a float"
    );
}

#[test]
fn json_null_is_absent_only_where_the_type_says_so() {
    let ok = r#"{"name": "x", "description": null}"#;
    assert_eq!(issues_json(ok), []);
    let text = r#"{"name": "x", "services": null}"#;
    let issues = issues_json(text);
    assert_eq!(issues.len(), 1);
    assert_eq!(at(text, &issues[0]), "null");
}

#[test]
fn a_number_written_as_a_string_with_a_unit_is_shown_as_the_number_to_write() {
    let policy = |line: &str| {
        format!("name = \"x\"\n[policies.\"a -> b\"]\n{line}\n[experiments.e]\nduration_s = 1\n")
    };
    let resources =
        |inner: &str| format!("name = \"x\"\n[services.a]\nresources = {{ {inner} }}\n");
    let cases = [
        (
            policy("timeout_ms = \"200ms\""),
            "write `timeout_ms = 200`: a number, in the unit the key's name gives (milliseconds)",
        ),
        (
            policy("timeout_ms = \"2s\""),
            "write `timeout_ms = 2000`: a number, in the unit the key's name gives (milliseconds)",
        ),
        (
            policy("timeout_ms = \"200\""),
            "write `timeout_ms = 200`: a number, in the unit the key's name gives (milliseconds)",
        ),
        (
            policy("deadline_ms = \"1.5 min\""),
            "write `deadline_ms = 90000`: a number, in the unit the key's name gives (milliseconds)",
        ),
        (
            "name = \"x\"\n[experiments.e]\nduration_s = \"5m\"\n".to_owned(),
            "write `duration_s = 300`: a number, in the unit the key's name gives (seconds)",
        ),
        (
            resources("memory_mib = \"1Gi\""),
            "write `memory_mib = 1024`: a number, in the unit the key's name gives (MiB)",
        ),
        (
            resources("cpu_millis = \"500m\""),
            "write `cpu_millis = 500`: a number, in the unit the key's name gives (millicores)",
        ),
        (
            resources("cpu_millis = \"2\""),
            "write `cpu_millis = 2000`: a number, in the unit the key's name gives (millicores)",
        ),
    ];
    let mut failed = Vec::new();
    for (text, help) in &cases {
        let issues = issues_toml(text);
        let got: Vec<Option<&str>> = issues.iter().map(|i| i.help.as_deref()).collect();
        if !got.contains(&Some(*help)) {
            failed.push(format!("{text}\n  gave {got:?}"));
        }
    }
    // A unit nothing reads keeps the schema's help, rather than guessing.
    let unknown = issues_toml(&policy("timeout_ms = \"200 parsecs\""));
    assert!(
        unknown.iter().all(|i| !i
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("write `timeout_ms")),
        "{unknown:?}"
    );
    let json =
        issues_json("{\"name\": \"x\", \"policies\": {\"a -> b\": {\"timeout_ms\": \"200ms\"}}}");
    assert!(
        json.iter().any(|i| i.help.as_deref() == Some("write `\"timeout_ms\": 200`: a number, in the unit the key's name gives (milliseconds)")),
        "{json:?}"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
