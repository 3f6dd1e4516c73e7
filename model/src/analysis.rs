//! Architecture analysis: the decomposition theorem and quality metrics on the monolith's
//! function graph, service-level findings from the declared calls and events, security-policy
//! findings from the mesh policy, and capacity findings from the deployment and the cluster.
//!
//! [`analyze`] runs everything that applies to a scenario and returns an [`Analysis`]: per
//! service figures, the theorem's report (when the scenario has a monolith) and a list of
//! [`Finding`]s, each with a stable rule id from [`rules`], a severity, a message and the place
//! in the scenario it concerns. [`Analysis::locate`] turns those places into file, line and
//! column once the scenario is known to come from a file. [`propose::propose`] builds a
//! decomposition from a function graph instead of checking one.
//!
//! ```no_run
//! use microcosm_model::analysis::{AnalysisOptions, analyze};
//! let loaded = microcosm_model::load(std::path::Path::new("scenarios/monolith-shop.toml"))?;
//! let mut analysis = analyze(&loaded.scenario, &AnalysisOptions::default());
//! analysis.locate(&loaded);
//! for finding in &analysis.findings {
//!     println!("{} {}", finding.rule, finding.message);
//! }
//! # Ok::<(), microcosm_model::LoadError>(())
//! ```

pub mod capacity;
pub mod community;
pub mod graph;
pub mod input;
pub mod metrics;
pub mod propose;
pub mod retries;
pub mod security;
pub mod services;
pub mod theorem;

use serde::{Serialize, Serializer};

use crate::diagnostic::Location;
use crate::load::LoadedScenario;
use crate::scenario::Scenario;
use crate::source::{Pointer, Target};

pub use graph::{FunctionGraph, GraphOptions};
pub use metrics::{CohesionDefinition, QualityMetrics};
pub use propose::{Proposal, ProposeOptions, propose};
pub use services::ServiceProfile;
pub use theorem::{ServicePart, TheoremReport};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A figure worth knowing (a blast radius, a chain length, what a public endpoint reaches).
    Info,
    /// A risk or smell the architecture can live with (shared database, single point of
    /// failure, unused allow rule).
    Warning,
    /// The architecture is broken as declared (theorem broken, synchronous cycle, denied call):
    /// `analyze` exits 1.
    Error,
}

impl Severity {
    /// The lower-case name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The stable rule ids. They become SARIF rule ids and JUnit test names: never rename one.
pub mod rules {
    /// A monolith function that no service implements (theorem, coverage).
    pub const COVERAGE: &str = "decomposition.coverage";
    /// A service function the monolith does not have (theorem, coverage).
    pub const UNKNOWN_FUNCTION: &str = "decomposition.unknown-function";
    /// A function implemented by two services (theorem, disjointness).
    pub const DISJOINTNESS: &str = "decomposition.disjointness";
    /// An ordered pair whose coupling reaches the first service's cohesion (theorem, cohesion).
    pub const COHESION: &str = "decomposition.cohesion";
    /// A service whose functions fall into groups with no edge between them.
    pub const DISCONNECTED_SERVICE: &str = "decomposition.disconnected-service";
    /// Services that call each other synchronously in a cycle.
    pub const SYNC_CYCLE: &str = "services.sync-cycle";
    /// A data store written by more than one service.
    pub const SHARED_DATABASE: &str = "services.shared-database";
    /// The longest synchronous call chain from an entry endpoint.
    pub const LONGEST_CHAIN: &str = "services.longest-chain";
    /// A service with one replica, or all replicas in one zone, that entry endpoints depend on
    /// with no fallback.
    pub const SINGLE_POINT_OF_FAILURE: &str = "services.single-point-of-failure";
    /// The entry endpoints that fail when a service is down.
    pub const BLAST_RADIUS: &str = "services.blast-radius";
    /// A consumer reading fields the topic's schema lacks or types differently.
    pub const TOPIC_SCHEMA: &str = "topics.schema-mismatch";
    /// A topic that is consumed but that no endpoint publishes.
    pub const TOPIC_NO_PRODUCER: &str = "topics.no-producer";
    /// A call the mesh policy denies.
    pub const DENIED_CALL: &str = "security.denied-call";
    /// An allow rule that no call uses.
    pub const UNUSED_ALLOW: &str = "security.unused-allow";
    /// Plain-text traffic where the mesh requires mutual TLS.
    pub const PLAINTEXT: &str = "security.plaintext";
    /// The data stores a public endpoint can reach.
    pub const DATA_REACHABILITY: &str = "security.data-reachability";
    /// Replicas that do not fit a zone's nodes.
    pub const ZONE_OVERCOMMIT: &str = "capacity.zone-overcommit";
    /// What is left when one zone is lost.
    pub const ZONE_LOSS: &str = "capacity.zone-loss";
    /// How much retries multiply the load on a service that is down, per entry endpoint.
    pub const RETRY_AMPLIFICATION: &str = "resilience.retry-amplification";

