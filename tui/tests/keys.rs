//! State transitions of the explorer for every key binding: `App` is plain data, so each test
//! presses keys and looks at the state (and at the work queued), with no terminal at all.

#[path = "support/fixtures.rs"]
mod fixtures;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use fixtures::{KNOWN_BUG, app_on, finish_work, press, select_row, type_text};
use microcosm_tui::{
    App, ArchitectureView, BINDINGS, Effect, JobState, Msg, Percentile, SimRun, Tab,
};

const BOUTIQUE: &str = "scenarios/online-boutique.toml";
const SHOP: &str = "scenarios/monolith-shop.toml";
const GALLERY_2PC: &str = "scenarios/gallery/two-phase-commit-without-log.toml";
/// Services and nothing else: no transaction, experiment or monolith.
const SERVICES_ONLY: &str = "tui/tests/data/services-only.toml";

// ─── everywhere ───────────────────────────────────────────────────────────────────────────────

#[test]
fn tab_and_shift_tab_cycle_through_the_tabs_both_ways() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    let mut seen = Vec::new();
    for _ in 0..4 {
        press(&mut app, &[KeyCode::Tab]);
        seen.push(app.tab);
    }
    assert_eq!(
        seen,
        [
            Tab::Decomposition,
            Tab::Verify,
            Tab::Simulate,
            Tab::Architecture
        ]
    );
    press(&mut app, &[KeyCode::BackTab]);
    assert_eq!(app.tab, Tab::Simulate);
    press(&mut app, &[KeyCode::BackTab, KeyCode::BackTab]);
    assert_eq!(app.tab, Tab::Decomposition);
}

#[test]
fn number_keys_jump_to_their_tab() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    for (c, tab) in [
        ('3', Tab::Verify),
        ('1', Tab::Architecture),
        ('4', Tab::Simulate),
        ('2', Tab::Decomposition),
    ] {
        press(&mut app, &[KeyCode::Char(c)]);
        assert_eq!(app.tab, tab, "key {c}");
    }
    press(&mut app, &[KeyCode::Char('5')]);
    assert_eq!(app.tab, Tab::Decomposition, "5 is no tab");
}

#[test]
fn q_quits_from_every_tab() {
    for tab in Tab::ALL {
        let mut app = app_on(BOUTIQUE, tab);
        assert!(!app.should_quit());
        press(&mut app, &[KeyCode::Char('q')]);
        assert!(app.should_quit(), "{tab:?}");
    }
}

#[test]
fn ctrl_c_quits_even_while_a_seed_is_being_typed() {
    let mut app = app_on(BOUTIQUE, Tab::Simulate);
    press(&mut app, &[KeyCode::Char('e')]);
    assert!(app.simulate.is_editing());
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit());
}

#[test]
fn esc_quits_when_nothing_is_open() {
    let mut app = app_on(BOUTIQUE, Tab::Decomposition);
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.should_quit());
}

#[test]
fn a_key_release_is_not_a_press() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    app.on_key(KeyEvent {
        code: KeyCode::Tab,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Release,
        state: KeyEventState::NONE,
    });
    assert_eq!(app.tab, Tab::Architecture);
}

#[test]
fn question_mark_opens_the_help_which_scrolls_and_closes_without_quitting() {
    let mut app = app_on(BOUTIQUE, Tab::Verify);
    press(&mut app, &[KeyCode::Char('?')]);
    assert!(app.help);
    press(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.help_scroll, 2);
    press(&mut app, &[KeyCode::Up]);
    assert_eq!(app.help_scroll, 1);
    press(
        &mut app,
        &[KeyCode::PageDown, KeyCode::PageUp, KeyCode::Char('k')],
    );
    assert_eq!(app.help_scroll, 0);
    // Keys for the tab underneath do nothing while the help is open.
    press(&mut app, &[KeyCode::Tab, KeyCode::Char('2')]);
    assert_eq!(app.tab, Tab::Verify);
    press(&mut app, &[KeyCode::Esc]);
    assert!(!app.help && !app.should_quit());
    press(&mut app, &[KeyCode::Char('?'), KeyCode::Char('?')]);
    assert!(!app.help);
    press(&mut app, &[KeyCode::Char('?'), KeyCode::Char('q')]);
    assert!(app.should_quit());
}

// ─── Architecture ─────────────────────────────────────────────────────────────────────────────

#[test]
fn arrows_and_vim_keys_select_services_within_bounds() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    let a = &app.architecture;
    assert_eq!(a.selected_service(), Some("ad"));
    let last = a.services.len() - 1;
    press(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.architecture.selected, 2);
    press(&mut app, &[KeyCode::Up]);
    assert_eq!(app.architecture.selected, 1);
    press(&mut app, &[KeyCode::Char('k'), KeyCode::Char('k')]);
    assert_eq!(app.architecture.selected, 0, "stays at the top");
    press(&mut app, &[KeyCode::End]);
    assert_eq!(app.architecture.selected, last);
    press(&mut app, &[KeyCode::Down]);
    assert_eq!(app.architecture.selected, last, "stays at the bottom");
    press(&mut app, &[KeyCode::Home]);
    assert_eq!(app.architecture.selected, 0);
    press(&mut app, &[KeyCode::Char('G')]);
    assert_eq!(app.architecture.selected, last);
    press(&mut app, &[KeyCode::Char('g')]);
    assert_eq!(app.architecture.selected, 0);
}

