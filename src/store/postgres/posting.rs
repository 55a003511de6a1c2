//! Postings on PostgreSQL. A posting is one call of the `bankbox_post`
//! function (002_post.sql), so the accounts are locked only while the server
//! runs it; postings made together are one call of `bankbox_post_batch`
//! (003_post_batch.sql), one transaction for all of them.

use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pg;
use super::rows;
use crate::domain::ledger::IdempotencyKey;
use crate::domain::{EntryId, Posting, Refusal};
use crate::store::{Posted, StoreError};

fn lost_key_race(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("idempotency_pkey")
    })
}

fn parse_refusal(s: &str) -> Result<Refusal, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown stored refusal {s:?}")))
}

/// The posting as one call of `bankbox_post` (002_post.sql): it looks the key
/// up, locks both accounts, applies the rules, writes the entry and balances,
/// and records the key's outcome, in one statement.
const POST: &str = "SELECT (p.entry).*, p.outcome, p.refusal \
     FROM bankbox_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) p";

/// Many postings as one call of `bankbox_post_batch` (003_post_batch.sql):
/// one statement, one transaction, one row per posting in order.
const POST_BATCH: &str = "SELECT (p.entry).*, p.outcome, p.refusal \
     FROM bankbox_post_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) p";

/// A posting and the idempotency key (with its request's fingerprint) it came with.
pub type Request = (Posting, Option<(IdempotencyKey, [u8; 32])>);

/// One posting's arguments, in the order both functions take them.
struct Args<'a> {
    entry: Uuid,
    kind: &'static str,
    posting: &'a Posting,
    at: i64,
    key_user: Option<Uuid>,
    key: Option<&'a str>,
    fingerprint: Option<&'a [u8]>,
}

impl<'a> Args<'a> {
    fn new((posting, key): &'a Request, now: i64) -> Self {
        let at = posting.at.unwrap_or(now);
        let (key_user, key, fingerprint) = match key {
            Some((k, f)) => (Some(k.user.0), Some(k.key.as_str()), Some(f.as_slice())),
            None => (None, None, None),
        };
        Args {
            entry: EntryId::at(at).0,
            kind: rows::kind_str(posting.kind),
            posting,
            at,
            key_user,
            key,
            fingerprint,
        }
    }
}

pub async fn post(client: &Object, request: &Request) -> Result<Posted, StoreError> {
    let now = crate::clock::now_millis();
    let a = Args::new(request, now);
    let p = a.posting;
    let stmt = client.prepare_cached(POST).await.map_err(pg)?;
    let params: [&(dyn ToSql + Sync); 12] = [
        &a.entry,
        &a.kind,
        &p.debit.0,
        &p.credit.0,
        &p.amount.minor(),
        &p.description,
        &a.at,
        &p.created_by.map(|u| u.0),
        &a.key_user,
        &a.key,
        &a.fingerprint,
        &now,
    ];
    // Losing the race for a key's first use rolls the call back; the second
    // call finds the winner's outcome.
    let row = match client.query_one(&stmt, &params).await {
        Err(e) if lost_key_race(&e) => client.query_one(&stmt, &params).await,
        first => first,
    }
    .map_err(pg)?;
    posted(&row)
}

/// Posts `requests` in one transaction and returns each one's outcome, in
/// order. An error means nothing was posted; a database error (rather than a
/// lost connection) means the server refused and rolled back the whole batch.
pub async fn post_batch(
    client: &Object,
    requests: &[Request],
) -> Result<Vec<Result<Posted, StoreError>>, tokio_postgres::Error> {
    let now = crate::clock::now_millis();
    let args: Vec<Args> = requests.iter().map(|r| Args::new(r, now)).collect();
    let entry = column(&args, |a| a.entry);
    let kind = column(&args, |a| a.kind);
    let debit = column(&args, |a| a.posting.debit.0);
    let credit = column(&args, |a| a.posting.credit.0);
    let amount = column(&args, |a| a.posting.amount.minor());
    let description = column(&args, |a| a.posting.description.as_str());
    let at = column(&args, |a| a.at);
    let by = column(&args, |a| a.posting.created_by.map(|u| u.0));
    let key_user = column(&args, |a| a.key_user);
    let key = column(&args, |a| a.key);
    let fingerprint = column(&args, |a| a.fingerprint);
    let stmt = client.prepare_cached(POST_BATCH).await?;
    let found = client
        .query(
            &stmt,
            &[
                &entry,
                &kind,
                &debit,
                &credit,
                &amount,
                &description,
                &at,
                &by,
                &key_user,
                &key,
                &fingerprint,
                &now,
            ],
        )
        .await?;
    Ok(found.iter().map(posted).collect())
}

/// One argument of every posting, as the array `bankbox_post_batch` takes.
fn column<'a, T>(args: &'a [Args], f: impl Fn(&'a Args) -> T) -> Vec<T> {
    args.iter().map(f).collect()
}

/// Reads the row either function returns for one posting.
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
