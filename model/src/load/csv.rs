//! The CSV inputs: the records of a CSV text with each field's span, the scenario's CSV
//! references (empirical latency samples, rate steps, the monolith's calls and data accesses)
//! read into it, and the monolith call and data-access readers that `propose --calls/--data`
//! share ([`crate::analysis::input`]). Called by [`super::load_str`]; reads files through
//! [`super::read`]. Separate because CSV is a second file format with its own header guessing
//! and row errors, and the monolith readers serve the analysis as well as the loader.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::read::read_text;
use crate::diagnostic::{Diagnostic, Location, codes};
use crate::scenario::*;
use crate::source::{LineIndex, Pointer, SourceMap, Target};

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
    lines: LineIndex,
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
                lines: LineIndex::new(&text),
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
            for (line, fields) in data.records() {
                if line == 1 && numbers_header(&fields[..1]) {
                    continue;
                }
                match csv_number(&data, &fields[0], "duration in milliseconds") {
                    Ok(x) => samples_ms.push(x),
                    Err(d) => diagnostics.push(d),
                }
            }
            if samples_ms.is_empty() {
                diagnostics.push(
                    Diagnostic::error(
                        codes::CSV,
                        format!("{} holds no samples", data.path.display()),
                    )
                    .at(locate(&p.key("csv"))),
                );
            }
        }
    }

    for (name, experiment) in scenario.experiments.iter_mut() {
        for (i, load) in experiment.load.iter_mut().enumerate() {
            let Some(file) = load.steps_csv.take() else {
                continue;
            };
            let p = Pointer::root()
                .key("experiments")
                .key(name)
                .key("load")
                .index(i)
                .key("steps_csv");
            let Some(data) = Csv::read(&file, base_dir, locate(&p), diagnostics) else {
                load.steps_csv = Some(file);
                continue;
            };
            for (line, fields) in data.records() {
                if line == 1 && numbers_header(&fields) {
                    continue;
                }
                if fields.len() < 2 {
                    diagnostics.push(data.error(
                        fields[0].1.clone(),
                        "a rate step needs two columns".to_owned(),
                        "write `at_s,rate_per_s`",
                    ));
                    continue;
                }
                let at_s = csv_number(&data, &fields[0], "time in seconds");
                let rate = csv_number(&data, &fields[1], "rate per second");
                match (at_s, rate) {
                    (Ok(at_s), Ok(rate_per_s)) => load.steps.push(RateStep { at_s, rate_per_s }),
                    (a, b) => diagnostics.extend(a.err().into_iter().chain(b.err())),
                }
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

/// A two-column first row whose first cell reads like a column name.
/// Whether a first cell names a calls or data-access file's first column.
fn looks_like_header(cell: &str) -> bool {
    matches!(
        cell.to_ascii_lowercase().as_str(),
        "caller" | "from" | "source" | "src" | "class" | "method" | "function" | "client"
    )
}

/// Whether the first record of a calls CSV (`caller,callee[,weight]`) is its header: its first
/// cell names the column, or its weight is a word. A first row with a bad number (`-1`, `0`,
/// `nan`) is data, and its error is reported like any other row's.
fn calls_header(fields: &[(String, Range<usize>)]) -> bool {
    fields.first().is_some_and(|f| looks_like_header(&f.0))
        || fields.get(2).is_some_and(|w| w.0.parse::<f64>().is_err())
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
/// row through `problem`. A first line is a header when it names its columns (see
/// [`calls_header`]); a two-column header with other names is read as a call. A scenario's `calls_csv` and `propose --calls`
/// read the same format through this one reader.
pub(crate) fn read_calls_csv(text: &str, monolith: &mut Monolith, problem: &mut CsvProblem<'_>) {
    for (line, fields) in csv_records(text) {
        if line == 1 && calls_header(&fields) {
            continue;
        }
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
    for (line, fields) in csv_records(text) {
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
            _ if line == 1 && access_header(&fields) => {}
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

/// Whether the first record of a numeric CSV (samples, rate steps) is its header: a word
/// where a number belongs.
fn numbers_header(fields: &[(String, Range<usize>)]) -> bool {
    fields.iter().any(|f| f.0.parse::<f64>().is_err())
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    fn csv(text: &str) -> Csv {
        Csv {
            path: PathBuf::from("t.csv"),
            text: Arc::from(text),
            lines: LineIndex::new(text),
        }
    }

    #[test]
    fn records_after_comments_and_blank_lines_point_at_their_own_line() {
        let data = csv("# measured on 2026-11-01\n\ncaller,callee\n# more\na,b,3\n\"c,d\",e\n");
        let records = data.records();
        let lines: Vec<usize> = records.iter().map(|r| r.0).collect();
        assert_eq!(lines, [3, 5, 6]);
        let (_, fields) = &records[1];
        assert_eq!(&data.text[fields[2].1.clone()], "3");
        let (_, quoted) = &records[2];
        assert_eq!(quoted[0].0, "c,d");
        assert_eq!(&data.text[quoted[1].1.clone()], "e");
    }

    proptest::proptest! {
        #[test]
        fn any_csv_text_gives_records_inside_the_file(text in "[a-z0-9,#\" \n.-]{0,200}") {
            let data = csv(&text);
            for (line, fields) in data.records() {
                proptest::prop_assert!(line >= 1);
                for (_, span) in fields {
                    proptest::prop_assert!(span.start <= span.end && span.end <= text.len());
                    proptest::prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                }
            }
        }
    }
}
