//! Write operations, each run by the writer inside a shared transaction. Every
//! operation checks everything before it writes anything, so a refusal leaves
//! the transaction as it found it.

use redb::{ReadableTable, WriteTransaction};

use super::tables::*;
use crate::domain::ledger::{IdempotencyKey, IdempotencyRecord, enter};
use crate::domain::{Account, AccountId, Entry, EntryId, Millis, Posting, Refusal, User};
use crate::store::{Posted, Record, StoreError};

pub fn secret_or_init(
    txn: &WriteTransaction,
    name: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut meta = txn.open_table(META).map_err(db)?;
    if let Some(v) = meta.get(name).map_err(db)? {
        return Ok(v.value().to_vec());
    }
    meta.insert(name, fresh).map_err(db)?;
    Ok(fresh.to_vec())
}

pub fn create_user(
    txn: &WriteTransaction,
    user: &User,
    accounts: &[Account],
) -> Result<(), StoreError> {
    let key = user.username.key();
    let mut names = txn.open_table(USERNAMES).map_err(db)?;
    if names.get(key.as_str()).map_err(db)?.is_some() {
        return Err(StoreError::UsernameTaken);
    }
    {
        let numbers = txn.open_table(ACCOUNT_NUMBERS).map_err(db)?;
        for a in accounts {
            if numbers.get(a.number.as_str()).map_err(db)?.is_some() {
                return Err(StoreError::AccountNumberTaken);
            }
        }
    }
    names
        .insert(key.as_str(), user.id.0.as_u128())
        .map_err(db)?;
    txn.open_table(USERS)
        .map_err(db)?
        .insert(user.id.0.as_u128(), encode(user)?.as_slice())
        .map_err(db)?;
    for a in accounts {
        insert_account(txn, a)?;
    }
    Ok(())
}

pub fn update_user(txn: &WriteTransaction, user: &User) -> Result<(), StoreError> {
    let mut users = txn.open_table(USERS).map_err(db)?;
    let current = get_user(&users, user.id)?.ok_or(StoreError::NotFound("user"))?;
    if current.username.key() != user.username.key() {
        return Err(StoreError::Corrupt("usernames cannot change".into()));
    }
    users
        .insert(user.id.0.as_u128(), encode(user)?.as_slice())
        .map_err(db)?;
    Ok(())
}

pub fn open_account(txn: &WriteTransaction, account: &Account) -> Result<(), StoreError> {
    let taken = txn
        .open_table(ACCOUNT_NUMBERS)
        .map_err(db)?
        .get(account.number.as_str())
        .map_err(db)?
        .is_some();
    if taken {
        return Err(StoreError::AccountNumberTaken);
    }
    insert_account(txn, account)
}

fn insert_account(txn: &WriteTransaction, a: &Account) -> Result<(), StoreError> {
    let id = a.id.0.as_u128();
    txn.open_table(ACCOUNTS)
        .map_err(db)?
        .insert(id, encode(a)?.as_slice())
        .map_err(db)?;
    txn.open_table(ACCOUNT_NUMBERS)
        .map_err(db)?
        .insert(a.number.as_str(), id)
        .map_err(db)?;
    match a.owner {
        Some(owner) => {
            txn.open_table(USER_ACCOUNTS)
                .map_err(db)?
                .insert((owner.0.as_u128(), id), ())
                .map_err(db)?;
        }
        None => {
            txn.open_table(SYSTEM_ACCOUNTS)
                .map_err(db)?
                .insert(a.currency.code(), id)
                .map_err(db)?;
        }
    }
    Ok(())
}

/// The bank's account in the currency of `fresh`; opens `fresh` if there is none.
pub fn system_account(txn: &WriteTransaction, fresh: &Account) -> Result<Account, StoreError> {
    let existing = txn
        .open_table(SYSTEM_ACCOUNTS)
        .map_err(db)?
        .get(fresh.currency.code())
        .map_err(db)?
        .map(|v| v.value());
    if let Some(id) = existing {
        let accounts = txn.open_table(ACCOUNTS).map_err(db)?;
        return get_account(&accounts, AccountId(uuid::Uuid::from_u128(id)))?.ok_or_else(|| {
            StoreError::Corrupt(format!("system account for {} missing", fresh.currency))
        });
    }
    open_account(txn, fresh)?;
    Ok(fresh.clone())
}

pub fn close_account(txn: &WriteTransaction, id: AccountId) -> Result<Account, StoreError> {
    let mut accounts = txn.open_table(ACCOUNTS).map_err(db)?;
    let mut a = get_account(&accounts, id)?.ok_or(StoreError::NotFound("account"))?;
    if a.balance != 0 {
        return Err(StoreError::AccountNotEmpty);
    }
    a.closed = true;
    accounts
        .insert(id.0.as_u128(), encode(&a)?.as_slice())
        .map_err(db)?;
    Ok(a)
}

