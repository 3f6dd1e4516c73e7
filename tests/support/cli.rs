//! What every end-to-end test of the binary shares: the command, run from the repository root
//! with no colour or CI environment leaking in from the caller, the JSON Lines reader, and
//! ways of running it that need more than pipes (a terminal, a reader that went away).

#![allow(dead_code, reason = "each test binary uses the helpers it needs")]

use std::process::{Output, Stdio};

use assert_cmd::Command;
use serde_json::Value;

/// `microcosm`, run from the repository root.
pub fn microcosm() -> Command {
    let mut cmd = Command::cargo_bin("microcosm").expect("the binary builds");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

/// Runs a command and checks its exit code in one step.
pub trait Exits {
    /// Runs the command, asserts it exits with `code`, and returns what it wrote.
    fn exits(&mut self, code: i32) -> Output;
}

impl Exits for Command {
    fn exits(&mut self, code: i32) -> Output {
        self.assert().code(code).get_output().clone()
    }
}

/// What a run wrote to stdout, as text.
pub fn stdout_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `command`, asserts it exits with `code`, and returns the records of the JSON Lines
/// report it wrote.
pub fn json_report(command: &mut Command, code: i32) -> Vec<Value> {
    json_lines(&command.exits(code).stdout)
}

/// The records of a JSON Lines report.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Runs `microcosm ARGS` with stdout a pipe whose reader has already gone (`… | head`, where
/// `head` exited), and returns how it exited and what it wrote to stderr.
pub fn run_with_closed_stdout(args: &[&std::ffi::OsStr]) -> Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("microcosm"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary exits")
}

/// Runs the shell command `command` on a terminal — a pseudo-terminal from util-linux's
/// `script` as its stdin, stdout and stderr — with `$MICROCOSM` naming the binary, in
/// `dir`; returns what the terminal showed. `None` (after saying so) where `script` is not
/// installed.
pub fn in_terminal(dir: &std::path::Path, command: &str) -> Option<Output> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed, so there is no terminal");
        return None;
    }
    let output = std::process::Command::new("script")
        .args(["--quiet", "--return", "--command", command, "/dev/null"])
        .current_dir(dir)
        .env("MICROCOSM", assert_cmd::cargo::cargo_bin("microcosm"))
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    Some(output)
}
