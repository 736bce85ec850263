//! The notification outbox.

use super::pages::new_page;
use super::*;
use pagerbound_core::notify::{Destination, Links, Message, Subject};
use pagerbound_store::{
    NewNotification, NotificationFilter, NotificationState, Source, UnplannedEvent,
};

fn message(event: &str, page_id: i64) -> Message {
    Message {
        subject: Subject::Page,
        event: event.to_owned(),
        title: "Paged".to_owned(),
        service: "checkout".to_owned(),
        actor: None,
        page: None,
        alerts: Vec::new(),
        text: Some(format!("page {page_id}")),
        runbook: None,
        links: Links::default(),
        shadow_of: None,
        low_urgency: false,
        drill: false,
        at: at("2026-11-21T10:00:30Z"),
    }
}

fn person(user: &str) -> Destination {
    Destination {
        channel: "push".to_owned(),
        user: Some(user.to_owned()),
        contact: Some("phone".to_owned()),
        to: Some(format!("{user}-topic")),
    }
}

fn planned(key: &str, event: &UnplannedEvent, to: Destination) -> NewNotification {
    NewNotification {
        key: key.to_owned(),
        source: Source::PageEvent(event.id),
        page_id: Some(event.page_id),
        destination: to,
        message: message(&event.event.kind, event.page_id),
        created_at: at("2026-11-21T10:00:31Z"),
        due_at: at("2026-11-21T10:00:31Z"),
        until_acknowledged: false,
    }
}

/// Opens a page and plans its `opened` event for alice and bob.
async fn page_planned_for_two(store: &dyn Store) -> (i64, Vec<i64>) {
    let ids = some_alert_ids(store, 1).await;
    let stored = store
        .open_page(&new_page(Class::Page, ids, "2026-11-21T10:00:30Z"))
        .await
        .expect("open");
    let page = stored.page;
    let events = store.unplanned_page_events(100).await.expect("unplanned");
    let opened = events
        .iter()
        .find(|e| e.page_id == page.id)
        .expect("the opened event waits to be planned");
    assert_eq!(opened.event.kind, "opened");
    // What opening answers is the event as stored: the notifier plans from
    // it without reading it back.
    assert_eq!(
        (stored.opened.id, stored.opened.page_id),
        (opened.id, opened.page_id)
    );
    assert_eq!(stored.opened.event, opened.event);
    let due = store
        .plan_then_due(
            &[
                planned("key-alice", opened, person("alice")),
                planned("key-bob", opened, person("bob")),
            ],
            &[opened.id],
            &[],
            at("2026-11-21T10:00:31Z"),
            100,
        )
        .await
        .expect("plan");
    // What planning answers as due is what a read answers.
    let read = store
        .due_notifications(at("2026-11-21T10:00:31Z"), 100)
        .await
        .expect("due");
    assert_eq!(
        due.iter().map(|n| &n.key).collect::<Vec<_>>(),
        read.iter().map(|n| &n.key).collect::<Vec<_>>()
    );
    assert!(due.iter().any(|n| n.key == "key-alice"), "{due:?}");
    let mut ids: Vec<i64> = store
        .notifications(&NotificationFilter {
            page_id: Some(page.id),
            ..NotificationFilter::default()
        })
        .await
        .expect("list")
        .iter()
        .map(|n| n.id)
        .collect();
    ids.sort();
    (page.id, ids)
}

