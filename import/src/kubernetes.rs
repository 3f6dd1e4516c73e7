//! Kubernetes manifests read into a plain description of a cluster: the workloads
//! (Deployment, StatefulSet, DaemonSet) with replicas and their containers' resource requests
//! and limits in the model's units, the Services and which workloads they select, and the call
//! edges the containers' `env` values and `args` name (`productcatalogservice:3550`,
//! `http://user:8080/`, `mongodb://user-db:27017/x`), each derived value with the file, line
//! and column it came from. Kinds not modelled are listed as skipped, never silently dropped.
//! Templates (Helm, `{{ ... }}`), an apiVersion other than today's (`apps/v1`, `v1`), and a
//! Service whose selector matches two workloads are located errors.
//!
//! Edges are resolved after every file is read, since a Service and the workload naming it
//! are often in different files. A name counts as a call only if it is a Service's name as a
//! whole host (`name`, `name:port`, `scheme://name...`, `name.namespace...`), so `-port=80` or
//! a database name in an env value is never an edge.

pub mod quantity;

use std::path::{Path, PathBuf};

use microcosm_model::diagnostic::{Diagnostic, Location, codes};

use crate::yaml::{Node, Provenance, YamlFile};

/// A value read from a manifest and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value, in the model's units.
    pub value: T,
    /// Where its text is.
    pub at: Provenance,
}

/// Which kind of workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// `apps/v1 Deployment`.
    Deployment,
    /// `apps/v1 StatefulSet`.
    StatefulSet,
    /// `apps/v1 DaemonSet` (one pod per node: its replicas are 1 here, the nodes come later).
    DaemonSet,
}

/// CPU and memory, either of which may be unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU in millicores.
    pub cpu_millis: Option<Located<u32>>,
    /// Memory in MiB (rounded up).
    pub memory_mib: Option<Located<u32>>,
}

/// One container of a workload's pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Its `name`.
    pub name: String,
    /// `resources.requests`.
    pub requests: Resources,
    /// `resources.limits`.
    pub limits: Resources,
}

/// A Deployment, StatefulSet or DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Which kind.
    pub kind: WorkloadKind,
    /// `metadata.name`, located.
    pub name: Located<String>,
    /// `metadata.namespace`, if given.
    pub namespace: Option<String>,
    /// `spec.replicas`; when absent Kubernetes runs 1, and `at` is the workload's name.
    pub replicas: Located<u32>,
    /// Whether `replicas` was written or is the default.
    pub replicas_defaulted: bool,
    /// The pod template's labels (what Services select on).
    pub labels: Vec<(String, String)>,
    /// The pod template's containers.
    pub containers: Vec<Container>,
}

/// A Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// `metadata.name`, located: the host name other workloads call.
    pub name: Located<String>,
    /// `metadata.namespace`, if given: a Service selects only workloads of its namespace.
    pub namespace: Option<String>,
    /// `spec.selector`.
    pub selector: Vec<(String, String)>,
    /// The workloads whose pod labels the selector matches.
    pub workloads: Vec<String>,
    /// Each `spec.ports[].port`, located.
    pub ports: Vec<Located<u16>>,
}

/// A call from a workload to a Service, as one of its containers' `env` or `args` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The calling workload.
    pub from: String,
    /// The Service named.
    pub to_service: String,
    /// The workloads that Service selects.
    pub to_workloads: Vec<String>,
    /// Where the name was: `env NAME of container c`, `args[i] of init container c`, ...
    pub via: String,
    /// The text naming the Service, located.
    pub text: Located<String>,
}

/// An object of a kind not modelled (yet), listed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its `kind`.
    pub kind: String,
    /// Its `metadata.name`, if it has one.
    pub name: Option<String>,
    /// Where the object starts.
    pub at: Provenance,
}

/// Everything read from a set of manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Workloads in file order.
    pub workloads: Vec<Workload>,
    /// Services in file order.
    pub services: Vec<Service>,
    /// Call edges, grouped by workload in file order.
    pub edges: Vec<Edge>,
    /// Objects of kinds not modelled.
    pub skipped: Vec<Skipped>,
}

/// A container's env values and args, kept until every Service is known.
#[derive(Debug)]
struct Mention {
    workload: String,
    via: String,
    text: Located<String>,
}

/// Reads Kubernetes manifests; call [`Reader::add`] per file, then [`Reader::finish`].
#[derive(Debug, Default)]
pub struct Reader {
    cluster: Cluster,
    mentions: Vec<Mention>,
    /// Where each Service's selector is (parallel to `cluster.services`), for the error when
    /// it selects more than one workload.
    selectors: Vec<Location>,
}

