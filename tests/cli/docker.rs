//! End-to-end test of the container image: builds the repository's `Dockerfile` and runs the
//! gate inside it on a bundled scenario, as a CI system without a Rust toolchain would. Building
//! the image compiles the release binary from scratch (minutes), so it runs only when asked,
//! with `MICROCOSM_DOCKER_TEST=1`, and only where a container engine answers (`docker info` or
//! `podman info`); otherwise it says on stderr why it skipped, past the test harness's capture,
//! and passes.
//!
//! `MICROCOSM_DOCKER_TEST=1 cargo test --test cli docker -- --nocapture`

use std::io::Write as _;
use std::process::{Command, Output};

use crate::cli::root;

/// The tag the test builds; kept afterwards so that a second run reuses the engine's cache.
const IMAGE: &str = "microcosm:cli-test";

/// Says why the test did not run, on the real stderr: `eprintln!` is captured by the harness
/// and shown only for failures, and a skip that nobody sees reads as a pass.
fn skip(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "docker::the_image_runs_the_gate: skipped: {why}"
    );
}

/// The first container engine whose `info` succeeds, or why none does.
fn engine() -> Result<&'static str, String> {
    let mut tried = Vec::new();
    for engine in ["docker", "podman"] {
        match Command::new(engine).arg("info").output() {
            Ok(out) if out.status.success() => return Ok(engine),
            Ok(out) => tried.push(format!(
                "`{engine} info` failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no message")
                    .trim()
            )),
            Err(e) => tried.push(format!("`{engine}` cannot run: {e}")),
        }
    }
    Err(tried.join("; "))
}

/// `ENGINE ARGS` from the repository root, run to completion.
#[track_caller]
fn engine_run(engine: &str, args: &[&str]) -> Output {
    Command::new(engine)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("`{engine}` cannot run: {e}"))
}

#[track_caller]
fn assert_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exited {:?}, not {code}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_image_runs_the_gate() {
    if std::env::var_os("MICROCOSM_DOCKER_TEST").is_none_or(|v| v != "1") {
        skip("set MICROCOSM_DOCKER_TEST=1 to build the image and run it (takes minutes)");
        return;
    }
    let engine = match engine() {
        Ok(engine) => engine,
        Err(why) => {
            skip(&format!("no container engine works here: {why}"));
            return;
        }
    };

    let built = engine_run(engine, &["build", "--tag", IMAGE, "."]);
    assert_exit(&built, 0, &format!("`{engine} build`"));

    let scenarios = format!("{}:/work/scenarios:ro", root().join("scenarios").display());
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--rm", "--volume", &scenarios, IMAGE];
        all.extend_from_slice(args);
        engine_run(engine, &all)
    };
    // The gate on a bundled scenario passes, and says what it checked.
    let checked = run(&["check", "scenarios/gallery/saga-checkout.toml"]);
    assert_exit(&checked, 0, "check in the image");
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(
        report.contains("saga.semantic-atomicity") && report.contains("0 failed"),
        "{report}"
    );
    // A GitLab-style job: a shell in the image, the entrypoint cleared, the README's first
    // steps (the starter passes the gate there too).
    let job = engine_run(
        engine,
        &[
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            IMAGE,
            "-c",
            "cd /tmp && microcosm init shop && microcosm check shop.toml",
        ],
    );
    assert_exit(&job, 0, "init and check through a shell in the image");
    // The exit-code contract reaches the CI job through the entrypoint: 2 for a missing file.
    let missing = run(&["check", "scenarios/no-such-file.toml"]);
    assert_exit(&missing, 2, "check of a missing file in the image");
}
