//! `microcosm init NAME`: write a commented starter scenario that passes `microcosm check` as
//! written (validation, analysis, model checking and its experiment), so a new user has a
//! working design to change rather than a blank page, or a red gate before they have changed
//! anything. `tests/cli/init.rs` holds it to that, and to what its comments promise.

use anyhow::{Context, bail};

use crate::Outcome;
use crate::cli::InitArgs;

const STARTER: &str = include_str!("starter.toml");

/// The starter scenario for an architecture called `name`, written to `file`.
pub fn starter(name: &str, file: &str) -> String {
    let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
    STARTER
        .replace("{{name}}", &escaped)
        .replace("{{file}}", file)
}

pub fn run(args: &InitArgs) -> anyhow::Result<Outcome> {
    let name = args.name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!(
            "`{}` cannot name a file; give a plain name such as `shop`",
            args.name
        );
    }
    let file_name = if name.ends_with(".toml") {
        name.to_owned()
    } else {
        format!("{name}.toml")
    };
    let path = args.dir.join(&file_name);
    if path.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    let text = starter(name.trim_end_matches(".toml"), &file_name);
    crate::output::write_atomically(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // `./shop.toml` is the same file, but the command a newcomer copies should read as the one
    // they would type.
    let shown = if args.dir == std::path::Path::new(".") {
        std::path::PathBuf::from(&file_name)
    } else {
        path.clone()
    };
    eprintln!(
        "wrote {}; check it with `microcosm check {}`",
        shown.display(),
        shown.display()
    );
    Ok(Outcome::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_validates() {
        let text = starter("shop \"quoted\"", "shop.toml");
        let loaded = microcosm_model::load_str(
            &text,
            std::path::Path::new("shop.toml"),
            microcosm_model::Format::Toml,
            std::path::Path::new("."),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.scenario.name, "shop \"quoted\"");
        assert_eq!(loaded.scenario.services.len(), 5);
    }
}
