//! docker-compose files (v2, v3 and the Compose Specification without `version`) read into a
//! plain description: the services with their image, replicas (`deploy.replicas`, or v2
//! `scale`; 1 when absent), `deploy.resources` limits and reservations (or v2's `cpus`,
//! `mem_limit`, `mem_reservation`) in the model's units, and the edges between services that `depends_on`, `links`, `environment` values and
//! `command`/`entrypoint` addresses name, each derived value with the file, line and column it
//! came from. Top-level sections and service keys that do not change a verdict (networks,
//! volumes, ports, restart, ...) are listed once as skipped, never silently dropped; `${VAR}`
//! interpolation is kept verbatim with a note, since the values come from the deploying shell.
//!
//! A service is addressed by its name (compose's network DNS), so an environment value or a
//! command names another service only if the name is a whole host there (`user-db:27017`,
//! `http://carts/`, `--db=orders-db`), found as the Kubernetes reader finds them; a service
//! naming itself (hotel-reservation's `entrypoint: frontend`) is not a call.

use std::path::PathBuf;

use microcosm_model::diagnostic::{Diagnostic, Location, codes};

use crate::kubernetes::{Located, hosts};
use crate::yaml::{Node, Provenance, YamlFile};

/// CPU and memory of `deploy.resources.limits` or `.reservations`, either of which may be unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `cpus` in millicores (`'0.5'` is 500).
    pub cpu_millis: Option<Located<u32>>,
    /// `memory` in MiB, rounded up (compose's units are binary: `512M`, `1g`, `256m`).
    pub memory_mib: Option<Located<u32>>,
}

/// One service of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service's key under `services`, located: the host name other services call.
    pub name: Located<String>,
    /// `image`, if given (a service may only `build`).
    pub image: Option<Located<String>>,
    /// `deploy.replicas` or v2 `scale`; when absent compose runs 1, and `at` is the name.
    pub replicas: Located<u32>,
    /// Whether `replicas` was written or is the default.
    pub replicas_defaulted: bool,
    /// `deploy.resources.limits`.
    pub limits: Resources,
    /// `deploy.resources.reservations`.
    pub reservations: Resources,
}

/// What made an [`Edge`]: compose's ordering, a legacy link, or an address in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `depends_on` (start order: the dependent usually calls what it waits for).
    DependsOn,
    /// `links` (v2's explicit connection).
    Link,
    /// An `environment`, `command` or `entrypoint` value addressing the service.
    Address,
}

/// An edge from one service to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The service that names the other.
    pub from: String,
    /// The service named.
    pub to: String,
    /// What made the edge.
    pub kind: EdgeKind,
    /// Where the name was: `depends_on`, `links`, `environment MONGO_HOST`, `command[2]`, ...
    pub via: String,
    /// The text naming the service, located.
    pub text: Located<String>,
}

/// A key that is not modelled, listed once however many services use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The key: `volumes` for a top-level section, `restart` or `deploy.restart_policy` for
    /// a service's.
    pub key: String,
    /// The services that use it (empty for a top-level section).
    pub services: Vec<String>,
    /// Its first occurrence.
    pub at: Provenance,
}

/// Something kept as written that a reader should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What is noted.
    pub message: String,
    /// Where.
    pub at: Provenance,
}

/// Everything read from one compose file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compose {
    /// Services in file order.
    pub services: Vec<Service>,
    /// Edges, grouped by service in file order.
    pub edges: Vec<Edge>,
    /// Keys not modelled, in order of first occurrence.
    pub skipped: Vec<Skipped>,
    /// Interpolations (`${VAR}`) kept verbatim, one per value.
    pub notes: Vec<Note>,
}

/// Top-level keys that carry no service and no verdict: `version` is obsolete in the
/// Compose Specification and `name` is the project's.
const IGNORED_TOP: &[&str] = &["version", "name"];

/// Service keys this reader models.
const MODELLED: &[&str] = &[
    "image",
    "cpus",
    "mem_limit",
    "mem_reservation",
    "deploy",
    "scale",
    "depends_on",
    "links",
    "environment",
    "command",
    "entrypoint",
];

