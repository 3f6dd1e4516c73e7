//! Loading a scenario file: read it safely, parse it (TOML or JSON, by extension) into the
//! typed [`Scenario`], read the CSV files it references, validate it, and locate every problem
//! at file, line and column.
//!
//! The rooms, in the order a load goes through them: `read` reads the file as text,
//! `parse` turns TOML or JSON into the typed scenario and its source map (checking the
//! document against the schema in `structure` and finding keys declared twice), `csv`
//! reads the CSV files the scenario references, validation runs, and `diagnostics` words and
//! locates every problem found on the way. This file keeps the entry points and the types
//! callers hold.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location, Severity, codes};
use crate::scenario::*;
use crate::source::{Format, LineIndex, Pointer, SourceMap, SourceText, Target};
use crate::validate::validate;

mod csv;
mod diagnostics;
mod parse;
mod read;
mod structure;

use csv::{CsvOrigins, resolve_csv_files};
pub(crate) use csv::{CsvProblem, read_accesses_csv, read_calls_csv};
use diagnostics::locate;
use parse::{parse_json_file, parse_toml};
use read::read_text;

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
    let mut origins = CsvOrigins::default();
    resolve_csv_files(
        &mut scenario,
        base_dir,
        &map,
        &at,
        &mut diagnostics,
        &mut origins,
    );
    for problem in validate(&scenario) {
        let mut d = locate(&problem, &map, &at);
        // A value read from a CSV file is written there, not at the key naming the file.
        if let Some(row) = origins.locate(&problem.at) {
            d.location = Some(Box::new(row));
        }
        diagnostics.push(d);
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
