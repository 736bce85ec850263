//! Handoffs over real HTTP on both backends: when the on-call person
//! changes (here by an override two seconds ahead), the incoming person
//! gets a report of what they inherit, and nobody else does.

mod common;

use common::{TestServer, config_with, eventually, integrations, three_people};
use jiff::{SignedDuration, Timestamp};
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let files = config_with(
        [
            three_people(),
            vec![
                integrations(&[("prometheus", INGEST_TOKEN)]),
                (
                    "schedules.yaml",
                    "\
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {name: weekly, participants: [alice, bob], shift: 1w, handoff: \"09:00\", start: 2020-01-06}
"
                    .to_owned(),
                ),
                (
                    "routes.yaml",
                    "routes:\n  service: checkout\n  class: page\n  group_wait: 0s\n".to_owned(),
                ),
            ],
        ]
        .concat(),
    );
    TestServer::start_on(backend, &files).await
}

async fn the_incoming_on_call_gets_a_handoff_report(backend: Backend) {
    let test = start(backend).await;
    let posted = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{"labels": {"alertname": "CheckoutDown", "service": "checkout"}}]),
        )
        .await;
    assert_eq!(posted.status(), 200);
    let page = eventually("the page", || async {
        test.get_json("/api/v1/pages")
            .await
            .as_array()?
            .first()
            .cloned()
    })
    .await;

    // carol takes over in two seconds.
    let start = Timestamp::now() + SignedDuration::from_secs(2);
    let made = test
        .post_json(
            "/api/v1/schedules/primary/overrides",
            &test.admin,
            &json!({"user": "carol", "start": start.to_string(),
                    "end": (start + SignedDuration::from_hours(1)).to_string()}),
        )
        .await;
    assert_eq!(made.status(), 201);

    let report = eventually("carol's handoff report", || async {
        let list = test.get_json("/api/v1/notifications?limit=100").await;
        list.as_array()?
            .iter()
            .find(|n| n["message"]["event"] == "handoff")
            .cloned()
    })
    .await;
    assert_eq!(report["destination"]["user"], "carol");
    let text = report["message"]["text"].as_str().expect("text");
    assert!(
        text.starts_with("You are on call in primary (team payments)"),
        "{text}"
    );
    assert!(text.contains("Open pages: 1"), "{text}");
    assert!(
        text.contains(&format!(
            "- #{} checkout: CheckoutDown (not acknowledged)",
            page["id"]
        )),
        "{text}"
    );
    assert!(text.contains("Pages during the last shift: 1"), "{text}");
    assert!(text.contains("(no feedback yet)"), "{text}");

    // One report, to carol only, and none at start-up.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let list = test.get_json("/api/v1/notifications?limit=100").await;
    let reports: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| n["message"]["event"] == "handoff")
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    test.stop().await;
}

on_both_backends!(the_incoming_on_call_gets_a_handoff_report);
