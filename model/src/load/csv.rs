//! The CSV inputs: the records of a CSV text with each field's span, the scenario's CSV
//! references (empirical latency samples, rate steps, the monolith's calls and data accesses)
//! read into it, and the monolith call and data-access readers that `propose --calls/--data`
//! share ([`crate::analysis::input`]). Called by [`super::load_str`]; reads files through
//! [`super::read`]. Separate because CSV is a second file format with its own headers and row
//! errors, and the monolith readers serve the analysis as well as the loader.
//!
//! A numeric CSV's columns are found by name, never by guess: a header names the duration (or
//! the step's time and rate) and its unit (`latency_ms`, `duration_s`, `at_s`, `rpm`), and the
//! unit converts the values. Only a file of one column (samples) or two (steps) may go
//! without a header. A `ts,duration` file was once read as epoch timestamps in milliseconds.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::read::read_text;
use crate::diagnostic::{Diagnostic, Location, codes};
use crate::scenario::*;
use crate::source::{LineIndex, Pointer, Segment, SourceMap, Target};

/// A CSV field with its byte range in the file.
type Field = (String, Range<usize>);

/// A CSV record: its 1-based line and its fields.
type Record = (usize, Vec<Field>);

/// A CSV text's records as (1-based line, fields with their byte ranges), skipping blank
/// lines and `#` comments; a header row is the caller's to recognise. Shared by the scenario's
/// CSV inputs and `propose --calls/--data`.
fn csv_records(text: &str) -> Vec<Record> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let (mut line, mut counted_to) = (1, 0);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => continue,
        }
        let Some(pos) = record.position() else {
            continue;
        };
        // The csv crate reports where it started reading, which is before any comment or
        // blank lines it skipped: step over those to the record's own line.
        let mut start = (pos.byte() as usize).min(text.len());
        loop {
            let rest = &text[start..];
            let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest[..line_end].trim();
            if (line.is_empty() || line.starts_with('#')) && line_end < rest.len() {
                start += line_end;
            } else {
                break;
            }
        }
        let line_text = &text[start..];
        let line_len = line_text.find('\n').unwrap_or(line_text.len());
        let line_text = &line_text[..line_len];
        let mut fields = Vec::new();
        let mut cursor = 0;
        for field in record.iter() {
            let found = line_text[cursor..].find(field).map(|i| cursor + i);
            let span = match found {
                Some(at) => {
                    cursor = at + field.len();
                    start + at..start + at + field.len()
                }
                // Quoting changed the field's text: point at the rest of the line.
                None => start + cursor..start + line_len,
            };
            fields.push((field.to_owned(), span));
        }
        if fields.iter().all(|(f, _)| f.is_empty()) {
            continue;
        }
        // Records come in file order: count only the newlines since the previous one, or a
        // file of 100,000 calls would be rescanned from the top 100,000 times.
        line += text[counted_to..start].matches('\n').count();
        counted_to = start;
        out.push((line, fields));
    }
    out
}

/// The access mode a CSV cell names: `read`/`r`, `write`/`w`, `read-write`/`rw`.
fn access_mode(cell: &str) -> Option<Access> {
    match cell.to_ascii_lowercase().as_str() {
        "read" | "r" => Some(Access::Read),
        "write" | "w" => Some(Access::Write),
        "read-write" | "rw" | "read_write" => Some(Access::ReadWrite),
        _ => None,
    }
}

/// A CSV file read for the scenario.
struct Csv {
    path: PathBuf,
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

/// Where the values read from CSV files came from: the scenario place each value went to (a
/// sample, a step, a step's time or rate) and its span in the file, so that validation's
/// findings on those values point at the CSV's row rather than at the key that named the
/// file. The files are kept once each; the places index them.
#[derive(Default)]
pub(super) struct CsvOrigins {
    files: Vec<(PathBuf, Arc<str>, Arc<LineIndex>)>,
    places: HashMap<Pointer, (usize, Range<usize>)>,
}

impl CsvOrigins {
    fn file(&mut self, csv: &Csv) -> usize {
        self.files
            .push((csv.path.clone(), csv.text.clone(), csv.lines.clone()));
        self.files.len() - 1
    }

