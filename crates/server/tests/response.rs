//! Responding to pages and tickets over real HTTP, on both backends: the
//! response API, snoozes that end, and signed action links.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestServer, config_with, error_body, eventually, integrations};
use pagerbound_core::Role;
use pagerbound_server::action_links::{Claims, LinkAction, claims};
use pagerbound_store::NotificationFilter;
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
  group_interval: 300ms
  repeat_interval: 1h
  routes:
    - name: noisy
      matchers: ['slo=\"noisy\"']
      class: page
      repeat_interval: 1s
    - name: slo
      matchers: ['slo=~\".+\"']
      class: page
"
        .to_owned(),
    );
    let files = config_with(vec![routes, integrations(&[("prometheus", INGEST_TOKEN)])]);
    TestServer::start_on(backend, &files).await
}

/// Fires an alert and waits for the page (or ticket) it opens.
async fn open(test: &TestServer, name: &str, page: bool) -> i64 {
    open_with(test, name, page.then_some("availability")).await
}

/// Fires an alert with this `slo` label (none: a ticket) and waits for
/// what it opens.
async fn open_with(test: &TestServer, name: &str, slo: Option<&str>) -> i64 {
    let page = slo.is_some();
    let mut labels = json!({"alertname": name, "service": "checkout"});
    if let Some(slo) = slo {
        labels["slo"] = json!(slo);
    }
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{ "labels": labels }]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let collection = if page { "pages" } else { "tickets" };
    let found = eventually(name, || async {
        let list = test.get_json(&format!("/api/v1/{collection}")).await;
        list.as_array()?
            .iter()
            .find(|p| p["title"] == name)
            .cloned()
    })
    .await;
    found["id"].as_i64().expect("id")
}

async fn act(test: &TestServer, token: &str, path: &str, body: Value) -> reqwest::Response {
    test.post_json(path, token, &body).await
}

