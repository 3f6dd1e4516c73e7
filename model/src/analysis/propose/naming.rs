//! Naming the proposed services: a service takes its bounded context's name when its
//! functions declare one, else the words its functions' names share most, leaving out verbs
//! ("get", "create") that say what a function does rather than what it is about. Apart from the
//! proposer because it reads only the graph's names and the partition, never the weights.

use std::collections::{BTreeMap, BTreeSet};

use super::super::graph::FunctionGraph;

/// Words that say what a function does rather than what it is about: never a service name.
const VERBS: &[&str] = &[
    "a",
    "add",
    "all",
    "an",
    "and",
    "apply",
    "by",
    "calc",
    "calculate",
    "cancel",
    "check",
    "compute",
    "create",
    "del",
    "delete",
    "do",
    "edit",
    "fetch",
    "find",
    "for",
    "from",
    "get",
    "handle",
    "handler",
    "in",
    "is",
    "list",
    "load",
    "make",
    "new",
    "of",
    "on",
    "or",
    "process",
    "put",
    "read",
    "remove",
    "run",
    "save",
    "search",
    "send",
    "set",
    "show",
    "the",
    "to",
    "update",
    "validate",
    "view",
    "with",
    "write",
];

/// Splits `placeOrder`, `place_order`, `place-order`, `Order.place` into lower-case words.
pub(super) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A valid scenario name from any text.
fn sanitise(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "service".to_owned()
    } else {
        s
    }
}

/// Names each community: its context, or the noun most of its functions' names share, made
/// unique with a numeric suffix.
pub(super) fn name_services(
    graph: &FunctionGraph,
    of: &[usize],
    communities: usize,
) -> Vec<String> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); communities];
    for (v, &c) in of.iter().enumerate() {
        members[c].push(v);
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut names = Vec::with_capacity(communities);
    for (c, list) in members.iter().enumerate() {
        let context = list.iter().find_map(|&v| graph.contexts()[v].as_deref());
        let base = match context {
            Some(context) => sanitise(context),
            None => {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for &v in list {
                    let unique: BTreeSet<String> = words(&graph.names()[v])
                        .into_iter()
                        .filter(|w| w.len() > 1 && !VERBS.contains(&w.as_str()))
                        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
                        .collect();
                    for w in unique {
                        *counts.entry(w).or_default() += 1;
                    }
                }
                // The most shared word not yet taken, alphabetical on ties.
                let mut ranked: Vec<(usize, String)> =
                    counts.into_iter().map(|(w, n)| (n, w)).collect();
                ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                ranked
                    .into_iter()
                    .map(|(_, w)| sanitise(&w))
                    .find(|w| !used.contains(w))
                    .unwrap_or_else(|| format!("service-{}", c + 1))
            }
        };
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        used.insert(name.clone());
        names.push(name);
    }
    names
}
