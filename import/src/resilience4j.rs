//! Resilience4j configuration from a Spring Boot `application.yml`, read into each instance's
//! effective settings: the sections `resilience4j.circuitbreaker`, `retry`, `bulkhead`,
//! `ratelimiter` and `timelimiter`, each with `configs.<name>` and `instances.<name>`. An
//! instance starts from its `baseConfig` (or from `configs.default` when it names none, as the
//! Spring Boot starter does), its own keys override, and whatever is still unset takes the
//! default Resilience4j's documentation states (resilience4j.readme.io, the "Create and
//! configure" tables of each module; see [`defaults`]). Every value says where it came from:
//! the instance's own line, the config it inherited from, or the documented default.
//!
//! Values are in the model's terms: rates as fractions (`failureRateThreshold: 50` is `0.5`),
//! durations in milliseconds (`10s`, `1000ms`, a bare number of milliseconds as Spring reads
//! it, or ISO-8601 `PT10S`), exception lists kept as lists. Keys may be dotted
//! (`resilience4j.circuitbreaker:` or nested `resilience4j: circuitbreaker:`) and kebab-case
//! (`sliding-window-size`), as Spring's relaxed binding allows. Keys Microcosm does not model
//! (`registerHealthIndicator`, `eventConsumerBufferSize`, other sections such as
//! `thread-pool-bulkhead`, and a config's own `baseConfig`, which is not followed) are listed
//! as skipped with their position, never silently dropped; a value of the wrong type, a
//! negative count, a count below the minimum Resilience4j enforces (1, or 0 concurrent calls)
//! or a rate outside (0, 100] is a located error. Values are checked where an instance uses
//! them, so a config no instance inherits from is not checked.

use std::path::Path;

use microcosm_model::diagnostic::{Diagnostic, codes};
use microcosm_model::scenario::{CircuitBreakerConfig, SlidingWindowType};

use crate::yaml::{Node, Provenance, Value, YamlFile};

pub mod properties;

/// Which Resilience4j module a section configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// `resilience4j.circuitbreaker`.
    CircuitBreaker,
    /// `resilience4j.retry`.
    Retry,
    /// `resilience4j.bulkhead` (the semaphore bulkhead).
    Bulkhead,
    /// `resilience4j.ratelimiter`.
    RateLimiter,
    /// `resilience4j.timelimiter`.
    TimeLimiter,
}

impl Section {
    fn from_key(key: &str) -> Option<Section> {
        Some(match key {
            "circuitbreaker" => Section::CircuitBreaker,
            "retry" => Section::Retry,
            "bulkhead" => Section::Bulkhead,
            "ratelimiter" => Section::RateLimiter,
            "timelimiter" => Section::TimeLimiter,
            _ => return None,
        })
    }

    /// The section's key under `resilience4j.`.
    pub fn key(self) -> &'static str {
        match self {
            Section::CircuitBreaker => "circuitbreaker",
            Section::Retry => "retry",
            Section::Bulkhead => "bulkhead",
            Section::RateLimiter => "ratelimiter",
            Section::TimeLimiter => "timelimiter",
        }
    }
}

/// How a setting's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A non-negative whole number.
    Count,
    /// A percentage in (0, 100], kept as a fraction.
    Percent,
    /// A duration, kept in milliseconds.
    Duration,
    /// `true` or `false`.
    Bool,
    /// `COUNT_BASED` or `TIME_BASED`.
    WindowType,
    /// A list of class names.
    List,
}

/// One setting's value in the model's units.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// A whole number (calls, attempts, permits).
    Count(u32),
    /// A rate as a fraction in (0, 1].
    Fraction(f64),
    /// A duration in milliseconds (Resilience4j's 500 ns default refresh period is 0.0005).
    Millis(f64),
    /// A flag.
    Bool(bool),
    /// A circuit breaker's sliding window type.
    WindowType(SlidingWindowType),
    /// Exception class names, in file order.
    List(Vec<String>),
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Written on the instance itself.
    Instance(Provenance),
    /// Inherited from `configs.<name>`, written at the position given.
    Config {
        /// The config's name.
        name: String,
        /// Where the value is written in that config.
        at: Provenance,
    },
    /// Not written anywhere: Resilience4j's documented default.
    Default,
}

/// One effective setting of an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    /// The Resilience4j key, camelCase (`slidingWindowSize`).
    pub key: &'static str,
    /// The value in the model's units.
    pub value: Setting,
    /// Where it came from.
    pub origin: Origin,
}

