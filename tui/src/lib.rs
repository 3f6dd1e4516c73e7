//! Microcosm's terminal explorer (`microcosm explore FILE`): one scenario, four tabs —
//! Architecture (services, six-tuples, call trees), Decomposition (the theorem, the
//! cohesion/coupling heat map, findings), Verify (transactions × properties, live model checks,
//! a counterexample stepper) and Simulate (experiments run with progress, charts over time with
//! fault windows, breaker timelines, a time cursor).
//!
//! The shape follows ratatui's demo2: [`App`] is plain data; [`App::on_key`] and
//! [`App::on_message`] change it; `impl Widget for &App` draws it and only reads, each tab from
//! its own state, the theme and the scenario (never the `App`), so no tab reads another's. Work
//! that takes time is never done here: a key handler queues an [`Effect`], the [`runner`]
//! starts it on a thread ([`work`]), and its results come back as [`Msg`]s. Every engine is
//! called through its crate's public API (`microcosm_model::analysis`,
//! `microcosm_checker::scenario::jobs`, `microcosm_simulator::Sim`); nothing here re-derives
//! what an engine computes.

#![warn(missing_docs)]

mod architecture;
mod chart;
mod decomposition;
mod help;
pub mod runner;
mod simulate;
mod source;
mod stepper;
pub mod theme;
mod ui;
mod verify;
pub mod work;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use microcosm_model::LoadedScenario;
use microcosm_model::analysis::{AnalysisOptions, analyze};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub use architecture::{ArchitectureState, ArchitectureView};
pub use decomposition::DecompositionState;
pub use help::BINDINGS;
pub use runner::run;
pub use simulate::{Percentile, SimRun, SimulateState};
pub use source::SourceView;
pub use stepper::Stepper;
pub use theme::Theme;
pub use verify::{JobState, VerifyState};
pub use work::{Effect, Msg};

/// Held by the tests that panic on purpose or install a panic hook: the hook is global, so
/// they must not overlap.
#[cfg(test)]
pub(crate) static PANIC_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Services, their six-tuples and call trees.
    Architecture,
    /// The decomposition theorem, the cohesion/coupling matrix and the findings.
    Decomposition,
    /// Model checks of the transactions, with the counterexample stepper.
    Verify,
    /// Failure experiments in the simulator.
    Simulate,
}

impl Tab {
    /// Every tab, in tab-bar order (the number keys 1–4).
    pub const ALL: [Tab; 4] = [
        Tab::Architecture,
        Tab::Decomposition,
        Tab::Verify,
        Tab::Simulate,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Architecture => "Architecture",
            Tab::Decomposition => "Decomposition",
            Tab::Verify => "Verify",
            Tab::Simulate => "Simulate",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab after this one, wrapping around.
    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    /// The tab before this one, wrapping around.
    pub fn previous(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// Settings of one explorer session.
#[derive(Debug, Clone)]
pub struct Options {
    /// Colours (or their absence).
    pub theme: Theme,
    /// Wall-clock limit of each model check; a check cut short is inconclusive.
    pub check_timeout: Option<Duration>,
    /// Limit on the states each model check generates; a check cut short is inconclusive.
    pub max_states: Option<usize>,
    /// The tab shown first.
    pub tab: Tab,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            theme: Theme::default(),
            check_timeout: Some(Duration::from_secs(60)),
            max_states: None,
            tab: Tab::Architecture,
        }
    }
}

/// What a tab's key handler asks the app to do beyond changing its own state.
#[derive(Debug)]
pub(crate) enum Action {
    /// Start long work.
    Effect(Effect),
    /// Show another tab at something.
    Jump(Jump),
    /// Show a place in the scenario file.
    Source(SourceView),
    /// Tell the user something in the footer.
    Status(String),
}

/// A footer hint: a key and what it does.
type Hint = (&'static str, &'static str);

/// A place in another tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Jump {
    /// A service on the Architecture tab.
    Service(String),
    /// A transaction on the Verify tab.
    Transaction(String),
    /// An experiment on the Simulate tab.
    Experiment(String),
}

/// The explorer's whole state: plain data that key presses and worker messages change and that
/// rendering only reads. Cloning it copies the state (running work's cancel flags are shared).
#[derive(Debug, Clone)]
pub struct App {
    /// The scenario explored, with its source text (for locations).
    pub loaded: Arc<LoadedScenario>,
    /// The tab shown.
    pub tab: Tab,
    /// Whether the key help is open.
    pub help: bool,
    /// Lines of the help scrolled off its top (it is longer than a small terminal).
    pub help_scroll: u16,
    /// An excerpt of the scenario file shown over the tab, if any.
    pub source: Option<SourceView>,
    /// The Architecture tab.
    pub architecture: ArchitectureState,
    /// The Decomposition tab.
    pub decomposition: DecompositionState,
    /// The Verify tab.
    pub verify: VerifyState,
    /// The Simulate tab.
    pub simulate: SimulateState,
    /// A one-line message in the footer (cleared by the next key).
    pub status: Option<String>,
    /// Colours.
    pub theme: Theme,
    /// The terminal's size (columns, rows), for the bounds of keys that depend on it (how far
    /// the help scrolls); the runner keeps it up to date.
    pub screen: (u16, u16),
    quit: bool,
    effects: Vec<Effect>,
}

