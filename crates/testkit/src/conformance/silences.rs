//! Silences.

use super::*;

pub(super) fn silence(id: &str, matchers: &str, starts: &str, ends: &str) -> Silence {
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
