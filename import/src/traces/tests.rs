//! Tests of the trace readers: the real example files in the shared data folder, located
//! errors on malformed input, the own-time arithmetic, and a round trip of generated trees.

use std::io::Cursor;
use std::path::PathBuf;

use proptest::prelude::*;

use super::aggregate::own_time;
use super::*;

#[path = "../../tests/support/data.rs"]
mod shared;

/// A file in the shared example architectures, or `None` where they are absent.
fn data(relative: &str) -> Option<PathBuf> {
    Some(shared::architectures()?.join(relative))
}

fn read(relative: &str) -> Option<(Vec<Trace>, Aggregate)> {
    let mut traces = Vec::new();
    let aggregate = read_traces(&data(relative)?, |t| traces.push(t.clone()))
        .unwrap_or_else(|d| panic!("{}", d.render(false)));
    Some((traces, aggregate))
}

fn endpoint(service: &str, name: &str) -> Endpoint {
    Endpoint {
        service: service.to_string(),
        name: name.to_string(),
    }
}

fn read_str(text: &str) -> Result<(Vec<Trace>, Aggregate), Diagnostic> {
    let mut traces = Vec::new();
    let aggregate = read_traces_from(Path::new("t.json"), Cursor::new(text), |t| {
        traces.push(t.clone())
    })?;
    Ok((traces, aggregate))
}

#[test]
fn otlp_example_reads_service_span_times_and_orphan_parent() {
    let Some((traces, aggregate)) = read("otel/trace.json") else {
        return;
    };
    assert_eq!(traces.len(), 1);
    let trace = &traces[0];
    assert_eq!(trace.trace_id, "5b8efff798038103d269b633813fc60c");
    let [span] = &trace.spans[..] else {
        panic!("one span expected: {:?}", trace.spans)
    };
    assert_eq!(span.span_id, "eee19b7ec3c1b174");
    assert_eq!(span.service, "my.service");
    assert_eq!(span.endpoint, "I'm a server span");
    assert_eq!(span.start_ns, 1_544_712_660_000_000_000);
    assert_eq!(span.end_ns, 1_544_712_661_000_000_000);
    assert!(!span.error);
    // The parent EEE19B7EC3C1B173 is not in the file: a root, with a note saying so.
    assert_eq!(span.parent, None);
    assert_eq!(trace.notes.len(), 1);
    assert!(trace.notes[0].message.contains("eee19b7ec3c1b173"));
    // The span's id is on line 31, its value from column 25.
    assert_eq!((span.at.line, span.at.column), (31, 25));
    assert!(span.at.file.ends_with("otel/trace.json"));
    let own = &aggregate.endpoints[&endpoint("my.service", "I'm a server span")].own_time;
    assert_eq!(own.samples_ns, vec![1_000_000_000]);
    assert!(aggregate.edges.is_empty());
}

#[test]
fn jaeger_trace_object_reads_processes_references_and_own_time() {
    let Some((traces, aggregate)) = read("otel/jaeger/ui_01.json") else {
        return;
    };
    assert_eq!(traces.len(), 1);
    let services = aggregate.services();
    assert_eq!(services["service-x"], vec!["test-general-conversion"]);
    assert_eq!(
        services["service-y"],
        vec!["preserveParentID-test", "reference-test", "some-operation"]
    );
    // The second span repeats id 2: dropped with a note, so 4 spans remain.
    assert_eq!(aggregate.spans, 4);
    assert!(traces[0].notes[0].message.contains("appears again"));
    assert_eq!(traces[0].notes[0].at.line, 39);
    let root = endpoint("service-x", "test-general-conversion");
    let reference = endpoint("service-y", "reference-test");
    let edges: Vec<_> = aggregate.edges.keys().cloned().collect();
    assert_eq!(
        edges,
        vec![
            (root.clone(), reference.clone()),
            (root.clone(), endpoint("service-y", "some-operation")),
            // Span 4's first CHILD_OF points into another trace (a link): its parent is the
            // second, span 2.
            (
                reference.clone(),
                endpoint("service-y", "preserveParentID-test")
            ),
        ]
    );
    assert_eq!(aggregate.calls_per_visit(&edges[0]), Some(1.0));
    // Span 2 (0..5 µs) has children 3 and 4, both 0..5 µs: parallel, no own time.
    let root_stats = &aggregate.endpoints[&root];
    assert_eq!(
        (root_stats.parallel_visits, root_stats.sequential_visits),
        (1, 0)
    );
    assert_eq!(root_stats.own_time.samples_ns, vec![0]);
    // Span 4 (0..5 µs) waits on span 5 (0..4 µs): 1 µs of its own.
    assert_eq!(
        aggregate.endpoints[&reference].own_time.samples_ns,
        vec![1_000]
    );
}

