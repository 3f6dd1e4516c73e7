//! Where things are in a scenario file. A [`Pointer`] names a place in the document
//! (`services.orders.endpoints.create.calls[1]`); a [`SourceMap`], built from the file's text,
//! turns it into a byte span for diagnostics, SARIF results and the TUI.
//!
//! Locations live beside the typed scenario rather than inside it (as `toml::Spanned` fields
//! would): the same types then load from TOML and JSON alike, compare equal after a round trip,
//! and give a clean JSON Schema.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// A scenario file's format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// TOML, what people write.
    Toml,
    /// JSON, what programs write.
    Json,
}

/// One step of a [`Pointer`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A place in a scenario document, as a path of keys and indices from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Pointer(Vec<Segment>);

impl Pointer {
    /// The document's root.
    pub fn root() -> Pointer {
        Pointer(Vec::new())
    }

    /// This pointer extended by a table key.
    pub fn key(&self, key: impl Into<String>) -> Pointer {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.into()));
        Pointer(segments)
    }

    /// This pointer extended by an array index.
    pub fn index(&self, index: usize) -> Pointer {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Pointer(segments)
    }

    /// The segments from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "\"{}\"", k.replace('"', "\\\""))?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Whether a location should point at a table key or at its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The key (for "no such service" on a map key, a duplicate name).
    Key,
    /// The value (for a bad number or reference).
    Value,
}

/// A value in the document, with its span: what the structural check walks.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Range<usize>,
    pub(crate) kind: NodeKind,
}

/// What a [`Node`] holds. Scalars keep what the structural check needs: their type, and a
/// string's value (to compare with an enumeration's names).
#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    /// Entries in file order (JSON) or key order (TOML): key, key span, value.
    Table(Entries),
    Array(Vec<Node>),
    String(String),
    /// Its value, when it fits an `i128` (any integer serde can read does).
    Integer(Option<i128>),
    /// Its value, for messages that suggest a replacement (a renamed key's new value).
    Float(Option<f64>),
    Boolean,
    Datetime,
    Null,
}

/// One table entry: key, key span, value.
pub(crate) type Entry = (String, Range<usize>, Node);

/// A table's entries in order, with an index by key. Every diagnostic looks its path up here,
/// so a linear search would make a file with thousands of services and as many problems
/// quadratic to report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entries {
    list: Vec<Entry>,
    /// The position of each key's first entry.
    index: HashMap<String, usize>,
}

impl Entries {
    /// Adds an entry unless its key is there already: the first one stays (a repeat is reported
    /// as a duplicate key).
    fn push(&mut self, entry: Entry) {
        if !self.index.contains_key(&entry.0) {
            self.index.insert(entry.0.clone(), self.list.len());
            self.list.push(entry);
        }
    }

    /// The entry of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.list[i])
    }
}

impl std::ops::Deref for Entries {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        &self.list
    }
}

/// The spans of a document's keys and values.
#[derive(Debug, Clone)]
pub struct SourceMap {
    root: Node,
}

/// A key that a table (a JSON object) repeats.
#[derive(Debug, Clone)]
pub struct DuplicateKey {
    /// Where the object holding it is.
    pub pointer: Pointer,
    /// The key.
    pub key: String,
    /// The repeated occurrence.
    pub span: Range<usize>,
    /// The first occurrence.
    pub first: Range<usize>,
}

impl SourceMap {
    /// Builds the map of a TOML document; `None` when it does not parse (the deserializer
    /// reports why).
    pub fn from_toml(text: &str) -> Option<SourceMap> {
        let table = toml::de::DeTable::parse(text).ok()?;
        Some(SourceMap::from_toml_table(&table))
    }

    /// The map of a parsed TOML document (possibly one recovered from errors).
    pub(crate) fn from_toml_table(table: &toml::Spanned<toml::de::DeTable<'_>>) -> SourceMap {
        SourceMap {
            root: Node {
                span: table.span(),
                kind: toml_table(table.get_ref()),
            },
        }
    }

    /// The document's root value.
    pub(crate) fn root(&self) -> &Node {
        &self.root
    }