    /// Where the most specific place at or above `pointer` that came from a CSV was written.
    pub(super) fn locate(&self, pointer: &Pointer) -> Option<Location> {
        let mut prefix = Pointer::root();
        let mut found = self.places.get(&prefix);
        for segment in pointer.segments() {
            prefix = match segment {
                Segment::Key(k) => prefix.key(k.clone()),
                Segment::Index(i) => prefix.index(*i),
            };
            found = self.places.get(&prefix).or(found);
        }
        let (file, span) = found?;
        let (path, text, lines) = &self.files[*file];
        Some(Location::indexed(
            path.clone(),
            text.clone(),
            span.clone(),
            lines,
        ))
    }
}

impl Csv {
    fn read(
        reference: &str,
        base_dir: &Path,
        at: Location,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Csv> {
        let path = base_dir.join(reference);
        match read_text(&path, "the CSV file") {
            Ok(text) => Some(Csv {
                path,
                lines: Arc::new(LineIndex::new(&text)),
                text: Arc::from(text),
            }),
            Err(mut d) => {
                d.location = Some(Box::new(at.with_label("referenced here")));
                diagnostics.push(d);
                None
            }
        }
    }

    /// The file's records (see [`csv_records`]).
    fn records(&self) -> Vec<Record> {
        csv_records(&self.text)
    }

    fn error(&self, span: Range<usize>, message: String, help: &str) -> Diagnostic {
        Diagnostic::error(codes::CSV, message)
            .with_help(help)
            .at(Location::indexed(
                self.path.clone(),
                self.text.clone(),
                span,
                &self.lines,
            ))
    }
}

/// Parses a non-negative number in a CSV field.
fn csv_number(csv: &Csv, field: &Field, what: &str) -> Result<f64, Diagnostic> {
    match field.0.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(csv.error(
            field.1.clone(),
            format!("`{}` is not a {what}", field.0),
            "give a number, zero or more",
        )),
    }
}

/// Reads the CSV files a scenario references into it, so a loaded scenario is self-contained
/// (and serialises to a file that needs no CSV beside it).
pub(super) fn resolve_csv_files(
    scenario: &mut Scenario,
    base_dir: &Path,
    map: &SourceMap,
    at: &dyn Fn(Range<usize>) -> Location,
    diagnostics: &mut Vec<Diagnostic>,
    origins: &mut CsvOrigins,
) {
    let locate = |p: &Pointer| at(map.span(p, Target::Value));

    let mut distributions: Vec<(Pointer, &mut Distribution)> = Vec::new();
    for (s, svc) in scenario.services.iter_mut() {
        for (e, ep) in svc.endpoints.iter_mut() {
            let p = Pointer::root()
                .key("services")
                .key(s)
                .key("endpoints")
                .key(e)
                .key("work");
            distributions.push((p, &mut ep.work));
        }
    }
    for (p, d) in distributions {
        if let Distribution::Empirical { csv, samples_ms } = d
            && let Some(file) = csv.take()
        {
            if !samples_ms.is_empty() {
                // An exported, self-contained scenario carries both; its samples win.
                continue;
            }
            let Some(data) = Csv::read(&file, base_dir, locate(&p.key("csv")), diagnostics) else {
                *csv = Some(file);
                continue;
            };
            let records = data.records();
            let column = match samples_column(&data, records.first()) {
                Ok(column) => column,
                Err(d) => {
                    diagnostics.push(d);
                    // The cause is reported; "holds no samples" would be its echo.
                    *csv = Some(file);
                    continue;
                }
            };
            let file_index = origins.file(&data);
            for (_, fields) in records.iter().skip(usize::from(column.header)) {
                match column.read(&data, fields) {
                    Ok(x) => {
                        let place = p.key("samples_ms").index(samples_ms.len());
                        let span = fields[column.index].1.clone();
                        origins.places.insert(place, (file_index, span));
                        samples_ms.push(x);
                    }
                    Err(d) => diagnostics.push(d),
                }
            }
            // Only a file with no rows at all: a file of bad rows has said so row by row.
            if records.len() == usize::from(column.header) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::CSV,
                        format!("{} holds no samples", data.path.display()),
                    )
                    .at(locate(&p.key("csv"))),
                );
            }
            if samples_ms.is_empty() {
                // Kept, so validation does not echo the file's problems as "an empirical
                // distribution needs samples".
                *csv = Some(file);
            }
        }
    }

    for (name, experiment) in scenario.experiments.iter_mut() {
        for (i, load) in experiment.load.iter_mut().enumerate() {
            let Some(file) = load.steps_csv.take() else {
                continue;
            };
            let load_at = Pointer::root()
                .key("experiments")
                .key(name)
                .key("load")
                .index(i);
            let p = load_at.key("steps_csv");
            let Some(data) = Csv::read(&file, base_dir, locate(&p), diagnostics) else {
                load.steps_csv = Some(file);
                continue;
            };
            let records = data.records();
            let columns = match step_columns(&data, records.first()) {
                Ok(columns) => columns,
                Err(d) => {
                    diagnostics.push(d);
                    // Kept, so validation knows the steps come from a file that failed, and
                    // does not echo the cause as "a `step` load needs `steps`".
                    load.steps_csv = Some(file);
                    continue;
                }
            };
            let file_index = origins.file(&data);
            let steps_at = load_at.key("steps");
            for (_, fields) in records.iter().skip(usize::from(columns.header)) {
                let at_s = columns.at.read(&data, fields);
                let rate = columns.rate.read(&data, fields);
                match (at_s, rate) {
                    (Ok(at_s), Ok(rate_per_s)) => {
                        let step = steps_at.index(load.steps.len());
                        for (place, span) in [
                            (step.clone(), record_span(fields)),
                            (step.key("at_s"), fields[columns.at.index].1.clone()),
                            (step.key("rate_per_s"), fields[columns.rate.index].1.clone()),
                        ] {
                            origins.places.insert(place, (file_index, span));
                        }
                        load.steps.push(RateStep { at_s, rate_per_s })
                    }
                    (a, b) => diagnostics.extend(a.err().into_iter().chain(b.err())),
                }
            }
            // Only a file with no rows at all: a file of bad rows has said so row by row.
            if records.len() == usize::from(columns.header) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::CSV,
                        format!("{} holds no rate steps", data.path.display()),
                    )
                    .with_help("write one `at_s,rate_per_s` row per step")
                    .at(locate(&p)),
                );
            }
            if load.steps.is_empty() {
                // As above: the file's problems are reported, not their echo.
                load.steps_csv = Some(file);
            }
        }
    }

    if let Some(monolith) = scenario.monolith.as_mut() {
        if let Some(file) = monolith.calls_csv.take() {
            let p = Pointer::root().key("monolith").key("calls_csv");
            match Csv::read(&file, base_dir, locate(&p), diagnostics) {
                Some(data) => read_calls_csv(&data.text, monolith, &mut |span, message, help| {
                    diagnostics.push(data.error(span, message, help));
                }),
                None => monolith.calls_csv = Some(file),
            }
        }
        if let Some(file) = monolith.data_csv.take() {
            let p = Pointer::root().key("monolith").key("data_csv");
            match Csv::read(&file, base_dir, locate(&p), diagnostics) {
                Some(data) => {
                    read_accesses_csv(&data.text, monolith, &mut |span, message, help| {
                        diagnostics.push(data.error(span, message, help));
                    })
                }
                None => monolith.data_csv = Some(file),
            }
        }
    }
}

