//! `microcosm init NAME`: write a commented starter scenario that validates, so a new user has a
//! working file to change rather than a blank page.

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
    eprintln!(
        "wrote {}; check it with `microcosm validate {}`",
        path.display(),
        path.display()
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
