//! End-to-end tests of what every command shares: `-o/--output` wherever a report is written,
//! one `-j/--jobs` for parallel work, one `--color`, `PATH...` where several files make sense,
//! one default format, and shell completion that offers the names in the scenario on the
//! command line.

use std::path::Path;

use serde_json::Value;

use crate::cli::{json_lines, run};

/// A scenario with 2PC transactions, an experiment and a monolith.
const SHOP: &str = "scenarios/online-boutique.toml";

/// A report's records with the wall-clock figures taken out, so two runs compare equal.
fn without_timing(records: impl IntoIterator<Item = Value>) -> Vec<Value> {
    records
        .into_iter()
        .map(|mut r| {
            if let Some(stats) = r
                .get_mut("data")
                .and_then(|d| d.get_mut("stats"))
                .and_then(Value::as_object_mut)
            {
                stats.remove("elapsed_s");
            }
            r
        })
        .collect()
}

#[test]
fn validate_verify_and_analyze_write_their_report_to_output() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("validate", vec!["validate", "scenarios/"]),
        (
            "verify",
            vec!["verify", "scenarios/gallery/saga-dual-write.toml"],
        ),
        ("analyze", vec!["analyze", "scenarios/monolith-shop.toml"]),
    ] {
        for format in ["json", "human"] {
            let report = dir.path().join(format!("{name}.{format}"));
            let printed = run(&args).format(format).exits_one_of(&[0, 1]);
            let written = run(&args).format(format).arg("-o").arg(&report).exits_any();
            assert_eq!(written.code(), printed.code(), "{args:?}");
            assert!(
                written.stdout().is_empty(),
                "{args:?}: {}",
                written.stdout()
            );
            let file = std::fs::read(&report).unwrap();
            if format == "json" {
                assert_eq!(
                    without_timing(json_lines(&file)),
                    without_timing(printed.records()),
                    "{args:?}"
                );
            } else if name != "verify" {
                assert_eq!(String::from_utf8_lossy(&file), printed.stdout(), "{args:?}");
            } else {
                assert!(String::from_utf8_lossy(&file).contains("verdicts:"));
            }
        }
    }
}

#[test]
fn an_invalid_file_s_json_goes_to_output_too() {
    let dir = tempfile::tempdir().unwrap();
    let bad = crate::fixtures::write(dir.path(), "bad.toml", "name = 3\n");
    let report = dir.path().join("report.jsonl");
    for command in ["analyze", "propose"] {
        let out = run([command])
            .arg(&bad)
            .format("json")
            .arg("--output")
            .arg(&report)
            .exits(2);
        assert!(out.stdout().is_empty(), "{command}: {}", out.stdout());
        let records = json_lines(&std::fs::read(&report).unwrap());
        assert_eq!(records.record("summary")["outcome"], "invalid", "{command}");
    }
}

/// `(command, arguments that make it quick)` for every command that runs work in parallel.
fn parallel_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check", SHOP, "--skip", "verify", "--skip", "simulate"],
        vec!["verify", "scenarios/gallery/saga-dual-write.toml"],
        vec![
            "simulate",
            SHOP,
            "--duration",
            "1",
            "--experiment",
            "ad-slowdown",
        ],
    ]
}

#[test]
fn every_parallel_command_takes_jobs_documented_identically() {
    let mut helps = Vec::new();
    for args in parallel_commands() {
        let help = run([args[0], "--help"]).exits(0).stdout();
        let at = help
            .find("-j, --jobs <N>")
            .unwrap_or_else(|| panic!("{} --help lacks -j, --jobs:\n{help}", args[0]));
        // The option's paragraph: up to the next blank line.
        let paragraph = help[at..].split("\n\n").next().unwrap().to_owned();
        assert!(paragraph.contains("1 to 256"), "{paragraph}");
        assert!(paragraph.contains("default: one per core"), "{paragraph}");
        assert!(!help.contains("--threads"), "{} --help: {help}", args[0]);
        helps.push(paragraph);
    }
    assert!(helps.windows(2).all(|w| w[0] == w[1]), "{helps:#?}");
    for args in parallel_commands() {
        // The one name, its short form, and the old name still accepted by CI lines.
        for jobs in [["--jobs", "2"], ["-j", "2"], ["--threads", "2"]] {
            run(&args).args(jobs).exits_one_of(&[0, 1]);
        }
        run(&args)
            .args(["--jobs", "0"])
            .exits(2)
            .stderr_has("--jobs")
            .stderr_has("from 1 to 256");
    }
}

