//! Tests of the docker-compose reader on inline files: compose units, the three formats' forms,
//! interpolation, and located errors. The real files are read in `import/tests/compose.rs`.

use super::*;

fn read_one(text: &str) -> Result<Compose, Diagnostic> {
    read("docker-compose.yml", text)
}

#[test]
fn cpus_and_memory_are_read_in_compose_units() {
    assert_eq!(cpu_millis("0.5"), Ok(500));
    assert_eq!(cpu_millis("2"), Ok(2000));
    assert!(cpu_millis("half").is_err());
    assert!(cpu_millis("-1").is_err());
    assert_eq!(memory_mib("512M"), Ok(512));
    assert_eq!(memory_mib("1g"), Ok(1024));
    assert_eq!(memory_mib("256m"), Ok(256));
    assert_eq!(memory_mib("1.5GB"), Ok(1536));
    assert_eq!(memory_mib("100k"), Ok(1), "rounded up");
    assert_eq!(memory_mib("1048576"), Ok(1), "bare bytes");
    assert!(memory_mib("12 parsecs").is_err());
    assert!(memory_mib("").is_err());
}

#[test]
fn compose_spec_without_version_with_deploy_and_map_forms() {
    let text = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '0.5', memory: 512M}\n        reservations: {memory: 256m}\n      restart_policy: {condition: any}\n    depends_on:\n      db: {condition: service_healthy}\n    environment:\n      DB_URL: postgres://db:5432/app\n      MODE: db\n  db:\n    image: postgres\n    ports: ['5432']\nnetworks:\n  back: {}\n";
    let c = read_one(text).unwrap();
    let web = &c.services[0];
    assert_eq!(web.replicas.value, 3);
    assert!(!web.replicas_defaulted);
    assert_eq!((web.replicas.at.line, web.replicas.at.column), (5, 17));
    let limits = &web.limits;
    assert_eq!(limits.cpu_millis.as_ref().unwrap().value, 500);
    assert_eq!(limits.memory_mib.as_ref().unwrap().value, 512);
    assert_eq!(web.reservations.memory_mib.as_ref().unwrap().value, 256);
    assert!(web.reservations.cpu_millis.is_none());
    assert_eq!(c.services[1].replicas.value, 1);
    assert!(c.services[1].replicas_defaulted);
    let edges: Vec<_> = c.edges.iter().map(|e| (e.kind, e.via.as_str())).collect();
    assert_eq!(
        edges,
        [
            (EdgeKind::DependsOn, "depends_on"),
            (EdgeKind::Address, "environment DB_URL"),
            (EdgeKind::Address, "environment MODE"),
        ]
    );
    assert_eq!(c.edges[0].text.at.line, 11);
    assert_eq!(c.edges[1].text.at.line, 13);
    let skipped: Vec<_> = c.skipped.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(skipped, ["networks", "deploy.restart_policy", "ports"]);
}

#[test]
fn v2_scale_links_list_env_and_commands() {
    let text = "version: '2'\nservices:\n  app:\n    image: app\n    scale: 2\n    links: ['cache:redis']\n    environment:\n      - CACHE=cache:6379\n      - TLS\n    command: [\"--peer=worker\", \"app\"]\n    restart: always\n  cache:\n    image: redis\n    restart: always\n  worker:\n    image: app\n    entrypoint: worker\n";
    let c = read_one(text).unwrap();
    assert_eq!(c.services[0].replicas.value, 2);
    let edges: Vec<_> = c
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
        .collect();
    assert_eq!(
        edges,
        [
            ("app", "cache", EdgeKind::Link),
            ("app", "cache", EdgeKind::Address),
            ("app", "worker", EdgeKind::Address),
        ],
        "a service naming itself (`app`, `entrypoint: worker`) is not an edge"
    );
    assert_eq!(c.edges[2].via, "command[0]");
    let shell = text.replace(
        "[\"--peer=worker\", \"app\"]",
        "\"run -h worker -c 2 cache\"",
    );
    let c = read_one(&shell).unwrap();
    let addressed: Vec<_> = c
        .edges
        .iter()
        .filter(|e| e.via == "command")
        .map(|e| e.to.as_str())
        .collect();
    assert_eq!(
        addressed,
        ["worker"],
        "`cache` follows no flag: not an address"
    );
    let restart = c.skipped.iter().find(|s| s.key == "restart").unwrap();
    assert_eq!(restart.services, ["app", "cache"]);
    assert_eq!(restart.at.line, 11);
    assert_eq!(c.skipped.len(), 1, "listed once");
}

