//! The terminal session: raw mode and the alternate screen on the way in, and — whatever
//! happens — the terminal as it was on the way out: on quit, on an error, on a panic of the UI
//! thread (a panic hook restores before the message is printed, so it stays readable), and on
//! SIGINT, SIGTERM or SIGHUP (flags the event loop checks, so the exit is an ordinary one). In
//! raw mode Ctrl-C arrives as a key, which [`crate::App::on_key`] treats as quit.
//!
//! One channel feeds the loop: key and resize events from an input thread, and the workers'
//! messages. The loop waits on it (never on a worker), folds what arrived into the [`App`],
//! starts the work key presses queued, and draws. Input is read on its own thread because
//! crossterm 0.29 never returns from a read once its terminal has hung up (it spins on
//! end-of-file): the loop must still see the SIGHUP flag and exit, which ends that thread too.

use std::io::{self, Stdout, Write};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::ThreadId;
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{self, Event};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use microcosm_model::LoadedScenario;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::work::{self, Emit, Msg};
use crate::{App, Options};

/// How often the loop wakes with nothing to do, to notice a signal.
const TICK: Duration = Duration::from_millis(100);

/// Whether this process has the terminal in raw mode on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back as it was; safe to call more than once and from any thread.
pub fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = leave_screen(&mut io::stdout());
    }
}

/// Writes what takes the terminal off the alternate screen and shows the cursor again.
fn leave_screen(out: &mut impl Write) -> io::Result<()> {
    execute!(out, LeaveAlternateScreen, Show)
}

/// Restores the terminal when dropped: on return and while a panic unwinds the UI thread.
struct Session;

impl Drop for Session {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn enter() -> io::Result<Session> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let session = Session;
    execute!(io::stdout(), EnterAlternateScreen, Hide)?;
    Ok(session)
}

/// Installs, once, a panic hook that restores the terminal before the panic is reported.
/// Panics of worker threads are caught and shown in the UI ([`crate::work`]); printing them
/// over the alternate screen would only garble it, so while the UI runs they are not printed.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = panic::take_hook();
    panic::set_hook(panic_hook(
        std::thread::current().id(),
        &ACTIVE,
        restore_terminal,
        previous,
    ));
}

/// What a panic hook reports with (the hook that was installed before ours).
type Report = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// The panic hook: a panic of the UI thread, or of any thread once the explorer no longer holds
/// the terminal (`active` is false), is reported with `report` after `restore` has put the
/// terminal back, so the message lands on the normal screen; a worker's panic while the
/// explorer runs is left to [`crate::work`], which shows it in the UI. Built apart from
/// [`install_panic_hook`] so a test can run it against its own terminal writer.
fn panic_hook(
    ui_thread: ThreadId,
    active: &'static AtomicBool,
    restore: impl Fn() + Send + Sync + 'static,
    report: Report,
) -> Report {
    Box::new(move |info| {
        let on_ui = std::thread::current().id() == ui_thread;
        if on_ui || !active.load(Ordering::SeqCst) {
            restore();
            report(info);
        }
    })
}

/// What the loop waits for.
enum Incoming {
    /// A key press, a resize.
    Input(Event),
    /// The terminal cannot be read any more.
    InputClosed,
    /// A worker's report.
    Work(Msg),
}

