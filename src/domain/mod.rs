//! Pure types and rules of the bank. Nothing here does I/O or knows about HTTP.

pub mod account;
pub mod error;
pub mod ledger;
pub mod money;
pub mod number;
pub mod text;
pub mod user;
pub mod verify;

pub use account::{Account, AccountId, AccountKind, AccountRef};
pub use error::{Refusal, ValidationError};
pub use ledger::{Entry, EntryId, EntryKind, Posting, Side};
pub use money::{Amount, Currency};
pub use number::AccountNumber;
pub use user::{Email, Password, Role, User, UserId, Username};

/// Milliseconds since the Unix epoch: the one clock representation stored everywhere.
pub type Millis = i64;
