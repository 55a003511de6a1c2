//! The embedded cache: moka, bounded by bytes, in this process only. One process
//! can rely on it; several replicas need Redis (DESIGN §3).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache as Moka;

use super::{Cache, CacheError, Failures, Session};
use crate::domain::UserId;

pub struct MokaCache {
    sessions: Moka<String, Session>,
    responses: Moka<(UserId, String), (u64, Bytes)>,
    // Never evicted: losing a version could revive a stale response.
    versions: moka::sync::Cache<UserId, u64>,
    next_version: AtomicU64,
    failures: Moka<String, Counter>,
}

#[derive(Clone)]
struct Counter {
    count: u32,
    until: Instant,
}

/// Sliding idle TTL, capped by the session's absolute expiry.
struct SessionExpiry {
    idle: Duration,
}

impl SessionExpiry {
    fn ttl(&self, s: &Session) -> Option<Duration> {
        let left = s
            .expires_at
            .saturating_sub(crate::clock::now_millis())
            .max(0);
        Some(self.idle.min(Duration::from_millis(left as u64)))
    }
}

impl Expiry<String, Session> for SessionExpiry {
    fn expire_after_create(&self, _: &String, s: &Session, _: Instant) -> Option<Duration> {
        self.ttl(s)
    }
    fn expire_after_read(
        &self,
        _: &String,
        s: &Session,
        _: Instant,
        _: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        self.ttl(s)
    }
    fn expire_after_update(
        &self,
        _: &String,
        s: &Session,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.ttl(s)
    }
}

/// A counter lives until the end of its window.
struct WindowExpiry;

impl Expiry<String, Counter> for WindowExpiry {
    fn expire_after_create(&self, _: &String, c: &Counter, now: Instant) -> Option<Duration> {
        Some(c.until.saturating_duration_since(now))
    }
    fn expire_after_update(
        &self,
        _: &String,
        c: &Counter,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(c.until.saturating_duration_since(now))
    }
}

impl MokaCache {
    /// `max_bytes` bounds the response cache; sessions and counters are small and
    /// bounded by count.
    pub fn new(session_idle: Duration, max_bytes: u64) -> Self {
        Self {
            sessions: Moka::builder()
                .max_capacity(1_000_000)
                .expire_after(SessionExpiry { idle: session_idle })
                .build(),
            responses: Moka::builder()
                .max_capacity(max_bytes)
                .weigher(|(_, name): &(UserId, String), (_, body): &(u64, Bytes)| {
                    u32::try_from(name.len() + body.len() + 64).unwrap_or(u32::MAX)
                })
                .build(),
            versions: moka::sync::Cache::builder().build(),
            next_version: AtomicU64::new(1),
            failures: Moka::builder()
                .max_capacity(100_000)
                .expire_after(WindowExpiry)
                .build(),
        }
    }
}

#[async_trait]
impl Cache for MokaCache {
    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    async fn put_session(&self, session: Session) -> Result<(), CacheError> {
        self.sessions.insert(session.id.clone(), session).await;
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, CacheError> {
        Ok(self.sessions.get(id).await)
    }

    async fn delete_session(&self, id: &str) -> Result<(), CacheError> {
        self.sessions.invalidate(id).await;
        Ok(())
    }

    async fn response_version(&self, user: UserId) -> Result<u64, CacheError> {
        Ok(self.versions.get(&user).unwrap_or(0))
    }

    async fn cached_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
    ) -> Result<Option<Bytes>, CacheError> {
        let hit = self.responses.get(&(user, name.to_string())).await;
        Ok(hit.filter(|(v, _)| *v == version).map(|(_, body)| body))
    }

    async fn cache_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
        body: Bytes,
    ) -> Result<(), CacheError> {
        self.responses
            .insert((user, name.to_string()), (version, body))
            .await;
        Ok(())
    }

    async fn invalidate_responses(&self, user: UserId) -> Result<(), CacheError> {
        let v = self.next_version.fetch_add(1, Ordering::Relaxed);
        self.versions.insert(user, v);
        Ok(())
    }

    async fn login_failures(&self, key: &str) -> Result<Option<Failures>, CacheError> {
        let now = Instant::now();
        Ok(self.failures.get(key).await.map(|c| Failures {
            count: c.count,
            resets_in: c.until.saturating_duration_since(now),
        }))
    }

    async fn note_login_failure(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<Failures, CacheError> {
        let now = Instant::now();
        let entry = self
            .failures
            .entry(key.to_string())
            .and_upsert_with(|old| {
                let next = match old.map(|e| e.into_value()) {
                    Some(c) if c.until > now => Counter {
                        count: c.count + 1,
                        until: c.until,
                    },
                    _ => Counter {
                        count: 1,
                        until: now + window,
                    },
                };
                std::future::ready(next)
            })
            .await;
        let c = entry.into_value();
        Ok(Failures {
            count: c.count,
            resets_in: c.until.saturating_duration_since(now),
        })
    }

    async fn clear_login_failures(&self, key: &str) -> Result<(), CacheError> {
        self.failures.invalidate(key).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn session(expires_in_ms: i64) -> Session {
        let now = crate::clock::now_millis();
        Session {
            id: "s1".into(),
            user: UserId::new(),
            role: Role::User,
            created_at: now,
            expires_at: now + expires_in_ms,
            csrf: String::new(),
        }
    }

    #[tokio::test]
    async fn session_idle_timeout_slides_on_use() {
        let c = MokaCache::new(Duration::from_millis(300), 1 << 20);
        c.put_session(session(60_000)).await.unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert!(
                c.session("s1").await.unwrap().is_some(),
                "use keeps it alive"
            );
        }
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert!(
            c.session("s1").await.unwrap().is_none(),
            "idle past the TTL ends it"
        );
    }

    #[tokio::test]
    async fn session_absolute_limit_wins() {
        let c = MokaCache::new(Duration::from_secs(60), 1 << 20);
        c.put_session(session(200)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(c.session("s1").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn stale_response_is_never_served_after_invalidation() {
        let c = MokaCache::new(Duration::from_secs(60), 1 << 20);
        let u = UserId::new();
        let v = c.response_version(u).await.unwrap();
        c.invalidate_responses(u).await.unwrap();
        c.cache_response(u, "accounts", v, Bytes::from_static(b"old"))
            .await
            .unwrap();
        let now = c.response_version(u).await.unwrap();
        assert_ne!(v, now);
        assert_eq!(c.cached_response(u, "accounts", now).await.unwrap(), None);
    }
}