    /// Every rule with a one-line description, for SARIF rule tables and docs.
    pub const ALL: &[(&str, &str)] = &[
        (
            COVERAGE,
            "every monolith function is implemented by a service",
        ),
        (
            UNKNOWN_FUNCTION,
            "services implement only functions of the monolith",
        ),
        (DISJOINTNESS, "no function is implemented by two services"),
        (
            COHESION,
            "each service's cohesion exceeds its coupling to every other service",
        ),
        (
            DISCONNECTED_SERVICE,
            "a service's functions are connected in the function graph",
        ),
        (SYNC_CYCLE, "no cycle of synchronous calls between services"),
        (SHARED_DATABASE, "each data store is written by one service"),
        (
            LONGEST_CHAIN,
            "the longest synchronous call chain from an entry endpoint",
        ),
        (
            SINGLE_POINT_OF_FAILURE,
            "no single replica or single zone on an unprotected path",
        ),
        (
            BLAST_RADIUS,
            "the entry endpoints that fail when a service is down",
        ),
        (
            TOPIC_SCHEMA,
            "consumers read only fields the topic's schema has, with its types",
        ),
        (TOPIC_NO_PRODUCER, "every consumed topic has a producer"),
        (DENIED_CALL, "the mesh policy allows every declared call"),
        (UNUSED_ALLOW, "every allow rule is used by a declared call"),
        (
            PLAINTEXT,
            "no plain-text traffic where mutual TLS is strict",
        ),
        (
            DATA_REACHABILITY,
            "the data stores each public endpoint can reach",
        ),
        (ZONE_OVERCOMMIT, "each zone's replicas fit its nodes"),
        (ZONE_LOSS, "what remains when one zone is lost"),
        (
            RETRY_AMPLIFICATION,
            "retries multiply the load on a failed service by at most the bound",
        ),
    ];
}

/// One finding of the analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The stable rule id (see [`rules`]).
    pub rule: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What was found.
    pub message: String,
    /// What would fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where in the scenario, as a document path (`services.orders.functions[2]`).
    #[serde(serialize_with = "serialize_pointer")]
    pub path: Pointer,
    /// Whether the finding concerns the key or the value at `path`.
    #[serde(skip)]
    pub target: Target,
    /// File, line and column, once located (see [`Analysis::locate`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

fn serialize_pointer<S: Serializer>(p: &Pointer, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

impl Finding {
    /// A finding at the key `path`.
    pub fn new(
        rule: &'static str,
        severity: Severity,
        path: Pointer,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            help: None,
            path,
            target: Target::Key,
            location: None,
        }
    }

    /// The same finding about the value at its path rather than the key.
    pub fn at_value(mut self) -> Finding {
        self.target = Target::Value;
        self
    }

    /// The same finding with help.
    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }
}

/// Options of [`analyze`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// The cohesion/coupling definition the theorem uses.
    pub definition: CohesionDefinition,
    /// How the function graph is weighted.
    pub graph: GraphOptions,
    /// Cross edges listed per broken pair.
    pub heaviest: usize,
    /// Synchronous chains longer than this many calls are a warning, not just a figure.
    pub max_chain: usize,
    /// Retry amplification above this is a warning, for entries that no experiment bounds
    /// with its own `max_retry_amplification`.
    pub max_amplification: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            definition: CohesionDefinition::Density,
            graph: GraphOptions::default(),
            heaviest: 3,
            max_chain: 5,
            // Two layers of 3 attempts (9×) pass; a third layer (27×) does not.
            max_amplification: 10.0,
        }
    }
}

/// Everything [`analyze`] found.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Per-service figures, in name order.
    pub services: Vec<ServiceProfile>,
    /// The theorem on the declared decomposition, when the scenario has a monolith and services
    /// that name functions.
    pub theorem: Option<TheoremReport>,
    /// The findings, errors first, then by rule and path.
    pub findings: Vec<Finding>,
}

