//! Tests of diagnostics: the rendered header and snippet (long lines, CRLF, spans inside a
//! character), reading near a span, and the number, count and suggestion helpers.

use super::*;

#[test]
fn computed_numbers_are_shown_without_float_noise() {
    let cases = [
        (0.999 + 1e-16, "0.999"),
        (0.29 * 100.0, "29"),
        (34.0 / 100.0, "0.34"),
        (1.0 - 0.9, "0.1"),
        (9.999992486, "9.999992486"),
        (1e300, "1e300"),
        (0.0, "0"),
        (-2.5, "-2.5"),
        (f64::INFINITY, "inf"),
    ];
    for (x, shown) in cases {
        assert_eq!(number(x), shown, "{x:?}");
    }
}

#[test]
fn measured_numbers_keep_their_significant_digits() {
    assert_eq!(significant(9.999992486, 3), "10");
    assert_eq!(significant(0.012345, 3), "0.0123");
    assert_eq!(significant(12345.0, 3), "12300");
    assert_eq!(significant(2.5, 3), "2.5");
}

#[test]
fn one_of_a_thing_is_singular() {
    assert_eq!(count(1.0, "attempt"), "1 attempt");
    assert_eq!(count(3.0, "attempt"), "3 attempts");
    assert_eq!(count(1.5, "attempt"), "1.5 attempts");
    assert_eq!(count(0.0, "replica"), "0 replicas");
}

#[test]
fn reading_near_the_span_gives_what_reading_the_whole_file_gives() {
    use miette::SourceCode;
    let texts = [
        "a = 1\nb = 2\nc = 3\nd = 4\n",
        "a\r\nbb\r\n\r\nccc\rd\ne",
        "\u{feff}x = 1\ny = \"é\"\n",
        "one line only",
    ];
    for text in texts {
        let shared: Arc<str> = Arc::from(text);
        // Spans start at tokens: on char boundaries, never inside a `\r\n`.
        let starts = (0..=text.len()).filter(|&i| {
            text.is_char_boundary(i) && !(text[..i].ends_with('\r') && text[i..].starts_with('\n'))
        });
        for start in starts {
            for len in [0, 1, 3] {
                let end = (start + len).min(text.len());
                let (line, _) = crate::source::line_column(text, start);
                let nearby = Nearby {
                    text: shared.clone(),
                    anchor: start,
                    anchor_line: line,
                };
                let span = miette::SourceSpan::new(start.into(), end - start);
                for (before, after) in [(0, 0), (1, 1), (2, 0), (0, 2)] {
                    let whole = text.read_span(&span, before, after).unwrap();
                    let near = nearby.read_span(&span, before, after).unwrap();
                    let what = format!("{text:?} at {start}..{end}, context {before}/{after}");
                    assert_eq!(near.data(), whole.data(), "{what}");
                    assert_eq!(near.span(), whole.span(), "{what}");
                    assert_eq!(near.line(), whole.line(), "{what}");
                    assert_eq!(near.column(), whole.column(), "{what}");
                    assert_eq!(near.line_count(), whole.line_count(), "{what}");
                }
            }
        }
    }
}

#[test]
fn suggests_close_names_only() {
    let names = ["payments", "orders", "inventory"];
    assert_eq!(did_you_mean("paymnets", names), Some("payments"));
    assert_eq!(did_you_mean("order", names), Some("orders"));
    assert_eq!(did_you_mean("zebra", names), None);
}

#[test]
fn renders_file_line_and_column_with_the_snippet() {
    let text: Arc<str> = Arc::from("name = \"x\"\nfoo = 1\n");
    let d = Diagnostic::error(codes::UNKNOWN_FIELD, "unknown field `foo`")
        .with_help("did you mean `name`?")
        .at(Location::new("a.toml", text, 11..14));
    let rendered = d.render(false);
    assert!(rendered.contains("[a.toml:2:1]"), "{rendered}");
    assert!(rendered.contains("foo = 1"), "{rendered}");
    assert!(rendered.contains("did you mean `name`?"), "{rendered}");
    assert_eq!(
        d.to_string(),
        "a.toml:2:1: error[unknown-field]: unknown field `foo` (did you mean `name`?)"
    );
}

