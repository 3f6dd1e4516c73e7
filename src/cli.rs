//! The command line, declared with clap's derive API: every command, its options and its help
//! text with an example.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

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
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        global = true
    )]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When the output (diagnostics on stderr, reports on stdout) goes to a terminal and
    /// `NO_COLOR` is unset; never in a file written with --output.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour diagnostics (written to stderr).
    pub fn enabled(self) -> bool {
        self.enabled_on(std::io::stderr().is_terminal())
    }

    /// Whether to colour a report, written to stdout or, with `to_file`, to a file. A report
    /// follows where it goes, not stderr: `check … > report.txt` from a terminal must not
    /// fill the file with escape codes.
    pub fn enabled_for_report(self, to_file: bool) -> bool {
        self.enabled_on(!to_file && std::io::stdout().is_terminal())
    }

    fn enabled_on(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
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

    /// The CI gate: validate, analyse, verify and simulate everything the scenarios declare.
    #[command(after_help = "Examples:\n  \
        microcosm check scenarios/\n  \
        microcosm check arch/ --format junit --output microcosm.xml\n  \
        microcosm check arch/ --format sarif --output microcosm.sarif\n  \
        microcosm check shop.toml --only 'place-order/*' --skip simulate\n\n\
        Exit codes: 0 every check passes; 1 a check is violated, a declared expectation is not \
        met, or a check is inconclusive without --allow-inconclusive; 2 invalid input.")]
    Check(CheckArgs),

    /// Analyse an architecture: the decomposition theorem and quality metrics (with a
    /// monolith), service coupling and failure, security-policy and capacity findings.
    #[command(after_help = "Examples:\n  \
        microcosm analyze scenarios/monolith-shop.toml\n  \
        microcosm analyze scenarios/ --min-severity error\n  \
        microcosm analyze shop.toml --definition structural --format json\n  \
        microcosm analyze shop.toml --min-severity warning\n\n\
        With several files, each is reported in turn and the exit code is the worst. \
        Exit codes: 0 no finding is an error; 1 a finding is an error (the decomposition \
        theorem is broken, services call each other in a cycle, the mesh denies a call, ...); \
        2 invalid input.")]
    Analyze(AnalyzeArgs),

    /// Propose a decomposition of a monolith into services: Leiden communities on the weighted
    /// call and data graph, repaired until the decomposition theorem holds.
    #[command(after_help = "Examples:\n  \
        microcosm propose scenarios/monolith-shop.toml\n  \
        microcosm propose --calls calls.csv --data access.csv --seed 7\n  \
        microcosm propose shop.toml --format toml --output services.toml\n\n\
        calls.csv rows are `caller,callee[,weight]`, access.csv rows \
        `function,entity,read|write|read-write`; headers are optional (a first line is a \
        header when it starts with caller, from, source, src, class, method, function or \
        client, or its third cell is not a weight or mode).\n\
        Exit codes: 0 the proposal satisfies the decomposition theorem; 1 it could not be \
        repaired to; 2 invalid input.")]
    Propose(ProposeArgs),

    /// Simulate a scenario's failure experiments: latency, errors, breakers, retries, SLO verdicts.
    #[command(after_help = "Examples:\n  \
        microcosm simulate scenarios/online-boutique.toml --experiment payment-outage\n  \
        microcosm simulate shop.toml --replications 8 --plot plots/ --format json\n  \
        microcosm simulate shop.toml --sweep 'policies.\"* -> *\".retry.max_attempts=1,2,3'\n  \
        microcosm simulate shop.toml --sweep KEY=V1,V2 --shard 2/4 --output shard-2.jsonl\n\n\
        Every random choice comes from the seed (the experiment's, or --seed), which is printed: \
        the same seed gives the same report. Exit codes: 0 every expectation holds; 1 one fails; \
        2 invalid input.")]
    Simulate(SimulateArgs),

    /// Combine `simulate --shard K/N` reports into the report of the whole run.
    #[command(after_help = "Example:\n  \
        microcosm merge shard-*.jsonl\n  \
        microcosm merge shard-*.jsonl --format json --output report.jsonl\n\n\
        The merged report is byte for byte what `simulate --no-timing` writes unsharded, in \
        either format.")]
    Merge(MergeArgs),

    /// Explore a scenario in the terminal: architecture, decomposition, model checks with a
    /// counterexample stepper, and simulations with a time cursor.
    #[command(after_help = "Examples:\n  \
        microcosm explore scenarios/online-boutique.toml\n  \
        microcosm explore shop.toml --tab verify --timeout 120\n  \
        NO_COLOR=1 microcosm explore shop.toml\n\n\
        Keys: Tab / Shift-Tab or 1-4 switch tabs, ? lists every key, q or Esc quits. \
        Checks and simulations run in the background; the terminal is restored on exit, \
        Ctrl-C and panics. Exit codes: 0 after quitting; 2 invalid input or no terminal.")]
    Explore(ExploreArgs),

    /// Print the scenario format's JSON Schema (draft-07).
    #[command(after_help = "Example:\n  \
        microcosm schema --output scenario.schema.json\n\n\
        Bind it in a TOML scenario with a first line `#:schema ./scenario.schema.json`.")]
    Schema(SchemaArgs),

    /// Write a commented starter scenario, NAME.toml, that passes `check` as written.
    #[command(after_help = "Example:\n  \
        microcosm init shop && microcosm check shop.toml")]
    Init(InitArgs),

    /// Print the script that registers completion with a shell: commands, options, and the
    /// names in the scenario on the command line (`--experiment`, `--transaction`,
    /// `--property`, `--only`).
    #[command(after_help = "Examples:\n  \
        source <(microcosm completions bash)          # in ~/.bashrc\n  \
        source <(microcosm completions zsh)           # in ~/.zshrc\n  \
        microcosm completions fish | source           # in ~/.config/fish/config.fish\n\n\
        Each is the same as `COMPLETE=SHELL microcosm`. The script calls microcosm back on \
        every TAB, so completion follows the installed version; regenerate it (or source it \
        at shell start, as above) after moving the binary.")]
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

/// How much work runs at once: one option, one range and one default for every command that
/// runs checks or simulations in parallel (`check`, `verify`, `simulate`).
// `-j/--jobs` as cargo and make spell it, and as `check` (the command CI lines call) always
// did; `--threads`, which `verify` and `simulate` took before, stays as a hidden alias so
// those lines keep working.
#[derive(Debug, Clone, Copy, Args)]
pub struct Parallel {
    /// Run N checks or simulation runs at once, 1 to 256 (default: one per core). Each check
    /// and each run is single-threaded, so its verdict or report does not depend on N.
    #[arg(
        short = 'j',
        long = "jobs",
        alias = "threads",
        value_name = "N",
        value_parser = thread_count
    )]
    pub jobs: Option<usize>,
}

