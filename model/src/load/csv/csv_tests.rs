//! Tests of the CSV readers: records located on their own lines, numeric columns found by name
//! and unit, errors reported once and in the CSV, and the calls file's header.

use super::*;

fn csv(text: &str) -> Csv {
    Csv {
        path: PathBuf::from("t.csv"),
        text: Arc::from(text),
        lines: Arc::new(LineIndex::new(text)),
    }
}

#[test]
fn records_after_comments_and_blank_lines_point_at_their_own_line() {
    let data = csv("# measured on 2026-11-01\n\ncaller,callee\n# more\na,b,3\n\"c,d\",e\n");
    let records = data.records();
    let lines: Vec<usize> = records.iter().map(|r| r.0).collect();
    assert_eq!(lines, [3, 5, 6]);
    let (_, fields) = &records[1];
    assert_eq!(&data.text[fields[2].1.clone()], "3");
    let (_, quoted) = &records[2];
    assert_eq!(quoted[0].0, "c,d");
    assert_eq!(&data.text[quoted[1].1.clone()], "e");
}

/// A scenario whose endpoint `b.y` resamples `lat.csv` and whose experiment's load steps
/// through `steps.csv`, loaded with those two files written as given.
fn load_with(latency: &str, steps: &str) -> Result<crate::LoadedScenario, Vec<Diagnostic>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lat.csv"), latency).unwrap();
    std::fs::write(dir.path().join("steps.csv"), steps).unwrap();
    let text = r#"name = "t"
[services.a.endpoints.x]
public = true
calls = ["b.y"]
[services.b.endpoints.y]
work = { dist = "empirical", csv = "lat.csv" }
[experiments.e]
duration_s = 100
load = [{ endpoint = "a.x", arrival = "step", steps_csv = "steps.csv" }]
"#;
    crate::load_str(
        text,
        &dir.path().join("t.toml"),
        crate::Format::Toml,
        dir.path(),
    )
    .map_err(|e| e.diagnostics)
}

const STEPS: &str = "at_s,rate_per_s\n0,10\n";
const SAMPLES: &str = "latency_ms\n5\n";