#[test]
fn a_very_long_line_is_shown_as_an_excerpt() {
    // One line of 100,000 characters with the problem near its end: miette cannot draw
    // columns that far, and the whole line would drown the message.
    let mut line = format!("{{\"name\": \"{}\", ", "x".repeat(100_000));
    let start = line.len();
    line.push_str("\"bogus\": 1}");
    let text: Arc<str> = Arc::from(line);
    let d = Diagnostic::error(codes::UNKNOWN_FIELD, "unknown field `bogus`").at(Location::new(
        "min.json",
        text,
        start..start + 7,
    ));
    let rendered = d.render(false);
    assert!(
        rendered.starts_with("min.json:1:100014: error[unknown-field]"),
        "{rendered}"
    );
    let lines: Vec<&str> = rendered.lines().collect();
    assert!(lines[1].contains("\"bogus\": 1}"), "{rendered}");
    assert!(lines[1].chars().count() < 200, "{rendered}");
    // The caret stands under the span's first character.
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[1].chars().nth(caret), Some('"'), "{rendered}");
}

#[test]
fn a_65535_character_line_ending_in_crlf_renders_without_a_panic() {
    // Issue 13: `"` then 65,534 `*` then CRLF; the TOML parser points at the `\n`. The
    // `\r` before it once passed for a line break, so the line looked empty and went to
    // miette, which cannot draw a column past 65,535.
    let text: Arc<str> = Arc::from(format!("\"{}\r\n", "*".repeat(65_534)));
    let d = Diagnostic::error(codes::SYNTAX, "key with no value, expected `=`").at(Location::new(
        "long.toml",
        text,
        65_536..65_536,
    ));
    let rendered = d.render(false);
    assert!(
        rendered.starts_with("long.toml:1:65537: error[syntax]"),
        "{rendered}"
    );
    assert!(
        rendered.lines().all(|l| l.chars().count() < 200),
        "{rendered}"
    );
}

#[test]
fn a_long_neighbouring_line_is_not_drawn_in_full() {
    let text: Arc<str> = Arc::from(format!("a = 1\nb = \"{}\"\n", "x".repeat(70_000)));
    let d = Diagnostic::error(codes::SYNTAX, "bad").at(Location::new("n.toml", text, 0..1));
    let rendered = d.render(false);
    assert!(
        rendered.lines().all(|l| l.chars().count() < 200),
        "{rendered}"
    );
}

#[test]
fn a_span_inside_a_character_is_widened_to_its_boundaries() {
    let text: Arc<str> = Arc::from("a = \"é\"\n");
    let l = Location::new("a.toml", text, 6..6);
    assert_eq!(l.span, 5..5);
    let l = Location::new("a.toml", l.text.clone(), 5..6);
    assert_eq!(l.span, 5..7);
}

mod rendering {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of hostile text: long runs, every kind of line break, tabs, wide and
    /// combining characters, a byte-order mark, control characters.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            (1usize..70_000).prop_map(|n| "*".repeat(n)),
            (1usize..20_000).prop_map(|n| "\t".repeat(n)),
            (1usize..20_000).prop_map(|n| "字".repeat(n)),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just("\n".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("e\u{301}".to_owned()),
            Just("\u{1b}[31m".to_owned()),
            Just("\0".to_owned()),
            "[ -~]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn cached_positions_are_line_column(
            text in "(\u{feff})?([a-z\u{e9}字]{0,5}(\r\n|\r|\n)?){0,20}",
            at in 0usize..120,
        ) {
            let text: Arc<str> = Arc::from(text);
            prop_assert_eq!(
                line_column_cached(&text, at),
                crate::source::line_column(&text, at)
            );
            // A second text at once: the cache must not answer for the first.
            let other: Arc<str> = Arc::from(format!("x\n{text}"));
            prop_assert_eq!(
                line_column_cached(&other, at),
                crate::source::line_column(&other, at)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn rendering_never_panics(
            pieces in proptest::collection::vec(piece(), 1..6),
            start in 0.0f64..=1.0,
            len in 0usize..200,
            color in any::<bool>(),
        ) {
            let text: String = pieces.concat();
            let at = (text.len() as f64 * start) as usize;
            let text: Arc<str> = Arc::from(text);
            let d = Diagnostic::error(codes::SYNTAX, "bad")
                .with_help("fix it")
                .at(Location::new("p.toml", text, at..at + len).with_label("here"));
            let rendered = d.render(color);
            prop_assert!(rendered.contains("error[syntax]") || rendered.contains("syntax"));
        }
    }
}

#[test]
fn the_rendered_header_counts_characters_as_the_location_does() {
    let text: Arc<str> = Arc::from("calls = [\"é\", \"paymnets.charge\"]\n");
    let start = text.find("\"paymnets").unwrap();
    let d = Diagnostic::error(codes::UNRESOLVED, "no service `paymnets`").at(Location::new(
        "a.toml",
        text,
        start..start + 17,
    ));
    assert_eq!(d.position().as_deref(), Some("a.toml:1:15"));
    let rendered = d.render(false);
    assert!(rendered.contains("[a.toml:1:15]"), "{rendered}");
    assert!(!rendered.contains(":1:16"), "{rendered}");
}