impl App {
    /// The explorer on a loaded scenario. Runs the (fast) architecture analysis; nothing slow:
    /// model checks and simulations start only when asked for.
    pub fn new(loaded: LoadedScenario, options: &Options) -> App {
        let loaded = Arc::new(loaded);
        let mut analysis = analyze(&loaded.scenario, &AnalysisOptions::default());
        analysis.locate(&loaded);
        App {
            tab: options.tab,
            help: false,
            help_scroll: 0,
            source: None,
            architecture: ArchitectureState::new(&loaded.scenario),
            decomposition: DecompositionState::new(analysis),
            verify: VerifyState::new(&loaded.scenario, options),
            simulate: SimulateState::new(&loaded.scenario),
            status: None,
            theme: options.theme,
            screen: (80, 24),
            quit: false,
            effects: Vec::new(),
            loaded,
        }
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether a check or a simulation is queued or running.
    pub fn is_busy(&self) -> bool {
        self.verify.is_busy() || self.simulate.is_busy()
    }

    /// The work queued by key presses since the last call, for the runner to start.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The terminal was resized to `columns` × `rows` (or this is its size at start).
    pub fn on_resize(&mut self, columns: u16, rows: u16) {
        self.screen = (columns, rows);
        self.help_scroll = self.help_scroll.min(self.help_max_scroll());
    }

    /// How far the help scrolls at the current size: the tab bar and footer take a row each.
    fn help_max_scroll(&self) -> u16 {
        let (columns, rows) = self.screen;
        help::max_scroll(Rect::new(0, 1, columns, rows.saturating_sub(2)))
    }

    /// Handles one key press.
    pub fn on_key(&mut self, key: KeyEvent) {
        // Terminals with the kitty keyboard protocol also report releases; a held key's
        // repeats do count, like presses.
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.status = None;
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        // Typing a seed takes every key but Ctrl-C: digits must not switch tabs.
        if self.tab == Tab::Simulate && self.simulate.is_editing() {
            let action = self.simulate.on_key(key, &self.loaded);
            self.apply(action);
            return;
        }
        if self.help {
            match key.code {
                KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter => self.help = false,
                KeyCode::Char('q') => self.quit = true,
                KeyCode::Down | KeyCode::Char('j') => {
                    self.help_scroll = (self.help_scroll + 1).min(self.help_max_scroll())
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    self.help_scroll = self.help_scroll.saturating_sub(1)
                }
                KeyCode::PageDown => {
                    self.help_scroll = (self.help_scroll + 10).min(self.help_max_scroll())
                }
                KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                _ => {}
            }
            return;
        }
        if self.source.is_some() {
            match key.code {
                KeyCode::Char('q') => self.quit = true,
                KeyCode::Char('?') => self.help = true,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('s') | KeyCode::Backspace => {
                    self.source = None
                }
                _ => {}
            }
            return;
        }
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => {
                self.help = true;
                self.help_scroll = 0;
            }
            KeyCode::Tab => self.tab = self.tab.next(),
            KeyCode::BackTab => self.tab = self.tab.previous(),
            KeyCode::Char(c @ '1'..='4') => {
                self.tab = Tab::ALL[c as usize - '1' as usize];
            }
            KeyCode::Esc if !self.tab_has_overlay() => self.quit = true,
            _ => {
                let action = match self.tab {
                    Tab::Architecture => self.architecture.on_key(key, &self.loaded),
                    Tab::Decomposition => self.decomposition.on_key(key),
                    Tab::Verify => self.verify.on_key(key, &self.loaded),
                    Tab::Simulate => self.simulate.on_key(key, &self.loaded),
                };
                self.apply(action);
            }
        }
    }

    /// Whether the current tab shows something that Esc closes before it quits.
    fn tab_has_overlay(&self) -> bool {
        match self.tab {
            Tab::Verify => self.verify.stepper.is_some(),
            _ => false,
        }
    }

    fn apply(&mut self, action: Option<Action>) {
        match action {
            None => {}
            Some(Action::Effect(effect)) => self.effects.push(effect),
            Some(Action::Status(message)) => self.status = Some(message),
            Some(Action::Source(view)) => self.source = Some(view),
            Some(Action::Jump(jump)) => self.jump(jump),
        }
    }

