//! The alerts page over real HTTP, on both backends: searching by
//! matchers, state and time, a bad matcher answered with the form kept,
//! and what happened to each alert (routes, silences, inhibition, pages).

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, eventually, integrations, three_people};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let routes = (
        "routes.yaml",
        "\
routes:
  service: checkout
  class: ticket
  group_by: [alertname]
  group_wait: 0s
  routes:
    - name: info
      matchers: ['severity=\"info\"']
      class: log
inhibit_rules:
  - source_matchers: ['alertname=\"CheckoutDown\"']
    target_matchers: ['alertname!=\"CheckoutDown\"']
    equal: [service]
"
        .to_owned(),
    );
    let mut files = three_people();
    files.push(routes);
    files.push(integrations(&[("prometheus", INGEST_TOKEN)]));
    TestServer::start_on(backend, &config_with(files)).await
}

async fn fire(test: &TestServer, alerts: Value) {
    let response = test
        .post_json("/api/v2/alerts", INGEST_TOKEN, &alerts)
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

/// `/alerts?filter=...` with the matchers encoded.
fn search(filter: &str, rest: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    format!("/alerts?filter={encoded}{rest}")
}

async fn alerts_are_searched_by_matchers(backend: Backend) {
    let test = start(backend).await;
    fire(
        &test,
        json!([
            {"labels": {"alertname": "CheckoutLatency", "service": "checkout", "severity": "warning"},
             "annotations": {"summary": "checkout is slow"}},
            {"labels": {"alertname": "CartErrors", "service": "cart", "severity": "info"},
             "annotations": {"summary": "cart has errors"}},
        ]),
    )
    .await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;

    let all = bob.get("/alerts").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("CheckoutLatency") && all.body.contains("CartErrors"));
    assert!(all.body.contains("2 alerts match"), "{}", all.body);

    let found = bob.get(&search(r#"{service="checkout"}"#, "")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    for expected in [
        "CheckoutLatency",
        "checkout is slow",
        "1 alert matches",
        r#"severity="warning""#,
        // The route it took, and its class.
        "ticket</span> for <strong>checkout</strong>",
    ] {
        assert!(found.body.contains(expected), "{expected}: {}", found.body);
    }
    assert!(!found.body.contains("CartErrors"), "{}", found.body);
    let link = "/silences/new?matchers=%7Balertname%3D%22CheckoutLatency%22%2C+service%3D%22checkout%22%7D";
    assert!(
        found.body.contains(link),
        "silence alerts like this: {}",
        found.body
    );

    let regex = bob.get(&search("severity=~\"inf.*\"", "")).await;
    assert!(regex.body.contains("CartErrors"), "{}", regex.body);
    assert!(
        regex
            .body
            .contains("log</span> for <strong>checkout</strong>"),
        "{}",
        regex.body
    );
    assert!(!regex.body.contains("CheckoutLatency"));

    let bad = bob
        .get(&search(r#"service~"checkout""#, "&state=all"))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("is not a matcher"),
        "what is wrong: {}",
        bad.body
    );
    assert!(
        bad.body.contains(r#"value="service~&#34;checkout&#34;""#),
        "the form is kept: {}",
        bad.body
    );
    assert!(
        bad.body.contains(r#"<option value="all" selected>"#),
        "{}",
        bad.body
    );
    let regex = bob.get(&search(r#"service=~"(""#, "")).await;
    assert_eq!(regex.status, 400);
    assert!(
        regex.body.contains("invalid regular expression"),
        "{}",
        regex.body
    );
    assert_eq!(bob.get("/alerts?state=sleeping").await.status, 400);

    let mut carol = Browser::signed_in(&test, "carol", Role::Viewer).await;
    let viewed = carol.get("/alerts").await;
    assert_eq!(viewed.status, 200);
    assert!(viewed.body.contains("CheckoutLatency"));
    assert!(
        !viewed.body.contains("Silence alerts like this"),
        "viewers see no buttons: {}",
        viewed.body
    );
    test.stop().await;
}

async fn alerts_say_what_muted_them(backend: Backend) {
    let test = start(backend).await;
    fire(
        &test,
        json!([
            {"labels": {"alertname": "CheckoutLatency", "service": "checkout"}},
            {"labels": {"alertname": "CheckoutDown", "service": "checkout"}},
            {"labels": {"alertname": "CartErrors", "service": "cart"}},
        ]),
    )
    .await;
    let now = jiff::Timestamp::now();
    let created = test
        .post_json(
            "/api/v2/silences",
            &test.admin,
            &json!({
                "matchers": [{"name": "alertname", "value": "CartErrors", "isRegex": false}],
                "startsAt": now.to_string(),
                "endsAt": (now + jiff::SignedDuration::from_hours(2)).to_string(),
                "createdBy": "alice",
                "comment": "cart deploy in progress",
            }),
        )
        .await;
    assert_eq!(created.status(), 200);
    let id = created.json::<Value>().await.expect("json")["silenceID"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;

    let silenced = bob.get("/alerts?state=silenced").await;
    assert_eq!(silenced.status, 200, "{}", silenced.body);
    for expected in [
        "CartErrors",
        "Silenced by",
        &format!("/silences#{id}"),
        "cart deploy in progress",
    ] {
        assert!(
            silenced.body.contains(expected),
            "{expected}: {}",
            silenced.body
        );
    }
    assert!(
        !silenced.body.contains("CheckoutLatency"),
        "{}",
        silenced.body
    );

    let inhibited = bob.get("/alerts?state=inhibited").await;
    assert!(
        inhibited.body.contains("CheckoutLatency"),
        "{}",
        inhibited.body
    );
    assert!(
        inhibited
            .body
            .contains("Inhibited by <strong>CheckoutDown</strong>"),
        "{}",
        inhibited.body
    );
    assert!(!inhibited.body.contains("CartErrors"));

    let active = bob.get("/alerts?state=active").await;
    assert!(active.body.contains("CheckoutDown"), "{}", active.body);
    assert!(!active.body.contains("CheckoutLatency") && !active.body.contains("CartErrors"));

    // The ticket CheckoutDown opened is named beside it.
    let ticket = eventually("the ticket", || async {
        let list = test.get_json("/api/v1/tickets").await;
        list.as_array()?
            .iter()
            .find(|p| p["group_labels"]["alertname"] == "CheckoutDown")
            .cloned()
    })
    .await;
    let down = bob.get(&search(r#"alertname="CheckoutDown""#, "")).await;
    assert!(
        down.body
            .contains(&format!("<a href=\"/pages/{}\">", ticket["id"])),
        "{}",
        down.body
    );
    test.stop().await;
}

async fn resolved_alerts_are_found_by_time(backend: Backend) {
    let test = start(backend).await;
    let now = jiff::Timestamp::now();
    fire(
        &test,
        json!([
            {"labels": {"alertname": "DiskFull", "service": "checkout"},
             "startsAt": (now - jiff::SignedDuration::from_hours(3)).to_string(),
             "endsAt": (now - jiff::SignedDuration::from_hours(2)).to_string()},
            {"labels": {"alertname": "CheckoutLatency", "service": "checkout"}},
        ]),
    )
    .await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;
    let firing = bob.get("/alerts").await;
    assert!(firing.body.contains("CheckoutLatency"));
    assert!(!firing.body.contains("DiskFull"), "{}", firing.body);

    let resolved = bob.get("/alerts?state=resolved&since=24h").await;
    assert_eq!(resolved.status, 200);
    assert!(resolved.body.contains("DiskFull"), "{}", resolved.body);
    assert!(resolved.body.contains("ended 2h ago"), "{}", resolved.body);
    assert!(!resolved.body.contains("CheckoutLatency"));

    let recent = bob.get("/alerts?state=resolved&since=1h").await;
    assert!(!recent.body.contains("DiskFull"), "{}", recent.body);
    let all = bob.get("/alerts?state=all&since=any").await;
    assert!(all.body.contains("DiskFull") && all.body.contains("CheckoutLatency"));
    test.stop().await;
}

on_both_backends!(
    alerts_are_searched_by_matchers,
    alerts_say_what_muted_them,
    resolved_alerts_are_found_by_time,
);