#[test]
fn enter_and_v_switch_between_the_service_and_the_call_trees() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    assert_eq!(app.architecture.view, ArchitectureView::Service);
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.architecture.view, ArchitectureView::CallTree);
    press(&mut app, &[KeyCode::Char('v')]);
    assert_eq!(app.architecture.view, ArchitectureView::Service);
}

#[test]
fn page_keys_scroll_the_right_pane_and_a_new_selection_scrolls_back() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    press(&mut app, &[KeyCode::Enter, KeyCode::PageDown]);
    assert_eq!(app.architecture.scroll, 10);
    press(&mut app, &[KeyCode::Char('J')]);
    assert_eq!(app.architecture.scroll, 20);
    press(&mut app, &[KeyCode::PageUp]);
    assert_eq!(app.architecture.scroll, 10);
    press(&mut app, &[KeyCode::Char('K'), KeyCode::Char('K')]);
    assert_eq!(app.architecture.scroll, 0);
    // The service view of `ad` is short: scrolling stops at its last line.
    press(&mut app, &[KeyCode::Enter]);
    for _ in 0..10 {
        press(&mut app, &[KeyCode::PageDown]);
    }
    let scrolled = app.architecture.scroll;
    assert!(scrolled > 0 && scrolled < 40, "{scrolled}");
    press(&mut app, &[KeyCode::Down]);
    assert_eq!(app.architecture.scroll, 0);
}

#[test]
fn s_shows_the_selected_service_in_the_file_and_esc_closes_it() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    press(&mut app, &[KeyCode::Char('j'), KeyCode::Char('s')]);
    let view = app.source.as_ref().expect("a source view");
    assert_eq!(view.title, "services.cart");
    let line = view.location.line;
    let text = app.loaded.source.text.lines().nth(line - 1).unwrap();
    assert!(text.contains("cart"), "line {line}: {text}");
    // Keys for the tab do nothing under the pop-up; Esc closes it without quitting.
    press(&mut app, &[KeyCode::Char('j'), KeyCode::Esc]);
    assert!(app.source.is_none() && !app.should_quit());
    assert_eq!(app.architecture.selected, 1);
}

// ─── Decomposition ────────────────────────────────────────────────────────────────────────────

#[test]
fn findings_are_selected_with_arrows_and_filtered_by_f() {
    let mut app = app_on(SHOP, Tab::Decomposition);
    let all = app.decomposition.listed().len();
    assert!(all > 3, "monolith-shop has findings");
    press(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.decomposition.selected, 2);
    press(
        &mut app,
        &[KeyCode::Up, KeyCode::Char('k'), KeyCode::Char('k')],
    );
    assert_eq!(app.decomposition.selected, 0);
    press(&mut app, &[KeyCode::End]);
    assert_eq!(app.decomposition.selected, all - 1);
    press(&mut app, &[KeyCode::Home, KeyCode::PageDown]);
    assert_eq!(app.decomposition.selected, 10.min(all - 1));
    press(&mut app, &[KeyCode::PageUp, KeyCode::Char('G')]);
    assert_eq!(app.decomposition.selected, all - 1);
    press(&mut app, &[KeyCode::Char('g')]);
    assert_eq!(app.decomposition.selected, 0);

    press(&mut app, &[KeyCode::Char('f')]);
    assert_eq!(
        app.status.as_deref(),
        Some("showing warning and error findings")
    );
    let warnings = app.decomposition.listed();
    assert!(warnings.len() < all);
    assert!(
        warnings
            .iter()
            .all(|f| f.severity >= microcosm_model::analysis::Severity::Warning)
    );
    press(&mut app, &[KeyCode::Char('f')]);
    assert!(
        app.decomposition
            .listed()
            .iter()
            .all(|f| f.severity == microcosm_model::analysis::Severity::Error)
    );
    press(&mut app, &[KeyCode::Char('f')]);
    assert_eq!(app.decomposition.listed().len(), all);
}

#[test]
fn enter_on_a_finding_about_a_service_jumps_to_it_on_the_architecture_tab() {
    let mut app = app_on(SHOP, Tab::Decomposition);
    let index = app
        .decomposition
        .listed()
        .iter()
        .position(|f| f.path.to_string().starts_with("services."))
        .expect("a finding about a service");
    let path = app.decomposition.listed()[index].path.to_string();
    let service = path.split('.').nth(1).unwrap().to_owned();
    for _ in 0..index {
        press(&mut app, &[KeyCode::Down]);
    }
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Architecture);
    assert_eq!(app.architecture.selected_service(), Some(service.as_str()));
    assert_eq!(app.architecture.view, ArchitectureView::Service);
}

#[test]
fn enter_on_a_finding_about_no_tab_opens_the_file_and_s_always_does() {
    let mut app = app_on(BOUTIQUE, Tab::Decomposition);
    let index = app
        .decomposition
        .listed()
        .iter()
        .position(|f| f.path.to_string().starts_with("cluster"))
        .expect("a capacity finding about the cluster");
    for _ in 0..index {
        press(&mut app, &[KeyCode::Char('j')]);
    }
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Decomposition);
    let rule = app.decomposition.selected_finding().unwrap().rule;
    assert_eq!(app.source.as_ref().map(|v| v.title.as_str()), Some(rule));
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.source.is_none(), "Enter closes the pop-up too");
    press(&mut app, &[KeyCode::Home, KeyCode::Char('s')]);
    assert!(app.source.is_some());
    press(&mut app, &[KeyCode::Char('s')]);
    assert!(app.source.is_none(), "s toggles it");
}

