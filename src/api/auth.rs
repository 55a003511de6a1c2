//! /api/auth: register, login, logout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::json::Json;
use super::views::{AccountView, UserView};
use crate::app::AppState;
use crate::auth::Caller;
use crate::bank::NewUser;
use crate::clock::rfc3339;
use crate::domain::{Email, Password, Role, Username};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    username: String,
    password: String,
    email: String,
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
    let new = NewUser {
        username: Username::parse(&body.username)?,
        email: Email::parse(&body.email)?,
        password: Password::parse(&body.password)?,
        role: Role::User,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Json(body): Json<Login>,
) -> Result<impl IntoResponse, ApiError> {
    let login = state.auth.login(&body.username, &body.password).await?;
    Ok(axum::Json(json!({
        "token": login.token,
        "token_type": "Bearer",
        "expires_at": rfc3339(login.session.expires_at),
        "user": UserView::from(&login.user),
    })))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state.auth.logout(&caller.session).await?;
    Ok(StatusCode::NO_CONTENT)
}
