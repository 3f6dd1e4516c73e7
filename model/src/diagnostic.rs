//! Diagnostics: what is wrong with a scenario file, where (file, line, column, span), and what
//! would be right. Rendered for people with miette (a source snippet under a
//! `╭─[file:line:col]` header) and serialised for programs.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the scenario still loads.
    Warning,
    /// The scenario is invalid.
    Error,
}

/// Where a diagnostic points.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte range in the file.
    #[serde(serialize_with = "serialize_span")]
    pub span: Range<usize>,
    /// A short note shown under the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip)]
    text: Arc<str>,
}

fn serialize_span<S: serde::Serializer>(span: &Range<usize>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Span", 2)?;
    st.serialize_field("start", &span.start)?;
    st.serialize_field("end", &span.end)?;
    st.end()
}

impl Location {
    /// A location in `text` (the whole file `file`) at the byte range `span`, clamped to the
    /// text and widened to character boundaries: a span from a byte-oriented parser may end
    /// inside a multi-byte character, and slicing there would panic while rendering.
    pub fn new(file: impl Into<PathBuf>, text: Arc<str>, span: Range<usize>) -> Location {
        let (start, end) = char_bounds(&text, &span);
        let (line, column) = line_column_cached(&text, start);
        Location::at_position(file, text, start..end, line, column)
    }

    /// [`Location::new`] with the line and column looked up in `index`, the index of `text`:
    /// what a loader reporting many problems in one file uses.
    pub fn indexed(
        file: impl Into<PathBuf>,
        text: Arc<str>,
        span: Range<usize>,
        index: &crate::source::LineIndex,
    ) -> Location {
        let (start, end) = char_bounds(&text, &span);
        let (line, column) = index.line_column(&text, start);
        Location::at_position(file, text, start..end, line, column)
    }

    fn at_position(
        file: impl Into<PathBuf>,
        text: Arc<str>,
        span: Range<usize>,
        line: usize,
        column: usize,
    ) -> Location {
        Location {
            file: file.into(),
            line,
            column,
            span,
            label: None,
            text,
        }
    }

    /// The same location with a label.
    pub fn with_label(mut self, label: impl Into<String>) -> Location {
        self.label = Some(label.into());
        self
    }
}

/// One problem found in a scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// A stable id of the rule, e.g. `unresolved-reference` (see [`codes`]).
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where (boxed: most code passes diagnostics around in `Result`s, kept small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
}

