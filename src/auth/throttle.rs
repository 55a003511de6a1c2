//! Failed-login throttling per username: after a few failures in a window,
//! further attempts get 429 until the window closes. Counted in the cache so all
//! replicas share it.

use std::time::Duration;

use super::AuthError;
use crate::cache::Cache;

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

fn key(username: &str) -> String {
    format!("login:{username}")
}

pub async fn check(cache: &dyn Cache, username: &str) -> Result<(), AuthError> {
    match cache.login_failures(&key(username)).await? {
        Some(f) if f.count >= MAX_FAILURES => Err(AuthError::Throttled(f.resets_in)),
        _ => Ok(()),
    }
}

pub async fn fail(cache: &dyn Cache, username: &str) -> Result<(), AuthError> {
    cache.note_login_failure(&key(username), WINDOW).await?;
    Ok(())
}

pub async fn clear(cache: &dyn Cache, username: &str) -> Result<(), AuthError> {
    Ok(cache.clear_login_failures(&key(username)).await?)
}
