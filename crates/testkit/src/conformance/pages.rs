//! Pages and tickets.

use super::*;

pub(super) fn new_page(class: Class, alert_ids: Vec<i64>, when: &str) -> NewPage {
    NewPage {
        class,
        service: "checkout".to_owned(),
        route: "checkout-slo".to_owned(),
        group_key: "checkout-slo:{alertname=\"Paged\"}".to_owned(),
        group_labels: labels(&[("alertname", "Paged")]),
        title: "Paged (2 alerts)".to_owned(),
        at: at(when),
        alert_ids,
    }
}

/// A page opens triggered with its alerts, gains alerts once each, is
/// acknowledged once and resolved once, with a timeline of it all.
pub async fn pages_live_from_triggered_to_resolved(store: &dyn Store) {
    let ids = some_alert_ids(store, 3).await;
    let page = store
        .open_page(&new_page(
            Class::Page,
            ids[..2].to_vec(),
            "2026-11-21T10:00:30Z",
        ))
        .await
        .expect("open")
        .page;
    assert_eq!(page.state, PageState::Triggered);
    assert_eq!(page.alert_count, 2);
    assert_eq!(page.group_labels.get("alertname"), Some("Paged"));
    assert_eq!(store.page(page.id).await.expect("get"), Some(page.clone()));

    let added = PageEvent {
        at: at("2026-11-21T10:05:30Z"),
        kind: "alerts_added".to_owned(),
        detail: serde_json::json!({ "added": 1 }),
    };
    store
        .add_page_alerts(page.id, &ids[1..], &added)
        .await
        .expect("add");
    let held: Vec<i64> = store
        .page_alerts(page.id)
        .await
        .expect("page alerts")
        .iter()
        .map(|alert| alert.id)
        .collect();
    assert_eq!(held, ids);
    assert_eq!(
        store
            .page(page.id)
            .await
            .expect("get")
            .expect("page")
            .alert_count,
        3
    );
    assert_eq!(
        store
            .open_pages_with_alert(ids[2])
            .await
            .expect("with alert")
            .len(),
        1
    );
    // A ticket holding the first alert too: looked up together, each page
    // beside each alert it holds, by alert then page.
    let ticket = store
        .open_page(&new_page(
            Class::Ticket,
            ids[..1].to_vec(),
            "2026-11-21T10:05:40Z",
        ))
        .await
        .expect("open")
        .page;
    let together: Vec<(i64, i64)> = store
        .open_pages_with_alerts(&[ids[2], ids[0], 987_654])
        .await
        .expect("with alerts")
        .into_iter()
        .map(|(alert, page)| (alert, page.id))
        .collect();
    assert_eq!(
        together,
        [(ids[0], page.id), (ids[0], ticket.id), (ids[2], page.id)]
    );
    assert!(
        store
            .open_pages_with_alerts(&[])
            .await
            .expect("none")
            .is_empty()
    );
    store
        .resolve_page(ticket.id, None, at("2026-11-21T10:05:50Z"))
        .await
        .expect("resolve the ticket");

    let acked = store
        .acknowledge_page(page.id, "alice", at("2026-11-21T10:06:00Z"))
        .await
        .expect("ack")
        .expect("exists");
    assert_eq!(acked.state, PageState::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("alice"));
    let again = store
        .acknowledge_page(page.id, "bob", at("2026-11-21T10:07:00Z"))
        .await
        .expect("ack again")
        .expect("exists");
    assert_eq!(
        again.acknowledged_by.as_deref(),
        Some("alice"),
        "the first ack stands"
    );

    let resolved = store
        .resolve_page(page.id, None, at("2026-11-21T10:20:00Z"))
        .await
        .expect("resolve")
        .expect("exists");
    assert_eq!(resolved.state, PageState::Resolved);
    assert_eq!(resolved.resolved_at, Some(at("2026-11-21T10:20:00Z")));
    assert!(
        store
            .acknowledge_page(page.id, "bob", at("2026-11-21T10:21:00Z"))
            .await
            .expect("ack")
            .is_some()
    );
    assert_eq!(
        store.page(page.id).await.expect("get").expect("page").state,
        PageState::Resolved
    );
    assert!(
        store
            .open_pages_with_alert(ids[2])
            .await
            .expect("with alert")
            .is_empty()
    );
    assert_eq!(
        store
            .acknowledge_page(9999, "x", at("2026-11-21T10:21:00Z"))
            .await
            .expect("ack"),
        None
    );

    let kinds: Vec<String> = store
        .page_events(page.id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["opened", "alerts_added", "acknowledged", "resolved"]
    );
}

/// Tickets start open; listing filters by class, state, service and time.
pub async fn pages_and_tickets_are_listed_by_filter(store: &dyn Store) {
    let ids = some_alert_ids(store, 2).await;
    let page = store
        .open_page(&new_page(Class::Page, vec![ids[0]], "2026-11-21T10:00:00Z"))
        .await
        .expect("page")
        .page;
    let ticket = store
        .open_page(&new_page(
            Class::Ticket,
            vec![ids[1]],
            "2026-11-21T11:00:00Z",
        ))
        .await
        .expect("ticket")
        .page;
    assert_eq!(ticket.state, PageState::Open);
    let list = |filter: PageFilter| async move {
        store
            .pages(&PageFilter {
                limit: 50,
                ..filter
            })
            .await
            .expect("list")
            .into_iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(PageFilter::default()).await,
        [ticket.id, page.id],
        "newest first"
    );
    assert_eq!(
        list(PageFilter {
            class: Some(Class::Page),
            ..Default::default()
        })
        .await,
        [page.id]
    );
    assert_eq!(
        list(PageFilter {
            states: vec![PageState::Open],
            ..Default::default()
        })
        .await,
        [ticket.id]
    );
    assert_eq!(
        list(PageFilter {
            states: vec![PageState::Triggered, PageState::Open],
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert!(
        list(PageFilter {
            service: Some("search".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        list(PageFilter {
            group_key: Some(ticket.group_key.clone()),
            class: Some(Class::Ticket),
            ..Default::default()
        })
        .await,
        [ticket.id]
    );
    assert!(
        list(PageFilter {
            group_key: Some("other".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        list(PageFilter {
            from: Some(at("2026-11-21T10:30:00Z")),
            to: Some(at("2026-11-21T12:00:00Z")),
            ..Default::default()
        })
        .await,
        [ticket.id]
    );
}