/// Whether a first cell names a calls or data-access file's first column.
fn looks_like_header(cell: &str) -> bool {
    matches!(
        cell.to_ascii_lowercase().as_str(),
        "caller" | "from" | "source" | "src" | "class" | "method" | "function" | "client"
    )
}

/// Whether the first record of a calls CSV (`caller,callee[,weight]`) is its header: its first
/// cell names the column, it names both the caller and the callee columns, or its weight is a
/// word. A first row with a bad number (`-1`, `0`, `nan`) is data, and its error is reported
/// like any other row's.
fn calls_header(fields: &[(String, Range<usize>)]) -> bool {
    fields.first().is_some_and(|f| looks_like_header(&f.0))
        || calls_order(fields) != (0, 1, 2)
        || fields.get(2).is_some_and(|w| w.0.parse::<f64>().is_err())
}

/// The positions of the caller, callee and weight columns a calls header gives: by name when
/// it names both the caller and the callee (`to,from`, `callee,caller,count`), else
/// `caller,callee[,weight]` by position.
fn calls_order(header: &[(String, Range<usize>)]) -> (usize, usize, usize) {
    const CALLEE: &[&str] = &["callee", "to", "target", "dst", "destination", "called"];
    const WEIGHT: &[&str] = &["weight", "count", "calls", "n", "times", "frequency"];
    let find =
        |names: &dyn Fn(&str) -> bool| header.iter().position(|f| names(&f.0.to_ascii_lowercase()));
    match (find(&looks_like_header), find(&|n| CALLEE.contains(&n))) {
        (Some(caller), Some(callee)) if caller != callee => {
            let weight = find(&|n| WEIGHT.contains(&n))
                .or_else(|| (0..3).find(|i| *i != caller && *i != callee))
                .unwrap_or(2);
            (caller, callee, weight)
        }
        _ => (0, 1, 2),
    }
}

