//! The gate's report for people: one line per check grouped by file, the counterexample of
//! each failure as a numbered list and a message-sequence chart, and a summary.

use std::io::Write;

use super::{GateReport, Outcome, plural};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

pub fn write(out: &mut Vec<u8>, report: &GateReport, color: bool) -> std::io::Result<()> {
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    // Columns as wide as their widest entry in the whole report, so every file's rows line
    // up and a long check id (a transaction named in 40 characters) widens its column
    // instead of pushing its row's status out of line.
    let kind_width = report
        .records
        .iter()
        .map(|r| r.kind.name().len())
        .max()
        .unwrap_or(0);
    let check_width = report
        .records
        .iter()
        .map(|r| r.check.chars().count())
        .max()
        .unwrap_or(0);
    for file in &report.files {
        writeln!(out, "{}", paint(BOLD, file))?;
        for r in report.records.iter().filter(|r| &r.file == file) {
            let (mark, code) = match r.outcome {
                Outcome::Pass => ("pass", GREEN),
                Outcome::Fail => ("FAIL", RED),
                Outcome::Skip => ("skip", YELLOW),
                Outcome::Error => ("ERROR", RED),
            };
            let expected = r
                .expected
                .map(|e| format!(" (expected {})", e.name()))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {:<kind_width$} {:<check_width$} {}{}",
                paint(code, &format!("{mark:<5}")),
                r.kind.name(),
                r.check,
                r.status.name(),
                expected
            )?;
            if r.outcome != Outcome::Pass {
                writeln!(
                    out,
                    "        {}:{}:{}: {}",
                    r.file, r.line, r.column, r.message
                )?;
                if let Some(trace) = &r.counterexample {
                    writeln!(out)?;
                    for line in trace.text.lines() {
                        writeln!(out, "        {line}")?;
                    }
                    writeln!(out)?;
                    for line in trace.chart.lines() {
                        writeln!(out, "        {line}")?;
                    }
                    writeln!(out)?;
                }
            }
        }
    }
    let s = report.summary();
    let line = format!("{}, {}", plural(s.files, "file"), s.counts());
    let code = if s.failed + s.errors > 0 { RED } else { GREEN };
    writeln!(out, "\n{}", paint(code, &line))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckRecord, Kind, Status};

    fn record(check: &str, kind: Kind) -> CheckRecord {
        CheckRecord {
            file: "f.toml".into(),
            check: check.into(),
            rule: "r".into(),
            rule_summary: String::new(),
            kind,
            status: Status::Holds,
            expected: None,
            outcome: Outcome::Pass,
            message: String::new(),
            line: 1,
            column: 1,
            stats: None,
            counterexample: None,
        }
    }

    #[test]
    fn a_long_check_id_widens_its_column_and_every_status_stays_in_line() {
        let long = format!("{}/saga.no-phantom-compensation", "w".repeat(45));
        let report = GateReport {
            files: vec!["f.toml".into()],
            records: vec![
                record("validate", Kind::Validate),
                record(&long, Kind::Verify),
                record("short/2pc.atomicity", Kind::Verify),
            ],
        };
        let mut out = Vec::new();
        write(&mut out, &report, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  pass")).collect();
        assert_eq!(rows.len(), 3, "{text}");
        let columns: Vec<usize> = rows.iter().map(|r| r.find("holds").unwrap()).collect();
        assert!(columns.iter().all(|&c| c == columns[0]), "{text}");
        // One space between the widest id and its status: sized to the contents.
        assert!(rows[1].contains(&format!("{long} holds")), "{text}");
    }
}
