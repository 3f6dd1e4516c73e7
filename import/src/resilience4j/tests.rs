//! Tests of the Resilience4j reader on inline configuration: durations, inheritance through
//! `baseConfig`, later documents overriding, skipped keys and located errors. The demo's real
//! `application.yml` is read in `import/tests/resilience4j.rs`.

use super::*;

fn read_str(text: &str) -> Result<Resilience4j, Diagnostic> {
    read(Path::new("application.yml"), text)
}

#[test]
fn durations_in_spring_and_iso_forms() {
    assert_eq!(duration_ms("100"), Some(100.0));
    assert_eq!(duration_ms("10ms"), Some(10.0));
    assert_eq!(duration_ms("5s"), Some(5_000.0));
    assert_eq!(duration_ms("2m"), Some(120_000.0));
    assert_eq!(duration_ms("500ns"), Some(0.0005));
    assert_eq!(duration_ms("PT10S"), Some(10_000.0));
    assert_eq!(duration_ms("PT1M30.5S"), Some(90_500.0));
    assert_eq!(duration_ms("P1DT1H"), Some(90_000_000.0));
    assert_eq!(duration_ms("-1s"), Some(-1_000.0));
    assert_eq!(duration_ms("10 parsecs"), None);
    assert_eq!(duration_ms("PT"), None);
    assert_eq!(duration_ms("PT5X"), None);
}

#[test]
fn nested_kebab_keys_override_a_named_base_config() {
    let r = read_str(
            "resilience4j:\n  circuitbreaker:\n    configs:\n      slow:\n        wait-duration-in-open-state: PT30S\n        sliding-window-type: TIME_BASED\n    instances:\n      a:\n        baseConfig: slow\n        failure-rate-threshold: 25\n",
        )
        .unwrap();
    let a = r.instance(Section::CircuitBreaker, "a").unwrap();
    assert_eq!(a.base.as_deref(), Some("slow"));
    assert_eq!((a.at.line, a.at.column), (8, 7));
    let rate = a.get("failureRateThreshold").unwrap();
    assert_eq!(rate.value, Setting::Fraction(0.25));
    assert!(matches!(&rate.origin, Origin::Instance(p) if p.line == 10 && p.column == 33));
    let wait = a.get("waitDurationInOpenState").unwrap();
    assert_eq!(wait.value, Setting::Millis(30_000.0));
    assert!(matches!(&wait.origin, Origin::Config { name, at } if name == "slow" && at.line == 5));
    assert_eq!(
        a.get("minimumNumberOfCalls").unwrap().origin,
        Origin::Default
    );
    let c = a.circuit_breaker_config().unwrap();
    assert_eq!(c.failure_rate_threshold, 0.25);
    assert_eq!(c.wait_duration_in_open_state_ms, 30_000.0);
    assert_eq!(c.sliding_window_type, SlidingWindowType::TimeBased);
    assert_eq!(c.minimum_number_of_calls, 100);
}

#[test]
fn fully_dotted_keys_and_later_documents_override() {
    let r = read_str(
            "resilience4j.retry.instances.x.maxAttempts: 5\n---\nresilience4j.retry.instances.x.max-attempts: 7\n",
        )
        .unwrap();
    let x = r.instance(Section::Retry, "x").unwrap();
    assert_eq!((x.at.line, x.at.column), (1, 1));
    assert_eq!(x.base, None);
    assert_eq!(x.get("maxAttempts").unwrap().value, Setting::Count(7));
    assert!(matches!(&x.get("maxAttempts").unwrap().origin, Origin::Instance(p) if p.line == 3));
    assert_eq!(x.get("waitDuration").unwrap().value, Setting::Millis(500.0));
}

#[test]
fn negative_attempts_is_a_located_error() {
    let e =
        read_str("resilience4j.retry:\n  instances:\n    a:\n      maxAttempts: -2\n").unwrap_err();
    assert_eq!(e.code, codes::OUT_OF_RANGE);
    assert_eq!(e.position().as_deref(), Some("application.yml:4:20"));
}

#[test]
fn wrong_types_are_located_errors() {
    for (text, code, at) in [
        (
            "resilience4j.bulkhead:\n  instances:\n    a:\n      maxConcurrentCalls: lots\n",
            codes::WRONG_TYPE,
            "application.yml:4:27",
        ),
        (
            "resilience4j.circuitbreaker:\n  instances:\n    a:\n      failureRateThreshold: 150\n",
            codes::OUT_OF_RANGE,
            "application.yml:4:29",
        ),
        (
            "resilience4j.timelimiter:\n  instances:\n    a:\n      timeoutDuration: [1]\n",
            codes::WRONG_TYPE,
            "application.yml:4:24",
        ),
        (
            "resilience4j.circuitbreaker:\n  configs:\n    c:\n      slidingWindowSize: 0\n  instances:\n    a:\n      baseConfig: c\n",
            codes::OUT_OF_RANGE,
            "application.yml:4:26",
        ),
        (
            "resilience4j.retry:\n  instances:\n    a:\n      baseConfig: nope\n",
            codes::UNRESOLVED,
            "application.yml:4:19",
        ),
    ] {
        let e = read_str(text).unwrap_err();
        assert_eq!(
            (e.code, e.position().as_deref()),
            (code, Some(at)),
            "{text}"
        );
    }
}

#[test]
fn unknown_keys_and_sections_are_skipped_with_positions() {
    let r = read_str(
            "resilience4j.circuitbreaker:\n  metrics: x\n  instances:\n    a:\n      registerHealthIndicator: true\nresilience4j.thread-pool-bulkhead:\n  instances: {}\nresilience4j.bulkhead.configs.b.baseConfig: c\n",
        )
        .unwrap();
    let keys: Vec<(&str, usize)> = r
        .skipped
        .iter()
        .map(|s| (s.key.as_str(), s.at.line))
        .collect();
    assert_eq!(
        keys,
        [
            ("resilience4j.circuitbreaker.metrics", 2),
            (
                "resilience4j.circuitbreaker.instances.a.registerHealthIndicator",
                5
            ),
            ("resilience4j.thread-pool-bulkhead", 6),
            ("resilience4j.bulkhead.configs.b.baseConfig", 8),
        ]
    );
}
