//! Bank accounts.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use super::{AccountNumber, Currency, Millis, UserId, ValidationError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

impl AccountId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for AccountId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    Checking,
    Savings,
    /// The bank's own account per currency: where deposits come from and
    /// withdrawals go. The only kind allowed below zero.
    System,
}

impl AccountKind {
    /// The kinds a customer may open.
    pub fn parse_customer(s: &str) -> Result<Self, ValidationError> {
        match s {
            "checking" => Ok(Self::Checking),
            "savings" => Ok(Self::Savings),
            other => Err(ValidationError::AccountKind(other.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Savings => "savings",
            Self::System => "system",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    /// None for the bank's system accounts.
    pub owner: Option<UserId>,
    /// The holder's name as counterparties see it.
    pub holder: String,
    pub number: AccountNumber,
    pub kind: AccountKind,
    pub currency: Currency,
    pub balance: i64,
    pub name: String,
    pub created_at: Millis,
    pub frozen: bool,
    pub closed: bool,
}

impl Account {
    /// The bank's own account in `currency`, one per currency, held by
    /// "Bankbox" (both stores make it on first use).
    pub fn system(number: AccountNumber, currency: Currency, now: Millis) -> Self {
        let name = format!("Bankbox {currency} cash");
        Self::new(
            None,
            "Bankbox",
            number,
            AccountKind::System,
            currency,
            &name,
            now,
        )
    }

    pub fn new(
        owner: Option<UserId>,
        holder: &str,
        number: AccountNumber,
        kind: AccountKind,
        currency: Currency,
        name: &str,
        now: Millis,
    ) -> Self {
        Self {
            id: AccountId::new(),
            owner,
            holder: holder.to_string(),
            number,
            kind,
            currency,
            balance: 0,
            name: name.to_string(),
            created_at: now,
            frozen: false,
            closed: false,
        }
    }

    /// Whether this account's balance may go below zero.
    pub fn may_overdraw(&self) -> bool {
        self.kind == AccountKind::System
    }
}

/// How a request names an account: by id, or by the number a person typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountRef {
    Id(AccountId),
    Number(AccountNumber),
}

impl AccountRef {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match Uuid::parse_str(s.trim()) {
            Ok(id) => Ok(Self::Id(AccountId(id))),
            Err(_) => AccountNumber::parse(s).map(Self::Number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_refs() {
        let id = AccountId::new();
        assert_eq!(
            AccountRef::parse(&id.to_string()).unwrap(),
            AccountRef::Id(id)
        );
        let n = AccountNumber::from_body(77);
        assert_eq!(
            AccountRef::parse(n.as_str()).unwrap(),
            AccountRef::Number(n)
        );
        assert!(AccountRef::parse("not an account").is_err());
    }
}
