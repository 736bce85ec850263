//! Heartbeats: last beats and the one page per silence.

use super::*;
use pagerbound_store::HeartbeatRecord;

fn heartbeat_page(when: &str) -> NewPage {
    NewPage {
        class: Class::Page,
        service: "monitoring".to_owned(),
        route: "heartbeat".to_owned(),
        group_key: "heartbeat:prometheus".to_owned(),
        group_labels: labels(&[("heartbeat", "prometheus")]),
        title: "Heartbeat \"prometheus\" missing: no beat for 6m".to_owned(),
        at: at(when),
        alert_ids: Vec::new(),
    }
}

async fn record(store: &dyn Store, name: &str) -> HeartbeatRecord {
    store
        .heartbeats()
        .await
        .expect("heartbeats")
        .into_iter()
        .find(|h| h.name == name)
        .expect("a record")
}

/// Watching starts once; beats only move forward and are counted; beats of
/// unknown heartbeats start watching them.
pub async fn heartbeat_beats_are_recorded(store: &dyn Store) {
    let names = ["prometheus".to_owned(), "backup".to_owned()];
    store
        .watch_heartbeats(&names, at("2026-11-21T10:00:00Z"))
        .await
        .expect("watch");
    store
        .watch_heartbeats(&names, at("2026-11-21T11:00:00Z"))
        .await
        .expect("watch again");
    let backup = record(store, "backup").await;
    assert_eq!(backup.watched_since, at("2026-11-21T10:00:00Z"));
    assert_eq!(backup.last_beat_at, None);
    assert_eq!((backup.beats, backup.page_id), (0, None));

    store
        .record_beats(&names[..1], at("2026-11-21T10:05:00.123Z"))
        .await
        .expect("beat");
    store
        .record_beats(&names[..1], at("2026-11-21T10:04:00Z"))
        .await
        .expect("a late, older beat");
    let prometheus = record(store, "prometheus").await;
    assert_eq!(
        prometheus.last_beat_at,
        Some(at("2026-11-21T10:05:00.123Z"))
    );
    assert_eq!(prometheus.beats, 2);
    assert_eq!(record(store, "backup").await.last_beat_at, None);

    store
        .record_beats(&["cron".to_owned()], at("2026-11-21T12:00:00Z"))
        .await
        .expect("beat of an unwatched heartbeat");
    let cron = record(store, "cron").await;
    assert_eq!(cron.watched_since, at("2026-11-21T12:00:00Z"));
    assert_eq!(cron.last_beat_at, Some(at("2026-11-21T12:00:00Z")));
    let listed: Vec<String> = store
        .heartbeats()
        .await
        .expect("list")
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(listed, ["backup", "cron", "prometheus"]);
}

/// A silence opens one page, noted on the heartbeat: a second opener that
/// read the same state opens nothing. Resolving records the event once and
/// forgets the page; a page resolved by a person is forgotten too.
pub async fn heartbeat_pages_open_once_and_resolve(store: &dyn Store) {
    let name = "prometheus";
    store
        .watch_heartbeats(&[name.to_owned()], at("2026-11-21T10:00:00Z"))
        .await
        .expect("watch");
    let page = store
        .open_heartbeat_page(name, None, &heartbeat_page("2026-11-21T10:06:00Z"))
        .await
        .expect("open")
        .expect("opened");
    assert_eq!(page.state, PageState::Triggered);
    assert_eq!(page.alert_count, 0);
    assert_eq!(page.service, "monitoring");
    let again = store
        .open_heartbeat_page(name, None, &heartbeat_page("2026-11-21T10:06:01Z"))
        .await
        .expect("second opener");
    assert_eq!(again, None, "one page per silence");
    let open = store
        .pages(&PageFilter {
            group_key: Some("heartbeat:prometheus".to_owned()),
            limit: 10,
            ..PageFilter::default()
        })
        .await
        .expect("pages");
    assert_eq!(open.len(), 1);
    let noted = record(store, name).await;
    assert_eq!(noted.page_id, Some(page.id));
    assert_eq!(noted.page_opened_at, Some(at("2026-11-21T10:06:00Z")));

    let returned = PageEvent {
        at: at("2026-11-21T10:08:00Z"),
        kind: "resolved".to_owned(),
        detail: serde_json::json!({ "by": null, "reason": "heartbeat returned" }),
    };
    assert!(
        store
            .resolve_heartbeat_page(name, page.id, &returned)
            .await
            .expect("resolve")
    );
    assert!(
        !store
            .resolve_heartbeat_page(name, page.id, &returned)
            .await
            .expect("resolve again")
    );
    let resolved = store.page(page.id).await.expect("get").expect("page");
    assert_eq!(resolved.state, PageState::Resolved);
    assert_eq!(resolved.resolved_at, Some(at("2026-11-21T10:08:00Z")));
    assert_eq!(resolved.resolved_by, None);
    let events = store.page_events(page.id).await.expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "resolved"]);
    assert_eq!(events[1].detail["reason"], "heartbeat returned");
    assert_eq!(record(store, name).await.page_id, None);

    // The next silence opens a new page; a person resolves it.
    let second = store
        .open_heartbeat_page(name, None, &heartbeat_page("2026-11-21T11:00:00Z"))
        .await
        .expect("open")
        .expect("opened");
    assert_ne!(second.id, page.id);
    store
        .resolve_page(second.id, Some("alice"), at("2026-11-21T11:01:00Z"))
        .await
        .expect("resolved by a person");
    assert!(
        !store
            .resolve_heartbeat_page(name, second.id, &returned)
            .await
            .expect("forget")
    );
    assert_eq!(record(store, name).await.page_id, None);
}
