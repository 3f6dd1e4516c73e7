//! Shell completion that knows the scenario. clap_complete's dynamic completion
//! (`COMPLETE=bash microcosm`, see [`clap_complete::env::CompleteEnv`]) makes the shell call
//! back into this binary on every TAB; this module owns the completers it then runs for the
//! options whose values are names in a scenario file: `simulate --experiment`,
//! `verify --transaction`, `verify --property` and `check --only`. Each reads the scenario files already on the
//! command line being typed, loads them, and offers their names.
//!
//! A completer runs while someone is typing: it must never print an error, never panic where
//! the user can see it, and never fail. A file that does not exist yet, cannot be read or does
//! not validate simply contributes no names.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::CommandFactory;
use clap::parser::ArgMatches;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use microcosm_model::LoadedScenario;

use crate::cli::Cli;

/// The environment variable that turns a run of the binary into a completion request, as
/// clap_complete names it by default (`source <(COMPLETE=bash microcosm)`).
pub const VAR: &str = "COMPLETE";

/// `--experiment`: the experiments of the scenarios on the command line.
pub fn experiments() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| offer(current, experiment_names))
}

/// `--transaction`: every subject `verify` can check (transactions, and policies and
/// experiments that have a check of their own).
pub fn subjects() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| offer(current, subject_names))
}

/// `--property`: the property ids of the checks on the command line (of `--transaction`'s, when
/// one is given).
pub fn properties() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| offer(current, property_ids))
}

/// Finds names, each with a line of help, in the scenarios loaded and the command line's other
/// values.
type Finder = fn(&[LoadedScenario], &ArgMatches) -> Vec<(String, String)>;

/// `check --only`: the check ids and rule ids of the scenarios on the command line, for the
/// stages not skipped.
pub fn checks() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| offer(current, check_ids))
}

/// The names `names` finds for the command line being completed that start with `current`,
/// each once, in the order found. A panic anywhere underneath is caught and gives nothing.
fn offer(current: &OsStr, names: Finder) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy().into_owned();
    let found = std::panic::catch_unwind(|| {
        let words = other_words(std::env::args_os().collect(), index_from_env());
        let Some(matches) = parse(&words) else {
            return Vec::new();
        };
        names(&load_leniently(&matches), &matches)
    })
    .unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    found
        .into_iter()
        // A name with whitespace would reach the command line unquoted and split in two.
        .filter(|(name, _)| name.starts_with(&current) && !name.contains(char::is_whitespace))
        .filter(|(name, _)| seen.insert(name.clone()))
        .map(|(name, help)| CompletionCandidate::new(name).help(Some(help.into())))
        .collect()
}

/// The index of the word being completed among the words after `--`, as bash, zsh and elvish
/// pass it; fish and PowerShell always complete the last word and do not.
fn index_from_env() -> Option<usize> {
    std::env::var("_CLAP_COMPLETE_INDEX").ok()?.parse().ok()
}

/// The command line being typed, without the word being completed (and without the option it
/// is the value of, when that option is a word of its own): what clap can parse to find the
/// scenario files named. `args` is how the shell ran this binary: `microcosm -- microcosm
/// simulate shop.toml --experiment pay`.
fn other_words(args: Vec<OsString>, index: Option<usize>) -> Vec<OsString> {
    let Some(dash) = args.iter().position(|a| a == "--") else {
        return Vec::new();
    };
    let words = &args[dash + 1..];
    if words.is_empty() {
        return Vec::new();
    }
    let index = index
        .filter(|&i| i < words.len())
        .unwrap_or(words.len() - 1);
    let mut before = words[..index].to_vec();
    if before.last().is_some_and(|w| {
        let w = w.to_string_lossy();
        w.starts_with('-') && !w.contains('=')
    }) {
        before.pop();
    }
    before.extend_from_slice(&words[index + 1..]);
    before
}

/// The subcommand's matches for `words`, parsed as far as they go: a line still being typed
/// lacks required values and may hold a typo.
fn parse(words: &[OsString]) -> Option<ArgMatches> {
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(words)
        .ok()?;
    matches.subcommand().map(|(_, m)| m.clone())
}

/// The most scenario files a completion loads: a TAB must answer at once.
const MAX_FILES: usize = 64;

/// The scenarios named by the subcommand's positional paths that load without error. A
/// directory contributes the scenarios directly inside it, not those of its subdirectories:
/// `verify ~ --transaction <TAB>` must not walk a home directory while the user waits.
fn load_leniently(matches: &ArgMatches) -> Vec<LoadedScenario> {
    let mut paths: Vec<PathBuf> = Vec::new();
    // The positional argument's id differs between commands; asking for one a command does
    // not have is an error here, not a panic.
    for id in ["paths", "path", "file"] {
        if let Ok(Some(values)) = matches.try_get_many::<PathBuf>(id) {
            paths.extend(values.cloned());
        }
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(&path)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && crate::files::is_scenario_path(p))
                .take(MAX_FILES)
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path);
        }
    }
    files
        .iter()
        .take(MAX_FILES)
        .filter_map(|f| microcosm_model::load(f).ok())
        .collect()
}

