//! Properties of `propose` on arbitrary monoliths: the partition covers every function exactly
//! once, honours the bounded-context hints (same hint together, different hints apart), and is
//! identical for the same input and seed.

use std::collections::BTreeMap;

use microcosm_model::analysis::graph::{FunctionGraph, GraphOptions};
use microcosm_model::analysis::{Proposal, ProposeOptions, propose};
use microcosm_model::{Access, DataAccess, Monolith, MonolithCall, MonolithFunction};
use proptest::prelude::*;

/// A random monolith: up to 40 functions, up to 120 weighted calls, up to 40 data accesses,
/// some functions hinted with one of three contexts.
fn monolith() -> impl Strategy<Value = Monolith> {
    (2usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec((0..n, 0..n, 1u32..20), 0..120),
            proptest::collection::vec((0..n, 0usize..6, 0u8..3), 0..40),
            proptest::collection::vec(proptest::option::weighted(0.3, 0u8..3), n),
        )
            .prop_map(move |(calls, data, hints)| {
                let name = |i: usize| format!("f{i:02}");
                let mut m = Monolith::default();
                for (i, hint) in hints.iter().enumerate() {
                    m.functions.insert(
                        name(i),
                        MonolithFunction {
                            context: hint.map(|h| format!("ctx{h}")),
                        },
                    );
                }
                m.calls = calls
                    .into_iter()
                    .map(|(a, b, w)| MonolithCall {
                        from: name(a),
                        to: name(b),
                        weight: f64::from(w),
                    })
                    .collect();
                m.data = data
                    .into_iter()
                    .map(|(f, e, a)| DataAccess {
                        function: name(f),
                        entity: format!("e{e}"),
                        access: [Access::Read, Access::Write, Access::ReadWrite][a as usize],
                    })
                    .collect();
                m
            })
    })
}

fn services(p: &Proposal) -> Vec<(String, Vec<String>)> {
    p.services
        .iter()
        .map(|s| (s.name.clone(), s.functions.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_function_is_in_exactly_one_service_and_hints_hold(
        m in monolith(),
        seed in any::<u64>(),
        resolution in 0.2f64..3.0,
    ) {
        let graph = FunctionGraph::from_monolith(&m, &GraphOptions::default());
        let options = ProposeOptions { seed, resolution, ..ProposeOptions::default() };
        let p = propose(&graph, &options);
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for s in &p.services {
            prop_assert!(!s.functions.is_empty());
            for f in &s.functions {
                prop_assert!(owner.insert(f, &s.name).is_none(), "{} is in two services", f);
            }
        }
        prop_assert_eq!(owner.len(), graph.len());
        prop_assert!(p.theorem.coverage && p.theorem.disjoint);
        // Same hint, same service; different hints, different services.
        let mut service_of_context: BTreeMap<&str, &str> = BTreeMap::new();
        let mut context_of_service: BTreeMap<&str, &str> = BTreeMap::new();
        for (f, function) in &m.functions {
            if let Some(c) = &function.context {
                let s = owner[f.as_str()];
                prop_assert_eq!(*service_of_context.entry(c).or_insert(s), s);
                prop_assert_eq!(*context_of_service.entry(s).or_insert(c), c.as_str());
            }
        }
        // The theorem either holds or every broken pair joins two bounded contexts, which the
        // repair loop may neither merge nor move functions between.
        if !p.theorem.holds() && !p.capped {
            for v in &p.theorem.violations {
                prop_assert!(context_of_service.contains_key(v.service.as_str()), "{:?}", v);
                prop_assert!(context_of_service.contains_key(v.other.as_str()), "{:?}", v);
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_proposal(m in monolith(), seed in any::<u64>()) {
        let graph = FunctionGraph::from_monolith(&m, &GraphOptions::default());
        let options = ProposeOptions { seed, ..ProposeOptions::default() };
        let first = propose(&graph, &options);
        let second = propose(&graph, &options);
        prop_assert_eq!(services(&first), services(&second));
        prop_assert_eq!(&first.changes, &second.changes);
        prop_assert_eq!(first.theorem.metrics.modularity, second.theorem.metrics.modularity);
    }
}
