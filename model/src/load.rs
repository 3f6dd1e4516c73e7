//! Loading a scenario file: read it safely, parse it (TOML or JSON, by extension) into the
//! typed [`Scenario`], read the CSV files it references, validate it, and locate every problem
//! at file, line and column.

use std::fs;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location, Severity, codes, did_you_mean};
use crate::scenario::*;
use crate::source::{DuplicateKey, Format, LineIndex, Pointer, SourceMap, SourceText, Target};
use crate::validate::{Problem, validate};

mod structure;

/// Scenario files larger than this are refused: a real architecture is a few hundred KiB at
/// most, and a huge file is more likely a wrong path than a scenario.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A scenario that loaded and validated, with what is needed to locate its parts.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The scenario, with every referenced CSV file read into it.
    pub scenario: Scenario,
    /// The file's text.
    pub source: SourceText,
    /// The file's format.
    pub format: Format,
    /// Problems worth a look that do not make the scenario invalid.
    pub warnings: Vec<Diagnostic>,
    map: SourceMap,
}

impl LoadedScenario {
    /// Where a part of the scenario is written.
    pub fn locate(&self, pointer: &Pointer, target: Target) -> Location {
        let span = self.map.span(pointer, target);
        Location::new(self.source.path.clone(), self.source.text.clone(), span)
    }
}

/// Why a file did not load: every problem found, each located where possible.
#[derive(Debug, Clone)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// The problems, errors first in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        write!(
            f,
            "{}: {errors} error{}",
            self.path.display(),
            if errors == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

fn fail(path: &Path, diagnostic: Diagnostic) -> LoadError {
    LoadError {
        path: path.to_owned(),
        diagnostics: vec![diagnostic],
    }
}

/// The format a path's extension names.
pub fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "toml" => Some(Format::Toml),
        "json" => Some(Format::Json),
        _ => None,
    }
}

/// Reads a text file, refusing what cannot be a scenario (or a CSV it references).
fn read_text(path: &Path, what: &str) -> Result<String, Diagnostic> {
    let io_error = |e: std::io::Error| {
        Diagnostic::error(
            codes::IO,
            format!("{}: cannot read {what}: {e}", path.display()),
        )
    };
    // Looked at before opening: opening a named pipe blocks until something writes to it.
    let metadata = fs::metadata(path).map_err(io_error)?;
    if metadata.is_dir() {
        return Err(Diagnostic::error(
            codes::IO,
            format!("{}: is a directory, not {what}", path.display()),
        ));
    }
    if !metadata.is_file() {
        return Err(Diagnostic::error(
            codes::IO,
            format!(
                "{}: is not a regular file (a pipe or a device), not {what}",
                path.display()
            ),
        )
        .with_help("save the scenario to a file and name that"));
    }
    let file = fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit, so a file that grows while being read is caught too.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            codes::TOO_LARGE,
            format!(
                "{}: {what} is larger than {} MiB",
                path.display(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
        .with_help("is this the right file? scenarios are small text files"));
    }
    // Where a text file turns out not to be one, point at the first bad byte, in a text as long
    // as the file so that the span is a byte range of the file itself.
    let bad_byte_at = |bytes: &[u8], offset: usize| {
        Location::new(
            path,
            Arc::from(printable_as_is_long(bytes)),
            offset..offset + 1,
        )
    };
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(Diagnostic::error(
            codes::NOT_TEXT,
            format!(
                "{}: {what} is binary (a NUL byte at offset {i})",
                path.display()
            ),
        )
        .with_help("give a UTF-8 text file")
        .at(bad_byte_at(&bytes, i)));
    }
    match String::from_utf8(bytes) {
        // A byte-order mark stays: dropping it would shift every span off the file's bytes
        // (the parsers are told to skip it).
        Ok(text) => Ok(text),
        Err(e) => {
            let i = e.utf8_error().valid_up_to();
            Err(Diagnostic::error(
                codes::NOT_TEXT,
                format!(
                    "{}: {what} is not UTF-8 text (invalid byte at offset {i})",
                    path.display()
                ),
            )
            .with_help("save the file as UTF-8")
            .at(bad_byte_at(e.as_bytes(), i)))
        }
    }
}

