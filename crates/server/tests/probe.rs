//! Probes on both backends: pagerbound requests a loopback target the
//! test controls; while it answers, the probe's SLO counts good events;
//! when it fails, the SLO burns and its page opens.

mod common;

use axum::http::StatusCode;
use common::{TestServer, config_with, eventually, integrations};
use pagerbound_testkit::Backend;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

const INGEST_TOKEN: &str = "test-checkout-token-0123456789ab";

/// A loopback server whose `/health` answers the status in `status`.
async fn target(status: Arc<AtomicU16>) -> String {
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let status = status.load(Ordering::SeqCst);
            async move {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                (code, if code.is_success() { "all ok" } else { "down" })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the target");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/health")
}

/// A loopback server that counts its requests, and one that redirects
/// to it.
async fn redirecting() -> (String, Arc<AtomicU16>) {
    let hits = Arc::new(AtomicU16::new(0));
    let counted = hits.clone();
    let elsewhere = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "reached" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let away = format!("http://{}/", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, elsewhere).await });
    let moved = axum::Router::new().fallback(move || {
        let away = away.clone();
        async move { axum::response::Redirect::temporary(&away) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, moved).await });
    (url, hits)
}

async fn start(backend: Backend, url: &str, moved: &str) -> TestServer {
    let files = config_with(vec![
        integrations(&[("checkout", INGEST_TOKEN)]),
        (
            "slos.yaml",
            format!(
                "\
probes:
  - name: checkout-home
    url: {url}
    interval: 1s
    timeout: 1s
    expect: {{status: [200], body_contains: ok}}
  - name: moved
    url: {moved}
    interval: 1s
    timeout: 1s
slos:
  - name: moved
    service: checkout
    sli: {{source: probe, probe: moved}}
    objective: 90
    window: 7d
  - name: checkout-home
    service: checkout
    sli: {{source: probe, probe: checkout-home}}
    objective: 90
    window: 7d
    alerting:
      - {{long: 3m, short: 2m, burn_rate: 2, severity: page}}
"
            ),
        ),
        (
            "routes.yaml",
            "\
routes:
  service: checkout
  class: ticket
  group_by: [slo]
  group_wait: 0s
  group_interval: 300ms
  routes:
    - name: checkout-slo
      matchers: ['slo=~\".+\"', 'severity=\"page\"']
      class: page
"
            .to_owned(),
        ),
    ]);
    TestServer::start_on(backend, &files).await
}

async fn a_failing_probe_opens_its_slos_page(backend: Backend) {
    let status = Arc::new(AtomicU16::new(200));
    let url = target(status.clone()).await;
    let (moved, hits) = redirecting().await;
    let test = start(backend, &url, &moved).await;

    let healthy = eventually("good probe runs", || async {
        let slo = test.get_json("/api/v1/slos/checkout-home").await;
        (slo["events"]["total"].as_f64()? >= 2.0).then_some(slo)
    })
    .await;
    assert_eq!(healthy["events"]["good"], healthy["events"]["total"]);
    assert_eq!(healthy["alert_state"], "ok");
    assert_eq!(
        healthy["sli"],
        json!({"source": "probe", "probe": "checkout-home"})
    );

    // Its events come from the probe, not from pushes.
    let pushed = test
        .post_json(
            "/api/v1/slis/checkout-home/events",
            INGEST_TOKEN,
            &json!([{"timestamp": jiff::Timestamp::now().to_string(), "good": 1, "total": 1}]),
        )
        .await;
    assert_eq!(pushed.status(), 409);

    // A redirect is not followed: the probe reaches only what the
    // configuration names, and a 307 is not a success.
    let moved = eventually("runs of the redirected probe", || async {
        let slo = test.get_json("/api/v1/slos/moved").await;
        (slo["events"]["total"].as_f64()? >= 1.0).then_some(slo)
    })
    .await;
    assert_eq!(moved["events"]["good"], 0.0);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");

    status.store(503, Ordering::SeqCst);
    let page = eventually("the probe SLO's page", || async {
        let pages = test.get_json("/api/v1/pages").await;
        pages
            .as_array()?
            .iter()
            .find(|p| p["group_labels"]["slo"] == "checkout-home")
            .cloned()
    })
    .await;
    assert_eq!(page["route"], "checkout-slo");
    let id = page["id"].as_i64().expect("id");
    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(shown["alerts"][0]["labels"]["slo"], "checkout-home");
    let burning = test.get_json("/api/v1/slos/checkout-home").await;
    assert!(burning["events"]["good"].as_f64() < burning["events"]["total"].as_f64());
    test.stop().await;
}

on_both_backends!(a_failing_probe_opens_its_slos_page);