/// A calls row's fields in `caller,callee[,weight]` order, given the header's `order`; a row
/// too short for the order is left as written, for the row's own error.
fn reorder(fields: Vec<Field>, order: (usize, usize, usize)) -> Vec<Field> {
    let (caller, callee, weight) = order;
    if order == (0, 1, 2) || fields.len() <= caller.max(callee) || fields.len() > 3 {
        return fields;
    }
    let mut out = vec![fields[caller].clone(), fields[callee].clone()];
    out.extend(fields.get(weight).cloned());
    out
}

/// Whether the first record of a data-access CSV (`function,entity,mode`) is its header: its
/// mode is not one, and its first or last cell names a column. A misspelt mode on the first
/// row (`delete`) is data, and reported.
fn access_header(fields: &[(String, Range<usize>)]) -> bool {
    let names_mode = |cell: &str| {
        matches!(
            cell.to_ascii_lowercase().as_str(),
            "access" | "mode" | "kind" | "type" | "op" | "operation"
        )
    };
    fields.get(2).is_some_and(|m| access_mode(&m.0).is_none())
        && (fields.first().is_some_and(|f| looks_like_header(&f.0))
            || fields.get(2).is_some_and(|m| names_mode(&m.0)))
}

/// Where a CSV row's problem goes: the span in the file, the message and the help.
pub(crate) type CsvProblem<'a> = dyn FnMut(Range<usize>, String, &'static str) + 'a;

/// Adds the calls of a calls CSV (`caller,callee[,weight]`) to `monolith`, reporting each bad
/// row through `problem`. A first record is a header when it names its columns (see
/// [`calls_header`]), and a header naming the caller and callee columns is read by name, in
/// any order ([`calls_order`]); a two-column header with other names is read as a call. A
/// scenario's `calls_csv` and `propose --calls` read the same format through this one reader.
pub(crate) fn read_calls_csv(text: &str, monolith: &mut Monolith, problem: &mut CsvProblem<'_>) {
    let mut order = (0, 1, 2);
    for (i, (_, fields)) in csv_records(text).into_iter().enumerate() {
        if i == 0 && calls_header(&fields) {
            order = calls_order(&fields);
            continue;
        }
        let fields = reorder(fields, order);
        if fields.len() < 2 || fields.len() > 3 {
            problem(
                fields[0].1.clone(),
                format!("a call has 2 or 3 columns, not {}", fields.len()),
                "write `caller,callee[,weight]`",
            );
            continue;
        }
        let weight = match fields.get(2) {
            None => 1.0,
            Some((w, span)) => match w.parse::<f64>() {
                Ok(w) if w > 0.0 && w.is_finite() => w,
                _ => {
                    problem(
                        span.clone(),
                        format!("`{w}` is not a weight"),
                        "weights are positive numbers",
                    );
                    continue;
                }
            },
        };
        let (from, to) = (fields[0].0.clone(), fields[1].0.clone());
        if from.is_empty() || to.is_empty() {
            problem(
                fields[0].1.clone(),
                "a call names no function".to_owned(),
                "write `caller,callee[,weight]`",
            );
            continue;
        }
        monolith.functions.entry(from.clone()).or_default();
        monolith.functions.entry(to.clone()).or_default();
        monolith.calls.push(MonolithCall { from, to, weight });
    }
}

/// Adds the accesses of a data-access CSV (`function,entity,read|write|read-write`, header
/// optional) to `monolith`, reporting each bad row through `problem` (see [`read_calls_csv`]).
pub(crate) fn read_accesses_csv(text: &str, monolith: &mut Monolith, problem: &mut CsvProblem<'_>) {
    // The first record, wherever comments put it, may be the header.
    for (i, (_, fields)) in csv_records(text).into_iter().enumerate() {
        let mode = fields.get(2).map(|f| access_mode(&f.0));
        match (fields.len(), mode) {
            (3, Some(Some(access))) if !fields[0].0.is_empty() && !fields[1].0.is_empty() => {
                let function = fields[0].0.clone();
                monolith.functions.entry(function.clone()).or_default();
                monolith.data.push(DataAccess {
                    function,
                    entity: fields[1].0.clone(),
                    access,
                });
            }
            _ if i == 0 && access_header(&fields) => {}
            (3, _) => problem(
                fields[2].1.clone(),
                format!("`{}` is not an access mode", fields[2].0),
                "write `read`, `write` or `read-write`",
            ),
            (n, _) => problem(
                fields[0].1.clone(),
                format!("a data access has 3 columns, not {n}"),
                "write `function,entity,read|write`",
            ),
        }
    }
}

