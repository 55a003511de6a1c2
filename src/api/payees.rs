//! /api/payees: confirmation of payee. Before paying a typed account number, a
//! customer sees whose account it is.

use axum::extract::{Path, State};
use serde::Serialize;

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::AccountRef;

#[derive(Serialize)]
pub struct Payee {
    account_number: String,
    name: String,
    currency: String,
}

pub async fn lookup(
    State(state): State<AppState>,
    _: Caller,
    Path(number): Path<String>,
) -> Result<axum::Json<Payee>, ApiError> {
    let number = crate::domain::AccountNumber::parse(&number)?;
    let account = state
        .bank
        .customer_account(&AccountRef::Number(number))
        .await?;
    if account.closed {
        return Err(ApiError::NotFound("account"));
    }
    Ok(axum::Json(Payee {
        account_number: account.number.to_string(),
        name: account.holder,
        currency: account.currency.to_string(),
    }))
}
