//! Postings on PostgreSQL: a batch is one transaction in two round trips.
//! The first begins it, locks every account the batch names (in id order, so
//! batches cannot deadlock on accounts) and reads the stored first uses of
//! its keys; `plan.rs` then applies the postings in memory with the domain's
//! rule; the second writes the entries, the balances and the keys in one
//! statement, and commits.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use deadpool_postgres::Object;
use futures_util::future::{join, join3};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use uuid::Uuid;

use super::pg;
use super::plan::{KeyUse, NewKey, Plan};
use super::rows::{self, ACCOUNT_COLUMNS, ENTRY_COLUMNS, EntryColumns, INSERT_ENTRIES};
use crate::domain::ledger::IdempotencyKey;
use crate::domain::{Account, AccountId, EntryId, Posting, UserId};
use crate::store::{Posted, StoreError};

static LOCK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY ($1) ORDER BY id FOR NO KEY UPDATE"
    )
});
/// The entry's columns first, as `rows::entry` reads them, then the key's.
/// Each key is looked up on its own through the primary keys (a LATERAL
/// subquery with LIMIT is never turned into a join): a join's plan, cached
/// while the tables were nearly empty, went on scanning the whole table.
static STORED_KEYS: LazyLock<String> = LazyLock::new(|| {
    let entry: Vec<_> = ENTRY_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect();
    format!(
        "SELECT {}, i.user_id, i.key, i.fingerprint, i.refusal \
         FROM unnest($1::uuid[], $2::text[]) k (user_id, key) \
         CROSS JOIN LATERAL (SELECT * FROM idempotency i \
             WHERE i.user_id = k.user_id AND i.key = k.key LIMIT 1) i \
         LEFT JOIN LATERAL (SELECT * FROM entries e WHERE e.id = i.entry LIMIT 1) e ON true",
        entry.join(", ")
    )
});

/// The whole plan in one statement, so the server takes all of it or none:
/// the entries ($1-$17), the balances ($18-$19), then the new keys
/// ($20-$25), whose entries the statement's own inserts provide.
static WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH entered AS ({} RETURNING 1), \
         balanced AS (UPDATE accounts a SET balance = v.balance \
             FROM unnest($18::uuid[], $19::bigint[]) v (id, balance) WHERE a.id = v.id \
             RETURNING 1) \
         INSERT INTO idempotency (user_id, key, fingerprint, entry, refusal, created_at) \
         SELECT k.*, $25::bigint \
         FROM unnest($20::uuid[], $21::text[], $22::bytea[], $23::uuid[], $24::text[]) k",
        *INSERT_ENTRIES
    )
});

/// The last entry id given out in this process, so that entries made in
/// batches that follow each other (two lanes posting to one account) sort in
/// the order they were made, as they do within a batch.
static LAST_ENTRY: Mutex<EntryId> = Mutex::new(EntryId(Uuid::nil()));

/// A posting and the idempotency key (with its request's fingerprint) it came with.
pub type Request = (Posting, Option<(IdempotencyKey, [u8; 32])>);

/// Why a batch posted nothing, or may have.
#[derive(Debug)]
pub enum Failure {
    /// The connection is gone (the database dropped it) and nothing was
    /// committed: the batch may be sent again on another.
    Disconnected(StoreError),
    /// The server refused a statement, or a row it sent did not read, and
    /// the whole batch rolled back.
    Refused(StoreError),
    /// Another transaction made the first use of one of the batch's keys
    /// while it ran; the batch rolled back, and a second call finds that
    /// transaction's outcome.
    LostKeyRace,
    /// The connection failed once the write was sent: it may have committed.
    Unknown(StoreError),
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Disconnected(e) | Failure::Refused(e) | Failure::Unknown(e) => e,
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
    // Prepared first (cached after the first batch), so each statement below
    // goes out when its future is first polled, in order: one pipeline.
    let s = Statements::prepare(client)
        .await
        .map_err(|e| Failure::Disconnected(pg(e)))?;
    let plan = match read(client, &s, requests).await {
        Ok((accounts, stored)) => {
            // Taken with the locks held, so a batch that waited for another's
            // locks dates its entries after that one's.
            let now = crate::clock::now_millis();
            let mut last = LAST_ENTRY.lock().unwrap_or_else(|e| e.into_inner());
            let plan = Plan::of(requests, accounts, stored, now, *last);
            *last = plan.last;
            plan
        }
        Err(e) => {
            // Nothing was written: end the transaction the read began.
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(if client.is_closed() {
                Failure::Disconnected(e)
            } else {
                Failure::Refused(e)
            });
        }
    };
    write(client, &s, &plan).await?;
    Ok(plan.outcomes)
}

struct Statements {
    begin: Statement,
    lock: Statement,
    stored_keys: Statement,
    write: Statement,
    commit: Statement,
}

impl Statements {
    async fn prepare(c: &Object) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            begin: c.prepare_cached("BEGIN").await?,
            lock: c.prepare_cached(&LOCK).await?,
            stored_keys: c.prepare_cached(&STORED_KEYS).await?,
            write: c.prepare_cached(&WRITE).await?,
            commit: c.prepare_cached("COMMIT").await?,
        })
    }
}

type Stored = HashMap<(UserId, String), KeyUse>;

