//! Escalation over real HTTP on both backends: a page whose service has a
//! policy is announced step by step to whoever each step names; an empty
//! step is recorded with its reason and skipped at once; the policy
//! repeats; an acknowledgement stops it. Steps are a second apart.

mod common;

use common::{TestServer, config_with, eventually, integrations, three_people};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend, first_wait: &str) -> TestServer {
    start_with(backend, first_wait, "high", false).await
}

async fn start_with(
    backend: Backend,
    first_wait: &str,
    urgency: &str,
    escalate_low_urgency: bool,
) -> TestServer {
    let files = config_with(
        [
            three_people(),
            vec![
                integrations(&[("prometheus", INGEST_TOKEN)]),
                (
                    "services.yaml",
                    format!(
                        "\
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
    escalation_policy: payments
    urgency: {urgency}
    channel: dev-log
"
                    ),
                ),
                (
                    "schedules.yaml",
                    "\
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {name: all, participants: [alice], shift: 1w, handoff: \"09:00\", start: 2020-01-06,
         shadows: [{user: carol, shadowing: alice}]}
  # Starts in 2100: nobody is on call in it today.
  - name: secondary
    team: payments
    time_zone: UTC
    layers:
      - {name: later, participants: [carol], shift: 1w, handoff: \"09:00\", start: 2100-01-04}
"
                    .to_owned(),
                ),
                (
                    "escalation.yaml",
                    format!(
                        "\
escalation_policies:
  - name: payments
    repeat: 1
    escalate_low_urgency: {escalate_low_urgency}
    steps:
      - notify: [{{schedule: primary}}]
        escalate_after: {first_wait}
      - notify: [{{schedule: secondary}}]
        escalate_after: 1s
      - notify: [{{user: bob}}]
        escalate_after: 1s
"
                    ),
                ),
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
            ],
        ]
        .concat(),
    );
    TestServer::start_on(backend, &files).await
}

async fn open_page(test: &TestServer) -> i64 {
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{"labels": {"alertname": "CheckoutDown", "service": "checkout"}}]),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = eventually("the page", || async {
        test.get_json("/api/v1/pages")
            .await
            .as_array()?
            .first()
            .cloned()
    })
    .await;
    page["id"].as_i64().expect("id")
}

