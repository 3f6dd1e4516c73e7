//! OTLP JSON: the proto3 JSON mapping of `ExportTraceServiceRequest` as the OpenTelemetry
//! Collector writes it, read into raw spans. Only the fields the call graph uses are declared;
//! the rest are ignored, so newer collectors' additions do not break reading.

use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

use super::{Pointer, RawSpan, SpanError, hex_id};

/// `ExportTraceServiceRequest` (and `TracesData`, which has the same JSON shape).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Request {
    #[serde(default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Resource,
    // Collectors before the 2022 rename wrote `instrumentationLibrarySpans`.
    #[serde(default, alias = "instrumentationLibrarySpans")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<OtlpSpan>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    trace_id: String,
    span_id: String,
    #[serde(default)]
    parent_span_id: String,
    name: String,
    #[serde(deserialize_with = "int64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "int64")]
    end_time_unix_nano: u64,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    status: Status,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: AnyValue,
}

/// `AnyValue`: only strings matter here (`service.name`, `http.route`, `rpc.method`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue {
    string_value: Option<String>,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default, deserialize_with = "status_is_error")]
    code: bool,
}

/// An int64 field: a decimal string per the proto3 JSON mapping, or a plain number.
fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => s
            .parse()
            .map_err(|_| D::Error::custom(format!("`{s}` is not a time in nanoseconds"))),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("{n} is not a time in nanoseconds"))),
        other => Err(D::Error::custom(format!(
            "expected nanoseconds as a decimal string or a number, found {other}"
        ))),
    }
}

/// `status.code`: 0/1/2 or `STATUS_CODE_UNSET`/`_OK`/`_ERROR`; true for an error.
fn status_is_error<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) if n.as_u64().is_some_and(|c| c <= 2) => Ok(n.as_u64() == Some(2)),
        Value::String(s) if s == "STATUS_CODE_UNSET" || s == "STATUS_CODE_OK" => Ok(false),
        Value::String(s) if s == "STATUS_CODE_ERROR" => Ok(true),
        other => Err(D::Error::custom(format!(
            "unknown status code {other}: expected 0, 1, 2 or STATUS_CODE_UNSET, \
             STATUS_CODE_OK, STATUS_CODE_ERROR"
        ))),
    }
}

fn string_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.string_value.as_deref())
}

/// The request's spans, with their service and endpoint, each pointing at its `spanId`.
pub(super) fn spans(request: Request) -> Result<Vec<RawSpan>, SpanError> {
    let mut out = Vec::new();
    for (r, resource_spans) in request.resource_spans.into_iter().enumerate() {
        let service = string_attribute(&resource_spans.resource.attributes, "service.name")
            // The SDKs' own default when no service name is configured.
            .unwrap_or("unknown_service")
            .to_string();
        for (s, scope) in resource_spans.scope_spans.into_iter().enumerate() {
            for (i, span) in scope.spans.into_iter().enumerate() {
                let at = Pointer::root()
                    .key("resourceSpans")
                    .index(r)
                    .key("scopeSpans")
                    .index(s)
                    .key("spans")
                    .index(i);
                let fail =
                    |field: &str, (message, help): (String, String)| (at.key(field), message, help);
                let trace_id =
                    hex_id(&span.trace_id, "trace id", Some(32)).map_err(|e| fail("traceId", e))?;
                let span_id =
                    hex_id(&span.span_id, "span id", Some(16)).map_err(|e| fail("spanId", e))?;
                let parent = if span.parent_span_id.is_empty() {
                    None
                } else {
                    Some(
                        hex_id(&span.parent_span_id, "span id", Some(16))
                            .map_err(|e| fail("parentSpanId", e))?,
                    )
                };
                if span.end_time_unix_nano < span.start_time_unix_nano {
                    return Err(fail(
                        "endTimeUnixNano",
                        (
                            format!(
                                "span {span_id} ends ({}) before it starts ({})",
                                span.end_time_unix_nano, span.start_time_unix_nano
                            ),
                            "endTimeUnixNano is at or after startTimeUnixNano".to_string(),
                        ),
                    ));
                }
                let endpoint = string_attribute(&span.attributes, "http.route")
                    .or_else(|| string_attribute(&span.attributes, "rpc.method"))
                    .unwrap_or(&span.name)
                    .to_string();
                out.push(RawSpan {
                    trace_id,
                    span_id,
                    parent,
                    service: service.clone(),
                    endpoint,
                    start_ns: span.start_time_unix_nano,
                    end_ns: span.end_time_unix_nano,
                    error: span.status.code,
                    pointer: at.key("spanId"),
                });
            }
        }
    }
    Ok(out)
}
