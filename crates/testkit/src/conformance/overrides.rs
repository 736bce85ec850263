//! Schedule overrides: stored together or not at all, found by the range
//! they touch, removed once.

use super::*;
use pagerbound_store::NewOverride;

fn new_override(schedule: &str, user: &str, start: &str, end: &str) -> NewOverride {
    NewOverride {
        schedule: schedule.to_owned(),
        user: user.to_owned(),
        start: at(start),
        end: at(end),
        created_by: "alice".to_owned(),
        note: Some("dentist".to_owned()),
    }
}

/// A swap's two overrides are stored together with fresh ids; range
/// queries keep what overlaps and nothing that only touches an edge.
pub async fn overrides_are_added_and_found_by_range(store: &dyn Store) {
    let swap = [
        new_override(
            "primary",
            "bob",
            "2026-11-23T09:00:00Z",
            "2026-11-24T09:00:00Z",
        ),
        new_override(
            "primary",
            "alice",
            "2026-11-25T09:00:00Z",
            "2026-11-26T09:00:00Z",
        ),
    ];
    let stored = store
        .add_overrides(&swap, at("2026-11-21T10:00:00Z"))
        .await
        .expect("add");
    assert_eq!(stored.len(), 2);
    assert_ne!(stored[0].id, stored[1].id);
    assert_eq!(stored[0].user, "bob");
    assert_eq!(stored[1].start, at("2026-11-25T09:00:00Z"));
    assert_eq!(stored[0].created_at, at("2026-11-21T10:00:00Z"));
    assert_eq!(stored[0].note.as_deref(), Some("dentist"));
    store
        .add_overrides(
            &[new_override(
                "secondary",
                "carol",
                "2026-11-23T12:00:00Z",
                "2026-11-23T13:00:00Z",
            )],
            at("2026-11-21T10:00:00Z"),
        )
        .await
        .expect("add another");

    let week = store
        .overrides(
            Some("primary"),
            at("2026-11-23T00:00:00Z"),
            at("2026-11-30T00:00:00Z"),
        )
        .await
        .expect("list");
    assert_eq!(week, stored, "both, by start, as stored");
    let edge = store
        .overrides(
            Some("primary"),
            at("2026-11-24T09:00:00Z"),
            at("2026-11-25T09:00:00Z"),
        )
        .await
        .expect("list");
    assert!(edge.is_empty(), "ranges are half-open: {edge:?}");
    let inside = store
        .overrides(
            None,
            at("2026-11-23T12:30:00Z"),
            at("2026-11-23T12:30:00.001Z"),
        )
        .await
        .expect("list");
    let users: Vec<&str> = inside.iter().map(|o| o.user.as_str()).collect();
    assert_eq!(users, ["bob", "carol"], "every schedule with None");
}

/// A batch with one bad override stores none of it.
pub async fn overrides_are_added_all_or_none(store: &dyn Store) {
    let batch = [
        new_override(
            "primary",
            "bob",
            "2026-11-23T09:00:00Z",
            "2026-11-24T09:00:00Z",
        ),
        // Ends before it starts: refused by the database.
        new_override(
            "primary",
            "alice",
            "2026-11-26T09:00:00Z",
            "2026-11-25T09:00:00Z",
        ),
    ];
    assert!(
        store
            .add_overrides(&batch, at("2026-11-21T10:00:00Z"))
            .await
            .is_err()
    );
    let all = store
        .overrides(None, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))
        .await
        .expect("list");
    assert!(all.is_empty(), "nothing of a failed batch is kept: {all:?}");
}

/// Removing answers the override once, then nothing.
pub async fn overrides_are_removed_once(store: &dyn Store) {
    let stored = store
        .add_overrides(
            &[new_override(
                "primary",
                "bob",
                "2026-11-23T09:00:00Z",
                "2026-11-24T09:00:00Z",
            )],
            at("2026-11-21T10:00:00Z"),
        )
        .await
        .expect("add");
    let removed = store.remove_override(stored[0].id).await.expect("remove");
    assert_eq!(removed.as_ref(), Some(&stored[0]));
    assert_eq!(
        store.remove_override(stored[0].id).await.expect("again"),
        None
    );
    let left = store
        .overrides(None, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))
        .await
        .expect("list");
    assert!(left.is_empty());
}
