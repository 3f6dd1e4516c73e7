//! The gallery (`scenarios/gallery/`): every known-buggy design is caught and every fixed twin
//! holds, exactly as each file's `[expected_verdicts]` declares, through the same jobs
//! `microcosm verify` and `microcosm check` run. Every violated verdict must be declared, so a
//! new violation in a gallery file cannot go unnoticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use microcosm_checker::{CheckOptions, Status};
use microcosm_model::ExpectedVerdict;

fn gallery() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/gallery");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_gallery_file_produces_exactly_its_declared_verdicts() {
    let files = gallery();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("#:schema ../scenario.schema.json\n#"),
            "{}: first line binds the schema, then a header comment",
            file.display()
        );
        let loaded = microcosm_model::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let mut got = BTreeMap::new();
        for job in microcosm_checker::scenario::jobs(&loaded.scenario) {
            for v in job.run(&[], &CheckOptions::default()).unwrap() {
                got.insert(format!("{}/{}", v.model, v.property), v.status);
            }
        }
        let expected = &loaded.scenario.expected_verdicts;
        assert!(!expected.is_empty(), "{}", file.display());
        for (check, want) in expected {
            let status = got
                .get(check)
                .unwrap_or_else(|| panic!("{}: no check `{check}`", file.display()));
            let ok = match want {
                ExpectedVerdict::Holds => status.holds(),
                ExpectedVerdict::Violated => status.is_violated(),
            };
            assert!(
                ok,
                "{}: `{check}` is {status}, expected {want:?}",
                file.display()
            );
        }
        for (check, status) in &got {
            assert!(
                !matches!(status, Status::Inconclusive { .. }),
                "{}: `{check}` is {status}",
                file.display()
            );
            if status.is_violated() {
                assert!(
                    expected.contains_key(check),
                    "{}: `{check}` is violated but not declared",
                    file.display()
                );
            }
        }
    }
}