#[test]
fn verify_gives_the_same_verdicts_and_counterexamples_whatever_the_jobs() {
    let verdicts = |jobs: &str| {
        let out = run([
            "verify",
            "scenarios/gallery/",
            "--format",
            "json",
            "-j",
            jobs,
        ])
        .exits(1)
        .records();
        without_timing(out.into_iter().filter(|r| r["type"] == "verdict"))
    };
    let one = verdicts("1");
    assert!(one.iter().any(|v| v["data"]["counterexample"].is_object()));
    assert_eq!(verdicts("4"), one);
    // Each check stays single-threaded, so no verdict carries the "may not be shortest" note.
    assert!(
        !serde_json::to_string(&one)
            .unwrap()
            .contains("may not be shortest")
    );
}

#[test]
fn color_takes_the_same_listed_values_on_every_command() {
    for command in [
        "validate",
        "analyze",
        "propose",
        "verify",
        "check",
        "simulate",
        "merge",
        "explore",
        "schema",
        "init",
        "completions",
    ] {
        let help = run([command, "--help"]).exits(0).stdout();
        let at = help
            .find("--color <WHEN>")
            .unwrap_or_else(|| panic!("{command} --help lacks --color <WHEN>:\n{help}"));
        let option = &help[at..];
        for value in ["- auto:", "- always:", "- never:"] {
            assert!(option.contains(value), "{command}: {value} in\n{option}");
        }
        run([command, "--color", "sometimes"])
            .exits(2)
            .stderr_has("[possible values: auto, always, never]");
    }
}

#[test]
fn analyze_takes_several_files_and_exits_with_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let bad = crate::fixtures::write(dir.path(), "bad.toml", "name = 3\n");
    let out = run(["analyze", "scenarios/monolith-shop.toml", SHOP])
        .arg(&bad)
        .exits(2);
    let human = out.stdout();
    let shop = human.find("(scenarios/monolith-shop.toml)").unwrap();
    let boutique = human.find("(scenarios/online-boutique.toml)").unwrap();
    let invalid = human.find("bad.toml: invalid, 1 error").unwrap();
    assert!(shop < boutique && boutique < invalid, "{human}");
    assert!(
        human.contains("3 files analysed: 2 without errors, 0 with errors, 1 invalid"),
        "{human}"
    );
    assert!(out.stderr().contains("bad.toml:1:"), "{}", out.stderr());

    let records = run(["analyze", "scenarios/monolith-shop.toml"])
        .arg(&bad)
        .format("json")
        .exits(2)
        .records();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"begin"));
    assert_eq!(kinds.last(), Some(&"end"));
    assert_eq!(kinds.iter().filter(|k| **k == "begin").count(), 1);
    let scenarios = records.all("scenario");
    assert_eq!(scenarios.len(), 2);
    assert_eq!(scenarios[1]["path"], bad.display().to_string());
    let outcomes: Vec<Value> = records
        .all("summary")
        .into_iter()
        .map(|s| s["outcome"].clone())
        .collect();
    assert_eq!(outcomes, ["pass", "invalid"]);

    // A directory is searched as `validate` and `check` search it.
    let dir_report = run(["analyze", "scenarios/", "--min-severity", "error"]).exits_any();
    for file in crate::cli::bundled_scenarios() {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(dir_report.stdout().contains(&name), "{name}");
    }
}

#[test]
fn merge_defaults_to_the_human_report_like_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard.jsonl");
    let common = [
        "simulate",
        SHOP,
        "--experiment",
        "ad-slowdown",
        "--duration",
        "2",
    ];
    run(common)
        .args(["--shard", "1/1", "--format", "json", "-o"])
        .arg(&shard)
        .exits_one_of(&[0, 1]);
    let whole = run(common).arg("--no-timing").exits_one_of(&[0, 1]);
    let merged = run(["merge"]).arg(&shard).exits_one_of(&[0, 1]);
    assert_eq!(merged.code(), whole.code());
    assert!(!merged.stdout().starts_with('{'), "{}", merged.stdout());
    assert_eq!(merged.stdout(), whole.stdout());
}