#[test]
fn v2_resource_keys_and_scale_against_deploy() {
    let text = "services:\n  a:\n    cpus: 1.5\n    mem_limit: 1g\n    mem_reservation: 128m\n    scale: 2\n    deploy:\n      replicas: 2\n      resources: {limits: {memory: 2g}}\n";
    let c = read_one(text).unwrap();
    let a = &c.services[0];
    assert_eq!(a.replicas.value, 2);
    assert_eq!(a.replicas.at.line, 8, "deploy.replicas is the current form");
    assert_eq!(a.limits.cpu_millis.as_ref().unwrap().value, 1500);
    assert_eq!(a.limits.memory_mib.as_ref().unwrap().value, 2048);
    assert_eq!(a.limits.memory_mib.as_ref().unwrap().at.line, 9);
    assert_eq!(a.reservations.memory_mib.as_ref().unwrap().value, 128);
    assert!(c.skipped.is_empty(), "{:?}", c.skipped);
    let err = read_one(&text.replace("scale: 2", "scale: 3")).unwrap_err();
    assert_eq!(err.code, codes::INCONSISTENT);
    assert_eq!(err.location.unwrap().line, 6);
    assert!(err.message.contains("line 8"), "{}", err.message);
    let err = read_one("services:\n  a:\n    deploy: 3\n").unwrap_err();
    assert_eq!(
        (err.code, err.location.unwrap().line),
        (codes::WRONG_TYPE, 3)
    );
}

#[test]
fn interpolation_is_kept_with_a_note() {
    let text = "services:\n  db:\n    image: \"mysql:${TAG}\"\n    environment:\n      - PASS=$$literal\n      - USER=$DB_USER\n";
    let c = read_one(text).unwrap();
    assert_eq!(c.services[0].image.as_ref().unwrap().value, "mysql:${TAG}");
    let lines: Vec<_> = c.notes.iter().map(|n| n.at.line).collect();
    assert_eq!(lines, [3, 6], "`$$` is a literal dollar");
}

#[test]
fn malformed_input_is_located() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "services:\n  a:\n    depends_on: [b]\n",
            codes::UNRESOLVED,
            3,
        ),
        ("services:\n  a:\n    links: [b:x]\n", codes::UNRESOLVED, 3),
        (
            "services:\n  a:\n    deploy: {replicas: many}\n",
            codes::WRONG_TYPE,
            3,
        ),
        (
            "services:\n  a:\n    deploy:\n      resources:\n        limits: {memory: 12 parsecs}\n",
            codes::WRONG_TYPE,
            5,
        ),
        (
            "services:\n  a:\n    environment: X=1\n",
            codes::WRONG_TYPE,
            3,
        ),
        ("services:\n  a: nginx\n", codes::WRONG_TYPE, 2),
        (
            "version: '1'\nweb:\n  image: nginx\n",
            codes::MISSING_FIELD,
            1,
        ),
        ("services: [a, b]\n", codes::WRONG_TYPE, 1),
        (
            "services:\n  a: {image: x}\n---\nservices: {}\n",
            codes::UNKNOWN_FORMAT,
            4,
        ),
        ("services:\n  a: {image: [x\n", codes::SYNTAX, 3),
    ];
    for (text, code, line) in cases {
        let err = read_one(text).unwrap_err();
        assert_eq!(err.code, *code, "{text}: {}", err.message);
        let loc = err.location.as_ref().unwrap_or_else(|| panic!("{text}"));
        assert_eq!(loc.line, *line, "{text}: {}", err.message);
        assert!(err.help.is_some(), "{text}");
    }
    let empty = read_one("# nothing\n").unwrap_err();
    assert_eq!(empty.code, codes::EMPTY);
    assert_eq!(empty.location.unwrap().line, 1);
}

proptest::proptest! {
    /// Whatever the text, the reader answers (a description or a located error), never
    /// panics.
    #[test]
    fn any_text_is_an_answer_not_a_panic(
        text in "(services:\n|  [a-c]:\n|    (image|scale|links|depends_on|environment|command): [^\n]{0,10}\n|    deploy: \\{(replicas|resources): [^\n]{0,8}\\}\n|[ -~]{0,10}\n){0,8}"
    ) {
        if let Err(d) = read_one(&text) {
            proptest::prop_assert!(d.location.is_some(), "{}", d.message);
        }
    }
}
