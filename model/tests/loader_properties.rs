//! Property tests of the loader: it never panics, whatever the bytes; every rejection points
//! inside the file, at the line and column of its span; and every valid scenario survives a
//! round trip through JSON and TOML unchanged (which also shows validation accepts every
//! well-formed architecture the generator can build).

use std::collections::BTreeMap;
use std::path::Path;

use microcosm_model::*;
use proptest::prelude::*;

fn check_rejection(text: &str, result: Result<LoadedScenario, LoadError>) {
    if let Err(error) = result {
        assert!(!error.diagnostics.is_empty());
        for d in &error.diagnostics {
            let location = d
                .location
                .as_ref()
                .unwrap_or_else(|| panic!("unlocated diagnostic {d}"));
            assert!(location.line >= 1 && location.column >= 1, "{d}");
            if location.file == Path::new("p.toml") || location.file == Path::new("p.json") {
                assert!(location.span.end <= text.len(), "{d} spans past the end");
                assert!(location.span.start <= location.span.end, "{d}");
            }
            // Rendering must not panic either.
            let _ = d.render(false);
        }
        for name in ["p.toml", "p.json"] {
            assert_located_in_bytes(Path::new(name), text.as_bytes(), &error);
        }
    }
}

fn load_as(text: &str, format: Format) -> Result<LoadedScenario, LoadError> {
    let name = match format {
        Format::Toml => "p.toml",
        Format::Json => "p.json",
    };
    load_str(text, Path::new(name), format, Path::new("."))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_and_rejections_are_located(text in ".{0,400}") {
        for format in [Format::Toml, Format::Json] {
            check_rejection(&text, load_as(&text, format));
        }
    }

    #[test]
    fn toml_shaped_noise_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                "\\[[a-z._\"-]{0,20}\\]",
                "[a-z_]{1,12} = [0-9.eE+-]{1,8}",
                "[a-z_]{1,12} = \"[a-z.> -]{0,12}\"",
                "[a-z_]{1,12} = \\[.{0,20}\\]",
                "[a-z_]{1,12} = \\{.{0,30}\\}",
            ],
            0..20,
        )
    ) {
        let text = format!("name = \"n\"\n{}", lines.join("\n"));
        check_rejection(&text, load_as(&text, Format::Toml));
    }
}

/// Asserts that every diagnostic of a file made of `bytes` at `path` points inside those bytes,
/// at the line and column its span starts on. Columns count characters; a byte that is not
/// UTF-8 counts as one, and a byte-order mark as none.
fn assert_located_in_bytes(path: &Path, bytes: &[u8], error: &LoadError) {
    for d in &error.diagnostics {
        let location = d
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("unlocated {d}"));
        if location.file != path {
            continue;
        }
        let span = location.span.clone();
        assert!(
            span.start <= span.end && span.end <= bytes.len(),
            "{d}: span {span:?} outside a file of {} bytes",
            bytes.len()
        );
        let before = &bytes[..span.start];
        // A line ends at LF, CRLF (once) or a lone CR, as editors count them.
        let ends: Vec<usize> = (0..before.len())
            .filter(|&i| {
                bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
            })
            .map(|i| i + 1)
            .collect();
        let line_start = ends.last().copied().unwrap_or(0);
        let line = 1 + ends.len();
        let mut prefix = &before[line_start..];
        if line_start == 0 {
            prefix = prefix.strip_prefix("\u{feff}".as_bytes()).unwrap_or(prefix);
        }
        let column = 1 + prefix
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + c.invalid().len())
            .sum::<usize>();
        assert_eq!(
            (location.line, location.column),
            (line, column),
            "{d}: at byte {}",
            span.start
        );
        let _ = d.render(false);
    }
}