impl Parallel {
    /// The number of workers: as asked, or one per core.
    pub fn count(self) -> usize {
        self.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1)
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Check only this transaction (or policy, or experiment: whatever has a check).
    #[arg(long, value_name = "NAME", add = crate::complete::subjects())]
    pub transaction: Option<String>,

    /// Check only this property (repeatable), e.g. 2pc.termination.
    #[arg(long, value_name = "ID", add = crate::complete::properties())]
    pub property: Vec<String>,

    /// Stop after generating this many states (the verdict is then inconclusive): no search
    /// generates more.
    #[arg(long, value_name = "N", value_parser = state_bound)]
    pub max_states: Option<usize>,

    /// Do not explore deeper than this many steps (the verdict is then inconclusive).
    #[arg(long, value_name = "N", value_parser = depth_bound)]
    pub max_depth: Option<usize>,

    /// Stop after this many seconds per check (the verdict is then inconclusive).
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<f64>,

    /// Stop model checking when the process holds this much memory (the checks then running
    /// are inconclusive, and the report is still written): bytes, or a number with K, M, G or
    /// T (powers of 1024), e.g. 8G, 512M, 2GiB. Default: three quarters of the physical memory
    /// (on Linux; elsewhere no limit).
    #[arg(long, value_name = "SIZE", value_parser = memory_size)]
    pub max_memory: Option<u64>,

    #[command(flatten)]
    pub parallel: Parallel,

