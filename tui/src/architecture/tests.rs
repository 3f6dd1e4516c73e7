//! Tests of the Architecture tab: every service's six parts and deployment, its integration
//! points, and the call tree's grouping of repeated calls (parallel groups kept apart).

use super::*;

fn bundled(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    microcosm_model::load(&path).expect("loads").scenario
}

fn texts(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

#[test]
fn every_service_shows_all_six_parts_in_order_then_its_deployment() {
    for file in [
        "online-boutique.toml",
        "sock-shop.toml",
        "monolith-shop.toml",
        "web3-exchange.toml",
        "hotel-reservation.toml",
    ] {
        let scenario = bundled(file);
        for name in scenario.services.keys() {
            let lines = service_lines(&scenario, name, Theme::monochrome());
            let labels: Vec<&str> = lines
                .iter()
                .filter_map(|l| l.spans.first())
                .map(|s| s.content.as_ref())
                .filter(|c| c.len() == 2 && c.ends_with(' ') && c.chars().count() == 2)
                .collect();
            assert_eq!(
                labels,
                ["F ", "A ", "D ", "I ", "S ", "R ", "P "],
                "{file}: {name}"
            );
        }
    }
}

#[test]
fn integration_points_list_calls_published_and_consumed_topics() {
    let scenario = bundled("sock-shop.toml");
    let shipping = texts(&service_lines(&scenario, "shipping", Theme::monochrome()));
    assert!(
        shipping
            .iter()
            .any(|l| l.ends_with("⇢ publishes shipping-task")),
        "{shipping:#?}"
    );
    let queue_master = texts(&service_lines(
        &scenario,
        "queue-master",
        Theme::monochrome(),
    ));
    assert!(
        queue_master
            .iter()
            .any(|l| l == "   shipping-task ⇢ consumed by queue-master.process-shipment"),
        "{queue_master:#?}"
    );
    let orders = texts(&service_lines(&scenario, "orders", Theme::monochrome()));
    let i = orders.iter().position(|l| l.starts_with("I ")).unwrap();
    assert!(orders[i].contains("call"), "{}", orders[i]);
    assert!(
        orders[i + 1].contains(" → ") || orders[i + 1].contains(" ‖ "),
        "{}",
        orders[i + 1]
    );
}

#[test]
fn calls_made_back_to_back_are_one_line_with_their_count() {
    let scenario = bundled("online-boutique.toml");
    let lines = texts(&call_tree_lines(&scenario, None, Theme::monochrome()));
    // frontend.home converts nine prices in a row.
    let home = lines
        .iter()
        .position(|l| l.starts_with("frontend.home"))
        .expect("home's tree");
    let tree: Vec<&String> = lines[home + 1..]
        .iter()
        .take_while(|l| !l.starts_with("frontend."))
        .collect();
    let converts: Vec<&&String> = tree
        .iter()
        .filter(|l| l.contains("currency.convert"))
        .collect();
    assert_eq!(converts.len(), 1, "{tree:#?}");
    assert!(
        converts[0].contains("currency.convert ×9  [3× retry]"),
        "{}",
        converts[0]
    );
    // Calls that alternate keep their order, each on its line: no count.
    let checkout = lines
        .iter()
        .filter(|l| l.contains("currency.convert  "))
        .count();
    assert!(checkout >= 3, "{lines:#?}");
    // No line anywhere is the same call as the line before it, at the same depth.
    for pair in lines.windows(2) {
        assert_ne!(pair[0].replace('└', "├"), pair[1].replace('└', "├"));
    }
}

#[test]
fn a_service_lists_calls_made_back_to_back_once_with_their_count() {
    let scenario = bundled("online-boutique.toml");
    let frontend = texts(&service_lines(&scenario, "frontend", Theme::monochrome()));
    let home: Vec<&String> = frontend
        .iter()
        .filter(|l| l.starts_with("   home → currency.convert"))
        .collect();
    assert_eq!(home, ["   home → currency.convert ×9"], "{frontend:#?}");
    // The head still counts every call.
    let i = frontend.iter().position(|l| l.starts_with("I ")).unwrap();
    let head = &frontend[i];
    let listed: usize = frontend[i + 1..]
        .iter()
        .take_while(|l| l.starts_with("   "))
        .filter(|l| l.contains(" → ") || l.contains(" ‖ "))
        .map(|l| {
            l.rsplit_once(" ×")
                .and_then(|(_, n)| n.parse::<usize>().ok())
                .unwrap_or(1)
        })
        .sum();
    assert_eq!(head, &format!("I {listed} calls"), "{frontend:#?}");
}

#[test]
fn parallel_groups_fold_within_themselves_only() {
    let text = "name = \"p\"\n[services.a.endpoints.x]\npublic = true\n\
                    calls = [[\"b.y\", \"b.y\"], [\"b.y\"], \"b.y\", \"b.y\"]\n\
                    [services.b.endpoints.y]\n";
    let loaded = microcosm_model::load_str(
        text,
        std::path::Path::new("p.toml"),
        microcosm_model::Format::Toml,
        std::path::Path::new("."),
    )
    .expect("loads");
    let lines = texts(&call_tree_lines(
        &loaded.scenario,
        None,
        Theme::monochrome(),
    ));
    assert_eq!(
        lines[1..],
        ["├─ ‖ b.y ×2", "├─ ‖ b.y", "└─ b.y ×2"],
        "{lines:#?}"
    );
}

#[test]
fn what_a_service_lacks_is_said_not_left_out() {
    let text = "name = \"bare\"\n[services.lone]\nendpoints.ping = {}\n";
    let loaded = microcosm_model::load_str(
        text,
        std::path::Path::new("bare.toml"),
        microcosm_model::Format::Toml,
        std::path::Path::new("."),
    )
    .expect("loads");
    let lines = texts(&service_lines(
        &loaded.scenario,
        "lone",
        Theme::monochrome(),
    ));
    for part in ["F none", "D none", "I none", "R none"] {
        assert!(lines.iter().any(|l| l == part), "{part}: {lines:#?}");
    }
}