/// The file's bytes as text of exactly the same length, safe to print: each byte that is not
/// part of valid UTF-8, and each control character a terminal might act on, becomes `?` (`¿`
/// for the two-byte C1 controls).
fn printable_as_is_long(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.extend(chunk.valid().chars().map(|c| match c {
            '\n' | '\t' | '\r' => c,
            c if c.is_ascii_control() => '?',
            c if c.is_control() => '¿',
            c => c,
        }));
        text.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    debug_assert_eq!(text.len(), bytes.len());
    text
}

/// Loads, resolves and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<LoadedScenario, LoadError> {
    let Some(format) = format_of(path) else {
        // A path that is not there is that, whatever its name: `check /no/such/dir/` must not
        // send the user looking at file extensions.
        if let Err(e) = fs::metadata(path) {
            return Err(fail(
                path,
                Diagnostic::error(
                    codes::IO,
                    format!("{}: cannot read the scenario file: {e}", path.display()),
                ),
            ));
        }
        return Err(fail(
            path,
            Diagnostic::error(
                codes::UNKNOWN_FORMAT,
                format!("{}: not a scenario file name", path.display()),
            )
            .with_help("scenario files end in .toml or .json"),
        ));
    };
    let text = read_text(path, "the scenario file").map_err(|d| fail(path, d))?;
    let base = path.parent().unwrap_or(Path::new("."));
    load_str(&text, path, format, base)
}

/// Loads, resolves and validates scenario text. `path` names it in messages; CSV files are
/// resolved against `base_dir`.
pub fn load_str(
    text: &str,
    path: &Path,
    format: Format,
    base_dir: &Path,
) -> Result<LoadedScenario, LoadError> {
    let source = SourceText {
        path: path.to_owned(),
        text: Arc::from(text),
    };
    // Built once: every diagnostic of the file looks its line up here.
    let lines = LineIndex::new(text);
    let at = |span: Range<usize>| Location::indexed(path, source.text.clone(), span, &lines);
    let failed = |diagnostics: Vec<Diagnostic>| LoadError {
        path: path.to_owned(),
        diagnostics: in_file_order(diagnostics, path),
    };
    if text.trim_start_matches(BOM).trim().is_empty() {
        return Err(fail(
            path,
            Diagnostic::error(codes::EMPTY, format!("{}: the file is empty", path.display()))
                .with_help("a scenario needs at least `name` and one service; `microcosm init NAME` writes a starter")
                .at(at(0..0)),
        ));
    }

    let (mut scenario, map) = match format {
        Format::Toml => parse_toml(text, &at).map_err(failed)?,
        Format::Json => parse_json_file(text, &at).map_err(failed)?,
    };

    let mut diagnostics = Vec::new();
    resolve_csv_files(&mut scenario, base_dir, &map, &at, &mut diagnostics);
    for problem in validate(&scenario) {
        diagnostics.push(locate(&problem, &map, &at));
    }
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        let mut all = in_file_order(errors, path);
        all.extend(warnings);
        return Err(LoadError {
            path: path.to_owned(),
            diagnostics: all,
        });
    }
    Ok(LoadedScenario {
        scenario,
        source,
        format,
        warnings,
        map,
    })
}

const BOM: char = '\u{feff}';

/// Diagnostics sorted as people read them: the scenario file's first, top to bottom, then the
/// CSV files'.
fn in_file_order(mut diagnostics: Vec<Diagnostic>, path: &Path) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|d| d.location.as_ref().map(|l| (l.file != path, l.span.start)));
    diagnostics
}