    /// Reduce by symmetry (interchangeable participants), exploring depth-first.
    #[arg(long)]
    pub symmetry: bool,

    /// Exit 0 even when a check could not finish within its bounds.
    #[arg(long)]
    pub allow_inconclusive: bool,

    /// Replay a counterexample's trace id (as printed with it) on --transaction and print the
    /// states it passes through, instead of checking.
    #[arg(long, value_name = "TRACE_ID", requires = "transaction")]
    pub replay: Option<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The gate's report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateFormat {
    /// For people.
    Human,
    /// JSON Lines, one `{"type", "data"}` object per line.
    Json,
    /// JUnit XML, for test-report tabs.
    Junit,
    /// SARIF 2.1.0, for code-scanning alerts.
    Sarif,
    /// GitHub workflow commands (annotations), plus a job summary.
    Github,
}

/// The gate's stages that can be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// Architecture analysis rules.
    Analyze,
    /// Model checking.
    Verify,
    /// Simulation of experiments.
    Simulate,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = GateFormat::Human)]
    pub format: GateFormat,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub parallel: Parallel,

    /// Skip a stage (repeatable).
    #[arg(long, value_enum, value_name = "STAGE")]
    pub skip: Vec<Stage>,

    /// Run only checks whose id or rule matches (repeatable; `*` globs), e.g. 'place-order/*'.
    #[arg(long, value_name = "ID", add = crate::complete::checks())]
    pub only: Vec<String>,

    /// Stop a model check after generating this many states (it is then inconclusive).
    #[arg(long, value_name = "N", value_parser = state_bound)]
    pub max_states: Option<usize>,

    /// Stop the whole run after this many seconds of wall time: loading, analysis, model
    /// checking and simulation share the one deadline, and the checks it cuts short are
    /// inconclusive (the report is still written).
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<f64>,

    /// Stop model checking when the process holds this much memory (the checks then running
    /// are inconclusive, and the report is still written): bytes, or a number with K, M, G or
    /// T (powers of 1024), e.g. 8G, 512M, 2GiB. Default: three quarters of the physical memory
    /// (on Linux; elsewhere no limit).
    #[arg(long, value_name = "SIZE", value_parser = memory_size)]
    pub max_memory: Option<u64>,

    /// Let inconclusive checks pass (reported as skipped).
    #[arg(long)]
    pub allow_inconclusive: bool,
}

/// How cohesion and coupling are defined (W = summed edge weight of the function graph).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Definition {
    /// cohesion(S) = W(S,S) / (|S|(|S|-1)/2), coupling(S,T) = W(S,T) / (|S|·|T|).
    #[default]
    Density,
    /// Structural modularity's terms: W(S,S) / |S|², W(S,T) / (2·|S|·|T|).
    Structural,
    /// Raw weights: W(S,S) against W(S,T).
    Total,
}

/// The least severity a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    /// Everything, figures included.
    Info,
    /// Warnings and errors.
    Warning,
    /// Errors only.
    Error,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Scenario files, or directories searched for *.toml and *.json scenarios.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// How cohesion and coupling are defined for the decomposition theorem.
    #[arg(long, value_enum, default_value_t = Definition::Density)]
    pub definition: Definition,

    /// Show findings of at least this severity (the exit code always counts every error).
    #[arg(long, value_enum, default_value_t = MinSeverity::Info)]
    pub min_severity: MinSeverity,

    /// A synchronous call chain longer than this many calls is a warning.
    #[arg(long, default_value_t = 5, value_name = "CALLS", value_parser = chain_length)]
    pub max_chain: usize,

    /// Retries multiplying a failed service's load by more than this is a warning, for entry
    /// endpoints that no experiment bounds with its own `max_retry_amplification`.
    #[arg(long, default_value_t = 10.0, value_name = "FACTOR", value_parser = amplification_factor)]
    pub max_amplification: f64,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Format of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProposeFormat {
    /// For people.
    Human,
    /// JSON Lines, one `{"type", "data"}` object per line.
    Json,
    /// `[services.*]` tables, ready to paste into a scenario.
    Toml,
}

