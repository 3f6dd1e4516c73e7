//! Where the shared reference data lives: the real, unmodified deployment files and traces
//! beside the repository (`../shared/data/architectures`). Included with `#[path]` by every
//! import test that reads them, unit and integration alike.

use std::path::PathBuf;

/// The shared architectures folder, or `None` (said on the real stderr, since the harness shows
/// captured output only for failures) where the reference data is not beside this checkout.
pub fn architectures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/architectures");
    if !dir.is_dir() {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {} is absent (the shared reference data beside this checkout)",
            dir.display()
        );
        return None;
    }
    Some(dir)
}