    /// Where a table holding the key `name` is, searching depth first.
    pub(crate) fn find_key(&self, name: &str) -> Option<Pointer> {
        fn search(node: &Node, at: &Pointer, name: &str) -> Option<Pointer> {
            match &node.kind {
                NodeKind::Table(entries) => {
                    if entries.get(name).is_some() {
                        return Some(at.clone());
                    }
                    entries
                        .iter()
                        .find_map(|(key, _, child)| search(child, &at.key(key.clone()), name))
                }
                NodeKind::Array(items) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, child)| search(child, &at.index(i), name)),
                _ => None,
            }
        }
        search(&self.root, &Pointer::root(), name)
    }

    /// The span of the key at `pointer`, only when the file writes it (unlike [`Self::span`],
    /// which falls back to an ancestor).
    pub(crate) fn written_key(&self, pointer: &Pointer) -> Option<Range<usize>> {
        let mut node = &self.root;
        let mut key_span = None;
        for segment in pointer.segments() {
            let (ks, next) = match (&node.kind, segment) {
                (NodeKind::Table(entries), Segment::Key(k)) => {
                    entries.get(k).map(|(_, ks, n)| (Some(ks.clone()), n))?
                }
                (NodeKind::Array(items), Segment::Index(i)) => (None, items.get(*i)?),
                _ => return None,
            };
            key_span = ks;
            node = next;
        }
        key_span
    }

    /// Builds the map of a JSON document and lists the keys its objects repeat; `None` when it
    /// does not parse.
    pub fn from_json(text: &str) -> Option<(SourceMap, Vec<DuplicateKey>)> {
        let parsed = jsonc_parser::parse_to_ast(
            text,
            &jsonc_parser::CollectOptions::default(),
            &jsonc_parser::ParseOptions::default(),
        )
        .ok()?;
        let value = parsed.value?;
        let mut duplicates = Vec::new();
        let root = json_node(&value, &Pointer::root(), &mut duplicates);
        Some((SourceMap { root }, duplicates))
    }

    /// The span of the key or value at `pointer`; where the path does not exist in the file
    /// (a default the user did not write), the span of the deepest ancestor that does.
    pub fn span(&self, pointer: &Pointer, target: Target) -> Range<usize> {
        let mut node = &self.root;
        let mut key_span = None;
        for segment in pointer.segments() {
            let next = match (&node.kind, segment) {
                (NodeKind::Table(entries), Segment::Key(k)) => {
                    entries.get(k).map(|(_, ks, n)| (Some(ks.clone()), n))
                }
                (NodeKind::Array(items), Segment::Index(i)) => items.get(*i).map(|n| (None, n)),
                _ => None,
            };
            match next {
                Some((ks, n)) => {
                    key_span = ks;
                    node = n;
                }
                None => {
                    // The path leaves the file here: point at the enclosing table's key, which
                    // is what the user wrote and must extend.
                    return key_span.unwrap_or_else(|| node.span.clone());
                }
            }
        }
        match (target, key_span) {
            (Target::Key, Some(ks)) => ks,
            (_, ks) if node.span.is_empty() => ks.unwrap_or_else(|| node.span.clone()),
            _ => node.span.clone(),
        }
    }
}

fn toml_table(table: &toml::de::DeTable<'_>) -> NodeKind {
    let mut entries = Entries::default();
    for (k, v) in table.iter() {
        // A parsed TOML table holds each key once (a repeat is a parse error, reported there).
        entries.push((k.get_ref().to_string(), k.span(), toml_node(v)));
    }
    NodeKind::Table(entries)
}

fn toml_node(value: &toml::Spanned<toml::de::DeValue<'_>>) -> Node {
    use toml::de::DeValue;
    let kind = match value.get_ref() {
        DeValue::Table(t) => toml_table(t),
        DeValue::Array(items) => NodeKind::Array(items.iter().map(toml_node).collect()),
        DeValue::String(s) => NodeKind::String(s.to_string()),
        DeValue::Integer(i) => NodeKind::Integer(i128::from_str_radix(i.as_str(), i.radix()).ok()),
        DeValue::Float(f) => NodeKind::Float(f.as_str().replace('_', "").parse().ok()),
        DeValue::Boolean(_) => NodeKind::Boolean,
        DeValue::Datetime(_) => NodeKind::Datetime,
    };
    Node {
        span: value.span(),
        kind,
    }
}

