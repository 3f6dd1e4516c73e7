//! S and I of the seven-tuple: a service as the six-tuple `(F, A, D, I, S, R)` and the event
//! topics services integrate through.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Distribution;

/// A service, the six-tuple `(F, A, D, I, S, R)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What the service is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// F: the business functions this service implements (compared with the monolith's
    /// functions by decomposition analysis).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// A: the endpoints this service exposes, keyed by name; referenced as `"service.endpoint"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, Endpoint>,
    /// D: the data stores this service uses, with how: `{ orders-db = "read-write" }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, Access>,
    /// I: the topics this service consumes, keyed by topic name. (The calls and publications
    /// that complete its integration points are declared per endpoint.)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consumes: BTreeMap<String, ConsumerSpec>,
    /// S: whether the service keeps state between requests.
    #[serde(default)]
    pub state: ServiceState,
    /// R: the resources one replica requests.
    #[serde(default, skip_serializing_if = "Resources::is_default")]
    pub resources: Resources,
}

/// S of the six-tuple.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    /// Any replica can serve any request; replicas are interchangeable.
    #[default]
    Stateless,
    /// The service keeps state (sessions, an in-memory book, a ledger) between requests.
    Stateful,
}

/// How a service uses a data store.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Reads only.
    Read,
    /// Writes only.
    Write,
    /// Reads and writes.
    ReadWrite,
}

impl Access {
    /// Whether this access writes.
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// R of the six-tuple: what one replica requests from the cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPU in thousandths of a core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_CPU_MILLIS))]
    pub cpu_millis: Option<u32>,
    /// Memory in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_MEMORY_MIB))]
    pub memory_mib: Option<u32>,
}

impl Resources {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// One endpoint of a service's API (A) with what it does when called.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Whether clients outside the mesh call this endpoint (an entry point).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
    /// Time the service itself spends on one request, excluding downstream calls.
    #[serde(default = "Endpoint::default_work")]
    pub work: Distribution,
    /// Downstream calls, made in order; an array inside the list is a group made in parallel:
    /// `calls = ["cart.get", ["currency.convert", "shipping.quote"], "payment.charge"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallStep>,
    /// Topics this endpoint publishes an event to once its work succeeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publishes: Vec<String>,
}

impl Endpoint {
    fn default_work() -> Distribution {
        Distribution::Constant { ms: 1.0 }
    }
}

/// One step of an endpoint's call sequence.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CallStep {
    /// One call, made before the next step starts.
    Single(Call),
    /// Calls made in parallel; the step ends when all have returned.
    Parallel(Vec<Call>),
}

impl CallStep {
    /// The calls of this step.
    pub fn calls(&self) -> &[Call] {
        match self {
            CallStep::Single(call) => std::slice::from_ref(call),
            CallStep::Parallel(calls) => calls,
        }
    }
}

/// A downstream call: `"service.endpoint"`, or a table when it needs options.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code, reason = "only its JSON Schema is used")]
enum CallSchema {
    /// `"service.endpoint"`.
    Short(String),
    /// `{ endpoint = "service.endpoint", probability = 0.3 }`.
    Long(CallTable),
}

/// A downstream call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The callee, `"service.endpoint"`.
    pub endpoint: String,
    /// The fraction of requests that make this call, in [0, 1].
    pub probability: f64,
}

/// The table form of a [`Call`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CallTable {
    /// The callee, `"service.endpoint"`.
    pub endpoint: String,
    /// The fraction of requests that make this call, in [0, 1] (default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 1))]
    pub probability: f64,
}

fn one() -> f64 {
    1.0
}

impl JsonSchema for Call {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Call".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        CallSchema::json_schema(generator)
    }
}

impl Serialize for Call {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.probability == 1.0 {
            serializer.serialize_str(&self.endpoint)
        } else {
            CallTable {
                endpoint: self.endpoint.clone(),
                probability: self.probability,
            }
            .serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Call {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CallVisitor)
    }
}

struct CallVisitor;

impl<'de> Visitor<'de> for CallVisitor {
    type Value = Call;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            r#"a call, "service.endpoint" or { endpoint = "service.endpoint", probability = 0.5 }"#,
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Call, E> {
        Ok(Call {
            endpoint: v.to_owned(),
            probability: 1.0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Call, A::Error> {
        let table = CallTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Call {
            endpoint: table.endpoint,
            probability: table.probability,
        })
    }
}

impl<'de> Deserialize<'de> for CallStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = CallStep;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#"a call ("service.endpoint" or a table) or an array of calls made in parallel"#,
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<CallStep, E> {
                CallVisitor.visit_str(v).map(CallStep::Single)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CallStep, A::Error> {
                CallVisitor.visit_map(map).map(CallStep::Single)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CallStep, A::Error> {
                let mut calls = Vec::new();
                while let Some(call) = seq.next_element::<Call>()? {
                    calls.push(call);
                }
                Ok(CallStep::Parallel(calls))
            }
        }
        deserializer.deserialize_any(StepVisitor)
    }
}

/// How a service consumes a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    /// The endpoint of this service that handles each event.
    pub handler: String,
    /// The consumer group; consumers in one group share the events (default: the service name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The fields this consumer reads, when it documents them, to compare with the topic's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldType>,
}

/// An event topic (I).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// What the events mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The delivery guarantee the broker gives.
    #[serde(default)]
    pub delivery: Delivery,
    /// The event's fields and their types, as producers write them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schema: BTreeMap<String, FieldType>,
}

/// A topic's delivery semantics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// An event may be lost, never duplicated.
    AtMostOnce,
    /// An event is never lost, but may be delivered more than once.
    #[default]
    AtLeastOnce,
    /// Exactly once (a broker transaction or an idempotent consumer with deduplication).
    ExactlyOnce,
}

/// The type of an event field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// A whole number.
    Int,
    /// A binary floating-point number.
    Float,
    /// An exact decimal (amounts of money or tokens).
    Decimal,
    /// True or false.
    Bool,
    /// A point in time.
    Timestamp,
    /// Opaque bytes (a signature, a hash).
    Bytes,
    /// A nested object.
    Object,
    /// A list.
    Array,
}
