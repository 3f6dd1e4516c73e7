//! YAML with positions: every node of every document in a file, with the line and column it
//! starts at, in a small owned tree the importers walk. It owns the choice of parser and the
//! translation of its errors into located [`Diagnostic`]s.
//!
//! The parser is `saphyr` (0.3): the maintained successor of `yaml-rust`/`yaml-rust2` (serde_yaml
//! is archived), pure Rust, YAML 1.2, and its `MarkedYaml` keeps a span on every node, so each
//! value an importer derives can say where it came from. Multi-document streams (`---`) load as
//! one tree per document; anchors and aliases are expanded by the loader (with a budget), and a
//! duplicate key is an error. Everything else in the crate sees only [`Node`], so a later change
//! of parser stays in this file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use microcosm_model::diagnostic::{Diagnostic, Location, codes};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Where a derived value came from: a file, a 1-based line and a 1-based column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Provenance {
    /// The file as it was given to the reader.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: usize,
    /// 1-based column of the node's first character.
    pub column: usize,
    /// Byte range of the node in the file's text (for diagnostics' snippets).
    pub span: std::ops::Range<usize>,
    /// What the node holds.
    pub value: Value,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, or nothing.
    Null,
    /// Any scalar, as text: `1.50` reads back as the number's canonical text `1.5`, a quoted
    /// string as its content without quotes.
    Scalar(String),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, in file order; keys are nodes so a problem with a key can be located.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The value under `key` if this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node reached by following `keys` through nested mappings.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is null (or absent content).
    pub fn is_null(&self) -> bool {
        self.value == Value::Null
    }

    /// This node's position in `file`.
    pub fn provenance(&self, file: &Path) -> Provenance {
        Provenance {
            file: file.to_path_buf(),
            line: self.line,
            column: self.column,
        }
    }
}

/// One YAML file: its name and text, and the documents parsed from it.
#[derive(Debug, Clone)]
pub struct YamlFile {
    /// The file as given.
    pub file: PathBuf,
    /// The whole text, shared with the diagnostics that point into it.
    pub text: Arc<str>,
    /// Each document of the stream, in order (an empty document is [`Value::Null`]).
    pub documents: Vec<Node>,
}

impl YamlFile {
    /// Parses every document of `text`; malformed YAML is a located `syntax` error.
    pub fn parse(
        file: impl Into<PathBuf>,
        text: impl Into<Arc<str>>,
    ) -> Result<YamlFile, Diagnostic> {
        let file = file.into();
        let text: Arc<str> = text.into();
        let bytes = ByteOffsets::new(&text);
        let loaded = MarkedYaml::load_from_str(&text).map_err(|e| {
            let at = bytes.of(e.marker().index());
            Diagnostic::error(codes::SYNTAX, format!("malformed YAML: {}", e.info()))
                .with_help("fix the YAML syntax at this place (indentation, quoting, `key: value`)")
                .at(Location::new(&file, text.clone(), at..at))
        })?;
        let mut documents = Vec::with_capacity(loaded.len());
        for doc in &loaded {
            documents.push(convert(doc, &bytes).map_err(|(span, message)| {
                Diagnostic::error(codes::SYNTAX, message).at(Location::new(
                    &file,
                    text.clone(),
                    span,
                ))
            })?);
        }
        Ok(YamlFile {
            file,
            text,
            documents,
        })
    }

    /// A located error at `node` in this file.
    pub fn error_at(
        &self,
        node: &Node,
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(code, message)
            .with_help(help)
            .at(Location::new(
                &self.file,
                self.text.clone(),
                node.span.clone(),
            ))
    }
}

/// Character index → byte offset: saphyr counts characters, diagnostics slice bytes.
struct ByteOffsets {
    /// The byte offset of each character, then the text's length; `None` for ASCII text, where
    /// the two agree and the table would only cost memory.
    table: Option<Vec<usize>>,
    len: usize,
}

impl ByteOffsets {
    fn new(text: &str) -> ByteOffsets {
        let table = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(b, _)| b)
                .chain(std::iter::once(text.len()))
                .collect()
        });
        ByteOffsets {
            table,
            len: text.len(),
        }
    }

    fn of(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

type ConvertError = (std::ops::Range<usize>, String);

fn convert(node: &MarkedYaml<'_>, bytes: &ByteOffsets) -> Result<Node, ConvertError> {
    let start = node.span.start;
    let span =
        bytes.of(start.index())..bytes.of(node.span.end.index()).max(bytes.of(start.index()));
    let value = match &node.data {
        YamlData::Value(Scalar::Null) | YamlData::BadValue => Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => Value::Scalar(b.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Value::Scalar(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Value::Scalar(f.to_string()),
        YamlData::Value(Scalar::String(s)) => Value::Scalar(s.to_string()),
        YamlData::Representation(s, _, _) => Value::Scalar(s.to_string()),
        YamlData::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|item| convert(item, bytes))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(entries) => Value::Mapping(
            entries
                .iter()
                .map(|(k, v)| Ok((convert(k, bytes)?, convert(v, bytes)?)))
                .collect::<Result<_, ConvertError>>()?,
        ),
        YamlData::Tagged(_, inner) => return convert(inner, bytes),
        // The loader expands aliases; one left over has no target to read.
        YamlData::Alias(_) => {
            return Err((span, "a YAML alias whose anchor is not defined".into()));
        }
    };
    Ok(Node {
        line: start.line(),
        column: start.col() + 1,
        span,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_lines_and_columns_across_documents() {
        let text = "a: 1\n---\nkind: List\nitems:\n  - name: x\n    cpu: 0.5\n";
        let f = YamlFile::parse("t.yaml", text).unwrap();
        assert_eq!(f.documents.len(), 2);
        let item = &f.documents[1].get("items").unwrap().as_sequence().unwrap()[0];
        let cpu = item.get("cpu").unwrap();
        assert_eq!((cpu.line, cpu.column), (6, 10));
        assert_eq!(cpu.as_str(), Some("0.5"));
        assert_eq!(item.get("name").unwrap().as_str(), Some("x"));
        assert_eq!(&text[cpu.span.clone()], "0.5");
    }

    #[test]
    fn malformed_yaml_is_a_located_syntax_error() {
        let err = YamlFile::parse("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(err.code, codes::SYNTAX);
        let loc = err.location.as_ref().unwrap();
        assert_eq!(loc.file, PathBuf::from("bad.yaml"));
        assert!(loc.line >= 2, "{loc:?}");
        assert!(err.message.starts_with("malformed YAML"), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(YamlFile::parse("d.yaml", "a: 1\na: 2\n").is_err());
    }

    #[test]
    fn non_ascii_text_maps_to_byte_spans() {
        let text = "é: ü\nb: ok\n";
        let f = YamlFile::parse("u.yaml", text).unwrap();
        let b = f.documents[0].get("b").unwrap();
        assert_eq!(&text[b.span.clone()], "ok");
        assert_eq!((b.line, b.column), (2, 4));
    }
}
