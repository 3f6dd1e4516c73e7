//! libFuzzer target: arbitrary bytes through the scenario loader, validation and the rendering
//! of every diagnostic, the path `microcosm validate` takes. The first byte picks the format
//! (`j` JSON, anything else TOML); the rest is the file. Text that is not UTF-8 is written to a
//! file and loaded from there, so the loader's own byte checks run too. Any panic is a finding.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use microcosm_model::{Format, LoadError, LoadedScenario};

/// A file per fuzzing process for inputs that must be read from disk.
fn scratch(extension: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("microcosm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    });
    dir.join(format!("input.{extension}"))
}

fn render(result: &Result<LoadedScenario, LoadError>) {
    let diagnostics = match result {
        Ok(loaded) => &loaded.warnings,
        Err(error) => {
            assert!(
                !error.diagnostics.is_empty(),
                "a rejection without a diagnostic"
            );
            &error.diagnostics
        }
    };
    for d in diagnostics {
        let _ = d.render(false);
        let _ = d.render(true);
        let _ = d.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let (format, extension) = if selector == b'j' {
        (Format::Json, "json")
    } else {
        (Format::Toml, "toml")
    };
    let result = match std::str::from_utf8(bytes) {
        Ok(text) => microcosm_model::load_str(
            text,
            Path::new(&format!("fuzz.{extension}")),
            format,
            Path::new("."),
        ),
        Err(_) => {
            let path = scratch(extension);
            std::fs::write(&path, bytes).expect("write the input");
            microcosm_model::load(&path)
        }
    };
    render(&result);
});
