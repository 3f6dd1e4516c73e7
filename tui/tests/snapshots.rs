//! What the explorer draws, as `TestBackend` snapshots (insta, committed under
//! `tests/snapshots/`): every screen at 80×24 and 120×40, on bundled scenarios where one shows
//! it — the trace stepper on the gallery's 2PC-without-log bug, a finished simulation of
//! sock-shop's payment outage. Nothing drawn depends on time: checks and seeded simulations run
//! to completion on the test's thread first, running work is shown from fixed progress
//! reports, and the explorer shows no elapsed times for finished work. Styles are not in the text, so colour is checked apart:
//! without colour no cell has one, and the text is the same.

#[path = "support/fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use fixtures::{KNOWN_BUG, app_on, app_with, finish_work, press, select_row};
use std::time::Duration;

use microcosm_checker::Progress;
use microcosm_tui::{App, Msg, Tab, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// A bundled known bug: a 2PC coordinator that recovers without its decision log.
const GALLERY_2PC: &str = "scenarios/gallery/two-phase-commit-without-log.toml";

/// The explorer on `file`'s Verify tab with every check done and `subject` × `property`
/// selected.
fn checked(file: &str, subject: &str, property: &str) -> App {
    let mut app = app_on(file, Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    finish_work(&mut app);
    select_row(&mut app, subject, property);
    app
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .expect("draws");
    terminal
}

fn snapshot_sizes(name: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(app, w, h).backend());
    }
}

#[test]
fn architecture_service_detail() {
    let mut app = app_on("scenarios/online-boutique.toml", Tab::Architecture);
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    assert_eq!(app.architecture.selected_service(), Some("checkout"));
    snapshot_sizes("architecture_service", &app);
}

#[test]
fn architecture_call_trees() {
    let mut app = app_on("scenarios/online-boutique.toml", Tab::Architecture);
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
    snapshot_sizes("architecture_call_tree", &app);
}

#[test]
fn decomposition_with_a_monolith() {
    let app = app_on("scenarios/monolith-shop.toml", Tab::Decomposition);
    snapshot_sizes("decomposition_monolith_shop", &app);
}

#[test]
fn decomposition_that_breaks_the_theorem() {
    let app = app_on("tui/tests/data/tangled-split.toml", Tab::Decomposition);
    snapshot_sizes("decomposition_broken", &app);
}

#[test]
fn decomposition_without_a_monolith() {
    let app = app_on("scenarios/sock-shop.toml", Tab::Decomposition);
    snapshot_sizes("decomposition_sock_shop", &app);
}

#[test]
fn verify_before_any_check() {
    let app = app_on("scenarios/web3-exchange.toml", Tab::Verify);
    snapshot_sizes("verify_web3_exchange", &app);
}

#[test]
fn verify_with_the_verdicts_of_a_bundled_known_bug() {
    let app = checked(GALLERY_2PC, "recover-without-log", "2pc.atomicity");
    snapshot_sizes("verify_two_phase_commit_without_log", &app);
}

#[test]
fn verify_while_a_check_runs() {
    // Progress as a worker reports it, with fixed figures: live rates depend on the machine.
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    let _queued = app.take_effects();
    app.on_message(Msg::CheckStarted { batch: 0, job: 0 });
    app.on_message(Msg::CheckProgress {
        batch: 0,
        job: 0,
        progress: Progress {
            phase: "safety",
            states_generated: 120_000,
            unique_states: 40_000,
            max_depth: 9,
            elapsed: Duration::from_secs(2),
        },
    });
    // A second check, started on its own (`r`), runs beside it: each running row shows its
    // own speed, not only the selected one's detail.
    app.on_message(Msg::CheckStarted { batch: 0, job: 1 });
    app.on_message(Msg::CheckProgress {
        batch: 0,
        job: 1,
        progress: Progress {
            phase: "safety",
            states_generated: 1_500,
            unique_states: 700,
            max_depth: 4,
            elapsed: Duration::from_millis(500),
        },
    });
    let screen = draw(&app, 80, 24).backend().to_string();
    assert!(screen.contains("states/s"), "{screen}");
    assert!(
        screen.contains("60k") && screen.contains("3.0k"),
        "{screen}"
    );
    snapshot_sizes("verify_running", &app);
}

