//! The embedded store: one redb file, `DATA_DIR/bankbox.redb`, and its redo
//! log, `DATA_DIR/bankbox.redo`. Reads run on concurrent read transactions;
//! writes go through the group-committing writer.

mod op;
mod ops;
mod recovery;
mod redo;
mod tables;
mod user_cache;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable};

use self::op::Op;
use self::redo::RedoLog;
use self::tables::*;
use self::user_cache::UserCache;
use self::writer::Writer;
use super::{HistoryQuery, Line, Posted, Record, Store, StoreError};
use crate::domain::ledger::{IdempotencyKey, Posting};
use crate::domain::verify::{Report, Verifier};
use crate::domain::{
    Account, AccountId, AccountNumber, Currency, Entry, EntryId, Millis, User, UserId, Username,
};

pub const FILE_NAME: &str = "bankbox.redb";
pub const REDO_FILE_NAME: &str = "bankbox.redo";

#[derive(Debug, Clone)]
pub struct RedbOptions {
    /// redb's page cache; half of it may hold pages committed but not yet written.
    pub cache_bytes: usize,
    /// How often a commit is made durable in the redb file itself.
    pub checkpoint_every: Duration,
}

impl Default for RedbOptions {
    fn default() -> Self {
        Self {
            cache_bytes: 32 << 20,
            checkpoint_every: Duration::from_secs(1),
        }
    }
}

pub struct RedbStore {
    // Declared first so it is dropped first: the writer drains its queue and
    // releases the database before the last handle to it goes.
    writer: Writer,
    db: Arc<Database>,
    users: Arc<UserCache>,
}

impl RedbStore {
    /// Opens (or creates) the store in `dir`. After an unclean shutdown redb
    /// repairs the file (progress is logged) and the redo log is replayed.
    pub fn open(dir: &Path, options: &RedbOptions) -> Result<Self, StoreError> {
        let path = dir.join(FILE_NAME);
        let mut builder = Database::builder();
        builder.set_cache_size(options.cache_bytes);
        builder.set_repair_callback(|session| {
            tracing::warn!(
                progress = format!("{:.0}%", session.progress() * 100.0),
                "repairing the data file after an unclean shutdown"
            );
        });
        let database = builder.create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Unavailable(format!(
                "{} is in use by another bankbox process",
                path.display()
            )),
            other => StoreError::Unavailable(format!("cannot open {}: {other}", path.display())),
        })?;
        init_schema(&database)?;
        let redo = dir.join(REDO_FILE_NAME);
        let (log, records) = RedoLog::open(&redo)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", redo.display())))?;
        let lsn = recovery::replay(&database, records)?;
        let db = Arc::new(database);
        let users = Arc::new(UserCache::default());
        Ok(Self {
            writer: Writer::start(
                db.clone(),
                log,
                lsn,
                options.checkpoint_every,
                users.clone(),
            ),
            db,
            users,
        })
    }

    fn read(&self) -> Result<redb::ReadTransaction, StoreError> {
        self.db.begin_read().map_err(db)
    }
}

fn now() -> Millis {
    crate::clock::now_millis()
}

fn uuid(v: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(v)
}

