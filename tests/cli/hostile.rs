//! End-to-end tests of hostile input at the command line: inputs that once panicked, numbers
//! that would take unbounded memory or time, special files given as inputs and outputs. Each
//! command must refuse with a clear message and exit 2, or do its work within bounds; never
//! panic, never lie about where its output went.

use std::path::Path;

use predicates::prelude::*;

use crate::cli::run;

/// A scenario with a 2PC transaction, a monolith, an experiment: something every command runs.
const SHOP: &str = "scenarios/online-boutique.toml";

#[test]
fn a_65537_byte_line_ending_in_crlf_is_a_located_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    let mut text = b"\"".to_vec();
    text.extend(std::iter::repeat_n(b'*', 65_534));
    text.extend(b"\r\n");
    assert_eq!(text.len(), 65_537);
    std::fs::write(&file, text).unwrap();
    for color in ["never", "always"] {
        let out = run(["--color", color, "validate"]).arg(&file).exits(2);
        let stderr = out.stderr();
        assert!(!stderr.contains("internal error"), "{stderr}");
        assert!(stderr.contains("long.toml:1:"), "{stderr}");
        assert!(stderr.contains("error[syntax]"), "{stderr}");
    }
}

/// Every command that takes `--output`, with arguments that make it run quickly.
fn commands_with_output() -> Vec<Vec<&'static str>> {
    vec![
        vec!["schema"],
        vec!["analyze", "scenarios/monolith-shop.toml"],
        vec!["propose", "scenarios/monolith-shop.toml"],
        vec!["check", SHOP, "--skip", "verify", "--skip", "simulate"],
        vec!["simulate", SHOP, "--duration", "1", "--format", "json"],
        vec!["validate", SHOP],
        vec![
            "verify",
            "scenarios/gallery/saga-dual-write.toml",
            "--format",
            "json",
        ],
    ]
}

fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path)
        .unwrap()
        .file_type()
        .is_char_device()
}

/// Asserts /dev/full is still the device. A regression run as root would have renamed a file
/// over it, breaking it for everything else on the machine: put the device back first.
fn assert_still_dev_full(args: &[&str]) {
    let full = Path::new("/dev/full");
    if is_char_device(full) {
        return;
    }
    let _ = std::fs::remove_file(full);
    let _ = std::process::Command::new("mknod")
        .args(["-m", "666", "/dev/full", "c", "1", "7"])
        .status();
    panic!("{args:?} replaced /dev/full with a regular file");
}

#[test]
fn output_to_dev_full_is_a_write_error_and_the_device_stays() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    for args in commands_with_output() {
        let out = run(&args).args(["-o", "/dev/full"]).exits(2);
        let stderr = out.stderr();
        assert!(
            stderr.contains("cannot write /dev/full"),
            "{args:?}: {stderr}"
        );
        assert_still_dev_full(&args);
    }
}

#[test]
fn merge_output_to_dev_full_is_a_write_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard.jsonl");
    run([
        "simulate",
        SHOP,
        "--duration",
        "1",
        "--shard",
        "1/1",
        "--format",
        "json",
        "-o",
    ])
    .arg(&shard)
    .exits_one_of(&[0, 1]);
    run(["merge"])
        .arg(&shard)
        .args(["-o", "/dev/full"])
        .exits(2)
        .stderr_has("cannot write /dev/full");
    assert_still_dev_full(&["merge"]);
}

#[test]
fn output_to_a_fifo_reaches_its_reader() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for args in [
        vec!["schema"],
        vec![
            "check", SHOP, "--skip", "verify", "--skip", "simulate", "--format", "json",
        ],
    ] {
        let expected = run(&args).exits_any();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        run(&args).arg("-o").arg(&fifo).exits_one_of(&[0, 1]);
        // Checked before joining: had a file been renamed over the FIFO, the reader would wait
        // on the old one for ever.
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
            "{args:?} replaced the FIFO with a file"
        );
        let got = reader.join().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected.stdout_bytes()),
            "{args:?}"
        );
    }
}

