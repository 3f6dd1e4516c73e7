//! The one way the end-to-end tests run the binary: `run(ARGS)` builds a `microcosm` command
//! (from the repository root, with no colour or CI setting of the caller's leaking in), a few
//! chained words add what a case needs (`.format("json")`, `.in_dir(…)`, `.timeout(…)`), and
//! `.exits(CODE)` runs it, asserts its exit code and hands back what it wrote: text, or the
//! records of a JSON Lines report. A case thus reads as one line of command and its
//! expectations (ripgrep's `rgtest!` keeps its cases as short), and since the assertions are
//! `#[track_caller]`, a failure points at the case, naming the command and all it wrote.
//!
//! Used by the `cli` test binary (`tests/cli/`) and by `tests/fuzz.rs`, whose reproducers run
//! the binary too; it calls nothing of ours but the binary. Separate from the tests so that
//! "run with this format, expect this code, parse this report" is written once.

#![allow(dead_code, reason = "each test binary uses the helpers it needs")]

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Output, Stdio};
use std::time::Duration;

use predicates::Predicate;
use serde_json::Value;

/// The repository root: where every command runs unless a case says otherwise.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reference architectures under `scenarios/` (not the gallery, not the schema), in path
/// order.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            (name.ends_with(".toml") || name.ends_with(".json")) && !name.ends_with(".schema.json")
        })
        .collect();
    files.sort();
    files
}

/// `microcosm ARGS`, not yet run: add to it, then run it with [`Run::exits`] or a sibling.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Run {
        args: Vec::new(),
        dir: root().to_owned(),
        env: Vec::new(),
        timeout: None,
        memory_kib: None,
        close_stdout: false,
    }
    .args(args)
}

/// A command being put together; nothing runs until one of the `exits` methods.
#[derive(Debug)]
#[must_use = "a command does nothing until it is run with `exits`"]
pub struct Run {
    args: Vec<OsString>,
    dir: PathBuf,
    env: Vec<(OsString, OsString)>,
    timeout: Option<Duration>,
    memory_kib: Option<u64>,
    close_stdout: bool,
}

impl Run {
    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Run {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// `--format FORMAT`, where the arguments have got to.
    pub fn format(self, format: &str) -> Run {
        self.args(["--format", format])
    }

    /// Runs in `dir` instead of the repository root.
    pub fn in_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.dir = dir.as_ref().to_owned();
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Run {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Kills the run after `limit`: a hang fails the case instead of stalling the suite.
    pub fn timeout(mut self, limit: Duration) -> Run {
        self.timeout = Some(limit);
        self
    }

    /// Runs under `ulimit -v KIB` (through `sh`), so that an allocation without bound aborts
    /// the binary instead of taking the machine's memory.
    pub fn memory_limit_kib(mut self, kib: u64) -> Run {
        self.memory_kib = Some(kib);
        self
    }

    /// Runs with stdout a pipe whose reader has already gone (`… | head`, where `head`
    /// exited). No timeout applies.
    pub fn close_stdout(mut self) -> Run {
        self.close_stdout = true;
        self
    }

    /// `microcosm ARGS` as the shell would show it, for failure messages.
    fn describe(&self) -> String {
        let mut out = String::from("microcosm");
        for a in &self.args {
            let _ = write!(out, " {}", a.to_string_lossy());
        }
        out
    }

    /// The process to start: the binary, or `sh` running it under a memory limit.
    fn command(&self) -> std::process::Command {
        let binary = env!("CARGO_BIN_EXE_microcosm");
        let mut cmd = match self.memory_kib {
            None => std::process::Command::new(binary),
            Some(kib) => {
                let mut sh = std::process::Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -v {kib}; exec \"$@\""))
                    .arg("sh")
                    .arg(binary);
                sh
            }
        };
        cmd.args(&self.args)
            .current_dir(&self.dir)
            .env_remove("NO_COLOR")
            .env_remove("GITHUB_STEP_SUMMARY");
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Starts it and returns at once, for a case that interrupts the run.
    pub fn spawn(self) -> Child {
        self.command().spawn().expect("the binary starts")
    }

    /// Runs it, whatever its exit: the case reads [`Ran::code`] itself.
    pub fn exits_any(self) -> Ran {
        let output = if self.close_stdout {
            let mut child = self
                .command()
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts");
            drop(child.stdout.take());
            child.wait_with_output().expect("the binary exits")
        } else {
            let mut cmd = assert_cmd::Command::from_std(self.command());
            if let Some(limit) = self.timeout {
                cmd.timeout(limit);
            }
            cmd.output().expect("the binary runs")
        };
        Ran {
            command: self.describe(),
            output,
        }
    }

    /// Runs it and asserts it exits with `code`.
    #[track_caller]
    pub fn exits(self, code: i32) -> Ran {
        self.exits_one_of(&[code])
    }

    /// Runs it and asserts it exits with one of `codes` (0 or 1: a verdict either way).
    #[track_caller]
    pub fn exits_one_of(self, codes: &[i32]) -> Ran {
        let ran = self.exits_any();
        let wanted = codes
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        match ran.code() {
            Some(code) if codes.contains(&code) => {}
            Some(code) => ran.fail(&format!("exited {code}, not {wanted}")),
            None => ran.fail(&format!(
                "ended by {}, not exit {wanted}",
                ran.output.status
            )),
        }
        ran
    }
}

/// What a run did: its exit and what it wrote.
#[derive(Debug)]
pub struct Ran {
    command: String,
    output: Output,
}

impl Ran {
    /// Its exit code; `None` when a signal ended it.
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// How it ended.
    pub fn status(&self) -> ExitStatus {
        self.output.status
    }