#[async_trait]
impl Store for RedbStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if let Some(why) = self.stopped() {
            return Err(StoreError::Unavailable(why));
        }
        self.read()?
            .open_table(META)
            .map_err(db)?
            .get("schema_version")
            .map_err(db)?;
        Ok(())
    }

    fn stopped(&self) -> Option<String> {
        self.writer.failure().map(String::from)
    }

    async fn secret_or_init(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let name = name.to_string();
        self.writer
            .run(Op::SecretOrInit { name, fresh })
            .await?
            .secret()
    }

    async fn create_user(&self, user: User, accounts: Vec<Account>) -> Result<(), StoreError> {
        self.writer
            .run(Op::CreateUser { user, accounts })
            .await?
            .done()
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let load = || get_user(&self.read()?.open_table(USERS).map_err(db)?, id);
        self.users.get(id, load)
    }

    async fn user_by_username(&self, name: &Username) -> Result<Option<User>, StoreError> {
        let txn = self.read()?;
        let id = txn
            .open_table(USERNAMES)
            .map_err(db)?
            .get(name.key().as_str())
            .map_err(db)?;
        match id {
            Some(id) => get_user(
                &txn.open_table(USERS).map_err(db)?,
                UserId(uuid(id.value())),
            ),
            None => Ok(None),
        }
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let table = self.read()?.open_table(USERS).map_err(db)?;
        let mut users = Vec::new();
        for row in table.iter().map_err(db)? {
            users.push(decode(row.map_err(db)?.1.value())?);
        }
        Ok(users)
    }

    async fn update_user(&self, user: User) -> Result<(), StoreError> {
        self.writer.run(Op::UpdateUser(user)).await?.done()
    }

    async fn open_account(&self, account: Account) -> Result<(), StoreError> {
        self.writer.run(Op::OpenAccount(account)).await?.done()
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        get_account(&self.read()?.open_table(ACCOUNTS).map_err(db)?, id)
    }

    async fn account_by_number(&self, n: &AccountNumber) -> Result<Option<Account>, StoreError> {
        let txn = self.read()?;
        let id = txn
            .open_table(ACCOUNT_NUMBERS)
            .map_err(db)?
            .get(n.as_str())
            .map_err(db)?;
        match id {
            Some(id) => get_account(
                &txn.open_table(ACCOUNTS).map_err(db)?,
                AccountId(uuid(id.value())),
            ),
            None => Ok(None),
        }
    }

    async fn accounts_of(&self, owner: UserId) -> Result<Vec<Account>, StoreError> {
        let txn = self.read()?;
        let index = txn.open_table(USER_ACCOUNTS).map_err(db)?;
        let accounts = txn.open_table(ACCOUNTS).map_err(db)?;
        let o = owner.0.as_u128();
        let mut out = Vec::new();
        for row in index.range((o, 0)..=(o, u128::MAX)).map_err(db)? {
            let account = row.map_err(db)?.0.value().1;
            let a = get_account(&accounts, AccountId(uuid(account)))?.ok_or_else(|| {
                StoreError::Corrupt(format!("indexed account {} missing", uuid(account)))
            })?;
            out.push(a);
        }
        Ok(out)
    }

    async fn system_account(&self, currency: Currency) -> Result<Account, StoreError> {
        loop {
            let number = AccountNumber::from_body(rand::random());
            let op = Op::SystemAccount(Account::system(number, currency, now()));
            match self.writer.run(op).await {
                // Another account drew the same number: draw again.
                Err(StoreError::AccountNumberTaken) => continue,
                other => return other?.account(),
            }
        }
    }

    async fn set_frozen(&self, id: AccountId, frozen: bool) -> Result<Account, StoreError> {
        self.writer
            .run(Op::SetFrozen { id, frozen })
            .await?
            .account()
    }

    async fn close_account(&self, id: AccountId) -> Result<Account, StoreError> {
        self.writer.run(Op::CloseAccount(id)).await?.account()
    }

    async fn post(
        &self,
        posting: Posting,
        key: Option<(IdempotencyKey, [u8; 32])>,
    ) -> Result<Posted, StoreError> {
        let now = now();
        let entry = EntryId::at(posting.at.unwrap_or(now));
        let op = Op::Post {
            posting,
            key,
            entry,
            now,
        };
        self.writer.run(op).await?.posted()
    }

    async fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError> {
        get_entry(&self.read()?.open_table(ENTRIES).map_err(db)?, id)
    }

    async fn history(
        &self,
        accounts: &[AccountId],
        q: &HistoryQuery,
    ) -> Result<Vec<Line>, StoreError> {
        let txn = self.read()?;
        let index = txn.open_table(ACCOUNT_ENTRIES).map_err(db)?;
        let entries = txn.open_table(ENTRIES).map_err(db)?;
        let (lo, hi) = q.id_range();
        let mut lines: Vec<(u128, u128)> = Vec::new();
        for account in accounts {
            let a = account.0.as_u128();
            let mut upper = hi;
            if let Some((entry, after_account)) = q.after {
                let e = entry.0.as_u128();
                // Within one entry, lines are ordered by account id, descending.
                let bound = if a < after_account.0.as_u128() {
                    e
                } else {
                    e.saturating_sub(1)
                };
                upper = upper.min(bound);
            }
            if upper < lo {
                continue;
            }
            let range = index.range((a, lo)..=(a, upper)).map_err(db)?;
            for row in range.rev().take(q.limit) {
                lines.push((row.map_err(db)?.0.value().1, a));
            }
        }
        lines.sort_unstable_by(|x, y| y.cmp(x));
        lines.truncate(q.limit);
        lines
            .into_iter()
            .map(|(e, a)| {
                let entry = get_entry(&entries, EntryId(uuid(e)))?.ok_or_else(|| {
                    StoreError::Corrupt(format!("indexed entry {} missing", uuid(e)))
                })?;
                Ok(Line {
                    account: AccountId(uuid(a)),
                    entry,
                })
            })
            .collect()
    }

    async fn verify(&self) -> Result<Report, StoreError> {
        let txn = self.read()?;
        let mut v = Verifier::default();
        for row in txn.open_table(ACCOUNTS).map_err(db)?.iter().map_err(db)? {
            v.account(decode(row.map_err(db)?.1.value())?);
        }
        for row in txn.open_table(ENTRIES).map_err(db)?.iter().map_err(db)? {
            v.entry(&decode(row.map_err(db)?.1.value())?);
        }
        Ok(v.finish())
    }

    async fn purge_idempotency(&self, before: Millis) -> Result<u64, StoreError> {
        self.writer
            .run(Op::PurgeIdempotency { before })
            .await?
            .purged()
    }

    async fn export(&self, out: tokio::sync::mpsc::Sender<Record>) -> Result<(), StoreError> {
        let database = self.db.clone();
        // redb reads block; a blocking thread streams them into the channel.
        let task = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            let txn = database.begin_read().map_err(db)?;
            let send = |r: Record| {
                out.blocking_send(r)
                    .map_err(|_| StoreError::Unavailable("export reader stopped".into()))
            };
            for row in txn.open_table(USERS).map_err(db)?.iter().map_err(db)? {
                send(Record::User(decode(row.map_err(db)?.1.value())?))?;
            }
            for row in txn.open_table(ACCOUNTS).map_err(db)?.iter().map_err(db)? {
                send(Record::Account(decode(row.map_err(db)?.1.value())?))?;
            }
            for row in txn.open_table(ENTRIES).map_err(db)?.iter().map_err(db)? {
                send(Record::Entry(decode(row.map_err(db)?.1.value())?))?;
            }
            Ok(())
        });
        task.await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    async fn import(&self, batch: Vec<Record>) -> Result<(), StoreError> {
        self.writer.run(Op::Import(batch)).await?.done()
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let txn = self.read()?;
        let users = txn
            .open_table(USERS)
            .map_err(db)?
            .first()
            .map_err(db)?
            .is_none();
        let accounts = txn
            .open_table(ACCOUNTS)
            .map_err(db)?
            .first()
            .map_err(db)?
            .is_none();
        Ok(users && accounts)
    }

    fn metrics(&self) -> Vec<(&'static str, u64)> {
        let c = &self.writer.counters;
        vec![
            (
                "bankbox_store_commits_total",
                c.commits.load(std::sync::atomic::Ordering::Relaxed),
            ),
            (
                "bankbox_store_writes_total",
                c.writes.load(std::sync::atomic::Ordering::Relaxed),
            ),
            (
                "bankbox_store_checkpoints_total",
                c.checkpoints.load(std::sync::atomic::Ordering::Relaxed),
            ),
        ]
    }
}
