//! End-to-end tests of hostile input at the command line: inputs that once panicked, numbers
//! that would take unbounded memory or time, special files given as inputs and outputs. Each
//! command must refuse with a clear message and exit 2, or do its work within bounds; never
//! panic, never lie about where its output went.

use std::path::Path;

use predicates::prelude::*;

#[path = "support/cli.rs"]
mod cli;
use cli::{Exits, microcosm};

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
        let out = microcosm()
            .args(["--color", color, "validate"])
            .arg(&file)
            .exits(2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("internal error"), "{stderr}");
        assert!(stderr.contains("long.toml:1:"), "{stderr}");
        assert!(stderr.contains("error[syntax]"), "{stderr}");
    }
}
