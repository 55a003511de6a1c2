//! Who is calling: password hashing, JWTs that carry a session id, sessions in
//! the cache, login throttling, and the extractor handlers use.

pub mod extractor;
pub mod password;
pub mod throttle;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::cache::{Cache, CacheError, Session};
use crate::domain::{User, Username};
use crate::store::{Store, StoreError};

pub use extractor::{Admin, Caller};
pub use password::Hasher;
pub use token::Tokens;

#[derive(Debug, Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed logins; try again in {} seconds", .0.as_secs().max(1))]
    Throttled(Duration),
    #[error("missing or malformed credentials")]
    MissingToken,
    #[error("the token is invalid or expired")]
    InvalidToken,
    #[error("the session has ended; log in again")]
    SessionEnded,
    #[error("this action needs the admin role")]
    Forbidden,
    #[error("missing or wrong X-CSRF-Token for a cookie-authenticated request")]
    Csrf,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A fresh login.
pub struct Login {
    pub token: String,
    pub session: Session,
    pub user: User,
}

pub struct Auth {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub tokens: Tokens,
    pub hasher: Arc<Hasher>,
    /// Absolute session lifetime, whatever the activity.
    pub session_max: Duration,
}

impl Auth {
    /// Checks a password and opens a session. Unknown users cost a hash check too
    /// and get the same answer, so timing and wording reveal nothing.
    pub async fn login(&self, username: &str, password: &str) -> Result<Login, AuthError> {
        let throttle_key = username.trim().to_ascii_lowercase();
        throttle::check(self.cache.as_ref(), &throttle_key).await?;
        let user = match Username::parse(username) {
            Ok(name) => self.store.user_by_username(&name).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.hasher.verify(password.to_string(), hash).await?;
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            _ => {
                throttle::fail(self.cache.as_ref(), &throttle_key).await?;
                return Err(AuthError::InvalidCredentials);
            }
        };
        throttle::clear(self.cache.as_ref(), &throttle_key).await?;
        let now = crate::clock::now_millis();
        let session = Session {
            id: token::new_session_id(),
            user: user.id,
            role: user.role,
            created_at: now,
            expires_at: now + self.session_max.as_millis() as i64,
            csrf: token::new_session_id(),
        };
        self.cache.put_session(session.clone()).await?;
        let token = self.tokens.issue(&session)?;
        Ok(Login {
            token,
            session,
            user,
        })
    }

    /// Resolves a bearer token to its live session and current user.
    pub async fn authenticate(&self, token: &str) -> Result<(User, Session), AuthError> {
        let claims = self.tokens.verify(token)?;
        let session = self
            .cache
            .session(&claims.sid)
            .await?
            .ok_or(AuthError::SessionEnded)?;
        if session.user.to_string() != claims.sub {
            return Err(AuthError::InvalidToken);
        }
        let user = self
            .store
            .user(session.user)
            .await?
            .ok_or(AuthError::SessionEnded)?;
        if user.disabled {
            self.cache.delete_session(&session.id).await?;
            return Err(AuthError::SessionEnded);
        }
        Ok((user, session))
    }

    pub async fn logout(&self, session: &Session) -> Result<(), AuthError> {
        Ok(self.cache.delete_session(&session.id).await?)
    }
}