#[test]
fn each_row_shows_its_own_searchs_counts() {
    // Issue 15: every row of a running check showed the job's latest report, so the liveness
    // row showed the safety search's counts, and the safety rows the liveness search's once
    // it began. Each row now shows its own search's, and only a running search has a speed.
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut app, &[KeyCode::Char('r')]);
    let _queued = app.take_effects();
    app.on_message(Msg::CheckStarted { batch: 0, job: 0 });
    let row = |app: &App, property: &str| -> String {
        let screen = draw(app, 120, 40).backend().to_string();
        screen
            .lines()
            .find(|l| l.contains(property))
            .unwrap_or_else(|| panic!("{screen}"))
            .to_owned()
    };
    let report = |phase, unique_states| Msg::CheckProgress {
        batch: 0,
        job: 0,
        progress: Progress {
            phase,
            states_generated: unique_states * 3,
            unique_states,
            max_depth: 9,
            elapsed: Duration::from_secs(2),
        },
    };
    app.on_message(report("safety", 40_000));
    assert!(row(&app, "2pc.atomicity").contains("40,000"));
    assert!(row(&app, "2pc.atomicity").contains("60k"));
    assert!(!row(&app, "2pc.termination").contains("40,000"));
    app.on_message(report("liveness", 2_000));
    let (atomicity, termination) = (row(&app, "2pc.atomicity"), row(&app, "2pc.termination"));
    assert!(
        atomicity.contains("40,000") && !atomicity.contains("60k"),
        "{atomicity}"
    );
    assert!(
        termination.contains("2,000") && termination.contains("3.0k"),
        "{termination}"
    );
    // The selected row's detail says whose counts they are.
    select_row(&mut app, "move-money", "2pc.atomicity");
    let screen = draw(&app, 120, 40).backend().to_string();
    assert!(
        screen.contains("safety search (one search for 2 properties) done: 40,000 unique states"),
        "{screen}"
    );
}

#[test]
fn footers_advertise_no_key_that_has_nothing_to_act_on() {
    for (tab, idle) in [
        (
            Tab::Verify,
            &["check", "run all", "re-run", "source", "select"][..],
        ),
        (Tab::Simulate, &["run", "seed", "experiment", "source"][..]),
    ] {
        let app = app_on("tui/tests/data/services-only.toml", tab);
        let screen = draw(&app, 120, 24).backend().to_string();
        let footer = screen.lines().nth(23).expect("a footer");
        for word in idle {
            assert!(!footer.contains(word), "{tab:?}: {footer}");
        }
        assert!(
            footer.contains("? help") && footer.contains("q quit"),
            "{footer}"
        );
    }
}

#[test]
fn a_search_of_ten_million_states_keeps_to_the_states_column() {
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut app, &[KeyCode::Char('r')]);
    let _queued = app.take_effects();
    app.on_message(Msg::CheckStarted { batch: 0, job: 0 });
    app.on_message(Msg::CheckProgress {
        batch: 0,
        job: 0,
        progress: Progress {
            phase: "safety",
            states_generated: 31_000_000,
            unique_states: 10_469_937,
            max_depth: 44,
            elapsed: Duration::from_secs(7),
        },
    });
    for (w, h) in SIZES {
        let screen = draw(&app, w, h).backend().to_string();
        let row = screen
            .lines()
            .find(|l| l.contains("checking…"))
            .unwrap_or_else(|| panic!("{screen}"));
        // states, depth and rate, each in its column: `10.5M     44      4.4M`.
        assert!(row.contains("  10.5M     44  "), "{row}");
        assert!(!row.contains("10,469,937"), "{row}");
    }
}