/// Reads one compose file's text; malformed input is a located error.
pub fn read(file: impl Into<PathBuf>, text: &str) -> Result<Compose, Diagnostic> {
    let yaml = YamlFile::parse(file, text)?;
    let mut docs = yaml.documents.iter().filter(|d| !d.is_null());
    let Some(doc) = docs.next() else {
        return Err(
            Diagnostic::error(codes::EMPTY, "this compose file is empty")
                .with_help("a compose file needs `services:` with at least one service under it")
                .at(Location::new(&yaml.file, yaml.text.clone(), 0..0)),
        );
    };
    if let Some(second) = docs.next() {
        return Err(yaml.error_at(
            second,
            codes::UNKNOWN_FORMAT,
            "a compose file is one YAML document; this is a second one",
            "split the documents into separate compose files",
        ));
    }
    let Some(top) = doc.as_mapping() else {
        return Err(yaml.error_at(
            doc,
            codes::WRONG_TYPE,
            "a compose file must be a mapping with `services:`",
            "write `services:` then one key per service",
        ));
    };
    let mut out = Compose::default();
    for (key, _) in top {
        let name = key.as_str().unwrap_or("");
        if name != "services" && !IGNORED_TOP.contains(&name) {
            out.skipped.push(Skipped {
                key: name.to_string(),
                services: Vec::new(),
                at: key.provenance(&yaml.file),
            });
        }
    }
    let Some(services) = doc.get("services") else {
        return Err(yaml.error_at(
            doc,
            codes::MISSING_FIELD,
            "this compose file has no `services:`",
            "put the services under `services:` (the v1 format, services at the top level, \
             is not supported: compose itself no longer reads it)",
        ));
    };
    let Some(entries) = services.as_mapping() else {
        return Err(yaml.error_at(
            services,
            codes::WRONG_TYPE,
            "`services` must be a mapping from service name to its definition",
            "e.g. `services:\\n  web:\\n    image: nginx`",
        ));
    };
    let names: Vec<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
    for (key, def) in entries {
        out.notes.extend(interpolations(&yaml, def));
        service(&yaml, key, def, &names, &mut out)?;
    }
    Ok(out)
}

