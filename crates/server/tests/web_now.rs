//! The Now page over real HTTP, on both backends: what the person on call
//! sees first. Who is on call and next, open pages with theirs first, SLOs
//! burning, a silence ending soon, and the banner while a drill runs.

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, eventually, integrations, three_people};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::json;

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let files = config_with(
        [
            three_people(),
            vec![
                integrations(&[("prometheus", INGEST_TOKEN)]),
                (
                    "routes.yaml",
                    "\
routes:
  service: checkout
  class: page
  group_by: [alertname]
  group_wait: 0s
  repeat_interval: 1h
"
                    .to_owned(),
                ),
                (
                    "schedules.yaml",
                    "\
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {name: daily, participants: [alice, bob], shift: 1d, handoff: \"00:00\", start: 2026-01-01}
"
                    .to_owned(),
                ),
                (
                    "slos.yaml",
                    "\
slos:
  - {name: availability, service: checkout, sli: {source: push}, objective: 99.9, window: 30d}
"
                    .to_owned(),
                ),
            ],
        ]
        .concat(),
    );
    TestServer::start_on(backend, &files).await
}

async fn fire(test: &TestServer, name: &str) -> i64 {
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{"labels": {"alertname": name, "service": "checkout"},
                     "annotations": {"summary": format!("{name} fired")}}]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = eventually(name, || async {
        let pages = test.get_json("/api/v1/pages").await;
        pages
            .as_array()?
            .iter()
            .find(|p| p["group_labels"]["alertname"] == name)
            .cloned()
    })
    .await;
    page["id"].as_i64().expect("id")
}

async fn now_shows_what_needs_the_person_on_call(backend: Backend) {
    let test = start(backend).await;
    let theirs = fire(&test, "DiskFull").await;
    fire(&test, "CertificateExpiring").await;
    let bob = test.token("bob", Role::Responder).await;
    let acked = test
        .post_json(&format!("/api/v1/pages/{theirs}/ack"), &bob, &json!({}))
        .await;
    assert_eq!(acked.status(), 200);

    // Every minute of the last hour fails half its requests: a page burn.
    let now = Timestamp::now();
    let events: Vec<_> = (1..=60)
        .map(|m| json!({"timestamp": now - SignedDuration::from_mins(m), "good": 50, "total": 100}))
        .collect();
    let pushed = test
        .post_json(
            "/api/v1/slis/availability/events",
            INGEST_TOKEN,
            &json!(events),
        )
        .await;
    assert_eq!(pushed.status(), 202);

    let silence = json!({
        "matchers": [{"name": "alertname", "value": "Flapping", "isRegex": false}],
        "startsAt": now, "endsAt": now + SignedDuration::from_hours(3),
        "createdBy": "bob", "comment": "known flapping",
    });
    let made = test.post_json("/api/v2/silences", &bob, &silence).await;
    assert_eq!(made.status(), 200);

    let mut browser = Browser::signed_in(&test, "bob", Role::Responder).await;
    // The SLO engine evaluates every few seconds.
    let deadline = std::time::Instant::now() + common::PATIENCE;
    let body = loop {
        let page = browser.get("/").await;
        if page.body.contains("href=\"/slos/availability\"") {
            break page.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no SLO burning: {}",
            page.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    // Who is on call now, and who is next.
    assert!(body.contains("href=\"/schedules/primary\""), "{body}");
    assert!(body.contains("next: "), "{body}");
    // bob's own page (he acknowledged it) comes before everyone else's.
    let yours = body
        .find("Your open pages and tickets")
        .expect("own section");
    let everyone = body.find("Other open pages and tickets").expect("others");
    let disk = body.find("DiskFull fired").expect("bob's page");
    let cert = body
        .find("CertificateExpiring fired")
        .expect("the other page");
    assert!(yours < disk && disk < everyone && everyone < cert, "{body}");
    assert!(
        body.contains("Flapping"),
        "a silence ending within a day: {body}"
    );
    assert!(!body.contains("A drill is running"));

    let drill = test
        .post_json("/api/v1/drills", &bob, &json!({"service": "checkout"}))
        .await;
    assert_eq!(drill.status(), 201, "{:?}", drill.text().await);
    let now = browser.get("/").await;
    assert!(
        now.body.contains("A drill is running"),
        "the drill banner: {}",
        now.body
    );
}

on_both_backends!(now_shows_what_needs_the_person_on_call);
