//! Reading a file that should be text: the scenario file and each CSV file it references. It
//! refuses what cannot be one (a directory, a pipe, a huge or binary file, invalid UTF-8)
//! before any parser sees it, pointing at the first bad byte. Called by [`super::load`] and the
//! CSV readers ([`super::csv`]); separate because it is the only part of loading that touches
//! the file system's odd cases, and none of it knows the scenario's shape.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::MAX_FILE_BYTES;
use crate::diagnostic::{Diagnostic, Location, codes};

/// Reads a text file, refusing what cannot be a scenario (or a CSV it references).
pub(super) fn read_text(path: &Path, what: &str) -> Result<String, Diagnostic> {
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