/// Begins the transaction, locks the batch's accounts and reads its keys'
/// first uses, in one round trip. The keys are read once the locks are
/// held, so a replica's concurrent first use of a key over the same
/// accounts has committed by then and is replayed, not raced.
async fn read(
    client: &Object,
    s: &Statements,
    requests: &[Request],
) -> Result<(HashMap<AccountId, Account>, Stored), StoreError> {
    let ids: Vec<Uuid> = requests
        .iter()
        .flat_map(|(p, _)| [p.debit.0, p.credit.0])
        .collect();
    let keys: Vec<_> = requests.iter().filter_map(|(_, k)| k.as_ref()).collect();
    let key_users: Vec<Uuid> = keys.iter().map(|(k, _)| k.user.0).collect();
    let key_names: Vec<&str> = keys.iter().map(|(k, _)| k.key.as_str()).collect();
    let (begun, locked, stored) = join3(
        client.execute(&s.begin, &[]),
        client.query(&s.lock, &[&ids]),
        client.query(&s.stored_keys, &[&key_users, &key_names]),
    )
    .await;
    begun.map_err(pg)?;
    let accounts = locked
        .map_err(pg)?
        .iter()
        .map(|r| rows::account(r).map(|a| (a.id, a)))
        .collect::<Result<_, _>>()?;
    let stored = stored
        .map_err(pg)?
        .iter()
        .map(key_use)
        .collect::<Result<_, _>>()?;
    Ok((accounts, stored))
}

/// Writes the plan and commits, in one round trip. The answers come in
/// order: if the server refuses the write, the transaction is aborted and
/// the COMMIT sent after it rolls back.
async fn write(client: &Object, s: &Statements, plan: &Plan) -> Result<(), Failure> {
    let entries = EntryColumns::of(plan.entries.iter());
    let (ids, balances): (Vec<Uuid>, Vec<i64>) =
        plan.balances.iter().map(|(id, b)| (id.0, *b)).unzip();
    let keys = KeyColumns::of(&plan.keys);
    let mut params = entries.params();
    params.extend([&ids as &(dyn ToSql + Sync), &balances]);
    params.extend(keys.params(&plan.now));
    let (written, committed) = join(
        client.execute(&s.write, &params),
        client.execute(&s.commit, &[]),
    )
    .await;
    match written {
        // Nothing was committed, and the connection is gone: a batch for another.
        Err(e) if e.as_db_error().is_some() && client.is_closed() => {
            Err(Failure::Disconnected(pg(e)))
        }
        Err(e) if e.as_db_error().is_some() => Err(rolled_back(e)),
        Err(e) => Err(Failure::Unknown(pg(e))),
        Ok(_) => committed.map(drop).map_err(|e| failure(e, client)),
    }
}

/// Whether a failed COMMIT surely rolled back: the server refused it on a
/// live connection for a reason that aborts only its transaction.
fn failure(e: tokio_postgres::Error, client: &Object) -> Failure {
    let code = e.as_db_error().map(|db| db.code().clone());
    match code {
        _ if client.is_closed() => Failure::Unknown(pg(e)),
        Some(c) if ["22", "23", "40"].contains(&&c.code()[..2]) => rolled_back(e),
        Some(c) if c == SqlState::LOCK_NOT_AVAILABLE || c == SqlState::QUERY_CANCELED => {
            rolled_back(e)
        }
        _ => Failure::Unknown(pg(e)),
    }
}

/// A refusal that rolled the batch back, by its cause.
fn rolled_back(e: tokio_postgres::Error) -> Failure {
    let lost_key_race = e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("idempotency_pkey")
    });
    if lost_key_race {
        Failure::LostKeyRace
    } else {
        Failure::Refused(pg(e))
    }
}

/// New keys as the arrays `WRITE` takes.
struct KeyColumns<'a> {
    user: Vec<Uuid>,
    key: Vec<&'a str>,
    fingerprint: Vec<&'a [u8]>,
    entry: Vec<Option<Uuid>>,
    refusal: Vec<Option<String>>,
}

impl<'a> KeyColumns<'a> {
    fn of(keys: &'a [NewKey]) -> Self {
        Self {
            user: keys.iter().map(|k| k.user.0).collect(),
            key: keys.iter().map(|k| k.key.as_str()).collect(),
            fingerprint: keys.iter().map(|k| k.fingerprint.as_slice()).collect(),
            entry: keys.iter().map(|k| k.outcome.ok().map(|e| e.0)).collect(),
            refusal: keys
                .iter()
                .map(|k| k.outcome.err().map(rows::refusal_str))
                .collect(),
        }
    }

    fn params<'p>(&'p self, now: &'p i64) -> [&'p (dyn ToSql + Sync); 6] {
        [
            &self.user,
            &self.key,
            &self.fingerprint,
            &self.entry,
            &self.refusal,
            now,
        ]
    }
}

/// Reads a row of `STORED_KEYS`: a key's first use and what it answered.
fn key_use(row: &Row) -> Result<((UserId, String), KeyUse), StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("a stored idempotency key's {what}"));
    let user = UserId(row.get("user_id"));
    let key: String = row.get("key");
    let fingerprint = row
        .get::<_, &[u8]>("fingerprint")
        .try_into()
        .map_err(|_| corrupt("fingerprint is not 32 bytes"))?;
    let outcome = match (
        row.get::<_, Option<Uuid>>(0),
        row.get::<_, Option<&str>>("refusal"),
    ) {
        (_, Some(r)) => Err(rows::parse_refusal(r)?),
        (Some(_), None) => Ok(rows::entry(row)?),
        (None, None) => return Err(corrupt("entry is missing")),
    };
    Ok((
        (user, key),
        KeyUse {
            fingerprint,
            outcome,
        },
    ))
}
