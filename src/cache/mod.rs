//! The cache port: sessions with a sliding TTL, the per-user response cache, and
//! login-throttle counters. Losing the cache loses sessions and nothing else.

pub mod moka;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::{Millis, Role, UserId};

#[derive(Debug, Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
}

/// A logged-in session. It lives while used at least every idle TTL, and never
/// past `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user: UserId,
    pub role: Role,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// Echoed by the browser in `X-CSRF-Token` on unsafe requests made with the
    /// session cookie.
    pub csrf: String,
}

/// Failed logins counted for one key within the current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// Until the window closes and the count starts over.
    pub resets_in: Duration,
}

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn ping(&self) -> Result<(), CacheError>;

    async fn put_session(&self, session: Session) -> Result<(), CacheError>;
    /// Returns the session and restarts its idle timer.
    async fn session(&self, id: &str) -> Result<Option<Session>, CacheError>;
    async fn delete_session(&self, id: &str) -> Result<(), CacheError>;

    /// The current version of a user's cached responses. Read it before building
    /// a response and store the response under it: an invalidation in between
    /// bumps the version, so the stale response is never served.
    async fn response_version(&self, user: UserId) -> Result<u64, CacheError>;
    async fn cached_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
    ) -> Result<Option<Bytes>, CacheError>;
    async fn cache_response(
        &self,
        user: UserId,
        name: &str,
        version: u64,
        body: Bytes,
    ) -> Result<(), CacheError>;
    async fn invalidate_responses(&self, user: UserId) -> Result<(), CacheError>;

    async fn login_failures(&self, key: &str) -> Result<Option<Failures>, CacheError>;
    /// Counts one more failure; the window starts at the first one.
    async fn note_login_failure(&self, key: &str, window: Duration)
    -> Result<Failures, CacheError>;
    async fn clear_login_failures(&self, key: &str) -> Result<(), CacheError>;
}