/// One `instances.<name>` entry with its effective settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Which module.
    pub section: Section,
    /// The instance's name (`backendA`).
    pub name: String,
    /// Where its name is written.
    pub at: Provenance,
    /// The config it starts from: its `baseConfig`, or `default` when it names none and a
    /// `configs.default` exists.
    pub base: Option<String>,
    /// Every setting the section models, in the order of [`defaults`].
    pub settings: Vec<Effective>,
}

impl Instance {
    /// The effective setting `key` (camelCase), if the section models it.
    pub fn get(&self, key: &str) -> Option<&Effective> {
        self.settings.iter().find(|s| s.key == key)
    }

    /// This circuit breaker instance as the model's [`CircuitBreakerConfig`]; `None` for an
    /// instance of another section. Exception lists have no counterpart in the model and stay
    /// in [`Instance::settings`].
    pub fn circuit_breaker_config(&self) -> Option<CircuitBreakerConfig> {
        if self.section != Section::CircuitBreaker {
            return None;
        }
        let mut c = CircuitBreakerConfig::default();
        for s in &self.settings {
            match (s.key, &s.value) {
                ("failureRateThreshold", Setting::Fraction(f)) => c.failure_rate_threshold = *f,
                ("slowCallRateThreshold", Setting::Fraction(f)) => c.slow_call_rate_threshold = *f,
                ("slowCallDurationThreshold", Setting::Millis(m)) => c.slow_call_duration_ms = *m,
                ("slidingWindowType", Setting::WindowType(t)) => c.sliding_window_type = *t,
                ("slidingWindowSize", Setting::Count(n)) => c.sliding_window_size = *n,
                ("minimumNumberOfCalls", Setting::Count(n)) => c.minimum_number_of_calls = *n,
                ("waitDurationInOpenState", Setting::Millis(m)) => {
                    c.wait_duration_in_open_state_ms = *m
                }
                ("permittedNumberOfCallsInHalfOpenState", Setting::Count(n)) => {
                    c.permitted_number_of_calls_in_half_open_state = *n
                }
                ("maxWaitDurationInHalfOpenState", Setting::Millis(m)) => {
                    c.max_wait_duration_in_half_open_state_ms = *m
                }
                ("automaticTransitionFromOpenToHalfOpenEnabled", Setting::Bool(b)) => {
                    c.automatic_transition_from_open_to_half_open_enabled = *b
                }
                _ => {}
            }
        }
        Some(c)
    }
}

/// A key under `resilience4j` that Microcosm does not model, listed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The key's full dotted path (`resilience4j.circuitbreaker.configs.default.registerHealthIndicator`).
    pub key: String,
    /// Where the key is written.
    pub at: Provenance,
}

/// Everything read from one configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resilience4j {
    /// Instances by section, then in file order.
    pub instances: Vec<Instance>,
    /// Keys not modelled, in file order.
    pub skipped: Vec<Skipped>,
}

impl Resilience4j {
    /// The instance `name` of `section`.
    pub fn instance(&self, section: Section, name: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.section == section && i.name == name)
    }
}

/// The settings each section models and the defaults Resilience4j's documentation gives for
/// them (resilience4j.readme.io: CircuitBreaker, Retry, Bulkhead, RateLimiter, TimeLimiter).
/// Exception lists default to empty (every exception is recorded / retried).
pub fn defaults(section: Section) -> Vec<(&'static str, Setting)> {
    use Setting::*;
    match section {
        Section::CircuitBreaker => vec![
            ("failureRateThreshold", Fraction(0.5)),
            ("slowCallRateThreshold", Fraction(1.0)),
            ("slowCallDurationThreshold", Millis(60_000.0)),
            (
                "slidingWindowType",
                WindowType(SlidingWindowType::CountBased),
            ),
            ("slidingWindowSize", Count(100)),
            ("minimumNumberOfCalls", Count(100)),
            ("waitDurationInOpenState", Millis(60_000.0)),
            ("permittedNumberOfCallsInHalfOpenState", Count(10)),
            ("maxWaitDurationInHalfOpenState", Millis(0.0)),
            ("automaticTransitionFromOpenToHalfOpenEnabled", Bool(false)),
            ("recordExceptions", List(Vec::new())),
            ("ignoreExceptions", List(Vec::new())),
        ],
        Section::Retry => vec![
            ("maxAttempts", Count(3)),
            ("waitDuration", Millis(500.0)),
            ("retryExceptions", List(Vec::new())),
            ("ignoreExceptions", List(Vec::new())),
        ],
        Section::Bulkhead => vec![
            ("maxConcurrentCalls", Count(25)),
            ("maxWaitDuration", Millis(0.0)),
        ],
        Section::RateLimiter => vec![
            ("limitForPeriod", Count(50)),
            ("limitRefreshPeriod", Millis(0.0005)),
            ("timeoutDuration", Millis(5_000.0)),
        ],
        Section::TimeLimiter => vec![
            ("timeoutDuration", Millis(1_000.0)),
            ("cancelRunningFuture", Bool(true)),
        ],
    }
}