impl Reader {
    /// An empty reader.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Reads one file (any number of `---` documents, `kind: List` included).
    pub fn add(&mut self, file: impl Into<PathBuf>, text: &str) -> Result<(), Diagnostic> {
        let file = file.into();
        refuse_template(&file, text)?;
        let yaml = YamlFile::parse(file, text)?;
        for doc in &yaml.documents {
            if doc.is_null() {
                continue;
            }
            self.object(&yaml, doc)?;
        }
        Ok(())
    }

    /// Resolves Services to workloads and env/args mentions to call edges. A Service whose
    /// selector matches two workloads is contradictory (which one answers its name?): an error
    /// at the selector.
    pub fn finish(mut self) -> Result<Cluster, Diagnostic> {
        for (service, at) in self.cluster.services.iter_mut().zip(&self.selectors) {
            service.workloads = self
                .cluster
                .workloads
                .iter()
                .filter(|w| {
                    !service.selector.is_empty()
                        && w.namespace == service.namespace
                        && service.selector.iter().all(|s| w.labels.contains(s))
                })
                .map(|w| w.name.value.clone())
                .collect();
            if let [first, second, ..] = service.workloads.as_slice() {
                return Err(Diagnostic::error(
                    codes::INCONSISTENT,
                    format!(
                        "the selector of Service `{}` matches two workloads, `{first}` and \
                         `{second}`: which one answers its name is undecided",
                        service.name.value
                    ),
                )
                .with_help("narrow the selector (or a workload's labels) to one workload")
                .at(at.clone()));
            }
        }
        for mention in self.mentions {
            let mut named: Vec<&str> = Vec::new();
            for host in hosts(&mention.text.value) {
                let Some(service) = self
                    .cluster
                    .services
                    .iter()
                    .find(|s| names_service(host, &s.name.value))
                else {
                    continue;
                };
                // A workload naming its own Service (its listen address) is not a call.
                if service.workloads.contains(&mention.workload)
                    || named.contains(&service.name.value.as_str())
                {
                    continue;
                }
                named.push(&service.name.value);
                self.cluster.edges.push(Edge {
                    from: mention.workload.clone(),
                    to_service: service.name.value.clone(),
                    to_workloads: service.workloads.clone(),
                    via: mention.via.clone(),
                    text: mention.text.clone(),
                });
            }
        }
        Ok(self.cluster)
    }