/// The explorer on the known-bug scenario with one extra finding at `path`, selected.
fn app_with_finding_at(path: microcosm_model::Pointer) -> microcosm_tui::App {
    use microcosm_model::analysis::{Finding, Severity};
    let mut app = app_on(KNOWN_BUG, Tab::Decomposition);
    app.decomposition.analysis.findings.insert(
        0,
        Finding::new("test.rule", Severity::Error, path, "a finding for the test"),
    );
    press(&mut app, &[KeyCode::Home]);
    app
}

#[test]
fn enter_on_a_finding_about_a_transaction_or_an_experiment_jumps_to_its_tab() {
    use microcosm_model::Pointer;
    let mut app = app_with_finding_at(Pointer::root().key("transactions").key("move-money"));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Verify);
    let (job, _) = app.verify.rows[app.verify.selected];
    assert_eq!(app.verify.jobs[job].job.subject, "move-money");

    let mut app = app_with_finding_at(Pointer::root().key("experiments").key("savings-outage"));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Simulate);
    assert_eq!(app.simulate.selected_experiment(), Some("savings-outage"));

    let mut app = app_with_finding_at(Pointer::root().key("policies").key("checking -> savings"));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Architecture);
    assert_eq!(app.architecture.selected_service(), Some("checking"));

    let mut app = app_with_finding_at(Pointer::root().key("services").key("no-such-service"));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.tab, Tab::Decomposition);
    assert_eq!(
        app.status.as_deref(),
        Some("there is no service `no-such-service` to go to")
    );
}

#[test]
fn the_source_pop_up_closes_with_backspace_and_lets_q_and_help_through() {
    let mut app = app_on(KNOWN_BUG, Tab::Architecture);
    press(&mut app, &[KeyCode::Char('s'), KeyCode::Backspace]);
    assert!(app.source.is_none());
    press(&mut app, &[KeyCode::Char('s'), KeyCode::Char('?')]);
    assert!(
        app.help && app.source.is_some(),
        "help opens over the pop-up"
    );
    press(&mut app, &[KeyCode::Enter]);
    assert!(
        !app.help && app.source.is_some(),
        "Enter closes the help first"
    );
    press(&mut app, &[KeyCode::Char('q')]);
    assert!(app.should_quit());
}

// ─── Verify ───────────────────────────────────────────────────────────────────────────────────

#[test]
fn enter_checks_a_transaction_off_the_ui_thread_and_its_verdicts_arrive_as_messages() {
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    assert_eq!(app.verify.jobs[0].job.subject, "move-money");
    assert!(matches!(app.verify.jobs[0].state, JobState::NotRun));
    press(&mut app, &[KeyCode::Enter]);
    // Nothing ran yet: the key only queued the work.
    assert!(matches!(app.verify.jobs[0].state, JobState::Queued));
    assert!(app.is_busy());
    let effects = app.take_effects();
    let [Effect::Check { jobs, options, .. }] = effects.as_slice() else {
        panic!("one check queued: {effects:?}");
    };
    assert_eq!(jobs.len(), 1);
    assert!(options.progress.is_none(), "the worker adds its own hook");
    // The worker's messages, in order: started, progress, done.
    let msgs = microcosm_tui::work::execute_collect(effects[0].clone());
    assert!(matches!(
        msgs.first(),
        Some(Msg::CheckStarted { job: 0, .. })
    ));
    assert!(
        msgs.iter()
            .any(|m| matches!(m, Msg::CheckProgress { job: 0, .. }))
    );
    assert!(matches!(
        msgs.last(),
        Some(Msg::CheckDone {
            job: 0,
            result: Ok(_),
            ..
        })
    ));
    for msg in msgs {
        app.on_message(msg);
    }
    assert!(!app.is_busy());
    let statuses: Vec<String> = (0..3)
        .map(|row| {
            assert_eq!(
                app.verify.rows[row].0, 0,
                "the transaction's rows come first"
            );
            app.verify.verdict(row).unwrap().status.to_string()
        })
        .collect();
    assert_eq!(statuses, ["holds", "holds", "violated"]);
}

