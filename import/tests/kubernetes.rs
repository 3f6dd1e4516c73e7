//! The Kubernetes reader on the real, unmodified manifests of Online Boutique, Sock Shop and
//! Hotel Reservation in the shared reference data beside the repository.

#[path = "support/data.rs"]
mod data;
use data::architectures;

use std::path::PathBuf;

use microcosm_import::kubernetes::{Cluster, Workload, WorkloadKind, read};

fn read_files(files: &[PathBuf]) -> Cluster {
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect();
    read(
        files
            .iter()
            .map(PathBuf::as_path)
            .zip(texts.iter().map(String::as_str)),
    )
    .unwrap_or_else(|d| panic!("{}", d.render(false)))
}

fn workload<'a>(c: &'a Cluster, name: &str) -> &'a Workload {
    c.workloads
        .iter()
        .find(|w| w.name.value == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn edges(c: &Cluster, from: &str) -> Vec<String> {
    let mut to: Vec<String> = c
        .edges
        .iter()
        .filter(|e| e.from == from)
        .map(|e| e.to_service.clone())
        .collect();
    to.sort();
    to
}

fn requests(w: &Workload) -> (u32, u32) {
    let r = &w.containers[0].requests;
    (
        r.cpu_millis.as_ref().map_or(0, |q| q.value),
        r.memory_mib.as_ref().map_or(0, |q| q.value),
    )
}

fn limits(w: &Workload) -> (u32, u32) {
    let l = &w.containers[0].limits;
    (
        l.cpu_millis.as_ref().map_or(0, |q| q.value),
        l.memory_mib.as_ref().map_or(0, |q| q.value),
    )
}

#[test]
fn online_boutique_workloads_resources_and_calls() {
    let Some(dir) = architectures() else {
        return;
    };
    let c = read_files(&[dir.join("online-boutique/kubernetes-manifests.yaml")]);
    let mut names: Vec<&str> = c.workloads.iter().map(|w| w.name.value.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "adservice",
            "cartservice",
            "checkoutservice",
            "currencyservice",
            "emailservice",
            "frontend",
            "loadgenerator",
            "paymentservice",
            "productcatalogservice",
            "recommendationservice",
            "redis-cart",
            "shippingservice",
        ]
    );
    assert!(c.workloads.iter().all(|w| w.replicas.value == 1));

    let checkout = workload(&c, "checkoutservice");
    assert_eq!(checkout.kind, WorkloadKind::Deployment);
    assert_eq!((checkout.name.at.line, checkout.name.at.column), (608, 9));
    assert!(
        checkout.replicas_defaulted,
        "checkoutservice writes no replicas"
    );
    assert_eq!(requests(checkout), (100, 64));
    assert_eq!(limits(checkout), (200, 128));
    let cpu = checkout.containers[0].requests.cpu_millis.as_ref().unwrap();
    assert_eq!((cpu.at.line, cpu.at.column), (661, 20));
    assert_eq!(requests(workload(&c, "redis-cart")), (70, 200));
    assert_eq!(limits(workload(&c, "adservice")), (300, 300));

    let load = workload(&c, "loadgenerator");
    assert!(!load.replicas_defaulted);
    assert_eq!(load.replicas.at.line, 451);

    assert_eq!(
        edges(&c, "checkoutservice"),
        [
            "cartservice",
            "currencyservice",
            "emailservice",
            "paymentservice",
            "productcatalogservice",
            "shippingservice",
        ]
    );
    let to_catalog = c
        .edges
        .iter()
        .find(|e| e.from == "checkoutservice" && e.to_service == "productcatalogservice")
        .unwrap();
    assert_eq!(to_catalog.text.value, "productcatalogservice:3550");
    assert_eq!(
        (to_catalog.text.at.line, to_catalog.text.at.column),
        (648, 20)
    );
    assert_eq!(to_catalog.to_workloads, ["productcatalogservice"]);
    assert!(to_catalog.via.contains("PRODUCT_CATALOG_SERVICE_ADDR"));
    assert_eq!(edges(&c, "cartservice"), ["redis-cart"]);
    assert_eq!(
        edges(&c, "recommendationservice"),
        ["productcatalogservice"]
    );
    assert_eq!(edges(&c, "frontend").len(), 7);
    // The init container's env and the main container's each name the frontend; the init
    // container's shell script mentions it in prose, which is no call.
    assert_eq!(edges(&c, "loadgenerator"), ["frontend", "frontend"]);
    let vias: Vec<&str> = c
        .edges
        .iter()
        .filter(|e| e.from == "loadgenerator")
        .map(|e| e.via.as_str())
        .collect();
    assert_eq!(
        vias,
        [
            "env FRONTEND_ADDR of init container frontend-check",
            "env FRONTEND_ADDR of container main"
        ]
    );
    for leaf in [
        "adservice",
        "currencyservice",
        "emailservice",
        "paymentservice",
        "shippingservice",
    ] {
        assert!(edges(&c, leaf).is_empty(), "{leaf} names no other service");
    }
    assert_eq!(c.edges.len(), 7 + 6 + 1 + 1 + 2);

    assert_eq!(
        c.services.len(),
        12,
        "the ten services, redis-cart, and frontend-external (the load generator has none)"
    );
    let external = c
        .services
        .iter()
        .find(|s| s.name.value == "frontend-external")
        .unwrap();
    assert_eq!(external.workloads, ["frontend"]);
    assert_eq!(external.ports[0].value, 80);
    assert!(c.skipped.iter().all(|s| s.kind == "ServiceAccount"));
    assert_eq!(c.skipped.len(), 11);
}

