//! Moving a bank in and out of PostgreSQL: streamed export, batched import.

use deadpool_postgres::{GenericClient, Object};
use futures_util::{TryStreamExt, pin_mut};
use tokio::sync::mpsc::Sender;

use super::pg;
use super::rows::{self, ACCOUNT_COLUMNS, ENTRY_COLUMNS, USER_COLUMNS};
use super::rows::{insert_account, insert_entries, insert_user};
use crate::store::{Record, StoreError};

/// Turns a row of one table into a record.
type ToRecord = fn(&tokio_postgres::Row) -> Result<Record, StoreError>;

/// Streams users, accounts and entries, each in id order, from one snapshot.
pub async fn export(client: &mut Object, out: Sender<Record>) -> Result<(), StoreError> {
    let txn = super::snapshot(client).await?;
    let stopped = || StoreError::Unavailable("export reader stopped".into());
    let no_params: [&str; 0] = [];
    let tables: [(String, ToRecord); 3] = [
        (
            format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            |r| rows::user(r).map(Record::User),
        ),
        (
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"),
            |r| rows::account(r).map(Record::Account),
        ),
        (
            format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY id"),
            |r| rows::entry(r).map(Record::Entry),
        ),
    ];
    for (sql, convert) in tables {
        let stream = txn.query_raw(&sql, no_params).await.map_err(pg)?;
        pin_mut!(stream);
        while let Some(row) = stream.try_next().await.map_err(pg)? {
            out.send(convert(&row)?).await.map_err(|_| stopped())?;
        }
    }
    txn.commit().await.map_err(pg)
}

/// Writes one batch of records in one transaction.
pub async fn import(client: &mut Object, batch: &[Record]) -> Result<(), StoreError> {
    let txn = client.transaction().await.map_err(pg)?;
    let is_entry = |r: &Record| matches!(r, Record::Entry(_));
    // Entries in a row go in one statement.
    for run in batch.chunk_by(|a, b| is_entry(a) && is_entry(b)) {
        match &run[0] {
            Record::User(u) => insert_user(&txn, u).await?,
            Record::Account(a) => {
                if insert_account(&txn, a).await? == 0 {
                    return Err(StoreError::AccountNumberTaken);
                }
            }
            Record::Entry(_) => {
                let entries = run.iter().filter_map(|r| match r {
                    Record::Entry(e) => Some(e),
                    _ => None,
                });
                insert_entries(&txn, entries).await?
            }
        }
    }
    txn.commit().await.map_err(pg)
}

pub async fn is_empty(client: &impl GenericClient) -> Result<bool, StoreError> {
    let row = client
        .query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM accounts)",
            &[],
        )
        .await
        .map_err(pg)?;
    Ok(row.get(0))
}
