//! The scenarios every store backend must pass. Each takes a freshly
//! migrated store; `tests/conformance.rs` runs each one on SQLite and on
//! PostgreSQL.
//!
//! Instants are compared at millisecond precision, the precision both
//! backends keep.

use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::{NewApiToken, Store, StoreError};

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn new_token(secret: &str, user: &str, role: Role, created_at: Timestamp) -> NewApiToken {
    NewApiToken {
        user: user.to_owned(),
        role,
        description: Some(format!("{user}'s laptop")),
        digest: TokenDigest::of(secret),
        created_at,
    }
}

/// Migrating again changes nothing and does not fail; the store answers.
pub async fn migrations_are_idempotent(store: &dyn Store) {
    store.migrate().await.expect("second migration");
    store.ping().await.expect("ping");
}

/// A token is found by its digest with every field as stored.
pub async fn api_tokens_round_trip(store: &dyn Store) {
    let created_at = at("2026-11-21T10:15:30.123Z");
    let stored = store
        .create_api_token(&new_token("secret-a", "alice", Role::Responder, created_at))
        .await
        .expect("create");
    assert_eq!(stored.user, "alice");
    assert_eq!(stored.role, Role::Responder);
    assert_eq!(stored.description.as_deref(), Some("alice's laptop"));
    assert_eq!(stored.created_at, created_at);
    assert_eq!(stored.last_used_at, None);
    assert_eq!(stored.revoked_at, None);

    let found = store
        .find_api_token(&TokenDigest::of("secret-a"))
        .await
        .expect("find")
        .expect("the token exists");
    assert_eq!(found, stored);
    let missing = store
        .find_api_token(&TokenDigest::of("secret-b"))
        .await
        .expect("find");
    assert_eq!(missing, None);
}

/// The same digest cannot be stored twice.
pub async fn api_token_digests_are_unique(store: &dyn Store) {
    let now = at("2026-11-21T10:00:00Z");
    store
        .create_api_token(&new_token("same", "alice", Role::Viewer, now))
        .await
        .expect("first");
    let second = store
        .create_api_token(&new_token("same", "bob", Role::Admin, now))
        .await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    assert_eq!(store.list_api_tokens().await.expect("list").len(), 1);
}

/// Tokens list oldest first, with distinct ids.
pub async fn api_tokens_list_in_creation_order(store: &dyn Store) {
    let now = at("2026-11-21T10:00:00Z");
    for (i, user) in ["carol", "alice", "bob"].iter().enumerate() {
        store
            .create_api_token(&new_token(&format!("t{i}"), user, Role::Viewer, now))
            .await
            .expect("create");
    }
    let users: Vec<String> = store
        .list_api_tokens()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.user)
        .collect();
    assert_eq!(users, ["carol", "alice", "bob"]);
}

/// Revoking records when; revoking again keeps the first time; an unknown
/// id is `None`.
pub async fn api_tokens_revoke_once(store: &dyn Store) {
    let token = store
        .create_api_token(&new_token(
            "r",
            "alice",
            Role::Admin,
            at("2026-11-21T10:00:00Z"),
        ))
        .await
        .expect("create");
    let first = at("2026-11-21T11:00:00Z");
    let revoked = store
        .revoke_api_token(token.id, first)
        .await
        .expect("revoke")
        .expect("exists");
    assert_eq!(revoked.revoked_at, Some(first));
    assert!(revoked.is_revoked());
    let again = store
        .revoke_api_token(token.id, at("2026-11-21T12:00:00Z"))
        .await
        .expect("revoke again")
        .expect("exists");
    assert_eq!(again.revoked_at, Some(first));
    let found = store
        .find_api_token(&TokenDigest::of("r"))
        .await
        .expect("find")
        .expect("revoked tokens are still found");
    assert_eq!(found.revoked_at, Some(first));
    assert_eq!(
        store
            .revoke_api_token(token.id + 1000, first)
            .await
            .expect("revoke"),
        None
    );
}

/// Uses are recorded, but not more often than the granularity allows.
pub async fn api_token_use_is_recorded_sparingly(store: &dyn Store) {
    let token = store
        .create_api_token(&new_token(
            "u",
            "alice",
            Role::Viewer,
            at("2026-11-21T10:00:00Z"),
        ))
        .await
        .expect("create");
    let digest = TokenDigest::of("u");
    let first = at("2026-11-21T10:05:00Z");
    store
        .record_api_token_use(token.id, first)
        .await
        .expect("use");
    async fn last_used(store: &dyn Store, digest: &TokenDigest) -> Option<Timestamp> {
        store
            .find_api_token(digest)
            .await
            .expect("find")
            .expect("exists")
            .last_used_at
    }
    assert_eq!(last_used(store, &digest).await, Some(first));
    store
        .record_api_token_use(token.id, first + SignedDuration::from_secs(30))
        .await
        .expect("use");
    assert_eq!(
        last_used(store, &digest).await,
        Some(first),
        "a use 30 s later is not written"
    );
    let later = first + SignedDuration::from_secs(61);
    store
        .record_api_token_use(token.id, later)
        .await
        .expect("use");
    assert_eq!(last_used(store, &digest).await, Some(later));
}