fn json_node(
    value: &jsonc_parser::ast::Value<'_>,
    at: &Pointer,
    duplicates: &mut Vec<DuplicateKey>,
) -> Node {
    use jsonc_parser::ast::Value;
    use jsonc_parser::common::Ranged;
    let range = value.range();
    let kind = match value {
        Value::Object(object) => {
            let mut entries = Entries::default();
            for prop in &object.properties {
                let name = prop.name.as_str().to_owned();
                let key_range = prop.name.range();
                let key_span = key_range.start..key_range.end;
                if let Some((_, first, _)) = entries.get(&name) {
                    duplicates.push(DuplicateKey {
                        pointer: at.clone(),
                        key: name.clone(),
                        span: key_span.clone(),
                        first: first.clone(),
                    });
                    continue;
                }
                let child = json_node(&prop.value, &at.key(name.clone()), duplicates);
                entries.push((name, key_span, child));
            }
            NodeKind::Table(entries)
        }
        Value::Array(array) => NodeKind::Array(
            array
                .elements
                .iter()
                .enumerate()
                .map(|(i, v)| json_node(v, &at.index(i), duplicates))
                .collect(),
        ),
        Value::StringLit(s) => NodeKind::String(s.value.to_string()),
        // serde_json reads a number with a fraction or an exponent as a float, whatever its
        // value, and refuses it for an integer field: classify by how it is written.
        Value::NumberLit(n) if n.value.contains(['.', 'e', 'E']) => {
            NodeKind::Float(n.value.parse().ok())
        }
        Value::NumberLit(n) => NodeKind::Integer(n.value.parse().ok()),
        Value::BooleanLit(_) => NodeKind::Boolean,
        Value::NullKeyword(_) => NodeKind::Null,
    };
    Node {
        span: range.start..range.end,
        kind,
    }
}

/// A file's text, shared by the diagnostics that quote it.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The path as given by the user (for messages).
    pub path: PathBuf,
    /// The text.
    pub text: Arc<str>,
}