#[test]
fn a_violation_decided_without_a_search_says_what_decided_it() {
    // online-boutique's payment-outage bounds retry amplification: the checker decides that
    // from the call graph, so the verdict explored no state and its notes hold the reason.
    let mut app = app_on("scenarios/online-boutique.toml", Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    finish_work(&mut app);
    select_row(&mut app, "payment-outage", "retry.amplification");
    for (w, h) in SIZES {
        let screen = draw(&app, w, h).backend().to_string();
        // Enter only says there is no trace here: the footer does not offer it.
        let footer = screen.lines().last().expect("a footer");
        assert!(!footer.contains('⏎'), "{footer}");
        assert!(!screen.contains("no reachable state"), "{screen}");
        assert!(
            screen.contains("decided from the call graph and retry policies"),
            "{screen}"
        );
        assert!(
            screen.contains("over the bound"),
            "the reason shows:\n{screen}"
        );
    }
    snapshot_sizes("verify_online_boutique_checked", &app);
}

#[test]
fn simulate_while_a_run_progresses() {
    let mut app = app_on(KNOWN_BUG, Tab::Simulate);
    press(&mut app, &[KeyCode::Enter]);
    let _queued = app.take_effects();
    app.on_message(Msg::SimProgress {
        run: 1,
        now_s: 24.0,
        horizon_s: 60.0,
        events: 123_456,
    });
    snapshot_sizes("simulate_running", &app);
}

#[test]
fn trace_stepper_on_a_bundled_known_bug() {
    // The coordinator commits, crashes, recovers without its log and aborts the other side.
    let mut app = checked(GALLERY_2PC, "recover-without-log", "2pc.atomicity");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.verify.stepper.as_ref().map(|s| s.len()), Some(9));
    snapshot_sizes("stepper_initial", &app);
    for _ in 0..7 {
        press(&mut app, &[KeyCode::Right]);
    }
    snapshot_sizes("stepper_step_7", &app);
    press(&mut app, &[KeyCode::End]);
    snapshot_sizes("stepper_last", &app);
}

