//! The end-to-end tests of the binary, one module a command, linked into one test binary (as
//! ripgrep's `tests/tests.rs` is): seven binaries linked the same libraries seven times over.
//! Each module runs `microcosm` through the one vocabulary of `support/cli.rs`, from the
//! repository root, so paths such as `tests/bad/…` and `scenarios/…` read the same in every
//! module. The fuzz tests stay a binary of their own (`tests/fuzz.rs`): `cargo test --test
//! fuzz` is how the README runs them, the survey re-runs its own binary by test name, and
//! proptest finds `tests/fuzz.proptest-regressions` beside that file only because no
//! `main.rs` is above it (under `tests/cli/` it would find this one and look in
//! `tests/proptest-regressions/` instead).

#[path = "../support/cli.rs"]
mod cli;
mod fixtures;

mod analyze;
mod check;
mod compare;
mod consistency;
mod docker;
mod explore;
mod hostile;
mod init;
mod simulate;
mod validate;
mod verify;