fn kinds(page: &Value) -> Vec<String> {
    page["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect()
}

async fn responders_act_on_pages_and_tickets(backend: Backend) {
    let test = start(backend).await;
    let bob = test.token("bob", Role::Responder).await;
    let viewer = test.token("bob", Role::Viewer).await;
    let id = open(&test, "ErrorBudgetBurn", true).await;
    let page = |action: &str| format!("/api/v1/pages/{id}/{action}");

    let refused = act(&test, &viewer, &page("ack"), json!({})).await;
    assert_eq!(refused.status(), 403, "viewers only look");

    let acked = act(&test, &bob, &page("ack"), json!({})).await;
    assert_eq!(acked.status(), 200);
    let acked: Value = acked.json().await.expect("json");
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged_by"], "bob");
    let again: Value = act(&test, &test.admin, &page("ack"), json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["acknowledged_by"], "bob",
        "acking again changes nothing"
    );
    // No body at all is an empty one.
    let unacked = test
        .client
        .post(test.url(&page("unack")))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("request");
    assert_eq!(unacked.status(), 200);
    assert_eq!(
        unacked.json::<Value>().await.expect("json")["state"],
        "triggered"
    );

    for (action, body, says) in [
        ("note", json!({"text": "  "}), "text"),
        ("note", json!({"words": "x"}), "words"),
        ("reassign", json!({"to": "mallory"}), "mallory"),
        ("snooze", json!({"for": "soon"}), "soon"),
        ("snooze", json!({"for": "0s"}), "more than 0"),
        ("snooze", json!({"for": "30d"}), "at most"),
        (
            "feedback",
            json!({"actionable": false, "reason": "meh"}),
            "threshold-wrong",
        ),
        ("feedback", json!({"actionable": false}), "reason"),
        (
            "feedback",
            json!({"actionable": true, "reason": "duplicate"}),
            "reason",
        ),
        (
            "resolve",
            json!({"feedback": {"actionable": "yes"}}),
            "actionable",
        ),
    ] {
        let response = act(&test, &bob, &page(action), body.clone()).await;
        assert_eq!(response.status(), 400, "{action} {body}");
        let error = error_body(response).await;
        assert!(error.to_string().contains(says), "{action} {body}: {error}");
    }
    let unknown = act(&test, &bob, &page("escalate"), json!({})).await;
    assert_eq!(unknown.status(), 404);
    assert!(
        error_body(unknown).await["error"]
            .as_str()
            .expect("message")
            .contains("snooze")
    );
    let missing = act(&test, &bob, "/api/v1/pages/999999/ack", json!({})).await;
    assert_eq!(missing.status(), 404);
    error_body(missing).await;

    let noted = act(&test, &bob, &page("note"), json!({"text": "rolling back"})).await;
    assert_eq!(noted.status(), 200);
    let reassigned: Value = act(&test, &bob, &page("reassign"), json!({"to": "alice"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(reassigned["assigned_to"], "alice");
    let resolved = act(
        &test,
        &bob,
        &page("resolve"),
        json!({"feedback": {"actionable": false, "reason": "threshold-wrong", "text": "1% is normal"}}),
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let resolved: Value = resolved.json().await.expect("json");
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["resolved_by"], "bob");
    assert_eq!(resolved["feedback"]["reason"], "threshold-wrong");
    assert_eq!(
        resolved["feedback"]["alertnames"],
        json!(["ErrorBudgetBurn"])
    );
    let actionable: Value = act(&test, &bob, &page("feedback"), json!({"actionable": true}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        actionable["feedback"]["actionable"], true,
        "feedback is replaced"
    );
    assert_eq!(actionable["feedback"]["reason"], Value::Null);
    let again = act(&test, &bob, &page("resolve"), json!({})).await;
    assert_eq!(again.status(), 200, "resolving again is no error");
    let late = act(&test, &bob, &page("snooze"), json!({"for": "5m"})).await;
    assert_eq!(late.status(), 409);
    error_body(late).await;

    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(
        kinds(&shown),
        [
            "opened",
            "acknowledged",
            "unacknowledged",
            "note",
            "reassigned",
            "resolved",
            "feedback",
            "feedback"
        ]
    );
    assert_eq!(shown["timeline"][3]["detail"]["by"], "bob");

    let ticket = open(&test, "DiskFilling", false).await;
    let conflict = act(
        &test,
        &bob,
        &format!("/api/v1/pages/{ticket}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(conflict.status(), 409);
    assert!(
        error_body(conflict).await["error"]
            .as_str()
            .expect("message")
            .contains("ticket")
    );
    let no_ack = act(
        &test,
        &bob,
        &format!("/api/v1/tickets/{ticket}/snooze"),
        json!({"for": "1h"}),
    )
    .await;
    assert_eq!(no_ack.status(), 404);
    let closed: Value = act(
        &test,
        &bob,
        &format!("/api/v1/tickets/{ticket}/resolve"),
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(closed["state"], "resolved");
    test.stop().await;
}

async fn a_snooze_ends_and_the_page_triggers_again(backend: Backend) {
    let test = start(backend).await;
    let id = open(&test, "LatencyBurn", true).await;
    let snoozed = act(
        &test,
        &test.admin,
        &format!("/api/v1/pages/{id}/snooze"),
        json!({"for": "1s"}),
    )
    .await;
    assert_eq!(snoozed.status(), 200);
    let snoozed: Value = snoozed.json().await.expect("json");
    assert_eq!(snoozed["state"], "acknowledged");
    assert!(snoozed["snoozed_until"].is_string());
    let woken = eventually("the snooze to end", || async {
        let page = test.get_json(&format!("/api/v1/pages/{id}")).await;
        (page["state"] == "triggered").then_some(page)
    })
    .await;
    assert_eq!(woken["snoozed_until"], Value::Null);
    assert_eq!(
        kinds(&woken),
        ["opened", "acknowledged", "snoozed", "snooze_ended"]
    );
    test.stop().await;
}

async fn acknowledged_pages_are_not_repeated(backend: Backend) {
    let test = start(backend).await;
    let acked = open_with(&test, "AckedBurn", Some("noisy")).await;
    let response = act(
        &test,
        &test.admin,
        &format!("/api/v1/pages/{acked}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let ignored = open_with(&test, "IgnoredBurn", Some("noisy")).await;
    eventually("the ignored page to repeat twice", || async {
        let page = test.get_json(&format!("/api/v1/pages/{ignored}")).await;
        let repeats = kinds(&page).iter().filter(|k| *k == "repeated").count();
        (repeats >= 2).then_some(page)
    })
    .await;
    let page = test.get_json(&format!("/api/v1/pages/{acked}")).await;
    assert!(
        !kinds(&page).iter().any(|k| k == "repeated"),
        "an acknowledged page is not repeated: {:?}",
        kinds(&page)
    );
    test.stop().await;
}

/// A token with the payload replaced and the original signature kept.
fn forged(token: &str, claims: &Claims) -> String {
    let (_, signature) = token.split_once('.').expect("two parts");
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"));
    format!("{payload}.{signature}")
}

async fn action_links_act_once_for_one_page(backend: Backend) {
    let test = start(backend).await;
    let first = open(&test, "FirstBurn", true).await;
    let second = open(&test, "SecondBurn", true).await;
    let state = test.server.as_ref().expect("running").state();
    let key = state
        .action_links
        .get(state.store.as_ref())
        .await
        .expect("key")
        .clone();
    let now = jiff::Timestamp::now();
    let ack = claims(first, LinkAction::Acknowledge, Some("bob"), now);
    let token = key.sign(&ack);
    let link = test.url(&format!("/a/{token}"));

    // Notifications about the open page carry links signed for their
    // destination's user, under the external URL.
    let planned = eventually("the first page's notifications", || async {
        let sent = state
            .store
            .notifications(&NotificationFilter {
                page_id: Some(first),
                states: Vec::new(),
                limit: 100,
            })
            .await
            .expect("outbox");
        let triggered = sent
            .into_iter()
            .find(|n| n.message.event == "triggered" && n.destination.user.is_some())?;
        Some(json!({
            "user": triggered.destination.user,
            "ack": triggered.message.links.acknowledge.map(|u| u.to_string()),
        }))
    })
    .await;
    let ack_url = planned["ack"].as_str().expect("an ack link");
    let token = ack_url.rsplit_once("/a/").expect("an action link").1;
    let signed = key.verify(token, now).expect("valid");
    assert_eq!(signed.page, first);
    assert_eq!(signed.action, LinkAction::Acknowledge);
    assert_eq!(signed.user.as_deref(), planned["user"].as_str());

    let shown = test.client.get(&link).send().await.expect("get");
    assert_eq!(shown.status(), 200);
    let html = shown.text().await.expect("html");
    assert!(
        html.contains("FirstBurn") && html.contains("<form method=\"post\""),
        "{html}"
    );
    let page = test.get_json(&format!("/api/v1/pages/{first}")).await;
    assert_eq!(page["state"], "triggered", "a GET never acts");

    let refusals = [
        (
            forged(
                token,
                &claims(second, LinkAction::Acknowledge, Some("bob"), now),
            ),
            403,
        ),
        (
            forged(token, &claims(first, LinkAction::Resolve, Some("bob"), now)),
            403,
        ),
        (
            forged(
                token,
                &claims(first, LinkAction::Acknowledge, Some("alice"), now),
            ),
            403,
        ),
        (
            key.sign(&Claims {
                expires: now.as_second() - 60,
                ..ack.clone()
            }),
            410,
        ),
        (format!("{token}x"), 403),
        ("not-a-token".to_owned(), 400),
    ];
    for (bad, status) in refusals {
        let response = test
            .client
            .post(test.url(&format!("/a/{bad}")))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), status, "{bad}");
        assert!(response.text().await.expect("html").contains("<p>"));
    }
    for id in [first, second] {
        let page = test.get_json(&format!("/api/v1/pages/{id}")).await;
        assert_eq!(page["state"], "triggered", "refused links change nothing");
    }

    let done = test.client.post(&link).send().await.expect("post");
    assert_eq!(done.status(), 200);
    assert!(done.text().await.expect("html").contains("acknowledged"));
    let page = test.get_json(&format!("/api/v1/pages/{first}")).await;
    assert_eq!(page["state"], "acknowledged");
    assert_eq!(page["acknowledged_by"], "bob");
    let event = &page["timeline"][1];
    assert_eq!(event["kind"], "acknowledged");
    assert_eq!(event["detail"], json!({"by": "bob", "via": "link"}));
    let again = test.client.post(&link).send().await.expect("post");
    assert_eq!(again.status(), 200, "a second click is harmless");
    assert!(again.text().await.expect("html").contains("already"));

    // A voice call's keypress posts the link as Twilio does, and hears
    // what happened in TwiML (always 200: Twilio would only say "error").
    let keypress = |token: String| {
        test.client
            .post(test.url(&format!("/a/{token}")))
            .header("X-Twilio-Signature", "unused-by-pagerbound")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("CallSid=CA0123&Digits=1")
            .send()
    };
    let heard = keypress(key.sign(&claims(second, LinkAction::Acknowledge, Some("bob"), now)))
        .await
        .expect("post");
    assert_eq!(heard.status(), 200);
    assert_eq!(
        heard.headers()["content-type"].to_str().expect("ascii"),
        "text/xml"
    );
    let twiml = heard.text().await.expect("twiml");
    assert!(
        twiml.ends_with(&format!(
            "<Response><Say>Done: page #{second} is acknowledged now, by bob.</Say></Response>"
        )),
        "{twiml}"
    );
    let refused = keypress("not-a-token".to_owned()).await.expect("post");
    assert_eq!(refused.status(), 200);
    assert!(refused.text().await.expect("twiml").contains("<Say>"));

    let resolve = key.sign(&claims(second, LinkAction::Resolve, None, now));
    let resolved = test
        .client
        .post(test.url(&format!("/a/{resolve}")))
        .send()
        .await
        .expect("post");
    assert_eq!(resolved.status(), 200);
    let page = test.get_json(&format!("/api/v1/pages/{second}")).await;
    assert_eq!(page["state"], "resolved");

    test.stop().await;
}

on_both_backends!(
    responders_act_on_pages_and_tickets,
    a_snooze_ends_and_the_page_triggers_again,
    action_links_act_once_for_one_page,
    acknowledged_pages_are_not_repeated,
);