    fn object(&mut self, yaml: &YamlFile, doc: &Node) -> Result<(), Diagnostic> {
        if doc.as_mapping().is_none() {
            return Err(yaml.error_at(
                doc,
                codes::WRONG_TYPE,
                "a Kubernetes manifest document must be a mapping (an object)",
                "each document needs `apiVersion`, `kind` and `metadata`",
            ));
        }
        let Some(kind) = doc.get("kind").and_then(Node::as_str) else {
            return Err(yaml.error_at(
                doc,
                codes::MISSING_FIELD,
                "this object has no `kind`",
                "add `kind:` (Deployment, Service, ...)",
            ));
        };
        let api = match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" => Some("apps/v1"),
            "Service" => Some("v1"),
            _ => None,
        };
        if let Some(api) = api {
            let found = doc.get("apiVersion");
            if found.and_then(Node::as_str) != Some(api) {
                return Err(yaml.error_at(
                    found.unwrap_or(doc),
                    codes::WRONG_TYPE,
                    format!(
                        "a {kind} of apiVersion `{}` is not supported",
                        found.and_then(Node::as_str).unwrap_or("(none)")
                    ),
                    format!("write `apiVersion: {api}` (the version Kubernetes serves today)"),
                ));
            }
        }
        let kind_enum = match kind {
            "List" => {
                let items = doc.get("items").and_then(Node::as_sequence).unwrap_or(&[]);
                for item in items {
                    self.object(yaml, item)?;
                }
                return Ok(());
            }
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "Service" => return self.service(yaml, doc),
            other => {
                self.cluster.skipped.push(Skipped {
                    kind: other.to_string(),
                    name: doc
                        .path(&["metadata", "name"])
                        .and_then(Node::as_str)
                        .map(str::to_string),
                    at: doc.provenance(&yaml.file),
                });
                return Ok(());
            }
        };
        self.workload(yaml, doc, kind_enum)
    }

    fn workload(
        &mut self,
        yaml: &YamlFile,
        doc: &Node,
        kind: WorkloadKind,
    ) -> Result<(), Diagnostic> {
        let name = name(yaml, doc)?;
        let (replicas, replicas_defaulted) = match doc.path(&["spec", "replicas"]) {
            Some(node) if !node.is_null() => {
                let count = node
                    .as_str()
                    .and_then(|s| s.parse::<u32>().ok())
                    .ok_or_else(|| {
                        yaml.error_at(
                            node,
                            codes::WRONG_TYPE,
                            "`replicas` must be a whole number",
                            "e.g. `replicas: 3`",
                        )
                    })?;
                (
                    Located {
                        value: count,
                        at: node.provenance(&yaml.file),
                    },
                    false,
                )
            }
            _ => (
                Located {
                    value: 1,
                    at: name.at.clone(),
                },
                true,
            ),
        };
        let template = doc.path(&["spec", "template"]);
        let labels = template
            .and_then(|t| t.path(&["metadata", "labels"]))
            .map(string_pairs)
            .unwrap_or_default();
        let pod = template.and_then(|t| t.get("spec"));
        let mut containers = Vec::new();
        for list in ["initContainers", "containers"] {
            let Some(items) = pod.and_then(|p| p.get(list)).and_then(Node::as_sequence) else {
                continue;
            };
            for c in items {
                let cname = c
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string();
                let role = if list == "containers" {
                    "container"
                } else {
                    "init container"
                };
                self.mentions_of(yaml, c, &name.value, &format!("{role} {cname}"));
                if list == "containers" {
                    containers.push(Container {
                        requests: resources(yaml, c.path(&["resources", "requests"]))?,
                        limits: resources(yaml, c.path(&["resources", "limits"]))?,
                        name: cname,
                    });
                }
            }
        }
        self.cluster.workloads.push(Workload {
            kind,
            namespace: doc
                .path(&["metadata", "namespace"])
                .and_then(Node::as_str)
                .map(str::to_string),
            name,
            replicas,
            replicas_defaulted,
            labels,
            containers,
        });
        Ok(())
    }

    fn mentions_of(&mut self, yaml: &YamlFile, container: &Node, workload: &str, cname: &str) {
        let mut push = |via: String, node: &Node| {
            if let Some(text) = node.as_str() {
                self.mentions.push(Mention {
                    workload: workload.to_string(),
                    via,
                    text: Located {
                        value: text.to_string(),
                        at: node.provenance(&yaml.file),
                    },
                });
            }
        };
        for env in container
            .get("env")
            .and_then(Node::as_sequence)
            .unwrap_or(&[])
        {
            if let Some(value) = env.get("value") {
                let var = env.get("name").and_then(Node::as_str).unwrap_or("?");
                push(format!("env {var} of {cname}"), value);
            }
        }
        for key in ["command", "args"] {
            for (i, arg) in container
                .get(key)
                .and_then(Node::as_sequence)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                push(format!("{key}[{i}] of {cname}"), arg);
            }
        }
    }

    fn service(&mut self, yaml: &YamlFile, doc: &Node) -> Result<(), Diagnostic> {
        let name = name(yaml, doc)?;
        let selector_node = doc.path(&["spec", "selector"]);
        let selector = selector_node.map(string_pairs).unwrap_or_default();
        self.selectors.push(Location::new(
            &yaml.file,
            yaml.text.clone(),
            selector_node.unwrap_or(doc).span.clone(),
        ));
        let mut ports = Vec::new();
        for port in doc
            .path(&["spec", "ports"])
            .and_then(Node::as_sequence)
            .unwrap_or(&[])
        {
            let Some(node) = port.get("port") else {
                continue;
            };
            let value = node
                .as_str()
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| {
                    yaml.error_at(
                        node,
                        codes::OUT_OF_RANGE,
                        "a Service port must be a number from 1 to 65535",
                        "e.g. `port: 8080`",
                    )
                })?;
            ports.push(Located {
                value,
                at: node.provenance(&yaml.file),
            });
        }
        self.cluster.services.push(Service {
            namespace: doc
                .path(&["metadata", "namespace"])
                .and_then(Node::as_str)
                .map(str::to_string),
            name,
            selector,
            workloads: Vec::new(),
            ports,
        });
        Ok(())
    }
}

/// Reads every file in `files` (path and text) into one cluster.
pub fn read<'a>(
    files: impl IntoIterator<Item = (&'a Path, &'a str)>,
) -> Result<Cluster, Diagnostic> {
    let mut reader = Reader::new();
    for (path, text) in files {
        reader.add(path, text)?;
    }
    reader.finish()
}

