//! What every end-to-end test of the binary shares: the command, run from the repository root
//! with no colour or CI environment leaking in from the caller, and the JSON Lines reader.

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

/// The records of a JSON Lines report.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}
