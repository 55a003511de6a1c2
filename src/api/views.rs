//! The JSON shapes the API answers with. Money is always integer minor units
//! beside its currency.

use serde::Serialize;

use crate::clock::rfc3339;
use crate::domain::{Account, AccountId, Entry, User};

#[derive(Serialize)]
pub struct AccountView {
    pub id: String,
    pub number: String,
    pub kind: &'static str,
    pub currency: String,
    pub balance: i64,
    pub name: String,
    pub holder: String,
    pub frozen: bool,
    pub closed: bool,
    pub created_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.to_string(),
            number: a.number.to_string(),
            kind: a.kind.as_str(),
            currency: a.currency.to_string(),
            balance: a.balance,
            name: a.name.clone(),
            holder: a.holder.clone(),
            frozen: a.frozen,
            closed: a.closed,
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Serialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub role: crate::domain::Role,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u.email.as_str().to_string(),
            role: u.role,
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Serialize)]
pub struct Counterparty {
    pub account_number: String,
    pub name: String,
}

/// An entry as seen from one of its accounts.
#[derive(Serialize)]
pub struct TransactionView {
    pub id: String,
    pub account: String,
    pub kind: crate::domain::EntryKind,
    pub amount: i64,
    pub currency: String,
    pub direction: &'static str,
    pub counterparty: Counterparty,
    pub description: String,
    pub balance_after: i64,
    pub created_at: String,
}

impl TransactionView {
    /// `None` when `account` is not a side of `entry`.
    pub fn of(entry: &Entry, account: AccountId) -> Option<Self> {
        let (mine, theirs, out) = entry.side_of(account)?;
        Some(Self {
            id: entry.id.to_string(),
            account: account.to_string(),
            kind: entry.kind,
            amount: entry.amount.minor(),
            currency: entry.currency.to_string(),
            direction: if out { "out" } else { "in" },
            counterparty: Counterparty {
                account_number: theirs.number.to_string(),
                name: theirs.holder.clone(),
            },
            description: entry.description.clone(),
            balance_after: mine.balance_after,
            created_at: rfc3339(entry.created_at),
        })
    }
}

#[derive(Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
