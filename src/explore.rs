//! `microcosm explore`: load one scenario, report it like `validate` when it is invalid (exit
//! 2), and otherwise hand it to the terminal explorer in `microcosm-tui`, which owns the
//! terminal until the user quits. Exit 0 after quitting; 2 when the file is invalid or stdin
//! and stdout are not a terminal (there is nothing to explore on a pipe).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use microcosm_tui::{Options, Tab, Theme};

use crate::Outcome;
use crate::cli::{ColorChoice, ExploreArgs, ExploreTab};

pub fn run(args: &ExploreArgs) -> anyhow::Result<Outcome> {
    // `microcosm --color X explore` and `microcosm explore --color X` both land here.
    let color = args.color;
    let loaded = match microcosm_model::load(&args.file) {
        Ok(loaded) => loaded,
        Err(e) => {
            let diagnostics_color = color.enabled();
            let mut err = std::io::stderr().lock();
            for d in &e.diagnostics {
                write!(err, "{}", d.render(diagnostics_color))?;
            }
            return Ok(Outcome::Invalid);
        }
    };
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        bail!(
            "explore needs a terminal; for reports on a pipe use `microcosm check {}`",
            args.file.display()
        );
    }
    // The explorer draws on stdout, so its colour follows stdout and NO_COLOR, not stderr.
    let theme = match color {
        ColorChoice::Always => Theme::colored(),
        ColorChoice::Never => Theme::monochrome(),
        ColorChoice::Auto => Theme::from_env(),
    };
    let options = Options {
        theme,
        check_timeout: Some(Duration::from_secs_f64(args.timeout)),
        max_states: args.max_states,
        tab: match args.tab {
            ExploreTab::Architecture => Tab::Architecture,
            ExploreTab::Decomposition => Tab::Decomposition,
            ExploreTab::Verify => Tab::Verify,
            ExploreTab::Simulate => Tab::Simulate,
        },
    };
    microcosm_tui::run(loaded, options).context("the terminal explorer failed")?;
    Ok(Outcome::Pass)
}