#[test]
fn arbitrary_bytes_in_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let texty = prop_oneof![
        Just(b'\n'),
        Just(b'='),
        Just(b'"'),
        Just(b'['),
        Just(b'{'),
        b'a'..=b'z',
        any::<u8>()
    ];
    let files = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(texty, 0..300),
    ];
    runner
        .run(&files, |bytes| {
            for name in ["f.toml", "f.json"] {
                let path = dir.path().join(name);
                std::fs::write(&path, &bytes).unwrap();
                if let Err(error) = load(&path) {
                    assert_located_in_bytes(&path, &bytes, &error);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_binary_file_is_located_within_its_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("nul.toml", [vec![0xFF; 100], vec![0]].concat()),
        ("latin1.json", b"{\"name\": \"caf\xe9\xff\"}\n".to_vec()),
        ("bom.toml", b"\xEF\xBB\xBFname = 1\n".to_vec()),
        ("bom.json", b"\xEF\xBB\xBF{\"name\": 1}\n".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let error = load(&path).expect_err(name);
        assert_located_in_bytes(&path, &bytes, &error);
    }
    let path = dir.path().join("nul.toml");
    let location = load(&path).unwrap_err().diagnostics[0]
        .location
        .clone()
        .unwrap();
    assert_eq!(location.span, 100..101);
    assert_eq!((location.line, location.column), (1, 101));
}

#[test]
fn a_byte_order_mark_keeps_offsets_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, at) in [
        ("bom.toml", "\u{feff}name = 1\n", "1"),
        ("bom.json", "\u{feff}{\"name\": 1}\n", "1"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let d = &load(&path).unwrap_err().diagnostics[0];
        let location = d.location.as_ref().unwrap();
        assert_eq!(&text[location.span.clone()], at, "{d}");
        assert_eq!(location.line, 1);
        assert_eq!(location.column, text.find(at).unwrap() - 2, "{d}");
    }
}

/// The bundled scenarios (the reference architectures and the gallery).
fn bundled_scenario_paths() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut paths = Vec::new();
    for dir in [root.clone(), root.join("gallery")] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            paths.extend(
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml")),
            );
        }
    }
    paths.sort();
    paths
}

