//! Writing reports: to stdout, or to a file atomically (a temporary file in the same directory,
//! renamed into place), so an interrupted run never leaves a partial report for CI to read.
//! Only a regular file (or a new one) is replaced that way: a device, a FIFO or a socket named
//! with `--output` is written to as it is (`-o /dev/stderr`, `-o >(gzip > r.gz)`, a named
//! pipe), and a failed write there (`-o /dev/full`) is an error, never a file put in its place.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `bytes` to `path` atomically, or to stdout when `path` is `None`.
///
/// Every command decides its verdict before it writes its report, so a reader that stops
/// reading (`microcosm verify … | head`) is not an error here: the command's exit code stays
/// the verdict's, and a failing check piped into `head` still fails a `pipefail` CI step.
pub fn write_report(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                result => Ok(result?),
            }
        }
        Some(path) => write_atomically(path, bytes),
    }
}

/// Whether an error is a reader going away (`microcosm … | head`): not a failure of the command,
/// and not worth a message.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Writes a file so that readers see either the old content or all of the new. A path that
/// names something other than a regular file (a device, a FIFO, a socket) is written to in
/// place: renaming a temporary file over `/dev/full` would replace the device with a file and
/// report success for bytes that went nowhere they were meant to.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // `metadata` follows symlinks: `/dev/stdout` is a link to whatever fd 1 is.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            anyhow::bail!("cannot write {}: it is a directory", path.display());
        }
        if !meta.is_file() {
            return write_in_place(path, bytes);
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // A temporary file is private (0600), but the report it becomes is an ordinary file: ask
    // for 0666, which the umask narrows as it would for any new file, and when replacing a
    // file keep its mode.
    #[cfg(unix)]
    let replaced = {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
        std::fs::metadata(path).ok().map(|m| m.permissions())
    };
    let mut temp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    #[cfg(unix)]
    if let Some(permissions) = replaced {
        temp.as_file()
            .set_permissions(permissions)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes `bytes` to the special file at `path` as it is, without creating or replacing it.
fn write_in_place(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    match file.write_all(bytes).and_then(|()| file.flush()) {
        // A pipe's reader that stopped reading is `… | head` by another name: the command's
        // verdict stands, as it does for stdout (see `write_report`).
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.with_context(|| format!("cannot write {}", path.display())),
    }
}

/// The version of the JSON Lines report formats. Bump it when a field changes meaning or
/// disappears; adding fields is compatible.
///
/// Every line is `{"type": T, "data": D}`. Every report starts with `begin` (`data`:
/// `schema_version`, `command`, `version`) and ends with `end`; between them, per command:
/// - `validate`: `file` (`path`, `status` = `valid` | `invalid`, `services`, `endpoints`,
///   `transactions`, `experiments`) and `diagnostic` (`code`, `severity`, `message`, `help`,
///   `location` {`file`, `line`, `column`, `span` {`start`, `end`}}), then `summary`
///   (`files`, `valid`, `invalid`).
/// - `analyze`: per file, in the order given: `scenario` (`path`, `name`); `services` (an array: `name`, `cohesion` (null
///   without a monolith, or when undefined), `functions`, `fan_in`, `fan_out`, `async_in`,
///   `async_out`, `instability`, `replicas`, `zones`, `blast_radius`); with a monolith,
///   `coupling` (an array of non-zero ordered pairs: `from`, `to`, `value`, `weight`), `theorem`
///   (`definition`, `formula`, `coverage`, `disjoint`, `cohesion_exceeds_coupling`, `holds`,
///   `uncovered`, `unknown`, `overlapping`, `violations` [{`service`, `other`, `cohesion`,
///   `coupling`, `heaviest` [{`from`, `to`, `weight`}]}]) and `metrics` (`modularity`,
///   `structural_modularity`, `inter_call_percentage`, `interface_number`,
///   `non_extreme_distribution`); `findings` (an array: `rule`, `severity` = `info` |
///   `warning` | `error`, `message`, `help`, `path`, `location`); then `summary` (`errors`,
///   `warnings`, `infos`, `outcome` = `pass` | `fail`). An invalid file gives `scenario`
///   {`path`}, its `diagnostic` records and `summary` {`outcome`: `invalid`}.
/// - `verify`: the `diagnostic` records of the files that did not load, then `verdict` (one per
///   check, as `check`'s, with `file`, `line`, `column`), then `summary` (`verdicts`, `holds`,
///   `violated`, `inconclusive`); `--replay` gives `state` (`index`, `fields`) records.
/// - `propose`: `proposal` (`source`, `functions`, `communities`, `services`, `modularity`,
///   `seed`, `resolution`, `definition`, `repaired`, `holds`, `capped`), `services` (an array:
///   `name`, `functions`, `context`, `cohesion`), `changes` (an array: `kind` = `moved`
///   {`function`, `from`, `to`} | `merged` {`from`, `into`}, with `broken_before`,
///   `broken_after`), `coupling`, `theorem` and `metrics` as for `analyze`, then `summary`
///   (`outcome`).
/// - `simulate` (and `merge`, which writes the same report): `plan`, `replication`,
///   `experiment`, `sweep`, `summary`, `timing`; documented in `src/simulate.rs`.
/// - `check`: `verdict` (one per check, with its counterexample) and `summary`; documented
///   next to its serializer in `src/report/json.rs`.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Serialises one JSON Lines record.
pub fn json_line(out: &mut Vec<u8>, kind: &str, data: &impl serde::Serialize) {
    // Written by hand so `type` comes first, which makes the stream easy to read and grep.
    out.extend_from_slice(b"{\"type\":");
    serde_json::to_writer(&mut *out, kind).expect("a string serialises");
    out.extend_from_slice(b",\"data\":");
    serde_json::to_writer(&mut *out, data).expect("report data serialises");
    out.extend_from_slice(b"}\n");
}

/// The `begin` record.
pub fn json_begin(out: &mut Vec<u8>, command: &str) {
    json_line(
        out,
        "begin",
        &serde_json::json!({
            "schema_version": JSON_SCHEMA_VERSION,
            "command": command,
            "version": env!("CARGO_PKG_VERSION"),
        }),
    );
}
