//! The storage port: a domain-level repository. Adapters (redb embedded,
//! PostgreSQL external) implement it with our types only in the signatures.

pub mod postgres;
pub mod redb;

use async_trait::async_trait;
use thiserror::Error;

use crate::domain::ledger::{IdempotencyKey, Posting};
use crate::domain::verify::Report;
use crate::domain::{
    Account, AccountId, AccountNumber, Currency, Entry, EntryId, Millis, Refusal, User, UserId,
    Username,
};

#[derive(Debug, Clone, Error)]
pub enum StoreError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error("the account number is taken")]
    AccountNumberTaken,
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("the account still holds money; move it out before closing")]
    AccountNotEmpty,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The result of a posting: the entry or the refusal, and whether it is a replay
/// of an earlier request with the same idempotency key.
#[derive(Debug, Clone)]
pub struct Posted {
    pub result: Result<Entry, Refusal>,
    pub replayed: bool,
}

/// A page request over one or more accounts' history, newest first.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Continue strictly after this (entry, account) position.
    pub after: Option<(EntryId, AccountId)>,
    /// Inclusive lower bound on creation time.
    pub from: Option<Millis>,
    /// Exclusive upper bound on creation time.
    pub until: Option<Millis>,
    pub limit: usize,
}

impl HistoryQuery {
    /// The inclusive id range the time bounds allow: UUIDv7 ids start with their
    /// 48-bit millisecond timestamp, so time bounds are id bounds.
    pub fn id_range(&self) -> (u128, u128) {
        let lo = self.from.map_or(0, |ms| (ms.max(0) as u128) << 80);
        let hi = self.until.map_or(u128::MAX, |ms| {
            ((ms.max(0) as u128) << 80).saturating_sub(1)
        });
        (lo, hi)
    }
}

/// One item of a bank being moved between stores: what `export` writes and
/// `import` reads. Balances travel with accounts; `verify` checks them after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Record {
    User(User),
    Account(Account),
    Entry(Entry),
}

/// One line of an account statement: an entry seen from one of its accounts.
#[derive(Debug, Clone)]
pub struct Line {
    pub account: AccountId,
    pub entry: Entry,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap round trip proving the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Why the store has stopped taking writes until a restart, if it has (the
    /// embedded writer after its disk failed it). PostgreSQL has no such state:
    /// each write stands alone.
    fn stopped(&self) -> Option<String> {
        None
    }

    /// Returns the named secret, storing `fresh` first if there is none yet.
    async fn secret_or_init(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, StoreError>;

    /// Creates a user and, in the same commit, its first accounts.
    async fn create_user(&self, user: User, accounts: Vec<Account>) -> Result<(), StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn user_by_username(&self, name: &Username) -> Result<Option<User>, StoreError>;
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces a user's mutable fields (password hash, role, disabled).
    async fn update_user(&self, user: User) -> Result<(), StoreError>;

    async fn open_account(&self, account: Account) -> Result<(), StoreError>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    async fn account_by_number(&self, n: &AccountNumber) -> Result<Option<Account>, StoreError>;
    async fn accounts_of(&self, owner: UserId) -> Result<Vec<Account>, StoreError>;
    /// The bank's own account in `currency`, created on first use.
    async fn system_account(&self, currency: Currency) -> Result<Account, StoreError>;
    async fn set_frozen(&self, id: AccountId, frozen: bool) -> Result<Account, StoreError>;
    /// Closes an account with a zero balance; closed accounts take no postings.
    async fn close_account(&self, id: AccountId) -> Result<Account, StoreError>;

    /// Applies a posting atomically. With a key, the outcome (entry or refusal) is
    /// stored in the same commit; a repeat with the same fingerprint replays it.
    async fn post(
        &self,
        posting: Posting,
        key: Option<(IdempotencyKey, [u8; 32])>,
    ) -> Result<Posted, StoreError>;
    async fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError>;
    /// Statement lines of `accounts`, newest first.
    async fn history(
        &self,
        accounts: &[AccountId],
        q: &HistoryQuery,
    ) -> Result<Vec<Line>, StoreError>;
    /// Recomputes every balance from the journal and checks the invariants.
    async fn verify(&self) -> Result<Report, StoreError>;
    /// Forgets idempotency keys created before `before`; returns how many.
    async fn purge_idempotency(&self, before: Millis) -> Result<u64, StoreError>;

    /// Sends every user, then every account, then every entry (in id order).
    async fn export(&self, out: tokio::sync::mpsc::Sender<Record>) -> Result<(), StoreError>;
    /// Writes records as they are, in one commit per batch. Users before their
    /// accounts, accounts before their entries.
    async fn import(&self, batch: Vec<Record>) -> Result<(), StoreError>;
    /// Whether the store holds no users and no accounts.
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// Counters for /metrics, as (Prometheus name, value).
    fn metrics(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}
