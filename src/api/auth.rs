//! /api/auth: register, login, logout.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::json::Json;
use super::views::{AccountView, UserView};
use crate::app::AppState;
use crate::auth::Caller;
use crate::auth::extractor::{CSRF_COOKIE, SESSION_COOKIE};
use crate::bank::NewUser;
use crate::clock::rfc3339;
use crate::domain::{Email, Password, Role, Username};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub(super) username: String,
    pub(super) password: String,
    pub(super) email: String,
}

pub async fn register(
    State(state): State<AppState>,
    Json(body): Json<Register>,
) -> Result<impl IntoResponse, ApiError> {
    if !state.settings.open_registration {
        return Err(ApiError::Forbidden(
            "registration_closed",
            "registration is closed; ask an administrator for an account".into(),
        ));
    }
    create(&state, &body, Role::User).await
}

/// Creates a user with a checking account: registration, and an admin making
/// one. Answers 201 with the user and the account.
pub async fn create(
    state: &AppState,
    body: &Register,
    role: Role,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), ApiError> {
    let new = NewUser {
        username: Username::parse(&body.username)?,
        email: Email::parse(&body.email)?,
        password: Password::parse(&body.password)?,
        role,
    };
    let user = state
        .bank
        .create_user(new, state.settings.default_currency)
        .await?;
    let accounts = state.bank.store.accounts_of(user.id).await?;
    let accounts: Vec<AccountView> = accounts.iter().map(AccountView::from).collect();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "user": UserView::from(&user), "accounts": accounts })),
    ))
}

/// How the client wants to hold its session.
#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum SessionMode {
    /// The token in the body, for API and mobile clients.
    #[default]
    Bearer,
    /// An HttpOnly cookie page script cannot read, for the browser.
    Cookie,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
    #[serde(default)]
    session: SessionMode,
}

fn cookie(name: &str, value: &str, max_age: i64, http_only: bool, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are ASCII")
}

pub async fn login(
    State(state): State<AppState>,
    Json(body): Json<Login>,
) -> Result<Response, ApiError> {
    let login = state.auth.login(&body.username, &body.password).await?;
    let expires_at = rfc3339(login.session.expires_at);
    let user = UserView::from(&login.user);
    if body.session == SessionMode::Bearer {
        let body = json!({ "token": login.token, "token_type": "Bearer", "expires_at": expires_at, "user": user });
        return Ok(axum::Json(body).into_response());
    }
    let secure = state.settings.secure_cookies;
    let max_age = (login.session.expires_at - login.session.created_at) / 1000;
    let csrf = &login.session.csrf;
    let mut res = axum::Json(json!({ "expires_at": expires_at, "user": user, "csrf_token": csrf }))
        .into_response();
    let headers = res.headers_mut();
    headers.append(
        SET_COOKIE,
        cookie(SESSION_COOKIE, &login.token, max_age, true, secure),
    );
    headers.append(
        SET_COOKIE,
        cookie(CSRF_COOKIE, csrf, max_age, false, secure),
    );
    Ok(res)
}

/// Ends the session and clears the browser's cookies.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    state.auth.logout(&caller.session).await?;
    let secure = state.settings.secure_cookies;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .append(SET_COOKIE, cookie(SESSION_COOKIE, "", 0, true, secure));
    res.headers_mut()
        .append(SET_COOKIE, cookie(CSRF_COOKIE, "", 0, false, secure));
    Ok(res)
}