// Every numeric option has a range, checked here as the command line is parsed, with a message
// that says what would be right. Without one, `--threads 1000000` spawned threads until the
// system refused, `--replications 1000000000` allocated gigabytes, `--max-depth` near
// `usize::MAX` overflowed, and NaN passed every `x > limit` test by being false for all.

/// A finite positive number (NaN, infinities, zero and negatives refused).
fn positive_number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

/// The longest wall-clock or simulated time an option accepts: a year, in seconds. Longer
/// would overflow the clock arithmetic of a deadline, and no run is meant to take that long.
const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A `--timeout`: a positive number of seconds, at most a year.
fn seconds(text: &str) -> Result<f64, String> {
    let x = positive_number(text).map_err(|e| format!("{e} of seconds"))?;
    if x > MAX_SECONDS {
        return Err(format!(
            "`{text}` seconds is too long a timeout: at most {MAX_SECONDS} (a year)"
        ));
    }
    Ok(x)
}

/// `simulate --duration`: positive simulated seconds, at most a year.
fn simulated_seconds(text: &str) -> Result<f64, String> {
    let x = positive_number(text).map_err(|e| format!("{e} of seconds"))?;
    if x > MAX_SECONDS {
        return Err(format!(
            "`{text}` simulated seconds is too long: at most {MAX_SECONDS} (a year)"
        ));
    }
    Ok(x)
}

/// `--max-memory`: a size in bytes (see [`microcosm_checker::memory::parse_size`]).
fn memory_size(text: &str) -> Result<u64, String> {
    microcosm_checker::memory::parse_size(text)
}

/// `analyze --max-amplification`: a finite factor of at least 1 (retries never make fewer
/// attempts than calls, so a bound below 1 would flag every endpoint).
fn amplification_factor(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 1.0 => Ok(x),
        _ => Err(format!(
            "`{text}` is not an amplification factor: give a finite number of at least 1, \
             e.g. 10"
        )),
    }
}

/// A whole number in `min..=max`, with `what` naming it and `why` saying why the limit is
/// where it is.
fn whole_number(text: &str, min: u64, max: u64, what: &str, why: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) | Err(_) => Err(format!(
            "`{text}` {what}: give a whole number from {min} to {max} ({why})"
        )),
    }
}

/// The most threads any option starts: far above any machine this runs on, far below what
/// makes thread creation fail.
const MAX_THREADS: u64 = 256;

/// `--jobs`: 1 to [`MAX_THREADS`].
fn thread_count(text: &str) -> Result<usize, String> {
    whole_number(
        text,
        1,
        MAX_THREADS,
        "is not a thread count",
        "more threads than cores only costs memory",
    )
    .map(|n| n as usize)
}

/// `--max-states`: 1 to 10^12 (a bound, so large is harmless, but it must be one a count
/// can reach).
fn state_bound(text: &str) -> Result<usize, String> {
    whole_number(
        text,
        1,
        1_000_000_000_000,
        "is not a state bound",
        "a search of 10^12 states would not fit in memory anyway",
    )
    .map(|n| n as usize)
}

/// `--max-depth`: 0 (initial states only) to 10^9 steps.
fn depth_bound(text: &str) -> Result<usize, String> {
    whole_number(
        text,
        0,
        1_000_000_000,
        "is not a depth bound",
        "no counterexample is a billion steps long",
    )
    .map(|n| n as usize)
}

/// `analyze --max-chain`: 1 to 10,000 calls.
fn chain_length(text: &str) -> Result<usize, String> {
    whole_number(
        text,
        1,
        10_000,
        "is not a chain length",
        "a bound of 0 calls would flag every call",
    )
    .map(|n| n as usize)
}