fn name(yaml: &YamlFile, doc: &Node) -> Result<Located<String>, Diagnostic> {
    let node = doc.path(&["metadata", "name"]).ok_or_else(|| {
        yaml.error_at(
            doc,
            codes::MISSING_FIELD,
            "this object has no `metadata.name`",
            "add `metadata: {name: ...}`",
        )
    })?;
    let value = node.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
        yaml.error_at(
            node,
            codes::WRONG_TYPE,
            "`metadata.name` must be a non-empty string",
            "e.g. `name: cartservice`",
        )
    })?;
    Ok(Located {
        value: value.to_string(),
        at: node.provenance(&yaml.file),
    })
}

fn string_pairs(node: &Node) -> Vec<(String, String)> {
    node.as_mapping()
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

fn resources(yaml: &YamlFile, node: Option<&Node>) -> Result<Resources, Diagnostic> {
    let mut out = Resources::default();
    let Some(node) = node else { return Ok(out) };
    let quantity = |key: &str, convert: fn(&str) -> Result<u32, String>| {
        let Some(q) = node.get(key) else {
            return Ok(None);
        };
        let text = q.as_str().unwrap_or("");
        let value = convert(text).map_err(|message| {
            yaml.error_at(
                q,
                codes::WRONG_TYPE,
                message,
                "write a Kubernetes quantity: cpu as `500m` or `1.5`, memory as `256Mi` or `1G`",
            )
        })?;
        Ok(Some(Located {
            value,
            at: q.provenance(&yaml.file),
        }))
    };
    out.cpu_millis = quantity("cpu", quantity::cpu_millis)?;
    out.memory_mib = quantity("memory", quantity::memory_mib)?;
    Ok(out)
}

/// A Helm or Go template is not YAML a cluster reads: refuse it at its first `{{`.
fn refuse_template(file: &Path, text: &str) -> Result<(), Diagnostic> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split_once('#').map_or(line, |(before, _)| before);
        if let Some(at) = code.find("{{") {
            let start = offset + at;
            return Err(Diagnostic::error(
                codes::UNKNOWN_FORMAT,
                "this is a template (`{{ ... }}`), not a rendered manifest",
            )
            .with_help("render it first (helm template / kustomize build) and read the output")
            .at(Location::new(file, text.into(), start..start + 2)));
        }
        offset += line.len();
    }
    Ok(())
}

/// The host names a text mentions as addresses: a run of host characters that is the whole
/// text, or is followed by `:<port>`, or follows `://`, `@` or a flag's `=`. A word in prose or
/// in a shell script (`echo "Pinging frontend"`) is not an address and names nothing.
pub(crate) fn hosts(text: &str) -> Vec<&str> {
    let is_host = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let trimmed = text.trim();
    let mut out = Vec::new();
    let mut rest = text;
    let mut start = 0;
    while let Some(offset) = rest.find(is_host) {
        let from = start + offset;
        let len = text[from..]
            .find(|c: char| !is_host(c))
            .unwrap_or(text.len() - from);
        let token = &text[from..from + len];
        let before = &text[..from];
        let after = &text[from + len..];
        let port_follows = after
            .strip_prefix(':')
            .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit()));
        let flag_value =
            before.ends_with('=') && (after.is_empty() || after.starts_with(['/', ':']));
        // Service names are DNS labels that start with a letter: `80` in `-port=80` is not one.
        // In `scheme://user:password@host`, what precedes the `@` is credentials, not a host.
        let user_info = after.split(['/', ' ']).next().unwrap_or("").contains('@');
        let named = !user_info && token.starts_with(|c: char| c.is_ascii_alphabetic());
        let addressed = token == trimmed
            || port_follows
            || before.ends_with("://")
            || before.ends_with('@')
            || flag_value;
        if named && addressed {
            out.push(token);
        }
        start = from + len;
        rest = &text[start..];
    }
    out
}

