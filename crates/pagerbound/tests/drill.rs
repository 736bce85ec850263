//! Drills through the real path: `pagerbound drill` sends a practice page
//! that takes the real route, escalation policy, schedule, notification
//! rules and channel to a loopback receiver, marked as a drill; the drill
//! report shows when someone was notified and when they acknowledged; the
//! page is not counted as pager load.

mod support;

use serde_json::Value;
use support::receiver::Receiver;
use support::{PATIENCE, Pagerbound, run_client, stderr, succeeds, wait_until};

fn config(receiver: &Receiver) -> String {
    format!(
        r#"teams:
  - name: payments
    members: [alice, bob]
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: [{{name: push, channel: hook}}]
    notification_rules:
      high: [{{contact: push}}]
  - name: bob
    time_zone: UTC
    contact_methods: [{{channel: hook}}]
channels:
  - {{name: hook, type: webhook, url: '{url}'}}
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {{name: all, participants: [alice], shift: 1w, handoff: "09:00", start: 2020-01-06}}
escalation_policies:
  - name: payments
    steps:
      - notify: [{{schedule: primary}}]
        escalate_after: 10m
      - notify: [{{user: bob}}]
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
    escalation_policy: payments
routes:
  service: checkout
  class: ticket
  group_by: [service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - name: checkout-slo
      matchers: ['service="checkout"', 'slo=~".+"']
      service: checkout
      class: page
"#,
        url = receiver.url("/hook")
    )
}

#[test]
fn a_drill_pages_the_on_call_person_and_is_reported_but_not_counted() {
    let receiver = Receiver::start();
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config(&receiver))]);
    server.start();
    let alice = server.create_token("alice", "responder");

    // Without the label the page route needs, the drill is refused and
    // told which route would page the service.
    let refused = run_client(&server, &alice, &["drill", "checkout"]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(
        said.contains("checkout-slo") && said.contains("add labels that match one"),
        "{said}"
    );

    let out = succeeds(run_client(
        &server,
        &alice,
        &["drill", "checkout", "slo=availability"],
    ));
    assert!(
        out.contains("Drill 1 started for checkout by alice"),
        "{out}"
    );

    // The escalation's first step pages whoever is on call: alice.
    let requests = receiver.wait_for(1);
    let body = requests[0].json();
    let message = &body["messages"][0];
    assert_eq!(message["drill"], true, "{message}");
    assert_eq!(message["event"], "escalated", "{message}");
    assert_eq!(message["title"], "Drill: a practice page for checkout");
    assert_eq!(
        message["runbook"], "https://runbooks.example.com/checkout",
        "they learn where the runbook is"
    );
    let page_id = message["page"]["id"].as_i64().expect("page id");

    let (status, answer) = server.post(
        &format!("/api/v1/pages/{page_id}/ack"),
        &format!("Bearer {alice}"),
        "{}",
    );
    assert_eq!(status, 200, "{answer}");

    let drill = wait_until(
        PATIENCE,
        "the drill's first delivery to be recorded",
        || {
            let report = server.get_json("/api/v1/drills", &alice);
            let drill = report[0].clone();
            if drill["time_to_first_notification_seconds"].is_f64() {
                Ok(drill)
            } else {
                Err(report.to_string())
            }
        },
    );
    assert_eq!(drill["id"], 1);
    assert_eq!(drill["service"], "checkout");
    assert_eq!(drill["page_id"], page_id);
    assert_eq!(drill["state"], "acknowledged");
    assert_eq!(drill["acknowledged_by"], "alice");
    let notified = drill["time_to_first_notification_seconds"]
        .as_f64()
        .expect("seconds");
    let acked = drill["time_to_ack_seconds"].as_f64().expect("seconds");
    assert!(
        (0.0..60.0).contains(&notified) && notified <= acked,
        "notified after {notified}s, acknowledged after {acked}s"
    );

    let report = succeeds(run_client(&server, &alice, &["drill", "report"]));
    let row = report
        .lines()
        .find(|line| line.starts_with('1'))
        .unwrap_or_else(|| panic!("drill 1 in the report:\n{report}"));
    assert!(
        row.contains("checkout")
            && row.contains(&format!("#{page_id}"))
            && row.contains("acknowledged")
            && row.contains("alice after"),
        "{row}"
    );

    // Practice is not pager load.
    let admin = server.create_token("alice", "admin");
    let metrics = server.get("/metrics", &admin).1;
    assert_eq!(
        support::sample(&metrics, "pagerbound_pages_opened_total"),
        0.0,
        "{metrics}"
    );
    assert_eq!(
        support::sample(&metrics, "pagerbound_drill_pages_opened_total"),
        1.0
    );
    let pages: Value = server.get_json("/api/v1/pages", &alice);
    assert_eq!(
        pages[0]["id"], page_id,
        "the drill's page is a page to act on"
    );
}
