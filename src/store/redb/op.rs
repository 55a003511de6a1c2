//! Writes as data. The writer applies an operation, logs it to the redo log
//! before the commit, and after a crash applies the logged operations again, in
//! the same order, to the same state. So an operation carries every value it
//! needs (clock readings, new ids, random numbers) and reads neither the clock
//! nor a random source: applying it twice to the same state gives the same
//! result.

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use super::ops;
use crate::domain::ledger::{IdempotencyKey, Posting};
use crate::domain::{Account, AccountId, EntryId, Millis, User, UserId};
use crate::store::{Posted, Record, StoreError};

#[derive(Debug, Serialize, Deserialize)]
pub enum Op {
    SecretOrInit {
        name: String,
        fresh: Vec<u8>,
    },
    CreateUser {
        user: User,
        accounts: Vec<Account>,
    },
    UpdateUser(User),
    OpenAccount(Account),
    /// Finds the bank's account in its currency, or opens this one.
    SystemAccount(Account),
    SetFrozen {
        id: AccountId,
        frozen: bool,
    },
    CloseAccount(AccountId),
    Post {
        posting: Posting,
        key: Option<(IdempotencyKey, [u8; 32])>,
        /// The id the entry gets if the posting is applied.
        entry: EntryId,
        now: Millis,
    },
    Import(Vec<Record>),
    PurgeIdempotency {
        before: Millis,
    },
}

/// What an operation answers its caller.
pub enum Outcome {
    Done,
    Secret(Vec<u8>),
    Account(Account),
    Posted(Posted),
    Purged(u64),
}

impl Op {
    pub fn apply(&self, t: &WriteTransaction) -> Result<Outcome, StoreError> {
        Ok(match self {
            Op::SecretOrInit { name, fresh } => {
                Outcome::Secret(ops::secret_or_init(t, name, fresh)?)
            }
            Op::CreateUser { user, accounts } => {
                ops::create_user(t, user, accounts)?;
                Outcome::Done
            }
            Op::UpdateUser(user) => {
                ops::update_user(t, user)?;
                Outcome::Done
            }
            Op::OpenAccount(account) => {
                ops::open_account(t, account)?;
                Outcome::Done
            }
            Op::SystemAccount(account) => Outcome::Account(ops::system_account(t, account)?),
            Op::SetFrozen { id, frozen } => Outcome::Account(ops::set_frozen(t, *id, *frozen)?),
            Op::CloseAccount(id) => Outcome::Account(ops::close_account(t, *id)?),
            Op::Post {
                posting,
                key,
                entry,
                now,
            } => Outcome::Posted(ops::post(t, posting, key.as_ref(), *entry, *now)?),
            Op::Import(batch) => {
                ops::import(t, batch)?;
                Outcome::Done
            }
            Op::PurgeIdempotency { before } => Outcome::Purged(ops::purge_idempotency(t, *before)?),
        })
    }

    /// The users this operation writes: its commit makes their cached copies stale.
    pub fn users_written(&self) -> Vec<UserId> {
        match self {
            Op::CreateUser { user, .. } | Op::UpdateUser(user) => vec![user.id],
            Op::Import(batch) => batch
                .iter()
                .filter_map(|r| match r {
                    Record::User(u) => Some(u.id),
                    Record::Account(_) | Record::Entry(_) => None,
                })
                .collect(),
            Op::SecretOrInit { .. }
            | Op::OpenAccount(_)
            | Op::SystemAccount(_)
            | Op::SetFrozen { .. }
            | Op::CloseAccount(_)
            | Op::Post { .. }
            | Op::PurgeIdempotency { .. } => Vec::new(),
        }
    }

    /// The id of the entry a posting made now would write; seeded postings
    /// keep the past time they were given.
    pub fn entry_made_now(&mut self) -> Option<&mut EntryId> {
        match self {
            Op::Post { posting, entry, .. } if posting.at.is_none() => Some(entry),
            _ => None,
        }
    }
}

impl Outcome {
    /// Names the variant only: a secret must not end up in an error message.
    fn mismatch(self) -> StoreError {
        let kind = match self {
            Outcome::Done => "done",
            Outcome::Secret(_) => "a secret",
            Outcome::Account(_) => "an account",
            Outcome::Posted(_) => "a posting",
            Outcome::Purged(_) => "a count",
        };
        StoreError::Corrupt(format!("the writer answered {kind} to another operation"))
    }

    pub fn done(self) -> Result<(), StoreError> {
        match self {
            Outcome::Done => Ok(()),
            other => Err(other.mismatch()),
        }
    }

    pub fn secret(self) -> Result<Vec<u8>, StoreError> {
        match self {
            Outcome::Secret(s) => Ok(s),
            other => Err(other.mismatch()),
        }
    }

    pub fn account(self) -> Result<Account, StoreError> {
        match self {
            Outcome::Account(a) => Ok(a),
            other => Err(other.mismatch()),
        }
    }

    pub fn posted(self) -> Result<Posted, StoreError> {
        match self {
            Outcome::Posted(p) => Ok(p),
            other => Err(other.mismatch()),
        }
    }

    pub fn purged(self) -> Result<u64, StoreError> {
        match self {
            Outcome::Purged(n) => Ok(n),
            other => Err(other.mismatch()),
        }
    }
}
