//! The connection pool, and PostgreSQL's errors and transactions in our terms.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;

use super::tls;
use crate::store::StoreError;

/// Builds the pool; nothing connects until first use.
pub fn build(url: &str, pool_size: usize) -> Result<Pool, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Unavailable(format!("DATABASE_URL: {e}")))?;
    // Postings rely on READ COMMITTED whatever the server's default: each
    // statement sees what committed before it ran (posting.rs).
    let options = format!(
        "{} -c default_transaction_isolation=read\\ committed",
        config.get_options().unwrap_or_default()
    );
    config.options(options.trim_start());
    let manager = Manager::from_config(
        config,
        tls::connector(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let timeout = Some(Duration::from_secs(5));
    Pool::builder(manager)
        .max_size(pool_size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("database pool: {e}")))
}

/// A read-only transaction that sees one snapshot, for whole-bank reads.
pub async fn snapshot(
    client: &mut Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg)
}

/// Maps a PostgreSQL error to ours: constraint violations keep their meaning,
/// everything else means the database is not usable right now.
pub fn pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let constraint = db.constraint().unwrap_or("");
        if *db.code() == SqlState::UNIQUE_VIOLATION {
            return match constraint {
                "users_username_key_key" => StoreError::UsernameTaken,
                "accounts_number_key" => StoreError::AccountNumberTaken,
                _ => StoreError::Corrupt(format!("unexpected duplicate: {}", db.message())),
            };
        }
        if db.code().code().starts_with("23") {
            return StoreError::Corrupt(format!(
                "constraint {constraint} refused a write: {}",
                db.message()
            ));
        }
    }
    StoreError::Unavailable(format!("database: {e}"))
}

pub fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg(e),
        other => StoreError::Unavailable(format!("database: {other}")),
    }
}
