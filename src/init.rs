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
    // `run` refuses control characters, so a TOML basic string needs only these two escaped.
    let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
    STARTER
        .replace("{{name}}", &escaped)
        .replace("{{file}}", &shell_word(file))
}

/// `path` as one word a POSIX shell reads back unchanged, so that the command `init` suggests
/// (`microcosm check 'my shop.toml'`) works when pasted: quoted unless it is plainly safe, and
/// never taken for an option.
fn shell_word(path: &str) -> String {
    let path = if path.starts_with('-') {
        format!("./{path}")
    } else {
        path.to_owned()
    };
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-+=:,@%/".contains(c));
    if plain {
        path
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

pub fn run(args: &InitArgs) -> anyhow::Result<Outcome> {
    let name = args.name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!(
            "`{}` cannot name a file; give a plain name such as `shop`",
            args.name
        );
    }
    // A newline in the name would end the TOML string and the comment it is written into, and
    // a file named so is one nobody means to make.
    if name.chars().any(char::is_control) {
        bail!(
            "{:?} holds a control character and cannot name a file; give a plain name such as `shop`",
            args.name
        );
    }
    // Checked here, not left to the write: its error would name the temporary file.
    if !args.dir.is_dir() {
        bail!(
            "{} is not a directory; create it first, or leave out --dir to write here",
            args.dir.display()
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
        file_name
    } else {
        path.display().to_string()
    };
    eprintln!(
        "wrote {shown}; check it with `microcosm check {}`",
        shell_word(&shown)
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
        assert!(text.contains("`microcosm check shop.toml`"), "{text}");
    }

    #[test]
    fn the_suggested_command_quotes_a_file_name_a_shell_would_split() {
        for (path, word) in [
            ("shop.toml", "shop.toml"),
            ("dir/shop-2.toml", "dir/shop-2.toml"),
            ("my shop.toml", "'my shop.toml'"),
            ("it's.toml", r"'it'\''s.toml'"),
            ("$HOME.toml", "'$HOME.toml'"),
            ("-x.toml", "./-x.toml"),
        ] {
            assert_eq!(shell_word(path), word, "{path}");
        }
        let text = starter("my shop", "my shop.toml");
        assert!(text.contains("`microcosm check 'my shop.toml'`"), "{text}");
    }

    #[test]
    fn a_name_with_a_control_character_or_a_missing_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let init = |name: &str, dir: &std::path::Path| {
            run(&InitArgs {
                name: name.to_owned(),
                dir: dir.to_owned(),
                force: false,
            })
            .map(|_| ())
            .unwrap_err()
            .to_string()
        };
        assert!(init("a\nb", dir.path()).contains("control character"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let missing = dir.path().join("no-such-dir");
        let error = init("shop", &missing);
        assert!(error.contains("is not a directory"), "{error}");
        // Not the temporary file the write would have made inside it.
        let inside = format!("{}/", missing.display());
        assert!(!error.contains(&inside), "{error}");
    }
}
