//! Reading a monolith straight from CSV files, for `microcosm propose --calls calls.csv
//! [--data access.csv]`: `calls.csv` rows are `caller,callee[,weight]` and `access.csv` rows
//! `function,entity,read|write|read-write`, header optional, `#` comments and blank lines
//! skipped. The rows are read by the same readers as a scenario's `calls_csv` and `data_csv`
//! (`load::read_calls_csv`, which says when a first line is a header); every bad row is
//! reported at its file, line and column.
use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location, codes};
use crate::load::{CsvProblem, read_accesses_csv, read_calls_csv};
use crate::scenario::Monolith;

/// One of the two CSV readers.
type Reader = fn(&str, &mut Monolith, &mut CsvProblem<'_>);

/// Builds a monolith from the text of a calls CSV and, optionally, a data-access CSV. Paths
/// only name the files in diagnostics.
pub fn monolith_from_csv(
    calls: (&Path, &str),
    data: Option<(&Path, &str)>,
) -> Result<Monolith, Vec<Diagnostic>> {
    let mut monolith = Monolith::default();
    let mut problems = Vec::new();
    for (path, text, read) in [
        Some((calls.0, calls.1, read_calls_csv as Reader)),
        data.map(|(p, t)| (p, t, read_accesses_csv as Reader)),
    ]
    .into_iter()
    .flatten()
    {
        let shared: Arc<str> = Arc::from(text);
        read(text, &mut monolith, &mut |span, message, help| {
            problems.push(
                Diagnostic::error(codes::CSV, message)
                    .with_help(help)
                    .at(Location::new(path, shared.clone(), span)),
            );
        });
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
