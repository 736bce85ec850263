//! Escalations: started once, found when due, advanced once per step with
//! the step's event on the page's timeline, restarted on demand.

use super::pages::new_page;
use super::*;
use pagerbound_store::EscalationRecord;

/// A page's escalation starts once; a second start leaves it where it
/// stands unless it is a restart.
pub async fn escalations_start_once_and_are_found_when_due(store: &dyn Store) {
    let ids = some_alert_ids(store, 2).await;
    let first = store
        .open_page(&new_page(
            Class::Page,
            ids[..1].to_vec(),
            "2026-11-21T10:00:00Z",
        ))
        .await
        .expect("page")
        .page;
    let second = store
        .open_page(&new_page(
            Class::Page,
            ids[1..].to_vec(),
            "2026-11-21T10:00:00Z",
        ))
        .await
        .expect("page")
        .page;
    store
        .start_escalation(first.id, "payments", at("2026-11-21T10:00:00Z"), false)
        .await
        .expect("start");
    store
        .start_escalation(second.id, "payments", at("2026-11-21T10:05:00Z"), false)
        .await
        .expect("start");
    assert_eq!(
        store.next_escalation_at().await.expect("next"),
        Some(at("2026-11-21T10:00:00Z"))
    );
    let due = store
        .due_escalations(at("2026-11-21T10:01:00Z"), 10)
        .await
        .expect("due");
    assert_eq!(
        due,
        [EscalationRecord {
            page_id: first.id,
            policy: "payments".into(),
            step: 0,
            round: 0,
            next_at: at("2026-11-21T10:00:00Z"),
        }]
    );

    // Fire step 0: the event lands on the timeline, the next step is due
    // in ten minutes. Firing it again (another instance) does nothing.
    let event = PageEvent {
        at: at("2026-11-21T10:01:00Z"),
        kind: "escalated".into(),
        detail: serde_json::json!({"step": 0, "notified": ["alice"]}),
    };
    let next = Some((1, 0, at("2026-11-21T10:11:00Z")));
    assert!(
        store
            .advance_escalation(first.id, (0, 0), Some(&event), next)
            .await
            .expect("advance")
    );
    assert!(
        !store
            .advance_escalation(first.id, (0, 0), Some(&event), next)
            .await
            .expect("advance again"),
        "a step fires once"
    );
    let events = store.page_events(first.id).await.expect("events");
    let escalated: Vec<&PageEvent> = events.iter().filter(|e| e.kind == "escalated").collect();
    assert_eq!(escalated.len(), 1, "{events:?}");
    assert_eq!(
        escalated[0].detail["notified"],
        serde_json::json!(["alice"])
    );
    let record = store
        .escalation(first.id)
        .await
        .expect("read")
        .expect("some");
    assert_eq!((record.step, record.round), (1, 0));
    assert_eq!(record.next_at, at("2026-11-21T10:11:00Z"));

    // Starting again keeps the position; restarting goes back to step 0.
    store
        .start_escalation(first.id, "payments", at("2026-11-21T10:02:00Z"), false)
        .await
        .expect("start again");
    let kept = store
        .escalation(first.id)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(kept.step, 1);
    store
        .start_escalation(first.id, "payments", at("2026-11-21T10:03:00Z"), true)
        .await
        .expect("restart");
    let restarted = store
        .escalation(first.id)
        .await
        .expect("read")
        .expect("some");
    assert_eq!((restarted.step, restarted.round), (0, 0));
    assert_eq!(restarted.next_at, at("2026-11-21T10:03:00Z"));

    // Ending it removes it; nothing more is due for that page.
    assert!(
        store
            .advance_escalation(first.id, (0, 0), None, None)
            .await
            .expect("end")
    );
    assert_eq!(store.escalation(first.id).await.expect("read"), None);
    let due = store
        .due_escalations(at("2026-11-21T12:00:00Z"), 10)
        .await
        .expect("due");
    let pages: Vec<i64> = due.iter().map(|d| d.page_id).collect();
    assert_eq!(pages, [second.id]);
}

/// The last seen on-call person of each schedule is kept and replaced.
pub async fn on_call_watch_is_kept_per_schedule(store: &dyn Store) {
    use pagerbound_store::WatchedOnCall;
    assert!(store.watched_on_call().await.expect("watch").is_empty());
    let alice = WatchedOnCall {
        schedule: "primary".into(),
        user: Some("alice".into()),
        since: at("2026-11-23T09:00:00Z"),
    };
    let gap = WatchedOnCall {
        schedule: "secondary".into(),
        user: None,
        since: at("2026-11-23T09:00:00Z"),
    };
    store.record_on_call(&alice).await.expect("record");
    store.record_on_call(&gap).await.expect("record");
    let bob = WatchedOnCall {
        user: Some("bob".into()),
        since: at("2026-11-30T09:00:00Z"),
        ..alice.clone()
    };
    store.record_on_call(&bob).await.expect("replace");
    assert_eq!(store.watched_on_call().await.expect("watch"), [bob, gap]);
}
