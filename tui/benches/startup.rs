//! What stands between `microcosm explore FILE` and its first frame, per bundled scenario:
//! loading and validating the file, building the `App` (the architecture analysis included)
//! and drawing the first 80×24 frame. The requirement is under 200 ms; run with
//! `cargo bench -p microcosm-tui --bench startup`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use microcosm_tui::{App, Options};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn startup(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the bundled scenarios")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut group = c.benchmark_group("first_frame");
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
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
