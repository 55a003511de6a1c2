//! Handlers name [`Caller`] or [`Admin`] in their arguments to require a live
//! session; everything else about credentials stays here. API clients send a
//! bearer token; the browser sends an HttpOnly cookie, and then every unsafe
//! request must echo the session's CSRF token.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

use super::{Auth, AuthError};
use crate::cache::Session;
use crate::domain::{Role, User};

pub const SESSION_COOKIE: &str = "bankbox_session";
pub const CSRF_COOKIE: &str = "bankbox_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller.
pub struct Caller {
    pub user: User,
    pub session: Session,
}

/// An authenticated caller with the admin role.
pub struct Admin(pub Caller);

enum Credential<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

fn bearer(value: &str) -> Result<&str, AuthError> {
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token.trim())
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn credential(parts: &Parts) -> Result<Credential<'_>, AuthError> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let value = header.to_str().map_err(|_| AuthError::MissingToken)?;
        return bearer(value).map(Credential::Bearer);
    }
    cookie(parts, SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .map(Credential::Cookie)
        .ok_or(AuthError::MissingToken)
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<Auth>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Arc::<Auth>::from_ref(state);
        let (token, by_cookie) = match credential(parts)? {
            Credential::Bearer(t) => (t, false),
            Credential::Cookie(t) => (t, true),
        };
        let (user, session) = auth.authenticate(token).await?;
        // A cookie rides along on any request the browser makes, so a write made
        // with it must prove it comes from our own page.
        if by_cookie && !parts.method.is_safe() {
            let echoed = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if echoed != Some(session.csrf.as_str()) {
                return Err(AuthError::Csrf);
            }
        }
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