#[test]
fn the_trace_id_is_never_cut_however_narrow_the_screen() {
    let mut app = checked(GALLERY_2PC, "recover-without-log", "2pc.atomicity");
    press(&mut app, &[KeyCode::Enter]);
    let id = app
        .verify
        .stepper
        .as_ref()
        .map(|s| s.trace.trace_id.clone())
        .expect("a stepper");
    for width in [80, 60, 40, 24] {
        let terminal = draw(&app, width, 24);
        let rows: Vec<String> = (0..24)
            .map(|y| {
                (0..width)
                    .map(|x| terminal.backend().buffer()[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect();
        // The id's lines follow `trace `, one after another, each trimmed of the margin.
        let start = rows
            .iter()
            .position(|r| r.contains("trace "))
            .unwrap_or_else(|| panic!("{width} columns: no trace id\n{rows:#?}"));
        let mut joined = rows[start][rows[start].find("trace ").unwrap() + 6..]
            .trim()
            .to_owned();
        for row in &rows[start + 1..] {
            if joined.len() >= id.len() || !row.trim().starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
            joined.push_str(row.trim());
        }
        assert_eq!(joined, id, "{width} columns\n{rows:#?}");
    }
}

#[test]
fn trace_stepper_at_the_end_of_a_lasso() {
    // A coordinator that crashes for good leaves a participant waiting forever.
    let mut app = checked(KNOWN_BUG, "move-money", "2pc.termination");
    press(&mut app, &[KeyCode::Enter, KeyCode::End]);
    assert!(
        app.verify
            .stepper
            .as_ref()
            .is_some_and(|s| s.trace.lasso.is_some())
    );
    snapshot_sizes("stepper_lasso_last", &app);
}

#[test]
fn an_instant_without_requests_has_no_latency_in_the_readout() {
    let mut app = app_on(KNOWN_BUG, Tab::Simulate);
    press(&mut app, &[KeyCode::Enter]);
    finish_work(&mut app);
    // Empty the bucket under the cursor, as a quiet instant of a run would be.
    let cursor = app.simulate.cursor;
    for report in app.simulate.results.values_mut() {
        for endpoint in report.endpoints.values_mut() {
            if let Some(p) = endpoint.series.get_mut(cursor) {
                p.requests = 0;
                p.errors = 0;
                p.degraded = 0;
                (p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms) = (0.0, 0.0, 0.0, 0.0);
            }
        }
    }
    let screen = draw(&app, 120, 40).backend().to_string();
    assert!(
        screen.contains("p50 – · p90 – · p99 – · p99.9 –"),
        "{screen}"
    );
    assert!(!screen.contains("p50 0 "), "{screen}");
}

#[test]
fn simulate_before_a_run() {
    let app = app_on("scenarios/online-boutique.toml", Tab::Simulate);
    snapshot_sizes("simulate_setup", &app);
}

#[test]
fn simulate_a_finished_run_with_the_cursor_in_the_outage() {
    // sock-shop's payment outage: seeded (31), so the report is the same on every run; its
    // breaker opens during the outage.
    let mut app = finished_simulation("scenarios/sock-shop.toml", "payment-outage");
    press(&mut app, &[KeyCode::Right, KeyCode::Right, KeyCode::Right]);
    snapshot_sizes("simulate_sock_shop_payment_outage", &app);
}

/// The explorer on `file`'s Simulate tab with `experiment` run to completion.
fn finished_simulation(file: &str, experiment: &str) -> App {
    let mut app = app_on(file, Tab::Simulate);
    let index = app
        .simulate
        .experiments
        .iter()
        .position(|e| e == experiment)
        .unwrap_or_else(|| panic!("{file} has no experiment {experiment}"));
    for _ in 0..index {
        press(&mut app, &[KeyCode::Down]);
    }
    press(&mut app, &[KeyCode::Enter]);
    finish_work(&mut app);
    assert!(app.simulate.report().is_some());
    app
}

#[test]
fn a_run_whose_violations_are_all_declared_reads_failed_as_expected() {
    // online-boutique declares payment-outage's retry amplification violated, and `check`
    // passes it: the tab must not call the run FAILED.
    let app = finished_simulation("scenarios/online-boutique.toml", "payment-outage");
    for (w, h) in SIZES {
        let screen = draw(&app, w, h).backend().to_string();
        assert!(
            screen.contains("payment-outage · seed 11 · failed, as expected"),
            "{screen}"
        );
        assert!(!screen.contains("FAILED"), "{screen}");
        assert!(screen.contains("✓ payment-outage"), "{screen}");
        assert!(
            screen.contains("✗ max_retry_amplification, as expected"),
            "{screen}"
        );
    }
    // A violation nobody declared still reads FAILED.
    let mut app = app;
    for report in app.simulate.results.values_mut() {
        for x in &mut report.expectations {
            x.expected = None;
        }
        report.passed = false;
    }
    let screen = draw(&app, 120, 40).backend().to_string();
    assert!(
        screen.contains("payment-outage · seed 11 · FAILED"),
        "{screen}"
    );
    assert!(
        screen.contains("✗ max_retry_amplification  retries"),
        "{screen}"
    );
}

#[test]
fn the_time_cursor_readout_is_complete_at_80x24() {
    // sock-shop's outage opens a breaker; online-boutique's fails an expectation of five.
    for (file, active) in [
        (
            "scenarios/sock-shop.toml",
            &["faults: crash payment", "breakers: orders -> payment"][..],
        ),
        (
            "scenarios/online-boutique.toml",
            &[
                "faults: crash payment",
                "✗ max_retry_amplification, as expected  retries",
            ][..],
        ),
    ] {
        let app = finished_simulation(file, "payment-outage");
        let report = app.simulate.report().unwrap();
        let screen = draw(&app, 80, 24).backend().to_string();
        for text in active.iter().chain(&["p50", "p99.9", "errors"]) {
            assert!(screen.contains(text), "{file}: {text:?} in\n{screen}");
        }
        for e in &report.expectations {
            assert!(screen.contains(&e.name), "{file}: {} in\n{screen}", e.name);
        }
        // Both latency series are charted, with their legend.
        assert!(screen.contains("█ p50 • p99"), "{screen}");
    }
}

#[test]
fn at_60x16_the_help_scrolls_to_its_last_binding_and_no_further() {
    let mut app = app_on(KNOWN_BUG, Tab::Architecture);
    app.on_resize(60, 16);
    press(&mut app, &[KeyCode::Char('?')]);
    for _ in 0..20 {
        press(&mut app, &[KeyCode::PageDown]);
    }
    let screen = draw(&app, 60, 16).backend().to_string();
    let (last_keys, last_what) = microcosm_tui::BINDINGS.last().unwrap().1.last().unwrap();
    assert!(
        screen.contains(last_keys) && screen.contains(last_what),
        "{screen}"
    );
    assert!(!screen.contains("↓ more"), "{screen}");
    // At the bottom exactly: one line up and there is more below again.
    press(&mut app, &[KeyCode::Up]);
    let screen = draw(&app, 60, 16).backend().to_string();
    assert!(screen.contains("↓ more"), "{screen}");
}

#[test]
fn help_and_source_pop_ups() {
    let mut app = app_on(KNOWN_BUG, Tab::Architecture);
    press(&mut app, &[KeyCode::Char('?')]);
    insta::assert_snapshot!("help_80x24", draw(&app, 80, 24).backend());
    insta::assert_snapshot!("help_120x40", draw(&app, 120, 40).backend());
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('s')]);
    snapshot_sizes("source", &app);
}

/// Every screen worth drawing: each tab, the stepper, a finished simulation, the pop-ups.
fn screens(theme: Theme) -> Vec<(String, App)> {
    let mut out = Vec::new();
    for tab in Tab::ALL {
        out.push((
            format!("{tab:?}"),
            app_with("scenarios/monolith-shop.toml", tab, theme),
        ));
    }
    let mut verify = app_with(KNOWN_BUG, Tab::Verify, theme);
    press(&mut verify, &[KeyCode::Char('a')]);
    finish_work(&mut verify);
    select_row(&mut verify, "move-money", "2pc.termination");
    press(&mut verify, &[KeyCode::Enter, KeyCode::Right]);
    assert!(verify.verify.stepper.is_some());
    out.push(("stepper".to_owned(), verify));
    let mut simulate = app_with(KNOWN_BUG, Tab::Simulate, theme);
    press(&mut simulate, &[KeyCode::Enter]);
    finish_work(&mut simulate);
    out.push(("simulation".to_owned(), simulate));
    let mut help = app_with(KNOWN_BUG, Tab::Architecture, theme);
    press(&mut help, &[KeyCode::Char('?')]);
    out.push(("help".to_owned(), help));
    out
}

#[test]
fn without_colour_no_cell_is_coloured_and_the_text_is_the_same() {
    let colored = screens(Theme::colored());
    let plain = screens(Theme::monochrome());
    for ((name, c), (_, p)) in colored.iter().zip(&plain) {
        let with = draw(c, 100, 30);
        let without = draw(p, 100, 30);
        assert_eq!(
            with.backend().to_string(),
            without.backend().to_string(),
            "{name}: colour must not carry information the text lacks"
        );
        for cell in without.backend().buffer().content() {
            assert!(
                cell.fg == Color::Reset && cell.bg == Color::Reset,
                "{name}: a coloured cell {cell:?} without colour"
            );
        }
        let coloured_cells = with
            .backend()
            .buffer()
            .content()
            .iter()
            .filter(|cell| cell.fg != Color::Reset || cell.bg != Color::Reset)
            .count();
        assert!(
            coloured_cells > 0,
            "{name}: the coloured theme colours something"
        );
    }
}

#[test]
fn the_footer_always_says_how_to_get_help_and_out_even_at_80_columns() {
    let mut screens = screens(Theme::colored());
    let mut verdicts = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut verdicts, &[KeyCode::Char('a')]);
    finish_work(&mut verdicts);
    select_row(&mut verdicts, "move-money", "2pc.termination");
    screens.push(("verdicts".to_owned(), verdicts));
    let mut running = app_on("scenarios/online-boutique.toml", Tab::Simulate);
    press(&mut running, &[KeyCode::Enter]);
    screens.push(("running".to_owned(), running));
    // A status message takes the hints' room, not the help and quit hints'.
    let mut status = app_on(KNOWN_BUG, Tab::Decomposition);
    press(&mut status, &[KeyCode::Char('f')]);
    assert_eq!(
        status.status.as_deref(),
        Some("showing warning and error findings")
    );
    let footer = draw(&status, 80, 24).backend().buffer().clone();
    let footer: String = (0..80)
        .map(|x| footer[(x, 23)].symbol().to_owned())
        .collect();
    assert!(
        footer.contains("showing warning and error findings"),
        "{footer}"
    );
    screens.push(("status".to_owned(), status.clone()));
    status.status = Some("a status far too long for any footer: ".repeat(5));
    screens.push(("long status".to_owned(), status));
    for (name, app) in screens {
        for width in [80, 100, 120] {
            let terminal = draw(&app, width, 24);
            let buffer = terminal.backend().buffer();
            let footer: String = (0..width)
                .map(|x| buffer[(x, 23)].symbol().to_owned())
                .collect();
            assert!(footer.contains("q quit"), "{name} at {width}: {footer}");
            assert!(
                app.help || footer.contains("? help"),
                "{name} at {width}: {footer}"
            );
        }
    }
}

#[test]
fn every_screen_draws_at_every_size_from_tiny_to_huge() {
    // Resizing only changes the next frame's area, so drawing at each size is the whole of it.
    for (name, app) in screens(Theme::colored()) {
        for (w, h) in [
            (1, 1),
            (20, 6),
            (40, 12),
            (80, 24),
            (81, 25),
            (120, 40),
            (250, 70),
        ] {
            let terminal = draw(&app, w, h);
            assert_eq!(
                terminal.backend().buffer().area.width,
                w,
                "{name} at {w}×{h}"
            );
        }
    }
}
