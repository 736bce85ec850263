//! The alert pipeline over real HTTP, on both backends: ingest in all its
//! forms, bad input, re-sends, pages and tickets, silences, inhibition and
//! maintenance windows.

mod common;

use common::{TestServer, config_with, error_body, eventually, integrations};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};
use std::time::Duration;

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

fn pipeline_config() -> Vec<(&'static str, String)> {
    let routes = (
        "routes.yaml",
        "\
routes:
  service: checkout
  class: ticket
  group_by: [alertname]
  group_wait: 0s
  group_interval: 300ms
  repeat_interval: 1h
  routes:
    - name: slo
      matchers: ['slo=~\".+\"']
      class: page
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
    config_with(vec![routes, integrations(&[("prometheus", INGEST_TOKEN)])])
}

async fn start(backend: Backend) -> TestServer {
    TestServer::start_on(backend, &pipeline_config()).await
}

async fn post_alerts(test: &TestServer, body: &Value) -> reqwest::Response {
    test.post_json("/api/v2/alerts", INGEST_TOKEN, body).await
}

fn names(alerts: &Value) -> Vec<String> {
    let mut names: Vec<String> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            a["labels"]["alertname"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

async fn a_page_opens_and_resolves_with_its_alert(backend: Backend) {
    let test = start(backend).await;
    let response = post_alerts(
        &test,
        &json!([{
            "labels": {"alertname": "ErrorBudgetBurn", "service": "checkout", "slo": "availability"},
            "annotations": {"summary": "Checkout is burning its error budget 14x"},
            "generatorURL": "http://prometheus/graph"
        }]),
    )
    .await;
    assert_eq!(response.status(), 200);

    let page = eventually("a page", || async {
        let pages = test.get_json("/api/v1/pages").await;
        pages.as_array().and_then(|p| p.first().cloned())
    })
    .await;
    assert_eq!(page["state"], "triggered");
    assert_eq!(page["service"], "checkout");
    assert_eq!(page["route"], "slo");
    assert_eq!(page["title"], "Checkout is burning its error budget 14x");
    assert_eq!(
        test.get_json("/api/v1/tickets").await,
        json!([]),
        "exactly one of page, ticket, log"
    );

    let id = page["id"].as_i64().expect("id");
    let detail = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(detail["alerts"][0]["integration"], "prometheus");
    assert_eq!(
        detail["alerts"][0]["status"]["routes"][0]["receiver"],
        "checkout/page"
    );

    let resolved = post_alerts(
        &test,
        &json!([{
            "labels": {"alertname": "ErrorBudgetBurn", "service": "checkout", "slo": "availability"},
            "endsAt": jiff::Timestamp::now().to_string()
        }]),
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let detail = eventually("the page to resolve", || async {
        let detail = test.get_json(&format!("/api/v1/pages/{id}")).await;
        (detail["state"] == "resolved").then_some(detail)
    })
    .await;
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["opened", "resolved"]);
    assert_eq!(detail["resolved_by"], Value::Null, "resolved by its alerts");
    assert_eq!(
        test.get_json("/api/v2/alerts").await,
        json!([]),
        "no alert fires any more"
    );
    test.stop().await;
}

async fn classes_route_to_page_ticket_or_log(backend: Backend) {
    let test = start(backend).await;
    post_alerts(
        &test,
        &json!([
            {"labels": {"alertname": "Symptom", "service": "checkout", "slo": "latency"}},
            {"labels": {"alertname": "Cause", "service": "checkout"}},
            {"labels": {"alertname": "Note", "service": "checkout", "severity": "info"}}
        ]),
    )
    .await;
    eventually("one page and one ticket", || async {
        let pages = test.get_json("/api/v1/pages").await;
        let tickets = test.get_json("/api/v1/tickets").await;
        (pages.as_array()?.len() == 1 && tickets.as_array()?.len() == 1).then_some(json!(null))
    })
    .await;
    let alerts = test.get_json("/api/v2/alerts").await;
    let receivers: Vec<(String, String)> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            (
                a["labels"]["alertname"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                a["receivers"][0]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    for expected in [
        ("Symptom", "checkout/page"),
        ("Cause", "checkout/ticket"),
        ("Note", "checkout/log"),
    ] {
        assert!(
            receivers.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{receivers:?}"
        );
    }
    test.stop().await;
}

async fn resends_update_the_alert_instead_of_adding_one(backend: Backend) {
    let test = start(backend).await;
    let alert = json!([{"labels": {"alertname": "Repeat", "service": "checkout"}, "annotations": {"summary": "v1"}}]);
    for _ in 0..5 {
        assert_eq!(post_alerts(&test, &alert).await.status(), 200);
    }
    let changed = json!([{"labels": {"alertname": "Repeat", "service": "checkout"}, "annotations": {"summary": "v2"}}]);
    assert_eq!(post_alerts(&test, &changed).await.status(), 200);
    let history = test.get_json("/api/v1/alerts").await;
    assert_eq!(
        history.as_array().map(Vec::len),
        Some(1),
        "one occurrence: {history}"
    );
    assert_eq!(
        history[0]["annotations"]["summary"], "v2",
        "new annotations are written"
    );
    assert_eq!(
        test.metric("pagerbound_alerts_received_total{integration=\"prometheus\"}")
            .await,
        Some(6.0)
    );
    assert_eq!(
        test.metric("pagerbound_alert_writes_total{kind=\"insert\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        test.metric("pagerbound_alert_writes_total{kind=\"update\"}")
            .await,
        Some(1.0),
        "unchanged re-sends cost no write"
    );
    test.stop().await;
}

async fn silences_work_as_in_alertmanager(backend: Backend) {
    let test = start(backend).await;
    post_alerts(
        &test,
        &json!([
            {"labels": {"alertname": "DiskFull", "instance": "db1", "service": "checkout"}},
            {"labels": {"alertname": "DiskFull", "instance": "web1", "service": "checkout"}}
        ]),
    )
    .await;
    let responder = test.token("bob", Role::Responder).await;
    let now = jiff::Timestamp::now();
    let silence = json!({
        "matchers": [
            {"name": "alertname", "value": "DiskFull", "isRegex": false, "isEqual": true},
            {"name": "instance", "value": "db.*", "isRegex": true}
        ],
        "startsAt": now.to_string(),
        "endsAt": (now + jiff::SignedDuration::from_hours(1)).to_string(),
        "createdBy": "bob",
        "comment": "disk being replaced"
    });
    let created = test
        .post_json("/api/v2/silences", &responder, &silence)
        .await;
    assert_eq!(created.status(), 200);
    let id = created.json::<Value>().await.expect("json")["silenceID"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let alerts = eventually("the silence to apply", || async {
        let alerts = test.get_json("/api/v2/alerts").await;
        let db1 = alerts
            .as_array()?
            .iter()
            .find(|a| a["labels"]["instance"] == "db1")?
            .clone();
        (db1["status"]["state"] == "suppressed").then_some(alerts)
    })
    .await;
    for alert in alerts.as_array().expect("alerts") {
        if alert["labels"]["instance"] == "db1" {
            assert_eq!(alert["status"]["silencedBy"], json!([id]));
        } else {
            assert_eq!(alert["status"]["state"], "active");
        }
    }
    let active_only = test.get_json("/api/v2/alerts?silenced=false").await;
    assert_eq!(active_only.as_array().map(Vec::len), Some(1));

    let fetched = test.get_json(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(fetched["status"]["state"], "active");
    assert_eq!(
        fetched["matchers"][1],
        json!({"name": "instance", "value": "db.*", "isRegex": true, "isEqual": true})
    );

    // Extending an active silence keeps its id.
    let mut extended = silence.clone();
    extended["id"] = json!(id);
    extended["startsAt"] = fetched["startsAt"].clone();
    extended["endsAt"] = json!((now + jiff::SignedDuration::from_hours(2)).to_string());
    let updated = test
        .post_json("/api/v2/silences", &responder, &extended)
        .await;
    assert_eq!(
        updated.json::<Value>().await.expect("json")["silenceID"],
        json!(id)
    );
    // New matchers for an active silence: the old one expires, a new one starts.
    let mut changed = extended.clone();
    changed["matchers"] = json!([{"name": "alertname", "value": "Other", "isRegex": false}]);
    let replaced = test
        .post_json("/api/v2/silences", &responder, &changed)
        .await;
    let new_id = replaced.json::<Value>().await.expect("json")["silenceID"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_ne!(new_id, id);
    assert_eq!(
        test.get_json(&format!("/api/v2/silence/{id}")).await["status"]["state"],
        "expired"
    );

    let deleted = test
        .client
        .delete(test.url(&format!("/api/v2/silence/{new_id}")))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    let listed = test.get_json("/api/v2/silences").await;
    assert!(
        listed
            .as_array()
            .expect("list")
            .iter()
            .all(|s| s["status"]["state"] == "expired")
    );
    eventually("the alert to be active again", || async {
        let alerts = test.get_json("/api/v2/alerts?silenced=false").await;
        (alerts.as_array()?.len() == 2).then_some(json!(null))
    })
    .await;

    // Mistakes are 4xx with a reason.
    let missing = test
        .client
        .delete(test.url("/api/v2/silence/00000000-0000-4000-8000-000000000000"))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("delete");
    assert_eq!(missing.status(), 404);
    let mut everything = silence.clone();
    everything["matchers"] = json!([{"name": "alertname", "value": ".*", "isRegex": true}]);
    let refused = test
        .post_json("/api/v2/silences", &responder, &everything)
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        error_body(refused).await["error"]
            .as_str()
            .expect("text")
            .contains("must not match the empty value")
    );
    let viewer = test.token("alice", Role::Viewer).await;
    assert_eq!(
        test.post_json("/api/v2/silences", &viewer, &silence)
            .await
            .status(),
        403
    );
    test.stop().await;
}

async fn inhibition_and_filters_show_in_the_alert_list(backend: Backend) {
    let test = start(backend).await;
    post_alerts(
        &test,
        &json!([
            {"labels": {"alertname": "CheckoutDown", "service": "checkout", "slo": "availability"}},
            {"labels": {"alertname": "HighLatency", "service": "checkout", "slo": "latency"}},
            {"labels": {"alertname": "HighLatency", "service": "search", "slo": "latency"}}
        ]),
    )
    .await;
    let alerts = eventually("the engine to take the alerts in", || async {
        let alerts = test.get_json("/api/v2/alerts").await;
        let processed = alerts
            .as_array()?
            .iter()
            .all(|a| a["status"]["state"] != "unprocessed");
        processed.then_some(alerts)
    })
    .await;
    let down = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["labels"]["alertname"] == "CheckoutDown")
        .expect("source")["fingerprint"]
        .clone();
    let inhibited: Vec<&Value> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["status"]["inhibitedBy"] == json!([down]))
        .collect();
    assert_eq!(inhibited.len(), 1, "{alerts}");
    assert_eq!(inhibited[0]["labels"]["service"], "checkout");
    assert_eq!(inhibited[0]["status"]["state"], "suppressed");

    assert_eq!(
        names(&test.get_json("/api/v2/alerts?inhibited=false").await),
        ["CheckoutDown", "HighLatency"]
    );
    assert_eq!(
        names(
            &test
                .get_json("/api/v2/alerts?filter=service%3D%22search%22")
                .await
        ),
        ["HighLatency"]
    );
    assert_eq!(
        names(
            &test.get_json("/api/v2/alerts?filter=alertname%3D~%22High.*%22&filter=service%21%3D%22search%22"
            )
            .await
        ),
        ["HighLatency"]
    );
    assert_eq!(
        test.get_json("/api/v2/alerts?receiver=nobody").await,
        json!([])
    );
    let bad = test
        .get("/api/v2/alerts?filter=service%3C%3E1", Some(&test.admin))
        .await;
    assert_eq!(bad.status(), 400);
    error_body(bad).await;

    let groups = test.get_json("/api/v2/alerts/groups").await;
    let group_names: Vec<(String, usize)> = groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["labels"]["alertname"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                g["alerts"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert!(
        group_names.contains(&("HighLatency".to_owned(), 2)),
        "{group_names:?}"
    );
    let receivers = test.get_json("/api/v2/receivers").await;
    assert!(
        receivers
            .as_array()
            .expect("receivers")
            .contains(&json!({"name": "checkout/page"}))
    );
    let status = test.get_json("/api/v2/status").await;
    assert_eq!(status["cluster"]["status"], "disabled");
    test.stop().await;
}

async fn maintenance_holds_pages_until_it_ends(backend: Backend) {
    let test = start(backend).await;
    let responder = test.token("bob", Role::Responder).await;
    let window = test
        .post_json(
            "/api/v1/maintenance",
            &responder,
            &json!({"service": "checkout", "duration": "1h", "reason": "database upgrade"}),
        )
        .await;
    assert_eq!(window.status(), 201);
    let window: Value = window.json().await.expect("json");
    post_alerts(
        &test,
        &json!([{"labels": {"alertname": "ErrorBudgetBurn", "service": "checkout", "slo": "availability"}}]),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        test.get_json("/api/v1/pages").await,
        json!([]),
        "no page during maintenance"
    );
    let history = test.get_json("/api/v1/alerts").await;
    assert_eq!(history[0]["status"]["maintenance"], json!([window["id"]]));
    assert_eq!(history[0]["status"]["state"], "suppressed");

    let ended = test
        .client
        .delete(test.url(&format!("/api/v1/maintenance/{}", window["id"])))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("end");
    assert_eq!(ended.status(), 200);
    eventually("the page once maintenance ended", || async {
        test.get_json("/api/v1/pages")
            .await
            .as_array()?
            .first()
            .cloned()
    })
    .await;
    let refused = test
        .post_json(
            "/api/v1/maintenance",
            &responder,
            &json!({"service": "nope", "duration": "1h", "reason": "x"}),
        )
        .await;
    assert_eq!(refused.status(), 400);
    test.stop().await;
}

async fn events_trigger_acknowledge_and_resolve_by_dedup_key(backend: Backend) {
    let test = start(backend).await;
    let event = |action: &str, severity: &str| {
        json!({
            "routing_key": INGEST_TOKEN,
            "event_action": action,
            "dedup_key": "disk-db1",
            "payload": {"summary": "Disk 95% full on db1", "source": "db1", "severity": severity,
                        "custom_details": {"free": "5%"}},
            "labels": {"service": "checkout", "slo": "storage"}
        })
    };
    let accepted = test
        .client
        .post(test.url("/api/v1/events"))
        .json(&event("trigger", "warning"))
        .send()
        .await
        .expect("event");
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        accepted.json::<Value>().await.expect("json")["dedup_key"],
        "disk-db1"
    );

    // The same key with a new severity replaces the alert.
    test.client
        .post(test.url("/api/v1/events"))
        .json(&event("trigger", "critical"))
        .send()
        .await
        .expect("event");
    let alerts = test.get_json("/api/v2/alerts").await;
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts}");
    assert_eq!(alerts[0]["labels"]["severity"], "critical");
    assert_eq!(alerts[0]["annotations"]["details"], "{\"free\":\"5%\"}");

    let page = eventually("the event's page", || async {
        test.get_json("/api/v1/pages")
            .await
            .as_array()?
            .first()
            .cloned()
    })
    .await;
    test.client
        .post(test.url("/api/v1/events"))
        .json(&event("acknowledge", "critical"))
        .send()
        .await
        .expect("event");
    let acked = test
        .get_json(&format!("/api/v1/pages/{}", page["id"]))
        .await;
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged_by"], "prometheus");

    test.client
        .post(test.url("/api/v1/events"))
        .json(&event("resolve", "critical"))
        .send()
        .await
        .expect("event");
    assert_eq!(test.get_json("/api/v2/alerts").await, json!([]));
    eventually("the page to resolve", || async {
        let page = test
            .get_json(&format!("/api/v1/pages/{}", page["id"]))
            .await;
        (page["state"] == "resolved").then_some(page)
    })
    .await;

    let mut wrong = event("trigger", "critical");
    wrong["routing_key"] = json!("not-a-token");
    let refused = test
        .client
        .post(test.url("/api/v1/events"))
        .json(&wrong)
        .send()
        .await
        .expect("event");
    assert_eq!(refused.status(), 401);
    let mut bad = event("trigger", "urgent");
    bad["dedup_key"] = json!("other");
    let refused = test
        .client
        .post(test.url("/api/v1/events"))
        .json(&bad)
        .send()
        .await
        .expect("event");
    assert_eq!(refused.status(), 400);
    test.stop().await;
}

async fn an_alertmanager_can_forward_its_webhook(backend: Backend) {
    let test = start(backend).await;
    let message = |status: &str| {
        json!({
            "version": "4", "groupKey": "{}:{}", "status": status, "receiver": "pagerbound",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": [{
                "status": status,
                "labels": {"alertname": "Forwarded", "service": "checkout"},
                "annotations": {"summary": "from another Alertmanager"},
                "startsAt": "2026-11-21T09:00:00Z",
                "endsAt": if status == "firing" { "0001-01-01T00:00:00Z".to_owned() } else { jiff::Timestamp::now().to_string() },
                "generatorURL": "http://prometheus", "fingerprint": "abc"
            }]
        })
    };
    let firing = test
        .post_json(
            "/api/v1/webhooks/alertmanager",
            INGEST_TOKEN,
            &message("firing"),
        )
        .await;
    assert_eq!(firing.status(), 200);
    let alerts = test.get_json("/api/v2/alerts").await;
    assert_eq!(names(&alerts), ["Forwarded"]);
    assert_eq!(
        alerts[0]["endsAt"], "0001-01-01T00:00:00.000Z",
        "fires until resolved"
    );
    let resolved = test
        .post_json(
            "/api/v1/webhooks/alertmanager",
            INGEST_TOKEN,
            &message("resolved"),
        )
        .await;
    assert_eq!(resolved.status(), 200);
    assert_eq!(test.get_json("/api/v2/alerts").await, json!([]));
    let old = test
        .post_json(
            "/api/v1/webhooks/alertmanager",
            INGEST_TOKEN,
            &json!({"version": "3", "alerts": []}),
        )
        .await;
    assert_eq!(old.status(), 400);
    test.stop().await;
}

on_both_backends!(
    a_page_opens_and_resolves_with_its_alert,
    classes_route_to_page_ticket_or_log,
    resends_update_the_alert_instead_of_adding_one,
    silences_work_as_in_alertmanager,
    inhibition_and_filters_show_in_the_alert_list,
    maintenance_holds_pages_until_it_ends,
    events_trigger_acknowledge_and_resolve_by_dedup_key,
    an_alertmanager_can_forward_its_webhook,
);

#[tokio::test]
async fn bad_alerts_are_refused_one_by_one_and_the_valid_ones_kept() {
    let test = start(Backend::Sqlite).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!([{}]), "missing field `labels`"),
        (json!([{"labels": {}}]), "at least one label"),
        (json!([{"labels": {"a": ""}}]), "at least one label"),
        (json!([{"labels": {"a": 5}}]), "wrong shape at `labels.a`"),
        (
            json!([{"labels": {"a": "1"}, "startsAt": "yesterday"}]),
            "startsAt `yesterday` is not an RFC 3339",
        ),
        (
            json!([{"labels": {"a": "1"}, "endsAt": 5}]),
            "wrong shape at `endsAt`",
        ),
        (
            json!([{"labels": {"a": "1"}, "startsAt": "2026-11-21T10:00:00Z", "endsAt": "2026-11-21T09:00:00Z"}]),
            "is before startsAt",
        ),
        (
            json!([{"labels": {"bad-name": "1"}}]),
            "label name `bad-name` is invalid",
        ),
    ];
    for (body, message) in cases {
        let response = post_alerts(&test, &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error = error_body(response).await;
        assert!(
            error["detail"][0]["error"]
                .as_str()
                .expect("reason")
                .contains(message),
            "{body}: {error}"
        );
        assert_eq!(error["detail"][0]["index"], 0);
    }
    // Unknown fields are ignored, as Alertmanager does.
    let lenient = post_alerts(
        &test,
        &json!([{"labels": {"alertname": "Extra"}, "somethingNew": true}]),
    )
    .await;
    assert_eq!(lenient.status(), 200);

    // A mixed batch stores the valid alerts and names the invalid ones.
    let mixed = post_alerts(
        &test,
        &json!([
            {"labels": {"alertname": "Good1"}},
            {"labels": {}},
            {"labels": {"alertname": "Good2"}},
            "not an object"
        ]),
    )
    .await;
    assert_eq!(mixed.status(), 400);
    let error = error_body(mixed).await;
    assert_eq!(
        error["error"],
        "2 of 4 alerts are invalid; the 2 valid ones were stored"
    );
    let indexes: Vec<i64> = error["detail"]
        .as_array()
        .expect("detail")
        .iter()
        .filter_map(|d| d["index"].as_i64())
        .collect();
    assert_eq!(indexes, [1, 3]);
    assert_eq!(
        names(&test.get_json("/api/v2/alerts").await),
        ["Extra", "Good1", "Good2"]
    );

    for (body, status) in [
        (b"{\"labels\": ".to_vec(), 400),
        (b"{\"labels\": {\"a\": \"1\"}}".to_vec(), 400),
        (b"[{\"labels\": {\"a\": \"\xff\"}}]".to_vec(), 400),
    ] {
        let response = test
            .post_bytes("/api/v2/alerts", INGEST_TOKEN, "application/json", body)
            .await;
        assert_eq!(response.status(), status);
        error_body(response).await;
    }
    let no_token = test
        .client
        .post(test.url("/api/v2/alerts"))
        .json(&json!([]))
        .send()
        .await
        .expect("post");
    assert_eq!(no_token.status(), 401);
    let viewer = test.token("bob", Role::Viewer).await;
    assert_eq!(
        test.post_json("/api/v2/alerts", &viewer, &json!([]))
            .await
            .status(),
        403
    );
    let responder = test.token("bob", Role::Responder).await;
    assert_eq!(
        test.post_json("/api/v2/alerts", &responder, &json!([]))
            .await
            .status(),
        200
    );
    let basic = test
        .client
        .post(test.url("/api/v2/alerts"))
        .basic_auth("prometheus", Some(INGEST_TOKEN))
        .json(&json!([{"labels": {"alertname": "ViaBasicAuth"}}]))
        .send()
        .await
        .expect("post");
    assert_eq!(basic.status(), 200);
    test.stop().await;
}

#[tokio::test]
async fn oversized_batches_are_refused_with_413() {
    let files = pipeline_config();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let test = TestServer::start_with(Backend::Sqlite, &borrowed, Some("64KiB")).await;
    let alerts: Vec<Value> = (0..2000)
        .map(|i| json!({"labels": {"alertname": "Big", "instance": format!("host-{i}")}}))
        .collect();
    let response = post_alerts(&test, &Value::Array(alerts)).await;
    assert_eq!(response.status(), 413);
    error_body(response).await;
    assert_eq!(
        test.get_json("/api/v2/alerts").await,
        json!([]),
        "nothing of a refused body is kept"
    );
    test.stop().await;
}
