//! Responding to pages: acknowledge, unacknowledge, snooze, note,
//! reassign, resolve, feedback; and the secrets the server keeps.

use super::pages::new_page;
use super::*;
use pagerbound_store::{Actor, Feedback, FeedbackCount, NotActionableReason, Response};

async fn kinds(store: &dyn Store, id: i64) -> Vec<String> {
    store
        .page_events(id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// Each response changes the page once and records one timeline entry per
/// change, with who did it; repeating one changes nothing.
pub async fn responses_change_pages_once(store: &dyn Store) {
    let ids = some_alert_ids(store, 1).await;
    let page = store
        .open_page(&new_page(Class::Page, ids, "2026-11-21T10:00:00Z"))
        .await
        .expect("open")
        .page;
    let respond = |response: Response, by: Option<&'static str>, when: &'static str| async move {
        let actor = by.map_or(Actor::ENGINE, Actor::by);
        store
            .respond(page.id, &response, actor, at(when))
            .await
            .expect("respond")
            .expect("the page exists")
    };

    let acked = respond(Response::Acknowledge, Some("alice"), "2026-11-21T10:01:00Z").await;
    assert_eq!(acked.state, PageState::Acknowledged);
    let again = respond(Response::Acknowledge, Some("bob"), "2026-11-21T10:02:00Z").await;
    assert_eq!(again, acked, "acking an acked page changes nothing");

    let unacked = respond(
        Response::Unacknowledge,
        Some("alice"),
        "2026-11-21T10:03:00Z",
    )
    .await;
    assert_eq!(unacked.state, PageState::Triggered);
    assert_eq!(unacked.acknowledged_by, None);

    let until = at("2026-11-21T10:34:00Z");
    let snoozed = respond(
        Response::Snooze { until },
        Some("bob"),
        "2026-11-21T10:04:00Z",
    )
    .await;
    assert_eq!(snoozed.state, PageState::Acknowledged);
    assert_eq!(snoozed.snoozed_until, Some(until));
    assert_eq!(snoozed.acknowledged_by.as_deref(), Some("bob"));
    assert!(
        store
            .ended_snoozes(at("2026-11-21T10:33:59Z"))
            .await
            .expect("snoozes")
            .is_empty()
    );
    let ended = store
        .ended_snoozes(at("2026-11-21T10:34:00Z"))
        .await
        .expect("snoozes");
    assert_eq!(ended.iter().map(|p| p.id).collect::<Vec<_>>(), [page.id]);
    let woken = respond(Response::EndSnooze, None, "2026-11-21T10:34:01Z").await;
    assert_eq!(woken.state, PageState::Triggered);
    assert_eq!(woken.snoozed_until, None);
    assert!(
        store
            .ended_snoozes(at("2026-11-21T11:00:00Z"))
            .await
            .expect("snoozes")
            .is_empty(),
        "an ended snooze is not found again"
    );

    respond(
        Response::Note {
            text: "looking at the database".into(),
        },
        Some("bob"),
        "2026-11-21T10:35:00Z",
    )
    .await;
    let reassigned = respond(
        Response::Reassign { to: "carol".into() },
        Some("bob"),
        "2026-11-21T10:36:00Z",
    )
    .await;
    assert_eq!(reassigned.assigned_to.as_deref(), Some("carol"));
    assert_eq!(store.page(page.id).await.expect("get"), Some(reassigned));

    let resolved = respond(Response::Resolve, Some("carol"), "2026-11-21T10:40:00Z").await;
    assert_eq!(resolved.state, PageState::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("carol"));
    let again = respond(Response::Resolve, None, "2026-11-21T10:41:00Z").await;
    assert_eq!(again, resolved, "resolving a resolved page changes nothing");
    let snooze_resolved = respond(
        Response::Snooze { until },
        Some("bob"),
        "2026-11-21T10:42:00Z",
    )
    .await;
    assert_eq!(
        snooze_resolved, resolved,
        "a refused response changes nothing"
    );

    assert_eq!(
        kinds(store, page.id).await,
        [
            "opened",
            "acknowledged",
            "unacknowledged",
            "acknowledged",
            "snoozed",
            "snooze_ended",
            "note",
            "reassigned",
            "resolved"
        ]
    );
    let events = store.page_events(page.id).await.expect("events");
    assert_eq!(events[4].detail["by"], "bob");
    assert_eq!(events[6].detail["text"], "looking at the database");
    assert_eq!(events[7].detail["to"], "carol");

    assert_eq!(
        store
            .respond(
                9999,
                &Response::Resolve,
                Actor::ENGINE,
                at("2026-11-21T10:41:00Z")
            )
            .await
            .expect("respond"),
        None
    );

    let ticket = store
        .open_page(&new_page(Class::Ticket, Vec::new(), "2026-11-21T10:00:00Z"))
        .await
        .expect("ticket")
        .page;
    let unchanged = store
        .respond(
            ticket.id,
            &Response::Acknowledge,
            Actor::by("alice"),
            at("2026-11-21T10:01:00Z"),
        )
        .await
        .expect("respond")
        .expect("exists");
    assert_eq!(unchanged, ticket, "tickets are not acknowledged");
    assert_eq!(kinds(store, ticket.id).await, ["opened"]);
}

/// Feedback is kept per page with its alert names and route, replaced when
/// given again, and counted per alert name and per route for a period.
pub async fn feedback_is_replaced_and_counted(store: &dyn Store) {
    let written = write_with_ids(
        store,
        &[
            insert(
                alert("HighLatency", "2026-11-21T10:00:00Z", None),
                "2026-11-21T10:00:00Z",
            ),
            insert(
                alert("HighErrorRate", "2026-11-21T10:00:00Z", None),
                "2026-11-21T10:00:00Z",
            ),
        ],
    )
    .await
    .expect("write");
    let both = store
        .open_page(&new_page(
            Class::Page,
            written.iter().map(|w| w.id).collect(),
            "2026-11-21T10:00:30Z",
        ))
        .await
        .expect("open")
        .page;
    let mut other = new_page(Class::Page, vec![written[0].id], "2026-11-21T11:00:00Z");
    other.route = "checkout-latency".to_owned();
    let latency = store.open_page(&other).await.expect("open").page;
    let later = store
        .open_page(&new_page(
            Class::Page,
            vec![written[1].id],
            "2026-11-28T10:00:00Z",
        ))
        .await
        .expect("open")
        .page;

    let noisy = Feedback {
        actionable: false,
        reason: Some(NotActionableReason::ThresholdWrong),
        text: Some("fires at 1% errors".into()),
    };
    let given = store
        .give_feedback(both.id, &noisy, "alice", at("2026-11-21T10:30:00Z"))
        .await
        .expect("feedback")
        .expect("exists");
    assert_eq!(given.feedback, noisy);
    assert_eq!(given.alertnames, ["HighErrorRate", "HighLatency"]);
    assert_eq!(given.route, "checkout-slo");
    assert_eq!(given.by, "alice");
    assert_eq!(
        store.page_feedback(both.id).await.expect("get"),
        Some(given)
    );

    let useful = Feedback {
        actionable: true,
        reason: None,
        text: None,
    };
    store
        .give_feedback(both.id, &useful, "bob", at("2026-11-21T10:40:00Z"))
        .await
        .expect("replace")
        .expect("exists");
    let replaced = store
        .page_feedback(both.id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!((replaced.feedback, replaced.by.as_str()), (useful, "bob"));
    assert_eq!(
        kinds(store, both.id).await,
        ["opened", "feedback", "feedback"]
    );

    for page in [latency.id, later.id] {
        store
            .give_feedback(page, &noisy, "alice", at("2026-11-28T12:00:00Z"))
            .await
            .expect("feedback")
            .expect("exists");
    }
    assert_eq!(
        store
            .give_feedback(9999, &noisy, "alice", at("2026-11-28T12:00:00Z"))
            .await
            .expect("feedback"),
        None
    );

    let count = |key: &str, pages, actionable| FeedbackCount {
        key: key.to_owned(),
        pages,
        actionable,
    };
    let week = store
        .feedback_counts(at("2026-11-21T00:00:00Z"), at("2026-11-28T00:00:00Z"))
        .await
        .expect("counts");
    assert_eq!(
        week.by_alertname,
        [count("HighErrorRate", 1, 1), count("HighLatency", 2, 1)]
    );
    assert_eq!(
        week.by_route,
        [count("checkout-latency", 1, 0), count("checkout-slo", 1, 1)]
    );
    let empty = store
        .feedback_counts(at("2026-10-01T00:00:00Z"), at("2026-10-08T00:00:00Z"))
        .await
        .expect("counts");
    assert!(empty.by_alertname.is_empty() && empty.by_route.is_empty());
}

/// A secret is stored once: later candidates get the first one back.
pub async fn secrets_are_created_once(store: &dyn Store) {
    let first = store
        .secret_or_insert("action-links", &[1; 32])
        .await
        .expect("secret");
    assert_eq!(first, [1; 32]);
    let second = store
        .secret_or_insert("action-links", &[2; 32])
        .await
        .expect("secret");
    assert_eq!(second, first);
    let other = store
        .secret_or_insert("other", &[3; 16])
        .await
        .expect("secret");
    assert_eq!(other, [3; 16]);
}
