//! Spring Boot `application.properties` read into the same positioned tree YAML gives, so the
//! Resilience4j reader walks one shape for both formats: one document whose mapping holds each
//! `key=value` line as a dotted key (the reader splits dots either way), every key and value
//! located at its line and column. Indexed keys (`recordExceptions[0]=...`,
//! `recordExceptions[1]=...`) become one sequence, in index order, as Spring binds them.
//!
//! Accepted: `#` and `!` comment lines, blank lines, `=` or `:` or whitespace between key and
//! value (with whitespace around it), a later line overriding an earlier one with the same key
//! (as `java.util.Properties` does). A line ending in `\` (a continuation) and a malformed index
//! are located `syntax` errors rather than a guess at what was meant.

use std::path::Path;
use std::sync::Arc;

use microcosm_model::diagnostic::{Diagnostic, Location, codes};

use crate::yaml::{Node, Value, YamlFile};

/// Parses `text` into a [`YamlFile`] of one document: a mapping from each key to its value.
pub fn parse(file: &Path, text: &str) -> Result<YamlFile, Diagnostic> {
    let text_arc: Arc<str> = Arc::from(text);
    let error = |span: std::ops::Range<usize>, message: String, help: &str| {
        Diagnostic::error(codes::SYNTAX, message)
            .with_help(help.to_string())
            .at(Location::new(file, text_arc.clone(), span))
    };
    let mut entries: Vec<(Node, Node)> = Vec::new();
    // Indexed items by base key: (index, value node), gathered into one sequence at the end.
    let mut lists: Vec<(Node, Vec<(usize, Node)>)> = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body.starts_with('!') {
            continue;
        }
        let key_start = start + (line.len() - body.len());
        if body.ends_with('\\') {
            return Err(error(
                key_start..start + line.len(),
                "a line continuation (`\\` at the end of a line) is not supported here".into(),
                "write the whole value on one line",
            ));
        }
        let key_len = body.find(['=', ':', ' ', '\t']).unwrap_or(body.len());
        let key = &body[..key_len];
        let rest = body[key_len..].trim_start();
        let rest = rest
            .strip_prefix(['=', ':'])
            .map_or(rest, str::trim_start)
            .trim_end();
        let value_start = start + line.trim_end().len() - rest.len();
        let node = |at: usize, len: usize, value: Value| Node {
            line: n + 1,
            column: text[start..at].chars().count() + 1,
            span: at..at + len,
            value,
        };
        let value = node(value_start, rest.len(), Value::Scalar(rest.to_string()));
        match key.strip_suffix(']').and_then(|k| k.rsplit_once('[')) {
            Some((base, index)) => {
                let Ok(index) = index.parse::<usize>() else {
                    return Err(error(
                        key_start..key_start + key.len(),
                        format!("`{key}` has an index that is not a whole number"),
                        "write the list items as `key[0]=...`, `key[1]=...`",
                    ));
                };
                let base_node = node(key_start, base.len(), Value::Scalar(base.to_string()));
                match lists.iter_mut().find(|(k, _)| k.as_str() == Some(base)) {
                    Some((_, items)) => {
                        items.retain(|(i, _)| *i != index);
                        items.push((index, value));
                    }
                    None => lists.push((base_node, vec![(index, value)])),
                }
            }
            None => {
                let key_node = node(key_start, key.len(), Value::Scalar(key.to_string()));
                entries.retain(|(k, _)| k.as_str() != Some(key));
                entries.push((key_node, value));
            }
        }
    }
    for (key, mut items) in lists {
        items.sort_by_key(|(i, _)| *i);
        let first = &items[0].1;
        let sequence = Node {
            line: first.line,
            column: first.column,
            span: first.span.clone(),
            value: Value::Sequence(items.iter().map(|(_, v)| v.clone()).collect()),
        };
        entries.retain(|(k, _)| k.as_str() != key.as_str());
        entries.push((key, sequence));
    }
    // File order, so skipped keys and instances are listed as written.
    entries.sort_by_key(|(k, _)| k.span.start);
    let document = Node {
        line: 1,
        column: 1,
        span: 0..text.len(),
        value: Value::Mapping(entries),
    };
    Ok(YamlFile {
        file: file.to_path_buf(),
        text: text_arc,
        documents: vec![document],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience4j::{Origin, Section, Setting, read_properties};

    #[test]
    fn keys_values_and_lists_are_located() {
        let text = "# demo\nresilience4j.circuitbreaker.configs.default.failureRateThreshold = 40\n\
                    resilience4j.circuitbreaker.instances.a.baseConfig=default\n\
                    resilience4j.circuitbreaker.instances.a.recordExceptions[1]=java.io.IOException\n\
                    resilience4j.circuitbreaker.instances.a.recordExceptions[0]: x.Timeout\n\
                    resilience4j.circuitbreaker.instances.a.waitDurationInOpenState PT2S\n\
                    resilience4j.circuitbreaker.instances.a.registerHealthIndicator=true\n";
        let r = read_properties(Path::new("application.properties"), text).unwrap();
        let a = r.instance(Section::CircuitBreaker, "a").unwrap();
        assert_eq!((a.at.line, a.at.column), (3, 1));
        let rate = a.get("failureRateThreshold").unwrap();
        assert_eq!(rate.value, Setting::Fraction(0.4));
        assert!(
            matches!(&rate.origin, Origin::Config { name, at } if name == "default" && (at.line, at.column) == (2, 68))
        );
        assert_eq!(
            a.get("recordExceptions").unwrap().value,
            Setting::List(vec!["x.Timeout".into(), "java.io.IOException".into()])
        );
        assert_eq!(
            a.get("waitDurationInOpenState").unwrap().value,
            Setting::Millis(2_000.0)
        );
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].at.line, 7);
    }

    #[test]
    fn a_later_line_overrides_and_bad_values_are_located() {
        let text = "resilience4j.retry.instances.a.maxAttempts=2\nresilience4j.retry.instances.a.maxAttempts=-1\n";
        let e = read_properties(Path::new("p.properties"), text).unwrap_err();
        assert_eq!(e.code, codes::OUT_OF_RANGE);
        assert_eq!(e.position().as_deref(), Some("p.properties:2:44"));

        let e = read_properties(Path::new("p.properties"), "a.b=1 \\\n  2\n").unwrap_err();
        assert_eq!(
            (e.code, e.position().as_deref()),
            (codes::SYNTAX, Some("p.properties:1:1"))
        );
        let e = read_properties(Path::new("p.properties"), "  x.y[z]=1\n").unwrap_err();
        assert_eq!(
            (e.code, e.position().as_deref()),
            (codes::SYNTAX, Some("p.properties:1:3"))
        );
    }
}