#[test]
fn a_regular_output_file_is_still_replaced_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("schema.json");
    let old_name = dir.path().join("old.json");
    std::fs::write(&report, "old").unwrap();
    // A second name for the old file: a rename leaves it holding the old text, while an
    // in-place rewrite would change it too.
    std::fs::hard_link(&report, &old_name).unwrap();
    run(["schema", "-o"]).arg(&report).exits(0);
    assert_eq!(std::fs::read_to_string(&old_name).unwrap(), "old");
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("\"$schema\"")
    );
}

/// Every numeric option of every command, with values out of its range: each is refused as
/// the command line is parsed (exit 2) with a message that gives the range.
#[test]
fn every_numeric_option_has_a_range_that_the_message_explains() {
    let verify = ["verify", SHOP];
    let check = ["check", SHOP];
    let analyze = ["analyze", SHOP];
    let propose = ["propose", "scenarios/monolith-shop.toml"];
    let simulate = ["simulate", SHOP];
    let explore = ["explore", SHOP];
    let cases: Vec<(&[&str], &str, &[&str], &str)> = vec![
        (
            &verify,
            "--jobs",
            &["0", "1000000", "-1", "x"],
            "from 1 to 256",
        ),
        (
            &verify,
            "--max-states",
            &["0", "18446744073709551615"],
            "from 1 to",
        ),
        (
            &verify,
            "--max-depth",
            &["18446744073709551615", "-3"],
            "from 0 to",
        ),
        (
            &verify,
            "--timeout",
            &["NaN", "inf", "-1", "0", "1e18"],
            "seconds",
        ),
        (&check, "--jobs", &["0", "100000"], "from 1 to 256"),
        (&check, "--max-states", &["0", "1e3"], "from 1 to"),
        (&check, "--timeout", &["NaN", "-inf", "1e30"], "seconds"),
        (
            &analyze,
            "--max-chain",
            &["0", "99999999999"],
            "from 1 to 10000",
        ),
        (
            &analyze,
            "--max-amplification",
            &["NaN", "nan", "inf", "-1", "0.5", "1e400"],
            "at least 1",
        ),
        (
            &propose,
            "--resolution",
            &["NaN", "inf", "-1", "0"],
            "positive number",
        ),
        (&propose, "--seed", &["-1", "18446744073709551616"], "seed"),
        (
            &simulate,
            "--replications",
            &["0", "1000000000"],
            "from 1 to 1000",
        ),
        (
            &simulate,
            "--duration",
            &["NaN", "inf", "-5", "0", "1e12"],
            "seconds",
        ),
        (&simulate, "--jobs", &["0", "1000000"], "from 1 to 256"),
        (&simulate, "--seed", &["-1", "1.5"], "seed"),
        (&explore, "--timeout", &["NaN", "1e30"], "seconds"),
        (&explore, "--max-states", &["0"], "from 1 to"),
    ];
    for (command, option, values, message) in cases {
        for value in values {
            let out = run(command).arg(format!("{option}={value}")).exits(2);
            let stderr = out.stderr();
            assert!(
                stderr.contains(option) && stderr.contains(message),
                "{command:?} {option}={value}: {stderr}"
            );
        }
    }
}

#[test]
fn the_ends_of_each_range_are_accepted() {
    run(["verify", SHOP, "--jobs", "256", "--max-states", "1"])
        .args(["--max-depth", "0", "--timeout", "31536000"])
        .exits_one_of(&[0, 1]);
    run([
        "analyze",
        "scenarios/monolith-shop.toml",
        "--max-chain",
        "10000",
    ])
    .args(["--max-amplification", "1"])
    .exits_one_of(&[0, 1]);
}

