//! The Cache contract. Each body runs on moka and on Redis.

use std::sync::Arc;
use std::time::Duration;

use bankbox::cache::{Cache, Session};
use bankbox::domain::{Role, UserId};
use bytes::Bytes;

type Make<'a> = &'a (dyn Fn(Duration) -> Option<Arc<dyn Cache>> + Sync);

fn session(id: &str, life_ms: i64) -> Session {
    let now = bankbox::clock::now_millis();
    Session {
        id: id.into(),
        user: UserId::new(),
        role: Role::User,
        created_at: now,
        expires_at: now + life_ms,
        csrf: "c".into(),
    }
}

async fn sessions_slide_and_end(make: Make<'_>) {
    let cache = make(Duration::from_millis(800)).unwrap();
    cache.ping().await.unwrap();
    let s = session("slide", 60_000);
    cache.put_session(s.clone()).await.unwrap();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            cache.session("slide").await.unwrap(),
            Some(s.clone()),
            "use keeps it alive"
        );
    }
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert_eq!(
        cache.session("slide").await.unwrap(),
        None,
        "idle past the TTL ends it"
    );

    cache.put_session(session("gone", 60_000)).await.unwrap();
    cache.delete_session("gone").await.unwrap();
    assert_eq!(cache.session("gone").await.unwrap(), None);
    assert_eq!(cache.session("never").await.unwrap(), None);
}

async fn sessions_end_at_their_absolute_limit(make: Make<'_>) {
    let cache = make(Duration::from_secs(60)).unwrap();
    cache.put_session(session("abs", 500)).await.unwrap();
    assert!(cache.session("abs").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(cache.session("abs").await.unwrap(), None);
}

async fn stale_responses_are_never_served(make: Make<'_>) {
    let cache = make(Duration::from_secs(60)).unwrap();
    let user = UserId::new();
    let v1 = cache.response_version(user).await.unwrap();
    assert_eq!(
        cache.response_version(user).await.unwrap(),
        v1,
        "stable until invalidated"
    );
    cache
        .cache_response(user, "accounts", v1, Bytes::from_static(b"one"))
        .await
        .unwrap();
    assert_eq!(
        cache.cached_response(user, "accounts", v1).await.unwrap(),
        Some(Bytes::from_static(b"one"))
    );
    // A write lands while a reader is building its response under v1.
    cache.invalidate_responses(user).await.unwrap();
    cache
        .cache_response(user, "accounts", v1, Bytes::from_static(b"stale"))
        .await
        .unwrap();
    let v2 = cache.response_version(user).await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(
        cache.cached_response(user, "accounts", v2).await.unwrap(),
        None
    );
    let other = UserId::new();
    assert_eq!(
        cache.cached_response(other, "accounts", v2).await.unwrap(),
        None
    );
}

async fn login_failures_count_within_a_window(make: Make<'_>) {
    let cache = make(Duration::from_secs(60)).unwrap();
    assert_eq!(cache.login_failures("login:ann").await.unwrap(), None);
    for n in 1..=3 {
        let f = cache
            .note_login_failure("login:ann", Duration::from_millis(700))
            .await
            .unwrap();
        assert_eq!(f.count, n);
        assert!(f.resets_in <= Duration::from_millis(700));
    }
    assert_eq!(
        cache
            .login_failures("login:ann")
            .await
            .unwrap()
            .unwrap()
            .count,
        3
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        cache.login_failures("login:ann").await.unwrap(),
        None,
        "the window closed"
    );
    cache
        .note_login_failure("login:ann", Duration::from_secs(60))
        .await
        .unwrap();
    cache.clear_login_failures("login:ann").await.unwrap();
    assert_eq!(cache.login_failures("login:ann").await.unwrap(), None);
}

crate::cache_tests!(
    sessions_slide_and_end,
    sessions_end_at_their_absolute_limit,
    stale_responses_are_never_served,
    login_failures_count_within_a_window,
);