/// The structural problems of a parsed document (see [`structure`]), as diagnostics.
fn structural_diagnostics(
    map: &SourceMap,
    format: Format,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Vec<Diagnostic> {
    structure::check(map, crate::schema::scenario_schema(), format)
        .into_iter()
        .map(|issue| {
            let mut d = Diagnostic::error(issue.code, issue.message).at(at(issue.span));
            d.help = issue.help;
            d
        })
        .collect()
}

/// Adds serde's first error unless it repeats a structural one. serde stops at the same place
/// the structural check points at, or at a table around it (it reads an internally tagged
/// table whole before it looks inside), so an overlapping span is the same problem.
fn push_unless_repeated(diagnostics: &mut Vec<Diagnostic>, serde_error: Diagnostic) {
    let span = |d: &Diagnostic| d.location.as_ref().map(|l| l.span.clone());
    let repeated = span(&serde_error).is_some_and(|s| {
        diagnostics
            .iter()
            .filter_map(span)
            .any(|other| other.start <= s.end && s.start <= other.end)
    });
    if !repeated {
        diagnostics.push(serde_error);
    }
}

/// The diagnostic for a key declared twice in one table.
fn duplicate_diagnostic(
    duplicate: &DuplicateKey,
    format: Format,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Diagnostic {
    let first = at(duplicate.first.clone()).line;
    let keeps = match format {
        Format::Toml => "TOML allows a key once",
        Format::Json => "JSON keeps only one",
    };
    Diagnostic::error(
        codes::DUPLICATE,
        format!(
            "`{}` is declared twice in `{}`",
            duplicate.key,
            display_pointer(&duplicate.pointer)
        ),
    )
    .with_help(format!(
        "the first is on line {first}; {keeps}, so merge or rename them"
    ))
    .at(at(duplicate.span.clone()).with_label("declared again here"))
}

/// Parses TOML: every key declared twice, every structural problem, then serde's first error
/// where it says something new. Only the first syntax error is reported: what the parser
/// recovers after one is a guess.
fn parse_toml(
    text: &str,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<(Scenario, SourceMap), Vec<Diagnostic>> {
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    if errors.is_empty() && table.get_ref().is_empty() {
        return Err(vec![
            Diagnostic::error(
                codes::EMPTY,
                format!("{}: the file holds only comments", at(0..0).file.display()),
            )
            .with_help(
                "a scenario needs at least `name` and one service; `microcosm init NAME` writes a starter",
            )
            .at(at(0..0)),
        ]);
    }
    let map = SourceMap::from_toml_table(&table);
    let (duplicates, syntax): (Vec<_>, Vec<_>) = errors
        .into_iter()
        .partition(|e| e.message() == "duplicate key" && e.span().is_some());
    let syntax_at = syntax.first().map(|e| e.span().unwrap_or(0..0));
    let mut diagnostics = Vec::new();
    let mut reported: Vec<(Pointer, usize)> = Vec::new();
    for span in duplicates.iter().filter_map(|e| e.span()) {
        if syntax_at.as_ref().is_some_and(|s| span.start >= s.start) {
            continue;
        }
        match toml_duplicate(text, span.clone()) {
            Some(duplicate) => {
                // A table declared twice is read as one, so the keys its two halves share are
                // reported again inside it: the table is the problem, as JSON reports it.
                let inside_reported = reported.iter().any(|(table, start)| {
                    duplicate.pointer.segments().starts_with(table.segments())
                        && span.start > *start
                });
                if inside_reported {
                    continue;
                }
                reported.push((duplicate.pointer.key(duplicate.key.clone()), span.start));
                diagnostics.push(duplicate_diagnostic(&duplicate, Format::Toml, at));
            }
            None => diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("`{}` is declared twice", toml_key_name(&text[span.clone()])),
                )
                .with_help("TOML allows a key once, whether by a `[table]` header or a dotted key: merge the declarations")
                .at(at(span).with_label("declared again here")),
            ),
        }
    }
    if let Some(first) = syntax.first() {
        diagnostics.push(deserialize_diagnostic(
            first.message(),
            at(first.span().unwrap_or(0..0)),
        ));
        return Err(diagnostics);
    }
    diagnostics.extend(structural_diagnostics(&map, Format::Toml, at));
    if !duplicates.is_empty() {
        // serde would stop at the first duplicate, already reported.
        return Err(diagnostics);
    }
    match toml::from_str::<Scenario>(text) {
        Ok(scenario) if diagnostics.is_empty() => Ok((scenario, map)),
        Ok(_) => Err(diagnostics),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            push_unless_repeated(
                &mut diagnostics,
                deserialize_diagnostic(e.message(), at(span)),
            );
            Err(diagnostics)
        }
    }
}

