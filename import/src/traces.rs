//! Traces read into a call graph: OTLP JSON (as the OpenTelemetry Collector's file exporter
//! writes it, one `ExportTraceServiceRequest` per line or one per file) and Jaeger's UI/API
//! JSON (a query response `{"data": [trace…]}`, one trace object, or an array of spans with
//! their process embedded), told apart by content, not by file name. Each span keeps the
//! file, line and column of its id; each trace is handed to the caller as it is read and then
//! folded into an [`Aggregate`]: the endpoints of each service, the call edges between
//! endpoints with how often each occurs per visit of the caller, whether a caller's children
//! ran in sequence or in parallel, and each endpoint's own work time as samples.
//!
//! Streaming: in the per-line format each line is read, folded and dropped, so memory grows
//! with the aggregate, not with the number of traces. A trace whose spans the exporter split
//! over several lines is therefore read as several parts (a part's spans whose parent is on
//! another line become roots, each with a note).
//!
//! Why not the `opentelemetry-proto` crate with its `with-serde` feature: its generated
//! structs deserialize `startTimeUnixNano` as a bare `u64` in the released versions this
//! project could use, rejecting the collector's int64-as-string output
//! (open-telemetry/opentelemetry-rust#1662), accept `kind` and `status.code` only as
//! integers, and bring prost and its code generation into a crate that needs five fields of
//! a span. The hand-written serde structs in `otlp` read exactly the proto3 JSON mapping
//! the collector writes (hex ids, int64 as strings or numbers, enums as integers or names)
//! and ignore every field they do not use.

mod aggregate;
mod jaeger;
mod otlp;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use microcosm_model::diagnostic::{Diagnostic, Location, codes};
use microcosm_model::source::{Pointer, SourceMap, Target};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use aggregate::{Aggregate, EdgeStats, Endpoint, EndpointStats, OwnTime};

/// Where a derived value came from: the file as the caller named it, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The trace file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// One span of a trace, in the terms the call graph needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The span's id, lowercase hex.
    pub span_id: String,
    /// The parent span's id (lowercase hex) when the parent is in the same trace; `None` for a
    /// root, including a span whose parent is missing (see [`Trace::notes`]).
    pub parent: Option<String>,
    /// The service that ran it: the resource's `service.name` (OTLP) or the span's process
    /// (Jaeger).
    pub service: String,
    /// The endpoint: the `http.route` or `rpc.method` attribute where present, else the span
    /// name (OTLP `name`, Jaeger `operationName`).
    pub endpoint: String,
    /// Start, in nanoseconds since the Unix epoch (Jaeger's microseconds scaled).
    pub start_ns: u64,
    /// End, in nanoseconds since the Unix epoch.
    pub end_ns: u64,
    /// Whether the span failed: OTLP `status.code` 2 (`STATUS_CODE_ERROR`) or a Jaeger
    /// `error` tag that is true.
    pub error: bool,
    /// Where the span's id is written.
    pub at: Provenance,
}

/// Something worth knowing about the input that did not stop the reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What was found and what was done about it.
    pub message: String,
    /// Where.
    pub at: Provenance,
}

/// One trace: its spans in file order, with parents resolved within the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The trace id, lowercase hex.
    pub trace_id: String,
    /// The spans, in the order the file lists them.
    pub spans: Vec<Span>,
    /// Spans kept as roots because their parent is missing, and repeated span ids dropped.
    pub notes: Vec<Note>,
}

/// A span as a format reader produces it, before parents are resolved.
struct RawSpan {
    trace_id: String,
    span_id: String,
    parent: Option<String>,
    service: String,
    endpoint: String,
    start_ns: u64,
    end_ns: u64,
    error: bool,
    /// Where the span's id is, in the unit of text it was read from.
    pointer: Pointer,
}

/// Reads the trace file at `path`, calling `on_trace` with each trace as it is read, and
/// returns the aggregate of them all. Malformed input is a located error.
pub fn read_traces(path: &Path, on_trace: impl FnMut(&Trace)) -> Result<Aggregate, Diagnostic> {
    let file = std::fs::File::open(path).map_err(|e| {
        Diagnostic::error(codes::IO, format!("cannot read {}: {e}", path.display()))
    })?;
    read_traces_from(path, std::io::BufReader::new(file), on_trace)
}

