//! Passwords and web sessions.

use super::*;
use pagerbound_store::NewSession;

fn session(secret: &str, user: &str, role: Role, created_at: Timestamp) -> NewSession {
    NewSession {
        digest: TokenDigest::of(secret),
        user: user.to_owned(),
        role,
        csrf: format!("csrf-{secret}"),
        created_at,
        expires_at: created_at + SignedDuration::from_hours(24),
    }
}

/// A password is stored with its role, and setting it again replaces both.
pub async fn passwords_are_set_and_replaced(store: &dyn Store) {
    assert_eq!(store.password("alice").await.expect("read"), None);
    let first = at("2026-11-21T10:00:00.250Z");
    store
        .set_password("alice", "$argon2id$first", Role::Responder, first)
        .await
        .expect("set");
    let stored = store.password("alice").await.expect("read").expect("set");
    assert_eq!(stored.hash, "$argon2id$first");
    assert_eq!(stored.role, Role::Responder);
    assert_eq!(stored.updated_at, first);

    let second = at("2026-11-22T10:00:00Z");
    store
        .set_password("alice", "$argon2id$second", Role::Viewer, second)
        .await
        .expect("set again");
    let replaced = store.password("alice").await.expect("read").expect("set");
    assert_eq!(replaced.hash, "$argon2id$second");
    assert_eq!(replaced.role, Role::Viewer);
    assert_eq!(replaced.updated_at, second);
    assert_eq!(store.password("bob").await.expect("read"), None);
}

/// A session is found by its digest until it expires or is ended; a new
/// password ends every session of its user and no one else's.
pub async fn sessions_open_expire_and_end(store: &dyn Store) {
    let now = at("2026-11-21T10:00:00Z");
    store
        .create_session(&session("a", "alice", Role::Responder, now))
        .await
        .expect("create");
    let found = store
        .find_session(&TokenDigest::of("a"), now)
        .await
        .expect("find")
        .expect("open");
    assert_eq!(found.user, "alice");
    assert_eq!(found.role, Role::Responder);
    assert_eq!(found.csrf, "csrf-a");
    assert_eq!(found.created_at, now);
    assert_eq!(found.expires_at, now + SignedDuration::from_hours(24));

    let duplicate = store
        .create_session(&session("a", "bob", Role::Admin, now))
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );

    let later = now + SignedDuration::from_hours(24);
    assert_eq!(
        store
            .find_session(&TokenDigest::of("a"), later)
            .await
            .expect("find"),
        None,
        "a session is gone at its expiry"
    );

    store
        .create_session(&session("b", "alice", Role::Responder, now))
        .await
        .expect("create");
    store
        .create_session(&session("c", "bob", Role::Viewer, now))
        .await
        .expect("create");
    store.end_session(&TokenDigest::of("b")).await.expect("end");
    store
        .end_session(&TokenDigest::of("b"))
        .await
        .expect("ending twice is no error");
    assert_eq!(
        store
            .find_session(&TokenDigest::of("b"), now)
            .await
            .expect("find"),
        None
    );

    store
        .set_password("alice", "$argon2id$new", Role::Responder, now)
        .await
        .expect("set");
    assert_eq!(
        store
            .find_session(&TokenDigest::of("a"), now)
            .await
            .expect("find"),
        None,
        "a new password signs its user out everywhere"
    );
    assert!(
        store
            .find_session(&TokenDigest::of("c"), now)
            .await
            .expect("find")
            .is_some(),
        "other users stay signed in"
    );

    assert_eq!(store.prune_sessions(later).await.expect("prune"), 0);
    assert_eq!(
        store
            .prune_sessions(later + SignedDuration::from_secs(1))
            .await
            .expect("prune"),
        1
    );
}