/// The stable diagnostic codes.
pub mod codes {
    /// The file could not be read.
    pub const IO: &str = "io";
    /// The file is larger than scenario files may be.
    pub const TOO_LARGE: &str = "too-large";
    /// The file is not UTF-8 text.
    pub const NOT_TEXT: &str = "not-text";
    /// The file is empty.
    pub const EMPTY: &str = "empty";
    /// The extension is neither `.toml` nor `.json`.
    pub const UNKNOWN_FORMAT: &str = "unknown-format";
    /// The text is not well-formed TOML or JSON.
    pub const SYNTAX: &str = "syntax";
    /// A key that the format does not have.
    pub const UNKNOWN_FIELD: &str = "unknown-field";
    /// A required key is absent.
    pub const MISSING_FIELD: &str = "missing-field";
    /// A value of the wrong type or an unknown enumeration value.
    pub const WRONG_TYPE: &str = "wrong-type";
    /// A name that refers to nothing declared.
    pub const UNRESOLVED: &str = "unresolved-reference";
    /// A name declared twice.
    pub const DUPLICATE: &str = "duplicate-name";
    /// A name with characters that references cannot carry.
    pub const INVALID_NAME: &str = "invalid-name";
    /// A number outside its allowed range.
    pub const OUT_OF_RANGE: &str = "out-of-range";
    /// Percentiles that contradict each other (`p99_ms < p50_ms`).
    pub const PERCENTILES: &str = "percentile-order";
    /// A cycle of synchronous calls: a request would never finish.
    pub const SYNC_CYCLE: &str = "sync-call-cycle";
    /// A fault that starts or ends outside its experiment.
    pub const FAULT_WINDOW: &str = "fault-outside-experiment";
    /// A policy on an edge that no endpoint calls.
    pub const UNUSED_POLICY: &str = "policy-without-calls";
    /// Two equally specific policies match the same edge.
    pub const AMBIGUOUS_POLICY: &str = "ambiguous-policy";
    /// Options that contradict each other or are incomplete.
    pub const INCONSISTENT: &str = "inconsistent";
    /// A CSV file referenced by the scenario is malformed.
    pub const CSV: &str = "csv";
}

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            location: None,
        }
    }

    /// The same diagnostic with help.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic at a location.
    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(Box::new(location));
        self
    }

    /// `file:line:col`, or the file alone, or nothing.
    pub fn position(&self) -> Option<String> {
        self.location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column))
    }

    /// Renders for a person: message, source snippet with the span underlined, help.
    pub fn render(&self, color: bool) -> String {
        // Minified JSON puts a whole scenario on one line: a snippet of it would be unreadable,
        // and miette cannot draw columns past 65,535 at all. Such a line gets the compiler-style
        // line and an excerpt around the span instead.
        if let Some(excerpt) = self.location.as_deref().and_then(long_line_excerpt) {
            return format!("{self}\n{excerpt}\n");
        }
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        // miette would put its own line:column in the header, counting bytes where this
        // crate counts characters; the source is named with ours instead (see `Adapter`).
        let handler = GraphicalReportHandler::new_themed(theme)
            .without_primary_span_start()
            .with_context_lines(1)
            .with_width(100);
        let mut out = String::new();
        let adapter = Adapter::new(self);
        if handler.render_report(&mut out, &adapter).is_err() {
            out = self.to_string();
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    /// One line, compiler style: `file:line:col: error[code]: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pos) = self.position() {
            write!(f, "{pos}: ")?;
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}[{}]: {}", self.code, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Lines longer than this many characters are shown as an excerpt, not a snippet.
const LONG_LINE: usize = 400;
/// Characters of context either side of the span in an excerpt.
const EXCERPT_CONTEXT: usize = 60;

thread_local! {
    /// The line starts of the text located last (see [`line_column_cached`]).
    static LINE_STARTS: std::cell::RefCell<Option<(std::sync::Weak<str>, Vec<usize>)>> =
        const { std::cell::RefCell::new(None) };
}

/// `source::line_column`, in logarithmic time for every location in a text after the first.
/// Analysis locates a finding or more per service, and scanning the file from its start for
/// each made `analyze` quadratic (4,000 services: 7.5 s). The line starts of the last text
/// seen are kept per thread, under a weak reference: a new text, or the same address reused
/// after the old one is gone, rebuilds them.
/// `span` clamped to `text` and widened to character boundaries (an empty or reversed span
/// becomes empty at its start).
fn char_bounds(text: &str, span: &Range<usize>) -> (usize, usize) {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = if span.end <= span.start {
        start
    } else {
        span.end.min(text.len()).max(start)
    };
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

fn line_column_cached(text: &Arc<str>, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    LINE_STARTS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let fresh = cache
            .as_ref()
            .and_then(|(weak, _)| weak.upgrade())
            .is_some_and(|cached| Arc::ptr_eq(&cached, text));
        if !fresh {
            *cache = Some((Arc::downgrade(text), line_starts(text)));
        }
        let (_, starts) = cache.as_ref().expect("just filled");
        // The last line start at or before the offset; line numbers are 1-based.
        let line = starts.partition_point(|&s| s <= offset);
        let start = starts[line - 1];
        // A byte-order mark is not a column: editors do not show it.
        let start = if start == 0 && text[..offset].starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            start
        };
        (line, text[start..offset].chars().count() + 1)
    })
}