#[test]
fn merge_refuses_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    for path in ["/dev/zero", "/dev/null"] {
        if !Path::new(path).exists() {
            continue;
        }
        run(["merge", path])
            .timeout(std::time::Duration::from_secs(60))
            .exits(2)
            .stderr_has("not a regular file");
    }
    run(["merge"])
        .arg(dir.path())
        .exits(2)
        .stderr_has("not a regular file");
}

#[test]
fn every_command_refuses_an_empty_directory_alike() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["validate", "verify", "check"] {
        run([command])
            .arg(dir.path())
            .exits(2)
            .stdout_matches(predicate::str::is_empty())
            .stderr_has("no scenario files (*.toml, *.json) under the paths given");
    }
}

/// A breaker the model cannot hold (129 trial calls; it holds 128). Validation may come to
/// refuse it first; either way the gate must not pass with the policy's checks left out.
const REFUSED_POLICY: &str = "name = \"t\"\n[services.a.endpoints.x]\ncalls = [\"b.y\"]\n\
    [services.b.endpoints.y]\n[policies.\"a -> b\"]\ncircuit_breaker = { \
    failure_rate_threshold = 0.5, sliding_window_size = 4, minimum_number_of_calls = 2, \
    wait_duration_in_open_state_ms = 1000, permitted_number_of_calls_in_half_open_state = 129 }\n";

#[test]
fn check_and_verify_never_drop_a_check_the_model_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("refused.toml");
    std::fs::write(&file, REFUSED_POLICY).unwrap();
    let out = run(["check", "--format", "json"]).arg(&file).exits(2);
    let records = out.records();
    let verdicts = records.all("verdict");
    let invalid = verdicts
        .iter()
        .any(|r| r["check"].as_str().unwrap().starts_with("validate") && r["status"] != "holds");
    let policy: Vec<_> = verdicts
        .iter()
        .filter(|r| r["check"].as_str().unwrap().starts_with("a -> b/"))
        .collect();
    assert!(invalid || !policy.is_empty(), "{records:?}");
    for r in &policy {
        assert_eq!(r["status"], "error", "{r}");
    }
    run(["verify"])
        .arg(&file)
        .exits(2)
        .stderr_matches(predicate::str::contains("a -> b").or(predicate::str::contains("129")));
}

#[test]
fn verify_never_generates_more_states_than_max_states() {
    let verdicts = run([
        "verify",
        "scenarios/web3-exchange.toml",
        "--max-states",
        "1000",
        "--threads",
        "2",
        "--format",
        "json",
    ])
    .exits(1)
    .records()
    .all("verdict");
    assert!(verdicts.iter().any(|v| v["status"] == "inconclusive"));
    for v in verdicts {
        let generated = v["stats"]["states_generated"].as_u64().unwrap();
        assert!(generated <= 1000, "{v}");
    }
}

/// Issue 13: `propose --seed 0` printed a different `structural_modularity` one run in six.
/// The same calls and seed must give the same bytes, run after run, with 1 or 2 threads.
#[test]
fn propose_gives_the_same_bytes_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.csv");
    let mut state = 3u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut csv = String::from("caller,callee,weight\n");
    for _ in 0..8_000 {
        let a = next(1_500);
        let b = if next(100) < 85 {
            a / 30 * 30 + next(30)
        } else {
            next(1_500)
        };
        if a != b {
            csv.push_str(&format!("f{a},f{b},{}\n", 1 + next(4)));
        }
    }
    std::fs::write(&calls, csv).unwrap();
    let proposal = |threads: &str, format: &str| {
        run(["propose", "--seed", "0", "--format", format, "--calls"])
            .arg(&calls)
            .env("RAYON_NUM_THREADS", threads)
            .exits(0)
    };
    for format in ["json", "human"] {
        let first = proposal("1", format);
        assert!(!first.stdout_bytes().is_empty());
        for i in 0..6 {
            let threads = if i % 2 == 0 { "2" } else { "1" };
            assert!(
                proposal(threads, format).stdout_bytes() == first.stdout_bytes(),
                "run {i} ({format}) differs"
            );
        }
    }
}
