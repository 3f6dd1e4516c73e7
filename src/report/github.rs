//! GitHub Actions workflow commands: an `::error` (or `::warning`) annotation on the scenario
//! line of every check that does not pass, and, when `GITHUB_STEP_SUMMARY` names a file, a
//! Markdown table of every verdict appended to it.
//!
//! Escaping follows the runner's rules: in the message `%`, CR and LF become `%25`, `%0D`,
//! `%0A`; in property values `:` and `,` become `%3A` and `%2C` as well.

use std::io::Write;

use super::{GateReport, Outcome, plural};

/// Escapes an annotation's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation property value (`file`, `title`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut Vec<u8>, report: &GateReport) -> std::io::Result<()> {
    for r in &report.records {
        let command = match r.outcome {
            Outcome::Pass => continue,
            Outcome::Skip => "warning",
            Outcome::Fail | Outcome::Error => "error",
        };
        let mut message = r.message.clone();
        if let Some(trace) = &r.counterexample {
            message.push_str("\n\n");
            message.push_str(&trace.text);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            escape_property(&r.file),
            r.line,
            r.column,
            escape_property(&format!("{} {}", r.check, r.status.name())),
            escape_data(&message)
        )?;
    }
    let s = report.summary();
    writeln!(out, "microcosm: {}", s.counts())?;
    Ok(())
}

/// The Markdown table for the job summary.
pub fn step_summary(report: &GateReport) -> String {
    let s = report.summary();
    let mut md = format!(
        "### Microcosm\n\n{} in {}: **{} passed**, **{} failed**, {} skipped, {}\n\n| | file | check | verdict |\n| --- | --- | --- | --- |\n",
        plural(s.checks, "check"),
        plural(s.files, "file"),
        s.passed,
        s.failed,
        s.skipped,
        plural(s.errors, "error")
    );
    for r in &report.records {
        let mark = match r.outcome {
            Outcome::Pass => "✅",
            Outcome::Fail => "❌",
            Outcome::Skip => "⚠️",
            Outcome::Error => "⛔",
        };
        let cell = |t: &str| t.replace('|', "\\|");
        md.push_str(&format!(
            "| {mark} | `{}:{}` | `{}` | {} |\n",
            cell(&r.file),
            r.line,
            cell(&r.check),
            r.status.name()
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_escape_percent_and_newlines() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
    }

    #[test]
    fn properties_also_escape_colons_and_commas() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
