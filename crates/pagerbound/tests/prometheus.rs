//! A real Prometheus (`/usr/bin/prometheus`, from `.ci/setup`) sends its
//! alerts to pagerbound as to an Alertmanager: configured unchanged but for
//! the address and a token, given as a bearer token or as the password of
//! basic auth. A wrong token gets nothing in.

mod support;

use serde_json::Value;
use support::{
    MetricsTarget, PATIENCE, Pagerbound, Prometheus, checkout_config, encode, integration_token,
    wait_until,
};

const GAUGE: &str = "checkout_errors_burning";
const ALERT: &str = "CheckoutErrorBudgetBurn";
const SUMMARY: &str = "Checkout is burning its error budget";

/// The alerting rule: a symptom, naming the SLO it threatens.
fn rules() -> String {
    format!(
        r#"groups:
  - name: checkout
    rules:
      - alert: {ALERT}
        expr: {GAUGE} > 0
        for: 0s
        labels:
          service: checkout
          slo: availability
          severity: page
        annotations:
          summary: {SUMMARY}
"#
    )
}

/// A Prometheus configuration that scrapes `target` every second and sends
/// alerts to `pagerbound` with `credentials` (an `authorization:` or
/// `basic_auth:` block, one line of flow YAML).
fn prometheus_config(target: &str, replica: &str, pagerbound: &str, credentials: &str) -> String {
    format!(
        r#"global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels:
    replica: {replica}
rule_files: [rules.yml]
scrape_configs:
  - job_name: checkout
    static_configs:
      - targets: ['{target}']
alerting:
  alertmanagers:
    - api_version: v2
      static_configs:
        - targets: ['{pagerbound}']
      {credentials}
"#
    )
}

/// The rule's alerts that pagerbound has, as `GET /api/v2/alerts` lists them.
fn listed(pagerbound: &Pagerbound, token: &str, replica: &str) -> Vec<Value> {
    let path = format!(
        "/api/v2/alerts?filter={}&filter={}",
        encode(&format!("alertname=\"{ALERT}\"")),
        encode(&format!("replica=\"{replica}\""))
    );
    match pagerbound.get_json(&path, token) {
        Value::Array(alerts) => alerts,
        other => panic!("GET /api/v2/alerts is not an array: {other}"),
    }
}

/// The checkout pages.
fn pages(pagerbound: &Pagerbound, token: &str) -> Vec<Value> {
    match pagerbound.get_json("/api/v1/pages?service=checkout", token) {
        Value::Array(pages) => pages,
        other => panic!("GET /api/v1/pages is not an array: {other}"),
    }
}

