//! Drills.

use super::pages::new_page;
use super::*;

/// Drills are recorded as they start, listed newest first, and keep the
/// first page linked to them.
pub async fn drills_are_recorded_and_linked_to_their_page(store: &dyn Store) {
    let first = store
        .start_drill("checkout", "alice", at("2026-11-21T10:00:00Z"))
        .await
        .expect("start");
    let second = store
        .start_drill("search", "bob", at("2026-11-21T11:00:00Z"))
        .await
        .expect("start");
    assert_eq!(first.service, "checkout");
    assert_eq!(first.started_by, "alice");
    assert_eq!(first.started_at, at("2026-11-21T10:00:00Z"));
    assert_eq!(first.page_id, None, "no page until the engine opens one");
    assert!(second.id > first.id);

    let ids = some_alert_ids(store, 2).await;
    let page = store
        .open_page(&new_page(Class::Page, vec![ids[0]], "2026-11-21T10:00:05Z"))
        .await
        .expect("open")
        .page;
    let other = store
        .open_page(&new_page(Class::Page, vec![ids[1]], "2026-11-21T10:00:06Z"))
        .await
        .expect("open")
        .page;
    store.drill_opened(first.id, page.id).await.expect("link");
    store.drill_opened(first.id, other.id).await.expect("link");

    let drills = store.drills(10).await.expect("list");
    let listed: Vec<(i64, Option<i64>)> = drills.iter().map(|d| (d.id, d.page_id)).collect();
    assert_eq!(
        listed,
        [(second.id, None), (first.id, Some(page.id))],
        "newest first; the first page stays linked"
    );
    assert_eq!(store.drills(1).await.expect("list").len(), 1);
}