#[test]
fn jaeger_query_response_drops_repeated_span_and_keeps_orphan_as_root() {
    let Some((traces, aggregate)) = read("otel/jaeger/otlp2jaeger-out.json") else {
        return;
    };
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].trace_id, "83a9efd15c1c98a977e0711cc93ee28b");
    let [span] = &traces[0].spans[..] else {
        panic!("the repeated span is dropped")
    };
    assert_eq!(
        (span.service.as_str(), span.endpoint.as_str()),
        ("telemetrygen", "okey-dokey-0")
    );
    assert_eq!(span.parent, None);
    assert_eq!(
        (span.start_ns, span.end_ns),
        (1_706_678_909_209_712_000, 1_706_678_909_209_835_000)
    );
    assert_eq!((span.at.line, span.at.column), (8, 21));
    assert_eq!(aggregate.notes.len(), 2, "{:?}", aggregate.notes);
}

#[test]
fn jaeger_span_array_reads_embedded_processes_and_error_tag() {
    let Some((_, aggregate)) = read("otel/jaeger/trace_success.json") else {
        return;
    };
    let server = endpoint("16af988c443cff37", "a071653098f9250d");
    let client = endpoint("3c220036602f839e", "471418097747d04a");
    let edge = &aggregate.edges[&(server.clone(), client.clone())];
    assert_eq!(edge.calls, 1);
    assert_eq!(edge.first_seen.line, 2);
    assert_eq!(aggregate.endpoints[&client].errors, 1);
    assert_eq!(aggregate.endpoints[&server].errors, 0);
    // 267 037 µs minus the child's 32 782 µs, which lies inside it.
    assert_eq!(
        aggregate.endpoints[&server].own_time.samples_ns,
        vec![234_255_000]
    );
}

#[test]
fn own_time_subtracts_the_union_of_children_clipped_to_the_span() {
    // 0..100 with children 10..30 and 20..40 (union 10..40) and 90..120 (clipped to 90..100):
    // 100 − 30 − 10 = 60.
    assert_eq!(own_time(0, 100, &[(10, 30), (20, 40), (90, 120)]), 60);
    assert_eq!(own_time(0, 100, &[(10, 20), (15, 18)]), 90);
    assert_eq!(own_time(50, 60, &[(0, 100)]), 0);
    assert_eq!(own_time(0, 10, &[]), 10);
}