#[test]
fn r_reruns_a_row_a_runs_everything_and_running_work_is_not_queued_twice() {
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut app, &[KeyCode::Char('r')]);
    assert_eq!(app.take_effects().len(), 1);
    press(&mut app, &[KeyCode::Char('r')]);
    assert!(app.take_effects().is_empty());
    assert_eq!(app.status.as_deref(), Some("already running"));
    app.on_message(Msg::CheckStarted { batch: 0, job: 0 });
    assert!(
        matches!(&app.verify.jobs[0].state, JobState::Running(searches) if searches.is_empty())
    );
    app.on_message(Msg::CheckDone {
        batch: 0,
        job: 0,
        result: Err("boom".to_owned()),
    });
    assert!(matches!(&app.verify.jobs[0].state, JobState::Failed(why) if why == "boom"));
    press(&mut app, &[KeyCode::Char('r')]);
    let effects = app.take_effects();
    assert!(
        matches!(effects.as_slice(), [Effect::Check { jobs, .. }] if jobs.len() == 1 && jobs[0].0 == 0),
        "a failed check runs again"
    );
    // `a` queues every job but the one already queued.
    press(&mut app, &[KeyCode::Char('a')]);
    let all = app.verify.jobs.len();
    let effects = app.take_effects();
    if all > 1 {
        let [Effect::Check { jobs, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let queued: Vec<usize> = jobs.iter().map(|(i, _)| *i).collect();
        assert_eq!(queued, (1..all).collect::<Vec<_>>());
    } else {
        assert!(effects.is_empty());
    }
}

#[test]
fn x_cancels_the_running_checks_and_their_late_results_are_ignored() {
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    // A first check that finished: cancelling a re-run of it brings its verdicts back.
    press(&mut app, &[KeyCode::Enter]);
    finish_work(&mut app);
    let verdicts = |app: &App| -> Vec<Option<String>> {
        (0..3)
            .map(|row| app.verify.verdict(row).map(|v| v.status.to_string()))
            .collect()
    };
    let checked = verdicts(&app);
    assert!(matches!(app.verify.jobs[0].state, JobState::Done(_)));
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(app.status.is_none(), "x does nothing when nothing runs");
    press(&mut app, &[KeyCode::Char('a')]);
    let effects = app.take_effects();
    let [Effect::Check { cancel, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    app.on_message(Msg::CheckStarted { batch: 1, job: 0 });
    assert!(app.is_busy());
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(cancel.load(std::sync::atomic::Ordering::Relaxed));
    assert!(!app.is_busy());
    assert_eq!(verdicts(&app), checked);
    assert!(
        app.verify.jobs[1..]
            .iter()
            .all(|j| matches!(j.state, JobState::NotRun))
    );
    let all = app.verify.jobs.len();
    let expected = if all == 1 {
        "check cancelled".to_owned()
    } else {
        format!("{all} checks cancelled")
    };
    assert_eq!(app.status.as_deref(), Some(expected.as_str()));
    // A cancelled worker sends nothing more.
    assert!(microcosm_tui::work::execute_collect(effects[0].clone()).is_empty());
    // A worker that had already sent its result, and a re-run queued since: the old batch's
    // messages land nowhere.
    press(&mut app, &[KeyCode::Char('r')]);
    app.on_message(Msg::CheckStarted { batch: 1, job: 0 });
    app.on_message(Msg::CheckDone {
        batch: 1,
        job: 0,
        result: Err("late".to_owned()),
    });
    assert!(matches!(app.verify.jobs[0].state, JobState::Queued));
    finish_work(&mut app);
    assert_eq!(verdicts(&app), checked);
}

#[test]
fn rows_are_selected_with_arrows_and_s_shows_the_transaction() {
    let mut app = app_on("scenarios/web3-exchange.toml", Tab::Verify);
    let rows = app.verify.rows.len();
    assert!(rows > 3);
    press(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.verify.selected, 2);
    press(&mut app, &[KeyCode::Up, KeyCode::Char('k'), KeyCode::Up]);
    assert_eq!(app.verify.selected, 0);
    press(&mut app, &[KeyCode::End]);
    assert_eq!(app.verify.selected, rows - 1);
    press(&mut app, &[KeyCode::Home, KeyCode::PageDown]);
    assert_eq!(app.verify.selected, 10.min(rows - 1));
    press(
        &mut app,
        &[KeyCode::PageUp, KeyCode::Char('G'), KeyCode::Char('g')],
    );
    assert_eq!(app.verify.selected, 0);
    press(&mut app, &[KeyCode::Char('s')]);
    let view = app.source.as_ref().expect("source");
    assert!(view.title.starts_with("transactions."), "{}", view.title);
}

/// The known-bug scenario, checked, with the stepper open on the termination violation.
fn stepper_app() -> microcosm_tui::App {
    let mut app = app_on(KNOWN_BUG, Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    finish_work(&mut app);
    select_row(&mut app, "move-money", "2pc.termination");
    press(&mut app, &[KeyCode::Enter]);
    app
}

#[test]
fn enter_on_a_violation_opens_the_stepper_at_the_initial_state() {
    let mut app = stepper_app();
    let stepper = app.verify.stepper.as_ref().expect("stepper open");
    assert_eq!(stepper.property, "2pc.termination");
    assert_eq!(stepper.subject, "move-money");
    assert_eq!(stepper.position, 0);
    assert!(stepper.len() >= 2);
    assert!(
        stepper.trace.lasso.is_some(),
        "termination is violated by a lasso"
    );
    assert!(
        app.take_effects().is_empty(),
        "opening a trace runs nothing"
    );
}

#[test]
fn arrows_step_through_the_trace_within_its_bounds() {
    let mut app = stepper_app();
    let len = app.verify.stepper.as_ref().unwrap().len();
    let position = |app: &microcosm_tui::App| app.verify.stepper.as_ref().unwrap().position;
    press(&mut app, &[KeyCode::Right]);
    assert_eq!(position(&app), 1);
    press(&mut app, &[KeyCode::Left, KeyCode::Left]);
    assert_eq!(position(&app), 0, "stays at the initial state");
    for code in [
        KeyCode::Char('l'),
        KeyCode::Char('j'),
        KeyCode::Down,
        KeyCode::Char(' '),
        KeyCode::Char('n'),
    ] {
        press(&mut app, &[KeyCode::Home, code]);
        assert_eq!(position(&app), 1, "{code:?} steps forward");
    }
    for code in [
        KeyCode::Char('h'),
        KeyCode::Char('k'),
        KeyCode::Up,
        KeyCode::Char('p'),
    ] {
        press(&mut app, &[KeyCode::End, code]);
        assert_eq!(position(&app), len - 1, "{code:?} steps back");
    }
    press(&mut app, &[KeyCode::End, KeyCode::Right]);
    assert_eq!(position(&app), len, "stays at the last step");
    press(&mut app, &[KeyCode::Char('g')]);
    assert_eq!(position(&app), 0);
    press(&mut app, &[KeyCode::Char('G')]);
    assert_eq!(position(&app), len);
}

#[test]
fn the_state_shown_marks_exactly_what_the_current_step_changed() {
    let app = stepper_app();
    let stepper = app.verify.stepper.as_ref().unwrap();
    assert!(stepper.state_at(0).iter().all(|f| f.before.is_none()));
    for (i, step) in stepper.trace.steps.iter().enumerate() {
        let fields = stepper.state_at(i + 1);
        let changed: Vec<&str> = fields
            .iter()
            .filter(|f| f.before.is_some())
            .map(|f| f.name.as_str())
            .collect();
        let expected: Vec<&str> = step.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(changed, expected, "step {}", i + 1);
        for change in &step.changes {
            let f = fields.iter().find(|f| f.name == change.field).unwrap();
            assert_eq!(f.value, change.after);
            assert_eq!(f.before.as_deref(), Some(change.before.as_str()));
        }
    }
}

#[test]
fn esc_and_backspace_close_the_stepper_without_quitting() {
    for code in [KeyCode::Esc, KeyCode::Backspace] {
        let mut app = stepper_app();
        press(&mut app, &[code]);
        assert!(app.verify.stepper.is_none(), "{code:?}");
        assert!(!app.should_quit());
        assert_eq!(app.tab, Tab::Verify);
    }
}

#[test]
fn the_stepper_stays_open_across_tab_switches() {
    let mut app = stepper_app();
    press(
        &mut app,
        &[KeyCode::Right, KeyCode::Char('1'), KeyCode::Char('3')],
    );
    assert_eq!(app.verify.stepper.as_ref().map(|s| s.position), Some(1));
}

#[test]
fn enter_on_a_violation_without_a_trace_says_so_and_runs_nothing() {
    // retry.amplification is decided from the call graph: violated, with no trace to step.
    let mut app = app_on(BOUTIQUE, Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    finish_work(&mut app);
    select_row(&mut app, "payment-outage", "retry.amplification");
    let verdict = app.verify.verdict(app.verify.selected).expect("checked");
    assert!(verdict.status.is_violated() && verdict.counterexample.is_none());
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(
        app.status.as_deref(),
        Some("this violation has no trace to step through")
    );
    assert!(app.verify.stepper.is_none());
    assert!(app.take_effects().is_empty(), "nothing is re-checked");
    assert!(!app.is_busy());
}

// ─── Simulate ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn arrows_select_experiments_and_each_brings_its_declared_seed() {
    let mut app = app_on(BOUTIQUE, Tab::Simulate);
    let scenario = app.loaded.scenario.clone();
    assert_eq!(app.simulate.selected_experiment(), Some("ad-slowdown"));
    assert_eq!(app.simulate.seed, scenario.experiments["ad-slowdown"].seed);
    press(&mut app, &[KeyCode::Down, KeyCode::Char('j')]);
    assert_eq!(app.simulate.selected_experiment(), Some("payment-outage"));
    assert_eq!(
        app.simulate.seed,
        scenario.experiments["payment-outage"].seed
    );
    press(&mut app, &[KeyCode::Down]);
    assert_eq!(app.simulate.selected, 2, "stays at the last");
    press(
        &mut app,
        &[KeyCode::Up, KeyCode::Char('k'), KeyCode::Char('k')],
    );
    assert_eq!(app.simulate.selected, 0);
}

#[test]
fn plus_and_minus_change_the_seed_and_e_types_one() {
    let mut app = app_on(BOUTIQUE, Tab::Simulate);
    let declared = app.simulate.seed;
    press(
        &mut app,
        &[KeyCode::Char('+'), KeyCode::Char('+'), KeyCode::Char('-')],
    );
    assert_eq!(app.simulate.seed, declared + 1);
    press(&mut app, &[KeyCode::Char('=')]);
    assert_eq!(app.simulate.seed, declared + 2);

    press(&mut app, &[KeyCode::Char('e')]);
    assert_eq!(
        app.simulate.seed_input.as_deref(),
        Some((declared + 2).to_string().as_str())
    );
    for _ in 0..5 {
        press(&mut app, &[KeyCode::Backspace]);
    }
    // Digits are typed, not tab numbers; letters are ignored.
    type_text(&mut app, "42x3");
    assert_eq!(app.tab, Tab::Simulate);
    assert_eq!(app.simulate.seed_input.as_deref(), Some("423"));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.simulate.seed, 423);
    assert!(!app.simulate.is_editing());

    press(&mut app, &[KeyCode::Char('e')]);
    type_text(&mut app, "9");
    press(&mut app, &[KeyCode::Esc]);
    assert_eq!(app.simulate.seed, 423, "Esc keeps the old seed");
    assert!(!app.should_quit(), "Esc while typing only cancels");

    press(&mut app, &[KeyCode::Char('e')]);
    for _ in 0..3 {
        press(&mut app, &[KeyCode::Backspace]);
    }
    type_text(&mut app, &"9".repeat(25));
    assert_eq!(
        app.simulate.seed_input.as_deref(),
        Some("9999999999999999999"),
        "a digit past u64::MAX is refused"
    );
    for _ in 0..25 {
        press(&mut app, &[KeyCode::Backspace]);
    }
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.simulate.seed, 423);
    assert_eq!(app.status.as_deref(), Some("the seed is unchanged"));
}

#[test]
fn enter_runs_the_experiment_off_the_ui_thread_and_x_cancels_it() {
    let mut app = app_on(KNOWN_BUG, Tab::Simulate);
    press(&mut app, &[KeyCode::Char('+'), KeyCode::Enter]);
    assert!(app.is_busy());
    let effects = app.take_effects();
    let [Effect::Simulate(request)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(request.experiment, "savings-outage");
    assert_eq!(request.seed, 4);
    let cancel = request.cancel.clone();
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(cancel.load(std::sync::atomic::Ordering::Relaxed));
    assert!(matches!(app.simulate.run, SimRun::Idle));
    assert_eq!(app.status.as_deref(), Some("simulation cancelled"));
    // A cancelled worker sends nothing more.
    assert!(
        microcosm_tui::work::execute_collect(effects[0].clone())
            .iter()
            .all(|m| !matches!(m, Msg::SimDone { .. }))
    );
    press(&mut app, &[KeyCode::Char('r')]);
    assert_eq!(app.take_effects().len(), 1, "r runs it too");
}

#[test]
fn messages_of_a_replaced_run_are_ignored() {
    let mut app = app_on(KNOWN_BUG, Tab::Simulate);
    press(&mut app, &[KeyCode::Enter]);
    let first = app.take_effects();
    press(&mut app, &[KeyCode::Enter]);
    let second = app.take_effects();
    let Effect::Simulate(old) = &first[0] else {
        panic!()
    };
    assert!(
        old.cancel.load(std::sync::atomic::Ordering::Relaxed),
        "a new run cancels the old"
    );
    // Run the old one anyway, as a late worker would: its report must not land.
    let mut late = old.clone();
    late.cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for msg in microcosm_tui::work::execute_collect(Effect::Simulate(late)) {
        app.on_message(msg);
    }
    assert!(app.simulate.report().is_none());
    assert!(app.is_busy());
    for msg in microcosm_tui::work::execute_collect(second[0].clone()) {
        app.on_message(msg);
    }
    assert!(app.simulate.report().is_some());
    assert!(!app.is_busy());
}

#[test]
fn the_time_cursor_and_the_endpoint_move_over_a_finished_run() {
    let mut app = app_on(KNOWN_BUG, Tab::Simulate);
    press(&mut app, &[KeyCode::Enter]);
    finish_work(&mut app);
    let report = app.simulate.report().expect("a report").clone();
    let buckets = report
        .endpoints
        .values()
        .map(|e| e.series.len())
        .max()
        .unwrap();
    // The cursor opens where the first fault starts.
    assert_eq!(app.simulate.cursor, 20);
    press(&mut app, &[KeyCode::Right, KeyCode::Char('l')]);
    assert_eq!(app.simulate.cursor, 22);
    press(&mut app, &[KeyCode::Left, KeyCode::Char('h')]);
    assert_eq!(app.simulate.cursor, 20);
    app.on_key(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT));
    assert_eq!(app.simulate.cursor, 30);
    app.on_key(KeyEvent::new(KeyCode::Left, KeyModifiers::SHIFT));
    assert_eq!(app.simulate.cursor, 20);
    press(&mut app, &[KeyCode::PageDown]);
    assert_eq!(app.simulate.cursor, 30);
    press(
        &mut app,
        &[KeyCode::PageUp, KeyCode::PageUp, KeyCode::PageUp],
    );
    assert_eq!(app.simulate.cursor, 0);
    press(&mut app, &[KeyCode::End]);
    assert_eq!(app.simulate.cursor, buckets - 1);
    press(&mut app, &[KeyCode::Right]);
    assert_eq!(app.simulate.cursor, buckets - 1, "stays at the end");
    press(&mut app, &[KeyCode::Home]);
    assert_eq!(app.simulate.cursor, 0);
    press(&mut app, &[KeyCode::Char('G'), KeyCode::Char('g')]);
    assert_eq!(app.simulate.cursor, 0);
    // One entry endpoint: [ and ] wrap around to it.
    press(&mut app, &[KeyCode::Char(']')]);
    assert_eq!(app.simulate.endpoint, 0);
    press(&mut app, &[KeyCode::Char('[')]);
    assert_eq!(app.simulate.endpoint, 0);
}

#[test]
fn brackets_cycle_through_the_entry_endpoints() {
    let mut app = app_on(BOUTIQUE, Tab::Simulate);
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
    finish_work(&mut app);
    let entries = app
        .simulate
        .report()
        .unwrap()
        .endpoints
        .values()
        .filter(|e| e.entry)
        .count();
    assert!(entries > 1);
    let start = app.simulate.endpoint;
    press(&mut app, &[KeyCode::Char(']')]);
    assert_eq!(app.simulate.endpoint, (start + 1) % entries);
    press(&mut app, &[KeyCode::Char('['), KeyCode::Char('[')]);
    assert_eq!(app.simulate.endpoint, (start + entries - 1) % entries);
}

#[test]
fn p_cycles_the_tail_percentile_drawn_over_the_median_and_s_shows_the_experiment() {
    let mut app = app_on(BOUTIQUE, Tab::Simulate);
    assert_eq!(app.simulate.percentile, Percentile::P99);
    let mut seen = Vec::new();
    for _ in 0..3 {
        press(&mut app, &[KeyCode::Char('p')]);
        seen.push(app.simulate.percentile);
    }
    // The median is always drawn, so it is not among the choices.
    assert_eq!(seen, [Percentile::P999, Percentile::P90, Percentile::P99]);
    press(&mut app, &[KeyCode::Char('s')]);
    let view = app.source.as_ref().expect("source");
    assert_eq!(view.title, "experiments.ad-slowdown");
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.source.is_none() && !app.should_quit());
}

#[test]
fn a_key_for_another_tab_does_nothing_here() {
    let mut app = app_on(BOUTIQUE, Tab::Architecture);
    press(
        &mut app,
        &[KeyCode::Char('a'), KeyCode::Char('x'), KeyCode::Char('e')],
    );
    assert!(app.take_effects().is_empty());
    assert!(!app.simulate.is_editing());
}

#[test]
fn with_nothing_to_check_or_simulate_the_keys_say_so_or_do_nothing() {
    let mut app = app_on(SERVICES_ONLY, Tab::Verify);
    press(&mut app, &[KeyCode::Char('a')]);
    assert_eq!(app.status.as_deref(), Some("nothing to check"));
    assert!(app.take_effects().is_empty() && !app.is_busy());
    // No seed to type, change or run: the tab and quit keys keep working.
    press(&mut app, &[KeyCode::Char('4')]);
    let before = app.simulate.seed;
    press(
        &mut app,
        &[
            KeyCode::Char('e'),
            KeyCode::Char('+'),
            KeyCode::Char('-'),
            KeyCode::Enter,
        ],
    );
    assert!(!app.simulate.is_editing());
    assert_eq!(app.simulate.seed, before);
    assert!(app.take_effects().is_empty());
    press(&mut app, &[KeyCode::Char('2')]);
    assert_eq!(app.tab, Tab::Decomposition);
    press(&mut app, &[KeyCode::Char('4'), KeyCode::Char('q')]);
    assert!(app.should_quit());
}

// ─── the help lists every key ─────────────────────────────────────────────────────────────────

/// The keys of a context as the help writes them: names split on spaces, commas and ` / `,
/// `0-9` standing for every digit.
fn listed_keys(context: &str) -> Vec<String> {
    let (_, bindings) = BINDINGS
        .iter()
        .find(|(c, _)| *c == context)
        .unwrap_or_else(|| panic!("no help context {context:?}"));
    let mut keys = Vec::new();
    for (names, _) in *bindings {
        for name in names.split_whitespace() {
            let name = name.trim_end_matches(',');
            match name.as_bytes() {
                [] | [b'/'] => {}
                [from @ b'0'..=b'9', b'-', to @ b'0'..=b'9'] => {
                    keys.extend((*from..=*to).map(|d| char::from(d).to_string()))
                }
                _ => keys.push(name.to_owned()),
            }
        }
    }
    keys
}

/// A key as the help names it.
fn key_name(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".to_owned(),
        KeyCode::Down => "↓".to_owned(),
        KeyCode::Left => "←".to_owned(),
        KeyCode::Right => "→".to_owned(),
        KeyCode::Enter => "Enter".to_owned(),
        KeyCode::Esc => "Esc".to_owned(),
        KeyCode::Backspace => "Backspace".to_owned(),
        KeyCode::Tab => "Tab".to_owned(),
        KeyCode::BackTab => "Shift-Tab".to_owned(),
        KeyCode::Home => "Home".to_owned(),
        KeyCode::End => "End".to_owned(),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Every key worth pressing: printable ASCII and the named keys a terminal sends.
fn every_key() -> Vec<KeyCode> {
    let mut keys: Vec<KeyCode> = (b' '..=b'~')
        .map(|b| KeyCode::Char(char::from(b)))
        .collect();
    keys.extend([
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Backspace,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::F(1),
        KeyCode::F(5),
    ]);
    keys
}

/// Each help context with the app in a state where its keys can act (a selection in the middle
/// of its list, a scrolled pane, a running and a finished simulation), and whether the
/// "Everywhere" keys apply there too.
fn contexts() -> Vec<(&'static str, bool, App)> {
    let mut architecture = app_on(BOUTIQUE, Tab::Architecture);
    press(
        &mut architecture,
        &[KeyCode::Down, KeyCode::Down, KeyCode::PageDown],
    );
    assert_eq!(architecture.architecture.scroll, 10);

    let mut decomposition = app_on(SHOP, Tab::Decomposition);
    for _ in 0..12 {
        press(&mut decomposition, &[KeyCode::Down]);
    }

    // A check of another transaction under way, so `x` has something to cancel.
    let mut verify = app_on("scenarios/web3-exchange.toml", Tab::Verify);
    press(&mut verify, &[KeyCode::Char('r')]);
    let _running = verify.take_effects();
    for _ in 0..12 {
        press(&mut verify, &[KeyCode::Down]);
    }

    let mut stepper = app_on(GALLERY_2PC, Tab::Verify);
    press(&mut stepper, &[KeyCode::Char('a')]);
    finish_work(&mut stepper);
    select_row(&mut stepper, "recover-without-log", "2pc.atomicity");
    press(&mut stepper, &[KeyCode::Enter, KeyCode::Right]);
    assert_eq!(stepper.verify.stepper.as_ref().map(|s| s.position), Some(1));

    // A finished report of the middle experiment, and a new run of it under way.
    let mut simulate = app_on(BOUTIQUE, Tab::Simulate);
    press(&mut simulate, &[KeyCode::Down, KeyCode::Enter]);
    finish_work(&mut simulate);
    press(&mut simulate, &[KeyCode::Enter]);
    let _running = simulate.take_effects();
    assert!(simulate.simulate.report().is_some() && simulate.is_busy());

    let mut seed = app_on(BOUTIQUE, Tab::Simulate);
    press(&mut seed, &[KeyCode::Char('e')]);

    let mut source = app_on(BOUTIQUE, Tab::Architecture);
    press(&mut source, &[KeyCode::Char('s')]);

    let mut help = app_on(BOUTIQUE, Tab::Verify);
    press(&mut help, &[KeyCode::Char('?'), KeyCode::Down]);

    vec![
        ("Architecture", true, architecture),
        ("Decomposition", true, decomposition),
        ("Verify", true, verify),
        ("Trace stepper", true, stepper),
        ("Simulate", true, simulate),
        // While a seed is typed no other key works, so none of the others may be listed.
        ("Typing a seed (after e)", false, seed),
        ("Scenario file pop-up (after s)", true, source),
        ("This help", true, help),
    ]
}

/// Each tab of a scenario with nothing but services: most keys have nothing to act on there, and
/// any that act must still be the help's.
fn empty_contexts() -> Vec<(&'static str, App)> {
    Tab::ALL
        .into_iter()
        .map(|tab| (tab.title(), app_on(SERVICES_ONLY, tab)))
        .collect()
}

/// Everything a key can change, as text: the whole state but the scenario (an `Arc` no key
/// replaces), the reports (only a worker's message brings one) and the effects' scenario copies.
fn fingerprint(app: &App) -> String {
    let mut app = app.clone();
    let effects: Vec<String> = app
        .take_effects()
        .iter()
        .map(|effect| match effect {
            Effect::Check { jobs, .. } => {
                format!(
                    "check {:?}",
                    jobs.iter().map(|(i, _)| i).collect::<Vec<_>>()
                )
            }
            Effect::Simulate(r) => format!("simulate {} {} {}", r.run, r.experiment, r.seed),
        })
        .collect();
    let reports: Vec<String> = app.simulate.results.keys().cloned().collect();
    app.simulate.results.clear();
    format!(
        "{:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {reports:?} {:?} {effects:?} {}",
        app.tab,
        app.help,
        app.help_scroll,
        app.source,
        app.architecture,
        (app.decomposition.min_severity, app.decomposition.selected),
        app.verify,
        app.simulate,
        app.status,
        app.theme,
        app.should_quit()
    )
}

/// The keys that change `app`'s state when pressed.
fn acting_keys(app: &App) -> Vec<String> {
    let mut acting = Vec::new();
    for code in every_key() {
        let mut pressed = app.clone();
        // Taken from the copy: a running simulation's cancel flag is shared with it.
        let before = fingerprint(&pressed);
        pressed.on_key(fixtures::key(code));
        if fingerprint(&pressed) != before {
            acting.push(key_name(code));
        }
    }
    acting
}

#[test]
fn on_a_scenario_of_services_only_no_tab_has_a_key_that_acts_unlisted_or_unseen() {
    for (context, app) in empty_contexts() {
        let mut listed = listed_keys(context);
        listed.extend(listed_keys("Everywhere"));
        let acting = acting_keys(&app);
        let missing: Vec<&String> = acting.iter().filter(|k| !listed.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{context} (services only): keys that act but are not in the help: {missing:?}"
        );
        // On the tabs with nothing to act on, only the keys every tab has do anything.
        if matches!(context, "Verify" | "Simulate") {
            let everywhere = listed_keys("Everywhere");
            let extra: Vec<&String> = acting
                .iter()
                // `a` on Verify says there is nothing to check.
                .filter(|k| !(everywhere.contains(k) || (context == "Verify" && *k == "a")))
                .collect();
            assert!(
                extra.is_empty(),
                "{context} (services only): keys that act on nothing: {extra:?}"
            );
        }
    }
}

#[test]
fn every_key_that_changes_the_state_is_in_the_help_for_its_context() {
    for (context, everywhere, app) in contexts() {
        let mut listed = listed_keys(context);
        if everywhere {
            listed.extend(listed_keys("Everywhere"));
        }
        let acting = acting_keys(&app);
        let missing: Vec<&String> = acting.iter().filter(|k| !listed.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{context}: keys that act but are not in the help: {missing:?}"
        );
        // And the other way round: what the help lists for the context does something there
        // (the Everywhere keys are checked in their own tests).
        let idle: Vec<String> = listed_keys(context)
            .into_iter()
            .filter(|k| !acting.contains(k))
            .collect();
        assert!(
            idle.is_empty(),
            "{context}: keys in the help that do nothing: {idle:?}"
        );
    }
}