/// A key written in TOML (bare, `"basic"` or `'literal'`), unquoted.
fn toml_key_name(written: &str) -> String {
    toml::de::DeTable::parse(&format!("{written} = 0"))
        .ok()
        .and_then(|t| t.get_ref().keys().next().map(|k| k.get_ref().to_string()))
        .unwrap_or_else(|| written.to_owned())
}

/// The key TOML's parser reports declared twice at `span`: which table holds it and where it
/// was first declared. The parser says only where the repeat is, so the repeat is renamed to
/// a key no scenario uses and the text parsed again: the table holding the renamed key is the
/// one holding the duplicate, and in that text the original name is only the first
/// declaration (which comes before the repeat, so its offsets are unchanged).
fn toml_duplicate(text: &str, span: Range<usize>) -> Option<DuplicateKey> {
    const SENTINEL: &str = "microcosm-duplicate-key-sentinel";
    let key = toml_key_name(text.get(span.clone())?);
    let renamed = format!("{}{SENTINEL}{}", &text[..span.start], &text[span.end..]);
    let (table, _) = toml::de::DeTable::parse_recoverable(&renamed);
    let map = SourceMap::from_toml_table(&table);
    let pointer = map.find_key(SENTINEL)?;
    let first = map.written_key(&pointer.key(key.clone()))?;
    (first.end <= span.start).then_some(DuplicateKey {
        pointer,
        key,
        span,
        first,
    })
}

/// Parses JSON: after a syntax check, every key declared twice, every structural problem,
/// then serde's first error where it says something new.
fn parse_json_file(
    text: &str,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<(Scenario, SourceMap), Vec<Diagnostic>> {
    // Neither serde_json nor the source map reads a byte-order mark; three spaces in its place
    // keep every offset.
    let text: std::borrow::Cow<str> = match text.strip_prefix(BOM) {
        Some(rest) => format!("   {rest}").into(),
        None => text.into(),
    };
    let syntax_error = |e: serde_json::Error| {
        let offset = json_offset(&text, e.line(), e.column());
        let mut d =
            deserialize_diagnostic(&strip_json_position(&e.to_string()), at(offset..offset));
        d.code = codes::SYNTAX;
        d
    };
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        return Err(vec![syntax_error(e)]);
    }
    let Some((map, duplicates)) = SourceMap::from_json(&text) else {
        // Not expected: serde_json read it, and the source map's parser reads more than JSON.
        return Err(vec![
            Diagnostic::error(codes::SYNTAX, "this JSON could not be read for locations")
                .with_help("please report it, with the file")
                .at(at(0..0)),
        ]);
    };
    let mut diagnostics: Vec<Diagnostic> = duplicates
        .iter()
        .map(|d| duplicate_diagnostic(d, Format::Json, at))
        .collect();
    diagnostics.extend(structural_diagnostics(&map, Format::Json, at));
    match parse_json(&text, &map) {
        Ok(scenario) if diagnostics.is_empty() => Ok((scenario, map)),
        Ok(_) => Err(diagnostics),
        Err((message, span, code)) => {
            let mut d = deserialize_diagnostic(&message, at(span));
            if let Some(code) = code {
                d.code = code;
            }
            push_unless_repeated(&mut diagnostics, d);
            Err(diagnostics)
        }
    }
}