fn kind_of(value: &Setting) -> Kind {
    match value {
        Setting::Count(_) => Kind::Count,
        Setting::Fraction(_) => Kind::Percent,
        Setting::Millis(_) => Kind::Duration,
        Setting::Bool(_) => Kind::Bool,
        Setting::WindowType(_) => Kind::WindowType,
        Setting::List(_) => Kind::List,
    }
}

/// A leaf of the flattened tree: its dotted path below `resilience4j`, and its key and value.
struct Leaf<'a> {
    path: Vec<String>,
    /// The key that wrote the config's or instance's name (where the instance is).
    name: &'a Node,
    key: &'a Node,
    value: &'a Node,
}

/// One `configs.<name>` or `instances.<name>` entry as written.
struct Group<'a> {
    section: Section,
    instance: bool,
    name: String,
    at: &'a Node,
    entries: Vec<(String, &'a Node, &'a Node)>,
}

/// Reads the Resilience4j sections of one Spring Boot YAML file (`text`, named `file` in
/// provenance and diagnostics); other keys of the file are ignored.
pub fn read(file: &Path, text: &str) -> Result<Resilience4j, Diagnostic> {
    read_tree(&YamlFile::parse(file, text)?)
}

/// Reads the Resilience4j keys of one Spring Boot `application.properties` file, as [`read`]
/// does for YAML: see [`properties`] for the syntax accepted.
pub fn read_properties(file: &Path, text: &str) -> Result<Resilience4j, Diagnostic> {
    read_tree(&properties::parse(file, text)?)
}

fn read_tree(yaml: &YamlFile) -> Result<Resilience4j, Diagnostic> {
    let mut out = Resilience4j::default();
    let mut leaves = Vec::new();
    for doc in &yaml.documents {
        if let Some(entries) = doc.as_mapping() {
            for (k, v) in entries {
                flatten(yaml, k, v, &[], k, &mut leaves, &mut out.skipped)?;
            }
        }
    }
    let mut groups: Vec<Group> = Vec::new();
    for leaf in leaves {
        // path: [section, configs|instances, name, key...]
        let section = Section::from_key(&leaf.path[0]).expect("flatten keeps known sections");
        let instance = leaf.path[1] == "instances";
        let name = leaf.path[2].clone();
        let index = match groups
            .iter()
            .position(|g| g.section == section && g.instance == instance && g.name == name)
        {
            Some(i) => i,
            None => {
                groups.push(Group {
                    section,
                    instance,
                    name,
                    at: leaf.name,
                    entries: Vec::new(),
                });
                groups.len() - 1
            }
        };
        if leaf.path.len() == 3 {
            if !leaf.value.is_null() {
                return Err(yaml.error_at(
                    leaf.value,
                    codes::WRONG_TYPE,
                    format!("`{}` must be a mapping of settings", leaf.path.join(".")),
                    "write the settings indented below the name, e.g. `slidingWindowSize: 10`",
                ));
            }
            continue;
        }
        let key = camel(&leaf.path[3..].join("."));
        let group = &mut groups[index];
        group.entries.retain(|(k, _, _)| *k != key);
        group.entries.push((key, leaf.key, leaf.value));
    }
    for g in groups.iter().filter(|g| g.instance) {
        out.instances
            .push(effective(yaml, g, &groups, &mut out.skipped)?);
    }
    // Configs' own unmodelled keys are listed too, though only instances are output. A
    // config's own `baseConfig` is among them: only an instance's is followed here.
    for g in groups.iter().filter(|g| !g.instance) {
        let table = defaults(g.section);
        for (key, key_node, _) in &g.entries {
            if !table.iter().any(|(k, _)| k == key) {
                push_skipped(&mut out.skipped, yaml, g, key, key_node);
            }
        }
    }
    out.skipped.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(out)
}

fn push_skipped(skipped: &mut Vec<Skipped>, yaml: &YamlFile, g: &Group, key: &str, at: &Node) {
    skipped.push(Skipped {
        key: format!(
            "resilience4j.{}.{}.{}.{key}",
            g.section.key(),
            if g.instance { "instances" } else { "configs" },
            g.name
        ),
        at: at.provenance(&yaml.file),
    });
}

