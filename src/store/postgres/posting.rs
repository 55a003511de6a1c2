//! Postings on PostgreSQL, as calls of `bankbox_post_batch`
//! (003_post_batch.sql): one statement and one transaction for any number of
//! postings, each applied by `bankbox_post` (002_post.sql), so accounts are
//! locked only while the server runs it.

use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pg;
use super::rows;
use crate::domain::ledger::IdempotencyKey;
use crate::domain::{EntryId, Posting, Refusal};
use crate::store::{Posted, StoreError};

const POST_BATCH: &str = "SELECT (p.entry).*, p.outcome, p.refusal, p.n \
     FROM bankbox_post_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) p";

/// A posting and the idempotency key (with its request's fingerprint) it came with.
pub type Request = (Posting, Option<(IdempotencyKey, [u8; 32])>);

/// Why a batch posted nothing, or may have.
#[derive(Debug)]
pub enum Failure {
    /// Nothing reached the server (a connection the database dropped).
    NotSent(StoreError),
    /// The server refused the statement and rolled all of it back.
    Refused(StoreError),
    /// Another transaction made the first use of one of the batch's keys
    /// while it ran; the batch rolled back, and a second call finds that
    /// transaction's outcome.
    LostKeyRace,
    /// The connection failed after the statement was sent: it may have committed.
    Unknown(StoreError),
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::NotSent(e) | Failure::Refused(e) | Failure::Unknown(e) => e,
            Failure::LostKeyRace => {
                StoreError::Corrupt("a posting lost the race for its key twice".into())
            }
        }
    }
}

/// One posting: a batch of one, called again if it lost the race for its key.
pub async fn post(client: &Object, request: &Request) -> Result<Posted, StoreError> {
    let one = std::slice::from_ref(request);
    let outcomes = match post_batch(client, one).await {
        Err(Failure::LostKeyRace) => post_batch(client, one).await,
        first => first,
    }?;
    outcomes
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(StoreError::Corrupt("a posting had no outcome".into())))
}

/// Posts `requests` in one transaction; each one's outcome, in order.
pub async fn post_batch(
    client: &Object,
    requests: &[Request],
) -> Result<Vec<Result<Posted, StoreError>>, Failure> {
    let now = crate::clock::now_millis();
    let args = Args::of(requests, now);
    let stmt = client
        .prepare_cached(POST_BATCH)
        .await
        .map_err(|e| Failure::NotSent(pg(e)))?;
    let rows = client
        .query(&stmt, &args.params())
        .await
        .map_err(|e| failure(e, client))?;
    let in_order = rows.len() == requests.len()
        && rows
            .iter()
            .enumerate()
            .all(|(i, r)| r.get::<_, i32>("n") as usize == i + 1);
    if !in_order {
        tracing::error!(
            rows = rows.len(),
            postings = requests.len(),
            "bankbox_post_batch answered out of order"
        );
        return Err(Failure::Unknown(StoreError::Corrupt(
            "the database answered a batch of postings out of order; their outcome is unknown"
                .into(),
        )));
    }
    Ok(rows.iter().map(posted).collect())
}

/// Whether a failed call surely rolled back: the server refused it on a live
/// connection for a reason that aborts only the statement's transaction.
fn failure(e: tokio_postgres::Error, client: &Object) -> Failure {
    let code = e.as_db_error().map(|db| db.code().clone());
    match code {
        _ if client.is_closed() => Failure::Unknown(pg(e)),
        Some(c) if c == SqlState::UNIQUE_VIOLATION && lost_key_race(&e) => Failure::LostKeyRace,
        Some(c) if ["22", "23", "40"].contains(&&c.code()[..2]) => Failure::Refused(pg(e)),
        Some(c) if c == SqlState::LOCK_NOT_AVAILABLE || c == SqlState::QUERY_CANCELED => {
            Failure::Refused(pg(e))
        }
        _ => Failure::Unknown(pg(e)),
    }
}

fn lost_key_race(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.constraint() == Some("idempotency_pkey"))
}

/// The batch's arguments, one array per parameter of `bankbox_post_batch`.
struct Args {
    entry: Vec<Uuid>,
    kind: Vec<&'static str>,
    debit: Vec<Uuid>,
    credit: Vec<Uuid>,
    amount: Vec<i64>,
    description: Vec<String>,
    at: Vec<i64>,
    by: Vec<Option<Uuid>>,
    key_user: Vec<Option<Uuid>>,
    key: Vec<Option<String>>,
    fingerprint: Vec<Option<Vec<u8>>>,
    now: i64,
}

impl Args {
    fn of(requests: &[Request], now: i64) -> Self {
        let at = column(requests, |(p, _)| p.at.unwrap_or(now));
        Args {
            entry: entry_ids(requests, now),
            kind: column(requests, |(p, _)| rows::kind_str(p.kind)),
            debit: column(requests, |(p, _)| p.debit.0),
            credit: column(requests, |(p, _)| p.credit.0),
            amount: column(requests, |(p, _)| p.amount.minor()),
            description: column(requests, |(p, _)| p.description.clone()),
            at,
            by: column(requests, |(p, _)| p.created_by.map(|u| u.0)),
            key_user: column(requests, |(_, k)| k.as_ref().map(|(k, _)| k.user.0)),
            key: column(requests, |(_, k)| k.as_ref().map(|(k, _)| k.key.clone())),
            fingerprint: column(requests, |(_, k)| k.as_ref().map(|(_, f)| f.to_vec())),
            now,
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 12] {
        [
            &self.entry,
            &self.kind,
            &self.debit,
            &self.credit,
            &self.amount,
            &self.description,
            &self.at,
            &self.by,
            &self.key_user,
            &self.key,
            &self.fingerprint,
            &self.now,
        ]
    }
}

fn column<T>(requests: &[Request], f: impl FnMut(&Request) -> T) -> Vec<T> {
    requests.iter().map(f).collect()
}

/// New entry ids that sort in posting order (see `EntryId::after`); seeded
/// postings keep the past time they were given.
fn entry_ids(requests: &[Request], now: i64) -> Vec<Uuid> {
    let mut last = EntryId(Uuid::nil());
    column(requests, |(p, _)| match p.at {
        Some(at) => EntryId::at(at).0,
        None => {
            last = EntryId::at(now).after(last);
            last.0
        }
    })
}

fn parse_refusal(s: &str) -> Result<Refusal, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown stored refusal {s:?}")))
}

/// Reads the row `bankbox_post` returns for one posting.
fn posted(row: &tokio_postgres::Row) -> Result<Posted, StoreError> {
    let replayed = match row.get::<_, &str>("outcome") {
        "new" => false,
        "replayed" => true,
        "reused" => return Err(StoreError::IdempotencyKeyReused),
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown posting outcome {other:?}"
            )));
        }
    };
    let result = match (
        row.get::<_, Option<Uuid>>(0),
        row.get::<_, Option<&str>>("refusal"),
    ) {
        (_, Some(r)) => Err(parse_refusal(r)?),
        (Some(_), None) => Ok(rows::entry(row)?),
        (None, None) => {
            return Err(StoreError::Corrupt(
                "a stored idempotency key's entry is missing".into(),
            ));
        }
    };
    Ok(Posted { result, replayed })
}
