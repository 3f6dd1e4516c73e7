//! The structured mutator the fuzz tests share: the bundled scenarios as seeds, mutations a
//! person or a tool could plausibly make to them (extreme numbers, values of the wrong type,
//! missing and renamed keys, duplicated tables, references swapped for unknown or other
//! existing names, enum values swapped for other variants) drawn by proptest so that a failure
//! shrinks to the fewest, simplest mutations, and byte-level damage (truncation, long lines,
//! CRLF, a byte-order mark, invalid UTF-8, NUL) applied to the file the mutated document is
//! written as.
//!
//! Mutations pick their target by an index taken modulo the candidates in the document as it
//! is when they apply, so every drawn mutation applies to every seed and shrinking a selector
//! towards 0 moves it to the document's first candidate.

#![allow(dead_code, reason = "each test binary uses the parts it needs")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use toml::{Table, Value};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One bundled scenario, parsed.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Where it lives, relative to the repository root.
    pub name: String,
    /// Its text.
    pub text: String,
    /// Its document.
    pub doc: Table,
}

/// Every bundled scenario, in path order: `scenarios/*.toml`, `scenarios/gallery/*.toml` and
/// the starter `init` writes (with its placeholders filled as `init` fills them).
pub fn seeds() -> Vec<Seed> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for dir in ["scenarios", "scenarios/gallery"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("the scenarios directory") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths.push(root().join("src/starter.toml"));
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .expect("a bundled scenario")
                .replace("{{name}}", "starter")
                .replace("{{file}}", "starter.toml");
            let doc: Table = text
                .parse()
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            let name = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            Seed { name, text, doc }
        })
        .collect()
}

/// Words to swap strings for: per key name, every string the seeds write under it (other
/// enum variants, references that exist in some scenario), and every enum variant and tag the
/// JSON Schema lists.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    by_key: BTreeMap<String, Vec<String>>,
    schema: Vec<String>,
}

impl Dictionary {
    /// The dictionary of the seeds and the committed schema.
    pub fn new(seeds: &[Seed]) -> Dictionary {
        let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for seed in seeds {
            for (path, value) in values(&seed.doc) {
                if let (Some(key), Value::String(s)) = (last_key(&path), value) {
                    by_key.entry(key).or_default().insert(s.clone());
                }
            }
        }
        let schema_text = std::fs::read_to_string(root().join("scenarios/scenario.schema.json"))
            .expect("the committed schema");
        let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
        let mut words = BTreeSet::new();
        schema_words(&schema, &mut words);
        Dictionary {
            by_key: by_key
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
            schema: words.into_iter().collect(),
        }
    }
}

fn schema_words(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("enum", serde_json::Value::Array(items)) => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)));
                    }
                    ("const", serde_json::Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => {}
                }
                schema_words(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| schema_words(i, out)),
        _ => {}
    }
}

/// A step from a value to one inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

type DocPath = Vec<Seg>;

/// The key a value is written under: its own, or its array's.
fn last_key(path: &[Seg]) -> Option<String> {
    path.iter().rev().find_map(|s| match s {
        Seg::Key(k) => Some(k.clone()),
        Seg::Index(_) => None,
    })
}