fn otlp_line(service: &str, spans: &[(&str, &str, &str, u64, u64)], extra: &str) -> String {
    let spans: Vec<String> = spans
        .iter()
        .map(|(trace, id, parent, start, end)| {
            format!(
                r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":"op-{id}","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"{start}","endTimeUnixNano":{end}{extra}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

const T1: &str = "0000000000000000000000000000000a";
const T2: &str = "0000000000000000000000000000000b";

#[test]
fn per_line_otlp_hands_over_each_trace_and_counts_calls_per_visit() {
    // Line 1: a root calling `b` twice in sequence and `c` once, overlapping the second `b`.
    // Line 2: another trace whose root calls nothing. Kind as an enum name, end as a number,
    // status as an enum name.
    let line1 = otlp_line(
        "svc",
        &[
            (T1, "0000000000000001", "", 0, 100),
            (T1, "0000000000000002", "0000000000000001", 10, 20),
            (T1, "0000000000000003", "0000000000000001", 30, 50),
            (T1, "0000000000000004", "0000000000000001", 40, 60),
        ],
        r#","status":{"code":"STATUS_CODE_ERROR"}"#,
    )
    .replace("op-0000000000000003", "op-0000000000000002");
    let line2 = otlp_line("svc", &[(T2, "0000000000000001", "", 0, 10)], "");
    let (traces, aggregate) = read_str(&format!("{line1}\n\n{line2}\n")).unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[1].spans[0].at.line, 3);
    let root = endpoint("svc", "op-0000000000000001");
    let b = endpoint("svc", "op-0000000000000002");
    let edge = &aggregate.edges[&(root.clone(), b)];
    assert_eq!(edge.calls, 2);
    assert_eq!(edge.calls_per_visit, [(2, 1)].into_iter().collect());
    let stats = &aggregate.endpoints[&root];
    assert_eq!(stats.visits, 2);
    assert_eq!(stats.errors, 1);
    assert_eq!((stats.parallel_visits, stats.sequential_visits), (1, 0));
    // Root of trace 1: 100 − (10 + 30) = 60; root of trace 2: 10.
    assert_eq!(stats.own_time.samples_ns, vec![60, 10]);
    assert_eq!(stats.own_time.p50(), Some(10));
    assert_eq!(stats.own_time.p99(), Some(60));
}

#[test]
fn children_that_only_touch_ran_in_sequence() {
    let line = otlp_line(
        "svc",
        &[
            (T1, "0000000000000001", "", 0, 100),
            (T1, "0000000000000002", "0000000000000001", 0, 40),
            (T1, "0000000000000003", "0000000000000001", 40, 90),
        ],
        "",
    );
    let (_, aggregate) = read_str(&line).unwrap();
    let stats = &aggregate.endpoints[&endpoint("svc", "op-0000000000000001")];
    assert_eq!((stats.parallel_visits, stats.sequential_visits), (0, 1));
    assert_eq!(stats.own_time.samples_ns, vec![10]);
}

#[test]
fn http_route_names_the_endpoint() {
    let line = otlp_line(
        "web",
        &[(T1, "0000000000000001", "", 0, 1)],
        r#","attributes":[{"key":"http.route","value":{"stringValue":"/users/:id"}}]"#,
    );
    let (traces, _) = read_str(&line).unwrap();
    assert_eq!(traces[0].spans[0].endpoint, "/users/:id");
}

#[test]
fn malformed_json_is_located() {
    let good = otlp_line("svc", &[(T1, "0000000000000001", "", 0, 1)], "");
    let error = read_str(&format!("{good}\n{{\"resourceSpans\": [}}\n")).unwrap_err();
    assert_eq!(error.code, codes::SYNTAX);
    assert_eq!(error.position().as_deref(), Some("t.json:2:20"));
    assert!(!error.message.contains("line 1"), "{}", error.message);
    assert!(error.render(false).contains("t.json:2:20"));
    let error = read_str("{\n  \"data\": [\n    {\"spans\": [}\n").unwrap_err();
    assert_eq!(error.code, codes::SYNTAX);
    assert_eq!(error.position().as_deref(), Some("t.json:3:16"));
}

#[test]
fn wrong_types_and_bad_ids_are_located() {
    let text = "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n  {\"traceId\": \"0a\", \
                \"spanId\": \"0000000000000001\", \"name\": \"x\",\n   \"startTimeUnixNano\": true, \
                \"endTimeUnixNano\": \"1\"}]}]}]}";
    let error = read_str(text).unwrap_err();
    assert_eq!(error.code, codes::WRONG_TYPE);
    assert_eq!(
        error.position().as_deref(),
        Some("t.json:3:25"),
        "{error:?}"
    );
    let text = text.replace("true", "\"0\"");
    let error = read_str(&text).unwrap_err();
    assert!(
        error.message.contains("`0a` is not an id"),
        "{}",
        error.message
    );
    assert_eq!(error.position().as_deref(), Some("t.json:2:15"));
}

#[test]
fn unknown_json_and_empty_files_are_errors() {
    assert_eq!(
        read_str("{\"x\": 1}").unwrap_err().code,
        codes::UNKNOWN_FORMAT
    );
    assert_eq!(read_str("\n \n").unwrap_err().code, codes::EMPTY);
}

/// A generated tree: span `i` (ids from 1) has parent `parents[i]` (an earlier span) and a
/// start and duration.
fn tree() -> impl Strategy<Value = Vec<(Option<usize>, u64, u64)>> {
    prop::collection::vec(
        (any::<prop::sample::Index>(), 0u64..1 << 50, 0u64..1 << 40),
        1..12,
    )
    .prop_map(|spans| {
        spans
            .into_iter()
            .enumerate()
            .map(|(i, (parent, start, duration))| {
                let parent = (i > 0).then(|| parent.index(i));
                (parent, start, start + duration)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn generated_otlp_trees_read_back_unchanged(tree in tree(), trace in 1u128.., split in any::<bool>()) {
        let trace_id = format!("{trace:032X}");
        let id = |i: usize| format!("{:016X}", i + 1);
        let spans: Vec<(String, String, String, u64, u64)> = tree
            .iter()
            .enumerate()
            .map(|(i, (parent, start, end))| {
                (trace_id.clone(), id(i), parent.map(id).unwrap_or_default(), *start, *end)
            })
            .collect();
        let refs: Vec<(&str, &str, &str, u64, u64)> = spans
            .iter()
            .map(|(t, s, p, a, b)| (t.as_str(), s.as_str(), p.as_str(), *a, *b))
            .collect();
        // One request for the whole file, pretty-printed over many lines, or one per line.
        let text = if split {
            serde_json::to_string_pretty(
                &serde_json::from_str::<Value>(&otlp_line("svc", &refs, "")).unwrap(),
            )
            .unwrap()
        } else {
            otlp_line("svc", &refs, "")
        };
        let (traces, _) = read_str(&text).unwrap();
        prop_assert_eq!(traces.len(), 1);
        prop_assert_eq!(&traces[0].trace_id, &trace_id.to_ascii_lowercase());
        prop_assert!(traces[0].notes.is_empty());
        let read: Vec<(String, Option<String>, u64, u64)> = traces[0]
            .spans
            .iter()
            .map(|s| (s.span_id.clone(), s.parent.clone(), s.start_ns, s.end_ns))
            .collect();
        let expected: Vec<(String, Option<String>, u64, u64)> = tree
            .iter()
            .enumerate()
            .map(|(i, (parent, start, end))| {
                (id(i).to_ascii_lowercase(), parent.map(|p| id(p).to_ascii_lowercase()), *start, *end)
            })
            .collect();
        prop_assert_eq!(read, expected);
    }
}
