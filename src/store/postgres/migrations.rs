//! Schema migrations embedded in the binary, applied in order under an advisory
//! lock so replicas starting together do not race. A database migrated by a
//! newer bankbox is refused.

use deadpool_postgres::Object;

use super::pg;
use crate::store::StoreError;

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("001_init.sql")),
    (2, include_str!("002_post.sql")),
    (3, include_str!("003_post_batch.sql")),
];

/// Arbitrary but fixed: "bankbox" in ASCII.
const LOCK_ID: i64 = 0x62_61_6e_6b_62_6f_78;

pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Applies what is missing; returns the versions applied.
pub async fn apply(client: &mut Object) -> Result<Vec<i32>, StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_ID])
        .await
        .map_err(pg)?;
    let result = apply_locked(client).await;
    // The lock is per session: release it whatever happened.
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_ID])
        .await;
    let applied = result?;
    unlock.map_err(pg)?;
    Ok(applied)
}

async fn apply_locked(client: &mut Object) -> Result<Vec<i32>, StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(pg)?;
    let row = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg)?;
    let current: i32 = row.get(0);
    if current > latest() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {current}, written by a newer bankbox; \
             this one understands up to {}",
            latest()
        )));
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let txn = client.transaction().await.map_err(pg)?;
        txn.batch_execute(sql).await.map_err(pg)?;
        txn.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg)?;
        txn.commit().await.map_err(pg)?;
        tracing::info!(version, "applied database migration");
        applied.push(*version);
    }
    Ok(applied)
}
