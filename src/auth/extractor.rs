//! Handlers name [`Caller`] or [`Admin`] in their arguments to require a live
//! session; everything else about tokens stays here.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::{Auth, AuthError};
use crate::cache::Session;
use crate::domain::{Role, User};

/// The authenticated caller.
pub struct Caller {
    pub user: User,
    pub session: Session,
}

/// An authenticated caller with the admin role.
pub struct Admin(pub Caller);

fn bearer(parts: &Parts) -> Result<&str, AuthError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let value = header.to_str().map_err(|_| AuthError::MissingToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token.trim())
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<Auth>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Arc::<Auth>::from_ref(state);
        let (user, session) = auth.authenticate(bearer(parts)?).await?;
        Ok(Caller { user, session })
    }
}

impl<S> FromRequestParts<S> for Admin
where
    Arc<Auth>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.user.role != Role::Admin {
            return Err(AuthError::Forbidden);
        }
        Ok(Admin(caller))
    }
}
