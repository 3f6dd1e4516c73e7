//! Capacity analysis when the scenario declares the cluster (`[cluster.zones.*]`): whether every
//! zone's replicas fit its nodes, and what remains when one zone is lost.
//!
//! Placement follows the deployment model: replica `i` of a service goes to
//! `zones[i mod len]`; replicas of a service with no zones are left to the scheduler and go to
//! whichever node has room. Each replica requests its service's `resources` (a request left
//! out counts as 0).
//!
//! Fitting replicas onto nodes is two-dimensional bin packing (CPU and memory), NP-hard in
//! general. We place with first-fit decreasing (largest dominant share first), which is what
//! the Kubernetes scheduler approximates, and separate two verdicts: when the total request
//! exceeds the zone's total capacity, or one replica exceeds a whole node, nothing can fit
//! (an error); when the totals fit but first-fit decreasing still leaves replicas unplaced, the
//! zone is too fragmented for this heuristic and may or may not fit (a warning).
//!
//! Losing a zone: its replicas of services that may run in other zones (or anywhere) are
//! rescheduled there, round-robin over the service's surviving zones; a service whose zones are
//! all lost is down. The surviving zones are packed again with everything they must now hold.

use std::collections::BTreeMap;

use super::{Finding, Severity, rules};
use crate::diagnostic::count;
use crate::scenario::{Cluster, Scenario, ZoneCapacity};
use crate::source::Pointer;

/// One replica to place.
#[derive(Debug, Clone, PartialEq)]
struct Replica {
    service: String,
    index: u32,
    cpu: u64,
    memory: u64,
}

/// Where one replica may go: a zone, or anywhere.
type Placement = BTreeMap<Option<String>, Vec<Replica>>;

fn replicas(scenario: &Scenario) -> Placement {
    let mut out: Placement = BTreeMap::new();
    for (name, svc) in &scenario.services {
        let d = scenario.deployment_of(name);
        for i in 0..d.replicas {
            let zone = (!d.zones.is_empty()).then(|| d.zones[i as usize % d.zones.len()].clone());
            out.entry(zone).or_default().push(Replica {
                service: name.clone(),
                index: i,
                cpu: u64::from(svc.resources.cpu_millis.unwrap_or(0)),
                memory: u64::from(svc.resources.memory_mib.unwrap_or(0)),
            });
        }
    }
    out
}

/// Free capacity of every node of the given zones.
fn nodes(cluster: &Cluster, zones: &[&str]) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for zone in zones {
        if let Some(cap) = cluster.zones.get(*zone) {
            for _ in 0..cap.nodes {
                out.push((
                    (*zone).to_owned(),
                    u64::from(cap.node_cpu_millis),
                    u64::from(cap.node_memory_mib),
                ));
            }
        }
    }
    out
}

/// First-fit decreasing of `items` onto `nodes` (free CPU and memory per node, updated in
/// place); returns the items that did not fit.
fn first_fit_decreasing(items: &[Replica], nodes: &mut [(String, u64, u64)]) -> Vec<Replica> {
    let (max_cpu, max_memory) = nodes
        .iter()
        .fold((1, 1), |(c, m), n| (c.max(n.1), m.max(n.2)));
    let share =
        |r: &Replica| (r.cpu as f64 / max_cpu as f64).max(r.memory as f64 / max_memory as f64);
    let mut sorted: Vec<&Replica> = items.iter().collect();
    sorted.sort_by(|a, b| {
        share(b)
            .total_cmp(&share(a))
            .then_with(|| (&a.service, a.index).cmp(&(&b.service, b.index)))
    });
    let mut left = Vec::new();
    for r in sorted {
        match nodes.iter_mut().find(|n| n.1 >= r.cpu && n.2 >= r.memory) {
            Some(n) => {
                n.1 -= r.cpu;
                n.2 -= r.memory;
            }
            None => left.push(r.clone()),
        }
    }
    left
}

fn cores(millis: u64) -> String {
    let c = millis as f64 / 1000.0;
    if c == c.trunc() {
        format!("{c:.0}")
    } else {
        format!("{c:.1}")
    }
}

