//! The Resilience4j reader on the real `application.yml` of the resilience4j Spring Boot demo in
//! the shared reference data (unmodified): inheritance from `configs.default`, per-instance
//! overrides, documented defaults, positions, and the keys it lists as skipped.

#[path = "support/data.rs"]
mod data;
use data::architectures;

use microcosm_import::resilience4j::{Origin, Resilience4j, Section, Setting, read};
use microcosm_model::scenario::SlidingWindowType;

fn demo() -> Option<Resilience4j> {
    let file = architectures()?.join("resilience4j/application.yml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    Some(read(&file, &text).unwrap_or_else(|d| panic!("{}", d.render(false))))
}

/// The config an effective value was inherited from and the line it is written on, or the
/// instance's own line (config `""`), or the default (line 0).
fn origin(r: &Resilience4j, section: Section, instance: &str, key: &str) -> (String, usize) {
    let i = r.instance(section, instance).expect("instance");
    match &i.get(key).expect("modelled key").origin {
        Origin::Instance(at) => (String::new(), at.line),
        Origin::Config { name, at } => (name.clone(), at.line),
        Origin::Default => ("default value".to_string(), 0),
    }
}

#[test]
fn every_instance_of_the_five_sections_in_file_order() {
    let Some(r) = demo() else { return };
    let names: Vec<(Section, &str, usize)> = r
        .instances
        .iter()
        .map(|i| (i.section, i.name.as_str(), i.at.line))
        .collect();
    assert_eq!(
        names,
        [
            (Section::CircuitBreaker, "backendA", 53),
            (Section::CircuitBreaker, "backendB", 55),
            (Section::Retry, "backendA", 76),
            (Section::Retry, "backendB", 78),
            (Section::Bulkhead, "backendA", 85),
            (Section::Bulkhead, "backendB", 87),
            (Section::RateLimiter, "backendA", 114),
            (Section::RateLimiter, "backendB", 116),
            (Section::TimeLimiter, "backendA", 127),
            (Section::TimeLimiter, "backendB", 129),
        ]
    );
}

#[test]
fn circuit_breakers_inherit_from_default_and_override_per_instance() {
    let Some(r) = demo() else { return };
    let cb = Section::CircuitBreaker;
    let a = r.instance(cb, "backendA").unwrap();
    assert_eq!(a.base.as_deref(), Some("default"));
    assert_eq!(
        a.get("minimumNumberOfCalls").unwrap().value,
        Setting::Count(5)
    );
    assert_eq!(
        origin(&r, cb, "backendA", "minimumNumberOfCalls"),
        ("default".into(), 32)
    );
    assert_eq!(
        a.get("waitDurationInOpenState").unwrap().value,
        Setting::Millis(5_000.0)
    );
    assert_eq!(
        a.get("failureRateThreshold").unwrap().value,
        Setting::Fraction(0.5)
    );
    assert_eq!(
        a.get("recordExceptions").unwrap().value,
        Setting::List(vec![
            "org.springframework.web.client.HttpServerErrorException".into(),
            "java.util.concurrent.TimeoutException".into(),
            "java.io.IOException".into(),
        ])
    );
    assert_eq!(
        origin(&r, cb, "backendA", "recordExceptions"),
        ("default".into(), 39)
    );
    // Written nowhere: Resilience4j's documented defaults.
    assert_eq!(origin(&r, cb, "backendA", "slowCallRateThreshold").1, 0);
    assert_eq!(
        a.get("slidingWindowType").unwrap().value,
        Setting::WindowType(SlidingWindowType::CountBased)
    );

    // backendB names no baseConfig: it starts from `default` and overrides, at its own lines.
    let b = r.instance(cb, "backendB").unwrap();
    assert_eq!(b.base.as_deref(), Some("default"));
    assert_eq!(
        b.get("minimumNumberOfCalls").unwrap().value,
        Setting::Count(10)
    );
    assert_eq!(
        origin(&r, cb, "backendB", "minimumNumberOfCalls"),
        (String::new(), 58)
    );
    assert_eq!(
        origin(
            &r,
            cb,
            "backendB",
            "automaticTransitionFromOpenToHalfOpenEnabled"
        ),
        ("default".into(), 34)
    );
    let at = match &b.get("minimumNumberOfCalls").unwrap().origin {
        Origin::Instance(at) => at.clone(),
        other => panic!("{other:?}"),
    };
    assert!(at.file.ends_with("resilience4j/application.yml"));
    assert_eq!((at.line, at.column), (58, 35));

    let model = b.circuit_breaker_config().unwrap();
    assert_eq!(model.minimum_number_of_calls, 10);
    assert_eq!(model.sliding_window_size, 10);
    assert_eq!(model.wait_duration_in_open_state_ms, 5_000.0);
    assert!(model.automatic_transition_from_open_to_half_open_enabled);
    assert_eq!(model.slow_call_duration_ms, 60_000.0);
}

#[test]
fn other_sections_in_milliseconds_with_their_origins() {
    let Some(r) = demo() else { return };
    let retry = r.instance(Section::Retry, "backendB").unwrap();
    assert_eq!(retry.get("maxAttempts").unwrap().value, Setting::Count(3));
    // `waitDuration: 100` is milliseconds, as Spring binds a bare number to a Duration.
    assert_eq!(
        retry.get("waitDuration").unwrap().value,
        Setting::Millis(100.0)
    );
    assert_eq!(
        origin(&r, Section::Retry, "backendB", "waitDuration"),
        ("default".into(), 68)
    );

    let bulk = r.instance(Section::Bulkhead, "backendB").unwrap();
    assert_eq!(
        bulk.get("maxConcurrentCalls").unwrap().value,
        Setting::Count(20)
    );
    assert_eq!(
        bulk.get("maxWaitDuration").unwrap().value,
        Setting::Millis(10.0)
    );
    let bulk_a = r.instance(Section::Bulkhead, "backendA").unwrap();
    assert_eq!(
        bulk_a.get("maxConcurrentCalls").unwrap().value,
        Setting::Count(10)
    );
    assert_eq!(
        bulk_a.get("maxWaitDuration").unwrap().origin,
        Origin::Default
    );

    let rl = r.instance(Section::RateLimiter, "backendB").unwrap();
    assert_eq!(rl.get("limitForPeriod").unwrap().value, Setting::Count(6));
    assert_eq!(
        rl.get("limitRefreshPeriod").unwrap().value,
        Setting::Millis(500.0)
    );
    assert_eq!(
        rl.get("timeoutDuration").unwrap().value,
        Setting::Millis(3_000.0)
    );
    let rl_a = r.instance(Section::RateLimiter, "backendA").unwrap();
    assert_eq!(
        rl_a.get("timeoutDuration").unwrap().value,
        Setting::Millis(0.0)
    );
    assert_eq!(
        origin(&r, Section::RateLimiter, "backendA", "timeoutDuration"),
        ("default".into(), 111)
    );

    let tl = r.instance(Section::TimeLimiter, "backendA").unwrap();
    assert_eq!(
        tl.get("timeoutDuration").unwrap().value,
        Setting::Millis(2_000.0)
    );
    assert_eq!(
        tl.get("cancelRunningFuture").unwrap().value,
        Setting::Bool(false)
    );
}

#[test]
fn unmodelled_keys_and_sections_are_listed_with_positions() {
    let Some(r) = demo() else { return };
    let skipped: Vec<(&str, usize)> = r
        .skipped
        .iter()
        .map(|s| (s.key.as_str(), s.at.line))
        .collect();
    for expected in [
        (
            "resilience4j.circuitbreaker.configs.default.registerHealthIndicator",
            30,
        ),
        (
            "resilience4j.circuitbreaker.instances.backendB.recordFailurePredicate",
            63,
        ),
        ("resilience4j.thread-pool-bulkhead", 91),
        (
            "resilience4j.ratelimiter.configs.default.eventConsumerBufferSize",
            112,
        ),
    ] {
        assert!(
            skipped.contains(&expected),
            "{expected:?} not in {skipped:?}"
        );
    }
    // Nothing outside `resilience4j` (spring, server, management) is listed.
    assert!(skipped.iter().all(|(k, _)| k.starts_with("resilience4j.")));
}
