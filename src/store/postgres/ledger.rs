//! The ledger on PostgreSQL. A posting is one transaction: the idempotency row
//! first (it serialises retries of one key), then both accounts locked in id
//! order (so opposite transfers cannot deadlock), then the shared posting rule.

use std::sync::LazyLock;

use deadpool_postgres::{GenericClient, Object};
use futures_util::{TryStreamExt, pin_mut};
use tokio_postgres::IsolationLevel;
use uuid::Uuid;

use super::pg;
use super::rows::{self, ACCOUNT_COLUMNS, ENTRY_COLUMNS};
use crate::domain::ledger::{IdempotencyKey, check_posting};
use crate::domain::verify::{Report, Verifier};
use crate::domain::{AccountId, Entry, EntryId, Posting, Refusal, Side};
use crate::store::{HistoryQuery, Line, Posted, StoreError};

fn refusal_str(r: Refusal) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn parse_refusal(s: &str) -> Result<Refusal, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown stored refusal {s:?}")))
}

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

pub async fn post(
    client: &mut Object,
    posting: &Posting,
    key: Option<&(IdempotencyKey, [u8; 32])>,
) -> Result<Posted, StoreError> {
    let now = crate::clock::now_millis();
    let txn = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(pg)?;
    // Claiming the key and locking the accounts go out pipelined. A concurrent
    // first use of the key makes the claim wait for that one's outcome.
    let claim = async {
        let Some((k, fingerprint)) = key else {
            return Ok(true);
        };
        let claim = txn
            .prepare_cached(
                "INSERT INTO idempotency (user_id, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(pg)?;
        let inserted = txn
            .execute(&claim, &[&k.user.0, &k.key, &fingerprint.as_slice(), &now])
            .await
            .map_err(pg)?;
        Ok::<_, StoreError>(inserted == 1)
    };
    let lock = async {
        let lock = txn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE"
            ))
            .await
            .map_err(pg)?;
        let ids = vec![posting.debit.0, posting.credit.0];
        txn.query(&lock, &[&ids]).await.map_err(pg)
    };
    let (claimed, accounts) = futures_util::try_join!(claim, lock)?;
    if let (false, Some((k, fingerprint))) = (claimed, key) {
        return replay(&txn, k, fingerprint).await;
    }
    let accounts: Vec<_> = accounts
        .iter()
        .map(rows::account)
        .collect::<Result<_, _>>()?;
    let find = |id: AccountId| accounts.iter().find(|a| a.id == id);
    let checked = match (find(posting.debit), find(posting.credit)) {
        (Some(d), Some(c)) => check_posting(posting, d, c).map(|b| (d, c, b)),
        _ => Err(Refusal::AccountNotFound),
    };
    let result = match checked {
        Err(refusal) => Err(refusal),
        Ok((debit, credit, (debit_after, credit_after))) => {
            let at = posting.at.unwrap_or(now);
            let side = |a: &crate::domain::Account, after| Side {
                account: a.id,
                number: a.number.clone(),
                holder: a.holder.clone(),
                owner: a.owner,
                balance_after: after,
            };
            let e = Entry {
                id: EntryId::at(at),
                kind: posting.kind,
                debit: side(debit, debit_after),
                credit: side(credit, credit_after),
                amount: posting.amount,
                currency: debit.currency,
                description: posting.description.clone(),
                created_at: at,
                created_by: posting.created_by,
            };
            Ok(e)
        }
    };
    if let Ok(e) = &result {
        write_entry(&txn, e).await?;
    }
    // The outcome row refers to the entry, so it follows it.
    if let Some((k, _)) = key {
        let outcome = txn
            .prepare_cached(
                "UPDATE idempotency SET entry = $3, refusal = $4 WHERE user_id = $1 AND key = $2",
            )
            .await
            .map_err(pg)?;
        let entry_id = result.as_ref().ok().map(|e| e.id.0);
        let refusal = result.as_ref().err().map(|r| refusal_str(*r));
        txn.execute(&outcome, &[&k.user.0, &k.key, &entry_id, &refusal])
            .await
            .map_err(pg)?;
    }
    txn.commit().await.map_err(pg)?;
    Ok(Posted {
        result,
        replayed: false,
    })
}

/// The stored outcome of a key already used: the same answer again, or a refusal
/// if the key now comes with a different request.
async fn replay(
    txn: &impl GenericClient,
    k: &IdempotencyKey,
    fingerprint: &[u8; 32],
) -> Result<Posted, StoreError> {
    let row = txn
        .query_one(
            "SELECT fingerprint, entry, refusal FROM idempotency WHERE user_id = $1 AND key = $2",
            &[&k.user.0, &k.key],
        )
        .await
        .map_err(pg)?;
    if row.get::<_, &[u8]>(0) != fingerprint.as_slice() {
        return Err(StoreError::IdempotencyKeyReused);
    }
    let result = match (row.get::<_, Option<Uuid>>(1), row.get::<_, Option<&str>>(2)) {
        (Some(id), _) => Ok(entry(txn, EntryId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("entry {id} of a stored key missing")))?),
        (None, Some(r)) => Err(parse_refusal(r)?),
        (None, None) => {
            return Err(StoreError::Corrupt(
                "idempotency key without outcome".into(),
            ));
        }
    };
    Ok(Posted {
        result,
        replayed: true,
    })
}

/// Inserts an entry and applies its balances (`balance_after` of each side),
/// the three statements pipelined.
async fn write_entry(txn: &impl GenericClient, e: &Entry) -> Result<(), StoreError> {
    let balance = txn
        .prepare_cached("UPDATE accounts SET balance = $2 WHERE id = $1")
        .await
        .map_err(pg)?;
    let debit = async {
        txn.execute(&balance, &[&e.debit.account.0, &e.debit.balance_after])
            .await
            .map_err(pg)
    };
    let credit = async {
        txn.execute(&balance, &[&e.credit.account.0, &e.credit.balance_after])
            .await
            .map_err(pg)
    };
    futures_util::try_join!(debit, credit, insert_entry(txn, e))?;
    Ok(())
}

/// Inserts an entry row as it is.
pub async fn insert_entry(txn: &impl GenericClient, e: &Entry) -> Result<(), StoreError> {
    let insert = txn
        .prepare_cached(&format!(
            "INSERT INTO entries ({ENTRY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .await
        .map_err(pg)?;
    let (d, c) = (&e.debit, &e.credit);
    txn.execute(
        &insert,
        &[
            &e.id.0,
            &rows::kind_str(e.kind),
            &e.amount.minor(),
            &e.currency.code(),
            &e.description,
            &e.created_at,
            &e.created_by.map(|u| u.0),
            &d.account.0,
            &d.number.as_str(),
            &d.holder,
            &d.owner.map(|u| u.0),
            &d.balance_after,
            &c.account.0,
            &c.number.as_str(),
            &c.holder,
            &c.owner.map(|u| u.0),
            &c.balance_after,
        ],
    )
    .await
    .map_err(pg)?;
    Ok(())
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