fn experiment_names(scenarios: &[LoadedScenario], _: &ArgMatches) -> Vec<(String, String)> {
    scenarios
        .iter()
        .flat_map(|s| {
            s.scenario.experiments.keys().map(|name| {
                let file = s.source.path.display();
                (name.clone(), format!("experiment in {file}"))
            })
        })
        .collect()
}

fn subject_names(scenarios: &[LoadedScenario], _: &ArgMatches) -> Vec<(String, String)> {
    scenarios
        .iter()
        .flat_map(|s| microcosm_checker::scenario::jobs(&s.scenario))
        .map(|job| {
            let what = match job.protocol {
                "two_phase_commit" => "two-phase commit transaction",
                "saga" => "saga transaction",
                "circuit_breaker" | "retry" => "policy",
                "retry_amplification" => "experiment (retry amplification)",
                other => other,
            };
            (job.subject, what.to_owned())
        })
        .collect()
}

fn property_ids(scenarios: &[LoadedScenario], matches: &ArgMatches) -> Vec<(String, String)> {
    let transaction = matches
        .try_get_one::<String>("transaction")
        .ok()
        .flatten()
        .cloned();
    let mut ids: Vec<&'static str> = scenarios
        .iter()
        .flat_map(|s| microcosm_checker::scenario::jobs(&s.scenario))
        .filter(|job| transaction.as_ref().is_none_or(|t| *t == job.subject))
        .flat_map(|job| job.properties())
        .collect();
    // The catalogue's order: a protocol's properties together, as `verify` reports them.
    let order = |id: &str| {
        microcosm_checker::catalogue::CATALOGUE
            .iter()
            .position(|p| p.id == id)
    };
    ids.sort_by_key(|id| order(id));
    ids.into_iter()
        .map(|id| {
            let help = microcosm_checker::catalogue::lookup(id)
                .map(|p| p.summary.to_owned())
                .unwrap_or_default();
            (id.to_owned(), help)
        })
        .collect()
}

fn check_ids(scenarios: &[LoadedScenario], matches: &ArgMatches) -> Vec<(String, String)> {
    use clap::FromArgMatches;
    let Ok(args) = crate::cli::CheckArgs::from_arg_matches(matches) else {
        return Vec::new();
    };
    let ids = crate::gate::selectable(scenarios, &args);
    // Check ids first (`place-order/2pc.termination`), then the rules, each of which selects
    // every check of its own at once.
    let checks = ids
        .iter()
        .filter(|(check, rule)| check != rule)
        .map(|(check, rule)| (check.clone(), rule.clone()));
    let rules = ids
        .iter()
        .map(|(_, rule)| (rule.clone(), "every check of this rule".to_owned()));
    checks.chain(rules).collect()
}

/// `microcosm completions SHELL`: the script that registers dynamic completion for `shell`,
/// the same `COMPLETE=SHELL microcosm` prints. `completer` is how the script calls this binary
/// back (as it was invoked: a path, or a name found on `PATH`).
pub fn registration(shell: clap_complete::Shell, completer: &str) -> anyhow::Result<Vec<u8>> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let adapter: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        other => anyhow::bail!("no completion for {other}"),
    };
    let mut buffer = Vec::new();
    adapter.write_registration(VAR, "microcosm", "microcosm", completer, &mut buffer)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_word_being_completed_and_its_option_are_left_out() {
        let args = words("microcosm -- microcosm simulate shop.toml --experiment pay");
        assert_eq!(
            other_words(args.clone(), Some(4)),
            words("microcosm simulate shop.toml")
        );
        // fish: the last word, without an index.
        assert_eq!(
            other_words(args, None),
            words("microcosm simulate shop.toml")
        );
        // TAB in the middle of the line: the file may come after.
        let args = words("microcosm -- microcosm simulate --experiment pay shop.toml -j 2");
        assert_eq!(
            other_words(args, Some(3)),
            words("microcosm simulate shop.toml -j 2")
        );
        let args = words("microcosm -- microcosm verify a.toml --property=2pc");
        assert_eq!(other_words(args, Some(3)), words("microcosm verify a.toml"));
        assert!(other_words(words("microcosm"), None).is_empty());
    }

    #[test]
    fn a_half_typed_line_still_names_its_files() {
        let m = parse(&words(
            "microcosm verify a.toml b.toml --transaction t --jobs",
        ))
        .unwrap();
        let paths: Vec<&PathBuf> = m.get_many::<PathBuf>("paths").unwrap().collect();
        assert_eq!(paths, [&PathBuf::from("a.toml"), &PathBuf::from("b.toml")]);
        assert_eq!(m.get_one::<String>("transaction").unwrap(), "t");
    }
}
