//! The structural check: a parsed document (TOML or JSON, as a [`SourceMap`]) walked against
//! the scenario's generated JSON Schema, collecting every unknown key, missing key and value of
//! the wrong type at once, each at its own span.
//!
//! serde alone cannot do this job. It stops at the first error, and its derived `Deserialize`
//! for a struct also accepts a sequence (the fields by position), which would let
//! `resources = [1, 2]` past `deny_unknown_fields`. The schema is generated from the same types
//! and says what each place takes (`"type": "object"` for every struct), so checking against it
//! holds every file to the shape the published contract gives, with no list of special cases
//! to keep in step with the types; where a type legitimately reads an array (a `Vec`, a group
//! of parallel calls), the schema says so too. serde still runs afterwards, for what the
//! schema does not say (integer ranges, custom rules), and its first error is reported unless
//! it repeats one of these.
//!
//! Only the keywords the generator emits are interpreted: `$ref`, `allOf`, `anyOf`, `oneOf`,
//! `type`, `const`, `enum`, `properties`, `additionalProperties`, `required` and `items`.
//! Value constraints (`minimum`, `format`) are left to serde and validation, which word them
//! better.
//!
//! Why hand-written, measured (issue 14): a prototype (branch `house-load-boon-proto`) ran the
//! same schema through the `boon` validator (0.6; `jsonschema` is not in the offline registry,
//! so it was not tried) and mapped each error's instance location to a span. boon's own output
//! (`want string, but got number`, `additionalProperties 'x' not allowed`) says less, and its
//! unknown keys point at the object, not the key. On the 13 structural findings of
//! `tests/bad/`, a first mapping (rewording each error kind in these words) still worded 6 worse ("oneOf failed, none matched" for an array in place of a table, "there are no
//! fields" for `timout_ms` since boon names the `$ref` site, not the object's schema; an
//! unknown `dist` listed one variant) and lost 12 of 13 helps. Reaching parity took about 520 lines of
//! mapping that must reimplement the tag and best-branch choice on boon's error tree (relying
//! on its undocumented shape: one cause per failed branch, in order; a single-error branch
//! collapsed), recover key descriptions from `allOf` wrapper URLs, and take an integer past
//! u64 from the source map (a JSON value cannot hold it), while still calling this file's
//! wording helpers (`expected`, `keys_help`, `type_help`, `tag`: about 360 of its lines). At
//! parity nothing differed on `tests/bad/`, this file's cases, the model's loader tests and
//! 9,000 fuzzed mutations of the bundled scenarios (three seeds), but the hand-written total
//! grew (about 880 lines against 640), the model crate gained boon and some 24 crates under it
//! (url, idna, icu, regex), and one load got slower: compiling the schema costs 23-79 ms once
//! per process, against 1.4-3.4 ms for this walk per bundled scenario (boon then 1.0-2.0 ms;
//! debug build, 20 scenarios x 20 loads, one shared 2-core machine, so noisy). A `validate`
//! of one file would pay the compile every time. Kept.

use std::ops::Range;

use serde_json::{Map, Value};

use crate::diagnostic::{codes, did_you_mean, number};
use crate::source::{Format, Node, NodeKind, SourceMap};

mod values;
use values::{integer_range, unit_value};

/// One structural problem, located by byte span.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Issue {
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub span: Range<usize>,
}

/// Every structural problem of `map` against `schema` (a draft-07 root schema with its
/// `definitions`), in no particular order.
pub(super) fn check(map: &SourceMap, schema: &Value, format: Format) -> Vec<Issue> {
    let checker = Checker {
        root: schema,
        format,
    };
    let mut issues = Vec::new();
    checker.check(schema, map.root(), None, &mut issues);
    issues
}

