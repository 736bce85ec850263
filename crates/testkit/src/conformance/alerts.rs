//! Alerts: batches, updates, history.

use super::*;

/// Reserved ids are distinct, across calls too.
pub async fn alert_ids_are_reserved_once(store: &dyn Store) {
    let first = store.reserve_alert_ids(3).await.expect("reserve");
    let second = store.reserve_alert_ids(2).await.expect("reserve");
    let all: std::collections::BTreeSet<i64> = first.iter().chain(&second).copied().collect();
    assert_eq!((first.len(), second.len(), all.len()), (3, 2, 5));
    assert!(store.reserve_alert_ids(0).await.expect("none").is_empty());
}

/// A batch of inserts: every field comes back, ids and change numbers are
/// assigned in order.
pub async fn alerts_are_written_in_batches(store: &dyn Store) {
    let batch = vec![
        insert(
            alert("A", "2026-11-21T10:00:00Z", Some("2026-11-21T10:05:00Z")),
            "2026-11-21T10:00:01Z",
        ),
        insert(
            alert("B", "2026-11-21T10:00:00Z", None),
            "2026-11-21T10:00:01Z",
        ),
        insert(
            alert("C", "2026-11-21T09:00:00Z", Some("2026-11-21T09:30:00Z")),
            "2026-11-21T10:00:01Z",
        ),
    ];
    let written = write_with_ids(store, &batch).await.expect("write");
    assert_eq!(written.len(), 3);
    assert!(
        written.windows(2).all(|w| w[1].seq != w[0].seq),
        "{written:?}"
    );
    assert!(written.windows(2).all(|w| w[1].id != w[0].id));

    let ids: Vec<i64> = written.iter().map(|w| w.id).collect();
    let stored = store.alerts_by_ids(&ids).await.expect("by ids");
    assert_eq!(stored.len(), 3);
    let a = stored.iter().find(|s| s.id == written[0].id).expect("A");
    let AlertWrite::Insert {
        alert: original, ..
    } = &batch[0]
    else {
        unreachable!()
    };
    assert_eq!(a.fingerprint, original.fingerprint());
    assert_eq!(a.labels, original.labels);
    assert_eq!(a.annotations, original.annotations);
    assert_eq!(a.generator_url, original.generator_url);
    assert_eq!(a.starts_at, original.starts_at);
    assert_eq!(a.ends_at, original.ends_at);
    assert!(a.timeout);
    assert_eq!(a.updated_at, at("2026-11-21T10:00:01Z"));
    assert_eq!(a.integration, "prometheus");
    assert_eq!(a.seq, written[0].seq);
    let b = stored.iter().find(|s| s.id == written[1].id).expect("B");
    assert_eq!(b.ends_at, None);

    // What fires at 10:01: A (until 10:05) and B (until resolved), not C.
    let firing: Vec<String> = store
        .alerts_ending_after(at("2026-11-21T10:01:00Z"))
        .await
        .expect("firing")
        .into_iter()
        .map(|s| s.labels.get("alertname").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(firing, ["A", "B"]);

    let changes = store
        .alerts_changed_since(written[0].seq, 10)
        .await
        .expect("changes");
    assert_eq!(changes.iter().map(|c| c.id).collect::<Vec<_>>(), &ids[1..]);
    assert_eq!(
        store
            .alerts_changed_since(written[2].seq, 10)
            .await
            .expect("none")
            .len(),
        0
    );
}

/// Updates change times, and annotations only when content is given; a
/// mixed batch answers in order.
pub async fn alert_updates_keep_what_they_do_not_change(store: &dyn Store) {
    let written = write_with_ids(
        store,
        &[insert(
            alert("A", "2026-11-21T10:00:00Z", Some("2026-11-21T10:05:00Z")),
            "2026-11-21T10:00:00Z",
        )],
    )
    .await
    .expect("insert");
    let id = written[0].id;
    let mixed = vec![
        AlertWrite::Update {
            id,
            starts_at: at("2026-11-21T09:59:00Z"),
            ends_at: Some(at("2026-11-21T10:09:00Z")),
            timeout: false,
            content: None,
            at: at("2026-11-21T10:04:00Z"),
        },
        insert(
            alert("B", "2026-11-21T10:04:00Z", None),
            "2026-11-21T10:04:00Z",
        ),
    ];
    let second = write_with_ids(store, &mixed).await.expect("mixed");
    assert_eq!(second[0].id, id);
    assert_ne!(second[1].id, id);
    assert!(
        second.iter().all(|w| w.seq > written[0].seq),
        "later writes, later change numbers"
    );
    assert_ne!(second[0].seq, second[1].seq);
    let a = &store.alerts_by_ids(&[id]).await.expect("read")[0];
    assert_eq!(a.starts_at, at("2026-11-21T09:59:00Z"));
    assert_eq!(a.ends_at, Some(at("2026-11-21T10:09:00Z")));
    assert!(!a.timeout);
    assert_eq!(
        a.annotations.get("summary"),
        Some("A is bad"),
        "content untouched"
    );
    assert_eq!(a.seq, second[0].seq);

    let new_annotations = labels(&[("summary", "worse"), ("runbook", "https://r")]);
    write_with_ids(
        store,
        &[AlertWrite::Update {
            id,
            starts_at: a.starts_at,
            ends_at: None,
            timeout: false,
            content: Some((new_annotations.clone(), None)),
            at: at("2026-11-21T10:05:00Z"),
        }],
    )
    .await
    .expect("content");
    let a = &store.alerts_by_ids(&[id]).await.expect("read")[0];
    assert_eq!(a.annotations, new_annotations);
    assert_eq!(a.generator_url, None);
    assert_eq!(a.ends_at, None);
}

/// Thousands of alerts in one batch, as the ingest path writes them.
pub async fn large_batches_are_written_whole(store: &dyn Store) {
    let now = at("2026-11-21T10:00:00Z");
    let batch: Vec<AlertWrite> = (0..3000)
        .map(|i| {
            let mut a = alert("Bulk", "2026-11-21T10:00:00Z", None);
            a.labels.insert("instance", format!("host-{i}"));
            insert(a, "2026-11-21T10:00:00Z")
        })
        .collect();
    let written = write_with_ids(store, &batch).await.expect("write");
    let ids: std::collections::BTreeSet<i64> = written.iter().map(|w| w.id).collect();
    assert_eq!(ids.len(), 3000);
    assert_eq!(
        store.alerts_ending_after(now).await.expect("firing").len(),
        3000
    );
    let fingerprints: std::collections::BTreeSet<Fingerprint> = store
        .alerts_by_ids(&ids.iter().copied().collect::<Vec<_>>())
        .await
        .expect("read")
        .iter()
        .map(|a| a.fingerprint)
        .collect();
    assert_eq!(fingerprints.len(), 3000);
}

/// A batch that fails (here: an insert reuses a stored alert's id) writes
/// none of its inserts and updates, small or large, and the next batch is
/// written as usual.
pub async fn failed_batches_write_nothing(store: &dyn Store) {
    let first = write_with_ids(
        store,
        &[insert(
            alert("Kept", "2026-11-21T10:00:00Z", None),
            "2026-11-21T10:00:00Z",
        )],
    )
    .await
    .expect("first");
    let kept = first[0].id;
    for fresh in [1, 200] {
        let mut ids = store.reserve_alert_ids(fresh).await.expect("ids");
        let mut batch: Vec<AlertWrite> = (0..fresh)
            .map(|i| {
                let mut a = alert("Lost", "2026-11-21T10:01:00Z", None);
                a.labels.insert("instance", format!("host-{i}"));
                insert_as(ids[i], a, "2026-11-21T10:01:00Z")
            })
            .collect();
        batch.push(AlertWrite::Update {
            id: kept,
            starts_at: at("2026-11-21T10:00:00Z"),
            ends_at: Some(at("2026-11-21T10:01:00Z")),
            timeout: false,
            content: None,
            at: at("2026-11-21T10:01:00Z"),
        });
        batch.push(insert_as(
            kept,
            alert("Clash", "2026-11-21T10:01:00Z", None),
            "2026-11-21T10:01:00Z",
        ));
        store
            .write_alerts(&batch)
            .await
            .expect_err("an id written twice");
        ids.push(kept);
        let stored = store.alerts_by_ids(&ids).await.expect("read");
        assert_eq!(
            names(stored.clone()),
            ["Kept"],
            "{fresh} inserts: none written"
        );
        assert_eq!(stored[0].ends_at, None, "the update was not written either");
    }
    let after = write_with_ids(
        store,
        &[insert(
            alert("After", "2026-11-21T10:02:00Z", None),
            "2026-11-21T10:02:00Z",
        )],
    )
    .await
    .expect("the next batch");
    let stored = store.alerts_by_ids(&[after[0].id]).await.expect("read");
    assert_eq!(names(stored), ["After"]);
}

/// Alert names in order, with `/instance` where an alert has one.
fn names(alerts: Vec<pagerbound_store::StoredAlert>) -> Vec<String> {
    alerts
        .iter()
        .map(|a| {
            let name = a.labels.get("alertname").unwrap_or_default();
            match a.labels.get("instance") {
                Some(instance) => format!("{name}/{instance}"),
                None => name.to_owned(),
            }
        })
        .collect()
}

/// A range holds the alerts that started in it and those that started
/// before it and still fired in it; the limit keeps the newest.
pub async fn alert_history_ranges_hold_what_fired_in_them(store: &dyn Store) {
    let mut twin = alert("Noon", "2026-11-21T12:00:00Z", Some("2026-11-21T12:30:00Z"));
    twin.labels.insert("instance", "b");
    write_with_ids(
        store,
        &[
            insert(
                alert("Firing", "2026-11-19T00:00:00Z", None),
                "2026-11-19T00:00:00Z",
            ),
            insert(
                alert(
                    "Before",
                    "2026-11-20T08:00:00Z",
                    Some("2026-11-20T09:00:00Z"),
                ),
                "2026-11-20T08:00:00Z",
            ),
            insert(
                alert(
                    "Spanning",
                    "2026-11-20T22:00:00Z",
                    Some("2026-11-21T02:00:00Z"),
                ),
                "2026-11-20T22:00:00Z",
            ),
            insert(
                alert(
                    "Early",
                    "2026-11-21T01:00:00Z",
                    Some("2026-11-21T01:05:00Z"),
                ),
                "2026-11-21T01:00:00Z",
            ),
            insert(
                alert("Noon", "2026-11-21T12:00:00Z", Some("2026-11-21T12:30:00Z")),
                "2026-11-21T12:00:00Z",
            ),
            insert(twin, "2026-11-21T12:00:00Z"),
            insert(
                alert(
                    "After",
                    "2026-11-22T01:00:00Z",
                    Some("2026-11-22T02:00:00Z"),
                ),
                "2026-11-22T01:00:00Z",
            ),
        ],
    )
    .await
    .expect("write");
    let day = |limit| {
        store.alerts_between(
            at("2026-11-21T00:00:00Z"),
            at("2026-11-22T00:00:00Z"),
            limit,
        )
    };
    assert_eq!(
        names(day(100).await.expect("between")),
        ["Noon/b", "Noon", "Early", "Spanning", "Firing"],
        "newest start first, the later id first at the same start; \
         those that started earlier and fired into the day included"
    );
    assert_eq!(names(day(2).await.expect("between")), ["Noon/b", "Noon"]);
    assert_eq!(
        names(day(4).await.expect("between")),
        ["Noon/b", "Noon", "Early", "Spanning"],
        "the limit cuts across the two kinds"
    );
    let all_time = store
        .alerts_between(Timestamp::UNIX_EPOCH, at("2026-11-23T00:00:00Z"), 3)
        .await
        .expect("between");
    assert_eq!(names(all_time), ["After", "Noon/b", "Noon"]);

    // A search narrows the same window to the labels asked for, and says
    // how much it looked through.
    let search = |labels: &[(&str, &str)], window| {
        let labels: Labels = labels.iter().copied().collect();
        async move {
            store
                .search_alerts(
                    at("2026-11-21T00:00:00Z"),
                    at("2026-11-22T00:00:00Z"),
                    &labels,
                    window,
                )
                .await
                .expect("search")
        }
    };
    let noon = search(&[("alertname", "Noon")], 100).await;
    assert_eq!(names(noon.alerts), ["Noon/b", "Noon"]);
    assert_eq!(noon.searched, 5, "all five of the day were looked at");
    let firing = search(&[("alertname", "Firing")], 100).await;
    assert_eq!(
        names(firing.alerts),
        ["Firing"],
        "from the earlier part too"
    );
    assert_eq!(firing.searched, 5);
    let cut = search(&[("alertname", "Firing")], 4).await;
    assert!(cut.alerts.is_empty(), "Firing is fifth newest: outside");
    assert_eq!(cut.searched, 4, "the window was full");
    let both = search(&[("alertname", "Noon"), ("instance", "b")], 100).await;
    assert_eq!(
        names(both.alerts),
        ["Noon/b"],
        "every label must be carried"
    );
    let none = search(&[("alertname", "Noon"), ("instance", "c")], 100).await;
    assert!(none.alerts.is_empty());
    assert_eq!(none.searched, 5);
    let everything = search(&[], 100).await;
    assert_eq!(everything.alerts.len(), 5);
    assert_eq!(everything.searched, 5);
}

/// History by time range, and the event path's lookup by label.
pub async fn alert_history_and_label_lookup(store: &dyn Store) {
    let mut event = alert("Event", "2026-11-21T10:00:00Z", None);
    event.labels.insert("dedup_key", "disk-db1");
    write_with_ids(
        store,
        &[
            insert(
                alert("Old", "2026-11-20T08:00:00Z", Some("2026-11-20T09:00:00Z")),
                "2026-11-20T08:00:00Z",
            ),
            insert(
                alert("Noon", "2026-11-21T12:00:00Z", Some("2026-11-21T12:30:00Z")),
                "2026-11-21T12:00:00Z",
            ),
            insert(event, "2026-11-21T10:00:00Z"),
        ],
    )
    .await
    .expect("write");
    let day = store
        .alerts_between(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"), 100)
        .await
        .expect("between");
    assert_eq!(
        names(day),
        ["Noon", "Event"],
        "newest first, yesterday's left out"
    );
    let found = store
        .firing_alerts_with_label(
            "prometheus",
            "dedup_key",
            "disk-db1",
            at("2026-11-21T13:00:00Z"),
        )
        .await
        .expect("lookup");
    assert_eq!(names(found), ["Event"]);
    let other = store
        .firing_alerts_with_label(
            "other-integration",
            "dedup_key",
            "disk-db1",
            at("2026-11-21T13:00:00Z"),
        )
        .await
        .expect("lookup");
    assert!(other.is_empty());
}
