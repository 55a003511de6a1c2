//! /api/accounts: list (from the response cache), open, read, history.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::ApiError;
use super::history::{HistoryParams, page};
use super::json::{Json, Query};
use super::views::{AccountView, Page};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::{AccountId, AccountKind, Currency};

/// Ids in paths that do not parse cannot name anything: 404, like a stranger's.
pub fn account_id(raw: &str) -> Result<AccountId, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(AccountId)
        .map_err(|_| ApiError::NotFound("account"))
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let body = state
        .bank
        .accounts_view(caller.user.id, |accounts| {
            let page = Page {
                items: accounts.iter().map(AccountView::from).collect(),
                next_cursor: None,
            };
            serde_json::to_vec(&page)
                .expect("account views serialize")
                .into()
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAccount {
    kind: String,
    currency: Option<String>,
    name: Option<String>,
}

pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<OpenAccount>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = AccountKind::parse_customer(&body.kind)?;
    let currency = match &body.currency {
        Some(c) => Currency::parse(c)?,
        None => state.settings.default_currency,
    };
    let holder = caller.user.username.to_string();
    let account = state
        .bank
        .open_account(
            caller.user.id,
            &holder,
            kind,
            currency,
            body.name.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(AccountView::from(&account))))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountView>, ApiError> {
    let account = state
        .bank
        .own_account(caller.user.id, account_id(&id)?)
        .await?;
    Ok(axum::Json(AccountView::from(&account)))
}

pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountView>, ApiError> {
    let account = state
        .bank
        .close_account(caller.user.id, account_id(&id)?)
        .await?;
    Ok(axum::Json(AccountView::from(&account)))
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<impl IntoResponse, ApiError> {
    let account = state
        .bank
        .own_account(caller.user.id, account_id(&id)?)
        .await?;
    let q = params.query()?;
    let lines = state.bank.store.history(&[account.id], &q).await?;
    Ok(axum::Json(page(lines, &q)))
}