/// [`read_traces`] on text from `reader`; `file` names it in provenance and errors.
pub fn read_traces_from(
    file: &Path,
    mut reader: impl BufRead,
    mut on_trace: impl FnMut(&Trace),
) -> Result<Aggregate, Diagnostic> {
    let mut aggregate = Aggregate::default();
    let mut line_no = 0;
    let mut first = String::new();
    // The first non-blank line decides the format: a complete OTLP request on it means one
    // request per line; anything else is one document for the whole file.
    loop {
        first.clear();
        line_no += 1;
        if read_line(file, &mut reader, &mut first, line_no)? == 0 {
            return Err(Diagnostic::error(
                codes::EMPTY,
                format!("{} holds no traces: it is empty", file.display()),
            )
            .with_help("export OTLP JSON (the collector's file exporter) or Jaeger JSON"));
        }
        if !first.trim().is_empty() {
            break;
        }
    }
    let first_is_request = serde_json::from_str::<Value>(&first)
        .ok()
        .is_some_and(|v| v.get("resourceSpans").is_some());
    if first_is_request {
        let mut line = first;
        loop {
            if !line.trim().is_empty() {
                let unit = Unit::new(file, &line, line_no);
                unit.read(&mut aggregate, &mut on_trace)?;
            }
            line.clear();
            line_no += 1;
            if read_line(file, &mut reader, &mut line, line_no)? == 0 {
                return Ok(aggregate);
            }
        }
    }
    // The lines before the first non-blank one were blank: keep them so lines and columns
    // count from the top of the file.
    let mut text = "\n".repeat(line_no - 1) + &first;
    reader.read_to_string(&mut text).map_err(|e| {
        Diagnostic::error(
            codes::NOT_TEXT,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    Unit::new(file, &text, 1).read(&mut aggregate, &mut on_trace)?;
    Ok(aggregate)
}

fn read_line(
    file: &Path,
    reader: &mut impl BufRead,
    line: &mut String,
    line_no: usize,
) -> Result<usize, Diagnostic> {
    reader.read_line(line).map_err(|e| {
        Diagnostic::error(
            codes::NOT_TEXT,
            format!("cannot read line {line_no} of {}: {e}", file.display()),
        )
    })
}

/// One JSON document: a line of the per-line format or the whole file.
struct Unit<'a> {
    file: &'a Path,
    text: Arc<str>,
    /// The file's line the text starts on.
    first_line: usize,
}

impl<'a> Unit<'a> {
    fn new(file: &'a Path, text: &str, first_line: usize) -> Unit<'a> {
        Unit {
            file,
            text: Arc::from(text),
            first_line,
        }
    }

    fn read(
        &self,
        aggregate: &mut Aggregate,
        on_trace: &mut impl FnMut(&Trace),
    ) -> Result<(), Diagnostic> {
        let value: Value = serde_json::from_str(&self.text).map_err(|e| self.syntax_error(&e))?;
        let map = SourceMap::from_json(&self.text).map(|(map, _)| map);
        let spans = if value.get("resourceSpans").is_some() {
            otlp::spans(self.typed::<otlp::Request>(&value, map.as_ref())?)
        } else if value.get("data").is_some() {
            jaeger::envelope_spans(self.typed(&value, map.as_ref())?)
        } else if value.get("spans").is_some() {
            jaeger::trace_spans(self.typed(&value, map.as_ref())?, &Pointer::root())
        } else if value.is_array() {
            jaeger::span_list_spans(self.typed(&value, map.as_ref())?)
        } else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_FORMAT,
                "this JSON is neither OTLP traces nor Jaeger traces",
            )
            .with_help(
                "expected an object with `resourceSpans` (OTLP), an object with `data` or \
                 `spans` (Jaeger), or an array of Jaeger spans",
            )
            .at(self.location(0..0)));
        };
        let spans = spans.map_err(|(pointer, message, help)| {
            let span = map
                .as_ref()
                .map_or(0..0, |m| m.span(&pointer, Target::Value));
            Diagnostic::error(codes::WRONG_TYPE, message)
                .with_help(help)
                .at(self.location(span))
        })?;
        for trace in self.group(spans, map.as_ref()) {
            on_trace(&trace);
            aggregate.add(&trace);
        }
        Ok(())
    }

    /// Deserializes `value` as `T`, locating a type error at the path where it occurred.
    fn typed<T: DeserializeOwned>(
        &self,
        value: &Value,
        map: Option<&SourceMap>,
    ) -> Result<T, Diagnostic> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let mut pointer = Pointer::root();
            for segment in e.path().iter() {
                pointer = match segment {
                    serde_path_to_error::Segment::Seq { index } => pointer.index(*index),
                    serde_path_to_error::Segment::Map { key } => pointer.key(key.clone()),
                    _ => pointer,
                };
            }
            let span = map.map_or(0..0, |m| m.span(&pointer, Target::Value));
            Diagnostic::error(codes::WRONG_TYPE, format!("at {}: {}", e.path(), e.inner()))
                .with_help("the OTLP JSON mapping or Jaeger's JSON model gives each field's type")
                .at(self.location(span))
        })
    }

    fn syntax_error(&self, e: &serde_json::Error) -> Diagnostic {
        // serde_json counts lines and columns from 1; turn them back into a byte offset so the
        // location carries a span like every other diagnostic.
        let offset = self
            .text
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        let offset = offset.min(self.text.len());
        // serde_json ends its message with the position within this unit, which for a line
        // of the per-line format is not the file's line; the location says where instead.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        Diagnostic::error(codes::SYNTAX, format!("malformed JSON: {message}"))
            .with_help("trace files are JSON: OTLP (one request per line or per file) or Jaeger")
            .at(self.location(offset..offset))
    }

    fn location(&self, span: std::ops::Range<usize>) -> Location {
        let mut location = Location::new(self.file, self.text.clone(), span);
        location.line += self.first_line - 1;
        location
    }

    fn provenance(&self, pointer: &Pointer, map: Option<&SourceMap>) -> Provenance {
        let span = map.map_or(0..0, |m| m.span(pointer, Target::Value));
        let location = self.location(span);
        Provenance {
            file: self.file.to_path_buf(),
            line: location.line,
            column: location.column,
        }
    }

    /// Groups spans by trace (in order of first appearance) and resolves parents within each.
    fn group(&self, spans: Vec<RawSpan>, map: Option<&SourceMap>) -> Vec<Trace> {
        let mut order: Vec<Trace> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut parents: Vec<Vec<Option<String>>> = Vec::new();
        for raw in spans {
            let at = self.provenance(&raw.pointer, map);
            let i = *index.entry(raw.trace_id.clone()).or_insert_with(|| {
                order.push(Trace {
                    trace_id: raw.trace_id.clone(),
                    spans: Vec::new(),
                    notes: Vec::new(),
                });
                parents.push(Vec::new());
                order.len() - 1
            });
            let trace = &mut order[i];
            if trace.spans.iter().any(|s| s.span_id == raw.span_id) {
                // Jaeger's own fixtures repeat span ids; a call graph cannot tell the copies'
                // children apart, so the first one stands.
                trace.notes.push(Note {
                    message: format!(
                        "span id {} appears again in trace {}; this copy is dropped",
                        raw.span_id, raw.trace_id
                    ),
                    at,
                });
                continue;
            }
            parents[i].push(raw.parent);
            trace.spans.push(Span {
                span_id: raw.span_id,
                parent: None,
                service: raw.service,
                endpoint: raw.endpoint,
                start_ns: raw.start_ns,
                end_ns: raw.end_ns,
                error: raw.error,
                at,
            });
        }
        for (trace, parents) in order.iter_mut().zip(parents) {
            let ids: std::collections::HashSet<String> =
                trace.spans.iter().map(|s| s.span_id.clone()).collect();
            for (span, parent) in trace.spans.iter_mut().zip(parents) {
                let Some(parent) = parent else { continue };
                if ids.contains(&parent) {
                    span.parent = Some(parent);
                } else {
                    trace.notes.push(Note {
                        message: format!(
                            "span {} ({}) names parent {parent}, which is not in trace {}; \
                             it is kept as a root",
                            span.span_id, span.endpoint, trace.trace_id
                        ),
                        at: span.at.clone(),
                    });
                }
            }
        }
        order
    }
}

/// Lowercase hex of a span or trace id, or why it is not one. `len` is the required number of
/// hex digits, if the format fixes it.
fn hex_id(id: &str, what: &str, len: Option<usize>) -> Result<String, (String, String)> {
    let ok = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && len.is_none_or(|n| id.len() == n);
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        let digits = len.map_or("hex digits".to_string(), |n| format!("{n} hex digits"));
        Err((
            format!("{what} `{id}` is not an id"),
            format!(
                "a {what} is {digits}, e.g. `{}`",
                "5b8efff798038103d269b633813fc60c"
                    .get(..len.unwrap_or(16))
                    .unwrap_or("")
            ),
        ))
    }
}

/// An error from a format reader: where (within the unit), what, and what would be right.
type SpanError = (Pointer, String, String);

#[cfg(test)]
mod tests;