impl SourceText {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        line_column(&self.text, offset)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`. A byte-order mark is
/// not a column: editors do not show it. A line ends at `\n`, `\r\n` or a lone `\r`, as editors
/// and the snippet renderer count them (JSON allows a bare `\r` between tokens).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let (mut line, mut line_start) = (1, 0);
    for end in line_ends(text).take_while(|&end| end <= offset) {
        line += 1;
        line_start = end;
    }
    // Only a mark before the offset shifts it: an offset at 0 is column 1, mark or not.
    let line_start = if line_start == 0 && text[..offset].starts_with(BOM) {
        BOM.len_utf8()
    } else {
        line_start
    };
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Line and column of many offsets in one text, each in logarithmic time: a file with
/// thousands of problems would take quadratic time if every one scanned the file from its
/// start, as [`line_column`] does. Gives exactly what [`line_column`] gives.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// The byte offset just after each line break.
    line_ends: Vec<usize>,
    /// `(byte offset, characters before it)` at char boundaries about every
    /// [`Self::CHECKPOINT`] bytes, so that a column on a very long line (minified JSON) is
    /// counted from a nearby checkpoint rather than from the line's start.
    checkpoints: Vec<(usize, usize)>,
}

impl LineIndex {
    const CHECKPOINT: usize = 256;

    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut checkpoints = vec![(0, 0)];
        for (chars, (byte, _)) in text.char_indices().enumerate() {
            if byte >= checkpoints.last().map_or(0, |c| c.0) + Self::CHECKPOINT {
                checkpoints.push((byte, chars));
            }
        }
        LineIndex {
            line_ends: line_ends(text).collect(),
            checkpoints,
        }
    }

    /// Characters of `text` before the char boundary `offset`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let i = self.checkpoints.partition_point(|c| c.0 <= offset) - 1;
        let (byte, chars) = self.checkpoints[i];
        chars + text[byte..offset].chars().count()
    }

    /// 1-based line and column (in characters) of a byte offset in `text`, the text indexed.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = self.line_ends.partition_point(|&end| end <= offset);
        let line_start = if before == 0 {
            if text[..offset].starts_with(BOM) {
                BOM.len_utf8()
            } else {
                0
            }
        } else {
            self.line_ends[before - 1]
        };
        let column = self.chars_before(text, offset) - self.chars_before(text, line_start) + 1;
        (before + 1, column)
    }
}

/// The byte offsets just after each line break of `text`, in order (see [`line_column`]).
fn line_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        let ends = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        ends.then_some(i + 1)
    })
}

const BOM: char = '\u{feff}';

/// The byte offset of a 1-based line and column (in characters, as [`line_column`] counts
/// them).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        match line_ends(text).nth(line - 2) {
            Some(end) => start = end,
            None => return text.len(),
        }
    }
    if start == 0 && text.starts_with(BOM) {
        start = BOM.len_utf8();
    }
    let line_text = &text[start..];
    let line_end = line_text.find(['\n', '\r']).unwrap_or(line_text.len());
    line_text[..line_end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(start + line_end, |(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"name = "x"

[services.orders]
functions = ["a", "b"]

[services.orders.endpoints.create]
calls = ["inventory.reserve", ["a.b", "c.d"]]
"#;

    fn text_at(text: &str, span: Range<usize>) -> &str {
        &text[span]
    }

    #[test]
    fn toml_pointers_resolve_to_keys_and_values() {
        let map = SourceMap::from_toml(TOML).unwrap();
        let orders = Pointer::root().key("services").key("orders");
        assert_eq!(text_at(TOML, map.span(&orders, Target::Key)), "orders");
        let calls = orders.key("endpoints").key("create").key("calls");
        assert_eq!(
            text_at(TOML, map.span(&calls.index(0), Target::Value)),
            "\"inventory.reserve\""
        );
        assert_eq!(
            text_at(TOML, map.span(&calls.index(1).index(1), Target::Value)),
            "\"c.d\""
        );
        assert_eq!(
            text_at(TOML, map.span(&orders.key("functions"), Target::Key)),
            "functions"
        );
    }

    #[test]
    fn missing_paths_fall_back_to_the_deepest_written_key() {
        let map = SourceMap::from_toml(TOML).unwrap();
        let ptr = Pointer::root()
            .key("services")
            .key("orders")
            .key("resources")
            .key("cpu_millis");
        assert_eq!(text_at(TOML, map.span(&ptr, Target::Value)), "orders");
    }

    #[test]
    fn json_pointers_resolve_and_duplicates_are_listed() {
        let json = r#"{"name": "x", "services": {"a": {}, "b": {"functions": ["f"]}, "a": {}}}"#;
        let (map, dups) = SourceMap::from_json(json).unwrap();
        let f = Pointer::root()
            .key("services")
            .key("b")
            .key("functions")
            .index(0);
        assert_eq!(text_at(json, map.span(&f, Target::Value)), "\"f\"");
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].key, "a");
        assert_eq!(dups[0].pointer.to_string(), "services");
        assert_eq!(text_at(json, dups[0].span.clone()), "\"a\"");
        assert!(dups[0].span.start > dups[0].first.start);
    }

    #[test]
    fn pointers_display_like_toml_paths() {
        let p = Pointer::root()
            .key("policies")
            .key("a -> b")
            .key("retry")
            .key("steps")
            .index(2);
        assert_eq!(p.to_string(), "policies.\"a -> b\".retry.steps[2]");
    }

    #[test]
    fn line_column_and_offset_are_inverse() {
        let text = "ab\ncdé\nf";
        for offset in [0, 1, 3, 5, 7, 8] {
            let (l, c) = line_column(text, offset);
            assert_eq!(offset_of(text, l, c), offset, "offset {offset}");
        }
        assert_eq!(line_column(text, 3), (2, 1));
    }

    #[test]
    fn every_kind_of_line_break_ends_a_line() {
        // LF, CRLF (one break, not two) and a lone CR, as editors and the snippet count them.
        let text = "a\nb\r\nc\rd";
        assert_eq!(line_column(text, 2), (2, 1));
        assert_eq!(
            line_column(text, 3),
            (2, 2),
            "the CR of a CRLF ends line 2's text"
        );
        assert_eq!(line_column(text, 5), (3, 1));
        assert_eq!(line_column(text, 7), (4, 1));
        for offset in [0, 2, 5, 7] {
            let (l, c) = line_column(text, offset);
            assert_eq!(offset_of(text, l, c), offset, "offset {offset}");
        }
    }

    #[test]
    fn the_line_index_agrees_with_line_column_everywhere() {
        let long: String = "é".repeat(400) + "x";
        let texts = [
            "a\nb\r\nc\rd\n".to_owned(),
            "\u{feff}ab\ncd".to_owned(),
            format!("{long}\n{long}\r\n€"),
            String::new(),
        ];
        for text in &texts {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() + 1 {
                assert_eq!(
                    index.line_column(text, offset),
                    line_column(text, offset),
                    "offset {offset} of {text:?}"
                );
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        assert_eq!(line_column("\u{feff}", 0), (1, 1));
        assert_eq!(line_column("\u{feff}", 3), (1, 1));
        let text = "\u{feff}ab\ncd";
        assert_eq!(line_column(text, 3), (1, 1));
        assert_eq!(line_column(text, 4), (1, 2));
        assert_eq!(line_column(text, 7), (2, 2));
        for offset in [3, 4, 6, 7] {
            let (l, c) = line_column(text, offset);
            assert_eq!(offset_of(text, l, c), offset, "offset {offset}");
        }
    }
}
