//! The ledger's reads on PostgreSQL: entries, history and the audit, plain
//! queries. Postings are in `posting.rs`.

use std::sync::LazyLock;

use deadpool_postgres::{GenericClient, Object};
use futures_util::{TryStreamExt, pin_mut};
use uuid::Uuid;

use super::pg;
use super::rows::{self, ACCOUNT_COLUMNS, ENTRY_COLUMNS};
use crate::domain::verify::{Report, Verifier};
use crate::domain::{AccountId, Entry, EntryId};
use crate::store::{HistoryQuery, Line, StoreError};

pub async fn entry(client: &impl GenericClient, id: EntryId) -> Result<Option<Entry>, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE id = $1"
        ))
        .await
        .map_err(pg)?;
    client
        .query_opt(&stmt, &[&id.0])
        .await
        .map_err(pg)?
        .as_ref()
        .map(rows::entry)
        .transpose()
}

/// Each side's statement, newest first, the limit and cursor applied per side
/// so each branch walks its index and stops early.
static HISTORY: LazyLock<String> = LazyLock::new(|| {
    let qualified: Vec<String> = ENTRY_COLUMNS
        .split(", ")
        .map(|c| format!("e.{}", c.trim()))
        .collect();
    let branch = |side: &str| {
        format!(
            "(SELECT id, {side} AS account FROM entries \
              WHERE {side} = ANY($1) AND id BETWEEN $2 AND $3 \
                AND ($4::uuid IS NULL OR (id, {side}) < ($4, $5)) \
              ORDER BY id DESC, {side} DESC LIMIT $6)"
        )
    };
    format!(
        "SELECT {}, s.account FROM ({} UNION ALL {}) s JOIN entries e ON e.id = s.id \
         ORDER BY s.id DESC, s.account DESC LIMIT $6",
        qualified.join(", "),
        branch("debit"),
        branch("credit")
    )
});

pub async fn history(
    client: &Object,
    accounts: &[AccountId],
    q: &HistoryQuery,
) -> Result<Vec<Line>, StoreError> {
    let (lo, hi) = q.id_range();
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
    let (after_entry, after_account) = match q.after {
        Some((e, a)) => (Some(e.0), Some(a.0)),
        None => (None, None),
    };
    let limit = q.limit as i64;
    let stmt = client.prepare_cached(&HISTORY).await.map_err(pg)?;
    let found = client
        .query(
            &stmt,
            &[
                &ids,
                &Uuid::from_u128(lo),
                &Uuid::from_u128(hi),
                &after_entry,
                &after_account,
                &limit,
            ],
        )
        .await
        .map_err(pg)?;
    found
        .iter()
        .map(|row| {
            Ok(Line {
                account: AccountId(row.get(17)),
                entry: rows::entry(row)?,
            })
        })
        .collect()
}

/// Streams every account and entry through the shared audit, from one snapshot.
pub async fn verify(client: &mut Object) -> Result<Report, StoreError> {
    let txn = super::snapshot(client).await?;
    let mut v = Verifier::default();
    let no_params: [&str; 0] = [];
    let accounts = txn
        .query_raw(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts"),
            no_params,
        )
        .await
        .map_err(pg)?;
    pin_mut!(accounts);
    while let Some(row) = accounts.try_next().await.map_err(pg)? {
        v.account(rows::account(&row)?);
    }
    let entries = txn
        .query_raw(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY id"),
            no_params,
        )
        .await
        .map_err(pg)?;
    pin_mut!(entries);
    while let Some(row) = entries.try_next().await.map_err(pg)? {
        v.entry(&rows::entry(&row)?);
    }
    txn.commit().await.map_err(pg)?;
    Ok(v.finish())
}