/// Reads terminal events for as long as anyone listens: the thread ends at the first event after
/// the loop has gone (or with the process, which is what the `microcosm` binary does next).
fn spawn_input(tx: Sender<Incoming>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("microcosm-input".to_owned())
        .spawn(move || {
            loop {
                let incoming = match event::read() {
                    Ok(event) => Incoming::Input(event),
                    Err(_) => Incoming::InputClosed,
                };
                let closed = matches!(incoming, Incoming::InputClosed);
                if tx.send(incoming).is_err() || closed {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Explores `loaded` in the terminal until the user quits. Returns an error only when the
/// terminal cannot be set up or written; the terminal is restored in every case.
pub fn run(loaded: LoadedScenario, options: Options) -> io::Result<()> {
    let mut app = App::new(loaded, &options);
    let stop = Arc::new(AtomicBool::new(false));
    let mut handlers = Vec::new();
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        handlers.push(signal_hook::flag::register(signal, stop.clone())?);
    }
    install_panic_hook();
    let result = enter().and_then(|session| {
        let result = event_loop(&mut app, &stop);
        drop(session);
        result
    });
    app.cancel_work();
    // The signals mean "stop" only while the explorer runs; give them back their defaults.
    for id in handlers {
        signal_hook::low_level::unregister(id);
    }
    result
}

fn event_loop(app: &mut App, stop: &AtomicBool) -> io::Result<()> {
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let (tx, rx) = mpsc::channel();
    spawn_input(tx.clone())?;
    let emit: Emit = {
        let tx = tx.clone();
        Arc::new(move |msg| {
            // A closed channel means the explorer is quitting: the report is not needed.
            let _ = tx.send(Incoming::Work(msg));
        })
    };
    let size = terminal.size()?;
    app.on_resize(size.width, size.height);
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
            dirty = false;
        }
        if app.should_quit() || stop.load(Ordering::Relaxed) {
            break;
        }
        let first = match rx.recv_timeout(TICK) {
            Ok(incoming) => incoming,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Take everything already waiting before drawing again, so held-down keys and bursts
        // of progress do not lag one frame each.
        for incoming in std::iter::once(first).chain(rx.try_iter()) {
            dirty = true;
            match incoming {
                Incoming::Input(Event::Key(key)) => app.on_key(key),
                Incoming::Input(Event::Resize(columns, rows)) => app.on_resize(columns, rows),
                // Any other event just needs the redraw.
                Incoming::Input(_) => {}
                Incoming::InputClosed => stop.store(true, Ordering::Relaxed),
                Incoming::Work(msg) => app.on_message(msg),
            }
            if app.should_quit() {
                break;
            }
        }
        for effect in app.take_effects() {
            work::spawn(effect, emit.clone());
        }
    }
    io::stdout().flush()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Whether the explorer "holds the terminal" in this test (the real flag stays untouched).
    static TEST_ACTIVE: AtomicBool = AtomicBool::new(false);

    #[test]
    fn the_panic_hook_restores_the_terminal_before_reporting_and_leaves_workers_to_the_ui() {
        // Other tests of this binary panic on purpose; none may run under this hook.
        let _alone = crate::PANIC_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let events = Arc::new(Mutex::new(Vec::<String>::new()));
        let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
        let hook = panic_hook(
            std::thread::current().id(),
            &TEST_ACTIVE,
            {
                let (events, screen) = (events.clone(), screen.clone());
                move || {
                    events.lock().unwrap().push("restore".to_owned());
                    leave_screen(&mut *screen.lock().unwrap()).unwrap();
                }
            },
            {
                let events = events.clone();
                Box::new(move |info| {
                    let what = info.payload().downcast_ref::<&str>().copied();
                    events
                        .lock()
                        .unwrap()
                        .push(format!("report {}", what.unwrap_or("?")));
                })
            },
        );
        TEST_ACTIVE.store(true, Ordering::SeqCst);
        let original = panic::take_hook();
        panic::set_hook(hook);
        let worker = std::thread::spawn(|| panic!("worker")).join();
        let ui = panic::catch_unwind(|| panic!("ui"));
        TEST_ACTIVE.store(false, Ordering::SeqCst);
        let after = std::thread::spawn(|| panic!("after")).join();
        panic::set_hook(original);

        assert!(worker.is_err() && ui.is_err() && after.is_err());
        assert_eq!(
            *events.lock().unwrap(),
            ["restore", "report ui", "restore", "report after"],
            "a worker's panic while the explorer runs is neither printed nor restored"
        );
        // What restoring writes: leave the alternate screen (CSI ?1049l), show the cursor.
        let written = String::from_utf8(screen.lock().unwrap().clone()).unwrap();
        assert_eq!(
            written.matches("\x1b[?1049l\x1b[?25h").count(),
            2,
            "{written:?}"
        );
    }
}