/// What a CSV must give: the values read, or the one diagnostic (message part, and
/// `file:line:col` from the file's name on).
enum Expect {
    Samples(&'static [f64]),
    Steps(&'static [(f64, f64)]),
    Error(&'static str, &'static str),
}

#[test]
fn numeric_csv_columns_are_found_by_name_and_unit() {
    use Expect::*;
    let cases: &[(&str, &str, &str, Expect)] = &[
        (
            "one unnamed column is milliseconds",
            "12\n15\n",
            STEPS,
            Samples(&[12.0, 15.0]),
        ),
        (
            "a header naming the unit",
            "ts,latency_ms\n1701234567,12\n1701234568,15\n",
            STEPS,
            Samples(&[12.0, 15.0]),
        ),
        (
            "seconds become milliseconds",
            "latency_s\n0.012\n",
            STEPS,
            Samples(&[12.0]),
        ),
        (
            "microseconds become milliseconds",
            "ts,elapsed_us\n1,1500\n",
            STEPS,
            Samples(&[1.5]),
        ),
        (
            "the unit alone names the column",
            "endpoint,ms\na.x,7\n",
            STEPS,
            Samples(&[7.0]),
        ),
        (
            "a header after a comment",
            "# measured\nlatency_ms\n3\n",
            STEPS,
            Samples(&[3.0]),
        ),
        (
            "a duration column with no unit",
            "ts,duration\n1701234567,12\n",
            STEPS,
            Error("the column `duration` gives no unit", "lat.csv:1:4"),
        ),
        (
            "two unnamed columns",
            "1701234567,12\n",
            STEPS,
            Error(
                "a samples file with 2 columns needs a header naming its duration column",
                "lat.csv:1:1",
            ),
        ),
        (
            "no duration column",
            "ts,endpoint\n1,a\n",
            STEPS,
            Error("no duration column among `ts`, `endpoint`", "lat.csv:1:1"),
        ),
        (
            "two duration columns",
            "latency_ms,duration_ms\n1,2\n",
            STEPS,
            Error("more than one duration column", "lat.csv:1:12"),
        ),
        (
            "a short row",
            "ts,latency_ms\n5\n",
            STEPS,
            Error(
                "this row has 1 column, so no column 2 (duration)",
                "lat.csv:2:2",
            ),
        ),
        (
            "a header and no rows",
            "latency_ms\n",
            STEPS,
            Error("holds no samples", "t.toml:6:36"),
        ),
        (
            "steps by position",
            SAMPLES,
            "0,10\n50,20\n",
            Steps(&[(0.0, 10.0), (50.0, 20.0)]),
        ),
        (
            "steps by name, in any order",
            SAMPLES,
            "rate_per_s,at_s\n10,0\n",
            Steps(&[(0.0, 10.0)]),
        ),
        (
            "steps in other units",
            SAMPLES,
            "t_ms,rpm\n0,600\n30000,1200\n",
            Steps(&[(0.0, 10.0), (30.0, 20.0)]),
        ),
        (
            "a timestamp for the step time",
            SAMPLES,
            "ts,rate_per_s\n1701234567,10\n",
            Error("no time column among `ts`, `rate_per_s`", "steps.csv:1:1"),
        ),
        (
            "a rate with no unit",
            SAMPLES,
            "at_s,rate\n0,10\n",
            Error("the column `rate` gives no unit", "steps.csv:1:6"),
        ),
        (
            "a steps header and no rows",
            SAMPLES,
            "at_s,rate_per_s\n",
            Error("holds no rate steps", "t.toml:9:59"),
        ),
        // Validation's findings on values read from a file point at the file's row.
        (
            "a step after the experiment's end",
            SAMPLES,
            "at_s,rate_per_s\n0,10\n150,20\n",
            Error(
                "the step at 150 s is outside the 100 s experiment",
                "steps.csv:3:1",
            ),
        ),
        (
            "a rate past the maximum",
            SAMPLES,
            "at_s,rate_per_s\n0,10\n50,1e300\n",
            Error("`rate_per_s` is 1e300, above its maximum", "steps.csv:3:4"),
        ),
        (
            "epoch milliseconds read as samples",
            "latency_ms\n5\n1701234567000000\n",
            STEPS,
            Error(
                "a sample is 1.701234567e15, above its maximum",
                "lat.csv:3:1",
            ),
        ),
    ];
    let mut failed = Vec::new();
    for (name, latency, steps, expect) in cases {
        let result = load_with(latency, steps);
        let outcome = match (expect, &result) {
            (Samples(want), Ok(loaded)) => {
                match &loaded.scenario.services["b"].endpoints["y"].work {
                    Distribution::Empirical { samples_ms, .. } if samples_ms == want => Ok(()),
                    other => Err(format!("read {other:?}")),
                }
            }
            (Steps(want), Ok(loaded)) => {
                let got: Vec<(f64, f64)> = loaded.scenario.experiments["e"].load[0]
                    .steps
                    .iter()
                    .map(|s| (s.at_s, s.rate_per_s))
                    .collect();
                if got == *want {
                    Ok(())
                } else {
                    Err(format!("read {got:?}"))
                }
            }
            (Error(message, at), Err(diagnostics)) => match diagnostics.as_slice() {
                [d] if d.message.contains(message)
                    && d.position().is_some_and(|p| p.ends_with(&format!("/{at}"))) =>
                {
                    Ok(())
                }
                _ => Err(format!("gave {diagnostics:#?}")),
            },
            (_, Ok(_)) => Err("loaded".to_owned()),
            (_, Err(diagnostics)) => Err(format!("gave {diagnostics:#?}")),
        };
        if let Err(why) = outcome {
            failed.push(format!("{name}: {why}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn a_steps_file_that_cannot_be_read_is_reported_once_not_echoed_as_missing_steps() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"name = "t"
[services.a.endpoints.x]
public = true
[experiments.e]
duration_s = 100
load = [{ endpoint = "a.x", arrival = "step", steps_csv = "nosuch.csv" }]
"#;
    let path = dir.path().join("t.toml");
    let diagnostics = crate::load_str(text, &path, crate::Format::Toml, dir.path())
        .map(|_| ())
        .unwrap_err()
        .diagnostics;
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [codes::IO], "{diagnostics:#?}");
}

#[test]
fn a_calls_header_is_read_by_name_and_may_follow_a_comment() {
    let calls = |text: &str| {
        let mut monolith = Monolith::default();
        let mut problems = Vec::new();
        read_calls_csv(text, &mut monolith, &mut |_, message, _| {
            problems.push(message)
        });
        assert!(problems.is_empty(), "{problems:?}");
        monolith
            .calls
            .iter()
            .map(|c| (c.from.clone(), c.to.clone(), c.weight))
            .collect::<Vec<_>>()
    };
    let ab = |w| vec![("a".to_owned(), "b".to_owned(), w)];
    assert_eq!(calls("to,from,count\nb,a,3\n"), ab(3.0));
    assert_eq!(calls("count,callee,caller\n2,b,a\n"), ab(2.0));
    assert_eq!(calls("# exported\ncaller,callee\na,b\n"), ab(1.0));
    assert_eq!(calls("a,b,5\n"), ab(5.0));
    let mut monolith = Monolith::default();
    let mut problems = Vec::new();
    read_accesses_csv(
        "# exported\nfunction,entity,mode\nf,orders,read\n",
        &mut monolith,
        &mut |_, message, _| problems.push(message),
    );
    assert!(
        problems.is_empty() && monolith.data.len() == 1,
        "{problems:?}"
    );
}

proptest::proptest! {
    #[test]
    fn any_csv_text_gives_records_inside_the_file(text in "[a-z0-9,#\" \n.-]{0,200}") {
        let data = csv(&text);
        for (line, fields) in data.records() {
            proptest::prop_assert!(line >= 1);
            for (_, span) in fields {
                proptest::prop_assert!(span.start <= span.end && span.end <= text.len());
                proptest::prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }
}