fn service(
    yaml: &YamlFile,
    key: &Node,
    def: &Node,
    names: &[&str],
    out: &mut Compose,
) -> Result<(), Diagnostic> {
    let name = key.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
        yaml.error_at(
            key,
            codes::INVALID_NAME,
            "a service name must be a non-empty string",
            "e.g. `web:`",
        )
    })?;
    let Some(keys) = def.as_mapping() else {
        return Err(yaml.error_at(
            def,
            codes::WRONG_TYPE,
            format!("service `{name}` must be a mapping of its settings"),
            "e.g. `image: nginx`",
        ));
    };
    let name_at = key.provenance(&yaml.file);
    for (k, v) in keys {
        let k_name = k.as_str().unwrap_or("");
        if k_name == "deploy" {
            for (dk, _) in v.as_mapping().unwrap_or(&[]) {
                let dk_name = dk.as_str().unwrap_or("");
                if dk_name != "replicas" && dk_name != "resources" {
                    skip(out, format!("deploy.{dk_name}"), name, dk, yaml);
                }
            }
        } else if !MODELLED.contains(&k_name) {
            skip(out, k_name.to_string(), name, k, yaml);
        }
    }
    let image = def
        .get("image")
        .map(|node| {
            node.as_str()
                .map(|s| Located {
                    value: s.to_string(),
                    at: node.provenance(&yaml.file),
                })
                .ok_or_else(|| {
                    yaml.error_at(
                        node,
                        codes::WRONG_TYPE,
                        "`image` must be a string",
                        "e.g. `image: mongo:5.0`",
                    )
                })
        })
        .transpose()?;
    if let Some(deploy) = def
        .get("deploy")
        .filter(|d| d.as_mapping().is_none() && !d.is_null())
    {
        return Err(yaml.error_at(
            deploy,
            codes::WRONG_TYPE,
            "`deploy` must be a mapping",
            "e.g. `deploy: {replicas: 2}`",
        ));
    }
    let count = |node: &Node| {
        node.as_str()
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| {
                yaml.error_at(
                    node,
                    codes::WRONG_TYPE,
                    "replicas must be a whole number",
                    "e.g. `replicas: 3`",
                )
            })
    };
    let deploy_replicas = def.path(&["deploy", "replicas"]).filter(|n| !n.is_null());
    let scale = def.get("scale").filter(|n| !n.is_null());
    // Compose accepts both only when they agree: two counts would leave the replicas undecided.
    if let (Some(d), Some(s)) = (deploy_replicas, scale) {
        let (d_count, s_count) = (count(d)?, count(s)?);
        if d_count != s_count {
            return Err(yaml.error_at(
                s,
                codes::INCONSISTENT,
                format!(
                    "`scale: {s_count}` contradicts `deploy.replicas: {d_count}` at line {}",
                    d.line
                ),
                "keep one of the two (`deploy.replicas` is the current form)",
            ));
        }
    }
    let (replicas, replicas_defaulted) = match deploy_replicas.or(scale) {
        Some(node) => {
            let at = node.provenance(&yaml.file);
            (
                Located {
                    value: count(node)?,
                    at,
                },
                false,
            )
        }
        None => (
            Located {
                value: 1,
                at: name_at.clone(),
            },
            true,
        ),
    };
    let resources = def.path(&["deploy", "resources"]);
    let mut limits = resources_of(yaml, resources.and_then(|r| r.get("limits")))?;
    let mut reservations = resources_of(yaml, resources.and_then(|r| r.get("reservations")))?;
    // v2's service-level keys say the same; `deploy.resources` wins where both are written.
    let v2 = |key: &str, convert: fn(&str) -> Result<u32, String>, help: &str| {
        quantity(yaml, def, key, convert, help)
    };
    if limits.cpu_millis.is_none() {
        limits.cpu_millis = v2("cpus", cpu_millis, CPU_HELP)?;
    }
    if limits.memory_mib.is_none() {
        limits.memory_mib = v2("mem_limit", memory_mib, MEMORY_HELP)?;
    }
    if reservations.memory_mib.is_none() {
        reservations.memory_mib = v2("mem_reservation", memory_mib, MEMORY_HELP)?;
    }
    out.services.push(Service {
        name: Located {
            value: name.to_string(),
            at: name_at,
        },
        image,
        replicas,
        replicas_defaulted,
        limits,
        reservations,
    });
    edges(yaml, name, def, names, out)
}

fn skip(out: &mut Compose, key: String, service: &str, node: &Node, yaml: &YamlFile) {
    match out
        .skipped
        .iter_mut()
        .find(|s| s.key == key && !s.services.is_empty())
    {
        Some(s) => s.services.push(service.to_string()),
        None => out.skipped.push(Skipped {
            key,
            services: vec![service.to_string()],
            at: node.provenance(&yaml.file),
        }),
    }
}

