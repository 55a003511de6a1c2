//! The external store: PostgreSQL through a tokio-postgres pool. Users and
//! accounts here; postings in `posting.rs`, grouped by `batcher.rs`; history
//! and the audit in `ledger.rs`.

mod batcher;
mod ledger;
pub mod migrations;
mod plan;
mod pool;
mod portable;
mod posting;
mod rows;
mod tls;

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};

pub use self::batcher::LANES as POSTING_LANES;
use self::pool::{pg, pool_error, snapshot};
use self::rows::{ACCOUNT_COLUMNS, USER_COLUMNS};
use super::{HistoryQuery, Line, Posted, Record, Store, StoreError};
use crate::domain::ledger::{IdempotencyKey, Posting};
use crate::domain::verify::Report;
use crate::domain::{
    Account, AccountId, AccountNumber, Currency, Entry, EntryId, Millis, User, UserId, Username,
};

pub struct PgStore {
    pool: Pool,
    postings: batcher::Batcher,
}

impl PgStore {
    /// Builds the pool and starts the posting batcher on the current Tokio
    /// runtime; nothing connects until first use.
    pub fn new(url: &str, pool_size: usize) -> Result<Self, StoreError> {
        let pool = pool::build(url, pool_size)?;
        Ok(Self {
            postings: batcher::Batcher::start(pool.clone()),
            pool,
        })
    }

    /// Applies the embedded migrations; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i32>, StoreError> {
        migrations::apply(&mut self.client().await?).await
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// The row `sql` finds by its one parameter, if any, read by `map`.
    async fn one<T>(
        &self,
        sql: &str,
        param: &(dyn tokio_postgres::types::ToSql + Sync),
        map: fn(&tokio_postgres::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(pg)?;
        client
            .query_opt(&stmt, &[param])
            .await
            .map_err(pg)?
            .as_ref()
            .map(map)
            .transpose()
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("SELECT 1", &[])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn secret_or_init(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&name, &fresh],
            )
            .await
            .map_err(pg)?;
        let row = client
            .query_one("SELECT value FROM meta WHERE key = $1", &[&name])
            .await
            .map_err(pg)?;
        Ok(row.get(0))
    }

    async fn create_user(&self, user: User, accounts: Vec<Account>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let txn = client.transaction().await.map_err(pg)?;
        rows::insert_user(&txn, &user).await?;
        for a in &accounts {
            if rows::insert_account(&txn, a).await? == 0 {
                return Err(StoreError::AccountNumberTaken);
            }
        }
        txn.commit().await.map_err(pg)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &id.0,
            rows::user,
        )
        .await
    }

    async fn user_by_username(&self, name: &Username) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username_key = $1");
        self.one(&sql, &name.key(), rows::user).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let client = self.client().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        client
            .query(&sql, &[])
            .await
            .map_err(pg)?
            .iter()
            .map(rows::user)
            .collect()
    }

    async fn update_user(&self, user: User) -> Result<(), StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE users SET email = $2, password_hash = $3, role = $4, disabled = $5 WHERE id = $1",
                &[&user.id.0, &user.email.as_str(), &user.password_hash, &rows::role_str(user.role), &user.disabled],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            Err(StoreError::NotFound("user"))
        } else {
            Ok(())
        }
    }

    async fn open_account(&self, account: Account) -> Result<(), StoreError> {
        match rows::insert_account(&self.client().await?, &account).await? {
            0 => Err(StoreError::AccountNumberTaken),
            _ => Ok(()),
        }
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.one(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
            &id.0,
            rows::account,
        )
        .await
    }

    async fn account_by_number(&self, n: &AccountNumber) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE number = $1");
        self.one(&sql, &n.as_str(), rows::account).await
    }

    async fn accounts_of(&self, owner: UserId) -> Result<Vec<Account>, StoreError> {
        let client = self.client().await?;
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner = $1 ORDER BY id");
        let stmt = client.prepare_cached(&sql).await.map_err(pg)?;
        client
            .query(&stmt, &[&owner.0])
            .await
            .map_err(pg)?
            .iter()
            .map(rows::account)
            .collect()
    }

    async fn system_account(&self, currency: Currency) -> Result<Account, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'system' AND currency = $1"
        );
        for _ in 0..8 {
            if let Some(a) = self.one(&sql, &currency.code(), rows::account).await? {
                return Ok(a);
            }
            let number = AccountNumber::from_body(rand::random());
            let account = Account::system(number, currency, crate::clock::now_millis());
            // A lost race or a number collision inserts nothing; the loop rereads.
            rows::insert_account(&self.client().await?, &account).await?;
        }
        Err(StoreError::Unavailable(format!(
            "could not create the {currency} system account"
        )))
    }

    async fn set_frozen(&self, id: AccountId, frozen: bool) -> Result<Account, StoreError> {
        let sql =
            format!("UPDATE accounts SET frozen = $2 WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}");
        let client = self.client().await?;
        let row = client
            .query_opt(&sql, &[&id.0, &frozen])
            .await
            .map_err(pg)?;
        row.as_ref()
            .map(rows::account)
            .transpose()?
            .ok_or(StoreError::NotFound("account"))
    }

    async fn close_account(&self, id: AccountId) -> Result<Account, StoreError> {
        let sql = format!(
            "UPDATE accounts SET closed = TRUE WHERE id = $1 AND balance = 0 RETURNING {ACCOUNT_COLUMNS}"
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&id.0])
            .await
            .map_err(pg)?;
        match row {
            Some(r) => rows::account(&r),
            None if self.account(id).await?.is_some() => Err(StoreError::AccountNotEmpty),
            None => Err(StoreError::NotFound("account")),
        }
    }

    async fn post(
        &self,
        posting: Posting,
        key: Option<(IdempotencyKey, [u8; 32])>,
    ) -> Result<Posted, StoreError> {
        self.postings.post((posting, key)).await
    }

    async fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError> {
        ledger::entry(&self.client().await?, id).await
    }

    async fn history(
        &self,
        accounts: &[AccountId],
        q: &HistoryQuery,
    ) -> Result<Vec<Line>, StoreError> {
        ledger::history(&self.client().await?, accounts, q).await
    }

    async fn verify(&self) -> Result<Report, StoreError> {
        ledger::verify(&mut self.client().await?).await
    }

    async fn purge_idempotency(&self, before: Millis) -> Result<u64, StoreError> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM idempotency WHERE created_at < $1", &[&before])
            .await
            .map_err(pg)
    }

    async fn export(&self, out: tokio::sync::mpsc::Sender<Record>) -> Result<(), StoreError> {
        portable::export(&mut self.client().await?, out).await
    }

    async fn import(&self, batch: Vec<Record>) -> Result<(), StoreError> {
        portable::import(&mut self.client().await?, &batch).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        portable::is_empty(&self.client().await?).await
    }
}