    /// What it wrote to stdout, as text: every report is UTF-8, so anything else fails the
    /// case (read [`Ran::stdout_bytes`] where it need not be).
    #[track_caller]
    pub fn stdout(&self) -> String {
        // A `match`, not a closure: `#[track_caller]` does not reach through closures.
        match String::from_utf8(self.output.stdout.clone()) {
            Ok(text) => text,
            Err(e) => self.fail(&format!("wrote stdout that is not UTF-8: {e}")),
        }
    }

    /// What it wrote to stderr, as text (a diagnostic may quote a file that is not UTF-8).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// What it wrote to stdout, byte for byte.
    pub fn stdout_bytes(&self) -> &[u8] {
        &self.output.stdout
    }

    /// The records of the JSON Lines report it wrote to stdout.
    #[track_caller]
    pub fn records(&self) -> Records {
        json_lines(&self.output.stdout)
    }

    /// Asserts stdout contains `part`.
    #[track_caller]
    pub fn stdout_has(self, part: &str) -> Ran {
        if !self.stdout().contains(part) {
            self.fail(&format!("stdout lacks {part:?}"));
        }
        self
    }

    /// Asserts stderr contains `part`.
    #[track_caller]
    pub fn stderr_has(self, part: &str) -> Ran {
        if !self.stderr().contains(part) {
            self.fail(&format!("stderr lacks {part:?}"));
        }
        self
    }

    /// Asserts stdout satisfies `test` (a `predicates` predicate: `is_match`, `.not()`, …).
    #[track_caller]
    pub fn stdout_matches(self, test: impl Predicate<str>) -> Ran {
        if !test.eval(&self.stdout()) {
            self.fail(&format!("stdout is not {test}"));
        }
        self
    }

    /// Asserts stderr satisfies `test`.
    #[track_caller]
    pub fn stderr_matches(self, test: impl Predicate<str>) -> Ran {
        if !test.eval(&self.stderr()) {
            self.fail(&format!("stderr is not {test}"));
        }
        self
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        panic!(
            "`{}` {what}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            String::from_utf8_lossy(&self.output.stdout),
            self.stderr()
        )
    }
}

/// The records of a JSON Lines report (`{"type": …, "data": …}` a line), in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Records(Vec<Value>);

/// The records of the JSON Lines report in `bytes` (a run's stdout, or a report file).
#[track_caller]
pub fn json_lines(bytes: &[u8]) -> Records {
    let mut records = Vec::new();
    for line in String::from_utf8_lossy(bytes).lines() {
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(e) => panic!("bad JSON line {line:?}: {e}"),
        }
    }
    Records(records)
}

impl Records {
    /// The `data` of the first record of type `kind`.
    #[track_caller]
    pub fn record(&self, kind: &str) -> &Value {
        match self.0.iter().find(|l| l["type"] == kind) {
            Some(record) => &record["data"],
            None => panic!("no `{kind}` record"),
        }
    }

    /// The `data` of every record of type `kind` (`verdict`, `diagnostic`, …), in order.
    pub fn all(&self, kind: &str) -> Vec<Value> {
        self.0
            .iter()
            .filter(|l| l["type"] == kind)
            .map(|l| l["data"].clone())
            .collect()
    }
}

impl Deref for Records {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.0
    }
}

impl IntoIterator for Records {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Runs the shell command `command` on a terminal — a pseudo-terminal from util-linux's
/// `script` as its stdin, stdout and stderr — with `$MICROCOSM` naming the binary, in
/// `dir`; returns what the terminal showed. `None` (after saying so) where `script` is not
/// installed.
pub fn in_terminal(dir: &Path, command: &str) -> Option<Output> {
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
        .env("MICROCOSM", env!("CARGO_BIN_EXE_microcosm"))
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    Some(output)
}