/// Where each line of `text` starts: 0, then just after every `\n`, `\r\n` or lone `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// Where the line holding byte `offset` starts. Lines end at `\n`, `\r\n` or a lone `\r`, as
/// `source::line_column` and miette count them: an offset on the `\n` of a `\r\n` is still on
/// the line the pair ends (treating that `\r` as a line of its own hid a 65,535-character line
/// from the long-line check, and miette then panicked drawing it).
fn line_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    while i > 0 {
        let ends = bytes[i - 1] == b'\n' || (bytes[i - 1] == b'\r' && bytes.get(i) != Some(&b'\n'));
        if ends {
            break;
        }
        i -= 1;
    }
    i
}

/// Where the line starting at `start` ends (before its line break), and where the next starts.
fn line_end(text: &str, start: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    match bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
    {
        None => (bytes.len(), bytes.len()),
        Some(i) => {
            let end = start + i;
            let next = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                end + 2
            } else {
                end + 1
            };
            (end, next)
        }
    }
}

/// Whether miette's snippet would draw a line longer than [`LONG_LINE`] characters: the lines
/// the span covers and one line of context either side (`with_context_lines(1)`).
fn snippet_has_long_line(text: &str, span: &Range<usize>) -> bool {
    let first = line_start(text, span.start);
    let first = if first > 0 {
        line_start(text, first - 1)
    } else {
        first
    };
    let last = line_start(text, span.end);
    let mut start = first;
    let mut after_last = 0;
    loop {
        let (end, next) = line_end(text, start);
        if text[start..end].chars().count() > LONG_LINE {
            return true;
        }
        if start >= last {
            after_last += 1;
        }
        // The span's last line and the one after it, then stop.
        if after_last == 2 || next >= text.len() || next == start {
            return false;
        }
        start = next;
    }
}

/// For a location whose snippet would hold a line longer than [`LONG_LINE`], the text around
/// it with a caret under its start: `  | …text…` then `  |     ^`.
fn long_line_excerpt(l: &Location) -> Option<String> {
    let text = &*l.text;
    if !snippet_has_long_line(text, &l.span) {
        return None;
    }
    let start = line_start(text, l.span.start);
    let (end, _) = line_end(text, start);
    // A byte-order mark is not a column (see `source::line_column`).
    let start = if start == 0 && text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8().min(end)
    } else {
        start
    };
    let line: Vec<char> = text[start..end].chars().collect();
    let at = l.column.saturating_sub(1).min(line.len());
    let from = at.saturating_sub(EXCERPT_CONTEXT);
    let to = (at + EXCERPT_CONTEXT).min(line.len());
    let lead = if from > 0 { "…" } else { "" };
    let tail = if to < line.len() { "…" } else { "" };
    // Control characters (a tab, an escape) would shift or garble the caret line.
    let shown: String = line[from..to]
        .iter()
        .map(|&c| if c.is_control() { ' ' } else { c })
        .collect();
    let caret = " ".repeat(lead.chars().count() + at - from);
    Some(format!("  | {lead}{shown}{tail}\n  | {caret}^"))
}

/// The file's text as miette reads it for one location: only the lines around the span.
/// miette's own `SourceCode` for text counts lines from the start of the file on every read,
/// which made rendering thousands of diagnostics of one file quadratic; this one starts at the
/// span's line, whose number the location already holds.
#[derive(Debug)]
struct Nearby {
    text: Arc<str>,
    /// The location's span start, and its 1-based line.
    anchor: usize,
    anchor_line: usize,
}

impl Nearby {
    /// The start of the line holding `offset`.
    fn line_start(&self, offset: usize) -> usize {
        self.text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
    }

    /// The start of the line before the one starting at `start` (> 0).
    fn previous_line_start(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let end = if start >= 2 && &bytes[start - 2..start] == b"\r\n" {
            start - 2
        } else {
            start - 1
        };
        self.line_start(end)
    }
}

