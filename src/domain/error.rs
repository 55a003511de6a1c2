//! What can go wrong in the domain, each case distinct so the API can give it a
//! stable code.

use thiserror::Error;

/// Input that can never be valid, whatever the state of the bank.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("amount must be greater than zero")]
    AmountNotPositive,
    #[error("amount must be a whole number of minor units (cents)")]
    AmountNotInteger,
    #[error("amount is too large")]
    AmountTooLarge,
    #[error("unsupported currency {0:?}")]
    UnknownCurrency(String),
    #[error("an account number has 12 digits")]
    AccountNumberFormat,
    #[error("the account number's check digits do not match; check for a typo")]
    AccountNumberChecksum,
    #[error("username must be 3-32 characters: letters, digits, '.', '-' or '_'")]
    Username,
    #[error("email address is not valid")]
    Email,
    #[error("password must be 8-128 characters")]
    Password,
    #[error("{0} must be at most {1} characters")]
    TooLong(&'static str, usize),
    #[error("{0} must be one line of text, without control characters")]
    ControlCharacter(&'static str),
    #[error("unknown account kind {0:?}; use \"checking\" or \"savings\"")]
    AccountKind(String),
}

/// A money movement the bank refuses given the current state. Refusals are
/// recorded with their idempotency key, so a replay gets the same answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum Refusal {
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("the account is frozen")]
    AccountFrozen,
    #[error("the account is closed")]
    AccountClosed,
    #[error("cannot transfer to the same account")]
    SameAccount,
    #[error("the accounts hold different currencies")]
    CurrencyMismatch,
    #[error("the resulting balance would overflow")]
    BalanceOverflow,
    #[error("account not found")]
    AccountNotFound,
}
