//! Microcosm's importers: the files teams already deploy from (Kubernetes manifests, Istio
//! traffic rules, docker-compose files, Resilience4j configuration) and the traces their
//! systems emit, read into the system model's terms, each derived value with the file, line
//! and column it came from. It sits between `microcosm-model` and the commands: it turns other
//! formats into the model's types and knows nothing of checking or simulating, so a reader can
//! be tested on the real files alone.

#![warn(missing_docs)]

pub mod compose;
pub mod kubernetes;
pub mod resilience4j;
pub mod traces;
pub mod yaml;