/// The byte offset of serde_json's line and column: its column counts bytes, not characters.
fn json_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut offset = (line_start + column.saturating_sub(1)).min(line_end);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Deserializes JSON (known to be well-formed), locating a type error by the path serde was
/// at, so it points at the offending key or value, not past it.
fn parse_json(
    text: &str,
    map: &SourceMap,
) -> Result<Scenario, (String, Range<usize>, Option<&'static str>)> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let error = match serde_path_to_error::deserialize::<_, Scenario>(&mut deserializer) {
        Ok(scenario) => return Ok(scenario),
        Err(e) => e,
    };
    let inner = error.inner();
    let message = strip_json_position(&inner.to_string());
    let mut pointer = Pointer::root();
    for segment in error.path() {
        pointer = match segment {
            serde_path_to_error::Segment::Seq { index } => pointer.index(*index),
            serde_path_to_error::Segment::Map { key } => pointer.key(key.clone()),
            _ => pointer,
        };
    }
    // An unknown field is reported at the object holding it; point at the key itself.
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        pointer = pointer.key(field);
        return Err((message.clone(), map.span(&pointer, Target::Key), None));
    }
    Err((message, map.span(&pointer, Target::Value), None))
}

fn display_pointer(p: &Pointer) -> String {
    if p.segments().is_empty() {
        "the top level".to_owned()
    } else {
        p.to_string()
    }
}

fn locate(problem: &Problem, map: &SourceMap, at: &dyn Fn(Range<usize>) -> Location) -> Diagnostic {
    let span = map.span(&problem.at, problem.target);
    let mut d = Diagnostic::error(problem.code, problem.message.clone()).at(at(span));
    d.help = problem.help.clone();
    d
}

/// serde_json appends " at line L column C" to its messages; the location is shown anyway.
fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Turns a serde error message into a diagnostic with a code and, for unknown names, a
/// suggestion of the closest known one.
fn deserialize_diagnostic(message: &str, location: Location) -> Diagnostic {
    let message = message.trim().trim_end_matches('\n');
    let first_line = message.lines().next().unwrap_or(message).to_owned();
    let (code, help) = if let Some(rest) = first_line.strip_prefix("unknown field `") {
        (codes::UNKNOWN_FIELD, suggestion(rest))
    } else if let Some(rest) = first_line.strip_prefix("unknown variant `") {
        (codes::WRONG_TYPE, suggestion(rest))
    } else if first_line.starts_with("missing field") {
        (codes::MISSING_FIELD, None)
    } else if first_line.starts_with("invalid type")
        || first_line.starts_with("invalid value")
        || first_line.starts_with("invalid length")
        || first_line.contains("did not match")
    {
        (codes::WRONG_TYPE, None)
    } else {
        (codes::SYNTAX, None)
    };
    let mut d = Diagnostic::error(code, first_line).at(location);
    d.help = help;
    d
}

/// From "name`, expected one of `a`, `b`" (the tail of serde's message), the closest expected
/// name.
fn suggestion(rest: &str) -> Option<String> {
    let (name, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if candidates.is_empty() {
        return Some(format!("`{name}` is not allowed here"));
    }
    match did_you_mean(name, candidates.iter().copied()) {
        Some(close) => Some(format!("did you mean `{close}`?")),
        None => Some(format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A CSV field with its byte range in the file.
pub(crate) type Field = (String, Range<usize>);

/// A CSV record: its 1-based line and its fields.
pub(crate) type Record = (usize, Vec<Field>);

/// A CSV text's records as (1-based line, fields with their byte ranges), skipping blank
/// lines and `#` comments; a header row is the caller's to recognise. Shared by the scenario's
/// CSV inputs and `propose --calls/--data`.
pub(crate) fn csv_records(text: &str) -> Vec<Record> {
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
pub(crate) fn access_mode(cell: &str) -> Option<Access> {
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
fn resolve_csv_files(
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
pub(crate) fn calls_header(fields: &[(String, Range<usize>)]) -> bool {
    fields.first().is_some_and(|f| looks_like_header(&f.0))
        || fields.get(2).is_some_and(|w| w.0.parse::<f64>().is_err())
}

/// Whether the first record of a data-access CSV (`function,entity,mode`) is its header: its
/// mode is not one, and its first or last cell names a column. A misspelt mode on the first
/// row (`delete`) is data, and reported.
pub(crate) fn access_header(fields: &[(String, Range<usize>)]) -> bool {
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
