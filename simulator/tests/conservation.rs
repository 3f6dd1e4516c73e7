//! The conservation invariant — entry requests generated = succeeded + degraded + failed + in
//! flight, the last counted from the live requests themselves — over random small
//! architectures, policies, faults and seeds.

use microcosm_model::{Format, load_str};
use microcosm_simulator::{Sim, report};
use proptest::prelude::*;

fn architecture() -> impl Strategy<Value = String> {
    let services = 2usize..5;
    (
        services,
        prop::collection::vec(0u8..8, 4),
        prop::collection::vec(0u8..6, 2),
        1u32..4,
        prop::bool::ANY,
    )
        .prop_map(|(n, policy, faults, replicas, parallel)| {
            let mut text = String::from(
                "name = \"random\"\n[network]\nlatency = { dist = \"lognormal\", p50_ms = 0.3, p99_ms = 2.0 }\nloss = 0.001\nzones = [\"a\", \"b\"]\n[topics.t]\ndelivery = \"at-least-once\"\n",
            );
            for i in 0..n {
                text += &format!("[services.s{i}.endpoints.x]\n");
                if i == 0 {
                    text += "public = true\n";
                }
                text += "work = { dist = \"exponential\", mean_ms = 2.0 }\n";
                if i + 2 < n && parallel {
                    text += &format!("calls = [[\"s{}.x\", \"s{}.x\"]]\n", i + 1, i + 2);
                } else if i + 1 < n {
                    text += &format!("calls = [\"s{}.x\", {{ endpoint = \"s{}.x\", probability = 0.5 }}]\n", i + 1, i + 1);
                } else {
                    text += "publishes = [\"t\"]\n";
                }
                text += &format!(
                    "[deployment.s{i}]\nreplicas = {replicas}\nzones = [\"a\", \"b\"]\nworkers = 4\nqueue_capacity = 8\n"
                );
            }
            text += &format!("[services.s{n}]\nconsumes = {{ t = {{ handler = \"h\" }} }}\n[services.s{n}.endpoints.h]\n");
            let choices = [
                "timeout_ms = 10",
                "retry = { max_attempts = 3, wait_ms = 1, jitter = \"full\" }",
                "circuit_breaker = { sliding_window_size = 10, minimum_number_of_calls = 5, wait_duration_in_open_state_ms = 500, permitted_number_of_calls_in_half_open_state = 2 }",
                "fallback = {}",
                "bulkhead = { max_concurrent_calls = 2, max_wait_ms = 5 }",
                "rate_limit = { limit_for_period = 5, limit_refresh_period_ms = 10, timeout_ms = 5 }",
                "deadline_ms = 25",
                "outlier_detection = { consecutive_errors = 2, base_ejection_time_ms = 200, max_ejection_fraction = 0.5 }",
            ];
            text += "[policies.\"* -> *\"]\n";
            let mut used = std::collections::BTreeSet::new();
            for p in policy {
                used.insert(p as usize);
            }
            for p in used {
                text += choices[p];
                text += "\n";
            }
            text += "[experiments.x]\nduration_s = 3\nload = [{ endpoint = \"s0.x\", arrival = \"poisson\", rate_per_s = 400 }, { endpoint = \"s0.x\", arrival = \"closed\", users = 5, think_time_ms = 10 }]\nfaults = [\n";
            let last = n - 1;
            let fault_choices = [
                format!("{{ at_s = 0.5, for_s = 1, crash = \"s{last}\" }}"),
                "{ at_s = 1, for_s = 1, crash = \"s1\", replicas = 1 }".to_owned(),
                "{ at_s = 0.2, errors = { target = \"s1\", rate = 0.3 } }".to_owned(),
                "{ at_s = 1, for_s = 1, partition = { from = \"zone:a\", to = \"zone:b\" } }".to_owned(),
                "{ at_s = 0, slowdown = { service = \"s1\", factor = 4.0 } }".to_owned(),
                "{ at_s = 0.5, deploy = \"s1\" }".to_owned(),
            ];
            for f in faults {
                text += &fault_choices[f as usize];
                text += ",\n";
            }
            text += "]\n";
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_request_is_accounted_for(text in architecture(), seed in 0u64..1_000_000) {
        let loaded = load_str(&text, std::path::Path::new("p.toml"), Format::Toml, std::path::Path::new("."))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let s = loaded.scenario;
        let mut sim = Sim::builder(&s, seed).experiment("x").build().unwrap();
        sim.run();
        let r = report::build(&sim, &s);
        let c = &r.conservation;
        prop_assert!(c.holds, "{c:?}");
        prop_assert!(c.generated > 0);
        for t in r.topics.values() {
            prop_assert_eq!(t.published, t.acknowledged + t.lost + t.lag);
        }
        for ep in r.endpoints.values() {
            let errors: u64 = ep.errors_by_cause.values().sum();
            prop_assert_eq!(ep.requests, ep.successes + ep.degraded + errors);
        }
    }
}
