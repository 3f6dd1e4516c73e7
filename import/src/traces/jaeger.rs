//! Jaeger's UI/HTTP API JSON model read into raw spans: the query response envelope
//! (`{"data": [trace…]}`), one trace object (`traceID`, `spans`, `processes`), or an array of
//! spans each carrying its `process` (what Jaeger's trace anonymizer writes). Times are
//! microseconds there and are scaled to nanoseconds here.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Pointer, RawSpan, SpanError, hex_id};

#[derive(Deserialize)]
pub(super) struct Envelope {
    #[serde(default)]
    data: Vec<JaegerTrace>,
}

#[derive(Deserialize)]
pub(super) struct JaegerTrace {
    spans: Vec<JaegerSpan>,
    #[serde(default)]
    processes: HashMap<String, Process>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JaegerSpan {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    #[serde(default)]
    references: Vec<Reference>,
    /// Microseconds since the Unix epoch.
    start_time: u64,
    /// Microseconds.
    duration: u64,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default, rename = "processID")]
    process_id: Option<String>,
    #[serde(default)]
    process: Option<Process>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reference {
    ref_type: String,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize)]
struct Tag {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Process {
    service_name: String,
}

/// The spans of every trace in a query response.
pub(super) fn envelope_spans(envelope: Envelope) -> Result<Vec<RawSpan>, SpanError> {
    let mut out = Vec::new();
    for (t, trace) in envelope.data.into_iter().enumerate() {
        out.extend(trace_spans(trace, &Pointer::root().key("data").index(t))?);
    }
    Ok(out)
}

/// The spans of one trace object found at `at`.
pub(super) fn trace_spans(trace: JaegerTrace, at: &Pointer) -> Result<Vec<RawSpan>, SpanError> {
    let spans_at = at.key("spans");
    trace
        .spans
        .into_iter()
        .enumerate()
        .map(|(i, span)| raw_span(span, &trace.processes, spans_at.index(i)))
        .collect()
}

/// The spans of an array of spans with embedded processes.
pub(super) fn span_list_spans(spans: Vec<JaegerSpan>) -> Result<Vec<RawSpan>, SpanError> {
    let none = HashMap::new();
    spans
        .into_iter()
        .enumerate()
        .map(|(i, span)| raw_span(span, &none, Pointer::root().index(i)))
        .collect()
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a Value> {
    tags.iter().find(|t| t.key == key).map(|t| &t.value)
}

fn raw_span(
    span: JaegerSpan,
    processes: &HashMap<String, Process>,
    at: Pointer,
) -> Result<RawSpan, SpanError> {
    let fail = |field: &str, (message, help): (String, String)| (at.key(field), message, help);
    let trace_id = hex_id(&span.trace_id, "trace id", None).map_err(|e| fail("traceID", e))?;
    let span_id = hex_id(&span.span_id, "span id", None).map_err(|e| fail("spanID", e))?;
    let service = match (&span.process, &span.process_id) {
        (Some(process), _) => process.service_name.clone(),
        (None, Some(id)) => match processes.get(id) {
            Some(process) => process.service_name.clone(),
            None => {
                let mut known: Vec<&str> = processes.keys().map(String::as_str).collect();
                known.sort_unstable();
                return Err(fail(
                    "processID",
                    (
                        format!("process `{id}` is not among the trace's processes"),
                        format!("the trace's processes are: {}", known.join(", ")),
                    ),
                ));
            }
        },
        (None, None) => {
            return Err(fail(
                "spanID",
                (
                    format!("span {span_id} names no process"),
                    "a Jaeger span has `processID` (naming one of the trace's `processes`) \
                     or an embedded `process`"
                        .to_string(),
                ),
            ));
        }
    };
    // The parent is the first CHILD_OF reference within the same trace (Jaeger's own rule);
    // a reference into another trace is a link, not a call.
    let mut parent = None;
    for (r, reference) in span.references.iter().enumerate() {
        if reference.ref_type != "CHILD_OF" {
            continue;
        }
        let reference_at = at.key("references").index(r);
        let ref_trace = hex_id(&reference.trace_id, "trace id", None)
            .map_err(|(m, h)| (reference_at.key("traceID"), m, h))?;
        if ref_trace == trace_id {
            parent = Some(
                hex_id(&reference.span_id, "span id", None)
                    .map_err(|(m, h)| (reference_at.key("spanID"), m, h))?,
            );
            break;
        }
    }
    let start_ns = span.start_time.checked_mul(1000);
    let end_ns = span
        .start_time
        .checked_add(span.duration)
        .and_then(|end| end.checked_mul(1000));
    let (Some(start_ns), Some(end_ns)) = (start_ns, end_ns) else {
        return Err(fail(
            "duration",
            (
                format!("span {span_id} ends past the year 2554"),
                "startTime and duration are microseconds".to_string(),
            ),
        ));
    };
    let endpoint = tag(&span.tags, "http.route")
        .or_else(|| tag(&span.tags, "rpc.method"))
        .and_then(Value::as_str)
        .unwrap_or(&span.operation_name)
        .to_string();
    // Jaeger writes bool tags as `true`, and some converters as the string "true".
    let error = matches!(tag(&span.tags, "error"), Some(Value::Bool(true)))
        || tag(&span.tags, "error").and_then(Value::as_str) == Some("true");
    Ok(RawSpan {
        trace_id,
        span_id,
        parent,
        service,
        endpoint,
        start_ns,
        end_ns,
        error,
        pointer: at.key("spanID"),
    })
}
