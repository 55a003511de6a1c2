//! /api/users.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiError;
use super::json::Json;
use super::views::UserView;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::Password;

pub async fn me(caller: Caller) -> axum::Json<UserView> {
    axum::Json(UserView::from(&caller.user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changing a password needs the current one, so a borrowed session cannot
/// lock the owner out.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let new = Password::parse(&body.new_password)?;
    let hash = Some(caller.user.password_hash.clone());
    if !state
        .auth
        .hasher
        .verify(body.current_password, hash)
        .await?
    {
        return Err(ApiError::Forbidden(
            "wrong_password",
            "the current password is wrong".into(),
        ));
    }
    state.bank.set_password(&caller.user.username, &new).await?;
    Ok(StatusCode::NO_CONTENT)
}
