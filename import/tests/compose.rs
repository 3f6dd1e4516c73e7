//! The docker-compose reader on the real, unmodified compose files of Sock Shop, Hotel
//! Reservation and the Resilience4j demo in the shared reference data beside the repository.

#[path = "support/data.rs"]
mod data;
use data::architectures;

use std::path::PathBuf;

use microcosm_import::compose::{Compose, EdgeKind, Service, read};

fn read_file(file: PathBuf) -> Compose {
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    read(&file, &text).unwrap_or_else(|d| panic!("{}", d.render(false)))
}

fn service<'a>(c: &'a Compose, name: &str) -> &'a Service {
    c.services
        .iter()
        .find(|s| s.name.value == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

fn edges(c: &Compose, from: &str, kind: EdgeKind) -> Vec<String> {
    let mut to: Vec<String> = c
        .edges
        .iter()
        .filter(|e| e.from == from && e.kind == kind)
        .map(|e| e.to.clone())
        .collect();
    to.sort();
    to
}

#[test]
fn sock_shop_v2() {
    let Some(dir) = architectures() else { return };
    let c = read_file(dir.join("sock-shop/docker-compose.yml"));
    assert_eq!(c.services.len(), 15);
    assert_eq!(c.services[0].name.value, "front-end");
    assert_eq!(
        (c.services[0].name.at.line, c.services[0].name.at.column),
        (4, 3)
    );
    assert!(
        c.services
            .iter()
            .all(|s| s.replicas.value == 1 && s.replicas_defaulted)
    );
    let image = service(&c, "carts-db").image.as_ref().unwrap();
    assert_eq!(image.value, "mongo:3.4");
    assert_eq!((image.at.line, image.at.column), (60, 12));
    let addressed: Vec<_> = c
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Address)
        .collect();
    // Two addresses: the load test's target as its command's `-h` argument, and the user
    // service's database in an environment value.
    assert_eq!(addressed.len(), 2, "{addressed:?}");
    let sim = addressed[1];
    assert_eq!(
        (sim.from.as_str(), sim.to.as_str()),
        ("user-sim", "edge-router")
    );
    assert_eq!(sim.via, "command");
    assert_eq!((sim.text.at.line, sim.text.at.column), (175, 14));
    let e = addressed[0];
    assert_eq!((e.from.as_str(), e.to.as_str()), ("user", "user-db"));
    assert_eq!(e.via, "environment MONGO_HOST");
    assert_eq!(e.text.value, "MONGO_HOST=user-db:27017");
    assert_eq!((e.text.at.line, e.text.at.column), (155, 9));
    // `-Dspring.zipkin.enabled=false` and `MYSQL_DATABASE=socksdb` name no service.
    assert!(edges(&c, "carts", EdgeKind::Address).is_empty());
    // The database password comes from the deploying shell: kept, with a note.
    assert_eq!(c.notes.len(), 1);
    assert_eq!(c.notes[0].at.line, 43);
    let restart = c.skipped.iter().find(|s| s.key == "restart").unwrap();
    assert_eq!(restart.services.len(), 14, "all but user-sim");
    assert_eq!(c.skipped.iter().filter(|s| s.key == "restart").count(), 1);
}

#[test]
fn hotel_reservation_v3() {
    let Some(dir) = architectures() else { return };
    let c = read_file(dir.join("hotel-reservation/docker-compose.yml"));
    assert_eq!(c.services.len(), 24);
    let frontend = service(&c, "frontend");
    assert_eq!(frontend.replicas.value, 1);
    assert!(!frontend.replicas_defaulted);
    assert_eq!(
        (frontend.replicas.at.line, frontend.replicas.at.column),
        (35, 17)
    );
    assert!(service(&c, "review").replicas_defaulted);
    assert_eq!(
        edges(&c, "profile", EdgeKind::DependsOn),
        ["consul", "memcached-profile", "mongodb-profile"]
    );
    assert_eq!(
        edges(&c, "reservation", EdgeKind::DependsOn),
        ["consul", "memcached-reserve", "mongodb-reservation"]
    );
    let geo_db = c
        .edges
        .iter()
        .find(|e| e.from == "geo" && e.to == "mongodb-geo")
        .unwrap();
    assert_eq!((geo_db.text.at.line, geo_db.text.at.column), (94, 9));
    assert!(edges(&c, "consul", EdgeKind::DependsOn).is_empty());
    // `entrypoint: frontend` runs the service's own binary: not a call to itself, and the
    // bare `- TLS` environment entries carry no value.
    assert!(
        c.edges.iter().all(|e| e.kind == EdgeKind::DependsOn),
        "{:?}",
        c.edges
    );
    assert_eq!(c.edges.len(), 22, "one per depends_on entry");
    let keys: Vec<_> = c
        .skipped
        .iter()
        .filter(|s| s.services.is_empty())
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(keys, ["volumes", "configs"]);
    assert_eq!(
        c.skipped
            .iter()
            .find(|s| s.key == "volumes")
            .unwrap()
            .at
            .line,
        383
    );
    assert!(c.skipped.iter().any(|s| s.key == "deploy.restart_policy"));
}

#[test]
fn resilience4j_v3_monitoring_only() {
    let Some(dir) = architectures() else { return };
    let c = read_file(dir.join("resilience4j/docker-compose.yml"));
    let names: Vec<_> = c.services.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(names, ["prometheus", "grafana"]);
    assert!(c.edges.is_empty());
    assert_eq!(
        service(&c, "grafana").image.as_ref().unwrap().value,
        "grafana/grafana"
    );
    let keys: Vec<_> = c.skipped.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        ["container_name", "network_mode", "volumes", "env_file"]
    );
}
