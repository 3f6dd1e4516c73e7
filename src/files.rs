//! Turning the paths users give into the scenario files to load: files as given, directories
//! searched recursively for `*.toml` and `*.json`, in a stable order, without following
//! symlinked directories.

use std::path::{Path, PathBuf};

/// The scenario files named by `paths`, or the paths that could not be read.
pub fn scenario_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut errors);
        } else {
            // A file that does not exist is reported by the loader, with the others.
            files.push(path.clone());
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, std::io::Error)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push((dir.to_owned(), e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        // A symlinked directory is not followed (as ripgrep does by default): a link back up
        // the tree would list the same files without end. Name it on the command line to
        // search it.
        let is_link = path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        if path.is_dir() {
            if !is_link {
                walk(&path, files, errors);
            }
        } else if is_scenario_name(name) {
            files.push(path);
        }
    }
}

/// Whether a path in a searched directory names a scenario (see [`is_scenario_name`]).
pub fn is_scenario_path(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.') && is_scenario_name(n))
}

/// Whether a file name in a searched directory names a scenario: `.toml` or `.json`, but not
/// the JSON Schema that usually sits beside them.
fn is_scenario_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".toml") || lower.ends_with(".json")) && !lower.ends_with(".schema.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_loop_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "name = \"a\"\n").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let (files, errors) = scenario_files(&[dir.path().to_owned()]);
        assert_eq!(files, vec![dir.path().join("a.toml")]);
        assert!(errors.is_empty());
    }

    #[test]
    fn schemas_are_not_scenarios() {
        assert!(is_scenario_name("shop.toml"));
        assert!(is_scenario_name("shop.JSON"));
        assert!(!is_scenario_name("scenario.schema.json"));
        assert!(!is_scenario_name("calls.csv"));
    }
}