pub fn set_frozen(
    txn: &WriteTransaction,
    id: AccountId,
    frozen: bool,
) -> Result<Account, StoreError> {
    let mut accounts = txn.open_table(ACCOUNTS).map_err(db)?;
    let mut a = get_account(&accounts, id)?.ok_or(StoreError::NotFound("account"))?;
    a.frozen = frozen;
    accounts
        .insert(id.0.as_u128(), encode(&a)?.as_slice())
        .map_err(db)?;
    Ok(a)
}

pub fn post(
    txn: &WriteTransaction,
    posting: &Posting,
    key: Option<&(IdempotencyKey, [u8; 32])>,
    id: EntryId,
    now: Millis,
) -> Result<Posted, StoreError> {
    let mut idem = txn.open_table(IDEMPOTENCY).map_err(db)?;
    let mut entries = txn.open_table(ENTRIES).map_err(db)?;
    if let Some((k, fingerprint)) = key {
        let stored = idem.get((k.user.0.as_u128(), k.key.as_str())).map_err(db)?;
        if let Some(v) = stored {
            let record: IdempotencyRecord = decode(v.value())?;
            if &record.fingerprint != fingerprint {
                return Err(StoreError::IdempotencyKeyReused);
            }
            let result = match record.outcome {
                Ok(id) => Ok(get_entry(&entries, id)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("entry {id} of a stored key missing"))
                })?),
                Err(r) => Err(r),
            };
            return Ok(Posted {
                result,
                replayed: true,
            });
        }
    }
    let result = apply(txn, &mut entries, posting, id, now)?;
    if let Some((k, fingerprint)) = key {
        let record = IdempotencyRecord {
            fingerprint: *fingerprint,
            outcome: result.as_ref().map(|e| e.id).map_err(|r| *r),
            created_at: now,
        };
        idem.insert(
            (k.user.0.as_u128(), k.key.as_str()),
            encode(&record)?.as_slice(),
        )
        .map_err(db)?;
    }
    Ok(Posted {
        result,
        replayed: false,
    })
}

fn apply(
    txn: &WriteTransaction,
    entries: &mut redb::Table<u128, &'static [u8]>,
    posting: &Posting,
    id: EntryId,
    now: Millis,
) -> Result<Result<Entry, Refusal>, StoreError> {
    let mut accounts = txn.open_table(ACCOUNTS).map_err(db)?;
    let debit = get_account(&accounts, posting.debit)?;
    let credit = get_account(&accounts, posting.credit)?;
    let entry = match enter(posting, debit.as_ref(), credit.as_ref(), id, now) {
        Ok(entry) => entry,
        Err(r) => return Ok(Err(r)),
    };
    // `enter` found both accounts, so each meets its side.
    let sides = [&entry.debit, &entry.credit];
    for (mut account, side) in [debit, credit].into_iter().flatten().zip(sides) {
        account.balance = side.balance_after;
        accounts
            .insert(account.id.0.as_u128(), encode(&account)?.as_slice())
            .map_err(db)?;
    }
    insert_entry(txn, entries, &entry)?;
    Ok(Ok(entry))
}

/// Writes an entry and indexes it under both its accounts.
fn insert_entry(
    txn: &WriteTransaction,
    entries: &mut redb::Table<u128, &'static [u8]>,
    entry: &Entry,
) -> Result<(), StoreError> {
    let eid = entry.id.0.as_u128();
    entries.insert(eid, encode(entry)?.as_slice()).map_err(db)?;
    let mut index = txn.open_table(ACCOUNT_ENTRIES).map_err(db)?;
    index
        .insert((entry.debit.account.0.as_u128(), eid), ())
        .map_err(db)?;
    index
        .insert((entry.credit.account.0.as_u128(), eid), ())
        .map_err(db)?;
    Ok(())
}

/// Writes exported records as they are (see `Store::import`).
pub fn import(txn: &WriteTransaction, batch: &[Record]) -> Result<(), StoreError> {
    for record in batch {
        match record {
            Record::User(u) => create_user(txn, u, &[])?,
            Record::Account(a) => open_account(txn, a)?,
            Record::Entry(e) => insert_entry(txn, &mut txn.open_table(ENTRIES).map_err(db)?, e)?,
        }
    }
    Ok(())
}

pub fn purge_idempotency(txn: &WriteTransaction, before: Millis) -> Result<u64, StoreError> {
    let mut idem = txn.open_table(IDEMPOTENCY).map_err(db)?;
    let mut purged = 0;
    let mut failure = None;
    idem.retain(|_, v| match decode::<IdempotencyRecord>(v) {
        Ok(r) if r.created_at < before => {
            purged += 1;
            false
        }
        Ok(_) => true,
        Err(e) => {
            failure = Some(e);
            true
        }
    })
    .map_err(db)?;
    failure.map_or(Ok(purged), Err)
}