/// Every value in the document with its path, depth first in key order (the root excluded).
fn values(doc: &Table) -> Vec<(DocPath, &Value)> {
    fn walk<'a>(path: &mut DocPath, value: &'a Value, out: &mut Vec<(DocPath, &'a Value)>) {
        out.push((path.clone(), value));
        match value {
            Value::Table(t) => {
                for (k, v) in t {
                    path.push(Seg::Key(k.clone()));
                    walk(path, v, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(path, v, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in doc {
        walk(&mut vec![Seg::Key(k.clone())], v, &mut out);
    }
    out
}

fn get_mut<'a>(doc: &'a mut Table, path: &[Seg]) -> Option<&'a mut Value> {
    let (Seg::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = doc.get_mut(first)?;
    for seg in rest {
        value = match (seg, value) {
            (Seg::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The table holding the value at `path` by key, and that key.
fn parent_table<'a>(doc: &'a mut Table, path: &[Seg]) -> Option<(&'a mut Table, String)> {
    let (Seg::Key(key), parent) = path.split_last()? else {
        return None;
    };
    if parent.is_empty() {
        return Some((doc, key.clone()));
    }
    match get_mut(doc, parent)? {
        Value::Table(t) => Some((t, key.clone())),
        _ => None,
    }
}

/// An extreme (or merely unusual) value for a number.
#[derive(Debug, Clone, Copy)]
pub enum Extreme {
    Zero,
    MinusOne,
    One,
    Half,
    U32Max,
    U32MaxPlusOne,
    I64Max,
    I64Min,
    /// u64::MAX, which TOML cannot hold as an integer: written into the text afterwards.
    U64Max,
    Huge,
    NegativeHuge,
    Tiny,
    NegativeZero,
    Infinity,
    NegativeInfinity,
    NaN,
    NanAsString,
}

/// What [`Extreme::U64Max`] is written as until the text is made, then replaced.
const U64_MAX_MARK: &str = "@@u64-max@@";

impl Extreme {
    fn value(self) -> Value {
        match self {
            Extreme::Zero => Value::Integer(0),
            Extreme::MinusOne => Value::Integer(-1),
            Extreme::One => Value::Integer(1),
            Extreme::Half => Value::Float(0.5),
            Extreme::U32Max => Value::Integer(u32::MAX.into()),
            Extreme::U32MaxPlusOne => Value::Integer(i64::from(u32::MAX) + 1),
            Extreme::I64Max => Value::Integer(i64::MAX),
            Extreme::I64Min => Value::Integer(i64::MIN),
            Extreme::U64Max => Value::String(U64_MAX_MARK.to_owned()),
            Extreme::Huge => Value::Float(1e300),
            Extreme::NegativeHuge => Value::Float(-1e300),
            Extreme::Tiny => Value::Float(5e-324),
            Extreme::NegativeZero => Value::Float(-0.0),
            Extreme::Infinity => Value::Float(f64::INFINITY),
            Extreme::NegativeInfinity => Value::Float(f64::NEG_INFINITY),
            Extreme::NaN => Value::Float(f64::NAN),
            Extreme::NanAsString => Value::String("NaN".to_owned()),
        }
    }
}

/// What [`Mutation::Scale`] multiplies by.
#[derive(Debug, Clone, Copy)]
pub enum Factor {
    Zero,
    Two,
    Ten,
    Thousand,
    Million,
}

impl Factor {
    fn scale(self, value: &Value) -> Option<Value> {
        let k: i64 = match self {
            Factor::Zero => 0,
            Factor::Two => 2,
            Factor::Ten => 10,
            Factor::Thousand => 1_000,
            Factor::Million => 1_000_000,
        };
        match value {
            Value::Integer(i) => Some(Value::Integer(i.saturating_mul(k))),
            Value::Float(f) => Some(Value::Float(f * k as f64)),
            _ => None,
        }
    }
}

/// A type to turn a value into.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    String,
    Integer,
    Float,
    Bool,
    Array,
    Table,
}

/// Where a swapped-in string comes from.
#[derive(Debug, Clone, Copy)]
pub enum SwapSource {
    /// Another string the seeds write under the same key: another enum variant, another
    /// reference.
    SameKey,
    /// A string, key or `service.endpoint` of this document: an existing name in another place.
    Document,
    /// An enum variant or tag from the schema.
    Schema,
    /// A name nothing declares.
    Unknown,
}

/// How a key is renamed.
#[derive(Debug, Clone, Copy)]
pub enum NewName {
    /// Its last character dropped (`timeout_m`), or `s` added when it has one.
    Typo,
    /// A name of nothing.
    Unknown,
}

/// One mutation of a scenario document.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// A number (any value where the document has none) becomes an extreme.
    Extreme { at: usize, value: Extreme },
    /// A number is scaled, keeping its type (integers saturate): a plausible but large (or
    /// zero) value, which validation is more likely to accept than an extreme.
    Scale { at: usize, factor: Factor },
    /// A value becomes one of another type.
    Retype { at: usize, to: Kind },
    /// A key goes, required or not.
    Delete { at: usize },
    /// A key is renamed.
    Rename { at: usize, to: NewName },
    /// A table is copied under a new name beside it (a second service, endpoint, policy…), or
    /// an array element repeated.
    Duplicate { at: usize },
    /// A string becomes another.
    Swap {
        at: usize,
        pick: usize,
        from: SwapSource,
    },
    /// A table or array is emptied.
    Empty { at: usize },
}

/// Damage to the bytes of the file.
#[derive(Debug, Clone)]
pub enum TextMutation {
    /// Only the first `keep_permille`‰ of the bytes remain.
    Truncate { keep_permille: u16 },
    /// A line of `len` characters is inserted before line `at`.
    LongLine {
        at: usize,
        len: usize,
        kind: LongLine,
    },
    /// Every line ends in CRLF.
    Crlf,
    /// A lone carriage return.
    LoneCr { at: usize },
    /// A byte-order mark at the start.
    Bom,
    /// A byte-order mark somewhere inside.
    BomInside { at: usize },
    /// A byte that cannot be UTF-8 (0x80..=0xFF alone).
    InvalidUtf8 { at: usize, byte: u8 },
    /// A NUL byte.
    Nul { at: usize },
}

/// What a long line holds.
#[derive(Debug, Clone, Copy)]
pub enum LongLine {
    Comment,
    /// An unknown key with a long string value.
    Key,
    /// Not TOML (or JSON) at all.
    Junk,
}

/// One generated file: a seed, how it is mutated, and in which format it is written.
#[derive(Debug, Clone)]
pub struct Case {
    pub seed: usize,
    pub json: bool,
    pub mutations: Vec<Mutation>,
    pub text: Vec<TextMutation>,
}

fn extreme() -> impl Strategy<Value = Extreme> {
    use Extreme::*;
    prop_oneof![
        Just(Zero),
        Just(MinusOne),
        Just(One),
        Just(Half),
        Just(U32Max),
        Just(U32MaxPlusOne),
        Just(I64Max),
        Just(I64Min),
        Just(U64Max),
        Just(Huge),
        Just(NegativeHuge),
        Just(Tiny),
        Just(NegativeZero),
        Just(Infinity),
        Just(NegativeInfinity),
        Just(NaN),
        Just(NanAsString),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    use Kind::*;
    prop_oneof![
        Just(String),
        Just(Integer),
        Just(Float),
        Just(Bool),
        Just(Array),
        Just(Table)
    ]
}

/// One document mutation; numbers and swaps are the likeliest, as in real edits.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        4 => (at, extreme()).prop_map(|(at, value)| Mutation::Extreme { at, value }),
        3 => (
            at,
            prop_oneof![
                Just(Factor::Zero),
                Just(Factor::Two),
                Just(Factor::Ten),
                Just(Factor::Thousand),
                Just(Factor::Million),
            ]
        )
            .prop_map(|(at, factor)| Mutation::Scale { at, factor }),
        1 => (at, kind()).prop_map(|(at, to)| Mutation::Retype { at, to }),
        2 => at.prop_map(|at| Mutation::Delete { at }),
        1 => (at, prop_oneof![Just(NewName::Typo), Just(NewName::Unknown)])
            .prop_map(|(at, to)| Mutation::Rename { at, to }),
        2 => at.prop_map(|at| Mutation::Duplicate { at }),
        4 => (
            at,
            any::<usize>(),
            prop_oneof![
                3 => Just(SwapSource::SameKey),
                2 => Just(SwapSource::Document),
                1 => Just(SwapSource::Schema),
                1 => Just(SwapSource::Unknown),
            ]
        )
            .prop_map(|(at, pick, from)| Mutation::Swap { at, pick, from }),
        1 => at.prop_map(|at| Mutation::Empty { at }),
    ]
}

/// One byte-level mutation.
pub fn text_mutation() -> impl Strategy<Value = TextMutation> {
    let at = any::<usize>();
    prop_oneof![
        (0u16..1000).prop_map(|keep_permille| TextMutation::Truncate { keep_permille }),
        (
            at,
            prop_oneof![Just(401usize), Just(5_000), Just(70_000)],
            prop_oneof![
                Just(LongLine::Comment),
                Just(LongLine::Key),
                Just(LongLine::Junk)
            ]
        )
            .prop_map(|(at, len, kind)| TextMutation::LongLine { at, len, kind }),
        Just(TextMutation::Crlf),
        at.prop_map(|at| TextMutation::LoneCr { at }),
        Just(TextMutation::Bom),
        at.prop_map(|at| TextMutation::BomInside { at }),
        (at, 0x80u8..=0xff).prop_map(|(at, byte)| TextMutation::InvalidUtf8 { at, byte }),
        at.prop_map(|at| TextMutation::Nul { at }),
    ]
}

/// A case over `seeds` seeds with up to `max_mutations` document mutations, byte damage in one
/// case of `text_one_in` (never when 0), and JSON in about one case of five.
pub fn case(seeds: usize, max_mutations: usize, text_one_in: u32) -> impl Strategy<Value = Case> {
    let text = if text_one_in == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop_oneof![
            text_one_in - 1 => Just(Vec::new()),
            1 => proptest::collection::vec(text_mutation(), 1..=2),
        ]
        .boxed()
    };
    (
        0..seeds,
        proptest::bool::weighted(0.2),
        proptest::collection::vec(mutation(), 1..=max_mutations),
        text,
    )
        .prop_map(|(seed, json, mutations, text)| Case {
            seed,
            json,
            mutations,
            text,
        })
}

/// Applies one mutation (a mutation with nothing to act on leaves the document as it is).
pub fn apply(doc: &mut Table, mutation: &Mutation, dictionary: &Dictionary) {
    let all = values(doc);
    if all.is_empty() {
        return;
    }
    let pick_in = |paths: &[DocPath], at: usize| paths[at % paths.len()].clone();
    let all_paths: Vec<DocPath> = all.iter().map(|(p, _)| p.clone()).collect();
    let keyed: Vec<DocPath> = all_paths
        .iter()
        .filter(|p| matches!(p.last(), Some(Seg::Key(_))))
        .cloned()
        .collect();
    let of = |want: fn(&Value) -> bool| -> Vec<DocPath> {
        all.iter()
            .filter(|(_, v)| want(v))
            .map(|(p, _)| p.clone())
            .collect()
    };
    match *mutation {
        Mutation::Extreme { at, value } => {
            let numbers = of(|v| matches!(v, Value::Integer(_) | Value::Float(_)));
            let path = pick_in(
                if numbers.is_empty() {
                    &all_paths
                } else {
                    &numbers
                },
                at,
            );
            if let Some(v) = get_mut(doc, &path) {
                *v = value.value();
            }
        }
        Mutation::Scale { at, factor } => {
            let numbers = of(|v| matches!(v, Value::Integer(_) | Value::Float(_)));
            if numbers.is_empty() {
                return;
            }
            let path = pick_in(&numbers, at);
            if let Some(v) = get_mut(doc, &path)
                && let Some(scaled) = factor.scale(v)
            {
                *v = scaled;
            }
        }
        Mutation::Retype { at, to } => {
            let path = pick_in(&all_paths, at);
            if let Some(v) = get_mut(doc, &path) {
                *v = retyped(v, to);
            }
        }
        Mutation::Delete { at } => {
            let path = pick_in(&all_paths, at);
            match path.split_last() {
                Some((Seg::Index(i), parent)) => {
                    if let Some(Value::Array(a)) = get_mut(doc, parent) {
                        a.remove(*i);
                    }
                }
                _ => {
                    if let Some((table, key)) = parent_table(doc, &path) {
                        table.remove(&key);
                    }
                }
            }
        }
        Mutation::Rename { at, to } => {
            if keyed.is_empty() {
                return;
            }
            let path = pick_in(&keyed, at);
            if let Some((table, key)) = parent_table(doc, &path) {
                let new = match to {
                    NewName::Typo if key.len() > 1 => key[..key.len() - 1].to_owned(),
                    NewName::Typo => format!("{key}s"),
                    NewName::Unknown => "no-such-key".to_owned(),
                };
                if let Some(v) = table.remove(&key) {
                    table.insert(new, v);
                }
            }
        }
        Mutation::Duplicate { at } => {
            let containers = of(|v| matches!(v, Value::Table(_) | Value::Array(_)));
            if containers.is_empty() {
                return;
            }
            let path = pick_in(&containers, at);
            match path.split_last() {
                Some((Seg::Index(i), parent)) => {
                    if let Some(Value::Array(a)) = get_mut(doc, parent) {
                        let copy = a[*i].clone();
                        a.insert(*i + 1, copy);
                    }
                }
                _ => {
                    if let Some((table, key)) = parent_table(doc, &path) {
                        let copy = table[&key].clone();
                        let mut new = format!("{key}-copy");
                        while table.contains_key(&new) {
                            new.push('2');
                        }
                        table.insert(new, copy);
                    }
                }
            }
        }
        Mutation::Swap { at, pick, from } => {
            let strings = of(|v| matches!(v, Value::String(_)));
            if strings.is_empty() {
                return;
            }
            let path = pick_in(&strings, at);
            let pool: Vec<String> = match from {
                SwapSource::SameKey => last_key(&path)
                    .and_then(|k| dictionary.by_key.get(&k).cloned())
                    .unwrap_or_default(),
                SwapSource::Document => document_names(doc),
                SwapSource::Schema => dictionary.schema.clone(),
                SwapSource::Unknown => vec![
                    "no-such-name".to_owned(),
                    "no-such.endpoint".to_owned(),
                    "nobody -> nothing".to_owned(),
                    String::new(),
                ],
            };
            if pool.is_empty() {
                return;
            }
            let word = pool[pick % pool.len()].clone();
            if let Some(v) = get_mut(doc, &path) {
                *v = Value::String(word);
            }
        }
        Mutation::Empty { at } => {
            let containers = of(|v| matches!(v, Value::Table(_) | Value::Array(_)));
            if containers.is_empty() {
                return;
            }
            let path = pick_in(&containers, at);
            match get_mut(doc, &path) {
                Some(Value::Table(t)) => t.clear(),
                Some(Value::Array(a)) => a.clear(),
                _ => {}
            }
        }
    }
}

/// Every string value, every key and every `service.endpoint` of the document, sorted.
fn document_names(doc: &Table) -> Vec<String> {
    let mut names = BTreeSet::new();
    for (path, value) in values(doc) {
        if let Value::String(s) = value {
            names.insert(s.clone());
        }
        if let Some(Seg::Key(k)) = path.last() {
            names.insert(k.clone());
        }
        if let [
            Seg::Key(s),
            Seg::Key(service),
            Seg::Key(e),
            Seg::Key(endpoint),
        ] = &path[..]
            && s == "services"
            && e == "endpoints"
        {
            names.insert(format!("{service}.{endpoint}"));
        }
    }
    names.into_iter().collect()
}

/// `value` as a value of type `to`, keeping what can be kept.
fn retyped(value: &Value, to: Kind) -> Value {
    match to {
        Kind::String => Value::String(match value {
            Value::String(s) => format!("{s}{s}"),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Boolean(b) => b.to_string(),
            _ => "table".to_owned(),
        }),
        Kind::Integer => Value::Integer(match value {
            Value::Integer(i) => i.wrapping_add(1),
            Value::Float(f) => *f as i64,
            Value::Boolean(b) => i64::from(*b),
            _ => 7,
        }),
        Kind::Float => Value::Float(match value {
            Value::Integer(i) => *i as f64,
            Value::Float(f) => f * 1.5,
            _ => 2.5,
        }),
        Kind::Bool => Value::Boolean(!matches!(value, Value::Boolean(true))),
        Kind::Array => match value {
            Value::Array(a) => Value::Array(a.iter().cloned().chain(a.first().cloned()).collect()),
            v => Value::Array(vec![v.clone()]),
        },
        Kind::Table => match value {
            Value::Table(t) => {
                let mut t = t.clone();
                t.insert("extra".to_owned(), Value::Integer(1));
                Value::Table(t)
            }
            v => Value::Table(Table::from_iter([("value".to_owned(), v.clone())])),
        },
    }
}

/// The bytes of a mutated case, and the file extension they are to be read as.
pub fn render(case: &Case, seeds: &[Seed], dictionary: &Dictionary) -> (Vec<u8>, &'static str) {
    let seed = &seeds[case.seed % seeds.len()];
    let mut doc = seed.doc.clone();
    for m in &case.mutations {
        apply(&mut doc, m, dictionary);
    }
    let text = if case.json {
        serde_json::to_string_pretty(&doc).ok()
    } else {
        toml::to_string(&doc).ok()
    };
    // A document the serializer refuses stays the seed, damaged at the byte level only.
    let text = text.unwrap_or_else(|| seed.text.clone());
    let text = text.replace(&format!("\"{U64_MAX_MARK}\""), &u64::MAX.to_string());
    let mut bytes = text.into_bytes();
    for t in &case.text {
        damage(&mut bytes, t);
    }
    (bytes, if case.json { "json" } else { "toml" })
}

fn damage(bytes: &mut Vec<u8>, mutation: &TextMutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match *mutation {
        TextMutation::Truncate { keep_permille } => {
            let keep = bytes.len() * usize::from(keep_permille) / 1000;
            bytes.truncate(keep);
        }
        TextMutation::LongLine { at: i, len, kind } => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(
                    bytes
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect();
            let start = starts[i % starts.len()];
            let body = "x".repeat(len);
            let line = match kind {
                LongLine::Comment => format!("# {body}\n"),
                LongLine::Key => format!("long_unknown_key = \"{body}\"\n"),
                LongLine::Junk => format!("{body}\n"),
            };
            bytes.splice(start..start, line.into_bytes());
        }
        TextMutation::Crlf => {
            let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
            for &b in bytes.iter() {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            *bytes = out;
        }
        TextMutation::LoneCr { at: i } => {
            let i = at(i, bytes.len());
            bytes.insert(i, b'\r');
        }
        TextMutation::Bom => {
            bytes.splice(0..0, "\u{feff}".bytes());
        }
        TextMutation::BomInside { at: i } => {
            let i = char_boundary(bytes, at(i, bytes.len()));
            bytes.splice(i..i, "\u{feff}".bytes());
        }
        TextMutation::InvalidUtf8 { at: i, byte } => {
            let i = at(i, bytes.len());
            bytes.insert(i, byte);
        }
        TextMutation::Nul { at: i } => {
            let i = at(i, bytes.len());
            bytes.insert(i, 0);
        }
    }
}

/// The last position at or before `i` that does not split a UTF-8 sequence.
fn char_boundary(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && i < bytes.len() && (bytes[i] & 0b1100_0000) == 0b1000_0000 {
        i -= 1;
    }
    i
}
