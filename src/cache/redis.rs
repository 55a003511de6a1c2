//! The external cache: any Redis-compatible server, shared by every replica, so
//! a logout or an invalidation on one is seen by all. Keys live under a
//! configurable prefix; the connection manager reconnects by itself.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Cache, CacheError, Failures, Session};
use crate::domain::UserId;

/// Cached responses expire even if never invalidated: a safety net, not the
/// mechanism (versions are).
const RESPONSE_TTL_SECS: u64 = 600;

pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
    session_idle: Duration,
}

fn unavailable(e: redis::RedisError) -> CacheError {
    CacheError::Unavailable(format!("redis: {e}"))
}

impl RedisCache {
    /// Connects lazily: a server that is not up yet is retried on use.
    pub fn new(url: &str, prefix: &str, session_idle: Duration) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
            session_idle,
        })
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, CacheError> {
        cmd.query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)
    }
}

fn idle_ms(idle: Duration, s: &Session) -> i64 {
    let left = s.expires_at - crate::clock::now_millis();
    left.min(idle.as_millis() as i64)
}

#[async_trait]
impl Cache for RedisCache {
    async fn ping(&self) -> Result<(), CacheError> {
        self.run::<String>(&redis::cmd("PING")).await.map(|_| ())
    }

    async fn put_session(&self, session: Session) -> Result<(), CacheError> {
        let ttl = idle_ms(self.session_idle, &session);
        if ttl <= 0 {
            return Ok(());
        }
        let value =
            serde_json::to_string(&session).map_err(|e| CacheError::Unavailable(e.to_string()))?;
        let key = self.key(&format!("session:{}", session.id));
        self.run(redis::cmd("SET").arg(key).arg(value).arg("PX").arg(ttl))
            .await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, CacheError> {
        let key = self.key(&format!("session:{id}"));
        // GETEX restarts the idle timer in the same round trip.
        let idle = self.session_idle.as_millis() as u64;
        let raw: Option<String> = self
            .run(redis::cmd("GETEX").arg(&key).arg("PX").arg(idle))
            .await?;
        let Some(session) = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok()) else {
            return Ok(None);
        };
        if session.expires_at <= crate::clock::now_millis() {
            self.delete_session(id).await?;
            return Ok(None);
        }
        Ok(Some(session))
    }

    async fn delete_session(&self, id: &str) -> Result<(), CacheError> {
        self.run(redis::cmd("DEL").arg(self.key(&format!("session:{id}"))))
            .await
    }

    async fn response_version(&self, user: UserId) -> Result<u64, CacheError> {
        // A missing version (never set, or evicted) becomes a fresh random one,
        // so responses stored under an old version can never match again.
        let fresh: u64 = rand::random();
        let key = self.key(&format!("rv:{user}"));
        let old: Option<u64> = self
            .run(redis::cmd("SET").arg(&key).arg(fresh).arg("NX").arg("GET"))
            .await?;
        Ok(old.unwrap_or(fresh))
    }

    async fn cached_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
    ) -> Result<Option<Bytes>, CacheError> {
        let key = self.key(&format!("resp:{user}:{name}:{version}"));
        let hit: Option<Vec<u8>> = self.run(redis::cmd("GET").arg(key)).await?;
        Ok(hit.map(Bytes::from))
    }

    async fn cache_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
        body: Bytes,
    ) -> Result<(), CacheError> {
        let key = self.key(&format!("resp:{user}:{name}:{version}"));
        self.run(
            redis::cmd("SET")
                .arg(key)
                .arg(body.as_ref())
                .arg("EX")
                .arg(RESPONSE_TTL_SECS),
        )
        .await
    }

    async fn invalidate_responses(&self, user: UserId) -> Result<(), CacheError> {
        let key = self.key(&format!("rv:{user}"));
        self.run(redis::cmd("SET").arg(key).arg(rand::random::<u64>()))
            .await
    }

    async fn login_failures(&self, key: &str) -> Result<Option<Failures>, CacheError> {
        let key = self.key(key);
        let (count, ttl): (Option<u32>, i64) = redis::pipe()
            .get(&key)
            .cmd("PTTL")
            .arg(&key)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(count.map(|count| Failures {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        }))
    }

    async fn note_login_failure(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<Failures, CacheError> {
        let key = self.key(key);
        let (count, ttl): (u32, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window.as_millis() as u64)
            .arg("NX")
            .ignore()
            .cmd("PTTL")
            .arg(&key)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(Failures {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    async fn clear_login_failures(&self, key: &str) -> Result<(), CacheError> {
        self.run(redis::cmd("DEL").arg(self.key(key))).await
    }
}