fn edges(
    yaml: &YamlFile,
    from: &str,
    def: &Node,
    names: &[&str],
    out: &mut Compose,
) -> Result<(), Diagnostic> {
    let located = |node: &Node, value: &str| Located {
        value: value.to_string(),
        at: node.provenance(&yaml.file),
    };
    // depends_on: a list of names, or a map from name to `{condition: ...}`.
    if let Some(node) = def.get("depends_on") {
        let targets: Vec<&Node> = match &node.value {
            crate::yaml::Value::Sequence(items) => items.iter().collect(),
            crate::yaml::Value::Mapping(entries) => entries.iter().map(|(k, _)| k).collect(),
            _ => {
                return Err(yaml.error_at(
                    node,
                    codes::WRONG_TYPE,
                    "`depends_on` must be a list of service names or a mapping of them",
                    "e.g. `depends_on: [db]`",
                ));
            }
        };
        for target in targets {
            let to = known(yaml, target, names, "depends_on")?;
            out.edges.push(Edge {
                from: from.to_string(),
                to: to.to_string(),
                kind: EdgeKind::DependsOn,
                via: "depends_on".into(),
                text: located(target, to),
            });
        }
    }
    // links: `service` or `service:alias`.
    if let Some(node) = def.get("links") {
        let items = node.as_sequence().ok_or_else(|| {
            yaml.error_at(
                node,
                codes::WRONG_TYPE,
                "`links` must be a list",
                "e.g. `links: [db, cache:redis]`",
            )
        })?;
        for item in items {
            let to = known(yaml, item, names, "links")?;
            out.edges.push(Edge {
                from: from.to_string(),
                to: to.to_string(),
                kind: EdgeKind::Link,
                via: "links".into(),
                text: located(item, item.as_str().unwrap_or(to)),
            });
        }
    }
    // Values that may carry an address: environment values, command and entrypoint words.
    let mut mentions: Vec<(String, &Node, &str)> = Vec::new();
    if let Some(node) = def.get("environment") {
        match &node.value {
            crate::yaml::Value::Sequence(items) => {
                for item in items {
                    let text = item.as_str().ok_or_else(|| env_error(yaml, item))?;
                    // `- TLS` passes the deploying shell's value: nothing here to read.
                    if let Some((var, value)) = text.split_once('=') {
                        mentions.push((format!("environment {var}"), item, value));
                    }
                }
            }
            crate::yaml::Value::Mapping(entries) => {
                for (k, v) in entries {
                    if let (Some(var), Some(value)) = (k.as_str(), v.as_str()) {
                        mentions.push((format!("environment {var}"), v, value));
                    }
                }
            }
            crate::yaml::Value::Null => {}
            crate::yaml::Value::Scalar(_) => return Err(env_error(yaml, node)),
        }
    }
    for key in ["entrypoint", "command"] {
        let Some(node) = def.get(key) else { continue };
        match &node.value {
            crate::yaml::Value::Scalar(s) => mentions.push((key.to_string(), node, s)),
            crate::yaml::Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = item.as_str() {
                        mentions.push((format!("{key}[{i}]"), item, s));
                    }
                }
            }
            _ => {}
        }
    }
    for (via, node, value) in mentions {
        let mut named: Vec<&str> = Vec::new();
        let mut candidates = hosts(value);
        // A command written as one string is a shell line: a word that is a flag's argument
        // (`-h edge-router`) is as much an address as `--host=edge-router`. (A list's items
        // are single words, which `hosts` already reads whole.)
        if via == "command" || via == "entrypoint" {
            candidates.extend(flag_arguments(value));
        }
        for host in candidates {
            let Some(&to) = names.iter().find(|n| **n == host) else {
                continue;
            };
            if to == from || named.contains(&to) {
                continue;
            }
            named.push(to);
            out.edges.push(Edge {
                from: from.to_string(),
                to: to.to_string(),
                kind: EdgeKind::Address,
                via: via.clone(),
                text: located(node, node.as_str().unwrap_or(value)),
            });
        }
    }
    Ok(())
}

/// The words of a shell line that follow a flag (`-h`, `--host`), so are its argument.
fn flag_arguments(line: &str) -> Vec<&str> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0].starts_with('-') && !w[0].contains('='))
        .map(|w| w[1])
        .collect()
}

fn env_error(yaml: &YamlFile, node: &Node) -> Diagnostic {
    yaml.error_at(
        node,
        codes::WRONG_TYPE,
        "`environment` must be a list of `KEY=value` or a mapping of `KEY: value`",
        "e.g. `environment: [MONGO_HOST=user-db:27017]`",
    )
}

/// The service a `depends_on` or `links` entry names, which must be one of the file's.
fn known<'a>(
    yaml: &YamlFile,
    node: &Node,
    names: &[&'a str],
    key: &str,
) -> Result<&'a str, Diagnostic> {
    let text = node.as_str().ok_or_else(|| {
        yaml.error_at(
            node,
            codes::WRONG_TYPE,
            format!("a `{key}` entry must be a service name"),
            "e.g. `db`",
        )
    })?;
    // `links` entries may carry an alias: `db:database`.
    let target = if key == "links" {
        text.split(':').next().unwrap_or(text)
    } else {
        text
    };
    names
        .iter()
        .find(|n| **n == target)
        .copied()
        .ok_or_else(|| {
            yaml.error_at(
                node,
                codes::UNRESOLVED,
                format!("`{key}` names `{target}`, which is not a service of this file"),
                format!("name one of: {}", names.join(", ")),
            )
        })
}