/// A timeline event is planned once: its notifications are recorded with
/// what they say, and planning it again records nothing twice.
pub async fn events_are_planned_into_notifications_once(store: &dyn Store) {
    let (page_id, ids) = page_planned_for_two(store).await;
    assert_eq!(ids.len(), 2);
    assert!(
        store
            .unplanned_page_events(100)
            .await
            .expect("unplanned")
            .iter()
            .all(|e| e.page_id != page_id),
        "planned events are not offered again"
    );
    let listed = store
        .notifications(&NotificationFilter {
            page_id: Some(page_id),
            ..NotificationFilter::default()
        })
        .await
        .expect("list");
    let alice = listed
        .iter()
        .find(|n| n.key == "key-alice")
        .expect("alice's notification");
    assert_eq!(alice.destination, person("alice"));
    assert_eq!(alice.message, message("opened", page_id));
    assert_eq!(alice.state, NotificationState::Pending);
    assert_eq!(alice.attempts, 0);
    assert_eq!(alice.next_attempt_at, at("2026-11-21T10:00:31Z"));
    assert_eq!(alice.page_id, Some(page_id));
    assert!(matches!(alice.source, Source::PageEvent(_)));

    // A second planner (another instance, or a retry after a crash) plans
    // the same event for the same people under new keys: nothing doubles.
    let again = UnplannedEvent {
        id: match alice.source {
            Source::PageEvent(id) => id,
            Source::Notice(_) => unreachable!("a page event"),
        },
        page_id,
        event: PageEvent {
            at: at("2026-11-21T10:00:30Z"),
            kind: "opened".to_owned(),
            detail: serde_json::json!({}),
        },
    };
    store
        .plan_notifications(
            &[planned("other-key", &again, person("alice"))],
            &[again.id],
            &[],
            at("2026-11-21T10:00:32Z"),
        )
        .await
        .expect("plan again");
    assert_eq!(
        store
            .notifications(&NotificationFilter {
                page_id: Some(page_id),
                ..NotificationFilter::default()
            })
            .await
            .expect("list")
            .len(),
        2
    );
}

/// Due notifications are sent as a bundle, then delivered; a delivered
/// notification is not due again, and its destination's last delivery is
/// known.
pub async fn notifications_go_from_pending_to_delivered(store: &dyn Store) {
    let (_, ids) = page_planned_for_two(store).await;
    let early = store
        .due_notifications(at("2026-11-21T10:00:30Z"), 100)
        .await
        .expect("due");
    assert!(early.is_empty(), "not due before their time");
    let due = store
        .due_notifications(at("2026-11-21T10:00:31Z"), 100)
        .await
        .expect("due");
    assert_eq!(due.iter().map(|n| n.id).collect::<Vec<_>>(), ids);

    store
        .start_delivery(&ids, "bundle-1", at("2026-11-21T10:00:32Z"))
        .await
        .expect("start");
    let sending = store
        .notifications(&NotificationFilter {
            states: vec![NotificationState::Sending],
            ..NotificationFilter::default()
        })
        .await
        .expect("sending");
    assert_eq!(sending.len(), 2);
    assert!(
        sending
            .iter()
            .all(|n| n.attempts == 1 && n.bundle.as_deref() == Some("bundle-1"))
    );
    assert!(
        store
            .due_notifications(at("2026-11-21T11:00:00Z"), 100)
            .await
            .expect("due")
            .is_empty(),
        "what is being sent is not due"
    );

    store
        .record_delivered(&ids[..1], at("2026-11-21T10:00:33Z"))
        .await
        .expect("delivered");
    let delivered = store
        .notifications(&NotificationFilter {
            states: vec![NotificationState::Delivered],
            ..NotificationFilter::default()
        })
        .await
        .expect("delivered");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].delivered_at, Some(at("2026-11-21T10:00:33Z")));
    assert_eq!(
        store
            .last_delivery_to(&delivered[0].destination.key())
            .await
            .expect("last"),
        Some(at("2026-11-21T10:00:33Z"))
    );
    assert_eq!(
        store
            .last_delivery_to("user:nobody/phone")
            .await
            .expect("last"),
        None
    );
}

/// A failed attempt is pending again from its retry time, keeps its bundle
/// and says why; without a retry time it has failed for good.
pub async fn failed_attempts_are_retried_or_given_up(store: &dyn Store) {
    let (_, ids) = page_planned_for_two(store).await;
    store
        .start_delivery(&ids, "bundle-9", at("2026-11-21T10:00:32Z"))
        .await
        .expect("start");
    store
        .record_failed(
            &ids[..1],
            "HTTP 503",
            Some(at("2026-11-21T10:01:00Z")),
            at("2026-11-21T10:00:33Z"),
        )
        .await
        .expect("retry");
    store
        .record_failed(&ids[1..], "HTTP 404", None, at("2026-11-21T10:00:33Z"))
        .await
        .expect("give up");

    assert!(
        store
            .due_notifications(at("2026-11-21T10:00:59Z"), 100)
            .await
            .expect("due")
            .is_empty()
    );
    let due = store
        .due_notifications(at("2026-11-21T10:01:00Z"), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, ids[0]);
    assert_eq!(due[0].state, NotificationState::Pending);
    assert_eq!(due[0].last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(due[0].bundle.as_deref(), Some("bundle-9"));
    assert_eq!(due[0].attempts, 1);

    let failed = store
        .notifications(&NotificationFilter {
            states: vec![NotificationState::Failed],
            ..NotificationFilter::default()
        })
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, ids[1]);
    assert_eq!(failed[0].last_error.as_deref(), Some("HTTP 404"));
}

