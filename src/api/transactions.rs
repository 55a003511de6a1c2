//! /api/transactions: transfer, list across my accounts, read one.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::ApiError;
use super::history::{HistoryParams, page};
use super::json::{Json, Query};
use super::views::TransactionView;
use crate::app::AppState;
use crate::auth::Caller;
use crate::bank::Movement;
use crate::domain::{AccountId, AccountRef, Amount, EntryId, EntryKind};
use crate::store::Posted;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    from_account: String,
    to_account: String,
    amount: serde_json::Number,
    #[serde(default)]
    description: String,
}

/// The client's `Idempotency-Key`, if it sent one.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key must be ASCII")
            })
        })
        .transpose()
}

/// 201 with the entry as `side` sees it, or the refusal; either way marked when
/// it replays an earlier request.
pub fn posted_response(posted: Posted, side: AccountId) -> Response {
    let mut res = match posted.result {
        Ok(entry) => match TransactionView::of(&entry, side) {
            Some(view) => (StatusCode::CREATED, axum::Json(view)).into_response(),
            None => ApiError::Internal("posted entry lacks its own side".into()).into_response(),
        },
        Err(refusal) => ApiError::Refused(refusal).into_response(),
    };
    if posted.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<Transfer>,
) -> Result<Response, ApiError> {
    let me = caller.user.id;
    let amount = Amount::from_json(&body.amount)?;
    let from = state
        .bank
        .own_address(me, &AccountRef::parse(&body.from_account)?)
        .await?;
    let to = state
        .bank
        .payee_address(me, &AccountRef::parse(&body.to_account)?)
        .await?;
    let movement = Movement::new(
        EntryKind::Transfer,
        from.id,
        to.id,
        amount,
        &body.description,
    )?;
    let posted = state
        .bank
        .post(Some(me), movement, idempotency_key(&headers)?)
        .await?;
    Ok(posted_response(posted, from.id))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HistoryParams>,
) -> Result<impl IntoResponse, ApiError> {
    let ids: Vec<AccountId> = state
        .bank
        .store
        .accounts_of(caller.user.id)
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    let q = params.query()?;
    let lines = state.bank.store.history(&ids, &q).await?;
    Ok(axum::Json(page(lines, &q)))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<TransactionView>, ApiError> {
    let not_found = || ApiError::NotFound("transaction");
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let entry = state
        .bank
        .store
        .entry(EntryId(id))
        .await?
        .ok_or_else(not_found)?;
    let me = Some(caller.user.id);
    let side = [&entry.debit, &entry.credit]
        .into_iter()
        .find(|s| s.owner == me)
        .ok_or_else(not_found)?;
    TransactionView::of(&entry, side.account)
        .map(axum::Json)
        .ok_or_else(not_found)
}
