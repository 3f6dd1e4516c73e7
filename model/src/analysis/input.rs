//! Reading a monolith straight from CSV files, for `microcosm propose --calls calls.csv
//! [--data access.csv]`: `calls.csv` rows are `caller,callee[,weight]` and `access.csv` rows
//! `function,entity,read|write|read-write`, header optional, `#` comments and blank lines
//! skipped. A first line is a header when its first cell is `caller`, `from`, `source`,
//! `src`, `class`, `method`, `function` or `client`, or when its weight is a word (for
//! accesses: its mode is none and names the column); a first row with a bad weight or mode is
//! data, and reported. A two-column header with other names is read as a call. The same formats as a scenario's `calls_csv` and `data_csv`; every bad row is
//! reported at its file, line and column.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location, codes};
use crate::load::{access_header, access_mode, calls_header, csv_records as records};
use crate::scenario::{DataAccess, Monolith, MonolithCall};

/// Builds a monolith from the text of a calls CSV and, optionally, a data-access CSV. Paths
/// only name the files in diagnostics.
pub fn monolith_from_csv(
    calls: (&Path, &str),
    data: Option<(&Path, &str)>,
) -> Result<Monolith, Vec<Diagnostic>> {
    let mut monolith = Monolith::default();
    let mut problems = Vec::new();
    let (path, text) = calls;
    let shared: Arc<str> = Arc::from(text);
    let at = |span: Range<usize>| Location::new(path, shared.clone(), span);
    for (line, fields) in records(text) {
        if line == 1 && calls_header(&fields) {
            continue;
        }
        if fields.len() < 2 || fields.len() > 3 {
            problems.push(
                Diagnostic::error(
                    codes::CSV,
                    format!("a call has 2 or 3 columns, not {}", fields.len()),
                )
                .with_help("write `caller,callee[,weight]`")
                .at(at(fields[0].1.clone())),
            );
            continue;
        }
        let weight = match fields.get(2) {
            None => 1.0,
            Some((w, span)) => match w.parse::<f64>() {
                Ok(w) if w > 0.0 && w.is_finite() => w,
                _ => {
                    problems.push(
                        Diagnostic::error(codes::CSV, format!("`{w}` is not a weight"))
                            .with_help("weights are positive numbers")
                            .at(at(span.clone())),
                    );
                    continue;
                }
            },
        };
        let (from, to) = (fields[0].0.clone(), fields[1].0.clone());
        if from.is_empty() || to.is_empty() {
            problems.push(
                Diagnostic::error(codes::CSV, "a call names no function".to_owned())
                    .with_help("write `caller,callee[,weight]`")
                    .at(at(fields[0].1.clone())),
            );
            continue;
        }
        monolith.functions.entry(from.clone()).or_default();
        monolith.functions.entry(to.clone()).or_default();
        monolith.calls.push(MonolithCall { from, to, weight });
    }
    if let Some((path, text)) = data {
        let shared: Arc<str> = Arc::from(text);
        let at = |span: Range<usize>| Location::new(path, shared.clone(), span);
        for (line, fields) in records(text) {
            let mode = fields.get(2).map(|f| access_mode(&f.0));
            match (fields.len(), mode) {
                (3, Some(Some(access))) if !fields[0].0.is_empty() && !fields[1].0.is_empty() => {
                    let function = fields[0].0.clone();
                    monolith.functions.entry(function.clone()).or_default();
                    monolith.data.push(DataAccess {
                        function,
                        entity: fields[1].0.clone(),
                        access,
                    });
                }
                _ if line == 1 && access_header(&fields) => {}
                (3, _) => problems.push(
                    Diagnostic::error(
                        codes::CSV,
                        format!("`{}` is not an access mode", fields[2].0),
                    )
                    .with_help("write `read`, `write` or `read-write`")
                    .at(at(fields[2].1.clone())),
                ),
                (n, _) => problems.push(
                    Diagnostic::error(codes::CSV, format!("a data access has 3 columns, not {n}"))
                        .with_help("write `function,entity,read|write`")
                        .at(at(fields[0].1.clone())),
                ),
            }
        }
    }
    if problems.is_empty() {
        Ok(monolith)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Access;

    #[test]
    fn reads_calls_and_accesses_with_optional_headers() {
        let calls = "caller,callee,weight\n# a comment\na,b,3\nb,c\n\n";
        let data = "function,entity,access\na,order,write\nc,order,r\n";
        let m = monolith_from_csv(
            (Path::new("calls.csv"), calls),
            Some((Path::new("data.csv"), data)),
        )
        .unwrap();
        assert_eq!(m.functions.len(), 3);
        assert_eq!(m.calls.len(), 2);
        assert_eq!(m.calls[0].weight, 3.0);
        assert_eq!(m.calls[1].weight, 1.0);
        assert_eq!(m.data.len(), 2);
        assert_eq!(m.data[1].access, Access::Read);
    }

    #[test]
    fn comments_between_rows_do_not_shift_locations() {
        // csv's record positions start before skipped comment lines; the bad weight must still
        // be found on line 4, column 5.
        let calls = "# calls\na,b,1\n# section\nb,c,x\n";
        let errors = monolith_from_csv((Path::new("calls.csv"), calls), None).unwrap_err();
        let at = errors[0].location.as_ref().unwrap();
        assert_eq!((at.line, at.column), (4, 5));
    }

    #[test]
    fn bad_rows_are_located() {
        let calls = "a,b\nb,c,heavy\nx\n";
        let errors = monolith_from_csv((Path::new("calls.csv"), calls), None).unwrap_err();
        assert_eq!(errors.len(), 2);
        let first = errors[0].location.as_ref().unwrap();
        assert_eq!((first.line, first.column), (2, 5));
        assert_eq!(errors[1].location.as_ref().unwrap().line, 3);
        // Line 1 is data unless it names its columns: a misspelt mode or a bad weight there
        // is reported, not skipped as a header.
        let data = "a,order,sometimes\n";
        let errors = monolith_from_csv(
            (Path::new("calls.csv"), "a,b\n"),
            Some((Path::new("access.csv"), data)),
        )
        .unwrap_err();
        assert_eq!(errors[0].location.as_ref().unwrap().line, 1);
        for first in ["a,b,-1\n", "a,b,0\n", "a,b,nan\n"] {
            let errors = monolith_from_csv((Path::new("calls.csv"), first), None).unwrap_err();
            assert_eq!(errors[0].location.as_ref().unwrap().line, 1, "{first}");
        }
        for header in ["caller,callee\na,b\n", "method,called,count\na,b,2\n"] {
            let m = monolith_from_csv((Path::new("calls.csv"), header), None).unwrap();
            assert_eq!(m.calls.len(), 1, "{header}");
        }
        let m = monolith_from_csv(
            (Path::new("calls.csv"), "a,b\n"),
            Some((Path::new("access.csv"), "fn,entity,access\na,order,read\n")),
        )
        .unwrap();
        assert_eq!(m.data.len(), 1);
        let data = "function,entity,mode\na,order,sometimes\n";
        let errors = monolith_from_csv(
            (Path::new("calls.csv"), "a,b\n"),
            Some((Path::new("access.csv"), data)),
        )
        .unwrap_err();
        assert_eq!(errors[0].location.as_ref().unwrap().line, 2);
    }
}