/// Walks `key: value`, splitting dotted keys, keeping what is below a known section's
/// `configs.<name>` or `instances.<name>` and listing every other key under `resilience4j`.
fn flatten<'a>(
    yaml: &YamlFile,
    key: &'a Node,
    value: &'a Node,
    prefix: &[String],
    name: &'a Node,
    leaves: &mut Vec<Leaf<'a>>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), Diagnostic> {
    let Some(text) = key.as_str() else {
        return Ok(());
    };
    let mut path = prefix.to_vec();
    path.extend(text.split('.').map(str::to_string));
    if path[0] != "resilience4j" {
        return Ok(());
    }
    let below = &path[1..];
    // The key that brings the path to `section.configs|instances.<name>` names the group.
    let name = if prefix.len() <= 3 && path.len() >= 4 {
        key
    } else {
        name
    };
    // A section other than the five, or a section key other than configs/instances.
    let known = match below.len() {
        0 => true,
        1 => Section::from_key(&below[0]).is_some(),
        _ => {
            Section::from_key(&below[0]).is_some()
                && (below[1] == "configs" || below[1] == "instances")
        }
    };
    if !known {
        skipped.push(Skipped {
            key: path.join("."),
            at: key.provenance(&yaml.file),
        });
        return Ok(());
    }
    match &value.value {
        Value::Mapping(entries) if below.len() < 4 => {
            for (k, v) in entries {
                flatten(yaml, k, v, &path, name, leaves, skipped)?;
            }
        }
        _ if below.len() < 3 => {
            return Err(yaml.error_at(
                value,
                codes::WRONG_TYPE,
                format!("`{}` must be a mapping", path.join(".")),
                "Resilience4j's settings go under `configs.<name>` or `instances.<name>`",
            ));
        }
        _ => leaves.push(Leaf {
            path: below.to_vec(),
            name,
            key,
            value,
        }),
    }
    Ok(())
}

/// `sliding-window-size` → `slidingWindowSize` (Spring's relaxed binding); camelCase is kept.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn effective(
    yaml: &YamlFile,
    g: &Group,
    groups: &[Group],
    skipped: &mut Vec<Skipped>,
) -> Result<Instance, Diagnostic> {
    let find = |name: &str| {
        groups
            .iter()
            .find(|c| !c.instance && c.section == g.section && c.name == name)
    };
    let base = match g.entries.iter().find(|(k, _, _)| k == "baseConfig") {
        Some((_, _, node)) => {
            let name = node.as_str().unwrap_or_default();
            match find(name) {
                Some(c) => Some(c),
                None => {
                    let known: Vec<&str> = groups
                        .iter()
                        .filter(|c| !c.instance && c.section == g.section)
                        .map(|c| c.name.as_str())
                        .collect();
                    return Err(yaml.error_at(
                        node,
                        codes::UNRESOLVED,
                        format!(
                            "`baseConfig: {name}` names no `resilience4j.{}.configs` entry",
                            g.section.key()
                        ),
                        if known.is_empty() {
                            "add the config under `configs:` or remove `baseConfig`".to_string()
                        } else {
                            format!("the configs are: {}", known.join(", "))
                        },
                    ));
                }
            }
        }
        // The Spring Boot starter starts an instance without baseConfig from `default`.
        None => find("default"),
    };
    let mut settings = Vec::new();
    for (key, default) in defaults(g.section) {
        let own = g.entries.iter().find(|(k, _, _)| k == key);
        let inherited = base.and_then(|c| {
            c.entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|e| (c.name.clone(), e))
        });
        let (value, origin) = match (own, inherited) {
            (Some((_, _, v)), _) => (
                parse(yaml, key, kind_of(&default), v)?,
                Origin::Instance(v.provenance(&yaml.file)),
            ),
            (None, Some((name, (_, _, v)))) => (
                parse(yaml, key, kind_of(&default), v)?,
                Origin::Config {
                    name,
                    at: v.provenance(&yaml.file),
                },
            ),
            (None, None) => (default, Origin::Default),
        };
        settings.push(Effective { key, value, origin });
    }
    let table = defaults(g.section);
    for (key, key_node, _) in &g.entries {
        if key != "baseConfig" && !table.iter().any(|(k, _)| k == key) {
            push_skipped(skipped, yaml, g, key, key_node);
        }
    }
    Ok(Instance {
        section: g.section,
        name: g.name.clone(),
        at: g.at.provenance(&yaml.file),
        base: base.map(|c| c.name.clone()),
        settings,
    })
}

