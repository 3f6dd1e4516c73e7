//! Scenarios more than one command's tests run, written once: a scenario whose load makes no
//! request in its run (`IDLE`), and one whose load is the most a scenario may declare
//! (`flood`), which only `--timeout` stops. `check` and `simulate` must each refuse to pass
//! them; keeping one text means both commands are tested on the same file. Calls nothing;
//! separate from the modules so that neither command's tests owns the other's input.

use std::path::{Path, PathBuf};

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// One request every thousand seconds over ten, with an SLO expected to hold: it would hold
/// over nothing at all.
pub const IDLE: &str = r#"name = "idle"
[services.front.endpoints.get]
public = true
[slos.get]
endpoint = "front.get"
availability = 0.99
[experiments.x]
duration_s = 10
load = [{ endpoint = "front.get", arrival = "poisson", rate_per_s = 0.001 }]
expect = { slos = ["get"] }
"#;

/// A million requests a simulated second (the most a scenario may declare) for `duration_s`
/// simulated seconds, with an SLO expected to hold.
pub fn flood(duration_s: u32) -> String {
    format!(
        r#"name = "flood"
[services.front.endpoints.get]
public = true
work = {{ dist = "exponential", mean_ms = 1.0 }}
[slos.get]
endpoint = "front.get"
availability = 0.5
[experiments.x]
duration_s = {duration_s}
load = [{{ endpoint = "front.get", arrival = "poisson", rate_per_s = 1e6 }}]
expect = {{ slos = ["get"] }}
"#
    )
}

/// The newcomer's wallet breaker (issue 15): Resilience4j's defaults on `wallet -> custody`
/// (window 20, minimum 10, 10 trial calls), a retry of 3, and 16 concurrent callers (2 replicas
/// of 8 workers). Its model grows by tens of MB a second in a debug build, so a small
/// `--max-memory` stops it within a second or two, where no bound let it grow to 24 GB.
pub const WALLET_BREAKER: &str = r#"name = "wallet"

[services.wallet]
[services.wallet.endpoints.withdraw]
calls = ["custody.sign"]

[services.custody.endpoints.sign]

[policies."wallet -> custody"]
timeout_ms = 500
retry = { max_attempts = 3, wait_ms = 50 }
circuit_breaker = { failure_rate_threshold = 0.5, sliding_window_size = 20, minimum_number_of_calls = 10 }

[deployment.wallet]
replicas = 2
"#;
