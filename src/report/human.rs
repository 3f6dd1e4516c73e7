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
                "  {} {:<8} {:<44} {}{}",
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