/// Asks the binary for completions as `shell`'s registration script does: the words typed so
/// far after `--`, the word being completed at `index` (bash, zsh) or last (fish).
fn complete(shell: &str, words: &[&str], index: usize) -> Vec<String> {
    let mut ask = run(["--"]).args(words).env("COMPLETE", shell);
    if shell != "fish" {
        ask = ask.env("_CLAP_COMPLETE_INDEX", index.to_string());
    }
    let out = ask.exits(0);
    assert!(out.stderr().is_empty(), "{words:?}: {}", out.stderr());
    out.stdout()
        .lines()
        // fish gives `value<TAB>help`, zsh `value:help` (no name here holds a colon).
        .map(|l| l.split(['\t', ':']).next().unwrap().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn completion_offers_the_experiments_of_the_scenario_on_the_command_line() {
    let experiments = [
        "ad-slowdown",
        "email-and-recommendation-outage",
        "payment-outage",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let words = ["microcosm", "simulate", SHOP, "--experiment", ""];
        assert_eq!(complete(shell, &words, 4), experiments, "{shell}");
        // A prefix narrows them; `--experiment=` completes the same.
        let words = ["microcosm", "simulate", SHOP, "--experiment", "pay"];
        assert_eq!(complete(shell, &words, 4), ["payment-outage"], "{shell}");
        let words = ["microcosm", "simulate", SHOP, "--experiment=e"];
        assert_eq!(
            complete(shell, &words, 3),
            ["--experiment=email-and-recommendation-outage"],
            "{shell}"
        );
    }
    // The file may come after the option being completed (TAB in the middle of a line).
    let words = ["microcosm", "simulate", "--experiment", "", SHOP];
    assert_eq!(complete("bash", &words, 3), experiments);
}

#[test]
fn completion_offers_transactions_and_their_properties() {
    let file = "scenarios/web3-exchange.toml";
    let words = ["microcosm", "verify", file, "--transaction", ""];
    let subjects = complete("bash", &words, 4);
    for t in ["deposit", "withdrawal", "spot-margin-transfer"] {
        assert!(subjects.iter().any(|s| s == t), "{t}: {subjects:?}");
    }
    // A saga's properties only, once --transaction names a saga.
    let words = [
        "microcosm",
        "verify",
        file,
        "--transaction",
        "deposit",
        "--property",
        "",
    ];
    let properties = complete("zsh", &words, 6);
    assert!(properties.iter().any(|p| p == "saga.termination"));
    assert!(
        properties.iter().all(|p| p.starts_with("saga.")),
        "{properties:?}"
    );
    // Without one, every property some check of the file has, each once.
    let words = ["microcosm", "verify", file, "--property", "2pc."];
    assert_eq!(
        complete("fish", &words, 4),
        ["2pc.atomicity", "2pc.validity", "2pc.termination"]
    );
}

#[test]
fn completion_on_a_broken_or_missing_file_offers_nothing_and_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broken = crate::fixtures::write(dir.path(), "broken.toml", "name = \n[experiments.x\n");
    let broken = broken.to_str().unwrap();
    let missing = dir.path().join("missing.toml");
    for file in [broken, missing.to_str().unwrap()] {
        for shell in ["bash", "zsh", "fish"] {
            let words = ["microcosm", "simulate", file, "--experiment", ""];
            assert!(complete(shell, &words, 4).is_empty(), "{file} {shell}");
        }
    }
    // No file at all yet.
    let words = ["microcosm", "simulate", "--experiment", ""];
    assert!(complete("bash", &words, 3).is_empty());
}

#[test]
fn completions_prints_the_registration_that_calls_back_for_names() {
    for (shell, line) in [
        ("bash", "COMPLETE=\"bash\""),
        ("zsh", "COMPLETE=\"zsh\""),
        ("fish", "COMPLETE=fish"),
    ] {
        let script = run(["completions", shell]).exits(0).stdout();
        assert!(script.contains(line), "{shell}: {script}");
        assert!(script.contains("microcosm"), "{shell}: {script}");
        // The same script the environment variable gives.
        let from_env = run(Vec::<&str>::new()).env("COMPLETE", shell).exits(0);
        assert_eq!(from_env.stdout(), script, "{shell}");
    }
}

#[test]
fn bash_completes_experiments_through_the_registered_script() {
    // The whole path a user takes: source the script, press TAB. Skipped without bash.
    if !installed("bash") {
        return;
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_microcosm"));
    let script = format!(
        r#"source <(COMPLETE=bash "{bin}")
COMP_WORDS=(microcosm simulate {SHOP} --experiment pay)
COMP_CWORD=4
COMP_TYPE=9
_clap_complete_microcosm microcosm pay --experiment
printf '%s\n' "${{COMPREPLY[@]}}""#,
        bin = binary.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &script])
        .current_dir(crate::cli::root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        "payment-outage",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completion_offers_the_check_ids_only_can_select() {
    let file = "scenarios/web3-exchange.toml";
    let words = ["microcosm", "check", file, "--only", "deposit/"];
    let ids = complete("bash", &words, 4);
    assert!(
        ids.iter().any(|i| i == "deposit/saga.termination"),
        "{ids:?}"
    );
    assert!(ids.iter().all(|i| i.starts_with("deposit/")), "{ids:?}");
    // Rule ids select every check of theirs, and are offered too.
    let words = ["microcosm", "check", file, "--only", "saga.ter"];
    assert_eq!(complete("fish", &words, 4), ["saga.termination"]);
    // A skipped stage's checks are not offered.
    let words = [
        "microcosm",
        "check",
        file,
        "--skip",
        "verify",
        "--only",
        "deposit/",
    ];
    assert!(complete("bash", &words, 6).is_empty());
}

#[test]
fn verify_transaction_over_several_files_checks_the_files_that_have_it() {
    let records = run(["verify", "scenarios/", "--transaction", "deposit"])
        .format("json")
        .exits(0)
        .records();
    let verdicts = records.all("verdict");
    assert!(!verdicts.is_empty());
    assert!(
        verdicts
            .iter()
            .all(|v| v["file"] == "scenarios/web3-exchange.toml"
                && v["check"].as_str().unwrap().starts_with("deposit/")),
        "{verdicts:?}"
    );
    // Named in no file: still an error, with the nearest name.
    run(["verify", "scenarios/", "--transaction", "depositt"])
        .exits(2)
        .stderr_has("files has a transaction `depositt`; did you mean `deposit`?");
}

#[test]
fn fish_completes_experiments_through_the_registered_script() {
    // fish completes a line without a terminal (`complete -C`). Skipped without fish.
    if !installed("fish") {
        return;
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_microcosm"));
    // The registration completes the command named `microcosm`: put the binary on PATH.
    let path = std::env::join_paths(std::iter::once(binary.parent().unwrap().to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = std::process::Command::new("fish")
        .args([
            "--no-config",
            "-c",
            &format!(
                "COMPLETE=fish microcosm | source; \
                 complete -C 'microcosm simulate {SHOP} --experiment pay'"
            ),
        ])
        .env("PATH", path)
        .current_dir(crate::cli::root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!("payment-outage\texperiment in {SHOP}"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn verify_on_a_terminal_finishes_with_its_checks_running_at_once() {
    // The progress spinner draws on stderr from the workers running the checks: the command
    // must not hold stderr while it waits for them (it once deadlocked there).
    let Some(out) = crate::cli::in_terminal(
        crate::cli::root(),
        "timeout 120 \"$MICROCOSM\" verify scenarios/gallery/saga-dual-write.toml -j 2; \
         echo \"exit $?\"",
    ) else {
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("verdicts:"), "{shown}");
    assert!(shown.contains("exit 1"), "{shown}");
}

#[test]
fn completion_reads_the_scenarios_directly_inside_a_directory() {
    let words = ["microcosm", "verify", "scenarios/", "--transaction", "dep"];
    assert_eq!(complete("bash", &words, 4), ["deposit"]);
    // Not those further down: a TAB must not walk a whole tree.
    let words = ["microcosm", "verify", ".", "--transaction", "dep"];
    assert!(complete("bash", &words, 4).is_empty());
}

#[test]
fn verify_json_says_why_an_invalid_file_has_no_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let bad = crate::fixtures::write(dir.path(), "bad.toml", "name = 3\n");
    let records = run(["verify", "scenarios/gallery/saga-dual-write.toml"])
        .arg(&bad)
        .format("json")
        .exits(2)
        .records();
    let diagnostics = records.all("diagnostic");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0]["location"]["file"],
        bad.display().to_string()
    );
    // The valid file is still checked.
    assert!(!records.all("verdict").is_empty());
}

#[test]
fn zsh_completes_experiments_through_the_registered_script() {
    // zsh completes only inside its line editor, which needs a terminal: a zsh drives another
    // through `zsh/zpty`, types the line and a TAB, and reads the screen. Skipped without zsh.
    if !installed("zsh") {
        return;
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_microcosm"));
    let script = format!(
        r#"zmodload zsh/zpty
zpty -b z 'PATH={dir}:$PATH zsh -f -i'
zpty -w z 'autoload -Uz compinit; compinit -u; source <(COMPLETE=zsh microcosm)'
zpty -n -w z $'microcosm simulate {SHOP} --experiment pay\t'
out=
for i in {{1..100}}; do
  zpty -r -t z chunk && out+=$chunk
  [[ $out == *'--experiment payment-outage'* ]] && break
  sleep 0.1
done
zpty -d z
print -r -- "$out""#,
        dir = binary.parent().unwrap().display()
    );
    let out = std::process::Command::new("zsh")
        .args(["-f", "-c", &script])
        .current_dir(crate::cli::root())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("--experiment payment-outage"),
        "the line was not completed: {screen:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether `shell` runs here; if not, says the test skips for its absence.
fn installed(shell: &str) -> bool {
    let found = std::process::Command::new(shell)
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("skipped: {shell} is not installed");
    }
    found
}