use pagerbound_core::alert::{Alert, Fingerprint, Labels};
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use pagerbound_core::silence::Silence;
use pagerbound_store::{
    AlertWrite, NewMaintenance, NewPage, PageEvent, PageFilter, PageState, StoredGroup, Written,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

fn alert(name: &str, starts: &str, ends: Option<&str>) -> Alert {
    Alert {
        labels: labels(&[("alertname", name), ("service", "checkout")]),
        annotations: labels(&[("summary", &format!("{name} is bad"))]),
        starts_at: at(starts),
        ends_at: ends.map(at),
        timeout: ends.is_some(),
        generator_url: Some(format!("http://prometheus/graph?g0.expr={name}")),
    }
}

/// An insert whose id [`write_with_ids`] fills in.
fn insert(a: Alert, when: &str) -> AlertWrite {
    AlertWrite::Insert {
        id: 0,
        alert: a,
        integration: "prometheus".to_owned(),
        at: at(when),
    }
}

/// Writes a batch after reserving ids for its inserts, as the ingest path
/// does.
async fn write_with_ids(
    store: &dyn Store,
    writes: &[AlertWrite],
) -> pagerbound_store::Result<Vec<Written>> {
    let count = writes
        .iter()
        .filter(|w| matches!(w, AlertWrite::Insert { .. }))
        .count();
    let mut ids = store.reserve_alert_ids(count).await?.into_iter();
    let writes: Vec<AlertWrite> = writes
        .iter()
        .cloned()
        .map(|write| match write {
            AlertWrite::Insert {
                alert,
                integration,
                at,
                ..
            } => AlertWrite::Insert {
                id: ids.next().expect("an id per insert"),
                alert,
                integration,
                at,
            },
            update => update,
        })
        .collect();
    store.write_alerts(&writes).await
}

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
    let names = |alerts: Vec<pagerbound_store::StoredAlert>| -> Vec<String> {
        alerts
            .iter()
            .map(|a| a.labels.get("alertname").unwrap_or_default().to_owned())
            .collect()
    };
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

fn silence(id: &str, matchers: &str, starts: &str, ends: &str) -> Silence {
    Silence {
        id: id.to_owned(),
        matchers: pagerbound_core::alert::parse_matchers(matchers).expect("matchers"),
        starts_at: at(starts),
        ends_at: at(ends),
        created_by: "alice".to_owned(),
        comment: "database upgrade".to_owned(),
        updated_at: at("2026-11-21T09:00:00Z"),
    }
}

/// Silences are saved, replaced by id, and listed until they expired.
pub async fn silences_are_saved_and_listed(store: &dyn Store) {
    let a = silence(
        "a",
        r#"alertname="X", instance=~"db.*""#,
        "2026-11-21T10:00:00Z",
        "2026-11-21T12:00:00Z",
    );
    let b = silence(
        "b",
        r#"service="search""#,
        "2026-11-20T10:00:00Z",
        "2026-11-20T12:00:00Z",
    );
    store.save_silence(&a).await.expect("save a");
    store.save_silence(&b).await.expect("save b");
    assert_eq!(store.silence("a").await.expect("get"), Some(a.clone()));
    assert_eq!(store.silence("missing").await.expect("get"), None);

    let mut expired = a.clone();
    expired.ends_at = at("2026-11-21T10:30:00Z");
    expired.updated_at = at("2026-11-21T10:30:00Z");
    store.save_silence(&expired).await.expect("replace");
    assert_eq!(store.silence("a").await.expect("get"), Some(expired));

    let recent: Vec<String> = store
        .silences(at("2026-11-21T00:00:00Z"))
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(recent, ["a"]);
    assert_eq!(
        store
            .silences(at("2026-11-19T00:00:00Z"))
            .await
            .expect("list")
            .len(),
        2
    );
}

async fn some_alert_ids(store: &dyn Store, n: usize) -> Vec<i64> {
    let batch: Vec<AlertWrite> = (0..n)
        .map(|i| {
            let mut a = alert("Paged", "2026-11-21T10:00:00Z", None);
            a.labels.insert("instance", format!("i{i}"));
            insert(a, "2026-11-21T10:00:00Z")
        })
        .collect();
    write_with_ids(store, &batch)
        .await
        .expect("write")
        .iter()
        .map(|w| w.id)
        .collect()
}

fn new_page(class: Class, alert_ids: Vec<i64>, when: &str) -> NewPage {
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
        .expect("open");
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
    assert_eq!(store.page_alert_ids(page.id).await.expect("ids"), ids);
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
        .expect("page");
    let ticket = store
        .open_page(&new_page(
            Class::Ticket,
            vec![ids[1]],
            "2026-11-21T11:00:00Z",
        ))
        .await
        .expect("ticket");
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
        .expect("page");
    store
        .resolve_page(old_page.id, None, at("2025-01-01T02:00:00Z"))
        .await
        .expect("resolve");
    let open_page = store
        .open_page(&new_page(Class::Page, ids, "2025-01-01T00:00:00Z"))
        .await
        .expect("page");
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
