//! API tokens.

use super::*;

fn new_token(secret: &str, user: &str, role: Role, created_at: Timestamp) -> NewApiToken {
    NewApiToken {
        user: user.to_owned(),
        role,
        description: Some(format!("{user}'s laptop")),
        digest: TokenDigest::of(secret),
        created_at,
    }
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
