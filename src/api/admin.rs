//! /api/admin: users, cash in and out through the bank's system account,
//! freezing accounts. Admin role only.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::accounts::account_id;
use super::auth::Register;
use super::error::ApiError;
use super::json::Json;
use super::transactions::{idempotency_key, posted_response};
use super::views::{AccountView, Page, UserView};
use crate::app::AppState;
use crate::auth::Admin;
use crate::bank::Movement;
use crate::domain::{AccountRef, Amount, EntryKind, Role};

#[derive(serde::Serialize)]
pub struct UserWithAccounts {
    #[serde(flatten)]
    user: UserView,
    accounts: Vec<AccountView>,
}

pub async fn users(
    State(state): State<AppState>,
    _: Admin,
) -> Result<axum::Json<Page<UserWithAccounts>>, ApiError> {
    let mut items = Vec::new();
    for user in state.bank.store.users().await? {
        let accounts = state.bank.store.accounts_of(user.id).await?;
        items.push(UserWithAccounts {
            user: UserView::from(&user),
            accounts: accounts.iter().map(AccountView::from).collect(),
        });
    }
    Ok(axum::Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    password: String,
    email: String,
    #[serde(default)]
    admin: bool,
}

/// Makes a user with a checking account: how people get in when registration
/// is closed.
pub async fn create_user(
    State(state): State<AppState>,
    _: Admin,
    Json(body): Json<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    let role = if body.admin { Role::Admin } else { Role::User };
    let user = Register {
        username: body.username,
        password: body.password,
        email: body.email,
    };
    super::auth::create(&state, &user, role).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cash {
    account: String,
    amount: serde_json::Number,
    #[serde(default)]
    description: String,
}

async fn cash(
    state: AppState,
    admin: Admin,
    headers: HeaderMap,
    body: Cash,
    kind: EntryKind,
) -> Result<Response, ApiError> {
    let amount = Amount::from_json(&body.amount)?;
    let customer = state
        .bank
        .customer_account(&AccountRef::parse(&body.account)?)
        .await?;
    let bank = state.bank.store.system_account(customer.currency).await?;
    let (from, to) = match kind {
        EntryKind::Withdrawal => (customer.id, bank.id),
        _ => (bank.id, customer.id),
    };
    let movement = Movement::new(kind, from, to, amount, &body.description)?;
    let posted = state
        .bank
        .post(Some(admin.0.user.id), movement, idempotency_key(&headers)?)
        .await?;
    Ok(posted_response(posted, customer.id))
}

pub async fn deposit(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Json(body): Json<Cash>,
) -> Result<Response, ApiError> {
    cash(state, admin, headers, body, EntryKind::Deposit).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Json(body): Json<Cash>,
) -> Result<Response, ApiError> {
    cash(state, admin, headers, body, EntryKind::Withdrawal).await
}

async fn set_frozen(
    state: AppState,
    id: &str,
    frozen: bool,
) -> Result<axum::Json<AccountView>, ApiError> {
    let id = account_id(id)?;
    state.bank.customer_account(&AccountRef::Id(id)).await?;
    let account = state.bank.set_frozen(id, frozen).await?;
    Ok(axum::Json(AccountView::from(&account)))
}

pub async fn freeze(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountView>, ApiError> {
    set_frozen(state, &id, true).await
}

pub async fn unfreeze(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountView>, ApiError> {
    set_frozen(state, &id, false).await
}