/// Real text to mutate: the starter and the bundled scenarios as TOML, and the bundled
/// scenarios as JSON (the loader reads both, with different parsers and error paths). Built once:
/// every case of the property test draws from it.
fn corpus() -> &'static [(Format, String)] {
    static CORPUS: std::sync::OnceLock<Vec<(Format, String)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let starter = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/starter.toml");
        let mut texts = vec![(Format::Toml, std::fs::read_to_string(starter).unwrap())];
        for path in bundled_scenario_paths() {
            texts.push((Format::Toml, std::fs::read_to_string(&path).unwrap()));
            let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
            let json = serde_json::to_string_pretty(&loaded.scenario).unwrap();
            texts.push((Format::Json, json));
        }
        texts
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    ReplaceNumber { nth: usize, with: String },
    DuplicateLine { nth: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                Just("\"".to_owned()),
                Just("[".to_owned()),
                Just("]".to_owned()),
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just(",".to_owned()),
                Just("\n".to_owned()),
                Just(" = ".to_owned()),
                Just("->".to_owned()),
                Just(".".to_owned()),
                Just(": ".to_owned()),
                Just("null".to_owned()),
                // An array where a table may belong: serde would read it by position.
                Just("[1, 2]".to_owned()),
                "[a-z]{1,8}",
                "\n\\[[a-z.]{1,20}\\]\n",
            ]
        )
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        (
            any::<usize>(),
            prop_oneof![
                Just("0".to_owned()),
                Just("-1".to_owned()),
                Just("1e309".to_owned()),
                Just("nan".to_owned()),
                Just("\"x\"".to_owned()),
                Just("18446744073709551616".to_owned()),
                Just("0.5".to_owned()),
                Just("100".to_owned()),
            ]
        )
            .prop_map(|(nth, with)| Mutation::ReplaceNumber { nth, with }),
        any::<usize>().prop_map(|nth| Mutation::DuplicateLine { nth }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match m {
        Mutation::Delete { at, len } => {
            let start = boundary(*at);
            let end = boundary((start + len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, text: insert } => {
            let at = boundary(*at);
            format!("{}{insert}{}", &text[..at], &text[at..])
        }
        Mutation::ReplaceNumber { nth, with } => {
            let numbers: Vec<(usize, usize)> = text
                .match_indices(|c: char| c.is_ascii_digit())
                .map(|(i, _)| i)
                .filter(|&i| i == 0 || !text.as_bytes()[i - 1].is_ascii_digit())
                .map(|i| {
                    let len = text[i..]
                        .find(|c: char| !c.is_ascii_digit() && c != '.')
                        .unwrap_or(text.len() - i);
                    (i, len)
                })
                .collect();
            if numbers.is_empty() {
                return text.to_owned();
            }
            let (i, len) = numbers[nth % numbers.len()];
            format!("{}{with}{}", &text[..i], &text[i + len..])
        }
        Mutation::DuplicateLine { nth } => {
            let lines: Vec<&str> = text.lines().collect();
            let n = nth % lines.len().max(1);
            let mut out: Vec<&str> = lines.clone();
            if let Some(line) = lines.get(n) {
                out.insert(n, line);
            }
            out.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_scenarios_never_panic_and_rejections_are_located(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let (format, text) = &corpus[which % corpus.len()];
        let mut text = text.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        check_rejection(&text, load_as(&text, *format));
    }
}

// ---- a generator of valid scenarios, for the round trip ----

fn distribution() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        (0.0f64..100.0).prop_map(|ms| Distribution::Constant { ms }),
        (0.1f64..100.0).prop_map(|mean_ms| Distribution::Exponential { mean_ms }),
        (0.1f64..100.0, 0.0f64..10.0)
            .prop_map(|(mean_ms, stddev_ms)| Distribution::Normal { mean_ms, stddev_ms }),
        (0.1f64..50.0, 1.0f64..20.0).prop_map(|(p50_ms, k)| Distribution::Lognormal {
            p50_ms,
            p99_ms: p50_ms * k
        }),
        proptest::collection::vec(0.0f64..500.0, 1..6).prop_map(|samples_ms| {
            Distribution::Empirical {
                csv: None,
                samples_ms,
            }
        }),
    ]
}

fn retry() -> impl Strategy<Value = RetryConfig> {
    (
        1u32..6,
        0.0f64..500.0,
        any::<bool>(),
        1.0f64..3.0,
        prop_oneof![
            Just(Jitter::None),
            Just(Jitter::Full),
            Just(Jitter::Equal),
            Just(Jitter::Decorrelated)
        ],
        proptest::option::of(0.0f64..1.0),
    )
        .prop_map(
            |(max_attempts, wait_ms, exponential, multiplier, jitter, ratio)| RetryConfig {
                max_attempts,
                wait_ms,
                backoff: if exponential {
                    Backoff::Exponential
                } else {
                    Backoff::Fixed
                },
                // Options that would mean nothing are left out: a multiplier under fixed
                // backoff, a budget on a policy that makes no retries.
                multiplier: if exponential {
                    multiplier
                } else {
                    RetryConfig::default().multiplier
                },
                max_wait_ms: exponential.then_some(wait_ms * 10.0 + 1.0),
                jitter,
                retry_on: vec![RetryOn::Error, RetryOn::Timeout],
                budget: ratio.filter(|_| max_attempts > 1).map(|ratio| RetryBudget {
                    ratio,
                    min_per_s: 10.0,
                }),
            },
        )
}

fn breaker() -> impl Strategy<Value = CircuitBreakerConfig> {
    (
        0.01f64..=1.0,
        1u32..50,
        1u32..50,
        1.0f64..60_000.0,
        1u32..10,
        any::<bool>(),
    )
        .prop_map(
            |(threshold, window, minimum, wait, half_open, time_based)| CircuitBreakerConfig {
                failure_rate_threshold: threshold,
                sliding_window_size: window,
                minimum_number_of_calls: minimum,
                wait_duration_in_open_state_ms: wait,
                permitted_number_of_calls_in_half_open_state: half_open,
                sliding_window_type: if time_based {
                    SlidingWindowType::TimeBased
                } else {
                    SlidingWindowType::CountBased
                },
                ..CircuitBreakerConfig::default()
            },
        )
}

/// Services `s0..sN`, where `si` only calls `sj` for j > i, so there is no cycle.
fn scenario() -> impl Strategy<Value = Scenario> {
    (
        2usize..6,
        proptest::collection::vec((1usize..4, distribution(), any::<u64>()), 6),
        proptest::collection::vec((retry(), breaker(), 1.0f64..2000.0, any::<bool>()), 6),
        any::<u64>(),
        1.0f64..600.0,
    )
        .prop_map(|(n, service_specs, policy_specs, seed, duration_s)| {
            let mut s = Scenario {
                schema: None,
                name: format!("generated-{seed}"),
                description: Some("generated".into()),
                services: BTreeMap::new(),
                topics: BTreeMap::new(),
                network: Network::default(),
                data_stores: BTreeMap::new(),
                policies: BTreeMap::new(),
                slos: BTreeMap::new(),
                alerts: BTreeMap::new(),
                monitoring: Monitoring::default(),
                deployment: BTreeMap::new(),
                cluster: None,
                transactions: BTreeMap::new(),
                monolith: None,
                experiments: BTreeMap::new(),
                expected_verdicts: BTreeMap::new(),
            };
            s.network.zones = vec!["z1".into(), "z2".into()];
            s.topics.insert(
                "evt".into(),
                Topic {
                    description: None,
                    delivery: Delivery::AtLeastOnce,
                    schema: BTreeMap::from([("id".into(), FieldType::String)]),
                },
            );
            for (i, (endpoints, work, bits)) in service_specs.iter().enumerate().take(n) {
                let mut svc = Service {
                    description: None,
                    functions: vec![format!("f{i}")],
                    endpoints: BTreeMap::new(),
                    data: BTreeMap::new(),
                    consumes: BTreeMap::new(),
                    state: if bits & 1 == 0 {
                        ServiceState::Stateless
                    } else {
                        ServiceState::Stateful
                    },
                    resources: Resources {
                        cpu_millis: Some(100 + (bits % 900) as u32),
                        memory_mib: None,
                    },
                };
                for e in 0..*endpoints {
                    let mut calls = Vec::new();
                    for j in (i + 1)..n {
                        if (bits >> (j + e)) & 1 == 1 {
                            let call = Call {
                                endpoint: format!("s{j}.e0"),
                                probability: if (bits >> 20) & 1 == 1 { 0.5 } else { 1.0 },
                            };
                            calls.push(call);
                        }
                    }
                    let steps = if calls.len() >= 2 && (bits >> 30) & 1 == 1 {
                        vec![CallStep::Parallel(calls)]
                    } else {
                        calls.into_iter().map(CallStep::Single).collect()
                    };
                    svc.endpoints.insert(
                        format!("e{e}"),
                        Endpoint {
                            public: i == 0,
                            work: work.clone(),
                            calls: steps,
                            publishes: if e == 0 && i == 0 {
                                vec!["evt".into()]
                            } else {
                                vec![]
                            },
                        },
                    );
                }
                if i == n - 1 {
                    svc.consumes.insert(
                        "evt".into(),
                        ConsumerSpec {
                            handler: "e0".into(),
                            group: None,
                            fields: BTreeMap::new(),
                        },
                    );
                }
                s.services.insert(format!("s{i}"), svc);
                s.deployment.insert(
                    format!("s{i}"),
                    Deployment {
                        replicas: 1 + (bits % 4) as u32,
                        zones: vec!["z1".into()],
                        ..Deployment::default()
                    },
                );
            }
            for (k, (caller, callee)) in s.call_edges().into_iter().enumerate() {
                let (retry, breaker, timeout, on) = &policy_specs[k % policy_specs.len()];
                if *on {
                    s.policies.insert(
                        format!("{caller} -> {callee}"),
                        Policy {
                            timeout_ms: Some(*timeout),
                            retry: Some(retry.clone()),
                            circuit_breaker: Some(breaker.clone()),
                            ..Policy::default()
                        },
                    );
                }
            }
            s.slos.insert(
                "entry".into(),
                Slo {
                    endpoint: "s0.e0".into(),
                    availability: Some(0.999),
                    latency_p50_ms: None,
                    latency_p90_ms: None,
                    latency_p95_ms: None,
                    latency_p99_ms: Some(250.0),
                    latency_p999_ms: None,
                    window_s: 60.0,
                },
            );
            s.transactions.insert(
                "tx".into(),
                Transaction::TwoPhaseCommit {
                    description: None,
                    coordinator: "s0".into(),
                    participants: (1..n).map(|i| format!("s{i}")).collect(),
                    prepare: Prepare::Parallel,
                    participants_may_vote_no: None,
                    faults: TwoPhaseFaults {
                        coordinator_crash: CoordinatorCrash::Permanent,
                        ..TwoPhaseFaults::default()
                    },
                },
            );
            s.experiments.insert(
                "x".into(),
                Experiment {
                    description: None,
                    duration_s,
                    seed,
                    warmup_s: 0.0,
                    load: vec![LoadGenerator {
                        endpoint: Some("s0.e0".into()),
                        mix: BTreeMap::new(),
                        arrival: Arrival::Poisson,
                        rate_per_s: Some(10.0),
                        to_rate_per_s: None,
                        steps: vec![],
                        steps_csv: None,
                        users: None,
                        think_time_ms: None,
                    }],
                    faults: vec![Fault {
                        at_s: duration_s / 4.0,
                        for_s: Some(duration_s / 4.0),
                        crash: Some(format!("s{}", n - 1)),
                        replicas: None,
                        latency: None,
                        errors: None,
                        partition: None,
                        slowdown: None,
                        deploy: None,
                        zone: None,
                        new_version: None,
                    }],
                    expect: Expectations {
                        slos: Some(vec!["entry".into()]),
                        max_retry_amplification: Some(3.0),
                        alerts_within_s: Default::default(),
                    },
                },
            );
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn valid_scenarios_round_trip_through_json_and_toml(s in scenario()) {
        let json = serde_json::to_string_pretty(&s).unwrap();
        let from_json = load_as(&json, Format::Json).unwrap_or_else(|e| panic!("{e}\n{json}"));
        prop_assert_eq!(&from_json.scenario, &s);
        let toml_text = toml::to_string(&s).unwrap();
        let from_toml = load_as(&toml_text, Format::Toml).unwrap_or_else(|e| panic!("{e}\n{toml_text}"));
        prop_assert_eq!(&from_toml.scenario, &s);
    }
}

#[test]
fn bundled_scenarios_round_trip_through_json() {
    for path in bundled_scenario_paths() {
        let loaded = load(&path).unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&loaded.scenario).unwrap();
        // CSV files were read into the scenario, so the JSON stands alone anywhere.
        let again = load_str(
            &json,
            Path::new("x.json"),
            Format::Json,
            Path::new("/nonexistent"),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(again.scenario, loaded.scenario, "{}", path.display());
    }
}
