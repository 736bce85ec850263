//! The dead man's switch over real HTTP: beats keep a heartbeat ok, silence
//! opens one page on its service, a beat resolves it, and a Watchdog alert
//! counts as a beat. Intervals are a second long, so that silence is short.

mod common;

use common::{TestServer, config_with, error_body, eventually, integrations};
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const PROMETHEUS_TOKEN: &str = "test-prometheus-token-0123456789";
const CRON_TOKEN: &str = "test-cron-token-0123456789abcdef";
async fn start() -> TestServer {
    let files = config_with(vec![
        integrations(&[("prometheus", PROMETHEUS_TOKEN), ("cron", CRON_TOKEN)]),
        (
            "heartbeats.yaml",
            "\
heartbeats:
  - name: prometheus
    service: checkout
    interval: 1s
    grace: 0s
    integration: prometheus
    matchers: ['alertname=\"Watchdog\"']
"
            .to_owned(),
        ),
    ]);
    TestServer::start_on(Backend::Sqlite, &files).await
}

async fn heartbeat_pages(test: &TestServer) -> Vec<Value> {
    test.get_json("/api/v1/pages")
        .await
        .as_array()
        .expect("array")
        .iter()
        .filter(|p| p["route"] == "heartbeat")
        .cloned()
        .collect()
}

async fn beat(test: &TestServer, token: &str) -> reqwest::Response {
    test.post_json("/api/v1/heartbeat/prometheus", token, &json!({}))
        .await
}

#[tokio::test]
async fn silence_pages_once_and_a_beat_resolves() {
    let test = start().await;

    // Beating keeps it ok.
    let response = beat(&test, PROMETHEUS_TOKEN).await;
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.expect("json");
    assert_eq!(status["status"], "ok");
    assert_eq!(status["service"], "checkout");
    assert!(status["last_beat_at"].is_string());
    let listed = test.get_json("/api/v1/heartbeats").await;
    assert_eq!(listed[0]["name"], "prometheus");
    assert_eq!(listed[0]["beats"], 1);

    // Silence opens one page on the service.
    let page = eventually("a heartbeat page", || async {
        heartbeat_pages(&test).await.first().cloned()
    })
    .await;
    assert_eq!(page["service"], "checkout");
    assert_eq!(page["state"], "triggered");
    let title = page["title"].as_str().expect("title");
    assert!(
        title.starts_with("Heartbeat \"prometheus\" missing: no beat for "),
        "{title}"
    );
    let listed = test.get_json("/api/v1/heartbeats").await;
    assert_eq!(listed[0]["status"], "missing");
    assert_eq!(listed[0]["page_id"], page["id"]);
    // The team is told like for any page: through the outbox.
    let told = eventually("the heartbeat page notified", || async {
        let sent = test
            .get_json(&format!("/api/v1/notifications?page={}", page["id"]))
            .await;
        sent.as_array()
            .filter(|n| !n.is_empty() && n.iter().all(|n| n["state"] == "delivered"))
            .map(|_| sent.clone())
    })
    .await;
    let told = told.as_array().expect("a list");
    assert!(
        told.iter().all(|n| n["message"]["event"] == "triggered"
            && n["message"]["subject"] == "page"
            && n["destination"]["channel"] == "dev-log"),
        "{told:#?}"
    );

    // A Watchdog alert is a beat: the page resolves, saying why.
    let response = test
        .post_json(
            "/api/v2/alerts",
            PROMETHEUS_TOKEN,
            &json!([{"labels": {"alertname": "Watchdog", "severity": "none"}}]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let id = page["id"].as_i64().expect("id");
    let resolved = eventually("the page resolved", || async {
        let detail = test.get_json(&format!("/api/v1/pages/{id}")).await;
        (detail["page"]["state"] == "resolved" || detail["state"] == "resolved").then_some(detail)
    })
    .await;
    let timeline = resolved["timeline"]
        .as_array()
        .or_else(|| resolved["events"].as_array())
        .cloned()
        .unwrap_or_default();
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "resolved" && e["detail"]["reason"] == "heartbeat returned"),
        "{resolved:#}"
    );

    // Silent again: a new page, and still one open at a time.
    let second = eventually("a second heartbeat page", || async {
        heartbeat_pages(&test)
            .await
            .into_iter()
            .find(|p| p["id"] != page["id"])
    })
    .await;
    let open: Vec<Value> = heartbeat_pages(&test)
        .await
        .into_iter()
        .filter(|p| p["state"] != "resolved")
        .collect();
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0]["id"], second["id"]);

    // An API beat resolves it too.
    assert_eq!(beat(&test, &test.admin).await.status(), 200);
    let second_id = second["id"].as_i64().expect("id");
    eventually("the second page resolved", || async {
        let pages = heartbeat_pages(&test).await;
        pages
            .into_iter()
            .find(|p| p["id"] == second_id && p["state"] == "resolved")
    })
    .await;
    test.stop().await;
}

#[tokio::test]
async fn beats_need_a_known_heartbeat_and_the_right_token() {
    let test = start().await;
    let response = test
        .post_json("/api/v1/heartbeat/nope", PROMETHEUS_TOKEN, &json!({}))
        .await;
    assert_eq!(response.status(), 404);
    let body = error_body(response).await;
    assert!(
        body["error"]
            .as_str()
            .expect("message")
            .contains("no heartbeat `nope`"),
        "{body}"
    );

    let response = beat(&test, "not-a-token").await;
    assert_eq!(response.status(), 401);
    error_body(response).await;
    let response = test
        .client
        .post(test.url("/api/v1/heartbeat/prometheus"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);

    // Another integration's token may not beat this heartbeat.
    let response = beat(&test, CRON_TOKEN).await;
    assert_eq!(response.status(), 403);
    error_body(response).await;

    let response = test.get("/api/v1/heartbeats", None).await;
    assert_eq!(response.status(), 401);
    test.stop().await;
}