/// A unit a CSV column's name ends in, as the factor to the unit the scenario stores (`base`:
/// milliseconds for durations, seconds for step times). Durations name their unit the way
/// scenario keys do (`_ms`, `_s`, `_us`, `_ns`, `_min`) or in words (`seconds`).
fn time_unit(unit: &str, base: Base) -> Option<f64> {
    let ms = match unit {
        "ns" | "nanos" | "nanoseconds" => 1e-6,
        "us" | "micros" | "microseconds" => 1e-3,
        "ms" | "millis" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "seconds" => 1e3,
        "min" | "mins" | "minutes" => 60e3,
        _ => return None,
    };
    Some(match base {
        Base::Milliseconds => ms,
        Base::Seconds => ms / 1e3,
    })
}

/// The unit a column's values are stored in.
#[derive(Debug, Clone, Copy)]
enum Base {
    Milliseconds,
    Seconds,
}

/// A column of a numeric CSV (latency samples, rate steps): what its header may call it, and
/// how its values become the scenario's.
struct Wanted {
    /// "duration", "time", "rate": what the column holds, for messages.
    what: &'static str,
    /// The words a header names it by, before a unit (`latency` in `latency_ms`).
    stems: &'static [&'static str],
    /// How a header names it: a stem and a unit, or a unit alone.
    read: fn(&str) -> Option<f64>,
    /// The names a message lists as accepted.
    accepted: &'static str,
    /// The unit the values are in when there is no header.
    unit: &'static str,
}

/// A duration column of a samples file: `ms`, `latency_ms`, `duration_s`, `elapsed_us`, …
const SAMPLE: Wanted = Wanted {
    what: "duration",
    stems: &[
        "latency",
        "duration",
        "elapsed",
        "response_time",
        "sample",
        "value",
    ],
    read: |name| {
        let unit = match name.rsplit_once('_') {
            Some((stem, unit)) if SAMPLE.stems.contains(&stem) => unit,
            _ => name,
        };
        time_unit(unit, Base::Milliseconds)
    },
    accepted: "`ms`, `s`, `us`, `ns`, or `latency`, `duration`, `elapsed`, `response_time`, \
               `sample` or `value` with a unit (`latency_ms`, `duration_s`, `elapsed_us`)",
    unit: "milliseconds",
};

/// The time column of a rate-steps file: `at_s`, `time_s`, `t_ms`, `offset_min`, `seconds`, …
const STEP_TIME: Wanted = Wanted {
    what: "time",
    stems: &["at", "time", "t", "offset", "start"],
    read: |name| {
        let unit = match name.rsplit_once('_') {
            Some((stem, unit)) if STEP_TIME.stems.contains(&stem) => unit,
            _ => name,
        };
        time_unit(unit, Base::Seconds)
    },
    accepted: "`at_s`, `time_s`, `t_s`, `offset_s`, `start_s` (or `_ms`, `_min`), \
               `s` or `seconds`",
    unit: "seconds",
};

/// The rate column of a rate-steps file: `rate_per_s`, `rps`, `rate_per_min`, `rpm`.
const STEP_RATE: Wanted = Wanted {
    what: "rate",
    stems: &["rate", "requests", "throughput"],
    read: |name| match name {
        "rate_per_s" | "rps" | "requests_per_s" | "throughput_per_s" => Some(1.0),
        "rate_per_min" | "rpm" | "requests_per_min" | "throughput_per_min" => Some(1.0 / 60.0),
        _ => None,
    },
    accepted: "`rate_per_s`, `rps`, `requests_per_s`, `rate_per_min` or `rpm`",
    unit: "requests per second",
};

/// A column of a numeric CSV, found: where it is and what its values are multiplied by.
#[derive(Debug, Clone, Copy)]
struct Column {
    index: usize,
    factor: f64,
    /// Whether the file's first record is the header that named it.
    header: bool,
    /// What the column holds and its unit, for a bad value's message.
    what: &'static str,
    unit: &'static str,
}

