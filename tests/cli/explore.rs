//! End-to-end smoke test of `microcosm explore`: the real binary in a real terminal (a detached
//! tmux pane on a private tmux server), driven by keys and checked on the captured screen text
//! — switching tabs, running the checks of a bundled known bug (the gallery's 2PC without a
//! decision log), selecting rows and reading their detail, stepping through the
//! counterexample, redrawing at a new terminal size, quitting, and the terminal being restored
//! afterwards (also after Ctrl-C).
//! Where tmux is not installed those tests say so and pass without running. The command line
//! (no terminal needed, no tmux) is checked here too: `--help` and where `--color` goes.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::cli::{root, run};

/// A bundled known bug: a 2PC coordinator that recovers without its decision log.
const GALLERY_2PC: &str = "scenarios/gallery/two-phase-commit-without-log.toml";

/// A tmux server of our own, killed when dropped, so a failing test leaves nothing behind and
/// never touches the user's sessions.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `microcosm explore ARGS` in a `width`×`height` pane; after the explorer exits
    /// the pane prints its exit code and stays, so the restored screen can be read.
    fn start(name: &str, args: &[&str], width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipping {name}: tmux is not installed (apt-get install tmux to run it)");
            return None;
        }
        let socket = format!("microcosm-test-{}-{name}", std::process::id());
        let binary = env!("CARGO_BIN_EXE_microcosm");
        let command = format!(
            "{binary} explore {}; echo \"explore exited with $?\"; sleep 30",
            args.join(" ")
        );
        let tmux = Tmux { socket };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "explore",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .current_dir(root())
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "explore"]).stdout)
            .into_owned()
    }

    /// Sends one key (tmux key names: `Enter`, `Right`, `Escape`, `C-c`, `q`).
    fn key(&self, key: &str) {
        let out = self.run(&["send-keys", "-t", "explore", key]);
        assert!(out.status.success(), "send-keys {key}");
    }

    /// Waits until the screen shows `text`; returns how long that took.
    fn wait_for(&self, text: &str) -> Duration {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Waits until the screen satisfies `test` (described as `what` when it never does).
    fn wait_until(&self, what: &str, test: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if test(&screen) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the screen never showed {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Presses `key` and waits for `text`.
    fn press(&self, key: &str, text: &str) {
        self.key(key);
        self.wait_for(text);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn explore_switches_tabs_steps_through_a_counterexample_and_quits() {
    let Some(tmux) = Tmux::start("walkthrough", &[GALLERY_2PC], 100, 30) else {
        return;
    };
    let first_frame = tmux.wait_for("1 Architecture");
    eprintln!("first frame seen after {first_frame:?} (a debug build, polled every 10 ms)");
    tmux.wait_for("╭ Services (3)");
    tmux.wait_for("Service ledger");

    tmux.press("2", "Findings:");
    tmux.press("3", "Transactions × properties");
    tmux.wait_for("not run");
    tmux.press("4", "declares no failure experiments");
    tmux.press("Tab", "╭ Services (3)");
    tmux.press("BTab", "declares no failure experiments");
    tmux.press("BTab", "Transactions × properties");

    // Check every transaction: the log-less recovery breaks atomicity.
    tmux.press("a", "VIOLATED");
    tmux.wait_for("(2/2 checked)");
    // Each row down shows its own detail: recover-with-log's three properties hold, then
    // recover-without-log's atomicity is violated by a trace.
    tmux.wait_for("╭ recover-with-log · 2pc.atomicity");
    for (title, detail) in [
        (
            "╭ recover-with-log · 2pc.validity",
            "commit only if every participant voted yes",
        ),
        (
            "╭ recover-with-log · 2pc.termination",
            "every participant eventually decides",
        ),
        (
            "╭ recover-without-log · 2pc.atomicity",
            "Violated by a 9-step trace",
        ),
    ] {
        tmux.press("j", title);
        tmux.wait_for(detail);
    }
    tmux.press("Enter", "initial state of 9 steps");
    tmux.wait_for("Message sequence so far");
    tmux.press("Right", "step 1 of 9");
    tmux.wait_for("State after step 1");
    tmux.wait_for("working → prepared");
    tmux.press("End", "step 9 of 9");
    tmux.wait_for("prepared → aborted");
    tmux.press("Left", "step 8 of 9");
    tmux.press("Home", "initial state of 9 steps");
    tmux.press("Escape", "Transactions × properties");

    // A smaller terminal: the explorer redraws to fit, the selection and its detail kept.
    let out = tmux.run(&["resize-window", "-t", "explore", "-x", "80", "-y", "24"]);
    assert!(out.status.success(), "tmux resize-window");
    // A cropped old frame would have neither a box closed at column 80 nor the footer on the
    // 24th row.
    tmux.wait_until("a frame redrawn at 80×24", |screen| {
        let lines: Vec<&str> = screen.lines().collect();
        lines
            .iter()
            .any(|l| l.starts_with('╰') && l.ends_with('╯') && l.chars().count() == 80)
            && lines.get(23).is_some_and(|l| l.contains("? help  q quit"))
    });
    tmux.wait_for("╭ recover-without-log · 2pc.atomicity");
    tmux.wait_for("? help  q quit");

    tmux.press("?", "Keys (Esc closes)");
    tmux.press("Escape", "Transactions × properties");
    tmux.press("q", "explore exited with 0");
    let screen = tmux.screen();
    assert!(
        !screen.contains("Transactions × properties"),
        "the alternate screen is gone after quitting:\n{screen}"
    );
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let Some(tmux) = Tmux::start("ctrl-c", &["scenarios/online-boutique.toml"], 80, 24) else {
        return;
    };
    tmux.wait_for("Services (10)");
    tmux.press("C-c", "explore exited with 0");
    assert!(!tmux.screen().contains("Services (10)"));
}

#[test]
fn sigterm_ends_the_explorer_and_restores_the_terminal() {
    let Some(tmux) = Tmux::start("sigterm", &["scenarios/sock-shop.toml"], 80, 24) else {
        return;
    };
    tmux.wait_for("Services (");
    // The pane runs `sh -c 'microcosm explore …; echo …'`: the explorer is the shell's child.
    let shell = String::from_utf8_lossy(
        &tmux
            .run(&["display", "-p", "-t", "explore", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_owned();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the shell's children (Linux)");
    let explorer = children
        .split_whitespace()
        .next()
        .expect("the explorer runs");
    let killed = Command::new("kill")
        .args(["-TERM", explorer])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    tmux.wait_for("explore exited with 0");
    assert!(!tmux.screen().contains("Services ("));
}

#[test]
fn explore_refuses_an_invalid_file_with_exit_2() {
    let Some(tmux) = Tmux::start("invalid", &["Cargo.toml"], 80, 24) else {
        return;
    };
    tmux.wait_for("explore exited with 2");
}

#[test]
fn explore_needs_a_terminal_and_says_so_with_exit_2() {
    // Under `cargo test` stdout is a pipe: there is nothing to draw on.
    run(["explore", "scenarios/online-boutique.toml"])
        .exits(2)
        .stderr_has("explore needs a terminal");
}

#[test]
fn explore_help_says_its_colour_follows_stdout_and_no_color() {
    let help = run(["explore", "--help"]).exits(0).stdout();
    let color = help
        .split("--color")
        .nth(1)
        .and_then(|rest| rest.split("[default").next())
        .unwrap_or_else(|| panic!("explore --help documents --color:\n{help}"));
    assert!(color.contains("draws on stdout"), "{color}");
    assert!(color.contains("NO_COLOR"), "{color}");
    assert!(!color.contains("When stderr is a terminal"), "{color}");
}

#[test]
fn explore_takes_color_before_or_after_the_command() {
    // A missing file is reported on stderr before any terminal is needed: its diagnostics are
    // coloured exactly when the choice reached explore.
    for args in [
        ["--color", "always", "explore", "no-such-file.toml"],
        ["explore", "--color", "always", "no-such-file.toml"],
    ] {
        let stderr = run(args).exits(2).stderr();
        assert!(stderr.contains('\u{1b}'), "{args:?}: {stderr}");
    }
}