fn parse(yaml: &YamlFile, key: &str, kind: Kind, node: &Node) -> Result<Setting, Diagnostic> {
    let wrong = |what: &str, help: &str| {
        yaml.error_at(
            node,
            codes::WRONG_TYPE,
            format!("`{key}` must be {what}"),
            help.to_string(),
        )
    };
    if kind == Kind::List {
        return match &node.value {
            Value::Sequence(items) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_string).ok_or_else(|| {
                        wrong(
                            "a list of class names",
                            "write `- java.io.IOException` items",
                        )
                    })
                })
                .collect::<Result<_, _>>()
                .map(Setting::List),
            // Spring binds a comma-separated scalar to a list too.
            Value::Scalar(s) => Ok(Setting::List(
                s.split(',').map(|x| x.trim().to_string()).collect(),
            )),
            _ => Err(wrong(
                "a list of class names",
                "write `- java.io.IOException` items",
            )),
        };
    }
    let Some(text) = node.as_str() else {
        return Err(wrong("a single value", "write the value on the key's line"));
    };
    let out_of_range = |message: String, help: &str| {
        yaml.error_at(node, codes::OUT_OF_RANGE, message, help.to_string())
    };
    match kind {
        Kind::Count => {
            if text.starts_with('-') && text[1..].parse::<u64>().is_ok() {
                return Err(out_of_range(
                    format!("`{key}: {text}` is negative"),
                    "a count is a whole number, 0 or more",
                ));
            }
            let n = text
                .parse::<u32>()
                .map_err(|_| wrong("a whole number", "e.g. `10`"))?;
            // Resilience4j rejects these below 1 (a bulkhead of 0 concurrent calls is allowed).
            let least = if key == "maxConcurrentCalls" { 0 } else { 1 };
            if n < least {
                return Err(out_of_range(
                    format!("`{key}: {text}` is below {least}"),
                    "Resilience4j requires at least 1 here",
                ));
            }
            Ok(Setting::Count(n))
        }
        Kind::Percent => {
            let p: f64 = text
                .parse()
                .map_err(|_| wrong("a percentage", "e.g. `50` for half the calls"))?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(out_of_range(
                    format!("`{key}: {text}` is outside (0, 100]"),
                    "Resilience4j's rates are percentages above 0 and at most 100",
                ));
            }
            Ok(Setting::Fraction(p / 100.0))
        }
        Kind::Duration => match duration_ms(text) {
            Some(ms) if ms >= 0.0 => Ok(Setting::Millis(ms)),
            Some(_) => Err(out_of_range(
                format!("`{key}: {text}` is negative"),
                "a duration is 0 or more",
            )),
            None => Err(wrong(
                "a duration",
                "e.g. `500` (milliseconds), `500ms`, `10s`, `2m` or `PT10S`",
            )),
        },
        Kind::Bool => match text {
            "true" => Ok(Setting::Bool(true)),
            "false" => Ok(Setting::Bool(false)),
            _ => Err(wrong("`true` or `false`", "write `true` or `false`")),
        },
        Kind::WindowType => match text {
            "COUNT_BASED" => Ok(Setting::WindowType(SlidingWindowType::CountBased)),
            "TIME_BASED" => Ok(Setting::WindowType(SlidingWindowType::TimeBased)),
            _ => Err(wrong(
                "`COUNT_BASED` or `TIME_BASED`",
                "write `COUNT_BASED` or `TIME_BASED`",
            )),
        },
        Kind::List => unreachable!("lists are read above"),
    }
}

/// A Spring Boot duration in milliseconds: a bare number (milliseconds), a number with a unit
/// (`ns`, `us`, `ms`, `s`, `m`, `h`, `d`), or ISO-8601 (`PT10S`, `PT1M30S`, `P1D`).
fn duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(iso) = text.strip_prefix("PT").or_else(|| text.strip_prefix("pt")) {
        return iso_time(iso);
    }
    if let Some(iso) = text.strip_prefix('P').or_else(|| text.strip_prefix('p')) {
        let (days, rest) = iso.split_once(['D', 'd'])?;
        let time = match rest {
            "" => 0.0,
            r => iso_time(r.strip_prefix('T').or_else(|| r.strip_prefix('t'))?)?,
        };
        return Some(days.parse::<f64>().ok()? * 86_400_000.0 + time);
    }
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "" | "ms" => 1.0,
        "ns" => 1e-6,
        "us" => 1e-3,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    number.is_finite().then_some(number * scale)
}

/// The part of an ISO-8601 duration after `T`: `1H`, `2M`, `10.5S` in that order.
fn iso_time(mut text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0;
    for (unit, scale) in [('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)] {
        if let Some((n, rest)) = text.split_once([unit, unit.to_ascii_lowercase()]) {
            total += n.parse::<f64>().ok()? * scale;
            text = rest;
        }
    }
    text.is_empty().then_some(total)
}

#[cfg(test)]
mod tests;