impl Column {
    /// The column's value in a row, in the scenario's unit.
    fn read(&self, csv: &Csv, fields: &[Field]) -> Result<f64, Diagnostic> {
        let Some(field) = fields.get(self.index) else {
            let last = fields.last().map_or(0..0, |f| f.1.clone());
            return Err(csv.error(
                last.end..last.end,
                format!(
                    "this row has {}, so no column {} ({})",
                    plural(fields.len(), "column"),
                    self.index + 1,
                    self.what
                ),
                "give every row the header's columns",
            ));
        };
        csv_number(csv, field, &format!("{} in {}", self.what, self.unit)).map(|x| x * self.factor)
    }
}

/// "1 column", "3 columns".
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Whether a record is a header: a word where a number belongs.
fn is_header(fields: &[Field]) -> bool {
    fields.iter().any(|f| f.0.parse::<f64>().is_err())
}

/// The span of a whole record, from its first field to its last.
fn record_span(fields: &[Field]) -> Range<usize> {
    match (fields.first(), fields.last()) {
        (Some(first), Some(last)) => first.1.start..last.1.end,
        _ => 0..0,
    }
}

/// Finds `wanted` in a header by name. A name that says what the column holds but not its
/// unit (`duration`), or a header with no such column at all (`ts,value_raw`), is an error at
/// the header, naming the columns found and the names accepted: guessing would read epoch
/// timestamps as milliseconds.
fn find_column(csv: &Csv, header: &[Field], wanted: &Wanted) -> Result<Column, Diagnostic> {
    let mut found = Vec::new();
    for (index, (name, span)) in header.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        if let Some(factor) = (wanted.read)(&lower) {
            found.push((index, factor, span.clone()));
        } else if wanted.stems.contains(&lower.as_str()) {
            return Err(csv.error(
                span.clone(),
                format!("the column `{name}` gives no unit"),
                &format!(
                    "name the unit, as scenario keys do: `{lower}_ms`, `{lower}_s`, …; accepted: {}",
                    wanted.accepted
                ),
            ));
        }
    }
    match found.as_slice() {
        [(index, factor, _)] => Ok(Column {
            index: *index,
            factor: *factor,
            header: true,
            what: wanted.what,
            unit: wanted.unit,
        }),
        [] => Err(csv.error(
            record_span(header),
            format!(
                "no {} column among {}",
                wanted.what,
                header
                    .iter()
                    .map(|f| format!("`{}`", f.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &format!("name it by what it holds and its unit: {}", wanted.accepted),
        )),
        [_, (_, _, second), ..] => Err(csv.error(
            second.clone(),
            format!("more than one {} column", wanted.what),
            "keep one, or rename the others",
        )),
    }
}

/// The duration column of a samples file. Without a header, one column of milliseconds; with
/// more than one column, a header must say which is the duration and in what unit.
fn samples_column(csv: &Csv, first: Option<&Record>) -> Result<Column, Diagnostic> {
    let unnamed = Column {
        index: 0,
        factor: 1.0,
        header: false,
        what: SAMPLE.what,
        unit: SAMPLE.unit,
    };
    let Some((_, fields)) = first else {
        return Ok(unnamed);
    };
    if is_header(fields) {
        return find_column(csv, fields, &SAMPLE);
    }
    if fields.len() > 1 {
        return Err(csv.error(
            record_span(fields),
            format!(
                "a samples file with {} needs a header naming its duration column",
                plural(fields.len(), "column")
            ),
            &format!(
                "add a first line such as `timestamp,latency_ms`; accepted names: {}",
                SAMPLE.accepted
            ),
        ));
    }
    Ok(unnamed)
}

/// The time and rate columns of a rate-steps file: `at_s,rate_per_s` by position without a
/// header, else by name.
struct StepColumns {
    at: Column,
    rate: Column,
    header: bool,
}

fn step_columns(csv: &Csv, first: Option<&Record>) -> Result<StepColumns, Diagnostic> {
    let by_position = |index, wanted: &Wanted| Column {
        index,
        factor: 1.0,
        header: false,
        what: wanted.what,
        unit: wanted.unit,
    };
    let Some((_, fields)) = first else {
        return Ok(StepColumns {
            at: by_position(0, &STEP_TIME),
            rate: by_position(1, &STEP_RATE),
            header: false,
        });
    };
    if is_header(fields) {
        return Ok(StepColumns {
            at: find_column(csv, fields, &STEP_TIME)?,
            rate: find_column(csv, fields, &STEP_RATE)?,
            header: true,
        });
    }
    Ok(StepColumns {
        at: by_position(0, &STEP_TIME),
        rate: by_position(1, &STEP_RATE),
        header: false,
    })
}

#[cfg(test)]
mod csv_tests;
