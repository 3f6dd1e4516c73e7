//! Golden test of the plots' SVG structure (not pixels): the outline of each SVG — its
//! elements in order, with repeated siblings counted, and every text — must match the committed
//! outline in `tests/golden/`. Run with `UPDATE_GOLDEN=1` to rewrite them after a deliberate
//! change.

use microcosm_model::{Format, load_str};
use microcosm_simulator::{Sim, plot, report};

/// Tag names in document order, runs of the same tag collapsed to `tag ×n`, plus the texts.
fn outline(svg: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut rest = svg;
    let mut last: Option<(String, usize)> = None;
    let flush = |last: &mut Option<(String, usize)>, lines: &mut Vec<String>| {
        if let Some((tag, n)) = last.take() {
            lines.push(if n == 1 { tag } else { format!("{tag} ×{n}") });
        }
    };
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("tags close");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('/') || tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
        if name == "text" {
            flush(&mut last, &mut lines);
            let text_end = rest.find('<').unwrap_or(rest.len());
            lines.push(format!("text {}", rest[..text_end].trim()));
            continue;
        }
        match &mut last {
            Some((t, n)) if t == name => *n += 1,
            _ => {
                flush(&mut last, &mut lines);
                last = Some((name.to_owned(), 1));
            }
        }
    }
    flush(&mut last, &mut lines);
    lines.join("\n") + "\n"
}

const GOLDEN: &str = r#"
name = "golden"
[services.a.endpoints.x]
public = true
work = { dist = "constant", ms = 1 }
calls = ["b.x"]
[services.b.endpoints.x]
work = { dist = "constant", ms = 2 }
[policies."a -> b"]
timeout_ms = 50
circuit_breaker = { sliding_window_size = 10, minimum_number_of_calls = 5, wait_duration_in_open_state_ms = 1000 }
[experiments.outage]
duration_s = 6
load = [{ endpoint = "a.x", arrival = "constant", rate_per_s = 20 }]
faults = [{ at_s = 2, for_s = 2, crash = "b" }]
"#;

/// The golden scenario run with `seed` and `duration_s`.
fn run(seed: u64, duration_s: u32) -> report::SimReport {
    let text = GOLDEN.replace("duration_s = 6", &format!("duration_s = {duration_s}"));
    let s = load_str(
        &text,
        std::path::Path::new("golden.toml"),
        Format::Toml,
        std::path::Path::new("."),
    )
    .unwrap()
    .scenario;
    let mut sim = Sim::builder(&s, seed).experiment("outage").build().unwrap();
    sim.run();
    report::build(&sim, &s)
}

#[test]
fn the_breaker_figure_draws_every_spell_the_transitions_make() {
    // Over 60 s the crash lasts 2 s: the breaker opens, probes half-open each second and
    // opens again, then closes; the bucket-end series sees it open throughout.
    let r = run(3, 60);
    let svg = plot::svg(&r, "breakers").unwrap();
    let b = &r.breakers["a -> b"];
    let into = |state: &str| b.transitions.iter().filter(|t| t.to == state).count();
    assert!(into("HALF_OPEN") >= 1, "{:?}", b.transitions);
    // One bar per spell in each state, and one swatch each in the legend.
    let open = svg.matches(r##"fill="#D62728""##).count();
    let half_open = svg.matches(r##"fill="#FFA500""##).count();
    assert_eq!(open, into("OPEN") + 1, "open bars");
    assert_eq!(half_open, into("HALF_OPEN") + 1, "half-open bars");
    assert!(svg.contains(&format!("{} transitions", b.transitions.len())));
}

#[test]
fn plots_keep_their_structure() {
    let r = run(1, 6);
    assert_eq!(plot::plot_names(&r), ["latency", "throughput", "breakers"]);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for name in plot::plot_names(&r) {
        let svg = plot::svg(&r, name).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let got = outline(&svg);
        let path = dir.join(format!("{name}.outline"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
        assert_eq!(got, want, "{name}: the SVG's structure changed");
    }
}