/// `simulate --replications`: 1 to 1,000 runs per experiment (each keeps its report in
/// memory until the means are taken).
fn replication_count(text: &str) -> Result<u32, String> {
    whole_number(
        text,
        1,
        1_000,
        "is not a replication count",
        "each replication's report is held in memory; 1,000 give confidence intervals \
         narrower than any run-to-run noise worth measuring",
    )
    .map(|n| n as u32)
}

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// A scenario whose [monolith] to decompose.
    #[arg(
        value_name = "FILE",
        value_hint = ValueHint::FilePath,
        required_unless_present = "calls",
        conflicts_with = "calls"
    )]
    pub file: Option<PathBuf>,

    /// The monolith's calls as CSV: caller,callee[,weight].
    #[arg(long, value_name = "CSV")]
    pub calls: Option<PathBuf>,

    /// The monolith's data accesses as CSV: function,entity,read|write|read-write.
    #[arg(long, value_name = "CSV", requires = "calls")]
    pub data: Option<PathBuf>,

    /// Leiden's resolution: above 1 gives more, smaller services; below 1 fewer, larger ones.
    #[arg(long, default_value_t = 1.0, value_parser = positive_number)]
    pub resolution: f64,

    /// Seed of every random choice: the same input and seed give the same proposal.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// How cohesion and coupling are defined for the theorem the proposal is repaired to.
    #[arg(long, value_enum, default_value_t = Definition::Density)]
    pub definition: Definition,

    /// Print the communities as found, without repairing them.
    #[arg(long)]
    pub no_repair: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ProposeFormat::Human)]
    pub format: ProposeFormat,

    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    #[arg(long, default_value = ".", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The scenario file.
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub path: PathBuf,

    /// Run only this experiment (repeatable; default: every experiment).
    #[arg(long, value_name = "NAME", add = crate::complete::experiments())]
    pub experiment: Vec<String>,

    /// Seed of every random choice (default: each experiment's own `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Independent runs per experiment, with seeds derived from the seed; reported as means
    /// with 95% confidence intervals.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = replication_count)]
    pub replications: u32,

    /// Simulated seconds, instead of each experiment's `duration_s` (at most a year).
    #[arg(long, value_name = "S", value_parser = simulated_seconds)]
    pub duration: Option<f64>,

    /// Width of the time series' buckets, in seconds (default: the scenario's
    /// `metrics_interval_s`, widened so that a run has at most 1000 buckets). At most 100,000
    /// buckets per run.
    #[arg(long, value_name = "S", value_parser = positive_number)]
    pub bucket: Option<f64>,

    /// Stop every run after this many seconds of wall time, counted from the start of the
    /// command: a run it stops is cut short, reported as such, and does not pass.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<f64>,

    /// Vary a scenario value: KEY=V1,V2,... with KEY a dotted path (quote segments holding
    /// dots or spaces). Repeatable: the points are the cartesian product.
    #[arg(long, value_name = "KEY=V1,V2")]
    pub sweep: Vec<String>,

    /// Run only the K-th of N deterministic slices of the work, for `microcosm merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Write SVG plots (latency, throughput and errors, breakers) into this directory.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub plot: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Leave out wall-clock figures (events per second), so the report is a pure function of
    /// the scenario and the seed.
    #[arg(long)]
    pub no_timing: bool,

    #[command(flatten)]
    pub parallel: Parallel,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard reports written by `microcosm simulate --shard K/N --format json`.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Report format (as for every command, for people unless asked otherwise).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write SVG plots into this directory.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub plot: Option<PathBuf>,
}

/// The tab `explore` opens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExploreTab {
    /// Services, six-tuples, call trees.
    Architecture,
    /// The decomposition theorem, the cohesion/coupling matrix, findings.
    Decomposition,
    /// Model checks and counterexamples.
    Verify,
    /// Failure experiments.
    Simulate,
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The scenario file.
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,

    /// The tab shown first.
    #[arg(long, value_enum, default_value_t = ExploreTab::Architecture)]
    pub tab: ExploreTab,

    /// Stop a model check after this many seconds (it is then inconclusive).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: f64,

    /// Stop a model check after generating this many states (it is then inconclusive).
    #[arg(long, value_name = "N", value_parser = state_bound)]
    pub max_states: Option<usize>,

    /// When to colour. The explorer draws on stdout, so auto colours it
    /// unless NO_COLOR is set or TERM is dumb (an invalid file's diagnostics, on stderr, are
    /// coloured when stderr is a terminal).
    // Explore's own `--color`, with the same id as the global one, so its help says what auto
    // means here; clap then skips the global one for this command and shares the value.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN"
    )]
    pub color: ColorChoice,
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