impl Analysis {
    /// Fills in each finding's file, line and column, and orders the findings as a reader
    /// wants them: errors first, then by rule, then in file order.
    pub fn locate(&mut self, loaded: &LoadedScenario) {
        for f in &mut self.findings {
            f.location = Some(loaded.locate(&f.path, f.target));
        }
        let start = |f: &Finding| f.location.as_ref().map_or(0, |l| l.span.start);
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(b.rule))
                .then_with(|| start(a).cmp(&start(b)))
        });
    }

    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// The declared decomposition: every service that names functions, in name order.
pub fn declared_parts(scenario: &Scenario) -> Vec<ServicePart> {
    scenario
        .services
        .iter()
        .filter(|(_, s)| !s.functions.is_empty())
        .map(|(name, s)| ServicePart {
            name: name.clone(),
            functions: s.functions.clone(),
        })
        .collect()
}

/// Runs every analysis that applies to `scenario`.
pub fn analyze(scenario: &Scenario, options: &AnalysisOptions) -> Analysis {
    let mut findings = Vec::new();
    let theorem = scenario.monolith.as_ref().map(|monolith| {
        let graph = FunctionGraph::from_monolith(monolith, &options.graph);
        let parts = declared_parts(scenario);
        let report = theorem::check(&graph, &parts, options.definition, options.heaviest);
        findings.extend(theorem_findings(scenario, &report));
        report
    });
    let (profiles, service_findings) = services::analyze(scenario, options.max_chain);
    findings.extend(service_findings);
    findings.extend(security::analyze(scenario));
    findings.extend(capacity::analyze(scenario));
    findings.extend(retries::analyze(scenario, options.max_amplification));
    // Each path is rendered once, not twice per comparison (a stable sort keeps ties in order,
    // as before).
    findings.sort_by_cached_key(|f| (std::cmp::Reverse(f.severity), f.rule, f.path.to_string()));
    Analysis {
        services: profiles,
        theorem,
        findings,
    }
}

fn fmt_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

/// The theorem's failures as findings, each at the place the user would edit.
fn theorem_findings(scenario: &Scenario, report: &TheoremReport) -> Vec<Finding> {
    let mut out = Vec::new();
    let services = Pointer::root().key("services");
    let monolith = Pointer::root().key("monolith");
    for f in &report.uncovered {
        out.push(
            Finding::new(
                rules::COVERAGE,
                Severity::Error,
                monolith.key("functions").key(f),
                format!("monolith function `{f}` is implemented by no service"),
            )
            .with_help("add it to the `functions` of the service that should own it"),
        );
    }
    for u in &report.unknown {
        out.push(
            Finding::new(
                rules::UNKNOWN_FUNCTION,
                Severity::Error,
                services.key(&u.service).key("functions").index(u.index),
                format!(
                    "service `{}` implements `{}`, which the monolith does not have",
                    u.service, u.function
                ),
            )
            .at_value()
            .with_help("remove it, or declare it under `[monolith.functions]`"),
        );
    }
    for o in &report.overlapping {
        // Point at the second listing: the first service keeps it in the metrics.
        let (service, index) = (&o.services[1], o.indices[1]);
        out.push(
            Finding::new(
                rules::DISJOINTNESS,
                Severity::Error,
                services.key(service).key("functions").index(index),
                format!(
                    "function `{}` is implemented by {} services: {}",
                    o.function,
                    o.services.len(),
                    o.services.join(", ")
                ),
            )
            .at_value()
            .with_help("keep it in one service; the others call that service"),
        );
    }
    for v in &report.violations {
        let edges: Vec<String> = v
            .heaviest
            .iter()
            .map(|e| format!("{} – {} ({})", e.from, e.to, fmt_number(e.weight)))
            .collect();
        out.push(
            Finding::new(
                rules::COHESION,
                Severity::Error,
                services.key(&v.service),
                format!(
                    "cohesion({}) = {} does not exceed coupling({}, {}) = {}; heaviest cross edges: {}",
                    v.service,
                    fmt_number(v.cohesion),
                    v.service,
                    v.other,
                    fmt_number(v.coupling),
                    edges.join(", ")
                ),
            )
            .with_help(format!(
                "move the functions tied to `{}` there, or merge the two services (`microcosm propose` suggests a split)",
                v.other
            )),
        );
    }
    for s in &report.services {
        if s.connected_parts > 1 && scenario.services.contains_key(&s.name) {
            out.push(Finding::new(
                rules::DISCONNECTED_SERVICE,
                Severity::Warning,
                services.key(&s.name).key("functions"),
                format!(
                    "the functions of `{}` fall into {} groups with no call or shared entity between them",
                    s.name, s.connected_parts
                ),
            ));
        }
    }
    out
}
