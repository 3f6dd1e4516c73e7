//! The `microcosm` command: parses the command line, runs the command, and maps the outcome to
//! the exit-code contract — 0 everything holds, 1 something is violated or could not be
//! decided, 2 the command could not run (usage, input or internal error). The work itself lives
//! in the library crates; this binary wires them together and writes reports.

// clap turns the argument types' doc comments into `--help` text, where square brackets are
// literal (`[monolith]` is a TOML table, `caller,callee[,weight]` an optional CSV column), not
// intra-doc links.
#![allow(rustdoc::broken_intra_doc_links)]

mod analyze;
mod cli;
mod complete;
mod explore;
mod files;
mod gate;
mod init;
mod merge;
mod output;
mod propose;
mod report;
mod simulate;
mod validate;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

/// The outcome of a command, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked holds.
    Pass,
    /// A property, rule or SLO is violated, or a check was inconclusive.
    Fail,
    /// The command could not run on its input.
    Invalid,
}

impl Outcome {
    /// The worse of two outcomes (invalid, then fail, then pass): the exit code of a command
    /// run on several files is its worst file's.
    pub fn worst(self, other: Outcome) -> Outcome {
        let rank = |o: Outcome| match o {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Invalid => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(match outcome {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Invalid => 2,
        })
    }
}

fn main() -> ExitCode {
    // The shell calling back on TAB (`COMPLETE=bash microcosm -- microcosm simulate …`) is
    // answered here, before anything is parsed or printed, and exits. A completer must never
    // print a panic's message over what the user is typing: it gives no names instead.
    if std::env::var_os(complete::VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        std::panic::set_hook(Box::new(|_| {}));
    }
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(complete::VAR)
        .complete();
    let cli = Cli::parse();
    exit_code(|| run(cli))
}

/// Runs a command and maps what came of it to the exit-code contract. A panic is an internal
/// error — exit 2, "the command could not run", never Rust's 101, which CI would read as just
/// another failure. It is caught here as it unwinds, after the panic hook has printed where it
/// happened; no hook is replaced, so the explorer's (which restores the terminal first and
/// then chains to the previous one) keeps working.
fn exit_code(command: impl FnOnce() -> anyhow::Result<Outcome>) -> ExitCode {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)) {
        Ok(Ok(outcome)) => outcome.into(),
        Ok(Err(error)) => {
            // A reader that stopped reading is not a failure. Reports keep their command's
            // verdict (`output::write_report` swallows the broken pipe); this catches any
            // other write to a closed stdout.
            if output::is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(2)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            let _ = writeln!(
                std::io::stderr(),
                "error: internal error: {what}\n(this is a bug in microcosm; please report it \
                 with the command and the scenario that caused it)"
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let color = cli.color.enabled();
    match cli.command {
        Command::Validate(args) => validate::run(&args, color),
        Command::Analyze(args) => analyze::run(&args, color),
        Command::Propose(args) => propose::run(&args, color),
        Command::Verify(args) => verify::run(&args, color),
        Command::Check(args) => gate::run(&args, cli.color),
        Command::Schema(args) => {
            let schema = microcosm_model::schema::scenario_schema_json();
            output::write_report(args.output.as_deref(), schema.as_bytes())?;
            Ok(Outcome::Pass)
        }
        Command::Init(args) => init::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Simulate(args) => simulate::run(&args, color),
        Command::Merge(args) => merge::run(&args),
        Command::Completions(args) => {
            // The dynamic registration, not a static script: only it can offer the names in
            // the scenario on the command line. The script calls back the binary as it was
            // called now (a relative path made absolute, as `COMPLETE=bash microcosm` does).
            let argv0 = std::path::PathBuf::from(std::env::args_os().next().unwrap_or_default());
            let completer = if argv0.components().count() > 1 {
                std::env::current_dir()?.join(argv0)
            } else {
                argv0
            };
            let script = complete::registration(args.shell, &completer.to_string_lossy())?;
            output::write_report(None, &script)?;
            Ok(Outcome::Pass)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_exits_2_as_an_internal_error_not_101() {
        let code = exit_code(|| panic!("an engine's invariant broke"));
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(exit_code(|| Ok(Outcome::Fail)), ExitCode::from(1));
        assert_eq!(
            exit_code(|| Err(anyhow::anyhow!("bad input"))),
            ExitCode::from(2)
        );
    }

    #[test]
    fn a_broken_pipe_outside_the_gate_is_success() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let error = anyhow::Error::new(pipe).context("writing the schema");
        assert_eq!(exit_code(|| Err(error)), ExitCode::SUCCESS);
    }
}