/// Whether `host` is the Service `name`: itself, or qualified by namespace (`name.ns`,
/// `name.ns.svc.cluster.local`).
fn names_service(host: &str, name: &str) -> bool {
    host == name
        || host
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(text: &str) -> Result<Cluster, Diagnostic> {
        read([(Path::new("m.yaml"), text)])
    }

    #[test]
    fn hosts_are_found_in_addresses_and_urls() {
        assert_eq!(
            hosts("productcatalogservice:3550"),
            ["productcatalogservice"]
        );
        assert_eq!(hosts("http://user:8080/"), ["user"]);
        assert_eq!(hosts("mongodb://admin:pw@user-db:27017/users"), ["user-db"]);
        assert_eq!(hosts("--db-host=orders-db"), ["orders-db"]);
        assert_eq!(
            hosts(" zipkin.jaeger.svc.cluster.local "),
            ["zipkin.jaeger.svc.cluster.local"]
        );
        assert!(hosts("echo \"Pinging frontend: ${FRONTEND_ADDR}\"").is_empty());
        assert!(hosts("-port=80").is_empty());
        let java = hosts("-Xms64m -Dspring.zipkin.enabled=false");
        assert!(!java.iter().any(|h| names_service(h, "zipkin")), "{java:?}");
        assert!(names_service(
            "user-db.sock-shop.svc.cluster.local",
            "user-db"
        ));
        assert!(!names_service("user-dbx", "user-db"));
        assert!(!names_service("user-db.", "user-db"));
    }

    #[test]
    fn list_kinds_and_skipped_objects() {
        let text = "kind: List\nitems:\n- kind: Deployment\n  apiVersion: apps/v1\n  metadata: {name: a}\n  spec:\n    template:\n      metadata: {labels: {app: a}}\n      spec:\n        containers:\n        - name: a\n          env:\n          - {name: B_ADDR, value: 'b:80'}\n- kind: Service\n  apiVersion: v1\n  metadata: {name: b}\n  spec: {selector: {app: b}, ports: [{port: 80}]}\n---\nkind: ConfigMap\nmetadata: {name: cfg}\n";
        let c = read_one(text).unwrap();
        assert_eq!(c.workloads.len(), 1);
        assert_eq!(c.workloads[0].replicas.value, 1);
        assert!(c.workloads[0].replicas_defaulted);
        assert_eq!(c.edges.len(), 1);
        assert_eq!(c.edges[0].to_service, "b");
        assert!(c.edges[0].to_workloads.is_empty(), "no workload has app: b");
        assert_eq!(c.edges[0].text.at.line, 13);
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].kind, "ConfigMap");
        assert_eq!(c.skipped[0].at.line, 19);
    }

    #[test]
    fn templates_are_refused_with_the_way_out() {
        let err =
            read_one("kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n").unwrap_err();
        assert!(err.help.as_deref().unwrap().contains("helm template"));
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.column), (3, 9));
    }

    #[test]
    fn an_old_api_version_is_refused_at_its_place() {
        let err =
            read_one("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n")
                .unwrap_err();
        assert!(
            err.message.contains("extensions/v1beta1"),
            "{}",
            err.message
        );
        assert_eq!(err.location.unwrap().line, 1);
    }

    #[test]
    fn a_selector_matching_two_workloads_is_contradictory() {
        let deployment = |name: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  \
                 template:\n    metadata: {{labels: {{app: web}}}}\n---\n"
            )
        };
        let text = format!(
            "{}{}apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n",
            deployment("blue"),
            deployment("green")
        );
        let err = read_one(&text).unwrap_err();
        assert_eq!(err.code, codes::INCONSISTENT);
        assert!(
            err.message.contains("`blue` and `green`"),
            "{}",
            err.message
        );
        assert_eq!(err.location.unwrap().line, 19);
        // In another namespace the same labels are another application's.
        let other = text.replacen("{name: green}", "{name: green, namespace: staging}", 1);
        assert_eq!(read_one(&other).unwrap().services[0].workloads, ["blue"]);
    }

    #[test]
    fn braces_in_a_comment_are_not_a_template() {
        let c =
            read_one("# rendered from {{ .Values }}\nkind: Secret\nmetadata: {name: s}\n").unwrap();
        assert_eq!(c.skipped[0].kind, "Secret");
    }

    proptest::proptest! {
        /// Whatever the text, the reader answers (a cluster or a located error), never panics.
        #[test]
        fn any_text_is_an_answer_not_a_panic(
            text in "(kind: (Deployment|Service|List)\n|metadata: \\{name: [a-z]{1,3}\\}\n|spec:\n|  replicas: [-0-9a]{1,3}\n|  ports: \\[\\{port: [0-9]{1,6}\\}\\]\n|items: \\[[^\n]{0,8}\\]\n|---\n|[ -~]{0,10}\n){0,8}"
        ) {
            if let Err(d) = read_one(&text) {
                proptest::prop_assert!(d.location.is_some(), "{}", d.message);
            }
        }
    }

    #[test]
    fn a_bad_quantity_is_located() {
        let text = "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        resources: {limits: {memory: 12 parsecs}}\n";
        let err = read_one(text).unwrap_err();
        assert_eq!(err.location.unwrap().line, 9);
        assert!(err.message.contains("12 parsecs"), "{}", err.message);
    }

    #[test]
    fn a_document_without_kind_is_located() {
        let err = read_one(
            "kind: Service\napiVersion: v1\nmetadata: {name: s}\n---\nmetadata: {name: x}\n",
        )
        .unwrap_err();
        assert_eq!(err.code, codes::MISSING_FIELD);
        assert_eq!(err.location.unwrap().line, 5);
    }
}
