//! Drills on both backends, over real HTTP: a drill opens a page of its
//! own (never joining a real group), is told to the person its escalation
//! step names, and the drill report gives its times; the drill's page is
//! not counted as pager load.

mod common;

use common::{TestServer, config_with, eventually, integrations};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let files = config_with(vec![
        integrations(&[("prometheus", INGEST_TOKEN)]),
        (
            "services.yaml",
            "\
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
    escalation_policy: payments
escalation_policies:
  - name: payments
    steps:
      - notify: [{user: alice}]
        escalate_after: 10m
"
            .to_owned(),
        ),
        (
            "routes.yaml",
            "\
routes:
  service: checkout
  class: page
  group_by: [service]
  group_wait: 0s
  repeat_interval: 1h
"
            .to_owned(),
        ),
    ]);
    TestServer::start_on(backend, &files).await
}

async fn a_drill_is_paged_apart_reported_and_not_counted(backend: Backend) {
    let test = start(backend).await;
    // A real page of the same group labels (service=checkout).
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{"labels": {"alertname": "CheckoutDown", "service": "checkout"}}]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let real = eventually("the real page", || async {
        test.get_json("/api/v1/pages").await.as_array()?.first()?["id"].as_i64()
    })
    .await;

    let alice = test.token("alice", Role::Responder).await;
    let started = test
        .post_json("/api/v1/drills", &alice, &json!({"service": "checkout"}))
        .await;
    assert_eq!(started.status(), 201);
    let drill: Value = started.json().await.expect("json");
    assert_eq!(drill["started_by"], "alice");
    assert_eq!(drill["labels"]["pagerbound_drill"], drill["id"].to_string());

    let report = eventually("the drill's first notification", || async {
        let report = test.get_json("/api/v1/drills").await;
        report[0]["time_to_first_notification_seconds"]
            .is_f64()
            .then_some(report)
    })
    .await;
    let page = report[0]["page_id"].as_i64().expect("page id");
    assert_ne!(page, real, "a drill never joins a real page");
    let notifications = test
        .get_json(&format!("/api/v1/notifications?page={page}"))
        .await;
    let to_alice = notifications
        .as_array()
        .expect("list")
        .iter()
        .find(|n| n["destination"]["user"] == "alice")
        .cloned()
        .expect("alice is told");
    assert_eq!(to_alice["message"]["drill"], true);

    let acked = test
        .post_json(&format!("/api/v1/pages/{page}/ack"), &alice, &json!({}))
        .await;
    assert_eq!(acked.status(), 200);
    let report = test.get_json("/api/v1/drills").await;
    assert_eq!(report[0]["state"], "acknowledged");
    assert_eq!(report[0]["acknowledged_by"], "alice");
    let notified = report[0]["time_to_first_notification_seconds"]
        .as_f64()
        .expect("seconds");
    let ack = report[0]["time_to_ack_seconds"].as_f64().expect("seconds");
    assert!(notified <= ack, "notified {notified}s, acked {ack}s");

    assert_eq!(
        test.metric("pagerbound_pages_opened_total{class=\"page\"}")
            .await,
        Some(1.0),
        "only the real page is pager load"
    );
    assert_eq!(
        test.metric("pagerbound_drill_pages_opened_total").await,
        Some(1.0)
    );

    // Labels that are not labels are refused, and nothing is recorded.
    let refused = test
        .post_json(
            "/api/v1/drills",
            &alice,
            &json!({"service": "checkout", "labels": {"1bad": "x"}}),
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        test.get_json("/api/v1/drills")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    test.stop().await;
}

on_both_backends!(a_drill_is_paged_apart_reported_and_not_counted);