/// Notifications left sending by a sender that stopped are pending and due
/// again once released.
pub async fn notifications_left_sending_are_released(store: &dyn Store) {
    let (_, ids) = page_planned_for_two(store).await;
    store
        .start_delivery(&ids, "bundle-2", at("2026-11-21T10:00:32Z"))
        .await
        .expect("start");
    assert_eq!(
        store
            .release_notifications(at("2026-11-21T10:05:00Z"))
            .await
            .expect("release"),
        2
    );
    let due = store
        .due_notifications(at("2026-11-21T10:05:00Z"), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|n| n.bundle.as_deref() == Some("bundle-2")));
    assert_eq!(
        store
            .release_notifications(at("2026-11-21T10:05:00Z"))
            .await
            .expect("release"),
        0
    );
}

/// Notices (recorded by the notifier, or by the maintenance check) wait to
/// be planned like timeline events; the notifications of old notices are
/// purged once done.
pub async fn notices_are_planned_and_purged(store: &dyn Store) {
    let notice = store
        .record_notice(
            "checkout",
            "delivery_failed",
            "page #1 to alice via push failed 6 times",
            None,
            at("2026-11-21T10:00:00Z"),
        )
        .await
        .expect("notice");
    assert_eq!(notice.kind, "delivery_failed");
    assert_eq!(notice.recipient, None);
    let unplanned = store.unplanned_notices(10).await.expect("unplanned");
    assert_eq!(unplanned, vec![notice.clone()]);
    // A notice for one person says whom.
    let handoff = store
        .record_notice(
            "checkout",
            "handoff",
            "You are on call in primary",
            Some("bob"),
            at("2026-11-21T10:00:00Z"),
        )
        .await
        .expect("notice");
    assert_eq!(handoff.recipient.as_deref(), Some("bob"));
    let unplanned = store.unplanned_notices(10).await.expect("unplanned");
    assert_eq!(unplanned, vec![notice.clone(), handoff.clone()]);

    let to = Destination::channel("ops-chat");
    store
        .plan_notifications(
            &[NewNotification {
                key: "notice-key".to_owned(),
                source: Source::Notice(notice.id),
                page_id: None,
                destination: to.clone(),
                message: message("delivery_failed", 0),
                created_at: at("2026-11-21T10:00:01Z"),
                due_at: at("2026-11-21T10:00:01Z"),
                until_acknowledged: false,
            }],
            &[],
            &[notice.id, handoff.id],
            at("2026-11-21T10:00:01Z"),
        )
        .await
        .expect("plan");
    assert!(
        store
            .unplanned_notices(10)
            .await
            .expect("unplanned")
            .is_empty()
    );
    let due = store
        .due_notifications(at("2026-11-21T10:00:01Z"), 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].source, Source::Notice(notice.id));
    assert_eq!(due[0].destination, to);

    // Pending notifications survive a purge; done ones of old notices go.
    store
        .purge_history(at("2026-12-01T00:00:00Z"))
        .await
        .expect("purge");
    assert_eq!(
        store
            .due_notifications(at("2026-12-01T00:00:00Z"), 10)
            .await
            .expect("due")
            .len(),
        1
    );
    store
        .record_delivered(&[due[0].id], at("2026-11-21T10:00:02Z"))
        .await
        .expect("delivered");
    store
        .purge_history(at("2026-12-01T00:00:00Z"))
        .await
        .expect("purge");
    assert!(
        store
            .notifications(&NotificationFilter::default())
            .await
            .expect("list")
            .is_empty()
    );
}