#[test]
fn sock_shop_workloads_and_the_one_edge_its_file_names() {
    let Some(dir) = architectures() else {
        return;
    };
    let c = read_files(&[dir.join("sock-shop/complete-demo.yaml")]);
    assert_eq!(c.workloads.len(), 14);
    assert!(c.workloads.iter().all(|w| w.replicas.value == 1));
    let payment = workload(&c, "payment");
    assert_eq!(requests(payment), (99, 100));
    assert_eq!(limits(payment), (200, 200));
    let cpu = payment.containers[0].requests.cpu_millis.as_ref().unwrap();
    assert_eq!(cpu.at.line, 471);
    assert_eq!(requests(workload(&c, "front-end")), (100, 300));
    assert_eq!(limits(workload(&c, "front-end")), (300, 1000));
    // Databases state no resources: nothing is invented for them.
    let carts_db = workload(&c, "carts-db");
    assert!(carts_db.containers[0].requests.cpu_millis.is_none());
    assert!(carts_db.containers[0].limits.memory_mib.is_none());
    assert_eq!(workload(&c, "rabbitmq").containers.len(), 2);

    // The other services find their stores through their images' defaults, which the file
    // does not say; the user service's `mongo` env var is the one address it writes.
    assert_eq!(c.edges.len(), 1);
    let edge = &c.edges[0];
    assert_eq!(
        (edge.from.as_str(), edge.to_service.as_str()),
        ("user", "user-db")
    );
    assert_eq!((edge.text.at.line, edge.text.at.column), (790, 18));
    assert_eq!(c.services.len(), 14);
    assert!(
        c.services
            .iter()
            .all(|s| s.workloads == [s.name.value.clone()])
    );
    assert_eq!(c.skipped.len(), 1);
    assert_eq!(c.skipped[0].kind, "Namespace");
}

#[test]
fn hotel_reservation_deployments_across_files() {
    let Some(dir) = architectures() else {
        return;
    };
    let dir = dir.join("hotel-reservation");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let c = read_files(&files);
    assert_eq!(c.workloads.len(), 19);
    assert_eq!(c.services.len(), 19);
    let search = workload(&c, "search");
    assert!(search.name.at.file.ends_with("search-deployment.yaml"));
    assert_eq!(search.name.at.line, 10);
    assert_eq!(requests(search), (100, 0));
    assert_eq!(limits(search), (1000, 0));
    assert!(search.containers[0].requests.memory_mib.is_none());
    assert_eq!(
        search.containers[0]
            .limits
            .cpu_millis
            .as_ref()
            .unwrap()
            .at
            .line,
        39
    );
    // Services, read from their own files, select the deployments of the others.
    let svc = c
        .services
        .iter()
        .find(|s| s.name.value == "mongodb-user")
        .unwrap();
    assert!(svc.name.at.file.ends_with("mongodb-user-service.yaml"));
    assert_eq!(svc.workloads, ["mongodb-user"]);
    // Its services find each other through consul and a config file, not env or args.
    assert!(c.edges.is_empty(), "{:?}", c.edges);
    assert!(c.skipped.is_empty());
}
