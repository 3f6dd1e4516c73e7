//! The command line, declared with clap's derive API: every command, its options and its help
//! text with an example.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Microcosm: model-check, simulate and analyse microservice architectures before you ship them.
#[derive(Debug, Parser)]
#[command(
    name = "microcosm",
    version,
    about,
    propagate_version = true,
    after_help = "Exit codes: 0 everything holds, 1 something is violated or inconclusive, \
                  2 the input or the command line is invalid.\n\n\
                  Start with `microcosm init shop` and `microcosm validate shop.toml`."
)]
pub struct Cli {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour diagnostics (written to stderr).
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files: parse, resolve every reference, validate every value.
    #[command(after_help = "Examples:\n  \
        microcosm validate scenarios/\n  \
        microcosm validate shop.toml --format json")]
    Validate(ValidateArgs),

    /// Model-check the scenario's transactions: sound verdicts, shortest counterexamples.
    #[command(after_help = "Examples:\n  \
        microcosm verify scenarios/web3-exchange.toml\n  \
        microcosm verify shop.toml --transaction place-order --property 2pc.termination\n  \
        microcosm verify shop.toml --max-states 1000000 --timeout 60 --format json\n\n\
        Exit codes: 0 every verdict holds; 1 a property is violated, or a check was cut short \
        by a bound (inconclusive) without --allow-inconclusive; 2 invalid input.")]
    Verify(VerifyArgs),

    /// Print the scenario format's JSON Schema (draft-07).
    #[command(after_help = "Example:\n  \
        microcosm schema --output scenario.schema.json\n\n\
        Bind it in a TOML scenario with a first line `#:schema ./scenario.schema.json`.")]
    Schema(SchemaArgs),

    /// Write a commented starter scenario, NAME.toml, that validates.
    #[command(after_help = "Example:\n  \
        microcosm init shop && microcosm validate shop.toml")]
    Init(InitArgs),

    /// Print a shell completion script.
    #[command(after_help = "Example:\n  \
        microcosm completions bash > ~/.local/share/bash-completion/completions/microcosm")]
    Completions(CompletionsArgs),
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// JSON Lines, one `{"type", "data"}` object per line.
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Check only this transaction.
    #[arg(long, value_name = "NAME")]
    pub transaction: Option<String>,

    /// Check only this property (repeatable), e.g. 2pc.termination.
    #[arg(long, value_name = "ID")]
    pub property: Vec<String>,

    /// Stop after generating this many states (the verdict is then inconclusive).
    #[arg(long, value_name = "N")]
    pub max_states: Option<usize>,

    /// Do not explore deeper than this many steps (the verdict is then inconclusive).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,

    /// Stop after this many seconds per check (the verdict is then inconclusive).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Worker threads for safety checking.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threads: usize,

    /// Reduce by symmetry (interchangeable participants), exploring depth-first.
    #[arg(long)]
    pub symmetry: bool,

    /// Exit 0 even when a check could not finish within its bounds.
    #[arg(long)]
    pub allow_inconclusive: bool,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The architecture's name; the file written is NAME.toml.
    pub name: String,

    /// Directory to write into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
