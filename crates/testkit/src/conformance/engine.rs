//! The engine's state: groups, maintenance windows, leases, purging.

use super::pages::new_page;
use super::silences::silence;
use super::*;

fn group(key: &str, page_id: Option<i64>) -> StoredGroup {
    StoredGroup {
        key: key.to_owned(),
        route: "checkout-slo".to_owned(),
        service: "checkout".to_owned(),
        class: Class::Page,
        labels: labels(&[("alertname", "Paged")]),
        created_at: at("2026-11-21T10:00:00Z"),
        next_flush_at: at("2026-11-21T10:00:30Z"),
        last_notified_at: None,
        notified: vec![Fingerprint(1), Fingerprint(u64::MAX)],
        page_id,
    }
}

/// Groups are saved, replaced by key and deleted.
pub async fn groups_are_saved_replaced_and_deleted(store: &dyn Store) {
    store
        .save_groups(&[group("a", None), group("b", Some(7))])
        .await
        .expect("save");
    let mut a = group("a", Some(3));
    a.last_notified_at = Some(at("2026-11-21T10:00:30Z"));
    a.next_flush_at = at("2026-11-21T10:05:30Z");
    a.notified = vec![Fingerprint(2)];
    store
        .save_groups(std::slice::from_ref(&a))
        .await
        .expect("replace");
    assert_eq!(
        store.groups().await.expect("load"),
        vec![a, group("b", Some(7))]
    );
    store
        .delete_groups(&["b".to_owned()])
        .await
        .expect("delete");
    assert_eq!(store.groups().await.expect("load").len(), 1);
}

/// Maintenance windows are listed until they end; ending one early works;
/// the expiry notice is recorded once.
pub async fn maintenance_windows_and_their_notice(store: &dyn Store) {
    let window = store
        .create_maintenance(&NewMaintenance {
            service: "checkout".to_owned(),
            starts_at: at("2026-11-21T10:00:00Z"),
            ends_at: at("2026-11-21T12:00:00Z"),
            reason: "database upgrade".to_owned(),
            created_by: "alice".to_owned(),
            created_at: at("2026-11-21T09:00:00Z"),
        })
        .await
        .expect("create");
    let expected = MaintenanceWindow {
        id: window.id,
        service: "checkout".to_owned(),
        starts_at: at("2026-11-21T10:00:00Z"),
        ends_at: at("2026-11-21T12:00:00Z"),
        reason: "database upgrade".to_owned(),
        created_by: "alice".to_owned(),
        created_at: at("2026-11-21T09:00:00Z"),
        notice_at: None,
    };
    assert_eq!(window, expected);
    assert_eq!(
        store
            .maintenance_windows(at("2026-11-21T11:00:00Z"))
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        store
            .maintenance_windows(at("2026-11-21T12:00:00Z"))
            .await
            .expect("list")
            .is_empty()
    );

    let notice = store
        .record_maintenance_notice(
            window.id,
            "checkout: maintenance ends in 10 minutes",
            at("2026-11-21T11:50:00Z"),
        )
        .await
        .expect("notice")
        .expect("first time");
    assert_eq!(notice.service, "checkout");
    assert_eq!(notice.kind, "maintenance_ending");
    assert_eq!(
        store
            .record_maintenance_notice(window.id, "again", at("2026-11-21T11:51:00Z"))
            .await
            .expect("notice"),
        None
    );
    assert_eq!(
        store
            .notices(at("2026-11-21T11:00:00Z"))
            .await
            .expect("notices"),
        vec![notice]
    );

    let ended = store
        .end_maintenance(window.id, at("2026-11-21T11:55:00Z"))
        .await
        .expect("end")
        .expect("exists");
    assert_eq!(ended.ends_at, at("2026-11-21T11:55:00Z"));
    assert_eq!(ended.notice_at, Some(at("2026-11-21T11:50:00Z")));
    assert_eq!(
        store
            .end_maintenance(window.id + 100, at("2026-11-21T11:55:00Z"))
            .await
            .expect("end"),
        None
    );
}

/// One holder at a time; an expired lease can be taken over.
pub async fn leases_have_one_holder(store: &dyn Store) {
    let t = at("2026-11-21T10:00:00Z");
    let later = |s: i64| t + SignedDuration::from_secs(s);
    assert!(
        store
            .acquire_lease("engine", "a", t, later(15))
            .await
            .expect("a takes")
    );
    assert!(
        !store
            .acquire_lease("engine", "b", later(5), later(20))
            .await
            .expect("b refused")
    );
    assert!(
        store
            .acquire_lease("engine", "a", later(5), later(20))
            .await
            .expect("a renews")
    );
    assert!(
        store
            .acquire_lease("engine", "b", later(21), later(36))
            .await
            .expect("b takes over")
    );
    assert!(
        !store
            .acquire_lease("engine", "a", later(22), later(37))
            .await
            .expect("a lost it")
    );
    store
        .release_lease("engine", "a")
        .await
        .expect("release by non-holder");
    assert!(
        !store
            .acquire_lease("engine", "a", later(23), later(38))
            .await
            .expect("still b's")
    );
    store.release_lease("engine", "b").await.expect("release");
    assert!(
        store
            .acquire_lease("engine", "a", later(24), later(39))
            .await
            .expect("free again")
    );
}

/// Purging removes what ended before the cutoff, nothing else.
pub async fn history_is_purged_after_retention(store: &dyn Store) {
    write_with_ids(
        store,
        &[
            insert(
                alert("Old", "2025-01-01T00:00:00Z", Some("2025-01-01T01:00:00Z")),
                "2025-01-01T00:00:00Z",
            ),
            insert(
                alert("New", "2026-11-21T00:00:00Z", Some("2026-11-21T01:00:00Z")),
                "2026-11-21T00:00:00Z",
            ),
            insert(
                alert("Firing", "2025-01-01T00:00:00Z", None),
                "2025-01-01T00:00:00Z",
            ),
        ],
    )
    .await
    .expect("write");
    let ids = some_alert_ids(store, 1).await;
    let old_page = store
        .open_page(&new_page(Class::Page, ids.clone(), "2025-01-01T00:00:00Z"))
        .await
        .expect("page")
        .page;
    store
        .resolve_page(old_page.id, None, at("2025-01-01T02:00:00Z"))
        .await
        .expect("resolve");
    let open_page = store
        .open_page(&new_page(Class::Page, ids, "2025-01-01T00:00:00Z"))
        .await
        .expect("page")
        .page;
    store
        .save_silence(&silence(
            "old",
            r#"a="b""#,
            "2025-01-01T00:00:00Z",
            "2025-01-02T00:00:00Z",
        ))
        .await
        .expect("silence");

    let purged = store
        .purge_history(at("2026-01-01T00:00:00Z"))
        .await
        .expect("purge");
    assert_eq!((purged.alerts, purged.pages, purged.silences), (1, 1, 1));
    assert_eq!(store.page(old_page.id).await.expect("get"), None);
    assert!(
        store
            .page_events(old_page.id)
            .await
            .expect("events")
            .is_empty()
    );
    assert!(
        store.page(open_page.id).await.expect("get").is_some(),
        "unresolved pages stay"
    );
    let left: Vec<String> = store
        .alerts_between(at("2024-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), 100)
        .await
        .expect("history")
        .iter()
        .filter_map(|a| a.labels.get("alertname").map(str::to_owned))
        .filter(|n| n != "Paged")
        .collect();
    assert_eq!(left, ["New", "Firing"]);
}