/// A later contact method is due when its delay has passed, is left out
/// once its page is acknowledged, and is cancelled (only it: what was
/// attempted or is not conditional stays) with the reason.
pub async fn later_contact_methods_wait_and_are_cancelled_by_an_ack(store: &dyn Store) {
    let ids = some_alert_ids(store, 1).await;
    let page = store
        .open_page(&new_page(Class::Page, ids, "2026-11-21T10:00:30Z"))
        .await
        .expect("open")
        .page;
    let events = store.unplanned_page_events(100).await.expect("unplanned");
    let opened = events
        .iter()
        .find(|e| e.page_id == page.id)
        .expect("opened");
    let mut sms = person("alice");
    sms.channel = "sms".to_owned();
    sms.contact = Some("text".to_owned());
    let mut voice = person("alice");
    voice.channel = "voice".to_owned();
    voice.contact = Some("call".to_owned());
    let later = |key: &str, to: Destination, due: &str| NewNotification {
        due_at: at(due),
        until_acknowledged: true,
        ..planned(key, opened, to)
    };
    store
        .plan_notifications(
            &[
                planned("now", opened, person("alice")),
                later("text", sms, "2026-11-21T10:02:30Z"),
                later("call", voice, "2026-11-21T10:05:30Z"),
            ],
            &[opened.id],
            &[],
            at("2026-11-21T10:00:31Z"),
        )
        .await
        .expect("plan");
    let due_keys = |due: Vec<pagerbound_store::Notification>| -> Vec<String> {
        due.into_iter()
            .filter(|n| n.page_id == Some(page.id))
            .map(|n| n.key)
            .collect()
    };
    let due = store
        .due_notifications(at("2026-11-21T10:00:31Z"), 100)
        .await
        .expect("due");
    assert_eq!(due_keys(due), ["now"], "the later methods wait");
    let due = store
        .due_notifications(at("2026-11-21T10:02:30Z"), 100)
        .await
        .expect("due");
    let text = due.iter().find(|n| n.key == "text").expect("text is due");
    assert!(text.until_acknowledged);
    assert_eq!(text.next_attempt_at, at("2026-11-21T10:02:30Z"));
    let text_id = text.id;
    assert_eq!(due_keys(due), ["now", "text"]);

    // The text goes out; then alice acknowledges.
    store
        .start_delivery(&[text_id], "bundle-1", at("2026-11-21T10:02:31Z"))
        .await
        .expect("start");
    store
        .acknowledge_page(page.id, "alice", at("2026-11-21T10:03:00Z"))
        .await
        .expect("ack")
        .expect("page");
    let due = store
        .due_notifications(at("2026-11-21T10:06:00Z"), 100)
        .await
        .expect("due");
    assert_eq!(
        due_keys(due),
        ["now"],
        "an acknowledged page's later methods are not due, even before they are cancelled"
    );
    let cancelled = store
        .cancel_notifications(
            page.id,
            "cancelled: acknowledged by alice",
            at("2026-11-21T10:03:01Z"),
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled, 1, "only the call: the text was attempted");
    let again = store
        .cancel_notifications(page.id, "cancelled", at("2026-11-21T10:03:02Z"))
        .await
        .expect("cancel");
    assert_eq!(again, 0);
    let listed = store
        .notifications(&NotificationFilter {
            page_id: Some(page.id),
            states: vec![NotificationState::Cancelled],
            ..NotificationFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, "call");
    assert_eq!(
        listed[0].last_error.as_deref(),
        Some("cancelled: acknowledged by alice")
    );
    assert_eq!(listed[0].attempts, 0);

    // Unacknowledged again, nothing cancelled comes back.
    store
        .respond(
            page.id,
            &pagerbound_store::Response::Unacknowledge,
            pagerbound_store::Actor::by("alice"),
            at("2026-11-21T10:04:00Z"),
        )
        .await
        .expect("unack");
    let due = store
        .due_notifications(at("2026-11-21T10:06:00Z"), 100)
        .await
        .expect("due");
    assert_eq!(due_keys(due), ["now"]);
}