/// The shallow types of JSON Schema, in the order messages list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Table,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    Null,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "object" => Kind::Table,
            "array" => Kind::Array,
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            _ => return None,
        })
    }

    /// Whether a value of this schema type may be written as `node`. An integer is a number;
    /// a float is not an integer, whatever its value, because serde refuses it for one.
    fn admits(self, node: &NodeKind) -> bool {
        matches!(
            (self, node),
            (Kind::Table, NodeKind::Table(_))
                | (Kind::Array, NodeKind::Array(_))
                | (Kind::String, NodeKind::String(_))
                | (Kind::Integer, NodeKind::Integer(_))
                | (Kind::Number, NodeKind::Integer(_) | NodeKind::Float(_))
                | (Kind::Boolean, NodeKind::Boolean)
                | (Kind::Null, NodeKind::Null)
        )
    }

    /// "a table": the scenario format is written in TOML's words, in both formats.
    fn noun(self) -> &'static str {
        match self {
            Kind::Table => "a table",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Integer => "an integer",
            Kind::Number => "a number",
            Kind::Boolean => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// What a node is, for "found …".
fn found(node: &NodeKind) -> &'static str {
    match node {
        NodeKind::Table(_) => "a table",
        NodeKind::Array(_) => "an array",
        NodeKind::String(_) => "a string",
        NodeKind::Integer(_) => "an integer",
        NodeKind::Float(_) => "a float",
        NodeKind::Boolean => "a boolean",
        NodeKind::Datetime => "a date-time",
        NodeKind::Null => "null",
    }
}

/// `a`, `b` and `c` as "`a`, `b`, `c`".
fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first sentence of a schema's description (doc comments become descriptions).
fn first_sentence(description: &str) -> String {
    let flat = description.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(i) => flat[..=i].to_owned(),
        None => flat,
    }
}

/// An internally tagged enum's tag key, and each of its values with the branch it selects.
type Tag<'a> = (&'a str, Vec<(&'a str, &'a Value)>);

struct Checker<'a> {
    root: &'a Value,
    format: Format,
}

