//! Speed of loading and reporting an invalid scenario as the number of problems grows: a file
//! with 1,000 and with 8,000 services, each with one invalid value, loaded (parse, validate,
//! locate every problem at line and column) and every diagnostic rendered as `validate`
//! prints it. Both steps must stay near-linear: locating and rendering once scanned the file
//! from its start for every problem, which took 22.6 s for 8,000 problems.
//!
//! Run: `cargo bench -p microcosm-model --bench validate`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use microcosm_model::{Format, load_str};

/// `problems` services, each with a `cpu_millis` of 0 (at least 1 is valid).
fn invalid_scenario(problems: usize) -> String {
    let mut text = String::from("name = \"many-problems\"\n");
    for i in 0..problems {
        text.push_str(&format!(
            "[services.s{i}]\nresources = {{ cpu_millis = 0 }}\n"
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    for problems in [1_000, 8_000] {
        let text = invalid_scenario(problems);
        group.bench_function(format!("{problems}-problems-load-and-render"), |b| {
            b.iter(|| {
                let error = load_str(
                    black_box(&text),
                    Path::new("bench.toml"),
                    Format::Toml,
                    Path::new("."),
                )
                .expect_err("every service is invalid");
                assert_eq!(error.diagnostics.len(), problems);
                error
                    .diagnostics
                    .iter()
                    .map(|d| d.render(false).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