impl miette::SourceCode for Nearby {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = &*self.text;
        let offset = span.offset().min(self.anchor).min(text.len());
        let mut start = self.line_start(offset);
        // Lines between the window's start and the anchor's line, to number the window.
        let mut skipped = self.text[start..self.line_start(self.anchor.min(text.len()))]
            .bytes()
            .enumerate()
            .filter(|&(i, b)| {
                b == b'\n' || (b == b'\r' && text.as_bytes().get(start + i + 1) != Some(&b'\n'))
            })
            .count();
        // One line more than the context: miette looks at the character before an empty span.
        for _ in 0..=context_lines_before {
            if start == 0 {
                break;
            }
            start = self.previous_line_start(start);
            skipped += 1;
        }
        let first_line = (self.anchor_line - 1).saturating_sub(skipped);
        let shifted = miette::SourceSpan::new((span.offset() - start).into(), span.len());
        let inner = text[start..].read_span(&shifted, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            miette::SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + first_line,
            inner.column(),
            inner.line_count() + first_line,
        )))
    }
}

/// miette's view of a [`Diagnostic`].
struct Adapter<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<Nearby>>,
}

impl<'a> Adapter<'a> {
    fn new(diagnostic: &'a Diagnostic) -> Adapter<'a> {
        let source = diagnostic.location.as_ref().map(|l| {
            let position = diagnostic.position().unwrap_or_default();
            let nearby = Nearby {
                text: l.text.clone(),
                anchor: l.span.start,
                anchor_line: l.line,
            };
            NamedSource::new(position, nearby).with_language(
                match l.file.extension().and_then(|e| e.to_str()) {
                    Some("json") => "JSON",
                    Some("csv") => "CSV",
                    _ => "TOML",
                },
            )
        });
        Adapter { diagnostic, source }
    }
}

impl fmt::Debug for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.diagnostic.location, &self.source) {
            (Some(_), Some(_)) => f.write_str(&self.diagnostic.message),
            _ => f.write_str(&self.diagnostic.message),
        }
    }
}

impl std::error::Error for Adapter<'_> {}

impl miette::Diagnostic for Adapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.diagnostic.location.as_ref()?;
        let span = location.span.clone();
        let label = LabeledSpan::new_primary_with_span(
            location.label.clone(),
            (span.start, span.end - span.start),
        );
        Some(Box::new(std::iter::once(label)))
    }
}

/// A number for a message: a computed value (a percent turned into a fraction, a sum of
/// shares) without the float noise of its last bits, so `0.999 + 0.0000000000000001` reads
/// `0.999` and `0.29 * 100` reads `29`. Twelve significant digits are more than any scenario
/// value needs and fewer than the 17 where binary fractions show; the result is the shortest
/// text that reads back as the rounded value. A value the user wrote is best shown as written
/// (its `{}` is already the shortest round-trip); this is for what the loader computed.
pub fn number(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    // 1e300 reads better than its 301 digits, and 1e-12 better than its zeros.
    if rounded.abs() >= 1e15 || rounded.abs() < 1e-6 {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

/// A measured number (a time budget left, a rate) to `digits` significant digits, shown as
/// [`number`] does: `9.999992486` to 3 digits is `10`, `0.012345` is `0.0123`. For figures
/// whose last digits are noise of measurement rather than of arithmetic.
pub fn significant(x: f64, digits: usize) -> String {
    if !x.is_finite() || x == 0.0 || digits == 0 {
        return number(x);
    }
    number(format!("{x:.*e}", digits - 1).parse().unwrap_or(x))
}

/// A count with its noun in the right number: "1 attempt", "3 attempts", "1.5 attempts" (for
/// the regular nouns messages use, which take an `s`). The count is shown as [`number`] does.
pub fn count(n: f64, noun: &str) -> String {
    format!("{} {noun}{}", number(n), if n == 1.0 { "" } else { "s" })
}

/// Suggests the candidate closest to `name`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