impl<'a> Checker<'a> {
    /// Follows `$ref`s (`#/definitions/Name`) and the one-element `allOf` wrappers schemars puts
    /// around a `$ref` that carries a description or default. A reference that does not
    /// resolve admits anything: an odd schema must never reject a file.
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(object) = schema.as_object() else {
                return schema;
            };
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                schema = reference
                    .strip_prefix("#/")
                    .and_then(|path| {
                        path.split('/')
                            .try_fold(self.root, |value, part| value.get(part))
                    })
                    .unwrap_or(&Value::Bool(true));
                continue;
            }
            match object.get("allOf").and_then(Value::as_array) {
                Some(all) if all.len() == 1 && !object.contains_key("type") => schema = &all[0],
                _ => return schema,
            }
        }
        &Value::Bool(true)
    }

    /// The kinds a schema admits at its top level; `None` for any.
    fn kinds(&self, schema: &'a Value) -> Option<Vec<Kind>> {
        let schema = self.resolve(schema);
        let object = schema.as_object()?;
        if let Some(t) = object.get("type") {
            let names: Vec<&str> = match t {
                Value::String(name) => vec![name],
                Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
                _ => return None,
            };
            let kinds: Vec<Kind> = names.into_iter().filter_map(Kind::from_name).collect();
            return (!kinds.is_empty()).then_some(kinds);
        }
        let branches = object
            .get("anyOf")
            .or_else(|| object.get("oneOf"))
            .and_then(Value::as_array)?;
        let mut kinds = Vec::new();
        for branch in branches {
            kinds.extend(self.kinds(branch)?);
        }
        kinds.sort();
        kinds.dedup();
        Some(kinds)
    }

    /// The string constants a schema stands for (a unit enum variant, or all of an enum's),
    /// or `None` when it admits other values.
    fn constants(&self, schema: &'a Value) -> Option<Vec<&'a str>> {
        let object = self.resolve(schema).as_object()?;
        if let Some(c) = object.get("const") {
            return Some(vec![c.as_str()?]);
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            return values.iter().map(Value::as_str).collect();
        }
        let branches = object
            .get("oneOf")
            .or_else(|| object.get("anyOf"))
            .and_then(Value::as_array)?;
        let mut all = Vec::new();
        for branch in branches {
            all.extend(self.constants(branch)?);
        }
        Some(all)
    }

    /// What a schema expects, in words: "one of `a`, `b`" for an enumeration, else its kinds
    /// ("a string or a table"), leaving out null (an absent value is written by leaving the
    /// key out).
    fn expected(&self, schema: &'a Value) -> String {
        if let Some(names) = self.constants(schema) {
            return format!("one of {}", quoted_list(names));
        }
        let kinds: Vec<Kind> = self
            .kinds(schema)
            .unwrap_or_default()
            .into_iter()
            .filter(|&k| k != Kind::Null)
            .collect();
        match kinds.as_slice() {
            [] => "something else".to_owned(),
            [one] => one.noun().to_owned(),
            [init @ .., last] => format!(
                "{} or {}",
                init.iter().map(|k| k.noun()).collect::<Vec<_>>().join(", "),
                last.noun()
            ),
        }
    }

    /// What keys a table written here takes, when the schema says: its properties, or the
    /// tag key of an internally tagged enum. Looks through a union to its one table branch.
    fn keys_help(&self, schema: &'a Value) -> Option<String> {
        let resolved = self.resolve(schema);
        if let Some(properties) = resolved.get("properties").and_then(Value::as_object)
            && !properties.is_empty()
        {
            let names: Vec<&str> = properties.keys().map(String::as_str).collect();
            let shown = quoted_list(names.iter().copied().take(8));
            let more = if names.len() > 8 { ", …" } else { "" };
            return Some(format!("a table here takes the keys {shown}{more}"));
        }
        let branches = resolved
            .get("anyOf")
            .or_else(|| resolved.get("oneOf"))
            .and_then(Value::as_array)?;
        let tables: Vec<&'a Value> = branches
            .iter()
            .filter(|b| self.kinds(b).is_some_and(|k| k.contains(&Kind::Table)))
            .collect();
        if let [one] = tables.as_slice() {
            return self.keys_help(one);
        }
        let (tag, names) = self.tag(tables.iter().copied())?;
        Some(format!(
            "a table here takes `{tag}`, one of {}, and the keys of that kind",
            quoted_list(names.iter().map(|(name, _)| *name))
        ))
    }

    /// Help for a value of the wrong type: how to write a table (for an array in its place),
    /// the keys a table takes, or what the place is for.
    fn type_help(
        &self,
        schema: &'a Value,
        description: Option<&str>,
        node: &Node,
    ) -> Option<String> {
        let wants_table = self
            .kinds(schema)
            .is_some_and(|kinds| kinds.contains(&Kind::Table));
        let keys = if wants_table {
            self.keys_help(schema)
        } else {
            None
        };
        if wants_table && matches!(node.kind, NodeKind::Array(_)) {
            let how = match self.format {
                Format::Toml => "write `{ key = value, … }` or a `[section]`, not `[…]`",
                Format::Json => "write an object `{ \"key\": value, … }`, not an array `[…]`",
            };
            return Some(match keys {
                Some(keys) => format!("{how}; {keys}"),
                None => how.to_owned(),
            });
        }
        keys.or_else(|| {
            description
                .or_else(|| self.resolve(schema).get("description")?.as_str())
                .map(first_sentence)
        })
    }

    fn mismatch(
        &self,
        schema: &'a Value,
        description: Option<&str>,
        node: &Node,
        out: &mut Vec<Issue>,
    ) {
        out.push(Issue {
            code: codes::WRONG_TYPE,
            message: format!(
                "invalid type: expected {}, found {}",
                self.expected(schema),
                found(&node.kind)
            ),
            help: self.type_help(schema, description, node),
            span: node.span.clone(),
        });
    }

    fn unknown_variant(&self, value: &str, names: &[&str], span: Range<usize>) -> Issue {
        Issue {
            code: codes::WRONG_TYPE,
            message: format!(
                "unknown variant `{value}`, expected one of {}",
                quoted_list(names.iter().copied())
            ),
            help: did_you_mean(value, names.iter().copied())
                .map(|close| format!("did you mean `{close}`?")),
            span,
        }
    }

    /// Checks `node` against `schema`, appending what is wrong. `description` is the
    /// description of the key holding the node, when the schema puts it beside a `$ref`.
    fn check(
        &self,
        schema: &'a Value,
        node: &Node,
        description: Option<&'a str>,
        out: &mut Vec<Issue>,
    ) {
        let description = description.or_else(|| schema.get("description")?.as_str());
        let schema = self.resolve(schema);
        let object = match schema {
            Value::Object(object) => object,
            Value::Bool(false) => {
                out.push(Issue {
                    code: codes::WRONG_TYPE,
                    message: "no value is allowed here".to_owned(),
                    help: None,
                    span: node.span.clone(),
                });
                return;
            }
            _ => return,
        };
        if let Some(all) = object.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, node, description, out);
            }
        }
        if let Some(branches) = object
            .get("anyOf")
            .or_else(|| object.get("oneOf"))
            .and_then(Value::as_array)
        {
            self.check_branches(schema, branches, node, description, out);
        }
        if object.contains_key("type")
            && !self
                .kinds(schema)
                .is_none_or(|kinds| kinds.iter().any(|k| k.admits(&node.kind)))
        {
            self.mismatch(schema, description, node, out);
            return;
        }
        if (object.contains_key("const") || object.contains_key("enum"))
            && let NodeKind::String(value) = &node.kind
            && let Some(names) = self.constants(schema)
            && !names.contains(&value.as_str())
        {
            out.push(self.unknown_variant(value, &names, node.span.clone()));
            return;
        }
        match &node.kind {
            NodeKind::Integer(value) => {
                if let Some(issue) = integer_range(object, *value, node.span.clone()) {
                    out.push(issue);
                }
            }
            NodeKind::Table(entries) => self.check_table(object, entries, node, out),
            NodeKind::Array(items) => match object.get("items") {
                Some(Value::Array(positional)) => {
                    for (item, schema) in items.iter().zip(positional) {
                        self.check(schema, item, None, out);
                    }
                }
                Some(schema) => {
                    for item in items {
                        self.check(schema, item, None, out);
                    }
                }
                None => {}
            },
            _ => {}
        }
    }

    fn check_table(
        &self,
        object: &'a Map<String, Value>,
        entries: &[(String, Range<usize>, Node)],
        node: &Node,
        out: &mut Vec<Issue>,
    ) {
        let properties = object.get("properties").and_then(Value::as_object);
        let additional = object.get("additionalProperties");
        for (key, key_span, value) in entries {
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(schema), _) => {
                    let before = out.len();
                    self.check(schema, value, None, out);
                    self.unit_in_a_string(key, value, &mut out[before..]);
                }
                (None, Some(Value::Bool(false)))
                    if let Some(issue) = self
                        .renamed(key, key_span, value, properties)
                        .or_else(|| Self::not_read_yet(key, key_span, properties)) =>
                {
                    out.push(issue)
                }
                (None, Some(Value::Bool(false))) => {
                    let names: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let (message, help) = if names.is_empty() {
                        (
                            format!("unknown field `{key}`, there are no fields"),
                            format!("`{key}` is not allowed here"),
                        )
                    } else {
                        // The list goes in the message or the help, never both: with no
                        // close name to suggest, the help is the list.
                        let list = quoted_list(names.iter().copied());
                        match did_you_mean(key, names.iter().copied()) {
                            Some(close) => (
                                format!("unknown field `{key}`, expected one of {list}"),
                                format!("did you mean `{close}`?"),
                            ),
                            None => (
                                format!("unknown field `{key}`"),
                                format!("expected one of {list}"),
                            ),
                        }
                    };
                    out.push(Issue {
                        code: codes::UNKNOWN_FIELD,
                        message,
                        help: Some(help),
                        span: key_span.clone(),
                    });
                }
                (None, Some(schema)) => self.check(schema, value, None, out),
                (None, None) => {}
            }
        }
        let required = object.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if entries.iter().all(|(key, _, _)| key != name) {
                let help = properties
                    .and_then(|p| p.get(name))
                    .and_then(|s| s.get("description"))
                    .and_then(Value::as_str)
                    .map(|d| format!("`{name}`: {}", first_sentence(d)));
                out.push(Issue {
                    code: codes::MISSING_FIELD,
                    message: format!("missing field `{name}`"),
                    help,
                    span: node.span.clone(),
                });
            }
        }
    }

    /// A percent key the format replaced with a fraction (see
    /// [`crate::scenario::PERCENT_KEYS_NOW_FRACTIONS`]), written where its replacement belongs:
    /// the new key and the value to write. A value above 1 can only be a percent; one of 1 or
    /// less is ambiguous (it is how the old key got misread), so both readings are offered.
    /// A number written as a string with its unit (`timeout_ms = "200ms"`): the help shows the
    /// number to write in the unit the key's name gives (`timeout_ms = 200`), converted when
    /// the string's unit differs (`"2s"` is `2000`).
    fn unit_in_a_string(&self, key: &str, value: &Node, issues: &mut [Issue]) {
        let NodeKind::String(text) = &value.kind else {
            return;
        };
        let Some(issue) = issues
            .iter_mut()
            .find(|i| i.code == codes::WRONG_TYPE && i.span == value.span)
        else {
            return;
        };
        let Some((value, unit)) = unit_value(key, text) else {
            return;
        };
        let write = match self.format {
            Format::Toml => format!("`{key} = {}`", number(value)),
            Format::Json => format!("`\"{key}\": {}`", number(value)),
        };
        issue.help = Some(format!(
            "write {write}: a number, in the unit the key's name gives ({unit})"
        ));
    }

    /// A key reserved for a meaning nothing gives it yet (see
    /// [`crate::scenario::KEYS_NOT_READ_YET`]), written in the table that will take it.
    fn not_read_yet(
        key: &str,
        key_span: &Range<usize>,
        properties: Option<&Map<String, Value>>,
    ) -> Option<Issue> {
        let (_, _, why) = crate::scenario::KEYS_NOT_READ_YET
            .iter()
            .find(|(k, sibling, _)| {
                *k == key && properties.is_some_and(|p| p.contains_key(*sibling))
            })?;
        Some(Issue {
            code: codes::UNKNOWN_FIELD,
            message: format!("`{key}` has no effect yet: {why}"),
            help: Some(format!(
                "remove it: a later version gives `{key}` its meaning, and until then a value \
                 here would claim a behaviour no engine has"
            )),
            span: key_span.clone(),
        })
    }

    fn renamed(
        &self,
        key: &str,
        key_span: &Range<usize>,
        value: &Node,
        properties: Option<&Map<String, Value>>,
    ) -> Option<Issue> {
        let (_, new) = crate::scenario::PERCENT_KEYS_NOW_FRACTIONS
            .iter()
            .find(|(old, new)| *old == key && properties.is_some_and(|p| p.contains_key(*new)))?;
        let written = match value.kind {
            NodeKind::Float(Some(x)) => Some(x),
            NodeKind::Integer(Some(i)) => Some(i as f64),
            _ => None,
        };
        let write = |x: f64| match self.format {
            Format::Toml => format!("`{new} = {}`", number(x)),
            Format::Json => format!("`\"{new}\": {}`", number(x)),
        };
        let help = match written {
            Some(x) if x > 1.0 && x <= 100.0 => {
                format!("write {} ({x} % as a fraction)", write(x / 100.0))
            }
            Some(x) if (0.0..=1.0).contains(&x) => format!(
                "write {} for {} %, or {} for {x} %",
                write(x),
                number(x * 100.0),
                write(x / 100.0)
            ),
            _ => format!("write {}", write(0.1)),
        };
        Some(Issue {
            code: codes::UNKNOWN_FIELD,
            message: format!("`{key}` is now `{new}`, a fraction from 0 to 1"),
            help: Some(help),
            span: key_span.clone(),
        })
    }

    /// `anyOf` / `oneOf`: fine when any branch fits (serde takes the first that does). When
    /// none does, report against the branch the user evidently meant: the one named by a tag
    /// key (`dist = "lognormal"`), else the one of the right kind that fits best; a string
    /// that names none of an enumeration's values is an unknown variant.
    fn check_branches(
        &self,
        schema: &'a Value,
        branches: &'a [Value],
        node: &Node,
        description: Option<&'a str>,
        out: &mut Vec<Issue>,
    ) {
        let mut results: Vec<(usize, Vec<Issue>)> = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let mut issues = Vec::new();
            self.check(branch, node, description, &mut issues);
            if issues.is_empty() {
                return;
            }
            if self
                .kinds(branch)
                .is_none_or(|kinds| kinds.iter().any(|k| k.admits(&node.kind)))
            {
                results.push((i, issues));
            }
        }
        if results.is_empty() {
            self.mismatch(schema, description, node, out);
            return;
        }
        if let NodeKind::Table(entries) = &node.kind
            && let Some((tag, names)) = self.tag(results.iter().map(|(i, _)| &branches[*i]))
        {
            match entries.iter().find(|(key, _, _)| key == tag) {
                None => out.push(Issue {
                    code: codes::MISSING_FIELD,
                    message: format!("missing field `{tag}`"),
                    help: Some(format!("`{tag}` says which kind this is: one of {}", {
                        quoted_list(names.iter().map(|(name, _)| *name))
                    })),
                    span: node.span.clone(),
                }),
                Some((_, _, value)) => {
                    let chosen = match &value.kind {
                        NodeKind::String(s) => names.iter().find(|(name, _)| name == s),
                        _ => None,
                    };
                    match chosen {
                        Some((_, branch)) => {
                            let (_, issues) = results
                                .into_iter()
                                .find(|(i, _)| std::ptr::eq(&branches[*i], *branch))
                                .expect("the tag's branch is a candidate");
                            out.extend(issues);
                        }
                        None => {
                            let all: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
                            match &value.kind {
                                NodeKind::String(s) => {
                                    out.push(self.unknown_variant(s, &all, value.span.clone()))
                                }
                                other => out.push(Issue {
                                    code: codes::WRONG_TYPE,
                                    message: format!(
                                        "invalid type: expected one of {}, found {}",
                                        quoted_list(all.iter().copied()),
                                        found(other)
                                    ),
                                    help: None,
                                    span: value.span.clone(),
                                }),
                            }
                        }
                    }
                }
            }
            return;
        }
        if let NodeKind::String(value) = &node.kind {
            let names: Option<Vec<&str>> = results
                .iter()
                .map(|(i, _)| self.constants(&branches[*i]))
                .try_fold(Vec::new(), |mut all, names| {
                    all.extend(names?);
                    Some(all)
                });
            if let Some(names) = names {
                out.push(self.unknown_variant(value, &names, node.span.clone()));
                return;
            }
        }
        let (_, issues) = results
            .into_iter()
            .min_by_key(|(_, issues)| issues.len())
            .expect("not empty");
        out.extend(issues);
    }

    /// The tag key of an internally tagged enum: a key that every branch (a table schema)
    /// pins to a string constant. Returns the key and each constant with its branch.
    fn tag(&self, branches: impl Iterator<Item = &'a Value> + Clone) -> Option<Tag<'a>> {
        let first = self.resolve(branches.clone().next()?);
        let keys = first.get("properties")?.as_object()?.keys();
        'key: for key in keys {
            let mut names = Vec::new();
            for branch in branches.clone() {
                let resolved = self.resolve(branch);
                let Some(name) = resolved
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .and_then(|s| self.resolve(s).get("const"))
                    .and_then(Value::as_str)
                else {
                    continue 'key;
                };
                names.push((name, branch));
            }
            return Some((key.as_str(), names));
        }
        None
    }
}

#[cfg(test)]
mod tests;