    fn jump(&mut self, jump: Jump) {
        let (found, tab, what) = match &jump {
            Jump::Service(name) => {
                let found = self.architecture.select_service(name);
                if found {
                    self.architecture.view = ArchitectureView::Service;
                }
                (found, Tab::Architecture, format!("service `{name}`"))
            }
            Jump::Transaction(name) => (
                self.verify.select_subject(name),
                Tab::Verify,
                format!("transaction `{name}`"),
            ),
            Jump::Experiment(name) => (
                self.simulate.select_experiment(name, &self.loaded.scenario),
                Tab::Simulate,
                format!("experiment `{name}`"),
            ),
        };
        if found {
            self.tab = tab;
        } else {
            self.status = Some(format!("there is no {what} to go to"));
        }
    }

    /// Folds a worker's message into the state.
    pub fn on_message(&mut self, msg: Msg) {
        match msg {
            Msg::CheckStarted { .. } | Msg::CheckProgress { .. } | Msg::CheckDone { .. } => {
                self.verify.on_message(msg)
            }
            Msg::SimProgress { .. } | Msg::SimDone { .. } => self.simulate.on_message(msg),
        }
    }

    /// Asks running work to stop (the explorer is quitting).
    pub fn cancel_work(&mut self) {
        self.verify.cancel();
        self.simulate.cancel();
    }

    fn render_tab_bar(&self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut spans = vec![Span::styled(" microcosm ", theme.title())];
        for (i, tab) in Tab::ALL.iter().enumerate() {
            let label = format!(" {} {} ", i + 1, tab.title());
            let style = if *tab == self.tab {
                theme.tab_active()
            } else {
                theme.text()
            };
            spans.push(Span::styled(label, style));
        }
        let used: usize = spans.iter().map(Span::width).sum();
        let name = format!(" {} ", self.loaded.scenario.name);
        let room = (area.width as usize).saturating_sub(used);
        if name.chars().count() <= room {
            spans.push(Span::raw(" ".repeat(room - name.chars().count())));
            spans.push(Span::styled(name, theme.dim()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }

    fn render_footer(&self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        // The last hints say how to get help and out: they always show, and the others (or a
        // status message in their place) take the room left, in order, as far as they fit.
        let (hints, last): (Vec<Hint>, Vec<Hint>) = if self.help {
            (
                vec![("↑↓", "scroll")],
                vec![("Esc", "close help"), ("q", "quit")],
            )
        } else if self.source.is_some() {
            (Vec::new(), vec![("Esc", "close"), ("q", "quit")])
        } else if self.tab == Tab::Simulate && self.simulate.is_editing() {
            // Typing a seed takes every key: `?` and `q` are digits' neighbours, not commands.
            (self.simulate.hints(), Vec::new())
        } else {
            let mut hints = match self.tab {
                Tab::Architecture => self.architecture.hints(),
                Tab::Decomposition => self.decomposition.hints(),
                Tab::Verify => self.verify.hints(),
                Tab::Simulate => self.simulate.hints(),
            };
            hints.push(("Tab", "next tab"));
            (hints, vec![("?", "help"), ("q", "quit")])
        };
        let width_of = |(key, what): &Hint| key.chars().count() + what.chars().count() + 3;
        let mut room =
            (area.width as usize).saturating_sub(1 + last.iter().map(width_of).sum::<usize>());
        let mut spans = vec![Span::raw(" ")];
        let mut shown = Vec::new();
        if let Some(status) = &self.status {
            // Two spaces keep the message apart from the hints after it.
            let message = ui::truncate(status, room.saturating_sub(2));
            let pad = room.saturating_sub(message.chars().count());
            spans.push(Span::styled(message, theme.warn()));
            spans.push(Span::raw(" ".repeat(pad)));
        } else {
            for hint in hints {
                let w = width_of(&hint);
                if w > room {
                    break;
                }
                room -= w;
                shown.push(hint);
            }
        }
        shown.extend(last);
        for (key, what) in shown {
            spans.push(Span::styled(key.to_owned(), theme.key()));
            spans.push(Span::styled(format!(" {what}  "), theme.dim()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [bar, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_tab_bar(bar, buf);
        // Each tab draws from its own state, the theme and the scenario: a tab cannot read
        // another's state, so what one shows changes only with its own keys and messages.
        let scenario = &self.loaded.scenario;
        match self.tab {
            Tab::Architecture => {
                architecture::render(&self.architecture, scenario, self.theme, body, buf)
            }
            Tab::Decomposition => decomposition::render(&self.decomposition, self.theme, body, buf),
            Tab::Verify => verify::render(&self.verify, self.theme, body, buf),
            Tab::Simulate => simulate::render(&self.simulate, scenario, self.theme, body, buf),
        }
        if let Some(view) = &self.source {
            source::render(view, &self.loaded, self.theme, body, buf);
        }
        if self.help {
            help::render(self.help_scroll, self.theme, body, buf);
        }
        self.render_footer(footer, buf);
    }
}
