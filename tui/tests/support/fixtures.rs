//! What the explorer's tests share: loading the bundled scenarios, pressing keys, and running
//! the work key presses queue on the test's own thread (the very worker code the explorer runs
//! on its threads), so every outcome is deterministic.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use microcosm_tui::{App, Options, Tab, Theme, work};

/// A file under the workspace root, as a relative path: tests run in the package's directory,
/// and a relative path keeps machine-specific directories out of the snapshots.
pub fn workspace_file(relative: &str) -> PathBuf {
    Path::new("..").join(relative)
}

/// Selects the Verify row of `subject` × `property`.
pub fn select_row(app: &mut App, subject: &str, property: &str) {
    let row = app
        .verify
        .rows
        .iter()
        .position(|(job, p)| app.verify.jobs[*job].job.subject == subject && *p == property)
        .unwrap_or_else(|| panic!("no row {subject} × {property}"));
    press(app, &[KeyCode::Home]);
    for _ in 0..row {
        press(app, &[KeyCode::Down]);
    }
    assert_eq!(app.verify.selected, row);
}

/// The known-bug scenario: 2PC with a coordinator that crashes for good.
pub const KNOWN_BUG: &str = "tui/tests/data/bank-transfer-coordinator-crash.toml";

/// The explorer on a scenario (relative to the workspace root), coloured, on `tab`.
pub fn app_on(relative: &str, tab: Tab) -> App {
    app_with(relative, tab, Theme::colored())
}

/// The explorer on a scenario with a theme.
pub fn app_with(relative: &str, tab: Tab, theme: Theme) -> App {
    let loaded = microcosm_model::load(&workspace_file(relative))
        .unwrap_or_else(|e| panic!("{relative} must load: {e}"));
    App::new(
        loaded,
        &Options {
            theme,
            tab,
            ..Options::default()
        },
    )
}

/// A key press without modifiers.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses each key in turn.
pub fn press(app: &mut App, codes: &[KeyCode]) {
    for code in codes {
        app.on_key(key(*code));
    }
}

/// Presses the characters of `text` in turn.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

/// Runs the queued work to completion on this thread and folds its messages into the app.
pub fn finish_work(app: &mut App) {
    for effect in app.take_effects() {
        for msg in work::execute_collect(effect) {
            app.on_message(msg);
        }
    }
}