/// `(step, round, notified)` of each `escalated` event on the timeline.
async fn steps(test: &TestServer, id: i64) -> Vec<(u64, u64, Vec<String>)> {
    let page = test.get_json(&format!("/api/v1/pages/{id}")).await;
    page["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| {
            let detail = &e["detail"];
            (
                detail["step"].as_u64().expect("step"),
                detail["round"].as_u64().expect("round"),
                detail["notified"]
                    .as_array()
                    .expect("notified")
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .collect()
}

/// Whom (as responders, not shadows or channels) the page's step
/// notifications went to, in order.
async fn notified_users(test: &TestServer, id: i64) -> Vec<String> {
    let list = test
        .get_json(&format!("/api/v1/notifications?page={id}&limit=100"))
        .await;
    let mut rows: Vec<(i64, String)> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| {
            n["message"]["event"] == "escalated"
                && n["message"]["shadow_of"].is_null()
                && n["destination"]["user"].is_string()
        })
        .map(|n| {
            (
                n["id"].as_i64().expect("id"),
                n["destination"]["user"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, user)| user).collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn nobody_answers_so_every_step_fires_and_the_policy_repeats(backend: Backend) {
    let test = start(backend, "1s").await;
    let id = open_page(&test).await;
    let fired = eventually("both rounds of the policy", || async {
        let fired = steps(&test, id).await;
        (fired.len() == 6).then_some(fired)
    })
    .await;
    assert_eq!(
        fired,
        [
            (1, 1, names(&["alice"])),
            (2, 1, names(&[])),
            (3, 1, names(&["bob"])),
            (1, 2, names(&["alice"])),
            (2, 2, names(&[])),
            (3, 2, names(&["bob"])),
        ]
    );
    // The empty step says why, and did not wait: step 3 came with it.
    let page = test.get_json(&format!("/api/v1/pages/{id}")).await;
    let events: Vec<&Value> = page["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .collect();
    assert_eq!(
        events[1]["detail"]["unresolved"],
        json!(["nobody is on call in schedule `secondary`"])
    );
    assert_eq!(events[1]["detail"]["next_at"], events[1]["at"]);
    assert_eq!(
        events[5]["detail"]["next_at"],
        Value::Null,
        "the policy ends"
    );
    let users = eventually("the notifications", || async {
        let users = notified_users(&test, id).await;
        (users.len() == 4).then_some(users)
    })
    .await;
    assert_eq!(users, ["alice", "bob", "alice", "bob"]);
    // The service's channel hears of the page once, at the first step.
    let list = test
        .get_json(&format!("/api/v1/notifications?page={id}&limit=100"))
        .await;
    let to_channel = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| n["message"]["event"] == "escalated" && n["destination"]["user"].is_null())
        .count();
    assert_eq!(to_channel, 1);
    // carol shadows alice: a marked copy of each of alice's steps, and she
    // is never among those notified as a responder.
    assert_eq!(
        events[0]["detail"]["shadows"],
        json!([{"user": "carol", "shadowing": "alice"}])
    );
    let list = test
        .get_json(&format!("/api/v1/notifications?page={id}&limit=100"))
        .await;
    let copies: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| n["destination"]["user"] == "carol")
        .collect();
    assert!(
        copies.iter().all(|n| n["message"]["shadow_of"] == "alice"),
        "{copies:?}"
    );
    assert_eq!(copies.len(), 2, "{copies:?}");
    // Nothing more comes once the policy is exhausted.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(steps(&test, id).await.len(), 6);
    test.stop().await;
}

async fn an_acknowledgement_stops_the_escalation(backend: Backend) {
    let test = start(backend, "3s").await;
    let id = open_page(&test).await;
    eventually("the first step", || async {
        (steps(&test, id).await.len() == 1).then_some(())
    })
    .await;
    let alice = test.token("alice", Role::Responder).await;
    let acked = test
        .post_json(&format!("/api/v1/pages/{id}/ack"), &alice, &json!({}))
        .await;
    assert_eq!(acked.status(), 200);
    // Past the first step's wait: the second step would have fired.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(steps(&test, id).await, [(1, 1, names(&["alice"]))]);
    // Those already told hear of the acknowledgement; nobody else does.
    let list = test
        .get_json(&format!("/api/v1/notifications?page={id}&limit=100"))
        .await;
    let acked_to: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| n["message"]["event"] == "acknowledged")
        .filter_map(|n| n["destination"]["user"].as_str())
        .collect();
    assert_eq!(acked_to, ["alice"]);

    // Unacknowledged, the page escalates again from the first step.
    let unacked = test
        .post_json(&format!("/api/v1/pages/{id}/unack"), &alice, &json!({}))
        .await;
    assert_eq!(unacked.status(), 200);
    eventually("the escalation to start over", || async {
        (steps(&test, id).await.len() == 2).then_some(())
    })
    .await;
    assert_eq!(steps(&test, id).await[1], (1, 1, names(&["alice"])));
    test.stop().await;
}

async fn a_low_urgency_page_stops_after_the_first_step(backend: Backend) {
    let test = start_with(backend, "1s", "low", false).await;
    let id = open_page(&test).await;
    eventually("the first step", || async {
        (steps(&test, id).await.len() == 1).then_some(())
    })
    .await;
    // Step 2 would have fired after a second, step 3 with it.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(steps(&test, id).await, [(1, 1, names(&["alice"]))]);
    let page = test.get_json(&format!("/api/v1/pages/{id}")).await;
    let step = page["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["kind"] == "escalated")
        .cloned()
        .expect("escalated");
    assert_eq!(step["detail"]["urgency"], "low");
    assert_eq!(step["detail"]["next_at"], Value::Null);
    let message = eventually("alice's notification", || async {
        let list = test
            .get_json(&format!("/api/v1/notifications?page={id}"))
            .await;
        list.as_array()?
            .iter()
            .find(|n| n["destination"]["user"] == "alice")
            .map(|n| n["message"].clone())
    })
    .await;
    assert_eq!(message["low_urgency"], true, "{message}");
    let services = test.get_json("/api/v1/services").await;
    let checkout = &services[0];
    assert_eq!(checkout["urgency"], "low");
    assert_eq!(checkout["urgency_now"], "low");
    assert_eq!(checkout["escalation_policy"], "payments");
    let policies = test.get_json("/api/v1/escalation_policies").await;
    assert_eq!(
        policies,
        json!([{
            "name": "payments",
            "repeat": 1,
            "escalate_low_urgency": false,
            "steps": [
                {"notify": [{"schedule": "primary"}], "escalate_after": "1s"},
                {"notify": [{"schedule": "secondary"}], "escalate_after": "1s"},
                {"notify": [{"user": "bob"}], "escalate_after": "1s"},
            ],
        }])
    );
    test.stop().await;
}

/// A policy may let low-urgency pages climb: then they follow every step.
async fn a_policy_may_escalate_low_urgency_pages(backend: Backend) {
    let test = start_with(backend, "1s", "low", true).await;
    let id = open_page(&test).await;
    eventually("the third step", || async {
        (steps(&test, id).await.len() >= 3).then_some(())
    })
    .await;
    let fired = steps(&test, id).await;
    assert_eq!(fired[0], (1, 1, names(&["alice"])));
    assert_eq!(fired[2], (3, 1, names(&["bob"])));
    test.stop().await;
}

on_both_backends!(
    nobody_answers_so_every_step_fires_and_the_policy_repeats,
    an_acknowledgement_stops_the_escalation,
    a_low_urgency_page_stops_after_the_first_step,
    a_policy_may_escalate_low_urgency_pages,
);