const CPU_HELP: &str = "write cpus as a number: `'0.5'`, `2`";
const MEMORY_HELP: &str = "write memory as bytes with a unit: `512M`, `1g`, `256m`";

fn resources_of(yaml: &YamlFile, node: Option<&Node>) -> Result<Resources, Diagnostic> {
    let Some(node) = node else {
        return Ok(Resources::default());
    };
    Ok(Resources {
        cpu_millis: quantity(yaml, node, "cpus", cpu_millis, CPU_HELP)?,
        memory_mib: quantity(yaml, node, "memory", memory_mib, MEMORY_HELP)?,
    })
}

/// The value under `key` of `node` converted to the model's unit, located; a value that does
/// not convert is an error at it.
fn quantity(
    yaml: &YamlFile,
    node: &Node,
    key: &str,
    convert: fn(&str) -> Result<u32, String>,
    help: &str,
) -> Result<Option<Located<u32>>, Diagnostic> {
    let Some(q) = node.get(key) else {
        return Ok(None);
    };
    let value = convert(q.as_str().unwrap_or(""))
        .map_err(|message| yaml.error_at(q, codes::WRONG_TYPE, message, help))?;
    Ok(Some(Located {
        value,
        at: q.provenance(&yaml.file),
    }))
}

/// `cpus` (`'0.5'`, `2`) in millicores, rounded to the nearest.
fn cpu_millis(text: &str) -> Result<u32, String> {
    let cpus: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|c: &f64| c.is_finite() && *c >= 0.0)
        .ok_or_else(|| format!("`{text}` is not a number of CPUs"))?;
    let millis = (cpus * 1000.0).round();
    if millis > f64::from(u32::MAX) {
        return Err(format!("`{text}` CPUs is more than this reader can hold"));
    }
    Ok(millis as u32)
}

/// A compose byte value in MiB, rounded up: a number, then an optional `b`, `k`, `m`, `g`, `t`
/// (any case, optionally followed by `b` or `ib`), all binary, as Docker reads them.
fn memory_mib(text: &str) -> Result<u32, String> {
    let bad = || format!("`{text}` is not a memory size");
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let amount: f64 = t[..digits].parse().map_err(|_| bad())?;
    let unit = t[digits..].trim().to_ascii_lowercase();
    let shift = match unit.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad()),
    };
    let mib = (amount * 2f64.powi(shift - 20)).ceil();
    if !mib.is_finite() || mib > f64::from(u32::MAX) {
        return Err(format!("`{text}` is more memory than this reader can hold"));
    }
    Ok(mib as u32)
}

/// A note per scalar under `node` that interpolates the deploying shell's variables (`${VAR}`,
/// `$VAR`; `$$` is a literal dollar).
fn interpolations(yaml: &YamlFile, node: &Node) -> Vec<Note> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.value {
            crate::yaml::Value::Scalar(s) => {
                if interpolates(s) {
                    out.push(Note {
                        message: format!(
                            "`{s}` interpolates the deploying shell's variables: kept verbatim"
                        ),
                        at: n.provenance(&yaml.file),
                    });
                }
            }
            crate::yaml::Value::Sequence(items) => stack.extend(items.iter().rev()),
            crate::yaml::Value::Mapping(entries) => {
                stack.extend(entries.iter().rev().map(|(_, v)| v));
            }
            crate::yaml::Value::Null => {}
        }
    }
    out
}

fn interpolates(s: &str) -> bool {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' {
            match chars.peek() {
                Some('$') => {
                    chars.next();
                }
                Some(&n) if n == '{' || n == '_' || n.is_ascii_alphabetic() => return true,
                _ => {}
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