fn list(replicas: &[Replica]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in replicas {
        *counts.entry(&r.service).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| {
            if *n == 1 {
                (*s).to_owned()
            } else {
                format!("{s} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn totals(replicas: &[Replica]) -> (u64, u64) {
    replicas
        .iter()
        .fold((0, 0), |(c, m), r| (c + r.cpu, m + r.memory))
}

fn capacity(cap: Option<&ZoneCapacity>) -> (u64, u64) {
    cap.map_or((0, 0), |c| {
        (
            u64::from(c.nodes) * u64::from(c.node_cpu_millis),
            u64::from(c.nodes) * u64::from(c.node_memory_mib),
        )
    })
}

/// Whether the shortfall is certain (totals or one replica too large) rather than a heuristic's.
fn certainly_short(replicas: &[Replica], nodes: &[(String, u64, u64)]) -> bool {
    let (cpu, memory) = totals(replicas);
    let (cap_cpu, cap_memory) = nodes.iter().fold((0, 0), |(c, m), n| (c + n.1, m + n.2));
    cpu > cap_cpu
        || memory > cap_memory
        || replicas
            .iter()
            .any(|r| !nodes.iter().any(|n| n.1 >= r.cpu && n.2 >= r.memory))
}

/// Capacity findings for `scenario`; none without a `[cluster]`.
pub fn analyze(scenario: &Scenario) -> Vec<Finding> {
    let Some(cluster) = &scenario.cluster else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let zone_pointer = |z: &str| Pointer::root().key("cluster").key("zones").key(z);
    let placement = replicas(scenario);
    let all_zones: Vec<&str> = cluster.zones.keys().map(String::as_str).collect();

    // Normal operation: each zone's own replicas, then the unzoned ones anywhere.
    let mut free = nodes(cluster, &all_zones);
    for (zone, items) in &placement {
        let Some(zone) = zone else { continue };
        let mut zone_nodes: Vec<(String, u64, u64)> =
            free.iter().filter(|n| n.0 == *zone).cloned().collect();
        let before = zone_nodes.clone();
        let left = first_fit_decreasing(items, &mut zone_nodes);
        // Write the zone's remaining capacity back.
        let mut updated = zone_nodes.into_iter();
        for n in free.iter_mut().filter(|n| n.0 == *zone) {
            *n = updated.next().expect("same nodes");
        }
        let (cpu, memory) = totals(items);
        let (cap_cpu, cap_memory) = capacity(cluster.zones.get(zone));
        if left.is_empty() {
            out.push(Finding::new(
                rules::ZONE_OVERCOMMIT,
                Severity::Info,
                zone_pointer(zone),
                format!(
                    "zone `{zone}` fits its {}: {} of {} cores, {} of {} MiB requested",
                    count(items.len() as f64, "replica"),
                    cores(cpu),
                    cores(cap_cpu),
                    memory,
                    cap_memory
                ),
            ));
            continue;
        }
        let certain = certainly_short(items, &before);
        let (severity, verdict) = if certain {
            (Severity::Error, "cannot fit")
        } else {
            (
                Severity::Warning,
                "may not fit (first-fit decreasing left some unplaced)",
            )
        };
        let mut finding = Finding::new(
            rules::ZONE_OVERCOMMIT,
            severity,
            zone_pointer(zone),
            format!(
                "zone `{zone}` {verdict}: {} request {} cores and {} MiB, its {} offer {} cores and {} MiB; unplaced: {}",
                count(items.len() as f64, "replica"),
                cores(cpu),
                memory,
                count(before.len() as f64, "node"),
                cores(cap_cpu),
                cap_memory,
                list(&left)
            ),
        )
        .with_help("add nodes to the zone, lower the replicas' `resources`, or spread them over more zones");
        if !cluster.zones.contains_key(zone) {
            finding.message = format!(
                "zone `{zone}` has replicas ({}) but no capacity under [cluster.zones]",
                list(items)
            );
        }
        out.push(finding);
    }
    if let Some(anywhere) = placement.get(&None) {
        let left = first_fit_decreasing(anywhere, &mut free);
        if !left.is_empty() {
            out.push(
                Finding::new(
                    rules::ZONE_OVERCOMMIT,
                    Severity::Error,
                    Pointer::root().key("cluster"),
                    format!(
                        "no node has room left for {} unzoned replica{}: {}",
                        left.len(),
                        if left.len() == 1 { "" } else { "s" },
                        list(&left)
                    ),
                )
                .with_help("add nodes, or lower the replicas' `resources`"),
            );
        }
    }

    if all_zones.len() >= 2 {
        for lost in &all_zones {
            out.push(zone_loss(scenario, cluster, &all_zones, lost));
        }
    }
    out
}

/// What remains when zone `lost` is lost.
fn zone_loss(scenario: &Scenario, cluster: &Cluster, zones: &[&str], lost: &str) -> Finding {
    let survivors: Vec<&str> = zones.iter().copied().filter(|z| z != &lost).collect();
    let mut placed: BTreeMap<String, Vec<Replica>> = BTreeMap::new();
    let mut anywhere: Vec<Replica> = Vec::new();
    let mut down: Vec<&str> = Vec::new();
    let mut moved = 0;
    for (name, svc) in &scenario.services {
        let d = scenario.deployment_of(name);
        let replica = |i| Replica {
            service: name.clone(),
            index: i,
            cpu: u64::from(svc.resources.cpu_millis.unwrap_or(0)),
            memory: u64::from(svc.resources.memory_mib.unwrap_or(0)),
        };
        if d.zones.is_empty() {
            anywhere.extend((0..d.replicas).map(replica));
            continue;
        }
        let alive: Vec<&str> = d
            .zones
            .iter()
            .map(String::as_str)
            .filter(|z| *z != lost)
            .collect();
        if alive.is_empty() {
            down.push(name);
            continue;
        }
        let mut next_alive = 0;
        for i in 0..d.replicas {
            let zone = d.zones[i as usize % d.zones.len()].as_str();
            let zone = if zone == lost {
                moved += 1;
                let z = alive[next_alive % alive.len()];
                next_alive += 1;
                z
            } else {
                zone
            };
            placed.entry(zone.to_owned()).or_default().push(replica(i));
        }
    }
    let mut free = nodes(cluster, &survivors);
    let mut left = Vec::new();
    for (zone, items) in &placed {
        let mut zone_nodes: Vec<(String, u64, u64)> =
            free.iter().filter(|n| n.0 == *zone).cloned().collect();
        left.extend(first_fit_decreasing(items, &mut zone_nodes));
        let mut updated = zone_nodes.into_iter();
        for n in free.iter_mut().filter(|n| n.0 == *zone) {
            *n = updated.next().expect("same nodes");
        }
    }
    left.extend(first_fit_decreasing(&anywhere, &mut free));
    let (free_cpu, free_memory) = free.iter().fold((0, 0), |(c, m), n| (c + n.1, m + n.2));

    let mut message = format!(
        "losing zone `{lost}`: {moved} replica{} move to {}",
        if moved == 1 { "" } else { "s" },
        survivors.join(", ")
    );
    let severity = if down.is_empty() && left.is_empty() {
        message.push_str(&format!(
            " and everything fits, leaving {} cores and {free_memory} MiB free",
            cores(free_cpu)
        ));
        Severity::Info
    } else {
        if !down.is_empty() {
            let who = if down.len() == 1 {
                "one service runs only there and goes down"
            } else {
                "services that run only there go down"
            };
            message.push_str(&format!("; {who}: {}", down.join(", ")));
        }
        if !left.is_empty() {
            message.push_str(&format!("; no room is left for {}", list(&left)));
        }
        Severity::Warning
    };
    let finding = Finding::new(
        rules::ZONE_LOSS,
        severity,
        Pointer::root().key("cluster").key("zones").key(lost),
        message,
    );
    if severity == Severity::Warning {
        finding.with_help("spread every service over at least two zones, and keep a zone's worth of spare capacity")
    } else {
        finding
    }
}
