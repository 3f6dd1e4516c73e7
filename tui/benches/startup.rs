//! What stands between `microcosm explore FILE` and its first frame, per bundled scenario
//! (`scenarios/*.toml` and the known bugs in `scenarios/gallery/*.toml`): loading and
//! validating the file, building the `App` (the architecture analysis included) and drawing the
//! first 80×24 frame. The requirement is under 200 ms; run with
//! `cargo bench -p microcosm-tui --bench startup`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use microcosm_tui::{App, Options};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn startup(c: &mut Criterion) {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (prefix, dir) in [
        ("", scenarios.clone()),
        ("gallery/", scenarios.join("gallery")),
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("the bundled scenarios")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        found.sort();
        files.extend(found.into_iter().map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            (format!("{prefix}{stem}"), p)
        }));
    }
    let mut group = c.benchmark_group("first_frame");
    for (name, file) in files {
        group.bench_function(name, |b| {
            b.iter(|| {
                let loaded = microcosm_model::load(&file).expect("bundled scenarios load");
                let app = App::new(loaded, &Options::default());
                let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
                terminal
                    .draw(|frame| frame.render_widget(&app, frame.area()))
                    .unwrap();
                terminal
            })
        });
    }
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
