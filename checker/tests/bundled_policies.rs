//! Every resilience policy of the bundled architectures (not the known-bug gallery), checked
//! at its own settings: each breaker and retry property holds, as the resilience issue asks,
//! and none of them is left inconclusive by the abstraction of a large window, at the
//! deployment's own number of concurrent callers (the exchange's `api-gateway -> accounts`
//! with 256: its scenario says why it sets 3 trial calls).

use std::path::Path;

use microcosm_checker::CheckOptions;
use microcosm_checker::scenario::jobs;
use microcosm_model::ExpectedVerdict;

#[test]
fn every_bundled_policy_holds_at_its_own_settings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the bundled architectures are found");
    let mut checked = 0;
    for file in &files {
        let loaded = microcosm_model::load(file).unwrap_or_else(|e| panic!("{e}"));
        let scenario = &loaded.scenario;
        for job in jobs(scenario)
            .iter()
            .filter(|j| j.protocol == "circuit_breaker")
        {
            for v in job.run(&[], &CheckOptions::default()).unwrap() {
                let id = format!("{}/{}", job.subject, v.property);
                checked += 1;
                let expected = scenario.expected_verdicts.get(&id);
                let context = format!("{}: {id}: {:?}", file.display(), v.status);
                match expected {
                    Some(ExpectedVerdict::Violated) => assert!(v.status.is_violated(), "{context}"),
                    _ => assert!(v.status.holds(), "{context}"),
                }
            }
        }
    }
    // Seven breaker policies of 7 properties each, and the retry-only policies' bound.
    assert!(checked >= 49, "{checked} verdicts");
}