#[test]
fn prometheus_alerts_open_a_page_and_resolve_it() {
    let (token, digest) = integration_token("prometheus");
    let mut pagerbound = Pagerbound::configure(&[("pagerbound.yaml", &checkout_config(&digest))]);
    let viewer = pagerbound.create_token("alice", "viewer");
    pagerbound.start();
    let target = MetricsTarget::start(GAUGE, 1);
    let prometheus = Prometheus::start(
        "bearer token",
        &prometheus_config(
            &target.address,
            "a",
            &pagerbound.address,
            &format!("authorization: {{type: Bearer, credentials: {token}}}"),
        ),
        &rules(),
    );

    // The alert arrives as Prometheus made it, routed to checkout's pages.
    let alert = wait_until(
        PATIENCE,
        "the firing alert in GET /api/v2/alerts",
        || match listed(&pagerbound, &viewer, "a").as_slice() {
            [alert] if alert["status"]["state"] == "active" => Ok(alert.clone()),
            other => Err(format!("{other:?}; Prometheus: {}", prometheus.alerts())),
        },
    );
    let labels = &alert["labels"];
    for (name, value) in [
        ("alertname", ALERT),
        ("service", "checkout"),
        ("slo", "availability"),
        ("severity", "page"),
        ("job", "checkout"),
        ("instance", target.address.as_str()),
        ("replica", "a"),
    ] {
        assert_eq!(labels[name], value, "label {name} of {alert}");
    }
    assert_eq!(alert["annotations"]["summary"], SUMMARY, "{alert}");
    assert_eq!(
        alert["status"]["silencedBy"],
        serde_json::json!([]),
        "{alert}"
    );
    assert_eq!(
        alert["status"]["inhibitedBy"],
        serde_json::json!([]),
        "{alert}"
    );
    assert_eq!(
        alert["receivers"],
        serde_json::json!([{"name": "checkout/page"}]),
        "{alert}"
    );
    assert!(
        alert["generatorURL"]
            .as_str()
            .is_some_and(|url| url.contains(&format!("g0.expr={GAUGE}"))),
        "{alert}"
    );
    let fingerprint = alert["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 16, "{alert}");

    // A page opens for it, and the alert is recorded as Prometheus's.
    let page = wait_until(PATIENCE, "a triggered checkout page", || {
        match pages(&pagerbound, &viewer).as_slice() {
            [page] if page["state"] == "triggered" => Ok(page.clone()),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(page["route"], "checkout-slo", "{page}");
    assert_eq!(page["class"], "page", "{page}");
    assert_eq!(page["alert_count"], 1, "{page}");
    assert_eq!(page["title"], SUMMARY, "{page}");
    let id = page["id"].as_i64().expect("page id");
    let shown = pagerbound.get_json(&format!("/api/v1/pages/{id}"), &viewer);
    assert_eq!(shown["alerts"][0]["integration"], "prometheus", "{shown}");
    assert_eq!(shown["alerts"][0]["fingerprint"], fingerprint, "{shown}");
    assert_eq!(shown["alerts"][0]["labels"]["alertname"], ALERT, "{shown}");
    let tickets = pagerbound.get_json("/api/v1/tickets", &viewer);
    assert_eq!(tickets, serde_json::json!([]), "a symptom is a page only");

    // The errors stop: Prometheus sends the alert resolved, it leaves the
    // list of alerts and the page resolves.
    target.set(0);
    wait_until(
        PATIENCE,
        "the alert to leave GET /api/v2/alerts",
        || match listed(&pagerbound, &viewer, "a").as_slice() {
            [] => Ok(()),
            other => Err(format!("{other:?}; Prometheus: {}", prometheus.alerts())),
        },
    );
    let page = wait_until(PATIENCE, "the page to resolve", || {
        match pages(&pagerbound, &viewer).as_slice() {
            [page] if page["state"] == "resolved" => Ok(page.clone()),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(page["id"], id, "the same page resolves: {page}");
    assert!(!page["resolved_at"].is_null(), "{page}");
    let shown = pagerbound.get_json(&format!("/api/v1/pages/{id}"), &viewer);
    assert_eq!(shown["alerts"][0]["firing"], false, "{shown}");

    // Prometheus saw no error sending any of it.
    let url = format!("http://{}/api/v2/alerts", pagerbound.address);
    assert!(
        prometheus.metric(&format!(
            "prometheus_notifications_sent_total{{alertmanager=\"{url}\"}}"
        )) >= 2.0,
        "Prometheus sent the firing and the resolved alert"
    );
    assert_eq!(
        prometheus.metric("prometheus_notifications_errors_total"),
        0.0,
        "Prometheus had errors sending to pagerbound"
    );
}

#[test]
fn basic_auth_gets_in_and_a_wrong_token_does_not() {
    let (token, digest) = integration_token("prometheus");
    // Well-formed, but not the configured integration's.
    let (wrong, _) = integration_token("impostor");
    let mut pagerbound = Pagerbound::configure(&[("pagerbound.yaml", &checkout_config(&digest))]);
    let viewer = pagerbound.create_token("alice", "viewer");
    pagerbound.start();
    let target = MetricsTarget::start(GAUGE, 1);
    let good = Prometheus::start(
        "basic auth",
        &prometheus_config(
            &target.address,
            "good",
            &pagerbound.address,
            &format!("basic_auth: {{username: prometheus, password: {token}}}"),
        ),
        &rules(),
    );
    let bad = Prometheus::start(
        "wrong token",
        &prometheus_config(
            &target.address,
            "wrong",
            &pagerbound.address,
            &format!("authorization: {{type: Bearer, credentials: {wrong}}}"),
        ),
        &rules(),
    );

    // The control: the same path with the right token, as basic auth, works.
    wait_until(
        PATIENCE,
        "the basic-auth Prometheus's alert",
        || match listed(&pagerbound, &viewer, "good").as_slice() {
            [alert] => Ok(alert.clone()),
            other => Err(format!("{other:?}; Prometheus: {}", good.alerts())),
        },
    );

    // The wrong token is refused, again and again, on both sides' counts.
    let url = format!("http://{}/api/v2/alerts", pagerbound.address);
    let errors = format!("prometheus_notifications_errors_total{{alertmanager=\"{url}\"}}");
    let refused =
        "pagerbound_http_requests_total{method=\"POST\",route=\"/api/v2/alerts\",status=\"401\"}";
    wait_until(
        PATIENCE,
        "three refused notifications from the wrong-token Prometheus",
        || {
            let (sent, answered) = (bad.metric(&errors), pagerbound.metric(refused, &viewer));
            if sent >= 3.0 && answered >= 3.0 {
                Ok(())
            } else {
                Err(format!(
                    "Prometheus counts {sent} errors, pagerbound answered 401 {answered} times; Prometheus: {}",
                    bad.alerts()
                ))
            }
        },
    );
    assert_eq!(good.metric("prometheus_notifications_errors_total"), 0.0);

    // Nothing of it got in: not firing, not in the history.
    assert_eq!(listed(&pagerbound, &viewer, "wrong"), Vec::<Value>::new());
    let history = pagerbound.get_json("/api/v1/alerts", &viewer);
    let history = history.as_array().expect("history is an array");
    assert!(
        history
            .iter()
            .all(|alert| alert["labels"]["replica"] != "wrong"),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|alert| alert["labels"]["replica"] == "good"
                && alert["integration"] == "prometheus"),
        "{history:?}"
    );
}
